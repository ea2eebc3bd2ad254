//! The models stage: both learners fitted, AIPW cross-fitted, every targeting rule evaluated
//! and heterogeneity summarised, into the stage's tables.

use std::borrow::Cow;

use rand::seq::SliceRandom;
use rand_pcg::Pcg64;
use slate_estimate::contrasts::{Contrast, OutcomeView};
use slate_estimate::decompose::position_bands;
use slate_estimate::difference_in_means;
use slate_estimate::outcome::Outcome;
use slate_exposure::{SlateOutcomes, SlateOutcomesFile};
use slate_table::Label;

use crate::aipw::{CrossFit, FoldFits, clustered_score_mean, fold_training_rows, unit_folds};
use crate::features::SlateFeatures;
use crate::input::StageSlates;
use crate::learner::{Learner, LightGbm, OutcomeModel, Task, XgBoost};
use crate::tables::*;
use crate::{ModelsConfig, ModelsError, aipw, policy};

/// Every table of the models stage.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelsTables {
    /// Train/test metrics.
    pub metrics: ModelMetrics,
    /// Randomized and AIPW estimates.
    pub aipw: WithTruth<AipwEstimates, AipwTruth>,
    /// Out-of-fold predictions per slate and model.
    pub conditional: Conditional,
    /// Policy evaluation.
    pub policies: WithTruth<PolicyTargeting, PolicyTruth>,
    /// Heterogeneity by focal cluster and position band.
    pub heterogeneity: WithTruth<Heterogeneity, HeterogeneityTruth>,
}

/// The two learners of `config`, in report order.
pub fn learners(config: &ModelsConfig) -> Vec<Box<dyn OutcomeModel>> {
    vec![
        Box::new(LightGbm {
            params: config.lightgbm.clone(),
            seed: config.seed,
        }),
        Box::new(XgBoost {
            params: config.xgboost.clone(),
            seed: config.seed,
        }),
    ]
}

fn regression_metrics(
    model: Learner,
    split: Split,
    predicted: &[f64],
    y: &[f64],
    out: &mut ModelMetrics,
) {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let sse: f64 = predicted.iter().zip(y).map(|(p, t)| (p - t).powi(2)).sum();
    let sst: f64 = y.iter().map(|t| (t - mean).powi(2)).sum();
    out.model.push(model);
    out.split.push(split);
    out.rmse.push((sse / n).sqrt());
    out.mae.push(
        predicted
            .iter()
            .zip(y)
            .map(|(p, t)| (p - t).abs())
            .sum::<f64>()
            / n,
    );
    out.r2.push(1.0 - sse / sst);
    out.n.push(y.len() as u32);
}

/// Seeded train/test split of `n` slates: the test set is the first `share · n` of a shuffle.
fn split(n: usize, share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut Pcg64::new((u128::from(seed) << 64) | 0x5B17, 0));
    let test = ((share * n as f64).round() as usize).clamp(1, n - 1);
    let (mut test_rows, mut train_rows) = (order[..test].to_vec(), order[test..].to_vec());
    test_rows.sort_unstable();
    train_rows.sort_unstable();
    (train_rows, test_rows)
}

/// Fits both models, cross-fits AIPW, evaluates every targeting rule and summarises
/// heterogeneity from the exposure stage's slate table in memory (every input of the models
/// is per slate).
pub fn run(slates: &SlateOutcomes, config: &ModelsConfig) -> Result<ModelsTables, ModelsError> {
    let features = slates.features.load()?;
    run_on(
        StageSlates::of(slates),
        &SlateFeatures::new(slates, &features),
        config,
    )
}

/// [`run`] on the slate table on disk: the stage keeps each slate's outcome, arm, unit, focal
/// cluster and position (and the oracle's effect), and reads the features a row group at a
/// time whenever a fit or a prediction needs them. The same table gives the same tables, bit
/// for bit.
pub fn run_file(
    file: &SlateOutcomesFile,
    config: &ModelsConfig,
) -> Result<ModelsTables, ModelsError> {
    config.check()?;
    let kept = StageSlates::read(file)?;
    let x = SlateFeatures::of_file(
        file,
        kept.treated.clone(),
        kept.cluster.clone(),
        &kept.clusters,
    );
    run_on(kept, &x, config)
}

