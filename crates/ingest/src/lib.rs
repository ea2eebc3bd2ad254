//! MovieLens ingest: the first stage of the pipeline.
//!
//! Owns everything about the raw data: reading a MovieLens-format folder (`ratings.csv` with
//! its own parallel reader, `movies.csv`, `links.csv` and `tags.csv` with polars), validating it, deriving movie metadata
//! (genres, release year, substitute cluster), writing typed parquet to `data/processed`, the
//! setup-readiness table, downloading the official ML-32M archive ([`fetch`]) and a synthetic
//! MovieLens-format generator ([`synthetic`]) for tests, offline runs and benchmarks.
//!
//! Depends only on `slate-table` inside the workspace; every later stage depends on it, never
//! the reverse. It knows nothing about slates, promotions or estimators.
//!
//! Invariants of what it writes: every rating is in `0.5..=5.0` in half stars, `(user, movie)`
//! pairs are unique, every rated movie exists in the movies table, ids are `u32`, any `u32`
//! (no table is sized by the largest id: [`ids`]).

pub mod clusters;
mod config;
mod error;
pub mod fetch;
pub mod ids;
mod ratings_csv;
mod ratings_stream;
mod raw;
mod readiness;
pub mod schema;
mod stage;
pub mod synthetic;

pub use config::IngestConfig;
pub use error::{IngestError, Result};
pub use readiness::{RatingsSummary, SetupCheck, setup_readiness};
pub use stage::{
    Dataset, IngestReport, Movies, Ratings, ingest, load_processed, read_movies, synthetic_dataset,
};

#[cfg(test)]
mod tests;
