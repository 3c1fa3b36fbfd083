"""Crime rates per inhabitant with exact Poisson intervals, for kommun, län and riket.

Answers "how many reported crimes per 100 000 inhabitants, and how precisely is that known?"
for calendar months, quarters, years, rolling 12 months and Kolada-style 3-year averages. The
monthly panel built here (:func:`monthly_panel`) feeds comparisons (:mod:`analysis.crime_compare`),
trends (:mod:`analysis.crime_trends`) and funnel data (:mod:`analysis.funnel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .errors import DataError, Problem
from .municipalities import RIKET_CODE, counties, municipalities
from .schemas import validate
from .verdicts import DEFAULT_THRESHOLD, small_number_rule

__all__ = ["garwood_ci", "MonthlyPanel", "monthly_panel", "as_panel", "crime_rates", "LEVELS",
           "PERIODS"]

LEVELS = ("kommun", "lan", "riket")
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
    x = np.asarray(x, dtype=float)
    a = 1.0 - ci_level
    with np.errstate(invalid="ignore"):
        low = np.where(x > 0, stats.gamma.ppf(a / 2, np.maximum(x, 1e-300)), 0.0)
        high = stats.gamma.ppf(1 - a / 2, x + 1)
    return low, high


@dataclass(frozen=True)
class MonthlyPanel:
    """Monthly counts and exposures of S series on a common calendar of n months.

    Attributes
    ----------
    keys : pandas.DataFrame
        One row per series: ``level``, ``area_code`` (kommunkod, lanskod or ``"00"``),
        ``area_name``, ``crime_type``.
    periods : pandas.PeriodIndex
        The n consecutive months.
    counts : ndarray (S, n)
        Reported crimes; NaN where the series has no data for the month.
    exposure : ndarray (S, n)
        Person-years: population on 31 December of the month's year × days in month / days
        in year (a full calendar year sums to the Kolada denominator).
    preliminary : ndarray (S, n) of bool
        The month's figure is ``preliminär``.
    population : ndarray (S, n)
        The population used for the month.
    """

    keys: pd.DataFrame
    periods: pd.PeriodIndex
    counts: np.ndarray
    exposure: np.ndarray
    preliminary: np.ndarray
    population: np.ndarray

    @property
    def observed(self) -> np.ndarray:
        """(S, n) bool: the month has data."""
        return ~np.isnan(self.counts)

    @property
    def month_of_year(self) -> np.ndarray:
        return np.asarray(self.periods.month)

    @property
    def year(self) -> np.ndarray:
        return np.asarray(self.periods.year)

    @classmethod
    def from_arrays(cls, counts, periods, *, population=None, exposure=None,
                    keys: pd.DataFrame | None = None) -> "MonthlyPanel":
        """A panel from plain arrays (one series as 1-D, or S series as rows).

        Give either ``population`` (per month: the 31 December figure of its year) or
        ``exposure`` (person-years, used as is). Used for län tables, published series and
        simulations that do not come as a kommun crimes frame.

        Examples
        --------
        >>> per = pd.period_range("2010-01", periods=12, freq="M")
        >>> p = MonthlyPanel.from_arrays(np.full(12, 5.0), per, population=np.full(12, 1e5))
        >>> round(float(p.exposure.sum()), 6)
        100000.0
        """
        periods = pd.PeriodIndex(periods, freq="M")
        c = np.atleast_2d(np.asarray(counts, dtype=float))
        n = len(periods)
        if c.shape[1] != n:
            raise ValueError(f"counts have {c.shape[1]} months but periods {n}")
        days = np.asarray(periods.days_in_month, dtype=float)
        dyear = np.where(periods.is_leap_year, 366.0, 365.0)
        if exposure is not None:
            e = np.broadcast_to(np.asarray(exposure, dtype=float), c.shape).copy()
            pop = e / (days / dyear)
        elif population is not None:
            pop = np.broadcast_to(np.asarray(population, dtype=float), c.shape).copy()
            e = pop * days / dyear
        else:
            raise ValueError("give population= or exposure=")
        if keys is None:
            keys = pd.DataFrame({"level": "serie", "area_code": [str(i) for i in range(len(c))],
                                 "area_name": "", "crime_type": ""})
        keys = keys.reset_index(drop=True).astype("str")
        return cls(keys, periods, c, e, np.zeros(c.shape, bool), pop)

    def subset(self, mask) -> "MonthlyPanel":
        """The series selected by a boolean mask or index array over ``keys``."""
        idx = np.flatnonzero(mask) if np.asarray(mask).dtype == bool else np.asarray(mask)
        return MonthlyPanel(self.keys.iloc[idx].reset_index(drop=True), self.periods,
                            self.counts[idx], self.exposure[idx], self.preliminary[idx],
                            self.population[idx])


def _typed_crimes(crimes: pd.DataFrame) -> pd.DataFrame:
    """Validated crimes frame; the full validator runs unless dtypes are already right."""
    need = ("kommunkod", "period", "crime_type", "count")
    missing = [c for c in need if c not in crimes]
    if missing:
        raise DataError(Problem("required column missing", column=missing[0],
                                expected="columns " + ", ".join(need)))
    typed = (isinstance(crimes["period"].dtype, pd.PeriodDtype)
             and pd.api.types.is_integer_dtype(crimes["count"].dtype))
    if not typed:
        return validate(crimes, "crimes")
    df = crimes
    problems = []
    if (df["count"] < 0).any():
        i = int(np.flatnonzero((df["count"] < 0).to_numpy())[0])
        problems.append(Problem("negative count", row=i + 2, column="count",
                                value=df["count"].iloc[i], expected="a whole number >= 0"))
    if df["period"].isna().any():
        problems.append(Problem("missing month", column="period", expected="YYYY-MM"))
    if problems:
        raise DataError(problems)
    return df


def _population_table(population: pd.DataFrame) -> pd.DataFrame:
    pop = population
    for col in ("sex", "age_group"):
        if col in pop and pop[col].notna().any():
            totals = pop[pop[col].isna()]
            pop = totals if len(totals) else pop
    pop = pop.groupby(["kommunkod", "year"], as_index=False)["population"].sum()
    pop["year"] = pop["year"].astype(int)
    return pop


def _kommun_arrays(crimes, population, crime_types, start, end, population_fallback):
    df = _typed_crimes(crimes)
    if crime_types is not None:
        df = df[df["crime_type"].isin(list(crime_types))]
    ords = df["period"].array.asi8
    if start is not None:
        keep = ords >= pd.Period(start, freq="M").ordinal
        df, ords = df[keep], ords[keep]
    if end is not None:
        keep = ords <= pd.Period(end, freq="M").ordinal
        df, ords = df[keep], ords[keep]
    if df.empty:
        raise DataError("no crime data left after selecting crime types and months")
    kcodes, kuniq = pd.factorize(df["kommunkod"].astype(str), sort=True)
    tcodes, tuniq = pd.factorize(df["crime_type"].astype(str), sort=True)
    o0 = int(ords.min())
    n = int(ords.max()) - o0 + 1
    periods = pd.period_range(pd.Period(ordinal=o0, freq="M"), periods=n, freq="M")
    lin = (kcodes.astype(np.int64) * len(tuniq) + tcodes) * n + (ords - o0)
    if np.bincount(lin).max() > 1:
        raise DataError(Problem("duplicate rows for the same kommunkod × period × crime_type",
                                column="period", expected="one row per kommun, month and type"))
    counts = np.full((len(kuniq), len(tuniq), n), np.nan)
    counts[kcodes, tcodes, ords - o0] = df["count"].to_numpy(dtype=float)
    prelim = np.zeros(counts.shape, dtype=bool)
    if "status" in df:
        prelim[kcodes, tcodes, ords - o0] = (df["status"].astype(str) == "preliminär").to_numpy()
    # a gap inside a series is an error (data model): never filled silently
    obs = ~np.isnan(counts)
    first = np.where(obs.any(-1), obs.argmax(-1), 0)
    last = np.where(obs.any(-1), n - 1 - obs[..., ::-1].argmax(-1), -1)
    gaps = (last - first + 1) - obs.sum(-1)
    if np.any(gaps > 0):
        k, t = np.argwhere(gaps > 0)[0]
        raise DataError(Problem(f"gap in the monthly series of {kuniq[k]} × {tuniq[t]}: "
                                f"{int(gaps[k, t])} month(s) missing; not filled silently",
                                column="period",
                                expected="write count 0 for months without crimes"))
    pop = _population_table(population)
    pop = pop[pop["kommunkod"].isin(kuniq)]
    years = np.asarray(periods.year)
    yuniq = np.unique(years)
    ptab = pop.pivot(index="kommunkod", columns="year", values="population").reindex(
        index=kuniq, columns=sorted(set(yuniq) | set(pop["year"])))
    pmat = ptab.to_numpy(dtype=float)
    if np.isnan(pmat[:, np.searchsorted(ptab.columns, yuniq)]).any():
        if population_fallback == "nearest":
            filled = ptab.T.interpolate("nearest", limit_direction="both").ffill().bfill()
            pmat = filled.T.to_numpy(float)
        # only the years that carry data must have a population
        need = obs.any(1)  # (K, n)
        ycol = np.searchsorted(ptab.columns, years)
        miss = need & np.isnan(pmat[:, ycol])
        if miss.any():
            k, j = np.argwhere(miss)[0]
            nmiss = len({(a, years[b]) for a, b in np.argwhere(miss)})
            raise DataError(Problem(
                f"no population for kommun {kuniq[k]} in {years[j]} ({nmiss} kommun-year(s) "
                "missing)", column="population",
                expected="31 December population for every year with crime data (or "
                "population_fallback='nearest' to carry the nearest year)"))
    ycol = np.searchsorted(ptab.columns, years)
    popm = pmat[:, ycol]  # (K, n)
    days = np.asarray(periods.days_in_month, dtype=float)
    dyear = np.where(pd.PeriodIndex(periods).is_leap_year, 366.0, 365.0)
    expo = popm * (days / dyear)[None, :]
    return kuniq, tuniq, periods, counts, prelim, expo, popm


def monthly_panel(crimes: pd.DataFrame, population: pd.DataFrame, *, level: str = "kommun",
                  areas: Sequence[str] | None = None, crime_types: Sequence[str] | None = None,
                  start=None, end=None, allow_partial: bool = False,
                  population_fallback: str = "error") -> MonthlyPanel:
    """Monthly counts and person-years per area × crime type, aggregated to kommun, län or riket.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Tidy crimes frame (``kommunkod, period, crime_type, count[, status]``).
    population : pandas.DataFrame
        ``kommunkod, year, population`` (31 December).
    level : {"kommun", "lan", "riket"}
        Län and riket are sums over their kommuner: counts and populations alike.
    areas : list of str, optional
        Keep these area codes (kommunkod for ``kommun``, lanskod for ``lan``).
    crime_types : list of str, optional
        Keep these crime types.
    start, end : str or pandas.Period, optional
        First and last month to use.
    allow_partial : bool
        Aggregate a län/riket even if some of its kommuner are missing from ``crimes``
        (the area name then says so). Default: raise :class:`DataError`.
    population_fallback : {"error", "nearest"}
        What to do when a year has no population (e.g. preliminary months of the current year).

    Returns
    -------
    MonthlyPanel

    Examples
    --------
    >>> months = pd.period_range("2023-01", periods=24, freq="M")
    >>> crimes = pd.DataFrame({"kommunkod": "1760", "period": months,
    ...                        "crime_type": "Misshandel (inkl. grov)", "count": 4})
    >>> pop = pd.DataFrame({"kommunkod": "1760", "year": [2023, 2024], "population": [3800, 3777]})
    >>> p = monthly_panel(crimes, pop)
    >>> p.counts.shape, round(float(p.exposure[0, :12].sum()), 6)
    ((1, 24), 3800.0)
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if population_fallback not in ("error", "nearest"):
        raise ValueError("population_fallback must be 'error' or 'nearest'")
    kuniq, tuniq, periods, counts, prelim, expo, popm = _kommun_arrays(
        crimes, population, crime_types, start, end, population_fallback)
    reg = municipalities().set_index("kommunkod")
    K, T, n = counts.shape
    if level == "kommun":
        groups = {c: [i] for i, c in enumerate(kuniq)}
        names = {c: reg.at[c, "kommun"] if c in reg.index else c for c in kuniq}
        members = {c: {c} for c in kuniq}
    else:
        lan = reg.loc[list(kuniq), "lanskod"].to_numpy()
        if level == "lan":
            codes = sorted(set(lan))
            groups = {c: list(np.flatnonzero(lan == c)) for c in codes}
            cn = counties().set_index("lanskod")["lan"]
            names = {c: cn[c] for c in codes}
            members = {c: set(reg.index[reg["lanskod"] == c]) for c in codes}
        else:
            groups = {RIKET_CODE: list(range(K))}
            names = {RIKET_CODE: "Riket"}
            members = {RIKET_CODE: set(reg.index)}
    if areas is not None:
        wanted = [str(a) for a in areas]
        unknown = [a for a in wanted if a not in groups]
        if unknown:
            raise DataError(Problem(f"no data for area(s) {', '.join(unknown)} at level {level!r}",
                                    column="kommunkod", value=unknown[0],
                                    expected="codes present in the crimes frame"))
        groups = {a: groups[a] for a in wanted}
    if level == "kommun":  # no aggregation: slice the arrays (the fast route for 290 kommuner)
        kk = np.array([g[0] for g in groups.values()], dtype=int)
        has = ~np.isnan(counts[kk]).all(-1)  # (k, T)
        ki, ti = np.nonzero(has)
        ks = kk[ki]
        keys = pd.DataFrame({"level": "kommun", "area_code": np.asarray(kuniq)[ks],
                             "area_name": [names[c] for c in np.asarray(kuniq)[ks]],
                             "crime_type": np.asarray(tuniq)[ti]}).astype("str")
        return MonthlyPanel(keys, periods, counts[ks, ti], expo[ks], prelim[ks, ti], popm[ks])
    rows, C, E, P, POP = [], [], [], [], []
    kset = list(kuniq)
    for code, idx in groups.items():
        for t in range(T):
            sub = counts[idx, t]
            has = ~np.isnan(sub).all(axis=1)
            if not has.any():
                continue
            present = {kset[i] for i, h in zip(idx, has) if h}
            missing = members[code] - present
            name = names[code]
            if missing and level != "kommun":
                if not allow_partial:
                    raise DataError(Problem(
                        f"{name}: {len(missing)} of {len(members[code])} kommuner have no "
                        f"{tuniq[t]} data (e.g. {sorted(missing)[0]}); the aggregate would be "
                        "wrong", column="kommunkod",
                        expected="all kommuner of the area, or allow_partial=True"))
                name = f"{name} (delvis: {len(present)} av {len(members[code])} kommuner)"
            use = [i for i, h in zip(idx, has) if h]
            c = counts[use, t]
            # an aggregate month exists only if every member kommun reports it
            C.append(np.where(np.isnan(c).any(0), np.nan, np.nansum(c, 0)))
            E.append(expo[use].sum(0))
            POP.append(popm[use].sum(0))
            P.append(prelim[use, t].any(0))
            rows.append((level, code, name, tuniq[t]))
    keys = pd.DataFrame(rows, columns=["level", "area_code", "area_name", "crime_type"])
    keys = keys.astype("str")
    return MonthlyPanel(keys, periods, np.array(C).reshape(-1, n), np.array(E).reshape(-1, n),
                        np.array(P, dtype=bool).reshape(-1, n), np.array(POP).reshape(-1, n))


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


