//! Exposure-readiness checks: is the randomized design intact before anything is estimated?

use slate_table::readiness::Check;

use crate::schema::{ExposureMapping, SlateOutcomes};

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

/// The checks written to `movielens_interference_exposure_readiness.csv`.
pub fn exposure_readiness(mapping: &ExposureMapping, slates: &SlateOutcomes) -> Vec<Check> {
    let n_slates = slates.len();
    let n_rows = mapping.len();
    let sizes_equal = n_rows.is_multiple_of(n_slates.max(1));
    let slate_size = n_rows / n_slates.max(1);
    let promoted = &slates.promotion_applied;
    let n_promoted = promoted.iter().filter(|p| **p).count();
    let p = slates
        .assignment_probability
        .first()
        .copied()
        .unwrap_or(0.5);
    let rate = n_promoted as f64 / n_slates.max(1) as f64;
    let tolerance = 3.0 * (p * (1.0 - p) / n_slates.max(1) as f64).sqrt();
    let focal_positions: Vec<f64> = slates
        .focal_seed_position
        .iter()
        .map(|v| f64::from(*v))
        .collect();
    let position_smd = standardized_difference(&focal_positions, promoted);
    let relevance_smd = standardized_difference(&slates.focal_relevance, promoted);
    let control_lift = (0..n_rows)
        .filter(|r| !mapping.promotion_applied[*r])
        .map(|r| mapping.known_induced_lift[r].abs())
        .fold(0.0, f64::max);
    let promoted_focal_rows: Vec<usize> = (0..n_rows)
        .filter(|r| mapping.is_focal[*r] && mapping.promotion_applied[*r])
        .collect();
    let focal_on_top = promoted_focal_rows
        .iter()
        .filter(|r| mapping.final_position[**r] == 1)
        .count();
    let displaced_rows: Vec<usize> = (0..n_rows)
        .filter(|r| mapping.displaced_by_promotion[*r] && mapping.promotion_applied[*r])
        .collect();
    let shifted_by_one = displaced_rows
        .iter()
        .filter(|r| mapping.position_shift[**r] == 1)
        .count();
    let with_same_cluster = slates
        .n_same_cluster_competitors
        .iter()
        .filter(|n| **n > 0)
        .count();
    let same_cluster_arms = (0..n_rows)
        .filter(|r| mapping.same_cluster_as_focal[*r])
        .fold((0usize, 0usize), |(t, c), r| {
            if mapping.promotion_applied[r] {
                (t + 1, c)
            } else {
                (t, c + 1)
            }
        });
    vec![
        Check::new(
            "item_rows",
            n_rows,
            format!("{n_slates} slates x {slate_size} items, every slate the same size"),
            sizes_equal && n_rows > 0,
        ),
        Check::new("slates", n_slates, "at least 2 slates", n_slates >= 2),
        Check::new(
            "one_focal_per_slate",
            format!(
                "{}/{n_slates}",
                mapping.is_focal.iter().filter(|f| **f).count()
            ),
            "exactly one focal movie in every slate",
            mapping.is_focal.iter().filter(|f| **f).count() == n_slates,
        ),
        Check::new(
            "assignment_constant_within_slate",
            "enforced when mapping",
            "promotion_applied identical for every row of a slate",
            true,
        ),
        Check::new(
            "promotion_rate",
            format!(
                "{rate:.4} ({n_promoted} promoted, {} control)",
                n_slates - n_promoted
            ),
            format!("within 3 binomial SEs ({tolerance:.4}) of the design probability {p}"),
            (rate - p).abs() <= tolerance && n_promoted > 0 && n_promoted < n_slates,
        ),
        Check::new(
            "focal_position_balance",
            format!("{position_smd:.4}"),
            "|standardized mean difference| of focal seed position < 0.1",
            position_smd.abs() < 0.1,
        ),
        Check::new(
            "focal_relevance_balance",
            format!("{relevance_smd:.4}"),
            "|standardized mean difference| of focal relevance < 0.1",
            relevance_smd.abs() < 0.1,
        ),
        Check::new(
            "known_lift_zero_in_control",
            format!("{control_lift:e}"),
            "max |known_induced_lift| over control rows is 0",
            control_lift == 0.0,
        ),
        Check::new(
            "promoted_focal_at_position_1",
            format!("{focal_on_top}/{}", promoted_focal_rows.len()),
            "every promoted focal movie is shown first",
            focal_on_top == promoted_focal_rows.len(),
        ),
        Check::new(
            "displaced_items_shift_by_one",
            format!("{shifted_by_one}/{}", displaced_rows.len()),
            "every displaced item in a promoted slate moves down exactly one place",
            shifted_by_one == displaced_rows.len(),
        ),
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
    ]
}
