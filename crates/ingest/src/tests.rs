//! Good and bad input for the whole ingest stage: each case writes a small MovieLens folder,
//! runs [`crate::ingest`] and checks the exact error kind and what its message names.

use std::path::Path;

use crate::{IngestConfig, IngestError, ingest};

const MOVIES: &str = "movieId,title,genres\n\
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n\
2,\"American President, The (1995)\",Comedy|Drama|Romance\n\
3,\"The \"\"Great\"\" Escape, A (1963)\",Adventure|Drama|War\n\
4,Unknown Thing,(no genres listed)\n";
const RATINGS: &str = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964981247\n2,1,0.5,964982224\n2,3,5.0,964983815\n";
const LINKS: &str =
    "movieId,imdbId,tmdbId\n1,0114709,862\n2,0113497,\n3,0057115,5925\n4,0000001,\n";
const TAGS: &str = "userId,movieId,tag,timestamp\n1,1,funny,1445714994\n2,3,\"classic, \"\"must\"\" see\",1445714996\n";

struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    fn good() -> Self {
        let folder = Folder {
            dir: tempfile::tempdir().unwrap(),
        };
        folder.write("movies.csv", MOVIES.as_bytes());
        folder.write("ratings.csv", RATINGS.as_bytes());
        folder.write("links.csv", LINKS.as_bytes());
        folder.write("tags.csv", TAGS.as_bytes());
        folder
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.dir.path().join(name), bytes).unwrap();
    }

    fn with(name: &str, bytes: &[u8]) -> Self {
        let folder = Self::good();
        folder.write(name, bytes);
        folder
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self) -> Result<crate::IngestReport, IngestError> {
        let out = self.dir.path().join("processed");
        ingest(
            self.path(),
            &out,
            &IngestConfig {
                min_cluster_share: 0.0,
            },
            1,
        )
    }
}

/// Runs ingest and checks the error's kind (by `matches`) and that its message names `parts`.
fn check_error(folder: Folder, kind: fn(&IngestError) -> bool, parts: &[&str]) {
    let err = folder.run().expect_err("bad input must be rejected");
    let message = err.to_string();
    assert!(kind(&err), "unexpected error kind: {message}");
    for part in parts {
        assert!(message.contains(part), "`{message}` should name `{part}`");
    }
    assert!(
        !folder.path().join("processed").exists(),
        "nothing may be written on bad input"
    );
}

#[test]
fn good_folder_with_quoted_titles_ingests() {
    let folder = Folder::good();
    let report = folder.run().unwrap();
    let movies = &report.movies;
    assert_eq!(movies.title[1], "American President, The (1995)");
    assert_eq!(movies.title[2], "The \"Great\" Escape, A (1963)");
    assert_eq!(movies.release_year[2], Some(1963));
    assert_eq!(movies.release_year[3], None);
    assert!(movies.genres[3].is_empty());
    assert_eq!(movies.cluster[3], crate::clusters::UNCLASSIFIED);
    assert_eq!(report.tags_rows, 2);
    let back = crate::load_processed(&folder.path().join("processed")).unwrap();
    assert_eq!(back.movies, report.movies);
    assert_eq!(back.ratings.user_id.len(), report.ratings_rows);
}

#[test]
fn missing_file_is_named() {
    let folder = Folder::good();
    std::fs::remove_file(folder.path().join("tags.csv")).unwrap();
    check_error(
        folder,
        |e| matches!(e, IngestError::MissingFile { .. }),
        &["tags.csv"],
    );
}

#[test]
fn a_failed_ingest_leaves_no_folder_it_created() {
    // The ratings are valid (so they are staged in the output folder) and tags.csv is not.
    let folder = Folder::with("tags.csv", b"userId,movieId,tag\n1,1,funny\n");
    let out = folder.path().join("a").join("b").join("processed");
    let err = ingest(folder.path(), &out, &IngestConfig::default(), 1).unwrap_err();
    assert!(matches!(err, IngestError::Header { .. }), "{err}");
    assert!(!folder.path().join("a").exists(), "nothing left behind");
    // A folder that existed stays, empty.
    std::fs::create_dir(folder.path().join("kept")).unwrap();
    let out = folder.path().join("kept").join("processed");
    ingest(folder.path(), &out, &IngestConfig::default(), 1).unwrap_err();
    assert!(folder.path().join("kept").is_dir());
    assert!(!out.exists());
}

#[test]
fn empty_file_is_rejected() {
    check_error(
        Folder::with("ratings.csv", b""),
        |e| matches!(e, IngestError::EmptyFile { .. }),
        &["ratings.csv"],
    );
}

#[test]
fn missing_column_names_the_column() {
    let bytes = b"userId,movieId,rating\n1,1,4.0\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| matches!(e, IngestError::Header { .. }),
        &["ratings.csv", "timestamp"],
    );
}

#[test]
fn reordered_header_is_rejected() {
    let bytes = b"movieId,userId,rating,timestamp\n1,1,4.0,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| matches!(e, IngestError::Header { .. }),
        &["column 1 is `movieId`, expected `userId`"],
    );
}

#[test]
fn rating_out_of_range_names_line() {
    let bytes = b"userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,5.5,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| matches!(e, IngestError::BadRating { line: 3, .. }),
        &["ratings.csv", "line 3", "5.5"],
    );
}

#[test]
fn rating_not_a_half_star_is_rejected() {
    let bytes = b"userId,movieId,rating,timestamp\n1,1,3.3,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| matches!(e, IngestError::BadRating { line: 2, .. }),
        &["3.3"],
    );
}

