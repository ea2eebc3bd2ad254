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

use slate_exposure::{AnalysisSlates, ExposureMapping};
use slate_reduction::SlateCells;
use slate_reduction::columns::Cell;
use slate_reduction::truth_cells::{TruthColumns, TruthView};

use crate::EstimateError;
use crate::dim::Sample;

/// The item-level data of an experiment: the exposure mapping's item rows, or the per-slate
/// cell sums of the reduction (`slate_reduction`). Item-level samples are rows in
/// the first case and groups of rows in the second (per slate, or per unit: [`Entries`]);
/// every estimator but Lin's regression gives the same numbers on both.
#[derive(Debug, Clone, Copy)]
pub enum Items<'a> {
    /// One entry per item row.
    Rows(&'a ExposureMapping),
    /// Per slate and cell: rows and sums.
    Cells(&'a SlateCells),
}

impl Items<'_> {
    /// Whether the oracle's columns are known.
    pub fn has_truth(&self) -> bool {
        match self {
            Items::Rows(m) => m.truth.is_some(),
            Items::Cells(c) => c.truth.is_some(),
        }
    }

    /// The item rows, when the data has them.
    pub fn rows(&self) -> Option<&ExposureMapping> {
        match self {
            Items::Rows(m) => Some(m),
            Items::Cells(_) => None,
        }
    }

    /// Lets go of the truth cells read from the per-slate table (a no-op on item rows): a
    /// stage calls it when it is done with the truth views, before its observed-only work.
    pub fn release_truth(&self) {
        if let Items::Cells(SlateCells {
            truth: Some(truth), ..
        }) = self
        {
            truth.release();
        }
    }
}

/// The cell of [`Cell::PARTITION`] item row `r` is in, from its roles.
#[inline]
pub fn partition_cell(mapping: &ExposureMapping, r: usize) -> Cell {
    match (
        mapping.is_focal[r],
        mapping.same_cluster_as_focal[r],
        mapping.displaced_by_promotion[r],
    ) {
        (true, _, _) => Cell::Focal,
        (false, true, true) => Cell::SameClusterDisplaced,
        (false, true, false) => Cell::SameClusterBelow,
        (false, false, true) => Cell::OtherDisplaced,
        (false, false, false) => Cell::OtherBelow,
    }
}

/// Whether item row `r` (of slate `s`) is in `cell`.
#[inline]
pub fn row_in_cell(
    mapping: &ExposureMapping,
    slates: &AnalysisSlates,
    s: usize,
    r: usize,
    cell: Cell,
) -> bool {
    let focal = mapping.is_focal[r];
    match cell {
        Cell::Adjacent => {
            !focal && mapping.seed_position[r].abs_diff(slates.focal_seed_position[s]) == 1
        }
        Cell::TopThree => !focal && mapping.seed_position[r] <= 3,
        partition => partition_cell(mapping, r) == partition,
    }
}

/// The slate row of every item row: item rows are grouped by slate in the slate table's order
/// (the exposure stage writes both so), so a new slate starts where the slate id changes.
pub fn slate_of_rows<'a>(
    mapping: &'a ExposureMapping,
    slates: &'a AnalysisSlates,
) -> impl Iterator<Item = usize> + 'a {
    let mut s = 0usize;
    (0..mapping.len()).map(move |r| {
        if r > 0 && mapping.slate_id[r] != mapping.slate_id[r - 1] {
            s += 1;
        }
        // The slate table holds no slate ids to check each against (the exposure stage
        // writes both tables from one log, in one order): at least the count must hold.
        debug_assert!(
            s < slates.len(),
            "the mapping has more slates than the table"
        );
        s
    })
}

/// What a sample measures on each item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemValue {
    /// An outcome view of the click.
    View(OutcomeView),
    /// The log's `k`-th further outcome.
    Outcome(usize),
}

/// How a sample built from per-slate cells lays out its entries (item rows are always one
/// entry each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entries {
    /// One entry per slate: what Lin's regression needs (each slate's covariates beside it).
    Slates,
    /// When some unit holds several slates, one entry per run of consecutive slates of one
    /// unit (a unit's slates are consecutive in a slate-sorted log, so then one per unit);
    /// else one per slate, as [`Entries::Slates`]. Memory grows with units, and the
    /// estimators see the same rows: only the order of their sums changes, so results agree
    /// to rounding (1e-12), while a log of one slate per unit keeps every bit.
    Units,
}

