//! The model matrix: pre-treatment slate features plus the treatment indicator.
//!
//! Only columns fixed before the coin is flipped enter: the focal's seed position, the slate's
//! cluster make-up (defined in both arms), the features the exposure stage derived from the
//! log's covariates (MovieLens: the focal's relevance, the slate's relevance profile and the
//! user's rating history), and the focal cluster one-hot encoded. No outcome, expected click,
//! baseline, lift or other oracle column is a feature: [`LAYOUT`] is the whole list, in matrix
//! order, and a test checks it against the slate-outcomes schema.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use slate_exposure::{Feature, FeatureKind, SlateOutcomes, SlateOutcomesFile, SlateRows};

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

/// One row group's numeric feature columns, in matrix order.
type GroupColumns = Vec<Vec<f64>>;

/// Where the numeric features are read.
enum Values<'a> {
    /// The slate table in memory: each feature read where it lies.
    Memory {
        slates: &'a SlateOutcomes,
        numeric: Vec<Numeric<'a>>,
    },
    /// The slate table on disk, its feature columns read one row group at a time (the last
    /// one read is kept: consecutive blocks of a pass mostly fall in the same group).
    File {
        file: &'a SlateOutcomesFile,
        names: Vec<String>,
        last: Mutex<Option<(usize, Arc<GroupColumns>)>>,
    },
}

/// The model matrix of a slate table — the [`LAYOUT`] features, one column per focal cluster
/// (sorted by name), then [`TREATMENT`] as observed — built for the slates a fit or a
/// prediction needs. Held whole it would take 8 bytes per slate and column (1.3 GB at 8.34 M
/// slates and 20 columns), so fits build their (capped) training rows and predictions a block
/// of [`PREDICTION_ROWS`] at a time. The table may be in memory ([`SlateFeatures::new`]) or
/// on disk ([`SlateFeatures::of_file`]): the same slates give the same matrix, bit for bit.
pub struct SlateFeatures<'a> {
    values: Values<'a>,
    /// Each slate's arm (the treatment column as observed).
    treated: Cow<'a, [bool]>,
    /// Each slate's focal cluster, as its place among the sorted distinct clusters.
    cluster: Cow<'a, [u32]>,
    columns: Vec<String>,
    /// Rows per block of [`SlateFeatures::blocks`].
    block_rows: usize,
}

/// The numeric feature names in [`LAYOUT`] order, with the covariate features `covariates`
/// (name and kind, in the table's order) expanded.
fn numeric_names(covariates: &[(String, FeatureKind)]) -> Vec<String> {
    let mut names = Vec::new();
    for entry in LAYOUT {
        match entry {
            Entry::Fixed(name, _) => names.push(name.to_string()),
            Entry::Covariates(kind) => names.extend(
                covariates
                    .iter()
                    .filter(|(_, k)| *k == kind)
                    .map(|(name, _)| name.clone()),
            ),
        }
    }
    names
}

/// Each slate's focal cluster as its place among the distinct clusters in sorted order, and
/// those clusters.
pub fn cluster_codes<'s>(
    focal_cluster: impl Iterator<Item = &'s str> + Clone,
) -> (Vec<u32>, Vec<String>) {
    // Distinct clusters in sorted order, in one pass (not a sort of every slate's).
    let clusters: Vec<&str> = focal_cluster
        .clone()
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .collect();
    let codes = focal_cluster
        .map(|c| {
            let place = clusters.binary_search(&c);
            place.expect("every focal cluster is listed") as u32
        })
        .collect();
    (codes, clusters.into_iter().map(str::to_string).collect())
}

