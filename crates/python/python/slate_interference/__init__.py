"""Causal inference under interference in recommendation slates, from a DataFrame.

Hand :func:`analyze` an impression log (one row per shown item) as a polars or pandas
DataFrame, a pyarrow Table, or the path of a parquet or CSV file, and get every table the
``slate analyze`` program writes, as DataFrames::

    import polars as pl
    import slate_interference as si

    log = pl.read_parquet("experiment.parquet")
    result = si.analyze(log, unit="user_id")
    result.effects          # the five contrasts on observed clicks, clustered by unit
    result.decomposition    # direct, indirect and total effects per slate
    result                  # in a notebook: the one-page report

The work runs in the Rust library behind the ``slate`` program (the same functions, not the
program), with the GIL released. Ctrl-C lets the running stage finish and stops before the
next, as the program does. A log that breaks a rule raises :class:`LogError` with the program's
message (file, row, slate and column).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

# The C libraries the extension loads read these once, when they are loaded: set them before
# the import below, as the `slate` program does at start-up (a value already set is kept).
# OpenBLAS runs small matrices inside parallel loops, where its own threads would only
# oversubscribe the cores; LightGBM and XGBoost share one libgomp, whose throttled spin-wait
# slows every fit. (GLIBC_TUNABLES, the program's third setting, is read by glibc when a
# process starts, so it cannot be set from inside Python: see docs/python.md.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("GOMP_SPINCOUNT", "300000")


def _runs_haswell_kernels() -> bool:
    """Whether this CPU has AVX2 and FMA (read from /proc/cpuinfo; False where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return "avx2" in flags and "fma" in flags
    except OSError:
        pass
    return False


# OpenBLAS's Haswell kernels whatever CPU it finds, as the `slate` program sets on CPUs with
# AVX2 and FMA: each kernel orders its sums its own way, so the same fit gets the same bits.
if _runs_haswell_kernels():
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

from . import _native  # noqa: E402
from ._native import LogError  # noqa: E402

__all__ = [
    "Analysis",
    "LogError",
    "analyze",
    "log_sql",
    "power",
    "synth_log",
    "__version__",
]

__version__: str = _native.__version__

#: What ``log`` may be: a frame, a table, or the path of a parquet or CSV file.
LogInput = Union[str, "os.PathLike[str]", Any]
#: What ``config`` may be: the path of a TOML file, or a dict of the same keys.
ConfigInput = Union[None, str, "os.PathLike[str]", Mapping[str, Any]]

_PREFIXES = ("movielens_interference_", "interference_")

def _key(file_name: str) -> str:
    """A table's key in :attr:`Analysis.tables`: its file name without the common prefix."""
    stem = file_name.rsplit(".", 1)[0]
    for prefix in _PREFIXES:
        if stem.startswith(prefix):
            return stem[len(prefix) :]
    return stem


def _config_args(
    config: ConfigInput,
    columns: Optional[Mapping[str, str]],
    unit: Optional[str],
    outcomes: Sequence[str],
    covariates: Sequence[str],
) -> Dict[str, Any]:
    """The native functions' configuration keywords."""
    args: Dict[str, Any] = {}
    if config is None:
        pass
    elif isinstance(config, (str, os.PathLike)):
        args["config_path"] = os.fspath(config)
    elif isinstance(config, Mapping):
        args["config_json"] = json.dumps(config)
    else:
        raise TypeError(
            f"config must be a path to a TOML file or a dict, not {type(config).__name__}"
        )
    names = dict(columns or {})
    if unit is not None:
        if "unit_id" in names and names["unit_id"] != unit:
            raise ValueError(
                f"unit={unit!r} and columns['unit_id']={names['unit_id']!r} disagree"
            )
        names["unit_id"] = unit
    if names:
        args["columns"] = {str(k): str(v) for k, v in names.items()}
    if outcomes:
        args["outcomes"] = [str(o) for o in outcomes]
    if covariates:
        args["covariates"] = [str(c) for c in covariates]
    return args


def _decoded(table: Any) -> Any:
    """`table` with its dictionary-encoded columns (pandas ``category``, polars
    ``Categorical``/``Enum``) as plain columns of their values: the log's readers take ids and
    clusters as strings or integers, and the values, not their codes, are what the log says."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            plain = pc.cast(table.column(i), field.type.value_type)
            table = table.set_column(i, pa.field(field.name, field.type.value_type), plain)
    return table


def _as_arrow(log: Any) -> "tuple[Any, str]":
    """A frame or table as a pyarrow Table, with the name the report gives it."""
    table, name = _as_arrow_table(log)
    return _decoded(table), name


def _as_arrow_table(log: Any) -> "tuple[Any, str]":
    import pyarrow as pa

    if isinstance(log, pa.Table):
        return log, "pyarrow Table"
    module = type(log).__module__.split(".")[0]
    if module == "polars":
        import polars as pl

        if isinstance(log, pl.LazyFrame):
            return log.collect().to_arrow(), "polars LazyFrame"
        if isinstance(log, pl.DataFrame):
            return log.to_arrow(), "polars DataFrame"
    if module == "pandas":
        import pandas as pd

        if isinstance(log, pd.DataFrame):
            return pa.Table.from_pandas(log, preserve_index=False), "pandas DataFrame"
    raise TypeError(
        "log must be a polars or pandas DataFrame, a pyarrow Table, or the path of a parquet "
        f"or CSV file, not {type(log).__module__}.{type(log).__name__}"
    )


class _LogFile:
    """The log as a file the library reads: the path given, or a frame written as parquet
    (through Arrow) to a temporary directory, removed on exit."""

    def __init__(self, log: LogInput) -> None:
        self._dir: Optional[tempfile.TemporaryDirectory] = None
        if isinstance(log, (str, os.PathLike)):
            self.path = Path(log)
            self.name: Optional[str] = None
            return
        import pyarrow.parquet as pq

        table, self.name = _as_arrow(log)
        self._dir = tempfile.TemporaryDirectory(prefix="slate-log-")
        self.path = Path(self._dir.name) / "log.parquet"
        pq.write_table(table, self.path)

    def __enter__(self) -> "_LogFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._dir is not None:
            self._dir.cleanup()

    def native_error(self, error: BaseException) -> BaseException:
        """The error with the temporary file's path replaced by the frame's name."""
        if self.name is None or not error.args:
            return error
        message = str(error.args[0]).replace(str(self.path), f"<{self.name}>")
        return type(error)(message)


class Analysis:
    """Everything ``slate analyze`` writes for one log.

    - Summary tables are polars DataFrames; the per-row and per-slate tables (exposure
      mapping, slate outcomes, assignment table, per-slate sums) are polars LazyFrames, since
      they can be larger than memory. Every table has the columns of its file.
    - :attr:`tables` holds all of them, keyed by file name without the
      ``movielens_interference_`` / ``interference_`` prefix and extension.
    - :attr:`effects`, :attr:`inference`, :attr:`decomposition`, :attr:`readiness` and
      :attr:`targeting` are the main ones (``targeting`` is None when the log had too few
      units for the models).
    - :attr:`summary` is the markdown summary, :attr:`figures` the PNG bytes by file name,
      :meth:`to_html` the one-page report, :meth:`write` the files themselves.
    """

    def __init__(self, root: Path, keep: Optional[tempfile.TemporaryDirectory] = None) -> None:
        import polars as pl

        self._root = Path(root)
        # A temporary directory lives as long as the Analysis: the LazyFrames read from it.
        self._keep = keep
        processed = self._root / "data" / "processed"
        writeup = self._root / "writeup"
        self.tables: Dict[str, Any] = {}
        for path in sorted(processed.iterdir()):
            if path.suffix == ".csv":
                self.tables[_key(path.name)] = pl.read_csv(path)
            elif path.suffix == ".parquet":
                self.tables[_key(path.name)] = pl.scan_parquet(path)
        manifest = processed / "interference_run_manifest.json"
        #: The run manifest: tool version, configuration and the log's size, hash and counts.
        self.manifest: Dict[str, Any] = json.loads(manifest.read_text()) if manifest.exists() else {}
        #: The markdown summary (``writeup/analysis_summary.md``).
        self.summary: str = (writeup / "analysis_summary.md").read_text()
        figures = writeup / "figures"
        #: Every figure drawn, as PNG bytes, by file name.
        self.figures: Dict[str, bytes] = (
            {p.name: p.read_bytes() for p in sorted(figures.glob("*.png"))}
            if figures.exists()
            else {}
        )

    @property
    def effects(self) -> Any:
        """The five contrasts on observed clicks (and each further outcome), CR1 clustered by
        unit, with Holm-adjusted p-values (``observed_effects``)."""
        return self.tables.get("observed_effects")

    @property
    def inference(self) -> Any:
        """Every uncertainty method on every contrast (``inference_comparison``)."""
        return self.tables.get("inference_comparison")

    @property
    def decomposition(self) -> Any:
        """Direct, indirect and total effects per slate (``direct_indirect_total_effects``)."""
        return self.tables.get("direct_indirect_total_effects")

    @property
    def readiness(self) -> Any:
        """The design checks of the log (``exposure_readiness``)."""
        return self.tables.get("exposure_readiness")

    @property
    def targeting(self) -> Any:
        """Promotion-targeting rules and their AIPW value (``advanced_policy_targeting``), or
        None when the models stage was skipped (too few units)."""
        return self.tables.get("advanced_policy_targeting")

    def to_html(self) -> str:
        """The one-page report, ``writeup/report.html``, exactly as written."""
        return (self._root / "writeup" / "report.html").read_bytes().decode("utf-8")

    def _repr_html_(self) -> str:
        # The page in an isolated frame, so that its style does not restyle the notebook.
        import html

        return (
            '<iframe style="width:100%;height:640px;border:1px solid #d0d7de" srcdoc="'
            + html.escape(self.to_html(), quote=True)
            + '"></iframe>'
        )

    def write(self, dir: Union[str, "os.PathLike[str]"]) -> Path:
        """Writes the files ``slate analyze`` writes, in its layout under ``dir``
        (``data/processed``, ``writeup``, ``writeup/figures``); returns ``dir``."""
        out = Path(dir)
        for sub in (Path("data") / "processed", Path("writeup")):
            source = self._root / sub
            if source.exists():
                shutil.copytree(source, out / sub, dirs_exist_ok=True)
        return out

    def __repr__(self) -> str:
        log = self.manifest.get("log", {})
        return (
            f"<Analysis of {log.get('path', 'a log')}: {log.get('rows', '?')} rows, "
            f"{log.get('slates', '?')} slates, {log.get('units', '?')} units; "
            f"{len(self.tables)} tables, {len(self.figures)} figures>"
        )


def analyze(
    log: LogInput,
    *,
    config: ConfigInput = None,
    columns: Optional[Mapping[str, str]] = None,
    unit: Optional[str] = None,
    outcomes: Sequence[str] = (),
    covariates: Sequence[str] = (),
    on_bad_slate: str = "error",
    item_rows: bool = False,
    out: Union[None, str, "os.PathLike[str]"] = None,
    verbose: bool = False,
) -> Analysis:
    """Analyzes a logged promotion experiment, as ``slate analyze --log`` does.

    Args:
        log: one row per shown item, with the canonical columns (``slate_id``, ``item_id``,
            ``item_cluster``, ``seed_position``, ``shown_position``, ``is_focal``,
            ``promoted``, ``click``; optionally ``unit_id``, ``user_id``,
            ``assignment_probability``, ``target_position`` and the truth columns). A polars
            or pandas DataFrame, a pyarrow Table, or the path of a parquet or CSV file. A frame
            crosses as Arrow and is written as a parquet file, which then goes where a parquet
            log goes: the per-slate reduction.
        config: the path of a TOML config, or a dict of the same keys (missing keys take the
            defaults).
        columns: canonical name → the log's own name, where they differ.
        unit: the randomization unit's column (shorthand for ``columns={"unit_id": unit}``).
        outcomes: further numeric outcomes besides ``click`` (each gets every contrast).
        covariates: numeric pre-treatment covariates (slate- or item-level).
        on_bad_slate: ``"error"`` stops at a slate that breaks the design; ``"drop"`` drops it
            and lists it in the ``dropped_slates`` table (reads the item rows into memory).
        item_rows: read a parquet log's (or frame's) item rows into memory instead of
            reducing it per slate, as ``--item-rows`` does; Lin's regression adjustment needs
            them. A CSV log is always read as item rows, as the program does.
        out: write the files there (in the program's layout) instead of a temporary
            directory that lives as long as the returned :class:`Analysis`.
        verbose: write the program's log lines to ``sys.stderr`` as the run goes (each stage's
            start, its time and peak memory, the headline effects); a notebook shows them.

    Raises:
        LogError: the log breaks a rule (the message names file, row, slate and column).
        KeyboardInterrupt: Ctrl-C, after the running stage finished.
    """
    args = _config_args(config, columns, unit, outcomes, covariates)
    keep = None
    if out is None:
        keep = tempfile.TemporaryDirectory(prefix="slate-analysis-")
        root = Path(keep.name)
    else:
        root = Path(out)
    with _LogFile(log) as file:
        try:
            _native.analyze(
                os.fspath(file.path),
                os.fspath(root),
                name=file.name,
                on_bad_slate=on_bad_slate,
                item_rows=item_rows,
                verbose=verbose,
                **args,
            )
        except (LogError, RuntimeError) as error:
            raise file.native_error(error) from None
    return Analysis(root, keep)


def power(
    log: LogInput,
    *,
    slates: Optional[Sequence[int]] = None,
    config: ConfigInput = None,
    columns: Optional[Mapping[str, str]] = None,
    unit: Optional[str] = None,
    outcomes: Sequence[str] = (),
    covariates: Sequence[str] = (),
    on_bad_slate: str = "error",
) -> Any:
    """Power and minimum detectable effect of each contrast from a pilot log's own variances,
    as ``slate power --log`` does: the ``pilot_power`` table as a polars DataFrame.

    Args:
        log: the pilot log (as for :func:`analyze`).
        slates: the design sizes to evaluate (each at least 20); the program's default grid
            when None.
        config, columns, unit, outcomes, covariates, on_bad_slate: as for :func:`analyze`.
    """
    import polars as pl

    args = _config_args(config, columns, unit, outcomes, covariates)
    with tempfile.TemporaryDirectory(prefix="slate-power-") as root, _LogFile(log) as file:
        try:
            _native.power(
                os.fspath(file.path),
                root,
                slates=None if slates is None else [int(n) for n in slates],
                on_bad_slate=on_bad_slate,
                **args,
            )
        except (LogError, RuntimeError) as error:
            raise file.native_error(error) from None
        return pl.read_csv(Path(root) / "data" / "processed" / "interference_pilot_power.csv")


def log_sql(
    dialect: str = "spark",
    config: ConfigInput = None,
    *,
    log: Union[None, str, "os.PathLike[str]"] = None,
    truth: bool = False,
    target_position: bool = False,
    columns: Optional[Mapping[str, str]] = None,
    unit: Optional[str] = None,
    outcomes: Sequence[str] = (),
    covariates: Sequence[str] = (),
) -> str:
    """The per-slate reduction as one SQL query over a table named ``impressions``, in
    ``"spark"`` or ``"polars"`` dialect, as ``slate log-sql`` prints it.

    Args:
        dialect: ``"spark"`` or ``"polars"``.
        config, columns, unit, outcomes, covariates: the log's names, as for :func:`analyze`.
        log: a parquet log whose columns say which optional columns exist.
        truth: without ``log``, include the truth columns.
        target_position: without ``log``, the query for logs with target positions.
    """
    args = _config_args(config, columns, unit, outcomes, covariates)
    return _native.log_sql(
        dialect,
        log=None if log is None else os.fspath(log),
        truth=truth,
        target_position=target_position,
        **args,
    )


def synth_log(
    path: Union[str, "os.PathLike[str]"],
    slates: int,
    *,
    slate_size: int = 12,
    slates_per_unit: int = 1,
    focals_per_slate: int = 1,
    target_position: int = 1,
    seed: int = 1,
) -> Path:
    """Writes a synthetic impression log of ``slates`` slates as parquet, with the truth
    columns and the item covariate ``relevance``, as ``slate synth-log`` does; returns its
    path."""
    return Path(
        _native.synth_log(
            os.fspath(path),
            int(slates),
            slate_size=slate_size,
            slates_per_unit=slates_per_unit,
            focals_per_slate=focals_per_slate,
            target_position=target_position,
            seed=seed,
        )
    )
