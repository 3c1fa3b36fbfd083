"""Findings as Swedish sentences, and the ranked key findings of a draft's summary.

Each finding is a row whose verdict the statistics layer has already decided (change, trend,
difference from a reference); this module only words it, with the interval the verdict used,
and refuses a sentence that would contradict that interval. Numbers are formatted by
:mod:`analysis.report.text`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..verdicts import CHANGE_VERDICTS, COMPARISON_VERDICTS, NOT_ASSESSABLE
from ..verdicts import SIGNIFICANT as _SIGNIFICANT
from .captions import count_word
from .text import (NBSP, SUPPRESSED, _fmt, _missing, crime_subject, format_estimate, format_interval,
                   format_number, format_percent, format_rate, significance_phrase)

__all__ = ["MEASURES", "FINDING_COLUMNS", "finding_sentence", "key_findings", "KeyFindings",
           "level_sentence", "change_sentence", "trend_sentence", "survey_change_sentence",
           "survey_level_sentence", "lagesbild_summary"]

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


# ---- the lägesbild's Sammanfattning -------------------------------------------------------

#: Survey indicators where a higher share is worse (all of the sample catalogue's are).
_PROBLEM_UP = True


def _pct_diff(ratio: float, lo: float, hi: float, space: str) -> tuple[str, str]:
    """A ratio to a reference as "+106 %"-style words and its interval, on the ratio scale."""
    if ratio >= 2:
        return (f"{format_number(ratio, decimals=1, space=space)} gånger",
                format_interval(lo, hi, kind="number", decimals=1, space=space))
    if ratio >= 1:
        return (f"{format_percent(ratio - 1, space=space)} högre",
                format_interval(lo - 1, hi - 1, space=space))
    return (f"{format_percent(1 - ratio, space=space)} lägre",
            format_interval(1 - hi, 1 - lo, space=space))


def level_sentence(row, *, year: int, reference: str = "riket", space: str = NBSP) -> str:
    """A kommun's level against a reference, with the interval its verdict used.

    ``row`` has ``crime_type, count, rate, rate_riket, expected, ratio_riket, ratio_low,
    ratio_high, verdict_riket`` (from :func:`analysis.report.content.omfattning`).

    Examples
    --------
    >>> r = {"crime_type": "Bostadsinbrott", "count": 137, "rate": 206.0, "rate_riket": 100.0,
    ...      "expected": 66.5, "ratio_riket": 2.06, "ratio_low": 1.55, "ratio_high": 2.7,
    ...      "verdict_riket": "högre"}
    >>> print(level_sentence(r, year=2025, space=" "))
    Anmälda bostadsinbrott: 206 per 100 000 invånare 2025 mot 100 i riket, 2,1 gånger rikets nivå (95 % KI 1,6–2,7), en statistiskt säkerställd skillnad; omkring 71 fler anmälda brott än vid rikets nivå.
    """
    verdict = _get(row, "verdict_riket")
    ratio, lo, hi = (float(_get(row, k)) for k in ("ratio_riket", "ratio_low", "ratio_high"))
    if verdict in ("högre", "lägre"):
        if (verdict == "högre") != (lo > 1) or (verdict == "lägre") != (hi < 1):
            raise ValueError(f"verdict {verdict!r} contradicts the ratio interval {lo}–{hi}")
    words, ci = _pct_diff(ratio, lo, hi, space)
    if words.endswith("gånger"):
        words = f"{words} {reference}s nivå" if reference == "riket" else f"{words} nivån i {reference}"
    else:
        words = f"{words} än i {reference}"
    excess = float(_get(row, "count")) - float(_get(row, "expected"))
    more = "fler" if excess > 0 else "färre"
    subject = crime_subject(str(_get(row, "crime_type")))
    return (f"{subject[0].upper()}{subject[1:]}: {format_rate(_get(row, 'rate'), space=space)} per "
            f"100{space}000 invånare {year} mot {format_rate(_get(row, 'rate_riket'), space=space)} i "
            f"{reference}, {words} ({ci}), {significance_phrase(verdict)}; omkring "
            f"{format_number(abs(excess), space=space)} {more} anmälda brott än vid {reference}s nivå.")


def change_sentence(row, *, space: str = NBSP, min_count: int = 10) -> str:
    """Change between two years with counts; counts only when the base is small.

    Examples
    --------
    >>> r = {"crime_type": "Ofredande", "x1": 359, "x2": 231, "rate_ratio": 0.64,
    ...      "ci_low": 0.44, "ci_high": 0.93, "verdict": "minskning", "period1": 2024,
    ...      "period2": 2025}
    >>> print(change_sentence(r, space=" "))
    Anmälda ofredanden minskade med 36 % (95 % KI 7–56 %) från 2024 till 2025 (359 → 231 anmälda), en statistiskt säkerställd minskning.
    """
    x1, x2 = int(_get(row, "x1")), int(_get(row, "x2"))
    verdict = _get(row, "verdict")
    subject = crime_subject(str(_get(row, "crime_type")))
    subject = subject[0].upper() + subject[1:]
    p1, p2 = _get(row, "period1"), _get(row, "period2")
    counts = f"{format_number(x1, space=space)} → {format_number(x2, space=space)} anmälda"
    if x1 < min_count:
        return (f"{subject}: {counts} från {p1} till {p2} ({significance_phrase(verdict)}; för få "
                "fall för att ange förändringen i procent).")
    rr, lo, hi = (float(_get(row, k)) for k in ("rate_ratio", "ci_low", "ci_high"))
    _check_verdict("relative_change", verdict, rr - 1, lo - 1, hi - 1)
    if verdict in ("ökning", "minskning"):
        verb = "ökade" if verdict == "ökning" else "minskade"
        b = sorted((abs(lo - 1), abs(hi - 1)))
        body = (f"{verb} med {format_percent(abs(rr - 1), space=space)} "
                f"({format_interval(b[0], b[1], space=space)})")
    else:
        body = (f"förändrades med {format_percent(rr - 1, space=space, sign=True)} "
                f"({format_interval(lo - 1, hi - 1, space=space, sign=True)})")
    return f"{subject} {body} från {p1} till {p2} ({counts}), {significance_phrase(verdict)}."


def trend_sentence(row, *, space: str = NBSP, min_count: int = 10) -> str:
    """A trend as the average change per year and, approximately, in total.

    ``row`` has ``crime_type, estimate, ci_low, ci_high`` (% per year), ``total_change``,
    ``year1, year2, n1, n2, verdict`` (from :func:`analysis.report.content.utveckling`).

    Examples
    --------
    >>> r = {"crime_type": "Skadegörelsebrott", "estimate": -4.6, "ci_low": -7.4,
    ...      "ci_high": -1.8, "total_change": -0.375, "year1": 2015, "year2": 2025,
    ...      "n1": 625, "n2": 428, "verdict": "minskning"}
    >>> print(trend_sentence(r, space=" "))
    Anmälda skadegörelsebrott minskade i genomsnitt med 4,6 % per år (95 % KI 1,8–7,4 %), sammanlagt ungefär 38 % från 2015 till 2025 (625 → 428 anmälda), en statistiskt säkerställd minskning.
    """
    est, lo, hi = (float(_get(row, k)) / 100 for k in ("estimate", "ci_low", "ci_high"))
    verdict = _get(row, "verdict")
    _check_verdict("relative_change", verdict, est, lo, hi)
    subject = crime_subject(str(_get(row, "crime_type")))
    subject = subject[0].upper() + subject[1:]
    y1, y2, n1, n2 = (_get(row, k) for k in ("year1", "year2", "n1", "n2"))
    counts = f"{format_number(n1, space=space)} → {format_number(n2, space=space)} anmälda"
    if verdict in ("ökning", "minskning"):
        verb = "ökade" if verdict == "ökning" else "minskade"
        b = sorted((abs(lo), abs(hi)))
        body = (f"{verb} i genomsnitt med {format_percent(abs(est), decimals=1, space=space)} per år "
                f"({format_interval(b[0], b[1], decimals=1, space=space)})")
        total = abs(float(_get(row, "total_change")))
    else:
        body = (f"förändrades i genomsnitt med {format_percent(est, decimals=1, space=space, sign=True)}"
                f" per år ({format_interval(lo, hi, decimals=1, space=space, sign=True)})")
        total = float(_get(row, "total_change"))
    if int(n1) < min_count:
        body += f" från {y1} till {y2} ({counts}; för få fall för en procentuell summa)"
    else:
        sign = verdict not in ("ökning", "minskning")
        body += (f", sammanlagt ungefär {format_percent(total, space=space, sign=sign)} från {y1} "
                 f"till {y2} ({counts})")
    return f"{subject} {body}, {significance_phrase(verdict)}."


def survey_change_sentence(row, *, space: str = NBSP) -> str:
    """A survey indicator's change between waves, in percentage points with its interval."""
    from .tables import survey_subject

    verdict = _get(row, "verdict")
    est, lo, hi = (float(_get(row, k)) for k in ("estimate", "ci_low", "ci_high"))
    _check_verdict("pp_change", verdict, est, lo, hi)
    a, b = _get(row, "estimate_earlier"), _get(row, "estimate_later")
    verb = {"ökning": "ökade", "minskning": "minskade"}.get(verdict, "förändrades")
    return (f"{survey_subject(str(_get(row, 'variable')))} {verb} från "
            f"{format_percent(a, space=space)} till {format_percent(b, space=space)} "
            f"({format_number(100 * est, decimals=1, sign=True, space=space)} procentenheter, "
            f"{format_interval(lo, hi, kind='pp', decimals=1, sign=True, space=space)}) "
            f"sedan {_get(row, 'period1')}, {significance_phrase(verdict)}.")


