//! Rules that span rows: focal items and their targets, permutations of positions, the shown
//! ranking of a promoted slate, constant arms, the design as a whole. Then the rows are put in slate-id and seed order and ids interned.

use crate::config::OnBadSlate;
use crate::design::{self, Promotion};
use crate::ids::{IdValues, RawIds};
use crate::read::{NO_TARGET, RawLog};
use crate::schema::LogColumn;
use crate::{
    AssignmentProbability, Covariate, CovariateLevel, DroppedSlate, ImpressionLog, LogError,
    NamedValues, ProbabilitySource, Truth,
};

/// The first rule a slate breaks.
#[derive(Debug, Clone)]
struct Problem {
    /// 0-based index into the raw rows.
    row: usize,
    column: String,
    reason: String,
}

/// The raw rows grouped by slate: `order` lists row indices by (slate code, seed position,
/// row); slate `s` is `order[offsets[s]..offsets[s + 1]]`.
struct Grouping {
    slate_ids: IdValues,
    slate_code: Vec<u32>,
    order: Vec<usize>,
    offsets: Vec<usize>,
}

fn group(raw: &RawLog) -> Grouping {
    let (slate_ids, slate_code) = raw.slate.intern();
    let mut order: Vec<usize> = (0..slate_code.len()).collect();
    order.sort_unstable_by_key(|r| (slate_code[*r], raw.seed_position[*r], *r));
    let mut offsets = Vec::with_capacity(slate_ids.len() + 1);
    for (i, r) in order.iter().enumerate() {
        if i == 0 || slate_code[*r] != slate_code[order[i - 1]] {
            offsets.push(i);
        }
    }
    offsets.push(order.len());
    Grouping {
        slate_ids,
        slate_code,
        order,
        offsets,
    }
}

/// Whether `values` (sorted) are exactly 1..=n.
fn is_permutation(mut values: Vec<i64>) -> bool {
    values.sort_unstable();
    values.iter().enumerate().all(|(i, v)| *v == i as i64 + 1)
}

fn show(values: &[i64]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let shown: Vec<String> = sorted.iter().take(20).map(i64::to_string).collect();
    format!(
        "[{}{}]",
        shown.join(", "),
        if sorted.len() > 20 { ", ..." } else { "" }
    )
}

