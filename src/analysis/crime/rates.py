"""Crime rates per inhabitant with exact Poisson intervals, for kommun, län and riket.

Answers "how many reported crimes per 100 000 inhabitants, and how precisely is that known?"
for calendar months, quarters, years, rolling 12 months and Kolada-style 3-year averages, from
the monthly panel of :mod:`analysis.crime.panel`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..verdicts import DEFAULT_THRESHOLD, small_number_rule
from .panel import MonthlyPanel, monthly_panel

__all__ = ["garwood_ci", "crime_rates", "PERIODS"]

PERIODS = ("month", "quarter", "year", "rolling12", "3year")


def garwood_ci(x, *, ci_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood 1936) confidence limits for a Poisson mean, given the count ``x``.

    ``low = chi2(a/2; 2x)/2`` (0 when x = 0), ``high = chi2(1 - a/2; 2x + 2)/2``. Divide by the
    exposure for a rate; this is R ``poisson.test(x, T)$conf.int * T``.

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28, 437-442.

    Validated against R 4.2.2 ``poisson.test``; see tests/reference/crime/.

    Examples
    --------
    >>> lo, hi = garwood_ci([0, 10])
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 4.7954], [3.6889, 18.3904])
    """
    from scipy import stats  # imported when used: about 0.6 s, see analysis._special
    x = np.asarray(x, dtype=float)
    a = 1.0 - ci_level
    with np.errstate(invalid="ignore"):
        low = np.where(x > 0, stats.gamma.ppf(a / 2, np.maximum(x, 1e-300)), 0.0)
        high = stats.gamma.ppf(1 - a / 2, x + 1)
    return low, high


