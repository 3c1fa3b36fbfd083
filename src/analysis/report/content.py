"""What goes into a lägesbild: the tables and findings of each section, from a data folder.

The report's context (kommun, year, comparison group, data) is made by
:mod:`analysis.report.context`; its names are available here too, as the notebook uses them.

The notebook ``notebooks/lagesbild.py`` calls one function per section and only shows what it
gets back; significance is decided by the statistics modules (their ``verdict`` columns) and
worded by :mod:`analysis.report.text`. Shared computations for all kommuner (rates for län and
riket, funnel data against all 290 kommuner) are made once per batch through
:func:`analysis.cache.shared_artifact`, which stores aggregates only; each report reads the data
folder itself. Survey results leave this module as aggregates only.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..crime import compare_periods
from ..crime import seasonality_profile, trend
from ..crime_types import (CRIME_TYPE_NAMES, FOCUS_AREAS, TOTAL_CRIME_TYPE, bra_category,
                           is_subcategory)
from ..crime import funnel_data
from ..multiplicity import add_qvalues, family_size
from ..errors import DataError
from ..verdicts import (DEFAULT_THRESHOLD, DECREASE, DIFFERENCE, HIGHER, INCREASE, LOWER, NO_CHANGE, NO_DIFFERENCE,
                        NOT_ASSESSABLE)
from .context import (ReportContext, comparison_group_name, make_context, national_tables,
                      similar_kommuner)
from .tables import VERDICT_TEXT, survey_label
from .text import format_percent
from .findings import lagesbild_summary

__all__ = ["ReportContext", "make_context", "similar_kommuner", "comparison_group_name",
           "utveckling_segments", "preliminary_years", "omfattning", "forandring",
           "utveckling", "fordelning_over_aret", "fokusomraden", "jamforelse", "trygghet",
           "atgarder", "sammanfattning", "provenance", "national_tables",
           "notable_crime_types", "rate_history", "family_size"]

SERIES_BREAK = pd.Period("2015-01", freq="M")


def _fdr(table: pd.DataFrame, significant: Sequence[str], null_verdict: str) -> pd.DataFrame:
    """The section's FDR family: q-values over the rows that carry a test; ``verdict`` becomes
    the corrected verdict and ``verdict_uncorrected`` keeps the row's own."""
    out = add_qvalues(table, p_col="p_value")
    out["verdict_uncorrected"] = out["verdict"]
    keep = ~out["verdict"].isin(significant) | out["survives"]
    out["verdict"] = out["verdict"].where(keep, null_verdict)
    return out


def _own_series(crimes: pd.DataFrame) -> pd.DataFrame:
    """The crime types a table of changes or trends tests: without the total and Brå's "därav"
    subcategories, which sit inside the types (a change of Misshandel inomhus is part of the
    change of misshandel; testing both would count it twice in one FDR family)."""
    names = crimes["crime_type"].astype(str)
    keep = [n for n in names.unique() if n != TOTAL_CRIME_TYPE and not is_subcategory(n)]
    return crimes[names.isin(keep)]


def preliminary_years(ctx: ReportContext) -> list[int]:
    """Years whose crime figures for the kommun are (partly) preliminary (Brå's status)."""
    c = ctx.crimes
    if "status" not in c:
        return []
    mine = c[(c["kommunkod"] == ctx.kommunkod) & (c["status"] == "preliminär")]
    return sorted(int(y) for y in mine["period"].dt.year.unique())


