//! `cargo xtask bench-scale-1b`: the opt-in run at 1 B impressions (83.4 M slates of 12
//! impressions, five slates per randomization unit), issue 34's memory target: `analyze`
//! completes with a peak of at most 16 GiB. It takes about an hour and 60 GB of disk, so it is
//! not part of `bench-scale`.
//!
//! No DuckDB, and every intermediate file is deleted once it is used up: the log is written by
//! `synth-log`, reduced by `reduce-log`, and deleted; `analyze --slate-stats` then reads the
//! per-slate table (the same stages as `analyze --log` after its reduction). At its fullest the
//! disk holds the per-slate table, the slate outcomes and the conditional effects, about 720
//! bytes per slate; the run checks that much is free before it starts. `--slates` runs the same
//! steps on a smaller log (to try them).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use slate_pipeline::PipelineConfig;
use tracing::info;

use crate::record::{Measurement, Stage, regression_report, run_header};
use crate::scale::{
    ANALYZE_STAGE, SLATE_SIZE, analyze_stage_table, once, ours_args, run_ours, stage_times,
    write_config,
};

/// The run's default size: 83.4 M slates, 1.0 B impressions.
pub const SLATES: usize = 83_400_000;

/// Slates per randomization unit of the run's log.
const PER_UNIT: usize = 5;

/// Disk the run needs at its fullest, per slate: the per-slate table (about 325 bytes), the
/// slate outcomes (about 100) and the conditional effects (about 290), measured at 8.34 M slates
/// (bench/scale_history.md). The log (about 285 bytes per slate) is deleted before they are all
/// written.
const BYTES_PER_SLATE: u64 = 720;

/// The steps this run records (stage names of the record).
pub const SYNTH_LOG: &str = "synth-log (the log, five slates per unit)";
/// See [`SYNTH_LOG`].
pub const REDUCE: &str = "reduce-log (then the log is deleted)";
/// See [`SYNTH_LOG`].
pub const ANALYZE: &str = "analyze --slate-stats (estimate, decompose, models, report)";
/// See [`SYNTH_LOG`].
pub const TOTAL: &str = "reduce-log and analyze, end to end";

/// The memory target of the 1 B-impression run, MiB.
const PEAK_TARGET_MIB: f64 = 16.0 * 1024.0;

/// Bytes free on the file system of `dir` (POSIX `df -P -k`).
fn free_bytes(dir: &Path) -> Result<u64> {
    let output = std::process::Command::new("df")
        .args(["-P", "-k"])
        .arg(dir)
        .output()
        .context("running df")?;
    ensure!(output.status.success(), "df {} failed", dir.display());
    let text = String::from_utf8_lossy(&output.stdout);
    let available = text
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|kib| kib.parse::<u64>().ok())
        .with_context(|| format!("reading df's output for {}: {text}", dir.display()))?;
    Ok(available * 1024)
}

/// Runs the 1 B-impression steps on `slates` slates in `data_dir`: the log, its reduction and
/// `analyze` on the per-slate table, each in its own process, each file deleted once used up.
pub fn run(base: &PipelineConfig, data_dir: &Path, slates: usize) -> Result<Vec<Stage>> {
    std::fs::create_dir_all(data_dir)?;
    let need = slates as u64 * BYTES_PER_SLATE;
    let free = free_bytes(data_dir)?;
    let gb = |bytes: u64| bytes as f64 / 1e9;
    ensure!(
        free >= need,
        "the run on {slates} slates needs about {:.0} GB free in {} at its fullest (the per-slate \
         table, the slate outcomes and the conditional effects at once; the log is deleted once \
         reduced); {:.0} GB are free. Give another --data-dir, or fewer --slates",
        gb(need),
        data_dir.display(),
        gb(free)
    );
    let scratch = tempfile::tempdir_in(data_dir)?;
    let dir = scratch.path();
    let config = write_config(base, dir, None)?;
    let impressions = slates * SLATE_SIZE;
    let mut report = Vec::new();

    let log = dir.join("log.parquet");
    let log_arg = log.to_string_lossy().to_string();
    let (n, k) = (slates.to_string(), PER_UNIT.to_string());
    let (seconds, peak) = run_ours(
        &ours_args(
            dir,
            &config,
            &[
                "synth-log",
                "--slates",
                &n,
                "--slates-per-unit",
                &k,
                "--out",
                &log_arg,
            ],
        ),
        &dir.join("synth-log.log"),
    )?;
    let log_bytes = std::fs::metadata(&log)?.len();
    report.push(Stage {
        bytes: Some(log_bytes),
        ..once(SYNTH_LOG.into(), slates, impressions, seconds, peak)
    });

    let run_root = dir.join("analyze");
    let (reduce_seconds, reduce_peak) = run_ours(
        &ours_args(&run_root, &config, &["reduce-log", "--log", &log_arg]),
        &dir.join("reduce.log"),
    )?;
    std::fs::remove_file(&log)?;
    let table = run_root
        .join("processed")
        .join(slate_reduction::SLATE_STATS_FILE);
    let table_bytes = std::fs::metadata(&table)?.len();
    info!(log_bytes, table_bytes, "the log is reduced and deleted");
    report.push(Stage {
        bytes: Some(table_bytes),
        ..once(
            REDUCE.into(),
            slates,
            impressions,
            reduce_seconds,
            reduce_peak,
        )
    });

    let table_arg = table.to_string_lossy().to_string();
    let (analyze_seconds, analyze_peak) = run_ours(
        &ours_args(
            &run_root,
            &config,
            &["analyze", "--slate-stats", &table_arg],
        ),
        &dir.join("analyze.log"),
    )?;
    report.push(once(
        ANALYZE.into(),
        slates,
        impressions,
        analyze_seconds,
        analyze_peak,
    ));
    report.push(once(
        TOTAL.into(),
        slates,
        impressions,
        reduce_seconds + analyze_seconds,
        reduce_peak.max(analyze_peak),
    ));
    for s in stage_times(&dir.join("analyze.err")) {
        report.push(once(
            format!("{ANALYZE_STAGE}{}", s.stage),
            slates,
            impressions,
            s.seconds,
            s.peak_mib,
        ));
    }
    // The per-slate table, the slate outcomes and the conditional effects go with the folder.
    drop(scratch);
    Ok(report)
}

