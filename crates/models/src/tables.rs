//! The tables the models stage writes (names kept from the original notebooks).

use slate_table::Label;

use crate::learner::Learner;

slate_table::table! {
    /// `movielens_interference_advanced_model_metrics.csv`: outcome-model fit on the seeded
    /// train/test split of slates.
    pub struct ModelMetrics, schema MODEL_METRICS = "movielens_interference_advanced_model_metrics.csv" {
        /// Model ("LightGBM", "XGBoost").
        model: Learner,
        /// "train" or "test".
        split: Split,
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
        estimator: Estimator,
        /// Propensity used: "known design probability", the observed promoted share when the log
        /// has no assignment probability, "estimated (cross-fitted)" or "none".
        propensity: Propensity,
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
        model: Learner,
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
        policy: PolicyRule,
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

/// What the heterogeneity table groups slates by: its `dimension` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum Dimension {
    /// No grouping: every slate.
    #[strum(serialize = "all")]
    All,
    /// The focal movie's substitute cluster.
    #[strum(serialize = "focal_cluster")]
    FocalCluster,
    /// The focal movie's band of seed positions.
    #[strum(serialize = "focal_position_band")]
    FocalPositionBand,
}

slate_table::label!(Dimension);

slate_table::table! {
    /// `movielens_interference_advanced_heterogeneity.csv`: predicted vs oracle net effect by
    /// focal cluster and by focal position band.
    pub struct Heterogeneity, schema HETEROGENEITY = "movielens_interference_advanced_heterogeneity.csv" {
        /// What the slates are grouped by.
        dimension: Dimension,
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

/// A split of the train/test metrics: the `split` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum Split {
    /// The training slates.
    #[strum(serialize = "train")]
    Train,
    /// The held-out slates.
    #[strum(serialize = "test")]
    Test,
}

slate_table::label!(Split);

impl ModelMetrics {
    /// The row of the model with the lowest held-out RMSE.
    pub fn best_test(&self) -> Option<usize> {
        (0..self.len())
            .filter(|i| self.split[*i] == Split::Test)
            .min_by(|a, b| self.rmse[*a].total_cmp(&self.rmse[*b]))
    }

    /// The held-out rows whose RMSE rounded to `decimals` equals the lowest one's: the best
    /// model first, then any that the report's printed digits cannot tell from it (at millions
    /// of slates the two libraries' test RMSEs can differ in the fifth digit). Empty without a
    /// test split.
    pub fn best_test_rows(&self, decimals: usize) -> Vec<usize> {
        let Some(best) = self.best_test() else {
            return Vec::new();
        };
        let printed = |i: usize| format!("{:.*}", decimals, self.rmse[i]);
        let tied = self
            .test_rows()
            .into_iter()
            .filter(|i| *i != best && printed(*i) == printed(best));
        std::iter::once(best).chain(tied).collect()
    }

    /// The held-out rows.
    pub fn test_rows(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|i| self.split[*i] == Split::Test)
            .collect()
    }
}

/// An estimator of the AIPW table: its `estimator` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// The randomized difference in means of total clicks.
    DifferenceInMeans,
    /// Cross-fitted AIPW with `learner`, with the known design probability or the
    /// cross-fitted propensity.
    Aipw {
        /// The learner.
        learner: Learner,
        /// Whether the propensity is estimated (else the design probability).
        estimated_propensity: bool,
    },
}

slate_table::label_display!(Estimator);

