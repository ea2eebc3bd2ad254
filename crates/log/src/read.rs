//! Reading a log file into typed columns: type coercion and per-value checks. Rules that span
//! rows (one focal, permutations, constant arms) are in `validate`.

use std::path::Path;

use polars::prelude::*;

use crate::config::LogConfig;
use crate::ids::RawIds;
use crate::schema::LogColumn;
use crate::{LogError, NamedValues, Truth};
use slate_table::{SharedStr, shared_strs};

/// Reads a `.parquet` or `.csv` file into a frame, with the file's own column names and types
/// (CSV types are inferred from every row).
pub fn read_frame(path: &Path) -> Result<DataFrame, LogError> {
    if is_parquet(path) {
        return parquet_reader(path)?
            .finish()
            .map_err(corrupt_parquet(path));
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(None)
            .into_reader_with_file_handle(open_log(path)?)
            .finish()
            .map_err(|e| LogError::Corrupt {
                path: path.to_path_buf(),
                format: "csv",
                message: e.to_string(),
            });
    }
    Err(LogError::Format {
        path: path.to_path_buf(),
    })
}

/// Whether `path` names a parquet file (by its extension, in any case).
pub(crate) fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Opens the log file at `path`.
fn open_log(path: &Path) -> Result<std::fs::File, LogError> {
    std::fs::File::open(path).map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A polars reader of the parquet file at `path`.
fn parquet_reader(path: &Path) -> Result<ParquetReader<std::fs::File>, LogError> {
    Ok(ParquetReader::new(open_log(path)?))
}

/// The error of a file at `path` that polars cannot read as parquet.
fn corrupt_parquet(path: &Path) -> impl Fn(PolarsError) -> LogError + '_ {
    move |e| LogError::Corrupt {
        path: path.to_path_buf(),
        format: "parquet",
        message: e.to_string(),
    }
}

/// A value that breaks a per-value rule, found while extracting (0-based row).
#[derive(Debug, Clone)]
pub(crate) struct RowProblem {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

/// The log's columns in file order, typed but not yet validated across rows.
#[derive(Debug)]
pub(crate) struct RawLog {
    pub file: String,
    pub slate: RawIds,
    pub unit: Option<RawIds>,
    pub user: Option<RawIds>,
    pub item: RawIds,
    pub item_cluster: Vec<SharedStr>,
    pub seed_position: Vec<i64>,
    pub shown_position: Vec<i64>,
    pub is_focal: Vec<bool>,
    /// Each row's target position ([`NO_TARGET`] where null), when the log has the column.
    pub target_position: Option<Vec<i64>>,
    pub promoted: Vec<bool>,
    pub click: Vec<bool>,
    pub outcomes: Vec<NamedValues>,
    pub covariates: Vec<NamedValues>,
    pub truth: Option<Truth>,
    pub assignment_probability: Option<Vec<f64>>,
    pub problems: Vec<RowProblem>,
    /// Each row's 0-based data row in the file, once rows were dropped (rows are only ever
    /// dropped, never reordered, before validation); `None` while every row is there (row `r`
    /// is the file's row `r`): see [`RawLog::file_row`].
    pub kept_rows: Option<Vec<usize>>,
    /// The file's name for each canonical column (for messages).
    pub names: Vec<(LogColumn, String)>,
}

/// A null target position (allowed on a non-focal row, whose target is ignored).
pub(crate) const NO_TARGET: i64 = i64::MIN;

/// Where a log's columns come from.
pub(crate) enum Columns<'a> {
    /// A frame already in memory (a CSV file, or a caller's frame).
    Frame(&'a DataFrame),
    /// A parquet file, read one column at a time: memory holds the columns extracted so far
    /// and the one being extracted, never the whole file beside them.
    Parquet {
        /// The file.
        path: &'a Path,
        /// Its columns.
        names: Vec<String>,
    },
}

impl<'a> Columns<'a> {
    /// The columns of parquet file `path` (errors as [`read_frame`]'s: the file cannot be
    /// opened, or is not parquet).
    pub(crate) fn parquet(path: &'a Path) -> Result<Self, LogError> {
        let names = parquet_reader(path)?
            .schema()
            .map_err(corrupt_parquet(path))?
            .iter_names()
            .map(|name| name.to_string())
            .collect();
        Ok(Columns::Parquet { path, names })
    }

