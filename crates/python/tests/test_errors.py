"""Errors: a bad log raises LogError (a ValueError) with the program's message; bad arguments
raise ValueError or TypeError; nothing is a Rust panic."""

from __future__ import annotations

import polars as pl
import pytest
import slate_interference as si

from conftest import EXAMPLE_CONFIG, EXAMPLE_LOG


def bad_click_frame() -> pl.DataFrame:
    frame = pl.read_csv(EXAMPLE_LOG)
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(2).otherwise(pl.col("click")).alias("click")
    )


def test_a_bad_value_names_row_slate_and_column_on_the_item_row_path():
    with pytest.raises(si.LogError) as error:
        si.analyze(bad_click_frame(), config=EXAMPLE_CONFIG, item_rows=True)
    message = str(error.value)
    assert isinstance(error.value, ValueError)
    assert "<polars DataFrame>: row 8 (slate user-005/slate-3), column `click`" in message, message
    assert "value 2 is neither 0 nor 1" in message


def test_a_bad_value_names_slate_and_column_on_the_reduction_path():
    with pytest.raises(si.LogError) as error:
        si.analyze(bad_click_frame(), config=EXAMPLE_CONFIG)
    message = str(error.value)
    assert "reading the log <polars DataFrame>" in message, message
    assert "slate user-005/slate-3, column `click`" in message, message


def test_a_missing_column_is_named():
    with pytest.raises(si.LogError) as error:
        si.analyze(pl.read_csv(EXAMPLE_LOG).drop("is_focal"), config=EXAMPLE_CONFIG)
    assert "missing column `is_focal`" in str(error.value)


def test_a_bad_csv_file_is_named_by_its_path(tmp_path):
    path = tmp_path / "bad.csv"
    bad_click_frame().write_csv(path)
    with pytest.raises(si.LogError) as error:
        si.analyze(path, config=EXAMPLE_CONFIG)
    assert f"{path}: row 8 (slate user-005/slate-3), column `click`" in str(error.value)


def test_dropping_bad_slates_lists_them():
    analysis = si.analyze(bad_click_frame(), config=EXAMPLE_CONFIG, on_bad_slate="drop")
    dropped = analysis.tables["dropped_slates"]
    assert dropped["slate_id"].to_list() == ["user-005/slate-3"]
    assert dropped["column"].to_list() == ["click"]


def test_bad_arguments_are_value_or_type_errors(tmp_path):
    frame = pl.read_csv(EXAMPLE_LOG)
    with pytest.raises(ValueError, match="on_bad_slate"):
        si.analyze(frame, config=EXAMPLE_CONFIG, on_bad_slate="ignore")
    with pytest.raises(ValueError, match="unknown field"):
        si.analyze(frame, config={"log": {"colums": {}}})
    with pytest.raises(ValueError, match="not a canonical column"):
        si.analyze(frame, columns={"slate": "impression"})
    with pytest.raises(ValueError, match="disagree"):
        si.analyze(frame, unit="user", columns={"unit_id": "impression"})
    with pytest.raises(TypeError, match="log must be"):
        si.analyze([1, 2, 3])
    with pytest.raises(TypeError, match="config must be"):
        si.analyze(frame, config=3)
    with pytest.raises(si.LogError):
        si.analyze(tmp_path / "missing.parquet")
    with pytest.raises(ValueError, match="dialect"):
        si.log_sql("duckdb")
    with pytest.raises(ValueError, match="at least 20"):
        si.power(frame, slates=[10], config=EXAMPLE_CONFIG)
    with pytest.raises(ValueError, match="slate size at least 2"):
        si.synth_log(tmp_path / "x.parquet", 10, slate_size=1)
