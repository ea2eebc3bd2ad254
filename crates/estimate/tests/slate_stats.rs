//! Every estimator gives the same numbers from the per-slate reduction (per-slate groups of
//! rows) as from the item rows, to 1e-9: the estimate, decomposition and inference tables of a
//! synthetic log with truth, a further outcome... reduced by the embedded engine and read back.

use std::path::Path;

use slate_estimate::contrasts::Items;
use slate_estimate::randomization::Design;
use slate_estimate::{EstimateConfig, inference_comparison, run, run_decomposition};
use slate_log::synthetic::{SyntheticConfig, write_synthetic_log};
use slate_log::{LogConfig, OnBadSlate, read_log};
use slate_reduction::read_slate_stats;
use slate_reduction::reduce_parquet;
use slate_table::polars::prelude::*;

fn read_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

/// Every column equal: numbers to 1e-9 relative (1e-12 absolute near zero), the rest exactly.
fn assert_frames_close(a: &DataFrame, b: &DataFrame, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    for (x, y) in a.columns().iter().zip(b.columns()) {
        assert_eq!(x.name(), y.name(), "{what}");
        if x.dtype().is_primitive_numeric() {
            let x = x.cast(&DataType::Float64).unwrap();
            let y = y.cast(&DataType::Float64).unwrap();
            for (i, (u, v)) in x
                .f64()
                .unwrap()
                .iter()
                .zip(y.f64().unwrap().iter())
                .enumerate()
            {
                match (u, v) {
                    (Some(u), Some(v)) if u.is_nan() && v.is_nan() => {}
                    (Some(u), Some(v)) => assert!(
                        (u - v).abs() <= 1e-9 * u.abs().max(v.abs()) + 1e-12,
                        "{what}: {} row {i}: {u} vs {v}",
                        x.name()
                    ),
                    (u, v) => assert_eq!(u.is_none(), v.is_none(), "{what}: {} row {i}", x.name()),
                }
            }
        } else {
            assert!(x.equals_missing(y), "{what}: column {} differs", x.name());
        }
    }
}

#[test]
fn per_slate_cells_give_the_item_row_results() {
    compare_cells_and_rows(true, 1, 1);
}

/// Two focal items per slate promoted to slots 2 and 3, and three to the top: the embedded
/// per-slate path gives the item-row path's tables (including the spillover by displacement
/// distance and the effects by focal count) to 1e-9.
#[test]
fn a_multi_focal_log_gives_the_item_row_results_both_ways() {
    compare_cells_and_rows(true, 2, 2);
    compare_cells_and_rows(false, 3, 1);
}

/// A logged experiment without the truth columns: the observable tables, the same both ways,
/// and no truth table on either.
#[test]
fn without_truth_cells_give_the_item_row_results() {
    compare_cells_and_rows(false, 1, 1);
}

fn compare_cells_and_rows(truth: bool, focals_per_slate: usize, target_position: usize) {
    let dir = tempfile::tempdir().unwrap();
    let synthetic = SyntheticConfig {
        slates: 1_200,
        slate_size: 10,
        slates_per_unit: 3,
        focals_per_slate,
        target_position,
        ..SyntheticConfig::default()
    };
    let (mut log_path, _) =
        write_synthetic_log(&synthetic, 5, dir.path(), "log.parquet", 3_000).unwrap();
    if !truth {
        let file = std::fs::File::open(&log_path).unwrap();
        let mut frame = ParquetReader::new(file)
            .finish()
            .unwrap()
            .drop_many(["click_prob_if_promoted", "click_prob_if_control"]);
        log_path = dir.path().join("no_truth.parquet");
        ParquetWriter::new(std::fs::File::create(&log_path).unwrap())
            .with_row_group_size(Some(3_000))
            .finish(&mut frame)
            .unwrap();
    }
    let config = LogConfig {
        covariates: vec!["relevance".into()],
        ..LogConfig::default()
    };
    let reduced = reduce_parquet(&log_path, &config, dir.path(), 4_000).unwrap();
    let stats = read_slate_stats(&reduced.path, &config).unwrap();
    let (log, _) = read_log(&log_path, &config, OnBadSlate::Error).unwrap();
    let exposure = slate_exposure::map_exposure(&log).unwrap();
    let estimate_config = EstimateConfig {
        bootstrap_replicates: 200,
        randomization_draws: 200,
        ..EstimateConfig::default()
    };

    let rows_dir = dir.path().join("rows");
    let cells_dir = dir.path().join("cells");
    for (items, slates, out) in [
        (Items::Rows(&exposure.mapping), &exposure.slates, &rows_dir),
        (Items::Cells(&stats.cells), &stats.slates, &cells_dir),
    ] {
        let slates = &slate_exposure::AnalysisSlates::from(slates);
        std::fs::create_dir_all(out).unwrap();
        let tables = run(items, slates, &estimate_config).unwrap();
        slate_estimate::write(&tables, out).unwrap();
        let decomposition = run_decomposition(items, slates, &estimate_config).unwrap();
        slate_estimate::write_decomposition(&decomposition, out).unwrap();
        let mut comparison = inference_comparison(
            items,
            slates,
            &estimate_config,
            Design::Bernoulli { p: 0.5 },
            Some(&tables),
        )
        .unwrap()
        .to_frame()
        .unwrap();
        // Lin's regression needs item rows: compare the other methods.
        let keep = comparison
            .column("method")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|k| !k.unwrap_or_default().contains("Lin"))
            .collect::<BooleanChunked>();
        comparison = comparison.filter(&keep).unwrap();
        let mut file = std::fs::File::create(out.join("comparison.csv")).unwrap();
        CsvWriter::new(&mut file).finish(&mut comparison).unwrap();
    }
    let mut names: Vec<_> = std::fs::read_dir(&rows_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".csv"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    let cell_names: Vec<_> = std::fs::read_dir(&cells_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".csv"))
        .collect();
    assert_eq!(cell_names.len(), names.len(), "the same tables both ways");
    // One bucket per place a displaced item can be pushed down (each with CR1 and CR2), the
    // same number of focal items in every slate.
    let displacement =
        read_csv(&rows_dir.join(slate_estimate::design_effects::DISPLACEMENT_SPILLOVER.file_name));
    assert_eq!(displacement.height(), 2 * focals_per_slate.min(3));
    let by_count =
        read_csv(&rows_dir.join(slate_estimate::design_effects::FOCAL_COUNT_EFFECTS.file_name));
    assert_eq!(by_count.height(), 2 * 5);
    let truth_table = names
        .iter()
        .any(|n| n.to_string_lossy().contains("validation"));
    assert_eq!(truth_table, truth, "{names:?}");
    for name in names {
        let what = name.to_string_lossy().to_string();
        assert_frames_close(
            &read_csv(&rows_dir.join(&name)),
            &read_csv(&cells_dir.join(&name)),
            &what,
        );
    }
}