    /// Whether the source has column `name` (without reading it).
    fn has(&self, name: &str) -> bool {
        match self {
            Columns::Frame(frame) => frame.column(name).is_ok(),
            Columns::Parquet { names, .. } => names.iter().any(|n| n == name),
        }
    }

    /// Column `name`, if the source has it.
    fn get(&self, name: &str) -> Result<Option<Column>, LogError> {
        if !self.has(name) {
            return Ok(None);
        }
        match self {
            Columns::Frame(frame) => Ok(frame.column(name).ok().cloned()),
            Columns::Parquet { path, .. } => {
                let mut frame = parquet_reader(path)?
                    .with_columns(Some(vec![name.to_string()]))
                    .finish()
                    .map_err(corrupt_parquet(path))?;
                Ok(Some(
                    frame.drop_in_place(name).map_err(corrupt_parquet(path))?,
                ))
            }
        }
    }
}

/// Looks columns up by their name in the file and converts them, collecting per-value problems.
struct Extractor<'a> {
    columns: Columns<'a>,
    file: &'a str,
    config: &'a LogConfig,
    problems: Vec<RowProblem>,
}

impl<'a> Extractor<'a> {
    fn canonical(&self, column: LogColumn) -> Result<Option<(Column, String)>, LogError> {
        let name = self.config.file_name_of(column).to_string();
        match self.columns.get(&name)? {
            Some(c) => Ok(Some((c, name))),
            None if !column.required() => Ok(None),
            None => Err(LogError::MissingColumn {
                file: self.file.to_string(),
                mapped: if name == column.name() {
                    String::new()
                } else {
                    format!(" (canonical `{}`, mapped in [log.columns])", column.name())
                },
                column: name,
            }),
        }
    }

    fn required(&self, column: LogColumn) -> Result<(Column, String), LogError> {
        Ok(self
            .canonical(column)?
            .expect("required columns are present"))
    }

    fn named(&self, name: &str) -> Result<Column, LogError> {
        self.columns
            .get(name)?
            .ok_or_else(|| LogError::MissingColumn {
                file: self.file.to_string(),
                column: name.to_string(),
                mapped: " (listed in [log] outcomes or covariates)".into(),
            })
    }

    fn wrong_type(&self, column: &Column, expected: &'static str) -> LogError {
        // A CSV column with one stray value (`NA`, `1.5` among integers) is read as text or
        // floats: name the first row whose value is not of the expected kind.
        let row = match column.dtype() {
            DataType::String => column.str().ok().and_then(|values| {
                values.iter().position(|v| {
                    let v = v.unwrap_or("").trim();
                    v.parse::<f64>().is_err()
                        && !v.eq_ignore_ascii_case("true")
                        && !v.eq_ignore_ascii_case("false")
                })
            }),
            DataType::Float64 if expected.contains("integer") => {
                column.f64().ok().and_then(|values| {
                    values
                        .iter()
                        .position(|v| v.is_some_and(|v| v.fract() != 0.0))
                })
            }
            _ => None,
        };
        LogError::WrongType {
            file: self.file.to_string(),
            column: column.name().to_string(),
            found: match row {
                Some(row) => format!("{} (first at row {})", column.dtype(), row + 1),
                None => column.dtype().to_string(),
            },
            expected,
        }
    }

    fn no_nulls(&self, column: &Column) -> Result<(), LogError> {
        if column.null_count() == 0 {
            return Ok(());
        }
        let row = column
            .is_null()
            .iter()
            .position(|v| v == Some(true))
            .unwrap_or(0);
        Err(LogError::Null {
            file: self.file.to_string(),
            column: column.name().to_string(),
            row: row + 1,
        })
    }

    fn cast(&self, column: &Column, to: &DataType) -> Result<Column, LogError> {
        column
            .cast(to)
            .map_err(|_| self.wrong_type(column, "a number"))
    }

    fn ids(&self, column: Column) -> Result<RawIds, LogError> {
        self.no_nulls(&column)?;
        RawIds::of_column(&column)
            .ok_or_else(|| self.wrong_type(&column, "a signed 64-bit integer or a string"))
    }