/// The first rule slate `rows` (raw indices in seed order) breaks, if any.
fn slate_problem(
    raw: &RawLog,
    rows: &[usize],
    row_problem: Option<&crate::read::RowProblem>,
    unit: Option<&[u32]>,
    user: Option<&[u32]>,
    item: &[u32],
) -> Option<Problem> {
    if let Some(p) = row_problem {
        return Some(Problem {
            row: p.row,
            column: p.column.clone(),
            reason: p.reason.clone(),
        });
    }
    let first = *rows.iter().min().expect("a slate has rows");
    let problem = |column: LogColumn, row: usize, reason: String| {
        Some(Problem {
            row,
            column: raw.name_of(column).to_string(),
            reason,
        })
    };
    let focal: Vec<usize> = rows.iter().copied().filter(|r| raw.is_focal[*r]).collect();
    if focal.is_empty() {
        return problem(
            LogColumn::IsFocal,
            first,
            "no focal row in the slate, expected at least 1".into(),
        );
    }
    if let Some(r) = rows
        .iter()
        .find(|r| raw.promoted[**r] != raw.promoted[first])
    {
        return problem(
            LogColumn::Promoted,
            *r,
            "promoted varies within the slate".into(),
        );
    }
    for (column, codes) in [(LogColumn::UnitId, unit), (LogColumn::UserId, user)] {
        if let Some(codes) = codes
            && let Some(r) = rows.iter().find(|r| codes[**r] != codes[first])
        {
            return problem(
                column,
                *r,
                format!("{} varies within the slate", column.name()),
            );
        }
    }
    let mut items: Vec<(u32, usize)> = rows.iter().map(|r| (item[*r], *r)).collect();
    items.sort_unstable();
    if let Some(w) = items.windows(2).find(|w| w[0].0 == w[1].0) {
        return problem(
            LogColumn::ItemId,
            w[1].1,
            "the item appears twice in the slate".into(),
        );
    }
    let n = rows.len();
    for (column, positions) in [
        (LogColumn::SeedPosition, &raw.seed_position),
        (LogColumn::ShownPosition, &raw.shown_position),
    ] {
        let values: Vec<i64> = rows.iter().map(|r| positions[*r]).collect();
        if !is_permutation(values.clone()) {
            return problem(
                column,
                first,
                format!(
                    "positions {} are not a permutation of 1..={n}",
                    show(&values)
                ),
            );
        }
    }
    // The design: each focal's target, then (when promoted) the shown ranking it implies.
    let mut promotions = Vec::with_capacity(focal.len());
    for f in &focal {
        let target = raw.target_position.as_ref().map_or(1, |t| t[*f]);
        if target == NO_TARGET {
            return problem(
                LogColumn::TargetPosition,
                *f,
                "the focal item has no target position (null)".into(),
            );
        }
        promotions.push(Promotion {
            seed: raw.seed_position[*f] as u32,
            target: target.clamp(0, i64::from(u32::MAX)) as u32,
        });
    }
    if let Err((i, mut reason)) = design::check_promotions(n, &promotions) {
        if raw.target_position.is_none() {
            reason.push_str(&format!(
                " (the log has no `{}` column: every focal item is promoted to slot 1)",
                LogColumn::TargetPosition.name()
            ));
        }
        return problem(LogColumn::TargetPosition, focal[i], reason);
    }
    if raw.promoted[first] {
        let mut design_positions = Vec::with_capacity(n);
        design::promoted_positions(n, &promotions, &mut design_positions);
        // `rows` are in seed order: row `i` is seeded at `i + 1`. Focal rows are checked
        // first: a misplaced focal item also misplaces the others.
        let (focal_first, others): (Vec<_>, Vec<_>) = rows
            .iter()
            .zip(&design_positions)
            .partition(|(r, _)| raw.is_focal[**r]);
        for (r, expected) in focal_first.into_iter().chain(others) {
            let shown = raw.shown_position[*r];
            if shown != i64::from(*expected) {
                let reason = if raw.is_focal[*r] {
                    format!(
                        "the slate is promoted but its focal item is shown at {shown}, not {expected}"
                    )
                } else {
                    format!(
                        "the slate is promoted but the item seeded at {} is shown at {shown}, not {expected}: the design shows the focal items at their targets and the other items in seed order",
                        raw.seed_position[*r]
                    )
                };
                return problem(LogColumn::ShownPosition, *r, reason);
            }
        }
    }
    None
}

