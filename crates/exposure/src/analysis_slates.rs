//! The slate table as the estimators hold it: the columns of [`SlateOutcomes`] that the
//! estimate and decompose stages read, and nothing else, each in its narrowest form.
//!
//! The whole slate table has 21 fixed columns and six truth columns. The estimators read
//! seven and three, plus the design probability and the focal clusters: the rest (the slate's,
//! unit's and user's raw ids, the session, the focal movie, the role counts, the focal item's
//! click, the distinct clusters, the cluster share, whether the probability is logged, the
//! other potential outcomes) go to the written table and the models stage, which reads them
//! from disk. The design probability is one value per log (every source checks it so), held
//! once rather than per slate; the focal clusters are codes into their sorted names (4 bytes a
//! slate rather than a 16-byte shared string, and the grouping the estimators need). Holding
//! only this saves 106 bytes a slate with truth (880 MB at 8.34 million slates) for the length
//! of both stages.

use std::collections::{BTreeSet, HashMap};

use slate_log::CovariateLevel;
use slate_table::SharedStr;

use crate::feature_columns::{FeatureColumns, FeatureFile};
use crate::schema::{NamedColumn, SlateOutcomes};
use crate::{ExposureError, SlateOutcomesFile};

/// The slate outcomes' columns the estimators read (see the module documentation): one entry
/// per slate, in the slate table's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnalysisSlates {
    /// Whether the focal item was promoted.
    pub promotion_applied: Vec<bool>,
    /// The design probability of promotion, one for the whole log (NaN without slates).
    pub assignment_probability: f64,
    /// The (lead) focal item's cluster.
    pub focal_cluster: FocalClusterCodes,
    /// The (lead) focal item's seed position.
    pub focal_seed_position: Vec<u32>,
    /// Items on the slate.
    pub slate_size: Vec<u32>,
    /// Observed clicks on the slate.
    pub total_observed_clicks: Vec<u32>,
    /// Dense index of the unit: the cluster for inference.
    pub unit_index: Vec<u32>,
    /// The number of focal items in the slate.
    pub n_focals: Vec<u32>,
    /// The (lead) focal item's target slot.
    pub focal_target_position: Vec<u32>,
    /// The truth columns the estimators read, when the log has truth.
    pub truth: Option<AnalysisTruth>,
    /// Covariate-derived features, in column order (Lin's adjustment and the balance check
    /// read them): held, or left on disk.
    pub features: FeatureColumns,
    /// The log's covariates and their levels.
    pub covariates: Vec<(String, CovariateLevel)>,
    /// Each further outcome's total per slate, named by the outcome.
    pub outcome_totals: Vec<NamedColumn>,
}

/// The slate truth columns the estimators read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnalysisTruth {
    /// Expected clicks under the realized arm.
    pub total_expected_clicks: Vec<f64>,
    /// Known induced lift (expected − baseline; 0 in control).
    pub total_known_lift: Vec<f64>,
    /// Oracle slate effect of promotion: if promoted − if control.
    pub slate_promotion_effect: Vec<f64>,
}

/// Each slate's focal cluster as a code into the distinct focal clusters sorted by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FocalClusterCodes {
    /// The distinct focal clusters, sorted by name.
    pub names: Vec<SharedStr>,
    /// Per slate, its cluster's index in `names`.
    pub codes: Vec<u32>,
}

impl FocalClusterCodes {
    /// The codes of `clusters` (one per slate).
    pub fn of(clusters: &[SharedStr]) -> FocalClusterCodes {
        let names: Vec<SharedStr> = clusters
            .iter()
            .map(|c| &**c)
            .collect::<BTreeSet<&str>>()
            .into_iter()
            .map(SharedStr::from)
            .collect();
        let code: HashMap<&str, u32> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (&**name, i as u32))
            .collect();
        let codes = clusters.iter().map(|c| code[&**c]).collect();
        FocalClusterCodes { names, codes }
    }

    /// Slate `s`'s focal cluster.
    pub fn name(&self, s: usize) -> &str {
        &self.names[self.codes[s] as usize]
    }
}

