//! The full estimator suite of the seed notebook: every table, from the exposure tables.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use slate_exposure::{AnalysisSlates, FeatureKind, NamedColumn};
use slate_reduction::columns::Cell;
use slate_table::Label;

use crate::bootstrap::{BootstrapDraws, cluster_bootstrap, summarize};
use crate::contrasts::{
    Contrast, Entries, FocalClusters, ItemValue, Items, OutcomeView, cell_sample, measured_sample,
    outcome_sample, read_truth, sample, samples_by_group,
};
use crate::dim::{ClusterIndex, DiffInMeans, Sample, difference_in_means, push_dim};
use crate::inference::Inference;
use crate::outcome::Outcome;
use crate::tables::*;
use crate::{EstimateConfig, EstimateError};

/// Everything the estimate stage produces.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateTables {
    /// Every contrast × outcome view, as results structs (contrast-major order).
    pub results: Vec<ContrastResult>,
    /// The same as a table.
    pub estimates: Estimates,
    /// Observed-outcome rows only.
    pub observed: Estimates,
    /// Assignment re-check.
    pub assignment: AssignmentRecheck,
    /// Contrast support.
    pub support: ContrastSupport,
    /// Naive vs cluster SEs.
    pub se_comparison: SeComparison,
    /// Bootstrap replicates.
    pub bootstrap_distribution: BootstrapDistribution,
    /// Bootstrap summary.
    pub bootstrap_summary: BootstrapSummaryTable,
    /// Observed vs expected vs known lift (only when the log has truth columns).
    pub validation: Option<Validation>,
    /// Known-lift decomposition of promoted slates (only with truth).
    pub decomposition: Option<SlateDecomposition>,
    /// Exploratory per-cluster effects.
    pub cluster_effects: ClusterEffects,
    /// Spillover by displacement distance.
    pub displacement_spillover: crate::design_effects::DisplacementSpillover,
    /// Subgroup effects by the number of focal items.
    pub focal_count_effects: crate::design_effects::FocalCountEffects,
    /// The pairs bootstrap of every observed sample: the click's contrasts, then each further
    /// outcome's, in [`Contrast::ALL`] order (what [`inference_comparison`] reuses).
    pub bootstrap: BootstrapDraws,
    /// The CR2 row of each contrast's observed click sample, in [`Contrast::ALL`] order (none
    /// when an arm has no rows): what the design tables and [`inference_comparison`] reuse.
    pub observed_cr2: Vec<Option<Inference>>,
}

/// One difference in means of the suite's grid: a contrast under an outcome view.
#[derive(Debug, Clone, PartialEq)]
pub struct ContrastResult {
    /// The contrast.
    pub contrast: Contrast,
    /// The outcome view.
    pub view: OutcomeView,
    /// What it measures, as the tables name it.
    pub outcome: Outcome,
    /// The estimate.
    pub result: DiffInMeans,
}

impl std::ops::Deref for ContrastResult {
    type Target = DiffInMeans;
    fn deref(&self) -> &DiffInMeans {
        &self.result
    }
}

fn push_estimate(
    table: &mut Estimates,
    (contrast, outcome): (Contrast, &Outcome),
    r: &DiffInMeans,
    p_value_holm: f64,
) {
    table.contrast.push(contrast);
    table.outcome.push(outcome.clone());
    push_dim!(
        table,
        r,
        [
            estimate,
            naive_se,
            cluster_se,
            ci_95_lower,
            ci_95_upper,
            p_value_cluster
        ]
    );
    table.p_value_holm.push(p_value_holm);
    push_dim!(
        table,
        r,
        [treated_mean, control_mean, treated_n, control_n, clusters]
    );
}

