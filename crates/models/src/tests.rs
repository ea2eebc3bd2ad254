//! The models stage on a synthetic log with a known total effect (`slate_log::synthetic`).

use std::sync::OnceLock;

use slate_exposure::{ExposureTables, map_exposure};
use slate_log::synthetic::{SyntheticConfig, synthetic_log};

use super::*;
use crate::learner::{Learner, LightGbm, OutcomeModel, Task, XgBoost};
use crate::tables::{Dimension, ModelMetrics, PolicyRule, Split};

fn design() -> &'static ExposureTables {
    static DESIGN: OnceLock<ExposureTables> = OnceLock::new();
    DESIGN.get_or_init(|| {
        map_exposure(&synthetic_log(&SyntheticConfig::default(), 7).unwrap()).unwrap()
    })
}

fn small_config() -> ModelsConfig {
    let params = GbdtParams {
        rounds: 120,
        ..GbdtParams::default()
    };
    ModelsConfig {
        lightgbm: params.clone(),
        xgboost: params,
        ..ModelsConfig::default()
    }
}

fn tables() -> &'static ModelsTables {
    static TABLES: OnceLock<ModelsTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let d = design();
        run(&d.slates, &small_config()).unwrap()
    })
}

#[test]
fn aipw_recovers_the_known_total_effect_within_its_interval() {
    let t = tables();
    let truth = t.aipw.truth.as_ref().unwrap().true_effect[0];
    assert_eq!(t.aipw.len(), 5);
    for i in 0..t.aipw.len() {
        assert!(
            t.aipw.ci_95_lower[i] <= truth && truth <= t.aipw.ci_95_upper[i],
            "{}: [{}, {}] misses {truth}",
            t.aipw.estimator[i],
            t.aipw.ci_95_lower[i],
            t.aipw.ci_95_upper[i]
        );
    }
    // AIPW with the known propensity is close to the randomized estimate (same data).
    let dim = t.aipw.estimate[0];
    for i in 1..3 {
        assert!(
            (t.aipw.estimate[i] - dim).abs() < 0.5 * t.aipw.se[0],
            "{} {} vs {dim}",
            t.aipw.estimator[i],
            t.aipw.estimate[i]
        );
    }
}

#[test]
fn every_table_has_its_rows_and_the_oracle_bounds_every_rule() {
    let t = tables();
    let n = design().slates.len();
    assert_eq!(t.metrics.len(), 4);
    assert_eq!(t.conditional.len(), 2 * n);
    assert_eq!(t.policies.len(), 8);
    let oracle = t
        .policies
        .truth
        .as_ref()
        .unwrap()
        .oracle_lift_per_1000_eligible_slates
        .clone();
    let best = *oracle.last().unwrap();
    assert!(oracle.iter().all(|v| *v <= best + 1e-9));
    // "Promote none" is exactly zero in both evaluations.
    let none = t
        .policies
        .policy
        .iter()
        .position(|p| *p == PolicyRule::PromoteNone)
        .unwrap();
    assert_eq!(oracle[none], 0.0);
    assert_eq!(t.policies.aipw_value_per_1000[none], 0.0);
    // Promote-all's oracle value is the mean known effect per 1,000 slates.
    assert!((oracle[0] - 1000.0 * t.aipw.truth.as_ref().unwrap().true_effect[0]).abs() < 1e-6);
    assert!(t.heterogeneity.dimension.contains(&Dimension::FocalCluster));
    assert_eq!(
        t.heterogeneity
            .dimension
            .iter()
            .filter(|d| **d == Dimension::FocalPositionBand)
            .count(),
        3
    );
    for i in 0..t.metrics.len() {
        assert!(t.metrics.rmse[i] > 0.0 && t.metrics.r2[i] < 1.0);
    }
}

#[test]
fn same_seed_gives_identical_tables() {
    let d = design();
    assert!(run(&d.slates, &small_config()).unwrap() == *tables());
}

#[test]
fn too_few_slates_per_fold_is_a_clear_error() {
    let d = design();
    let config = ModelsConfig {
        folds: d.slates.len(),
        ..small_config()
    };
    let err = run(&d.slates, &config).unwrap_err();
    assert!(matches!(err, ModelsError::TooFewSlates { .. }), "{err}");
}

#[test]
fn bad_config_names_the_field() {
    let config = ModelsConfig {
        xgboost: GbdtParams {
            subsample: 0.0,
            ..GbdtParams::default()
        },
        ..ModelsConfig::default()
    };
    assert!(
        config
            .check()
            .unwrap_err()
            .to_string()
            .contains("models.xgboost.subsample")
    );
}

