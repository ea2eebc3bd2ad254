//! Cross-crate end-to-end tests of the slate-interference pipeline (see `end_to_end.rs` and
//! `architecture.rs`). This crate has no library code of its own beyond the small fixtures
//! below; it may depend on every crate of the workspace, and nothing depends on it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;

use slate_pipeline::{DataSource, Paths, Pipeline, PipelineConfig};

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

/// [`small_run`] once per test binary, shared by every test of the binary that only reads its
/// artifacts; a test that changes an artifact works on a [`copy_of_shared_run`] instead. The run
/// lives in the system's temporary folder, in a folder named after the test binary and its
/// process; the folders of earlier runs whose process has ended are removed first.
pub fn shared_run() -> &'static Pipeline {
    static RUN: OnceLock<Pipeline> = OnceLock::new();
    RUN.get_or_init(|| {
        remove_stale_shared_runs();
        let root = shared_root();
        std::fs::create_dir_all(&root).expect("creating the shared run's folder");
        small_run(&root)
    })
}

/// The folder [`shared_run`] writes under (its paths are [`Paths::under`] it).
pub fn shared_root() -> PathBuf {
    std::env::temp_dir().join(format!("{}{}", shared_prefix(), std::process::id()))
}

/// `slate-e2e-<test binary>-`: the start of every shared run's folder name of this binary.
fn shared_prefix() -> String {
    let binary = std::env::current_exe().expect("the test binary's path");
    let name = binary
        .file_stem()
        .expect("the test binary's name")
        .to_string_lossy()
        .to_string();
    format!("slate-e2e-{name}-")
}

/// Removes the shared runs of this test binary whose process is gone (Linux: no `/proc/<pid>`).
fn remove_stale_shared_runs() {
    let prefix = shared_prefix();
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = name.strip_prefix(&prefix) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A copy of [`shared_run`]'s folders under `root`, for a test that changes its artifacts.
pub fn copy_of_shared_run(root: &Path) -> Pipeline {
    shared_run();
    copy_dir(&shared_root(), root);
    small_pipeline(root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
