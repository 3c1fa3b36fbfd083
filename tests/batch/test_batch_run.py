"""The batch runner end to end on a tiny notebook (tests/fixtures/notebooks/tiny_report.py).

Covers the traps seen when measuring: "0114" passed as a number, figures rendered as text
by a misconfigured backend, state leaking from one report into the next, pandoc dropping
tables, and half-written files after a kill.
"""

import base64
import datetime as dt
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import docx
import nbformat
import pytest

from analysis.batch import BatchParameterError, run_batch

FIXTURE = Path(__file__).parents[1] / "fixtures" / "notebooks" / "tiny_report.py"
PROBE = FIXTURE.with_name("state_probe.py")
PNG = b"\x89PNG\r\n\x1a\n"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
OK, FAILED = ("2181", "0114"), ("1760", "1080", "0180")


@pytest.fixture(scope="module")
def cwd(tmp_path_factory):
    return tmp_path_factory.mktemp("cwd")


@pytest.fixture(scope="module")
def batch(tmp_path_factory, cwd):
    """One batch with typical and failing reports, MPLBACKEND=Agg inherited."""
    out = tmp_path_factory.mktemp("reports")
    (cwd / "crimes.csv").write_text("kommunkod,count\n0114,3\n")
    log = str(cwd / "computed.log")
    params = [
        {"kommunkod": "2181", "computed_log": log},
        {"kommunkod": "0114", "computed_log": log},
        {"kommunkod": "1760", "fail_in": "1760", "computed_log": log},
        {"kommunkod": "1080", "text_figure": True, "computed_log": log},
        {"kommunkod": "0180", "leak_ids": True, "computed_log": log},
    ]
    mp = pytest.MonkeyPatch()
    mp.setenv("MPLBACKEND", "Agg")  # what pytest/CI parents often have: figures must stay PNG
    try:
        result = run_batch(FIXTURE, params, out_dir=out, jobs=2, cwd=cwd,
                           data_files=[cwd / "crimes.csv"], progress=False,
                           note="Syntetiska exempeldata – inte verklig statistik")
    finally:
        mp.undo()
    return result


def _item(result, name):
    return next(i for i in result.items if i.name == name)


def test_each_failure_is_isolated_and_reported_with_cell_and_error(batch):
    assert {i.name: i.status for i in batch.items} == {**{n: "ok" for n in OK},
                                                        **{n: "failed" for n in FAILED}}
    assert batch.exit_code == 1 and not batch.ok
    planned = _item(batch, "1760")
    assert planned.error == "ValueError: planned failure for 1760"
    assert planned.error_cell is not None and planned.error_line == 3
    # the excerpt shows the line that raised, not the first lines of the cell
    assert '-> 3 |     raise ValueError(f"planned failure' in planned.error_source
    assert "time.sleep" not in planned.error_source
    text_fig = _item(batch, "1080")
    assert "rendered as text" in text_fig.error and text_fig.error_cell is not None
    assert "respondent" in _item(batch, "0180").error
    summary = batch.summary()
    assert (f"FAILED 1760 in cell [{planned.error_cell}], line 3: ValueError: planned failure"
            in summary)
    assert "5 reports" in summary and "2 built" in summary and "3 failed" in summary
    table = batch.table
    assert list(table["name"]) == ["2181", "0114", "1760", "1080", "0180"]
    assert set(table.columns) >= {"status", "error_cell", "error", "html", "docx", "ipynb"}


def test_outputs_per_report(batch):
    out = batch.out_dir
    for name in OK:
        stem = f"tiny_report_{name}"
        for suffix in (".ipynb", ".html", ".docx", ".manifest.json"):
            assert (out / f"{stem}{suffix}").is_file(), f"{stem}{suffix}"
        pngs = sorted((out / f"{stem}_figurer").glob("*.png"))
        assert [p.name for p in pngs] == ["figur_01.png", "figur_02.png"]
        assert all(p.read_bytes().startswith(PNG) for p in pngs)
        manifest = json.loads((out / f"{stem}.manifest.json").read_text())
        assert manifest["status"] == "ok" and len(manifest["files"]) == 5
    # the failing notebook is kept for debugging, its drafts are not written
    assert (out / "tiny_report_1760.ipynb").is_file()
    assert not list(out.glob("tiny_report_1760.[hd]*"))
    assert not (out / "tiny_report_1760_figurer").exists()
    # respondent-level output: nothing but the manifest is kept
    assert [p.name for p in out.glob("tiny_report_0180*")] == ["tiny_report_0180.manifest.json"]
    for p in out.glob("tiny_report_*.html"):  # no respondent id anywhere in a draft
        assert "respondent_id" not in p.read_text() and "r001" not in p.read_text()
    assert "r001" not in batch.index_path.read_text()
    for p in out.glob("*.ipynb"):  # (the fixture's code mentions the column; outputs must not)
        outputs = [o for c in nbformat.read(p, as_version=4).cells for o in c.get("outputs", [])]
        assert "r001" not in json.dumps(outputs)


