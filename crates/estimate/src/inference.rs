//! Every uncertainty method for a difference in means, side by side: one place that names the
//! methods and computes their 95% intervals and p-values, shared by the inference-comparison
//! table and the coverage study.

use ndarray::{ArrayView1, array};
use rayon::prelude::*;

use crate::EstimateError;
use crate::adjust::{Covariates, lin};
use crate::bootstrap::{BootstrapDraws, cluster_bootstrap, summarize};
use crate::dim::{DiffInMeans, Sample, Z_95, difference_in_means, two_sided_normal_p};
use crate::ols::{cr2, treatment_design};
use crate::randomization::{Design, randomization_distributions};
use crate::student_t::StudentT;
use crate::wild::{Weights, wild_bootstraps};

/// An uncertainty method. As a label it is the `method_key` column: a stable key that,
/// unlike the method's display label ([`ClusteredMethod`]), does not depend on the clustering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
pub enum InferenceMethod {
    /// OLS standard error treating item rows as independent.
    #[strum(serialize = "naive")]
    Naive,
    /// Slate-clustered CR1 (statsmodels' cluster covariance), normal interval.
    #[strum(serialize = "cr1")]
    Cr1,
    /// Bell–McCaffrey CR2 with a Satterthwaite t interval.
    #[strum(serialize = "cr2")]
    Cr2,
    /// Percentile interval of the pairs bootstrap over slates.
    #[strum(serialize = "bootstrap_percentile")]
    BootstrapPercentile,
    /// Restricted wild cluster bootstrap, Rademacher weights, interval by test inversion.
    #[strum(serialize = "wild_rademacher")]
    WildRademacher,
    /// Restricted wild cluster bootstrap, Webb weights, interval by test inversion.
    #[strum(serialize = "wild_webb")]
    WildWebb,
    /// Fisher randomization test; interval by inversion under a constant effect.
    #[strum(serialize = "randomization")]
    Randomization,
    /// Lin (2013) regression adjustment on pre-treatment covariates, CR1 by unit, normal
    /// interval (see [`crate::adjust`]).
    #[strum(serialize = "lin_cr1")]
    LinCr1,
    /// Lin regression adjustment, CR2 by unit with a Satterthwaite t interval.
    #[strum(serialize = "lin_cr2")]
    LinCr2,
}

slate_table::label!(InferenceMethod);

impl InferenceMethod {
    /// Every method, in report order (the two Lin rows appear where covariates are given).
    pub const ALL: [InferenceMethod; 9] = [
        InferenceMethod::Naive,
        InferenceMethod::Cr1,
        InferenceMethod::Cr2,
        InferenceMethod::BootstrapPercentile,
        InferenceMethod::WildRademacher,
        InferenceMethod::WildWebb,
        InferenceMethod::Randomization,
        InferenceMethod::LinCr1,
        InferenceMethod::LinCr2,
    ];

    /// The method under `clustering`: what the `method` columns hold.
    pub const fn under(self, clustering: Clustering) -> ClusteredMethod {
        ClusteredMethod {
            method: self,
            clustering,
        }
    }

    /// The label used in every table and figure when each unit is one slate.
    fn slate_label(self) -> &'static str {
        match self {
            InferenceMethod::Naive => "Naive OLS (rows independent)",
            InferenceMethod::Cr1 => "Slate-clustered CR1",
            InferenceMethod::Cr2 => "CR2 (Bell-McCaffrey), Satterthwaite t",
            InferenceMethod::BootstrapPercentile => "Cluster bootstrap (percentile)",
            InferenceMethod::WildRademacher => "Wild cluster bootstrap (restricted, Rademacher)",
            InferenceMethod::WildWebb => "Wild cluster bootstrap (restricted, Webb)",
            InferenceMethod::Randomization => "Randomization inference (constant effect)",
            InferenceMethod::LinCr1 => "Lin covariate-adjusted, slate-clustered CR1",
            InferenceMethod::LinCr2 => "Lin covariate-adjusted, CR2, Satterthwaite t",
        }
    }
}

/// What every estimator clusters by, in the words of labels and titles: the randomization
/// unit, which is the slate when each unit has one slate (the MovieLens design).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clustering {
    /// Every unit is one slate: "slate-clustered".
    Slate,
    /// Units hold several slates (e.g. user randomization): "unit-clustered".
    Unit,
}

impl Clustering {
    /// The clustering of the slate table's units.
    pub fn of(slates: &slate_exposure::AnalysisSlates) -> Self {
        let units: std::collections::BTreeSet<u32> = slates.unit_index.iter().copied().collect();
        if units.len() == slates.len() {
            Clustering::Slate
        } else {
            Clustering::Unit
        }
    }

    /// "slate-clustered" or "unit-clustered".
    pub fn adjective(self) -> &'static str {
        match self {
            Clustering::Slate => "slate-clustered",
            Clustering::Unit => "unit-clustered",
        }
    }
}

