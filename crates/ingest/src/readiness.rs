//! The setup-readiness table: is this dataset fit to build slates from?

use std::collections::HashSet;
use std::path::Path;

use slate_table::readiness::Check;

use crate::Movies;
use crate::schema::RAW_FILES;

/// A check of the setup-readiness table: its `check` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
pub enum SetupCheck {
    /// The raw folder's name (reported only).
    #[strum(serialize = "source_folder")]
    SourceFolder,
    /// The four raw files are present.
    #[strum(serialize = "raw_files_present")]
    RawFilesPresent,
    /// Ratings read.
    #[strum(serialize = "ratings_rows")]
    RatingsRows,
    /// Movies read.
    #[strum(serialize = "movies_rows")]
    MoviesRows,
    /// Users with a rating.
    #[strum(serialize = "users")]
    Users,
    /// Every rated movie is listed.
    #[strum(serialize = "rated_movies_in_catalogue")]
    RatedMoviesInCatalogue,
    /// Ratings are valid half stars, one per (user, movie).
    #[strum(serialize = "ratings_valid")]
    RatingsValid,
    /// Share of movies with a genre.
    #[strum(serialize = "genre_coverage")]
    GenreCoverage,
    /// Genre-based substitute clusters.
    #[strum(serialize = "substitute_clusters")]
    SubstituteClusters,
    /// Share of movies with a release year (reported only).
    #[strum(serialize = "release_year_coverage")]
    ReleaseYearCoverage,
    /// Users with enough ratings for a slate.
    #[strum(serialize = "eligible_users")]
    EligibleUsers,
}

slate_table::label!(SetupCheck);

/// What the readiness checks need of the ratings: how many there are, how many each user has
/// (one count per user, in any order) and how many catalogue movies have at least one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingsSummary {
    /// Ratings read.
    pub rows: usize,
    /// Ratings per user, one entry per user.
    pub per_user: Vec<u32>,
    /// Movies of the catalogue with a rating.
    pub rated_movies: usize,
}

impl RatingsSummary {
    /// The summary of ratings held whole: `user_id` and `movie_id` one entry per rating, every
    /// movie in `catalogue`.
    pub fn of(user_id: &[u32], movie_id: &[u32], catalogue: &[u32]) -> RatingsSummary {
        // Counted by id without a table sized by the largest id (linear time for MovieLens's
        // compact ids at 32M ratings; see `ids`).
        let per_user = crate::ids::counts_by_id(user_id);
        let catalogue = crate::ids::IdIndex::rows(catalogue);
        let mut rated_flags = vec![false; catalogue.len()];
        for movie in movie_id {
            if let Some(row) = catalogue.get(*movie) {
                rated_flags[row as usize] = true;
            }
        }
        RatingsSummary {
            rows: user_id.len(),
            per_user,
            rated_movies: rated_flags.iter().filter(|r| **r).count(),
        }
    }
}

/// Computes the setup-readiness checks for a validated dataset read from `raw_dir`: its movies
/// and the summary of its ratings.
///
/// Checks that the validation in [`crate::ingest`] already enforces (rating range, unique pairs,
/// rated movies exist) are still listed, so the table documents what was verified.
pub fn setup_readiness(
    raw_dir: &Path,
    movies: &Movies,
    ratings: &RatingsSummary,
    eligible_min_ratings: usize,
) -> Vec<Check<SetupCheck>> {
    let present = RAW_FILES
        .iter()
        .filter(|f| raw_dir.join(f.file_name).is_file())
        .count();
    let users = ratings.per_user.len();
    let eligible = ratings
        .per_user
        .iter()
        .filter(|n| **n as usize >= eligible_min_ratings)
        .count();
    // Every rated movie is in the catalogue (checked when ratings.csv is read).
    let rated = ratings.rated_movies;
    let with_genres = movies.genres.iter().filter(|g| !g.is_empty()).count();
    let genre_coverage = with_genres as f64 / movies.movie_id.len().max(1) as f64;
    let clusters: HashSet<&str> = movies.cluster.iter().map(String::as_str).collect();
    let with_year = movies.release_year.iter().filter(|y| y.is_some()).count();
    let folder = raw_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| raw_dir.display().to_string());
    vec![
        Check::new(SetupCheck::SourceFolder, folder, "reported only", true),
        Check::new(
            SetupCheck::RawFilesPresent,
            format!("{present}/{}", RAW_FILES.len()),
            "ratings.csv, movies.csv, links.csv and tags.csv all present",
            present == RAW_FILES.len(),
        ),
        Check::new(
            SetupCheck::RatingsRows,
            ratings.rows,
            "at least one rating",
            ratings.rows > 0,
        ),
        Check::new(
            SetupCheck::MoviesRows,
            movies.movie_id.len(),
            "at least one movie",
            !movies.movie_id.is_empty(),
        ),
        Check::new(SetupCheck::Users, users, "at least one user", users > 0),
        Check::new(
            SetupCheck::RatedMoviesInCatalogue,
            format!(
                "{} rated movies, all among {} listed",
                rated,
                movies.movie_id.len()
            ),
            "every rated movie is listed in movies.csv (enforced by validation)",
            true,
        ),
        Check::new(
            SetupCheck::RatingsValid,
            "all half stars in 0.5..=5.0, (user, movie) unique",
            "enforced by validation",
            true,
        ),
        Check::new(
            SetupCheck::GenreCoverage,
            format!("{genre_coverage:.4}"),
            "at least 95% of movies have a listed genre",
            genre_coverage >= 0.95,
        ),
        Check::new(
            SetupCheck::SubstituteClusters,
            clusters.len(),
            "at least 2 genre-based substitute clusters",
            clusters.len() >= 2,
        ),
        Check::new(
            SetupCheck::ReleaseYearCoverage,
            format!(
                "{:.4}",
                with_year as f64 / movies.movie_id.len().max(1) as f64
            ),
            "reported only",
            true,
        ),
        Check::new(
            SetupCheck::EligibleUsers,
            eligible,
            format!("at least one user with >= {eligible_min_ratings} ratings"),
            eligible >= 1,
        ),
    ]
}
