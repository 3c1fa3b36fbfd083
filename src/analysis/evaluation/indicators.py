"""A measure's survey indicators, wave by wave, in its area and in the whole kommun.

Many measures (lighting, traffic calming, youth workers) name survey indicators rather than, or
as well as, crime types (the registry's ``indicator`` column, e.g. ``problem_belysning;
otrygg_kvall``). :func:`indicator_followup` estimates those indicators for every survey wave of
the kommun, in the measure's area and in the kommun as a whole, with the design-based estimators
of :mod:`analysis.survey` (raked to the population margins when the data have them). That table is
a description, not an effect estimate: a change in one area from one wave to the next also carries
the kommun's own development and sampling noise, which the table lets the reader compare.
:func:`indicator_effects` is the effect estimate: a difference-in-differences on the log-odds
scale (:func:`analysis.survey.survey_did`) between the measure's area and the rest of the kommun
(or, without an area, the kommun and the other kommuner of its län), before vs after the start.
Only aggregates leave this module (shares, intervals, respondent counts, the small-number rule).
"""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ._inputs import load_measure_data, measure_spec

__all__ = ["indicator_followup", "indicator_effects", "shared_indicators", "EFFECT_COLUMNS"]

COLUMNS = ["year", "period", "group", "area", "variable", "item", "label", "estimate", "ci_low",
           "ci_high", "ci_level", "n", "suppressed", "suppressed_reason"]


def _measure_survey(data, measure_id: str):
    """The data, the measure, its survey indicators, the kommun's respondents and its area.

    ``defs`` is empty when the measure names no survey indicator or the kommun has no survey.
    """
    from ..survey.indicators import indicators_from_catalogue

    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        from ..io import load_dataset

        data = load_dataset(data)
    measures, survey, items = (getattr(data, n, None) for n in ("measures", "survey", "items"))
    if measures is None:
        raise DataError("the data have no measures registry")
    spec = measure_spec(measures, measure_id)
    if survey is None or items is None:
        return data, spec, [], None, None
    defs = [d for d in indicators_from_catalogue(items) if d.item in spec.indicators]
    sv = survey.loc[survey["kommunkod"] == spec.kommunkod]
    if sv.empty:
        return data, spec, [], sv, None
    area = spec.area if spec.area in set(sv["area"].astype(str)) else None
    return data, spec, defs, sv, area


def indicator_followup(data, measure_id: str) -> pd.DataFrame:
    """Share of each of the measure's survey indicators per wave, in its area and the kommun.

    Parameters
    ----------
    data : dataset
        A loaded dataset or the sample (``survey``, ``items``, ``measures``; ``margins`` used
        when present), or a data directory.
    measure_id : str
        Id in the measures registry.

    Returns
    -------
    pandas.DataFrame
        ``year, period, group, area, variable, item, label, estimate, ci_low, ci_high, ci_level,
        n, suppressed, suppressed_reason``: ``period`` is ``"före"`` for waves in or before the
        start year and ``"efter"`` for later ones; ``group`` is ``"område"`` (the measure's
        area, when it names one the survey knows) or ``"kommunen"``. Empty when the measure
        names no survey indicator or the kommun has no survey.

    Examples
    --------
    >>> from analysis.sample import generate
    >>> t = indicator_followup(generate(kommuner=["2181"]), "M2181-02")
    >>> sorted(t["group"].unique()), sorted(t["period"].unique())
    (['kommunen', 'område'], ['efter', 'före'])
    """
    from ..survey.calibration import wave_design
    from ..survey.indicators import indicator_table

    data, spec, defs, sv, area = _measure_survey(data, measure_id)
    if not defs:
        return pd.DataFrame(columns=COLUMNS)
    margins = getattr(data, "margins", None)
    parts = []
    for year in sorted(sv["year"].unique()):
        design = wave_design(sv, margins, kommunkod=spec.kommunkod, year=year)
        tables = [indicator_table(design, defs).assign(group="kommunen", area="")]
        if area is not None:
            by_area = indicator_table(design, defs, by="area")
            tables.append(by_area.loc[by_area["area"] == area].assign(group="område"))
        t = pd.concat(tables, ignore_index=True)
        t["year"] = int(year)
        t["period"] = "efter" if int(year) > spec.start.year else "före"
        parts.append(t)
    out = pd.concat(parts, ignore_index=True)
    out["item"] = out["variable"].str.removesuffix("_andel")
    return out[COLUMNS].sort_values(["item", "group", "year"], ascending=[True, False, True],
                                    ignore_index=True)


