"""Swedish number, interval and date formatting for report drafts (no statistics here).

Turns numbers and verdicts that the statistics layer has already decided into Swedish text in
the style of SCB and Brå: ``1 234,5``, ``12 %``, ``12 % (95 % KI 3–21 %)``, "en statistiskt
säkerställd ökning". Sentences about findings are built from these in :mod:`analysis.report.findings`.
"""

from __future__ import annotations

import datetime as _dt
import math
import re as _re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from .. import SAMPLE_DATA_LABEL
from ..swedish import MONTH_NAMES as _MONTHS
from ..verdicts import CHANGE_VERDICTS, COMPARISON_VERDICTS

__all__ = ["count_word", 
    "NBSP", "NNBSP", "MINUS", "SUPPRESSED", "MISSING", "SAMPLE_DATA_LABEL",
    "format_number", "format_percent", "format_rate", "format_interval", "format_estimate",
    "format_month", "format_date", "format_period", "format_cell", "format_table",
    "crime_subject", "significance_phrase", "sample_data_label", "format_p", "dash_ranges",
]

NBSP = "\u00a0"   #: no-break space: thousands separator and the space before "%"
NNBSP = "\u202f"  #: narrow no-break space, for typeset output
MINUS = "\u2212"  #: typographic minus sign
SUPPRESSED = "x"  #: Brå/SCB: too few cases to show
MISSING = ".."    #: Brå/SCB: value missing or not available

_PHRASES = {
    "ökning": "en statistiskt säkerställd ökning",
    "minskning": "en statistiskt säkerställd minskning",
    "ingen säkerställd förändring": "ingen statistiskt säkerställd förändring",
    "högre": "en statistiskt säkerställd skillnad",
    "lägre": "en statistiskt säkerställd skillnad",
    "ingen säkerställd skillnad": "ingen statistiskt säkerställd skillnad",
    "ej bedömbar": "det går inte att bedöma om förändringen är verklig",
}
_CRIME_SUBJECTS = {
    "Misshandel (inkl. grov)": "anmäld misshandel (inkl. grov)",
    "Olaga hot": "anmälda olaga hot",
    "Ofredande": "anmälda ofredanden",
    "Sexualbrott": "anmälda sexualbrott",
    "Grov kvinnofridskränkning": "anmälda grova kvinnofridskränkningar",
    "Rån (inkl. grovt)": "anmälda rån (inkl. grova)",
    "Bostadsinbrott": "anmälda bostadsinbrott",
    "Bilbrott": "anmälda bilbrott",
    "Cykelstöld": "anmälda cykelstölder",
    "Butiksstöld/snatteri": "anmälda butiksstölder och snatterier",
    "Skadegörelsebrott": "anmälda skadegörelsebrott",
    "Narkotikabrott": "anmälda narkotikabrott",
    "Våldsbrott": "anmälda våldsbrott",
    "Mängdbrott": "anmälda mängdbrott",
    "Samtliga brott": "anmälda brott totalt",
    "Bedrägeribrott": "anmälda bedrägeribrott",
    "Trafikbrott": "anmälda trafikbrott",
    "Bidragsbrott": "anmälda bidragsbrott (välfärdsbrott)",
    "Misshandel utomhus": "anmäld misshandel utomhus",
    "Misshandel inomhus": "anmäld misshandel inomhus",
    "Våld mot kvinna i nära relation": "anmäld misshandel av kvinnor i nära relationer",
    "Rattfylleri (inkl. grovt)": "anmälda rattfylleribrott (inkl. grova)",
    "Narkotikabrott, eget bruk": "anmälda narkotikabrott som gäller eget bruk",
    "Narkotikabrott, innehav": "anmälda narkotikabrott som gäller innehav",
    "Narkotikabrott, överlåtelse": "anmälda narkotikabrott som gäller överlåtelse",
}


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def format_number(x, *, decimals: int = 0, space: str = NBSP, sign: bool = False) -> str:
    """A number in Swedish style: ``1 234,5``.

    Parameters
    ----------
    x : float, int or None
        The number; ``None``/NaN give the missing-value symbol ``..``.
    decimals : int, default 0
        Decimals shown. Rounding is half away from zero on the decimal representation
        (1,005 → 1,01), as in published tables, not Python's round-half-even.
    space : str, default NBSP
        Thousands separator: :data:`NBSP`, :data:`NNBSP` for typeset output, or ``" "``.
    sign : bool, default False
        Show ``+`` for positive numbers (changes).

    Returns
    -------
    str
        Decimal comma, a minus sign U+2212 for negative numbers.

    Examples
    --------
    >>> format_number(1234.5, decimals=1, space=" ")
    '1 234,5'
    >>> format_number(-0.004, decimals=2), format_number(2.5), format_number(None)
    ('0,00', '3', '..')
    >>> format_number(12, sign=True)
    '+12'
    """
    if _missing(x):
        return MISSING
    if isinstance(x, float) and math.isinf(x):
        raise ValueError(f"cannot format an infinite number ({x}); check the estimate")
    q = Decimal(repr(float(x)) if not isinstance(x, int) else x)
    q = q.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)  # never "−0"
    whole, _, frac = f"{abs(q):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = space.join([whole] + groups) + ("," + frac if frac else "")
    if q < 0:
        return MINUS + text
    return ("+" + text) if sign and q > 0 else text


