//! Ingest itself: the raw MovieLens folder read and validated (movies, ratings, links, tags),
//! written as typed parquet with the setup-readiness checks, and read back by later stages.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;
use slate_table::{TableError, column_f64, column_str, column_u32};

use crate::ratings_csv::RatingsColumns;
use crate::raw::{RawColumn, RawType, read_raw};
use crate::readiness::{RatingsSummary, setup_readiness};
use crate::schema::{
    LINKS, MOVIES, RATINGS, RAW_LINKS, RAW_MOVIES, RAW_RATINGS, RAW_TAGS, TAGS, col,
};
use crate::{
    IngestConfig, IngestError, Result, clusters, ratings_csv, ratings_stream, raw, schema,
    synthetic,
};

/// The validated movie catalogue, one entry per movie, in movies.csv order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Movies {
    /// Movie ids.
    pub movie_id: Vec<u32>,
    /// Titles.
    pub title: Vec<String>,
    /// Release year from the title, when present.
    pub release_year: Vec<Option<i32>>,
    /// Genres (empty for "(no genres listed)").
    pub genres: Vec<Vec<String>>,
    /// Substitute cluster.
    pub cluster: Vec<String>,
}

/// The validated ratings, in ratings.csv order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ratings {
    /// User ids.
    pub user_id: Vec<u32>,
    /// Movie ids.
    pub movie_id: Vec<u32>,
    /// Ratings in half stars.
    pub rating: Vec<f64>,
}

/// What later stages read: the processed ratings and movies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// The movie catalogue.
    pub movies: Movies,
    /// The ratings.
    pub ratings: Ratings,
}

/// What ingest wrote: the catalogue and row counts (the ratings are not held: later stages
/// read them back with [`load_processed`]).
#[derive(Debug, Clone, PartialEq)]
pub struct IngestReport {
    /// The movie catalogue, as later stages will read it.
    pub movies: Movies,
    /// Ratings written.
    pub ratings_rows: usize,
    /// Rows in links.csv.
    pub links_rows: usize,
    /// Rows in tags.csv.
    pub tags_rows: usize,
    /// Paths written.
    pub written: Vec<PathBuf>,
}

