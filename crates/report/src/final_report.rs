//! The final report (the seed's notebook 05, section by section): loads every upstream table,
//! writes the final tables, figures 25–28, the executive summary and resume bullets, and an
//! index of every artifact the run produced. Every number in the markdown is formatted from a
//! table value of this run; none is typed by hand.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use slate_estimate::contrasts::Contrast;
use slate_estimate::coverage::{NOMINAL_COVERAGE, monte_carlo_margin};
use slate_estimate::decompose::{
    ADDITIVITY_CHECKS, CLUSTER_RISK, DIRECT_INDIRECT_TOTAL, DirectIndirectTotal, POSITION_RISK,
    PRODUCT_SUMMARY, SPILLOVER_SENSITIVITY, SpilloverSensitivity,
};
use slate_estimate::inference::InferenceMethod;
use slate_estimate::power::TARGET_POWER;

use crate::findings::{RECOMMENDATIONS, Recommendations, TAKEAWAYS};
use slate_estimate::tables::{
    COVERAGE, CoverageTable, DESIGN_SWEEP, DesignSweepTable, Estimates, INFERENCE_COMPARISON,
    OBSERVED_EFFECTS, POWER, PowerTable,
};
use slate_models::learner::{LIGHTGBM, XGBOOST};
use slate_models::tables::{
    AIPW_ESTIMATES, AIPW_ESTIMATES_TRUTH, AipwEstimates, AipwTruth, Estimator, HETEROGENEITY,
    MODEL_METRICS, ModelMetrics, POLICY_TARGETING, POLICY_TARGETING_TRUTH, PolicyRule,
    PolicyTargeting, PolicyTruth,
};
use slate_table::{TableSchema, write_csv};

use crate::ReportError;
use crate::charts::{
    IntervalRow, RowStyle, distinct_in_order, interval_panel, render_png, thousands,
};
use crate::estimator_figures::read;

/// File names of the figures [`final_report`] writes, in order.
pub const FINAL_FIGURES: [&str; 4] = [
    "25_final_main_effects.png",
    "26_final_direct_indirect_total_decomposition.png",
    "27_final_spillover_sensitivity.png",
    "28_final_policy_targeting.png",
];

/// The executive summary, in the writeup folder.
pub const SUMMARY_FILE: &str = "final_project_summary.md";
/// The resume bullets, in the writeup folder.
pub const BULLETS_FILE: &str = "resume_bullets.md";

slate_table::table! {
    /// `final_load_index.csv`: every upstream table the final report read, with its row count.
    pub struct LoadIndex, schema LOAD_INDEX = "final_load_index.csv" {
        /// Short artifact name (as in the seed's load index).
        artifact: String,
        /// Path, relative to the project root when under it.
        path: String,
        /// Rows read.
        rows: u32,
    }
}

slate_table::table! {
    /// `final_main_effects.csv`: the observed effects in report units, per item row or slate
    /// and per 1,000, with a note on what each contrast means.
    pub struct FinalMainEffects, schema FINAL_MAIN_EFFECTS = "final_main_effects.csv" {
        /// Contrast.
        contrast: String,
        /// Outcome.
        outcome: String,
        /// Estimate.
        estimate: f64,
        /// Slate-clustered SE.
        cluster_se: f64,
        /// 95% lower bound.
        ci_95_lower: f64,
        /// 95% upper bound.
        ci_95_upper: f64,
        /// Treated mean.
        treated_mean: f64,
        /// Control mean.
        control_mean: f64,
        /// Treated rows.
        treated_n: u32,
        /// Control rows.
        control_n: u32,
        /// Slates.
        clusters: u32,
        /// Estimate × 1,000.
        estimate_per_1000: f64,
        /// Lower bound × 1,000.
        ci_95_lower_per_1000: f64,
        /// Upper bound × 1,000.
        ci_95_upper_per_1000: f64,
        /// What the contrast means for the product.
        report_note: String,
    }
}

slate_table::table! {
    /// `final_direct_indirect_total_decomposition.csv`: the observed-click decomposition in
    /// report order (direct, indirect same-cluster, indirect other, total).
    pub struct FinalDecomposition, schema FINAL_DECOMPOSITION = "final_direct_indirect_total_decomposition.csv" {
        /// "Direct", "Indirect" or "Total".
        effect_family: String,
        /// Component.
        component: String,
        /// "family: component".
        component_label: String,
        /// Effect per promoted slate.
        estimate_per_slate: f64,
        /// 95% lower bound per slate.
        ci_95_lower: f64,
        /// 95% upper bound per slate.
        ci_95_upper: f64,
        /// Effect per 1,000 promoted slates.
        estimate_per_1000_promoted_slates: f64,
        /// Lower bound per 1,000.
        ci_95_lower_per_1000: f64,
        /// Upper bound per 1,000.
        ci_95_upper_per_1000: f64,
    }
}

/// `final_spillover_sensitivity.csv`: the spillover-definition sensitivity, as reported.
pub const FINAL_SENSITIVITY: TableSchema = SPILLOVER_SENSITIVITY.renamed(
    "final_spillover_sensitivity.csv",
    "Spillover effect under each competitor definition, with slate-clustered intervals.",
);

/// `final_recommendations.csv`: the decomposition's recommendations plus the report's two.
pub const FINAL_RECOMMENDATIONS: TableSchema = RECOMMENDATIONS.renamed(
    "final_recommendations.csv",
    "Product recommendations with evidence quoting this run's numbers.",
);

slate_table::table! {
    /// `final_advanced_model_summary.csv`: outcome-model fit, AIPW estimates and targeting
    /// rules in one table.
    pub struct AdvancedSummary, schema ADVANCED_SUMMARY = "final_advanced_model_summary.csv" {
        /// "Outcome model", "Total-slate effect" or "Targeting rule".
        section: String,
        /// Model, estimator or rule.
        item: String,
        /// What `value` measures.
        metric: String,
        /// The value.
        value: f64,
        /// 95% lower bound (NaN where none).
        ci_95_lower: f64,
        /// 95% upper bound (NaN where none).
        ci_95_upper: f64,
        /// Context.
        note: String,
    }
}

slate_table::table! {
    /// `final_limitations.csv`: what the analysis cannot show, and what would.
    pub struct Limitations, schema LIMITATIONS = "final_limitations.csv" {
        /// The limitation.
        limitation: String,
        /// Its impact.
        impact: String,
        /// Mitigation.
        mitigation: String,
    }
}

