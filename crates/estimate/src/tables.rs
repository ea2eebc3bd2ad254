//! The tables the estimate stage writes to `data/processed` (CSV, as the seed notebook saved
//! them). Each struct is the one declaration of its columns.

use crate::contrasts::Contrast;
use crate::inference::{ClusteredMethod, InferenceMethod};
use crate::outcome::Outcome;

/// A simulation scenario the coverage and power studies re-draw: the `scenario` column, also
/// how the command line names it. What each changes in a run's simulation is the studies'
/// (`slate-studies`) to say; the names live here, with the tables that hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
pub enum Scenario {
    /// The run's config as it is.
    #[strum(serialize = "default")]
    Default,
    /// Correlated outcomes (user and session logit shifts) under user randomization.
    #[strum(serialize = "correlated_user_randomized")]
    CorrelatedUserRandomized,
    /// Heterogeneous promotion value (hero engagement).
    #[strum(serialize = "heterogeneous_promotion")]
    HeterogeneousPromotion,
}

/// A design knob the design sweep moves: the `knob` column, written as the config field it
/// sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
pub enum Knob {
    /// `design.promotion_probability`.
    #[strum(serialize = "design.promotion_probability")]
    PromotionProbability,
    /// `design.focal_min_position..=design.focal_max_position`.
    #[strum(serialize = "design.focal_min_position..focal_max_position")]
    FocalWindow,
    /// `clicks.promotion_attention_cost` (ψ).
    #[strum(serialize = "clicks.promotion_attention_cost")]
    AttentionCost,
    /// `clicks.substitution_penalty` (γ).
    #[strum(serialize = "clicks.substitution_penalty")]
    SubstitutionPenalty,
    /// `design.target_position`: the slot the (first) focal movie is promoted to.
    #[strum(serialize = "design.target_position")]
    TargetPosition,
    /// `design.focals_per_slate`: focal movies promoted together per slate.
    #[strum(serialize = "design.focals_per_slate")]
    FocalsPerSlate,
}

/// An arm of the experiment: the `arm` column of the assignment re-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum Arm {
    /// Slates whose focal item was promoted.
    #[strum(serialize = "promoted")]
    Promoted,
    /// Slates left as ranked.
    #[strum(serialize = "control")]
    Control,
}

/// What a contrast's rows are: the `unit` column of the contrast-support table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum RowUnit {
    /// One row per item shown.
    #[strum(serialize = "item rows")]
    ItemRows,
    /// One row per slate.
    #[strum(serialize = "slates")]
    Slates,
}

slate_table::label!(Scenario, Knob, Arm, RowUnit);

slate_table::table! {
    /// Effect estimates with the seed notebook's exact columns. Used for
    /// `movielens_interference_estimates.csv` (every contrast × outcome view) and, with the same
    /// columns, `movielens_interference_observed_effects.csv` (observed outcomes only).
    pub struct Estimates, schema ESTIMATES = "movielens_interference_estimates.csv" {
        /// Contrast name.
        contrast: Contrast,
        /// Outcome view label.
        outcome: Outcome,
        /// Treated mean minus control mean.
        estimate: f64,
        /// Non-robust OLS SE.
        naive_se: f64,
        /// Slate-clustered (CR1) SE.
        cluster_se: f64,
        /// estimate − 1.96 · cluster_se.
        ci_95_lower: f64,
        /// estimate + 1.96 · cluster_se.
        ci_95_upper: f64,
        /// Two-sided normal p-value from the cluster SE.
        p_value_cluster: f64,
        /// `p_value_cluster` Holm-adjusted across the five contrasts of the same outcome.
        p_value_holm: f64,
        /// Treated mean.
        treated_mean: f64,
        /// Control mean.
        control_mean: f64,
        /// Treated rows.
        treated_n: u32,
        /// Control rows.
        control_n: u32,
        /// Distinct slates.
        clusters: u32,
    }
}

/// `movielens_interference_observed_effects.csv`: [`Estimates`] restricted to observed outcomes.
pub const OBSERVED_EFFECTS: slate_table::TableSchema = slate_table::TableSchema {
    file_name: "movielens_interference_observed_effects.csv",
    columns: ESTIMATES.columns,
    description: "Observed-click effects of the five contrasts with slate-clustered CR1 intervals.",
};

