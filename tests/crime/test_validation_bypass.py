"""Typed frames (Period months, integer counts) skip coercion, never the value checks (issue 15.6)."""

import numpy as np
import pandas as pd
import pytest

from analysis.crime import compare_periods, monthly_panel, trend
from analysis.errors import DataError
from analysis.schema_values import check_values

MONTHS = pd.period_range("2016-01", periods=96, freq="M")


def _typed(code="1760", crime_type="Misshandel (inkl. grov)", counts=None):
    counts = np.full(96, 5, dtype=np.int64) if counts is None else counts
    crimes = pd.DataFrame({"kommunkod": code, "period": MONTHS, "crime_type": crime_type,
                           "count": counts})
    pop = pd.DataFrame({"kommunkod": code, "year": np.arange(2016, 2024), "population": 3800})
    assert crimes["period"].dtype == pd.PeriodDtype("M")
    assert pd.api.types.is_integer_dtype(crimes["count"].dtype)
    return crimes, pop


def test_typed_frame_passes_when_values_are_right():
    crimes, pop = _typed()
    assert monthly_panel(crimes, pop).counts.shape == (1, 96)


@pytest.mark.parametrize("bad, word", [
    (dict(code="9999"), "kommun code"),
    (dict(crime_type="Trolldom"), "not a Brå crime type"),
    (dict(counts=np.r_[-1, np.full(95, 5)].astype(np.int64)), "out of range"),
])
def test_typed_frame_with_bad_values_is_refused(bad, word):
    crimes, pop = _typed(**bad)
    pop["kommunkod"] = "1760"  # the population is fine; the crimes frame is not
    for call in (lambda: monthly_panel(crimes, pop),
                 lambda: trend(crimes, pop),
                 lambda: compare_periods(crimes, pop, period1=2022, period2=2023)):
        with pytest.raises(DataError, match=word):
            call()


def test_status_vocabulary_is_checked_on_typed_frames():
    crimes, pop = _typed()
    crimes["status"] = "kanske"
    with pytest.raises(DataError, match="status"):
        monthly_panel(crimes, pop)


def test_check_values_reports_every_problem_with_rows():
    crimes, _ = _typed()
    crimes.loc[[3, 7], "kommunkod"] = "9999"
    crimes.loc[5, "crime_type"] = "Trolldom"
    with pytest.raises(DataError) as e:
        check_values(crimes, "crimes")
    msg = str(e.value)
    assert "3 problems" in msg and "row 5," in msg and "row 9," in msg and "row 7," in msg


def test_typed_label_variants_are_canonicalised_as_text_input_is():
    crimes, pop = _typed(crime_type="Rån")  # Brå's short label: the validator maps it
    p = monthly_panel(crimes, pop)
    assert p.keys["crime_type"].tolist() == ["Rån (inkl. grovt)"]


def test_typed_daily_periods_go_through_the_full_validator():
    crimes, pop = _typed()
    crimes["period"] = crimes["period"].dt.asfreq("D", how="start")
    p = monthly_panel(crimes, pop)
    assert p.periods.freqstr == "M" and p.counts.shape == (1, 96)
