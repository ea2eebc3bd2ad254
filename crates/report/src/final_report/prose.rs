//! The report's prose: the executive summary, the power paragraph, the limitations, the
//! inference sentence and the resume bullets, every number from the facts.

use std::fmt::Write as _;

use slate_estimate::coverage::NOMINAL_COVERAGE;
use slate_estimate::tables::Scenario;

use super::facts::*;
use super::tables::*;
use crate::charts::thousands;

/// The summary's power paragraph (empty without a power study).
pub fn power_paragraph(f: &Facts) -> String {
    if f.power.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "`cargo xtask power` simulated each scenario's population at several sizes and re-drew the experiment at each (figure 29, `movielens_interference_power.csv`).",
    );
    for p in &f.power {
        let reach = if p.reaches_target {
            // The SE scales as 1/sqrt(slates) at a fixed number of slates per unit, so the MDE
            // equals |τ| at n · (MDE / |τ|)² slates: from the last size below 80%, else from
            // the first at or above it.
            let (n, units, mde) = p.below.unwrap_or((p.n_slates, p.n_units, p.mde_total()));
            let needed = f64::from(n) * (mde / p.total_effect.abs()).powi(2);
            format!(
                "needs about {} slates for 80% power by the analytic formula (extrapolated from {} slates with {:.1} slates per unit, assuming that ratio holds); the grid reaches it at {} slates (analytic {:.0}%, simulated {:.0}% over {} experiments)",
                thousands(needed.round() as u64),
                thousands(u64::from(n)),
                f64::from(n) / f64::from(units),
                thousands(u64::from(p.n_slates)),
                100.0 * p.total_power.0,
                100.0 * p.total_power.1,
                p.replicates
            )
        } else {
            format!(
                "does not reach 80% power on the grid: {:.0}% at {} slates (simulated {:.0}%)",
                100.0 * p.total_power.0,
                thousands(u64::from(p.n_slates)),
                100.0 * p.total_power.1
            )
        };
        let mde: Vec<String> = p.mde.iter().map(|(c, m)| format!("{} {m:.3}", c)).collect();
        out.push_str(&format!(
            " In scenario `{}` the total-slate effect ({:.3}) {reach}; there the minimum detectable effects at 80% power are: {}. Lin covariate adjustment shrinks the total's standard error by {:.1}%.",
            p.scenario,
            p.total_effect,
            mde.join("; "),
            100.0 * p.lin_shrink
        ));
    }
    out.push_str(&format!(
        " Simulated and analytic power agree within 3 Monte-Carlo SE + 0.02 at {} of {} points.",
        f.power_agreement.0, f.power_agreement.1
    ));
    out
}

