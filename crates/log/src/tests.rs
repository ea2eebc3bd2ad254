//! Reading and validating logs: a valid user-randomized fixture, then one test per rule.

use std::path::{Path, PathBuf};

use super::*;

/// One row of a test log.
#[derive(Clone)]
struct Row {
    slate: &'static str,
    unit: &'static str,
    item: &'static str,
    cluster: &'static str,
    seed: i64,
    shown: i64,
    focal: bool,
    promoted: bool,
    click: f64,
    score: f64,
}

/// Three units (strings), six slates of sizes 3 and 4, user-randomized, rows shuffled.
fn fixture() -> Vec<Row> {
    let r = |slate, unit, item, cluster, seed, shown, focal, promoted, click, score| Row {
        slate,
        unit,
        item,
        cluster,
        seed,
        shown,
        focal,
        promoted,
        click,
        score,
    };
    vec![
        r("s2", "u1", "m1", "a", 2, 3, false, true, 0.0, 0.5),
        r("s1", "u1", "m1", "a", 1, 2, false, true, 1.0, 0.9),
        r("s1", "u1", "m2", "b", 2, 3, false, true, 0.0, 0.8),
        r("s1", "u1", "m3", "a", 3, 1, true, true, 1.0, 0.3),
        r("s2", "u1", "m2", "b", 1, 2, false, true, 0.0, 0.6),
        r("s2", "u1", "m4", "a", 3, 1, true, true, 0.0, 0.2),
        r("s3", "u2", "m1", "a", 1, 1, false, false, 1.0, 0.7),
        r("s3", "u2", "m3", "b", 2, 2, false, false, 0.0, 0.6),
        r("s3", "u2", "m4", "a", 3, 3, false, false, 0.0, 0.4),
        r("s3", "u2", "m5", "a", 4, 4, true, false, 0.0, 0.1),
        r("s4", "u3", "m2", "b", 1, 1, false, false, 0.0, 0.9),
        r("s4", "u3", "m5", "a", 2, 2, false, false, 1.0, 0.5),
        r("s4", "u3", "m1", "a", 3, 3, true, false, 0.0, 0.2),
        r("s5", "u3", "m3", "b", 1, 1, false, false, 1.0, 0.8),
        r("s5", "u3", "m4", "a", 2, 2, true, false, 0.0, 0.7),
        r("s5", "u3", "m2", "b", 3, 3, false, false, 0.0, 0.3),
        r("s0", "u4", "m1", "a", 4, 4, false, true, 0.0, 0.1),
        r("s0", "u4", "m2", "b", 1, 2, false, true, 1.0, 0.9),
        r("s0", "u4", "m3", "a", 2, 3, false, true, 0.0, 0.8),
        r("s0", "u4", "m6", "a", 3, 1, true, true, 0.0, 0.4),
    ]
}

fn csv(rows: &[Row]) -> String {
    let mut text = String::from(
        "impression,unit_id,item_id,item_cluster,seed_position,shown_position,is_focal,promoted,click,score\n",
    );
    for r in rows {
        text.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            r.slate,
            r.unit,
            r.item,
            r.cluster,
            r.seed,
            r.shown,
            r.focal,
            u8::from(r.promoted),
            r.click,
            r.score
        ));
    }
    text
}

fn config() -> LogConfig {
    LogConfig {
        columns: [("slate_id".to_string(), "impression".to_string())].into(),
        outcomes: vec![],
        covariates: vec!["score".into()],
    }
}

fn read_text(
    text: &str,
    policy: OnBadSlate,
) -> Result<(ImpressionLog, Vec<DroppedSlate>), LogError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    std::fs::write(&path, text).unwrap();
    read_log(&path, &config(), policy)
}

fn read(rows: &[Row]) -> Result<ImpressionLog, LogError> {
    read_text(&csv(rows), OnBadSlate::Error).map(|(log, dropped)| {
        assert!(dropped.is_empty());
        log
    })
}

fn error(rows: &[Row]) -> String {
    read(rows).unwrap_err().to_string()
}

