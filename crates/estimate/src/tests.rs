//! The suite on a synthetic log with known truth (`slate_log::synthetic`: the analysis never
//! depends on a source of logs): bootstrap agrees with the analytic cluster SE, the known lift
//! sits inside the observed intervals, and the decomposition adds up.

use std::sync::OnceLock;

use slate_exposure::{ExposureTables, map_exposure};
use slate_log::synthetic::{SyntheticConfig, synthetic_log};
use slate_table::Label;

use crate::contrasts::Contrast;
use crate::{EstimateConfig, EstimateTables, run};

/// The fixture's slate table as the estimate stage holds it (converted once).
fn design_slates() -> &'static slate_exposure::AnalysisSlates {
    static SLATES: OnceLock<slate_exposure::AnalysisSlates> = OnceLock::new();
    SLATES.get_or_init(|| (&design().0.slates).into())
}

/// The experiment's draw seed of the fixture.
const DRAW: u64 = 7;

fn design() -> &'static (ExposureTables, EstimateTables) {
    static DESIGN: OnceLock<(ExposureTables, EstimateTables)> = OnceLock::new();
    DESIGN.get_or_init(|| {
        let exposure =
            map_exposure(&synthetic_log(&SyntheticConfig::default(), DRAW).unwrap()).unwrap();
        let tables = run(
            crate::contrasts::Items::Rows(&exposure.mapping),
            &(&exposure.slates).into(),
            &EstimateConfig::default(),
        )
        .unwrap();
        (exposure, tables)
    })
}

#[test]
fn bootstrap_se_is_within_ten_percent_of_the_cluster_se() {
    let summary = &design().1.bootstrap_summary;
    assert_eq!(summary.len(), 5);
    for i in 0..summary.len() {
        let ratio = summary.bootstrap_to_cluster_se_ratio[i];
        assert!(
            (0.9..=1.1).contains(&ratio),
            "{}: bootstrap/cluster SE = {ratio}",
            summary.contrast[i]
        );
        assert_eq!(summary.valid_replicates[i], 500);
    }
}

#[test]
fn every_contrast_and_view_is_estimated_with_the_seed_labels() {
    let tables = &design().1;
    assert_eq!(tables.estimates.len(), 15);
    assert_eq!(tables.observed.len(), 5);
    assert_eq!(tables.observed.contrast[0].text(), "Direct focal item");
    assert_eq!(
        tables.observed.outcome[4].text(),
        "Observed total simulated clicks"
    );
    assert_eq!(
        tables.estimates.outcome[14].text(),
        "Known total induced lift"
    );
    // Signs of the mechanism: the focal gains, everyone else loses, the slate loses.
    let observed = &tables.observed.estimate;
    assert!(
        observed[0] > 0.0 && observed[1..].iter().all(|e| *e < 0.0),
        "{observed:?}"
    );
    // Slate clustering matters for item rows of the same slate.
    assert!(
        tables
            .se_comparison
            .cluster_to_naive_ratio
            .iter()
            .all(|r| r.is_finite() && *r > 0.5)
    );
}

#[test]
fn known_lift_is_covered_and_the_decomposition_adds_up() {
    let tables = &design().1;
    let covered = tables
        .validation
        .as_ref()
        .unwrap()
        .known_inside_observed_ci
        .iter()
        .filter(|c| **c)
        .count();
    assert!(
        covered >= 4,
        "known lift inside {covered}/5 observed intervals"
    );
    let parts = &tables
        .decomposition
        .as_ref()
        .unwrap()
        .mean_lift_per_promoted_slate;
    assert!(
        (parts[0] + parts[1] + parts[2] - parts[3]).abs() < 1e-9,
        "{parts:?}"
    );
    // The known-lift estimate of the total equals the decomposition's net (same slates, zero
    // lift in control).
    let total_known = tables.estimates.estimate[14];
    assert!((total_known - parts[3]).abs() < 1e-9);
}

