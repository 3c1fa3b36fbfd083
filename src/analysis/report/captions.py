"""One sentence per table of the lägesbild: what it shows, with the verdicts it contains.

Every table of a draft gets a heading and a sentence a coordinator can keep; the sentence only
words the FDR-corrected verdicts of :mod:`analysis.report.content` (no statistics here).
"""

from __future__ import annotations

import pandas as pd

from ..multiplicity import family_size
from .text import count_word, format_number, format_percent

__all__ = ["count_word", "omfattning_sentence", "forandring_sentence", "utveckling_sentence",
           "survey_sentence", "sex_gap_sentence", "survey_change_summary", "rank_sentence",
           "segments_sentence", "segments_text"]


def _names(types) -> str:
    items = [str(t).lower() if not str(t).isupper() else str(t) for t in types]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


def omfattning_sentence(levels: pd.DataFrame, *, year: int) -> str:
    """What the Omfattning table shows, with the corrected verdicts it contains.

    Examples
    --------
    >>> lv = pd.DataFrame({"crime_type": ["Bostadsinbrott", "Ofredande", "Rån"],
    ...     "verdict_riket": ["högre", "lägre", "ej bedömbar"]})
    >>> print(omfattning_sentence(lv, year=2025))
    Tabellen visar anmälda brott 2025 per brottstyp mot länet och riket. Statistiskt säkerställt över rikets nivå: bostadsinbrott; under: ofredande; en brottstyp har för få fall för en bedömning; övriga skiljer sig inte säkerställt.
    """
    v = levels.set_index("crime_type")["verdict_riket"]
    high, low = list(v.index[v == "högre"]), list(v.index[v == "lägre"])
    few = int((v == "ej bedömbar").sum())
    parts = [f"Statistiskt säkerställt över rikets nivå: {_names(high) if high else 'ingen brottstyp'}",
             f"under: {_names(low) if low else 'ingen'}"]
    if few:
        parts.append(f"{count_word(few)} brottstyp{'er' if few > 1 else ''} har för få fall för en bedömning")
    parts.append("övriga skiljer sig inte säkerställt")
    against = ("länet och riket" if "rate_lan" not in levels or levels["rate_lan"].notna().any()
               else "riket")  # a län of one kommun (Gotland) is not compared with
    return (f"Tabellen visar anmälda brott {year} per brottstyp mot {against}. "
            + "; ".join(parts) + ".")


def forandring_sentence(changes: pd.DataFrame) -> str:
    """What the change table shows: which crime types changed (corrected for multiplicity)."""
    p1, p2 = changes["period1"].iloc[0], changes["period2"].iloc[0]
    up = list(changes.loc[changes["verdict"] == "ökning", "crime_type"])
    down = list(changes.loc[changes["verdict"] == "minskning", "crime_type"])
    lost = int((changes["verdict_uncorrected"].isin(("ökning", "minskning"))
                & ~changes["verdict"].isin(("ökning", "minskning"))).sum())
    head = f"Tabellen visar antalet anmälda brott {p1} och {p2} per brottstyp. "
    if not up and not down:
        body = (f"Ingen av de {count_word(len(changes))} brottstyperna förändrades statistiskt "
                "säkerställt")
    else:
        bits = ([f"ökade: {_names(up)}"] if up else []) + ([f"minskade: {_names(down)}"] if down else [])
        body = "Statistiskt säkerställt " + "; ".join(bits)
    if lost:
        body += (f" ({count_word(lost)} förändring{'ar' if lost > 1 else ''} håller inte vid "
                 f"korrektion för att {count_word(family_size(changes) or len(changes))} brottstyper prövas samtidigt)")
    return head + body + "."


def utveckling_sentence(trends: pd.DataFrame) -> str:
    """What the trend table shows: which crime types rose or fell on average since the start."""
    y1, y2 = int(trends["year1"].iloc[0]), int(trends["year2"].iloc[0])
    up = list(trends.loc[trends["verdict"] == "ökning", "crime_type"])
    down = list(trends.loc[trends["verdict"] == "minskning", "crime_type"])
    head = (f"Tabellen visar den genomsnittliga förändringen per år {y1}–{y2} och ungefär hur "
            "stor den blir sammanlagt. ")
    if not up and not down:
        return head + "Ingen brottstyp har en statistiskt säkerställd trend."
    bits = ([f"ökande: {_names(up)}"] if up else []) + ([f"minskande: {_names(down)}"] if down else [])
    return head + "Statistiskt säkerställd trend, " + "; ".join(bits) + "."


def survey_sentence(kommun: pd.DataFrame, *, year: int) -> str:
    """What the survey's main table shows: the highest and the lowest share."""
    from .tables import survey_label

    t = kommun[~kommun["suppressed"].fillna(False).astype(bool)].sort_values("estimate")
    if t.empty:
        return "Alla andelar bygger på för få svar för att redovisas."
    hi, lo = t.iloc[-1], t.iloc[0]
    return (f"Tabellen visar andelarna i hela kommunen {year}. Högst: "
            f"{survey_label(hi['variable']).lower()} ({format_percent(hi['estimate'])}); lägst: "
            f"{survey_label(lo['variable']).lower()} ({format_percent(lo['estimate'])}).")


