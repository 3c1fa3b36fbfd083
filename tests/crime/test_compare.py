"""Period and area comparisons: exact test details, the default, fallbacks and verdicts."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.crime.compare import _binom_two_sided
from analysis.crime import compare_areas, compare_periods, poisson_exact
from analysis.crime import MonthlyPanel
from analysis.errors import DataError

CONTRACT = ["level", "area_code", "area_name", "crime_type", "x1", "t1", "x2", "t2", "rate1",
            "rate2", "rate_ratio", "ci_low", "ci_high", "ci_level", "p_value", "method",
            "n_months", "dispersion", "small_numbers", "verdict", "variable", "estimate", "se",
            "df", "deff", "n", "n_eff", "suppressed", "suppressed_reason", "reliable", "caveat"]


def test_binomial_two_sided_p_by_enumeration():
    """R binom.test's rule, computed the slow way: sum P(k) over k with P(k) <= P(x)(1+1e-7)."""
    rng = np.random.default_rng(3)
    for _ in range(150):
        n = int(rng.integers(1, 400))
        p = float(rng.uniform(0.02, 0.98))
        x = int(rng.integers(0, n + 1))
        pmf = stats.binom.pmf(np.arange(n + 1), n, p)
        want = min(1.0, pmf[pmf <= pmf[x] * (1 + 1e-7)].sum())
        assert _binom_two_sided(x, n, p) == pytest.approx(want, rel=1e-9, abs=1e-14)


def test_exact_test_symmetry_and_edge_cases():
    a = poisson_exact(12, 1.0, 30, 1.2)
    b = poisson_exact(30, 1.2, 12, 1.0)
    assert a.rate_ratio[0] == pytest.approx(1 / b.rate_ratio[0])
    assert a.ci_low[0] == pytest.approx(1 / b.ci_high[0])
    assert a.p_value[0] == pytest.approx(b.p_value[0])
    z = poisson_exact([0, 5, 0], [1, 1, 1], [5, 0, 0], [1, 1, 1])
    assert np.isinf(z.rate_ratio[0]) and np.isinf(z.ci_high[0]) and z.ci_low[0] > 0
    assert z.rate_ratio[1] == 0 and z.ci_low[1] == 0
    assert np.isnan(z.rate_ratio[2]) and z.p_value[2] == 1
    with pytest.raises(ValueError):
        poisson_exact(1.5, 1, 2, 1)


def _panel(level=25.0, years=10, seed=5, S=3, jump=1.0):
    rng = np.random.default_rng(seed)
    per = pd.period_range(f"{2025 - years}-01", periods=12 * years, freq="M")
    lam = np.full((S, per.size), float(level))
    lam[:, -12:] *= jump
    keys = pd.DataFrame({"level": "kommun", "area_code": [f"k{i}" for i in range(S)],
                         "area_name": "", "crime_type": "Bilbrott"})
    return MonthlyPanel.from_arrays(rng.poisson(lam), per, population=np.full(per.size, 20_000),
                                    keys=keys)


def test_compare_periods_contract_and_arithmetic():
    p = _panel()
    r = compare_periods(p, period1=2023, period2=2024)
    assert list(r.columns[:4]) == ["level", "area_code", "area_name", "crime_type"]
    assert set(CONTRACT) <= set(r.columns)
    y = p.counts
    m1, m2 = np.asarray(p.periods.year) == 2023, np.asarray(p.periods.year) == 2024
    np.testing.assert_array_equal(r.x1, y[:, m1].sum(1))
    np.testing.assert_allclose(r.t2, p.exposure[:, m2].sum(1))
    np.testing.assert_allclose(r.rate_ratio, (r.x2 / r.t2) / (r.x1 / r.t1))
    np.testing.assert_allclose(r.rate1, r.x1 / r.t1 * 1e5)
    ex = poisson_exact(r.x1, r.t1, r.x2, r.t2)
    np.testing.assert_allclose(r.exact_ci_low, ex.ci_low)
    assert (r.period1 == "2023").all() and (r.period2 == "2024").all()
    assert (r.ci_low < r.rate_ratio).all() and (r.rate_ratio < r.ci_high).all()
    # Wald-t on the log scale: CI and p-value agree about significance
    assert ((r.p_value < 0.05) == ((r.ci_low > 1) | (r.ci_high < 1))).all()