fn polars_error(path: &Path) -> impl Fn(PolarsError) -> IngestError + '_ {
    move |e| IngestError::Csv {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Reads and validates movies.csv; derives genres, year and cluster.
pub fn read_movies(raw_dir: &Path, config: &IngestConfig) -> Result<(Movies, DataFrame)> {
    let path = raw_dir.join(RAW_MOVIES.file_name);
    let df = read_raw(
        raw_dir,
        &RAW_MOVIES,
        &[
            RawColumn::required(RawType::U32),
            RawColumn::required(RawType::Str),
            RawColumn::required(RawType::Str),
        ],
    )?;
    let label = path.display().to_string();
    let movie_id = column_u32(&df, &label, "movieId")?;
    let title = column_str(&df, &label, "title")?;
    let genre_field = column_str(&df, &label, "genres")?;
    let mut seen = std::collections::HashSet::with_capacity(movie_id.len());
    for (row, id) in movie_id.iter().enumerate() {
        if !seen.insert(*id) {
            return Err(IngestError::DuplicateMovie {
                path,
                line: row + 2,
                movie_id: *id,
            });
        }
    }
    let genres: Vec<Vec<String>> = genre_field
        .iter()
        .map(|g| clusters::parse_genres(g))
        .collect();
    let release_year: Vec<Option<i32>> = title.iter().map(|t| clusters::parse_year(t)).collect();
    let min_movies = (config.min_cluster_share * genres.len() as f64).ceil() as usize;
    let cluster = clusters::assign_clusters(&genres, min_movies.max(1));
    let movies = Movies {
        movie_id,
        title,
        release_year,
        genres,
        cluster,
    };
    let frame = movies_frame(&movies).map_err(polars_error(&path))?;
    Ok((movies, frame))
}

fn movies_frame(movies: &Movies) -> PolarsResult<DataFrame> {
    let genres: Vec<String> = movies.genres.iter().map(|list| list.join("|")).collect();
    let n_genres: Vec<u32> = movies.genres.iter().map(|list| list.len() as u32).collect();
    DataFrame::new(
        movies.movie_id.len(),
        vec![
            Column::new(col::MOVIE_ID.into(), &movies.movie_id),
            Column::new(col::TITLE.into(), &movies.title),
            Column::new(col::RELEASE_YEAR.into(), &movies.release_year),
            Column::new(col::GENRES.into(), genres),
            Column::new(col::N_GENRES.into(), n_genres),
            Column::new(col::CLUSTER.into(), &movies.cluster),
        ],
    )
}

/// The ratings, as [`read_ratings`] got them.
enum RatingsRead {
    /// Streamed into the ratings table, which waits to be put in place.
    Streamed(ratings_stream::Streamed),
    /// Held whole, to be written.
    Whole(RatingsColumns),
}

/// Reads and validates ratings.csv against the movie catalogue (ratings.csv is 95% of the
/// bytes of MovieLens): streamed into the ratings table in `out_dir` when the file allows it
/// ([`ratings_stream`]), else held whole by the parallel reader of [`ratings_csv`], which
/// also names any error.
fn read_ratings(raw_dir: &Path, movies: &Movies, out_dir: &Path) -> Result<RatingsRead> {
    let path = raw_dir.join(RAW_RATINGS.file_name);
    let header_bytes = raw::check_header(&path, &RAW_RATINGS)?;
    let known = crate::ids::IdIndex::rows(&movies.movie_id);
    if let Some(streamed) = ratings_stream::stream(&path, header_bytes, &known, out_dir)? {
        return Ok(RatingsRead::Streamed(streamed));
    }
    ratings_csv::read(&path, header_bytes, &known).map(RatingsRead::Whole)
}

fn read_links(raw_dir: &Path) -> Result<DataFrame> {
    let path = raw_dir.join(RAW_LINKS.file_name);
    let mut df = read_raw(
        raw_dir,
        &RAW_LINKS,
        &[
            RawColumn::required(RawType::U32),
            RawColumn::required(RawType::U32),
            RawColumn::optional(RawType::U32),
        ],
    )?;
    for (from, to) in RAW_LINKS.header.iter().zip(LINKS.column_names()) {
        df.rename(from, to.into()).map_err(polars_error(&path))?;
    }
    Ok(df)
}

fn read_tags(raw_dir: &Path) -> Result<DataFrame> {
    let path = raw_dir.join(RAW_TAGS.file_name);
    let mut df = read_raw(
        raw_dir,
        &RAW_TAGS,
        &[
            RawColumn::required(RawType::U32),
            RawColumn::required(RawType::U32),
            RawColumn::required(RawType::Str),
            RawColumn::required(RawType::I64),
        ],
    )?;
    for (from, to) in RAW_TAGS.header.iter().zip(TAGS.column_names()) {
        df.rename(from, to.into()).map_err(polars_error(&path))?;
    }
    Ok(df)
}

/// Reads, validates and writes the whole MovieLens folder `raw_dir` to typed parquet in
/// `out_dir`, plus the setup-readiness table. Nothing is written unless all four files validate
/// (and `out_dir` is not created).
pub fn ingest(
    raw_dir: &Path,
    out_dir: &Path,
    config: &IngestConfig,
    eligible_min_ratings: usize,
) -> Result<IngestReport> {
    config.check()?;
    // The outermost of `out_dir` and its ancestors that does not exist yet.
    let missing = out_dir
        .ancestors()
        .take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists())
        .last()
        .map(Path::to_path_buf);
    let report = ingest_into(raw_dir, out_dir, config, eligible_min_ratings);
    if let (Err(_), Some(missing)) = (&report, missing) {
        // The ratings may have been staged there (and removed): leave no folder behind.
        for dir in out_dir.ancestors() {
            if std::fs::remove_dir(dir).is_err() || dir == missing {
                break;
            }
        }
    }
    report
}

