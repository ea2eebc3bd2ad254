//! Ordinary least squares with non-robust and cluster-robust (CR1) covariance: the general
//! sandwich `(X'X)⁻¹ X'ΩX (X'X)⁻¹`, so covariates can be added to any contrast.
//!
//! Conventions follow statsmodels exactly: the non-robust covariance is `σ² (X'X)⁻¹` with
//! `σ² = RSS / (N − K)`; the cluster covariance (`cov_type="cluster"`) multiplies the sandwich
//! with meat `Σ_g (X_g' e_g)(X_g' e_g)'` by `G/(G−1) · (N−1)/(N−K)`.

use std::collections::HashMap;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use ndarray_linalg::{Eigh, Inverse, UPLO};

use crate::EstimateError;
use crate::dim::ClusterIndex;

/// A fitted OLS model. Stores only what everything else derives from: coefficients, the two
/// covariance matrices, and the sample sizes; standard errors are methods.
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    params: Array1<f64>,
    /// `(X'X)⁻¹`.
    bread: Array2<f64>,
    naive_cov: Array2<f64>,
    cluster_cov: Array2<f64>,
    nobs: usize,
    clusters: usize,
}

/// A regression's design matrix `X`: held whole ([`ArrayView2`]), or built a block of rows at a
/// time when holding it would cost too much memory (Lin's adjustment on millions of rows).
/// [`OlsFit::fit`] and [`cr2_of_fit`] read it only through these methods.
pub trait Design {
    /// Rows and columns.
    fn size(&self) -> (usize, usize);
    /// `X'X` and `X'y`.
    fn gram(&self, y: ArrayView1<f64>) -> (Array2<f64>, Array1<f64>);
    /// `Xβ`.
    fn fitted(&self, params: &Array1<f64>) -> Array1<f64>;
    /// Calls `f` with row `i` (`buffer` holds it when the design builds its rows).
    fn with_row<R>(&self, i: usize, buffer: &mut Vec<f64>, f: impl FnOnce(&[f64]) -> R) -> R;
    /// Rows `members`, in order, as a matrix.
    fn rows_at(&self, members: &[usize]) -> Array2<f64>;
}

impl Design for ArrayView2<'_, f64> {
    fn size(&self) -> (usize, usize) {
        self.dim()
    }

    fn gram(&self, y: ArrayView1<f64>) -> (Array2<f64>, Array1<f64>) {
        (self.t().dot(self), self.t().dot(&y))
    }

    fn fitted(&self, params: &Array1<f64>) -> Array1<f64> {
        self.dot(params)
    }

    fn with_row<R>(&self, i: usize, buffer: &mut Vec<f64>, f: impl FnOnce(&[f64]) -> R) -> R {
        let row = self.row(i);
        match row.to_slice() {
            Some(values) => f(values),
            None => {
                buffer.clear();
                buffer.extend(row.iter());
                f(buffer)
            }
        }
    }

    fn rows_at(&self, members: &[usize]) -> Array2<f64> {
        self.select(Axis(0), members)
    }
}

impl OlsFit {
    /// Fits `y = X β + e` and computes both covariances, clustering on `groups`.
    pub fn fit(x: impl Design, y: ArrayView1<f64>, groups: &[u32]) -> Result<Self, EstimateError> {
        let (n, k) = x.size();
        if y.len() != n || groups.len() != n {
            return Err(EstimateError::LengthMismatch {
                what: format!(
                    "design has {n} rows, outcome {}, groups {}",
                    y.len(),
                    groups.len()
                ),
            });
        }
        if let Some(row) = y.iter().position(|v| !v.is_finite()) {
            return Err(EstimateError::NonFinite {
                what: "outcome".into(),
                row,
            });
        }
        let mut buffer = Vec::new();
        if let Some(row) =
            (0..n).find(|i| x.with_row(*i, &mut buffer, |r| r.iter().any(|v| !v.is_finite())))
        {
            return Err(EstimateError::NonFinite {
                what: "design matrix".into(),
                row,
            });
        }
        if n <= k {
            return Err(EstimateError::TooFewRows { rows: n, params: k });
        }
        let (gram, xy) = x.gram(y);
        let bread = gram.inv().map_err(|e| EstimateError::Singular {
            message: e.to_string(),
        })?;
        let params = bread.dot(&xy);
        // y − Xβ in one vector (the same subtraction per row as `&y - &x.dot(&params)`).
        let mut residuals = x.fitted(&params);
        residuals.zip_mut_with(&y, |r, y| *r = y - *r);
        let rss = residuals.dot(&residuals);
        let naive_cov = &bread * (rss / (n - k) as f64);

        // Meat: sum over clusters (ascending id) of the outer product of each cluster's score
        // X_g' e_g, accumulated in one buffer reused cluster after cluster.
        let runs = ClusterRuns::new(groups);
        let g = runs.len();
        if g < 2 {
            return Err(EstimateError::SingleCluster { what: "OLS".into() });
        }
        let mut score = vec![0.0; k];
        let mut meat = Array2::<f64>::zeros((k, k));
        let mut members_buffer = Vec::new();
        for c in 0..g {
            let members = runs.members(c, &mut members_buffer);
            score.fill(0.0);
            for i in members {
                x.with_row(*i, &mut buffer, |row| {
                    for (s, v) in score.iter_mut().zip(row) {
                        *s += residuals[*i] * v;
                    }
                });
            }
            add_outer(&mut meat, &score, &score);
        }
        let correction = (g as f64 / (g - 1) as f64) * ((n - 1) as f64 / (n - k) as f64);
        let cluster_cov = bread.dot(&meat).dot(&bread) * correction;
        Ok(Self {
            params,
            bread,
            naive_cov,
            cluster_cov,
            nobs: n,
            clusters: g,
        })
    }