/// Whether `stage` meets the run's target: the end-to-end peak at most 16 GiB (its time is
/// reported, not held to a bound). A trial on fewer slates is held to none.
pub fn target(stage: &Stage) -> Option<(&'static str, bool)> {
    (stage.name == TOTAL && stage.size >= SLATES as u64)
        .then_some(("peak at most 16 GiB", stage.peak_rss_mib <= PEAK_TARGET_MIB))
}

/// Renders `bench/scale_1b.md` from the record's last run of `bench-scale-1b` (`run`) and the
/// run before it.
pub fn markdown(run: &[&Measurement], previous: &[&Measurement]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# One billion impressions (issue 34's opt-in run)\n");
    let _ = writeln!(
        out,
        "A `synth-log` log of 12 impressions per slate, {PER_UNIT} slates per unit, both truth \
         columns and the item covariate `relevance`; the default configuration. Each step in its \
         own process, wall time and peak RSS polled from /proc every 50 ms. The log is deleted \
         once reduced; `analyze --slate-stats` then runs the stages `analyze --log` runs after \
         its reduction.\n"
    );
    if let Some(first) = run.first() {
        out.push_str(&run_header(&first.run));
        if first.stage.size != SLATES as u64 {
            let _ = writeln!(
                out,
                "\nA trial of the steps on {} slates, not the run at {SLATES}.",
                first.stage.size
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| step | slates | impressions | seconds | peak RSS | on disk | target | met |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|---|");
    let stages = run.iter().map(|m| &m.stage);
    for s in stages
        .clone()
        .filter(|s| !s.name.starts_with(ANALYZE_STAGE))
    {
        let bytes = s
            .bytes
            .map(|b| format!("{:.1} GB", b as f64 / 1e9))
            .unwrap_or_default();
        let (target, met) = match target(s) {
            Some((text, met)) => (text, if met { "yes" } else { "**no**" }),
            None => ("", ""),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.2} GiB | {bytes} | {target} | {met} |",
            s.name,
            s.size,
            s.rows,
            s.seconds,
            s.peak_rss_mib / 1024.0
        );
    }
    let _ = writeln!(
        out,
        "\n`analyze` stage by stage (seconds; the process's peak RSS during the stage):\n"
    );
    analyze_stage_table(&mut out, stages.map(|s| (s.name.as_str(), s)));
    let _ = writeln!(out, "\n## Against the previous run\n");
    out.push_str(&regression_report(previous, run));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is rendered from recorded measurements, the target judged on the end-to-end
    /// peak, and a smaller run says it is a trial.
    #[test]
    fn the_table_is_rendered_from_the_record_with_the_memory_target() {
        let run = crate::record::test_run("cargo xtask bench-scale-1b", "2026-12-07T00:00:00Z");
        let at = |slates: usize, peak: f64| -> Vec<Stage> {
            vec![
                Stage {
                    bytes: Some(24_000_000_000),
                    ..once(SYNTH_LOG.into(), slates, 12 * slates, 900.0, 300.0)
                },
                once(TOTAL.into(), slates, 12 * slates, 2_400.0, peak),
                once(
                    format!("{ANALYZE_STAGE}models"),
                    slates,
                    12 * slates,
                    900.0,
                    9_000.0,
                ),
            ]
        };
        let text = |stages: Vec<Stage>| {
            let measurements: Vec<Measurement> = stages.into_iter().map(|s| s.of(&run)).collect();
            markdown(&measurements.iter().collect::<Vec<_>>(), &[])
        };
        let met = at(SLATES, 15_000.0);
        assert_eq!(target(&met[1]), Some(("peak at most 16 GiB", true)));
        assert_eq!(target(&met[0]), None);
        let missed = at(SLATES, 17_000.0);
        assert_eq!(target(&missed[1]), Some(("peak at most 16 GiB", false)));
        let full = text(met);
        assert!(
            full.contains("| reduce-log and analyze, end to end | 83400000 | 1000800000 | 2400.0 | 14.65 GiB |  | peak at most 16 GiB | yes |"),
            "{full}"
        );
        assert!(full.contains("| 24.0 GB |"), "{full}");
        assert!(full.contains("| models | 900.0 | 8.79 GiB |"), "{full}");
        assert!(!full.contains("A trial"), "{full}");
        let trial = at(200_000, 400.0);
        assert_eq!(target(&trial[1]), None, "a trial is held to no target");
        assert!(text(trial).contains("A trial of the steps on 200000 slates"));
    }

    #[test]
    fn free_space_is_read_from_df() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).unwrap() > 0);
    }
}
