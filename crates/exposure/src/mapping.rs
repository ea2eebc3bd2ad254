//! Mapping a log's exposure: every item row's role and the per-slate summaries (slate
//! outcomes, assignment, readiness), in memory or a range of rows at a time.

use std::collections::HashSet;

use slate_log::{CovariateLevel, ImpressionLog, ProbabilitySource};
use slate_table::readiness::Check;

use crate::roles::{role_name, row_roles};
use crate::schema::{
    Assignment, AssignmentTable, ExposureMapping, MappingRows, MappingTruth, NamedColumn,
    SlateOutcomes, SlateRows, SlateTruth,
};
use crate::{ExposureError, features, readiness, schema};

/// Checks that every column derived from the log's covariates has a name of its own in the
/// table it goes to (a covariate called `cluster`, or `x` beside `mean_x`, would overwrite
/// another column).
fn check_names(log: &ImpressionLog) -> Result<(), ExposureError> {
    // Per table: its name, its fixed column groups, and (covariate, derived column) pairs.
    type Derived = Vec<(String, String)>;
    let tables: [(&'static str, Vec<&slate_table::TableSchema>, Derived); 3] = [
        (
            schema::EXPOSURE_MAPPING.file_name,
            vec![&schema::EXPOSURE_MAPPING, &schema::EXPOSURE_MAPPING_TRUTH],
            log.covariates
                .iter()
                .filter(|c| c.level == CovariateLevel::Item)
                .map(|c| (c.column.name.clone(), c.column.name.clone()))
                .chain(
                    log.outcomes
                        .iter()
                        .map(|o| (o.name.clone(), o.name.clone())),
                )
                .collect(),
        ),
        (
            schema::SLATE_OUTCOMES.file_name,
            vec![&schema::SLATE_OUTCOMES, &schema::SLATE_OUTCOMES_TRUTH],
            log.covariates
                .iter()
                .flat_map(|c| {
                    features::feature_names(&c.column.name, c.level)
                        .into_iter()
                        .map(|(name, _)| (c.column.name.clone(), name))
                })
                .chain(
                    log.outcomes
                        .iter()
                        .map(|o| (o.name.clone(), schema::outcome_total_name(&o.name))),
                )
                .collect(),
        ),
        (
            schema::ASSIGNMENT.file_name,
            vec![&schema::ASSIGNMENT],
            log.covariates
                .iter()
                .map(|c| {
                    (
                        c.column.name.clone(),
                        features::focal_value_name(&c.column.name, c.level),
                    )
                })
                .collect(),
        ),
    ];
    for (table, fixed, derived) in tables {
        let mut taken: std::collections::HashMap<String, String> = fixed
            .iter()
            .flat_map(|s| s.columns.iter())
            .map(|c| (c.name.to_string(), "is a column of the table".to_string()))
            .collect();
        for (covariate, column) in derived {
            if let Some(clash) = taken.get(&column) {
                return Err(ExposureError::NameCollision {
                    table,
                    covariate,
                    column,
                    clash: clash.clone(),
                });
            }
            taken.insert(column, format!("`{covariate}` writes too"));
        }
    }
    Ok(())
}

/// Everything the exposure stage produces.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureTables {
    /// The item-row exposure mapping.
    pub mapping: ExposureMapping,
    /// One row per slate (the design table, `Assignment::of`, copies its columns).
    pub slates: SlateOutcomes,
    /// The exposure-readiness checks.
    pub readiness: Vec<Check>,
}

/// The per-slate tables of the exposure stage: everything it produces but the item-row
/// mapping, which [`write_exposure`] writes without holding it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlateTables {
    /// One row per slate (the design table, `Assignment::of`, copies its columns).
    pub slates: SlateOutcomes,
    /// The exposure-readiness checks.
    pub readiness: Vec<Check>,
}

