//! Regression adjustment on pre-treatment covariates (Lin 2013), with cluster-robust
//! inference by the randomization unit.
//!
//! For a contrast's rows with outcome `y`, arm `d` and covariates `x` (measured before
//! assignment), the adjusted effect is the coefficient of `d` in
//!
//! ```text
//! y = a + τ·d + (x − x̄)'β + d·(x − x̄)'γ + e
//! ```
//!
//! fitted by OLS: a separate covariate slope in each arm, covariates centred at their pooled
//! mean so that `τ` is the average effect. Under randomization it is consistent whatever the
//! outcome model, and never less precise asymptotically than the difference in means (Lin 2013,
//! "Agnostic notes on regression adjustments to experimental data"). CUPED is the special case
//! of one pre-period metric and a common slope. Standard errors are CR1 (statsmodels' cluster
//! covariance) and CR2 with Satterthwaite degrees of freedom, both clustered by unit.
//!
//! The covariates of a contrast ([`covariates`]) are pre-treatment facts the log has for every
//! slate: the focal item's seed position and the slate's size, every covariate-derived slate
//! feature (`focal_c`, `mean_c`, ..., slate-level covariates), and for item-row contrasts the
//! row's own seed position and item-level covariates. Columns are standardized; a column that is
//! constant, or (to 1e-7 of its norm) a linear combination of earlier ones within either arm
//! (e.g. `focal_c_gap = max_c − focal_c` on slates ranked by `c`), is dropped, and at most
//! `(min(rows, clusters)/4 − 2)/2` covariates are kept, so small designs do not overfit. A fit
//! that still fails (a singular design) gives no Lin rows rather than stopping the analysis.

use std::borrow::Cow;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::EstimateError;
use crate::contrasts::{Contrast, Items, slate_of_rows};
use crate::dim::Sample;
use crate::ols::{OlsFit, cr2_of_fit};
use slate_exposure::SlateOutcomes;

/// The pre-treatment covariates of a sample, one row per sample row, stored by column: a
/// column the slate table holds as it is (a covariate-derived feature of a slate-level
/// contrast) is borrowed from it, not copied.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariates<'a> {
    /// Column names.
    pub names: Vec<String>,
    /// One column per name, as many values as the sample has rows.
    pub columns: Vec<Cow<'a, [f64]>>,
}

impl Covariates<'_> {
    /// The covariates of a `rows × names.len()` matrix, copied column by column.
    pub fn from_matrix(names: Vec<String>, values: ArrayView2<'_, f64>) -> Covariates<'static> {
        Covariates {
            names,
            columns: values
                .columns()
                .into_iter()
                .map(|c| Cow::Owned(c.to_vec()))
                .collect(),
        }
    }

    /// Rows (the length of every column).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.len())
    }
}

/// A Lin-adjusted difference in means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinFit {
    /// The adjusted effect τ.
    pub estimate: f64,
    /// CR1 standard error clustered by unit (statsmodels' `cov_type="cluster"`).
    pub cr1_se: f64,
    /// CR2 (Bell–McCaffrey) standard error clustered by unit.
    pub cr2_se: f64,
    /// Satterthwaite degrees of freedom of the CR2 t interval.
    pub cr2_df: f64,
    /// Covariates kept (after dropping constant and collinear columns).
    pub covariates: usize,
    /// Rows.
    pub n: usize,
    /// Clusters.
    pub clusters: usize,
}

/// The pre-treatment covariates of `contrast`'s rows, in the row order of
/// [`crate::contrasts::sample`]. Per-slate cells have no item rows: an item-level contrast
/// then gets no rows (its sample is grouped, and Lin needs rows).
pub fn covariates<'a>(
    contrast: Contrast,
    items: Items<'_>,
    slates: &'a SlateOutcomes,
) -> Covariates<'a> {
    let mut names = vec!["focal_seed_position".to_string(), "slate_size".to_string()];
    names.extend(slates.features.iter().map(|f| f.column.name.clone()));
    if contrast.is_slate_level() {
        let mut columns = vec![
            Cow::Owned(
                slates
                    .focal_seed_position
                    .iter()
                    .map(|v| f64::from(*v))
                    .collect(),
            ),
            Cow::Owned(slates.slate_size.iter().map(|v| f64::from(*v)).collect()),
        ];
        columns.extend(
            slates
                .features
                .iter()
                .map(|f| Cow::Borrowed(f.column.values.as_slice())),
        );
        return Covariates { names, columns };
    }
    let Some(mapping) = items.rows() else {
        return Covariates {
            columns: vec![Cow::Owned(Vec::new()); names.len()],
            names,
        };
    };
    names.push("seed_position".into());
    names.extend(mapping.covariates.iter().map(|c| c.name.clone()));
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for (r, s) in slate_of_rows(mapping, slates).enumerate() {
        if contrast.includes(mapping, r) {
            let mut row = [
                f64::from(slates.focal_seed_position[s]),
                f64::from(slates.slate_size[s]),
            ]
            .into_iter()
            .chain(slates.features.iter().map(|f| f.column.values[s]))
            .chain(std::iter::once(f64::from(mapping.seed_position[r])))
            .chain(mapping.covariates.iter().map(|c| c.values[r]));
            for column in &mut columns {
                column.push(row.next().expect("every row has one value per name"));
            }
        }
    }
    Covariates {
        names,
        columns: columns.into_iter().map(Cow::Owned).collect(),
    }
}

