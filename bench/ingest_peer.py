"""Python peer for the ingest stage of `cargo xtask bench`: reads the same ratings.csv with
pandas.read_csv or python-polars alone (no validation, no parquet) and prints JSON with the
wall time and the process's peak RSS.

Usage: python3 bench/ingest_peer.py (pandas|polars) RATINGS_CSV
"""

import json
import resource
import sys
import time


def main() -> None:
    library, path = sys.argv[1], sys.argv[2]
    if library == "pandas":
        import pandas as pd

        start = time.perf_counter()
        frame = pd.read_csv(path)
        seconds = time.perf_counter() - start
        rows = len(frame)
    elif library == "polars":
        import polars as pl

        start = time.perf_counter()
        frame = pl.read_csv(path)
        seconds = time.perf_counter() - start
        rows = frame.height
    else:
        raise SystemExit(f"unknown library {library}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    json.dump({"seconds": seconds, "rows": rows, "peak_rss_mib": peak_mib}, sys.stdout)


if __name__ == "__main__":
    main()
