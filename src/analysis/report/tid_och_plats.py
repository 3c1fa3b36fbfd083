"""The lägesbild's "Tid och plats" section: when and where the kommun's incidents happen.

Calls :mod:`analysis.crime.place` on the data folder's optional ``incidents.csv`` and words its
verdicts: peaks in the week, places with more incidents than an even spread, places whose share
changed, and (where Brå's data split them) the indoor share of violent crime. No statistics
here; a sentence claims a peak, a hot spot or a change only when the verdict column says so,
with the interval beside it. Place names come from the kommun's file and are escaped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crime.place import indoor_share, part_share, place_change, top_places, weekday_hour
from ..swedish import WEEKDAY_NAMES
from ..verdicts import DECREASE, DIFFERENCE, HIGHER, INCREASE, LOWER
from .escape import md_text
from .tables import _ci, interval_claim
from .text import format_estimate, format_interval, format_number, format_percent

__all__ = ["tid_och_plats", "tid_och_plats_text", "week_table", "places_table",
           "place_change_table", "places_claims", "place_change_claims", "indoor_table",
           "indoor_claims"]

#: The week in six four-hour bands, for the display table (the tests use all 168 hours).
_BANDS = ((0, 4), (4, 8), (8, 12), (12, 16), (16, 20), (20, 24))


RELATION = ("Våld mot kvinna i nära relation", "Misshandel (inkl. grov)")


def tid_och_plats(ctx) -> dict:
    """Weekday × hour, places and changes for the kommun of ``ctx`` (a ``ReportContext``).

    Returns
    -------
    dict
        ``incidents`` (bool: the data folder has incidents for the kommun); then, with
        incidents, ``weekday_hour`` (:class:`~analysis.crime.place.WeekdayHourResult`),
        ``places`` (:func:`~analysis.crime.place.top_places`), ``change`` (the last two
        calendar years in the file, :func:`~analysis.crime.place.place_change`; ``None`` with
        one year), ``years``, ``n``, ``sources`` and ``types`` (counts); always ``indoor``
        (:func:`~analysis.crime.place.indoor_share`) and ``relation``
        (:func:`~analysis.crime.place.part_share` of våld mot kvinna i nära relation in all
        misshandel) from Brå's subcategories in the crime data, report year (empty without).
    """
    out = {"incidents": False, "year": ctx.year,
           "indoor": indoor_share(ctx.crimes, kommunkod=ctx.kommunkod, year=ctx.year),
           "relation": part_share(ctx.crimes, kommunkod=ctx.kommunkod, year=ctx.year,
                                  part=RELATION[0], whole=RELATION[1])}
    inc = ctx.dataset.incidents
    mine = inc[inc["kommunkod"] == ctx.kommunkod] if inc is not None else None
    if mine is None or mine.empty:
        return out
    years = sorted(int(y) for y in mine["date"].dt.year.unique())
    out.update({"incidents": True, "weekday_hour": weekday_hour(mine), "places": top_places(mine),
                "years": years, "n": len(mine), "change": None,
                "sources": mine["source"].value_counts().rename_axis("source").reset_index(),
                "types": mine["type"].value_counts().rename_axis("type").reset_index()})
    if len(years) >= 2:
        out["change"] = place_change(mine, period1=years[-2], period2=years[-1])
    return out


def _years(years) -> str:
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])


def _hour_span(h: int) -> str:
    return f"kl. {h:02d}–{(h + 1) % 24:02d}"


def tid_och_plats_text(result: dict | None) -> str:
    """The section's sentences (Markdown), every claim with its verdict and interval.

    Examples
    --------
    >>> from analysis.sample.incidents import incidents_frame
    >>> from analysis.crime.place import place_change, top_places, weekday_hour
    >>> inc = incidents_frame(20260101, ["1080"])
    >>> r = {"weekday_hour": weekday_hour(inc), "places": top_places(inc), "years": [2024, 2025],
    ...      "n": len(inc), "change": place_change(inc, period1=2024, period2=2025),
    ...      "sources": inc["source"].value_counts().rename_axis("source").reset_index(),
    ...      "types": inc["type"].value_counts().rename_axis("type").reset_index(),
    ...      "indoor": pd.DataFrame()}
    >>> text = tid_och_plats_text(r)
    >>> "Resecentrum" in text and "fredag kl. 22–23" in text and "Fritidsgården" in text
    True
    """
    subcategories = _subcategory_sentences(result)
    if result is None or not result.get("incidents", True):
        return "\n\n".join(p for p in [
            "Det finns inga händelserapporter (incidents.csv) för kommunen i datamappen. Med "
            "kommunens egna rapporter om datum, klockslag och plats, till exempel från "
            "trygghetsvärdar, fastighetsägare, skola och polisens händelser, visar avsnittet när "
            "och var händelserna samlas.", subcategories] if p)
    wh, places = result["weekday_hour"], result["places"]
    src = ", ".join(md_text(s).lower() for s in result["sources"]["source"])
    parts = [f"Underlaget är kommunens egna händelserapporter {_years(result['years'])}: "
             f"{format_number(result['n'])} händelser från {src}. Det är inte anmälda brott. "
             "Rapporterna visar var och när de som rapporterar har sett något, och beror därför "
             "också på var och när de är på plats."]
    parts.append(_week_sentence(wh))
    parts.append(_place_sentence(places))
    if result.get("change") is not None:
        parts.append(_change_sentence(result["change"], result["years"]))
    parts.append(subcategories)
    return "\n\n".join(p for p in parts if p)


def _subcategory_sentences(result: dict | None) -> str:
    """Brå's subcategories in the crime data: indoors/outdoors and våld i nära relation."""
    if result is None:
        return ""
    out = []
    indoor = result.get("indoor")
    if indoor is not None and len(indoor):
        out.append(_indoor_sentence(indoor))
    rel = result.get("relation")
    if rel is not None and len(rel):
        r = rel.iloc[0]
        text = (f"Av {format_number(r['count_whole'])} anmälda fall av misshandel "
                f"{result.get('year', '')} gällde {format_number(r['count_part'])} våld mot kvinna i "
                f"nära relation")
        out.append(text + (", för få fall för en andel." if r["small_numbers"] else
                           f": {format_estimate(r['share'], r['ci_low'], r['ci_high'])}."))
    return " ".join(out)


