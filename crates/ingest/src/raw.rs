//! Reading one raw MovieLens CSV with polars, with exact header checks and precise diagnostics.
//!
//! The fast path is polars' multi-threaded CSV reader with an explicit schema. Polars reports a
//! bad value without its line number, so when it fails we read the file again with the `csv`
//! crate (only then) to name the exact line and column for the user.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::IngestError;
use crate::schema::RawFile;

/// How a raw column is typed when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawType {
    U32,
    I64,
    F64,
    Str,
}

impl RawType {
    fn dtype(self) -> DataType {
        match self {
            RawType::U32 => DataType::UInt32,
            RawType::I64 => DataType::Int64,
            RawType::F64 => DataType::Float64,
            RawType::Str => DataType::String,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            RawType::U32 => "a non-negative integer id",
            RawType::I64 => "an integer",
            RawType::F64 => "a number",
            RawType::Str => "text",
        }
    }

    fn accepts(self, field: &str) -> bool {
        match self {
            RawType::U32 => field.parse::<u32>().is_ok(),
            RawType::I64 => field.parse::<i64>().is_ok(),
            RawType::F64 => field.parse::<f64>().is_ok(),
            RawType::Str => true,
        }
    }
}

/// A raw column: its type and whether an empty field is allowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawColumn {
    pub ty: RawType,
    pub nullable: bool,
}

impl RawColumn {
    pub const fn required(ty: RawType) -> Self {
        Self {
            ty,
            nullable: false,
        }
    }
    pub const fn optional(ty: RawType) -> Self {
        Self { ty, nullable: true }
    }
}

/// Reads `dir/<raw.file_name>` with the given column types (one per header column).
pub(crate) fn read_raw(
    dir: &Path,
    raw: &RawFile,
    columns: &[RawColumn],
) -> Result<DataFrame, IngestError> {
    debug_assert_eq!(raw.header.len(), columns.len());
    let path = dir.join(raw.file_name);
    check_header(&path, raw)?;
    let schema: Schema = raw
        .header
        .iter()
        .zip(columns)
        .map(|(name, column)| Field::new((*name).into(), column.ty.dtype()))
        .collect();
    let quote_char = has_text(columns).then_some(b'"');
    let read = || {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_schema(Some(Arc::new(schema.clone())))
            .with_parse_options(CsvParseOptions::default().with_quote_char(quote_char))
            .try_into_reader_with_file_path(Some(path.clone()))
            .and_then(|reader| reader.finish())
    };
    // polars 0.55 panics on some malformed fields (e.g. a lone `"` in a numeric column, found
    // by fuzzing); a panic must never escape ingest, so it becomes a located error.
    let parsed = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("the CSV parser rejected the file".to_string()),
    };
    let df = match parsed {
        Ok(df) => df,
        Err(message) => return Err(diagnose(&path, raw, columns, message)),
    };
    for (name, column) in raw.header.iter().zip(columns) {
        if column.nullable {
            continue;
        }
        let values = df.column(name).map_err(|e| IngestError::Csv {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if values.null_count() > 0 {
            // A null in a required column is an empty field or a short line: find which.
            return Err(diagnose(
                &path,
                raw,
                columns,
                format!("empty values in `{name}`"),
            ));
        }
    }
    Ok(df)
}

/// Checks that the file exists, is not empty, and starts with exactly the published header.
/// Returns the header line's length in bytes, newline included.
pub(crate) fn check_header(path: &Path, raw: &RawFile) -> Result<u64, IngestError> {
    let file = File::open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => IngestError::MissingFile {
            path: path.to_path_buf(),
        },
        _ => IngestError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let mut first = Vec::new();
    BufReader::new(file)
        .take(64 * 1024)
        .read_until(b'\n', &mut first)
        .map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if first.is_empty() {
        return Err(IngestError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let line = std::str::from_utf8(&first).map_err(|_| IngestError::Encoding {
        path: path.to_path_buf(),
        line: 1,
    })?;
    let line = line
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\n', '\r']);
    let found: Vec<&str> = line.split(',').collect();
    if found != raw.header {
        let position = found
            .iter()
            .zip(raw.header)
            .position(|(f, e)| f != e)
            .unwrap_or(found.len().min(raw.header.len()));
        let detail = match (found.get(position), raw.header.get(position)) {
            (Some(f), Some(e)) => format!("column {} is `{f}`, expected `{e}`", position + 1),
            (None, Some(e)) => format!("column {} `{e}` is missing", position + 1),
            (Some(f), None) => format!("unexpected extra column {} `{f}`", position + 1),
            (None, None) => String::new(),
        };
        return Err(IngestError::Header {
            path: path.to_path_buf(),
            expected: raw.header.join(","),
            found: line.to_string(),
            detail,
        });
    }
    Ok(first.len() as u64)
}

/// Reads the file record by record with the `csv` crate (RFC 4180 quoting, as polars read it)
/// and returns an error naming the first offending line and column; falls back to polars' own
/// message when no record is at fault.
fn diagnose(
    path: &Path,
    raw: &RawFile,
    columns: &[RawColumn],
    polars_message: String,
) -> IngestError {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(source) => return io(source),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .quoting(has_text(columns))
        .from_reader(file);
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line() as usize);
                return match error.into_kind() {
                    csv::ErrorKind::Io(source) => io(source),
                    csv::ErrorKind::Utf8 { .. } => IngestError::Encoding {
                        path: path.to_path_buf(),
                        line,
                    },
                    other => IngestError::Csv {
                        path: path.to_path_buf(),
                        message: format!("line {line}: {other:?}"),
                    },
                };
            }
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != columns.len() {
            return IngestError::FieldCount {
                path: path.to_path_buf(),
                line,
                expected: columns.len(),
                found: record.len(),
            };
        }
        for ((field, column), name) in record.iter().zip(columns).zip(raw.header) {
            let Ok(field) = std::str::from_utf8(field) else {
                return IngestError::Encoding {
                    path: path.to_path_buf(),
                    line,
                };
            };
            if field.is_empty() {
                if column.nullable {
                    continue;
                }
                return IngestError::MissingValue {
                    path: path.to_path_buf(),
                    line,
                    column: (*name).to_string(),
                };
            }
            if !column.ty.accepts(field) {
                return IngestError::BadValue {
                    path: path.to_path_buf(),
                    line,
                    column: (*name).to_string(),
                    value: field.to_string(),
                    expected: column.ty.describe(),
                };
            }
        }
    }
    IngestError::Csv {
        path: PathBuf::from(path),
        message: polars_message,
    }
}

