"""Rates per inhabitant: Kolada definitions, aggregation to län and riket, small numbers."""

import numpy as np
import pandas as pd
import pytest

from analysis.crime import crime_rates, monthly_panel
from analysis.errors import DataError
from analysis.municipalities import municipalities

HALLAND = municipalities().query("lanskod == '13'")


def _frames(codes, months="2021-01", n=36, seed=1, types=("Bilbrott", "Cykelstöld")):
    rng = np.random.default_rng(seed)
    per = pd.period_range(months, periods=n, freq="M")
    rows = []
    for k in codes:
        for ct in types:
            rows.append(pd.DataFrame({"kommunkod": k, "period": per, "crime_type": ct,
                                      "count": rng.poisson(rng.uniform(1, 40), n)}))
    crimes = pd.concat(rows, ignore_index=True)
    crimes["status"] = np.where(crimes["period"] >= per[-3], "preliminär", "slutlig")
    years = sorted(set(per.year))
    pop = pd.DataFrame([(k, y, int(rng.integers(5_000, 120_000))) for k in codes for y in years],
                       columns=["kommunkod", "year", "population"])
    return crimes, pop


def test_calendar_year_rate_is_the_kolada_definition():
    crimes, pop = _frames(["1315", "1380"])
    r = crime_rates(crimes, pop, period="year")
    for row in r.itertuples():
        c = crimes[(crimes.kommunkod == row.area_code) & (crimes.crime_type == row.crime_type)
                   & (crimes.period.dt.year == int(row.period))]["count"].sum()
        p = pop[(pop.kommunkod == row.area_code) & (pop.year == int(row.period))]["population"].iloc[0]
        assert row.count == c
        assert row.estimate == pytest.approx(c / p * 1e5, rel=1e-12)
        assert row.ci_low <= row.estimate <= row.ci_high
        assert row.complete and row.n_months == 12


def test_lan_and_riket_are_sums_of_kommuner():
    crimes, pop = _frames(HALLAND["kommunkod"])
    r = crime_rates(crimes, pop, level=["kommun", "lan"], period="year")
    lan = r[(r.level == "lan") & (r.crime_type == "Bilbrott") & (r.period == "2022")].iloc[0]
    kom = r[(r.level == "kommun") & (r.crime_type == "Bilbrott") & (r.period == "2022")]
    assert lan.area_code == "13" and lan.area_name == "Hallands län"
    assert lan["count"] == kom["count"].sum()
    assert lan.estimate == pytest.approx(kom["count"].sum() / kom["population"].sum() * 1e5)


def test_partial_aggregates_are_refused_or_labelled():
    crimes, pop = _frames(HALLAND["kommunkod"][:3])
    with pytest.raises(DataError, match="Hallands län: 3 of 6 kommuner"):
        crime_rates(crimes, pop, level="lan")
    r = crime_rates(crimes, pop, level="riket", allow_partial=True)
    assert r["area_name"].str.contains("delvis: 3 av 290").all()


def test_rolling_and_three_year_windows():
    crimes, pop = _frames(["1315"], n=48)
    roll = crime_rates(crimes, pop, period="rolling12")
    year = crime_rates(crimes, pop, period="year")
    dec = roll[roll.period_end == pd.Period("2022-12", "M")]
    y22 = year[year.period == "2022"]
    np.testing.assert_allclose(dec.sort_values("crime_type").estimate, y22.sort_values("crime_type").estimate)
    assert len(roll) == 2 * (48 - 11)
    three = crime_rates(crimes, pop, period="3year")
    assert set(three.period) == {"2021–2023", "2022–2024"}
    row = three[(three.period == "2021–2023") & (three.crime_type == "Bilbrott")].iloc[0]
    yy = year[(year.crime_type == "Bilbrott") & year.period.isin(["2021", "2022", "2023"])]
    # population-weighted mean of the annual rates = 3-year count / 3-year population
    assert row.estimate == pytest.approx(np.average(yy.estimate, weights=yy.population), rel=1e-12)


def test_incomplete_year_and_preliminary_months_are_marked():
    crimes, pop = _frames(["1315"], n=30)
    r = crime_rates(crimes, pop, period="year")
    last = r[r.period == "2023"].iloc[0]
    assert not last.complete and last.n_months == 6 and last.preliminary
    assert not r[r.period == "2021"].iloc[0].preliminary


def test_small_numbers_flag_and_suppress():
    crimes, pop = _frames(["1315"], n=12)
    crimes["count"] = 0
    crimes.loc[crimes.index[:3], "count"] = 2
    flag = crime_rates(crimes, pop)
    assert flag["small_numbers"].all() and not flag["suppressed"].any()
    assert flag["suppressed_reason"].str.startswith("färre än 10 fall").all()
    sup = crime_rates(crimes, pop, small_numbers="suppress")
    assert sup["estimate"].isna().all() and sup["suppressed"].all()
    assert (sup["count"] == flag["count"]).all()  # the count is still shown


def test_zero_count_interval_is_one_sided():
    crimes, pop = _frames(["1315"], n=12, types=("Bilbrott",))
    crimes["count"] = 0
    r = crime_rates(crimes, pop).iloc[0]
    assert r.estimate == 0 and r.ci_low == 0 and r.ci_high > 0


def test_bad_input_is_reported():
    crimes, pop = _frames(["1315"], n=12)
    with pytest.raises(DataError, match="gap in the monthly series"):
        crime_rates(crimes.drop(index=4), pop)
    with pytest.raises(DataError, match="duplicate rows"):
        crime_rates(pd.concat([crimes, crimes.iloc[:1]]), pop)
    with pytest.raises(DataError, match="no population for kommun 1315 in 2021"):
        crime_rates(crimes, pop.assign(year=2020))
    ok = crime_rates(crimes, pop.assign(year=2020), population_fallback="nearest")
    assert len(ok) == 2


def test_text_input_goes_through_the_validator():
    crimes, pop = _frames(["1315"], n=12)
    text = crimes.astype({"period": str, "count": str})
    r = crime_rates(text, pop)
    assert r["count"].sum() == crimes["count"].sum()
    text.loc[0, "kommunkod"] = "315"
    with pytest.raises(DataError, match="leading zero"):
        crime_rates(text, pop)


def test_panel_exposure_is_person_years():
    crimes, pop = _frames(["1315"], n=24)
    p = monthly_panel(crimes, pop)
    y21 = pop[(pop.year == 2021)]["population"].iloc[0]
    assert p.exposure[0, :12].sum() == pytest.approx(y21)
    assert p.exposure[0, 1] == pytest.approx(y21 * 28 / 365)
