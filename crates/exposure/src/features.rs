//! Slate features derived from the log's covariates, and their names. An item-level covariate
//! `c` gives the focal item's value `focal_c` (with several focal items, their mean) and the
//! slate's profile `mean_c`, `max_c`, `min_c`, `c_std`, `top3_mean_c` and `focal_c_gap` (top
//! seed minus `focal_c`); a slate-level covariate keeps its name. With the MovieLens covariates these are exactly the notebook's
//! `focal_relevance`, `mean_relevance`, ..., `user_n_ratings`, `user_mean_rating`.

use slate_log::{CovariateLevel, ImpressionLog};

use crate::schema::{Feature, FeatureKind, NamedColumn};

/// The features derived from covariate `c`, in column order.
pub fn feature_names(c: &str, level: CovariateLevel) -> Vec<(String, FeatureKind)> {
    match level {
        CovariateLevel::Slate => vec![(c.to_string(), FeatureKind::SlateValue)],
        CovariateLevel::Item => vec![
            (format!("focal_{c}"), FeatureKind::FocalValue),
            (format!("mean_{c}"), FeatureKind::Profile),
            (format!("max_{c}"), FeatureKind::Profile),
            (format!("min_{c}"), FeatureKind::Profile),
            (format!("{c}_std"), FeatureKind::Profile),
            (format!("top3_mean_{c}"), FeatureKind::Profile),
            (format!("focal_{c}_gap"), FeatureKind::Profile),
        ],
    }
}

/// The name of covariate `c`'s focal value (in the assignment table and balance checks).
pub fn focal_value_name(c: &str, level: CovariateLevel) -> String {
    match level {
        CovariateLevel::Slate => c.to_string(),
        CovariateLevel::Item => format!("focal_{c}"),
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// The summaries of one slate's values (in seed order) of an item-level covariate, in the
/// order of [`feature_names`], with the focal items at indexes `focals`.
fn profile(values: &[f64], focals: &[usize]) -> [f64; 7] {
    let focal_value = focals.iter().map(|f| values[*f]).sum::<f64>() / focals.len() as f64;
    let m = mean(values);
    let n = values.len() as f64;
    let variance = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    [
        focal_value,
        m,
        values.iter().copied().fold(f64::MIN, f64::max),
        values.iter().copied().fold(f64::MAX, f64::min),
        variance.sqrt(),
        mean(&values[..values.len().min(3)]),
        values[0] - focal_value,
    ]
}

/// Every covariate's features, one value per slate, covariate by covariate.
pub fn derive(log: &ImpressionLog) -> Vec<Feature> {
    let mut out = Vec::new();
    for covariate in &log.covariates {
        let values = &covariate.column.values;
        let names = feature_names(&covariate.column.name, covariate.level);
        let mut columns: Vec<Vec<f64>> = vec![Vec::with_capacity(log.n_slates()); names.len()];
        let mut focals = Vec::new();
        for s in 0..log.n_slates() {
            let rows = log.slate_rows(s);
            match covariate.level {
                CovariateLevel::Slate => columns[0].push(values[rows.start]),
                CovariateLevel::Item => {
                    focals.clear();
                    focals.extend(log.focals(s).iter().map(|f| f - rows.start));
                    for (column, value) in columns.iter_mut().zip(profile(&values[rows], &focals)) {
                        column.push(value);
                    }
                }
            }
        }
        out.extend(
            names
                .into_iter()
                .zip(columns)
                .map(|((name, kind), values)| Feature {
                    column: NamedColumn { name, values },
                    kind,
                }),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_matches_the_notebook_definitions() {
        let p = profile(&[0.9, 0.5, 0.7, 0.1], &[2]);
        assert_eq!(p[0], 0.7);
        assert!((p[1] - 0.55).abs() < 1e-15);
        assert_eq!((p[2], p[3]), (0.9, 0.1));
        let sd =
            ((0.35f64.powi(2) + 0.05f64.powi(2) + 0.15f64.powi(2) + 0.45f64.powi(2)) / 3.0).sqrt();
        assert!((p[4] - sd).abs() < 1e-15);
        assert!((p[5] - 0.7).abs() < 1e-15);
        assert!((p[6] - 0.2).abs() < 1e-15);
        assert_eq!(
            feature_names("relevance", CovariateLevel::Item)[4].0,
            "relevance_std"
        );
        // Several focal items: their mean, and the gap to it.
        let p = profile(&[0.9, 0.5, 0.7, 0.1], &[2, 3]);
        assert!((p[0] - 0.4).abs() < 1e-15);
        assert!((p[6] - 0.5).abs() < 1e-15);
    }
}
