"""Per-kommun summary tables: counts and rates per crime type and year.

The quickest honest overview of a data folder, written as one CSV per kommun (for
spreadsheets) and one Markdown file (for people). Rates come from
:func:`analysis.crime.crime_rates` with exact Poisson intervals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from ..store import atomic_write
from ..crime import crime_rates
from ..io import load_dataset
from ..municipalities import name_of, normalize_code
from .text import format_number

__all__ = ["kommun_summary", "write_summaries"]


def kommun_summary(crimes: pd.DataFrame, population: pd.DataFrame, kommunkod: str) -> pd.DataFrame:
    """Counts and rates per 100 000 per crime type and calendar year for one kommun.

    Returns
    -------
    pandas.DataFrame
        Columns ``kommunkod, kommun, crime_type, year, count, rate_per_100000, ci_low, ci_high,
        complete, preliminary, small_numbers``; rates rest on the 31 December population.
    """
    code = normalize_code(kommunkod)
    r = crime_rates(crimes, population, level="kommun", period="year", areas=[code])
    out = pd.DataFrame({
        "kommunkod": code,
        "kommun": name_of(code),
        "crime_type": r["crime_type"],
        "year": r["period"].astype(int),
        "count": r["count"].astype(int),
        "rate_per_100000": r["estimate"].round(1),
        "ci_low": r["ci_low"].round(1),
        "ci_high": r["ci_high"].round(1),
        "complete": r["complete"],
        "preliminary": r["preliminary"],
        "small_numbers": r["small_numbers"],
    })
    return out.sort_values(["crime_type", "year"], ignore_index=True)


def _markdown(table: pd.DataFrame, label: str | None) -> str:
    code, name = table["kommunkod"].iloc[0], table["kommun"].iloc[0]
    lines = [f"# Anmälda brott i {name} ({code}) per år", ""]
    if label:
        lines += [f"**{label}**", ""]
    wide = table.pivot(index="crime_type", columns="year", values="count")
    years = list(wide.columns)
    lines.append("| Brottstyp | " + " | ".join(map(str, years)) + " |")
    lines.append("|---|" + "---:|" * len(years))
    for ctype, row in wide.iterrows():
        lines.append(f"| {ctype} | " + " | ".join(format_number(v, decimals=0) for v in row) + " |")
    last = table[table["year"] == table["year"].max()]
    lines += ["", f"Antal per 100 000 invånare {last['year'].iloc[0]} (95 % konfidensintervall, exakt Poisson):", ""]
    for _, r in last.iterrows():
        note = " (få fall: tolka försiktigt)" if r["small_numbers"] else ""
        lines.append(f"- {r['crime_type']}: {format_number(r['rate_per_100000'], decimals=0)} "
                     f"({format_number(r['ci_low'], decimals=0)}–{format_number(r['ci_high'], decimals=0)}){note}")
    if bool(last["preliminary"].any()):
        lines += ["", "Uppgifterna för det senaste året är preliminära."]
    return "\n".join(lines) + "\n"


def write_summaries(data_dir: str | Path, out_dir: str | Path, *,
                    kommuner: Sequence[str] | None = None) -> list[Path]:
    """Write ``<kod>_<namn>_brott_per_ar.csv`` and ``.md`` per kommun into ``out_dir/summary``.

    Every file made from synthetic data carries the sample label. Files are written
    atomically; the list of written paths is returned.
    """
    ds = load_dataset(data_dir)
    codes = [normalize_code(k) for k in kommuner] if kommuner else sorted(ds.crimes["kommunkod"].unique())
    label = ds.label if ds.synthetic else None
    written = []
    for code in codes:
        table = kommun_summary(ds.crimes, ds.population, code)
        stem = Path(out_dir) / "summary" / f"{code}_{name_of(code)}_brott_per_ar"
        csv = table.assign(data=label or "")
        atomic_write(stem.with_suffix(".csv"), csv.to_csv(index=False))
        atomic_write(stem.with_suffix(".md"), _markdown(table, label))
        written += [stem.with_suffix(".csv"), stem.with_suffix(".md")]
    return written
