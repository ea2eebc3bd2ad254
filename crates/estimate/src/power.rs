//! Power and minimum detectable effects for every contrast, analytic and simulated.
//!
//! **Analytic.** A contrast's difference in means, clustered by unit, has (CR1, with units
//! wholly in one arm)
//!
//! ```text
//! SE² = G/(G−1) · Σ_a Σ_{g∈a} E_g² / N_a²,   E_g = Σ_{i∈g} (y_i − ȳ_a)
//! ```
//!
//! With `G_a` units of `r_a` rows on average in arm `a`, and `v_a = mean_g E_g² / r_a²` the
//! per-unit variance (the design effect of several correlated rows per unit lives in it), this
//! is `Σ_a v_a / G_a`. A design with `G` units, a share `p` of them promoted, then has
//!
//! ```text
//! SE(G) = sqrt( G/(G−1) · ( v_1 / (p·G) + v_0 / ((1−p)·G) ) )
//! power = Φ(|τ|/SE − z_{1−α/2}) + Φ(−|τ|/SE − z_{1−α/2})
//! MDE   = (z_{1−α/2} + z_{power}) · SE
//! ```
//!
//! ([`UnitVariance`], [`normal_power`], [`minimum_detectable_effect`]; the two formulas are
//! statsmodels' `NormalIndPower` with its effect size `τ/σ`). `v_a` comes from a pilot: the
//! simulated population at the design's size, or a team's own log (`power --log`). The same
//! holds approximately for the Lin-adjusted estimate with `E_g` the unit's sum of regression
//! residuals (scaled by statsmodels' `(N−1)/(N−K)`; the leverage of the covariate slopes is
//! ignored, which vanishes as units grow).
//!
//! **Simulated.** [`power_study`] re-draws assignment and clicks on one population and counts
//! how often each test rejects `effect = 0` at level α.

use std::collections::BTreeMap;

use rayon::prelude::*;
use slate_exposure::{AnalysisSlates, ExposureMapping};
use statrs::distribution::{ContinuousCDF, Normal};

use slate_table::Label;

use crate::EstimateError;
use crate::adjust::{covariates, lin_cr1};
use crate::contrasts::{Contrast, Items, OutcomeView, sample};
use crate::dim::{Sample, difference_in_means, two_sided_normal_p};
use crate::inference::{Clustering, InferenceMethod};
use crate::tables::{PilotPowerTable, PowerTable, Scenario};

/// The test level of every power figure.
pub const ALPHA: f64 = 0.05;

/// The power a minimum detectable effect is quoted at.
pub const TARGET_POWER: f64 = 0.8;

/// The methods a power study compares: the difference in means and the Lin-adjusted
/// estimate, both with CR1 by unit.
pub const POWER_METHODS: [InferenceMethod; 2] = [InferenceMethod::Cr1, InferenceMethod::LinCr1];

/// Power of a two-sided level-`alpha` z-test of an effect `effect` whose estimate has standard
/// error `se`.
pub fn normal_power(effect: f64, se: f64, alpha: f64) -> f64 {
    let normal = Normal::standard();
    let z = normal.inverse_cdf(1.0 - alpha / 2.0);
    let shift = effect.abs() / se;
    normal.cdf(shift - z) + normal.cdf(-shift - z)
}

/// The smallest effect a two-sided level-`alpha` z-test detects with probability `power`
/// (ignoring the far tail): `(z_{1−α/2} + z_power) · se`.
pub fn minimum_detectable_effect(se: f64, alpha: f64, power: f64) -> f64 {
    let normal = Normal::standard();
    (normal.inverse_cdf(1.0 - alpha / 2.0) + normal.inverse_cdf(power)) * se
}

/// One arm's per-unit moments.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ArmMoments {
    units: usize,
    rows: usize,
    /// Σ_g E_g² over the arm's units.
    residual_total_squares: f64,
}

impl ArmMoments {
    /// The per-unit variance `v_a = mean_g E_g² / r_a²`.
    fn per_unit_variance(&self) -> f64 {
        let rows_per_unit = self.rows as f64 / self.units as f64;
        self.residual_total_squares / self.units as f64 / rows_per_unit.powi(2)
    }
}

