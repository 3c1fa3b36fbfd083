"""A measure's survey indicators, wave by wave, in its area and in the whole kommun.

Many measures (lighting, traffic calming, youth workers) name survey indicators rather than, or
as well as, crime types (the registry's ``indicator`` column, e.g. ``problem_belysning;
otrygg_kvall``). :func:`indicator_followup` estimates those indicators for every survey wave of
the kommun, in the measure's area and in the kommun as a whole, with the design-based estimators
of :mod:`analysis.survey` (raked to the population margins when the data have them). It is a
description, not an effect estimate: a change in one area from one wave to the next also carries
the kommun's own development and sampling noise, which the table lets the reader compare. Only
aggregates leave this module (shares, intervals, respondent counts, the small-number rule).
"""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ._inputs import measure_spec

__all__ = ["indicator_followup"]

COLUMNS = ["year", "period", "group", "area", "variable", "item", "label", "estimate", "ci_low",
           "ci_high", "ci_level", "n", "suppressed", "suppressed_reason"]


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
    from ..survey.indicators import indicator_table, indicators_from_catalogue

    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        from ..io import load_dataset

        data = load_dataset(data)
    measures, survey, items = (getattr(data, n, None) for n in ("measures", "survey", "items"))
    if measures is None:
        raise DataError("the data have no measures registry")
    spec = measure_spec(measures, measure_id)
    empty = pd.DataFrame(columns=COLUMNS)
    if survey is None or items is None:
        return empty
    defs = [d for d in indicators_from_catalogue(items) if d.item in spec.indicators]
    sv = survey.loc[survey["kommunkod"] == spec.kommunkod]
    if not defs or sv.empty:
        return empty
    area = spec.area if spec.area in set(sv["area"].astype(str)) else None
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
