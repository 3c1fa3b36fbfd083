"""Findings as Swedish sentences, and the ranked key findings of a draft's summary.

Each finding is a row whose verdict the statistics layer has already decided (change, trend,
difference from a reference); this module only words it, with the interval the verdict used,
and refuses a sentence that would contradict that interval. Numbers are formatted by
:mod:`analysis.report.text`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..verdicts import CHANGE_VERDICTS, COMPARISON_VERDICTS, NOT_ASSESSABLE
from ..verdicts import SIGNIFICANT as _SIGNIFICANT
from .text import (NBSP, SUPPRESSED, _fmt, _missing, crime_subject, format_estimate, format_interval,
                   format_number, format_percent, significance_phrase)

__all__ = ["MEASURES", "FINDING_COLUMNS", "finding_sentence", "key_findings", "KeyFindings"]

#: estimate is: relative change (0.12 = +12 %), a rate ratio between two periods (1.12 =
#: +12 %), a difference of proportions (0.03 = 3 procentenheter), a ratio to a reference
#: (1.4), a proportion, a rate per 100 000.
MEASURES = ("relative_change", "rate_ratio", "pp_change", "ratio", "share", "rate")
FINDING_COLUMNS = ("topic", "subject", "crime_type", "measure", "estimate", "ci_low", "ci_high",
                   "ci_level", "verdict", "q_value", "survives_fdr", "importance", "x1", "x2",
                   "period1", "period2", "reference", "small_numbers", "suppressed")

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
