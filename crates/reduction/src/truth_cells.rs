//! The truth views' per-cell sums of a per-slate table, read from the table when a view is
//! asked for instead of held with the rest of the cells.
//!
//! The expected-click view needs, per cell and slate, the click-probability sum in the slate's
//! own arm and the sum of its square; the known-lift view, per cell and promoted slate, the sum
//! of the lift (if promoted − if control) and of its square. Held for every cell at once that
//! is 170 bytes per slate (1.4 GB at 8.34 million slates), more than the rest of the cells and
//! outcomes together, for tables that read them for a few seconds. So [`TruthCells`] keeps the
//! table's location and reads a view's cells when [`TruthCells::columns`] asks for them. The
//! cells read stay shared, for the next caller asking for the same view, until a caller asks
//! for the other view or [`TruthCells::release`] is called: callers that compute a view's
//! tables one after another read each cell once.

use std::sync::{Arc, Mutex, PoisonError};

use slate_exposure::ExposureError;

use crate::columns::{Cell, CellStat, cell_column};
use crate::source::ColumnSource;

/// A truth view of the cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruthView {
    /// Σ click probability in the slate's own arm, and Σ of its square.
    Expected,
    /// Σ (if promoted − if control) and Σ of its square: zero on a control slate.
    KnownLift,
}

/// One cell's sums under one view: per slate (expected clicks), or per promoted slate in
/// slate order (known lift).
#[derive(Debug)]
struct CellSums {
    sum: Vec<f64>,
    squares: Vec<f64>,
}

/// The cells read for the last view asked for.
#[derive(Debug, Default)]
struct Cached {
    view: Option<TruthView>,
    cells: [Option<Arc<CellSums>>; Cell::ALL.len()],
}

/// The truth sums of a per-slate table's cells, read from the table per view (see the module
/// documentation). Clones share what has been read.
#[derive(Debug, Clone)]
pub struct TruthCells {
    source: Arc<ColumnSource>,
    /// Each slate's place among the promoted slates; [`TruthCells::CONTROL`] on a control
    /// slate.
    promoted_rank: Arc<Vec<u32>>,
    cached: Arc<Mutex<Cached>>,
}

impl PartialEq for TruthCells {
    /// The same table, read for the same arms.
    fn eq(&self, other: &Self) -> bool {
        self.source.path == other.source.path && self.promoted_rank == other.promoted_rank
    }
}

impl TruthCells {
    /// The rank of a control slate.
    const CONTROL: u32 = u32::MAX;

    /// The truth cells of the table `source` reads, for slates in arms `promoted`.
    pub(crate) fn new(source: ColumnSource, promoted: &[bool]) -> TruthCells {
        let mut next = 0u32;
        let promoted_rank = promoted
            .iter()
            .map(|p| {
                if *p {
                    next += 1;
                    next - 1
                } else {
                    Self::CONTROL
                }
            })
            .collect();
        TruthCells {
            source: Arc::new(source),
            promoted_rank: Arc::new(promoted_rank),
            cached: Arc::default(),
        }
    }

