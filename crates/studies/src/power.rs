//! The simulated power study: a population of a given design size, its experiment re-drawn,
//! and how often each test rejects, beside the analytic power from pooled per-unit variances.

use slate_estimate::power::{ALPHA, PowerDesign, power_study};
use slate_estimate::tables::{PowerTable, Scenario};
use slate_ingest::Dataset;
use slate_simulate::SimulationConfig;

use crate::StudyError;
use crate::population::{population_truth, redrawn};

/// Pilot draws whose per-unit variances are pooled for the analytic power at one design size.
const PILOTS: usize = 20;

/// The simulation seed of power replicate `r` (distinct from the coverage study's).
fn replicate_seed(seed: u64, r: usize) -> u64 {
    seed ^ (0x90E3_u64 << 48) ^ (r as u64 + 1)
}

/// One scenario's power study at one design size (`config.slates.n_slates`): the population
/// simulated from `dataset` with `config`, re-drawn `replicates` times.
pub fn power_at(
    dataset: &Dataset,
    scenario: Scenario,
    config: &SimulationConfig,
    replicates: usize,
) -> Result<PowerTable, StudyError> {
    let base = slate_simulate::simulate(dataset, config)?;
    let (_, truth) = population_truth(&base, config)?;
    let seed = config.seed.0;
    let design = PowerDesign {
        scenario,
        n_slates: config.slates.n_slates,
        treated_share: config.design.promotion_probability,
        replicates,
        alpha: ALPHA,
        pilots: PILOTS,
    };
    Ok(power_study(&design, &truth, |r| {
        redrawn(&base, config, r, replicate_seed(seed, r))
    })?)
}
