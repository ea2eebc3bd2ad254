"""The work runs with the GIL released, and Ctrl-C stops it between stages as in the program."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import polars as pl
import slate_interference as si

from conftest import EXAMPLE_CONFIG, EXAMPLE_LOG


def test_other_python_threads_run_during_an_analysis(synthetic_log, covariate_config):
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    start = time.perf_counter()
    try:
        si.analyze(synthetic_log, config=covariate_config)
    finally:
        done.set()
        counter.join()
    seconds = time.perf_counter() - start
    # Holding the GIL for the whole run would leave the counter at a handful of ticks.
    assert ticks > 100 * seconds, (ticks, seconds)


def test_ctrl_c_stops_before_the_next_stage(synthetic_log, covariate_config, tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, slate_interference as si
        try:
            si.analyze({str(synthetic_log)!r}, config={str(covariate_config)!r}, out={str(tmp_path)!r})
        except KeyboardInterrupt as e:
            print("KeyboardInterrupt:", e)
            sys.exit(3)
        print("finished")
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Once the run has begun (its processed folder exists), interrupt it.
    deadline = time.monotonic() + 60
    while not (tmp_path / "data" / "processed").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 3, (out, err)
    assert "interrupted: stopped before stage" in out, out
    # The stages before it finished; the last one did not run.
    assert not (tmp_path / "writeup" / "analysis_summary.md").exists()


def test_verbose_relays_the_programs_log_lines_to_sys_stderr(capsys):
    si.analyze(pl.read_csv(EXAMPLE_LOG), config=EXAMPLE_CONFIG, verbose=True)
    err = capsys.readouterr().err
    for stage in ("reduce-log", "read-slate-stats", "estimate", "decompose", "models", "report"):
        assert f'done stage="{stage}"' in err, err
    assert "observed effect" in err and 'contrast="Total slate"' in err, err
    # Quiet by default.
    si.analyze(pl.read_csv(EXAMPLE_LOG), config=EXAMPLE_CONFIG)
    assert capsys.readouterr().err == ""


def test_a_frame_leaves_no_temporary_log_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    analysis = si.analyze(pl.read_csv(EXAMPLE_LOG), config=EXAMPLE_CONFIG)
    left = [p.name for p in tmp_path.iterdir()]
    # Only the analysis's own folder, which lives as long as it does.
    assert len(left) == 1 and left[0].startswith("slate-analysis-"), left
    del analysis
