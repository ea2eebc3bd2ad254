//! Parquet encoding with arrow-rs: row groups are encoded in parallel and each column type gets
//! the encoding that suits it.
//!
//! - Integer columns (ids, positions, timestamps) are `DELTA_BINARY_PACKED` and not compressed
//!   further: sorted ids cost a few bits per row, no dictionary has to be built and thrown
//!   away, and snappy would spend time on bit-packed pages to save 0.5% of their size.
//! - Float columns are `BYTE_STREAM_SPLIT` (byte i of every value together) then snappy:
//!   hashing 32 million ratings into a dictionary costs more, and the split streams compress
//!   better than plain values (the ratings table: 217 MB against 241 MB, same time).
//! - String columns try a dictionary first (genres and clusters have a handful of values) and
//!   fall back to plain pages when it grows past its page limit.
//! - Every other page is snappy-compressed.
//!
//! Row groups hold a fixed number of rows, and encoded row groups are appended in order, so the
//! bytes of a file never depend on the thread count.

use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray, UInt32Array,
};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, compute_leaves};
use parquet::basic::{Compression, Encoding};
use parquet::column::writer::{
    ColumnCloseResult, ColumnWriter, ColumnWriterImpl, get_column_writer,
};
use parquet::data_type::DataType;
use parquet::errors::ParquetError;
use parquet::file::properties::{WriterProperties, WriterPropertiesPtr};
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::{ColumnDescPtr, ColumnPath};
use polars::prelude::{Column, DataFrame, PolarsError};
use rayon::prelude::*;

use crate::{ColumnType, Result, TableError, TableSchema};

/// The columns of one file as the encoder sees them: a [`TableSchema`]'s, possibly followed by
/// columns named at run time (see [`write_parquet_extended`](crate::write_parquet_extended)).
#[derive(Debug, Clone)]
pub(crate) struct Layout<'a> {
    /// The table's name in errors (its file name).
    pub table: &'a str,
    /// Name, type and nullability of each column, in file order.
    pub columns: Vec<(&'a str, ColumnType, bool)>,
}

impl<'a> Layout<'a> {
    /// The columns of `schema`.
    pub(crate) fn of(schema: &'a TableSchema) -> Self {
        Layout {
            table: schema.file_name,
            columns: schema
                .columns
                .iter()
                .map(|c| (c.name, c.ty, c.nullable))
                .collect(),
        }
    }
}

/// Rows per row group of every parquet table written here. Fixed, so that row-group boundaries
/// (and so the file's bytes) do not depend on the machine.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// Row groups encoded at once before they are appended to the file: one per thread, so memory
/// holds the encoded pages of two waves (one being written, one being encoded). The bytes do
/// not depend on it: row groups are fixed and appended in order.
fn row_groups_per_wave() -> usize {
    rayon::current_num_threads().max(1)
}

/// Most row groups built from batches at once, whatever the thread count: a batch holds its
/// rows' values (a row group of the exposure mapping is about 150 MB), and a wave per thread
/// on a many-core machine would hold most of a table the batches exist not to hold.
const BATCHES_PER_WAVE: usize = 4;

