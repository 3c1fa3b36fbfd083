"""The lägesbild's "Annan information" section and the total-crime rank, worded.

The survey in context (:mod:`analysis.survey.benchmarks`: NTU levels of the län and riket, sex
and age gaps, remedies for age groups too small to show) and the total of reported crime ranked
among all kommuner (:mod:`analysis.crime.total`). Statistics are computed there; this module
only calls them and words their verdicts, each claim with its interval. Survey results arrive
here as aggregates only.
"""

from __future__ import annotations

import pandas as pd

from ..crime.total import total_crime_rank
from ..io.ntu import read_ntu_regional
from ..verdicts import DECREASE, DIFFERENCE, HIGHER, INCREASE, LOWER
from .tables import _ci, _ratio_cell, interval_claim, survey_label, survey_subject, verdict_cell
from .text import format_estimate, format_interval, format_number, format_percent, format_rate

__all__ = ["annan_information", "annan_information_text", "ntu_table", "gaps_table",
           "remedy_table", "total_rank", "total_rank_text", "ntu_claims", "total_rank_table",
           "total_rank_claims"]

_LEVEL_NAME = {"kommun": "kommunen", "lan": "länet", "riket": "riket"}


def annan_information(ctx, survey: dict | None) -> dict | None:
    """The survey against NTU, its sex and age gaps, and remedies for hidden age groups.

    ``survey`` is :func:`analysis.report.content.trygghet`'s result (its change table decides
    which waves may be pooled). Returns ``None`` without a survey.
    """
    if survey is None:
        return None
    from ..survey.benchmarks import age_remedy, group_gaps, ntu_comparison
    from ..survey.calibration import wave_design
    from ..survey.indicators import indicators_from_catalogue

    ds = ctx.dataset
    sv = ds.survey[ds.survey["kommunkod"] == ctx.kommunkod]
    defs = indicators_from_catalogue(ds.items)
    last = wave_design(sv, ds.margins, kommunkod=ctx.kommunkod, year=survey["year"])
    previous = None
    stable: list[str] = []
    if "previous_year" in survey:
        previous = wave_design(sv, ds.margins, kommunkod=ctx.kommunkod, year=survey["previous_year"])
        ch = survey["change"]
        stable = ch.loc[~ch["verdict"].isin([INCREASE, DECREASE]), "variable"].tolist()
    years = (survey.get("previous_year"), survey["year"])
    return {"year": survey["year"], "previous_year": survey.get("previous_year"),
            "ntu": ntu_comparison(survey["kommun"], read_ntu_regional(),
                                  kommunkod=ctx.kommunkod, lanskod=ctx.lanskod),
            "gaps": group_gaps(last, defs),
            "remedy": age_remedy(last, previous, defs, stable=stable,
                                 years=years if previous is not None else None),
            "change": survey.get("change"), "kommun": ctx.kommun}


def _pct(est, lo, hi) -> str:
    return format_estimate(est, lo, hi)


def annan_information_text(info: dict | None) -> str:
    """The section's sentences (Markdown): benchmarks, the previous wave, gaps, remedies."""
    if info is None:
        return "Det finns ingen trygghetsundersökning för kommunen i datamappen."
    parts = [_ntu_text(info["ntu"])]
    if info.get("change") is not None:
        parts.append(_wave_text(info["change"], info["previous_year"], info["year"]))
    parts.append(_gap_text(info["gaps"]))
    parts.append(_remedy_text(info["remedy"]))
    return "\n\n".join(p for p in parts if p)


def _ntu_text(ntu: pd.DataFrame) -> str:
    if ntu.empty:
        return "Det finns inga jämförbara NTU-siffror för kommunens indikatorer."
    years = sorted(set(ntu["ntu_survey"]))
    out = [f"Jämförelse med Brå:s Nationella trygghetsundersökning ({', '.join(years)}). "
           "NTU-siffrorna är äldre än kommunens undersökning, samlades in på annat sätt och för "
           "delvis andra åldrar, och Brå:s regionala tabell anger ingen felmarginal; bara "
           "avrundningen till hela procent är medräknad. En skillnad kan därför delvis bero på "
           "år och metod."]
    for var, g in ntu.groupby("variable", sort=False):
        r0 = g.iloc[0]
        if r0["suppressed"]:
            continue
        said = g[g["verdict"].isin([HIGHER, LOWER])]
        refs = " och ".join(f"{format_percent(r.ntu_share)} i {_place(r)}" for r in g.itertuples())
        head = f"{survey_subject(var)} är {_pct(r0['estimate'], r0['ci_low'], r0['ci_high'])}"
        note = f"{r0['ntu_survey']}; {r0['comparability']}"
        if said.empty:
            out.append(f"{head}, mot {refs} ({note}): ingen säkerställd skillnad.")
            continue
        words = [f"{'högre' if r.verdict == HIGHER else 'lägre'} än i {_LEVEL_NAME[r.level]}"
                 for r in said.itertuples()]
        out.append(f"{head}, mot {refs} ({note}): {' och '.join(words)}.")
    return " ".join(out)


