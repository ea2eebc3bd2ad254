//! Slate and design invariants on a small synthetic dataset.

use std::sync::OnceLock;

use slate_ingest::Dataset;
use slate_ingest::synthetic::SyntheticConfig;

use crate::config::SimulationConfig;
use crate::{SimulateError, SimulatedSlates, simulate};

fn dataset() -> &'static Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let config = SyntheticConfig {
            users: 120,
            movies: 600,
            ratings: 12_000,
            tags: 20,
            ..SyntheticConfig::default()
        };
        slate_ingest::synthetic_dataset(&config, 20).unwrap()
    })
}

pub(crate) fn small_config() -> SimulationConfig {
    let mut config = SimulationConfig::default();
    config.slates.n_slates = 300;
    config
}

pub(crate) fn slates(config: &SimulationConfig) -> SimulatedSlates {
    simulate(dataset(), config).unwrap()
}

#[test]
fn every_slate_has_twelve_items_one_focal_and_permuted_positions() {
    let out = slates(&small_config());
    assert_eq!(out.len(), 300 * 12);
    for s in 0..300 {
        let rows: Vec<usize> = (s * 12..(s + 1) * 12).collect();
        assert!(rows.iter().all(|r| out.slate_id[*r] == s as u32));
        assert_eq!(
            rows.iter().filter(|r| out.is_focal[**r]).count(),
            1,
            "slate {s}"
        );
        let seed: Vec<u32> = rows.iter().map(|r| out.seed_position[*r]).collect();
        assert_eq!(seed, (1..=12).collect::<Vec<_>>());
        let mut shown: Vec<u32> = rows.iter().map(|r| out.final_position[*r]).collect();
        shown.sort_unstable();
        assert_eq!(
            shown,
            (1..=12).collect::<Vec<_>>(),
            "final positions must be a permutation"
        );
        let promoted = out.promotion_applied[rows[0]];
        assert!(
            rows.iter().all(|r| out.promotion_applied[*r] == promoted),
            "constant within slate"
        );
        let focal = rows.iter().copied().find(|r| out.is_focal[*r]).unwrap();
        let focal_seed = out.seed_position[focal];
        assert!((5..=12).contains(&focal_seed));
        for r in &rows {
            let (seed, shown) = (out.seed_position[*r], out.final_position[*r]);
            let expected = match (promoted, *r == focal, seed < focal_seed) {
                (false, _, _) => seed,
                (true, true, _) => 1,
                (true, false, true) => seed + 1,
                (true, false, false) => seed,
            };
            assert_eq!(shown, expected, "slate {s} row {r}");
        }
        // Relevance decreases along the seed ranking.
        assert!(
            rows.windows(2)
                .all(|w| out.relevance[w[0]] >= out.relevance[w[1]])
        );
    }
}

#[test]
fn potential_outcomes_exist_in_both_arms_and_promotion_moves_them_as_designed() {
    let out = slates(&small_config());
    for r in 0..out.len() {
        let (c, t) = (out.click_prob_if_control[r], out.click_prob_if_promoted[r]);
        assert!((0.0..=1.0).contains(&c) && (0.0..=1.0).contains(&t));
        if out.is_focal[r] {
            assert!(t > c, "promotion must help the focal movie");
        } else {
            assert!(t < c, "promotion must cost every other movie");
        }
    }
    let promoted = out.promotion_applied.iter().filter(|p| **p).count();
    assert!(promoted > 0 && promoted < out.len());
}

#[test]
fn same_seed_is_identical_whatever_the_thread_count() {
    let config = small_config();
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| slates(&config))
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
    let mut other = config.clone();
    other.seed.0 += 1;
    assert_ne!(
        one,
        slates(&other),
        "a different seed must give a different draw"
    );
}

#[test]
fn fewer_users_than_slates_gives_several_sessions_per_user() {
    let out = slates(&small_config());
    let max_session = out.session.iter().copied().max().unwrap();
    assert!(
        max_session >= 1,
        "120 users for 300 slates needs repeat sessions"
    );
}

