"""The respondent-id guard: ids found by value in every kind of output file."""

from __future__ import annotations

import base64
import io
import json
import stat
import zipfile

import nbformat
import pytest
from matplotlib.figure import Figure

from analysis.batch import run_batch
from analysis.batch.guard import RespondentIds, png_text, scan_file, scan_folder, survey_files

IDS = ["R00017", "R00018", "KX-2024-000991"]


@pytest.fixture()
def ids():
    return RespondentIds.from_values(IDS)


def _png(title: str) -> bytes:
    fig = Figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Title": title})
    return buf.getvalue()


def test_ids_are_found_as_words_and_only_as_words(ids):
    assert ids.find("['R00017', 'R00018']") == 2  # a printed list, no column name
    assert ids.find("svarande KX-2024-000991 i Kyrksten") == 1  # an id of several words
    assert ids.find("R000170 XR00017 R00017x") == 0
    assert ids.find("1 234 svarande 2024") == 0
    assert RespondentIds.from_values(["17", "2024"]).unchecked == 2  # short numbers: not checkable


def test_every_occurrence_counts(ids):
    """Distinct words are hashed once; the count is still one per occurrence, as a scan of
    every word (sequence) in turn gives."""
    import random
    import re

    rng = random.Random(3)
    vocabulary = ["R00017", "R00018", "KX-2024-000991", "KX", "2024", "000991", "svarande",
                  "i", "Kyrksten", "R000170", "1 234"]
    plain = {"R00017", "R00018", "KX 2024 000991"}
    for _ in range(200):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 60)))
        words = re.findall(r"\w+", text)
        expected = sum(" ".join(words[i:i + n]) in plain
                       for n in (1, 2, 3) for i in range(len(words) - n + 1))
        assert ids.find(text) == expected, text
    assert ids.find("R00017 " * 5 + "KX-2024-000991 " * 3) == 8


def test_every_kind_of_output_file_is_checked(ids, tmp_path):
    (tmp_path / "a.html").write_text('<td>R00017</td><img src="data:image/png;base64,'
                                     + base64.b64encode(_png("plain")).decode() + '">')
    (tmp_path / "b.html").write_text('<img src="data:image/png;base64,'
                                     + base64.b64encode(_png("R00018")).decode() + '">')
    (tmp_path / "c.png").write_bytes(_png("svarande R00017"))
    (tmp_path / "d.png").write_bytes(_png("Figur 1"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="['R00017']")])])
    nbformat.write(nb, tmp_path / "e.ipynb")
    with zipfile.ZipFile(tmp_path / "f.docx", "w") as z:
        z.writestr("word/document.xml", "<w:p><w:r><w:t>R000</w:t></w:r><w:r><w:t>17</w:t>"
                                        "</w:r></w:p>")
    (tmp_path / "g.manifest.json").write_text(json.dumps({"error": "duplicate id R00018"}))
    (tmp_path / "index.html").write_text("<p>inga id</p>")
    assert {p.name for p in scan_folder(tmp_path, ids)} == {
        "a.html", "b.html", "c.png", "e.ipynb", "f.docx", "g.manifest.json"}
    assert png_text(_png("svarande R00017")).count("R00017") == 1
    assert scan_file(tmp_path / "d.png", ids) == 0


def test_the_guard_file_holds_no_id(ids, tmp_path):
    path = ids.save(tmp_path / "guard.json")
    text = path.read_text()
    assert not any(i in text for i in IDS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert RespondentIds.load(path).find("R00017") == 1


def test_redaction_of_error_texts(ids):
    assert ids.redact("duplicate respondent R00018 in row 3") == \
        "duplicate respondent [id] in row 3"


def test_a_report_printing_id_values_fails_and_keeps_no_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "survey.csv").write_text("respondent_id,kommunkod,area\nR00017,1760,A\n"
                                     "R00018,1760,B\n", encoding="utf-8")
    (data / "crimes.csv").write_text("kommunkod,count\n1760,3\n", encoding="utf-8")
    assert survey_files([data]) == [data / "survey.csv"]
    source = tmp_path / "leak.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("kommunkod = '1760'\nleak = False",
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("# Rapport"),
        nbformat.v4.new_code_cell("import pandas as pd\n"
                                  "ids = pd.read_csv('data/survey.csv')['respondent_id']\n"
                                  "print(len(ids), 'svarande')\n"
                                  "if leak:\n    print(ids.tolist())"),
        nbformat.v4.new_code_cell("if kommunkod == '0114':\n"
                                  "    raise ValueError('bad row for ' + ids.iloc[0])")]), source)
    out = tmp_path / "out"
    result = run_batch(source, [{"kommunkod": "1760"}, {"kommunkod": "2181", "leak": True},
                                {"kommunkod": "0114"}],
                       out_dir=out, cwd=tmp_path, data_files=[data], jobs=1,
                       formats=("html", "docx"), progress=False)
    status = {i.name: i for i in result.items}
    assert status["1760"].status == "ok", result.summary()
    assert status["2181"].status == "failed"
    assert "respondent ids" in status["2181"].error
    assert not list(out.glob("leak_2181.*[!n]"))  # only the manifest is kept
    assert [p.name for p in out.glob("leak_2181*")] == ["leak_2181.manifest.json"]
    # an error message naming an id is shown with the id blanked out
    assert status["0114"].status == "failed" and "[id]" in status["0114"].error
    assert "R00017" not in result.summary()
    assert scan_folder(out, RespondentIds.from_values(IDS)) == {}
    assert result.leaks == ()
