//! Cross-crate end-to-end tests of the slate-interference pipeline (see `end_to_end.rs` and
//! `architecture.rs`). This crate has no library code of its own beyond the small fixtures
//! below; it may depend on every crate of the workspace, and nothing depends on it.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use slate_cli::{DataSource, Paths, Pipeline, PipelineConfig};

/// A pipeline writing under `root`, on a small synthetic dataset (fast in debug builds).
pub fn small_pipeline(root: &Path) -> Pipeline {
    let mut config = PipelineConfig::default();
    config.synthetic.users = 400;
    config.synthetic.movies = 1_500;
    config.synthetic.ratings = 30_000;
    config.synthetic.tags = 200;
    // The coverage study and the models are exercised, not measured, here.
    config.estimate.coverage_replicates = 6;
    config.models.lightgbm.rounds = 60;
    config.models.xgboost.rounds = 60;
    Pipeline {
        config,
        paths: Paths::under(root),
        progress: false,
    }
}

/// [`small_pipeline`] after a whole run on synthetic data.
pub fn small_run(root: &Path) -> Pipeline {
    let pipeline = small_pipeline(root);
    pipeline
        .all(&DataSource::Synthetic, &AtomicBool::new(false))
        .expect("the small synthetic pipeline runs");
    pipeline
}
