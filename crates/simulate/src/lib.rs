//! Seed slates, focal selection, slate-level randomized promotion and simulated clicks with the
//! known truth kept alongside.
//!
//! Pipeline stage 2. Depends on `slate-ingest` (the validated [`Dataset`]), `slate-log` (the
//! impression log it writes) and `slate-table`; never on exposure, estimation, models or
//! reporting. It knows nothing about how effects are
//! estimated: it produces one row per (slate, item) with both potential outcomes.
//!
//! Steps, each in its own module:
//! 1. [`relevance`]: a popularity × user-genre-affinity model learned from the ratings.
//! 2. [`slates`]: per sampled eligible user (several sessions per user when there are fewer
//!    eligible users than slates), 12 movies sampled from the user's top candidates and ranked
//!    by relevance (the seed positions).
//! 3. [`design`]: one focal movie per slate, uniform on seed positions 5–12, promoted with
//!    probability 0.5 independently per slate (or complete randomization).
//! 4. [`clicks`]: click probabilities in both arms for every item, and one observed click drawn
//!    from the realized arm.
//!
//! Invariants: each slate has `slate_size` items with seed positions 1..=n and final positions a
//! permutation of 1..=n; exactly one focal item; a promoted focal is at final position 1 and the
//! items above its seed position move down exactly one place; `click_prob_if_control` and
//! `click_prob_if_promoted` exist for every item in both arms.
//!
//! Determinism: every random draw comes from a `Pcg64` stream keyed by (seed, purpose, slate),
//! so output is byte-identical for a given seed whatever the number of threads.

pub mod clicks;
pub mod config;
pub mod design;
mod error;
pub mod log;
pub mod relevance;
mod run;
pub mod schema;
pub mod slates;

pub use config::SimulationConfig;
pub use error::SimulateError;
pub(crate) use run::{Purpose, stream};
pub use run::{read, redraw, simulate, write};
pub use schema::SimulatedSlates;

#[cfg(test)]
mod tests;
