"""Coverage simulation: which evaluation method gives honest 95 % intervals for kommun data?

A synthetic world of kommuner with monthly counts (baseline 2-200 a month, trend, seasonality,
overdispersion and a latent AR(1) rate), one treated kommun with a known rate ratio. Every
method of this package is applied to the same replications; the tidy result (bias and coverage
per method) is what chose the default (``docs/measure-evaluation.md``). The small version runs
in the tests, the full one in ``benchmarks/evaluation_simulation.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from ..crime.glm import fit_batch
from ..crime.variance import ar_noise_cov, newey_west_lag, pooled_rho
from .did import panel_did
from .its import its_design
from .placebo import MIN_PLACEBOS, own_ar_variance, placebo_critical_value
from .synthetic_control import synthetic_control

__all__ = ["Scenario", "SCENARIOS", "simulate_panel", "METHODS", "DEFAULT_METHOD",
           "coverage_study"]


@dataclass(frozen=True)
class Scenario:
    """One simulated world. Unit 0 is the treated kommun (``treated_level`` crimes a month).

    The expected count of unit i in month t is
    ``level_i · exp(trend_i t + amp_i cos(2π(month - peak_i)/12) + u_it) · pop_it / pop_i0``
    with u an AR(1) (``rho``, stationary sd ``sd_latent``); counts are Poisson around that
    times a gamma(``theta``) factor (extra overdispersion), times ``rate_ratio`` for the treated
    kommun from month ``start`` on. ``treated_rho`` and ``treated_sd_latent`` (default: as the
    donors) make the treated kommun's rate wander differently from its donors'.
    """

    name: str
    treated_level: float
    n_units: int = 40
    n_months: int = 96
    start: int = 72
    rate_ratio: float = 0.8
    rho: float = 0.6
    sd_latent: float = 0.12
    theta: float = 50.0
    donor_low: float = 2.0
    donor_high: float = 200.0
    treated_rho: float | None = None
    treated_sd_latent: float | None = None


SCENARIOS = {
    "small": Scenario("small", 4.0),
    "large": Scenario("large", 100.0),
    "large_strong_ar": Scenario("large_strong_ar", 100.0, rho=0.8, sd_latent=0.10, theta=100.0),
    "large_few_donors": Scenario("large_few_donors", 100.0, n_units=12),
    # issue 15: the treated kommun's rate wanders more than its donors' (AR(1) 0.75 with
    # 1.75 times their latent sd); placebo calibration assumes they are alike
    "volatile_treated": Scenario("volatile_treated", 100.0, treated_rho=0.75,
                                 treated_sd_latent=0.21),
    "volatile_treated_small": Scenario("volatile_treated_small", 10.0, treated_rho=0.75,
                                       treated_sd_latent=0.21),
}

#: Methods in the order they are reported (the default last).
METHODS = ("naive_before_after", "its_poisson", "its_quasipoisson", "its_negbin", "its_hac",
           "its_ar", "its_ar_placebo", "did_one_comparison", "controlled_its_cluster",
           "synthetic_control", "its_quasipoisson_placebo_plain", "its_quasipoisson_placebo")
#: What fit_its does by default: the placebo interval over the 19 size-nearest donors of
#: t-statistics standardised by each unit's own AR(1)-plus-noise SE (dispersion floored at 1);
#: flagged when the treated kommun wanders more than every donor (``_plain``: the
#: quasi-Poisson t calibrated without that volatility check).
DEFAULT_METHOD = "its_quasipoisson_placebo"


def simulate_panel(scenario: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Counts and population, each (n_units, n_months); unit 0 treated.

    Examples
    --------
    >>> y, pop = simulate_panel(SCENARIOS["small"], np.random.default_rng(1))
    >>> y.shape, bool(3 < y[0, :72].mean() < 6)
    ((40, 96), True)
    """
    K, n = scenario.n_units, scenario.n_months
    lo, hi = np.log(scenario.donor_low), np.log(scenario.donor_high)
    level = np.exp(rng.uniform(lo, hi, size=K))
    level[0] = scenario.treated_level
    trend = rng.normal(-0.01, 0.03, size=K) / 12
    amp = rng.uniform(0.05, 0.25, size=K)
    peak = rng.normal(7.0, 1.0, size=K)
    growth = rng.normal(0.005, 0.005, size=K) / 12
    t = np.arange(n)
    month = t % 12 + 1
    rho = np.full(K, scenario.rho)
    sd = np.full(K, scenario.sd_latent)
    if scenario.treated_rho is not None:
        rho[0] = scenario.treated_rho
    if scenario.treated_sd_latent is not None:
        sd[0] = scenario.treated_sd_latent
    u = np.empty((K, n))
    u[:, 0] = rng.normal(0, sd, size=K)
    e = rng.normal(0, 1.0, size=(K, n)) * (sd * np.sqrt(1 - rho ** 2))[:, None]
    for i in range(1, n):
        u[:, i] = rho * u[:, i - 1] + e[:, i]
    pop0 = np.exp(rng.uniform(np.log(3_000), np.log(200_000), size=K))
    pop = pop0[:, None] * np.exp(growth[:, None] * t)
    mu = (level[:, None] * np.exp(trend[:, None] * t
                                  + amp[:, None] * np.cos(2 * np.pi * (month - peak[:, None]) / 12)
                                  + u) * pop / pop0[:, None])
    mu[0, scenario.start:] *= scenario.rate_ratio
    lam = mu * rng.gamma(scenario.theta, 1 / scenario.theta, size=(K, n))
    return rng.poisson(lam).astype(float), pop