/// The per-unit variance components of an estimate, from a pilot's residuals (or pooled
/// over several pilot draws of one design).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitVariance {
    treated: ArmMoments,
    control: ArmMoments,
    /// Pilot draws pooled (1 for a single pilot).
    draws: usize,
}

impl UnitVariance {
    /// From each entry's residual (`y − arm mean` for a difference in means, summed over a
    /// group's rows; a regression's residual for an adjusted estimate). Units must lie wholly
    /// in one arm.
    pub fn from_residuals(sample: &Sample, residuals: &[f64]) -> Result<Self, EstimateError> {
        sample.check("power")?;
        if residuals.len() != sample.y.len() {
            return Err(EstimateError::LengthMismatch {
                what: format!(
                    "power: {} rows, {} residuals",
                    sample.y.len(),
                    residuals.len()
                ),
            });
        }
        let mut units: BTreeMap<u32, (bool, f64, usize)> = BTreeMap::new();
        for (i, ((cluster, treated), e)) in sample
            .cluster
            .iter()
            .zip(&sample.treated)
            .zip(residuals)
            .enumerate()
        {
            let unit = units.entry(*cluster).or_insert((*treated, 0.0, 0));
            if unit.0 != *treated {
                return Err(EstimateError::MixedClusterAssignment { cluster: *cluster });
            }
            unit.1 += e;
            unit.2 += sample.rows.get(i).map_or(1, |n| *n as usize);
        }
        let arm = |treated: bool| {
            let mut moments = ArmMoments {
                units: 0,
                rows: 0,
                residual_total_squares: 0.0,
            };
            for (_, total, rows) in units.values().filter(|u| u.0 == treated) {
                moments.units += 1;
                moments.rows += rows;
                moments.residual_total_squares += total * total;
            }
            moments
        };
        let (treated, control) = (arm(true), arm(false));
        for (moments, name) in [(&treated, "treated"), (&control, "control")] {
            if moments.units == 0 {
                return Err(EstimateError::EmptyArm {
                    what: "power".into(),
                    arm: name,
                });
            }
        }
        if treated.units + control.units < 2 {
            return Err(EstimateError::SingleCluster {
                what: "power".into(),
            });
        }
        Ok(Self {
            treated,
            control,
            draws: 1,
        })
    }

    /// The components pooled over pilot draws of one design: per-unit variances from the
    /// summed moments, so the noise of one draw's variance estimate averages out. `None` for
    /// no draws.
    pub fn pooled(draws: &[UnitVariance]) -> Option<Self> {
        let first = *draws.first()?;
        Some(draws[1..].iter().fold(first, |mut acc, d| {
            for (a, b) in [(&mut acc.treated, d.treated), (&mut acc.control, d.control)] {
                a.units += b.units;
                a.rows += b.rows;
                a.residual_total_squares += b.residual_total_squares;
            }
            acc.draws += d.draws;
            acc
        }))
    }

    /// The difference in means' components: residuals are deviations from the arm means.
    pub fn of_difference_in_means(sample: &Sample) -> Result<Self, EstimateError> {
        let r = difference_in_means(sample, "power", "outcome")?;
        let residuals: Vec<f64> = (0..sample.y.len())
            .map(|i| {
                let mean = if sample.treated[i] {
                    r.treated_mean
                } else {
                    r.control_mean
                };
                sample.y[i] - sample.rows_of(i) * mean
            })
            .collect();
        Self::from_residuals(sample, &residuals)
    }

    /// Units in the pilot (per draw, when pooled).
    pub fn units(&self) -> usize {
        (self.treated.units + self.control.units) / self.draws
    }

    /// The standard error with `units` units, a share `treated_share` of them promoted.
    pub fn se_at(&self, units: f64, treated_share: f64) -> f64 {
        let correction = units / (units - 1.0);
        (correction
            * (self.treated.per_unit_variance() / (treated_share * units)
                + self.control.per_unit_variance() / ((1.0 - treated_share) * units)))
            .sqrt()
    }

