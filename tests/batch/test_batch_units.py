"""Building blocks of the batch runner, without running notebooks: files, parameters, rendering."""

import base64
import io
import multiprocessing
import os
import stat
import time
from pathlib import Path

import docx
import nbformat
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis.batch import notebook as nbmod
from analysis import cache, store
from analysis.batch import render
from analysis.batch.notebook import BatchParameterError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "notebooks" / "tiny_report.py"
v4 = nbformat.v4


# ------------------------------------------------------------------------------- atomic files

def test_atomic_write_replaces_whole_files_with_normal_permissions(tmp_path):
    p = store.atomic_write(tmp_path / "a" / "r.html", "<html>ett</html>")
    assert p.read_text() == "<html>ett</html>"
    mode = stat.S_IMODE(p.stat().st_mode)
    assert mode & 0o044, f"drafts must be readable by colleagues, got {oct(mode)}"
    store.atomic_write(p, b"<html>tva</html>")
    assert p.read_bytes() == b"<html>tva</html>"
    assert [x.name for x in p.parent.iterdir()] == ["r.html"]


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "r.docx"
    target.write_bytes(b"old complete file")
    with pytest.raises(RuntimeError):
        with store.atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old complete file"
    assert [x.name for x in tmp_path.iterdir()] == ["r.docx"]


def _write_half_and_die(path):
    with store.atomic_path(path) as tmp:
        tmp.write_bytes(b"half of a file")
        os._exit(9)  # a crash: no exception handling, no cleanup


def test_a_process_killed_mid_write_leaves_no_file_under_the_final_name(tmp_path):
    target = tmp_path / "r.ipynb"
    proc = multiprocessing.get_context("fork").Process(target=_write_half_and_die,
                                                       args=(target,))
    proc.start()
    proc.join(30)
    assert proc.exitcode == 9
    assert not target.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(".tmp-")
    assert leftovers[0].endswith("r.ipynb")  # papermill checks the suffix
    assert store.clean_temp_files(tmp_path) == 1
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------ hashes and manifests

def test_hash_inputs_covers_folders_and_ignores_hidden_files(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "crimes.csv").write_text("a")
    (tmp_path / "d" / ".cache").write_text("x")
    (tmp_path / "pop.csv").write_text("b")
    h = store.hash_inputs([tmp_path / "d", tmp_path / "pop.csv"])
    assert [Path(k).name for k in h] == ["crimes.csv", "pop.csv"]
    (tmp_path / "d" / "crimes.csv").write_text("changed")
    assert store.hash_inputs([tmp_path / "d"]) != {k: v for k, v in h.items() if "crimes" in k}
    with pytest.raises(FileNotFoundError):
        store.hash_inputs([tmp_path / "missing.csv"])


def test_up_to_date_needs_same_fingerprint_and_intact_outputs(tmp_path):
    (tmp_path / "r.html").write_text("<html/>")
    fp = {"params": {"kommunkod": "0114"}, "data": {"/d/crimes.csv": "abc"}}
    files = {"r.html": store.file_sha256(tmp_path / "r.html")}
    store.write_manifest(tmp_path / "r.manifest.json",
                         {"status": "ok", "fingerprint": fp, "files": files})
    m = store.read_manifest(tmp_path / "r.manifest.json")
    assert store.is_up_to_date(m, fingerprint=fp, out_dir=tmp_path)
    changed_data = {**fp, "data": {"/d/crimes.csv": "abd"}}
    assert not store.is_up_to_date(m, fingerprint=changed_data, out_dir=tmp_path)
    as_number = {**fp, "params": {"kommunkod": 114}}
    assert not store.is_up_to_date(m, fingerprint=as_number, out_dir=tmp_path)
    assert not store.is_up_to_date({**m, "status": "failed"}, fingerprint=fp, out_dir=tmp_path)
    (tmp_path / "r.html").write_text("<html>edited</html>")
    assert not store.is_up_to_date(m, fingerprint=fp, out_dir=tmp_path)
    (tmp_path / "r.html").unlink()
    assert not store.is_up_to_date(m, fingerprint=fp, out_dir=tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    assert store.read_manifest(tmp_path / "bad.json") is None
    assert store.read_manifest(tmp_path / "none.json") is None


# ---------------------------------------------------------------------------- shared artifacts

def _compute_slowly(cache_dir, data, log):
    def compute():
        with open(log, "a") as fh:
            fh.write("computed\n")
        time.sleep(0.5)
        return {"funnel": [1, 2, 3]}
    return cache.shared_artifact("funnel", compute, cache_dir=cache_dir, data_files=[data])


def test_shared_artifact_is_computed_once_by_concurrent_reports(tmp_path):
    data = tmp_path / "crimes.csv"
    data.write_text("kommunkod,count\n0114,3\n")
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_compute_slowly, [(tmp_path / "cache", data, log)] * 4)
    assert results == [{"funnel": [1, 2, 3]}] * 4
    assert log.read_text().count("computed") == 1
    # new data, new artifact
    data.write_text("kommunkod,count\n0114,4\n")
    _compute_slowly(tmp_path / "cache", data, log)
    assert log.read_text().count("computed") == 2
    # without a cache folder (a notebook run by hand) it is just computed
    assert cache.shared_artifact("x", lambda: 5, cache_dir=None) == 5


