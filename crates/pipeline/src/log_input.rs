//! Reading a team's log: its item rows, the embedded per-slate reduction, or a per-slate table
//! another engine wrote; the reduction's SQL; and synthetic logs for benchmarks.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tracing::info;

use crate::Pipeline;
use crate::analysis::{Held, RunExposure};

impl Pipeline {
    /// The per-slate reduction query in `dialect`, for the log at `log` (its columns say which
    /// optional columns exist) or, without one, for the canonical columns with unit, user and
    /// assignment probability (and truth with `truth`, target positions with `target`), named
    /// as in the config's [log] section.
    pub fn log_sql(
        &self,
        dialect: slate_reduction::Dialect,
        log: Option<&Path>,
        truth: bool,
        target: bool,
    ) -> Result<String> {
        use slate_log::LogColumn;
        use slate_reduction::{LogShape, reduction_sql};
        let config = &self.config.log;
        let (names, file) = match log {
            Some(path) => (slate_table::parquet_columns(path)?, path.to_path_buf()),
            None => {
                let mut names: Vec<String> = LogColumn::ALL
                    .into_iter()
                    .filter(|c| match c {
                        LogColumn::ClickProbIfPromoted | LogColumn::ClickProbIfControl => truth,
                        LogColumn::TargetPosition => target,
                        _ => true,
                    })
                    .map(|c| config.file_name_of(c).to_string())
                    .collect();
                names.extend(config.outcomes.iter().chain(&config.covariates).cloned());
                (names, PathBuf::from("the config's [log] section"))
            }
        };
        let shape = LogShape::of_columns(&names, config, &file)?;
        Ok(reduction_sql(config, &shape, dialect))
    }

    /// Reduces the parquet log at `log` to `interference_slate_stats.parquet` in the processed
    /// directory with the embedded engine, `chunk_rows` rows of the log at a time.
    pub fn reduce_log(&self, log: &Path, chunk_rows: usize) -> Result<slate_reduction::ReducedLog> {
        self.timed("reduce-log", || {
            std::fs::create_dir_all(&self.paths.processed_dir)?;
            let reduced = slate_reduction::reduce_parquet(
                log,
                &self.config.log,
                &self.paths.processed_dir,
                chunk_rows,
            )?;
            if !reduced.sorted {
                tracing::warn!(
                    log = %log.display(),
                    "the log's row groups are not in slate order: reduced in one pass, so memory \
                     grows with the file (sort it by slate to reduce it in ranges)"
                );
            }
            if let Some(reason) = &reduced.declined {
                info!(
                    reason = reason.as_str(),
                    "the single-pass reduction handed the log to the SQL engine"
                );
            }
            info!(
                rows = reduced.rows,
                slates = reduced.slates,
                ranges = reduced.ranges,
                reducer = ?reduced.reducer,
                path = %reduced.path.display(),
                "per-slate statistics"
            );
            Ok(reduced)
        })
    }

    /// Writes the synthetic impression log of `config` under experiment `seed` to `out`, a row
    /// group at a time (`slate_log::synthetic::write_synthetic_log`).
    pub fn synth_log(
        &self,
        config: &slate_log::synthetic::SyntheticConfig,
        seed: u64,
        out: &Path,
    ) -> Result<PathBuf> {
        self.timed("synth-log", || {
            let name = out
                .file_name()
                .with_context(|| format!("--out {} names no file", out.display()))?
                .to_string_lossy()
                .to_string();
            let dir = match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let (path, rows) =
                slate_log::synthetic::write_synthetic_log(config, seed, &dir, &name, 1 << 20)?;
            info!(
                rows,
                slates = config.slates,
                bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                path = %path.display(),
                "synthetic impression log"
            );
            Ok(path)
        })
    }

    /// Reads and validates a team's impression log, maps exposure and writes the exposure
    /// tables, the dropped-slates table, the id dictionary (string ids) and the run manifest.
    pub fn read_log(&self, path: &Path, policy: slate_log::OnBadSlate) -> Result<()> {
        self.read_log_named(path, &path.display().to_string(), policy)
    }

    /// [`Pipeline::read_log`], naming the log `name` in the manifest.
    pub(crate) fn read_log_named(
        &self,
        path: &Path,
        name: &str,
        policy: slate_log::OnBadSlate,
    ) -> Result<()> {
        self.timed("read-log", || {
            let dir = &self.paths.processed_dir;
            let (log, dropped) = slate_log::read_log(path, &self.config.log, policy)?;
            for d in &dropped {
                tracing::warn!(
                    slate = d.slate_id,
                    row = d.row,
                    column = d.column,
                    reason = d.reason,
                    "dropped slate"
                );
            }
            let tables = slate_exposure::write_exposure(&log, dir)?;
            slate_table::remove_stale(dir, slate_reduction::SLATE_STATS_FILE)?;
            self.write_manifest(
                "analyze",
                path,
                name.to_string(),
                log.n_rows(),
                &tables.slates,
                dropped.len(),
            )?;
            self.write_log_tables(&dropped, &log.id_dictionary())?;
            warn_failed_checks(&tables.readiness);
            info!(
                rows = log.n_rows(),
                slates = log.n_slates(),
                units = log.n_units(),
                dropped = dropped.len(),
                truth = log.truth.is_some(),
                "read {}",
                path.display()
            );
            Ok(())
        })
    }

