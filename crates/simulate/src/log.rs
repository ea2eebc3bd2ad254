//! The simulation's impression log: what a logged experiment would record, in the canonical
//! schema of `slate-log`, with the oracle's two truth columns and the MovieLens covariates.
//! Every analysis of a MovieLens run reads this file, as it would read a team's own log.

use std::ops::Range;
use std::path::{Path, PathBuf};

use slate_log::LogConfig;

use crate::config::RandomizationUnit;
use crate::{SimulateError, SimulatedSlates};

slate_table::table! {
    /// `movielens_interference_impression_log.parquet`: the simulated experiment as an
    /// impression log (one row per shown item, canonical columns first), with the truth columns
    /// and the MovieLens covariates `relevance` (item-level), `user_n_ratings` and
    /// `user_mean_rating` (slate-level). The randomization unit is the design's: the slate by
    /// default, the user under user randomization.
    pub struct MovieLensLog, schema IMPRESSION_LOG = "movielens_interference_impression_log.parquet" {
        /// The slate.
        slate_id: i64,
        /// The randomization unit: the slate, or the user under user randomization.
        unit_id: i64,
        /// The MovieLens user the slate was built for.
        user_id: i64,
        /// The MovieLens movie id.
        item_id: i64,
        /// The movie's substitute cluster.
        item_cluster: slate_table::SharedStr,
        /// 1-based seed position.
        seed_position: i64,
        /// 1-based position shown.
        shown_position: i64,
        /// Whether this is the slate's focal movie.
        is_focal: bool,
        /// Whether the slate's focal movie was promoted.
        promoted: bool,
        /// The simulated click.
        click: bool,
        /// The design probability of promotion.
        assignment_probability: f64,
        /// Truth: click probability had the slate been promoted.
        click_prob_if_promoted: f64,
        /// Truth: click probability had the slate not been promoted.
        click_prob_if_control: f64,
        /// Covariate: the relevance model's score of the movie for the user.
        relevance: f64,
        /// Covariate: the user's number of ratings.
        user_n_ratings: i64,
        /// Covariate: the user's mean rating.
        user_mean_rating: f64,
        /// The slot a focal movie is promoted to (0 on a non-focal row, where it is ignored).
        target_position: i64,
    }
}

/// How the analysis reads [`IMPRESSION_LOG`]: canonical names, no further outcomes, the three
/// MovieLens covariates. (`analyze --log` on this file takes the same `[log]` section.)
pub fn log_config() -> LogConfig {
    LogConfig {
        covariates: vec![
            "relevance".into(),
            "user_n_ratings".into(),
            "user_mean_rating".into(),
        ],
        ..LogConfig::default()
    }
}

/// The simulated slates as an impression log whose randomization unit is `unit`.
pub fn impression_log(sim: &SimulatedSlates, unit: RandomizationUnit) -> MovieLensLog {
    impression_log_rows(sim, unit, 0..sim.len())
}

/// Rows `range` of [`impression_log`].
fn impression_log_rows(
    sim: &SimulatedSlates,
    unit: RandomizationUnit,
    range: Range<usize>,
) -> MovieLensLog {
    let ids = |v: &[u32]| v[range.clone()].iter().map(|x| i64::from(*x)).collect();
    let copy = |v: &[f64]| v[range.clone()].to_vec();
    let flags = |v: &[bool]| v[range.clone()].to_vec();
    MovieLensLog {
        slate_id: ids(&sim.slate_id),
        unit_id: match unit {
            RandomizationUnit::Slate => ids(&sim.slate_id),
            RandomizationUnit::User => ids(&sim.user_id),
        },
        user_id: ids(&sim.user_id),
        item_id: ids(&sim.movie_id),
        item_cluster: sim.cluster[range.clone()].to_vec(),
        seed_position: ids(&sim.seed_position),
        shown_position: ids(&sim.final_position),
        is_focal: flags(&sim.is_focal),
        promoted: flags(&sim.promotion_applied),
        click: flags(&sim.observed_click),
        assignment_probability: copy(&sim.assignment_probability),
        click_prob_if_promoted: copy(&sim.click_prob_if_promoted),
        click_prob_if_control: copy(&sim.click_prob_if_control),
        relevance: copy(&sim.relevance),
        user_n_ratings: ids(&sim.user_n_ratings),
        user_mean_rating: copy(&sim.user_mean_rating),
        target_position: ids(&sim.target_position),
    }
}

impl slate_table::RowBatch for MovieLensLog {
    fn columns(&self) -> Vec<slate_table::ColumnSlice<'_>> {
        self.column_slices()
            .expect("no column of the impression log is nullable")
    }
}

/// Writes the impression log of `sim`, randomized by `unit`, to `dir`, a row group at a time:
/// memory holds the row groups being encoded, not a second copy of the slates.
pub fn write_log(
    sim: &SimulatedSlates,
    unit: RandomizationUnit,
    dir: &Path,
) -> Result<PathBuf, slate_table::TableError> {
    slate_table::write_parquet_batches(
        &[&IMPRESSION_LOG],
        &[],
        sim.len(),
        |range| Ok(impression_log_rows(sim, unit, range)),
        dir,
    )
}

/// The validated log of `sim`, in memory (the coverage study re-draws and re-reads it).
pub fn to_log(
    sim: &SimulatedSlates,
    unit: RandomizationUnit,
) -> Result<slate_log::ImpressionLog, SimulateError> {
    let frame = impression_log(sim, unit).to_frame()?;
    let (log, dropped) = slate_log::ImpressionLog::from_frame(
        &frame,
        IMPRESSION_LOG.file_name,
        &log_config(),
        slate_log::OnBadSlate::Error,
    )?;
    debug_assert!(dropped.is_empty());
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use slate_log::LogColumn;

    #[test]
    fn the_log_written_a_row_group_at_a_time_is_the_whole_tables_file() {
        let sim = crate::tests::slates(&crate::tests::small_config());
        let dir = tempfile::tempdir().unwrap();
        let (batched, whole) = (dir.path().join("batched"), dir.path().join("whole"));
        write_log(&sim, RandomizationUnit::User, &batched).unwrap();
        impression_log(&sim, RandomizationUnit::User)
            .write_parquet(&whole)
            .unwrap();
        let bytes = |d: &Path| std::fs::read(d.join(IMPRESSION_LOG.file_name)).unwrap();
        assert_eq!(bytes(&batched), bytes(&whole));
    }

    #[test]
    fn a_range_of_the_log_is_those_rows_of_the_whole_log() {
        let sim = crate::tests::slates(&crate::tests::small_config());
        for unit in [RandomizationUnit::Slate, RandomizationUnit::User] {
            let whole = impression_log(&sim, unit);
            for range in [0..sim.len(), 5..17, sim.len() - 1..sim.len(), 3..3] {
                assert_eq!(
                    impression_log_rows(&sim, unit, range.clone()),
                    whole.rows(range)
                );
            }
        }
    }

    #[test]
    fn the_log_starts_with_every_canonical_column_in_order() {
        let names = IMPRESSION_LOG.column_names();
        // The canonical columns, the covariates, then the target positions (added after the
        // covariates, so that the columns of earlier logs keep their places).
        let canonical: Vec<&str> = LogColumn::ALL
            .iter()
            .filter(|c| **c != LogColumn::TargetPosition)
            .map(|c| c.name())
            .collect();
        assert_eq!(names[..canonical.len()], canonical[..]);
        let covariates = log_config().covariates;
        assert_eq!(
            names[canonical.len()..names.len() - 1],
            covariates.iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
        assert_eq!(names.last(), Some(&LogColumn::TargetPosition.name()));
    }
}
