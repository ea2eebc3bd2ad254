//! The decomposition notebook's figures: the direct/indirect/total decomposition, spillover
//! sensitivity, cluster risk and position risk.

use std::path::{Path, PathBuf};

use slate_estimate::contrasts::OutcomeView;
use slate_estimate::decompose::{
    CLUSTER_RISK, ClusterRisk, DIRECT_INDIRECT_TOTAL, DirectIndirectTotal, POSITION_RISK,
    PositionRisk, SPILLOVER_SENSITIVITY, SpilloverSensitivity,
};
use slate_estimate::inference::Clustering;

use crate::ReportError;
use crate::charts::{IntervalRow, RowStyle, interval_panel, render_png};
use crate::estimator_figures::read;

/// File names of the figures [`decomposition_figures`] writes, in order.
pub const DECOMPOSITION_FIGURES: [&str; 4] = [
    "20_direct_indirect_total_decomposition.png",
    "21_spillover_definition_sensitivity.png",
    "22_cluster_risk.png",
    "23_position_risk.png",
];

/// Draws every decomposition figure from the tables in `processed_dir` into `figures_dir`.
pub fn decomposition_figures(
    processed_dir: &Path,
    figures_dir: &Path,
    truth: bool,
    clustering: Clustering,
) -> Result<Vec<PathBuf>, ReportError> {
    let clustered = clustering.adjective();
    let effects: DirectIndirectTotal = read(
        processed_dir,
        &DIRECT_INDIRECT_TOTAL,
        DirectIndirectTotal::from_frame,
    )?;
    let sensitivity: SpilloverSensitivity = read(
        processed_dir,
        &SPILLOVER_SENSITIVITY,
        SpilloverSensitivity::from_frame,
    )?;
    let clusters: ClusterRisk = read(processed_dir, &CLUSTER_RISK, ClusterRisk::from_frame)?;
    let positions: PositionRisk = read(processed_dir, &POSITION_RISK, PositionRisk::from_frame)?;
    let mut written = Vec::new();

    written.push(render_png(figures_dir, DECOMPOSITION_FIGURES[0], (1500, 650), |root| {
        let rows: Vec<IntervalRow> = (0..effects.len())
            .filter(|i| effects.outcome_type[*i] == OutcomeView::Observed)
            .map(|i| IntervalRow::signed(effects.component[i].title(), effects.estimate_per_1000_promoted_slates[i], effects.ci_95_lower_per_1000[i], effects.ci_95_upper_per_1000[i]))
            .collect();
        interval_panel(
            root,
            "Direct, indirect and total effects per 1,000 promoted slates (observed clicks, 95% CI)",
            if truth {
                "Change in simulated clicks per 1,000 promoted slates"
            } else {
                "Change in clicks per 1,000 promoted slates"
            },
            &rows,
            RowStyle::Bars,
            360,
        )
    })?);

    written.push(render_png(
        figures_dir,
        DECOMPOSITION_FIGURES[1],
        (1500, 700),
        |root| {
            let rows = sensitivity_rows(&sensitivity);
            interval_panel(
                root,
                &format!(
                    "Spillover estimate under different competitor definitions (95% {clustered} CI)"
                ),
                "Change in click probability per competitor row (promoted minus control slates)",
                &rows,
                RowStyle::Points,
                330,
            )
        },
    )?);

    written.push(render_png(
        figures_dir,
        DECOMPOSITION_FIGURES[2],
        (1500, 700),
        |root| {
            let (left, right) = root.split_horizontally(750);
            let same: Vec<IntervalRow> = (0..clusters.len())
                .map(|i| {
                    IntervalRow::signed(
                        clusters.focal_cluster[i].clone(),
                        clusters.same_cluster_estimate[i],
                        clusters.same_cluster_ci_95_lower[i],
                        clusters.same_cluster_ci_95_upper[i],
                    )
                })
                .collect();
            let net: Vec<IntervalRow> = (0..clusters.len())
                .map(|i| {
                    IntervalRow::signed(
                        clusters.focal_cluster[i].clone(),
                        clusters.net_slate_estimate[i],
                        clusters.net_slate_ci_95_lower[i],
                        clusters.net_slate_ci_95_upper[i],
                    )
                })
                .collect();
            interval_panel(
                &left,
                "Same-cluster spillover, most exposed clusters",
                "Change per competitor row",
                &same,
                RowStyle::Points,
                150,
            )?;
            interval_panel(
                &right,
                "Net slate effect in the same clusters",
                "Change in total clicks per slate",
                &net,
                RowStyle::Points,
                150,
            )
        },
    )?);

    written.push(render_png(
        figures_dir,
        DECOMPOSITION_FIGURES[3],
        (1500, 600),
        |root| {
            let rows: Vec<IntervalRow> = (0..positions.len())
                .map(|i| {
                    IntervalRow::signed(
                        format!(
                            "Focal at {} (jump {})",
                            positions.position_band[i], positions.rank_jump[i]
                        ),
                        positions.net_slate_estimate[i],
                        positions.net_slate_ci_95_lower[i],
                        positions.net_slate_ci_95_upper[i],
                    )
                })
                .collect();
            interval_panel(
                root,
                "Net slate effect by the focal's seed position (larger rank jumps to the bottom)",
                &format!("Change in total clicks per slate, 95% {clustered} CI"),
                &rows,
                RowStyle::Points,
                300,
            )
        },
    )?);
    Ok(written)
}

/// One signed interval row per spillover definition (figures 21 and 27).
pub(crate) fn sensitivity_rows(sensitivity: &SpilloverSensitivity) -> Vec<IntervalRow> {
    (0..sensitivity.len())
        .map(|i| {
            IntervalRow::signed(
                sensitivity.definition[i].to_string(),
                sensitivity.estimate[i],
                sensitivity.ci_95_lower[i],
                sensitivity.ci_95_upper[i],
            )
        })
        .collect()
}
