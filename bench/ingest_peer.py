"""Python peer for the ingest stage of `cargo xtask bench`: reads the given MovieLens CSVs with
pandas.read_csv or python-polars alone (no validation, no parquet), once, and prints JSON with
the wall time (imports excluded) and the process's peak RSS. The harness starts a fresh process
for every run, as a user's script or notebook reads its data once.

Usage: python3 bench/ingest_peer.py (pandas|polars) CSV [CSV ...]
"""

import json
import resource
import sys
import time


def main() -> None:
    library, paths = sys.argv[1], sys.argv[2:]
    if library == "pandas":
        import pandas as pd

        read = pd.read_csv
    elif library == "polars":
        import polars as pl

        read = pl.read_csv
    else:
        raise SystemExit(f"unknown library {library}")
    start = time.perf_counter()
    frames = [read(path) for path in paths]
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    rows = sum(len(frame) for frame in frames)
    json.dump({"seconds": seconds, "rows": rows, "peak_rss_mib": peak_mib}, sys.stdout)


if __name__ == "__main__":
    main()
