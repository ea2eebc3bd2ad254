//! Cross-fitted AIPW for the total-slate effect.
//!
//! Randomization units (and with them all their slates) are split into `K` folds (seeded). For
//! each fold, the outcome model is fitted on the
//! other folds with the treatment as a feature and predicts each held-out slate's total clicks
//! with the treatment set to 1 and to 0; a classifier fitted the same way estimates the
//! propensity. With outcome `y`, arm `d` and propensity `e`, each slate's score is
//!
//! ```text
//! ψ = μ1(x) − μ0(x) + d·(y − μ1(x))/e − (1 − d)·(y − μ0(x))/(1 − e)
//! ```
//!
//! and the estimate is `mean(ψ)` with the influence-function standard error clustered by unit
//! (`sd(ψ)/√n` when every unit is one slate). With
//! the known design probability the estimator is unbiased whatever the outcome model; a better
//! model only narrows the interval.

use rand::seq::SliceRandom;
use rand_pcg::Pcg64;
use slate_estimate::dim::{Z_95, two_sided_normal_p};

use std::ops::Range;
use std::sync::Arc;

use crate::ModelsError;
use crate::features::SlateFeatures;
use crate::learner::{Fitted, Learner, OutcomeModel, Task};
use crate::matrix::Matrix;

/// Seeded fold of each row: a shuffled round-robin, so fold sizes differ by at most one.
pub fn folds(rows: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows).collect();
    order.shuffle(&mut Pcg64::new((u128::from(seed) << 64) | 0xF01D, 0));
    let mut fold = vec![0; rows];
    for (position, row) in order.into_iter().enumerate() {
        fold[row] = position % k;
    }
    fold
}

/// Seeded fold of each slate by its randomization unit (`unit[s]`, dense codes): units are
/// dealt to folds as [`folds`] deals rows, so a unit's slates are never split between training
/// and held-out data. When every unit is one slate this is [`folds`] itself.
pub fn unit_folds(unit: &[u32], k: usize, seed: u64) -> Vec<usize> {
    let units = unit.iter().copied().max().map_or(0, |m| m as usize + 1);
    let fold_of_unit = folds(units, k, seed);
    unit.iter().map(|u| fold_of_unit[*u as usize]).collect()
}

/// Out-of-fold predictions of one model for every row.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossFit {
    /// The learner.
    pub model: Learner,
    /// Fold of each row (one copy shared by every model's cross-fit).
    pub fold: Arc<[usize]>,
    /// Predicted outcome if treated.
    pub mu1: Vec<f64>,
    /// Predicted outcome if control.
    pub mu0: Vec<f64>,
    /// Estimated propensity, clipped.
    pub propensity: Vec<f64>,
}

impl CrossFit {
    /// Predicted conditional effect `μ1 − μ0` per row.
    pub fn net_effect(&self) -> Vec<f64> {
        (0..self.mu1.len()).map(|i| self.net_effect_at(i)).collect()
    }

    /// Row `i`'s predicted conditional effect `μ1 − μ0`.
    pub fn net_effect_at(&self, i: usize) -> f64 {
        self.mu1[i] - self.mu0[i]
    }

    /// AIPW scores with propensity `e` per row.
    pub fn scores(&self, y: &[f64], treated: &[bool], e: &[f64]) -> Vec<f64> {
        self.scores_with(y, treated, |i| e[i])
    }

    /// AIPW scores with the same propensity `p` for every row (the design's).
    pub fn scores_known(&self, y: &[f64], treated: &[bool], p: f64) -> Vec<f64> {
        self.scores_with(y, treated, |_| p)
    }

    /// AIPW scores with propensity `e(i)` for row `i`.
    fn scores_with(&self, y: &[f64], treated: &[bool], e: impl Fn(usize) -> f64) -> Vec<f64> {
        (0..y.len())
            .map(|i| {
                let (m1, m0) = (self.mu1[i], self.mu0[i]);
                if treated[i] {
                    m1 - m0 + (y[i] - m1) / e(i)
                } else {
                    m1 - m0 - (y[i] - m0) / (1.0 - e(i))
                }
            })
            .collect()
    }
}

/// `rows` when there are at most `max`, else a seeded subsample of `max` of them (stream
/// `stream` of `seed`), in ascending order.
pub fn at_most(rows: Vec<usize>, max: usize, seed: u64, stream: u64) -> Vec<usize> {
    if rows.len() <= max {
        return rows;
    }
    let mut rng = Pcg64::new((u128::from(seed) << 64) | 0xF17_5A3, u128::from(stream));
    let mut picked: Vec<usize> = rand::seq::index::sample(&mut rng, rows.len(), max)
        .into_iter()
        .map(|i| rows[i])
        .collect();
    picked.sort_unstable();
    picked
}

/// The training slates of each of the `k` folds' fits: the other folds' slates, at most
/// `max_train` of them (a seeded subsample, [`at_most`]), in ascending order.
pub fn fold_training_rows(
    fold: &[usize],
    k: usize,
    max_train: usize,
    seed: u64,
) -> Vec<Vec<usize>> {
    (0..k)
        .map(|f| {
            at_most(
                (0..fold.len()).filter(|i| fold[*i] != f).collect(),
                max_train,
                seed,
                f as u64,
            )
        })
        .collect()
}

