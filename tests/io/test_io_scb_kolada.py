"""SCB PxWeb (JSON-stat 2, CSV) and Kolada API readers."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import DataError
from analysis.io import read_kolada_json, read_scb_pxweb_csv, read_scb_pxweb_jsonstat2

FIX = Path(__file__).parent.parent / "fixtures" / "io"


def _js() -> dict:
    return json.loads((FIX / "scb_be0101_jsonstat2.json").read_text(encoding="utf-8"))


def test_jsonstat2_row_major_last_dimension_fastest():
    df = read_scb_pxweb_jsonstat2(FIX / "scb_be0101_jsonstat2.json", missing="drop")
    got = {(r.kommunkod, r.sex, r.year): r.population for r in df.itertuples()}
    # value = [10, 11, 12, 13, 20, 21, null, 23] over Region × Kon × ContentsCode × Tid
    assert got == {("0180", "man", 2024): 10, ("0180", "man", 2025): 11,
                   ("0180", "kvinna", 2024): 12, ("0180", "kvinna", 2025): 13,
                   ("1480", "man", 2024): 20, ("1480", "man", 2025): 21,
                   ("1480", "kvinna", 2025): 23}
    assert df.attrs["missing_cells"] == [{"row": 7, "cell": "1480 / 2024 / kvinna", "status": ".."}]


def test_jsonstat2_missing_is_an_error_by_default():
    with pytest.raises(DataError) as err:
        read_scb_pxweb_jsonstat2(FIX / "scb_be0101_jsonstat2.json")
    p = err.value.problems[0]
    assert p.row == 7 and p.column == "value" and "'..'" in p.message
    assert str(FIX / "scb_be0101_jsonstat2.json") in str(err.value)


def test_jsonstat2_index_as_array_or_object_and_order_of_positions():
    js = _js()
    # object index with positions not in key order: position decides, not the order of keys
    js["dimension"]["Region"]["category"]["index"] = {"1480": 1, "0180": 0}
    js["dimension"]["Tid"]["category"]["index"] = ["2024", "2025"]
    js["value"][6] = 22
    js["status"] = {}
    df = read_scb_pxweb_jsonstat2(js)
    assert df.loc[(df.kommunkod == "1480") & (df.sex == "kvinna") & (df.year == 2024), "population"].item() == 22
    assert len(df) == 8


def test_jsonstat2_totals_riket_and_unknown_codes():
    js = _js()
    js["dimension"]["Region"]["category"]["index"] = {"00": 0, "9999": 1}
    js["value"][6] = 1
    with pytest.raises(DataError) as err:
        read_scb_pxweb_jsonstat2(js)
    assert {p.value for p in err.value.problems} == {"9999"}
    assert all(p.column == "Region" for p in err.value.problems)
    js["dimension"]["Region"]["category"]["index"] = {"00": 0, "1760": 1}
    df = read_scb_pxweb_jsonstat2(js)
    assert set(df["kommunkod"]) == {"1760"} and df.attrs["skipped_regions"] == ["00"]


def test_jsonstat2_sex_total_dropped_and_other_dimensions_refused():
    js = _js()
    js["dimension"]["Kon"]["category"] = {"index": ["1+2"], "label": {"1+2": "totalt"}}
    js["size"] = [2, 1, 1, 2]
    js["value"] = [100, 101, 200, 201]
    js["status"] = {}
    df = read_scb_pxweb_jsonstat2(js)
    assert list(df.columns) == ["kommunkod", "year", "population"]
    bad = copy.deepcopy(js)
    bad["id"] = ["Region", "Civilstand", "ContentsCode", "Tid"]
    bad["dimension"]["Civilstand"] = {"category": {"index": ["OG", "G"]}}
    bad["size"] = [2, 2, 1, 2]
    bad["value"] = list(range(1, 9))
    with pytest.raises(DataError, match="Civilstand"):
        read_scb_pxweb_jsonstat2(bad)


def test_jsonstat2_not_a_dataset():
    with pytest.raises(DataError, match="key 'value' missing"):
        read_scb_pxweb_jsonstat2({"id": [], "size": [], "dimension": {}})


def test_pxweb_csv_cp1252_wide():
    with pytest.raises(DataError) as err:
        read_scb_pxweb_csv(FIX / "scb_be0101_folkmangd.csv")
    p = err.value.problems[0]
    assert p.row == 6 and p.column == "population"
    df = read_scb_pxweb_csv(FIX / "scb_be0101_folkmangd.csv", missing="drop")
    assert df.attrs["format"]["encoding"] == "cp1252"
    assert df.attrs["skipped_regions"] == ["00 Riket"]
    storfors = df[df.kommunkod == "1760"].groupby("year")["population"].sum().to_dict()
    assert storfors == {2024: 3801, 2025: 3777}
    assert len(df) == 7


def test_pxweb_csv_long_layout_and_bad_numbers(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text('"region","år","Folkmängd"\n"1760 Storfors","2025","3 777"\n'
                 '"2181 Sandviken","2025","39,5"\n"0114 Upplands Väsby","2025","abc"\n', encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_scb_pxweb_csv(p)
    got = sorted((x.row, x.message.split(" (")[0]) for x in err.value.problems)
    assert got == [(3, "population must be a whole number > 0"), (4, "not a number")]


# --------------------------------------------------------------------------- Kolada

def test_kolada_formats_fixture():
    df = read_kolada_json(FIX / "kolada_stockholm_2025.json")
    assert df.to_dict("records") == [{"kpi": "N01951", "kommunkod": "0180", "region_level": "kommun",
                                      "year": 2025, "gender": "T", "value": 999239.0, "status": None}]


def test_kolada_pages_gender_filter_and_nulls():
    pages = [FIX / "kolada_page1.json", FIX / "kolada_page2.json"]
    df = read_kolada_json(pages)
    assert len(df) == 4
    sandviken = df[df.kommunkod == "2181"]
    assert sandviken["value"].tolist() == [39100.0]  # the T entry, though it is not first
    assert np.isnan(df.loc[df.kommunkod == "1760", "value"].item())
    assert df.loc[df.kommunkod == "0000", "region_level"].item() == "riket"
    both = read_kolada_json(pages, gender=["K", "M"])
    assert both.set_index("gender")["value"].to_dict() == {"M": 19800.0, "K": 19300.0}
    assert len(read_kolada_json(pages, gender=None)) == 6


def test_kolada_incomplete_pagination_is_an_error():
    with pytest.raises(DataError) as err:
        read_kolada_json(FIX / "kolada_page1.json")
    p = err.value.problems[0]
    assert p.column == "next_page" and "page=2" in str(p.value)


def test_kolada_malformed_entries_and_duplicates():
    page = {"values": [
        {"kpi": "N07403", "municipality": "9999", "period": 2024, "values": [{"gender": "T", "value": 1.0}]},
        {"kpi": "N07403", "municipality": "0180", "period": "2024H1", "values": [{"gender": "T", "value": 1.0}]},
        {"kpi": "N07403", "municipality": "0180", "period": 2024, "values": [{"gender": "X", "value": 1.0}]},
        {"kpi": "N07403", "municipality": "0180", "period": 2023, "values": [{"gender": "T", "value": "1,0"}]},
        {"kpi": "N07403", "municipality": "1760", "period": 2024, "values": [{"gender": "T", "value": 5.0}]},
        {"kpi": "N07403", "municipality": "1760", "period": 2024, "values": [{"gender": "T", "value": 5.0}]},
    ]}
    with pytest.raises(DataError) as err:
        read_kolada_json(page)
    got = [(p.row, p.column) for p in err.value.problems]
    assert got == [(1, "municipality"), (2, "period"), (3, "gender"), (4, "value"), (6, "municipality")]
