"""Files recognised by content; spreadsheet habits handled and said; no traceback for any file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.errors import DataError
from analysis.io import check_file
from analysis.io.readers import read_export
from analysis.io.recognise import recognise

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "io"
REAL = FIX / "real_layouts"


def _write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


@pytest.mark.parametrize("name,fmt,kind", [
    ("real_layouts/scb_v2_jsonstat2_TAB638_norrbotten_2025.json", "scb-json-stat2", "population"),
    ("real_layouts/scb_v1_jsonstat1_kommun_kon_2025.json", "scb-json-stat1", "population"),
    ("real_layouts/scb_pxweb_json_norrbotten_2025.json", "scb-pxweb-json", "population"),
    ("real_layouts/bra_statistikdatabas_manad_norrbotten_2026-08.csv", "bra-long", None),
    ("scb_be0101_folkmangd.csv", "scb-pxweb-csv", "population"),
    ("kolada_stockholm_2025.json", "kolada-json", "population"),
    ("bra_export_yearly.tsv", "bra-export", None),
    ("bra_kommun_2024_prel.csv", "bra-kommun-csv", "crimes_annual"),
    ("p3_halland_2010.html", "bra-ptable", None),
    ("margins_storfors.csv", "tidy-csv", "margins"),
    ("survey_storfors_cp1252.csv", "tidy-csv", "survey"),
])
def test_formats_are_recognised_by_content(name, fmt, kind, tmp_path):
    src = FIX / name
    renamed = tmp_path / "download.txt"            # the name says nothing
    renamed.write_bytes(src.read_bytes())
    got = recognise(renamed)
    assert (got.format, got.kind) == (fmt, kind)


def test_check_reads_json_as_json_not_as_csv():
    # the issue: `check FILE --kind population` on a JSON file printed thousands of bogus row errors
    res = check_file(REAL / "scb_v2_jsonstat2_TAB638_norrbotten_2025.json", "population")
    assert res.ok, res.render()
    assert "population per year: 2025 108 928" in res.render()
    assert "SCB PxWeb JSON-stat 2.0" in res.render()
    bad = check_file(REAL / "scb_v2_jsonstat2_TAB638_BE0101N1_riket.json", "population")
    assert not bad.ok and len(bad.render().splitlines()) == 3     # two problems, said once each
    assert "Civilstand" in bad.render() and "no kommun rows" in bad.render()


def test_check_says_when_the_file_is_another_kind():
    res = check_file(REAL / "scb_pxweb_json_norrbotten_2025.json", "crimes")
    assert not res.ok and "holds population, not crimes" in res.render()


def test_empty_binary_and_unknown_files_never_traceback(tmp_path):
    cases = {
        "empty.csv": (b"", "the file is empty (0 bytes)"),
        "blank.csv": (b"\n\n  \n", "no known layout"),
        "rapport.csv": (b"%PDF-1.7\n...", "a PDF document"),
        "data.csv": (b"\x00\x01\x02garbage\x00" * 20, "binary file of unknown type"),
        "arkiv.csv": (b"PK\x03\x04" + b"\x00" * 40, "damaged ZIP/Excel"),
        "gammal.csv": (b"\xd0\xcf\x11\xe0" + b"\x00" * 40, "old Excel 97–2003 workbook"),
        "text.json": (b'{"foo": [1, 2]}', "JSON in no known layout"),
        "noise.csv": ("hej hopp\nvad är detta\n".encode(), "no known layout"),
    }
    for name, (data, message) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        res = check_file(p, "crimes")
        assert not res.ok and message in res.render(), (name, res.render())
        assert "Traceback" not in res.render()


def test_xlsx_renamed_to_csv_is_read_as_excel(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["kommunkod", "year", "population"])
    ws.append([180, 2025, 999239])            # Excel turned the code into a number
    ws.append(["1760", 2025, "3 777"])
    p = tmp_path / "befolkning.csv"          # not an encoding problem: a workbook
    wb.save(p)
    assert recognise(p).format == "tidy-excel"
    res = check_file(p, "population")
    assert res.ok, res.render()
    assert "converted kommunkod: '180' → '0180'" in res.render()
    assert res.table["population"].tolist() == [999239, 3777]


def test_mixed_line_endings(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_bytes(b"kommunkod,year,population\r\n1760,2025,3777\n0180,2025,999239\r0114,2025,50000\r\n")
    res = check_file(p, "population")
    assert res.ok and res.table["kommunkod"].tolist() == ["1760", "0180", "0114"]
    assert "line endings" in res.render()


def test_spreadsheet_habits_in_tidy_files(tmp_path):
    crimes = _write(tmp_path, "crimes.csv", "kommunkod,period,crime_type,count,status\n"
                    "180,2025-01,Misshandel,3,Slutlig\n180,2025-02,misshandel inkl. grov,4,slutlig\n"
                    "180,2025-03,MISSHANDEL (INKL. GROV),5,prel.\n")
    res = check_file(crimes, "crimes")
    assert res.ok, res.render()
    t = res.table
    assert set(t["kommunkod"]) == {"0180"} and set(t["crime_type"]) == {"Misshandel (inkl. grov)"}
    assert t["status"].tolist() == ["slutlig", "slutlig", "preliminär"]
    text = res.render()
    assert "converted kommunkod: '180' → '0180' (3 rows; leading zero lost (Excel)" in text
    assert "converted crime_type: 'Misshandel' → 'Misshandel (inkl. grov)' (1 row" in text
    pop = _write(tmp_path, "population.csv", "kommunkod;year;population\n0180;2025;999\u00a0239\n"
                 "1760;2025;3 777\n")
    res = check_file(pop, "population")
    assert res.ok and res.table["population"].tolist() == [999239, 3777]
    margins = _write(tmp_path, "margins.csv", "kommunkod,year,area,sex,age_group,population\n"
                     "1760,2025,,Kvinna,16-29,300\n1760,2025,,Man,16–29 år,310\n1760,2025,,K,30-44,280\n"
                     "1760,2025,,M,85+,90\n")
    res = check_file(margins, "margins")
    assert res.ok, res.render()
    assert res.table["sex"].tolist() == ["kvinna", "man", "kvinna", "man"]
    assert res.table["age_group"].tolist() == ["16-29", "16-29", "30-44", "85+"]


def test_codes_are_padded_only_where_that_is_the_only_reading(tmp_path):
    p = _write(tmp_path, "population.csv", "kommunkod,year,population\n218,2025,100\n")
    res = check_file(p, "population")                      # '0218' is no kommun: an error
    assert not res.ok and "'218'" in res.render() and "'0218' is no kommun either" in res.render()


def test_unknown_crime_types_are_grouped_with_a_suggestion(tmp_path):
    rows = "".join(f"2181,2025-{m:02d},Misshandlig,{m}\n" for m in range(1, 13))
    rows += "".join(f"2181,2025-{m:02d},Cykelstöld,1\n" for m in range(1, 13))
    p = _write(tmp_path, "crimes.csv", "kommunkod,period,crime_type,count\n" + rows)
    res = check_file(p, "crimes")
    text = res.render()
    # the issue: 24 lines for 2 labels, cut at 57 characters
    assert text.splitlines()[0].startswith("NOT OK: 12 problems")
    assert "rows 2–13, column 'crime_type': not a Brå crime type; did you mean " \
           "'Misshandel (inkl. grov)'? (got 'Misshandlig')" in text
    assert len(text.splitlines()) == 2


def test_long_values_are_shown_in_full(tmp_path):
    label = "Brott mot brottsbalken, 16-20 kap. Brott mot staten, 17 kap. Brott mot allmän verksamhet"
    p = _write(tmp_path, "crimes.csv", f'kommunkod,period,crime_type,count\n2181,2025-01,"{label}",1\n')
    assert f"(got '{label}')" in check_file(p, "crimes").render()


def test_kind_given_by_the_user_breaks_ties(tmp_path):
    p = _write(tmp_path, "x.csv", "kommunkod,year,population\n1760,2025,3777\n")
    assert recognise(p).kind == "population"
    assert read_export(p, kind="population").ok
    bad = read_export(p, kind="margins")
    assert not bad.ok and "required column missing" in " ".join(bad.problems)


def test_json_kolada_population(tmp_path):
    rf = read_export(FIX / "kolada_stockholm_2025.json")
    assert rf.ok and rf.kind == "population" and rf.frame["population"].tolist() == [999239]
    js = json.loads((FIX / "kolada_stockholm_2025.json").read_text(encoding="utf-8"))
    js["values"][0]["kpi"] = "N07403"
    p = tmp_path / "k.json"
    p.write_text(json.dumps(js), encoding="utf-8")
    bad = read_export(p)
    assert not bad.ok and "not population" in bad.problems[0]
