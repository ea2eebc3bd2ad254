//! Crash-safe writing and schema-checked reading of pipeline tables.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::parquet_file::{self, ColumnSlice, Layout, RowBatch, Values};
use crate::{ColumnType, NamedColumn, Result, TableError, TableSchema};

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> TableError + '_ {
    move |source| TableError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `dir/file_name` atomically: `write` fills a temporary file in the same directory,
/// which is flushed, synced and only then renamed over the destination. On any error the
/// temporary file is removed and the destination is untouched. Use it for every artifact that
/// is not a schema table (generated CSVs, figures, markdown).
pub fn write_atomically(
    dir: &Path,
    file_name: &str,
    write: impl FnOnce(&mut BufWriter<&File>) -> Result<()>,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let destination = dir.join(file_name);
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    {
        // 1 MiB, not the default 8 KiB: parquet splices encoded column chunks in through
        // `io::copy`, which would otherwise make one write call per 8 KiB (30,000 for the
        // ratings table).
        let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file());
        write(&mut writer)?;
        writer.flush().map_err(io_err(&destination))?;
    }
    temp.as_file().sync_all().map_err(io_err(&destination))?;
    // Temporary files are created private (0600); artifacts are ordinary readable files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(io_err(&destination))?;
    }
    temp.persist(&destination).map_err(|e| TableError::Io {
        path: destination.clone(),
        source: e.error,
    })?;
    Ok(destination)
}

/// Removes the artifact `dir/file_name` if it exists: a table or figure this run does not
/// produce (it needs truth the log lacks) must not survive from an earlier run in the same
/// directory and claim to belong to this one.
pub fn remove_stale(dir: &Path, file_name: &str) -> Result<()> {
    let path = dir.join(file_name);
    match std::fs::remove_file(&path) {
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
            Err(TableError::Io { path, source })
        }
        _ => Ok(()),
    }
}

/// Writes `bytes` to `dir/file_name` atomically (see [`write_atomically`]): generated text,
/// markdown and encoded figures. Returns the final path.
pub fn write_bytes_atomically(dir: &Path, file_name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let destination = dir.join(file_name);
    write_atomically(dir, file_name, |w| {
        w.write_all(bytes).map_err(io_err(&destination))
    })
}

/// Writes `df` as parquet to `dir/<schema.file_name>` after checking it against `schema`.
/// Atomic: see the crate docs. Returns the final path.
pub fn write_parquet(df: &DataFrame, schema: &TableSchema, dir: &Path) -> Result<PathBuf> {
    schema.check_exact(df, schema.file_name)?;
    let layout = Layout::of(schema);
    let sources = parquet_file::frame_sources(df, &layout)?;
    write_atomically(dir, schema.file_name, |writer| {
        parquet_file::encode(writer, &layout, Values::Columns(&sources), df.height())
    })
}

/// Writes `df` as parquet to `dir/<parts[0].file_name>` when a table's columns are only partly
/// known at compile time: `df` holds the columns of each schema in `parts` (a table and its
/// optional column groups, e.g. the oracle's columns), and the `extra` columns (named at run
/// time, e.g. covariates from the user's config) are appended after them. Atomic, like
/// [`write_parquet`].
pub fn write_parquet_extended(
    df: &DataFrame,
    parts: &[&TableSchema],
    extra: &[NamedColumn],
    dir: &Path,
) -> Result<PathBuf> {
    let df = with_columns(df, parts, extra)?;
    let layout = extended_layout(&df, parts, extra)?;
    let sources = parquet_file::frame_sources(&df, &layout)?;
    write_atomically(dir, layout.table, |writer| {
        parquet_file::encode(writer, &layout, Values::Columns(&sources), df.height())
    })
}

/// The CSV counterpart of [`write_parquet_extended`]: `df` holds the columns of `parts`, the
/// `extra` columns are appended.
pub fn write_csv_extended(
    df: &DataFrame,
    parts: &[&TableSchema],
    extra: &[NamedColumn],
    dir: &Path,
) -> Result<PathBuf> {
    let mut df = with_columns(df, parts, extra)?;
    let label = extended_layout(&df, parts, extra)?.table;
    write_atomically(dir, label, |writer| {
        CsvWriter::new(writer)
            .include_header(true)
            .n_threads(1)
            .finish(&mut df)
            .map_err(|source| TableError::Polars {
                table: label.to_string(),
                source,
            })
    })
}