/// The log's one design probability, from a slate column that repeats it (NaN when empty).
fn design_probability(column: &[f64]) -> f64 {
    let p = column.first().copied().unwrap_or(f64::NAN);
    debug_assert!(column.iter().all(|v| v.to_bits() == p.to_bits()));
    p
}

impl AnalysisSlates {
    /// Slates.
    pub fn len(&self) -> usize {
        self.unit_index.len()
    }

    /// Whether there are no slates.
    pub fn is_empty(&self) -> bool {
        self.unit_index.is_empty()
    }

    /// Leaves the features in `file`, the slate-outcomes table written from these slates, and
    /// frees the held ones (see [`FeatureColumns`]). A table of other slates or other features
    /// is an error naming it.
    pub fn features_on_disk(&mut self, file: SlateOutcomesFile) -> Result<(), ExposureError> {
        let names = self.features.names();
        if file.len() != self.len() || file.features() != names {
            return Err(ExposureError::Inconsistent {
                table: file.path().display().to_string(),
                message: format!(
                    "{} slates with features {:?}, not the {} slates with features {:?} it was written from",
                    file.len(),
                    file.features(),
                    self.len(),
                    names
                ),
            });
        }
        self.features = FeatureColumns::OnDisk {
            file: FeatureFile::of(&file),
            names,
        };
        Ok(())
    }

    /// The number of randomization units (unit indices are dense, so the largest plus one).
    pub fn n_units(&self) -> usize {
        self.unit_index.iter().max().map_or(0, |m| *m as usize + 1)
    }
}

impl From<SlateOutcomes> for AnalysisSlates {
    /// Keeps the read columns and frees the others.
    fn from(slates: SlateOutcomes) -> AnalysisSlates {
        let SlateOutcomes {
            rows,
            truth,
            features,
            covariates,
            outcome_totals,
        } = slates;
        let truth = truth.map(|t| t.into_analysis(&rows.promotion_applied));
        AnalysisSlates {
            promotion_applied: rows.promotion_applied,
            assignment_probability: design_probability(&rows.assignment_probability),
            focal_cluster: FocalClusterCodes::of(&rows.focal_cluster),
            focal_seed_position: rows.focal_seed_position,
            slate_size: rows.slate_size,
            total_observed_clicks: rows.total_observed_clicks,
            unit_index: rows.unit_index,
            n_focals: rows.n_focals,
            focal_target_position: rows.focal_target_position,
            truth,
            features,
            covariates,
            outcome_totals,
        }
    }
}

