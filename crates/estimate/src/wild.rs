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
//! so a replicate costs O(clusters), in one pass: expanding `E*_g²` gives
//! `Σ_{g∈arm} E*_g² = Σ v²U² − 2 m Σ vUn + m² Σ n²` (with `m = T_arm/N_arm`), so each arm needs
//! seven weighted sums of `A_g` and `n_g` (see [`ArmSums`]) and no second pass. With Rademacher
//! weights (`v² = 1`, a sign flip that rounds nothing) three of the seven are the same in every
//! replicate and are summed once (see `SignTerms`), to the same bits. The weights are
//! drawn per randomization unit and shared by every sample ([`wild_bootstraps`]), in blocks of
//! replicates that stream the per-unit data once per block (see `unit_sums`). The p-value is the share of replicates with
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
use wide::f64x2;

use crate::EstimateError;
use crate::dim::{Sample, difference_in_means};
use crate::unit_sums::{CHUNK, SampleSums, UnitSums, in_blocks};

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

impl Replicate {
    /// From the arms' means `m_k = T_k/N_k` of the affine parts (`[control, treated]`) and the
    /// meat's quadratic `[q0, q1, q2]`.
    fn of_arms(m_a: [f64; 2], m_b: [f64; 2], [q0, q1, q2]: [f64; 3]) -> Self {
        Replicate {
            a: m_a[1] - m_a[0],
            b: m_b[1] - m_b[0],
            q0,
            q1,
            q2,
        }
    }
}

/// One arm's sums over its clusters for one replicate, with `A_g = S_g − n_g·ȳ` and weights
/// `v_g`: `[Σ vA, Σ vn, Σ v²A², Σ vAn, Σ v²An, Σ vn², Σ v²n²]`.
type ArmSums = [f64; 7];

/// One cluster's seven terms (see [`ArmSums`]), or a pair of clusters' lane by lane.
#[inline(always)]
fn arm_terms<T>(w: T, n: T, s: T, mean: T) -> [T; 7]
where
    T: Copy + std::ops::Mul<Output = T> + std::ops::Sub<Output = T>,
{
    let wa = w * (s - n * mean);
    let wn = w * n;
    [wa, wn, wa * wa, wa * n, wa * wn, wn * n, wn * wn]
}

/// `out` plus the terms of the odd cluster left over after the pairs, if any.
#[inline(always)]
fn add_tail(mut out: ArmSums, v: &[f64], rows: &[f64], sums: &[f64], mean: f64) -> ArmSums {
    for ((w, n), s) in v.iter().zip(rows).zip(sums) {
        for (total, t) in out.iter_mut().zip(arm_terms(*w, *n, *s, mean)) {
            *total += t;
        }
    }
    out
}

/// The arm sums of clusters `rows`/`sums` (one arm) under weights `v`, in two interleaved
/// lanes (even and odd clusters) added in a fixed order: each lane's seven sums, the two lanes
/// added, then the odd cluster left over. The lanes are one `f64x2` vector per sum (`wide`),
/// so the fourteen accumulators stay in registers; [`arm_sums_lane_by_lane`] is the same
/// arithmetic on each lane, and the two agree to the bit (tested).
#[inline]
fn arm_sums(v: &[f64], rows: &[f64], sums: &[f64], mean: f64) -> ArmSums {
    let (v2, v_tail) = v.as_chunks::<2>();
    let (rows2, rows_tail) = rows.as_chunks::<2>();
    let (sums2, sums_tail) = sums.as_chunks::<2>();
    let m = f64x2::splat(mean);
    let mut lanes = [f64x2::ZERO; 7];
    for ((w, n), s) in v2.iter().zip(rows2).zip(sums2) {
        let terms = arm_terms(f64x2::new(*w), f64x2::new(*n), f64x2::new(*s), m);
        for (lane, t) in lanes.iter_mut().zip(terms) {
            *lane += t;
        }
    }
    let out = lanes.map(|lane| {
        let [even, odd] = lane.to_array();
        even + odd
    });
    add_tail(out, v_tail, rows_tail, sums_tail, mean)
}

