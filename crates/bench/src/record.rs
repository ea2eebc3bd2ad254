//! The benchmarks' record: every measurement of every run, one JSON object per line in
//! `bench/record.jsonl`, appended by each `bench*` command; and the regression report that
//! compares a run with the last run of the same command.
//!
//! This machine's speed swings by a third from day to day, so two runs' seconds are never
//! compared directly. Each measurement is compared through a ratio taken within its own run:
//! ours over the peer's time where a peer ran beside it, otherwise ours over the run's
//! [reference workload](reference_seconds), a fixed computation timed at the start and the end
//! of the run. A stage is reported when that ratio, or its peak memory, got more than
//! [`REGRESSION_THRESHOLD`] worse. The markdown tables under `bench/` are rendered from the
//! record's last run of their command, never from in-memory results.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use slate_pipeline::memory::{reset_peak_rss, status_mib};

/// The record's file name under `bench/`.
pub const RECORD_FILE: &str = "record.jsonl";

/// How much worse (as a fraction) a stage's normalised time or peak memory may get before the
/// report names it.
pub const REGRESSION_THRESHOLD: f64 = 0.15;

/// Stages shorter than this many seconds in both runs are not compared for time: at that length
/// one run's scheduler and timer noise exceeds the threshold.
const TIME_NOISE_SECONDS: f64 = 0.05;

/// Peak-memory changes below this many MiB are never reported (small stages' peaks are within
/// the allocator's noise).
const MEMORY_NOISE_MIB: f64 = 64.0;

/// The run a measurement belongs to: which command, on which code, when, and how fast the
/// machine was then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The command as typed, e.g. `cargo xtask bench-estimate --slates 1000000 --repeats 3`.
    pub command: String,
    /// `git rev-parse --short HEAD`, with `-dirty` when the work tree had changes.
    pub commit: String,
    /// When the run began, UTC, RFC 3339 to the second.
    pub date: String,
    /// Rayon threads.
    pub threads: usize,
    /// The reference workload's seconds in this run (mean of its timing at the start and end).
    #[serde(with = "number_or_null")]
    pub reference_seconds: f64,
}

/// A peer timed in the same run on the same input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// What ran, e.g. `python-polars.read_csv, the same four CSVs`.
    pub name: String,
    /// Its wall time, seconds (the same statistic as ours: median or fastest).
    #[serde(with = "number_or_null")]
    pub seconds: f64,
    /// Its process's peak RSS, MiB (NaN, written as null, when not measured).
    #[serde(with = "number_or_null")]
    pub peak_rss_mib: f64,
}

/// One measured stage of a run: a line of the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The run.
    #[serde(flatten)]
    pub run: Run,
    /// The stage.
    #[serde(flatten)]
    pub stage: Stage,
}

/// One measured stage, before the run's identity is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// The stage, in words; with `size` and the peer's name it identifies the measurement
    /// across runs.
    pub name: String,
    /// The stage's size (slates, or ratings for ingest).
    pub size: u64,
    /// Rows processed, for throughput.
    pub rows: u64,
    /// Bytes of the stage's main file: the input it reads (ingest, `all`), or the table it
    /// writes (bench-scale's per-slate reduction).
    pub bytes: Option<u64>,
    /// Timed repetitions.
    pub repeats: usize,
    /// Our wall time, seconds: the statistic `statistic` of the repetitions.
    #[serde(with = "number_or_null")]
    pub seconds: f64,
    /// Which statistic `seconds` is.
    pub statistic: Statistic,
    /// The median of the repetitions, when `seconds` is their fastest.
    pub median_seconds: Option<f64>,
    /// Peak RSS, MiB (what the command measures: the stage's growth, or the process's peak).
    #[serde(with = "number_or_null")]
    pub peak_rss_mib: f64,
    /// The peer timed beside it, if any.
    pub peer: Option<Peer>,
}

impl Stage {
    /// A stage timed once, with no peer.
    pub fn once(name: String, size: u64, rows: u64, seconds: f64, peak_rss_mib: f64) -> Stage {
        Stage {
            name,
            size,
            rows,
            bytes: None,
            repeats: 1,
            seconds,
            statistic: Statistic::Median,
            median_seconds: None,
            peak_rss_mib,
            peer: None,
        }
    }

    /// The stage as a measurement of `run`.
    pub fn of(self, run: &Run) -> Measurement {
        Measurement {
            run: run.clone(),
            stage: self,
        }
    }
}

/// JSON has no NaN: an unmeasured figure (NaN) is written as `null` and read back as NaN.
mod number_or_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            serializer.serialize_f64(*value)
        } else {
            serializer.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
    }
}

/// Which statistic of repeated timings `Measurement::seconds` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// The median of the repetitions (one run: that run).
    Median,
    /// The fastest repetition.
    Fastest,
}

