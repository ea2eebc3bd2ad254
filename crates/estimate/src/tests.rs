//! The suite on a simulated design: bootstrap agrees with the analytic cluster SE, the known
//! lift sits inside the observed intervals, and the decomposition adds up.

use std::sync::OnceLock;

use slate_exposure::{ExposureTables, map_exposure};
use slate_ingest::synthetic::{SyntheticConfig, generate};
use slate_ingest::{IngestConfig, ingest};
use slate_simulate::{SimulationConfig, simulate};

use crate::contrasts::{Contrast, OutcomeView};
use crate::{EstimateConfig, EstimateTables, run};

fn design() -> &'static (ExposureTables, EstimateTables) {
    static DESIGN: OnceLock<(ExposureTables, EstimateTables)> = OnceLock::new();
    DESIGN.get_or_init(|| {
        let raw = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let synthetic = SyntheticConfig {
            users: 300,
            movies: 1_200,
            ratings: 24_000,
            tags: 10,
            ..SyntheticConfig::default()
        };
        generate(&synthetic, raw.path()).unwrap();
        let dataset = ingest(raw.path(), out.path(), &IngestConfig::default(), 20)
            .unwrap()
            .dataset;
        let exposure =
            map_exposure(&simulate(&dataset, &SimulationConfig::default()).unwrap()).unwrap();
        let tables = run(
            &exposure.mapping,
            &exposure.slates,
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
    assert_eq!(tables.observed.contrast[0], "Direct focal item");
    assert_eq!(
        tables.observed.outcome[4],
        "Observed total simulated clicks"
    );
    assert_eq!(
        Contrast::TotalSlate.outcome_label(OutcomeView::KnownLift),
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
        .known_inside_observed_ci
        .iter()
        .filter(|c| **c)
        .count();
    assert!(
        covered >= 4,
        "known lift inside {covered}/5 observed intervals"
    );
    let parts = &tables.decomposition.mean_lift_per_promoted_slate;
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
    let tables = &design().1;
    let effects = &tables.cluster_effects;
    assert!(!effects.is_empty());
    for i in 0..effects.len() {
        assert!(effects.treated_n[i] >= 30 && effects.control_n[i] >= 30);
        assert!(
            effects.ci_95_lower[i] <= effects.estimate[i]
                && effects.estimate[i] <= effects.ci_95_upper[i]
        );
    }
}

#[test]
fn decomposition_is_additive_and_keeps_the_seed_signs() {
    let (exposure, _) = design();
    let tables = crate::run_decomposition(
        &exposure.mapping,
        &exposure.slates,
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
    assert_eq!(tables.recommendations.len(), 4);
    assert!(tables.recommendations.evidence[0].contains(&format!("{:.1}", observed[0] * 1000.0)));
    assert!(!tables.cluster_risk.is_empty() && tables.cluster_risk.len() <= 5);
    assert_eq!(tables.position_risk.len(), 3);
}

#[test]
fn inference_comparison_lists_every_method_and_randomization_agrees_on_strong_effects() {
    let (exposure, tables) = design();
    let table = crate::inference_comparison(
        tables,
        &exposure.mapping,
        &exposure.slates,
        &EstimateConfig::default(),
    )
    .unwrap();
    assert_eq!(table.len(), 35, "5 contrasts x 7 methods");
    for i in 0..table.len() {
        assert!(
            (0.0..=1.0).contains(&table.p_value[i]),
            "{} {}",
            table.contrast[i],
            table.method[i]
        );
    }
    // The direct effect is strong: every method rejects at 1%; randomization's floor is 1/2001.
    for i in (0..table.len()).filter(|i| table.contrast[*i] == "Direct focal item") {
        assert!(
            table.p_value[i] < 0.01,
            "{}: {}",
            table.method[i],
            table.p_value[i]
        );
    }
}
