//! Writing the models stage's tables (CSV), the per-slate conditional effects a batch of rows
//! at a time.

use std::path::{Path, PathBuf};

use slate_table::{TableError, write_csv};

use crate::ModelsError;
use crate::stage::ModelsTables;
use crate::tables::*;

/// Writes a table with its truth part, when there is one, as one CSV.
fn write_with_truth(
    rows: slate_table::polars::prelude::DataFrame,
    schema: &slate_table::TableSchema,
    truth: Option<slate_table::polars::prelude::DataFrame>,
    truth_schema: &slate_table::TableSchema,
    dir: &Path,
) -> Result<PathBuf, ModelsError> {
    let polars = |source| TableError::Polars {
        table: schema.file_name.to_string(),
        source,
    };
    Ok(match truth {
        Some(truth) => slate_table::write_csv_extended(
            &rows.hstack(truth.columns()).map_err(polars)?,
            &[schema, truth_schema],
            &[],
            dir,
        )?,
        None => slate_table::write_csv_extended(&rows, &[schema], &[], dir)?,
    })
}

/// Rows of the conditional-effects table converted to a frame at a time when it is written:
/// it has a row per slate and model (17 million at 8.34 million slates), and one frame of it
/// all would double its memory.
const CONDITIONAL_BATCH_ROWS: usize = 1 << 20;

/// Writes the conditional-effects table (with its truth columns, when known) a batch of rows
/// at a time.
fn write_conditional(table: &Conditional, dir: &Path) -> Result<PathBuf, ModelsError> {
    let polars = |source| TableError::Polars {
        table: CONDITIONAL_EFFECTS.file_name.to_string(),
        source,
    };
    let parts: Vec<&slate_table::TableSchema> = match table.oracle() {
        Some(_) => vec![&CONDITIONAL_EFFECTS, &CONDITIONAL_EFFECTS_TRUTH],
        None => vec![&CONDITIONAL_EFFECTS],
    };
    Ok(slate_table::write_csv_batches(
        &parts,
        table.len(),
        CONDITIONAL_BATCH_ROWS,
        |range| {
            let batch = table.rows(range);
            let rows = batch.rows.to_frame()?;
            match &batch.truth {
                Some(truth) => rows.hstack(truth.to_frame()?.columns()).map_err(polars),
                None => Ok(rows),
            }
        },
        dir,
    )?)
}

/// Every table the stage writes, in [`write`]'s order.
pub const TABLES: [slate_table::TableSchema; 5] = [
    MODEL_METRICS,
    AIPW_ESTIMATES,
    CONDITIONAL_EFFECTS,
    POLICY_TARGETING,
    HETEROGENEITY,
];

/// Writes every models table to `dir` (CSV); returns the paths.
pub fn write(tables: &ModelsTables, dir: &Path) -> Result<Vec<PathBuf>, ModelsError> {
    Ok(vec![
        write_csv(&mut tables.metrics.to_frame()?, &MODEL_METRICS, dir)?,
        write_with_truth(
            tables.aipw.rows.to_frame()?,
            &AIPW_ESTIMATES,
            tables
                .aipw
                .truth
                .as_ref()
                .map(AipwTruth::to_frame)
                .transpose()?,
            &AIPW_ESTIMATES_TRUTH,
            dir,
        )?,
        write_conditional(&tables.conditional, dir)?,
        write_with_truth(
            tables.policies.rows.to_frame()?,
            &POLICY_TARGETING,
            tables
                .policies
                .truth
                .as_ref()
                .map(PolicyTruth::to_frame)
                .transpose()?,
            &POLICY_TARGETING_TRUTH,
            dir,
        )?,
        write_with_truth(
            tables.heterogeneity.rows.to_frame()?,
            &HETEROGENEITY,
            tables
                .heterogeneity
                .truth
                .as_ref()
                .map(HeterogeneityTruth::to_frame)
                .transpose()?,
            &HETEROGENEITY_TRUTH,
            dir,
        )?,
    ])
}