/// One chunk of units' terms that do not depend on the weights, for Rademacher signs:
/// `A_g = S_g − n_g·ȳ` (computed as [`arm_terms`] computes it), `A_g·n_g` and `n_g²`.
///
/// With `v_g = ±1` a product with `v_g` only flips a sign, which rounds nothing, so
/// `(vA)² = A²`, `vA·vn = A·n`, `(vn)² = n²`, `vA·n = v·(A·n)` and `vn·n = v·n²` hold to the
/// bit. Three of the seven [`ArmSums`] are then the same in every draw ([`fixed_sums`], summed
/// once), and the other four are `v` times these terms ([`signed_sums`]).
#[derive(Debug, Default)]
struct SignTerms {
    a: Vec<f64>,
    an: Vec<f64>,
    nn: Vec<f64>,
}

impl SignTerms {
    fn fill(&mut self, rows: &[f64], sums: &[f64], mean: f64) {
        for terms in [&mut self.a, &mut self.an, &mut self.nn] {
            terms.resize(rows.len(), 0.0);
        }
        let out = self.a.iter_mut().zip(&mut self.an).zip(&mut self.nn);
        for (((a, an), nn), (n, s)) in out.zip(rows.iter().zip(sums)) {
            *a = s - n * mean;
            *an = *a * n;
            *nn = n * n;
        }
    }
}

/// One arm's draw-dependent sums under Rademacher signs `v`, `[Σ vA, Σ vn, Σ vAn, Σ vn²]`:
/// sums 0, 1, 3 and 5 of [`arm_sums`], to the bit (the same lanes, the same order).
#[inline]
fn signed_sums(v: &[f64], rows: &[f64], terms: &SignTerms) -> [f64; 4] {
    let (v2, v_tail) = v.as_chunks::<2>();
    let (rows2, rows_tail) = rows.as_chunks::<2>();
    let (a2, a_tail) = terms.a.as_chunks::<2>();
    let (an2, an_tail) = terms.an.as_chunks::<2>();
    let (nn2, nn_tail) = terms.nn.as_chunks::<2>();
    let mut lanes = [f64x2::ZERO; 4];
    for ((((w, n), a), an), nn) in v2.iter().zip(rows2).zip(a2).zip(an2).zip(nn2) {
        let w = f64x2::new(*w);
        let terms = [
            w * f64x2::new(*a),
            w * f64x2::new(*n),
            w * f64x2::new(*an),
            w * f64x2::new(*nn),
        ];
        for (lane, t) in lanes.iter_mut().zip(terms) {
            *lane += t;
        }
    }
    let mut out = lanes.map(|lane| {
        let [even, odd] = lane.to_array();
        even + odd
    });
    let tail = v_tail
        .iter()
        .zip(rows_tail)
        .zip(a_tail)
        .zip(an_tail)
        .zip(nn_tail);
    for ((((w, n), a), an), nn) in tail {
        for (total, t) in out.iter_mut().zip([w * a, w * n, w * an, w * nn]) {
            *total += t;
        }
    }
    out
}

/// One arm's sums that Rademacher signs leave unchanged, `[Σ A², Σ An, Σ n²]`: sums 2, 4 and 6
/// of [`arm_sums`] under any signs, to the bit (the same lanes, the same order).
fn fixed_sums(terms: &SignTerms) -> [f64; 3] {
    let (a2, a_tail) = terms.a.as_chunks::<2>();
    let (an2, an_tail) = terms.an.as_chunks::<2>();
    let (nn2, nn_tail) = terms.nn.as_chunks::<2>();
    let mut lanes = [f64x2::ZERO; 3];
    for ((a, an), nn) in a2.iter().zip(an2).zip(nn2) {
        let a = f64x2::new(*a);
        for (lane, t) in lanes
            .iter_mut()
            .zip([a * a, f64x2::new(*an), f64x2::new(*nn)])
        {
            *lane += t;
        }
    }
    let mut out = lanes.map(|lane| {
        let [even, odd] = lane.to_array();
        even + odd
    });
    for ((a, an), nn) in a_tail.iter().zip(an_tail).zip(nn_tail) {
        for (total, t) in out.iter_mut().zip([a * a, *an, *nn]) {
            *total += t;
        }
    }
    out
}

