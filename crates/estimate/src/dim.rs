//! Difference in means as OLS of the outcome on a constant and the treatment indicator, with
//! naive and cluster-robust (CR1) standard errors — the seed notebook's `difference_in_means`.
//!
//! The two-column model has closed forms that equal the general sandwich in [`crate::ols`]
//! exactly (tests check both against statsmodels). With `N1`, `N0` rows per arm, arm means
//! `ȳ1`, `ȳ0`, and per-cluster residual sums `E1_g = Σ_{i∈g, d=1} (y_i − ȳ1)`,
//! `E_g = E1_g + Σ_{i∈g, d=0} (y_i − ȳ0)`:
//!
//! ```text
//! estimate  = ȳ1 − ȳ0
//! naive SE² = RSS/(N−2) · N/(N1·N0)
//! CR1 SE²   = G/(G−1) · (N−1)/(N−2) · Σ_g (N·E1_g − N1·E_g)² / (N1·N0)²
//! ```
//!
//! so one pass over the rows gives every number, and the cluster sums are the per-slate
//! sufficient statistics the bootstrap reuses. p-values are two-sided from the standard normal,
//! as statsmodels reports them for cluster covariance.
//!
//! A [`Sample`] holds item rows or groups of rows of one cluster and arm (a slate's rows of
//! one exposure cell, from the per-slate reduction): a group carries its row count, Σy and
//! Σy², which is all these formulas need (`RSS = Σ_groups [Σy² − (Σy)²/n + n·(Σy/n − ȳ)²]`).

use statrs::distribution::{ContinuousCDF, Normal};

use crate::EstimateError;

/// The rows of one contrast: per entry the outcome, treatment indicator and cluster id. An
/// entry is one row, or (when `rows` is filled) a group of rows of one cluster and arm with
/// its row count, outcome sum `y` and sum of squares `y_squared`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Outcome per row, or the outcome sum of a group.
    pub y: Vec<f64>,
    /// Treatment indicator per entry.
    pub treated: Vec<bool>,
    /// Cluster id per entry (the randomization unit).
    pub cluster: Vec<u32>,
    /// Rows per entry; empty when every entry is one row.
    pub rows: Vec<u32>,
    /// Σy² per entry; empty when every entry is one row.
    pub y_squared: Vec<f64>,
}

impl Sample {
    /// Appends a group of `rows` rows of one cluster and arm with outcome sum `sum` and sum of
    /// squares `sum_squared`; a group without rows is skipped. A sample holds rows or groups,
    /// never both: this must not follow row pushes.
    pub fn push_group(
        &mut self,
        rows: u32,
        sum: f64,
        sum_squared: f64,
        treated: bool,
        cluster: u32,
    ) {
        if rows == 0 {
            return;
        }
        debug_assert_eq!(self.rows.len(), self.y.len(), "groups after single rows");
        self.y.push(sum);
        self.y_squared.push(sum_squared);
        self.rows.push(rows);
        self.treated.push(treated);
        self.cluster.push(cluster);
    }

    /// [`Sample::push_group`], adding into the last entry instead when it is a group of the
    /// same cluster and arm: consecutive groups of one unit become one entry (the estimators
    /// see the same rows; only the order of their sums changes).
    pub fn merge_group(
        &mut self,
        rows: u32,
        sum: f64,
        sum_squared: f64,
        treated: bool,
        cluster: u32,
    ) {
        if rows == 0 {
            return;
        }
        let last = self.y.len().wrapping_sub(1);
        if self.cluster.last() == Some(&cluster) && self.treated.last() == Some(&treated) {
            debug_assert_eq!(self.rows.len(), self.y.len(), "groups after single rows");
            self.y[last] += sum;
            self.y_squared[last] += sum_squared;
            self.rows[last] += rows;
        } else {
            self.push_group(rows, sum, sum_squared, treated, cluster);
        }
    }

    /// An empty sample with room for `n` slates' entries: single rows, or with `merge` groups
    /// (see [`Sample::push_slate`]).
    pub fn for_slates(n: usize, merge: bool) -> Sample {
        if merge {
            Sample::with_groups(n)
        } else {
            Sample::with_capacity(n)
        }
    }

    /// Appends one slate's value `y` as a row, or with `merge` as a one-row group merged into
    /// the last entry when that is of the same cluster and arm ([`Sample::merge_group`]).
    pub fn push_slate(&mut self, y: f64, treated: bool, cluster: u32, merge: bool) {
        if merge {
            self.merge_group(1, y, y * y, treated, cluster);
        } else {
            self.y.push(y);
            self.treated.push(treated);
            self.cluster.push(cluster);
        }
    }

