//! `analyze` from per-slate sums equals `analyze` from item rows: the same tables, figures'
//! inputs and report, to 1e-9, whether the sums come from the embedded reduction of a parquet
//! log (`analyze --log`), from a directory of part files another engine wrote
//! (`analyze --slate-stats`), or from Apache Spark running the query `log-sql --dialect spark`
//! prints (an ignored test: it needs `SLATE_SPARK_PYTHON` to name a Python with pyspark, which
//! `.ci/run` sets up before it runs the ignored tests).
//!
//! The one documented difference: Lin's regression adjustment needs item rows, so its rows of
//! the inference comparison exist only in the item-row run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use slate_log::synthetic::{SyntheticConfig, write_synthetic_log};
use slate_log::{LogConfig, OnBadSlate};
use slate_pipeline::{LogSource, Paths, Pipeline, PipelineConfig};
use slate_reduction::{Dialect, LogShape, reduction_sql};
use slate_table::polars::prelude::*;

/// The method label of Lin's regression-adjusted rows in the inference comparison.
const LIN: &str = "Lin covariate-adjusted";

fn pipeline(root: &Path) -> Pipeline {
    let mut config = PipelineConfig {
        log: LogConfig {
            covariates: vec!["relevance".into()],
            ..LogConfig::default()
        },
        ..PipelineConfig::default()
    };
    config.estimate.bootstrap_replicates = 60;
    config.estimate.randomization_draws = 60;
    Pipeline {
        config,
        paths: Paths::under(root),
        progress: false,
    }
}

/// Runs `analyze` from `source` under `root`; returns the processed directory.
fn analyze(root: &Path, source: LogSource<'_>) -> PathBuf {
    let pipeline = pipeline(root);
    pipeline
        .analyze(source, &AtomicBool::new(false))
        .unwrap_or_else(|e| panic!("analyze from {source:?}: {e:#}"));
    pipeline.paths.processed_dir
}

fn read_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn csv_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".csv"))
        .collect()
}

/// The key of each row of an inference comparison.
fn keys(frame: &DataFrame) -> Vec<String> {
    let column = |name: &str| frame.column(name).unwrap().str().unwrap().clone();
    let (c, o, m) = (column("contrast"), column("outcome"), column("method"));
    (0..frame.height())
        .map(|i| {
            format!(
                "{} | {} | {}",
                c.get(i).unwrap_or_default(),
                o.get(i).unwrap_or_default(),
                m.get(i).unwrap_or_default()
            )
        })
        .collect()
}

/// `b`'s inference comparison without the rows `a` lacks, which must all be Lin's (on item
/// rows only: Lin's slate-level total reads slate sums and stays).
fn only_rows_of(a: &DataFrame, b: DataFrame) -> DataFrame {
    let wanted: BTreeSet<String> = keys(a).into_iter().collect();
    let keep: Vec<bool> = keys(&b).iter().map(|k| wanted.contains(k)).collect();
    let dropped: Vec<String> = keys(&b)
        .into_iter()
        .zip(&keep)
        .filter(|(_, k)| !**k)
        .map(|(key, _)| key)
        .collect();
    assert!(
        !dropped.is_empty(),
        "the item-row run has Lin's item-level rows"
    );
    for key in &dropped {
        assert!(key.contains(LIN), "only in the item-row run: {key}");
    }
    let mask: BooleanChunked = keep.into_iter().map(Some).collect();
    b.filter(&mask).unwrap()
}

