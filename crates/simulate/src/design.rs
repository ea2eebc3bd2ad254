//! The randomized design: the focal movies of each slate (one by default) and a slate-level
//! promotion coin.
//!
//! A focal movie's seed position is uniform on `focal_min_position..=focal_max_position`
//! (default 5–12: a lower-ranked movie that promotion would lift); with `focals_per_slate`
//! k > 1 the slate's k focal movies are distinct draws from it, and with `target_position` t
//! the window starts no higher than `t + k`, so every focal movie starts below its slot. Focal choice happens before
//! and independently of assignment, so focal position and relevance are balanced across arms by
//! design. Assignment is Bernoulli(p) per unit by default, or complete randomization (exactly
//! `round(p·n)` promoted units). The unit is the slate by default; under user randomization it
//! is the user, and all of a user's slates share one coin (units are numbered in user-id order,
//! so the coin of a user does not depend on the order slates were dealt).

use rand::Rng;
use rand::seq::SliceRandom;

use crate::config::{Assignment, DesignConfig, RandomizationUnit};
use crate::{Purpose, stream};

/// Each slate's focal movies: `focals_per_slate` distinct 0-based seed indexes, uniform on the
/// focal window ([`DesignConfig::focal_window`]), in seed order. The first is the draw of the
/// one-focal design, so one focal movie promoted to the top draws exactly as before.
pub fn choose_focals(n_slates: usize, config: &DesignConfig, seed: u64) -> Vec<Vec<usize>> {
    let window = config.focal_window();
    (0..n_slates)
        .map(|s| {
            let mut rng = stream(seed, Purpose::Focal, s as u64);
            let mut focals = Vec::with_capacity(config.focals_per_slate);
            while focals.len() < config.focals_per_slate {
                let f = rng.random_range(window.clone()) - 1;
                if !focals.contains(&f) {
                    focals.push(f);
                }
            }
            focals.sort_unstable();
            focals
        })
        .collect()
}

/// The promotion of a slate's focal movies (0-based seed indexes, in seed order): the i-th to
/// slot `target_position + i`.
pub fn promotions(focals: &[usize], config: &DesignConfig) -> Vec<slate_log::design::Promotion> {
    focals
        .iter()
        .enumerate()
        .map(|(i, f)| slate_log::design::Promotion {
            seed: *f as u32 + 1,
            target: (config.target_position + i) as u32,
        })
        .collect()
}

/// The randomization unit of each slate (0-based, dense) and the number of units: the slate
/// itself, or the rank of its user among the distinct users of `user_of_slate`.
pub fn units(user_of_slate: &[u32], unit: RandomizationUnit) -> (Vec<u32>, usize) {
    match unit {
        RandomizationUnit::Slate => (
            (0..user_of_slate.len() as u32).collect(),
            user_of_slate.len(),
        ),
        RandomizationUnit::User => {
            let mut users = user_of_slate.to_vec();
            users.sort_unstable();
            users.dedup();
            let index = user_of_slate
                .iter()
                .map(|u| users.binary_search(u).expect("every user is listed") as u32)
                .collect();
            (index, users.len())
        }
    }
}

/// Whether each slate is promoted, given its user: one coin per randomization unit.
pub fn assign(user_of_slate: &[u32], config: &DesignConfig, seed: u64) -> Vec<bool> {
    let (unit, n_units) = units(user_of_slate, config.unit);
    let promoted = assign_units(n_units, config, seed);
    unit.iter().map(|u| promoted[*u as usize]).collect()
}

/// Whether each of `n_units` units is promoted.
fn assign_units(n_units: usize, config: &DesignConfig, seed: u64) -> Vec<bool> {
    let n_slates = n_units;
    let p = config.promotion_probability;
    match config.assignment {
        Assignment::Bernoulli => (0..n_slates)
            .map(|s| stream(seed, Purpose::Assignment, s as u64).random::<f64>() < p)
            .collect(),
        Assignment::Complete => {
            let treated = (p * n_slates as f64).round() as usize;
            let mut arms: Vec<bool> = (0..n_slates).map(|s| s < treated).collect();
            arms.shuffle(&mut stream(seed, Purpose::Assignment, u64::MAX));
            arms
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focal_positions_stay_in_range_and_cover_it() {
        let config = DesignConfig::default();
        let focal: Vec<usize> = choose_focals(2_000, &config, 7)
            .into_iter()
            .map(|f| f[0])
            .collect();
        assert!(focal.iter().all(|f| (4..=11).contains(f)));
        for position in 4..=11 {
            assert!(focal.contains(&position), "position {position} never drawn");
        }
        // Two focal movies promoted to slots 3 and 4: distinct, in seed order, from seed
        // position 5 on (0-based 4).
        let two = DesignConfig {
            focals_per_slate: 2,
            target_position: 3,
            ..config
        };
        for f in choose_focals(500, &two, 7) {
            assert!(f.len() == 2 && f[0] < f[1] && f[0] >= 4, "{f:?}");
        }
    }

    #[test]
    fn bernoulli_rate_is_near_p_and_complete_is_exact() {
        let config = DesignConfig::default();
        let rate = assign_units(10_000, &config, 1)
            .iter()
            .filter(|p| **p)
            .count() as f64
            / 10_000.0;
        assert!((rate - 0.5).abs() < 0.02, "{rate}");
        let complete = DesignConfig {
            assignment: Assignment::Complete,
            promotion_probability: 0.3,
            ..config
        };
        assert_eq!(
            assign_units(1_001, &complete, 1)
                .iter()
                .filter(|p| **p)
                .count(),
            300
        );
    }

    #[test]
    fn slate_units_are_the_slates_and_user_units_share_one_coin() {
        let users = [7, 3, 7, 9, 3, 7];
        let config = DesignConfig::default();
        assert_eq!(
            assign(&users, &config, 5),
            assign_units(users.len(), &config, 5),
            "slate randomization ignores users"
        );
        assert_eq!(
            units(&users, RandomizationUnit::User),
            (vec![1, 0, 1, 2, 0, 1], 3)
        );
        let by_user = DesignConfig {
            unit: RandomizationUnit::User,
            ..config
        };
        for seed in 0..20 {
            let arms = assign(&users, &by_user, seed);
            for (a, b) in [(0, 2), (0, 5), (1, 4)] {
                assert_eq!(arms[a], arms[b], "a user's slates share an arm");
            }
        }
    }
}
