"""On the package's synthetic sample (analysis.sample): planted trends are recovered.

The sample generator plants a log-linear trend per kommun × crime type (plus AR(1) and gamma
overdispersion) and writes it to the planted truth; the default APC intervals should cover
it about 95 % of the time. Series with a planted measure effect are left out (their trend is
not log-linear by design).
"""

import numpy as np
import pytest

from analysis.crime import compare_periods
from analysis.crime import crime_rates
from analysis.crime import trend
from analysis.sample import generate

KOMMUNER = ["0180", "1480", "1280", "0380", "1760", "2181", "0114", "2580"]


@pytest.fixture(scope="module")
def sample():
    return generate(kommuner=KOMMUNER)


def test_planted_trends_are_covered(sample):
    truth = sample.truth_table("crime_trends")
    effects = {(m["kommunkod"], ct) for m in sample.truth["measures"] if m["effect_planted"]
               for ct in m["target_crime_types"]}
    tab = trend(sample.crimes, sample.population).table
    t = tab.merge(truth, left_on=["area_code", "crime_type"], right_on=["kommunkod", "crime_type"])
    planted = np.array([(k, c) in effects for k, c in zip(t.area_code, t.crime_type)])
    t = t[~planted & t.reliable.to_numpy()]
    cover = (t.ci_low < t.percent_per_year) & (t.percent_per_year < t.ci_high)
    assert len(t) >= 80
    assert cover.mean() >= 0.88


def test_rates_and_comparisons_run_on_preliminary_months(sample):
    rates = crime_rates(sample.crimes, sample.population, period="year")
    last = rates[rates.period == str(sample.crimes.period.max().year)]
    assert last.preliminary.all()
    cmp = compare_periods(sample.crimes, sample.population, period1=2023, period2=2024)
    assert len(cmp) == len(KOMMUNER) * sample.crimes["crime_type"].nunique()  # every series, total and därav too
    assert cmp.reliable.all()
    zero = cmp.x1 == 0
    assert np.isfinite(cmp.rate_ratio[~zero]).all()
    assert cmp.method[zero].str.startswith("exact").all()