    /// Coefficients.
    pub fn params(&self) -> &Array1<f64> {
        &self.params
    }

    /// Non-robust covariance `σ²(X'X)⁻¹`.
    pub fn naive_cov(&self) -> &Array2<f64> {
        &self.naive_cov
    }

    /// Cluster-robust (CR1) covariance.
    pub fn cluster_cov(&self) -> &Array2<f64> {
        &self.cluster_cov
    }

    /// Non-robust standard error of coefficient `j`.
    pub fn naive_se(&self, j: usize) -> f64 {
        self.naive_cov[(j, j)].sqrt()
    }

    /// Cluster-robust standard error of coefficient `j`.
    pub fn cluster_se(&self, j: usize) -> f64 {
        self.cluster_cov[(j, j)].sqrt()
    }

    /// Number of observations.
    pub fn nobs(&self) -> usize {
        self.nobs
    }

    /// Number of clusters.
    pub fn clusters(&self) -> usize {
        self.clusters
    }
}

/// The CR2 (Bell–McCaffrey bias-reduced) cluster-robust covariance and the Satterthwaite
/// degrees of freedom of one linear contrast of the coefficients.
#[derive(Debug, Clone, PartialEq)]
pub struct Cr2Fit {
    /// CR2 covariance of all coefficients.
    pub cov: Array2<f64>,
    /// Bell–McCaffrey / Satterthwaite degrees of freedom for the contrast.
    pub df: f64,
}

impl Cr2Fit {
    /// CR2 standard error of coefficient `j`.
    pub fn se(&self, j: usize) -> f64 {
        self.cov[(j, j)].sqrt()
    }
}

/// CR2: `V = B (Σ_g X_g' A_g e_g e_g' A_g X_g) B` with `B = (X'X)⁻¹` and the adjustment
/// `A_g = (I − H_gg)^(−1/2)` (symmetric inverse square root; eigenvalues ≤ 1e-12 are dropped,
/// the Moore–Penrose convention), and the Satterthwaite degrees of freedom of `contrast`
/// (Imbens & Kolesár 2016): with `q_g = A_g X_g B ℓ` and `u_g = X_g' q_g`, the Gram matrix
/// of the `G_g = (I − H)_{·g} q_g` is `M_gh = δ_gh ‖q_g‖² − u_g' B u_h`, so
/// `df = (Σ_g M_gg)² / Σ_gh M_gh²` is computed in O(N·K²) without any N×N matrix.
pub fn cr2(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    groups: &[u32],
    contrast: ArrayView1<f64>,
) -> Result<Cr2Fit, EstimateError> {
    cr2_of_fit(&OlsFit::fit(x, y, groups)?, x, y, groups, contrast)
}

