//! The reduction run in-process: polars' SQL over ranges of slates of a parquet log, so memory
//! holds one range at a time, written as the per-slate table.

use std::path::{Path, PathBuf};

use slate_exposure::ExposureError;
use slate_log::{LogColumn, LogConfig};
use slate_table::polars::prelude::*;
use slate_table::polars::sql::SQLContext;
use slate_table::{Bound, TableError};

use crate::columns::{Fact, SLATE_STATS_FILE};
use crate::sql::{Dialect, IMPRESSIONS, LogShape, reduction_sql};

/// Rows of the log per range of slates that [`reduce_parquet`] holds in memory by default.
pub const DEFAULT_CHUNK_ROWS: usize = 1 << 20;

/// What [`reduce_parquet`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReducedLog {
    /// The per-slate file written.
    pub path: PathBuf,
    /// Slates (rows of the per-slate file).
    pub slates: usize,
    /// Rows of the log.
    pub rows: usize,
    /// Ranges of slates the log was reduced in (1 for a file not sorted by slate).
    pub ranges: usize,
    /// Whether the file is sorted by slate, so memory held one range at a time.
    pub sorted: bool,
    /// Which reducer ran.
    pub reducer: Reducer,
    /// Why the single pass handed the log to the SQL path, when it did.
    pub declined: Option<String>,
}

/// What reduces a log in-process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reducer {
    /// The single pass of [`crate::native`] where it applies (a log whose slates are contiguous
    /// in id order and hold nothing only the SQL's checks report), else the SQL: the default.
    Auto,
    /// The single pass ran.
    SinglePass,
    /// The SQL query on polars' engine.
    Sql,
}

fn polars_error(path: &Path) -> impl Fn(PolarsError) -> ExposureError + '_ {
    move |source| {
        ExposureError::Table(TableError::Polars {
            table: path.display().to_string(),
            source,
        })
    }
}

fn bound_literal(bound: &Bound) -> Expr {
    match bound {
        Bound::Int(v) => lit(*v),
        Bound::Str(s) => lit(s.clone()),
    }
}

/// Reduces the parquet log at `path` (columns named by `config`) to one row per slate with
/// polars' SQL engine, and writes it to `dir/`[`SLATE_STATS_FILE`] (atomically). A file sorted
/// by slate (ranges of slate ids in its row groups' statistics do not overlap, as every writer
/// of this project and a Spark `ORDER BY` produce) is reduced in ranges of at most
/// `chunk_rows` rows (a larger row group is a range of its own), each read alone (row groups
/// outside a range are skipped by their statistics), so memory holds one range; any other
/// file is reduced in one pass. Each range is
/// one query on polars' in-memory engine, which sums a slate's rows in file order: the result
/// does not depend on the thread count.
pub fn reduce_parquet(
    path: &Path,
    config: &LogConfig,
    dir: &Path,
    chunk_rows: usize,
) -> Result<ReducedLog, ExposureError> {
    reduce_parquet_with(path, config, dir, chunk_rows, Reducer::Auto)
}