slate_table::table! {
    /// Re-check of the randomized assignment, one row per arm, followed by the arm's mean of
    /// each covariate's focal value (`mean_<feature>`).
    pub struct AssignmentRecheckRows, schema ASSIGNMENT_RECHECK = "movielens_interference_assignment_recheck.csv" {
        /// The arm.
        arm: Arm,
        /// Randomization units in the arm.
        units: u32,
        /// Slates in the arm.
        slates: u32,
        /// Share of all slates.
        share_of_slates: f64,
        /// Mean focal seed position.
        mean_focal_seed_position: f64,
        /// Design promotion probability.
        assignment_probability: f64,
    }
}

/// The assignment re-check: its fixed columns and the covariate means.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssignmentRecheck {
    /// One row per arm.
    pub rows: AssignmentRecheckRows,
    /// Per arm, the mean of each covariate's focal value.
    pub covariate_means: Vec<slate_exposure::NamedColumn>,
}

impl AssignmentRecheck {
    /// Writes `movielens_interference_assignment_recheck.csv` to `dir`.
    pub fn write(
        &self,
        dir: &std::path::Path,
    ) -> Result<std::path::PathBuf, slate_table::TableError> {
        slate_table::write_csv_extended(
            &self.rows.to_frame()?,
            &[&ASSIGNMENT_RECHECK],
            &self.covariate_means,
            dir,
        )
    }
}

slate_table::table! {
    /// How much support each contrast has.
    pub struct ContrastSupport, schema CONTRAST_SUPPORT = "movielens_interference_contrast_support.csv" {
        /// Contrast name.
        contrast: Contrast,
        /// What the contrast's rows are.
        unit: RowUnit,
        /// Rows in the contrast.
        rows: u32,
        /// Rows in promoted slates.
        treated_rows: u32,
        /// Rows in control slates.
        control_rows: u32,
        /// Distinct slates with rows (the clusters).
        clusters: u32,
        /// Mean rows per contributing slate.
        rows_per_cluster: f64,
    }
}

slate_table::table! {
    /// Naive vs slate-clustered standard errors (observed outcomes).
    pub struct SeComparison, schema SE_COMPARISON = "movielens_interference_se_comparison.csv" {
        /// Contrast name.
        contrast: Contrast,
        /// Outcome label.
        outcome: Outcome,
        /// Non-robust SE.
        naive_se: f64,
        /// Cluster SE.
        cluster_se: f64,
        /// cluster_se / naive_se.
        cluster_to_naive_ratio: f64,
    }
}

slate_table::table! {
    /// Every bootstrap replicate, long format.
    pub struct BootstrapDistribution, schema BOOTSTRAP_DISTRIBUTION = "movielens_interference_bootstrap_distribution.csv" {
        /// Contrast name.
        contrast: Contrast,
        /// Replicate number (0-based).
        replicate: u32,
        /// Replicate estimate (NaN when an arm was empty in the replicate).
        estimate: f64,
    }
}

slate_table::table! {
    /// Bootstrap summary per contrast, beside the analytic cluster SE.
    pub struct BootstrapSummaryTable, schema BOOTSTRAP_SUMMARY = "movielens_interference_bootstrap_summary.csv" {
        /// Contrast name.
        contrast: Contrast,
        /// Outcome label.
        outcome: Outcome,
        /// Point estimate on the full sample.
        estimate: f64,
        /// Mean of replicates.
        bootstrap_mean: f64,
        /// SD of replicates (ddof 1).
        bootstrap_se: f64,
        /// 2.5th percentile.
        bootstrap_ci_95_lower: f64,
        /// 97.5th percentile.
        bootstrap_ci_95_upper: f64,
        /// Share of replicates below zero.
        share_below_zero: f64,
        /// Analytic CR1 SE.
        cluster_se: f64,
        /// bootstrap_se / cluster_se.
        bootstrap_to_cluster_se_ratio: f64,
        /// Replicates with both arms present.
        valid_replicates: u32,
        /// Replicates drawn.
        replicates: u32,
    }
}

slate_table::table! {
    /// Observed vs expected vs known-lift estimates per contrast.
    pub struct Validation, schema VALIDATION = "movielens_interference_validation.csv" {
        /// Contrast name.
        contrast: Contrast,
        /// Observed-outcome estimate.
        observed_estimate: f64,
        /// Observed 95% CI lower bound.
        observed_ci_95_lower: f64,
        /// Observed 95% CI upper bound.
        observed_ci_95_upper: f64,
        /// Expected-probability estimate.
        expected_estimate: f64,
        /// Known-lift estimate.
        known_lift_estimate: f64,
        /// observed − known lift.
        observed_minus_known: f64,
        /// Whether the observed interval covers the known-lift estimate.
        known_inside_observed_ci: bool,
    }
}

