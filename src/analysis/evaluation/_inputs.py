"""Where a measure's data come from: a data directory, a loaded dataset or plain frames.

Resolves the inputs of :func:`analysis.evaluation.evaluate_measure` into the crimes,
population and measures frames, looks a measure up in the registry, and builds the treated
series and the donor pool (kommuner without a measure on the same crime types).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ._series import build_panel, monthly_series, parse_crime_types, to_period

__all__ = ["Inputs", "resolve_inputs", "MeasureSpec", "measure_spec", "donor_frame",
           "load_measure_data"]


@dataclass(frozen=True)
class Inputs:
    crimes: pd.DataFrame
    population: pd.DataFrame
    measures: pd.DataFrame
    synthetic: bool | None = None


def resolve_inputs(data) -> Inputs:
    """Accept a data directory, an object with ``crimes/population/measures`` attributes
    (``analysis.io.load_dataset(...)``, ``analysis.sample.generate(...)``) or a mapping."""
    if isinstance(data, (str, Path)):
        from ..io import load_dataset  # imported here: io is only needed for directories

        data = load_dataset(data)
    if isinstance(data, Mapping):
        get = data.get
    else:
        def get(name, default=None):
            return getattr(data, name, default)
    crimes, population, measures = get("crimes"), get("population"), get("measures")
    missing = [n for n, v in (("crimes", crimes), ("population", population),
                              ("measures", measures)) if v is None]
    if missing:
        raise DataError(f"the data have no {', '.join(missing)} frame(s); an evaluation needs "
                        "crimes, population and the measures registry")
    synthetic = get("synthetic", None)
    if synthetic is None and get("truth", None) is not None:
        synthetic = True
    return Inputs(crimes, population, measures, synthetic)


def load_measure_data(data_dir, measure_id: str, *, survey: bool = True):
    """The data one measure's evaluation reads: a :class:`~analysis.io.Dataset` without the rest.

    The evaluation draft (notebooks/utvardering.py) needs every kommun's crimes and population
    (donors, comparisons), the measures registry and, when the measure names an indicator of
    the item catalogue, the survey of its län (the indicators in the kommun; without an area,
    their effect against the län's other kommuner) with the items and margins. Incidents and
    Brå's annual series are not read, nor other län's respondents: reading and checking the
    whole survey was most of a draft's time. The crimes, population and registry are read once
    per process (:func:`analysis.io.load_dataset_shared`, memory only): a batch worker reads
    them before forking and every measure's draft inherits them.

    Parameters
    ----------
    data_dir : str or Path
        A data folder (docs/data-model.md).
    measure_id : str
        Id in the folder's measures registry.
    survey : bool, default True
        False: not the survey either (``survey``, ``items`` and ``margins`` are None), for a
        caller that needs only the crimes, such as the evaluation draft, whose survey
        section (:func:`~analysis.evaluation.shared_indicators` given the folder) reads the
        län's survey only when it computes, and not when a batch's spare core has computed
        it already. When the crimes or population have problems, the survey's are raised
        with them all the same.

    Returns
    -------
    analysis.io.Dataset
        As :func:`analysis.io.load_dataset`; ``survey`` holds the län's respondents only
        (``survey.attrs['only_kommuner']``) and ``files`` lists the files read.

    Raises
    ------
    DataError
        A registry or item catalogue that cannot be read, a measure not in the registry, or the
        problems of the files read.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.sample import write_sample
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_sample(folder, kommuner=["2181", "2180"])
    >>> ds = load_measure_data(folder, "M2181-02")
    >>> sorted(ds.survey["kommunkod"].unique()), ds.incidents is None
    (['2180', '2181'], True)
    >>> load_measure_data(folder, "M2181-02", survey=False).survey is None
    True
    """
    from ..io import load_dataset, load_dataset_shared, with_survey
    from ..io.survey_files import read_items
    from ..io.tidy import read_measures
    from ..municipalities import lan_of, municipalities

    root = Path(data_dir)
    registry = next((root / n for n in ("measures.csv", "measures.yaml", "measures.yml")
                     if (root / n).is_file()), None)
    if registry is None:  # load_dataset and the evaluation say what is missing
        return load_dataset(root, kinds=("measures",))
    spec = measure_spec(read_measures(registry), measure_id)

    def kinds() -> list[str]:
        if spec.indicators and (root / "survey.csv").is_file() and (root / "items.csv").is_file():
            try:
                named = set(spec.indicators) & set(read_items(root / "items.csv")["item"])
            except DataError:
                named = {"?"}  # load_dataset reports the catalogue's problems
            if named:
                return ["measures", "survey"]
        return ["measures"]

    reg = municipalities()
    lan = set(reg.loc[reg["lanskod"] == lan_of(spec.kommunkod)[0], "kommunkod"])
    try:  # every measure shares the crimes and population: read once per process
        shared = load_dataset_shared(root, kinds=("measures",))
    except DataError:  # every file's problems together, the survey's included (survey=False too)
        return load_dataset(root, kinds=kinds(), survey_kommuner=lan)
    return with_survey(shared, survey_kommuner=lan) if survey and "survey" in kinds() else shared


@dataclass(frozen=True)
class MeasureSpec:
    measure_id: str
    kommunkod: str
    name: str
    start: pd.Period
    end: pd.Period | None
    crime_types: tuple[str, ...]
    description: str
    focus_area: str
    area: str | None = None
    indicators: tuple[str, ...] = ()  # the ``indicator`` column's ``;``-separated entries


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def measure_spec(measures: pd.DataFrame, measure_id: str) -> MeasureSpec:
    """The registry row of ``measure_id`` as a spec; :class:`DataError` naming the known ids."""
    rows = measures.loc[measures["measure_id"].astype(str) == str(measure_id)]
    if rows.empty:
        known = ", ".join(sorted(measures["measure_id"].astype(str)))
        raise DataError(f"measure {measure_id!r} is not in the registry (known: {known})")
    r = rows.iloc[0]
    end = r.get("end")
    return MeasureSpec(str(r["measure_id"]), str(r["kommunkod"]), str(r["name"]),
                       to_period(r["start"]), None if pd.isna(end) else to_period(end),
                       parse_crime_types(r.get("target_crime_types")),
                       _text(r.get("description")), str(r.get("focus_area") or ""),
                       _text(r.get("area")) or None,
                       tuple(t.strip() for t in _text(r.get("indicator")).split(";") if t.strip()))


def same_measure_kommuner(measures: pd.DataFrame, spec: MeasureSpec) -> set[str]:
    """Kommuner with a measure on any of the same crime types (never donors or comparisons)."""
    out = set()
    for _, r in measures.iterrows():
        if set(parse_crime_types(r.get("target_crime_types"))) & set(spec.crime_types):
            out.add(str(r["kommunkod"]))
    out.discard(spec.kommunkod)
    return out


def donor_frame(inputs: Inputs, spec: MeasureSpec, *, exclude=(), panel=None) -> pd.DataFrame:
    """Long ``kommunkod, period, count, population, exposure`` of every kommun that can be a donor."""
    if panel is None:
        panel = build_panel(inputs.crimes, inputs.population, crime_types=spec.crime_types)
    skip = set(exclude) | {spec.kommunkod}
    keep = [i for i, c in enumerate(panel.codes) if c not in skip]
    n = len(panel.periods)
    return pd.DataFrame({
        "kommunkod": pd.Series(np.repeat([panel.codes[i] for i in keep], n), dtype="str"),
        "period": np.tile(panel.periods, len(keep)),
        "count": panel.counts[keep].ravel(),
        "population": panel.population[keep].ravel(),
        "exposure": panel.exposure[keep].ravel(),
    })


def treated_series(inputs: Inputs, spec: MeasureSpec) -> pd.DataFrame:
    return monthly_series(inputs.crimes, inputs.population, kommunkod=spec.kommunkod,
                          crime_types=spec.crime_types)
