//! Exposure mapping: who in a slate was exposed to what when its focal movie was (or was not)
//! promoted.
//!
//! Pipeline stage 3. Depends on `slate-simulate` (its [`SimulatedSlates`] table) and
//! `slate-table`; never on estimation, models or reporting. It defines, once, the exposure
//! roles every estimator uses:
//!
//! - **focal**: the slate's focal movie (promoted to position 1 in treated slates);
//! - **same-cluster competitor**: a non-focal movie in the focal's substitute cluster;
//! - **displaced item**: a non-focal movie seeded above the focal, so promotion pushes it down
//!   one place;
//! - **other**: everything else.
//!
//! Roles are defined from the seed slate, so they exist in both arms: a control slate's
//! same-cluster movies are the comparison group for a promoted slate's. It writes the item-row
//! exposure mapping, the slate outcome table (with oracle potential outcomes and model
//! features), the assignment table and the exposure-readiness checks.

pub mod readiness;
pub mod schema;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use slate_simulate::SimulatedSlates;
use slate_table::TableError;
use slate_table::readiness::Check;

pub use schema::{AssignmentTable, ExposureMapping, SlateOutcomes};

/// What can go wrong mapping exposure.
#[derive(Debug, thiserror::Error)]
pub enum ExposureError {
    /// The simulated slates violate a structural invariant (corrupted or hand-edited input).
    #[error("simulated slates, slate {slate_id}: {message}")]
    Invalid {
        /// The offending slate.
        slate_id: u32,
        /// What is wrong.
        message: String,
    },
    /// The input has no rows.
    #[error("simulated slates table is empty")]
    Empty,
    /// Reading or writing a table failed.
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Everything the exposure stage produces.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureTables {
    /// Item-row mapping.
    pub mapping: ExposureMapping,
    /// One row per slate.
    pub slates: SlateOutcomes,
    /// The design.
    pub assignment: AssignmentTable,
    /// Readiness checks.
    pub readiness: Vec<Check>,
}

/// The exposure role of a non-focal or focal item, as used in labels.
fn role(is_focal: bool, same_cluster: bool, displaced: bool) -> &'static str {
    match (is_focal, same_cluster, displaced) {
        (true, _, _) => "focal",
        (false, true, true) => "same-cluster competitor, displaced",
        (false, true, false) => "same-cluster competitor",
        (false, false, true) => "displaced item",
        (false, false, false) => "other item",
    }
}

/// Row ranges of each slate; checks rows are grouped by slate with exactly one focal each.
fn slate_ranges(
    sim: &SimulatedSlates,
) -> Result<Vec<(std::ops::Range<usize>, usize)>, ExposureError> {
    if sim.is_empty() {
        return Err(ExposureError::Empty);
    }
    let mut ranges = Vec::new();
    let mut seen = HashSet::new();
    let mut start = 0;
    while start < sim.len() {
        let id = sim.slate_id[start];
        if !seen.insert(id) {
            return Err(ExposureError::Invalid {
                slate_id: id,
                message: "rows are not contiguous".into(),
            });
        }
        let mut end = start;
        while end < sim.len() && sim.slate_id[end] == id {
            end += 1;
        }
        let focal: Vec<usize> = (start..end).filter(|r| sim.is_focal[*r]).collect();
        if focal.len() != 1 {
            return Err(ExposureError::Invalid {
                slate_id: id,
                message: format!("{} focal rows, expected exactly 1", focal.len()),
            });
        }
        if (start..end).any(|r| sim.promotion_applied[r] != sim.promotion_applied[start]) {
            return Err(ExposureError::Invalid {
                slate_id: id,
                message: "assignment varies within the slate".into(),
            });
        }
        ranges.push((start..end, focal[0]));
        start = end;
    }
    Ok(ranges)
}

fn mean(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count();
    values.sum::<f64>() / n.max(1) as f64
}

