"""The lägesbild's figures show the kommun's notable crime types (issue 11, item 7)."""

import pandas as pd
import pytest

from analysis.report import content as rc


def test_notable_types_come_from_the_verdicts_problems_first():
    levels = pd.DataFrame({"crime_type": ["Misshandel (inkl. grov)", "Bostadsinbrott", "Cykelstöld",
                                          "Bilbrott"],
                           "count": [500, 140, 300, 8], "ratio_riket": [0.6, 2.06, 0.5, 4.0],
                           "verdict_riket": ["lägre", "högre", "lägre", "högre"],
                           "small_numbers": [False, False, False, True]})
    changes = pd.DataFrame({"crime_type": ["Cykelstöld", "Ofredande"], "x1": [250, 359],
                            "x2": [300, 231], "verdict": ["ökning", "minskning"],
                            "survives": [True, False], "small_numbers": [False, False]})
    t = rc.notable_crime_types(levels, changes, n=3)
    # the one problem first (bostadsinbrott higher), then by crimes a year; the small-number
    # bilbrott and the change that does not survive FDR (ofredande) are never chosen
    assert list(t["crime_type"]) == ["Bostadsinbrott", "Cykelstöld", "Misshandel (inkl. grov)"]
    assert t["significant"].all()
    assert "Bilbrott" not in set(t["crime_type"]) and "Ofredande" not in set(t["crime_type"])


def test_nothing_significant_shows_the_most_common_type_and_says_so():
    levels = pd.DataFrame({"crime_type": ["Misshandel (inkl. grov)", "Skadegörelsebrott"],
                           "count": [40, 90], "ratio_riket": [1.1, 0.9],
                           "verdict_riket": ["ingen säkerställd skillnad"] * 2,
                           "small_numbers": False})
    changes = pd.DataFrame({"crime_type": ["Skadegörelsebrott"], "x1": [80], "x2": [90],
                            "verdict": ["ingen säkerställd förändring"], "survives": [False],
                            "small_numbers": [False]})
    t = rc.notable_crime_types(levels, changes)
    assert t.to_dict("records") == [{"crime_type": "Skadegörelsebrott",
                                     "reason": "vanligaste brottstypen; ingen säkerställd avvikelse",
                                     "excess_per_year": 0.0, "problem": False, "significant": False}]
    with pytest.raises(ValueError, match="at least 1"):
        rc.notable_crime_types(levels, changes, n=0)


def test_karlskronas_outlier_is_plotted(full_sample):
    # the issue: the figures were hard-coded to misshandel; Karlskrona's clear problem,
    # bostadsinbrott (about twice riket's level), was never plotted
    ctx = rc.make_context(full_sample, "1080")
    t = rc.notable_crime_types(rc.omfattning(ctx), rc.forandring(ctx))
    assert t.iloc[0]["crime_type"] == "Bostadsinbrott" and t.iloc[0]["problem"]
