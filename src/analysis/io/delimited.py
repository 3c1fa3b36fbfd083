"""Delimited text files (CSV, semicolon and tab files) read cell by cell, with their line numbers.

Swedish Excel writes ``;`` and cp1252, SCB writes quoted commas, survey firms send tabs: the
delimiter is detected from the header and the first rows *and reported*, a wrong one is an error
naming the file and line, and every row keeps the line number a user sees in an editor. Numbers
and encodings: :mod:`analysis.io.text`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem, ProblemCollector
from .text import decode_bytes

__all__ = ["sniff_delimiter", "Delimited", "read_delimited", "rows_where"]

_DELIMS = (";", "\t", ",", "|")
_DELIM_NAMES = {";": "semicolon", "\t": "tab", ",": "comma", "|": "pipe"}


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header and the first rows into the same number of fields.

    Candidates ``;``, tab, ``,`` and ``|``; quotes are respected, so ``"2,5"`` does not count.
    The header must agree with the rows: a ``;`` file with decimal commas is not comma-separated.

    Examples
    --------
    >>> sniff_delimiter("kommun;vikt\\n0114;12,5\\n0115;3,25\\n")
    ';'
    >>> sniff_delimiter("a,b,c\\n1,2,3\\n")
    ','
    """
    lines = [ln for ln in text.splitlines()[:60] if ln.strip()]
    if not lines:
        return ","
    best, best_key = ",", (-1, -1)
    for d in _DELIMS:
        counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        header = counts[0]
        if header < 2:
            continue
        agree = sum(c == header for c in counts) / len(counts)
        key = (round(agree, 2), header)
        if key > best_key:
            best, best_key = d, key
    return best


@dataclass(frozen=True)
class Delimited:
    """A delimited text file read as text cells, with where each row came from.

    Attributes
    ----------
    frame : pandas.DataFrame
        All cells as text (or with the dtypes asked for); blank lines dropped.
    rows : numpy.ndarray
        Line number (header = line ``header_line``) of each frame row, as an editor counts.
    encoding, delimiter : str
        What was used, whether given or detected.
    notes : list of str
        How encoding and delimiter were found, for the user to see.
    file : str
    """

    frame: pd.DataFrame
    rows: np.ndarray
    encoding: str
    delimiter: str
    notes: list[str] = field(default_factory=list)
    file: str = ""

    def format_info(self) -> dict:
        """Encoding, delimiter and notes, as stored in ``df.attrs['format']`` by the readers."""
        return {"encoding": self.encoding, "delimiter": self.delimiter, "notes": list(self.notes)}


