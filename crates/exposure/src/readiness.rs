//! Exposure-readiness checks: is the randomized design intact before anything is estimated?

use slate_table::readiness::Check;

use slate_log::ImpressionLog;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::ExposureError;
use crate::features::focal_value_name;
use crate::schema::{Assignment, SlateOutcomes};

/// Standardized mean difference of `values` between promoted and control slates.
fn standardized_difference(values: &[f64], promoted: &[bool]) -> f64 {
    let arm = |want: bool| {
        let v: Vec<f64> = values
            .iter()
            .zip(promoted)
            .filter(|(_, p)| **p == want)
            .map(|(v, _)| *v)
            .collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n.max(1.0);
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        (mean, var)
    };
    let (mt, vt) = arm(true);
    let (mc, vc) = arm(false);
    let pooled = ((vt + vc) / 2.0).sqrt();
    if pooled > 0.0 {
        (mt - mc) / pooled
    } else {
        0.0
    }
}

/// The sample-ratio-mismatch p-value: Pearson's chi-square test (1 degree of freedom) of the
/// promoted and control unit counts against the design probability `p`.
pub fn sample_ratio_mismatch_p(promoted: usize, control: usize, p: f64) -> f64 {
    let n = (promoted + control) as f64;
    let expected = [n * p, n * (1.0 - p)];
    let observed = [promoted as f64, control as f64];
    let statistic: f64 = observed
        .iter()
        .zip(expected)
        .map(|(o, e)| (o - e).powi(2) / e)
        .sum();
    ChiSquared::new(1.0)
        .expect("one degree of freedom")
        .sf(statistic)
}

/// The SRM p-value below which the readiness check fails (the usual platform alarm level).
pub const SRM_ALPHA: f64 = 0.001;

/// The facts of the item rows that the readiness checks read, counted from item rows
/// ([`DesignFacts::of_log`]) or from per-slate sums (`slate_reduction::read_slate_stats`).
#[derive(Debug, Clone, PartialEq)]
pub struct DesignFacts {
    /// Item rows.
    pub item_rows: usize,
    /// Whether the log has a unit column (else the unit is the slate).
    pub has_unit_column: bool,
    /// Focal rows.
    pub focal_rows: usize,
    /// The most focal items of any slate.
    pub max_focals_per_slate: usize,
    /// Whether every focal item's target is slot 1 (the one-tile design).
    pub every_target_top: bool,
    /// Focal rows of promoted slates.
    pub promoted_focal_rows: usize,
    /// Focal rows of promoted slates shown at their target slot.
    pub promoted_focal_at_target: usize,
    /// Displaced rows of promoted slates.
    pub promoted_displaced_rows: usize,
    /// Displaced rows of promoted slates shown their displacement below their seed position
    /// (one place with one focal item promoted to the top).
    pub promoted_displaced_as_designed: usize,
    /// Same-cluster competitor rows of promoted slates.
    pub promoted_same_cluster_rows: usize,
    /// Same-cluster competitor rows of control slates.
    pub control_same_cluster_rows: usize,
    /// With truth: the largest |known induced lift| over control rows.
    pub control_lift_max: Option<f64>,
}

impl DesignFacts {
    /// The facts of a log's item rows.
    pub fn of_log(log: &ImpressionLog) -> DesignFacts {
        let mut facts = DesignFacts {
            item_rows: log.n_rows(),
            has_unit_column: log.has_unit_column,
            focal_rows: 0,
            max_focals_per_slate: 0,
            every_target_top: log.focal_target.iter().all(|t| *t == 1),
            promoted_focal_rows: 0,
            promoted_focal_at_target: 0,
            promoted_displaced_rows: 0,
            promoted_displaced_as_designed: 0,
            promoted_same_cluster_rows: 0,
            control_same_cluster_rows: 0,
            control_lift_max: log.truth.as_ref().map(|_| 0.0),
        };
        for s in 0..log.n_slates() {
            let promoted = log.promoted[s];
            facts.max_focals_per_slate = facts.max_focals_per_slate.max(log.focals(s).len());
            let mut positions = Vec::new();
            log.promoted_positions(s, &mut positions);
            let start = log.slate_rows(s).start;
            for (r, role) in crate::row_roles(log, s) {
                let shift = i64::from(log.shown_position[r]) - i64::from(log.seed_position[r]);
                let count = |yes: bool| usize::from(yes);
                facts.focal_rows += count(role.is_focal);
                facts.promoted_focal_rows += count(role.is_focal && promoted);
                let as_designed = log.shown_position[r] == positions[r - start];
                facts.promoted_focal_at_target += count(role.is_focal && promoted && as_designed);
                facts.promoted_displaced_rows += count(role.displaced && promoted);
                facts.promoted_displaced_as_designed +=
                    count(role.displaced && promoted && shift == i64::from(role.displacement));
                facts.promoted_same_cluster_rows += count(role.same_cluster && promoted);
                facts.control_same_cluster_rows += count(role.same_cluster && !promoted);
                if let (Some(max), Some(truth), false) =
                    (facts.control_lift_max.as_mut(), &log.truth, promoted)
                {
                    *max = max.max(truth.induced_lift(r, promoted).abs());
                }
            }
        }
        facts
    }
}

