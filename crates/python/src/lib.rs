//! `slate_interference._native`: the Python package's bindings to the pipeline library.
//!
//! The top layer beside the `slate` program: it may depend on `slate-pipeline` and the crates
//! whose types cross its boundary (`slate-log` for the reading policy and the synthetic log,
//! `slate-reduction` for the SQL dialects, `slate-exposure` for its error type); nothing
//! depends on it. It calls the same library functions as the program, never the program
//! itself, so a call here and the matching `slate` command write the same files.
//!
//! The Python layer (`python/slate_interference`) turns data frames into a parquet file
//! through Arrow, calls these functions with a directory to write into, and reads the tables
//! back as DataFrames. Every call here:
//! - runs its work on a thread of its own with the GIL released, and checks for Ctrl-C every
//!   tenth of a second; on Ctrl-C the running stage finishes, the next does not start (as in
//!   the program) and `KeyboardInterrupt` is raised;
//! - raises `LogError` (a `ValueError`) for a log that breaks a rule, with the message the
//!   program prints (file, row, slate, column), `RuntimeError` for anything else;
//! - lets no Rust panic cross into Python: a panic becomes a `RuntimeError` naming it a bug;
//! - with `verbose`, relays the work's log lines (the program's: each stage's start, its time
//!   and peak memory, the headline effects) to Python's `sys.stderr`, which a notebook shows:
//!   the worker sends them over a channel and the waiting thread, which holds the GIL between
//!   waits, writes them.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use slate_pipeline::{LogSource, Paths, Pipeline, PipelineConfig};

create_exception!(
    _native,
    LogError,
    PyValueError,
    "The impression log breaks a rule of its schema or design; the message names the file, row, slate and column."
);

/// How often the waiting thread looks for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The worker thread's stack: a process's main thread gets 8 MiB on Linux (the program runs its
/// work there), a spawned thread 2 MiB by default; the work gets the main thread's.
const WORKER_STACK: usize = 8 << 20;

/// The Python exception for a failed run: `LogError` when the log broke a rule (the log
/// reader's and the reduction's errors), `KeyboardInterrupt` when Ctrl-C stopped it between
/// stages, else `RuntimeError`; the message is the program's, with every cause.
fn to_python(error: anyhow::Error) -> PyErr {
    let message = format!("{error:#}");
    let chain = || error.chain();
    if chain().any(|c| c.is::<slate_pipeline::Interrupted>()) {
        PyKeyboardInterrupt::new_err(message)
    } else if chain()
        .any(|c| c.is::<slate_log::LogError>() || c.is::<slate_exposure::ExposureError>())
    {
        LogError::new_err(message)
    } else {
        PyRuntimeError::new_err(message)
    }
}

/// The text of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// A writer of formatted log lines into a channel (the waiting thread prints them).
struct LineSender(Sender<String>);

impl std::io::Write for LineSender {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // The receiver is gone only once the call is over: a late line has nowhere to go.
        let _ = self.0.send(String::from_utf8_lossy(bytes).into_owned());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `lines` to Python's `sys.stderr` (a notebook shows it; the process's own stderr it
/// may not).
fn relay(py: Python<'_>, lines: &Receiver<String>) -> PyResult<()> {
    let mut text = String::new();
    while let Ok(line) = lines.try_recv() {
        text.push_str(&line);
    }
    if !text.is_empty() {
        let stderr = py.import("sys")?.getattr("stderr")?;
        stderr.call_method1("write", (text,))?;
        stderr.call_method0("flush")?;
    }
    Ok(())
}

/// Runs `work` on a thread of its own while this thread waits with the GIL released, looking
/// for Ctrl-C between waits. Ctrl-C sets the flag `work` receives (the pipeline stops before
/// its next stage) and, once `work` has returned, raises `KeyboardInterrupt`. With `verbose`,
/// the log lines of `work`'s thread are written to `sys.stderr` as they come.
fn run_released<T: Send>(
    py: Python<'_>,
    verbose: bool,
    work: impl FnOnce(&AtomicBool) -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
    let mut interrupt: Option<PyErr> = None;
    let (line_sender, lines) = channel::<String>();
    let outcome = std::thread::scope(|scope| {
        let (done, finished) = channel();
        let cancel = &cancel;
        let spawned = std::thread::Builder::new()
            .name("slate-work".into())
            .stack_size(WORKER_STACK)
            .spawn_scoped(scope, move || {
                let run = || std::panic::catch_unwind(AssertUnwindSafe(|| work(cancel)));
                let result = if verbose {
                    let subscriber = tracing_subscriber::fmt()
                        .with_writer(move || LineSender(line_sender.clone()))
                        .with_ansi(false)
                        .with_target(false)
                        .with_max_level(tracing::Level::INFO)
                        .finish();
                    tracing::subscriber::with_default(subscriber, run)
                } else {
                    run()
                };
                let _ = done.send(result);
            });
        spawned?;
        let finished = Mutex::new(finished);
        loop {
            let received = py.detach(|| {
                finished
                    .lock()
                    .map_err(|_| RecvTimeoutError::Disconnected)
                    .and_then(|rx| rx.recv_timeout(SIGNAL_CHECK))
            });
            // Printing is best effort: a closed or odd sys.stderr must not fail the run.
            let _ = relay(py, &lines);
            match received {
                Ok(result) => break Ok(Some(result)),
                Err(RecvTimeoutError::Disconnected) => break Ok(None),
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = py.check_signals() {
                        cancel.store(true, Ordering::SeqCst);
                        interrupt.get_or_insert(e);
                    }
                }
            }
        }
    });
    let _ = relay(py, &lines);
    let outcome = outcome.map_err(|e: std::io::Error| {
        PyRuntimeError::new_err(format!("slate: cannot start its worker thread: {e}"))
    })?;
    match outcome {
        // Ctrl-C came during the last stage: the work is complete, but the user asked to stop
        // (the program likewise exits as interrupted).
        Some(Ok(Ok(value))) => interrupt.map_or(Ok(value), Err),
        Some(Ok(Err(error))) => Err(to_python(error)),
        Some(Err(payload)) => Err(PyRuntimeError::new_err(format!(
            "internal error in slate (a bug, please report it): {}",
            panic_text(payload.as_ref())
        ))),
        None => Err(PyRuntimeError::new_err(
            "internal error in slate: the worker thread ended without a result",
        )),
    }
}

