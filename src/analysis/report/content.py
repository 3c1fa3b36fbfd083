"""What goes into a lägesbild: the tables and findings of each section, from a data folder.

The notebook ``notebooks/lagesbild.py`` calls one function per section and only shows what it
gets back; significance is decided by the statistics modules (their ``verdict`` columns) and
worded by :mod:`analysis.report.text`. Shared computations for all kommuner (rates for län and
riket, funnel data against all 290 kommuner) are made once per batch through
:func:`analysis.cache.shared_artifact`, which stores aggregates only; each report reads the data
folder itself. Survey results leave this module as aggregates only.
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

from ..cache import shared_artifact
from ..crime import compare_periods
from ..crime import crime_rates
from ..crime import seasonality_profile, trend
from ..crime_types import CRIME_TYPE_NAMES, FOCUS_AREAS
from ..crime import funnel_data
from ..crime.funnel import FunnelResult
from ..io import Dataset, load_dataset
from ..municipalities import lan_of, municipalities, name_of, normalize_code
from ..multiplicity import add_qvalues
from .tables import survey_label, survey_subject
from .text import format_percent
from .findings import key_findings as word_findings

__all__ = ["ReportContext", "make_context", "similar_kommuner", "omfattning", "forandring",
           "utveckling", "fordelning_over_aret", "fokusomraden", "jamforelse", "trygghet",
           "atgarder", "sammanfattning", "provenance", "national_tables"]

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
    # Never through the batch cache: the data set holds survey microdata.
    return load_dataset(data_dir)


def make_context(data_dir: str | Path, kommunkod: str, *, year: int | None = None,
                 similar: Sequence[str] | None = None, n_similar: int = 10,
                 cache_dir: str | None = None) -> ReportContext:
    """Load the data (read by each report; never cached) and fix what the report is about.

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
                           data_files=ctx.data_files, key={"year": ctx.year},
                           types=(FunnelResult,))


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
    from ..survey.small_area import fay_herriot

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
    if len(direct) >= 3:
        fh = fay_herriot(direct.assign(se=direct["se"].clip(lower=1e-4)), area="area")
        # the direct estimate of an area below the small-number rule stays hidden here too
        hidden = direct[["area", "suppressed"]].rename(columns={"suppressed": "direct_suppressed"})
        out["small_area"] = fh.table.merge(hidden, on="area", how="left")
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


def provenance(ctx: ReportContext, parameters: dict) -> pd.DataFrame:
    """Data files and their hashes, package versions, parameters and run time, as one table.

    Data files are named relative to the data folder and folders by their name, never by
    their path on this machine.
    """
    rows = [{"typ": "datafil", "namn": str(p), "värde": f"sha256 {h[:16]}…"} for p, h in ctx.dataset.files.items()]
    for pkg in ("lagesbild", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "papermill"):
        try:
            rows.append({"typ": "paket", "namn": pkg, "värde": metadata.version(pkg)})
        except metadata.PackageNotFoundError:
            continue
    rows.append({"typ": "paket", "namn": "python", "värde": platform.python_version()})
    # no machine paths in a draft that is mailed around: the data folder by its name only
    rows += [{"typ": "parameter", "namn": k,
              "värde": (Path(str(v)).name or str(v)) if k.endswith("_dir") else str(v)}
             for k, v in parameters.items()]
    rows.append({"typ": "körning", "namn": "tidpunkt (UTC)",
                 "värde": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")})
    return pd.DataFrame(rows)
