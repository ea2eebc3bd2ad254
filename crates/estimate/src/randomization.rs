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
//! `r` uses its own Pcg64 stream, so results do not depend on the number of threads. A draw's
//! sums are exact integers when a sample's rows and outcome sums per unit are counts (clicks):
//! those samples take an integer kernel (`SmallCounts`), with the same bits.
//!
//! **Intervals by inversion (constant-effect model).** Under `H(τ): Y_i(1) = Y_i(0) + τ` for
//! every row, the control outcomes are `y − τ·d`, and a re-drawn assignment `a*` gives the
//! centred statistic `T*(τ) − τ = D* − τ·h*`, where `D*` is the re-drawn difference in means of
//! the observed outcomes and `h*` the re-drawn difference in the share of observed-treated rows.
//! Keeping `(D*, h*)` per draw makes every later p-value O(draws); the 95% interval is
//! `{τ : p(τ) > 0.05}`, found by bisection on each side of the estimate.

use rand::Rng;
use rand_pcg::Pcg64;
use wide::f64x2;

use crate::EstimateError;
use crate::dim::Sample;
use crate::unit_sums::{CHUNK, SampleSums, UnitSums, in_blocks};

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

/// The re-drawn assignments of one contrast: `(D*, h*)` per valid draw (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct RandomizationDistribution {
    estimate: f64,
    draws: Vec<(f64, f64)>,
}

impl RandomizationDistribution {
    /// Tests the constant-effect null `effect = tau` (`tau = 0` is the sharp null of no effect).
    pub fn test(&self, tau: f64) -> RandomizationTest {
        // A relative tolerance keeps ties (equal statistics up to rounding) counted.
        let threshold = (self.estimate - tau).abs() * (1.0 - 1e-12);
        let extreme = self
            .draws
            .iter()
            .filter(|(d, h)| (d - tau * h).abs() >= threshold)
            .count();
        RandomizationTest {
            estimate: self.estimate,
            p_value: (1 + extreme) as f64 / (1 + self.draws.len()) as f64,
            valid_draws: self.draws.len(),
            extreme_draws: extreme,
        }
    }