def _week_sentence(wh) -> str:
    tests = wh.tests.set_index("question")
    whole = tests.loc["hela veckan"]
    missing = (f" {format_number(wh.n_missing_time)} händelser saknar klockslag och ingår inte."
               if wh.n_missing_time else "")
    if whole["verdict"] != DIFFERENCE:
        return ("Händelserna är inte säkerställt ojämnt fördelade över veckans timmar "
                f"({_p_words(whole['p_value'])}); inga tider pekas ut." + missing)
    text = ("Händelserna är ojämnt fördelade över veckans timmar "
            f"({_p_words(whole['p_value'])}, jämfört med en jämn fördelning över veckans 168 timmar).")
    peaks = wh.peaks().head(6)
    if len(peaks):
        cells = [f"{r.weekday_name} {_hour_span(int(r.hour))}: {format_number(r.count)} händelser, "
                 f"{format_number(r.ratio, decimals=1)} gånger så många som vid jämn fördelning "
                 f"({format_interval(r.ci_low, r.ci_high, kind='number', decimals=1)})"
                 for r in peaks.itertuples()]
        text += " Timmar med säkerställt fler händelser än vid jämn fördelning: " + "; ".join(cells) + "."
    else:
        text += " Ingen enskild timme har säkerställt fler händelser än vid en jämn fördelning."
    inter = tests.loc["veckodag × timme"]
    if inter["verdict"] == DIFFERENCE:
        text += (f" Dygnsrytmen skiljer sig mellan veckodagarna ({_p_words(inter['p_value'])}): "
                 "toppen är inte densamma varje dag.")
    return text + missing


def _p_words(p: float) -> str:
    return "p < 0,001" if p < 0.001 else f"p = {format_number(p, decimals=3)}"


def _place_sentence(places: pd.DataFrame) -> str:
    n_places = int(places["n_places"].iloc[0])
    high = places[places["verdict"] == HIGHER]
    if high.empty:
        return (f"Ingen av de {n_places} platserna har säkerställt fler händelser än vid en jämn "
                "fördelning över platserna.")
    named = [f"{md_text(r.place)} ({format_number(r.count)} händelser, "
             f"{format_percent(r.share)} av alla, {format_interval(r.share_low, r.share_high)})"
             for r in high.itertuples()]
    text = (f"Platser med säkerställt fler händelser än vid en jämn fördelning över de {n_places} "
            "platserna: " + ", ".join(named) + ".")
    top = places.iloc[0]
    if top["rank_high"] == 1:
        text += f" {md_text(top['place'])} har säkert flest händelser."
    else:
        text += (f" Vilken plats som har flest går inte att säga säkert: {md_text(top['place'])} "
                 f"kan ha plats {int(top['rank_low'])}–{int(top['rank_high'])} i rangordningen.")
    return text


