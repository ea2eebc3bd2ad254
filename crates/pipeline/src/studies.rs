//! The design studies (coverage, power, pilot power, design sweep), each wired to its table,
//! figure and log lines; the studies themselves are `slate-studies`'.

use std::path::Path;

use anyhow::Result;
use indicatif::ProgressBar;
use slate_estimate::contrasts::Contrast;
use slate_estimate::inference::InferenceMethod;
use slate_estimate::tables::{
    COVERAGE, CoverageTable, DESIGN_SWEEP, DesignSweepTable, PILOT_POWER, POWER, PowerTable,
};
use slate_studies::scenario::{Scenario, configure};
use slate_studies::sweep::SweepPoint;
use slate_table::Label;
use tracing::info;

use crate::Pipeline;

impl Pipeline {
    /// The Monte-Carlo coverage study: re-draws the simulated experiment `replicates` times
    /// and writes how often each method's 95% interval covered the truth, for the run's own
    /// simulation (scenario `default`, its slates fixed) and for the correlated,
    /// user-randomized scenario (simulated here from the same dataset and config).
    pub fn coverage(&self, replicates: usize) -> Result<()> {
        self.timed("coverage", || {
            let dir = &self.paths.processed_dir;
            let mut tables = Vec::new();
            for scenario in slate_studies::coverage::SCENARIOS {
                let config = configure(scenario, &self.config.simulation);
                let base = match scenario {
                    Scenario::Default => slate_simulate::read(dir)?,
                    _ => slate_simulate::simulate(&slate_ingest::load_processed(dir)?, &config)?,
                };
                let bar = if self.progress {
                    ProgressBar::new(replicates as u64)
                } else {
                    ProgressBar::hidden()
                };
                let table = slate_studies::coverage::coverage_of(
                    scenario,
                    &base,
                    &config,
                    &self.config.estimate,
                    replicates,
                    &|| bar.inc(1),
                )?;
                bar.finish_and_clear();
                for i in (0..table.len()).filter(|i| table.contrast[*i] == Contrast::TotalSlate) {
                    info!(
                        scenario = scenario.text(),
                        method = table.method[i].text(),
                        coverage = format!("{:.3}", table.coverage[i]),
                        mean_width = format!("{:.4}", table.mean_width[i]),
                        "total-slate interval coverage"
                    );
                }
                tables.push(table);
            }
            let table = CoverageTable::concat(tables);
            slate_table::write_csv(&mut table.to_frame()?, &COVERAGE, dir)?;
            slate_report::coverage_figure(dir, &self.paths.figures_dir)?;
            Ok(())
        })
    }

    /// The power analysis: for each scenario and design size, simulates the population
    /// (the run's dataset and config, `n_slates` changed), re-draws the experiment
    /// `replicates` times and writes the simulated power of every contrast beside the analytic
    /// power from per-unit variances pooled over further draws
    /// (`movielens_interference_power.csv`, figure 29).
    pub fn power(&self, slates: &[usize], replicates: usize, scenarios: &[Scenario]) -> Result<()> {
        self.timed("power", || {
            let dir = &self.paths.processed_dir;
            let dataset = slate_ingest::load_processed(dir)?;
            let mut tables = Vec::new();
            for scenario in scenarios {
                for n in slates {
                    let mut config = configure(*scenario, &self.config.simulation);
                    config.slates.n_slates = *n;
                    let table =
                        slate_studies::power::power_at(&dataset, *scenario, &config, replicates)?;
                    for i in (0..table.len()).filter(|i| table.contrast[*i] == Contrast::TotalSlate)
                    {
                        info!(
                            scenario = scenario.text(),
                            slates = n,
                            method = table.method_key[i].text(),
                            power = format!("{:.3}", table.power[i]),
                            analytic = format!("{:.3}", table.analytic_power[i]),
                            "total-slate power"
                        );
                    }
                    tables.push(table);
                }
            }
            let table = PowerTable::concat(tables);
            slate_table::write_csv(&mut table.to_frame()?, &POWER, dir)?;
            slate_report::power_figure(dir, &self.paths.figures_dir)?;
            Ok(())
        })
    }

    /// The design sweep: each knob of [`SweepPoint::default_sweep`] in turn, the rest as in the
    /// run's config: true effects and the total's power at the run's number of slates
    /// (`movielens_interference_design_sweep.csv`, figures 30 and 31).
    pub fn design_sweep(&self, replicates: usize) -> Result<()> {
        self.timed("design-sweep", || {
            let dir = &self.paths.processed_dir;
            let dataset = slate_ingest::load_processed(dir)?;
            let base = &self.config.simulation;
            let mut sweep = DesignSweepTable::default();
            for point in SweepPoint::default_sweep() {
                slate_studies::sweep::push_point(&mut sweep, &dataset, point, base, replicates)?;
                let last = sweep.len() - 1;
                info!(
                    knob = point.knob().text(),
                    value = point.label(),
                    true_total = format!("{:.3}", sweep.true_total_effect[last]),
                    power = format!("{:.2}", sweep.power_total[last]),
                    "design sweep"
                );
            }
            slate_table::write_csv(&mut sweep.to_frame()?, &DESIGN_SWEEP, dir)?;
            slate_report::sweep_figure(dir, &self.paths.figures_dir)?;
            if slate_report::target_slot_figure(dir, &self.paths.figures_dir)?.is_none() {
                slate_table::remove_stale(
                    &self.paths.figures_dir,
                    slate_report::TARGET_SLOT_FIGURE,
                )?;
            }
            Ok(())
        })
    }

    /// Analytic power and MDE from a pilot log's own per-unit variances, at each design size of
    /// `slates` (default: the pilot's slates times 1/2, 1, 2, 4, 8 and 16;
    /// `interference_pilot_power.csv`).
    pub fn pilot_power(
        &self,
        path: &Path,
        policy: slate_log::OnBadSlate,
        slates: Option<&[usize]>,
    ) -> Result<()> {
        self.timed("power", || {
            let (log, dropped) = slate_log::read_log(path, &self.config.log, policy)?;
            if !dropped.is_empty() {
                tracing::warn!(
                    slates = dropped.len(),
                    "dropped slates that break the design"
                );
            }
            let tables = slate_exposure::map_exposure(&log)?;
            let share = tables.slates.assignment_probability[0];
            let pilot = tables.slates.len();
            let grid = match slates {
                Some(slates) => slates.to_vec(),
                None => slate_estimate::power::default_pilot_grid(pilot),
            };
            let table = slate_estimate::power::pilot_power(
                &tables.mapping,
                &slate_exposure::AnalysisSlates::from(tables.slates),
                share,
                &grid,
                slate_estimate::power::ALPHA,
            )?;
            slate_table::write_csv(
                &mut table.to_frame()?,
                &PILOT_POWER,
                &self.paths.processed_dir,
            )?;
            for i in (0..table.len()).filter(|i| {
                table.contrast[*i] == Contrast::TotalSlate
                    && table.method_key[*i] == InferenceMethod::Cr1
            }) {
                info!(
                    slates = table.n_slates[i],
                    units = table.n_units[i],
                    se = format!("{:.4}", table.analytic_se[i]),
                    mde_80 = format!("{:.4}", table.mde_80[i]),
                    power_at_pilot_estimate = format!("{:.3}", table.power_at_pilot_estimate[i]),
                    "total-slate power from the pilot log"
                );
            }
            Ok(())
        })
    }
}