    /// A string column, each distinct value allocated once.
    fn strings(&self, column: Column) -> Result<Vec<SharedStr>, LogError> {
        self.no_nulls(&column)?;
        if !(column.dtype().is_string() || column.dtype().is_integer()) {
            return Err(self.wrong_type(&column, "a string"));
        }
        let cast = self.cast(&column, &DataType::String)?;
        Ok(shared_strs(
            cast.str().expect("cast to string").no_null_iter(),
        ))
    }

    fn integers(&self, column: Column) -> Result<Vec<i64>, LogError> {
        self.no_nulls(&column)?;
        if !column.dtype().is_integer() {
            return Err(self.wrong_type(&column, "an integer"));
        }
        let cast = column
            .strict_cast(&DataType::Int64)
            .map_err(|_| self.wrong_type(&column, "a signed 64-bit integer"))?;
        Ok(cast.i64().expect("cast to i64").no_null_iter().collect())
    }

    /// An integer column that may hold nulls (each read as `null`).
    fn integers_or(&self, column: Column, null: i64) -> Result<Vec<i64>, LogError> {
        if !column.dtype().is_integer() && !column.dtype().is_null() {
            return Err(self.wrong_type(&column, "an integer"));
        }
        let cast = column
            .strict_cast(&DataType::Int64)
            .map_err(|_| self.wrong_type(&column, "a signed 64-bit integer"))?;
        Ok(cast
            .i64()
            .expect("cast to i64")
            .iter()
            .map(|v| v.unwrap_or(null))
            .collect())
    }

    fn numbers(&mut self, column: Column) -> Result<Vec<f64>, LogError> {
        self.no_nulls(&column)?;
        let dtype = column.dtype();
        if !(dtype.is_primitive_numeric() || dtype.is_bool()) {
            return Err(self.wrong_type(&column, "a number"));
        }
        let cast = self.cast(&column, &DataType::Float64)?;
        let values: Vec<f64> = cast.f64().expect("cast to f64").no_null_iter().collect();
        for (row, v) in values.iter().enumerate() {
            if !v.is_finite() {
                self.problems.push(RowProblem {
                    row,
                    column: column.name().to_string(),
                    reason: format!("value {v} is not a finite number"),
                });
            }
        }
        Ok(values)
    }

    /// A boolean column: booleans, or numbers that are 0 or 1.
    fn flags(&mut self, column: Column) -> Result<Vec<bool>, LogError> {
        self.no_nulls(&column)?;
        if column.dtype().is_bool() {
            return Ok(column
                .bool()
                .expect("boolean column")
                .no_null_iter()
                .collect());
        }
        if !column.dtype().is_primitive_numeric() {
            return Err(self.wrong_type(&column, "a boolean or 0/1"));
        }
        let name = column.name().to_string();
        let values = self.numbers(column)?;
        Ok(values
            .iter()
            .enumerate()
            .map(|(row, v)| {
                if *v != 0.0 && *v != 1.0 && v.is_finite() {
                    self.problems.push(RowProblem {
                        row,
                        column: name.clone(),
                        reason: format!("value {v} is neither 0 nor 1"),
                    });
                }
                *v == 1.0
            })
            .collect())
    }
}

