//! The words of the analysis: recommendations and model takeaways composed from the typed
//! tables the stages wrote. Estimate and models produce numbers; sentences live here, so a
//! logged experiment and the MovieLens simulation are described each in their own terms
//! ("clicks" / "simulated clicks").

use std::path::{Path, PathBuf};

use slate_estimate::decompose::{
    KNOWN_NET_LIFT, POSITION_RISK, PRODUCT_SUMMARY, PositionRisk, ProductMetric, ProductSummary,
    SPILLOVER_SENSITIVITY, SpilloverSensitivity,
};

use slate_models::learner::Learner;
use slate_models::tables::{
    AIPW_ESTIMATES, AIPW_ESTIMATES_TRUTH, AipwEstimates, AipwTruth, Estimator, MODEL_METRICS,
    ModelMetrics, POLICY_TARGETING, POLICY_TARGETING_TRUTH, PolicyRule, PolicyTargeting,
    PolicyTruth, WithTruth,
};
use slate_table::Label;

use crate::ReportError;
use crate::estimator_figures::read;

slate_table::table! {
    /// `movielens_interference_decomposition_recommendations.csv`: recommendations with evidence
    /// quoting this run's numbers.
    pub struct Recommendations, schema RECOMMENDATIONS = "movielens_interference_decomposition_recommendations.csv" {
        /// The decision it informs.
        decision_area: String,
        /// What to do.
        recommendation: String,
        /// Numbers from this run that support it.
        evidence: String,
    }
}

/// The decomposition's recommendations, from the product summary, the spillover sensitivity
/// and the position risk in `processed_dir`. `simulated` names the clicks as a simulation's.
pub fn recommendations(
    processed_dir: &Path,
    simulated: bool,
) -> Result<Recommendations, ReportError> {
    let product: ProductSummary =
        read(processed_dir, &PRODUCT_SUMMARY, ProductSummary::from_frame)?;
    let sensitivity: SpilloverSensitivity = read(
        processed_dir,
        &SPILLOVER_SENSITIVITY,
        SpilloverSensitivity::from_frame,
    )?;
    let position: PositionRisk = read(processed_dir, &POSITION_RISK, PositionRisk::from_frame)?;
    // The known net lift per band is a column only when the log has truth.
    let known_net_lift: Option<Vec<f64>> = {
        let path = processed_dir.join(POSITION_RISK.file_name);
        let frame = slate_table::read_csv(&path, &POSITION_RISK)?;
        frame
            .column(KNOWN_NET_LIFT)
            .is_ok()
            .then(|| slate_table::column_f64(&frame, &path.display().to_string(), KNOWN_NET_LIFT))
            .transpose()?
    };
    let per_1000 = |metric: ProductMetric| -> Result<(f64, f64, f64), ReportError> {
        let i = product.row(metric).ok_or_else(|| ReportError::Missing {
            table: PRODUCT_SUMMARY.file_name.to_string(),
            what: metric.text().to_string(),
        })?;
        Ok((
            product.clicks_per_1000_promoted_slates[i],
            product.ci_95_lower[i],
            product.ci_95_upper[i],
        ))
    };
    let (d, dl, du) = per_1000(ProductMetric::FocalGain)?;
    let (t, tl, tu) = per_1000(ProductMetric::NetSlateEffect)?;
    let (c, cl, cu) = per_1000(ProductMetric::AllCompetitorChange)?;
    let clicks = if simulated {
        "simulated clicks"
    } else {
        "clicks"
    };
    let negative = sensitivity.estimate.iter().filter(|e| **e < 0.0).count();
    let offsets = if -c > d {
        "more than offsets"
    } else {
        "partly offsets"
    };
    let mut table = Recommendations::default();
    let mut push = |area: &str, recommendation: &str, evidence: String| {
        table.decision_area.push(area.to_string());
        table.recommendation.push(recommendation.to_string());
        table.evidence.push(evidence);
    };
    push(
        "Item-level reporting",
        "Do not report promoted-item gain alone as the success metric.",
        format!(
            "The focal item gains {d:.1} clicks per 1,000 promoted slates (95% CI {dl:.1} to {du:.1}), \
             but the full slate changes by {t:.1} ({tl:.1} to {tu:.1})."
        ),
    );
    push(
        "Slate-level metric",
        "Use the total slate effect as the primary decision metric for promotions.",
        format!(
            "The net observed slate effect is {t:.1} {clicks} per 1,000 promoted slates (95% CI {tl:.1} to {tu:.1})."
        ),
    );
    push(
        "Spillover monitoring",
        "Track same-cluster and displaced-item outcomes alongside the promoted item.",
        format!(
            "Competitors change by {c:.1} clicks per 1,000 promoted slates ({cl:.1} to {cu:.1}), which {offsets} \
             the direct gain of {d:.1}; {negative} of {} spillover definitions give a negative estimate.",
            sensitivity.len()
        ),
    );
    if !position.is_empty() {
        let last = position.len() - 1;
        push(
            "Policy design",
            "Treat large rank jumps as higher-risk interventions.",
            format!(
                "Net slate effect per promoted slate is {:.3} for focal positions {} (rank jump {}) and {:.3} for positions {} \
                 (rank jump {}){}.",
                position.net_slate_estimate[0],
                position.position_band[0],
                position.rank_jump[0],
                position.net_slate_estimate[last],
                position.position_band[last],
                position.rank_jump[last],
                known_net_lift.map_or(String::new(), |k| format!(
                    "; the known net lift is {:.3} and {:.3}",
                    k[0], k[last]
                ))
            ),
        );
    }
    Ok(table)
}