/// Validates `raw` and builds the log; see [`ImpressionLog::from_frame`].
pub(crate) fn assemble(
    raw: RawLog,
    policy: OnBadSlate,
) -> Result<(ImpressionLog, Vec<DroppedSlate>), LogError> {
    let design = |message: String| LogError::Design {
        file: raw.file.clone(),
        message,
    };
    if raw.seed_position.is_empty() {
        return Err(design("the log has no rows".into()));
    }
    let grouping = group(&raw);
    // Ids interned once: their codes for the rules, their values for the log.
    let unit = raw.unit.as_ref().map(RawIds::intern);
    let user = raw.user.as_ref().map(RawIds::intern);
    let item = raw.item.intern();
    let n_slates = grouping.slate_ids.len();
    let mut first_row_problem: Vec<Option<&crate::read::RowProblem>> = vec![None; n_slates];
    for p in &raw.problems {
        let slot = &mut first_row_problem[grouping.slate_code[p.row] as usize];
        if slot.is_none_or(|q| p.row < q.row) {
            *slot = Some(p);
        }
    }
    let slate_rows = |s: usize| &grouping.order[grouping.offsets[s]..grouping.offsets[s + 1]];
    let mut problems: Vec<Option<Problem>> = (0..n_slates)
        .map(|s| {
            slate_problem(
                &raw,
                slate_rows(s),
                first_row_problem[s],
                unit.as_ref().map(|(_, codes)| codes.as_slice()),
                user.as_ref().map(|(_, codes)| codes.as_slice()),
                &item.1,
            )
        })
        .collect();

    // Assignment constant within a unit: over every slate (also those that broke another
    // rule, so that dropping one cannot hide the conflict), every slate of a unit whose rows are
    // in both arms is flagged.
    if let (Some((_, unit)), Some(unit_raw)) = (&unit, &raw.unit) {
        // The first slate of each unit with rows in each arm (control, promoted).
        let mut first_in_arm: std::collections::HashMap<u32, [Option<usize>; 2]> =
            std::collections::HashMap::new();
        for s in 0..n_slates {
            for r in slate_rows(s) {
                let slot =
                    &mut first_in_arm.entry(unit[*r]).or_default()[usize::from(raw.promoted[*r])];
                slot.get_or_insert(s);
            }
        }
        let passed: Vec<usize> = (0..n_slates).filter(|s| problems[*s].is_none()).collect();
        for s in passed {
            let r = slate_rows(s)[0];
            if let [Some(control), Some(promoted)] = first_in_arm[&unit[r]] {
                problems[s] = Some(Problem {
                    row: *slate_rows(s).iter().min().expect("rows"),
                    column: raw.name_of(LogColumn::Promoted).to_string(),
                    reason: format!(
                        "promoted varies within unit {}: slate {} is promoted, slate {} is not",
                        raw_id(unit_raw, r),
                        grouping.slate_ids.display(promoted as u32),
                        grouping.slate_ids.display(control as u32),
                    ),
                });
            }
        }
    }

    let mut dropped = Vec::new();
    let keep_slate: Vec<bool> = problems.iter().map(Option::is_none).collect();
    let bad: Vec<usize> = (0..n_slates).filter(|s| !keep_slate[*s]).collect();
    if !bad.is_empty() {
        match policy {
            OnBadSlate::Error => {
                let s = *bad
                    .iter()
                    .min_by_key(|s| problems[**s].as_ref().expect("bad").row)
                    .expect("non-empty");
                let p = problems[s].take().expect("bad");
                return Err(LogError::Invalid {
                    file: raw.file.clone(),
                    row: raw.file_row(p.row) + 1,
                    slate: grouping.slate_ids.display(s as u32),
                    column: p.column,
                    reason: p.reason,
                });
            }
            OnBadSlate::Drop => {
                for s in &bad {
                    let p = problems[*s].take().expect("bad");
                    let first = slate_rows(*s)[0];
                    dropped.push(DroppedSlate {
                        slate_id: grouping.slate_ids.display(*s as u32),
                        unit_id: raw.unit.as_ref().map_or_else(
                            || grouping.slate_ids.display(*s as u32),
                            |u| raw_id(u, first),
                        ),
                        row: raw.file_row(p.row) + 1,
                        column: p.column,
                        reason: p.reason,
                    });
                }
                if !keep_slate.iter().any(|k| *k) {
                    return Err(design(format!(
                        "every one of the {n_slates} slates breaks a rule; nothing is left to analyze (first: slate {}, {})",
                        dropped[0].slate_id, dropped[0].reason
                    )));
                }
                let keep_row: Vec<bool> = grouping
                    .slate_code
                    .iter()
                    .map(|c| keep_slate[*c as usize])
                    .collect();
                // The kept rows are validated afresh: this pass's indexes are not needed.
                drop((grouping, unit, user, item));
                let (log, again) = assemble(raw.retain(&keep_row), OnBadSlate::Error)?;
                debug_assert!(again.is_empty());
                return Ok((log, dropped));
            }
        }
    }
    build(raw, grouping, unit, user, item).map(|log| (log, dropped))
}

fn raw_id(ids: &RawIds, row: usize) -> String {
    match ids {
        RawIds::Int(v) => v[row].to_string(),
        RawIds::Str(v) => v[row].clone(),
    }
}