#[test]
fn no_eligible_user_is_a_clear_error() {
    let mut config = small_config();
    config.slates.min_user_ratings = 100_000;
    let err = simulate(dataset(), &config).unwrap_err();
    assert!(
        matches!(err, SimulateError::NoEligibleUsers { .. }),
        "{err}"
    );
}

#[test]
fn slate_larger_than_every_candidate_pool_is_a_clear_error() {
    let mut config = small_config();
    config.slates.slate_size = 700;
    config.slates.candidate_pool = 700;
    config.design.focal_max_position = 12;
    let err = simulate(dataset(), &config).unwrap_err();
    assert!(
        matches!(err, SimulateError::NoEligibleUsers { too_few_candidates, .. } if too_few_candidates > 0),
        "{err}"
    );
}

#[test]
fn round_trips_through_parquet() {
    let out = slates(&small_config());
    let dir = tempfile::tempdir().unwrap();
    crate::write(&out, dir.path()).unwrap();
    assert_eq!(crate::read(dir.path()).unwrap(), out);
}

#[test]
fn users_with_too_few_ratings_get_no_slate() {
    let mut config = small_config();
    config.slates.min_user_ratings = 60;
    let out = slates(&config);
    let eligible: std::collections::HashSet<u32> = {
        let mut counts = std::collections::HashMap::new();
        for u in &dataset().ratings.user_id {
            *counts.entry(*u).or_insert(0usize) += 1;
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n >= 60)
            .map(|(u, _)| u)
            .collect()
    };
    assert!(!eligible.is_empty());
    assert!(
        out.user_id.iter().all(|u| eligible.contains(u)),
        "an ineligible user got a slate"
    );
}

#[test]
fn redraw_with_the_original_seed_reproduces_the_simulation_and_a_new_seed_keeps_the_truth() {
    let config = small_config();
    let base = slates(&config);
    let same = crate::redraw(&base, &config.design, config.seed.0).unwrap();
    assert!(same == base, "redraw with the original seed differs");
    let other = crate::redraw(&base, &config.design, config.seed.0 + 1).unwrap();
    assert_ne!(other.promotion_applied, base.promotion_applied);
    assert_eq!(other.click_prob_if_promoted, base.click_prob_if_promoted);
    assert_eq!(other.click_prob_if_control, base.click_prob_if_control);
    assert_eq!(other.movie_id, base.movie_id);
    for r in 0..other.len() {
        if other.is_focal[r] {
            let expected = if other.promotion_applied[r] {
                1
            } else {
                other.seed_position[r]
            };
            assert_eq!(other.final_position[r], expected);
        }
    }
}

#[test]
fn user_randomization_with_logit_shifts_keeps_users_in_one_arm_and_shares_their_shift() {
    // The studies' correlated, user-randomized scenario.
    let base = small_config();
    let mut config = base.clone();
    config.clicks.user_logit_sd = 0.5;
    config.clicks.session_logit_sd = 0.25;
    config.slates.sessions_per_user = 5;
    config.design.unit = crate::config::RandomizationUnit::User;
    config.check().unwrap();
    let out = slates(&config);
    let plain = slates(&base);
    // ⌈300 / 5⌉ = 60 users, five slates each.
    let mut per_user = std::collections::BTreeMap::<u32, std::collections::BTreeSet<u32>>::new();
    for r in 0..out.len() {
        per_user
            .entry(out.user_id[r])
            .or_default()
            .insert(out.slate_id[r]);
    }
    assert_eq!(per_user.len(), 60);
    assert!(per_user.values().all(|s| s.len() == 5));
    // One arm per user, both arms used; a redraw keeps it that way.
    for drawn in [
        out.clone(),
        crate::redraw(&out, &config.design, 99).unwrap(),
    ] {
        let mut arm = std::collections::BTreeMap::new();
        for r in 0..drawn.len() {
            let a = *arm
                .entry(drawn.user_id[r])
                .or_insert(drawn.promotion_applied[r]);
            assert_eq!(a, drawn.promotion_applied[r], "user {}", drawn.user_id[r]);
        }
        assert!(arm.values().any(|a| *a) && arm.values().any(|a| !*a));
    }
    // The shift is part of the population (both potential outcomes carry it).
    let shifted = (0..out.len())
        .filter(|r| out.click_prob_if_control[*r] != plain.click_prob_if_control[*r])
        .count();
    assert!(shifted > out.len() / 2, "shifts change most probabilities");
    // The log's unit is the user.
    let log = crate::log::impression_log(&out, config.design.unit);
    assert_eq!(
        log.unit_id,
        out.user_id
            .iter()
            .map(|u| i64::from(*u))
            .collect::<Vec<_>>()
    );
}