#[test]
fn fixture_is_sorted_by_slate_id_and_seed_with_units_and_levels() {
    let log = read(&fixture()).unwrap();
    assert_eq!(log.n_rows(), 20);
    assert_eq!(log.n_slates(), 6);
    assert_eq!(log.n_units(), 4);
    assert_eq!(log.slate_ids.display(0), "s0");
    assert_eq!(log.slate_offsets, vec![0, 4, 7, 10, 14, 17, 20]);
    assert_eq!(log.seed_position[..4], [1, 2, 3, 4]);
    assert_eq!(log.item_ids.display(log.item[0]), "m2");
    assert_eq!(log.slate_unit, vec![3, 0, 0, 1, 2, 2]);
    assert_eq!(log.promoted, vec![true, true, true, false, false, false]);
    assert_eq!(log.focal_rows, vec![2, 6, 9, 13, 16, 18]);
    assert_eq!(log.focal_offsets, vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(log.focal_target, vec![1; 6]);
    assert_eq!(log.lead_focal(1), 6);
    assert_eq!(log.covariates[0].level, CovariateLevel::Item);
    assert_eq!(log.assignment_probability.value, 0.5);
    assert_eq!(
        log.assignment_probability.source,
        ProbabilitySource::ObservedShare
    );
    assert!(log.truth.is_none());
    assert!(log.has_unit_column);
    let dictionary = log.id_dictionary();
    // 6 slates, 4 units, 4 users (the units), 6 items.
    assert_eq!(dictionary.len(), 6 + 4 + 4 + 6);
    assert_eq!(
        (
            dictionary.kind[0].as_str(),
            dictionary.code[0],
            dictionary.id[0].as_str()
        ),
        ("slate_id", 0, "s0")
    );
    assert_eq!(dictionary.kind[19], "item_id");
    assert_eq!(dictionary.id[19], "m6");
}

#[test]
fn row_order_does_not_matter() {
    let mut rows = fixture();
    let a = read(&rows).unwrap();
    rows.reverse();
    rows.swap(3, 11);
    let mut b = read(&rows).unwrap();
    b.source = a.source.clone();
    assert_eq!(a, b);
}

#[test]
fn missing_and_mistyped_columns_are_named() {
    let text = csv(&fixture()).replace("item_cluster", "cluster");
    let message = read_text(&text, OnBadSlate::Error).unwrap_err().to_string();
    assert!(
        message.contains("log.csv: missing column `item_cluster`"),
        "{message}"
    );

    let text = csv(&fixture()).replace("impression", "slate");
    let message = read_text(&text, OnBadSlate::Error).unwrap_err().to_string();
    assert!(
        message.contains("missing column `impression` (canonical `slate_id`"),
        "{message}"
    );

    let text = csv(&fixture()).replace(",1,2,false,", ",1,2.5,false,");
    let message = read_text(&text, OnBadSlate::Error).unwrap_err().to_string();
    assert!(
        message
            .contains("column `shown_position` has type f64 (first at row 2), expected an integer"),
        "{message}"
    );

    // One stray text value makes a CSV column text: the row is named.
    let text = csv(&fixture()).replacen(",0,0.5\n", ",NA,0.5\n", 1);
    let message = read_text(&text, OnBadSlate::Error).unwrap_err().to_string();
    assert!(
        message.contains("column `click` has type str (first at row 1), expected a boolean or 0/1"),
        "{message}"
    );
}

#[test]
fn dropping_a_bad_slate_cannot_hide_a_unit_whose_arm_varies() {
    // u1's slate s2 becomes a control slate that also repeats an item: dropping s2 for the
    // repeat must not leave s1 in as a promoted unit. (A fifth unit keeps two per arm.)
    let mut rows = fixture();
    for row in rows.iter_mut().filter(|row| row.slate == "s2") {
        row.promoted = false;
        row.shown = row.seed;
    }
    rows[0].item = "m2";
    for (item, seed, shown, focal) in [("m1", 1, 2, false), ("m2", 2, 3, false), ("m3", 3, 1, true)]
    {
        rows.push(Row {
            slate: "s6",
            unit: "u5",
            item,
            cluster: "a",
            seed,
            shown,
            focal,
            promoted: true,
            click: 0.0,
            score: 0.5,
        });
    }
    let (log, dropped) = read_text(&csv(&rows), OnBadSlate::Drop).unwrap();
    let slates: Vec<&str> = dropped.iter().map(|d| d.slate_id.as_str()).collect();
    assert_eq!(slates, ["s1", "s2"]);
    assert!(
        dropped[0]
            .reason
            .contains("promoted varies within unit u1: slate s1 is promoted, slate s2 is not"),
        "{:?}",
        dropped[0]
    );
    assert!(
        dropped[1].reason.contains("appears twice"),
        "{:?}",
        dropped[1]
    );
    assert_eq!(log.n_units(), 4);
}

#[test]
fn a_null_is_reported_with_its_row() {
    let text = csv(&fixture()).replacen(",0.5\n", ",\n", 1);
    let message = read_text(&text, OnBadSlate::Error).unwrap_err().to_string();
    assert!(
        message.contains("column `score` is empty (null) at row 1"),
        "{message}"
    );
}

/// A change to the fixture and the message it must produce.
type Case = (fn(&mut Vec<Row>), &'static str);

#[test]
fn each_slate_rule_names_row_slate_and_column() {
    let cases: Vec<Case> = vec![
        (
            |r| r[3].focal = false,
            "row 2 (slate s1), column `is_focal`: no focal row in the slate, expected at least 1",
        ),
        (
            |r| r[0].focal = true,
            "row 6 (slate s2), column `target_position`: two focal items of the slate share target position 1 (the log has no `target_position` column",
        ),
        (
            |r| r[7].promoted = true,
            "row 8 (slate s3), column `promoted`: promoted varies within the slate",
        ),
        (
            |r| r[15].item = "m3",
            "(slate s5), column `item_id`: the item appears twice",
        ),
        (
            |r| r[9].seed = 5,
            "row 7 (slate s3), column `seed_position`: positions [1, 2, 3, 5] are not a permutation of 1..=4",
        ),
        (
            |r| r[12].shown = 2,
            "row 11 (slate s4), column `shown_position`: positions [1, 2, 2]",
        ),
        (
            |r| {
                r[3].shown = 2;
                r[1].shown = 1;
            },
            "row 4 (slate s1), column `shown_position`: the slate is promoted but its focal item is shown at 2, not 1",
        ),
        (
            |r| {
                r[1].shown = 3;
                r[2].shown = 2;
            },
            "row 2 (slate s1), column `shown_position`: the slate is promoted but the item seeded at 1 is shown at 3, not 2",
        ),
        (
            |r| r[8].click = 2.0,
            "row 9 (slate s3), column `click`: value 2 is neither 0 nor 1",
        ),
        (
            |r| r[8].score = f64::NAN,
            "row 9 (slate s3), column `score`: value NaN is not a finite number",
        ),
        (
            |r| r[9].unit = "u9",
            "row 10 (slate s3), column `unit_id`: unit_id varies within the slate",
        ),
        (
            |r| {
                for row in r.iter_mut().filter(|row| row.slate == "s4") {
                    row.promoted = true;
                    row.shown = if row.focal { 1 } else { row.seed + 1 };
                }
            },
            "row 11 (slate s4), column `promoted`: promoted varies within unit u3: slate s4 is promoted, slate s5 is not",
        ),
    ];
    for (i, (mutate, expected)) in cases.into_iter().enumerate() {
        let mut rows = fixture();
        mutate(&mut rows);
        let message = error(&rows);
        assert!(
            message.contains("log.csv: ") && message.contains(expected),
            "case {i}: {message}"
        );
    }
}

#[test]
fn drop_reports_each_bad_slate_and_keeps_the_rest() {
    let mut rows = fixture();
    rows[3].focal = false; // s1
    rows[15].item = "m3"; // s5
    let (log, dropped) = read_text(&csv(&rows), OnBadSlate::Drop).unwrap();
    assert_eq!(log.n_slates(), 4);
    assert_eq!(
        log.slate_ids,
        IdValues::Str(vec!["s0".into(), "s2".into(), "s3".into(), "s4".into()])
    );
    assert_eq!(dropped.len(), 2);
    assert_eq!(dropped[0].slate_id, "s1");
    assert_eq!(dropped[0].unit_id, "u1");
    assert_eq!(dropped[0].column, "is_focal");
    assert_eq!(dropped[1].slate_id, "s5");
    assert!(dropped[1].reason.contains("appears twice"));
    // Dense codes again after dropping.
    assert_eq!(log.slate_offsets.len(), 5);
    assert_eq!(log.n_units(), 4);
}

#[test]
fn design_level_problems_are_errors_even_when_dropping() {
    let mut rows = fixture();
    for r in &mut rows {
        if r.promoted {
            r.promoted = false;
            r.shown = r.seed;
        }
    }
    let message = read_text(&csv(&rows), OnBadSlate::Drop)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("every one of the 4 units is in the control arm"),
        "{message}"
    );

    let rows: Vec<Row> = fixture().into_iter().filter(|r| r.unit == "u1").collect();
    let message = error(&rows);
    assert!(message.contains("only 1 randomization unit"), "{message}");

    let rows: Vec<Row> = fixture().into_iter().filter(|r| r.unit != "u4").collect();
    let message = error(&rows);
    assert!(
        message.contains("1 promoted and 2 control units: cluster-robust inference needs at least 2 units in each arm"),
        "{message}"
    );
}

#[test]
fn assignment_probability_must_be_constant() {
    let text = csv(&fixture());
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[0].push_str(",assignment_probability");
    for (i, line) in lines.iter_mut().enumerate().skip(1) {
        line.push_str(if i == 5 { ",0.4" } else { ",0.5" });
    }
    let message = read_text(&(lines.join("\n") + "\n"), OnBadSlate::Error)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("varies (0.5 at row 1, 0.4 at row 5)"),
        "{message}"
    );
}