/// The stage on the kept columns `slates` and the features `x` of the same slates.
fn run_on(
    slates: StageSlates,
    x: &SlateFeatures<'_>,
    config: &ModelsConfig,
) -> Result<ModelsTables, ModelsError> {
    config.check()?;
    let n = slates.len();
    let treated = &slates.treated;
    // Folds deal units, so each arm needs at least one unit per fold.
    let units = unit_count(&slates.unit);
    let mut arm_of_unit: Vec<Option<bool>> = vec![None; units];
    for (unit, promoted) in slates.unit.iter().zip(treated) {
        arm_of_unit[*unit as usize] = Some(*promoted);
    }
    let promoted_units = arm_of_unit.iter().filter(|p| **p == Some(true)).count();
    let control_units = arm_of_unit.iter().filter(|p| **p == Some(false)).count();
    let needed = 2 * config.folds;
    if n < needed || promoted_units < config.folds || control_units < config.folds {
        return Err(ModelsError::TooFewSlates {
            what: format!(
                "outcome models ({promoted_units} promoted and {control_units} control units for {} folds)",
                config.folds
            ),
            needed,
            have: n,
        });
    }
    if x.len() != n {
        return Err(ModelsError::Shape {
            message: format!("{n} slates, features of {}", x.len()),
        });
    }
    if u32::try_from(n).is_err() {
        return Err(ModelsError::Shape {
            message: format!("{n} slates: at most {} fit a slate index", u32::MAX),
        });
    }
    let y = &slates.y;
    // The oracle (a simulation's known slate effects) is only ever an evaluation target.
    let oracle: Option<&[f64]> = slates.oracle.as_deref();
    let p = slates.probability;
    let models = learners(config);

    // Train/test metrics and cross-fitting share two passes over the features: one gathers
    // every fit's training rows, one predicts every slate (the test slates for the metrics,
    // each slate by the fits of the fold that held it out).
    // Both metric sides capped: the held-out metrics are as precise from 250,000 slates as
    // from millions, and predicting every held-out slate of a large log cost as much as a fold.
    let (train, test) = split(n, config.test_share, config.seed);
    let train = aipw::at_most(train, config.max_fit_slates, config.seed, u64::MAX);
    let test = aipw::at_most(test, config.max_fit_slates, config.seed, u64::MAX - 1);
    let units = &slates.unit;
    // One fold vector, shared by every model's cross-fit.
    let fold: std::sync::Arc<[usize]> = unit_folds(units, config.folds, config.seed).into();
    let fold_rows = fold_training_rows(&fold, config.folds, config.max_fit_slates, config.seed);
    let mut training = x.gather(
        &std::iter::once(train.as_slice())
            .chain(fold_rows.iter().map(Vec::as_slice))
            .collect::<Vec<_>>(),
    )?;
    let fold_training = training.split_off(1);
    let x_train = training.pop().ok_or_else(|| ModelsError::Shape {
        message: "no training matrix".into(),
    })?;
    let pick = |rows: &[usize]| rows.iter().map(|i| y[*i]).collect::<Vec<f64>>();
    let mut train_metrics = Vec::with_capacity(models.len());
    let mut metric_fits = Vec::with_capacity(models.len());
    for model in &models {
        let fitted = model.fit(&x_train, &pick(&train), Task::Regression)?;
        train_metrics.push(fitted.predict(&x_train)?);
        metric_fits.push(fitted);
    }
    drop(x_train);
    let d: Vec<f64> = treated.iter().map(|t| f64::from(u8::from(*t))).collect();
    let fold_fits: Vec<FoldFits> = models
        .iter()
        .map(|m| FoldFits::fit(m.as_ref(), &fold_training, &fold_rows, y, &d))
        .collect::<Result<_, _>>()?;
    drop((fold_training, d));
    let mut fits: Vec<CrossFit> = fold_fits
        .iter()
        .map(|f| f.empty_cross_fit(fold.clone()))
        .collect();
    let mut test_predictions: Vec<Vec<f64>> = vec![Vec::with_capacity(test.len()); models.len()];
    let mut next_test = 0;
    x.for_each_block(config.folds, |block, matrix| {
        // The test slates of the block (test is in ascending order).
        let first = next_test;
        while next_test < test.len() && test[next_test] < block.end {
            next_test += 1;
        }
        if next_test > first {
            let rows: Vec<usize> = test[first..next_test]
                .iter()
                .map(|s| s - block.start)
                .collect();
            let x_test = matrix.select(&rows);
            for (fitted, out) in metric_fits.iter().zip(&mut test_predictions) {
                out.extend(fitted.predict(&x_test)?);
            }
        }
        for (fits, out) in fold_fits.iter().zip(&mut fits) {
            fits.predict_block(block.clone(), &matrix, &fold, config.propensity_clip, out)?;
        }
        Ok(())
    })?;
    let mut metrics = ModelMetrics::default();
    for ((model, train_predicted), test_predicted) in
        models.iter().zip(&train_metrics).zip(&test_predictions)
    {
        regression_metrics(
            model.learner(),
            Split::Train,
            train_predicted,
            &pick(&train),
            &mut metrics,
        );
        regression_metrics(
            model.learner(),
            Split::Test,
            test_predicted,
            &pick(&test),
            &mut metrics,
        );
    }

    let scores: Vec<Vec<f64>> = fits.iter().map(|f| f.scores_known(y, treated, p)).collect();

    let true_effect = oracle.map(|o| o.iter().sum::<f64>() / n as f64);
    let mut aipw = AipwEstimates::default();
    let mut aipw_truth = AipwTruth::default();
    let dim = difference_in_means(
        &slates.total_sample(),
        Contrast::TotalSlate.text(),
        &Outcome::Click {
            view: OutcomeView::Observed,
            slate_total: true,
            simulated: oracle.is_some(),
        }
        .text(),
    )?;
    let (lower, upper) = dim.ci_95();
    push_aipw(
        &mut aipw,
        Estimator::DifferenceInMeans,
        Propensity::None,
        dim.estimate,
        dim.cluster_se,
        (lower, upper),
        dim.p_value_cluster(),
        n,
        0,
    );
    if let Some(t) = true_effect {
        aipw_truth.true_effect.push(t);
    }
    // Known design probability first (both models), then the cross-fitted propensity.
    let variants: [(bool, Propensity); 2] = [
        (
            false,
            if slates.probability_logged == Some(false) {
                Propensity::ObservedShare
            } else {
                Propensity::Known
            },
        ),
        (true, Propensity::Estimated),
    ];
    for (estimated_propensity, propensity) in variants {
        for (fit, known_scores) in fits.iter().zip(&scores) {
            let estimated;
            let s = if !estimated_propensity {
                known_scores
            } else {
                estimated = fit.scores(y, treated, &fit.propensity);
                &estimated
            };
            let m = clustered_score_mean(s, units)?;
            push_aipw(
                &mut aipw,
                Estimator::Aipw {
                    learner: fit.model,
                    estimated_propensity,
                },
                propensity,
                m.estimate,
                m.se,
                (m.ci_lower, m.ci_upper),
                m.p_value,
                n,
                config.folds,
            );
            if let Some(t) = true_effect {
                aipw_truth.true_effect.push(t);
            }
        }
    }

    // Each model's predicted net effect per slate, read from its cross-fit where a rule or a
    // group needs it (a rule ranking the slates takes a copy for its step).
    let policies = evaluate_policies(&fits, oracle, &scores[0], units, config.seed)?;
    let heterogeneity = heterogeneity(&slates, &fits, oracle, &scores[0])?;
    let truth = oracle.is_some();
    let aipw = WithTruth {
        rows: aipw,
        truth: truth.then_some(aipw_truth),
    };
    let StageSlates {
        slate_id,
        treated,
        y,
        oracle,
        ..
    } = slates;
    let conditional = Conditional::new(
        slate_id,
        treated,
        y,
        oracle,
        fits.into_iter().zip(scores).collect(),
    );
    Ok(ModelsTables {
        metrics,
        aipw,
        conditional,
        policies,
        heterogeneity,
    })
}

