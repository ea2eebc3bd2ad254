//! Studies of an experiment's design on simulated populations whose truth is known: how often
//! each method's interval covers the true effect ([`coverage`]), the power and minimum
//! detectable effect of every contrast by design size ([`power`]), and the true effects and
//! power as one design knob moves at a time ([`sweep`]).
//!
//! A study re-draws the assignment and the clicks of a simulated population many times and
//! runs the estimators on every draw, so it needs both a source of logs (`slate-simulate`, on
//! `slate-ingest`'s dataset) and the analysis (`slate-exposure`, `slate-estimate`). This crate
//! is the one place they meet: the analysis crates never depend on a source, and the pipeline
//! (`slate-pipeline`) only wires a study's tables to files, figures and logs.
//!
//! Every draw has its own seed, derived from the simulation's seed and the replicate number
//! (distinct between studies), and draws are reduced in order: a study's table does not depend
//! on the thread count.

pub mod coverage;
mod population;
pub mod power;
pub mod scenario;
pub mod sweep;

pub use population::randomization_design;

/// What can go wrong in a study.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// Simulating a population or re-drawing it.
    #[error(transparent)]
    Simulate(#[from] slate_simulate::SimulateError),
    /// Mapping a population's exposure.
    #[error(transparent)]
    Exposure(#[from] slate_exposure::ExposureError),
    /// Estimating on a draw.
    #[error(transparent)]
    Estimate(#[from] slate_estimate::EstimateError),
    /// A power table without the row a sweep reads.
    #[error("power table without {contrast}")]
    MissingRow {
        /// The contrast.
        contrast: slate_estimate::contrasts::Contrast,
    },
}
