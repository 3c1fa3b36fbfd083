"""Reader for Kolada API responses (RKA): KPI values per kommun, year and gender.

Kolada is where kommuner compare themselves (N07403 anmälda våldsbrott per 100 000 inv,
N01951 invånare). The reader flattens saved API pages into a tidy frame; nothing is downloaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..errors import DataError, ProblemCollector
from ..municipalities import is_valid_code

__all__ = ["read_kolada_json", "KOLADA_GENDERS"]

KOLADA_GENDERS = {"T": "totalt", "K": "kvinnor", "M": "män"}
_NEXT_KEYS = ("next_page", "next_url", "next")


def _pages(source: Any) -> list[tuple[dict, str]]:
    items = source if isinstance(source, (list, tuple)) else [source]
    pages = []
    for k, item in enumerate(items, start=1):
        if isinstance(item, dict):
            pages.append((item, f"<page {k}>" if len(items) > 1 else "<kolada>"))
            continue
        name = str(item)
        try:
            pages.append((json.loads(Path(item).read_text(encoding="utf-8-sig")), name))
        except json.JSONDecodeError as err:
            raise DataError(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}",
                            file=name) from None
    return pages


def read_kolada_json(source: str | Path | dict | Iterable[str | Path | dict], *,
                     gender: str | Iterable[str] | None = "T") -> pd.DataFrame:
    """Flatten Kolada ``/data`` responses into one row per KPI, kommun, year and gender.

    Parameters
    ----------
    source : path, dict, or a list of them
        One saved response, or all pages of a paginated response in order. A page that still
        points to a next page (``next_page`` in v2, ``next_url`` in v3) with no page after it
        is an error: the data would be incomplete.
    gender : {"T", "K", "M"}, list of them, or None
        Which gender rows to keep (``T`` totalt, ``K`` kvinnor, ``M`` män); ``None`` keeps all.
        Filtering is on the ``gender`` field, never on the position in the inner array, whose
        order Kolada does not guarantee.

    Returns
    -------
    pandas.DataFrame
        ``kpi``, ``kommunkod`` (Kolada's municipality id: a kommun code, or ``0000`` for riket
        and ``00NN`` for a region), ``region_level`` (kommun, region, riket), ``year`` (Int64),
        ``gender``, ``value`` (float, NaN when Kolada has no value), ``status`` (Kolada's status
        text; missing when empty).

    Raises
    ------
    DataError
        Malformed entries (naming page, entry and field), unknown municipality ids, duplicate
        values across pages, an incomplete set of pages.

    References
    ----------
    Kolada API v2 ``/v2/data/kpi/{kpi}/municipality/{id}/year/{y}``, https://api.kolada.se/v2/

    Examples
    --------
    >>> page = {"count": 1, "values": [{"kpi": "N01951", "municipality": "0180", "period": 2025,
    ...         "values": [{"gender": "T", "count": 1, "status": "", "value": 999239.0}]}]}
    >>> read_kolada_json(page).to_dict("records")
    [{'kpi': 'N01951', 'kommunkod': '0180', 'region_level': 'kommun', 'year': 2025, 'gender': 'T', 'value': 999239.0, 'status': None}]
    """
    if isinstance(gender, str):
        keep = {gender.upper()}
    elif gender is None:
        keep = set(KOLADA_GENDERS)
    else:
        keep = {g.upper() for g in gender}
    bad = keep - set(KOLADA_GENDERS)
    if bad:
        raise ValueError(f"gender must be among T, K, M; got {sorted(bad)}")
    pages = _pages(source)
    records, seen = [], {}
    pc = ProblemCollector()
    for p_i, (page, name) in enumerate(pages):
        if not isinstance(page, dict) or not isinstance(page.get("values"), list):
            pc.add("not a Kolada data response: no 'values' list", file=name,
                   expected='{"count": ..., "values": [{"kpi", "municipality", "period", "values"}]}')
            continue
        nxt = next((page.get(k) for k in _NEXT_KEYS if page.get(k)), None)
        if nxt and p_i == len(pages) - 1:
            pc.add("the response continues on another page that was not given", file=name,
                   column="next_page", value=nxt, expected="all pages, in order, as a list")
        for e_i, entry in enumerate(page["values"], start=1):
            where = f"values[{e_i - 1}]"
            kpi, muni, period = entry.get("kpi"), entry.get("municipality"), entry.get("period")
            for field, v in (("kpi", kpi), ("municipality", muni), ("period", period)):
                if v in (None, ""):
                    pc.add(f"{where}: field missing", file=name, row=e_i, column=field,
                           expected="kpi, municipality and period in every entry")
            muni = str(muni) if muni is not None else None
            level = _level(muni)
            if muni is not None and level is None:
                pc.add(f"{where}: unknown municipality id", file=name, row=e_i,
                       column="municipality", value=muni,
                       expected="a 4-character kommun code such as '0180' (or '0000' riket)")
            year = None
            if period not in (None, ""):
                m = re.fullmatch(r"((?:19|20)\d{2})", str(period).strip())
                if not m:
                    pc.add(f"{where}: period is not a year", file=name, row=e_i, column="period",
                           value=period, expected="a year such as 2025")
                else:
                    year = int(m.group(1))
            inner = entry.get("values")
            if not isinstance(inner, list):
                pc.add(f"{where}: no inner 'values' list", file=name, row=e_i, column="values",
                       expected='[{"gender": "T", "value": ...}]')
                continue
            for v in inner:
                g = str(v.get("gender", "")).upper()
                if g not in KOLADA_GENDERS:
                    pc.add(f"{where}: unknown gender", file=name, row=e_i, column="gender",
                           value=v.get("gender"), expected="T, K or M")
                    continue
                if g not in keep:
                    continue
                value = v.get("value")
                if value is not None and not isinstance(value, (int, float)):
                    pc.add(f"{where}: value is not a number", file=name, row=e_i, column="value",
                           value=value, expected="a number or null")
                    continue
                key = (kpi, muni, year, g)
                if key in seen:
                    pc.add(f"{where}: the same KPI × municipality × year × gender again "
                           f"(first in {seen[key]})", file=name, row=e_i, column="municipality",
                           value=" / ".join(map(str, key)), expected="each value once across pages")
                    continue
                seen[key] = f"{name} entry {e_i}"
                status = v.get("status")
                records.append({"kpi": str(kpi), "kommunkod": muni, "region_level": level,
                                "year": year, "gender": g,
                                "value": np.nan if value is None else float(value),
                                "status": status if status not in ("", None) else None})
    pc.raise_if_any()
    cols = ["kpi", "kommunkod", "region_level", "year", "gender", "value", "status"]
    df = pd.DataFrame(records, columns=cols)
    for c in ("kpi", "kommunkod", "region_level", "gender", "status"):
        df[c] = pd.array(df[c], dtype="string")
    df["year"] = pd.array(df["year"], dtype="Int64")
    df["value"] = df["value"].astype(float)
    df.attrs = {"source": ", ".join(n for _, n in pages), "pages": len(pages)}
    return df


def _level(muni: str | None) -> str | None:
    if muni is None:
        return None
    if muni == "0000":
        return "riket"
    if is_valid_code(muni):
        return "kommun"
    if re.fullmatch(r"00(0[1-9]|1\d|2[0-5])", muni):
        return "region"
    return None
