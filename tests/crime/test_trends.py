"""Trends: APC table contract, joinpoint selection and AAPC, seasonal profile."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.crime import MonthlyPanel
from analysis.crime import joinpoints, seasonal_terms, seasonality_profile, trend
from analysis.errors import DataError

PER = pd.period_range("2014-01", periods=132, freq="M")


def _series(mu, seed=0, S=1):
    rng = np.random.default_rng(seed)
    y = rng.poisson(np.broadcast_to(mu, (S, PER.size)))
    return MonthlyPanel.from_arrays(y, PER, population=np.full(PER.size, 100_000))


def test_trend_table_contract_and_recovery():
    t = np.arange(132) / 12
    res = trend(_series(200 * 1.05 ** t * np.exp(0.2 * np.cos(2 * np.pi * PER.month / 12)), S=5))
    tab = res.table
    for c in ("level", "area_code", "crime_type", "variable", "estimate", "se", "ci_low",
              "ci_high", "ci_level", "df", "deff", "n", "n_eff", "method", "suppressed",
              "suppressed_reason", "p_value", "reliable", "caveat", "verdict"):
        assert c in tab
    # pure Poisson: 9 block df where the block dispersion is at least 1; where it is below,
    # the floor gives the Poisson variance, known, with the normal reference (issue 15)
    assert (tab.variable == "apc").all()
    bind = tab.df == np.inf
    assert ((tab.df == 9) | bind).all() and (tab.deff[bind] == 1).all()
    assert (tab.deff[~bind] * stats.t.ppf(0.975, 9) ** 2 >= stats.norm.ppf(0.975) ** 2).all()
    assert ((tab.ci_low < 5) & (5 < tab.ci_high)).sum() >= 4
    assert (tab.verdict == "ökning").all()
    assert res.design_columns == ("intercept", "t", "sin1", "cos1", "sin2", "cos2")
    assert "Trend (APC" in res.summary()


def test_standard_error_options_and_families():
    p = _series(30 * np.ones(132), S=3)
    base = trend(p).table
    for se in ("hac", "quasi", "model"):
        alt = trend(p, se=se).table
        np.testing.assert_allclose(alt.estimate, base.estimate)
        assert (alt.se > 0).all()
    nb = trend(p, family="negbin").table
    assert nb.method.str.contains("negbin").all()
    with pytest.raises(ValueError, match="quasi-Poisson"):
        trend(p, family="negbin", se="block")
    months = trend(p, seasonality="month").model.params.shape[1]
    assert months == 13


def test_series_without_events_is_flagged_not_estimated():
    y = np.zeros((2, 132))
    y[1] = 3
    p = MonthlyPanel.from_arrays(y, PER, population=np.full(132, 5000))
    tab = trend(p).table
    assert np.isnan(tab.estimate[0]) and not tab.reliable[0]
    assert "inga brott" in tab.caveat[0]
    assert tab.verdict[0] == "ingen säkerställd förändring"


def test_joinpoint_found_where_planted_and_aapc_is_the_weighted_mean():
    i = np.arange(132)
    mu = 150 * np.exp(np.where(i < 70, 0.06 * i / 12, 0.06 * 70 / 12 - 0.10 * (i - 70) / 12))
    jp = joinpoints(_series(mu, seed=3), max_joinpoints=2)
    assert jp.n_joinpoints == 1
    loc = jp.joinpoints["location"].iloc[0]
    assert abs((loc - PER[70]).n) <= 4
    seg = jp.table[jp.table.variable == "apc"]
    aapc = jp.table[jp.table.variable == "aapc"].iloc[0]
    psi = jp.joinpoints["location_years_centered"].iloc[0]
    t0, t1 = -(131 / 2) / 12, (131 / 2) / 12
    w = np.array([psi - t0, t1 - psi]) / (t1 - t0)
    assert aapc.log_slope == pytest.approx(w @ seg.log_slope.to_numpy(), rel=1e-12)
    assert seg.iloc[0].verdict == "ökning" and seg.iloc[1].verdict == "minskning"
    assert jp.selection.chosen.sum() == 1
    assert "brytpunkt 1" in jp.summary()


def test_no_joinpoint_is_chosen_for_a_straight_overdispersed_line():
    rng = np.random.default_rng(12)
    chosen = []
    for seed in range(4):
        e = rng.normal(0, 0.1, 132)
        p = _series(80 * np.exp(0.03 * np.arange(132) / 12 + e), seed=seed)
        chosen.append(joinpoints(p, max_joinpoints=2).n_joinpoints)
    assert chosen.count(0) >= 3


def test_joinpoints_with_zero_equal_the_plain_trend():
    p = _series(60 * 1.02 ** (np.arange(132) / 12), seed=4)
    jp = joinpoints(p, n_joinpoints=0)
    tr = trend(p).table.iloc[0]
    row = jp.table[jp.table.variable == "aapc"].iloc[0]
    for c in ("estimate", "ci_low", "ci_high", "p_value"):
        assert row[c] == pytest.approx(tr[c], rel=1e-9)


def test_joinpoints_needs_one_series_and_room():
    p = _series(np.full(132, 20.0), S=2)
    with pytest.raises(DataError, match="one series"):
        joinpoints(p)
    short = MonthlyPanel.from_arrays(np.full(30, 5.0), PER[:30], population=np.full(30, 1e4))
    with pytest.raises(DataError, match="cannot hold 2 joinpoints"):
        joinpoints(short, n_joinpoints=2)


def test_seasonality_profile_ratios_and_positions():
    mu = 60 * np.exp(0.35 * np.cos(2 * np.pi * (PER.month - 1) / 12))
    prof = seasonality_profile(_series(mu, seed=6))
    assert len(prof) == 12
    assert np.exp(np.log(prof.estimate).mean()) == pytest.approx(1.0, rel=1e-12)
    assert prof.loc[prof.month == 1, "position"].iloc[0] == "hög"
    assert prof.loc[prof.month == 7, "position"].iloc[0] == "låg"
    assert prof.seasonality_p_value.iloc[0] < 1e-6
    assert sorted(prof["rank"]) == list(range(1, 13))
    with pytest.raises(DataError, match="24 months"):
        seasonality_profile(MonthlyPanel.from_arrays(np.ones(20), PER[:20], population=np.ones(20)))


def test_seasonal_terms():
    X, names = seasonal_terms(np.arange(1, 13), harmonics=6)
    assert X.shape == (12, 11) and "sin6" not in names
    X, names = seasonal_terms(np.arange(1, 13), seasonality="month")
    assert X.sum() == 11 and names[0] == "month2"
    with pytest.raises(ValueError):
        seasonal_terms([1], seasonality="weekly")


def test_series_without_a_finite_maximum_gets_no_estimate():
    y = np.zeros((1, 132))
    y[0, [5, 17]] = 1  # two events in the same calendar month: seasonal terms fit them exactly
    p = MonthlyPanel.from_arrays(y, PER, population=np.full(132, 5000))
    tab = trend(p, seasonality="month").table.iloc[0]
    assert not tab.converged and np.isnan(tab.estimate) and not tab.reliable
    assert tab.caveat == "modellen konvergerade inte"
