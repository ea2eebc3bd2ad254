//! Schemas of the raw MovieLens CSVs (as published) and of the typed parquet tables this crate
//! writes to `data/processed`. Column names live here and nowhere else.

use slate_table::{ColumnSpec, ColumnType, TableSchema};

/// Column names of the processed tables.
pub mod col {
    /// User id (u32).
    pub const USER_ID: &str = "user_id";
    /// Movie id (u32).
    pub const MOVIE_ID: &str = "movie_id";
    /// Star rating, 0.5 to 5.0 in half stars (f64).
    pub const RATING: &str = "rating";
    /// Seconds since the Unix epoch (i64).
    pub const TIMESTAMP: &str = "timestamp";
    /// Movie title as published, including the year in parentheses.
    pub const TITLE: &str = "title";
    /// Release year parsed from the title (nullable i32).
    pub const RELEASE_YEAR: &str = "release_year";
    /// Genres, `|`-separated in catalogue order (empty for "(no genres listed)"). A string, not
    /// a parquet list: pandas cannot open the list-of-string-view columns polars writes.
    pub const GENRES: &str = "genres";
    /// Number of genres.
    pub const N_GENRES: &str = "n_genres";
    /// Genre-based substitute cluster (see [`crate::clusters`]).
    pub const CLUSTER: &str = "cluster";
    /// IMDb id (u32, leading zeros dropped).
    pub const IMDB_ID: &str = "imdb_id";
    /// TMDb id (nullable u32).
    pub const TMDB_ID: &str = "tmdb_id";
    /// Free-text tag.
    pub const TAG: &str = "tag";
}

/// A raw MovieLens CSV: file name, exact header, and the processed table it becomes.
#[derive(Debug, Clone, Copy)]
pub struct RawFile {
    /// File name inside the MovieLens folder.
    pub file_name: &'static str,
    /// Header columns exactly as GroupLens publishes them.
    pub header: &'static [&'static str],
}

/// `ratings.csv`: userId,movieId,rating,timestamp.
pub const RAW_RATINGS: RawFile = RawFile {
    file_name: "ratings.csv",
    header: &["userId", "movieId", "rating", "timestamp"],
};
/// `movies.csv`: movieId,title,genres.
pub const RAW_MOVIES: RawFile = RawFile {
    file_name: "movies.csv",
    header: &["movieId", "title", "genres"],
};
/// `links.csv`: movieId,imdbId,tmdbId.
pub const RAW_LINKS: RawFile = RawFile {
    file_name: "links.csv",
    header: &["movieId", "imdbId", "tmdbId"],
};
/// `tags.csv`: userId,movieId,tag,timestamp.
pub const RAW_TAGS: RawFile = RawFile {
    file_name: "tags.csv",
    header: &["userId", "movieId", "tag", "timestamp"],
};

/// All four raw files, in the order they are read.
pub const RAW_FILES: [RawFile; 4] = [RAW_MOVIES, RAW_RATINGS, RAW_LINKS, RAW_TAGS];

/// `movielens_ratings.parquet`.
pub const RATINGS: TableSchema = TableSchema {
    file_name: "movielens_ratings.parquet",
    description: "Validated ratings: user, movie, half-star rating, timestamp.",
    columns: &[
        ColumnSpec::new(col::USER_ID, ColumnType::U32),
        ColumnSpec::new(col::MOVIE_ID, ColumnType::U32),
        ColumnSpec::new(col::RATING, ColumnType::F64),
        ColumnSpec::new(col::TIMESTAMP, ColumnType::I64),
    ],
};

/// `movielens_movies.parquet`.
pub const MOVIES: TableSchema = TableSchema {
    file_name: "movielens_movies.parquet",
    description: "Validated movies with release year, genres and the substitute cluster.",
    columns: &[
        ColumnSpec::new(col::MOVIE_ID, ColumnType::U32),
        ColumnSpec::new(col::TITLE, ColumnType::Str),
        ColumnSpec::nullable(col::RELEASE_YEAR, ColumnType::I32),
        ColumnSpec::new(col::GENRES, ColumnType::Str),
        ColumnSpec::new(col::N_GENRES, ColumnType::U32),
        ColumnSpec::new(col::CLUSTER, ColumnType::Str),
    ],
};

/// `movielens_links.parquet`.
pub const LINKS: TableSchema = TableSchema {
    file_name: "movielens_links.parquet",
    description: "Validated IMDb and TMDb links per movie.",
    columns: &[
        ColumnSpec::new(col::MOVIE_ID, ColumnType::U32),
        ColumnSpec::new(col::IMDB_ID, ColumnType::U32),
        ColumnSpec::nullable(col::TMDB_ID, ColumnType::U32),
    ],
};

/// `movielens_tags.parquet`.
pub const TAGS: TableSchema = TableSchema {
    file_name: "movielens_tags.parquet",
    description: "Validated user tags per movie.",
    columns: &[
        ColumnSpec::new(col::USER_ID, ColumnType::U32),
        ColumnSpec::new(col::MOVIE_ID, ColumnType::U32),
        ColumnSpec::new(col::TAG, ColumnType::Str),
        ColumnSpec::new(col::TIMESTAMP, ColumnType::I64),
    ],
};

/// `movielens_interference_setup_readiness.csv`.
pub const SETUP_READINESS: TableSchema = slate_table::readiness::schema(
    "movielens_interference_setup_readiness.csv",
    "Setup readiness: data-size and eligibility checks on the ingested data, each passed or not.",
);
