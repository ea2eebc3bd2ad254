"""The peer of `slate reduce-log`: DuckDB runs the same reduction query (`slate log-sql
--dialect polars`, whose double-quoted identifiers are standard SQL) over the same parquet log
and writes its per-slate table as parquet. Prints its wall time (the query and the write) and
its process's peak RSS as JSON, for `cargo xtask bench-scale`.

    python duckdb_reduction.py LOG.parquet QUERY.sql OUT.parquet [THREADS]
"""

import json
import resource
import sys
import time

import duckdb


def main(log: str, query_file: str, out: str, threads: str = "2") -> None:
    with open(query_file, encoding="utf-8") as f:
        query = f.read()
    # Drop the leading comment line so the query can sit inside COPY ( ... ).
    query = "\n".join(line for line in query.splitlines() if not line.startswith("--"))
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"CREATE VIEW impressions AS SELECT * FROM read_parquet('{log}')")
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet)")
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_kib / 1024.0}))


if __name__ == "__main__":
    main(*sys.argv[1:])
