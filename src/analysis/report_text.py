"""Swedish wording and number formatting for report drafts (no statistics here).

Turns numbers and verdicts that the statistics layer has already decided into Swedish text in
the style of SCB and Brå: ``1 234,5``, ``12 %``, ``12 % (95 % KI 3–21 %)``, "en statistiskt
säkerställd ökning". Figures come next in the flow (:mod:`analysis.plots`), then the notebooks.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from . import SAMPLE_DATA_LABEL

__all__ = [
    "NBSP", "NNBSP", "MINUS", "SUPPRESSED", "MISSING", "SAMPLE_DATA_LABEL",
    "CHANGE_VERDICTS", "COMPARISON_VERDICTS", "MEASURES", "FINDING_COLUMNS",
    "format_number", "format_percent", "format_rate", "format_interval", "format_estimate",
    "format_month", "format_date", "format_period", "format_cell", "format_table",
    "crime_subject", "significance_phrase", "finding_sentence", "key_findings", "KeyFindings",
    "sample_data_label",
]

NBSP = "\u00a0"   #: no-break space: thousands separator and the space before "%"
NNBSP = "\u202f"  #: narrow no-break space, for typeset output
MINUS = "\u2212"  #: typographic minus sign
SUPPRESSED = "x"  #: Brå/SCB: too few cases to show
MISSING = ".."    #: Brå/SCB: value missing or not available

CHANGE_VERDICTS = ("ökning", "minskning", "ingen säkerställd förändring")
COMPARISON_VERDICTS = ("högre", "lägre", "ingen säkerställd skillnad")
#: estimate is: relative change (0.12 = +12 %), a rate ratio between two periods (1.12 =
#: +12 %), a difference of proportions (0.03 = 3 procentenheter), a ratio to a reference
#: (1.4), a proportion, a rate per 100 000.
MEASURES = ("relative_change", "rate_ratio", "pp_change", "ratio", "share", "rate")
FINDING_COLUMNS = ("topic", "subject", "crime_type", "measure", "estimate", "ci_low", "ci_high",
                   "ci_level", "verdict", "q_value", "survives_fdr", "importance", "x1", "x2",
                   "period1", "period2", "reference", "small_numbers", "suppressed")
NOT_ASSESSABLE = "ej bedömbar"  #: verdict of a measure evaluation that cannot be judged

_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december")
_SIGNIFICANT = {"ökning", "minskning", "högre", "lägre"}
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
    groups = []
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
    ('anmälda cykelstölder', 'anmälda brott i kategorin bedrägeribrott')
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


def _get(row, key, default=None):
    value = row.get(key, default) if hasattr(row, "get") else default
    return default if _missing(value) else value


def _check_verdict(measure: str, verdict: str, est: float, lo: float, hi: float) -> None:
    # The report layer never decides significance, but it refuses to print a sentence that
    # contradicts its own interval: that is a bug upstream, and the text would overstate.
    null = 1.0 if measure == "ratio" else 0.0
    up, down = ("ökning", "minskning") if measure != "ratio" else ("högre", "lägre")
    valid = CHANGE_VERDICTS + (NOT_ASSESSABLE,) if measure != "ratio" else COMPARISON_VERDICTS
    if verdict not in valid:
        raise ValueError(f"verdict {verdict!r} does not fit measure {measure!r}; expected {valid}")
    if verdict == up and not (est > null and (_missing(lo) or lo >= null)):
        raise ValueError(f"verdict {verdict!r} contradicts estimate {est} (CI {lo}–{hi})")
    if verdict == down and not (est < null and (_missing(hi) or hi <= null)):
        raise ValueError(f"verdict {verdict!r} contradicts estimate {est} (CI {lo}–{hi})")


def _fdr_failed(row) -> bool:
    # "survives" is the column name of analysis.verdicts.add_verdicts
    flag = _get(row, "survives_fdr", _get(row, "survives"))
    return flag is not None and not bool(flag)


def _between(row) -> str:
    p1, p2 = _get(row, "period1"), _get(row, "period2")
    return f" från {p1} till {p2}" if p1 and p2 else ""


def finding_sentence(row, *, space: str = NBSP, min_count: int = 10) -> str:
    """One finding as a Swedish sentence (see :func:`key_findings` for the columns).

    Examples
    --------
    >>> finding_sentence({"crime_type": "Bostadsinbrott", "measure": "relative_change",
    ...     "estimate": 0.12, "ci_low": 0.03, "ci_high": 0.21, "verdict": "ökning",
    ...     "period1": "2023", "period2": "2024", "x1": 250, "x2": 280}, space=" ")
    'Anmälda bostadsinbrott ökade med 12 % (95 % KI 3–21 %) från 2023 till 2024, en statistiskt säkerställd ökning.'
    """
    measure = _get(row, "measure", "relative_change")
    subject = _get(row, "subject")
    if not subject:
        subject = crime_subject(str(_get(row, "crime_type", "")))
        if measure == "ratio":  # a ratio compares rates, not counts
            subject = f"antalet {subject} per 100{space}000 invånare"
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {MEASURES}")
    est, lo, hi = (_get(row, k) for k in ("estimate", "ci_low", "ci_high"))
    level = float(_get(row, "ci_level", 0.95))
    verdict = _get(row, "verdict")
    subject = subject[0].upper() + subject[1:]
    if _get(row, "suppressed", False):
        return (f"{subject}: redovisas inte ({SUPPRESSED}), för få uppgifter för att visa "
                "en siffra.")
    if measure in ("share", "rate"):
        if verdict is not None:
            raise ValueError(f"a {measure} finding is descriptive and takes no verdict, "
                             f"got {verdict!r}")
        kind = "percent" if measure == "share" else "rate"
        unit = "" if measure == "share" else " per 100" + space + "000 invånare"
        text = format_estimate(est, lo, hi, kind=kind, level=level, space=space)
        head, _, ci = text.partition(" (")
        return f"{subject}: {head}{unit} ({ci}{_between(row)}."
    if verdict is None:
        raise ValueError(f"a {measure} finding needs a verdict from the statistics layer")
    if measure == "rate_ratio":  # worded like the relative change it is
        measure = "relative_change"
        est, lo, hi = (None if v is None else v - 1.0 for v in (est, lo, hi))
    x1, x2 = _get(row, "x1"), _get(row, "x2")
    small = _get(row, "small_numbers")
    if small is None and measure == "relative_change" and x1 is not None:
        small = min(x1, x2 if x2 is not None else x1) < min_count
    phrase = significance_phrase(verdict)
    if small and x1 is not None and x2 is not None:
        # Percentages of tiny counts swing wildly; counts say the same thing honestly.
        p1 = _get(row, "period1", "föregående period")
        p2 = _get(row, "period2", "senaste perioden")
        return (f"{subject}: {format_number(x2, space=space)} under {p2} jämfört med "
                f"{format_number(x1, space=space)} under {p1} ({phrase}; antalen är för små "
                f"för att anges i procent).")
    if est is None:
        return f"{subject}: förändringen kan inte skattas ({phrase})."
    _check_verdict(measure, verdict, est, lo, hi)
    fdr_failed = _fdr_failed(row)
    if measure == "ratio":
        ref = _get(row, "reference", "riket")
        if verdict in _SIGNIFICANT and est >= 2:
            ci = format_interval(lo, hi, kind="number", decimals=1, level=level, space=space)
            times = format_number(est, decimals=1, space=space)
            body = f"var {times} gånger nivån i {ref} ({ci})"
        elif verdict in _SIGNIFICANT:
            d = abs(est - 1)
            b = sorted((abs(lo - 1), abs(hi - 1)))
            word = "högre" if verdict == "högre" else "lägre"
            body = (f"var {format_percent(d, space=space)} {word} än i {ref} "
                    f"({format_interval(b[0], b[1], level=level, space=space)})")
        else:
            body = (f"skilde sig från {ref} med {format_percent(est - 1, space=space, sign=True)} "
                    f"({format_interval(lo - 1, hi - 1, level=level, space=space, sign=True)})")
    else:
        kind = "percent" if measure == "relative_change" else "pp"
        unit = "" if kind == "percent" else " procentenheter"
        if verdict in _SIGNIFICANT:
            verb = "ökade" if verdict == "ökning" else "minskade"
            b = sorted((abs(lo), abs(hi)))
            body = (f"{verb} med {_fmt(abs(est), kind, 0, space)}{unit} "
                    f"({format_interval(b[0], b[1], kind=kind, level=level, space=space)})")
        else:
            body = (f"förändrades med {_fmt(est, kind, 0, space, sign=True)}{unit} "
                    f"({format_interval(lo, hi, kind=kind, level=level, space=space, sign=True)})")
        body += _between(row)
    if verdict in _SIGNIFICANT and fdr_failed:
        noun = {"ökning": "ökningen", "minskning": "minskningen"}.get(verdict, "skillnaden")
        return (f"{subject} {body}, men {noun} håller inte vid korrektion för många "
                f"jämförelser (FDR) och är därför inte statistiskt säkerställd.")
    return f"{subject} {body}, {phrase}."


@dataclass(frozen=True)
class KeyFindings:
    """Ranked key findings for a *Sammanfattning*.

    Attributes
    ----------
    table : DataFrame
        The chosen findings, most important first, with ``rank``, ``tier`` and ``sentence``.
    sentences : tuple of str
    """

    table: pd.DataFrame
    sentences: tuple[str, ...]

    def summary(self) -> str:
        """The findings as a Markdown bullet list."""
        return "\n".join(f"- {s}" for s in self.sentences)

    def _repr_markdown_(self) -> str:
        return self.summary()


def key_findings(findings: pd.DataFrame, *, n_min: int = 5, n_max: int = 8,
                 min_count: int = 10, space: str = NBSP) -> KeyFindings:
    """Rank findings and word the 5–8 most important ones.

    Parameters
    ----------
    findings : DataFrame
        One row per finding. Columns (only ``measure``, ``estimate``, ``ci_low``, ``ci_high``
        and ``subject`` or ``crime_type`` are required):

        - ``topic`` (str): section, e.g. "brott", "trygghet".
        - ``subject`` (str): what the sentence is about ("Andelen som känner sig otrygga");
          defaults to :func:`crime_subject` of ``crime_type``.
        - ``measure``: one of :data:`MEASURES`.
        - ``estimate``, ``ci_low``, ``ci_high`` (float), ``ci_level`` (default 0.95).
        - ``verdict``: from the statistics layer, one of :data:`CHANGE_VERDICTS` (changes, also
          "ej bedömbar") or :data:`COMPARISON_VERDICTS` (ratios); empty for shares and rates.
          Pass the unadjusted verdict with ``survives_fdr`` (or ``survives``, as written by
          :func:`analysis.verdicts.add_verdicts`): a significant verdict that does not survive
          the FDR correction is worded as not statistically significant, with the reason.
        - ``q_value`` (float), ``survives_fdr`` or ``survives`` (bool): multiplicity results.
        - ``importance`` (float, default 1): higher first within a tier (e.g. focus areas).
        - ``x1``, ``x2``: counts in the earlier and later period; with ``small_numbers`` (bool,
          default: ``min(x1, x2) < min_count``) the sentence gives counts, not percent.
        - ``period1``, ``period2`` (str), ``reference`` (str, e.g. "riket"), ``suppressed``.
    n_min, n_max : int
        At most ``n_max`` findings; findings without a significant change are used only to
        reach ``n_min``. Fewer when fewer exist (none are invented).
    min_count : int, default 10
        Smallest count worded as a percentage change.

    Returns
    -------
    KeyFindings
        Ranking: (0) statistically significant and surviving FDR, (1) descriptive levels, (2)
        significant before but not after FDR, (3) no significant change; within a tier by
        ``importance`` (descending), ``q_value`` (ascending) and effect size.

    Examples
    --------
    >>> f = pd.DataFrame({"crime_type": ["Cykelstöld", "Bostadsinbrott"],
    ...     "measure": "relative_change", "estimate": [0.02, -0.3], "ci_low": [-0.1, -0.45],
    ...     "ci_high": [0.15, -0.12], "verdict": ["ingen säkerställd förändring", "minskning"],
    ...     "x1": [120, 60], "x2": [122, 42], "survives_fdr": [False, True]})
    >>> print(key_findings(f, space=" ").summary())
    - Anmälda bostadsinbrott minskade med 30 % (95 % KI 12–45 %), en statistiskt säkerställd minskning.
    - Anmälda cykelstölder förändrades med +2 % (95 % KI −10 till +15 %), ingen statistiskt säkerställd förändring.
    """
    if n_min > n_max:
        raise ValueError(f"n_min ({n_min}) must not exceed n_max ({n_max})")
    if "subject" not in findings and "crime_type" not in findings:
        raise KeyError("findings need a 'subject' or a 'crime_type' column")
    need = [c for c in ("measure", "estimate", "ci_low", "ci_high") if c not in findings]
    if need:
        raise KeyError(f"findings lack columns {need}; see key_findings() for the contract")
    table = findings.reset_index(drop=True).copy()
    for col, default in (("importance", 1.0), ("q_value", float("nan")), ("verdict", None),
                         ("survives_fdr", None)):
        if col not in table:
            table[col] = default
    rows = table.to_dict("records")
    sentences = [finding_sentence(r, space=space, min_count=min_count) for r in rows]

    def tier(r) -> int:
        v = _get(r, "verdict")
        if v in _SIGNIFICANT:
            return 2 if _fdr_failed(r) else 0
        return 1 if v is None else 3

    def effect(r) -> float:
        e = _get(r, "estimate", 0.0)
        return abs(math.log(e)) if r["measure"] == "ratio" and e > 0 else abs(e)

    table["tier"] = [tier(r) for r in rows]
    table["_effect"] = [effect(r) for r in rows]
    table["sentence"] = sentences
    table = table.sort_values(["tier", "importance", "q_value", "_effect"],
                              ascending=[True, False, True, False], na_position="last",
                              kind="stable").drop(columns="_effect")
    # "No significant change" is worth a line only to reach n_min findings.
    informative = table[table["tier"] < 3].head(n_max)
    filler = table[table["tier"] == 3].head(max(0, n_min - len(informative)))
    table = pd.concat([informative, filler])
    table.insert(0, "rank", range(1, len(table) + 1))
    return KeyFindings(table=table.reset_index(drop=True), sentences=tuple(table["sentence"]))