    /// The sums of `view` over each of `cells`, read from the table unless the last view
    /// asked for was the same and read them already. Asking for the other view lets go of
    /// the cells read for this one (they are freed once no [`TruthColumns`] holds them).
    ///
    /// The table is read without the lock held (polars reads on the rayon pool, whose workers
    /// may run another caller meanwhile); two callers missing the same cell at once both
    /// read it and the first one's is kept. Callers about to ask in parallel read the cells
    /// once beforehand.
    pub fn columns(&self, view: TruthView, cells: &[Cell]) -> Result<TruthColumns, ExposureError> {
        let columns = cells
            .iter()
            .map(|cell| {
                let c = cell.index();
                let cached = {
                    let mut cached = self.lock();
                    if cached.view != Some(view) {
                        *cached = Cached {
                            view: Some(view),
                            ..Cached::default()
                        };
                    }
                    cached.cells[c].clone()
                };
                if let Some(sums) = cached {
                    return Ok(sums);
                }
                let sums = Arc::new(self.read(view, *cell)?);
                let mut cached = self.lock();
                if cached.view != Some(view) {
                    return Ok(sums); // another view was asked for meanwhile
                }
                Ok(Arc::clone(cached.cells[c].get_or_insert(sums)))
            })
            .collect::<Result<_, ExposureError>>()?;
        Ok(TruthColumns {
            view,
            columns,
            promoted_rank: Arc::clone(&self.promoted_rank),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets go of the cells read so far (they are freed once no [`TruthColumns`] holds them).
    pub fn release(&self) {
        *self.lock() = Cached::default();
    }

    /// Cell `cell`'s sums under `view`, from the table.
    fn read(&self, view: TruthView, cell: Cell) -> Result<CellSums, ExposureError> {
        let column = |stat: CellStat| self.source.f64s(&cell_column(stat, cell));
        let ranks = &self.promoted_rank;
        match view {
            TruthView::Expected => {
                let in_arm = |promoted: Vec<f64>, control: Vec<f64>| -> Vec<f64> {
                    ranks
                        .iter()
                        .zip(promoted.into_iter().zip(control))
                        .map(|(rank, (p, q))| if *rank == Self::CONTROL { q } else { p })
                        .collect()
                };
                let sum = in_arm(column(CellStat::IfPromoted)?, column(CellStat::IfControl)?);
                let squares = in_arm(
                    column(CellStat::IfPromotedSquared)?,
                    column(CellStat::IfControlSquared)?,
                );
                Ok(CellSums { sum, squares })
            }
            TruthView::KnownLift => {
                let on_promoted = |values: &[f64]| -> Vec<f64> {
                    ranks
                        .iter()
                        .zip(values)
                        .filter(|(rank, _)| **rank != Self::CONTROL)
                        .map(|(_, v)| *v)
                        .collect()
                };
                let (p, q) = (column(CellStat::IfPromoted)?, column(CellStat::IfControl)?);
                let lift: Vec<f64> = p.iter().zip(&q).map(|(p, q)| p - q).collect();
                drop((p, q));
                Ok(CellSums {
                    sum: on_promoted(&lift),
                    squares: on_promoted(&column(CellStat::LiftSquared)?),
                })
            }
        }
    }
}

/// One view's sums over the cells a caller asked for, in the order it gave them.
#[derive(Debug, Clone)]
pub struct TruthColumns {
    view: TruthView,
    columns: Vec<Arc<CellSums>>,
    promoted_rank: Arc<Vec<u32>>,
}

impl TruthColumns {
    /// Σ and Σ² of the view over the `k`-th cell asked for, of slate `s` (the known lift: zero
    /// on a control slate).
    #[inline]
    pub fn get(&self, k: usize, s: usize) -> (f64, f64) {
        let sums = &self.columns[k];
        let at = match self.view {
            TruthView::Expected => s,
            TruthView::KnownLift => match self.promoted_rank[s] {
                TruthCells::CONTROL => return (0.0, 0.0),
                rank => rank as usize,
            },
        };
        (sums.sum[at], sums.squares[at])
    }
}

#[cfg(test)]
mod tests {
    use slate_table::polars::prelude::*;

    use super::*;

    /// Three slates (promoted, control, promoted) whose cell `Cell::ALL[2]` sums are offset
    /// by 10 per statistic, in a parquet file.
    fn table(dir: &std::path::Path) -> ColumnSource {
        let cell = Cell::ALL[2];
        let stats = [
            CellStat::IfPromoted,
            CellStat::IfControl,
            CellStat::IfPromotedSquared,
            CellStat::IfControlSquared,
            CellStat::LiftSquared,
        ];
        let columns: Vec<Column> = stats
            .iter()
            .enumerate()
            .map(|(k, stat)| {
                let values: Vec<f64> = (0..3).map(|s| 200.0 + 10.0 * k as f64 + s as f64).collect();
                Column::new(cell_column(*stat, cell).into(), values)
            })
            .collect();
        let mut frame = DataFrame::new(3, columns).unwrap();
        let path = dir.join("stats.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        ColumnSource::of_file(&path)
    }

    #[test]
    fn each_slate_reads_its_own_arm_and_the_lift_only_when_promoted() {
        let dir = tempfile::tempdir().unwrap();
        let truth = TruthCells::new(table(dir.path()), &[true, false, true]);
        let cell = Cell::ALL[2];
        let expected = truth.columns(TruthView::Expected, &[cell]).unwrap();
        // Promoted slates: the if-promoted sums (200 + s, 220 + s); control: if-control.
        assert_eq!(expected.get(0, 0), (200.0, 220.0));
        assert_eq!(expected.get(0, 1), (211.0, 231.0));
        assert_eq!(expected.get(0, 2), (202.0, 222.0));
        let lift = truth.columns(TruthView::KnownLift, &[cell]).unwrap();
        // (if promoted − if control, Σ lift²); zero on control.
        assert_eq!(lift.get(0, 0), (-10.0, 240.0));
        assert_eq!(lift.get(0, 1), (0.0, 0.0));
        assert_eq!(lift.get(0, 2), (-10.0, 242.0));
        assert_eq!(
            lift.columns[0].sum.len(),
            2,
            "only promoted slates hold the lift"
        );
    }

    #[test]
    fn a_view_is_read_once_until_the_other_view_or_a_release() {
        let dir = tempfile::tempdir().unwrap();
        let truth = TruthCells::new(table(dir.path()), &[true, false, true]);
        let cell = Cell::ALL[2];
        let read = |view| truth.columns(view, &[cell]).unwrap().columns[0].clone();
        let first = read(TruthView::Expected);
        assert!(Arc::ptr_eq(&first, &read(TruthView::Expected)), "shared");
        let lift = read(TruthView::KnownLift);
        assert!(
            !Arc::ptr_eq(&first, &read(TruthView::Expected)),
            "read again"
        );
        assert_eq!(
            Arc::strong_count(&lift),
            1,
            "the other view let go of its cells"
        );
        truth.release();
        assert_eq!(Arc::strong_count(&first), 1);
        // A clone shares the cells read.
        let copy = truth.clone();
        let again = read(TruthView::Expected);
        assert!(Arc::ptr_eq(
            &again,
            &copy.columns(TruthView::Expected, &[cell]).unwrap().columns[0]
        ));
    }

    #[test]
    fn a_missing_column_is_an_error_naming_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let truth = TruthCells::new(table(dir.path()), &[true, false, true]);
        let error = truth
            .columns(TruthView::Expected, &[Cell::Focal])
            .unwrap_err()
            .to_string();
        assert!(error.contains("stats.parquet"), "{error}");
    }
}
