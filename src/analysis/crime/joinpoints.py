"""Joinpoints: where a monthly crime series changed direction, and the slope of each segment.

Segmented log-linear count models (Muggeo's algorithm for the locations, grid search for the
starts); the annual percent change per segment and the average (AAPC) over the whole series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from ..errors import DataError
from ..verdicts import verdicts
from .glm import BatchGLMResult, fit_batch, t_quantile
from .variance import block_dispersion, check_floor
from .panel import MonthlyPanel, as_panel, time_years  # MonthlyPanel: used by the doctest
from .seasonal import seasonal_terms
from .trends import apc_columns, slope_cov
from .joinpoint_test import grid_combinations, permutation_selection

__all__ = ["JoinpointResult", "joinpoints"]


@dataclass(frozen=True)
class JoinpointResult:
    """Joinpoint (segmented log-linear) trend of one series.

    Attributes
    ----------
    table : pandas.DataFrame
        Segment APCs and the AAPC, see :func:`joinpoints`.
    joinpoints : pandas.DataFrame
        One row per joinpoint: ``joinpoint``, ``location`` (month, pandas.Period),
        ``location_decimal`` (decimal year), ``se_months``, ``ci_low``/``ci_high`` (decimal years).
    selection : pandas.DataFrame
        ``n_joinpoints``, ``deviance``, ``n_params``, ``qbic``, ``chosen``.
    tests : pandas.DataFrame
        With ``selection="permutation"``: the sequence of permutation tests (``k_null, k_alt,
        statistic, p_value, level, rejected, n_permutations``,
        :func:`analysis.crime.joinpoint_test.permutation_selection`); empty otherwise.
    n_joinpoints : int
        Chosen number of joinpoints.
    model : BatchGLMResult
        Final fit; columns ``design_columns`` (``U`` = slope change, ``V`` = Muggeo's
        gap term whose coefficient is 0 at the optimum and carries the location's uncertainty).
    """

    table: pd.DataFrame
    joinpoints: pd.DataFrame
    selection: pd.DataFrame
    n_joinpoints: int
    model: BatchGLMResult
    design_columns: tuple[str, ...]
    settings: dict = field(default_factory=dict)
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        lines = [f"Joinpoint-trend: {self.n_joinpoints} brytpunkt(er), {self.settings}"]
        for r in self.joinpoints.itertuples():
            lines.append(f"  brytpunkt {r.joinpoint}: {r.location} "
                         f"(±{1.96 * r.se_months:.1f} mån)")
        for r in self.table.itertuples():
            what = "AAPC" if r.variable == "aapc" else f"segment {r.segment}"
            lines.append(f"  {what} {r.segment_start}–{r.segment_end}: "
                         f"{r.estimate:+.1f} % per år [{r.ci_low:+.1f}; {r.ci_high:+.1f}] "
                         f"→ {r.verdict}")
        return "\n".join(lines)


def _jp_design(Xb, t, psi, with_v):
    U = np.maximum(t[:, None] - psi[None, :], 0.0)
    cols = [Xb, U]
    if with_v:
        cols.append(-(t[:, None] > psi[None, :]).astype(float))
    return np.column_stack(cols)


def _grid_search(y, Xb, t, off, k, min_seg):
    n = len(t)
    combos = grid_combinations(n, k, min_seg)
    if len(combos) == 0:
        return None
    base = fit_batch(y, Xb, offset=off)
    start = np.r_[base.params[0], np.zeros(k)]
    devs = np.full(len(combos), np.inf)
    for c0 in range(0, len(combos), 2000):
        cmb = combos[c0:c0 + 2000]
        U = np.maximum(t[None, :, None] - t[cmb][:, None, :], 0.0)
        X = np.concatenate([np.broadcast_to(Xb, (len(cmb),) + Xb.shape), U], axis=2)
        # warm start from the model without joinpoints: a few steps rank the grid reliably
        f = fit_batch(y, X, offset=np.broadcast_to(off, (len(cmb), n)), start=start, maxiter=4)
        devs[c0:c0 + len(cmb)] = np.where(np.isfinite(f.deviance), f.deviance, np.inf)
    top = np.argsort(devs)[:10]  # the leaders, fitted to convergence
    U = np.maximum(t[None, :, None] - t[combos[top]][:, None, :], 0.0)
    X = np.concatenate([np.broadcast_to(Xb, (top.size,) + Xb.shape), U], axis=2)
    f = fit_batch(y, X, offset=np.broadcast_to(off, (top.size, n)), start=start)
    dev = np.where(f.converged, f.deviance, np.inf)
    return t[combos[top[int(np.argmin(dev))]]].copy()


def _refine(y, Xb, t, off, psi, sweeps=20):
    """Continuous joinpoints: Brent's method on each psi_j between its neighbouring months.

    The profile deviance is smooth between months and may have its minimum inside an
    interval (where R ``segmented`` converges to the same point) or on a month (a kink, where
    segmented's iteration oscillates until ``it.max``); Brent finds either.
    """
    def dev_at(ps):
        if np.any(np.diff(ps) <= 0):
            return np.inf
        f = fit_batch(y, _jp_design(Xb, t, ps, False), offset=off, tol=1e-12)
        return f.deviance[0] if f.converged[0] else np.inf

    psi = np.asarray(psi, dtype=float).copy()
    cur = dev_at(psi)
    for _ in range(sweeps):
        before = cur
        for j in range(psi.size):
            i = int(np.clip(np.searchsorted(t, psi[j]), 1, t.size - 2))
            lo, hi = t[max(i - 1, 1)], t[min(i + 1, t.size - 2)]

            def fj(v, j=j):
                trial = psi.copy()
                trial[j] = v
                return dev_at(trial)
            r = optimize.minimize_scalar(fj, bounds=(lo, hi), method="bounded",
                                         options={"xatol": 1e-11})
            if r.fun < cur:
                psi[j], cur = r.x, r.fun
        if before - cur <= 1e-12 * abs(before):
            break
    # between months the optimum is smooth: Muggeo's (2003) step psi + gamma/delta converges
    # there to machine precision (segmented's fixed point); at a kink it is rejected
    pb = Xb.shape[1]
    for _ in range(20):
        f = fit_batch(y, _jp_design(Xb, t, psi, True), offset=off, tol=1e-12)
        move = f.params[0, pb + psi.size:] / f.params[0, pb:pb + psi.size]
        if not np.all(np.abs(move) < 1 / 24):
            break
        d = dev_at(psi + move)
        # tiny moves change the deviance only in its last digits; accept unless it rises
        if not d <= cur + (1e-10 * abs(cur) if np.max(np.abs(move)) < 1e-4 else 0.0):
            break
        psi, cur = psi + move, d
        if np.max(np.abs(move)) < 1e-13:
            break
    return psi, cur


def joinpoints(data, population=None, *, level: str = "kommun", areas=None, crime_types=None,
               start=None, end=None, max_joinpoints: int = 2, n_joinpoints: int | None = None,
               min_segment: int = 24, seasonality: str = "fourier", harmonics: int = 2,
               se: str = "block", ci_level: float = 0.95, aapc_range=None,
               psi_start=None, dispersion_floor: float = 1.0, selection: str = "permutation",
               n_permutations: int = 999, alpha: float = 0.05, permutation_block: int = 12,
               seed: int = 2000) -> JoinpointResult:
    """Joinpoint regression of one monthly series: segment APCs, AAPC and the change months.

    Model: ``log E[count_t] = log(person-years_t) + a + b t + sum_j d_j (t - psi_j)_+ +
    seasonal(month_t)``, continuous at the joinpoints ``psi_j``.

    Parameters
    ----------
    data, population, level, areas, crime_types, start, end
        As :func:`trend`; the selection must leave exactly one series.
    max_joinpoints : int
        Largest number of joinpoints considered (0..max, chosen as ``selection`` says).
    n_joinpoints : int, optional
        Fit exactly this many joinpoints (no selection), e.g. to compare with R ``segmented``.
    min_segment : int
        Minimum number of months in each segment (default 24, two years).
    seasonality, harmonics
        Seasonal terms, :func:`seasonal_terms`.
    se : {"block", "quasi", "model", "hac"}
        Standard errors as in :func:`trend`; ``"block"`` uses ``blocks - 2 - 2k`` df.
    ci_level : float
        Confidence level.
    aapc_range : (start, end), optional
        Months over which the AAPC averages (default: the whole series).
    psi_start : list of str or pandas.Period, optional
        Start the continuous search at these months instead of the grid optimum (with
        ``n_joinpoints``); the result is the local optimum next to them.
    dispersion_floor : float
        Quasi-Poisson standard errors (``"block"``, ``"quasi"``) use ``max(phi,
        dispersion_floor)``, as :func:`trend` (default 1; 0 = the estimate as it is).
    selection : {"permutation", "bic"}
        How the number of joinpoints is chosen: the sequential permutation tests of Kim et al.
        (2000), as NCI Joinpoint (default), or the quasi-BIC below.
    n_permutations, alpha, permutation_block, seed
        The permutation tests: permuted series per test (default 999), overall level (each
        test of ``k_a`` against ``k_b`` at ``alpha / (max_joinpoints - k_a)``), months per
        permuted block (12: whole years, which keeps the month-to-month correlation; 1:
        Kim et al.'s single observations), random seed.

    Returns
    -------
    JoinpointResult
        ``.table``: one row per segment (``variable="apc"``) and one AAPC row
        (``variable="aapc"``), with ``level, area_code, area_name, crime_type, segment,
        segment_start, segment_end, variable, estimate`` (% per year), ``se, ci_low, ci_high,
        ci_level, df, deff`` (dispersion), ``n`` (count in the segment), ``n_eff, method,
        suppressed, suppressed_reason, p_value, log_slope, log_slope_se, verdict``.

    Notes
    -----
    Locations: a grid search over month boundaries (NCI Joinpoint's grid method) gives the
    start; each joinpoint is then moved continuously (Brent's method between the neighbouring
    months) to the local maximum of the likelihood. Where that maximum lies between months it
    is the point R ``segmented`` converges to from the same start (agreement 1e-6); where it
    lies on a month (the likelihood has a kink there) segmented's iteration oscillates and
    stops at ``it.max`` near it, while this returns the kink itself (docs/crime-statistics.md).
    A final Muggeo step ``psi + gamma/delta`` polishes an optimum between months.
    The number of joinpoints is chosen by the sequential permutation tests of Kim et al.
    (:func:`analysis.crime.joinpoint_test.permutation_selection`): whole years of residuals
    are shuffled, so month-to-month autocorrelation does not read as extra joinpoints; in the
    simulation (``benchmarks/joinpoint_simulation.py``) a straight series gets a false
    joinpoint in about 5 % of cases. ``selection="bic"`` minimises instead a quasi-BIC,
    ``deviance_k / phi + (2 + 2k) log(n_months)``, with ``phi`` the 12-month block dispersion
    of the largest model (at least 1). Standard errors include the uncertainty of the locations (the ``V`` terms,
    as ``segmented``); the AAPC weights segments by their length in years (Clegg et al. 2009).

    References
    ----------
    Kim, H.-J. et al. (2000). Permutation tests for joinpoint regression with applications to
    cancer rates. Stat Med 19, 335-351. Muggeo, V. M. R. (2003). Estimating regression models
    with unknown break-points. Stat Med 22, 3055-3071. Clegg et al. (2009), see :func:`trend`.

    Validated against R 4.2.2 ``segmented`` 1.6-2 with a fixed number of joinpoints; see
    tests/reference/crime/.

    Examples
    --------
    >>> per = pd.period_range("2014-01", periods=120, freq="M")
    >>> mu = 40 * np.exp(np.where(np.arange(120) < 60, 0.0, -0.2 * (np.arange(120) - 60) / 12))
    >>> panel = MonthlyPanel.from_arrays(np.random.default_rng(5).poisson(mu), per,
    ...                                  population=np.full(120, 80_000))
    >>> jp = joinpoints(panel, max_joinpoints=1)
    >>> jp.n_joinpoints, str(jp.joinpoints["location"].iloc[0])  # planted: 2019-01
    (1, '2019-03')
    """
    floor = check_floor(dispersion_floor)
    if selection not in ("permutation", "bic"):
        raise ValueError(f"selection must be 'permutation' or 'bic', got {selection!r}")
    if not (isinstance(n_permutations, (int, np.integer)) and n_permutations >= 19):
        raise ValueError("n_permutations must be a whole number >= 19 (999 or more for a "
                         "stable p-value)")
    panel = as_panel(data, population, level=level, areas=areas, crime_types=crime_types,
                     start=start, end=end)
    if len(panel.keys) != 1:
        raise DataError(f"joinpoints() fits one series; the selection gives {len(panel.keys)} "
                        "(choose one with areas=[...] and crime_types=[...])")
    obs = panel.observed[0]
    periods = panel.periods[obs]
    y = panel.counts[0, obs]
    off = np.log(panel.exposure[0, obs])
    t = time_years(periods)
    n = len(t)
    Sx, snames = seasonal_terms(np.asarray(periods.month), seasonality=seasonality,
                                harmonics=harmonics)
    Xb = np.column_stack([np.ones(n), t, Sx])
    ks = [n_joinpoints] if n_joinpoints is not None else list(range(max_joinpoints + 1))
    fits = {}
    for k in ks:
        if k == 0:
            f = fit_batch(y, Xb, offset=off)
            fits[0] = (np.empty(0), f.deviance[0])
            continue
        if psi_start is not None and k == n_joinpoints:
            c = (periods.asi8[0] + periods.asi8[-1]) / 2.0
            start_psi = np.sort([(pd.Period(v, freq="M").ordinal - c) / 12.0 if
                                 not isinstance(v, (float, np.floating)) else float(v)
                                 for v in psi_start])
        else:
            start_psi = _grid_search(y, Xb, t, off, k, min_segment)
        if start_psi is None:
            if n_joinpoints is not None:
                raise DataError(f"{n} months cannot hold {k} joinpoints with segments of at least "
                                f"{min_segment} months")
            continue
        fits[k] = _refine(y, Xb, t, off, start_psi)
    kmax = max(fits)
    fmax = fit_batch(y, _jp_design(Xb, t, fits[kmax][0], False), offset=off)
    phi_sel, _ = block_dispersion(fmax, n_params=2 + 2 * kmax)
    phi_sel = float(np.nan_to_num(max(phi_sel[0], 1.0), nan=1.0))
    sel = pd.DataFrame({"n_joinpoints": list(fits), "deviance": [fits[k][1] for k in fits],
                        "n_params": [Xb.shape[1] + 2 * k for k in fits]})
    sel["qbic"] = sel["deviance"] / phi_sel + (2 + 2 * sel["n_joinpoints"]) * np.log(n)
    k = int(sel.loc[sel["qbic"].idxmin(), "n_joinpoints"])
    tests = pd.DataFrame()
    if selection == "permutation" and n_joinpoints is None and kmax > 0:
        null_mu = {kk: fit_batch(y, _jp_design(Xb, t, fits[kk][0], False), offset=off,
                                 tol=1e-12).mu[0] for kk in fits}
        k, tests = permutation_selection(y, off, Xb, t, null_mu, min_segment=min_segment,
                                         n_permutations=n_permutations, alpha=alpha,
                                         block=permutation_block, seed=seed)
    sel["chosen"] = sel["n_joinpoints"] == k
    psi = fits[k][0]
    pb = Xb.shape[1]
    # estimates from the continuous model; covariance from the model with Muggeo's V terms,
    # which adds the joinpoints' own uncertainty (as segmented); dispersion from the former
    fit = fit_batch(y, _jp_design(Xb, t, psi, False), offset=off, tol=1e-12)
    fitv = fit_batch(y, _jp_design(Xb, t, psi, True), offset=off, tol=1e-12) if k else fit
    _, phi, df, caveat = slope_cov(fit, se, 2 + 2 * k, None, floor)
    cov = fitv.cov_unscaled[0] * (1.0 if se == "model" else phi[0])
    if se == "quasi":
        phi = np.array([max(fitv.pearson_chi2[0] / fitv.df_resid[0], floor)])
        cov = fitv.cov_unscaled[0] * phi[0]
        df = fitv.df_resid.copy()
    elif se == "hac":
        cov = fitv.cov_params("hac", lag=int(np.floor(4 * (n / 100) ** (2 / 9))))[0]
    phi, df = float(phi[0]), float(df[0])
    beta = fitv.params[0].copy()
    beta[:pb + k] = fit.params[0]
    bounds = np.concatenate([[t[0]], psi, [t[-1]]])
    L = np.zeros((k + 1, beta.size))
    L[:, 1] = 1.0
    for j in range(1, k + 1):
        L[j:, pb + j - 1] = 1.0
    lo_t, hi_t = t[0], t[-1]
    if aapc_range is not None:
        o = np.asarray(periods.asi8, float)
        c = (o[0] + o[-1]) / 2
        lo_t = (pd.Period(aapc_range[0], freq="M").ordinal - c) / 12
        hi_t = (pd.Period(aapc_range[1], freq="M").ordinal - c) / 12
    wseg = np.clip(np.minimum(bounds[1:], hi_t) - np.maximum(bounds[:-1], lo_t), 0, None)
    wseg = wseg / wseg.sum()
    L = np.vstack([L, wseg @ L])
    slopes = L @ beta
    ses = np.sqrt(np.einsum("ij,jk,ik->i", L, cov, L))
    cols = apc_columns(slopes, ses, np.full(k + 2, df), ci_level)
    center = (periods.asi8[0] + periods.asi8[-1]) / 2.0

    def month_at(tt):
        return pd.Period(ordinal=int(np.floor(center + 12 * tt + 0.5)), freq="M")

    seg_start = [periods[0]] + [month_at(p) + 1 for p in psi]
    seg_end = [month_at(p) for p in psi] + [periods[-1]]
    counts_in = [float(y[(periods >= a) & (periods <= b)].sum())
                 for a, b in zip(seg_start, seg_end)]
    out = pd.concat([panel.keys] * (k + 2), ignore_index=True)
    out["segment"] = pd.array([str(j + 1) for j in range(k + 1)] + ["AAPC"], dtype="str")
    out["segment_start"] = seg_start + [month_at(lo_t)]
    out["segment_end"] = seg_end + [month_at(hi_t)]
    out["variable"] = ["apc"] * (k + 1) + ["aapc"]
    for c in ("estimate", "se", "ci_low", "ci_high"):
        out[c] = cols[c]
    out["ci_level"] = ci_level
    out["df"] = df
    out["deff"] = phi
    out["n"] = np.array(counts_in + [float(y.sum())]).astype(np.int64)
    out["n_eff"] = out["n"] / phi
    how = ("fixed" if n_joinpoints is not None else
           "permutation test" if selection == "permutation" else "QBIC")
    out["method"] = f"joinpoint GLM (Poisson, {se} SE), {k} joinpoint(s), {how}"
    out["suppressed"] = False
    out["suppressed_reason"] = pd.array([str(caveat[0])] * (k + 2), dtype="str")
    out["p_value"] = cols["p_value"]
    out["log_slope"] = slopes
    out["log_slope_se"] = ses
    out["verdict"] = pd.array(verdicts(cols["ci_low"], cols["ci_high"], null=0.0).astype(str),
                              dtype="str")
    q = t_quantile(np.array([df]), ci_level)[0]
    se_psi = np.sqrt(np.diag(cov)[pb + k:]) / np.abs(beta[pb:pb + k]) if k else np.empty(0)
    dec = 1970 + (center + 12 * psi) / 12
    jtab = pd.DataFrame({"joinpoint": np.arange(1, k + 1), "location": [month_at(p) for p in psi],
                         "location_decimal": dec, "location_years_centered": psi,
                         "se_months": 12 * se_psi, "ci_low": dec - q * se_psi,
                         "ci_high": dec + q * se_psi})
    settings = {"max_joinpoints": max_joinpoints, "min_segment": min_segment,
                "seasonality": seasonality, "harmonics": harmonics, "se": se,
                "selection": selection if n_joinpoints is None else "fixed",
                "selection_dispersion": phi_sel}
    names = tuple(["intercept", "t"] + snames + [f"U{j}" for j in range(1, k + 1)]
                  + [f"V{j}" for j in range(1, k + 1)])
    return JoinpointResult(out, jtab, sel, k, fit, names, settings, tests)