def format_percent(x, *, decimals: int = 0, scale: str = "proportion", space: str = NBSP,
                   sign: bool = False) -> str:
    """A percentage with a space before the sign: ``12 %``.

    Parameters
    ----------
    x : float or None
        The value; ``scale`` says whether 0.12 or 12 means twelve percent.
    decimals, space, sign
        As in :func:`format_number`.
    scale : {"proportion", "percent"}, default "proportion"

    Examples
    --------
    >>> format_percent(0.123, space=" ")
    '12 %'
    >>> format_percent(7.5, decimals=1, scale="percent", space=" ")
    '7,5 %'
    """
    if _missing(x):
        return MISSING
    if scale not in ("proportion", "percent"):
        raise ValueError(f"scale must be 'proportion' or 'percent', got {scale!r}")
    value = float(x) * (100.0 if scale == "proportion" else 1.0)
    return format_number(value, decimals=decimals, space=space, sign=sign) + space + "%"


def format_rate(x, *, space: str = NBSP) -> str:
    """A rate per 100 000 invånare as a whole number, as Brå and Kolada publish it.

    Examples
    --------
    >>> format_rate(11118.149, space=" ")
    '11 118'
    """
    return format_number(x, decimals=0, space=space)


def _fmt(x, kind: str, decimals: int, space: str, sign: bool = False) -> str:
    if kind == "percent":
        return format_percent(x, decimals=decimals, space=space, sign=sign)
    if kind == "pp":
        return format_number(100 * x, decimals=decimals, space=space, sign=sign)
    if kind == "rate":
        return format_number(x, decimals=0, space=space, sign=sign)
    if kind == "number":
        return format_number(x, decimals=decimals, space=space, sign=sign)
    raise ValueError(f"kind must be 'percent', 'pp', 'rate' or 'number', got {kind!r}")


def format_interval(low, high, *, kind: str = "percent", decimals: int = 0, level: float = 0.95,
                    space: str = NBSP, sign: bool = False) -> str:
    """A confidence interval: ``95 % KI 3–21 %``.

    Bounds with a minus sign are joined with "till" (``−5 till 14 %``) because an en dash next to
    a minus sign is unreadable.

    Parameters
    ----------
    low, high : float
        Bounds in the unit of ``kind``.
    kind : {"percent", "pp", "rate", "number"}
        ``percent`` takes proportions (0.03 → 3 %); ``pp`` takes differences of proportions and
        prints percentage points without a unit; ``rate`` prints whole numbers.
    level : float, default 0.95
        Confidence level, printed as "95 % KI".
    sign : bool
        Print "+" on positive bounds (signed changes).

    Examples
    --------
    >>> format_interval(0.03, 0.21, space=" ")
    '95 % KI 3–21 %'
    >>> format_interval(-0.05, 0.14, space=" ", sign=True)
    '95 % KI −5 till +14 %'
    """
    if _missing(low) or _missing(high):
        return f"{format_percent(level, space=space)} KI {MISSING}"
    unit = space + "%" if kind == "percent" else ""
    lo = _fmt(low, kind, decimals, space, sign).removesuffix(unit)
    hi = _fmt(high, kind, decimals, space, sign)
    joiner = " till " if (lo.startswith((MINUS, "+")) or hi.startswith((MINUS, "+"))) else "–"
    return f"{format_percent(level, space=space)} KI {lo}{joiner}{hi}"


