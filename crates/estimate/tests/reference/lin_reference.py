"""Reference numbers for the Lin (2013) covariate-adjusted difference in means with CR1 and CR2
standard errors clustered by unit.

Regenerate (from this directory) with:  python3 lin_reference.py
Writes lin_reference_data.csv (the generated data) and lin_reference.csv (the results).

Data: 2 cases (40 and 160 units; the estimator keeps at most (min(rows, units)/4 - 2)/2
covariates, so 40 units keep all three) of units holding 1-7 rows each (unit-level assignment), outcome with a unit shock,
three covariates x1..x3 that predict it, a column `x_sum = x1 + x2` (collinear: the Rust code
must drop it) and a constant column `x_const` (dropped too).

Model (statsmodels OLS, cov_type="cluster" with groups = unit):
    y ~ 1 + d + xc1 + xc2 + xc3 + d:xc1 + d:xc2 + d:xc3,   xc = x - mean(x)
The coefficient of d is the adjusted effect; its cluster SE is CR1. CR2 and its Satterthwaite
degrees of freedom come from the independent full-matrix numpy implementation of
cr2_reference.py's formulas, applied to the same design matrix.
"""

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm


def inverse_sqrt(m):
    values, vectors = np.linalg.eigh(m)
    return vectors @ np.diag(values ** -0.5) @ vectors.T


def cr2(x, y, groups, l):
    b_mat = np.linalg.inv(x.T @ x)
    e = y - x @ (b_mat @ x.T @ y)
    h = x @ b_mat @ x.T
    meat = np.zeros((x.shape[1], x.shape[1]))
    ident = np.eye(len(y))
    g_columns = []
    for g in pd.unique(groups):
        idx = np.flatnonzero(groups == g)
        a_g = inverse_sqrt(np.eye(idx.size) - h[np.ix_(idx, idx)])
        score = x[idx].T @ a_g @ e[idx]
        meat += np.outer(score, score)
        g_columns.append((ident - h)[:, idx] @ a_g @ x[idx] @ b_mat @ l)
    v = b_mat @ meat @ b_mat
    g_mat = np.column_stack(g_columns)
    gram = g_mat.T @ g_mat
    return np.sqrt(l @ v @ l), np.trace(gram) ** 2 / np.sum(gram ** 2)


rng = np.random.default_rng(20261130)
frames = []
for case, units in [("small", 40), ("large", 160)]:
    sizes = rng.integers(1, 8, size=units)
    unit = np.repeat(np.arange(units), sizes)
    d_unit = rng.permutation(np.arange(units) % 2)
    d = d_unit[unit]
    n = unit.size
    x = rng.normal(size=(n, 3)) + rng.normal(size=(units, 1))[unit]
    shock = rng.normal(scale=0.7, size=units)[unit]
    y = 0.3 * d + x @ np.array([0.8, -0.5, 0.2]) + 0.4 * d * x[:, 0] + shock + rng.normal(size=n)
    frames.append(pd.DataFrame({
        "case": case, "unit": unit, "treated": d, "y": y,
        "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2],
        "x_sum": x[:, 0] + x[:, 1], "x_const": 2.5,
    }))
data = pd.concat(frames, ignore_index=True)
data.to_csv("lin_reference_data.csv", index=False, float_format="%.17g")

rows = []
for case, frame in data.groupby("case", sort=False):
    xc = frame[["x1", "x2", "x3"]].to_numpy(float)
    xc = xc - xc.mean(axis=0)
    d = frame["treated"].to_numpy(float)
    design = np.column_stack([np.ones(len(frame)), d, xc, d[:, None] * xc])
    y = frame["y"].to_numpy(float)
    groups = frame["unit"].to_numpy()
    fit = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": groups})
    l = np.zeros(design.shape[1])
    l[1] = 1.0
    cr2_se, cr2_df = cr2(design, y, groups, l)
    rows.append({
        "case": case, "estimate": fit.params[1], "cr1_se": fit.bse[1],
        "cr2_se": cr2_se, "cr2_df": cr2_df, "n": len(frame), "clusters": len(np.unique(groups)),
    })

with open("lin_reference.csv", "w") as out:
    out.write(f"# statsmodels {statsmodels.__version__}, numpy {np.__version__}; see lin_reference.py\n")
    pd.DataFrame(rows).to_csv(out, index=False, float_format="%.17g")