/// The configuration: the TOML file at `path`, else the JSON object `json` (the same keys),
/// else the defaults; then the `[log]` section's names from the call (each given mapping
/// replaces the file's for its canonical column; given outcomes or covariates replace the
/// file's lists). Checked as the program checks its `--config`.
fn configure(
    path: Option<PathBuf>,
    json: Option<&str>,
    columns: Option<BTreeMap<String, String>>,
    outcomes: Option<Vec<String>>,
    covariates: Option<Vec<String>>,
) -> PyResult<PipelineConfig> {
    let bad = |message: String| PyValueError::new_err(message);
    let mut config = match (path, json) {
        (Some(path), _) => PipelineConfig::load(&path).map_err(|e| bad(format!("{e:#}")))?,
        (None, Some(json)) => {
            serde_json::from_str(json).map_err(|e| bad(format!("config: {e}")))?
        }
        (None, None) => PipelineConfig::default(),
    };
    if let Some(columns) = columns {
        config.log.columns.extend(columns);
    }
    if let Some(outcomes) = outcomes.filter(|o| !o.is_empty()) {
        config.log.outcomes = outcomes;
    }
    if let Some(covariates) = covariates.filter(|c| !c.is_empty()) {
        config.log.covariates = covariates;
    }
    config.check().map_err(|e| bad(format!("config: {e:#}")))?;
    Ok(config)
}

/// A pipeline writing under `root` in the program's layout (`data/processed`, `writeup`,
/// `writeup/figures`), without progress bars.
fn pipeline(config: PipelineConfig, root: &Path) -> Pipeline {
    Pipeline {
        config,
        paths: Paths::under(root),
        progress: false,
    }
}

fn policy(on_bad_slate: &str) -> PyResult<slate_log::OnBadSlate> {
    match on_bad_slate {
        "error" => Ok(slate_log::OnBadSlate::Error),
        "drop" => Ok(slate_log::OnBadSlate::Drop),
        other => Err(PyValueError::new_err(format!(
            "on_bad_slate must be \"error\" or \"drop\", not {other:?}"
        ))),
    }
}

/// `slate analyze --log LOG` into `root`: a parquet log is reduced per slate (unless
/// `item_rows` or `on_bad_slate="drop"`), a CSV log is read as item rows, as the program
/// does. `name` names the log in the manifest and the report instead of its path.
#[pyfunction]
#[pyo3(signature = (log, root, *, name=None, config_path=None, config_json=None, columns=None,
    outcomes=None, covariates=None, on_bad_slate="error", item_rows=false, chunk_rows=None,
    verbose=false))]