/// An uncertainty method under the clustering of its data: the `method` column of the
/// inference, coverage and power tables, written as the method's label, which names the
/// clusters where the method does (CR1). A label that does not name them reads back as
/// slate-clustered: code reading a table compares `method` (or the `method_key` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClusteredMethod {
    /// The method.
    pub method: InferenceMethod,
    /// What its clusters are.
    pub clustering: Clustering,
}

slate_table::label_display!(ClusteredMethod);

impl slate_table::Label for ClusteredMethod {
    const ALL: &'static [Self] = &{
        let methods = InferenceMethod::ALL;
        let mut all =
            [InferenceMethod::Naive.under(Clustering::Slate); 2 * InferenceMethod::ALL.len()];
        let mut i = 0;
        while i < methods.len() {
            all[2 * i] = methods[i].under(Clustering::Slate);
            all[2 * i + 1] = methods[i].under(Clustering::Unit);
            i += 1;
        }
        all
    };

    fn text(self) -> &'static str {
        match (self.method, self.clustering) {
            (InferenceMethod::Cr1, Clustering::Unit) => "Unit-clustered CR1",
            (InferenceMethod::LinCr1, Clustering::Unit) => {
                "Lin covariate-adjusted, unit-clustered CR1"
            }
            (method, _) => method.slate_label(),
        }
    }
}

/// One method's result for one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inference {
    /// The method.
    pub method: InferenceMethod,
    /// Point estimate (the difference in means for every unadjusted method; the adjusted
    /// effect for the Lin rows).
    pub estimate: f64,
    /// Standard error (NaN for the test-inversion methods, which have none).
    pub se: f64,
    /// 95% interval lower bound.
    pub ci_lower: f64,
    /// 95% interval upper bound.
    pub ci_upper: f64,
    /// Two-sided p-value of `effect = 0`.
    pub p_value: f64,
}

impl Inference {
    /// Whether the interval contains `value`.
    pub fn covers(&self, value: f64) -> bool {
        self.ci_lower <= value && value <= self.ci_upper
    }
}

/// Replicates and draws for the resampling methods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InferenceSettings {
    /// Pairs-bootstrap and wild-bootstrap replicates.
    pub bootstrap_replicates: usize,
    /// Randomization draws.
    pub randomization_draws: usize,
    /// Seed of every resampling stream.
    pub seed: u64,
    /// The assignment design randomization inference re-draws.
    pub design: Design,
}