#[test]
fn cluster_effects_respect_the_support_threshold() {
    let (exposure, tables) = design();
    let effects = &tables.cluster_effects;
    assert!(!effects.is_empty());
    for i in 0..effects.len() {
        assert!(effects.treated_n[i] >= 30 && effects.control_n[i] >= 30);
        assert!(
            effects.ci_95_lower[i] <= effects.estimate[i]
                && effects.estimate[i] <= effects.ci_95_upper[i]
        );
    }
    // Every (cluster, contrast) cell, however thin, then a threshold between the cells' arm
    // sizes: exactly the cells whose smaller arm reaches it are kept, and some are dropped.
    let items = crate::contrasts::Items::Rows(&exposure.mapping);
    let cells = |min_rows| crate::suite::cluster_effects(items, design_slates(), min_rows).unwrap();
    let all = cells(1);
    let smaller_arm =
        |t: &crate::tables::ClusterEffects, i: usize| t.treated_n[i].min(t.control_n[i]);
    let mut sizes: Vec<u32> = (0..all.len()).map(|i| smaller_arm(&all, i)).collect();
    sizes.sort_unstable();
    let threshold = sizes[sizes.len() / 2];
    assert!(
        sizes[0] < threshold,
        "the fixture's cells are all of one size: {sizes:?}"
    );
    let kept = cells(threshold as usize);
    let key =
        |t: &crate::tables::ClusterEffects, i: usize| (t.focal_cluster[i].clone(), t.contrast[i]);
    let expected: Vec<_> = (0..all.len())
        .filter(|i| smaller_arm(&all, *i) >= threshold)
        .map(|i| key(&all, i))
        .collect();
    let got: Vec<_> = (0..kept.len()).map(|i| key(&kept, i)).collect();
    assert_eq!(got, expected, "threshold {threshold}");
    assert!(
        got.len() < all.len(),
        "no cell was dropped at threshold {threshold}"
    );
}

#[test]
fn decomposition_is_additive_and_keeps_the_seed_signs() {
    let (exposure, _) = design();
    let tables = crate::run_decomposition(
        crate::contrasts::Items::Rows(&exposure.mapping),
        design_slates(),
        &EstimateConfig::default(),
    )
    .unwrap();
    assert_eq!(tables.effects.len(), 12);
    assert_eq!(tables.additivity.len(), 3);
    for i in 0..3 {
        assert!(
            tables.additivity.difference[i].abs() <= 1e-9,
            "{}",
            tables.additivity.outcome_type[i]
        );
        assert!(tables.additivity.additive[i]);
    }
    // Observed: direct positive, both indirect components negative, total negative.
    let observed = &tables.effects.estimate_per_slate[..4];
    assert!(
        observed[0] > 0.0 && observed[1] < 0.0 && observed[2] < 0.0 && observed[3] < 0.0,
        "{observed:?}"
    );
    assert!(tables.sensitivity.len() >= 5);
    assert_eq!(tables.product.len(), 5);
    let focal = tables
        .product
        .row(crate::decompose::ProductMetric::FocalGain)
        .unwrap();
    assert!(
        (tables.product.clicks_per_1000_promoted_slates[focal] - observed[0] * 1000.0).abs() < 1e-9
    );
    assert!(!tables.cluster_risk.is_empty() && tables.cluster_risk.len() <= 5);
    assert_eq!(tables.position_risk.len(), 3);
}

#[test]
fn inference_comparison_lists_every_method_and_randomization_agrees_on_strong_effects() {
    let (exposure, _) = design();
    let table = crate::inference_comparison(
        crate::contrasts::Items::Rows(&exposure.mapping),
        design_slates(),
        &EstimateConfig::default(),
        crate::randomization::Design::Bernoulli { p: 0.5 },
        None,
    )
    .unwrap();
    // The estimate stage reuses the pairs bootstrap and CR2 rows `run` computed: the same table.
    let tables = crate::run(
        crate::contrasts::Items::Rows(&exposure.mapping),
        design_slates(),
        &EstimateConfig::default(),
    )
    .unwrap();
    let reused = crate::inference_comparison(
        crate::contrasts::Items::Rows(&exposure.mapping),
        design_slates(),
        &EstimateConfig::default(),
        crate::randomization::Design::Bernoulli { p: 0.5 },
        Some(&tables),
    )
    .unwrap();
    // (Debug output compares the NaN cells too, which `==` never finds equal.)
    assert_eq!(format!("{reused:?}"), format!("{table:?}"));
    assert_eq!(
        table.len(),
        45,
        "5 contrasts x 9 methods (Lin adjustment included)"
    );
    for i in 0..table.len() {
        let what = format!("{} / {}", table.contrast[i], table.method[i]);
        assert!((0.0..=1.0).contains(&table.p_value[i]), "{what}");
        assert!(
            table.ci_95_lower[i] < table.estimate[i] && table.estimate[i] < table.ci_95_upper[i],
            "{what}: every method gives an interval around the estimate"
        );
    }
    // The direct effect is strong: every method rejects at 1%; randomization's floor is 1/2001.
    let direct: Vec<usize> = (0..table.len())
        .filter(|i| table.contrast[*i] == Contrast::DirectFocal)
        .collect();
    let cr1_width = {
        let i = direct[1];
        table.ci_95_upper[i] - table.ci_95_lower[i]
    };
    for i in direct {
        assert!(
            table.p_value[i] < 0.01,
            "{}: {}",
            table.method[i],
            table.p_value[i]
        );
        // With thousands of slates every slate-level method agrees with CR1 on the width.
        let width = table.ci_95_upper[i] - table.ci_95_lower[i];
        if table.method[i].method != crate::inference::InferenceMethod::Naive {
            assert!(
                (width / cr1_width - 1.0).abs() < 0.15,
                "{}: width {width} vs CR1 {cr1_width}",
                table.method[i]
            );
        }
    }
}

