"""`analyze(frame)` against `slate analyze --log FILE`: every table, every figure."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import slate_interference as si

from compare import assert_frames_equal, assert_same_tables, read_table, table_files
from conftest import EXAMPLE_CONFIG, EXAMPLE_LOG


def assert_matches_program(analysis: si.Analysis, cli_root: Path, tmp_path: Path) -> None:
    # The DataFrames themselves...
    for name, path in table_files(cli_root).items():
        key = si._key(name)
        table = analysis.tables[key]
        if isinstance(table, pl.LazyFrame):
            table = table.collect()
        assert_frames_equal(read_table(path), table, name)
    # ...and the files `write` puts in the program's layout.
    written = analysis.write(tmp_path / "written")
    assert assert_same_tables(cli_root, written) >= 30
    figures = sorted(p.name for p in (cli_root / "writeup" / "figures").glob("*.png"))
    assert sorted(analysis.figures) == figures
    for name in figures:
        assert analysis.figures[name] == (cli_root / "writeup" / "figures" / name).read_bytes(), name
        assert (written / "writeup" / "figures" / name).read_bytes() == analysis.figures[name]
    for name in ("analysis_summary.md", "report.html"):
        assert (written / "writeup" / name).exists(), name


def test_the_readme_example_read_with_polars_equals_the_program(example_cli, tmp_path):
    # A CSV goes to the program's item-row path; a frame goes there with item_rows=True.
    frame = pl.read_csv(EXAMPLE_LOG)
    analysis = si.analyze(frame, config=EXAMPLE_CONFIG, item_rows=True)
    assert_matches_program(analysis, example_cli, tmp_path)
    # Lin's adjustment is there: it needs the item rows.
    methods = analysis.inference["method"].to_list()
    assert any("Lin" in m for m in methods), methods
    # The named tables are the files' tables.
    assert analysis.effects.columns == pl.read_csv(
        example_cli / "data/processed/movielens_interference_observed_effects.csv"
    ).columns
    assert analysis.decomposition.height > 0
    assert analysis.readiness["passed"].all()
    assert analysis.targeting.height > 0
    assert analysis.summary.startswith("# Slate promotion experiment: `polars DataFrame`")


def test_a_synthetic_log_read_with_polars_equals_the_program(
    synthetic_log, synthetic_cli, covariate_config, tmp_path
):
    # A parquet log and a frame both go through the per-slate reduction.
    frame = pl.read_parquet(synthetic_log)
    analysis = si.analyze(frame, config=covariate_config)
    assert_matches_program(analysis, synthetic_cli, tmp_path)
    # The per-slate tables are lazy: they can be larger than memory.
    assert isinstance(analysis.tables["slate_outcomes"], pl.LazyFrame)
    assert isinstance(analysis.tables["slate_stats"], pl.LazyFrame)
    assert analysis.tables["slate_outcomes"].select(pl.len()).collect().item() == 50_000
    assert analysis.manifest["log"]["units"] == 12_500


def test_a_path_goes_where_the_program_sends_it(example_cli, tmp_path):
    # A CSV path: item rows, as `slate analyze --log x.csv`.
    analysis = si.analyze(EXAMPLE_LOG, config=EXAMPLE_CONFIG)
    assert_same_tables(example_cli, analysis.write(tmp_path / "a"))
    assert str(EXAMPLE_LOG) in analysis.summary


def test_out_keeps_the_files_where_asked(tmp_path):
    analysis = si.analyze(EXAMPLE_LOG, config=EXAMPLE_CONFIG, out=tmp_path / "run")
    assert (tmp_path / "run/data/processed/movielens_interference_observed_effects.csv").exists()
    assert (tmp_path / "run/writeup/report.html").exists()
    assert analysis.summary == (tmp_path / "run/writeup/analysis_summary.md").read_text()