#[test]
fn huge_integer_ids_and_truth_columns() {
    let mut text = String::from(
        "slate_id,item_id,item_cluster,seed_position,shown_position,is_focal,promoted,click,click_prob_if_promoted,click_prob_if_control\n",
    );
    for (slate, promoted) in [
        (4_294_967_295i64, 1),
        (-7, 0),
        (9_000_000_000_000_000_000, 0),
        (5, 1),
    ] {
        text.push_str(&format!(
            "{slate},4000000000,a,1,{},0,{promoted},1,0.2,0.3\n",
            1 + promoted
        ));
        text.push_str(&format!(
            "{slate},17,b,2,{},1,{promoted},0,0.4,0.1\n",
            2 - promoted
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    std::fs::write(&path, text).unwrap();
    let (log, _) = read_log(&path, &LogConfig::default(), OnBadSlate::Error).unwrap();
    assert_eq!(
        log.slate_ids,
        IdValues::Int(vec![-7, 5, 4_294_967_295, 9_000_000_000_000_000_000])
    );
    assert_eq!(log.item_ids, IdValues::Int(vec![17, 4_000_000_000]));
    assert!(!log.has_unit_column);
    assert_eq!(log.slate_unit, vec![0, 1, 2, 3]);
    let truth = log.truth.unwrap();
    assert_eq!(
        truth.if_promoted,
        vec![0.2, 0.4, 0.2, 0.4, 0.2, 0.4, 0.2, 0.4]
    );
    assert_eq!(log.assignment_probability.value, 0.5);
}

#[test]
fn a_lone_truth_column_is_rejected() {
    let text = csv(&fixture()).replace(",score\n", ",click_prob_if_promoted\n");
    let mut config = config();
    config.covariates.clear();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    std::fs::write(&path, text).unwrap();
    let message = read_log(&path, &config, OnBadSlate::Error)
        .unwrap_err()
        .to_string();
    assert!(message.contains("without its pair"), "{message}");
}

#[test]
fn unknown_extension_is_an_error() {
    let message = read_log(Path::new("/tmp/log.json"), &config(), OnBadSlate::Error)
        .unwrap_err()
        .to_string();
    assert!(message.contains("unknown log format"), "{message}");
}

/// `text` (a CSV log) written as a parquet file `log.parquet` in `dir`, with the types polars
/// infers from the CSV.
fn as_parquet(text: &str, dir: &Path) -> PathBuf {
    use polars::prelude::ParquetWriter;
    let csv_path = dir.join("log.csv");
    std::fs::write(&csv_path, text).unwrap();
    let mut frame = read_frame(&csv_path).unwrap();
    let path = dir.join("log.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut frame)
        .unwrap();
    path
}

#[test]
fn a_parquet_log_reads_as_its_csv_and_names_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let text = csv(&fixture());
    let (from_csv, _) = read_text(&text, OnBadSlate::Error).unwrap();
    let path = as_parquet(&text, dir.path());
    let (from_parquet, _) = read_log(&path, &config(), OnBadSlate::Error).unwrap();
    assert_eq!(from_parquet.item_cluster, from_csv.item_cluster);
    assert_eq!(from_parquet.seed_position, from_csv.seed_position);
    assert_eq!(from_parquet.click, from_csv.click);
    assert_eq!(from_parquet.slate_ids, from_csv.slate_ids);
    assert_eq!(from_parquet.covariates, from_csv.covariates);

    // A broken rule names the same file row, slate and column.
    let mut rows = fixture();
    rows[12].shown = 2;
    let path = as_parquet(&csv(&rows), dir.path());
    let message = read_log(&path, &config(), OnBadSlate::Error)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("log.parquet: row 11 (slate s4), column `shown_position`"),
        "{message}"
    );
    // A missing column, a mistyped one.
    let path = as_parquet(
        &csv(&fixture()).replace("item_cluster", "cluster"),
        dir.path(),
    );
    let message = read_log(&path, &config(), OnBadSlate::Error)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("log.parquet: missing column `item_cluster`"),
        "{message}"
    );
    let path = as_parquet(
        &csv(&fixture()).replace(",1,2,false,", ",1,2.5,false,"),
        dir.path(),
    );
    let message = read_log(&path, &config(), OnBadSlate::Error)
        .unwrap_err()
        .to_string();
    assert!(
        message
            .contains("column `shown_position` has type f64 (first at row 2), expected an integer"),
        "{message}"
    );
}

#[test]
fn a_missing_or_corrupt_parquet_file_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.parquet");
    let err = read_log(&missing, &config(), OnBadSlate::Error).unwrap_err();
    assert!(matches!(err, LogError::Io { .. }), "{err}");
    assert_eq!(
        err.to_string().matches("absent.parquet").count(),
        1,
        "{err}"
    );
    let corrupt = dir.path().join("corrupt.parquet");
    std::fs::write(&corrupt, "not parquet at all").unwrap();
    let err = read_log(&corrupt, &config(), OnBadSlate::Error).unwrap_err();
    assert!(
        err.to_string()
            .contains("corrupt.parquet: cannot be read as parquet"),
        "{err}"
    );
}