/// Every method of [`InferenceMethod::ALL`] for each sample (outer: sample, inner: method);
/// the Lin rows only for a sample given covariates (`adjust[k]`, or none when `adjust` is
/// empty). The pairs bootstrap, the wild bootstrap's weights and the randomization draws are
/// shared across samples, as in the estimate stage; `bootstrap` is a pairs bootstrap already
/// drawn for these samples with these settings (one replicate vector per sample), or `None`;
/// `cr2[k]`, where present, is sample `k`'s CR2 row, already computed.
pub fn infer_all(
    samples: &[&Sample],
    adjust: &[Option<&Covariates<'_>>],
    settings: &InferenceSettings,
    bootstrap: Option<&BootstrapDraws>,
    cr2: &[Option<Inference>],
) -> Result<Vec<Vec<Inference>>, EstimateError> {
    if !adjust.is_empty() && adjust.len() != samples.len() {
        return Err(EstimateError::LengthMismatch {
            what: format!(
                "{} covariate sets for {} samples",
                adjust.len(),
                samples.len()
            ),
        });
    }
    let level = 0.95;
    let drawn;
    let bootstrap = match bootstrap {
        Some(draws)
            if draws.estimates.len() == samples.len()
                && draws
                    .estimates
                    .iter()
                    .all(|e| e.len() == settings.bootstrap_replicates) =>
        {
            draws
        }
        Some(draws) => {
            return Err(EstimateError::LengthMismatch {
                what: format!(
                    "pairs bootstrap of {} samples × {:?} replicates for {} samples × {}",
                    draws.estimates.len(),
                    draws.estimates.first().map(Vec::len),
                    samples.len(),
                    settings.bootstrap_replicates
                ),
            });
        }
        None => {
            drawn = cluster_bootstrap(samples, settings.bootstrap_replicates, settings.seed)?;
            &drawn
        }
    };
    let randomization = randomization_distributions(
        samples,
        settings.design,
        settings.randomization_draws,
        settings.seed,
    )?;
    let wild = [
        (Weights::Rademacher, InferenceMethod::WildRademacher),
        (Weights::Webb, InferenceMethod::WildWebb),
    ]
    .map(|(weights, method)| {
        wild_bootstraps(
            samples,
            weights,
            settings.bootstrap_replicates,
            settings.seed,
        )
        .map(|wild| (method, wild))
    });
    let wild = wild.into_iter().collect::<Result<Vec<_>, _>>()?;
    // Each sample's rows are computed on their own (in parallel: Lin's regression and CR2 are
    // one pass over the sample each), then gathered in sample order; the first failing sample's
    // error is the one returned, as in a loop.
    let rows_of = |k: usize| -> Result<Vec<Inference>, EstimateError> {
        let sample = samples[k];
        let r = difference_in_means(sample, "inference", "outcome")?;
        let mut rows = Vec::with_capacity(InferenceMethod::ALL.len());
        let normal = |method, se: f64| Inference {
            method,
            estimate: r.estimate,
            se,
            ci_lower: r.estimate - Z_95 * se,
            ci_upper: r.estimate + Z_95 * se,
            p_value: two_sided_normal_p(r.estimate / se),
        };
        rows.push(normal(InferenceMethod::Naive, r.naive_se));
        rows.push(normal(InferenceMethod::Cr1, r.cluster_se));
        rows.push(match cr2.get(k).copied().flatten() {
            Some(known) => known,
            None => cr2_inference(sample, &r)?,
        });
        let b = summarize(&bootstrap.estimates[k]);
        // Two-sided percentile p-value with the (1 + k) / (1 + B) convention: never zero.
        let valid = b.valid as f64;
        let below = (b.share_below_zero * valid).round();
        let tail = below.min(valid - below);
        rows.push(Inference {
            method: InferenceMethod::BootstrapPercentile,
            estimate: r.estimate,
            se: b.se,
            ci_lower: b.percentile_lower,
            ci_upper: b.percentile_upper,
            p_value: (2.0 * (1.0 + tail) / (1.0 + valid)).min(1.0),
        });
        for (method, wild) in &wild {
            let wild = &wild[k];
            let (ci_lower, ci_upper) = wild.interval(level);
            rows.push(Inference {
                method: *method,
                estimate: r.estimate,
                se: f64::NAN,
                ci_lower,
                ci_upper,
                p_value: wild.test(0.0).p_value,
            });
        }
        let (ci_lower, ci_upper) = randomization[k].interval(level);
        rows.push(Inference {
            method: InferenceMethod::Randomization,
            estimate: r.estimate,
            se: f64::NAN,
            ci_lower,
            ci_upper,
            p_value: randomization[k].test(0.0).p_value,
        });
        if let Some(covariates) = adjust.get(k).copied().flatten() {
            rows.extend(lin_rows(sample, covariates)?);
        }
        Ok(rows)
    };
    let rows: Vec<Result<Vec<Inference>, EstimateError>> =
        (0..samples.len()).into_par_iter().map(rows_of).collect();
    rows.into_iter().collect()
}

/// The Lin rows of [`infer_all`] for `sample` (CR1 and CR2), computed on their own: none when
/// the design is too small or degenerate for the adjustment (or grouped, without item rows),
/// as the unadjusted methods stand.
pub fn lin_rows(
    sample: &Sample,
    covariates: &Covariates<'_>,
) -> Result<Vec<Inference>, EstimateError> {
    match lin_inference(sample, covariates) {
        Ok(lin) => Ok(lin.to_vec()),
        Err(
            EstimateError::TooFewRows { .. }
            | EstimateError::Singular { .. }
            | EstimateError::NeedsRows { .. },
        ) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The Lin-adjusted estimate with its CR1 (normal) and CR2 (Satterthwaite t) intervals.
fn lin_inference(
    sample: &Sample,
    covariates: &Covariates<'_>,
) -> Result<[Inference; 2], EstimateError> {
    let fit = lin(sample, covariates)?;
    let t = StudentT::new(fit.cr2_df, "estimate (Lin CR2 degrees of freedom)")?;
    let critical = t.critical_95();
    Ok([
        Inference {
            method: InferenceMethod::LinCr1,
            estimate: fit.estimate,
            se: fit.cr1_se,
            ci_lower: fit.estimate - Z_95 * fit.cr1_se,
            ci_upper: fit.estimate + Z_95 * fit.cr1_se,
            p_value: two_sided_normal_p(fit.estimate / fit.cr1_se),
        },
        Inference {
            method: InferenceMethod::LinCr2,
            estimate: fit.estimate,
            se: fit.cr2_se,
            ci_lower: fit.estimate - critical * fit.cr2_se,
            ci_upper: fit.estimate + critical * fit.cr2_se,
            p_value: t.two_sided_p(fit.estimate / fit.cr2_se),
        },
    ])
}

/// CR2 (Bell–McCaffrey) inference with a Satterthwaite t interval for the difference in means
/// `r` of `sample`.
pub(crate) fn cr2_inference(sample: &Sample, r: &DiffInMeans) -> Result<Inference, EstimateError> {
    let (se, df) = if sample.is_grouped() {
        crate::ols::cr2_difference_in_means(sample, r.treated_mean, r.control_mean)?
    } else {
        let x = treatment_design(&sample.treated);
        // A view of the sample's outcomes (a copy was 8 bytes a row).
        let y = ArrayView1::from(&sample.y[..]);
        let fit = cr2(x.view(), y.view(), &sample.cluster, array![0.0, 1.0].view())?;
        (fit.se(1), fit.df)
    };
    let t = StudentT::new(df, "estimate (CR2 degrees of freedom)")?;
    let critical = t.critical_95();
    Ok(Inference {
        method: InferenceMethod::Cr2,
        estimate: r.estimate,
        se,
        ci_lower: r.estimate - critical * se,
        ci_upper: r.estimate + critical * se,
        p_value: t.two_sided_p(r.estimate / se),
    })
}
