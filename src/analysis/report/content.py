"""What goes into a lägesbild: the tables and findings of each section, from a data folder.

The notebook ``notebooks/lagesbild.py`` calls one function per section and only shows what it
gets back; significance is decided by the statistics modules (their ``verdict`` columns) and
worded by :mod:`analysis.report.text`. Shared computations for all kommuner (rates for län and
riket, funnel data against all 290 kommuner) are made once per batch through
:func:`analysis.store.shared_artifact`. Survey results leave this module as aggregates only.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..store import shared_artifact
from ..crime import compare_periods
from ..crime import crime_rates
from ..crime import seasonality_profile, trend
from ..crime_types import CRIME_TYPE_NAMES, FOCUS_AREAS
from ..crime import funnel_data
from ..io import Dataset, load_dataset
from ..municipalities import lan_of, municipalities, name_of, normalize_code
from ..multiplicity import add_qvalues
from .tables import survey_label, survey_subject
from .text import format_percent
from .findings import key_findings as word_findings

__all__ = ["ReportContext", "make_context", "similar_kommuner", "omfattning", "forandring",
           "utveckling", "fordelning_over_aret", "fokusomraden", "jamforelse", "trygghet",
           "atgarder", "sammanfattning", "provenance", "national_tables",
           "notable_crime_types", "rate_history"]

SERIES_BREAK = pd.Period("2015-01", freq="M")


@dataclass(frozen=True)
class ReportContext:
    """Everything a lägesbild for one kommun is computed from.

    Attributes
    ----------
    dataset : Dataset
        The validated data folder.
    kommunkod, kommun, lanskod, lan : str
    year : int
        The report year: the last complete calendar year in the data (or the one asked for).
    similar : tuple of str
        Kommuner of similar size used as the "liknande kommuner" comparison set.
    cache_dir : str or None
        Shared cache of the batch (None when a notebook runs on its own).
    """

    dataset: Dataset
    kommunkod: str
    kommun: str
    lanskod: str
    lan: str
    year: int
    similar: tuple[str, ...]
    cache_dir: str | None = None

    @property
    def data_files(self) -> list[Path]:
        return [Path(self.dataset.path) / p for p in self.dataset.files]

    @property
    def crimes(self) -> pd.DataFrame:
        return self.dataset.crimes

    @property
    def population(self) -> pd.DataFrame:
        return self.dataset.population


def similar_kommuner(kommunkod: str, *, n: int = 10) -> list[str]:
    """The ``n`` kommuner closest in (log) population, excluding the kommun itself.

    A transparent default for "liknande kommuner"; pass your own list (e.g. a Kolada
    kommungruppering) where one exists.

    Examples
    --------
    >>> similar_kommuner("1760", n=3)
    ['2417', '1762', '0512']
    """
    reg = municipalities()
    code = normalize_code(kommunkod)
    logpop = np.log(reg.set_index("kommunkod")["population"].astype(float))
    dist = (logpop - logpop[code]).abs().drop(code)
    return list(dist.sort_values(kind="stable").index[:n])


def _load(data_dir: str | Path, cache_dir: str | None) -> Dataset:
    return shared_artifact("dataset", lambda: load_dataset(data_dir), cache_dir=cache_dir,
                           data_files=[data_dir])


def make_context(data_dir: str | Path, kommunkod: str, *, year: int | None = None,
                 similar: Sequence[str] | None = None, n_similar: int = 10,
                 cache_dir: str | None = None) -> ReportContext:
    """Load (or take from the batch cache) the data and fix what the report is about.

    Raises
    ------
    ValueError
        If the kommun has no crime data, or ``year`` is not a complete year in the data.
    """
    code = normalize_code(kommunkod)
    ds = _load(data_dir, cache_dir)
    mine = ds.crimes[ds.crimes["kommunkod"] == code]
    if mine.empty:
        raise ValueError(f"kommun {code} ({name_of(code)}) has no rows in {data_dir}/crimes.csv")
    months = mine["period"]
    full_years = [y for y, g in months.groupby(months.dt.year) if g.dt.month.nunique() == 12]
    if year is None:
        if not full_years:
            raise ValueError(f"no complete calendar year of crime data for {code}")
        year = int(max(full_years))
    elif int(year) not in full_years:
        raise ValueError(f"year {year} is not a complete year in the data for {code} "
                         f"(complete years: {', '.join(map(str, full_years))})")
    lanskod, lan = lan_of(code)
    peers = tuple(normalize_code(s) for s in similar) if similar else tuple(similar_kommuner(code, n=n_similar))
    return ReportContext(ds, code, name_of(code), lanskod, lan, int(year), peers,
                         str(cache_dir) if cache_dir else None)


def national_tables(ctx: ReportContext) -> dict:
    """Rates for every kommun, län and riket, and funnel data against all kommuner (cached)."""
    def compute() -> dict:
        rates = crime_rates(ctx.crimes, ctx.population, level=["kommun", "lan", "riket"], period="year")
        funnels = {ct: funnel_data(ctx.crimes, ctx.population, crime_type=ct, period=ctx.year,
                                   peers="riket") for ct in CRIME_TYPE_NAMES}
        return {"rates": rates, "funnels": funnels}
    return shared_artifact("national_tables", compute, cache_dir=ctx.cache_dir,
                           data_files=ctx.data_files, key={"year": ctx.year})


def omfattning(ctx: ReportContext) -> pd.DataFrame:
    """Counts and rates per crime type in the report year: kommun, län, riket.

    Returns
    -------
    pandas.DataFrame
        ``crime_type, count, rate, ci_low, ci_high, small_numbers, rate_lan, rate_riket,
        ratio_riket, verdict_riket, rank, rank_low, rank_high, n_ranked`` (rates per 100 000
        and year; the verdict compares the kommun with the national level allowing for
        overdispersion between kommuner: ``högre``/``lägre``/``ingen säkerställd skillnad``).
    """
    nat = national_tables(ctx)
    r = nat["rates"]
    r = r[r["period"] == str(ctx.year)]
    k = r[(r["level"] == "kommun") & (r["area_code"] == ctx.kommunkod)].set_index("crime_type")
    lan = r[(r["level"] == "lan") & (r["area_code"] == ctx.lanskod)].set_index("crime_type")["estimate"]
    riket = r[r["level"] == "riket"].set_index("crime_type")["estimate"]
    rows = []
    for ct in CRIME_TYPE_NAMES:
        f = nat["funnels"][ct].table
        me = f[f["area_code"] == ctx.kommunkod].iloc[0]
        rows.append({"crime_type": ct, "count": int(k.at[ct, "count"]), "rate": k.at[ct, "estimate"],
                     "ci_low": k.at[ct, "ci_low"], "ci_high": k.at[ct, "ci_high"],
                     "small_numbers": bool(k.at[ct, "small_numbers"]), "rate_lan": lan[ct],
                     "rate_riket": riket[ct], "ratio_riket": k.at[ct, "estimate"] / riket[ct],
                     "verdict_riket": me["verdict"], "rank": int(me["rank"]),
                     "rank_low": int(me["rank_low"]), "rank_high": int(me["rank_high"]),
                     "n_ranked": int(me["n_ranked"])})
    return pd.DataFrame(rows)


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
    """Report year against the year before, per crime type, with the default test and FDR.

    The default method of :func:`analysis.crime.compare_periods` (overdispersion from
    12-month blocks) decides ``verdict``; Benjamini-Hochberg over the 12 crime types gives
    ``q_value`` and ``survives``.
    """
    cmp = compare_periods(ctx.crimes, ctx.population, period1=ctx.year - 1, period2=ctx.year,
                          areas=[ctx.kommunkod])
    return add_qvalues(cmp, p_col="p_value")


def utveckling(ctx: ReportContext) -> pd.DataFrame:
    """Annual percent change per crime type over the whole series (from 2015, the series break)."""
    res = trend(ctx.crimes, ctx.population, areas=[ctx.kommunkod],
                start=max(SERIES_BREAK, ctx.crimes["period"].min()), end=pd.Period(f"{ctx.year}-12", "M"))
    return add_qvalues(res.table, p_col="p_value")


def fordelning_over_aret(ctx: ReportContext) -> pd.DataFrame:
    """Seasonality profile: which months are high, per crime type (kommun, whole series)."""
    return seasonality_profile(ctx.crimes, ctx.population, areas=[ctx.kommunkod])


def jamforelse(ctx: ReportContext, crime_type: str, *, peers: str = "liknande"):
    """Funnel data for one crime type in the report year, against riket or similar kommuner."""
    if peers == "riket":
        return national_tables(ctx)["funnels"][crime_type]
    if peers == "lan":
        return funnel_data(ctx.crimes, ctx.population, crime_type=crime_type, period=ctx.year,
                           peers="lan", focus=ctx.kommunkod)
    return funnel_data(ctx.crimes, ctx.population, crime_type=crime_type, period=ctx.year,
                       peers=list(ctx.similar) + [ctx.kommunkod], focus=ctx.kommunkod)


def fokusomraden(ctx: ReportContext, changes: pd.DataFrame, survey: dict | None) -> pd.DataFrame:
    """One row per focus area: its crime types' change and its survey indicators' levels."""
    rows = []
    for area, spec in FOCUS_AREAS.items():
        ch = changes[changes["crime_type"].isin(spec["crime_types"])]
        crimes_text = "; ".join(f"{r.crime_type}: {r.x1} → {r.x2} ({r.verdict})" for r in ch.itertuples()) or "–"
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
    respondents); no respondent-level row leaves this function.
    """
    from ..survey.calibration import wave_design
    from ..survey.compare import compare_years
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
        out["change"] = pd.concat(changes, ignore_index=True)
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
        caveats`` (caveat codes of :class:`analysis.evaluation.Verdict`, ``;``-joined);
        ``verdict`` is ``ej bedömbar`` with the reason in ``caveats`` when the data do not
        allow an evaluation.
    """
    ds = ctx.dataset
    if ds.measures is None:
        return pd.DataFrame(), pd.DataFrame()
    mine = ds.measures[ds.measures["kommunkod"] == ctx.kommunkod].reset_index(drop=True)
    if not evaluate or mine.empty:
        return mine, pd.DataFrame()
    from ..evaluation import evaluate_measure

    rows = []
    for m in mine.itertuples():
        targets = "" if pd.isna(m.target_crime_types) else str(m.target_crime_types)
        base = {"measure_id": m.measure_id, "name": m.name, "crime_types": targets.replace(";", ", ")}
        ev = evaluate_measure(ds, m.measure_id)
        v = ev.verdict
        if v is None:
            why = ("åtgärden har inga brottstyper att följa upp; följ upp dess indikator, t.ex. i "
                   "trygghetsundersökningen" if not targets else "")
            rows.append({**base, "verdict": "ej bedömbar", "reliable": False,
                         "caveats": "not_evaluable", "note": why})
            continue
        rows.append({**base, "rate_ratio": v.rate_ratio, "ci_low": v.ci_low, "ci_high": v.ci_high,
                     "p_value": v.p_value, "prevented": v.prevented, "verdict": v.verdict,
                     "reliable": v.reliable, "caveats": ";".join(v.caveats["code"]), "note": ""})
    return mine, pd.DataFrame(rows)


def sammanfattning(ctx: ReportContext, changes: pd.DataFrame, trends: pd.DataFrame,
                   levels: pd.DataFrame, survey: dict | None, *, n_max: int = 8, max_levels: int = 3):
    """The 5–8 key findings, most important first, worded by :mod:`analysis.report.text`.

    Candidates: the change since last year per crime type (default test, FDR over the 12
    types), the trend since 2015 where it is significant, up to ``max_levels`` crime types
    whose level differs from riket beyond the overdispersed funnel limits, and the main
    survey indicator. Small-number changes are used only when nothing else fills the list.
    """
    rows = []
    for r in changes.itertuples():
        rows.append({"topic": "brott", "crime_type": r.crime_type, "measure": "rate_ratio",
                     "estimate": r.rate_ratio, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "verdict": r.verdict, "q_value": r.q_value, "survives_fdr": r.survives,
                     "x1": r.x1, "x2": r.x2, "period1": str(ctx.year - 1), "period2": str(ctx.year),
                     "small_numbers": r.small_numbers, "importance": 0.5 if r.small_numbers else 2.0})
    for r in trends.itertuples():
        if r.verdict in ("ökning", "minskning") and r.survives and r.reliable:
            rows.append({"topic": "utveckling", "measure": "relative_change",
                         "subject": f"{_crime_subject_capitalised(r.crime_type)}, räknat per år,",
                         "estimate": r.estimate / 100, "ci_low": r.ci_low / 100,
                         "ci_high": r.ci_high / 100, "verdict": r.verdict, "q_value": r.q_value,
                         "survives_fdr": True, "period1": str(r.start)[:4], "period2": str(r.end)[:4],
                         "importance": 1.6})
    # levels against riket: the interval allows for overdispersion between kommuner, as the
    # funnel's verdict does, so the two never disagree
    funnels = national_tables(ctx)["funnels"]
    level_rows = []
    for r in levels.itertuples():
        f = funnels[r.crime_type].table
        me = f[f["area_code"] == ctx.kommunkod].iloc[0]
        if r.small_numbers or me["verdict"] not in ("högre", "lägre"):
            continue
        se = (me["inner_high"] - me["target_rate"]) / 1.959963984540054
        lo, hi = (me["estimate"] - 1.959963984540054 * se, me["estimate"] + 1.959963984540054 * se)
        level_rows.append({"topic": "jämförelse", "measure": "ratio",
                           "subject": f"{r.crime_type}: antal anmälda brott per 100 000 invånare",
                           "estimate": me["estimate"] / me["target_rate"],
                           "ci_low": max(lo, 0) / me["target_rate"], "ci_high": hi / me["target_rate"],
                           "verdict": me["verdict"], "reference": "riket", "importance": 1.2,
                           "_size": abs(np.log(me["estimate"] / me["target_rate"]))})
    rows += sorted(level_rows, key=lambda d: -d["_size"])[:max_levels]
    if survey is not None:
        main = survey["kommun"].iloc[0]
        if not main["suppressed"]:
            rows.append({"topic": "trygghet", "subject": survey_subject(main["variable"]),
                         "measure": "share", "estimate": main["estimate"], "ci_low": main["ci_low"],
                         "ci_high": main["ci_high"], "period2": str(survey["year"]), "importance": 1.8})
    table = pd.DataFrame(rows).drop(columns="_size", errors="ignore")
    return word_findings(table, n_max=n_max)


def _crime_subject_capitalised(crime_type: str) -> str:
    """"Anmälda cykelstölder" for a crime type (capitalised subject of a sentence)."""
    from .text import crime_subject

    text = crime_subject(crime_type)
    return text[0].upper() + text[1:]


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
    shown = {k: v for k, v in parameters.items() if k != "data_dir"}
    rows.append({"Uppgift": "Parametrar",
                 "Värde": ", ".join(f"{k} = {v}" for k, v in shown.items()) + f" (rapportår {ctx.year})"})
    rows.append({"Uppgift": "Framtaget",
                 "Värde": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")})
    return pd.DataFrame(rows)
