//! The exposure tables on disk: written atomically (the item-row mapping a row group at a
//! time), and read back with their covariate features.

use std::path::{Path, PathBuf};

use slate_log::{CovariateLevel, ImpressionLog};
use slate_table::readiness::Check;
use slate_table::{ColumnSlice, RowBatch, TableError};

use crate::mapping::{ExposureTables, MappingBatch, SlateTables, map_slates, mapping_of_rows};
use crate::schema::{
    Assignment, ColumnRole, ExposureMapping, Feature, HeldTruth, LogColumnsTable, MappingRows,
    MappingTruth, NamedColumn, SlateOutcomes, SlateRows, SlateTruth,
};
use crate::{ExposureError, FeatureColumns, features, schema};

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
    write_slate_tables(&tables.slates, &tables.readiness, dir)?;
    Ok(tables)
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
    paths.extend(write_slate_tables(&tables.slates, &tables.readiness, dir)?);
    Ok(paths)
}

/// Writes the four per-slate exposure artifacts (slate outcomes, assignment, log columns,
/// readiness) to `dir`; returns their paths. A run from per-slate sums writes these and no
/// item-row mapping.
pub fn write_slate_tables(
    slates: &SlateOutcomes,
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
    let totals = || {
        total_names
            .iter()
            .zip(&s.outcome_totals)
            .map(|(name, o)| (name.as_str(), o.values.as_slice()))
    };
    let nullable = |schema: &slate_table::TableSchema| {
        ExposureError::Table(TableError::SchemaMismatch {
            table: schema.file_name.to_string(),
            message: "a nullable column cannot be written from borrowed columns".into(),
        })
    };
    // Both tables a row group at a time: each group's features copied or read from disk and
    // its truth columns borrowed or derived from the totals then (the files are the ones
    // whole columns give, byte for byte).
    let mut parts = vec![&schema::SLATE_OUTCOMES];
    if s.truth.is_some() {
        parts.push(&schema::SLATE_OUTCOMES_TRUTH);
    }
    let held = s
        .rows
        .column_slices()
        .ok_or_else(|| nullable(&schema::SLATE_OUTCOMES))?;
    let feature_names: Vec<String> = s.features.names().into_iter().map(|(n, _)| n).collect();
    let after: Vec<(&str, &[f64])> = totals().collect();
    let slate_path = write_with_features(
        &parts,
        (
            &held,
            s.truth.as_ref().map(|t| (t, &s.promotion_applied[..])),
        ),
        (&feature_names, &s.features),
        &after,
        s.len(),
        dir,
    )?;
    // The assignment table copies columns of the slate table: written from them.
    let assignment_path = write_with_features(
        &[&schema::ASSIGNMENT],
        (&Assignment::slate_columns(s), None),
        (&Assignment::focal_covariate_names(s), &s.features),
        &[],
        s.len(),
        dir,
    )?;
    Ok(vec![
        slate_path,
        assignment_path,
        slate_table::write_csv(
            &mut s.log_columns_table().to_frame()?,
            &schema::LOG_COLUMNS,
            dir,
        )?,
        slate_table::write_csv(&mut readiness, &schema::EXPOSURE_READINESS, dir)?,
    ])
}

/// One row group of a table written from held columns, then the group's truth columns and
/// feature columns, then held `f64` columns.
struct FeatureBatch<'a> {
    before: Vec<ColumnSlice<'a>>,
    truth: Option<SlateTruth>,
    features: Vec<Vec<f64>>,
    after: Vec<ColumnSlice<'a>>,
}

impl RowBatch for FeatureBatch<'_> {
    fn columns(&self) -> Vec<ColumnSlice<'_>> {
        let truth = self
            .truth
            .as_ref()
            .and_then(SlateTruth::column_slices)
            .unwrap_or_default();
        self.before
            .iter()
            .copied()
            .chain(truth)
            .chain(self.features.iter().map(|f| ColumnSlice::F64(f)))
            .chain(self.after.iter().copied())
            .collect()
    }
}