def _change_sentence(change: pd.DataFrame, years) -> str:
    y1, y2 = years[-2], years[-1]
    moved = change[change["verdict"].isin([INCREASE, DECREASE])]
    if moved.empty:
        return (f"Ingen plats andel av händelserna förändrades säkerställt mellan {y1} och {y2} "
                "(prövat för alla platser samtidigt, FDR 5 %).")
    sentences = []
    for r in moved.itertuples():
        word = "ökade" if r.verdict == INCREASE else "minskade"
        sentences.append(
            f"Andelen av händelserna som gällde {md_text(r.place)} {word} från {format_percent(r.share1)} "
            f"({format_number(r.x1)} händelser) {y1} till {format_percent(r.share2)} "
            f"({format_number(r.x2)}) {y2} (oddskvot "
            f"{format_estimate(r.odds_ratio, r.ci_low, r.ci_high, kind='number', decimals=1)}).")
    return (" ".join(sentences) + " Övriga platsers andelar förändrades inte säkerställt. "
            "Bedömningen tar hänsyn till att alla platser prövas samtidigt (FDR 5 %).")


def _half_decimals(lo: float, hi: float) -> int:
    """Decimals for a share compared with one half: one when a whole-percent bound would print
    as 50 % (a verdict "most" beside "50–59 %" would read as touching the half)."""
    return 1 if 50 in (round(100 * lo), round(100 * hi)) else 0


def _indoor_sentence(indoor: pd.DataFrame) -> str:
    out = []
    for r in indoor.itertuples():
        share = format_estimate(r.share_indoors, r.ci_low, r.ci_high,
                                decimals=_half_decimals(r.ci_low, r.ci_high))
        if r.verdict == HIGHER:
            out.append(f"De flesta anmälda fallen av {r.crime.lower()} sker inomhus: {share}.")
        elif r.verdict == LOWER:  # the verdict, never the bare interval: few cases get none
            out.append(f"De flesta anmälda fallen av {r.crime.lower()} sker utomhus; andelen "
                       f"inomhus är {share}.")
        else:
            out.append(f"Andelen av anmälda fall av {r.crime.lower()} som sker inomhus är {share}; "
                       "det är inte säkerställt om de flesta sker inomhus eller utomhus.")
    return " ".join(out)


def week_table(result: dict) -> pd.DataFrame:
    """Incidents per weekday and four-hour band (display; the tests use all 168 hours)."""
    t = result["weekday_hour"].table
    out = {"Veckodag": list(WEEKDAY_NAMES)}
    for a, b in _BANDS:
        band = t[(t["hour"] >= a) & (t["hour"] < b)].groupby("weekday")["count"].sum()
        out[f"{a:02d}–{b:02d}"] = [format_number(band.get(d, 0)) for d in range(7)]
    total = t.groupby("weekday")["count"].sum()
    out["Totalt"] = [format_number(total.get(d, 0)) for d in range(7)]
    return pd.DataFrame(out)


def places_table(result: dict, *, n: int = 10) -> pd.DataFrame:
    """The places with most incidents: count, share, plausible ranks, verdict (display)."""
    p = result["places"].head(n)
    return pd.DataFrame({
        "Plats": p["place"].to_numpy(),
        "Antal (95 % KI)": [f"{format_number(r.count)} ({_ci(r.ci_low, r.ci_high, kind='number')})"
                            for r in p.itertuples()],
        "Andel av alla (95 % KI)": [f"{format_percent(r.share)} ({_ci(r.share_low, r.share_high, kind='percent')})"
                                    for r in p.itertuples()],
        "Rimlig plats i rangordningen": [f"{int(r.rank_low)}–{int(r.rank_high)}"
                                         if r.rank_low != r.rank_high else str(int(r.rank_low))
                                         for r in p.itertuples()],
        "Jämfört med jämn fördelning": [_place_verdict(r.verdict, r.small_numbers,
                                                       r.share_low > r.expected_share
                                                       or r.share_high < r.expected_share)
                                        for r in p.itertuples()]})


_AFTER_FDR = " (efter korrektion för många jämförelser)"


def _place_verdict(verdict: str, small: bool, excludes_null: bool) -> str:
    if small:
        return "för få händelser för en bedömning"
    return {"högre": "fler (säkerställt)", "lägre": "färre (säkerställt)"}.get(
        verdict, "ingen säkerställd skillnad" + (_AFTER_FDR if excludes_null else ""))


def places_claims(result: dict, *, n: int = 10) -> list[dict]:
    """The claims of :func:`places_table` (share against an even spread, plausible ranks)."""
    return [interval_claim("places", i, r.place, estimate=r.share, ci_low=r.share_low,
                           ci_high=r.share_high, null=r.expected_share, verdict=r.verdict,
                           column="Andel av alla (95 % KI)",
                           verdict_column="Jämfört med jämn fördelning", scale=100,
                           small=r.small_numbers, p_value=r.p_value, q_value=r.q_value,
                           rank=(r.rank, r.rank_low, r.rank_high),
                           rank_column="Rimlig plats i rangordningen")
            for i, r in enumerate(result["places"].head(n).itertuples())]


