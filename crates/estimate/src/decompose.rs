//! Direct / indirect / total decomposition, spillover-definition sensitivity, and cluster and
//! position risk (notebook 03, as the final report consumes it).
//!
//! Each decomposition component is a slate-level difference in means of the per-slate sum of
//! that component's outcomes (a slate with no such items contributes 0), with slate-clustered
//! SEs. Because the difference in means is linear in the outcome and the components partition
//! the slate, direct + indirect components equal the total up to floating-point rounding; the
//! additivity table shows the difference.

use std::path::{Path, PathBuf};

use slate_exposure::{AnalysisSlates, ExposureMapping, NamedColumn};

use crate::contrasts::{
    CellValues, Contrast, Entries, FocalClusters, ItemValue, Items, OutcomeView, cell_sample,
    entry_counts, item_outcome, samples_by_group, slate_of_rows,
};
use crate::dim::{DiffInMeans, Sample, difference_in_means, push_dim};
use crate::outcome::Outcome;
use crate::{EstimateConfig, EstimateError};
use slate_reduction::columns::Cell;
use slate_table::Label;

/// The family of a decomposition component: the `effect_family` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum EffectFamily {
    /// The promoted item's own effect.
    Direct,
    /// The effect on the rest of the slate.
    Indirect,
    /// The whole slate.
    Total,
}

/// A part of the slate whose clicks the decomposition compares: the `component` column.
/// The first three partition the slate; the last is the slate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum Component {
    /// The focal item.
    #[strum(serialize = "Focal item")]
    Focal,
    /// Its same-cluster competitors.
    #[strum(serialize = "Same-cluster competitors")]
    SameCluster,
    /// The other non-focal items.
    #[strum(serialize = "Other competitors")]
    Other,
    /// The whole slate.
    #[strum(serialize = "Full slate")]
    FullSlate,
}

slate_table::label!(EffectFamily, Component);

/// Which non-focal items count as competitors: the `definition` column of the spillover
/// sensitivity table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum SpilloverDefinition {
    /// The focal's substitute cluster.
    #[strum(serialize = "Same cluster")]
    SameCluster,
    /// Seeded above the focal.
    #[strum(serialize = "Displaced")]
    Displaced,
    /// Every non-focal item.
    #[strum(serialize = "All non-focal")]
    AllNonFocal,
    /// Substitutes that are also displaced.
    #[strum(serialize = "Same cluster and displaced")]
    SameClusterDisplaced,
    /// Substitutes seeded below the focal.
    #[strum(serialize = "Same cluster, not displaced")]
    SameClusterBelow,
    /// One seed position from the focal.
    #[strum(serialize = "Adjacent to focal")]
    Adjacent,
    /// In the seed ranking's top three.
    #[strum(serialize = "Top three seed positions")]
    TopThree,
}

slate_table::label!(SpilloverDefinition);

impl SpilloverDefinition {
    /// What it includes, in words (the `description` column).
    pub fn description(self) -> &'static str {
        match self {
            SpilloverDefinition::SameCluster => {
                "Non-focal movies in the focal's substitute cluster"
            }
            SpilloverDefinition::Displaced => {
                "Non-focal movies seeded above the focal (pushed down one place)"
            }
            SpilloverDefinition::AllNonFocal => "Every non-focal movie on the slate",
            SpilloverDefinition::SameClusterDisplaced => "Substitutes that are also pushed down",
            SpilloverDefinition::SameClusterBelow => "Substitutes seeded below the focal",
            SpilloverDefinition::Adjacent => {
                "Non-focal movies one seed position above or below the focal"
            }
            SpilloverDefinition::TopThree => {
                "Non-focal movies the seed ranking put in positions 1-3"
            }
        }
    }

    /// The cells of a slate it compares.
    pub fn cells(self) -> &'static [Cell] {
        match self {
            SpilloverDefinition::SameCluster => Contrast::SameCluster.cells(),
            SpilloverDefinition::Displaced => Contrast::Displaced.cells(),
            SpilloverDefinition::AllNonFocal => Contrast::AllNonFocal.cells(),
            SpilloverDefinition::SameClusterDisplaced => &[Cell::SameClusterDisplaced],
            SpilloverDefinition::SameClusterBelow => &[Cell::SameClusterBelow],
            SpilloverDefinition::Adjacent => &[Cell::Adjacent],
            SpilloverDefinition::TopThree => &[Cell::TopThree],
        }
    }
}