/// The per-slate table of a synthetic log of `slates_per_unit` slates per unit, read back.
fn reduced(dir: &Path, slates_per_unit: usize) -> slate_reduction::SlateStatsTables {
    let synthetic = SyntheticConfig {
        slates: 900,
        slate_size: 8,
        slates_per_unit,
        ..SyntheticConfig::default()
    };
    let (log_path, _) = write_synthetic_log(&synthetic, 11, dir, "log.parquet", 2_000).unwrap();
    let config = LogConfig::default();
    let reduced = reduce_parquet(&log_path, &config, dir, 4_000).unwrap();
    read_slate_stats(&reduced.path, &config).unwrap()
}

/// When units hold several slates, the estimators' samples from per-slate cells hold one entry
/// per unit (memory grows with units): the same rows, and a difference in means equal to the
/// per-slate samples' to 1e-12. With one slate per unit they are the per-slate samples, bit for
/// bit.
#[test]
fn samples_hold_one_entry_per_unit_when_units_hold_several_slates() {
    use slate_estimate::contrasts::{Contrast, Entries, ItemValue, OutcomeView, measured_sample};
    let observed = ItemValue::View(OutcomeView::Observed);
    for slates_per_unit in [1, 4] {
        let dir = tempfile::tempdir().unwrap();
        let stats = reduced(dir.path(), slates_per_unit);
        let slates = slate_exposure::AnalysisSlates::from(stats.slates);
        let items = Items::Cells(&stats.cells);
        let units = slates.n_units();
        assert_eq!(units, slates.len().div_ceil(slates_per_unit));
        for contrast in Contrast::ALL {
            let sample = |entries| measured_sample(contrast, observed, items, &slates, entries);
            let (by_slate, by_unit) = (
                sample(Entries::Slates).unwrap(),
                sample(Entries::Units).unwrap(),
            );
            if slates_per_unit == 1 {
                assert_eq!(by_unit, by_slate, "{contrast}");
                continue;
            }
            assert!(by_unit.is_grouped(), "{contrast}");
            assert!(
                by_unit.y.len() <= units && by_unit.y.len() < by_slate.y.len(),
                "{contrast}: {} entries for {units} units",
                by_unit.y.len()
            );
            assert_eq!(by_unit.n_rows(), by_slate.n_rows(), "{contrast}");
            assert_eq!(
                by_unit.treated_rows(),
                by_slate.treated_rows(),
                "{contrast}"
            );
            let dim = |s| slate_estimate::difference_in_means(s, "c", "o").unwrap();
            let (a, b) = (dim(&by_slate), dim(&by_unit));
            assert_eq!(
                (a.treated_n, a.control_n, a.clusters),
                (b.treated_n, b.control_n, b.clusters)
            );
            for (x, y) in [
                (a.estimate, b.estimate),
                (a.naive_se, b.naive_se),
                (a.cluster_se, b.cluster_se),
            ] {
                assert!(
                    (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                    "{contrast}: {x} vs {y}"
                );
            }
        }
    }
}
