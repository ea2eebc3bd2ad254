"""polars, pandas, pyarrow and path inputs give the same analysis; a config may be a path, a
dict, or keywords."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import slate_interference as si

from compare import assert_same_tables
from conftest import EXAMPLE_CONFIG, EXAMPLE_LOG


def test_polars_pandas_arrow_and_path_inputs_agree(tmp_path):
    frame = pl.read_csv(EXAMPLE_LOG)
    parquet = tmp_path / "log.parquet"
    frame.write_parquet(parquet)
    inputs = {
        "polars": frame,
        "polars-lazy": frame.lazy(),
        "pandas": pd.read_csv(EXAMPLE_LOG),
        "arrow": pq.read_table(parquet),
        "path": parquet,
    }
    roots = {}
    for name, log in inputs.items():
        roots[name] = si.analyze(log, config=EXAMPLE_CONFIG).write(tmp_path / name)
    for name in inputs:
        assert_same_tables(roots["path"], roots[name])
    assert isinstance(inputs["arrow"], pa.Table)


def test_categorical_columns_are_read_as_their_values(tmp_path):
    # pandas `category` and polars `Categorical` columns are dictionary-encoded in Arrow: they
    # cross as their values, so the analysis is the plain frame's.
    plain = si.analyze(pl.read_csv(EXAMPLE_LOG), config=EXAMPLE_CONFIG).write(tmp_path / "plain")
    frame = pd.read_csv(EXAMPLE_LOG)
    for column in ("impression", "user", "item_id", "item_cluster"):
        frame[column] = frame[column].astype("category")
    from_pandas = si.analyze(frame, config=EXAMPLE_CONFIG).write(tmp_path / "pandas")
    categorical = pl.read_csv(EXAMPLE_LOG).with_columns(
        pl.col("item_cluster", "user").cast(pl.Categorical)
    )
    from_polars = si.analyze(categorical, config=EXAMPLE_CONFIG).write(tmp_path / "polars")
    assert_same_tables(plain, from_pandas)
    assert_same_tables(plain, from_polars)


def test_a_config_dict_and_keywords_equal_the_toml_file(tmp_path):
    frame = pl.read_csv(EXAMPLE_LOG)
    from_file = si.analyze(frame, config=EXAMPLE_CONFIG).write(tmp_path / "file")
    as_dict = {
        "log": {
            "covariates": ["score"],
            "outcomes": ["dwell"],
            "columns": {"slate_id": "impression", "unit_id": "user"},
        }
    }
    from_dict = si.analyze(frame, config=as_dict).write(tmp_path / "dict")
    from_keywords = si.analyze(
        frame,
        columns={"slate_id": "impression"},
        unit="user",
        outcomes=["dwell"],
        covariates=["score"],
    ).write(tmp_path / "keywords")
    assert_same_tables(from_file, from_dict)
    assert_same_tables(from_file, from_keywords)
