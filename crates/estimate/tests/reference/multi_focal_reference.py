"""A user-randomized log with one to three focal items per slate promoted to slots 1 to 4, and
statsmodels' unit-clustered CR1 for its five contrasts, its spillover by displacement distance
and its effects by the number of focal items.

Regenerate (from this directory) with:  python3 multi_focal_reference.py
It writes `multi_focal_log.csv` (the fixture of the Rust test `tests/multi_focal.rs`) and
`multi_focal_reference.csv` (statsmodels' numbers; versions in its header comment).

The log: 90 users, each with 2 to 5 slates of 9 to 12 items, every slate of a user in the same
arm (probability 0.5). A slate has k = 1, 2 or 3 focal items, seeded at slot t + k or below,
promoted to slots t..t+k-1 (t = 1..4) in a random order; `target_position` is set on the focal
rows of both arms and left empty on the others. A promoted slate shows the focal items at their
targets and the other items in seed order in the remaining slots.

Roles, computed here from the seed ranking and the design (independently of the Rust code):
- direct focal: the focal rows;
- same-cluster competitor: non-focal rows sharing a cluster with any focal item of the slate;
- displaced item: non-focal rows whose position under promotion exceeds their seed position;
- all non-focal: every non-focal row;
- total slate: one row per slate, the slate's clicks.
Each is OLS of the click on a constant and `promoted`, cov_type="cluster", groups = user (CR1).
Displacement buckets 1, 2, 3+ (non-focal rows by places pushed down); focal-count buckets 1, 2,
3 (every contrast within the slates with that many focal items).
"""

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm

rng = np.random.default_rng(20261206)
clusters = np.array(["drama", "comedy", "action", "family"])
rows = []
for u in range(90):
    user = f"user-{u:03d}"
    promoted = bool(rng.random() < 0.5)
    shift = rng.normal(0.0, 0.8)
    for j in range(int(rng.integers(2, 6))):
        slate = f"{user}/s{j}"
        n = int(rng.integers(9, 13))
        k = int(rng.integers(1, 4))
        t = int(rng.integers(1, 5))
        seeds = sorted(rng.choice(np.arange(t + k, n + 1), size=k, replace=False).tolist())
        targets = rng.permutation(np.arange(t, t + k)).tolist()
        target_of = dict(zip(seeds, targets))
        free = [p for p in range(1, n + 1) if p not in targets]
        others = [p for p in range(1, n + 1) if p not in target_of]
        design = dict(zip(others, free))
        design.update(target_of)
        item_clusters = rng.choice(clusters, size=n)
        focal_clusters = {item_clusters[s - 1] for s in seeds}
        for seed in range(1, n + 1):
            is_focal = seed in target_of
            shown = design[seed] if promoted else seed
            same = (not is_focal) and item_clusters[seed - 1] in focal_clusters
            logit = (
                -1.0 + shift - 0.22 * shown
                + 0.8 * (is_focal and promoted)
                - 0.4 * (same and promoted)
                - 0.1 * k * promoted
            )
            click = int(rng.random() < 1.0 / (1.0 + np.exp(-logit)))
            rows.append(
                dict(
                    slate_id=slate,
                    unit_id=user,
                    item_id=f"i{int(rng.integers(0, 10**6))}-{seed}",
                    item_cluster=item_clusters[seed - 1],
                    seed_position=seed,
                    shown_position=shown,
                    is_focal=str(is_focal).lower(),
                    target_position=target_of.get(seed, None),
                    promoted=int(promoted),
                    click=click,
                    displacement=0 if is_focal else design[seed] - seed,
                    same=same,
                    n_focals=k,
                )
            )
log = pd.DataFrame(rows)
log["target_position"] = log.target_position.astype("Int64")
log.drop(columns=["displacement", "same", "n_focals"]).sample(frac=1.0, random_state=3).to_csv(
    "multi_focal_log.csv", index=False
)

focal = log.is_focal == "true"


def cr1(sample, y="click"):
    x = sm.add_constant(sample.promoted.astype(float))
    fit = sm.OLS(sample[y].astype(float), x).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(sample.unit_id)[0]}
    )
    return fit.params["promoted"], fit.bse["promoted"], len(sample), sample.unit_id.nunique()


def contrasts(part):
    slates = part.groupby("slate_id").agg(click=("click", "sum"), promoted=("promoted", "first"), unit_id=("unit_id", "first"))
    f = part.is_focal == "true"
    return {
        "Direct focal item": part[f],
        "Same-cluster competitor spillover": part[~f & part.same],
        "Displaced-item spillover": part[~f & (part.displacement > 0)],
        "All non-focal slate spillover": part[~f],
        "Total slate": slates,
    }


out = []
for name, sample in contrasts(log).items():
    out.append(("contrast", "all", name, *cr1(sample)))
for label, lo, hi in [("1", 1, 1), ("2", 2, 2), ("3+", 3, 99)]:
    sample = log[~focal & (log.displacement >= lo) & (log.displacement <= hi)]
    if sample.promoted.nunique() == 2:
        out.append(("displacement", label, "Displaced-item spillover", *cr1(sample)))
for label, k in [("1", 1), ("2", 2), ("3+", 3)]:
    for name, sample in contrasts(log[log.n_focals == k]).items():
        out.append(("n_focals", label, name, *cr1(sample)))

with open("multi_focal_reference.csv", "w") as f:
    f.write(
        f"# statsmodels {statsmodels.__version__}, pandas {pd.__version__}, numpy {np.__version__}\n"
    )
    f.write("table,bucket,contrast,estimate,cr1_unit_se,rows,units\n")
    for table, bucket, name, est, se, n, g in out:
        f.write(f"{table},{bucket},{name},{float(est)!r},{float(se)!r},{n},{g}\n")
