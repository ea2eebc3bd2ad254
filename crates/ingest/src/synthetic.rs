//! A synthetic MovieLens-format generator (the same four CSVs, byte-compatible headers).
//!
//! It serves tests, offline runs (`--synthetic`) and benchmarks at up to the real ML-32M shape
//! ([`SyntheticConfig::ml_32m_shape`]: 200,948 users, 87,585 movies, 32,000,204 ratings).
//!
//! Structure, so that a relevance model has something to learn:
//! - **Popularity**: each movie has a Zipf-like weight `1 / (rank + 1)^s` over a random rank.
//! - **Genres**: 1–3 genres per movie drawn with MovieLens-like frequencies (Drama and Comedy
//!   common, Film-Noir rare, 1% `(no genres listed)`).
//! - **Users**: at least `min_ratings_per_user` ratings each, heavy-tailed (log-normal) activity,
//!   two favourite genres; a share `favourite_share` of a user's ratings is drawn from movies of
//!   those genres, the rest from global popularity.
//! - **Ratings**: `3.4 + quality(movie) + bias(user) + 0.6·[favourite genre] + N(0, 0.8)`, rounded
//!   to half stars and clamped to `0.5..=5.0`.
//! - Quoted titles with commas and embedded quotes, titles without a year, links with a missing
//!   tmdbId and tags with commas, so that the ingest paths real files need are exercised.
//!
//! Generation is parallel over users; every user draws from its own `Pcg64` stream derived from
//! the seed and the user index, so the files are byte-identical whatever the thread count.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;
use rand_pcg::Pcg64;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use slate_table::TableError;

use crate::schema::{RAW_LINKS, RAW_MOVIES, RAW_RATINGS, RAW_TAGS, RawFile};
use crate::{IngestError, Result};

/// Size and shape of a synthetic dataset (the `[synthetic]` section of the pipeline config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticConfig {
    /// Number of users.
    pub users: usize,
    /// Number of movies.
    pub movies: usize,
    /// Total number of ratings.
    pub ratings: usize,
    /// Number of tag rows.
    pub tags: usize,
    /// Minimum ratings per user (MovieLens guarantees 20).
    pub min_ratings_per_user: usize,
    /// Zipf exponent of movie popularity.
    pub zipf_exponent: f64,
    /// Share of a user's ratings drawn from their favourite genres.
    pub favourite_share: f64,
    /// Random seed.
    pub seed: u64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            users: 1_500,
            movies: 4_000,
            ratings: 150_000,
            tags: 3_000,
            min_ratings_per_user: 20,
            zipf_exponent: 0.9,
            favourite_share: 0.6,
            seed: 20260428,
        }
    }
}

impl SyntheticConfig {
    /// A small dataset (300 users, 1,200 movies, 24,000 ratings) that still yields the default
    /// 3,000 slates: test fixtures and quick examples.
    pub fn small() -> Self {
        Self {
            users: 300,
            movies: 1_200,
            ratings: 24_000,
            tags: 10,
            ..Self::default()
        }
    }

    /// The full MovieLens 32M shape.
    pub fn ml_32m_shape() -> Self {
        Self {
            users: 200_948,
            movies: 87_585,
            ratings: 32_000_204,
            tags: 2_000_072,
            ..Self::default()
        }
    }

    /// Checks the sizes are consistent.
    pub fn check(&self) -> Result<()> {
        let fail = |field: &str, message: String| {
            Err(IngestError::Config(format!(
                "`synthetic.{field}`: {message}"
            )))
        };
        if self.users == 0 {
            return fail("users", "must be at least 1".into());
        }
        if self.movies < 10 {
            return fail("movies", format!("{} < 10", self.movies));
        }
        if self.min_ratings_per_user == 0 {
            return fail("min_ratings_per_user", "must be at least 1".into());
        }
        if self.min_ratings_per_user > self.movies / 2 {
            return fail(
                "min_ratings_per_user",
                format!("{} exceeds half the movies", self.min_ratings_per_user),
            );
        }
        if self.ratings < self.users * self.min_ratings_per_user {
            return fail(
                "ratings",
                format!(
                    "{} < users ({}) x min_ratings_per_user ({})",
                    self.ratings, self.users, self.min_ratings_per_user
                ),
            );
        }
        if self.ratings > self.users * (self.movies / 2) {
            return fail(
                "ratings",
                format!(
                    "{} exceed half of all user x movie pairs ({})",
                    self.ratings,
                    self.users * (self.movies / 2)
                ),
            );
        }
        if !(self.zipf_exponent.is_finite() && self.zipf_exponent >= 0.0) {
            return fail(
                "zipf_exponent",
                format!("{} must be finite and >= 0", self.zipf_exponent),
            );
        }
        if !(0.0..=1.0).contains(&self.favourite_share) {
            return fail(
                "favourite_share",
                format!("{} must be in [0, 1]", self.favourite_share),
            );
        }
        Ok(())
    }
}

