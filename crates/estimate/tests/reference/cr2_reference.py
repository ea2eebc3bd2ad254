"""Reference numbers for the CR2 (Bell-McCaffrey) cluster-robust SE and its Satterthwaite
degrees of freedom, from a direct numpy implementation of the published formulas, written
independently of the Rust code (full N x N matrices, no shortcuts).

Regenerate (from this directory) with:  python3 cr2_reference.py
Reads reference_data.csv (written by statsmodels_reference.py); writes cr2_reference.csv.

Formulas (Bell & McCaffrey 2002; Imbens & Kolesar 2016, section 3; Pustejovsky & Tipton 2018),
for OLS of y on X = [1, treated], coefficient of `treated` (l = e_2):
  B      = (X'X)^-1,  H = X B X',  e = y - X b
  A_g    = (I - H_gg)^(-1/2)                       (symmetric inverse square root)
  V_CR2  = B (sum_g X_g' A_g e_g e_g' A_g X_g) B,  SE = sqrt(l' V l)
  G_g    = (I - H)[:, g] A_g X_g B l               (an N-vector per cluster)
  df     = (sum_g G_g'G_g)^2 / sum_{g,h} (G_g'G_h)^2
"""

import numpy as np
import pandas as pd


def inverse_sqrt(m):
    values, vectors = np.linalg.eigh(m)
    return vectors @ np.diag(values ** -0.5) @ vectors.T


data = pd.read_csv("reference_data.csv")
rows = []
for case, frame in data.groupby("case", sort=False):
    y = frame["y"].to_numpy(float)
    x = np.column_stack([np.ones(len(frame)), frame["treated"].to_numpy(float)])
    groups = frame["cluster"].to_numpy()
    b_mat = np.linalg.inv(x.T @ x)
    beta = b_mat @ x.T @ y
    e = y - x @ beta
    h = x @ b_mat @ x.T
    l = np.array([0.0, 1.0])
    meat = np.zeros((2, 2))
    g_columns = []
    ident = np.eye(len(y))
    for g in pd.unique(groups):
        idx = np.flatnonzero(groups == g)
        a_g = inverse_sqrt(np.eye(idx.size) - h[np.ix_(idx, idx)])
        score = x[idx].T @ a_g @ e[idx]
        meat += np.outer(score, score)
        g_columns.append((ident - h)[:, idx] @ a_g @ x[idx] @ b_mat @ l)
    v = b_mat @ meat @ b_mat
    g_mat = np.column_stack(g_columns)
    gram = g_mat.T @ g_mat
    df = np.trace(gram) ** 2 / np.sum(gram ** 2)
    rows.append({"case": case, "cr2_se": np.sqrt(v[1, 1]), "cr2_df": df, "cr2_se_intercept": np.sqrt(v[0, 0])})

with open("cr2_reference.csv", "w") as out:
    out.write(f"# numpy {np.__version__}, independent full-matrix implementation (see the docstring)\n")
    pd.DataFrame(rows).to_csv(out, index=False, float_format="%.17g")
