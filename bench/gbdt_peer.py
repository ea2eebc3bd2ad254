"""Python peer for `cargo xtask bench-models`: fits the Python lightgbm and xgboost packages on
the same matrix with the same parameters the Rust run used, and prints fit times as JSON.

Usage: python3 bench/gbdt_peer.py MATRIX.csv PARAMS.json REPEATS

MATRIX.csv: header row of feature names then `target`; PARAMS.json: {"lightgbm": {...},
"xgboost": {...}, "rounds": N} exactly as the Rust learners pass them to the C libraries.
The timed region is the same on both sides: building the library's dataset from an in-memory
float matrix, then training.
"""

import json
import sys
import time

import lightgbm
import numpy as np
import xgboost


def main() -> None:
    matrix_path, params_path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = np.loadtxt(matrix_path, delimiter=",", skiprows=1, dtype=np.float64)
    x, y = np.ascontiguousarray(data[:, :-1]), data[:, -1]
    with open(params_path) as f:
        params = json.load(f)
    rounds = int(params["rounds"])
    times = {"lightgbm": [], "xgboost": [], "versions": {
        "lightgbm": lightgbm.__version__, "xgboost": xgboost.__version__}}
    for _ in range(repeats):
        start = time.perf_counter()
        booster = lightgbm.train(dict(params["lightgbm"]), lightgbm.Dataset(x, label=y.astype(np.float32)))
        times["lightgbm"].append(time.perf_counter() - start)
        del booster
        start = time.perf_counter()
        dtrain = xgboost.DMatrix(x.astype(np.float32), label=y.astype(np.float32))
        booster = xgboost.train(dict(params["xgboost"]), dtrain, num_boost_round=rounds)
        times["xgboost"].append(time.perf_counter() - start)
        del booster
    json.dump(times, sys.stdout)


if __name__ == "__main__":
    main()
