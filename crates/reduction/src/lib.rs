//! The per-slate reduction of an impression log, and the reader of its table.
//!
//! One SQL query, in a dialect that both the embedded engine (polars' SQL) and Apache Spark
//! accept, turns a log's item rows into one row per slate holding everything the estimators
//! need: the slate's design facts, the checks of the log's rules, and per exposure cell the row
//! count, the click count and (with truth, further outcomes, covariates) sums and sums of
//! squares. Memory then grows with slates, not impressions, and the heavy step can run where
//! the log lives.
//!
//! Cells partition a slate's rows by the exposure roles of `slate-exposure`: the focal item,
//! then non-focal items by (same cluster as the focal or not) × (seeded above the focal, so
//! displaced, or below). Two further overlapping cells serve the spillover sensitivity:
//! non-focal items one seed position from the focal, and non-focal items in seed positions
//! 1–3. Every contrast's sample is a sum of cells.
//!
//! The query reads a table named [`sql::IMPRESSIONS`] with the log's own column names (mapped
//! by `[log.columns]`); its first step renames them to the canonical ones, so the rest of the
//! query, and the table it writes, never depend on the log's names. Integer sums (rows, clicks,
//! positions) are exact in every engine; floating sums are exact up to the engines' summation
//! order.
//!
//! Modules: [`columns`] (the table's vocabulary, the one place its column names live), [`sql`]
//! (the query for each dialect), [`embedded`] (the in-process reduction: `native`, a single pass
//! over a log in slate order that gives the query's table, else the query over ranges of slates),
//! `source` (the table on disk: part files, a copy, columns in slate order), `read` (the read
//! that checks every rule and builds the slate outcomes), [`cells`] and [`truth_cells`] (the
//! per-slate cell sums the estimators read). The Spark job is `spark/reduce_slates.py`.
//!
//! Depends on `slate-log` (the canonical columns and `[log]` config), `slate-exposure` (the
//! slate outcomes, readiness facts and features it builds, and its error type) and
//! `slate-table`; never on a source of logs, nor on estimation.

pub mod cells;
pub mod columns;
pub mod embedded;
mod native;
mod read;
mod source;
pub mod sql;
pub mod truth_cells;

#[cfg(test)]
mod tests;

pub use cells::{CellOutcome, SlateCells};
pub use columns::SLATE_STATS_FILE;
pub use embedded::{DEFAULT_CHUNK_ROWS, ReducedLog, Reducer, reduce_parquet, reduce_parquet_with};
pub use read::{FEATURE_SPILL_FILE, SlateStatsTables, read_slate_stats, read_slate_stats_spilling};
pub use source::{copy_slate_stats, read_parquet_parts};
pub use sql::{Dialect, LogShape, reduction_sql};
