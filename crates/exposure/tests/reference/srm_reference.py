"""Reference sample-ratio-mismatch p-values from scipy, for `readiness::sample_ratio_mismatch_p`.

Regenerate (from this directory) with:  python3 srm_reference.py
Writes srm_reference.csv (versions in its header comment): Pearson's chi-square test of the
promoted and control unit counts against the design probability, one degree of freedom.
"""

import scipy
from scipy.stats import chisquare

cases = [(520, 480, 0.5), (1490, 1510, 0.5), (300, 700, 0.3), (5000, 5400, 0.5), (12, 30, 0.25)]
with open("srm_reference.csv", "w") as f:
    f.write(f"# scipy {scipy.__version__}\n")
    f.write("promoted,control,probability,p_value\n")
    for promoted, control, p in cases:
        n = promoted + control
        result = chisquare([promoted, control], [n * p, n * (1 - p)])
        f.write(f"{promoted},{control},{p!r},{float(result.pvalue)!r}\n")
