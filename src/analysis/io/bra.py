"""Reader for Brå's "Anmälda brott i kommuner" CSV (one crime type, one year, all kommuner).

The file has Swedish number formatting, table symbols and kommun names instead of codes; the
reader maps names to codes (:mod:`analysis.municipalities`), keeps ``..``/``x`` as missing with a
reason and returns an annual tidy frame for the crime statistics. Statistikdatabas exports:
:mod:`analysis.io.bra_export`; the older HTML P-tables: :mod:`analysis.io.ptables`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..crime_types import canonical_crime_type
from ..errors import ProblemCollector
from ..municipalities import code_for_name
from ..schemas import STATUSES
from .delimited import read_delimited
from .regions import clean_label, resolve_region
from .text import Lines, parse_numbers

__all__ = ["read_bra_kommun_csv", "ANNUAL_COLUMNS"]

#: Columns of the annual frame :func:`read_bra_kommun_csv` returns.
ANNUAL_COLUMNS = ("kommunkod", "year", "crime_type", "count", "rate_per_100k", "status",
                  "suppressed", "missing_reason")


def _status_arg(status: str | None) -> str | None:
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    return status


def read_bra_kommun_csv(path: str | Path, *, year: int, crime_type: str, status: str | None = None,
                        encoding: str | None = None, delimiter: str | None = None) -> pd.DataFrame:
    """Read Brå's "Anmälda brott i kommuner" CSV: one crime type, one year, all kommuner.

    Parameters
    ----------
    path : str or Path
        The file as downloaded: UTF-8 with byte-order mark, ``;``-separated, columns
        ``Kommun;Antal (prel.);Per 100 000 inv. (prel.)`` (other encodings and delimiters are
        detected and reported in ``df.attrs['format']``).
    year : int
        The year the file covers (the file itself does not say).
    crime_type : str
        The crime type the file was downloaded for; mapped to Brå's canonical name when known
        (``"misshandel"`` → ``"Misshandel (inkl. grov)"``), otherwise kept as written.
    status : {"preliminär", "slutlig"}, optional
        Default: ``preliminär`` when the headers say "(prel.)", else ``slutlig``. A status
        that contradicts the headers is an error.

    Returns
    -------
    pandas.DataFrame
        An **annual** frame, one row per kommun (not the monthly ``crimes`` kind):
        ``kommunkod`` (4-character code, joined on the name), ``year``, ``crime_type``,
        ``count`` (Int64, missing for ``..``/``x``), ``rate_per_100k`` (float, Brå's own rate),
        ``status``, ``suppressed`` (True for ``x``/``XX``), ``missing_reason`` (why a value is
        missing). Rows for riket or län are left out and listed in ``attrs['skipped_rows']``.

    Raises
    ------
    DataError
        Unknown kommun names, text that is not a number, negative or fractional counts,
        kommuner listed twice: all problems, each with file, line and column.

    Notes
    -----
    ``-`` is zero; ``..`` (missing) and ``x`` (hidden) stay missing, never 0.

    Examples
    --------
    >>> text = "\\ufeffKommun;Antal (prel.);Per 100 000 inv. (prel.)\\nAle;2 431;7 452\\nAlingsås;..;..\\n"
    >>> import tempfile, os; d = tempfile.mkdtemp(); p = os.path.join(d, "bra.csv")
    >>> _ = Path(p).write_text(text, encoding="utf-8")
    >>> df = read_bra_kommun_csv(p, year=2024, crime_type="SAMTLIGA BROTT")
    >>> df[["kommunkod", "count", "rate_per_100k", "status", "missing_reason"]].to_dict("records")[0]
    {'kommunkod': '1440', 'count': 2431, 'rate_per_100k': 7452.0, 'status': 'preliminär', 'missing_reason': None}
    >>> df["count"].isna().tolist()
    [False, True]
    """
    status = _status_arg(status)
    d = read_delimited(path, encoding=encoding, delimiter=delimiter)
    name = d.file
    pc = ProblemCollector(file=name)
    cols = [str(c) for c in d.frame.columns]
    kommun_col = next((c for c in cols if re.search(r"kommun|område|region", c, re.I)), cols[0])
    count_col = next((c for c in cols if re.search(r"antal", c, re.I)), None)
    rate_col = next((c for c in cols if re.search(r"100\s*000|100000", c)), None)
    if count_col is None and rate_col is None:
        pc.add("no count or rate column", row=1, expected="a column 'Antal ...' and/or "
               "'Per 100 000 inv. ...'" + f" (found: {', '.join(cols)})")
        pc.raise_if_any()
    prelim = any("prel" in c.lower() for c in cols)
    header_status = "preliminär" if prelim else None
    if status is not None and header_status is not None and status != header_status:
        pc.add("status contradicts the header", row=1, column=count_col or rate_col,
               value=status, expected="preliminär: the header says '(prel.)'")
    status = status or header_status or "slutlig"
    ctype = canonical_crime_type(crime_type) or crime_type.strip()

    rows = d.rows
    codes, keep, skipped = [], [], []
    for i, label in enumerate(d.frame[kommun_col].to_numpy(dtype=object)):
        label = str(label)
        code = code_for_name(clean_label(label)[0])
        if code is None:
            region = resolve_region(label)
            if region is not None and region.level in ("riket", "lan"):
                skipped.append((int(rows[i]), label))
                keep.append(False)
                codes.append(None)
                continue
            pc.add("unknown kommun name", row=int(rows[i]), column=kommun_col, value=label,
                   expected="one of the 290 kommun names (analysis.municipalities())")
        codes.append(code)
        keep.append(True)
    keep = np.asarray(keep, dtype=bool)
    frame = d.frame.loc[keep].reset_index(drop=True)
    rows = rows[keep]
    codes = [c for c, k in zip(codes, keep) if k]

    out = pd.DataFrame({"kommunkod": pd.array(codes, dtype="string"),
                        "year": pd.array([int(year)] * len(frame), dtype="Int64"),
                        "crime_type": pd.array([ctype] * len(frame), dtype="string")})
    reason = np.full(len(frame), None, dtype=object)
    suppressed = np.zeros(len(frame), dtype=bool)
    for col, target in ((count_col, "count"), (rate_col, "rate_per_100k")):
        if col is None:
            out[target] = np.nan
            continue
        p = parse_numbers(frame[col])
        for i in np.flatnonzero(p.invalid):
            value = frame[col].iloc[i]
            hint = (" (a point is not a Swedish decimal or thousands sign)"
                    if "." in str(value) else "")
            pc.add("not a number" + hint, row=int(rows[i]), column=col, value=value,
                   expected="a number such as '2 431' or '7,5', or '..', '-', 'x'")
        if target == "count":
            _check_counts(p.values, frame[col], rows, col, pc)
            out[target] = pd.array(np.where(np.isnan(p.values), None, p.values), dtype="Float64"
                                   ).round().astype("Int64") if len(frame) else pd.array([], "Int64")
        else:
            out[target] = p.values
        has = pd.Series(p.reason).notna().to_numpy() & (pd.Series(p.reason) != "tom").to_numpy()
        reason = np.where(pd.isna(reason) & has, p.reason, reason)
        suppressed |= p.suppressed
    out["status"] = pd.array([status] * len(frame), dtype="string")
    out["suppressed"] = suppressed
    out["missing_reason"] = pd.array(reason, dtype="string")
    _check_duplicates(out["kommunkod"], rows, kommun_col, pc)
    pc.raise_if_any()
    out = out[list(ANNUAL_COLUMNS)]
    out.attrs = {"source": name, "format": d.format_info(), "kind": "crimes_annual",
                 "skipped_rows": skipped, "lines": Lines(rows)}
    return out


def _check_counts(values: np.ndarray, raw: pd.Series, rows: np.ndarray, col: str,
                  pc: ProblemCollector) -> None:
    neg = np.flatnonzero(values < 0)
    for i in neg:
        pc.add("negative count", row=int(rows[i]), column=col, value=raw.iloc[i],
               expected="a whole number >= 0")
    frac = np.flatnonzero(~np.isnan(values) & (values != np.round(values)))
    for i in frac:
        pc.add("count is not a whole number", row=int(rows[i]), column=col, value=raw.iloc[i],
               expected="a whole number >= 0 (a rate belongs in the 'per 100 000' column)")


def _check_duplicates(codes: pd.Series, rows: np.ndarray, col: str, pc: ProblemCollector) -> None:
    seen: dict[str, int] = {}
    for i, code in enumerate(codes.to_numpy(dtype=object)):
        if code is None or code is pd.NA:
            continue
        if code in seen:
            pc.add(f"kommun listed twice (rows {seen[code]} and {int(rows[i])})", row=int(rows[i]),
                   column=col, value=code, expected="one row per kommun")
        else:
            seen[code] = int(rows[i])
