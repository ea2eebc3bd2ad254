"""Type stubs of the native module (the Rust bindings); use the functions of
:mod:`slate_interference`, which accept frames and return DataFrames."""

from os import PathLike
from typing import Dict, List, Optional, Union

_Path = Union[str, PathLike[str]]

__version__: str

class LogError(ValueError):
    """The impression log breaks a rule of its schema or design; the message names the file,
    row, slate and column."""

def analyze(
    log: _Path,
    root: _Path,
    *,
    name: Optional[str] = None,
    config_path: Optional[_Path] = None,
    config_json: Optional[str] = None,
    columns: Optional[Dict[str, str]] = None,
    outcomes: Optional[List[str]] = None,
    covariates: Optional[List[str]] = None,
    on_bad_slate: str = "error",
    item_rows: bool = False,
    chunk_rows: Optional[int] = None,
    verbose: bool = False,
) -> None: ...
def power(
    log: _Path,
    root: _Path,
    *,
    slates: Optional[List[int]] = None,
    config_path: Optional[_Path] = None,
    config_json: Optional[str] = None,
    columns: Optional[Dict[str, str]] = None,
    outcomes: Optional[List[str]] = None,
    covariates: Optional[List[str]] = None,
    on_bad_slate: str = "error",
) -> None: ...
def log_sql(
    dialect: str,
    *,
    log: Optional[_Path] = None,
    truth: bool = False,
    target_position: bool = False,
    config_path: Optional[_Path] = None,
    config_json: Optional[str] = None,
    columns: Optional[Dict[str, str]] = None,
    outcomes: Optional[List[str]] = None,
    covariates: Optional[List[str]] = None,
) -> str: ...
def synth_log(
    path: _Path,
    slates: int,
    *,
    slate_size: int = 12,
    slates_per_unit: int = 1,
    focals_per_slate: int = 1,
    target_position: int = 1,
    seed: int = 1,
) -> str: ...
