//! The facts the report's markdown quotes, each read from a table of this run.

use slate_estimate::contrasts::Contrast;
use slate_estimate::coverage::monte_carlo_margin;
use slate_estimate::decompose::{Component, DIRECT_INDIRECT_TOTAL};
use slate_estimate::inference::InferenceMethod;
use slate_estimate::power::TARGET_POWER;

use slate_estimate::tables::{
    COVERAGE, CoverageTable, DESIGN_SWEEP, DesignSweepTable, Knob, POWER, PowerTable, Scenario,
};
use slate_models::learner::Learner;
use slate_models::tables::{
    AIPW_ESTIMATES, AipwEstimates, Estimator, MODEL_METRICS, ModelMetrics, POLICY_TARGETING,
    PolicyRule, PolicyTargeting, PolicyTruth,
};
use slate_table::Label;

use super::tables::*;
use super::{load, missing};
use crate::ReportError;
use crate::charts::distinct_in_order;
use crate::paths::ReportPaths;

/// The numbers the markdown quotes, each read from a table of this run.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// What data the run used, in words.
    pub data: String,
    /// Direct focal effect (click-rate lift).
    pub direct: f64,
    /// Same-cluster competitor spillover.
    pub same_cluster: f64,
    /// All non-focal spillover.
    pub all_non_focal: f64,
    /// Total slate effect (clicks per slate).
    pub total: f64,
    /// Its 95% interval.
    pub total_ci: (f64, f64),
    /// Direct component per 1,000 promoted slates.
    pub direct_per_1000: f64,
    /// Same-cluster component per 1,000.
    pub same_cluster_per_1000: f64,
    /// Other-competitor component per 1,000.
    pub other_per_1000: f64,
    /// Total per 1,000.
    pub total_per_1000: f64,
    /// Models with the lowest test RMSE (more than one when tied to the printed digits), and
    /// that RMSE.
    pub best_model: (Vec<String>, f64),
    /// Cross-fitted LightGBM AIPW estimate.
    pub lightgbm_aipw: f64,
    /// Cross-fitted XGBoost AIPW estimate.
    pub xgboost_aipw: f64,
    /// Best feasible (non-oracle) targeting rule and its oracle lift per 1,000 eligible slates.
    pub best_policy: (String, f64),
    /// Share of slates that rule promotes.
    pub best_policy_share: f64,
    /// Best rule built from model predictions and its oracle lift per 1,000 eligible slates.
    pub best_model_rule: (String, f64),
    /// Share of eligible slates whose oracle net effect of promotion is positive.
    pub positive_oracle_share: f64,
    /// Promote-all oracle lift per 1,000 eligible slates.
    pub promote_all_per_1000: f64,
    /// Coverage-study replicates.
    pub coverage_replicates: u32,
    /// Half-width of the band a truly 95% interval's observed coverage falls in at this
    /// many replicates (1.96 Monte-Carlo SEs).
    pub coverage_margin: f64,
    /// Methods whose total-slate coverage (run's design) is consistent with 95% at the
    /// study's size.
    pub total_consistent_methods: Vec<String>,
    /// Methods whose total-slate coverage is not, with their coverage.
    pub total_inconsistent_methods: Vec<(String, f64)>,
    /// Total-slate coverage of the CR1 interval.
    pub total_cr1_coverage: f64,
    /// Its Monte-Carlo standard error.
    pub total_cr1_coverage_se: f64,
    /// Total-slate coverage of the naive and the unit-clustered CR1 interval in the
    /// correlated, user-randomized scenario, when the study ran it.
    pub correlated_total_coverage: Option<(f64, f64)>,
    /// What `cargo xtask power` found, per scenario, when its table exists.
    pub power: Vec<ScenarioPower>,
    /// Points of the power table whose simulated and analytic power agree, and all points.
    pub power_agreement: (usize, usize),
    /// What `cargo xtask design-sweep` found, when its table exists.
    pub sweep: Option<SweepFacts>,
}

