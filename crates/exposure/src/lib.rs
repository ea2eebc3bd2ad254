//! Exposure mapping: who in a slate was exposed to what when its focal item was (or was not)
//! promoted.
//!
//! Pipeline stage 3, the first analysis stage. Depends on `slate-log` (the validated
//! [`ImpressionLog`]) and `slate-table`; never on a source of logs (ingest, simulate) nor on
//! estimation, models or reporting. It defines, once, the exposure roles every estimator uses:
//!
//! - **focal**: the slate's focal item (promoted to position 1 in treated slates);
//! - **same-cluster competitor**: a non-focal item in the focal's substitute cluster;
//! - **displaced item**: a non-focal item seeded above the focal, so promotion pushes it down
//!   one place;
//! - **other**: everything else.
//!
//! Roles are defined from the seed slate, so they exist in both arms: a control slate's
//! same-cluster items are the comparison group for a promoted slate's. It writes the item-row
//! exposure mapping, the slate outcome table (with model features derived from the log's
//! covariates, and the oracle's potential outcomes only when the log carries truth), the
//! assignment table, the covariate table and the exposure-readiness checks. Every row carries
//! its unit's dense index, the cluster of every estimator.

mod error;
pub mod features;
pub mod known_truth;
mod mapping;
pub mod readiness;
mod roles;
pub mod schema;
mod tables_io;

pub use error::ExposureError;
pub use mapping::{ExposureTables, SlateTables, map_exposure, map_slates};
pub use roles::{RowRole, row_roles};
pub use schema::{
    Assignment, AssignmentTable, ExposureMapping, Feature, FeatureKind, LogColumnsTable,
    MappingRows, MappingTruth, NamedColumn, SlateOutcomes, SlateRows, SlateTruth,
};
pub use tables_io::{read_mapping, read_slates, write, write_exposure, write_slate_tables};

#[cfg(test)]
mod tests;