def test_kommunkod_0114_stays_a_string(batch):
    nb = nbformat.read(batch.out_dir / "tiny_report_0114.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'kommunkod = "0114"' in injected.source
    outputs = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Kommun 0114:" in outputs
    assert "BLAS threads: 1" in outputs  # pinned in workers: parallel fits must not compete


def test_figures_are_real_pngs_although_the_parent_had_MPLBACKEND_Agg(batch):
    nb = nbformat.read(batch.out_dir / "tiny_report_2181.ipynb", as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 2
    assert not any(re.match(r"<Figure size", str(o.get("data", {}).get("text/plain", "")))
                   and "image/png" not in o.get("data", {}) for o in outputs)


def test_shared_computation_runs_once_per_batch_and_its_cache_is_gone_after(batch, cwd):
    log = cwd / "computed.log"
    assert len(log.read_text().split()) == 1
    nb = nbformat.read(batch.out_dir / "tiny_report_2181.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    cache = Path(re.search(r'shared_cache_dir = "([^"]+)"', injected.source).group(1))
    assert batch.out_dir not in cache.parents  # never inside the folder users share
    assert not cache.exists()  # removed when the batch ended
    assert not (batch.out_dir / ".lagesbild" / "cache").exists()


def test_index_lists_every_report_with_status(batch):
    html = batch.index_path.read_text()
    for name in OK + FAILED:
        assert f'id="{name}"' in html
    assert html.count("misslyckades") == 3 and html.count(">klar<") == 2
    assert "2181 Sandviken" in html and "planned failure for 1760" in html
    assert "Syntetiska exempeldata – inte verklig statistik" in html
    for href in re.findall(r'href="([^"]+)"', html):
        assert (batch.out_dir / href).exists(), href


def test_docx_keeps_headings_tables_and_figures(batch):
    d = docx.Document(batch.out_dir / "tiny_report_0114.docx")
    headings = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [("Heading 1", "Testrapport"), ("Heading 2", "Tabell"),
                        ("Heading 2", "Figurer")]
    assert len(d.tables) == 1
    rows = [[c.text for c in r.cells] for r in d.tables[0].rows]
    assert ["", "Brottstyp", "Per 100 000"] == rows[0]
    assert ["1", "Cykelstöld", "1\u00a0235"] in rows
    assert len(d.inline_shapes) == 2
    assert not any("import " in p.text for p in d.paragraphs)  # code is hidden


@pytest.mark.browser
def test_html_draft_opens_in_headless_chromium_with_every_figure_loaded(batch, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package 'chromium')")
    page = (batch.out_dir / "tiny_report_0114.html").read_text()
    assert "<script" not in page
    js = ("window.addEventListener('load', () => { const imgs = [...document.images];"
          " const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;"
          " document.body.setAttribute('data-images', imgs.length + '/' + ok); });")
    copy = tmp_path / "draft.html"
    # the draft's policy lets no script run: this probe alone is allowed, by its hash
    copy.write_text(allow_script(page, js).replace("</body>", f"<script>{js}</script></body>"))
    proc = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, "--virtual-time-budget=5000",
                           "--dump-dom", copy.as_uri()], capture_output=True, text=True,
                          timeout=120)
    m = re.search(r'data-images="(\d+)/(\d+)"', proc.stdout)
    assert m, f"chromium did not run the check: {proc.stderr[-500:]}"
    assert m.group(1) == "2" and m.group(2) == "2", f"images loaded: {m.group(2)} of {m.group(1)}"


def allow_script(page: str, js: str) -> str:
    """``page`` with its Content-Security-Policy allowing exactly the inline script ``js``."""
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    assert "script-src 'none'" in page
    return page.replace("script-src 'none'", f"script-src 'sha256-{digest}'")


@pytest.mark.browser
def test_the_drafts_policy_stops_an_injected_script(batch, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package 'chromium')")
    page = (batch.out_dir / "tiny_report_0114.html").read_text()
    js = "document.body.setAttribute('data-ran', 'yes');"
    for name, html, ran in (("blocked.html", page, False),
                            ("control.html", allow_script(page, js), True)):
        copy = tmp_path / name
        copy.write_text(html.replace("</body>", f"<script>{js}</script></body>"))
        proc = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / name}.p",
                               "--virtual-time-budget=3000", "--dump-dom", copy.as_uri()],
                              capture_output=True, text=True, timeout=120)
        assert "</body>" in proc.stdout, proc.stderr[-500:]
        assert ('data-ran="yes"' in proc.stdout) is ran, name