impl Label for Estimator {
    const ALL: &'static [Self] = &[
        Estimator::DifferenceInMeans,
        Estimator::Aipw {
            learner: Learner::LightGbm,
            estimated_propensity: false,
        },
        Estimator::Aipw {
            learner: Learner::XgBoost,
            estimated_propensity: false,
        },
        Estimator::Aipw {
            learner: Learner::LightGbm,
            estimated_propensity: true,
        },
        Estimator::Aipw {
            learner: Learner::XgBoost,
            estimated_propensity: true,
        },
    ];

    fn text(self) -> &'static str {
        match self {
            Estimator::DifferenceInMeans => "Randomized difference in means",
            Estimator::Aipw {
                learner: Learner::LightGbm,
                estimated_propensity: false,
            } => "Cross-fitted LightGBM AIPW",
            Estimator::Aipw {
                learner: Learner::XgBoost,
                estimated_propensity: false,
            } => "Cross-fitted XGBoost AIPW",
            Estimator::Aipw {
                learner: Learner::LightGbm,
                estimated_propensity: true,
            } => "Cross-fitted LightGBM AIPW (estimated propensity)",
            Estimator::Aipw {
                learner: Learner::XgBoost,
                estimated_propensity: true,
            } => "Cross-fitted XGBoost AIPW (estimated propensity)",
        }
    }
}

/// The propensity an estimator of the AIPW table used: its `propensity` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum Propensity {
    /// None (the difference in means).
    #[strum(serialize = "none")]
    None,
    /// The design's assignment probability, from the log.
    #[strum(serialize = "known design probability")]
    Known,
    /// The observed promoted share, when the log has no assignment probability.
    #[strum(serialize = "observed promoted share (the log has no assignment probability)")]
    ObservedShare,
    /// Cross-fitted from the features.
    #[strum(serialize = "estimated (cross-fitted)")]
    Estimated,
}

slate_table::label!(Propensity);

impl AipwEstimates {
    /// The row of `estimator`.
    pub fn row(&self, estimator: Estimator) -> Option<usize> {
        self.estimator.iter().position(|e| *e == estimator)
    }
}

/// A targeting rule: the `policy` column of the policy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRule {
    /// Promote every eligible slate.
    PromoteAll,
    /// Promote no slate.
    PromoteNone,
    /// Promote a seeded random half.
    RandomHalf,
    /// Promote where `learner` predicts a positive net effect.
    PredictedPositive(Learner),
    /// Promote the top decile of `learner`'s predicted net effect.
    TopDecile(Learner),
    /// Promote where the oracle net effect is positive (with truth only).
    OracleBest,
}

slate_table::label_display!(PolicyRule);

impl Label for PolicyRule {
    const ALL: &'static [Self] = &[
        PolicyRule::PromoteAll,
        PolicyRule::PromoteNone,
        PolicyRule::RandomHalf,
        PolicyRule::PredictedPositive(Learner::LightGbm),
        PolicyRule::PredictedPositive(Learner::XgBoost),
        PolicyRule::TopDecile(Learner::LightGbm),
        PolicyRule::TopDecile(Learner::XgBoost),
        PolicyRule::OracleBest,
    ];

    fn text(self) -> &'static str {
        match self {
            PolicyRule::PromoteAll => "Promote all eligible slates",
            PolicyRule::PromoteNone => "Promote none",
            PolicyRule::RandomHalf => "Random 50% of slates",
            PolicyRule::PredictedPositive(Learner::LightGbm) => {
                "LightGBM predicted-positive net effect"
            }
            PolicyRule::PredictedPositive(Learner::XgBoost) => {
                "XGBoost predicted-positive net effect"
            }
            PolicyRule::TopDecile(Learner::LightGbm) => {
                "LightGBM top decile by predicted net effect"
            }
            PolicyRule::TopDecile(Learner::XgBoost) => "XGBoost top decile by predicted net effect",
            PolicyRule::OracleBest => "Oracle best (upper bound)",
        }
    }
}

impl PolicyTargeting {
    /// The row of `rule`.
    pub fn row(&self, rule: PolicyRule) -> Option<usize> {
        self.policy.iter().position(|p| *p == rule)
    }

    /// The rows of rules a platform could deploy: every rule but the oracle's.
    pub fn feasible(&self) -> Vec<usize> {
        let oracle = self.row(PolicyRule::OracleBest);
        (0..self.len()).filter(|i| Some(*i) != oracle).collect()
    }

