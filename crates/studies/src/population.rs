//! A simulated population's true effects and its re-drawn experiments.

use slate_estimate::EstimateError;
use slate_estimate::contrasts::Contrast;
use slate_estimate::coverage::true_effect;
use slate_estimate::randomization::Design;
use slate_exposure::{AnalysisSlates, ExposureMapping, ExposureTables};
use slate_simulate::config::{Assignment, DesignConfig};
use slate_simulate::{SimulatedSlates, SimulationConfig};

use crate::StudyError;

/// The slate table of the population `base` (simulated with `config`), as the estimators hold
/// it, and the true effect of every contrast of [`Contrast::ALL`] in it.
pub(crate) fn population_truth(
    base: &SimulatedSlates,
    config: &SimulationConfig,
) -> Result<(AnalysisSlates, Vec<f64>), StudyError> {
    let log = slate_simulate::log::to_log(base, config.design.unit)?;
    let ExposureTables {
        mapping, slates, ..
    } = slate_exposure::map_exposure(&log)?;
    let slates = AnalysisSlates::from(slates);
    let truth = Contrast::ALL
        .iter()
        .map(|c| true_effect(*c, &mapping, &slates))
        .collect::<Result<_, _>>()?;
    Ok((slates, truth))
}

/// Replicate `r` of a study: `base` with assignment and clicks re-drawn under `config`'s design
/// from `seed`, as exposure tables.
pub(crate) fn redrawn(
    base: &SimulatedSlates,
    config: &SimulationConfig,
    r: usize,
    seed: u64,
) -> Result<(ExposureMapping, AnalysisSlates), EstimateError> {
    let drawn = slate_simulate::redraw(base, &config.design, seed)
        .and_then(|drawn| slate_simulate::log::to_log(&drawn, config.design.unit))
        .map_err(|e| EstimateError::Replicate {
            replicate: r,
            message: e.to_string(),
        })?;
    let tables = slate_exposure::map_exposure(&drawn)?;
    Ok((tables.mapping, tables.slates.into()))
}

/// The randomization design of a simulation's `design`, for `units` randomization units
/// (what randomization inference re-draws).
pub fn randomization_design(design: &DesignConfig, units: usize) -> Design {
    match design.assignment {
        Assignment::Bernoulli => Design::Bernoulli {
            p: design.promotion_probability,
        },
        Assignment::Complete => Design::Complete {
            treated: (design.promotion_probability * units as f64).round() as usize,
        },
    }
}
