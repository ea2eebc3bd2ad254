//! Table schemas: one declaration per table, checked on every write and read.

use polars::prelude::*;

use crate::{ColumnSlice, Result, TableError};

/// The logical type of a column, mapped onto one polars/parquet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Unsigned 32-bit integer (ids, positions, counts).
    U32,
    /// Signed 64-bit integer (timestamps, large counts).
    I64,
    /// Signed 32-bit integer (years, optional small integers).
    I32,
    /// 64-bit float.
    F64,
    /// Boolean (a parquet boolean, never 0/1 integers).
    Bool,
    /// UTF-8 string.
    Str,
}

impl ColumnType {
    /// The polars data type this column is stored as.
    pub fn dtype(self) -> DataType {
        match self {
            ColumnType::U32 => DataType::UInt32,
            ColumnType::I64 => DataType::Int64,
            ColumnType::I32 => DataType::Int32,
            ColumnType::F64 => DataType::Float64,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Str => DataType::String,
        }
    }
}

/// One column of a table: its name and type, and whether nulls are allowed.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Column name as written to disk.
    pub name: &'static str,
    /// Column type.
    pub ty: ColumnType,
    /// Whether the column may contain nulls (e.g. a movie without a release year).
    pub nullable: bool,
}

impl ColumnSpec {
    /// A non-nullable column.
    pub const fn new(name: &'static str, ty: ColumnType) -> Self {
        Self {
            name,
            ty,
            nullable: false,
        }
    }

    /// A nullable column.
    pub const fn nullable(name: &'static str, ty: ColumnType) -> Self {
        Self {
            name,
            ty,
            nullable: true,
        }
    }
}

/// The declaration of one table the pipeline writes: file name and ordered, typed columns.
#[derive(Debug, Clone, Copy)]
pub struct TableSchema {
    /// File name under its output directory, e.g. `movielens_interference_slate_outcomes.parquet`.
    pub file_name: &'static str,
    /// Columns in the order they are written.
    pub columns: &'static [ColumnSpec],
    /// What the table holds, in words (for artifact indexes); `table!` takes it from the
    /// struct's doc comment.
    pub description: &'static str,
}

impl TableSchema {
    /// The description without its leading "`file name`:" label, on one line.
    pub fn summary(&self) -> String {
        let text = self
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let rest = match text.split_once("`: ") {
            Some((label, rest)) if label.starts_with('`') => rest,
            _ => &text,
        };
        let mut chars = rest.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }

    /// This schema under another file name (same columns), e.g. a copy in the writeup.
    pub const fn renamed(&self, file_name: &'static str, description: &'static str) -> Self {
        Self {
            file_name,
            columns: self.columns,
            description,
        }
    }

    /// The column names in order.
    pub fn column_names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }

    /// The polars schema (used to parse CSVs with exact types).
    pub fn polars_schema(&self) -> Schema {
        self.columns
            .iter()
            .map(|c| Field::new(c.name.into(), c.ty.dtype()))
            .collect()
    }

    /// Checks that `df` has exactly this schema's columns, in order, with the declared types,
    /// and no nulls in non-nullable columns. `label` names the table in errors.
    pub fn check_exact(&self, df: &DataFrame, label: &str) -> Result<()> {
        let found: Vec<&str> = df.columns().iter().map(|c| c.name().as_str()).collect();
        let expected = self.column_names();
        if found != expected {
            return Err(TableError::SchemaMismatch {
                table: label.to_string(),
                message: format!("columns are {found:?}, schema declares {expected:?}"),
            });
        }
        self.check_columns(df, label)
    }

    /// Checks that every schema column is present in `df` with its declared type and without
    /// forbidden nulls; extra columns are allowed (readers tolerate additions).
    pub fn check_columns(&self, df: &DataFrame, label: &str) -> Result<()> {
        for spec in self.columns {
            let column = df
                .column(spec.name)
                .map_err(|_| TableError::MissingColumn {
                    table: label.to_string(),
                    column: spec.name.to_string(),
                })?;
            let expected = spec.ty.dtype();
            if column.dtype() != &expected {
                return Err(TableError::WrongType {
                    table: label.to_string(),
                    column: spec.name.to_string(),
                    expected: expected.to_string(),
                    found: column.dtype().to_string(),
                });
            }
            if !spec.nullable {
                check_no_nulls(column, label)?;
            }
        }
        Ok(())
    }
}

fn check_no_nulls(column: &Column, label: &str) -> Result<()> {
    let nulls = column.null_count();
    if nulls == 0 {
        return Ok(());
    }
    let first = column
        .is_null()
        .iter()
        .position(|v| v == Some(true))
        .unwrap_or(0);
    Err(TableError::Nulls {
        table: label.to_string(),
        column: column.name().to_string(),
        nulls,
        first_row: first + 1,
    })
}

