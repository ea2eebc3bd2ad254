//! Exposure mapping: who in a slate was exposed to what when its focal items were (or were
//! not) promoted.
//!
//! Pipeline stage 3, the first analysis stage. Depends on `slate-log` (the validated
//! [`ImpressionLog`] and its promotion design) and `slate-table`; never on a source of logs
//! (ingest, simulate) nor on estimation, models or reporting. It defines, once, the exposure
//! roles every estimator uses:
//!
//! - **focal**: a promoted item (one or more per slate, each moved to its target slot in
//!   treated slates);
//! - **same-cluster competitor**: a non-focal item that shares a substitute cluster with any
//!   focal item of its slate;
//! - **displaced item**: a non-focal item whose position under promotion is greater than its
//!   seed position (with one focal item promoted to the top: the items seeded above it, pushed
//!   down one place);
//! - **other**: everything else.
//!
//! Roles are defined from the seed slate and the design, so they exist in both arms: a control
//! slate's same-cluster items are the comparison group for a promoted slate's. Each item row
//! also carries its displacement (how many places promotion pushes it down) and its slate's
//! number of focal items. Columns that name "the" focal item of a slate (`focal_movie_id`,
//! `focal_cluster`, `focal_seed_position`) report its lead focal item, the one promoted to the
//! highest slot; `focal_<covariate>` is the mean over the focal items. It writes the item-row
//! exposure mapping, the slate outcome table (with model features derived from the log's
//! covariates, and the oracle's potential outcomes only when the log carries truth), the
//! assignment table, the covariate table and the exposure-readiness checks. Every row carries
//! its unit's dense index, the cluster of every estimator. [`AnalysisSlates`] is the slate
//! table as the estimators hold it: only the columns they read.

mod analysis_slates;
mod error;
mod feature_columns;
pub mod features;
pub mod known_truth;
mod mapping;
pub mod readiness;
mod roles;
pub mod schema;
mod slate_file;
mod tables_io;

pub use analysis_slates::{AnalysisSlates, AnalysisTruth, FocalClusterCodes};
pub use error::ExposureError;
pub use feature_columns::{FeatureColumns, FeatureFile};
pub use mapping::{ExposureTables, SlateTables, map_exposure, map_slates};
pub use roles::{RowRole, row_roles};
pub use schema::{
    Assignment, AssignmentTable, ExposureMapping, Feature, FeatureKind, HeldTruth, LogColumnsTable,
    MappingRows, MappingTruth, NamedColumn, SlateOutcomes, SlateRows, SlateTruth,
};
pub use slate_file::SlateOutcomesFile;
pub use tables_io::{read_mapping, read_slates, write, write_exposure, write_slate_tables};

#[cfg(test)]
mod tests;
