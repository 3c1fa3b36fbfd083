"""Readers for Brå's older HTML tables: monthly P-tables and regional tables such as NTU/hatbrott.

These pages are the only public monthly series per län before the statistikdatabas. They come
as HTML or as text copied out of it, where cell borders are lost: labels wrap over two lines,
footnote digits stick to labels, and a space is both the thousands separator and the cell
separator. The readers resolve these traps and return long tidy frames; crime statistics use
them as published reference totals.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, ProblemCollector
from ..swedish import MONTH_ABBREVIATIONS, MONTH_NAMES
from .regions import clean_label, resolve_region
from .text import Lines, decode_bytes, parse_numbers, split_numbers

__all__ = ["read_bra_ptable", "read_bra_region_table"]

_NUMERIC = re.compile(r"^(?:[+\-]?\d+(?:[ \u00a0]\d{3})*(?:\.\d+)?|\.{1,2}|-|–|x|X|xx|XX)$")
_P1_COLUMNS = 11  # month: n, +/-, %; year to date: n, +/-, %, per 100 000; last 12 months: same


# --------------------------------------------------------------------------- input as rows

class _TableHTML(HTMLParser):
    """Collect text blocks and table rows (cell texts) with their line numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[int, list[str] | str]] = []
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None
        self._text: list[str] = []
        self._row_line = 0
        self._text_line = 0
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "tr":
            self._flush_text()
            self._cells, self._row_line = [], self.getpos()[0]
        elif tag in ("td", "th") and self._cells is not None:
            self._cell = []
        elif tag == "br" or tag in ("p", "div", "h1", "h2", "h3", "table"):
            if self._cell is not None:
                self._cell.append(" ")
            else:
                self._flush_text()

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._cells is not None:
            self._cells.append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            cells = [c for c in self._cells if c]
            if cells:
                self.rows.append((self._row_line, cells))
            self._cells = None
        elif tag in ("p", "div", "h1", "h2", "h3", "table", "caption"):
            self._flush_text()

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._cells is None:
            if not self._text:
                self._text_line = self.getpos()[0]
            self._text.append(data)

    def _flush_text(self):
        text = re.sub(r"\s+", " ", "".join(self._text)).strip()
        if text:
            self.rows.append((self._text_line, text))
        self._text = []


def _load(source: str | Path | bytes) -> tuple[list[tuple[int, list[str]]], str, bool]:
    """Rows as token lists with line numbers; HTML cells stay whole, text splits on spaces."""
    if isinstance(source, bytes):
        text, name = decode_bytes(source, file="<bytes>")[0], "<bytes>"
    elif isinstance(source, Path) or ("\n" not in source and "<" not in source):
        name = str(source)
        text = decode_bytes(Path(source).read_bytes(), file=name)[0]
    else:
        text, name = source, "<text>"
    is_html = bool(re.search(r"<\s*(table|tr|td|html)\b", text, re.I))
    if is_html:
        parser = _TableHTML()
        parser.feed(text)
        parser.close()
        rows = [(ln, cells if isinstance(cells, list) else cells.split()) for ln, cells in parser.rows]
        return rows, name, True
    return [(i, ln.split()) for i, ln in enumerate(text.splitlines(), start=1) if ln.strip()], name, False


def _tail(tokens: list[str]) -> int:
    """Number of trailing tokens that are numbers or table symbols."""
    tail = 0
    for tok in reversed(tokens):
        if not _NUMERIC.match(tok):
            break
        tail += 1
    return tail


def _split_row(tokens: list[str], n: int) -> tuple[str, list[str]] | None:
    tail = _tail(tokens)
    if tail < n or len(tokens) == n:
        return None
    return " ".join(tokens[:-n]), tokens[-n:]


# --------------------------------------------------------------------------- P-tables