impl RawLog {
    /// Extracts every canonical, outcome and covariate column of `columns`. Each column is
    /// handed to its conversion by value and dropped there: a parquet file's columns are never
    /// in memory beside all the converted ones.
    pub fn extract(
        columns: Columns<'_>,
        file: &str,
        config: &LogConfig,
    ) -> Result<RawLog, LogError> {
        let mut x = Extractor {
            columns,
            file,
            config,
            problems: Vec::new(),
        };
        let mut names = Vec::new();
        let mut note = |column: LogColumn, name: &str| names.push((column, name.to_string()));

        let (c, name) = x.required(LogColumn::SlateId)?;
        note(LogColumn::SlateId, &name);
        let slate = x.ids(c)?;
        let unit = match x.canonical(LogColumn::UnitId)? {
            Some((c, name)) => {
                note(LogColumn::UnitId, &name);
                Some(x.ids(c)?)
            }
            None => None,
        };
        let user = match x.canonical(LogColumn::UserId)? {
            Some((c, name)) => {
                note(LogColumn::UserId, &name);
                Some(x.ids(c)?)
            }
            None => None,
        };
        let (c, name) = x.required(LogColumn::ItemId)?;
        note(LogColumn::ItemId, &name);
        let item = x.ids(c)?;
        let (c, name) = x.required(LogColumn::ItemCluster)?;
        note(LogColumn::ItemCluster, &name);
        let item_cluster = x.strings(c)?;
        let (c, name) = x.required(LogColumn::SeedPosition)?;
        note(LogColumn::SeedPosition, &name);
        let seed_position = x.integers(c)?;
        let (c, name) = x.required(LogColumn::ShownPosition)?;
        note(LogColumn::ShownPosition, &name);
        let shown_position = x.integers(c)?;
        let (c, name) = x.required(LogColumn::IsFocal)?;
        note(LogColumn::IsFocal, &name);
        let is_focal = x.flags(c)?;
        let target_position = match x.canonical(LogColumn::TargetPosition)? {
            Some((c, name)) => {
                note(LogColumn::TargetPosition, &name);
                Some(x.integers_or(c, NO_TARGET)?)
            }
            None => None,
        };
        let (c, name) = x.required(LogColumn::Promoted)?;
        note(LogColumn::Promoted, &name);
        let promoted = x.flags(c)?;
        let (c, name) = x.required(LogColumn::Click)?;
        note(LogColumn::Click, &name);
        let click = x.flags(c)?;
        let assignment_probability = match x.canonical(LogColumn::AssignmentProbability)? {
            Some((c, name)) => {
                note(LogColumn::AssignmentProbability, &name);
                Some(x.numbers(c)?)
            }
            None => None,
        };
        // Which truth columns the file has, by name, before either is read: each is then
        // read and converted on its own.
        let [if_promoted, if_control] = [
            LogColumn::ClickProbIfPromoted,
            LogColumn::ClickProbIfControl,
        ]
        .map(|c| {
            x.columns
                .has(config.file_name_of(c))
                .then(|| config.file_name_of(c))
        });
        let truth = match (if_promoted, if_control) {
            (Some(p_name), Some(c_name)) => {
                note(LogColumn::ClickProbIfPromoted, p_name);
                note(LogColumn::ClickProbIfControl, c_name);
                let p = x.named(p_name)?;
                let if_promoted = x.numbers(p)?;
                let c = x.named(c_name)?;
                Some(Truth {
                    if_promoted,
                    if_control: x.numbers(c)?,
                })
            }
            (None, None) => None,
            (Some(present), None) | (None, Some(present)) => {
                return Err(LogError::Design {
                    file: file.to_string(),
                    message: format!(
                        "truth column `{present}` is present without its pair: give both `{}` and `{}` or neither",
                        LogColumn::ClickProbIfPromoted.name(),
                        LogColumn::ClickProbIfControl.name()
                    ),
                });
            }
        };
        let mut outcomes = Vec::new();
        for name in &config.outcomes {
            let c = x.named(name)?;
            outcomes.push(NamedValues {
                name: name.clone(),
                values: x.numbers(c)?,
            });
        }
        let mut covariates = Vec::new();
        for name in &config.covariates {
            let c = x.named(name)?;
            covariates.push(NamedValues {
                name: name.clone(),
                values: x.numbers(c)?,
            });
        }
        Ok(RawLog {
            file: file.to_string(),
            slate,
            unit,
            user,
            item,
            item_cluster,
            seed_position,
            shown_position,
            is_focal,
            target_position,
            promoted,
            click,
            outcomes,
            covariates,
            truth,
            assignment_probability,
            problems: x.problems,
            kept_rows: None,
            names,
        })
    }

    /// The 0-based data row in the file of row `r`.
    pub fn file_row(&self, r: usize) -> usize {
        self.kept_rows.as_ref().map_or(r, |rows| rows[r])
    }

    /// The file's name for a canonical column.
    pub fn name_of(&self, column: LogColumn) -> &str {
        self.names
            .iter()
            .find(|(c, _)| *c == column)
            .map_or(column.name(), |(_, n)| n.as_str())
    }
}
