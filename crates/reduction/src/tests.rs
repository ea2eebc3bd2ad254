//! The reduction end to end: its table equals the in-memory exposure tables of the same log,
//! reads back as the same slate outcomes, and names the slate and column of a broken rule.

use slate_log::synthetic::{SyntheticConfig, write_synthetic_log};
use slate_log::{OnBadSlate, read_log};

use std::path::Path;

use slate_log::LogConfig;
use slate_table::polars::prelude::*;

use crate::columns::*;
use crate::embedded::*;
use crate::sql::*;

fn config() -> LogConfig {
    LogConfig {
        covariates: vec!["relevance".into()],
        ..LogConfig::default()
    }
}

fn read(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap();
    ParquetReader::new(file).finish().unwrap()
}

fn i64s(frame: &DataFrame, name: &str) -> Vec<i64> {
    let column = frame.column(name).unwrap().cast(&DataType::Int64).unwrap();
    column.i64().unwrap().into_no_null_iter().collect()
}

fn f64s(frame: &DataFrame, name: &str) -> Vec<f64> {
    let column = frame
        .column(name)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap();
    column.f64().unwrap().into_no_null_iter().collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

/// The reduction of a synthetic log written in 20 row groups, in several ranges, equals
/// the in-memory exposure tables of the same log, slate by slate.
#[test]
fn the_reduction_equals_the_in_memory_exposure_tables() {
    let synthetic = SyntheticConfig {
        slates: 400,
        slate_size: 9,
        slates_per_unit: 2,
        ..SyntheticConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (path, rows) = write_synthetic_log(&synthetic, 3, dir.path(), "log.parquet", 180).unwrap();
    let reduced = reduce_parquet(&path, &config(), dir.path(), 700).unwrap();
    assert_eq!((reduced.slates, reduced.rows), (400, rows));
    assert!(reduced.sorted);
    assert!(reduced.ranges > 3, "{} ranges", reduced.ranges);
    let stats = read(&reduced.path);

    let (log, _) = read_log(&path, &config(), OnBadSlate::Error).unwrap();
    let tables = slate_exposure::map_exposure(&log).unwrap();
    let slates = &tables.slates;
    let mapping = &tables.mapping;
    assert_eq!(i64s(&stats, "slate_id"), slates.slate_id);
    assert_eq!(i64s(&stats, "unit_id"), slates.unit_id);
    assert_eq!(i64s(&stats, "unit_id_max"), slates.unit_id);
    let column = |stat, cell| i64s(&stats, &cell_column(stat, cell));
    let sum = |stat, cells: &[Cell]| -> Vec<i64> {
        let mut out = vec![0; slates.len()];
        for cell in cells {
            for (o, v) in out.iter_mut().zip(column(stat, *cell)) {
                *o += v;
            }
        }
        out
    };
    let as_i64 = |v: &[u32]| v.iter().map(|x| i64::from(*x)).collect::<Vec<_>>();
    assert_eq!(
        sum(CellStat::Rows, &Cell::PARTITION),
        as_i64(&slates.slate_size)
    );
    assert_eq!(column(CellStat::Rows, Cell::Focal), vec![1; slates.len()]);
    assert_eq!(
        sum(
            CellStat::Rows,
            &[Cell::SameClusterDisplaced, Cell::SameClusterBelow]
        ),
        as_i64(&slates.n_same_cluster_competitors)
    );
    assert_eq!(
        sum(
            CellStat::Rows,
            &[Cell::SameClusterDisplaced, Cell::OtherDisplaced]
        ),
        as_i64(&slates.n_displaced_items)
    );
    assert_eq!(
        column(CellStat::Rows, Cell::SameClusterDisplaced),
        as_i64(&slates.n_same_cluster_displaced)
    );
    assert_eq!(
        sum(CellStat::Clicks, &Cell::PARTITION),
        as_i64(&slates.total_observed_clicks)
    );
    assert_eq!(
        column(CellStat::Clicks, Cell::Focal),
        slates
            .focal_observed_click
            .iter()
            .map(|c| i64::from(*c))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        i64s(&stats, "focal_seed_position"),
        as_i64(&slates.focal_seed_position)
    );
    assert_eq!(
        i64s(&stats, "n_distinct_clusters"),
        as_i64(&slates.n_distinct_clusters)
    );
    assert_eq!(i64s(&stats, "null_rows"), vec![0; slates.len()]);
    assert_eq!(i64s(&stats, "bad_clicks"), vec![0; slates.len()]);
    let full_mask: Vec<i64> = slates.slate_size.iter().map(|n| (1i64 << n) - 1).collect();
    assert_eq!(i64s(&stats, "seed_position_mask"), full_mask);
    assert_eq!(i64s(&stats, "shown_position_mask"), full_mask);

    // The overlapping cells, from the item rows.
    let mut adjacent = vec![0i64; slates.len()];
    let mut top_three = vec![0i64; slates.len()];
    let mut s = 0;
    for r in 0..mapping.len() {
        while mapping.slate_id[r] != slates.slate_id[s] {
            s += 1;
        }
        let focal = i64::from(slates.focal_seed_position[s]);
        let seed = i64::from(mapping.seed_position[r]);
        if !mapping.is_focal[r] {
            adjacent[s] += i64::from((seed - focal).abs() == 1);
            top_three[s] += i64::from(seed <= 3);
        }
    }
    assert_eq!(column(CellStat::Rows, Cell::Adjacent), adjacent);
    assert_eq!(column(CellStat::Rows, Cell::TopThree), top_three);

    // Truth totals and covariate features, to rounding.
    let truth = slates
        .truth
        .as_ref()
        .unwrap()
        .rows(0..slates.len(), &slates.promotion_applied);
    let fsum = |stat, cells: &[Cell]| -> Vec<f64> {
        let mut out = vec![0.0; slates.len()];
        for cell in cells {
            for (o, v) in out.iter_mut().zip(f64s(&stats, &cell_column(stat, *cell))) {
                *o += v;
            }
        }
        out
    };
    for (a, b) in fsum(CellStat::IfPromoted, &Cell::PARTITION)
        .iter()
        .zip(&truth.total_expected_clicks_if_promoted)
    {
        assert!(close(*a, *b), "{a} vs {b}");
    }
    for (a, b) in fsum(CellStat::IfControl, &Cell::PARTITION)
        .iter()
        .zip(&truth.total_expected_clicks_if_control)
    {
        assert!(close(*a, *b), "{a} vs {b}");
    }
    let features = slates.features.load().unwrap();
    let feature = |name: &str| {
        &features
            .iter()
            .find(|f| f.column.name == name)
            .unwrap()
            .column
            .values
    };
    let n = f64s(&stats, "rows");
    let mean: Vec<f64> = f64s(&stats, &covariate_column(0, CovariateStat::Sum))
        .iter()
        .zip(&n)
        .map(|(s, n)| s / n)
        .collect();
    for (a, b) in mean.iter().zip(feature("mean_relevance")) {
        assert!(close(*a, *b), "{a} vs {b}");
    }
    assert_eq!(
        &f64s(&stats, &covariate_column(0, CovariateStat::Focal)),
        feature("focal_relevance")
    );
    assert_eq!(
        &f64s(&stats, &covariate_column(0, CovariateStat::Max)),
        feature("max_relevance")
    );
}

/// Read back, the per-slate table gives the in-memory exposure stage's slate outcomes:
/// integers exactly, sums and covariate features to rounding.
#[test]
fn the_table_read_back_gives_the_slate_outcomes() {
    let synthetic = SyntheticConfig {
        slates: 300,
        slate_size: 8,
        slates_per_unit: 3,
        ..SyntheticConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (path, rows) = write_synthetic_log(&synthetic, 7, dir.path(), "log.parquet", 240).unwrap();
    let reduced = reduce_parquet(&path, &config(), dir.path(), 500).unwrap();
    let read = crate::read_slate_stats(&reduced.path, &config()).unwrap();
    assert_eq!(read.rows, rows);
    let (log, _) = read_log(&path, &config(), OnBadSlate::Error).unwrap();
    let tables = slate_exposure::map_exposure(&log).unwrap();
    assert_eq!(
        slate_exposure::Assignment::of(&read.slates).unwrap(),
        slate_exposure::Assignment::of(&tables.slates).unwrap()
    );
    assert_eq!(
        read.design,
        slate_exposure::readiness::DesignFacts::of_log(&log)
    );
    assert_eq!(read.readiness, tables.readiness);
    assert!(read.dictionary.is_empty());
    let expected = tables.slates;
    let got = read.slates;
    let float_close =
        |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(*x, *y));
    let mut rows_a = got.rows.clone();
    let rows_b = expected.rows.clone();
    assert!(float_close(
        &rows_a.focal_cluster_share,
        &rows_b.focal_cluster_share
    ));
    rows_a.focal_cluster_share = rows_b.focal_cluster_share.clone();
    assert_eq!(rows_a, rows_b);
    let truth = |slates: &slate_exposure::SlateOutcomes| {
        let t = slates.truth.as_ref().unwrap();
        t.rows(0..slates.len(), &slates.promotion_applied)
    };
    let (ta, tb) = (truth(&got), truth(&expected));
    assert!(float_close(
        &ta.total_expected_clicks,
        &tb.total_expected_clicks
    ));
    assert!(float_close(&ta.total_known_lift, &tb.total_known_lift));
    assert!(float_close(
        &ta.slate_promotion_effect,
        &tb.slate_promotion_effect
    ));
    assert_eq!(got.covariates, expected.covariates);
    let (got_features, expected_features) = (
        got.features.load().unwrap(),
        expected.features.load().unwrap(),
    );
    assert_eq!(got_features.len(), expected_features.len());
    for (a, b) in got_features.iter().zip(expected_features.iter()) {
        assert_eq!((&a.column.name, a.kind), (&b.column.name, b.kind));
        assert!(
            float_close(&a.column.values, &b.column.values),
            "{}",
            a.column.name
        );
    }
}

/// A log without unit and user columns (the slate is the unit and the user) with string
/// slate ids: read back, its per-slate table gives the item rows' design, readiness checks
/// and slate ids.
#[test]
fn a_log_without_unit_or_user_columns_reads_back_as_its_rows() {
    let synthetic = SyntheticConfig {
        slates: 120,
        slate_size: 6,
        ..SyntheticConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_synthetic_log(&synthetic, 5, dir.path(), "log.parquet", 60).unwrap();
    let mut frame = read(&path);
    let slate = frame
        .column("slate_id")
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .apply_values(|v| format!("s-{v:0>4}").into())
        .into_column();
    frame.with_column(slate).unwrap();
    let mut frame = frame.drop_many(["unit_id", "user_id"]);
    let edited = dir.path().join("edited.parquet");
    ParquetWriter::new(std::fs::File::create(&edited).unwrap())
        .finish(&mut frame)
        .unwrap();
    let reduced = reduce_parquet(&edited, &config(), dir.path(), 100).unwrap();
    let stats = read(&reduced.path);
    assert!(stats.column(Fact::UnitId.name()).is_err());
    assert!(stats.column(Fact::UserId.name()).is_err());
    let read = crate::read_slate_stats(&reduced.path, &config()).unwrap();
    let (log, _) = read_log(&edited, &config(), OnBadSlate::Error).unwrap();
    let tables = slate_exposure::map_exposure(&log).unwrap();
    assert!(!read.design.has_unit_column);
    assert_eq!(
        slate_exposure::Assignment::of(&read.slates).unwrap(),
        slate_exposure::Assignment::of(&tables.slates).unwrap()
    );
    assert_eq!(read.readiness, tables.readiness);
    assert_eq!(read.slates.rows.unit_id, tables.slates.rows.unit_id);
    assert_eq!(read.slates.rows.user_id, tables.slates.rows.user_id);
    // Slate ids are strings: the dictionary lists them as the row path does.
    let rows_dictionary = log.id_dictionary();
    assert_eq!(read.dictionary.len(), 120);
    assert_eq!(read.dictionary.id[..120], rows_dictionary.id[..120]);
}

/// The error of reading back the reduction of a synthetic log (`slates` × `size`) after
/// `edit` broke its frame.
fn error_after(slates: usize, size: usize, edit: impl Fn(&mut DataFrame)) -> String {
    error_after_design(slates, size, (1, 1), edit)
}

/// [`error_after`] for a log of `focals` focal items per slate promoted to slots from
/// `target` (with a `target_position` column unless that is one focal item to the top).
fn error_after_design(
    slates: usize,
    size: usize,
    (focals, target): (usize, usize),
    edit: impl Fn(&mut DataFrame),
) -> String {
    let synthetic = SyntheticConfig {
        slates,
        slate_size: size,
        focals_per_slate: focals,
        target_position: target,
        ..SyntheticConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (path, _) =
        write_synthetic_log(&synthetic, 2, dir.path(), "log.parquet", 10 * size).unwrap();
    let mut frame = read(&path);
    edit(&mut frame);
    let broken = dir.path().join("broken.parquet");
    ParquetWriter::new(std::fs::File::create(&broken).unwrap())
        .finish(&mut frame)
        .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let reduced = reduce_parquet(&broken, &config(), &out, 1000).unwrap();
    crate::read_slate_stats(&reduced.path, &config())
        .unwrap_err()
        .to_string()
}

/// A slate with two focal rows is an error naming the slate and the column.
#[test]
fn a_broken_rule_names_the_slate_and_column() {
    let err = error_after(40, 5, |frame| {
        let mut focal: Vec<bool> = frame
            .column("is_focal")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();
        // A second focal row in slate 0 (rows 0..5).
        let extra = (0..5).find(|r| !focal[*r]).unwrap();
        focal[extra] = true;
        frame
            .replace("is_focal", Column::new("is_focal".into(), focal))
            .unwrap();
    });
    assert!(
        err.contains("slate 0, column `is_focal`: more than one focal row"),
        "{err}"
    );
}

/// A string unit that varies within a slate is named, though each column's codes agree.
#[test]
fn a_string_unit_varying_within_a_slate_is_an_error() {
    let err = error_after(20, 4, |frame| {
        let mut units: Vec<String> = i64s(frame, "unit_id")
            .iter()
            .map(|u| format!("u{u:03}"))
            .collect();
        // Slate 0's last row gets a unit between slate 0's and slate 1's.
        units[3] = "u000b".into();
        frame
            .replace("unit_id", Column::new("unit_id".into(), units))
            .unwrap();
    });
    assert!(err.contains("slate 0") && err.contains("unit_id"), "{err}");
}

/// A promotion flag of 2 is an error, not a control slate.
#[test]
fn a_flag_that_is_not_0_or_1_is_an_error() {
    let err = error_after(20, 4, |frame| {
        let mut promoted: Vec<i64> = i64s(frame, "promoted");
        for p in &mut promoted[..4] {
            *p = 2;
        }
        frame
            .replace("promoted", Column::new("promoted".into(), promoted))
            .unwrap();
    });
    assert!(err.contains("slate 0") && err.contains("0/1"), "{err}");
}

/// The error of reading back the per-slate table of a synthetic log (`synthetic`) after `edit`
/// changed it.
fn error_after_table_edit(synthetic: &SyntheticConfig, edit: impl Fn(&mut DataFrame)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut frame = read(&reduced_synthetic(synthetic, dir.path()));
    edit(&mut frame);
    let edited = dir.path().join("edited.parquet");
    ParquetWriter::new(std::fs::File::create(&edited).unwrap())
        .finish(&mut frame)
        .unwrap();
    crate::read_slate_stats(&edited, &config())
        .unwrap_err()
        .to_string()
}

/// The error of reading back the per-slate table of a synthetic log (`synthetic`) after slate
/// 2's count in column `name` was set to `count`.
fn error_with_count(synthetic: &SyntheticConfig, name: &str, count: u32) -> String {
    error_after_table_edit(synthetic, |frame| {
        let mut counts: Vec<u32> = frame
            .column(name)
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        counts[2] = count;
        frame
            .replace(name, Column::new(name.into(), counts))
            .unwrap();
    })
}

/// A covariate that is not a finite number is an error naming the slate as written (an
/// integer id, or a string id) and the covariate.
#[test]
fn a_covariate_that_is_not_finite_names_the_slate_as_written() {
    let synthetic = SyntheticConfig {
        slates: 30,
        slate_size: 6,
        ..SyntheticConfig::default()
    };
    let break_covariate = |frame: &mut DataFrame| {
        let name = covariate_column(0, CovariateStat::Sum);
        let mut sums = f64s(frame, &name);
        sums[2] = f64::NAN;
        frame
            .replace(&name, Column::new(name.as_str().into(), sums))
            .unwrap();
    };
    let dir = tempfile::tempdir().unwrap();
    let slate_2 = i64s(
        &read(&reduced_synthetic(&synthetic, dir.path())),
        "slate_id",
    )[2];
    let err = error_after_table_edit(&synthetic, break_covariate);
    assert!(
        err.contains(&format!(
            "slate {slate_2}, column `relevance`: a value is not a finite number"
        )),
        "{err}"
    );
    // String slate ids (as Spark may write them): shown as written.
    let err = error_after_table_edit(&synthetic, |frame| {
        let names: Vec<String> = i64s(frame, "slate_id")
            .iter()
            .map(|id| format!("impression-{id:03}"))
            .collect();
        frame
            .replace("slate_id", Column::new("slate_id".into(), names))
            .unwrap();
        break_covariate(frame);
    });
    assert!(
        err.contains(&format!(
            "slate impression-{slate_2:03}, column `relevance`: a value is not a finite number"
        )),
        "{err}"
    );
}

/// The per-slate table of synthetic log `synthetic` (seed 3), reduced in `dir`.
fn reduced_synthetic(synthetic: &SyntheticConfig, dir: &Path) -> std::path::PathBuf {
    let (path, _) = write_synthetic_log(synthetic, 3, dir, "log.parquet", 60).unwrap();
    reduce_parquet(&path, &config(), dir, 100).unwrap().path
}

/// A per-slate table (from another engine, or edited) whose cell counts more rows than its
/// slate has is an error naming the slate and the column, not a count cut to a byte.
#[test]
fn a_cell_count_beyond_its_slate_is_an_error() {
    let synthetic = SyntheticConfig {
        slates: 30,
        slate_size: 6,
        ..SyntheticConfig::default()
    };
    // A cell outside the partition (its bound is checked last), and one in it (the partition's
    // rule, checked earlier, sees the count as written, not cut to a byte).
    for (cell, count) in [
        (Cell::TopThree, 7u32),
        (Cell::TopThree, 300),
        (Cell::SameClusterBelow, 300),
        (Cell::SameClusterBelow, 70_000),
        (Cell::SameClusterBelow, u32::MAX),
    ] {
        let name = cell_column(CellStat::Rows, cell);
        let err = error_with_count(&synthetic, &name, count);
        assert!(
            err.contains("slate 2") && err.contains(&name) && err.contains(&count.to_string()),
            "{err}"
        );
    }
}

/// A cell that counts more clicks than rows (as many as a `u32` holds) is an error naming the
/// slate and the column, not an overflow of the slate's click total.
#[test]
fn a_click_count_beyond_its_rows_is_an_error() {
    let synthetic = SyntheticConfig {
        slates: 30,
        slate_size: 6,
        ..SyntheticConfig::default()
    };
    let name = cell_column(CellStat::Clicks, Cell::SameClusterBelow);
    let err = error_with_count(&synthetic, &name, u32::MAX);
    assert!(
        err.contains("slate 2")
            && err.contains(&format!("`{name}`"))
            && err.contains(&u32::MAX.to_string()),
        "{err}"
    );
}

/// A displacement bucket that counts more clicks than its rows is an error naming the
/// bucket's clicks column.
#[test]
fn a_bucket_count_beyond_its_rows_names_the_bucket() {
    let synthetic = SyntheticConfig {
        slates: 30,
        slate_size: 8,
        focals_per_slate: 2,
        target_position: 3,
        ..SyntheticConfig::default()
    };
    let rows = displacement_column(CellStat::Rows, 0);
    let err = error_with_count(&synthetic, &rows, 9);
    assert!(
        err.contains("slate 2") && err.contains(&format!("`{rows}`")),
        "{err}"
    );
    let clicks = displacement_column(CellStat::Clicks, 0);
    let err = error_with_count(&synthetic, &clicks, 300);
    assert!(
        err.contains("slate 2") && err.contains(&format!("`{clicks}`")) && err.contains("300"),
        "{err}"
    );
}

/// A file whose row groups are not in slate order is reduced in one pass, to the same table.
#[test]
fn an_unsorted_file_gives_the_same_table() {
    let synthetic = SyntheticConfig {
        slates: 60,
        slate_size: 5,
        ..SyntheticConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_synthetic_log(&synthetic, 5, dir.path(), "log.parquet", 50).unwrap();
    // The SQL path on the sorted file (the single pass would sum in its own order).
    let sorted = read(
        &reduce_parquet_with(&path, &config(), dir.path(), 10, Reducer::Sql)
            .unwrap()
            .path,
    );
    let mut frame = read(&path);
    frame = frame
        .sort(
            ["slate_id"],
            SortMultipleOptions::default().with_order_descending(true),
        )
        .unwrap();
    let shuffled = dir.path().join("shuffled.parquet");
    ParquetWriter::new(std::fs::File::create(&shuffled).unwrap())
        .with_row_group_size(Some(50))
        .finish(&mut frame)
        .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let reduced = reduce_parquet(&shuffled, &config(), &out, 10).unwrap();
    assert!(!reduced.sorted);
    assert_eq!(reduced.ranges, 1);
    // The single pass saw the slates out of order and handed the file to the SQL path.
    assert_eq!(reduced.reducer, Reducer::Sql);
    assert!(
        reduced
            .declined
            .as_deref()
            .is_some_and(|r| r.contains("not contiguous")),
        "{:?}",
        reduced.declined
    );
    // Nothing of the declined pass is left beside the table.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, [SLATE_STATS_FILE]);
    assert!(read(&reduced.path).equals(&sorted));
}

#[test]
fn a_missing_column_is_named() {
    let names = vec!["slate_id".to_string(), "item_id".to_string()];
    let err = LogShape::of_columns(&names, &LogConfig::default(), Path::new("x.parquet"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("x.parquet") && err.contains("item_cluster"),
        "{err}"
    );
}

#[test]
fn the_spark_dialect_quotes_with_backticks() {
    let mut config = config();
    config
        .columns
        .insert("slate_id".into(), "impression id".into());
    let shape = LogShape {
        covariates: config.covariates.clone(),
        ..LogShape::default()
    };
    let spark = reduction_sql(&config, &shape, Dialect::Spark);
    assert!(spark.contains("`impression id` AS slate_id"), "{spark}");
    let polars = reduction_sql(&config, &shape, Dialect::Polars);
    assert!(polars.contains("\"impression id\" AS slate_id"), "{polars}");
    assert_eq!(spark.replace('`', "\""), polars);
}

/// Column `name` of `frame` as optional integers.
fn optional_i64s(frame: &DataFrame, name: &str) -> Vec<Option<i64>> {
    let column = frame.column(name).unwrap().cast(&DataType::Int64).unwrap();
    column.i64().unwrap().iter().collect()
}

/// The first promoted slate's rows of a synthetic log of slates of `size` items.
fn first_promoted_slate(frame: &DataFrame, size: usize) -> std::ops::Range<usize> {
    let promoted = frame.column("promoted").unwrap().bool().unwrap();
    let first = (0..frame.height())
        .step_by(size)
        .find(|r| promoted.get(*r) == Some(true))
        .unwrap();
    first..first + size
}

/// Each rule of a log with target positions, on the per-slate path: the slate and the column
/// are named.
#[test]
fn each_target_rule_names_the_slate_and_column() {
    let set_targets = |frame: &mut DataFrame, targets: Vec<Option<i64>>| {
        frame
            .replace(
                "target_position",
                Column::new("target_position".into(), targets),
            )
            .unwrap();
    };
    // Slate 0's first focal item loses its target.
    let err = error_after_design(40, 8, (2, 2), |frame| {
        let mut targets = optional_i64s(frame, "target_position");
        let first = (0..8).find(|r| targets[*r].is_some()).unwrap();
        targets[first] = None;
        set_targets(frame, targets);
    });
    assert!(
        err.contains("slate 0, column `target_position`: 1 focal items with no target position"),
        "{err}"
    );
    // Both focal items of slate 0 promoted to slot 2.
    let err = error_after_design(40, 8, (2, 2), |frame| {
        let mut targets = optional_i64s(frame, "target_position");
        for t in targets[..8].iter_mut().flatten() {
            *t = 2;
        }
        set_targets(frame, targets);
    });
    assert!(
        err.contains("slate 0, column `target_position`: two focal items of the slate share a target position"),
        "{err}"
    );
    // Two non-focal items of a promoted slate swap their slots.
    let err = error_after_design(40, 8, (2, 2), |frame| {
        let rows = first_promoted_slate(frame, 8);
        let focal: Vec<bool> = frame
            .column("is_focal")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();
        let mut shown = i64s(frame, "shown_position");
        let others: Vec<usize> = rows.filter(|r| !focal[*r]).take(2).collect();
        shown.swap(others[0], others[1]);
        frame
            .replace(
                "shown_position",
                Column::new("shown_position".into(), shown),
            )
            .unwrap();
    });
    assert!(
        err.contains("column `shown_position`: the slate is promoted but 2 items are not shown where the design places them"),
        "{err}"
    );
}

/// A null in a column the reduction reads names the column.
#[test]
fn a_null_names_its_column() {
    let err = error_after(20, 4, |frame| {
        let mut items: Vec<Option<i64>> = optional_i64s(frame, "item_id");
        items[5] = None;
        frame
            .replace("item_id", Column::new("item_id".into(), items))
            .unwrap();
    });
    assert!(
        err.contains("slate 1, column `item_id`: 1 rows with a null value"),
        "{err}"
    );
}

/// The single pass and the SQL give the same per-slate table: every integer, id and text
/// column equal, every floating column equal to 1e-12 relative (the single pass sums a slate's
/// rows in file order, polars' aggregation in an order of its own: the last bit may differ),
/// and the same slate outcomes and readiness read back.
fn single_pass_equals_sql(synthetic: SyntheticConfig, truth: bool, window: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (mut path, _) =
        write_synthetic_log(&synthetic, 4, dir.path(), "log.parquet", 1_000).unwrap();
    if !truth {
        let mut frame = read(&path).drop_many(["click_prob_if_promoted", "click_prob_if_control"]);
        path = dir.path().join("no_truth.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .with_row_group_size(Some(1_000))
            .finish(&mut frame)
            .unwrap();
    }
    let (native_dir, sql_dir) = (dir.path().join("native"), dir.path().join("sql"));
    let native = reduce_parquet_with(&path, &config(), &native_dir, window, Reducer::Auto).unwrap();
    assert_eq!(native.reducer, Reducer::SinglePass, "{:?}", native.declined);
    let sql = reduce_parquet_with(&path, &config(), &sql_dir, window, Reducer::Sql).unwrap();
    assert_eq!((native.slates, native.rows), (sql.slates, sql.rows));
    let (a, b) = (read(&native.path), read(&sql.path));
    assert_eq!(a.get_column_names(), b.get_column_names());
    for name in a.get_column_names() {
        let (x, y) = (a.column(name).unwrap(), b.column(name).unwrap());
        assert_eq!(x.dtype(), y.dtype(), "{name}");
        if x.dtype() == &DataType::Float64 {
            let (x, y) = (x.f64().unwrap(), y.f64().unwrap());
            for (i, (u, v)) in x.iter().zip(y.iter()).enumerate() {
                let (u, v) = (u.unwrap(), v.unwrap());
                assert!(
                    (u - v).abs() <= 1e-12 * u.abs().max(v.abs()) || (u.is_nan() && v.is_nan()),
                    "{name} slate {i}: {u} vs {v}"
                );
            }
        } else {
            assert!(x.equals_missing(y), "{name} differs");
        }
    }
    // And it reads back as the same slate outcomes.
    let (ra, rb) = (
        crate::read_slate_stats(&native.path, &config()).unwrap(),
        crate::read_slate_stats(&sql.path, &config()).unwrap(),
    );
    assert_eq!(ra.slates.rows, rb.slates.rows);
    assert_eq!(ra.readiness, rb.readiness);
    assert_eq!(ra.cells.rows, rb.cells.rows);
    assert_eq!(ra.cells.clicks, rb.cells.clicks);
    assert_eq!(ra.cells.displacement, rb.cells.displacement);
}

#[test]
fn the_single_pass_gives_the_sql_table() {
    let base = SyntheticConfig {
        slates: 700,
        slate_size: 9,
        slates_per_unit: 3,
        ..SyntheticConfig::default()
    };
    // Windows of 250 rows: slates are carried across them.
    single_pass_equals_sql(base.clone(), true, 250);
    single_pass_equals_sql(base.clone(), false, 1 << 20);
    for (focals, target) in [(2, 3), (3, 1)] {
        let design = SyntheticConfig {
            focals_per_slate: focals,
            target_position: target,
            ..base.clone()
        };
        single_pass_equals_sql(design, true, 250);
    }
}

/// Read with its features spilled to disk, a per-slate table gives the tables the held read
/// gives: the same slate outcomes (features read back equal), readiness, and the slate and
/// assignment tables written a row group at a time from the spill are the held ones, byte for
/// byte.
#[test]
fn a_read_with_its_features_on_disk_writes_the_held_reads_tables() {
    let dir = tempfile::tempdir().unwrap();
    let synthetic = SyntheticConfig {
        slates: 300,
        slate_size: 7,
        slates_per_unit: 2,
        ..SyntheticConfig::default()
    };
    let table = reduced_synthetic(&synthetic, dir.path());
    // Without covariates there is nothing to spill: the read holds the (no) features.
    let bare = LogConfig::default();
    let none = crate::read_slate_stats_spilling(&table, &bare, dir.path()).unwrap();
    assert_eq!(
        none.slates.features,
        slate_exposure::FeatureColumns::default()
    );
    assert!(!dir.path().join(crate::FEATURE_SPILL_FILE).exists());
    let held = crate::read_slate_stats(&table, &config()).unwrap();
    let spill_dir = dir.path().join("spill");
    std::fs::create_dir_all(&spill_dir).unwrap();
    let spilled = crate::read_slate_stats_spilling(&table, &config(), &spill_dir).unwrap();
    assert!(matches!(
        spilled.slates.features,
        slate_exposure::FeatureColumns::OnDisk { .. }
    ));
    assert!(spill_dir.join(crate::FEATURE_SPILL_FILE).exists());
    assert_eq!(
        spilled.slates.features.names(),
        held.slates.features.names()
    );
    assert_eq!(
        spilled.slates.features.load().unwrap(),
        held.slates.features.load().unwrap()
    );
    assert_eq!(spilled.readiness, held.readiness);
    assert_eq!(spilled.slates.rows, held.slates.rows);
    let (a, b) = (dir.path().join("held"), dir.path().join("spilled"));
    for (tables, out) in [(&held, &a), (&spilled, &b)] {
        std::fs::create_dir_all(out).unwrap();
        slate_exposure::write_slate_tables(&tables.slates, &tables.readiness, out).unwrap();
    }
    for file in [
        slate_exposure::schema::SLATE_OUTCOMES.file_name,
        slate_exposure::schema::ASSIGNMENT.file_name,
        slate_exposure::schema::LOG_COLUMNS.file_name,
        slate_exposure::schema::EXPOSURE_READINESS.file_name,
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
}