/// Maps exposure for every item and summarises every slate.
pub fn map_exposure(sim: &SimulatedSlates) -> Result<ExposureTables, ExposureError> {
    let ranges = slate_ranges(sim)?;
    let mut mapping = ExposureMapping::with_capacity(sim.len());
    let mut slates = SlateOutcomes::with_capacity(ranges.len());
    let mut assignment = AssignmentTable::with_capacity(ranges.len());
    for (rows, focal) in &ranges {
        let promoted = sim.promotion_applied[*focal];
        let focal_seed = sim.seed_position[*focal];
        let focal_cluster = &sim.cluster[*focal];
        let mut counts = (0u32, 0u32, 0u32);
        let mut totals = [0f64; 4]; // expected, baseline, if_promoted, observed
        let mut clusters = HashSet::new();
        for r in rows.clone() {
            let is_focal = r == *focal;
            let same_cluster = !is_focal && &sim.cluster[r] == focal_cluster;
            let displaced = !is_focal && sim.seed_position[r] < focal_seed;
            let baseline = sim.click_prob_if_control[r];
            let expected = if promoted {
                sim.click_prob_if_promoted[r]
            } else {
                baseline
            };
            counts.0 += u32::from(same_cluster);
            counts.1 += u32::from(displaced);
            counts.2 += u32::from(same_cluster && displaced);
            totals[0] += expected;
            totals[1] += baseline;
            totals[2] += sim.click_prob_if_promoted[r];
            totals[3] += f64::from(u8::from(sim.observed_click[r]));
            clusters.insert(sim.cluster[r].as_str());

            mapping.slate_id.push(sim.slate_id[r]);
            mapping.user_id.push(sim.user_id[r]);
            mapping.movie_id.push(sim.movie_id[r]);
            mapping.cluster.push(sim.cluster[r].clone());
            mapping.focal_movie_id.push(sim.movie_id[*focal]);
            mapping.focal_cluster.push(focal_cluster.clone());
            mapping.seed_position.push(sim.seed_position[r]);
            mapping.final_position.push(sim.final_position[r]);
            mapping
                .position_shift
                .push(i64::from(sim.final_position[r]) - i64::from(sim.seed_position[r]));
            mapping.relevance.push(sim.relevance[r]);
            mapping.is_focal.push(is_focal);
            mapping.promotion_applied.push(promoted);
            mapping.same_cluster_as_focal.push(same_cluster);
            mapping.displaced_by_promotion.push(displaced);
            mapping.exposure_condition.push(format!(
                "{} | {}",
                role(is_focal, same_cluster, displaced),
                if promoted { "promoted" } else { "control" }
            ));
            mapping.baseline_click_prob.push(baseline);
            mapping.expected_click_prob.push(expected);
            mapping.known_induced_lift.push(expected - baseline);
            mapping
                .click_prob_if_promoted
                .push(sim.click_prob_if_promoted[r]);
            mapping.observed_click.push(sim.observed_click[r]);
        }
        let relevance = &sim.relevance[rows.clone()];
        let n = relevance.len() as f64;
        let mean_relevance = mean(relevance.iter().copied());
        let variance = relevance
            .iter()
            .map(|v| (v - mean_relevance).powi(2))
            .sum::<f64>()
            / (n - 1.0).max(1.0);
        let slate_id = sim.slate_id[*focal];
        slates.slate_id.push(slate_id);
        slates.user_id.push(sim.user_id[*focal]);
        slates.session.push(sim.session[*focal]);
        slates.promotion_applied.push(promoted);
        slates
            .assignment_probability
            .push(sim.assignment_probability[*focal]);
        slates.focal_movie_id.push(sim.movie_id[*focal]);
        slates.focal_cluster.push(focal_cluster.clone());
        slates.focal_seed_position.push(focal_seed);
        slates.focal_relevance.push(sim.relevance[*focal]);
        slates.n_same_cluster_competitors.push(counts.0);
        slates.n_displaced_items.push(counts.1);
        slates.n_same_cluster_displaced.push(counts.2);
        slates.total_observed_clicks.push(totals[3] as u32);
        slates.total_expected_clicks.push(totals[0]);
        slates.total_baseline_clicks.push(totals[1]);
        slates.total_known_lift.push(totals[0] - totals[1]);
        slates.total_expected_clicks_if_promoted.push(totals[2]);
        slates.total_expected_clicks_if_control.push(totals[1]);
        slates.slate_promotion_effect.push(totals[2] - totals[1]);
        slates.focal_observed_click.push(sim.observed_click[*focal]);
        slates.mean_relevance.push(mean_relevance);
        slates
            .max_relevance
            .push(relevance.iter().copied().fold(f64::MIN, f64::max));
        slates
            .min_relevance
            .push(relevance.iter().copied().fold(f64::MAX, f64::min));
        slates.relevance_std.push(variance.sqrt());
        slates
            .top3_mean_relevance
            .push(mean(relevance.iter().take(3).copied()));
        slates
            .focal_relevance_gap
            .push(relevance[0] - sim.relevance[*focal]);
        slates.n_distinct_clusters.push(clusters.len() as u32);
        slates.focal_cluster_share.push(f64::from(counts.0 + 1) / n);
        slates.user_n_ratings.push(sim.user_n_ratings[*focal]);
        slates.user_mean_rating.push(sim.user_mean_rating[*focal]);

        assignment.slate_id.push(slate_id);
        assignment.user_id.push(sim.user_id[*focal]);
        assignment.focal_movie_id.push(sim.movie_id[*focal]);
        assignment.focal_cluster.push(focal_cluster.clone());
        assignment.focal_seed_position.push(focal_seed);
        assignment.focal_relevance.push(sim.relevance[*focal]);
        assignment.promotion_applied.push(promoted);
        assignment
            .assignment_probability
            .push(sim.assignment_probability[*focal]);
    }
    let readiness = readiness::exposure_readiness(&mapping, &slates);
    Ok(ExposureTables {
        mapping,
        slates,
        assignment,
        readiness,
    })
}

