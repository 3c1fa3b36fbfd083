"""Funnel data: Spiegelhalter limits and z-scores, overdispersion options, rank intervals."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.crime import monthly_panel
from analysis.errors import DataError
from analysis.crime import funnel_data, overdispersion, poisson_limits
from analysis.crime.funnel import count_limits, ratio_to_expected
from analysis.municipalities import municipalities

REG = municipalities()


def _frames(lanskod="17", spread=0.3, seed=4, rate=2e-3):
    rng = np.random.default_rng(seed)
    lan = REG[REG["lanskod"] == lanskod] if lanskod else REG
    per = pd.period_range("2024-01", periods=12, freq="M")
    true = rate * np.exp(spread * rng.standard_normal(len(lan)))
    crimes = pd.concat([pd.DataFrame({"kommunkod": k, "period": per, "crime_type": "Bilbrott",
                                      "count": rng.poisson(p * r / 12, 12)})
                        for k, p, r in zip(lan.kommunkod, lan.population, true)], ignore_index=True)
    pop = pd.DataFrame({"kommunkod": lan.kommunkod, "year": 2024, "population": lan.population})
    return crimes, pop


def test_table_limits_and_positions_are_consistent():
    crimes, pop = _frames(lanskod=None, spread=0.3)
    f = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024, focus="1760")
    t = f.table
    assert len(t) == 290 and t.is_peer.all() and t.is_focus.sum() == 1
    assert f.target == pytest.approx(t["count"].sum() / t.person_years.sum() * 1e5)
    np.testing.assert_allclose(t.expected.sum(), t["count"].sum())
    z = (t.estimate / 1e5 - f.target / 1e5) / np.sqrt(f.target / 1e5 / t.person_years)
    np.testing.assert_allclose(t.z, z)
    assert f.dispersion["tau2"] > 0  # the planted between-kommun spread
    # additive default: dispersion 1 + tau2 P / t, z adjusted by it
    d = 1 + f.dispersion["tau2"] * t.person_years / (f.target / 1e5)
    np.testing.assert_allclose(t.dispersion, d)
    np.testing.assert_allclose(t.z_adjusted, t.z / np.sqrt(d))
    # verdict, position, p-value, ratio interval and drawn limits are one computation
    r = ratio_to_expected(t["count"], t.expected, dispersion=d)
    np.testing.assert_allclose(t.ratio_low, r.ratio_low)
    np.testing.assert_allclose(t.p_value, r.p_value)
    big = t["count"] >= 10
    assert ((t.verdict == "högre") == (big & (t.ratio_low > 1))).all()
    assert ((t.verdict == "lägre") == (big & (t.ratio_high < 1))).all()
    assert ((t.ratio_low > 1) == (t.p_value < 0.05) & (t.ratio > 1)).all()
    assert (t.verdict[~big] == "ej bedömbar").all()
    above = t.estimate > t.inner_high * (1 + 1e-9)
    assert (t.position_inner[above] == "över").all()
    assert (t.position_inner[t.estimate < t.inner_high * (1 - 1e-9)] != "över").all()
    assert ((t.position_outer != "inom") <= (t.position_inner != "inom")).all()
    assert (t.inner_high < t.outer_high).all()
    assert set(f.limits.ci_level) == {0.95, 0.998}
    assert "Storfors" in f.summary()


def test_additive_multiplicative_and_none_options():
    crimes, pop = _frames(lanskod=None)
    mult = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024,
                       overdispersion_model="multiplicative")
    phi = mult.dispersion["phi"]
    np.testing.assert_allclose(mult.table.z_adjusted, mult.table.z / np.sqrt(phi))
    # for large expected counts the exact scaled tails approach the normal funnel
    t = mult.table
    half = stats.norm.ppf(0.975) * np.sqrt(phi * mult.target * 1e5 / t.person_years)
    big = t.expected > 2000
    np.testing.assert_allclose(t.inner_high[big], (mult.target + half)[big], rtol=0.01)
    none = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024,
                       overdispersion_model="none").table
    assert (none.dispersion == 1).all()
    lo, hi = count_limits(none.expected)
    np.testing.assert_allclose(none.inner_high / 1e5 * none.person_years, hi)
    add = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024).table
    # overdispersion widens the limits for large kommuner most
    big = add.person_years.idxmax()
    assert add.inner_high[big] - add.target_rate[big] > 2 * (none.inner_high[big] - none.target_rate[big])


def test_small_expected_counts_use_exact_tails_not_a_normal_approximation():
    """Gagnef-type case: 4 cases where 1.5 are expected. The normal approximation gives z = 2.04
    (p = 0.04, 'higher'); the exact Poisson tail P(X >= 4) = 0.066 does not."""
    r = ratio_to_expected(4, 1.5)
    assert r.p_upper[0] == pytest.approx(stats.poisson.sf(3, 1.5))
    assert r.ratio_low[0] < 1 and r.p_value[0] > 0.05
    # in a funnel: a tiny kommun with 4 cases at an expected 1.5 is not 'högre'
    reg = REG.set_index("kommunkod").rename_axis(None)
    per = pd.period_range("2024-01", periods=12, freq="M")
    rate = 1.5 / reg.at["2026", "population"]
    rng = np.random.default_rng(3)
    counts = {k: rng.poisson(p * rate) for k, p in reg["population"].items()}
    counts["2026"] = 4
    crimes = pd.concat([pd.DataFrame({"kommunkod": k, "period": per, "crime_type": "Rån (inkl. grovt)",
                                      "count": [c] + [0] * 11}) for k, c in counts.items()],
                       ignore_index=True)
    pop = pd.DataFrame({"kommunkod": reg.index, "year": 2024,
                        "population": reg["population"].to_numpy()})
    t = funnel_data(crimes, pop, crime_type="Rån (inkl. grovt)", period=2024, threshold=0).table
    me = t[t.area_code == "2026"].iloc[0]
    assert me.verdict != "högre" and me.ratio_low < 1
    # and the small-number rule decides the verdict, not only a star
    t10 = funnel_data(crimes, pop, crime_type="Rån (inkl. grovt)", period=2024).table
    assert t10.loc[t10.area_code == "2026", "verdict"].iloc[0] == "ej bedömbar"


def test_rank_intervals():
    crimes, pop = _frames(lanskod=None, spread=0.6, rate=5e-3)
    t = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024, seed=1).table
    assert (t.rank_low <= t.rank_median).all() and (t.rank_median <= t.rank_high).all()
    assert (t.rank_low >= 1).all() and (t.rank_high <= 290).all()
    assert sorted(t["rank_observed"]) == list(range(1, 291))
    # the rank shown is always inside its own interval (Karlskrona: "277 (176–274)" before)
    assert ((t.rank_low <= t["rank"]) & (t["rank"] <= t.rank_high)).all()
    assert (t["rank"] == t.rank_median).all()
    width = t.rank_high - t.rank_low
    # small kommuner have wider rank intervals than large ones
    assert width[t.person_years < 10_000].median() > 2 * width[t.person_years > 100_000].median()
    again = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024, seed=1).table
    pd.testing.assert_series_equal(t.rank_low, again.rank_low)


def test_peers_lan_and_focus_outside_the_peers():
    crimes, pop = _frames("17")
    f = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024, peers="lan", focus="1760")
    assert len(f.table) == 16
    peers = ["1780", "1761", "1762", "1763"]
    g = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024, peers=peers, focus="1760")
    t = g.table
    assert len(t) == 5 and not t.loc[t.is_focus, "is_peer"].iloc[0]
    sel = t[t.is_peer]
    assert g.target == pytest.approx(sel["count"].sum() / sel.person_years.sum() * 1e5)


def test_panel_route_equals_frame_route():
    crimes, pop = _frames("13")
    panel = monthly_panel(crimes, pop)
    a = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024, peers="lan", focus="1380")
    b = funnel_data(panel, crime_type="Bilbrott", period=2024, peers="lan", focus="1380")
    pd.testing.assert_frame_equal(a.table, b.table)


def test_missing_peers_are_an_error():
    crimes, pop = _frames("17")
    with pytest.raises(DataError, match="peer kommuner have no"):
        funnel_data(crimes, pop, crime_type="Bilbrott", period=2024)
    with pytest.raises(ValueError, match="focus"):
        funnel_data(crimes, pop, crime_type="Bilbrott", period=2024, peers="lan")


def test_overdispersion_test_statistic():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(2000)
    d = overdispersion(z, np.ones(2000), winsor=0)
    assert d["phi"] == pytest.approx(1, abs=0.1) and d["df"] == 1999
    w = overdispersion(np.r_[z[:50], 40.0], np.ones(51), winsor=0.1)
    assert w["phi"] < 3  # one outlier does not blow up the winsorised estimate
    with pytest.raises(DataError):
        overdispersion([1.0, 2.0], [1, 1])