def _interval(est, se, crit, truth):
    return abs(est - truth) <= crit * se, 2 * crit * se


def _run(y, pop, sc: Scenario, methods, truth, ci_level=0.95):
    K, n = y.shape
    periods = pd.period_range("2015-01", periods=n, freq="M")
    start = periods[sc.start]
    X, names = its_design(periods, start)
    j = names.index("level")
    off = np.log(pop)
    out = {}
    z = stats.norm.ppf(0.5 + ci_level / 2)
    fit = fit_batch(y, X, offset=off, maxiter=50)
    df = float(fit.df_resid[0])
    tcrit = stats.t.ppf(0.5 + ci_level / 2, df)
    est = fit.params[:, j]
    se_p = np.sqrt(fit.cov_unscaled[:, j, j])
    se_q = se_p * np.sqrt(np.maximum(fit.scale, 1.0))  # the dispersion floor
    pre = np.arange(n) < sc.start
    dist = np.abs(np.log((y[1:, pre].mean(1) + 0.5) / (y[0, pre].mean() + 0.5)))
    near = np.argsort(dist, kind="stable")[:MIN_PLACEBOS] + 1
    rho = pooled_rho(fit.pearson_residuals, fit.weights[0] > 0)
    cov_ar, _ = ar_noise_cov(fit, rho=rho)
    se_ar = np.sqrt(np.maximum(cov_ar[:, j, j], fit.cov_unscaled[:, j, j]))  # floor
    v_own = own_ar_variance(fit, j)
    if "naive_before_after" in methods:
        a, b = y[0, pre].sum(), y[0, ~pre].sum()
        ea = np.log((b / pop[0, ~pre].sum()) / (a / pop[0, pre].sum()))
        out["naive_before_after"] = (ea, *_interval(ea, np.sqrt(1 / a + 1 / b), z, truth), True)
    if "its_poisson" in methods:
        out["its_poisson"] = (est[0], *_interval(est[0], se_p[0], z, truth), True)
    if "its_quasipoisson" in methods:
        out["its_quasipoisson"] = (est[0], *_interval(est[0], se_q[0], tcrit, truth), True)
    if "its_negbin" in methods:
        nb = fit_batch(y[:1], X, offset=off[:1], family="negbin", maxiter=50)
        out["its_negbin"] = (nb.params[0, j], *_interval(nb.params[0, j],
                             np.sqrt(nb.cov_unscaled[0, j, j]), z, truth), True)
    if "its_hac" in methods:
        f0 = fit_batch(y[:1], X, offset=off[:1], maxiter=50)
        se_h = np.sqrt(f0.cov_params("hac", lag=newey_west_lag(n))[0, j, j])
        out["its_hac"] = (est[0], *_interval(est[0], se_h, tcrit, truth), True)
    if "its_ar" in methods:
        out["its_ar"] = (est[0], *_interval(est[0], se_ar[0], tcrit, truth), True)
    for name, se in (("its_quasipoisson_placebo", se_q), ("its_ar_placebo", se_ar),
                     ("its_quasipoisson_placebo_plain", se_q)):
        if name in methods:
            use = near if K - 1 >= MIN_PLACEBOS else np.arange(1, K)
            crit = placebo_critical_value(est[use] / se[use], ci_level)
            flag = False
            if np.isfinite(crit) and name == DEFAULT_METHOD:
                # the volatility check: the placebo interval of t-statistics standardised by
                # each unit's own (bias-corrected) AR(1)-plus-noise SE
                t_own = est / np.sqrt(v_own)
                c_own = placebo_critical_value(t_own[use], ci_level)
                crit = c_own * np.sqrt(v_own[0]) / se[0]
                infl = v_own / se ** 2
                flag = bool(np.all(infl[use] < infl[0]))
            if np.isfinite(crit):
                out[name] = (est[0], *_interval(est[0], se[0], crit, truth), True, flag)
            else:  # too few donors: fit_its falls back to the AR(1)-noise SE with t, flagged
                out[name] = (est[0], *_interval(est[0], se_ar[0], tcrit, truth), False, False)
    postm = ~pre
    if "did_one_comparison" in methods:
        k = int(near[0])
        f2 = panel_did(y[[0, k]], off[[0, k]], 0, postm)
        s2 = np.sqrt(f2.cov_model[0, 0] * f2.dispersion)
        out["did_one_comparison"] = (f2.params[0], *_interval(f2.params[0], s2, stats.t.ppf(
                                     0.5 + ci_level / 2, f2.df_resid), truth), True)
    if "controlled_its_cluster" in methods:
        fk = panel_did(y, off, 0, postm)
        out["controlled_its_cluster"] = (fk.params[0], *_interval(fk.params[0], np.sqrt(
                                         fk.cov_cluster[0, 0]), stats.t.ppf(0.5 + ci_level / 2,
                                                                            K - 1), truth), True)
    if "synthetic_control" in methods:
        # quarterly rates; coverage by inverting the placebo test at the true effect
        q = n // 3
        rate = (y[:, :q * 3].reshape(K, q, 3).sum(2) / pop[:, :q * 3].reshape(K, q, 3).mean(2))
        start_q = sc.start // 3
        obs = rate.copy()
        adj = rate.copy()
        adj[0, start_q:] /= np.exp(truth)
        longs = []
        for r_ in (obs, adj):
            longs.append(pd.DataFrame({"u": np.repeat(np.arange(K), q), "t": np.tile(np.arange(q), K),
                                       "y": r_.ravel()}))
        r_obs = synthetic_control(longs[0], unit="u", time="t", outcome="y", treated=0,
                                  start=start_q, placebo=False, leave_one_out=False)
        r_adj = synthetic_control(longs[1], unit="u", time="t", outcome="y", treated=0,
                                  start=start_q, placebo=True, leave_one_out=False)
        e_sc = np.log(r_obs.table.set_index("variable").at["ratio", "estimate"])
        out["synthetic_control"] = (e_sc, r_adj.p_value > 1 - ci_level, np.nan,
                                    len(r_adj.placebo) - 1 >= MIN_PLACEBOS)
    return out


