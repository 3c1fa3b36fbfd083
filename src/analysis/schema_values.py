"""Value checks of frames that are typed already, against the contracts of :mod:`analysis.schemas`.

The statistics functions accept frames whose dtypes are right (months as ``pandas.Period``,
integer counts) without the full :func:`analysis.schemas.validate` pass; dtypes say nothing
about values, so :func:`check_values` checks what they cannot (issue 15: kommunkod ``9999`` and
unknown crime types were accepted that way). Used by :mod:`analysis.crime.panel`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ProblemCollector
from .municipalities import _valid_codes
from .schemas import SCHEMAS, _expected, _user_rows

__all__ = ["check_values"]


def check_values(df: pd.DataFrame, kind: str, *, file: str | None = None) -> None:
    """Check the values of an already typed frame against its contract (vectorised, cheap).

    The statistics functions accept frames that are typed already (months as
    ``pandas.Period``, integer counts) without the full :func:`validate` pass. Dtypes say
    nothing about values, so this checks what a dtype cannot: missing values, kommun codes,
    the allowed vocabularies (crime types, statuses, sexes) and minimums, for every contract
    column present. Each check is one vectorised pass over its column.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame, typed as :func:`validate` returns it.
    kind : str
        One of the keys of :data:`SCHEMAS`.
    file : str, optional
        Name shown in problems (default: ``df.attrs['source']`` if set).

    Raises
    ------
    DataError
        Listing every problem found (rows counted as :func:`validate` counts them).

    Examples
    --------
    >>> bad = pd.DataFrame({"kommunkod": ["0114", "9999"],
    ...                     "period": pd.period_range("2025-01", periods=2, freq="M"),
    ...                     "crime_type": ["Cykelstöld", "Trolldom"], "count": [3, 1]})
    >>> from analysis.errors import DataError
    >>> try:
    ...     check_values(bad, "crimes")
    ... except DataError as e:
    ...     print([(p.row, p.column, p.value) for p in e.problems])
    [(3, 'kommunkod', '9999'), (3, 'crime_type', 'Trolldom')]
    """
    if kind not in SCHEMAS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(SCHEMAS)}")
    pc = ProblemCollector(file=file or df.attrs.get("source"))
    rows = _user_rows(df, None)
    for col in SCHEMAS[kind].columns:
        if col.name not in df:
            if col.required:
                pc.add("required column missing", column=col.name,
                       expected="columns " + ", ".join(c.name for c in SCHEMAS[kind].columns
                                                       if c.required))
            continue
        s = df[col.name]
        missing = s.isna().to_numpy()
        if not col.nullable:
            for i in np.flatnonzero(missing):
                pc.add("missing value", row=int(rows[i]), column=col.name, expected=_expected(col))
        if col.kind == "kommunkod":
            bad = ~missing & ~s.astype("str").isin(list(_valid_codes())).to_numpy()
            for i in np.flatnonzero(bad):
                pc.add("unknown or malformed kommun code", row=int(rows[i]), column=col.name,
                       value=str(s.iloc[i]),
                       expected="a 4-character code of one of the 290 kommuner, e.g. '0114'")
        if col.kind in ("int", "year") and not pd.api.types.is_integer_dtype(s.dtype):
            num = pd.to_numeric(s, errors="coerce")
            frac = (num.notna() & (num != np.floor(num.fillna(0)))) | (num.isna() & ~s.isna())
            for i in np.flatnonzero(frac.to_numpy()):
                pc.add("not a whole number", row=int(rows[i]), column=col.name,
                       value=s.iloc[i], expected=_expected(col))
        if col.minimum is not None and pd.api.types.is_numeric_dtype(s.dtype):
            low = (s <= col.minimum) if col.exclusive_minimum else (s < col.minimum)
            for i in np.flatnonzero(low.fillna(False).to_numpy(dtype=bool)):
                pc.add("value out of range", row=int(rows[i]), column=col.name,
                       value=s.iloc[i], expected=_expected(col))
        if col.allowed is not None:
            bad = ~missing & ~s.isin(col.allowed).to_numpy()
            for i in np.flatnonzero(bad):
                pc.add("value not allowed", row=int(rows[i]), column=col.name,
                       value=s.iloc[i], expected=_expected(col))
    pc.raise_if_any()
