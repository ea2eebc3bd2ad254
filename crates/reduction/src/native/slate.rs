//! One slate's reduction: its roles from its focal rows (and, with target positions, the
//! design), then every fact and statistic of its row of the table, each sum in row order.

use std::collections::HashSet;

use slate_table::polars::prelude::IdxSize;

use super::batch::Batch;
use super::table::Table;
use crate::columns::{
    Cell, CellStat, CovariateStat, DISPLACEMENT_BUCKETS, Fact, MASK_MAX_POSITION,
};
use crate::sql::LogShape;

/// The roles of one row, as the SQL's cells see them.
#[derive(Clone, Copy, Default)]
pub(super) struct RowCells {
    focal: bool,
    same_cluster: bool,
    /// Pushed down by promotion (one focal to the top: seeded above the focal).
    displaced: bool,
    /// Not pushed down (one focal to the top: seeded below the focal; a non-focal row at the
    /// focal's seed position, or a broken design, is neither, and so in no partition cell).
    below: bool,
    adjacent: bool,
    top_three: bool,
    displacement: i64,
}

impl RowCells {
    fn contains(&self, cell: Cell) -> bool {
        match cell {
            Cell::Focal => self.focal,
            Cell::SameClusterDisplaced => !self.focal && self.same_cluster && self.displaced,
            Cell::SameClusterBelow => !self.focal && self.same_cluster && self.below,
            Cell::OtherDisplaced => !self.focal && !self.same_cluster && self.displaced,
            Cell::OtherBelow => !self.focal && !self.same_cluster && self.below,
            Cell::Adjacent => !self.focal && self.adjacent,
            Cell::TopThree => !self.focal && self.top_three,
        }
    }
}

/// What every slate's reduction reads besides its rows.
pub(super) struct Plan<'a> {
    pub(super) shape: &'a LogShape,
    /// The cell statistics, in column order.
    pub(super) stats: Vec<CellStat>,
    /// `first_null_column` of a slate without nulls.
    pub(super) no_null: i64,
}

