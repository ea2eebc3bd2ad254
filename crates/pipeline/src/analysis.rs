//! The analysis stages on the exposure tables: estimate, decompose, models and the reports.

use std::path::Path;

use anyhow::Result;
use slate_estimate::contrasts::OutcomeView;
use slate_estimate::inference::Clustering;
use slate_estimate::randomization::Design;
use slate_table::Label;
use tracing::info;

use crate::Pipeline;

/// The run's item-level exposure: item rows, or per-slate cells when the run read a per-slate
/// table (every estimator but Lin's regression reads either).
pub(crate) enum RunExposure {
    Rows(Box<slate_exposure::ExposureMapping>),
    Cells(slate_reduction::SlateCells),
}

/// The exposure tables one stage hands to the next within a process: the slate table as the
/// estimators hold it (its read columns only).
pub(crate) type Held = (RunExposure, slate_exposure::AnalysisSlates);

impl RunExposure {
    fn items(&self) -> slate_estimate::contrasts::Items<'_> {
        match self {
            RunExposure::Rows(m) => slate_estimate::contrasts::Items::Rows(m),
            RunExposure::Cells(c) => slate_estimate::contrasts::Items::Cells(c),
        }
    }
}

impl Pipeline {
    /// The exposure tables `held` in memory, else those read from the processed directory
    /// into `read`.
    fn held_or_read<'a>(
        &self,
        held: Option<&'a Held>,
        read: &'a mut Option<Held>,
    ) -> Result<&'a Held> {
        match held {
            Some(held) => Ok(held),
            None => Ok(read.insert(self.read_exposure()?)),
        }
    }

    /// The exposure the estimators read: the item-row mapping in the processed directory, or,
    /// when the run's source was a per-slate table (no mapping beside it), that table's cells.
    fn read_exposure(&self) -> Result<Held> {
        let dir = &self.paths.processed_dir;
        let stats = dir.join(slate_reduction::SLATE_STATS_FILE);
        if !dir
            .join(slate_exposure::schema::EXPOSURE_MAPPING.file_name)
            .exists()
            && stats.exists()
        {
            let tables = slate_reduction::read_slate_stats(&stats, &self.config.log)?;
            return Ok((RunExposure::Cells(tables.cells), tables.slates.into()));
        }
        Ok((
            RunExposure::Rows(Box::new(slate_exposure::read_mapping(dir)?)),
            slate_exposure::read_slates(dir)?.into(),
        ))
    }

    /// Stage 4: the cluster-randomized estimators; writes every estimate table.
    /// Randomization inference re-draws the simulation's design.
    pub fn estimate(&self) -> Result<()> {
        self.estimate_with(&|slates| {
            slate_studies::randomization_design(&self.config.simulation.design, slates.n_units())
        })
    }

    /// Stage 4 with the randomization design a function of the slate table.
    fn estimate_with(
        &self,
        design: &dyn Fn(&slate_exposure::AnalysisSlates) -> Design,
    ) -> Result<()> {
        self.estimate_from(None, design)
    }

    /// Stage 4 on the exposure tables `held` in memory, else on those read from the processed
    /// directory.
    pub(crate) fn estimate_from(
        &self,
        held: Option<&Held>,
        design: &dyn Fn(&slate_exposure::AnalysisSlates) -> Design,
    ) -> Result<()> {
        self.timed("estimate", || {
            let mut read = None;
            let (exposure, slates) = self.held_or_read(held, &mut read)?;
            let dir = &self.paths.processed_dir;
            let items = exposure.items();
            let tables = slate_estimate::run(items, slates, &self.config.estimate)?;
            slate_estimate::write(&tables, dir)?;
            let design = design(slates);
            let mut inference = slate_estimate::inference_comparison(
                items,
                slates,
                &self.config.estimate,
                design,
                Some(&tables),
            )?
            .to_frame()?;
            slate_table::write_csv(
                &mut inference,
                &slate_estimate::tables::INFERENCE_COMPARISON,
                dir,
            )?;
            let figures = slate_report::estimator_figures(
                dir,
                &self.paths.figures_dir,
                items.has_truth(),
                Clustering::of(slates),
            )?;
            info!(figures = figures.len(), dir = %self.paths.figures_dir.display(), "estimator figures");
            for r in tables
                .results
                .iter()
                .filter(|r| r.view == OutcomeView::Observed)
            {
                let (lower, upper) = r.ci_95();
                info!(
                    contrast = r.contrast.text(),
                    estimate = format!("{:.4}", r.estimate),
                    ci_95 = format!("[{lower:.4}, {upper:.4}]"),
                    cluster_se = format!("{:.4}", r.cluster_se),
                    "observed effect"
                );
            }
            Ok(())
        })
    }

    /// Stage 5: direct/indirect/total decomposition, spillover sensitivity, cluster and
    /// position risk, with their figures.
    pub fn decompose(&self) -> Result<()> {
        self.decompose_from(None)
    }

    /// Stage 5 on the exposure tables `held` in memory, else on those read from the processed
    /// directory.
    pub(crate) fn decompose_from(&self, held: Option<&Held>) -> Result<()> {
        self.timed("decompose", || {
            let mut read = None;
            let (exposure, slates) = self.held_or_read(held, &mut read)?;
            let dir = &self.paths.processed_dir;
            let tables =
                slate_estimate::run_decomposition(exposure.items(), slates, &self.config.estimate)?;
            slate_estimate::write_decomposition(&tables, dir)?;
            slate_report::findings::write_recommendations(dir, slates.truth.is_some())?;
            slate_report::decomposition_figures(
                dir,
                &self.paths.figures_dir,
                slates.truth.is_some(),
                Clustering::of(slates),
            )?;
            for i in 0..tables.additivity.len() {
                let difference = tables.additivity.difference[i];
                info!(
                    outcome = tables.additivity.outcome_type[i].text(),
                    difference, "additivity"
                );
            }
            Ok(())
        })
    }

    /// Stage 6: LightGBM and XGBoost outcome models, cross-fitted AIPW and targeting policies,
    /// with their figures.
    pub fn models(&self) -> Result<()> {
        self.timed("models", || {
            let dir = &self.paths.processed_dir;
            // The slate table stays on disk: the stage keeps a few columns per slate and reads
            // the features a row group at a time.
            let slates = slate_exposure::SlateOutcomesFile::open(dir)?;
            let tables = slate_models::run_file(&slates, &self.config.models)?;
            slate_models::write(&tables, dir)?;
            slate_report::findings::write_takeaways(dir, slates.has_truth())?;
            slate_report::models_figures(&tables, &self.paths.figures_dir)?;
            let a = &tables.aipw;
            for i in 0..a.len() {
                info!(
                    estimator = a.estimator[i].text(),
                    estimate = format!("{:.4}", a.estimate[i]),
                    ci_95 = format!("[{:.4}, {:.4}]", a.ci_95_lower[i], a.ci_95_upper[i]),
                    "total-slate effect"
                );
            }
            Ok(())
        })
    }

    /// The report of a logged experiment: `analysis_summary.md` in the writeup folder.
    pub fn log_report(&self, log: &Path) -> Result<()> {
        self.log_report_named(&log.display().to_string())
    }

    /// [`Pipeline::log_report`] of a log named `name`.
    pub(crate) fn log_report_named(&self, name: &str) -> Result<()> {
        self.timed("report", || {
            let path = slate_report::log_report(&self.report_paths(), name)?;
            info!(summary = %path.display(), "analysis summary");
            Ok(())
        })
    }

    fn report_paths(&self) -> slate_report::ReportPaths {
        slate_report::ReportPaths {
            processed_dir: self.paths.processed_dir.clone(),
            writeup_dir: self.paths.writeup_dir.clone(),
            figures_dir: self.paths.figures_dir.clone(),
            root: self
                .paths
                .writeup_dir
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        }
    }

    /// Stage 7: the final report (tables, figures 25–28, summary, bullets, artifact index).
    pub fn report(&self) -> Result<()> {
        self.timed("report", || {
            let report =
                slate_report::final_report(&self.report_paths(), &self.movielens_source()?)?;
            info!(
                files = report.written.len(),
                summary = %self.paths.writeup_dir.join(slate_report::final_report::SUMMARY_FILE).display(),
                "final report"
            );
            Ok(())
        })
    }
}