/// Maps exposure for every item and summarises every slate. Fails only when a covariate's
/// derived column would collide with another column.
pub fn map_exposure(log: &ImpressionLog) -> Result<ExposureTables, ExposureError> {
    let SlateTables { slates, readiness } = map_slates(log)?;
    Ok(ExposureTables {
        mapping: mapping_of_rows(log, 0..log.n_rows()),
        slates,
        readiness,
    })
}

/// The per-slate tables of [`map_exposure`], without the item-row mapping.
pub fn map_slates(log: &ImpressionLog) -> Result<SlateTables, ExposureError> {
    check_names(log)?;
    let n_slates = log.n_slates();
    let mut slates = SlateRows::with_capacity(n_slates);
    let mut slate_truth = log
        .truth
        .as_ref()
        .map(|_| SlateTruth::with_capacity(n_slates));
    let mut sessions_of_user = vec![0u32; log.user_ids.len()];
    for s in 0..n_slates {
        let rows = log.slate_rows(s);
        let focal = log.lead_focal(s);
        let n_focals = log.focals(s).len() as u32;
        let focal_clicked = log.focals(s).iter().any(|f| log.click[*f]);
        let promoted = log.promoted[s];
        let focal_cluster = &log.item_cluster[focal];
        let unit = log.slate_unit[s];
        let user = log.slate_user[s];
        let mut counts = (0u32, 0u32, 0u32);
        let mut clicks = 0u32;
        let mut totals = [0f64; 3]; // expected, baseline, if_promoted
        let mut clusters = HashSet::new();
        for (r, role) in row_roles(log, s) {
            counts.0 += u32::from(role.same_cluster);
            counts.1 += u32::from(role.displaced);
            counts.2 += u32::from(role.same_cluster && role.displaced);
            clicks += u32::from(log.click[r]);
            clusters.insert(&*log.item_cluster[r]);
            if let Some(oracle) = &log.truth {
                totals[0] += oracle.realized(r, promoted);
                totals[1] += oracle.if_control[r];
                totals[2] += oracle.if_promoted[r];
            }
        }
        let n = rows.len();
        slates.slate_id.push(log.slate_ids.table_value(s as u32));
        slates.unit_id.push(log.unit_ids.table_value(unit));
        slates.user_id.push(log.user_ids.table_value(user));
        slates.session.push(sessions_of_user[user as usize]);
        sessions_of_user[user as usize] += 1;
        slates.promotion_applied.push(promoted);
        slates
            .assignment_probability
            .push(log.assignment_probability.value);
        slates
            .focal_movie_id
            .push(log.item_ids.table_value(log.item[focal]));
        slates.focal_cluster.push(focal_cluster.clone());
        slates.focal_seed_position.push(log.seed_position[focal]);
        slates.slate_size.push(n as u32);
        slates.n_same_cluster_competitors.push(counts.0);
        slates.n_displaced_items.push(counts.1);
        slates.n_same_cluster_displaced.push(counts.2);
        slates.total_observed_clicks.push(clicks);
        slates.focal_observed_click.push(focal_clicked);
        slates.n_distinct_clusters.push(clusters.len() as u32);
        slates
            .focal_cluster_share
            .push(f64::from(counts.0 + n_focals) / n as f64);
        slates.unit_index.push(unit);
        slates
            .assignment_probability_logged
            .push(log.assignment_probability.source == ProbabilitySource::Logged);
        slates.n_focals.push(n_focals);
        slates.focal_target_position.push(
            log.focals(s)
                .iter()
                .zip(log.focal_targets(s))
                .find(|(r, _)| **r == focal)
                .map_or(1, |(_, t)| *t),
        );
        if let Some(t) = slate_truth.as_mut() {
            t.total_expected_clicks.push(totals[0]);
            t.total_baseline_clicks.push(totals[1]);
            t.total_known_lift.push(totals[0] - totals[1]);
            t.total_expected_clicks_if_promoted.push(totals[2]);
            t.total_expected_clicks_if_control.push(totals[1]);
            t.slate_promotion_effect.push(totals[2] - totals[1]);
        }
    }
    let covariates: Vec<(String, CovariateLevel)> = log
        .covariates
        .iter()
        .map(|c| (c.column.name.clone(), c.level))
        .collect();
    let features = features::derive(log);
    let outcome_totals = log
        .outcomes
        .iter()
        .map(|o| NamedColumn {
            name: o.name.clone(),
            values: (0..n_slates)
                .map(|s| o.values[log.slate_rows(s)].iter().sum())
                .collect(),
        })
        .collect();
    let slates = SlateOutcomes {
        rows: slates,
        truth: slate_truth.map(crate::HeldTruth::Columns),
        features: crate::FeatureColumns::Held(features),
        covariates,
        outcome_totals,
    };
    let facts = readiness::DesignFacts::of_log(log);
    let readiness = readiness::exposure_readiness(&facts, &slates)?;
    Ok(SlateTables { slates, readiness })
}

