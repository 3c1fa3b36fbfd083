"""Power and minimum detectable effect: could an evaluation of this measure tell anything at all?

Before a measure starts: fit the kommun's history (level, trend, seasonality, overdispersion and
the autocorrelation of the rate), simulate futures with a given reduction, analyse each with the
default ITS, and report the share of futures in which the reduction is detected, per follow-up
length, and the smallest reduction detected with 80 % power. The table feeds the action plan;
:func:`analysis.report.evaluation_figures.plot_power` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from .. import _special as sp
from ..crime.glm import fit_batch
from ._series import to_period
from .its import its_design

__all__ = ["PowerResult", "power_analysis", "noise_parameters", "survey_mde", "poisson_quantile"]

DEFAULT_RATE_RATIOS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
DEFAULT_FOLLOWUPS = (6, 12, 24, 36)


@dataclass(frozen=True)
class PowerResult:
    """Simulated power of the default ITS to detect a reduction.

    Attributes
    ----------
    table : pandas.DataFrame
        ``followup_months, rate_ratio, reduction_pct, power, power_mc_se, n_sim,
        critical_value`` (plot-ready).
    mde : pandas.DataFrame
        ``followup_months, mde_rate_ratio, mde_reduction_pct, detectable`` per follow-up: the
        rate ratio detected with ``target`` power (interpolated on the log scale; NaN and
        ``detectable = False`` when even the largest reduction simulated falls short).
    parameters : dict
        What the simulation assumed: ``mean_per_month``, ``pre_months``, ``trend_per_year``,
        ``rho`` (AR(1) of the latent log rate), ``sd_latent``, ``overdispersion`` (extra
        variance share 1/theta), ``alpha``, ``target``.
    """

    table: pd.DataFrame
    mde: pd.DataFrame
    parameters: dict

    def summary(self) -> str:
        p = self.parameters
        lines = [f"Power of an interrupted time series ({p['pre_months']} months before, "
                 f"{p['mean_per_month']:.1f} crimes a month; alpha {p['alpha']}, "
                 f"target power {p['target']:.0%})"]
        for _, r in self.mde.iterrows():
            if r["detectable"]:
                lines.append(f"  {int(r['followup_months'])} months of follow-up: detectable "
                             f"reduction {r['mde_reduction_pct']:.0f} % (rate ratio "
                             f"{r['mde_rate_ratio']:.2f})")
            else:
                lines.append(f"  {int(r['followup_months'])} months of follow-up: no reduction "
                             f"up to {100 * (1 - self.table['rate_ratio'].min()):.0f} % is "
                             "detected reliably")
        return "\n".join(lines)


def noise_parameters(y: np.ndarray, mu: np.ndarray) -> dict:
    """Latent AR(1) and gamma overdispersion of counts around fitted means (moments).

    With y ~ Poisson(mu · exp(u) · G), u an AR(1) (rho, sd s), G gamma(theta):
    E[(y_t - mu_t)(y_{t+k} - mu_{t+k})] ≈ mu_t mu_{t+k} s² rho^k for k ≥ 1 and
    Var(y_t) ≈ mu_t + mu_t² (s² + 1/theta).
    """
    e = y - mu
    tau2 = max(float(np.sum(e ** 2 - mu) / np.sum(mu ** 2)), 0.0)
    c = [float(np.sum(e[k:] * e[:-k]) / np.sum(mu[k:] * mu[:-k])) for k in (1, 2)]
    rho = float(np.clip(c[1] / c[0], 0.0, 0.9)) if c[0] > 0 else 0.0
    s2 = min(c[0] / rho, tau2) if rho > 0 else 0.0
    return {"rho": rho, "sd_latent": float(np.sqrt(max(s2, 0.0))),
            "overdispersion": max(tau2 - s2, 0.0)}


def poisson_quantile(q, lam, *, max_steps: int = 6) -> np.ndarray:
    """Poisson quantiles ``scipy.stats.poisson.ppf(q, lam)``, the same numbers several times faster.

    The smallest ``k`` with ``P(Y <= k) >= q`` (``scipy.special.pdtr``), searched from a
    Cornish–Fisher start; scipy's root finder (``pdtrik``) is what made the power simulation
    slow. Entries the search does not settle within ``max_steps`` steps, tails (``q`` within
    1e-10 of 0 or 1, where ``pdtr`` rounds to 1 and scipy's answer is the reference) and
    non-positive or non-finite rates are handed to scipy, so the result is scipy's throughout
    (checked on millions of draws in tests/evaluation/test_power.py).

    Examples
    --------
    >>> poisson_quantile([0.1, 0.5, 0.99], [2.0, 2.0, 40.0]).tolist()
    [0.0, 2.0, 55.0]
    """
    q, lam = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(lam, dtype=float))
    shape = q.shape
    q, lam = q.ravel(), lam.ravel()
    z = special.ndtri(q)
    with np.errstate(invalid="ignore", over="ignore"):
        guess = np.floor(lam + np.sqrt(lam) * z + (z * z - 1) / 6)
    ok = np.isfinite(guess) & (q >= 1e-10) & (q <= 1 - 1e-10) & (lam > 0) & np.isfinite(lam)
    k = np.where(ok, np.maximum(np.where(ok, guess, 0.0), 0.0), 0.0)
    idx = np.flatnonzero(ok)
    up = idx[special.pdtr(k[idx], lam[idx]) < q[idx]]
    for _ in range(max_steps):
        if not up.size:
            break
        k[up] += 1
        up = up[special.pdtr(k[up], lam[up]) < q[up]]
    down = idx[k[idx] > 0]
    for _ in range(max_steps + 1):
        if not down.size:
            break
        down = down[special.pdtr(k[down] - 1, lam[down]) >= q[down]]
        k[down] -= 1
        down = down[k[down] > 0]
    rest = np.union1d(np.union1d(up, down), np.flatnonzero(~ok))
    if rest.size:
        from scipy import stats  # rarely needed; importing it takes about 0.6 s

        k[rest] = stats.poisson.ppf(q[rest], lam[rest])
    return k.reshape(shape)


def power_analysis(series: pd.DataFrame, *, start=None, followup_months=DEFAULT_FOLLOWUPS,
                   rate_ratios=DEFAULT_RATE_RATIOS, n_sim: int = 400, alpha: float = 0.05,
                   target: float = 0.8, rho: float | None = None, seed: int = 20260101,
                   n_null: int = 2000,
                   count: str = "count", period: str = "period",
                   population: str | None = "population") -> PowerResult:
    """Simulated power and minimum detectable effect of the default ITS.

    Parameters
    ----------
    series : pandas.DataFrame
        The kommun's monthly history (``period, count, population``), before the measure.
    start : month-like, optional
        Planned start; months from it on are ignored (default: the month after the series).
    followup_months : sequence of int
        Follow-up lengths to evaluate.
    rate_ratios : sequence of float
        Effects (rate ratios below 1 = reductions) to simulate.
    n_sim : int
        Simulated futures (common random numbers across effects and follow-up lengths: the
        same futures, cut at each length, so power is monotone in the effect and, up to the
        recalibrated critical value, in the follow-up).
    rho : float, optional
        AR(1) coefficient of the latent rate; default estimated from the history.
    n_null : int, default 2000
        Null futures (no effect) for the critical value; at least ``n_sim`` are used.

    Returns
    -------
    PowerResult

    Notes
    -----
    Baseline: the Poisson fit of level, trend and Fourier seasonality to the history, continued
    into the follow-up. Noise: :func:`noise_parameters` (latent AR(1) + gamma overdispersion),
    fitted by moments. Test: the default ITS, i.e. the quasi-Poisson t-statistic of the level
    change against a critical value calibrated on no-effect futures of the same series (what
    the placebo donors do in a real evaluation, here without their sampling noise). A reduction
    counts as detected when the estimate is below 1 and significant.

    Examples
    --------
    >>> periods = pd.period_range("2017-01", "2021-12", freq="M")
    >>> s = pd.DataFrame({"period": periods, "population": 20_000,
    ...                   "count": np.random.default_rng(3).poisson(4.0, len(periods))})
    >>> res = power_analysis(s, followup_months=(12,), rate_ratios=(0.3, 0.5, 0.9), n_sim=100)
    >>> res.table["power"].is_monotonic_decreasing
    True
    """
    s = series.sort_values(period)
    periods = pd.PeriodIndex(s[period], freq="M")
    if start is not None:
        keep = periods < to_period(start)
        s, periods = s.loc[keep], periods[keep]
    if len(periods) < 24:
        raise ValueError("power needs at least 24 months of history")
    y = s[count].to_numpy(float)
    pop = (s[population].to_numpy(float) if population and population in s else np.ones(len(y)))
    n_pre = len(y)
    X0, names0 = its_design(periods, periods[-1] + 1)
    keep_cols = [i for i, nm in enumerate(names0) if nm != "level"]
    X0 = X0[:, keep_cols]
    fit0 = fit_batch(y[None], X0, offset=np.log(pop)[None], maxiter=50)
    noise = noise_parameters(y, fit0.mu[0])
    if rho is not None:
        noise["rho"] = float(rho)
    beta = fit0.params[0]
    followup_months = sorted({int(m) for m in followup_months})
    if not followup_months or followup_months[0] < 1:
        raise ValueError(f"follow-up lengths must be positive months, got {followup_months}")
    # Common random numbers across effects AND follow-up lengths: one simulated future of the
    # longest follow-up per draw, cut short for the shorter ones. Independent draws per length
    # made power fall with longer follow-up by Monte Carlo noise alone (24 months below 12).
    # The critical value is a tail quantile of the null futures: estimated from n_sim draws it
    # jumps between follow-up lengths by more than the power differs, so the null gets
    # n_null >= n_sim draws (the effect futures are the first n_sim of them).
    rng = np.random.default_rng(seed)
    n_max = n_pre + followup_months[-1]
    n_all = max(int(n_sim), int(n_null))
    sd, r = noise["sd_latent"], noise["rho"]
    u_all = np.empty((n_all, n_max))
    u_all[:, 0] = rng.normal(0, sd, n_all)
    eps = rng.normal(0, sd * np.sqrt(1 - r ** 2), (n_all, n_max))
    for t in range(1, n_max):
        u_all[:, t] = r * u_all[:, t - 1] + eps[:, t]
    od = noise["overdispersion"]
    g_all = rng.gamma(1 / od, od, (n_all, n_max)) if od > 1e-8 else np.ones((n_all, n_max))
    unif_all = rng.uniform(size=(n_all, n_max))
    # One design and one set of expected counts for the longest follow-up; a shorter one is
    # its first n rows (the columns are elementwise in the month, so the rows are the same
    # numbers). The counts are drawn once per effect for the longest follow-up and cut: the
    # months before the start are the same in every future of a draw whatever the effect.
    X_all, names = its_design(pd.period_range(periods[0], periods=n_max, freq="M"),
                              periods[-1] + 1)
    j = names.index("level")
    off_all = np.log(np.r_[pop, np.full(followup_months[-1], pop[-1])])
    mu_all = np.exp(X_all[:, keep_cols] @ beta + off_all)
    lam_all = mu_all[None] * np.exp(u_all) * g_all
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        y_pre = poisson_quantile(unif_all[:, :n_pre], lam_all[:, :n_pre])
        y_post = {rr: poisson_quantile(unif_all[:m, n_pre:], lam_all[:m, n_pre:] * rr)
                  for rr, m in [(1.0, n_all)] + [(rr, n_sim) for rr in rate_ratios if rr != 1.0]}
    rows = []
    effects = list(dict.fromkeys(rr for rr in rate_ratios if rr != 1.0))
    for L in followup_months:
        # the null futures and the futures of every effect share this length's design: one
        # batched fit for all of them (IRLS runs series by series inside the batch)
        t_all = _t_level(np.vstack([np.hstack([y_pre, y_post[1.0][:, :L]])]
                                   + [np.hstack([y_pre[:n_sim], y_post[rr][:, :L]])
                                      for rr in effects]),
                         X_all[:n_pre + L], off_all[:n_pre + L], j)
        # the default interval is calibrated on placebo kommuner without an effect; here the
        # null futures of this very series play that part (same noise, same design)
        t_null = t_all[:n_all]
        t_effect = {rr: t_all[n_all + i * n_sim:n_all + (i + 1) * n_sim]
                    for i, rr in enumerate(effects)}
        # a draw without any crime cannot be fitted (NaN): it never rejects
        crit = float(np.nanquantile(np.abs(t_null), 1 - alpha))
        for rr in rate_ratios:
            t = t_null[:n_sim] if rr == 1.0 else t_effect[rr]
            power = float(np.mean(t < -crit)) if rr < 1 else float(np.mean(np.abs(t) > crit))
            rows.append(dict(followup_months=int(L), rate_ratio=float(rr),
                             reduction_pct=100 * (1 - rr), power=power,
                             power_mc_se=float(np.sqrt(power * (1 - power) / n_sim)), n_sim=n_sim,
                             critical_value=crit))
    table = pd.DataFrame(rows)
    mde = []
    for L, g in table.groupby("followup_months", sort=True):
        g = g.loc[g["rate_ratio"] < 1].sort_values("rate_ratio", ascending=False)
        lr, pw = np.log(g["rate_ratio"].to_numpy()), g["power"].to_numpy()
        ok = np.flatnonzero(pw >= target)
        if len(ok) == 0:
            mde.append(dict(followup_months=L, mde_rate_ratio=np.nan, mde_reduction_pct=np.nan,
                            detectable=False))
            continue
        i = ok[0]
        if i == 0:
            val = lr[0]
        else:  # interpolate between the last effect below target and the first above it
            val = lr[i - 1] + (target - pw[i - 1]) * (lr[i] - lr[i - 1]) / (pw[i] - pw[i - 1])
        mde.append(dict(followup_months=L, mde_rate_ratio=float(np.exp(val)),
                        mde_reduction_pct=float(100 * (1 - np.exp(val))), detectable=True))
    params = dict(mean_per_month=float(y.mean()), pre_months=n_pre,
                  trend_per_year=float(np.exp(12 * beta[1])),  # column 1 is "time"
                  alpha=alpha, target=target, **noise)
    return PowerResult(table, pd.DataFrame(mde), params)


def _t_level(y: np.ndarray, X: np.ndarray, off: np.ndarray, j: int) -> np.ndarray:
    """Quasi-Poisson t-statistics of column ``j`` for every simulated series (rows of ``y``).

    Parameters
    ----------
    y : ndarray (S, n)
        Simulated counts, one future per row.
    X : ndarray (n, p)
        The design all rows share.
    off : ndarray (n,)
        Log-exposure offset.
    j : int
        Column of the level change.

    Returns
    -------
    ndarray (S,)
        ``beta_j / se_j``; NaN where the fit has no finite maximum.
    """
    # a simulated future without crimes in a segment has no finite maximum: fit_batch
    # flags it (NaN, it never rejects); its overflowing steps are not the reader's news
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fit = fit_batch(y, X, offset=np.broadcast_to(off, y.shape), maxiter=50)
    se = np.sqrt(fit.cov_unscaled[:, j, j] * fit.scale)
    return fit.params[:, j] / se


def survey_mde(estimate, se, *, alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """Smallest change in a survey share that the next wave could show, from this wave's SE.

    Between two independent waves of the same design and size, the difference has standard
    error ``sqrt(2) * se``; a two-sided test at ``alpha`` detects a true change ``d`` with
    probability ``power`` when ``|d| >= (z_(1-alpha/2) + z_power) * sqrt(2) * se``. The design
    effect is in ``se`` (design-based, from :mod:`analysis.survey`).

    Parameters
    ----------
    estimate, se : array_like
        The share (0–1) and its design-based standard error in the last wave.
    alpha, power : float

    Returns
    -------
    pandas.DataFrame
        ``estimate, se, mde`` (in proportion units, e.g. 0.07 = 7 percentage points),
        ``mde_relative`` (``mde / estimate``), ``alpha``, ``power``.

    Notes
    -----
    A normal approximation; it assumes the next wave has the same size and design and that the
    share's variance does not change much with it. The coverage of this rule for survey
    differences is that of the Wald interval of :func:`analysis.survey.compare.compare_years`.

    Examples
    --------
    >>> survey_mde([0.27], [0.019]).round(4)[["mde", "mde_relative"]].to_dict("list")
    {'mde': [0.0753], 'mde_relative': [0.2788]}
    """
    p = np.asarray(estimate, dtype=float).ravel()
    s = np.asarray(se, dtype=float).ravel()
    if np.any(s < 0):
        raise ValueError("standard errors must be >= 0")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    mde = (sp.norm_ppf(1 - alpha / 2) + sp.norm_ppf(power)) * np.sqrt(2) * s
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(p > 0, mde / p, np.nan)
    return pd.DataFrame({"estimate": p, "se": s, "mde": mde, "mde_relative": rel,
                         "alpha": alpha, "power": power})
