"""The warm worker reads the data once and draws each figure once (issue 16, items 1 and 2).

A report notebook (tests/fixtures/notebooks/preload_probe.py) counts, inside each forked
report, the calls of ``load_dataset`` and the canvas draws of its figures; the runner's
preload must make the first zero, and each figure must be drawn once, its PNG reused by the
notebook, the HTML, the DOCX and the PNG file.
"""

import base64
import re
import shutil
import struct
from pathlib import Path

import nbformat
import pytest

from analysis.batch import run_batch
from analysis.batch.worker import _preload

PROBE = Path(__file__).parents[1] / "fixtures" / "notebooks" / "preload_probe.py"
KOMMUNER = ("1080", "1081", "1082")


@pytest.fixture(scope="module")
def data(full_sample):
    return full_sample  # the national tables need every kommun


def _stdout(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")


def _run(data, out, **kwargs):
    return run_batch(PROBE, [{"kommunkod": k, "data_dir": str(data)} for k in KOMMUNER],
                     out_dir=out, jobs=2, data_files=[data], progress=False, **kwargs)


@pytest.fixture(scope="module")
def preloaded(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return _run(data, out), out


def test_reports_of_a_batch_do_not_read_the_data_again(preloaded):
    result, out = preloaded
    assert not result.failures, result.summary()
    for kommun in KOMMUNER:
        text = _stdout(out / f"preload_probe_{kommun}.ipynb")
        assert "load_dataset calls: 0" in text
        assert "shared tables in memory before: 1" in text  # national tables inherited too
        assert re.search(r"kommun rows: [1-9]", text)


def test_without_preload_each_report_reads_the_data(data, tmp_path):
    result = _run(data, tmp_path, preload=False)
    assert not result.failures, result.summary()
    text = _stdout(tmp_path / f"preload_probe_{KOMMUNER[0]}.ipynb")
    assert "load_dataset calls: 1" in text and "shared tables in memory before: 0" in text


def test_each_figure_is_drawn_once_and_reused_by_every_output(preloaded):
    _, out = preloaded
    stem = f"preload_probe_{KOMMUNER[0]}"
    assert "figures drawn: 2" in _stdout(out / f"{stem}.ipynb")
    nb = nbformat.read(out / f"{stem}.ipynb", as_version=4)
    in_notebook = [base64.b64decode(o["data"]["image/png"]) for c in nb.cells
                   for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    files = sorted((out / f"{stem}_figurer").glob("*.png"))
    html = (out / f"{stem}.html").read_text(encoding="utf-8")
    in_html = [base64.b64decode(m) for m in re.findall(r'data:image/png;base64,([^"\']+)', html)]
    assert len(in_notebook) == 2
    assert [f.read_bytes() for f in files] == in_notebook
    assert in_html[-2:] == in_notebook  # the page's own small icon comes first
    # the report figure's own PNG (its display width in the metadata), not a second drawing
    widths = [o["metadata"]["image/png"]["width"] for c in nb.cells for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    pixels = [struct.unpack(">I", png[16:20])[0] for png in in_notebook]
    assert pixels == [int(16 / 2.54 * 150)] * 2  # the full 16 cm at 150 dpi, not cropped
    assert widths == [int(round(px / 150 * 96)) for px in pixels]


def test_a_failing_preload_leaves_each_report_its_own_error(data, tmp_path):
    broken = tmp_path / "data"
    broken.mkdir()
    shutil.copy(data / "population.csv", broken)
    result = _run(broken, tmp_path / "out")
    assert {i.status for i in result.items} == {"failed"}
    for item in result.items:
        assert "FileNotFoundError" in item.error and "crimes.csv" in item.error
        assert item.error_cell is not None  # raised in the report's cell, not by the worker
    log = "".join(p.read_text() for p in (tmp_path / "out" / ".lagesbild" / "logs").glob("*.log"))
    assert "preload analysis.report.context.preload failed" in log


def test_preload_reports_its_outcome_and_never_raises():
    ok = _preload({"function": "os.path.join", "params": {}})
    assert ok["preload"]["ok"] is False and "TypeError" in ok["preload"]["error"]
    assert _preload(None) == {"preload": None}
    assert _preload({"function": "json.dumps", "params": {"a": 1}})["preload"]["result"] == \
        '{"a": 1}'
