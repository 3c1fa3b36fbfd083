"""Brå's published rates reproduced to the published digits, on real published tables.

Sources of every number: tests/fixtures/io/README.md ("Brå's rate conventions").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.io.bra_long import read_bra_long
from analysis.io.bra_rates import (BRA_RATE_CONVENTIONS, bra_denominator, bra_rate, conventions_for,
                                   round_half_up)
from analysis.io.importer import bra_rate_check, import_exports
from analysis.io.ptables import read_bra_ptable
from analysis.io.pxweb import read_pxweb_population

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "io"
REAL = FIX / "real_layouts"


def _published(tabell: str) -> pd.DataFrame:
    df = pd.read_csv(FIX / "bra_anmalda_brott_lan_ptabeller.csv", dtype={"region_kod": str, "manad": str})
    return df[(df["tabell"] == tabell) & (df["manad"] == "helår") & df["per_100000_inv"].notna()]


def _pop(region: str) -> dict[int, float]:
    df = pd.read_csv(FIX / "scb_folkmangd_rate_oracles.csv", dtype={"region_kod": str})
    return {int(r.year): float(r.population) for r in df[df["region_kod"] == region].itertuples()}


def test_tabell_100_riket_1998_is_the_mean_population():
    t100 = _published("100")
    assert len(t100) == 4 and set(t100["ar"]) == {1998}
    riket = _pop("00")
    ours = bra_rate(t100["antal"].to_numpy(), riket, 1998, convention="mean_population")
    np.testing.assert_array_equal(ours, t100["per_100000_inv"].to_numpy())   # 13 344, 12 067, 1 522, 674
    # 31 December 1997 alone misses all four (13 349, 12 071, 1 523, 675); 31 December 1998
    # alone misses the two largest (13 339, 12 062)
    pub = t100["per_100000_inv"].to_numpy()
    assert (bra_rate(t100["antal"].to_numpy(), riket, 1998, convention="previous_year_end") != pub).all()
    assert (bra_rate(t100["antal"].to_numpy(), riket, 1998, convention="year_end") != pub).sum() == 2
    # the same through the P-table reader (the committed text fixture of Tabell 100)
    parsed = read_bra_ptable(FIX / "tabell100_riket_1998.txt")
    parsed = parsed[parsed["rate_per_100k"].notna()]
    np.testing.assert_array_equal(
        bra_rate(parsed["count"].to_numpy(float), riket, 1998, convention="mean_population"),
        parsed["rate_per_100k"].to_numpy())


def test_p1_jonkopings_lan_2007_is_31_december_of_the_year_before():
    p1 = _published("P1")
    parsed = read_bra_ptable(FIX / "p1_jonkoping_2007.txt")
    parsed = parsed[parsed["rate_per_100k"].notna()][["count", "rate_per_100k"]]
    rows = pd.concat([p1.rename(columns={"antal": "count", "per_100000_inv": "rate_per_100k"})[
        ["count", "rate_per_100k"]], parsed]).astype(float).drop_duplicates()
    assert len(rows) == 5                                 # 36 861, 32 424, 6 539, 2 517 and 7 crimes
    lan = _pop("06")                                      # 331 539 on 31 December 2006
    # the divisor the published rates imply is the population of 31 December 2006 (the rows
    # with at least 1 000 crimes carry enough digits to pin it to the person)
    big = rows[rows["count"] >= 1000]
    implied = big["count"] / big["rate_per_100k"] * 1e5
    assert len(big) == 4 and (implied - lan[2006]).abs().max() < 0.5
    # and each rate is reproduced at the digits P1 prints (up to nine significant digits)
    for r in rows.itertuples():
        digits = len(repr(r.rate_per_100k).split(".")[1].rstrip("0")) if r.rate_per_100k % 1 else 0
        assert bra_rate(r.count, lan, 2007, convention="previous_year_end", decimals=digits) == r.rate_per_100k
    with pytest.raises(KeyError, match="31 December 2007"):   # the same year's figure is not known here
        bra_rate(36861, lan, 2007, convention="mean_population")


def test_statistikdatabas_month_is_31_december_of_the_year_before():
    crimes = read_bra_long(REAL / "bra_statistikdatabas_manad_norrbotten_2026-08.csv")
    pop = read_pxweb_population(REAL / "scb_v2_jsonstat2_TAB638_norrbotten_2025.json")
    for k, grp in crimes.groupby("kommunkod"):
        pops = {2025: float(pop.loc[pop["kommunkod"] == k, "population"].sum())}
        ours = bra_rate(grp["count"].to_numpy(float), pops, 2026, convention=conventions_for("monthly")[0])
        np.testing.assert_array_equal(ours, grp["rate_per_100k"].to_numpy())


def test_rounding_is_half_up_and_conventions_are_named():
    assert round_half_up(0.5) == 1.0 and round_half_up(1617.5) == 1618.0 and round_half_up(-0.4) == 0.0
    assert round_half_up(np.array([2.5, 3.5])).tolist() == [3.0, 4.0]      # not banker's rounding
    assert bra_rate(1, {2025: 200_000}, 2026, convention="previous_year_end") == 1.0   # 0.5 → 1
    assert set(BRA_RATE_CONVENTIONS) == {"previous_year_end", "mean_population", "year_end"}
    assert bra_denominator({2025: 10, 2026: 20}, 2026, "year_end") == 20.0
    with pytest.raises(ValueError, match="expected one of"):
        bra_rate(1, {2025: 1}, 2026, convention="31dec")
    with pytest.raises(ValueError, match="monthly"):
        conventions_for("quarterly")
    with pytest.raises(KeyError, match="31 December 2024"):
        bra_denominator({2025: 10}, 2025, "mean_population")


def _annual(rates: pd.DataFrame, region: str, year: int) -> pd.DataFrame:
    return pd.DataFrame({"kommunkod": region, "period": pd.Period(str(year), "Y"),
                         "count": rates["antal"].to_numpy(), "rate_per_100k": rates["per_100000_inv"].to_numpy()})


def test_the_import_check_tries_the_conventions_of_annual_tables():
    pop = pd.read_csv(FIX / "scb_folkmangd_rate_oracles.csv", dtype={"region_kod": str}).rename(
        columns={"region_kod": "kommunkod"})
    t100 = _annual(_published("100"), "00", 1998)
    p1 = _annual(_published("P1"), "06", 2007)
    assert bra_rate_check(t100, pop) == []                          # medelfolkmängd
    assert bra_rate_check(p1, pop) == []                            # 31 December the year before
    assert bra_rate_check(t100, pop, period_kind="annual") == []
    # as monthly figures (31 December 1997 only) the same published rates are wrong, and it says so
    (line,) = bra_rate_check(t100, pop, period_kind="monthly")
    assert line.startswith("00 1998: Brå's published rates do not match the population of 31 December 1997 "
                           "(8 847 625) in 4 of 4 rows")
    # a wrong population for an annual table names both conventions it tried
    (line,) = bra_rate_check(t100, pop.assign(population=pop["population"] + 50_001))
    assert "the mean population of 1998 (8 900 974,5, medelfolkmängd) in 4 of 4 rows" in line
    assert "or the population of 31 December 1997 (8 897 626) in 4 of 4 rows" in line


def test_import_of_an_annual_table_checks_the_rates(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    # Boden 2025 as an annual statistikdatabas table; populations 2024 and 2025 (2024 is a
    # placeholder: the point is which convention the check applies, not the figure)
    (src / "ar.csv").write_text("År;Kommun;Brott;Brott_ID;Antal;Per100000\n"
                                "2025;Boden;Totalt antal brott;5036;2 610;9 110\n", encoding="utf-8")
    (src / "pop.csv").write_text("kommunkod,year,population\n2582,2024,28673\n2582,2025,28624\n")
    (src / "crimes.csv").write_text("kommunkod,period,crime_type,count\n2582,2025-01,Samtliga brott,200\n")
    res = import_exports(src, tmp_path / "out")
    assert res.ok, res.render()
    # 2 610 / mean(28 673, 28 624) × 100 000 = 9 110.4 → 9 110: reproduced, no warning
    assert res.warnings == []
    (src / "ar.csv").write_text("År;Kommun;Brott;Brott_ID;Antal;Per100000\n"
                                "2025;Boden;Totalt antal brott;5036;2 610;9 200\n", encoding="utf-8")
    res = import_exports(src, tmp_path / "out2")
    assert res.ok and len(res.warnings) == 1 and "medelfolkmängd" in res.warnings[0]


@pytest.mark.parametrize("doc, heading", [("data-model.md", "## Brå's rates"),
                                          ("crime-statistics.md", "### Reproducing Brå's published rate")])
def test_the_worked_examples_in_the_docs_run(doc, heading):
    import doctest

    text = (Path(__file__).resolve().parents[2] / "docs" / doc).read_text(encoding="utf-8")
    section = text[text.index(heading):]
    section = section[:section.index("\n#", 1)]
    block = section.split("```pycon\n", 1)[1].split("```", 1)[0]
    test = doctest.DocTestParser().get_doctest(block, {}, doc, doc, 0)
    assert len(test.examples) >= 2
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
