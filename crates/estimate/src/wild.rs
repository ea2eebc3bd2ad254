//! The restricted wild cluster bootstrap (WCR) for the difference in means, with Rademacher
//! or Webb weights, from per-cluster sufficient statistics.
//!
//! For a null value `b0` of the treatment effect: fit the restricted model `y − b0·d = a + u`,
//! then each replicate draws one weight `v_g` per cluster and forms `y* = a + b0·d + v_g·u`.
//! With slate-level treatment, everything a replicate needs is `n_g` and `U_g = Σ_{i∈g} u_i`:
//!
//! ```text
//! T_arm      = Σ_{g∈arm} v_g U_g
//! b* − b0    = T_1/N_1 − T_0/N_0
//! E*_g       = v_g U_g − n_g T_arm(g) / N_arm(g)          (cluster residual sums of the refit)
//! CR1 var*   = G/(G−1)·(N−1)/(N−2) · [Σ_{g∈1} E*_g² / N_1² + Σ_{g∈0} E*_g² / N_0²]
//! ```
//!
//! so a replicate costs O(clusters). The p-value is the share of replicates with
//! `|t*| ≥ |t|`. With Rademacher weights and `2^G` no larger than the requested replicates,
//! all sign vectors are enumerated (exact, as fwildclusterboot does).
//!
//! **Intervals by test inversion.** The restricted residual sums are affine in the null value,
//! `U_g(b0) = A_g + b0·B_g` with `A_g = S_g − n_g·ȳ` and `B_g = n_g·(N_1/N − d_g)`, so for fixed
//! weights the bootstrap numerator is affine in `b0` and the CR1 meat is a quadratic in `b0`.
//! [`WildBootstrap::new`] draws the weights once and keeps five numbers per replicate; every
//! later p-value is then O(replicates), and the 95% interval `{b0 : p(b0) > 0.05}` is found by
//! bisection on each side of the estimate with the same weights throughout (as
//! fwildclusterboot inverts its test).

use rand::Rng;
use rand_pcg::Pcg64;
use rayon::prelude::*;

use crate::EstimateError;
use crate::dim::{ClusterIndex, Sample, cluster_totals, difference_in_means};

/// Bootstrap weight distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// ±1 with probability 1/2.
    Rademacher,
    /// Webb's six-point distribution: ±√(1/2), ±1, ±√(3/2), each with probability 1/6.
    Webb,
}

/// A wild cluster bootstrap test of `effect = null`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WildTest {
    /// The null value tested.
    pub null: f64,
    /// The CR1 t statistic of the sample against the null.
    pub t: f64,
    /// Two-sided bootstrap p-value.
    pub p_value: f64,
    /// Replicates used (all `2^G` when enumerated).
    pub replicates: usize,
}

/// Per-cluster statistics of a slate-randomized sample.
struct Clusters {
    treated: Vec<bool>,
    /// `treated` as 1.0 / 0.0: a treated cluster's terms are multiplied by 1 and the other
    /// arm's by an exact 0, which adds nothing, so branch-free sums equal per-arm sums.
    arm: Vec<f64>,
    rows: Vec<f64>,
    sums: Vec<f64>,
    n1: f64,
    n0: f64,
    n: f64,
}

fn clusters_of(sample: &Sample) -> Result<Clusters, EstimateError> {
    let index = ClusterIndex::new(sample.cluster.iter().copied());
    let mut treated: Vec<Option<bool>> = vec![None; index.len()];
    let (rows, sums) = cluster_totals(sample, &index, &mut treated)?;
    let treated: Vec<bool> = treated.into_iter().map(|t| t.unwrap_or(false)).collect();
    let arm_rows = |arm: bool| -> f64 {
        treated
            .iter()
            .zip(&rows)
            .filter(|(t, _)| **t == arm)
            .map(|(_, n)| n)
            .sum()
    };
    let (n1, n0) = (arm_rows(true), arm_rows(false));
    Ok(Clusters {
        arm: treated.iter().map(|t| if *t { 1.0 } else { 0.0 }).collect(),
        treated,
        rows,
        sums,
        n1,
        n0,
        n: n1 + n0,
    })
}

/// One replicate's bootstrap t statistic as a function of the null value `b0`:
/// `t*(b0) = (a + b·b0) / sqrt(c·(q0 + q1·b0 + q2·b0²))`.
#[derive(Debug, Clone, Copy)]
struct Replicate {
    a: f64,
    b: f64,
    q0: f64,
    q1: f64,
    q2: f64,
}

