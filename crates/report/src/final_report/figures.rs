//! Figures 25–28 of the final report.

use std::path::PathBuf;

use slate_estimate::contrasts::Contrast;
use slate_estimate::decompose::SpilloverSensitivity;

use slate_models::tables::{PolicyTargeting, PolicyTruth};

use super::tables::*;
use crate::ReportError;
use crate::charts::{IntervalRow, RowStyle, interval_panel, render_png};
use crate::paths::ReportPaths;

pub(super) fn final_figures(
    paths: &ReportPaths,
    main: &FinalMainEffects,
    decomposition: &FinalDecomposition,
    sensitivity: &SpilloverSensitivity,
    policies: &PolicyTargeting,
    policy_truth: &PolicyTruth,
) -> Result<Vec<PathBuf>, ReportError> {
    let dir = &paths.figures_dir;
    let mut written = Vec::new();
    let effect_row = |i: usize| {
        IntervalRow::signed(
            main.contrast[i].to_string(),
            main.estimate[i],
            main.ci_95_lower[i],
            main.ci_95_upper[i],
        )
    };
    let slate = Contrast::TotalSlate;
    written.push(render_png(dir, FINAL_FIGURES[0], (1500, 900), |root| {
        let (top, bottom) = root.split_vertically(600);
        let items: Vec<IntervalRow> = (0..main.len())
            .filter(|i| main.contrast[*i] != slate)
            .map(effect_row)
            .collect();
        let slates: Vec<IntervalRow> = (0..main.len())
            .filter(|i| main.contrast[*i] == slate)
            .map(effect_row)
            .collect();
        interval_panel(
            &top,
            "Final main effects: item rows (95% slate-clustered CI)",
            "Change in click probability per item row",
            &items,
            RowStyle::Points,
            420,
        )?;
        interval_panel(
            &bottom,
            "Final main effects: whole slate",
            "Change in clicks per slate",
            &slates,
            RowStyle::Points,
            420,
        )
    })?);
    written.push(render_png(dir, FINAL_FIGURES[1], (1500, 650), |root| {
        let rows: Vec<IntervalRow> = (0..decomposition.len())
            .map(|i| {
                IntervalRow::signed(
                    decomposition.component_label[i].clone(),
                    decomposition.estimate_per_1000_promoted_slates[i],
                    decomposition.ci_95_lower_per_1000[i],
                    decomposition.ci_95_upper_per_1000[i],
                )
            })
            .collect();
        interval_panel(
            root,
            "Final decomposition per 1,000 promoted slates",
            "Change in simulated clicks per 1,000 promoted slates",
            &rows,
            RowStyle::Bars,
            380,
        )
    })?);
    written.push(render_png(dir, FINAL_FIGURES[2], (1500, 700), |root| {
        let rows = crate::decomposition_figures::sensitivity_rows(sensitivity);
        interval_panel(
            root,
            "Spillover under each competitor definition (95% CI)",
            "Change in click probability per item row",
            &rows,
            RowStyle::Points,
            420,
        )
    })?);
    written.push(render_png(dir, FINAL_FIGURES[3], (1500, 700), |root| {
        let mut order: Vec<usize> = (0..policies.len()).collect();
        order.sort_by(|a, b| {
            policy_truth.oracle_lift_per_1000_eligible_slates[*b]
                .total_cmp(&policy_truth.oracle_lift_per_1000_eligible_slates[*a])
                .then(a.cmp(b))
        });
        let rows: Vec<IntervalRow> = order
            .into_iter()
            .map(|i| {
                IntervalRow::signed_point(
                    policies.policy[i].to_string(),
                    policy_truth.oracle_lift_per_1000_eligible_slates[i],
                )
            })
            .collect();
        interval_panel(
            root,
            "Final advanced modeling check: targeted promotion policies",
            "Oracle lift per 1,000 eligible slates",
            &rows,
            RowStyle::Bars,
            480,
        )
    })?);
    Ok(written)
}