def coverage_study(scenario: Scenario | str, *, n_rep: int = 100, seed: int = 20260101,
                   methods=METHODS, ci_level: float = 0.95) -> pd.DataFrame:
    """Bias and coverage of each method over ``n_rep`` simulated worlds.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``scenario, method, n_rep, true_rate_ratio, bias`` (mean error of
        the log rate ratio), ``rmse``, ``coverage`` (share of intervals holding the true rate
        ratio), ``coverage_mc_se``, ``mean_ci_width`` (log scale), ``reliable_share`` (share of
        replications the method did not flag), ``flagged_share`` (share marked not calibrated
        by the volatility check: the treated kommun wanders more than every placebo donor),
        ``covered_or_flagged``, ``is_default``.

    Examples
    --------
    >>> t = coverage_study("small", n_rep=2, methods=("its_poisson", "its_ar_placebo"))
    >>> t[["method", "n_rep"]].to_dict("records")
    [{'method': 'its_poisson', 'n_rep': 2}, {'method': 'its_ar_placebo', 'n_rep': 2}]
    """
    sc = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
    truth = np.log(sc.rate_ratio)
    rng = np.random.default_rng(seed)
    rec: dict[str, list] = {m: [] for m in methods}
    for _ in range(n_rep):
        y, pop = simulate_panel(sc, rng)
        res = _run(y, pop, sc, methods, truth, ci_level)
        for m in methods:
            rec[m].append(tuple(res[m]) + (False,) * (5 - len(res[m])))
    rows = []
    for m in methods:
        a = np.array(rec[m], dtype=float)
        cov = a[:, 1].mean()
        rows.append(dict(scenario=sc.name, method=m, n_rep=n_rep, true_rate_ratio=sc.rate_ratio,
                         bias=float(np.mean(a[:, 0] - truth)),
                         rmse=float(np.sqrt(np.mean((a[:, 0] - truth) ** 2))),
                         coverage=float(cov), coverage_mc_se=float(np.sqrt(cov * (1 - cov) / n_rep)),
                         mean_ci_width=float(np.nanmean(a[:, 2])) if np.isfinite(a[:, 2]).any() else np.nan,
                         reliable_share=float(a[:, 3].mean()),
                         flagged_share=float(a[:, 4].mean()),
                         covered_or_flagged=float(np.mean((a[:, 1] > 0) | (a[:, 4] > 0))),
                         is_default=m == DEFAULT_METHOD))
    return pd.DataFrame(rows)


def with_overrides(scenario: str, **changes) -> Scenario:
    """A named scenario with some parameters changed (for sensitivity runs)."""
    return replace(SCENARIOS[scenario], **changes)
