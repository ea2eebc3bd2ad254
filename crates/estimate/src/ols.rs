//! Ordinary least squares with non-robust and cluster-robust (CR1) covariance: the general
//! sandwich `(X'X)⁻¹ X'ΩX (X'X)⁻¹`, so covariates can be added to any contrast.
//!
//! Conventions follow statsmodels exactly: the non-robust covariance is `σ² (X'X)⁻¹` with
//! `σ² = RSS / (N − K)`; the cluster covariance (`cov_type="cluster"`) multiplies the sandwich
//! with meat `Σ_g (X_g' e_g)(X_g' e_g)'` by `G/(G−1) · (N−1)/(N−K)`.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use ndarray_linalg::Inverse;

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

/// The design matrix `[1, d]` of a difference in means.
pub fn treatment_design(treated: &[bool]) -> Array2<f64> {
    let mut x = Array2::<f64>::ones((treated.len(), 2));
    for (i, d) in treated.iter().enumerate() {
        x[(i, 1)] = f64::from(u8::from(*d));
    }
    x
}
