//! The setup-readiness table: is this dataset fit to build slates from?

use std::collections::{HashMap, HashSet};
use std::path::Path;

use slate_table::readiness::Check;

use crate::Dataset;
use crate::schema::RAW_FILES;

/// Computes the setup-readiness checks for a validated dataset read from `raw_dir`.
///
/// Checks that the validation in [`crate::ingest`] already enforces (rating range, unique pairs,
/// rated movies exist) are still listed, so the table documents what was verified.
pub fn setup_readiness(
    raw_dir: &Path,
    dataset: &Dataset,
    eligible_min_ratings: usize,
) -> Vec<Check> {
    let present = RAW_FILES
        .iter()
        .filter(|f| raw_dir.join(f.file_name).is_file())
        .count();
    let ratings = &dataset.ratings;
    let movies = &dataset.movies;
    let mut per_user: HashMap<u32, usize> = HashMap::new();
    for user in &ratings.user_id {
        *per_user.entry(*user).or_default() += 1;
    }
    let eligible = per_user
        .values()
        .filter(|n| **n >= eligible_min_ratings)
        .count();
    let rated: HashSet<u32> = ratings.movie_id.iter().copied().collect();
    let with_genres = movies.genres.iter().filter(|g| !g.is_empty()).count();
    let genre_coverage = with_genres as f64 / movies.movie_id.len().max(1) as f64;
    let clusters: HashSet<&str> = movies.cluster.iter().map(String::as_str).collect();
    let with_year = movies.release_year.iter().filter(|y| y.is_some()).count();
    vec![
        Check::new(
            "raw_files_present",
            format!("{present}/{}", RAW_FILES.len()),
            "ratings.csv, movies.csv, links.csv and tags.csv all present",
            present == RAW_FILES.len(),
        ),
        Check::new(
            "ratings_rows",
            ratings.user_id.len(),
            "at least one rating",
            !ratings.user_id.is_empty(),
        ),
        Check::new(
            "movies_rows",
            movies.movie_id.len(),
            "at least one movie",
            !movies.movie_id.is_empty(),
        ),
        Check::new(
            "users",
            per_user.len(),
            "at least one user",
            !per_user.is_empty(),
        ),
        Check::new(
            "rated_movies_in_catalogue",
            format!(
                "{} rated movies, all among {} listed",
                rated.len(),
                movies.movie_id.len()
            ),
            "every rated movie is listed in movies.csv (enforced by validation)",
            true,
        ),
        Check::new(
            "ratings_valid",
            "all half stars in 0.5..=5.0, (user, movie) unique",
            "enforced by validation",
            true,
        ),
        Check::new(
            "genre_coverage",
            format!("{genre_coverage:.4}"),
            "at least 95% of movies have a listed genre",
            genre_coverage >= 0.95,
        ),
        Check::new(
            "substitute_clusters",
            clusters.len(),
            "at least 2 genre-based substitute clusters",
            clusters.len() >= 2,
        ),
        Check::new(
            "release_year_coverage",
            format!(
                "{:.4}",
                with_year as f64 / movies.movie_id.len().max(1) as f64
            ),
            "reported only",
            true,
        ),
        Check::new(
            "eligible_users",
            eligible,
            format!("at least one user with >= {eligible_min_ratings} ratings"),
            eligible >= 1,
        ),
    ]
}
