//! The design's known truth by exposure role, for a log with the truth columns: what a run's
//! calibration looks like, read off the oracle rather than estimated.

use slate_log::ImpressionLog;

use crate::{RowRole, SlateOutcomes, row_roles};

/// The known truth of one exposure role (or of the whole slate).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleTruth {
    /// The role, as the run's log names it.
    pub role: &'static str,
    /// Mean induced lift over the role's rows (the slate totals for the whole slate) in
    /// promoted slates.
    pub known_lift: f64,
    /// Mean click probability (total baseline clicks for the whole slate) in control slates.
    pub control_mean: f64,
}

/// The known truth of a log: each exposure role, then the whole slate.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownTruth {
    /// Focal, same-cluster competitor, displaced item and all non-focal items, in that order.
    pub roles: Vec<RoleTruth>,
    /// The whole slate: total induced lift per promoted slate, total baseline clicks per
    /// control slate.
    pub slate: RoleTruth,
    /// The share of slates with at least one same-cluster competitor.
    pub same_cluster_support: f64,
}

/// The known truth of `log` (whose slate table is `slates`), or `None` without truth columns.
pub fn known_truth(log: &ImpressionLog, slates: &SlateOutcomes) -> Option<KnownTruth> {
    let (Some(truth), Some(slate_truth)) = (&log.truth, &slates.truth) else {
        return None;
    };
    type Keep = fn(RowRole) -> bool;
    let roles: [(&str, Keep); 4] = [
        ("direct focal", |r| r.is_focal),
        ("same-cluster competitor", |r| r.same_cluster),
        ("displaced item", |r| r.displaced),
        ("all non-focal", |r| !r.is_focal),
    ];
    // Per role: the sum and count of the induced lift over promoted rows, and of the baseline
    // over control rows.
    let mut sums = [[(0.0f64, 0usize); 2]; 4];
    for s in 0..log.n_slates() {
        let promoted = log.promoted[s];
        for (r, role) in row_roles(log, s) {
            let value = if promoted {
                truth.induced_lift(r, promoted)
            } else {
                truth.if_control[r]
            };
            for (k, (_, keep)) in roles.iter().enumerate() {
                if keep(role) {
                    let sum = &mut sums[k][usize::from(!promoted)];
                    sum.0 += value;
                    sum.1 += 1;
                }
            }
        }
    }
    let row_mean = |(sum, n): (f64, usize)| sum / n.max(1) as f64;
    let roles = roles
        .iter()
        .zip(sums)
        .map(|((role, _), [lift, control])| RoleTruth {
            role,
            known_lift: row_mean(lift),
            control_mean: row_mean(control),
        })
        .collect();
    let mean = |value: &dyn Fn(usize) -> f64, keep: &dyn Fn(usize) -> bool| {
        let rows: Vec<usize> = (0..slates.len()).filter(|r| keep(*r)).collect();
        rows.iter().map(|r| value(*r)).sum::<f64>() / rows.len().max(1) as f64
    };
    let s = slates;
    let same_cluster_support = s
        .n_same_cluster_competitors
        .iter()
        .filter(|n| **n > 0)
        .count() as f64
        / s.len().max(1) as f64;
    let slate = RoleTruth {
        role: "total slate",
        known_lift: mean(
            &|r| slate_truth.known_lift(r, s.promotion_applied[r]),
            &|r| s.promotion_applied[r],
        ),
        control_mean: mean(&|r| slate_truth.baseline(r), &|r| !s.promotion_applied[r]),
    };
    Some(KnownTruth {
        roles,
        slate,
        same_cluster_support,
    })
}

#[cfg(test)]
mod tests {
    use slate_log::synthetic::{SyntheticConfig, synthetic_log};

    use super::*;

    #[test]
    fn known_truth_matches_the_slate_totals_and_needs_truth_columns() {
        let mut log = synthetic_log(&SyntheticConfig::default(), 3).unwrap();
        let slates = crate::map_exposure(&log).unwrap().slates;
        let truth = known_truth(&log, &slates).unwrap();
        let roles: Vec<&str> = truth.roles.iter().map(|r| r.role).collect();
        assert_eq!(
            roles,
            [
                "direct focal",
                "same-cluster competitor",
                "displaced item",
                "all non-focal"
            ]
        );
        // The focal gains, every other role loses; the slate's lift is the sum over its rows.
        assert!(truth.roles[0].known_lift > 0.0, "{truth:?}");
        assert!(
            truth.roles[1..].iter().all(|r| r.known_lift < 0.0),
            "{truth:?}"
        );
        assert!(truth.slate.known_lift < 0.0, "{truth:?}");
        assert!((0.0..=1.0).contains(&truth.same_cluster_support));
        let promoted: Vec<usize> = (0..slates.len())
            .filter(|s| slates.promotion_applied[*s])
            .collect();
        let lift_rows: f64 = promoted
            .iter()
            .flat_map(|s| row_roles(&log, *s).map(|(r, _)| r).collect::<Vec<_>>())
            .map(|r| log.truth.as_ref().unwrap().induced_lift(r, true))
            .sum();
        assert!((truth.slate.known_lift - lift_rows / promoted.len() as f64).abs() < 1e-12);
        log.truth = None;
        assert_eq!(known_truth(&log, &slates), None);
    }
}
