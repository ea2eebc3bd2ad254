//! The `[ingest]` section of the pipeline config.

use serde::{Deserialize, Serialize};

use crate::{IngestError, Result};

/// Ingest settings (the `[ingest]` section of the pipeline config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// A genre defines a substitute cluster only if at least this share of the catalogue
    /// carries it (see [`clusters`]); a share, so the rule means the same on every dataset size.
    pub min_cluster_share: f64,
}

impl IngestConfig {
    /// Checks the configuration; the error names the field.
    pub fn check(&self) -> Result<()> {
        if !(self.min_cluster_share.is_finite() && (0.0..1.0).contains(&self.min_cluster_share)) {
            return Err(IngestError::Config(format!(
                "`ingest.min_cluster_share` = {} must be in [0, 1)",
                self.min_cluster_share
            )));
        }
        Ok(())
    }
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            min_cluster_share: 0.10,
        }
    }
}
