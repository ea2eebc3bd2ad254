//! Student's t for the Satterthwaite intervals (CR2, Lin's CR2): the two-sided 95% critical
//! value and the two-sided p-value at a given number of degrees of freedom.
//!
//! statrs 0.18's `StudentsT::inverse_cdf` inverts the regularized incomplete beta function
//! (AS 64 with AS 109's Newton steps), which loses accuracy as the degrees of freedom ν grow:
//! up to 6e-13 relative below 3,000, 2.3e-12 near 10⁴, then 6.5e-7 at 3·10⁴, 7e-6 at 10⁵ and
//! 4% at 8·10⁶ (the value drifts *below* the normal quantile), and from about 1.5·10⁷ it does
//! not return. A log whose units number in the millions has Satterthwaite degrees of freedom
//! that large (the 1 B-impression benchmark's 16.7 M units hung there). From
//! [`EXPANSION_FROM`] degrees of freedom on, the quantile is the Cornish–Fisher expansion of t
//! in 1/ν (Abramowitz & Stegun 26.7.5, terms to ν⁻⁴), within 2 ulps of the exact value
//! (`tests/reference/student_t_reference.py`, mpmath at 50 digits). Below it statrs' value is
//! kept (within 6e-13 there), so designs of fewer than 3,000 clusters, the MovieLens runs among
//! them, keep every bit.
//!
//! The p-value is statrs' survival function at every ν. Its error also grows with ν (1.4e-12
//! relative at ν = 10⁴, 1.6e-9 at 10⁷, at |t| = 2, against the same kind of mpmath value), a
//! known limit that ARCHITECTURE's estimate section states.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::EstimateError;

/// The standard normal 97.5% quantile, Φ⁻¹(0.975), rounded to the nearest double (mpmath:
/// 1.95996398454005423552…). The seed's normal intervals keep their `1.96`
/// ([`Z_95`](crate::dim::Z_95)); this is the limit the t quantile tends to.
const NORMAL_97_5: f64 = 1.959_963_984_540_054;

/// The degrees of freedom from which the 97.5% quantile is the expansion, not statrs' inverse.
pub const EXPANSION_FROM: f64 = 3000.0;

/// Student's t with `df` degrees of freedom, for a two-sided 95% interval and its p-value.
#[derive(Debug, Clone, Copy)]
pub struct StudentT {
    df: f64,
    distribution: StudentsT,
}

impl StudentT {
    /// Student's t with `df` degrees of freedom (positive, possibly infinite); `field` names the
    /// estimate in the error for any other value.
    pub fn new(df: f64, field: &'static str) -> Result<StudentT, EstimateError> {
        let distribution = StudentsT::new(0.0, 1.0, df).map_err(|e| EstimateError::Config {
            field,
            message: e.to_string(),
        })?;
        Ok(StudentT { df, distribution })
    }

    /// The 97.5% quantile: the half-width of a two-sided 95% interval in standard errors.
    pub fn critical_95(&self) -> f64 {
        if self.df >= EXPANSION_FROM {
            cornish_fisher_97_5(self.df)
        } else {
            self.distribution.inverse_cdf(0.975)
        }
    }

    /// The two-sided p-value of the statistic `t`.
    pub fn two_sided_p(&self, t: f64) -> f64 {
        2.0 * self.distribution.sf(t.abs())
    }
}

/// The 97.5% quantile of t with `nu` degrees of freedom from its expansion in 1/ν about the
/// normal quantile z (Abramowitz & Stegun 26.7.5): z + g₁/ν + g₂/ν² + g₃/ν³ + g₄/ν⁴, each gₖ a
/// polynomial in z, evaluated by Horner's rule. The first omitted term is of order ν⁻⁵ (under
/// 1e-17 relative from ν = 3,000 on); an infinite ν gives z.
fn cornish_fisher_97_5(nu: f64) -> f64 {
    let z = NORMAL_97_5;
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tests/reference/student_t_reference.csv`: (ν, exact 97.5% quantile) from mpmath.
    fn references() -> Vec<(f64, f64)> {
        let text = include_str!("../tests/reference/student_t_reference.csv");
        text.lines()
            .skip(1)
            .map(|line| {
                let (nu, q) = line.split_once(',').expect("two columns");
                (nu.parse().expect("df"), q.parse().expect("quantile"))
            })
            .collect()
    }

    #[test]
    fn the_quantile_is_within_two_ulps_of_the_exact_one_from_3000_degrees_of_freedom_up() {
        let mut checked = 0;
        for (nu, exact) in references()
            .into_iter()
            .filter(|(nu, _)| *nu >= EXPANSION_FROM)
        {
            let q = StudentT::new(nu, "test").unwrap().critical_95();
            assert!(
                ((q - exact) / exact).abs() <= 2.5e-16,
                "ν = {nu}: {q} against {exact}"
            );
            checked += 1;
        }
        // Up to 10⁹, past where statrs' inverse stops returning (about 1.5·10⁷).
        assert!(checked >= 9);
        let infinite = StudentT::new(f64::INFINITY, "test").unwrap();
        assert_eq!(infinite.critical_95(), NORMAL_97_5);
    }

    #[test]
    fn below_3000_degrees_of_freedom_statrs_quantile_is_kept_and_near_the_exact_one() {
        let mut checked = 0;
        for (nu, exact) in references()
            .into_iter()
            .filter(|(nu, _)| *nu < EXPANSION_FROM)
        {
            let t = StudentT::new(nu, "test").unwrap();
            let statrs = StudentsT::new(0.0, 1.0, nu).unwrap().inverse_cdf(0.975);
            assert_eq!(t.critical_95().to_bits(), statrs.to_bits(), "ν = {nu}");
            assert!(((statrs - exact) / exact).abs() <= 5e-13, "ν = {nu}");
            checked += 1;
        }
        assert!(checked >= 5);
    }

    #[test]
    fn a_degenerate_number_of_degrees_of_freedom_is_an_error_naming_the_estimate() {
        for df in [0.0, -1.0, f64::NAN] {
            let err = StudentT::new(df, "estimate (CR2 degrees of freedom)").unwrap_err();
            assert!(err.to_string().contains("CR2 degrees of freedom"), "{err}");
        }
    }
}
