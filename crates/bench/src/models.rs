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
use crate::record::{
    Measurement, PeakGrowth, Peer, Stage, Statistic, regression_report, run_header,
};
use crate::summary::median;

/// The whole models stage's name in the record (a GBDT fit's is `"<learner> fit"`).
pub const MODELS_STAGE: &str = "whole models stage";

/// The record's name of a learner's fit.
pub fn fit_stage(learner: slate_models::learner::Learner) -> String {
    format!("{learner} fit")
}

/// Times LightGBM and XGBoost fits on the slate matrix at each size in `slates`, ours and the
/// Python packages' with identical parameters, and the whole models stage.
pub fn bench_models(
    base: &PipelineConfig,
    slates: &[usize],
    repeats: usize,
    root: &Path,
) -> Result<Vec<Stage>> {
    use slate_models::learner::{LightGbm, OutcomeModel, Task, XgBoost};
    ensure_python_peers(root)?;
    let mut rows = Vec::new();
    for &n in slates {
        let (work, pipeline, _) = synthetic_design(base, n)?;
        let outcomes = slate_exposure::read_slates(&pipeline.paths.processed_dir)?;
        let features = outcomes.features.load()?;
        let x = slate_models::features::SlateFeatures::new(&outcomes, &features).matrix()?;
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

        let peak = PeakGrowth::start();
        let start = Instant::now();
        let tables = slate_models::run(&outcomes, models)?;
        let stage_seconds = start.elapsed().as_secs_f64();
        std::hint::black_box(tables);
        rows.push(Stage {
            name: MODELS_STAGE.into(),
            size: n as u64,
            rows: n as u64,
            bytes: None,
            repeats: 1,
            seconds: stage_seconds,
            statistic: Statistic::Median,
            median_seconds: None,
            peak_rss_mib: peak.mib(),
            peer: None,
        });
        let learners: [(&dyn OutcomeModel, &str); 2] =
            [(&lightgbm, "lightgbm"), (&xgboost, "xgboost")];
        for (learner, key) in learners {
            let peak = PeakGrowth::start();
            let mut best = f64::INFINITY;
            let mut times = Vec::new();
            for _ in 0..repeats.max(1) {
                let start = Instant::now();
                let fitted = learner.fit(&x, &y, Task::Regression)?;
                let seconds = start.elapsed().as_secs_f64();
                best = best.min(seconds);
                times.push(seconds);
                std::hint::black_box(fitted);
            }
            let row = Stage {
                name: fit_stage(learner.learner()),
                size: n as u64,
                rows: n as u64,
                bytes: None,
                repeats: times.len(),
                seconds: best,
                statistic: Statistic::Fastest,
                median_seconds: Some(median(times)),
                peak_rss_mib: peak.mib(),
                peer: Some(Peer {
                    name: format!("Python {key} package ({} columns)", x.cols()),
                    seconds: fastest(key),
                    peak_rss_mib: f64::NAN,
                }),
            };
            info!(?row, "GBDT fit");
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Renders `bench/models.md` from the record's last run of `bench-models` (`run`) and the
/// run before it (`previous`, for the regression report).
pub fn models_markdown(
    run: &[&Measurement],
    previous: &[&Measurement],
    config: &PipelineConfig,
) -> String {
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
         LightGBM 4.7.0 (lightgbm3), XGBoost 3.4 (xgb), both compiled from source. The whole \
         models stage (metrics, cross-fitted AIPW with both models and propensities, policies) \
         is one run.\n",
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
    if let Some(first) = run.first() {
        out.push_str(&run_header(&first.run));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| slates | stage | Rust (s) | Python package | Python fit (s) | ratio (Rust / Python) |"
    );
    let _ = writeln!(out, "|---:|---|---:|---|---:|---:|");
    for r in run.iter().map(|m| &m.stage) {
        let (peer, peer_seconds, ratio) = match &r.peer {
            Some(peer) => (
                peer.name.clone(),
                format!("{:.3}", peer.seconds),
                format!("{:.2}", r.seconds / peer.seconds),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.3} | {} | {} | {} |",
            r.size, r.name, r.seconds, peer, peer_seconds, ratio
        );
    }
    let _ = writeln!(out, "\n## Against the previous run\n");
    out.push_str(&regression_report(previous, run));
    out
}
