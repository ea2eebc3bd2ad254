//! Figures and written artifacts of the slate-interference workflow.
//!
//! The top analysis layer: may depend on the analysis crates (`slate-exposure`,
//! `slate-estimate`, `slate-models` for their table schemas and labels), `slate-log` and
//! `slate-table`, never on a source: what the run's source wrote reaches it as a
//! [`SourceTables`] from the pipeline. It reads the tables the stages wrote and never
//! recomputes an estimate. Figures
//! are drawn with plotters into memory, with the DejaVu Sans font embedded in the binary (no
//! fontconfig, no system fonts), encoded as PNG with `image` and written atomically through
//! `slate_table::write_bytes_atomically` (temporary file, then rename).
//!
//! - [`charts`]: the few chart shapes every figure is made of (interval rows, signed bars,
//!   histograms).
//! - [`estimator_figures`]: the estimators notebook's figures.
//! - [`decomposition_figures`]: the decomposition notebook's figures.
//! - [`coverage_figure`]: the inference coverage study's figure.
//! - [`power_figure`]: the power study's figure.
//! - [`sweep_figure`]: the design sweep's figure.
//! - [`slot_figure`]: the design sweep's target-slot figure (where the promoted tile should go).
//! - [`models_figures`]: the advanced-models notebook's figures.
//! - [`final_report`]: the final report of the MovieLens run: tables, figures 25–28, summary,
//!   resume bullets and the artifact index.
//! - [`log_report`]: the summary of a team's logged experiment (`analyze --log`).
//! - `html`: `report.html`, the one self-contained page of a run (summary, tables, figures,
//!   checks and manifest), written by both reports.
//! - [`findings`]: the sentences (recommendations, model takeaways), composed from the typed
//!   tables the stages wrote.

pub mod charts;
mod coverage_figure;
mod decomposition_figures;
mod estimator_figures;
pub mod final_report;
pub mod findings;
mod html;
pub mod log_report;
mod models_figures;
mod paths;
mod power_figure;
pub mod slot_figure;
mod sweep_figure;

pub use coverage_figure::{COVERAGE_FIGURE, coverage_figure};
pub use decomposition_figures::{DECOMPOSITION_FIGURES, decomposition_figures};
pub use estimator_figures::{ESTIMATOR_FIGURES, estimator_figures};
pub use final_report::{FINAL_FIGURES, FinalReport, RUN_MANIFEST_FILE, SourceTables, final_report};
pub use html::HTML_REPORT_FILE;
pub use log_report::{LOG_SUMMARY_FILE, log_report};
pub use models_figures::{MODELS_FIGURES, models_figures};
pub use paths::ReportPaths;
pub use power_figure::{POWER_FIGURE, power_figure};
pub use slot_figure::{TARGET_SLOT_FIGURE, target_slot_figure};
pub use sweep_figure::{SWEEP_FIGURE, sweep_figure};

use std::path::PathBuf;

/// What can go wrong producing the report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading an input table failed (missing, malformed, wrong schema).
    #[error(transparent)]
    Table(#[from] slate_table::TableError),
    /// Reading the exposure tables failed.
    #[error(transparent)]
    Exposure(#[from] slate_exposure::ExposureError),
    /// Drawing a figure failed.
    #[error("{path}: cannot draw figure: {message}")]
    Draw {
        /// The figure.
        path: PathBuf,
        /// The drawing error.
        message: String,
    },
    /// An input table lacks a row the report needs.
    #[error("{table}: no row for {what}")]
    Missing {
        /// The table.
        table: String,
        /// The row it lacks.
        what: String,
    },
    /// Reading a file the report embeds failed.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The run manifest is not the JSON the pipeline writes.
    #[error("{path}: not a run manifest: {message}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An input table has no rows to draw.
    #[error("{table}: no rows to draw")]
    Empty {
        /// The table.
        table: String,
    },
}