def read_bra_ptable(source: str | Path | bytes, *, year: int | None = None) -> pd.DataFrame:
    """Read a Brå P-table (P1, P3) or national Tabell 100, as HTML or as text copied from it.

    Parameters
    ----------
    source : str, Path or bytes
        A path to the ``.html``/``.txt`` file, or the table itself as text or HTML. Text is the
        table as extracted from the page (one table row per line); HTML is parsed cell by cell
        (``<td>``) with the standard library.
    year : int, optional
        Year of the table; default: read from the title ("t.o.m. december 2010").

    Returns
    -------
    pandas.DataFrame
        One row per crime type and period: ``tabell`` (P1, P3, 100), ``region_kod`` ("13",
        "00" for riket), ``region``, ``year``, ``month`` (1-12; missing for the accumulated
        year), ``period`` ("2010-01", "2010" for the whole year, "2007-01..2007-06" for a year
        to date), ``crime_type`` (the label as printed, footnote mark removed), ``footnote``,
        ``count`` (Int64), ``rate_per_100k`` (P1 year to date, Tabell 100 year; else missing),
        ``status`` (``preliminär`` when the title says so, else ``slutlig``),
        ``missing_reason``. ``attrs['lines']`` holds the line of each row.

    Raises
    ------
    DataError
        Rows whose cells are not numbers, or months that do not add up to the printed year total.

    Notes
    -----
    The P-tables count crimes by the **month they were reported**, and the text extraction
    writes dot decimals (``2483.0``). A label that wraps onto a second line carries all-zero
    filler on its first line; the two lines are joined and the filler dropped.

    Examples
    --------
    >>> text = '''Tabell P3
    ... 13 Hallands län
    ... Anmälda brott, efter brottstyp och månad då brottet anmälts, t.o.m. december 2010. Preliminära uppgifter.
    ... Brottstyp Antal anmälda brott, månad för anmälan Hittills
    ... Januari Februari Mars April Maj Juni Juli Augusti September Oktober November December under
    ... året
    ... Fullbordat mord och dråp samt misshandel med 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
    ... dödlig utgång (1, 2, 5, 6 §)1 0.0 0.0 2.0 0.0 1.0 0.0 1.0 0.0 0.0 0.0 0.0 0.0 4.0'''
    >>> df = read_bra_ptable(text)
    >>> df.loc[df.month.isna(), ["region_kod", "period", "crime_type", "count", "status"]].to_dict("records")
    [{'region_kod': '13', 'period': '2010', 'crime_type': 'Fullbordat mord och dråp samt misshandel med dödlig utgång (1, 2, 5, 6 §)', 'count': 4, 'status': 'preliminär'}]
    >>> int(df.loc[df.month.notna(), "count"].sum())
    4
    """
    rows, name, is_html = _load(source)
    pc = ProblemCollector(file=name)
    tails = Counter(n for _, toks in rows if (n := _tail(toks)) >= 3)
    if not tails:
        raise DataError("no table rows with numbers found", file=name)
    n_cols = max(tails.items(), key=lambda kv: (kv[1], kv[0]))[0]

    meta_lines, data = [], []
    for line, toks in rows:
        split = _split_row(toks, n_cols)
        if split is None:
            tail = _tail(toks)
            if not data:
                meta_lines.append((line, " ".join(toks)))
            elif tail == 0:  # a label wrapped onto the next line
                data.append((line, " ".join(toks), None))
            else:
                pc.add(f"{tail} number cells after the label, expected {n_cols}", row=line,
                       value=" ".join(toks)[:60], expected=f"{n_cols} numbers (is a cell unreadable?)")
            continue
        data.append((line, split[0], split[1]))
    meta = " \n".join(t for _, t in meta_lines)
    tabell = (re.search(r"Tabell\s+(P?\d+)", meta) or [None, "?"])[1]
    region_m = next((m for _, t in meta_lines
                     if (m := re.fullmatch(r"(\d{2})\s+(\S.*)", t.strip()))), None)
    region_code, region_name = (region_m.group(1), region_m.group(2)) if region_m else (None, None)
    if region_code is None:
        found = next((r for _, t in meta_lines if (r := resolve_region(t)) and r.level == "riket"), None)
        if found or re.search(r"hela landet|riket", meta, re.I):
            region_code, region_name = "00", "Hela landet"
    title = next((t for _, t in meta_lines if re.search(r"anmälda brott", t, re.I)), meta)
    through = _through_month(title)
    if year is None:
        years = re.findall(r"\b((?:19|20)\d{2})\b", title)
        if not years:
            raise DataError("the year is not in the title; pass year=", file=name)
        year = int(years[-1])
    status = "preliminär" if re.search(r"preliminär", meta, re.I) else "slutlig"
    month_words = set(MONTH_NAMES) | set(MONTH_ABBREVIATIONS)
    n_months = sum(1 for _, t in meta_lines for w in t.lower().replace(".", " ").split()
                   if w in month_words and not re.search(r"t\.o\.m\.|anmälda brott", t, re.I))

    merged = _join_wrapped(data, pc)
    layout = _layout(tabell, n_cols, n_months, through, name)
    records = []
    for line, label, cells in merged:
        label, foot = clean_label(label)
        p = parse_numbers(cells, decimal=".")
        for k in np.flatnonzero(p.invalid):
            pc.add("not a number", row=line, column=f"column {k + 2}", value=cells[k],
                   expected="a number written like '2483.0', or '.', '-', '..'")
        for kind, col, month in layout:
            if kind == "rate":
                continue
            v = p.values[col]
            rec = {"row": line, "crime_type": label, "footnote": foot, "month": month,
                   "count": v, "missing_reason": None if not np.isnan(v) else p.reason[col],
                   "rate_per_100k": np.nan}
            if kind == "total":
                rate_col = next((c for k2, c, _ in layout if k2 == "rate"), None)
                if rate_col is not None:
                    rec["rate_per_100k"] = p.values[rate_col]
            records.append(rec)
        month_cols = [c for k, c, _ in layout if k == "month"]
        total_col = next((c for k, c, _ in layout if k == "total"), None)
        if len(month_cols) == 12 and total_col is not None and not p.invalid.any():
            months = p.values[month_cols]
            if not np.isnan(months).any() and not np.isnan(p.values[total_col]) \
                    and abs(months.sum() - p.values[total_col]) > 0.5:
                pc.add("the months do not add up to the year total", row=line,
                       column="Hittills under året", value=cells[total_col],
                       expected=f"{months.sum():.0f} (sum of the 12 months)")
    pc.raise_if_any()
    df = pd.DataFrame(records)
    df["count"] = pd.array(np.where(np.isnan(df["count"]), None, df["count"]), dtype="Float64").round().astype("Int64")
    df["month"] = pd.array(df["month"], dtype="Int64")
    df.insert(0, "tabell", tabell)
    df.insert(1, "region_kod", region_code)
    df.insert(2, "region", region_name)
    df.insert(3, "year", int(year))
    df["period"] = [f"{year}-{m:02d}" if pd.notna(m) else
                    (str(year) if (through or 12) == 12 else f"{year}-01..{year}-{through:02d}")
                    for m in df["month"]]
    df["status"] = status
    df["missing_reason"] = pd.array(df["missing_reason"], dtype="string")
    rows_out = df.pop("row").tolist()
    df = df[["tabell", "region_kod", "region", "year", "month", "period", "crime_type", "footnote",
             "count", "rate_per_100k", "status", "missing_reason"]]
    df.attrs = {"source": name, "lines": Lines(rows_out), "title": title, "html": is_html}
    return df


