//! Exposure roles on a hand-built slate pair; readiness and round trip of the tables.

use slate_log::{ImpressionLog, LogConfig, OnBadSlate};
use slate_table::polars::prelude::{Column, DataFrame};

use crate::map_exposure;

/// Four slates of four: focal at seed position 3 (cluster A); slates 10 and 30 promoted, 20
/// and 40 control; rows given in reverse order.
fn two_slates(truth: bool) -> ImpressionLog {
    let mut cols: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut slate = Vec::new();
    let mut item = Vec::new();
    let mut cluster = Vec::new();
    let mut focal = Vec::new();
    let mut promoted_col = Vec::new();
    let mut click = Vec::new();
    let (mut seed, mut shown, mut relevance, mut if_promoted, mut if_control, mut ratings) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for s in [10i64, 20, 30, 40] {
        let promoted = s == 10 || s == 30;
        let clusters = ["A", "B", "A", "A"];
        let finals: [i64; 4] = if promoted { [2, 3, 1, 4] } else { [1, 2, 3, 4] };
        for i in 0..4 {
            slate.push(s);
            item.push(100 + i as i64);
            cluster.push(clusters[i]);
            seed.push(i as i64 + 1);
            shown.push(finals[i]);
            relevance.push(0.9 - 0.1 * i as f64);
            focal.push(i == 2);
            promoted_col.push(promoted);
            if_control.push(0.2);
            if_promoted.push(if i == 2 { 0.4 } else { 0.15 });
            click.push(i == 2 && promoted);
            ratings.push(30.0 + s as f64);
        }
    }
    cols.push(("relevance", relevance));
    cols.push(("user_n_ratings", ratings));
    if truth {
        cols.push(("click_prob_if_promoted", if_promoted));
        cols.push(("click_prob_if_control", if_control));
    }
    let mut columns = vec![
        Column::new("slate_id".into(), slate),
        Column::new("item_id".into(), item),
        Column::new("item_cluster".into(), cluster),
        Column::new("seed_position".into(), seed),
        Column::new("shown_position".into(), shown),
        Column::new("is_focal".into(), focal),
        Column::new("promoted".into(), promoted_col),
        Column::new("click".into(), click),
    ];
    columns.extend(cols.into_iter().map(|(n, v)| Column::new(n.into(), v)));
    let frame = DataFrame::new(16, columns).unwrap();
    let frame = frame.reverse();
    let config = LogConfig {
        covariates: vec!["relevance".into(), "user_n_ratings".into()],
        ..LogConfig::default()
    };
    ImpressionLog::from_frame(&frame, "test log", &config, OnBadSlate::Error)
        .unwrap()
        .0
}

#[test]
fn roles_are_defined_from_the_seed_slate_in_both_arms() {
    let tables = map_exposure(&two_slates(true)).unwrap();
    let m = &tables.mapping;
    // Item 0: cluster A above the focal: same cluster and displaced, in both arms.
    for slate in 0..2 {
        let r = slate * 4;
        assert!(m.same_cluster_as_focal[r] && m.displaced_by_promotion[r]);
        assert!(!m.same_cluster_as_focal[r + 1] && m.displaced_by_promotion[r + 1]);
        assert!(
            m.is_focal[r + 2]
                && !m.same_cluster_as_focal[r + 2]
                && !m.displaced_by_promotion[r + 2]
        );
        assert!(m.same_cluster_as_focal[r + 3] && !m.displaced_by_promotion[r + 3]);
    }
    assert_eq!(m.slate_id[..5], [10, 10, 10, 10, 20]);
    assert_eq!(m.unit_index[..5], [0, 0, 0, 0, 1]);
    assert_eq!(
        &*m.exposure_condition[0],
        "same-cluster competitor, displaced | promoted"
    );
    assert_eq!(&*m.exposure_condition[2], "focal | promoted");
    assert_eq!(&*m.exposure_condition[5], "displaced item | control");
    assert_eq!(m.position_shift[..4], [1, 1, -2, 0]);
    let truth = m.truth.as_ref().unwrap();
    assert_eq!(truth.known_induced_lift[2], 0.4 - 0.2);
    assert!(
        truth.known_induced_lift[4..8].iter().all(|l| *l == 0.0),
        "no lift in control"
    );
    assert_eq!(m.covariates[0].name, "relevance");
    let s = &tables.slates;
    assert_eq!(s.n_same_cluster_competitors, vec![2; 4]);
    assert_eq!(s.n_displaced_items, vec![2; 4]);
    assert_eq!(s.n_same_cluster_displaced, vec![1; 4]);
    assert_eq!(s.total_observed_clicks, vec![1, 0, 1, 0]);
    assert_eq!(s.slate_size, vec![4; 4]);
    let st = s
        .truth
        .as_ref()
        .and_then(crate::HeldTruth::columns)
        .unwrap();
    assert!((st.total_expected_clicks[0] - 0.85).abs() < 1e-12);
    assert!(
        (st.total_expected_clicks_if_promoted[1] - 0.85).abs() < 1e-12,
        "oracle exists for control slates"
    );
    assert!((st.slate_promotion_effect[1] - 0.05).abs() < 1e-12);
    let features = s.features.load().unwrap();
    let names: Vec<&str> = features.iter().map(|f| f.column.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "focal_relevance",
            "mean_relevance",
            "max_relevance",
            "min_relevance",
            "relevance_std",
            "top3_mean_relevance",
            "focal_relevance_gap",
            "user_n_ratings"
        ]
    );
    assert!((features[6].column.values[0] - 0.2).abs() < 1e-12);
    assert_eq!(features[7].column.values, vec![40.0, 50.0, 60.0, 70.0]);
    let assignment = crate::Assignment::of(&tables.slates).unwrap();
    assert_eq!(assignment.promotion_applied, vec![true, false, true, false]);
    assert_eq!(assignment.focal_covariates[0].name, "focal_relevance");
}

