//! Promotion-targeting rules and their evaluation.
//!
//! A rule picks which eligible slates to promote. Its **oracle value** is the known change in
//! expected clicks per 1,000 eligible slates if exactly those slates were promoted:
//! `1000 · mean(π_i · τ_i)` with `τ_i` the simulation's known net effect of promoting slate
//! `i`. Its **AIPW value** is the same quantity estimated from the randomized data alone,
//! `1000 · mean(π_i · ψ_i)` with the cross-fitted AIPW scores `ψ_i`, with an
//! influence-function interval. Rules built from model predictions only use out-of-fold
//! predictions, so no slate is targeted by a model that saw its outcome.

use rand::Rng;
use rand_pcg::Pcg64;

use slate_table::Label;

use crate::ModelsError;
use crate::aipw::clustered_score_mean;
use crate::tables::PolicyRule;

/// One rule's evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyValue {
    /// The rule.
    pub policy: PolicyRule,
    /// Slates promoted.
    pub promoted: usize,
    /// Share of slates promoted.
    pub share_promoted: f64,
    /// Oracle lift per 1,000 eligible slates (with truth only).
    pub oracle_per_1000: Option<f64>,
    /// AIPW estimate per 1,000 eligible slates.
    pub aipw_per_1000: f64,
    /// Its standard error.
    pub aipw_se_per_1000: f64,
    /// 95% interval.
    pub aipw_ci_per_1000: (f64, f64),
}

/// Evaluates `rule` (promote slate `i` when `rule[i]`) against the oracle effects and the AIPW
/// scores (standard error clustered by the slates' units `unit`).
pub fn evaluate(
    policy: PolicyRule,
    rule: &[bool],
    oracle: Option<&[f64]>,
    scores: &[f64],
    unit: &[u32],
) -> Result<PolicyValue, ModelsError> {
    if oracle.is_some_and(|o| o.len() != rule.len())
        || rule.len() != scores.len()
        || rule.is_empty()
    {
        return Err(ModelsError::Shape {
            message: format!(
                "policy `{}`: {} choices, {} oracle effects, {} scores",
                policy.text(),
                rule.len(),
                oracle.map_or(0, <[f64]>::len),
                scores.len()
            ),
        });
    }
    let n = rule.len() as f64;
    let promoted = rule.iter().filter(|p| **p).count();
    // `+ 0.0` turns the empty sum's −0.0 into 0.0.
    let oracle_per_1000 = oracle.map(|oracle| {
        1000.0
            * rule
                .iter()
                .zip(oracle)
                .filter(|(p, _)| **p)
                .map(|(_, t)| t)
                .sum::<f64>()
            / n
            + 0.0
    });
    let masked: Vec<f64> = rule
        .iter()
        .zip(scores)
        .map(|(p, s)| if *p { *s } else { 0.0 })
        .collect();
    let aipw = clustered_score_mean(&masked, unit)?;
    Ok(PolicyValue {
        policy,
        promoted,
        share_promoted: promoted as f64 / n,
        oracle_per_1000,
        aipw_per_1000: 1000.0 * aipw.estimate + 0.0,
        aipw_se_per_1000: 1000.0 * aipw.se,
        aipw_ci_per_1000: (1000.0 * aipw.ci_lower, 1000.0 * aipw.ci_upper),
    })
}

/// Promote where the prediction is positive.
pub fn predicted_positive(predicted: impl IntoIterator<Item = f64>) -> Vec<bool> {
    predicted.into_iter().map(|p| p > 0.0).collect()
}