def omfattning(ctx: ReportContext) -> pd.DataFrame:
    """Counts and rates per crime type in the report year: kommun, län, riket.

    Returns
    -------
    pandas.DataFrame
        ``crime_type, count, rate, ci_low, ci_high`` (the kommun's own rate per 100 000 and
        its exact interval), ``small_numbers``, ``preliminary``, ``rate_lan``, ``rate_riket``,
        ``expected`` (crimes at riket's rate), ``excess`` (count - expected),
        ``ratio_riket``, ``ratio_low``, ``ratio_high`` (the interval the verdict uses:
        exact tails with the spread between kommuner, :func:`analysis.crime.funnel_data`),
        ``p_value``, ``q_value``, ``survives``, ``verdict_uncorrected`` and ``verdict_riket``
        (``högre``/``lägre``/``ingen säkerställd skillnad`` after Benjamini–Hochberg over the
        crime types with a test, the *levels* family; ``ej bedömbar`` below the small-number
        rule), ``rank, rank_low, rank_high, n_ranked`` (median and 95 % interval of plausible
        ranks among the 290, from one simulation).

        Without all 290 kommuner in the data (:mod:`analysis.report.coverage`) there is no
        riket to compare with: ``rate_riket``, the ratio, p-value and rank columns are missing
        (NaN), ``verdict_riket`` is ``ej bedömbar`` and ``compared`` is False (True otherwise);
        ``rate_lan`` is missing unless the data hold every kommun of the län, and for a län
        of too few kommuner to compare with (Gotland: the län's rate is the kommun's own).
    """
    from .coverage import coverage

    nat = national_tables(ctx)
    if not nat["funnels"]:
        return _omfattning_alone(ctx, nat["rates"])
    r = nat["rates"]
    r = r[r["period"] == str(ctx.year)]
    k = r[(r["level"] == "kommun") & (r["area_code"] == ctx.kommunkod)].set_index("crime_type")
    lan = r[(r["level"] == "lan") & (r["area_code"] == ctx.lanskod)].set_index("crime_type")["estimate"]
    if coverage(ctx).lan_too_small:  # comparing the kommun with itself says nothing
        lan = pd.Series(np.nan, index=lan.index)
    riket = r[r["level"] == "riket"].set_index("crime_type")["estimate"]
    prelim = ctx.year in preliminary_years(ctx)
    rows = []
    for ct in CRIME_TYPE_NAMES:
        f = nat["funnels"][ct].table
        me = f[f["area_code"] == ctx.kommunkod].iloc[0]
        tested = me["verdict"] != NOT_ASSESSABLE
        rows.append({"crime_type": ct, "count": int(k.at[ct, "count"]), "rate": k.at[ct, "estimate"],
                     "ci_low": k.at[ct, "ci_low"], "ci_high": k.at[ct, "ci_high"],
                     "small_numbers": bool(k.at[ct, "small_numbers"]), "preliminary": prelim,
                     "rate_lan": lan[ct], "rate_riket": riket[ct], "expected": me["expected"],
                     "excess": me["count"] - me["expected"], "ratio_riket": me["ratio"],
                     "ratio_low": me["ratio_low"], "ratio_high": me["ratio_high"],
                     "p_value": me["p_value"] if tested else np.nan, "verdict": me["verdict"],
                     "rank": int(me["rank"]), "rank_low": int(me["rank_low"]),
                     "rank_high": int(me["rank_high"]), "n_ranked": int(me["n_ranked"])})
    out = _fdr(pd.DataFrame(rows), (HIGHER, LOWER), NO_DIFFERENCE)
    return out.rename(columns={"verdict": "verdict_riket"}).assign(compared=True)


def _omfattning_alone(ctx: ReportContext, rates: pd.DataFrame) -> pd.DataFrame:
    """:func:`omfattning` without riket: the kommun's own counts and rates (and the län's rate
    when the data cover the län), nothing compared."""
    r = rates[rates["period"] == str(ctx.year)]
    k = r[(r["level"] == "kommun") & (r["area_code"] == ctx.kommunkod)].set_index("crime_type")
    lan = r[(r["level"] == "lan") & (r["area_code"] == ctx.lanskod)].set_index("crime_type")["estimate"]
    prelim = ctx.year in preliminary_years(ctx)
    out = pd.DataFrame({"crime_type": [ct for ct in CRIME_TYPE_NAMES if ct in k.index]})
    k = k.loc[out["crime_type"]]
    missing = ("rate_riket", "expected", "excess", "ratio_riket", "ratio_low", "ratio_high",
               "p_value", "q_value", "rank", "rank_low", "rank_high", "n_ranked")
    return out.assign(count=k["count"].astype(int).to_numpy(), rate=k["estimate"].to_numpy(),
                      ci_low=k["ci_low"].to_numpy(), ci_high=k["ci_high"].to_numpy(),
                      small_numbers=k["small_numbers"].astype(bool).to_numpy(), preliminary=prelim,
                      rate_lan=lan.reindex(out["crime_type"]).to_numpy(),
                      **{c: np.nan for c in missing}, survives=False,
                      verdict_uncorrected=NOT_ASSESSABLE, verdict_riket=NOT_ASSESSABLE, compared=False)