    /// The interval `{τ : p(τ) > 1 − level}` by inversion; the search scale is the standard
    /// deviation of the re-drawn statistic under the sharp null.
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let alpha = 1.0 - level;
        let n = self.draws.len() as f64;
        let mean = self.draws.iter().map(|(d, _)| d).sum::<f64>() / n;
        let sd = (self
            .draws
            .iter()
            .map(|(d, _)| (d - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        crate::wild::invert(|tau| self.test(tau).p_value > alpha, self.estimate, sd)
    }
}

/// Runs one randomization test per sample, sharing the re-drawn assignments. Every sample's
/// treatment must be constant within a cluster (the slate is the randomized unit).
pub fn randomization_tests(
    samples: &[&Sample],
    design: Design,
    draws: usize,
    seed: u64,
) -> Result<Vec<RandomizationTest>, EstimateError> {
    Ok(randomization_distributions(samples, design, draws, seed)?
        .iter()
        .map(|d| d.test(0.0))
        .collect())
}

/// Re-draws the assignment `draws` times and keeps, per sample, what tests of any
/// constant effect need.
pub fn randomization_distributions(
    samples: &[&Sample],
    design: Design,
    draws: usize,
    seed: u64,
) -> Result<Vec<RandomizationDistribution>, EstimateError> {
    distributions(samples, design, draws, seed, Kernels::Fastest)
}

/// Which kernel adds a draw's sums (tests: both give the same bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernels {
    /// The integer kernel for every [`SmallCounts`] sample, the floating one for the others.
    Fastest,
    /// The floating kernel for every sample.
    #[cfg(test)]
    Floating,
}

/// [`randomization_distributions`] with the kernels `kernels`.
fn distributions(
    samples: &[&Sample],
    design: Design,
    draws: usize,
    seed: u64,
    kernels: Kernels,
) -> Result<Vec<RandomizationDistribution>, EstimateError> {
    for (i, sample) in samples.iter().enumerate() {
        sample.check(&format!("randomization sample {i}"))?;
    }
    let units = UnitSums::new(samples)?;
    if units.units < 2 {
        return Err(EstimateError::SingleCluster {
            what: "randomization test".into(),
        });
    }
    let mut observed = Vec::with_capacity(samples.len());
    for (i, s) in units.samples.iter().enumerate() {
        if s.n1 == 0.0 || s.n0 == 0.0 {
            return Err(EstimateError::EmptyArm {
                what: format!("randomization sample {i}"),
                arm: "treated or control",
            });
        }
        observed.push(s.s1 / s.n1 - s.s0 / s.n0);
    }
    // Samples whose rows and outcome sums per unit are small integers (counts and 0/1
    // clicks) take the exact integer kernel; the others the floating one.
    let small: Vec<Option<SmallCounts>> = units
        .samples
        .iter()
        .map(|sums| SmallCounts::of(sums).filter(|_| kernels == Kernels::Fastest))
        .collect();
    let floating = small.iter().any(Option::is_none);
    // Per draw and sample: [Σ a·n over observed-treated units, Σ a·n over the others, Σ a·s]
    // for the re-drawn assignment a (1 or 0); the control sums are the totals minus these.
    let per_draw: Vec<Vec<Option<(f64, f64)>>> = in_blocks(draws, |range| {
        let b = range.len();
        let mut rngs: Vec<(Pcg64, Selection)> = range
            .map(|r| {
                let rng = Pcg64::new((u128::from(seed) << 64) | 0xF15E, r as u128);
                (rng, Selection::new(design, units.units))
            })
            .collect();
        let mut assigned = vec![0i16; b * CHUNK];
        let mut assignment = vec![0.0; if floating { b * CHUNK } else { 0 }];
        let k = units.samples.len();
        let mut acc = vec![[0.0; 3]; b * k];
        for chunk in units.chunks() {
            let len = chunk.units.len();
            for (j, (rng, selection)) in rngs.iter_mut().enumerate() {
                let draw = j * CHUNK..j * CHUNK + len;
                selection.fill(rng, &mut assigned[draw.clone()]);
                if floating {
                    for (x, a) in assignment[draw.clone()].iter_mut().zip(&assigned[draw]) {
                        *x = f64::from(*a);
                    }
                }
            }
            let part = usize::from(!chunk.treated);
            for (c, sums) in units.samples.iter().enumerate() {
                let r = chunk.units.clone();
                for j in 0..b {
                    let draw = j * CHUNK..j * CHUNK + len;
                    let (n, s) = match &small[c] {
                        Some(small) => {
                            let (n, s) = small_assigned_sums(
                                &assigned[draw],
                                &small.rows[r.clone()],
                                &small.sums[r.clone()],
                            );
                            (f64::from(n), f64::from(s))
                        }
                        None => assigned_sums(
                            &assignment[draw],
                            &sums.rows[r.clone()],
                            &sums.sums[r.clone()],
                        ),
                    };
                    let into = &mut acc[j * k + c];
                    into[part] += n;
                    into[2] += s;
                }
            }
        }
        acc.chunks(k)
            .map(|draw| {
                draw.iter()
                    .zip(&units.samples)
                    .map(|([h1, other, s1], sums)| {
                        let n1 = h1 + other;
                        let n0 = (sums.n1 + sums.n0) - n1;
                        let s0 = (sums.s1 + sums.s0) - s1;
                        let h0 = sums.n1 - h1;
                        (n1 > 0.0 && n0 > 0.0).then(|| (s1 / n1 - s0 / n0, h1 / n1 - h0 / n0))
                    })
                    .collect()
            })
            .collect()
    });
    Ok(observed
        .iter()
        .enumerate()
        .map(|(c, t)| RandomizationDistribution {
            estimate: *t,
            draws: per_draw.iter().filter_map(|d| d[c]).collect(),
        })
        .collect())
}

/// One sample's rows and outcome sums per unit as 16-bit integers, when every one is an
/// integer in `0..=i16::MAX` and each of the two totals is below 2⁵³.
///
/// A draw's sums over a chunk are then exact in `i32` (at most [`CHUNK`] · 2¹⁵ < 2³¹), and the
/// floating kernel's sums of the same values are exact too (every partial sum is an integer
/// below 2⁵³), so both give the same bits. The integer kernel multiplies eight units per
/// instruction (`pmaddwd`) and reads a quarter of the bytes.
struct SmallCounts {
    rows: Vec<i16>,
    sums: Vec<i16>,
}

impl SmallCounts {
    fn of(sample: &SampleSums) -> Option<Self> {
        const EXACT: f64 = (1u64 << 53) as f64;
        let small = |values: &[f64]| -> Option<Vec<i16>> {
            let mut total = 0.0;
            let out = values
                .iter()
                .map(|v| {
                    total += v;
                    (v.fract() == 0.0 && (0.0..=f64::from(i16::MAX)).contains(v))
                        .then_some(*v as i16)
                })
                .collect::<Option<Vec<i16>>>()?;
            (total < EXACT).then_some(out)
        };
        Some(Self {
            rows: small(&sample.rows)?,
            sums: small(&sample.sums)?,
        })
    }
}

/// `(Σ a·n, Σ a·s)` over one chunk, exactly, for 0/1 assignments `a` and [`SmallCounts`].
#[inline]
fn small_assigned_sums(a: &[i16], rows: &[i16], sums: &[i16]) -> (i32, i32) {
    debug_assert!(a.len() <= CHUNK);
    // Wrapping operations, which cannot wrap here (see [`SmallCounts`]): with overflow
    // checks (this workspace's profile keeps them) the checked sum would stay scalar.
    let dot = |values: &[i16]| -> i32 {
        a.iter().zip(values).fold(0i32, |total, (a, v)| {
            total.wrapping_add(i32::from(*a).wrapping_mul(i32::from(*v)))
        })
    };
    (dot(rows), dot(sums))
}

/// `(Σ a·n, Σ a·s)` in four interleaved lanes (units by index mod 4) added in a fixed order:
/// `(l0 + l1) + (l2 + l3)`, then the units left over. Lanes 0–1 and 2–3 are one `f64x2`
/// vector each (`wide`); [`assigned_sums_lane_by_lane`] is the same arithmetic on each lane,
/// and the two agree to the bit (tested).
#[inline]
fn assigned_sums(a: &[f64], rows: &[f64], sums: &[f64]) -> (f64, f64) {
    let (a4, a_tail) = a.as_chunks::<4>();
    let (rows4, rows_tail) = rows.as_chunks::<4>();
    let (sums4, sums_tail) = sums.as_chunks::<4>();
    let (mut n, mut s) = ([f64x2::ZERO; 2], [f64x2::ZERO; 2]);
    for ((a, r), y) in a4.iter().zip(rows4).zip(sums4) {
        for half in 0..2 {
            let pair = |x: &[f64; 4]| f64x2::new([x[2 * half], x[2 * half + 1]]);
            let a = pair(a);
            n[half] += a * pair(r);
            s[half] += a * pair(y);
        }
    }
    let total = |[low, high]: [f64x2; 2]| {
        let ([l0, l1], [l2, l3]) = (low.to_array(), high.to_array());
        (l0 + l1) + (l2 + l3)
    };
    add_tail((total(n), total(s)), a_tail, rows_tail, sums_tail)
}

/// `(n, s)` plus the units left over after the groups of four, in order.
#[inline(always)]
fn add_tail((mut n, mut s): (f64, f64), a: &[f64], rows: &[f64], sums: &[f64]) -> (f64, f64) {
    for ((a, r), y) in a.iter().zip(rows).zip(sums) {
        n += a * r;
        s += a * y;
    }
    (n, s)
}

/// [`assigned_sums`] lane by lane: the definition the vector version is tested against.
#[cfg(test)]
fn assigned_sums_lane_by_lane(a: &[f64], rows: &[f64], sums: &[f64]) -> (f64, f64) {
    let (mut n, mut s) = ([0.0f64; 4], [0.0f64; 4]);
    let (a4, rows4, sums4) = (
        a.chunks_exact(4),
        rows.chunks_exact(4),
        sums.chunks_exact(4),
    );
    let tail = (a4.remainder(), rows4.remainder(), sums4.remainder());
    for ((a, r), y) in a4.zip(rows4).zip(sums4) {
        for l in 0..4 {
            n[l] += a[l] * r[l];
            s[l] += a[l] * y[l];
        }
    }
    let lanes = ((n[0] + n[1]) + (n[2] + n[3]), (s[0] + s[1]) + (s[2] + s[3]));
    add_tail(lanes, tail.0, tail.1, tail.2)
}

/// One draw's assignment, unit by unit in order: Bernoulli(p) per unit, or sequential
/// selection sampling of exactly `treated` units (each subset of that size equally likely).
#[derive(Debug, Clone, Copy)]
enum Selection {
    /// A unit is treated when a 32-bit uniform draw is below `threshold = ⌊p·2³²⌋`
    /// (probability within 2⁻³² of `p`); two units per 64-bit draw, or 64 when `p = 1/2`.
    Bernoulli {
        threshold: u64,
    },
    Complete {
        left: usize,
        units_left: usize,
    },
}

impl Selection {
    fn new(design: Design, units: usize) -> Self {
        match design {
            Design::Bernoulli { p } => Selection::Bernoulli {
                threshold: (p.clamp(0.0, 1.0) * 2f64.powi(32)) as u64,
            },
            Design::Complete { treated } => Selection::Complete {
                left: treated.min(units),
                units_left: units,
            },
        }
    }