    /// The standard error at the pilot's own size and split: its CR1 standard error without
    /// statsmodels' `(N−1)/(N−K)` factor (a single draw's).
    pub fn pilot_se(&self) -> f64 {
        debug_assert_eq!(self.draws, 1, "a pooled variance has no single pilot");
        let g = self.units() as f64;
        let arm = |m: &ArmMoments| m.residual_total_squares / (m.rows as f64).powi(2);
        (g / (g - 1.0) * (arm(&self.treated) + arm(&self.control))).sqrt()
    }
}

/// The per-unit variance of `method`'s estimate of `contrast` in `tables`, with the estimate
/// and the design effect (CR1 over naive variance of the difference in means).
fn pilot_components(
    method: InferenceMethod,
    contrast: Contrast,
    mapping: &ExposureMapping,
    slates: &AnalysisSlates,
) -> Result<(f64, UnitVariance), EstimateError> {
    let s = sample(
        contrast,
        OutcomeView::Observed,
        Items::Rows(mapping),
        slates,
    )?;
    match method {
        InferenceMethod::LinCr1 => {
            let features = slates.features.load()?;
            let (estimate, _, residuals) = lin_cr1(
                &s,
                &covariates(contrast, Items::Rows(mapping), slates, &features),
            )?;
            Ok((estimate, UnitVariance::from_residuals(&s, &residuals)?))
        }
        _ => {
            let r = difference_in_means(&s, contrast.text(), "power")?;
            Ok((r.estimate, UnitVariance::of_difference_in_means(&s)?))
        }
    }
}

/// Design effect of `contrast`'s difference in means: its CR1 variance over the naive one.
fn design_effect(
    contrast: Contrast,
    mapping: &ExposureMapping,
    slates: &AnalysisSlates,
) -> Result<f64, EstimateError> {
    let s = sample(
        contrast,
        OutcomeView::Observed,
        Items::Rows(mapping),
        slates,
    )?;
    let r = difference_in_means(&s, contrast.text(), "power")?;
    Ok((r.cluster_se / r.naive_se).powi(2))
}

/// One replicate's test of every contrast by every power method: (rejected, standard error).
fn replicate_tests(
    mapping: &ExposureMapping,
    slates: &AnalysisSlates,
    alpha: f64,
) -> Result<Vec<[(bool, f64); 2]>, EstimateError> {
    let features = slates.features.load()?;
    Contrast::ALL
        .iter()
        .map(|c| {
            let s = sample(*c, OutcomeView::Observed, Items::Rows(mapping), slates)?;
            let r = difference_in_means(&s, c.text(), "power")?;
            let (estimate, se, _) =
                lin_cr1(&s, &covariates(*c, Items::Rows(mapping), slates, &features))?;
            Ok([
                (r.p_value_cluster() <= alpha, r.cluster_se),
                (two_sided_normal_p(estimate / se) <= alpha, se),
            ])
        })
        .collect()
}

/// A simulated power study at one design size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerDesign {
    /// The scenario (written in the table).
    pub scenario: Scenario,
    /// Slates in the design.
    pub n_slates: usize,
    /// The design's promotion probability (share of units promoted).
    pub treated_share: f64,
    /// Re-drawn experiments.
    pub replicates: usize,
    /// Test level.
    pub alpha: f64,
    /// Further draws whose per-unit variances are pooled for the analytic power.
    pub pilots: usize,
}

