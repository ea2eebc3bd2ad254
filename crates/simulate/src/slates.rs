//! Building seed slates: which users get slates, and which movies in which order.
//!
//! **Eligibility.** A user is eligible with at least `min_user_ratings` ratings and at least
//! `slate_size` candidate movies (unrated, with `min_movie_ratings` ratings or more).
//!
//! **Users and sessions.** With at least as many eligible users as slates, `n_slates` distinct
//! users are drawn uniformly (one slate each). With fewer (ml-latest-small has 610 users for
//! 3,000 slates), eligible users are shuffled once and slates are dealt to them round-robin, so
//! every user contributes ⌊n/E⌋ or ⌈n/E⌉ sessions; `session` numbers a user's slates from 0.
//! With `sessions_per_user = k > 0` only `⌈n/k⌉` users are drawn (or every eligible user, if
//! fewer) and dealt slates the same way, so each holds about `k` sessions on any dataset.
//!
//! **Movies.** Each user's candidates are scored by the relevance model and the top
//! `candidate_pool` kept. A session draws `slate_size` of them without replacement by
//! Plackett–Luce sampling with weights `relevance^(1/temperature)` (Gumbel top-k), like a
//! recommender that explores a little around its best guesses; sessions of one user thus
//! differ. The drawn movies are shown ranked by relevance: that order is the seed position.

use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::config::SlateConfig;
use crate::relevance::{RelevanceModel, UserStats};
use crate::{Purpose, SimulateError, stream};

/// One movie on a seed slate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlateItem {
    /// Dense movie index in the relevance model.
    pub movie: u32,
    /// Dense cluster index.
    pub cluster: u32,
    /// Relevance for the slate's user.
    pub relevance: f64,
}

/// A seed slate: items in seed order (index 0 is position 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Slate {
    /// The user.
    pub user_id: u32,
    /// The user's session number.
    pub session: u32,
    /// The user's ratings summary.
    pub user: UserStats,
    /// Items ranked by relevance.
    pub items: Vec<SlateItem>,
}

/// Builds `config.n_slates` seed slates (slate `s` is the s-th element).
pub fn build(
    model: &RelevanceModel,
    config: &SlateConfig,
    seed: u64,
) -> Result<Vec<Slate>, SimulateError> {
    let n_users = model.users.len();
    let enough_ratings: Vec<usize> = (0..n_users)
        .filter(|u| model.user_rating_count(*u) >= config.min_user_ratings)
        .collect();
    // Candidate pools of users with enough ratings (computed only for users that get slates
    // would be cheaper at ML-32M scale, but the eligibility count needs every pool size; the
    // count below is cheap because scoring is linear in the catalogue).
    let mut order = enough_ratings.clone();
    order.shuffle(&mut stream(seed, Purpose::Users, 0));

    // Walk the shuffled users, keeping those with enough candidates, until we have enough
    // users for one slate each (or run out).
    let users_needed = match config.sessions_per_user {
        0 => config.n_slates,
        k => config.n_slates.div_ceil(k),
    };
    let mut chosen: Vec<(usize, Vec<(u32, f64)>)> = Vec::new();
    let mut too_few_candidates = 0usize;
    const BATCH: usize = 256;
    for batch in order.chunks(BATCH) {
        let pools: Vec<(usize, Vec<(u32, f64)>)> = batch
            .par_iter()
            .map(|u| (*u, top_pool(model, *u, config)))
            .collect();
        for (u, pool) in pools {
            if pool.len() < config.slate_size {
                too_few_candidates += 1;
            } else if chosen.len() < users_needed {
                chosen.push((u, pool));
            }
        }
        if chosen.len() >= users_needed {
            break;
        }
    }
    if chosen.is_empty() {
        return Err(SimulateError::NoEligibleUsers {
            users: n_users,
            too_few_ratings: n_users - enough_ratings.len(),
            too_few_candidates,
            min_user_ratings: config.min_user_ratings,
            slate_size: config.slate_size,
        });
    }
    let eligible = chosen.len();
    Ok((0..config.n_slates)
        .into_par_iter()
        .map(|s| {
            let (user, pool) = &chosen[s % eligible];
            let mut rng = stream(seed, Purpose::Session, s as u64);
            Slate {
                user_id: model.users[*user],
                session: (s / eligible) as u32,
                user: model.user_stats(*user),
                items: sample_session(model, pool, config, &mut rng),
            }
        })
        .collect())
}

/// The user's `candidate_pool` most relevant candidates, best first (ties by movie index).
fn top_pool(model: &RelevanceModel, user: usize, config: &SlateConfig) -> Vec<(u32, f64)> {
    model.top_candidates(user, config.min_movie_ratings, config.candidate_pool)
}

/// Draws one session's slate from a pool (Gumbel top-k) and ranks it by relevance.
fn sample_session(
    model: &RelevanceModel,
    pool: &[(u32, f64)],
    config: &SlateConfig,
    rng: &mut impl Rng,
) -> Vec<SlateItem> {
    let inverse_temperature = 1.0 / config.exploration_temperature;
    let mut keyed: Vec<(f64, u32, f64)> = pool
        .iter()
        .map(|(movie, relevance)| {
            let uniform: f64 = 1.0 - rng.random::<f64>();
            let gumbel = -(-uniform.ln()).ln();
            (
                inverse_temperature * relevance.ln() + gumbel,
                *movie,
                *relevance,
            )
        })
        .collect();
    keyed.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    keyed.truncate(config.slate_size);
    keyed.sort_unstable_by(|a, b| b.2.total_cmp(&a.2).then(a.1.cmp(&b.1)));
    // A new vector of the slate's size: collecting `keyed.into_iter()` would reuse its
    // allocation, sized for the whole candidate pool (60 × 24 bytes kept per slate, 1.4 GB at
    // a million slates, instead of 12 × 16).
    let mut items = Vec::with_capacity(keyed.len());
    items.extend(keyed.iter().map(|&(_, movie, relevance)| SlateItem {
        movie,
        cluster: model.cluster[movie as usize],
        relevance,
    }));
    items
}
