//! The simulation's impression log: what a logged experiment would record, in the canonical
//! schema of `slate-log`, with the oracle's two truth columns and the MovieLens covariates.
//! Every analysis of a MovieLens run reads this file, as it would read a team's own log.

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
    let ids = |v: &[u32]| v.iter().map(|x| i64::from(*x)).collect::<Vec<i64>>();
    MovieLensLog {
        slate_id: ids(&sim.slate_id),
        unit_id: match unit {
            RandomizationUnit::Slate => ids(&sim.slate_id),
            RandomizationUnit::User => ids(&sim.user_id),
        },
        user_id: ids(&sim.user_id),
        item_id: ids(&sim.movie_id),
        item_cluster: sim.cluster.clone(),
        seed_position: ids(&sim.seed_position),
        shown_position: ids(&sim.final_position),
        is_focal: sim.is_focal.clone(),
        promoted: sim.promotion_applied.clone(),
        click: sim.observed_click.clone(),
        assignment_probability: sim.assignment_probability.clone(),
        click_prob_if_promoted: sim.click_prob_if_promoted.clone(),
        click_prob_if_control: sim.click_prob_if_control.clone(),
        relevance: sim.relevance.clone(),
        user_n_ratings: ids(&sim.user_n_ratings),
        user_mean_rating: sim.user_mean_rating.clone(),
    }
}

/// Writes the impression log of `sim`, randomized by `unit`, to `dir`.
pub fn write_log(
    sim: &SimulatedSlates,
    unit: RandomizationUnit,
    dir: &Path,
) -> Result<PathBuf, slate_table::TableError> {
    impression_log(sim, unit).write_parquet(dir)
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
    fn the_log_starts_with_every_canonical_column_in_order() {
        let names = IMPRESSION_LOG.column_names();
        let canonical: Vec<&str> = LogColumn::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names[..canonical.len()], canonical[..]);
        let covariates = log_config().covariates;
        assert_eq!(
            names[canonical.len()..],
            covariates.iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
    }
}