/// One column's values, borrowed from the caller, for [`write_parquet_columns`](crate::write_parquet_columns).
/// Only non-null columns: a nullable column goes through a polars frame and
/// [`write_parquet`](crate::write_parquet).
#[derive(Debug, Clone, Copy)]
pub enum ColumnSlice<'a> {
    /// A `U32` column.
    U32(&'a [u32]),
    /// An `I32` column.
    I32(&'a [i32]),
    /// An `I64` column.
    I64(&'a [i64]),
    /// An `F64` column.
    F64(&'a [f64]),
    /// A `Bool` column.
    Bool(&'a [bool]),
    /// A `Str` column (encoded through an arrow array built one row group at a time).
    Str(&'a [String]),
    /// A `Str` column of shared strings (encoded as `Str`).
    Shared(&'a [crate::SharedStr]),
}

impl ColumnSlice<'_> {
    /// The column type these values are stored as.
    pub fn column_type(&self) -> ColumnType {
        match self {
            ColumnSlice::U32(_) => ColumnType::U32,
            ColumnSlice::I32(_) => ColumnType::I32,
            ColumnSlice::I64(_) => ColumnType::I64,
            ColumnSlice::F64(_) => ColumnType::F64,
            ColumnSlice::Bool(_) => ColumnType::Bool,
            ColumnSlice::Str(_) | ColumnSlice::Shared(_) => ColumnType::Str,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnSlice::U32(v) => v.len(),
            ColumnSlice::I32(v) => v.len(),
            ColumnSlice::I64(v) => v.len(),
            ColumnSlice::F64(v) => v.len(),
            ColumnSlice::Bool(v) => v.len(),
            ColumnSlice::Str(v) => v.len(),
            ColumnSlice::Shared(v) => v.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> ColumnSlice<'a> {
    /// The values of rows `range`.
    pub fn slice(&self, range: Range<usize>) -> ColumnSlice<'a> {
        match *self {
            ColumnSlice::U32(v) => ColumnSlice::U32(&v[range]),
            ColumnSlice::I32(v) => ColumnSlice::I32(&v[range]),
            ColumnSlice::I64(v) => ColumnSlice::I64(&v[range]),
            ColumnSlice::F64(v) => ColumnSlice::F64(&v[range]),
            ColumnSlice::Bool(v) => ColumnSlice::Bool(&v[range]),
            ColumnSlice::Str(v) => ColumnSlice::Str(&v[range]),
            ColumnSlice::Shared(v) => ColumnSlice::Shared(&v[range]),
        }
    }
}

/// Where a column's values come from: borrowed slices, or an arrow array converted from a
/// polars column.
pub(crate) enum ColumnSource<'a> {
    Slice(ColumnSlice<'a>),
    Array(ArrayRef),
}

/// Converts every column of `df` (already checked against `layout`) to an arrow array.
pub(crate) fn frame_sources(
    df: &DataFrame,
    layout: &Layout<'_>,
) -> Result<Vec<ColumnSource<'static>>> {
    layout
        .columns
        .iter()
        .map(|(name, ty, _)| {
            let column = df.column(name).map_err(polars_error(layout))?;
            to_arrow(column, *ty)
                .map(ColumnSource::Array)
                .map_err(polars_error(layout))
        })
        .collect()
}

fn polars_error<'a>(layout: &'a Layout<'_>) -> impl Fn(PolarsError) -> TableError + 'a {
    move |source| TableError::Polars {
        table: layout.table.to_string(),
        source,
    }
}

fn to_arrow(column: &Column, ty: ColumnType) -> std::result::Result<ArrayRef, PolarsError> {
    Ok(match ty {
        ColumnType::U32 => Arc::new(column.u32()?.iter().collect::<UInt32Array>()),
        ColumnType::I32 => Arc::new(column.i32()?.iter().collect::<Int32Array>()),
        ColumnType::I64 => Arc::new(column.i64()?.iter().collect::<Int64Array>()),
        ColumnType::F64 => Arc::new(column.f64()?.iter().collect::<Float64Array>()),
        ColumnType::Bool => Arc::new(column.bool()?.iter().collect::<BooleanArray>()),
        ColumnType::Str => Arc::new(column.str()?.iter().collect::<StringArray>()),
    })
}

fn arrow_schema(layout: &Layout<'_>) -> ArrowSchema {
    ArrowSchema::new(
        layout
            .columns
            .iter()
            .map(|(name, ty, nullable)| {
                let ty = match ty {
                    ColumnType::U32 => ArrowType::UInt32,
                    ColumnType::I32 => ArrowType::Int32,
                    ColumnType::I64 => ArrowType::Int64,
                    ColumnType::F64 => ArrowType::Float64,
                    ColumnType::Bool => ArrowType::Boolean,
                    ColumnType::Str => ArrowType::Utf8,
                };
                ArrowField::new(*name, ty, *nullable)
            })
            .collect::<Vec<_>>(),
    )
}

fn properties(layout: &Layout<'_>) -> WriterProperties {
    let mut builder = WriterProperties::builder().set_compression(Compression::SNAPPY);
    for (name, ty, _) in &layout.columns {
        let path = ColumnPath::from(*name);
        builder = match ty {
            ColumnType::U32 | ColumnType::I32 | ColumnType::I64 => builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_compression(path.clone(), Compression::UNCOMPRESSED)
                .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED),
            ColumnType::F64 => builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, Encoding::BYTE_STREAM_SPLIT),
            ColumnType::Bool | ColumnType::Str => builder,
        };
    }
    builder.build()
}

/// The values of one row group, built only when the group is encoded (see
/// [`write_parquet_batches`](crate::write_parquet_batches)): it owns them, and lends them out
/// as the file's columns.
pub trait RowBatch: Send {
    /// The batch's columns, in the file's order, each one value per row of the batch.
    fn columns(&self) -> Vec<ColumnSlice<'_>>;
}

/// Builds the rows `range` of a table as a [`RowBatch`].
pub(crate) type MakeBatch<'s> = dyn Fn(Range<usize>) -> Result<Box<dyn RowBatch + 's>> + Sync + 's;

/// Where the values of a file come from.
pub(crate) enum Values<'s, 'a> {
    /// Every column whole (one per layout column, `rows` values each); a row group encodes a
    /// range of each.
    Columns(&'s [ColumnSource<'a>]),
    /// Each row group's rows, built when it is encoded: memory holds the row groups in
    /// flight, not the table.
    Batches(&'s MakeBatch<'s>),
}

/// Checks the columns of the batch of rows `range` against `layout`: each of its type, one
/// value per row.
fn checked_batch<'b>(
    layout: &Layout<'_>,
    columns: Vec<ColumnSlice<'b>>,
    range: &Range<usize>,
) -> Result<Vec<ColumnSource<'b>>> {
    let rows = range.len();
    let mismatch = |message: String| TableError::SchemaMismatch {
        table: layout.table.to_string(),
        message,
    };
    if columns.len() != layout.columns.len() {
        return Err(mismatch(format!(
            "the row batch of rows {range:?} has {} columns, the table {}",
            columns.len(),
            layout.columns.len()
        )));
    }
    for ((name, ty, _), column) in layout.columns.iter().zip(&columns) {
        if column.column_type() != *ty || column.len() != rows {
            return Err(mismatch(format!(
                "column `{name}` of the row batch of rows {range:?} is {:?} with {} values, expected {ty:?} with {rows}",
                column.column_type(),
                column.len()
            )));
        }
    }
    Ok(columns.into_iter().map(ColumnSource::Slice).collect())
}