slate_table::table! {
    /// `artifact_index.csv`: every table, figure and markdown file the run produced.
    pub struct ArtifactIndex, schema ARTIFACT_INDEX = "artifact_index.csv" {
        /// File name.
        artifact: String,
        /// "table", "figure" or "markdown".
        kind: String,
        /// Path, relative to the project root when under it.
        path: String,
        /// Rows (tables only).
        rows: Option<u32>,
        /// One line on what it holds.
        description: String,
    }
}

/// Where the final report reads and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPaths {
    /// The pipeline's processed tables.
    pub processed_dir: PathBuf,
    /// The writeup folder (markdown; `tables/` inside it).
    pub writeup_dir: PathBuf,
    /// Figures.
    pub figures_dir: PathBuf,
    /// The project root paths in the indexes are relative to.
    pub root: PathBuf,
}

impl ReportPaths {
    /// `writeup/tables`.
    pub fn tables_dir(&self) -> PathBuf {
        self.writeup_dir.join("tables")
    }

    pub(crate) fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// The upstream tables the report loads (seed section 2, plus the inference tables).
pub fn upstream_tables() -> Vec<(&'static str, TableSchema)> {
    vec![
        ("setup_readiness", slate_ingest::schema::SETUP_READINESS),
        (
            "exposure_readiness",
            slate_exposure::schema::EXPOSURE_READINESS,
        ),
        ("observed_effects", OBSERVED_EFFECTS),
        ("direct_indirect_total", DIRECT_INDIRECT_TOTAL),
        ("additivity_checks", ADDITIVITY_CHECKS),
        ("spillover_sensitivity", SPILLOVER_SENSITIVITY),
        ("product_summary", PRODUCT_SUMMARY),
        ("recommendations", RECOMMENDATIONS),
        ("advanced_metrics", MODEL_METRICS),
        ("advanced_aipw", AIPW_ESTIMATES),
        ("advanced_policy", POLICY_TARGETING),
        ("advanced_takeaways", TAKEAWAYS),
        ("advanced_heterogeneity", HETEROGENEITY),
        ("cluster_risk", CLUSTER_RISK),
        ("position_risk", POSITION_RISK),
        ("inference_comparison", INFERENCE_COMPARISON),
        ("coverage", COVERAGE),
    ]
}

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
}