/// The design sweep's finding, as the limitations quote it.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepFacts {
    /// Knobs swept, in table order.
    pub knobs: Vec<String>,
    /// Lowest true total effect, with its knob and value.
    pub lowest: (f64, String, String),
    /// Highest true total effect, with its knob and value.
    pub highest: (f64, String, String),
    /// The knob whose values move the true total effect most, and that spread.
    pub strongest: (String, f64),
    /// Lowest and highest simulated power of the total.
    pub power_range: (f64, f64),
    /// Slates per design.
    pub n_slates: u32,
    /// With target-slot points: the slots swept (first, last) and the slot with the best true
    /// total for the slate, with that total.
    pub best_slot: Option<((String, String), String, f64)>,
}

/// The design sweep's facts (`None` for an empty table).
pub(super) fn sweep_facts(table: &DesignSweepTable) -> Option<SweepFacts> {
    let point = |i: usize| {
        (
            table.true_total_effect[i],
            table.knob[i].to_string(),
            table.value[i].clone(),
        )
    };
    let lowest = (0..table.len())
        .min_by(|a, b| table.true_total_effect[*a].total_cmp(&table.true_total_effect[*b]))?;
    let highest = (0..table.len())
        .max_by(|a, b| table.true_total_effect[*a].total_cmp(&table.true_total_effect[*b]))?;
    let knobs: Vec<Knob> = distinct_in_order(&table.knob);
    let spread = |knob: Knob| {
        let values = (0..table.len())
            .filter(|i| table.knob[*i] == knob)
            .map(|i| table.true_total_effect[i]);
        values.clone().fold(f64::MIN, f64::max) - values.fold(f64::MAX, f64::min)
    };
    let strongest = knobs
        .iter()
        .copied()
        .max_by(|a, b| spread(*a).total_cmp(&spread(*b)))?;
    let slots: Vec<usize> = (0..table.len())
        .filter(|i| table.knob[*i] == Knob::TargetPosition)
        .collect();
    let best_slot = crate::slot_figure::best_slot(table, &slots).map(|best| {
        let value = |i: usize| table.value[i].clone();
        let (first, last) = slots.iter().fold((slots[0], slots[0]), |(lo, hi), i| {
            (
                if table.value_numeric[*i] < table.value_numeric[lo] {
                    *i
                } else {
                    lo
                },
                if table.value_numeric[*i] > table.value_numeric[hi] {
                    *i
                } else {
                    hi
                },
            )
        });
        (
            (value(first), value(last)),
            value(best),
            table.true_total_effect[best],
        )
    });
    Some(SweepFacts {
        best_slot,
        lowest: point(lowest),
        highest: point(highest),
        strongest: (strongest.to_string(), spread(strongest)),
        power_range: (
            table.power_total.iter().copied().fold(f64::MAX, f64::min),
            table.power_total.iter().copied().fold(f64::MIN, f64::max),
        ),
        n_slates: table.n_slates[0],
        knobs: knobs.iter().map(Knob::to_string).collect(),
    })
}

/// One scenario of the power study, as the summary quotes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioPower {
    /// The scenario's name.
    pub scenario: String,
    /// The total-slate effect's truth.
    pub total_effect: f64,
    /// The design size quoted: the smallest with analytic CR1 power ≥ 80% for the total, or
    /// the largest of the grid when none reaches it.
    pub n_slates: u32,
    /// Whether the total reaches 80% power at `n_slates`.
    pub reaches_target: bool,
    /// Analytic and simulated CR1 power of the total at `n_slates`.
    pub total_power: (f64, f64),
    /// Randomization units at `n_slates`.
    pub n_units: u32,
    /// Re-drawn experiments per point.
    pub replicates: u32,
    /// Each contrast's MDE at 80% power (CR1) at `n_slates`.
    pub mde: Vec<(Contrast, f64)>,
    /// How much Lin adjustment shrinks the total's standard error at `n_slates` (share).
    pub lin_shrink: f64,
    /// The largest grid size below 80% power, with its units and the total's MDE there: the
    /// unit structure the slates needed are extrapolated from.
    pub below: Option<(u32, u32, f64)>,
}

impl ScenarioPower {
    /// The total-slate contrast's MDE at `n_slates`.
    pub(super) fn mde_total(&self) -> f64 {
        self.mde
            .iter()
            .find(|(c, _)| *c == Contrast::TotalSlate)
            .map_or(f64::NAN, |(_, m)| *m)
    }
}

