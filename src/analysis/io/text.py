"""Text as it comes from Swedish sources: encodings, numbers and table symbols.

Every reader in :mod:`analysis.io` goes through here, so a file is decoded, split and numbers are
parsed one way: the encoding is detected *and reported* (never guessed silently; delimiters:
:mod:`analysis.io.delimited`),
Swedish number formatting is understood, and table symbols (``..``, ``-``, ``x``, ``XX``, ``.``)
are kept as missing values with a reason, never turned into 0. The next step is the format
readers (:mod:`analysis.io.bra`, :mod:`analysis.io.scb`, ...), which build tidy frames.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, ProblemCollector

__all__ = ["MARKERS", "Lines", "ParsedNumbers", "parse_numbers", "parse_number", "split_numbers",
           "sniff_encoding", "decode_bytes"]

#: Table symbols of Brå and SCB (domain notes §4.2) and what they mean. ``-`` is zero, the
#: others are missing values that must stay missing, each with its reason.
MARKERS: dict[str, str] = {
    "..": "uppgift saknas (..)",
    "x": "röjandekontroll (x)",
    "xx": "för få svar (XX)",
    ".": "ej tillämpligt (.)",
}
_ZERO = {"-", "–", "—"}
_SPACES = "[ \u00a0\u202f\u2009]"  # space, no-break space, narrow no-break space, thin space
_NUM_COMMA = re.compile(rf"^[+\-\u2212]?(?:\d{{1,3}}(?:{_SPACES}\d{{3}})+|\d+)(?:,\d+)?$")
_NUM_POINT = re.compile(rf"^[+\-\u2212]?(?:\d{{1,3}}(?:{_SPACES}\d{{3}})+|\d+)(?:\.\d+)?$")


class Lines:
    """Row numbers of a frame as the user counts them, kept in ``df.attrs['lines']``.

    pandas deep-copies ``attrs`` on every operation; this read-only wrapper copies as itself, so
    a million row numbers cost nothing. Aligned with the frame *as the reader returned it*.

    Examples
    --------
    >>> import copy; rows = Lines([2, 3, 5])
    >>> copy.deepcopy(rows) is rows, rows.tolist(), len(rows)
    (True, [2, 3, 5], 3)
    """

    __slots__ = ("_a",)

    def __init__(self, rows: Iterable[int]):
        a = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype=np.int64)
        a.setflags(write=False)
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)

    def __len__(self) -> int:
        return len(self._a)

    def __getitem__(self, i):
        return self._a[i]

    def __iter__(self):
        return iter(self._a.tolist())

    def __deepcopy__(self, memo) -> "Lines":
        return self

    def __copy__(self) -> "Lines":
        return self

    def __eq__(self, other) -> bool:
        return isinstance(other, Lines) and np.array_equal(self._a, other._a)

    def __repr__(self) -> str:
        return f"Lines({self._a.tolist()[:6]}{'...' if len(self._a) > 6 else ''}, n={len(self._a)})"

    def tolist(self) -> list[int]:
        return self._a.tolist()


@dataclass(frozen=True)
class ParsedNumbers:
    """Numbers parsed from text cells, aligned with the input.

    Attributes
    ----------
    values : numpy.ndarray
        float64; NaN where the cell is empty, a missing-value symbol or invalid.
    reason : numpy.ndarray
        object; ``None`` where a number was read, else why the value is missing
        (``"uppgift saknas (..)"``, ``"röjandekontroll (x)"``, ``"för få svar (XX)"``,
        ``"ej tillämpligt (.)"``, ``"tom"`` for an empty cell).
    invalid : numpy.ndarray
        bool; True where the cell is neither a number nor a known symbol.
    """

    values: np.ndarray
    reason: np.ndarray
    invalid: np.ndarray

    @property
    def suppressed(self) -> np.ndarray:
        """True for cells hidden by the producer (``x``, ``XX``), as opposed to merely missing."""
        r = self.reason.astype(str)
        return np.char.startswith(r, "röjande") | np.char.startswith(r, "för få")


def parse_numbers(cells: Iterable[object] | pd.Series, *, decimal: str = ",") -> ParsedNumbers:
    """Parse Swedish-formatted numbers and table symbols, vectorised.

    Parameters
    ----------
    cells : iterable or pandas.Series
        Text cells (numbers already parsed by another reader pass through).
    decimal : {",", "."}
        Decimal separator. Brå, SCB and Swedish Excel write ``,``; the old Brå HTML tables,
        extracted as text, use ``.`` (``2483.0``). Thousands are separated by a space or a
        no-break space in both cases (``2 431``, ``2\u00a0431``).

    Returns
    -------
    ParsedNumbers

    Notes
    -----
    ``-`` (and an en dash) means zero in Brå tables. ``..``, ``x``/``X``, ``XX`` and ``.`` are
    kept as missing with the reason, never as 0. A point in a number when ``decimal=","`` (or a
    comma when ``decimal="."``) is *invalid*, not guessed: ``1.234`` may be a thousands point.

    References
    ----------
    Brå and SCB table symbols: SCB, "Teckenförklaring"; Brå P-tables and hatbrott tables
    (see docs/data-model.md and the formats reference).

    Examples
    --------
    >>> p = parse_numbers(["2 431", "2\u00a0431", "7,5", "..", "-", "x", "XX", ".", "", "1.5"])
    >>> p.values.tolist()
    [2431.0, 2431.0, 7.5, nan, 0.0, nan, nan, nan, nan, nan]
    >>> p.reason.tolist()[3:9]
    ['uppgift saknas (..)', None, 'röjandekontroll (x)', 'för få svar (XX)', 'ej tillämpligt (.)', 'tom']
    >>> p.invalid.tolist()[-1], p.suppressed.tolist()[5:7]
    (True, [True, True])
    """
    if decimal not in (",", "."):
        raise ValueError("decimal must be ',' or '.'")
    s = pd.Series(cells, dtype=object) if not isinstance(cells, pd.Series) else cells.astype(object)
    n = len(s)
    values = np.full(n, np.nan)
    reason = np.full(n, None, dtype=object)
    invalid = np.zeros(n, dtype=bool)
    if n == 0:
        return ParsedNumbers(values, reason, invalid)
    raw = s.to_numpy()
    is_num = np.array([isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                       for v in raw]) if s.dtype == object else np.zeros(n, dtype=bool)
    if is_num.any():
        values[is_num] = raw[is_num].astype(float)
        nan_num = is_num & np.isnan(values)
        reason[nan_num] = "tom"
    text = pd.Series(np.where(is_num, "", raw), dtype=object).fillna("").astype(str).str.strip()
    t = text.to_numpy(dtype=object)
    lower = text.str.lower().to_numpy(dtype=object)
    empty = (text == "").to_numpy() & ~is_num
    reason[empty] = "tom"
    for sym, why in MARKERS.items():
        reason[lower == sym] = why
    zero = np.isin(t, list(_ZERO))
    values[zero] = 0.0
    pattern = _NUM_COMMA if decimal == "," else _NUM_POINT
    todo = ~(is_num | empty | zero | pd.Series(reason).notna().to_numpy())
    if todo.any():
        cand = text[todo]
        ok = cand.str.match(pattern).to_numpy()
        cleaned = cand[ok].str.replace(_SPACES, "", regex=True).str.replace("\u2212", "-")
        if decimal == ",":
            cleaned = cleaned.str.replace(",", ".")
        idx = np.flatnonzero(todo)
        values[idx[ok]] = cleaned.astype(float).to_numpy()
        invalid[idx[~ok]] = True
    return ParsedNumbers(values, reason, invalid)


def parse_number(text: object, *, decimal: str = ",") -> float | None:
    """Parse one cell; ``None`` for a missing-value symbol; ``ValueError`` if it is not a number.

    Examples
    --------
    >>> parse_number("2 279"), parse_number("-"), parse_number(".."), parse_number("11118.149", decimal=".")
    (2279.0, 0.0, None, 11118.149)
    """
    p = parse_numbers([text], decimal=decimal)
    if p.invalid[0]:
        raise ValueError(f"{text!r} is not a number written with decimal {decimal!r}")
    return None if np.isnan(p.values[0]) else float(p.values[0])


# --------------------------------------------------------------------------- rows of numbers

_TOKEN_MARK = {"..", "x", "X", "xx", "XX", ".", "-", "–"}


def split_numbers(text: str, n: int, *, pairs: bool = False) -> list[str]:
    """Split a whitespace-separated row of numbers into exactly ``n`` cells.

    Tables copied from HTML lose their cell borders, and Brå writes thousands with a space, so
    ``"888 9 2 279 24"`` may be five numbers or four (``2 279``). All splits into ``n`` cells that
    respect Swedish grouping (a group of 1-3 digits followed by groups of exactly 3) are
    considered. If more than one remains and ``pairs`` is true (the cells are (count, rate)
    pairs sharing one denominator, as in Brå's "antal, per 100 000 inv." tables), the split whose
    count/rate ratios agree best is taken, and only if it is clearly better than the runner-up.

    Raises
    ------
    ValueError
        When no split, or more than one equally plausible split, gives ``n`` cells.

    Examples
    --------
    >>> split_numbers("12 7 33 18 x x 10 6", 8)
    ['12', '7', '33', '18', 'x', 'x', '10', '6']
    >>> row = "888 9 2 279 24 859 9 607 6 601 6 132 1 151 2 5 518 58"   # Brå hatbrott 2012
    >>> split_numbers(row, 16, pairs=True)[2:4], split_numbers(row, 16, pairs=True)[-2:]
    (['2 279', '24'], ['5 518', '58'])
    """
    tokens = text.split()
    merges_needed = len(tokens) - n
    if merges_needed < 0:
        raise ValueError(f"expected {n} values, found only {len(tokens)}: {text!r}")
    # positions where token i+1 may continue token i as a thousands group
    joinable = [i for i in range(len(tokens) - 1)
                if re.fullmatch(r"\d{3}", tokens[i + 1]) and re.fullmatch(r"[+\-]?\d{1,3}", tokens[i])]
    candidates = []
    for combo in itertools.combinations(joinable, merges_needed):
        chosen = set(combo)
        cells, cur = [], tokens[0]
        for i in range(len(tokens) - 1):
            if i in chosen:
                cur += " " + tokens[i + 1]
            else:
                cells.append(cur)
                cur = tokens[i + 1]
        cells.append(cur)
        # a group continues only from a 1-3 digit head: "2 279 024" needs both joins
        if len(cells) == n and all(re.fullmatch(r"[+\-]?\d{1,3}( \d{3})+", c) or " " not in c
                                   for c in cells):
            candidates.append(cells)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ValueError(f"cannot split {text!r} into {n} numbers")
    if pairs and n % 2 == 0:
        scored = sorted((_pair_dispersion(c), k) for k, c in enumerate(candidates))
        best, second = scored[0], scored[1]
        if best[0] < 0.5 * second[0]:
            return candidates[best[1]]
    raise ValueError(f"{text!r} splits into {n} numbers in {len(candidates)} ways "
                     "(a space is both the thousands separator and the cell separator); "
                     "read the table from its HTML cells instead")


def _pair_dispersion(cells: Sequence[str]) -> float:
    vals = parse_numbers(list(cells)).values
    counts, rates = vals[0::2], vals[1::2]
    ok = (counts > 0) & (rates > 0)
    if ok.sum() < 2:
        return np.inf
    ratio = np.log(counts[ok] / rates[ok])
    return float(np.std(ratio))


# --------------------------------------------------------------------------- encodings

_MOJIBAKE = re.compile("Ã[¥¤¶…„–©¸\u0096\u0084\u0085]|Ã\u0083|Â[\u00a0«»°]")
_SWEDISH = set("åäöÅÄÖéÉüÜ")


def sniff_encoding(data: bytes) -> tuple[str, str]:
    """Detect the encoding of a Swedish text file and say how it was recognised.

    Returns
    -------
    (encoding, note)
        ``encoding`` is a Python codec name: ``utf-8-sig`` (byte-order mark), ``utf-16``
        (Excel's "Unicode text"), ``utf-8``, ``cp1252`` (Swedish Excel's "CSV (semikolonavgränsad)")
        or ``latin-1``.

    Raises
    ------
    DataError
        When the bytes are neither UTF-8 nor plausible Windows/Latin-1 Swedish text.

    Examples
    --------
    >>> sniff_encoding("Kommun;Antal\\nÅre;3\\n".encode("cp1252"))
    ('cp1252', 'not valid UTF-8; read as Windows-1252 (cp1252), the encoding Swedish Excel writes')
    >>> sniff_encoding(b"\\xef\\xbb\\xbfKommun;Antal\\n")[0]
    'utf-8-sig'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 with byte-order mark"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16 with byte-order mark (Excel 'Unicode text')"
    try:
        data.decode("utf-8")
        return "utf-8", "UTF-8" if any(b > 127 for b in data[:65536]) else "ASCII (read as UTF-8)"
    except UnicodeDecodeError:
        pass
    try:
        text, enc = data.decode("cp1252"), "cp1252"
        note = "not valid UTF-8; read as Windows-1252 (cp1252), the encoding Swedish Excel writes"
    except UnicodeDecodeError:
        text, enc = data.decode("latin-1"), "latin-1"
        note = "not valid UTF-8 nor cp1252; read as ISO-8859-1 (latin-1)"
    high = [ch for ch in text if ord(ch) > 127]
    plausible = sum(ch in _SWEDISH for ch in high)
    if high and plausible < 0.5 * len(high):
        raise DataError("cannot tell the encoding: the bytes are not UTF-8, and read as "
                        f"{enc} they give unusual characters ({''.join(sorted(set(high))[:12])!r}); "
                        "save the file as UTF-8 (Excel: 'CSV UTF-8') and try again")
    return enc, note


def decode_bytes(data: bytes, *, encoding: str | None = None, file: str | None = None
                 ) -> tuple[str, str, str]:
    """Decode a whole file, detecting the encoding unless given, and reject damaged text.

    Returns ``(text, encoding, note)``. Problems name the line (as an editor counts it):

    - bytes invalid in the declared encoding (every such line is listed);
    - *mojibake*: UTF-8 read as cp1252 and saved again (``Ã¥`` for ``å``), or a UTF-8 file
      read with ``encoding="cp1252"``;
    - replacement characters (``\\ufffd``) left by an earlier wrong conversion.

    Examples
    --------
    >>> decode_bytes("Ort\\nÅre\\n".encode("utf-8"), encoding="cp1252", file="f.csv")
    Traceback (most recent call last):
    ...
    analysis.errors.DataError: f.csv, row 2: text looks garbled (mojibake) (got 'Ã…re'); expected Swedish letters (å, ä, ö): the file is probably UTF-8, so leave out encoding='cp1252'
    """
    pc = ProblemCollector(file=file)
    if encoding is None:
        try:
            encoding, note = sniff_encoding(data)
        except DataError as err:
            raise DataError([type(p)(p.message, file=file) for p in err.problems]) from None
    else:
        note = f"declared {encoding}"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        for lineno, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as err:
                bad = line[err.start:err.end]
                guess = "cp1252 (Windows/Excel)" if _looks_cp1252(line) else "another encoding"
                pc.add(f"bytes not valid in {encoding} at character {err.start + 1}",
                       row=lineno, value="0x" + bad.hex().upper(),
                       expected=f"text encoded as {encoding}; the file looks like {guess}: "
                       "re-save it as UTF-8 or pass that encoding")
        pc.raise_if_any()
        raise  # pragma: no cover - a decode error must show on some line
    if text.startswith("\ufeff"):
        text = text[1:]
    hint = ("the file is probably UTF-8, so leave out encoding=" + repr(encoding)
            if encoding.replace("-", "").lower() in ("cp1252", "latin1", "iso88591", "windows1252")
            and _is_utf8(data) else
            "the text was UTF-8 read as cp1252 and saved again; fix the source file "
            "(e.g. re-export it) rather than this copy")
    if ("Ã" in text or "Â" in text) and _MOJIBAKE.search(text):
        for lineno, line in enumerate(text.split("\n"), start=1):
            m = _MOJIBAKE.search(line)
            if m:
                start = max(0, m.start() - 10)
                pc.add("text looks garbled (mojibake)", row=lineno,
                       value=line[start:m.end() + 10].strip(),
                       expected="Swedish letters (å, ä, ö): " + hint)
    if "\ufffd" in text:
        for lineno, line in enumerate(text.split("\n"), start=1):
            if "\ufffd" in line:
                pc.add("replacement character '\ufffd': letters were lost in an earlier conversion",
                       row=lineno, value=line.strip()[:40],
                       expected="the original file with its Swedish letters")
    pc.raise_if_any()
    return text, encoding, note


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _looks_cp1252(line: bytes) -> bool:
    return any(b in line for b in (b"\xe5", b"\xe4", b"\xf6", b"\xc5", b"\xc4", b"\xd6"))