/// Encodes `values` (`rows` rows of the `layout` columns) as one parquet file into `writer`.
pub(crate) fn encode<W: Write + Send>(
    writer: W,
    layout: &Layout<'_>,
    values: Values<'_, '_>,
    rows: usize,
) -> Result<()> {
    let error = |source: ParquetError| TableError::Parquet {
        table: layout.table.to_string(),
        source,
    };
    let arrow_schema = Arc::new(arrow_schema(layout));
    let (mut file, factory) =
        ArrowWriter::try_new(writer, Arc::clone(&arrow_schema), Some(properties(layout)))
            .and_then(ArrowWriter::into_serialized_writer)
            .map_err(error)?;
    let columns = file.schema_descr().columns().to_vec();
    let properties = Arc::clone(file.properties());
    let encode_group = |group: usize| -> Result<Vec<EncodedChunk>> {
        let range = group * ROW_GROUP_ROWS..((group + 1) * ROW_GROUP_ROWS).min(rows);
        // A batch lives while its columns are encoded, then goes.
        let batch;
        let batch_sources;
        let (sources, range) = match values {
            Values::Columns(sources) => (sources, range),
            Values::Batches(make) => {
                batch = make(range.clone())?;
                batch_sources = checked_batch(layout, batch.columns(), &range)?;
                (&batch_sources[..], 0..range.len())
            }
        };
        let mut arrow_writers = factory
            .create_column_writers(group)
            .map_err(error)?
            .into_iter();
        let jobs: Vec<_> = sources
            .iter()
            .zip(&columns)
            .zip(arrow_schema.fields())
            .map(|((source, column), field)| (source, column, field, arrow_writers.next()))
            .collect();
        jobs.into_par_iter()
            .map(|(source, column, field, arrow_writer)| {
                let values = match source {
                    ColumnSource::Slice(ColumnSlice::Str(values)) => {
                        Arc::new(StringArray::from_iter_values(&values[range.clone()])) as ArrayRef
                    }
                    ColumnSource::Slice(ColumnSlice::Shared(values)) => Arc::new(
                        StringArray::from_iter_values(values[range.clone()].iter().map(|v| &**v)),
                    )
                        as ArrayRef,
                    ColumnSource::Slice(slice) => {
                        return encode_slice(column, &properties, *slice, range.clone());
                    }
                    ColumnSource::Array(array) => array.slice(range.start, range.len()),
                };
                let mut writer = arrow_writer
                    .ok_or_else(|| ParquetError::General("no writer for an arrow column".into()))?;
                for leaf in compute_leaves(field, &values)? {
                    writer.write(&leaf)?;
                }
                writer.close().map(EncodedChunk::Arrow)
            })
            .collect::<std::result::Result<Vec<_>, ParquetError>>()
            .map_err(error)
    };
    // A wave of row groups is encoded while the previous wave is written out, so the copying
    // into the file overlaps the encoding.
    let groups: Vec<usize> = (0..rows.div_ceil(ROW_GROUP_ROWS)).collect();
    let per_wave = match values {
        Values::Columns(_) => row_groups_per_wave(),
        Values::Batches(_) => row_groups_per_wave().min(BATCHES_PER_WAVE),
    };
    let mut encoded: Vec<Vec<EncodedChunk>> = Vec::new();
    for wave in groups.chunks(per_wave) {
        let (appended, next) = rayon::join(
            || {
                encoded
                    .drain(..)
                    .try_for_each(|chunks| append_row_group(&mut file, chunks))
            },
            || {
                wave.par_iter()
                    .map(|&group| encode_group(group))
                    .collect::<Result<Vec<_>>>()
            },
        );
        appended.map_err(error)?;
        encoded = next?;
    }
    for chunks in encoded {
        append_row_group(&mut file, chunks).map_err(error)?;
    }
    file.close().map_err(error)?;
    Ok(())
}

