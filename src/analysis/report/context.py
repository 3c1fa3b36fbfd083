"""What a lägesbild is about: the kommun, the report year, its comparison group and its data.

:func:`make_context` reads the data folder (once per process, in memory only:
:func:`analysis.io.load_dataset_shared`; nothing respondent-level is written to a cache) and
fixes the kommun, year and "liknande kommuner" (the kommun's SKR kommungrupp);
:func:`national_tables` computes the rates and funnels against all kommuner once per batch
(:func:`analysis.cache.shared_artifact`, aggregates only). :func:`preload` does both in a
batch worker before it forks its reports. The sections of :mod:`analysis.report.content` take
the :class:`ReportContext`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..cache import shared_artifact
from ..crime import crime_rates, funnel_data
from ..crime.panel import MonthlyPanel, as_panel
from ..crime.funnel import FunnelResult
from ..crime_types import CRIME_TYPE_NAMES
from ..errors import DataError
from ..io import Dataset, load_dataset_shared
from ..paths import DEFAULT_DATA_DIR, resolve_data_dir
from ..municipalities import kommungrupper, lan_of, municipalities, name_of, normalize_code

__all__ = ["ReportContext", "make_context", "similar_kommuner", "comparison_group_name",
           "national_tables", "preload", "draft_power", "DRAFT_POWER_SIMULATIONS"]

#: ``n_sim`` of the power section of an evaluation draft (notebooks/utvardering.py calls
#: ``shared_power(..., n_sim=200)``): the value :func:`draft_power` computes ahead.
DRAFT_POWER_SIMULATIONS = 200


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
        The "liknande kommuner" comparison set: the kommun's SKR kommungrupp by default
        (:func:`similar_kommuner`), or the user's own list.
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

    @cached_property
    def peer_panel(self) -> MonthlyPanel | None:
        """Monthly panel of the kommun, its län and its comparison group, every crime type.

        Built once per context for the funnels of the report (a funnel per crime type and
        reference would otherwise build and check its own panel from the whole crimes frame);
        the same counts and person-years, so the same funnels. ``None`` when the kommuner
        cannot be put in one panel (e.g. a year without population that only one crime
        type needs): each funnel then builds its own, with its own error. The context's
        frames are read, never changed: make a new context for other data.
        """
        lanskod = municipalities().set_index("kommunkod")["lanskod"]
        units = set(lanskod.index[lanskod == self.lanskod]) | set(self.similar) | {self.kommunkod}
        crimes = self.crimes
        try:
            return as_panel(crimes[crimes["kommunkod"].astype(str).isin(units)], self.population)
        except DataError:
            return None


def similar_kommuner(kommunkod: str, *, n: int | None = None, min_size: int = 5) -> list[str]:
    """"Liknande kommuner": the kommun's SKR kommungrupp (2023), optionally narrowed by size.

    Parameters
    ----------
    kommunkod : str
        The kommun.
    n : int, optional
        Keep only the ``n`` members closest in (log) population. Default: the whole group.
    min_size : int
        A group with fewer other members than this (A1, the three big cities) is widened to
        its huvudgrupp, so that the comparison has enough kommuner to estimate a spread.

    Returns
    -------
    list of str
        Kommunkoder (the kommun itself excluded), nearest in population first. Pass your own
        list to :func:`make_context` (``similar=``) to use another comparison group.

    Examples
    --------
    >>> similar_kommuner("1760", n=3)
    ['0512', '1904', '1864']
    >>> len(similar_kommuner("2181")), len(similar_kommuner("0180"))
    (23, 45)
    """
    code = normalize_code(kommunkod)
    groups = kommungrupper().set_index("kommunkod")
    pop = municipalities().set_index("kommunkod")["population"].astype(float)
    mine = groups.loc[code]
    members = groups.index[groups["kommungrupp_kod"] == mine["kommungrupp_kod"]].drop(code)
    if len(members) < min_size:
        members = groups.index[groups["huvudgrupp"] == mine["huvudgrupp"]].drop(code)
    dist = (np.log(pop[members]) - np.log(pop[code])).abs().sort_values(kind="stable")
    return list(dist.index[:n] if n is not None else dist.index)


def comparison_group_name(kommunkod: str, similar: Sequence[str]) -> str:
    """What the "liknande kommuner" of a kommun are, in words (SKR group or the user's list).

    Examples
    --------
    >>> comparison_group_name("2181", similar_kommuner("2181"))
    'kommungruppen Lågpendlingskommun nära större stad enligt SKR:s kommungruppsindelning 2023'
    """
    groups = kommungrupper().set_index("kommunkod")
    code = normalize_code(kommunkod)
    g = groups.loc[code]
    same = groups.index[groups["kommungrupp_kod"] == g["kommungrupp_kod"]].drop(code)
    main = groups.index[groups["huvudgrupp"] == g["huvudgrupp"]].drop(code)
    chosen = set(similar)
    if chosen == set(same):
        return f"kommungruppen {g['kommungrupp']} enligt SKR:s kommungruppsindelning 2023"
    if chosen == set(main):
        return f"huvudgruppen {g['huvudgrupp']} enligt SKR:s kommungruppsindelning 2023"
    if chosen < set(same):
        return (f"de {len(chosen)} kommuner i kommungruppen {g['kommungrupp']} (SKR 2023) som "
                "ligger närmast i folkmängd")
    return "en egen jämförelsegrupp"


def _load(data_dir: str | Path, cache_dir: str | None) -> Dataset:
    # Never through the batch cache: the data set holds survey microdata. Read once per
    # process (memory only); a batch worker reads it before forking, its reports inherit it.
    return load_dataset_shared(data_dir)


def make_context(data_dir: str | Path, kommunkod: str, *, year: int | None = None,
                 similar: Sequence[str] | None = None, n_similar: int | None = None,
                 cache_dir: str | None = None) -> ReportContext:
    """Load the data (once per process, in memory) and fix what the report is about.

    The folder is read by :func:`analysis.io.load_dataset_shared`: a second context for the
    same folder in the same process (another kommun, or a batch report forked from a worker
    that ran :func:`preload`) reads nothing, unless a file of the folder has changed since.

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
    if similar:
        peers = tuple(dict.fromkeys(normalize_code(s) for s in similar if normalize_code(s) != code))
        if len(peers) < 3:
            raise ValueError(f"a comparison group needs at least 3 other kommuner, got {len(peers)}")
    else:
        peers = tuple(similar_kommuner(code, n=n_similar))
    return ReportContext(ds, code, name_of(code), lanskod, lan, int(year), peers,
                         str(cache_dir) if cache_dir else None)


def national_tables(ctx: ReportContext) -> dict:
    """Rates for every kommun, for each län and riket the data cover in full, and funnel data
    against all kommuner when the data hold all 290 (cached; :mod:`analysis.report.coverage`).

    A län or riket with kommuner missing from the data gets no rate (a sum over part of its
    kommuner is not its level) and ``funnels`` is empty without all 290 kommuner.
    """
    def compute() -> dict:
        m = municipalities()
        have = set(ctx.crimes["kommunkod"].unique())
        rates = [crime_rates(ctx.crimes, ctx.population, level="kommun", period="year")]
        full_lan = [l for l, g in m.groupby("lanskod") if set(g["kommunkod"]) <= have]
        if full_lan:
            in_full = ctx.crimes["kommunkod"].isin(m.loc[m["lanskod"].isin(full_lan), "kommunkod"])
            rates.append(crime_rates(ctx.crimes[in_full], ctx.population, level="lan", period="year"))
        riket = set(m["kommunkod"]) <= have
        if riket:
            rates.append(crime_rates(ctx.crimes, ctx.population, level="riket", period="year"))
        funnels = {ct: funnel_data(ctx.crimes, ctx.population, crime_type=ct, period=ctx.year,
                                   peers="riket") for ct in CRIME_TYPE_NAMES} if riket else {}
        return {"rates": pd.concat(rates, ignore_index=True), "funnels": funnels}
    return shared_artifact("national_tables", compute, cache_dir=ctx.cache_dir,
                           data_files=ctx.data_files,
                           key={"year": ctx.year, "funnel": "exact tails, additive (issue 11)",
                                "levels": "covered län and riket only"},
                           types=(FunnelResult,))


def preload(params: dict) -> dict:
    """Read and compute, before a batch worker forks, what every report of the batch shares.

    Called by the batch runner's warm worker with the parameters of the batch's first report
    (``data_dir``, ``kommunkod``, ``year``, ``shared_cache_dir``; others are ignored): it reads
    the data folder (:func:`make_context`, in memory only) and the national tables
    (:func:`national_tables`, through the batch cache). Every report forked afterwards inherits
    both and reads neither again. For an evaluation draft (``measure_id`` without
    ``kommunkod``) it reads what :func:`analysis.evaluation.load_measure_data` shares between
    measures: every kommun's crimes and population and the registry. When the batch has
    fewer drafts than the jobs asked for (``spare_jobs``, set by the runner) and a batch
    cache, the result also asks the worker to run :func:`draft_sections` in the background
    (``"background"``): the draft's power simulation and survey indicators on the idle core,
    while the draft evaluates the measure and draws its figures. Nothing here is needed for
    correctness: a report whose parameters differ computes what it needs itself.

    Parameters
    ----------
    params : dict
        A report's notebook parameters.

    Returns
    -------
    dict
        What was prepared: ``{"data_dir": str, "national_tables": bool}``, and
        ``"background": {"function": ..., "params": ...}`` for the worker to run beside
        the reports (an evaluation batch with spare jobs).

    Raises
    ------
    Exception
        Whatever reading the data raises (the worker logs it; each report then meets the
        same error itself, in its own cell).

    Examples
    --------
    >>> import tempfile
    >>> from analysis.sample import write_sample
    >>> folder = Path(tempfile.mkdtemp()) / "data"
    >>> _ = write_sample(folder, kommuner=["1760"])
    >>> preload({"data_dir": str(folder), "kommunkod": "1760", "year": 0})
    {'data_dir': '...', 'national_tables': False}
    """
    data_dir = resolve_data_dir(params.get("data_dir") or DEFAULT_DATA_DIR,
                                write_sample_if_missing=False)
    cache_dir = params.get("shared_cache_dir") or None
    code = params.get("kommunkod")
    if not code and params.get("measure_id"):  # an evaluation draft (notebooks/utvardering.py)
        load_dataset_shared(data_dir, kinds=("measures",))  # as load_measure_data reads them
        done = {"data_dir": str(data_dir), "national_tables": False}
        if int(params.get("spare_jobs") or 0) > 0 and cache_dir is not None:
            done["background"] = {"function": f"{__name__}.draft_sections", "params": {
                "data_dir": str(data_dir), "measure_id": str(params["measure_id"]),
                "shared_cache_dir": str(cache_dir)}}
        return done
    if not code:
        load_dataset_shared(data_dir)
        return {"data_dir": str(data_dir), "national_tables": False}
    ctx = make_context(data_dir, str(code), year=params.get("year") or None, cache_dir=cache_dir)
    if cache_dir is not None:  # without a batch cache nothing outlives the call
        national_tables(ctx)
    return {"data_dir": str(data_dir), "national_tables": cache_dir is not None}


def _draft_measure(params: dict):
    """(the shared crimes, population and registry; the measure id; its registry entry)."""
    from ..evaluation._inputs import measure_spec

    ds = load_dataset_shared(params["data_dir"], kinds=("measures",))
    measure_id = str(params["measure_id"])
    return ds, measure_id, measure_spec(ds.measures, measure_id)


def draft_power(params: dict) -> dict:
    """The power section of an evaluation draft, computed into the batch cache ahead of it.

    Run by the batch worker in a background process (:mod:`analysis.batch.background`) when
    :func:`preload` asks for it: the same
    :func:`~analysis.evaluation.shared_power` call as notebooks/utvardering.py's first cell
    (``n_sim`` :data:`DRAFT_POWER_SIMULATIONS`), on the crimes, population and registry the
    worker has read. The draft reads the entry, or waits on its lock while this computes;
    if the draft took the lock first, this reads what the draft wrote.

    Parameters
    ----------
    params : dict
        ``data_dir``, ``measure_id``, ``shared_cache_dir``.

    Returns
    -------
    dict
        ``{"measure_id": str, "computed": bool}``; not computed (with ``"why"``) when the
        measure names no crime types or its history is too short for a power simulation:
        the draft then has no power section or meets the same error in its own cell.
    """
    from ..evaluation import shared_power

    ds, measure_id, spec = _draft_measure(params)
    if not spec.crime_types:
        return {"measure_id": measure_id, "computed": False, "why": "no crime types"}
    try:
        shared_power(ds, measure_id, n_sim=DRAFT_POWER_SIMULATIONS,
                     cache_dir=params["shared_cache_dir"])
    except ValueError as exc:  # e.g. under 24 months of history: not evaluable either
        return {"measure_id": measure_id, "computed": False, "why": str(exc)}
    return {"measure_id": measure_id, "computed": True}


def draft_sections(params: dict) -> dict:
    """What an evaluation draft can have computed ahead of it on a spare core: its power
    section (:func:`draft_power`), then its survey-indicator section
    (:func:`~analysis.evaluation.shared_indicators` on the län's survey, which this process
    reads itself). Run by the batch worker in a background process when :func:`preload` asks
    for it; the draft reads each entry, or waits on its lock while it is computed, or
    computes it itself if it got there first.

    Parameters
    ----------
    params : dict
        ``data_dir``, ``measure_id``, ``shared_cache_dir``.

    Returns
    -------
    dict
        ``{"measure_id": str, "power": dict, "indicators": bool}`` (what was computed).
    """
    from ..evaluation import shared_indicators

    done = {"measure_id": str(params["measure_id"]), "power": draft_power(params)}
    _, _, spec = _draft_measure(params)
    done["indicators"] = bool(spec.indicators)
    if spec.indicators:  # as the draft's cell: the folder, whose län survey is read here
        shared_indicators(Path(params["data_dir"]), str(params["measure_id"]),
                          cache_dir=params["shared_cache_dir"])
    return done