/// Re-draws `design.replicates` experiments (`experiment(r)`, `r < replicates`) of one
/// population whose true effects are `truth` (per contrast of [`Contrast::ALL`]) and counts
/// rejections of each power method. The analytic power comes from the per-unit variances
/// pooled over `design.pilots` further draws (`experiment(replicates + k)`), so that it is the
/// design's power rather than one pilot's noisy guess at it. Draws run in parallel and are
/// reduced in order: the table does not depend on the thread count.
pub fn power_study<F>(
    design: &PowerDesign,
    truth: &[f64],
    experiment: F,
) -> Result<PowerTable, EstimateError>
where
    F: Fn(usize) -> Result<(ExposureMapping, AnalysisSlates), EstimateError> + Sync,
{
    crate::coverage::check_study(truth, design.replicates, "power replicates")?;
    let results: Vec<Vec<[(bool, f64); 2]>> = (0..design.replicates)
        .into_par_iter()
        .map(|r| {
            let (mapping, slates) = experiment(r)?;
            replicate_tests(&mapping, &slates, design.alpha)
        })
        .collect::<Result<_, _>>()?;
    if design.pilots == 0 {
        return Err(EstimateError::Config {
            field: "power pilots",
            message: "at least one pilot draw is needed".into(),
        });
    }
    // Per pilot: its clustering, and per contrast the design effect and each method's
    // per-unit variance (only these small summaries are kept).
    type Pilot = (Clustering, usize, Vec<(f64, [UnitVariance; 2])>);
    let pilots: Vec<Pilot> = (0..design.pilots)
        .into_par_iter()
        .map(|k| {
            let (mapping, slates) = experiment(design.replicates + k)?;
            let per_contrast = Contrast::ALL
                .iter()
                .map(|c| {
                    let component =
                        |method| pilot_components(method, *c, &mapping, &slates).map(|p| p.1);
                    Ok((
                        design_effect(*c, &mapping, &slates)?,
                        [component(POWER_METHODS[0])?, component(POWER_METHODS[1])?],
                    ))
                })
                .collect::<Result<_, EstimateError>>()?;
            Ok((Clustering::of(&slates), slates.n_units(), per_contrast))
        })
        .collect::<Result<_, EstimateError>>()?;
    let clustering = pilots[0].0;
    let n = design.replicates as f64;
    let mut table = PowerTable::default();
    for (c, contrast) in Contrast::ALL.iter().enumerate() {
        let deff = pilots.iter().map(|p| p.2[c].0).sum::<f64>() / pilots.len() as f64;
        for (m, method) in POWER_METHODS.iter().enumerate() {
            let draws: Vec<UnitVariance> = pilots.iter().map(|p| p.2[c].1[m]).collect();
            let variance = UnitVariance::pooled(&draws).expect("at least one pilot");
            // The units the contrast's rows cover (all, or e.g. those with a same-cluster
            // competitor) carry its per-unit variance.
            let se = variance.se_at(variance.units() as f64, design.treated_share);
            let analytic = normal_power(truth[c], se, design.alpha);
            let power = results.iter().filter(|rep| rep[c][m].0).count() as f64 / n;
            let mc_se = (power * (1.0 - power) / n).sqrt();
            table.scenario.push(design.scenario);
            table.contrast.push(*contrast);
            table.method.push(method.under(clustering));
            table.method_key.push(*method);
            table.n_slates.push(design.n_slates as u32);
            table.n_units.push(pilots[0].1 as u32);
            table.replicates.push(design.replicates as u32);
            table.true_effect.push(truth[c]);
            table.power.push(power);
            table.power_mc_se.push(mc_se);
            table.analytic_power.push(analytic);
            table.analytic_se.push(se);
            table
                .mean_se
                .push(results.iter().map(|rep| rep[c][m].1).sum::<f64>() / n);
            table.design_effect.push(deff);
            table
                .mde_80
                .push(minimum_detectable_effect(se, design.alpha, TARGET_POWER));
            table
                .agrees_with_analytic
                .push((power - analytic).abs() <= 3.0 * mc_se + 0.02);
        }
    }
    Ok(table)
}

/// The design sizes of a pilot log's power table when the user names none: the pilot's slates
/// times 1/2, 1, 2, 4, 8 and 16.
pub fn default_pilot_grid(pilot_slates: usize) -> Vec<usize> {
    let pilot = pilot_slates;
    vec![
        pilot / 2,
        pilot,
        2 * pilot,
        4 * pilot,
        8 * pilot,
        16 * pilot,
    ]
}

