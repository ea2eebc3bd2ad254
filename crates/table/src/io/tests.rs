//! Tests of `io.rs`.

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

#[test]
fn row_groups_read_in_order_give_the_whole_table() {
    // Past one row-group boundary.
    let n = (1 << 20) + 5;
    let (rows, truth) = parts_of(n);
    let dir = tempfile::tempdir().unwrap();
    write_parquet_parts(
        &[
            (&PARTS, rows.column_slices().unwrap()),
            (&PARTS_TRUTH, truth.column_slices().unwrap()),
        ],
        &[],
        dir.path(),
    )
    .unwrap();
    let path = dir.path().join("parts.parquet");
    let mut back = Parts::with_capacity(n);
    let mut starts = Vec::new();
    let read = read_parquet_row_groups(&path, &PARTS, |start, frame| {
        starts.push((start, frame.height()));
        back.append(Parts::from_frame(&frame, "parts")?);
        Ok(())
    })
    .unwrap();
    assert_eq!(read, n);
    assert_eq!(starts, [(0, 1 << 20), (1 << 20, 5)]);
    assert_eq!(back, rows);
    // An error about a row of a group's frame is placed in the file.
    let err = read_parquet_row_groups(&path, &PARTS, |start, _| {
        let error = TableError::UnknownLabel {
            table: "parts".into(),
            column: "label".into(),
            row: 3,
            value: "x".into(),
            expected: "y".into(),
        };
        if start > 0 {
            Err(error.after_rows(start))
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert!(
        err.to_string().contains(&format!("row {}", (1 << 20) + 3)),
        "{err}"
    );
    // A column the schema requires, missing from the file, is named.
    let err = read_parquet_row_groups(&path, &DEMO_SCHEMA_MISSING, |_, _| Ok(())).unwrap_err();
    assert!(matches!(err, TableError::MissingColumn { .. }), "{err}");
}

const DEMO_SCHEMA_MISSING: TableSchema = TableSchema {
    file_name: "parts.parquet",
    description: "parts with a column the file lacks",
    columns: &[
        ColumnSpec::new("id", ColumnType::U32),
        ColumnSpec::new("absent", ColumnType::F64),
    ],
};

#[test]
fn an_empty_table_read_by_row_group_still_has_its_columns_checked() {
    let (rows, _) = parts_of(0);
    let dir = tempfile::tempdir().unwrap();
    write_parquet_parts(&[(&PARTS, rows.column_slices().unwrap())], &[], dir.path()).unwrap();
    let path = dir.path().join("parts.parquet");
    let mut heights = Vec::new();
    let read = read_parquet_row_groups(&path, &PARTS, |start, frame| {
        heights.push((start, frame.height()));
        Parts::from_frame(&frame, "parts").map(|_| ())
    })
    .unwrap();
    assert_eq!((read, heights), (0, vec![(0, 0)]));
    let err = read_parquet_row_groups(&path, &DEMO_SCHEMA_MISSING, |_, _| Ok(())).unwrap_err();
    assert!(matches!(err, TableError::MissingColumn { .. }), "{err}");
}