/// The power study's facts, per scenario in table order (empty without a power table).
pub(super) fn power_facts(table: &PowerTable) -> Vec<ScenarioPower> {
    let scenarios = distinct_in_order(&table.scenario);
    let row = |scenario: Scenario, contrast: Contrast, method: InferenceMethod, n: u32| {
        (0..table.len()).find(|i| {
            table.scenario[*i] == scenario
                && table.contrast[*i] == contrast
                && table.n_slates[*i] == n
                && table.method_key[*i] == method
        })
    };
    scenarios
        .into_iter()
        .filter_map(|scenario| {
            let mut sizes: Vec<u32> = (0..table.len())
                .filter(|i| table.scenario[*i] == scenario)
                .map(|i| table.n_slates[i])
                .collect();
            sizes.sort_unstable();
            sizes.dedup();
            let total = |n| row(scenario, Contrast::TotalSlate, InferenceMethod::Cr1, n);
            let reached = sizes
                .iter()
                .copied()
                .find(|n| total(*n).is_some_and(|i| table.analytic_power[i] >= TARGET_POWER));
            let n = reached.or(sizes.last().copied())?;
            let i = total(n)?;
            let below = sizes
                .iter()
                .copied()
                .rfind(|m| *m < n)
                .and_then(|m| total(m).map(|k| (m, table.n_units[k], table.mde_80[k])));
            let lin = row(scenario, Contrast::TotalSlate, InferenceMethod::LinCr1, n)?;
            Some(ScenarioPower {
                scenario: scenario.to_string(),
                total_effect: table.true_effect[i],
                n_slates: n,
                reaches_target: reached.is_some(),
                total_power: (table.analytic_power[i], table.power[i]),
                n_units: table.n_units[i],
                replicates: table.replicates[i],
                mde: Contrast::ALL
                    .iter()
                    .filter_map(|c| {
                        row(scenario, *c, InferenceMethod::Cr1, n).map(|k| (*c, table.mde_80[k]))
                    })
                    .collect(),
                lin_shrink: 1.0 - table.analytic_se[lin] / table.analytic_se[i],
                below,
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn facts(
    paths: &ReportPaths,
    data: String,
    main: &FinalMainEffects,
    decomposition: &FinalDecomposition,
    metrics: &ModelMetrics,
    aipw: &AipwEstimates,
    policies: &PolicyTargeting,
    policy_truth: &PolicyTruth,
    coverage: &CoverageTable,
    effect: &dyn Fn(Contrast) -> Result<usize, ReportError>,
) -> Result<Facts, ReportError> {
    let per_1000 = |component: Component| -> Result<f64, ReportError> {
        (0..decomposition.len())
            .find(|i| decomposition.component[*i] == component)
            .map(|i| decomposition.estimate_per_1000_promoted_slates[i])
            .ok_or_else(|| missing(&DIRECT_INDIRECT_TOTAL, &component.title()))
    };
    let best = metrics.best_test_rows(crate::findings::RMSE_DECIMALS);
    let best_model = best
        .first()
        .map(|i| {
            let names = best.iter().map(|j| metrics.model[*j].to_string()).collect();
            (names, metrics.rmse[*i])
        })
        .ok_or_else(|| missing(&MODEL_METRICS, "a test split"))?;
    let estimator = |learner| -> Result<f64, ReportError> {
        let estimator = Estimator::Aipw {
            learner,
            estimated_propensity: false,
        };
        aipw.row(estimator)
            .map(|i| aipw.estimate[i])
            .ok_or_else(|| missing(&AIPW_ESTIMATES, estimator.text()))
    };
    let best = policies
        .feasible()
        .into_iter()
        .max_by(|a, b| {
            policy_truth.oracle_lift_per_1000_eligible_slates[*a]
                .total_cmp(&policy_truth.oracle_lift_per_1000_eligible_slates[*b])
                .then(b.cmp(a))
        })
        .ok_or_else(|| missing(&POLICY_TARGETING, "a feasible rule"))?;
    let model_rule = policies
        .model_rules()
        .into_iter()
        .max_by(|a, b| {
            policy_truth.oracle_lift_per_1000_eligible_slates[*a]
                .total_cmp(&policy_truth.oracle_lift_per_1000_eligible_slates[*b])
                .then(b.cmp(a))
        })
        .ok_or_else(|| missing(&POLICY_TARGETING, "a model-based rule"))?;
    let oracle_rule = policies
        .row(PolicyRule::OracleBest)
        .ok_or_else(|| missing(&POLICY_TARGETING, PolicyRule::OracleBest.text()))?;
    let promote_all = policies
        .row(PolicyRule::PromoteAll)
        .ok_or_else(|| missing(&POLICY_TARGETING, PolicyRule::PromoteAll.text()))?;
    let total_rows = |scenario: Scenario| -> Vec<usize> {
        (0..coverage.len())
            .filter(|i| {
                coverage.contrast[*i] == Contrast::TotalSlate && coverage.scenario[*i] == scenario
            })
            .collect()
    };
    let method_row = |rows: &[usize], method: InferenceMethod| {
        rows.iter()
            .copied()
            .find(|i| coverage.method_key[*i] == method)
    };
    let default_rows = total_rows(Scenario::Default);
    let cr1 = method_row(&default_rows, InferenceMethod::Cr1)
        .ok_or_else(|| missing(&COVERAGE, "default / cr1 / Total slate"))?;
    let correlated_rows = total_rows(Scenario::CorrelatedUserRandomized);
    let correlated_total_coverage = method_row(&correlated_rows, InferenceMethod::Naive)
        .zip(method_row(&correlated_rows, InferenceMethod::Cr1))
        .map(|(naive, cr1)| (coverage.coverage[naive], coverage.coverage[cr1]));
    let replicates = coverage.replicates.first().copied().unwrap_or(0);
    let power_path = paths.processed_dir.join(POWER.file_name);
    let power = if power_path.exists() {
        load(paths, &POWER, PowerTable::from_frame)?
    } else {
        PowerTable::default()
    };
    let total = effect(Contrast::TotalSlate)?;
    Ok(Facts {
        data,
        direct: main.estimate[effect(Contrast::DirectFocal)?],
        same_cluster: main.estimate[effect(Contrast::SameCluster)?],
        all_non_focal: main.estimate[effect(Contrast::AllNonFocal)?],
        total: main.estimate[total],
        total_ci: (main.ci_95_lower[total], main.ci_95_upper[total]),
        direct_per_1000: per_1000(Component::Focal)?,
        same_cluster_per_1000: per_1000(Component::SameCluster)?,
        other_per_1000: per_1000(Component::Other)?,
        total_per_1000: per_1000(Component::FullSlate)?,
        best_model,
        lightgbm_aipw: estimator(Learner::LightGbm)?,
        xgboost_aipw: estimator(Learner::XgBoost)?,
        best_policy: (
            policies.policy[best].to_string(),
            policy_truth.oracle_lift_per_1000_eligible_slates[best],
        ),
        best_policy_share: policies.share_promoted[best],
        best_model_rule: (
            policies.policy[model_rule].to_string(),
            policy_truth.oracle_lift_per_1000_eligible_slates[model_rule],
        ),
        positive_oracle_share: policies.share_promoted[oracle_rule],
        promote_all_per_1000: policy_truth.oracle_lift_per_1000_eligible_slates[promote_all],
        coverage_replicates: replicates,
        coverage_margin: monte_carlo_margin(replicates as usize),
        total_consistent_methods: default_rows
            .iter()
            .filter(|i| coverage.coverage_consistent_with_nominal[**i])
            .map(|i| coverage.method[*i].to_string())
            .collect(),
        total_inconsistent_methods: default_rows
            .iter()
            .filter(|i| !coverage.coverage_consistent_with_nominal[**i])
            .map(|i| (coverage.method[*i].to_string(), coverage.coverage[*i]))
            .collect(),
        total_cr1_coverage: coverage.coverage[cr1],
        total_cr1_coverage_se: coverage.coverage_mc_se[cr1],
        correlated_total_coverage,
        power_agreement: (
            power.agrees_with_analytic.iter().filter(|a| **a).count(),
            power.len(),
        ),
        power: power_facts(&power),
        sweep: {
            let path = paths.processed_dir.join(DESIGN_SWEEP.file_name);
            if path.exists() {
                sweep_facts(&load(paths, &DESIGN_SWEEP, DesignSweepTable::from_frame)?)
            } else {
                None
            }
        },
    })
}