def sex_gap_sentence(gap: pd.DataFrame, by_sex: pd.DataFrame) -> str:
    """Women against men, in words: the significant gaps (FDR-corrected) with both shares.

    Examples
    --------
    >>> gap = pd.DataFrame({"variable": ["otrygg_kvall_andel", "oro_inbrott_andel"],
    ...     "verdict": ["skillnad", "ingen säkerställd skillnad"]})
    >>> sx = pd.DataFrame({"variable": ["otrygg_kvall_andel"] * 2, "sex": ["kvinna", "man"],
    ...     "estimate": [0.37, 0.17]})
    >>> print(sex_gap_sentence(gap, sx).replace("\\xa0", " "))
    Statistiskt säkerställda skillnader mellan kvinnor och män: otrygg ute sen kväll eller avstår, 37 % bland kvinnorna mot 17 % bland männen. Övriga indikatorer skiljer sig inte säkerställt.
    """
    from .tables import survey_label

    sig = gap[gap["verdict"] == "skillnad"]
    if sig.empty:
        return "Ingen indikator skiljer sig statistiskt säkerställt mellan kvinnor och män."
    sx = by_sex.set_index(["variable", "sex"])["estimate"]
    bits = [f"{survey_label(v).lower()}, {format_percent(sx[(v, 'kvinna')])} bland kvinnorna mot "
            f"{format_percent(sx[(v, 'man')])} bland männen" for v in sig["variable"]]
    rest = " Övriga indikatorer skiljer sig inte säkerställt." if len(sig) < len(gap) else ""
    return "Statistiskt säkerställda skillnader mellan kvinnor och män: " + "; ".join(bits) + "." + rest


def survey_change_summary(change: pd.DataFrame, *, previous_year: int) -> str:
    """What the survey-change table shows (one FDR family over the indicators)."""
    from .tables import survey_label

    sig = change[change["verdict"].isin(("ökning", "minskning"))]
    n = count_word(len(change))
    if sig.empty:
        return (f"Tabellen visar förändringen sedan {previous_year}. Ingen av de {n} indikatorerna "
                "förändrades statistiskt säkerställt när hänsyn tas till att alla prövas samtidigt.")
    bits = [f"{survey_label(r.variable).lower()} ({'ökning' if r.verdict == 'ökning' else 'minskning'})"
            for r in sig.itertuples()]
    return (f"Tabellen visar förändringen sedan {previous_year}. Statistiskt säkerställt, även när "
            f"hänsyn tas till att {n} indikatorer prövas samtidigt: " + "; ".join(bits) + ".")


def rank_sentence(funnel_table: pd.DataFrame, kommunkod: str, *, reference: str) -> str:
    """What the comparison table shows: the kommun's level against the group, in words."""
    r = funnel_table[funnel_table["area_code"] == kommunkod].iloc[0]
    v = r["verdict"]
    if v in ("högre", "lägre"):
        what = f"statistiskt säkerställt {v} än i {reference}"
    elif v == "ej bedömbar":
        what = "för få fall för en bedömning"
    else:
        what = f"inte statistiskt säkerställt skild från nivån i {reference}"
    return (f"Tabellen visar kommunens nivå av {str(r['crime_type']).lower()} mot {reference}: "
            f"{what}; bland {format_number(r['n_ranked'])} kommuner ligger den troligen på plats "
            f"{r['rank_low']}–{r['rank_high']}.")


def segments_sentence(segments: pd.DataFrame, crime_type: str) -> str:
    """The course of a trend with joinpoints, segment by segment ("ökade till 2019, minskade
    sedan"); each segment worded by its corrected verdict, with its interval when it claims
    a change. Empty when the crime type has no joinpoint or no segment is significant.

    Examples
    --------
    >>> seg = pd.DataFrame({"crime_type": "Rån", "segment_start": ["2015-01", "2019-07"],
    ...     "segment_end": ["2019-06", "2025-12"], "estimate": [6.0, -8.0],
    ...     "ci_low": [2.0, -12.0], "ci_high": [10.0, -4.0],
    ...     "verdict": ["ökning", "minskning"]})
    >>> print(segments_sentence(seg, "Rån").replace("\\xa0", " "))
    Förloppet för rån: ökade till juni 2019 (+6,0 % per år, 95 % KI 2,0–10,0 %), minskade sedan (−8,0 % per år, 95 % KI 4,0–12,0 %).
    """
    from .text import format_interval, format_month

    seg = segments[segments["crime_type"] == crime_type]
    if len(seg) < 2 or not seg["verdict"].isin(("ökning", "minskning")).any():
        return ""  # a course without any significant segment says nothing
    parts = []
    for i, r in enumerate(seg.itertuples()):
        last = i == len(seg) - 1
        when = "sedan" if last else f"till {format_month(str(r.segment_end))}"
        if r.verdict in ("ökning", "minskning"):
            verb = "ökade" if r.verdict == "ökning" else "minskade"
            lo, hi = sorted((abs(r.ci_low), abs(r.ci_high)))
            parts.append(f"{verb} {when} ({format_percent(r.estimate / 100, decimals=1, sign=True)} "
                         f"per år, {format_interval(lo / 100, hi / 100, decimals=1)})")
        else:
            parts.append(f"ingen säkerställd förändring {when}")
    return f"Förloppet för {crime_type.lower()}: " + ", ".join(parts) + "."


def segments_text(segments: pd.DataFrame) -> str:
    """The courses of all crime types with joinpoints, one sentence each (empty when none)."""
    return " ".join(segments_sentence(segments, ct) for ct in dict.fromkeys(segments["crime_type"]))
