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
use crate::ols::{Design, OlsFit, cr2_of_fit};
use slate_exposure::{AnalysisSlates, Feature};

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
/// [`crate::contrasts::sample`], with the slates' `features` (as
/// [`FeatureColumns::load`](slate_exposure::FeatureColumns::load) gives them). Per-slate cells
/// have no item rows: an item-level contrast then gets no rows (its sample is grouped, and Lin
/// needs rows).
pub fn covariates<'a>(
    contrast: Contrast,
    items: Items<'_>,
    slates: &AnalysisSlates,
    features: &'a [Feature],
) -> Covariates<'a> {
    let mut names = vec!["focal_seed_position".to_string(), "slate_size".to_string()];
    names.extend(features.iter().map(|f| f.column.name.clone()));
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
            features
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
            .chain(features.iter().map(|f| f.column.values[s]))
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

/// Rows of an arm per block of the QR that [`independent_columns`] reduces each arm to.
const QR_BLOCK_ROWS: usize = 4096;

/// The indices of the columns of `x` kept for the fit, at most `max_columns`, in order: each
/// must keep a residual (after centring and projecting out the columns kept before it) within
/// each arm. The test is relative to the column's own norm, so it does not depend on scale.
///
/// Each arm's centred columns are first reduced to the `k × k` triangular factor `R` of their
/// QR, taken a block of rows at a time (the factor of the rows so far stacked on the next
/// block): `R`'s columns have the centred columns' norms and inner products, so Gram–Schmidt
/// on them decides as on the columns, in memory of `k²` values rather than `k` per row (the
/// orthonormal bases of whole columns were 8 bytes per row and kept column).
fn independent_columns(
    x: &[Cow<'_, [f64]>],
    treated: &[bool],
    max_columns: usize,
) -> Result<Vec<usize>, EstimateError> {
    let k = x.len();
    if k == 0 || max_columns == 0 {
        return Ok(Vec::new());
    }
    let factors = [true, false]
        .iter()
        .map(|arm| arm_factor(x, treated, *arm))
        .collect::<Result<Vec<Array2<f64>>, _>>()?;
    // Orthonormal bases (of R's columns) per arm, built by modified Gram–Schmidt.
    let mut bases: Vec<Vec<Array1<f64>>> = vec![Vec::new(), Vec::new()];
    let mut kept = Vec::new();
    for j in 0..k {
        if kept.len() == max_columns {
            break;
        }
        let residuals: Vec<Option<Array1<f64>>> = factors
            .iter()
            .zip(&bases)
            .map(|(r, basis)| {
                let mut v = r.column(j).to_owned();
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
    Ok(kept)
}

/// The `k × k` triangular factor of the QR of the columns `x` over the rows of arm `arm`, each
/// column centred on its mean in the arm (zero without rows).
fn arm_factor(
    x: &[Cow<'_, [f64]>],
    treated: &[bool],
    arm: bool,
) -> Result<Array2<f64>, EstimateError> {
    use ndarray::{Axis, concatenate};
    use ndarray_linalg::QR;
    let k = x.len();
    let rows = treated.iter().filter(|d| **d == arm).count();
    let means: Vec<f64> = x
        .iter()
        .map(|column| {
            let sum = column
                .iter()
                .zip(treated)
                .filter(|(_, d)| **d == arm)
                .fold(0.0, |sum, (v, _)| sum + v);
            sum / rows.max(1) as f64
        })
        .collect();
    let mut r = Array2::<f64>::zeros((k, k));
    let mut block = Array2::<f64>::zeros((QR_BLOCK_ROWS, k));
    let mut filled = 0;
    let fold = |block: ArrayView2<'_, f64>, r: &mut Array2<f64>| {
        let stacked = concatenate(Axis(0), &[r.view(), block]).expect("k columns each");
        let (_, factor) = stacked.qr().map_err(|e| EstimateError::Singular {
            message: format!("QR of the covariates in an arm: {e}"),
        })?;
        *r = factor;
        Ok::<(), EstimateError>(())
    };
    for i in (0..treated.len()).filter(|i| treated[*i] == arm) {
        for (j, column) in x.iter().enumerate() {
            block[[filled, j]] = column[i] - means[j];
        }
        filled += 1;
        if filled == QR_BLOCK_ROWS {
            fold(block.view(), &mut r)?;
            filled = 0;
        }
    }
    if filled > 0 {
        fold(block.slice_axis(Axis(0), (0..filled).into()), &mut r)?;
    }
    Ok(r)
}

/// The Lin-adjusted effect of `sample` given its covariates (one value per sample row in each
/// column), with CR1 and CR2 standard errors. Columns that are constant or collinear
/// within an arm are dropped.
pub fn lin(sample: &Sample, covariates: &Covariates) -> Result<LinFit, EstimateError> {
    lin_with(sample, covariates, LIN_WHOLE_VALUES, LIN_BLOCK_ROWS)
}

/// Designs of at most this many values (256 MiB) are held whole; larger ones are built
/// [`LIN_BLOCK_ROWS`] rows at a time ([`LinRows`]).
const LIN_WHOLE_VALUES: usize = 1 << 25;

/// Rows per block of a design built in blocks (the last block also takes the rows short of a
/// whole block, so that no block has fewer). A multiple of 4,096: see [`LinRows`]'s `gram`.
const LIN_BLOCK_ROWS: usize = 1 << 16;

/// Whether a design of `n` rows and `columns` columns is held whole: at most `whole_values`
/// values, or no covariate (two columns: a small design, whose `X'y` OpenBLAS sums in another
/// order, see [`LinRows`]'s `gram`).
fn held_whole(n: usize, columns: usize, whole_values: usize) -> bool {
    n * columns <= whole_values || columns <= 2
}

/// [`lin`] holding the design whole when it has at most `whole_values` values, else building it
/// `block_rows` rows at a time. The two give the same bits: see [`LinRows`]'s `gram`.
fn lin_with(
    sample: &Sample,
    covariates: &Covariates,
    whole_values: usize,
    block_rows: usize,
) -> Result<LinFit, EstimateError> {
    let rows = LinRows::new(sample, covariates, block_rows)?;
    // A view of the sample's outcomes (a copy was 8 bytes a row).
    let y = ArrayView1::from(&sample.y[..]);
    let (n, columns) = (&rows).size();
    let mut contrast = Array1::<f64>::zeros(columns);
    contrast[1] = 1.0;
    let (fit, robust) = if held_whole(n, columns, whole_values) {
        let x = rows.matrix(0..n);
        let fit = OlsFit::fit(x.view(), y.view(), &sample.cluster)?;
        let robust = cr2_of_fit(&fit, x.view(), y.view(), &sample.cluster, contrast.view())?;
        (fit, robust)
    } else {
        let fit = OlsFit::fit(&rows, y.view(), &sample.cluster)?;
        let robust = cr2_of_fit(&fit, &rows, y.view(), &sample.cluster, contrast.view())?;
        (fit, robust)
    };
    let k = rows.kept();
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
    lin_cr1_with(sample, covariates, LIN_WHOLE_VALUES, LIN_BLOCK_ROWS)
}

/// [`lin_cr1`] with the design held whole or in blocks as in [`lin_with`].
fn lin_cr1_with(
    sample: &Sample,
    covariates: &Covariates,
    whole_values: usize,
    block_rows: usize,
) -> Result<(f64, f64, Vec<f64>), EstimateError> {
    let rows = LinRows::new(sample, covariates, block_rows)?;
    // A view of the sample's outcomes (a copy was 8 bytes a row).
    let y = ArrayView1::from(&sample.y[..]);
    let (n, k) = (&rows).size();
    let (fit, fitted) = if held_whole(n, k, whole_values) {
        let x = rows.matrix(0..n);
        let fit = OlsFit::fit(x.view(), y.view(), &sample.cluster)?;
        let fitted = x.view().fitted(fit.params());
        (fit, fitted)
    } else {
        let fit = OlsFit::fit(&rows, y.view(), &sample.cluster)?;
        let fitted = (&rows).fitted(fit.params());
        (fit, fitted)
    };
    let scale = ((n - 1) as f64 / (n - k) as f64).sqrt();
    let residuals = (&y - &fitted).mapv(|e| e * scale).to_vec();
    Ok((fit.params()[1], fit.cluster_se(1), residuals))
}

/// The design matrix `[1, d, z, d·z]` of the Lin regression (`z`: the kept covariates,
/// standardized), row by row: whole ([`LinRows::matrix`]) or a block of rows at a time, so that a
/// sample of millions of rows need not hold it (11 M item rows × 24 columns were 2.1 GB).
struct LinRows<'a> {
    treated: &'a [bool],
    /// The kept covariates, each with its mean and standard deviation.
    columns: Vec<(&'a [f64], f64, f64)>,
    block_rows: usize,
}

impl<'a> LinRows<'a> {
    fn new(
        sample: &'a Sample,
        covariates: &'a Covariates,
        block_rows: usize,
    ) -> Result<LinRows<'a>, EstimateError> {
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
        let kept = independent_columns(&covariates.columns, &sample.treated, max_columns)?;
        let columns = kept
            .iter()
            .map(|j| {
                let column = &covariates.columns[*j][..];
                // The sum in row order, as ndarray sums a strided column of a row-major matrix
                // (the layout these covariates had before they were stored by column): the same
                // bits.
                let mean = column.iter().fold(0.0, |sum, v| sum + v) / n as f64;
                let sd = ArrayView1::from(column).std(0.0);
                (column, mean, sd)
            })
            .collect();
        debug_assert!(
            block_rows.is_multiple_of(4096),
            "blocks must start on OpenBLAS's panel boundaries (see `gram`)"
        );
        Ok(LinRows {
            treated: &sample.treated,
            columns,
            block_rows: block_rows.max(1),
        })
    }

    /// Covariates kept.
    fn kept(&self) -> usize {
        self.columns.len()
    }

    /// Row `i` into `out` (`2 + 2k` values).
    fn fill(&self, i: usize, out: &mut [f64]) {
        let k = self.columns.len();
        let d = f64::from(u8::from(self.treated[i]));
        out[0] = 1.0;
        out[1] = d;
        for (c, (column, mean, sd)) in self.columns.iter().enumerate() {
            let z = (column[i] - mean) / sd;
            out[2 + c] = z;
            out[2 + k + c] = z * d;
        }
    }

    /// Rows `rows`, in order, as a matrix.
    fn matrix(&self, rows: impl ExactSizeIterator<Item = usize>) -> Array2<f64> {
        let mut x = Array2::<f64>::zeros((rows.len(), 2 + 2 * self.columns.len()));
        for (mut out, i) in x.rows_mut().into_iter().zip(rows) {
            self.fill(
                i,
                out.as_slice_mut()
                    .expect("a row of a new matrix is contiguous"),
            );
        }
        x
    }

    /// The blocks of rows, in order: `block_rows` each, the last one with the rows left over
    /// (between `block_rows` and twice that, or all of them when there are fewer).
    fn blocks(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let n = self.treated.len();
        let blocks = (n / self.block_rows).max(1);
        (0..blocks).map(move |b| {
            let start = b * self.block_rows;
            start..if b + 1 == blocks {
                n
            } else {
                start + self.block_rows
            }
        })
    }
}

impl Design for &LinRows<'_> {
    fn size(&self) -> (usize, usize) {
        (self.treated.len(), 2 + 2 * self.columns.len())
    }

    /// `X'X` and `X'y` with the same bits as [`Design::gram`] of the whole design, which calls
    /// OpenBLAS's `dgemm` and `dgemv` once. This rests on how OpenBLAS's Haswell kernels order
    /// their sums, with one OpenBLAS thread: the CLI, the Python package and cargo's `[env]`
    /// set both (`OPENBLAS_CORETYPE=Haswell` on a CPU with AVX2 and FMA,
    /// `OPENBLAS_NUM_THREADS=1`), and the unit tests check the bits.
    ///
    /// - `X'X`: `dgemm` adds the products into `C` one panel of rows (of `X`) at a time, a panel
    ///   being 256 rows and the last two sharing what is left. Called once per
    ///   block with `β = 1` after the first (`β = 0`), it makes the same additions to `C` in the
    ///   same order, given blocks whose starts fall on panel boundaries (a multiple of 4,096
    ///   rows) and a last block long enough to hold the last two panels (at least a block).
    /// - `X'y`: `dgemv` adds each group of four rows into `y` in order, which blocks of a multiple
    ///   of four rows keep, except for the last `k mod 4` columns (2 when present: the design
    ///   has an even number of columns). Those it sums over every row in one accumulator, in row
    ///   order, and then adds to `y` once; so does this.
    ///
    /// The unit tests check the bits against the whole design across several blocks.
    fn gram(&self, y: ArrayView1<f64>) -> (Array2<f64>, Array1<f64>) {
        use ndarray::linalg::{general_mat_mul, general_mat_vec_mul};
        let k = self.size().1;
        let tail = k % 4;
        let mut gram = Array2::<f64>::zeros((k, k));
        let mut xy = Array1::<f64>::zeros(k);
        let mut tail_sums = vec![0.0; tail];
        for (b, rows) in self.blocks().enumerate() {
            let x = self.matrix(rows.clone());
            let yb = y.slice_axis(ndarray::Axis(0), ndarray::Slice::from(rows));
            let beta = if b == 0 { 0.0 } else { 1.0 };
            general_mat_mul(1.0, &x.t(), &x, beta, &mut gram);
            general_mat_vec_mul(1.0, &x.t(), &yb, beta, &mut xy);
            for (row, y) in x.rows().into_iter().zip(&yb) {
                for (sum, v) in tail_sums.iter_mut().zip(row.iter().skip(k - tail)) {
                    *sum += v * y;
                }
            }
        }
        for (c, sum) in tail_sums.into_iter().enumerate() {
            xy[k - tail + c] = 0.0 + sum;
        }
        (gram, xy)
    }

    fn fitted(&self, params: &Array1<f64>) -> Array1<f64> {
        let mut fitted = Vec::with_capacity(self.treated.len());
        for rows in self.blocks() {
            fitted.extend(self.matrix(rows).dot(params));
        }
        fitted.into()
    }

    fn with_row<R>(&self, i: usize, buffer: &mut Vec<f64>, f: impl FnOnce(&[f64]) -> R) -> R {
        buffer.resize(self.size().1, 0.0);
        self.fill(i, buffer);
        f(buffer)
    }

    fn rows_at(&self, members: &[usize]) -> Array2<f64> {
        self.matrix(members.iter().copied())
    }
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
            independent_columns(&covariates.columns, &sample.treated, 10).unwrap(),
            vec![0, 1]
        );
        let fit = lin(&sample, &covariates).unwrap();
        assert_eq!(fit.covariates, 2);
        assert!(fit.cr1_se > 0.0 && fit.cr2_se > 0.0 && fit.cr2_df > 1.0);
        // A constant column is dropped too.
        let constant: Vec<[f64; 3]> = x.iter().map(|r| [r[0], 2.0, r[1]]).collect();
        let (_, covariates) = sample_with(&constant);
        assert_eq!(
            independent_columns(&covariates.columns, &sample.treated, 10).unwrap(),
            vec![0, 2]
        );
        // Small designs keep the first covariates only: 20 clusters allow one.
        let small: Vec<[f64; 3]> = x[..40].to_vec();
        let (sample, covariates) = sample_with(&small);
        assert_eq!(lin(&sample, &covariates).unwrap().covariates, 1);
    }

    /// Gram–Schmidt on the whole centred columns of each arm: the selection before the arms
    /// were reduced to their QR factors.
    fn columns_kept_by_whole_columns(x: &[Cow<'_, [f64]>], treated: &[bool]) -> Vec<usize> {
        let mut bases: Vec<Vec<Array1<f64>>> = vec![Vec::new(), Vec::new()];
        let mut kept = Vec::new();
        for (j, column) in x.iter().enumerate() {
            let residuals: Vec<Option<Array1<f64>>> = [true, false]
                .iter()
                .zip(&bases)
                .map(|(arm, basis)| {
                    let mut v: Array1<f64> = (0..treated.len())
                        .filter(|i| treated[*i] == *arm)
                        .map(|i| column[i])
                        .collect();
                    v -= v.mean().unwrap_or(0.0);
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

    /// Over several blocks of rows per arm, the QR factors keep the columns that Gram–Schmidt
    /// on the whole columns keeps: a combination off by 1e-5 of its norm is kept, one off by
    /// 1e-10 dropped (the threshold is 1e-7), as are exact combinations, constants and a
    /// column constant within one arm only.
    #[test]
    fn the_arms_qr_factors_keep_the_columns_whole_columns_keep() {
        let n = 3 * QR_BLOCK_ROWS + 123;
        let treated: Vec<bool> = (0..n).map(|i| (i * 7) % 3 == 0).collect();
        let a: Vec<f64> = (0..n)
            .map(|i| (i as f64 * 0.37).sin() * 40.0 + 7.0)
            .collect();
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 1.3).cos()).collect();
        let noise: Vec<f64> = (0..n).map(|i| (i as f64 * 2.9).sin()).collect();
        let near = |eps: f64| -> Vec<f64> {
            (0..n)
                .map(|i| 2.0 * a[i] - 3.0 * b[i] + eps * 40.0 * noise[i])
                .collect()
        };
        let arm_constant: Vec<f64> = (0..n)
            .map(|i| if treated[i] { 5.0 } else { noise[i] })
            .collect();
        let columns: Vec<Cow<'_, [f64]>> = [
            a.clone(),
            b.clone(),
            near(0.0),
            near(1e-10),
            near(1e-5),
            vec![4.0; n],
            arm_constant,
            (0..n)
                .map(|i| (i as f64 * 0.71).sin() * (i % 5) as f64)
                .collect(),
        ]
        .into_iter()
        .map(Cow::Owned)
        .collect();
        let kept = independent_columns(&columns, &treated, 10).unwrap();
        assert_eq!(kept, [0, 1, 4, 7]);
        assert_eq!(kept, columns_kept_by_whole_columns(&columns, &treated));
        // At most `max_columns`, the first ones.
        assert_eq!(independent_columns(&columns, &treated, 2).unwrap(), [0, 1]);
        assert!(
            independent_columns(&columns, &treated, 0)
                .unwrap()
                .is_empty()
        );
    }

    /// The covariates of [`clustered`]'s samples.
    #[derive(Debug, Clone, Copy)]
    enum Shape {
        /// Three covariates varying by row: 8 columns.
        ThreeByRow,
        /// Two varying by row, the third constant (and dropped): 6 columns, so `X'y`'s last
        /// two are summed apart.
        TwoByRow,
        /// Three constant within each cluster: CR2's constant-cluster branch.
        ThreeByCluster,
    }

    /// A sample of `n` rows in clusters of three (treatment by cluster) with covariates shaped
    /// by `shape`.
    fn clustered(n: usize, shape: Shape) -> (Sample, Covariates<'static>) {
        let x: Vec<[f64; 3]> = (0..n)
            .map(|i| {
                let k = match shape {
                    Shape::ThreeByCluster => i / 3,
                    Shape::ThreeByRow | Shape::TwoByRow => i,
                };
                let t = k as f64;
                let third = match shape {
                    Shape::TwoByRow => 1.0,
                    Shape::ThreeByRow | Shape::ThreeByCluster => ((k * 7919) % 101) as f64,
                };
                [(t * 0.37).sin(), (t * 1.3).cos() * 2.0, third]
            })
            .collect();
        let (mut sample, covariates) = sample_with(&x);
        sample.cluster = (0..n).map(|i| (i / 3) as u32).collect();
        sample.treated = (0..n).map(|i| (i / 3) % 2 == 0).collect();
        sample.y = (0..n)
            .map(|i| {
                let effect = if (i / 3) % 2 == 0 { 0.3 } else { 0.0 };
                x[i][0] * 0.5 - x[i][1] * 0.2 + effect + ((i * 31) % 17) as f64 * 0.01
            })
            .collect();
        (sample, covariates)
    }

    const SHAPES: [(Shape, usize); 3] = [
        (Shape::ThreeByRow, 3),
        (Shape::TwoByRow, 2),
        (Shape::ThreeByCluster, 3),
    ];

    fn bits<'a>(values: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
        values.into_iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn blocks_sum_x_x_x_y_and_x_b_as_the_whole_design_does() {
        for (shape, kept) in SHAPES {
            let (sample, covariates) = clustered(20_001, shape);
            let y = ArrayView1::from(&sample.y[..]);
            let whole = LinRows::new(&sample, &covariates, 1 << 20).unwrap();
            let x = whole.matrix(0..sample.y.len());
            assert_eq!(x.ncols(), 2 + 2 * kept);
            let (gram, xy) = x.view().gram(y);
            let params = Array1::from_shape_fn(x.ncols(), |j| 0.1 * j as f64 - 0.3);
            let fitted = x.view().fitted(&params);
            for block_rows in [4096, 8192] {
                let rows = LinRows::new(&sample, &covariates, block_rows).unwrap();
                let (blocked_gram, blocked_xy) = (&rows).gram(y);
                let what = format!("{shape:?}, blocks of {block_rows} rows");
                assert_eq!(bits(&blocked_gram), bits(&gram), "X'X: {what}");
                assert_eq!(bits(&blocked_xy), bits(&xy), "X'y: {what}");
                assert_eq!(bits(&(&rows).fitted(&params)), bits(&fitted), "Xb: {what}");
            }
        }
    }

    #[test]
    fn a_design_built_in_blocks_gives_the_whole_designs_fit() {
        for (shape, kept) in SHAPES {
            let (sample, covariates) = clustered(20_001, shape);
            let whole = lin_with(&sample, &covariates, usize::MAX, 4096).unwrap();
            assert_eq!(whole.covariates, kept);
            // One block: the clusters' rows (CR1's meat, CR2) come from the rows built on
            // demand instead of the held matrix.
            assert_eq!(lin_with(&sample, &covariates, 0, 1 << 20).unwrap(), whole);
            for block_rows in [4096, 8192] {
                let blocks = lin_with(&sample, &covariates, 0, block_rows).unwrap();
                assert_eq!(blocks, whole, "{shape:?}, blocks of {block_rows} rows");
            }
        }
    }

    #[test]
    fn lin_cr1_on_blocks_gives_the_whole_designs_bits() {
        for (shape, _) in SHAPES {
            let (sample, covariates) = clustered(20_001, shape);
            let whole = lin_cr1_with(&sample, &covariates, usize::MAX, 4096).unwrap();
            let blocks = lin_cr1_with(&sample, &covariates, 0, 4096).unwrap();
            assert_eq!(
                (whole.0.to_bits(), whole.1.to_bits(), bits(&whole.2)),
                (blocks.0.to_bits(), blocks.1.to_bits(), bits(&blocks.2)),
                "{shape:?}"
            );
        }
    }

    #[test]
    fn the_last_block_takes_the_rows_short_of_a_whole_block() {
        let (sample, covariates) = clustered(10_000, Shape::ThreeByRow);
        let rows = LinRows::new(&sample, &covariates, 4096).unwrap();
        assert_eq!(rows.blocks().collect::<Vec<_>>(), [0..4096, 4096..10_000]);
        let rows = LinRows::new(&sample, &covariates, 1 << 20).unwrap();
        let blocks: Vec<_> = rows.blocks().collect();
        assert_eq!((blocks.len(), &blocks[0]), (1, &(0..10_000)));
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
