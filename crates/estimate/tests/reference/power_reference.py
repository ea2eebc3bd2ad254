"""Reference numbers for the analytic power and minimum detectable effect of a two-sided z-test
(slate_estimate::power::{normal_power, minimum_detectable_effect}), from statsmodels'
NormalIndPower.

Regenerate (from this directory) with:  python3 power_reference.py
Writes power_reference.csv.

statsmodels parametrizes by a standardized effect d, nobs1 and ratio = nobs2 / nobs1; the
estimate's standard error (unit outcome SD) is se = sqrt(1/nobs1 + 1/nobs2), so our
normal_power(effect = d, se, alpha) must equal NormalIndPower().power(d, nobs1, alpha, ratio).
The MDE at power 0.8 is the usual closed form (z_{1-alpha/2} + z_0.8) * se (scipy's quantiles),
which ignores the far rejection tail; the script checks that statsmodels' solve_power (a
numerical root of the full power, far tail included) agrees with it to 1e-5 relative, its
root-finding tolerance and the far tail's size.
"""

import numpy as np
import pandas as pd
from scipy.stats import norm
import statsmodels
from statsmodels.stats.power import NormalIndPower

analysis = NormalIndPower()
rows = []
for d in [0.0, 0.02, 0.1, 0.25, -0.4]:
    for nobs1, ratio in [(50, 1.0), (400, 1.0), (1500, 0.5), (8000, 3.0)]:
        for alpha in [0.05, 0.01]:
            se = np.sqrt(1.0 / nobs1 + 1.0 / (nobs1 * ratio))
            power = analysis.power(effect_size=d, nobs1=nobs1, alpha=alpha, ratio=ratio,
                                   alternative="two-sided")
            mde = analysis.solve_power(effect_size=None, nobs1=nobs1, alpha=alpha, power=0.8,
                                       ratio=ratio, alternative="two-sided")
            closed = (norm.ppf(1 - alpha / 2) + norm.ppf(0.8)) * se
            assert abs(mde - closed) < 1e-5 * closed, (mde, closed)
            rows.append({"effect": d, "se": se, "alpha": alpha, "power": power, "mde_80": closed})

with open("power_reference.csv", "w") as out:
    out.write(f"# statsmodels {statsmodels.__version__} NormalIndPower, scipy quantiles; see power_reference.py\n")
    pd.DataFrame(rows).to_csv(out, index=False, float_format="%.17g")
