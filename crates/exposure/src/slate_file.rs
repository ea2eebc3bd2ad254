//! The slate-outcomes table on disk, read a few columns or one row group at a time: what a
//! stage reads when it must not hold the whole table (the models stage, at tens of millions of
//! slates, keeps only its per-slate outcome and arm and streams the features).

use std::ops::Range;
use std::path::{Path, PathBuf};

use slate_log::CovariateLevel;
use slate_table::TableError;
use slate_table::polars::prelude::*;

use crate::schema::{self, FeatureKind, SlateRows, SlateTruth};
use crate::tables_io::read_log_columns;
use crate::{ExposureError, features};

/// The slate-outcomes table of a processed directory, opened without reading its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SlateOutcomesFile {
    path: PathBuf,
    /// Each row group's rows, in file order.
    row_groups: Vec<Range<usize>>,
    /// The log's covariates with their levels (what the feature columns derive from).
    covariates: Vec<(String, CovariateLevel)>,
    /// Whether the table carries the truth columns.
    truth: bool,
}

impl SlateOutcomesFile {
    /// Opens the slate-outcomes table of `dir` (with the log-columns table beside it): its
    /// footer and column names only. A missing column of the schema is an error naming it.
    pub fn open(dir: &Path) -> Result<SlateOutcomesFile, ExposureError> {
        let path = dir.join(schema::SLATE_OUTCOMES.file_name);
        let names = slate_table::parquet_columns(&path)?;
        let has = |name: &str| names.iter().any(|n| n == name);
        if let Some(missing) = schema::SLATE_OUTCOMES.columns.iter().find(|c| !has(c.name)) {
            return Err(ExposureError::Table(TableError::MissingColumn {
                table: path.display().to_string(),
                column: missing.name.to_string(),
            }));
        }
        let truth = has(schema::SLATE_OUTCOMES_TRUTH.columns[0].name);
        let mut start = 0;
        let row_groups =
            slate_table::parquet_row_groups(&path, schema::SLATE_OUTCOMES.columns[0].name)?
                .into_iter()
                .map(|group| {
                    let rows = start..start + group.rows;
                    start = rows.end;
                    rows
                })
                .collect();
        let (covariates, _) = read_log_columns(dir)?;
        Ok(SlateOutcomesFile {
            path,
            row_groups,
            covariates,
            truth,
        })
    }

    /// The table's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Slates (rows).
    pub fn len(&self) -> usize {
        self.row_groups.last().map_or(0, |rows| rows.end)
    }

    /// Whether the table has no slate.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the table carries the truth columns.
    pub fn has_truth(&self) -> bool {
        self.truth
    }

    /// The rows of each row group, in file order: the unit [`SlateOutcomesFile::frame`] reads
    /// best.
    pub fn row_groups(&self) -> &[Range<usize>] {
        &self.row_groups
    }

    /// The covariate-derived feature columns, with their kinds, in the table's order (the
    /// order of [`crate::SlateOutcomes::features`]).
    pub fn features(&self) -> Vec<(String, FeatureKind)> {
        self.covariates
            .iter()
            .flat_map(|(name, level)| features::feature_names(name, *level))
            .collect()
    }

    /// Columns `names` of rows `rows` (every row when `None`), as a frame.
    pub fn frame(
        &self,
        names: &[&str],
        rows: Option<Range<usize>>,
    ) -> Result<DataFrame, ExposureError> {
        read_frame(&self.path, names, rows)
    }

    /// The fixed columns of rows `rows`.
    pub fn slate_rows(&self, rows: Range<usize>) -> Result<SlateRows, ExposureError> {
        let names = schema::SLATE_OUTCOMES.column_names();
        let frame = self.frame(&names, Some(rows))?;
        Ok(SlateRows::from_frame(
            &frame,
            &self.path.display().to_string(),
        )?)
    }

    /// The truth columns of rows `rows`, when the table has them.
    pub fn slate_truth(&self, rows: Range<usize>) -> Result<Option<SlateTruth>, ExposureError> {
        if !self.truth {
            return Ok(None);
        }
        let names = schema::SLATE_OUTCOMES_TRUTH.column_names();
        let frame = self.frame(&names, Some(rows))?;
        Ok(Some(SlateTruth::from_frame(
            &frame,
            &self.path.display().to_string(),
        )?))
    }

    /// Columns `names` of rows `rows`, each as `f64` (integers and booleans converted
    /// exactly), in `names` order.
    pub fn f64_columns(
        &self,
        names: &[String],
        rows: Range<usize>,
    ) -> Result<Vec<Vec<f64>>, ExposureError> {
        f64_columns(&self.path, names, rows)
    }
}

/// Columns `names` of rows `rows` of the parquet file at `path`, each as `f64` (integers and
/// booleans converted exactly), in `names` order; a null is an error naming its row.
pub(crate) fn f64_columns(
    path: &Path,
    names: &[String],
    rows: Range<usize>,
) -> Result<Vec<Vec<f64>>, ExposureError> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let frame = read_frame(path, &refs, Some(rows.clone()))?;
    let label = path.display().to_string();
    names
        .iter()
        .map(|name| {
            let polars = |source| {
                ExposureError::Table(TableError::Polars {
                    table: label.clone(),
                    source,
                })
            };
            let column = frame
                .column(name)
                .map_err(polars)?
                .strict_cast(&DataType::Float64)
                .map_err(polars)?;
            let values = column.f64().map_err(polars)?;
            if values.null_count() > 0 {
                let first = values.iter().position(|v| v.is_none()).unwrap_or(0);
                return Err(ExposureError::Table(TableError::Nulls {
                    table: label.clone(),
                    column: name.clone(),
                    nulls: values.null_count(),
                    first_row: rows.start + first + 1,
                }));
            }
            Ok(values.into_no_null_iter().collect())
        })
        .collect()
}

/// Columns `names` of rows `rows` (every row when `None`) of the parquet file at `path`.
fn read_frame(
    path: &Path,
    names: &[&str],
    rows: Option<Range<usize>>,
) -> Result<DataFrame, ExposureError> {
    let file = slate_table::open_file(path)?;
    ParquetReader::new(file)
        .with_columns(Some(names.iter().map(|n| n.to_string()).collect()))
        .with_slice(rows.map(|r| (r.start, r.len())))
        .finish()
        .map_err(|e| {
            ExposureError::Table(TableError::Corrupt {
                path: path.to_path_buf(),
                format: "parquet",
                message: e.to_string(),
            })
        })
}
