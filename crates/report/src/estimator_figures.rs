//! The estimators notebook's figures, drawn from the tables the estimate stage wrote.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use slate_estimate::contrasts::{Contrast, OutcomeView};
use slate_estimate::inference::{ClusteredMethod, Clustering};
use slate_estimate::tables::{
    BOOTSTRAP_DISTRIBUTION, BootstrapDistribution, CLUSTER_EFFECTS, ClusterEffects, ESTIMATES,
    Estimates, INFERENCE_COMPARISON, InferenceComparison, SLATE_DECOMPOSITION, SlateDecomposition,
};
use slate_table::{Label, TableSchema};

use crate::ReportError;
use crate::charts::{
    IntervalRow, NEUTRAL, RowStyle, SECOND, THIRD, histogram_panel, interval_panel, render_png,
    signed_color,
};

/// File names of the figures [`estimator_figures`] writes, in order.
pub const ESTIMATOR_FIGURES: [&str; 6] = [
    "08_observed_effects_cluster_ci.png",
    "10_estimates_vs_known_lift.png",
    "13_cluster_bootstrap_distributions.png",
    "14_total_effect_decomposition.png",
    "17_cluster_level_effects.png",
    "18_inference_method_comparison.png",
];

pub(crate) fn read<T>(
    dir: &Path,
    schema: &TableSchema,
    from: impl Fn(&slate_table::polars::prelude::DataFrame, &str) -> Result<T, slate_table::TableError>,
) -> Result<T, ReportError> {
    let path = dir.join(schema.file_name);
    let frame = slate_table::read_csv(&path, schema)?;
    Ok(from(&frame, &path.display().to_string())?)
}

/// [`read`] for a figure that needs rows: an empty table is an error naming it.
pub(crate) fn read_rows<T>(
    dir: &Path,
    schema: &TableSchema,
    from: impl Fn(&slate_table::polars::prelude::DataFrame, &str) -> Result<T, slate_table::TableError>,
    len: impl Fn(&T) -> usize,
) -> Result<T, ReportError> {
    let table = read(dir, schema, from)?;
    if len(&table) == 0 {
        return Err(ReportError::Empty {
            table: schema.file_name.into(),
        });
    }
    Ok(table)
}

fn row_of(estimates: &Estimates, i: usize, label: String, color: RGBColor) -> IntervalRow {
    IntervalRow {
        label,
        estimate: estimates.estimate[i],
        lower: estimates.ci_95_lower[i],
        upper: estimates.ci_95_upper[i],
        color,
    }
}

