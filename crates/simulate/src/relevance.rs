//! The relevance model that ranks seed slates: popularity × user-genre affinity, learned from
//! the ratings.
//!
//! For user `u` and an unrated movie `m` with genres `G(m)`:
//!
//! ```text
//! relevance(u, m) = σ( b0 + wq·Q(m) + wp·P(m) + wa·mean_{g∈G(m)} A(u, g) + ws·max_{g∈G(m)} S(u, g) )
//! Q(m)    = (Σ r_m + k_q·μ) / (n_m + k_q) − μ          shrunken mean rating, centred (stars)
//! P(m)    = ln(1 + n_m) / ln(1 + max_m n_m)             log-popularity in [0, 1]
//! A(u, g) = Σ_{i∈g} (r_ui − r̄_u) / (n_ug + k_a)         user's centred liking of genre g
//! S(u, g) = n_ug / n_u                                  share of the user's ratings in genre g
//! ```
//!
//! σ is the logistic function, so relevance is in (0, 1): an interpretable "chance the user
//! likes it" score. It is deliberately simple and transparent: every term is a statistic of the
//! ratings, the weights are in the config, and it has real signal (on MovieLens, genre share and
//! quality separate a user's liked from unliked movies). ALS would fit better but would add a
//! linear-algebra dependency this stage does not otherwise need.

use slate_ingest::ids::IdIndex;
use std::collections::{BinaryHeap, HashMap};

use slate_ingest::Dataset;

use crate::config::RelevanceConfig;

/// Movie-side statistics and the ratings grouped by user.
#[derive(Debug, Clone)]
pub struct RelevanceModel {
    config: RelevanceConfig,
    /// Dense movie index → movie id.
    pub movie_id: Vec<u32>,
    /// Dense movie index → dense cluster index.
    pub cluster: Vec<u32>,
    /// Cluster names by dense index (sorted), each allocated once and shared by every item row
    /// of the cluster.
    pub cluster_names: Vec<slate_table::SharedStr>,
    genres: Vec<Vec<u16>>,
    /// Distinct genre combinations, in catalogue order of first appearance.
    genre_sets: Vec<Vec<u16>>,
    /// Per genre combination, its movies by `base` score, best first (ties by movie index).
    by_base: Vec<Vec<u32>>,
    n_genres: usize,
    /// The user-independent part of each movie's score: intercept, quality and popularity
    /// terms, added in the order [`RelevanceModel::score_candidates`] adds them.
    base: Vec<f64>,
    rating_count: Vec<u32>,
    /// Users in ascending id order.
    pub users: Vec<u32>,
    offsets: Vec<usize>,
    rated_movie: Vec<u32>,
    rated_value: Vec<f64>,
}

/// One user's ratings summary, as slate features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserStats {
    /// Number of ratings.
    pub n_ratings: u32,
    /// Mean rating.
    pub mean_rating: f64,
}