def place_change_claims(result: dict) -> list[dict]:
    """The claims of :func:`place_change_table` (odds ratio against 1)."""
    ch = result.get("change")
    if ch is None:
        return []
    return [interval_claim("place_change", i, r.place, estimate=r.odds_ratio, ci_low=r.ci_low,
                           ci_high=r.ci_high, null=1.0, verdict=r.verdict,
                           column="Oddskvot (95 % KI)", verdict_column="Bedömning",
                           small=r.small_numbers, p_value=r.p_value, q_value=r.q_value,
                           survives=r.survives)
            for i, r in enumerate(ch.itertuples())]


def indoor_table(result: dict | None) -> pd.DataFrame:
    """Brå's indoor/outdoor split of a crime in the report year, with the share indoors and
    whether most happen indoors (display; empty when the data have no split).

    Examples
    --------
    >>> r = {"indoor": pd.DataFrame({"crime": ["Misshandel"], "indoors": [31], "outdoors": [8],
    ...      "share_indoors": [31 / 39], "ci_low": [0.636], "ci_high": [0.907], "ci_level": [0.95],
    ...      "verdict": ["högre"], "small_numbers": [False]})}
    >>> [c.replace('\xa0', ' ') for c in indoor_table(r).iloc[0, 3:]]
    ['79 % (64–91 %)', 'de flesta inomhus (säkerställt)']
    >>> indoor_claims(r)[0]["null"]
    0.5
    """
    indoor = None if result is None else result.get("indoor")
    if indoor is None or not len(indoor):
        return pd.DataFrame()
    return pd.DataFrame({
        "Brott": indoor["crime"].to_numpy(),
        "Inomhus": [format_number(v) for v in indoor["indoors"]],
        "Utomhus": [format_number(v) for v in indoor["outdoors"]],
        "Andel inomhus (95 % KI)": [
            f"{format_percent(r.share_indoors, decimals=_half_decimals(r.ci_low, r.ci_high))} "
            f"({_ci(r.ci_low, r.ci_high, kind='percent', decimals=_half_decimals(r.ci_low, r.ci_high))})"
            for r in indoor.itertuples()],
        "Bedömning": [_indoor_verdict(r) for r in indoor.itertuples()]})


def _indoor_verdict(r) -> str:
    if r.small_numbers:
        return "för få fall för en bedömning"
    if r.verdict == HIGHER:
        return "de flesta inomhus (säkerställt)"
    if r.verdict == LOWER:
        return "de flesta utomhus (säkerställt)"
    return "inte säkerställt om de flesta sker inomhus eller utomhus"


def indoor_claims(result: dict | None) -> list[dict]:
    """The claims of :func:`indoor_table` (the indoor share against one half)."""
    indoor = None if result is None else result.get("indoor")
    if indoor is None:
        return []
    return [interval_claim("indoor", i, r.crime, estimate=r.share_indoors, ci_low=r.ci_low,
                           ci_high=r.ci_high, null=0.5, verdict=r.verdict,
                           column="Andel inomhus (95 % KI)", verdict_column="Bedömning",
                           scale=100, small=r.small_numbers)
            for i, r in enumerate(indoor.itertuples())]


def place_change_table(result: dict) -> pd.DataFrame:
    """Each place's share in the last two years, with the verdict (display)."""
    ch = result.get("change")
    if ch is None:
        return pd.DataFrame()
    y1, y2 = result["years"][-2], result["years"][-1]
    return pd.DataFrame({
        "Plats": ch["place"].to_numpy(),
        f"{y1}: antal (andel)": [f"{format_number(r.x1)} ({format_percent(r.share1)})"
                                 for r in ch.itertuples()],
        f"{y2}: antal (andel)": [f"{format_number(r.x2)} ({format_percent(r.share2)})"
                                 for r in ch.itertuples()],
        "Oddskvot (95 % KI)": [_odds(r) for r in ch.itertuples()],
        "Bedömning": ["för få händelser för en bedömning" if r.small_numbers else
                      r.verdict + (_AFTER_FDR if r.verdict not in (INCREASE, DECREASE)
                                   and (r.ci_low > 1 or r.ci_high < 1) else "")
                      for r in ch.itertuples()]})


def _odds(r) -> str:
    if not np.isfinite(r.odds_ratio) or not np.isfinite(r.ci_high):
        return ".."
    lo = format_number(r.ci_low, decimals=2)
    hi = format_number(r.ci_high, decimals=2)
    return f"{format_number(r.odds_ratio, decimals=2)} ({lo}–{hi})"