/// Writes [`recommendations`] into `processed_dir`; returns the path.
pub fn write_recommendations(
    processed_dir: &Path,
    simulated: bool,
) -> Result<PathBuf, ReportError> {
    let mut frame = recommendations(processed_dir, simulated)?.to_frame()?;
    Ok(slate_table::write_csv(
        &mut frame,
        &RECOMMENDATIONS,
        processed_dir,
    )?)
}

slate_table::table! {
    /// `movielens_interference_advanced_takeaways.csv`: findings with this run's numbers.
    pub struct Takeaways, schema TAKEAWAYS = "movielens_interference_advanced_takeaways.csv" {
        /// The finding.
        finding: String,
        /// Evidence, quoting this run.
        evidence: String,
    }
}

/// The models stage's takeaways, from its tables in `processed_dir` (and their truth parts
/// when `truth`).
pub fn takeaways(processed_dir: &Path, truth: bool) -> Result<Takeaways, ReportError> {
    let metrics: ModelMetrics = read(processed_dir, &MODEL_METRICS, ModelMetrics::from_frame)?;
    let aipw = WithTruth {
        rows: read(processed_dir, &AIPW_ESTIMATES, AipwEstimates::from_frame)?,
        truth: truth
            .then(|| read(processed_dir, &AIPW_ESTIMATES_TRUTH, AipwTruth::from_frame))
            .transpose()?,
    };
    let policies = WithTruth {
        rows: read(
            processed_dir,
            &POLICY_TARGETING,
            PolicyTargeting::from_frame,
        )?,
        truth: truth
            .then(|| {
                read(
                    processed_dir,
                    &POLICY_TARGETING_TRUTH,
                    PolicyTruth::from_frame,
                )
            })
            .transpose()?,
    };
    Ok(compose_takeaways(&metrics, &aipw, &policies))
}

/// Writes [`takeaways`] into `processed_dir`; returns the path.
pub fn write_takeaways(processed_dir: &Path, truth: bool) -> Result<PathBuf, ReportError> {
    let mut frame = takeaways(processed_dir, truth)?.to_frame()?;
    Ok(slate_table::write_csv(
        &mut frame,
        &TAKEAWAYS,
        processed_dir,
    )?)
}

/// Decimals of the RMSEs the takeaways and the final report print; models whose test RMSEs
/// agree to these are reported as tied.
pub(crate) const RMSE_DECIMALS: usize = 3;

