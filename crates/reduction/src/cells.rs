//! The per-slate cell sums from which the item-level contrasts are built without item rows.

use slate_exposure::SlateOutcomes;
use slate_exposure::readiness::DesignFacts;

use crate::columns::Cell;
use crate::truth_cells::TruthCells;

/// Per slate and cell: rows, clicks and (with truth, further outcomes) sums. Indexed
/// `[cell][slate]`, cells in [`Cell::ALL`] order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SlateCells {
    /// Rows per cell and slate: at most a slate's items, which the reduction checks up to
    /// [`MASK_MAX_POSITION`](crate::columns::MASK_MAX_POSITION) (52) only, so a byte (8.34 M slates: 58 MB per cell, not 233).
    pub rows: Vec<Vec<u8>>,
    /// Clicks per cell and slate (0/1 clicks, so also Σ click²): at most the cell's rows.
    pub clicks: Vec<Vec<u8>>,
    /// With truth: the truth views' sums per cell, read from the table when asked for.
    pub truth: Option<TruthCells>,
    /// Per further outcome, in config order.
    pub outcomes: Vec<CellOutcome>,
    /// A log with target positions only: per displacement bucket
    /// ([`DISPLACEMENT_BUCKETS`](crate::columns::DISPLACEMENT_BUCKETS)), the rows and clicks
    /// per slate of the non-focal items pushed down that many places. Without them, every
    /// displaced item is pushed down one place (one focal item promoted to the top).
    pub displacement: Option<Vec<(Vec<u8>, Vec<u8>)>>,
}

/// A further outcome's per-cell sums.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CellOutcome {
    /// The outcome's name in the log.
    pub name: String,
    /// Σ per cell and slate.
    pub sum: Vec<Vec<f64>>,
    /// Σ² per cell and slate.
    pub squares: Vec<Vec<f64>>,
}

impl SlateCells {
    /// The readiness facts of the item rows these cells sum, with `shifted_by_one` the
    /// displaced rows shown where the design places them and `focal_shown_first` whether
    /// the (lead) focal item is shown first, per slate; `target` when the log has target positions (whose promoted
    /// slates the read checked to show the design's ranking), `every_target_top` when every
    /// focal item's target is slot 1.
    pub(crate) fn design_facts(
        &self,
        slates: &SlateOutcomes,
        shifted_by_one: &[u32],
        focal_shown_first: &[bool],
        has_unit_column: bool,
        target: bool,
        every_target_top: bool,
    ) -> DesignFacts {
        let promoted = &slates.promotion_applied;
        let n = promoted.len();
        let rows_of = |cells: &[Cell], arm: bool| -> usize {
            (0..n)
                .filter(|s| promoted[*s] == arm)
                .map(|s| {
                    cells
                        .iter()
                        .map(|c| self.rows[c.index()][s] as usize)
                        .sum::<usize>()
                })
                .sum()
        };
        let displaced = [Cell::SameClusterDisplaced, Cell::OtherDisplaced];
        let same_cluster = [Cell::SameClusterDisplaced, Cell::SameClusterBelow];
        DesignFacts {
            item_rows: slates.slate_size.iter().map(|r| *r as usize).sum(),
            has_unit_column,
            focal_rows: rows_of(&[Cell::Focal], true) + rows_of(&[Cell::Focal], false),
            max_focals_per_slate: slates.n_focals.iter().max().map_or(0, |k| *k as usize),
            every_target_top,
            promoted_focal_rows: rows_of(&[Cell::Focal], true),
            promoted_focal_at_target: if target {
                rows_of(&[Cell::Focal], true)
            } else {
                (0..n)
                    .filter(|s| promoted[*s] && focal_shown_first[*s])
                    .count()
            },
            promoted_displaced_rows: rows_of(&displaced, true),
            promoted_displaced_as_designed: (0..n)
                .filter(|s| promoted[*s])
                .map(|s| shifted_by_one[s] as usize)
                .sum(),
            promoted_same_cluster_rows: rows_of(&same_cluster, true),
            control_same_cluster_rows: rows_of(&same_cluster, false),
            control_lift_max: slates.truth.as_ref().map(|t| {
                (0..n)
                    .filter(|s| !promoted[*s])
                    .map(|s| t.known_lift(s, false).abs())
                    .fold(0.0, f64::max)
            }),
        }
    }
}