/// Analytic power and MDE from a pilot log's own variances: for each contrast and power
/// method, the pilot's estimate and standard error, and at each slate count of `slate_grid`
/// (units scaled with the pilot's slates per unit, a share `treated_share` promoted) the
/// standard error, the power to detect the pilot's estimate and the MDE at 80% power.
pub fn pilot_power(
    mapping: &ExposureMapping,
    slates: &AnalysisSlates,
    treated_share: f64,
    slate_grid: &[usize],
    alpha: f64,
) -> Result<PilotPowerTable, EstimateError> {
    let clustering = Clustering::of(slates);
    let slates_per_unit = slates.len() as f64 / (slates.n_units() as f64);
    let mut table = PilotPowerTable::default();
    for contrast in Contrast::ALL {
        let deff = design_effect(contrast, mapping, slates)?;
        for method in POWER_METHODS {
            let (estimate, variance) = pilot_components(method, contrast, mapping, slates)?;
            for n in slate_grid {
                let units = *n as f64 / slates_per_unit;
                // A contrast's rows may cover only some units (slates with a same-cluster
                // competitor): its per-unit variance is of those, a fixed share of all units.
                let covered = units * variance.units() as f64 / slates.n_units() as f64;
                if covered * treated_share.min(1.0 - treated_share) < 2.0 {
                    // Fewer than two covered units in an arm: no standard error to plan with.
                    continue;
                }
                let se = variance.se_at(covered, treated_share);
                table.contrast.push(contrast);
                table.method.push(method.under(clustering));
                table.method_key.push(method);
                table.pilot_slates.push(slates.len() as u32);
                table.pilot_units.push(variance.units() as u32);
                table.pilot_estimate.push(estimate);
                table.pilot_se.push(variance.pilot_se());
                table.design_effect.push(deff);
                table.n_slates.push(*n as u32);
                table.n_units.push(units.round() as u32);
                table.analytic_se.push(se);
                table
                    .power_at_pilot_estimate
                    .push(normal_power(estimate, se, alpha));
                table
                    .mde_80
                    .push(minimum_detectable_effect(se, alpha, TARGET_POWER));
            }
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clustered() -> Sample {
        // 30 units of 1-4 rows, alternating arms, with a unit-level shift.
        let mut sample = Sample::default();
        for g in 0..30u32 {
            let shift = f64::from(g % 7) * 0.3;
            for i in 0..(1 + g % 4) {
                sample
                    .y
                    .push(shift + f64::from(i) * 0.1 + if g % 2 == 0 { 0.5 } else { 0.0 });
                sample.treated.push(g % 2 == 0);
                sample.cluster.push(g);
            }
        }
        sample
    }

    #[test]
    fn the_pilot_standard_error_is_cr1_without_the_row_factor() {
        let s = clustered();
        let variance = UnitVariance::of_difference_in_means(&s).unwrap();
        let r = difference_in_means(&s, "test", "y").unwrap();
        let n = s.y.len() as f64;
        let row_factor = (n - 1.0) / (n - 2.0);
        assert!((variance.pilot_se() * row_factor.sqrt() - r.cluster_se).abs() < 1e-12);
        assert_eq!(variance.units(), 30);
    }

    #[test]
    fn standard_errors_shrink_with_the_square_root_of_units() {
        let variance = UnitVariance::of_difference_in_means(&clustered()).unwrap();
        let (a, b) = (variance.se_at(400.0, 0.5), variance.se_at(1600.0, 0.5));
        let expected = ((400.0 / 399.0) / (1600.0 / 1599.0) * 4.0f64).sqrt();
        assert!((a / b - expected).abs() < 1e-12);
    }

    #[test]
    fn power_is_alpha_at_no_effect_and_eighty_percent_at_the_mde() {
        let at_zero = normal_power(0.0, 1.0, 0.05);
        assert!((at_zero - 0.05).abs() < 1e-9, "{at_zero:e}");
        let mde = minimum_detectable_effect(0.3, 0.05, 0.8);
        // Ignoring the far tail, the MDE's power is 0.8; the far tail adds Φ(−z − shift).
        let far_tail = Normal::standard().cdf(-mde / 0.3 - 1.959963984540054);
        assert!((normal_power(mde, 0.3, 0.05) - 0.8 - far_tail).abs() < 1e-9);
    }

    #[test]
    fn mixed_units_and_mismatched_residuals_are_errors() {
        let mut s = clustered();
        s.treated[1] = !s.treated[1];
        assert!(matches!(
            UnitVariance::of_difference_in_means(&s),
            Err(EstimateError::MixedClusterAssignment { .. })
        ));
        let s = clustered();
        assert!(matches!(
            UnitVariance::from_residuals(&s, &[0.0]),
            Err(EstimateError::LengthMismatch { .. })
        ));
    }
}