def read_delimited(source: str | Path | bytes, *, encoding: str | None = None,
                   delimiter: str | None = None, dtype: dict | type | None = str,
                   file: str | None = None, header_line: int = 1) -> Delimited:
    """Read a delimited file into text cells, checking encoding and delimiter.

    Parameters
    ----------
    source : path or bytes
    encoding, delimiter : str, optional
        Detected when not given (see :func:`sniff_encoding`, :func:`sniff_delimiter`).
    dtype : type or dict, optional
        Passed to :func:`pandas.read_csv`; ``str`` (default) keeps every cell as text so that
        validation sees exactly what the file says ("0114" stays "0114").
    file : str, optional
        Name used in problems (default: the path).
    header_line : int
        Line number of the header (1 unless the format has title lines before it).

    Raises
    ------
    DataError
        Invalid bytes, garbled text, a wrong delimiter (one column whose header contains
        another delimiter) or rows with the wrong number of fields (all listed).

    Examples
    --------
    >>> d = read_delimited("kommunkod;vikt\\n0114;12,5\\n\\n2181;3\\n".encode("cp1252"), file="s.csv")
    >>> d.frame.to_dict("list"), d.rows.tolist(), d.encoding, d.delimiter
    ({'kommunkod': ['0114', '2181'], 'vikt': ['12,5', '3']}, [2, 4], 'utf-8', ';')
    """
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), file or "<bytes>"
    else:
        data, name = Path(source).read_bytes(), file or str(source)
    if not data.strip():
        raise DataError(Problem("the file is empty" + (" (0 bytes)" if not data else " (only blank space)"),
                                file=name, expected="a header line and data rows: download the export again"))
    notes = []
    if b"\r" in data.replace(b"\r\n", b""):  # old Mac or mixed line endings: one kind of line
        kinds = [k for k, n in (("CRLF", data.count(b"\r\n")), ("LF", data.count(b"\n") - data.count(b"\r\n")),
                               ("CR", data.count(b"\r") - data.count(b"\r\n"))) if n]
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        notes.append(f"line endings: {' and '.join(kinds)} mixed; read as one kind of line end")
    text, enc, enc_note = decode_bytes(data, encoding=encoding, file=name)
    notes.insert(0, f"encoding: {enc_note}")
    if delimiter is None:
        delim = sniff_delimiter(text)
        notes.append(f"delimiter: {_DELIM_NAMES.get(delim, repr(delim))} (detected)")
    else:
        delim = delimiter
        notes.append(f"delimiter: {_DELIM_NAMES.get(delim, repr(delim))} (given)")
    try:
        # the C parser is faster on bytes than on a text buffer; the text was checked above
        df = pd.read_csv(io.BytesIO(data), encoding=enc, sep=delim, dtype=dtype, keep_default_na=False,
                         na_values=[] if dtype is str else [""], skip_blank_lines=False,
                         engine="c", quotechar='"')
    except pd.errors.ParserError:
        _raise_field_counts(text, delim, name, header_line)
        raise  # pragma: no cover
    except (ValueError, TypeError, OverflowError) as err:  # a dtype that does not fit: text cells again
        raise _DtypeMismatch(str(err)) from None
    _check_delimiter(df, delim, name, header_line)
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if n_lines == len(df) + 1:
        rows = np.arange(len(df)) + header_line + 1
    else:  # quoted fields with line breaks: count physical lines the slow way
        rows = _record_lines(text, delim)[1:len(df) + 1] + header_line - 1
    blank = _blank_rows(df)
    if blank.any():
        df = df.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    return Delimited(df, rows, enc, delim, notes, name)


class _DtypeMismatch(ValueError):
    """A column did not fit the fast-path dtype; the caller re-reads the file as text."""


def _blank_rows(df: pd.DataFrame) -> np.ndarray:
    """Rows that were blank lines (every cell empty); checks the first column, then the rest
    only where the first is empty."""
    if df.empty:
        return np.zeros(0, dtype=bool)
    blank = _empty_cells(df.iloc[:, 0])
    for col in df.columns[1:]:
        if not blank.any():
            break
        idx = np.flatnonzero(blank)
        blank[idx] = _empty_cells(df[col].iloc[idx])
    return blank


def _empty_cells(s: pd.Series) -> np.ndarray:
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        return (s.isna() | (s.astype(str) == "")).to_numpy(dtype=bool, copy=True)
    return s.isna().to_numpy(dtype=bool, copy=True)


def _check_delimiter(df: pd.DataFrame, delim: str, name: str, header_line: int) -> None:
    if df.shape[1] != 1:
        return
    header = str(df.columns[0])
    others = [d for d in _DELIMS if d != delim and d in header]
    if others:
        d = others[0]
        raise DataError(Problem(
            f"wrong delimiter: split on {_DELIM_NAMES.get(delim, repr(delim))}, the header is a "
            f"single column containing '{d}'", file=name, row=header_line,
            column=header[:40], value=header,
            expected=f"a {_DELIM_NAMES[d]}-separated file: pass delimiter='{d}' "
            "(or leave it out to detect it)"))