/// Whether a file of these columns has text, and so legitimate quotes: a file without (ratings,
/// links) is read with quoting off, so a stray quote is a bad value rather than an escape.
fn has_text(columns: &[RawColumn]) -> bool {
    columns.iter().any(|c| c.ty == RawType::Str)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A movies-shaped file: quoted titles with commas and escaped quotes are one field each,
    /// and the first bad record is named by its line (a quoted newline spans two lines).
    #[test]
    fn diagnosis_follows_csv_quoting_and_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let raw = crate::schema::RAW_MOVIES;
        let columns = [
            RawColumn::required(RawType::U32),
            RawColumn::required(RawType::Str),
            RawColumn::required(RawType::Str),
        ];
        let write = |text: &str| {
            let path = dir.path().join(raw.file_name);
            std::fs::write(&path, text).unwrap();
            diagnose(&path, &raw, &columns, "polars".into())
        };
        let header = raw.header.join(",");
        let good = format!(
            "{header}\n11,\"American President, The (1995)\",Comedy|Drama\n\
             7,\"The \"\"Great\"\" Escape, A (1963)\",Drama\n8,\"Two\nLines\",Drama\n"
        );
        assert!(matches!(write(&good), IngestError::Csv { message, .. } if message == "polars"));
        let bad_id = format!("{good}x9,Title,Drama\n");
        assert!(
            matches!(write(&bad_id), IngestError::BadValue { line: 6, ref column, .. } if column == "movieId"),
            "{}",
            write(&bad_id)
        );
        let short = format!("{good}9,Title\n");
        assert!(matches!(
            write(&short),
            IngestError::FieldCount {
                line: 6,
                found: 2,
                expected: 3,
                ..
            }
        ));
        let empty = format!("{good}9,Title,\n");
        assert!(
            matches!(write(&empty), IngestError::MissingValue { line: 6, ref column, .. } if column == "genres")
        );
    }
}