/// Draws every estimator figure from the tables in `processed_dir` into `figures_dir`.
pub fn estimator_figures(
    processed_dir: &Path,
    figures_dir: &Path,
    truth: bool,
    clustering: Clustering,
) -> Result<Vec<PathBuf>, ReportError> {
    let clustered = clustering.adjective();
    let estimates: Estimates = read(processed_dir, &ESTIMATES, Estimates::from_frame)?;
    let bootstrap: BootstrapDistribution = read(
        processed_dir,
        &BOOTSTRAP_DISTRIBUTION,
        BootstrapDistribution::from_frame,
    )?;
    // The known-lift decomposition exists only when the log has truth columns.
    let decomposition: Option<SlateDecomposition> = truth
        .then(|| {
            read(
                processed_dir,
                &SLATE_DECOMPOSITION,
                SlateDecomposition::from_frame,
            )
        })
        .transpose()?;
    let cluster_effects: ClusterEffects =
        read(processed_dir, &CLUSTER_EFFECTS, ClusterEffects::from_frame)?;
    if estimates.is_empty() {
        return Err(ReportError::Empty {
            table: ESTIMATES.file_name.into(),
        });
    }
    let find = |contrast: Contrast, observed_only: bool| -> Vec<usize> {
        (0..estimates.len())
            .filter(|i| {
                estimates.contrast[*i] == contrast
                    && (!observed_only
                        || estimates.outcome[*i].view() == Some(OutcomeView::Observed))
            })
            .collect()
    };
    let item_contrasts: Vec<Contrast> = Contrast::ALL
        .into_iter()
        .filter(|c| !c.is_slate_level())
        .collect();
    let slate_contrast = Contrast::TotalSlate;
    let mut written = Vec::new();

    // 8. Observed estimates with cluster-robust intervals: item rows and slates.
    written.push(render_png(
        figures_dir,
        ESTIMATOR_FIGURES[0],
        (1500, 900),
        |root| {
            let (top, bottom) = root.split_vertically(600);
            let item_rows: Vec<IntervalRow> = item_contrasts
                .iter()
                .flat_map(|c| find(*c, true))
                .map(|i| {
                    row_of(
                        &estimates,
                        i,
                        estimates.contrast[i].to_string(),
                        signed_color(estimates.estimate[i]),
                    )
                })
                .collect();
            interval_panel(
                &top,
                &format!("Observed effects per item row, 95% {clustered} intervals"),
                "Change in click probability (promoted minus control slates)",
                &item_rows,
                RowStyle::Points,
                330,
            )?;
            let slate_rows: Vec<IntervalRow> = find(slate_contrast, true)
                .into_iter()
                .map(|i| {
                    row_of(
                        &estimates,
                        i,
                        Contrast::TotalSlate.to_string(),
                        signed_color(estimates.estimate[i]),
                    )
                })
                .collect();
            interval_panel(
                &bottom,
                "Observed total effect per slate",
                "Change in total clicks per slate",
                &slate_rows,
                RowStyle::Points,
                330,
            )
        },
    )?);

    // 10. Observed vs expected vs known lift per contrast, and 14 below: with truth only;
    // without it, copies from an earlier run in the same folder are removed.
    if !truth {
        slate_table::remove_stale(figures_dir, ESTIMATOR_FIGURES[1])?;
        slate_table::remove_stale(figures_dir, ESTIMATOR_FIGURES[3])?;
    }
    if truth {
        written.push(render_png(
        figures_dir,
        ESTIMATOR_FIGURES[1],
        (1500, 1150),
        |root| {
            let (top, bottom) = root.split_vertically(820);
            let colors = [NEUTRAL, SECOND, THIRD];
            let views = |contrasts: &[Contrast]| -> Vec<IntervalRow> {
                contrasts
                    .iter()
                    .flat_map(|c| find(*c, false))
                    .map(|i| {
                        // A further outcome of the log is drawn as observed.
                        let view = match estimates.outcome[i].view() {
                            Some(OutcomeView::Expected) => 1,
                            Some(OutcomeView::KnownLift) => 2,
                            Some(OutcomeView::Observed) | None => 0,
                        };
                        let name = ["observed", "expected prob.", "known lift"][view];
                        row_of(
                            &estimates,
                            i,
                            format!("{} · {name}", estimates.contrast[i]),
                            colors[view],
                        )
                    })
                    .collect()
            };
            interval_panel(
                &top,
                "Item rows: observed (blue), expected probability (orange), known lift (purple)",
                &format!("Estimated effect per item row, with 95% {clustered} intervals"),
                &views(&item_contrasts),
                RowStyle::Points,
                470,
            )?;
            interval_panel(
                &bottom,
                "Slates: observed, expected and known total lift",
                "Estimated effect on total clicks per slate",
                &views(&[slate_contrast]),
                RowStyle::Points,
                470,
            )
        },
    )?);
    }

    // 13. Bootstrap distributions, one panel per contrast.
    written.push(render_png(
        figures_dir,
        ESTIMATOR_FIGURES[2],
        (1500, 1250),
        |root| {
            let _ = root.titled(
                &format!(
                    "Cluster bootstrap distributions of the observed effects ({} resampled)",
                    match clustering {
                        Clustering::Slate => "slates",
                        Clustering::Unit => "units",
                    }
                ),
                (crate::charts::FAMILY, 26)
                    .into_font()
                    .style(FontStyle::Bold),
            );
            let body = root.margin(50, 0, 0, 0);
            let panels = body.split_evenly((3, 2));
            for (panel, contrast) in panels.iter().zip(Contrast::ALL) {
                let values: Vec<f64> = (0..bootstrap.len())
                    .filter(|i| bootstrap.contrast[*i] == contrast)
                    .map(|i| bootstrap.estimate[i])
                    .collect();
                let unit = if contrast.is_slate_level() {
                    "Bootstrap estimate (clicks per slate)"
                } else {
                    "Bootstrap estimate (click probability)"
                };
                histogram_panel(panel, contrast.text(), unit, &values, 35)?;
            }
            Ok(())
        },
    )?);

    // 14. Known expected-lift decomposition of promoted slates (with truth only).
    if let Some(decomposition) = &decomposition {
        written.push(render_png(
        figures_dir,
        ESTIMATOR_FIGURES[3],
        (1500, 650),
        |root| {
            let rows: Vec<IntervalRow> = (0..decomposition.len())
                .map(|i| {
                    IntervalRow::signed_point(
                        decomposition.component[i].to_string(),
                        decomposition.mean_lift_per_promoted_slate[i],
                    )
                })
                .collect();
            interval_panel(
                root,
                "Known expected-lift decomposition in promoted slates (gains green, losses red)",
                "Mean change in expected clicks per promoted slate",
                &rows,
                RowStyle::Bars,
                330,
            )
        },
    )?);
    }

    // 17. Exploratory cluster-level effects.
    written.push(render_png(
        figures_dir,
        ESTIMATOR_FIGURES[4],
        (1500, 1100),
        |root| {
            let (left, right) = root.split_horizontally(750);
            for (area, contrast, title) in [
                (
                    &left,
                    Contrast::DirectFocal,
                    "Direct focal effect by focal cluster",
                ),
                (
                    &right,
                    Contrast::SameCluster,
                    "Same-cluster spillover by focal cluster",
                ),
            ] {
                let rows: Vec<IntervalRow> = (0..cluster_effects.len())
                    .filter(|i| cluster_effects.contrast[*i] == contrast)
                    .map(|i| {
                        IntervalRow::signed(
                            cluster_effects.focal_cluster[i].clone(),
                            cluster_effects.estimate[i],
                            cluster_effects.ci_95_lower[i],
                            cluster_effects.ci_95_upper[i],
                        )
                    })
                    .collect();
                if rows.is_empty() {
                    continue;
                }
                interval_panel(
                    area,
                    title,
                    &format!("Observed effect, 95% {clustered} CI"),
                    &rows,
                    RowStyle::Points,
                    150,
                )?;
            }
            Ok(())
        },
    )?);
    // 18. The same observed effects under every interval-giving uncertainty method.
    let inference: InferenceComparison = read(
        processed_dir,
        &INFERENCE_COMPARISON,
        InferenceComparison::from_frame,
    )?;
    written.push(render_png(
        figures_dir,
        ESTIMATOR_FIGURES[5],
        (1600, 1750),
        |root| {
            let (top, bottom) = root.split_vertically(1320);
            let colors = [
                THIRD,
                NEUTRAL,
                SECOND,
                RGBColor(140, 86, 75),
                RGBColor(227, 119, 194),
                RGBColor(127, 127, 127),
                RGBColor(188, 189, 34),
                // The two Lin-adjusted rows.
                RGBColor(23, 190, 207),
                RGBColor(44, 160, 44),
            ];
            let methods: Vec<ClusteredMethod> = {
                let mut m: Vec<ClusteredMethod> = Vec::new();
                for i in 0..inference.len() {
                    if inference.ci_95_lower[i].is_finite() && !m.contains(&inference.method[i]) {
                        m.push(inference.method[i]);
                    }
                }
                m
            };
            let rows = |contrasts: &[Contrast]| -> Vec<IntervalRow> {
                contrasts
                    .iter()
                    .flat_map(|c| {
                        methods.iter().enumerate().filter_map(|(k, method)| {
                            (0..inference.len())
                                .find(|i| {
                                    inference.contrast[*i] == *c && inference.method[*i] == *method
                                })
                                .map(|i| IntervalRow {
                                    label: format!("{} · {}", inference.contrast[i], method),
                                    estimate: inference.estimate[i],
                                    lower: inference.ci_95_lower[i],
                                    upper: inference.ci_95_upper[i],
                                    color: colors[k % colors.len()],
                                })
                        })
                    })
                    .collect()
            };
            interval_panel(
                &top,
                "Observed item-row effects: 95% intervals under each uncertainty method",
                "Observed effect per item row",
                &rows(&item_contrasts),
                RowStyle::Points,
                680,
            )?;
            interval_panel(
                &bottom,
                "Total slate effect: 95% intervals under each uncertainty method",
                "Observed effect on total clicks per slate",
                &rows(&[slate_contrast]),
                RowStyle::Points,
                680,
            )
        },
    )?);
    Ok(written)
}
