//! The tables the models stage writes (names kept from the original notebooks).

slate_table::table! {
    /// `movielens_interference_advanced_model_metrics.csv`: outcome-model fit on the seeded
    /// train/test split of slates.
    pub struct ModelMetrics, schema MODEL_METRICS = "movielens_interference_advanced_model_metrics.csv" {
        /// Model ("LightGBM", "XGBoost").
        model: String,
        /// "train" or "test".
        split: String,
        /// Root mean squared error, clicks per slate.
        rmse: f64,
        /// Mean absolute error.
        mae: f64,
        /// Coefficient of determination.
        r2: f64,
        /// Slates in the split.
        n: u32,
    }
}

slate_table::table! {
    /// `movielens_interference_advanced_aipw_estimates.csv`: the total-slate effect by the
    /// randomized difference in means and by cross-fitted AIPW.
    pub struct AipwEstimates, schema AIPW_ESTIMATES = "movielens_interference_advanced_aipw_estimates.csv" {
        /// Estimator.
        estimator: String,
        /// Propensity used: "known design probability", "estimated (cross-fitted)" or "none".
        propensity: String,
        /// Effect on total clicks per slate.
        estimate: f64,
        /// Standard error (slate-clustered for the difference in means; influence-function
        /// for AIPW).
        se: f64,
        /// 95% interval lower bound.
        ci_95_lower: f64,
        /// 95% interval upper bound.
        ci_95_upper: f64,
        /// Two-sided p-value of no effect.
        p_value: f64,
        /// Slates.
        n: u32,
        /// Cross-fitting folds (0 for the difference in means).
        folds: u32,
    }
}

slate_table::table! {
    /// The truth column of the AIPW estimates (only when the log has truth columns).
    pub struct AipwTruth, schema AIPW_ESTIMATES_TRUTH = "movielens_interference_advanced_aipw_estimates.csv" {
        /// The design's true effect (mean known slate promotion effect), for reference.
        true_effect: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_advanced_conditional_effects.csv`: out-of-fold predictions per
    /// slate and model (long format).
    pub struct ConditionalEffects, schema CONDITIONAL_EFFECTS = "movielens_interference_advanced_conditional_effects.csv" {
        /// Slate id.
        slate_id: i64,
        /// Model.
        model: String,
        /// Cross-fitting fold the slate was predicted in.
        fold: u32,
        /// Whether the slate was promoted.
        promoted: bool,
        /// Observed total clicks.
        total_observed_clicks: f64,
        /// Predicted total clicks if promoted.
        predicted_if_promoted: f64,
        /// Predicted total clicks if not promoted.
        predicted_if_control: f64,
        /// Predicted conditional net effect (promoted − control).
        predicted_net_effect: f64,
        /// Out-of-fold estimated propensity (clipped).
        estimated_propensity: f64,
        /// AIPW score with the known propensity.
        aipw_score: f64,
    }
}

slate_table::table! {
    /// The truth column of the conditional effects (only with truth).
    pub struct ConditionalTruth, schema CONDITIONAL_EFFECTS_TRUTH = "movielens_interference_advanced_conditional_effects.csv" {
        /// Known net effect of promoting this slate (oracle; never a feature).
        oracle_net_effect: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_advanced_policy_targeting.csv`: promotion rules on the same
    /// eligible slates, by oracle value and by what the randomized data estimate.
    pub struct PolicyTargeting, schema POLICY_TARGETING = "movielens_interference_advanced_policy_targeting.csv" {
        /// Rule.
        policy: String,
        /// Slates the rule promotes.
        slates_promoted: u32,
        /// Share of eligible slates promoted.
        share_promoted: f64,
        /// AIPW estimate of the same quantity from the randomized data alone.
        aipw_value_per_1000: f64,
        /// Its standard error.
        aipw_se_per_1000: f64,
        /// 95% interval lower bound.
        aipw_ci_95_lower_per_1000: f64,
        /// 95% interval upper bound.
        aipw_ci_95_upper_per_1000: f64,
    }
}

slate_table::table! {
    /// The truth columns of the policy table (only with truth; the oracle-best rule is a row
    /// only then too).
    pub struct PolicyTruth, schema POLICY_TARGETING_TRUTH = "movielens_interference_advanced_policy_targeting.csv" {
        /// Known change in expected clicks per 1,000 eligible slates if the rule's slates were
        /// promoted (and the rest not).
        oracle_lift_per_1000_eligible_slates: f64,
        /// Whether the AIPW interval contains the oracle value.
        oracle_inside_aipw_ci: bool,
    }
}

slate_table::table! {
    /// `movielens_interference_advanced_heterogeneity.csv`: predicted vs oracle net effect by
    /// focal cluster and by focal position band.
    pub struct Heterogeneity, schema HETEROGENEITY = "movielens_interference_advanced_heterogeneity.csv" {
        /// "all", "focal_cluster" or "focal_position_band".
        dimension: String,
        /// The group.
        group: String,
        /// Slates in the group.
        slates: u32,
        /// Mean LightGBM out-of-fold predicted net effect.
        lightgbm_predicted_net_effect: f64,
        /// Mean XGBoost out-of-fold predicted net effect.
        xgboost_predicted_net_effect: f64,
        /// AIPW estimate of the group's mean net effect (LightGBM scores).
        aipw_net_effect: f64,
        /// Its standard error.
        aipw_se: f64,
    }
}

slate_table::table! {
    /// The truth column of the heterogeneity table (only with truth).
    pub struct HeterogeneityTruth, schema HETEROGENEITY_TRUTH = "movielens_interference_advanced_heterogeneity.csv" {
        /// Mean known net effect.
        oracle_net_effect: f64,
    }
}

/// A table with its truth part, which exists only when the log has truth columns. Dereferences
/// to the table's fixed columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WithTruth<T, U> {
    /// The fixed columns.
    pub rows: T,
    /// The truth columns.
    pub truth: Option<U>,
}

impl<T, U> std::ops::Deref for WithTruth<T, U> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.rows
    }
}

slate_table::table! {
    /// `movielens_interference_advanced_takeaways.csv`: findings with this run's numbers.
    pub struct Takeaways, schema TAKEAWAYS = "movielens_interference_advanced_takeaways.csv" {
        /// The finding.
        finding: String,
        /// Evidence, quoting this run.
        evidence: String,
    }
}
