//! Ordinary least squares with non-robust and cluster-robust (CR1) covariance: the general
//! sandwich `(X'X)⁻¹ X'ΩX (X'X)⁻¹`, so covariates can be added to any contrast.
//!
//! Conventions follow statsmodels exactly: the non-robust covariance is `σ² (X'X)⁻¹` with
//! `σ² = RSS / (N − K)`; the cluster covariance (`cov_type="cluster"`) multiplies the sandwich
//! with meat `Σ_g (X_g' e_g)(X_g' e_g)'` by `G/(G−1) · (N−1)/(N−K)`.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use ndarray_linalg::{Eigh, Inverse, UPLO};

use crate::EstimateError;

/// A fitted OLS model. Stores only what everything else derives from: coefficients, the two
/// covariance matrices, and the sample sizes; standard errors are methods.
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    params: Array1<f64>,
    naive_cov: Array2<f64>,
    cluster_cov: Array2<f64>,
    nobs: usize,
    clusters: usize,
}

impl OlsFit {
    /// Fits `y = X β + e` and computes both covariances, clustering on `groups`.
    pub fn fit(
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        groups: &[u32],
    ) -> Result<Self, EstimateError> {
        let (n, k) = x.dim();
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
        if let Some(row) = x
            .axis_iter(Axis(0))
            .position(|r| r.iter().any(|v| !v.is_finite()))
        {
            return Err(EstimateError::NonFinite {
                what: "design matrix".into(),
                row,
            });
        }
        if n <= k {
            return Err(EstimateError::TooFewRows { rows: n, params: k });
        }
        let bread = x.t().dot(&x).inv().map_err(|e| EstimateError::Singular {
            message: e.to_string(),
        })?;
        let params = bread.dot(&x.t().dot(&y));
        let residuals = &y - &x.dot(&params);
        let rss = residuals.dot(&residuals);
        let naive_cov = &bread * (rss / (n - k) as f64);

        // Meat: sum over clusters of the outer product of each cluster's score X_g' e_g.
        let mut scores: BTreeMap<u32, Array1<f64>> = BTreeMap::new();
        for (i, row) in x.axis_iter(Axis(0)).enumerate() {
            scores
                .entry(groups[i])
                .or_insert_with(|| Array1::zeros(k))
                .scaled_add(residuals[i], &row);
        }
        let g = scores.len();
        if g < 2 {
            return Err(EstimateError::SingleCluster { what: "OLS".into() });
        }
        let mut meat = Array2::<f64>::zeros((k, k));
        for score in scores.values() {
            let column = score.view().insert_axis(Axis(1));
            meat += &column.dot(&column.t());
        }
        let correction = (g as f64 / (g - 1) as f64) * ((n - 1) as f64 / (n - k) as f64);
        let cluster_cov = bread.dot(&meat).dot(&bread) * correction;
        Ok(Self {
            params,
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
    let fit = OlsFit::fit(x, y, groups)?;
    let k = x.ncols();
    if contrast.len() != k {
        return Err(EstimateError::LengthMismatch {
            what: format!(
                "contrast has {} entries for {k} coefficients",
                contrast.len()
            ),
        });
    }
    let bread = x.t().dot(&x).inv().map_err(|e| EstimateError::Singular {
        message: e.to_string(),
    })?;
    let residuals = &y - &x.dot(fit.params());
    let mut rows: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        rows.entry(*g).or_default().push(i);
    }
    let b_l = bread.dot(&contrast);
    let mut meat = Array2::<f64>::zeros((k, k));
    let mut w = Array2::<f64>::zeros((k, k));
    let (mut trace, mut q4, mut q2_ubu) = (0.0, 0.0, 0.0);
    for members in rows.values() {
        let first = x.row(members[0]);
        let constant = members.iter().all(|i| x.row(*i) == first);
        let (score, u, qq) = if constant {
            // Every row of the cluster is the same `x` (slate-level treatment): H_gg = h·J, whose
            // eigenvalues are 1 (n − 1 times) and 1 − n·h on the ones vector, so A_g·1 = s·1
            // with s = (1 − n·h)^(−1/2) and no eigendecomposition is needed.
            let n = members.len() as f64;
            let h = first.dot(&bread.dot(&first));
            let rest = 1.0 - n * h;
            let s = if rest > 1e-12 { rest.powf(-0.5) } else { 0.0 };
            let e_sum: f64 = members.iter().map(|i| residuals[*i]).sum();
            let xbl = first.dot(&b_l);
            (
                first.mapv(|v| v * s * e_sum),
                first.mapv(|v| v * n * s * xbl),
                n * (s * xbl).powi(2),
            )
        } else {
            let xg = x.select(Axis(0), members);
            let eg = residuals.select(Axis(0), members);
            let m = Array2::<f64>::eye(members.len()) - xg.dot(&bread).dot(&xg.t());
            let (values, vectors) = m.eigh(UPLO::Lower).map_err(|e| EstimateError::Singular {
                message: e.to_string(),
            })?;
            let scale = values.mapv(|v| if v > 1e-12 { v.powf(-0.5) } else { 0.0 });
            let a = vectors.dot(&Array2::from_diag(&scale)).dot(&vectors.t());
            let q = a.dot(&xg.dot(&b_l));
            (xg.t().dot(&a.dot(&eg)), xg.t().dot(&q), q.dot(&q))
        };
        let column = score.view().insert_axis(Axis(1));
        meat += &column.dot(&column.t());
        let ubu = u.dot(&bread.dot(&u));
        trace += qq - ubu;
        q4 += qq * qq;
        q2_ubu += qq * ubu;
        let u_col = u.view().insert_axis(Axis(1));
        w += &u_col.dot(&u_col.t());
    }
    let bwbw = bread.dot(&w).dot(&bread).dot(&w);
    let sum_squares = q4 - 2.0 * q2_ubu + bwbw.diag().sum();
    Ok(Cr2Fit {
        cov: bread.dot(&meat).dot(&bread),
        df: trace * trace / sum_squares,
    })
}

/// The design matrix `[1, d]` of a difference in means.
pub fn treatment_design(treated: &[bool]) -> Array2<f64> {
    let mut x = Array2::<f64>::ones((treated.len(), 2));
    for (i, d) in treated.iter().enumerate() {
        x[(i, 1)] = f64::from(u8::from(*d));
    }
    x
}
