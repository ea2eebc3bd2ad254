//! `cargo xtask bench-estimate`: wall time of the full estimator suite (every contrast and
//! outcome view, 500 cluster-bootstrap replicates, every table) at several design sizes.
//! A benchmark, not a test: it prints and writes a table and asserts nothing about time.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result};
use statrs::statistics::{Data, OrderStatistics};
use tracing::info;

use crate::{DataSource, Paths, Pipeline, PipelineConfig};

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

/// A memory figure of this process from `/proc/self/status` (`VmHWM:` peak since the last
/// reset, `VmRSS:` now), MiB; NaN where there is no such file.
pub(crate) fn status_mib(key: &str) -> f64 {
    process_status_mib(Path::new("/proc/self/status"), key)
}

/// A memory figure (`key`, e.g. `VmHWM:`) from a `/proc/<pid>/status` file, MiB; NaN when the
/// file or the key is missing.
pub(crate) fn process_status_mib(status: &Path, key: &str) -> f64 {
    std::fs::read_to_string(status)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// The median of `values` (statrs: the middle one of an odd count, the mean of the two middle
/// ones of an even count, as numpy's `median`); NaN for none.
pub(crate) fn median(values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    Data::new(values).median()
}

/// Runs `python3 bench/<script> <args>` as its users run it (without our libgomp setting
/// from .cargo/config.toml) and parses the JSON it prints.
pub(crate) fn run_peer(root: &Path, script: &str, args: &[&str]) -> Result<serde_json::Value> {
    let output = std::process::Command::new("python3")
        .env_remove("GOMP_SPINCOUNT")
        .arg(root.join("bench").join(script))
        .args(args)
        .output()
        .with_context(|| format!("running bench/{script}"))?;
    anyhow::ensure!(
        output.status.success(),
        "bench/{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// A synthetic design of `n` slates, ingested, simulated and exposure-mapped under a temporary
/// root (kept alive by the returned guard), with the simulate + exposure seconds.
fn synthetic_design(base: &PipelineConfig, n: usize) -> Result<(tempfile::TempDir, Pipeline, f64)> {
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

/// Writes the markdown to `path` atomically.
pub fn write_markdown(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    slate_table::write_bytes_atomically(dir, &name, text.as_bytes())?;
    Ok(())
}

/// One GBDT fit-time measurement: our binding against the Python package on the same matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelsBench {
    /// Slates (rows of the matrix).
    pub slates: usize,
    /// Feature columns (including the treatment).
    pub columns: usize,
    /// "LightGBM" or "XGBoost".
    pub model: String,
    /// Fastest Rust fit, seconds.
    pub rust_seconds: f64,
    /// Fastest Python fit, seconds.
    pub python_seconds: f64,
    /// The whole models stage (metrics, 5-fold cross-fitted AIPW with both models and
    /// propensities, policies), seconds, one run.
    pub stage_seconds: f64,
}

/// Installs the pinned Python peers (bench/requirements.txt) when they are missing.
pub fn ensure_python_peers(root: &Path) -> Result<()> {
    let present = std::process::Command::new("python3")
        .args([
            "-c",
            "import lightgbm, xgboost, numpy, pandas, polars, pyarrow, statsmodels",
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !present {
        info!("installing the Python peers from bench/requirements.txt");
        let status = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(root.join("bench").join("requirements.txt"))
            .status()?;
        anyhow::ensure!(
            status.success(),
            "pip install -r bench/requirements.txt failed"
        );
    }
    Ok(())
}

/// Times LightGBM and XGBoost fits on the slate matrix at each size in `slates`, ours and the
/// Python packages' with identical parameters, and the whole models stage.
pub fn bench_models(
    base: &PipelineConfig,
    slates: &[usize],
    repeats: usize,
    root: &Path,
) -> Result<Vec<ModelsBench>> {
    use slate_models::learner::{LightGbm, OutcomeModel, Task, XgBoost};
    ensure_python_peers(root)?;
    let mut rows = Vec::new();
    for &n in slates {
        let (work, pipeline, _) = synthetic_design(base, n)?;
        let outcomes = slate_exposure::read_slates(&pipeline.paths.processed_dir)?;
        let x = slate_models::features::SlateFeatures::new(&outcomes).matrix();
        let y: Vec<f64> = outcomes
            .total_observed_clicks
            .iter()
            .map(|c| f64::from(*c))
            .collect();
        let models = &pipeline.config.models;
        let lightgbm = LightGbm {
            params: models.lightgbm.clone(),
            seed: models.seed,
        };
        let xgboost = XgBoost {
            params: models.xgboost.clone(),
            seed: models.seed,
        };

        // The same matrix and parameters for the Python peer.
        let mut csv = x.columns.join(",") + ",target\n";
        for (row, target) in x.values.chunks(x.cols()).zip(&y) {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
            let _ = writeln!(csv, "{},{target:?}", cells.join(","));
        }
        let matrix_path = work.path().join("matrix.csv");
        std::fs::write(&matrix_path, csv)?;
        anyhow::ensure!(
            models.lightgbm.rounds == models.xgboost.rounds,
            "bench-models compares one round count: set models.lightgbm.rounds = models.xgboost.rounds"
        );
        let params = serde_json::json!({
            "lightgbm": lightgbm.parameters(Task::Regression),
            "xgboost": xgboost.parameters(Task::Regression).into_iter().collect::<std::collections::BTreeMap<_, _>>(),
            "rounds": models.xgboost.rounds,
        });
        let params_path = work.path().join("params.json");
        std::fs::write(&params_path, params.to_string())?;
        let peer = run_peer(
            root,
            "gbdt_peer.py",
            &[
                &matrix_path.display().to_string(),
                &params_path.display().to_string(),
                &repeats.max(1).to_string(),
            ],
        )?;
        let fastest = |key: &str| -> f64 {
            peer[key]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|t| t.as_f64())
                        .fold(f64::INFINITY, f64::min)
                })
                .unwrap_or(f64::NAN)
        };

        let start = Instant::now();
        let tables = slate_models::run(&outcomes, models)?;
        let stage_seconds = start.elapsed().as_secs_f64();
        std::hint::black_box(tables);
        let learners: [(&dyn OutcomeModel, &str); 2] =
            [(&lightgbm, "lightgbm"), (&xgboost, "xgboost")];
        for (learner, key) in learners {
            let mut best = f64::INFINITY;
            for _ in 0..repeats.max(1) {
                let start = Instant::now();
                let fitted = learner.fit(&x, &y, Task::Regression)?;
                best = best.min(start.elapsed().as_secs_f64());
                std::hint::black_box(fitted);
            }
            let row = ModelsBench {
                slates: n,
                columns: x.cols(),
                model: learner.name().to_string(),
                rust_seconds: best,
                python_seconds: fastest(key),
                stage_seconds,
            };
            info!(?row, "GBDT fit");
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Renders the GBDT benchmark as markdown.
pub fn models_markdown(rows: &[ModelsBench], config: &PipelineConfig, command: &str) -> String {
    let mut out = String::new();
    let p = &config.models.lightgbm;
    let _ = writeln!(
        out,
        "# GBDT benchmark: Rust bindings vs the Python packages\n"
    );
    let _ = writeln!(
        out,
        "Regression of total clicks per slate on the slate matrix (pre-treatment features + \
         treatment), identical parameters on both sides: {} rounds, learning rate {}, depth {}, \
         {} leaves, {} rows per leaf, L2 {}, subsample {}, colsample {}, {} threads. Timed: \
         building the library's dataset from an in-memory matrix, then training; fastest of \
         the repeats. Python: lightgbm 4.7.0, xgboost 3.2.0 (bench/requirements.txt); Rust: \
         LightGBM 4.7.0 (lightgbm3), XGBoost 3.4 (xgb), both compiled from source.\n",
        p.rounds,
        p.learning_rate,
        p.max_depth,
        p.max_leaves,
        p.min_rows_in_leaf,
        p.l2,
        p.subsample,
        p.colsample,
        p.threads
    );
    let _ = writeln!(out, "Command: `{command}`.\n");
    let _ = writeln!(
        out,
        "| slates | columns | model | Rust fit (s) | Python fit (s) | ratio (Rust / Python) | whole models stage (s) |"
    );
    let _ = writeln!(out, "|---:|---:|---|---:|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} | {:.3} | {:.2} | {:.2} |",
            r.slates,
            r.columns,
            r.model,
            r.rust_seconds,
            r.python_seconds,
            r.rust_seconds / r.python_seconds,
            r.stage_seconds
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![9.0, 5.0]), 7.0);
        assert_eq!(median(vec![5.0]), 5.0);
        assert!(median(Vec::new()).is_nan());
    }
}