/// A part of the known lift of promoted slates: the `component` column of the slate
/// decomposition. The three parts add up to the net.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum LiftPart {
    /// The promoted focal movie's lift.
    #[strum(serialize = "Direct focal lift")]
    DirectFocal,
    /// Its same-cluster competitors' loss.
    #[strum(serialize = "Same-cluster spillover loss")]
    SameClusterLoss,
    /// The other non-focal movies' loss.
    #[strum(serialize = "Other spillover loss")]
    OtherLoss,
    /// The whole slate's lift.
    #[strum(serialize = "Net total lift")]
    NetTotal,
}

slate_table::label!(LiftPart);

slate_table::table! {
    /// Known expected-lift decomposition of promoted slates.
    pub struct SlateDecomposition, schema SLATE_DECOMPOSITION = "movielens_interference_slate_decomposition.csv" {
        /// Component.
        component: LiftPart,
        /// Mean per-slate sum of known lift over promoted slates.
        mean_lift_per_promoted_slate: f64,
        /// Same, per 1,000 promoted slates.
        lift_per_1000_promoted_slates: f64,
        /// Promoted slates averaged over.
        promoted_slates: u32,
    }
}

slate_table::table! {
    /// Exploratory effects by the focal movie's cluster.
    pub struct ClusterEffects, schema CLUSTER_EFFECTS = "movielens_interference_cluster_effects.csv" {
        /// The focal movie's substitute cluster.
        focal_cluster: String,
        /// Contrast name.
        contrast: Contrast,
        /// Estimate (observed outcome).
        estimate: f64,
        /// Cluster SE.
        cluster_se: f64,
        /// CI lower bound.
        ci_95_lower: f64,
        /// CI upper bound.
        ci_95_upper: f64,
        /// Treated rows.
        treated_n: u32,
        /// Control rows.
        control_n: u32,
        /// Slates.
        clusters: u32,
    }
}