impl Component {
    /// Every component, in table order.
    pub const ALL: [Component; 4] = [
        Component::Focal,
        Component::SameCluster,
        Component::Other,
        Component::FullSlate,
    ];

    /// Its family.
    pub fn family(self) -> EffectFamily {
        match self {
            Component::Focal => EffectFamily::Direct,
            Component::SameCluster | Component::Other => EffectFamily::Indirect,
            Component::FullSlate => EffectFamily::Total,
        }
    }

    /// The row's name in the report: family and component ("Direct: Focal item").
    pub fn title(self) -> String {
        format!("{}: {}", self.family().text(), self.text())
    }

    /// The component of item row `r` (never the full slate).
    fn of(mapping: &ExposureMapping, r: usize) -> Component {
        if mapping.is_focal[r] {
            Component::Focal
        } else if mapping.same_cluster_as_focal[r] {
            Component::SameCluster
        } else {
            Component::Other
        }
    }
}

slate_table::table! {
    /// `movielens_interference_direct_indirect_total_effects.csv`: direct, indirect (same-cluster,
    /// other) and total effects per promoted slate and per 1,000, for 3 outcome types.
    pub struct DirectIndirectTotal, schema DIRECT_INDIRECT_TOTAL = "movielens_interference_direct_indirect_total_effects.csv" {
        /// The component's family.
        effect_family: EffectFamily,
        /// The component.
        component: Component,
        /// The outcome view.
        outcome_type: OutcomeView,
        /// Difference in means of the per-slate component sum.
        estimate_per_slate: f64,
        /// Slate-clustered SE (one row per slate).
        se: f64,
        /// 95% CI lower bound.
        ci_95_lower: f64,
        /// 95% CI upper bound.
        ci_95_upper: f64,
        /// Two-sided normal p-value.
        p_value: f64,
        /// Estimate × 1,000.
        estimate_per_1000_promoted_slates: f64,
        /// CI lower × 1,000.
        ci_95_lower_per_1000: f64,
        /// CI upper × 1,000.
        ci_95_upper_per_1000: f64,
        /// Mean component sum in promoted slates.
        treated_mean: f64,
        /// Mean component sum in control slates.
        control_mean: f64,
        /// Slates.
        slates: u32,
    }
}

slate_table::table! {
    /// `movielens_interference_additivity_checks.csv`: direct + indirect against the total, one
    /// row per outcome type.
    pub struct AdditivityChecks, schema ADDITIVITY_CHECKS = "movielens_interference_additivity_checks.csv" {
        /// Outcome type.
        outcome_type: OutcomeView,
        /// Direct component.
        direct: f64,
        /// Same-cluster indirect component.
        indirect_same_cluster: f64,
        /// Other indirect component.
        indirect_other: f64,
        /// direct + both indirect components.
        direct_plus_indirect: f64,
        /// Total component.
        total: f64,
        /// direct_plus_indirect − total.
        difference: f64,
        /// |difference| ≤ 1e-9.
        additive: bool,
    }
}

slate_table::table! {
    /// `movielens_interference_spillover_definition_sensitivity.csv`: the spillover effect under
    /// each competitor definition, with slate-clustered intervals.
    pub struct SpilloverSensitivity, schema SPILLOVER_SENSITIVITY = "movielens_interference_spillover_definition_sensitivity.csv" {
        /// Competitor definition.
        definition: SpilloverDefinition,
        /// What it includes.
        description: String,
        /// Observed difference in means per item row.
        estimate: f64,
        /// Slate-clustered SE.
        cluster_se: f64,
        /// 95% CI lower bound.
        ci_95_lower: f64,
        /// 95% CI upper bound.
        ci_95_upper: f64,
        /// p-value.
        p_value: f64,
        /// Rows in promoted slates.
        treated_n: u32,
        /// Rows in control slates.
        control_n: u32,
        /// Slates with such rows.
        clusters: u32,
    }
}