/// Builds the log from rows that passed every slate rule (with the interned unit, user and
/// item ids); checks the design as a whole.
fn build(
    mut raw: RawLog,
    grouping: Grouping,
    unit: Option<(IdValues, Vec<u32>)>,
    user: Option<(IdValues, Vec<u32>)>,
    item: (IdValues, Vec<u32>),
) -> Result<ImpressionLog, LogError> {
    // The raw ids are interned: free them before the log's columns are built.
    let has_unit_column = raw.unit.is_some();
    for ids in [
        Some(&mut raw.slate),
        raw.unit.as_mut(),
        raw.user.as_mut(),
        Some(&mut raw.item),
    ]
    .into_iter()
    .flatten()
    {
        *ids = RawIds::Int(Vec::new());
    }
    let design = |message: String| LogError::Design {
        file: raw.file.clone(),
        message,
    };
    let Grouping {
        slate_ids,
        order,
        offsets,
        slate_code,
    } = grouping;
    drop(slate_code);
    let n_slates = slate_ids.len();
    let first_of = |s: usize| order[offsets[s]];
    let (unit_ids, slate_unit) = match unit {
        Some((ids, codes)) => (ids, (0..n_slates).map(|s| codes[first_of(s)]).collect()),
        None => (
            slate_ids.clone(),
            (0..n_slates as u32).collect::<Vec<u32>>(),
        ),
    };
    let (user_ids, slate_user) = match user {
        Some((ids, codes)) => (ids, (0..n_slates).map(|s| codes[first_of(s)]).collect()),
        None => (unit_ids.clone(), slate_unit.clone()),
    };
    let promoted: Vec<bool> = (0..n_slates).map(|s| raw.promoted[first_of(s)]).collect();

    let n_units = unit_ids.len();
    if n_units < 2 {
        return Err(design(format!(
            "only {n_units} randomization unit: inference needs at least 2"
        )));
    }
    let mut unit_arm = vec![false; n_units];
    for s in 0..n_slates {
        unit_arm[slate_unit[s] as usize] = promoted[s];
    }
    let promoted_units = unit_arm.iter().filter(|p| **p).count();
    if promoted_units == 0 || promoted_units == n_units {
        return Err(design(format!(
            "every one of the {n_units} units is in the {} arm: both arms are needed",
            if promoted_units == 0 {
                "control"
            } else {
                "promoted"
            }
        )));
    }
    if promoted_units < 2 || n_units - promoted_units < 2 {
        return Err(design(format!(
            "{promoted_units} promoted and {} control units: cluster-robust inference needs at least 2 units in each arm",
            n_units - promoted_units
        )));
    }
    let assignment_probability = match &raw.assignment_probability {
        Some(values) => {
            let column = raw.name_of(LogColumn::AssignmentProbability);
            if let Some(r) = values.iter().position(|v| *v != values[0]) {
                return Err(design(format!(
                    "column `{column}` varies ({} at row {}, {} at row {}): logs whose assignment probability varies are not supported yet",
                    values[0],
                    raw.file_row(0) + 1,
                    values[r],
                    raw.file_row(r) + 1
                )));
            }
            if !(values[0] > 0.0 && values[0] < 1.0) {
                return Err(design(format!(
                    "column `{column}` is {}, not strictly between 0 and 1",
                    values[0]
                )));
            }
            AssignmentProbability {
                value: values[0],
                source: ProbabilitySource::Logged,
            }
        }
        None => AssignmentProbability {
            value: promoted_units as f64 / n_units as f64,
            source: ProbabilitySource::ObservedShare,
        },
    };

    // The per-row arm and probability are summarised: free them.
    raw.promoted = Vec::new();
    raw.assignment_probability = None;
    // Every row column is put in slate order and its raw column freed before the next.
    let order = RowOrder::of(order);
    let (item_ids, item_codes) = item;
    let item = order.apply(item_codes, |v| v);
    let is_focal = order.apply(std::mem::take(&mut raw.is_focal), |v| v);
    // The focal rows (in slate and seed order) and their targets.
    let target = raw.target_position.take();
    let mut focal_offsets = Vec::with_capacity(n_slates + 1);
    let mut focal_rows = Vec::with_capacity(n_slates);
    let mut focal_target = Vec::with_capacity(n_slates);
    for s in 0..n_slates {
        focal_offsets.push(focal_rows.len());
        for i in (offsets[s]..offsets[s + 1]).filter(|i| is_focal[*i]) {
            focal_rows.push(i);
            focal_target.push(target.as_ref().map_or(1, |t| t[order.raw_row(i)] as u32));
        }
    }
    focal_offsets.push(focal_rows.len());
    drop(target);
    let item_cluster = order.apply(std::mem::take(&mut raw.item_cluster), |v| v);
    let seed_position = order.apply(std::mem::take(&mut raw.seed_position), |v| v as u32);
    let shown_position = order.apply(std::mem::take(&mut raw.shown_position), |v| v as u32);
    let click = order.apply(std::mem::take(&mut raw.click), |v| v);
    let named_in_order = |columns: Vec<NamedValues>| -> Vec<NamedValues> {
        columns
            .into_iter()
            .map(|c| NamedValues {
                name: c.name,
                values: order.apply(c.values, |v| v),
            })
            .collect()
    };
    let outcomes = named_in_order(std::mem::take(&mut raw.outcomes));
    let covariates = named_in_order(std::mem::take(&mut raw.covariates))
        .into_iter()
        .map(|column| {
            let values = &column.values;
            let constant = (0..n_slates).all(|s| {
                values[offsets[s]..offsets[s + 1]]
                    .iter()
                    .all(|v| *v == values[offsets[s]])
            });
            Covariate {
                column,
                level: if constant {
                    CovariateLevel::Slate
                } else {
                    CovariateLevel::Item
                },
            }
        })
        .collect();
    let truth = raw.truth.take().map(|t| Truth {
        if_promoted: order.apply(t.if_promoted, |v| v),
        if_control: order.apply(t.if_control, |v| v),
    });
    Ok(ImpressionLog {
        source: raw.file.clone(),
        has_unit_column,
        slate_ids,
        unit_ids,
        user_ids,
        item_ids,
        slate_unit,
        slate_user,
        promoted,
        focal_offsets,
        focal_rows,
        focal_target,
        item,
        item_cluster,
        seed_position,
        shown_position,
        is_focal,
        click,
        outcomes,
        covariates,
        truth,
        assignment_probability,
        slate_offsets: offsets,
    })
}