EFFECT_COLUMNS = ["item", "variable", "label", "treated", "comparison", "estimate", "ci_low",
                  "ci_high", "ci_level", "odds_ratio", "or_low", "or_high", "p_value",
                  "q_value", "verdict", "verdict_uncorrected", "n", "before_years",
                  "after_years", "note"]

#: Respondents per group and period below which no effect is estimated (the survey's
#: small-number rule for a share is 50; a change of a difference needs both sides).
MIN_RESPONDENTS = 50


def indicator_effects(data, measure_id: str, *, level: float = 0.95) -> pd.DataFrame:
    """The measure's effect on each of its survey indicators, with its interval.

    A difference-in-differences on the log-odds scale (:func:`analysis.survey.survey_did`):
    the change from the waves before the start to the waves after it in the measure's area,
    minus the same change in the rest of the kommun (without an area: the kommun against the
    other kommuner of its län that have survey data). The verdict is corrected for the number
    of indicators of the measure (Benjamini–Hochberg, one family per measure).

    Parameters
    ----------
    data : dataset
        As :func:`indicator_followup`.
    measure_id : str
        Id in the measures registry.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``item, variable, label, treated, comparison, estimate`` (log
        odds ratio of the DiD), ``ci_low, ci_high, ci_level, odds_ratio, or_low, or_high,
        p_value, q_value, verdict`` (``minskning``/``ökning``/``ingen säkerställd
        förändring``, after the correction), ``verdict_uncorrected, n`` (respondents),
        ``before_years, after_years`` and ``note`` (why an indicator has no estimate). Empty
        when the measure names no survey indicator or the kommun has no survey.

    Notes
    -----
    The estimand is the change in the population-level log odds. The sample generator plants
    shifts on each respondent's log odds given a latent trait, sex and age, so the marginal
    shift the survey sees is 4–18 % smaller than the planted one (docs/survey-statistics.md).

    Examples
    --------
    >>> from analysis.sample import generate
    >>> e = indicator_effects(generate(kommuner=["2181"]), "M2181-02")
    >>> sorted(e["item"]), e["comparison"].iloc[0]
    (['otrygg_kvall', 'problem_belysning'], 'resten av kommunen')
    """
    from ..multiplicity import add_qvalues
    from ..survey.effects import survey_did
    from ..verdicts import NO_CHANGE

    data, spec, defs, sv, area = _measure_survey(data, measure_id)
    if not defs:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    survey = data.survey
    comparison = None
    if area is None:
        from ..municipalities import lan_of

        lan = lan_of(spec.kommunkod)[0]
        others = {c for c in survey["kommunkod"].unique()
                  if c != spec.kommunkod and lan_of(c)[0] == lan}
        comparison = sorted(others)
        sv = survey.loc[survey["kommunkod"].isin([spec.kommunkod, *comparison])]
    margins = getattr(data, "margins", None)
    rows = []
    for d in defs:
        base = {"item": d.item, "variable": d.name, "label": d.label,
                "treated": area if area is not None else "kommunen",
                "comparison": "resten av kommunen" if area is not None
                else "övriga kommuner i länet"}
        if area is None and not comparison:
            rows.append({**base, "note": "ingen jämförelsekommun i länet har en undersökning"})
            continue
        try:
            r = survey_did(sv, d, kommunkod=spec.kommunkod, start=spec.start.to_timestamp(), area=area,
                           comparison=comparison, margins=margins, level=level)
        except (DataError, ValueError) as err:
            rows.append({**base, "note": f"kan inte skattas: {err}"})
            continue
        small = r.waves["n_treated"].min() < MIN_RESPONDENTS if "n_treated" in r.waves else False
        o, olo, ohi = r.odds_ratio
        rows.append({**base, "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "ci_level": r.ci_level, "odds_ratio": o, "or_low": olo, "or_high": ohi,
                     "p_value": r.p_value, "verdict": NO_CHANGE if small else r.verdict,
                     "n": r.n, "before_years": ", ".join(map(str, r.before_years)),
                     "after_years": ", ".join(map(str, r.after_years)),
                     "note": f"färre än {MIN_RESPONDENTS} svarande i åtgärdens område något år"
                     if small else ""})
    out = pd.DataFrame(rows).reindex(columns=EFFECT_COLUMNS)
    tested = out["p_value"].notna()
    out["verdict_uncorrected"] = out["verdict"]
    if tested.any():
        q = add_qvalues(out.loc[tested], p_col="p_value")
        out.loc[tested, "q_value"] = q["q_value"]
        keep = q["survives"] | (q["verdict"] == NO_CHANGE)
        out.loc[tested, "verdict"] = q["verdict"].where(keep, NO_CHANGE)
    return out