    /// An empty sample with room for `n` single-row entries.
    pub fn with_capacity(n: usize) -> Sample {
        Sample {
            y: Vec::with_capacity(n),
            treated: Vec::with_capacity(n),
            cluster: Vec::with_capacity(n),
            ..Sample::default()
        }
    }

    /// An empty sample with room for `n` groups ([`Sample::push_group`]).
    pub fn with_groups(n: usize) -> Sample {
        Sample {
            rows: Vec::with_capacity(n),
            y_squared: Vec::with_capacity(n),
            ..Sample::with_capacity(n)
        }
    }

    /// Gives back the spare capacity its pushes left (up to half of each vector): a sample of
    /// millions of slates is kept through the bootstrap.
    pub fn shrink_to_fit(&mut self) {
        self.y.shrink_to_fit();
        self.treated.shrink_to_fit();
        self.cluster.shrink_to_fit();
        self.rows.shrink_to_fit();
        self.y_squared.shrink_to_fit();
    }

    /// Each entry as (rows, Σy, treated, cluster), in order.
    pub fn entries(&self) -> impl Iterator<Item = (f64, f64, bool, u32)> + '_ {
        self.y
            .iter()
            .zip(&self.treated)
            .zip(&self.cluster)
            .enumerate()
            .map(|(i, ((y, d), id))| (self.rows_of(i), *y, *d, *id))
    }

    /// Whether the entries are groups of rows (else each entry is one row).
    pub fn is_grouped(&self) -> bool {
        !self.rows.is_empty()
    }

    /// Rows of entry `i`.
    #[inline]
    pub fn rows_of(&self, i: usize) -> f64 {
        self.rows.get(i).map_or(1.0, |n| f64::from(*n))
    }

    /// Rows in the sample.
    pub fn n_rows(&self) -> usize {
        if self.is_grouped() {
            self.rows.iter().map(|n| *n as usize).sum()
        } else {
            self.y.len()
        }
    }

    /// Treated rows in the sample.
    pub fn treated_rows(&self) -> usize {
        (0..self.y.len())
            .filter(|i| self.treated[*i])
            .map(|i| self.rows.get(i).map_or(1, |n| *n as usize))
            .sum()
    }

    /// Σ (y − mean)² over the rows of entry `i`, for a mean `mean` of its arm.
    #[inline]
    pub(crate) fn squared_deviation(&self, i: usize, mean: f64) -> f64 {
        match self.rows.get(i) {
            None => (self.y[i] - mean).powi(2),
            Some(n) => {
                let n = f64::from(*n);
                let within = (self.y_squared[i] - self.y[i] * self.y[i] / n).max(0.0);
                within + n * (self.y[i] / n - mean).powi(2)
            }
        }
    }

    /// The sample with `by` subtracted from every treated row's outcome (tests of a null `by`).
    #[cfg(test)]
    pub(crate) fn with_treated_shifted(&self, by: f64) -> Sample {
        let mut out = self.clone();
        for i in 0..out.y.len() {
            if out.treated[i] {
                let n = out.rows_of(i);
                if let Some(sq) = out.y_squared.get_mut(i) {
                    *sq += -2.0 * by * out.y[i] + n * by * by;
                }
                out.y[i] -= n * by;
            }
        }
        out
    }

    /// Checks lengths and finiteness; `what` names the sample in errors.
    pub fn check(&self, what: &str) -> Result<(), EstimateError> {
        let grouped_ok = !self.is_grouped()
            || (self.rows.len() == self.y.len() && self.y_squared.len() == self.y.len());
        if self.y.len() != self.treated.len() || self.y.len() != self.cluster.len() || !grouped_ok {
            return Err(EstimateError::LengthMismatch {
                what: format!(
                    "{what}: {} outcomes, {} treatment flags, {} cluster ids",
                    self.y.len(),
                    self.treated.len(),
                    self.cluster.len()
                ),
            });
        }
        if let Some(row) = self
            .y
            .iter()
            .chain(&self.y_squared)
            .position(|v| !v.is_finite())
            .map(|i| i % self.y.len().max(1))
        {
            return Err(EstimateError::NonFinite {
                what: what.to_string(),
                row,
            });
        }
        Ok(())
    }
}

