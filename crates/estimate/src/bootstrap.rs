//! Cluster (pairs) bootstrap that resamples whole slates with replacement.
//!
//! Every contrast's rows belong to slates, so one resampling of slates serves all contrasts at
//! once: a replicate draws `G` slates with replacement (the multiplicity `w_g` of each slate),
//! then each contrast's treated-minus-control mean is `Σ w_g S1_g / Σ w_g N1_g − Σ w_g S0_g /
//! Σ w_g N0_g` from per-slate sufficient statistics (row counts and outcome sums by arm). A
//! replicate thus costs O(slates), not O(rows). A slate without rows in a contrast (e.g. no
//! same-cluster competitor) contributes nothing to that contrast, as in resampling the slates
//! of the whole design. A replicate where an arm is empty yields NaN, like the seed notebook.
//!
//! Replicate `r` draws from its own `Pcg64` stream keyed by (seed, r), so the distribution is
//! identical whatever the number of rayon threads.

use rand::Rng;
use rand_pcg::Pcg64;
use rayon::prelude::*;

use crate::EstimateError;
use crate::dim::{ClusterIndex, Sample};

/// Per-slate sufficient statistics of one contrast, indexed by dense slate index.
#[derive(Debug, Clone, Default)]
struct SlateSums {
    n1: Vec<f64>,
    s1: Vec<f64>,
    n0: Vec<f64>,
    s0: Vec<f64>,
}

impl SlateSums {
    /// Rows and outcome sums of `sample` per arm and slot of `index`.
    fn of(sample: &Sample, index: &ClusterIndex) -> Self {
        let g = index.len();
        let mut sums = SlateSums {
            n1: vec![0.0; g],
            s1: vec![0.0; g],
            n0: vec![0.0; g],
            s0: vec![0.0; g],
        };
        for (i, ((y, d), id)) in sample
            .y
            .iter()
            .zip(&sample.treated)
            .zip(&sample.cluster)
            .enumerate()
        {
            let slot = index.slot(*id);
            if *d {
                sums.n1[slot] += sample.rows_of(i);
                sums.s1[slot] += y;
            } else {
                sums.n0[slot] += sample.rows_of(i);
                sums.s0[slot] += y;
            }
        }
        sums
    }
}

/// Bootstrap replicates: `estimates[c][r]` is contrast `c` in replicate `r`.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapDraws {
    /// One vector of replicate estimates per contrast, in input order.
    pub estimates: Vec<Vec<f64>>,
    /// Number of slates resampled per replicate.
    pub slates: usize,
}

/// Resamples slates `replicates` times and re-estimates every contrast in `samples`.
pub fn cluster_bootstrap(
    samples: &[&Sample],
    replicates: usize,
    seed: u64,
) -> Result<BootstrapDraws, EstimateError> {
    for (i, sample) in samples.iter().enumerate() {
        sample.check(&format!("bootstrap sample {i}"))?;
    }
    let index = ClusterIndex::new(samples.iter().flat_map(|s| s.cluster.iter().copied()));
    let g = index.len();
    if g < 2 {
        return Err(EstimateError::SingleCluster {
            what: "cluster bootstrap".into(),
        });
    }
    let sums: Vec<SlateSums> = samples
        .iter()
        .map(|sample| SlateSums::of(sample, &index))
        .collect();
    let compact = Compact::try_from_sums(&sums);
    let per_replicate: Vec<Vec<f64>> = (0..replicates)
        .into_par_iter()
        .map_init(
            || vec![0u32; g],
            |weights, r| {
                weights.iter_mut().for_each(|w| *w = 0);
                let mut rng = Pcg64::new((u128::from(seed) << 64) | 0xB007, r as u128);
                for _ in 0..g {
                    weights[rng.random_range(0..g)] += 1;
                }
                match &compact {
                    Some(compact) => compact.replicate(weights),
                    None => sums
                        .iter()
                        .map(|s| replicate_estimate(s, weights))
                        .collect(),
                }
            },
        )
        .collect();
    let estimates = (0..samples.len())
        .map(|c| per_replicate.iter().map(|r| r[c]).collect())
        .collect();
    Ok(BootstrapDraws {
        estimates,
        slates: g,
    })
}

