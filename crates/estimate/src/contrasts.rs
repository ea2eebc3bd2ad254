//! The causal contrasts of the seed notebook and the rows each one compares.
//!
//! - **Direct focal item**: focal rows; promoted focal movies vs control focal movies.
//! - **Same-cluster competitor spillover**: non-focal movies in the focal's substitute cluster.
//! - **Displaced-item spillover**: non-focal movies seeded above the focal (pushed down one place
//!   when it is promoted).
//! - **All non-focal slate spillover**: every non-focal movie.
//! - **Total slate**: one row per slate, the slate's total.
//!
//! Each is estimated on the observed click (what a logged experiment sees) and, when the log
//! carries the oracle's truth columns (a simulation), on two more outcome views: the expected
//! click probability (noise removed) and the known induced lift (the mechanism itself; zero in
//! control). Every sample is clustered by the randomization unit.

use slate_exposure::{ExposureMapping, SlateOutcomes};

use crate::dim::Sample;

/// A causal contrast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Contrast {
    /// Promoted vs control focal movies.
    DirectFocal,
    /// Same-cluster competitors.
    SameCluster,
    /// Displaced items.
    Displaced,
    /// All non-focal movies.
    AllNonFocal,
    /// Slate totals.
    TotalSlate,
}

/// An outcome view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeView {
    /// Observed simulated click (or total clicks).
    Observed,
    /// Expected click probability under the realized arm (or its slate total).
    Expected,
    /// Known induced lift (or its slate total).
    KnownLift,
}

impl OutcomeView {
    /// All views in report order.
    pub const ALL: [OutcomeView; 3] = [
        OutcomeView::Observed,
        OutcomeView::Expected,
        OutcomeView::KnownLift,
    ];

    /// The views the exposure tables support: all three with truth, else the observed one.
    pub fn available(mapping: &ExposureMapping) -> &'static [OutcomeView] {
        if mapping.truth.is_some() {
            &OutcomeView::ALL
        } else {
            &OutcomeView::ALL[..1]
        }
    }
}

impl Contrast {
    /// All contrasts in report order.
    pub const ALL: [Contrast; 5] = [
        Contrast::DirectFocal,
        Contrast::SameCluster,
        Contrast::Displaced,
        Contrast::AllNonFocal,
        Contrast::TotalSlate,
    ];

    /// The name used in every table (kept from the seed notebooks).
    pub fn name(self) -> &'static str {
        match self {
            Contrast::DirectFocal => "Direct focal item",
            Contrast::SameCluster => "Same-cluster competitor spillover",
            Contrast::Displaced => "Displaced-item spillover",
            Contrast::AllNonFocal => "All non-focal slate spillover",
            Contrast::TotalSlate => "Total slate",
        }
    }

    /// Whether the contrast compares slates (one row each) rather than item rows.
    pub fn is_slate_level(self) -> bool {
        self == Contrast::TotalSlate
    }

    /// The unit of its rows, in words.
    pub fn unit(self) -> &'static str {
        if self.is_slate_level() {
            "slates"
        } else {
            "item rows"
        }
    }

    /// The outcome label of a view for this contrast (kept from the seed notebooks).
    pub fn outcome_label(self, view: OutcomeView) -> &'static str {
        match (self.is_slate_level(), view) {
            (false, OutcomeView::Observed) => "Observed simulated click",
            (false, OutcomeView::Expected) => "Expected click probability",
            (false, OutcomeView::KnownLift) => "Known induced lift",
            (true, OutcomeView::Observed) => "Observed total simulated clicks",
            (true, OutcomeView::Expected) => "Expected total clicks",
            (true, OutcomeView::KnownLift) => "Known total induced lift",
        }
    }

    /// The label of `view` for the rows of `mapping`: the seed notebook's labels when the log
    /// is a simulation's (it carries truth: "Observed simulated click"), and "Observed click" /
    /// "Observed total clicks" for a logged experiment.
    pub fn label_in(self, view: OutcomeView, mapping: &ExposureMapping) -> &'static str {
        match (view, mapping.truth.is_some(), self.is_slate_level()) {
            (OutcomeView::Observed, false, false) => "Observed click",
            (OutcomeView::Observed, false, true) => "Observed total clicks",
            _ => self.outcome_label(view),
        }
    }

    /// Whether item row `r` of the mapping belongs to this (item-level) contrast.
    pub fn includes(self, mapping: &ExposureMapping, r: usize) -> bool {
        match self {
            Contrast::DirectFocal => mapping.is_focal[r],
            Contrast::SameCluster => mapping.same_cluster_as_focal[r],
            Contrast::Displaced => mapping.displaced_by_promotion[r],
            Contrast::AllNonFocal | Contrast::TotalSlate => !mapping.is_focal[r],
        }
    }
}

