//! Outcome models, cross-fitted AIPW and promotion-targeting policies (the advanced-models
//! notebook).
//!
//! Pipeline stage 6. Depends on `slate-exposure` (the slate-outcomes table), `slate-estimate`
//! (the randomized difference in means, normal intervals, position bands) and `slate-table`;
//! never on reporting. LightGBM and XGBoost sit behind the [`learner::OutcomeModel`] trait;
//! nothing outside [`learner`] calls a GBDT library (the tables name them by [`learner::Learner`]
//! and the labels built on it).
//!
//! - [`features`]: the model matrix (pre-treatment slate features + treatment indicator).
//! - [`learner`]: the trait and its two implementations.
//! - [`aipw`]: folds, cross-fitting, AIPW scores and their influence-function intervals.
//! - [`policy`]: targeting rules and their oracle and AIPW values.
//! - [`tables`]: the tables this stage writes.
//!
//! Invariants: every prediction used for AIPW, policies or heterogeneity is out of fold; the
//! oracle net effect is only ever an evaluation target, never a feature; a seed gives
//! identical tables (fixed library thread counts, LightGBM's deterministic mode).

pub mod aipw;
pub mod config;
mod error;
pub mod features;
pub mod input;
pub mod learner;
pub mod matrix;
pub mod policy;
mod stage;
pub mod tables;
mod write;

pub use config::{GbdtParams, ModelsConfig};
pub use error::ModelsError;
pub use stage::{ModelsTables, learners, run, run_file};
pub use write::{TABLES, write};

#[cfg(test)]
mod tests;