/// Every CSV table in `a` equals its namesake in `b`: text equal, numbers to 1e-9 relative.
/// With `lin_only_in_b`, `b`'s inference comparison also has Lin's rows, and only those.
fn assert_same_tables(a: &Path, b: &Path, lin_only_in_b: bool) {
    assert_eq!(
        csv_files(a),
        csv_files(b),
        "{} vs {}",
        a.display(),
        b.display()
    );
    let mut compared = 0;
    for name in csv_files(a) {
        let (x, mut y) = (read_csv(&a.join(&name)), read_csv(&b.join(&name)));
        if lin_only_in_b && name.contains("inference_comparison") {
            y = only_rows_of(&x, y);
        }
        assert_eq!(x.get_column_names(), y.get_column_names(), "{name}");
        assert_eq!(x.height(), y.height(), "{name}");
        for (u, v) in x.columns().iter().zip(y.columns()) {
            if u.dtype().is_primitive_numeric() && v.dtype().is_primitive_numeric() {
                let (u, v) = (
                    u.cast(&DataType::Float64).unwrap(),
                    v.cast(&DataType::Float64).unwrap(),
                );
                for (i, (p, q)) in u
                    .f64()
                    .unwrap()
                    .iter()
                    .zip(v.f64().unwrap().iter())
                    .enumerate()
                {
                    let (p, q) = (p.unwrap_or(f64::NAN), q.unwrap_or(f64::NAN));
                    let same = (p.is_nan() && q.is_nan())
                        || p == q
                        || (p - q).abs() <= 1e-9 * (1.0 + p.abs().max(q.abs()));
                    assert!(same, "{name}, column {}, row {i}: {p} vs {q}", u.name());
                }
            } else {
                let (u, v) = (
                    u.cast(&DataType::String).unwrap(),
                    v.cast(&DataType::String).unwrap(),
                );
                assert!(u.equals_missing(&v), "{name}, column {}", u.name());
            }
        }
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} tables compared");
}

/// The manifest's log facts, without the path, size and hash of the file read.
fn manifest_facts(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("interference_run_manifest.json")).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let log = manifest["log"].as_object_mut().unwrap();
    for key in ["path", "bytes", "sha256"] {
        log.remove(key);
    }
    manifest["log"].clone()
}

/// Writes the rows of the parquet file `table` as part files of a new directory, last rows
/// first (as an engine may), so the reader must sort them.
fn as_part_files(table: &Path, dir: &Path) -> PathBuf {
    let file = std::fs::File::open(table).unwrap();
    let frame = ParquetReader::new(file).finish().unwrap();
    let parts = dir.join("parts");
    std::fs::create_dir(&parts).unwrap();
    let half = frame.height() / 2;
    for (name, mut part) in [
        (
            "part-00000.parquet",
            frame.slice(half as i64, frame.height() - half),
        ),
        ("part-00001.parquet", frame.slice(0, half)),
    ] {
        ParquetWriter::new(std::fs::File::create(parts.join(name)).unwrap())
            .finish(&mut part)
            .unwrap();
    }
    std::fs::write(parts.join("_SUCCESS"), b"").unwrap();
    parts
}

fn synthetic_log(dir: &Path) -> PathBuf {
    let synthetic = SyntheticConfig {
        slates: 2_400,
        slates_per_unit: 3,
        ..SyntheticConfig::default()
    };
    write_synthetic_log(&synthetic, 5, dir, "log.parquet", 7_000)
        .unwrap()
        .0
}

