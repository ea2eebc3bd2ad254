//! The per-slate table of the reduction ([`crate::slate_stats`]), read back and checked: the
//! slate outcomes every estimator and model reads, and the per-slate cell sums from which the
//! item-level contrasts are built without item rows.
//!
//! Whichever engine wrote the table (the embedded one, Spark), its columns are cast to the
//! types the reduction declares and its rows sorted by slate, so the result does not depend on
//! the engine's output types or order. Every rule of the log that [`slate_log::read_log`]
//! checks on rows is checked here on the slate's aggregates, and a broken one is an error
//! naming the file, the slate and the column.
//!
//! Ids keep the log's values when they are integers; string ids become their rank in sorted
//! order, as in the row path, except the focal item's, which is ranked among focal items only
//! (the per-slate table does not list the other items).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use slate_log::ids::{IdValues, RawIds};
use slate_log::{CovariateLevel, IdDictionary, LogColumn, LogConfig};
use slate_table::polars::prelude::*;
use slate_table::{NamedColumn, TableError};

use slate_table::readiness::Check;

use crate::readiness::{DesignFacts, exposure_readiness};
use crate::schema::{Assignment, Feature, SlateOutcomes, SlateRows, SlateTruth};
use crate::slate_stats::{
    Cell, CellStat, CovariateStat, Fact, LogShape, MASK_MAX_POSITION, SLATE_STATS_FILE,
    cell_column, covariate_column, outcome_column,
};
use crate::truth_cells::TruthCells;
use crate::{ExposureError, features};

/// Per slate and cell: rows, clicks and (with truth, further outcomes) sums. Indexed
/// `[cell][slate]`, cells in [`Cell::ALL`] order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SlateCells {
    /// Rows per cell and slate: at most a slate's items, which the reduction checks up to
    /// [`MASK_MAX_POSITION`] (52) only, so a byte (8.34 M slates: 58 MB per cell, not 233).
    pub rows: Vec<Vec<u8>>,
    /// Clicks per cell and slate (0/1 clicks, so also Σ click²): at most the cell's rows.
    pub clicks: Vec<Vec<u8>>,
    /// With truth: the truth views' sums per cell, read from the table when asked for.
    pub truth: Option<TruthCells>,
    /// Per further outcome, in config order.
    pub outcomes: Vec<CellOutcome>,
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
    /// The position of `cell` in the per-cell vectors.
    pub fn index(cell: Cell) -> usize {
        Cell::ALL
            .iter()
            .position(|c| *c == cell)
            .expect("every cell is listed")
    }

    /// The readiness facts of the item rows these cells sum, with `shifted_by_one` the
    /// displaced rows shown one place below their seed and `focal_shown` the focal's shown
    /// position, per slate.
    fn design_facts(
        &self,
        slates: &SlateOutcomes,
        shifted_by_one: &[u32],
        focal_shown: &[i64],
        has_unit_column: bool,
    ) -> DesignFacts {
        let promoted = &slates.promotion_applied;
        let n = promoted.len();
        let rows_of = |cells: &[Cell], arm: bool| -> usize {
            (0..n)
                .filter(|s| promoted[*s] == arm)
                .map(|s| {
                    cells
                        .iter()
                        .map(|c| self.rows[Self::index(*c)][s] as usize)
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
            promoted_focal_rows: rows_of(&[Cell::Focal], true),
            promoted_focal_on_top: (0..n)
                .filter(|s| promoted[*s] && focal_shown[*s] == 1)
                .count(),
            promoted_displaced_rows: rows_of(&displaced, true),
            promoted_displaced_shifted_by_one: (0..n)
                .filter(|s| promoted[*s])
                .map(|s| shifted_by_one[s] as usize)
                .sum(),
            promoted_same_cluster_rows: rows_of(&same_cluster, true),
            control_same_cluster_rows: rows_of(&same_cluster, false),
            control_lift_max: slates.truth.as_ref().map(|t| {
                (0..n)
                    .filter(|s| !promoted[*s])
                    .map(|s| t.total_known_lift[s].abs())
                    .fold(0.0, f64::max)
            }),
        }
    }
}

/// The slate outcomes and cells read from a per-slate table.
#[derive(Debug, Clone, PartialEq)]
pub struct SlateStatsTables {
    /// One row per slate, as the exposure stage's slate outcomes.
    pub slates: SlateOutcomes,
    /// Per-slate cell sums.
    pub cells: SlateCells,
    /// Rows of the log the table reduces.
    pub rows: usize,
    /// The randomized design, one row per slate.
    pub assignment: Assignment,
    /// The facts of the item rows the readiness checks read.
    pub design: DesignFacts,
    /// The readiness checks, as the exposure stage computes them from item rows.
    pub readiness: Vec<Check>,
    /// The string ids of the table's id columns (items: the focal items, ranked among
    /// themselves); empty when every id is an integer.
    pub dictionary: IdDictionary,
}

fn bad(path: &Path, slate: &str, column: &str, reason: String) -> ExposureError {
    ExposureError::Inconsistent {
        table: path.display().to_string(),
        message: format!("slate {slate}, column `{column}`: {reason}"),
    }
}

/// The parquet files of a per-slate table: the file itself, or every `*.parquet` file of a
/// directory in name order (the part files Spark writes).
fn part_files(path: &Path) -> Result<Vec<PathBuf>, ExposureError> {
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
fn read_parts(files: &[PathBuf], columns: Option<&[String]>) -> Result<DataFrame, ExposureError> {
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
            ParquetWriter::new(out)
                .finish(&mut frame)
                .map(|_| ())
                .map_err(|source| TableError::Polars {
                    table: SLATE_STATS_FILE.into(),
                    source,
                })
        },
    )?)
}

