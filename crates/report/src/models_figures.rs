//! The advanced-models notebook's figures: predicted vs oracle net effect, the targeting
//! rules, and heterogeneity by focal cluster and position band.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use slate_estimate::dim::Z_95;
use slate_models::ModelsTables;
use slate_models::learner::Learner;
use slate_models::tables::{
    CONDITIONAL_EFFECTS, Conditional, Dimension, Heterogeneity, HeterogeneityTruth,
    PolicyTargeting, PolicyTruth,
};

use crate::ReportError;
use crate::charts::{
    FAMILY, IntervalRow, NEUTRAL, RowStyle, SECOND, THIRD, format_tick, interval_panel, render_png,
    signed_color, thousands,
};

/// File names of the figures [`models_figures`] writes, in order.
pub const MODELS_FIGURES: [&str; 3] = [
    "24a_advanced_predicted_vs_oracle_net_effect.png",
    "24b_advanced_policy_targeting.png",
    "24c_advanced_heterogeneity.png",
];

/// Most slates the predicted-vs-oracle scatter draws per model. A larger run draws an evenly
/// spaced subset in slate order (the caption says how many); the correlation in the caption
/// uses every slate. Beyond a few thousand points the cloud is opaque anyway, and at eight
/// million slates drawing every point took a minute.
pub const SCATTER_POINTS: usize = 20_000;

