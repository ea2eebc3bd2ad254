"""Table-by-table comparison of two runs' output folders."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl

#: Relative tolerance: the same library runs the same data, so equal values are expected;
#: 1e-12 is the bound the project states for any path whose sums' order may differ.
TOLERANCE = 1e-12


def read_table(path: Path) -> pl.DataFrame:
    return pl.read_csv(path) if path.suffix == ".csv" else pl.read_parquet(path)


def assert_frames_equal(expected: pl.DataFrame, actual: pl.DataFrame, what: str) -> None:
    assert expected.columns == actual.columns, f"{what}: columns {expected.columns} vs {actual.columns}"
    assert expected.shape == actual.shape, f"{what}: shape {expected.shape} vs {actual.shape}"
    for name in expected.columns:
        a, b = expected[name], actual[name]
        assert a.dtype == b.dtype, f"{what}.{name}: dtype {a.dtype} vs {b.dtype}"
        if a.dtype.is_float():
            for i, (x, y) in enumerate(zip(a.to_list(), b.to_list())):
                if x is None or y is None or math.isnan(x) or math.isnan(y):
                    assert (x is None) == (y is None), f"{what}.{name}[{i}]: {x} vs {y}"
                    if x is not None:
                        assert math.isnan(x) == math.isnan(y), f"{what}.{name}[{i}]: {x} vs {y}"
                    continue
                assert abs(x - y) <= TOLERANCE * max(1.0, abs(x)), f"{what}.{name}[{i}]: {x} vs {y}"
        else:
            assert a.to_list() == b.to_list(), f"{what}.{name} differs"


def table_files(root: Path) -> dict[str, Path]:
    processed = root / "data" / "processed"
    return {
        p.name: p for p in sorted(processed.iterdir()) if p.suffix in (".csv", ".parquet")
    }


def assert_same_tables(expected_root: Path, actual_root: Path) -> int:
    """Every table of `expected_root` equals `actual_root`'s (and no table is extra);
    returns how many were compared."""
    expected, actual = table_files(expected_root), table_files(actual_root)
    assert sorted(expected) == sorted(actual)
    for name, path in expected.items():
        assert_frames_equal(read_table(path), read_table(actual[name]), name)
    return len(expected)
