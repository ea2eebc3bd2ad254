//! The final report (the seed's notebook 05, section by section): loads every upstream table,
//! writes the final tables, figures 25–28, the executive summary and resume bullets, and an
//! index of every artifact the run produced. Every number in the markdown is formatted from a
//! table value of this run; none is typed by hand.
//!
//! By concern: [`tables`] (what it writes), `facts` (the numbers it quotes), `prose` (the
//! markdown), `figures`, [`index`] (the load and artifact indexes); this module runs them in
//! the seed's order.

mod facts;
mod figures;
pub mod index;
mod prose;
pub mod tables;

pub use facts::{Facts, ScenarioPower, SweepFacts};
pub use index::{RUN_MANIFEST_FILE, figure_catalog, upstream_tables, writeup_tables};
pub use prose::{bullets_markdown, inference_sentence, power_paragraph, summary_markdown};
pub use tables::*;

use std::path::{Path, PathBuf};

use slate_estimate::contrasts::{Contrast, OutcomeView};
use slate_estimate::decompose::{
    Component, DIRECT_INDIRECT_TOTAL, DirectIndirectTotal, SPILLOVER_SENSITIVITY,
    SpilloverSensitivity,
};

use crate::findings::{RECOMMENDATIONS, Recommendations};
use slate_estimate::tables::{COVERAGE, CoverageTable, Estimates, OBSERVED_EFFECTS};
use slate_models::tables::{
    AIPW_ESTIMATES, AIPW_ESTIMATES_TRUTH, AipwEstimates, AipwTruth, MODEL_METRICS, ModelMetrics,
    POLICY_TARGETING, POLICY_TARGETING_TRUTH, PolicyTargeting, PolicyTruth,
};
use slate_table::{Label, TableSchema, write_csv};

use self::facts::facts;
use self::figures::final_figures;
use self::index::artifact_index;
use self::prose::limitations;
use crate::ReportError;
use crate::estimator_figures::read;
use crate::paths::ReportPaths;

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

