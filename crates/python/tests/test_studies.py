"""`power`, `log_sql` and `synth_log` equal their program commands."""

from __future__ import annotations

import polars as pl
import slate_interference as si

from compare import assert_frames_equal
from conftest import EXAMPLE_CONFIG, EXAMPLE_LOG, run_slate


def test_power_equals_slate_power(tmp_path):
    run_slate(
        "--config", str(EXAMPLE_CONFIG), "power", "--log", str(EXAMPLE_LOG),
        "--slates", "200,400,800", root=tmp_path,
    )
    expected = pl.read_csv(tmp_path / "data/processed/interference_pilot_power.csv")
    table = si.power(pl.read_csv(EXAMPLE_LOG), slates=[200, 400, 800], config=EXAMPLE_CONFIG)
    assert_frames_equal(expected, table, "pilot power")
    assert table.height > 0


def test_log_sql_equals_slate_log_sql():
    for dialect in ("spark", "polars"):
        expected = run_slate("--config", str(EXAMPLE_CONFIG), "log-sql", "--dialect", dialect).stdout
        assert si.log_sql(dialect, EXAMPLE_CONFIG) == expected
    expected = run_slate("log-sql", "--truth", "--target-position").stdout
    assert si.log_sql(truth=True, target_position=True) == expected
    assert "impression" in si.log_sql("spark", EXAMPLE_CONFIG)


def test_synth_log_equals_slate_synth_log(tmp_path):
    run_slate(
        "synth-log", "--slates", "300", "--slates-per-unit", "3", "--seed", "7",
        "--out", str(tmp_path / "cli.parquet"),
    )
    path = si.synth_log(tmp_path / "py.parquet", 300, slates_per_unit=3, seed=7)
    assert path == tmp_path / "py.parquet"
    assert path.read_bytes() == (tmp_path / "cli.parquet").read_bytes()
