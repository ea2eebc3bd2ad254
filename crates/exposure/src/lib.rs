//! Exposure mapping: who in a slate was exposed to what when its focal item was (or was not)
//! promoted.
//!
//! Pipeline stage 3, the first analysis stage. Depends on `slate-log` (the validated
//! [`ImpressionLog`]) and `slate-table`; never on a source of logs (ingest, simulate) nor on
//! estimation, models or reporting. It defines, once, the exposure roles every estimator uses:
//!
//! - **focal**: the slate's focal item (promoted to position 1 in treated slates);
//! - **same-cluster competitor**: a non-focal item in the focal's substitute cluster;
//! - **displaced item**: a non-focal item seeded above the focal, so promotion pushes it down
//!   one place;
//! - **other**: everything else.
//!
//! Roles are defined from the seed slate, so they exist in both arms: a control slate's
//! same-cluster items are the comparison group for a promoted slate's. It writes the item-row
//! exposure mapping, the slate outcome table (with model features derived from the log's
//! covariates, and the oracle's potential outcomes only when the log carries truth), the
//! assignment table, the covariate table and the exposure-readiness checks. Every row carries
//! its unit's dense index, the cluster of every estimator.

pub mod features;
pub mod known_truth;
pub mod readiness;
pub mod schema;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use slate_log::{CovariateLevel, ImpressionLog, ProbabilitySource};
use slate_table::TableError;
use slate_table::readiness::Check;

pub use schema::{
    Assignment, AssignmentTable, ExposureMapping, Feature, FeatureKind, LogColumnsTable,
    MappingRows, MappingTruth, NamedColumn, SlateOutcomes, SlateRows, SlateTruth,
};

/// What can go wrong mapping exposure or reading its tables back.
#[derive(Debug, thiserror::Error)]
pub enum ExposureError {
    /// The exposure tables on disk disagree with each other (hand-edited or from another run).
    #[error("{table}: {message}")]
    Inconsistent {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// A column derived from a covariate or outcome would take the name of another column.
    #[error(
        "{table}: `{covariate}` would write column `{column}`, which {clash}; rename that column of the log"
    )]
    NameCollision {
        /// The table.
        table: &'static str,
        /// The covariate.
        covariate: String,
        /// The derived column.
        column: String,
        /// What it collides with.
        clash: String,
    },
    /// Reading or writing a table failed.
    #[error(transparent)]
    Table(#[from] TableError),
}

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
    /// One row per slate.
    pub slates: SlateOutcomes,
    /// The design table.
    pub assignment: Assignment,
    /// The exposure-readiness checks.
    pub readiness: Vec<Check>,
}

/// The per-slate tables of the exposure stage: everything it produces but the item-row
/// mapping, which [`write_exposure`] writes without holding it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlateTables {
    /// One row per slate.
    pub slates: SlateOutcomes,
    /// The design table.
    pub assignment: Assignment,
    /// The exposure-readiness checks.
    pub readiness: Vec<Check>,
}

/// The display name of an exposure role, as written in `exposure_condition`.
fn role_name(role: RowRole) -> &'static str {
    match (role.is_focal, role.same_cluster, role.displaced) {
        (true, _, _) => "focal",
        (false, true, true) => "same-cluster competitor, displaced",
        (false, true, false) => "same-cluster competitor",
        (false, false, true) => "displaced item",
        (false, false, false) => "other item",
    }
}

/// Where one item row stands relative to its slate's focal item (defined from the seed
/// slate, so in both arms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRole {
    /// The row is the focal item.
    pub is_focal: bool,
    /// A non-focal item in the focal item's cluster.
    pub same_cluster: bool,
    /// A non-focal item seeded above the focal item (promotion moves it down one place).
    pub displaced: bool,
}

