//! Everything that can go wrong in ingest.

use std::path::PathBuf;

use slate_table::TableError;

/// Everything that can go wrong in ingest. Every variant names the file, and where it applies
/// the line (1-based, header = line 1) and column.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A required input file does not exist.
    #[error("{path}: file not found")]
    MissingFile {
        /// The missing file.
        path: PathBuf,
    },
    /// The file has no bytes at all.
    #[error("{path}: file is empty (expected a header line)")]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The header differs from the published MovieLens header.
    #[error("{path}: header is `{found}`, expected `{expected}` ({detail})")]
    Header {
        /// The file.
        path: PathBuf,
        /// The expected header.
        expected: String,
        /// The header found.
        found: String,
        /// Which column differs.
        detail: String,
    },
    /// A line is not valid UTF-8.
    #[error("{path}: line {line} is not valid UTF-8")]
    Encoding {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// A line has the wrong number of fields.
    #[error("{path}: line {line} has {found} fields, expected {expected}")]
    FieldCount {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Expected field count.
        expected: usize,
        /// Found field count.
        found: usize,
    },
    /// A required field is empty.
    #[error("{path}: line {line}, column `{column}`: value is missing")]
    MissingValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The column.
        column: String,
    },
    /// A field does not parse as its column's type.
    #[error("{path}: line {line}, column `{column}`: `{value}` is not {expected}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The column.
        column: String,
        /// The offending text.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A rating outside 0.5..=5.0 or not a multiple of 0.5.
    #[error("{path}: line {line}, column `rating`: {value} is not a half-star rating in 0.5..=5.0")]
    BadRating {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The rating.
        value: f64,
    },
    /// The same (user, movie) pair is rated twice.
    #[error(
        "{path}: line {line} repeats (userId {user_id}, movieId {movie_id}) first rated on line {first_line}"
    )]
    DuplicateRating {
        /// The file.
        path: PathBuf,
        /// 1-based line of the repeat.
        line: usize,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// The user.
        user_id: u32,
        /// The movie.
        movie_id: u32,
    },
    /// A movie id appears twice in movies.csv.
    #[error("{path}: line {line}: movieId {movie_id} is listed twice")]
    DuplicateMovie {
        /// The file.
        path: PathBuf,
        /// 1-based line of the repeat.
        line: usize,
        /// The movie.
        movie_id: u32,
    },
    /// A rating references a movie that movies.csv does not list.
    #[error("{path}: line {line}, column `movieId`: movie {movie_id} is not in movies.csv")]
    UnknownMovie {
        /// The ratings file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The unknown movie.
        movie_id: u32,
    },
    /// polars could not parse the file and no single line was at fault.
    #[error("{path}: cannot parse CSV: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// polars' message.
        message: String,
    },
    /// An OS-level I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Reading or writing a processed table failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// A configuration value is out of its valid range.
    #[error("invalid ingest configuration: {0}")]
    Config(String),
}

/// Result alias for this crate.
pub type Result<T, E = IngestError> = std::result::Result<T, E>;