pub(super) fn limitations(facts: &Facts) -> Limitations {
    let rows: [(&str, String, &str); 6] = [
        (
            "MovieLens contains ratings, not recommendation impressions.",
            format!(
                "The slates, promotions and clicks are simulated on {}; the analysis demonstrates an interference workflow but does not estimate real production promotion effects.",
                facts.data
            ),
            "Use real slate impression logs or run a randomized slate experiment when available.",
        ),
        (
            "Promotion assignment and outcomes are simulated.",
            "The numbers reflect the assumed click model (position bias, attention budget, same-cluster substitution); a different mechanism would give different effects.".into(),
            "Treat the results as a methodology demonstration and validate with online experiments.",
        ),
        (
            "Genres are coarse substitute clusters.",
            "Each movie gets one cluster (its rarest genre covering at least 10% of the catalogue); some substitutes are missed and some same-cluster movies do not compete.".into(),
            "Use learned item embeddings, co-watch patterns, or richer metadata for production analysis.",
        ),
        match &facts.sweep {
            None => (
                "Only one promotion design is simulated.",
                "One promotion probability, slate size and focal-position range; other designs could change the net effect.".into(),
                "Run `cargo xtask design-sweep` (promotion probability, focal window, attention cost, substitution penalty) or set any knob in the config.",
            ),
            Some(sweep) => (
                "The headline design is one of many; the design sweep varies one knob at a time.",
                format!(
                    "Over {} ({} slates each), the true total effect ranged from {:.3} ({} = {}) to {:.3} ({} = {}){}; {} moves it most (spread {:.3}). The total's test had {:.0}–{:.0}% power.{}",
                    sweep.knobs.join(", "),
                    sweep.n_slates,
                    sweep.lowest.0,
                    sweep.lowest.1,
                    sweep.lowest.2,
                    sweep.highest.0,
                    sweep.highest.1,
                    sweep.highest.2,
                    if sweep.highest.0 < 0.0 {
                        ", negative at every point: no swept design makes promotion help the slate"
                    } else {
                        ""
                    },
                    sweep.strongest.0,
                    sweep.strongest.1,
                    100.0 * sweep.power_range.0,
                    100.0 * sweep.power_range.1,
                    match &sweep.best_slot {
                        None => String::new(),
                        Some(((first, last), slot, total)) if *total > 0.0 => format!(
                            " Of target slots {first}–{last}, slot {slot} gives the slate its best total ({total:+.3} clicks per slate)."
                        ),
                        Some(((first, last), slot, total)) => format!(
                            " Every target slot from {first} to {last} loses clicks for the slate; slot {slot} loses least ({total:+.3} clicks per slate)."
                        ),
                    }
                ),
                "Measure the knob that moves the net effect most on your own product (e.g. the attention a hero tile takes, with a holdout of the format) before generalizing, and rerun the sweep on your own knobs.",
            ),
        },
        (
            "Advanced models are evaluated against simulated oracle lift.",
            format!(
                "Policy values depend on the simulated outcome mechanism; the best feasible rule's {:.1} oracle clicks per 1,000 eligible slates is a property of this simulation.",
                facts.best_policy.1
            ),
            "Use randomized or valid off-policy evaluation (the AIPW policy values) before deploying targeted promotion rules.",
        ),
        (
            "Interval coverage is checked on one design.",
            format!(
                "The coverage study re-drew assignment and clicks {} times on these slates; the CR1 interval covered the total-slate truth in {:.1}% of them{}.",
                facts.coverage_replicates,
                100.0 * facts.total_cr1_coverage,
                match facts.correlated_total_coverage {
                    Some((naive, cr1)) => format!(
                        ", and in a correlated, user-randomized variant the naive interval {:.1}% against the unit-clustered CR1's {:.1}%",
                        100.0 * naive,
                        100.0 * cr1
                    ),
                    None => String::new(),
                }
            ),
            "Rerun `cargo xtask coverage --reps 1000` on any new design before trusting its intervals.",
        ),
    ];
    let mut t = Limitations::default();
    for (limitation, impact, mitigation) in rows {
        t.limitation.push(limitation.into());
        t.impact.push(impact);
        t.mitigation.push(mitigation.into());
    }
    t
}

/// The design sweep's answer to "where should the promoted tile go?", when it swept the
/// target slot: the slot with the best true total for the slate, or that every slot loses.
pub fn placement_paragraph(f: &Facts) -> Option<String> {
    let ((first, last), slot, total) = f.sweep.as_ref()?.best_slot.as_ref()?;
    let verdict = if *total > 0.0 {
        format!(
            "slot {slot} gives the slate its best total: {total:+.3} simulated clicks per slate"
        )
    } else {
        format!(
            "every slot loses clicks for the slate; slot {slot} loses least ({total:+.3} simulated clicks per slate)"
        )
    };
    Some(format!(
        "`cargo xtask design-sweep` promoted the focal movie to each slot from {first} to {last} (figure 31, `movielens_interference_design_sweep.csv`): {verdict}."
    ))
}

