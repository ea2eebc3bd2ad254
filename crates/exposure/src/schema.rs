//! The tables the exposure stage writes. Names are kept from the original notebooks so that
//! existing users find them; the structs are the one place their columns are declared.
//!
//! Each table is a fixed part (every log has it), an optional truth part (only when the log
//! carries the oracle's columns; never filled otherwise) and, where covariates enter, one `f64`
//! column per covariate-derived value, named by [`crate::features`].

use std::ops::Deref;

use slate_log::CovariateLevel;
use slate_table::{ColumnSlice, TableError, TableSchema};

slate_table::table! {
    /// `movielens_interference_exposure_mapping.parquet`: one row per (slate, item). Ids are the
    /// log's own when they are integers, dense codes in sorted id order when they are strings
    /// (see the run's id dictionary).
    pub struct MappingRows, schema EXPOSURE_MAPPING = "movielens_interference_exposure_mapping.parquet" {
        /// Slate id.
        slate_id: i64,
        /// Randomization unit (the cluster for inference; the slate in the MovieLens design).
        unit_id: i64,
        /// User the slate was shown to (the unit when the log has no user column).
        user_id: i64,
        /// The item (MovieLens: the movie).
        movie_id: i64,
        /// The item's substitute cluster.
        cluster: slate_table::SharedStr,
        /// The slate's focal item (with several, its lead focal item: the one promoted to the
        /// highest slot).
        focal_movie_id: i64,
        /// The (lead) focal item's cluster.
        focal_cluster: slate_table::SharedStr,
        /// 1-based seed position.
        seed_position: u32,
        /// 1-based position shown.
        final_position: u32,
        /// `final_position − seed_position` (target − seed for a promoted focal item, the
        /// displacement for a non-focal one; 0 in control).
        position_shift: i64,
        /// Whether this row is a focal (promoted) item.
        is_focal: bool,
        /// Whether the slate's focal item was promoted (constant within a slate and a unit).
        promotion_applied: bool,
        /// Non-focal item sharing a cluster with a focal item of its slate (defined in both
        /// arms).
        same_cluster_as_focal: bool,
        /// Non-focal item that promotion pushes down (`displacement > 0`; with one focal item
        /// promoted to the top, the items seeded above it; defined in both arms).
        displaced_by_promotion: bool,
        /// Readable exposure label: role and arm, e.g. `same-cluster competitor | promoted`.
        exposure_condition: slate_table::SharedStr,
        /// Observed click.
        observed_click: bool,
        /// Dense index of the unit (0-based, in unit-id order): what every estimator clusters by.
        unit_index: u32,
        /// How many places promotion pushes the item down: its position under the design less
        /// its seed position (0 for a focal item; defined in both arms).
        displacement: u32,
        /// The number of focal items in the slate.
        n_focals: u32,
    }
}