#[test]
fn after_dropping_slates_rows_are_still_named_by_their_file_row() {
    // s1 (file rows 2-4) breaks a rule and is dropped; the probability then varies at file row
    // 13, which is the kept rows' ninth.
    let mut rows = fixture();
    rows[3].focal = false;
    let text = csv(&rows);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[0].push_str(",assignment_probability");
    for (i, line) in lines.iter_mut().enumerate().skip(1) {
        line.push_str(if i == 13 { ",0.4" } else { ",0.5" });
    }
    let message = read_text(&(lines.join("\n") + "\n"), OnBadSlate::Drop)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("varies (0.5 at row 1, 0.4 at row 13)"),
        "{message}"
    );
}

/// A log of four units: two-focal slates promoted to slots 2 and 3 (`p1` promoted, `c1` in
/// control) and one-focal slates to slot 1 (`p2`, `c2`). Non-focal rows leave
/// `target_position` empty.
fn several_focals_csv() -> String {
    let mut text = String::from(
        "slate_id,unit_id,item_id,item_cluster,seed_position,shown_position,is_focal,target_position,promoted,click\n",
    );
    // (slate, unit, promoted, [(seed, shown when promoted, target)])
    let two: [(i64, i64, Option<i64>); 5] = [
        (1, 1, None),
        (2, 4, None),
        (3, 5, None),
        (4, 2, Some(2)),
        (5, 3, Some(3)),
    ];
    let one: [(i64, i64, Option<i64>); 5] = [
        (1, 2, None),
        (2, 3, None),
        (3, 1, Some(1)),
        (4, 4, None),
        (5, 5, None),
    ];
    for (slate, unit, promoted, design) in [
        ("p1", "u1", true, &two),
        ("c1", "u2", false, &two),
        ("p2", "u3", true, &one),
        ("c2", "u4", false, &one),
    ] {
        for (seed, shown, target) in design {
            text.push_str(&format!(
                "{slate},{unit},{slate}-{seed},k{},{seed},{},{},{},{},{}\n",
                seed % 2,
                if promoted { *shown } else { *seed },
                target.is_some(),
                target.map_or(String::new(), |t| t.to_string()),
                u8::from(promoted),
                u8::from(*seed == 1)
            ));
        }
    }
    text
}

