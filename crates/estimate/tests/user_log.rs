//! A user-randomized log (several slates per user, string ids, slates of 4 to 9 items, rows
//! shuffled, the user's own column names, a further outcome `dwell`) read through `slate-log`,
//! mapped and estimated: the unit-clustered CR1 of every contrast and outcome equals
//! statsmodels clustered by user
//! (`tests/reference/user_log_reference.py` generated the log and the numbers), and differs
//! from clustering by slate.

use std::path::PathBuf;

use slate_estimate::EstimateConfig;
use slate_estimate::contrasts::Contrast;
use slate_log::{LogConfig, OnBadSlate};
use slate_table::Label;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("reference")
}

#[test]
fn unit_clustered_cr1_matches_statsmodels_clustered_by_user() {
    let config = LogConfig {
        columns: [
            ("slate_id".to_string(), "impression".to_string()),
            ("unit_id".to_string(), "user".to_string()),
        ]
        .into(),
        outcomes: vec!["dwell".into()],
        covariates: vec!["score".into()],
    };
    let (log, dropped) = slate_log::read_log(
        &reference_dir().join("user_log.csv"),
        &config,
        OnBadSlate::Error,
    )
    .unwrap();
    assert!(dropped.is_empty());
    assert_eq!(log.n_units(), 80);
    assert!(log.slate_ids.is_string() && log.truth.is_none());
    let tables = slate_exposure::map_exposure(&log).unwrap();
    assert_eq!(tables.mapping.outcomes[0].name, "dwell");
    let estimates = slate_estimate::run(
        slate_estimate::contrasts::Items::Rows(&tables.mapping),
        &(&tables.slates).into(),
        &EstimateConfig {
            bootstrap_replicates: 50,
            ..EstimateConfig::default()
        },
    )
    .unwrap();
    assert!(estimates.validation.is_none() && estimates.decomposition.is_none());
    let observed = &estimates.observed;
    // Without truth, only the observed view: the click, then dwell, five contrasts each.
    assert_eq!(estimates.estimates.len(), 10);
    assert_eq!(observed.len(), 10);
    assert_eq!(observed.outcome[5].text(), "dwell");
    assert_eq!(observed.outcome[9].text(), "total dwell");

    let text = std::fs::read_to_string(reference_dir().join("user_log_reference.csv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        lines.next().unwrap(),
        "outcome,contrast,estimate,cr1_unit_se,cr1_slate_se,rows,units"
    );
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-12);
    let mut checked = 0;
    for line in lines {
        let (outcome, f): (&str, Vec<&str>) = {
            let mut fields: Vec<&str> = line.split(',').collect();
            (fields.remove(0), fields)
        };
        let block = if outcome == "click" { 0 } else { 5 };
        let i = (block..block + 5)
            .find(|i| Some(observed.contrast[*i]) == Contrast::parse(f[0]))
            .unwrap_or_else(|| panic!("no row for {outcome} / {}", f[0]));
        let (estimate, unit_se, slate_se): (f64, f64, f64) = (
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
            f[3].parse().unwrap(),
        );
        assert!(close(observed.estimate[i], estimate), "{}: estimate", f[0]);
        assert!(
            close(observed.cluster_se[i], unit_se),
            "{}: CR1 by unit {} vs statsmodels {unit_se}",
            f[0],
            observed.cluster_se[i]
        );
        assert!(
            observed.cluster_se[i] > 1.1 * slate_se,
            "{}: clustering by user must differ from clustering by slate",
            f[0]
        );
        assert_eq!(
            observed.treated_n[i] + observed.control_n[i],
            f[4].parse::<u32>().unwrap()
        );
        assert_eq!(observed.clusters[i], f[5].parse::<u32>().unwrap());
        checked += 1;
    }
    assert_eq!(checked, 10);
    // Holm runs over all ten observed tests: each adjusted p is at least its raw p.
    for i in 0..observed.len() {
        assert!(observed.p_value_holm[i] >= observed.p_value_cluster[i]);
    }
}
