//! Exposure roles on a hand-built slate pair, and readiness on a simulated design.

use slate_ingest::synthetic::SyntheticConfig;
use slate_simulate::{SimulatedSlates, SimulationConfig, simulate};

use crate::{ExposureError, map_exposure};

/// Two slates of four: focal at seed position 3 (cluster A); slate 0 promoted, slate 1 control.
fn two_slates() -> SimulatedSlates {
    let mut sim = SimulatedSlates::default();
    for slate in 0..2u32 {
        let promoted = slate == 0;
        let clusters = ["A", "B", "A", "A"];
        let finals: [u32; 4] = if promoted { [2, 3, 1, 4] } else { [1, 2, 3, 4] };
        for i in 0..4 {
            sim.slate_id.push(slate);
            sim.user_id.push(7);
            sim.session.push(slate);
            sim.movie_id.push(100 + i as u32);
            sim.cluster.push(clusters[i].to_string());
            sim.seed_position.push(i as u32 + 1);
            sim.final_position.push(finals[i]);
            sim.relevance.push(0.9 - 0.1 * i as f64);
            sim.is_focal.push(i == 2);
            sim.focal_seed_position.push(3);
            sim.promotion_applied.push(promoted);
            sim.assignment_probability.push(0.5);
            sim.click_prob_if_control.push(0.2);
            sim.click_prob_if_promoted
                .push(if i == 2 { 0.4 } else { 0.15 });
            sim.observed_click.push(i == 2 && promoted);
            sim.user_n_ratings.push(30);
            sim.user_mean_rating.push(3.5);
        }
    }
    sim
}

#[test]
fn roles_are_defined_from_the_seed_slate_in_both_arms() {
    let tables = map_exposure(&two_slates()).unwrap();
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
    assert_eq!(
        m.exposure_condition[0],
        "same-cluster competitor, displaced | promoted"
    );
    assert_eq!(m.exposure_condition[2], "focal | promoted");
    assert_eq!(m.exposure_condition[5], "displaced item | control");
    assert_eq!(m.position_shift[..4], [1, 1, -2, 0]);
    assert_eq!(m.known_induced_lift[2], 0.4 - 0.2);
    assert!(
        m.known_induced_lift[4..].iter().all(|l| *l == 0.0),
        "no lift in control"
    );
    let s = &tables.slates;
    assert_eq!(s.n_same_cluster_competitors, vec![2, 2]);
    assert_eq!(s.n_displaced_items, vec![2, 2]);
    assert_eq!(s.n_same_cluster_displaced, vec![1, 1]);
    assert_eq!(s.total_observed_clicks, vec![1, 0]);
    assert!((s.total_expected_clicks[0] - 0.85).abs() < 1e-12);
    assert!(
        (s.total_expected_clicks_if_promoted[1] - 0.85).abs() < 1e-12,
        "oracle exists for control slates"
    );
    assert!((s.slate_promotion_effect[1] - 0.05).abs() < 1e-12);
    assert_eq!(tables.assignment.promotion_applied, vec![true, false]);
}

#[test]
fn two_focal_rows_in_a_slate_are_rejected() {
    let mut sim = two_slates();
    sim.is_focal[0] = true;
    let err = map_exposure(&sim).unwrap_err();
    assert!(
        matches!(err, ExposureError::Invalid { slate_id: 0, .. }),
        "{err}"
    );
}

#[test]
fn assignment_varying_within_a_slate_is_rejected() {
    let mut sim = two_slates();
    sim.promotion_applied[1] = false;
    assert!(matches!(
        map_exposure(&sim),
        Err(ExposureError::Invalid { slate_id: 0, .. })
    ));
}

#[test]
fn simulated_design_passes_every_readiness_check_and_round_trips() {
    let synthetic = SyntheticConfig {
        users: 150,
        movies: 800,
        ratings: 15_000,
        tags: 10,
        ..SyntheticConfig::default()
    };
    let dataset = slate_ingest::synthetic_dataset(&synthetic, 20).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut config = SimulationConfig::default();
    config.slates.n_slates = 1_000;
    let tables = map_exposure(&simulate(&dataset, &config).unwrap()).unwrap();
    for check in &tables.readiness {
        assert!(check.passed, "readiness check failed: {check:?}");
    }
    assert_eq!(tables.mapping.len(), 12_000);
    crate::write(&tables, out.path()).unwrap();
    assert_eq!(crate::read_mapping(out.path()).unwrap(), tables.mapping);
    assert_eq!(crate::read_slates(out.path()).unwrap(), tables.slates);
}
