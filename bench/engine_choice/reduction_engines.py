"""The per-slate reduction, one SQL text, run by several engines over the same parquet file."""
import sys, time

CELLS = {
    "focal": "is_focal",
    "sc_d": "NOT is_focal AND item_cluster = focal_cluster AND seed_position < focal_seed_position",
    "sc_nd": "NOT is_focal AND item_cluster = focal_cluster AND seed_position > focal_seed_position",
    "nsc_d": "NOT is_focal AND item_cluster <> focal_cluster AND seed_position < focal_seed_position",
    "other": "NOT is_focal AND item_cluster <> focal_cluster AND seed_position > focal_seed_position",
    "adjacent": "NOT is_focal AND (seed_position = focal_seed_position - 1 OR seed_position = focal_seed_position + 1)",
    "top3": "NOT is_focal AND seed_position <= 3",
}
DISTINCT_CLUSTERS = "COUNT(DISTINCT r.item_cluster) AS n_distinct_clusters"
import os
if os.environ.get("NODISTINCT"): DISTINCT_CLUSTERS = "0 AS n_distinct_clusters"
DEC = sys.argv[3] if len(sys.argv) > 3 else "DECIMAL(38, 18)"

def sql(truth=True):
    sel = [
        "r.slate_id AS slate_id",
        "MIN(r.unit_id) AS unit_id", "MAX(r.unit_id) AS unit_id_max",
        "MIN(CAST(r.promoted AS INT)) AS promoted", "MAX(CAST(r.promoted AS INT)) AS promoted_max",
        "MIN(r.assignment_probability) AS assignment_probability",
        "MAX(r.assignment_probability) AS assignment_probability_max",
        "COUNT(*) AS slate_size",
        
        "MIN(r.seed_position) AS seed_min", "MAX(r.seed_position) AS seed_max",
        "SUM(r.seed_position) AS seed_sum", "SUM(r.seed_position * r.seed_position) AS seed_sq",
        "MIN(r.shown_position) AS shown_min", "MAX(r.shown_position) AS shown_max",
        "SUM(r.shown_position) AS shown_sum", "SUM(r.shown_position * r.shown_position) AS shown_sq",
        "MIN(r.focal_seed_position) AS focal_seed_position",
        "MIN(r.focal_shown_position) AS focal_shown_position",
        "MIN(r.focal_cluster) AS focal_cluster",
        DISTINCT_CLUSTERS,
    ]
    for name, cond in CELLS.items():
        sel.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS n_{name}")
        sel.append(f"SUM(CASE WHEN {cond} THEN CAST(r.click AS INT) ELSE 0 END) AS clicks_{name}")
        if truth:
            p1 = f"CAST(r.click_prob_if_promoted AS {DEC})"
            p0 = f"CAST(r.click_prob_if_control AS {DEC})"
            for tag, e in [("p1", p1), ("p0", p0), ("p1sq", f"{p1} * {p1}"), ("p0sq", f"{p0} * {p0}"),
                           ("liftsq", f"({p1} - {p0}) * ({p1} - {p0})")]:
                sel.append(f"SUM(CASE WHEN {cond} THEN {e} ELSE 0 END) AS {tag}_{name}")
    c = f"CAST(r.relevance AS {DEC})"
    sel += [
        "MIN(r.focal_relevance) AS focal_relevance",
        f"SUM({c}) AS sum_relevance", f"SUM({c} * {c}) AS sumsq_relevance",
        "MAX(r.relevance) AS max_relevance", "MIN(r.relevance) AS min_relevance",
        f"SUM(CASE WHEN r.seed_position <= 3 THEN {c} ELSE 0 END) AS top3_sum_relevance",
        "MAX(CASE WHEN r.seed_position = 1 THEN r.relevance END) AS seed1_relevance",
    ]
    body = ",\n  ".join(sel)
    return f"""WITH focal AS (
  SELECT slate_id AS focal_slate_id, seed_position AS focal_seed_position,
         shown_position AS focal_shown_position, item_cluster AS focal_cluster,
         relevance AS focal_relevance
  FROM impressions WHERE is_focal
), r AS (
  SELECT i.*, f.focal_seed_position, f.focal_shown_position, f.focal_cluster, f.focal_relevance
  FROM impressions i LEFT JOIN focal f ON i.slate_id = f.focal_slate_id
)
SELECT
  {body}
FROM r
GROUP BY r.slate_id
ORDER BY r.slate_id"""

if __name__ == "__main__":
    engine, path = sys.argv[1], sys.argv[2]
    out = os.environ.get("OUT", f"/tmp/reduction_{engine}.parquet")
    q = sql()
    t = time.time()
    if engine == "duckdb":
        import duckdb
        con = duckdb.connect()
        con.execute(f"CREATE VIEW impressions AS SELECT * FROM read_parquet('{path}')")
        con.execute(f"COPY ({q}) TO '{out}' (FORMAT parquet)")
    elif engine == "datafusion":
        import datafusion
        ctx = datafusion.SessionContext()
        ctx.register_parquet("impressions", path)
        ctx.sql(q).write_parquet(out)
    elif engine == "polars":
        import polars as pl
        ctx = pl.SQLContext(impressions=pl.scan_parquet(path))
        ctx.execute(q).sink_parquet(out)
    elif engine == "print":
        print(q); sys.exit()
    print(f"{engine}: {time.time()-t:.2f} s", file=sys.stderr)