#[test]
fn coverage_study_is_deterministic_and_measures_the_design_truth() {
    use crate::coverage::{coverage_study, true_effect};
    use crate::inference::InferenceSettings;
    use crate::randomization::Design;
    let (exposure, _) = design();
    let truth: Vec<f64> = Contrast::ALL
        .iter()
        .map(|c| true_effect(*c, &exposure.mapping, design_slates()).unwrap())
        .collect();
    // The total is the sum of every item's lift per slate.
    let lift_sum: f64 = (0..exposure.mapping.len())
        .map(|r| {
            let truth = exposure.mapping.truth.as_ref().unwrap();
            truth.click_prob_if_promoted[r] - truth.baseline_click_prob[r]
        })
        .sum();
    assert!((truth[4] - lift_sum / exposure.slates.len() as f64).abs() < 1e-12);
    let settings = InferenceSettings {
        bootstrap_replicates: 99,
        randomization_draws: 199,
        seed: 3,
        design: Design::Bernoulli { p: 0.5 },
    };
    let run = |threads| {
        on_threads(threads, || {
            coverage_study(
                crate::tables::Scenario::Default,
                6,
                &truth,
                &settings,
                |r| redrawn(1000 + r as u64),
            )
            .unwrap()
        })
    };
    let table = run(1);
    assert_eq!(table, run(2));
    assert_eq!(table.len(), 45);
    assert!(
        table
            .scenario
            .iter()
            .all(|s| *s == crate::tables::Scenario::Default)
    );
    for i in 0..table.len() {
        assert_eq!(
            table.method[i],
            table.method_key[i].under(crate::inference::Clustering::Slate)
        );
        assert_eq!(
            table.coverage_consistent_with_nominal[i],
            (table.coverage[i] - 0.95).abs() <= 1.96 * (0.95f64 * 0.05 / 6.0).sqrt()
        );
    }
    for i in 0..table.len() {
        assert!((0.0..=1.0).contains(&table.coverage[i]));
        assert!(table.mean_width[i] > 0.0 && table.rmse[i] > 0.0);
    }
    // Every unadjusted method shares the point estimate (as do the two Lin rows), so bias and
    // RMSE agree within each, and a coverage is a whole number of replicates out of six.
    for c in Contrast::ALL {
        let rows: Vec<usize> = (0..table.len())
            .filter(|i| table.contrast[*i] == c)
            .collect();
        assert_eq!(rows.len(), 9);
        for i in &rows {
            use crate::inference::InferenceMethod::{LinCr1, LinCr2};
            let first = if [LinCr1, LinCr2].contains(&table.method_key[*i]) {
                rows[7]
            } else {
                rows[0]
            };
            assert_eq!(table.bias[*i], table.bias[first]);
            assert_eq!(table.rmse[*i], table.rmse[first]);
            let covered = table.coverage[*i] * 6.0;
            assert!((covered - covered.round()).abs() < 1e-9);
        }
    }
}

/// Runs `f` on a pool of `threads` threads.
fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// The synthetic design re-drawn with `draw` (a study's replicate).
fn redrawn(
    draw: u64,
) -> Result<
    (
        slate_exposure::ExposureMapping,
        slate_exposure::AnalysisSlates,
    ),
    crate::EstimateError,
> {
    let log = synthetic_log(&SyntheticConfig::default(), draw).map_err(|e| {
        crate::EstimateError::Replicate {
            replicate: draw as usize,
            message: e.to_string(),
        }
    })?;
    let tables = map_exposure(&log)?;
    Ok((tables.mapping, tables.slates.into()))
}

#[test]
fn power_study_agrees_with_its_analytic_power_and_ignores_the_thread_count() {
    use crate::power::{PowerDesign, power_study};
    let (exposure, _) = design();
    let truth: Vec<f64> = Contrast::ALL
        .iter()
        .map(|c| crate::coverage::true_effect(*c, &exposure.mapping, design_slates()).unwrap())
        .collect();
    let design = PowerDesign {
        scenario: crate::tables::Scenario::Default,
        n_slates: exposure.slates.len(),
        treated_share: 0.5,
        replicates: 60,
        alpha: 0.05,
        pilots: 5,
    };
    let run = |threads| {
        on_threads(threads, || {
            power_study(&design, &truth, |r| redrawn(5000 + r as u64)).unwrap()
        })
    };
    let table = run(1);
    assert_eq!(table, run(2));
    assert_eq!(table.len(), 10, "5 contrasts x (CR1, Lin CR1)");
    for i in 0..table.len() {
        let what = format!("{} / {}", table.contrast[i], table.method_key[i]);
        assert!((0.0..=1.0).contains(&table.power[i]), "{what}");
        assert!(
            table.agrees_with_analytic[i],
            "{what}: {} vs {}",
            table.power[i], table.analytic_power[i]
        );
        assert!(
            (table.analytic_se[i] / table.mean_se[i] - 1.0).abs() < 0.2,
            "{what}: analytic SE {} vs mean SE {}",
            table.analytic_se[i],
            table.mean_se[i]
        );
        assert!(table.mde_80[i] > 2.8 * table.analytic_se[i]);
    }
}

