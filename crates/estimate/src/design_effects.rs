//! Effects along the promotion design: the spillover on items by how far promotion pushes them
//! down, and the effects in slates with one, two, or three or more focal items.
//!
//! - **Spillover by displacement distance**: non-focal items whose position under promotion
//!   is 1, 2, or 3 or more places below their seed position, promoted vs control (the
//!   displacement is defined from the design, so in both arms). With one focal item promoted to
//!   the top every displaced item moves one place, so only the first bucket has rows.
//! - **Effects by the number of focal items**: the five contrasts within the slates that have
//!   1, 2, or 3 or more focal items. These are subgroup effects: the number of focal items is
//!   part of a slate's design, not randomized, so slates with more focal items may differ in
//!   other ways; a difference between the buckets is not the effect of promoting one more item.
//!
//! Each bucket is estimated with unit-clustered CR1 (normal interval) and CR2 (Bell–McCaffrey,
//! Satterthwaite t). A bucket with no rows in an arm gets no row.

use slate_exposure::AnalysisSlates;
use slate_reduction::SlateCells;
use slate_reduction::columns::Cell;

use crate::EstimateError;
use crate::contrasts::{
    Contrast, Entries, ItemValue, Items, OutcomeView, item_outcome, samples_by_group,
};
use crate::dim::{DiffInMeans, Sample, difference_in_means};
use crate::inference::{ClusteredMethod, Clustering, Inference, InferenceMethod, cr2_inference};
use slate_table::Label;

/// The buckets of a count (a displacement or a number of focal items): 1, 2, 3 or more.
pub const BUCKETS: [&str; 3] = ["1", "2", "3+"];

/// The bucket of `count` (none for 0).
fn bucket(count: u32) -> Option<usize> {
    match count {
        0 => None,
        n => Some((n as usize).min(3) - 1),
    }
}

slate_table::table! {
    /// `movielens_interference_spillover_by_displacement.csv`: the observed-click spillover
    /// on non-focal items pushed down 1, 2, or 3 or more places by promotion (promoted vs
    /// control, the displacement defined from the design in both arms), under unit-clustered
    /// CR1 and CR2.
    pub struct DisplacementSpillover, schema DISPLACEMENT_SPILLOVER = "movielens_interference_spillover_by_displacement.csv" {
        /// Places pushed down: `1`, `2` or `3+`.
        displacement: String,
        /// The uncertainty method.
        method: ClusteredMethod,
        /// Treated mean minus control mean.
        estimate: f64,
        /// Standard error.
        se: f64,
        /// 95% interval lower bound.
        ci_95_lower: f64,
        /// 95% interval upper bound.
        ci_95_upper: f64,
        /// Two-sided p-value of no effect.
        p_value: f64,
        /// Treated rows.
        treated_n: u32,
        /// Control rows.
        control_n: u32,
        /// Randomization units.
        clusters: u32,
    }
}

slate_table::table! {
    /// `movielens_interference_effects_by_focal_count.csv`: the five contrasts on the observed
    /// click within the slates that have 1, 2, or 3 or more focal items, under unit-clustered
    /// CR1 and CR2. Subgroup effects: the number of focal items is not randomized, so a
    /// difference between buckets is not the effect of promoting one more item.
    pub struct FocalCountEffects, schema FOCAL_COUNT_EFFECTS = "movielens_interference_effects_by_focal_count.csv" {
        /// Focal items in the slate: `1`, `2` or `3+`.
        n_focals: String,
        /// What the row is: a subgroup effect, not a randomized comparison of focal counts.
        effect_kind: String,
        /// Contrast name.
        contrast: Contrast,
        /// The uncertainty method.
        method: ClusteredMethod,
        /// Treated mean minus control mean.
        estimate: f64,
        /// Standard error.
        se: f64,
        /// 95% interval lower bound.
        ci_95_lower: f64,
        /// 95% interval upper bound.
        ci_95_upper: f64,
        /// Two-sided p-value of no effect.
        p_value: f64,
        /// Treated rows (slates for the total).
        treated_n: u32,
        /// Control rows (slates for the total).
        control_n: u32,
        /// Randomization units.
        clusters: u32,
    }
}

/// The `effect_kind` of every row of [`FocalCountEffects`].
pub const SUBGROUP_EFFECT: &str = "subgroup (focal count not randomized)";

/// Whether both arms of `sample` have rows.
fn both_arms(sample: &Sample) -> bool {
    let treated = sample.treated_rows();
    treated > 0 && treated < sample.n_rows()
}

