//! The final report's own tables and files: every table it writes to `writeup/tables`, the
//! figures it draws and the markdown it writes, each declared once.

use slate_estimate::contrasts::Contrast;
use slate_estimate::decompose::{Component, EffectFamily, SPILLOVER_SENSITIVITY};
use slate_estimate::outcome::Outcome;
use slate_table::TableSchema;

use crate::findings::RECOMMENDATIONS;

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
        contrast: Contrast,
        /// Outcome.
        outcome: Outcome,
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
        /// The component's family.
        effect_family: EffectFamily,
        /// Component.
        component: Component,
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

/// A section of the advanced-model summary: its `section` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum SummarySection {
    /// An outcome model's held-out fit.
    #[strum(serialize = "Outcome model")]
    OutcomeModel,
    /// An estimator of the total-slate effect.
    #[strum(serialize = "Total-slate effect")]
    TotalSlateEffect,
    /// A targeting rule.
    #[strum(serialize = "Targeting rule")]
    TargetingRule,
}

/// What an artifact is: the `kind` column of the artifact index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum ArtifactKind {
    /// A table (parquet or CSV).
    #[strum(serialize = "table")]
    Table,
    /// The run manifest.
    #[strum(serialize = "manifest")]
    Manifest,
    /// A figure (PNG).
    #[strum(serialize = "figure")]
    Figure,
    /// A markdown file.
    #[strum(serialize = "markdown")]
    Markdown,
    /// The self-contained HTML page of the run.
    #[strum(serialize = "html")]
    Html,
}

slate_table::label!(SummarySection, ArtifactKind);

slate_table::table! {
    /// `final_advanced_model_summary.csv`: outcome-model fit, AIPW estimates and targeting
    /// rules in one table.
    pub struct AdvancedSummary, schema ADVANCED_SUMMARY = "final_advanced_model_summary.csv" {
        /// The section.
        section: SummarySection,
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
        /// What it is.
        kind: ArtifactKind,
        /// Path, relative to the project root when under it.
        path: String,
        /// Rows (tables only).
        rows: Option<u32>,
        /// One line on what it holds.
        description: String,
    }
}