def format_estimate(estimate, low, high, *, kind: str = "percent", decimals: int = 0,
                    level: float = 0.95, space: str = NBSP, sign: bool = False) -> str:
    """An estimate with its interval: ``12 % (95 % KI 3–21 %)``.

    Examples
    --------
    >>> format_estimate(0.12, 0.03, 0.21, space=" ")
    '12 % (95 % KI 3–21 %)'
    >>> format_estimate(1234.4, 1100, 1380, kind="rate", space=" ")
    '1 234 (95 % KI 1 100–1 380)'
    """
    est = _fmt(estimate, kind, decimals, space, sign)
    ci = format_interval(low, high, kind=kind, decimals=decimals, level=level, space=space,
                         sign=sign)
    return f"{est} ({ci})"


def format_p(p, *, prefix: bool = True, space: str = NBSP) -> str:
    """A p-value as Swedish tables print it: ``p < 0,001``, ``p = 0,012``, ``p = 0,43``.

    Never "0,000": a p-value below 0.001 is written as an upper bound.

    Parameters
    ----------
    p : float or None
        The p-value; missing gives ``..``.
    prefix : bool, default True
        Write "p = " / "p < " before the number (``False`` for a table column headed p-värde,
        which then shows ``< 0,001`` or ``0,012``).

    Examples
    --------
    >>> format_p(0.0000123, space=" "), format_p(0.0123, space=" "), format_p(0.4321, space=" ")
    ('p < 0,001', 'p = 0,012', 'p = 0,43')
    >>> format_p(0.0004, prefix=False, space=" ")
    '< 0,001'
    """
    if _missing(p):
        return MISSING
    p = float(p)
    if not 0 <= p <= 1:
        raise ValueError(f"a p-value lies between 0 and 1, got {p}")
    if p < 0.001:
        return f"p{space}<{space}0,001" if prefix else f"<{space}0,001"
    # three decimals below 0.1, where the second one decides a 5 % test; two above
    text = format_number(p, decimals=3 if p < 0.1 else 2, space=space)
    return f"p{space}={space}{text}" if prefix else text


def dash_ranges(text: str) -> str:
    """Ranges written with a hyphen ("16-24", "65-84 år") get the en dash of Swedish print.

    Only digit–digit hyphens are changed, so names such as "Malung-Sälen" keep theirs.

    Examples
    --------
    >>> dash_ranges("16-24"), dash_ranges("Malung-Sälen"), dash_ranges("65-84 år")
    ('16–24', 'Malung-Sälen', '65–84 år')
    """
    return _re.sub(r"(?<=\d)\s*-\s*(?=\d)", "–", str(text))


def _to_timestamp(value) -> pd.Timestamp:
    if isinstance(value, pd.Period):
        return value.to_timestamp()
    if isinstance(value, (_dt.date, _dt.datetime, pd.Timestamp)):
        return pd.Timestamp(value)
    if isinstance(value, str):
        return pd.Timestamp(value)
    raise TypeError(f"expected a date, a pandas Period or a 'YYYY-MM' string, got {value!r}")


def format_month(value) -> str:
    """A month in Swedish: ``januari 2025``.

    Examples
    --------
    >>> format_month(pd.Period("2025-01", freq="M")), format_month("2024-11")
    ('januari 2025', 'november 2024')
    """
    ts = _to_timestamp(value)
    return f"{_MONTHS[ts.month - 1]} {ts.year}"


def format_date(value) -> str:
    """A date in Swedish: ``5 januari 2025``.

    Examples
    --------
    >>> format_date(_dt.date(2025, 1, 5))
    '5 januari 2025'
    """
    ts = _to_timestamp(value)
    return f"{ts.day} {_MONTHS[ts.month - 1]} {ts.year}"


def format_period(start, end) -> str:
    """A span of months: ``januari–december 2024`` or ``november 2023–mars 2025``.

    Examples
    --------
    >>> format_period("2024-01", "2024-12"), format_period("2023-11", "2025-03")
    ('januari–december 2024', 'november 2023–mars 2025')
    """
    a, b = _to_timestamp(start), _to_timestamp(end)
    if (a.year, a.month) == (b.year, b.month):
        return format_month(a)
    if a.year == b.year:
        return f"{_MONTHS[a.month - 1]}–{_MONTHS[b.month - 1]} {a.year}"
    return f"{format_month(a)}–{format_month(b)}"


def format_cell(value, *, kind: str = "number", decimals: int = 0, suppressed: bool = False,
                space: str = NBSP) -> str:
    """One table cell: suppressed cells become ``x``, missing ones ``..``, never a number.

    Examples
    --------
    >>> format_cell(0.234, kind="percent", suppressed=True), format_cell(None, kind="rate")
    ('x', '..')
    >>> format_cell(0.234, kind="percent", space=" ")
    '23 %'
    """
    if not _missing(suppressed) and bool(suppressed):
        return SUPPRESSED
    if _missing(value):
        return MISSING
    return _fmt(value, kind, decimals, space)