/// One column chunk of one row group, encoded in memory and ready to be spliced into the file.
enum EncodedChunk {
    /// Encoded by arrow-rs from an arrow array.
    Arrow(ArrowColumnChunk),
    /// Encoded by parquet's typed writer from a slice: the bytes and their metadata.
    Typed(Bytes, ColumnCloseResult),
}

/// Encodes `slice[range]` with parquet's typed column writer: no arrow array, no per-value
/// index list, no gather; integers go through the delta encoder as they are (a `u32` is
/// stored as the `INT32` with the same bits, which the `UINT_32` annotation tells readers).
fn encode_slice(
    column: &ColumnDescPtr,
    properties: &WriterPropertiesPtr,
    slice: ColumnSlice<'_>,
    range: Range<usize>,
) -> std::result::Result<EncodedChunk, ParquetError> {
    let mut sink = TrackedWrite::new(Vec::new());
    let page_writer = Box::new(SerializedPageWriter::new(&mut sink));
    let writer = get_column_writer(Arc::clone(column), Arc::clone(properties), page_writer);
    let close = match (slice, writer) {
        (ColumnSlice::U32(values), ColumnWriter::Int32ColumnWriter(writer)) => {
            // The same bits, viewed as i32 without a copy.
            write_values(writer, bytemuck::cast_slice::<u32, i32>(&values[range]))?
        }
        (ColumnSlice::I32(values), ColumnWriter::Int32ColumnWriter(writer)) => {
            write_values(writer, &values[range])?
        }
        (ColumnSlice::I64(values), ColumnWriter::Int64ColumnWriter(writer)) => {
            write_values(writer, &values[range])?
        }
        (ColumnSlice::F64(values), ColumnWriter::DoubleColumnWriter(writer)) => {
            write_values(writer, &values[range])?
        }
        (ColumnSlice::Bool(values), ColumnWriter::BoolColumnWriter(writer)) => {
            write_values(writer, &values[range])?
        }
        (slice, _) => {
            return Err(ParquetError::General(format!(
                "column `{}` is declared {:?}, given {:?} values",
                column.name(),
                column.physical_type(),
                slice.column_type()
            )));
        }
    };
    Ok(EncodedChunk::Typed(Bytes::from(sink.into_inner()?), close))
}

/// Writes non-null values through a typed column writer and closes it.
fn write_values<T: DataType>(
    mut writer: ColumnWriterImpl<'_, T>,
    values: &[T::T],
) -> std::result::Result<ColumnCloseResult, ParquetError> {
    writer.write_batch(values, None, None)?;
    writer.close()
}