fn compose_takeaways(
    metrics: &ModelMetrics,
    aipw: &WithTruth<AipwEstimates, AipwTruth>,
    policies: &WithTruth<PolicyTargeting, PolicyTruth>,
) -> Takeaways {
    let mut t = Takeaways::default();
    let best = metrics.best_test_rows(RMSE_DECIMALS);
    if let Some(&first) = best.first() {
        let rmse = |i: &usize| format!("{} {:.3}", metrics.model[*i], metrics.rmse[*i]);
        let (finding, evidence) = if best.len() == 1 {
            let others: Vec<String> = metrics
                .test_rows()
                .iter()
                .filter(|i| **i != first)
                .map(rmse)
                .collect();
            (
                format!(
                    "{} had the best held-out prediction of total clicks per slate",
                    metrics.model[first]
                ),
                format!(
                    "Test RMSE {:.3} clicks per slate (R² {:.3}, {} slates) vs {}.",
                    metrics.rmse[first],
                    metrics.r2[first],
                    metrics.n[first],
                    others.join(", ")
                ),
            )
        } else {
            let names: Vec<&str> = best.iter().map(|i| metrics.model[*i].text()).collect();
            (
                format!(
                    "{} predicted held-out total clicks per slate equally well",
                    names.join(" and ")
                ),
                format!(
                    "Test RMSE {} clicks per slate ({} slates): equal to the printed digits.",
                    best.iter().map(rmse).collect::<Vec<_>>().join(", "),
                    metrics.n[first]
                ),
            )
        };
        t.finding.push(finding);
        t.evidence.push(evidence);
    }
    let aipw_of = |learner| Estimator::Aipw {
        learner,
        estimated_propensity: false,
    };
    if let (Some(d), Some(l), Some(x)) = (
        aipw.row(Estimator::DifferenceInMeans),
        aipw.row(aipw_of(Learner::LightGbm)),
        aipw.row(aipw_of(Learner::XgBoost)),
    ) {
        t.finding
            .push("Model-assisted AIPW agrees with the randomized total-slate estimate".into());
        t.evidence.push(format!(
            "Randomized difference in means {:.3} [{:.3}, {:.3}]; LightGBM AIPW {:.3} [{:.3}, {:.3}]; XGBoost AIPW {:.3} [{:.3}, {:.3}]{}.",
            aipw.estimate[d], aipw.ci_95_lower[d], aipw.ci_95_upper[d],
            aipw.estimate[l], aipw.ci_95_lower[l], aipw.ci_95_upper[l],
            aipw.estimate[x], aipw.ci_95_lower[x], aipw.ci_95_upper[x],
            match &aipw.truth {
                Some(truth) => format!("; known design effect {:.3} clicks per slate", truth.true_effect[d]),
                None => " clicks per slate".to_string(),
            }
        ));
    }
    let Some(truth) = &policies.truth else {
        // Without the oracle, rules are ranked by what the randomized data estimate.
        if let Some(best) = (0..policies.len()).max_by(|a, b| {
            policies.aipw_value_per_1000[*a]
                .total_cmp(&policies.aipw_value_per_1000[*b])
                .then(b.cmp(a))
        }) {
            t.finding.push(format!(
                "Best targeting rule by its AIPW value: {}",
                policies.policy[best]
            ));
            t.evidence.push(format!(
                "{:.1} [{:.1}, {:.1}] clicks per 1,000 eligible slates, promoting {:.1}% of slates.",
                policies.aipw_value_per_1000[best],
                policies.aipw_ci_95_lower_per_1000[best],
                policies.aipw_ci_95_upper_per_1000[best],
                100.0 * policies.share_promoted[best]
            ));
        }
        return t;
    };
    if let (Some(best), Some(all), Some(oracle)) = (
        policies.feasible().into_iter().max_by(|a, b| {
            truth.oracle_lift_per_1000_eligible_slates[*a]
                .total_cmp(&truth.oracle_lift_per_1000_eligible_slates[*b])
                .then(b.cmp(a))
        }),
        policies.row(PolicyRule::PromoteAll),
        policies.row(PolicyRule::OracleBest),
    ) {
        t.finding.push(format!(
            "Best feasible targeting rule: {}",
            policies.policy[best]
        ));
        t.evidence.push(format!(
            "{:.1} oracle clicks per 1,000 eligible slates, promoting {:.1}% of slates, vs {:.1} for promoting every slate; the oracle-best rule reaches {:.1} by promoting {:.1}%.",
            truth.oracle_lift_per_1000_eligible_slates[best],
            100.0 * policies.share_promoted[best],
            truth.oracle_lift_per_1000_eligible_slates[all],
            truth.oracle_lift_per_1000_eligible_slates[oracle],
            100.0 * policies.share_promoted[oracle]
        ));
        let covered = (0..policies.len())
            .filter(|i| truth.oracle_inside_aipw_ci[*i])
            .count();
        t.finding
            .push("The randomized data alone tell how good each rule is".into());
        t.evidence.push(format!(
            "The AIPW interval contains the oracle value for {covered} of {} rules; for the best feasible rule the estimate is {:.1} [{:.1}, {:.1}] against an oracle {:.1} per 1,000 eligible slates.",
            policies.len(),
            policies.aipw_value_per_1000[best],
            policies.aipw_ci_95_lower_per_1000[best],
            policies.aipw_ci_95_upper_per_1000[best],
            truth.oracle_lift_per_1000_eligible_slates[best]
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(test_rmse: [f64; 2]) -> ModelMetrics {
        let mut m = ModelMetrics::default();
        for (model, rmse) in [
            (Learner::LightGbm, test_rmse[0]),
            (Learner::XgBoost, test_rmse[1]),
        ] {
            m.model.push(model);
            m.split.push(slate_models::tables::Split::Test);
            m.rmse.push(rmse);
            m.mae.push(1.0);
            m.r2.push(0.065);
            m.n.push(250_000);
        }
        m
    }

    #[test]
    fn the_best_model_is_named_unless_the_printed_rmses_tie() {
        let compose =
            |m: &ModelMetrics| compose_takeaways(m, &WithTruth::default(), &WithTruth::default());
        let t = compose(&metrics([1.29574, 1.29573]));
        assert_eq!(
            t.finding[0],
            "XGBoost and LightGBM predicted held-out total clicks per slate equally well"
        );
        assert_eq!(
            t.evidence[0],
            "Test RMSE XGBoost 1.296, LightGBM 1.296 clicks per slate (250000 slates): equal to the printed digits."
        );
        let t = compose(&metrics([1.29, 1.31]));
        assert_eq!(
            t.finding[0],
            "LightGBM had the best held-out prediction of total clicks per slate"
        );
        assert_eq!(
            t.evidence[0],
            "Test RMSE 1.290 clicks per slate (R² 0.065, 250000 slates) vs XGBoost 1.310."
        );
    }
}