impl Entries {
    /// Whether consecutive slates of one unit become one entry of a sample of `items`.
    pub(crate) fn merges(self, items: Items<'_>, slates: &AnalysisSlates) -> bool {
        self == Entries::Units
            && matches!(items, Items::Cells(_))
            && slates.n_units() < slates.len()
    }
}

/// Entries per group of a sample built slate by slate, where slate `s` is in group
/// `group(s)` when `has_rows(s)`: one per slate, or with `merge` one per run of consecutive
/// slates of one unit (as [`Sample::merge_group`] lays them out).
pub(crate) fn entry_counts(
    slates: &AnalysisSlates,
    group: &dyn Fn(usize) -> Option<usize>,
    groups: usize,
    merge: bool,
    has_rows: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut sizes = vec![0usize; groups];
    let mut last_unit = vec![u32::MAX; groups];
    for s in 0..slates.len() {
        let Some(g) = group(s) else { continue };
        if !has_rows(s) {
            continue;
        }
        let unit = slates.unit_index[s];
        if !merge || last_unit[g] != unit {
            sizes[g] += 1;
        }
        last_unit[g] = unit;
    }
    sizes
}

/// The rows of the cells `cells` of every slate where `keep(slate)` holds, measured by
/// `value`, clustered by unit: one entry per item row, or per-slate groups laid out as
/// [`Entries::Units`]. On the cells path a truth view is read from the per-slate table, which
/// can fail.
pub fn cell_sample(
    items: Items<'_>,
    slates: &AnalysisSlates,
    cells: &[Cell],
    value: ItemValue,
    keep: &dyn Fn(usize) -> bool,
) -> Result<Sample, EstimateError> {
    let group = |s| keep(s).then_some(0);
    cell_samples_by_group(items, slates, cells, value, &group, 1, Entries::Units).map(only)
}

/// [`cell_sample`] for each of `groups` groups of slates in one pass over the items, entries
/// laid out as `entries` says: `group(slate)` is the slate's group (`None`: no group). Sample
/// `g` equals `cell_sample` with `keep = |s| group(s) == Some(g)`, entry for entry.
pub fn cell_samples_by_group(
    items: Items<'_>,
    slates: &AnalysisSlates,
    cells: &[Cell],
    value: ItemValue,
    group: &dyn Fn(usize) -> Option<usize>,
    groups: usize,
    entries: Entries,
) -> Result<Vec<Sample>, EstimateError> {
    let mut samples = vec![Sample::default(); groups];
    match items {
        Items::Rows(mapping) => {
            for (r, s) in slate_of_rows(mapping, slates).enumerate() {
                let Some(g) = group(s) else { continue };
                if cells.iter().any(|c| row_in_cell(mapping, slates, s, r, *c)) {
                    let sample = &mut samples[g];
                    sample.y.push(match value {
                        ItemValue::View(view) => item_outcome(mapping, view, r),
                        ItemValue::Outcome(k) => mapping.outcomes[k].values[r],
                    });
                    sample.treated.push(mapping.promotion_applied[r]);
                    sample.cluster.push(mapping.unit_index[r]);
                }
            }
        }
        Items::Cells(table) => {
            // Each group's entries counted first, so that the samples are sized exactly:
            // pushes would leave up to half of each vector spare, and giving it back copies
            // the sample.
            let merge = entries.merges(items, slates);
            let has_rows = |s: usize| cells.iter().any(|cell| table.rows[cell.index()][s] > 0);
            let sizes = entry_counts(slates, group, groups, merge, has_rows);
            for (sample, n) in samples.iter_mut().zip(&sizes) {
                *sample = Sample::with_groups(*n);
            }
            let values = CellValues::of(table, cells, value)?;
            for s in 0..slates.len() {
                let Some(g) = group(s) else { continue };
                let treated = slates.promotion_applied[s];
                let (mut rows, mut sum, mut squares) = (0u32, 0.0, 0.0);
                for (k, cell) in cells.iter().enumerate() {
                    let (y, y2) = values.get(k, s);
                    rows += u32::from(table.rows[cell.index()][s]);
                    sum += y;
                    squares += y2;
                }
                let unit = slates.unit_index[s];
                if merge {
                    samples[g].merge_group(rows, sum, squares, treated, unit);
                } else {
                    samples[g].push_group(rows, sum, squares, treated, unit);
                }
            }
        }
    }
    for sample in &mut samples {
        sample.shrink_to_fit();
    }
    Ok(samples)
}

