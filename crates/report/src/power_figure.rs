//! The power study's figure: for each contrast, the power of each test against the number of
//! slates (log scale), simulated (points with ±1.96 Monte-Carlo SE) beside analytic (lines),
//! one colour per scenario.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use slate_estimate::contrasts::Contrast;
use slate_estimate::inference::InferenceMethod;
use slate_estimate::power::TARGET_POWER;
use slate_estimate::tables::{POWER, PowerTable};
use slate_table::Label;

use crate::ReportError;
use crate::charts::{FAMILY, NEUTRAL, SECOND, THIRD, distinct_in_order, render_png, share_point};
use crate::estimator_figures::read_rows;

/// File name of the figure [`power_figure`] writes.
pub const POWER_FIGURE: &str = "29_power_by_slates.png";

/// Draws the power figure from `movielens_interference_power.csv` in `processed_dir`.
pub fn power_figure(processed_dir: &Path, figures_dir: &Path) -> Result<PathBuf, ReportError> {
    let table = read_rows(
        processed_dir,
        &POWER,
        PowerTable::from_frame,
        PowerTable::len,
    )?;
    let scenarios = distinct_in_order(&table.scenario);
    let sizes = table.n_slates.iter().map(|n| f64::from(*n));
    let (lo, hi) = sizes
        .clone()
        .fold((f64::MAX, f64::MIN), |(lo, hi), n| (lo.min(n), hi.max(n)));
    let x_range = (lo / 1.3)..(hi * 1.3);
    let replicates = table.replicates[0];
    let colors = [NEUTRAL, SECOND, THIRD];
    render_png(figures_dir, POWER_FIGURE, (1500, 2000), |root| {
        let (header, body) = root.split_vertically(110);
        header
            .titled(
                &format!(
                    "Power of the 5% test against slates: simulated (points, ±1.96 MC SE, \
                     {replicates} experiments each) and analytic (lines)"
                ),
                (FAMILY, 24),
            )
            .map_err(|e| e.to_string())?;
        let legend: Vec<String> = scenarios
            .iter()
            .enumerate()
            .map(|(k, s)| {
                format!(
                    "{} = scenario {}",
                    color_name(k),
                    s.text().replace('_', " ")
                )
            })
            .collect();
        header
            .draw_text(
                &format!(
                    "{}; solid: difference in means (CR1 by unit), dashed: Lin covariate-adjusted \
                     (CR1 by unit); grey line: 80%",
                    legend.join(", ")
                ),
                &(FAMILY, 17).into_text_style(&header),
                (40, 70),
            )
            .map_err(|e| e.to_string())?;
        let areas = body.split_evenly((3, 2));
        for (area, contrast) in areas.iter().zip(Contrast::ALL) {
            let mut chart = ChartBuilder::on(area)
                .caption(
                    contrast.text(),
                    (FAMILY, 21).into_font().style(FontStyle::Bold),
                )
                .margin(18)
                .x_label_area_size(56)
                .y_label_area_size(70)
                .build_cartesian_2d(x_range.clone().log_scale(), 0.0..1.02)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .x_desc("Slates in the experiment (log scale)")
                .y_desc("Power")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
                .label_style((FAMILY, 15))
                .axis_desc_style((FAMILY, 17))
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x_range.start, TARGET_POWER), (x_range.end, TARGET_POWER)],
                    BLACK.mix(0.35).stroke_width(1),
                )))
                .map_err(|e| e.to_string())?;
            for (k, scenario) in scenarios.iter().enumerate() {
                let color = colors[k % colors.len()];
                for method in [InferenceMethod::Cr1, InferenceMethod::LinCr1] {
                    let rows: Vec<usize> = (0..table.len())
                        .filter(|i| {
                            table.contrast[*i] == contrast
                                && table.scenario[*i] == *scenario
                                && table.method_key[*i] == method
                        })
                        .collect();
                    let line: Vec<(f64, f64)> = rows
                        .iter()
                        .map(|i| (f64::from(table.n_slates[*i]), table.analytic_power[*i]))
                        .collect();
                    let (offset, style) = match method {
                        InferenceMethod::LinCr1 => (1.04, color.mix(0.6).stroke_width(2)),
                        _ => (1.0, color.stroke_width(3)),
                    };
                    if method == InferenceMethod::LinCr1 {
                        chart
                            .draw_series(DashedLineSeries::new(line, 10, 6, style))
                            .map_err(|e| e.to_string())?;
                    } else {
                        chart
                            .draw_series(LineSeries::new(line, style))
                            .map_err(|e| e.to_string())?;
                    }
                    let marker = match method {
                        InferenceMethod::LinCr1 => color.mix(0.6).filled(),
                        _ => color.filled(),
                    };
                    for i in rows {
                        share_point(
                            &mut chart,
                            (f64::from(table.n_slates[i]) * offset, table.power[i]),
                            table.power_mc_se[i],
                            color.stroke_width(2),
                            marker,
                        )?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// The name of the `k`-th series colour, for the legend line.
fn color_name(k: usize) -> &'static str {
    ["blue", "orange", "purple"][k % 3]
}
