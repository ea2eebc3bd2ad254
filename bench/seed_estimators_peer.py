"""Python peer for the estimator stage of `cargo xtask bench`: the seed notebook's own
estimator code (`difference_in_means` and `cluster_bootstrap_difference`, copied as written in
../shared/seeds/000_fbe665ce99def824.txt, pandas + statsmodels) run on the exposure tables our
pipeline wrote: the five contrasts on three outcome views with naive and slate-clustered SEs,
and 500 cluster-bootstrap replicates of each observed contrast. Prints JSON with the wall time
(reading the parquet files excluded) and peak RSS.

Usage: python3 bench/seed_estimators_peer.py PROCESSED_DIR [BOOTSTRAP_REPLICATES]
"""

import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm


# --- copied from the seed notebook (000_fbe665ce99def824), unchanged ---------------------------
def difference_in_means(
    data,
    outcome,
    treatment="promotion_applied",
    cluster_col="slate_id",
    contrast_name=None,
    outcome_label=None,
):
    # Estimate treated-control mean difference with naive and clustered uncertainty.
    columns = [outcome, treatment]
    if cluster_col is not None:
        columns.append(cluster_col)
    work = data[columns].dropna().copy()
    work[treatment] = work[treatment].astype(float)
    work[outcome] = work[outcome].astype(float)
    treated = work.loc[work[treatment] == 1, outcome]
    control = work.loc[work[treatment] == 0, outcome]
    if treated.empty or control.empty:
        raise ValueError(f"Both treatment arms are required for {contrast_name} / {outcome}.")
    x = sm.add_constant(work[treatment], has_constant="add")
    y = work[outcome]
    naive_fit = sm.OLS(y, x).fit()
    coef = float(naive_fit.params[treatment])
    naive_se = float(naive_fit.bse[treatment])
    if cluster_col is not None:
        cluster_fit = sm.OLS(y, x).fit(
            cov_type="cluster",
            cov_kwds={"groups": work[cluster_col]},
        )
        cluster_se = float(cluster_fit.bse[treatment])
        p_value = float(cluster_fit.pvalues[treatment])
        clusters = work[cluster_col].nunique()
    else:
        cluster_se = naive_se
        p_value = float(naive_fit.pvalues[treatment])
        clusters = np.nan
    return {
        "contrast": contrast_name or outcome,
        "outcome": outcome_label or outcome,
        "estimate": coef,
        "naive_se": naive_se,
        "cluster_se": cluster_se,
        "ci_95_lower": coef - 1.96 * cluster_se,
        "ci_95_upper": coef + 1.96 * cluster_se,
        "p_value_cluster": p_value,
        "treated_mean": treated.mean(),
        "control_mean": control.mean(),
        "treated_n": len(treated),
        "control_n": len(control),
        "clusters": clusters,
    }


def cluster_bootstrap_difference(
    data,
    outcome,
    treatment="promotion_applied",
    cluster_col="slate_id",
    n_bootstrap=500,
    seed=20260428,
):
    # Resample whole slates, then recompute the treated-control mean difference.
    work = data[[outcome, treatment, cluster_col]].dropna().reset_index(drop=True).copy()
    work[treatment] = work[treatment].astype(int)
    work[outcome] = work[outcome].astype(float)
    clusters = work[cluster_col].drop_duplicates().to_numpy()
    group_positions = work.groupby(cluster_col).indices
    rng = np.random.default_rng(seed)
    estimates = []
    for _ in range(n_bootstrap):
        sampled_clusters = rng.choice(clusters, size=len(clusters), replace=True)
        sampled_positions = np.concatenate([group_positions[cluster] for cluster in sampled_clusters])
        sample = work.iloc[sampled_positions]
        treated = sample.loc[sample[treatment] == 1, outcome]
        control = sample.loc[sample[treatment] == 0, outcome]
        if treated.empty or control.empty:
            estimates.append(np.nan)
        else:
            estimates.append(treated.mean() - control.mean())
    return np.asarray(estimates, dtype=float)
# ------------------------------------------------------------------------------------------------


def main() -> None:
    processed = sys.argv[1]
    replicates = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    mapping = pd.read_parquet(f"{processed}/movielens_interference_exposure_mapping.parquet")
    slates = pd.read_parquet(f"{processed}/movielens_interference_slate_outcomes.parquet")
    start = time.perf_counter()
    mapping["observed_click_f"] = mapping["observed_click"].astype(float)
    item_views = [
        ("observed_click_f", "Observed simulated click"),
        ("expected_click_prob", "Expected click probability"),
        ("known_induced_lift", "Known induced lift"),
    ]
    slate_views = [
        ("total_observed_clicks", "Observed total simulated clicks"),
        ("total_expected_clicks", "Expected total clicks"),
        ("total_known_lift", "Known total induced lift"),
    ]
    contrasts = [
        ("Direct focal item", mapping[mapping["is_focal"]]),
        ("Same-cluster competitor spillover", mapping[mapping["same_cluster_as_focal"]]),
        ("Displaced-item spillover", mapping[mapping["displaced_by_promotion"]]),
        ("All non-focal slate spillover", mapping[~mapping["is_focal"]]),
    ]
    results = []
    for name, data in contrasts:
        for outcome, label in item_views:
            results.append(difference_in_means(data, outcome, contrast_name=name, outcome_label=label))
    for outcome, label in slate_views:
        results.append(difference_in_means(slates, outcome, contrast_name="Total slate", outcome_label=label))
    draws = []
    for name, data in contrasts:
        draws.append(cluster_bootstrap_difference(data, "observed_click_f", n_bootstrap=replicates))
    draws.append(cluster_bootstrap_difference(slates, "total_observed_clicks", n_bootstrap=replicates))
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    json.dump(
        {
            "seconds": seconds,
            "peak_rss_mib": peak_mib,
            "estimates": len(results),
            "direct_estimate": results[0]["estimate"],
            "bootstrap_replicates": replicates,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
