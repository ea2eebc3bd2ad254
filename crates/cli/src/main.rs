//! `slate`: run the slate-interference pipeline, a stage at a time or all at once
//! (`cargo xtask <command>` builds this program and runs it).

use std::io::IsTerminal;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use slate_bench::record::{self, RunClock};
use slate_pipeline::{DataSource, Interrupted, Paths, Pipeline, PipelineConfig, project_root};
use slate_studies::scenario::Scenario;
use slate_table::Label;
use tracing_subscriber::EnvFilter;

/// Settings the C libraries read once, when they are loaded (before `main` runs), so they must
/// be in the environment the process starts with. A user's own value is kept.
/// - `OPENBLAS_NUM_THREADS=1`: the estimators call OpenBLAS on small matrices inside rayon's
///   parallel loops; its own thread pool would only oversubscribe the cores.
/// - `GOMP_SPINCOUNT=300000`: LightGBM and XGBoost share one libgomp, which sees more OpenMP
///   threads than cores and throttles its spin-wait; every parallel region then pays a futex
///   wake-up (a 3,000-row LightGBM fit is 1.4x slower).
/// - `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`: glibc's malloc asks for transparent huge pages
///   (`madvise`) on the large blocks it maps. At millions of slates every per-slate vector is
///   such a block, mapped and page-faulted 4 KiB at a time on each allocation; with huge pages
///   the estimate stage on 8.34 M slates took 187 s instead of 213 s (system time 31 s instead
///   of 61 s) at the same peak memory. `glibc.malloc.mmap_threshold=4194304`: every block of
///   4 MiB or more is mapped on its own and given back to the system when freed. By default
///   the threshold rises to the size of each large block freed (up to 32 MiB), so the
///   per-slate vectors of a few million slates land in the heap, where freed ones stay
///   resident beside the next stage's; the 2 M-slate estimate stage peaked at 1,276 MB
///   resident instead of 937 MB, in the same time. Other C libraries ignore both.
///
/// And, on a CPU with AVX2 and FMA ([`OPENBLAS_CORE`]), `OPENBLAS_CORETYPE=Haswell`.
const LIBRARY_ENV: [(&str, &str); 3] = [
    ("OPENBLAS_NUM_THREADS", "1"),
    ("GOMP_SPINCOUNT", "300000"),
    (
        "GLIBC_TUNABLES",
        "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=4194304",
    ),
];

/// OpenBLAS's kernels for one CPU family, whatever CPU it runs on: its Haswell kernels (AVX2
/// and FMA), which it otherwise picks by the CPU it finds (and may not know a newer one).
/// Each kernel orders its sums its own way, so a pinned core gives an OLS, CR2 or Lin fit the
/// same bits on every such machine, and lets Lin's design be built in blocks of rows with the
/// whole design's bits (`slate_estimate::adjust`). Not set on other CPUs, which lack those
/// instructions.
const OPENBLAS_CORE: (&str, &str) = ("OPENBLAS_CORETYPE", "Haswell");