slate_table::table! {
    /// The truth columns of the exposure mapping (present only when the log has both truth
    /// columns).
    pub struct MappingTruth, schema EXPOSURE_MAPPING_TRUTH = "movielens_interference_exposure_mapping.parquet" {
        /// Click probability without promotion (the counterfactual baseline).
        baseline_click_prob: f64,
        /// Click probability under the realized arm.
        expected_click_prob: f64,
        /// Known induced lift: expected − baseline (0 in control slates).
        known_induced_lift: f64,
        /// Click probability if the slate were promoted (both arms: the oracle).
        click_prob_if_promoted: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_slate_outcomes.parquet`: one row per slate.
    pub struct SlateRows, schema SLATE_OUTCOMES = "movielens_interference_slate_outcomes.parquet" {
        /// Slate id.
        slate_id: i64,
        /// Randomization unit.
        unit_id: i64,
        /// User.
        user_id: i64,
        /// The slate's number among its user's slates (0 for the first, in slate-id order).
        session: u32,
        /// Whether the focal item was promoted.
        promotion_applied: bool,
        /// Design probability of promotion.
        assignment_probability: f64,
        /// Focal item (with several, the lead focal item: the one promoted to the highest slot).
        focal_movie_id: i64,
        /// The (lead) focal item's cluster.
        focal_cluster: slate_table::SharedStr,
        /// The (lead) focal item's seed position.
        focal_seed_position: u32,
        /// Items on the slate.
        slate_size: u32,
        /// Non-focal items sharing a cluster with a focal item.
        n_same_cluster_competitors: u32,
        /// Non-focal items that promotion pushes down.
        n_displaced_items: u32,
        /// Items that are both.
        n_same_cluster_displaced: u32,
        /// Observed clicks on the slate.
        total_observed_clicks: u32,
        /// Observed click on the focal item (with several, on any of them).
        focal_observed_click: bool,
        /// Distinct clusters on the slate.
        n_distinct_clusters: u32,
        /// Share of the slate's items that are focal or share a cluster with a focal item.
        focal_cluster_share: f64,
        /// Dense index of the unit: the cluster for inference.
        unit_index: u32,
        /// Whether `assignment_probability` is the log's own (else the observed promoted share
        /// of units, the log having no such column).
        assignment_probability_logged: bool,
        /// The number of focal items in the slate.
        n_focals: u32,
        /// The (lead) focal item's target slot (1 for a log without target positions).
        focal_target_position: u32,
    }
}

slate_table::table! {
    /// The truth columns of the slate outcomes (present only with the log's truth columns).
    pub struct SlateTruth, schema SLATE_OUTCOMES_TRUTH = "movielens_interference_slate_outcomes.parquet" {
        /// Expected clicks under the realized arm.
        total_expected_clicks: f64,
        /// Expected clicks without promotion.
        total_baseline_clicks: f64,
        /// Known induced lift (expected − baseline; 0 in control).
        total_known_lift: f64,
        /// Expected clicks if promoted (both arms).
        total_expected_clicks_if_promoted: f64,
        /// Expected clicks if not promoted (both arms).
        total_expected_clicks_if_control: f64,
        /// Oracle slate effect of promotion: if_promoted − if_control.
        slate_promotion_effect: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_assignment_table.parquet`: the randomized design, one row per
    /// slate, followed by the focal value of every covariate.
    pub struct AssignmentTable, schema ASSIGNMENT = "movielens_interference_assignment_table.parquet" {
        /// Slate id.
        slate_id: i64,
        /// Randomization unit.
        unit_id: i64,
        /// User.
        user_id: i64,
        /// Focal item (the lead one when there are several).
        focal_movie_id: i64,
        /// The (lead) focal item's cluster.
        focal_cluster: slate_table::SharedStr,
        /// The (lead) focal item's seed position.
        focal_seed_position: u32,
        /// Whether the focal was promoted.
        promotion_applied: bool,
        /// Design probability of promotion.
        assignment_probability: f64,
    }
}

/// What a column of the log beyond the canonical ones is to the analysis: the `role` column
/// of the log-columns table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum ColumnRole {
    /// A pre-treatment covariate.
    #[strum(serialize = "covariate")]
    Covariate,
    /// A further outcome.
    #[strum(serialize = "outcome")]
    Outcome,
}

slate_table::label!(ColumnRole);

slate_table::table! {
    /// `movielens_interference_log_columns.csv`: the log's pre-treatment covariates and further
    /// outcomes: each column's role, whether it is slate- or item-level, and the slate-outcome
    /// columns derived from it (model features for a covariate, the slate total for an outcome).
    pub struct LogColumnsTable, schema LOG_COLUMNS = "movielens_interference_log_columns.csv" {
        /// The column in the log.
        column: String,
        /// What the column is to the analysis.
        role: ColumnRole,
        /// `slate` (constant within every slate) or `item` (a further outcome's is `item`).
        level: CovariateLevel,
        /// The derived slate-outcome columns, space-separated.
        derived: String,
    }
}

/// The slate-outcome column holding the per-slate total of outcome `name`.
pub fn outcome_total_name(name: &str) -> String {
    format!("total_{name}")
}

/// `movielens_interference_exposure_readiness.csv`.
pub const EXPOSURE_READINESS: slate_table::TableSchema = slate_table::readiness::schema(
    "movielens_interference_exposure_readiness.csv",
    "Exposure readiness: the exposure tables' invariants (roles, arms, support), each passed or not.",
);

