"""Spreadsheet spellings of the data model's values, mapped and said; problems reported in bulk.

Coordinators type ``Kvinna``, ``Misshandel``, ``16–29 år``, ``999 239`` and Excel drops the zero of
``0180``: :mod:`analysis.schemas` maps these through the functions here (every mapping recorded
as a conversion: column, from, to, rows, why) and reports what cannot be mapped with
:func:`_report`, which hands thousands of bad cells to a grouping collector value by value.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pandas as pd

from .errors import ProblemCollector
from .municipalities import _valid_codes

__all__ = ["SEX_ALIASES", "normalise_age_group"]

#: Spellings of the sexes accepted in tidy files (case-insensitive); SCB's codes 1 = män, 2 = kvinnor.
SEX_ALIASES = {"kvinna": "kvinna", "kvinnor": "kvinna", "k": "kvinna", "kv": "kvinna",
               "female": "kvinna", "f": "kvinna", "2": "kvinna", "flicka": "kvinna",
               "man": "man", "män": "man", "m": "man", "male": "man", "1": "man", "pojke": "man"}
_AGE_BAND = re.compile(r"^(\d{1,3})\s*[-–—]\s*(\d{1,3})(?:\s*år)?$|^(\d{1,3})\s*(?:\+|-|år och äldre|\+ år)$")


def normalise_age_group(value: str) -> str | None:
    """``'16–29 år'`` → ``'16-29'``, ``'85+'`` → ``'85+'``; ``None`` if not an age band.

    Examples
    --------
    >>> normalise_age_group("16–29 år"), normalise_age_group("85 år och äldre"), normalise_age_group("ung")
    ('16-29', '85+', None)
    """
    m = _AGE_BAND.match(str(value).strip())
    if not m:
        return None
    if m.group(3) is not None:
        return f"{int(m.group(3))}+"
    lo, hi = int(m.group(1)), int(m.group(2))
    return f"{lo}-{hi}" if lo <= hi else None


def _normaliser(name: str) -> Callable[[str], str | None]:
    if name == "crime_type":
        from .crime_types import canonical_crime_type
        return canonical_crime_type
    if name == "sex":
        return lambda v: SEX_ALIASES.get(str(v).strip().casefold())
    if name == "age_group":
        return normalise_age_group
    if name == "status":
        return lambda v: {"preliminär": "preliminär", "prel": "preliminär", "prel.": "preliminär",
                          "preliminar": "preliminär", "slutlig": "slutlig", "slutliga": "slutlig",
                          "final": "slutlig"}.get(str(v).strip().casefold())
    raise ValueError(name)  # pragma: no cover - schema definition error


#: Below this many rows, or with more than a quarter of the rows distinct, work row by row.
_DISTINCT_MIN_ROWS = 2000


def _per_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``fn(values)`` computed once per distinct value of a text column, mapped back to the rows.

    A tidy column has few distinct values (290 kommun codes, 30 crime types, 150 months) in
    millions of rows; ``fn`` must work value by value (``str.strip``, ``isin``, ``isna``), so
    that its result on the distinct values, taken back to the rows, is the row-wise result:
    the same values, dtype, index and name. Missing values are a distinct value of their own
    (``fn`` sees them as it would row by row). Columns that are not text, are short or have
    many distinct values (ids) are done row by row.

    Parameters
    ----------
    values : pandas.Series
        The column.
    fn : callable
        Series → Series of the same length, element by element.

    Returns
    -------
    pandas.Series
        What ``fn(values)`` returns.

    Examples
    --------
    >>> s = pd.Series([" 0114", "0114 ", None] * 1000, dtype="str")
    >>> _per_distinct(s, lambda u: u.str.strip()).equals(s.str.strip())
    True
    """
    n = len(values)
    if n < _DISTINCT_MIN_ROWS or not isinstance(values.dtype, pd.StringDtype) \
            or values.iloc[:4096].nunique(dropna=False) > 1024:
        return fn(values)
    codes, uniques = values.array.factorize(use_na_sentinel=False)
    if len(uniques) > n // 4:
        return fn(values)
    return fn(pd.Series(uniques, name=values.name)).take(codes).set_axis(values.index)