/// Reads truth view `view` of `cells` from a per-slate table ahead of a parallel section whose
/// samples ask for it (each would otherwise read what the others have not yet); `None` on
/// item rows, for the observed view or without truth. The cells stay read while the value
/// lives.
pub fn read_truth(
    items: Items<'_>,
    view: OutcomeView,
    cells: &[Cell],
) -> Result<Option<TruthColumns>, EstimateError> {
    let view = match view {
        OutcomeView::Observed => return Ok(None),
        OutcomeView::Expected => TruthView::Expected,
        OutcomeView::KnownLift => TruthView::KnownLift,
    };
    match items {
        Items::Cells(SlateCells {
            truth: Some(truth), ..
        }) => Ok(Some(truth.columns(view, cells)?)),
        _ => Ok(None),
    }
}

/// The per-slate sums of one measure over a list of cells: clicks, a further outcome's, or a
/// truth view's (read from the per-slate table once, for every slate).
pub enum CellValues<'a> {
    /// Clicks (0/1, so also their squares), per listed cell.
    Clicks(Vec<&'a [u8]>),
    /// A further outcome's Σ and Σ², per listed cell.
    Outcome(Vec<(&'a [f64], &'a [f64])>),
    /// A truth view, in the slate's own arm.
    Truth(TruthColumns),
}

impl<'a> CellValues<'a> {
    /// The sums of `value` over `cells` of `table`.
    pub fn of(
        table: &'a SlateCells,
        cells: &[Cell],
        value: ItemValue,
    ) -> Result<CellValues<'a>, EstimateError> {
        let at = |cell: &Cell| cell.index();
        let truth = |view| -> Result<CellValues<'a>, EstimateError> {
            let truth = table.truth.as_ref().expect(NO_TRUTH);
            Ok(CellValues::Truth(truth.columns(view, cells)?))
        };
        match value {
            ItemValue::View(OutcomeView::Observed) => Ok(CellValues::Clicks(
                cells
                    .iter()
                    .map(|c| table.clicks[at(c)].as_slice())
                    .collect(),
            )),
            ItemValue::View(OutcomeView::Expected) => truth(TruthView::Expected),
            ItemValue::View(OutcomeView::KnownLift) => truth(TruthView::KnownLift),
            ItemValue::Outcome(k) => {
                let outcome = &table.outcomes[k];
                Ok(CellValues::Outcome(
                    cells
                        .iter()
                        .map(|c| {
                            (
                                outcome.sum[at(c)].as_slice(),
                                outcome.squares[at(c)].as_slice(),
                            )
                        })
                        .collect(),
                ))
            }
        }
    }

    /// Σy and Σy² over the `k`-th listed cell of slate `s`.
    #[inline]
    pub fn get(&self, k: usize, s: usize) -> (f64, f64) {
        match self {
            CellValues::Clicks(clicks) => {
                let clicks = f64::from(clicks[k][s]);
                (clicks, clicks)
            }
            CellValues::Outcome(sums) => (sums[k].0[s], sums[k].1[s]),
            CellValues::Truth(truth) => truth.get(k, s),
        }
    }
}

/// A causal contrast: the `contrast` column of every estimate table, written as its name
/// (kept from the seed notebooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
pub enum Contrast {
    /// Promoted vs control focal movies.
    #[strum(serialize = "Direct focal item")]
    DirectFocal,
    /// Same-cluster competitors.
    #[strum(serialize = "Same-cluster competitor spillover")]
    SameCluster,
    /// Displaced items.
    #[strum(serialize = "Displaced-item spillover")]
    Displaced,
    /// All non-focal movies.
    #[strum(serialize = "All non-focal slate spillover")]
    AllNonFocal,
    /// Slate totals.
    #[strum(serialize = "Total slate")]
    TotalSlate,
}

/// An outcome view; as a label, the `outcome_type` column of the decomposition tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
pub enum OutcomeView {
    /// Observed simulated click (or total clicks).
    #[strum(serialize = "observed_clicks")]
    Observed,
    /// Expected click probability under the realized arm (or its slate total).
    #[strum(serialize = "expected_clicks")]
    Expected,
    /// Known induced lift (or its slate total).
    #[strum(serialize = "known_lift")]
    KnownLift,
}

