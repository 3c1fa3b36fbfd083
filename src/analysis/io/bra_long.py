"""Brå statistikdatabas tables in long form: one row per kommun, crime type and period.

This is how Brå's kommun × month and kommun × year tables look once exported row by row (and
how open-source projects record them): a kommun name, Brå's hierarchical crime label ("Brott
mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 12 kap. Skadegörelsebrott") with its id,
year and month, ``Antal`` and ``Per100000``. The reader maps labels through the one alias table
(:func:`analysis.crime_types.canonical_crime_type`), keeps the period kind (monthly or annual)
and Brå's published rate, and lists the labels it does not model instead of dropping them
silently. Next: :mod:`analysis.schemas` (``crimes``, ``crimes_annual``) via the importer.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..crime_types import canonical_crime_type, suggest_crime_type
from ..errors import DataError, ProblemCollector
from ..municipalities import code_for_name, is_valid_code
from .delimited import read_delimited
from .regions import resolve_region
from .text import Lines, parse_numbers

__all__ = ["read_bra_long", "LONG_COLUMNS"]

#: Columns of the frame :func:`read_bra_long` returns.
LONG_COLUMNS = ("kommunkod", "period", "period_kind", "crime_type", "crime_label", "crime_code",
                "count", "rate_per_100k", "status", "row")

_ALIASES = {
    "region": ("kommunkod", "kommun", "region", "område", "omrade"),
    "crime": ("brott", "brottstyp", "brottskategori", "crime_type"),
    "code": ("brott_id", "brottskod", "brottstyp_id", "crime_code"),
    "year": ("år", "ar", "year"),
    "month": ("månad", "manad", "month"),
    "period": ("period", "periodnyckel"),
    "kind": ("periodtyp",),
    "count": ("antal", "count", "antal brott"),
    "rate": ("per100000", "per 100 000 inv.", "per 100 000 invånare", "per_100000_inv",
             "per 100 000", "rate_per_100k"),
    "prelim": ("preliminär", "preliminar", "status"),
}


def _find(cols: list[str], role: str) -> str | None:
    low = {c.strip().casefold(): c for c in cols}
    return next((low[a] for a in _ALIASES[role] if a in low), None)


def _decimal(cells: pd.Series) -> str:
    s = cells.dropna().astype(str)
    point = s.str.contains(r"\d\.\d", regex=True).any()
    comma = s.str.contains(r"\d,\d", regex=True).any()
    return "." if point and not comma else ","


def read_bra_long(path: str | Path, *, encoding: str | None = None,
                  delimiter: str | None = None) -> pd.DataFrame:
    """Read a long Brå table (kommun × crime type × month or year) with counts and rates.

    Parameters
    ----------
    path : str or Path
        Delimited text with a region column (``Kommun``/``Region``/``Område`` names, or
        ``kommunkod``), a crime column (``Brott``/``Brottstyp``, Brå's labels), optionally
        ``Brott_ID``, the period as ``År`` (+ ``Månad``) or ``Period`` (``2026-08``,
        ``2026M08``, ``2026``), ``Antal``, optionally ``Per100000`` and ``Preliminär``.

    Returns
    -------
    pandas.DataFrame
        :data:`LONG_COLUMNS`: ``period`` is a ``pandas.Period`` (month or year),
        ``period_kind`` ``monthly`` or ``annual``; ``crime_type`` the canonical name;
        ``rate_per_100k`` Brå's published rate (NaN if absent); ``row`` the file line.
        ``attrs``: ``refused`` (labels that are not part of the data model, with rows and a
        suggestion), ``other_regions`` (län and riket rows, kept apart), ``format``.

    Raises
    ------
    DataError
        Missing columns, unknown kommun names, unreadable numbers or periods, negative counts.

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "bra.csv")
    >>> _ = Path(p).write_text(
    ...     "År,Månad,Preliminär,Kommun,Brott,Brott_ID,Antal,Per100000\\n"
    ...     "2026,8.0,True,Boden,Totalt antal brott,13192,225.0,786.0\\n"
    ...     "2026,8.0,True,Boden,\\"Brott mot brottsbalken, 16-20 kap. Brott mot staten, 17 kap. "
    ...     "Brott mot allmän verksamhet\\",13224,5.0,17.0\\n", encoding="utf-8")
    >>> df = read_bra_long(p)
    >>> df[["kommunkod", "period", "crime_type", "count", "rate_per_100k", "status"]].to_dict("records")
    [{'kommunkod': '2582', 'period': Period('2026-08', 'M'), 'crime_type': 'Samtliga brott', 'count': 225, 'rate_per_100k': 786.0, 'status': 'preliminär'}]
    >>> df.attrs["refused"][0]["label"][-35:], df.attrs["refused"][0]["rows"]
    ('17 kap. Brott mot allmän verksamhet', [3])
    """
    d = read_delimited(path, encoding=encoding, delimiter=delimiter, dtype=str)
    frame, rows, name = d.frame, d.rows, d.file
    cols = [str(c) for c in frame.columns]
    pc = ProblemCollector(file=name)
    found = {role: _find(cols, role) for role in _ALIASES}
    for role, what in (("region", "a kommun column (Kommun, Region, Område or kommunkod)"),
                       ("crime", "a crime-type column (Brott or Brottstyp)"),
                       ("count", "a count column (Antal)")):
        if found[role] is None:
            pc.add(f"no {role} column", row=1, expected=what + f" (found: {', '.join(cols)})")
    if found["year"] is None and found["period"] is None:
        pc.add("no period column", row=1, expected="År (and Månad) or Period")
    pc.raise_if_any()

    # periods
    if found["year"] is not None:
        year = pd.to_numeric(frame[found["year"]], errors="coerce")
        month = pd.to_numeric(frame[found["month"]], errors="coerce") if found["month"] else \
            pd.Series(np.nan, index=frame.index)
        bad_month = (frame[found["month"]].astype(str).str.strip() != "") & ~month.isin(range(1, 13)) \
            if found["month"] else pd.Series(False, index=frame.index)
        bad = year.isna() | (year % 1 != 0) | bad_month
        text = frame[found["year"]].where(~bad_month, frame[found["month"]] if found["month"] else None)
    else:
        text = frame[found["period"]].astype(str).str.strip()
        m = text.str.extract(r"^((?:19|20)\d{2})(?:\s*[-M]?\s*(\d{1,2}))?$")
        year, month = pd.to_numeric(m[0], errors="coerce"), pd.to_numeric(m[1], errors="coerce")
        bad = year.isna() | (month.notna() & ~month.isin(range(1, 13)))
        bad_month = pd.Series(False, index=frame.index)
    if found["kind"] is not None:  # quarters and other period kinds are not in the data model
        kinds = frame[found["kind"]].astype(str).str.strip().str.casefold()
        bad |= ~kinds.isin(["månad", "manad", "år", "ar", "helår", "month", "year", ""])
    for i in np.flatnonzero(bad.to_numpy()):
        pc.add("not a month or year", row=int(rows[i]),
               column=found["month"] if bad_month.iloc[i] else (found["year"] or found["period"]),
               value=text.iloc[i], expected="a year (2026) with a month 1–12, or a period "
               "such as 2026-08; quarters are not part of the data model")
    is_month = month.notna().to_numpy()
    if is_month.any() and (~is_month & ~bad.to_numpy()).any():
        pc.add("months and whole years in one table", column=found["month"] or found["period"],
               expected="one period kind per file: export the monthly and the annual table separately")

    # regions
    raw_region = frame[found["region"]].astype(str).str.strip()
    codes = np.full(len(frame), None, dtype=object)
    other = np.zeros(len(frame), dtype=bool)
    cache: dict[str, tuple[str | None, bool]] = {}
    for i, label in enumerate(raw_region):
        if label not in cache:
            if re.fullmatch(r"\d{4}", label) and is_valid_code(label):
                cache[label] = (label, False)
            else:
                code = code_for_name(label)
                if code is None:
                    reg = resolve_region(label)
                    cache[label] = (None, reg is not None and reg.level in ("riket", "lan", "polisregion"))
                else:
                    cache[label] = (code, False)
        codes[i], other[i] = cache[label]
        if codes[i] is None and not other[i]:
            pc.add("unknown kommun", row=int(rows[i]), column=found["region"], value=label,
                   expected="one of the 290 kommun names or codes (analysis.municipalities())")

    # numbers
    count_raw = frame[found["count"]]
    cnt = parse_numbers(count_raw, decimal=_decimal(count_raw))
    for i in np.flatnonzero(cnt.invalid):
        pc.add("not a number", row=int(rows[i]), column=found["count"], value=count_raw.iloc[i],
               expected="a count such as '225' or '2 431', or '..'")
    neg = np.flatnonzero(~np.isnan(cnt.values) & ((cnt.values < 0) | (cnt.values % 1 != 0)))
    for i in neg:
        pc.add("a count must be a whole number >= 0", row=int(rows[i]), column=found["count"],
               value=count_raw.iloc[i], expected="a whole number >= 0")
    rate = np.full(len(frame), np.nan)
    if found["rate"] is not None:
        rr = parse_numbers(frame[found["rate"]], decimal=_decimal(frame[found["rate"]]))
        rate = rr.values
        for i in np.flatnonzero(rr.invalid):
            pc.add("not a number", row=int(rows[i]), column=found["rate"],
                   value=frame[found["rate"]].iloc[i], expected="a rate per 100 000, or '..'")
    pc.raise_if_any()

    labels = frame[found["crime"]].astype(str).str.strip()
    ids = frame[found["code"]].astype(str).str.strip().str.replace(r"\.0$", "", regex=True) \
        if found["code"] else pd.Series([None] * len(frame), index=frame.index)
    keys = pd.MultiIndex.from_arrays([labels.to_numpy(), ids.fillna("").to_numpy()])
    codes_k, uniq = pd.factorize(keys)
    ctype = np.asarray([canonical_crime_type(lab, code=cid or None) for lab, cid in uniq],
                       dtype=object)[codes_k]
    if found["prelim"] is not None:
        p = frame[found["prelim"]].astype(str).str.strip().str.casefold()
        status = np.where(p.isin(["true", "1", "ja", "preliminär", "prel", "prel."]), "preliminär",
                          "slutlig")
    else:
        status = np.full(len(frame), "slutlig", dtype=object)
    y = year.to_numpy().astype(np.int64)
    if is_month.all():  # vectorised: Period ordinals count months from 1970-01
        m = month.to_numpy().astype(np.int64)
        periods = pd.array(pd.PeriodIndex.from_ordinals((y - 1970) * 12 + m - 1, freq="M"))
    else:
        periods = [pd.Period(year=int(a), month=int(b), freq="M") if mm else pd.Period(year=int(a), freq="Y")
                   for a, b, mm in zip(y, np.nan_to_num(month.to_numpy(), nan=1), is_month)]
    out = pd.DataFrame({
        "kommunkod": codes, "period": periods,
        "period_kind": np.where(is_month, "monthly", "annual"),
        "crime_type": ctype, "crime_label": labels.to_numpy(), "crime_code": ids.to_numpy(),
        "count": pd.array(np.where(np.isnan(cnt.values), None, cnt.values), dtype="Float64").round().astype("Int64"),
        "rate_per_100k": rate, "status": status, "row": rows})
    refused = []
    unknown = out["crime_type"].isna().to_numpy() & ~other
    for lab, grp in out[unknown].groupby("crime_label", sort=False):
        refused.append({"label": lab, "rows": grp["row"].astype(int).tolist()[:50],
                        "n_rows": int(len(grp)), "why": "not a crime type of the data model",
                        "suggestion": suggest_crime_type(lab)})
    keep = ~unknown & ~other
    result = out[keep].reset_index(drop=True)
    result.attrs = {"source": name, "format": d.format_info(), "refused": refused,
                    "other_regions": out[other].reset_index(drop=True),
                    "lines": Lines(result["row"].to_numpy())}
    if result.empty and not refused:
        raise DataError("no kommun rows: the table holds only län or riket", file=name)
    return result