def _pad_codes(values: pd.Series, col: Any, conversions: list) -> pd.Series:
    """Codes that Excel shortened ('180' for '0180') get their zero back where that is the only
    reading: 3 digits whose padded form is a kommun code. Recorded in ``conversions``."""
    short = (_per_distinct(values, lambda u: u.str.fullmatch(r"\d{3}").fillna(False))
             if values.notna().any() else values.isna())
    if not short.any():
        return values
    padded = "0" + values[short]
    ok = padded.isin(list(_valid_codes()))
    if not ok.any():
        return values
    for raw, new in sorted(set(zip(values[short][ok], padded[ok]))):
        n = int(((values == raw) & short).sum())
        conversions.append({"column": col.name, "from": raw, "to": new, "rows": n,
                            "why": "leading zero lost (Excel); zero-padded to 4 characters"})
    out = values.copy()
    idx = short[short].index[ok.to_numpy()]
    out.loc[idx] = padded[ok].to_numpy()
    return out


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?:\.\d+)?$")


def _strip_thousands(values: pd.Series, col: Any, conversions: list) -> pd.Series:
    """'3 777' and '999\u00a0239' (space or no-break space between digit groups, as Swedish
    spreadsheets write) become 3777 and 999239; recorded in ``conversions``."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return values
    cand = values.str.contains(r"\d[ \u00a0\u202f\u2009]\d", regex=True, na=False)
    if not cand.any():
        return values
    ok = cand & values.str.match(_THOUSANDS, na=False)
    if not ok.any():
        return values
    out = values.copy()
    out[ok] = values[ok].str.replace(r"[ \u00a0\u202f\u2009]", "", regex=True)
    for raw in pd.unique(values[ok])[:20]:
        conversions.append({"column": col.name, "from": raw, "to": raw.replace("\u00a0", "").replace(" ", "")
                            .replace("\u202f", "").replace("\u2009", ""),
                            "rows": int((values == raw).sum()), "why": "thousands separator removed"})
    n_more = len(pd.unique(values[ok])) - 20
    if n_more > 0:
        conversions.append({"column": col.name, "from": "…", "to": "…", "rows": int(ok.sum()),
                            "why": f"thousands separator removed (and {n_more} other values)"})
    return out


def _normalise_categories(values: pd.Series, col: Any, conversions: list) -> pd.Series:
    """Map values outside ``col.allowed`` through the column's normaliser; record each mapping."""
    allowed = set(col.allowed) if col.allowed is not None else None
    uniques = pd.unique(values.dropna())
    todo = [u for u in uniques if allowed is None or u not in allowed]
    if not todo:
        return values
    fn = _normaliser(col.normalise)
    mapping = {}
    for u in todo:
        new = fn(u)
        if new is not None and new != u and (allowed is None or new in allowed):
            mapping[u] = new
    if not mapping:
        return values
    counts = values.value_counts()
    for raw, new in mapping.items():
        conversions.append({"column": col.name, "from": raw, "to": new, "rows": int(counts.get(raw, 0)),
                            "why": "spelling mapped to the data model's name"})
    return values.replace(mapping)


_BULK = 1000  # above this many bad cells in a column, report them by value in bulk


def _report(pc: ProblemCollector, mask: np.ndarray, rows: np.ndarray, shown: pd.Series | None,
            column: str, describe: Callable[[Any], tuple[str, str]]) -> None:
    """Add a problem for every row in ``mask``; ``describe(value)`` gives (message, expected).

    Few problems are added one by one in row order; many go to a grouping collector value by
    value (bounded time and memory on files in which every row is bad).
    """
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    vals = (shown.to_numpy(dtype=object)[idx] if shown is not None
            else np.full(len(idx), None, dtype=object))
    if len(idx) <= _BULK or not hasattr(pc, "add_rows"):
        cache: dict[Any, tuple[str, str]] = {}
        for i, v in zip(idx, vals):
            key = v if isinstance(v, (str, int, float, type(None))) else repr(v)
            if key not in cache:
                cache[key] = describe(v)
            message, expected = cache[key]
            pc.add(message, row=int(rows[i]), column=column, value=v, expected=expected)
        return
    codes, uniques = pd.factorize(pd.Series(vals, dtype=object), use_na_sentinel=False)
    user = np.asarray(rows)[idx]
    for k, v in enumerate(uniques):
        message, expected = describe(v)
        pc.add_rows(message, user[codes == k], column=column, value=v, expected=expected)