/// Runs every estimator on the exposure tables.
pub fn run(
    items: Items<'_>,
    slates: &AnalysisSlates,
    config: &EstimateConfig,
) -> Result<EstimateTables, EstimateError> {
    config.check()?;
    let grid: Vec<(Contrast, OutcomeView)> = Contrast::ALL
        .iter()
        .flat_map(|c| OutcomeView::available(items).iter().map(move |v| (*c, *v)))
        .collect();
    // The truth views first, view by view: a per-slate table's truth cells are read once per
    // view (see `slate_reduction::truth_cells`) and let go of before the observed samples are
    // built. A truth view's sample lives only while its difference in means is computed.
    let mut by_view: Vec<Option<DiffInMeans>> = vec![None; grid.len()];
    let what = |c: Contrast, v: OutcomeView| (c.text(), Outcome::click(c, v, items).text());
    let views = OutcomeView::available(items);
    for view in views.iter().filter(|v| **v != OutcomeView::Observed) {
        let _read = read_truth(items, *view, &Cell::PARTITION)?;
        let cells: Vec<usize> = (0..grid.len()).filter(|i| grid[*i].1 == *view).collect();
        let done: Vec<DiffInMeans> = cells
            .par_iter()
            .map(|i| {
                let (c, v) = grid[*i];
                let (contrast, outcome) = what(c, v);
                difference_in_means(&sample(c, v, items, slates)?, contrast, &outcome)
            })
            .collect::<Result<_, _>>()?;
        for (i, r) in cells.into_iter().zip(done) {
            by_view[i] = Some(r);
        }
    }
    // The last truth view read was the known lift, which the decomposition reads too.
    let decomposition = decomposition(items, slates)?;
    items.release_truth();
    // The observed samples are kept (the click's here, the further outcomes' below): they
    // also feed the pairs bootstrap and the support table.
    let observed_samples: Vec<Sample> = Contrast::ALL
        .par_iter()
        .map(|c| sample(*c, OutcomeView::Observed, items, slates))
        .collect::<Result<_, _>>()?;
    let observed_results: Vec<DiffInMeans> = Contrast::ALL
        .par_iter()
        .zip(&observed_samples)
        .map(|(c, s)| {
            let (contrast, outcome) = what(*c, OutcomeView::Observed);
            difference_in_means(s, contrast, &outcome)
        })
        .collect::<Result<_, _>>()?;
    // Back in grid order: each contrast's observed result, then its truth views'.
    let mut observed_results = observed_results.into_iter();
    let results: Vec<ContrastResult> = by_view
        .into_iter()
        .flat_map(|truth| truth.or_else(|| observed_results.next()))
        .zip(&grid)
        .map(|(result, &(contrast, view))| ContrastResult {
            contrast,
            view,
            outcome: Outcome::click(contrast, view, items),
            result,
        })
        .collect();
    let find =
        |c: Contrast, v: OutcomeView| &results[grid.iter().position(|g| *g == (c, v)).unwrap_or(0)];

    let mut estimates = Estimates::default();
    let mut observed = Estimates::default();
    let mut se_comparison = SeComparison::default();
    // The log's further outcomes: every contrast, outcome by outcome.
    let extra_grid: Vec<(usize, Contrast)> = (0..slates.outcome_totals.len())
        .flat_map(|k| Contrast::ALL.into_iter().map(move |c| (k, c)))
        .collect();
    let extra_samples: Vec<Sample> = extra_grid
        .par_iter()
        .map(|(k, c)| outcome_sample(*c, *k, items, slates))
        .collect::<Result<_, _>>()?;
    let extra_outcomes: Vec<Outcome> = extra_grid
        .iter()
        .map(|(k, c)| Outcome::further(*c, &slates.outcome_totals[*k].name))
        .collect();
    let extra: Vec<DiffInMeans> = extra_grid
        .par_iter()
        .zip(&extra_samples)
        .zip(&extra_outcomes)
        .map(|(((_, c), s), outcome)| difference_in_means(s, c.text(), &outcome.text()))
        .collect::<Result<_, _>>()?;
    // Holm across the contrasts of each truth view; the observed family is every contrast of
    // every observed outcome (the click and the log's further outcomes).
    let mut holm = vec![f64::NAN; results.len()];
    let mut extra_holm = vec![f64::NAN; extra.len()];
    for view in OutcomeView::available(items) {
        let family: Vec<usize> = (0..grid.len()).filter(|i| grid[*i].1 == *view).collect();
        let mut p: Vec<f64> = family
            .iter()
            .map(|i| results[*i].p_value_cluster())
            .collect();
        let observed = *view == OutcomeView::Observed;
        if observed {
            p.extend(extra.iter().map(DiffInMeans::p_value_cluster));
        }
        let adjusted = crate::multiplicity::holm(&p);
        for (i, a) in family.iter().zip(&adjusted) {
            holm[*i] = *a;
        }
        if observed {
            extra_holm.copy_from_slice(&adjusted[family.len()..]);
        }
    }
    for (r, p) in results.iter().zip(&holm) {
        push_estimate(&mut estimates, (r.contrast, &r.outcome), r, *p);
    }
    let extra_rows = || {
        extra_grid
            .iter()
            .zip(&extra_outcomes)
            .zip(extra.iter().zip(&extra_holm))
            .map(|(((_, c), outcome), (r, p))| ((*c, outcome), r, *p))
    };
    for (what, r, p) in extra_rows() {
        push_estimate(&mut estimates, what, r, p);
    }
    for c in Contrast::ALL {
        let i = grid
            .iter()
            .position(|g| *g == (c, OutcomeView::Observed))
            .unwrap_or(0);
        let r = &results[i];
        push_estimate(&mut observed, (c, &r.outcome), r, holm[i]);
        se_comparison.contrast.push(c);
        se_comparison.outcome.push(r.outcome.clone());
        se_comparison.naive_se.push(r.naive_se);
        se_comparison.cluster_se.push(r.cluster_se);
        se_comparison.cluster_to_naive_ratio.push(r.se_ratio());
    }
    for (what, r, p) in extra_rows() {
        push_estimate(&mut observed, what, r, p);
    }

    let observed_samples: Vec<&Sample> = observed_samples.iter().collect();
    let support = contrast_support(&observed_samples);
    // One pairs bootstrap for every observed sample, in the inference comparison's order
    // (the click's contrasts, then each further outcome's), which reuses it.
    let bootstrapped: Vec<&Sample> = observed_samples
        .iter()
        .copied()
        .chain(&extra_samples)
        .collect();
    let draws = cluster_bootstrap(
        &bootstrapped,
        config.bootstrap_replicates,
        config.bootstrap_seed,
    )?;
    let mut bootstrap_distribution = BootstrapDistribution::default();
    let mut bootstrap_summary = BootstrapSummaryTable::default();
    for (c, replicates) in Contrast::ALL.iter().zip(&draws.estimates) {
        for (i, estimate) in replicates.iter().enumerate() {
            bootstrap_distribution.contrast.push(*c);
            bootstrap_distribution.replicate.push(i as u32);
            bootstrap_distribution.estimate.push(*estimate);
        }
        let s = summarize(replicates);
        let r = find(*c, OutcomeView::Observed);
        let t = &mut bootstrap_summary;
        t.contrast.push(*c);
        t.outcome.push(r.outcome.clone());
        t.estimate.push(r.estimate);
        t.bootstrap_mean.push(s.mean);
        t.bootstrap_se.push(s.se);
        t.bootstrap_ci_95_lower.push(s.percentile_lower);
        t.bootstrap_ci_95_upper.push(s.percentile_upper);
        t.share_below_zero.push(s.share_below_zero);
        t.cluster_se.push(r.cluster_se);
        t.bootstrap_to_cluster_se_ratio.push(s.se / r.cluster_se);
        t.valid_replicates.push(s.valid as u32);
        t.replicates.push(s.replicates as u32);
    }

    let validation = items.has_truth().then(|| {
        let mut validation = Validation::default();
        for c in Contrast::ALL {
            let observed = find(c, OutcomeView::Observed);
            let known = find(c, OutcomeView::KnownLift).estimate;
            let (lower, upper) = observed.ci_95();
            validation.contrast.push(c);
            validation.observed_estimate.push(observed.estimate);
            validation.observed_ci_95_lower.push(lower);
            validation.observed_ci_95_upper.push(upper);
            validation
                .expected_estimate
                .push(find(c, OutcomeView::Expected).estimate);
            validation.known_lift_estimate.push(known);
            validation
                .observed_minus_known
                .push(observed.estimate - known);
            validation
                .known_inside_observed_ci
                .push(lower <= known && known <= upper);
        }
        validation
    });

    // Each observed click sample's CR2 row, computed once (in parallel): the design tables
    // reuse it where a bucket is a whole contrast, and so does the inference comparison.
    let observed_results: Vec<&DiffInMeans> = Contrast::ALL
        .iter()
        .map(|c| &find(*c, OutcomeView::Observed).result)
        .collect();
    let observed_cr2: Vec<Option<Inference>> = observed_samples
        .par_iter()
        .zip(&observed_results)
        .map(|(sample, r)| crate::design_effects::observed_cr2(sample, r))
        .collect::<Result<_, _>>()?;
    // The design tables reuse the observed samples where a bucket is a whole contrast.
    let observed_pairs: Vec<(&Sample, &DiffInMeans, Option<&Inference>)> = observed_samples
        .iter()
        .zip(observed_results)
        .zip(&observed_cr2)
        .map(|((sample, r), cr2)| (*sample, r, cr2.as_ref()))
        .collect();
    Ok(EstimateTables {
        estimates,
        observed,
        assignment: assignment_recheck(slates)?,
        support,
        se_comparison,
        bootstrap_distribution,
        bootstrap_summary,
        validation,
        decomposition,
        cluster_effects: cluster_effects(items, slates, config.cluster_effects_min_rows)?,
        displacement_spillover: crate::design_effects::spillover_by_displacement(
            items,
            slates,
            &observed_pairs,
        )?,
        focal_count_effects: crate::design_effects::effects_by_focal_count(
            items,
            slates,
            &observed_pairs,
        )?,
        results,
        bootstrap: draws,
        observed_cr2,
    })
}