impl Measurement {
    /// The measurement's time relative to its own run: over the peer's time where a peer ran,
    /// else over the run's reference workload. Comparable across runs and machine speeds.
    pub fn normalised(&self) -> f64 {
        match &self.stage.peer {
            Some(peer) => self.stage.seconds / peer.seconds,
            None => self.stage.seconds / self.run.reference_seconds,
        }
    }

    /// What `normalised` divides by, in words.
    pub fn normalised_by(&self) -> &str {
        match &self.stage.peer {
            Some(peer) => &peer.name,
            None => "the reference workload",
        }
    }

    fn key(&self) -> (&str, u64, Option<&str>) {
        let s = &self.stage;
        (&s.name, s.size, s.peer.as_ref().map(|p| p.name.as_str()))
    }
}

/// The reference workload: sorting 2^24 seeded pseudo-random integers and summing the square
/// roots of the sorted values (about 0.45 s here: memory traffic, branches and floating point,
/// as in our stages), on one thread. Fastest of three, seconds.
pub fn reference_seconds() -> f64 {
    const VALUES: usize = 1 << 24;
    let mut fastest = f64::INFINITY;
    for _ in 0..3 {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(0x5eed);
        let mut values: Vec<u64> = (0..VALUES).map(|_| rng.random()).collect();
        let start = Instant::now();
        values.sort_unstable();
        let sum: f64 = values.iter().map(|v| (*v as f64).sqrt()).sum();
        fastest = fastest.min(start.elapsed().as_secs_f64());
        std::hint::black_box(sum);
    }
    fastest
}

/// How far the process's peak RSS rises above its RSS at [`PeakGrowth::start`]: a stage's own
/// peak memory, whatever the process held before (the peak is reset through
/// `/proc/self/clear_refs`).
#[derive(Debug, Clone, Copy)]
pub struct PeakGrowth {
    before: f64,
}

impl PeakGrowth {
    /// Resets the peak and notes the RSS now.
    pub fn start() -> PeakGrowth {
        reset_peak_rss();
        PeakGrowth {
            before: status_mib("VmRSS:"),
        }
    }

    /// The peak's growth since `start`, MiB.
    pub fn mib(&self) -> f64 {
        (status_mib("VmHWM:") - self.before).max(0.0)
    }
}

/// A run of `command` at commit `abc1234`, for the tests that render tables from measurements.
#[cfg(test)]
pub(crate) fn test_run(command: &str, date: &str) -> Run {
    Run {
        command: command.into(),
        commit: "abc1234".into(),
        date: date.into(),
        threads: 2,
        reference_seconds: 0.4,
    }
}

/// A run in progress: its command, commit and date, and its reference timing at the start.
#[derive(Debug, Clone)]
pub struct RunClock {
    command: String,
    commit: String,
    date: String,
    reference_at_start: f64,
}

impl RunClock {
    /// Starts a run of `command` on the code at `root`: reads the commit and the date, and
    /// times the reference workload.
    pub fn start(root: &Path, command: &str) -> RunClock {
        RunClock {
            command: command.to_string(),
            commit: commit(root),
            date: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            reference_at_start: reference_seconds(),
        }
    }

    /// Ends the run: times the reference workload again (the machine's speed may have moved
    /// during the run) and gives the run's identity.
    pub fn finish(self) -> Run {
        let reference_at_end = reference_seconds();
        Run {
            command: self.command,
            commit: self.commit,
            date: self.date,
            threads: rayon::current_num_threads(),
            reference_seconds: (self.reference_at_start + reference_at_end) / 2.0,
        }
    }
}

/// The commit of the code at `root` (`unknown` outside a git checkout), `-dirty` when its work
/// tree has changes.
fn commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{hash}-dirty") } else { hash }
        }
        None => "unknown".to_string(),
    }
}

/// The record file under the project's `bench/` folder.
pub fn record_path(root: &Path) -> PathBuf {
    root.join("bench").join(RECORD_FILE)
}

/// Every measurement in the record, oldest first; none when there is no record yet. A line
/// that does not parse is an error naming the file and line.
pub fn read(path: &Path) -> Result<Vec<Measurement>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line).with_context(|| {
                format!("{}, line {}: not a measurement", path.display(), i + 1)
            })?,
        );
    }
    Ok(out)
}

/// Appends a run's measurements to the record (one line each, written in one call).
pub fn append(path: &Path, measurements: &[Measurement]) -> Result<()> {
    let mut text = String::new();
    for m in measurements {
        text.push_str(&serde_json::to_string(m)?);
        text.push('\n');
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("appending to {}", path.display()))?;
    Ok(())
}

/// Ends the run of `clock`, appends its stages to the record under `root` and reads the whole
/// record back (the tables are rendered from what was written).
pub fn record_run(root: &Path, clock: RunClock, stages: Vec<Stage>) -> Result<Vec<Measurement>> {
    let run = clock.finish();
    let path = record_path(root);
    let measurements: Vec<Measurement> = stages.into_iter().map(|s| s.of(&run)).collect();
    append(&path, &measurements)?;
    read(&path)
}