fn typed<'a>(df: &'a DataFrame, label: &str, name: &str, ty: ColumnType) -> Result<&'a Column> {
    let column = df.column(name).map_err(|_| TableError::MissingColumn {
        table: label.to_string(),
        column: name.to_string(),
    })?;
    if column.dtype() != &ty.dtype() {
        return Err(TableError::WrongType {
            table: label.to_string(),
            column: name.to_string(),
            expected: ty.dtype().to_string(),
            found: column.dtype().to_string(),
        });
    }
    check_no_nulls(column, label)?;
    Ok(column)
}

fn polars_err(label: &str) -> impl Fn(PolarsError) -> TableError + '_ {
    move |source| TableError::Polars {
        table: label.to_string(),
        source,
    }
}

/// Extracts a non-null `u32` column as a vector.
pub fn column_u32(df: &DataFrame, label: &str, name: &str) -> Result<Vec<u32>> {
    let column = typed(df, label, name, ColumnType::U32)?;
    Ok(column
        .u32()
        .map_err(polars_err(label))?
        .no_null_iter()
        .collect())
}

/// Extracts a non-null `i64` column as a vector.
pub fn column_i64(df: &DataFrame, label: &str, name: &str) -> Result<Vec<i64>> {
    let column = typed(df, label, name, ColumnType::I64)?;
    Ok(column
        .i64()
        .map_err(polars_err(label))?
        .no_null_iter()
        .collect())
}

/// Extracts a non-null `f64` column as a vector.
pub fn column_f64(df: &DataFrame, label: &str, name: &str) -> Result<Vec<f64>> {
    let column = typed(df, label, name, ColumnType::F64)?;
    Ok(column
        .f64()
        .map_err(polars_err(label))?
        .no_null_iter()
        .collect())
}

/// Extracts a non-null boolean column as a vector.
pub fn column_bool(df: &DataFrame, label: &str, name: &str) -> Result<Vec<bool>> {
    let column = typed(df, label, name, ColumnType::Bool)?;
    Ok(column
        .bool()
        .map_err(polars_err(label))?
        .no_null_iter()
        .collect())
}

/// Extracts a non-null string column as a vector of owned strings.
pub fn column_str(df: &DataFrame, label: &str, name: &str) -> Result<Vec<String>> {
    let column = typed(df, label, name, ColumnType::Str)?;
    Ok(column
        .str()
        .map_err(polars_err(label))?
        .no_null_iter()
        .map(str::to_string)
        .collect())
}

/// A string column's values, one shared allocation per distinct value: a column that repeats
/// a few values (clusters, model names) over millions of rows holds a 16-byte pointer per row
/// instead of a string of its own (24 bytes and a heap block).
pub type SharedStr = std::sync::Arc<str>;

/// `values` as [`SharedStr`]s, each distinct value allocated once.
pub fn shared_strs<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<SharedStr> {
    let mut interned: std::collections::HashMap<&str, SharedStr> = Default::default();
    values
        .into_iter()
        .map(|v| {
            interned
                .entry(v)
                .or_insert_with(|| SharedStr::from(v))
                .clone()
        })
        .collect()
}

/// A `Str` column read as [`SharedStr`]s, each distinct value allocated once.
pub fn column_shared_str(df: &DataFrame, label: &str, name: &str) -> Result<Vec<SharedStr>> {
    let column = typed(df, label, name, ColumnType::Str)?;
    Ok(shared_strs(
        column.str().map_err(polars_err(label))?.no_null_iter(),
    ))
}

/// A Rust type that maps onto one column type; lets [`crate::table!`] derive a table's schema
/// and its frame conversions from a struct of vectors.
pub trait ColumnValue: Sized + Clone {
    /// The column type.
    const TYPE: ColumnType;
    /// Whether the column may hold nulls (true for `Option<_>`).
    const NULLABLE: bool = false;
    /// Builds a polars column.
    fn to_column(name: &str, values: &[Self]) -> Column;
    /// Reads a column back (checking type and nulls).
    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>>;
    /// The values as a borrowed column for the parquet encoder (`None` for a nullable type,
    /// which goes through a polars frame).
    fn slice(values: &[Self]) -> Option<ColumnSlice<'_>> {
        let _ = values;
        None
    }
}

impl ColumnValue for u32 {
    const TYPE: ColumnType = ColumnType::U32;
    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(name.into(), values)
    }
    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>> {
        column_u32(df, label, name)
    }
    fn slice(values: &[Self]) -> Option<ColumnSlice<'_>> {
        Some(ColumnSlice::U32(values))
    }
}