fn assignment_recheck(slates: &AnalysisSlates) -> Result<AssignmentRecheck, EstimateError> {
    let mut table = AssignmentRecheck::default();
    // The focal value of each covariate (the notebook's mean focal relevance), read for this
    // check alone when the features are on disk.
    let focal_values = slates
        .features
        .load_where(|kind| kind != FeatureKind::Profile)?;
    let mut means: Vec<NamedColumn> = focal_values
        .iter()
        .map(|f| NamedColumn {
            name: format!("mean_{}", f.column.name),
            values: Vec::new(),
        })
        .collect();
    let mut seen = vec![false; slates.n_units()];
    for (arm, promoted) in [(Arm::Promoted, true), (Arm::Control, false)] {
        // The arm's slates in table order, each sum in that order.
        let rows = || (0..slates.len()).filter(move |s| slates.promotion_applied[*s] == promoted);
        let n_rows = rows().count();
        let n = n_rows.max(1) as f64;
        seen.fill(false);
        let mut units = 0u32;
        for s in rows() {
            let unit = &mut seen[slates.unit_index[s] as usize];
            units += u32::from(!*unit);
            *unit = true;
        }
        table.rows.arm.push(arm);
        table.rows.units.push(units);
        table.rows.slates.push(n_rows as u32);
        for (mean, feature) in means.iter_mut().zip(focal_values.iter()) {
            mean.values
                .push(rows().map(|s| feature.column.values[s]).sum::<f64>() / n);
        }
        table
            .rows
            .share_of_slates
            .push(n_rows as f64 / slates.len().max(1) as f64);
        table.rows.mean_focal_seed_position.push(
            rows()
                .map(|s| f64::from(slates.focal_seed_position[s]))
                .sum::<f64>()
                / n,
        );
        table
            .rows
            .assignment_probability
            .push(slates.assignment_probability);
    }
    table.covariate_means = means;
    Ok(table)
}