/// [`cr2`] of a model already fitted to `x`, `y` and `groups` (the fit is not repeated).
pub fn cr2_of_fit(
    fit: &OlsFit,
    x: impl Design,
    y: ArrayView1<f64>,
    groups: &[u32],
    contrast: ArrayView1<f64>,
) -> Result<Cr2Fit, EstimateError> {
    let k = x.size().1;
    if contrast.len() != k {
        return Err(EstimateError::LengthMismatch {
            what: format!(
                "contrast has {} entries for {k} coefficients",
                contrast.len()
            ),
        });
    }
    let bread = &fit.bread;
    let mut residuals = x.fitted(fit.params());
    residuals.zip_mut_with(&y, |r, y| *r = y - *r);
    let runs = ClusterRuns::new(groups);
    let b_l = bread.dot(&contrast);
    let mut meat = Array2::<f64>::zeros((k, k));
    let mut w = Array2::<f64>::zeros((k, k));
    let (mut trace, mut q4, mut q2_ubu) = (0.0, 0.0, 0.0);
    // Constant clusters of the same row and size share everything but their residual sum
    // (`s`, `u`, `qq`, `u'Bu`): computed once per (row, size) with the same operations, so
    // the same bits, instead of once per cluster (a difference in means has two rows).
    let mut shared: HashMap<Vec<u64>, ConstantCluster> = HashMap::new();
    let mut key: Vec<u64> = Vec::with_capacity(k + 1);
    let mut score_of_constant: Vec<f64> = Vec::with_capacity(k);
    let mut buffer = Vec::new();
    let (mut first_values, mut row_buffer) = (Vec::with_capacity(k), Vec::new());
    for c in 0..runs.len() {
        let members = runs.members(c, &mut buffer);
        first_values.clear();
        x.with_row(members[0], &mut row_buffer, |r| {
            first_values.extend_from_slice(r)
        });
        let first = ArrayView1::from(&first_values[..]);
        let constant = members
            .iter()
            .all(|i| x.with_row(*i, &mut row_buffer, |r| r == &first_values[..]));
        if constant {
            // Every row of the cluster is the same `x` (slate-level treatment): H_gg = h·J, whose
            // eigenvalues are 1 (n − 1 times) and 1 − n·h on the ones vector, so A_g·1 = s·1
            // with s = (1 − n·h)^(−1/2) and no eigendecomposition is needed.
            key.clear();
            key.extend(first.iter().map(|v| v.to_bits()));
            key.push(members.len() as u64);
            let of_row = || {
                let n = members.len() as f64;
                let h = first.dot(&bread.dot(&first));
                let rest = 1.0 - n * h;
                let s = if rest > 1e-12 { rest.powf(-0.5) } else { 0.0 };
                let xbl = first.dot(&b_l);
                let u = first.mapv(|v| v * n * s * xbl);
                let ubu = u.dot(&bread.dot(&u));
                ConstantCluster {
                    s,
                    qq: n * (s * xbl).powi(2),
                    ubu,
                    u: u.to_vec(),
                }
            };
            // Rows with covariates are mostly distinct: past a few shapes, no more are kept.
            let computed;
            let cluster = match shared.get(&key) {
                Some(cluster) => cluster,
                None if shared.len() < SHARED_SHAPES => {
                    shared.entry(key.clone()).or_insert(of_row())
                }
                None => {
                    computed = of_row();
                    &computed
                }
            };
            let e_sum: f64 = members.iter().map(|i| residuals[*i]).sum();
            score_of_constant.clear();
            score_of_constant.extend(first.iter().map(|v| v * cluster.s * e_sum));
            add_outer(&mut meat, &score_of_constant, &score_of_constant);
            let (qq, ubu) = (cluster.qq, cluster.ubu);
            trace += qq - ubu;
            q4 += qq * qq;
            q2_ubu += qq * ubu;
            add_outer(&mut w, &cluster.u, &cluster.u);
            continue;
        }
        let (score, u, qq) = {
            let xg = x.rows_at(members);
            let eg = residuals.select(Axis(0), members);
            let m = Array2::<f64>::eye(members.len()) - xg.dot(bread).dot(&xg.t());
            let (values, vectors) = m.eigh(UPLO::Lower).map_err(|e| EstimateError::Singular {
                message: e.to_string(),
            })?;
            let scale = values.mapv(|v| if v > 1e-12 { v.powf(-0.5) } else { 0.0 });
            let a = vectors.dot(&Array2::from_diag(&scale)).dot(&vectors.t());
            let q = a.dot(&xg.dot(&b_l));
            (xg.t().dot(&a.dot(&eg)), xg.t().dot(&q), q.dot(&q))
        };
        let score = score.to_vec();
        add_outer(&mut meat, &score, &score);
        let ubu = u.dot(&bread.dot(&u));
        trace += qq - ubu;
        q4 += qq * qq;
        q2_ubu += qq * ubu;
        let u = u.to_vec();
        add_outer(&mut w, &u, &u);
    }
    let bwbw = bread.dot(&w).dot(bread).dot(&w);
    let sum_squares = q4 - 2.0 * q2_ubu + bwbw.diag().sum();
    Ok(Cr2Fit {
        cov: bread.dot(&meat).dot(bread),
        df: trace * trace / sum_squares,
    })
}