def rate_history(ctx: ReportContext, crime_type: str) -> pd.DataFrame:
    """Yearly rates with intervals for the kommun, its län and riket (for a time-series figure)."""
    r = national_tables(ctx)["rates"]
    r = r[(r["crime_type"] == crime_type) & r["complete"]
          & (((r["level"] == "kommun") & (r["area_code"] == ctx.kommunkod))
             | ((r["level"] == "lan") & (r["area_code"] == ctx.lanskod)) | (r["level"] == "riket"))]
    out = r[["area_name", "period", "estimate", "ci_low", "ci_high"]].copy()
    out["period"] = out["period"].astype(int)
    out["area_name"] = out["area_name"].replace({"riket": "Riket", "Riket": "Riket"})
    return out.reset_index(drop=True)


def notable_crime_types(levels: pd.DataFrame, changes: pd.DataFrame, *, n: int = 2) -> pd.DataFrame:
    """The kommun's most notable crime types, for the time-series and funnel figures.

    Chosen from the verdicts the statistics layer decided, never a fixed type: a level that
    differs from riket (funnel verdict, not a small number) or a change since last year that
    survives the FDR correction. Problems (higher than riket, increases) come first, then
    the rest, each ordered by how many crimes a year the deviation amounts to
    (``count · (1 − 1/ratio)`` for a level, ``x2 − x1`` for a change). When nothing is
    significant the most common crime type is shown, with ``significant`` False so the
    caption can say so.

    Parameters
    ----------
    levels : DataFrame
        :func:`omfattning` (``crime_type, count, ratio_riket, verdict_riket, small_numbers``).
    changes : DataFrame
        :func:`forandring` (``crime_type, x1, x2, verdict, survives, small_numbers``; a
        ``verdict_fdr`` column is used when present).
    n : int
        How many crime types at most.

    Returns
    -------
    DataFrame
        ``crime_type, reason, excess_per_year, problem, significant``; at least one row.

    Examples
    --------
    >>> lv = pd.DataFrame({"crime_type": ["Bostadsinbrott", "Cykelstöld", "Bilbrott"],
    ...                    "count": [400, 300, 200], "ratio_riket": [2.06, 0.5, 1.0],
    ...                    "verdict_riket": ["högre", "lägre", "ingen säkerställd skillnad"],
    ...                    "small_numbers": False})
    >>> ch = pd.DataFrame({"crime_type": ["Bilbrott"], "x1": [150], "x2": [200],
    ...                    "verdict": ["ökning"], "survives": [True], "small_numbers": [False]})
    >>> notable_crime_types(lv, ch)[["crime_type", "reason"]].values.tolist()
    [['Bostadsinbrott', 'högre än riket'], ['Bilbrott', 'ökning sedan föregående år']]
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rows = []
    for r in levels.itertuples():
        if r.verdict_riket in ("högre", "lägre") and not r.small_numbers and r.ratio_riket > 0:
            rows.append({"crime_type": r.crime_type, "reason": f"{r.verdict_riket} än riket",
                         "excess_per_year": float(r.count * (1 - 1 / r.ratio_riket)),
                         "problem": r.verdict_riket == "högre", "significant": True})
    verdict_col = "verdict_fdr" if "verdict_fdr" in changes else "verdict"
    for r in changes.itertuples():
        verdict = getattr(r, verdict_col)
        survives = True if verdict_col == "verdict_fdr" else bool(getattr(r, "survives", True))
        if verdict in ("ökning", "minskning") and survives and not r.small_numbers:
            rows.append({"crime_type": r.crime_type, "reason": f"{verdict} sedan föregående år",
                         "excess_per_year": float(r.x2 - r.x1), "problem": verdict == "ökning",
                         "significant": True})
    out = pd.DataFrame(rows, columns=["crime_type", "reason", "excess_per_year", "problem",
                                      "significant"])
    if not out.empty:
        out = (out.assign(_size=out["excess_per_year"].abs())
                  .sort_values(["problem", "_size"], ascending=[False, False], kind="stable")
                  .drop_duplicates("crime_type").drop(columns="_size").head(n))
        return out.reset_index(drop=True)
    top = levels.sort_values("count", ascending=False, kind="stable").iloc[0]
    return pd.DataFrame([{"crime_type": top["crime_type"],
                          "reason": "vanligaste brottstypen; ingen säkerställd avvikelse",
                          "excess_per_year": 0.0, "problem": False, "significant": False}])


def forandring(ctx: ReportContext) -> pd.DataFrame:
    """Report year against the year before, per crime type, FDR-corrected (the *changes* family).

    The default method of :func:`analysis.crime.compare_periods` (overdispersion from
    12-month blocks) tests each crime type; Benjamini–Hochberg over the crime types with a
    test gives ``q_value`` and ``survives``. A base below the small-number rule (``x1 < 10``)
    gets ``ej bedömbar`` and no test. ``verdict`` is the corrected verdict (what every table and
    sentence shows), ``verdict_uncorrected`` the crime type's own test.
    """
    cmp = compare_periods(_own_series(ctx.crimes), ctx.population, period1=ctx.year - 1,
                          period2=ctx.year, areas=[ctx.kommunkod])
    cmp = cmp.drop(columns=["q_value", "survives", "fdr_level", "n_tests", "verdict_fdr"],
                   errors="ignore")
    # the small-number rule decides the verdict too: no claim of change from a base below it
    small = cmp["x1"] < DEFAULT_THRESHOLD
    cmp["verdict"] = cmp["verdict"].where(~small, NOT_ASSESSABLE)
    cmp["p_value"] = cmp["p_value"].where(~small)
    out = _fdr(cmp, (INCREASE, DECREASE), NO_CHANGE)
    out["preliminary"] = ctx.year in preliminary_years(ctx)
    return out


def utveckling(ctx: ReportContext) -> pd.DataFrame:
    """Annual percent change per crime type since 2015 (the series break), FDR-corrected.

    Besides :func:`analysis.crime.trend`'s columns (``estimate`` = % per year): ``year1``,
    ``year2``, ``n1``, ``n2`` (crimes in the first and last year), ``total_change``,
    ``total_low``, ``total_high`` (the fitted change over the whole period, ``(1 + APC)^years
    - 1``, as proportions, from the same interval), and ``verdict`` corrected over the 12
    crime types (the *trends* family; ``verdict_uncorrected`` the row's own).
    """
    start = max(SERIES_BREAK, ctx.crimes["period"].min())
    res = trend(_own_series(ctx.crimes), ctx.population, areas=[ctx.kommunkod], start=start,
                end=pd.Period(f"{ctx.year}-12", "M"))
    t = res.table.drop(columns=["q_value", "survives", "fdr_level", "n_tests", "verdict_fdr"],
                       errors="ignore")
    out = _fdr(t, (INCREASE, DECREASE), NO_CHANGE)
    mine = ctx.crimes[ctx.crimes["kommunkod"] == ctx.kommunkod]
    by_year = mine.groupby([mine["crime_type"], mine["period"].dt.year])["count"].sum()
    y1, y2 = int(start.year), int(ctx.year)
    out["year1"], out["year2"] = y1, y2
    out["n1"] = [int(by_year.get((ct, y1), 0)) for ct in out["crime_type"]]
    out["n2"] = [int(by_year.get((ct, y2), 0)) for ct in out["crime_type"]]
    for col, src in (("total_change", "estimate"), ("total_low", "ci_low"), ("total_high", "ci_high")):
        out[col] = (1 + out[src] / 100) ** (y2 - y1) - 1
    return out


def utveckling_segments(ctx: ReportContext, crime_types: Sequence[str]) -> pd.DataFrame:
    """Joinpoint segments of the given crime types since 2015 (one FDR family over segments).

    Fitting joinpoints takes a second or two per series, so the lägesbild asks only for the
    crime types it words (those with a significant trend). Returns one row per segment with
    ``crime_type, segment, segment_start, segment_end, estimate, ci_low, ci_high`` (% per
    year), ``p_value``, ``q_value``, ``survives``, ``verdict`` (corrected) and
    ``verdict_uncorrected``; crime types whose best model has no joinpoint get no rows.
    """
    from ..crime import joinpoints

    start = max(SERIES_BREAK, ctx.crimes["period"].min())
    rows = []
    for ct in crime_types:
        jp = joinpoints(ctx.crimes, ctx.population, areas=[ctx.kommunkod], crime_types=[ct],
                        start=start, end=pd.Period(f"{ctx.year}-12", "M")).table
        seg = jp[jp["variable"] == "apc"]
        if len(seg) > 1:
            rows.append(seg)
    cols = ["crime_type", "segment", "segment_start", "segment_end", "estimate", "ci_low",
            "ci_high", "p_value", "verdict"]
    if not rows:
        return pd.DataFrame(columns=cols + ["q_value", "survives", "verdict_uncorrected"])
    return _fdr(pd.concat(rows, ignore_index=True)[cols], (INCREASE, DECREASE), NO_CHANGE)


def fordelning_over_aret(ctx: ReportContext) -> pd.DataFrame:
    """Seasonality profile: which months are high, per crime type (kommun, whole series)."""
    return seasonality_profile(_own_series(ctx.crimes), ctx.population, areas=[ctx.kommunkod])


def jamforelse(ctx: ReportContext, crime_type: str, *, peers: str = "liknande"):
    """Funnel data for one crime type in the report year, against riket or similar kommuner."""
    if peers == "riket":
        return national_tables(ctx)["funnels"][crime_type]
    panel = ctx.peer_panel  # built once per report: the same counts as ctx.crimes
    data, population = (ctx.crimes, ctx.population) if panel is None else (panel, None)
    if peers == "lan":
        return funnel_data(data, population, crime_type=crime_type, period=ctx.year,
                           peers="lan", focus=ctx.kommunkod)
    return funnel_data(data, population, crime_type=crime_type, period=ctx.year,
                       peers=list(ctx.similar) + [ctx.kommunkod], focus=ctx.kommunkod)


def fokusomraden(ctx: ReportContext, changes: pd.DataFrame, survey: dict | None) -> pd.DataFrame:
    """One row per focus area: its crime types' change and its survey indicators' levels."""
    mine = ctx.crimes[ctx.crimes["kommunkod"] == ctx.kommunkod]
    by_year = (mine.groupby([mine["crime_type"].astype(str), mine["period"].dt.year])["count"]
               .sum().unstack(fill_value=0))
    rows = []
    for area, spec in FOCUS_AREAS.items():
        ch = changes[changes["crime_type"].isin(spec["crime_types"])]
        said = [f"{r.crime_type}: {r.x1} → {r.x2} ({VERDICT_TEXT.get(r.verdict, r.verdict)})"
                for r in ch.itertuples()]
        # Brå's "därav" subcategories are inside a tested type: counts only, no verdict
        parts = []
        for ct in spec["crime_types"]:
            if is_subcategory(ct) and ct not in set(ch["crime_type"]) and ct in by_year.index:
                n = by_year.loc[ct]
                parent = bra_category(ct).parent
                label = (f"därav {ct.removeprefix(parent + ', ')[:1].lower()}"
                         f"{ct.removeprefix(parent + ', ')[1:]}" if parent in spec["crime_types"]
                         else ct)
                parts.append(f"{label}: {int(n.get(ctx.year - 1, 0))} → {int(n.get(ctx.year, 0))}")
        if parts:
            said.append(", ".join(parts) + f" (underkategori{'er' if len(parts) > 1 else ''} "
                        "av Brå: prövas inte för sig)")
        crimes_text = "; ".join(said) or "–"
        ind = ""
        if survey is not None:
            t = survey["kommun"]
            t = t[t["variable"].isin([f"{i}_andel" for i in spec["survey_items"]])]
            ind = "; ".join(f"{survey_label(r.variable)}: "
                            f"{'x' if r.suppressed else format_percent(r.estimate)}" for r in t.itertuples())
        rows.append({"focus_area": area, "crime_types": crimes_text, "survey": ind})
    return pd.DataFrame(rows)


def trygghet(ctx: ReportContext) -> dict | None:
    """Survey indicators for the last wave: kommun, by area, sex and age; change; small areas.

    Returns ``None`` when the data folder has no survey for the kommun. All tables are
    aggregates with ``suppressed``/``suppressed_reason`` (default rule: fewer than 50
    respondents); no respondent-level row leaves this function. ``change`` (since the
    previous wave) and ``sex_gap`` (women minus men) are each one FDR family over the
    indicators: ``verdict`` is the corrected verdict, ``verdict_uncorrected`` the row's own.
    """
    from ..survey.calibration import wave_design
    from ..survey.compare import compare_years, difference
    from ..survey.indicators import indicator_table, indicators_from_catalogue
    from ..survey.small_area import small_area_values

    ds = ctx.dataset
    if ds.survey is None or ds.items is None:
        return None
    sv = ds.survey[ds.survey["kommunkod"] == ctx.kommunkod]
    if sv.empty:
        return None
    years = sorted(sv["year"].unique())
    defs = indicators_from_catalogue(ds.items)

    def design(year):
        return wave_design(sv, ds.margins, kommunkod=ctx.kommunkod, year=year)

    last = design(years[-1])
    out = {"year": int(years[-1]), "n": int((sv["year"] == years[-1]).sum()),
           "calibrated": ds.margins is not None}
    out["kommun"] = indicator_table(last, defs)
    for by in ("area", "sex", "age_group"):
        out[by] = indicator_table(last, defs, by=by)
    if len(years) > 1:
        prev = design(years[-2])
        out["previous_year"] = int(years[-2])
        changes = []
        for d in defs:
            t = compare_years(_with_indicator(prev, d), _with_indicator(last, d), d.name, na_rm=True,
                              labels=(str(years[-2]), str(years[-1])))
            changes.append(t.assign(label=d.label))
        # the survey-changes family: Benjamini–Hochberg over the indicators
        out["change"] = _fdr(pd.concat(changes, ignore_index=True), (INCREASE, DECREASE), NO_CHANGE)
    gaps = []
    for d in defs:
        try:
            g = difference(_with_indicator(last, d), d.name, between="sex", first="kvinna",
                           second="man", na_rm=True)
        except DataError:
            continue
        gaps.append(g.assign(label=d.label))
    if gaps:
        # the survey-gaps family (women against men): Benjamini–Hochberg over the indicators
        gap = pd.concat(gaps, ignore_index=True)
        gap.loc[gap["suppressed"].fillna(False).astype(bool), "p_value"] = np.nan
        out["sex_gap"] = _fdr(gap, (DIFFERENCE,), NO_DIFFERENCE)
    by_area = out["area"]
    main = defs[0].name
    direct = by_area[by_area["variable"] == main]
    # the model only with enough areas; per area the more precise of model and direct value;
    # a suppressed area shows nothing (small_area_values decides, the table only shows it)
    values = small_area_values(direct, area="area")
    if values["fitted"].any():
        out["small_area"] = values.assign(variable=main)
    return out


def _with_indicator(design, definition):
    from ..survey.indicators import add_indicators
    return add_indicators(design, [definition])


def atgarder(ctx: ReportContext, *, evaluate: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The kommun's measures, and their evaluation as data (the default method's verdict).

    Returns
    -------
    (measures, evaluations)
        The registry rows for the kommun, and one row per measure with ``measure_id, name,
        crime_types, rate_ratio, ci_low, ci_high, p_value, prevented, verdict, reliable,
        caveats, note`` (caveat codes of :class:`analysis.evaluation.Verdict`, ``;``-joined);
        ``verdict`` is ``ej bedömbar`` with the reason in Swedish in ``note`` when the data do
        not allow an evaluation ("startar efter sista månaden i data", "för kort förperiod").

    Notes
    -----
    One measure never stops the report: a planned measure (start after the last month of
    data), one that starts before the data, and one whose evaluation fails for any other
    reason get their own row saying why, and every other measure is evaluated as usual.
    """
    ds = ctx.dataset
    if ds.measures is None:
        return pd.DataFrame(), pd.DataFrame()
    mine = ds.measures[ds.measures["kommunkod"] == ctx.kommunkod].reset_index(drop=True)
    if not evaluate or mine.empty:
        return mine, pd.DataFrame()
    from ..evaluation import evaluate_measure
    from ..io.check import measure_timing

    timing = measure_timing(mine, ctx.crimes).set_index("measure_id")
    rows = []
    for m in mine.itertuples():
        targets = "" if pd.isna(m.target_crime_types) else str(m.target_crime_types)
        base = {"measure_id": m.measure_id, "name": m.name, "crime_types": targets.replace(";", ", ")}
        when = timing.loc[m.measure_id]
        if targets and when["status"] in ("planned", "too_early", "no_data"):
            rows.append({**base, "verdict": "ej bedömbar", "reliable": False,
                         "caveats": "not_evaluable", "note": when["reason_sv"]})
            continue
        try:
            ev = evaluate_measure(ds, m.measure_id)
        except Exception as exc:  # noqa: BLE001 - one measure must not stop the lägesbild
            rows.append({**base, "verdict": "ej bedömbar", "reliable": False,
                         "caveats": "not_evaluable",
                         "note": f"utvärderingen kunde inte göras ({type(exc).__name__}: {exc})"})
            continue
        v = ev.verdict
        if v is None:
            why = ("åtgärden har inga brottstyper att följa upp; följ upp dess indikator, t.ex. i "
                   "trygghetsundersökningen" if not targets else "")
            rows.append({**base, "verdict": "ej bedömbar", "reliable": False,
                         "caveats": "not_evaluable", "note": why})
            continue
        rows.append({**base, "rate_ratio": v.rate_ratio, "ci_low": v.ci_low, "ci_high": v.ci_high,
                     "p_value": v.p_value, "prevented": v.prevented, "verdict": v.verdict,
                     "reliable": v.reliable, "caveats": ";".join(v.caveats["code"]),
                     "note": when["reason_sv"] if when["status"] == "short_pre" else ""})
    return mine, pd.DataFrame(rows)


def sammanfattning(ctx: ReportContext, changes: pd.DataFrame, trends: pd.DataFrame,
                   levels: pd.DataFrame, survey: dict | None, *, n_max: int = 8):
    """The key findings: significant (FDR-corrected) findings only, problems first, ranked by
    crimes per year then effect size; the survey's clearest result; "little changed" in one
    sentence when nothing changed (:func:`analysis.report.findings.lagesbild_summary`)."""
    return lagesbild_summary(levels, changes, trends, survey, year=ctx.year, n_max=n_max)


#: What each input file holds, in the provenance table's words.
_INPUT_NAMES = {"crimes.csv": "Anmälda brott", "population.csv": "Folkmängd",
                "survey.csv": "Trygghetsundersökningen (svar)",
                "items.csv": "Trygghetsundersökningen (frågor)",
                "margins.csv": "Befolkning per kön, ålder och område (vikter)",
                "measures.csv": "Åtgärdsregister", "DATASET.json": "Beskrivning av datamappen"}
_PROVENANCE_PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib")


def _shown_path(folder: Path, name: str) -> str:
    """A data file's path relative to the working folder, else its folder's name: never the
    absolute path of someone's machine."""
    try:
        return (folder.resolve() / name).relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return f"{folder.resolve().name}/{name}"


def provenance(ctx: ReportContext, parameters: dict) -> pd.DataFrame:
    """What the draft was made from, as a short table a reader can check.

    Only the input files the report reads (not the sample's ``planted_truth.json``, which is
    the answer key of the synthetic data), each with a relative path and the first eight
    characters of its SHA-256; the program and library versions; the parameters (without the
    data folder, shown with the files); and when it was made.

    Returns
    -------
    pandas.DataFrame
        Two text columns, ``Uppgift`` and ``Värde``.
    """
    folder = Path(ctx.dataset.path)
    rows = []
    for name, what in _INPUT_NAMES.items():
        digest = ctx.dataset.files.get(name)
        if digest is None:
            continue
        rows.append({"Uppgift": what,
                     "Värde": f"{_shown_path(folder, name)} (sha256 {digest[:8]})"})
    versions = []
    for pkg in _PROVENANCE_PACKAGES:
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            continue
    try:
        program = f"lagesbild {metadata.version('lagesbild')}"
    except metadata.PackageNotFoundError:
        program = "lagesbild (ej installerad)"
    rows.append({"Uppgift": "Program", "Värde": program})
    rows.append({"Uppgift": "Python och bibliotek",
                 "Värde": ", ".join([f"Python {platform.python_version()}"] + versions)})
    # no machine paths in a draft that is mailed around: the data folder is shown with the
    # files, the batch's temporary cache not at all, any other folder by its name only
    shown = {k: (Path(str(v)).name or str(v)) if k.endswith("_dir") else v
             for k, v in parameters.items() if k not in ("data_dir", "shared_cache_dir")}
    rows.append({"Uppgift": "Parametrar",
                 "Värde": ", ".join(f"{k} = {v}" for k, v in shown.items()) + f" (rapportår {ctx.year})"})
    rows.append({"Uppgift": "Framtaget",
                 "Värde": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")})
    return pd.DataFrame(rows)
