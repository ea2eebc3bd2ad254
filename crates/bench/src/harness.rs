//! `cargo xtask bench`: every stage timed at MovieLens-32M scale and beyond, next to its Python
//! peer where one exists, in one run. Writes `bench/results.md`. A benchmark, not a test: it
//! asserts nothing about time and reports each target as met or not.
//!
//! Stages and sizes (issue "Performance at MovieLens-32M scale"): ingest of the full ML-32M
//! shape (synthetic, 32,000,204 ratings) against pandas.read_csv and python-polars reading the
//! same four CSVs, and ratings.csv alone; slate building on that data; simulation and exposure at 3,000 and
//! 1,000,000 slates; the estimator suite at both sizes against the seed notebook's own code at
//! 3,000; GBDT fits against the Python packages; and `cargo xtask all` on the full shape.
//! Memory is the stage's peak RSS above the process's RSS when the stage began (the peak is
//! reset before each stage through `/proc/self/clear_refs`), or the peer process's own peak.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result};
use slate_pipeline::{DataSource, Paths, Pipeline, PipelineConfig};
use tracing::info;

use crate::models::bench_models;
use crate::peers::{ensure_python_peers, run_peer};
use crate::record::{
    Measurement, PeakGrowth, Peer, Stage, Statistic, regression_report, run_header,
};
use crate::summary::median;

/// Runs `stage`, returning its value, wall seconds and how far the process's RSS rose above
/// its level at the start (the stage's own peak memory, whatever the process held before).
fn measure<T>(stage: &str, run: impl FnOnce() -> Result<T>) -> Result<(T, f64, f64)> {
    let peak = PeakGrowth::start();
    let start = Instant::now();
    let out = run().with_context(|| format!("bench stage `{stage}`"))?;
    let seconds = start.elapsed().as_secs_f64();
    let growth = peak.mib();
    info!(
        stage,
        seconds = format!("{seconds:.2}"),
        peak_growth_mib = format!("{growth:.0}"),
        "bench"
    );
    Ok((out, seconds, growth))
}

/// The four MovieLens files, ratings.csv first.
const MOVIELENS_FILES: [&str; 4] = ["ratings.csv", "movies.csv", "links.csv", "tags.csv"];

/// Runs of the ingest stage and of each ingest peer; the median is reported.
const INGEST_REPEATS: usize = 5;

/// Runs a Python peer script and reads its `seconds` and `peak_rss_mib`.
fn peer(root: &Path, script: &str, args: &[&str]) -> Result<(f64, f64)> {
    let value = run_peer(root, script, args)?;
    let field = |name: &str| value[name].as_f64().unwrap_or(f64::NAN);
    Ok((field("seconds"), field("peak_rss_mib")))
}

/// The ingest stage's name in the record.
pub const INGEST: &str = "Ingest, ML-32M shape (four CSVs → validated typed parquet)";

