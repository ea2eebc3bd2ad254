//! The design sweep's figure: one row per design knob, the true total-slate effect on the
//! left and the power of its test on the right, the run's own design marked.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use slate_estimate::power::TARGET_POWER;
use slate_estimate::tables::Knob;
use slate_estimate::tables::{DESIGN_SWEEP, DesignSweepTable};

use crate::ReportError;
use crate::charts::{
    FAMILY, LOSS, NEUTRAL, distinct_in_order, format_tick, render_png, share_point,
};
use crate::estimator_figures::read_rows;

/// File name of the figure [`sweep_figure`] writes.
pub const SWEEP_FIGURE: &str = "30_design_sweep.png";

/// Draws the design-sweep figure from `movielens_interference_design_sweep.csv`.
pub fn sweep_figure(processed_dir: &Path, figures_dir: &Path) -> Result<PathBuf, ReportError> {
    let table = read_rows(
        processed_dir,
        &DESIGN_SWEEP,
        DesignSweepTable::from_frame,
        DesignSweepTable::len,
    )?;
    let knobs = distinct_in_order(&table.knob);
    let (n_slates, replicates) = (table.n_slates[0], table.replicates[0]);
    let lowest = table.true_total_effect.iter().copied().fold(0.0, f64::min);
    let highest = table.true_total_effect.iter().copied().fold(0.0, f64::max);
    let pad = 0.08 * (highest - lowest).max(1e-9);
    let effect_range = (lowest - pad)..(highest + pad);
    render_png(
        figures_dir,
        SWEEP_FIGURE,
        (1500, 90 + 400 * knobs.len() as u32),
        |root| {
            let (header, body) = root.split_vertically(90);
            header
                .titled(
                    "Design sweep, one knob at a time: the true total-slate effect and the power of its test",
                    (FAMILY, 24),
                )
                .map_err(|e| e.to_string())?;
            header
                .draw_text(
                    &format!(
                        "Left: true effect (clicks per slate). Right: power of the 5% test with \
                         {n_slates} slates (points: {replicates} experiments ±1.96 MC SE; line: \
                         analytic). Ringed: the run's design."
                    ),
                    &(FAMILY, 17).into_text_style(&header),
                    (40, 55),
                )
                .map_err(|e| e.to_string())?;
            let areas = body.split_evenly((knobs.len(), 2));
            for (k, knob) in knobs.iter().enumerate() {
                let rows: Vec<usize> = (0..table.len())
                    .filter(|i| table.knob[*i] == *knob)
                    .collect();
                let xs: Vec<f64> = rows.iter().map(|i| table.value_numeric[*i]).collect();
                let (lo, hi) = xs
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
                let margin = 0.06 * (hi - lo).max(1e-9);
                let x_range = (lo - margin)..(hi + margin);
                let x_desc = if *knob == Knob::FocalWindow {
                    "Focal window (mean seed position; the window is in the table)".to_string()
                } else {
                    knob.to_string()
                };
                // Left: the truth.
                let mut chart = ChartBuilder::on(&areas[2 * k])
                    .caption(
                        format!("True total-slate effect vs {knob}"),
                        (FAMILY, 19).into_font().style(FontStyle::Bold),
                    )
                    .margin(16)
                    .x_label_area_size(50)
                    .y_label_area_size(70)
                    .build_cartesian_2d(x_range.clone(), effect_range.clone())
                    .map_err(|e| e.to_string())?;
                chart
                    .configure_mesh()
                    .light_line_style(TRANSPARENT)
                    .x_desc(x_desc.as_str())
                    .y_desc("Clicks per slate")
                    .x_label_formatter(&|v| format_tick(*v))
                    .y_label_formatter(&|v| format_tick(*v))
                    .label_style((FAMILY, 15))
                    .axis_desc_style((FAMILY, 16))
                    .draw()
                    .map_err(|e| e.to_string())?;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x_range.start, 0.0), (x_range.end, 0.0)],
                        BLACK.mix(0.4).stroke_width(1),
                    )))
                    .map_err(|e| e.to_string())?;
                let truth: Vec<(f64, f64)> = rows
                    .iter()
                    .map(|i| (table.value_numeric[*i], table.true_total_effect[*i]))
                    .collect();
                chart
                    .draw_series(LineSeries::new(truth.clone(), LOSS.stroke_width(3)))
                    .map_err(|e| e.to_string())?;
                chart
                    .draw_series(truth.iter().map(|p| Circle::new(*p, 5, LOSS.filled())))
                    .map_err(|e| e.to_string())?;
                for i in rows.iter().filter(|i| table.is_run_design[**i]) {
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (table.value_numeric[*i], table.true_total_effect[*i]),
                            10,
                            BLACK.stroke_width(2),
                        )))
                        .map_err(|e| e.to_string())?;
                }
                // Right: the power.
                let mut chart = ChartBuilder::on(&areas[2 * k + 1])
                    .caption(
                        format!("Power of the total's test vs {knob}"),
                        (FAMILY, 19).into_font().style(FontStyle::Bold),
                    )
                    .margin(16)
                    .x_label_area_size(50)
                    .y_label_area_size(70)
                    .build_cartesian_2d(x_range.clone(), 0.0..1.02)
                    .map_err(|e| e.to_string())?;
                chart
                    .configure_mesh()
                    .light_line_style(TRANSPARENT)
                    .x_desc(x_desc.as_str())
                    .y_desc("Power")
                    .x_label_formatter(&|v| format_tick(*v))
                    .y_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
                    .label_style((FAMILY, 15))
                    .axis_desc_style((FAMILY, 16))
                    .draw()
                    .map_err(|e| e.to_string())?;
                draw_power(&mut chart, &table, &rows, &x_range)?;
            }
            Ok(())
        },
    )
}

/// The power marks of the sweep's `rows` (x: their numeric value): the 80% line across
/// `x_range`, the analytic power as a line, the simulated power as points with their ±1.96
/// Monte-Carlo SE, the run's design ringed. Figures 30 and 31 draw their power panels so.
pub(crate) fn draw_power<DB, CT>(
    chart: &mut ChartContext<'_, DB, CT>,
    table: &DesignSweepTable,
    rows: &[usize],
    x_range: &std::ops::Range<f64>,
) -> Result<(), String>
where
    DB: DrawingBackend,
    CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
{
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(x_range.start, TARGET_POWER), (x_range.end, TARGET_POWER)],
            BLACK.mix(0.35).stroke_width(1),
        )))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            rows.iter()
                .map(|i| (table.value_numeric[*i], table.analytic_power_total[*i])),
            NEUTRAL.stroke_width(3),
        ))
        .map_err(|e| e.to_string())?;
    for i in rows {
        let (x, p, se) = (
            table.value_numeric[*i],
            table.power_total[*i],
            table.power_mc_se[*i],
        );
        share_point(chart, (x, p), se, NEUTRAL.stroke_width(2), NEUTRAL.filled())?;
        if table.is_run_design[*i] {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (x, p),
                    10,
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
