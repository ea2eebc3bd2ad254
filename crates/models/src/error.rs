//! What can go wrong modelling.

use slate_table::TableError;

/// What can go wrong modelling.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// A configuration value is invalid; names the field.
    #[error("invalid models config `{field}`: {message}")]
    Config {
        /// Dotted field path.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A GBDT library reported an error.
    #[error("{library}: {message}")]
    Library {
        /// "LightGBM" or "XGBoost".
        library: &'static str,
        /// The library's message.
        message: String,
    },
    /// Inputs of inconsistent shapes.
    #[error("shape mismatch: {message}")]
    Shape {
        /// What does not fit.
        message: String,
    },
    /// Too few slates in one arm to fit or evaluate.
    #[error("{what}: needs slates in both arms and at least {needed} slates (have {have})")]
    TooFewSlates {
        /// Where.
        what: String,
        /// Slates needed.
        needed: usize,
        /// Slates present.
        have: usize,
    },
    /// The randomized estimator failed.
    #[error(transparent)]
    Estimate(#[from] slate_estimate::EstimateError),
    /// Reading or writing a table failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// Reading the slate table failed.
    #[error(transparent)]
    Exposure(#[from] slate_exposure::ExposureError),
}