const NO_TRUTH: &str = "a truth view is only requested when the log has truth columns \
                        (OutcomeView::available)";

/// The value of `view` for item row `r`. The truth views need the oracle's columns: callers
/// ask only for [`OutcomeView::available`] views.
pub fn item_outcome(mapping: &ExposureMapping, view: OutcomeView, r: usize) -> f64 {
    match view {
        OutcomeView::Observed => f64::from(u8::from(mapping.observed_click[r])),
        OutcomeView::Expected => mapping.truth.as_ref().expect(NO_TRUTH).expected_click_prob[r],
        OutcomeView::KnownLift => mapping.truth.as_ref().expect(NO_TRUTH).known_induced_lift[r],
    }
}

/// The value of `view` for slate row `s` (truth views as in [`item_outcome`]).
pub fn slate_outcome(slates: &SlateOutcomes, view: OutcomeView, s: usize) -> f64 {
    match view {
        OutcomeView::Observed => f64::from(slates.total_observed_clicks[s]),
        OutcomeView::Expected => slates.truth.as_ref().expect(NO_TRUTH).total_expected_clicks[s],
        OutcomeView::KnownLift => slates.truth.as_ref().expect(NO_TRUTH).total_known_lift[s],
    }
}

/// Appends item row `r` (its `view` outcome, arm and unit) to `sample`.
pub fn push_item(sample: &mut Sample, mapping: &ExposureMapping, view: OutcomeView, r: usize) {
    sample.y.push(item_outcome(mapping, view, r));
    sample.treated.push(mapping.promotion_applied[r]);
    sample.cluster.push(mapping.unit_index[r]);
}

/// The rows of `contrast` under `view`, clustered by unit. `keep` filters item rows (or slate
/// rows, for the total) further, e.g. to one focal cluster.
pub fn sample_where(
    contrast: Contrast,
    view: OutcomeView,
    mapping: &ExposureMapping,
    slates: &SlateOutcomes,
    keep: impl Fn(usize) -> bool,
) -> Sample {
    sample_by(
        contrast,
        mapping,
        slates,
        keep,
        |r| item_outcome(mapping, view, r),
        |s| slate_outcome(slates, view, s),
    )
}

/// The rows of `contrast` with outcome `item_y` per item row (`slate_y` per slate for the
/// total), clustered by unit.
fn sample_by(
    contrast: Contrast,
    mapping: &ExposureMapping,
    slates: &SlateOutcomes,
    keep: impl Fn(usize) -> bool,
    item_y: impl Fn(usize) -> f64,
    slate_y: impl Fn(usize) -> f64,
) -> Sample {
    let mut sample = Sample::default();
    if contrast.is_slate_level() {
        for s in (0..slates.len()).filter(|s| keep(*s)) {
            sample.y.push(slate_y(s));
            sample.treated.push(slates.promotion_applied[s]);
            sample.cluster.push(slates.unit_index[s]);
        }
    } else {
        for r in (0..mapping.len()).filter(|r| contrast.includes(mapping, *r) && keep(*r)) {
            sample.y.push(item_y(r));
            sample.treated.push(mapping.promotion_applied[r]);
            sample.cluster.push(mapping.unit_index[r]);
        }
    }
    sample
}

/// The rows of `contrast` with the log's further outcome `k` (`mapping.outcomes[k]` per item
/// row, its slate total for the total), clustered by unit.
pub fn outcome_sample(
    contrast: Contrast,
    k: usize,
    mapping: &ExposureMapping,
    slates: &SlateOutcomes,
) -> Sample {
    sample_by(
        contrast,
        mapping,
        slates,
        |_| true,
        |r| mapping.outcomes[k].values[r],
        |s| slates.outcome_totals[k].values[s],
    )
}

/// The label of the log's further outcome `name` for `contrast`: the name per item row,
/// `total <name>` per slate.
pub fn outcome_label(contrast: Contrast, name: &str) -> String {
    if contrast.is_slate_level() {
        format!("total {name}")
    } else {
        name.to_string()
    }
}

/// All rows of `contrast` under `view`.
pub fn sample(
    contrast: Contrast,
    view: OutcomeView,
    mapping: &ExposureMapping,
    slates: &SlateOutcomes,
) -> Sample {
    sample_where(contrast, view, mapping, slates, |_| true)
}