#[allow(clippy::too_many_arguments)]
fn push_aipw(
    t: &mut AipwEstimates,
    estimator: Estimator,
    propensity: Propensity,
    estimate: f64,
    se: f64,
    ci: (f64, f64),
    p_value: f64,
    n: usize,
    folds: usize,
) {
    t.estimator.push(estimator);
    t.propensity.push(propensity);
    t.estimate.push(estimate);
    t.se.push(se);
    t.ci_95_lower.push(ci.0);
    t.ci_95_upper.push(ci.1);
    t.p_value.push(p_value);
    t.n.push(n as u32);
    t.folds.push(folds as u32);
}

/// The number of units of dense unit codes `unit`.
fn unit_count(unit: &[u32]) -> usize {
    unit.iter().max().map_or(0, |m| *m as usize + 1)
}

/// `codes` (dense unit codes below `units`) re-coded densely in sorted order, so a subset of
/// slates has unit codes `0..G`.
fn dense(codes: &[u32], units: usize) -> Vec<u32> {
    let mut code = vec![None; units];
    for c in codes {
        code[*c as usize] = Some(0);
    }
    for (next, c) in code.iter_mut().flatten().enumerate() {
        *c = next as u32;
    }
    codes
        .iter()
        .map(|c| code[*c as usize].expect("marked above"))
        .collect()
}