# ---------------------------------------------------------------------------- notebook checks

def test_load_notebook_from_jupytext_and_declared_parameters(tmp_path):
    nb = nbmod.load_notebook(FIXTURE)
    assert nb.metadata.kernelspec.name == "python3"
    p = tmp_path / "n.ipynb"
    nbformat.write(nb, p)
    declared = nbmod.declared_parameters(p)
    assert declared["kommunkod"] == {"default": "0114", "type": "str",
                                     "help": "kommunens kod, always a string"}
    assert declared["scale"]["type"] == "float"
    assert declared["shared_cache_dir"]["type"] == "NoneType"
    assert nbmod.declared_parameters(FIXTURE) == declared  # straight from the .py file
    assert {"analysis.report.figures", "pandas", "matplotlib.pyplot"} <= set(nbmod.imported_modules(nb))


def test_two_parameter_cells_are_an_error(tmp_path):
    src = "# %% tags=[\"parameters\"]\na = 1\n\n# %% tags=[\"parameters\"]\nb = 2\n"
    (tmp_path / "two.py").write_text(src)
    with pytest.raises(BatchParameterError, match="2 cells are tagged"):
        nbmod.load_notebook(tmp_path / "two.py")


def test_unknown_and_mistyped_parameters_are_errors():
    decl = {"kommunkod": {"default": "0114", "type": "str"}, "year": {"default": 2024,
            "type": "int"}, "share": {"default": 0.5, "type": "float"},
            "flag": {"default": True, "type": "bool"}, "items": {"default": [], "type": "list"},
            "data_dir": {"default": None, "type": "NoneType"}}
    nbmod.check_parameters(decl, [{"kommunkod": "0114", "year": 2025, "share": 1,
                                   "flag": False, "items": ["a"], "data_dir": "/x"}])
    bad = [{"kommunkod": 114}, {"year": "2024"}, {"year": 2024.5}, {"flag": 1},
           {"items": "a"}, {"kommunkd": "0114"}, {"typo_without_match": 1}]
    with pytest.raises(BatchParameterError) as err:
        nbmod.check_parameters(decl, bad, names=[str(i) for i in range(len(bad))])
    text = str(err.value)
    assert text.startswith("7 parameter problems")
    assert "must be a string like '0114', got 114" in text
    assert "did you mean 'kommunkod'" in text
    assert "'typo_without_match'" in text
    with pytest.raises(BatchParameterError, match="must be a dict"):
        nbmod.check_parameters(decl, ["0114"])


def test_cli_values_are_coerced_to_the_declared_type():
    assert nbmod.coerce_parameter("0114", {"type": "str"}) == "0114"
    assert nbmod.coerce_parameter("2024", {"type": "int"}) == 2024
    assert nbmod.coerce_parameter("0.5", {"type": "float"}) == 0.5
    assert nbmod.coerce_parameter("nej", {"type": "bool"}) is False
    assert nbmod.coerce_parameter("a, b", {"type": "list"}) == ["a", "b"]
    with pytest.raises(ValueError):
        nbmod.coerce_parameter("kanske", {"type": "bool"})


# --------------------------------------------------------------------------------- rendering

def _png() -> str:
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _executed(extra_outputs=()):
    table = pd.DataFrame({"Brottstyp": ["Bilbrott", "Cykelstöld"],
                          "Per 100 000": ["310", "1\u00a0235"]})
    cells = [v4.new_markdown_cell("# Lägesbild Storfors\n\nText om **kartläggning**."),
             v4.new_markdown_cell("## Omfattning"),
             v4.new_code_cell("table", execution_count=1, outputs=[
                 v4.new_output("execute_result", execution_count=1, data={
                     "text/html": table.to_html(), "text/plain": str(table)})]),
             v4.new_markdown_cell("### Figur"),
             v4.new_code_cell("fig", execution_count=2, outputs=[
                 v4.new_output("display_data", data={"image/png": _png(),
                                                     "text/plain": "<Figure size 2x1>"},
                               metadata={"image/png": {"width": 300, "alt": "Anmälda brott"}}),
                 *extra_outputs])]
    return v4.new_notebook(cells=cells)


