"""The bridge to the åtgärdsplan: problem → stated cause → measure → indicator → follow-up.

Brå's known weakness of local crime prevention is that measures are not linked to the problems
found and are seldom followed up. This module lays the kommun's measure registry beside the
analysis (:func:`analysis.report.analysis.problembild`) and asks of every indicator how small a
change it could show in one and two years (:mod:`analysis.evaluation.power`), so the plan picks
indicators that can show something. It lists focus areas and problems without a measure and
measures without an indicator or a baseline. Measure names and indicators are the kommun's own
text (untrusted): shown, never interpreted beyond matching item codes and crime-type names.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..crime_types import FOCUS_AREAS
from ..evaluation.power import power_analysis, survey_mde
from ..verdicts import HIGHER, INCREASE
from .tables import survey_label
from .text import crime_subject, format_estimate, format_number, format_percent
from .escape import md_text

__all__ = ["bridge", "bridge_text", "bridge_table"]

#: A reduction larger than this is not a realistic effect of one local measure (Brå's and the
#: Campbell reviews' effects are mostly 10–30 %); an indicator needing more cannot show one.
REALISTIC_REDUCTION_PCT = 30.0


def _survey_items(text: str, items: set[str]) -> list[str]:
    return [t for t in re.split(r"[;,\s]+", text or "") if t in items]


def _crime_mde(ctx, crime_types: tuple[str, ...], cache: dict) -> dict:
    if crime_types in cache:
        return cache[crime_types]
    from ..evaluation._series import monthly_series

    s = monthly_series(ctx.crimes, ctx.population, kommunkod=ctx.kommunkod,
                       crime_types=crime_types)
    s = s[s["period"] <= pd.Period(f"{ctx.year}-12", "M")]
    res = power_analysis(s, followup_months=(12, 24), n_sim=200).mde.set_index("followup_months")
    out = {"mean_per_month": float(s["count"].tail(12).mean())}
    for months in (12, 24):
        r = res.loc[months]
        out[months] = float(r["mde_reduction_pct"]) if bool(r["detectable"]) else np.nan
    cache[crime_types] = out
    return out


def bridge(ctx, problems: pd.DataFrame, survey: dict | None,
           measures: pd.DataFrame) -> dict:
    """The åtgärdsplan's chain for the kommun of ``ctx``, with what is missing.

    Parameters
    ----------
    ctx : ReportContext
    problems : pandas.DataFrame
        :func:`analysis.report.analysis.problembild`.
    survey : dict or None
        :func:`analysis.report.content.trygghet`.
    measures : pandas.DataFrame
        The kommun's rows of the measures registry (:func:`analysis.report.content.atgarder`).

    Returns
    -------
    dict
        ``table``: one row per measure × indicator (and one per focus area without a measure):
        ``focus_area, problem, cause, measure_id, measure, indicator, kind`` (``brott``,
        ``enkät``, ``saknas``, ``ej mätbar``), ``baseline``, ``mde_1y, mde_2y`` (smallest
        detectable reduction in percent for crime counts with 80 % power; smallest detectable
        change in percentage points between survey waves), ``followup`` (words), ``flags``;
        ``areas_without_measure``, ``problems_without_measure`` (crime types the analysis calls
        a problem whose focus area has no measure), ``measures_without_indicator``,
        ``measures_without_baseline``, ``weak_indicators``.
    """
    items = set(ctx.dataset.items["item"]) if ctx.dataset.items is not None else set()
    prob = problems.set_index("crime_type")
    kommun_survey = survey["kommun"].set_index("variable") if survey is not None else None
    waves = sorted(int(y) for y in ctx.dataset.survey.loc[
        ctx.dataset.survey["kommunkod"] == ctx.kommunkod, "year"].unique()) \
        if ctx.dataset.survey is not None else []
    cache: dict = {}
    rows = []
    for m in measures.itertuples():
        area = str(m.focus_area)
        spec = FOCUS_AREAS.get(area, {"crime_types": (), "survey_items": ()})
        targets = tuple(t.strip() for t in str(m.target_crime_types or "").split(";")
                        if t.strip() and t.strip() != "nan")
        base = {"focus_area": area, "problem": _problem_words(prob, targets or spec["crime_types"]),
                "cause": "ej angiven i registret", "measure_id": m.measure_id, "measure": m.name}
        start = pd.Timestamp(m.start)
        indicators = []
        if targets:
            indicators.append(("brott", targets))
        for it in _survey_items(str(m.indicator or ""), items):
            indicators.append(("enkät", it))
        if not indicators:
            kind = "saknas" if not str(m.indicator or "").strip() or str(m.indicator) == "nan" else "ej mätbar"
            rows.append({**base, "indicator": str(m.indicator) if kind == "ej mätbar" else "–",
                         "kind": kind, "baseline": "–", "mde_1y": np.nan, "mde_2y": np.nan,
                         "followup": "ingen indikator att följa", "flags": "saknar indikator"})
            continue
        for kind, what in indicators:
            if kind == "brott":
                mde = _crime_mde(ctx, what, cache)
                before = ctx.crimes[(ctx.crimes["kommunkod"] == ctx.kommunkod)
                                    & ctx.crimes["crime_type"].isin(what)
                                    & (ctx.crimes["period"] < start.to_period("M"))
                                    & (ctx.crimes["period"] >= (start - pd.DateOffset(months=12)).to_period("M"))]
                n_before = int(before["count"].sum())
                months = before["period"].nunique()
                baseline = (f"{format_number(n_before)} brott de 12 månaderna före start"
                            if months == 12 else "–")
                follow = (f"minsta påvisbara minskning: {_pct_or_none(mde[12])} efter ett år, "
                          f"{_pct_or_none(mde[24])} efter två år (80 % styrka; i dag "
                          f"{format_number(mde['mean_per_month'], decimals=1)} brott i månaden)")
                flags = [] if months == 12 else ["saknar baslinje"]
                if not (mde[24] <= REALISTIC_REDUCTION_PCT):
                    flags.append("kan knappast visa en effekt")
                rows.append({**base, "indicator": "; ".join(crime_subject(t) for t in what),
                             "kind": "brott", "baseline": baseline, "mde_1y": mde[12],
                             "mde_2y": mde[24], "followup": follow, "flags": ", ".join(flags)})
            else:
                var = f"{what}_andel"
                before = [y for y in waves if y < start.year]
                baseline = (f"mätning {before[-1]}" if before else "–")
                mde2 = np.nan
                follow = "indikatorn finns inte i kommunens undersökning"
                flags = [] if before else ["saknar baslinje"]
                if kommun_survey is not None and var in kommun_survey.index:
                    r = kommun_survey.loc[var]
                    mde2 = float(survey_mde([r["estimate"]], [r["se"]])["mde"].iloc[0])
                    follow = (f"nästa mätning (vartannat år): minsta påvisbara förändring "
                              f"±{format_number(100 * mde2)} procentenheter för hela kommunen "
                              f"(i dag {format_percent(r['estimate'])}); ingen mätning inom ett år")
                    if pd.notna(getattr(m, "area", None)) and str(m.area).strip():
                        follow += "; för ett område är den större"
                problem = base["problem"]
                if kommun_survey is not None and var in kommun_survey.index \
                        and not kommun_survey.at[var, "suppressed"]:
                    r = kommun_survey.loc[var]
                    problem += (f"; enkäten: {survey_label(var).lower()} "
                                f"{format_estimate(r['estimate'], r['ci_low'], r['ci_high'])}")
                rows.append({**base, "problem": problem, "indicator": survey_label(var), "kind": "enkät",
                             "baseline": baseline, "mde_1y": np.nan, "mde_2y": 100 * mde2,
                             "followup": follow, "flags": ", ".join(flags)})
    covered = set(measures["focus_area"].astype(str)) if len(measures) else set()
    missing_areas = [a for a in FOCUS_AREAS if a not in covered]
    for a in missing_areas:
        rows.append({"focus_area": a, "problem": _problem_words(prob, FOCUS_AREAS[a]["crime_types"]),
                     "cause": "–", "measure_id": "", "measure": "ingen åtgärd", "indicator": "–",
                     "kind": "saknas", "baseline": "–", "mde_1y": np.nan, "mde_2y": np.nan,
                     "followup": "–", "flags": "fokusområde utan åtgärd"})
    table = pd.DataFrame(rows)
    area_of = {ct: a for a, spec in FOCUS_AREAS.items() for ct in spec["crime_types"]}
    targeted = {t.strip() for v in measures.get("target_crime_types", pd.Series(dtype=str)).dropna()
                for t in str(v).split(";")}
    orphan = [ct for ct in problems.loc[problems["problem"], "crime_type"]
              if ct not in targeted and area_of.get(ct) not in covered]
    has_flag = table["flags"].fillna("") if len(table) else pd.Series(dtype=str)
    return {"table": table, "areas_without_measure": missing_areas,
            "problems_without_measure": orphan,
            "measures_without_indicator": table.loc[has_flag.str.contains("saknar indikator"), "measure"].tolist(),
            "measures_without_baseline": sorted(set(table.loc[has_flag.str.contains("saknar baslinje"), "measure"])),
            "weak_indicators": table.loc[has_flag.str.contains("kan knappast"), ["measure", "indicator", "mde_2y"]]}


def _pct_or_none(v: float) -> str:
    return "ingen (inte ens en halvering syns)" if not np.isfinite(v) else f"{format_number(v)} %"


def _problem_words(prob: pd.DataFrame, crime_types) -> str:
    said = []
    for ct in crime_types:
        if ct not in prob.index:
            continue
        r = prob.loc[ct]
        if r["small_numbers"]:
            said.append(f"{crime_subject(ct)}: för få fall för en bedömning")
        elif r["problem"]:
            why = [f"högre än {n}" for ref, n in (("riket", "riket"), ("lan", "länet"),
                                                   ("liknande", "kommungruppen"))
                   if r[f"verdict_{ref}"] == HIGHER]
            if r["change_verdict"] == INCREASE or r["trend_verdict"] == INCREASE:
                why.append("ökar")
            said.append(f"{crime_subject(ct)}: {', '.join(why)}")
    return "; ".join(said) or "inget säkerställt problem i brottsstatistiken"


def bridge_text(result: dict) -> str:
    """What the chain lacks, in sentences (Markdown)."""
    out = []
    if result["areas_without_measure"]:
        out.append("Fokusområden utan någon registrerad åtgärd: "
                   + ", ".join(result["areas_without_measure"]) + ".")
    if result["problems_without_measure"]:
        out.append("Brottstyper som statistiken pekar ut som problem (se Analys) men som ingen "
                   "åtgärd riktar sig mot: "
                   + ", ".join(crime_subject(c) for c in result["problems_without_measure"]) + ".")
    if result["measures_without_indicator"]:
        out.append("Åtgärder utan indikator att följa upp: "
                   + ", ".join(md_text(m) for m in result["measures_without_indicator"]) + ".")
    if result["measures_without_baseline"]:
        out.append("Åtgärder där någon indikator saknar en mätning före start (baslinje): "
                   + ", ".join(md_text(m) for m in result["measures_without_baseline"]) + ".")
    weak = result["weak_indicators"]
    if len(weak):
        out.append("Indikatorer som knappast kan visa en effekt, eftersom bara en minskning på mer "
                   f"än {format_number(REALISTIC_REDUCTION_PCT)} % skulle synas inom två år: "
                   + "; ".join(f"{r.indicator} ({md_text(r.measure)})" for r in weak.itertuples())
                   + ". Välj en indikator med fler händelser, ett längre uppföljningsfönster eller "
                   "en enkätfråga.")
    out.append("Orsakerna bakom problemen finns inte i åtgärdsregistret; kolumnen fylls i av "
               "samordnaren (Brå: åtgärder ska rikta sig mot orsakerna).")
    return " ".join(out)


def bridge_table(result: dict) -> pd.DataFrame:
    """The chain as a display table."""
    t = result["table"]
    if t.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Fokusområde": t["focus_area"].to_numpy(),
        "Problem (enligt analysen)": t["problem"].to_numpy(),
        "Orsak": t["cause"].to_numpy(),
        "Åtgärd": t["measure"].to_numpy(),
        "Indikator": t["indicator"].to_numpy(),
        "Baslinje": t["baseline"].to_numpy(),
        "Uppföljning": t["followup"].to_numpy(),
        "Saknas": [f or "–" for f in t["flags"].fillna("")]})