fn contrast_support(samples: &[&Sample]) -> ContrastSupport {
    let mut table = ContrastSupport::default();
    for (c, s) in Contrast::ALL.iter().zip(samples) {
        let treated = s.treated_rows();
        let clusters = ClusterIndex::new(s.cluster.iter().copied());
        table.contrast.push(*c);
        table.unit.push(c.unit());
        table.rows.push(s.n_rows() as u32);
        table.treated_rows.push(treated as u32);
        table.control_rows.push((s.n_rows() - treated) as u32);
        table.clusters.push(clusters.len() as u32);
        table
            .rows_per_cluster
            .push(s.n_rows() as f64 / clusters.len().max(1) as f64);
    }
    table
}

/// Mean known lift per promoted slate, split into focal gain, same-cluster loss and the loss
/// of the other non-focal movies; the parts add up to the net.
fn decomposition(
    items: Items<'_>,
    slates: &AnalysisSlates,
) -> Result<Option<SlateDecomposition>, EstimateError> {
    let Some(slate_truth) = slates.truth.as_ref().filter(|_| items.has_truth()) else {
        return Ok(None);
    };
    let promoted: Vec<usize> = (0..slates.len())
        .filter(|s| slates.promotion_applied[*s])
        .collect();
    // Known lift summed over promoted slates' focal, same-cluster and other rows.
    let mut parts = [0.0; 3];
    for (part, cells) in parts.iter_mut().zip(crate::decompose::COMPONENT_CELLS) {
        *part = cell_sample(
            items,
            slates,
            cells,
            ItemValue::View(OutcomeView::KnownLift),
            &|s| slates.promotion_applied[s],
        )?
        .y
        .iter()
        .sum::<f64>();
    }
    let n = promoted.len().max(1) as f64;
    let net = promoted
        .iter()
        .map(|s| slate_truth.total_known_lift[*s])
        .sum::<f64>()
        / n;
    let mut table = SlateDecomposition::default();
    for (component, value) in [
        (LiftPart::DirectFocal, parts[0] / n),
        (LiftPart::SameClusterLoss, parts[1] / n),
        (LiftPart::OtherLoss, parts[2] / n),
        (LiftPart::NetTotal, net),
    ] {
        table.component.push(component);
        table.mean_lift_per_promoted_slate.push(value);
        table.lift_per_1000_promoted_slates.push(value * 1000.0);
        table.promoted_slates.push(promoted.len() as u32);
    }
    Ok(Some(table))
}

