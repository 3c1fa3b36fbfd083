"""Power and minimum detectable effect."""

import numpy as np
import pandas as pd
import pytest

from analysis.evaluation import power_analysis
from analysis.evaluation.power import noise_parameters


def _history(level, months=72, seed=0):
    per = pd.period_range("2016-01", periods=months, freq="M")
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"period": per, "count": rng.poisson(level, months), "population": 10_000})


def test_small_kommun_cannot_detect_small_effects():
    # the issue: ~4 violent crimes a month and a year of follow-up detect little short of halving
    res = power_analysis(_history(4.0), followup_months=(12, 36),
                         rate_ratios=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), n_sim=200)
    mde = res.mde.set_index("followup_months")
    assert mde.at[12, "mde_reduction_pct"] > 40
    assert mde.at[36, "mde_reduction_pct"] < mde.at[12, "mde_reduction_pct"]
    for _, g in res.table.loc[res.table["rate_ratio"] < 1].groupby("followup_months"):
        assert g.sort_values("rate_ratio")["power"].is_monotonic_decreasing


def test_large_series_detects_modest_effects():
    res = power_analysis(_history(200.0), followup_months=(24,), rate_ratios=(0.7, 0.8, 0.9, 0.95),
                         n_sim=100)
    assert res.mde.at[0, "detectable"]
    assert res.mde.at[0, "mde_reduction_pct"] < 15
    assert "detectable reduction" in res.summary()


def test_noise_parameters_recover_planted_values():
    rng = np.random.default_rng(2)
    n, mu = 20_000, 100.0
    u = np.zeros(n)
    for t in range(1, n):
        u[t] = 0.6 * u[t - 1] + rng.normal(0, 0.1 * np.sqrt(1 - 0.36))
    y = rng.poisson(mu * np.exp(u) * rng.gamma(50, 1 / 50, n))
    p = noise_parameters(y, np.full(n, mu * np.exp(0.005)))
    assert p["rho"] == pytest.approx(0.6, abs=0.08)
    assert p["sd_latent"] == pytest.approx(0.1, abs=0.02)
    assert p["overdispersion"] == pytest.approx(0.02, abs=0.01)


def test_autocorrelated_history_widens_the_critical_value():
    rng = np.random.default_rng(5)
    n = 96
    u = np.zeros(n)
    for t in range(1, n):
        u[t] = 0.8 * u[t - 1] + rng.normal(0, 0.12 * np.sqrt(1 - 0.64))
    per = pd.period_range("2016-01", periods=n, freq="M")
    s = pd.DataFrame({"period": per, "count": rng.poisson(150 * np.exp(u)), "population": 1e5})
    res = power_analysis(s, followup_months=(24,), rate_ratios=(0.8, 1.0), n_sim=200)
    assert res.parameters["rho"] > 0.4
    assert res.table["critical_value"].iloc[0] > 2.2  # a plain t test would use about 1.98


def test_needs_history():
    with pytest.raises(ValueError, match="24 months"):
        power_analysis(_history(5.0, months=12))


def test_longer_follow_up_never_shows_clearly_less_power():
    # the issue: 24 months of follow-up showed less power than 12. The critical value, a 95 %
    # quantile, was estimated from the same 200 null futures as the power and jumped between
    # follow-up lengths; now 2 000 null futures calibrate it and the effect futures are common
    # to all lengths (the longest future, cut short)
    res = power_analysis(_history(10.0), followup_months=(6, 12, 24, 36),
                         rate_ratios=(0.6, 0.7, 0.8, 0.9), n_sim=200)
    t = res.table.pivot(index="rate_ratio", columns="followup_months", values="power")
    assert t.diff(axis=1).iloc[:, 1:].min().min() >= -0.02, t
    for _, g in res.table.groupby("followup_months"):
        assert g.sort_values("rate_ratio")["power"].is_monotonic_decreasing


def test_survey_mde_gives_the_power_it_promises():
    """Two simple random samples of 600: a true change of one MDE is detected ~80 % of the time."""
    from analysis.evaluation.power import survey_mde
    n, p = 600, 0.27
    se = np.sqrt(p * (1 - p) / n)
    mde = float(survey_mde([p], [se])["mde"].iloc[0])
    rng = np.random.default_rng(5)
    a = rng.binomial(n, p, 20000) / n
    b = rng.binomial(n, p + mde, 20000) / n
    z = (b - a) / np.sqrt(a * (1 - a) / n + b * (1 - b) / n)
    assert abs(np.mean(np.abs(z) > 1.959964) - 0.8) < 0.03
    with pytest.raises(ValueError):
        survey_mde([p], [-1.0])