fn read_plain(text: &str) -> Result<ImpressionLog, LogError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    std::fs::write(&path, text).unwrap();
    read_log(&path, &LogConfig::default(), OnBadSlate::Error).map(|(log, _)| log)
}

#[test]
fn several_focal_items_go_to_their_target_slots_in_both_arms() {
    let log = read_plain(&several_focals_csv()).unwrap();
    // Slates in id order: c1, c2, p1, p2.
    assert_eq!(log.slate_ids.display(0), "c1");
    assert_eq!(log.focal_offsets, vec![0, 2, 3, 5, 6]);
    assert_eq!(log.focal_rows, vec![3, 4, 7, 13, 14, 17]);
    assert_eq!(log.focal_target, vec![2, 3, 1, 2, 3, 1]);
    assert_eq!(log.focals(2), [13, 14]);
    assert_eq!(log.lead_focal(2), 13);
    // The control slate's design is the promoted one's, though it shows the seed ranking.
    let mut positions = Vec::new();
    log.promoted_positions(0, &mut positions);
    assert_eq!(positions, [1, 4, 5, 2, 3]);
    assert_eq!(log.shown_position[0..5], [1, 2, 3, 4, 5]);
    log.promoted_positions(2, &mut positions);
    assert_eq!(positions, log.shown_position[10..15]);
}