/// A bucket's difference in means under CR1 and CR2, or none when an arm has no rows.
fn cr1_and_cr2(
    sample: &Sample,
    what: &str,
) -> Result<Option<(DiffInMeans, [Inference; 2])>, EstimateError> {
    if !both_arms(sample) {
        return Ok(None);
    }
    let r = difference_in_means(sample, what, "observed click")?;
    with_cr2(sample, r).map(Some)
}

/// CR1 (from `r`, the difference in means of `sample`) and CR2 of `sample`.
fn with_cr2(
    sample: &Sample,
    r: DiffInMeans,
) -> Result<(DiffInMeans, [Inference; 2]), EstimateError> {
    let cr2 = cr2_inference(sample, &r)?;
    Ok(with_cr1(r, cr2))
}

/// CR1 from `r` beside its CR2 row `cr2`.
fn with_cr1(r: DiffInMeans, cr2: Inference) -> (DiffInMeans, [Inference; 2]) {
    let (lower, upper) = r.ci_95();
    let cr1 = Inference {
        method: InferenceMethod::Cr1,
        estimate: r.estimate,
        se: r.cluster_se,
        ci_lower: lower,
        ci_upper: upper,
        p_value: r.p_value_cluster(),
    };
    (r, [cr1, cr2])
}

/// The observed-click sample, result and CR2 row of each contrast, in [`Contrast::ALL`] order,
/// as the estimate suite already holds them: a bucket that is the whole contrast reuses them
/// instead of building its sample again (a sample of every slate is large at millions of
/// slates) and computing its CR2 again (on item rows, a pass with a small matrix product per
/// cluster). The CR2 row is none when an arm of the contrast has no rows.
pub type Observed<'a> = [(&'a Sample, &'a DiffInMeans, Option<&'a Inference>)];

/// The CR2 row of `sample` with difference in means `r`, or none when an arm has no rows (what
/// [`Observed`] holds and the inference comparison reuses).
pub fn observed_cr2(sample: &Sample, r: &DiffInMeans) -> Result<Option<Inference>, EstimateError> {
    if !both_arms(sample) {
        return Ok(None);
    }
    cr2_inference(sample, r).map(Some)
}

/// Whether some item is pushed down more than one place.
fn displaced_beyond_one(items: Items<'_>) -> bool {
    match items {
        Items::Rows(mapping) => mapping.displacement.iter().any(|d| *d > 1),
        Items::Cells(SlateCells {
            displacement: Some(buckets),
            ..
        }) => buckets[1..]
            .iter()
            .any(|(rows, _)| rows.iter().any(|n| *n > 0)),
        Items::Cells(_) => false,
    }
}

/// The observed-click samples of the non-focal items displaced 1, 2 and 3+ places.
pub fn displacement_samples(
    items: Items<'_>,
    slates: &AnalysisSlates,
) -> Result<[Sample; 3], EstimateError> {
    let mut samples: [Sample; 3] = Default::default();
    match items {
        Items::Rows(mapping) => {
            for r in 0..mapping.len() {
                if let Some(b) = bucket(mapping.displacement[r]) {
                    let sample = &mut samples[b];
                    sample
                        .y
                        .push(item_outcome(mapping, OutcomeView::Observed, r));
                    sample.treated.push(mapping.promotion_applied[r]);
                    sample.cluster.push(mapping.unit_index[r]);
                }
            }
        }
        // A per-slate table of a log with target positions counts each bucket per slate.
        Items::Cells(SlateCells {
            displacement: Some(buckets),
            ..
        }) => {
            // Entries laid out as `Entries::Units`: a unit's consecutive slates are one.
            let merge = Entries::Units.merges(items, slates);
            for (sample, (rows, clicks)) in samples.iter_mut().zip(buckets) {
                for s in 0..slates.len() {
                    // Clicks are 0/1: their sum is also their sum of squares.
                    let clicks = f64::from(clicks[s]);
                    let (rows, treated, unit) = (
                        u32::from(rows[s]),
                        slates.promotion_applied[s],
                        slates.unit_index[s],
                    );
                    if merge {
                        sample.merge_group(rows, clicks, clicks, treated, unit);
                    } else {
                        sample.push_group(rows, clicks, clicks, treated, unit);
                    }
                }
                sample.shrink_to_fit();
            }
        }
        // Without target positions each slate has one focal item promoted to the top: its
        // displaced cells are the items pushed down one place.
        Items::Cells(_) => {
            samples[0] = crate::contrasts::cell_sample(
                items,
                slates,
                &[Cell::SameClusterDisplaced, Cell::OtherDisplaced],
                ItemValue::View(OutcomeView::Observed),
                &|_| true,
            )?;
        }
    }
    Ok(samples)
}

