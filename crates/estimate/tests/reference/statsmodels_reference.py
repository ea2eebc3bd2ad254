"""Reference numbers for the difference-in-means estimator, from statsmodels.

Regenerate (from this directory) with:  python3 statsmodels_reference.py
Versions used for the committed numbers are written into statsmodels_reference.csv's
header comment. The Rust test `tests/statsmodels.rs` reads both CSVs.

Each case is OLS of y on a constant and the treatment indicator, exactly as the seed notebook's
`difference_in_means` helper: naive (non-robust) standard errors, and
`cov_type="cluster", cov_kwds={"groups": cluster}` (CR1 with G/(G-1)*(N-1)/(N-K), normal
p-values).
"""

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm

rng = np.random.default_rng(20260428)
cases = []

# 1. Item rows: Bernoulli clicks, slates of 12 rows, treatment constant within a slate.
g = np.repeat(np.arange(300), 12)
d = np.repeat(rng.random(300) < 0.5, 12).astype(float)
p = 0.2 + 0.15 * d - 0.02 * (np.tile(np.arange(12), 300) / 12)
cases.append(("item_clicks", g, d, (rng.random(g.size) < p).astype(float)))

# 2. Continuous outcome with a cluster random effect and unequal cluster sizes.
sizes = rng.integers(1, 15, size=150)
g = np.repeat(np.arange(150), sizes)
d = np.repeat(rng.random(150) < 0.4, sizes).astype(float)
u = np.repeat(rng.normal(0, 0.7, 150), sizes)
cases.append(("continuous_unequal", g, d, 1.5 - 0.3 * d + u + rng.normal(0, 1, g.size)))

# 3. Treatment varying within clusters (the general sandwich, not the slate design).
g = rng.integers(0, 40, size=500)
d = (rng.random(500) < 0.5).astype(float)
cases.append(("mixed_within_cluster", g, d, 0.7 * d + rng.normal(0, 2, 500) + 0.1 * g))

# 4. One row per cluster (slate totals), non-contiguous cluster ids.
g = rng.permutation(np.arange(0, 4000, 7))[:400]
d = (rng.random(400) < 0.5).astype(float)
cases.append(("one_row_per_cluster", g, d, rng.poisson(2.5 - 0.3 * d).astype(float)))

data_rows, ref_rows = [], []
for name, g, d, y in cases:
    x = sm.add_constant(pd.Series(d, name="treated"), has_constant="add")
    naive = sm.OLS(y, x).fit()
    clustered = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": g})
    ref_rows.append(
        {
            "case": name,
            "nobs": int(naive.nobs),
            "clusters": int(np.unique(g).size),
            "estimate": naive.params["treated"],
            "naive_se": naive.bse["treated"],
            "cluster_se": clustered.bse["treated"],
            "p_value_cluster": clustered.pvalues["treated"],
            "intercept": naive.params["const"],
            "cluster_se_intercept": clustered.bse["const"],
            "cluster_cov_intercept_treated": clustered.cov_params().loc["const", "treated"],
        }
    )
    data_rows.append(pd.DataFrame({"case": name, "cluster": g.astype(int), "treated": d.astype(int), "y": y}))

pd.concat(data_rows).to_csv("reference_data.csv", index=False, float_format="%.17g")
with open("statsmodels_reference.csv", "w") as out:
    out.write(f"# statsmodels {statsmodels.__version__}, numpy {np.__version__}, pandas {pd.__version__}\n")
    pd.DataFrame(ref_rows).to_csv(out, index=False, float_format="%.17g")