/// `df` with the `extra` columns appended.
fn with_columns(
    df: &DataFrame,
    parts: &[&TableSchema],
    extra: &[NamedColumn],
) -> Result<DataFrame> {
    let label = parts.first().map_or("(no schema)", |p| p.file_name);
    let mut df = df.clone();
    for column in extra {
        if column.values.len() != df.height() {
            return Err(TableError::SchemaMismatch {
                table: label.to_string(),
                message: format!(
                    "column `{}` has {} values, the table {} rows",
                    column.name,
                    column.values.len(),
                    df.height()
                ),
            });
        }
        df.with_column(Column::new(column.name.as_str().into(), &column.values))
            .map_err(|source| TableError::Polars {
                table: label.to_string(),
                source,
            })?;
    }
    Ok(df)
}

/// Checks that `df` holds exactly the columns of `parts` then the `extra` `f64` columns.
fn extended_layout<'a>(
    df: &DataFrame,
    parts: &[&'a TableSchema],
    extra: &'a [NamedColumn],
) -> Result<Layout<'a>> {
    let file_name =
        parts
            .first()
            .map(|p| p.file_name)
            .ok_or_else(|| TableError::SchemaMismatch {
                table: "(no schema)".into(),
                message: "an extended table needs at least one schema".into(),
            })?;
    let mut layout = Layout {
        table: file_name,
        columns: Vec::new(),
    };
    for part in parts {
        part.check_columns(df, file_name)?;
        layout.columns.extend(Layout::of(part).columns);
    }
    for column in extra {
        crate::column_f64(df, file_name, &column.name)?;
        layout.columns.push((&column.name, ColumnType::F64, false));
    }
    let found: Vec<&str> = df.columns().iter().map(|c| c.name().as_str()).collect();
    let expected: Vec<&str> = layout.columns.iter().map(|c| c.0).collect();
    if found != expected {
        return Err(TableError::SchemaMismatch {
            table: file_name.to_string(),
            message: format!("columns are {found:?}, expected {expected:?}"),
        });
    }
    Ok(layout)
}

