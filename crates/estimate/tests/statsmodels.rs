//! The difference-in-means estimator pinned to statsmodels (`tests/reference/`: the script that
//! generated the numbers, its input data and its output). Relative error ≤ 1e-9 for every
//! number, for both the closed-form path and the general sandwich.

use std::collections::BTreeMap;
use std::path::PathBuf;

use slate_estimate::ols::{OlsFit, treatment_design};
use slate_estimate::{Sample, difference_in_means};

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("reference")
}

/// Reads a simple CSV (no quoted fields) into header and rows, skipping `#` comments.
fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(reference_dir().join(name)).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    (
        header,
        lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect(),
    )
}

fn cases() -> BTreeMap<String, Sample> {
    let (_, rows) = read_csv("reference_data.csv");
    let mut cases: BTreeMap<String, Sample> = BTreeMap::new();
    for row in rows {
        let sample = cases.entry(row[0].clone()).or_default();
        sample.cluster.push(row[1].parse().unwrap());
        sample.treated.push(row[2] == "1");
        sample.y.push(row[3].parse().unwrap());
    }
    cases
}

fn references() -> Vec<BTreeMap<String, String>> {
    let (header, rows) = read_csv("statsmodels_reference.csv");
    rows.into_iter()
        .map(|row| header.iter().cloned().zip(row).collect())
        .collect()
}

fn assert_close(what: &str, ours: f64, theirs: f64) {
    let relative = (ours - theirs).abs() / theirs.abs().max(f64::MIN_POSITIVE);
    assert!(
        relative <= 1e-9,
        "{what}: ours {ours:.17e} vs statsmodels {theirs:.17e} (rel {relative:e})"
    );
}

#[test]
fn difference_in_means_equals_statsmodels() {
    let cases = cases();
    let references = references();
    assert_eq!(references.len(), 4);
    for reference in references {
        let name = &reference["case"];
        let value = |key: &str| reference[key].parse::<f64>().unwrap();
        let r = difference_in_means(&cases[name], name, "y").unwrap();
        assert_close(&format!("{name} estimate"), r.estimate, value("estimate"));
        assert_close(&format!("{name} naive_se"), r.naive_se, value("naive_se"));
        assert_close(
            &format!("{name} cluster_se"),
            r.cluster_se,
            value("cluster_se"),
        );
        assert_close(
            &format!("{name} p_value_cluster"),
            r.p_value_cluster(),
            value("p_value_cluster"),
        );
        assert_eq!(r.clusters, value("clusters") as usize, "{name} clusters");
        assert_eq!(
            r.treated_n + r.control_n,
            value("nobs") as usize,
            "{name} nobs"
        );
    }
}

#[test]
fn general_sandwich_equals_statsmodels() {
    let cases = cases();
    for reference in references() {
        let name = &reference["case"];
        let value = |key: &str| reference[key].parse::<f64>().unwrap();
        let sample = &cases[name];
        let x = treatment_design(&sample.treated);
        let y = ndarray::Array1::from(sample.y.clone());
        let fit = OlsFit::fit(x.view(), y.view(), &sample.cluster).unwrap();
        assert_close(
            &format!("{name} intercept"),
            fit.params()[0],
            value("intercept"),
        );
        assert_close(&format!("{name} slope"), fit.params()[1], value("estimate"));
        assert_close(
            &format!("{name} naive_se"),
            fit.naive_se(1),
            value("naive_se"),
        );
        assert_close(
            &format!("{name} cluster_se"),
            fit.cluster_se(1),
            value("cluster_se"),
        );
        assert_close(
            &format!("{name} cluster_se const"),
            fit.cluster_se(0),
            value("cluster_se_intercept"),
        );
        assert_close(
            &format!("{name} cluster cov"),
            fit.cluster_cov()[(0, 1)],
            value("cluster_cov_intercept_treated"),
        );
        assert_eq!(fit.clusters(), value("clusters") as usize);
    }
}

/// CR2 standard errors and Satterthwaite degrees of freedom against the independent numpy
/// implementation in `tests/reference/cr2_reference.py`.
#[test]
fn cr2_equals_the_independent_numpy_implementation() {
    use slate_estimate::ols::cr2;
    let cases = cases();
    let (header, rows) = read_csv("cr2_reference.csv");
    assert_eq!(rows.len(), 4);
    for row in rows {
        let reference: BTreeMap<String, String> = header.iter().cloned().zip(row).collect();
        let name = &reference["case"];
        let value = |key: &str| reference[key].parse::<f64>().unwrap();
        let sample = &cases[name];
        let x = treatment_design(&sample.treated);
        let y = ndarray::Array1::from(sample.y.clone());
        let fit = cr2(
            x.view(),
            y.view(),
            &sample.cluster,
            ndarray::array![0.0, 1.0].view(),
        )
        .unwrap();
        assert_close(&format!("{name} cr2_se"), fit.se(1), value("cr2_se"));
        assert_close(
            &format!("{name} cr2_se const"),
            fit.se(0),
            value("cr2_se_intercept"),
        );
        assert_close(&format!("{name} cr2_df"), fit.df, value("cr2_df"));
    }
}

