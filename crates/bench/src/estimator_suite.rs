//! `cargo xtask bench-estimate`: wall time of the full estimator suite (every contrast and
//! outcome view, 500 cluster-bootstrap replicates, every table) at several design sizes.
//! A benchmark, not a test: it prints and writes a table and asserts nothing about time.

use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Result;
use slate_pipeline::memory::status_mib;
use slate_pipeline::{DataSource, Paths, Pipeline, PipelineConfig};
use tracing::info;

use crate::summary::median;

/// One measured design size.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateBench {
    /// Slates in the design.
    pub slates: usize,
    /// Item rows.
    pub item_rows: usize,
    /// Seconds to simulate and map exposure (one run).
    pub simulate_exposure_seconds: f64,
    /// Fastest of the repeated estimator-suite runs, seconds.
    pub suite_seconds_min: f64,
    /// Median of the repeated runs, seconds.
    pub suite_seconds_median: f64,
    /// Peak resident memory of the process so far, MiB.
    pub peak_rss_mib: f64,
}

/// A synthetic design of `n` slates, ingested, simulated and exposure-mapped under a temporary
/// root (kept alive by the returned guard), with the simulate + exposure seconds.
pub(crate) fn synthetic_design(
    base: &PipelineConfig,
    n: usize,
) -> Result<(tempfile::TempDir, Pipeline, f64)> {
    let root = tempfile::tempdir()?;
    let mut config = base.clone();
    config.simulation.slates.n_slates = n;
    let pipeline = Pipeline {
        config,
        paths: Paths::under(root.path()),
        progress: false,
    };
    let raw = pipeline.raw_folder(&DataSource::Synthetic, &AtomicBool::new(false))?;
    pipeline.ingest(&raw)?;
    let start = Instant::now();
    pipeline.simulate()?;
    pipeline.exposure()?;
    Ok((root, pipeline, start.elapsed().as_secs_f64()))
}

/// Measures the estimator suite on synthetic designs of each size in `slates`.
pub fn bench_estimate(
    base: &PipelineConfig,
    slates: &[usize],
    repeats: usize,
) -> Result<Vec<EstimateBench>> {
    let mut rows = Vec::new();
    for &n in slates {
        let (_root, pipeline, simulate_exposure_seconds) = synthetic_design(base, n)?;
        let mapping = slate_exposure::read_mapping(&pipeline.paths.processed_dir)?;
        let outcomes = slate_exposure::read_slates(&pipeline.paths.processed_dir)?;
        let mut times = Vec::with_capacity(repeats);
        for _ in 0..repeats.max(1) {
            let start = Instant::now();
            let tables = slate_estimate::run(
                slate_estimate::contrasts::Items::Rows(&mapping),
                &outcomes,
                &pipeline.config.estimate,
            )?;
            times.push(start.elapsed().as_secs_f64());
            std::hint::black_box(tables);
        }
        let row = EstimateBench {
            slates: n,
            item_rows: mapping.len(),
            simulate_exposure_seconds,
            suite_seconds_min: times.iter().copied().fold(f64::INFINITY, f64::min),
            suite_seconds_median: median(times),
            peak_rss_mib: status_mib("VmHWM:"),
        };
        info!(?row, "estimator suite");
        rows.push(row);
    }
    Ok(rows)
}

/// Renders the results as a markdown table, with the command and machine.
pub fn markdown(rows: &[EstimateBench], replicates: usize, command: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Estimator suite benchmark\n");
    let _ = writeln!(
        out,
        "Full suite: 5 contrasts x 3 outcome views (naive and CR1 SEs), {replicates} cluster-bootstrap \
         replicates over slates, and every estimate table, on synthetic designs.\n"
    );
    let _ = writeln!(
        out,
        "Command: `{command}` ({} threads available).\n",
        rayon::current_num_threads()
    );
    let _ = writeln!(
        out,
        "| slates | item rows | simulate + exposure (s) | suite, min (s) | suite, median (s) | item rows/s (suite) | peak RSS (MiB) |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.3} | {:.3} | {:.0} | {:.0} |",
            r.slates,
            r.item_rows,
            r.simulate_exposure_seconds,
            r.suite_seconds_min,
            r.suite_seconds_median,
            r.item_rows as f64 / r.suite_seconds_min,
            r.peak_rss_mib
        );
    }
    out
}