#[test]
fn the_assignment_table_written_from_the_slate_columns_is_the_built_ones() {
    let tables = map_exposure(&two_slates(true)).unwrap();
    let written = tempfile::tempdir().unwrap();
    crate::write_slate_tables(&tables.slates, &tables.readiness, written.path()).unwrap();
    let assignment = crate::Assignment::of(&tables.slates).unwrap();
    let extra: Vec<(&str, &[f64])> = assignment
        .focal_covariates
        .iter()
        .map(|c| (c.name.as_str(), c.values.as_slice()))
        .collect();
    let built = tempfile::tempdir().unwrap();
    let path = crate::schema::write_parts(
        (&crate::schema::ASSIGNMENT, assignment.rows.column_slices()),
        None,
        &extra,
        built.path(),
    )
    .unwrap();
    let name = crate::schema::ASSIGNMENT.file_name;
    assert_eq!(
        std::fs::read(written.path().join(name)).unwrap(),
        std::fs::read(path).unwrap()
    );
}

#[test]
fn without_truth_no_truth_column_is_written() {
    let tables = map_exposure(&two_slates(false)).unwrap();
    assert!(tables.mapping.truth.is_none() && tables.slates.truth.is_none());
    assert!(
        !tables
            .readiness
            .iter()
            .any(|c| c.check == "known_lift_zero_in_control")
    );
    let out = tempfile::tempdir().unwrap();
    crate::write(&tables, out.path()).unwrap();
    let mapping = crate::read_mapping(out.path()).unwrap();
    assert_eq!(mapping, tables.mapping);
    let frame = slate_table::read_parquet(
        &out.path().join(crate::schema::EXPOSURE_MAPPING.file_name),
        &crate::schema::EXPOSURE_MAPPING,
    )
    .unwrap();
    assert!(frame.column("baseline_click_prob").is_err());
    assert!(frame.column("relevance").is_ok());
}

#[test]
fn tables_round_trip_with_truth_and_features() {
    let tables = map_exposure(&two_slates(true)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let written = crate::write(&tables, out.path()).unwrap();
    assert_eq!(written.len(), 5);
    assert_eq!(crate::read_mapping(out.path()).unwrap(), tables.mapping);
    assert_eq!(crate::read_slates(out.path()).unwrap(), tables.slates);
}

#[test]
fn the_slate_table_on_disk_reads_in_parts_as_the_whole_and_names_a_missing_column() {
    use slate_table::polars::prelude::*;
    let tables = map_exposure(&two_slates(true)).unwrap();
    let out = tempfile::tempdir().unwrap();
    crate::write(&tables, out.path()).unwrap();
    let file = crate::SlateOutcomesFile::open(out.path()).unwrap();
    let slates = &tables.slates;
    assert_eq!((file.len(), file.has_truth()), (slates.len(), true));
    assert_eq!(file.row_groups().len(), 1);
    assert_eq!(file.row_groups()[0], 0..slates.len());
    assert_eq!(file.features(), slates.features.names());
    let features = slates.features.load().unwrap();
    // Any range of rows is that range of the whole table.
    assert_eq!(file.slate_rows(1..3).unwrap(), slates.rows.rows(1..3));
    assert_eq!(
        file.slate_truth(1..3).unwrap(),
        slates
            .truth
            .as_ref()
            .map(|t| t.rows(1..3, &slates.promotion_applied))
    );
    // Integer columns come as exact f64; feature columns as they are.
    let names = vec![
        "focal_seed_position".to_string(),
        features[0].column.name.clone(),
    ];
    let columns = file.f64_columns(&names, 2..4).unwrap();
    let seed: Vec<f64> = slates.focal_seed_position[2..4]
        .iter()
        .map(|p| f64::from(*p))
        .collect();
    assert_eq!(
        columns,
        vec![seed, features[0].column.values[2..4].to_vec()]
    );
    // A table without one of its fixed columns is an error naming it, before any row is read.
    let path = out.path().join(crate::schema::SLATE_OUTCOMES.file_name);
    let mut frame = ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    let _ = frame.drop_in_place("unit_index").unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut frame)
        .unwrap();
    let error = crate::SlateOutcomesFile::open(out.path())
        .unwrap_err()
        .to_string();
    assert!(error.contains("unit_index"), "{error}");
}