/// Writes `columns` (one per schema column, in order, all of one length) as parquet to
/// `dir/<schema.file_name>`, without building a frame: the values are encoded straight from the
/// caller's slices. Atomic, like [`write_parquet`]; a column whose type or length disagrees
/// with `schema` is an error before any byte is written.
pub fn write_parquet_columns(
    columns: &[ColumnSlice<'_>],
    schema: &TableSchema,
    dir: &Path,
) -> Result<PathBuf> {
    let mismatch = |message: String| TableError::SchemaMismatch {
        table: schema.file_name.to_string(),
        message,
    };
    if columns.len() != schema.columns.len() {
        return Err(mismatch(format!(
            "{} columns given, schema declares {}",
            columns.len(),
            schema.columns.len()
        )));
    }
    let rows = columns.first().map_or(0, ColumnSlice::len);
    for (column, spec) in columns.iter().zip(schema.columns) {
        if column.column_type() != spec.ty {
            return Err(mismatch(format!(
                "column `{}` is {:?}, schema declares {:?}",
                spec.name,
                column.column_type(),
                spec.ty
            )));
        }
        if column.len() != rows {
            return Err(mismatch(format!(
                "column `{}` has {} rows, the first column {rows}",
                spec.name,
                column.len()
            )));
        }
    }
    let sources: Vec<_> = columns
        .iter()
        .map(|column| parquet_file::ColumnSource::Slice(*column))
        .collect();
    write_atomically(dir, schema.file_name, |writer| {
        parquet_file::encode(writer, &Layout::of(schema), Values::Columns(&sources), rows)
    })
}

/// Writes a table from borrowed columns, without building a frame: `parts` are a table's
/// schemas with their columns (the fixed columns, then optional groups such as the oracle's;
/// see [`crate::table!`]'s `column_slices`), and the `extra` `f64` columns (name and values,
/// named at run time) follow. The file is the one [`write_parquet_extended`] writes from a frame of the same
/// columns, byte for byte, but memory holds only the encoded row groups in flight. Atomic; a
/// column whose type or length disagrees is an error before any byte is written.
pub fn write_parquet_parts(
    parts: &[(&TableSchema, Vec<ColumnSlice<'_>>)],
    extra: &[(&str, &[f64])],
    dir: &Path,
) -> Result<PathBuf> {
    let schemas: Vec<&TableSchema> = parts.iter().map(|(schema, _)| *schema).collect();
    let names: Vec<&str> = extra.iter().map(|(name, _)| *name).collect();
    let layout = parts_layout(&schemas, &names)?;
    let mismatch = |message: String| TableError::SchemaMismatch {
        table: layout.table.to_string(),
        message,
    };
    let mut sources = Vec::new();
    for (schema, columns) in parts {
        if columns.len() != schema.columns.len() {
            return Err(mismatch(format!(
                "{} columns given for `{}`, its schema declares {}",
                columns.len(),
                schema.file_name,
                schema.columns.len()
            )));
        }
        sources.extend(
            columns
                .iter()
                .map(|c| parquet_file::ColumnSource::Slice(*c)),
        );
    }
    for (_, values) in extra {
        sources.push(parquet_file::ColumnSource::Slice(ColumnSlice::F64(values)));
    }
    let rows = match sources.first() {
        Some(parquet_file::ColumnSource::Slice(first)) => first.len(),
        _ => 0,
    };
    for ((name, ty, _), source) in layout.columns.iter().zip(&sources) {
        if let parquet_file::ColumnSource::Slice(column) = source {
            if column.column_type() != *ty {
                return Err(mismatch(format!(
                    "column `{name}` is {:?}, schema declares {ty:?}",
                    column.column_type(),
                )));
            }
            if column.len() != rows {
                return Err(mismatch(format!(
                    "column `{name}` has {} rows, the first column {rows}",
                    column.len()
                )));
            }
        }
    }
    write_atomically(dir, layout.table, |writer| {
        parquet_file::encode(writer, &layout, Values::Columns(&sources), rows)
    })
}

/// Writes a table too long to hold whole, one row group at a time: `batch(range)` builds rows
/// `range` (the columns of `parts`, then the `extra` `f64` columns, in order; checked), and
/// is called once per row group of the `rows` rows, a few groups at once (one per thread), each
/// batch dropped once encoded. The file is the one [`write_parquet_parts`] writes from the
/// whole table, byte for byte. Atomic; a batch that fails (or disagrees with the layout) leaves
/// nothing behind.
pub fn write_parquet_batches<B: RowBatch + 'static>(
    parts: &[&TableSchema],
    extra: &[&str],
    rows: usize,
    batch: impl Fn(std::ops::Range<usize>) -> Result<B> + Sync,
    dir: &Path,
) -> Result<PathBuf> {
    let layout = parts_layout(parts, extra)?;
    let make = |range| batch(range).map(|b| Box::new(b) as Box<dyn RowBatch>);
    write_atomically(dir, layout.table, |writer| {
        parquet_file::encode(writer, &layout, Values::Batches(&make), rows)
    })
}

/// The layout of a table made of the columns of `parts` (none of them nullable) then the
/// `extra` `f64` columns; the file is the first part's.
fn parts_layout<'a>(parts: &[&'a TableSchema], extra: &[&'a str]) -> Result<Layout<'a>> {
    let Some(first) = parts.first() else {
        return Err(TableError::SchemaMismatch {
            table: "(no schema)".into(),
            message: "a table needs at least one schema".into(),
        });
    };
    let mut layout = Layout {
        table: first.file_name,
        columns: Vec::new(),
    };
    for schema in parts {
        for spec in schema.columns {
            if spec.nullable {
                return Err(TableError::SchemaMismatch {
                    table: first.file_name.to_string(),
                    message: format!(
                        "column `{}` is nullable: it cannot be written from borrowed columns",
                        spec.name
                    ),
                });
            }
            layout.columns.push((spec.name, spec.ty, false));
        }
    }
    layout
        .columns
        .extend(extra.iter().map(|name| (*name, ColumnType::F64, false)));
    Ok(layout)
}

/// Writes a long table as CSV a batch of rows at a time: `batch(range)` builds the frame of
/// rows `range` (exactly the columns of `parts`, in order; checked), for consecutive ranges of at most `batch_rows` of the `rows`. The
/// file is the one [`write_csv_extended`] writes from the whole frame, but memory holds one
/// batch's frame. Atomic.
pub fn write_csv_batches(
    parts: &[&TableSchema],
    rows: usize,
    batch_rows: usize,
    batch: impl Fn(std::ops::Range<usize>) -> Result<DataFrame>,
    dir: &Path,
) -> Result<PathBuf> {
    let label = parts.first().map_or("(no schema)", |p| p.file_name);
    let polars = |source| TableError::Polars {
        table: label.to_string(),
        source,
    };
    let batch_rows = batch_rows.max(1);
    write_atomically(dir, label, |writer| {
        let mut csv: Option<polars::io::csv::write::BatchedWriter<_>> = None;
        let mut writer = Some(writer);
        let mut start = 0;
        loop {
            let end = (start + batch_rows).min(rows);
            let frame = batch(start..end)?;
            extended_layout(&frame, parts, &[])?;
            if csv.is_none() {
                let out = writer.take().expect("taken once, for the first batch");
                csv = Some(
                    CsvWriter::new(out)
                        .include_header(true)
                        .n_threads(1)
                        .batched(frame.schema())
                        .map_err(polars)?,
                );
            }
            let csv = csv.as_mut().expect("created above");
            csv.write_batch(&frame).map_err(polars)?;
            if end >= rows {
                return csv.finish().map_err(polars);
            }
            start = end;
        }
    })
}

/// Writes `df` as CSV (header, comma-separated, full float precision) to
/// `dir/<schema.file_name>` after checking it against `schema`. Atomic.
pub fn write_csv(df: &mut DataFrame, schema: &TableSchema, dir: &Path) -> Result<PathBuf> {
    schema.check_exact(df, schema.file_name)?;
    let label = schema.file_name;
    write_atomically(dir, schema.file_name, |writer| {
        CsvWriter::new(writer)
            .include_header(true)
            .n_threads(1)
            .finish(df)
            .map_err(|source| TableError::Polars {
                table: label.to_string(),
                source,
            })
    })
}

/// Opens `path` for reading: a missing file is [`TableError::Missing`], any other failure
/// [`TableError::Io`], both naming the file.
pub fn open_file(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => TableError::Missing {
            path: path.to_path_buf(),
        },
        _ => TableError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// Reads a parquet file and checks it carries every column of `schema` with its type.
/// A missing, truncated or corrupted file is an error naming the file.
pub fn read_parquet(path: &Path, schema: &TableSchema) -> Result<DataFrame> {
    let file = open_file(path)?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| TableError::Corrupt {
            path: path.to_path_buf(),
            format: "parquet",
            message: e.to_string(),
        })?;
    schema.check_columns(&df, &path.display().to_string())?;
    Ok(df)
}

/// Reads a CSV written by [`write_csv`] or [`write_csv_extended`]: header required, the columns
/// of `schema` with their declared types; columns the schema does not declare (optional groups,
/// run-time named columns) keep the types polars infers from every row.
pub fn read_csv(path: &Path, schema: &TableSchema) -> Result<DataFrame> {
    let file = open_file(path)?;
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema_overwrite(Some(Arc::new(schema.polars_schema())))
        .with_infer_schema_length(None)
        .into_reader_with_file_handle(file)
        .finish()
        .map_err(|e| TableError::Corrupt {
            path: path.to_path_buf(),
            format: "csv",
            message: e.to_string(),
        })?;
    schema.check_columns(&df, &path.display().to_string())?;
    Ok(df)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnSpec, ColumnType, column_f64, column_u32};

    const DEMO: TableSchema = TableSchema {
        file_name: "demo.parquet",
        description: "demo",
        columns: &[
            ColumnSpec::new("id", ColumnType::U32),
            ColumnSpec::new("value", ColumnType::F64),
        ],
    };

    fn demo() -> DataFrame {
        DataFrame::new(
            3,
            vec![
                Column::new("id".into(), [1u32, 2, 3]),
                Column::new("value".into(), [0.1f64, 0.25, 1e-12]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn parquet_round_trip_preserves_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_parquet(&demo(), &DEMO, dir.path()).unwrap();
        let back = read_parquet(&path, &DEMO).unwrap();
        assert_eq!(column_u32(&back, "demo", "id").unwrap(), vec![1, 2, 3]);
        assert_eq!(
            column_f64(&back, "demo", "value").unwrap(),
            vec![0.1, 0.25, 1e-12]
        );
        // No temporary file is left next to the artifact.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn extended_parquet_writes_schema_parts_then_named_columns() {
        const EXTRA: TableSchema = TableSchema {
            file_name: "demo.parquet",
            description: "optional group",
            columns: &[ColumnSpec::new("flag", ColumnType::Bool)],
        };
        let mut df = demo();
        df.with_column(Column::new("flag".into(), [true, false, true]))
            .unwrap();
        let score = NamedColumn {
            name: "score".into(),
            values: vec![1.5, 2.5, 3.5],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = write_parquet_extended(
            &df,
            &[&DEMO, &EXTRA],
            std::slice::from_ref(&score),
            dir.path(),
        )
        .unwrap();
        let back = read_parquet(&path, &DEMO).unwrap();
        let mut expected = df.clone();
        expected
            .with_column(Column::new("score".into(), [1.5f64, 2.5, 3.5]))
            .unwrap();
        assert_eq!(back, expected);
        // A frame whose columns disagree with the parts writes nothing.
        let err = write_parquet_extended(&df, &[&DEMO], std::slice::from_ref(&score), dir.path())
            .unwrap_err();
        assert!(err.to_string().contains("expected"), "{err}");
        let short = NamedColumn {
            name: "short".into(),
            values: vec![1.0],
        };
        let err = write_csv_extended(&demo(), &[&DEMO], &[short], dir.path()).unwrap_err();
        assert!(err.to_string().contains("`short` has 1 values"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // CSV: the extra column reads back as f64 beside the declared ones.
        const CSV: TableSchema = DEMO.renamed("demo.csv", "demo");
        let path = write_csv_extended(&demo(), &[&CSV], &[score], dir.path()).unwrap();
        let back = read_csv(&path, &CSV).unwrap();
        assert_eq!(
            crate::column_f64(&back, "demo", "score").unwrap(),
            vec![1.5, 2.5, 3.5]
        );
        assert_eq!(
            crate::column_u32(&back, "demo", "id").unwrap(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn csv_round_trip_preserves_full_precision() {
        const CSV: TableSchema = TableSchema {
            file_name: "demo.csv",
            description: "demo",
            columns: DEMO.columns,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = write_csv(&mut demo(), &CSV, dir.path()).unwrap();
        let back = read_csv(&path, &CSV).unwrap();
        assert_eq!(
            column_f64(&back, "demo", "value").unwrap(),
            vec![0.1, 0.25, 1e-12]
        );
    }

    #[test]
    fn schema_mismatch_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let wrong = demo().select(["value", "id"]).unwrap();
        assert!(write_parquet(&wrong, &DEMO, dir.path()).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn truncated_parquet_is_a_corrupt_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_parquet(&demo(), &DEMO, dir.path()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = read_parquet(&path, &DEMO).unwrap_err();
        assert!(
            matches!(
                err,
                TableError::Corrupt {
                    format: "parquet",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("demo.parquet"), "{err}");
    }

    #[test]
    fn missing_file_is_reported_as_missing() {
        let err = read_parquet(Path::new("/nonexistent/demo.parquet"), &DEMO).unwrap_err();
        assert!(matches!(err, TableError::Missing { .. }), "{err}");
    }

    #[test]
    fn read_only_directory_is_an_io_error_not_a_panic() {
        let err = write_parquet(&demo(), &DEMO, Path::new("/proc/no-such-dir")).unwrap_err();
        assert!(matches!(err, TableError::Io { .. }), "{err}");
    }

    /// Tables of the borrowed-columns tests (only some of their generated methods are used).
    #[allow(dead_code)]
    mod parts {
        crate::table! {
            /// Rows for the borrowed-columns writer.
            pub struct Parts, schema PARTS = "parts.parquet" {
                /// An id.
                id: u32,
                /// A time.
                time: i64,
                /// A label.
                label: String,
                /// A flag.
                flag: bool,
                /// A shared label.
                group: crate::SharedStr,
            }
        }

        crate::table! {
            /// Optional columns of [`Parts`].
            pub struct PartsTruth, schema PARTS_TRUTH = "parts.parquet" {
                /// A value.
                value: f64,
            }
        }
    }
    use parts::*;

    /// `n` rows of both parts, every column type, a string with a handful of values.
    fn parts_of(n: usize) -> (Parts, PartsTruth) {
        let rows = Parts {
            id: (0..n as u32).collect(),
            time: (0..n as i64).map(|t| t * 37 - 5).collect(),
            label: (0..n).map(|i| format!("c{}", i % 13)).collect(),
            flag: (0..n).map(|i| i % 3 == 0).collect(),
            group: crate::shared_strs(["north", "south", "east"].iter().cycle().take(n).copied()),
        };
        let truth = PartsTruth {
            value: (0..n).map(|i| i as f64 / 7.0).collect(),
        };
        (rows, truth)
    }

    #[test]
    fn borrowed_columns_write_the_bytes_of_the_frame_path() {
        // Two and a bit row groups, so strings are encoded one row group at a time.
        let n = (1 << 20) * 2 + 7;
        let (rows, truth) = parts_of(n);
        let extra = NamedColumn {
            name: "covariate".into(),
            values: (0..n).map(|i| (i % 5) as f64).collect(),
        };
        let dir = tempfile::tempdir().unwrap();
        let from_frame = dir.path().join("frame");
        let from_slices = dir.path().join("slices");
        let frame = rows
            .to_frame()
            .unwrap()
            .hstack(truth.to_frame().unwrap().columns())
            .unwrap();
        write_parquet_extended(
            &frame,
            &[&PARTS, &PARTS_TRUTH],
            std::slice::from_ref(&extra),
            &from_frame,
        )
        .unwrap();
        write_parquet_parts(
            &[
                (&PARTS, rows.column_slices().unwrap()),
                (&PARTS_TRUTH, truth.column_slices().unwrap()),
            ],
            &[(extra.name.as_str(), extra.values.as_slice())],
            &from_slices,
        )
        .unwrap();
        // The same table built a row group at a time.
        struct Batch(Parts, PartsTruth, Vec<f64>);
        impl RowBatch for Batch {
            fn columns(&self) -> Vec<ColumnSlice<'_>> {
                let mut columns = self.0.column_slices().unwrap();
                columns.extend(self.1.column_slices().unwrap());
                columns.push(ColumnSlice::F64(&self.2));
                columns
            }
        }
        let from_batches = dir.path().join("batches");
        let ranges = std::sync::Mutex::new(Vec::new());
        write_parquet_batches(
            &[&PARTS, &PARTS_TRUTH],
            &[extra.name.as_str()],
            n,
            |range| {
                ranges.lock().unwrap().push(range.clone());
                Ok(Batch(
                    rows.rows(range.clone()),
                    truth.rows(range.clone()),
                    extra.values[range].to_vec(),
                ))
            },
            &from_batches,
        )
        .unwrap();
        let mut ranges = ranges.into_inner().unwrap();
        ranges.sort_by_key(|r| r.start);
        assert_eq!(ranges, [0..1 << 20, 1 << 20..2 << 20, 2 << 20..n]);
        let bytes = |d: &Path| std::fs::read(d.join("parts.parquet")).unwrap();
        assert_eq!(bytes(&from_frame), bytes(&from_slices));
        assert_eq!(bytes(&from_batches), bytes(&from_slices));
        // Shared strings read back equal, one allocation per distinct value.
        let back = Parts::from_frame(
            &read_parquet(&from_slices.join("parts.parquet"), &PARTS).unwrap(),
            "parts",
        )
        .unwrap();
        assert_eq!(back.group, rows.group);
        assert!(std::sync::Arc::ptr_eq(&back.group[0], &back.group[3]));
        assert!(!std::sync::Arc::ptr_eq(&back.group[0], &back.group[1]));
    }

    #[test]
    fn borrowed_columns_of_unequal_length_write_nothing() {
        let rows = Parts {
            id: vec![1, 2],
            time: vec![1],
            label: vec!["a".into(), "b".into()],
            flag: vec![true, false],
            group: crate::shared_strs(["a", "b"]),
        };
        let dir = tempfile::tempdir().unwrap();
        let err = write_parquet_parts(&[(&PARTS, rows.column_slices().unwrap())], &[], dir.path())
            .unwrap_err();
        assert!(err.to_string().contains("`time` has 1 rows"), "{err}");
        assert!(!dir.path().join("parts.parquet").exists());
    }

    /// Rows of [`Parts`] as a row batch.
    struct Batch(Parts);

    impl RowBatch for Batch {
        fn columns(&self) -> Vec<ColumnSlice<'_>> {
            self.0.column_slices().unwrap()
        }
    }

    #[test]
    fn a_failing_or_misshapen_row_batch_writes_nothing() {
        let (rows, _) = parts_of(10);
        let dir = tempfile::tempdir().unwrap();
        let err = write_parquet_batches(
            &[&PARTS],
            &[],
            10,
            |_| -> Result<Batch> {
                Err(TableError::SchemaMismatch {
                    table: "parts.parquet".into(),
                    message: "the source failed".into(),
                })
            },
            dir.path(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("the source failed"), "{err}");
        // A batch one row short of its range.
        let err = write_parquet_batches(
            &[&PARTS],
            &[],
            10,
            |range| Ok(Batch(rows.rows(range.start..range.end - 1))),
            dir.path(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("column `id` of the row batch of rows 0..10 is U32 with 9 values"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_empty_table_from_batches_is_the_empty_tables_file() {
        let (rows, _) = parts_of(0);
        let dir = tempfile::tempdir().unwrap();
        let (batched, whole) = (dir.path().join("batched"), dir.path().join("whole"));
        write_parquet_batches(&[&PARTS], &[], 0, |_| Ok(Batch(parts_of(0).0)), &batched).unwrap();
        write_parquet_parts(&[(&PARTS, rows.column_slices().unwrap())], &[], &whole).unwrap();
        let bytes = |d: &Path| std::fs::read(d.join("parts.parquet")).unwrap();
        assert_eq!(bytes(&batched), bytes(&whole));
    }

    #[test]
    fn csv_batches_write_the_bytes_of_one_frame() {
        let n = 1000;
        let (rows, truth) = parts_of(n);
        let frame = |r: std::ops::Range<usize>| {
            rows.rows(r.clone())
                .to_frame()
                .unwrap()
                .hstack(truth.rows(r).to_frame().unwrap().columns())
                .unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let (one, batched) = (dir.path().join("one"), dir.path().join("batched"));
        write_csv_extended(&frame(0..n), &[&PARTS, &PARTS_TRUTH], &[], &one).unwrap();
        write_csv_batches(&[&PARTS, &PARTS_TRUTH], n, 300, |r| Ok(frame(r)), &batched).unwrap();
        let bytes = |d: &Path| std::fs::read(d.join("parts.parquet")).unwrap();
        assert_eq!(bytes(&one), bytes(&batched));
        write_csv_batches(&[&PARTS, &PARTS_TRUTH], 0, 300, |r| Ok(frame(r)), &batched).unwrap();
        write_csv_extended(&frame(0..0), &[&PARTS, &PARTS_TRUTH], &[], &one).unwrap();
        assert_eq!(bytes(&one), bytes(&batched));
    }
}
