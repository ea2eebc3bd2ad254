"""Fixtures of the package's tests: the `slate` program built from this workspace (the
reference every call is compared with), the README's example log and a 50,000-slate
synthetic log, each analyzed once by the program."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_LOG = REPO / "crates/estimate/tests/reference/user_log.csv"
EXAMPLE_CONFIG = REPO / "config/example_log.toml"


def slate_program() -> Path:
    """The `slate` program `cargo xtask python` built beside the extension."""
    if "SLATE_BIN" in os.environ:
        return Path(os.environ["SLATE_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    program = target / "debug" / "slate"
    if not program.exists():
        pytest.fail(f"no slate program at {program}: run `cargo xtask python` (it builds it) or set SLATE_BIN")
    return program


def run_slate(*args: str, root: Path | None = None) -> subprocess.CompletedProcess:
    """`slate ARGS`, writing under `root` in the program's layout when given."""
    command = [str(slate_program()), "--quiet"]
    if root is not None:
        command += [
            "--processed-dir", str(root / "data" / "processed"),
            "--figures-dir", str(root / "writeup" / "figures"),
            "--writeup-dir", str(root / "writeup"),
            "--raw-dir", str(root / "data" / "raw"),
        ]
    result = subprocess.run(command + list(args), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="session")
def example_cli(tmp_path_factory) -> Path:
    """The program's analysis of the README's example log (a CSV: the item-row path)."""
    root = tmp_path_factory.mktemp("example-cli")
    run_slate("--config", str(EXAMPLE_CONFIG), "analyze", "--log", str(EXAMPLE_LOG), root=root)
    return root


@pytest.fixture(scope="session")
def synthetic_log(tmp_path_factory) -> Path:
    """A 50,000-slate log, four slates per unit, written by `slate synth-log`."""
    path = tmp_path_factory.mktemp("synthetic") / "log50k.parquet"
    run_slate("synth-log", "--slates", "50000", "--slates-per-unit", "4", "--out", str(path))
    return path


@pytest.fixture(scope="session")
def covariate_config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("config") / "cov.toml"
    path.write_text('[log]\ncovariates = ["relevance"]\n')
    return path


@pytest.fixture(scope="session")
def synthetic_cli(tmp_path_factory, synthetic_log, covariate_config) -> Path:
    """The program's analysis of the 50,000-slate log (parquet: the per-slate reduction)."""
    root = tmp_path_factory.mktemp("synthetic-cli")
    run_slate("--config", str(covariate_config), "analyze", "--log", str(synthetic_log), root=root)
    return root