def _place(r) -> str:
    return "riket" if r.level == "riket" else r.region


def _wave_text(change: pd.DataFrame, y1, y2) -> str:
    moved = change[change["verdict"].isin([INCREASE, DECREASE]) & ~change["suppressed"]]
    if moved.empty:
        return (f"Jämfört med förra undersökningen ({y1}) har ingen indikator förändrats "
                "statistiskt säkerställt.")
    out = []
    for r in moved.itertuples():
        word = "ökat" if r.verdict == INCREASE else "minskat"
        out.append(f"{survey_subject(r.variable)} har {word} från "
                   f"{format_percent(r.estimate_earlier)} {y1} till "
                   f"{format_percent(r.estimate_later)} {y2} (skillnad "
                   f"{format_number(100 * r.estimate, sign=True)} procentenheter, "
                   f"{format_interval(r.ci_low, r.ci_high, kind='pp', sign=True)}).")
    return " ".join(out) + " Övriga indikatorer har inte förändrats säkerställt."


def _gap_text(gaps: pd.DataFrame) -> str:
    out = []
    sex = gaps[(gaps["dimension"] == "kön") & (gaps["verdict"] == DIFFERENCE)]
    for r in sex.itertuples():
        who = {"kvinna": "kvinnor", "man": "män"}
        out.append(f"{survey_subject(r.variable)} är högre bland {who[r.group_high]} än bland "
                   f"{who[r.group_low]}: {_pct(r.estimate_high, r.ci_low_high, r.ci_high_high)} "
                   f"mot {_pct(r.estimate_low, r.ci_low_low, r.ci_high_low)}; skillnaden är "
                   f"{format_number(100 * abs(r.difference))} procentenheter "
                   f"({format_interval(min(abs(r.ci_low), abs(r.ci_high)), max(abs(r.ci_low), abs(r.ci_high)), kind='pp')}).")
    age = gaps[(gaps["dimension"] == "ålder") & (gaps["verdict"] == DIFFERENCE)]
    for r in age.itertuples():
        out.append(f"{survey_subject(r.variable)} skiljer sig mellan åldersgrupperna "
                   f"(p {'< 0,001' if r.p_value < 0.001 else '= ' + format_number(r.p_value, decimals=3)}): "
                   f"högst bland {_age(r.group_high)}, "
                   f"{_pct(r.estimate_high, r.ci_low_high, r.ci_high_high)}, lägst bland "
                   f"{_age(r.group_low)}, {_pct(r.estimate_low, r.ci_low_low, r.ci_high_low)}.")
    quiet = gaps[gaps["verdict"] != DIFFERENCE]
    if len(quiet):
        out.append("För övriga indikatorer är skillnaderna mellan kvinnor och män och mellan "
                   "åldersgrupperna inte statistiskt säkerställda (prövat för alla indikatorer "
                   "samtidigt, FDR 5 %).")
    return " ".join(out)


def _age(group: str) -> str:
    return f"{group.replace('-', '–')} år"


def _remedy_text(remedy: pd.DataFrame) -> str:
    if remedy.empty:
        return ""
    groups = sorted(set(remedy["age_group"]))
    n = int(remedy["n"].min()) if remedy["remedy"].eq("none").any() else None
    out = [f"Åldersgrupp{'erna' if len(groups) > 1 else 'en'} "
           f"{' och '.join(_age(g) for g in groups)} har för få svarande för att redovisas "
           "(regeln: minst 50 svarande)."]
    kinds = set(remedy["remedy"])
    if "pooled" in kinds:
        out.append("Där indikatorn inte har förändrats säkerställt mellan de två senaste "
                   "undersökningarna redovisas gruppen för båda omgångarna sammantaget.")
    if "merged" in kinds:
        out.append("Där det inte räcker, eller indikatorn har förändrats, slås gruppen ihop med "
                   "närmaste åldersgrupp (16–24 och 25–44 år blir 16–44 år).")
    if "none" in kinds:
        out.append("För några indikatorer räcker inte heller det"
                   + (f" (minst {n} svarande)" if n is not None else "")
                   + "; de redovisas inte.")
    out.append("Tabellen nedan visar resultaten; de är medelvärden över två år eller över ett "
               "bredare åldersspann och ska läsas så.")
    return " ".join(out)


