//! The model matrix: pre-treatment slate features plus the treatment indicator.
//!
//! Only columns fixed before the coin is flipped enter: the focal's seed position, the slate's
//! cluster make-up (defined in both arms), the features the exposure stage derived from the
//! log's covariates (MovieLens: the focal's relevance, the slate's relevance profile and the
//! user's rating history), and the focal cluster one-hot encoded. No outcome, expected click,
//! baseline, lift or other oracle column is a feature: [`LAYOUT`] is the whole list, in matrix
//! order, and a test checks it against the slate-outcomes schema.

use slate_exposure::{FeatureKind, SlateOutcomes, SlateRows};

/// One entry of the matrix layout.
#[derive(Clone, Copy)]
pub enum Entry {
    /// A fixed column of the slate table: its name and its value for a slate.
    Fixed(&'static str, fn(&SlateRows, usize) -> f64),
    /// Every covariate-derived feature of this kind, in the slate table's order.
    Covariates(FeatureKind),
}

/// The numeric features in matrix order: the one declaration of what the models see.
pub const LAYOUT: [Entry; 9] = [
    Entry::Fixed("focal_seed_position", |t, s| {
        f64::from(t.focal_seed_position[s])
    }),
    Entry::Covariates(FeatureKind::FocalValue),
    Entry::Fixed("n_same_cluster_competitors", |t, s| {
        f64::from(t.n_same_cluster_competitors[s])
    }),
    Entry::Fixed("n_displaced_items", |t, s| {
        f64::from(t.n_displaced_items[s])
    }),
    Entry::Fixed("n_same_cluster_displaced", |t, s| {
        f64::from(t.n_same_cluster_displaced[s])
    }),
    Entry::Covariates(FeatureKind::Profile),
    Entry::Fixed("n_distinct_clusters", |t, s| {
        f64::from(t.n_distinct_clusters[s])
    }),
    Entry::Fixed("focal_cluster_share", |t, s| t.focal_cluster_share[s]),
    Entry::Covariates(FeatureKind::SlateValue),
];

/// The numeric feature columns of `slates`: names and values, in matrix order.
pub fn numeric_features(slates: &SlateOutcomes) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    for entry in LAYOUT {
        match entry {
            Entry::Fixed(name, value) => out.push((
                name.to_string(),
                (0..slates.len()).map(|s| value(&slates.rows, s)).collect(),
            )),
            Entry::Covariates(kind) => out.extend(
                slates
                    .features
                    .iter()
                    .filter(|f| f.kind == kind)
                    .map(|f| (f.column.name.clone(), f.column.values.clone())),
            ),
        }
    }
    out
}

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

/// The model matrix of every slate: the [`LAYOUT`] features, one column per focal cluster
/// (sorted by name), then [`TREATMENT`] as observed.
pub fn slate_matrix(slates: &SlateOutcomes) -> Matrix {
    // Distinct clusters in sorted order, in one pass (not a sort of every slate's).
    let clusters: Vec<&str> = slates
        .focal_cluster
        .iter()
        .map(|c| &**c)
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .collect();
    let numeric = numeric_features(slates);
    let mut columns: Vec<String> = numeric.iter().map(|(name, _)| name.clone()).collect();
    columns.extend(clusters.iter().map(|c| format!("focal_cluster={c}")));
    columns.push(TREATMENT.to_string());
    let k = columns.len();
    let mut values = Vec::with_capacity(slates.len() * k);
    for s in 0..slates.len() {
        values.extend(numeric.iter().map(|(_, column)| column[s]));
        values.extend(
            clusters
                .iter()
                .map(|c| f64::from(u8::from(&*slates.focal_cluster[s] == *c))),
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
        let truth = &slate_exposure::schema::SLATE_OUTCOMES_TRUTH;
        let names: Vec<&str> = schema
            .columns
            .iter()
            .chain(truth.columns)
            .map(|c| c.name)
            .collect();
        let features: Vec<&str> = LAYOUT
            .iter()
            .filter_map(|e| match e {
                Entry::Fixed(name, _) => Some(*name),
                Entry::Covariates(_) => None,
            })
            .collect();
        for feature in &features {
            assert!(names.contains(feature), "{feature} is not a slate column");
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
            assert!(!features.contains(&leak), "{leak} must not be a feature");
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