/// The measurements of the last run of `command` (the command's first word after `cargo
/// xtask`, e.g. `bench-estimate`) in `record`, and those of the run before it.
pub fn last_two_runs<'a>(
    record: &'a [Measurement],
    command: &str,
) -> (Vec<&'a Measurement>, Vec<&'a Measurement>) {
    let same_command = |m: &&Measurement| command_name(&m.run.command) == command;
    let mut runs: Vec<(&Run, Vec<&Measurement>)> = Vec::new();
    for m in record.iter().filter(same_command) {
        match runs.last_mut() {
            Some((run, ms)) if **run == m.run => ms.push(m),
            _ => runs.push((&m.run, vec![m])),
        }
    }
    let last = runs.pop().map(|(_, ms)| ms).unwrap_or_default();
    let before = runs.pop().map(|(_, ms)| ms).unwrap_or_default();
    (last, before)
}

/// `bench-estimate` of `cargo xtask bench-estimate --slates …`.
pub fn command_name(command: &str) -> &str {
    command
        .trim_start_matches("cargo xtask ")
        .split_whitespace()
        .next()
        .unwrap_or("")
}

/// A stage that got worse than in the previous run.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// The stage, size and peer, in words.
    pub what: String,
    /// What got worse: `time` (normalised) or `peak memory`.
    pub measure: &'static str,
    /// The previous and the new value (normalised time, or MiB).
    pub before: f64,
    /// See `before`.
    pub after: f64,
}

impl Regression {
    /// How much worse, as a factor.
    pub fn factor(&self) -> f64 {
        self.after / self.before
    }
}

impl std::fmt::Display for Regression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} {:.2}x worse ({:.4} -> {:.4})",
            self.what,
            self.measure,
            self.factor(),
            self.before,
            self.after
        )
    }
}

/// Every stage of `after` that got more than [`REGRESSION_THRESHOLD`] worse than the same
/// stage (stage, size and peer) of `before`: in normalised time (stages of 50 ms or more in
/// either run), or in peak memory by more than the threshold and 64 MiB. Stages missing from
/// `before` are not compared.
pub fn regressions(before: &[&Measurement], after: &[&Measurement]) -> Vec<Regression> {
    let mut out = Vec::new();
    for new in after {
        let Some(old) = before.iter().find(|m| m.key() == new.key()) else {
            continue;
        };
        let s = &new.stage;
        let what = match &s.peer {
            Some(peer) => format!("{} (size {}, against {})", s.name, s.size, peer.name),
            None => format!("{} (size {})", s.name, s.size),
        };
        let (t0, t1) = (old.normalised(), new.normalised());
        let long_enough = old.stage.seconds.max(s.seconds) >= TIME_NOISE_SECONDS;
        if long_enough && t1 > t0 * (1.0 + REGRESSION_THRESHOLD) {
            out.push(Regression {
                what: what.clone(),
                measure: "time",
                before: t0,
                after: t1,
            });
        }
        let (m0, m1) = (old.stage.peak_rss_mib, s.peak_rss_mib);
        if m1 > m0 * (1.0 + REGRESSION_THRESHOLD) && m1 - m0 > MEMORY_NOISE_MIB {
            out.push(Regression {
                what,
                measure: "peak memory",
                before: m0,
                after: m1,
            });
        }
    }
    out
}

/// The regression report of a run against the previous run of its command, as markdown lines
/// (printed by the command and written under its table).
pub fn regression_report(before: &[&Measurement], after: &[&Measurement]) -> String {
    let Some(previous) = before.first() else {
        return "No earlier run of this command in the record: nothing to compare.\n".into();
    };
    let found = regressions(before, after);
    let mut out = format!(
        "Against the previous run ({}, {}): times are compared as ours over the peer's, or \
         over the reference workload where no peer ran (this run {:.3} s, that run {:.3} s).\n\n",
        previous.run.commit,
        previous.run.date,
        after.first().map_or(f64::NAN, |m| m.run.reference_seconds),
        previous.run.reference_seconds
    );
    if found.is_empty() {
        out.push_str(&format!(
            "No stage got more than {:.0}% worse.\n",
            REGRESSION_THRESHOLD * 100.0
        ));
    } else {
        out.push_str(&format!(
            "{} got more than {:.0}% worse:\n\n",
            if found.len() == 1 {
                "One stage".to_string()
            } else {
                format!("{} stages", found.len())
            },
            REGRESSION_THRESHOLD * 100.0
        ));
        for r in &found {
            out.push_str(&format!("- {r}\n"));
        }
    }
    out
}

/// The header every generated table starts with: the command, commit, date and threads of the
/// run it shows.
pub fn run_header(run: &Run) -> String {
    format!(
        "Command: `{}`, at commit {} on {} ({} threads; reference workload {:.3} s). \
         Generated from `bench/{RECORD_FILE}`.\n",
        run.command, run.commit, run.date, run.threads, run.reference_seconds
    )
}

#[cfg(test)]
mod tests;