/// [`reduce_parquet`] with the reducer chosen: [`Reducer::Auto`] (the single pass where it
/// applies, else the SQL) or [`Reducer::Sql`].
pub fn reduce_parquet_with(
    path: &Path,
    config: &LogConfig,
    dir: &Path,
    chunk_rows: usize,
    reducer: Reducer,
) -> Result<ReducedLog, ExposureError> {
    let failed = polars_error(path);
    let slate = config.file_name_of(LogColumn::SlateId).to_string();
    let groups = slate_table::parquet_row_groups(path, &slate)?;
    let rows = groups.iter().map(|g| g.rows).sum();
    let mut declined = None;
    if reducer != Reducer::Sql && rows > 0 {
        let shape = LogShape::of_columns(&slate_table::parquet_columns(path)?, config, path)?;
        let mut outcome = None;
        let written = slate_table::write_atomically(dir, SLATE_STATS_FILE, |out| {
            let native = crate::native::reduce(path, config, &shape, rows, chunk_rows, out)
                .map_err(|e| match e {
                    ExposureError::Table(t) => t,
                    other => TableError::SchemaMismatch {
                        table: path.display().to_string(),
                        message: other.to_string(),
                    },
                })?;
            let done = matches!(native, crate::native::Native::Written { .. });
            outcome = Some(native);
            if done {
                Ok(())
            } else {
                // Declined: abort the write, so nothing is left behind.
                Err(TableError::SchemaMismatch {
                    table: SLATE_STATS_FILE.into(),
                    message: "handed to the SQL path".into(),
                })
            }
        });
        match (written, outcome) {
            (
                Ok(written),
                Some(crate::native::Native::Written {
                    slates,
                    rows,
                    windows,
                }),
            ) => {
                return Ok(ReducedLog {
                    path: written,
                    slates,
                    rows,
                    ranges: windows,
                    sorted: true,
                    reducer: Reducer::SinglePass,
                    declined: None,
                });
            }
            (_, Some(crate::native::Native::Declined(reason))) => declined = Some(reason),
            (Err(e), _) => return Err(e.into()),
            (Ok(_), None) => unreachable!("the pass reports what it did"),
        }
    }
    let scan = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(path).map_err(&failed)?,
        ScanArgsParquet::default(),
    )
    .map_err(&failed)?;
    let shape = LogShape::of_columns(&slate_table::parquet_columns(path)?, config, path)?;
    let sql = reduction_sql(config, &shape, Dialect::Polars);
    let runs = slate_table::sorted_runs(&groups, chunk_rows.max(1));
    let sorted = runs.is_some();
    let ranges: Vec<Expr> = match &runs {
        Some(starts) => (0..starts.len())
            .map(|j| {
                let from = col(slate.as_str()).gt_eq(bound_literal(&starts[j]));
                match starts.get(j + 1) {
                    Some(next) => from.and(col(slate.as_str()).lt(bound_literal(next))),
                    None => from,
                }
            })
            .collect(),
        None => vec![lit(true)],
    };
    let columns = shape.columns();
    let reduce = |range: &Expr| -> Result<DataFrame, ExposureError> {
        let mut context = SQLContext::new();
        context.register(IMPRESSIONS, scan.clone().filter(range.clone()));
        let frame = context.execute(&sql).map_err(&failed)?;
        let frame = frame
            .select(
                columns
                    .iter()
                    .map(|(name, ty)| match ty {
                        Some(dtype) => col(name.as_str()).strict_cast(dtype.clone()),
                        None => col(name.as_str()),
                    })
                    .collect::<Vec<_>>(),
            )
            .collect()
            .map_err(&failed)?;
        Ok(frame)
    };
    let mut slates = 0usize;
    let out_path = slate_table::write_atomically(dir, SLATE_STATS_FILE, |out| {
        let table_error = |source| TableError::Polars {
            table: SLATE_STATS_FILE.to_string(),
            source,
        };
        let as_table_error = |e: ExposureError| match e {
            ExposureError::Table(t) => t,
            other => TableError::SchemaMismatch {
                table: SLATE_STATS_FILE.into(),
                message: other.to_string(),
            },
        };
        let mut reduced_rows = 0usize;
        let rows_of = |frame: &DataFrame| -> Result<usize, TableError> {
            let column = frame.column(Fact::Rows.name()).map_err(table_error)?;
            Ok(column
                .u32()
                .map_err(table_error)?
                .iter()
                .map(|v| v.unwrap_or(0) as usize)
                .sum())
        };
        let mut frames = ranges
            .iter()
            .map(|range| reduce(range).map_err(as_table_error));
        let mut first = None;
        for frame in frames.by_ref() {
            let frame = frame?;
            if frame.height() > 0 {
                first = Some(frame);
                break;
            }
        }
        let first = first.ok_or_else(|| TableError::SchemaMismatch {
            table: path.display().to_string(),
            message: "the log has no rows".into(),
        })?;
        let mut writer = crate::columns::slate_stats_writer(out)
            .batched(first.schema())
            .map_err(table_error)?;
        slates += first.height();
        reduced_rows += rows_of(&first)?;
        writer.write_batch(&first).map_err(table_error)?;
        drop(first);
        for frame in frames {
            let frame = frame?;
            slates += frame.height();
            reduced_rows += rows_of(&frame)?;
            if frame.height() > 0 {
                writer.write_batch(&frame).map_err(table_error)?;
            }
        }
        if reduced_rows < rows {
            // Rows without a slate id fall in no range (and are no slate's). More rows than the
            // file's mean a slate with several focal rows (each row joined to each), which the
            // checks of the table name.
            return Err(TableError::SchemaMismatch {
                table: path.display().to_string(),
                message: format!(
                    "{} of its {rows} rows have no slate id (column `{slate}`)",
                    rows - reduced_rows
                ),
            });
        }
        writer.finish().map_err(table_error)?;
        Ok(())
    })?;
    Ok(ReducedLog {
        path: out_path,
        slates,
        rows,
        ranges: ranges.len(),
        sorted,
        reducer: Reducer::Sql,
        declined,
    })
}