def _record_lines(text: str, delim: str) -> np.ndarray:
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    starts, prev = [], 0
    for _ in reader:
        starts.append(prev + 1)
        prev = reader.line_num
    return np.asarray(starts)


def _raise_field_counts(text: str, delim: str, name: str, header_line: int) -> None:
    pc = ProblemCollector(file=name)
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    expected, prev = None, 0
    for rec in reader:
        line = prev + header_line
        prev = reader.line_num
        if not any(c.strip() for c in rec):
            continue
        if expected is None:
            expected = len(rec)
            continue
        if len(rec) != expected:
            pc.add(f"row has {len(rec)} fields, the header has {expected}", row=line,
                   value=delim.join(rec)[:60],
                   expected=f"{expected} fields separated by '{delim}' (a value containing "
                   f"'{delim}' must be quoted)")
    pc.raise_if_any()


def rows_where(data: bytes, *, encoding: str, delimiter: str, column: str, keep,
               file: str | None = None) -> tuple[bytes, np.ndarray] | None:
    """The header and the lines whose ``column`` passes ``keep``, cut out of ``data`` before
    the other lines are parsed, with their line numbers in ``data``.

    A reader that needs a few rows of a large file (one län's respondents of a national
    survey) parses those and one column of the rest instead of every cell. The whole file is
    still decoded and checked as :func:`read_delimited` checks it (invalid bytes, garbled
    text: the same problems, the same lines).

    Parameters
    ----------
    data : bytes
        The file.
    encoding, delimiter : str
        As detected from the file's start.
    column : str
        The header name of the column to select on.
    keep : callable
        Called once per distinct (text) value of the column; True keeps its rows.
    file : str, optional
        Name used in problems.

    Returns
    -------
    (bytes, numpy.ndarray) or None
        The header line and the kept lines, and each kept line's number (1 = the header).
        None when a file cannot be cut by lines with certainty (quoted fields, carriage
        returns, a row that does not parse): the caller then reads the whole file, which
        reports what is wrong with it.

    Examples
    --------
    >>> cut = rows_where(b"kommunkod;x\\n1760;1\\n0114;2\\n1760;3\\n", encoding="utf-8",
    ...                  delimiter=";", column="kommunkod", keep=lambda v: v == "1760")
    >>> cut[0].decode(), cut[1].tolist()
    ('kommunkod;x\\n1760;1\\n1760;3\\n', [2, 4])
    """
    if b'"' in data or b"\r" in data:
        return None
    decode_bytes(data, encoding=encoding, file=file)  # the whole file's text, checked
    try:
        values = pd.read_csv(io.BytesIO(data), usecols=[column], dtype=str, sep=delimiter,
                             encoding=encoding, keep_default_na=False, na_values=[],
                             skip_blank_lines=False, engine="c", quoting=csv.QUOTE_NONE
                             )[column]
    except (ValueError, pd.errors.ParserError, UnicodeError):
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if len(data) and data[-1:] != b"\n":
        ends = np.append(ends, len(data))
    if len(values) != len(ends) - 1:  # not one row per line after the header
        return None
    starts = np.concatenate([[0], ends[:-1] + 1])
    sep = delimiter.encode(encoding)
    if len(sep) != 1:
        return None
    # every line that is not blank has the header's number of fields, or the whole file is
    # read (the parser reports a row with too many)
    fields = np.diff(np.searchsorted(np.flatnonzero(raw == sep[0]), np.append(starts, len(data)))
                     )[:len(starts)]
    if np.any((fields != fields[0]) & (ends > starts)):
        return None
    codes, uniques = pd.factorize(values)
    wanted = np.array([bool(keep(u)) for u in uniques] + [False])
    lines = np.flatnonzero(wanted[codes]) + 1  # 0-based line index; the header is line 0
    pieces = [data[starts[0]:ends[0]], *(data[starts[i]:ends[i]] for i in lines.tolist())]
    return b"\n".join(pieces) + b"\n", lines + 1
