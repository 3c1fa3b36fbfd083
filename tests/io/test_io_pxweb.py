"""SCB PxWeb in every JSON layout: real responses refused for the right reasons, kommun tables read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.errors import DataError
from analysis.io.pxweb import decode_pxweb_json, read_pxweb_population
from analysis.io.scb import read_scb_pxweb_jsonstat2

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "io" / "real_layouts"
POP_2025 = {"2580": 80304, "2582": 28624}


def _err(path) -> str:
    with pytest.raises(DataError) as err:
        read_pxweb_population(path)
    return str(err.value)


def test_real_v2_tab638_is_refused_with_both_reasons():
    # the issue: this real response came back as an empty population table, silently
    text = _err(REAL / "scb_v2_jsonstat2_TAB638_BE0101N1_riket.json")
    assert "dimension 'Civilstand' (civilstånd) is not at its total but at 'OG' (ogifta)" in text
    assert "no kommun rows: the file holds only '00' (Riket)" in text
    assert "scb_v2_jsonstat2_TAB638_BE0101N1_riket.json" in text


def test_real_v1_jsonstat1_is_understood_not_misread():
    # the issue: "not a JSON-stat 2 dataset: key 'id' missing" for SCB's older layout
    table = decode_pxweb_json(REAL / "scb_v1_jsonstat1_BE0101N1_riket_men2017.json")
    assert table.layout == "json-stat1" and table.frame["value"].tolist() == [5082662.0]
    text = _err(REAL / "scb_v1_jsonstat1_BE0101N1_riket_men2017.json")
    assert "no region dimension" in text and "Riket" in text and "key 'id' missing" not in text


@pytest.mark.parametrize("name,layout", [
    ("scb_v2_jsonstat2_TAB638_norrbotten_2025.json", "json-stat2"),
    ("scb_v1_jsonstat1_kommun_kon_2025.json", "json-stat1"),
    ("scb_pxweb_json_norrbotten_2025.json", "pxweb-json"),
])
def test_every_layout_gives_the_same_population(name, layout):
    df = read_pxweb_population(REAL / name)
    assert df.attrs["layout"] == layout and df.attrs["period_kind"] == "annual"
    assert dict(zip(df["kommunkod"], df["population"])) == POP_2025
    assert set(df["year"]) == {2025} and "sex" not in df


def test_sex_total_is_taken_as_published_and_parts_are_not_summed():
    # 1 + 2 are placeholders that do not add up to the total (disclosure control): no check, no fix
    df = read_pxweb_population(REAL / "scb_v1_jsonstat1_kommun_kon_2025.json")
    assert dict(zip(df["kommunkod"], df["population"])) == POP_2025


def test_totsa_and_sex_parts(tmp_path):
    js = json.loads((REAL / "scb_v2_jsonstat2_TAB638_norrbotten_2025.json").read_text(encoding="utf-8"))
    js["id"] = ["Region", "Kon", "ContentsCode", "Tid"]
    js["size"] = [2, 1, 1, 1]
    js["dimension"]["Kon"] = {"label": "kön", "category": {"index": {"TotSa": 0}, "label": {"TotSa": "totalt"}}}
    p = tmp_path / "totsa.json"
    p.write_text(json.dumps(js), encoding="utf-8")
    assert dict(zip(*read_pxweb_population(p)[["kommunkod", "population"]].to_dict("list").values())) == POP_2025
    js["size"] = [2, 2, 1, 1]
    js["dimension"]["Kon"] = {"label": "kön", "category": {"index": {"1": 0, "2": 1},
                                                          "label": {"1": "män", "2": "kvinnor"}}}
    js["value"] = [40000, 40304, 14000, 14624]
    p.write_text(json.dumps(js), encoding="utf-8")
    df = read_pxweb_population(p)
    assert sorted(zip(df["kommunkod"], df["sex"], df["population"])) == [
        ("2580", "kvinna", 40304), ("2580", "man", 40000), ("2582", "kvinna", 14624), ("2582", "man", 14000)]


def test_monthly_lan_table_says_what_is_wrong():
    text = _err(REAL / "scb_v2_jsonstat2_TAB6471_lan_monthly.json")
    assert "monthly table without December" in text and "2026M01" in text
    assert "no kommun rows: the file holds only '25' (Norrbottens län)" in text


def test_monthly_kommun_table_gives_31_december(tmp_path):
    js = json.loads((REAL / "scb_v2_jsonstat2_TAB638_norrbotten_2025.json").read_text(encoding="utf-8"))
    months = ["2025M11", "2025M12"]
    js["size"] = [2, 1, 2]
    js["dimension"]["Tid"] = {"label": "månad", "category": {"index": {m: i for i, m in enumerate(months)}}}
    js["value"] = [80290, 80304, 28630, 28624]
    p = tmp_path / "monthly.json"
    p.write_text(json.dumps(js), encoding="utf-8")
    df = read_pxweb_population(p)
    assert df.attrs["period_kind"] == "monthly"
    assert dict(zip(df["kommunkod"], df["population"])) == POP_2025 and set(df["year"]) == {2025}


def test_contents_that_are_not_population_are_refused_unless_named():
    p = REAL / "scb_v2_jsonstat2_income_not_population.json"
    text = _err(p)
    assert "contents 'HE0110K1'" in text and "are not population" in text and "contents='CODE'" in text
    df = read_pxweb_population(p, contents="HE0110K1")   # the user says what it is
    assert df["population"].tolist() == [66000, 23500]


def test_region_levels_kept_apart(tmp_path):
    js = json.loads((REAL / "scb_v2_jsonstat2_TAB638_norrbotten_2025.json").read_text(encoding="utf-8"))
    js["size"] = [4, 1, 1]
    js["dimension"]["Region"]["category"] = {"index": {"00": 0, "25": 1, "2580": 2, "2582": 3}}
    js["value"] = [10605520, 248000, 80304, 28624]
    p = tmp_path / "levels.json"
    p.write_text(json.dumps(js), encoding="utf-8")
    df = read_pxweb_population(p)
    assert dict(zip(df["kommunkod"], df["population"])) == POP_2025
    other = df.attrs["other_regions"]
    assert dict(zip(other["region"], other["level"])) == {"00": "riket", "25": "lan"}


def test_old_entry_point_reads_the_v1_layout_too():
    df = read_scb_pxweb_jsonstat2(REAL / "scb_v1_jsonstat1_kommun_kon_2025.json")
    assert dict(zip(df["kommunkod"], df["population"])) == POP_2025


def test_not_json_and_not_pxweb(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"foo": 1}', encoding="utf-8")
    with pytest.raises(DataError, match="not a PxWeb response"):
        read_pxweb_population(p)
    p.write_text('{"foo": ', encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        read_pxweb_population(p)


def test_pxweb_csv_without_kommun_rows_and_with_totsa(tmp_path):
    from analysis.io import read_scb_pxweb_csv
    p = tmp_path / "lan.csv"
    p.write_text('"region","kön","2025"\n"25 Norrbottens län","totalt",249000\n', encoding="utf-8")
    with pytest.raises(DataError, match="no kommun rows: the file holds only 25 Norrbottens län"):
        read_scb_pxweb_csv(p)
    p.write_text('"region","kön","2025"\n"2582 Boden","TotSa",28624\n', encoding="utf-8")
    assert read_scb_pxweb_csv(p)["population"].tolist() == [28624]