/// [`arm_sums`] lane by lane: the definition the vector version is tested against. (Written
/// this way for the kernel, the compiler paired unrelated sums into its vectors, with shuffles
/// between them: twice the instructions.)
#[cfg(test)]
fn arm_sums_lane_by_lane(v: &[f64], rows: &[f64], sums: &[f64], mean: f64) -> ArmSums {
    let mut lanes = [[0.0f64; 2]; 7];
    let (v2, rows2, sums2) = (
        v.chunks_exact(2),
        rows.chunks_exact(2),
        sums.chunks_exact(2),
    );
    let tail = (v2.remainder(), rows2.remainder(), sums2.remainder());
    for ((v, n), s) in v2.zip(rows2).zip(sums2) {
        for l in 0..2 {
            let t = arm_terms(v[l], n[l], s[l], mean);
            for k in 0..7 {
                lanes[k][l] += t[k];
            }
        }
    }
    add_tail(
        lanes.map(|lane| lane[0] + lane[1]),
        tail.0,
        tail.1,
        tail.2,
        mean,
    )
}

/// What a replicate needs of one sample besides its arm sums.
#[derive(Debug, Clone, Copy)]
struct Restricted {
    /// Overall mean outcome (the restricted intercept at `b0 = 0`).
    mean: f64,
    /// Rows per arm, `[control, treated]`.
    rows: [f64; 2],
    /// `c_k = N_1/N − d_k` per arm: `B_g = n_g·c_k`.
    c: [f64; 2],
    /// `Σ n_g²` per arm.
    squares: [f64; 2],
}

impl Restricted {
    fn of(sums: &SampleSums, units: &UnitSums) -> Self {
        let n = sums.n1 + sums.n0;
        let share = sums.n1 / n;
        let squares =
            |range: std::ops::Range<usize>| -> f64 { sums.rows[range].iter().map(|r| r * r).sum() };
        Self {
            mean: (sums.s1 + sums.s0) / n,
            rows: [sums.n0, sums.n1],
            c: [share, share - 1.0],
            squares: [
                squares(units.treated_units..units.units),
                squares(0..units.treated_units),
            ],
        }
    }

    /// The replicate from its arm sums `[control, treated]`. With `T_k = Σ_{g∈k} v_g U_g` and
    /// `m_k = T_k/N_k`, the refit's cluster residual sums are `E_g = v_g U_g − n_g m_k`, so
    /// `Σ_{g∈k} E_g² = Σ v²U² − 2 m_k Σ vUn + m_k² Σ n²`, and `U_g = A_g + b0·n_g c_k` splits
    /// every sum into the parts of the module docs' quadratic in `b0`.
    fn replicate(&self, arms: &[ArmSums; 2]) -> Replicate {
        let (mut m_a, mut m_b) = ([0.0; 2], [0.0; 2]);
        let (mut q0, mut q1, mut q2) = (0.0, 0.0, 0.0);
        for k in 0..2 {
            let [va, vn, vaa, van, vaan, vnn, vvnn] = arms[k];
            let (n, c, r) = (self.rows[k], self.c[k], self.squares[k]);
            let (ma, mb) = (va / n, c * vn / n);
            let n2 = n * n;
            q0 += (vaa - 2.0 * ma * van + ma * ma * r) / n2;
            q1 += 2.0 * (c * vaan - mb * van - ma * c * vnn + ma * mb * r) / n2;
            q2 += (c * c * vvnn - 2.0 * c * mb * vnn + mb * mb * r) / n2;
            m_a[k] = ma;
            m_b[k] = mb;
        }
        Replicate::of_arms(m_a, m_b, [q0, q1, q2])
    }
}

/// Fills `v` with weights from `rng`: Rademacher signs take one bit each of a 64-bit draw.
fn fill_weights(weights: Weights, rng: &mut Pcg64, v: &mut [f64]) {
    match weights {
        Weights::Rademacher => {
            for block in v.chunks_mut(64) {
                let bits = rng.random::<u64>();
                for (i, w) in block.iter_mut().enumerate() {
                    *w = if bits >> i & 1 == 1 { 1.0 } else { -1.0 };
                }
            }
        }
        Weights::Webb => {
            // Two weights per 64-bit draw: a 32-bit uniform times 6, the high word is the
            // point (Lemire); the rare biased low words (below 2^32 mod 6) draw again.
            const BIASED: u64 = (1 << 32) % 6;
            let point = |x: u64, rng: &mut Pcg64| {
                let mut m = x * 6;
                while m & 0xFFFF_FFFF < BIASED {
                    m = u64::from(rng.random::<u32>()) * 6;
                }
                WEBB[(m >> 32) as usize]
            };
            for pair in v.chunks_mut(2) {
                let bits = rng.random::<u64>();
                for (i, w) in pair.iter_mut().enumerate() {
                    *w = point(bits >> (32 * i) & 0xFFFF_FFFF, rng);
                }
            }
        }
    }
}

