//! The impression log: one row per shown item of a logged slate experiment. It is the boundary
//! between where data comes from (the MovieLens simulation, or a team's own experiment) and the
//! analysis (exposure → estimate → models → report), which reads nothing else.
//!
//! Depends only on `slate-table` (for the shared I/O conventions), polars and the seeded
//! generators of [`synthetic`]; never on a source (ingest, simulate) or on an analysis crate.
//!
//! What it owns:
//! - [`schema::LogColumn`]: the canonical column names, declared once; a `[log.columns]` config
//!   section ([`LogConfig`]) maps a user's names onto them.
//! - [`read_log`] / [`ImpressionLog::from_frame`]: reading parquet or CSV, coercing types
//!   (booleans may be 0/1 integers; ids integers or strings), and validating every rule of the
//!   design. A violation is a [`LogError`] naming the file, the row and slate, and the column;
//!   with [`OnBadSlate::Drop`] slate-level violations drop the slate instead and are reported as
//!   [`DroppedSlate`]s.
//! - [`ids`]: ids of any size or type interned to dense codes in sorted id order. Slates and
//!   units are put in id order and rows in seed order within a slate, so nothing downstream
//!   depends on row order or is sized by a raw id.
//!
//! - [`synthetic`]: a seeded log with known truth, the analysis crates' test fixture.
//!
//! - [`design`]: the promotion design of a slate (one or more focal items, each with a target
//!   slot) and the ranking it shows when promoted.
//!
//! Invariants of an [`ImpressionLog`]: rows grouped by slate in slate-id order, seed order
//! within a slate; seed and shown positions are permutations of 1..=n; one or more focal items
//! per slate, with distinct targets in 1..=n, each at or above its seed position; a promoted
//! slate shows exactly the design's ranking (focal items at their targets, the others in seed
//! order in the remaining slots); the arm is constant within a slate and within a unit; each
//! arm has at least two units; every number is finite.

pub mod config;
pub mod design;
mod error;
pub mod ids;
mod impression;
mod read;
pub mod schema;
pub mod synthetic;
mod validate;

pub use config::{LogConfig, OnBadSlate};
pub use error::LogError;
pub use ids::IdValues;
pub use impression::{
    AssignmentProbability, Covariate, CovariateLevel, DROPPED_SLATES, DroppedSlate,
    DroppedSlatesTable, ID_DICTIONARY, IdDictionary, ImpressionLog, NamedValues, ProbabilitySource,
    Truth, read_log,
};
pub use read::read_frame;
pub use schema::{LOG_SCHEMA_VERSION, LogColumn};

#[cfg(test)]
mod tests;