    /// The dropped-slates table and the id dictionary of a read log (no dictionary when every
    /// id is an integer: integer ids are their own values, and no stale dictionary may claim
    /// otherwise).
    fn write_log_tables(
        &self,
        dropped: &[slate_log::DroppedSlate],
        dictionary: &slate_log::IdDictionary,
    ) -> Result<()> {
        let dir = &self.paths.processed_dir;
        slate_table::write_csv(
            &mut slate_log::DroppedSlatesTable::of(dropped).to_frame()?,
            &slate_log::DROPPED_SLATES,
            dir,
        )?;
        if dictionary.is_empty() {
            slate_table::remove_stale(dir, slate_log::ID_DICTIONARY.file_name)?;
        } else {
            slate_table::write_csv(&mut dictionary.to_frame()?, &slate_log::ID_DICTIONARY, dir)?;
        }
        Ok(())
    }

    /// Reads a per-slate table (the embedded reduction's, or one Spark wrote: a file or a
    /// directory of part files) named `log` in the manifest and report, checks every rule of
    /// the design on it, keeps a copy as the run's `interference_slate_stats.parquet`, and
    /// writes the per-slate exposure tables, the readiness checks, the (empty) dropped-slates
    /// table, the id dictionary and the run manifest. The item-row mapping of an earlier run is
    /// removed: the estimators read this table's cells.
    pub fn read_slate_stats(&self, path: &Path, log: &Path) -> Result<()> {
        self.read_slate_stats_held(path, log, &log.display().to_string())
            .map(drop)
    }

    /// [`Pipeline::read_slate_stats`], keeping the cells and the slate table for the stages
    /// that follow in the same process, naming the log `name` in the manifest.
    pub(crate) fn read_slate_stats_held(
        &self,
        path: &Path,
        log: &Path,
        name: &str,
    ) -> Result<Held> {
        self.timed("read-slate-stats", || {
            let dir = &self.paths.processed_dir;
            std::fs::create_dir_all(dir)?;
            // The features wait on disk (a temporary file) until the slate table is written,
            // which then holds them: the read never holds them whole.
            let held = self.read_slate_stats_spilling(path, log, name);
            slate_table::remove_stale(dir, slate_reduction::FEATURE_SPILL_FILE)?;
            held
        })
    }

    /// The body of [`Pipeline::read_slate_stats_held`], its features spilled to the processed
    /// directory.
    fn read_slate_stats_spilling(&self, path: &Path, log: &Path, name: &str) -> Result<Held> {
        let dir = &self.paths.processed_dir;
        let tables = slate_reduction::read_slate_stats_spilling(path, &self.config.log, dir)?;
        let own = dir.join(slate_reduction::SLATE_STATS_FILE);
        let same = own.exists() && std::fs::canonicalize(path)? == std::fs::canonicalize(&own)?;
        if !same {
            slate_reduction::copy_slate_stats(path, dir)?;
        }
        slate_exposure::write_slate_tables(&tables.slates, &tables.readiness, dir)?;
        slate_table::remove_stale(dir, slate_exposure::schema::EXPOSURE_MAPPING.file_name)?;
        self.write_manifest(
            "analyze",
            log,
            name.to_string(),
            tables.rows,
            &tables.slates,
            0,
        )?;
        self.write_log_tables(&[], &tables.dictionary)?;
        warn_failed_checks(&tables.readiness);
        info!(
            rows = tables.rows,
            slates = tables.slates.len(),
            units = tables.slates.n_units(),
            truth = tables.slates.truth.is_some(),
            "read per-slate table {}",
            path.display()
        );
        let mut slates = slate_exposure::AnalysisSlates::from(tables.slates);
        slates.features_on_disk(slate_exposure::SlateOutcomesFile::open(dir)?)?;
        Ok((RunExposure::Cells(tables.cells), slates))
    }
}

/// Logs every readiness check that failed (the run goes on: a check is a warning).
pub(crate) fn warn_failed_checks<C: std::fmt::Display>(
    checks: &[slate_table::readiness::Check<C>],
) {
    for check in checks.iter().filter(|c| !c.passed) {
        tracing::warn!(
            check = %check.check,
            value = check.value,
            requirement = check.requirement,
            "readiness check failed"
        );
    }
}