impl<'a> SlateFeatures<'a> {
    /// The features of `slates`, in memory, with its covariate features `features` (as
    /// [`FeatureColumns::load`](slate_exposure::FeatureColumns::load) gives them).
    pub fn new(slates: &'a SlateOutcomes, features: &'a [Feature]) -> SlateFeatures<'a> {
        let mut numeric = Vec::new();
        for entry in LAYOUT {
            match entry {
                Entry::Fixed(_, value) => numeric.push(Numeric::Fixed(value)),
                Entry::Covariates(kind) => numeric.extend(
                    features
                        .iter()
                        .filter(|f| f.kind == kind)
                        .map(|f| Numeric::Column(&f.column.values)),
                ),
            }
        }
        let kinds: Vec<(String, FeatureKind)> = features
            .iter()
            .map(|f| (f.column.name.clone(), f.kind))
            .collect();
        let (cluster, clusters) = cluster_codes(slates.focal_cluster.iter().map(|c| &**c));
        SlateFeatures {
            values: Values::Memory { slates, numeric },
            treated: Cow::Borrowed(&slates.promotion_applied),
            cluster: Cow::Owned(cluster),
            columns: matrix_columns(&kinds, &clusters),
            block_rows: PREDICTION_ROWS,
        }
    }

    /// The features of the slate table `file` on disk, read a row group at a time, with each
    /// slate's arm `treated` and focal-cluster code `cluster` among `clusters` (sorted; see
    /// [`cluster_codes`]), read beforehand.
    pub fn of_file(
        file: &'a SlateOutcomesFile,
        treated: Vec<bool>,
        cluster: Vec<u32>,
        clusters: &[String],
    ) -> SlateFeatures<'a> {
        let kinds = file.features();
        SlateFeatures {
            values: Values::File {
                file,
                names: numeric_names(&kinds),
                last: Mutex::new(None),
            },
            treated: Cow::Owned(treated),
            cluster: Cow::Owned(cluster),
            columns: matrix_columns(&kinds, clusters),
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
    pub fn rows(&self, indices: &[usize]) -> Result<Matrix, ModelsError> {
        let mut matrices = self.gather(&[indices])?;
        Ok(matrices.pop().unwrap_or_else(|| self.empty()))
    }

    /// A matrix of no rows, with the columns.
    fn empty(&self) -> Matrix {
        Matrix {
            values: Vec::new(),
            rows: 0,
            columns: self.columns.clone(),
        }
    }

    /// The matrix rows of each list of slates in `lists`, each in its order, in one pass over
    /// the table: on disk, each row group is read once for every list together.
    pub fn gather(&self, lists: &[&[usize]]) -> Result<Vec<Matrix>, ModelsError> {
        if let Some(s) = lists
            .iter()
            .flat_map(|l| l.iter())
            .find(|s| **s >= self.len())
        {
            let table = match &self.values {
                Values::Memory { .. } => "the slate table".to_string(),
                Values::File { file, .. } => file.path().display().to_string(),
            };
            return Err(ModelsError::Shape {
                message: format!("slate {s} is beyond the {} slates of {table}", self.len()),
            });
        }
        let numeric = self.numeric_count();
        let clusters = self.columns.len() - numeric - 1;
        let width = self.columns.len();
        let mut matrices: Vec<Matrix> = lists
            .iter()
            .map(|indices| {
                let mut values = vec![0.0; indices.len() * width];
                // The one-hot focal cluster and the treatment: the same wherever the table
                // lies.
                for (row, &s) in values.chunks_mut(width).zip(*indices) {
                    row[numeric + self.cluster[s] as usize] = 1.0;
                    row[numeric + clusters] = f64::from(u8::from(self.treated[s]));
                }
                Matrix {
                    values,
                    rows: indices.len(),
                    columns: self.columns.clone(),
                }
            })
            .collect();
        match &self.values {
            Values::Memory { slates, numeric } => {
                for (matrix, indices) in matrices.iter_mut().zip(lists) {
                    for (row, &s) in matrix.values.chunks_mut(width).zip(*indices) {
                        for (value, n) in row.iter_mut().zip(numeric) {
                            *value = match n {
                                Numeric::Fixed(value) => value(&slates.rows, s),
                                Numeric::Column(column) => column[s],
                            };
                        }
                    }
                }
            }
            Values::File { file, names, last } => {
                // Every wanted row as (slate, list, place in the list), in slate order, so
                // that each row group is read once.
                let mut wanted: Vec<(usize, u32, usize)> = lists
                    .iter()
                    .enumerate()
                    .flat_map(|(l, indices)| {
                        indices
                            .iter()
                            .enumerate()
                            .map(move |(j, s)| (*s, l as u32, j))
                    })
                    .collect();
                if !wanted.is_sorted() {
                    wanted.sort_unstable();
                }
                let groups = file.row_groups();
                let mut next = 0;
                while next < wanted.len() {
                    let s = wanted[next].0;
                    let g = groups.partition_point(|rows| rows.end <= s);
                    let Some(rows) = groups.get(g) else {
                        return Err(ModelsError::Shape {
                            message: format!(
                                "slate {s} is beyond the row groups of {}",
                                file.path().display()
                            ),
                        });
                    };
                    let group = {
                        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                        match &*last {
                            Some((read, columns)) if *read == g => Arc::clone(columns),
                            _ => {
                                let columns = Arc::new(file.f64_columns(names, rows.clone())?);
                                *last = Some((g, Arc::clone(&columns)));
                                columns
                            }
                        }
                    };
                    while next < wanted.len() && wanted[next].0 < rows.end {
                        let (s, l, j) = wanted[next];
                        let at = s - rows.start;
                        let values = &mut matrices[l as usize].values;
                        let row = &mut values[j * width..j * width + numeric];
                        for (value, column) in row.iter_mut().zip(group.iter()) {
                            *value = column[at];
                        }
                        next += 1;
                    }
                }
            }
        }
        Ok(matrices)
    }

    /// Every slate in order, `blocks` blocks of [`PREDICTION_ROWS`] (by default) at a time:
    /// `each` gets the slates and their matrix rows. (Cross-fitting splits each pass among
    /// its folds: as many blocks as folds give each fold's prediction about a block of rows.)
    pub fn for_each_block(
        &self,
        blocks: usize,
        mut each: impl FnMut(Range<usize>, Matrix) -> Result<(), ModelsError>,
    ) -> Result<(), ModelsError> {
        let n = self.len();
        let rows = self.block_rows.saturating_mul(blocks.max(1));
        let mut start = 0;
        while start < n {
            let block = start..(start + rows).min(n);
            let indices: Vec<usize> = block.clone().collect();
            each(block.clone(), self.rows(&indices)?)?;
            start = block.end;
        }
        Ok(())
    }

    /// Numeric (layout) columns of the matrix.
    fn numeric_count(&self) -> usize {
        match &self.values {
            Values::Memory { numeric, .. } => numeric.len(),
            Values::File { names, .. } => names.len(),
        }
    }

    /// The whole matrix, one row per slate.
    pub fn matrix(&self) -> Result<Matrix, ModelsError> {
        self.rows(&(0..self.len()).collect::<Vec<usize>>())
    }

    /// Slates `indices` a block at a time ([`PREDICTION_ROWS`] by default), each block with its
    /// matrix rows.
    pub fn blocks<'s>(
        &'s self,
        indices: &'s [usize],
    ) -> impl Iterator<Item = Result<(&'s [usize], Matrix), ModelsError>> + 's {
        indices
            .chunks(self.block_rows)
            .map(|block| Ok((block, self.rows(block)?)))
    }

    /// `fitted`'s predictions for slates `indices`, treatment as observed, a block at a time.
    pub fn predict(&self, fitted: &dyn Fitted, indices: &[usize]) -> Result<Vec<f64>, ModelsError> {
        let mut out = Vec::with_capacity(indices.len());
        for block in self.blocks(indices) {
            let (_, block) = block?;
            out.extend(fitted.predict(&block)?);
        }
        Ok(out)
    }
}

/// The matrix's column names: the numeric features, one per focal cluster, the treatment.
fn matrix_columns(covariates: &[(String, FeatureKind)], clusters: &[String]) -> Vec<String> {
    let mut names = numeric_names(covariates);
    names.extend(clusters.iter().map(|c| format!("focal_cluster={c}")));
    names.push(TREATMENT.to_string());
    names
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
