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
//! identical whatever the number of rayon threads. Contrasts whose per-slate rows and outcome
//! sums are counts up to 255 (clicks) are added as exact integers (see `Tallies`), with the
//! same bits as the floating sums.

use rand::Rng;
use rand_pcg::Pcg64;
use rayon::prelude::*;

use crate::EstimateError;
use crate::dim::{ClusterIndex, Sample};
use crate::unit_sums::in_blocks_with;

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
        for (rows, y, d, id) in sample.entries() {
            let slot = index.slot(id);
            if d {
                sums.n1[slot] += rows;
                sums.s1[slot] += y;
            } else {
                sums.n0[slot] += rows;
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
    let per_replicate: Vec<Vec<f64>> = match Compact::try_from_samples(samples, &index) {
        Some(compact) => in_blocks_with(replicates, Vec::new, |weights, range| {
            compact.replicates(range, seed, u8::MAX, weights)
        }),
        None => {
            let sums: Vec<SlateSums> = samples
                .iter()
                .map(|sample| SlateSums::of(sample, &index))
                .collect();
            (0..replicates)
                .into_par_iter()
                .map_init(
                    || vec![0u32; g],
                    |weights, r| {
                        draw_weights(seed, r, weights);
                        sums.iter()
                            .map(|s| replicate_estimate(s, weights))
                            .collect()
                    },
                )
                .collect()
        }
    };
    let estimates = (0..samples.len())
        .map(|c| per_replicate.iter().map(|r| r[c]).collect())
        .collect();
    Ok(BootstrapDraws {
        estimates,
        slates: g,
    })
}

/// Replicate `r`'s multiplicity of each of the `weights.len()` slates: as many draws with
/// replacement from its own stream of `seed`.
fn draw_weights(seed: u64, r: usize, weights: &mut [u32]) {
    let g = weights.len();
    weights.fill(0);
    for_each_draw(&mut replicate_rng(seed, r), g, |i| weights[i] += 1);
}

/// Draws `g` slates with replacement from `rng` (uniform on `0..g`) and hands each to `count`,
/// in draw order. The draws come [`DRAW_BATCH`] at a time before any is counted, so the
/// counts' scattered reads and writes (a replicate's counts outgrow the core's cache at a
/// million slates) are in flight together instead of one after another behind the generator.
fn for_each_draw(rng: &mut Pcg64, g: usize, mut count: impl FnMut(usize)) {
    let mut batch = [0usize; DRAW_BATCH];
    let mut left = g;
    while left > 0 {
        let n = left.min(DRAW_BATCH);
        for slot in &mut batch[..n] {
            *slot = rng.random_range(0..g);
        }
        for i in &batch[..n] {
            count(*i);
        }
        left -= n;
    }
}

/// Draws generated before they are counted (see [`for_each_draw`]).
const DRAW_BATCH: usize = 64;

/// Replicate `r`'s stream of `seed`.
fn replicate_rng(seed: u64, r: usize) -> Pcg64 {
    Pcg64::new((u128::from(seed) << 64) | 0xB007, r as u128)
}

/// The slate design's layout: every slate is in one arm, so each contrast needs one row count
/// and one outcome sum per slate, interleaved slot-major. A replicate then streams half the
/// bytes of the general layout (the pass is memory-bound at a million slates) and gives
/// bit-identical results, since the other arm only ever added zeros.
struct Compact {
    /// Contrasts in `counts` and `sums` (the floating ones).
    contrasts: usize,
    treated: Vec<bool>,
    counts: Vec<f32>,
    sums: Vec<f64>,
    /// The input sample of each floating contrast.
    floating: Vec<usize>,
    /// The counted contrasts.
    tallies: Tallies,
}

/// The contrasts whose per-slate rows and outcome sums are all integers up to 255 (row counts
/// and click counts): bytes per slate, one vector per arm and quantity (zero in the other arm's
/// slates). A replicate's weighted sums are then exact integers whatever the order they are
/// added in, so they are added as integers, a chunk of slates at a time, by dot products the
/// compiler vectorizes (`pmaddwd`); the floating kernel's sums of the same values are exact
/// too (integers below 2⁵³), so both give the same bits.
#[derive(Debug, Default)]
struct Tallies {
    /// The input sample of each counted contrast.
    contrasts: Vec<usize>,
    /// Per counted contrast: `[treated rows, control rows, treated sum, control sum]` per slate.
    values: Vec<[Vec<u8>; 4]>,
}

/// Slates per chunk of the tallies' dot products: a chunk's sum of products of two bytes stays
/// below 2³² (4,096 · 255 · 255).
const TALLY_CHUNK: usize = 4096;

impl Tallies {
    /// The counted contrasts of `contrasts` interleaved per slate (`counts`, `sums`), with the
    /// floating ones' indices.
    fn split(
        contrasts: usize,
        counts: &[f32],
        sums: &[f64],
        treated: &[bool],
    ) -> (Vec<usize>, Tallies) {
        let byte = |v: f64| (v.fract() == 0.0 && (0.0..=255.0).contains(&v)).then_some(v as u8);
        let mut tallies = Tallies::default();
        let mut floating = Vec::new();
        for c in 0..contrasts {
            let bytes: Option<Vec<(u8, u8)>> = (0..treated.len())
                .map(|i| {
                    let at = i * contrasts + c;
                    Some((byte(f64::from(counts[at]))?, byte(sums[at])?))
                })
                .collect();
            let Some(bytes) = bytes else {
                floating.push(c);
                continue;
            };
            let split = |pick: fn(&(u8, u8)) -> u8, arm: bool| -> Vec<u8> {
                bytes
                    .iter()
                    .zip(treated)
                    .map(|(b, t)| if *t == arm { pick(b) } else { 0 })
                    .collect()
            };
            tallies.contrasts.push(c);
            tallies.values.push([
                split(|b| b.0, true),
                split(|b| b.0, false),
                split(|b| b.1, true),
                split(|b| b.1, false),
            ]);
        }
        (floating, tallies)
    }

    /// Every replicate's `[treated rows, control rows, treated sum, control sum]` per counted
    /// contrast, `b` replicates of byte weights (`weights[j · g + slate]`).
    fn sums(&self, weights: &[u8], b: usize) -> Vec<[u64; 4]> {
        let t = self.contrasts.len();
        let mut acc = vec![[0u64; 4]; b * t];
        if t == 0 {
            return acc;
        }
        let g = weights.len() / b.max(1);
        for start in (0..g).step_by(TALLY_CHUNK) {
            let end = (start + TALLY_CHUNK).min(g);
            for j in 0..b {
                let w = &weights[j * g + start..j * g + end];
                for (into, values) in acc[j * t..(j + 1) * t].iter_mut().zip(&self.values) {
                    for (total, v) in into.iter_mut().zip(values) {
                        *total += u64::from(byte_dot(w, &v[start..end]));
                    }
                }
            }
        }
        acc
    }

    /// [`Tallies::sums`] of one replicate with 32-bit weights.
    fn wide_sums(&self, weights: &[u32]) -> Vec<[u64; 4]> {
        self.values
            .iter()
            .map(|values| {
                values.each_ref().map(|v| {
                    weights
                        .iter()
                        .zip(v)
                        .map(|(w, v)| u64::from(*w) * u64::from(*v))
                        .sum()
                })
            })
            .collect()
    }
}

/// Contrasts `keep` of a slot-major layout of `contrasts` values per slot, in that order.
fn columns<T: Copy>(all: &[T], contrasts: usize, keep: &[usize]) -> Vec<T> {
    all.chunks(contrasts.max(1))
        .flat_map(|slot| keep.iter().map(|c| slot[*c]))
        .collect()
}

/// `Σ w·v` over at most [`TALLY_CHUNK`] bytes, which cannot wrap: wrapping operations, since
/// checked ones (this workspace's profile keeps overflow checks) would stay scalar.
#[inline]
fn byte_dot(w: &[u8], v: &[u8]) -> u32 {
    debug_assert!(w.len() <= TALLY_CHUNK);
    w.iter().zip(v).fold(0u32, |total, (w, v)| {
        total.wrapping_add(u32::from(*w).wrapping_mul(u32::from(*v)))
    })
}

/// A counted contrast's arm pair, as [`difference`] takes it, from its exact sums.
fn tally_arms([rows1, rows0, sum1, sum0]: [u64; 4]) -> [(f64, f64); 2] {
    [(rows0 as f64, sum0 as f64), (rows1 as f64, sum1 as f64)]
}

impl Compact {
    /// The compact layout of `samples` by slot of `index`, built straight from their entries
    /// (never through the general layout, which takes 32 bytes per slate and contrast to this
    /// one's 12); `None` when some slot has entries in both arms or more rows than `f32`
    /// counts exactly. Each slot's outcome sum adds the same terms in the same order as
    /// [`SlateSums::of`], so both layouts give the same bits.
    fn try_from_samples(samples: &[&Sample], index: &ClusterIndex) -> Option<Self> {
        const UNKNOWN: u8 = 2;
        let (g, contrasts) = (index.len(), samples.len());
        let mut arm = vec![UNKNOWN; g];
        let mut counts = vec![0f32; g * contrasts];
        let mut values = vec![0f64; g * contrasts];
        for (c, sample) in samples.iter().enumerate() {
            for (rows, y, d, id) in sample.entries() {
                let slot = index.slot(id);
                let d = u8::from(d);
                if arm[slot] == UNKNOWN {
                    arm[slot] = d;
                } else if arm[slot] != d {
                    return None;
                }
                let at = slot * contrasts + c;
                let n = f64::from(counts[at]) + rows;
                if n > f64::from(1u32 << 24) {
                    return None; // beyond f32's exact integers: use the general layout
                }
                counts[at] = n as f32;
                values[at] += y;
            }
        }
        let treated: Vec<bool> = arm.iter().map(|a| *a == 1).collect();
        // The counted contrasts move to tallies; the others stay interleaved.
        let (floating, tallies) = Tallies::split(contrasts, &counts, &values, &treated);
        let counts = columns(&counts, contrasts, &floating);
        let sums = columns(&values, contrasts, &floating);
        Some(Self {
            contrasts: floating.len(),
            treated,
            counts,
            sums,
            floating,
            tallies,
        })
    }

    /// Input samples.
    fn samples(&self) -> usize {
        self.floating.len() + self.tallies.contrasts.len()
    }

    /// The replicates `range` at once: each draws its multiplicities as one byte per slate
    /// (a replicate whose count in some slate reaches `cap` is redone with 32-bit counts from
    /// the same stream), then one pass over the slates adds every replicate's weighted sums,
    /// so the per-slate data stream from memory once per block instead of once per
    /// replicate. Each replicate adds the same terms in the same slate order as
    /// [`Compact::replicate`], so its result is the same to the bit.
    /// `weights` is scratch space, reused across blocks.
    fn replicates(
        &self,
        range: std::ops::Range<usize>,
        seed: u64,
        cap: u8,
        weights: &mut Vec<u8>,
    ) -> Vec<Vec<f64>> {
        let (g, c, b) = (self.treated.len(), self.contrasts, range.len());
        weights.clear();
        weights.resize(b * g, 0);
        let mut overflowed = vec![false; b];
        for (j, r) in range.clone().enumerate() {
            let own = &mut weights[j * g..(j + 1) * g];
            let mut over = false;
            for_each_draw(&mut replicate_rng(seed, r), g, |i| {
                let w = &mut own[i];
                over |= *w >= cap - 1;
                *w = w.saturating_add(1);
            });
            overflowed[j] = over;
        }
        // acc[replicate · contrasts + contrast][arm] = (weighted rows, weighted outcome sum)
        let mut acc = vec![[(0f64, 0f64); 2]; b * c];
        // Without a floating contrast there is nothing to add here.
        let slates = if c == 0 { 0 } else { g };
        for i in 0..slates {
            let arm = usize::from(self.treated[i]);
            let counts = &self.counts[i * c..(i + 1) * c];
            let sums = &self.sums[i * c..(i + 1) * c];
            for j in 0..b {
                // Branch-free: a slate not drawn adds 0·n and 0·s, which leave the sums' bits
                // as they are (the sums start at +0 and the values are finite).
                let w = f64::from(weights[j * g + i]);
                for (slot, (n, s)) in acc[j * c..(j + 1) * c]
                    .iter_mut()
                    .zip(counts.iter().zip(sums))
                {
                    let slot = &mut slot[arm];
                    slot.0 += w * f64::from(*n);
                    slot.1 += w * s;
                }
            }
        }
        let tallied = self.tallies.sums(weights, b);
        let t = self.tallies.contrasts.len();
        let mut wide = Vec::new();
        range
            .enumerate()
            .map(|(j, r)| {
                if overflowed[j] {
                    wide.resize(g, 0);
                    draw_weights(seed, r, &mut wide);
                    return self.replicate(&wide);
                }
                self.in_input_order(
                    acc[j * c..(j + 1) * c].iter().map(difference),
                    tallied[j * t..(j + 1) * t]
                        .iter()
                        .map(|x| difference(&tally_arms(*x))),
                )
            })
            .collect()
    }

    /// One replicate's estimates in input order, from the floating contrasts' and the counted
    /// ones'.
    fn in_input_order(
        &self,
        floating: impl Iterator<Item = f64>,
        counted: impl Iterator<Item = f64>,
    ) -> Vec<f64> {
        let mut out = vec![0.0; self.samples()];
        for (c, x) in self.floating.iter().zip(floating) {
            out[*c] = x;
        }
        for (c, x) in self.tallies.contrasts.iter().zip(counted) {
            out[*c] = x;
        }
        out
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
        let counted = self.tallies.wide_sums(weights);
        self.in_input_order(
            acc.iter().map(difference),
            counted.into_iter().map(|x| difference(&tally_arms(x))),
        )
    }
}

/// Treated minus control mean from an arm pair of (weighted rows, weighted outcome sum);
/// NaN when an arm is empty.
fn difference([control, treated]: &[(f64, f64); 2]) -> f64 {
    if treated.0 == 0.0 || control.0 == 0.0 {
        f64::NAN
    } else {
        treated.1 / treated.0 - control.1 / control.0
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
        assert!(Compact::try_from_samples(&[&sample], &index).is_some());
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

    /// Counted contrasts (integer rows and click sums) beside a fractional one: each
    /// replicate equals the general layout's to the bit, over several chunks of slates, and
    /// so do the replicates redone with 32-bit weights.
    #[test]
    fn counted_contrasts_give_the_general_layouts_replicates() {
        let n = 30_000u32;
        let clicks = Sample {
            y: (0..n).map(|i| f64::from(u8::from(i % 7 < 2))).collect(),
            treated: (0..n).map(|i| (i / 3) % 2 == 0).collect(),
            cluster: (0..n).map(|i| i / 3).collect(),
            ..Sample::default()
        };
        let mut every_other = clicks.clone();
        every_other.y.iter_mut().step_by(2).for_each(|y| *y = 3.0);
        let mut fractional = clicks.clone();
        fractional.y.iter_mut().step_by(3).for_each(|y| *y += 0.25);
        let samples = [&fractional, &clicks, &every_other];
        let index = ClusterIndex::new(clicks.cluster.iter().copied());
        let compact = Compact::try_from_samples(&samples, &index).expect("one arm per slate");
        assert_eq!(compact.floating, vec![0]);
        assert_eq!(compact.tallies.contrasts, vec![1, 2]);
        let draws = cluster_bootstrap(&samples, 12, 4).unwrap();
        let mut scratch = Vec::new();
        let narrow = compact.replicates(0..12, 4, 2, &mut scratch);
        for (r, redone) in narrow.iter().enumerate() {
            let mut weights = vec![0u32; index.len()];
            draw_weights(4, r, &mut weights);
            for (c, sample) in samples.iter().enumerate() {
                let general = replicate_estimate(&SlateSums::of(sample, &index), &weights);
                assert_eq!(
                    draws.estimates[c][r].to_bits(),
                    general.to_bits(),
                    "{c} {r}"
                );
                assert_eq!(redone[c].to_bits(), general.to_bits(), "wide {c} {r}");
            }
        }
    }

    #[test]
    fn replicates_with_a_count_beyond_a_byte_are_redone_with_wide_counts() {
        let sample = Sample {
            y: (0..900).map(|i| f64::from(i % 4) * 0.5).collect(),
            treated: (0..900).map(|i| (i / 3) % 2 == 0).collect(),
            cluster: (0..900).map(|i| i / 3).collect(),
            ..Sample::default()
        };
        let index = ClusterIndex::new(sample.cluster.iter().copied());
        let compact = Compact::try_from_samples(&[&sample], &index).expect("one arm per slate");
        // A cap of 2 sends every replicate that draws some slate twice (all of them, with 300
        // slates) through the 32-bit path.
        let mut scratch = vec![9u8; 5];
        let narrow = compact.replicates(3..11, 5, 2, &mut scratch);
        let wide = compact.replicates(3..11, 5, u8::MAX, &mut scratch);
        assert_eq!(narrow.len(), 8);
        for (a, b) in narrow.iter().zip(&wide) {
            assert_eq!(a[0].to_bits(), b[0].to_bits());
        }
        let mut weights = vec![0u32; index.len()];
        draw_weights(5, 7, &mut weights);
        assert!(weights.iter().any(|w| *w >= 2), "the cap was reached");
        assert_eq!(
            compact.replicate(&weights)[0].to_bits(),
            narrow[4][0].to_bits()
        );
    }

    #[test]
    fn mixed_arm_clusters_use_the_general_layout() {
        // Cluster 0 has a treated and a control entry.
        let mixed = Sample {
            y: vec![1.0, 0.0, 1.0],
            treated: vec![true, false, false],
            cluster: vec![0, 0, 1],
            ..Sample::default()
        };
        let index = ClusterIndex::new(mixed.cluster.iter().copied());
        assert!(Compact::try_from_samples(&[&mixed], &index).is_none());
        // So do clusters whose arm differs between two samples.
        let (a, b) = (
            Sample {
                y: vec![1.0, 0.0],
                treated: vec![true, false],
                cluster: vec![0, 1],
                ..Sample::default()
            },
            Sample {
                y: vec![1.0, 0.0],
                treated: vec![false, true],
                cluster: vec![0, 1],
                ..Sample::default()
            },
        );
        let index = ClusterIndex::new([0u32, 1].into_iter());
        assert!(Compact::try_from_samples(&[&a], &index).is_some());
        assert!(Compact::try_from_samples(&[&a, &b], &index).is_none());
        // The general layout's replicates still run.
        let draws = cluster_bootstrap(&[&mixed], 16, 3).unwrap();
        assert_eq!(draws.estimates[0].len(), 16);
    }

    #[test]
    fn batched_draws_are_the_streams_draws_in_order() {
        for g in [
            1,
            2,
            DRAW_BATCH - 1,
            DRAW_BATCH,
            DRAW_BATCH + 1,
            3 * DRAW_BATCH + 7,
        ] {
            let mut rng = replicate_rng(9, g);
            let one_by_one: Vec<usize> = (0..g).map(|_| rng.random_range(0..g)).collect();
            let mut batched = Vec::new();
            for_each_draw(&mut replicate_rng(9, g), g, |i| batched.push(i));
            assert_eq!(batched, one_by_one, "{g} slates");
        }
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