slate_table::label!(Contrast, OutcomeView);

impl OutcomeView {
    /// All views in report order.
    pub const ALL: [OutcomeView; 3] = [
        OutcomeView::Observed,
        OutcomeView::Expected,
        OutcomeView::KnownLift,
    ];

    /// The views the exposure tables support: all three with truth, else the observed one.
    pub fn available(items: Items<'_>) -> &'static [OutcomeView] {
        if items.has_truth() {
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

    /// Whether the contrast compares slates (one row each) rather than item rows.
    pub fn is_slate_level(self) -> bool {
        self == Contrast::TotalSlate
    }

    /// What its rows are.
    pub fn unit(self) -> crate::tables::RowUnit {
        if self.is_slate_level() {
            crate::tables::RowUnit::Slates
        } else {
            crate::tables::RowUnit::ItemRows
        }
    }

    /// The cells of a slate this contrast compares (the total: every non-focal cell besides
    /// its slate-level rows; an item-level contrast: exactly its rows).
    pub fn cells(self) -> &'static [Cell] {
        match self {
            Contrast::DirectFocal => &[Cell::Focal],
            Contrast::SameCluster => &[Cell::SameClusterDisplaced, Cell::SameClusterBelow],
            Contrast::Displaced => &[Cell::SameClusterDisplaced, Cell::OtherDisplaced],
            Contrast::AllNonFocal | Contrast::TotalSlate => &[
                Cell::SameClusterDisplaced,
                Cell::SameClusterBelow,
                Cell::OtherDisplaced,
                Cell::OtherBelow,
            ],
        }
    }

    /// Whether item row `r` of the mapping belongs to this (item-level) contrast: its
    /// partition cell is one of [`Contrast::cells`].
    pub fn includes(self, mapping: &ExposureMapping, r: usize) -> bool {
        self.cells().contains(&partition_cell(mapping, r))
    }
}

const NO_TRUTH: &str = "a truth view is only requested when the log has truth columns \
                        (OutcomeView::available)";

/// The value of `view` for item row `r`. The truth views need the oracle's columns: callers
/// ask only for [`OutcomeView::available`] views.
#[inline]
pub fn item_outcome(mapping: &ExposureMapping, view: OutcomeView, r: usize) -> f64 {
    match view {
        OutcomeView::Observed => f64::from(u8::from(mapping.observed_click[r])),
        OutcomeView::Expected => mapping.truth.as_ref().expect(NO_TRUTH).expected_click_prob[r],
        OutcomeView::KnownLift => mapping.truth.as_ref().expect(NO_TRUTH).known_induced_lift[r],
    }
}

/// The value of `view` for slate row `s` (truth views as in [`item_outcome`]).
pub fn slate_outcome(slates: &AnalysisSlates, view: OutcomeView, s: usize) -> f64 {
    match view {
        OutcomeView::Observed => f64::from(slates.total_observed_clicks[s]),
        OutcomeView::Expected => slates.truth.as_ref().expect(NO_TRUTH).total_expected_clicks[s],
        OutcomeView::KnownLift => slates.truth.as_ref().expect(NO_TRUTH).total_known_lift[s],
    }
}

/// The rows of `contrast` under `view`, clustered by unit, in the slates where `keep(slate
/// row)` holds (entries laid out as [`Entries::Units`]).
pub fn sample_where(
    contrast: Contrast,
    view: OutcomeView,
    items: Items<'_>,
    slates: &AnalysisSlates,
    keep: impl Fn(usize) -> bool,
) -> Result<Sample, EstimateError> {
    let group = |s| keep(s).then_some(0);
    samples_by_group(contrast, view, items, slates, &group, 1).map(only)
}

/// [`sample_where`] for each of `groups` groups of slates in one pass: `group(slate)` is the
/// slate's group (`None`: no group), and sample `g` equals `sample_where` with `keep = |s|
/// group(s) == Some(g)`, entry for entry.
pub fn samples_by_group(
    contrast: Contrast,
    view: OutcomeView,
    items: Items<'_>,
    slates: &AnalysisSlates,
    group: &dyn Fn(usize) -> Option<usize>,
    groups: usize,
) -> Result<Vec<Sample>, EstimateError> {
    samples_by(
        contrast,
        items,
        slates,
        group,
        groups,
        ItemValue::View(view),
        Entries::Units,
    )
}

/// The rows of `contrast` measured by `value` (the slate's total for the total contrast),
/// clustered by unit, for each group of slates (see [`cell_samples_by_group`]). A slate-level
/// sample is one row per slate, or with merged entries one group per run of a unit's slates.
fn samples_by(
    contrast: Contrast,
    items: Items<'_>,
    slates: &AnalysisSlates,
    group: &dyn Fn(usize) -> Option<usize>,
    groups: usize,
    value: ItemValue,
    entries: Entries,
) -> Result<Vec<Sample>, EstimateError> {
    if !contrast.is_slate_level() {
        return cell_samples_by_group(
            items,
            slates,
            contrast.cells(),
            value,
            group,
            groups,
            entries,
        );
    }
    let slate_y = |s: usize| match value {
        ItemValue::View(view) => slate_outcome(slates, view, s),
        ItemValue::Outcome(k) => slates.outcome_totals[k].values[s],
    };
    let merge = entries.merges(items, slates);
    let sizes = entry_counts(slates, group, groups, merge, |_| true);
    let mut samples: Vec<Sample> = sizes
        .iter()
        .map(|n| Sample::for_slates(*n, merge))
        .collect();
    for s in 0..slates.len() {
        let Some(g) = group(s) else { continue };
        let (treated, unit) = (slates.promotion_applied[s], slates.unit_index[s]);
        samples[g].push_slate(slate_y(s), treated, unit, merge);
    }
    Ok(samples)
}

/// The rows of `contrast` with the log's further outcome `k` (per item row, its slate total
/// for the total), clustered by unit (entries laid out as [`Entries::Units`]).
pub fn outcome_sample(
    contrast: Contrast,
    k: usize,
    items: Items<'_>,
    slates: &AnalysisSlates,
) -> Result<Sample, EstimateError> {
    measured_sample(
        contrast,
        ItemValue::Outcome(k),
        items,
        slates,
        Entries::Units,
    )
}

/// Every row of `contrast` measured by `value`, entries laid out as `entries` says (Lin's
/// regression takes [`Entries::Slates`]).
pub fn measured_sample(
    contrast: Contrast,
    value: ItemValue,
    items: Items<'_>,
    slates: &AnalysisSlates,
    entries: Entries,
) -> Result<Sample, EstimateError> {
    samples_by(contrast, items, slates, &|_| Some(0), 1, value, entries).map(only)
}

/// The slates grouped by their focal item's cluster: the clusters in name order, and each
/// slate's group (its cluster's place in that order), for [`samples_by_group`].
#[derive(Debug, Clone, PartialEq)]
pub struct FocalClusters<'a> {
    /// The focal clusters, sorted by name.
    pub names: Vec<&'a str>,
    /// Per slate row, its focal cluster's index in `names`.
    pub of_slate: &'a [u32],
}

impl<'a> FocalClusters<'a> {
    /// Groups `slates` by focal cluster (the slate table's codes, which are in name order).
    pub fn of(slates: &'a AnalysisSlates) -> FocalClusters<'a> {
        FocalClusters {
            names: slates.focal_cluster.names.iter().map(|c| &**c).collect(),
            of_slate: &slates.focal_cluster.codes,
        }
    }

    /// Slate `s`'s group, as [`samples_by_group`] takes it.
    pub fn group(&self, s: usize) -> Option<usize> {
        Some(self.of_slate[s] as usize)
    }
}

/// The sample of a call with one group.
fn only(samples: Vec<Sample>) -> Sample {
    samples.into_iter().next().unwrap_or_default()
}

/// The slate totals under `view`, one entry per slate, clustered by unit (the total
/// contrast, which needs no item data).
pub fn total_sample(view: OutcomeView, slates: &AnalysisSlates) -> Sample {
    let mut sample = Sample::default();
    for s in 0..slates.len() {
        sample.y.push(slate_outcome(slates, view, s));
        sample.treated.push(slates.promotion_applied[s]);
        sample.cluster.push(slates.unit_index[s]);
    }
    sample
}

/// All rows of `contrast` under `view`.
pub fn sample(
    contrast: Contrast,
    view: OutcomeView,
    items: Items<'_>,
    slates: &AnalysisSlates,
) -> Result<Sample, EstimateError> {
    sample_where(contrast, view, items, slates, |_| true)
}
