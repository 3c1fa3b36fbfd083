"""Which comparisons the data cover, and what the draft says about the others."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.report.analysis import analys_text, problem_table
from analysis.report.coverage import NOT_COMPARED, Coverage, missing_comparison_text
from analysis.report.findings import lagesbild_summary
from analysis.report.tables import omfattning_table

ONE = Coverage("1760", "Storfors", "Värmlands län", 1, 290, 1, 16, 0, 15)
LAN = Coverage("1760", "Storfors", "Värmlands län", 16, 290, 16, 16, 2, 15)
ALL = Coverage("1760", "Storfors", "Värmlands län", 290, 290, 16, 16, 15, 15)


def test_a_comparison_needs_every_kommun_of_it():
    assert ONE.missing == ("riket", "lan", "liknande")
    assert LAN.missing == ("riket", "liknande") and LAN.covers("lan")
    assert ALL.missing == () and missing_comparison_text(ALL) == ""
    with pytest.raises(ValueError, match="expected one of riket, lan, liknande"):
        ONE.covers("kommungrupp")


def test_the_sentences_say_what_is_missing_why_and_what_to_add():
    lan = missing_comparison_text(ONE, ["lan"])
    assert lan.startswith("Jämförelsen med Värmlands län saknas. Datamappen har anmälda brott för "
                          "1 av länets 16 kommuner, och länets nivå räknas som en summa över alla dess kommuner")
    assert "för alla kommuner i Värmlands län" in lan
    group = missing_comparison_text(LAN, ["liknande"])
    assert "2 av de 15 kommunerna i jämförelsegruppen" in group
    assert "för kommunerna i jämförelsegruppen" in group
    assert missing_comparison_text(LAN, ["riket", "lan"]).startswith("Jämförelsen med riket saknas.")
    assert "`lagesbild import`" in group


def _levels(compared: bool) -> pd.DataFrame:
    nan = float("nan")
    return pd.DataFrame({"crime_type": ["Rån (inkl. grovt)"], "count": [40], "rate": [120.0],
                         "ci_low": [86.0], "ci_high": [163.0], "small_numbers": [False],
                         "rate_lan": [nan], "rate_riket": [nan], "expected": [nan],
                         "ratio_riket": [nan], "ratio_low": [nan], "ratio_high": [nan],
                         "verdict_riket": ["ej bedömbar"], "verdict_uncorrected": ["ej bedömbar"],
                         "compared": [compared]})


def test_without_riket_the_draft_shows_the_kommun_and_claims_no_comparison():
    table = omfattning_table(_levels(False))
    assert list(table.columns) == ["Brottstyp", "Antal", "Per 100 000 (95 % KI)"]
    assert table.iloc[0, 2] == "120 (86–163)"
    changes = pd.DataFrame({"crime_type": ["Rån (inkl. grovt)"], "verdict": ["ingen säkerställd förändring"]})
    trends = pd.DataFrame({"crime_type": ["Rån (inkl. grovt)"], "verdict": ["ingen säkerställd förändring"],
                           "year1": [2015]})
    for compared, tail in ((False, "; jämförelsen med riket saknas i underlaget."),
                           (True, ", och ingen brottstyp skiljer sig statistiskt säkerställt från riket.")):
        s = lagesbild_summary(_levels(compared), changes, trends, year=2025).sentences[0]
        assert s.endswith(tail), s


def test_the_problem_picture_names_the_comparisons_it_could_not_make():
    problems = pd.DataFrame({"crime_type": ["Rån (inkl. grovt)"], "count": [40], "small_numbers": [False],
                             "verdict_riket": [NOT_COMPARED], "verdict_lan": ["ingen säkerställd skillnad"],
                             "verdict_liknande": [NOT_COMPARED], "change_verdict": [""], "change_small": [False],
                             "trend_verdict": [""], "problem": [False], "score": [0.0], "rank": [1]})
    problems.attrs["compared"] = ["lan"]
    text = analys_text(problems, pd.DataFrame(), None, None, kommun="Storfors")
    assert "ingen har en nivå som är säkerställt högre än i länet, och ingen har ökat" in text
    assert "Nivån har inte jämförts med riket eller kommungruppen" in text
    row = problem_table(problems).iloc[0]
    assert (row["Jämfört med riket"], row["Jämfört med länet"]) == (NOT_COMPARED, "ingen säkerställd skillnad")
    problems.attrs.update(compared=["riket", "liknande"], lan_too_small=True)  # Gotland
    table = problem_table(problems)
    assert "Jämfört med länet" not in table.columns  # nothing is missing: there is no län to compare
    assert list(table.columns[:2]) == ["Brottstyp", "Jämfört med riket"]


def test_a_lan_of_one_kommun_is_not_compared_and_the_draft_says_why():
    from analysis.report.coverage import Coverage, missing_comparison_text

    cov = Coverage("0980", "Gotland", "Gotlands län", 290, 290, 1, 1, 15, 15)
    assert cov.lan_too_small and not cov.covers("lan") and cov.covers("riket")
    text = missing_comparison_text(cov, ["riket", "lan"])
    assert text.startswith("Jämförelsen med Gotlands län görs inte: länet har bara en kommun")
    assert "sig själv" in text and "Lägg till" not in text  # no data are missing
    partial = Coverage("0980", "Gotland", "Gotlands län", 1, 290, 1, 1, 0, 15)
    both = missing_comparison_text(partial, ["riket", "lan"])
    assert "bara en kommun" in both and "Jämförelsen med riket saknas" in both