/// Share of a centred column's norm that must remain once the columns kept before it are
/// projected out, within each arm; below it the column counts as a combination of them.
const COLLINEAR: f64 = 1e-7;

/// The indices of the columns of `x` kept for the fit, at most `max_columns`, in order: each
/// must keep a residual (after centring and projecting out the columns kept before it) within
/// each arm. The test is relative to the column's own norm, so it does not depend on scale.
fn independent_columns(x: &[Cow<'_, [f64]>], treated: &[bool], max_columns: usize) -> Vec<usize> {
    let arms: Vec<Vec<usize>> = [true, false]
        .iter()
        .map(|arm| (0..treated.len()).filter(|i| treated[*i] == *arm).collect())
        .collect();
    // Orthonormal bases (of centred columns) per arm, built by modified Gram–Schmidt.
    let mut bases: Vec<Vec<Array1<f64>>> = vec![Vec::new(), Vec::new()];
    let mut kept = Vec::new();
    for (j, column) in x.iter().enumerate() {
        if kept.len() == max_columns {
            break;
        }
        let residuals: Vec<Option<Array1<f64>>> = arms
            .iter()
            .zip(&bases)
            .map(|(rows, basis)| {
                let mut v: Array1<f64> = rows.iter().map(|i| column[*i]).collect();
                let mean = v.mean().unwrap_or(0.0);
                v -= mean;
                let norm = v.dot(&v).sqrt();
                for q in basis {
                    let along = q.dot(&v);
                    v.scaled_add(-along, q);
                }
                let rest = v.dot(&v).sqrt();
                (norm > 0.0 && rest > COLLINEAR * norm).then(|| v / rest)
            })
            .collect();
        if let [Some(a), Some(b)] = &residuals[..] {
            bases[0].push(a.clone());
            bases[1].push(b.clone());
            kept.push(j);
        }
    }
    kept
}

/// The Lin-adjusted effect of `sample` given its covariates (one value per sample row in each
/// column), with CR1 and CR2 standard errors. Columns that are constant or collinear
/// within an arm are dropped.
pub fn lin(sample: &Sample, covariates: &Covariates) -> Result<LinFit, EstimateError> {
    let (x, k) = lin_design(sample, covariates)?;
    // A view of the sample's outcomes (a copy was 8 bytes a row).
    let y = ArrayView1::from(&sample.y[..]);
    let fit = OlsFit::fit(x.view(), y.view(), &sample.cluster)?;
    let mut contrast = Array1::<f64>::zeros(x.ncols());
    contrast[1] = 1.0;
    let robust = cr2_of_fit(&fit, x.view(), y.view(), &sample.cluster, contrast.view())?;
    Ok(LinFit {
        estimate: fit.params()[1],
        cr1_se: fit.cluster_se(1),
        cr2_se: robust.se(1),
        cr2_df: robust.df,
        covariates: k,
        n: sample.y.len(),
        clusters: fit.clusters(),
    })
}

/// The Lin-adjusted effect with its CR1 standard error only (no CR2: the power study's
/// cheaper path), and the fit's residual per row scaled by `sqrt((N−1)/(N−K))`, the
/// small-sample factor of statsmodels' CR1, so that residual-based variances do not reward
/// overfitting when the covariates are many for the rows.
pub fn lin_cr1(
    sample: &Sample,
    covariates: &Covariates,
) -> Result<(f64, f64, Vec<f64>), EstimateError> {
    let (x, _) = lin_design(sample, covariates)?;
    // A view of the sample's outcomes (a copy was 8 bytes a row).
    let y = ArrayView1::from(&sample.y[..]);
    let fit = OlsFit::fit(x.view(), y.view(), &sample.cluster)?;
    let (n, k) = x.dim();
    let scale = ((n - 1) as f64 / (n - k) as f64).sqrt();
    let residuals = (&y - &x.dot(fit.params())).mapv(|e| e * scale).to_vec();
    Ok((fit.params()[1], fit.cluster_se(1), residuals))
}

/// The design matrix `[1, d, z, d·z]` of the Lin regression (`z`: the kept covariates,
/// standardized) and the number of kept covariates.
fn lin_design(
    sample: &Sample,
    covariates: &Covariates,
) -> Result<(Array2<f64>, usize), EstimateError> {
    sample.check("Lin adjustment")?;
    if sample.is_grouped() {
        // Row-level covariates (the row's seed position, item covariates) enter per row.
        return Err(EstimateError::NeedsRows {
            what: "Lin adjustment".into(),
        });
    }
    let n = sample.y.len();
    if covariates.columns.iter().any(|c| c.len() != n) {
        return Err(EstimateError::LengthMismatch {
            what: format!(
                "Lin adjustment: {n} sample rows, {} covariate rows",
                covariates.rows()
            ),
        });
    }
    if let Some(row) = covariates
        .columns
        .iter()
        .filter_map(|c| c.iter().position(|v| !v.is_finite()))
        .min()
    {
        return Err(EstimateError::NonFinite {
            what: "a covariate value".into(),
            row,
        });
    }
    // At most a quarter of the rows or clusters as parameters (2 + 2k): beyond that CR1 on the
    // residuals means little, and small designs keep the covariates listed first.
    let clusters = {
        let mut ids = sample.cluster.clone();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    let max_columns = (n.min(clusters) / 4).saturating_sub(2) / 2;
    let kept = independent_columns(&covariates.columns, &sample.treated, max_columns);
    let k = kept.len();
    let mut x = Array2::<f64>::zeros((n, 2 + 2 * k));
    for i in 0..n {
        x[(i, 0)] = 1.0;
        x[(i, 1)] = f64::from(u8::from(sample.treated[i]));
    }
    for (c, j) in kept.iter().enumerate() {
        let column = &covariates.columns[*j];
        // The sum in row order, as ndarray sums a strided column of a row-major matrix (the
        // layout these covariates had before they were stored by column): the same bits.
        let mean = column.iter().fold(0.0, |sum, v| sum + v) / n as f64;
        let sd = ArrayView1::from(&column[..]).std(0.0);
        for i in 0..n {
            let z = (column[i] - mean) / sd;
            x[(i, 2 + c)] = z;
            x[(i, 2 + k + c)] = z * x[(i, 1)];
        }
    }
    Ok((x, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_with(x: &[[f64; 3]]) -> (Sample, Covariates<'static>) {
        let n = x.len();
        let sample = Sample {
            y: (0..n)
                .map(|i| x[i][0] * 0.5 + (i % 3) as f64 * 0.1 + if i % 2 == 0 { 1.0 } else { 0.0 })
                .collect(),
            treated: (0..n).map(|i| i % 2 == 0).collect(),
            cluster: (0..n).map(|i| (i / 2) as u32).collect(),
            ..Sample::default()
        };
        let flat: Vec<f64> = x.iter().flat_map(|r| r.iter().copied()).collect();
        let covariates = Covariates::from_matrix(
            vec!["a".into(), "b".into(), "a_plus_b".into()],
            Array2::from_shape_vec((n, 3), flat).unwrap().view(),
        );
        (sample, covariates)
    }

    #[test]
    fn collinear_and_constant_columns_are_dropped() {
        let x: Vec<[f64; 3]> = (0..80)
            .map(|i| {
                let a = (i as f64 * 0.37).sin();
                let b = (i as f64 * 1.3).cos();
                [a, b, a + b]
            })
            .collect();
        let (sample, covariates) = sample_with(&x);
        assert_eq!(
            independent_columns(&covariates.columns, &sample.treated, 10),
            vec![0, 1]
        );
        let fit = lin(&sample, &covariates).unwrap();
        assert_eq!(fit.covariates, 2);
        assert!(fit.cr1_se > 0.0 && fit.cr2_se > 0.0 && fit.cr2_df > 1.0);
        // A constant column is dropped too.
        let constant: Vec<[f64; 3]> = x.iter().map(|r| [r[0], 2.0, r[1]]).collect();
        let (_, covariates) = sample_with(&constant);
        assert_eq!(
            independent_columns(&covariates.columns, &sample.treated, 10),
            vec![0, 2]
        );
        // Small designs keep the first covariates only: 20 clusters allow one.
        let small: Vec<[f64; 3]> = x[..40].to_vec();
        let (sample, covariates) = sample_with(&small);
        assert_eq!(lin(&sample, &covariates).unwrap().covariates, 1);
    }

    #[test]
    fn without_covariates_it_is_the_difference_in_means() {
        let x: Vec<[f64; 3]> = (0..30).map(|_| [1.0, 1.0, 1.0]).collect();
        let (sample, covariates) = sample_with(&x);
        let fit = lin(&sample, &covariates).unwrap();
        let dim = crate::dim::difference_in_means(&sample, "test", "y").unwrap();
        assert_eq!(fit.covariates, 0);
        assert!((fit.estimate - dim.estimate).abs() < 1e-12);
        assert!((fit.cr1_se - dim.cluster_se).abs() < 1e-12);
    }

    #[test]
    fn mismatched_rows_and_non_finite_covariates_are_errors() {
        let x: Vec<[f64; 3]> = (0..10).map(|i| [i as f64, 0.0, 1.0]).collect();
        let (sample, mut covariates) = sample_with(&x);
        let short = Sample {
            y: sample.y[..9].to_vec(),
            treated: sample.treated[..9].to_vec(),
            cluster: sample.cluster[..9].to_vec(),
            ..Sample::default()
        };
        assert!(matches!(
            lin(&short, &covariates),
            Err(EstimateError::LengthMismatch { .. })
        ));
        covariates.columns[1].to_mut()[4] = f64::NAN;
        assert!(matches!(
            lin(&sample, &covariates),
            Err(EstimateError::NonFinite { row: 4, .. })
        ));
    }
}
