"""The total of reported crime per inhabitant, ranked among all 290 kommuner and within the län.

Answers "are we really number six in the country?" with the rank and the interval of ranks the
kommun could plausibly hold, from :func:`analysis.crime.funnel.funnel_data` (its rank machinery,
not a copy). Brå's total ``Samtliga brott`` is used when the data carry it; otherwise the total
is the sum of the crime types present, and the output says so. Next in the flow:
:mod:`analysis.report.analysis` words it.
"""

from __future__ import annotations

import pandas as pd

from ..crime_types import AGGREGATES, TOTAL_CRIME_TYPE, drop_nested
from ..errors import DataError
from ..municipalities import lan_of, municipalities
from .funnel import MIN_UNITS, funnel_data

__all__ = ["TOTAL_NAME", "total_crimes", "total_crime_rank"]

#: Brå's name of the total.
TOTAL_NAME = TOTAL_CRIME_TYPE

#: Fewest kommuner in a län for a rank within it: the funnel's minimum for an overdispersion.
MIN_LAN_KOMMUNER = MIN_UNITS


def total_crimes(crimes: pd.DataFrame) -> tuple[pd.DataFrame, str, str]:
    """The monthly total per kommun: Brå's ``Samtliga brott`` if present, else a sum.

    The sum takes each category present once: subcategories ("Misshandel utomhus") and types
    whose chapter is also present are left out, so nothing is counted twice; the aggregates
    (Våldsbrott, Mängdbrott) are left out too.

    Returns
    -------
    (frame, crime_type, source)
        A crimes frame with one series per kommun, the ``crime_type`` it carries, and a
        sentence saying where the total comes from (for the report).

    Examples
    --------
    >>> c = pd.DataFrame({"kommunkod": "1760", "period": pd.period_range("2024-01", periods=2, freq="M").repeat(2),
    ...                   "crime_type": ["Cykelstöld", "Olaga hot"] * 2, "count": [1, 2, 3, 4]})
    >>> frame, name, source = total_crimes(c)
    >>> frame["count"].tolist(), name
    ([3, 7], 'Summa av 2 brottstyper')
    """
    if crimes["crime_type"].eq(TOTAL_NAME).any():  # not set(column): 1 M rows one by one
        out = crimes[crimes["crime_type"] == TOTAL_NAME]
        return out.reset_index(drop=True), TOTAL_NAME, "Brå:s samtliga anmälda brott"
    present = set(crimes["crime_type"].unique()) - set(AGGREGATES)
    # a category whose parent chapter (or type) is also present is inside it: count it once
    types = sorted(drop_nested(present))
    base = crimes[crimes["crime_type"].isin(types)]
    if not types:
        raise DataError("the crimes frame has no crime type to add up to a total")
    name = f"Summa av {len(types)} brottstyper"
    out = (base.groupby(["kommunkod", "period"], as_index=False, observed=True)["count"].sum()
           .assign(crime_type=name))
    cols = ["kommunkod", "period", "crime_type", "count"]
    if "status" in base:  # a month of the sum is preliminary when any of its parts is
        prelim = ((base["status"].astype(str) == "preliminär")
                  .groupby([base["kommunkod"], base["period"]], observed=True).any()
                  .rename("prelim").reset_index())
        out = out.merge(prelim, on=["kommunkod", "period"], how="left")
        out["status"] = out["prelim"].map({True: "preliminär", False: "slutlig"})
        cols.append("status")
    source = (f"Brå:s totala antal anmälda brott finns inte i underlaget; totalen är summan av "
              f"de {len(types)} brottstyper som finns ({', '.join(types)}), inte samtliga brott")
    return out[cols], name, source


def total_crime_rank(crimes: pd.DataFrame, population: pd.DataFrame, *, kommunkod: str,
                     year: int, n_sim: int = 1000, seed: int = 2005) -> pd.DataFrame:
    """Rank of the kommun's total crime rate among all 290 kommuner and within its län.

    Parameters
    ----------
    crimes, population : pandas.DataFrame
        The data model's crimes (all 290 kommuner) and population frames.
    kommunkod : str
    year : int
        A complete year in the data.
    n_sim, seed : int
        Simulations of the rank intervals (passed to :func:`~analysis.crime.funnel.funnel_data`).

    Returns
    -------
    pandas.DataFrame
        Two rows (``scope`` ``riket`` and ``län``; only ``riket`` for a län of fewer than
        :data:`MIN_LAN_KOMMUNER` kommuner, i.e. Gotland, where neither a rank nor the spread
        between kommuner can be estimated): ``crime_type, source, year, count, rate,
        ci_low, ci_high`` (per 100 000 and year, Garwood), ``target_rate`` (the peers' pooled
        rate), ``ratio, ratio_low, ratio_high`` (the kommun's rate over the peers', with the
        interval the verdict used), ``p_value``, ``verdict`` (``högre``/``lägre``/``ingen
        säkerställd skillnad``, the funnel's, overdispersion allowed for), ``rank, rank_low, rank_high`` (1 = highest rate; the 95 %
        interval of plausible ranks), ``rank_from_lowest, rank_from_lowest_low,
        rank_from_lowest_high`` (the same counted from the lowest rate, as "lägst i länet" is
        said), ``n_ranked``.

    Notes
    -----
    The rank intervals are those of :func:`~analysis.crime.funnel.funnel_data`: each kommun's
    true rate is drawn from its Gamma posterior with the peers' overdispersion, and ranked.
    A claim such as "nummer sex i landet" holds only if the whole interval says so.

    Examples
    --------
    >>> from analysis.sample import generate
    >>> s = generate()
    >>> t = total_crime_rank(s.crimes, s.population, kommunkod="2026", year=2024)
    >>> t[["scope", "n_ranked"]].to_dict("list")
    {'scope': ['riket', 'län'], 'n_ranked': [290, 15]}
    >>> bool((t.rank_low <= t["rank"]).all() and (t["rank"] <= t.rank_high).all())
    True
    """
    frame, name, source = total_crimes(crimes)
    # the statistics take only crime types of the vocabulary: a summed total is modelled under
    # the total's name and reported under its own ("Summa av 12 brottstyper")
    frame = frame.assign(crime_type=TOTAL_NAME)
    reg = municipalities()
    in_lan = int((reg["lanskod"] == lan_of(str(kommunkod))[0]).sum())
    scopes = [("riket", "riket")] + ([("län", "lan")] if in_lan >= MIN_LAN_KOMMUNER else [])
    rows = []
    for scope, peers in scopes:
        f = funnel_data(frame, population, crime_type=TOTAL_NAME, period=int(year), peers=peers,
                        focus=str(kommunkod), n_sim=n_sim, seed=seed)
        me = f.table[f.table["is_focus"]].iloc[0]
        n = int(me["n_ranked"])
        rows.append({"scope": scope, "crime_type": name, "source": source, "year": int(year),
                     "count": int(me["count"]), "rate": me["estimate"], "ci_low": me["ci_low"],
                     "ci_high": me["ci_high"], "target_rate": me["target_rate"],
                     "ratio": me["ratio"], "ratio_low": me["ratio_low"],
                     "ratio_high": me["ratio_high"], "p_value": me["p_value"],
                     "verdict": me["verdict"], "rank": int(me["rank"]),
                     "rank_low": int(me["rank_low"]), "rank_high": int(me["rank_high"]),
                     "rank_from_lowest": n + 1 - int(me["rank"]),
                     "rank_from_lowest_low": n + 1 - int(me["rank_high"]),
                     "rank_from_lowest_high": n + 1 - int(me["rank_low"]), "n_ranked": n})
    return pd.DataFrame(rows)