/// Whether this CPU runs [`OPENBLAS_CORE`]'s kernels.
fn runs_openblas_core() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Re-executes this program with [`LIBRARY_ENV`] (and [`OPENBLAS_CORE`] where it runs) when
/// any of it is missing; returns only when nothing was missing.
fn ensure_library_env() -> Result<()> {
    let missing: Vec<(&str, &str)> = LIBRARY_ENV
        .into_iter()
        .chain(runs_openblas_core().then_some(OPENBLAS_CORE))
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let exe = std::env::current_exe().context("locating the slate executable")?;
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(&exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    command.args(args).envs(missing);
    // `exec` returns only on failure.
    let error = command.exec();
    Err(error).with_context(|| format!("re-executing {}", exe.display()))
}

const ABOUT: &str = "Causal inference under interference in recommendation slates";

const LONG_ABOUT: &str = "\
Causal inference under interference in recommendation slates.

Builds a randomized slate-promotion experiment on MovieLens data with the truth known, maps \
exposure (focal, same-cluster competitor, displaced item, other), estimates direct, spillover \
and total effects with seven uncertainty methods and Lin covariate adjustment, decomposes the \
total, fits LightGBM and XGBoost outcome models for cross-fitted AIPW and targeting, and writes \
the report. `power` and `design-sweep` plan the next experiment.

`slate all` runs every stage; each stage also runs alone and reads what the previous one \
wrote. Default paths are under $SLATE_PROJECT_DIR (the repository, when run as `cargo xtask`), \
else the current directory: data/raw, data/processed, writeup/ and writeup/figures.";

#[derive(Parser)]
#[command(name = "slate", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct Common {
    /// Pipeline config (TOML); missing keys take their defaults (see config/default.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory for raw data (downloads, synthetic data) [default: data/raw].
    #[arg(long, global = true)]
    raw_dir: Option<PathBuf>,
    /// Directory for processed tables [default: data/processed].
    #[arg(long, global = true)]
    processed_dir: Option<PathBuf>,
    /// Directory for figures [default: writeup/figures].
    #[arg(long, global = true)]
    figures_dir: Option<PathBuf>,
    /// Directory for the final summary and bullets, with tables in its `tables/` [default: writeup].
    #[arg(long, global = true)]
    writeup_dir: Option<PathBuf>,
    /// Hide progress bars.
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Args, Clone)]
struct Source {
    /// Read this MovieLens-format folder (ratings.csv, movies.csv, links.csv, tags.csv).
    #[arg(long, conflicts_with = "synthetic")]
    data_dir: Option<PathBuf>,
    /// Generate a synthetic MovieLens-format dataset (sized by [synthetic] in the config).
    #[arg(long)]
    synthetic: bool,
}

impl Source {
    fn resolve(&self) -> DataSource {
        match (&self.data_dir, self.synthetic) {
            (Some(dir), _) => DataSource::Dir(dir.clone()),
            (None, true) => DataSource::Synthetic,
            (None, false) => DataSource::Official,
        }
    }
}

/// The SQL dialect of `log-sql`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SqlDialect {
    /// Spark SQL (backtick identifiers).
    Spark,
    /// polars' SQL, the embedded engine (double-quoted identifiers).
    Polars,
}

/// `--on-bad-slate`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum OnBadSlate {
    /// Stop with an error naming the file, row, slate and column.
    Error,
    /// Drop the slate and report it.
    Drop,
}

