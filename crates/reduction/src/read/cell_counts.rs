//! Per-cell counts held in bytes from the moment they are read, as the cells keep them, while
//! every rule still sees each count as the table wrote it.
//!
//! A valid table's counts fit in a byte (a slate has at most
//! [`MASK_MAX_POSITION`](crate::columns::MASK_MAX_POSITION) rows), but the rules that read them
//! run in the log schema's order, before the counts' own bounds are checked: a broken table may
//! hold a larger count that an earlier rule must report as written. Such a count keeps its
//! value aside, so the reader holds one byte a count (14 a slate for the cells' rows and clicks)
//! instead of four, and the first broken rule reported is the same.

use std::path::Path;

use crate::columns::{Cell, CellStat, cell_column};
use crate::source::bad;

use super::Reader;

/// The count a byte holds when the exact value is kept aside.
const ASIDE: u8 = u8::MAX;

/// Counts of several columns (cells, in [`Cell::ALL`] order, or a bucket's rows and clicks),
/// one per slate each.
#[derive(Debug, Default)]
pub(super) struct CellCounts {
    /// Per column, each slate's count, or [`ASIDE`] for a count of 255 or more.
    bytes: Vec<Vec<u8>>,
    /// Per column, the slates whose count is [`ASIDE`] with their counts, in slate order.
    aside: Vec<Vec<(usize, u32)>>,
}

impl CellCounts {
    /// Adds a column.
    pub(super) fn push(&mut self, counts: &[u32]) {
        let mut aside = Vec::new();
        let bytes = counts
            .iter()
            .enumerate()
            .map(|(s, n)| match u8::try_from(*n) {
                Ok(b) if b < ASIDE => b,
                _ => {
                    aside.push((s, *n));
                    ASIDE
                }
            })
            .collect();
        self.bytes.push(bytes);
        self.aside.push(aside);
    }

    /// Column `c`'s count of slate `s`, as written.
    pub(super) fn get(&self, c: usize, s: usize) -> u32 {
        match self.bytes[c][s] {
            ASIDE => {
                let aside = &self.aside[c];
                let at = aside
                    .binary_search_by_key(&s, |(slate, _)| *slate)
                    .expect("a count held aside is listed");
                aside[at].1
            }
            b => u32::from(b),
        }
    }

    /// The counts as bytes, each checked against its bound `most(self, column, slate)` (a cell has
    /// no more rows than its slate, no more clicks than rows) in column order, then slate
    /// order: the first count above its bound or above a byte names the table, the slate (shown
    /// by `shown`) and the column (`column(c)`).
    pub(super) fn narrow(
        self,
        table: &Path,
        column: impl Fn(usize) -> String,
        most: impl Fn(&CellCounts, usize, usize) -> u32,
        shown: &dyn Fn(usize) -> String,
    ) -> Result<Vec<Vec<u8>>, slate_exposure::ExposureError> {
        for c in 0..self.bytes.len() {
            for s in 0..self.bytes[c].len() {
                let (n, bound) = (self.get(c, s), most(&self, c, s));
                if n > bound || u8::try_from(n).is_err() {
                    return Err(bad(
                        table,
                        &shown(s),
                        &column(c),
                        format!("{n} is more than the {bound} it counts within"),
                    ));
                }
            }
        }
        Ok(self.bytes)
    }
}

impl Reader<'_> {
    /// The cells' counts of statistic `stat`, a column at a time.
    pub(super) fn cell_counts(
        &self,
        stat: CellStat,
    ) -> Result<CellCounts, slate_exposure::ExposureError> {
        let mut counts = CellCounts::default();
        for c in Cell::ALL {
            counts.push(&self.u32s(&cell_column(stat, c))?);
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::CellCounts;

    #[test]
    fn counts_above_a_byte_keep_their_value() {
        let mut counts = CellCounts::default();
        counts.push(&[3, 254, 255, 256, 70_000, 0]);
        counts.push(&[1, 2]);
        let got: Vec<u32> = (0..6).map(|s| counts.get(0, s)).collect();
        assert_eq!(got, [3, 254, 255, 256, 70_000, 0]);
        assert_eq!((counts.get(1, 0), counts.get(1, 1)), (1, 2));
        assert_eq!(counts.aside[0], [(2, 255), (3, 256), (4, 70_000)]);
        assert_eq!(counts.bytes[0], [3, 254, 255, 255, 255, 0]);
    }
}