pub use slate_table::NamedColumn;

/// Writes a fixed part, an optional truth part and named `f64` columns straight from the
/// tables' vectors (see [`slate_table::write_parquet_parts`]): no frame is built.
pub(crate) fn write_parts(
    fixed: (&TableSchema, Option<Vec<ColumnSlice<'_>>>),
    truth: Option<(&TableSchema, Option<Vec<ColumnSlice<'_>>>)>,
    extra: &[(&str, &[f64])],
    dir: &std::path::Path,
) -> Result<std::path::PathBuf, TableError> {
    let parts = std::iter::once(fixed)
        .chain(truth)
        .map(|(schema, columns)| {
            columns
                .map(|columns| (schema, columns))
                .ok_or_else(|| TableError::SchemaMismatch {
                    table: schema.file_name.to_string(),
                    message: "a nullable column cannot be written from borrowed columns".into(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    slate_table::write_parquet_parts(&parts, extra, dir)
}

/// The exposure mapping: fixed columns, the oracle's when known, item-level covariates.
/// Dereferences to its fixed columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExposureMapping {
    /// The fixed columns.
    pub rows: MappingRows,
    /// The truth columns, when the log has them.
    pub truth: Option<MappingTruth>,
    /// Each item-level covariate, per row.
    pub covariates: Vec<NamedColumn>,
    /// Each further outcome of the log, per row (named as in the log).
    pub outcomes: Vec<NamedColumn>,
}

impl Deref for ExposureMapping {
    type Target = MappingRows;
    // Inlined across crates: the estimators read a column through it once per item row.
    #[inline]
    fn deref(&self) -> &MappingRows {
        &self.rows
    }
}

/// How a covariate-derived slate feature enters the model matrix (see `slate-models`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    /// An item-level covariate's value for the focal item (`focal_<c>`).
    FocalValue,
    /// A summary of an item-level covariate over the slate (mean, max, min, std, top-3 mean,
    /// top seed minus focal).
    Profile,
    /// A slate-level covariate's value.
    SlateValue,
}

/// A covariate-derived slate feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Its values, one per slate, with the column name.
    pub column: NamedColumn,
    /// How it enters the model.
    pub kind: FeatureKind,
}

/// The slate truth as held: every column, or the two potential totals the others follow from
/// (what a per-slate table carries; 16 bytes a slate, not 48): expected clicks are the slate's
/// own arm's total, the baseline the control total, the known lift expected − baseline and the
/// effect promoted − control.
#[derive(Debug, Clone, PartialEq)]
pub enum HeldTruth {
    /// Every column.
    Columns(SlateTruth),
    /// The totals if promoted and if control, per slate.
    Totals {
        /// Expected clicks if promoted.
        if_promoted: Vec<f64>,
        /// Expected clicks if not promoted.
        if_control: Vec<f64>,
    },
}

impl HeldTruth {
    /// Every column of rows `range`, of slates whose arms are `promoted` (every slate's).
    pub fn rows(&self, range: std::ops::Range<usize>, promoted: &[bool]) -> SlateTruth {
        match self {
            HeldTruth::Columns(truth) => truth.rows(range),
            HeldTruth::Totals {
                if_promoted,
                if_control,
            } => {
                let mut t = SlateTruth::with_capacity(range.len());
                for s in range {
                    let (p, c) = (if_promoted[s], if_control[s]);
                    let (expected, lift, effect) = from_totals(p, c, promoted[s]);
                    t.total_expected_clicks.push(expected);
                    t.total_baseline_clicks.push(c);
                    t.total_known_lift.push(lift);
                    t.total_expected_clicks_if_promoted.push(p);
                    t.total_expected_clicks_if_control.push(c);
                    t.slate_promotion_effect.push(effect);
                }
                t
            }
        }
    }

    /// Slate `s`'s known lift, its arm `promoted`.
    pub fn known_lift(&self, s: usize, promoted: bool) -> f64 {
        match self {
            HeldTruth::Columns(truth) => truth.total_known_lift[s],
            HeldTruth::Totals {
                if_promoted,
                if_control,
            } => from_totals(if_promoted[s], if_control[s], promoted).1,
        }
    }

    /// The columns the estimators read (expected clicks, known lift, effect) of slates whose
    /// arms are `promoted`, the held ones moved.
    pub fn into_analysis(self, promoted: &[bool]) -> crate::AnalysisTruth {
        match self {
            HeldTruth::Columns(t) => crate::AnalysisTruth {
                total_expected_clicks: t.total_expected_clicks,
                total_known_lift: t.total_known_lift,
                slate_promotion_effect: t.slate_promotion_effect,
            },
            HeldTruth::Totals {
                if_promoted,
                if_control,
            } => {
                let n = promoted.len();
                let mut t = crate::AnalysisTruth {
                    total_expected_clicks: Vec::with_capacity(n),
                    total_known_lift: Vec::with_capacity(n),
                    slate_promotion_effect: Vec::with_capacity(n),
                };
                for s in 0..n {
                    let (expected, lift, effect) =
                        from_totals(if_promoted[s], if_control[s], promoted[s]);
                    t.total_expected_clicks.push(expected);
                    t.total_known_lift.push(lift);
                    t.slate_promotion_effect.push(effect);
                }
                t
            }
        }
    }

    /// Slate `s`'s expected clicks without promotion.
    pub fn baseline(&self, s: usize) -> f64 {
        match self {
            HeldTruth::Columns(truth) => truth.total_baseline_clicks[s],
            HeldTruth::Totals { if_control, .. } => if_control[s],
        }
    }

    /// The oracle's effect per slate (promoted − control).
    pub fn slate_promotion_effect(&self) -> Vec<f64> {
        match self {
            HeldTruth::Columns(t) => t.slate_promotion_effect.clone(),
            HeldTruth::Totals {
                if_promoted,
                if_control,
            } => if_promoted
                .iter()
                .zip(if_control)
                .map(|(p, c)| from_totals(*p, *c, true).2)
                .collect(),
        }
    }

    /// Whether every column is held.
    pub fn columns(&self) -> Option<&SlateTruth> {
        match self {
            HeldTruth::Columns(t) => Some(t),
            HeldTruth::Totals { .. } => None,
        }
    }
}

/// One slate's derived truth from its totals if promoted `p` and if control `c`, its arm
/// `promoted`: (expected clicks, known lift, effect), the operations every derived column uses.
fn from_totals(p: f64, c: f64, promoted: bool) -> (f64, f64, f64) {
    let expected = if promoted { p } else { c };
    (expected, expected - c, p - c)
}

/// The slate outcomes: fixed columns, the oracle's totals when known, covariate features.
/// Dereferences to its fixed columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SlateOutcomes {
    /// The fixed columns.
    pub rows: SlateRows,
    /// The truth columns, when the log has them.
    pub truth: Option<HeldTruth>,
    /// Covariate-derived features, in column order: held, or (from a per-slate table read at
    /// scale) on disk until the slate table is written.
    pub features: crate::FeatureColumns,
    /// The log's covariates and their levels (what `features` derive from).
    pub covariates: Vec<(String, CovariateLevel)>,
    /// Each further outcome's total per slate, named by the outcome (written as
    /// [`outcome_total_name`]).
    pub outcome_totals: Vec<NamedColumn>,
}

impl SlateOutcomes {
    /// The number of randomization units (unit indices are dense, so the largest plus one).
    pub fn n_units(&self) -> usize {
        self.unit_index.iter().max().map_or(0, |m| *m as usize + 1)
    }
}

impl Deref for SlateOutcomes {
    type Target = SlateRows;
    // Inlined across crates: the estimators read a column through it once per item row.
    #[inline]
    fn deref(&self) -> &SlateRows {
        &self.rows
    }
}

/// The design table with every covariate's focal value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Assignment {
    /// The fixed columns.
    pub rows: AssignmentTable,
    /// Each covariate's value for the focal item (slate-level covariates as they are).
    pub focal_covariates: Vec<NamedColumn>,
}

impl Deref for Assignment {
    type Target = AssignmentTable;
    // Inlined across crates: the estimators read a column through it once per item row.
    #[inline]
    fn deref(&self) -> &AssignmentTable {
        &self.rows
    }
}
