//! Randomization (Fisher) inference for slate-randomized contrasts.
//!
//! Under the sharp null that promotion changes no slate's outcomes, every row's outcome is
//! fixed and only the assignment is random; re-drawing the slate-level assignment exactly as
//! the design drew it (Bernoulli(p) per slate, or complete randomization of a fixed number of
//! promoted slates) gives the null distribution of the difference in means. The p-value is
//! `(1 + #{|T*| ≥ |T_obs|}) / (1 + R)` over the `R` draws in which both arms are non-empty.
//!
//! Like the bootstrap, every draw is computed from per-slate sufficient statistics (rows and
//! outcome sum per contrast), so a draw costs O(slates); one draw serves every contrast; draw
//! `r` uses its own Pcg64 stream, so results do not depend on the number of threads.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_pcg::Pcg64;
use rayon::prelude::*;

use crate::EstimateError;
use crate::dim::{ClusterIndex, Sample};

/// The randomized design to re-draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Design {
    /// Each slate promoted independently with probability `p`.
    Bernoulli {
        /// Promotion probability.
        p: f64,
    },
    /// Exactly `treated` of the slates promoted, uniformly.
    Complete {
        /// Number of promoted slates.
        treated: usize,
    },
}

/// The result of one randomization test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomizationTest {
    /// Observed difference in means.
    pub estimate: f64,
    /// Two-sided randomization p-value.
    pub p_value: f64,
    /// Draws with both arms non-empty.
    pub valid_draws: usize,
    /// Draws at least as extreme as observed.
    pub extreme_draws: usize,
}