/// The slate design's layout: every slate is in one arm, so each contrast needs one row count
/// and one outcome sum per slate, interleaved slot-major. A replicate then streams half the
/// bytes of the general layout (the pass is memory-bound at a million slates) and gives
/// bit-identical results, since the other arm only ever added zeros.
struct Compact {
    contrasts: usize,
    treated: Vec<bool>,
    counts: Vec<f32>,
    sums: Vec<f64>,
}

impl Compact {
    fn try_from_sums(all: &[SlateSums]) -> Option<Self> {
        let g = all.first()?.n1.len();
        let contrasts = all.len();
        let mut treated = vec![false; g];
        let mut arm_known = vec![false; g];
        for sums in all {
            for i in 0..g {
                let (has1, has0) = (sums.n1[i] > 0.0, sums.n0[i] > 0.0);
                if has1 && has0 {
                    return None;
                }
                if has1 || has0 {
                    if arm_known[i] && treated[i] != has1 {
                        return None;
                    }
                    arm_known[i] = true;
                    treated[i] = has1;
                }
            }
        }
        let mut counts = vec![0f32; g * contrasts];
        let mut values = vec![0f64; g * contrasts];
        for (c, sums) in all.iter().enumerate() {
            for i in 0..g {
                let (n, s) = if treated[i] {
                    (sums.n1[i], sums.s1[i])
                } else {
                    (sums.n0[i], sums.s0[i])
                };
                if n > f64::from(1u32 << 24) {
                    return None; // beyond f32's exact integers: use the general layout
                }
                counts[i * contrasts + c] = n as f32;
                values[i * contrasts + c] = s;
            }
        }
        Some(Self {
            contrasts,
            treated,
            counts,
            sums: values,
        })
    }

    fn replicate(&self, weights: &[u32]) -> Vec<f64> {
        let c = self.contrasts;
        // acc[arm][contrast] = (weighted rows, weighted outcome sum)
        let mut acc = vec![[(0f64, 0f64); 2]; c];
        for (i, w) in weights.iter().enumerate() {
            if *w == 0 {
                continue;
            }
            let w = f64::from(*w);
            let arm = usize::from(self.treated[i]);
            let counts = &self.counts[i * c..(i + 1) * c];
            let sums = &self.sums[i * c..(i + 1) * c];
            for k in 0..c {
                let slot = &mut acc[k][arm];
                slot.0 += w * f64::from(counts[k]);
                slot.1 += w * sums[k];
            }
        }
        acc.iter()
            .map(|[control, treated]| {
                if treated.0 == 0.0 || control.0 == 0.0 {
                    f64::NAN
                } else {
                    treated.1 / treated.0 - control.1 / control.0
                }
            })
            .collect()
    }
}

fn replicate_estimate(sums: &SlateSums, weights: &[u32]) -> f64 {
    let (mut n1, mut s1, mut n0, mut s0) = (0.0, 0.0, 0.0, 0.0);
    for (i, w) in weights.iter().enumerate() {
        if *w == 0 {
            continue;
        }
        let w = f64::from(*w);
        n1 += w * sums.n1[i];
        s1 += w * sums.s1[i];
        n0 += w * sums.n0[i];
        s0 += w * sums.s0[i];
    }
    if n1 == 0.0 || n0 == 0.0 {
        f64::NAN
    } else {
        s1 / n1 - s0 / n0
    }
}

/// Summary of one contrast's bootstrap distribution (NaN replicates excluded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapSummary {
    /// Mean of the replicate estimates.
    pub mean: f64,
    /// Standard deviation (ddof = 1) of the replicate estimates: the bootstrap SE.
    pub se: f64,
    /// 2.5th percentile (linear interpolation, as numpy).
    pub percentile_lower: f64,
    /// 97.5th percentile.
    pub percentile_upper: f64,
    /// Share of replicates below zero.
    pub share_below_zero: f64,
    /// Replicates with both arms present.
    pub valid: usize,
    /// Replicates requested.
    pub replicates: usize,
}