/// One model fitted for every fold on its training slates: the outcome (treatment as a
/// feature) and the propensity (without).
pub struct FoldFits {
    model: Learner,
    outcome: Vec<Box<dyn Fitted>>,
    propensity: Vec<Box<dyn Fitted>>,
}

impl FoldFits {
    /// Fits `model` for each fold on `training[f]`, the matrix rows of slates `rows[f]`
    /// (treatment as observed), with outcomes `y` and arms `d` (1 or 0) per slate.
    pub fn fit(
        model: &dyn OutcomeModel,
        training: &[Matrix],
        rows: &[Vec<usize>],
        y: &[f64],
        d: &[f64],
    ) -> Result<FoldFits, ModelsError> {
        let mut fits = FoldFits {
            model: model.learner(),
            outcome: Vec::with_capacity(rows.len()),
            propensity: Vec::with_capacity(rows.len()),
        };
        for (x_train, train) in training.iter().zip(rows) {
            let pick = |v: &[f64]| train.iter().map(|i| v[*i]).collect::<Vec<f64>>();
            fits.outcome
                .push(model.fit(x_train, &pick(y), Task::Regression)?);
            fits.propensity.push(model.fit(
                &x_train.without_treatment(),
                &pick(d),
                Task::Classification,
            )?);
        }
        Ok(fits)
    }

    /// Predicts slates `block` (matrix rows `x`, treatment as observed) with the fits of the
    /// fold that held each out (`fold[s]`), into `out`: the propensity clipped to
    /// `[clip, 1 − clip]`, the outcome with the treatment set to 1 and to 0.
    pub fn predict_block(
        &self,
        block: Range<usize>,
        x: &Matrix,
        fold: &[usize],
        clip: f64,
        out: &mut CrossFit,
    ) -> Result<(), ModelsError> {
        for (f, (outcome, propensity)) in self.outcome.iter().zip(&self.propensity).enumerate() {
            let held: Vec<usize> = (0..block.len())
                .filter(|j| fold[block.start + j] == f)
                .collect();
            if held.is_empty() {
                continue;
            }
            // One matrix per fold and block: the propensity's rows copied without the
            // treatment, then the treatment set in place for each arm's prediction.
            let mut x_held = x.select(&held);
            let e = propensity.predict(&x_held.without_treatment())?;
            x_held.set_treatment(true);
            let mu1 = outcome.predict(&x_held)?;
            x_held.set_treatment(false);
            let mu0 = outcome.predict(&x_held)?;
            for (j, r) in held.iter().enumerate() {
                let i = block.start + r;
                out.mu1[i] = mu1[j];
                out.mu0[i] = mu0[j];
                out.propensity[i] = e[j].clamp(clip, 1.0 - clip);
            }
        }
        Ok(())
    }

    /// The cross-fit these fits fill, before any prediction: `fold` per slate, zeros.
    pub fn empty_cross_fit(&self, fold: Arc<[usize]>) -> CrossFit {
        let n = fold.len();
        CrossFit {
            model: self.model,
            fold,
            mu1: vec![0.0; n],
            mu0: vec![0.0; n],
            propensity: vec![0.0; n],
        }
    }
}

/// Fits `model` out of fold: outcome (with treatment as a feature) and propensity (without).
/// Each fold's fits train on at most `max_train` of its training rows (a seeded subsample,
/// [`at_most`]); every row is predicted by the fold that held it out. Two passes over the
/// features: one gathers every fold's training rows, one predicts every slate.
#[allow(clippy::too_many_arguments)]
pub fn cross_fit(
    model: &dyn OutcomeModel,
    x: &SlateFeatures<'_>,
    y: &[f64],
    treated: &[bool],
    fold: &[usize],
    clip: f64,
    max_train: usize,
    seed: u64,
) -> Result<CrossFit, ModelsError> {
    let k = fold.iter().copied().max().map_or(0, |m| m + 1);
    let rows = fold_training_rows(fold, k, max_train, seed);
    let lists: Vec<&[usize]> = rows.iter().map(Vec::as_slice).collect();
    let training = x.gather(&lists)?;
    let d: Vec<f64> = treated.iter().map(|t| f64::from(u8::from(*t))).collect();
    let fits = FoldFits::fit(model, &training, &rows, y, &d)?;
    drop(training);
    let mut out = fits.empty_cross_fit(fold.into());
    x.for_each_block(k, |block, matrix| {
        fits.predict_block(block, &matrix, fold, clip, &mut out)
    })?;
    Ok(out)
}

/// A mean of per-unit scores with its influence-function uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreMean {
    /// Mean score.
    pub estimate: f64,
    /// `sd / √n` (ddof 1).
    pub se: f64,
    /// 95% normal interval lower bound.
    pub ci_lower: f64,
    /// Upper bound.
    pub ci_upper: f64,
    /// Two-sided normal p-value of zero.
    pub p_value: f64,
    /// Units.
    pub n: usize,
}

