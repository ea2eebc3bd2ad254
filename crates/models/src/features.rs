//! The model matrix: pre-treatment slate features plus the treatment indicator.
//!
//! Only columns fixed before the coin is flipped enter: the focal's seed position, the slate's
//! cluster make-up (defined in both arms), the features the exposure stage derived from the
//! log's covariates (MovieLens: the focal's relevance, the slate's relevance profile and the
//! user's rating history), and the focal cluster one-hot encoded. No outcome, expected click,
//! baseline, lift or other oracle column is a feature: [`LAYOUT`] is the whole list, in matrix
//! order, and a test checks it against the slate-outcomes schema.

use slate_exposure::{FeatureKind, SlateOutcomes, SlateRows};

use crate::ModelsError;
use crate::learner::Fitted;
use crate::matrix::Matrix;

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

/// The name of the treatment column (the last column of every matrix).
pub const TREATMENT: &str = "promoted";

/// A numeric feature of the matrix: a fixed column of the slate table or a covariate-derived
/// one, read where it lies.
#[derive(Clone, Copy)]
enum Numeric<'a> {
    Fixed(fn(&SlateRows, usize) -> f64),
    Column(&'a [f64]),
}

/// Rows of the matrix built at a time when predicting: a block of 131,072 slates with the 20
/// columns of the scale benchmark's logs is 21 MB, where the 2.5 million test slates of an
/// 8.34 M-slate log were 0.4 GB in one matrix, before the libraries' own copies of it.
pub const PREDICTION_ROWS: usize = 1 << 17;

/// The model matrix of a slate table — the [`LAYOUT`] features, one column per focal cluster
/// (sorted by name), then [`TREATMENT`] as observed — built for the slates a fit or a
/// prediction needs. Held whole it would take 8 bytes per slate and column (1.3 GB at 8.34 M
/// slates and 20 columns), so fits build their (capped) training rows and predictions a block
/// of [`PREDICTION_ROWS`] at a time.
pub struct SlateFeatures<'a> {
    slates: &'a SlateOutcomes,
    numeric: Vec<Numeric<'a>>,
    /// Each slate's focal cluster, as its place among the sorted distinct clusters.
    cluster: Vec<u32>,
    columns: Vec<String>,
    /// Rows per block of [`SlateFeatures::blocks`].
    block_rows: usize,
}

impl<'a> SlateFeatures<'a> {
    /// The features of `slates`.
    pub fn new(slates: &'a SlateOutcomes) -> SlateFeatures<'a> {
        let mut names = Vec::new();
        let mut numeric = Vec::new();
        for entry in LAYOUT {
            match entry {
                Entry::Fixed(name, value) => {
                    names.push(name.to_string());
                    numeric.push(Numeric::Fixed(value));
                }
                Entry::Covariates(kind) => {
                    for f in slates.features.iter().filter(|f| f.kind == kind) {
                        names.push(f.column.name.clone());
                        numeric.push(Numeric::Column(&f.column.values));
                    }
                }
            }
        }
        // Distinct clusters in sorted order, in one pass (not a sort of every slate's).
        let clusters: Vec<&str> = slates
            .focal_cluster
            .iter()
            .map(|c| &**c)
            .collect::<std::collections::BTreeSet<&str>>()
            .into_iter()
            .collect();
        let cluster = slates
            .focal_cluster
            .iter()
            .map(|c| {
                let place = clusters.binary_search(&&**c);
                place.expect("every focal cluster is listed") as u32
            })
            .collect();
        names.extend(clusters.iter().map(|c| format!("focal_cluster={c}")));
        names.push(TREATMENT.to_string());
        SlateFeatures {
            slates,
            numeric,
            cluster,
            columns: names,
            block_rows: PREDICTION_ROWS,
        }
    }

    /// The same features, predicted `rows` slates at a time (tests: a row's prediction does
    /// not depend on its block).
    pub fn with_block_rows(self, rows: usize) -> SlateFeatures<'a> {
        SlateFeatures {
            block_rows: rows.max(1),
            ..self
        }
    }

    /// Number of slates.
    pub fn len(&self) -> usize {
        self.cluster.len()
    }

    /// Whether there is no slate.
    pub fn is_empty(&self) -> bool {
        self.cluster.is_empty()
    }

    /// The matrix rows of slates `indices`, in that order.
    pub fn rows(&self, indices: &[usize]) -> Matrix {
        let clusters = self.columns.len() - self.numeric.len() - 1;
        let mut values = Vec::with_capacity(indices.len() * self.columns.len());
        for &s in indices {
            values.extend(self.numeric.iter().map(|n| match n {
                Numeric::Fixed(value) => value(&self.slates.rows, s),
                Numeric::Column(column) => column[s],
            }));
            let cluster = self.cluster[s] as usize;
            values.extend((0..clusters).map(|c| f64::from(u8::from(c == cluster))));
            values.push(f64::from(u8::from(self.slates.promotion_applied[s])));
        }
        Matrix {
            values,
            rows: indices.len(),
            columns: self.columns.clone(),
        }
    }

    /// The whole matrix, one row per slate.
    pub fn matrix(&self) -> Matrix {
        self.rows(&(0..self.len()).collect::<Vec<usize>>())
    }

    /// Slates `indices` a block at a time ([`PREDICTION_ROWS`] by default), each block with its
    /// matrix rows.
    pub fn blocks<'s>(
        &'s self,
        indices: &'s [usize],
    ) -> impl Iterator<Item = (&'s [usize], Matrix)> + 's {
        indices
            .chunks(self.block_rows)
            .map(|block| (block, self.rows(block)))
    }

    /// `fitted`'s predictions for slates `indices`, treatment as observed, a block at a time.
    pub fn predict(&self, fitted: &dyn Fitted, indices: &[usize]) -> Result<Vec<f64>, ModelsError> {
        let mut out = Vec::with_capacity(indices.len());
        for (_, block) in self.blocks(indices) {
            out.extend(fitted.predict(&block)?);
        }
        Ok(out)
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
    }
}
