//! Multiple-comparison adjustment: Holm's step-down method, as statsmodels'
//! `multipletests(p, method="holm")` computes it (pinned in `tests/statsmodels.rs`).

/// Holm-adjusted p-values, in the order of `p`: with `p` sorted ascending as p₍₁₎ ≤ … ≤ p₍ₘ₎,
/// the adjusted value of p₍ᵢ₎ is maxⱼ≤ᵢ min(1, (m − j + 1)·p₍ⱼ₎). Controls the family-wise
/// error rate under any dependence. Ties keep their input order. A NaN p-value (a test that
/// could not be computed) stays NaN and is not counted in `m`.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|i| !p[*i].is_nan()).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let m = order.len();
    let mut adjusted = vec![f64::NAN; p.len()];
    let mut running = 0.0f64;
    for (rank, i) in order.into_iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case of `tests/reference/holm_reference.py` (statsmodels' `multipletests`).
    #[test]
    fn matches_statsmodels() {
        let text = include_str!("../tests/reference/holm_reference.csv");
        let mut cases: std::collections::BTreeMap<&str, (Vec<f64>, Vec<f64>)> =
            std::collections::BTreeMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let case = cases.entry(f[0]).or_default();
            case.0.push(f[2].parse().unwrap());
            case.1.push(f[3].parse().unwrap());
        }
        assert_eq!(cases.len(), 5);
        for (name, (p, expected)) in cases {
            for (got, want) in holm(&p).iter().zip(&expected) {
                assert!(
                    (got - want).abs() <= 1e-15 * want.max(1e-300),
                    "{name}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn step_down_is_monotone_and_capped() {
        assert_eq!(
            holm(&[0.01, 0.04, 0.03, 0.005]),
            vec![0.03, 0.06, 0.06, 0.02]
        );
        assert_eq!(holm(&[0.5, 0.9]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
        // NaN is not a test: m counts the others, whatever the NaN's sign.
        let with_nan = holm(&[0.01, f64::NAN, 0.04]);
        assert!(with_nan[1].is_nan());
        assert_eq!((with_nan[0], with_nan[2]), (0.02, 0.04));
        assert_eq!(holm(&[0.01, -f64::NAN, 0.04])[2], 0.04);
    }
}