/// Rows `rows` of the exposure mapping of `log` (a range that may start or end inside a
/// slate).
pub(crate) fn mapping_of_rows(
    log: &ImpressionLog,
    rows: std::ops::Range<usize>,
) -> ExposureMapping {
    let slates = if rows.is_empty() {
        0..0
    } else {
        let first = log.slate_offsets.partition_point(|o| *o <= rows.start) - 1;
        first..log.slate_offsets.partition_point(|o| *o < rows.end)
    };
    let n_rows = rows.len();
    let mut mapping = MappingRows::with_capacity(n_rows);
    let mut truth = log
        .truth
        .as_ref()
        .map(|_| MappingTruth::with_capacity(n_rows));
    // Each row's exposure condition, one of ten strings, allocated once each.
    let mut conditions: std::collections::HashMap<(&str, bool), slate_table::SharedStr> =
        Default::default();
    for s in slates {
        let focal = log.lead_focal(s);
        let n_focals = log.focals(s).len() as u32;
        let promoted = log.promoted[s];
        let focal_cluster = &log.item_cluster[focal];
        let slate_id = log.slate_ids.table_value(s as u32);
        let unit = log.slate_unit[s];
        let unit_id = log.unit_ids.table_value(unit);
        let user_id = log.user_ids.table_value(log.slate_user[s]);
        let focal_item = log.item_ids.table_value(log.item[focal]);
        for (r, role) in row_roles(log, s).filter(|(r, _)| rows.contains(r)) {
            if let (Some(oracle), Some(t)) = (&log.truth, truth.as_mut()) {
                t.baseline_click_prob.push(oracle.if_control[r]);
                t.expected_click_prob.push(oracle.realized(r, promoted));
                t.known_induced_lift.push(oracle.induced_lift(r, promoted));
                t.click_prob_if_promoted.push(oracle.if_promoted[r]);
            }
            mapping.slate_id.push(slate_id);
            mapping.unit_id.push(unit_id);
            mapping.user_id.push(user_id);
            mapping.movie_id.push(log.item_ids.table_value(log.item[r]));
            mapping.cluster.push(log.item_cluster[r].clone());
            mapping.focal_movie_id.push(focal_item);
            mapping.focal_cluster.push(focal_cluster.clone());
            mapping.seed_position.push(log.seed_position[r]);
            mapping.final_position.push(log.shown_position[r]);
            mapping
                .position_shift
                .push(i64::from(log.shown_position[r]) - i64::from(log.seed_position[r]));
            mapping.is_focal.push(role.is_focal);
            mapping.promotion_applied.push(promoted);
            mapping.same_cluster_as_focal.push(role.same_cluster);
            mapping.displaced_by_promotion.push(role.displaced);
            let key = (role_name(role), promoted);
            mapping.exposure_condition.push(
                conditions
                    .entry(key)
                    .or_insert_with(|| {
                        let arm = if promoted { "promoted" } else { "control" };
                        format!("{} | {arm}", key.0).into()
                    })
                    .clone(),
            );
            mapping.observed_click.push(log.click[r]);
            mapping.unit_index.push(unit);
            mapping.displacement.push(role.displacement);
            mapping.n_focals.push(n_focals);
        }
    }
    let row_values = |values: &[f64]| values[rows.clone()].to_vec();
    ExposureMapping {
        rows: mapping,
        truth,
        outcomes: log
            .outcomes
            .iter()
            .map(|o| NamedColumn {
                name: o.name.clone(),
                values: row_values(&o.values),
            })
            .collect(),
        covariates: log
            .covariates
            .iter()
            .filter(|c| c.level == CovariateLevel::Item)
            .map(|c| NamedColumn {
                name: c.column.name.clone(),
                values: row_values(&c.column.values),
            })
            .collect(),
    }
}