/// The `q`-quantile of sorted values with numpy's default linear interpolation.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Summarises replicate estimates.
pub fn summarize(estimates: &[f64]) -> BootstrapSummary {
    let mut valid: Vec<f64> = estimates
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    valid.sort_unstable_by(f64::total_cmp);
    let n = valid.len() as f64;
    let mean = valid.iter().sum::<f64>() / n;
    let se = (valid.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    BootstrapSummary {
        mean,
        se,
        percentile_lower: quantile(&valid, 0.025),
        percentile_upper: quantile(&valid, 0.975),
        share_below_zero: valid.iter().filter(|v| **v < 0.0).count() as f64 / n,
        valid: valid.len(),
        replicates: estimates.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear_interpolation() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        // numpy.percentile([1,2,3,4,10], [2.5, 97.5]) == [1.1, 9.4]
        assert!((quantile(&v, 0.025) - 1.1).abs() < 1e-12);
        assert!((quantile(&v, 0.975) - 9.4).abs() < 1e-12);
    }

    #[test]
    fn compact_layout_gives_the_same_replicates_as_the_general_one() {
        let sample = Sample {
            y: (0..600).map(|i| f64::from(i % 5) * 0.3).collect(),
            treated: (0..600).map(|i| (i / 6) % 3 == 0).collect(),
            cluster: (0..600).map(|i| i / 6).collect(),
            ..Sample::default()
        };
        let draws = cluster_bootstrap(&[&sample, &sample], 32, 4).unwrap();
        let index = ClusterIndex::new(sample.cluster.iter().copied());
        let g = index.len();
        let sums = SlateSums::of(&sample, &index);
        assert!(Compact::try_from_sums(std::slice::from_ref(&sums)).is_some());
        for r in 0..32 {
            let mut weights = vec![0u32; g];
            let mut rng = Pcg64::new((4u128 << 64) | 0xB007, r as u128);
            for _ in 0..g {
                weights[rng.random_range(0..g)] += 1;
            }
            let general = replicate_estimate(&sums, &weights);
            assert_eq!(
                draws.estimates[0][r].to_bits(),
                general.to_bits(),
                "replicate {r}"
            );
            assert_eq!(draws.estimates[1][r].to_bits(), general.to_bits());
        }
    }

    #[test]
    fn mixed_arm_clusters_use_the_general_layout() {
        let sums = SlateSums {
            n1: vec![1.0, 0.0],
            s1: vec![1.0, 0.0],
            n0: vec![1.0, 1.0],
            s0: vec![0.0, 1.0],
        };
        assert!(Compact::try_from_sums(&[sums]).is_none());
    }

    #[test]
    fn replicates_are_thread_count_independent() {
        let sample = Sample {
            y: (0..400).map(|i| f64::from(i % 7 == 0)).collect(),
            treated: (0..400).map(|i| (i / 4) % 2 == 0).collect(),
            cluster: (0..400).map(|i| i / 4).collect(),
            ..Sample::default()
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| cluster_bootstrap(&[&sample], 64, 9).unwrap())
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn identical_weights_reproduce_the_point_estimate() {
        let sample = Sample {
            y: vec![1.0, 0.0, 3.0, 1.0],
            treated: vec![true, true, false, false],
            cluster: vec![0, 1, 2, 3],
            ..Sample::default()
        };
        let draws = cluster_bootstrap(&[&sample], 1, 1).unwrap();
        assert_eq!(draws.slates, 4);
        let sums = SlateSums {
            n1: vec![1.0, 1.0, 0.0, 0.0],
            s1: vec![1.0, 0.0, 0.0, 0.0],
            n0: vec![0.0, 0.0, 1.0, 1.0],
            s0: vec![0.0, 0.0, 3.0, 1.0],
        };
        assert!((replicate_estimate(&sums, &[1, 1, 1, 1]) - (0.5 - 2.0)).abs() < 1e-15);
        assert!(
            replicate_estimate(&sums, &[1, 1, 0, 0]).is_nan(),
            "empty control arm"
        );
    }
}