def format_table(table: pd.DataFrame, *, columns: dict[str, str | tuple[str, int]],
                 suppressed: str | None = "suppressed", rename: dict[str, str] | None = None,
                 keep: tuple[str, ...] = (), space: str = NBSP) -> pd.DataFrame:
    """A display copy of a result table: every number formatted, suppressed rows as ``x``.

    Parameters
    ----------
    table : DataFrame
        A result table, e.g. with the estimate contract (``estimate, ci_low, ci_high, ...,
        suppressed``).
    columns : dict
        Column → kind (``"percent"``, ``"rate"``, ``"number"``, ``"pp"``) or (kind, decimals).
    suppressed : str or None
        Boolean column marking suppressed rows: all formatted columns of those rows show ``x``.
    rename : dict, optional
        Display names (e.g. ``{"estimate": "Andel"}``).
    keep : tuple of str
        Text columns kept as they are (e.g. ``area``), placed first.

    Returns
    -------
    DataFrame
        Strings only; ``keep`` columns then ``columns`` in the order given.

    Examples
    --------
    >>> t = pd.DataFrame({"area": ["Centrum", "Norr"], "estimate": [0.23, 0.4],
    ...                   "suppressed": [False, True]})
    >>> format_table(t, columns={"estimate": "percent"}, keep=("area",),
    ...              rename={"area": "Område", "estimate": "Andel"}, space=" ")
        Område Andel
    0  Centrum  23 %
    1     Norr     x
    """
    missing = [c for c in (*keep, *columns) if c not in table.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}; it has {list(table.columns)}")
    flags = (table[suppressed].fillna(False).astype(bool) if suppressed and suppressed in table
             else pd.Series(False, index=table.index))
    out = pd.DataFrame(index=table.index)
    for col in keep:
        out[col] = table[col].astype(str)
    for col, spec in columns.items():
        kind, dec = (spec, 1 if spec == "number" else 0) if isinstance(spec, str) else spec
        out[col] = [format_cell(v, kind=kind, decimals=dec, suppressed=f, space=space)
                    for v, f in zip(table[col], flags)]
    return out.rename(columns=rename or {})


def crime_subject(crime_type: str) -> str:
    """The noun phrase a sentence uses for a Brå crime type: "anmälda bostadsinbrott".

    Examples
    --------
    >>> crime_subject("Cykelstöld"), crime_subject("Bedrägeribrott")
    ('anmälda cykelstölder', 'anmälda bedrägeribrott')
    >>> crime_subject("Brott mot allmänheten (13–15 kap.)")
    'anmälda brott i kategorin brott mot allmänheten (13–15 kap.)'
    """
    return _CRIME_SUBJECTS.get(crime_type, f"anmälda brott i kategorin {crime_type.lower()}")


def significance_phrase(verdict: str) -> str:
    """The wording of a verdict decided by the statistics layer.

    Only the verdict decides the words; "oförändrat" is never used, because an interval that
    includes zero does not show that nothing changed.

    Examples
    --------
    >>> significance_phrase("ökning"), significance_phrase("ingen säkerställd förändring")
    ('en statistiskt säkerställd ökning', 'ingen statistiskt säkerställd förändring')
    """
    try:
        return _PHRASES[verdict]
    except (KeyError, TypeError):
        raise ValueError(f"unknown verdict {verdict!r}; expected one of "
                         f"{CHANGE_VERDICTS + COMPARISON_VERDICTS}") from None


def sample_data_label(dataset_info: dict | None) -> str:
    """The sample-data label when a data set's ``DATASET.json`` says it is synthetic, else "".

    Examples
    --------
    >>> sample_data_label({"synthetic": True})
    'Syntetiska exempeldata – inte verklig statistik'
    >>> sample_data_label({"synthetic": False})
    ''
    """
    return SAMPLE_DATA_LABEL if dataset_info and dataset_info.get("synthetic") else ""


_WORDS = ("noll", "en", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva",
          "tolv")


def count_word(n: int) -> str:
    """Numbers up to twelve in words in running text, larger ones as digits.

    Examples
    --------
    >>> count_word(12), count_word(290)
    ('tolv', '290')
    """
    return _WORDS[n] if 0 <= n < len(_WORDS) else format_number(n)