#[test]
fn hero_engagement_makes_some_slates_gain_from_promotion() {
    let total_effects = |config: &SimulationConfig| -> Vec<f64> {
        let out = slates(config);
        let mut effects = vec![0.0; 300];
        for r in 0..out.len() {
            effects[out.slate_id[r] as usize] +=
                out.click_prob_if_promoted[r] - out.click_prob_if_control[r];
        }
        effects
    };
    let default = total_effects(&small_config());
    let mut hero = small_config();
    hero.clicks.hero_engagement = 0.15;
    let hetero = total_effects(&hero);
    assert!(
        default.iter().all(|e| *e < 0.0),
        "no slate gains by default"
    );
    let gaining = hetero.iter().filter(|e| **e > 0.0).count();
    assert!(
        (15..285).contains(&gaining),
        "some but not all slates gain: {gaining} of 300"
    );
}

#[test]
fn blocks_of_any_size_give_the_same_rows() {
    let config = small_config();
    let whole = slates(&config);
    for block in [1, 7, 300, 4096] {
        assert_eq!(
            crate::run::simulate_in_blocks(dataset(), &config, block).unwrap(),
            whole
        );
    }
}

/// Two focal movies per slate promoted to slots 3 and 4: each drawn below its slot, shown at
/// it in promoted slates with the others in seed order, and the impression log reads back
/// through the analysis's validation with the design's targets.
#[test]
fn several_focal_movies_go_to_their_slots_and_the_log_reads_back() {
    let mut config = small_config();
    config.design.focals_per_slate = 2;
    config.design.target_position = 3;
    config.design.unit = crate::config::RandomizationUnit::User;
    let out = slates(&config);
    for s in 0..300 {
        let rows: Vec<usize> = (s * 12..(s + 1) * 12).collect();
        let focal: Vec<usize> = rows.iter().copied().filter(|r| out.is_focal[*r]).collect();
        assert_eq!(focal.len(), 2, "slate {s}");
        let targets: Vec<u32> = focal.iter().map(|r| out.target_position[*r]).collect();
        assert_eq!(targets, [3, 4]);
        assert!(out.seed_position[focal[0]] >= 5, "below its slot");
        if out.promotion_applied[rows[0]] {
            let shown: Vec<u32> = focal.iter().map(|r| out.final_position[*r]).collect();
            assert_eq!(shown, [3, 4]);
            let others: Vec<u32> = rows
                .iter()
                .filter(|r| !out.is_focal[**r])
                .map(|r| out.final_position[*r])
                .collect();
            assert_eq!(others, [1, 2, 5, 6, 7, 8, 9, 10, 11, 12]);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = crate::log::write_log(&out, config.design.unit, dir.path()).unwrap();
    let (log, dropped) = slate_log::read_log(
        &path,
        &crate::log::log_config(),
        slate_log::OnBadSlate::Error,
    )
    .unwrap();
    assert!(dropped.is_empty());
    assert_eq!(log.focal_rows.len(), 600);
    assert!((0..300).all(|s| log.focal_targets(s) == [3, 4]));
    // Truth: every non-focal movie loses (two tiles' attention, and for the movies from slot 3
    // on a push down).
    let truth = log.truth.as_ref().unwrap();
    for r in 0..log.n_rows() {
        if !log.is_focal[r] {
            assert!(truth.if_promoted[r] < truth.if_control[r], "row {r}");
        }
    }
}
