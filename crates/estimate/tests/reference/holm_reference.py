"""Reference Holm-adjusted p-values from statsmodels, for `multiplicity::holm`.

Regenerate (from this directory) with:  python3 holm_reference.py
Writes holm_reference.csv: one row per (case, position) with the raw and adjusted p-value;
versions in its header comment. The Rust test in crates/estimate/src/multiplicity.rs reads it.
"""

import numpy as np
import statsmodels
from statsmodels.stats.multitest import multipletests

rng = np.random.default_rng(20261130)
cases = {
    "hand": [0.01, 0.04, 0.03, 0.005],
    "ties": [0.02, 0.02, 0.5, 0.001, 0.02],
    "large": [0.2, 0.9, 0.6],
    "ten_random": list(rng.uniform(0, 0.2, size=10)),
    "tiny": [1e-30, 3e-12, 0.049, 0.051],
}
with open("holm_reference.csv", "w") as f:
    f.write(f"# statsmodels {statsmodels.__version__}, numpy {np.__version__}\n")
    f.write("case,position,p,holm\n")
    for name, p in cases.items():
        adjusted = multipletests(p, method="holm")[1]
        for i, (raw, adj) in enumerate(zip(p, adjusted)):
            f.write(f"{name},{i},{float(raw)!r},{float(adj)!r}\n")
