"""Brå's statistikdatabas tables in long form, and Brå's published rates reproduced exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io.bra_long import read_bra_long
from analysis.io.importer import bra_rate_check
from analysis.io.pxweb import read_pxweb_population
from analysis.io.readers import read_export

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "io" / "real_layouts"
BRA = REAL / "bra_statistikdatabas_manad_norrbotten_2026-08.csv"
SCB = REAL / "scb_v2_jsonstat2_TAB638_norrbotten_2025.json"


def test_real_monthly_table_is_read_with_brås_labels():
    df = read_bra_long(BRA)
    assert set(df["kommunkod"]) == {"2582", "2580"} and set(df["period_kind"]) == {"monthly"}
    assert set(df["period"].astype(str)) == {"2026-08"} and set(df["status"]) == {"preliminär"}
    boden = df[df["kommunkod"] == "2582"].set_index("crime_type")
    assert boden.loc["Samtliga brott", "count"] == 225
    assert boden.loc["Misshandel (inkl. grov)", "count"] == 22
    assert boden.loc["Skadegörelsebrott", "count"] == 21
    assert boden.loc["Narkotikabrott", "crime_code"] == "13236"
    # the one chapter the data model does not have is listed, not dropped silently
    assert [r["rows"] for r in df.attrs["refused"]] == [[11]]
    assert df.attrs["refused"][0]["label"].endswith("17 kap. Brott mot allmän verksamhet")


def test_brås_published_rates_are_reproduced_to_the_published_digits():
    """Brå's convention, verified on every row of a real table: count / population on
    31 December of the year before × 100 000, months not scaled to a year, whole numbers."""
    crimes = read_bra_long(BRA)
    pop = read_pxweb_population(SCB)
    denom = crimes["kommunkod"].map(dict(zip(pop["kommunkod"], pop["population"])))
    assert set(pop["year"]) == {2025} and (crimes["period"].map(lambda p: p.year) == 2026).all()
    ours = np.floor(crimes["count"].to_numpy(float) / denom.to_numpy(float) * 100_000 + 0.5)
    np.testing.assert_array_equal(ours, crimes["rate_per_100k"].to_numpy())   # all 29 rows, exactly
    assert bra_rate_check(crimes, pop) == []
    # the same-year convention (or another date) would not reproduce them
    moved = pop.assign(population=pop["population"] + 150)
    assert len(bra_rate_check(crimes, moved)) == 2


def test_read_export_turns_it_into_the_crimes_kind():
    rf = read_export(BRA)
    assert rf.ok and rf.format == "bra-long" and rf.kind == "crimes" and rf.period_kind == "monthly"
    assert "Samtliga brott" in set(rf.frame["crime_type"])
    assert any(c["from"] == "Totalt antal brott" and c["to"] == "Samtliga brott" for c in rf.conversions)
    assert len(rf.refused) == 1


def test_annual_table_becomes_crimes_annual(tmp_path):
    p = tmp_path / "ar.csv"
    p.write_text("År;Kommun;Brott;Brott_ID;Antal;Per100000\n"
                 "2025;Boden;Totalt antal brott;5036;2 610;9 118\n"
                 "2025;Boden;Brott mot trafikbrottslagen;11643;180;629\n"
                 "2025;Norrbottens län;Totalt antal brott;5036;25 000;10 000\n", encoding="utf-8")
    rf = read_export(p)
    assert rf.ok and rf.kind == "crimes_annual" and rf.period_kind == "annual"
    assert rf.frame[["crime_type", "count", "rate_per_100k"]].to_dict("list") == {
        "crime_type": ["Samtliga brott", "Trafikbrott"], "count": [2610, 180], "rate_per_100k": [9118.0, 629.0]}


def test_bad_rows_are_named(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("År,Månad,Kommun,Brott,Antal\n2026,13,Boden,Totalt antal brott,1\n"
                 "2026,8,Bodn,Totalt antal brott,-2\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_bra_long(p)
    text = str(err.value)
    assert "row 2, column 'Månad': not a month or year" in text
    assert "row 3, column 'Kommun': unknown kommun (got 'Bodn')" in text
    assert "row 3, column 'Antal'" in text


def test_quarters_are_refused(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text("År,Månad,Periodtyp,Kommun,Brott,Antal\n2026,,Kvartal,Boden,Totalt antal brott,600\n",
                 encoding="utf-8")
    with pytest.raises(DataError, match="quarters are not part of the data model"):
        read_bra_long(p)
