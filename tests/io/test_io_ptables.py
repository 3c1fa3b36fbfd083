"""Brå P-tables, Tabell 100 and regional tables, against the published figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io import read_bra_ptable, read_bra_region_table

FIX = Path(__file__).parent.parent / "fixtures" / "io"


def _published() -> pd.DataFrame:
    """The real published P-table values (bra_anmalda_brott_lan_ptabeller.csv)."""
    ref = pd.read_csv(FIX / "bra_anmalda_brott_lan_ptabeller.csv", dtype=str)
    ref["antal"] = ref["antal"].astype(int)
    ref["per_100000_inv"] = pd.to_numeric(ref["per_100000_inv"])
    return ref


def _compare_with_published(df: pd.DataFrame, tabell: str) -> None:
    ref = _published().query("tabell == @tabell and brottstyp in @df.crime_type")
    assert len(ref) >= 4
    got = df.assign(manad=[f"{m:02d}" if pd.notna(m) else "helår" for m in df["month"]])
    merged = ref.merge(got, left_on=["region_kod", "manad", "brottstyp"],
                       right_on=["region_kod", "manad", "crime_type"], how="left")
    assert merged["count"].notna().all()
    assert (merged["count"] == merged["antal"]).all()
    has_rate = merged["per_100000_inv"].notna()
    np.testing.assert_allclose(merged.loc[has_rate, "rate_per_100k"], merged.loc[has_rate, "per_100000_inv"])
    assert int(ref["ar"].iat[0]) == int(df["year"].iat[0])


def _monthly_sums_equal_annual(df: pd.DataFrame, region_kod: str) -> None:
    ref = _published().query("region_kod == @region_kod and manad == 'helår'")
    months = df[df.month.notna()]
    assert (months.groupby("crime_type")["count"].size() == 12).all()
    sums = months.groupby("crime_type")["count"].sum()
    assert len(ref) == 4
    for label, total in zip(ref["brottstyp"], ref["antal"]):
        assert sums[label] == total, label          # months add up to the published year total


def test_p3_halland_2010_text():
    df = read_bra_ptable(FIX / "p3_halland_2010.txt")
    assert set(df["tabell"]) == {"P3"} and set(df["region_kod"]) == {"13"}
    assert set(df["region"]) == {"Hallands län"} and set(df["year"]) == {2010}
    assert set(df["status"]) == {"preliminär"}
    _monthly_sums_equal_annual(df, "13")
    _compare_with_published(df, "P3")
    wrapped = "Fullbordat mord och dråp samt misshandel med dödlig utgång (1, 2, 5, 6 §)"
    assert wrapped in set(df["crime_type"])             # two lines joined, filler dropped
    assert len(set(df["crime_type"])) == 5
    w = df[df.crime_type == wrapped]
    assert set(w["footnote"]) == {"1"}
    assert w[w.month.notna()]["count"].tolist() == [0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0, 0]
    assert w[w.month.isna()]["count"].tolist() == [4]
    assert df.loc[df.month.isna(), "period"].unique().tolist() == ["2010"]
    assert df.loc[df.month == 3, "period"].iat[0] == "2010-03"


def test_p3_html_gives_the_same_table():
    text = read_bra_ptable(FIX / "p3_halland_2010.txt")
    html = read_bra_ptable(FIX / "p3_halland_2010.html")
    assert html.attrs["html"] and not text.attrs["html"]
    pd.testing.assert_frame_equal(text, html)
    html_text = (FIX / "p3_halland_2010.html").read_text(encoding="utf-8")
    pd.testing.assert_frame_equal(read_bra_ptable(html_text), html.assign())


def test_tabell100_riket_1998():
    df = read_bra_ptable(FIX / "tabell100_riket_1998.txt")
    assert set(df["region_kod"]) == {"00"} and set(df["tabell"]) == {"100"}
    assert set(df["status"]) == {"slutlig"}
    _monthly_sums_equal_annual(df, "00")
    _compare_with_published(df, "100")


def test_tabell100_dash_is_zero_and_extra_column_ignored(tmp_path):
    # VERBATIM row (formats.md §3): 12 months, year total, an uninterpreted column, per 100 000
    header = ("Tabell 100\nHela landet\nAnmälda brott 1998\nBrottstyp Januari Februari Mars April "
              "Maj Juni Juli Augusti September Oktober November December Totalt\n")
    row = "Med användning av skjutvapen 4.0 2.0 5.0 3.0 2.0 2.0 1.0 - 7.0 10.0 21.0 7.0 64.0 256.0 1.0\n"
    df = read_bra_ptable(header + row)
    assert df.loc[df.month == 8, "count"].item() == 0
    assert df.loc[df.month.isna(), "count"].item() == 64
    assert df.loc[df.month.isna(), "rate_per_100k"].item() == 1.0
    assert df.loc[df.month.notna(), "count"].sum() == 64


def test_p1_jonkoping_2007_rate_implies_population():
    df = read_bra_ptable(FIX / "p1_jonkoping_2007.txt")
    assert set(df["tabell"]) == {"P1"} and set(df["region_kod"]) == {"06"}
    top = df[df.crime_type == "SAMTLIGA BROTT"].set_index("period")
    assert top.loc["2007-12", "count"] == 2974 and top.loc["2007-12", "month"] == 12
    assert top.loc["2007", "count"] == 36861
    rate = top.loc["2007", "rate_per_100k"]
    assert rate == pytest.approx(11118.149)
    population = top.loc["2007", "count"] / rate * 100_000
    assert population == pytest.approx(331_539, abs=1)
    bb = df[df.crime_type == "Brott mot brottsbalken"].set_index("period")
    assert bb.loc["2007", "count"] == 32424 and bb.loc["2007", "rate_per_100k"] == pytest.approx(9779.84491)
    # the same denominator behind both rates
    assert bb.loc["2007", "count"] / bb.loc["2007", "rate_per_100k"] * 1e5 == pytest.approx(population, abs=1)
    _compare_with_published(df[df.crime_type.isin(["SAMTLIGA BROTT", "Brott mot brottsbalken"])], "P1")
    dod = df[df.crime_type.str.startswith("dödlig")].set_index("period")
    assert dod.loc["2007", "count"] == 7 and set(dod["footnote"]) == {"1"}


def test_p1_partial_year_is_labelled_as_year_to_date(tmp_path):
    text = ("Tabell P1\n06 Jönköpings län\nAnmälda brott, totalt och per 100 000 invånare, juni 2007 "
            "samt ackumulerat under året. Preliminära uppgifter.\n"
            "SAMTLIGA BROTT 3000.0 80.0 3.0 18000.0 400.0 2.0 5400.5 36000.0 4000.0 12.0 10900.0\n"
            "Brott mot brottsbalken 2600.0 70.0 3.0 16000.0 300.0 2.0 4800.0 32000.0 4000.0 14.0 9700.0\n")
    df = read_bra_ptable(text)
    assert df["period"].tolist()[:2] == ["2007-06", "2007-01..2007-06"]


def test_months_that_do_not_add_up_are_an_error():
    text = (FIX / "p3_halland_2010.txt").read_text(encoding="utf-8").replace(
        "2301.0 33742.0", "2301.0 33743.0")
    with pytest.raises(DataError) as err:
        read_bra_ptable(text)
    e = err.value.problems[0]
    assert e.row == 7 and e.column == "Hittills under året" and e.value == "33743.0"
    assert "33742" in e.expected


def test_unreadable_cell_is_reported_with_line():
    text = (FIX / "p3_halland_2010.txt").read_text(encoding="utf-8").replace(
        "Brott mot brottsbalken 2113.0", "Brott mot brottsbalken 21l3.0")
    with pytest.raises(DataError) as err:
        read_bra_ptable(text)
    assert "row 8" in str(err.value)


# --------------------------------------------------------------------------- regional tables

HAT_COLS = [f"{c} {u}" for c in ("Våldsbrott", "Olaga hot/ofredande", "Ärekränkning",
                                 "Skadegörelse/klotter", "Hets mot folkgrupp", "Olaga diskriminering",
                                 "Övriga brott", "Totalt") for u in ("antal", "per 100 000")]


def test_hatbrott_x_stays_hidden_dash_is_zero_and_2279_is_one_number():
    df = read_bra_region_table(FIX / "hatbrott_lan_2012.txt", columns=HAT_COLS, pairs=True)
    assert df["region"].nunique() == 22  # 21 län + Hela landet
    assert df["region_level"].value_counts().to_dict() == {"lan": 21 * 16, "riket": 16}
    riket = df[df.region_code == "00"].set_index("variable")["value"]
    assert riket["Olaga hot/ofredande antal"] == 2279
    assert riket["Totalt antal"] == 5518 and riket["Totalt per 100 000"] == 58
    sthlm = df[df.region_code == "01"].set_index("variable")["value"]
    assert sthlm["Totalt antal"] == 1789 and sthlm["Totalt per 100 000"] == 85
    kron = df[df.region_code == "07"].set_index("variable")
    assert kron.loc["Ärekränkning antal", "suppressed"] and np.isnan(kron.loc["Ärekränkning antal", "value"])
    kalmar = df[df.region_code == "08"].set_index("variable")
    assert kalmar.loc["Olaga diskriminering antal", "value"] == 0
    assert not kalmar.loc["Olaga diskriminering antal", "suppressed"]
    # every x in the table is hidden, none became 0
    n_x = sum(line.split().count("x") for line in
              (FIX / "hatbrott_lan_2012.txt").read_text(encoding="utf-8").splitlines()[1:])
    assert df["suppressed"].sum() == n_x > 0
    assert (df.loc[df.suppressed, "value"].isna()).all()
    assert set(df.loc[df.suppressed, "missing_reason"]) == {"röjandekontroll (x)"}


def test_hatbrott_table_matches_the_published_csv():
    df = read_bra_region_table(FIX / "hatbrott_lan_2012.txt", columns=HAT_COLS, pairs=True)
    ref = pd.read_csv(FIX / "bra_hatbrott_lan_2012.csv", dtype=str)
    region = {r: ("Riket" if r == "Hela landet" else r) for r in ref["lan"]}
    got = df.set_index(["region", "variable"])
    for row in ref.itertuples(index=False):
        for raw, unit in ((row.antal, "antal"), (row.per_100000_inv, "per 100 000")):
            cell = got.loc[(region[row.lan], f"{row.huvudbrott} {unit}")]
            if raw == "x":
                assert cell["suppressed"] and np.isnan(cell["value"])
            elif raw == "-":
                assert cell["value"] == 0 and not cell["suppressed"]
            else:
                assert cell["value"] == int(raw), (row.lan, row.huvudbrott, unit)


def test_ntu_xx_is_suppressed_never_zero():
    cols = ["Otrygghet vid utevistelse sen kväll", "Oro över brottsligheten i samhället",
            "Oro för närstående", "Oro för bostadsinbrott", "Oro för överfall/misshandel",
            "Oro för bilbrott"]
    df = read_bra_region_table(FIX / "ntu_regional_2010.txt", columns=cols)
    assert df["region"].nunique() == 52
    assert set(df["region_level"]) == {"riket", "lan", "kommun"}
    ref = pd.read_csv(FIX / "ntu_otrygghet_oro_regionalt.csv", dtype=str).query("undersokning == 'NTU 2010'")
    got = df.set_index(["region_code", "variable"])
    assert len(ref) == len(df) == 312
    for row in ref.itertuples(index=False):
        cell = got.loc[(row.region_kod, row.indikator)]
        if row.andel_procent == "XX":
            assert cell["suppressed"] and np.isnan(cell["value"])
            assert cell["missing_reason"] == "för få svar (XX)"
        else:
            assert cell["value"] == int(row.andel_procent)
    assert (df.loc[df.suppressed, "value"].isna()).all() and (df["value"] != 0).all()
    assert df["suppressed"].sum() == (ref["andel_procent"] == "XX").sum() > 0


def test_region_table_unknown_region_and_wrong_count():
    text = "Atlantis 1 2\nGagnef 1 2 3\nGagnef 1 y\n"
    with pytest.raises(DataError) as err:
        read_bra_region_table(text, columns=["a", "b"])
    rows = sorted((p.row, p.column) for p in err.value.problems)
    assert rows == [(1, "region"), (2, None), (3, "b")]