def _buckets(periods: pd.PeriodIndex, period: str):
    """(n_months, n_buckets) 0/1 matrix, labels, start and end months, complete-length."""
    n = len(periods)
    ords = np.asarray(periods.asi8)
    if period == "month":
        B = np.eye(n)
        labels = [str(p) for p in periods]
        return B, labels, periods, periods, np.ones(n, int)
    if period in ("quarter", "year"):
        key = (np.asarray(periods.year) * 10 + np.asarray(periods.quarter)) if period == "quarter" \
            else np.asarray(periods.year)
        uk, inv = np.unique(key, return_inverse=True)
        B = np.zeros((n, len(uk)))
        B[np.arange(n), inv] = 1
        labels = [f"{k // 10}Q{k % 10}" if period == "quarter" else str(k) for k in uk]
        if period == "quarter":
            st = pd.PeriodIndex([pd.Period(year=k // 10, month=3 * (k % 10) - 2, freq="M")
                                 for k in uk])
            full = 3
        else:
            st = pd.PeriodIndex([pd.Period(year=int(k), month=1, freq="M") for k in uk])
            full = 12
        en = st + (full - 1)
        return B, labels, st, en, np.full(len(uk), full)
    width = 12 if period == "rolling12" else 36
    if period == "3year":
        ends = [i for i in range(n) if periods[i].month == 12 and i >= width - 1]
    else:
        ends = list(range(width - 1, n))
    B = np.zeros((n, len(ends)))
    for j, e in enumerate(ends):
        B[e - width + 1:e + 1, j] = 1
    st = pd.PeriodIndex([periods[e - width + 1] for e in ends], freq="M")
    en = pd.PeriodIndex([periods[e] for e in ends], freq="M")
    if period == "3year":
        labels = [f"{s.year}–{e.year}" for s, e in zip(st, en)]
    else:
        labels = [f"{s}–{e}" for s, e in zip(st, en)]
    return B, labels, st, en, np.full(len(ends), width)


def crime_rates(crimes: pd.DataFrame, population: pd.DataFrame, *,
                level: str | Sequence[str] = "kommun", period: str = "year", per: float = 100_000,
                ci_level: float = 0.95, threshold: int = DEFAULT_THRESHOLD,
                small_numbers: str = "flag", areas: Sequence[str] | None = None,
                crime_types: Sequence[str] | None = None, allow_partial: bool = False,
                population_fallback: str = "error") -> pd.DataFrame:
    """Reported crimes per ``per`` inhabitants and year, with exact Poisson intervals.

    Parameters
    ----------
    crimes, population : pandas.DataFrame
        Tidy crimes and population frames (docs/data-model.md).
    level : str or list of str
        ``"kommun"``, ``"lan"``, ``"riket"`` or several (rows stacked); län and riket are
        computed from the kommun data.
    period : {"month", "quarter", "year", "rolling12", "3year"}
        Calendar months/quarters/years (incomplete ones kept with ``complete=False``), every
        window of 12 consecutive months, or the 3-calendar-year windows Kolada averages over
        (labelled ``"2021–2023"``; only complete windows).
    per : float
        Rates per this many inhabitants (default 100 000).
    ci_level : float
        Confidence level of the Garwood interval.
    threshold, small_numbers : int, {"flag", "suppress"}
        Small-number rule (:func:`analysis.verdicts.small_number_rule`); ``"suppress"`` blanks
        the rate and its interval, the count stays.
    areas, crime_types, allow_partial, population_fallback
        As in :func:`monthly_panel`.

    Returns
    -------
    pandas.DataFrame
        One row per area × crime type × period bucket:

        - ``level``, ``area_code``, ``area_name``, ``crime_type``: the series.
        - ``period``: label (``"2024"``, ``"2024Q1"``, ``"2024-03"``, ``"2023-04–2024-03"``,
          ``"2022–2024"``); ``period_start``, ``period_end``: first and last month.
        - ``variable``: ``"rate_per_100000"`` (with the ``per`` used).
        - ``estimate``: count / person-years × ``per`` (per inhabitant and year; for a calendar
          year this is count / population 31 December × ``per``, as Kolada).
        - ``se``: Poisson standard error √count / person-years × ``per``.
        - ``ci_low``, ``ci_high``, ``ci_level``: Garwood exact interval.
        - ``df``, ``deff``: NaN (not a survey estimate); ``n``, ``n_eff``: the count.
        - ``method``: ``"Garwood exact Poisson"``.
        - ``suppressed``, ``suppressed_reason``, ``small_numbers``: small-number rule.
        - ``count``: reported crimes; ``person_years``: exposure; ``population``: mean
          population over the months; ``n_months``: months with data; ``complete``: all months
          of the bucket have data; ``preliminary``: any month is preliminary.

    Notes
    -----
    Counts are totals, not samples; the interval expresses the randomness of the process that
    generates crimes (the "underlying rate"), the usual reading for small areas.
    3-year averages divide the 3-year count by the 3-year person-years (Kolada's population-
    weighted mean of the annual rates).

    References
    ----------
    Garwood (1936); Kolada KPI U07418 (3-year mean); Brå definitions (domain notes §3.1).

    Validated against R 4.2.2 ``poisson.test``; see tests/reference/crime/.

    Examples
    --------
    >>> months = pd.period_range("2024-01", periods=12, freq="M")
    >>> crimes = pd.DataFrame({"kommunkod": "1760", "period": months,
    ...                        "crime_type": "Misshandel (inkl. grov)", "count": 4})
    >>> pop = pd.DataFrame({"kommunkod": ["1760"], "year": [2024], "population": [3777]})
    >>> r = crime_rates(crimes, pop)
    >>> r[["count", "estimate", "ci_low", "ci_high"]].round(1).to_dict("records")
    [{'count': 48, 'estimate': 1270.8, 'ci_low': 937.0, 'ci_high': 1685.0}]
    """
    levels = [level] if isinstance(level, str) else list(level)
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    if small_numbers not in ("flag", "suppress"):
        raise ValueError("small_numbers must be 'flag' or 'suppress'")
    frames = []
    for lv in levels:
        panel = monthly_panel(crimes, population, level=lv, crime_types=crime_types,
                              areas=areas if lv != "riket" else None, allow_partial=allow_partial,
                              population_fallback=population_fallback)
        frames.append(_rates_from_panel(panel, period=period, per=per, ci_level=ci_level,
                                        threshold=threshold, small_numbers=small_numbers))
    return pd.concat(frames, ignore_index=True)


def _rates_from_panel(panel: MonthlyPanel, *, period, per, ci_level, threshold, small_numbers):
    B, labels, st, en, full = _buckets(panel.periods, period)
    obs = panel.observed.astype(float)
    x = np.nan_to_num(panel.counts) @ B
    nm = obs @ B
    T = (panel.exposure * obs) @ B
    popsum = (panel.population * obs) @ B
    pre = (panel.preliminary & panel.observed).astype(float) @ B
    keep = nm > 0
    if period in ("rolling12", "3year"):
        keep &= nm == full[None, :]
    s_idx, b_idx = np.nonzero(keep)
    xs, Ts = x[s_idx, b_idx], T[s_idx, b_idx]
    lo, hi = garwood_ci(xs, ci_level=ci_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = xs / Ts * per
    rule = small_number_rule(xs, threshold=threshold, action=small_numbers)
    sup = rule["suppressed"].to_numpy()
    out = panel.keys.iloc[s_idx].reset_index(drop=True)
    per_label = f"{per:g}" if per != int(per) else str(int(per))
    out["period"] = pd.array(np.asarray(labels, dtype=object)[b_idx], dtype="str")
    out["period_start"] = st[b_idx]
    out["period_end"] = en[b_idx]
    out["variable"] = f"rate_per_{per_label}"
    out["estimate"] = np.where(sup, np.nan, est)
    out["se"] = np.where(sup, np.nan, np.sqrt(xs) / Ts * per)
    out["ci_low"] = np.where(sup, np.nan, lo / Ts * per)
    out["ci_high"] = np.where(sup, np.nan, hi / Ts * per)
    out["ci_level"] = ci_level
    out["df"] = np.nan
    out["deff"] = np.nan
    out["n"] = xs.astype(np.int64)
    out["n_eff"] = xs
    out["method"] = "Garwood exact Poisson"
    out["suppressed"] = sup
    out["suppressed_reason"] = rule["suppressed_reason"].to_numpy()
    out["small_numbers"] = rule["small_numbers"].to_numpy()
    out["count"] = xs.astype(np.int64)
    out["person_years"] = Ts
    out["population"] = popsum[s_idx, b_idx] / nm[s_idx, b_idx]
    out["n_months"] = nm[s_idx, b_idx].astype(int)
    out["complete"] = nm[s_idx, b_idx] == full[b_idx]
    out["preliminary"] = pre[s_idx, b_idx] > 0
    return out


