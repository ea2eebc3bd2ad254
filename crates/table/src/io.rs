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
    stage_atomically(dir, file_name, write)?.persist()
}

/// A file written whole, flushed and synced, that is not yet in place: [`Staged::persist`]
/// renames it over its destination, and dropping it removes it. For a stage that writes a file
/// before it knows whether the rest of its input is valid, and must leave nothing behind if
/// not.
#[derive(Debug)]
pub struct Staged {
    temp: tempfile::NamedTempFile,
    destination: PathBuf,
}

impl Staged {
    /// Where [`Staged::persist`] puts the file.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Renames the file over its destination.
    pub fn persist(self) -> Result<PathBuf> {
        let Staged { temp, destination } = self;
        temp.persist(&destination).map_err(|e| TableError::Io {
            path: destination.clone(),
            source: e.error,
        })?;
        Ok(destination)
    }
}

/// The first half of [`write_atomically`]: `write` fills a temporary file beside `dir/file_name`,
/// which is flushed and synced, and returned unrenamed. On any error it is removed.
pub fn stage_atomically(
    dir: &Path,
    file_name: &str,
    write: impl FnOnce(&mut BufWriter<&File>) -> Result<()>,
) -> Result<Staged> {
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
    Ok(Staged { temp, destination })
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
pub fn write_parquet_batches<'s, B: RowBatch + 's>(
    parts: &[&TableSchema],
    extra: &[&str],
    rows: usize,
    batch: impl Fn(std::ops::Range<usize>) -> Result<B> + Sync + 's,
    dir: &Path,
) -> Result<PathBuf> {
    stage_parquet_batches(parts, extra, rows, batch, dir)?.persist()
}

/// [`write_parquet_batches`] without the final rename: the file is written and synced beside
/// its destination, and put in place by [`Staged::persist`].
pub fn stage_parquet_batches<'s, B: RowBatch + 's>(
    parts: &[&TableSchema],
    extra: &[&str],
    rows: usize,
    batch: impl Fn(std::ops::Range<usize>) -> Result<B> + Sync + 's,
    dir: &Path,
) -> Result<Staged> {
    let layout = parts_layout(parts, extra)?;
    let make = |range| batch(range).map(|b| Box::new(b) as Box<dyn RowBatch + 's>);
    stage_atomically(dir, layout.table, |writer| {
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

/// Reads a parquet table one row group at a time, in order: `each(first_row, frame)` gets the
/// rows of each group (the file's first row is 0), the schema's columns checked in each. Memory
/// holds one group's frame, not the table's. Returns the rows read. Errors name the file; an
/// error of `each` about a row of its frame can be placed in the file with
/// [`TableError::after_rows`].
pub fn read_parquet_row_groups(
    path: &Path,
    schema: &TableSchema,
    mut each: impl FnMut(usize, DataFrame) -> Result<()>,
) -> Result<usize> {
    let Some(first) = schema.columns.first() else {
        return Ok(0);
    };
    let label = path.display().to_string();
    let groups = crate::parquet_row_groups(path, first.name)?;
    if groups.is_empty() {
        // No rows: the empty frame still has the file's columns to check.
        each(0, read_parquet(path, schema)?)?;
        return Ok(0);
    }
    let mut start = 0;
    for group in groups {
        let df = ParquetReader::new(open_file(path)?)
            .with_slice(Some((start, group.rows)))
            .finish()
            .map_err(|e| TableError::Corrupt {
                path: path.to_path_buf(),
                format: "parquet",
                message: e.to_string(),
            })?;
        if let Err(error) = schema.check_columns(&df, &label) {
            // The whole file's error where it differs (a column's count of nulls).
            return read_parquet(path, schema).and(Err(error.after_rows(start)));
        }
        if let Err(error) = each(start, df) {
            return Err(whole_file_nulls(path, error));
        }
        start += group.rows;
    }
    Ok(start)
}

/// `error`, about one row group of the parquet file `path`, with a column's count of nulls
/// counted over the whole file (reading that column alone).
fn whole_file_nulls(path: &Path, error: TableError) -> TableError {
    let TableError::Nulls {
        table,
        column,
        nulls,
        first_row,
    } = error
    else {
        return error;
    };
    let whole = open_file(path).ok().and_then(|file| {
        ParquetReader::new(file)
            .with_columns(Some(vec![column.clone()]))
            .finish()
            .ok()
            .and_then(|df| df.column(&column).ok().map(|c| c.null_count()))
    });
    TableError::Nulls {
        table,
        column,
        nulls: whole.unwrap_or(nulls),
        first_row,
    }
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
mod tests;