#[test]
fn capped_fits_train_on_a_seeded_subsample_and_still_score_every_slate_out_of_fold() {
    let d = design();
    let capped = ModelsConfig {
        max_fit_slates: 400,
        ..small_config()
    };
    let a = run(&d.slates, &capped).unwrap();
    assert_eq!(a, run(&d.slates, &capped).unwrap(), "seeded");
    // Every slate still gets an AIPW score: the estimate is over all of them.
    assert_eq!(a.aipw.n[1] as usize, d.slates.len());
    assert_ne!(
        a.aipw.estimate[1],
        tables().aipw.estimate[1],
        "fits changed"
    );
    let truth = a.aipw.truth.as_ref().unwrap().true_effect[0];
    assert!(a.aipw.ci_95_lower[1] < truth && truth < a.aipw.ci_95_upper[1]);
    // The train/test metrics score at most the cap on either side.
    let uncapped = &tables().metrics;
    for (split, (n, full)) in a
        .metrics
        .split
        .iter()
        .zip(a.metrics.n.iter().zip(&uncapped.n))
    {
        assert!(*full > 400, "{split}: the design must exceed the cap");
        assert_eq!(*n, 400, "{split}");
    }
    // The subsample is a seeded choice of training rows, in order.
    let rows = aipw::at_most((0..1_000).collect(), 100, 3, 0);
    assert_eq!(rows.len(), 100);
    assert!(rows.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(rows, aipw::at_most((0..1_000).collect(), 100, 3, 0));
    assert_ne!(rows, aipw::at_most((0..1_000).collect(), 100, 3, 1));
    assert_eq!(
        aipw::at_most((0..50).collect(), 100, 3, 0),
        (0..50).collect::<Vec<_>>()
    );
}

#[test]
fn conditional_rows_are_model_by_model_and_any_range_matches_the_whole() {
    let t = tables();
    let c = &t.conditional;
    let n = c.slates();
    let all = c.rows(0..c.len());
    assert_eq!(all.len(), 2 * n);
    assert_eq!(all.model[0], all.model[n - 1]);
    assert_ne!(all.model[n - 1], all.model[n]);
    assert_eq!(all.slate_id[0], all.slate_id[n]);
    let oracle = c.oracle().unwrap();
    let truth = all.truth.as_ref().unwrap();
    assert_eq!(truth.oracle_net_effect[..n], *oracle);
    assert_eq!(truth.oracle_net_effect[n..], *oracle);
    for m in 0..2 {
        let net = c.predicted_net_effect(m);
        assert_eq!(all.predicted_net_effect[m * n..(m + 1) * n], net[..]);
    }
    // A range across the two models is the same rows as the slice of the whole.
    let part = c.rows(n - 2..n + 3);
    assert_eq!(part.rows, all.rows.rows(n - 2..n + 3));
    assert_eq!(part.truth, Some(truth.rows(n - 2..n + 3)));
}

#[test]
fn feature_rows_are_the_matrix_rows_and_cross_fits_do_not_depend_on_the_block() {
    let slates = &design().slates;
    let covariates = slates.features.load().unwrap();
    let x = features::SlateFeatures::new(slates, &covariates);
    let whole = x.matrix().unwrap();
    let k = whole.cols();
    assert_eq!(whole.rows, slates.len());
    assert_eq!(
        whole.columns.last().map(String::as_str),
        Some(features::TREATMENT)
    );
    let clusters = whole
        .columns
        .iter()
        .filter(|c| c.starts_with("focal_cluster="))
        .count();
    assert!(clusters > 1);
    for (s, row) in whole.values.chunks(k).enumerate() {
        // One focal cluster per slate, named by its column; the treatment as observed.
        let one_hot = &row[k - 1 - clusters..k - 1];
        assert_eq!(one_hot.iter().sum::<f64>(), 1.0);
        let hot = one_hot.iter().position(|v| *v == 1.0).unwrap();
        assert_eq!(
            whole.columns[k - 1 - clusters + hot],
            format!("focal_cluster={}", &*slates.focal_cluster[s])
        );
        assert_eq!(row[k - 1], f64::from(u8::from(slates.promotion_applied[s])));
    }
    // Any rows, in any order, are those rows of the whole matrix.
    let picked = [5, 0, 3, 3];
    let rows = x.rows(&picked).unwrap();
    for (r, s) in picked.iter().enumerate() {
        assert_eq!(
            rows.values[r * k..(r + 1) * k],
            whole.values[s * k..(s + 1) * k]
        );
    }

    // Cross-fitting predicts in blocks: seven slates at a time gives the same bits.
    let config = small_config();
    let model = LightGbm {
        params: config.lightgbm.clone(),
        seed: config.seed,
    };
    let y: Vec<f64> = slates
        .total_observed_clicks
        .iter()
        .map(|c| f64::from(*c))
        .collect();
    let fold = aipw::unit_folds(&slates.unit_index, config.folds, config.seed);
    let fit = |x: &features::SlateFeatures<'_>| {
        aipw::cross_fit(
            &model,
            x,
            &y,
            &slates.promotion_applied,
            &fold,
            config.propensity_clip,
            config.max_fit_slates,
            config.seed,
        )
        .unwrap()
    };
    let small = features::SlateFeatures::new(slates, &covariates).with_block_rows(7);
    assert_eq!(fit(&small), fit(&x));
    let xgboost = XgBoost {
        params: config.xgboost.clone(),
        seed: config.seed,
    };
    let fitted = xgboost
        .fit(
            &x.rows(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
                .unwrap()
                .with_treatment(true),
            &y[..10],
            Task::Regression,
        )
        .unwrap();
    let all: Vec<usize> = (0..slates.len()).collect();
    assert_eq!(
        small.predict(fitted.as_ref(), &all).unwrap(),
        fitted.predict(&whole).unwrap()
    );
}

#[test]
fn models_tied_to_the_printed_digits_are_all_best() {
    let mut m = ModelMetrics::default();
    for (model, split, rmse) in [
        (Learner::LightGbm, Split::Train, 1.0),
        (Learner::LightGbm, Split::Test, 1.29574),
        (Learner::XgBoost, Split::Train, 1.1),
        (Learner::XgBoost, Split::Test, 1.29573),
    ] {
        m.model.push(model);
        m.split.push(split);
        m.rmse.push(rmse);
        m.mae.push(0.0);
        m.r2.push(0.0);
        m.n.push(10);
    }
    // Best first, then the model the printed digits cannot tell from it.
    assert_eq!(m.best_test_rows(3), vec![3, 1]);
    assert_eq!(m.best_test_rows(5), vec![3]);
    m.rmse[1] = 1.5;
    assert_eq!(m.best_test_rows(3), vec![3]);
    assert!(ModelMetrics::default().best_test_rows(3).is_empty());
}

/// The design's exposure tables written to a temporary directory, with the slate table
/// rewritten in row groups of `group_rows` slates (the project's writer uses a million, so a
/// small table would have one group and no group boundary to cross).
fn written_design(group_rows: usize) -> tempfile::TempDir {
    use slate_table::polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    slate_exposure::write(design(), dir.path()).unwrap();
    let path = dir
        .path()
        .join(slate_exposure::schema::SLATE_OUTCOMES.file_name);
    let mut frame = ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .with_row_group_size(Some(group_rows))
        .finish(&mut frame)
        .unwrap();
    dir
}

#[test]
fn features_read_from_disk_a_row_group_at_a_time_are_the_in_memory_ones() {
    let slates = &design().slates;
    let dir = written_design(7);
    let file = slate_exposure::SlateOutcomesFile::open(dir.path()).unwrap();
    assert_eq!(file.len(), slates.len());
    assert!(file.row_groups().len() > 2);
    let kept = crate::input::StageSlates::read(&file).unwrap();
    assert_eq!(kept, crate::input::StageSlates::of(slates));
    let on_disk = features::SlateFeatures::of_file(
        &file,
        kept.treated.clone(),
        kept.cluster.clone(),
        &kept.clusters,
    );
    let covariates = slates.features.load().unwrap();
    let in_memory = features::SlateFeatures::new(slates, &covariates);
    let whole = in_memory.matrix().unwrap();
    assert_eq!(on_disk.matrix().unwrap(), whole);
    // Rows in any order, repeated, across group boundaries (and back to an earlier group).
    let picked = [20, 3, 6, 7, 7, 0, 13, slates.len() - 1, 2];
    assert_eq!(
        on_disk.rows(&picked).unwrap(),
        in_memory.rows(&picked).unwrap()
    );
    // A slate beyond the table is an error naming the file, not a panic.
    let beyond = on_disk.rows(&[slates.len()]).unwrap_err().to_string();
    assert!(beyond.contains("slate_outcomes.parquet"), "{beyond}");
}

#[test]
fn the_stage_on_the_table_on_disk_gives_the_same_tables_bit_for_bit() {
    let dir = written_design(11);
    let file = slate_exposure::SlateOutcomesFile::open(dir.path()).unwrap();
    let from_disk = run_file(&file, &small_config()).unwrap();
    assert_eq!(&from_disk, tables());
}