impl Clusters {
    /// The replicate for weights `v`, given the affine residual parts `u_a + b0·u_b`.
    fn replicate(&self, u_a: &[f64], u_b: &[f64], v: &[f64]) -> Replicate {
        // Branch-free arm sums (see `arm`): equal bit for bit to summing each arm apart.
        let (mut t1a, mut t1b, mut t0a, mut t0b) = (0.0, 0.0, 0.0, 0.0);
        for (((w, a), b), d) in v.iter().zip(u_a).zip(u_b).zip(&self.arm) {
            let (wa, wb, c) = (w * a, w * b, 1.0 - d);
            t1a += d * wa;
            t1b += d * wb;
            t0a += c * wa;
            t0b += c * wb;
        }
        let (m1a, m1b, m0a, m0b) = (t1a / self.n1, t1b / self.n1, t0a / self.n0, t0b / self.n0);
        // Each cluster's arm picked by index, not by a branch.
        let (ma, mb, arm_rows) = ([m0a, m1a], [m0b, m1b], [self.n0, self.n1]);
        let (mut q0, mut q1, mut q2) = (0.0, 0.0, 0.0);
        for (i, w) in v.iter().enumerate() {
            let k = usize::from(self.treated[i]);
            let e = (w * u_a[i] - self.rows[i] * ma[k]) / arm_rows[k];
            let f = (w * u_b[i] - self.rows[i] * mb[k]) / arm_rows[k];
            q0 += e * e;
            q1 += 2.0 * e * f;
            q2 += f * f;
        }
        Replicate {
            a: m1a - m0a,
            b: m1b - m0b,
            q0,
            q1,
            q2,
        }
    }
}

fn draw_weight(weights: Weights, rng: &mut Pcg64) -> f64 {
    match weights {
        Weights::Rademacher => {
            if rng.random::<bool>() {
                1.0
            } else {
                -1.0
            }
        }
        Weights::Webb => {
            const POINTS: [f64; 6] = [
                -1.224_744_871_391_589,
                -1.0,
                -std::f64::consts::FRAC_1_SQRT_2,
                std::f64::consts::FRAC_1_SQRT_2,
                1.0,
                1.224_744_871_391_589,
            ];
            POINTS[rng.random_range(0..6)]
        }
    }
}

/// The restricted wild cluster bootstrap of one sample, with its weights drawn once: tests of
/// any null value and the interval by test inversion.
#[derive(Debug, Clone)]
pub struct WildBootstrap {
    estimate: f64,
    cluster_se: f64,
    correction: f64,
    replicates: Vec<Replicate>,
}

impl WildBootstrap {
    /// Draws `replicates` weight vectors (or enumerates all `2^G` Rademacher sign vectors when
    /// that is no more) for `sample`. Replicate `r` uses its own stream of `seed`.
    pub fn new(
        sample: &Sample,
        weights: Weights,
        replicates: usize,
        seed: u64,
    ) -> Result<Self, EstimateError> {
        let observed = difference_in_means(sample, "wild cluster bootstrap", "outcome")?;
        let clusters = clusters_of(sample)?;
        let g = clusters.treated.len();
        let mean = sample.y.iter().sum::<f64>() / clusters.n;
        let share_treated = clusters.n1 / clusters.n;
        let u_a: Vec<f64> = (0..g)
            .map(|i| clusters.sums[i] - clusters.rows[i] * mean)
            .collect();
        let u_b: Vec<f64> = (0..g)
            .map(|i| {
                let d = if clusters.treated[i] { 1.0 } else { 0.0 };
                clusters.rows[i] * (share_treated - d)
            })
            .collect();
        let enumerate = weights == Weights::Rademacher && g < 63 && (1usize << g) <= replicates;
        let replicates: Vec<Replicate> = if enumerate {
            (0..1usize << g)
                .into_par_iter()
                .map_init(
                    || vec![0.0; g],
                    |v, mask| {
                        v.iter_mut().enumerate().for_each(|(i, w)| {
                            *w = if mask >> i & 1 == 1 { 1.0 } else { -1.0 };
                        });
                        clusters.replicate(&u_a, &u_b, v)
                    },
                )
                .collect()
        } else {
            (0..replicates)
                .into_par_iter()
                .map_init(
                    || vec![0.0; g],
                    |v, r| {
                        let mut rng = Pcg64::new((u128::from(seed) << 64) | 0x3D1D, r as u128);
                        v.iter_mut()
                            .for_each(|w| *w = draw_weight(weights, &mut rng));
                        clusters.replicate(&u_a, &u_b, v)
                    },
                )
                .collect()
        };
        let gf = g as f64;
        Ok(Self {
            estimate: observed.estimate,
            cluster_se: observed.cluster_se,
            correction: gf / (gf - 1.0) * (clusters.n - 1.0) / (clusters.n - 2.0),
            replicates,
        })
    }

    /// Tests `effect = null`.
    pub fn test(&self, null: f64) -> WildTest {
        let t = (self.estimate - null) / self.cluster_se;
        // A relative tolerance keeps ties (equal statistics up to rounding) counted.
        let threshold = t.abs() * (1.0 - 1e-12);
        let extreme = self
            .replicates
            .iter()
            .filter(|r| {
                let meat = (r.q0 + null * (r.q1 + null * r.q2)).max(0.0);
                let t_star = (r.a + r.b * null) / (self.correction * meat).sqrt();
                t_star.abs() >= threshold
            })
            .count();
        WildTest {
            null,
            t,
            p_value: extreme as f64 / self.replicates.len() as f64,
            replicates: self.replicates.len(),
        }
    }