/// Draws every models figure from the models stage's tables into `figures_dir`. With the
/// log's oracle (the tables' truth columns), the oracle appears beside every estimate; without
/// it the predicted-vs-oracle figure is not drawn and the others show what the experiment
/// estimates.
pub fn models_figures(
    tables: &ModelsTables,
    figures_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    let conditional: &Conditional = &tables.conditional;
    let policies: &PolicyTargeting = &tables.policies.rows;
    let heterogeneity: &Heterogeneity = &tables.heterogeneity.rows;
    let policy_truth: Option<&PolicyTruth> = tables.policies.truth.as_ref();
    let heterogeneity_truth: Option<&HeterogeneityTruth> = tables.heterogeneity.truth.as_ref();
    if conditional.is_empty() {
        return Err(ReportError::Empty {
            table: CONDITIONAL_EFFECTS.file_name.into(),
        });
    }
    let models = conditional.models();
    let mut written = Vec::new();

    // Predicted (out of fold) vs oracle net effect per slate, one panel per model (with truth;
    // without it, a copy from an earlier run in the same folder must not claim this log).
    if conditional.oracle().is_none() {
        slate_table::remove_stale(figures_dir, MODELS_FIGURES[0])?;
    }
    if let Some(oracle_net_effect) = conditional.oracle() {
        let predicted: Vec<Vec<f64>> = (0..models.len())
            .map(|m| conditional.predicted_net_effect(m))
            .collect();
        written.push(render_png(figures_dir, MODELS_FIGURES[0], (1600, 760), |root| {
        let panels = root.split_evenly((1, models.len()));
        // The range of every finite value, in the long table's order (the oracle once per
        // model, then each model's predictions).
        let all = || {
            models
                .iter()
                .flat_map(|_| oracle_net_effect.iter())
                .chain(predicted.iter().flatten())
                .copied()
                .filter(|v| v.is_finite())
        };
        let lo = all().fold(f64::INFINITY, f64::min);
        let hi = all().fold(f64::NEG_INFINITY, f64::max);
        let pad = (hi - lo).max(1e-9) * 0.05;
        let range = (lo - pad)..(hi + pad);
        for ((area, model), predicted) in panels.iter().zip(&models).zip(&predicted) {
            let slates = conditional.slates();
            let n = slates as f64;
            let (mx, my) = (
                oracle_net_effect.iter().sum::<f64>() / n,
                predicted.iter().sum::<f64>() / n,
            );
            let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
            for (o, p) in oracle_net_effect.iter().zip(predicted) {
                let (dx, dy) = (o - mx, p - my);
                sxy += dx * dy;
                sxx += dx * dx;
                syy += dy * dy;
            }
            let correlation = sxy / (sxx * syy).sqrt();
            let shown: Vec<usize> = if slates > SCATTER_POINTS {
                (0..SCATTER_POINTS).map(|k| k * slates / SCATTER_POINTS).collect()
            } else {
                (0..slates).collect()
            };
            // Said under the axis: the panel's title has no room for it.
            let sampled = if shown.len() < slates {
                format!(
                    "; {} of {} slates drawn",
                    thousands(shown.len() as u64),
                    thousands(slates as u64)
                )
            } else {
                String::new()
            };
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!("{model}: out-of-fold predicted vs oracle net effect (r = {correlation:.2})"),
                    (FAMILY, 21).into_font().style(FontStyle::Bold),
                )
                .margin(18)
                .x_label_area_size(56)
                .y_label_area_size(70)
                .build_cartesian_2d(range.clone(), range.clone())
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .x_desc(format!("Oracle net effect of promotion (clicks per slate){sampled}"))
                .y_desc("Predicted net effect")
                .x_label_formatter(&|v| format_tick(*v))
                .y_label_formatter(&|v| format_tick(*v))
                .label_style((FAMILY, 16))
                .axis_desc_style((FAMILY, 17))
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(shown.iter().map(|i| {
                    Circle::new(
                        (oracle_net_effect[*i], predicted[*i]),
                        2,
                        NEUTRAL.mix(0.35).filled(),
                    )
                }))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(range.start, range.start), (range.end, range.end)],
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| e.to_string())?;
            for zero in [
                vec![(0.0, range.start), (0.0, range.end)],
                vec![(range.start, 0.0), (range.end, 0.0)],
            ] {
                chart
                    .draw_series(std::iter::once(PathElement::new(zero, BLACK.mix(0.4).stroke_width(1))))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })?);
    }

    // Targeting rules: oracle value and the AIPW estimate from the randomized data.
    written.push(render_png(
        figures_dir,
        MODELS_FIGURES[1],
        (1600, 1000),
        |root| {
            let rows: Vec<IntervalRow> = (0..policies.len())
                .flat_map(|i| {
                    let share = 100.0 * policies.share_promoted[i];
                    // A rule promoting one slate in 3,000 must not read as "0% promoted".
                    let share = if share > 0.0 && share < 0.5 {
                        "<1%".to_string()
                    } else {
                        format!("{share:.0}%")
                    };
                    let rule = format!("{} ({share} promoted)", policies.policy[i]);
                    let aipw = |label: String| IntervalRow {
                        label,
                        estimate: policies.aipw_value_per_1000[i],
                        lower: policies.aipw_ci_95_lower_per_1000[i],
                        upper: policies.aipw_ci_95_upper_per_1000[i],
                        color: THIRD,
                    };
                    match &policy_truth {
                        Some(t) => {
                            let lift = t.oracle_lift_per_1000_eligible_slates[i];
                            vec![
                                IntervalRow {
                                    label: format!("{rule} · oracle"),
                                    estimate: lift,
                                    lower: lift,
                                    upper: lift,
                                    color: signed_color(lift),
                                },
                                aipw("AIPW estimate from the experiment".into()),
                            ]
                        }
                        None => vec![aipw(format!("{rule} · AIPW estimate"))],
                    }
                })
                .collect();
            interval_panel(
                root,
                if policy_truth.is_some() {
                    "Targeting rules: oracle lift (green/red) and AIPW estimate with 95% CI (purple)"
                } else {
                    "Targeting rules: AIPW estimate from the experiment with 95% CI"
                },
                "Change in expected clicks per 1,000 eligible slates",
                &rows,
                RowStyle::Points,
                640,
            )
        },
    )?);

    // Heterogeneity: oracle vs predicted vs AIPW by focal cluster and by position band.
    written.push(render_png(figures_dir, MODELS_FIGURES[2], (1600, 1500), |root| {
        let (top, bottom) = root.split_vertically(1040);
        let rows = |dimension: Dimension| -> Vec<IntervalRow> {
            (0..heterogeneity.len())
                .filter(|i| heterogeneity.dimension[*i] == dimension)
                .flat_map(|i| {
                    let h = &heterogeneity;
                    let point = |label: String, value: f64, color| IntervalRow {
                        label,
                        estimate: value,
                        lower: value,
                        upper: value,
                        color,
                    };
                    let group = format!("{} ({} slates)", h.group[i], thousands(u64::from(h.slates[i])));
                    let mut rows = Vec::new();
                    let lightgbm_label = match &heterogeneity_truth {
                        Some(t) => {
                            rows.push(point(format!("{group} · oracle"), t.oracle_net_effect[i], RGBColor(0, 0, 0)));
                            format!("{} predicted", Learner::LightGbm)
                        }
                        None => format!("{group} · {} predicted", Learner::LightGbm),
                    };
                    rows.extend([
                        point(lightgbm_label, h.lightgbm_predicted_net_effect[i], NEUTRAL),
                        point(format!("{} predicted", Learner::XgBoost), h.xgboost_predicted_net_effect[i], SECOND),
                        IntervalRow {
                            label: "AIPW estimate".into(),
                            estimate: h.aipw_net_effect[i],
                            lower: h.aipw_net_effect[i] - Z_95 * h.aipw_se[i],
                            upper: h.aipw_net_effect[i] + Z_95 * h.aipw_se[i],
                            color: THIRD,
                        },
                    ]);
                    rows
                })
                .collect()
        };
        interval_panel(
            &top,
            if heterogeneity_truth.is_some() {
                "Net effect of promotion by focal cluster: oracle, predicted (out of fold), AIPW 95% CI"
            } else {
                "Net effect of promotion by focal cluster: predicted (out of fold), AIPW 95% CI"
            },
            "Change in clicks per slate",
            &rows(Dimension::FocalCluster),
            RowStyle::Points,
            460,
        )?;
        interval_panel(
            &bottom,
            "By focal seed-position band",
            "Change in clicks per slate",
            &rows(Dimension::FocalPositionBand),
            RowStyle::Points,
            460,
        )
    })?);
    Ok(written)
}
