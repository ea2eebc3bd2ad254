"""Reference numbers for Student's t 97.5% quantile (slate_estimate::student_t), the critical
value of the CR2 and Lin CR2 intervals, from mpmath at 50 significant digits.

Regenerate (from this directory) with:  python3 student_t_reference.py   (needs mpmath)
Writes student_t_reference.csv: each degrees of freedom ν with the double nearest to the exact
quantile, the root x of  P(T > x) = 0.025,  P(T > x) = I_{ν/(ν+x²)}(ν/2, 1/2) / 2.

The grid spans small designs (statrs' inverse is kept below 3,000 degrees of freedom) and the
Satterthwaite degrees of freedom of logs with millions of units, up to 10⁹ (statrs 0.18's
inverse drifts from about 10⁴ and stops returning near 1.5·10⁷).
"""

import mpmath as mp

mp.mp.dps = 50


def upper_tail(x, nu):
    return mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + x * x), regularized=True) / 2


def quantile_97_5(nu):
    z = mp.sqrt(2) * mp.erfinv(mp.mpf("0.95"))
    start = z + (z**3 + z) / (4 * nu)
    return mp.findroot(lambda x: upper_tail(x, nu) - mp.mpf("0.025"), start)


DEGREES = ["10", "100", "300", "609", "1000", "3000", "10000", "30000", "100000", "1000000",
           "8000000", "15000000", "100000000", "1000000000"]

with open("student_t_reference.csv", "w") as out:
    out.write("df,quantile_97_5\n")
    for nu in DEGREES:
        q = quantile_97_5(mp.mpf(nu))
        out.write(f"{nu},{float(q)!r}\n")