/// How the uncertainty of an estimate was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// OLS difference in means; naive (non-robust) and cluster-robust CR1 standard errors
    /// (clustered by the sample's clusters: the randomization unit), normal-approximation
    /// p-value and interval from the cluster SE.
    DifferenceInMeansCr1,
}

impl Method {
    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Method::DifferenceInMeansCr1 => "OLS difference in means, cluster-robust CR1",
        }
    }
}

/// The result of a difference in means. Stores what everything derives from; the interval
/// and p-value are methods. What was compared is the caller's to say (a [`crate::contrasts::Contrast`]
/// and its outcome in the estimate tables, a cluster or a position band elsewhere).
#[derive(Debug, Clone, PartialEq)]
pub struct DiffInMeans {
    /// How it was computed.
    pub method: Method,
    /// Treated mean minus control mean.
    pub estimate: f64,
    /// Non-robust OLS standard error.
    pub naive_se: f64,
    /// Cluster-robust (CR1) standard error.
    pub cluster_se: f64,
    /// Mean outcome among treated rows.
    pub treated_mean: f64,
    /// Mean outcome among control rows.
    pub control_mean: f64,
    /// Treated rows.
    pub treated_n: usize,
    /// Control rows.
    pub control_n: usize,
    /// Distinct clusters.
    pub clusters: usize,
}

/// z-value of a two-sided 95% normal interval, as in the seed notebook.
pub const Z_95: f64 = 1.96;

impl DiffInMeans {
    /// `estimate ∓ 1.96 · cluster_se`.
    pub fn ci_95(&self) -> (f64, f64) {
        (
            self.estimate - Z_95 * self.cluster_se,
            self.estimate + Z_95 * self.cluster_se,
        )
    }

    /// Two-sided normal p-value of `estimate / cluster_se`.
    pub fn p_value_cluster(&self) -> f64 {
        two_sided_normal_p(self.estimate / self.cluster_se)
    }

    /// `cluster_se / naive_se`.
    pub fn se_ratio(&self) -> f64 {
        self.cluster_se / self.naive_se
    }
}

/// Two-sided p-value of a z statistic under the standard normal.
pub fn two_sided_normal_p(z: f64) -> f64 {
    let normal = Normal::standard();
    2.0 * normal.sf(z.abs())
}

/// Maps cluster ids to dense slots `0..len`, in ascending id order. Slate ids are dense, so
/// the usual path is a direct lookup table; sparse ids fall back to a sorted list.
#[derive(Debug, Clone)]
pub(crate) struct ClusterIndex {
    /// Lookup table id → slot (u32::MAX = absent), when ids are compact.
    table: Option<Vec<u32>>,
    /// Sorted distinct ids.
    ids: Vec<u32>,
}

impl ClusterIndex {
    /// Indexes the distinct ids among `ids`.
    pub(crate) fn new(ids: impl Iterator<Item = u32> + Clone) -> Self {
        let count = ids.clone().count();
        let max = ids.clone().max().unwrap_or(0) as usize;
        if max <= 4 * count + 1024 {
            let mut present = vec![false; max + 1];
            for id in ids {
                present[id as usize] = true;
            }
            let mut table = vec![u32::MAX; max + 1];
            let mut distinct = Vec::new();
            for (id, here) in present.iter().enumerate() {
                if *here {
                    table[id] = distinct.len() as u32;
                    distinct.push(id as u32);
                }
            }
            Self {
                table: Some(table),
                ids: distinct,
            }
        } else {
            let mut distinct: Vec<u32> = ids.collect();
            distinct.sort_unstable();
            distinct.dedup();
            Self {
                table: None,
                ids: distinct,
            }
        }
    }

    /// Number of distinct clusters.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The slot of an id that was indexed.
    #[inline]
    pub(crate) fn slot(&self, id: u32) -> usize {
        match &self.table {
            Some(table) => table[id as usize] as usize,
            None => self.ids.binary_search(&id).unwrap_or(0),
        }
    }
}

/// Residual sums of one cluster, by arm.
#[derive(Debug, Clone, Copy, Default)]
struct ClusterSums {
    treated: f64,
    control: f64,
}