/// The role of every row of slate `s` of `log`, in row order, with the row.
pub fn row_roles(log: &ImpressionLog, s: usize) -> impl Iterator<Item = (usize, RowRole)> + '_ {
    let focal = log.focal_row[s];
    let focal_seed = log.seed_position[focal];
    let focal_cluster = &log.item_cluster[focal];
    log.slate_rows(s).map(move |r| {
        let is_focal = r == focal;
        (
            r,
            RowRole {
                is_focal,
                same_cluster: !is_focal && &log.item_cluster[r] == focal_cluster,
                displaced: !is_focal && log.seed_position[r] < focal_seed,
            },
        )
    })
}

/// Maps exposure for every item and summarises every slate. Fails only when a covariate's
/// derived column would collide with another column.
pub fn map_exposure(log: &ImpressionLog) -> Result<ExposureTables, ExposureError> {
    let SlateTables {
        slates,
        assignment,
        readiness,
    } = map_slates(log)?;
    Ok(ExposureTables {
        mapping: mapping_of_rows(log, 0..log.n_rows()),
        slates,
        assignment,
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
        let focal = log.focal_row[s];
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
        slates.focal_observed_click.push(log.click[focal]);
        slates.n_distinct_clusters.push(clusters.len() as u32);
        slates
            .focal_cluster_share
            .push(f64::from(counts.0 + 1) / n as f64);
        slates.unit_index.push(unit);
        slates
            .assignment_probability_logged
            .push(log.assignment_probability.source == ProbabilitySource::Logged);
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
        truth: slate_truth,
        features,
        covariates,
        outcome_totals,
    };
    let assignment = Assignment::of(&slates);
    let facts = readiness::DesignFacts::of_log(log);
    let readiness = readiness::exposure_readiness(&facts, &slates, &assignment);
    Ok(SlateTables {
        slates,
        assignment,
        readiness,
    })
}

/// Rows `rows` of the exposure mapping of `log` (a range that may start or end inside a
/// slate).
fn mapping_of_rows(log: &ImpressionLog, rows: std::ops::Range<usize>) -> ExposureMapping {
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
        let focal = log.focal_row[s];
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
struct MappingBatch(ExposureMapping);

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

/// Writes every exposure table of `log` to `dir`, as [`write`] writes those of
/// [`map_exposure`], byte for byte, without holding the item-row mapping: it is built and
/// written one parquet row group at a time. Returns the per-slate tables.
pub fn write_exposure(log: &ImpressionLog, dir: &Path) -> Result<SlateTables, ExposureError> {
    let tables = map_slates(log)?;
    let mut parts = vec![&schema::EXPOSURE_MAPPING];
    if log.truth.is_some() {
        parts.push(&schema::EXPOSURE_MAPPING_TRUTH);
    }
    let extra: Vec<&str> = log
        .covariates
        .iter()
        .filter(|c| c.level == CovariateLevel::Item)
        .map(|c| c.column.name.as_str())
        .chain(log.outcomes.iter().map(|o| o.name.as_str()))
        .collect();
    slate_table::write_parquet_batches(
        &parts,
        &extra,
        log.n_rows(),
        |rows| Ok(MappingBatch(mapping_of_rows(log, rows))),
        dir,
    )?;
    write_slate_tables(&tables.slates, &tables.assignment, &tables.readiness, dir)?;
    Ok(tables)
}

impl Assignment {
    /// The assignment table of `slates`: the design columns and each covariate's focal value.
    pub fn of(slates: &SlateOutcomes) -> Assignment {
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
        let focal_covariates = slates
            .covariates
            .iter()
            .map(|(name, level)| {
                let wanted = features::focal_value_name(name, *level);
                let feature = slates
                    .features
                    .iter()
                    .find(|f| f.column.name == wanted)
                    .expect("every covariate has a focal value");
                feature.column.clone()
            })
            .collect();
        Assignment {
            rows,
            focal_covariates,
        }
    }
}

impl SlateOutcomes {
    /// The log-columns table: each covariate with its level and features, then each further
    /// outcome with its slate total.
    pub fn log_columns_table(&self) -> LogColumnsTable {
        let mut table = LogColumnsTable::default();
        for (name, level) in &self.covariates {
            table.column.push(name.clone());
            table.role.push(COVARIATE.to_string());
            table.level.push(level_name(*level).to_string());
            let names: Vec<String> = features::feature_names(name, *level)
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            table.derived.push(names.join(" "));
        }
        for outcome in &self.outcome_totals {
            table.column.push(outcome.name.clone());
            table.role.push(OUTCOME.to_string());
            table
                .level
                .push(level_name(CovariateLevel::Item).to_string());
            table
                .derived
                .push(schema::outcome_total_name(&outcome.name));
        }
        table
    }
}

/// The `role` of a covariate in the log-columns table.
const COVARIATE: &str = "covariate";
/// The `role` of a further outcome.
const OUTCOME: &str = "outcome";

fn level_name(level: CovariateLevel) -> &'static str {
    match level {
        CovariateLevel::Slate => "slate",
        CovariateLevel::Item => "item",
    }
}

/// Writes the five exposure artifacts to `dir`; returns their paths.
pub fn write(tables: &ExposureTables, dir: &Path) -> Result<Vec<PathBuf>, ExposureError> {
    let m = &tables.mapping;
    let mapping_extra: Vec<(&str, &[f64])> = m
        .covariates
        .iter()
        .chain(&m.outcomes)
        .map(|c| (c.name.as_str(), c.values.as_slice()))
        .collect();
    let mut paths = vec![schema::write_parts(
        (&schema::EXPOSURE_MAPPING, m.rows.column_slices()),
        m.truth
            .as_ref()
            .map(|t| (&schema::EXPOSURE_MAPPING_TRUTH, t.column_slices())),
        &mapping_extra,
        dir,
    )?];
    paths.extend(write_slate_tables(
        &tables.slates,
        &tables.assignment,
        &tables.readiness,
        dir,
    )?);
    Ok(paths)
}

/// Writes the four per-slate exposure artifacts (slate outcomes, assignment, log columns,
/// readiness) to `dir`; returns their paths. A run from per-slate sums writes these and no
/// item-row mapping.
pub fn write_slate_tables(
    slates: &SlateOutcomes,
    assignment: &Assignment,
    readiness: &[Check],
    dir: &Path,
) -> Result<Vec<PathBuf>, ExposureError> {
    let mut readiness = slate_table::readiness::to_frame(readiness)?;
    let s = slates;
    let total_names: Vec<String> = s
        .outcome_totals
        .iter()
        .map(|o| schema::outcome_total_name(&o.name))
        .collect();
    let slate_extra: Vec<(&str, &[f64])> = s
        .features
        .iter()
        .map(|f| (f.column.name.as_str(), f.column.values.as_slice()))
        .chain(
            total_names
                .iter()
                .zip(&s.outcome_totals)
                .map(|(name, o)| (name.as_str(), o.values.as_slice())),
        )
        .collect();
    let assignment_extra: Vec<(&str, &[f64])> = assignment
        .focal_covariates
        .iter()
        .map(|c| (c.name.as_str(), c.values.as_slice()))
        .collect();
    Ok(vec![
        schema::write_parts(
            (&schema::SLATE_OUTCOMES, s.rows.column_slices()),
            s.truth
                .as_ref()
                .map(|t| (&schema::SLATE_OUTCOMES_TRUTH, t.column_slices())),
            &slate_extra,
            dir,
        )?,
        schema::write_parts(
            (&schema::ASSIGNMENT, assignment.rows.column_slices()),
            None,
            &assignment_extra,
            dir,
        )?,
        slate_table::write_csv(
            &mut s.log_columns_table().to_frame()?,
            &schema::LOG_COLUMNS,
            dir,
        )?,
        slate_table::write_csv(&mut readiness, &schema::EXPOSURE_READINESS, dir)?,
    ])
}

/// The log's covariates (with their levels) and further outcomes, from the log-columns table in
/// `dir`.
#[allow(clippy::type_complexity)]
fn read_log_columns(
    dir: &Path,
) -> Result<(Vec<(String, CovariateLevel)>, Vec<String>), ExposureError> {
    let path = dir.join(schema::LOG_COLUMNS.file_name);
    let frame = slate_table::read_csv(&path, &schema::LOG_COLUMNS)?;
    let table = LogColumnsTable::from_frame(&frame, &path.display().to_string())?;
    let inconsistent = |message: String| ExposureError::Inconsistent {
        table: path.display().to_string(),
        message,
    };
    let (mut covariates, mut outcomes) = (Vec::new(), Vec::new());
    for i in 0..table.len() {
        let name = &table.column[i];
        match table.role[i].as_str() {
            COVARIATE => {
                let level = match table.level[i].as_str() {
                    "slate" => CovariateLevel::Slate,
                    "item" => CovariateLevel::Item,
                    other => {
                        return Err(inconsistent(format!(
                            "covariate `{name}` has level `{other}`, expected `slate` or `item`"
                        )));
                    }
                };
                covariates.push((name.clone(), level));
            }
            OUTCOME => outcomes.push(name.clone()),
            other => {
                return Err(inconsistent(format!(
                    "column `{name}` has role `{other}`, expected `{COVARIATE}` or `{OUTCOME}`"
                )));
            }
        }
    }
    Ok((covariates, outcomes))
}

/// Whether `frame` carries the first column of the optional part `schema`.
fn has_part(
    frame: &slate_table::polars::prelude::DataFrame,
    schema: &slate_table::TableSchema,
) -> bool {
    frame.column(schema.columns[0].name).is_ok()
}

/// Reads the item-row exposure mapping from `dir`.
pub fn read_mapping(dir: &Path) -> Result<ExposureMapping, ExposureError> {
    let path = dir.join(schema::EXPOSURE_MAPPING.file_name);
    let label = path.display().to_string();
    let frame = slate_table::read_parquet(&path, &schema::EXPOSURE_MAPPING)?;
    let truth = if has_part(&frame, &schema::EXPOSURE_MAPPING_TRUTH) {
        Some(MappingTruth::from_frame(&frame, &label)?)
    } else {
        None
    };
    let (covariates, outcomes) = read_log_columns(dir)?;
    let column = |name: String| -> Result<NamedColumn, ExposureError> {
        let values = slate_table::column_f64(&frame, &label, &name)?;
        Ok(NamedColumn { name, values })
    };
    let covariates = covariates
        .into_iter()
        .filter(|(_, level)| *level == CovariateLevel::Item)
        .map(|(name, _)| column(name))
        .collect::<Result<_, _>>()?;
    let outcomes = outcomes.into_iter().map(column).collect::<Result<_, _>>()?;
    Ok(ExposureMapping {
        rows: MappingRows::from_frame(&frame, &label)?,
        truth,
        covariates,
        outcomes,
    })
}

/// Reads the slate outcome table (with its covariate features) from `dir`.
pub fn read_slates(dir: &Path) -> Result<SlateOutcomes, ExposureError> {
    let path = dir.join(schema::SLATE_OUTCOMES.file_name);
    let label = path.display().to_string();
    let frame = slate_table::read_parquet(&path, &schema::SLATE_OUTCOMES)?;
    let truth = if has_part(&frame, &schema::SLATE_OUTCOMES_TRUTH) {
        Some(SlateTruth::from_frame(&frame, &label)?)
    } else {
        None
    };
    let (covariates, outcomes) = read_log_columns(dir)?;
    let outcome_totals = outcomes
        .into_iter()
        .map(|name| {
            let values =
                slate_table::column_f64(&frame, &label, &schema::outcome_total_name(&name))?;
            Ok(NamedColumn { name, values })
        })
        .collect::<Result<_, ExposureError>>()?;
    let mut features = Vec::new();
    for (name, level) in &covariates {
        for (feature, kind) in features::feature_names(name, *level) {
            let values = slate_table::column_f64(&frame, &label, &feature)?;
            features.push(Feature {
                column: NamedColumn {
                    name: feature,
                    values,
                },
                kind,
            });
        }
    }
    Ok(SlateOutcomes {
        rows: SlateRows::from_frame(&frame, &label)?,
        truth,
        features,
        covariates,
        outcome_totals,
    })
}

#[cfg(test)]
mod tests;
