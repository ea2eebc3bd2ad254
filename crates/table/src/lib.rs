//! Typed table schemas and crash-safe artifact I/O, shared by every pipeline stage.
//!
//! This is the bottom of the stack: it may depend only on external crates (polars, arrow-rs's
//! parquet writer with arrow-array/arrow-schema/bytes, bytemuck, rayon, strum, tempfile, thiserror),
//! never on another crate of this workspace (save the code-free `workspace-hack`, which only
//! unifies third-party features).
//!
//! What it owns:
//! - [`TableSchema`]: the one declaration of a table's file name and ordered, typed columns.
//!   Each stage crate declares the schemas of the tables *it* writes as constants (column names
//!   live there and nowhere else); readers in later stages import those constants.
//! - Writing: [`write_parquet`] and [`write_csv`] check a frame against its schema, write to a
//!   temporary file in the destination directory and rename it into place, so a crash or a full
//!   disk never leaves a half-written artifact behind. [`write_parquet_columns`] writes borrowed
//!   column slices the same way without building a frame (the 32-million-row ratings table).
//!   [`write_parquet_extended`] writes a frame whose trailing columns are named at run time
//!   (optional column groups such as the oracle's, covariates named in the user's config);
//!   [`write_parquet_parts`] writes the same file from the tables' borrowed columns, which is
//!   how the pipeline writes its per-slate tables (a frame of millions of rows would double
//!   their memory); [`write_parquet_batches`] writes that file from [`RowBatch`]es built one
//!   row group at a time, for per-row tables too long to hold beside their source (the
//!   simulation's impression log, the exposure mapping); and [`write_csv_batches`] writes a
//!   long CSV a batch of rows at a time.
//!   Parquet is encoded by arrow-rs, row groups in parallel, integers delta-encoded (see
//!   `parquet_file.rs`).
//! - Reading: [`read_parquet`] and [`read_csv`] check presence and types of every schema column
//!   and name the file and column in every error.
//! - Typed column extraction ([`column_u32`], [`column_f64`], ...) that rejects nulls and wrong
//!   types with errors naming the file and column.
//! - A parquet file's columns, row groups and one column's range in each, from the footer
//!   ([`parquet_columns`], [`parquet_row_groups`], [`sorted_runs`]): how a large log is split into slate ranges.
//! - Label columns: [`Label`], a closed set of values (a contrast, a learner, ...) written as
//!   their display text, so code compares values and the text lives in one place.
//! - The readiness-check table shared by the ingest and exposure stages ([`readiness`]).

mod io;
mod label;
mod parquet_file;
pub mod readiness;
mod row_groups;
mod schema;

pub use io::{
    Staged, open_file, read_csv, read_parquet, read_parquet_row_groups, remove_stale,
    stage_atomically, stage_parquet_batches, write_atomically, write_bytes_atomically, write_csv,
    write_csv_batches, write_csv_extended, write_parquet, write_parquet_batches,
    write_parquet_columns, write_parquet_extended, write_parquet_parts,
};
pub use label::Label;
pub use parquet_file::{ColumnSlice, ROW_GROUP_ROWS, RowBatch};
pub use row_groups::{Bound, RowGroup, parquet_columns, parquet_row_groups, sorted_runs};
pub use schema::{
    ColumnSpec, ColumnType, ColumnValue, SharedStr, TableSchema, column_bool, column_f64,
    column_i64, column_shared_str, column_str, column_u32, shared_strs,
};

/// A named `f64` column whose name is known only at run time (a covariate from the user's
/// config, an optional oracle column), appended after a table's schema columns by
/// [`write_parquet_extended`] and [`write_csv_extended`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NamedColumn {
    /// Column name.
    pub name: String,
    /// One value per row.
    pub values: Vec<f64>,
}

/// Re-exported for the [`table!`] macro.
#[doc(hidden)]
pub use polars;
/// Re-exported for the [`label!`] macro.
#[doc(hidden)]
pub use strum;

use std::path::PathBuf;

/// Everything that can go wrong reading or writing a pipeline table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file does not exist.
    #[error("{path}: file not found (run the stage that produces it first)")]
    Missing {
        /// The file that was expected.
        path: PathBuf,
    },
    /// An OS-level I/O failure (permissions, disk full, ...).
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file exists but could not be decoded (corrupted or truncated parquet, bad CSV, ...).
    #[error("{path}: cannot be read as {format}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// "parquet" or "csv".
        format: &'static str,
        /// What the decoder said.
        message: String,
    },
    /// A column the schema requires is absent.
    #[error("{table}: missing column `{column}`")]
    MissingColumn {
        /// The table (file path or schema name).
        table: String,
        /// The column name.
        column: String,
    },
    /// A column has an unexpected type.
    #[error("{table}: column `{column}` has type {found}, expected {expected}")]
    WrongType {
        /// The table (file path or schema name).
        table: String,
        /// The column name.
        column: String,
        /// The type the schema declares.
        expected: String,
        /// The type found.
        found: String,
    },
    /// A column holds nulls where the schema forbids them.
    #[error("{table}: column `{column}` has {nulls} null value(s), first at row {first_row}")]
    Nulls {
        /// The table (file path or schema name).
        table: String,
        /// The column name.
        column: String,
        /// How many nulls.
        nulls: usize,
        /// 1-based data row of the first null.
        first_row: usize,
    },
    /// A label column holds a text that names none of its values.
    #[error("{table}: column `{column}`, row {row}: \"{value}\" is not one of {expected}")]
    UnknownLabel {
        /// The table (file path or schema name).
        table: String,
        /// The column name.
        column: String,
        /// 1-based data row.
        row: usize,
        /// The text found.
        value: String,
        /// The texts the column may hold, quoted.
        expected: String,
    },
    /// A frame about to be written does not match its declared schema (a programming error
    /// caught before any byte reaches the disk).
    #[error("{table}: frame does not match schema: {message}")]
    SchemaMismatch {
        /// The table name.
        table: String,
        /// What differs.
        message: String,
    },
    /// The parquet encoder failed.
    #[error("{table}: cannot write parquet: {source}")]
    Parquet {
        /// The table name.
        table: String,
        /// The encoder's error.
        source: parquet::errors::ParquetError,
    },
    /// A polars error while assembling a frame.
    #[error("{table}: {source}")]
    Polars {
        /// The table name.
        table: String,
        /// The polars error.
        source: polars::prelude::PolarsError,
    },
}

impl TableError {
    /// The error of a frame holding a file's rows from `rows` on, placed in the file: a row it
    /// names is counted from the file's first row.
    pub fn after_rows(self, rows: usize) -> TableError {
        match self {
            TableError::Nulls {
                table,
                column,
                nulls,
                first_row,
            } => TableError::Nulls {
                table,
                column,
                nulls,
                first_row: first_row + rows,
            },
            TableError::UnknownLabel {
                table,
                column,
                row,
                value,
                expected,
            } => TableError::UnknownLabel {
                table,
                column,
                row: row + rows,
                value,
                expected,
            },
            other => other,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = TableError> = std::result::Result<T, E>;