def _probe_batch(tmp_path, isolation, checks=("2026", "0136")):
    """A polluting report, then the checks, one at a time on one warm worker."""
    params = [{"kommunkod": "2181", "probe": "pollute"}] + [
        {"kommunkod": c, "probe": "check", "expected_cwd": str(tmp_path)} for c in checks]
    return run_batch(PROBE, params, out_dir=tmp_path / "out", jobs=1, isolation=isolation,
                     cwd=tmp_path, formats=("png",), progress=False)


def _when(out, name, key):
    m = json.loads((out / f"state_probe_{name}.manifest.json").read_text())
    return dt.datetime.fromisoformat(m[key])


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["fork", "kernel"])
def test_no_state_leaks_from_one_report_into_the_next(tmp_path, monkeypatch, isolation):
    # The checks start after the polluting report has finished, on the same worker; they
    # test pandas options, rcParams/style, cwd, environment, random seed, warnings filters,
    # imported-module state and builtins (test_warm_kernel_with_reset_leaks proves that the
    # probe detects every one of them).
    monkeypatch.setenv("MPLBACKEND", "Agg")
    checks = ("2026", "0136") if isolation == "fork" else ("2026",)  # kernels are slow
    result = _probe_batch(tmp_path, isolation, checks)
    assert {i.status for i in result.items} == {"ok"}, result.summary()
    out = tmp_path / "out"
    for probe in checks:
        assert _when(out, "2181", "finished") <= _when(out, probe, "started")
        pngs = sorted((out / f"state_probe_{probe}_figurer").glob("*.png"))
        assert len(pngs) == 1 and pngs[0].read_bytes().startswith(PNG)
    assert not (out / "state_probe_2026.html").exists()  # only the formats asked for


@pytest.mark.slow
def test_warm_kernel_with_reset_leaks(tmp_path):
    """Negative control: one reused interpreter with %reset -f leaks every probed kind of state."""
    script = textwrap.dedent(f"""
        import papermill
        from papermill.exceptions import PapermillExecutionError
        from analysis.batch.inprocess import register, _shell
        from analysis.batch.notebook import load_notebook
        nb = load_notebook({str(PROBE)!r})
        kw = dict(engine_name=register(), kernel_name="python3", language="python",
                  progress_bar=False)
        papermill.execute_notebook(nb, None, parameters={{"probe": "pollute"}}, **kw)
        _shell().run_line_magic("reset", "-f")
        try:
            papermill.execute_notebook(nb, None, parameters={{"probe": "check",
                                       "expected_cwd": {str(tmp_path)!r}}}, **kw)
            print("NO LEAK")
        except PapermillExecutionError as exc:
            print(exc.evalue)
    """)
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert "state leaked" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    for kind in ("pandas options", "matplotlib rcParams/style", "working directory",
                 "environment", "random seed", "warnings filters", "imported module state",
                 "builtins"):
        assert kind in proc.stdout


@pytest.mark.slow
def test_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = run_batch(FIXTURE, [{"kommunkod": "1760", "fail_in": "1760"},
                                     {"kommunkod": "1080"}],
                           out_dir=tmp_path, scheduler=client, formats=("html", "png"),
                           progress=False)
        closed = client.run(lambda: 0)  # the cluster is still usable
    assert closed
    assert result.scheduler is not None
    assert {i.name: i.status for i in result.items} == {"1760": "failed", "1080": "ok"}
    assert (tmp_path / "tiny_report_1080.html").is_file()
    assert len(list((tmp_path / "tiny_report_1080_figurer").glob("*.png"))) == 2