/// Estimates the difference in means of `sample` with naive and cluster-robust SEs;
/// `contrast` and `outcome` say what is compared in error messages.
pub fn difference_in_means(
    sample: &Sample,
    contrast: &str,
    outcome: &str,
) -> Result<DiffInMeans, EstimateError> {
    let what = format!("{contrast} / {outcome}");
    sample.check(&what)?;
    let (mut n1, mut n0, mut s1, mut s0) = (0usize, 0usize, 0f64, 0f64);
    for (i, (y, d)) in sample.y.iter().zip(&sample.treated).enumerate() {
        let rows = sample.rows.get(i).map_or(1, |n| *n as usize);
        if *d {
            n1 += rows;
            s1 += y;
        } else {
            n0 += rows;
            s0 += y;
        }
    }
    if n1 == 0 || n0 == 0 {
        return Err(EstimateError::EmptyArm {
            what,
            arm: if n1 == 0 { "treated" } else { "control" },
        });
    }
    let (m1, m0) = (s1 / n1 as f64, s0 / n0 as f64);
    let index = ClusterIndex::new(sample.cluster.iter().copied());
    let g = index.len();
    if g < 2 {
        return Err(EstimateError::SingleCluster { what });
    }
    let mut rss = 0.0;
    let mut sums = vec![ClusterSums::default(); g];
    for (i, ((y, d), id)) in sample
        .y
        .iter()
        .zip(&sample.treated)
        .zip(&sample.cluster)
        .enumerate()
    {
        let entry = &mut sums[index.slot(*id)];
        let mean = if *d { m1 } else { m0 };
        let e = y - sample.rows_of(i) * mean;
        rss += sample.squared_deviation(i, mean);
        if *d {
            entry.treated += e;
        } else {
            entry.control += e;
        }
    }
    let n = (n1 + n0) as f64;
    let (f1, f0) = (n1 as f64, n0 as f64);
    // Slots are in ascending cluster-id order, so the sum's order is fixed.
    let meat: f64 = sums
        .iter()
        .map(|s| {
            let score = n * s.treated - f1 * (s.treated + s.control);
            score * score
        })
        .sum();
    let correction = (g as f64 / (g - 1) as f64) * ((n - 1.0) / (n - 2.0));
    let cluster_var = correction * meat / (f1 * f0).powi(2);
    let naive_var = rss / (n - 2.0) * n / (f1 * f0);
    Ok(DiffInMeans {
        method: Method::DifferenceInMeansCr1,
        estimate: m1 - m0,
        naive_se: naive_var.sqrt(),
        cluster_se: cluster_var.sqrt(),
        treated_mean: m1,
        control_mean: m0,
        treated_n: n1,
        control_n: n0,
        clusters: g,
    })
}

/// Appends difference in means `r` to the listed columns of `table`: each column takes the
/// quantity it is named after (`estimate`, `naive_se`, `cluster_se` (also `se`), `ci_95_lower`,
/// `ci_95_upper`, `p_value` / `p_value_cluster`, `treated_mean`, `control_mean`, `treated_n`,
/// `control_n`, `clusters` (also `slates`)). The one place a result meets a table row, so
/// every table computes its interval and p-value the same way.
macro_rules! push_dim {
    ($table:expr, $r:expr, [$($column:ident),+ $(,)?]) => {{
        let r: &$crate::dim::DiffInMeans = $r;
        $( $table.$column.push($crate::dim::dim_value!(r, $column)); )+
    }};
}

/// The quantity of a [`DiffInMeans`] that a column named `$column` holds (see `push_dim!`).
macro_rules! dim_value {
    ($r:ident, estimate) => {
        $r.estimate
    };
    ($r:ident, naive_se) => {
        $r.naive_se
    };
    ($r:ident, cluster_se) => {
        $r.cluster_se
    };
    ($r:ident, se) => {
        $r.cluster_se
    };
    ($r:ident, ci_95_lower) => {
        $r.ci_95().0
    };
    ($r:ident, ci_95_upper) => {
        $r.ci_95().1
    };
    ($r:ident, p_value) => {
        $r.p_value_cluster()
    };
    ($r:ident, p_value_cluster) => {
        $r.p_value_cluster()
    };
    ($r:ident, treated_mean) => {
        $r.treated_mean
    };
    ($r:ident, control_mean) => {
        $r.control_mean
    };
    ($r:ident, treated_n) => {
        $r.treated_n as u32
    };
    ($r:ident, control_n) => {
        $r.control_n as u32
    };
    ($r:ident, clusters) => {
        $r.clusters as u32
    };
    ($r:ident, slates) => {
        $r.clusters as u32
    };
}

