//! Crash safety: the pipeline is killed (SIGKILL) at several points mid-run; every artifact
//! present afterwards must be complete and readable, and a rerun must finish cleanly.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use polars::prelude::*;

const CONFIG: &str = "[synthetic]\nusers = 3000\nmovies = 6000\nratings = 450000\ntags = 1000\n\n[simulation.slates]\nn_slates = 30000\n";

/// Every folder the run writes artifacts to, under the test's temporary root (never the
/// repository's own `writeup/`).
const ARTIFACT_DIRS: [&str; 5] = [
    "raw/synthetic",
    "processed",
    "figures",
    "writeup",
    "writeup/tables",
];

fn run(root: &Path, config: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--quiet")
        .arg("--config")
        .arg(config)
        .arg("--raw-dir")
        .arg(root.join("raw"))
        .arg("--processed-dir")
        .arg(root.join("processed"))
        .arg("--figures-dir")
        .arg(root.join("figures"))
        .arg("--writeup-dir")
        .arg(root.join("writeup"))
        .args(["all", "--synthetic"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Checks every visible artifact under `dir` is complete; returns how many were checked.
fn check_artifacts(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut checked = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue; // a temporary of the killed run, never an artifact
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("parquet") => {
                let file = std::fs::File::open(&path).unwrap();
                ParquetReader::new(file)
                    .finish()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            Some("csv") => {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.ends_with('\n') && text.lines().count() >= 1,
                    "{name} is truncated"
                );
                CsvReadOptions::default()
                    .try_into_reader_with_file_path(Some(path.clone()))
                    .and_then(|r| r.finish())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            Some("png") => {
                let bytes = std::fs::read(&path).unwrap();
                assert_eq!(&bytes[1..4], b"PNG", "{name}");
                assert_eq!(
                    &bytes[bytes.len() - 8..bytes.len() - 4],
                    b"IEND",
                    "{name} is truncated"
                );
            }
            _ => {}
        }
        checked += 1;
    }
    checked
}

#[test]
fn killed_runs_leave_only_complete_artifacts_and_a_rerun_finishes() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut kills = 0;
    let mut checked_after_kills = 0;
    for delay_ms in [150u64, 400, 800, 1300, 2000, 3000] {
        let mut child = run(root.path(), &config);
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL on Unix
            kills += 1;
        }
        child.wait().unwrap();
        for dir in ARTIFACT_DIRS {
            checked_after_kills += check_artifacts(&root.path().join(dir));
        }
    }
    assert!(
        kills >= 3,
        "the run finished too quickly to be killed mid-way ({kills} kills)"
    );
    let status = run(root.path(), &config).wait().unwrap();
    assert!(status.success(), "rerun after kills must finish");
    let checked: usize = ARTIFACT_DIRS
        .iter()
        .map(|d| check_artifacts(&root.path().join(d)))
        .sum();
    assert!(checked >= 40, "{checked} artifacts checked");
    eprintln!(
        "crash safety: {kills} SIGKILLs survived; {checked_after_kills} artifacts checked after kills, {checked} after the rerun"
    );
    let leftovers: Vec<_> = std::fs::read_dir(root.path().join("processed"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "stale temporaries swept: {leftovers:?}"
    );
}