/// Runs the whole benchmark. `full_data` is a MovieLens-format folder of the ML-32M shape; it
/// is generated there (about 30 s, 1.2 GB) when it has no ratings.csv yet.
pub fn run(base: &PipelineConfig, root: &Path, full_data: &Path) -> Result<Vec<Stage>> {
    ensure_python_peers(root)?;
    let mut stages = Vec::new();
    if !full_data.join("ratings.csv").is_file() {
        let synthetic = slate_ingest::synthetic::SyntheticConfig::ml_32m_shape();
        info!(dir = %full_data.display(), "generating the ML-32M-shaped dataset");
        slate_ingest::synthetic::generate(&synthetic, full_data)?;
    }
    let ratings_csv = full_data.join("ratings.csv");
    let csv_bytes = std::fs::metadata(&ratings_csv)?.len();
    let work = tempfile::tempdir()?;
    let pipeline = Pipeline {
        config: base.clone(),
        paths: Paths::under(work.path()),
        progress: false,
    };

    // Ingest: CSV → validated, typed parquet (all four files) against the peers reading the
    // same four CSVs, and reading ratings.csv alone. Each side runs INGEST_REPEATS times from a
    // warm page cache (the files are read once before every run), each of ours into a fresh
    // folder, and reports its median: one run on a shared 2-core VM varies by a third. The
    // sides take turns (ours, then each peer, repeat by repeat), so a drift in the machine's
    // speed during the benchmark falls on every side alike instead of on whichever ran last.
    let warm = || -> Result<()> {
        for file in MOVIELENS_FILES {
            let mut reader = std::fs::File::open(full_data.join(file))?;
            std::io::copy(&mut reader, &mut std::io::sink())?;
        }
        Ok(())
    };
    let files: Vec<String> = MOVIELENS_FILES
        .iter()
        .map(|file| full_data.join(file).display().to_string())
        .collect();
    // Each peer: its library, its name in the record, what it reads and the files.
    let mut peers: Vec<(&str, &str, &str, &[String])> = Vec::new();
    for (library, name) in [("pandas", "pandas"), ("polars", "python-polars")] {
        peers.push((library, name, "the same four CSVs", &files[..]));
        peers.push((library, name, "ratings.csv alone", &files[..1]));
    }
    let mut ours = Vec::new();
    let mut theirs: Vec<Vec<(f64, f64)>> = vec![Vec::new(); peers.len()];
    for _ in 0..INGEST_REPEATS {
        warm()?;
        let folder = tempfile::tempdir_in(work.path())?;
        let run = Pipeline {
            config: base.clone(),
            paths: Paths::under(folder.path()),
            progress: false,
        };
        let ((), seconds, peak) = measure("ingest", || run.ingest(full_data))?;
        ours.push((seconds, peak));
        for ((library, _, _, files), runs) in peers.iter().zip(&mut theirs) {
            let mut args = vec![*library];
            args.extend(files.iter().map(String::as_str));
            warm()?;
            runs.push(peer(root, "ingest_peer.py", &args)?);
        }
    }
    let seconds = median(ours.iter().map(|(seconds, _)| *seconds).collect());
    let peak = ours.iter().map(|(_, peak)| *peak).fold(0.0, f64::max);
    pipeline.ingest(full_data)?;
    let dataset = slate_ingest::load_processed(&pipeline.paths.processed_dir)?;
    let ratings = dataset.ratings.user_id.len() as u64;
    for ((_, name, what, _), runs) in peers.iter().zip(&theirs) {
        stages.push(Stage {
            name: INGEST.into(),
            size: ratings,
            rows: ratings,
            bytes: Some(csv_bytes),
            repeats: INGEST_REPEATS,
            seconds,
            statistic: Statistic::Median,
            median_seconds: None,
            peak_rss_mib: peak,
            peer: Some(Peer {
                name: format!("{name}.read_csv, {what}"),
                seconds: median(runs.iter().map(|(seconds, _)| *seconds).collect()),
                peak_rss_mib: runs.iter().map(|(_, peak)| *peak).fold(0.0, f64::max),
            }),
        });
    }

    // Slate building on the full data: relevance model and ranking for 3,000 slates.
    let simulation = &base.simulation;
    let (slates, seconds, peak) = measure("slate building", || {
        let model =
            slate_simulate::relevance::RelevanceModel::fit(&dataset, &simulation.slates.relevance);
        Ok(slate_simulate::slates::build(
            &model,
            &simulation.slates,
            simulation.seed.0,
        )?)
    })?;
    stages.push(Stage::once(
        "Slate building on ML-32M shape".into(),
        slates.len() as u64,
        dataset.ratings.user_id.len() as u64,
        seconds,
        peak,
    ));
    drop(slates);

    // Simulation + exposure, then the estimator suite, at 3,000 and 1,000,000 slates.
    for n in [3_000usize, 1_000_000] {
        let mut config = simulation.clone();
        config.slates.n_slates = n;
        let (simulated, seconds, peak) = measure("simulate", || {
            Ok(slate_simulate::simulate(&dataset, &config)?)
        })?;
        let rows = simulated.len() as u64;
        stages.push(Stage::once(
            "Simulation on ML-32M shape".into(),
            n as u64,
            rows,
            seconds,
            peak,
        ));
        let (tables, seconds, peak) = measure("exposure", || {
            Ok(slate_exposure::map_exposure(&slate_simulate::log::to_log(
                &simulated,
                config.design.unit,
            )?)?)
        })?;
        drop(simulated);
        stages.push(Stage::once(
            "Exposure mapping".into(),
            n as u64,
            rows,
            seconds,
            peak,
        ));
        // The slate table as the pipeline's estimate stage holds it.
        let slates = slate_exposure::AnalysisSlates::from(&tables.slates);
        let (_, seconds, peak) = measure("estimator suite", || {
            Ok(slate_estimate::run(
                slate_estimate::contrasts::Items::Rows(&tables.mapping),
                &slates,
                &base.estimate,
            )?)
        })?;
        let peer_result = if n <= 3_000 {
            slate_exposure::write(&tables, &pipeline.paths.processed_dir)?;
            let dir = pipeline.paths.processed_dir.display().to_string();
            let replicates = base.estimate.bootstrap_replicates.to_string();
            let (s, p) = peer(root, "seed_estimators_peer.py", &[&dir, &replicates])?;
            Some(Peer {
                name: "seed notebook code (pandas + statsmodels)".to_string(),
                seconds: s,
                peak_rss_mib: p,
            })
        } else {
            None
        };
        stages.push(Stage {
            peer: peer_result,
            ..Stage::once(
                format!(
                    "Estimator suite (15 estimates, {} bootstrap replicates)",
                    base.estimate.bootstrap_replicates
                ),
                n as u64,
                rows,
                seconds,
                peak,
            )
        });
    }
    drop(dataset);

    // The whole pipeline on the full shape, data cached and build warm.
    let all_root = tempfile::tempdir()?;
    let all = Pipeline {
        config: base.clone(),
        paths: Paths::under(all_root.path()),
        progress: false,
    };
    let source = DataSource::Dir(full_data.to_path_buf());
    let ((), seconds, peak) = measure("all", || all.all(&source, &AtomicBool::new(false)))?;
    stages.push(Stage {
        bytes: Some(csv_bytes),
        ..Stage::once(
            "`cargo xtask all` on the ML-32M shape (every stage)".into(),
            base.simulation.slates.n_slates as u64,
            ratings,
            seconds,
            peak,
        )
    });

    stages.extend(bench_models(base, &[3_000, 100_000], 3, root)?);
    Ok(stages)
}