impl From<&SlateOutcomes> for AnalysisSlates {
    /// A copy of the read columns.
    fn from(slates: &SlateOutcomes) -> AnalysisSlates {
        let rows = &slates.rows;
        AnalysisSlates {
            promotion_applied: rows.promotion_applied.clone(),
            assignment_probability: design_probability(&rows.assignment_probability),
            focal_cluster: FocalClusterCodes::of(&rows.focal_cluster),
            focal_seed_position: rows.focal_seed_position.clone(),
            slate_size: rows.slate_size.clone(),
            total_observed_clicks: rows.total_observed_clicks.clone(),
            unit_index: rows.unit_index.clone(),
            n_focals: rows.n_focals.clone(),
            focal_target_position: rows.focal_target_position.clone(),
            truth: slates
                .truth
                .clone()
                .map(|t| t.into_analysis(&rows.promotion_applied)),
            features: slates.features.clone(),
            covariates: slates.covariates.clone(),
            outcome_totals: slates.outcome_totals.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{HeldTruth, SlateRows, SlateTruth};

    #[test]
    fn it_keeps_the_read_columns_as_they_are() {
        let mut slates = SlateOutcomes {
            rows: SlateRows::default(),
            ..SlateOutcomes::default()
        };
        let mut truth = SlateTruth::default();
        for s in 0..3u32 {
            let rows = &mut slates.rows;
            rows.slate_id.push(10 + i64::from(s));
            rows.unit_id.push(100);
            rows.user_id.push(7);
            rows.session.push(s);
            rows.promotion_applied.push(s == 1);
            rows.assignment_probability.push(0.5);
            rows.focal_movie_id.push(42);
            rows.focal_cluster
                .push(["Drama", "Comedy", "Drama"][s as usize].into());
            rows.focal_seed_position.push(5 + s);
            rows.slate_size.push(10);
            rows.n_same_cluster_competitors.push(2);
            rows.n_displaced_items.push(4);
            rows.n_same_cluster_displaced.push(1);
            rows.total_observed_clicks.push(s);
            rows.focal_observed_click.push(false);
            rows.n_distinct_clusters.push(6);
            rows.focal_cluster_share.push(0.3);
            rows.unit_index.push(s / 2);
            rows.assignment_probability_logged.push(true);
            rows.n_focals.push(1);
            rows.focal_target_position.push(1);
            truth.total_expected_clicks.push(1.5 + f64::from(s));
            truth.total_baseline_clicks.push(1.0);
            truth.total_known_lift.push(0.25 * f64::from(s));
            truth.total_expected_clicks_if_promoted.push(2.0);
            truth.total_expected_clicks_if_control.push(1.0);
            truth.slate_promotion_effect.push(1.0);
        }
        slates.truth = Some(HeldTruth::Columns(truth.clone()));
        let view = AnalysisSlates::from(&slates);
        assert_eq!(view, AnalysisSlates::from(slates.clone()));
        assert_eq!((view.len(), view.n_units(), view.is_empty()), (3, 2, false));
        assert_eq!(view.assignment_probability, 0.5);
        let names: Vec<&str> = view.focal_cluster.names.iter().map(|c| &**c).collect();
        assert_eq!(names, ["Comedy", "Drama"]);
        assert_eq!(view.focal_cluster.codes, [1, 0, 1]);
        assert!((0..3).all(|s| view.focal_cluster.name(s) == &*slates.focal_cluster[s]));
        assert_eq!(view.promotion_applied, slates.promotion_applied);
        assert_eq!(view.focal_seed_position, slates.focal_seed_position);
        assert_eq!(view.total_observed_clicks, slates.total_observed_clicks);
        assert_eq!(view.unit_index, slates.unit_index);
        let whole = truth;
        let truth = view.truth.unwrap();
        assert_eq!(truth.total_expected_clicks, whole.total_expected_clicks);
        assert_eq!(truth.total_known_lift, whole.total_known_lift);
        assert_eq!(truth.slate_promotion_effect, whole.slate_promotion_effect);
    }

    /// The truth held as its two totals gives every column as the slate's arm makes it, and
    /// the estimators' three as those columns.
    #[test]
    fn the_truths_totals_give_every_column() {
        let promoted = [true, false, true, false];
        let (p, c) = (vec![2.5, 1.75, 0.5, 3.0], vec![1.0, 1.5, 0.75, 3.0]);
        let totals = HeldTruth::Totals {
            if_promoted: p.clone(),
            if_control: c.clone(),
        };
        let t = totals.rows(0..4, &promoted);
        assert_eq!(t.total_expected_clicks, [2.5, 1.5, 0.5, 3.0]);
        assert_eq!(t.total_baseline_clicks, c);
        assert_eq!(t.total_known_lift, [1.5, 0.0, -0.25, 0.0]);
        assert_eq!(t.total_expected_clicks_if_promoted, p);
        assert_eq!(t.total_expected_clicks_if_control, c);
        assert_eq!(t.slate_promotion_effect, [1.5, 0.25, -0.25, 0.0]);
        assert_eq!(totals.rows(1..3, &promoted), t.rows(1..3));
        assert_eq!(totals.slate_promotion_effect(), t.slate_promotion_effect);
        assert!((0..4).all(|s| totals.known_lift(s, promoted[s]) == t.total_known_lift[s]));
        assert!((0..4).all(|s| totals.baseline(s) == c[s]));
        let columns = HeldTruth::Columns(t.clone());
        assert_eq!(
            totals.clone().into_analysis(&promoted),
            columns.into_analysis(&promoted)
        );
        assert!(totals.columns().is_none());
    }
}
