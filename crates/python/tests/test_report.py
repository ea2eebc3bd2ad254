"""The one-page report: `to_html()` is the file `analyze` writes, a notebook shows it, and a
real browser (headless Chromium) renders it: not blank, the headline numbers in the page,
every embedded image a PNG that decodes, no horizontal scrolling at 1366×768."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import polars as pl
import pytest
import slate_interference as si
from PIL import Image

from conftest import EXAMPLE_CONFIG, EXAMPLE_LOG

# As the machine's notes advise for headless Chromium here: no sandbox (root), no GPU, and no
# background networking (this machine's network is closed).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("no Chromium: .ci/run installs Debian's chromium package")
    pytest.skip("no Chromium on this machine (apt-get install chromium)")


def run_chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def example() -> si.Analysis:
    return si.analyze(EXAMPLE_LOG, config=EXAMPLE_CONFIG)


@pytest.fixture(scope="module")
def page(example, tmp_path_factory) -> Path:
    return example.write(tmp_path_factory.mktemp("page")) / "writeup" / "report.html"


def test_to_html_is_the_written_file_and_the_programs(example, page, example_cli):
    assert example.to_html().encode() == page.read_bytes()
    # The program's page for the same file is the same bytes (named by its file name, no
    # absolute path, no timestamp).
    assert page.read_bytes() == (example_cli / "writeup" / "report.html").read_bytes()


def test_a_notebook_shows_the_page_in_an_isolated_frame(example):
    shown = example._repr_html_()
    assert shown.startswith("<iframe ") and "srcdoc=" in shown
    assert "<style>" not in shown  # escaped inside srcdoc: it cannot restyle the notebook


def test_the_page_is_inert_and_offline(example):
    html = example.to_html()
    assert "<script" not in html
    assert "://" not in html  # no URL of any scheme but inline data
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:)""", html)


def test_every_embedded_image_is_a_png_that_decodes(example):
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', example.to_html())
    assert len(images) == len(example.figures) > 0
    for data in images:
        raw = base64.b64decode(data, validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            assert image.format == "PNG"
            image.verify()
    # In catalogue order, the figures' own bytes.
    assert sorted(base64.b64decode(d) for d in images) == sorted(example.figures.values())


def test_chromium_renders_the_headline(example, page):
    dom = run_chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    text = dom.stdout.decode()
    effects = example.effects
    total = effects.filter(pl.col("contrast") == "Total slate").row(0, named=True)
    assert "<h1>Slate promotion experiment: <code>user_log.csv</code></h1>" in text
    assert f"<td>Total slate</td><td>{total['outcome']}</td><td>{total['estimate']:.4f}</td>" in text


def test_chromium_screenshot_is_not_blank(page, tmp_path):
    shot = tmp_path / "shot.png"
    result = run_chromium("--window-size=1366,768", f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0, result.stderr
    with Image.open(shot) as image:
        assert image.size == (1366, 768)
        dark = sum(image.convert("L").histogram()[:128])
    # Text and table lines: a blank or failed page has none.
    assert dark > 5_000, dark


def test_no_horizontal_scroll_at_1366_by_768(page, tmp_path):
    # A test-only wrapper page measures the report in a 1366×768 frame (the report itself has
    # no script); Chromium prints the wrapper's DOM once the frame has loaded.
    shutil.copy(page, tmp_path / "report.html")
    wrapper = tmp_path / "measure.html"
    wrapper.write_text(
        """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:1366px;height:768px;border:0"></iframe>
<pre id="out">pending</pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument.documentElement;
  document.getElementById('out').textContent = 'widths ' + d.scrollWidth + ' ' + d.clientWidth;
});
</script></body></html>"""
    )
    result = run_chromium(
        "--allow-file-access-from-files",
        "--virtual-time-budget=10000",
        "--dump-dom",
        wrapper.as_uri(),
    )
    match = re.search(r"widths (\d+) (\d+)", result.stdout.decode())
    assert match, result.stdout.decode()[-500:]
    scroll, client = int(match.group(1)), int(match.group(2))
    assert scroll <= client, f"the page is {scroll} px wide in a {client} px window"