slate_table::table! {
    /// `movielens_interference_inference_comparison.csv`: each observed contrast under every
    /// uncertainty method, side by side (NaN where a method gives no SE or interval).
    pub struct InferenceComparison, schema INFERENCE_COMPARISON = "movielens_interference_inference_comparison.csv" {
        /// Contrast name.
        contrast: Contrast,
        /// Outcome label.
        outcome: Outcome,
        /// Uncertainty method.
        method: ClusteredMethod,
        /// Point estimate.
        estimate: f64,
        /// Standard error (NaN for randomization inference).
        se: f64,
        /// 95% interval lower bound (NaN where the method gives none).
        ci_95_lower: f64,
        /// 95% interval upper bound.
        ci_95_upper: f64,
        /// Two-sided p-value.
        p_value: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_coverage.csv`: how often each method's 95% interval covered the
    /// design's true effect over re-drawn experiments (same slates, new assignment and clicks).
    pub struct CoverageTable, schema COVERAGE = "movielens_interference_coverage.csv" {
        /// The simulation scenario re-drawn (`default`: the run's config;
        /// `correlated_user_randomized`: user and session logit shifts, user randomization).
        scenario: Scenario,
        /// Uncertainty method.
        method: ClusteredMethod,
        /// Contrast name.
        contrast: Contrast,
        /// The method's stable key (`naive`, `cr1`, `cr2`, ...), whatever its label.
        method_key: InferenceMethod,
        /// Re-drawn experiments.
        replicates: u32,
        /// The design's true effect: the mean known lift over the contrast's rows in both arms.
        true_effect: f64,
        /// Share of replicates whose 95% interval contains the true effect.
        coverage: f64,
        /// Monte-Carlo standard error of the coverage, `sqrt(c (1 − c) / R)`.
        coverage_mc_se: f64,
        /// Whether coverage is within 93.5–96.5%.
        coverage_within_target: bool,
        /// Whether coverage is consistent with the nominal 95% at the study's size: within
        /// 1.96 Monte-Carlo SEs of a true 95% coverage, `1.96 · sqrt(0.95 · 0.05 / R)`.
        coverage_consistent_with_nominal: bool,
        /// Mean interval width.
        mean_width: f64,
        /// Mean point estimate.
        mean_estimate: f64,
        /// Mean estimate minus the true effect.
        bias: f64,
        /// Root mean squared error of the estimate.
        rmse: f64,
        /// Share of replicates whose test rejects `effect = 0` at 5% (power when the effect is
        /// not zero).
        rejection_rate: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_power.csv`: for each scenario, contrast, method and design size,
    /// the simulated power (share of re-drawn experiments rejecting `effect = 0` at 5%) beside
    /// the analytic power from the per-unit variance of further pilot draws (see
    /// `slate_estimate::power`).
    pub struct PowerTable, schema POWER = "movielens_interference_power.csv" {
        /// The simulation scenario.
        scenario: Scenario,
        /// Contrast name.
        contrast: Contrast,
        /// The test: CR1 by unit of the difference in means, or of the Lin-adjusted estimate.
        method: ClusteredMethod,
        /// The method's stable key (`cr1`, `lin_cr1`).
        method_key: InferenceMethod,
        /// Slates in the design.
        n_slates: u32,
        /// Randomization units in the design.
        n_units: u32,
        /// Re-drawn experiments.
        replicates: u32,
        /// The design's true effect.
        true_effect: f64,
        /// Share of replicates whose test rejects `effect = 0` at 5%.
        power: f64,
        /// Monte-Carlo standard error of the power, `sqrt(p (1 − p) / R)`.
        power_mc_se: f64,
        /// Power of the two-sided 5% z-test at the true effect with the analytic SE.
        analytic_power: f64,
        /// Analytic standard error from the per-unit variance, pooled over the pilot draws.
        analytic_se: f64,
        /// Mean standard error over the replicates.
        mean_se: f64,
        /// Design effect of the difference in means: CR1 over naive variance (mean over the
        /// pilot draws).
        design_effect: f64,
        /// Minimum detectable effect at 80% power and 5% level: `(z_0.975 + z_0.8) · analytic_se`.
        mde_80: f64,
        /// Whether simulated and analytic power agree within 3 Monte-Carlo SE + 0.02.
        agrees_with_analytic: bool,
    }
}

slate_table::table! {
    /// `interference_pilot_power.csv` (`power --log`): analytic power and MDE from a pilot
    /// log's own per-unit variances, at each design size of the grid.
    pub struct PilotPowerTable, schema PILOT_POWER = "interference_pilot_power.csv" {
        /// Contrast name.
        contrast: Contrast,
        /// The test: CR1 by unit of the difference in means, or of the Lin-adjusted estimate.
        method: ClusteredMethod,
        /// The method's stable key (`cr1`, `lin_cr1`).
        method_key: InferenceMethod,
        /// Slates in the pilot log.
        pilot_slates: u32,
        /// Units in the pilot log.
        pilot_units: u32,
        /// The pilot's estimate.
        pilot_estimate: f64,
        /// The pilot's standard error (CR1 by unit).
        pilot_se: f64,
        /// Design effect of the difference in means in the pilot (CR1 over naive variance).
        design_effect: f64,
        /// Slates in the planned design.
        n_slates: u32,
        /// Units in the planned design (the pilot's slates per unit).
        n_units: u32,
        /// Standard error of the planned design.
        analytic_se: f64,
        /// Power to detect an effect the size of the pilot's estimate.
        power_at_pilot_estimate: f64,
        /// Minimum detectable effect at 80% power and 5% level.
        mde_80: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_design_sweep.csv` (`cargo xtask design-sweep`): one design knob
    /// at a time over a grid, every other setting as in the run's config: the true effects and
    /// the power of the total-slate contrast (CR1 by unit) at the run's number of slates.
    pub struct DesignSweepTable, schema DESIGN_SWEEP = "movielens_interference_design_sweep.csv" {
        /// The config field varied.
        knob: Knob,
        /// Its value (`5-12` for a focal window).
        value: String,
        /// The value on a numeric axis (a focal window's mean seed position).
        value_numeric: f64,
        /// Whether this is the run's own design.
        is_run_design: bool,
        /// Slates in the design.
        n_slates: u32,
        /// True direct (focal) effect.
        true_direct_effect: f64,
        /// True all-non-focal spillover per item.
        true_non_focal_effect: f64,
        /// True total-slate effect (clicks per slate).
        true_total_effect: f64,
        /// Analytic power of the total contrast (per-unit variance pooled over pilot draws).
        analytic_power_total: f64,
        /// Simulated power of the total contrast.
        power_total: f64,
        /// Its Monte-Carlo standard error.
        power_mc_se: f64,
        /// Re-drawn experiments.
        replicates: u32,
        /// Minimum detectable total effect at 80% power.
        mde_80_total: f64,
    }
}