/// A range of rows of the exposure mapping, as the parquet writer takes them.
pub(crate) struct MappingBatch(pub(crate) ExposureMapping);

impl slate_table::RowBatch for MappingBatch {
    fn columns(&self) -> Vec<slate_table::ColumnSlice<'_>> {
        let m = &self.0;
        let mut columns = m
            .rows
            .column_slices()
            .expect("no mapping column is nullable");
        if let Some(truth) = &m.truth {
            columns.extend(truth.column_slices().expect("no truth column is nullable"));
        }
        columns.extend(
            m.covariates
                .iter()
                .chain(&m.outcomes)
                .map(|c| slate_table::ColumnSlice::F64(&c.values)),
        );
        columns
    }
}

impl Assignment {
    /// The assignment table's fixed columns borrowed from `slates`, whose columns they copy, in
    /// [`ASSIGNMENT`](schema::ASSIGNMENT)'s order: the table is written from them, never built
    /// (69 bytes a slate with one covariate).
    pub(crate) fn slate_columns(slates: &SlateOutcomes) -> Vec<slate_table::ColumnSlice<'_>> {
        use slate_table::ColumnSlice;
        let s = &slates.rows;
        vec![
            ColumnSlice::I64(&s.slate_id),
            ColumnSlice::I64(&s.unit_id),
            ColumnSlice::I64(&s.user_id),
            ColumnSlice::I64(&s.focal_movie_id),
            ColumnSlice::Shared(&s.focal_cluster),
            ColumnSlice::U32(&s.focal_seed_position),
            ColumnSlice::Bool(&s.promotion_applied),
            ColumnSlice::F64(&s.assignment_probability),
        ]
    }

    /// Each covariate's focal value among the features of `slates`, in covariate order (the
    /// assignment table's further columns): borrowed when held, else read from disk.
    pub(crate) fn focal_covariates(
        slates: &SlateOutcomes,
    ) -> Result<Vec<std::borrow::Cow<'_, crate::Feature>>, ExposureError> {
        let names = Assignment::focal_covariate_names(slates);
        let features = slates.features.load_named(&names)?;
        // In column order, which is covariate order: one focal value per covariate.
        debug_assert!(
            features.iter().map(|f| &f.column.name).eq(names.iter()),
            "every covariate has a focal value"
        );
        Ok(features)
    }

    /// The name of each covariate's focal value feature, in covariate order.
    pub(crate) fn focal_covariate_names(slates: &SlateOutcomes) -> Vec<String> {
        slates
            .covariates
            .iter()
            .map(|(name, level)| features::focal_value_name(name, *level))
            .collect()
    }

    /// The assignment table of `slates`: the design columns and each covariate's focal value.
    pub fn of(slates: &SlateOutcomes) -> Result<Assignment, ExposureError> {
        let s = &slates.rows;
        let rows = AssignmentTable {
            slate_id: s.slate_id.clone(),
            unit_id: s.unit_id.clone(),
            user_id: s.user_id.clone(),
            focal_movie_id: s.focal_movie_id.clone(),
            focal_cluster: s.focal_cluster.clone(),
            focal_seed_position: s.focal_seed_position.clone(),
            promotion_applied: s.promotion_applied.clone(),
            assignment_probability: s.assignment_probability.clone(),
        };
        let focal_covariates = Assignment::focal_covariates(slates)?
            .into_iter()
            .map(|f| f.into_owned().column)
            .collect();
        Ok(Assignment {
            rows,
            focal_covariates,
        })
    }
}
