"""Brå kommun CSV and statistikdatabas exports (analysis.io.bra)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io import read_bra_kommun_csv, read_bra_table_export

FIX = Path(__file__).parent.parent / "fixtures" / "io"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


# --------------------------------------------------------------------------- kommun CSV

def test_kommun_csv_fixture():
    df = read_bra_kommun_csv(FIX / "bra_kommun_2024_prel.csv", year=2024, crime_type="samtliga brott")
    assert df.attrs["format"]["encoding"] == "utf-8-sig"
    assert df.attrs["format"]["delimiter"] == ";"
    got = df.set_index("kommunkod")
    # names only in the file; variants join to codes
    assert list(got.index) == ["1440", "1489", "0139", "2023", "1438", "0980", "1760"]
    assert got.loc["1440", "count"] == 2431 and got.loc["1440", "rate_per_100k"] == 7452
    assert got.loc["0139", "count"] == 1204 and got.loc["0139", "rate_per_100k"] == 3612.5  # NBSP
    assert got.loc["2023", "count"] == 0  # '-' is zero
    assert pd.isna(got.loc["1489", "count"]) and got.loc["1489", "missing_reason"] == "uppgift saknas (..)"
    assert pd.isna(got.loc["1438", "count"]) and bool(got.loc["1438", "suppressed"])  # 'x', never 0
    assert not got.loc["1489", "suppressed"]
    assert set(df["status"]) == {"preliminär"} and set(df["crime_type"]) == {"Samtliga brott"}
    assert df.attrs["skipped_rows"] == [(9, "Riket")]
    assert df.attrs["lines"].tolist() == [2, 3, 4, 5, 6, 7, 8]


def test_kommun_csv_status_contradiction(tmp_path):
    with pytest.raises(DataError, match="status contradicts"):
        read_bra_kommun_csv(FIX / "bra_kommun_2024_prel.csv", year=2024, crime_type="Rån",
                            status="slutlig")
    p = _write(tmp_path, "slutlig.csv", "Kommun;Antal;Per 100 000 inv.\nAle;5;15,3\n")
    assert read_bra_kommun_csv(p, year=2023, crime_type="Rån")["status"].tolist() == ["slutlig"]


def test_kommun_csv_collects_every_problem(tmp_path):
    text = ("\ufeffKommun;Antal (prel.);Per 100 000 inv. (prel.)\n"
            "Ale;-3;1\n"           # negative count
            "Narnia;12;30\n"       # unknown kommun name
            "Gagnef;2,5;24\n"      # not a whole number
            "Storfors;1.234;5\n"   # a point: neither Swedish decimal nor thousands sign
            "Upplands-Bro;4;11\n"
            "Upplands Bro;5;13\n")  # the same kommun twice
    p = _write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as err:
        read_bra_kommun_csv(p, year=2024, crime_type="Rån")
    probs = {(x.row, x.column, x.message.split(" (")[0]) for x in err.value.problems}
    assert (2, "Antal (prel.)", "negative count") in probs
    assert (3, "Kommun", "unknown kommun name") in probs
    assert (4, "Antal (prel.)", "count is not a whole number") in probs
    assert (5, "Antal (prel.)", "not a number") in probs
    assert (7, "Kommun", "kommun listed twice") in probs
    msg = str(err.value)
    assert f"{p}, row 3, column 'Kommun': unknown kommun name (got 'Narnia')" in msg


# --------------------------------------------------------------------------- statistikdatabas

def test_monthly_export_becomes_crimes_kind():
    df = read_bra_table_export(FIX / "bra_export_monthly_kommun.csv")
    assert list(df.columns) == ["kommunkod", "period", "crime_type", "count", "status"]
    assert isinstance(df["period"].dtype, pd.PeriodDtype)
    assert len(df) == 5 * 12
    s = df.groupby(["kommunkod", "crime_type"])["count"].sum()
    assert s[("2181", "Misshandel (inkl. grov)")] == 291
    assert s[("2181", "Bostadsinbrott")] == 35          # blank Område repeats Sandviken
    assert s[("1760", "Bostadsinbrott")] == 3            # '-' is zero
    karls = df[(df.kommunkod == "1080")].set_index("period")["count"]
    assert karls[pd.Period("2024-12", "M")] == 1004      # "1 004"
    assert set(df["status"]) == {"slutlig"}
    assert df.attrs["format"]["footnotes"][0].startswith("Källa")


def test_yearly_export_long_frame_with_units_and_levels():
    df = read_bra_table_export(FIX / "bra_export_yearly.tsv")
    assert df.attrs["format"]["delimiter"] == "\t"
    assert set(df["region_level"]) == {"riket", "lan", "kommun"}
    riket = df[df.region_level == "riket"].set_index("period")
    assert riket.loc[pd.Period("2024", "Y"), "count"] == 1489319
    assert riket.loc[pd.Period("2024", "Y"), "rate_per_100k"] == 14042
    assert riket.loc[pd.Period("2024", "Y"), "status"] == "preliminär"
    assert riket.loc[pd.Period("2022", "Y"), "status"] == "slutlig"
    lan = df[df.region_code == "21"].set_index("period")
    assert pd.isna(lan.loc[pd.Period("2023", "Y"), "count"])
    assert lan.loc[pd.Period("2023", "Y"), "missing_reason"] == "uppgift saknas (..)"
    assert lan.loc[pd.Period("2022", "Y"), "rate_per_100k"] == pytest.approx(49.9)
    gagnef = df[df.region_code == "2026"].set_index("period")
    assert bool(gagnef.loc[pd.Period("2022", "Y"), "suppressed"]) and pd.isna(gagnef.loc[pd.Period("2022", "Y"), "count"])
    assert gagnef.loc[pd.Period("2023", "Y"), "count"] == 0
    assert set(df["crime_type"]) == {"Samtliga brott", "Rån (inkl. grovt)"}
    with pytest.raises(DataError, match="monthly periods"):
        read_bra_table_export(FIX / "bra_export_yearly.tsv", as_crimes=True)


def test_monthly_export_with_missing_count_is_an_error_for_crimes(tmp_path):
    text = ("Område;Brottstyp;2024-01;2024-02;2024-03\n"
            "Gagnef;Cykelstöld;1;..;2\n")
    p = _write(tmp_path, "m.csv", text)
    with pytest.raises(DataError) as err:
        read_bra_table_export(p)
    e = err.value.problems[0]
    assert (e.row, e.column) == (2, "2024-02") and "count missing" in e.message
    long = read_bra_table_export(p, as_crimes=False)
    assert long["missing_reason"].tolist()[1] == "uppgift saknas (..)"


def test_export_problems_name_row_and_period_column(tmp_path):
    text = ("Titel\n\nOmråde;Brottstyp;2024-01;2024-02\n"
            "Gagnef;Cykelstöld;1;-2\n"
            "Atlantis;Cykelstöld;1;2\n"
            "Storfors;Cykelstöld;abc;2,5\n")
    p = _write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as err:
        read_bra_table_export(p)
    probs = {(x.row, x.column, x.message) for x in err.value.problems}
    assert (5, "Område", "unknown Område") in probs
    assert len(err.value.problems) == 1  # an unknown Område stops before numbers are read
    p.write_text(text.replace("Atlantis", "Sandviken"), encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_bra_table_export(p)
    probs = {(x.row, x.column, x.message) for x in err.value.problems}
    assert (4, "2024-02", "negative count") in probs
    assert (6, "2024-01", "not a number") in probs
    assert (6, "2024-02", "count is not a whole number") in probs


def test_export_gap_in_monthly_series_is_reported(tmp_path):
    text = "Område;Brottstyp;2024-01;2024-02;2024-04\nGagnef;Cykelstöld;1;0;2\n"
    p = _write(tmp_path, "gap.csv", text)
    with pytest.raises(DataError, match=r"gap in the monthly series of 2026 × Cykelstöld.*2024-03"):
        read_bra_table_export(p)


def test_export_year_total_checked_against_months(tmp_path):
    months = ";".join(f"2023-{m:02d}" for m in range(1, 13))
    text = f"Område;Brottstyp;{months};2023\nGagnef;Cykelstöld;" + ";".join(["1"] * 12) + ";13\n"
    p = _write(tmp_path, "tot.csv", text)
    with pytest.raises(DataError) as err:
        read_bra_table_export(p)
    e = err.value.problems[0]
    assert (e.row, e.column, e.value) == (2, "2023", 13) and "12" in e.expected
    p.write_text(text.replace(";13\n", ";12\n"), encoding="utf-8")
    assert len(read_bra_table_export(p)) == 12  # the year column is not repeated


def test_export_duplicate_rows(tmp_path):
    text = "Område;Brottstyp;2024-01\nGagnef;Cykelstöld;1\nGagnef;Cykelstöld;2\n"
    p = _write(tmp_path, "dup.csv", text)
    with pytest.raises(DataError) as err:
        read_bra_table_export(p)
    assert "rows 2, 3" in str(err.value) and err.value.problems[0].row == 3
