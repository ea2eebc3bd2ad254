//! Per-unit totals shared by the resampling methods that re-draw one number per randomization
//! unit: the restricted wild cluster bootstrap (a weight per unit) and randomization inference
//! (an assignment per unit).
//!
//! **Layout.** Units are laid out arm by arm: the treated units first, then the control units,
//! each arm in ascending id order. Every sample has one row count and one outcome sum per
//! unit, zero where it has no rows of the unit (a zero adds nothing to any sum), so one draw
//! serves every sample.
//!
//! **Blocked draws.** Draw `r` fills its value for each unit from its own `Pcg64` stream, in
//! unit order. A block of [`BLOCK`] draws walks the units [`CHUNK`] at a time: each draw of the
//! block fills its values for the chunk, then every sample's sums of the chunk are added to
//! every draw's accumulators. The per-unit data thus stream from memory once per block
//! instead of once per draw (the pass is memory-bound at millions of units). A draw's sums run
//! in a fixed order that depends on neither the block nor the thread that ran it, so results
//! are identical whatever the number of threads.

use std::ops::Range;

use rayon::prelude::*;

use crate::EstimateError;
use crate::dim::{ClusterIndex, Sample};

/// Units per chunk: a block's draws for one chunk stay in L1/L2 cache.
pub(crate) const CHUNK: usize = 2048;

/// Draws per block.
pub(crate) const BLOCK: usize = 8;

/// One sample's totals per unit, in the arm-by-arm layout.
#[derive(Debug, Clone)]
pub(crate) struct SampleSums {
    /// Rows per unit (0 where the sample has none of the unit's rows).
    pub(crate) rows: Vec<f64>,
    /// Outcome sum per unit.
    pub(crate) sums: Vec<f64>,
    /// Units with rows in this sample.
    pub(crate) clusters: usize,
    /// Treated rows.
    pub(crate) n1: f64,
    /// Control rows.
    pub(crate) n0: f64,
    /// Outcome sum of the treated rows.
    pub(crate) s1: f64,
    /// Outcome sum of the control rows.
    pub(crate) s0: f64,
}

/// Every sample's totals per unit (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct UnitSums {
    /// Units: `0..treated_units` are treated, the rest control.
    pub(crate) units: usize,
    /// Treated units.
    pub(crate) treated_units: usize,
    /// One entry per input sample.
    pub(crate) samples: Vec<SampleSums>,
}

/// A run of units of one arm.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    /// The units.
    pub(crate) units: Range<usize>,
    /// Whether they are treated.
    pub(crate) treated: bool,
}

impl UnitSums {
    /// Totals of every sample per unit. A unit treated in one row and control in another (of
    /// any sample) is an error: the unit must be the randomized one.
    pub(crate) fn new(samples: &[&Sample]) -> Result<Self, EstimateError> {
        let index = ClusterIndex::new(samples.iter().flat_map(|s| s.cluster.iter().copied()));
        let g = index.len();
        // Each unit's arm first, so that its sums go straight to their place in the layout
        // (no per-slot copy to reorder): the same additions in the same order, the same bits.
        let mut arm: Vec<Option<bool>> = vec![None; g];
        for sample in samples {
            for (d, id) in sample.treated.iter().zip(&sample.cluster) {
                let slot = index.slot(*id);
                match arm[slot] {
                    Some(a) if a != *d => {
                        return Err(EstimateError::MixedClusterAssignment { cluster: *id });
                    }
                    _ => arm[slot] = Some(*d),
                }
            }
        }
        let treated = |slot: &usize| arm[*slot] == Some(true);
        let treated_units = arm.iter().filter(|a| **a == Some(true)).count();
        // place[slot]: the unit's position, treated units first, each arm in slot order.
        let mut place = vec![0u32; g];
        let (mut next_treated, mut next_control) = (0u32, treated_units as u32);
        for (slot, place) in place.iter_mut().enumerate() {
            let next = if treated(&slot) {
                &mut next_treated
            } else {
                &mut next_control
            };
            *place = *next;
            *next += 1;
        }
        let samples = samples
            .iter()
            .map(|sample| {
                let (mut rows, mut sums) = (vec![0f64; g], vec![0f64; g]);
                for (n, y, _, id) in sample.entries() {
                    let at = place[index.slot(id)] as usize;
                    rows[at] += n;
                    sums[at] += y;
                }
                let (treated, control) = (0..treated_units, treated_units..g);
                SampleSums {
                    clusters: rows.iter().filter(|n| **n > 0.0).count(),
                    n1: rows[treated.clone()].iter().sum(),
                    n0: rows[control.clone()].iter().sum(),
                    s1: sums[treated].iter().sum(),
                    s0: sums[control].iter().sum(),
                    rows,
                    sums,
                }
            })
            .collect();
        Ok(Self {
            units: g,
            treated_units,
            samples,
        })
    }