/// The spillover by displacement distance. When no item is pushed down more than one place
/// (one focal item promoted to the top, say), the first bucket is the displaced-item contrast
/// of `observed`, reused.
pub fn spillover_by_displacement(
    items: Items<'_>,
    slates: &AnalysisSlates,
    observed: &Observed<'_>,
) -> Result<DisplacementSpillover, EstimateError> {
    let clustering = Clustering::of(slates);
    let mut table = DisplacementSpillover::default();
    let mut results = Vec::new();
    if displaced_beyond_one(items) {
        for (label, sample) in BUCKETS.iter().zip(displacement_samples(items, slates)?) {
            let what = format!("spillover at displacement {label}");
            if let Some(result) = cr1_and_cr2(&sample, &what)? {
                results.push((label, result));
            }
        }
    } else {
        let i = Contrast::ALL
            .iter()
            .position(|c| *c == Contrast::Displaced)
            .expect("a contrast");
        if let (_, r, Some(cr2)) = observed[i] {
            results.push((&BUCKETS[0], with_cr1(r.clone(), *cr2)));
        }
    }
    for (label, (r, inferences)) in results {
        for i in inferences {
            table.displacement.push(label.to_string());
            table.method.push(i.method.under(clustering));
            table.estimate.push(i.estimate);
            table.se.push(i.se);
            table.ci_95_lower.push(i.ci_lower);
            table.ci_95_upper.push(i.ci_upper);
            table.p_value.push(i.p_value);
            table.treated_n.push(r.treated_n as u32);
            table.control_n.push(r.control_n as u32);
            table.clusters.push(r.clusters as u32);
        }
    }
    Ok(table)
}

/// The five contrasts within the slates with 1, 2 and 3+ focal items. When every slate is in
/// one bucket, its rows are the contrasts of `observed`, reused.
pub fn effects_by_focal_count(
    items: Items<'_>,
    slates: &AnalysisSlates,
    observed: &Observed<'_>,
) -> Result<FocalCountEffects, EstimateError> {
    let clustering = Clustering::of(slates);
    let group = |s: usize| bucket(slates.n_focals[s]);
    let mut table = FocalCountEffects::default();
    let first = (!slates.n_focals.is_empty()).then(|| group(0)).flatten();
    let one_bucket = first.filter(|b| (0..slates.len()).all(|s| group(s) == Some(*b)));
    let mut results = Vec::new();
    match one_bucket {
        Some(b) => {
            for (contrast, (_, r, cr2)) in Contrast::ALL.iter().zip(observed) {
                if let Some(cr2) = cr2 {
                    results.push((b, *contrast, with_cr1((*r).clone(), **cr2)));
                }
            }
        }
        None => {
            let by_contrast: Vec<Vec<Sample>> = Contrast::ALL
                .iter()
                .map(|c| samples_by_group(*c, OutcomeView::Observed, items, slates, &group, 3))
                .collect::<Result<_, _>>()?;
            for b in 0..BUCKETS.len() {
                for (contrast, samples) in Contrast::ALL.iter().zip(&by_contrast) {
                    let what = format!(
                        "{} in slates with {} focal items",
                        contrast.text(),
                        BUCKETS[b]
                    );
                    if let Some(result) = cr1_and_cr2(&samples[b], &what)? {
                        results.push((b, *contrast, result));
                    }
                }
            }
        }
    }
    for (b, contrast, (r, inferences)) in results {
        let label = BUCKETS[b];
        for i in inferences {
            table.n_focals.push(label.to_string());
            table.effect_kind.push(SUBGROUP_EFFECT.to_string());
            table.contrast.push(contrast);
            table.method.push(i.method.under(clustering));
            table.estimate.push(i.estimate);
            table.se.push(i.se);
            table.ci_95_lower.push(i.ci_lower);
            table.ci_95_upper.push(i.ci_upper);
            table.p_value.push(i.p_value);
            table.treated_n.push(r.treated_n as u32);
            table.control_n.push(r.control_n as u32);
            table.clusters.push(r.clusters as u32);
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fall_in_one_two_and_three_or_more() {
        assert_eq!(bucket(0), None);
        assert_eq!(bucket(1), Some(0));
        assert_eq!(bucket(2), Some(1));
        assert_eq!(bucket(3), Some(2));
        assert_eq!(bucket(11), Some(2));
    }
}