/// The executive summary (seed section 13), every number from `facts`.
pub fn summary_markdown(f: &Facts) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Final Summary: Interference and Spillover Effects in Recommendation Slates\n"
    );
    let _ = writeln!(s, "## Question\n");
    let _ = writeln!(
        s,
        "This analysis studies what happens when a lower-ranked item is promoted inside a recommendation slate. The causal issue is interference: promoting one item can affect other items because slate attention is limited.\n"
    );
    let _ = writeln!(s, "## Data and Design\n");
    let _ = writeln!(
        s,
        "The run used {} as a user-item preference dataset. Since MovieLens does not contain impression logs or promotion assignments, the workflow constructed simulated recommendation slates, selected focal items, randomized focal promotion at the slate level, and generated outcomes from an explicit competition model with the truth kept.\n",
        f.data
    );
    let _ = writeln!(s, "## Main Finding\n");
    let _ = writeln!(
        s,
        "The promoted focal item gained engagement, but the full slate lost value after competitor displacement was included.\n"
    );
    let _ = writeln!(
        s,
        "- Direct focal item effect: {:.3} simulated click-rate lift.",
        f.direct
    );
    let _ = writeln!(
        s,
        "- Same-cluster competitor spillover: {:.3}.",
        f.same_cluster
    );
    let _ = writeln!(s, "- All non-focal spillover: {:.3}.", f.all_non_focal);
    let _ = writeln!(
        s,
        "- Total slate effect: {:.3} simulated clicks per slate (95% CI {:.3} to {:.3}).\n",
        f.total, f.total_ci.0, f.total_ci.1
    );
    let _ = writeln!(
        s,
        "In product units, the focal item gained {:.1} simulated clicks per 1,000 promoted slates, while same-cluster competitors changed by {:.1} and other competitors changed by {:.1}. The net total slate effect was {:.1} simulated clicks per 1,000 promoted slates.\n",
        f.direct_per_1000, f.same_cluster_per_1000, f.other_per_1000, f.total_per_1000
    );
    let _ = writeln!(s, "## Advanced Modeling\n");
    let _ = writeln!(
        s,
        "Flexible outcome models predicted slate-level clicks and conditional net promotion effects. {} at {:.3} clicks per slate. Cross-fitted AIPW estimates were {:.3} (LightGBM) and {:.3} (XGBoost), close to the randomized total-effect estimate of {:.3}.\n",
        best_rmse_clause(&f.best_model.0),
        f.best_model.1,
        f.lightgbm_aipw,
        f.xgboost_aipw,
        f.total
    );
    let _ = writeln!(
        s,
        "Targeting: promoting every eligible slate changes expected clicks by {:.1} per 1,000 eligible slates, and {:.1}% of slates have a positive oracle net effect. The best feasible rule was `{}` at {:.1} (promoting {:.1}% of slates); the best rule built from model predictions was `{}` at {:.1}.\n",
        f.promote_all_per_1000,
        100.0 * f.positive_oracle_share,
        f.best_policy.0,
        f.best_policy.1,
        100.0 * f.best_policy_share,
        f.best_model_rule.0,
        f.best_model_rule.1
    );
    let _ = writeln!(s, "## Inference\n");
    let _ = writeln!(s, "{}\n", inference_sentence(f));
    let power = power_paragraph(f);
    if !power.is_empty() {
        let _ = writeln!(s, "## Power\n");
        let _ = writeln!(s, "{power}\n");
    }
    if let Some(placement) = placement_paragraph(f) {
        let _ = writeln!(s, "## Where to place the promoted tile\n");
        let _ = writeln!(s, "{placement}\n");
    }
    let _ = writeln!(s, "## Recommendation\n");
    let _ = writeln!(
        s,
        "Do not evaluate promotion policies using promoted-item gains alone. When items compete for visibility, report slate-level total effects and monitor substitute or displaced-item spillovers. Advanced models can help target safer promotions, but they should be validated against randomized or valid off-policy benchmarks.\n"
    );
    let _ = writeln!(s, "## Limitations\n");
    let _ = writeln!(
        s,
        "The numerical results come from a simulation built on MovieLens ratings, not a production experiment. Genres are coarse substitute clusters, the outcome mechanism is assumed, and the headline comes from one promotion design (`cargo xtask design-sweep` varies it). The value of the work is the transferable causal workflow: define interference, randomize at the right level, decompose direct and indirect effects, check interval coverage, and evaluate policies by net slate value."
    );
    s
}

