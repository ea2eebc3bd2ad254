"""Reference p-values for the restricted wild cluster bootstrap (WCR), by brute force.

Regenerate (from this directory) with:  python3 wild_reference.py
Writes wild_reference_data.csv (a small slate-randomized sample) and wild_reference.csv.

For each null value b0 of the treatment coefficient, with Rademacher weights fully enumerated
(all 2^G sign vectors, as fwildclusterboot does when 2^G is small):
  restricted fit:  y - b0*d = a + u        (a = mean(y - b0*d), residuals u)
  replicate:       y* = a + b0*d + v_g u   (one weight v_g per cluster)
  statistic:       t* = (b* - b0) / se_CR1(b*)   (statsmodels cov_type="cluster")
  p-value:         share of the 2^G replicates with |t*| >= |t|, t from the original sample.
Each replicate is a full statsmodels refit: no shortcut shared with the Rust code.
"""

import itertools

import numpy as np
import pandas as pd
import statsmodels.api as sm

rng = np.random.default_rng(11)
sizes = [3, 1, 4, 2, 5, 1, 2, 3, 4, 2]
g = np.repeat(np.arange(len(sizes)) * 10, sizes)
d = np.repeat(np.array([1, 0, 0, 1, 1, 0, 1, 0, 0, 1], dtype=float), sizes)
y = 0.4 + 0.6 * d + np.repeat(rng.normal(0, 0.5, len(sizes)), sizes) + rng.normal(0, 1, g.size)
pd.DataFrame({"cluster": g, "treated": d.astype(int), "y": y}).to_csv(
    "wild_reference_data.csv", index=False, float_format="%.17g"
)

x = sm.add_constant(pd.Series(d, name="treated"), has_constant="add")


def t_stat(values, b0):
    fit = sm.OLS(values, x).fit(cov_type="cluster", cov_kwds={"groups": g})
    return (fit.params["treated"] - b0) / fit.bse["treated"]


clusters = np.unique(g)
rows = []
for b0 in [0.0, 0.3, 1.5]:
    t = t_stat(y, b0)
    restricted = y - b0 * d
    a = restricted.mean()
    u = restricted - a
    extreme = 0
    total = 0
    for signs in itertools.product([-1.0, 1.0], repeat=clusters.size):
        v = np.array(signs)[np.searchsorted(clusters, g)]
        t_star = t_stat(a + b0 * d + v * u, b0)
        extreme += abs(t_star) >= abs(t) * (1 - 1e-12)
        total += 1
    rows.append({"null": b0, "t": t, "p_value": extreme / total, "replicates": total})

pd.DataFrame(rows).to_csv("wild_reference.csv", index=False, float_format="%.17g")
