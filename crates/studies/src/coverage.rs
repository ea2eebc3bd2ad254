//! The Monte-Carlo coverage study: a population fixed, its experiment re-drawn, and how often
//! each method's 95% interval covers the true effect.

use slate_estimate::EstimateConfig;
use slate_estimate::coverage::coverage_study;
use slate_estimate::inference::InferenceSettings;
use slate_estimate::tables::{CoverageTable, Scenario};
use slate_simulate::{SimulatedSlates, SimulationConfig};

use crate::StudyError;
use crate::population::{population_truth, randomization_design, redrawn};

/// The scenarios of the coverage study: the run's own design and the correlated,
/// user-randomized one (where only unit-clustered intervals should cover).
pub const SCENARIOS: [Scenario; 2] = [Scenario::Default, Scenario::CorrelatedUserRandomized];

/// The simulation seed of coverage replicate `r`: distinct from the run's own seed and from
/// every other replicate's.
fn replicate_seed(seed: u64, r: usize) -> u64 {
    seed ^ (0xC0FE_u64 << 48) ^ (r as u64 + 1)
}

/// One scenario's coverage study on the population `base` simulated with `config`:
/// `replicates` re-drawn experiments, each estimated with every method of `estimate`'s
/// settings. `tick` is called once per finished draw (from any thread), for a progress bar.
pub fn coverage_of(
    scenario: Scenario,
    base: &SimulatedSlates,
    config: &SimulationConfig,
    estimate: &EstimateConfig,
    replicates: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<CoverageTable, StudyError> {
    let (slates, truth) = population_truth(base, config)?;
    let settings = InferenceSettings {
        bootstrap_replicates: estimate.bootstrap_replicates,
        randomization_draws: estimate.randomization_draws,
        seed: estimate.bootstrap_seed,
        design: randomization_design(&config.design, slates.n_units()),
    };
    let seed = config.seed.0;
    Ok(coverage_study(
        scenario,
        replicates,
        &truth,
        &settings,
        |r| {
            let drawn = redrawn(base, config, r, replicate_seed(seed, r));
            tick();
            drawn
        },
    )?)
}