def survey_level_sentence(level, gap=None, *, year: int, space: str = NBSP) -> str:
    """The survey's main result: the indicator's share and, if significant, the sex gap.

    Examples
    --------
    >>> lv = {"variable": "otrygg_kvall_andel", "estimate": 0.27, "ci_low": 0.23, "ci_high": 0.31}
    >>> gap = {"estimate": 0.2, "ci_low": 0.13, "ci_high": 0.27, "verdict": "skillnad",
    ...        "women": 0.37, "men": 0.17}
    >>> print(survey_level_sentence(lv, gap, year=2025, space=" "))
    Andelen som känner sig otrygga ute ensamma sent en kväll i sitt område eller avstår från att gå ut var 27 % (95 % KI 23–31 %) år 2025: 37 % bland kvinnorna och 17 % bland männen, en statistiskt säkerställd skillnad på 20 procentenheter (95 % KI 13–27).
    """
    from .tables import survey_subject

    text = (f"{survey_subject(str(_get(level, 'variable')))} var "
            f"{format_estimate(_get(level, 'estimate'), _get(level, 'ci_low'), _get(level, 'ci_high'), space=space)}"
            f" år {year}")
    if gap is None or _get(gap, "verdict") != "skillnad":
        return text + "."
    est, lo, hi = (float(_get(gap, k)) for k in ("estimate", "ci_low", "ci_high"))
    if not (lo > 0 or hi < 0):
        raise ValueError(f"a significant gap needs an interval without 0, got {lo}–{hi}")
    b = sorted((abs(lo), abs(hi)))
    return (f"{text}: {format_percent(_get(gap, 'women'), space=space)} bland kvinnorna och "
            f"{format_percent(_get(gap, 'men'), space=space)} bland männen, en statistiskt "
            f"säkerställd skillnad på {format_number(100 * abs(est), space=space)} procentenheter "
            f"({format_interval(b[0], b[1], kind='pp', space=space)}).")


