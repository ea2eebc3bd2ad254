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

use rand::Rng;
use rand_pcg::Pcg64;
use rayon::prelude::*;

use crate::EstimateError;
use crate::dim::{ClusterIndex, Sample, difference_in_means};

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
    rows: Vec<f64>,
    sums: Vec<f64>,
    n1: f64,
    n0: f64,
    g: usize,
    n: f64,
}

fn clusters_of(sample: &Sample) -> Result<Clusters, EstimateError> {
    let index = ClusterIndex::new(sample.cluster.iter().copied());
    let g = index.len();
    let mut treated: Vec<Option<bool>> = vec![None; g];
    let mut rows = vec![0f64; g];
    let mut sums = vec![0f64; g];
    for ((y, d), id) in sample.y.iter().zip(&sample.treated).zip(&sample.cluster) {
        let slot = index.slot(*id);
        match treated[slot] {
            Some(t) if t != *d => {
                return Err(EstimateError::MixedClusterAssignment { cluster: *id });
            }
            _ => treated[slot] = Some(*d),
        }
        rows[slot] += 1.0;
        sums[slot] += y;
    }
    let treated: Vec<bool> = treated.into_iter().map(|t| t.unwrap_or(false)).collect();
    let n1 = treated
        .iter()
        .zip(&rows)
        .filter(|(t, _)| **t)
        .map(|(_, n)| n)
        .sum();
    let n0 = treated
        .iter()
        .zip(&rows)
        .filter(|(t, _)| !**t)
        .map(|(_, n)| n)
        .sum();
    Ok(Clusters {
        treated,
        rows,
        sums,
        n1,
        n0,
        g,
        n: n1 + n0,
    })
}

impl Clusters {
    /// The bootstrap t statistic for weights `v`, given restricted residual sums `u`.
    fn t_star(&self, u: &[f64], v: &[f64]) -> f64 {
        let (mut t1, mut t0) = (0.0, 0.0);
        for i in 0..self.g {
            if self.treated[i] {
                t1 += v[i] * u[i];
            } else {
                t0 += v[i] * u[i];
            }
        }
        let (m1, m0) = (t1 / self.n1, t0 / self.n0);
        let mut meat = 0.0;
        for i in 0..self.g {
            let (mean, arm_rows) = if self.treated[i] {
                (m1, self.n1)
            } else {
                (m0, self.n0)
            };
            let e = v[i] * u[i] - self.rows[i] * mean;
            meat += (e / arm_rows).powi(2);
        }
        let g = self.g as f64;
        let correction = g / (g - 1.0) * (self.n - 1.0) / (self.n - 2.0);
        (m1 - m0) / (correction * meat).sqrt()
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

/// Tests `effect = null` with the restricted wild cluster bootstrap.
pub fn wild_cluster_test(
    sample: &Sample,
    null: f64,
    weights: Weights,
    replicates: usize,
    seed: u64,
) -> Result<WildTest, EstimateError> {
    let observed = difference_in_means(sample, "wild cluster bootstrap", "outcome")?;
    let t = (observed.estimate - null) / observed.cluster_se;
    let clusters = clusters_of(sample)?;
    // Restricted fit: a = mean(y − b0·d); residual sums U_g = S_g − b0·d_g·n_g − a·n_g.
    let restricted_mean = (sample.y.iter().sum::<f64>() - null * clusters.n1) / clusters.n;
    let u: Vec<f64> = (0..clusters.g)
        .map(|i| {
            let shift = if clusters.treated[i] { null } else { 0.0 };
            clusters.sums[i] - clusters.rows[i] * (shift + restricted_mean)
        })
        .collect();
    let threshold = t.abs() * (1.0 - 1e-12);
    let enumerate =
        weights == Weights::Rademacher && clusters.g < 63 && (1usize << clusters.g) <= replicates;
    let (extreme, total) = if enumerate {
        let total = 1usize << clusters.g;
        let extreme = (0..total)
            .into_par_iter()
            .filter(|mask| {
                let v: Vec<f64> = (0..clusters.g)
                    .map(|i| if mask >> i & 1 == 1 { 1.0 } else { -1.0 })
                    .collect();
                clusters.t_star(&u, &v).abs() >= threshold
            })
            .count();
        (extreme, total)
    } else {
        let extreme = (0..replicates)
            .into_par_iter()
            .filter(|r| {
                let mut rng = Pcg64::new((u128::from(seed) << 64) | 0x3D1D, *r as u128);
                let v: Vec<f64> = (0..clusters.g)
                    .map(|_| draw_weight(weights, &mut rng))
                    .collect();
                clusters.t_star(&u, &v).abs() >= threshold
            })
            .count();
        (extreme, replicates)
    };
    Ok(WildTest {
        null,
        t,
        p_value: extreme as f64 / total as f64,
        replicates: total,
    })
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

    #[test]
    fn mixed_clusters_are_rejected() {
        let sample = Sample {
            y: vec![1.0, 2.0, 3.0, 4.0],
            treated: vec![true, false, true, false],
            cluster: vec![0, 0, 1, 2],
        };
        assert!(matches!(
            wild_cluster_test(&sample, 0.0, Weights::Webb, 99, 1),
            Err(EstimateError::MixedClusterAssignment { cluster: 0 })
        ));
    }
}
