//! Running stages in order: `all` (the MovieLens path) and `analyze` (a team's log), with
//! per-stage timing and a stop between stages on Ctrl-C.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use slate_estimate::randomization::Design;
use tracing::info;

use crate::analysis::Held;
use crate::{DataSource, Paths, PipelineConfig};

/// A configured pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Configuration.
    pub config: PipelineConfig,
    /// Directories.
    pub paths: Paths,
    /// Show progress bars.
    pub progress: bool,
}

/// Ctrl-C stopped `all` between two stages: every stage before `before` finished and wrote
/// complete artifacts; `before` and the stages after it did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "interrupted: stopped before stage `{before}`; the stages before it finished and wrote complete artifacts"
)]
pub struct Interrupted {
    /// The first stage that did not run.
    pub before: &'static str,
}

/// Where `analyze` reads a logged experiment from.
#[derive(Debug, Clone, Copy)]
pub enum LogSource<'a> {
    /// The log's item rows, read into memory (CSV logs, `--item-rows`, `--on-bad-slate drop`).
    Rows(&'a Path, slate_log::OnBadSlate),
    /// A parquet log reduced to per-slate sums by the embedded engine, in ranges of
    /// `chunk_rows` rows.
    Reduced(&'a Path, usize),
    /// A per-slate table another engine (Spark) wrote: a parquet file or a directory of them.
    SlateStats(&'a Path),
}

impl LogSource<'_> {
    /// The path the report and the manifest name.
    fn path(&self) -> &Path {
        match self {
            LogSource::Rows(p, _) | LogSource::Reduced(p, _) | LogSource::SlateStats(p) => p,
        }
    }
}

impl Pipeline {
    /// Runs one stage with a spinner (when progress is on) and logs its wall time and the
    /// process's peak RSS during the stage (Linux).
    pub(crate) fn timed<T>(&self, stage: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
        crate::memory::reset_peak_rss();
        let start = Instant::now();
        info!(stage, "start");
        let spinner = if self.progress && stage != "fetch-data" {
            let spinner = ProgressBar::new_spinner();
            spinner.set_message(stage.to_string());
            spinner.enable_steady_tick(Duration::from_millis(120));
            spinner
        } else {
            ProgressBar::hidden()
        };
        let out = run();
        spinner.finish_and_clear();
        let out = out.with_context(|| format!("stage `{stage}` failed"))?;
        let seconds = format!("{:.3}", start.elapsed().as_secs_f64());
        let peak_rss_mib = format!("{:.0}", crate::memory::status_mib("VmHWM:"));
        info!(stage, seconds, peak_rss_mib, "done");
        Ok(out)
    }

    /// `analyze --log`: a team's logged experiment through exposure → estimate → decompose →
    /// models → report. Every method clusters by the log's
    /// unit; randomization inference re-draws units with the log's assignment probability.
    pub fn analyze(&self, source: LogSource<'_>, cancel: &AtomicBool) -> Result<()> {
        self.analyze_as(source, None, cancel)
    }

    /// [`Pipeline::analyze`], naming the log `name` (when given) instead of its path in the
    /// manifest and the report: a log written to a temporary file from a data frame is named
    /// as the frame.
    pub fn analyze_as(
        &self,
        source: LogSource<'_>,
        name: Option<&str>,
        cancel: &AtomicBool,
    ) -> Result<()> {
        self.sweep_partials();
        let from_log = |slates: &slate_exposure::AnalysisSlates| Design::Bernoulli {
            p: slates.assignment_probability,
        };
        let log = source.path();
        let name = name.map_or_else(|| log.display().to_string(), str::to_string);
        // A per-slate table read in the first stage stays in memory for estimate and
        // decompose (each would otherwise read it again); it is dropped before the models.
        let held: std::cell::RefCell<Option<Held>> = std::cell::RefCell::new(None);
        let hold = |read: Result<Held>| {
            *held.borrow_mut() = Some(read?);
            Ok(())
        };
        let stages: [(&'static str, &dyn Fn() -> Result<()>); 5] = [
            ("read-log", &|| match source {
                LogSource::Rows(path, policy) => self.read_log_named(path, &name, policy),
                LogSource::Reduced(path, chunk_rows) => {
                    let reduced = self.reduce_log(path, chunk_rows)?;
                    // A log that breaks a rule leaves nothing behind, as on the item-row path.
                    hold(
                        self.read_slate_stats_held(&reduced.path, path, &name)
                            .inspect_err(|_| {
                                let _ = std::fs::remove_file(&reduced.path);
                            })
                            .with_context(|| format!("reading the log {}", path.display())),
                    )
                }
                LogSource::SlateStats(path) => hold(self.read_slate_stats_held(path, path, &name)),
            }),
            ("estimate", &|| {
                self.estimate_from(held.borrow().as_ref(), &from_log)
            }),
            ("decompose", &|| self.decompose_from(held.take().as_ref())),
            ("models", &|| {
                // Too few units for the cross-fitting folds: the rest of the analysis stands.
                match self.models() {
                    Err(e)
                        if e.chain().any(|c| {
                            matches!(
                                c.downcast_ref::<slate_models::ModelsError>(),
                                Some(slate_models::ModelsError::TooFewSlates { .. })
                            )
                        }) =>
                    {
                        tracing::warn!("models stage skipped: {e:#}");
                        Ok(())
                    }
                    other => other,
                }
            }),
            ("report", &|| self.log_report_named(&name)),
        ];
        run_stages(&stages, cancel)
    }

    /// Removes hidden `*.partial*` temporaries that a killed earlier run left in the output
    /// directories (artifacts themselves are only ever renamed into place complete).
    pub fn sweep_partials(&self) {
        for dir in [
            &self.paths.processed_dir,
            &self.paths.figures_dir,
            &self.paths.writeup_dir,
            &self.paths.writeup_dir.join("tables"),
            &self.paths.raw_dir.join("synthetic"),
        ] {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.starts_with('.') && name.contains(".partial") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }

    /// Every stage in order, from the raw source to the last table. When `cancel` is set (by
    /// Ctrl-C) the running stage finishes and the run stops before the next one with an
    /// [`Interrupted`] error.
    pub fn all(&self, source: &DataSource, cancel: &AtomicBool) -> Result<()> {
        self.sweep_partials();
        let raw = self.raw_folder(source, cancel)?;
        let stages: [(&'static str, &dyn Fn() -> Result<()>); 8] = [
            ("ingest", &|| self.ingest(&raw)),
            ("simulate", &|| self.simulate()),
            ("exposure", &|| self.exposure()),
            ("estimate", &|| self.estimate()),
            ("decompose", &|| self.decompose()),
            ("models", &|| self.models()),
            ("coverage", &|| {
                self.coverage(self.config.estimate.coverage_replicates)
            }),
            ("report", &|| self.report()),
        ];
        run_stages(&stages, cancel)
    }
}

/// Runs `stages` in order; when `cancel` is set (by Ctrl-C) the running stage finishes and the
/// run stops before the next one with an [`Interrupted`] error.
fn run_stages(
    stages: &[(&'static str, &dyn Fn() -> Result<()>)],
    cancel: &AtomicBool,
) -> Result<()> {
    for (stage, run) in stages {
        if cancel.load(Ordering::SeqCst) {
            return Err(Interrupted { before: stage }.into());
        }
        run()?;
    }
    Ok(())
}
