//! Chart shapes shared by every figure, and crash-safe PNG rendering with an embedded font.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Once;

use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ReportError;

/// Gains.
pub const GAIN: RGBColor = RGBColor(44, 160, 44);
/// Losses.
pub const LOSS: RGBColor = RGBColor(214, 39, 40);
/// Neutral series.
pub const NEUTRAL: RGBColor = RGBColor(31, 119, 180);
/// A second neutral series.
pub const SECOND: RGBColor = RGBColor(255, 127, 14);
/// A third neutral series.
pub const THIRD: RGBColor = RGBColor(148, 103, 189);

/// Font family name under which the embedded DejaVu Sans is registered.
pub(crate) const FAMILY: &str = "sans-serif";

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Both calls only fail on malformed font bytes, which the dejavu crate never ships.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// The distinct values of a table column, in order of first appearance (a study's scenarios
/// or a sweep's knobs: each becomes a panel or a series).
pub fn distinct_in_order<T: Copy + PartialEq>(column: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for value in column {
        if !out.contains(value) {
            out.push(*value);
        }
    }
    out
}

/// A simulated share (power, coverage) drawn at `(x, share)` with its ±1.96 Monte-Carlo SE bar,
/// clipped to `[0, 1]`.
pub fn share_point<DB, CT>(
    chart: &mut ChartContext<'_, DB, CT>,
    (x, share): (f64, f64),
    mc_se: f64,
    bar: ShapeStyle,
    marker: ShapeStyle,
) -> Result<(), String>
where
    DB: DrawingBackend,
    CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
{
    let z = slate_estimate::dim::Z_95;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![
                (x, (share - z * mc_se).max(0.0)),
                (x, (share + z * mc_se).min(1.0)),
            ],
            bar,
        )))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(std::iter::once(Circle::new((x, share), 5, marker)))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The colour of a signed value: green for gains, red for losses.
pub fn signed_color(value: f64) -> RGBColor {
    if value >= 0.0 { GAIN } else { LOSS }
}

/// Renders a PNG of `size` pixels into `dir/file_name`: drawn into memory, encoded, then
/// written through [`slate_table::write_bytes_atomically`] (temporary file, sync, rename), so a
/// figure is never half-written.
pub fn render_png(
    dir: &Path,
    file_name: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<PathBuf, ReportError> {
    register_fonts();
    let fail = |message: String| ReportError::Draw {
        path: dir.join(file_name),
        message,
    };
    let mut pixels = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    // The encoder plotters' file target uses (default compression and filter), so the bytes
    // are those it would have written.
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, size.0, size.1, image::ColorType::Rgb8)
        .map_err(|e| fail(e.to_string()))?;
    Ok(slate_table::write_bytes_atomically(dir, file_name, &png)?)
}

/// One labelled row of an interval chart.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    /// Row label (left axis).
    pub label: String,
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound (equal to the estimate for a point without interval).
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Marker colour.
    pub color: RGBColor,
}

impl IntervalRow {
    /// A row coloured by sign: green for gains, red for losses.
    pub fn signed(label: impl Into<String>, estimate: f64, lower: f64, upper: f64) -> Self {
        Self {
            label: label.into(),
            estimate,
            lower,
            upper,
            color: signed_color(estimate),
        }
    }

    /// A bar or point without an interval, coloured by sign.
    pub fn signed_point(label: impl Into<String>, value: f64) -> Self {
        Self::signed(label, value, value, value)
    }
}

/// How the rows are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStyle {
    /// A dot with horizontal error bars.
    Points,
    /// A bar from zero, with error bars when the interval is non-degenerate.
    Bars,
}

/// A range covering every row's interval and zero, padded by 8% on each side.
fn x_range(rows: &[IntervalRow]) -> Range<f64> {
    let lo = rows
        .iter()
        .map(|r| r.lower.min(r.estimate))
        .fold(0.0, f64::min);
    let hi = rows
        .iter()
        .map(|r| r.upper.max(r.estimate))
        .fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.08).max(1e-9);
    (lo - pad)..(hi + pad)
}