/// Webb's six points.
const WEBB: [f64; 6] = [
    -1.224_744_871_391_589,
    -1.0,
    -std::f64::consts::FRAC_1_SQRT_2,
    std::f64::consts::FRAC_1_SQRT_2,
    1.0,
    1.224_744_871_391_589,
];

/// The restricted wild cluster bootstrap of one sample, with its weights drawn once: tests of
/// any null value and the interval by test inversion.
#[derive(Debug, Clone)]
pub struct WildBootstrap {
    estimate: f64,
    cluster_se: f64,
    correction: f64,
    replicates: Vec<Replicate>,
}

/// The wild bootstrap of every sample, sharing the weights: replicate `r` draws one weight per
/// randomization unit from its own stream of `seed`, in the unit order of
/// [`UnitSums`](crate::unit_sums) (treated units first), and every sample uses the weights of
/// its own units. A sample whose `2^G` Rademacher sign vectors are no more than `replicates`
/// enumerates them all instead. Every sample's treatment must be constant within a unit, and
/// across samples.
pub fn wild_bootstraps(
    samples: &[&Sample],
    weights: Weights,
    replicates: usize,
    seed: u64,
) -> Result<Vec<WildBootstrap>, EstimateError> {
    let observed = samples
        .iter()
        .map(|s| difference_in_means(s, "wild cluster bootstrap", "outcome"))
        .collect::<Result<Vec<_>, _>>()?;
    let units = UnitSums::new(samples)?;
    let restricted: Vec<Restricted> = units
        .samples
        .iter()
        .map(|s| Restricted::of(s, &units))
        .collect();
    let enumerated = |s: &SampleSums| {
        let g = s.clusters;
        weights == Weights::Rademacher && g < 63 && (1usize << g) <= replicates
    };
    // Drawn replicates of every sample not enumerated, in one blocked pass over the units.
    let drawn: Vec<usize> = (0..samples.len())
        .filter(|k| !enumerated(&units.samples[*k]))
        .collect();
    // Rademacher signs: each drawn sample's three sums that no draw changes ([`SignTerms`]),
    // per arm, added chunk by chunk in the order a draw adds its own.
    let rademacher = weights == Weights::Rademacher;
    let fixed: Vec<[[f64; 3]; 2]> = if rademacher {
        let mut terms = SignTerms::default();
        drawn
            .iter()
            .map(|k| {
                let sums = &units.samples[*k];
                let mut arms = [[0.0; 3]; 2];
                for chunk in units.chunks() {
                    let r = chunk.units.clone();
                    terms.fill(&sums.rows[r.clone()], &sums.sums[r], restricted[*k].mean);
                    let into = &mut arms[usize::from(chunk.treated)];
                    for (total, x) in into.iter_mut().zip(fixed_sums(&terms)) {
                        *total += x;
                    }
                }
                arms
            })
            .collect()
    } else {
        Vec::new()
    };
    let per_replicate: Vec<Vec<Replicate>> = if drawn.is_empty() {
        Vec::new()
    } else {
        in_blocks(replicates, |range| {
            let b = range.len();
            let mut rngs: Vec<Pcg64> = range
                .map(|r| Pcg64::new((u128::from(seed) << 64) | 0x3D1D, r as u128))
                .collect();
            let mut v = vec![0.0; b * CHUNK];
            let mut acc = vec![[[0.0; 7]; 2]; b * drawn.len()];
            let mut terms = SignTerms::default();
            for chunk in units.chunks() {
                let len = chunk.units.len();
                for (j, rng) in rngs.iter_mut().enumerate() {
                    fill_weights(weights, rng, &mut v[j * CHUNK..j * CHUNK + len]);
                }
                let arm = usize::from(chunk.treated);
                for (d, k) in drawn.iter().enumerate() {
                    let sums = &units.samples[*k];
                    let (rows, totals) = (
                        &sums.rows[chunk.units.clone()],
                        &sums.sums[chunk.units.clone()],
                    );
                    let mean = restricted[*k].mean;
                    if rademacher {
                        terms.fill(rows, totals, mean);
                    }
                    for j in 0..b {
                        let v = &v[j * CHUNK..j * CHUNK + len];
                        let into = &mut acc[j * drawn.len() + d][arm];
                        if rademacher {
                            let [va, vn, van, vnn] = signed_sums(v, rows, &terms);
                            into[0] += va;
                            into[1] += vn;
                            into[3] += van;
                            into[5] += vnn;
                        } else {
                            for (total, x) in into.iter_mut().zip(arm_sums(v, rows, totals, mean)) {
                                *total += x;
                            }
                        }
                    }
                }
            }
            if rademacher {
                for (i, arms) in acc.iter_mut().enumerate() {
                    for (arm, [aa, an, nn]) in arms.iter_mut().zip(fixed[i % drawn.len()]) {
                        arm[2] = aa;
                        arm[4] = an;
                        arm[6] = nn;
                    }
                }
            }
            acc.chunks(drawn.len())
                .map(|arms| {
                    arms.iter()
                        .zip(&drawn)
                        .map(|(arms, k)| restricted[*k].replicate(arms))
                        .collect()
                })
                .collect()
        })
    };
    samples
        .iter()
        .enumerate()
        .map(|(k, sample)| {
            let replicates = match drawn.iter().position(|d| *d == k) {
                Some(d) => per_replicate.iter().map(|r| r[d]).collect(),
                None => enumerate(sample)?,
            };
            let (g, n) = (
                units.samples[k].clusters as f64,
                units.samples[k].n1 + units.samples[k].n0,
            );
            Ok(WildBootstrap {
                estimate: observed[k].estimate,
                cluster_se: observed[k].cluster_se,
                correction: g / (g - 1.0) * (n - 1.0) / (n - 2.0),
                replicates,
            })
        })
        .collect()
}