/// The mean of `scores` (one per slate) with its standard error clustered by the slates'
/// units (`unit[s]`, dense codes): with `G` units and residual sums `e_g = Σ_{s∈g} (ψ_s − ψ̄)`,
/// `var(ψ̄) = G/(G−1) · Σ_g e_g² / n²`. When every unit is one slate this is exactly
/// [`score_mean`].
pub fn clustered_score_mean(scores: &[f64], unit: &[u32]) -> Result<ScoreMean, ModelsError> {
    let n = scores.len();
    if unit.len() != n {
        return Err(ModelsError::Shape {
            message: format!("{n} scores, {} unit codes", unit.len()),
        });
    }
    let units = unit.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut seen = vec![false; units];
    unit.iter().for_each(|u| seen[*u as usize] = true);
    let g = seen.iter().filter(|s| **s).count();
    if g == n {
        return score_mean(scores);
    }
    if g < 2 {
        return Err(ModelsError::Shape {
            message: format!("{g} unit(s); at least 2 are needed for a clustered standard error"),
        });
    }
    let mean = scores.iter().sum::<f64>() / n as f64;
    let mut sums = vec![0.0f64; units];
    for (s, u) in scores.iter().zip(unit) {
        sums[*u as usize] += s - mean;
    }
    let meat: f64 = sums.iter().map(|e| e * e).sum();
    let se = (g as f64 / (g as f64 - 1.0) * meat).sqrt() / n as f64;
    Ok(ScoreMean::normal(mean, se, n))
}

/// The mean of `scores` with its standard error and 95% interval (scores independent).
pub fn score_mean(scores: &[f64]) -> Result<ScoreMean, ModelsError> {
    let n = scores.len();
    if n < 2 {
        return Err(ModelsError::Shape {
            message: format!("{n} scores; at least 2 are needed for a standard error"),
        });
    }
    let mean = scores.iter().sum::<f64>() / n as f64;
    let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    let se = (var / n as f64).sqrt();
    Ok(ScoreMean::normal(mean, se, n))
}

impl ScoreMean {
    /// `mean` with standard error `se` over `n` scores: normal 95% interval and p-value.
    fn normal(mean: f64, se: f64, n: usize) -> Self {
        ScoreMean {
            estimate: mean,
            se,
            ci_lower: mean - Z_95 * se,
            ci_upper: mean + Z_95 * se,
            p_value: two_sided_normal_p(mean / se),
            n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_folds_keep_a_units_slates_together_and_reduce_to_folds() {
        assert_eq!(unit_folds(&[0, 1, 2, 3, 4], 2, 9), folds(5, 2, 9));
        let f = unit_folds(&[0, 0, 1, 2, 2, 2], 2, 9);
        assert_eq!(f[0], f[1]);
        assert_eq!((f[3], f[4]), (f[5], f[5]));
    }

    #[test]
    fn clustered_score_mean_matches_the_hand_computation() {
        let s = [1.0, 3.0, 2.0, 6.0];
        // Singletons: the independent formula, bit for bit.
        assert_eq!(
            clustered_score_mean(&s, &[0, 1, 2, 3]).unwrap(),
            score_mean(&s).unwrap()
        );
        // Units {0,1} and {2,3}: mean 3, e = (-2 + 0, -1 + 3) = (-2, 2), var = 2/1 * 8 / 16.
        let m = clustered_score_mean(&s, &[0, 0, 1, 1]).unwrap();
        assert_eq!(m.estimate, 3.0);
        assert!((m.se - 1.0).abs() < 1e-15, "{}", m.se);
        assert!(clustered_score_mean(&s, &[0, 0, 0, 0]).is_err());
    }

    #[test]
    fn folds_are_balanced_and_seeded() {
        let f = folds(103, 5, 1);
        for k in 0..5 {
            let size = f.iter().filter(|v| **v == k).count();
            assert!(size == 20 || size == 21, "{size}");
        }
        assert_eq!(f, folds(103, 5, 1));
        assert_ne!(f, folds(103, 5, 2));
    }

    #[test]
    fn scores_reduce_to_hand_computed_values() {
        let fit = CrossFit {
            model: Learner::LightGbm,
            fold: vec![0, 1].into(),
            mu1: vec![3.0, 2.0],
            mu0: vec![1.0, 1.5],
            propensity: vec![0.5, 0.5],
        };
        // Treated: 2 + (4 − 3)/0.5 = 4. Control: 0.5 − (1 − 1.5)/0.5 = 1.5.
        let s = fit.scores(&[4.0, 1.0], &[true, false], &[0.5, 0.5]);
        assert_eq!(s, vec![4.0, 1.5]);
        let m = score_mean(&s).unwrap();
        assert!((m.estimate - 2.75).abs() < 1e-12);
        // sd of {4, 1.5} is 1.7678; / √2 = 1.25.
        assert!((m.se - 1.25).abs() < 1e-12);
    }
}