/// [`ingest`] itself, which may leave `out_dir` created (and empty) when it fails.
fn ingest_into(
    raw_dir: &Path,
    out_dir: &Path,
    config: &IngestConfig,
    eligible_min_ratings: usize,
) -> Result<IngestReport> {
    // movies.csv first (ratings are checked against it), then links.csv and tags.csv (by
    // polars' own threads) while ratings.csv is read; errors are reported in file order:
    // movies, ratings, links, tags.
    let (movies, movies_df) = read_movies(raw_dir, config)?;
    let (ratings, (links, tags)) = rayon::join(
        || read_ratings(raw_dir, &movies, out_dir),
        || (read_links(raw_dir), read_tags(raw_dir)),
    );
    let (ratings, links_df, tags_df) = (ratings?, links?, tags?);
    let summary = match &ratings {
        RatingsRead::Streamed(streamed) => streamed.summary.clone(),
        RatingsRead::Whole(columns) => {
            RatingsSummary::of(&columns.user_id, &columns.movie_id, &movies.movie_id)
        }
    };
    // The five files are written at once, so one file's fsync overlaps another's encoding
    // (and the readiness checks run while the ratings are encoded). Streamed ratings are
    // only put in place: every file is valid by now.
    type Write<'a> = Box<dyn FnOnce() -> slate_table::Result<PathBuf> + Send + 'a>;
    let writes: Vec<Write<'_>> = vec![
        Box::new(|| slate_table::write_parquet(&movies_df, &MOVIES, out_dir)),
        Box::new(|| match ratings {
            RatingsRead::Streamed(streamed) => streamed.staged.persist(),
            RatingsRead::Whole(columns) => slate_table::write_parquet_columns(
                &columns.slices(columns.len()),
                &RATINGS,
                out_dir,
            ),
        }),
        Box::new(|| slate_table::write_parquet(&links_df, &LINKS, out_dir)),
        Box::new(|| slate_table::write_parquet(&tags_df, &TAGS, out_dir)),
        Box::new(|| {
            let readiness = setup_readiness(raw_dir, &movies, &summary, eligible_min_ratings);
            let mut frame = slate_table::readiness::to_frame(&readiness)?;
            slate_table::write_csv(&mut frame, &schema::SETUP_READINESS, out_dir)
        }),
    ];
    let written = writes
        .into_par_iter()
        .map(|write| write())
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(IngestReport {
        ratings_rows: summary.rows,
        links_rows: links_df.height(),
        tags_rows: tags_df.height(),
        movies,
        written,
    })
}

/// Generates a synthetic MovieLens folder of `config`'s shape in a temporary directory and
/// ingests it, returning the validated dataset (nothing is left on disk). Small shapes make
/// test fixtures; the ML-32M shape makes benchmarks.
pub fn synthetic_dataset(
    config: &synthetic::SyntheticConfig,
    eligible_min_ratings: usize,
) -> Result<Dataset> {
    let temp = |source| IngestError::Io {
        path: std::env::temp_dir(),
        source,
    };
    let raw = tempfile::tempdir().map_err(temp)?;
    let out = tempfile::tempdir().map_err(temp)?;
    synthetic::generate(config, raw.path())?;
    ingest(
        raw.path(),
        out.path(),
        &IngestConfig::default(),
        eligible_min_ratings,
    )?;
    load_processed(out.path())
}

/// Loads the processed ratings and movies written by [`ingest`].
pub fn load_processed(processed_dir: &Path) -> Result<Dataset> {
    let movies_path = processed_dir.join(MOVIES.file_name);
    let movies_df = slate_table::read_parquet(&movies_path, &MOVIES)?;
    let label = movies_path.display().to_string();
    let genres = column_str(&movies_df, &label, col::GENRES)?
        .iter()
        .map(|field| {
            if field.is_empty() {
                Vec::new()
            } else {
                clusters::parse_genres(field)
            }
        })
        .collect();
    let release_year = movies_df
        .column(col::RELEASE_YEAR)
        .and_then(|c| c.i32().map(|ca| ca.iter().collect()))
        .map_err(|source| TableError::Polars {
            table: label.clone(),
            source,
        })?;
    let movies = Movies {
        movie_id: column_u32(&movies_df, &label, col::MOVIE_ID)?,
        title: column_str(&movies_df, &label, col::TITLE)?,
        release_year,
        genres,
        cluster: column_str(&movies_df, &label, col::CLUSTER)?,
    };
    let ratings_path = processed_dir.join(RATINGS.file_name);
    let ratings_df = slate_table::read_parquet(&ratings_path, &RATINGS)?;
    let label = ratings_path.display().to_string();
    let ratings = Ratings {
        user_id: column_u32(&ratings_df, &label, col::USER_ID)?,
        movie_id: column_u32(&ratings_df, &label, col::MOVIE_ID)?,
        rating: column_f64(&ratings_df, &label, col::RATING)?,
    };
    Ok(Dataset { movies, ratings })
}