/// Every Rademacher sign vector over the clusters of `sample`. Each replicate is computed in
/// two passes, centring the cluster residual sums before squaring them: the one-pass sums
/// lose about `ε·t²/G` to cancellation, and with few clusters and a large `|t|` the two sign
/// vectors whose `|t*|` equals `|t|` exactly must not drop out of the count.
fn enumerate(sample: &Sample) -> Result<Vec<Replicate>, EstimateError> {
    let units = UnitSums::new(&[sample])?;
    let sums = &units.samples[0];
    let restricted = Restricted::of(sums, &units);
    let g = units.units;
    let treated = |i: usize| usize::from(i < units.treated_units);
    Ok((0..1usize << g)
        .into_par_iter()
        .map(|mask| {
            let v = |i: usize| if mask >> i & 1 == 1 { 1.0 } else { -1.0 };
            // U_g = A_g + b0·B_g with B_g = n_g·c_k: the arm totals of v·A and v·B.
            let (mut t_a, mut t_b) = ([0.0; 2], [0.0; 2]);
            for i in 0..g {
                let (k, n) = (treated(i), sums.rows[i]);
                t_a[k] += v(i) * (sums.sums[i] - n * restricted.mean);
                t_b[k] += v(i) * n * restricted.c[k];
            }
            let m_a = [0, 1].map(|k| t_a[k] / restricted.rows[k]);
            let m_b = [0, 1].map(|k| t_b[k] / restricted.rows[k]);
            let (mut q0, mut q1, mut q2) = (0.0, 0.0, 0.0);
            for i in 0..g {
                let (k, n) = (treated(i), sums.rows[i]);
                let a = v(i) * (sums.sums[i] - n * restricted.mean);
                let b = v(i) * n * restricted.c[k];
                let e = (a - n * m_a[k]) / restricted.rows[k];
                let f = (b - n * m_b[k]) / restricted.rows[k];
                q0 += e * e;
                q1 += 2.0 * e * f;
                q2 += f * f;
            }
            Replicate::of_arms(m_a, m_b, [q0, q1, q2])
        })
        .collect())
}