#[test]
fn blank_and_crlf_lines_do_not_shift_line_numbers() {
    // Line 3 is blank and line 5 ends in CRLF: the bad rating is on line 6, the unknown
    // movie (checked after the half stars) on line 7.
    let bytes = b"userId,movieId,rating,timestamp\n1,1,4.0,1\n\n1,2,3.0,1\n1,3,2.0,1\r\n2,1,7.0,1\n2,9,4.0,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| matches!(e, IngestError::BadRating { line: 6, .. }),
        &["line 6", "7"],
    );
    let bytes = b"userId,movieId,rating,timestamp\n1,1,4.0,1\n\n1,2,3.0,1\n1,3,2.0,1\r\n2,1,4.0,1\n2,9,4.0,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| {
            matches!(
                e,
                IngestError::UnknownMovie {
                    line: 7,
                    movie_id: 9,
                    ..
                }
            )
        },
        &["line 7", "movie 9"],
    );
}

#[test]
fn unsorted_ratings_still_find_a_repeated_pair() {
    let bytes = b"userId,movieId,rating,timestamp\n2,1,4.0,1\n1,2,3.0,1\n\n1,1,2.0,1\n2,1,2.5,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| {
            matches!(
                e,
                IngestError::DuplicateRating {
                    line: 6,
                    first_line: 2,
                    user_id: 2,
                    movie_id: 1,
                    ..
                }
            )
        },
        &["line 6", "line 2"],
    );
}

#[test]
fn duplicate_pair_names_both_lines() {
    let bytes = b"userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,3.0,1\n1,1,2.0,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| {
            matches!(
                e,
                IngestError::DuplicateRating {
                    line: 4,
                    first_line: 2,
                    user_id: 1,
                    movie_id: 1,
                    ..
                }
            )
        },
        &["line 4", "line 2"],
    );
}

#[test]
fn truncated_file_names_the_short_line() {
    let bytes = b"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| matches!(e, IngestError::FieldCount { line: 3, .. }),
        &["ratings.csv", "line 3"],
    );
}

#[test]
fn non_numeric_id_names_line_and_column() {
    let bytes = b"userId,movieId,rating,timestamp\n1,1,4.0,1\nabc,2,3.0,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| matches!(e, IngestError::BadValue { line: 3, column, .. } if column == "userId"),
        &["`abc`", "userId"],
    );
}

#[test]
fn negative_id_is_rejected() {
    let bytes = b"userId,movieId,rating,timestamp\n1,-2,4.0,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| matches!(e, IngestError::BadValue { line: 2, column, .. } if column == "movieId"),
        &["-2"],
    );
}

#[test]
fn rating_for_unknown_movie_is_rejected() {
    let bytes = b"userId,movieId,rating,timestamp\n1,1,4.0,1\n1,99,3.0,1\n";
    check_error(
        Folder::with("ratings.csv", bytes),
        |e| {
            matches!(
                e,
                IngestError::UnknownMovie {
                    line: 3,
                    movie_id: 99,
                    ..
                }
            )
        },
        &["99"],
    );
}

#[test]
fn non_utf8_bytes_name_the_line() {
    let mut bytes = b"movieId,title,genres\n1,Toy Story (1995),Comedy\n2,Caf".to_vec();
    bytes.extend_from_slice(&[0xe9, 0xff]);
    bytes.extend_from_slice(b" (1990),Drama\n");
    check_error(
        Folder::with("movies.csv", &bytes),
        |e| matches!(e, IngestError::Encoding { line: 3, .. }),
        &["movies.csv"],
    );
}

#[test]
fn empty_genre_field_is_a_missing_value() {
    let bytes = b"movieId,title,genres\n1,Toy Story (1995),\n2,B (1990),Drama\n3,C (1990),Drama\n4,D,Drama\n";
    check_error(
        Folder::with("movies.csv", bytes),
        |e| matches!(e, IngestError::MissingValue { line: 2, column, .. } if column == "genres"),
        &["genres"],
    );
}

#[test]
fn duplicate_movie_is_rejected() {
    let bytes = b"movieId,title,genres\n1,A (1995),Drama\n1,B (1990),Drama\n";
    check_error(
        Folder::with("movies.csv", bytes),
        |e| matches!(e, IngestError::DuplicateMovie { line: 3, .. }),
        &["movieId 1"],
    );
}

#[test]
fn extra_field_is_rejected() {
    let bytes = b"movieId,imdbId,tmdbId\n1,0114709,862,7\n";
    check_error(
        Folder::with("links.csv", bytes),
        |e| matches!(e, IngestError::FieldCount { line: 2, .. }),
        &["links.csv"],
    );
}

/// Fuzzing the CSV ingest with arbitrary bytes: every input ends in `Ok` or a typed error,
/// never a panic. 1,500 cases per file (3,000 in all) per test run.
mod fuzz {
    use proptest::prelude::*;

    use super::Folder;

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            // Mostly-valid text: digits, separators, quotes, newlines and stray bytes.
            proptest::collection::vec(
                prop_oneof![
                    Just(b'1'),
                    Just(b'5'),
                    Just(b','),
                    Just(b'.'),
                    Just(b'"'),
                    Just(b'\n'),
                    Just(b'-'),
                    any::<u8>()
                ],
                0..300
            ),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1_500, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_ratings_bytes_never_panic(with_header in any::<bool>(), bytes in body()) {
            let mut file = if with_header { b"userId,movieId,rating,timestamp\n".to_vec() } else { Vec::new() };
            file.extend_from_slice(&bytes);
            let _ = Folder::with("ratings.csv", &file).run();
        }

        #[test]
        fn arbitrary_movies_bytes_never_panic(with_header in any::<bool>(), bytes in body()) {
            let mut file = if with_header { b"movieId,title,genres\n".to_vec() } else { Vec::new() };
            file.extend_from_slice(&bytes);
            let _ = Folder::with("movies.csv", &file).run();
        }
    }
}
