//! What can go wrong reading a log.

use std::path::PathBuf;

/// What can go wrong reading a log. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file cannot be opened.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is neither parquet nor CSV (by extension).
    #[error("{path}: unknown log format (expected a .parquet or .csv file)")]
    Format {
        /// The file.
        path: PathBuf,
    },
    /// The file cannot be decoded.
    #[error("{path}: cannot be read as {format}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// "parquet" or "csv".
        format: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The `[log]` config section is inconsistent.
    #[error("invalid [log] config: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// A required column is absent.
    #[error("{file}: missing column `{column}`{mapped}")]
    MissingColumn {
        /// The file.
        file: String,
        /// The column name looked for.
        column: String,
        /// " (canonical `x`, mapped in [log.columns])" when the name comes from the config.
        mapped: String,
    },
    /// A column has a type the log does not accept.
    #[error("{file}: column `{column}` has type {found}, expected {expected}")]
    WrongType {
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// What it holds.
        found: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// A column holds a null.
    #[error("{file}: column `{column}` is empty (null) at row {row}")]
    Null {
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// 1-based data row (the header is not counted).
        row: usize,
    },
    /// A slate breaks a rule of the design (use `--on-bad-slate drop` to drop such slates).
    #[error("{file}: row {row} (slate {slate}), column `{column}`: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based data row of the offending value (the slate's first row for slate-wide rules).
        row: usize,
        /// The slate id as written in the file.
        slate: String,
        /// The column.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// The experiment as a whole cannot be analyzed.
    #[error("{file}: {message}")]
    Design {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}