/// The design sweep's facts (`None` for an empty table).
fn sweep_facts(table: &DesignSweepTable) -> Option<SweepFacts> {
    let point = |i: usize| {
        (
            table.true_total_effect[i],
            table.knob[i].clone(),
            table.value[i].clone(),
        )
    };
    let lowest = (0..table.len())
        .min_by(|a, b| table.true_total_effect[*a].total_cmp(&table.true_total_effect[*b]))?;
    let highest = (0..table.len())
        .max_by(|a, b| table.true_total_effect[*a].total_cmp(&table.true_total_effect[*b]))?;
    let knobs: Vec<String> = distinct_in_order(&table.knob)
        .into_iter()
        .map(str::to_string)
        .collect();
    let spread = |knob: &str| {
        let values = (0..table.len())
            .filter(|i| table.knob[*i] == knob)
            .map(|i| table.true_total_effect[i]);
        values.clone().fold(f64::MIN, f64::max) - values.fold(f64::MAX, f64::min)
    };
    let strongest = knobs
        .iter()
        .max_by(|a, b| spread(a).total_cmp(&spread(b)))?
        .clone();
    Some(SweepFacts {
        lowest: point(lowest),
        highest: point(highest),
        strongest: (strongest.clone(), spread(&strongest)),
        power_range: (
            table.power_total.iter().copied().fold(f64::MAX, f64::min),
            table.power_total.iter().copied().fold(f64::MIN, f64::max),
        ),
        n_slates: table.n_slates[0],
        knobs,
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
    fn mde_total(&self) -> f64 {
        self.mde
            .iter()
            .find(|(c, _)| *c == Contrast::TotalSlate)
            .map_or(f64::NAN, |(_, m)| *m)
    }
}

/// The power study's facts, per scenario in table order (empty without a power table).
fn power_facts(table: &PowerTable) -> Vec<ScenarioPower> {
    let scenarios = distinct_in_order(&table.scenario);
    let row = |scenario: &str, contrast: Contrast, method: InferenceMethod, n: u32| {
        (0..table.len()).find(|i| {
            table.scenario[*i] == scenario
                && table.contrast[*i] == contrast.name()
                && table.n_slates[*i] == n
                && InferenceMethod::from_key(&table.method_key[*i]) == Some(method)
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

/// The summary's power paragraph (empty without a power study).
pub fn power_paragraph(f: &Facts) -> String {
    if f.power.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "`cargo xtask power` simulated each scenario's population at several sizes and re-drew the experiment at each (figure 29, `movielens_interference_power.csv`).",
    );
    for p in &f.power {
        let reach = if p.reaches_target {
            // The SE scales as 1/sqrt(slates) at a fixed number of slates per unit, so the MDE
            // equals |τ| at n · (MDE / |τ|)² slates: from the last size below 80%, else from
            // the first at or above it.
            let (n, units, mde) = p.below.unwrap_or((p.n_slates, p.n_units, p.mde_total()));
            let needed = f64::from(n) * (mde / p.total_effect.abs()).powi(2);
            format!(
                "needs about {} slates for 80% power by the analytic formula (extrapolated from {} slates with {:.1} slates per unit, assuming that ratio holds); the grid reaches it at {} slates (analytic {:.0}%, simulated {:.0}% over {} experiments)",
                thousands(needed.round() as u64),
                thousands(u64::from(n)),
                f64::from(n) / f64::from(units),
                thousands(u64::from(p.n_slates)),
                100.0 * p.total_power.0,
                100.0 * p.total_power.1,
                p.replicates
            )
        } else {
            format!(
                "does not reach 80% power on the grid: {:.0}% at {} slates (simulated {:.0}%)",
                100.0 * p.total_power.0,
                thousands(u64::from(p.n_slates)),
                100.0 * p.total_power.1
            )
        };
        let mde: Vec<String> = p
            .mde
            .iter()
            .map(|(c, m)| format!("{} {m:.3}", c.name()))
            .collect();
        out.push_str(&format!(
            " In scenario `{}` the total-slate effect ({:.3}) {reach}; there the minimum detectable effects at 80% power are: {}. Lin covariate adjustment shrinks the total's standard error by {:.1}%.",
            p.scenario,
            p.total_effect,
            mde.join("; "),
            100.0 * p.lin_shrink
        ));
    }
    out.push_str(&format!(
        " Simulated and analytic power agree within 3 Monte-Carlo SE + 0.02 at {} of {} points.",
        f.power_agreement.0, f.power_agreement.1
    ));
    out
}

/// The coverage table's name of the run's own design, and of the correlated, user-randomized
/// scenario (the MovieLens run's coverage stage runs both).
const DEFAULT_SCENARIO: &str = slate_simulate::config::Scenario::Default.name();
const CORRELATED_SCENARIO: &str = slate_simulate::config::Scenario::CorrelatedUserRandomized.name();

/// What [`final_report`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct FinalReport {
    /// The facts quoted in the markdown.
    pub facts: Facts,
    /// Every file written, in order.
    pub written: Vec<PathBuf>,
}

fn load<T>(
    paths: &ReportPaths,
    schema: &TableSchema,
    from: impl Fn(&slate_table::polars::prelude::DataFrame, &str) -> Result<T, slate_table::TableError>,
) -> Result<T, ReportError> {
    read(&paths.processed_dir, schema, from)
}

fn missing(table: &TableSchema, what: &str) -> ReportError {
    ReportError::Missing {
        table: table.file_name.to_string(),
        what: what.to_string(),
    }
}

/// Writes the whole final report. The summary names the data by the raw folder the ingest
/// stage read (its setup-readiness table) and quotes the ingested row counts.
pub fn final_report(paths: &ReportPaths) -> Result<FinalReport, ReportError> {
    let mut written = Vec::new();
    let tables_dir = paths.tables_dir();

    // 2. Load index: every upstream table, schema-checked, with its rows.
    let mut index = LoadIndex::default();
    for (name, schema) in upstream_tables() {
        let path = paths.processed_dir.join(schema.file_name);
        let frame = slate_table::read_csv(&path, &schema)?;
        index.artifact.push(name.to_string());
        index.path.push(paths.relative(&path));
        index.rows.push(frame.height() as u32);
    }
    written.push(write_csv(&mut index.to_frame()?, &LOAD_INDEX, &tables_dir)?);

    // 3. Final main effects.
    let observed: Estimates = load(paths, &OBSERVED_EFFECTS, Estimates::from_frame)?;
    let mut main = FinalMainEffects::default();
    for i in 0..observed.len() {
        let contrast = &observed.contrast[i];
        main.contrast.push(contrast.clone());
        main.outcome.push(observed.outcome[i].clone());
        main.estimate.push(observed.estimate[i]);
        main.cluster_se.push(observed.cluster_se[i]);
        main.ci_95_lower.push(observed.ci_95_lower[i]);
        main.ci_95_upper.push(observed.ci_95_upper[i]);
        main.treated_mean.push(observed.treated_mean[i]);
        main.control_mean.push(observed.control_mean[i]);
        main.treated_n.push(observed.treated_n[i]);
        main.control_n.push(observed.control_n[i]);
        main.clusters.push(observed.clusters[i]);
        main.estimate_per_1000.push(observed.estimate[i] * 1000.0);
        main.ci_95_lower_per_1000
            .push(observed.ci_95_lower[i] * 1000.0);
        main.ci_95_upper_per_1000
            .push(observed.ci_95_upper[i] * 1000.0);
        let note = if contrast == Contrast::DirectFocal.name() {
            "Promoted focal item gain."
        } else if contrast.to_lowercase().contains("spillover") {
            "Competitor or non-focal item displacement."
        } else if contrast == Contrast::TotalSlate.name() {
            "Net slate-level value after direct and spillover effects."
        } else {
            "Supporting contrast."
        };
        main.report_note.push(note.to_string());
    }
    written.push(write_csv(
        &mut main.to_frame()?,
        &FINAL_MAIN_EFFECTS,
        &tables_dir,
    )?);
    let effect = |c: Contrast| -> Result<usize, ReportError> {
        (0..main.len())
            .find(|i| main.contrast[*i] == c.name())
            .ok_or_else(|| missing(&OBSERVED_EFFECTS, c.name()))
    };

    // 5. Decomposition, observed clicks, in report order.
    let decomposition: DirectIndirectTotal = load(
        paths,
        &DIRECT_INDIRECT_TOTAL,
        DirectIndirectTotal::from_frame,
    )?;
    let order = [
        "Direct: Focal item",
        "Indirect: Same-cluster competitors",
        "Indirect: Other competitors",
        "Total: Full slate",
    ];
    let mut final_decomposition = FinalDecomposition::default();
    for label in order {
        let i = (0..decomposition.len())
            .find(|i| {
                decomposition.outcome_type[*i] == "observed_clicks"
                    && format!(
                        "{}: {}",
                        decomposition.effect_family[*i], decomposition.component[*i]
                    ) == label
            })
            .ok_or_else(|| missing(&DIRECT_INDIRECT_TOTAL, label))?;
        let d = &decomposition;
        let t = &mut final_decomposition;
        t.effect_family.push(d.effect_family[i].clone());
        t.component.push(d.component[i].clone());
        t.component_label.push(label.to_string());
        t.estimate_per_slate.push(d.estimate_per_slate[i]);
        t.ci_95_lower.push(d.ci_95_lower[i]);
        t.ci_95_upper.push(d.ci_95_upper[i]);
        t.estimate_per_1000_promoted_slates
            .push(d.estimate_per_1000_promoted_slates[i]);
        t.ci_95_lower_per_1000.push(d.ci_95_lower_per_1000[i]);
        t.ci_95_upper_per_1000.push(d.ci_95_upper_per_1000[i]);
    }
    written.push(write_csv(
        &mut final_decomposition.to_frame()?,
        &FINAL_DECOMPOSITION,
        &tables_dir,
    )?);

    // 7. Spillover sensitivity.
    let sensitivity: SpilloverSensitivity = load(
        paths,
        &SPILLOVER_SENSITIVITY,
        SpilloverSensitivity::from_frame,
    )?;
    written.push(write_csv(
        &mut sensitivity.to_frame()?,
        &FINAL_SENSITIVITY,
        &tables_dir,
    )?);

    // 9. Advanced models.
    let metrics: ModelMetrics = load(paths, &MODEL_METRICS, ModelMetrics::from_frame)?;
    let aipw: AipwEstimates = load(paths, &AIPW_ESTIMATES, AipwEstimates::from_frame)?;
    let policies: PolicyTargeting = load(paths, &POLICY_TARGETING, PolicyTargeting::from_frame)?;
    // The MovieLens run's log has truth: its oracle columns are read beside the tables.
    let aipw_truth: AipwTruth = load(paths, &AIPW_ESTIMATES_TRUTH, AipwTruth::from_frame)?;
    let policy_truth: PolicyTruth = load(paths, &POLICY_TARGETING_TRUTH, PolicyTruth::from_frame)?;
    let summary = advanced_summary(&metrics, &aipw, &aipw_truth, &policies, &policy_truth);
    written.push(write_csv(
        &mut summary.to_frame()?,
        &ADVANCED_SUMMARY,
        &tables_dir,
    )?);

    // Coverage (beyond the seed): which methods' intervals reach nominal coverage.
    let coverage: CoverageTable = load(paths, &COVERAGE, CoverageTable::from_frame)?;

    let facts = facts(
        paths,
        &main,
        &final_decomposition,
        &metrics,
        &aipw,
        &policies,
        &policy_truth,
        &coverage,
        &effect,
    )?;

    // 11. Limitations; 12. recommendations.
    let limitations = limitations(&facts);
    written.push(write_csv(
        &mut limitations.to_frame()?,
        &LIMITATIONS,
        &tables_dir,
    )?);
    let mut recommendations: Recommendations =
        load(paths, &RECOMMENDATIONS, Recommendations::from_frame)?;
    recommendations
        .decision_area
        .push("Experiment design".into());
    recommendations.recommendation.push(
        "Randomize at the slate, cluster, or market level when interference is plausible.".into(),
    );
    recommendations.evidence.push(format!(
        "Item-level treatment assignment can miss displacement across neighbouring items: here the non-focal items of promoted slates lost {:.3} clicks each on average, and the slate as a whole {:.3} clicks.",
        facts.all_non_focal, facts.total
    ));
    recommendations
        .decision_area
        .push("Advanced targeting".into());
    recommendations.recommendation.push(
        "Use ML targeting only after validating net slate value against a randomized or off-policy benchmark."
            .into(),
    );
    recommendations.evidence.push(format!(
        "Cross-fitted LightGBM AIPW gave {:.3} clicks per slate against the randomized {:.3}; the best feasible targeting rule ({}) reached {:.1} oracle clicks per 1,000 eligible slates by promoting {:.1}% of them, against {:.1} for promoting all.",
        facts.lightgbm_aipw,
        facts.total,
        facts.best_policy.0,
        facts.best_policy.1,
        100.0 * facts.best_policy_share,
        facts.promote_all_per_1000
    ));
    written.push(write_csv(
        &mut recommendations.to_frame()?,
        &FINAL_RECOMMENDATIONS,
        &tables_dir,
    )?);

    // 4, 6, 8, 10. Figures.
    written.extend(final_figures(
        paths,
        &main,
        &final_decomposition,
        &sensitivity,
        &policies,
        &policy_truth,
    )?);

    // 13. Summary and bullets.
    written.push(write_text(
        &paths.writeup_dir,
        SUMMARY_FILE,
        &summary_markdown(&facts),
    )?);
    written.push(write_text(
        &paths.writeup_dir,
        BULLETS_FILE,
        &bullets_markdown(&facts),
    )?);

    // 14. Artifact index (itself included).
    let index = artifact_index(paths)?;
    written.push(write_csv(
        &mut index.to_frame()?,
        &ARTIFACT_INDEX,
        &tables_dir,
    )?);
    Ok(FinalReport { facts, written })
}

fn advanced_summary(
    metrics: &ModelMetrics,
    aipw: &AipwEstimates,
    aipw_truth: &AipwTruth,
    policies: &PolicyTargeting,
    policy_truth: &PolicyTruth,
) -> AdvancedSummary {
    let mut t = AdvancedSummary::default();
    let mut push =
        |section: &str, item: &str, metric: &str, value: f64, ci: (f64, f64), note: String| {
            t.section.push(section.into());
            t.item.push(item.into());
            t.metric.push(metric.into());
            t.value.push(value);
            t.ci_95_lower.push(ci.0);
            t.ci_95_upper.push(ci.1);
            t.note.push(note);
        };
    for i in metrics.test_rows() {
        push(
            "Outcome model",
            &metrics.model[i],
            "test RMSE (clicks per slate)",
            metrics.rmse[i],
            (f64::NAN, f64::NAN),
            format!(
                "R² {:.3}, MAE {:.3}, {} held-out slates",
                metrics.r2[i], metrics.mae[i], metrics.n[i]
            ),
        );
    }
    for i in 0..aipw.len() {
        push(
            "Total-slate effect",
            &aipw.estimator[i],
            "effect on clicks per slate",
            aipw.estimate[i],
            (aipw.ci_95_lower[i], aipw.ci_95_upper[i]),
            format!(
                "propensity: {}; known design effect {:.3}",
                aipw.propensity[i], aipw_truth.true_effect[i]
            ),
        );
    }
    for i in 0..policies.len() {
        push(
            "Targeting rule",
            &policies.policy[i],
            "oracle lift per 1,000 eligible slates",
            policy_truth.oracle_lift_per_1000_eligible_slates[i],
            (
                policies.aipw_ci_95_lower_per_1000[i],
                policies.aipw_ci_95_upper_per_1000[i],
            ),
            format!(
                "promotes {:.1}% of slates; interval is the AIPW estimate {:.1} from the experiment",
                100.0 * policies.share_promoted[i],
                policies.aipw_value_per_1000[i]
            ),
        );
    }
    t
}

#[allow(clippy::too_many_arguments)]
fn facts(
    paths: &ReportPaths,
    main: &FinalMainEffects,
    decomposition: &FinalDecomposition,
    metrics: &ModelMetrics,
    aipw: &AipwEstimates,
    policies: &PolicyTargeting,
    policy_truth: &PolicyTruth,
    coverage: &CoverageTable,
    effect: &dyn Fn(Contrast) -> Result<usize, ReportError>,
) -> Result<Facts, ReportError> {
    let setup = slate_table::read_csv(
        &paths
            .processed_dir
            .join(slate_ingest::schema::SETUP_READINESS.file_name),
        &slate_ingest::schema::SETUP_READINESS,
    )?;
    let checks = slate_table::readiness::from_frame(
        &setup,
        slate_ingest::schema::SETUP_READINESS.file_name,
    )?;
    let value = |check: &str| {
        checks
            .iter()
            .find(|c| c.check == check)
            .map(|c| c.value.clone())
            .unwrap_or_else(|| "?".into())
    };
    let counts = format!(
        "{} ratings from {} users on {} movies",
        value("ratings_rows"),
        value("users"),
        value("movies_rows")
    );
    let data = match value("source_folder").as_str() {
        "ml-32m" => format!("MovieLens 32M ({counts})"),
        "synthetic" => format!("synthetic MovieLens-format data ({counts})"),
        "?" => format!("a MovieLens-format dataset ({counts})"),
        folder => format!("the MovieLens-format folder `{folder}` ({counts})"),
    };
    let per_1000 = |label: &str| -> Result<f64, ReportError> {
        (0..decomposition.len())
            .find(|i| decomposition.component_label[*i] == label)
            .map(|i| decomposition.estimate_per_1000_promoted_slates[i])
            .ok_or_else(|| missing(&DIRECT_INDIRECT_TOTAL, label))
    };
    let best = metrics.best_test_rows(crate::findings::RMSE_DECIMALS);
    let best_model = best
        .first()
        .map(|i| {
            let names = best.iter().map(|j| metrics.model[*j].clone()).collect();
            (names, metrics.rmse[*i])
        })
        .ok_or_else(|| missing(&MODEL_METRICS, "a test split"))?;
    let estimator = |model| -> Result<f64, ReportError> {
        let estimator = Estimator::Aipw {
            model,
            estimated_propensity: false,
        };
        aipw.row(estimator)
            .map(|i| aipw.estimate[i])
            .ok_or_else(|| missing(&AIPW_ESTIMATES, &estimator.name()))
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
        .ok_or_else(|| missing(&POLICY_TARGETING, &PolicyRule::OracleBest.name()))?;
    let promote_all = policies
        .row(PolicyRule::PromoteAll)
        .ok_or_else(|| missing(&POLICY_TARGETING, &PolicyRule::PromoteAll.name()))?;
    let total_rows = |scenario: &str| -> Vec<usize> {
        (0..coverage.len())
            .filter(|i| {
                coverage.contrast[*i] == Contrast::TotalSlate.name()
                    && coverage.scenario[*i] == scenario
            })
            .collect()
    };
    let method_row = |rows: &[usize], method: InferenceMethod| {
        rows.iter()
            .copied()
            .find(|i| InferenceMethod::from_key(&coverage.method_key[*i]) == Some(method))
    };
    let default_rows = total_rows(DEFAULT_SCENARIO);
    let cr1 = method_row(&default_rows, InferenceMethod::Cr1)
        .ok_or_else(|| missing(&COVERAGE, "default / cr1 / Total slate"))?;
    let correlated_rows = total_rows(CORRELATED_SCENARIO);
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
        direct_per_1000: per_1000("Direct: Focal item")?,
        same_cluster_per_1000: per_1000("Indirect: Same-cluster competitors")?,
        other_per_1000: per_1000("Indirect: Other competitors")?,
        total_per_1000: per_1000("Total: Full slate")?,
        best_model,
        lightgbm_aipw: estimator(LIGHTGBM)?,
        xgboost_aipw: estimator(XGBOOST)?,
        best_policy: (
            policies.policy[best].clone(),
            policy_truth.oracle_lift_per_1000_eligible_slates[best],
        ),
        best_policy_share: policies.share_promoted[best],
        best_model_rule: (
            policies.policy[model_rule].clone(),
            policy_truth.oracle_lift_per_1000_eligible_slates[model_rule],
        ),
        positive_oracle_share: policies.share_promoted[oracle_rule],
        promote_all_per_1000: policy_truth.oracle_lift_per_1000_eligible_slates[promote_all],
        coverage_replicates: replicates,
        coverage_margin: monte_carlo_margin(replicates as usize),
        total_consistent_methods: default_rows
            .iter()
            .filter(|i| coverage.coverage_consistent_with_nominal[**i])
            .map(|i| coverage.method[*i].clone())
            .collect(),
        total_inconsistent_methods: default_rows
            .iter()
            .filter(|i| !coverage.coverage_consistent_with_nominal[**i])
            .map(|i| (coverage.method[*i].clone(), coverage.coverage[*i]))
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

fn limitations(facts: &Facts) -> Limitations {
    let rows: [(&str, String, &str); 6] = [
        (
            "MovieLens contains ratings, not recommendation impressions.",
            format!(
                "The slates, promotions and clicks are simulated on {}; the analysis demonstrates an interference workflow but does not estimate real production promotion effects.",
                facts.data
            ),
            "Use real slate impression logs or run a randomized slate experiment when available.",
        ),
        (
            "Promotion assignment and outcomes are simulated.",
            "The numbers reflect the assumed click model (position bias, attention budget, same-cluster substitution); a different mechanism would give different effects.".into(),
            "Treat the results as a methodology demonstration and validate with online experiments.",
        ),
        (
            "Genres are coarse substitute clusters.",
            "Each movie gets one cluster (its rarest genre covering at least 10% of the catalogue); some substitutes are missed and some same-cluster movies do not compete.".into(),
            "Use learned item embeddings, co-watch patterns, or richer metadata for production analysis.",
        ),
        match &facts.sweep {
            None => (
                "Only one promotion design is simulated.",
                "One promotion probability, slate size and focal-position range; other designs could change the net effect.".into(),
                "Run `cargo xtask design-sweep` (promotion probability, focal window, attention cost, substitution penalty) or set any knob in the config.",
            ),
            Some(sweep) => (
                "The headline design is one of many; the design sweep varies one knob at a time.",
                format!(
                    "Over {} ({} slates each), the true total effect ranged from {:.3} ({} = {}) to {:.3} ({} = {}){}; {} moves it most (spread {:.3}). The total's test had {:.0}–{:.0}% power.",
                    sweep.knobs.join(", "),
                    sweep.n_slates,
                    sweep.lowest.0,
                    sweep.lowest.1,
                    sweep.lowest.2,
                    sweep.highest.0,
                    sweep.highest.1,
                    sweep.highest.2,
                    if sweep.highest.0 < 0.0 {
                        ", negative at every point: no swept design makes promotion help the slate"
                    } else {
                        ""
                    },
                    sweep.strongest.0,
                    sweep.strongest.1,
                    100.0 * sweep.power_range.0,
                    100.0 * sweep.power_range.1
                ),
                "Measure the knob that moves the net effect most on your own product (e.g. the attention a hero tile takes, with a holdout of the format) before generalizing, and rerun the sweep on your own knobs.",
            ),
        },
        (
            "Advanced models are evaluated against simulated oracle lift.",
            format!(
                "Policy values depend on the simulated outcome mechanism; the best feasible rule's {:.1} oracle clicks per 1,000 eligible slates is a property of this simulation.",
                facts.best_policy.1
            ),
            "Use randomized or valid off-policy evaluation (the AIPW policy values) before deploying targeted promotion rules.",
        ),
        (
            "Interval coverage is checked on one design.",
            format!(
                "The coverage study re-drew assignment and clicks {} times on these slates; the CR1 interval covered the total-slate truth in {:.1}% of them{}.",
                facts.coverage_replicates,
                100.0 * facts.total_cr1_coverage,
                match facts.correlated_total_coverage {
                    Some((naive, cr1)) => format!(
                        ", and in a correlated, user-randomized variant the naive interval {:.1}% against the unit-clustered CR1's {:.1}%",
                        100.0 * naive,
                        100.0 * cr1
                    ),
                    None => String::new(),
                }
            ),
            "Rerun `cargo xtask coverage --reps 1000` on any new design before trusting its intervals.",
        ),
    ];
    let mut t = Limitations::default();
    for (limitation, impact, mitigation) in rows {
        t.limitation.push(limitation.into());
        t.impact.push(impact);
        t.mitigation.push(mitigation.into());
    }
    t
}

/// The executive summary (seed section 13), every number from `facts`.
pub fn summary_markdown(f: &Facts) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Final Summary: Interference and Spillover Effects in Recommendation Slates\n"
    );
    let _ = writeln!(s, "## Question\n");
    let _ = writeln!(
        s,
        "This analysis studies what happens when a lower-ranked item is promoted inside a recommendation slate. The causal issue is interference: promoting one item can affect other items because slate attention is limited.\n"
    );
    let _ = writeln!(s, "## Data and Design\n");
    let _ = writeln!(
        s,
        "The run used {} as a user-item preference dataset. Since MovieLens does not contain impression logs or promotion assignments, the workflow constructed simulated recommendation slates, selected focal items, randomized focal promotion at the slate level, and generated outcomes from an explicit competition model with the truth kept.\n",
        f.data
    );
    let _ = writeln!(s, "## Main Finding\n");
    let _ = writeln!(
        s,
        "The promoted focal item gained engagement, but the full slate lost value after competitor displacement was included.\n"
    );
    let _ = writeln!(
        s,
        "- Direct focal item effect: {:.3} simulated click-rate lift.",
        f.direct
    );
    let _ = writeln!(
        s,
        "- Same-cluster competitor spillover: {:.3}.",
        f.same_cluster
    );
    let _ = writeln!(s, "- All non-focal spillover: {:.3}.", f.all_non_focal);
    let _ = writeln!(
        s,
        "- Total slate effect: {:.3} simulated clicks per slate (95% CI {:.3} to {:.3}).\n",
        f.total, f.total_ci.0, f.total_ci.1
    );
    let _ = writeln!(
        s,
        "In product units, the focal item gained {:.1} simulated clicks per 1,000 promoted slates, while same-cluster competitors changed by {:.1} and other competitors changed by {:.1}. The net total slate effect was {:.1} simulated clicks per 1,000 promoted slates.\n",
        f.direct_per_1000, f.same_cluster_per_1000, f.other_per_1000, f.total_per_1000
    );
    let _ = writeln!(s, "## Advanced Modeling\n");
    let _ = writeln!(
        s,
        "Flexible outcome models predicted slate-level clicks and conditional net promotion effects. {} at {:.3} clicks per slate. Cross-fitted AIPW estimates were {:.3} (LightGBM) and {:.3} (XGBoost), close to the randomized total-effect estimate of {:.3}.\n",
        best_rmse_clause(&f.best_model.0),
        f.best_model.1,
        f.lightgbm_aipw,
        f.xgboost_aipw,
        f.total
    );
    let _ = writeln!(
        s,
        "Targeting: promoting every eligible slate changes expected clicks by {:.1} per 1,000 eligible slates, and {:.1}% of slates have a positive oracle net effect. The best feasible rule was `{}` at {:.1} (promoting {:.1}% of slates); the best rule built from model predictions was `{}` at {:.1}.\n",
        f.promote_all_per_1000,
        100.0 * f.positive_oracle_share,
        f.best_policy.0,
        f.best_policy.1,
        100.0 * f.best_policy_share,
        f.best_model_rule.0,
        f.best_model_rule.1
    );
    let _ = writeln!(s, "## Inference\n");
    let _ = writeln!(s, "{}\n", inference_sentence(f));
    let power = power_paragraph(f);
    if !power.is_empty() {
        let _ = writeln!(s, "## Power\n");
        let _ = writeln!(s, "{power}\n");
    }
    let _ = writeln!(s, "## Recommendation\n");
    let _ = writeln!(
        s,
        "Do not evaluate promotion policies using promoted-item gains alone. When items compete for visibility, report slate-level total effects and monitor substitute or displaced-item spillovers. Advanced models can help target safer promotions, but they should be validated against randomized or valid off-policy benchmarks.\n"
    );
    let _ = writeln!(s, "## Limitations\n");
    let _ = writeln!(
        s,
        "The numerical results come from a simulation built on MovieLens ratings, not a production experiment. Genres are coarse substitute clusters, the outcome mechanism is assumed, and the headline comes from one promotion design (`cargo xtask design-sweep` varies it). The value of the work is the transferable causal workflow: define interference, randomize at the right level, decompose direct and indirect effects, check interval coverage, and evaluate policies by net slate value."
    );
    s
}

/// Who had the best held-out RMSE: one model, or the models tied to the printed digits.
fn best_rmse_clause(models: &[String]) -> String {
    match models {
        [one] => format!("{one} had the best held-out RMSE"),
        tied => format!("{} tied for the best held-out RMSE", tied.join(" and ")),
    }
}

/// What the coverage study says, accounting for its Monte-Carlo error: at R replicates an
/// interval that truly covers 95% shows anywhere in 95% ± `coverage_margin`, so a method is
/// judged only against that band.
pub fn inference_sentence(f: &Facts) -> String {
    let band = (
        100.0 * (NOMINAL_COVERAGE - f.coverage_margin),
        100.0 * (NOMINAL_COVERAGE + f.coverage_margin).min(1.0),
    );
    let verdict = match (
        f.total_consistent_methods.len(),
        f.total_inconsistent_methods.as_slice(),
    ) {
        (_, []) => "every method's coverage of the total is consistent with 95%".to_string(),
        (0, _) => "no method's coverage of the total is consistent with 95%".to_string(),
        (_, below) => format!(
            "consistent with 95% for the total: {}; not consistent: {}",
            f.total_consistent_methods.join("; "),
            below
                .iter()
                .map(|(m, c)| format!("{m} ({:.1}%)", 100.0 * c))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let mut out = format!(
        "Re-drawing assignment and clicks {} times on the same slates, the CR1 interval covered the true total-slate effect in {:.1}% of experiments (Monte-Carlo SE {:.1} points). At {} replicates an interval that truly covers 95% shows between {:.1}% and {:.1}%: {}{}",
        f.coverage_replicates,
        100.0 * f.total_cr1_coverage,
        100.0 * f.total_cr1_coverage_se,
        f.coverage_replicates,
        band.0,
        band.1,
        verdict,
        if f.coverage_margin > 0.01 {
            " (`cargo xtask coverage --reps 1000` narrows the band to ±1.4 points)."
        } else {
            "."
        }
    );
    if let Some((naive, cr1)) = f.correlated_total_coverage {
        out.push_str(&format!(
            " When clicks share a user's and a session's propensity and whole users are randomized (scenario `{CORRELATED_SCENARIO}`), the naive interval covered the total in {:.1}% of experiments and the unit-clustered CR1 interval in {:.1}%: cluster at the randomized unit.",
            100.0 * naive,
            100.0 * cr1
        ));
    }
    out
}

/// The resume bullets (seed section 13), every number from `facts`.
pub fn bullets_markdown(f: &Facts) -> String {
    format!(
        "# Resume Bullets: Interference and Spillover Effects\n\n\
         - Built an end-to-end causal inference workflow in Rust for recommendation slate interference on {}, with simulated randomized promotions and slate-level outcome construction.\n\
         - Estimated direct, spillover, and total effects under item competition; found a +{:.1} focal-click gain but a {:.1} net slate-click change per 1,000 promoted slates after competitor displacement.\n\
         - Implemented slate-clustered (CR1, CR2), bootstrap, wild-bootstrap and randomization inference with a Monte-Carlo coverage study, a direct/indirect/total decomposition, and sensitivity analyses across spillover definitions.\n\
         - Trained LightGBM and XGBoost outcome models for conditional net-effect prediction, compared cross-fitted AIPW ({:.3}) against the randomized estimate ({:.3}), and evaluated targeted promotion policies against oracle and AIPW values.\n",
        f.data, f.direct_per_1000, f.total_per_1000, f.lightgbm_aipw, f.total
    )
}

fn write_text(dir: &Path, name: &str, text: &str) -> Result<PathBuf, ReportError> {
    Ok(slate_table::write_bytes_atomically(
        dir,
        name,
        text.as_bytes(),
    )?)
}

fn final_figures(
    paths: &ReportPaths,
    main: &FinalMainEffects,
    decomposition: &FinalDecomposition,
    sensitivity: &SpilloverSensitivity,
    policies: &PolicyTargeting,
    policy_truth: &PolicyTruth,
) -> Result<Vec<PathBuf>, ReportError> {
    let dir = &paths.figures_dir;
    let mut written = Vec::new();
    let effect_row = |i: usize| {
        IntervalRow::signed(
            main.contrast[i].clone(),
            main.estimate[i],
            main.ci_95_lower[i],
            main.ci_95_upper[i],
        )
    };
    let slate = Contrast::TotalSlate.name();
    written.push(render_png(dir, FINAL_FIGURES[0], (1500, 900), |root| {
        let (top, bottom) = root.split_vertically(600);
        let items: Vec<IntervalRow> = (0..main.len())
            .filter(|i| main.contrast[*i] != slate)
            .map(effect_row)
            .collect();
        let slates: Vec<IntervalRow> = (0..main.len())
            .filter(|i| main.contrast[*i] == slate)
            .map(effect_row)
            .collect();
        interval_panel(
            &top,
            "Final main effects: item rows (95% slate-clustered CI)",
            "Change in click probability per item row",
            &items,
            RowStyle::Points,
            420,
        )?;
        interval_panel(
            &bottom,
            "Final main effects: whole slate",
            "Change in clicks per slate",
            &slates,
            RowStyle::Points,
            420,
        )
    })?);
    written.push(render_png(dir, FINAL_FIGURES[1], (1500, 650), |root| {
        let rows: Vec<IntervalRow> = (0..decomposition.len())
            .map(|i| {
                IntervalRow::signed(
                    decomposition.component_label[i].clone(),
                    decomposition.estimate_per_1000_promoted_slates[i],
                    decomposition.ci_95_lower_per_1000[i],
                    decomposition.ci_95_upper_per_1000[i],
                )
            })
            .collect();
        interval_panel(
            root,
            "Final decomposition per 1,000 promoted slates",
            "Change in simulated clicks per 1,000 promoted slates",
            &rows,
            RowStyle::Bars,
            380,
        )
    })?);
    written.push(render_png(dir, FINAL_FIGURES[2], (1500, 700), |root| {
        let rows = crate::decomposition_figures::sensitivity_rows(sensitivity);
        interval_panel(
            root,
            "Spillover under each competitor definition (95% CI)",
            "Change in click probability per item row",
            &rows,
            RowStyle::Points,
            420,
        )
    })?);
    written.push(render_png(dir, FINAL_FIGURES[3], (1500, 700), |root| {
        let mut order: Vec<usize> = (0..policies.len()).collect();
        order.sort_by(|a, b| {
            policy_truth.oracle_lift_per_1000_eligible_slates[*b]
                .total_cmp(&policy_truth.oracle_lift_per_1000_eligible_slates[*a])
                .then(a.cmp(b))
        });
        let rows: Vec<IntervalRow> = order
            .into_iter()
            .map(|i| {
                IntervalRow::signed_point(
                    policies.policy[i].clone(),
                    policy_truth.oracle_lift_per_1000_eligible_slates[i],
                )
            })
            .collect();
        interval_panel(
            root,
            "Final advanced modeling check: targeted promotion policies",
            "Oracle lift per 1,000 eligible slates",
            &rows,
            RowStyle::Bars,
            480,
        )
    })?);
    Ok(written)
}

/// Every figure the pipeline draws, with a one-line description.
pub fn figure_catalog() -> Vec<(&'static str, &'static str)> {
    use crate::{
        COVERAGE_FIGURE, DECOMPOSITION_FIGURES, ESTIMATOR_FIGURES, MODELS_FIGURES, POWER_FIGURE,
        SWEEP_FIGURE,
    };
    let descriptions = [
        "Observed effects with slate-clustered 95% intervals, item rows and slates.",
        "Observed estimates next to the known induced lift, per contrast.",
        "Cluster-bootstrap distributions of each observed effect.",
        "The total slate effect split into focal and non-focal parts.",
        "Exploratory effects by focal cluster.",
        "Each observed effect's 95% interval under every uncertainty method.",
        "Direct, indirect and total effects per 1,000 promoted slates.",
        "Spillover under seven competitor definitions.",
        "Net slate effect by focal cluster.",
        "Net slate effect by focal position band.",
        "Out-of-fold predicted vs oracle net effect per slate, per model.",
        "Targeting rules: oracle lift and AIPW estimate per 1,000 eligible slates.",
        "Predicted, oracle and AIPW net effect by focal cluster and position band.",
        "Coverage of each method's 95% interval over re-drawn experiments.",
        "Power of each contrast's test against slates, simulated and analytic, per scenario.",
        "True total effect and power of its test over each design knob.",
        "Final main effects, item rows and slates, with 95% intervals.",
        "Final decomposition per 1,000 promoted slates with error bars.",
        "Final spillover-definition sensitivity.",
        "Final targeting rules by oracle lift per 1,000 eligible slates.",
    ];
    ESTIMATOR_FIGURES
        .iter()
        .chain(&DECOMPOSITION_FIGURES)
        .chain(&MODELS_FIGURES)
        .chain(&[COVERAGE_FIGURE, POWER_FIGURE, SWEEP_FIGURE])
        .chain(&FINAL_FIGURES)
        .copied()
        .zip(descriptions)
        .collect()
}

/// Every table schema the pipeline writes to the processed folder.
fn processed_tables() -> Vec<TableSchema> {
    use slate_estimate::decompose::PRODUCT_SUMMARY;
    use slate_estimate::tables::*;
    use slate_models::tables::CONDITIONAL_EFFECTS;
    vec![
        slate_ingest::schema::RATINGS,
        slate_ingest::schema::MOVIES,
        slate_ingest::schema::LINKS,
        slate_ingest::schema::TAGS,
        slate_ingest::schema::SETUP_READINESS,
        slate_simulate::schema::SIMULATED_SLATES,
        slate_simulate::log::IMPRESSION_LOG,
        slate_exposure::schema::EXPOSURE_MAPPING,
        slate_exposure::schema::SLATE_OUTCOMES,
        slate_exposure::schema::ASSIGNMENT,
        slate_exposure::schema::EXPOSURE_READINESS,
        slate_exposure::schema::LOG_COLUMNS,
        ESTIMATES,
        OBSERVED_EFFECTS,
        ASSIGNMENT_RECHECK,
        CONTRAST_SUPPORT,
        SE_COMPARISON,
        BOOTSTRAP_DISTRIBUTION,
        BOOTSTRAP_SUMMARY,
        VALIDATION,
        SLATE_DECOMPOSITION,
        CLUSTER_EFFECTS,
        INFERENCE_COMPARISON,
        COVERAGE,
        POWER,
        PILOT_POWER,
        DESIGN_SWEEP,
        DIRECT_INDIRECT_TOTAL,
        ADDITIVITY_CHECKS,
        SPILLOVER_SENSITIVITY,
        PRODUCT_SUMMARY,
        RECOMMENDATIONS,
        CLUSTER_RISK,
        POSITION_RISK,
        MODEL_METRICS,
        AIPW_ESTIMATES,
        CONDITIONAL_EFFECTS,
        POLICY_TARGETING,
        HETEROGENEITY,
        TAKEAWAYS,
    ]
}

/// The writeup tables [`final_report`] writes.
pub fn writeup_tables() -> Vec<TableSchema> {
    vec![
        LOAD_INDEX,
        FINAL_MAIN_EFFECTS,
        FINAL_DECOMPOSITION,
        FINAL_SENSITIVITY,
        ADVANCED_SUMMARY,
        LIMITATIONS,
        FINAL_RECOMMENDATIONS,
        ARTIFACT_INDEX,
    ]
}

fn rows_of(path: &Path, schema: &TableSchema) -> Result<u32, ReportError> {
    let frame = if path.extension().is_some_and(|e| e == "parquet") {
        slate_table::read_parquet(path, schema)?
    } else {
        slate_table::read_csv(path, schema)?
    };
    Ok(frame.height() as u32)
}

/// The run manifest the pipeline writes beside the exposure tables (what was analyzed, with
/// which configuration and tool version).
pub const RUN_MANIFEST_FILE: &str = "interference_run_manifest.json";

fn artifact_index(paths: &ReportPaths) -> Result<ArtifactIndex, ReportError> {
    let mut index = ArtifactIndex::default();
    let mut push =
        |artifact: &str, kind: &str, path: &Path, rows: Option<u32>, description: String| {
            index.artifact.push(artifact.to_string());
            index.kind.push(kind.to_string());
            index.path.push(paths.relative(path));
            index.rows.push(rows);
            index.description.push(description);
        };
    for schema in processed_tables() {
        let path = paths.processed_dir.join(schema.file_name);
        if path.exists() {
            push(
                schema.file_name,
                "table",
                &path,
                Some(rows_of(&path, &schema)?),
                schema.summary(),
            );
        }
    }
    let manifest = paths.processed_dir.join(RUN_MANIFEST_FILE);
    if manifest.exists() {
        push(
            RUN_MANIFEST_FILE,
            "manifest",
            &manifest,
            None,
            "Run manifest: tool and log-schema versions, the configuration, and the analyzed log's size, SHA-256, rows, slates and units.".into(),
        );
    }
    for schema in writeup_tables() {
        let path = paths.tables_dir().join(schema.file_name);
        // The index lists itself; its row count is only known once written.
        let rows = if schema.file_name == ARTIFACT_INDEX.file_name {
            None
        } else {
            Some(rows_of(&path, &schema)?)
        };
        push(schema.file_name, "table", &path, rows, schema.summary());
    }
    for (figure, description) in figure_catalog() {
        let path = paths.figures_dir.join(figure);
        if path.exists() {
            push(figure, "figure", &path, None, description.to_string());
        }
    }
    for (file, description) in [
        (SUMMARY_FILE, "Executive summary with this run's numbers."),
        (BULLETS_FILE, "Resume bullets with this run's numbers."),
    ] {
        push(
            file,
            "markdown",
            &paths.writeup_dir.join(file),
            None,
            description.to_string(),
        );
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_rmse_clause_names_one_model_or_the_tie() {
        assert_eq!(
            best_rmse_clause(&["LightGBM".into()]),
            "LightGBM had the best held-out RMSE"
        );
        assert_eq!(
            best_rmse_clause(&["XGBoost".into(), "LightGBM".into()]),
            "XGBoost and LightGBM tied for the best held-out RMSE"
        );
    }
}