impl RelevanceModel {
    /// Learns movie statistics and indexes the ratings by user.
    pub fn fit(dataset: &Dataset, config: &RelevanceConfig) -> Self {
        let movies = &dataset.movies;
        let ratings = &dataset.ratings;
        // Each movie id's row (no table sized by the largest id: hashed ids near 2^32 work).
        let dense = IdIndex::rows(&movies.movie_id);
        let row_of = |movie: u32| {
            dense
                .get(movie)
                .expect("every rated movie is in the catalogue")
        };
        let mut genre_ids: HashMap<&str, u16> = HashMap::new();
        let mut genre_names: Vec<&str> =
            movies.genres.iter().flatten().map(String::as_str).collect();
        genre_names.sort_unstable();
        genre_names.dedup();
        for (i, g) in genre_names.iter().enumerate() {
            genre_ids.insert(g, i as u16);
        }
        let genres: Vec<Vec<u16>> = movies
            .genres
            .iter()
            .map(|list| list.iter().map(|g| genre_ids[g.as_str()]).collect())
            .collect();
        let mut cluster_names: Vec<String> = movies.cluster.clone();
        cluster_names.sort_unstable();
        cluster_names.dedup();
        let cluster = movies
            .cluster
            .iter()
            .map(|c| cluster_names.binary_search(c).unwrap_or(0) as u32)
            .collect();
        let cluster_names = cluster_names.into_iter().map(Into::into).collect();

        let n = movies.movie_id.len();
        let mut count = vec![0u32; n];
        let mut sum = vec![0f64; n];
        for (movie, rating) in ratings.movie_id.iter().zip(&ratings.rating) {
            let m = row_of(*movie) as usize;
            count[m] += 1;
            sum[m] += rating;
        }
        let total: f64 = sum.iter().sum();
        let global_mean = total / ratings.rating.len().max(1) as f64;
        let k = config.quality_prior_count;
        let quality = (0..n)
            .map(|m| (sum[m] + k * global_mean) / (f64::from(count[m]) + k) - global_mean)
            .collect();
        let max_count = f64::from(count.iter().copied().max().unwrap_or(0));
        let popularity = count
            .iter()
            .map(|c| {
                if max_count > 0.0 {
                    (1.0 + f64::from(*c)).ln() / (1.0 + max_count).ln()
                } else {
                    0.0
                }
            })
            .collect();

        // Ratings grouped by user (counting sort over user ids, stable within a user).
        let mut users: Vec<u32> = ratings.user_id.clone();
        users.sort_unstable();
        users.dedup();
        let user_dense = IdIndex::new(users.iter().copied().zip(0..).collect());
        let user_of = |u: u32| user_dense.get(u).expect("every user is listed") as usize;
        let mut offsets = vec![0usize; users.len() + 1];
        for u in &ratings.user_id {
            offsets[user_of(*u) + 1] += 1;
        }
        for i in 0..users.len() {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets.clone();
        let mut rated_movie = vec![0u32; ratings.user_id.len()];
        let mut rated_value = vec![0f64; ratings.user_id.len()];
        for ((u, m), r) in ratings
            .user_id
            .iter()
            .zip(&ratings.movie_id)
            .zip(&ratings.rating)
        {
            let slot = &mut cursor[user_of(*u)];
            rated_movie[*slot] = row_of(*m);
            rated_value[*slot] = *r;
            *slot += 1;
        }
        let mut set_index: HashMap<&[u16], u32> = HashMap::new();
        let mut genre_sets: Vec<Vec<u16>> = Vec::new();
        let genre_set: Vec<u32> = genres
            .iter()
            .map(|list| {
                *set_index.entry(list.as_slice()).or_insert_with(|| {
                    genre_sets.push(list.clone());
                    genre_sets.len() as u32 - 1
                })
            })
            .collect();
        let quality: Vec<f64> = quality;
        let popularity: Vec<f64> = popularity;
        let base: Vec<f64> = quality
            .iter()
            .zip(&popularity)
            .map(|(q, p)| {
                config.intercept + config.quality_weight * q + config.popularity_weight * p
            })
            .collect();
        let mut by_base: Vec<Vec<u32>> = vec![Vec::new(); genre_sets.len()];
        for (m, set) in genre_set.iter().enumerate() {
            by_base[*set as usize].push(m as u32);
        }
        for list in &mut by_base {
            list.sort_unstable_by(|a, b| {
                base[*b as usize]
                    .total_cmp(&base[*a as usize])
                    .then(a.cmp(b))
            });
        }
        Self {
            config: config.clone(),
            movie_id: movies.movie_id.clone(),
            cluster,
            cluster_names,
            genre_sets,
            by_base,
            genres,
            n_genres: genre_names.len(),
            base,
            rating_count: count,
            users,
            offsets,
            rated_movie,
            rated_value,
        }
    }

    /// Number of ratings of the user at dense index `user`.
    pub fn user_rating_count(&self, user: usize) -> usize {
        self.offsets[user + 1] - self.offsets[user]
    }

    /// Ratings summary of the user at dense index `user`.
    pub fn user_stats(&self, user: usize) -> UserStats {
        let values = &self.rated_value[self.offsets[user]..self.offsets[user + 1]];
        UserStats {
            n_ratings: values.len() as u32,
            mean_rating: values.iter().sum::<f64>() / values.len().max(1) as f64,
        }
    }

    /// The user's genre profile: mean-centred affinity and share of ratings per genre, and
    /// which movies the user has rated.
    fn profile(&self, user: usize) -> (Vec<f64>, Vec<f64>, Vec<bool>) {
        let range = self.offsets[user]..self.offsets[user + 1];
        let movies = &self.rated_movie[range.clone()];
        let values = &self.rated_value[range];
        let n_u = movies.len() as f64;
        let mean_u = values.iter().sum::<f64>() / n_u.max(1.0);
        let mut centred = vec![0f64; self.n_genres];
        let mut in_genre = vec![0f64; self.n_genres];
        for (m, r) in movies.iter().zip(values) {
            for g in &self.genres[*m as usize] {
                centred[*g as usize] += r - mean_u;
                in_genre[*g as usize] += 1.0;
            }
        }
        let c = &self.config;
        let affinity: Vec<f64> = centred
            .iter()
            .zip(&in_genre)
            .map(|(s, n)| s / (n + c.affinity_prior_count))
            .collect();
        let share: Vec<f64> = in_genre.iter().map(|n| n / n_u.max(1.0)).collect();
        let mut rated = vec![false; self.movie_id.len()];
        for m in movies {
            rated[*m as usize] = true;
        }
        (affinity, share, rated)
    }

    /// The affinity and genre-share terms of a movie with these genres.
    fn genre_terms(&self, genres: &[u16], affinity: &[f64], share: &[f64]) -> (f64, f64) {
        let (mean_affinity, max_share) = if genres.is_empty() {
            (0.0, 0.0)
        } else {
            let a = genres.iter().map(|g| affinity[*g as usize]).sum::<f64>() / genres.len() as f64;
            let s = genres
                .iter()
                .map(|g| share[*g as usize])
                .fold(0.0, f64::max);
            (a, s)
        };
        let c = &self.config;
        (
            c.affinity_weight * mean_affinity,
            c.genre_share_weight * max_share,
        )
    }

    /// The user's affinity and genre-share terms per genre combination, and which movies the
    /// user has rated.
    fn combination_terms(&self, user: usize) -> (Vec<(f64, f64)>, Vec<bool>) {
        let (affinity, share, rated) = self.profile(user);
        let terms = self
            .genre_sets
            .iter()
            .map(|genres| self.genre_terms(genres, &affinity, &share))
            .collect();
        (terms, rated)
    }

    fn is_candidate(&self, movie: usize, rated: &[bool], min_movie_ratings: usize) -> bool {
        !rated[movie] && self.rating_count[movie] as usize >= min_movie_ratings
    }

    /// Relevance of every candidate movie for the user at dense index `user`: movies the user
    /// has not rated, with at least `min_movie_ratings` ratings. Returns (dense movie, relevance).
    pub fn score_candidates(&self, user: usize, min_movie_ratings: usize) -> Vec<(u32, f64)> {
        let (affinity, share, rated) = self.profile(user);
        (0..self.movie_id.len())
            .filter(|m| self.is_candidate(*m, &rated, min_movie_ratings))
            .map(|m| {
                let (a, s) = self.genre_terms(&self.genres[m], &affinity, &share);
                (m as u32, relevance(self.base[m] + a + s))
            })
            .collect()
    }

    /// The user's `k` most relevant candidates, best first, ties by movie index: exactly the
    /// first `k` of [`Self::score_candidates`] in that order, without scoring the catalogue.
    ///
    /// Within one genre combination a movie's score `z` only grows with its user-independent
    /// part, so each combination's movies are kept sorted by it (`by_base`) and merged
    /// through a heap, best head first, skipping movies the user rated or with too few
    /// ratings. The merge stops once `k` candidates are in hand and the best unseen one
    /// scores below the k-th by a margin; only the candidates seen get their relevance.
    /// Because the logistic is increasing, nothing unseen can enter the top `k` when the
    /// relevance at the margin is below the k-th relevance; where it is not (a saturated
    /// logistic), the whole catalogue is scored instead ([`Self::top_candidates_scan`]).
    pub fn top_candidates(
        &self,
        user: usize,
        min_movie_ratings: usize,
        k: usize,
    ) -> Vec<(u32, f64)> {
        self.merge_top(user, min_movie_ratings, k)
            .unwrap_or_else(|| self.top_candidates_scan(user, min_movie_ratings, k))
    }

    /// The merge of [`Self::top_candidates`]; `None` where the margin cannot prove the result
    /// exact.
    fn merge_top(
        &self,
        user: usize,
        min_movie_ratings: usize,
        k: usize,
    ) -> Option<Vec<(u32, f64)>> {
        if k == 0 {
            return Some(Vec::new());
        }
        let (terms, rated) = self.combination_terms(user);
        let score = |set: usize, position: usize| {
            let movie = self.by_base[set][position] as usize;
            let (a, s) = terms[set];
            (movie, self.base[movie] + a + s)
        };
        let mut heads: BinaryHeap<Head> = (0..self.by_base.len())
            .filter(|set| !self.by_base[*set].is_empty())
            .map(|set| Head::new(score(set, 0).1, set, 0))
            .collect();
        let mut seen: Vec<(u32, f64)> = Vec::new();
        // The k best scores seen so far, smallest on top.
        let mut best: BinaryHeap<std::cmp::Reverse<Score>> = BinaryHeap::with_capacity(k + 1);
        let mut cut = None;
        while let Some(head) = heads.pop() {
            if best.len() == k {
                let z_k = best.peek().map_or(f64::INFINITY, |r| r.0.0);
                let margin_cut = z_k - 1e-6 * z_k.abs().max(1.0);
                if head.score.0 < margin_cut {
                    cut = Some(margin_cut);
                    break;
                }
            }
            let (movie, z) = score(head.set, head.position);
            if head.position + 1 < self.by_base[head.set].len() {
                let next = head.position + 1;
                heads.push(Head::new(score(head.set, next).1, head.set, next));
            }
            if !self.is_candidate(movie, &rated, min_movie_ratings) {
                continue;
            }
            seen.push((movie as u32, z));
            best.push(std::cmp::Reverse(Score(z)));
            if best.len() > k {
                best.pop();
            }
        }
        let scored = best_k(
            seen.into_iter().map(|(m, z)| (m, relevance(z))).collect(),
            k,
        );
        // Every candidate is seen (no cut), or none unseen can reach the k-th relevance.
        let exact = match cut {
            None => true,
            Some(cut) => scored
                .iter()
                .map(|(_, r)| *r)
                .fold(f64::INFINITY, f64::min)
                .total_cmp(&(relevance(cut) * (1.0 + 1e-12)))
                .is_gt(),
        };
        exact.then_some(scored)
    }

    /// [`Self::top_candidates`] by scoring every candidate ([`Self::score_candidates`]) and
    /// keeping the best `k`: the fallback where the merge's margin proves nothing.
    fn top_candidates_scan(
        &self,
        user: usize,
        min_movie_ratings: usize,
        k: usize,
    ) -> Vec<(u32, f64)> {
        best_k(self.score_candidates(user, min_movie_ratings), k)
    }
}

/// Best first: higher relevance, ties by lower movie index.
fn best_first(a: &(u32, f64), b: &(u32, f64)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// The best `k` of `scored`, best first.
fn best_k(mut scored: Vec<(u32, f64)>, k: usize) -> Vec<(u32, f64)> {
    if scored.len() > k {
        if k > 0 {
            scored.select_nth_unstable_by(k - 1, best_first);
        }
        scored.truncate(k);
    }
    scored.sort_unstable_by(best_first);
    scored
}

/// A score ordered by `f64::total_cmp`, for heaps.
#[derive(Debug, Clone, Copy)]
struct Score(f64);

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The best unseen movie of one genre combination, in the merge of
/// [`RelevanceModel::top_candidates`]: best score first, then lower combination, so the merge
/// order is deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    score: Score,
    set: usize,
    position: usize,
}

impl Head {
    fn new(score: f64, set: usize, position: usize) -> Self {
        Self {
            score: Score(score),
            set,
            position,
        }
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.score.cmp(&other.score).then(other.set.cmp(&self.set))
    }
}

/// The logistic link from score to relevance.
fn relevance(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use slate_ingest::{Movies, Ratings};

    fn dataset() -> Dataset {
        let movies = Movies {
            movie_id: vec![10, 20, 30, 40],
            title: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            release_year: vec![None; 4],
            genres: vec![
                vec!["Horror".into()],
                vec!["Horror".into()],
                vec!["Comedy".into()],
                vec!["Comedy".into()],
            ],
            cluster: vec![
                "Horror".into(),
                "Horror".into(),
                "Comedy".into(),
                "Comedy".into(),
            ],
        };
        // User 1 loves horror and hates comedy; users 2 and 3 rate everything else.
        let ratings = Ratings {
            user_id: vec![1, 1, 2, 2, 2, 3, 3, 3],
            movie_id: vec![10, 30, 20, 40, 10, 20, 40, 30],
            rating: vec![5.0, 1.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0],
        };
        Dataset { movies, ratings }
    }

    #[test]
    fn genre_affinity_ranks_liked_genre_first() {
        let model = RelevanceModel::fit(&dataset(), &RelevanceConfig::default());
        let scored = model.score_candidates(0, 0);
        let ids: Vec<u32> = scored
            .iter()
            .map(|(m, _)| model.movie_id[*m as usize])
            .collect();
        assert_eq!(ids, vec![20, 40], "rated movies are never candidates");
        assert!(
            scored[0].1 > scored[1].1,
            "horror (liked) must outrank comedy: {scored:?}"
        );
        assert!(scored.iter().all(|(_, r)| *r > 0.0 && *r < 1.0));
    }

    /// The reference: score every candidate, then keep the best `k` (ties by movie index).
    fn reference_top(model: &RelevanceModel, user: usize, min: usize, k: usize) -> Vec<(u32, f64)> {
        let mut scored = model.score_candidates(user, min);
        scored.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }

    #[test]
    fn top_candidates_equal_scoring_everything_then_selecting() {
        let dataset =
            slate_ingest::synthetic_dataset(&slate_ingest::synthetic::SyntheticConfig::small(), 5)
                .unwrap();
        let model = RelevanceModel::fit(&dataset, &RelevanceConfig::default());
        for user in 0..model.users.len() {
            for (min, k) in [(0, 1), (0, 12), (5, 60), (20, 60), (0, 100_000)] {
                let reference = reference_top(&model, user, min, k);
                // The merge proves itself exact at these ordinary scores: no fallback.
                assert_eq!(
                    model.merge_top(user, min, k).as_ref(),
                    Some(&reference),
                    "merge: user {user}, min {min}, k {k}"
                );
                assert_eq!(
                    model.top_candidates_scan(user, min, k),
                    reference,
                    "scan: user {user}, min {min}, k {k}"
                );
            }
        }
        assert!(model.genre_sets.len() < model.movie_id.len());
    }

    #[test]
    fn a_saturated_logistic_falls_back_to_scoring_everything() {
        // Weights so large that every relevance is exactly 1.0: the cut cannot separate
        // candidates, and ties must still break by movie index.
        let config = RelevanceConfig {
            intercept: 1e3,
            ..RelevanceConfig::default()
        };
        let model = RelevanceModel::fit(&dataset(), &config);
        assert_eq!(
            model.top_candidates(1, 0, 1),
            reference_top(&model, 1, 0, 1)
        );
        assert_eq!(model.top_candidates(1, 0, 1)[0].1, 1.0);
    }

    #[test]
    fn user_stats_summarise_ratings() {
        let model = RelevanceModel::fit(&dataset(), &RelevanceConfig::default());
        assert_eq!(
            model.user_stats(0),
            UserStats {
                n_ratings: 2,
                mean_rating: 3.0
            }
        );
        assert_eq!(model.users, vec![1, 2, 3]);
    }
}
