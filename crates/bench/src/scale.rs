//! `cargo xtask bench-scale`: the scale targets of issues 15 and 34 measured side by side in one run,
//! on canonical logs that `synth-log` writes (12 items per slate, both truth columns, the item
//! covariate `relevance`). Writes `bench/scale.md`. A benchmark, not a test: it asserts
//! nothing about time and reports each target as met or not.
//!
//! Per log size:
//! - the per-slate reduction (`reduce-log`) against DuckDB running the same query on the same
//!   file (its Python wheel, pinned in `bench/scale/requirements.txt`, in a venv this command
//!   makes), alternated, medians;
//! - exposure from the log (reduction, checks, per-slate tables);
//! - `analyze --log` end to end (validation, every table, figures, report);
//! - and, once, the MovieLens-shaped simulation: simulate + exposure of the same number of
//!   slates from synthetic MovieLens data.
//!
//! Every step runs in a process of its own, ours (this program, re-invoked) as the peer's, so
//! no step's figures carry memory an earlier step left behind: wall time, and the peak RSS,
//! read from `/proc/<pid>/status` (`VmHWM`, `VmRSS`) every 50 ms while the process runs.
//! DuckDB's seconds and peak are its own, which it prints (the query and the write, and its
//! process's `ru_maxrss`).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use slate_pipeline::PipelineConfig;
use slate_pipeline::memory::process_status_mib;
use tracing::info;

use crate::record::{Measurement, Peer, Stage, regression_report, run_header};
use crate::summary::median;

/// What `bench-scale` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleOptions {
    /// Log sizes in slates (12 impressions each).
    pub slates: Vec<usize>,
    /// Consecutive slates per randomization unit of the logs: each size is measured at each.
    pub slates_per_unit: Vec<usize>,
    /// Alternated runs of the reduction and of DuckDB per size (medians are reported).
    pub repeats: usize,
    /// Slates of the simulate + exposure measurement (0: skip it).
    pub simulate_slates: usize,
    /// Where the logs are kept (`synthetic_log_<slates>.parquet`, written when missing).
    pub data_dir: PathBuf,
}

/// The steps this benchmark records (stage names of the record).
pub const REDUCTION: &str = "per-slate reduction (reduce-log)";
/// See [`REDUCTION`].
pub const EXPOSURE: &str =
    "exposure from the log (analyze's reduce-log and read-slate-stats stages)";
/// See [`REDUCTION`].
pub const ANALYZE: &str = "analyze --log, end to end";
/// See [`REDUCTION`].
pub const SIMULATE_EXPOSURE: &str =
    "simulate + exposure (synthetic MovieLens, item rows; two processes)";
/// The prefix of the record's names of `analyze`'s own stages (`analyze stage: estimate`).
pub const ANALYZE_STAGE: &str = "analyze stage: ";

/// Appends the table of `analyze`'s own stages (seconds, peak RSS) to `out`: a row for each of
/// `stages` (with its step's name) whose step is one of them ([`ANALYZE_STAGE`]).
pub(crate) fn analyze_stage_table<'a>(
    out: &mut String,
    stages: impl IntoIterator<Item = (&'a str, &'a Stage)>,
) {
    let _ = writeln!(out, "| stage | seconds | peak RSS |");
    let _ = writeln!(out, "|---|---:|---:|");
    for (step, s) in stages {
        if let Some(stage) = step.strip_prefix(ANALYZE_STAGE) {
            let _ = writeln!(
                out,
                "| {stage} | {:.1} | {:.2} GiB |",
                s.seconds,
                s.peak_rss_mib / 1024.0
            );
        }
    }
}

/// One stage as `slate` logs it when the stage is done.
#[derive(Debug, Clone, PartialEq)]
pub struct StageTime {
    /// The stage's name.
    pub stage: String,
    /// Wall seconds.
    pub seconds: f64,
    /// The process's peak RSS during the stage, MiB.
    pub peak_mib: f64,
}