/// Every rule, evaluated on all slates with the first model's AIPW scores (one set of scores
/// for every rule, so their estimated values are comparable). A learner's rules read its
/// predicted net effects from its cross-fit (`fits`). Each rule is built, evaluated and let go
/// before the next (a rule is a flag per slate).
fn evaluate_policies(
    fits: &[CrossFit],
    oracle: Option<&[f64]>,
    scores: &[f64],
    units: &[u32],
    seed: u64,
) -> Result<WithTruth<PolicyTargeting, PolicyTruth>, ModelsError> {
    let n = scores.len();
    let learners: Vec<Learner> = fits.iter().map(|f| f.model).collect();
    let mut rules = vec![
        PolicyRule::PromoteAll,
        PolicyRule::PromoteNone,
        PolicyRule::RandomHalf,
    ];
    rules.extend(learners.iter().map(|l| PolicyRule::PredictedPositive(*l)));
    rules.extend(learners.iter().map(|l| PolicyRule::TopDecile(*l)));
    if oracle.is_some() {
        rules.push(PolicyRule::OracleBest);
    }
    let fit_of = |learner: Learner| -> &CrossFit {
        let m = learners.iter().position(|l| *l == learner).unwrap_or(0);
        &fits[m]
    };
    let mut table = PolicyTargeting::default();
    let mut truth = PolicyTruth::default();
    for name in rules {
        let rule = match name {
            PolicyRule::PromoteAll => vec![true; n],
            PolicyRule::PromoteNone => vec![false; n],
            PolicyRule::RandomHalf => policy::random_share(n, 0.5, seed),
            PolicyRule::PredictedPositive(learner) => {
                let fit = fit_of(learner);
                policy::predicted_positive((0..n).map(|i| fit.net_effect_at(i)))
            }
            PolicyRule::TopDecile(learner) => policy::top_share(&fit_of(learner).net_effect(), 0.1),
            PolicyRule::OracleBest => {
                policy::predicted_positive(oracle.unwrap_or_default().iter().copied())
            }
        };
        let v = policy::evaluate(name, &rule, oracle, scores, units)?;
        table.policy.push(v.policy);
        table.slates_promoted.push(v.promoted as u32);
        table.share_promoted.push(v.share_promoted);
        table.aipw_value_per_1000.push(v.aipw_per_1000);
        table.aipw_se_per_1000.push(v.aipw_se_per_1000);
        table.aipw_ci_95_lower_per_1000.push(v.aipw_ci_per_1000.0);
        table.aipw_ci_95_upper_per_1000.push(v.aipw_ci_per_1000.1);
        if let Some(lift) = v.oracle_per_1000 {
            truth.oracle_lift_per_1000_eligible_slates.push(lift);
            truth
                .oracle_inside_aipw_ci
                .push(v.aipw_ci_per_1000.0 <= lift && lift <= v.aipw_ci_per_1000.1);
        }
    }
    Ok(WithTruth {
        rows: table,
        truth: oracle.map(|_| truth),
    })
}