/// The restricted wild cluster bootstrap with fully enumerated Rademacher weights against a
/// brute-force statsmodels refit of every replicate (`tests/reference/wild_reference.py`).
#[test]
fn wild_cluster_bootstrap_equals_brute_force_enumeration() {
    use slate_estimate::wild::{Weights, wild_cluster_test};
    let (_, rows) = read_csv("wild_reference_data.csv");
    let mut sample = Sample::default();
    for row in rows {
        sample.cluster.push(row[0].parse().unwrap());
        sample.treated.push(row[1] == "1");
        sample.y.push(row[2].parse().unwrap());
    }
    let (header, rows) = read_csv("wild_reference.csv");
    assert_eq!(rows.len(), 3);
    for row in rows {
        let reference: BTreeMap<String, String> = header.iter().cloned().zip(row).collect();
        let value = |key: &str| reference[key].parse::<f64>().unwrap();
        let test = wild_cluster_test(&sample, value("null"), Weights::Rademacher, 4096, 1).unwrap();
        assert_eq!(test.replicates, 1024, "2^10 sign vectors enumerated");
        assert_close(&format!("t at null {}", value("null")), test.t, value("t"));
        assert_eq!(
            test.p_value,
            value("p_value"),
            "p at null {}",
            value("null")
        );
    }
}

/// The Lin covariate-adjusted effect with CR1 (statsmodels' cluster covariance) and CR2
/// (the independent numpy implementation) by unit, from `tests/reference/lin_reference.py`.
/// The data carry a collinear and a constant covariate, which the estimator must drop.
#[test]
fn lin_adjustment_equals_statsmodels_clustered_by_unit() {
    use slate_estimate::adjust::{Covariates, lin};
    let (header, rows) = read_csv("lin_reference_data.csv");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let names = ["x1", "x2", "x_sum", "x_const", "x3"];
    let mut cases: BTreeMap<String, (Sample, Vec<f64>)> = BTreeMap::new();
    for row in &rows {
        let (sample, flat) = cases.entry(row[column("case")].clone()).or_default();
        sample.cluster.push(row[column("unit")].parse().unwrap());
        sample.treated.push(row[column("treated")] == "1");
        sample.y.push(row[column("y")].parse().unwrap());
        flat.extend(names.iter().map(|n| row[column(n)].parse::<f64>().unwrap()));
    }
    let (header, rows) = read_csv("lin_reference.csv");
    assert_eq!(rows.len(), 2);
    for row in rows {
        let reference: BTreeMap<String, String> = header.iter().cloned().zip(row).collect();
        let value = |k: &str| reference[k].parse::<f64>().unwrap();
        let (sample, flat) = &cases[&reference["case"]];
        let covariates = Covariates::from_matrix(
            names.iter().map(|n| n.to_string()).collect(),
            ndarray::Array2::from_shape_vec((sample.y.len(), names.len()), flat.clone())
                .unwrap()
                .view(),
        );
        let fit = lin(sample, &covariates).unwrap();
        let case = &reference["case"];
        assert_eq!(fit.covariates, 3, "{case}: x_sum and x_const dropped");
        assert_eq!(fit.n as f64, value("n"));
        assert_eq!(fit.clusters as f64, value("clusters"));
        assert_close(&format!("{case} estimate"), fit.estimate, value("estimate"));
        assert_close(&format!("{case} CR1 SE"), fit.cr1_se, value("cr1_se"));
        assert_close(&format!("{case} CR2 SE"), fit.cr2_se, value("cr2_se"));
        assert_close(&format!("{case} CR2 df"), fit.cr2_df, value("cr2_df"));
    }
}

/// The analytic power of a two-sided z-test against statsmodels' `NormalIndPower`, and the
/// MDE against its closed form (`tests/reference/power_reference.py`).
#[test]
fn analytic_power_equals_statsmodels_normal_ind_power() {
    use slate_estimate::power::{minimum_detectable_effect, normal_power};
    let (header, rows) = read_csv("power_reference.csv");
    assert_eq!(rows.len(), 40);
    for row in rows {
        let reference: BTreeMap<String, String> = header.iter().cloned().zip(row).collect();
        let value = |k: &str| reference[k].parse::<f64>().unwrap();
        let (effect, se, alpha) = (value("effect"), value("se"), value("alpha"));
        let what = format!("effect {effect}, se {se}, alpha {alpha}");
        assert_close(
            &format!("{what}: power"),
            normal_power(effect, se, alpha),
            value("power"),
        );
        assert_close(
            &format!("{what}: MDE"),
            minimum_detectable_effect(se, alpha, 0.8),
            value("mde_80"),
        );
    }
}
