"""Hostile data files rendered into real drafts: nothing active, nothing leaked, nothing lost.

Every free-text field the kommun supplies (measure name, focus area, area, indicator and
description; the item catalogue's question and indicator name; survey and margin area
names) carries script, event-handler, ``javascript:``, local-file and remote-URL payloads
(loopback only). Storfors (1760) is rendered from a copy of the full sample with those
payloads, a planned measure and an old one, through the lägesbild and one evaluation draft.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import docx
import pandas as pd
import pytest

from analysis.batch import run_batch
from analysis.batch.guard import RespondentIds, scan_folder

from .hostile import active_content, combined, docx_embedded, loopback_server, sha

ROOT = Path(__file__).resolve().parents[2]
CODE = "1760"
AREAS = {"Kyrksten": "A", "Lungsund och Bjurtjärn": "B"}  # areas renamed to payloads


def _hostile_copy(full_sample: Path, folder: Path, port: int) -> Path:
    data = folder / "data"
    shutil.copytree(full_sample, data)
    renamed = {old: combined(port, f"-område-{tag}") for old, tag in AREAS.items()}
    for name in ("survey.csv", "margins.csv"):
        frame = pd.read_csv(data / name, dtype=str, keep_default_na=False)
        mine = frame["kommunkod"] == CODE
        frame.loc[mine, "area"] = frame.loc[mine, "area"].replace(renamed)
        if "stratum" in frame:  # strata keep their plain names: only the label is hostile
            pass
        frame.to_csv(data / name, index=False)
    items = pd.read_csv(data / "items.csv", dtype=str, keep_default_na=False)
    items["question"] = [combined(port, f"-fråga-{i}") for i in range(len(items))]
    items["indicator"] = [combined(port, f"-indikator-{i}") for i in range(len(items))]
    items.to_csv(data / "items.csv", index=False)
    measures = pd.read_csv(data / "measures.csv", dtype=str, keep_default_na=False)
    mine = measures["kommunkod"] == CODE
    for field in ("name", "focus_area", "indicator", "description"):
        measures.loc[mine, field] = [combined(port, f"-{field}-{i}") for i in range(mine.sum())]
    measures.loc[mine & (measures["area"] != ""), "area"] = renamed["Kyrksten"]
    extra = pd.DataFrame([
        {"measure_id": "M1760-P1", "kommunkod": CODE, "name": combined(port, "-planerad"),
         "focus_area": combined(port, "-fokus"), "start": "2099-09-01", "end": "",
         "target_crime_types": "Misshandel (inkl. grov)", "area": "", "indicator": "",
         "description": ""},
        {"measure_id": "M1760-G1", "kommunkod": CODE, "name": combined(port, "-gammal"),
         "focus_area": "Trygghet", "start": "2001-03-01", "end": "2002-01-01",
         "target_crime_types": "Misshandel (inkl. grov)", "area": "", "indicator": "",
         "description": ""}])
    pd.concat([measures, extra], ignore_index=True).to_csv(data / "measures.csv", index=False)
    return data


@pytest.fixture(scope="module")
def hostile(full_sample, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with loopback_server() as (port, requests):
        data = _hostile_copy(full_sample, folder, port)
        out = folder / "reports"
        common = dict(out_dir=out, jobs=2, data_files=[data], progress=False, cwd=ROOT)
        lages = run_batch(ROOT / "notebooks" / "lagesbild.py",
                          [{"kommunkod": CODE, "data_dir": str(data)}], **common)
        evals = run_batch(ROOT / "notebooks" / "utvardering.py",
                          [{"measure_id": "M1760-01", "data_dir": str(data)}],
                          name_key="measure_id", **{**common, "out_dir": out / "utvardering"})
    return {"data": data, "out": out, "lages": lages, "evals": evals, "requests": requests,
            "port": port}


def _drafts(hostile):
    out = hostile["out"]
    return [(out / f"lagesbild_{CODE}.html", out / f"lagesbild_{CODE}.docx",
             out / f"lagesbild_{CODE}_figurer"),
            (out / "utvardering" / "utvardering_M1760-01.html",
             out / "utvardering" / "utvardering_M1760-01.docx",
             out / "utvardering" / "utvardering_M1760-01_figurer")]


@pytest.mark.slow
def test_every_draft_is_complete_despite_hostile_and_unevaluable_measures(hostile):
    assert hostile["lages"].ok, hostile["lages"].summary()
    assert hostile["evals"].ok, hostile["evals"].summary()
    nb = json.loads((hostile["out"] / f"lagesbild_{CODE}.ipynb").read_text(encoding="utf-8"))
    md = "\n".join("".join(o.get("data", {}).get("text/markdown", ""))
                   for c in nb["cells"] for o in c.get("outputs", []))
    rows = md.splitlines()
    assert any("X-planerad" in r and "startar efter sista månaden i data" in r for r in rows)
    assert any("X-gammal" in r and "startar före första månaden i data" in r for r in rows)
    # the kommun's own measures are still evaluated
    assert any("X-name-0" in r and "kan inte bedömas" not in r for r in rows
               if "Kvot" not in r and r.count("|") > 4)
    html = (hostile["out"] / f"lagesbild_{CODE}.html").read_text(encoding="utf-8")
    for heading in ("Sammanfattning", "Trygghet och oro", "Åtgärder och uppföljning",
                    "Källor och begränsningar"):
        assert heading in html


@pytest.mark.slow
def test_nothing_active_in_the_html_drafts(hostile):
    for html_path, _, _ in _drafts(hostile):
        html = html_path.read_text(encoding="utf-8")
        found = active_content(html)
        assert found.scripts == 0, html_path.name  # the template has no script of its own
        assert found.handlers == [], (html_path.name, found.handlers[:5])
        assert found.bad_urls == [], (html_path.name, found.bad_urls[:5])
        assert found.elements == [], (html_path.name, found.elements[:5])
        assert len(found.csp) == 1 and "script-src 'none'" in found.csp[0]
        assert "&lt;script&gt;" in html  # the payload is shown as text


@pytest.mark.slow
def test_docx_holds_only_the_projects_figures_and_no_active_link(hostile):
    for _, docx_path, figures in _drafts(hostile):
        media, external = docx_embedded(docx_path)
        own = {sha(p.read_bytes()) for p in figures.glob("*.png")}
        assert media and {sha(m) for m in media} <= own, docx_path.name
        assert all(m.startswith(b"\x89PNG") for m in media)
        assert not [t for t in external if not re.match(r"^(https?|mailto):", t)], external
        d = docx.Document(str(docx_path))
        text = "\n".join([p.text for p in d.paragraphs]
                         + [c.text for t in d.tables for r in t.rows for c in r.cells])
        assert "X-name-0 <script>alert('s')</script>" in text  # shown as text


@pytest.mark.slow
def test_no_url_was_fetched_while_rendering(hostile):
    assert hostile["requests"] == []


@pytest.mark.slow
def test_no_respondent_id_and_no_cache_in_the_output_folder(hostile):
    ids = RespondentIds.from_data([hostile["data"]])
    assert ids and ids.unchecked == 0
    assert scan_folder(hostile["out"], ids) == {}
    files = [p for p in hostile["out"].rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".pkl", ".pickle")]
    assert not [p for p in files if "cache" in p.parts]
    assert not (hostile["out"] / ".lagesbild" / "cache").exists()
    # nor any respondent-level row: no file holds a survey row's item answers next to an id
    survey = pd.read_csv(hostile["data"] / "survey.csv", dtype=str, nrows=5)
    for p in files:
        if p.suffix in (".html", ".ipynb", ".json", ".md"):
            assert survey["respondent_id"].iloc[0] not in p.read_text(encoding="utf-8",
                                                                     errors="replace")


@pytest.mark.slow
def test_provenance_has_no_machine_path(hostile):
    for html_path, docx_path, _ in _drafts(hostile)[:1]:
        html = html_path.read_text(encoding="utf-8")
        assert str(hostile["data"]) not in html
        assert str(hostile["data"].parent) not in html
        text = "\n".join(c.text for t in docx.Document(str(docx_path)).tables
                         for r in t.rows for c in r.cells)
        assert str(hostile["data"]) not in text