impl ColumnValue for Option<u32> {
    const TYPE: ColumnType = ColumnType::U32;
    const NULLABLE: bool = true;
    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(name.into(), values)
    }
    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>> {
        let column = df.column(name).map_err(|_| TableError::MissingColumn {
            table: label.to_string(),
            column: name.to_string(),
        })?;
        if column.dtype() != &ColumnType::U32.dtype() {
            return Err(TableError::WrongType {
                table: label.to_string(),
                column: name.to_string(),
                expected: ColumnType::U32.dtype().to_string(),
                found: column.dtype().to_string(),
            });
        }
        Ok(column.u32().map_err(polars_err(label))?.iter().collect())
    }
}

impl ColumnValue for i64 {
    const TYPE: ColumnType = ColumnType::I64;
    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(name.into(), values)
    }
    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>> {
        column_i64(df, label, name)
    }
    fn slice(values: &[Self]) -> Option<ColumnSlice<'_>> {
        Some(ColumnSlice::I64(values))
    }
}

impl ColumnValue for f64 {
    const TYPE: ColumnType = ColumnType::F64;
    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(name.into(), values)
    }
    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>> {
        column_f64(df, label, name)
    }
    fn slice(values: &[Self]) -> Option<ColumnSlice<'_>> {
        Some(ColumnSlice::F64(values))
    }
}

impl ColumnValue for bool {
    const TYPE: ColumnType = ColumnType::Bool;
    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(name.into(), values)
    }
    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>> {
        column_bool(df, label, name)
    }
    fn slice(values: &[Self]) -> Option<ColumnSlice<'_>> {
        Some(ColumnSlice::Bool(values))
    }
}

impl ColumnValue for String {
    const TYPE: ColumnType = ColumnType::Str;
    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(name.into(), values)
    }
    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>> {
        column_str(df, label, name)
    }
    fn slice(values: &[Self]) -> Option<ColumnSlice<'_>> {
        Some(ColumnSlice::Str(values))
    }
}

impl ColumnValue for SharedStr {
    const TYPE: ColumnType = ColumnType::Str;
    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(
            name.into(),
            values.iter().map(|v| &**v).collect::<Vec<&str>>(),
        )
    }
    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>> {
        column_shared_str(df, label, name)
    }
    fn slice(values: &[Self]) -> Option<ColumnSlice<'_>> {
        Some(ColumnSlice::Shared(values))
    }
}