pub(crate) fn cluster_effects(
    items: Items<'_>,
    slates: &AnalysisSlates,
    min_rows: usize,
) -> Result<ClusterEffects, EstimateError> {
    // The rows of both contrasts by focal cluster, one pass per contrast.
    let contrasts = [Contrast::DirectFocal, Contrast::SameCluster];
    let clusters = FocalClusters::of(slates);
    let by_contrast: Vec<Vec<Sample>> = contrasts
        .par_iter()
        .map(|c| {
            let group = |s| clusters.group(s);
            let n = clusters.names.len();
            samples_by_group(*c, OutcomeView::Observed, items, slates, &group, n)
        })
        .collect::<Result<_, _>>()?;
    // Rows cluster by cluster (in name order), each cluster's contrasts in order.
    let groups = clusters.names.iter().enumerate().flat_map(|(g, cluster)| {
        contrasts
            .iter()
            .zip(&by_contrast)
            .map(move |(c, samples)| (*cluster, *c, &samples[g]))
    });
    let mut table = ClusterEffects::default();
    for (cluster, c, s) in groups.filter(|(_, _, s)| !s.y.is_empty()) {
        {
            let treated = s.treated_rows();
            if treated < min_rows || s.n_rows() - treated < min_rows {
                continue;
            }
            let outcome = Outcome::click(c, OutcomeView::Observed, items).text();
            let r = match difference_in_means(s, c.text(), &outcome) {
                Ok(r) => r,
                Err(EstimateError::SingleCluster { .. }) => continue,
                Err(e) => return Err(e),
            };
            table.focal_cluster.push(cluster.to_string());
            table.contrast.push(c);
            push_dim!(
                table,
                &r,
                [
                    estimate,
                    cluster_se,
                    ci_95_lower,
                    ci_95_upper,
                    treated_n,
                    control_n,
                    clusters
                ]
            );
        }
    }
    Ok(table)
}

/// Writes every estimate table to `dir`; returns the paths.
pub fn write(tables: &EstimateTables, dir: &Path) -> Result<Vec<PathBuf>, EstimateError> {
    use slate_table::write_csv;
    let mut paths = vec![
        write_csv(&mut tables.estimates.to_frame()?, &ESTIMATES, dir)?,
        write_csv(&mut tables.observed.to_frame()?, &OBSERVED_EFFECTS, dir)?,
        tables.assignment.write(dir)?,
        write_csv(&mut tables.support.to_frame()?, &CONTRAST_SUPPORT, dir)?,
        write_csv(&mut tables.se_comparison.to_frame()?, &SE_COMPARISON, dir)?,
        write_csv(
            &mut tables.bootstrap_distribution.to_frame()?,
            &BOOTSTRAP_DISTRIBUTION,
            dir,
        )?,
        write_csv(
            &mut tables.bootstrap_summary.to_frame()?,
            &BOOTSTRAP_SUMMARY,
            dir,
        )?,
    ];
    // The truth tables: written with truth; without, a stale copy from an earlier run in the
    // same directory is removed so that no file claims to belong to this run.
    match &tables.validation {
        Some(validation) => paths.push(write_csv(&mut validation.to_frame()?, &VALIDATION, dir)?),
        None => slate_table::remove_stale(dir, VALIDATION.file_name)?,
    }
    match &tables.decomposition {
        Some(decomposition) => paths.push(write_csv(
            &mut decomposition.to_frame()?,
            &SLATE_DECOMPOSITION,
            dir,
        )?),
        None => slate_table::remove_stale(dir, SLATE_DECOMPOSITION.file_name)?,
    }
    paths.push(write_csv(
        &mut tables.cluster_effects.to_frame()?,
        &CLUSTER_EFFECTS,
        dir,
    )?);
    paths.push(write_csv(
        &mut tables.displacement_spillover.to_frame()?,
        &crate::design_effects::DISPLACEMENT_SPILLOVER,
        dir,
    )?);
    paths.push(write_csv(
        &mut tables.focal_count_effects.to_frame()?,
        &crate::design_effects::FOCAL_COUNT_EFFECTS,
        dir,
    )?);
    Ok(paths)
}

