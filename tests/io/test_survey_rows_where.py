"""One län's respondents cut out of a national survey file before parsing (issue 16).

``read_survey(only_kommuner=...)`` parses the kept kommuner's lines and one column of the rest
(:func:`analysis.io.delimited.rows_where`). Whatever the file, the result must be the one the
whole-file read gives: the same frame, attrs and line numbers, or the same problems.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io import read_items, read_margins, read_survey
from analysis.io import survey_files

FIX = Path(__file__).parent.parent / "fixtures" / "io"
ITEMS = read_items(FIX / "items_storfors.csv")
MARGINS = read_margins(FIX / "margins_storfors.csv")


def _lines() -> list[str]:
    return (FIX / "survey_storfors_cp1252.csv").read_bytes().decode("cp1252").splitlines()


def _national(other: str = "0114") -> list[str]:
    """Storfors' respondents with another kommun's between them (as in a national file)."""
    head, *rows = _lines()
    out = [head]
    for i, row in enumerate(rows):
        out.append(row)
        out.append(f"X{i:03d};{other};2025;Centrum;man;25-44;Centrum;;3,5;1;2;1")
    return out


def _outcome(path: Path, only, monkeypatch, *, cut: bool):
    with monkeypatch.context() as m:
        if not cut:  # the whole-file read, as before
            m.setattr(survey_files, "rows_where", lambda *a, **k: None)
        try:
            return read_survey(path, items=ITEMS, margins=MARGINS, only_kommuner=only)
        except DataError as err:
            return [str(p) for p in err.problems]


def _same_either_way(path: Path, monkeypatch, only=frozenset({"1760"})):
    cut = _outcome(path, only, monkeypatch, cut=True)
    whole = _outcome(path, only, monkeypatch, cut=False)
    if isinstance(whole, list):
        assert cut == whole
        return whole
    pd.testing.assert_frame_equal(cut, whole, check_exact=True)
    assert list(cut.attrs) == list(whole.attrs)
    for k in whole.attrs:
        assert cut.attrs[k] == whole.attrs[k], k
    return whole


def _write(tmp_path: Path, lines: list[str], *, encoding="cp1252", end="\n") -> Path:
    p = tmp_path / "survey.csv"
    p.write_bytes(("\n".join(lines) + end).encode(encoding))
    return p


def test_a_national_file_gives_the_kommuns_respondents_with_their_lines(tmp_path, monkeypatch):
    path = _write(tmp_path, _national())
    assert survey_files.rows_where(path.read_bytes(), encoding="cp1252", delimiter=";",
                                   column="kommunkod", keep=lambda v: v == "1760") is not None
    df = _same_either_way(path, monkeypatch)
    assert set(df["kommunkod"]) == {"1760"} and len(df) == 18
    assert df.attrs["lines"].tolist() == list(range(2, 38, 2))  # every other line of the file


@pytest.mark.parametrize("variant", ["utf8-bom-comma", "blank-lines-no-final-newline",
                                     "lost-zero-kept", "quoted-field", "extra-field-elsewhere",
                                     "bad-byte-elsewhere", "mojibake-elsewhere",
                                     "bad-answer-kept", "missing-kommunkod-column",
                                     "extra-field-far", "mojibake-far", "bad-byte-far",
                                     "quoted-field-far"])
def test_every_kind_of_file_reads_as_the_whole_file_reads(tmp_path, monkeypatch, variant):
    lines, encoding, end, only = _national(), "cp1252", "\n", frozenset({"1760"})
    far = variant.endswith("-far")
    if far:  # past the first 64 KB, which the reader checks on its own
        lines += [f"Y{i:05d};0114;2025;Centrum;kvinna;45-64;Centrum;;2,5;1;1;2"
                  for i in range(2000)]
        variant = variant.replace("-far", "-elsewhere").replace("quoted-field-elsewhere",
                                                                "quoted-field")
    if variant == "utf8-bom-comma":
        lines = [re.sub(r";(\d+),(\d+);", r";\1.\2;", ln).replace(";", ",") for ln in lines]
        lines[0] = "\ufeff" + lines[0]
        encoding = "utf-8"
    elif variant == "blank-lines-no-final-newline":
        lines.insert(5, "")
        lines.insert(9, ";;;;;;;;;;;")
        end = ""
    elif variant == "lost-zero-kept":
        lines = [ln.replace(";0114;", ";114;") for ln in lines]
        only = frozenset({"0114"})
    elif variant == "quoted-field":
        lines[-1] = lines[-1].replace("Centrum;", '"Centrum";', 1)
    elif variant == "extra-field-elsewhere":
        lines[-1] = lines[-1] + ";1"
    elif variant == "bad-byte-elsewhere":
        path = _write(tmp_path, lines)
        path.write_bytes(path.read_bytes().replace(lines[-1][:10].encode(),
                                                   lines[-1][:7].encode() + b"\x81", 1))
        result = _same_either_way(path, monkeypatch)
        # near the start the reader takes the file for latin-1; far down the byte is reported
        assert isinstance(result, list) == far
        return
    elif variant == "mojibake-elsewhere":
        lines[-1] = lines[-1].replace("Centrum;", "VÃ¤ster;", 1)
        encoding = "utf-8"
    elif variant == "bad-answer-kept":
        lines[3] = lines[3][:-1] + "7"
    elif variant == "missing-kommunkod-column":
        lines = [ln.replace("kommunkod", "kommun", 1) for ln in lines]
    path = _write(tmp_path, lines, encoding=encoding, end=end)
    result = _same_either_way(path, monkeypatch, only)
    if variant in ("extra-field-elsewhere", "bad-answer-kept", "mojibake-elsewhere",
                   "missing-kommunkod-column"):
        assert isinstance(result, list) and result  # problems, the same either way
    elif variant not in ("quoted-field", "lost-zero-kept"):  # (0114 has no margins here)
        assert not isinstance(result, list) and len(result) == 18
    if variant == "lost-zero-kept":  # Excel's 114 is 0114: its lines are the ones cut out
        cut = survey_files.rows_where(path.read_bytes(), encoding="cp1252", delimiter=";",
                                      column="kommunkod",
                                      keep=lambda v: survey_files._kommun_code(v) in only)
        assert cut[1].tolist() == list(range(3, 39, 2))