def lagesbild_summary(levels: pd.DataFrame, changes: pd.DataFrame, trends: pd.DataFrame,
                      survey: dict | None = None, *, year: int, n_max: int = 8,
                      space: str = NBSP) -> KeyFindings:
    """The Sammanfattning: significant findings only, problems first, most crimes first.

    Candidates are the FDR-corrected verdicts of the sections (``verdict_riket`` of
    ``levels``, ``verdict`` of ``changes``, ``trends`` and the survey's ``change``). Order:
    problems (higher than riket, increases) before good news; within each, by the crimes per
    year involved (``|count - expected|`` for levels, ``|x2 - x1|`` for changes, the fitted
    difference between the first and last year for trends), then by effect size (``|log
    ratio|``). Survey changes follow the crime findings of the same kind. Then the survey's
    clearest result (the first indicator, with the women–men gap where it is significant).
    Non-significant findings never fill the list; when no crime type changed significantly,
    one sentence says so.

    Returns
    -------
    KeyFindings
        ``table`` with ``rank, kind, subject, problem, crimes_per_year, effect, verdict,
        sentence``.
    """
    rows = []
    for r in levels.to_dict("records"):
        if r["verdict_riket"] in ("högre", "lägre"):
            rows.append({"kind": "nivå", "subject": r["crime_type"], "verdict": r["verdict_riket"],
                         "problem": r["verdict_riket"] == "högre",
                         "crimes_per_year": abs(r["count"] - r["expected"]),
                         "effect": abs(math.log(max(r["ratio_riket"], 1e-9))),
                         "sentence": level_sentence(r, year=year, space=space)})
    for r in changes.to_dict("records"):
        if r["verdict"] in ("ökning", "minskning"):
            rows.append({"kind": "förändring", "subject": r["crime_type"], "verdict": r["verdict"],
                         "problem": r["verdict"] == "ökning",
                         "crimes_per_year": abs(r["x2"] - r["x1"]),
                         "effect": abs(math.log(r["rate_ratio"])),
                         "sentence": change_sentence(r, space=space)})
    for r in trends.to_dict("records"):
        if r["verdict"] in ("ökning", "minskning"):
            tot = r["total_change"]
            rows.append({"kind": "trend", "subject": r["crime_type"], "verdict": r["verdict"],
                         "problem": r["verdict"] == "ökning",
                         "crimes_per_year": abs(r["n2"] * tot / (1 + tot)),
                         "effect": abs(math.log1p(r["estimate"] / 100)),
                         "sentence": trend_sentence(r, space=space)})
    if survey is not None and "change" in survey:
        for r in survey["change"].to_dict("records"):
            if r["verdict"] in ("ökning", "minskning") and not r.get("suppressed", False):
                r = {**r, "period1": survey.get("previous_year")}
                rows.append({"kind": "trygghet, förändring", "subject": r["variable"],
                             "verdict": r["verdict"],
                             "problem": (r["verdict"] == "ökning") == _PROBLEM_UP,
                             "crimes_per_year": -1.0, "effect": abs(r["estimate"]),
                             "sentence": survey_change_sentence(r, space=space)})
    table = pd.DataFrame(rows, columns=["kind", "subject", "verdict", "problem",
                                        "crimes_per_year", "effect", "sentence"])
    table = table.sort_values(["problem", "crimes_per_year", "effect"],
                              ascending=[False, False, False], kind="stable")
    extra = []
    if not any(k in ("förändring", "trend") for k in table["kind"]):
        first = int(trends["year1"].iloc[0]) if len(trends) and "year1" in trends else None
        since = f" eller sedan {first}" if first else ""
        compared = "compared" not in levels or bool(levels["compared"].any())
        tail = ("" if any(table["kind"] == "nivå")
                else ", och ingen brottstyp skiljer sig statistiskt säkerställt från riket" if compared
                else "; jämförelsen med riket saknas i underlaget")
        extra.append({"kind": "lite förändrat", "subject": "", "verdict": "", "problem": False,
                      "crimes_per_year": np.nan, "effect": np.nan,
                      "sentence": (f"Ingen av de {count_word(len(changes))} brottstyperna förändrades statistiskt "
                                   f"säkerställt från {year - 1} till {year}{since}{tail}.")})
    if survey is not None and len(survey.get("kommun", [])):
        main = survey["kommun"].iloc[0]
        if not bool(main["suppressed"]):
            gap = None
            g = survey.get("sex_gap")
            if g is not None:
                mine = g[g["variable"] == main["variable"]]
                if len(mine) and mine["verdict"].iloc[0] == "skillnad":
                    sx = survey["sex"][survey["sex"]["variable"] == main["variable"]].set_index("sex")
                    gap = {**mine.iloc[0].to_dict(), "women": sx.at["kvinna", "estimate"],
                           "men": sx.at["man", "estimate"]}
            extra.append({"kind": "trygghet", "subject": main["variable"],
                          "verdict": "skillnad" if gap else "", "problem": False,
                          "crimes_per_year": np.nan, "effect": np.nan,
                          "sentence": survey_level_sentence(main, gap, year=survey["year"],
                                                            space=space)})
    head = table.head(max(0, n_max - len(extra)))
    out = pd.concat([head, pd.DataFrame(extra)], ignore_index=True) if extra else head
    out = out.reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return KeyFindings(table=out, sentences=tuple(out["sentence"]))