slate_table::table! {
    /// `movielens_interference_product_summary.csv`: focal gain, competitor losses and net effect
    /// in observed clicks per 1,000 promoted slates.
    pub struct ProductSummary, schema PRODUCT_SUMMARY = "movielens_interference_product_summary.csv" {
        /// The quantity.
        metric: ProductMetric,
        /// Clicks per 1,000 promoted slates.
        clicks_per_1000_promoted_slates: f64,
        /// 95% CI lower bound.
        ci_95_lower: f64,
        /// 95% CI upper bound.
        ci_95_upper: f64,
        /// How to read it.
        interpretation: String,
    }
}

slate_table::table! {
    /// `movielens_interference_cluster_risk.csv`: focal clusters most exposed to displacement.
    pub struct ClusterRisk, schema CLUSTER_RISK = "movielens_interference_cluster_risk.csv" {
        /// The focal movie's cluster.
        focal_cluster: String,
        /// Slates with a focal in this cluster.
        slates: u32,
        /// Same-cluster competitor rows.
        same_cluster_rows: u32,
        /// Same-cluster spillover (observed, per item row).
        same_cluster_estimate: f64,
        /// Its CI lower bound.
        same_cluster_ci_95_lower: f64,
        /// Its CI upper bound.
        same_cluster_ci_95_upper: f64,
        /// Net slate effect (observed total clicks per slate).
        net_slate_estimate: f64,
        /// Its CI lower bound.
        net_slate_ci_95_lower: f64,
        /// Its CI upper bound.
        net_slate_ci_95_upper: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_position_risk.csv`: how the rank jump changes the net effect.
    pub struct PositionRisk, schema POSITION_RISK = "movielens_interference_position_risk.csv" {
        /// Focal seed positions in the band.
        position_band: String,
        /// Places the (lead) focal item moves up when promoted: its seed positions less its
        /// target slot (with one focal item to the top, the seed positions less 1).
        rank_jump: String,
        /// Slates in the band.
        slates: u32,
        /// Direct focal effect (observed).
        direct_estimate: f64,
        /// Net slate effect (observed total clicks).
        net_slate_estimate: f64,
        /// Its CI lower bound.
        net_slate_ci_95_lower: f64,
        /// Its CI upper bound.
        net_slate_ci_95_upper: f64,
    }
}

/// Everything the decomposition stage writes.
#[derive(Debug, Clone, PartialEq)]
pub struct DecompositionTables {
    /// Components × outcome types.
    pub effects: DirectIndirectTotal,
    /// Additivity per outcome type.
    pub additivity: AdditivityChecks,
    /// Spillover definitions.
    pub sensitivity: SpilloverSensitivity,
    /// Product numbers.
    pub product: ProductSummary,
    /// Cluster risk.
    pub cluster_risk: ClusterRisk,
    /// Position risk.
    pub position_risk: PositionRisk,
    /// With truth: the known-lift estimate of each sensitivity row (`known_lift_estimate`).
    pub sensitivity_known_lift: Option<NamedColumn>,
    /// With truth: the known net lift per promoted slate of each position band
    /// (`known_net_lift`).
    pub position_known_net_lift: Option<NamedColumn>,
}

/// The cells of the three components: the focal item, its same-cluster competitors, the
/// other non-focal items.
pub const COMPONENT_CELLS: [&[Cell]; 3] = [
    &[Cell::Focal],
    &[Cell::SameClusterDisplaced, Cell::SameClusterBelow],
    &[Cell::OtherDisplaced, Cell::OtherBelow],
];

/// The components each of the decomposition's four samples sums per slate (indices into
/// [`COMPONENT_CELLS`]): direct, same-cluster, other, and their total.
const COMPONENTS_AND_TOTAL: [&[usize]; 4] = [&[0], &[1], &[2], &[0, 1, 2]];

/// The sample of the total alone.
const TOTAL: [&[usize]; 1] = [&[0, 1, 2]];

/// Slate samples of per-slate sums of components, one per entry of `parts` (the components it
/// adds, in order), for one view, restricted to slates where `keep(slate row)` holds.
fn component_samples<const N: usize>(
    items: Items<'_>,
    slates: &AnalysisSlates,
    view: OutcomeView,
    parts: [&[usize]; N],
    keep: &dyn Fn(usize) -> bool,
) -> Result<[Sample; N], EstimateError> {
    let group = |s| keep(s).then_some(0);
    Ok(
        component_samples_by_group(items, slates, view, parts, &group, 1)?
            .pop()
            .unwrap_or_else(|| std::array::from_fn(|_| Sample::default())),
    )
}

/// [`component_samples`] for each of `groups` groups of slates from one pass over the items:
/// `group(slate)` is the slate's group (`None`: no group). Entries are laid out as
/// [`Entries::Units`]: one per slate, or one group per run of a unit's slates.
fn component_samples_by_group<const N: usize>(
    items: Items<'_>,
    slates: &AnalysisSlates,
    view: OutcomeView,
    parts: [&[usize]; N],
    group: &dyn Fn(usize) -> Option<usize>,
    groups: usize,
) -> Result<Vec<[Sample; N]>, EstimateError> {
    let n = slates.len();
    // Item rows sum into a vector per slate first; cells are summed slate by slate.
    let (row_sums, values) = match items {
        Items::Rows(mapping) => {
            let mut sums = vec![[0f64; 3]; n];
            // Item rows are grouped by slate in the slate table's order.
            for (r, s) in slate_of_rows(mapping, slates).enumerate() {
                sums[s][Component::of(mapping, r) as usize] += item_outcome(mapping, view, r);
            }
            (sums, None)
        }
        Items::Cells(cells) => {
            let listed: Vec<Cell> = COMPONENT_CELLS.concat();
            let values = CellValues::of(cells, &listed, ItemValue::View(view))?;
            (Vec::new(), Some(values))
        }
    };
    let slate_sums = |s: usize| match &values {
        None => row_sums[s],
        Some(values) => {
            let mut sum = [0f64; 3];
            let mut k = 0;
            for (component, sum) in COMPONENT_CELLS.iter().zip(sum.iter_mut()) {
                for _ in *component {
                    *sum += values.get(k, s).0;
                    k += 1;
                }
            }
            sum
        }
    };
    let merge = Entries::Units.merges(items, slates);
    let sizes = entry_counts(slates, group, groups, merge, |_| true);
    let mut out: Vec<[Sample; N]> = sizes
        .iter()
        .map(|size| std::array::from_fn(|_| Sample::for_slates(*size, merge)))
        .collect();
    for s in 0..n {
        let Some(g) = group(s) else { continue };
        let sum = slate_sums(s);
        let (treated, unit) = (slates.promotion_applied[s], slates.unit_index[s]);
        for (sample, part) in out[g].iter_mut().zip(parts) {
            let value = part
                .iter()
                .map(|c| sum[*c])
                .reduce(|a, b| a + b)
                .unwrap_or(0.0);
            sample.push_slate(value, treated, unit, merge);
        }
    }
    Ok(out)
}

/// Runs the decomposition and every risk and sensitivity table.
pub fn run_decomposition(
    items: Items<'_>,
    slates: &AnalysisSlates,
    config: &EstimateConfig,
) -> Result<DecompositionTables, EstimateError> {
    config.check()?;
    let mut effects = DirectIndirectTotal::default();
    let mut additivity = AdditivityChecks::default();
    let mut observed: Vec<DiffInMeans> = Vec::new();
    let views = OutcomeView::available(items);
    for view in OutcomeView::ALL.into_iter().filter(|v| views.contains(v)) {
        let samples = component_samples(items, slates, view, COMPONENTS_AND_TOTAL, &|_| true)?;
        let mut estimates = [0f64; 4];
        for (k, (component, sample)) in Component::ALL.into_iter().zip(&samples).enumerate() {
            let r = difference_in_means(sample, &component.title(), view.text())?;
            let (lower, upper) = r.ci_95();
            effects.effect_family.push(component.family());
            effects.component.push(component);
            effects.outcome_type.push(view);
            effects.estimate_per_slate.push(r.estimate);
            push_dim!(effects, &r, [se, ci_95_lower, ci_95_upper, p_value]);
            effects
                .estimate_per_1000_promoted_slates
                .push(r.estimate * 1000.0);
            effects.ci_95_lower_per_1000.push(lower * 1000.0);
            effects.ci_95_upper_per_1000.push(upper * 1000.0);
            push_dim!(effects, &r, [treated_mean, control_mean, slates]);
            estimates[k] = r.estimate;
            if view == OutcomeView::Observed {
                observed.push(r);
            }
        }
        let sum = estimates[0] + estimates[1] + estimates[2];
        additivity.outcome_type.push(view);
        additivity.direct.push(estimates[0]);
        additivity.indirect_same_cluster.push(estimates[1]);
        additivity.indirect_other.push(estimates[2]);
        additivity.direct_plus_indirect.push(sum);
        additivity.total.push(estimates[3]);
        additivity.difference.push(sum - estimates[3]);
        additivity.additive.push((sum - estimates[3]).abs() <= 1e-9);
    }
    let (sensitivity, sensitivity_known_lift) = spillover_sensitivity(items, slates)?;
    let competitors = {
        // Same-cluster and other competitors together, per slate.
        let [combined] =
            component_samples(items, slates, OutcomeView::Observed, [&[1, 2]], &|_| true)?;
        difference_in_means(
            &combined,
            "Indirect: All competitors",
            OutcomeView::Observed.text(),
        )?
    };
    let product = product_summary(&observed, &competitors);
    let cluster_risk = cluster_risk(items, slates, config.cluster_effects_min_rows)?;
    let (position_risk, position_known_net_lift) = position_risk(items, slates)?;
    items.release_truth();
    Ok(DecompositionTables {
        effects,
        additivity,
        sensitivity,
        product,
        cluster_risk,
        position_risk,
        sensitivity_known_lift,
        position_known_net_lift,
    })
}

/// The sensitivity table and, with truth, its known-lift column.
fn spillover_sensitivity(
    items: Items<'_>,
    slates: &AnalysisSlates,
) -> Result<(SpilloverSensitivity, Option<NamedColumn>), EstimateError> {
    let mut table = SpilloverSensitivity::default();
    let mut known_lift = items.has_truth().then(|| NamedColumn {
        name: KNOWN_LIFT_ESTIMATE.into(),
        values: Vec::new(),
    });
    for definition in <SpilloverDefinition as Label>::ALL.iter().copied() {
        let (name, cells) = (definition.text(), definition.cells());
        let view = |v| cell_sample(items, slates, cells, ItemValue::View(v), &|_| true);
        // What each estimate compares, for error messages (item rows, as every definition).
        let what = |view| {
            Outcome::Click {
                view,
                slate_total: false,
                simulated: items.has_truth(),
            }
            .text()
        };
        let r = difference_in_means(
            &view(OutcomeView::Observed)?,
            name,
            &what(OutcomeView::Observed),
        )?;
        if let Some(column) = known_lift.as_mut() {
            let known = view(OutcomeView::KnownLift)?;
            column
                .values
                .push(difference_in_means(&known, name, &what(OutcomeView::KnownLift))?.estimate);
        }
        table.definition.push(definition);
        table.description.push(definition.description().to_string());
        push_dim!(
            table,
            &r,
            [
                estimate,
                cluster_se,
                ci_95_lower,
                ci_95_upper,
                p_value,
                treated_n,
                control_n,
                clusters
            ]
        );
    }
    Ok((table, known_lift))
}

fn per_1000(r: &DiffInMeans) -> (f64, f64, f64) {
    let (lower, upper) = r.ci_95();
    (r.estimate * 1000.0, lower * 1000.0, upper * 1000.0)
}

/// The sensitivity table's truth column (the known-lift estimate of each definition).
pub const KNOWN_LIFT_ESTIMATE: &str = "known_lift_estimate";
/// The position-risk table's truth column (the known net lift per promoted slate of a band).
pub const KNOWN_NET_LIFT: &str = "known_net_lift";

/// A row of the product summary (its `metric` column): the one place its metric names
/// live, so the report finds rows by value, not by retyping labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum ProductMetric {
    /// Clicks the promoted focal item gains.
    #[strum(serialize = "Focal gain")]
    FocalGain,
    /// Clicks its substitutes lose.
    #[strum(serialize = "Same-cluster competitor change")]
    SameClusterChange,
    /// Clicks the rest of the slate loses.
    #[strum(serialize = "Other competitor change")]
    OtherChange,
    /// Substitutes and the rest together.
    #[strum(serialize = "All competitor change")]
    AllCompetitorChange,
    /// The whole slate.
    #[strum(serialize = "Net slate effect")]
    NetSlateEffect,
}

slate_table::label!(ProductMetric);

impl ProductMetric {
    /// Every metric, in table order.
    pub const ALL: [ProductMetric; 5] = [
        ProductMetric::FocalGain,
        ProductMetric::SameClusterChange,
        ProductMetric::OtherChange,
        ProductMetric::AllCompetitorChange,
        ProductMetric::NetSlateEffect,
    ];

    /// How to read it.
    fn interpretation(self) -> &'static str {
        match self {
            ProductMetric::FocalGain => "Clicks the promoted focal movie gains",
            ProductMetric::SameClusterChange => "Clicks its substitutes lose",
            ProductMetric::OtherChange => "Clicks the rest of the slate loses",
            ProductMetric::AllCompetitorChange => "Substitutes and the rest together",
            ProductMetric::NetSlateEffect => "What the promotion does to the whole slate",
        }
    }
}

impl ProductSummary {
    /// The row of `metric`.
    pub fn row(&self, metric: ProductMetric) -> Option<usize> {
        self.metric.iter().position(|m| *m == metric)
    }
}

fn product_summary(observed: &[DiffInMeans], competitors: &DiffInMeans) -> ProductSummary {
    let mut table = ProductSummary::default();
    for metric in ProductMetric::ALL {
        let r = match metric {
            ProductMetric::FocalGain => &observed[0],
            ProductMetric::SameClusterChange => &observed[1],
            ProductMetric::OtherChange => &observed[2],
            ProductMetric::AllCompetitorChange => competitors,
            ProductMetric::NetSlateEffect => &observed[3],
        };
        let (value, lower, upper) = per_1000(r);
        table.metric.push(metric);
        table.clicks_per_1000_promoted_slates.push(value);
        table.ci_95_lower.push(lower);
        table.ci_95_upper.push(upper);
        table
            .interpretation
            .push(metric.interpretation().to_string());
    }
    table
}

fn cluster_risk(
    items: Items<'_>,
    slates: &AnalysisSlates,
    min_rows: usize,
) -> Result<ClusterRisk, EstimateError> {
    // Every focal cluster's samples from one pass over the items each.
    let clusters = FocalClusters::of(slates);
    let group = |s| clusters.group(s);
    let n = clusters.names.len();
    let same_cluster = samples_by_group(
        Contrast::SameCluster,
        OutcomeView::Observed,
        items,
        slates,
        &group,
        n,
    )?;
    let totals =
        component_samples_by_group(items, slates, OutcomeView::Observed, TOTAL, &group, n)?;
    let mut rows: Vec<(f64, ClusterRisk)> = Vec::new();
    for ((cluster, same), total) in clusters
        .names
        .iter()
        .copied()
        .zip(&same_cluster)
        .zip(&totals)
    {
        let treated = same.treated_rows();
        if treated < min_rows || same.n_rows() - treated < min_rows {
            continue;
        }
        let (Ok(s), Ok(t)) = (
            difference_in_means(same, cluster, "same-cluster"),
            difference_in_means(&total[0], cluster, "net slate"),
        ) else {
            continue;
        };
        let mut row = ClusterRisk::default();
        let (sl, su) = s.ci_95();
        let (tl, tu) = t.ci_95();
        row.focal_cluster.push(cluster.to_string());
        row.slates.push(t.clusters as u32);
        row.same_cluster_rows.push(same.n_rows() as u32);
        row.same_cluster_estimate.push(s.estimate);
        row.same_cluster_ci_95_lower.push(sl);
        row.same_cluster_ci_95_upper.push(su);
        row.net_slate_estimate.push(t.estimate);
        row.net_slate_ci_95_lower.push(tl);
        row.net_slate_ci_95_upper.push(tu);
        rows.push((s.estimate, row));
    }
    // Most exposed first: the largest same-cluster loss; keep the top five.
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(ClusterRisk::concat(
        rows.into_iter().take(5).map(|(_, r)| r).collect(),
    ))
}

/// Three bands of (nearly) equal width over the focal seed positions in the design, as
/// inclusive `(from, to)` ranges; the report and the models group slates by these.
pub fn position_bands(focal_positions: &[u32]) -> Vec<(u32, u32)> {
    let lo = focal_positions.iter().copied().min().unwrap_or(1);
    let hi = focal_positions.iter().copied().max().unwrap_or(1);
    let width = (hi - lo + 1).div_ceil(3).max(1);
    (0..3)
        .map(|b| (lo + b * width, (lo + (b + 1) * width - 1).min(hi)))
        .filter(|(from, _)| *from <= hi)
        .collect()
}

/// The position-risk table and, with truth, the known net lift per band.
fn position_risk(
    items: Items<'_>,
    slates: &AnalysisSlates,
) -> Result<(PositionRisk, Option<NamedColumn>), EstimateError> {
    let mut table = PositionRisk::default();
    let mut known_net_lift = items.has_truth().then(|| NamedColumn {
        name: KNOWN_NET_LIFT.into(),
        values: Vec::new(),
    });
    for (from, to) in position_bands(&slates.focal_seed_position) {
        let keep = |s: usize| (from..=to).contains(&slates.focal_seed_position[s]);
        let [direct, net] = component_samples(
            items,
            slates,
            OutcomeView::Observed,
            [&[0], &[0, 1, 2]],
            &keep,
        )?;
        let band = format!("{from}-{to}");
        let direct = difference_in_means(&direct, &band, "direct")?;
        let net = difference_in_means(&net, &band, "net slate")?;
        if let Some(column) = known_net_lift.as_mut() {
            let [known] = component_samples(items, slates, OutcomeView::KnownLift, TOTAL, &keep)?;
            column
                .values
                .push(difference_in_means(&known, &band, "known net")?.estimate);
        }
        let (nl, nu) = net.ci_95();
        // Places the lead focal item moves up: its seed position less its target (one focal
        // item to the top: the seed position less 1).
        let targets = (0..slates.len())
            .filter(|s| keep(*s))
            .map(|s| slates.focal_target_position[s]);
        let (lowest, highest) = targets.fold((u32::MAX, 0), |(lo, hi), t| (lo.min(t), hi.max(t)));
        table.position_band.push(band);
        table.rank_jump.push(format!(
            "{}-{}",
            from.saturating_sub(highest),
            to.saturating_sub(lowest)
        ));
        table.slates.push(net.clusters as u32);
        table.direct_estimate.push(direct.estimate);
        table.net_slate_estimate.push(net.estimate);
        table.net_slate_ci_95_lower.push(nl);
        table.net_slate_ci_95_upper.push(nu);
    }
    Ok((table, known_net_lift))
}

/// Writes every decomposition table to `dir`.
pub fn write_decomposition(
    tables: &DecompositionTables,
    dir: &Path,
) -> Result<Vec<PathBuf>, EstimateError> {
    use slate_table::{write_csv, write_csv_extended};
    Ok(vec![
        write_csv(&mut tables.effects.to_frame()?, &DIRECT_INDIRECT_TOTAL, dir)?,
        write_csv(&mut tables.additivity.to_frame()?, &ADDITIVITY_CHECKS, dir)?,
        write_csv_extended(
            &tables.sensitivity.to_frame()?,
            &[&SPILLOVER_SENSITIVITY],
            tables.sensitivity_known_lift.as_slice(),
            dir,
        )?,
        write_csv(&mut tables.product.to_frame()?, &PRODUCT_SUMMARY, dir)?,
        write_csv(&mut tables.cluster_risk.to_frame()?, &CLUSTER_RISK, dir)?,
        write_csv_extended(
            &tables.position_risk.to_frame()?,
            &[&POSITION_RISK],
            tables.position_known_net_lift.as_slice(),
            dir,
        )?,
    ])
}