/// MovieLens genres with roughly their catalogue frequencies.
const GENRES: &[(&str, f64)] = &[
    ("Drama", 0.40),
    ("Comedy", 0.27),
    ("Thriller", 0.13),
    ("Romance", 0.12),
    ("Action", 0.11),
    ("Documentary", 0.09),
    ("Horror", 0.10),
    ("Crime", 0.08),
    ("Adventure", 0.06),
    ("Sci-Fi", 0.05),
    ("Animation", 0.05),
    ("Children", 0.05),
    ("Mystery", 0.05),
    ("Fantasy", 0.04),
    ("War", 0.03),
    ("Western", 0.02),
    ("Musical", 0.02),
    ("Film-Noir", 0.01),
    ("IMAX", 0.003),
];

const TAG_WORDS: &[&str] = &[
    "atmospheric",
    "funny",
    "twist ending",
    "Highly quotable",
    "based on a book",
    "visually appealing",
    "dark comedy",
    "thought-provoking",
    "\"classic\", must see",
    "slow, but rewarding",
];

const EPOCH_1996: i64 = 820_454_400;
const SPAN_SECONDS: i64 = 27 * 365 * 86_400;

fn stream(seed: u64, domain: u64, index: u64) -> Pcg64 {
    Pcg64::new(
        (u128::from(seed) << 64) | u128::from(domain),
        u128::from(index),
    )
}