/// Every observed contrast under each uncertainty method of
/// [`InferenceMethod::ALL`](crate::inference::InferenceMethod::ALL): naive OLS, slate-clustered
/// CR1, CR2 with Satterthwaite degrees of freedom, the cluster bootstrap (percentile), the
/// restricted wild cluster bootstrap (Rademacher and Webb) and randomization inference
/// re-drawing `design`, the last three with intervals by test inversion. Kept out of [`run`]
/// (which draws only the pairs bootstrap this comparison shares) so the estimator-suite
/// benchmark measures what the seed notebook computed. `suite` is what [`run`] computed on the
/// same tables and config, whose pairs bootstrap ([`EstimateTables::bootstrap`]) and CR2 rows
/// ([`EstimateTables::observed_cr2`]) are reused, or `None` to compute them here.
pub fn inference_comparison(
    items: Items<'_>,
    slates: &AnalysisSlates,
    config: &EstimateConfig,
    design: crate::randomization::Design,
    suite: Option<&EstimateTables>,
) -> Result<InferenceComparison, EstimateError> {
    use crate::adjust::covariates;
    use crate::inference::{InferenceSettings, infer_all, lin_rows};
    config.check()?;
    // The click, then each of the log's further outcomes, every contrast.
    let specs: Vec<(Contrast, Option<usize>)> = Contrast::ALL
        .iter()
        .map(|c| (*c, None))
        .chain((0..slates.outcome_totals.len()).flat_map(|k| Contrast::ALL.map(|c| (c, Some(k)))))
        .collect();
    let value = |k: Option<usize>| match k {
        None => ItemValue::View(OutcomeView::Observed),
        Some(k) => ItemValue::Outcome(k),
    };
    let sample_of = |(c, k): (Contrast, Option<usize>), entries| {
        measured_sample(c, value(k), items, slates, entries)
    };
    // Lin's regression first, one sample at a time with no other sample held: its design
    // matrix (at the slate level 16 values per slate, with the features' covariates) is the
    // stage's largest allocation. It needs a slate's covariates beside it: one entry per
    // slate.
    let features = slates.features.load()?;
    let lin: Vec<Vec<Inference>> = specs
        .iter()
        .map(|spec| {
            lin_rows(
                &sample_of(*spec, Entries::Slates)?,
                &covariates(spec.0, items, slates, &features),
            )
        })
        .collect::<Result<_, _>>()?;
    drop(features);
    let labelled: Vec<(Contrast, Outcome, Sample)> = specs
        .iter()
        .map(|spec| {
            let (c, k) = *spec;
            let label = match k {
                None => Outcome::click(c, OutcomeView::Observed, items),
                Some(k) => Outcome::further(c, &slates.outcome_totals[k].name),
            };
            Ok((c, label, sample_of(*spec, Entries::Units)?))
        })
        .collect::<Result<_, EstimateError>>()?;
    let samples: Vec<&Sample> = labelled.iter().map(|(_, _, s)| s).collect();
    let settings = InferenceSettings {
        bootstrap_replicates: config.bootstrap_replicates,
        randomization_draws: config.randomization_draws,
        seed: config.bootstrap_seed,
        design,
    };
    let mut results = infer_all(
        &samples,
        &[],
        &settings,
        suite.map(|t| &t.bootstrap),
        suite.map_or(&[], |t| t.observed_cr2.as_slice()),
    )?;
    for (rows, lin) in results.iter_mut().zip(lin) {
        rows.extend(lin);
    }
    let clustering = crate::inference::Clustering::of(slates);
    let mut table = InferenceComparison::default();
    for ((c, outcome, _), rows) in labelled.iter().zip(&results) {
        for r in rows {
            table.contrast.push(*c);
            table.outcome.push(outcome.clone());
            table.method.push(r.method.under(clustering));
            table.estimate.push(r.estimate);
            table.se.push(r.se);
            table.ci_95_lower.push(r.ci_lower);
            table.ci_95_upper.push(r.ci_upper);
            table.p_value.push(r.p_value);
        }
    }
    Ok(table)
}