impl WildBootstrap {
    /// Draws `replicates` weight vectors (or enumerates all `2^G` Rademacher sign vectors when
    /// that is no more) for `sample` (see [`wild_bootstraps`]).
    pub fn new(
        sample: &Sample,
        weights: Weights,
        replicates: usize,
        seed: u64,
    ) -> Result<Self, EstimateError> {
        let mut one = wild_bootstraps(&[sample], weights, replicates, seed)?;
        Ok(one.remove(0))
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
        let mut draws = vec![0.0; 60_001];
        fill_weights(Weights::Webb, &mut rng, &mut draws);
        for point in WEBB {
            let share = draws.iter().filter(|w| **w == point).count() as f64 / 60_001.0;
            assert!((share - 1.0 / 6.0).abs() < 0.01, "{point}: {share}");
        }
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

    /// The vector arm sums are the lane-by-lane ones to the bit, for even and odd lengths,
    /// weights of both schemes, and outcomes that are not integers.
    #[test]
    fn vector_arm_sums_are_the_lane_by_lane_ones_bit_for_bit() {
        let mut rng = Pcg64::new(11, 12);
        for len in [0, 1, 2, 3, 8, 2047, 2048] {
            for weights in [Weights::Rademacher, Weights::Webb] {
                let mut v = vec![0.0; len];
                fill_weights(weights, &mut rng, &mut v);
                let rows: Vec<f64> = (0..len)
                    .map(|_| f64::from(rng.random_range(0..13u8)))
                    .collect();
                let sums: Vec<f64> = rows.iter().map(|n| n * rng.random::<f64>()).collect();
                let mean = rng.random::<f64>();
                let (a, b) = (
                    arm_sums(&v, &rows, &sums, mean),
                    arm_sums_lane_by_lane(&v, &rows, &sums, mean),
                );
                assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{len} clusters");
            }
        }
    }

    /// Under Rademacher signs, the four signed sums and the three fixed ones are the seven arm
    /// sums to the bit, for even and odd lengths, units without rows, and outcomes that are
    /// not integers.
    #[test]
    fn rademacher_sums_are_the_seven_arm_sums_bit_for_bit() {
        let mut rng = Pcg64::new(13, 14);
        let mut terms = SignTerms::default();
        for len in [0, 1, 2, 3, 8, 2047, 2048] {
            let mut v = vec![0.0; len];
            fill_weights(Weights::Rademacher, &mut rng, &mut v);
            let rows: Vec<f64> = (0..len)
                .map(|_| f64::from(rng.random_range(0..13u8)))
                .collect();
            let sums: Vec<f64> = rows.iter().map(|n| n * rng.random::<f64>()).collect();
            let mean = rng.random::<f64>();
            terms.fill(&rows, &sums, mean);
            let [va, vn, van, vnn] = signed_sums(&v, &rows, &terms);
            let [aa, an, nn] = fixed_sums(&terms);
            assert_eq!(
                [va, vn, aa, van, an, vnn, nn].map(f64::to_bits),
                arm_sums(&v, &rows, &sums, mean).map(f64::to_bits),
                "{len} clusters"
            );
        }
    }

    /// Drawn replicates over several chunks of units equal those of the seven arm sums added
    /// chunk by chunk, draw by draw (the kernel before the Rademacher split), to the bit.
    #[test]
    fn drawn_replicates_are_the_seven_sum_kernels_bit_for_bit() {
        let mut sample = Sample::default();
        for g in 0..5000u32 {
            let treated = (g * 7) % 5 < 2;
            for j in 0..(1 + g % 3) {
                sample
                    .y
                    .push(f64::from((g * 13 + j * 7) % 11) / 5.0 + f64::from(u8::from(treated)));
                sample.treated.push(treated);
                sample.cluster.push(g);
            }
        }
        let (replicates, seed) = (20, 5);
        let units = UnitSums::new(&[&sample]).unwrap();
        let sums = &units.samples[0];
        let restricted = Restricted::of(sums, &units);
        for weights in [Weights::Rademacher, Weights::Webb] {
            let drawn = WildBootstrap::new(&sample, weights, replicates, seed).unwrap();
            for (r, got) in drawn.replicates.iter().enumerate() {
                let mut rng = Pcg64::new((u128::from(seed) << 64) | 0x3D1D, r as u128);
                let mut arms = [[0.0; 7]; 2];
                for chunk in units.chunks() {
                    let range = chunk.units.clone();
                    let mut v = vec![0.0; range.len()];
                    fill_weights(weights, &mut rng, &mut v);
                    let part = arm_sums(
                        &v,
                        &sums.rows[range.clone()],
                        &sums.sums[range],
                        restricted.mean,
                    );
                    let into = &mut arms[usize::from(chunk.treated)];
                    for (total, x) in into.iter_mut().zip(part) {
                        *total += x;
                    }
                }
                let want = restricted.replicate(&arms);
                let bits = |x: &Replicate| [x.a, x.b, x.q0, x.q1, x.q2].map(f64::to_bits);
                assert_eq!(bits(got), bits(&want), "{weights:?} replicate {r}");
            }
        }
    }

    /// The one-pass replicate (sums expanded in `b0`) against a refit: build `y*` from the
    /// restricted residuals and Webb weights, re-estimate with CR1, and compare `t*`.
    #[test]
    fn one_pass_replicate_equals_a_refit_of_the_bootstrap_outcomes() {
        let sample = forty_slates();
        let units = UnitSums::new(&[&sample]).unwrap();
        let restricted = Restricted::of(&units.samples[0], &units);
        // The layout: treated cluster ids first, each arm in id order.
        let mut ids: Vec<(bool, u32)> = sample
            .cluster
            .iter()
            .zip(&sample.treated)
            .map(|(g, d)| (!*d, *g))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut rng = Pcg64::new(3, 4);
        let mut v = vec![0.0; units.units];
        fill_weights(Weights::Webb, &mut rng, &mut v);
        let sums = &units.samples[0];
        let split = units.treated_units;
        let arm = |r: std::ops::Range<usize>| {
            arm_sums(
                &v[r.clone()],
                &sums.rows[r.clone()],
                &sums.sums[r],
                restricted.mean,
            )
        };
        let replicate = restricted.replicate(&[arm(split..units.units), arm(0..split)]);
        let g = units.units as f64;
        let n = sample.y.len() as f64;
        let correction = g / (g - 1.0) * (n - 1.0) / (n - 2.0);
        for b0 in [0.0, 0.3, -1.1] {
            let d = |i: usize| if sample.treated[i] { 1.0 } else { 0.0 };
            let alpha = (0..sample.y.len())
                .map(|i| sample.y[i] - b0 * d(i))
                .sum::<f64>()
                / n;
            let mut star = sample.clone();
            for i in 0..sample.y.len() {
                let slot = ids
                    .iter()
                    .position(|id| *id == (!sample.treated[i], sample.cluster[i]))
                    .unwrap();
                let u = sample.y[i] - b0 * d(i) - alpha;
                star.y[i] = alpha + b0 * d(i) + v[slot] * u;
            }
            let refit = difference_in_means(&star, "c", "o").unwrap();
            let t_refit = (refit.estimate - b0) / refit.cluster_se;
            let meat = replicate.q0 + b0 * (replicate.q1 + b0 * replicate.q2);
            let t_pass = (replicate.a + replicate.b * b0) / (correction * meat).sqrt();
            assert!(
                (t_refit - t_pass).abs() < 1e-9 * t_refit.abs().max(1.0),
                "b0 {b0}: refit {t_refit}, one pass {t_pass}"
            );
        }
    }

    /// Samples over the same units share the weights: each sample's bootstrap is the one it
    /// gets alone.
    #[test]
    fn shared_weights_give_each_sample_its_own_bootstrap() {
        let a = forty_slates();
        let mut b = a.clone();
        b.y.iter_mut()
            .enumerate()
            .for_each(|(i, y)| *y = (*y * 3.0 + i as f64).sin());
        for weights in [Weights::Rademacher, Weights::Webb] {
            let both = wild_bootstraps(&[&a, &b], weights, 199, 8).unwrap();
            for (sample, shared) in [&a, &b].iter().zip(&both) {
                let alone = WildBootstrap::new(sample, weights, 199, 8).unwrap();
                assert_eq!(shared.interval(0.95), alone.interval(0.95));
                assert_eq!(shared.test(0.2), alone.test(0.2));
            }
        }
    }

    /// Six clusters and an effect about five hundred times the noise: of the 64 sign vectors,
    /// the two constant ones give `|t*| = |t|` (no other comes close), so p = 2/64. The
    /// one-pass sums lose about 1e-11 of the meat here, beyond the ties' 1e-12 tolerance.
    #[test]
    fn few_clusters_and_a_huge_t_count_the_constant_sign_vectors() {
        let mut sample = Sample::default();
        for g in 0..6u32 {
            for j in 0..3u32 {
                let d = g < 3;
                sample
                    .y
                    .push(if d { 100.0 } else { 0.0 } + f64::from((g * 5 + j * 3) % 7) * 0.1);
                sample.treated.push(d);
                sample.cluster.push(g);
            }
        }
        let boot = WildBootstrap::new(&sample, Weights::Rademacher, 999, 1).unwrap();
        let test = boot.test(0.0);
        assert!(test.t.abs() > 100.0, "{}", test.t);
        assert_eq!(test.replicates, 64);
        assert_eq!(test.p_value, 2.0 / 64.0);
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