fn append_row_group<W: Write + Send>(
    file: &mut SerializedFileWriter<W>,
    chunks: Vec<EncodedChunk>,
) -> std::result::Result<(), ParquetError> {
    let mut row_group = file.next_row_group()?;
    for chunk in chunks {
        match chunk {
            EncodedChunk::Arrow(chunk) => chunk.append_to_row_group(&mut row_group)?,
            EncodedChunk::Typed(bytes, close) => row_group.append_column(&bytes, close)?,
        }
    }
    row_group.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use polars::prelude::DataType;

    use super::*;
    use crate::{ColumnSpec, column_f64, column_i64, column_str, column_u32, read_parquet};

    const WIDE: TableSchema = TableSchema {
        file_name: "wide.parquet",
        description: "test",
        columns: &[
            ColumnSpec::new("id", ColumnType::U32),
            ColumnSpec::new("year", ColumnType::I32),
            ColumnSpec::new("time", ColumnType::I64),
            ColumnSpec::new("rating", ColumnType::F64),
            ColumnSpec::new("flag", ColumnType::Bool),
        ],
    };

    struct Wide {
        id: Vec<u32>,
        year: Vec<i32>,
        time: Vec<i64>,
        rating: Vec<f64>,
        flag: Vec<bool>,
    }

    /// More rows than one row group, with sorted, unsorted and negative integers.
    fn wide(rows: usize) -> Wide {
        Wide {
            id: (0..rows as u32).map(|i| i / 7).collect(),
            year: (0..rows as i64)
                .map(|i| ((i * 7919) % 200 - 100) as i32)
                .collect(),
            time: (0..rows as i64)
                .map(|i| (i * 1_000_003) % 1_700_000_000)
                .collect(),
            rating: (0..rows).map(|i| 0.5 * (1 + i % 10) as f64).collect(),
            flag: (0..rows).map(|i| i % 3 == 0).collect(),
        }
    }

    fn slices(w: &Wide) -> [ColumnSlice<'_>; 5] {
        [
            ColumnSlice::U32(&w.id),
            ColumnSlice::I32(&w.year),
            ColumnSlice::I64(&w.time),
            ColumnSlice::F64(&w.rating),
            ColumnSlice::Bool(&w.flag),
        ]
    }

    #[test]
    fn column_slices_round_trip_across_row_groups() {
        let rows = 2 * ROW_GROUP_ROWS + 12_345;
        let w = wide(rows);
        let dir = tempfile::tempdir().unwrap();
        let path = crate::write_parquet_columns(&slices(&w), &WIDE, dir.path()).unwrap();
        let back = read_parquet(&path, &WIDE).unwrap();
        assert_eq!(column_u32(&back, "wide", "id").unwrap(), w.id);
        assert_eq!(column_i64(&back, "wide", "time").unwrap(), w.time);
        assert_eq!(column_f64(&back, "wide", "rating").unwrap(), w.rating);
        let year: Vec<i32> = back
            .column("year")
            .unwrap()
            .i32()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(year, w.year);
        assert_eq!(crate::column_bool(&back, "wide", "flag").unwrap(), w.flag);
    }

    #[test]
    fn nullable_and_string_columns_round_trip_through_a_frame() {
        const MIXED: TableSchema = TableSchema {
            file_name: "mixed.parquet",
            description: "test",
            columns: &[
                ColumnSpec::new("title", ColumnType::Str),
                ColumnSpec::nullable("year", ColumnType::I32),
                ColumnSpec::nullable("tmdb", ColumnType::U32),
                ColumnSpec::nullable("note", ColumnType::Str),
            ],
        };
        let df = DataFrame::new(
            3,
            vec![
                Column::new("title".into(), ["Heat (1995)", "", "Ran, \"The\""]),
                Column::new("year".into(), [Some(1995i32), None, Some(-3)]),
                Column::new("tmdb".into(), [None, Some(u32::MAX), Some(0u32)]),
                Column::new("note".into(), [Some("é"), None, Some("x")]),
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = crate::write_parquet(&df, &MIXED, dir.path()).unwrap();
        let back = read_parquet(&path, &MIXED).unwrap();
        assert!(back.equals_missing(&df), "{back}");
        assert_eq!(
            column_str(&back, "mixed", "title").unwrap(),
            ["Heat (1995)", "", "Ran, \"The\""]
        );
        assert_eq!(back.column("tmdb").unwrap().dtype(), &DataType::UInt32);
    }

    #[test]
    fn bytes_do_not_depend_on_the_thread_count() {
        // Three row groups: one wave of three with 3 threads, three waves with 1.
        let w = wide(ROW_GROUP_ROWS * 2 + 99);
        let sources: Vec<_> = slices(&w).map(ColumnSource::Slice).into();
        let encode_with = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut bytes = Vec::new();
            pool.install(|| {
                encode(
                    &mut bytes,
                    &Layout::of(&WIDE),
                    Values::Columns(&sources),
                    w.id.len(),
                )
            })
            .unwrap();
            bytes
        };
        assert_eq!(encode_with(1), encode_with(3));
    }

    #[test]
    fn a_column_that_disagrees_with_the_schema_writes_nothing() {
        let w = wide(10);
        let dir = tempfile::tempdir().unwrap();
        let mut wrong_type = slices(&w);
        wrong_type[1] = ColumnSlice::I64(&w.time);
        let short = &w.id[..9];
        let mut wrong_length = slices(&w);
        wrong_length[0] = ColumnSlice::U32(short);
        for columns in [&wrong_type[..], &wrong_length[..], &slices(&w)[..4]] {
            let err = crate::write_parquet_columns(columns, &WIDE, dir.path()).unwrap_err();
            assert!(matches!(err, TableError::SchemaMismatch { .. }), "{err}");
            assert!(err.to_string().contains("wide.parquet"), "{err}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
