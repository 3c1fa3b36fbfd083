"""The lägesbild's "Analys" section: the problem picture, where the sources agree, consequences.

4 § 3 of Lag (2023:196) asks for an analysis of the mapping. This module ranks the crime types
by what the statistics layer has decided (a level ``högre`` than riket, the län or similar
kommuner in the funnel; an ``ökning`` since last year or per year since 2015 that survives the
FDR correction), sets the crime statistics beside the survey for the same theme, and words the
consequences the data show. Nothing is decided here: every sentence repeats a verdict with its
interval. Next: :mod:`analysis.report.bridge` turns the problems into the åtgärdsplan's table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crime import compare_periods
from ..multiplicity import add_qvalues
from ..verdicts import DECREASE, DIFFERENCE, HIGHER, INCREASE, LOWER
from .content import jamforelse, national_tables
from .coverage import NOT_COMPARED, coverage
from .tables import survey_subject
from .text import crime_subject, format_estimate, format_interval, format_number

__all__ = ["THEMES", "problembild", "samstammighet", "analys_text", "problem_table",
           "agreement_table"]

_Z = 1.959963984540054
_REFERENCES = (("riket", "riket"), ("lan", "länet"), ("liknande", "kommungruppen"))
#: Themes seen by both sources: (theme, Brå crime type, survey indicator).
THEMES = (("Skadegörelse", "Skadegörelsebrott", "problem_skadegorelse_andel"),
          ("Narkotika", "Narkotikabrott", "problem_narkotika_andel"),
          ("Bostadsinbrott", "Bostadsinbrott", "oro_inbrott_andel"),
          ("Misshandel och överfall", "Misshandel (inkl. grov)", "oro_misshandel_andel"))


def _funnel_ratio(me: pd.Series) -> tuple[float, float, float]:
    """The kommun's rate over the funnel's target with the interval its verdict rests on."""
    if "ratio_low" in me.index:  # the funnel's own ratio interval, where it provides one
        return float(me["ratio"]), float(me["ratio_low"]), float(me["ratio_high"])
    se = (me["inner_high"] - me["target_rate"]) / _Z
    t = me["target_rate"]
    return (me["estimate"] / t, max(me["estimate"] - _Z * se, 0.0) / t,
            (me["estimate"] + _Z * se) / t)


def problembild(ctx, levels: pd.DataFrame, changes: pd.DataFrame,
                trends: pd.DataFrame) -> pd.DataFrame:
    """The crime types ranked by the evidence that they are a problem in the kommun.

    Parameters
    ----------
    ctx : ReportContext
    levels, changes, trends : pandas.DataFrame
        :func:`~analysis.report.content.omfattning`, ``forandring`` and ``utveckling``.

    Returns
    -------
    pandas.DataFrame
        One row per crime type: ``crime_type, count, small_numbers``; for each reference
        (``riket``, ``lan``, ``liknande``) ``verdict_<ref>, ratio_<ref>, ratio_low_<ref>,
        ratio_high_<ref>`` (the funnel's verdict and the interval it rests on; against riket
        the verdict of ``levels``, Benjamini–Hochberg-corrected over the crime types as the
        Omfattning table shows it); ``change_verdict,
        change_ratio, change_low, change_high`` (last year, FDR-aware), ``trend_verdict,
        trend_apc, trend_low, trend_high`` (per year since 2015, FDR-aware and reliable only);
        ``score`` (one point per reference it is high against, 1 for a rise since last year,
        1.5 for a rising trend), ``problem`` (score > 0) and ``rank`` (1 = strongest evidence;
        equal scores are ordered by the ratio to riket). Small-number crime types get no score.
        A reference the data do not cover in full (:mod:`analysis.report.coverage`) is not
        compared: its verdict is ``jämförelse saknas`` and its ratios are missing;
        ``attrs["compared"]`` lists the references that were; ``attrs["lan_too_small"]``
        says the län has too few kommuner to compare with (Gotland).
    """
    compared = [ref for ref, _ in _REFERENCES if coverage(ctx).covers(ref)]
    funnels = {"riket": national_tables(ctx)["funnels"]}
    ch = changes.set_index("crime_type")
    tr = trends.set_index("crime_type")
    rows = []
    for lv in levels.itertuples():
        ct = lv.crime_type
        row = {"crime_type": ct, "count": int(lv.count), "small_numbers": bool(lv.small_numbers)}
        for ref, _ in _REFERENCES:
            if ref not in compared:   # the data do not hold all its kommuner: no comparison
                row.update({f"verdict_{ref}": NOT_COMPARED, f"ratio_{ref}": np.nan,
                            f"ratio_low_{ref}": np.nan, f"ratio_high_{ref}": np.nan})
                continue
            f = funnels["riket"][ct] if ref == "riket" else jamforelse(ctx, ct, peers=ref)
            table = f.table
            me = table[table["area_code"] == ctx.kommunkod].iloc[0]
            r, lo, hi = _funnel_ratio(me)
            # against riket: the verdict the Omfattning table prints, corrected for its family
            # of crime types (the funnel's own verdict is not, and the two tables disagreed)
            verdict = lv.verdict_riket if ref == "riket" else me["verdict"]
            row.update({f"verdict_{ref}": verdict, f"ratio_{ref}": r,
                        f"ratio_low_{ref}": lo, f"ratio_high_{ref}": hi})
        c = ch.loc[ct] if ct in ch.index else None
        row.update({"change_verdict": c["verdict"] if c is not None else "",
                    "change_ratio": c["rate_ratio"] if c is not None else np.nan,
                    "change_low": c["ci_low"] if c is not None else np.nan,
                    "change_high": c["ci_high"] if c is not None else np.nan,
                    "change_small": bool(c["small_numbers"]) if c is not None else True})
        t = tr.loc[ct] if ct in tr.index else None
        ok = t is not None and bool(t["reliable"])
        row.update({"trend_verdict": t["verdict"] if ok else "",
                    "trend_apc": t["estimate"] if t is not None else np.nan,
                    "trend_low": t["ci_low"] if t is not None else np.nan,
                    "trend_high": t["ci_high"] if t is not None else np.nan,
                    "trend_start": str(t["start"])[:4] if t is not None else ""})
        score = 0.0
        if not row["small_numbers"]:
            score += sum(row[f"verdict_{ref}"] == HIGHER for ref, _ in _REFERENCES)
            score += 1.0 if row["change_verdict"] == INCREASE and not row["change_small"] else 0.0
            score += 1.5 if row["trend_verdict"] == INCREASE else 0.0
        row["score"] = score
        rows.append(row)
    out = pd.DataFrame(rows)
    out["problem"] = out["score"] > 0
    out = out.sort_values(["score", "ratio_riket"], ascending=[False, False], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out = out.reset_index(drop=True)
    out.attrs["compared"] = compared
    out.attrs["lan_too_small"] = coverage(ctx).lan_too_small  # Gotland: the län is the kommun
    return out


def _evidence(r) -> list[str]:
    out = []
    for ref, name in _REFERENCES:
        if getattr(r, f"verdict_{ref}") == HIGHER:
            est = format_estimate(getattr(r, f"ratio_{ref}"), getattr(r, f"ratio_low_{ref}"),
                                  getattr(r, f"ratio_high_{ref}"), kind="number", decimals=2)
            out.append(f"nivån är högre än i {name}, kvot {est}")
    if r.change_verdict == INCREASE and not r.change_small:
        out.append("ökning sedan året före, kvot "
                   f"{format_estimate(r.change_ratio, r.change_low, r.change_high, kind='number', decimals=2)}")
    if r.trend_verdict == INCREASE:
        out.append(f"ökning med {format_estimate(r.trend_apc / 100, r.trend_low / 100, r.trend_high / 100, decimals=1, sign=True)} "
                   f"per år sedan {r.trend_start}")
    return out


def samstammighet(ctx, survey: dict | None, *, themes=THEMES) -> pd.DataFrame:
    """Crime statistics and the survey on the same theme, over the same years.

    The crime change is measured between the two survey years (so both sources cover the same
    span), with the default test of :func:`analysis.crime.compare_periods` and FDR over the
    themes; the survey change is the survey layer's wave-to-wave verdict.

    Returns
    -------
    pandas.DataFrame
        ``theme, crime_type, indicator, period1, period2, crime_verdict, crime_ratio,
        crime_low, crime_high, survey_verdict, survey_difference, survey_low, survey_high,
        survey_share, agreement`` (``samstämmiga``, ``motsägande``, ``bara anmälningarna``,
        ``bara enkäten``, ``ingen förändring i någon källa``), ``crime_x1, crime_x2,
        crime_small`` (the counts; no crime verdict below the small-number rule). Empty without
        two survey waves.
    """
    cols = ["theme", "crime_type", "indicator", "period1", "period2", "crime_verdict",
            "crime_ratio", "crime_low", "crime_high", "survey_verdict", "survey_difference",
            "survey_low", "survey_high", "survey_share", "agreement", "crime_x1", "crime_x2",
            "crime_small"]
    if survey is None or "change" not in survey:
        return pd.DataFrame(columns=cols)
    y1, y2 = int(survey["previous_year"]), int(survey["year"])
    present = set(ctx.crimes["crime_type"].unique())
    chosen = [t for t in themes if t[1] in present
              and t[2] in set(survey["change"]["variable"])]
    if not chosen:
        return pd.DataFrame(columns=cols)
    cmp = compare_periods(ctx.crimes, ctx.population, period1=y1, period2=y2,
                          areas=[ctx.kommunkod])
    cmp = add_qvalues(cmp[cmp["crime_type"].isin([t[1] for t in chosen])], p_col="p_value")
    cmp = cmp.set_index("crime_type")
    sch = survey["change"].set_index("variable")
    share = survey["kommun"].set_index("variable")["estimate"]
    rows = []
    for theme, ct, ind in chosen:
        c, s = cmp.loc[ct], sch.loc[ind]
        cv = c["verdict"] if c["survives"] and not c["small_numbers"] else "ingen säkerställd förändring"
        sv = s["verdict"] if not s["suppressed"] else "ingen säkerställd förändring"
        moved = {INCREASE, DECREASE}
        if cv in moved and sv in moved:
            agreement = "samstämmiga" if cv == sv else "motsägande"
        elif cv in moved:
            agreement = "bara anmälningarna"
        elif sv in moved:
            agreement = "bara enkäten"
        else:
            agreement = "ingen förändring i någon källa"
        rows.append({"theme": theme, "crime_type": ct, "indicator": ind, "period1": y1,
                     "period2": y2, "crime_verdict": cv, "crime_ratio": c["rate_ratio"],
                     "crime_low": c["ci_low"], "crime_high": c["ci_high"], "survey_verdict": sv,
                     "survey_difference": s["estimate"], "survey_low": s["ci_low"],
                     "survey_high": s["ci_high"], "survey_share": share.get(ind, np.nan),
                     "agreement": agreement, "crime_x1": int(c["x1"]), "crime_x2": int(c["x2"]),
                     "crime_small": bool(c["small_numbers"])})
    return pd.DataFrame(rows, columns=cols)


def _direction(verdict: str, subject: str) -> str:
    return {INCREASE: f"{subject} har ökat", DECREASE: f"{subject} har minskat"}.get(
        verdict, f"{subject} har inte förändrats säkerställt")


def analys_text(problems: pd.DataFrame, agreement: pd.DataFrame, survey: dict | None,
                info: dict | None, *, kommun: str, n_max: int = 5,
                relation: pd.DataFrame | None = None) -> str:
    """The Analys section's sentences (Markdown): problems, agreement, consequences.

    ``survey`` is :func:`analysis.report.content.trygghet`'s result and ``info``
    :func:`analysis.report.annan_information.annan_information`'s (its sex and age gaps);
    either may be ``None``. ``relation`` is the share of misshandel that is våld mot kvinna i
    nära relation (:func:`analysis.crime.place.part_share`, as
    :func:`analysis.report.tid_och_plats.tid_och_plats` returns it), when the data carry it.
    """
    gaps = info["gaps"] if info is not None else None
    parts = []
    top = problems[problems["problem"]].head(n_max)
    compared = problems.attrs.get("compared", [ref for ref, _ in _REFERENCES])
    names = [name for ref, name in _REFERENCES if ref in compared]
    where = (" eller ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
             if names else "")
    if top.empty:
        level = (f"ingen har en nivå som är säkerställt högre än i {where}, och " if names else "")
        parts.append(f"Ingen brottstyp sticker ut säkerställt i {kommun}: {level}ingen "
                     "har ökat säkerställt. Det betyder inte att det saknas problem, bara att "
                     "statistiken inte visar dem; kommunens egna källor behövs.")
    else:
        level = f"en högre nivå än i {where}, och " if names else ""
        parts.append("**Problembild.** Brottstyperna nedan är ordnade efter hur starkt "
                     f"statistiken visar att de är ett problem i kommunen ({level}ökningar som "
                     "håller efter korrektion för många jämförelser).")
        for r in top.itertuples():
            what = crime_subject(r.crime_type)
            parts.append(f"{int(r.rank)}. {what[0].upper() + what[1:]}: " + "; ".join(_evidence(r)) + ".")
    if len(names) < len(_REFERENCES):
        alone = bool(problems.attrs.get("lan_too_small"))
        if alone and "lan" not in compared:
            parts.append("Nivån har inte jämförts med länet: länet har för få kommuner för en "
                         "jämförelse.")
        gone = [name for ref, name in _REFERENCES
                if ref not in compared and not (alone and ref == "lan")]
        if gone:
            gone = " eller ".join([", ".join(gone[:-1]), gone[-1]] if len(gone) > 1 else gone)
            parts.append("Nivån har inte jämförts med " + gone + ": underlaget "
                         "saknar kommuner som jämförelsen behöver (se avsnittet Omfattning).")
    low = problems[(problems["verdict_riket"] == LOWER) & ~problems["small_numbers"]]
    if len(low):
        parts.append("Lägre än i riket (säkerställt): "
                     + ", ".join(crime_subject(c) for c in low["crime_type"]) + ".")
    if len(agreement):
        parts.append(f"**Anmälda brott och trygghetsundersökningen** "
                     f"({int(agreement['period1'].iloc[0])}–{int(agreement['period2'].iloc[0])}). "
                     "Anmälningarna beror också på hur benägna människor är att anmäla, enkäten "
                     "på hur de upplever sitt område; när källorna går isär är det ett skäl att "
                     "fråga varför, inte att välja den ena.")
        for a in agreement.itertuples():
            if a.crime_small or not np.isfinite([a.crime_ratio, a.crime_low, a.crime_high]).all():
                crime = (f"{crime_subject(a.crime_type)}: {format_number(a.crime_x1)} → "
                         f"{format_number(a.crime_x2)} fall, för få för en bedömning")
            else:
                crime = _direction(a.crime_verdict, crime_subject(a.crime_type))
                crime += (f", kvot {format_estimate(a.crime_ratio, a.crime_low, a.crime_high, kind='number', decimals=2)}")
            surv = _direction(a.survey_verdict, survey_subject(a.indicator).replace("Andelen", "andelen", 1))
            surv += (f", skillnad {format_number(100 * a.survey_difference, sign=True)} "
                     f"procentenheter ({format_interval(a.survey_low, a.survey_high, kind='pp', sign=True)})")
            verdict = {"samstämmiga": "Källorna pekar åt samma håll.",
                       "motsägande": "Källorna pekar åt olika håll.",
                       "bara anmälningarna": "Bara anmälningarna visar en förändring.",
                       "bara enkäten": "Bara enkäten visar en förändring.",
                       "ingen förändring i någon källa": "Ingen av källorna visar en säkerställd förändring."}[a.agreement]
            parts.append(f"*{a.theme}:* {crime}; {surv}. {verdict}")
    parts.append(_consequences(problems, survey, gaps, relation))
    return "\n\n".join(p for p in parts if p)


def _consequences(problems: pd.DataFrame, survey: dict | None, gaps: pd.DataFrame | None,
                  relation: pd.DataFrame | None = None) -> str:
    if relation is not None and len(relation):
        r = relation.iloc[0]
        share = (" (för få fall för en andel)" if r["small_numbers"] else
                 ", " + format_estimate(r["share"], r["ci_low"], r["ci_high"]))
        out = ["**Konsekvenser.** Brottsstatistiken per kommun säger något om brottsoffren bara "
               f"genom Brå:s underkategori våld mot kvinna i nära relation: av "
               f"{format_number(r['count_whole'])} anmälda fall av misshandel under året gällde "
               f"{format_number(r['count_part'])} våld mot en kvinna i en nära relation"
               f"{share}."]
    else:
        out = ["**Konsekvenser.** Brottsstatistiken per kommun redovisar inte brottsoffrens kön "
               "eller ålder."]
    gk = problems.set_index("crime_type")
    if "Grov kvinnofridskränkning" in gk.index:
        n = int(gk.at["Grov kvinnofridskränkning", "count"])
        out.append(f"Grov kvinnofridskränkning avser enligt lagen upprepade brott mot en kvinna "
                   f"i en nära relation: {format_number(n)} {'anmält brott' if n == 1 else 'anmälda brott'} under året"
                   + (" (för få för säkra slutsatser om nivån)." if n < 10 else "."))
    if survey is not None:
        k = survey["kommun"].set_index("variable")
        for var in ("otrygg_kvall_andel", "oro_brottslighet_andel", "utsatt_brott_andel"):
            if var in k.index and not k.at[var, "suppressed"]:
                out.append(f"{survey_subject(var)} är "
                           f"{format_estimate(k.at[var, 'estimate'], k.at[var, 'ci_low'], k.at[var, 'ci_high'])}.")
    if gaps is not None and len(gaps):
        g = gaps[(gaps["verdict"] == DIFFERENCE)]
        nouns = {"otrygg_kvall_andel": "Otryggheten", "utsatt_brott_andel": "Utsattheten för brott"}
        for r in g[g["variable"].isin(list(nouns))].itertuples():
            who = {"kvinna": "kvinnor", "man": "män"}
            high = who.get(r.group_high, f"{r.group_high.replace('-', '–')} år")
            low = who.get(r.group_low, f"{r.group_low.replace('-', '–')} år")
            out.append(f"{nouns[r.variable]} är större bland {high} än bland {low}: "
                       f"{format_estimate(r.estimate_high, r.ci_low_high, r.ci_high_high)} mot "
                       f"{format_estimate(r.estimate_low, r.ci_low_low, r.ci_high_low)}.")
    return " ".join(out)


def problem_table(problems: pd.DataFrame) -> pd.DataFrame:
    """The problem picture as a display table (all crime types, strongest evidence first).

    A län of too few kommuner to compare with (``attrs["lan_too_small"]``, Gotland) has no
    "Jämfört med länet" column: no comparison is missing, there is none to make.
    """
    def cell(v: str) -> str:
        return {HIGHER: "högre", LOWER: "lägre", NOT_COMPARED: NOT_COMPARED}.get(v, "ingen säkerställd skillnad")

    def rise(r) -> str:
        words = []
        if r.change_verdict in (INCREASE, DECREASE) and not r.change_small:
            words.append(f"{r.change_verdict} sedan året före")
        if r.trend_verdict in (INCREASE, DECREASE):
            words.append(f"{r.trend_verdict} per år")
        return "; ".join(words) or "ingen säkerställd förändring"
    lan = ({} if problems.attrs.get("lan_too_small") else
           {"Jämfört med länet": [cell(v) for v in problems["verdict_lan"]]})
    return pd.DataFrame({
        "Brottstyp": problems["crime_type"].to_numpy(),
        "Jämfört med riket": [cell(v) for v in problems["verdict_riket"]],
        **lan,
        "Jämfört med kommungruppen": [cell(v) for v in problems["verdict_liknande"]],
        "Utveckling": [rise(r) for r in problems.itertuples()],
        "Problem enligt statistiken": ["för få fall" if r.small_numbers else
                                       ("ja" if r.problem else "nej") for r in problems.itertuples()]})


def agreement_table(agreement: pd.DataFrame) -> pd.DataFrame:
    """Crime statistics beside the survey per theme (display)."""
    if agreement.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Tema": agreement["theme"].to_numpy(),
        "Anmälda brott": agreement["crime_verdict"].to_numpy(),
        "Trygghetsundersökningen": agreement["survey_verdict"].to_numpy(),
        "Samstämmighet": agreement["agreement"].to_numpy()})