@pytest.mark.parametrize("scale", [0.05, 3.0, 40.0, 5000.0])
def test_poisson_quantile_is_scipys(scale):
    # the fast search must give scipy's numbers exactly, tails and odd rates included
    from scipy import stats

    from analysis.evaluation.power import poisson_quantile

    rng = np.random.default_rng(int(scale * 100))
    lam = rng.gamma(1.0, scale, 60_000)
    q = rng.uniform(size=lam.size)
    tail = 10 ** rng.uniform(-16, -3, 2_000)
    q[:2_000] = np.where(rng.uniform(size=2_000) < 0.5, tail, 1 - tail)
    q[2_000:2_004] = [0.0, 1e-300, 1 - 2 ** -53, 0.5]
    lam[2_004:2_008] = [0.0, 1e-300, 1e8, np.nan]
    expected = stats.poisson.ppf(q, lam)
    got = poisson_quantile(q.reshape(300, -1), lam.reshape(300, -1))
    assert got.shape == (300, 200)
    np.testing.assert_array_equal(got.ravel(), expected)


def _power_per_length(series, *, followup_months, rate_ratios, n_sim, n_null, seed=20260101,
                      alpha=0.05):
    """The simulation as first written: one design, one scipy draw and one fit per length and
    effect. The shared-draw implementation must reproduce its powers exactly."""
    from scipy import stats

    from analysis.crime.glm import fit_batch
    from analysis.evaluation import its_design

    periods = pd.PeriodIndex(series["period"], freq="M")
    y, pop = series["count"].to_numpy(float), series["population"].to_numpy(float)
    n_pre = len(y)
    X0, names0 = its_design(periods, periods[-1] + 1)
    keep = [i for i, nm in enumerate(names0) if nm != "level"]
    fit0 = fit_batch(y[None], X0[:, keep], offset=np.log(pop)[None], maxiter=50)
    noise = noise_parameters(y, fit0.mu[0])
    rng = np.random.default_rng(seed)
    n_max, n_all = n_pre + max(followup_months), max(n_sim, n_null)
    sd, r = noise["sd_latent"], noise["rho"]
    u = np.empty((n_all, n_max))
    u[:, 0] = rng.normal(0, sd, n_all)
    eps = rng.normal(0, sd * np.sqrt(1 - r ** 2), (n_all, n_max))
    for t in range(1, n_max):
        u[:, t] = r * u[:, t - 1] + eps[:, t]
    od = noise["overdispersion"]
    g = rng.gamma(1 / od, od, (n_all, n_max)) if od > 1e-8 else np.ones((n_all, n_max))
    unif = rng.uniform(size=(n_all, n_max))
    out = {}
    for L in sorted(followup_months):
        n = n_pre + L
        X, names = its_design(pd.period_range(periods[0], periods=n, freq="M"), periods[-1] + 1)
        j = names.index("level")
        off = np.log(np.r_[pop, np.full(L, pop[-1])])
        lam0 = np.exp(X[:, keep] @ fit0.params[0] + off)[None] * np.exp(u[:, :n]) * g[:, :n]

        def t_stat(rr, m):
            lam = lam0[:m] * np.where(np.arange(n) >= n_pre, rr, 1.0)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                fit = fit_batch(stats.poisson.ppf(unif[:m, :n], lam), X,
                                offset=off[None].repeat(m, 0), maxiter=50)
            return fit.params[:, j] / np.sqrt(fit.cov_unscaled[:, j, j] * fit.scale)

        crit = np.nanquantile(np.abs(t_stat(1.0, n_all)), 1 - alpha)
        for rr in rate_ratios:
            out[(L, rr)] = float(np.mean(t_stat(rr, n_sim) < -crit))
    return out


def test_shared_draws_give_the_per_length_powers():
    s = _history(6.0, months=60, seed=4)
    res = power_analysis(s, followup_months=(6, 24), rate_ratios=(0.5, 0.8), n_sim=60,
                         n_null=80)
    ref = _power_per_length(s, followup_months=(6, 24), rate_ratios=(0.5, 0.8), n_sim=60,
                            n_null=80)
    got = {(int(r.followup_months), r.rate_ratio): r.power for r in res.table.itertuples()}
    assert got == ref