/// Promote the `share` of slates with the highest predictions (ties broken by lower index).
///
/// The order (prediction descending, then index) is total, so a selection of the first `k`
/// picks exactly the set a full sort would, in linear rather than `n log n` time.
pub fn top_share(predicted: &[f64], share: f64) -> Vec<bool> {
    let n = predicted.len();
    let k = ((share * n as f64).round() as usize).min(n);
    let mut rule = vec![false; n];
    if k == 0 {
        return rule;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.select_nth_unstable_by(k - 1, |a, b| {
        predicted[*b].total_cmp(&predicted[*a]).then(a.cmp(b))
    });
    for i in &order[..k] {
        rule[*i] = true;
    }
    rule
}

/// Promote each slate independently with probability `p` (seeded).
pub fn random_share(n: usize, p: f64, seed: u64) -> Vec<bool> {
    let mut rng = Pcg64::new((u128::from(seed) << 64) | 0x9011C7, 0);
    (0..n).map(|_| rng.random::<f64>() < p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checkable_policy_values() {
        // Four slates: known effects +2, −1, +0.5, −3 clicks per slate.
        let oracle = [2.0, -1.0, 0.5, -3.0];
        let scores = [3.0, -2.0, 1.0, -2.0];
        let all = evaluate(
            PolicyRule::PromoteAll,
            &[true; 4],
            Some(&oracle),
            &scores,
            &[0, 1, 2, 3],
        )
        .unwrap();
        // mean(2, −1, 0.5, −3) = −0.375 → −375 per 1,000.
        assert!((all.oracle_per_1000.unwrap() + 375.0).abs() < 1e-9);
        assert!((all.aipw_per_1000 - 0.0).abs() < 1e-9);
        let best = evaluate(
            PolicyRule::OracleBest,
            &predicted_positive(oracle.iter().copied()),
            Some(&oracle),
            &scores,
            &[0, 1, 2, 3],
        )
        .unwrap();
        // (2 + 0.5) / 4 = 0.625.
        assert!((best.oracle_per_1000.unwrap() - 625.0).abs() < 1e-9);
        assert_eq!(best.promoted, 2);
        assert!((best.share_promoted - 0.5).abs() < 1e-12);
        // AIPW: mean(3, 0, 1, 0) = 1 → 1,000; sd = 1.4142, se = 0.7071 → 707.1.
        assert!((best.aipw_per_1000 - 1000.0).abs() < 1e-9);
        assert!((best.aipw_se_per_1000 - 707.106_781_186_547_5).abs() < 1e-6);
        let none = evaluate(
            PolicyRule::PromoteNone,
            &[false; 4],
            Some(&oracle),
            &scores,
            &[0, 1, 2, 3],
        )
        .unwrap();
        assert_eq!(none.oracle_per_1000, Some(0.0));
        let blind = evaluate(
            PolicyRule::PromoteAll,
            &[true; 4],
            None,
            &scores,
            &[0, 1, 2, 3],
        )
        .unwrap();
        assert_eq!(blind.oracle_per_1000, None);
        assert_eq!(blind.aipw_per_1000, all.aipw_per_1000);
        assert_eq!(none.aipw_per_1000, 0.0);
    }

    #[test]
    fn top_share_picks_the_set_a_full_sort_picks_ties_included() {
        let mut rng = Pcg64::new(7, 0);
        for n in [1usize, 2, 10, 1_000] {
            // Few distinct values: many ties, broken by the lower index.
            let predicted: Vec<f64> = (0..n)
                .map(|_| f64::from(rng.random_range(0..5u8)))
                .collect();
            for share in [0.0, 0.1, 0.25, 0.5, 1.0] {
                let k = (share * n as f64).round() as usize;
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by(|a, b| predicted[*b].total_cmp(&predicted[*a]).then(a.cmp(b)));
                let mut sorted = vec![false; n];
                for i in order.into_iter().take(k) {
                    sorted[i] = true;
                }
                assert_eq!(
                    top_share(&predicted, share),
                    sorted,
                    "n = {n}, share = {share}"
                );
            }
        }
    }

    #[test]
    fn top_share_takes_the_highest_predictions() {
        let predicted = [0.1, 0.9, -0.2, 0.5, 0.9];
        assert_eq!(
            top_share(&predicted, 0.4),
            vec![false, true, false, false, true]
        );
        assert_eq!(top_share(&predicted, 0.0), vec![false; 5]);
    }

    #[test]
    fn random_share_is_seeded() {
        let a = random_share(1000, 0.5, 3);
        assert_eq!(a, random_share(1000, 0.5, 3));
        let share = a.iter().filter(|p| **p).count() as f64 / 1000.0;
        assert!((share - 0.5).abs() < 0.06, "{share}");
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        assert!(
            evaluate(
                PolicyRule::PromoteAll,
                &[true],
                Some(&[1.0, 2.0]),
                &[1.0],
                &[0]
            )
            .is_err()
        );
    }
}