def test_verdicts_follow_the_interval():
    up = compare_periods(_panel(level=60, jump=1.6), period1=2023, period2=2024)
    assert (up.verdict == "ökning").all()
    down = compare_periods(_panel(level=60, jump=0.6), period1=2023, period2=2024)
    assert (down.verdict == "minskning").all()
    same = compare_periods(_panel(level=60, jump=1.0, seed=9), period1=2023, period2=2024,
                           method="exact")
    assert set(same.verdict) <= {"ingen säkerställd förändring", "ökning", "minskning"}


def test_short_history_falls_back_and_says_so():
    r = compare_periods(_panel(years=3), period1=2023, period2=2024)
    assert not r.reliable.any()
    assert r.caveat.str.contains("för kort historik").all()
    assert (r.verdict == "ingen säkerställd förändring").all()
    assert r.method.str.contains("monthly").all()


def test_zero_count_uses_the_exact_interval():
    p = _panel(level=0.15, seed=2, S=30)
    r = compare_periods(p, period1=2023, period2=2024)
    zero = (r.x1 == 0) | (r.x2 == 0)
    assert zero.any()
    assert r.loc[zero, "method"].str.startswith("exact conditional").all()
    assert r.small_numbers.all() and r.percent_change.isna().all()
    assert r.percent_change_note.str.contains("inte procent").all()


def test_overdispersed_series_widen_the_default_interval():
    rng = np.random.default_rng(4)
    per = pd.period_range("2015-01", periods=120, freq="M")
    lam = 150 * np.exp(0.25 * rng.standard_normal((20, 120)))
    p = MonthlyPanel.from_arrays(rng.poisson(lam), per, population=np.full(120, 1e5))
    r = compare_periods(p, period1=2023, period2=2024)
    assert (r.dispersion > 3).all()
    width = np.log(r.ci_high / r.ci_low)
    naive = np.log(r.exact_ci_high / r.exact_ci_low)
    assert (width > 1.5 * naive).all()


def test_periods_as_ranges_and_errors():
    p = _panel()
    r = compare_periods(p, period1=("2023-07", "2024-06"), period2=("2024-07", "2024-12"))
    assert (r.n_months == 18).all() and (r.period2 == "2024-07–2024-12").all()
    with pytest.raises(DataError, match="overlap"):
        compare_periods(p, period1=2023, period2=("2023-06", "2024-06"))
    with pytest.raises(DataError, match="no months"):
        compare_periods(p, period1=2001, period2=2024)
    with pytest.raises(ValueError, match="method"):
        compare_periods(p, period1=2023, period2=2024, method="wald")


def _kommun_frames():
    per = pd.period_range("2016-01", periods=96, freq="M")
    rng = np.random.default_rng(8)
    codes = ["1760", "1780", "1761", "1762"]
    crimes = pd.concat([pd.DataFrame({"kommunkod": k, "period": per, "crime_type": "Bilbrott",
                                      "count": rng.poisson(lam, 96)})
                        for k, lam in zip(codes, [6, 40, 8, 9])], ignore_index=True)
    pop = pd.DataFrame({"kommunkod": np.repeat(codes, 8), "year": np.tile(np.arange(2016, 2024), 4),
                        "population": np.repeat([3800, 40000, 9000, 11000], 8)})
    return crimes, pop


def test_compare_areas_against_an_explicit_reference():
    crimes, pop = _kommun_frames()
    r = compare_areas(crimes, pop, area="1760", reference=["1780", "1761"], period=2023).iloc[0]
    sel = crimes[crimes.period.dt.year == 2023]
    assert r.x2 == sel[sel.kommunkod == "1760"]["count"].sum()
    assert r.x1 == sel[sel.kommunkod.isin(["1780", "1761"])]["count"].sum()
    assert r.reference_name == "Karlstad, Hammarö"
    assert r.verdict in {"högre", "lägre", "ingen säkerställd skillnad"}
    with pytest.raises(DataError, match="overlap"):
        compare_areas(crimes, pop, area="1760", reference=["1760", "1780"], period=2023)
    with pytest.raises(DataError, match="no crime data"):
        compare_areas(crimes, pop, area="1760", reference="lan", period=2023)


def test_fdr_columns_over_the_family():
    p = _panel(level=30, S=40, seed=21)
    r = compare_periods(p, period1=2023, period2=2024)
    assert (r.q_value >= r.p_value - 1e-15).all() and (r.n_tests == 40).all()
    changed = r.verdict != "ingen säkerställd förändring"
    assert ((r.verdict_fdr != "ingen säkerställd förändring") <= changed).all()
    per_area = compare_periods(p, period1=2023, period2=2024, fdr_by=["area_code"])
    assert (per_area.n_tests == 1).all()
    np.testing.assert_allclose(per_area.q_value, per_area.p_value)
