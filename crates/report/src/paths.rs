//! Where a report reads and writes.

use std::path::{Path, PathBuf};

/// Where the final report reads and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPaths {
    /// The pipeline's processed tables.
    pub processed_dir: PathBuf,
    /// The writeup folder (markdown; `tables/` inside it).
    pub writeup_dir: PathBuf,
    /// Figures.
    pub figures_dir: PathBuf,
    /// The project root paths in the indexes are relative to.
    pub root: PathBuf,
}

impl ReportPaths {
    /// `writeup/tables`.
    pub fn tables_dir(&self) -> PathBuf {
        self.writeup_dir.join("tables")
    }

    pub(crate) fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}