/// A step's name in the record: the step, then the logs' units when they hold several slates
/// (`analyze --log, end to end [5 slates per unit]`).
pub fn step_name(step: &str, slates_per_unit: usize) -> String {
    if slates_per_unit == 1 {
        step.to_string()
    } else {
        format!("{step} [{slates_per_unit} slates per unit]")
    }
}

/// The step and the slates per unit of a record's name ([`step_name`] undone).
fn parse_step(name: &str) -> (&str, usize) {
    name.strip_suffix(" slates per unit]")
        .and_then(|rest| {
            let i = rest.rfind(" [")?;
            Some((&name[..i], rest[i + 2..].parse().ok()?))
        })
        .unwrap_or((name, 1))
}

/// The step of a record's name.
fn step_of(name: &str) -> &str {
    parse_step(name).0
}

/// The target a step is held to, in words, and whether `stage` meets it (the same at any
/// number of slates per unit): issue 15's, with issue 34's at 1 M slates (the reduction
/// alone in 3 s, exposure from the log in 5 s) and at 100 M impressions (4 GiB).
pub fn target(stage: &Stage) -> Option<(&'static str, bool)> {
    let (seconds, peak) = (stage.seconds, stage.peak_rss_mib);
    match step_of(&stage.name) {
        REDUCTION if stage.size == 1_000_000 => {
            let peer = stage.peer.as_ref()?;
            Some((
                "within 1.5x DuckDB and at most 3 s",
                seconds <= 1.5 * peer.seconds && seconds <= 3.0,
            ))
        }
        REDUCTION => {
            let peer = stage.peer.as_ref()?;
            Some(("within 1.5x DuckDB", seconds <= 1.5 * peer.seconds))
        }
        EXPOSURE if stage.size == 1_000_000 => Some(("at most 5 s", seconds <= 5.0)),
        ANALYZE if is_large(stage.size as usize) => Some((
            "at most 300 s and 4 GiB",
            seconds <= 300.0 && peak <= 4096.0,
        )),
        SIMULATE_EXPOSURE if stage.size == 1_000_000 => Some(("under 2 GB", peak < 2048.0)),
        _ => None,
    }
}

/// A step run once, with no peer.
pub(crate) fn once(
    name: String,
    slates: usize,
    rows: usize,
    seconds: f64,
    peak_rss_mib: f64,
) -> Stage {
    Stage::once(name, slates as u64, rows as u64, seconds, peak_rss_mib)
}

/// Impressions per slate in the benchmark logs.
pub(crate) const SLATE_SIZE: usize = 12;

/// A Python interpreter with the pinned DuckDB, in a venv under the user's cache (made and
/// filled from `bench/scale/requirements.txt` when missing).
fn duckdb_python(root: &Path) -> Result<PathBuf> {
    let cache = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache").join("slate-xtask"))
        .unwrap_or_else(|| root.join("data").join("raw"));
    let venv = cache.join("bench-scale-venv");
    let python = venv.join("bin").join("python");
    let ready = std::process::Command::new(&python)
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        info!(venv = %venv.display(), "installing DuckDB from bench/scale/requirements.txt");
        std::fs::create_dir_all(&cache)?;
        let status = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("python3 -m venv")?;
        anyhow::ensure!(
            status.success(),
            "python3 -m venv {} failed",
            venv.display()
        );
        let status = std::process::Command::new(&python)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(root.join("bench").join("scale").join("requirements.txt"))
            .status()?;
        anyhow::ensure!(status.success(), "pip install of DuckDB failed");
    }
    Ok(python)
}

