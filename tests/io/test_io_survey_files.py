"""Survey microdata in CSV (any common encoding/delimiter), Excel and SPSS; item and margin checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io import read_items, read_margins, read_survey

FIX = Path(__file__).parent.parent / "fixtures" / "io"
SURVEY = FIX / "survey_storfors_cp1252.csv"
ITEMS = FIX / "items_storfors.csv"
MARGINS = FIX / "margins_storfors.csv"


def _text() -> str:
    return SURVEY.read_bytes().decode("cp1252")


def _write(tmp_path: Path, text: str, *, name: str = "s.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _bad(tmp_path: Path, old: str, new: str, **kwargs) -> DataError:
    text = _text()
    assert old in text
    p = _write(tmp_path, text.replace(old, new, 1), name="bad.csv")
    with pytest.raises(DataError) as err:
        read_survey(p, **kwargs)
    return err.value


def test_swedish_excel_csv_fixture():
    df = read_survey(SURVEY, items=ITEMS, margins=MARGINS, kommunkod="1760")
    fmt = df.attrs["format"]
    assert fmt["encoding"] == "cp1252" and fmt["delimiter"] == ";" and fmt["decimal"] == ","
    assert any("cp1252" in n for n in fmt["notes"])
    assert len(df) == 18 and set(df["kommunkod"]) == {"1760"}
    assert set(df["area"]) == {"Storfors tätort", "Kyrksten", "Lungsund"}  # å, ä survive
    assert df.groupby("area")["design_weight"].first().to_dict() == {
        "Kyrksten": 14.5, "Lungsund": 21.25, "Storfors tätort": 9.75}
    assert str(df["otrygg_kvall"].dtype) == "Int64"
    assert df.attrs["items"] == ["otrygg_kvall", "oro_brottslighet", "utsatt_brott"]
    assert df.attrs["lines"].tolist() == list(range(2, 20))


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ";"), ("utf-8-sig", ";"), ("latin-1", ";"),
                                                ("cp1252", "\t"), ("utf-8", ",")])
def test_encodings_and_delimiters_give_the_same_frame(tmp_path, encoding, delimiter):
    ref = read_survey(SURVEY)
    text = _text()
    if delimiter == ",":
        text = text.replace(",", ".")  # comma files carry decimal points
    text = text.replace(";", delimiter)
    got = read_survey(_write(tmp_path, text, encoding=encoding))
    pd.testing.assert_frame_equal(got, ref, check_like=False)
    assert got.attrs["format"]["delimiter"] == delimiter
    assert got.attrs["format"]["encoding"] == {"utf-8-sig": "utf-8-sig", "utf-8": "utf-8",
                                               "latin-1": "cp1252", "cp1252": "cp1252"}[encoding]


def test_excel_rows_as_excel_numbers_them(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    ref = read_survey(SURVEY)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Svar"
    ws.append(["Trygghetsmätning Storfors 2025"])
    ws.append([])
    ws.append(list(ref.columns))
    for row in ref.astype(object).where(ref.notna(), None).itertuples(index=False):
        ws.append([v if not isinstance(v, (np.integer,)) else int(v) for v in row])
    ws.cell(row=9, column=9).value = 0          # design_weight of the 6th respondent
    ws.cell(row=10, column=12).value = 7        # utsatt_brott outside 1, 2, 9
    path = tmp_path / "enkat.xlsx"
    wb.save(path)
    with pytest.raises(DataError) as err:
        read_survey(path, items=ITEMS)
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(9, "design_weight"), (10, "utsatt_brott")}
    assert f"{path}, row 9, column 'design_weight'" in str(err.value)
    ws.cell(row=9, column=9).value = 9.75
    ws.cell(row=10, column=12).value = 2
    wb.save(path)
    df = read_survey(path, items=ITEMS)
    assert df.attrs["format"]["sheet"] == "Svar" and df.attrs["lines"].tolist()[0] == 4
    pd.testing.assert_frame_equal(df.drop(columns="utsatt_brott"), ref.drop(columns="utsatt_brott"))


def test_excel_lost_leading_zero_is_reported(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["respondent_id", "kommunkod", "year", "area", "sex", "age_group", "stratum", "psu",
               "design_weight"])
    ws.append(["a", 114, 2025, "C", "man", "25-44", "C", None, 3.0])   # typed as a number
    ws.append(["b", "0114", 2025, "C", "man", "25-44", "C", None, 3.0])
    p = tmp_path / "z.xlsx"
    wb.save(p)
    df = read_survey(p)  # the only reading of 114 is 0114: padded, and said
    assert df["kommunkod"].tolist() == ["0114", "0114"]
    assert {"column": "kommunkod", "from": "114", "to": "0114", "rows": 1} .items() <= \
        df.attrs["conversions"][0].items()
    ws.append(["c", 218, 2025, "C", "man", "25-44", "C", None, 3.0])  # '0218' is no kommun
    wb.save(p)
    with pytest.raises(DataError, match=r"row 4, column 'kommunkod'.*did a leading zero get lost\? '0218'"):
        read_survey(p)


def test_spss_value_labels_kept(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    ref = read_survey(SURVEY)
    sav = ref.copy()
    sav["sex"] = sav["sex"].map({"man": 1, "kvinna": 2}).astype(float)
    for c in ("otrygg_kvall", "oro_brottslighet", "utsatt_brott", "year"):
        sav[c] = sav[c].astype(float)
    sav["psu"] = sav["psu"].astype(object).where(sav["psu"].notna(), "")
    path = tmp_path / "enkat.sav"
    labels = {"sex": {1: "Man", 2: "Kvinna"}, "utsatt_brott": {1: "Ja", 2: "Nej", 9: "Vet ej"}}
    pyreadstat.write_sav(pd.DataFrame(sav), str(path), variable_value_labels=labels)
    df = read_survey(path, items=ITEMS)
    assert df.attrs["value_labels"]["utsatt_brott"] == {1: "Ja", 2: "Nej", 9: "Vet ej"}
    assert df.attrs["value_labels"]["sex"] == {1: "Man", 2: "Kvinna"}
    assert df["sex"].tolist() == ref["sex"].tolist()           # labels applied to the design column
    assert df["utsatt_brott"].tolist() == ref["utsatt_brott"].tolist()  # item codes stay codes
    assert df["design_weight"].tolist() == ref["design_weight"].tolist()
    renamed = tmp_path / "enkat_export.csv"              # the content decides, not the name
    renamed.write_bytes(path.read_bytes())
    from analysis.io import check_file
    res = check_file(renamed, "survey", items=ITEMS)
    assert res.ok and "SPSS survey file" in res.render(), res.render()
    # case numbers are the rows
    sav.loc[4, "design_weight"] = -1.0
    pyreadstat.write_sav(pd.DataFrame(sav), str(path), variable_value_labels=labels)
    with pytest.raises(DataError, match=r"enkat.sav, row 5, column 'design_weight'"):
        read_survey(path)


def test_items_outside_their_scale(tmp_path):
    err = _bad(tmp_path, "Kyrksten;;14,5;1;1;1", "Kyrksten;;14,5;7;2,5;ja", items=ITEMS)
    got = {(p.row, p.column, p.message) for p in err.problems}
    assert got == {(8, "otrygg_kvall", "answer outside the item's scale"),
                   (8, "oro_brottslighet", "answer is not a code"),  # '2,5' is no code
                   (8, "utsatt_brott", "answer is not a code")}
    assert "bad.csv, row 8, column 'otrygg_kvall'" in str(err)


def test_non_positive_and_missing_weights(tmp_path):
    text = _text()
    lines = text.split("\r\n")
    lines[2] = lines[2].replace(";9,75;", ";0;")
    lines[3] = lines[3].replace(";9,75;", ";;")
    lines[4] = lines[4].replace(";9,75;", ";-2,5;")
    p = _write(tmp_path, "\r\n".join(lines), name="w.csv")
    with pytest.raises(DataError) as err:
        read_survey(p)
    got = sorted((x.row, x.column, x.message) for x in err.value.problems)
    assert got == [(3, "design_weight", "value out of range"), (4, "design_weight", "missing value"),
                   (5, "design_weight", "value out of range")]


def test_respondents_outside_the_kommun(tmp_path):
    err = _bad(tmp_path, "S004;1760", "S004;2181", kommunkod="1760")
    p = next(x for x in err.problems if "outside the kommun" in x.message)
    assert (p.row, p.column, p.value) == (5, "kommunkod", "2181")
    assert f"{tmp_path / 'bad.csv'}, row 5, column 'kommunkod'" in str(err)


def test_area_not_in_margins(tmp_path):
    err = _bad(tmp_path, "S013;1760;2025;Lungsund;", "S013;1760;2025;Lugnsund;", margins=MARGINS)
    p = err.problems[0]
    assert (p.row, p.column, p.value) == (14, "area", "Lugnsund")
    assert "Kyrksten, Lungsund, Storfors tätort" in p.expected
    err = _bad(tmp_path, "S013;1760;2025", "S013;1760;2023", margins=MARGINS)
    assert any(x.row == 14 and "no margins for kommun 1760 in 2023" in x.message for x in err.problems)


def test_empty_strata(tmp_path):
    # a stratum with one respondent: its variance cannot be estimated
    err = _bad(tmp_path, "S001;1760;2025;Storfors tätort;kvinna;16-24;Storfors tätort",
               "S001;1760;2025;Storfors tätort;kvinna;16-24;Ensam")
    p = err.problems[0]
    assert (p.row, p.column, p.value) == (2, "stratum", "Ensam") and "only 1 respondent" in p.message
    # an area with population in the margins but nobody in the survey
    text = "\r\n".join(line for line in _text().split("\r\n") if "Lungsund" not in line)
    path = _write(tmp_path, text, name="utan_lungsund.csv")
    with pytest.raises(DataError) as e2:
        read_survey(path, margins=MARGINS)
    p = e2.value.problems[0]
    assert p.file == str(MARGINS) and p.row == 18 and p.column == "area" and p.value == "Lungsund"
    assert "empty stratum" in p.message
    # an empty stratum cell
    err = _bad(tmp_path, "S002;1760;2025;Storfors tätort;man;25-44;Storfors tätort",
               "S002;1760;2025;Storfors tätort;man;25-44;")
    assert any((x.row, x.column, x.message) == (3, "stratum", "missing value") for x in err.problems)


def test_decimal_comma_in_a_comma_separated_file(tmp_path):
    text = _text().replace(",", ".").replace(";", ",")
    lines = text.split("\r\n")
    lines[5] = lines[5].replace(",9.75,", ',"9,75",')
    p = _write(tmp_path, "\r\n".join(lines), name="c.csv")
    with pytest.raises(DataError) as err:
        read_survey(p)
    e = err.value.problems[0]
    assert (e.row, e.column, e.value) == (6, "design_weight", "9,75") and "decimal comma" in e.message


def test_wrong_encoding_and_wrong_delimiter(tmp_path):
    garbled = _text().encode("utf-8").decode("cp1252").encode("utf-8")  # UTF-8 opened as cp1252, saved
    p = tmp_path / "mojibake.csv"
    p.write_bytes(garbled)
    with pytest.raises(DataError) as err:
        read_survey(p)
    assert err.value.problems[0].row == 2 and "mojibake" in err.value.problems[0].message
    with pytest.raises(DataError) as err:
        read_survey(SURVEY, encoding="utf-8")
    assert err.value.problems[0].row == 2 and "not valid in utf-8" in err.value.problems[0].message
    with pytest.raises(DataError) as err:
        read_survey(SURVEY, delimiter=",")
    e = err.value.problems[0]
    assert e.row == 1 and "wrong delimiter" in e.message and e.column.startswith("respondent_id;")


def test_unknown_and_malformed_codes_and_other_design_problems(tmp_path):
    text = _text().replace("S003;1760", "S003;76", 1).replace("S005;1760", "S005;9999", 1) \
        .replace("S006;1760;2025;Storfors tätort;man", "S006;1760;2025;Storfors tätort;okänd", 1)
    p = _write(tmp_path, text, name="koder.csv")
    with pytest.raises(DataError) as err:
        read_survey(p)
    got = {(x.row, x.column) for x in err.value.problems}
    assert {(4, "kommunkod"), (6, "kommunkod"), (7, "sex")} <= got
    assert "(got '76')" in str(err.value)


def test_read_items_checks_scales(tmp_path):
    items = read_items(ITEMS)
    assert items.attrs["scales"]["utsatt_brott"] == {1: "Ja", 2: "Nej", 9: "Vet ej"}
    bad = ITEMS.read_text(encoding="utf-8").replace("1=Ja|2=Nej|9=Vet ej,1,", "1=Ja|2 Nej|9=Vet ej,1,") \
        .replace(",3|4,orolig", ",3|5,orolig")
    p = _write(tmp_path, bad, name="items.csv")
    with pytest.raises(DataError) as err:
        read_items(p)
    got = {(x.row, x.column) for x in err.value.problems}
    assert got == {(3, "indicator_values"), (4, "scale")}


def test_margins_reader():
    m = read_margins(MARGINS)
    assert len(m) == 24 and m["population"].sum() == 2428


def test_old_excel_format_is_refused_with_advice(tmp_path):
    p = tmp_path / "enkat.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError, match=r"enkat.xls: an old Excel \(.xls\) or OpenDocument workbook is not read: save the sheet as .xlsx"):
        read_survey(p)


def test_only_kommuner_keeps_their_rows_and_lines(tmp_path):
    # other kommuner's respondents (one with a broken weight) are dropped before any check; the
    # kept rows keep their lines in the file; a code Excel shortened counts as its padded form
    lines = _text().replace("S004;1760", "S004;2181", 1).replace("S005;1760", "S005;180", 1) \
        .split("\r\n")
    broken = lines[1].replace("S001;1760", "S999;2181", 1).replace(";9,75;", ";-1;", 1)
    p = _write(tmp_path, "\r\n".join([*lines[:3], broken, *lines[3:]]), encoding="cp1252")
    with pytest.raises(DataError, match="design_weight"):
        read_survey(p)
    df = read_survey(p, only_kommuner={"1760"})
    assert set(df["kommunkod"]) == {"1760"} and df.attrs["only_kommuner"] == ["1760"]
    assert len(df) == len(read_survey(SURVEY)) - 2
    assert list(df["respondent_id"][:4]) == ["S001", "S002", "S003", "S006"]
    assert list(df.attrs["lines"])[:4] == [2, 3, 5, 8]  # line 4 (S999), 6 and 7 left out
    with pytest.raises(DataError) as err:  # alone in its stratum: reported at its own line
        read_survey(p, only_kommuner={"0180"})
    assert {(x.row, x.value) for x in err.value.problems} >= {(7, "Storfors tätort")}


def test_missing_bands_many_respondents_give_the_rows_a_row_loop_finds():
    """_check_bands decides once per kommun × year × sex × age band; the rows are still every
    respondent of a cell the margins lack, in row order (computed here with a plain loop)."""
    from analysis.io.survey_files import check_survey_against
    rng = np.random.default_rng(5)
    n = 6000
    sv = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(n)],
                       "kommunkod": rng.choice(["1760", "1761"], size=n), "year": 2025, "area": "C",
                       "sex": rng.choice(["man", "kvinna"], size=n),
                       "age_group": rng.choice(["16-29", "30-64", "65+"], size=n)})
    m = pd.DataFrame([(k, 2025, "C", s, a, 100) for k in ("1760", "1761") for s in ("man", "kvinna")
                      for a in ("16-29", "30-64", "65+") if not (k == "1760" and s == "man" and a == "65+")
                      and not (k == "1761" and a == "16-29")],
                     columns=["kommunkod", "year", "area", "sex", "age_group", "population"])
    problems = check_survey_against(sv, margins=m)
    expected = [i + 2 for i, (k, s, a) in enumerate(zip(sv["kommunkod"], sv["sex"], sv["age_group"]))
                if (k == "1760" and s == "man" and a == "65+") or (k == "1761" and a == "16-29")]
    assert [p.row for p in problems] == expected
    assert problems[0].message.startswith("margins have no age band")
