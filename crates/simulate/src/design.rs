//! The randomized design: one focal movie per slate and a slate-level promotion coin.
//!
//! The focal movie's seed position is uniform on `focal_min_position..=focal_max_position`
//! (default 5–12: a lower-ranked movie that promotion would lift). Focal choice happens before
//! and independently of assignment, so focal position and relevance are balanced across arms by
//! design. Assignment is Bernoulli(p) per slate by default, or complete randomization (exactly
//! `round(p·n)` promoted slates).

use rand::Rng;
use rand::seq::SliceRandom;

use crate::config::{Assignment, DesignConfig};
use crate::{Purpose, stream};

/// The 0-based seed index of each slate's focal movie.
pub fn choose_focal(n_slates: usize, config: &DesignConfig, seed: u64) -> Vec<usize> {
    (0..n_slates)
        .map(|s| {
            let mut rng = stream(seed, Purpose::Focal, s as u64);
            rng.random_range(config.focal_min_position..=config.focal_max_position) - 1
        })
        .collect()
}

/// Whether each slate is promoted.
pub fn assign(n_slates: usize, config: &DesignConfig, seed: u64) -> Vec<bool> {
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
        let focal = choose_focal(2_000, &config, 7);
        assert!(focal.iter().all(|f| (4..=11).contains(f)));
        for position in 4..=11 {
            assert!(focal.contains(&position), "position {position} never drawn");
        }
    }

    #[test]
    fn bernoulli_rate_is_near_p_and_complete_is_exact() {
        let config = DesignConfig::default();
        let rate = assign(10_000, &config, 1).iter().filter(|p| **p).count() as f64 / 10_000.0;
        assert!((rate - 0.5).abs() < 0.02, "{rate}");
        let complete = DesignConfig {
            assignment: Assignment::Complete,
            promotion_probability: 0.3,
            ..config
        };
        assert_eq!(
            assign(1_001, &complete, 1).iter().filter(|p| **p).count(),
            300
        );
    }
}