/// Runs the DuckDB peer on `log` with `query`; returns its seconds and peak RSS (MiB).
fn duckdb(python: &Path, root: &Path, log: &Path, query: &Path, out: &Path) -> Result<(f64, f64)> {
    let output = std::process::Command::new(python)
        .arg(root.join("bench").join("scale").join("duckdb_reduction.py"))
        .args([log, query, out])
        .arg("2")
        .output()
        .context("running bench/scale/duckdb_reduction.py")?;
    anyhow::ensure!(
        output.status.success(),
        "bench/scale/duckdb_reduction.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let field = |name: &str| value[name].as_f64().unwrap_or(f64::NAN);
    Ok((field("seconds"), field("peak_rss_mib")))
}

/// Runs this program with `args` (stdout and stderr to `log`), polling its memory; returns its
/// wall seconds and peak RSS (MiB).
pub(crate) fn run_ours(args: &[OsString], log: &Path) -> Result<(f64, f64)> {
    let exe = std::env::current_exe().context("locating this program")?;
    let start = Instant::now();
    let mut child = Command::new(&exe)
        .args(args)
        .stdout(Stdio::from(std::fs::File::create(log)?))
        .stderr(Stdio::from(std::fs::File::create(
            log.with_extension("err"),
        )?))
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak = 0.0f64;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        for key in ["VmHWM:", "VmRSS:"] {
            let mib = process_status_mib(&status_file, key);
            if mib.is_finite() {
                peak = peak.max(mib);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        let stderr = std::fs::read_to_string(log.with_extension("err")).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        anyhow::bail!(
            "slate {:?} failed ({status}): {}",
            args,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    info!(
        args = ?args,
        seconds = format!("{seconds:.2}"),
        peak_mib = format!("{peak:.0}"),
        "bench-scale"
    );
    Ok((seconds, peak))
}

/// Arguments: the output directories under `root`, `--quiet`, `--config config`, then `rest`.
pub(crate) fn ours_args(root: &Path, config: &Path, rest: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    for (flag, dir) in [
        ("--raw-dir", root.join("raw")),
        ("--processed-dir", root.join("processed")),
        ("--figures-dir", root.join("writeup").join("figures")),
        ("--writeup-dir", root.join("writeup")),
    ] {
        args.push(flag.into());
        args.push(dir.into());
    }
    args.push("--quiet".into());
    args.push("--config".into());
    args.push(config.into());
    args.extend(rest.iter().map(OsString::from));
    args
}

/// The benchmark log of `slates` slates, `slates_per_unit` to a unit, in `dir`, written by
/// `synth-log` when missing.
fn log_of(dir: &Path, config: &Path, slates: usize, slates_per_unit: usize) -> Result<PathBuf> {
    let name = if slates_per_unit == 1 {
        format!("synthetic_log_{slates}.parquet")
    } else {
        format!("synthetic_log_{slates}_{slates_per_unit}_per_unit.parquet")
    };
    let path = dir.join(name);
    if !path.exists() {
        let (n, k) = (slates.to_string(), slates_per_unit.to_string());
        let out = path.to_string_lossy().to_string();
        let args = [
            "synth-log",
            "--slates",
            &n,
            "--slates-per-unit",
            &k,
            "--out",
            &out,
        ];
        run_ours(&ours_args(dir, config, &args), &dir.join("synth-log.log"))?;
    }
    Ok(path)
}

/// How the benchmark logs are read: canonical columns and the item covariate `relevance`.
fn bench_log_config() -> slate_log::LogConfig {
    slate_log::LogConfig {
        covariates: vec!["relevance".into()],
        ..slate_log::LogConfig::default()
    }
}

/// Writes `config` with the benchmark logs' covariate (`relevance`) to `dir/bench.toml`.
pub(crate) fn write_config(
    config: &PipelineConfig,
    dir: &Path,
    slates: Option<usize>,
) -> Result<PathBuf> {
    let mut config = config.clone();
    config.log = bench_log_config();
    if let Some(n) = slates {
        config.simulation.slates.n_slates = n;
    }
    let path = dir.join("bench.toml");
    std::fs::write(&path, toml::to_string(&config)?)?;
    Ok(path)
}

/// Whether this size is the issue's 100 M-impression log (the end-to-end target's size).
fn is_large(slates: usize) -> bool {
    slates * SLATE_SIZE >= 100_000_000
}

/// Runs the benchmark. A reduction step's `bytes` are those of the per-slate table it wrote.
pub fn run(base: &PipelineConfig, root: &Path, options: &ScaleOptions) -> Result<Vec<Stage>> {
    let python = duckdb_python(root)?;
    std::fs::create_dir_all(&options.data_dir)?;
    let mut report = Vec::new();
    let sizes = options
        .slates_per_unit
        .iter()
        .flat_map(|&k| options.slates.iter().map(move |&n| (n, k)));
    for (slates, per_unit) in sizes {
        let name = |step: &str| step_name(step, per_unit);
        let scratch = tempfile::tempdir_in(&options.data_dir)?;
        let dir = scratch.path();
        let config = write_config(base, dir, None)?;
        let log = log_of(&options.data_dir, &config, slates, per_unit)?;
        let log_arg = log.to_string_lossy().to_string();
        let config_log = bench_log_config();
        let names = slate_table::parquet_columns(&log)?;
        let shape = slate_reduction::LogShape::of_columns(&names, &config_log, &log)?;
        let query = dir.join("reduction.sql");
        std::fs::write(
            &query,
            slate_reduction::reduction_sql(&config_log, &shape, slate_reduction::Dialect::Polars),
        )?;

        // The reduction against DuckDB, alternated.
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let (mut our_peak, mut their_peak) = (0.0f64, 0.0f64);
        let mut bytes = 0;
        for _ in 0..options.repeats.max(1) {
            let run_root = dir.join("reduce");
            let (seconds, peak) = run_ours(
                &ours_args(&run_root, &config, &["reduce-log", "--log", &log_arg]),
                &dir.join("reduce.log"),
            )?;
            let table = run_root
                .join("processed")
                .join(slate_reduction::SLATE_STATS_FILE);
            bytes = std::fs::metadata(&table)?.len();
            ours.push(seconds);
            our_peak = our_peak.max(peak);
            let duck_out = dir.join("duckdb.parquet");
            let (seconds, peak) = duckdb(&python, root, &log, &query, &duck_out)?;
            info!(seconds, peak_mib = peak, "duckdb");
            theirs.push(seconds);
            their_peak = their_peak.max(peak);
            std::fs::remove_file(&duck_out)?;
        }
        let repeats = ours.len();
        let (ours, theirs) = (median(ours), median(theirs));
        let impressions = slates * SLATE_SIZE;
        report.push(Stage {
            bytes: Some(bytes),
            repeats,
            peer: Some(Peer {
                name: "DuckDB, same query".into(),
                seconds: theirs,
                peak_rss_mib: their_peak,
            }),
            ..once(name(REDUCTION), slates, impressions, ours, our_peak)
        });

        // analyze --log end to end, and the stages it logged.
        let run_root = dir.join("analyze");
        let (seconds, peak) = run_ours(
            &ours_args(&run_root, &config, &["analyze", "--log", &log_arg]),
            &dir.join("analyze.log"),
        )?;
        let stages = stage_times(&dir.join("analyze.err"));
        let reading: Vec<&StageTime> = stages
            .iter()
            .filter(|s| s.stage == "reduce-log" || s.stage == "read-slate-stats")
            .collect();
        let exposure: f64 = reading.iter().map(|s| s.seconds).sum();
        let exposure_peak = reading.iter().map(|s| s.peak_mib).fold(0.0, f64::max);
        report.push(once(
            name(EXPOSURE),
            slates,
            impressions,
            exposure,
            exposure_peak,
        ));
        report.push(once(name(ANALYZE), slates, impressions, seconds, peak));
        for s in stages {
            report.push(once(
                name(&format!("{ANALYZE_STAGE}{}", s.stage)),
                slates,
                impressions,
                s.seconds,
                s.peak_mib,
            ));
        }
    }

    if options.simulate_slates > 0 {
        let scratch = tempfile::tempdir_in(&options.data_dir)?;
        let dir = scratch.path();
        let config = write_config(base, dir, Some(options.simulate_slates))?;
        run_ours(
            &ours_args(dir, &config, &["ingest", "--synthetic"]),
            &dir.join("ingest.log"),
        )?;
        let (simulate, simulate_peak) = run_ours(
            &ours_args(dir, &config, &["simulate"]),
            &dir.join("simulate.log"),
        )?;
        let (exposure, exposure_peak) = run_ours(
            &ours_args(dir, &config, &["exposure"]),
            &dir.join("exposure.log"),
        )?;
        let peak = simulate_peak.max(exposure_peak);
        let slates = options.simulate_slates;
        report.push(once(
            SIMULATE_EXPOSURE.into(),
            slates,
            slates * SLATE_SIZE,
            simulate + exposure,
            peak,
        ));
    }
    Ok(report)
}

/// The stages `slate` logged to `stderr` (`done stage=… seconds=… peak_rss_mib=…`): name,
/// seconds and the process's peak RSS during the stage (MiB).
pub(crate) fn stage_times(stderr: &Path) -> Vec<StageTime> {
    let text = std::fs::read_to_string(stderr).unwrap_or_default();
    let field = |line: &str, key: &str| -> Option<String> {
        let start = line.find(&format!("{key}=\""))? + key.len() + 2;
        let end = start + line[start..].find('"')?;
        Some(line[start..end].to_string())
    };
    text.lines()
        .filter(|l| l.contains(" done "))
        .filter_map(|l| {
            Some(StageTime {
                stage: field(l, "stage")?,
                seconds: field(l, "seconds")?.parse().ok()?,
                peak_mib: field(l, "peak_rss_mib")?.parse().ok()?,
            })
        })
        .collect()
}

/// The marginal memory of `analyze` per slate (MiB per slate → bytes) between the smallest and
/// largest size measured, when there are two.
fn bytes_per_slate(run: &[&Stage]) -> Option<f64> {
    let analyze: Vec<&&Stage> = run.iter().filter(|s| s.name == ANALYZE).collect();
    let (first, last) = (analyze.first()?, analyze.last()?);
    (last.size > first.size).then(|| {
        (last.peak_rss_mib - first.peak_rss_mib) * 1024.0 * 1024.0 / (last.size - first.size) as f64
    })
}

/// Renders `bench/scale.md` from the record's last run of `bench-scale` (`run`) and the run
/// before it (`previous`, for the regression report).
pub fn markdown(run: &[&Measurement], previous: &[&Measurement]) -> String {
    let stages: Vec<&Stage> = run.iter().map(|m| &m.stage).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Impression logs at scale (issues 15 and 34's targets)\n"
    );
    let _ = writeln!(
        out,
        "Logs from `synth-log` (12 impressions per slate, both truth columns, the item covariate \
         `relevance`); the default configuration (500 bootstrap replicates, 2,000 randomization \
         draws, models capped at `max_fit_slates` slates per fit). Ours: each step in its own \
         process, wall time and peak RSS polled from /proc every 50 ms; DuckDB: its own timing \
         of the query and write, and its process's peak RSS. Medians of the alternated runs for \
         the reduction, one run otherwise.\n"
    );
    if let Some(first) = run.first() {
        out.push_str(&run_header(&first.run));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| step | slates | impressions | ours | peer | ratio | target | met |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|---:|---|---|");
    for r in stages.iter().filter(|s| !s.name.starts_with(ANALYZE_STAGE)) {
        let (peer, ratio) = match &r.peer {
            Some(p) => (
                format!(
                    "{}: {:.1} s, {:.2} GiB",
                    p.name,
                    p.seconds,
                    p.peak_rss_mib / 1024.0
                ),
                format!("{:.2}", r.seconds / p.seconds),
            ),
            None => (String::new(), String::new()),
        };
        let (target, met) = match target(r) {
            Some((text, met)) => (text, if met { "yes" } else { "**no**" }),
            None => ("", ""),
        };
        let impressions = if r.name == SIMULATE_EXPOSURE {
            String::new()
        } else {
            r.rows.to_string()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {impressions} | {:.1} s, {:.2} GiB | {peer} | {ratio} | {target} | {met} |",
            r.name,
            r.size,
            r.seconds,
            r.peak_rss_mib / 1024.0
        );
    }
    let _ = writeln!(out);
    for r in stages.iter().filter(|s| step_of(&s.name) == REDUCTION) {
        if let Some(bytes) = r.bytes {
            let units = match parse_step(&r.name).1 {
                1 => String::new(),
                k => format!(" ({k} per unit)"),
            };
            let _ = writeln!(
                out,
                "- Per-slate table of {} slates{units}: {bytes} bytes on disk, {:.0} bytes per slate.",
                r.size,
                bytes as f64 / r.size as f64
            );
        }
    }
    let mut logs: Vec<(u64, usize)> = stages
        .iter()
        .filter(|s| s.name.starts_with(ANALYZE_STAGE))
        .map(|s| (s.size, parse_step(&s.name).1))
        .collect();
    logs.dedup();
    for (slates, per_unit) in logs {
        let units = if per_unit == 1 {
            String::new()
        } else {
            format!(", {per_unit} slates per unit")
        };
        let _ = writeln!(
            out,
            "\n`analyze --log` on {slates} slates{units}, stage by stage (seconds; the process's \
             peak RSS during the stage, which includes memory kept from earlier stages):\n"
        );
        analyze_stage_table(
            &mut out,
            stages
                .iter()
                .filter(|s| s.size == slates && parse_step(&s.name).1 == per_unit)
                .map(|s| (step_of(&s.name), *s)),
        );
    }
    let _ = writeln!(out);
    if let Some(b) = bytes_per_slate(&stages) {
        let _ = writeln!(
            out,
            "- `analyze` memory per additional slate (between the smallest and largest log): \
             {b:.0} bytes."
        );
    }
    let _ = writeln!(out, "\n## Against the previous run\n");
    out.push_str(&regression_report(previous, run));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is rendered from recorded measurements, targets judged from them.
    #[test]
    fn the_table_is_rendered_from_the_record_with_each_target_judged() {
        let run = crate::record::test_run(
            "cargo xtask bench-scale --slates 1000000",
            "2026-12-06T00:00:00Z",
        );
        let slates = 1_000_000;
        let stages = [
            Stage {
                bytes: Some(50_000_000),
                peer: Some(Peer {
                    name: "DuckDB, same query".into(),
                    seconds: 10.0,
                    peak_rss_mib: 900.0,
                }),
                ..once(REDUCTION.into(), slates, 12 * slates, 16.0, 1000.0)
            },
            once(EXPOSURE.into(), slates, 12 * slates, 2.5, 700.0),
            once(ANALYZE.into(), slates, 12 * slates, 120.0, 800.0),
            once(
                format!("{ANALYZE_STAGE}estimate"),
                slates,
                12 * slates,
                20.0,
                600.0,
            ),
        ];
        assert_eq!(
            target(&stages[0]),
            Some(("within 1.5x DuckDB and at most 3 s", false))
        );
        assert_eq!(target(&stages[1]), Some(("at most 5 s", true)));
        assert_eq!(
            target(&stages[2]),
            None,
            "the end-to-end target is the 100 M log's"
        );
        let measurements: Vec<Measurement> = stages.iter().map(|s| s.clone().of(&run)).collect();
        let text = markdown(&measurements.iter().collect::<Vec<_>>(), &[]);
        assert!(
            text.contains("at commit abc1234 on 2026-12-06T00:00:00Z"),
            "{text}"
        );
        assert!(
            text.contains("| per-slate reduction (reduce-log) | 1000000 | 12000000 | 16.0 s, 0.98 GiB | DuckDB, same query: 10.0 s, 0.88 GiB | 1.60 | within 1.5x DuckDB and at most 3 s | **no** |"),
            "{text}"
        );
        assert!(text.contains("50 bytes per slate"), "{text}");
        assert!(text.contains("| estimate | 20.0 | 0.59 GiB |"), "{text}");
        assert!(!text.contains(&format!("| {ANALYZE_STAGE}")), "{text}");
        assert!(text.contains("No earlier run of this command"), "{text}");
    }

    /// A log of several slates per unit is its own row, held to the same target, with its own
    /// stage table.
    #[test]
    fn logs_of_several_slates_per_unit_are_their_own_rows() {
        let name = step_name(ANALYZE, 5);
        assert_eq!(name, "analyze --log, end to end [5 slates per unit]");
        assert_eq!(parse_step(&name), (ANALYZE, 5));
        assert_eq!(parse_step(ANALYZE), (ANALYZE, 1));
        assert_eq!(step_name(REDUCTION, 1), REDUCTION);
        let slates = 8_340_000;
        let fast = once(step_name(ANALYZE, 5), slates, 12 * slates, 190.0, 3500.0);
        let slow = once(step_name(ANALYZE, 1), slates, 12 * slates, 310.0, 3500.0);
        assert_eq!(target(&fast), Some(("at most 300 s and 4 GiB", true)));
        assert_eq!(target(&slow), Some(("at most 300 s and 4 GiB", false)));
        let run = crate::record::test_run("cargo xtask bench-scale", "2026-12-06T00:00:00Z");
        let stages = [
            slow,
            once(
                format!("{ANALYZE_STAGE}estimate"),
                slates,
                12 * slates,
                40.0,
                3000.0,
            ),
            fast,
            once(
                step_name(&format!("{ANALYZE_STAGE}estimate"), 5),
                slates,
                12 * slates,
                30.0,
                2000.0,
            ),
        ];
        let measurements: Vec<Measurement> = stages.iter().map(|s| s.clone().of(&run)).collect();
        let text = markdown(&measurements.iter().collect::<Vec<_>>(), &[]);
        assert!(
            text.contains("| analyze --log, end to end [5 slates per unit] | 8340000 | 100080000 | 190.0 s, 3.42 GiB |  |  | at most 300 s and 4 GiB | yes |"),
            "{text}"
        );
        assert!(
            text.contains("on 8340000 slates, 5 slates per unit, stage by stage"),
            "{text}"
        );
        let five = text
            .split("5 slates per unit, stage by stage")
            .nth(1)
            .unwrap();
        assert!(five.contains("| estimate | 30.0 | 1.95 GiB |"), "{text}");
        assert!(!five.contains("| estimate | 40.0"), "{text}");
    }

    /// The stage lines `slate` writes are read back; other lines are skipped.
    #[test]
    fn stage_times_reads_the_done_lines() {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("analyze.err");
        std::fs::write(
            &stderr,
            "2026-11-30T12:15:44Z  INFO slate_pipeline: start stage=\"estimate\"\n\
             2026-11-30T12:15:44Z  INFO slate_pipeline: done stage=\"reduce-log\" seconds=\"13.105\" peak_rss_mib=\"1480\"\n\
             2026-11-30T12:15:45Z  INFO slate_pipeline: observed effect contrast=\"Total slate\"\n\
             2026-11-30T12:17:35Z  INFO slate_pipeline: done stage=\"estimate\" seconds=\"58.5\" peak_rss_mib=\"2686\"\n",
        )
        .unwrap();
        let stages = stage_times(&stderr);
        assert_eq!(
            stages,
            vec![
                StageTime {
                    stage: "reduce-log".into(),
                    seconds: 13.105,
                    peak_mib: 1480.0
                },
                StageTime {
                    stage: "estimate".into(),
                    seconds: 58.5,
                    peak_mib: 2686.0
                },
            ]
        );
    }
}