def ntu_table(info: dict) -> pd.DataFrame:
    """The kommun against NTU (display)."""
    t = info["ntu"]
    return pd.DataFrame({
        "Indikator": [survey_label(v) for v in t["variable"]],
        "Kommunen (95 % KI)": [_pct(r.estimate, r.ci_low, r.ci_high) if not r.suppressed else "x"
                               for r in t.itertuples()],
        "NTU": [f"{format_percent(r.ntu_share)} ({_LEVEL_NAME[r.level]}, {r.ntu_survey})"
                for r in t.itertuples()],
        "Bedömning": [{"högre": "högre (säkerställt)", "lägre": "lägre (säkerställt)"}.get(
            r.verdict, "ingen säkerställd skillnad"
            + (" (inom NTU-siffrans avrundning)" if not r.suppressed
               and (r.ci_low > r.ntu_share or r.ci_high < r.ntu_share) else ""))
            for r in t.itertuples()]})


def gaps_table(info: dict) -> pd.DataFrame:
    """Sex and age gaps per indicator (display)."""
    g = info["gaps"]
    return pd.DataFrame({
        "Indikator": [survey_label(v) for v in g["variable"]],
        "Jämförelse": ["kvinnor och män" if d == "kön" else "åldersgrupper" for d in g["dimension"]],
        "Högst": [f"{_who(r.group_high)}: {format_percent(r.estimate_high)}" for r in g.itertuples()],
        "Lägst": [f"{_who(r.group_low)}: {format_percent(r.estimate_low)}" for r in g.itertuples()],
        "Bedömning": ["skillnad (säkerställd)" if v == DIFFERENCE else "ingen säkerställd skillnad"
                      for v in g["verdict"]]})


def _who(group: str) -> str:
    return {"kvinna": "kvinnor", "man": "män"}.get(group, _age(group))


def remedy_table(info: dict) -> pd.DataFrame:
    """Remedied estimates for hidden age groups (display)."""
    r = info["remedy"]
    if r.empty:
        return pd.DataFrame()
    how = {"pooled": "två omgångar sammantaget", "merged": "sammanslagen åldersgrupp",
           "none": "redovisas inte"}
    return pd.DataFrame({
        "Indikator": [survey_label(v) for v in r["variable"]],
        "Dold grupp": [_age(a) for a in r["age_group"]],
        "Redovisas som": [s or "–" for s in r["shown_as"]],
        "Andel (95 % KI)": [_pct(x.estimate, x.ci_low, x.ci_high) if x.remedy != "none" else "x"
                            for x in r.itertuples()],
        "Svarande": [format_number(n) for n in r["n"]],
        "Åtgärd": [how[k] for k in r["remedy"]]})


def ntu_claims(info: dict) -> list[dict]:
    """The claims of :func:`ntu_table`: the kommun's interval against NTU's figure, whose
    rounding to whole percent makes the null a region (``ntu_low``–``ntu_high``)."""
    return [interval_claim("ntu", i, f"{r.variable} ({r.level})", estimate=r.estimate,
                           ci_low=r.ci_low, ci_high=r.ci_high, null=(r.ntu_low, r.ntu_high),
                           verdict=r.verdict, column="Kommunen (95 % KI)",
                           verdict_column="Bedömning", scale=100, small=bool(r.suppressed))
            for i, r in enumerate(info["ntu"].itertuples())]


def total_rank_table(rank: pd.DataFrame) -> pd.DataFrame:
    """The total against riket and the län, with the plausible ranks (display).

    Examples
    --------
    >>> t = pd.DataFrame({"scope": ["riket", "län"], "count": 590, "rate": 5723.7,
    ...     "ci_low": 5271.1, "ci_high": 6204.8, "target_rate": [6888.8, 6030.5],
    ...     "ratio": [0.83, 0.95], "ratio_low": [0.70, 0.80], "ratio_high": [0.98, 1.12],
    ...     "verdict": ["lägre", "ingen säkerställd skillnad"], "rank": [240, 7],
    ...     "rank_low": [180, 2], "rank_high": [275, 14], "n_ranked": [290, 15]})
    >>> total_rank_table(t)["Rang bland kommunerna (rimligt intervall)"].tolist()
    ['240 (180–275) av 290', '7 (2–14) av 15']
    """
    return pd.DataFrame({
        "Jämfört med": ["riket" if s == "riket" else "länet" for s in rank["scope"]],
        "Antal": [format_number(v) for v in rank["count"]],
        "Per 100 000 (95 % KI)": [f"{format_rate(r.rate)} ({_ci(r.ci_low, r.ci_high)})"
                                  for r in rank.itertuples()],
        "Jämförelsens nivå": [format_rate(v) for v in rank["target_rate"]],
        "Skillnad (95 % KI)": [_ratio_cell(r.ratio, r.ratio_low, r.ratio_high)
                               for r in rank.itertuples()],
        "Bedömning": [verdict_cell(v, reference=("riket" if s == "riket" else "länet"))
                      for v, s in zip(rank["verdict"], rank["scope"])],
        "Rang bland kommunerna (rimligt intervall)": [
            f"{int(r.rank)} ({int(r.rank_low)}–{int(r.rank_high)}) av {int(r.n_ranked)}"
            for r in rank.itertuples()]})