    /// The interval `{b0 : p(b0) > 1 − level}` by test inversion, searched outwards from the
    /// estimate on each side; a side whose p-value never drops to `1 − level` within 2^20
    /// CR1 standard errors is infinite.
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let alpha = 1.0 - level;
        invert(
            |b0| self.test(b0).p_value > alpha,
            self.estimate,
            self.cluster_se,
        )
    }
}

/// The bounds of `{x : accepted(x)}` around `centre` (which must be accepted), found by
/// doubling steps of `scale` outwards until rejected, then bisecting to 1e-10 · scale.
pub(crate) fn invert(accepted: impl Fn(f64) -> bool, centre: f64, scale: f64) -> (f64, f64) {
    let bound = |direction: f64| {
        let mut inside = centre;
        let mut step = scale;
        let mut outside = centre + direction * step;
        while accepted(outside) {
            if step > scale * f64::from(1u32 << 20) {
                return direction * f64::INFINITY;
            }
            inside = outside;
            step *= 2.0;
            outside = centre + direction * step;
        }
        while (outside - inside).abs() > 1e-10 * scale {
            let mid = 0.5 * (inside + outside);
            if accepted(mid) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        0.5 * (inside + outside)
    };
    if !(scale.is_finite() && scale > 0.0) {
        return (f64::NAN, f64::NAN);
    }
    (bound(-1.0), bound(1.0))
}

/// Tests `effect = null` with the restricted wild cluster bootstrap.
pub fn wild_cluster_test(
    sample: &Sample,
    null: f64,
    weights: Weights,
    replicates: usize,
    seed: u64,
) -> Result<WildTest, EstimateError> {
    Ok(WildBootstrap::new(sample, weights, replicates, seed)?.test(null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webb_weights_have_mean_zero_and_unit_variance() {
        let mut rng = Pcg64::new(1, 2);
        let draws: Vec<f64> = (0..60_000)
            .map(|_| draw_weight(Weights::Webb, &mut rng))
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|v| v * v).sum::<f64>() / draws.len() as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
    }

    /// Forty slates of uneven sizes with a treatment effect of about 0.8.
    fn forty_slates() -> Sample {
        let mut sample = Sample::default();
        for g in 0..40u32 {
            let treated = (g * 7) % 5 < 2 || g % 9 == 0;
            for j in 0..(1 + (g * 5) % 4) {
                let noise = f64::from((g * 13 + j * 7) % 11) / 5.0 - 1.0;
                sample.y.push(noise + if treated { 0.8 } else { 0.0 });
                sample.treated.push(treated);
                sample.cluster.push(g);
            }
        }
        sample
    }

    #[test]
    fn testing_b0_equals_testing_zero_on_outcomes_shifted_by_b0() {
        let sample = forty_slates();
        for weights in [Weights::Rademacher, Weights::Webb] {
            let boot = WildBootstrap::new(&sample, weights, 999, 5).unwrap();
            for b0 in [-0.5, 0.0, 0.3, 0.8, 1.7] {
                let direct = boot.test(b0);
                let refit =
                    wild_cluster_test(&sample.with_treated_shifted(b0), 0.0, weights, 999, 5)
                        .unwrap();
                assert!((direct.t - refit.t).abs() < 1e-9, "{b0}");
                assert_eq!(direct.p_value, refit.p_value, "{weights:?} at {b0}");
            }
        }
    }

    #[test]
    fn inverted_interval_bounds_are_where_the_p_value_crosses_five_percent() {
        let sample = forty_slates();
        let boot = WildBootstrap::new(&sample, Weights::Webb, 1999, 11).unwrap();
        let (lower, upper) = boot.interval(0.95);
        let cr1 = difference_in_means(&sample, "c", "o").unwrap();
        assert!(lower < cr1.estimate && cr1.estimate < upper);
        let eps = 1e-6 * cr1.cluster_se;
        assert!(boot.test(lower + eps).p_value > 0.05);
        assert!(boot.test(lower - eps).p_value <= 0.05);
        assert!(boot.test(upper - eps).p_value > 0.05);
        assert!(boot.test(upper + eps).p_value <= 0.05);
        // With 40 clusters the bootstrap-t interval is close to the CR1 normal interval.
        let (cl, cu) = cr1.ci_95();
        assert!(
            ((upper - lower) / (cu - cl) - 1.0).abs() < 0.35,
            "{lower} {upper} {cl} {cu}"
        );
    }

    #[test]
    fn mixed_clusters_are_rejected() {
        let sample = Sample {
            y: vec![1.0, 2.0, 3.0, 4.0],
            treated: vec![true, false, true, false],
            cluster: vec![0, 0, 1, 2],
            ..Sample::default()
        };
        assert!(matches!(
            wild_cluster_test(&sample, 0.0, Weights::Webb, 99, 1),
            Err(EstimateError::MixedClusterAssignment { cluster: 0 })
        ));
    }
}
