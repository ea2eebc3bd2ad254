//! The model matrix: pre-treatment slate features plus the treatment indicator.
//!
//! Only columns fixed before the coin is flipped enter: the focal's seed position and
//! relevance, the slate's relevance profile, its cluster make-up (defined in both arms), the
//! user's rating history, and the focal cluster one-hot encoded. No outcome, expected click,
//! baseline, lift or other oracle column is a feature; [`FEATURES`] is the whole list and a
//! test checks it against the slate-outcomes schema.

use slate_exposure::SlateOutcomes;

/// Numeric feature columns taken from the slate-outcomes table, in matrix order.
pub const FEATURES: [&str; 15] = [
    "focal_seed_position",
    "focal_relevance",
    "n_same_cluster_competitors",
    "n_displaced_items",
    "n_same_cluster_displaced",
    "mean_relevance",
    "max_relevance",
    "min_relevance",
    "relevance_std",
    "top3_mean_relevance",
    "focal_relevance_gap",
    "n_distinct_clusters",
    "focal_cluster_share",
    "user_n_ratings",
    "user_mean_rating",
];

/// The name of the treatment column (the last column of every matrix).
pub const TREATMENT: &str = "promoted";

/// A dense row-major matrix with named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Row-major values.
    pub values: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
    /// Column names.
    pub columns: Vec<String>,
}

impl Matrix {
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.columns.len()
    }

    /// The rows at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Matrix {
        let k = self.cols();
        let mut values = Vec::with_capacity(indices.len() * k);
        for i in indices {
            values.extend_from_slice(&self.values[i * k..(i + 1) * k]);
        }
        Matrix {
            values,
            rows: indices.len(),
            columns: self.columns.clone(),
        }
    }

    /// A copy with the treatment column (the last) set to `promoted` on every row.
    pub fn with_treatment(&self, promoted: bool) -> Matrix {
        let k = self.cols();
        let mut out = self.clone();
        for row in out.values.chunks_mut(k) {
            row[k - 1] = f64::from(u8::from(promoted));
        }
        out
    }

    /// A copy without the treatment column (for propensity models).
    pub fn without_treatment(&self) -> Matrix {
        let k = self.cols();
        let values = self
            .values
            .chunks(k)
            .flat_map(|row| row[..k - 1].iter().copied())
            .collect();
        Matrix {
            values,
            rows: self.rows,
            columns: self.columns[..k - 1].to_vec(),
        }
    }
}

fn numeric(slates: &SlateOutcomes, s: usize) -> [f64; 15] {
    [
        f64::from(slates.focal_seed_position[s]),
        slates.focal_relevance[s],
        f64::from(slates.n_same_cluster_competitors[s]),
        f64::from(slates.n_displaced_items[s]),
        f64::from(slates.n_same_cluster_displaced[s]),
        slates.mean_relevance[s],
        slates.max_relevance[s],
        slates.min_relevance[s],
        slates.relevance_std[s],
        slates.top3_mean_relevance[s],
        slates.focal_relevance_gap[s],
        f64::from(slates.n_distinct_clusters[s]),
        slates.focal_cluster_share[s],
        f64::from(slates.user_n_ratings[s]),
        slates.user_mean_rating[s],
    ]
}

/// The model matrix of every slate: [`FEATURES`], one column per focal cluster (sorted by
/// name), then [`TREATMENT`] as observed.
pub fn slate_matrix(slates: &SlateOutcomes) -> Matrix {
    let mut clusters: Vec<&str> = slates.focal_cluster.iter().map(String::as_str).collect();
    clusters.sort_unstable();
    clusters.dedup();
    let mut columns: Vec<String> = FEATURES.iter().map(|f| f.to_string()).collect();
    columns.extend(clusters.iter().map(|c| format!("focal_cluster={c}")));
    columns.push(TREATMENT.to_string());
    let k = columns.len();
    let mut values = Vec::with_capacity(slates.len() * k);
    for s in 0..slates.len() {
        values.extend_from_slice(&numeric(slates, s));
        values.extend(
            clusters
                .iter()
                .map(|c| f64::from(u8::from(slates.focal_cluster[s] == *c))),
        );
        values.push(f64::from(u8::from(slates.promotion_applied[s])));
    }
    Matrix {
        values,
        rows: slates.len(),
        columns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_is_a_pre_treatment_column_of_the_slate_table() {
        let schema = &slate_exposure::schema::SLATE_OUTCOMES;
        let names: Vec<&str> = schema.columns.iter().map(|c| c.name).collect();
        for feature in FEATURES {
            assert!(names.contains(&feature), "{feature} is not a slate column");
        }
        let leaks = [
            "total_observed_clicks",
            "total_expected_clicks",
            "total_baseline_clicks",
            "total_known_lift",
            "total_expected_clicks_if_promoted",
            "total_expected_clicks_if_control",
            "slate_promotion_effect",
            "focal_observed_click",
            "promotion_applied",
            "assignment_probability",
        ];
        for leak in leaks {
            assert!(names.contains(&leak), "{leak} renamed: update this test");
            assert!(!FEATURES.contains(&leak), "{leak} must not be a feature");
        }
    }

    #[test]
    fn treatment_can_be_set_and_dropped() {
        let m = Matrix {
            values: vec![1.0, 2.0, 0.0, 3.0, 4.0, 1.0],
            rows: 2,
            columns: vec!["a".into(), "b".into(), TREATMENT.into()],
        };
        assert_eq!(
            m.with_treatment(true).values,
            vec![1.0, 2.0, 1.0, 3.0, 4.0, 1.0]
        );
        assert_eq!(m.without_treatment().values, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m.select(&[1]).values, vec![3.0, 4.0, 1.0]);
    }
}
