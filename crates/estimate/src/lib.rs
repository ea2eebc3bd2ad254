//! Cluster-randomized estimators for direct, spillover and total effects of a slate-level
//! promotion (the seed's estimators notebook, section by section).
//!
//! Pipeline stage 4. Depends on `slate-exposure` (its tables) and `slate-table`; never on
//! models or reporting, and it knows nothing about how the data were simulated: it would run
//! unchanged on a real logged slate experiment with the same exposure tables. It reads the
//! slate table as an [`AnalysisSlates`](slate_exposure::AnalysisSlates): the columns it uses,
//! not the whole table.
//!
//! - [`ols`]: OLS with the general sandwich (naive and CR1 covariance), equal to statsmodels.
//! - [`dim`]: the difference in means with closed forms from per-slate sufficient statistics,
//!   returning a [`DiffInMeans`] results struct.
//! - [`bootstrap`]: the cluster (pairs) bootstrap over slates, O(slates) per replicate.
//! - [`wild`]: the restricted wild cluster bootstrap (Rademacher, Webb), O(clusters) per replicate.
//! - [`randomization`]: Fisher randomization inference re-drawing the slate assignment.
//! - `unit_sums` (private): the per-unit layout the wild bootstrap and randomization inference
//!   share, with their draws in cache-sized blocks.
//! - [`inference`]: every uncertainty method by name, with intervals and p-values side by side.
//! - [`student_t`]: Student's t critical value (exact at any degrees of freedom, where statrs'
//!   inverse drifts and stops returning at millions) and p-value of the CR2 intervals.
//! - [`coverage`]: the Monte-Carlo coverage study of those intervals over re-drawn experiments.
//! - [`contrasts`]: the five contrasts and three outcome views.
//! - [`outcome`]: what a row measures (the click under a view, or a log's further outcome).
//! - [`tables`]: every table this stage writes.
//! - [`decompose`]: the direct / indirect / total decomposition, spillover-definition
//!   sensitivity, and cluster and position risk.
//! - [`design_effects`]: effects along the promotion design: spillover by displacement
//!   distance, and subgroup effects by the number of focal items.
//!
//! Why slate-clustered uncertainty: promotion is assigned per slate and all items of a slate
//! share its attention budget, so item rows are not independent; treating them as such
//! understates uncertainty (see the SE-comparison table).

pub mod adjust;
pub mod bootstrap;
pub mod contrasts;
pub mod coverage;
pub mod decompose;
pub mod design_effects;
pub mod dim;
pub mod inference;
pub mod multiplicity;
pub mod ols;
pub mod outcome;
pub mod power;
pub mod randomization;
pub mod student_t;
mod suite;
pub mod tables;
mod unit_sums;
pub mod wild;

pub use decompose::{DecompositionTables, run_decomposition, write_decomposition};
pub use dim::{DiffInMeans, Method, Sample, difference_in_means};
pub use suite::{ContrastResult, EstimateTables, inference_comparison, run, write};

use serde::{Deserialize, Serialize};
use slate_table::TableError;

/// What can go wrong estimating.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    /// One treatment arm has no rows.
    #[error("{what}: the {arm} arm has no rows; both arms are required")]
    EmptyArm {
        /// Contrast / outcome.
        what: String,
        /// "treated" or "control".
        arm: &'static str,
    },
    /// Cluster-robust inference needs at least two clusters.
    #[error("{what}: only one cluster; cluster-robust standard errors need at least two")]
    SingleCluster {
        /// Contrast / outcome.
        what: String,
    },
    /// An outcome (or regressor) is NaN or infinite.
    #[error("{what}: non-finite value at row {row}")]
    NonFinite {
        /// Contrast / outcome.
        what: String,
        /// 0-based row.
        row: usize,
    },
    /// A cluster has rows in both arms where the unit must be the randomized unit.
    #[error(
        "cluster {cluster} has rows in both arms; this method needs assignment constant within each unit"
    )]
    MixedClusterAssignment {
        /// The cluster id.
        cluster: u32,
    },
    /// Inputs of different lengths.
    #[error("mismatched lengths: {what}")]
    LengthMismatch {
        /// Which inputs.
        what: String,
    },
    /// Fewer rows than parameters.
    #[error("{rows} rows cannot identify {params} parameters")]
    TooFewRows {
        /// Rows.
        rows: usize,
        /// Parameters.
        params: usize,
    },
    /// X'X is singular (e.g. a constant regressor besides the intercept).
    #[error("singular design matrix: {message}")]
    Singular {
        /// The linear-algebra error.
        message: String,
    },
    /// A configuration value is invalid.
    #[error("invalid estimate config `{field}`: {message}")]
    Config {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a table failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// A coverage-study replicate could not be drawn (e.g. re-simulation failed).
    #[error("coverage replicate {replicate}: {message}")]
    Replicate {
        /// The replicate index.
        replicate: usize,
        /// What went wrong.
        message: String,
    },
    /// A table or study that needs the oracle was asked of a log without truth columns.
    #[error("{what} needs the log's truth columns (click_prob_if_promoted, click_prob_if_control)")]
    NoTruth {
        /// What needed it.
        what: String,
    },
    /// Reading the exposure tables failed.
    #[error(transparent)]
    Exposure(#[from] slate_exposure::ExposureError),
    /// A method that needs item rows (a regression on row-level covariates) was given per-slate
    /// groups of rows (the per-slate reduction).
    #[error("{what} needs item rows; the sample holds per-slate sums")]
    NeedsRows {
        /// The method.
        what: String,
    },
}

/// Estimation settings (the `[estimate]` section of the pipeline config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EstimateConfig {
    /// Cluster-bootstrap replicates (default 500).
    pub bootstrap_replicates: usize,
    /// Bootstrap seed (default 20260428).
    pub bootstrap_seed: u64,
    /// A focal cluster enters the exploratory cluster-effects table only with at least this
    /// many treated and this many control rows in a contrast (default 30).
    pub cluster_effects_min_rows: usize,
    /// Randomization-inference draws of the slate assignment under the sharp null (default 2,000).
    pub randomization_draws: usize,
    /// Re-drawn experiments in the coverage study that `cargo xtask all` runs (default 40;
    /// `cargo xtask coverage --reps N` runs any number).
    pub coverage_replicates: usize,
}

impl Default for EstimateConfig {
    fn default() -> Self {
        Self {
            bootstrap_replicates: 500,
            bootstrap_seed: 20260428,
            cluster_effects_min_rows: 30,
            randomization_draws: 2_000,
            coverage_replicates: 40,
        }
    }
}

impl EstimateConfig {
    /// Checks every field.
    pub fn check(&self) -> Result<(), EstimateError> {
        if self.bootstrap_replicates < 2 {
            return Err(EstimateError::Config {
                field: "estimate.bootstrap_replicates",
                message: format!("{} < 2", self.bootstrap_replicates),
            });
        }
        if self.randomization_draws < 1 {
            return Err(EstimateError::Config {
                field: "estimate.randomization_draws",
                message: "must be at least 1".into(),
            });
        }
        if self.coverage_replicates == 0 {
            return Err(EstimateError::Config {
                field: "estimate.coverage_replicates",
                message: "must be at least 1".into(),
            });
        }
        if self.cluster_effects_min_rows == 0 {
            return Err(EstimateError::Config {
                field: "estimate.cluster_effects_min_rows",
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
