"""Tidy crime and population frames → aligned monthly arrays for the evaluation models.

One kommun's series (counts summed over the target crime types, with the month's person-years
by the one exposure rule of :func:`analysis.crime.panel.person_years`) and panels of many kommuner on the same calendar. Missing months are never filled: a
kommun whose series does not cover the whole window is left out of a panel and named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..crime_types import AGGREGATES, canonical_crime_type, drop_nested
from ..crime.panel import person_years
from ..errors import DataError

__all__ = ["parse_crime_types", "monthly_series", "Panel", "build_panel",
           "to_period"]


def to_period(value) -> pd.Period:
    """A month from a date, a ``YYYY-MM`` string or a Period."""
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    return pd.Timestamp(value).to_period("M")


def parse_crime_types(value) -> tuple[str, ...]:
    """Target crime types from the registry (';'-separated text or a sequence), canonical names."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ()
    parts = value.split(";") if isinstance(value, str) else list(value)
    out = []
    for part in parts:
        part = str(part).strip()
        if not part:
            continue
        name = part if part in AGGREGATES else (canonical_crime_type(part) or part)
        out.append(name)
    return tuple(dict.fromkeys(out))


def _expand(crimes: pd.DataFrame, crime_types: tuple[str, ...]) -> tuple[str, ...]:
    present = set(crimes["crime_type"].unique())
    out: list[str] = []
    for ct in crime_types:
        if ct in present:
            out.append(ct)
        elif ct in AGGREGATES:
            out.extend(AGGREGATES[ct])
        else:
            out.append(ct)
    # a subcategory listed with its crime ("Narkotikabrott" and "…, innehav") is inside it
    return drop_nested(out)


def monthly_series(crimes: pd.DataFrame, population: pd.DataFrame | None, *, kommunkod: str,
                   crime_types) -> pd.DataFrame:
    """One kommun's monthly counts summed over ``crime_types``, with the month's population.

    Returns a frame ``period, count, population, exposure``: the 31 December population of the
    month's year and the month's person-years (:func:`analysis.crime.panel.person_years`, the
    exposure rule of the crime statistics too); both NaN without a population frame.
    Raises :class:`DataError` if a crime type is missing or the months have a gap.
    """
    types = _expand(crimes, parse_crime_types(crime_types))
    if not types:
        raise DataError("no crime types given to evaluate")
    sub = crimes.loc[(crimes["kommunkod"] == kommunkod) & crimes["crime_type"].isin(types)]
    missing = sorted(set(types) - set(sub["crime_type"].unique()))
    if missing:
        raise DataError(f"kommun {kommunkod} has no rows for crime type(s) {', '.join(missing)}")
    wide = sub.pivot_table(index="period", columns="crime_type", values="count", aggfunc="sum")
    periods = pd.period_range(wide.index.min(), wide.index.max(), freq="M")
    if len(periods) != len(wide) or wide.isna().any().any():
        raise DataError(f"the monthly series of {kommunkod} has gaps for {', '.join(types)}; "
                        "months are never filled silently (write 0 for months with no crimes)")
    out = pd.DataFrame({"period": periods, "count": wide.sum(axis=1).to_numpy(dtype=float)})
    if population is not None:
        expo, pop = person_years(population, [kommunkod], periods, fallback="nearest")
        out["population"], out["exposure"] = pop[0], expo[0]
    else:
        out["population"] = out["exposure"] = np.nan
    return out


@dataclass(frozen=True)
class Panel:
    """Kommuner × months on one calendar: ``counts``, ``population`` (31 December of the month's
    year) and ``exposure`` (person-years, the offset of every model) have shape (K, n)."""

    codes: tuple[str, ...]
    periods: pd.PeriodIndex
    counts: np.ndarray
    population: np.ndarray
    exposure: np.ndarray
    dropped: tuple[str, ...] = ()

    def index(self, code: str) -> int:
        return self.codes.index(code)


def build_panel(crimes: pd.DataFrame, population: pd.DataFrame | None, *, crime_types,
                kommuner=None, periods: pd.PeriodIndex | None = None) -> Panel:
    """Monthly counts of ``crime_types`` for many kommuner on a common calendar.

    Kommuner whose series lacks any month of ``periods`` (default: the months of the first
    kommun) are dropped and listed in ``Panel.dropped``, never padded.
    """
    types = _expand(crimes, parse_crime_types(crime_types))
    sub = crimes.loc[crimes["crime_type"].isin(types)]
    if kommuner is not None:
        sub = sub.loc[sub["kommunkod"].isin(list(kommuner))]
    n_types = sub.groupby("kommunkod")["crime_type"].nunique()
    agg = sub.groupby(["kommunkod", "period"], as_index=False)["count"].sum()
    wide = agg.pivot(index="kommunkod", columns="period", values="count")
    order = list(kommuner) if kommuner is not None else sorted(wide.index)
    order = [c for c in order if c in wide.index]
    wide = wide.reindex(order)
    if periods is None:
        periods = pd.period_range(wide.columns.min(), wide.columns.max(), freq="M")
    wide = wide.reindex(columns=periods)
    complete = wide.notna().all(axis=1) & (n_types.reindex(wide.index) == len(types))
    dropped = tuple(wide.index[~complete])
    wide = wide.loc[complete]
    codes = tuple(wide.index)
    counts = wide.to_numpy(dtype=float)
    if population is not None and len(codes):
        expo, pop = person_years(population, codes, periods, fallback="nearest")
    else:
        expo = pop = np.full_like(counts, np.nan)
    return Panel(codes, periods, counts, pop, expo, dropped)