/// Which slates a heterogeneity group holds.
enum Members {
    All,
    FocalCluster(u32),
    FocalPositions(u32, u32),
}

fn heterogeneity(
    slates: &StageSlates,
    fits: &[CrossFit],
    oracle: Option<&[f64]>,
    scores: &[f64],
) -> Result<WithTruth<Heterogeneity, HeterogeneityTruth>, ModelsError> {
    let units = unit_count(&slates.unit);
    let mut groups: Vec<(Dimension, String, Members)> =
        vec![(Dimension::All, "All slates".into(), Members::All)];
    // The focal clusters by size, largest first (ties by name), from one count per cluster.
    let mut sizes = vec![0usize; slates.clusters.len()];
    for cluster in &slates.cluster {
        sizes[*cluster as usize] += 1;
    }
    let mut by_cluster: Vec<(usize, &String, u32)> = slates
        .clusters
        .iter()
        .enumerate()
        .filter(|(c, _)| sizes[*c] > 0)
        .map(|(c, name)| (sizes[c], name, c as u32))
        .collect();
    by_cluster.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    groups.extend(by_cluster.into_iter().map(|(_, name, c)| {
        (
            Dimension::FocalCluster,
            name.clone(),
            Members::FocalCluster(c),
        )
    }));
    for (from, to) in position_bands(&slates.focal_seed_position) {
        groups.push((
            Dimension::FocalPositionBand,
            format!("{from}-{to}"),
            Members::FocalPositions(from, to),
        ));
    }
    let mut table = Heterogeneity::default();
    let mut truth = HeterogeneityTruth::default();
    for (dimension, group, members) in groups {
        let member = |s: usize| match members {
            Members::All => true,
            Members::FocalCluster(c) => slates.cluster[s] == c,
            Members::FocalPositions(from, to) => {
                (from..=to).contains(&slates.focal_seed_position[s])
            }
        };
        // The group's slates, in order: every slate's own vectors for all of them, else the
        // group's built one group at a time.
        let rows: Option<Vec<u32>> = match members {
            Members::All => None,
            _ => Some(
                (0..slates.len())
                    .filter(|s| member(*s))
                    .map(|s| s as u32)
                    .collect(),
            ),
        };
        let in_group = || -> Box<dyn Iterator<Item = usize> + '_> {
            match &rows {
                None => Box::new(0..slates.len()),
                Some(rows) => Box::new(rows.iter().map(|i| *i as usize)),
            }
        };
        let n_rows = rows.as_ref().map_or(slates.len(), Vec::len);
        if n_rows < 2 {
            continue;
        }
        let group_scores: Cow<'_, [f64]> = match &rows {
            None => Cow::Borrowed(scores),
            Some(_) => Cow::Owned(in_group().map(|i| scores[i]).collect()),
        };
        let group_units: Cow<'_, [u32]> = match &rows {
            None => Cow::Borrowed(&slates.unit),
            Some(_) => Cow::Owned(in_group().map(|i| slates.unit[i]).collect()),
        };
        // A clustered standard error needs two units: a group held by one unit (a user with
        // many slates) gets no row rather than stopping the stage.
        if group_units.iter().all(|u| *u == group_units[0]) {
            continue;
        }
        // Every slate's units are dense codes already: re-coding them keeps their order, and a
        // code no slate has adds only zeros, so the clustered mean is the same to the bit.
        let dense_units: Cow<'_, [u32]> = match &rows {
            None => group_units,
            Some(_) => Cow::Owned(dense(&group_units, units)),
        };
        let m = clustered_score_mean(&group_scores, &dense_units)?;
        drop((group_scores, dense_units));
        let mean = |v: &dyn Fn(usize) -> f64| in_group().map(v).sum::<f64>() / n_rows as f64;
        table.dimension.push(dimension);
        table.group.push(group);
        table.slates.push(n_rows as u32);
        if let Some(oracle) = oracle {
            truth.oracle_net_effect.push(mean(&|i| oracle[i]));
        }
        table
            .lightgbm_predicted_net_effect
            .push(mean(&|i| fits[0].net_effect_at(i)));
        table
            .xgboost_predicted_net_effect
            .push(mean(&|i| fits[1].net_effect_at(i)));
        table.aipw_net_effect.push(m.estimate);
        table.aipw_se.push(m.se);
    }
    Ok(WithTruth {
        rows: table,
        truth: oracle.map(|_| truth),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The all-slates group reads the stage's own vectors: its row equals the one computed from
    /// copies re-coded densely (as every other group's is), bit for bit, with a unit code no
    /// slate has.
    #[test]
    fn the_all_slates_group_equals_its_dense_copy() {
        let n = 40;
        let unit: Vec<u32> = (0..n as u32)
            .map(|s| if s < 20 { s / 4 } else { s / 4 + 3 })
            .collect();
        let slates = StageSlates {
            slate_id: (0..n as i64).collect(),
            treated: (0..n).map(|s| s % 3 == 0).collect(),
            y: (0..n).map(|s| (s % 5) as f64).collect(),
            unit,
            cluster: (0..n as u32).map(|s| s % 2).collect(),
            clusters: vec!["a".into(), "b".into()],
            focal_seed_position: (0..n as u32).map(|s| 4 + s % 6).collect(),
            oracle: Some((0..n).map(|s| 0.1 * (s % 7) as f64 - 0.2).collect()),
            probability: 0.5,
            probability_logged: Some(true),
        };
        let fit = |model, k: f64| CrossFit {
            model,
            fold: vec![0; n].into(),
            mu1: (0..n).map(|s| k * (s as f64).sin() + 1.0).collect(),
            mu0: (0..n).map(|s| k * (s as f64).cos()).collect(),
            propensity: vec![0.5; n],
        };
        let fits = [fit(Learner::LightGbm, 0.3), fit(Learner::XgBoost, 0.7)];
        let scores: Vec<f64> = (0..n).map(|s| ((s * 37) % 11) as f64 / 3.0 - 1.0).collect();
        let got = heterogeneity(&slates, &fits, slates.oracle.as_deref(), &scores).unwrap();
        let all = got
            .rows
            .dimension
            .iter()
            .position(|d| *d == Dimension::All)
            .unwrap();
        let units = unit_count(&slates.unit);
        let expected = clustered_score_mean(&scores, &dense(&slates.unit, units)).unwrap();
        assert_eq!(
            got.rows.aipw_net_effect[all].to_bits(),
            expected.estimate.to_bits()
        );
        assert_eq!(got.rows.aipw_se[all].to_bits(), expected.se.to_bits());
        let mean = |v: Vec<f64>| v.iter().sum::<f64>() / n as f64;
        let net = fits[1].net_effect();
        assert_eq!(got.rows.xgboost_predicted_net_effect[all], mean(net));
        assert_eq!(
            got.truth.unwrap().oracle_net_effect[all],
            mean(slates.oracle.clone().unwrap())
        );
        assert_eq!(got.rows.slates[all], n as u32);
    }
}