def test_parameter_errors_stop_the_batch_before_anything_runs(tmp_path):
    with pytest.raises(BatchParameterError, match="must be a string like '0114', got 114"):
        run_batch(FIXTURE, [{"kommunkod": 114}], out_dir=tmp_path, progress=False)
    with pytest.raises(BatchParameterError, match="did you mean 'kommunkod'"):
        run_batch(FIXTURE, [{"kommunkod": "0114", "kommunkd": "0115"}], out_dir=tmp_path)
    with pytest.raises(BatchParameterError, match="share a name"):
        run_batch(FIXTURE, [{"kommunkod": "0114"}, {"kommunkod": "0114"}], out_dir=tmp_path)
    with pytest.raises(BatchParameterError, match=r"reports 'M1/2' and 'M1 2' would write the "
                       r"same files tiny_report_M1_2\.\*"):
        run_batch(FIXTURE, [{"kommunkod": "M1/2"}, {"kommunkod": "M1 2"}], out_dir=tmp_path)
    with pytest.raises(BatchParameterError, match="lack 'kommunkod'"):
        run_batch(FIXTURE, [{"scale": 2.0}], out_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown formats"):
        run_batch(FIXTURE, [{"kommunkod": "0114"}], out_dir=tmp_path, formats=("pdf",))
    assert not list(tmp_path.glob("tiny_report_*"))


@pytest.mark.slow
def test_timeout_kills_a_report(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("pause = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\ntime.sleep(pause)")])
    nbformat.write(nb, tmp_path / "pause.ipynb")
    out = tmp_path / "out"
    result = run_batch(tmp_path / "pause.ipynb", [{"pause": 0}, {"pause": 600}], out_dir=out,
                       name_key=None, timeout=2, jobs=2, formats=("ipynb", "html"),
                       progress=False)
    assert [i.status for i in result.items] == ["ok", "failed"]
    assert "timed out after 2 s" in result.items[1].error
    assert result.duration_s < 120
    assert (out / "pause_001.html").is_file() and not (out / "pause_002.html").exists()
    # asked again without HTML: the old HTML draft goes, it would no longer match the notebook
    again = run_batch(tmp_path / "pause.ipynb", [{"pause": 0}], out_dir=out, name_key=None,
                      formats=("ipynb",), resume=True, progress=False)
    assert again.items[0].status == "ok"
    assert not (out / "pause_001.html").exists() and (out / "pause_001.ipynb").is_file()


def _complete(path: Path) -> bool:
    if path.suffix in (".ipynb", ".json"):
        json.loads(path.read_text())
    elif path.suffix == ".html":
        return path.read_text().rstrip().endswith("</html>")
    elif path.suffix == ".docx":
        docx.Document(path)
    elif path.suffix == ".png":
        return path.read_bytes().startswith(PNG) and path.read_bytes().endswith(b"IEND\xaeB`\x82")
    return True


@pytest.mark.slow
def test_kill_leaves_only_complete_files_and_resume_finishes_the_rest(tmp_path):
    out, cwd = tmp_path / "out", tmp_path
    params = [{"kommunkod": c, "sleep_s": 0.5} for c in ("0114", "2181", "1760")]
    script = (f"from analysis.batch import run_batch\n"
              f"run_batch({str(FIXTURE)!r}, {params!r}, out_dir={str(out)!r}, jobs=2, "
              f"cwd={str(cwd)!r}, progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not list(out.glob("tiny_report_*.manifest.json")):
        assert proc.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner, its worker and every report process
    proc.wait()
    finished = list(out.glob("tiny_report_*.manifest.json"))
    assert 1 <= len(finished) < len(params)
    for p in out.rglob("*"):
        if p.is_file() and not p.name.startswith(".tmp-") and ".lagesbild" not in p.parts:
            assert _complete(p) is not False, f"half-written file under its final name: {p}"
    result = run_batch(FIXTURE, params, out_dir=out, jobs=2, cwd=cwd, resume=True,
                       progress=False)
    statuses = {i.name: i.status for i in result.items}
    assert all(s in ("ok", "skipped") for s in statuses.values()), result.summary()
    done_before = {json.loads(p.read_text())["name"] for p in finished
                   if json.loads(p.read_text())["status"] == "ok"}
    assert {n for n, s in statuses.items() if s == "skipped"} == done_before
    assert not list(out.rglob(".tmp-*"))
    again = run_batch(FIXTURE, params, out_dir=out, resume=True, cwd=cwd, progress=False)
    assert {i.status for i in again.items} == {"skipped"}
    assert again.duration_s < 60
