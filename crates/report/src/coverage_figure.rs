//! The coverage study's figure: each method's interval coverage per contrast, against the
//! 93.5–96.5% band around the nominal 95%.

use std::path::{Path, PathBuf};

use slate_estimate::contrasts::Contrast;
use slate_estimate::coverage::TARGET_COVERAGE;
use slate_estimate::dim::Z_95;
use slate_estimate::tables::{COVERAGE, CoverageTable, Scenario};
use slate_table::Label;

use crate::ReportError;
use crate::charts::{
    FAMILY, GAIN, IntervalRow, LOSS, SECOND, distinct_in_order, render_png, share_panel,
    share_range,
};
use crate::estimator_figures::read_rows;

/// File name of the figure [`coverage_figure`] writes.
pub const COVERAGE_FIGURE: &str = "19_interval_coverage_by_method.png";

/// Draws the coverage figure from `movielens_interference_coverage.csv` in `processed_dir`.
pub fn coverage_figure(processed_dir: &Path, figures_dir: &Path) -> Result<PathBuf, ReportError> {
    let table = read_rows(
        processed_dir,
        &COVERAGE,
        CoverageTable::from_frame,
        CoverageTable::len,
    )?;
    let replicates = table.replicates[0];
    // One column per scenario, in the table's order.
    let scenarios = distinct_in_order(&table.scenario);
    let panels = Contrast::ALL.len() as u32;
    let panel_height = 330;
    let column_width = 1500;
    render_png(
        figures_dir,
        COVERAGE_FIGURE,
        (
            column_width * scenarios.len() as u32,
            90 + panels * panel_height,
        ),
        |root| {
            let (header, body) = root.split_vertically(90);
            header
                .titled(
                    &format!(
                        "Coverage of nominal 95% intervals over {replicates} re-drawn experiments per scenario \
                         (±1.96 Monte-Carlo SE); green: consistent with 93.5–96.5%, red: below, orange: above"
                    ),
                    (FAMILY, 22),
                )
                .map_err(|e| e.to_string())?;
            let row = |i: usize| {
                let (c, se) = (table.coverage[i], table.coverage_mc_se[i]);
                let (lower, upper) = ((c - Z_95 * se).max(0.0), (c + Z_95 * se).min(1.0));
                // Coloured by what the replicates can tell: clearly below or above the band,
                // or consistent with it given the Monte-Carlo error.
                let color = if upper < TARGET_COVERAGE.0 {
                    LOSS
                } else if lower > TARGET_COVERAGE.1 {
                    SECOND
                } else {
                    GAIN
                };
                IntervalRow {
                    label: table.method[i].to_string(),
                    estimate: c,
                    lower,
                    upper,
                    color,
                }
            };
            // One axis for every panel, so coverage compares across contrasts and scenarios at
            // a glance.
            let all: Vec<IntervalRow> = (0..table.len()).map(row).collect();
            let range = share_range(&all, TARGET_COVERAGE);
            let columns = body.split_evenly((1, scenarios.len()));
            for (column, scenario) in columns.iter().zip(&scenarios) {
                let areas = column.split_evenly((Contrast::ALL.len(), 1));
                for (area, contrast) in areas.iter().zip(Contrast::ALL) {
                    let rows: Vec<IntervalRow> = (0..table.len())
                        .filter(|i| {
                            table.contrast[*i] == contrast && table.scenario[*i] == *scenario
                        })
                        .map(row)
                        .collect();
                    let title = if scenarios.len() > 1 {
                        format!(
                            "{} — scenario: {}",
                            contrast.text(),
                            scenario_title(*scenario)
                        )
                    } else {
                        contrast.text().to_string()
                    };
                    share_panel(
                        area,
                        &title,
                        "Share of replicates whose 95% interval contains the true effect",
                        &rows,
                        TARGET_COVERAGE,
                        range.clone(),
                        520,
                    )?;
                }
            }
            Ok(())
        },
    )
}

/// A scenario's table name as a reader says it (`correlated_user_randomized` →
/// "correlated user randomized").
fn scenario_title(scenario: Scenario) -> String {
    scenario.text().replace('_', " ")
}