/// Features left on disk load as the held ones, across row groups, and only for the slates
/// the table was written from.
#[test]
fn features_on_disk_load_as_the_held_ones() {
    use slate_table::polars::prelude::*;
    let tables = map_exposure(&two_slates(true)).unwrap();
    let out = tempfile::tempdir().unwrap();
    crate::write(&tables, out.path()).unwrap();
    // The table rewritten in row groups of 2 slates.
    let path = out.path().join(crate::schema::SLATE_OUTCOMES.file_name);
    let mut frame = ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .with_row_group_size(Some(2))
        .finish(&mut frame)
        .unwrap();
    let file = crate::SlateOutcomesFile::open(out.path()).unwrap();
    assert!(file.row_groups().len() > 1);
    let held = crate::AnalysisSlates::from(&tables.slates);
    assert!(!held.features.is_empty());
    let mut on_disk = held.clone();
    on_disk.features_on_disk(file.clone()).unwrap();
    assert!(matches!(
        on_disk.features,
        crate::FeatureColumns::OnDisk { .. }
    ));
    assert_eq!(on_disk.features.names(), held.features.names());
    assert_eq!(
        on_disk.features.load().unwrap(),
        held.features.load().unwrap()
    );
    let focal = |kind| kind != crate::FeatureKind::Profile;
    let some = on_disk.features.load_where(focal).unwrap();
    assert!(!some.is_empty() && some.len() < held.features.names().len());
    assert_eq!(some, held.features.load_where(focal).unwrap());
    // Another table's slates are an error naming the file.
    let mut fewer = crate::AnalysisSlates::from(&tables.slates);
    fewer.unit_index.pop();
    let error = fewer.features_on_disk(file).unwrap_err().to_string();
    assert!(error.contains(&path.display().to_string()), "{error}");
}

#[test]
fn a_covariate_whose_column_would_collide_is_an_error() {
    let mut log = two_slates(false);
    log.covariates[1].column.name = "session".into();
    let message = map_exposure(&log).unwrap_err().to_string();
    assert!(
        message.contains("`session` would write column `session`, which is a column of the table"),
        "{message}"
    );
    let mut log = two_slates(false);
    log.covariates[1].column.name = "mean_relevance".into();
    let message = map_exposure(&log).unwrap_err().to_string();
    assert!(
        message.contains(
            "`mean_relevance` would write column `mean_relevance`, which `relevance` writes too"
        ),
        "{message}"
    );
}

/// A copy of rows `range` of `mapping`, every column group.
fn rows_of(
    mapping: &crate::ExposureMapping,
    range: std::ops::Range<usize>,
) -> crate::ExposureMapping {
    let named = |columns: &[crate::NamedColumn]| {
        columns
            .iter()
            .map(|c| crate::NamedColumn {
                name: c.name.clone(),
                values: c.values[range.clone()].to_vec(),
            })
            .collect()
    };
    crate::ExposureMapping {
        rows: mapping.rows.rows(range.clone()),
        truth: mapping.truth.as_ref().map(|t| t.rows(range.clone())),
        covariates: named(&mapping.covariates),
        outcomes: named(&mapping.outcomes),
    }
}

#[test]
fn rows_cut_anywhere_map_as_in_the_whole_mapping() {
    let log = slate_log::synthetic::synthetic_log(&Default::default(), 3).unwrap();
    let whole = map_exposure(&log).unwrap().mapping;
    let n = log.n_rows();
    let size = log.slate_rows(0).len();
    // Whole slates, ranges starting and ending inside a slate, one row, the last row, none.
    for rows in [
        0..n,
        0..size,
        size - 1..3 * size + 2,
        5..6,
        n - 1..n,
        n / 2 + 1..n,
        7..7,
    ] {
        assert_eq!(
            crate::mapping::mapping_of_rows(&log, rows.clone()),
            rows_of(&whole, rows.clone()),
            "rows {rows:?}"
        );
    }
}

#[test]
fn the_mapping_written_a_row_group_at_a_time_is_the_whole_tables_file() {
    for truth in [true, false] {
        let log = two_slates(truth);
        let tables = map_exposure(&log).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (whole, streamed) = (dir.path().join("whole"), dir.path().join("streamed"));
        crate::write(&tables, &whole).unwrap();
        let slate_tables = crate::write_exposure(&log, &streamed).unwrap();
        assert_eq!(slate_tables.slates, tables.slates);
        assert_eq!(slate_tables.readiness, tables.readiness);
        let mut names: Vec<_> = std::fs::read_dir(&whole)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names.len(), 5);
        for name in names {
            assert_eq!(
                std::fs::read(whole.join(&name)).unwrap(),
                std::fs::read(streamed.join(&name)).unwrap(),
                "{name:?}"
            );
        }
    }
}