    /// Fills the next units' assignments (1 treated, 0 control).
    fn fill(&mut self, rng: &mut Pcg64, out: &mut [i16]) {
        let one = i16::from;
        match self {
            Selection::Bernoulli { threshold } if *threshold == 1 << 31 => {
                for block in out.chunks_mut(64) {
                    let bits = rng.random::<u64>();
                    for (i, a) in block.iter_mut().enumerate() {
                        *a = one(bits >> i & 1 == 1);
                    }
                }
            }
            Selection::Bernoulli { threshold } => {
                for pair in out.chunks_mut(2) {
                    let bits = rng.random::<u64>();
                    for (i, a) in pair.iter_mut().enumerate() {
                        *a = one(bits >> (32 * i) & 0xFFFF_FFFF < *threshold);
                    }
                }
            }
            Selection::Complete { left, units_left } => {
                for a in out {
                    let pick = *left > 0 && rng.random_range(0..*units_left) < *left;
                    *left -= usize::from(pick);
                    *units_left -= 1;
                    *a = one(pick);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integer kernel gives the floating kernel's sums, for every length mod 4 and
    /// counts up to the largest 16-bit one.
    #[test]
    fn small_count_sums_are_the_floating_sums() {
        let mut rng = Pcg64::new(23, 24);
        for len in [0, 1, 2, 3, 4, 5, 6, 7, 2047, 2048] {
            for top in [1, 13, i16::MAX] {
                let a: Vec<i16> = (0..len).map(|_| i16::from(rng.random::<bool>())).collect();
                let mut draw =
                    || -> Vec<i16> { (0..len).map(|_| rng.random_range(0..=top)).collect() };
                let (rows, sums) = (draw(), draw());
                let wide = |v: &[i16]| v.iter().map(|x| f64::from(*x)).collect::<Vec<f64>>();
                let (n, s) = small_assigned_sums(&a, &rows, &sums);
                let floating = assigned_sums(&wide(&a), &wide(&rows), &wide(&sums));
                assert_eq!(
                    (f64::from(n).to_bits(), f64::from(s).to_bits()),
                    (floating.0.to_bits(), floating.1.to_bits()),
                    "{len} units up to {top}"
                );
            }
        }
    }

    /// Whole distributions: count outcomes (the integer kernel) give the floating kernel's
    /// draws to the bit, beside a sample with fractional outcomes (the floating kernel), under
    /// both designs and over several chunks of units.
    #[test]
    fn the_integer_kernel_gives_the_floating_kernels_draws() {
        let mut clicks = Sample::default();
        for g in 0..5000u32 {
            let treated = (g * 7) % 5 < 2;
            for j in 0..(1 + g % 3) {
                clicks
                    .y
                    .push(f64::from(u8::from((g * 13 + j * 7) % 11 < 4)));
                clicks.treated.push(treated);
                clicks.cluster.push(g);
            }
        }
        let mut fractional = clicks.clone();
        fractional
            .y
            .iter_mut()
            .enumerate()
            .for_each(|(i, y)| *y += 0.1 * (i % 7) as f64);
        for design in [
            Design::Bernoulli { p: 0.4 },
            Design::Complete { treated: 2000 },
        ] {
            let run =
                |kernels| distributions(&[&clicks, &fractional], design, 40, 9, kernels).unwrap();
            let (fast, floating) = (run(Kernels::Fastest), run(Kernels::Floating));
            assert!(SmallCounts::of(&UnitSums::new(&[&clicks]).unwrap().samples[0]).is_some());
            assert!(SmallCounts::of(&UnitSums::new(&[&fractional]).unwrap().samples[0]).is_none());
            for (f, g) in fast.iter().zip(&floating) {
                let bits = |d: &RandomizationDistribution| {
                    d.draws
                        .iter()
                        .map(|(x, h)| (x.to_bits(), h.to_bits()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(bits(f), bits(g), "{design:?}");
                assert_eq!(f.estimate.to_bits(), g.estimate.to_bits());
            }
        }
    }

    /// The vector sums are the lane-by-lane ones to the bit, for every length mod 4 and outcomes
    /// that are not integers.
    #[test]
    fn vector_assigned_sums_are_the_lane_by_lane_ones_bit_for_bit() {
        let mut rng = Pcg64::new(21, 22);
        for len in [0, 1, 2, 3, 4, 5, 6, 7, 2047, 2048] {
            let a: Vec<f64> = (0..len)
                .map(|_| f64::from(u8::from(rng.random::<bool>())))
                .collect();
            let rows: Vec<f64> = (0..len)
                .map(|_| f64::from(rng.random_range(0..13u8)))
                .collect();
            let sums: Vec<f64> = rows.iter().map(|n| n * rng.random::<f64>()).collect();
            let (x, y) = (
                assigned_sums(&a, &rows, &sums),
                assigned_sums_lane_by_lane(&a, &rows, &sums),
            );
            assert_eq!(
                (x.0.to_bits(), x.1.to_bits()),
                (y.0.to_bits(), y.1.to_bits()),
                "{len} units"
            );
        }
    }

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
    fn testing_tau_equals_the_sharp_null_on_outcomes_shifted_by_tau() {
        let sample = tiny();
        let design = Design::Bernoulli { p: 0.5 };
        let dist = &randomization_distributions(&[&sample], design, 3000, 9).unwrap()[0];
        for tau in [-1.0, 0.0, 0.4, 1.3] {
            let shifted = sample.with_treated_shifted(tau);
            let direct = dist.test(tau);
            let refit = randomization_tests(&[&shifted], design, 3000, 9).unwrap()[0];
            assert_eq!(direct.p_value, refit.p_value, "tau {tau}");
            assert_eq!(direct.valid_draws, refit.valid_draws);
        }
    }

    #[test]
    fn inverted_interval_bounds_are_where_the_p_value_crosses_five_percent() {
        let sample = tiny();
        let dist = &randomization_distributions(&[&sample], Design::Bernoulli { p: 0.5 }, 4000, 2)
            .unwrap()[0];
        let (lower, upper) = dist.interval(0.95);
        let estimate = dist.test(0.0).estimate;
        assert!(
            lower < estimate && estimate < upper,
            "{lower} {estimate} {upper}"
        );
        let eps = 1e-7;
        assert!(dist.test(lower + eps).p_value > 0.05);
        assert!(dist.test(lower - eps).p_value <= 0.05);
        assert!(dist.test(upper - eps).p_value > 0.05);
        assert!(dist.test(upper + eps).p_value <= 0.05);
    }

    #[test]
    fn within_cluster_treatment_variation_is_rejected() {
        let mut sample = tiny();
        sample.treated[1] = !sample.treated[1];
        assert!(randomization_tests(&[&sample], Design::Bernoulli { p: 0.5 }, 10, 1).is_err());
    }
}
