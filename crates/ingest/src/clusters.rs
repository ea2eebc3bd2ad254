//! Movie metadata: genres, release year, and the genre-based substitute cluster.
//!
//! # The substitute-cluster rule
//!
//! MovieLens lists a movie's genres in alphabetical order, so "first listed genre" would put every
//! `Action|Adventure|Sci-Fi` movie in *Action* and every `Adventure|Animation|Children` movie in
//! *Adventure*: the two broadest genres would swallow most of the catalogue and the cluster would
//! say more about the alphabet than about substitution.
//!
//! We assign each movie its **most specific qualifying genre**: among its genres, the one that
//! is rarest in the whole catalogue, provided that genre covers at least `min_cluster_share` of
//! the catalogue (default 10%, so no cluster is too small to estimate anything on). Ties break alphabetically, so the
//! rule is deterministic. `IMAX` is a projection format, not content, and never defines a
//! cluster. A movie with no qualifying genre falls back to its rarest genre; a movie with no
//! genres at all (`(no genres listed)`) goes to [`UNCLASSIFIED`].
//!
//! Why rarest: the rarer genre is the more informative one about what a viewer would accept
//! instead. `Animation|Children|Comedy` competes with other animated children's films, not with
//! every comedy; `Drama|War` competes with war films. Broad genres (Drama, Comedy) remain clusters
//! for movies that carry nothing more specific.

use std::collections::HashMap;

/// Cluster of movies without any listed genre.
pub const UNCLASSIFIED: &str = "Unclassified";

/// The token MovieLens uses for a movie without genres.
pub const NO_GENRES: &str = "(no genres listed)";

/// Genres that describe a format rather than content; they never define a cluster.
const FORMAT_GENRES: &[&str] = &["IMAX"];

/// Splits a MovieLens genre field (`A|B|C`) into genres; `(no genres listed)` gives none.
pub fn parse_genres(field: &str) -> Vec<String> {
    if field == NO_GENRES {
        return Vec::new();
    }
    field
        .split('|')
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parses the release year from a title such as `Heat (1995)` or `Babylon 5 (1994-1998)`.
/// Returns `None` when the title carries no year (some MovieLens titles do not).
pub fn parse_year(title: &str) -> Option<i32> {
    let trimmed = title.trim_end();
    let inner = trimmed.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let content = &inner[open + 1..];
    let year = content.get(..4)?;
    if !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = &content[4..];
    if !(rest.is_empty() || rest.starts_with('-') || rest.starts_with('–')) {
        return None;
    }
    year.parse().ok()
}

/// Assigns every movie its substitute cluster (see the module docs for the rule).
pub fn assign_clusters(genres: &[Vec<String>], min_cluster_movies: usize) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for movie in genres {
        for genre in movie {
            *counts.entry(genre.as_str()).or_default() += 1;
        }
    }
    genres
        .iter()
        .map(|movie| {
            let candidates = || {
                movie
                    .iter()
                    .map(String::as_str)
                    .filter(|g| !FORMAT_GENRES.contains(g))
                    .map(|g| (counts[g], g))
            };
            let rarest_qualifying = candidates()
                .filter(|(count, _)| *count >= min_cluster_movies)
                .min();
            let rarest_any = candidates().min();
            rarest_qualifying
                .or(rarest_any)
                .map(|(_, g)| g.to_string())
                .unwrap_or_else(|| UNCLASSIFIED.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(list: &str) -> Vec<String> {
        parse_genres(list)
    }

    #[test]
    fn years_are_parsed_from_titles() {
        assert_eq!(parse_year("Toy Story (1995)"), Some(1995));
        assert_eq!(parse_year("Babylon 5 (1994-1998)"), Some(1994));
        assert_eq!(
            parse_year("City of Lost Children, The (Cité des enfants perdus, La) (1995) "),
            Some(1995)
        );
        assert_eq!(parse_year("Dogs (film)"), None);
        assert_eq!(parse_year("No year"), None);
        assert_eq!(parse_year("(1995"), None);
    }

    #[test]
    fn no_genres_token_gives_empty_list() {
        assert!(parse_genres("(no genres listed)").is_empty());
        assert_eq!(parse_genres("Action|Sci-Fi"), vec!["Action", "Sci-Fi"]);
    }

    #[test]
    fn rarest_qualifying_genre_wins_not_the_alphabetically_first() {
        let movies = vec![
            g("Action|Adventure|Sci-Fi"),
            g("Action|Adventure"),
            g("Action"),
            g("Action|Sci-Fi"),
            g("Adventure|Sci-Fi|IMAX"),
            g("(no genres listed)"),
            g("Western"),
        ];
        // Counts: Action 4, Adventure 3, Sci-Fi 3, IMAX 1, Western 1.
        let clusters = assign_clusters(&movies, 2);
        assert_eq!(
            clusters[0], "Adventure",
            "tie Adventure/Sci-Fi (3) breaks alphabetically"
        );
        assert_eq!(clusters[1], "Adventure");
        assert_eq!(clusters[2], "Action");
        assert_eq!(clusters[3], "Sci-Fi");
        assert_eq!(clusters[4], "Adventure", "IMAX never defines a cluster");
        assert_eq!(clusters[5], UNCLASSIFIED);
        assert_eq!(
            clusters[6], "Western",
            "falls back to its rarest genre when none qualifies"
        );
    }
}