/// Reads a per-slate table (a parquet file, or a directory of parquet files as Spark writes)
/// for a log whose further outcomes and covariates `config` lists, checks every rule of the
/// design on it, and returns the slate outcomes and cells.
pub fn read_slate_stats(
    path: &Path,
    config: &LogConfig,
) -> Result<SlateStatsTables, ExposureError> {
    let polars = |source: PolarsError| {
        ExposureError::Table(TableError::Polars {
            table: path.display().to_string(),
            source,
        })
    };
    let files = part_files(path)?;
    let names = slate_table::parquet_columns(&files[0])?;
    let has = |name: &str| names.iter().any(|n| n == name);
    let shape = LogShape {
        unit: has(Fact::UnitId.name()),
        user: has(Fact::UserId.name()),
        probability: has(Fact::ProbabilityMin.name()),
        truth: has(&cell_column(CellStat::IfPromoted, Cell::Focal)),
        outcomes: config.outcomes.clone(),
        covariates: config.covariates.clone(),
    };
    let types: BTreeMap<String, Option<DataType>> = shape.columns().into_iter().collect();
    if let Some(name) = types.keys().find(|name| !has(name)) {
        return Err(ExposureError::Table(TableError::MissingColumn {
            table: path.display().to_string(),
            column: name.clone(),
        }));
    }
    // Columns are read one at a time (a table of millions of slates is never in memory
    // whole), each cast to the reduction's type and, when the engine did not write the table
    // in slate order, put in it.
    let slates = read_parts(&files, Some(&[Fact::SlateId.name().to_string()]))?;
    let slate = slates.column(Fact::SlateId.name()).map_err(polars)?;
    let order = (!ascending(slate)).then(|| {
        slate
            .as_materialized_series()
            .arg_sort(SortOptions::default())
    });
    Reader {
        n: slate.len(),
        source: ColumnSource {
            path: path.to_path_buf(),
            files,
            order,
        },
        types,
        shape: &shape,
    }
    .read()
}

