//! The benchmarks of the `slate` program's `bench*` commands: every stage at MovieLens-32M
//! scale and beyond against its Python peer ([`harness`], `cargo xtask bench`), the estimator
//! suite ([`estimator_suite`]), the GBDT fits ([`models`]), impression logs at scale against
//! DuckDB ([`scale`]) and the opt-in run at one billion impressions ([`scale_1b`]). Each appends its measurements to the machine-readable [`record`]
//! (`bench/record.jsonl`), renders its markdown table under `bench/` from it, and reports every
//! stage more than 15% worse than in the command's previous run.
//!
//! A benchmark measures; it never asserts a time. The pipeline's own tests do not depend on
//! this crate. It depends on the pipeline library (`slate-pipeline`), which it runs stage by
//! stage, and on the stage crates whose work it times directly; its Python peers
//! (`bench/*.py`) are installed on first use ([`peers`]).

pub mod estimator_suite;
pub mod harness;
pub mod models;
pub mod peers;
pub mod record;
pub mod scale;
pub mod scale_1b;
pub mod summary;