impl From<OnBadSlate> for slate_log::OnBadSlate {
    fn from(value: OnBadSlate) -> Self {
        match value {
            OnBadSlate::Error => slate_log::OnBadSlate::Error,
            OnBadSlate::Drop => slate_log::OnBadSlate::Drop,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Download MovieLens 32M (MD5-verified) into <raw-dir>/ml-32m.
    FetchData,
    /// Validate a MovieLens folder and write typed parquet + setup readiness.
    Ingest(Source),
    /// Build seed slates, randomize promotion and simulate clicks.
    Simulate,
    /// Map exposure; write exposure mapping, slate outcomes, assignment and readiness.
    Exposure,
    /// Estimate direct, spillover and total effects (naive and slate-clustered SEs, bootstrap).
    Estimate,
    /// Direct/indirect/total decomposition, spillover sensitivity, cluster and position risk.
    Decompose,
    /// LightGBM/XGBoost outcome models, cross-fitted AIPW and promotion-targeting policies.
    Models,
    /// Monte-Carlo coverage study: re-draw assignment and clicks on the same slates and check
    /// how often each method's 95% interval covers the true effect.
    Coverage {
        /// Re-drawn experiments [default: estimate.coverage_replicates from the config].
        #[arg(long)]
        reps: Option<usize>,
    },
    /// The final report: writeup tables, figures 25–28, summary, resume bullets, artifact index.
    Report,
    /// Power analysis: for each scenario and design size, simulate the population, re-draw the
    /// experiment and count how often each test rejects, beside the analytic power from the
    /// per-unit variance (movielens_interference_power.csv, figure 29). With --log: the
    /// analytic power and minimum detectable effect from a pilot log's own variances
    /// (interference_pilot_power.csv). Not part of `all`.
    Power {
        /// Design sizes in slates, comma-separated [default: 250,500,1000,2000,4000,8000,16000;
        /// with --log: the pilot's slates times 1/2, 1, 2, 4, 8 and 16].
        #[arg(long, value_delimiter = ',')]
        slates: Option<Vec<usize>>,
        /// Re-drawn experiments per design size and scenario [default: 100; 1000 with --full].
        #[arg(long)]
        reps: Option<usize>,
        /// The full study: 1,000 re-drawn experiments per point.
        #[arg(long)]
        full: bool,
        /// Scenarios, comma-separated: default, correlated_user_randomized,
        /// heterogeneous_promotion.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "default,correlated_user_randomized"
        )]
        scenarios: Vec<String>,
        /// A pilot impression log: analytic power and MDE from its own variances (no
        /// simulation); read with the config's [log] section.
        #[arg(long)]
        log: Option<PathBuf>,
        /// With --log: stop at a slate that breaks the design, or drop it.
        #[arg(long, value_enum, default_value_t = OnBadSlate::Error)]
        on_bad_slate: OnBadSlate,
    },
    /// Design sweep: vary one design knob at a time (promotion probability, focal position
    /// window, attention cost, substitution penalty, target slot 1-6, focal movies per slate
    /// 1-3) and write the true effects and the power of the total contrast at the config's
    /// number of slates (movielens_interference_design_sweep.csv, figure 30; figure 31: effects
    /// and power against the target slot). Not part of `all`.
    DesignSweep {
        /// Re-drawn experiments per design point.
        #[arg(long, default_value_t = 100)]
        reps: usize,
    },
    /// Write a synthetic impression log of N slates (canonical columns, the truth columns and
    /// the item covariate `relevance`) as parquet, a row group of about 2^20 rows at a time, so
    /// memory stays bounded whatever N: the input of scale benchmarks of `analyze --log`.
    SynthLog {
        /// Slates.
        #[arg(long)]
        slates: usize,
        /// Items per slate.
        #[arg(long, default_value_t = 12)]
        slate_size: usize,
        /// Consecutive slates per randomization unit (1: slate randomization).
        #[arg(long, default_value_t = 1)]
        slates_per_unit: usize,
        /// Focal items per slate (promoted together to consecutive slots).
        #[arg(long, default_value_t = 1)]
        focals_per_slate: usize,
        /// The slot the first focal item (in seed order) is promoted to; the others follow it.
        /// Other than one focal item at slot 1, the log gets a `target_position` column.
        #[arg(long, default_value_t = 1)]
        target_position: usize,
        /// Seed of the experiment (assignment and clicks).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file [default: <raw-dir>/synthetic_log_<slates>.parquet].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the per-slate reduction of an impression log as one SQL query over a table named
    /// `impressions` with the log's own column names ([log] in --config), in Spark's or polars'
    /// dialect. Run it where the log lives (`spark-submit crates/reduction/spark/reduce_slates.py`)
    /// and write the result as parquet: one row per slate, everything the estimators need.
    LogSql {
        /// SQL dialect.
        #[arg(long, value_enum, default_value_t = SqlDialect::Spark)]
        dialect: SqlDialect,
        /// A parquet log (or a sample of it) whose columns say which optional columns exist
        /// [default: the canonical columns with unit_id, user_id and assignment_probability].
        #[arg(long)]
        log: Option<PathBuf>,
        /// Without --log: the log also has the two truth columns.
        #[arg(long)]
        truth: bool,
        /// Without --log: the log also has a target_position column (several focal items per
        /// slate, any slot); the query then places every row by the design.
        #[arg(long)]
        target_position: bool,
    },
    /// Reduce a parquet impression log to one row per slate with the embedded engine (polars'
    /// SQL over ranges of slates) and write interference_slate_stats.parquet to the processed
    /// directory.
    ReduceLog {
        /// The impression log (.parquet).
        #[arg(long)]
        log: PathBuf,
        /// Rows of the log held in memory at a time (a file sorted by slate is reduced in
        /// ranges of about this many rows).
        #[arg(long, default_value_t = slate_reduction::DEFAULT_CHUNK_ROWS)]
        chunk_rows: usize,
    },
    /// Analyze a team's logged experiment: validate its impression log, map exposure, estimate
    /// every contrast clustered by the randomization unit, decompose, fit the models (skipped,
    /// with a warning, when the log has too few units for the cross-fitting folds) and write
    /// writeup/analysis_summary.md.
    ///
    /// The log has one row per shown item (parquet or CSV) with the canonical columns slate_id,
    /// item_id, item_cluster, seed_position, shown_position, is_focal, promoted, click and
    /// optionally unit_id, user_id, assignment_probability, click_prob_if_promoted and
    /// click_prob_if_control; [log.columns] in --config maps other names onto them and
    /// [log] covariates lists pre-treatment covariates.
    ///
    /// A parquet log is reduced to one row per slate by the embedded engine (bounded memory,
    /// see `log-sql`) and every estimator reads those sums; a CSV log, `--item-rows` and
    /// `--on-bad-slate drop` read the item rows into memory instead. `--slate-stats` reads a
    /// per-slate table another engine (Spark) wrote with the query `log-sql` prints.
    #[command(group(clap::ArgGroup::new("input").required(true).args(["log", "slate_stats"])))]
    Analyze {
        /// The impression log (.parquet or .csv).
        #[arg(long)]
        log: Option<PathBuf>,
        /// A per-slate table (a parquet file, or Spark's directory of part files) written by the
        /// query of `log-sql` over the log; the config's [log] section must be the one the query
        /// was printed with.
        #[arg(long)]
        slate_stats: Option<PathBuf>,
        /// A slate that breaks a rule of the design (focal items and their target slots, the
        /// shown ranking of a promoted slate, positions 1..n, arm constant within slate and
        /// unit, ...): stop with an error naming it, or drop it and list it in
        /// interference_dropped_slates.csv (reads the item rows into memory).
        #[arg(long, value_enum, default_value_t = OnBadSlate::Error)]
        on_bad_slate: OnBadSlate,
        /// Read a parquet log's item rows into memory instead of reducing it per slate: Lin's
        /// regression adjustment needs them; memory grows with impressions.
        #[arg(long, conflicts_with = "slate_stats")]
        item_rows: bool,
        /// With the reduction: rows of the log held in memory at a time.
        #[arg(long, default_value_t = slate_reduction::DEFAULT_CHUNK_ROWS)]
        chunk_rows: usize,
    },
    /// Run every stage in order (downloads ML-32M when no --data-dir/--synthetic is given).
    ///
    /// Ctrl-C lets the running stage finish, then stops before the next one with exit code 130
    /// and names it; a second Ctrl-C stops at once. No half-written artifact is left either way.
    All {
        #[command(flatten)]
        source: Source,
        /// Run the sequence twice (1 and 2 threads) in temporary directories and fail if any
        /// artifact differs byte for byte.
        #[arg(long)]
        check: bool,
    },
    /// Benchmark every stage at ML-32M scale and beyond against its Python peer (writes
    /// bench/results.md; generates the ML-32M-shaped data once, about 1.2 GB).
    Bench {
        /// An ML-32M-shaped MovieLens folder [default: data/raw/bench-ml32m-shape, generated
        /// when missing].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Benchmark LightGBM/XGBoost fits against the Python packages (writes bench/models.md).
    BenchModels {
        /// Design sizes in slates, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "3000,100000")]
        slates: Vec<usize>,
        /// Timed repetitions per fit (the table reports the fastest).
        #[arg(long, default_value_t = 3)]
        repeats: usize,
    },
    /// Benchmark impression logs at scale (writes bench/scale.md): per log size, the per-slate
    /// reduction against DuckDB on the same query and file, exposure from the log and `analyze
    /// --log` end to end; and simulate + exposure of the MovieLens-shaped simulation. Writes
    /// the logs once with synth-log (the 100 M-impression one is 2.4 GB) and installs DuckDB
    /// into a venv under ~/.cache/slate-xtask.
    BenchScale {
        /// Log sizes in slates (12 impressions each), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000000,8340000")]
        slates: Vec<usize>,
        /// Consecutive slates per randomization unit of the logs, comma-separated: every size
        /// is measured at each.
        #[arg(long, value_delimiter = ',', default_value = "1,5")]
        slates_per_unit: Vec<usize>,
        /// Alternated runs of the reduction and of DuckDB per size (medians are reported).
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Slates of the simulate + exposure measurement (0 skips it).
        #[arg(long, default_value_t = 1_000_000)]
        simulate_slates: usize,
        /// Where the logs are kept [default: data/raw/bench-scale].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// The opt-in run at one billion impressions (83.4 M slates, five per unit; writes
    /// bench/scale_1b.md): the log from synth-log, reduce-log (then the log is deleted) and
    /// analyze on the per-slate table, each timed with its peak memory, against the 16 GiB
    /// target. About an hour and 60 GB of disk (checked before it starts); no DuckDB.
    #[command(name = "bench-scale-1b")]
    BenchScale1b {
        /// Slates of the log (12 impressions each): fewer to try the steps on a smaller log.
        #[arg(long, default_value_t = slate_bench::scale_1b::SLATES)]
        slates: usize,
        /// Where the run writes its files, each deleted once used up [default:
        /// data/raw/bench-scale].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Benchmark the full estimator suite on synthetic designs (writes bench/estimator_suite.md).
    BenchEstimate {
        /// Design sizes in slates, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "3000,1000000")]
        slates: Vec<usize>,
        /// Timed repetitions per size (the table reports min and median).
        #[arg(long, default_value_t = 3)]
        repeats: usize,
    },
}

/// Writes a benchmark's table under `bench/` (atomically) and prints it.
fn write_bench_markdown(root: &Path, name: &str, text: &str) -> Result<()> {
    slate_bench::summary::write_markdown(&root.join("bench").join(name), text)?;
    std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes())?;
    Ok(())
}

fn main() -> ExitCode {
    if let Err(error) = ensure_library_env() {
        eprintln!("Error: {error:#}");
        return ExitCode::FAILURE;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            if error.downcast_ref::<Interrupted>().is_some() {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let config = match &cli.common.config {
        Some(path) => PipelineConfig::load(path)?,
        None => PipelineConfig::default(),
    };
    let defaults = Paths::under(&project_root());
    let common = &cli.common;
    let paths = Paths {
        raw_dir: common.raw_dir.clone().unwrap_or(defaults.raw_dir),
        processed_dir: common
            .processed_dir
            .clone()
            .unwrap_or(defaults.processed_dir),
        figures_dir: common.figures_dir.clone().unwrap_or(defaults.figures_dir),
        writeup_dir: common.writeup_dir.clone().unwrap_or(defaults.writeup_dir),
    };
    let pipeline = Pipeline {
        config,
        paths,
        progress: !cli.common.quiet,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!(
                "interrupt: stopping when the running stage has finished (press Ctrl-C again to abort at once)"
            );
        })?;
    }
    match cli.command {
        Command::FetchData => {
            let dir = pipeline.fetch(&cancel)?;
            tracing::info!("MovieLens 32M ready in {}", dir.display());
        }
        Command::Ingest(source) => {
            let raw = pipeline.raw_folder(&source.resolve(), &cancel)?;
            pipeline.ingest(&raw)?;
        }
        Command::Simulate => pipeline.simulate()?,
        Command::Exposure => pipeline.exposure()?,
        Command::Estimate => pipeline.estimate()?,
        Command::Decompose => pipeline.decompose()?,
        Command::Models => pipeline.models()?,
        Command::Report => pipeline.report()?,
        Command::Coverage { reps } => {
            let reps = reps.unwrap_or(pipeline.config.estimate.coverage_replicates);
            if reps == 0 {
                bail!("--reps must be at least 1");
            }
            pipeline.coverage(reps)?;
        }
        Command::Power {
            slates,
            reps,
            full,
            scenarios,
            log,
            on_bad_slate,
        } => {
            if slates.iter().flatten().any(|n| *n < 20) {
                bail!("--slates: every design size must be at least 20 slates");
            }
            match log {
                Some(log) => pipeline.pilot_power(&log, on_bad_slate.into(), slates.as_deref())?,
                None => {
                    let slates = slates
                        .unwrap_or_else(|| vec![250, 500, 1_000, 2_000, 4_000, 8_000, 16_000]);
                    let reps = reps.unwrap_or(if full { 1_000 } else { 100 });
                    if reps == 0 {
                        bail!("--reps must be at least 1");
                    }
                    let scenarios = scenarios
                        .iter()
                        .map(|name| {
                            Scenario::parse(name).with_context(|| {
                                let known: Vec<&str> =
                                    Scenario::ALL.iter().map(|s| s.text()).collect();
                                format!(
                                    "--scenarios: unknown scenario `{name}` (known: {})",
                                    known.join(", ")
                                )
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    pipeline.power(&slates, reps, &scenarios)?;
                }
            }
        }
        Command::LogSql {
            dialect,
            log,
            truth,
            target_position,
        } => {
            let dialect = match dialect {
                SqlDialect::Spark => slate_reduction::Dialect::Spark,
                SqlDialect::Polars => slate_reduction::Dialect::Polars,
            };
            let sql = pipeline.log_sql(dialect, log.as_deref(), truth, target_position)?;
            std::io::Write::write_all(&mut std::io::stdout(), sql.as_bytes())?;
        }
        Command::ReduceLog { log, chunk_rows } => {
            pipeline.reduce_log(&log, chunk_rows)?;
        }
        Command::SynthLog {
            slates,
            slate_size,
            slates_per_unit,
            focals_per_slate,
            target_position,
            seed,
            out,
        } => {
            let config = slate_log::synthetic::SyntheticConfig {
                slates,
                slate_size,
                slates_per_unit,
                focals_per_slate,
                target_position,
                ..Default::default()
            };
            config.check()?;
            let out = out.unwrap_or_else(|| {
                pipeline
                    .paths
                    .raw_dir
                    .join(format!("synthetic_log_{slates}.parquet"))
            });
            pipeline.synth_log(&config, seed, &out)?;
        }
        Command::DesignSweep { reps } => {
            if reps == 0 {
                bail!("--reps must be at least 1");
            }
            pipeline.design_sweep(reps)?;
        }
        Command::BenchScale {
            slates,
            slates_per_unit,
            repeats,
            simulate_slates,
            data_dir,
        } => {
            if slates_per_unit.contains(&0) {
                bail!("--slates-per-unit: every value must be at least 1");
            }
            let root = project_root();
            let options = slate_bench::scale::ScaleOptions {
                data_dir: data_dir
                    .unwrap_or_else(|| root.join("data").join("raw").join("bench-scale")),
                slates: slates.clone(),
                slates_per_unit: slates_per_unit.clone(),
                repeats,
                simulate_slates,
            };
            let list = |values: &[usize]| -> String {
                let texts: Vec<String> = values.iter().map(usize::to_string).collect();
                texts.join(",")
            };
            let command = format!(
                "cargo xtask bench-scale --slates {} --slates-per-unit {} --repeats {repeats} --simulate-slates {simulate_slates}",
                list(&slates),
                list(&slates_per_unit)
            );
            let clock = RunClock::start(&root, &command);
            let stages = slate_bench::scale::run(&pipeline.config, &root, &options)?;
            let record = record::record_run(&root, clock, stages)?;
            let (run, previous) = record::last_two_runs(&record, "bench-scale");
            let text = slate_bench::scale::markdown(&run, &previous);
            write_bench_markdown(&root, "scale.md", &text)?;
        }
        Command::BenchScale1b { slates, data_dir } => {
            let root = project_root();
            let data_dir =
                data_dir.unwrap_or_else(|| root.join("data").join("raw").join("bench-scale"));
            let command = format!("cargo xtask bench-scale-1b --slates {slates}");
            let clock = RunClock::start(&root, &command);
            let stages = slate_bench::scale_1b::run(&pipeline.config, &data_dir, slates)?;
            let record = record::record_run(&root, clock, stages)?;
            let (run, previous) = record::last_two_runs(&record, "bench-scale-1b");
            let text = slate_bench::scale_1b::markdown(&run, &previous);
            write_bench_markdown(&root, "scale_1b.md", &text)?;
        }
        Command::BenchEstimate { slates, repeats } => {
            let root = project_root();
            let sizes: Vec<String> = slates.iter().map(usize::to_string).collect();
            let command = format!(
                "cargo xtask bench-estimate --slates {} --repeats {repeats}",
                sizes.join(",")
            );
            let clock = RunClock::start(&root, &command);
            let stages =
                slate_bench::estimator_suite::bench_estimate(&pipeline.config, &slates, repeats)?;
            let record = record::record_run(&root, clock, stages)?;
            let (run, previous) = record::last_two_runs(&record, "bench-estimate");
            let text = slate_bench::estimator_suite::markdown(
                &run,
                &previous,
                pipeline.config.estimate.bootstrap_replicates,
            );
            write_bench_markdown(&root, "estimator_suite.md", &text)?;
        }
        Command::Bench { data_dir } => {
            let root = project_root();
            let full = data_dir.unwrap_or_else(|| slate_bench::harness::default_full_data(&root));
            let clock = RunClock::start(&root, "cargo xtask bench");
            let stages = slate_bench::harness::run(&pipeline.config, &root, &full)?;
            let record = record::record_run(&root, clock, stages)?;
            let (run, previous) = record::last_two_runs(&record, "bench");
            let text = slate_bench::harness::markdown(&run, &previous);
            write_bench_markdown(&root, "results.md", &text)?;
        }
        Command::BenchModels { slates, repeats } => {
            let root = project_root();
            let sizes: Vec<String> = slates.iter().map(usize::to_string).collect();
            let command = format!(
                "cargo xtask bench-models --slates {} --repeats {repeats}",
                sizes.join(",")
            );
            let clock = RunClock::start(&root, &command);
            let stages =
                slate_bench::models::bench_models(&pipeline.config, &slates, repeats, &root)?;
            let record = record::record_run(&root, clock, stages)?;
            let (run, previous) = record::last_two_runs(&record, "bench-models");
            let text = slate_bench::models::models_markdown(&run, &previous, &pipeline.config);
            write_bench_markdown(&root, "models.md", &text)?;
        }
        Command::Analyze {
            log,
            slate_stats,
            on_bad_slate,
            item_rows,
            chunk_rows,
        } => {
            use slate_pipeline::LogSource;
            let policy: slate_log::OnBadSlate = on_bad_slate.into();
            let source = match (&log, &slate_stats) {
                (_, Some(stats)) => LogSource::SlateStats(stats),
                (Some(log), None) => {
                    let parquet = log.extension().is_some_and(|e| e == "parquet");
                    if parquet && !item_rows && policy == slate_log::OnBadSlate::Error {
                        LogSource::Reduced(log, chunk_rows)
                    } else {
                        LogSource::Rows(log, policy)
                    }
                }
                (None, None) => bail!("analyze needs --log or --slate-stats"),
            };
            pipeline.analyze(source, &cancel)?;
        }
        Command::All { source, check } => {
            if check {
                let files = slate_pipeline::check_determinism(&pipeline.config, &source.resolve())?;
                tracing::info!(
                    files,
                    "determinism check passed: identical bytes with 1 and 2 threads"
                );
            } else {
                pipeline.all(&source.resolve(), &cancel)?;
            }
        }
    }
    if cancel.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}