/// Draws horizontal rows (first row on top) with a zero line, on one panel.
pub fn interval_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    rows: &[IntervalRow],
    style: RowStyle,
    label_area: u32,
) -> Result<(), String> {
    let axis = RowAxis {
        range: x_range(rows),
        reference: 0.0,
        band: None,
        format: &|v| format_tick(*v),
    };
    rows_panel(area, title, x_desc, rows, style, label_area, &axis)
}

/// The value axis of a row panel.
struct RowAxis<'f> {
    range: Range<f64>,
    /// Where the vertical reference line goes (zero, or a target).
    reference: f64,
    /// A shaded band, e.g. a target range.
    band: Option<(f64, f64)>,
    format: &'f dyn Fn(&f64) -> String,
}

fn rows_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    rows: &[IntervalRow],
    style: RowStyle,
    label_area: u32,
    axis: &RowAxis<'_>,
) -> Result<(), String> {
    let n = rows.len();
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 24).into_font().style(FontStyle::Bold))
        .margin(18)
        .margin_right(36)
        .x_label_area_size(56)
        .y_label_area_size(label_area)
        // Integer ranges are inclusive here: rows occupy 0..=n-1. A single row gets a second,
        // empty band (0..=1), because a one-value range collapses onto the axis border.
        .build_cartesian_2d(axis.range.clone(), (0..(n.max(2) - 1)).into_segmented())
        .map_err(|e| e.to_string())?;
    let label_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) if *i < n => rows[n - 1 - *i].label.clone(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .y_labels(n)
        .y_label_formatter(&label_of)
        .x_desc(x_desc)
        .x_label_formatter(axis.format)
        .label_style((FAMILY, 17))
        .axis_desc_style((FAMILY, 18))
        .draw()
        .map_err(|e| e.to_string())?;
    if let Some((from, to)) = axis.band {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(from, SegmentValue::Exact(0)), (to, SegmentValue::Last)],
                GAIN.mix(0.15).filled(),
            )))
            .map_err(|e| e.to_string())?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![
                (axis.reference, SegmentValue::Exact(0)),
                (axis.reference, SegmentValue::Last),
            ],
            BLACK.stroke_width(2),
        )))
        .map_err(|e| e.to_string())?;
    for (k, row) in rows.iter().enumerate() {
        let y = SegmentValue::CenterOf(n - 1 - k);
        if style == RowStyle::Bars {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(axis.reference, y.clone()), (row.estimate, y.clone())],
                    row.color.mix(0.85).stroke_width(26),
                )))
                .map_err(|e| e.to_string())?;
        }
        if row.upper > row.lower {
            chart
                .draw_series(std::iter::once(ErrorBar::new_horizontal(
                    y.clone(),
                    row.lower,
                    row.estimate,
                    row.upper,
                    BLACK.stroke_width(2),
                    14,
                )))
                .map_err(|e| e.to_string())?;
        }
        if style == RowStyle::Points {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (row.estimate, y),
                    7,
                    row.color.filled(),
                )))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// `n` with thousands separators (`12,345`).
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats an axis tick compactly.
pub fn format_tick(v: f64) -> String {
    let a = v.abs();
    let text = if a >= 100.0 || (a >= 10.0 && v.fract() == 0.0) {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    // "-0.000" and friends read as zero.
    if text.parse::<f64>().is_ok_and(|x| x == 0.0) {
        "0".into()
    } else {
        text
    }
}

/// Draws a histogram of `values` (NaN ignored) with `bins` bins and a vertical zero line.
pub fn histogram_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    values: &[f64],
    bins: usize,
) -> Result<(), String> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return Err(format!("{title}: no finite values"));
    }
    // Bins span the data; the axis also spans zero so the zero line is always visible.
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = ((hi - lo) / bins as f64).max(1e-12);
    let mut counts = vec![0u32; bins];
    for v in &finite {
        let b = (((v - lo) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let top = f64::from(counts.iter().copied().max().unwrap_or(1)) * 1.1;
    let pad = width * 1.5;
    let (axis_lo, axis_hi) = (lo.min(0.0) - pad, hi.max(0.0) + pad);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 20).into_font().style(FontStyle::Bold))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(56)
        .build_cartesian_2d(axis_lo..axis_hi, 0.0..top)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("Replicates")
        .x_labels(6)
        .light_line_style(TRANSPARENT)
        .x_label_formatter(&|v| format_tick(*v))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 16))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(counts.iter().enumerate().map(|(b, c)| {
            let x0 = lo + b as f64 * width;
            Rectangle::new(
                [(x0, 0.0), (x0 + width, f64::from(*c))],
                NEUTRAL.mix(0.75).filled(),
            )
        }))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, top)],
            BLACK.stroke_width(2),
        )))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// An axis range for shares that spans every row's interval and `band`, padded, within [0, 1].
