//! `interference_run_manifest.json`: what a run analyzed and how.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::{Pipeline, PipelineConfig};

/// `interference_run_manifest.json`: what a run analyzed and how, written beside the exposure
/// tables by `all` and `analyze`. No timestamp and no absolute path of a temporary directory,
/// so two runs of the same input write the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunManifest {
    /// The program.
    pub tool: &'static str,
    /// Its version.
    pub tool_version: &'static str,
    /// Version of the canonical impression-log schema.
    pub log_schema_version: u32,
    /// `all` or `analyze`.
    pub command: &'static str,
    /// The log analyzed.
    pub log: LogFacts,
    /// The whole configuration in effect.
    pub config: PipelineConfig,
}

/// The analyzed log: where it came from and what it held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogFacts {
    /// The path as given (`all`: the file name in the processed directory).
    pub path: String,
    /// File size.
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Rows (shown items) kept.
    pub rows: usize,
    /// Slates kept.
    pub slates: usize,
    /// Randomization units kept.
    pub units: usize,
    /// Slates dropped by `--on-bad-slate drop`.
    pub dropped_slates: usize,
    /// Whether the log has the truth columns.
    pub truth_columns: bool,
    /// The assignment probability used.
    pub assignment_probability: f64,
    /// `logged` (the column) or `observed share` (no column).
    pub probability_source: &'static str,
}

/// The size and SHA-256 of the file at `path`, or of a directory's files (Spark's part files)
/// concatenated in name order.
fn sha256_of(path: &Path) -> Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("hashing {}", path.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut hasher = Sha256::new();
    let mut bytes = 0;
    for file in files {
        let mut reader =
            std::fs::File::open(&file).with_context(|| format!("hashing {}", file.display()))?;
        bytes += std::io::copy(&mut reader, &mut hasher)
            .with_context(|| format!("hashing {}", file.display()))?;
    }
    Ok((bytes, format!("{:x}", hasher.finalize())))
}

impl Pipeline {
    /// Writes the run manifest of `log` (read from `path`, shown as `shown_path`).
    pub(crate) fn write_manifest(
        &self,
        command: &'static str,
        path: &Path,
        shown_path: String,
        rows: usize,
        slates: &slate_exposure::SlateOutcomes,
        dropped: usize,
    ) -> Result<()> {
        let (bytes, sha256) = sha256_of(path)?;
        let logged = slates.assignment_probability_logged.first() == Some(&true);
        let manifest = RunManifest {
            tool: "slate",
            tool_version: env!("CARGO_PKG_VERSION"),
            log_schema_version: slate_log::LOG_SCHEMA_VERSION,
            command,
            log: LogFacts {
                path: shown_path,
                bytes,
                sha256,
                rows,
                slates: slates.len(),
                units: slates.n_units(),
                dropped_slates: dropped,
                truth_columns: slates.truth.is_some(),
                assignment_probability: slates
                    .assignment_probability
                    .first()
                    .copied()
                    .unwrap_or(f64::NAN),
                probability_source: if logged { "logged" } else { "observed share" },
            },
            config: self.config.clone(),
        };
        let mut text = serde_json::to_string_pretty(&manifest)?;
        text.push('\n');
        slate_table::write_bytes_atomically(
            &self.paths.processed_dir,
            slate_report::RUN_MANIFEST_FILE,
            text.as_bytes(),
        )?;
        Ok(())
    }
}