def total_rank_claims(rank: pd.DataFrame) -> list[dict]:
    """The claims of :func:`total_rank_table` (the rate ratio against 1, printed as a percent
    difference; the rank inside its plausible interval)."""
    return [interval_claim("total_rank", i, r.scope, estimate=r.ratio, ci_low=r.ratio_low,
                           ci_high=r.ratio_high, null=1.0, verdict=r.verdict,
                           column="Skillnad (95 % KI)", verdict_column="Bedömning", scale=100,
                           offset=1.0, rank=(r.rank, r.rank_low, r.rank_high),
                           rank_column="Rang bland kommunerna (rimligt intervall)")
            for i, r in enumerate(rank.itertuples())]


def total_rank(ctx) -> pd.DataFrame:
    """The total crime rank of the kommun in the report year
    (:func:`analysis.crime.total.total_crime_rank`; about a second)."""
    return total_crime_rank(ctx.crimes, ctx.population, kommunkod=ctx.kommunkod, year=ctx.year)


def total_rank_text(rank: pd.DataFrame, kommun: str) -> str:
    """The total with its rank among all kommuner and in the län, and the plausible ranks.

    Examples
    --------
    >>> t = pd.DataFrame({"scope": ["riket", "län"], "crime_type": "Samtliga brott",
    ...     "source": "Brå:s samtliga anmälda brott", "year": 2024, "count": 590,
    ...     "rate": 5723.7, "ci_low": 5271.1, "ci_high": 6204.8, "target_rate": [6888.8, 6030.5],
    ...     "verdict": "ingen säkerställd skillnad", "rank": [140, 7], "rank_low": [11, 2],
    ...     "rank_high": [272, 14], "rank_from_lowest": [151, 9], "rank_from_lowest_low": [19, 2],
    ...     "rank_from_lowest_high": [280, 14], "n_ranked": [290, 15]})
    >>> "plats 140 av 290" in total_rank_text(t, "Gagnef")
    True
    """
    r = rank.set_index("scope")
    k = r.loc["riket"]
    subject = ("Anmälda brott totalt" if k["crime_type"] == "Samtliga brott"
               else "Anmälda brott i de redovisade brottstyperna sammantaget")
    out = [f"{subject} {int(k['year'])}: {format_number(k['count'])} brott, "
           f"{format_estimate(k['rate'], k['ci_low'], k['ci_high'], kind='rate')} per 100 000 "
           f"invånare ({k['source']})."]
    for scope, name in (("riket", "landets"), ("län", "länets")):
        if scope not in r.index:  # Gotland: a län of one kommun
            out.append(f"Ingen rangordning inom länet: {kommun} är ensam kommun i sitt län "
                       "(eller länet har för få kommuner för en jämförelse).")
            continue
        x = r.loc[scope]
        level = {HIGHER: "högre än", LOWER: "lägre än"}.get(x["verdict"], "inte säkerställt skild från")
        where = "riket" if scope == "riket" else "länet"
        span = (f"Med hänsyn till slumpen kan platsen vara allt från {int(x['rank_low'])} till "
                f"{int(x['rank_high'])} (95 % rimliga placeringar)"
                if x["rank_low"] != x["rank_high"] else
                "Platsen är densamma med hänsyn till slumpen (95 % rimliga placeringar)")
        # the counting interval can exclude the comparison while the verdict, which allows
        # for the spread between kommuner, does not: say so rather than leave a puzzle
        spread = ("; skillnaden ryms inom den variation som finns mellan kommunerna (se "
                  "tabellen)" if x["verdict"] not in (HIGHER, LOWER)
                  and (k["ci_low"] > x["target_rate"] or k["ci_high"] < x["target_rate"]) else "")
        out.append(f"Bland {name} {int(x['n_ranked'])} kommuner har {kommun} plats "
                   f"{int(x['rank'])} av {int(x['n_ranked'])} räknat från den högsta nivån "
                   f"(plats {int(x['rank_from_lowest'])} räknat från den lägsta). {span}; nivån "
                   f"är {level} {where} ({format_rate(x['target_rate'])} per 100 000){spread}.")
    out.append("En placering som \"nummer sex i landet\" kan bara sägas om hela intervallet av "
               "rimliga placeringar säger det.")
    return " ".join(out)
