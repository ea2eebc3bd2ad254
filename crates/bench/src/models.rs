//! `cargo xtask bench-models`: LightGBM and XGBoost fit times against the Python packages on
//! the same matrix, and the whole models stage. A benchmark, not a test.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use slate_pipeline::PipelineConfig;
use tracing::info;

use crate::estimator_suite::synthetic_design;
use crate::peers::{ensure_python_peers, run_peer};

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
                model: learner.learner().to_string(),
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