    /// The rows of rules built from the learners' predictions.
    pub fn model_rules(&self) -> Vec<usize> {
        let mut rows: Vec<usize> = Learner::ALL
            .iter()
            .copied()
            .flat_map(|m| [PolicyRule::PredictedPositive(m), PolicyRule::TopDecile(m)])
            .filter_map(|rule| self.row(rule))
            .collect();
        rows.sort_unstable();
        rows
    }
}

/// The out-of-fold predictions behind [`CONDITIONAL_EFFECTS`], held once per slate and model.
/// Its long rows (a row per slate and model, 17 million at 8.34 million slates, each repeating
/// the slate's facts and the model's name) are built a range at a time by [`Conditional::rows`]
/// when the table is written; holding them all took about 235 bytes per slate.
#[derive(Debug, Clone, PartialEq)]
pub struct Conditional {
    slate_id: Vec<i64>,
    promoted: Vec<bool>,
    total_observed_clicks: Vec<f64>,
    oracle: Option<Vec<f64>>,
    /// Per model: its cross-fitted predictions and AIPW scores (known propensity).
    models: Vec<(crate::aipw::CrossFit, Vec<f64>)>,
}

impl Conditional {
    /// The predictions of `models` (each a cross-fit and its AIPW scores, one value per slate)
    /// for slates `slate_id` with arms `promoted`, observed totals and, with truth, the oracle
    /// net effect.
    pub fn new(
        slate_id: Vec<i64>,
        promoted: Vec<bool>,
        total_observed_clicks: Vec<f64>,
        oracle: Option<Vec<f64>>,
        models: Vec<(crate::aipw::CrossFit, Vec<f64>)>,
    ) -> Conditional {
        Conditional {
            slate_id,
            promoted,
            total_observed_clicks,
            oracle,
            models,
        }
    }

    /// Slates.
    pub fn slates(&self) -> usize {
        self.slate_id.len()
    }

    /// Rows of the long table: one per slate and model.
    pub fn len(&self) -> usize {
        self.models.len() * self.slates()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The models' learners, in row order.
    pub fn models(&self) -> Vec<Learner> {
        self.models.iter().map(|(fit, _)| fit.model).collect()
    }

    /// Model `m`'s predicted conditional net effect (promoted − control) per slate.
    pub fn predicted_net_effect(&self, m: usize) -> Vec<f64> {
        self.models[m].0.net_effect()
    }

    /// The oracle net effect per slate (with truth).
    pub fn oracle(&self) -> Option<&[f64]> {
        self.oracle.as_deref()
    }

    /// Rows `range` of the long table (model by model, slates in order within a model), with
    /// the truth column when the oracle is known.
    pub fn rows(
        &self,
        range: std::ops::Range<usize>,
    ) -> WithTruth<ConditionalEffects, ConditionalTruth> {
        let n = self.slates();
        let mut rows = ConditionalEffects::with_capacity(range.len());
        let mut truth = self
            .oracle
            .as_ref()
            .map(|_| ConditionalTruth::with_capacity(range.len()));
        for r in range {
            let (fit, score) = &self.models[r / n];
            let i = r % n;
            rows.slate_id.push(self.slate_id[i]);
            rows.model.push(fit.model);
            rows.fold.push(fit.fold[i] as u32);
            rows.promoted.push(self.promoted[i]);
            rows.total_observed_clicks
                .push(self.total_observed_clicks[i]);
            rows.predicted_if_promoted.push(fit.mu1[i]);
            rows.predicted_if_control.push(fit.mu0[i]);
            rows.predicted_net_effect.push(fit.net_effect_at(i));
            rows.estimated_propensity.push(fit.propensity[i]);
            rows.aipw_score.push(score[i]);
            if let (Some(t), Some(oracle)) = (truth.as_mut(), &self.oracle) {
                t.oracle_net_effect.push(oracle[i]);
            }
        }
        WithTruth { rows, truth }
    }
}
