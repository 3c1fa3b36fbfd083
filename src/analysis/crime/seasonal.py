"""Seasonality of monthly crime series: design terms for the models, and which months are high.

:func:`seasonal_terms` gives the seasonal columns every count model here uses (trends,
joinpoints, period comparisons); :func:`seasonality_profile` answers "which months are high?".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from ..swedish import MONTH_NAMES
from .glm import fit_batch, t_pvalue, t_quantile
from .panel import MonthlyPanel, as_panel, model_arrays, time_years  # MonthlyPanel: doctest
from .variance import check_floor

__all__ = ["seasonal_terms", "seasonality_profile", "MONTH_NAMES"]



def seasonal_terms(month_of_year, *, seasonality: str = "fourier",
                   harmonics: int = 2) -> tuple[np.ndarray, list[str]]:
    """Seasonal design columns for calendar months 1..12.

    ``"fourier"``: ``sin(2 pi k m / 12)``, ``cos(2 pi k m / 12)`` for k = 1..harmonics (the
    k = 6 sine is identically 0 and dropped); ``"month"``: indicators for February..December
    (January is the reference, as R ``factor(month)``); ``"none"``: no columns.

    Examples
    --------
    >>> X, names = seasonal_terms(np.arange(1, 13), harmonics=1)
    >>> names, X.shape
    (['sin1', 'cos1'], (12, 2))
    """
    m = np.asarray(month_of_year, dtype=float)
    if seasonality == "none":
        return np.empty((m.size, 0)), []
    if seasonality == "month":
        cols = [(m == k).astype(float) for k in range(2, 13)]
        return np.column_stack(cols), [f"month{k}" for k in range(2, 13)]
    if seasonality != "fourier":
        raise ValueError(f"seasonality must be 'fourier', 'month' or 'none', got {seasonality!r}")
    if not 1 <= harmonics <= 6:
        raise ValueError("harmonics must be between 1 and 6")
    cols, names = [], []
    for k in range(1, harmonics + 1):
        if k < 6:
            cols.append(np.sin(2 * np.pi * k * m / 12))
            names.append(f"sin{k}")
        cols.append(np.cos(2 * np.pi * k * m / 12))
        names.append(f"cos{k}")
    return np.column_stack(cols), names



def seasonality_profile(data, population=None, *, level: str = "kommun", areas=None,
                        crime_types=None, start=None, end=None,
                        ci_level: float = 0.95, dispersion_floor: float = 1.0) -> pd.DataFrame:
    """Which months are high? Month effects relative to the average month, per series.

    Model per series: ``log E[count_t] = log(person-years_t) + a + b t + g_month(t)`` with
    ``sum g = 0``; ``ratio_m = exp(g_m)`` is the month's rate relative to the average month,
    after trend and population. Quasi-Poisson (monthly Pearson dispersion, at least
    ``dispersion_floor``), t reference with the residual df.

    Parameters
    ----------
    data, population, level, areas, crime_types, start, end
        As :func:`trend`; at least 24 months per series.
    ci_level : float
        Confidence level.
    dispersion_floor : float
        ``max(phi, dispersion_floor)`` is used (default 1: never narrower than Poisson;
        ``0`` for the estimate as it is, as R ``glm(quasipoisson)``).

    Returns
    -------
    pandas.DataFrame
        12 rows per series: ``level, area_code, area_name, crime_type, month`` (1-12),
        ``month_name``, ``variable`` (``"seasonal_ratio"``), ``estimate``, ``se`` (delta
        method), ``ci_low``, ``ci_high``, ``ci_level``, ``df``, ``deff`` (dispersion), ``n``
        (crimes in that calendar month over the years), ``n_eff``, ``method``, ``suppressed``,
        ``suppressed_reason``, ``p_value`` (H0: ratio 1), ``position`` (``hög``/``låg``/
        ``normal``: whole interval above/below 1), ``rank`` (1 = highest month),
        ``seasonality_p_value`` (quasi-F test of all month effects, same on the 12 rows).

    References
    ----------
    Bhaskaran, K. et al. (2013). Time series regression studies in environmental epidemiology.
    IJE 42, 1187-1195 (month indicators for seasonality).

    Validated against R 4.2.2 ``glm(quasipoisson)`` with ``contr.sum`` month contrasts; see
    tests/reference/crime/.

    Examples
    --------
    >>> per = pd.period_range("2016-01", periods=96, freq="M")
    >>> mu = 50 * np.exp(0.4 * np.cos(2 * np.pi * (per.month - 7) / 12))
    >>> panel = MonthlyPanel.from_arrays(np.random.default_rng(1).poisson(mu), per,
    ...                                  population=np.full(96, 1e5))
    >>> prof = seasonality_profile(panel)
    >>> prof.loc[prof["position"] == "hög", "month_name"].tolist()
    ['maj', 'juni', 'juli', 'augusti', 'september']
    """
    from scipy import stats  # imported when used: about 0.6 s, see analysis._special
    panel = as_panel(data, population, level=level, areas=areas, crime_types=crime_types,
                     start=start, end=end)
    if panel.observed.sum(1).min() < 24:
        raise DataError("a seasonal profile needs at least 24 months in every series")
    y, off, w = model_arrays(panel)
    t = time_years(panel.periods)
    Md, _ = seasonal_terms(panel.month_of_year, seasonality="month")
    X = np.column_stack([np.ones_like(t), t, Md])
    fit = fit_batch(y, X, offset=off, weights=w)
    phi = np.maximum(fit.scale, check_floor(dispersion_floor))
    df = fit.df_resid
    cov = fit.cov_unscaled * phi[:, None, None]
    # month effects with sum-to-zero: g = A @ beta, A picks (0, c2..c12) minus their mean
    A = np.zeros((12, X.shape[1]))
    A[1:, 2:] = np.eye(11)
    A[:, 2:] -= 1.0 / 12.0
    g = fit.params @ A.T
    vg = np.einsum("ij,sjk,ik->si", A, cov, A)
    seg = np.sqrt(vg)
    q = t_quantile(df, ci_level)[:, None]
    f0 = fit_batch(y, X[:, :2], offset=off, weights=w)
    with np.errstate(invalid="ignore", divide="ignore"):
        F = (f0.deviance - fit.deviance) / 11 / phi
    pF = stats.f.sf(F, 11, np.maximum(df, 1))
    S = len(panel.keys)
    moy = panel.month_of_year
    nm = np.stack([(y * w)[:, moy == m].sum(1) for m in range(1, 13)], axis=1)
    out = panel.keys.loc[np.repeat(np.arange(S), 12)].reset_index(drop=True)
    est = np.exp(g)
    # a month without crimes has an unbounded ratio: an infinite bound is the honest answer
    with np.errstate(over="ignore"):
        lo, hi = np.exp(g - q * seg), np.exp(g + q * seg)
    out["month"] = np.tile(np.arange(1, 13), S)
    out["month_name"] = pd.array(np.tile(MONTH_NAMES, S), dtype="str")
    out["variable"] = "seasonal_ratio"
    out["estimate"] = est.ravel()
    out["se"] = (est * seg).ravel()
    out["ci_low"] = lo.ravel()
    out["ci_high"] = hi.ravel()
    out["ci_level"] = ci_level
    out["df"] = np.repeat(df, 12)
    out["deff"] = np.repeat(phi, 12)
    out["n"] = nm.ravel().astype(np.int64)
    out["n_eff"] = (nm / phi[:, None]).ravel()
    out["method"] = "quasi-Poisson GLM, month effects (sum to zero), trend adjusted"
    out["suppressed"] = False
    out["suppressed_reason"] = ""
    out["p_value"] = t_pvalue((g / seg).ravel(), np.repeat(df, 12))
    pos = np.where(lo > 1, "hög", np.where(hi < 1, "låg", "normal"))
    out["position"] = pd.array(pos.ravel(), dtype="str")
    out["rank"] = (-est).argsort(1).argsort(1).ravel() + 1
    out["seasonality_p_value"] = np.repeat(pF, 12)
    return out