/// Who had the best held-out RMSE: one model, or the models tied to the printed digits.
pub(super) fn best_rmse_clause(models: &[String]) -> String {
    match models {
        [one] => format!("{one} had the best held-out RMSE"),
        tied => format!("{} tied for the best held-out RMSE", tied.join(" and ")),
    }
}

/// What the coverage study says, accounting for its Monte-Carlo error: at R replicates an
/// interval that truly covers 95% shows anywhere in 95% ± `coverage_margin`, so a method is
/// judged only against that band.
pub fn inference_sentence(f: &Facts) -> String {
    let band = (
        100.0 * (NOMINAL_COVERAGE - f.coverage_margin),
        100.0 * (NOMINAL_COVERAGE + f.coverage_margin).min(1.0),
    );
    let verdict = match (
        f.total_consistent_methods.len(),
        f.total_inconsistent_methods.as_slice(),
    ) {
        (_, []) => "every method's coverage of the total is consistent with 95%".to_string(),
        (0, _) => "no method's coverage of the total is consistent with 95%".to_string(),
        (_, below) => format!(
            "consistent with 95% for the total: {}; not consistent: {}",
            f.total_consistent_methods.join("; "),
            below
                .iter()
                .map(|(m, c)| format!("{m} ({:.1}%)", 100.0 * c))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let mut out = format!(
        "Re-drawing assignment and clicks {} times on the same slates, the CR1 interval covered the true total-slate effect in {:.1}% of experiments (Monte-Carlo SE {:.1} points). At {} replicates an interval that truly covers 95% shows between {:.1}% and {:.1}%: {}{}",
        f.coverage_replicates,
        100.0 * f.total_cr1_coverage,
        100.0 * f.total_cr1_coverage_se,
        f.coverage_replicates,
        band.0,
        band.1,
        verdict,
        if f.coverage_margin > 0.01 {
            " (`cargo xtask coverage --reps 1000` narrows the band to ±1.4 points)."
        } else {
            "."
        }
    );
    if let Some((naive, cr1)) = f.correlated_total_coverage {
        out.push_str(&format!(
            " When clicks share a user's and a session's propensity and whole users are randomized (scenario `{}`), the naive interval covered the total in {:.1}% of experiments and the unit-clustered CR1 interval in {:.1}%: cluster at the randomized unit.",
            Scenario::CorrelatedUserRandomized,
            100.0 * naive,
            100.0 * cr1
        ));
    }
    out
}

/// The resume bullets (seed section 13), every number from `facts`.
pub fn bullets_markdown(f: &Facts) -> String {
    format!(
        "# Resume Bullets: Interference and Spillover Effects\n\n\
         - Built an end-to-end causal inference workflow in Rust for recommendation slate interference on {}, with simulated randomized promotions and slate-level outcome construction.\n\
         - Estimated direct, spillover, and total effects under item competition; found a +{:.1} focal-click gain but a {:.1} net slate-click change per 1,000 promoted slates after competitor displacement.\n\
         - Implemented slate-clustered (CR1, CR2), bootstrap, wild-bootstrap and randomization inference with a Monte-Carlo coverage study, a direct/indirect/total decomposition, and sensitivity analyses across spillover definitions.\n\
         - Trained LightGBM and XGBoost outcome models for conditional net-effect prediction, compared cross-fitted AIPW ({:.3}) against the randomized estimate ({:.3}), and evaluated targeted promotion policies against oracle and AIPW values.\n",
        f.data, f.direct_per_1000, f.total_per_1000, f.lightgbm_aipw, f.total
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_rmse_clause_names_one_model_or_the_tie() {
        assert_eq!(
            best_rmse_clause(&["LightGBM".into()]),
            "LightGBM had the best held-out RMSE"
        );
        assert_eq!(
            best_rmse_clause(&["XGBoost".into(), "LightGBM".into()]),
            "XGBoost and LightGBM tied for the best held-out RMSE"
        );
    }
}