    /// The units in chunks of at most [`CHUNK`], each within one arm, in unit order.
    pub(crate) fn chunks(&self) -> impl Iterator<Item = Chunk> + '_ {
        let arm = |units: Range<usize>, treated: bool| {
            units.clone().step_by(CHUNK).map(move |start| Chunk {
                units: start..(start + CHUNK).min(units.end),
                treated,
            })
        };
        arm(0..self.treated_units, true).chain(arm(self.treated_units..self.units, false))
    }
}

/// Runs `draws` draws in blocks of [`BLOCK`] on rayon's pool: `block` gets a range of draw
/// numbers and returns one result per draw. Results come back in draw order.
pub(crate) fn in_blocks<T: Send>(
    draws: usize,
    block: impl Fn(Range<usize>) -> Vec<T> + Sync,
) -> Vec<T> {
    in_blocks_with(draws, || (), |_, range| block(range))
}

/// [`in_blocks`] with a scratch value made by `init` once per rayon job and handed to every
/// block the job runs (a buffer reused instead of allocated, and page-faulted, per block).
pub(crate) fn in_blocks_with<S, T: Send>(
    draws: usize,
    init: impl Fn() -> S + Sync + Send,
    block: impl Fn(&mut S, Range<usize>) -> Vec<T> + Sync + Send,
) -> Vec<T> {
    let starts: Vec<usize> = (0..draws).step_by(BLOCK).collect();
    starts
        .into_par_iter()
        .map_init(init, |scratch, start| {
            block(scratch, start..(start + BLOCK).min(draws))
        })
        .flatten_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_laid_out_treated_first_with_zeros_where_a_sample_has_no_rows() {
        let a = Sample {
            y: vec![1.0, 2.0, 3.0, 4.0],
            treated: vec![false, true, true, false],
            cluster: vec![7, 3, 3, 9],
            ..Sample::default()
        };
        let b = Sample {
            y: vec![5.0],
            treated: vec![false],
            cluster: vec![1],
            ..Sample::default()
        };
        let sums = UnitSums::new(&[&a, &b]).unwrap();
        // Units 1, 3, 7, 9: 3 is treated, then 1, 7, 9 in id order.
        assert_eq!(sums.units, 4);
        assert_eq!(sums.treated_units, 1);
        assert_eq!(sums.samples[0].rows, vec![2.0, 0.0, 1.0, 1.0]);
        assert_eq!(sums.samples[0].sums, vec![5.0, 0.0, 1.0, 4.0]);
        assert_eq!(sums.samples[1].rows, vec![0.0, 1.0, 0.0, 0.0]);
        assert_eq!(sums.samples[0].clusters, 3);
        assert_eq!(sums.samples[1].clusters, 1);
        assert_eq!((sums.samples[0].n1, sums.samples[0].n0), (2.0, 2.0));
        assert_eq!((sums.samples[0].s1, sums.samples[0].s0), (5.0, 5.0));
        let chunks: Vec<(Range<usize>, bool)> =
            sums.chunks().map(|c| (c.units, c.treated)).collect();
        assert_eq!(chunks, vec![(0..1, true), (1..4, false)]);
    }

    #[test]
    fn a_unit_in_both_arms_is_rejected() {
        let a = Sample {
            y: vec![1.0],
            treated: vec![true],
            cluster: vec![2],
            ..Sample::default()
        };
        let b = Sample {
            treated: vec![false],
            ..a.clone()
        };
        assert!(matches!(
            UnitSums::new(&[&a, &b]),
            Err(EstimateError::MixedClusterAssignment { cluster: 2 })
        ));
    }

    #[test]
    fn blocks_keep_draw_order() {
        let draws = in_blocks(21, |range| range.map(|r| r * 2).collect());
        assert_eq!(draws, (0..21).map(|r| r * 2).collect::<Vec<_>>());
    }
}