/// Writes the table of `parts` with the columns `held` (the first part's columns), then the
/// truth columns of `truth` (with the slates' arms; derived a row group at a time), then
/// features `names` of `features` (read a row group at a time), then the `f64` columns
/// `after`: `rows` rows, a row group at a time.
fn write_with_features(
    parts: &[&slate_table::TableSchema],
    (held, truth): (&[ColumnSlice<'_>], Option<(&HeldTruth, &[bool])>),
    (names, features): (&[String], &FeatureColumns),
    after: &[(&str, &[f64])],
    rows: usize,
    dir: &Path,
) -> Result<PathBuf, ExposureError> {
    let extra: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .chain(after.iter().map(|(name, _)| *name))
        .collect();
    let path = slate_table::write_parquet_batches(
        parts,
        &extra,
        rows,
        |range| {
            let features = features.rows(names, range.clone()).map_err(|e| match e {
                ExposureError::Table(e) => e,
                other => TableError::SchemaMismatch {
                    table: parts[0].file_name.to_string(),
                    message: other.to_string(),
                },
            })?;
            Ok(FeatureBatch {
                before: held.iter().map(|c| c.slice(range.clone())).collect(),
                truth: truth.map(|(truth, promoted)| truth.rows(range.clone(), promoted)),
                features,
                after: after
                    .iter()
                    .map(|(_, values)| ColumnSlice::F64(&values[range.clone()]))
                    .collect(),
            })
        },
        dir,
    )?;
    Ok(path)
}

/// The log's covariates (with their levels) and further outcomes, from the log-columns table in
/// `dir`.
#[allow(clippy::type_complexity)]
pub(crate) fn read_log_columns(
    dir: &Path,
) -> Result<(Vec<(String, CovariateLevel)>, Vec<String>), ExposureError> {
    let path = dir.join(schema::LOG_COLUMNS.file_name);
    let frame = slate_table::read_csv(&path, &schema::LOG_COLUMNS)?;
    let table = LogColumnsTable::from_frame(&frame, &path.display().to_string())?;
    let (mut covariates, mut outcomes) = (Vec::new(), Vec::new());
    for i in 0..table.len() {
        let name = table.column[i].clone();
        match table.role[i] {
            ColumnRole::Covariate => covariates.push((name, table.level[i])),
            ColumnRole::Outcome => outcomes.push(name),
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

/// Reads the item-row exposure mapping from `dir`, one parquet row group at a time into
/// columns sized for the whole table: memory holds the mapping and one group's frame, not a
/// frame of the whole table beside it.
pub fn read_mapping(dir: &Path) -> Result<ExposureMapping, ExposureError> {
    let path = dir.join(schema::EXPOSURE_MAPPING.file_name);
    let label = path.display().to_string();
    let names = slate_table::parquet_columns(&path)?;
    let has_truth = names
        .iter()
        .any(|name| name == schema::EXPOSURE_MAPPING_TRUTH.columns[0].name);
    let total: usize =
        slate_table::parquet_row_groups(&path, schema::EXPOSURE_MAPPING.columns[0].name)?
            .iter()
            .map(|group| group.rows)
            .sum();
    let (covariates, outcomes) = read_log_columns(dir)?;
    // The item-level covariates' columns, then the outcomes'.
    let item_covariates: Vec<String> = covariates
        .into_iter()
        .filter(|(_, level)| *level == CovariateLevel::Item)
        .map(|(name, _)| name)
        .collect();
    let n_covariates = item_covariates.len();
    // Room for the rows the footer counts, or an error saying memory cannot hold them.
    let too_many = |_| {
        ExposureError::Table(slate_table::TableError::Corrupt {
            path: path.clone(),
            format: "parquet",
            message: format!("its footer counts {total} rows, more than memory can hold"),
        })
    };
    let mut columns: Vec<NamedColumn> = item_covariates
        .into_iter()
        .chain(outcomes)
        .map(|name| NamedColumn {
            name,
            values: Vec::new(),
        })
        .collect();
    for column in &mut columns {
        column.values.try_reserve_exact(total).map_err(too_many)?;
    }
    let mut rows = MappingRows::default();
    rows.try_reserve(total).map_err(too_many)?;
    let mut truth = match has_truth {
        true => {
            let mut truth = MappingTruth::default();
            truth.try_reserve(total).map_err(too_many)?;
            Some(truth)
        }
        false => None,
    };
    slate_table::read_parquet_row_groups(&path, &schema::EXPOSURE_MAPPING, |start, frame| {
        let placed = |error: slate_table::TableError| error.after_rows(start);
        rows.append(MappingRows::from_frame(&frame, &label).map_err(placed)?);
        if let Some(truth) = &mut truth {
            truth.append(MappingTruth::from_frame(&frame, &label).map_err(placed)?);
        }
        for column in &mut columns {
            let values = slate_table::column_f64(&frame, &label, &column.name).map_err(placed)?;
            column.values.extend(values);
        }
        Ok(())
    })?;
    let outcomes = columns.split_off(n_covariates);
    Ok(ExposureMapping {
        rows,
        truth,
        covariates: columns,
        outcomes,
    })
}

/// Reads the slate outcome table (with its covariate features) from `dir`.
pub fn read_slates(dir: &Path) -> Result<SlateOutcomes, ExposureError> {
    let path = dir.join(schema::SLATE_OUTCOMES.file_name);
    let label = path.display().to_string();
    let frame = slate_table::read_parquet(&path, &schema::SLATE_OUTCOMES)?;
    let truth = if has_part(&frame, &schema::SLATE_OUTCOMES_TRUTH) {
        Some(HeldTruth::Columns(SlateTruth::from_frame(&frame, &label)?))
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
        features: FeatureColumns::Held(features),
        covariates,
        outcome_totals,
    })
}

impl SlateOutcomes {
    /// The log-columns table: each covariate with its level and features, then each further
    /// outcome with its slate total.
    pub fn log_columns_table(&self) -> LogColumnsTable {
        let mut table = LogColumnsTable::default();
        for (name, level) in &self.covariates {
            table.column.push(name.clone());
            table.role.push(ColumnRole::Covariate);
            table.level.push(*level);
            let names: Vec<String> = features::feature_names(name, *level)
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            table.derived.push(names.join(" "));
        }
        for outcome in &self.outcome_totals {
            table.column.push(outcome.name.clone());
            table.role.push(ColumnRole::Outcome);
            table.level.push(CovariateLevel::Item);
            table
                .derived
                .push(schema::outcome_total_name(&outcome.name));
        }
        table
    }
}