#[test]
fn each_target_rule_names_row_slate_and_column() {
    let cases: [(&str, &str, &str); 5] = [
        // p1's second focal (file row 5) targets slot 6 of 5.
        (
            "p1,u1,p1-5,k1,5,3,true,3,",
            "p1,u1,p1-5,k1,5,3,true,6,",
            "row 5 (slate p1), column `target_position`: target position 6 is outside the slate (1..=5)",
        ),
        (
            "c2,u4,c2-3,k1,3,3,true,1,",
            "c2,u4,c2-3,k1,3,3,true,4,",
            "row 18 (slate c2), column `target_position`: target position 4 is below the focal item's seed position 3",
        ),
        (
            "c1,u2,c1-5,k1,5,5,true,3,",
            "c1,u2,c1-5,k1,5,5,true,2,",
            "row 10 (slate c1), column `target_position`: two focal items of the slate share target position 2",
        ),
        (
            "c1,u2,c1-5,k1,5,5,true,3,",
            "c1,u2,c1-5,k1,5,5,true,,",
            "row 10 (slate c1), column `target_position`: the focal item has no target position (null)",
        ),
        // Two non-focal items of p1 swapped: the ranking is not the design's.
        (
            "p1,u1,p1-2,k0,2,4,",
            "p1,u1,p1-2,k0,2,5,",
            "row 2 (slate p1), column `shown_position`: the slate is promoted but the item seeded at 2 is shown at 5, not 4",
        ),
    ];
    for (from, to, expected) in cases {
        let mut text = several_focals_csv();
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
        if to.starts_with("p1,u1,p1-2") {
            text = text.replacen("p1,u1,p1-3,k1,3,5,", "p1,u1,p1-3,k1,3,4,", 1);
        }
        let message = read_plain(&text).unwrap_err().to_string();
        assert!(
            message.contains(expected),
            "{message}\nexpected: {expected}"
        );
    }
}
