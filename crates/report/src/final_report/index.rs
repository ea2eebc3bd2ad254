//! What the run produced: the upstream tables the report loads, every table and figure the
//! pipeline writes, and the artifact index that lists them with their rows.

use std::path::Path;

use slate_estimate::decompose::{
    ADDITIVITY_CHECKS, CLUSTER_RISK, DIRECT_INDIRECT_TOTAL, POSITION_RISK, PRODUCT_SUMMARY,
    SPILLOVER_SENSITIVITY,
};

use crate::findings::{RECOMMENDATIONS, TAKEAWAYS};
use slate_estimate::tables::{COVERAGE, INFERENCE_COMPARISON, OBSERVED_EFFECTS};
use slate_models::tables::{AIPW_ESTIMATES, HETEROGENEITY, MODEL_METRICS, POLICY_TARGETING};
use slate_table::TableSchema;

use super::SourceTables;
use super::tables::*;
use crate::ReportError;
use crate::paths::ReportPaths;

/// The upstream tables the report loads (seed section 2, plus the inference tables): the
/// source's readiness table, then the analysis's.
pub fn upstream_tables(source: &SourceTables) -> Vec<(&'static str, TableSchema)> {
    vec![
        source.readiness,
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

/// Every figure the pipeline draws, with a one-line description.
pub fn figure_catalog() -> Vec<(&'static str, &'static str)> {
    use crate::{
        COVERAGE_FIGURE, DECOMPOSITION_FIGURES, ESTIMATOR_FIGURES, MODELS_FIGURES, POWER_FIGURE,
        SWEEP_FIGURE, TARGET_SLOT_FIGURE,
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
        "True direct, spillover and total effects and the total's power against the target slot.",
        "Final main effects, item rows and slates, with 95% intervals.",
        "Final decomposition per 1,000 promoted slates with error bars.",
        "Final spillover-definition sensitivity.",
        "Final targeting rules by oracle lift per 1,000 eligible slates.",
    ];
    ESTIMATOR_FIGURES
        .iter()
        .chain(&DECOMPOSITION_FIGURES)
        .chain(&MODELS_FIGURES)
        .chain(&[
            COVERAGE_FIGURE,
            POWER_FIGURE,
            SWEEP_FIGURE,
            TARGET_SLOT_FIGURE,
        ])
        .chain(&FINAL_FIGURES)
        .copied()
        .zip(descriptions)
        .collect()
}

/// Every table schema the pipeline writes to the processed folder: the source's, then the
/// analysis's.
pub(super) fn processed_tables(source: &SourceTables) -> Vec<TableSchema> {
    use slate_estimate::decompose::PRODUCT_SUMMARY;
    use slate_estimate::tables::*;
    use slate_models::tables::CONDITIONAL_EFFECTS;
    let analysis = [
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
        slate_estimate::design_effects::DISPLACEMENT_SPILLOVER,
        slate_estimate::design_effects::FOCAL_COUNT_EFFECTS,
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
    ];
    source.processed.iter().copied().chain(analysis).collect()
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

pub(super) fn rows_of(path: &Path, schema: &TableSchema) -> Result<u32, ReportError> {
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

pub(super) fn artifact_index(
    paths: &ReportPaths,
    source: &SourceTables,
) -> Result<ArtifactIndex, ReportError> {
    let mut index = ArtifactIndex::default();
    let mut push = |artifact: &str,
                    kind: ArtifactKind,
                    path: &Path,
                    rows: Option<u32>,
                    description: String| {
        index.artifact.push(artifact.to_string());
        index.kind.push(kind);
        index.path.push(paths.relative(path));
        index.rows.push(rows);
        index.description.push(description);
    };
    for schema in processed_tables(source) {
        let path = paths.processed_dir.join(schema.file_name);
        if path.exists() {
            push(
                schema.file_name,
                ArtifactKind::Table,
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
            ArtifactKind::Manifest,
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
        push(
            schema.file_name,
            ArtifactKind::Table,
            &path,
            rows,
            schema.summary(),
        );
    }
    for (figure, description) in figure_catalog() {
        let path = paths.figures_dir.join(figure);
        if path.exists() {
            push(
                figure,
                ArtifactKind::Figure,
                &path,
                None,
                description.to_string(),
            );
        }
    }
    for (file, description) in [
        (SUMMARY_FILE, "Executive summary with this run's numbers."),
        (BULLETS_FILE, "Resume bullets with this run's numbers."),
    ] {
        push(
            file,
            ArtifactKind::Markdown,
            &paths.writeup_dir.join(file),
            None,
            description.to_string(),
        );
    }
    push(
        crate::HTML_REPORT_FILE,
        ArtifactKind::Html,
        &paths.writeup_dir.join(crate::HTML_REPORT_FILE),
        None,
        "The run on one self-contained page: summary, main tables, every figure, readiness checks and run manifest.".into(),
    );
    Ok(index)
}
