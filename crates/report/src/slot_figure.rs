//! The target-slot figure of the design sweep: where should the promoted tile go? The true
//! direct and spillover effects per item, the true total per slate and the power of the
//! total's test, against the slot the focal movie is promoted to, the best slot for the slate
//! and the run's own design marked.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use slate_estimate::tables::{DESIGN_SWEEP, DesignSweepTable, Knob};

use crate::ReportError;
use crate::charts::{FAMILY, GAIN, LOSS, SECOND, format_tick, render_png};
use crate::estimator_figures::read_rows;

/// File name of the figure [`target_slot_figure`] writes.
pub const TARGET_SLOT_FIGURE: &str = "31_target_slot_sweep.png";

/// The sweep's target-slot rows, in slot order.
fn slot_rows(table: &DesignSweepTable) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..table.len())
        .filter(|i| table.knob[*i] == Knob::TargetPosition)
        .collect();
    rows.sort_by(|a, b| table.value_numeric[*a].total_cmp(&table.value_numeric[*b]));
    rows
}

/// The row of the slot with the best (highest) true total effect among `rows`.
pub fn best_slot(table: &DesignSweepTable, rows: &[usize]) -> Option<usize> {
    rows.iter()
        .copied()
        .max_by(|a, b| table.true_total_effect[*a].total_cmp(&table.true_total_effect[*b]))
}

/// A value range over `values` and 0, padded by 8%.
fn padded(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = 0.08 * (hi - lo).max(1e-9);
    (lo - pad)..(hi + pad)
}

/// Draws the target-slot figure from `movielens_interference_design_sweep.csv`; `None` (and
/// nothing written) when the sweep has no target-slot points.
pub fn target_slot_figure(
    processed_dir: &Path,
    figures_dir: &Path,
) -> Result<Option<PathBuf>, ReportError> {
    let table = read_rows(
        processed_dir,
        &DESIGN_SWEEP,
        DesignSweepTable::from_frame,
        DesignSweepTable::len,
    )?;
    let rows = slot_rows(&table);
    let Some(best) = best_slot(&table, &rows) else {
        return Ok(None);
    };
    let (n_slates, replicates) = (table.n_slates[rows[0]], table.replicates[rows[0]]);
    let first = table.value_numeric[rows[0]];
    let last = table.value_numeric[rows[rows.len() - 1]];
    let x_range = (first - 0.4)..(last + 0.4);
    let slot_ticks = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{}", v.round())
        } else {
            String::new()
        }
    };
    let item_range = padded(rows.iter().flat_map(|i| {
        [
            table.true_direct_effect[*i],
            table.true_non_focal_effect[*i],
        ]
    }));
    let total_range = padded(rows.iter().map(|i| table.true_total_effect[*i]));
    let path = render_png(figures_dir, TARGET_SLOT_FIGURE, (1800, 560), |root| {
        let (header, body) = root.split_vertically(100);
        header
            .titled(
                "Where should the promoted tile go? Effects and power against the target slot",
                (FAMILY, 24),
            )
            .map_err(|e| e.to_string())?;
        let verdict = if table.true_total_effect[best] > 0.0 {
            format!(
                "Best slot for the slate: {} ({:+.3} clicks per slate).",
                table.value[best], table.true_total_effect[best]
            )
        } else {
            format!(
                "Every slot loses clicks for the slate; the least loss is at slot {} ({:+.3} clicks per slate).",
                table.value[best], table.true_total_effect[best]
            )
        };
        header
            .draw_text(
                &format!(
                    "True effects of promoting the focal movie to each slot (the focal window moves with the slot, so every focal starts below it). \
                     Power: 5% test of the total with {n_slates} slates ({replicates} experiments ±1.96 MC SE; line: analytic)."
                ),
                &(FAMILY, 16).into_text_style(&header),
                (40, 50),
            )
            .map_err(|e| e.to_string())?;
        header
            .draw_text(
                &format!("{verdict} Ringed: the run's design."),
                &(FAMILY, 16).into_text_style(&header),
                (40, 74),
            )
            .map_err(|e| e.to_string())?;
        let areas = body.split_evenly((1, 3));
        let zero_line = |range: &std::ops::Range<f64>| {
            PathElement::new(
                vec![(range.start, 0.0), (range.end, 0.0)],
                BLACK.mix(0.4).stroke_width(1),
            )
        };
        // Left: the per-item effects.
        let mut chart = ChartBuilder::on(&areas[0])
            .caption(
                "True direct and spillover effects per item",
                (FAMILY, 19).into_font().style(FontStyle::Bold),
            )
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range.clone(), item_range.clone())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc("Target slot")
            .y_desc("Click probability per item")
            .x_labels(rows.len() + 2)
            .x_label_formatter(&slot_ticks)
            .y_label_formatter(&|v| format_tick(*v))
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 16))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(std::iter::once(zero_line(&x_range)))
            .map_err(|e| e.to_string())?;
        for (name, color, values) in [
            ("Direct (focal movie)", GAIN, &table.true_direct_effect),
            (
                "Spillover (every non-focal movie)",
                LOSS,
                &table.true_non_focal_effect,
            ),
        ] {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .map(|i| (table.value_numeric[*i], values[*i]))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
            chart
                .draw_series(points.iter().map(|p| Circle::new(*p, 5, color.filled())))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FAMILY, 15))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        // Middle: the total per slate.
        let mut chart = ChartBuilder::on(&areas[1])
            .caption(
                "True total-slate effect",
                (FAMILY, 19).into_font().style(FontStyle::Bold),
            )
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range.clone(), total_range.clone())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc("Target slot")
            .y_desc("Clicks per slate")
            .x_labels(rows.len() + 2)
            .x_label_formatter(&slot_ticks)
            .y_label_formatter(&|v| format_tick(*v))
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 16))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(std::iter::once(zero_line(&x_range)))
            .map_err(|e| e.to_string())?;
        let totals: Vec<(f64, f64)> = rows
            .iter()
            .map(|i| (table.value_numeric[*i], table.true_total_effect[*i]))
            .collect();
        chart
            .draw_series(LineSeries::new(totals.clone(), SECOND.stroke_width(3)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(totals.iter().map(|p| Circle::new(*p, 5, SECOND.filled())))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(std::iter::once(Cross::new(
                (table.value_numeric[best], table.true_total_effect[best]),
                12,
                BLACK.stroke_width(3),
            )))
            .map_err(|e| e.to_string())?
            .label("Best slot for the slate")
            .legend(|(x, y)| Cross::new((x + 10, y), 8, BLACK.stroke_width(3)));
        for i in rows.iter().filter(|i| table.is_run_design[**i]) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (table.value_numeric[*i], table.true_total_effect[*i]),
                    10,
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FAMILY, 15))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        // Right: the power of the total's test.
        let mut chart = ChartBuilder::on(&areas[2])
            .caption(
                "Power of the total's test",
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
            .x_desc("Target slot")
            .y_desc("Power")
            .x_labels(rows.len() + 2)
            .x_label_formatter(&slot_ticks)
            .y_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 16))
            .draw()
            .map_err(|e| e.to_string())?;
        crate::sweep_figure::draw_power(&mut chart, &table, &rows, &x_range)?;
        Ok(())
    })?;
    Ok(Some(path))
}
