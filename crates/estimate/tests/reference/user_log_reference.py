"""A user-randomized impression log and statsmodels' unit-clustered CR1 for its five contrasts.

Regenerate (from this directory) with:  python3 user_log_reference.py
It writes `user_log.csv` (the fixture the Rust test `tests/user_log.rs` feeds to
`slate analyze`'s reader) and `user_log_reference.csv` (statsmodels' numbers for the click and
for a further outcome, `dwell`; versions in its header comment).

The log: 80 users (string ids), each with 2 to 6 slates (string ids) of 4 to 9 items; every
slate of a user is in the same arm (user randomization, probability 0.5). Clicks share a
user-level propensity (a random shift on the logit scale), so clustering by the user matters.
Rows are shuffled. Columns use the user's own names for the slate (`impression`) and the unit
(`user`), mapped with [log.columns] in the test.

Contrasts (the seed notebook's definitions, roles from the seed ranking):
- direct focal: the focal row of each slate;
- same-cluster competitor: non-focal rows in the focal's cluster;
- displaced item: non-focal rows seeded above the focal;
- all non-focal: every non-focal row;
- total slate: one row per slate, the slate's clicks.
Each is OLS of the outcome on a constant and `promoted`, with
cov_type="cluster", groups = user (CR1: G/(G-1)*(N-1)/(N-K)) and, for comparison, groups = slate.
"""

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm

rng = np.random.default_rng(20261130)
# The further outcome `dwell` (seconds on the item, 0 without a click) has its own stream, so
# the click log is the same with or without it.
dwell_rng = np.random.default_rng(7)
clusters = np.array(["drama", "comedy", "action"])
rows = []
for u in range(80):
    user = f"user-{u:03d}"
    promoted = bool(rng.random() < 0.5)
    shift = rng.normal(0.0, 1.0)  # the user's click propensity (logit scale)
    for k in range(int(rng.integers(2, 7))):
        slate = f"{user}/slate-{k}"
        n = int(rng.integers(4, 10))
        focal_seed = int(rng.integers(3, n + 1))
        item_ids = rng.choice(500, size=n, replace=False)
        item_clusters = rng.choice(clusters, size=n)
        for seed in range(1, n + 1):
            is_focal = seed == focal_seed
            if promoted:
                shown = 1 if is_focal else (seed + 1 if seed < focal_seed else seed)
            else:
                shown = seed
            same = (not is_focal) and item_clusters[seed - 1] == item_clusters[focal_seed - 1]
            logit = -1.2 + shift - 0.25 * shown + 0.9 * (is_focal and promoted) - 0.5 * (same and promoted)
            click = int(rng.random() < 1.0 / (1.0 + np.exp(-logit)))
            rows.append(
                dict(
                    impression=slate,
                    user=user,
                    item_id=f"item-{item_ids[seed - 1]}",
                    item_cluster=item_clusters[seed - 1],
                    seed_position=seed,
                    shown_position=shown,
                    is_focal=str(is_focal).lower(),
                    promoted=int(promoted),
                    click=click,
                    dwell=round(float(click * dwell_rng.exponential(30.0)), 1),
                    score=round(float(rng.random()), 6),
                )
            )
log = pd.DataFrame(rows).sample(frac=1.0, random_state=7).reset_index(drop=True)
log.to_csv("user_log.csv", index=False)

log["is_focal"] = log.is_focal == "true"
focal = log[log.is_focal].set_index("impression")
log["focal_seed"] = log.impression.map(focal.seed_position)
log["focal_cluster"] = log.impression.map(focal.item_cluster)
nonfocal = ~log.is_focal
samples = {
    "Direct focal item": log[log.is_focal],
    "Same-cluster competitor spillover": log[nonfocal & (log.item_cluster == log.focal_cluster)],
    "Displaced-item spillover": log[nonfocal & (log.seed_position < log.focal_seed)],
    "All non-focal slate spillover": log[nonfocal],
    "Total slate": log.groupby("impression")
    .agg(
        click=("click", "sum"),
        dwell=("dwell", "sum"),
        promoted=("promoted", "first"),
        user=("user", "first"),
    )
    .reset_index(),
}
out = []
for outcome, contrast in [(o, c) for o in ["click", "dwell"] for c in samples]:
    df = samples[contrast]
    x = sm.add_constant(df.promoted.astype(float).to_numpy())
    y = df[outcome].astype(float).to_numpy()
    by_user = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(df.user)[0]})
    by_slate = sm.OLS(y, x).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df.impression)[0]}
    )
    out.append(
        dict(
            outcome=outcome,
            contrast=contrast,
            estimate=repr(float(by_user.params[1])),
            cr1_unit_se=repr(float(by_user.bse[1])),
            cr1_slate_se=repr(float(by_slate.bse[1])),
            rows=len(df),
            units=df.user.nunique(),
        )
    )
with open("user_log_reference.csv", "w") as f:
    f.write(
        f"# statsmodels {statsmodels.__version__}, numpy {np.__version__}, pandas {pd.__version__}\n"
    )
    pd.DataFrame(out).to_csv(f, index=False)