pub fn share_range(rows: &[IntervalRow], band: (f64, f64)) -> Range<f64> {
    let lo = rows.iter().map(|r| r.lower).fold(band.0, f64::min);
    let hi = rows.iter().map(|r| r.upper).fold(band.1, f64::max);
    let pad = (hi - lo) * 0.05;
    (lo - pad).max(0.0)..(hi + pad).min(1.0)
}

/// Draws horizontal rows of shares (first row on top) on the axis `range` against a shaded
/// target band and its centre line, e.g. interval coverage against 93.5–96.5% around 95%.
pub fn share_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    rows: &[IntervalRow],
    band: (f64, f64),
    range: Range<f64>,
    label_area: u32,
) -> Result<(), String> {
    let axis = RowAxis {
        range,
        reference: 0.5 * (band.0 + band.1),
        band: Some(band),
        format: &|v| {
            let percent = v * 100.0;
            if (percent - percent.round()).abs() < 1e-9 {
                format!("{percent:.0}%")
            } else {
                format!("{percent:.1}%")
            }
        },
    };
    rows_panel(
        area,
        title,
        x_desc,
        rows,
        RowStyle::Points,
        label_area,
        &axis,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_png_without_system_fonts_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            IntervalRow {
                label: "Gain".into(),
                estimate: 0.2,
                lower: 0.1,
                upper: 0.3,
                color: GAIN,
            },
            IntervalRow {
                label: "Loss".into(),
                estimate: -0.1,
                lower: -0.15,
                upper: -0.05,
                color: LOSS,
            },
        ];
        let path = render_png(dir.path(), "demo.png", (800, 400), |root| {
            interval_panel(root, "Demo", "Effect", &rows, RowStyle::Bars, 120)
        })
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Figures drawn in memory and written atomically have exactly the bytes plotters' own
    /// file target writes, so moving to `write_bytes_atomically` changed no figure.
    #[test]
    fn in_memory_rendering_writes_the_bytes_of_plotters_file_target() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![IntervalRow {
            label: "Gain".into(),
            estimate: 0.2,
            lower: 0.1,
            upper: 0.3,
            color: GAIN,
        }];
        let draw = |root: &DrawingArea<BitMapBackend<'_>, Shift>| {
            interval_panel(root, "Demo", "Effect", &rows, RowStyle::Bars, 120)
        };
        let ours = render_png(dir.path(), "ours.png", (640, 360), draw).unwrap();
        let theirs = dir.path().join("theirs.png");
        {
            let root = BitMapBackend::new(&theirs, (640, 360)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            draw(&root).unwrap();
            root.present().unwrap();
        }
        assert_eq!(std::fs::read(ours).unwrap(), std::fs::read(theirs).unwrap());
    }

    #[test]
    fn failed_drawing_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let err = render_png(dir.path(), "bad.png", (400, 300), |root| {
            histogram_panel(root, "Empty", "x", &[f64::NAN], 10)
        })
        .unwrap_err();
        assert!(matches!(err, ReportError::Draw { .. }), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