/// Writes the four exposure artifacts to `dir`; returns their paths.
pub fn write(tables: &ExposureTables, dir: &Path) -> Result<Vec<PathBuf>, ExposureError> {
    let mut readiness = slate_table::readiness::to_frame(&tables.readiness)?;
    Ok(vec![
        slate_table::write_parquet(&tables.mapping.to_frame()?, &schema::EXPOSURE_MAPPING, dir)?,
        slate_table::write_parquet(&tables.slates.to_frame()?, &schema::SLATE_OUTCOMES, dir)?,
        slate_table::write_parquet(&tables.assignment.to_frame()?, &schema::ASSIGNMENT, dir)?,
        slate_table::write_csv(&mut readiness, &schema::EXPOSURE_READINESS, dir)?,
    ])
}

/// Reads the item-row exposure mapping from `dir`.
pub fn read_mapping(dir: &Path) -> Result<ExposureMapping, ExposureError> {
    let path = dir.join(schema::EXPOSURE_MAPPING.file_name);
    let frame = slate_table::read_parquet(&path, &schema::EXPOSURE_MAPPING)?;
    Ok(ExposureMapping::from_frame(
        &frame,
        &path.display().to_string(),
    )?)
}

/// Reads the slate outcome table from `dir`.
pub fn read_slates(dir: &Path) -> Result<SlateOutcomes, ExposureError> {
    let path = dir.join(schema::SLATE_OUTCOMES.file_name);
    let frame = slate_table::read_parquet(&path, &schema::SLATE_OUTCOMES)?;
    Ok(SlateOutcomes::from_frame(
        &frame,
        &path.display().to_string(),
    )?)
}

#[cfg(test)]
mod tests;