#[test]
fn pilot_power_scales_the_pilot_standard_error_with_the_units() {
    let (exposure, _) = design();
    let n = exposure.slates.len();
    let table =
        crate::power::pilot_power(&exposure.mapping, design_slates(), 0.5, &[n, 4 * n], 0.05)
            .unwrap();
    assert_eq!(table.len(), 20, "5 contrasts x 2 methods x 2 sizes");
    for pair in (0..table.len()).step_by(2) {
        let (here, four) = (pair, pair + 1);
        assert_eq!(table.n_slates[four], 4 * table.n_slates[here]);
        let ratio = table.analytic_se[here] / table.analytic_se[four];
        assert!((ratio - 2.0).abs() < 0.01, "{ratio}");
        assert!(table.power_at_pilot_estimate[four] >= table.power_at_pilot_estimate[here]);
        // At the pilot's own size and split the analytic SE is the pilot's CR1 (up to the
        // realized arm shares).
        assert!(
            (table.analytic_se[here] / table.pilot_se[here] - 1.0).abs() < 0.05,
            "{} {}: {} vs {}",
            table.contrast[here],
            table.method_key[here],
            table.analytic_se[here],
            table.pilot_se[here]
        );
    }
}

#[test]
fn each_labels_own_list_is_its_label_list() {
    use crate::decompose::{Component, ProductMetric};
    use crate::inference::InferenceMethod;
    assert_eq!(Contrast::ALL.as_slice(), <Contrast as Label>::ALL);
    assert_eq!(
        crate::contrasts::OutcomeView::ALL.as_slice(),
        <crate::contrasts::OutcomeView as Label>::ALL
    );
    assert_eq!(
        InferenceMethod::ALL.as_slice(),
        <InferenceMethod as Label>::ALL
    );
    assert_eq!(ProductMetric::ALL.as_slice(), <ProductMetric as Label>::ALL);
    assert_eq!(Component::ALL.as_slice(), <Component as Label>::ALL);
}

#[test]
fn samples_grouped_by_focal_cluster_equal_each_cluster_filtered_row_by_row() {
    use crate::contrasts::{
        FocalClusters, Items, OutcomeView, item_outcome, samples_by_group, slate_of_rows,
    };
    use crate::dim::Sample;
    let (exposure, _) = design();
    let (mapping, slates) = (&exposure.mapping, design_slates());
    let clusters = FocalClusters::of(slates);
    assert!(
        clusters.names.len() > 1,
        "the fixture has one focal cluster"
    );
    assert!(clusters.names.windows(2).all(|w| w[0] < w[1]));
    for contrast in Contrast::ALL {
        let grouped = samples_by_group(
            contrast,
            OutcomeView::Observed,
            Items::Rows(mapping),
            slates,
            &|s| clusters.group(s),
            clusters.names.len(),
        )
        .unwrap();
        assert_eq!(grouped.len(), clusters.names.len());
        let filled = grouped.iter().filter(|s| !s.y.is_empty()).count();
        assert!(filled > 1, "{contrast}: rows in {filled} cluster(s)");
        for (name, got) in clusters.names.iter().zip(&grouped) {
            // The reference: the contrast's rows of this cluster's slates, in row order.
            let in_cluster = |s: usize| slates.focal_cluster.name(s) == *name;
            let mut expected = Sample::default();
            if contrast.is_slate_level() {
                for s in (0..slates.len()).filter(|s| in_cluster(*s)) {
                    expected.y.push(f64::from(slates.total_observed_clicks[s]));
                    expected.treated.push(slates.promotion_applied[s]);
                    expected.cluster.push(slates.unit_index[s]);
                }
            } else {
                for (r, s) in slate_of_rows(mapping, slates).enumerate() {
                    if in_cluster(s) && contrast.includes(mapping, r) {
                        expected
                            .y
                            .push(item_outcome(mapping, OutcomeView::Observed, r));
                        expected.treated.push(mapping.promotion_applied[r]);
                        expected.cluster.push(mapping.unit_index[r]);
                    }
                }
            }
            assert_eq!(got, &expected, "{contrast} in {name}");
        }
    }
}