def test_render_outputs_keeps_headings_tables_and_figures(tmp_path):
    res = render.render_outputs(_executed(), html=tmp_path / "r.html", docx=tmp_path / "r.docx",
                                figures_dir=tmp_path / "fig")
    html = res["html"].read_text()
    assert "<script" not in html and "https://" not in html.split("<body")[1]
    assert "data:image/png;base64," in html and 'alt="Anmälda brott"' in html
    assert "<title>Lägesbild Storfors</title>" in html and 'lang="sv"' in html
    assert ">table<" not in html  # code is hidden
    d = docx.Document(res["docx"])
    styles = {(p.style.name, p.text) for p in d.paragraphs}
    assert ("Heading 1", "Lägesbild Storfors") in styles
    assert ("Heading 2", "Omfattning") in styles
    assert len(d.tables) == 1
    cells = [[c.text for c in row.cells] for row in d.tables[0].rows]
    assert ["1", "Cykelstöld", "1\u00a0235"] in cells
    assert len(d.inline_shapes) == 1
    assert [p.name for p in res["png"]] == ["figur_01.png"]
    assert res["png"][0].read_bytes().startswith(b"\x89PNG")


def test_a_figure_rendered_as_text_fails_before_any_file_is_written(tmp_path):
    nb = _executed()
    nb.cells[4].outputs = [v4.new_output("display_data",
                                         data={"text/plain": "<Figure size 640x480 with 1 Axes>"})]
    with pytest.raises(render.RenderError, match=r"cell \[2\]: a figure was rendered as text"):
        render.render_outputs(nb, html=tmp_path / "r.html", figures_dir=tmp_path / "f")
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "f").exists()


def test_image_that_is_not_a_png_is_refused(tmp_path):
    nb = _executed()
    nb.cells[4].outputs[0].data["image/png"] = base64.b64encode(b"<svg/>").decode()
    with pytest.raises(render.RenderError, match="not a PNG"):
        render.render_outputs(nb, figures_dir=tmp_path)


def test_old_figures_are_removed_when_a_report_has_fewer(tmp_path):
    (tmp_path / "figur_07.png").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("keep")
    render.render_outputs(_executed(), figures_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figur_01.png", "notes.txt"]


def test_pandoc_2_is_refused_because_it_drops_tables(tmp_path, monkeypatch):
    import pypandoc
    fake = tmp_path / "pandoc"
    fake.write_text("#!/bin/sh\necho 'pandoc 2.17.1.1'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pypandoc, "get_pandoc_path", lambda: str(fake))
    render.pandoc_path.cache_clear()
    try:
        with pytest.raises(render.RenderError, match="pandoc >= 3"):
            render.pandoc_path()
    finally:
        render.pandoc_path.cache_clear()
    monkeypatch.undo()
    assert render.pandoc_path()  # the wheel's pandoc 3 is used


def test_old_pickled_caches_are_removed_and_the_new_cache_is_private_and_elsewhere(tmp_path):
    import stat as st

    from analysis.cache import batch_cache_folder

    work = tmp_path / "reports" / ".lagesbild"
    (work / "cache").mkdir(parents=True)
    (work / "cache" / "dataset-1e73f154a9295227aa3a.pkl").write_bytes(b"microdata")
    folder, owned = batch_cache_folder(None, work)
    try:
        assert not (work / "cache").exists()  # survey microdata of older versions: gone
        assert owned and tmp_path / "reports" not in folder.parents
        assert st.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        folder.rmdir()
    given, owned = batch_cache_folder(tmp_path / "mine", work)
    assert not owned and st.S_IMODE(given.stat().st_mode) == 0o700


def test_caches_of_killed_batches_are_swept_but_never_a_live_or_new_one(tmp_path):
    from analysis.cache import sweep_stale_caches
    from analysis.store import directory_lock

    old = time.time() - 7200
    killed, live, new = (tmp_path / f"lagesbild-cache-{n}" for n in ("killed", "live", "new"))
    for folder in (killed, live, new):
        folder.mkdir(mode=0o700)
        (folder / "national-1.json").write_text("{}")
    for folder in (killed, live):
        os.utime(folder, (old, old))
    with directory_lock(live / ".in-use.lock"):
        os.utime(live, (old, old))
        assert sweep_stale_caches(tmp_path) == 1
    assert not killed.exists() and live.exists() and new.exists()