def _through_month(title: str) -> int | None:
    m = re.search(r"(" + "|".join(MONTH_NAMES) + r")\s+(?:19|20)\d{2}", title, re.I)
    return MONTH_NAMES.index(m.group(1).lower()) + 1 if m else None


def _join_wrapped(data: list, pc: ProblemCollector) -> list[tuple[int, str, list[str]]]:
    out: list[tuple[int, str, list[str]]] = []
    pending_label = None
    for line, label, cells in data:
        if cells is None:  # a label line without numbers: the row continues on the next line
            pending_label = label if pending_label is None else pending_label + " " + label
            continue
        if pending_label is not None:
            label, pending_label = pending_label + " " + label, None
        starts_lower = label[:1].islower()
        if out and starts_lower and all(_is_zero(c) for c in out[-1][2]):
            prev_line, prev_label, _ = out.pop()
            label = prev_label + " " + label
        out.append((line, label, cells))
    return out


def _is_zero(cell: str) -> bool:
    return cell in ("-", "–") or bool(re.fullmatch(r"0+(\.0+)?", cell))


def _layout(tabell: str, n_cols: int, n_months: int, through: int | None, name: str
            ) -> list[tuple[str, int, int | None]]:
    """Which cell holds what: ``(kind, column, month)`` with kind month/total/rate."""
    if tabell == "P1" or (n_months == 0 and n_cols == _P1_COLUMNS):
        if n_cols != _P1_COLUMNS or through is None:
            raise DataError(f"Tabell P1 should have {_P1_COLUMNS} number columns and a month in its "
                            f"title; found {n_cols}", file=name)
        return [("month", 0, through), ("total", 3, None), ("rate", 6, None)]
    months = n_months or 12
    layout = [("month", k, k + 1) for k in range(months)]
    if n_cols == months:
        return layout
    layout.append(("total", months, None))
    if tabell == "100" and n_cols > months + 1:
        layout.append(("rate", n_cols - 1, None))
    elif n_cols != months + 1:
        raise DataError(f"expected {months} month columns and a year total, found {n_cols} "
                        "number columns", file=name)
    return layout


