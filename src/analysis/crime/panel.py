"""The monthly panel every crime statistic starts from: counts and exposures per series.

One :class:`MonthlyPanel` holds S series (kommun, län or riket × crime type) on a common calendar
of n months, with one exposure rule (person-years, see ``docs/crime-statistics.md``). Rates
(:mod:`.rates`), period comparisons (:mod:`.compare`), trends (:mod:`.trends`,
:mod:`.joinpoints`), seasonality (:mod:`.seasonal`), funnels (:mod:`.funnel`) and the measure
evaluation (:mod:`analysis.evaluation`) all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..municipalities import RIKET_CODE, counties, municipalities
from ..schema_values import check_values
from ..schemas import validate

__all__ = ["MonthlyPanel", "monthly_panel", "as_panel", "LEVELS", "time_years", "model_arrays", "period_mask",
           "person_years"]

LEVELS = ("kommun", "lan", "riket")


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
    """Validated crimes frame: the full validator, or (dtypes already right) the value checks.

    A typed frame skips the coercion, never the checks of codes, crime types, statuses and
    counts (:func:`analysis.schema_values.check_values`, vectorised); a typed frame that fails
    them goes through the full validator like any other.
    """
    need = ("kommunkod", "period", "crime_type", "count")
    missing = [c for c in need if c not in crimes]
    if missing:
        raise DataError(Problem("required column missing", column=missing[0],
                                expected="columns " + ", ".join(need)))
    typed = (crimes["period"].dtype == pd.PeriodDtype("M")
             and pd.api.types.is_integer_dtype(crimes["count"].dtype))
    if not typed:
        return validate(crimes, "crimes")
    try:
        check_values(crimes, "crimes")
    except DataError:
        # not clean: the full validator decides (it maps label variants such as "Rån" to
        # the canonical names, or reports every problem with its own wording)
        return validate(crimes, "crimes")
    return crimes


def _population_table(population: pd.DataFrame) -> pd.DataFrame:
    pop = population
    for col in ("sex", "age_group"):
        if col in pop and pop[col].notna().any():
            totals = pop[pop[col].isna()]
            pop = totals if len(totals) else pop
    pop = pop.groupby(["kommunkod", "year"], as_index=False)["population"].sum()
    pop["year"] = pop["year"].astype(int)
    return pop


def person_years(population: pd.DataFrame, codes, periods: pd.PeriodIndex, *,
                 fallback: str = "error", need: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The one exposure rule: person-years of each kommun and month, and the population used.

    A month's exposure is the kommun's population on 31 December of the month's year times the
    month's share of that year (days in month / days in year). Twelve months of a year add up
    to exactly that 31 December population, so an annual rate is count / population × 100 000,
    Brå's and Kolada's convention (``docs/crime-statistics.md``, "Exposure"). The crime
    statistics and the measure evaluation both use this function.

    Parameters
    ----------
    population : pandas.DataFrame
        ``kommunkod, year, population`` (totals; rows by sex or age are summed when no total
        row is given).
    codes : sequence of str
        Kommun codes, one row of the result each.
    periods : pandas.PeriodIndex
        The months.
    fallback : {"error", "nearest"}
        A year without population: an error, or the nearest year's figure carried over.
    need : ndarray (len(codes), len(periods)) of bool, optional
        Months that must have a population (default all); others may stay NaN.

    Returns
    -------
    exposure, population : ndarray (len(codes), len(periods))

    Examples
    --------
    >>> pop = pd.DataFrame({"kommunkod": ["1760"] * 2, "year": [2023, 2024],
    ...                     "population": [3_650, 3_660]})
    >>> e, p = person_years(pop, ["1760"], pd.period_range("2024-01", "2024-12", freq="M"))
    >>> round(float(e.sum()), 6), float(p[0, 0])
    (3660.0, 3660.0)
    """
    codes = list(codes)
    pop = _population_table(population)
    pop = pop[pop["kommunkod"].isin(codes)]
    years = np.asarray(periods.year)
    yuniq = np.unique(years)
    ptab = pop.pivot(index="kommunkod", columns="year", values="population").reindex(
        index=codes, columns=sorted(set(yuniq) | set(pop["year"])))
    pmat = ptab.to_numpy(dtype=float)
    need = np.ones((len(codes), len(periods)), bool) if need is None else np.asarray(need, bool)
    if np.isnan(pmat[:, np.searchsorted(ptab.columns, yuniq)]).any():
        if fallback == "nearest":
            filled = ptab.T.interpolate("nearest", limit_direction="both").ffill().bfill()
            pmat = filled.T.to_numpy(float)
        ycol = np.searchsorted(ptab.columns, years)
        miss = need & np.isnan(pmat[:, ycol])
        if miss.any():
            k, j = np.argwhere(miss)[0]
            nmiss = len({(a, years[b]) for a, b in np.argwhere(miss)})
            raise DataError(Problem(
                f"no population for kommun {codes[k]} in {years[j]} ({nmiss} kommun-year(s) "
                "missing)", column="population",
                expected="31 December population for every year with crime data (or "
                "population_fallback='nearest' to carry the nearest year)"))
    ycol = np.searchsorted(ptab.columns, years)
    popm = pmat[:, ycol]
    days = np.asarray(periods.days_in_month, dtype=float)
    dyear = np.where(pd.PeriodIndex(periods).is_leap_year, 366.0, 365.0)
    return popm * (days / dyear)[None, :], popm


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
    expo, popm = person_years(population, kuniq, periods, fallback=population_fallback,
                              need=obs.any(1))
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


def time_years(periods: pd.PeriodIndex) -> np.ndarray:
    """Time in years, centred on the middle of the calendar (the trend models' ``t``).

    Examples
    --------
    >>> time_years(pd.period_range("2020-01", periods=3, freq="M")).tolist()
    [-0.08333333333333333, 0.0, 0.08333333333333333]
    """
    o = np.asarray(periods.asi8, dtype=float)
    return (o - (o[0] + o[-1]) / 2.0) / 12.0


def model_arrays(panel: MonthlyPanel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, log-exposure offset and 0/1 weights for a count GLM (unobserved months weigh 0)."""
    obs = panel.observed
    y = np.where(obs, panel.counts, 0.0)
    with np.errstate(divide="ignore"):
        off = np.where(obs & (panel.exposure > 0), np.log(np.where(panel.exposure > 0,
                                                                   panel.exposure, 1.0)), 0.0)
    return y, off, obs.astype(float)


def period_mask(periods: pd.PeriodIndex, spec) -> np.ndarray:
    """Months of a period given as a year (2024), a month ('2024-06') or (start, end)."""
    if isinstance(spec, (int, np.integer)):
        a = b = None
        mask = np.asarray(periods.year) == int(spec)
    else:
        if isinstance(spec, (tuple, list)):
            a, b = (pd.Period(s, freq="M") for s in spec)
        else:
            a = b = pd.Period(spec, freq="M")
        mask = (periods >= a) & (periods <= b)
    return np.asarray(mask)
