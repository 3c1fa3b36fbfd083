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
           "to_period", "type_rows", "monthly_series_by_kommun"]


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


def type_rows(crimes: pd.DataFrame, crime_types) -> pd.DataFrame:
    """The rows of ``crimes`` an evaluation of ``crime_types`` reads, in their order.

    The rows of the crime types listed and of those they expand to (aggregates to their
    members). :func:`monthly_series` and :func:`build_panel` give the same frames and panels
    from these rows as from all of ``crimes`` (the types listed that are present are still
    present, so they expand alike), without comparing strings over every row of a large frame
    again and again.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Tidy crimes (``kommunkod, period, crime_type, count``, …).
    crime_types : str or sequence
        Target crime types as in the measures registry.

    Returns
    -------
    pandas.DataFrame
        A row subset of ``crimes`` (all columns, original index).
    """
    listed = parse_crime_types(crime_types)
    keep = set(_expand(crimes, listed)) | set(listed)
    return crimes.loc[crimes["crime_type"].isin(list(keep))]


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


def monthly_series_by_kommun(crimes: pd.DataFrame, population: pd.DataFrame | None, *,
                             kommuner, crime_types) -> dict[str, pd.DataFrame]:
    """:func:`monthly_series` of many kommuner at once, those it would not refuse.

    One pivot of all the kommuner's rows and one :func:`~analysis.crime.panel.person_years`
    per calendar instead of one of each per kommun; each frame is the one
    :func:`monthly_series` returns for that kommun (a kommun that lacks a crime type, has a
    gap or has no population is left out, where :func:`monthly_series` raises).

    Parameters
    ----------
    crimes : pandas.DataFrame
        Tidy crimes; the crime types expand against all of its rows, as in
        :func:`monthly_series`.
    population : pandas.DataFrame or None
        Population (``kommunkod, year, population``), or None for NaN population and exposure.
    kommuner : sequence of str
        The kommuner, in the order of the result.
    crime_types : str or sequence
        Target crime types as in the measures registry.

    Returns
    -------
    dict
        Kommun code → ``period, count, population, exposure``, in the order of ``kommuner``.
    """
    types = _expand(crimes, parse_crime_types(crime_types))
    codes = list(dict.fromkeys(kommuner))
    if not types or not codes:
        return {}
    sub = crimes.loc[crimes["kommunkod"].isin(codes) & crimes["crime_type"].isin(types)]
    if sub.empty:
        return {}
    wide = sub.pivot_table(index=["kommunkod", "period"], columns="crime_type", values="count",
                           aggfunc="sum")
    if set(wide.columns) != set(types):
        return {}  # a type no kommun has: monthly_series refuses every one of them
    have = set(wide.index.get_level_values(0))
    counts: dict[str, tuple[pd.PeriodIndex, np.ndarray]] = {}
    for code in codes:
        if code not in have:
            continue
        w = wide.loc[code]
        if w.isna().all().any():
            continue  # a crime type missing in this kommun
        periods = pd.period_range(w.index.min(), w.index.max(), freq="M")
        if len(periods) != len(w) or w.isna().any().any():
            continue  # a gap
        counts[code] = (periods, w.sum(axis=1).to_numpy(dtype=float))
    exposure: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if population is not None:
        calendars: dict[tuple, list[str]] = {}
        for code, (periods, _) in counts.items():
            calendars.setdefault((periods[0], periods[-1]), []).append(code)
        for group in calendars.values():
            periods = counts[group[0]][0]
            try:  # person_years is row by row: the same numbers for a kommun in any group
                expo, pop = person_years(population, group, periods, fallback="nearest")
                exposure.update({c: (pop[i], expo[i]) for i, c in enumerate(group)})
            except Exception:  # noqa: BLE001 - a kommun without population: find it, keep the others
                for code in group:
                    try:
                        expo, pop = person_years(population, [code], periods, fallback="nearest")
                    except Exception:  # noqa: BLE001 - monthly_series would raise: left out
                        continue
                    exposure[code] = (pop[0], expo[0])
    out = {}
    for code, (periods, count) in counts.items():
        frame = pd.DataFrame({"period": periods, "count": count})
        if population is None:
            frame["population"] = frame["exposure"] = np.nan
        elif code in exposure:
            frame["population"], frame["exposure"] = exposure[code]
        else:
            continue
        out[code] = frame
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
