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

use crate::record::{Measurement, Stage, Statistic, regression_report, run_header};
use crate::summary::median;

/// The stage names this benchmark records.
pub const SIMULATE_EXPOSURE: &str = "simulate + exposure";
/// See [`SIMULATE_EXPOSURE`].
pub const SUITE: &str = "estimator suite";

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

/// Measures the estimator suite on synthetic designs of each size in `slates`: per size, the
/// simulate + exposure run that builds the design and the suite's repeated runs (fastest and
/// median; peak RSS of the process so far).
pub fn bench_estimate(
    base: &PipelineConfig,
    slates: &[usize],
    repeats: usize,
) -> Result<Vec<Stage>> {
    let mut stages = Vec::new();
    for &n in slates {
        let (_root, pipeline, simulate_exposure_seconds) = synthetic_design(base, n)?;
        let mapping = slate_exposure::read_mapping(&pipeline.paths.processed_dir)?;
        // The slate table as the pipeline's estimate stage holds it.
        let outcomes: slate_exposure::AnalysisSlates =
            slate_exposure::read_slates(&pipeline.paths.processed_dir)?.into();
        let item_rows = mapping.len() as u64;
        stages.push(Stage {
            name: SIMULATE_EXPOSURE.into(),
            size: n as u64,
            rows: item_rows,
            bytes: None,
            repeats: 1,
            seconds: simulate_exposure_seconds,
            statistic: Statistic::Median,
            median_seconds: None,
            peak_rss_mib: status_mib("VmHWM:"),
            peer: None,
        });
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
        let suite = Stage {
            name: SUITE.into(),
            size: n as u64,
            rows: item_rows,
            bytes: None,
            repeats: times.len(),
            seconds: times.iter().copied().fold(f64::INFINITY, f64::min),
            statistic: Statistic::Fastest,
            median_seconds: Some(median(times)),
            peak_rss_mib: status_mib("VmHWM:"),
            peer: None,
        };
        info!(?suite, "estimator suite");
        stages.push(suite);
    }
    Ok(stages)
}

/// Renders `bench/estimator_suite.md` from the record's last run of `bench-estimate` (`run`)
/// and the run before it (`previous`, for the regression report).
pub fn markdown(run: &[&Measurement], previous: &[&Measurement], replicates: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Estimator suite benchmark\n");
    let _ = writeln!(
        out,
        "Full suite: 5 contrasts x 3 outcome views (naive and CR1 SEs), {replicates} cluster-bootstrap \
         replicates over slates, and every estimate table, on synthetic designs. Peak RSS is the \
         process's (simulation, exposure and suite).\n"
    );
    if let Some(first) = run.first() {
        out.push_str(&run_header(&first.run));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| slates | item rows | simulate + exposure (s) | suite, min (s) | suite, median (s) | item rows/s (suite) | peak RSS (MiB) |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|");
    for suite in run.iter().map(|m| &m.stage).filter(|s| s.name == SUITE) {
        let design = run
            .iter()
            .map(|m| &m.stage)
            .find(|s| s.name == SIMULATE_EXPOSURE && s.size == suite.size)
            .map_or(f64::NAN, |s| s.seconds);
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.3} | {:.3} | {:.0} | {:.0} |",
            suite.size,
            suite.rows,
            design,
            suite.seconds,
            suite.median_seconds.unwrap_or(f64::NAN),
            suite.rows as f64 / suite.seconds,
            suite.peak_rss_mib
        );
    }
    let _ = writeln!(out, "\n## Against the previous run\n");
    out.push_str(&regression_report(previous, run));
    out
}
