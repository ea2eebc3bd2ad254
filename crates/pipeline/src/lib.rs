//! The pipeline behind the `slate` program (and so behind `cargo xtask`): its configuration
//! and paths, and every stage wired from its input files to its output files, run alone or in
//! sequence (`all`: ingest → simulate → exposure → estimate → decompose → models → coverage →
//! report; `analyze`: a team's log through exposure → estimate → decompose → models → report).
//!
//! It sits above every stage crate and `slate-studies`, and may depend on all of them; only
//! the program (`slate-cli`), the benchmarks (`slate-bench`) and the end-to-end tests depend on
//! it. It is the one library that uses `anyhow`: the stage crates return typed errors, which
//! it wraps with the stage and the file. It holds no analysis of its own: a stage here reads
//! files, calls the crate that owns the work, writes the tables, figures and manifest, and logs
//! what it did, with its wall time and peak memory. It stops between stages on Ctrl-C and
//! checks determinism (`all --check`).
//!
//! Modules, by concern: [`config`] (the TOML configuration and the directories), `run` (the
//! [`Pipeline`], stage timing, `all` and `analyze`), `movielens` (the MovieLens source
//! stages), `log_input` (reading a team's log, the reduction's SQL), `analysis` (estimate,
//! decompose, models, reports), `studies` (coverage, power, design sweep), [`manifest`],
//! [`determinism`] and [`memory`].

mod analysis;
pub mod config;
pub mod determinism;
mod log_input;
pub mod manifest;
pub mod memory;
mod movielens;
mod run;
mod studies;

pub use config::{PROJECT_DIR_VAR, Paths, PipelineConfig, project_root};
pub use determinism::check_determinism;
pub use movielens::DataSource;
pub use run::{Interrupted, LogSource, Pipeline};