def as_panel(data, population=None, **selection) -> MonthlyPanel:
    """A :class:`MonthlyPanel` from either a panel (selection applied) or a crimes frame.

    ``selection`` takes the keywords of :func:`monthly_panel` (``level``, ``areas``,
    ``crime_types``, ``start``, ``end``, ...); with a panel, ``areas``/``crime_types``/``start``/
    ``end`` filter it and the other keywords must be left at their defaults.
    """
    if isinstance(data, MonthlyPanel):
        p = data
        areas, types = selection.get("areas"), selection.get("crime_types")
        keep = np.ones(len(p.keys), bool)
        if areas is not None:
            keep &= p.keys["area_code"].isin([str(a) for a in areas]).to_numpy()
        if types is not None:
            keep &= p.keys["crime_type"].isin(list(types)).to_numpy()
        if not keep.any():
            raise DataError("no series left after selecting areas and crime types")
        p = p.subset(keep) if not keep.all() else p
        lo = 0 if selection.get("start") is None else \
            int(np.searchsorted(p.periods.asi8, pd.Period(selection["start"], freq="M").ordinal))
        hi = len(p.periods) if selection.get("end") is None else \
            int(np.searchsorted(p.periods.asi8, pd.Period(selection["end"], freq="M").ordinal,
                                side="right"))
        if lo > 0 or hi < len(p.periods):
            p = MonthlyPanel(p.keys, p.periods[lo:hi], p.counts[:, lo:hi], p.exposure[:, lo:hi],
                             p.preliminary[:, lo:hi], p.population[:, lo:hi])
        return p
    if population is None:
        raise ValueError("a crimes frame needs the population frame as well")
    return monthly_panel(data, population, **selection)
