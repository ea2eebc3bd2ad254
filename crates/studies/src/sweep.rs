//! The design sweep: one design knob moved at a time, the rest as in the run's configuration;
//! the true effects and the total contrast's power at each point.

use slate_estimate::contrasts::Contrast;
use slate_estimate::inference::InferenceMethod;
use slate_estimate::tables::{DesignSweepTable, PowerTable};
use slate_ingest::Dataset;
use slate_simulate::SimulationConfig;
use slate_simulate::config::{Scenario, SweepPoint};

use crate::StudyError;
use crate::power::power_at;

/// Simulates the design `point` (applied to `base`), runs its power study with `replicates`
/// draws and appends its row to `sweep`.
pub fn push_point(
    sweep: &mut DesignSweepTable,
    dataset: &Dataset,
    point: SweepPoint,
    base: &SimulationConfig,
    replicates: usize,
) -> Result<(), StudyError> {
    let config = point.apply(base);
    config.check()?;
    let table = power_at(dataset, Scenario::Default, &config, replicates)?;
    let total = cr1_row(&table, Contrast::TotalSlate)?;
    sweep.knob.push(point.knob().to_string());
    sweep.value.push(point.label());
    sweep.value_numeric.push(point.numeric());
    sweep.is_run_design.push(point.is_base(base));
    sweep.n_slates.push(table.n_slates[total]);
    sweep
        .true_direct_effect
        .push(table.true_effect[cr1_row(&table, Contrast::DirectFocal)?]);
    sweep
        .true_non_focal_effect
        .push(table.true_effect[cr1_row(&table, Contrast::AllNonFocal)?]);
    sweep.true_total_effect.push(table.true_effect[total]);
    sweep.analytic_power_total.push(table.analytic_power[total]);
    sweep.power_total.push(table.power[total]);
    sweep.power_mc_se.push(table.power_mc_se[total]);
    sweep.replicates.push(table.replicates[total]);
    sweep.mde_80_total.push(table.mde_80[total]);
    Ok(())
}

/// The power table's row of `contrast` under slate- or unit-clustered CR1.
fn cr1_row(table: &PowerTable, contrast: Contrast) -> Result<usize, StudyError> {
    (0..table.len())
        .find(|i| table.contrast[*i] == contrast && table.method_key[*i] == InferenceMethod::Cr1)
        .ok_or(StudyError::MissingRow { contrast })
}