/// What the run's source wrote, which the report lists and quotes: the pipeline says it, so
/// the report depends on no source crate.
#[derive(Debug, Clone)]
pub struct SourceTables {
    /// The source's readiness table, first in the load index under this name.
    pub readiness: (&'static str, TableSchema),
    /// Every table the source writes to the processed folder, in pipeline order (the
    /// artifact index lists those present).
    pub processed: Vec<TableSchema>,
    /// The data the run used, in words, as the summary names it.
    pub data: String,
}

/// Writes the whole final report of a run whose source wrote `source`.
pub fn final_report(
    paths: &ReportPaths,
    source: &SourceTables,
) -> Result<FinalReport, ReportError> {
    let mut written = Vec::new();
    let tables_dir = paths.tables_dir();

    // 2. Load index: every upstream table, schema-checked, with its rows.
    written.push(write_csv(
        &mut load_index(paths, source)?.to_frame()?,
        &LOAD_INDEX,
        &tables_dir,
    )?);

    // 3. Final main effects.
    let main = main_effects(paths)?;
    written.push(write_csv(
        &mut main.to_frame()?,
        &FINAL_MAIN_EFFECTS,
        &tables_dir,
    )?);
    let effect = |c: Contrast| -> Result<usize, ReportError> {
        (0..main.len())
            .find(|i| main.contrast[*i] == c)
            .ok_or_else(|| missing(&OBSERVED_EFFECTS, c.text()))
    };

    // 5. Decomposition, observed clicks, in report order.
    let final_decomposition = decomposition(paths)?;
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
        source.data.clone(),
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
    let recommendations = recommendations(paths, &facts)?;
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

    // The one page: summary, headline tables, figures, checks and manifest.
    written.push(html_page(
        paths,
        source,
        &facts,
        &main,
        &final_decomposition,
    )?);

    // 14. Artifact index (itself included).
    let index = artifact_index(paths, source)?;
    written.push(write_csv(
        &mut index.to_frame()?,
        &ARTIFACT_INDEX,
        &tables_dir,
    )?);
    Ok(FinalReport { facts, written })
}

/// Seed section 2: every upstream table, schema-checked, with its rows.
fn load_index(paths: &ReportPaths, source: &SourceTables) -> Result<LoadIndex, ReportError> {
    let mut index = LoadIndex::default();
    for (name, schema) in upstream_tables(source) {
        let path = paths.processed_dir.join(schema.file_name);
        let frame = slate_table::read_csv(&path, &schema)?;
        index.artifact.push(name.to_string());
        index.path.push(paths.relative(&path));
        index.rows.push(frame.height() as u32);
    }
    Ok(index)
}

/// Seed section 3: the observed effects with their per-1,000 scale and a note each.
fn main_effects(paths: &ReportPaths) -> Result<FinalMainEffects, ReportError> {
    let observed: Estimates = load(paths, &OBSERVED_EFFECTS, Estimates::from_frame)?;
    let mut main = FinalMainEffects::default();
    for i in 0..observed.len() {
        let contrast = observed.contrast[i];
        main.contrast.push(contrast);
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
        let note = match contrast {
            Contrast::DirectFocal => "Promoted focal item gain.",
            Contrast::SameCluster | Contrast::Displaced | Contrast::AllNonFocal => {
                "Competitor or non-focal item displacement."
            }
            Contrast::TotalSlate => "Net slate-level value after direct and spillover effects.",
        };
        main.report_note.push(note.to_string());
    }
    Ok(main)
}

/// Seed section 5: the decomposition of observed clicks, in report order.
fn decomposition(paths: &ReportPaths) -> Result<FinalDecomposition, ReportError> {
    let decomposition: DirectIndirectTotal = load(
        paths,
        &DIRECT_INDIRECT_TOTAL,
        DirectIndirectTotal::from_frame,
    )?;
    let mut final_decomposition = FinalDecomposition::default();
    for component in Component::ALL {
        let i = (0..decomposition.len())
            .find(|i| {
                decomposition.outcome_type[*i] == OutcomeView::Observed
                    && decomposition.component[*i] == component
            })
            .ok_or_else(|| missing(&DIRECT_INDIRECT_TOTAL, &component.title()))?;
        let d = &decomposition;
        let t = &mut final_decomposition;
        t.effect_family.push(d.effect_family[i]);
        t.component.push(component);
        t.component_label.push(component.title());
        t.estimate_per_slate.push(d.estimate_per_slate[i]);
        t.ci_95_lower.push(d.ci_95_lower[i]);
        t.ci_95_upper.push(d.ci_95_upper[i]);
        t.estimate_per_1000_promoted_slates
            .push(d.estimate_per_1000_promoted_slates[i]);
        t.ci_95_lower_per_1000.push(d.ci_95_lower_per_1000[i]);
        t.ci_95_upper_per_1000.push(d.ci_95_upper_per_1000[i]);
    }
    Ok(final_decomposition)
}

/// Seed section 12: the decomposition's recommendations plus the report's two, whose evidence
/// quotes `facts`.
fn recommendations(paths: &ReportPaths, facts: &Facts) -> Result<Recommendations, ReportError> {
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
    Ok(recommendations)
}

fn advanced_summary(
    metrics: &ModelMetrics,
    aipw: &AipwEstimates,
    aipw_truth: &AipwTruth,
    policies: &PolicyTargeting,
    policy_truth: &PolicyTruth,
) -> AdvancedSummary {
    let mut t = AdvancedSummary::default();
    let mut push = |section: SummarySection,
                    item: &str,
                    metric: &str,
                    value: f64,
                    ci: (f64, f64),
                    note: String| {
        t.section.push(section);
        t.item.push(item.into());
        t.metric.push(metric.into());
        t.value.push(value);
        t.ci_95_lower.push(ci.0);
        t.ci_95_upper.push(ci.1);
        t.note.push(note);
    };
    for i in metrics.test_rows() {
        push(
            SummarySection::OutcomeModel,
            metrics.model[i].text(),
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
            SummarySection::TotalSlateEffect,
            aipw.estimator[i].text(),
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
            SummarySection::TargetingRule,
            policies.policy[i].text(),
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

/// `report.html`: the summary, the headline and decomposition tables, every figure, the
/// readiness checks and the run manifest.
fn html_page(
    paths: &ReportPaths,
    source: &SourceTables,
    facts: &Facts,
    main: &FinalMainEffects,
    decomposition: &FinalDecomposition,
) -> Result<PathBuf, ReportError> {
    use crate::html::{Cell, Page, interval, number};
    let mut page = Page::new("Interference and spillover effects in recommendation slates");
    page.markdown(&summary_markdown(facts));
    page.heading("Main effects");
    page.paragraph(
        "Observed effects of promotion, slate-clustered CR1 95% intervals; item contrasts per item row, the total per slate.",
    );
    let rows: Vec<Vec<Cell>> = (0..main.len())
        .map(|i| {
            vec![
                Cell::Text(main.contrast[i].text().to_string()),
                Cell::Text(main.outcome[i].text()),
                number(main.estimate[i]),
                interval(main.ci_95_lower[i], main.ci_95_upper[i]),
                Cell::Number(format!("{:.1}", main.estimate_per_1000[i])),
                Cell::Number(main.clusters[i].to_string()),
            ]
        })
        .collect();
    page.table(
        &[
            "Contrast",
            "Outcome",
            "Estimate",
            "95% CI",
            "Per 1,000",
            "Clusters",
        ],
        &rows,
    );
    page.heading("Direct, indirect and total effects");
    let rows: Vec<Vec<Cell>> = (0..decomposition.len())
        .map(|i| {
            vec![
                Cell::Text(decomposition.effect_family[i].text().to_string()),
                Cell::Text(decomposition.component_label[i].clone()),
                number(decomposition.estimate_per_slate[i]),
                interval(decomposition.ci_95_lower[i], decomposition.ci_95_upper[i]),
                Cell::Number(format!(
                    "{:.1}",
                    decomposition.estimate_per_1000_promoted_slates[i]
                )),
            ]
        })
        .collect();
    page.table(
        &[
            "Effect",
            "Component",
            "Clicks per slate",
            "95% CI",
            "Per 1,000 promoted slates",
        ],
        &rows,
    );
    page.heading("Figures");
    page.figures(&paths.figures_dir)?;
    page.heading("Readiness checks");
    for schema in [
        source.readiness.1,
        slate_exposure::schema::EXPOSURE_READINESS,
    ] {
        let checks = load(paths, &schema, slate_table::readiness::from_frame::<String>)?;
        page.paragraph(&schema.summary());
        page.readiness(&checks);
    }
    let manifest = paths.processed_dir.join(RUN_MANIFEST_FILE);
    if manifest.exists() {
        page.heading("Run manifest");
        page.manifest(&manifest)?;
    }
    page.write(&paths.writeup_dir)
}

fn write_text(dir: &Path, name: &str, text: &str) -> Result<PathBuf, ReportError> {
    Ok(slate_table::write_bytes_atomically(
        dir,
        name,
        text.as_bytes(),
    )?)
}
