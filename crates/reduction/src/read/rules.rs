//! The rules of the design checked on a slate's aggregates: each slate's rows, roles, arm and
//! positions, the arm constant within a unit with two units in each arm, and the assignment
//! probability. A broken rule is an error naming the file, the slate and the column.

use slate_exposure::ExposureError;
use slate_log::LogColumn;
use slate_log::ids::RawIds;

use super::{Counts, Ids, Reader, Units, Varies};
use crate::columns::{Cell, CellStat, Fact, MASK_MAX_POSITION, cell_column};
use crate::source::bad;

impl Reader<'_> {
    /// Every slate-level rule of the log, on its aggregates. The columns read for the rules
    /// alone are dropped on return, before the truth cells are read.
    pub(super) fn check_slates(
        &self,
        ids: &Ids,
        counts: &Counts,
        varies: Varies,
    ) -> Result<(), ExposureError> {
        let Counts {
            rows,
            cell_rows,
            promoted_max,
            focal_shown,
            ..
        } = counts;
        let focal = Cell::Focal.index();
        let null_rows = self.u32s(Fact::NullRows.name())?;
        let first_null = self.i64s(Fact::FirstNullColumn.name())?;
        let read_columns = self.shape.read_columns();
        // A log with target positions: its design's checks.
        let design = if self.shape.target {
            Some((
                self.u32s(Fact::BadTargets.name())?,
                self.u32s(Fact::DistinctTargets.name())?,
                self.u32s(Fact::OffDesignRows.name())?,
            ))
        } else {
            None
        };
        let bad_clicks = self.u32s(Fact::BadClicks.name())?;
        let bad_flags = self.u32s(Fact::BadFlags.name())?;
        let distinct_items = self.u32s(Fact::DistinctItems.name())?;
        let promoted_min = self.i64s(Fact::PromotedMin.name())?;
        let positions = [
            (
                LogColumn::SeedPosition,
                self.i64s(Fact::SeedMin.name())?,
                self.i64s(Fact::SeedMax.name())?,
                self.i64s(Fact::SeedMask.name())?,
            ),
            (
                LogColumn::ShownPosition,
                self.i64s(Fact::ShownMin.name())?,
                self.i64s(Fact::ShownMax.name())?,
                self.i64s(Fact::ShownMask.name())?,
            ),
        ];
        for s in 0..self.n {
            let fail = |column: &str, reason: String| {
                Err(bad(&self.source.path, &ids.shown(s), column, reason))
            };
            if null_rows[s] > 0 {
                // The column as the reduction reads it: its canonical name.
                let column = usize::try_from(first_null[s])
                    .ok()
                    .and_then(|i| read_columns.get(i))
                    .map_or("(any)", |c| self.shape.canonical_name(c));
                return fail(column, format!("{} rows with a null value", null_rows[s]));
            }
            if bad_clicks[s] > 0 {
                return fail(
                    LogColumn::Click.name(),
                    format!("{} clicks that are not 0 or 1", bad_clicks[s]),
                );
            }
            if bad_flags[s] > 0 {
                return fail(
                    LogColumn::IsFocal.name(),
                    format!(
                        "{} rows whose is_focal or promoted is not 0/1 (false/true)",
                        bad_flags[s]
                    ),
                );
            }
            if rows[s] > MASK_MAX_POSITION {
                return fail(
                    LogColumn::SeedPosition.name(),
                    format!(
                        "{} items; the per-slate reduction checks positions of slates up to {MASK_MAX_POSITION} items",
                        rows[s]
                    ),
                );
            }
            if self.shape.target && cell_rows.get(focal, s) == 0 {
                return fail(
                    LogColumn::IsFocal.name(),
                    "no focal row in the slate, expected at least 1".into(),
                );
            }
            if !self.shape.target && cell_rows.get(focal, s) != 1 {
                // k focal rows each join the focal facts k times, so the count is k²: say
                // which rule broke, not the count.
                let found = if cell_rows.get(focal, s) == 0 {
                    "no focal row"
                } else {
                    "more than one focal row"
                };
                return fail(
                    LogColumn::IsFocal.name(),
                    format!(
                        "{found} in the slate, expected exactly 1 (a log with several focal items per slate gives each its slot in a `{}` column)",
                        LogColumn::TargetPosition.name()
                    ),
                );
            }
            // In 64 bits: a broken table's counts must not overflow before they are reported.
            let in_cells: u64 = Cell::PARTITION
                .iter()
                .map(|c| u64::from(cell_rows.get(c.index(), s)))
                .sum();
            let slate_rows = u64::from(rows[s]);
            // Cells that count more rows than the slate has (only a table another engine
            // wrote, or an edited one): named by the cell whose count goes past them.
            if in_cells > slate_rows {
                let mut so_far = 0u64;
                let past = Cell::PARTITION
                    .into_iter()
                    .find(|c| {
                        so_far += u64::from(cell_rows.get(c.index(), s));
                        so_far > slate_rows
                    })
                    .expect("the partition's counts add up past the slate's rows");
                return fail(
                    &cell_column(CellStat::Rows, past),
                    format!(
                        "the exposure cells count {in_cells} rows ({} in this one), more than the slate's {}",
                        cell_rows.get(past.index(), s),
                        rows[s]
                    ),
                );
            }
            // With target positions, a broken design leaves rows out of every cell: the
            // design's own checks below name it first.
            if in_cells != slate_rows && design.is_none() {
                return fail(
                    LogColumn::SeedPosition.name(),
                    format!(
                        "{} rows in no exposure role (a non-focal row at the focal's seed position)",
                        slate_rows - in_cells
                    ),
                );
            }
            if promoted_min[s] != promoted_max[s] {
                return fail(
                    LogColumn::Promoted.name(),
                    "promoted varies within the slate".into(),
                );
            }
            if varies.unit[s] {
                return fail(
                    LogColumn::UnitId.name(),
                    "unit_id varies within the slate".into(),
                );
            }
            if varies.user[s] {
                return fail(
                    LogColumn::UserId.name(),
                    "user_id varies within the slate".into(),
                );
            }
            if distinct_items[s] != rows[s] {
                return fail(
                    LogColumn::ItemId.name(),
                    "an item appears twice in the slate".into(),
                );
            }
            let m = i64::from(rows[s]);
            for (column, min, max, mask) in &positions {
                if min[s] != 1 || max[s] != m || mask[s] != (1i64 << m) - 1 {
                    return fail(
                        column.name(),
                        format!("positions are not a permutation of 1..={m}"),
                    );
                }
            }
            if let Some((bad_targets, distinct_targets, off_design)) = &design {
                if bad_targets[s] > 0 {
                    return fail(
                        LogColumn::TargetPosition.name(),
                        format!(
                            "{} focal items with no target position, or one below 1 or below the item's seed position (promotion never moves an item down)",
                            bad_targets[s]
                        ),
                    );
                }
                if distinct_targets[s] != cell_rows.get(focal, s) {
                    return fail(
                        LogColumn::TargetPosition.name(),
                        "two focal items of the slate share a target position".into(),
                    );
                }
                if promoted_max[s] == 1 && off_design[s] > 0 {
                    return fail(
                        LogColumn::ShownPosition.name(),
                        format!(
                            "the slate is promoted but {} items are not shown where the design places them (the focal items at their targets, the others in seed order)",
                            off_design[s]
                        ),
                    );
                }
                if in_cells != slate_rows {
                    return fail(
                        LogColumn::SeedPosition.name(),
                        format!("{} rows in no exposure role", slate_rows - in_cells),
                    );
                }
                continue;
            }
            if promoted_max[s] == 1 && focal_shown[s] != 1 {
                return fail(
                    LogColumn::ShownPosition.name(),
                    format!(
                        "the slate is promoted but its focal item is shown at {}, not 1",
                        focal_shown[s]
                    ),
                );
            }
        }
        Ok(())
    }

    /// Units as dense codes in id order, with the arm constant within a unit and at least two
    /// units in each arm.
    pub(super) fn units(&self, ids: &Ids, counts: &Counts) -> Result<Units, ExposureError> {
        let (_, index) = RawIds::Int(ids.unit.clone()).intern();
        let units = index.iter().max().map_or(0, |m| *m as usize + 1);
        let mut unit_arm: Vec<Option<bool>> = vec![None; units];
        for s in 0..self.n {
            let promoted = counts.promoted_max[s] == 1;
            if *unit_arm[index[s] as usize].get_or_insert(promoted) != promoted {
                return Err(bad(
                    &self.source.path,
                    &ids.shown(s),
                    LogColumn::Promoted.name(),
                    "promoted varies within the slate's unit".into(),
                ));
            }
        }
        let promoted = unit_arm.iter().filter(|p| **p == Some(true)).count();
        let control = units - promoted;
        if promoted < 2 || control < 2 {
            return Err(ExposureError::Inconsistent {
                table: self.source.path.display().to_string(),
                message: format!(
                    "{promoted} promoted and {control} control units; inference needs at least two in each arm"
                ),
            });
        }
        Ok(Units {
            index,
            count: units,
            promoted,
        })
    }

    /// The assignment probability and whether the log has it: the logged one, constant and
    /// strictly between 0 and 1, else the observed share of promoted units.
    pub(super) fn assignment_probability(
        &self,
        ids: &Ids,
        units: &Units,
    ) -> Result<(f64, bool), ExposureError> {
        if !self.shape.probability {
            return Ok((units.promoted as f64 / units.count as f64, false));
        }
        let lo = self.f64s(Fact::ProbabilityMin.name())?;
        let hi = self.f64s(Fact::ProbabilityMax.name())?;
        let p = lo[0];
        if let Some(s) = (0..self.n).find(|s| lo[*s] != p || hi[*s] != p) {
            return Err(bad(
                &self.source.path,
                &ids.shown(s),
                LogColumn::AssignmentProbability.name(),
                format!("the assignment probability varies ({} vs {p})", hi[s]),
            ));
        }
        if !(p > 0.0 && p < 1.0) {
            return Err(bad(
                &self.source.path,
                &ids.shown(0),
                LogColumn::AssignmentProbability.name(),
                format!("assignment probability {p} is not strictly between 0 and 1"),
            ));
        }
        Ok((p, true))
    }
}