/// The raw rows' slate order: row `order[i]` of the raw columns is row `i` of the log.
struct RowOrder {
    order: Vec<usize>,
    /// The raw rows are already in slate order (the usual log): columns are read straight
    /// through instead of gathered.
    identity: bool,
}

impl RowOrder {
    fn of(order: Vec<usize>) -> Self {
        let identity = order.iter().enumerate().all(|(i, r)| i == *r);
        RowOrder { order, identity }
    }

    /// The raw row of the log's row `i`.
    fn raw_row(&self, i: usize) -> usize {
        if self.identity { i } else { self.order[i] }
    }

    /// `values` (one per raw row) in slate order, converted by `convert`, in a vector of their
    /// own size (collecting in place would keep the raw column's allocation, twice the size
    /// for `i64` to `u32`); the raw column is freed on return.
    fn apply<T: Clone, U>(&self, values: Vec<T>, convert: impl Fn(T) -> U) -> Vec<U> {
        debug_assert_eq!(values.len(), self.order.len());
        let mut out = Vec::with_capacity(self.order.len());
        if self.identity {
            out.extend(values.into_iter().map(convert));
        } else {
            out.extend(self.order.iter().map(|r| convert(values[*r].clone())));
        }
        out
    }
}

impl RawLog {
    /// The rows where `keep` is true, in the same order (problems are cleared: only clean
    /// slates are kept).
    fn retain(self, keep: &[bool]) -> RawLog {
        fn pick<T: Clone>(values: &[T], keep: &[bool]) -> Vec<T> {
            values
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(v, _)| v.clone())
                .collect()
        }
        let ids = |ids: &RawIds| match ids {
            RawIds::Int(v) => RawIds::Int(pick(v, keep)),
            RawIds::Str(v) => RawIds::Str(pick(v, keep)),
        };
        let named = |cols: &[NamedValues]| {
            cols.iter()
                .map(|c| NamedValues {
                    name: c.name.clone(),
                    values: pick(&c.values, keep),
                })
                .collect()
        };
        RawLog {
            file: self.file.clone(),
            slate: ids(&self.slate),
            unit: self.unit.as_ref().map(ids),
            user: self.user.as_ref().map(ids),
            item: ids(&self.item),
            item_cluster: pick(&self.item_cluster, keep),
            seed_position: pick(&self.seed_position, keep),
            shown_position: pick(&self.shown_position, keep),
            is_focal: pick(&self.is_focal, keep),
            target_position: self.target_position.as_ref().map(|t| pick(t, keep)),
            promoted: pick(&self.promoted, keep),
            click: pick(&self.click, keep),
            outcomes: named(&self.outcomes),
            covariates: named(&self.covariates),
            truth: self.truth.as_ref().map(|t| Truth {
                if_promoted: pick(&t.if_promoted, keep),
                if_control: pick(&t.if_control, keep),
            }),
            assignment_probability: self.assignment_probability.as_ref().map(|a| pick(a, keep)),
            problems: Vec::new(),
            kept_rows: Some(match &self.kept_rows {
                Some(rows) => pick(rows, keep),
                None => (0..keep.len()).filter(|r| keep[*r]).collect(),
            }),
            names: self.names.clone(),
        }
    }
}