/// The checks written to `movielens_interference_exposure_readiness.csv`, from the facts of
/// the item rows and the slate table (with the assignment table's focal covariates).
pub fn exposure_readiness(
    facts: &DesignFacts,
    slates: &SlateOutcomes,
) -> Result<Vec<Check>, ExposureError> {
    let n_slates = slates.len();
    let n_rows = facts.item_rows;
    let n_units = slates
        .unit_index
        .iter()
        .max()
        .map_or(0, |u| *u as usize + 1);
    let smallest = slates.slate_size.iter().min().copied().unwrap_or(0);
    let largest = slates.slate_size.iter().max().copied().unwrap_or(0);
    let sizes = if smallest == largest {
        format!("{n_slates} slates x {smallest} items, every slate the same size")
    } else {
        format!("{n_slates} slates of {smallest} to {largest} items")
    };
    let promoted = &slates.promotion_applied;
    let mut unit_promoted = vec![false; n_units];
    for s in 0..n_slates {
        unit_promoted[slates.unit_index[s] as usize] = promoted[s];
    }
    let n_promoted = unit_promoted.iter().filter(|p| **p).count();
    let n_control = n_units - n_promoted;
    let p = slates
        .assignment_probability
        .first()
        .copied()
        .unwrap_or(f64::NAN);
    let logged = slates
        .assignment_probability_logged
        .first()
        .copied()
        .unwrap_or(false);
    let rate = n_promoted as f64 / n_units.max(1) as f64;
    let tolerance = 3.0 * (p * (1.0 - p) / n_units.max(1) as f64).sqrt();
    let has_unit_column = facts.has_unit_column;
    let unit_word = if has_unit_column {
        "units"
    } else {
        "slates (the unit)"
    };
    let focal_positions: Vec<f64> = slates
        .focal_seed_position
        .iter()
        .map(|v| f64::from(*v))
        .collect();
    let position_smd = standardized_difference(&focal_positions, promoted);
    let with_same_cluster = slates
        .n_same_cluster_competitors
        .iter()
        .filter(|n| **n > 0)
        .count();
    let same_cluster_arms = (
        facts.promoted_same_cluster_rows,
        facts.control_same_cluster_rows,
    );
    let n_focal = facts.focal_rows;
    let mut checks = vec![
        Check::new("item_rows", n_rows, sizes, n_rows > 0),
        Check::new("slates", n_slates, "at least 2 slates", n_slates >= 2),
        Check::new(
            "randomization_units",
            format!(
                "{n_units} {unit_word}, {:.2} slates per unit",
                n_slates as f64 / n_units.max(1) as f64
            ),
            if has_unit_column {
                "at least 2 units (the log's unit_id); every estimator clusters by unit"
            } else {
                "at least 2 units; the log has no unit_id, so the unit is the slate"
            },
            n_units >= 2,
        ),
        if facts.max_focals_per_slate <= 1 {
            Check::new(
                "one_focal_per_slate",
                format!("{n_focal}/{n_slates}"),
                "exactly one focal item in every slate",
                n_focal == n_slates,
            )
        } else {
            Check::new(
                "focal_items_per_slate",
                format!(
                    "{n_focal} focal items in {n_slates} slates, at most {} in one",
                    facts.max_focals_per_slate
                ),
                "at least one focal item in every slate",
                n_focal >= n_slates,
            )
        },
        Check::new(
            "assignment_constant_within_slate",
            "enforced when the log is read",
            "promotion_applied identical for every row of a slate",
            true,
        ),
        Check::new(
            "assignment_constant_within_unit",
            if has_unit_column {
                "enforced when the log is read"
            } else {
                "every unit is one slate"
            },
            "promotion_applied identical for every slate of a unit",
            true,
        ),
        Check::new(
            "promotion_rate",
            format!("{rate:.4} ({n_promoted} promoted, {n_control} control {unit_word})"),
            match logged {
                true => {
                    format!("within 3 binomial SEs ({tolerance:.4}) of the design probability {p}")
                }
                false => format!(
                    "the log has no assignment_probability: the observed share {p:.4} is used as the design probability"
                ),
            },
            (rate - p).abs() <= tolerance && n_promoted > 0 && n_control > 0,
        ),
        match logged {
            true => {
                let srm = sample_ratio_mismatch_p(n_promoted, n_control, p);
                Check::new(
                    "sample_ratio_mismatch",
                    format!("p = {srm:.4}"),
                    format!(
                        "chi-square test of {n_promoted} promoted vs {n_control} control {unit_word} against probability {p}: p >= {SRM_ALPHA}"
                    ),
                    srm >= SRM_ALPHA,
                )
            }
            false => Check::new(
                "sample_ratio_mismatch",
                "not testable",
                "needs the design probability (an assignment_probability column)",
                true,
            ),
        },
        Check::new(
            "focal_position_balance",
            format!("{position_smd:.4}"),
            "|standardized mean difference| of focal seed position < 0.1",
            position_smd.abs() < 0.1,
        ),
    ];
    for ((name, level), column) in slates
        .covariates
        .iter()
        .zip(Assignment::focal_covariates(slates)?)
    {
        let smd = standardized_difference(&column.column.values, promoted);
        let value = focal_value_name(name, *level);
        checks.push(Check::new(
            format!("{value}_balance"),
            format!("{smd:.4}"),
            format!(
                "|standardized mean difference| of {} < 0.1",
                value.replace('_', " ")
            ),
            smd.abs() < 0.1,
        ));
    }
    if let Some(control_lift) = facts.control_lift_max {
        checks.push(Check::new(
            "known_lift_zero_in_control",
            format!("{control_lift:e}"),
            "max |known_induced_lift| over control rows is 0",
            control_lift == 0.0,
        ));
    }
    checks.extend([
        // The one-tile design keeps its checks' names and wording.
        match (
            facts.every_target_top && facts.max_focals_per_slate <= 1,
            facts,
        ) {
            (true, f) => Check::new(
                "promoted_focal_at_position_1",
                format!("{}/{}", f.promoted_focal_at_target, f.promoted_focal_rows),
                "every promoted focal item is shown first",
                f.promoted_focal_at_target == f.promoted_focal_rows,
            ),
            (false, f) => Check::new(
                "promoted_focal_at_target",
                format!("{}/{}", f.promoted_focal_at_target, f.promoted_focal_rows),
                "every promoted focal item is shown at its target slot",
                f.promoted_focal_at_target == f.promoted_focal_rows,
            ),
        },
        match (
            facts.every_target_top && facts.max_focals_per_slate <= 1,
            facts,
        ) {
            (true, f) => Check::new(
                "displaced_items_shift_by_one",
                format!(
                    "{}/{}",
                    f.promoted_displaced_as_designed, f.promoted_displaced_rows
                ),
                "every displaced item in a promoted slate moves down exactly one place",
                f.promoted_displaced_as_designed == f.promoted_displaced_rows,
            ),
            (false, f) => Check::new(
                "displaced_items_shift_as_designed",
                format!(
                    "{}/{}",
                    f.promoted_displaced_as_designed, f.promoted_displaced_rows
                ),
                "every displaced item in a promoted slate moves down by its displacement",
                f.promoted_displaced_as_designed == f.promoted_displaced_rows,
            ),
        },
        Check::new(
            "same_cluster_support",
            format!(
                "{:.4} of slates; {} promoted / {} control rows",
                with_same_cluster as f64 / n_slates.max(1) as f64,
                same_cluster_arms.0,
                same_cluster_arms.1
            ),
            "same-cluster competitor rows in both arms",
            same_cluster_arms.0 > 0 && same_cluster_arms.1 > 0,
        ),
    ]);
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case of `tests/reference/srm_reference.py` (scipy's `chisquare`).
    #[test]
    fn srm_p_value_matches_scipy() {
        let text = include_str!("../tests/reference/srm_reference.csv");
        let mut cases = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (promoted, control) = (f[0].parse().unwrap(), f[1].parse().unwrap());
            let (p, want): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
            let got = sample_ratio_mismatch_p(promoted, control, p);
            assert!(
                (got - want).abs() <= 1e-12 * want.max(1e-12),
                "{line}: {got}"
            );
            cases += 1;
        }
        assert_eq!(cases, 5);
    }
}