/// Row and size pairs whose shared terms [`cr2_of_fit`] keeps (a difference in means has two
/// rows and a few cluster sizes; a regression with covariates has a row per cluster).
const SHARED_SHAPES: usize = 256;

/// What constant clusters of one row and size share in [`cr2_of_fit`].
struct ConstantCluster {
    /// `(1 − n·h)^(−1/2)`.
    s: f64,
    /// `n·(s·x'Bℓ)²`.
    qq: f64,
    /// `u'Bu`.
    ubu: f64,
    /// `u = x·n·s·x'Bℓ`.
    u: Vec<f64>,
}

/// `m += a·bᵀ`, element by element (each product rounded once, as in a matrix product with an
/// inner dimension of one).
fn add_outer(m: &mut Array2<f64>, a: &[f64], b: &[f64]) {
    for (row, x) in m.rows_mut().into_iter().zip(a) {
        for (cell, y) in row.into_iter().zip(b) {
            *cell += x * y;
        }
    }
}

/// The rows of each cluster, clusters in ascending id order and rows in input order: one
/// sort of the row indices instead of a map of vectors, and no index at all when the rows
/// already come cluster by cluster (each cluster is then a run of rows: a vector of every row's
/// index was 8 bytes a row, 96 MB at 12 M item rows).
struct ClusterRuns {
    /// The row indices in cluster order, when the rows are not already in it.
    order: Option<Vec<usize>>,
    /// Where each cluster starts in that order, and the end.
    starts: Vec<usize>,
}

impl ClusterRuns {
    fn new(groups: &[u32]) -> Self {
        let order = (!groups.is_sorted()).then(|| {
            let mut order: Vec<usize> = (0..groups.len()).collect();
            // Stable: rows of a cluster keep their input order.
            order.sort_by_key(|i| groups[*i]);
            order
        });
        let row = |j: usize| order.as_ref().map_or(j, |o| o[j]);
        let mut starts: Vec<usize> = (0..groups.len())
            .filter(|j| *j == 0 || groups[row(*j)] != groups[row(j - 1)])
            .collect();
        starts.push(groups.len());
        Self { order, starts }
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// The rows of cluster `c` (in `buffer` when the rows come cluster by cluster).
    fn members<'a>(&'a self, c: usize, buffer: &'a mut Vec<usize>) -> &'a [usize] {
        let rows = self.starts[c]..self.starts[c + 1];
        match &self.order {
            Some(order) => &order[rows],
            None => {
                buffer.clear();
                buffer.extend(rows);
                buffer
            }
        }
    }
}

/// CR2 standard error and Satterthwaite degrees of freedom of a difference in means from
/// per-cluster row counts and residual sums alone: [`cr2`] on the design `[1, d]`, whose
/// clusters each lie in one arm, so every cluster takes its closed-form branch. With `N1`, `N0`
/// rows per arm, `B = (X'X)⁻¹ = [[N1, −N1], [−N1, N]] / (N1·N0)`, `h = 1/N_a` for a cluster of
/// arm `a`, and `ℓ = (0, 1)`. Returns `(se, df)`.
pub fn cr2_difference_in_means(
    sample: &crate::dim::Sample,
    treated_mean: f64,
    control_mean: f64,
) -> Result<(f64, f64), EstimateError> {
    // (arm, rows, residual sum) per cluster, in cluster-id order (the index's slots).
    let index = ClusterIndex::new(sample.cluster.iter().copied());
    let mut slots: Vec<Option<(bool, f64, f64)>> = vec![None; index.len()];
    for i in 0..sample.y.len() {
        let d = sample.treated[i];
        let n = sample.rows_of(i);
        let mean = if d { treated_mean } else { control_mean };
        let entry = slots[index.slot(sample.cluster[i])].get_or_insert((d, 0.0, 0.0));
        if entry.0 != d {
            return Err(EstimateError::MixedClusterAssignment {
                cluster: sample.cluster[i],
            });
        }
        entry.1 += n;
        entry.2 += sample.y[i] - n * mean;
    }
    let clusters: Vec<(bool, f64, f64)> = slots.into_iter().flatten().collect();
    let arm_rows = |arm: bool| -> f64 { clusters.iter().filter(|c| c.0 == arm).map(|c| c.1).sum() };
    let (n1, n0) = (arm_rows(true), arm_rows(false));
    if n1 == 0.0 || n0 == 0.0 {
        return Err(EstimateError::EmptyArm {
            what: "CR2".into(),
            arm: if n1 == 0.0 { "treated" } else { "control" },
        });
    }
    let n = n1 + n0;
    let bread = [[1.0 / n0, -1.0 / n0], [-1.0 / n0, n / (n1 * n0)]];
    let quad = |u: [f64; 2]| -> f64 {
        u[0] * (bread[0][0] * u[0] + bread[0][1] * u[1])
            + u[1] * (bread[1][0] * u[0] + bread[1][1] * u[1])
    };
    let mut meat = [[0.0; 2]; 2];
    let mut w = [[0.0; 2]; 2];
    let (mut trace, mut q4, mut q2_ubu) = (0.0, 0.0, 0.0);
    // Clusters of one arm and size share `s`, `u` and `qq` (only the score depends on the
    // residual sum): computed once per (arm, rows), by the same operations, so the same bits
    // (a power per cluster was most of the pass).
    let mut shared: HashMap<(bool, u64), (f64, [f64; 2], f64)> = HashMap::new();
    for (d, rows, e_sum) in &clusters {
        let x = if *d { [1.0, 1.0] } else { [1.0, 0.0] };
        let (s, u, qq) = *shared.entry((*d, rows.to_bits())).or_insert_with(|| {
            let (h, xbl) = if *d {
                (1.0 / n1, 1.0 / n1)
            } else {
                (1.0 / n0, -1.0 / n0)
            };
            let rest = 1.0 - rows * h;
            let s = if rest > 1e-12 { rest.powf(-0.5) } else { 0.0 };
            let u = [x[0] * rows * s * xbl, x[1] * rows * s * xbl];
            (s, u, rows * (s * xbl).powi(2))
        });
        let score = [x[0] * s * e_sum, x[1] * s * e_sum];
        for a in 0..2 {
            for b in 0..2 {
                meat[a][b] += score[a] * score[b];
                w[a][b] += u[a] * u[b];
            }
        }
        let ubu = quad(u);
        trace += qq - ubu;
        q4 += qq * qq;
        q2_ubu += qq * ubu;
    }
    let mul = |a: [[f64; 2]; 2], b: [[f64; 2]; 2]| -> [[f64; 2]; 2] {
        let mut out = [[0.0; 2]; 2];
        for i in 0..2 {
            for j in 0..2 {
                out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j];
            }
        }
        out
    };
    let bw = mul(bread, w);
    let bwbw = mul(bw, bw);
    let sum_squares = q4 - 2.0 * q2_ubu + bwbw[0][0] + bwbw[1][1];
    let cov = mul(mul(bread, meat), bread);
    Ok((cov[1][1].sqrt(), trace * trace / sum_squares))
}

