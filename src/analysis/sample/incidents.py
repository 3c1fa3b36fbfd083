"""Synthetic incident reports for the four sample kommuner, with planted hot spots and times.

A kommun's own incident log (trygghetsvärdar, fastighetsägare, skola, socialtjänst, polisens
händelser) for 2024–2025: every incident has a date, a clock time, a place, a type and a
source. Planted, and recorded in the truth: two hot places (six and four times the base rate of
a place), one place whose share triples from 2024 to 2025, and a weekend-night peak (Friday and
Saturday 22–02) five times the base rate of its weekday × hour cell. :mod:`analysis.crime.place`
should find them (tests/crime/test_place.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import SAMPLE_KOMMUNER, stream

__all__ = ["INCIDENT_YEARS", "incidents_frame", "incidents_truth", "PEAK_CELLS"]

KEY_INCIDENTS = 8  #: seed-tree branch of the incidents (keys 1–7 are in _base)
INCIDENT_YEARS = (2024, 2025)
#: Incidents a year in each sample kommun (roughly proportional to its size).
_PER_YEAR = {"2181": 620, "2026": 260, "1760": 150, "1080": 900}
_PLACES = ("Resecentrum", "Stora torget", "Skolgården vid Centralskolan", "Idrottsplatsen",
           "Biblioteket", "Busstorget", "Parkeringen vid simhallen", "Stationsparken",
           "Fritidsgården", "Köpcentrum", "Hamnen", "Vårdcentralen")
#: Number of places in each sample kommun (a small kommun has fewer named places).
_N_PLACES = {"2181": 10, "2026": 8, "1760": 6, "1080": 12}
_HOT = {"Resecentrum": 6.0, "Stora torget": 4.0}  # planted hot places: × base place weight
_RISING = "Fritidsgården"  # planted change: × 3 from 2024 to 2025
_RISING_FACTOR = 3.0
_TYPES = (("Skadegörelse", 0.32), ("Ordningsstörning", 0.25), ("Stöld", 0.18),
          ("Klotter", 0.12), ("Hot eller våld", 0.08), ("Narkotikarelaterat", 0.05))
_SOURCES = (("Trygghetsvärdar", 0.35), ("Fastighetsägare", 0.25), ("Polisens händelser", 0.25),
            ("Skola", 0.10), ("Socialtjänst", 0.05))
#: Weekday (0 = Monday) × hour cells of the planted weekend-night peak: Friday and Saturday
#: evenings 22–24 and the nights after them, 00–02 on Saturday and Sunday.
PEAK_CELLS = ((4, 22), (4, 23), (5, 0), (5, 1), (5, 22), (5, 23), (6, 0), (6, 1))
_PEAK_FACTOR = 5.0
_MISSING_TIME = 0.03  # share of incidents logged without a clock time


def _hour_profile() -> np.ndarray:
    """Base intensity by hour: quiet at night, steady by day, higher in the evening."""
    h = np.arange(24)
    return np.where(h < 6, 0.35, np.where(h < 15, 1.0, np.where(h < 22, 1.4, 0.9)))


def _cell_weights() -> np.ndarray:
    """Weekday × hour intensity (7 × 24), normalised to sum 1, with the planted peak."""
    w = np.tile(_hour_profile(), (7, 1))
    for d, h in PEAK_CELLS:
        w[d, h] *= _PEAK_FACTOR
    return w / w.sum()


def _place_weights(code: str, year: int) -> tuple[tuple[str, ...], np.ndarray]:
    places = _PLACES[:_N_PLACES[code]]
    w = np.array([_HOT.get(p, 1.0) * (_RISING_FACTOR if p == _RISING and year == INCIDENT_YEARS[1]
                                     else 1.0) for p in places])
    return places, w / w.sum()


def incidents_frame(seed: int, codes) -> pd.DataFrame:
    """Incidents of the sample kommuner among ``codes``, in the ``incidents`` contract.

    Examples
    --------
    >>> df = incidents_frame(20260101, ["1760"])
    >>> df.columns.tolist(), df["date"].dt.year.unique().tolist()
    (['kommunkod', 'date', 'time', 'place', 'type', 'source', 'incident_id'], [2024, 2025])
    >>> int(df["place"].value_counts().index.get_loc("Resecentrum"))  # the planted hot spot
    0
    """
    frames = []
    cells = _cell_weights().ravel()
    types, type_p = zip(*_TYPES)
    sources, source_p = zip(*_SOURCES)
    for code in [c for c in SAMPLE_KOMMUNER if c in set(codes)]:
        for year in INCIDENT_YEARS:
            rng = stream(seed, KEY_INCIDENTS, int(code), year)
            n = int(rng.poisson(_PER_YEAR[code]))
            places, pw = _place_weights(code, year)
            cell = rng.choice(cells.size, size=n, p=cells)
            weekday, hour = np.divmod(cell, 24)
            # a date with the drawn weekday: a random week of the year, then that weekday
            first = pd.Timestamp(f"{year}-01-01")
            offset = (weekday - first.weekday()) % 7 + 7 * rng.integers(0, 52, size=n)
            dates = first + pd.to_timedelta(offset, unit="D")
            minute = rng.integers(0, 60, size=n)
            time = np.array([f"{h:02d}:{m:02d}" for h, m in zip(hour, minute)], dtype=object)
            time[rng.random(n) < _MISSING_TIME] = None
            frames.append(pd.DataFrame({
                "kommunkod": code, "date": dates, "time": time,
                "place": np.asarray(places, dtype=object)[rng.choice(len(places), size=n, p=pw)],
                "type": np.asarray(types, dtype=object)[rng.choice(len(types), size=n, p=type_p)],
                "source": np.asarray(sources, dtype=object)[rng.choice(len(sources), size=n,
                                                                        p=source_p)]}))
    cols = ["kommunkod", "date", "time", "place", "type", "source", "incident_id"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else object)
                             for c in cols})
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["kommunkod", "date", "time"], kind="stable", na_position="first")
    out["incident_id"] = [f"H{k}-{i + 1:05d}" for k, i in
                          zip(out["kommunkod"], out.groupby("kommunkod").cumcount())]
    return out[cols].reset_index(drop=True)


def incidents_truth(codes) -> dict:
    """What was planted in the incidents, JSON-ready (the ``incidents`` entry of the truth)."""
    mine = [c for c in SAMPLE_KOMMUNER if c in set(codes)]
    return {
        "model": "per kommun and year: Poisson total; weekday × hour cell from a fixed profile "
                 "with a weekend-night peak; place from fixed weights with two hot places and "
                 "one place whose share triples in the second year",
        "years": list(INCIDENT_YEARS),
        "kommuner": mine,
        "per_year": {c: _PER_YEAR[c] for c in mine},
        "places": {c: list(_PLACES[:_N_PLACES[c]]) for c in mine},
        "hot_places": {p: f for p, f in _HOT.items()},
        "rising_place": {"place": _RISING, "factor": _RISING_FACTOR,
                         "from_year": INCIDENT_YEARS[0], "to_year": INCIDENT_YEARS[1]},
        "peak_cells": {"columns": ["weekday", "hour"], "rows": [list(c) for c in PEAK_CELLS]},
        "peak_factor": _PEAK_FACTOR,
        "hour_profile": [float(v) for v in _hour_profile()],
        "missing_time_share": _MISSING_TIME,
    }
