//! The design sweep: one design knob moved at a time, the rest as in the run's configuration;
//! the true effects and the total contrast's power at each point.

use slate_estimate::contrasts::Contrast;
use slate_estimate::inference::InferenceMethod;
use slate_estimate::tables::{DesignSweepTable, Knob, PowerTable, Scenario};
use slate_ingest::Dataset;
use slate_simulate::SimulationConfig;

use crate::StudyError;
use crate::power::power_at;

/// One point of a design sweep: a single design knob set to one value, every other setting as
/// in the run's config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SweepPoint {
    /// `design.promotion_probability`.
    PromotionProbability(f64),
    /// `design.focal_min_position..=design.focal_max_position`.
    FocalWindow(usize, usize),
    /// `clicks.promotion_attention_cost` (ψ).
    AttentionCost(f64),
    /// `clicks.substitution_penalty` (γ).
    SubstitutionPenalty(f64),
    /// `design.target_position` (the focal window moves with it: see
    /// `slate_simulate::config::DesignConfig::focal_window`).
    TargetPosition(usize),
    /// `design.focals_per_slate`.
    FocalsPerSlate(usize),
}

impl SweepPoint {
    /// The default sweep: each knob over a grid around its default, one knob at a time.
    pub fn default_sweep() -> Vec<SweepPoint> {
        let mut points: Vec<SweepPoint> = [0.1, 0.2, 0.3, 0.5, 0.7, 0.9]
            .into_iter()
            .map(SweepPoint::PromotionProbability)
            .collect();
        points.extend(
            [(2, 4), (5, 8), (5, 12), (9, 12)]
                .into_iter()
                .map(|(a, b)| SweepPoint::FocalWindow(a, b)),
        );
        points.extend(
            [0.0, 0.2, 0.4, 0.8, 1.2, 1.6]
                .into_iter()
                .map(SweepPoint::AttentionCost),
        );
        points.extend(
            [0.0, 0.04, 0.08, 0.16, 0.3]
                .into_iter()
                .map(SweepPoint::SubstitutionPenalty),
        );
        points.extend((1..=6).map(SweepPoint::TargetPosition));
        points.extend((1..=3).map(SweepPoint::FocalsPerSlate));
        points
    }

    /// The knob it sets.
    pub fn knob(self) -> Knob {
        match self {
            SweepPoint::PromotionProbability(_) => Knob::PromotionProbability,
            SweepPoint::FocalWindow(..) => Knob::FocalWindow,
            SweepPoint::AttentionCost(_) => Knob::AttentionCost,
            SweepPoint::SubstitutionPenalty(_) => Knob::SubstitutionPenalty,
            SweepPoint::TargetPosition(_) => Knob::TargetPosition,
            SweepPoint::FocalsPerSlate(_) => Knob::FocalsPerSlate,
        }
    }

    /// The value as written in tables (`5-12` for a focal window).
    pub fn label(self) -> String {
        match self {
            SweepPoint::PromotionProbability(v)
            | SweepPoint::AttentionCost(v)
            | SweepPoint::SubstitutionPenalty(v) => format!("{v}"),
            SweepPoint::FocalWindow(a, b) => format!("{a}-{b}"),
            SweepPoint::TargetPosition(v) | SweepPoint::FocalsPerSlate(v) => format!("{v}"),
        }
    }

    /// The value on a numeric axis (a focal window's mean seed position).
    pub fn numeric(self) -> f64 {
        match self {
            SweepPoint::PromotionProbability(v)
            | SweepPoint::AttentionCost(v)
            | SweepPoint::SubstitutionPenalty(v) => v,
            SweepPoint::FocalWindow(a, b) => (a + b) as f64 / 2.0,
            SweepPoint::TargetPosition(v) | SweepPoint::FocalsPerSlate(v) => v as f64,
        }
    }

    /// `base` with this knob set.
    pub fn apply(self, base: &SimulationConfig) -> SimulationConfig {
        let mut config = base.clone();
        match self {
            SweepPoint::PromotionProbability(v) => config.design.promotion_probability = v,
            SweepPoint::FocalWindow(a, b) => {
                config.design.focal_min_position = a;
                config.design.focal_max_position = b;
            }
            SweepPoint::AttentionCost(v) => config.clicks.promotion_attention_cost = v,
            SweepPoint::SubstitutionPenalty(v) => config.clicks.substitution_penalty = v,
            SweepPoint::TargetPosition(v) => config.design.target_position = v,
            SweepPoint::FocalsPerSlate(v) => config.design.focals_per_slate = v,
        }
        config
    }

    /// Whether `base` already has this value (the run's own design).
    pub fn is_base(self, base: &SimulationConfig) -> bool {
        self.apply(base) == *base
    }
}

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
    sweep.knob.push(point.knob());
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
