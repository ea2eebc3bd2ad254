//! The per-slate table on disk, whichever engine wrote it (the embedded one, Spark): its part
//! files, a copy as the run's own table, and its columns read one at a time in slate order.

use std::path::{Path, PathBuf};

use slate_exposure::ExposureError;
use slate_table::TableError;
use slate_table::polars::prelude::*;

use crate::columns::SLATE_STATS_FILE;

pub(crate) fn bad(path: &Path, slate: &str, column: &str, reason: String) -> ExposureError {
    ExposureError::Inconsistent {
        table: path.display().to_string(),
        message: format!("slate {slate}, column `{column}`: {reason}"),
    }
}

/// The parquet files of a per-slate table: the file itself, or every `*.parquet` file of a
/// directory in name order (the part files Spark writes).
pub(crate) fn part_files(path: &Path) -> Result<Vec<PathBuf>, ExposureError> {
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| {
                ExposureError::Table(TableError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(ExposureError::Inconsistent {
            table: path.display().to_string(),
            message: "no parquet file".into(),
        });
    }
    Ok(files)
}

/// The rows of a parquet file, or of every `*.parquet` file of a directory in name order (the
/// part files Spark writes), as one frame.
pub fn read_parquet_parts(path: &Path) -> Result<DataFrame, ExposureError> {
    read_parts(&part_files(path)?, None)
}

/// The rows of `files` in order, only `columns` when given, as one frame.
pub(crate) fn read_parts(
    files: &[PathBuf],
    columns: Option<&[String]>,
) -> Result<DataFrame, ExposureError> {
    let mut frame: Option<DataFrame> = None;
    for file in files {
        let f = slate_table::open_file(file)?;
        let part = ParquetReader::new(f)
            .with_columns(columns.map(<[String]>::to_vec))
            .finish()
            .map_err(|source| {
                ExposureError::Table(TableError::Corrupt {
                    path: file.clone(),
                    format: "parquet",
                    message: source.to_string(),
                })
            })?;
        match &mut frame {
            Some(all) => {
                all.vstack_mut(&part).map_err(|source| {
                    ExposureError::Table(TableError::Polars {
                        table: file.display().to_string(),
                        source,
                    })
                })?;
            }
            None => frame = Some(part),
        }
    }
    Ok(frame.unwrap_or_default())
}

/// Copies the per-slate table at `path` (a parquet file, or a directory of part files) to
/// `dir/`[`SLATE_STATS_FILE`] as one parquet file, atomically; returns its path.
pub fn copy_slate_stats(path: &Path, dir: &Path) -> Result<PathBuf, ExposureError> {
    if path.is_file() {
        let mut source = slate_table::open_file(path)?;
        return Ok(slate_table::write_atomically(
            dir,
            SLATE_STATS_FILE,
            |out| {
                std::io::copy(&mut source, out)
                    .map(|_| ())
                    .map_err(|source| TableError::Io {
                        path: path.to_path_buf(),
                        source,
                    })
            },
        )?);
    }
    let mut frame = read_parquet_parts(path)?;
    Ok(slate_table::write_atomically(
        dir,
        SLATE_STATS_FILE,
        |out| {
            crate::columns::slate_stats_writer(out)
                .finish(&mut frame)
                .map(|_| ())
                .map_err(|source| TableError::Polars {
                    table: SLATE_STATS_FILE.into(),
                    source,
                })
        },
    )?)
}

/// Whether an id column (integers or strings) is in strictly ascending order without nulls.
pub(crate) fn ascending(column: &Column) -> bool {
    /// Whether `values` (none null) strictly increase.
    fn increasing<T: PartialOrd>(mut values: impl Iterator<Item = Option<T>>) -> bool {
        let Some(mut last) = values.next() else {
            return true;
        };
        values.all(|v| {
            let up = last.is_some() && v > last;
            last = v;
            up
        }) && last.is_some()
    }
    if let Ok(ids) = column.i64() {
        increasing(ids.iter())
    } else if let Ok(ids) = column.str() {
        increasing(ids.iter())
    } else {
        false
    }
}

/// The columns of a per-slate table on disk, each read alone and put in slate order: what the
/// read checks and what [`TruthCells`] reads again when a truth view is needed.
#[derive(Debug, Clone)]
pub(crate) struct ColumnSource {
    /// The table as given (a file, or a directory of part files), for messages.
    pub(crate) path: PathBuf,
    pub(crate) files: Vec<PathBuf>,
    /// The slate order of the rows, when the table is not in it.
    pub(crate) order: Option<IdxCa>,
}

impl ColumnSource {
    /// The columns of the parquet file `path`, its rows in slate order.
    #[cfg(test)]
    pub(crate) fn of_file(path: &Path) -> ColumnSource {
        ColumnSource {
            path: path.to_path_buf(),
            files: vec![path.to_path_buf()],
            order: None,
        }
    }

    pub(crate) fn polars(&self, source: PolarsError) -> ExposureError {
        ExposureError::Table(TableError::Polars {
            table: self.path.display().to_string(),
            source,
        })
    }

    /// Column `name`, cast to `dtype` when given, in slate order.
    pub(crate) fn column(
        &self,
        name: &str,
        dtype: Option<&DataType>,
    ) -> Result<Column, ExposureError> {
        let mut frame = read_parts(&self.files, Some(&[name.to_string()]))?;
        let column = frame.drop_in_place(name).map_err(|e| self.polars(e))?;
        let column = match dtype {
            Some(dtype) => column.strict_cast(dtype).map_err(|e| self.polars(e))?,
            None => column,
        };
        match &self.order {
            Some(order) => column.take(order).map_err(|e| self.polars(e)),
            None => Ok(column),
        }
    }

    /// Float column `name` in slate order (a null as NaN).
    pub(crate) fn f64s(&self, name: &str) -> Result<Vec<f64>, ExposureError> {
        let c = self.column(name, Some(&DataType::Float64))?;
        Ok(c.f64()
            .map_err(|e| self.polars(e))?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    }
}