/// The design matrix `[1, d]` of a difference in means.
pub fn treatment_design(treated: &[bool]) -> Array2<f64> {
    let mut x = Array2::<f64>::ones((treated.len(), 2));
    for (i, d) in treated.iter().enumerate() {
        x[(i, 1)] = f64::from(u8::from(*d));
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::{Sample, difference_in_means};

    /// The grouped closed form equals the general CR2 on the rows, units of several groups.
    #[test]
    fn grouped_cr2_equals_the_row_cr2() {
        let mut rows = Sample::default();
        for i in 0..90u32 {
            let unit = i / 7;
            rows.y
                .push(f64::from((i * 37 + 11) % 5) * 0.4 + f64::from(unit % 3) * 0.2);
            rows.treated.push(unit % 2 == 0);
            rows.cluster.push(unit);
        }
        let x = treatment_design(&rows.treated);
        let y = Array1::from(rows.y.clone());
        let full = cr2(
            x.view(),
            y.view(),
            &rows.cluster,
            ndarray::array![0.0, 1.0].view(),
        )
        .unwrap();
        // Groups of up to three rows ("slates"), several per unit.
        let mut groups = Sample::default();
        let mut i = 0;
        while i < rows.y.len() {
            let mut j = i + 1;
            while j < rows.y.len() && j < i + 3 && rows.cluster[j] == rows.cluster[i] {
                j += 1;
            }
            let sum = rows.y[i..j].iter().sum();
            let sq = rows.y[i..j].iter().map(|v| v * v).sum();
            groups.push_group((j - i) as u32, sum, sq, rows.treated[i], rows.cluster[i]);
            i = j;
        }
        let r = difference_in_means(&groups, "c", "o").unwrap();
        let (se, df) = cr2_difference_in_means(&groups, r.treated_mean, r.control_mean).unwrap();
        assert!(
            (se - full.se(1)).abs() <= 1e-12 * se,
            "{se} vs {}",
            full.se(1)
        );
        assert!((df - full.df).abs() <= 1e-9 * df, "{df} vs {}", full.df);
    }
}