# --------------------------------------------------------------------------- regional tables

def read_bra_region_table(source: str | Path | bytes, *, columns: Sequence[str],
                          pairs: bool = False) -> pd.DataFrame:
    """Read a Brå table with one row per region (riket, län, kommun) and fixed value columns.

    Used for the NTU regional results (percent, ``XX`` = too few answers) and tables such as
    hatbrott by län (count and per 100 000 pairs, ``x`` = hidden, ``-`` = zero).

    Parameters
    ----------
    source : str, Path or bytes
        The table as HTML (cells are kept apart) or as text copied from it (one region per line;
        header lines without numbers are skipped).
    columns : sequence of str
        Names of the value columns, in order.
    pairs : bool
        The columns are (count, rate) pairs on one denominator. In text, where ``2 279`` may
        be one number or two, this resolves the split (see :func:`analysis.io.text.split_numbers`).

    Returns
    -------
    pandas.DataFrame
        Long: ``region_level``, ``region_code``, ``region``, ``variable``, ``value`` (float;
        0 for ``-``), ``suppressed`` (True for ``x``/``XX``, never 0), ``missing_reason``.

    Examples
    --------
    >>> text = '''Kronobergs län 12 7 33 18 x x 10 6 x x x x x x 74 40
    ... Hela landet** 888 9 2 279 24 859 9 607 6 601 6 132 1 151 2 5 518 58'''
    >>> cols = [f"{c} {u}" for c in "ABCDEFGH" for u in ("antal", "per 100 000")]
    >>> df = read_bra_region_table(text, columns=cols, pairs=True)
    >>> df.query("variable == 'B antal'")[["region_code", "value"]].to_dict("list")
    {'region_code': ['07', '00'], 'value': [33.0, 2279.0]}
    >>> df.query("region_code == '07' and variable == 'C antal'")[["value", "suppressed"]].to_dict("records")
    [{'value': nan, 'suppressed': True}]
    """
    rows, name, is_html = _load(source)
    pc = ProblemCollector(file=name)
    n = len(columns)
    records = []
    for line, toks in rows:
        first_num = next((k for k, t in enumerate(toks) if _NUMERIC.match(t) and k > 0), None)
        if first_num is None:
            continue
        label = " ".join(toks[:first_num])
        tail = toks[first_num:]
        if not all(_NUMERIC.match(t) for t in tail):
            if resolve_region(label) is None:
                continue  # a title or header line ("... per 100 000 invånare, år 2012")
            k = next(j for j, t in enumerate(tail) if not _NUMERIC.match(t))
            pc.add("not a number", row=line, value=tail[k],
                   column=columns[k] if len(tail) == n else None,
                   expected="numbers, '-', 'x', 'XX' or '..' after the region name")
            continue
        if is_html:
            cells = tail
        else:
            try:
                cells = split_numbers(" ".join(tail), n, pairs=pairs)
            except ValueError as err:
                pc.add(str(err), row=line, value=" ".join(tail)[:60], expected=f"{n} values")
                continue
        if len(cells) != n:
            pc.add(f"{len(cells)} values, expected {n}", row=line, value=" ".join(cells)[:60],
                   expected=f"{n} values: {', '.join(columns)}")
            continue
        region = resolve_region(label)
        if region is None:
            pc.add("unknown region", row=line, column="region", value=label,
                   expected="riket, a län or a kommun name")
            continue
        p = parse_numbers(cells, decimal=",")
        for k in np.flatnonzero(p.invalid):
            pc.add("not a number", row=line, column=columns[k], value=cells[k],
                   expected="a number, '-', 'x', 'XX' or '..'")
        for k, col in enumerate(columns):
            records.append({"region_level": region.level, "region_code": region.code,
                            "region": region.name, "variable": col, "value": p.values[k],
                            "suppressed": bool(p.suppressed[k]),
                            "missing_reason": p.reason[k] if np.isnan(p.values[k]) else None,
                            "row": line})
    pc.raise_if_any()
    if not records:
        raise DataError("no rows with a region name followed by values", file=name)
    df = pd.DataFrame(records)
    df["missing_reason"] = pd.array(df["missing_reason"], dtype="string")
    df.attrs = {"source": name, "lines": Lines(df.pop("row"))}
    return df