fn normal(rng: &mut Pcg64) -> f64 {
    // Box–Muller; `1 - u` keeps the logarithm finite.
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random::<f64>();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

struct Catalogue {
    ids: Vec<u32>,
    genres: Vec<Vec<usize>>,
    quality: Vec<f64>,
    popularity: WeightedIndex<f64>,
    by_genre: Vec<(Vec<usize>, Option<WeightedIndex<f64>>)>,
}

fn catalogue(config: &SyntheticConfig) -> Catalogue {
    let mut rng = stream(config.seed, 1, 0);
    let n = config.movies;
    let ids: Vec<u32> = (0..n as u32).map(|i| i + 1 + i / 7).collect();
    let genre_weights = WeightedIndex::new(GENRES.iter().map(|g| g.1)).expect("positive weights");
    let genres: Vec<Vec<usize>> = (0..n)
        .map(|_| {
            if rng.random::<f64>() < 0.01 {
                return Vec::new();
            }
            let count = match rng.random::<f64>() {
                x if x < 0.45 => 1,
                x if x < 0.80 => 2,
                _ => 3,
            };
            let mut chosen = Vec::with_capacity(count);
            while chosen.len() < count {
                let g = genre_weights.sample(&mut rng);
                if !chosen.contains(&g) {
                    chosen.push(g);
                }
            }
            chosen.sort_unstable();
            chosen
        })
        .collect();
    let mut rank: Vec<usize> = (0..n).collect();
    rank.shuffle(&mut rng);
    let weight: Vec<f64> = rank
        .iter()
        .map(|r| 1.0 / ((*r + 1) as f64).powf(config.zipf_exponent))
        .collect();
    let quality: Vec<f64> = rank
        .iter()
        .map(|r| 0.45 * normal(&mut rng) + 0.25 * (1.0 - (*r as f64 / n as f64)))
        .collect();
    let by_genre = (0..GENRES.len())
        .map(|g| {
            let members: Vec<usize> = (0..n).filter(|m| genres[*m].contains(&g)).collect();
            let index = WeightedIndex::new(members.iter().map(|m| weight[*m])).ok();
            (members, index)
        })
        .collect();
    Catalogue {
        ids,
        genres,
        quality,
        popularity: WeightedIndex::new(&weight).expect("positive weights"),
        by_genre,
    }
}

/// Ratings per user: at least the minimum, heavy-tailed, capped at half the catalogue, summing
/// exactly to `config.ratings`.
fn activity(config: &SyntheticConfig) -> Vec<usize> {
    let mut rng = stream(config.seed, 2, 0);
    let cap = config.movies / 2;
    let extra_total = config.ratings - config.users * config.min_ratings_per_user;
    let raw: Vec<f64> = (0..config.users)
        .map(|_| (1.2 * normal(&mut rng)).exp())
        .collect();
    let sum: f64 = raw.iter().sum();
    let mut counts: Vec<usize> = raw
        .iter()
        .map(|w| (config.min_ratings_per_user + (w / sum * extra_total as f64) as usize).min(cap))
        .collect();
    let mut assigned: usize = counts.iter().sum();
    let mut user = 0;
    while assigned < config.ratings {
        if counts[user] < cap {
            counts[user] += 1;
            assigned += 1;
        }
        user = (user + 1) % config.users;
    }
    counts
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn user_rows(
    catalogue: &Catalogue,
    config: &SyntheticConfig,
    user: usize,
    count: usize,
) -> Vec<(u32, f64, i64)> {
    let mut rng = stream(config.seed, 3, user as u64);
    let n_genres = GENRES.len() - 1; // IMAX is never a favourite
    let favourites = [rng.random_range(0..n_genres), rng.random_range(0..n_genres)];
    let bias = 0.35 * normal(&mut rng);
    let mut seen: HashSet<usize> = HashSet::with_capacity(count * 2);
    let mut attempts = 0usize;
    while seen.len() < count && attempts < count * 50 {
        attempts += 1;
        let from_favourite = rng.random::<f64>() < config.favourite_share;
        let movie = match &catalogue.by_genre[favourites[rng.random_range(0..2)]] {
            (members, Some(index)) if from_favourite => members[index.sample(&mut rng)],
            _ => catalogue.popularity.sample(&mut rng),
        };
        seen.insert(movie);
    }
    // Pathological configurations (tiny catalogues): fill deterministically.
    let mut next = 0;
    while seen.len() < count {
        seen.insert(next);
        next += 1;
    }
    let mut movies: Vec<usize> = seen.into_iter().collect();
    movies.sort_unstable();
    movies
        .into_iter()
        .map(|m| {
            let likes = catalogue.genres[m].iter().any(|g| favourites.contains(g));
            let score = 3.4
                + catalogue.quality[m]
                + bias
                + if likes { 0.6 } else { 0.0 }
                + 0.8 * normal(&mut rng);
            let rating = ((score * 2.0).round() / 2.0).clamp(0.5, 5.0);
            let timestamp = EPOCH_1996 + rng.random_range(0..SPAN_SECONDS);
            (catalogue.ids[m], rating, timestamp)
        })
        .collect()
}

fn write_file(
    dir: &Path,
    raw: &RawFile,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<PathBuf> {
    Ok(slate_table::write_atomically(
        dir,
        raw.file_name,
        |writer| {
            let path = dir.join(raw.file_name);
            let io = |source| TableError::Io {
                path: path.clone(),
                source,
            };
            writeln!(writer, "{}", raw.header.join(",")).map_err(io)?;
            fill(writer).map_err(io)
        },
    )?)
}

/// Writes `ratings.csv`, `movies.csv`, `links.csv` and `tags.csv` into `out_dir`.
pub fn generate(config: &SyntheticConfig, out_dir: &Path) -> Result<Vec<PathBuf>> {
    config.check()?;
    let catalogue = catalogue(config);
    let counts = activity(config);
    let mut written = Vec::new();

    written.push(write_file(out_dir, &RAW_MOVIES, |w| {
        let mut rng = stream(config.seed, 4, 0);
        for (m, id) in catalogue.ids.iter().enumerate() {
            let year = 1920 + rng.random_range(0..104);
            let title = match m {
                m if m % 37 == 5 => format!("\"Quoted\" Picture, The {id} ({year})"),
                m if m % 101 == 7 => format!("Untitled Project {id}"),
                _ => format!("Synthetic Movie {id} ({year})"),
            };
            let genres = if catalogue.genres[m].is_empty() {
                crate::clusters::NO_GENRES.to_string()
            } else {
                catalogue.genres[m]
                    .iter()
                    .map(|g| GENRES[*g].0)
                    .collect::<Vec<_>>()
                    .join("|")
            };
            writeln!(w, "{id},{},{genres}", quote(&title))?;
        }
        Ok(())
    })?);

    let mut tag_sources: Vec<(u32, u32)> = Vec::new();
    written.push(write_file(out_dir, &RAW_RATINGS, |w| {
        const CHUNK: usize = 4096;
        let tag_every = (config.ratings / config.tags.max(1)).max(1);
        let mut line = String::with_capacity(64);
        let mut global = 0usize;
        for start in (0..config.users).step_by(CHUNK) {
            let end = (start + CHUNK).min(config.users);
            let rows: Vec<Vec<(u32, f64, i64)>> = (start..end)
                .into_par_iter()
                .map(|u| user_rows(&catalogue, config, u, counts[u]))
                .collect();
            for (offset, user_rows) in rows.iter().enumerate() {
                let user = (start + offset + 1) as u32;
                for (movie, rating, timestamp) in user_rows {
                    use std::fmt::Write as _;
                    line.clear();
                    let _ = writeln!(line, "{user},{movie},{rating:.1},{timestamp}");
                    w.write_all(line.as_bytes())?;
                    if global.is_multiple_of(tag_every) && tag_sources.len() < config.tags {
                        tag_sources.push((user, *movie));
                    }
                    global += 1;
                }
            }
        }
        Ok(())
    })?);

    written.push(write_file(out_dir, &RAW_LINKS, |w| {
        for (m, id) in catalogue.ids.iter().enumerate() {
            let imdb = 100_000 + m * 13;
            if m % 50 == 3 {
                writeln!(w, "{id},{imdb:07},")?;
            } else {
                writeln!(w, "{id},{imdb:07},{}", 2_000 + m * 7)?;
            }
        }
        Ok(())
    })?);

    written.push(write_file(out_dir, &RAW_TAGS, |w| {
        let mut rng = stream(config.seed, 5, 0);
        for (user, movie) in &tag_sources {
            let tag = TAG_WORDS[rng.random_range(0..TAG_WORDS.len())];
            let timestamp = EPOCH_1996 + rng.random_range(0..SPAN_SECONDS);
            writeln!(w, "{user},{movie},{},{timestamp}", quote(tag))?;
        }
        Ok(())
    })?);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> SyntheticConfig {
        SyntheticConfig {
            users: 60,
            movies: 300,
            ratings: 3_000,
            tags: 50,
            ..SyntheticConfig::default()
        }
    }

    #[test]
    fn generated_files_ingest_cleanly_with_exact_counts() {
        let raw = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        generate(&tiny(), raw.path()).unwrap();
        let report =
            crate::ingest(raw.path(), out.path(), &crate::IngestConfig::default(), 20).unwrap();
        assert_eq!(report.ratings_rows, 3_000);
        assert_eq!(report.movies.movie_id.len(), 300);
        assert_eq!(report.tags_rows, 50);
        let dataset = crate::load_processed(out.path()).unwrap();
        assert_eq!(dataset.ratings.user_id.len(), 3_000);
        let users: HashSet<u32> = dataset.ratings.user_id.iter().copied().collect();
        assert_eq!(users.len(), 60);
        assert!(
            report
                .movies
                .title
                .iter()
                .any(|t| t.contains("\"Quoted\" Picture, The"))
        );
    }

    #[test]
    fn same_seed_gives_identical_bytes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        generate(&tiny(), a.path()).unwrap();
        generate(&tiny(), b.path()).unwrap();
        for file in ["ratings.csv", "movies.csv", "links.csv", "tags.csv"] {
            assert_eq!(
                std::fs::read(a.path().join(file)).unwrap(),
                std::fs::read(b.path().join(file)).unwrap(),
                "{file}"
            );
        }
    }

    #[test]
    fn inconsistent_sizes_are_config_errors() {
        let config = SyntheticConfig {
            ratings: 100,
            ..tiny()
        };
        assert!(matches!(config.check(), Err(IngestError::Config(_))));
    }
}
