//! The row groups of a parquet file and the range of one column in each, from the file's
//! footer alone: what a reader needs to split a large file into independent ranges without
//! reading its data.

use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;

use crate::{Result, TableError};

/// A value bound from a row group's statistics: integers or UTF-8 strings (compared bytewise,
/// as parquet orders them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bound {
    /// An integer column's bound.
    Int(i64),
    /// A string column's bound.
    Str(String),
}

/// One row group: its rows and, when the footer records them, the column's min and max.
#[derive(Debug, Clone, PartialEq)]
pub struct RowGroup {
    /// Rows in the group.
    pub rows: usize,
    /// `(min, max)` of the column in the group, when the writer recorded statistics.
    pub range: Option<(Bound, Bound)>,
}

/// The footer of parquet file `path`. Errors name the file.
fn footer(path: &Path) -> Result<SerializedFileReader<std::fs::File>> {
    SerializedFileReader::new(crate::open_file(path)?).map_err(|e| TableError::Corrupt {
        path: path.to_path_buf(),
        format: "parquet",
        message: e.to_string(),
    })
}

/// The top-level column names of parquet file `path`, in order, from its footer.
pub fn parquet_columns(path: &Path) -> Result<Vec<String>> {
    let reader = footer(path)?;
    Ok(reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect())
}

/// The row groups of parquet file `path` with the range of `column` in each (`None` for a
/// group whose statistics are absent or of another type). Errors name the file and column.
pub fn parquet_row_groups(path: &Path, column: &str) -> Result<Vec<RowGroup>> {
    let reader = footer(path)?;
    let metadata = reader.metadata();
    let schema = metadata.file_metadata().schema_descr();
    let index = (0..schema.num_columns())
        .find(|i| schema.column(*i).path().string() == column)
        .ok_or_else(|| TableError::MissingColumn {
            table: path.display().to_string(),
            column: column.to_string(),
        })?;
    Ok(metadata
        .row_groups()
        .iter()
        .map(|group| {
            let range = match group.column(index).statistics() {
                Some(Statistics::Int64(s)) => s
                    .min_opt()
                    .zip(s.max_opt())
                    .map(|(lo, hi)| (Bound::Int(*lo), Bound::Int(*hi))),
                Some(Statistics::Int32(s)) => s
                    .min_opt()
                    .zip(s.max_opt())
                    .map(|(lo, hi)| (Bound::Int(i64::from(*lo)), Bound::Int(i64::from(*hi)))),
                Some(Statistics::ByteArray(s)) => {
                    s.min_opt().zip(s.max_opt()).and_then(|(lo, hi)| {
                        Some((
                            Bound::Str(lo.as_utf8().ok()?.to_string()),
                            Bound::Str(hi.as_utf8().ok()?.to_string()),
                        ))
                    })
                }
                _ => None,
            };
            RowGroup {
                rows: usize::try_from(group.num_rows()).unwrap_or(0),
                range,
            }
        })
        .collect())
}

/// Splits row groups into consecutive runs of at most `target_rows` rows whose column ranges
/// do not overlap: the start bound of each run, ascending. A run closes before a group that
/// would take it over the target, so a file whose groups hold about `target_rows` rows gets a
/// run per group; a group larger than the target is a run of its own, and a run grows past the
/// target only where a value straddles groups. `None` when the file is not sorted
/// by the column (a group without statistics, or a group starting below its predecessor's
/// maximum), so no split by value ranges is possible. Rows of one value may straddle two
/// groups; a run starts only where the value changes, so a range filter
/// `start_j ≤ value < start_{j+1}` puts every value in exactly one run.
pub fn sorted_runs(groups: &[RowGroup], target_rows: usize) -> Option<Vec<Bound>> {
    let mut starts: Vec<Bound> = Vec::new();
    let mut rows_in_run = 0usize;
    let mut previous_max: Option<&Bound> = None;
    for group in groups {
        let (lo, hi) = group.range.as_ref()?;
        if lo > hi || previous_max.is_some_and(|max| lo < max) {
            return None;
        }
        let new_value = previous_max.is_none_or(|max| lo > max);
        let full = rows_in_run > 0 && rows_in_run + group.rows > target_rows;
        if starts.is_empty() || (full && new_value) {
            starts.push(lo.clone());
            rows_in_run = 0;
        }
        rows_in_run += group.rows;
        previous_max = Some(hi);
    }
    Some(starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(rows: usize, lo: i64, hi: i64) -> RowGroup {
        RowGroup {
            rows,
            range: Some((Bound::Int(lo), Bound::Int(hi))),
        }
    }

    #[test]
    fn runs_start_where_the_value_changes() {
        let groups = [
            group(10, 0, 4),
            group(10, 4, 9),
            group(10, 10, 12),
            group(10, 13, 20),
        ];
        // Group 2 starts with the value group 1 ended on, so no run may start there.
        assert_eq!(
            sorted_runs(&groups, 10),
            Some(vec![Bound::Int(0), Bound::Int(10), Bound::Int(13)])
        );
        assert_eq!(sorted_runs(&groups, 1000), Some(vec![Bound::Int(0)]));
        // Runs hold at most the target: two groups of 10 fit in 25, a third does not.
        assert_eq!(
            sorted_runs(&groups, 25),
            Some(vec![Bound::Int(0), Bound::Int(10)])
        );
        // A group just under the target is a run of its own, not half of a run twice its size.
        assert_eq!(
            sorted_runs(&groups, 11),
            Some(vec![Bound::Int(0), Bound::Int(10), Bound::Int(13)])
        );
    }

    #[test]
    fn unsorted_or_unknown_groups_give_no_runs() {
        assert_eq!(sorted_runs(&[group(5, 3, 9), group(5, 1, 2)], 1), None);
        let unknown = RowGroup {
            rows: 5,
            range: None,
        };
        assert_eq!(sorted_runs(&[group(5, 0, 1), unknown], 1), None);
    }

    #[test]
    fn reads_a_written_files_groups() {
        use polars::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut frame = df!("id" => (0i64..100).collect::<Vec<_>>()).unwrap();
        let file = std::fs::File::create(&path).unwrap();
        ParquetWriter::new(file)
            .with_row_group_size(Some(30))
            .with_statistics(StatisticsOptions::full())
            .finish(&mut frame)
            .unwrap();
        assert_eq!(parquet_columns(&path).unwrap(), ["id"]);
        let groups = parquet_row_groups(&path, "id").unwrap();
        assert_eq!(groups.iter().map(|g| g.rows).sum::<usize>(), 100);
        assert_eq!(
            groups[0].range,
            Some((Bound::Int(0), Bound::Int(groups[0].rows as i64 - 1)))
        );
        assert!(matches!(
            parquet_row_groups(&path, "nope"),
            Err(TableError::MissingColumn { .. })
        ));
    }
}