/// Per slate, its number among its user's slates in slate order (0 for the first), from the
/// users' dense codes: the row path's sessions.
fn sessions(user_codes: &[u32]) -> Vec<u32> {
    let mut seen = vec![0u32; user_codes.iter().max().map_or(0, |m| *m as usize + 1)];
    user_codes
        .iter()
        .map(|u| {
            let session = seen[*u as usize];
            seen[*u as usize] += 1;
            session
        })
        .collect()
}

/// Whether an id column (integers or strings) is in strictly ascending order without nulls.
fn ascending(column: &Column) -> bool {
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
    files: Vec<PathBuf>,
    /// The slate order of the rows, when the table is not in it.
    order: Option<IdxCa>,
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

    fn polars(&self, source: PolarsError) -> ExposureError {
        ExposureError::Table(TableError::Polars {
            table: self.path.display().to_string(),
            source,
        })
    }

    /// Column `name`, cast to `dtype` when given, in slate order.
    fn column(&self, name: &str, dtype: Option<&DataType>) -> Result<Column, ExposureError> {
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

/// Reads the table's columns one at a time.
struct Reader<'a> {
    source: ColumnSource,
    n: usize,
    /// Every column's type (`None`: the log's id type, kept).
    types: BTreeMap<String, Option<DataType>>,
    shape: &'a LogShape,
}

/// Ids of one id column: the `i64` values, or the dense codes of strings in sorted order (as
/// [`slate_log::read_log`] interns them), with the interned values and each row's code (to
/// show an id as written). A null id is an error.
fn ids(column: &Column) -> Result<(Vec<i64>, IdValues, Vec<u32>), PolarsError> {
    let raw = RawIds::of_column(column).ok_or_else(|| {
        PolarsError::ComputeError(
            format!(
                "column `{}` has a null id or is not integers or strings",
                column.name()
            )
            .into(),
        )
    })?;
    let (values, codes) = raw.intern();
    Ok((
        codes.iter().map(|c| values.table_value(*c)).collect(),
        values,
        codes,
    ))
}

/// Per row, whether id columns `min` and `max` differ (as written: string codes of two columns
/// are not comparable).
fn differs(min: &Column, max: &Column) -> Result<Vec<bool>, PolarsError> {
    let same = min
        .as_materialized_series()
        .equal_missing(max.as_materialized_series())?;
    Ok(same.iter().map(|v| v != Some(true)).collect())
}

impl Reader<'_> {
    fn polars(&self, source: PolarsError) -> ExposureError {
        self.source.polars(source)
    }

    /// Column `name` of the table, cast to its type, in slate order.
    fn column(&self, name: &str) -> Result<Column, ExposureError> {
        self.source
            .column(name, self.types.get(name).and_then(Option::as_ref))
    }

    fn u32s(&self, name: &str) -> Result<Vec<u32>, ExposureError> {
        let c = self.column(name)?;
        let nulls = c.null_count();
        if nulls > 0 {
            return Err(ExposureError::Table(TableError::Nulls {
                table: self.source.path.display().to_string(),
                column: name.into(),
                nulls,
                first_row: 1,
            }));
        }
        Ok(c.u32()
            .map_err(|e| self.polars(e))?
            .into_no_null_iter()
            .collect())
    }

    fn i64s(&self, name: &str) -> Result<Vec<i64>, ExposureError> {
        let c = self
            .column(name)?
            .cast(&DataType::Int64)
            .map_err(|e| self.polars(e))?;
        Ok(c.i64()
            .map_err(|e| self.polars(e))?
            .iter()
            .map(|v| v.unwrap_or(i64::MIN))
            .collect())
    }

    fn f64s(&self, name: &str) -> Result<Vec<f64>, ExposureError> {
        self.source.f64s(name)
    }

    /// Per-cell counts `values` of statistic `stat` as bytes, each checked against its bound
    /// `most(cell, slate)` (a cell has no more rows than its slate, no more clicks than rows):
    /// a count above it names the slate (shown by `shown`) and the column.
    fn narrow(
        &self,
        values: &[Vec<u32>],
        stat: CellStat,
        most: impl Fn(usize, usize) -> u32,
        shown: &dyn Fn(usize) -> String,
    ) -> Result<Vec<Vec<u8>>, ExposureError> {
        values
            .iter()
            .enumerate()
            .map(|(c, counts)| {
                counts
                    .iter()
                    .enumerate()
                    .map(|(s, n)| {
                        let bound = most(c, s);
                        u8::try_from(*n)
                            .ok()
                            .filter(|_| *n <= bound)
                            .ok_or_else(|| {
                                bad(
                                    &self.source.path,
                                    &shown(s),
                                    &cell_column(stat, Cell::ALL[c]),
                                    format!("{n} is more than the {bound} it counts within"),
                                )
                            })
                    })
                    .collect()
            })
            .collect()
    }

    fn read(&self) -> Result<SlateStatsTables, ExposureError> {
        let n = self.n;
        let (slate_ids, slate_values, slate_codes) =
            ids(&self.column(Fact::SlateId.name())?).map_err(|e| self.polars(e))?;
        let shown = |s: usize| slate_values.display(slate_codes[s]);
        let mut dictionary = IdDictionary::default();
        dictionary.push_ids(LogColumn::SlateId, &slate_values);
        // A log without a unit column has the slate as its unit; without a user column, the
        // unit as its user.
        let mut id_pair = |column: LogColumn, min: Fact, max: Fact| -> Result<_, ExposureError> {
            let (smallest, largest) = (self.column(min.name())?, self.column(max.name())?);
            let varies = differs(&smallest, &largest).map_err(|e| self.polars(e))?;
            let (codes, values, _) = ids(&smallest).map_err(|e| self.polars(e))?;
            dictionary.push_ids(column, &values);
            Ok((codes, varies))
        };
        let (unit_ids, unit_varies) = if self.shape.unit {
            id_pair(LogColumn::UnitId, Fact::UnitId, Fact::UnitIdMax)?
        } else {
            (slate_ids.clone(), vec![false; n])
        };
        let (user_ids, user_varies) = if self.shape.user {
            id_pair(LogColumn::UserId, Fact::UserId, Fact::UserIdMax)?
        } else {
            (unit_ids.clone(), vec![false; n])
        };
        let (focal_items, item_values, _) =
            ids(&self.column(Fact::FocalItemId.name())?).map_err(|e| self.polars(e))?;
        dictionary.push_ids(LogColumn::ItemId, &item_values);
        let focal_cluster = slate_table::shared_strs(
            self.column(Fact::FocalCluster.name())?
                .cast(&DataType::String)
                .map_err(|e| self.polars(e))?
                .str()
                .map_err(|e| self.polars(e))?
                .iter()
                .map(Option::unwrap_or_default),
        );
        let rows = self.u32s(Fact::Rows.name())?;
        let distinct_clusters = self.u32s(Fact::DistinctClusters.name())?;
        let promoted_max = self.i64s(Fact::PromotedMax.name())?;
        let focal_seed = self.i64s(Fact::FocalSeedPosition.name())?;
        let focal_shown = self.i64s(Fact::FocalShownPosition.name())?;
        let cell_rows: Vec<Vec<u32>> = Cell::ALL
            .iter()
            .map(|c| self.u32s(&cell_column(CellStat::Rows, *c)))
            .collect::<Result<_, _>>()?;
        let cell_clicks: Vec<Vec<u32>> = Cell::ALL
            .iter()
            .map(|c| self.u32s(&cell_column(CellStat::Clicks, *c)))
            .collect::<Result<_, _>>()?;
        let focal = SlateCells::index(Cell::Focal);

        // Slate-level rules, on columns read for them alone and dropped at the end of this
        // block, before the truth cells are read.
        {
            let null_rows = self.u32s(Fact::NullRows.name())?;
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
            for s in 0..n {
                let fail = |column: &str, reason: String| {
                    Err(bad(&self.source.path, &shown(s), column, reason))
                };
                if null_rows[s] > 0 {
                    return fail("(any)", format!("{} rows with a null value", null_rows[s]));
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
                if cell_rows[focal][s] != 1 {
                    // k focal rows each join the focal facts k times, so the count is k²: say
                    // which rule broke, not the count.
                    let found = if cell_rows[focal][s] == 0 {
                        "no focal row"
                    } else {
                        "more than one focal row"
                    };
                    return fail(
                        LogColumn::IsFocal.name(),
                        format!("{found} in the slate, expected exactly 1"),
                    );
                }
                let in_cells: u32 = Cell::PARTITION
                    .iter()
                    .map(|c| cell_rows[SlateCells::index(*c)][s])
                    .sum();
                if in_cells != rows[s] {
                    return fail(
                        LogColumn::SeedPosition.name(),
                        format!(
                            "{} rows in no exposure role (a non-focal row at the focal's seed position)",
                            rows[s] - in_cells
                        ),
                    );
                }
                if promoted_min[s] != promoted_max[s] {
                    return fail(
                        LogColumn::Promoted.name(),
                        "promoted varies within the slate".into(),
                    );
                }
                if unit_varies[s] {
                    return fail(
                        LogColumn::UnitId.name(),
                        "unit_id varies within the slate".into(),
                    );
                }
                if user_varies[s] {
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
        }
        drop((unit_varies, user_varies));

        // Units: dense codes in id order; the arm constant within a unit.
        let (_, unit_index) = RawIds::Int(unit_ids.clone()).intern();
        let units = unit_index.iter().max().map_or(0, |m| *m as usize + 1);
        let mut unit_arm: Vec<Option<bool>> = vec![None; units];
        for s in 0..n {
            let promoted = promoted_max[s] == 1;
            if *unit_arm[unit_index[s] as usize].get_or_insert(promoted) != promoted {
                return Err(bad(
                    &self.source.path,
                    &shown(s),
                    LogColumn::Promoted.name(),
                    "promoted varies within the slate's unit".into(),
                ));
            }
        }
        let promoted_units = unit_arm.iter().filter(|p| **p == Some(true)).count();
        let control_units = units - promoted_units;
        if promoted_units < 2 || control_units < 2 {
            return Err(ExposureError::Inconsistent {
                table: self.source.path.display().to_string(),
                message: format!(
                    "{promoted_units} promoted and {control_units} control units; inference needs at least two in each arm"
                ),
            });
        }
        let (probability, logged) = if self.shape.probability {
            let lo = self.f64s(Fact::ProbabilityMin.name())?;
            let hi = self.f64s(Fact::ProbabilityMax.name())?;
            let p = lo[0];
            if let Some(s) = (0..n).find(|s| lo[*s] != p || hi[*s] != p) {
                return Err(bad(
                    &self.source.path,
                    &shown(s),
                    LogColumn::AssignmentProbability.name(),
                    format!("the assignment probability varies ({} vs {p})", hi[s]),
                ));
            }
            if !(p > 0.0 && p < 1.0) {
                return Err(bad(
                    &self.source.path,
                    &shown(0),
                    LogColumn::AssignmentProbability.name(),
                    format!("assignment probability {p} is not strictly between 0 and 1"),
                ));
            }
            (p, true)
        } else {
            (promoted_units as f64 / units as f64, false)
        };

        // The slate outcomes.
        let sum_cells = |values: &[Vec<u32>], cells: &[Cell]| -> Vec<u32> {
            (0..n)
                .map(|s| cells.iter().map(|c| values[SlateCells::index(*c)][s]).sum())
                .collect()
        };
        let same_cluster = sum_cells(
            &cell_rows,
            &[Cell::SameClusterDisplaced, Cell::SameClusterBelow],
        );
        let sessions = sessions(&RawIds::Int(user_ids.clone()).intern().1);
        let mut table = SlateRows::with_capacity(n);
        for s in 0..n {
            table.slate_id.push(slate_ids[s]);
            table.unit_id.push(unit_ids[s]);
            table.user_id.push(user_ids[s]);
            table.session.push(sessions[s]);
            table.promotion_applied.push(promoted_max[s] == 1);
            table.assignment_probability.push(probability);
            table.focal_movie_id.push(focal_items[s]);

            table.focal_seed_position.push(focal_seed[s] as u32);
            table.slate_size.push(rows[s]);
            table.n_same_cluster_competitors.push(same_cluster[s]);
            table.n_displaced_items.push(
                cell_rows[SlateCells::index(Cell::SameClusterDisplaced)][s]
                    + cell_rows[SlateCells::index(Cell::OtherDisplaced)][s],
            );
            table
                .n_same_cluster_displaced
                .push(cell_rows[SlateCells::index(Cell::SameClusterDisplaced)][s]);
            table.total_observed_clicks.push(
                Cell::PARTITION
                    .iter()
                    .map(|c| cell_clicks[SlateCells::index(*c)][s])
                    .sum(),
            );
            table.focal_observed_click.push(cell_clicks[focal][s] == 1);
            table.n_distinct_clusters.push(distinct_clusters[s]);
            table
                .focal_cluster_share
                .push(f64::from(same_cluster[s] + 1) / f64::from(rows[s]));
            table.unit_index.push(unit_index[s]);
            table.assignment_probability_logged.push(logged);
        }
        table.focal_cluster = focal_cluster;

        // The slate truth from the sums in both arms.
        let slate_truth = if self.shape.truth {
            // Only the cells that partition a slate enter its totals.
            let partition = |stat: CellStat| -> Result<Vec<Vec<f64>>, ExposureError> {
                Cell::PARTITION
                    .iter()
                    .map(|c| self.f64s(&cell_column(stat, *c)))
                    .collect()
            };
            let (if_promoted, if_control) = (
                partition(CellStat::IfPromoted)?,
                partition(CellStat::IfControl)?,
            );
            let total = |columns: &[Vec<f64>], s: usize| -> f64 {
                columns.iter().map(|column| column[s]).sum()
            };
            let mut t = SlateTruth::with_capacity(n);
            for (s, promoted) in promoted_max.iter().enumerate() {
                let if_promoted = total(&if_promoted, s);
                let if_control = total(&if_control, s);
                let expected = if *promoted == 1 {
                    if_promoted
                } else {
                    if_control
                };
                t.total_expected_clicks.push(expected);
                t.total_baseline_clicks.push(if_control);
                t.total_known_lift.push(expected - if_control);
                t.total_expected_clicks_if_promoted.push(if_promoted);
                t.total_expected_clicks_if_control.push(if_control);
                t.slate_promotion_effect.push(if_promoted - if_control);
            }
            Some(t)
        } else {
            None
        };
        // The truth cells stay in the table until a view of them is asked for.
        let truth = self.shape.truth.then(|| {
            let promoted: Vec<bool> = promoted_max.iter().map(|p| *p == 1).collect();
            TruthCells::new(self.source.clone(), &promoted)
        });

        let partition_sum = |per_cell: &[Vec<f64>], s: usize| -> f64 {
            Cell::PARTITION
                .iter()
                .map(|c| per_cell[SlateCells::index(*c)][s])
                .sum()
        };
        let mut outcomes = Vec::new();
        let mut outcome_totals = Vec::new();
        for (k, name) in self.shape.outcomes.iter().enumerate() {
            let sums: Vec<Vec<f64>> = Cell::ALL
                .iter()
                .map(|c| self.f64s(&outcome_column(k, false, *c)))
                .collect::<Result<_, _>>()?;
            let squares: Vec<Vec<f64>> = Cell::ALL
                .iter()
                .map(|c| self.f64s(&outcome_column(k, true, *c)))
                .collect::<Result<_, _>>()?;
            outcome_totals.push(NamedColumn {
                name: name.clone(),
                values: (0..n).map(|s| partition_sum(&sums, s)).collect(),
            });
            outcomes.push(CellOutcome {
                name: name.clone(),
                sum: sums,
                squares,
            });
        }

        let mut covariates = Vec::new();
        let mut feature_columns = Vec::new();
        for (k, name) in self.shape.covariates.iter().enumerate() {
            let stat = |stat| self.f64s(&covariate_column(k, stat));
            let (focal_value, sum, squares, max, min, top_three, first) = (
                stat(CovariateStat::Focal)?,
                stat(CovariateStat::Sum)?,
                stat(CovariateStat::SumSquared)?,
                stat(CovariateStat::Max)?,
                stat(CovariateStat::Min)?,
                stat(CovariateStat::TopThreeSum)?,
                stat(CovariateStat::First)?,
            );
            if let Some(s) = (0..n).find(|s| !(sum[*s].is_finite() && squares[*s].is_finite())) {
                return Err(bad(
                    &self.source.path,
                    &shown(s),
                    name,
                    "a value is not a finite number".into(),
                ));
            }
            let level = if (0..n).all(|s| max[s] == min[s]) {
                CovariateLevel::Slate
            } else {
                CovariateLevel::Item
            };
            let values: Vec<Vec<f64>> = match level {
                CovariateLevel::Slate => vec![min.clone()],
                CovariateLevel::Item => {
                    let mut columns: Vec<Vec<f64>> =
                        (0..7).map(|_| Vec::with_capacity(n)).collect();
                    for s in 0..n {
                        let m = f64::from(rows[s]);
                        let mean = sum[s] / m;
                        let variance = ((squares[s] - sum[s] * mean) / (m - 1.0).max(1.0)).max(0.0);
                        let profile = [
                            focal_value[s],
                            mean,
                            max[s],
                            min[s],
                            variance.sqrt(),
                            top_three[s] / m.min(3.0),
                            first[s] - focal_value[s],
                        ];
                        for (column, v) in columns.iter_mut().zip(profile) {
                            column.push(v);
                        }
                    }
                    columns
                }
            };
            for ((feature, kind), values) in
                features::feature_names(name, level).into_iter().zip(values)
            {
                feature_columns.push(Feature {
                    column: NamedColumn {
                        name: feature,
                        values,
                    },
                    kind,
                });
            }
            covariates.push((name.clone(), level));
        }

        let slates = SlateOutcomes {
            rows: table,
            truth: slate_truth,
            features: feature_columns,
            covariates,
            outcome_totals,
        };
        let cells = SlateCells {
            rows: self.narrow(&cell_rows, CellStat::Rows, |_, s| rows[s], &shown)?,
            clicks: self.narrow(
                &cell_clicks,
                CellStat::Clicks,
                |c, s| cell_rows[c][s],
                &shown,
            )?,
            truth,
            outcomes,
        };
        drop((cell_rows, cell_clicks));
        let shifted_by_one = self.u32s(Fact::DisplacedShiftedByOne.name())?;
        let design = cells.design_facts(&slates, &shifted_by_one, &focal_shown, self.shape.unit);
        let assignment = Assignment::of(&slates);
        let readiness = exposure_readiness(&design, &slates, &assignment);
        Ok(SlateStatsTables {
            slates,
            cells,
            rows: rows.iter().map(|r| *r as usize).sum(),
            assignment,
            design,
            readiness,
            dictionary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::sessions;
    use slate_log::ids::RawIds;

    #[test]
    fn dense_codes_rank_ids_and_count_slates_per_id_in_slate_order() {
        let (_, codes) = RawIds::Int(vec![30, 10, 30, -5, 10, 30]).intern();
        assert_eq!(codes, vec![2, 1, 2, 0, 1, 2]);
        assert_eq!(sessions(&codes), vec![0, 0, 1, 0, 1, 2]);
        let (_, none) = RawIds::Int(vec![]).intern();
        assert_eq!((none.clone(), sessions(&none)), (vec![], vec![]));
    }
}
