//! The Monte-Carlo coverage study: keep the slates fixed, re-draw the experiment (assignment
//! and clicks) many times, run every uncertainty method of [`crate::inference`] on every
//! contrast, and count how often each 95% interval contains the design's true effect.
//!
//! The study knows nothing of how an experiment is re-drawn: the caller passes a function from
//! replicate index to exposure tables (the pipeline re-simulates with a new seed). Replicates
//! run in parallel; replicate `r` resamples with seed `seed + r`, and results are reduced in
//! replicate order, so the table is byte-identical whatever the number of threads.

use rayon::prelude::*;
use slate_exposure::{AnalysisSlates, ExposureMapping};

use slate_table::Label;

use crate::EstimateError;
use crate::adjust::covariates;
use crate::contrasts::{Contrast, Items, OutcomeView, sample};
use crate::inference::{Clustering, Inference, InferenceMethod, InferenceSettings, infer_all};
use crate::tables::{CoverageTable, Scenario};

/// Target band for a nominal 95% interval's coverage.
pub const TARGET_COVERAGE: (f64, f64) = (0.935, 0.965);

/// The nominal coverage of every interval.
pub const NOMINAL_COVERAGE: f64 = 0.95;

/// Half-width of the band a true 95% coverage falls in (with 95% probability) when estimated
/// from `replicates` experiments: `1.96 · sqrt(0.95 · 0.05 / R)` (6.8 points at 40, 1.4 at
/// 1,000).
pub fn monte_carlo_margin(replicates: usize) -> f64 {
    crate::dim::Z_95
        * (NOMINAL_COVERAGE * (1.0 - NOMINAL_COVERAGE) / replicates.max(1) as f64).sqrt()
}

/// Whether an observed `coverage` over `replicates` experiments is consistent with a true
/// coverage of 95% (within [`monte_carlo_margin`]).
pub fn consistent_with_nominal(coverage: f64, replicates: usize) -> bool {
    (coverage - NOMINAL_COVERAGE).abs() <= monte_carlo_margin(replicates)
}

/// The design's true effect of `contrast`: the mean known lift (click probability if promoted
/// minus if not) over the contrast's rows in both arms, or over slates for the total. Needs
/// the log's truth columns.
pub fn true_effect(
    contrast: Contrast,
    mapping: &ExposureMapping,
    slates: &AnalysisSlates,
) -> Result<f64, EstimateError> {
    let no_truth = || EstimateError::NoTruth {
        what: format!("the true effect of `{}`", contrast.text()),
    };
    if contrast.is_slate_level() {
        let truth = slates.truth.as_ref().ok_or_else(no_truth)?;
        let n = slates.len().max(1) as f64;
        return Ok(truth.slate_promotion_effect.iter().sum::<f64>() / n);
    }
    let truth = mapping.truth.as_ref().ok_or_else(no_truth)?;
    let (mut sum, mut rows) = (0.0, 0usize);
    for r in (0..mapping.len()).filter(|r| contrast.includes(mapping, *r)) {
        sum += truth.click_prob_if_promoted[r] - truth.baseline_click_prob[r];
        rows += 1;
    }
    Ok(sum / rows.max(1) as f64)
}

/// Checks a Monte-Carlo study's inputs: one true effect per contrast of [`Contrast::ALL`] and
/// at least one replicate (`field` names the replicate count in the error).
pub(crate) fn check_study(
    truth: &[f64],
    replicates: usize,
    field: &'static str,
) -> Result<(), EstimateError> {
    if truth.len() != Contrast::ALL.len() {
        return Err(EstimateError::LengthMismatch {
            what: format!(
                "{} true effects for {} contrasts",
                truth.len(),
                Contrast::ALL.len()
            ),
        });
    }
    if replicates == 0 {
        return Err(EstimateError::Config {
            field,
            message: "must be at least 1".into(),
        });
    }
    Ok(())
}

/// Runs `replicates` re-drawn experiments of `scenario` (the name written in the table).
/// `experiment(r)` returns replicate `r`'s exposure tables; `truth` holds [`true_effect`] per
/// contrast of [`Contrast::ALL`].
pub fn coverage_study<F>(
    scenario: Scenario,
    replicates: usize,
    truth: &[f64],
    settings: &InferenceSettings,
    experiment: F,
) -> Result<CoverageTable, EstimateError>
where
    F: Fn(usize) -> Result<(ExposureMapping, AnalysisSlates), EstimateError> + Sync,
{
    check_study(truth, replicates, "coverage replicates")?;
    let results: Vec<(Clustering, Vec<Vec<Inference>>)> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let (mapping, slates) = experiment(r)?;
            let clustering = Clustering::of(&slates);
            let samples: Vec<_> = Contrast::ALL
                .iter()
                .map(|c| sample(*c, OutcomeView::Observed, Items::Rows(&mapping), &slates))
                .collect::<Result<_, _>>()?;
            let features = slates.features.load()?;
            let adjust: Vec<_> = Contrast::ALL
                .iter()
                .map(|c| covariates(*c, Items::Rows(&mapping), &slates, &features))
                .collect();
            let replicate_settings = InferenceSettings {
                seed: settings.seed.wrapping_add(r as u64),
                ..*settings
            };
            infer_all(
                &samples.iter().collect::<Vec<_>>(),
                &adjust.iter().map(Some).collect::<Vec<_>>(),
                &replicate_settings,
                None,
                &[],
            )
            .map(|inferences| (clustering, inferences))
        })
        .collect::<Result<_, _>>()?;
    // The design fixes the units, so every replicate has the first one's clustering.
    let clustering = results[0].0;
    let mut table = CoverageTable::default();
    for method in InferenceMethod::ALL {
        for (c, contrast) in Contrast::ALL.iter().enumerate() {
            let runs: Vec<&Inference> = results
                .iter()
                .filter_map(|rep| rep.1[c].iter().find(|i| i.method == method))
                .collect();
            if runs.is_empty() {
                continue;
            }
            // Every replicate has the unadjusted rows; a Lin row may be missing from a
            // replicate too small for the adjustment, so shares are of the runs it has.
            let n = runs.len() as f64;
            let coverage = runs.iter().filter(|i| i.covers(truth[c])).count() as f64 / n;
            let mean_estimate = runs.iter().map(|i| i.estimate).sum::<f64>() / n;
            let mse = runs
                .iter()
                .map(|i| (i.estimate - truth[c]).powi(2))
                .sum::<f64>()
                / n;
            table.scenario.push(scenario);
            table.method.push(method.under(clustering));
            table.contrast.push(*contrast);
            table.method_key.push(method);
            table.replicates.push(runs.len() as u32);
            table.true_effect.push(truth[c]);
            table.coverage.push(coverage);
            table
                .coverage_mc_se
                .push((coverage * (1.0 - coverage) / n).sqrt());
            table
                .coverage_within_target
                .push((TARGET_COVERAGE.0..=TARGET_COVERAGE.1).contains(&coverage));
            table
                .coverage_consistent_with_nominal
                .push(consistent_with_nominal(coverage, runs.len()));
            table
                .mean_width
                .push(runs.iter().map(|i| i.ci_upper - i.ci_lower).sum::<f64>() / n);
            table.mean_estimate.push(mean_estimate);
            table.bias.push(mean_estimate - truth[c]);
            table.rmse.push(mse.sqrt());
            table
                .rejection_rate
                .push(runs.iter().filter(|i| i.p_value <= 0.05).count() as f64 / n);
        }
    }
    Ok(table)
}