pub(crate) use {dim_value, push_dim};

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(y: &[f64], treated: &[bool], cluster: &[u32]) -> Sample {
        Sample {
            y: y.to_vec(),
            treated: treated.to_vec(),
            cluster: cluster.to_vec(),
            ..Sample::default()
        }
    }

    #[test]
    fn merged_groups_add_consecutive_groups_of_one_cluster_and_arm() {
        let mut merged = Sample::default();
        for (rows, sum, squares, treated, cluster) in [
            (2, 1.0, 1.0, true, 7),
            (3, 2.0, 2.0, true, 7),
            (0, 0.0, 0.0, true, 7),
            (1, 1.0, 1.0, false, 7),
            (4, 3.0, 3.0, false, 8),
            (2, 0.0, 0.0, true, 7),
        ] {
            merged.merge_group(rows, sum, squares, treated, cluster);
        }
        assert_eq!(merged.rows, [5, 1, 4, 2]);
        assert_eq!(merged.y, [3.0, 1.0, 3.0, 0.0]);
        assert_eq!(merged.y_squared, [3.0, 1.0, 3.0, 0.0]);
        assert_eq!(merged.treated, [true, false, false, true]);
        assert_eq!(merged.cluster, [7, 7, 8, 7]);
    }

    #[test]
    fn empty_arm_is_an_error() {
        let s = sample(&[1.0, 2.0], &[true, true], &[1, 2]);
        assert!(matches!(
            difference_in_means(&s, "c", "o"),
            Err(EstimateError::EmptyArm { arm: "control", .. })
        ));
    }

    #[test]
    fn single_cluster_is_an_error() {
        let s = sample(&[1.0, 2.0, 3.0], &[true, false, true], &[5, 5, 5]);
        assert!(matches!(
            difference_in_means(&s, "c", "o"),
            Err(EstimateError::SingleCluster { .. })
        ));
    }

    #[test]
    fn nan_outcome_names_the_row() {
        let s = sample(&[1.0, f64::NAN, 3.0], &[true, false, true], &[1, 2, 3]);
        let err = difference_in_means(&s, "Direct focal item", "Observed").unwrap_err();
        assert!(
            matches!(err, EstimateError::NonFinite { row: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("Direct focal item"), "{err}");
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        let s = sample(&[1.0, 2.0], &[true], &[1, 2]);
        assert!(matches!(
            difference_in_means(&s, "c", "o"),
            Err(EstimateError::LengthMismatch { .. })
        ));
    }

    /// Rows collapsed into per-cluster groups give the row estimate and SEs.
    #[test]
    fn groups_of_rows_give_the_row_results() {
        let y = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.5, 2.0];
        let treated = [
            true, true, true, true, false, false, false, false, false, true,
        ];
        let cluster = [1, 1, 2, 3, 4, 4, 4, 5, 6, 3];
        let rows = difference_in_means(&sample(&y, &treated, &cluster), "c", "o").unwrap();
        let mut groups = Sample::default();
        for g in [1u32, 2, 3, 4, 5, 6] {
            let members: Vec<usize> = (0..y.len()).filter(|i| cluster[*i] == g).collect();
            let sum = members.iter().map(|i| y[*i]).sum();
            let sq = members.iter().map(|i| y[*i] * y[*i]).sum();
            groups.push_group(members.len() as u32, sum, sq, treated[members[0]], g);
        }
        let grouped = difference_in_means(&groups, "c", "o").unwrap();
        for (a, b) in [
            (rows.estimate, grouped.estimate),
            (rows.naive_se, grouped.naive_se),
            (rows.cluster_se, grouped.cluster_se),
        ] {
            assert!((a - b).abs() <= 1e-14 * a.abs().max(1.0), "{a} vs {b}");
        }
        assert_eq!((grouped.treated_n, grouped.control_n), (5, 5));
        assert_eq!(grouped.clusters, rows.clusters);
    }

    #[test]
    fn interval_and_p_value_derive_from_the_cluster_se() {
        let s = sample(
            &[1.0, 0.0, 1.0, 1.0, 0.0, 0.0],
            &[true, true, true, false, false, false],
            &[1, 2, 3, 4, 5, 6],
        );
        let r = difference_in_means(&s, "c", "o").unwrap();
        assert!((r.estimate - (2.0 / 3.0 - 1.0 / 3.0)).abs() < 1e-15);
        let (lo, hi) = r.ci_95();
        assert!((hi - lo - 2.0 * 1.96 * r.cluster_se).abs() < 1e-15);
        assert!(r.p_value_cluster() > 0.0 && r.p_value_cluster() < 1.0);
        // statrs' normal tail is accurate to ~1e-10 relative here; statsmodels parity is ≤ 1e-9.
        assert!((two_sided_normal_p(1.959963984540054) - 0.05).abs() < 0.05 * 1e-9);
    }
}