/// Reduces the slate `rows` of `b` into one row of `t`; `Err` declines the log.
pub(super) fn reduce_slate(
    b: &Batch,
    rows: std::ops::Range<usize>,
    plan: &Plan<'_>,
    t: &mut Table,
    scratch: &mut Vec<RowCells>,
) -> Result<(), String> {
    let shape = plan.shape;
    let focal_rows: Vec<usize> = rows.clone().filter(|r| b.focal[*r]).collect();
    if focal_rows.is_empty() || (!shape.target && focal_rows.len() > 1) {
        return Err(format!("a slate with {} focal rows", focal_rows.len()));
    }
    // The lead focal row: the smallest (target, seed); the only one without targets.
    let target_of = |r: usize| b.target.as_ref().and_then(|t| t[r]);
    let lead = *focal_rows
        .iter()
        .min_by_key(|r| (target_of(**r).unwrap_or(i64::MIN), b.seed[**r]))
        .expect("a focal row");
    let lead_seed = b.seed[lead];

    // Each row's position under the design (a log with targets): the focal rows' targets,
    // then the other rows by their rank in seed order into the slots no target takes.
    let mut design: Vec<Option<i64>> = Vec::new();
    if shape.target {
        let targets: HashSet<i64> = focal_rows.iter().filter_map(|r| target_of(*r)).collect();
        let mut by_seed: Vec<usize> = rows.clone().collect();
        by_seed.sort_by_key(|r| b.seed[*r]);
        let free: Vec<i64> = by_seed
            .iter()
            .map(|r| b.seed[*r])
            .filter(|slot| !targets.contains(slot))
            .collect();
        design = vec![None; rows.len()];
        let mut focal_so_far = 0i64;
        for r in &by_seed {
            if b.focal[*r] {
                focal_so_far += 1;
                design[*r - rows.start] = target_of(*r);
            } else {
                let rank = b.seed[*r] - focal_so_far;
                design[*r - rows.start] = usize::try_from(rank - 1)
                    .ok()
                    .and_then(|i| free.get(i))
                    .copied();
            }
        }
    }
    let focal_clusters: Vec<&str> = focal_rows
        .iter()
        .map(|r| b.cluster.get(*r).unwrap_or_default())
        .collect();
    let lead_cluster = b.cluster.get(lead).unwrap_or_default();
    scratch.clear();
    for r in rows.clone() {
        let focal = b.focal[r];
        let cluster = b.cluster.get(r).unwrap_or_default();
        let (same_cluster, displacement, displaced, below) = if shape.target {
            // A row matching no free slot (a broken design) gets a negative displacement: in
            // no partition cell, as in the SQL.
            let displacement = if focal {
                0
            } else {
                design[r - rows.start].unwrap_or(0) - b.seed[r]
            };
            (
                focal_clusters.contains(&cluster),
                displacement,
                displacement > 0,
                displacement == 0,
            )
        } else {
            let (above, under) = (b.seed[r] < lead_seed, b.seed[r] > lead_seed);
            (cluster == lead_cluster, i64::from(above), above, under)
        };
        scratch.push(RowCells {
            focal,
            same_cluster,
            displaced,
            below,
            adjacent: (b.seed[r] - lead_seed).abs() == 1,
            top_three: b.seed[r] <= 3,
            displacement,
        });
    }

    // Facts.
    t.slate.push(&b.slate, rows.start);
    let unit_ids = b.unit.as_ref().unwrap_or(&b.slate);
    let user_ids = b.user.as_ref().or(b.unit.as_ref()).unwrap_or(&b.slate);
    if shape.unit {
        t.unit.0.push_extreme(unit_ids, rows.clone(), false);
        t.unit.1.push_extreme(unit_ids, rows.clone(), true);
    }
    if shape.user {
        t.user.0.push_extreme(user_ids, rows.clone(), false);
        t.user.1.push_extreme(user_ids, rows.clone(), true);
    }
    t.focal_item.push(&b.item, lead);
    t.focal_cluster.push(lead as IdxSize);
    let n = rows.len() as i64;
    let mask = |positions: &[i64]| -> i64 {
        rows.clone()
            .map(|r| positions[r])
            .filter(|p| (1..=i64::from(MASK_MAX_POSITION)).contains(p))
            .map(|p| 1i64 << (p - 1))
            .sum()
    };
    let min_of = |v: &[i64]| rows.clone().map(|r| v[r]).min().unwrap_or(0);
    let max_of = |v: &[i64]| rows.clone().map(|r| v[r]).max().unwrap_or(0);
    // Distinct values by comparing each row with the rows before it (a slate has a few dozen
    // rows at most: cheaper than sorting a copy).
    let distinct_clusters = {
        let mut seen = 0i64;
        for r in rows.clone() {
            let cluster = b.cluster.get(r);
            if !(rows.start..r).any(|q| b.cluster.get(q) == cluster) {
                seen += 1;
            }
        }
        seen
    };
    let distinct_items = {
        let mut seen = 0i64;
        for (i, r) in rows.clone().enumerate() {
            if !rows.clone().take(i).any(|q| b.item.same(q, r)) {
                seen += 1;
            }
        }
        seen
    };
    let designed = |r: usize| design.get(r - rows.start).copied().flatten();
    let fact_value = |f: Fact| -> i64 {
        match f {
            Fact::PromotedMin => min_of(&b.promoted),
            Fact::PromotedMax => max_of(&b.promoted),
            Fact::Rows => n,
            Fact::NullRows | Fact::BadClicks | Fact::BadFlags => 0,
            Fact::SeedMin => min_of(&b.seed),
            Fact::SeedMax => max_of(&b.seed),
            Fact::SeedMask => mask(&b.seed),
            Fact::ShownMin => min_of(&b.shown),
            Fact::ShownMax => max_of(&b.shown),
            Fact::ShownMask => mask(&b.shown),
            Fact::FocalSeedPosition => lead_seed,
            Fact::FocalShownPosition => b.shown[lead],
            Fact::DistinctClusters => distinct_clusters,
            Fact::DistinctItems => distinct_items,
            Fact::DisplacedShiftedByOne => rows
                .clone()
                .zip(scratch.iter())
                .filter(|(r, c)| {
                    !c.focal && c.displaced && b.shown[*r] == b.seed[*r] + c.displacement
                })
                .count() as i64,
            Fact::FirstNullColumn => plan.no_null,
            Fact::Focals => focal_rows.len() as i64,
            Fact::BadTargets => focal_rows
                .iter()
                .filter(|r| target_of(**r).is_none_or(|t| t < 1 || t > b.seed[**r]))
                .count() as i64,
            Fact::DistinctTargets => {
                let mut targets: Vec<i64> =
                    focal_rows.iter().filter_map(|r| target_of(*r)).collect();
                targets.sort_unstable();
                targets.dedup();
                targets.len() as i64
            }
            Fact::OffDesignRows => rows
                .clone()
                .filter(|r| designed(*r) != Some(b.shown[*r]))
                .count() as i64,
            Fact::FocalTargetPosition => target_of(lead).unwrap_or(i64::MIN),
            _ => unreachable!("not an integer fact: {f:?}"),
        }
    };
    for (f, values) in t.ints.iter_mut() {
        values.push(fact_value(*f));
    }
    for (f, values) in t.floats.iter_mut() {
        let p = b.probability.as_ref().expect("with the probability column");
        let it = rows.clone().map(|r| p[r]);
        values.push(if *f == Fact::ProbabilityMin {
            it.fold(f64::INFINITY, f64::min)
        } else {
            it.fold(f64::NEG_INFINITY, f64::max)
        });
    }

    // Statistics, in the order of `LogShape::stat_columns`, each summed in row order.
    let mut out = t.stats.iter_mut();
    let mut push = |value: f64| {
        out.next().expect("a column per statistic").2.push(value);
    };
    let sum_where = |keep: &dyn Fn(&RowCells) -> bool, value: &dyn Fn(usize) -> f64| {
        let mut total = 0.0;
        for (r, c) in rows.clone().zip(scratch.iter()) {
            if keep(c) {
                total += value(r);
            }
        }
        total
    };
    let mut outcome_sums = vec![0.0f64; 2 * b.outcomes.len()];
    for cell in Cell::ALL {
        // Every statistic of the cell in one pass, each summed in row order.
        let mut acc = [0.0f64; 7];
        outcome_sums.iter_mut().for_each(|v| *v = 0.0);
        for (r, c) in rows.clone().zip(scratch.iter()) {
            if !c.contains(cell) {
                continue;
            }
            acc[0] += 1.0;
            acc[1] += b.click[r];
            if let (Some(p1), Some(p0)) = (&b.if_promoted, &b.if_control) {
                let (p1, p0) = (p1[r], p0[r]);
                acc[2] += p1;
                acc[3] += p0;
                acc[4] += p1 * p1;
                acc[5] += p0 * p0;
                acc[6] += (p1 - p0) * (p1 - p0);
            }
            for (k, o) in b.outcomes.iter().enumerate() {
                outcome_sums[2 * k] += o[r];
                outcome_sums[2 * k + 1] += o[r] * o[r];
            }
        }
        for stat in &plan.stats {
            push(match stat {
                CellStat::Rows => acc[0],
                CellStat::Clicks => acc[1],
                CellStat::IfPromoted => acc[2],
                CellStat::IfControl => acc[3],
                CellStat::IfPromotedSquared => acc[4],
                CellStat::IfControlSquared => acc[5],
                CellStat::LiftSquared => acc[6],
            });
        }
        for v in &outcome_sums {
            push(*v);
        }
    }
    for c in &b.covariates {
        for stat in CovariateStat::ALL {
            let all = |_: &RowCells| true;
            push(match stat {
                CovariateStat::Focal => {
                    if shape.target {
                        let mut total = 0.0;
                        for r in &focal_rows {
                            total += c[*r];
                        }
                        total / focal_rows.len() as f64
                    } else {
                        c[lead]
                    }
                }
                CovariateStat::Sum => sum_where(&all, &|r| c[r]),
                CovariateStat::SumSquared => sum_where(&all, &|r| c[r] * c[r]),
                CovariateStat::Max => rows.clone().map(|r| c[r]).fold(f64::NEG_INFINITY, f64::max),
                CovariateStat::Min => rows.clone().map(|r| c[r]).fold(f64::INFINITY, f64::min),
                CovariateStat::TopThreeSum => {
                    sum_where(&all, &|r| if b.seed[r] <= 3 { c[r] } else { 0.0 })
                }
                CovariateStat::First => rows
                    .clone()
                    .filter(|r| b.seed[*r] == 1)
                    .map(|r| c[r])
                    .fold(f64::NAN, f64::max),
            });
        }
    }
    if shape.target {
        for (i, (places, _)) in DISPLACEMENT_BUCKETS.iter().enumerate() {
            let last = i + 1 == DISPLACEMENT_BUCKETS.len();
            let keep = |c: &RowCells| {
                !c.focal
                    && if last {
                        c.displacement >= i64::from(*places)
                    } else {
                        c.displacement == i64::from(*places)
                    }
            };
            push(sum_where(&keep, &|_| 1.0));
            push(sum_where(&keep, &|r| b.click[r]));
        }
    }
    debug_assert!(out.next().is_none(), "every statistic pushed");
    Ok(())
}
