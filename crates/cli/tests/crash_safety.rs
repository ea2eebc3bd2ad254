//! Crash safety: the pipeline is killed (SIGKILL) in the middle of several stages, and
//! interrupted (SIGINT, as Ctrl-C sends) between two; every artifact present afterwards must be
//! complete and readable, and a rerun must finish cleanly.
//!
//! Kills are timed by the run's own log (right after a stage says it started), not by the
//! clock, so a faster machine or a faster pipeline still kills mid-run.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};

use polars::prelude::*;

/// The signal number of SIGKILL on Linux.
const SIGKILL: i32 = 9;

/// A small run (a few seconds): kills follow the log, so the run need not be long.
const CONFIG: &str = "\
[synthetic]\nusers = 600\nmovies = 2000\nratings = 60000\ntags = 200\n\n\
[estimate]\ncoverage_replicates = 4\n\n\
[models.lightgbm]\nrounds = 40\n\n\
[models.xgboost]\nrounds = 40\n";

/// Every folder the run writes artifacts to, under the test's temporary root (never the
/// repository's own `writeup/`).
const ARTIFACT_DIRS: [&str; 5] = [
    "raw/synthetic",
    "processed",
    "figures",
    "writeup",
    "writeup/tables",
];

fn run(root: &Path, config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_slate"))
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
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads the run's log until a line contains every one of `needles`; returns whether one did
/// (false when the run ended first).
fn wait_for_log(stderr: &mut BufReader<ChildStderr>, needles: &[&str]) -> bool {
    let mut line = String::new();
    loop {
        line.clear();
        match stderr.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if needles.iter().all(|n| line.contains(n)) => return true,
            Ok(_) => {}
        }
    }
}

/// The hidden temporaries (`.name.partial`) left in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
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

/// Stages whose start the SIGKILLs follow: every stage of `all`.
const KILL_AT: [&str; 9] = [
    "synthetic",
    "ingest",
    "simulate",
    "exposure",
    "estimate",
    "decompose",
    "models",
    "coverage",
    "report",
];

#[test]
fn killed_runs_leave_only_complete_artifacts_and_a_rerun_finishes() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut killed_in = Vec::new();
    let mut checked_after_kills = 0;
    for stage in KILL_AT {
        let mut child = run(root.path(), &config);
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let started = wait_for_log(&mut stderr, &["start", &format!("stage=\"{stage}\"")]);
        assert!(started, "the run ended before stage `{stage}` started");
        // Every stage is followed by another (or, for the report, by its own figures), so the
        // run is still going: the kill lands inside the stage.
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(SIGKILL),
            "the run killed in stage `{stage}` ended otherwise: {status}"
        );
        killed_in.push(stage);
        // Every kill is checked: whatever the killed run left must be complete.
        for dir in ARTIFACT_DIRS {
            checked_after_kills += check_artifacts(&root.path().join(dir));
        }
    }
    let status = run(root.path(), &config).wait().unwrap();
    assert!(status.success(), "rerun after kills must finish");
    let checked: usize = ARTIFACT_DIRS
        .iter()
        .map(|d| check_artifacts(&root.path().join(d)))
        .sum();
    assert!(checked >= 40, "{checked} artifacts checked");
    assert_eq!(killed_in, KILL_AT, "every stage was killed once");
    eprintln!(
        "crash safety: SIGKILLs during {killed_in:?}; {checked_after_kills} artifacts checked after kills, {checked} after the rerun"
    );
    let leftovers = temporaries(&root.path().join("processed"));
    assert!(
        leftovers.is_empty(),
        "stale temporaries swept: {leftovers:?}"
    );
}

/// Ctrl-C (SIGINT) during `all` lets the running stage finish, then stops before the next one:
/// exit code 130, the stage named, no temporary left and every artifact complete.
#[test]
fn sigint_stops_all_before_the_next_stage() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut child = run(root.path(), &config);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    assert!(
        wait_for_log(&mut stderr, &["done", "stage=\"ingest\""]),
        "the run ended before ingest finished"
    );
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "exit status {status}; log:\n{rest}"
    );
    assert!(
        rest.contains("interrupted: stopped before stage `"),
        "the stage is named; log:\n{rest}"
    );
    // The report never ran, and nothing half-written is left anywhere.
    assert!(
        !root
            .path()
            .join("writeup/tables/artifact_index.csv")
            .exists()
    );
    for dir in ARTIFACT_DIRS {
        let dir = root.path().join(dir);
        assert_eq!(temporaries(&dir), Vec::<String>::new(), "{}", dir.display());
        check_artifacts(&dir);
    }
    assert!(check_artifacts(&root.path().join("processed")) >= 5);
}