#[test]
fn analyze_from_per_slate_sums_equals_analyze_from_item_rows() {
    let dir = tempfile::tempdir().unwrap();
    let log = synthetic_log(dir.path());
    let rows = analyze(
        &dir.path().join("rows"),
        LogSource::Rows(&log, OnBadSlate::Error),
    );
    let reduced = analyze(&dir.path().join("reduced"), LogSource::Reduced(&log, 9_000));
    assert!(reduced.join("interference_slate_stats.parquet").exists());
    assert!(
        !reduced
            .join("movielens_interference_exposure_mapping.parquet")
            .exists()
    );
    assert_same_tables(&reduced, &rows, true);
    assert_eq!(manifest_facts(&reduced), manifest_facts(&rows));
    let readiness = "movielens_interference_exposure_readiness.csv";
    assert_eq!(
        std::fs::read(reduced.join(readiness)).unwrap(),
        std::fs::read(rows.join(readiness)).unwrap()
    );

    // The same table as another engine's part files, read with --slate-stats.
    let parts = as_part_files(
        &reduced.join("interference_slate_stats.parquet"),
        dir.path(),
    );
    let from_parts = analyze(&dir.path().join("parts-run"), LogSource::SlateStats(&parts));
    assert_same_tables(&from_parts, &reduced, false);
    assert_eq!(manifest_facts(&from_parts), manifest_facts(&reduced));
    let summary = |processed: &Path| {
        std::fs::read_to_string(processed.join("../../writeup/analysis_summary.md"))
            .unwrap()
            .lines()
            .filter(|l| !l.contains("parts") && !l.contains("log.parquet"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(summary(&from_parts), summary(&reduced));

    // Reusing a processed directory: a later item-row run removes the per-slate table, and a
    // later per-slate run removes the item-row mapping, so no stage reads a stale one.
    let again = analyze(&dir.path().join("rows"), LogSource::Reduced(&log, 9_000));
    assert!(
        !again
            .join("movielens_interference_exposure_mapping.parquet")
            .exists()
    );
    let again = analyze(
        &dir.path().join("rows"),
        LogSource::Rows(&log, OnBadSlate::Error),
    );
    assert!(!again.join("interference_slate_stats.parquet").exists());
}

/// A parquet log that breaks a rule is an error naming the file, the slate and the column,
/// and leaves no file behind (the per-slate table of the failed run included).
#[test]
fn a_broken_parquet_log_is_an_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = synthetic_log(dir.path());
    let file = std::fs::File::open(&log).unwrap();
    let mut frame = ParquetReader::new(file).finish().unwrap();
    // Slate 1's first row becomes a second focal row.
    let is_focal: Vec<bool> = frame
        .column("is_focal")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, v)| i == 0 || v.unwrap_or(false))
        .collect();
    frame
        .with_column(Column::new("is_focal".into(), is_focal))
        .unwrap();
    let broken = dir.path().join("broken.parquet");
    ParquetWriter::new(std::fs::File::create(&broken).unwrap())
        .finish(&mut frame)
        .unwrap();
    let root = dir.path().join("run");
    let error = pipeline(&root)
        .analyze(LogSource::Reduced(&broken, 9_000), &AtomicBool::new(false))
        .unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("broken.parquet"), "{message}");
    assert!(
        message.contains("column `is_focal`: more than one focal row"),
        "{message}"
    );
    let processed = root.join("data").join("processed");
    let left: Vec<_> = std::fs::read_dir(&processed)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
#[ignore = "needs SLATE_SPARK_PYTHON, a Python with pyspark and a Java runtime (.ci/run sets it up and runs the ignored tests)"]
fn analyze_from_sparks_table_equals_analyze_from_the_log() {
    let python = std::env::var("SLATE_SPARK_PYTHON")
        .expect("SLATE_SPARK_PYTHON must name a Python with pyspark to run this test");
    let dir = tempfile::tempdir().unwrap();
    let log = synthetic_log(dir.path());
    let config = pipeline(dir.path()).config.log;
    let names = slate_table::parquet_columns(&log).unwrap();
    let shape = LogShape::of_columns(&names, &config, &log).unwrap();
    let query = dir.path().join("query.sql");
    std::fs::write(&query, reduction_sql(&config, &shape, Dialect::Spark)).unwrap();
    let spark_out = dir.path().join("spark");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reduction/spark/reduce_slates.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&log)
        .arg(&query)
        .arg(&spark_out)
        .status()
        .expect("cannot start SLATE_SPARK_PYTHON");
    assert!(status.success(), "Spark failed: {status}");

    let from_spark = analyze(
        &dir.path().join("spark-run"),
        LogSource::SlateStats(&spark_out),
    );
    let from_log = analyze(&dir.path().join("log-run"), LogSource::Reduced(&log, 9_000));
    assert_same_tables(&from_spark, &from_log, false);
    assert_eq!(manifest_facts(&from_spark), manifest_facts(&from_log));
}
