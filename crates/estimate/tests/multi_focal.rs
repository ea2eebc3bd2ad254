//! Logs with several focal items per slate promoted to any slot.
//!
//! - A user-randomized log with one to three focal items per slate at slots 1 to 4
//!   (`tests/reference/multi_focal_reference.py` generated it and statsmodels' numbers): the
//!   unit-clustered CR1 of every contrast, of the spillover by displacement distance and of the
//!   effects by focal count equals statsmodels clustered by user.
//! - Synthetic logs with the truth known, for several designs (focal items per slate, target
//!   slot): every contrast lands within 3 standard errors of its known truth.

use std::path::PathBuf;

use slate_estimate::EstimateConfig;
use slate_estimate::contrasts::{Contrast, Items};
use slate_estimate::inference::InferenceMethod;
use slate_log::synthetic::{SyntheticConfig, synthetic_log};
use slate_log::{LogConfig, OnBadSlate};
use slate_table::Label;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("reference")
}

fn estimate_config() -> EstimateConfig {
    EstimateConfig {
        bootstrap_replicates: 20,
        ..EstimateConfig::default()
    }
}

#[test]
fn unit_clustered_cr1_matches_statsmodels_on_a_multi_focal_log() {
    let (log, dropped) = slate_log::read_log(
        &reference_dir().join("multi_focal_log.csv"),
        &LogConfig::default(),
        OnBadSlate::Error,
    )
    .unwrap();
    assert!(dropped.is_empty());
    assert_eq!(log.n_units(), 90);
    let tables = slate_exposure::map_exposure(&log).unwrap();
    let estimates = slate_estimate::run(
        Items::Rows(&tables.mapping),
        &(&tables.slates).into(),
        &estimate_config(),
    )
    .unwrap();
    let observed = &estimates.observed;
    let displacement = &estimates.displacement_spillover;
    let by_count = &estimates.focal_count_effects;
    assert!(by_count.effect_kind.iter().all(|k| k.contains("subgroup")));

    let text = std::fs::read_to_string(reference_dir().join("multi_focal_reference.csv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        lines.next().unwrap(),
        "table,bucket,contrast,estimate,cr1_unit_se,rows,units"
    );
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-12);
    let cr1 = |m: &slate_estimate::inference::ClusteredMethod| m.method == InferenceMethod::Cr1;
    let mut checked = [0; 3];
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let contrast = Contrast::parse(f[2]).unwrap_or_else(|| panic!("contrast {}", f[2]));
        let (estimate, se): (f64, f64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        let (rows, units): (u32, u32) = (f[5].parse().unwrap(), f[6].parse().unwrap());
        // (estimate, se, rows, units) of the matching Rust row.
        let got = match f[0] {
            "contrast" => {
                checked[0] += 1;
                let i = (0..observed.len())
                    .find(|i| observed.contrast[*i] == contrast)
                    .unwrap();
                (
                    observed.estimate[i],
                    observed.cluster_se[i],
                    observed.treated_n[i] + observed.control_n[i],
                    observed.clusters[i],
                )
            }
            "displacement" => {
                checked[1] += 1;
                let i = (0..displacement.len())
                    .find(|i| {
                        displacement.displacement[*i] == f[1] && cr1(&displacement.method[*i])
                    })
                    .unwrap_or_else(|| panic!("no displacement row {}", f[1]));
                (
                    displacement.estimate[i],
                    displacement.se[i],
                    displacement.treated_n[i] + displacement.control_n[i],
                    displacement.clusters[i],
                )
            }
            _ => {
                checked[2] += 1;
                let i = (0..by_count.len())
                    .find(|i| {
                        by_count.n_focals[*i] == f[1]
                            && by_count.contrast[*i] == contrast
                            && cr1(&by_count.method[*i])
                    })
                    .unwrap_or_else(|| panic!("no focal-count row {} {}", f[1], f[2]));
                (
                    by_count.estimate[i],
                    by_count.se[i],
                    by_count.treated_n[i] + by_count.control_n[i],
                    by_count.clusters[i],
                )
            }
        };
        assert!(close(got.0, estimate), "{line}: estimate {}", got.0);
        assert!(close(got.1, se), "{line}: CR1 by unit {}", got.1);
        assert_eq!((got.2, got.3), (rows, units), "{line}");
    }
    assert_eq!(checked, [5, 3, 15]);
    // CR2 sits beside every CR1 row, and is wider with few units per bucket.
    assert_eq!(displacement.len(), 6);
    assert_eq!(by_count.len(), 30);
}

#[test]
fn every_contrast_lands_within_three_standard_errors_of_its_truth_in_any_design() {
    for (focals, target) in [(1, 1), (2, 2), (3, 1), (1, 4), (2, 3)] {
        let config = SyntheticConfig {
            slates: 4_000,
            slates_per_unit: 4,
            focals_per_slate: focals,
            target_position: target,
            ..SyntheticConfig::default()
        };
        let log = synthetic_log(&config, 11).unwrap();
        assert!((0..log.n_slates()).all(|s| log.focals(s).len() == focals));
        let tables = slate_exposure::map_exposure(&log).unwrap();
        let m = &tables.mapping;
        let truth = m.truth.as_ref().unwrap();
        let estimates =
            slate_estimate::run(Items::Rows(m), &(&tables.slates).into(), &estimate_config())
                .unwrap();
        let observed = &estimates.observed;
        for (i, contrast) in observed.contrast.iter().enumerate() {
            // The known effect of promotion on the contrast's rows (both arms).
            let in_contrast = |r: usize| match contrast {
                Contrast::DirectFocal => m.is_focal[r],
                Contrast::SameCluster => !m.is_focal[r] && m.same_cluster_as_focal[r],
                Contrast::Displaced => !m.is_focal[r] && m.displaced_by_promotion[r],
                Contrast::AllNonFocal => !m.is_focal[r],
                Contrast::TotalSlate => false,
            };
            let known = if *contrast == Contrast::TotalSlate {
                let t = tables.slates.truth.as_ref().unwrap();
                t.slate_promotion_effect().iter().sum::<f64>() / tables.slates.len() as f64
            } else {
                let lifts: Vec<f64> = (0..m.len())
                    .filter(|r| in_contrast(*r))
                    .map(|r| truth.click_prob_if_promoted[r] - truth.baseline_click_prob[r])
                    .collect();
                lifts.iter().sum::<f64>() / lifts.len() as f64
            };
            let z = (observed.estimate[i] - known) / observed.cluster_se[i];
            assert!(
                z.abs() < 3.0,
                "k = {focals}, t = {target}, {}: estimate {} vs truth {known} (z = {z:.2})",
                contrast.text(),
                observed.estimate[i]
            );
        }
        // Displacement by distance: with the focal items at slots t..t+k-1, each item seeded
        // in t..(lowest focal seed) moves down by the number of focal items seeded below it.
        let max_displacement = m.displacement.iter().max().copied().unwrap();
        assert_eq!(
            max_displacement as usize, focals,
            "k = {focals}, t = {target}"
        );
        assert!(
            m.displacement
                .iter()
                .zip(&m.seed_position)
                .all(|(d, seed)| *d == 0 || *seed as usize >= target),
            "items above the target slot never move"
        );
    }
}