_INDICATOR_FILES = ("survey.csv", "items.csv", "margins.csv", "measures.csv", "measures.yaml",
                    "measures.yml")


def shared_indicators(data, measure_id: str, *, cache_dir=None
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """:func:`indicator_followup` and, when it has rows, :func:`indicator_effects`, computed
    once per batch and read by every process that asks.

    The evaluation draft's survey section. Through :func:`analysis.cache.shared_artifact`
    (``"measure_indicators"``, keyed by the measure id, with the folder's survey, item
    catalogue, margins and registry as its data files): the batch worker computes it on a
    spare core while a single draft runs (:func:`analysis.report.context.draft_sections`),
    and the draft reads it. Only the estimates are stored (shares, intervals, respondent
    counts, the small-number rule), never a respondent. Given the folder rather than a
    loaded dataset, the län's survey is read only when the tables must be computed: the
    draft then reads no respondent when the spare core has computed them.

    Parameters
    ----------
    data : Dataset, str or Path
        From :func:`analysis.evaluation.load_measure_data` (the län's survey), or the data
        folder itself (read with :func:`~analysis.evaluation.load_measure_data` when the
        tables are computed); a dataset without a folder (``path``) is simply computed.
    measure_id : str
        Id in the measures registry.
    cache_dir : path or None
        The batch's ``shared_cache_dir``; ``None`` computes.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame or None)
        The follow-up table and the effects (None when the follow-up is empty), equal to
        calling the two functions.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.evaluation import load_measure_data
    >>> from analysis.sample import write_sample
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_sample(folder, kommuner=["2181", "2180", "2182"])
    >>> ds = load_measure_data(folder, "M2181-01")
    >>> followup, effects = shared_indicators(ds, "M2181-01", cache_dir=tempfile.mkdtemp())
    >>> followup.equals(indicator_followup(ds, "M2181-01"))
    True
    >>> shared_indicators(folder, "M2181-01", cache_dir=None)[0].equals(followup)
    True
    """
    from pathlib import Path

    from ..cache import shared_artifact

    def compute() -> tuple:
        loaded = load_measure_data(data, measure_id) if isinstance(data, (str, Path)) else data
        followup = indicator_followup(loaded, measure_id)
        return (followup, None if followup.empty else indicator_effects(loaded, measure_id))

    root = Path(data) if isinstance(data, (str, Path)) else getattr(data, "path", None)
    if cache_dir is None or root is None:
        return compute()
    files = [Path(root) / n for n in _INDICATOR_FILES if (Path(root) / n).is_file()]
    followup, effects = shared_artifact("measure_indicators", compute, cache_dir=cache_dir,
                                        data_files=files, key={"measure_id": str(measure_id)})
    return followup, effects