#[allow(clippy::too_many_arguments)]
fn analyze(
    py: Python<'_>,
    log: PathBuf,
    root: PathBuf,
    name: Option<String>,
    config_path: Option<PathBuf>,
    config_json: Option<String>,
    columns: Option<BTreeMap<String, String>>,
    outcomes: Option<Vec<String>>,
    covariates: Option<Vec<String>>,
    on_bad_slate: &str,
    item_rows: bool,
    chunk_rows: Option<usize>,
    verbose: bool,
) -> PyResult<()> {
    let config = configure(
        config_path,
        config_json.as_deref(),
        columns,
        outcomes,
        covariates,
    )?;
    let policy = policy(on_bad_slate)?;
    let chunk_rows = chunk_rows.unwrap_or(slate_reduction::DEFAULT_CHUNK_ROWS);
    let pipeline = pipeline(config, &root);
    run_released(py, verbose, |cancel| {
        let parquet = log.extension().is_some_and(|e| e == "parquet");
        let source = if parquet && !item_rows && policy == slate_log::OnBadSlate::Error {
            LogSource::Reduced(&log, chunk_rows)
        } else {
            LogSource::Rows(&log, policy)
        };
        pipeline.analyze_as(source, name.as_deref(), cancel)
    })
}

/// `slate power --log LOG [--slates ...]` into `root`: analytic power and minimum detectable
/// effects from a pilot log.
#[pyfunction]
#[pyo3(signature = (log, root, *, slates=None, config_path=None, config_json=None, columns=None,
    outcomes=None, covariates=None, on_bad_slate="error"))]
#[allow(clippy::too_many_arguments)]
fn power(
    py: Python<'_>,
    log: PathBuf,
    root: PathBuf,
    slates: Option<Vec<usize>>,
    config_path: Option<PathBuf>,
    config_json: Option<String>,
    columns: Option<BTreeMap<String, String>>,
    outcomes: Option<Vec<String>>,
    covariates: Option<Vec<String>>,
    on_bad_slate: &str,
) -> PyResult<()> {
    if slates.iter().flatten().any(|n| *n < 20) {
        return Err(PyValueError::new_err(
            "slates: every design size must be at least 20 slates",
        ));
    }
    let config = configure(
        config_path,
        config_json.as_deref(),
        columns,
        outcomes,
        covariates,
    )?;
    let policy = policy(on_bad_slate)?;
    let pipeline = pipeline(config, &root);
    run_released(py, false, |_| {
        std::fs::create_dir_all(&pipeline.paths.processed_dir)?;
        pipeline.pilot_power(&log, policy, slates.as_deref())
    })
}

/// `slate log-sql --dialect DIALECT [--log LOG] [--truth] [--target-position]`: the per-slate
/// reduction query.
#[pyfunction]
#[pyo3(signature = (dialect, *, log=None, truth=false, target_position=false, config_path=None,
    config_json=None, columns=None, outcomes=None, covariates=None))]
#[allow(clippy::too_many_arguments)]
fn log_sql(
    py: Python<'_>,
    dialect: &str,
    log: Option<PathBuf>,
    truth: bool,
    target_position: bool,
    config_path: Option<PathBuf>,
    config_json: Option<String>,
    columns: Option<BTreeMap<String, String>>,
    outcomes: Option<Vec<String>>,
    covariates: Option<Vec<String>>,
) -> PyResult<String> {
    let dialect = match dialect {
        "spark" => slate_reduction::Dialect::Spark,
        "polars" => slate_reduction::Dialect::Polars,
        other => {
            return Err(PyValueError::new_err(format!(
                "dialect must be \"spark\" or \"polars\", not {other:?}"
            )));
        }
    };
    let config = configure(
        config_path,
        config_json.as_deref(),
        columns,
        outcomes,
        covariates,
    )?;
    let pipeline = pipeline(config, Path::new("."));
    run_released(py, false, |_| {
        pipeline.log_sql(dialect, log.as_deref(), truth, target_position)
    })
}

/// `slate synth-log --slates N ... --out PATH`: a synthetic impression log with truth columns
/// and the item covariate `relevance`; returns the path written.
#[pyfunction]
#[pyo3(signature = (path, slates, *, slate_size=12, slates_per_unit=1, focals_per_slate=1,
    target_position=1, seed=1))]
#[allow(clippy::too_many_arguments)]
fn synth_log(
    py: Python<'_>,
    path: PathBuf,
    slates: usize,
    slate_size: usize,
    slates_per_unit: usize,
    focals_per_slate: usize,
    target_position: usize,
    seed: u64,
) -> PyResult<PathBuf> {
    let config = slate_log::synthetic::SyntheticConfig {
        slates,
        slate_size,
        slates_per_unit,
        focals_per_slate,
        target_position,
        ..Default::default()
    };
    config
        .check()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let pipeline = pipeline(PipelineConfig::default(), Path::new("."));
    run_released(py, false, |_| pipeline.synth_log(&config, seed, &path))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LogError", m.py().get_type::<LogError>())?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(power, m)?)?;
    m.add_function(wrap_pyfunction!(log_sql, m)?)?;
    m.add_function(wrap_pyfunction!(synth_log, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