/// Renders `bench/results.md` from the record's last run of `bench` (`run`) and the run
/// before it (`previous`, for the regression report).
pub fn markdown(run: &[&Measurement], previous: &[&Measurement]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark results\n");
    let _ = writeln!(
        out,
        "Every stage at ML-32M scale, on a 2-core machine. Our side runs in the workspace's one \
         build profile (`dev`: opt-level 3 for every crate; debug assertions on, except in the \
         parquet and arrow crates). Peers run in the same run on the same files, from a warm \
         page cache. Ingest times are the median of {INGEST_REPEATS} runs on each side, the \
         sides taking turns (each peer run a fresh Python process); every other row is one \
         run, and GBDT fits the fastest of their repeats. Memory: our stage's peak RSS above \
         the process's RSS when it began (data the stage reads from memory is not counted), or \
         the peer process's whole peak (not measured for the GBDT packages, which run in one \
         process).\n"
    );
    if let Some(first) = run.first() {
        out.push_str(&run_header(&first.run));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| stage | size | rows | ours (s) | throughput | peak RSS growth (MiB) | peer | peer (s) | peer peak RSS (MiB) | ours / peer |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|---:|---|---:|---:|---:|");
    for r in run.iter().map(|m| &m.stage) {
        let throughput = match r.bytes {
            Some(bytes) => format!(
                "{:.0} MB/s, {:.1} M rows/s",
                bytes as f64 / 1e6 / r.seconds,
                r.rows as f64 / 1e6 / r.seconds
            ),
            None => format!("{:.2} M rows/s", r.rows as f64 / 1e6 / r.seconds),
        };
        let (peer, peer_seconds, peer_rss, ratio) = match &r.peer {
            Some(p) => (
                p.name.clone(),
                format!("{:.3}", p.seconds),
                if p.peak_rss_mib.is_nan() {
                    "—".to_string()
                } else {
                    format!("{:.0}", p.peak_rss_mib)
                },
                format!("{:.3}", r.seconds / p.seconds),
            ),
            None => ("—".into(), "—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} | {} | {:.0} | {} | {} | {} | {} |",
            r.name,
            r.size,
            r.rows,
            r.seconds,
            throughput,
            r.peak_rss_mib,
            peer,
            peer_seconds,
            peer_rss,
            ratio
        );
    }
    let _ = writeln!(out, "\n## Against the previous run\n");
    out.push_str(&regression_report(previous, run));
    out
}

/// Where the ML-32M-shaped data is kept between runs: `data/raw/bench-ml32m-shape`.
pub fn default_full_data(root: &Path) -> PathBuf {
    root.join("data").join("raw").join("bench-ml32m-shape")
}
