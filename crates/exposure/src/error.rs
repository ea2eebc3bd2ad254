//! What can go wrong mapping exposure or reading its tables back.

use slate_table::TableError;

/// What can go wrong mapping exposure or reading its tables back.
#[derive(Debug, thiserror::Error)]
pub enum ExposureError {
    /// The exposure tables on disk disagree with each other (hand-edited or from another run).
    #[error("{table}: {message}")]
    Inconsistent {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// A column derived from a covariate or outcome would take the name of another column.
    #[error(
        "{table}: `{covariate}` would write column `{column}`, which {clash}; rename that column of the log"
    )]
    NameCollision {
        /// The table.
        table: &'static str,
        /// The covariate.
        covariate: String,
        /// The derived column.
        column: String,
        /// What it collides with.
        clash: String,
    },
    /// The log's design is one the per-slate reduction does not read (yet).
    #[error("{file}: column `{column}`: {message}")]
    Unsupported {
        /// The log.
        file: String,
        /// The column.
        column: String,
        /// What is not supported, and what to do instead.
        message: String,
    },
    /// Reading or writing a table failed.
    #[error(transparent)]
    Table(#[from] TableError),
}