/// Runs one randomization test per sample, sharing the re-drawn assignments. Every sample's
/// treatment must be constant within a cluster (the slate is the randomized unit).
pub fn randomization_tests(
    samples: &[&Sample],
    design: Design,
    draws: usize,
    seed: u64,
) -> Result<Vec<RandomizationTest>, EstimateError> {
    for (i, sample) in samples.iter().enumerate() {
        sample.check(&format!("randomization sample {i}"))?;
    }
    let index = ClusterIndex::new(samples.iter().flat_map(|s| s.cluster.iter().copied()));
    let g = index.len();
    if g < 2 {
        return Err(EstimateError::SingleCluster {
            what: "randomization test".into(),
        });
    }
    // Observed arm per slot, and rows / outcome sums per contrast and slot.
    let mut arm: Vec<Option<bool>> = vec![None; g];
    let mut stats: Vec<(Vec<f64>, Vec<f64>)> = Vec::with_capacity(samples.len());
    for sample in samples {
        let mut rows = vec![0f64; g];
        let mut sums = vec![0f64; g];
        for ((y, d), id) in sample.y.iter().zip(&sample.treated).zip(&sample.cluster) {
            let slot = index.slot(*id);
            match arm[slot] {
                Some(a) if a != *d => {
                    return Err(EstimateError::MixedClusterAssignment { cluster: *id });
                }
                _ => arm[slot] = Some(*d),
            }
            rows[slot] += 1.0;
            sums[slot] += y;
        }
        stats.push((rows, sums));
    }
    let observed_arm: Vec<bool> = arm.iter().map(|a| a.unwrap_or(false)).collect();
    let statistic = |assignment: &[bool], rows: &[f64], sums: &[f64]| {
        let (mut n1, mut s1, mut n0, mut s0) = (0.0, 0.0, 0.0, 0.0);
        for ((a, n), s) in assignment.iter().zip(rows).zip(sums) {
            if *a {
                n1 += n;
                s1 += s;
            } else {
                n0 += n;
                s0 += s;
            }
        }
        if n1 == 0.0 || n0 == 0.0 {
            f64::NAN
        } else {
            s1 / n1 - s0 / n0
        }
    };
    let observed: Vec<f64> = stats
        .iter()
        .map(|(rows, sums)| statistic(&observed_arm, rows, sums))
        .collect();
    if let Some(i) = observed.iter().position(|t| !t.is_finite()) {
        return Err(EstimateError::EmptyArm {
            what: format!("randomization sample {i}"),
            arm: "treated or control",
        });
    }
    let per_draw: Vec<Vec<f64>> = (0..draws)
        .into_par_iter()
        .map_init(
            || vec![false; g],
            |assignment, r| {
                let mut rng = Pcg64::new((u128::from(seed) << 64) | 0xF15E, r as u128);
                match design {
                    Design::Bernoulli { p } => assignment
                        .iter_mut()
                        .for_each(|a| *a = rng.random::<f64>() < p),
                    Design::Complete { treated } => {
                        assignment
                            .iter_mut()
                            .enumerate()
                            .for_each(|(i, a)| *a = i < treated);
                        assignment.shuffle(&mut rng);
                    }
                }
                stats
                    .iter()
                    .map(|(rows, sums)| statistic(assignment, rows, sums))
                    .collect()
            },
        )
        .collect();
    Ok(observed
        .iter()
        .enumerate()
        .map(|(c, t)| {
            // A relative tolerance keeps ties (equal statistics up to rounding) counted.
            let threshold = t.abs() * (1.0 - 1e-12);
            let valid: Vec<f64> = per_draw
                .iter()
                .map(|d| d[c])
                .filter(|v| v.is_finite())
                .collect();
            let extreme = valid.iter().filter(|v| v.abs() >= threshold).count();
            RandomizationTest {
                estimate: *t,
                p_value: (1 + extreme) as f64 / (1 + valid.len()) as f64,
                valid_draws: valid.len(),
                extreme_draws: extreme,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten slates of uneven sizes and outcomes.
    fn tiny() -> Sample {
        let sizes = [3usize, 1, 4, 2, 5, 1, 2, 3, 4, 2];
        let mut sample = Sample::default();
        for (g, size) in sizes.iter().enumerate() {
            for j in 0..*size {
                sample
                    .y
                    .push(((g * 7 + j * 3) % 5) as f64 * 0.5 + if g % 3 == 0 { 1.0 } else { 0.0 });
                sample.treated.push(g % 3 == 0 || g == 4);
                sample.cluster.push(g as u32 * 10);
            }
        }
        sample
    }

    /// The exact Bernoulli(1/2) randomization p-value by enumerating all 2^10 assignments,
    /// conditioning on both arms non-empty.
    fn exact_p_value(sample: &Sample) -> f64 {
        let clusters: Vec<u32> = {
            let mut c = sample.cluster.clone();
            c.dedup();
            c
        };
        let stat = |assignment: u32| {
            let (mut n1, mut s1, mut n0, mut s0) = (0.0, 0.0, 0.0, 0.0);
            for (y, id) in sample.y.iter().zip(&sample.cluster) {
                let k = clusters.iter().position(|c| c == id).unwrap();
                if assignment & (1 << k) != 0 {
                    n1 += 1.0;
                    s1 += y;
                } else {
                    n0 += 1.0;
                    s0 += y;
                }
            }
            if n1 == 0.0 || n0 == 0.0 {
                None
            } else {
                Some(s1 / n1 - s0 / n0)
            }
        };
        let observed_mask: u32 = clusters
            .iter()
            .enumerate()
            .filter(|(_, id)| sample.treated[sample.cluster.iter().position(|c| c == *id).unwrap()])
            .map(|(k, _)| 1u32 << k)
            .sum();
        let observed = stat(observed_mask).unwrap().abs();
        let (mut extreme, mut valid) = (0usize, 0usize);
        for assignment in 0..(1u32 << clusters.len()) {
            if let Some(t) = stat(assignment) {
                valid += 1;
                extreme += usize::from(t.abs() >= observed * (1.0 - 1e-12));
            }
        }
        extreme as f64 / valid as f64
    }

    #[test]
    fn monte_carlo_p_value_matches_exact_enumeration() {
        let sample = tiny();
        let exact = exact_p_value(&sample);
        let draws = 40_000;
        let test =
            randomization_tests(&[&sample], Design::Bernoulli { p: 0.5 }, draws, 7).unwrap()[0];
        let mc_se = (exact * (1.0 - exact) / draws as f64).sqrt();
        assert!(
            (test.p_value - exact).abs() < 4.0 * mc_se + 2.0 / draws as f64,
            "MC {} vs exact {exact}",
            test.p_value
        );
        assert!(test.valid_draws > 39_900);
    }

    #[test]
    fn complete_randomization_keeps_arm_sizes_and_is_thread_independent() {
        let sample = tiny();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    randomization_tests(&[&sample], Design::Complete { treated: 4 }, 500, 3)
                        .unwrap()
                })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(
            one[0].valid_draws, 500,
            "complete randomization never empties an arm"
        );
    }

    #[test]
    fn within_cluster_treatment_variation_is_rejected() {
        let mut sample = tiny();
        sample.treated[1] = !sample.treated[1];
        assert!(randomization_tests(&[&sample], Design::Bernoulli { p: 0.5 }, 10, 1).is_err());
    }
}