/// Declares a table as a struct of equally long column vectors, plus its [`TableSchema`]
/// constant. Column names are the field names, so the struct is the one place they live.
/// Generates `len`, `is_empty`, `with_capacity`, `concat`, `rows`, `to_frame`, `column_slices`,
/// `write_parquet` and `from_frame`.
///
/// ```
/// slate_table::table! {
///     /// Demo rows.
///     pub struct Demo, schema DEMO = "demo.parquet" {
///         /// An id.
///         id: u32,
///         /// A value.
///         value: f64,
///     }
/// }
/// let demo = Demo { id: vec![1, 2], value: vec![0.5, 1.5] };
/// let frame = demo.to_frame().unwrap();
/// assert_eq!(Demo::from_frame(&frame, "demo").unwrap(), demo);
/// assert_eq!(DEMO.column_names(), vec!["id", "value"]);
/// ```
#[macro_export]
macro_rules! table {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident, schema $schema:ident = $file:literal {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),+ $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Default, PartialEq)]
        $vis struct $name {
            $( $(#[$field_meta])* pub $field: Vec<$ty>, )+
        }

        #[doc = concat!("Schema of `", $file, "`.")]
        $vis const $schema: $crate::TableSchema = $crate::TableSchema {
            file_name: $file,
            description: concat!($($doc, "\n"),*),
            columns: &[ $( $crate::ColumnSpec {
                name: stringify!($field),
                ty: <$ty as $crate::ColumnValue>::TYPE,
                nullable: <$ty as $crate::ColumnValue>::NULLABLE,
            }, )+ ],
        };

        impl $name {
            /// Number of rows.
            pub fn len(&self) -> usize {
                [$( self.$field.len() ),+][0]
            }

            /// Whether the table has no rows.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// An empty table with room for `rows` rows.
            pub fn with_capacity(rows: usize) -> Self {
                Self { $( $field: Vec::with_capacity(rows), )+ }
            }

            /// Concatenates tables in order.
            /// (Column by column, each part's column freed once copied, so memory holds the
            /// parts and one column of the whole, not the parts and the whole.)
            pub fn concat(mut parts: Vec<Self>) -> Self {
                let rows = parts.iter().map(Self::len).sum();
                Self {
                    $( $field: {
                        let mut column = Vec::with_capacity(rows);
                        for part in parts.iter_mut() {
                            column.extend(::std::mem::take(&mut part.$field));
                        }
                        column
                    }, )+
                }
            }

            /// Reserves room for `rows` more rows in every column, or says that memory cannot
            /// hold them.
            pub fn try_reserve(&mut self, rows: usize) -> ::std::result::Result<(), ::std::collections::TryReserveError> {
                $( self.$field.try_reserve_exact(rows)?; )+
                Ok(())
            }

            /// Moves `other`'s rows after this table's (no reallocation when the table was
            /// made with room for them: [`Self::with_capacity`], [`Self::try_reserve`]).
            pub fn append(&mut self, mut other: Self) {
                $( self.$field.append(&mut other.$field); )+
            }

            /// A copy of rows `range`.
            pub fn rows(&self, range: ::std::ops::Range<usize>) -> Self {
                Self { $( $field: self.$field[range.clone()].to_vec(), )+ }
            }

            /// Builds the polars frame, columns in declaration order.
            pub fn to_frame(&self) -> ::std::result::Result<$crate::polars::prelude::DataFrame, $crate::TableError> {
                let lengths = [$( self.$field.len() ),+];
                if lengths.iter().any(|l| *l != lengths[0]) {
                    return Err($crate::TableError::SchemaMismatch {
                        table: $file.to_string(),
                        message: format!("column lengths differ: {lengths:?}"),
                    });
                }
                $crate::polars::prelude::DataFrame::new(
                    lengths[0],
                    vec![ $( <$ty as $crate::ColumnValue>::to_column(stringify!($field), &self.$field), )+ ],
                )
                .map_err(|source| $crate::TableError::Polars { table: $file.to_string(), source })
            }

            /// Every column, borrowed, in declaration order, for
            /// [`write_parquet_parts`]($crate::write_parquet_parts) (`None` when a column is
            /// nullable).
            pub fn column_slices(&self) -> Option<Vec<$crate::ColumnSlice<'_>>> {
                Some(vec![ $( <$ty as $crate::ColumnValue>::slice(&self.$field)?, )+ ])
            }

            /// Writes the table as parquet to `dir/<file name>` (atomically): from its columns
            /// when none is nullable (no frame is built), else through a polars frame.
            pub fn write_parquet(
                &self,
                dir: &::std::path::Path,
            ) -> ::std::result::Result<::std::path::PathBuf, $crate::TableError> {
                match self.column_slices() {
                    Some(columns) => $crate::write_parquet_parts(&[(&$schema, columns)], &[], dir),
                    None => $crate::write_parquet(&self.to_frame()?, &$schema, dir),
                }
            }

            /// Reads the table back from a frame (checking every column's type and nulls);
            /// `label` names the source in errors.
            pub fn from_frame(
                frame: &$crate::polars::prelude::DataFrame,
                label: &str,
            ) -> ::std::result::Result<Self, $crate::TableError> {
                Ok(Self { $( $field: <$ty as $crate::ColumnValue>::from_frame(frame, label, stringify!($field))?, )+ })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: TableSchema = TableSchema {
        file_name: "demo.parquet",
        description: "demo",
        columns: &[
            ColumnSpec::new("id", ColumnType::U32),
            ColumnSpec::nullable("year", ColumnType::I32),
        ],
    };

    fn frame(ids: Vec<u32>, years: Vec<Option<i32>>) -> DataFrame {
        DataFrame::new(
            ids.len(),
            vec![
                Column::new("id".into(), ids),
                Column::new("year".into(), years),
            ],
        )
        .unwrap()
    }

    #[test]
    fn exact_schema_accepts_matching_frame_with_nullable_nulls() {
        DEMO.check_exact(&frame(vec![1, 2], vec![Some(1999), None]), "demo")
            .unwrap();
    }

    #[test]
    fn reordered_columns_are_a_mismatch() {
        let df = frame(vec![1], vec![None]).select(["year", "id"]).unwrap();
        let err = DEMO.check_exact(&df, "demo").unwrap_err();
        assert!(matches!(err, TableError::SchemaMismatch { .. }), "{err}");
    }

    #[test]
    fn wrong_type_names_the_column() {
        let df = DataFrame::new(
            1,
            vec![
                Column::new("id".into(), [1i64]),
                Column::new("year".into(), [1i32]),
            ],
        )
        .unwrap();
        let err = DEMO.check_columns(&df, "demo").unwrap_err();
        assert!(err.to_string().contains("`id`"), "{err}");
    }

    #[test]
    fn nulls_in_required_column_report_first_row() {
        let df = DataFrame::new(
            3,
            vec![
                Column::new("id".into(), [Some(1u32), Some(2), None]),
                Column::new("year".into(), [1i32, 2, 3]),
            ],
        )
        .unwrap();
        let err = column_u32(&df, "demo", "id").unwrap_err();
        assert!(
            matches!(
                err,
                TableError::Nulls {
                    first_row: 3,
                    nulls: 1,
                    ..
                }
            ),
            "{err}"
        );
    }
}
