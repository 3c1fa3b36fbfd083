"""``lagesbild import``: a folder of raw exports in, a validated data folder out.

Each file is recognised by its content (:mod:`analysis.io.recognise`), read by its format's
reader, converted to the tidy model and validated; then the files are checked against each
other (crimes vs population, survey vs items and margins, measures vs the crime series, Brå's
published rates vs the population). The data folder that ``reports``, ``evaluate`` and
:func:`analysis.io.load_dataset` read is written with a manifest (``IMPORT.json``) of sources,
formats, hashes, conversions and refusals. Per-file reading: :mod:`analysis.io.readers`.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..problems import GroupedProblems, format_count
from ..store import file_sha256
from .dataset import load_dataset
from .readers import ReadFile, conversion_lines, read_export

__all__ = ["import_exports", "ImportResult", "cross_check", "bra_rate_check"]

_ORDER = ("crimes", "crimes_annual", "population", "items", "margins", "survey", "measures")
_FILES = {"crimes": "crimes.csv", "crimes_annual": "crimes_annual.csv",
          "population": "population.csv", "survey": "survey.csv", "items": "items.csv",
          "margins": "margins.csv", "measures": "measures.csv"}


@dataclass
class ImportResult:
    """What :func:`import_exports` did.

    Attributes
    ----------
    ok : bool
        The data folder was written and reads back with :func:`analysis.io.load_dataset`.
    out : pathlib.Path
    files : list of ReadFile
        Every input file: format, kind, rows, conversions, refusal.
    problems : list of str
        Cross-file problems and refusals, grouped, one line each.
    warnings : list of str
        Things worth knowing that do not stop the import (Brå rates that do not match, …).
    manifest : dict
        What ``IMPORT.json`` holds.
    """

    ok: bool
    out: Path
    files: list[ReadFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)

    def render(self) -> str:
        """Text for the terminal."""
        lines = [("OK: wrote " if self.ok else "NOT OK: no data folder written to ") + str(self.out)]
        for f in self.files:
            what = f"{f.format} → {f.kind}, {format_count(f.rows)} rows" if f.ok else "REFUSED"
            lines.append(f"  {Path(f.file).name}: {what}")
            lines += [f"      {ln}" for ln in conversion_lines(f.conversions, f.refused, limit=8,
                                                              more=" (IMPORT.json)")]
            lines += [f"      {ln}" for ln in f.problems]
        if self.problems:
            lines.append("Problems across files:" if self.ok or self.files else "Problems:")
            lines += [f"  - {p}" for p in self.problems]
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)


def _inputs(sources: str | Path | Sequence[str | Path]) -> list[Path]:
    items = [sources] if isinstance(sources, (str, Path)) else list(sources)
    out: list[Path] = []
    for s in map(Path, items):
        if s.is_dir():
            out += sorted(p for p in s.rglob("*") if p.is_file() and not p.name.startswith(".")
                          and p.suffix.lower() not in (".md", ".txt", ".pdf"))
        else:
            out.append(s)
    return out


def bra_rate_check(crimes: pd.DataFrame, population: pd.DataFrame, *,
                   period_kind: str | None = None) -> list[str]:
    """Compare Brå's published rates with :func:`analysis.io.bra_rates.bra_rate`.

    The convention follows the period kind (:func:`~analysis.io.bra_rates.conventions_for`):
    monthly figures are divided by the population on 31 December of the year *before* (verified
    on Brå's statistikdatabas); annual figures by the mean population of the year
    ("medelfolkmängd", Brå's Tabell 100) or, failing that, 31 December of the year before (P1).
    Rates are compared at the digits Brå published (whole numbers, rounded half up); a kommun ×
    year passes when one convention reproduces every row (docs/data-model.md, "Brå's rates").

    Parameters
    ----------
    crimes : pandas.DataFrame
        With ``kommunkod``, ``period`` (Period, month or year), ``count``, ``rate_per_100k``.
    population : pandas.DataFrame
        The ``population`` kind (totals; sex/age rows are summed).
    period_kind : {"monthly", "annual"}, optional
        Default: from the periods (monthly Periods → monthly).

    Returns
    -------
    list of str
        One line per kommun × year whose rates no convention reproduces; empty when all agree
        or nothing could be compared (the population for the years needed is missing).

    Examples
    --------
    >>> crimes = pd.DataFrame({"kommunkod": ["2582"], "period": [pd.Period("2026-08", "M")],
    ...                        "count": [225], "rate_per_100k": [786.0]})
    >>> pop = pd.DataFrame({"kommunkod": ["2582"], "year": [2025], "population": [28624]})
    >>> bra_rate_check(crimes, pop)
    []
    >>> bra_rate_check(crimes, pop.assign(population=30000))  # doctest: +ELLIPSIS
    ["2582 2026: Brå's published rates do not match the population of 31 December 2025 (30 000) in 1 of 1 rows ..."]
    """
    from .bra_rates import bra_denominator, conventions_for, round_half_up

    if "rate_per_100k" not in crimes or crimes["rate_per_100k"].isna().all() or population is None:
        return []
    pop = population.groupby(["kommunkod", "year"])["population"].sum()
    by_kommun = {k: {int(y): float(v) for (_, y), v in grp.items()} for k, grp in pop.groupby(level=0)}
    c = crimes[crimes["rate_per_100k"].notna() & crimes["count"].notna()]
    if c.empty:
        return []
    periods = list(c["period"])
    kind = period_kind or ("monthly" if all(getattr(p, "freqstr", "M").startswith("M") for p in periods)
                           else "annual")
    years = np.array([p.year for p in periods])
    out = []
    for (k, y), grp in c.groupby([c["kommunkod"].to_numpy(), years]):
        published = grp["rate_per_100k"].to_numpy(float)
        digits = np.array([next(d for d in range(7) if abs(round(v, d) - v) < 1e-9 or d == 6)
                           for v in published])
        tried = []
        for conv in conventions_for(kind):
            try:
                denom = bra_denominator(by_kommun.get(k, {}), int(y), conv)
            except KeyError:
                continue
            raw = grp["count"].to_numpy(float) / denom * 1e5
            mine = np.array([round_half_up(r, int(d)) for r, d in zip(raw, digits)])
            off = ~np.isclose(mine, published, rtol=0, atol=1e-9)
            if not off.any():
                tried = []
                break
            tried.append((conv, denom, int(off.sum())))
        if tried:
            what = " or ".join(
                (f"the population of 31 December {y - 1} ({format_count(d)})" if conv == "previous_year_end"
                 else f"the mean population of {y} ({_half(d)}, medelfolkmängd)")
                + f" in {n} of {len(grp)} rows" for conv, d, n in tried)
            out.append(f"{k} {y}: Brå's published rates do not match {what} "
                       "(is the population file for another date, or the crimes for another kommun?)")
    return out


def _half(x: float) -> str:
    """A mean of two head counts, in Swedish ("8 850 973,5")."""
    return format_count(int(x)) + (",5" if x % 1 else "")


def cross_check(frames: dict[str, pd.DataFrame]) -> tuple[list[Problem], list[str]]:
    """Checks across the files of one data folder; returns (problems, warnings)."""
    problems: list[Problem] = []
    warnings: list[str] = []
    crimes, pop = frames.get("crimes"), frames.get("population")
    if pop is not None:
        have = set(zip(pop["kommunkod"], pop["year"].astype(int)))
        for name in ("crimes", "crimes_annual"):
            df = frames.get(name)
            if df is None:
                continue
            years = df["period"].dt.year if name == "crimes" else df["year"]
            need = set(zip(df["kommunkod"], years.astype(int)))
            missing = sorted(need - have)
            if missing:
                shown = ", ".join(f"{k} {y}" for k, y in missing[:8])
                more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
                problems.append(Problem(
                    f"no population for {shown}{more}: rates need the population on 31 December "
                    "of every year with crime data", file=_FILES["population"], column="year",
                    expected="an SCB Folkmängd table covering the same kommuner and years"))
    measures = frames.get("measures")
    if measures is not None and crimes is not None:
        series = set(zip(crimes["kommunkod"], crimes["crime_type"]))
        for r in measures.itertuples():
            for ct in str(r.target_crime_types or "").split(";"):
                ct = ct.strip()
                if ct and (r.kommunkod, ct) not in series:
                    problems.append(Problem(
                        f"measure {r.measure_id} targets '{ct}', but the crime data have no such "
                        f"series for kommun {r.kommunkod}", file=_FILES["measures"],
                        column="target_crime_types", value=ct,
                        expected="crime types present in the imported crime statistics"))
            span = crimes.loc[crimes["kommunkod"] == r.kommunkod, "period"]
            if not span.empty and pd.notna(r.start) and pd.Period(r.start, "M") < span.min():
                warnings.append(f"measure {r.measure_id} starts {pd.Timestamp(r.start).date()}, "
                                f"before the crime series begins ({span.min()}): no 'before' period")
    return problems, warnings


def import_exports(sources: str | Path | Sequence[str | Path], out: str | Path, *,
                   contents: str | None = None, overwrite: bool = False, strict: bool = False,
                   label: str | None = None) -> ImportResult:
    """Turn downloaded exports into a validated data folder.

    Parameters
    ----------
    sources : path or list of paths
        A folder (read recursively; ``.md``/``.txt``/``.pdf`` and hidden files are skipped) or
        files, in any supported format (:data:`analysis.io.recognise.FORMATS`), recognised by
        content.
    out : path
        The data folder to write (``crimes.csv``, ``population.csv``, optionally
        ``crimes_annual.csv``, ``survey.csv``, ``items.csv``, ``margins.csv``, ``measures.csv``,
        ``DATASET.json`` and the manifest ``IMPORT.json``).
    contents : str, optional
        SCB contents code that holds population when it is not Folkmängd (BE0101N1).
    overwrite : bool
        Replace files in an existing folder.
    strict : bool
        Any refused file or left-out label stops the import.
    label : str, optional
        Description stored in ``DATASET.json`` (default: names the sources).

    Returns
    -------
    ImportResult
        Never raises for bad data: every problem is in the result.

    Notes
    -----
    Nothing is downloaded. Figures are never "fixed": SCB's totals are taken as published,
    Brå's suppressed cells stay missing, months missing inside a series are allowed (and
    listed in ``DATASET.json``) rather than filled.
    """
    out = Path(out)
    paths = _inputs(sources)
    result = ImportResult(False, out)
    if not paths:
        result.problems.append(f"no files found in {sources}")
        return result
    if out.exists() and any(out.iterdir()) and not overwrite:
        result.problems.append(f"{out} exists and is not empty: choose another folder or --overwrite")
        return result
    read = [read_export(p, contents=contents, allow_gaps=True) for p in paths]
    result.files = read
    frames: dict[str, list[pd.DataFrame]] = {}
    for f in read:
        if f.ok:
            frames.setdefault(f.kind, []).append(f.frame)
    merged: dict[str, pd.DataFrame] = {}
    pc = GroupedProblems()
    from ..schemas import validate

    for kind in _ORDER:
        parts = frames.get(kind)
        if not parts:
            continue
        df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        if len(parts) > 1:  # files of one kind together: duplicates across files are errors
            try:
                keep = [c for c in df.columns if c not in ("rate_per_100k",)] if kind != "crimes" else None
                df = validate(df[keep] if keep else df, kind, file=f"{kind} (all files)", allow_gaps=True)
            except DataError as err:
                pc.extend(err.problems)
                continue
        merged[kind] = df
    for kind in ("crimes", "population"):
        if kind not in merged:
            pc.add(f"no {kind} among the files: a data folder needs {_FILES[kind]}",
                   expected="a Brå table of reported crimes per kommun and month" if kind == "crimes"
                   else "an SCB Folkmängd table (PxWeb JSON or CSV) for the same kommuner and years")
    if "survey" in merged:
        from .survey_files import check_survey_against
        pc.extend(check_survey_against(merged["survey"], items=merged.get("items"),
                                       margins=merged.get("margins")))
    xp, warnings = cross_check(merged)
    pc.extend(xp)
    if "crimes" in merged and "population" in merged:
        for f in read:
            rates = f.frame.attrs.get("bra_rates") if f.ok else None
            if rates is not None and not rates.empty:
                warnings += bra_rate_check(rates, merged["population"], period_kind=f.period_kind)
    result.warnings = warnings
    refused = [f for f in read if not f.ok]
    left_out = [r for f in read for r in f.refused]
    result.problems = pc.lines()
    if strict and (refused or left_out):
        result.problems.append("--strict: refused files or left-out labels stop the import")
    result.manifest = _manifest(read, merged, warnings, result.problems, label)
    if result.problems and (len(pc) or strict):
        return result
    _write(out, merged, result.manifest, label, read)
    try:
        load_dataset(out)
    except DataError as err:  # pragma: no cover - the folder was validated above
        result.problems.append(f"the written folder does not read back: {err}")
        return result
    result.ok = True
    return result


def _manifest(read: list[ReadFile], merged: dict, warnings: list[str], problems: list[str],
              label: str | None) -> dict:
    return {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "tool": "lagesbild import",
        "label": label,
        "sources": [{"file": str(f.file), "sha256": f.sha256, "format": f.format, "kind": f.kind,
                     "rows": f.rows, "period_kind": f.period_kind, "notes": f.notes,
                     "conversions": f.conversions, "left_out": f.refused,
                     "refused": None if f.ok else f.problems} for f in read],
        "written": {k: {"file": _FILES[k], "rows": int(len(v))} for k, v in merged.items()},
        "period_kinds": {k: ("monthly" if k == "crimes" else "annual")
                         for k in merged if k in ("crimes", "crimes_annual")},
        "gaps": sorted({g for f in read if f.ok for g in f.frame.attrs.get("gaps", [])}),
        "warnings": warnings,
        "problems": problems,
    }


def _write(out: Path, merged: dict[str, pd.DataFrame], manifest: dict, label: str | None,
           read: list[ReadFile]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind, df in merged.items():
        df = df.copy()
        if kind == "crimes":
            df["period"] = df["period"].astype(str)
            df = df[[c for c in ("kommunkod", "period", "crime_type", "count", "status") if c in df]]
        for c in ("start", "end"):
            if c in df and pd.api.types.is_datetime64_any_dtype(df[c]):
                df[c] = df[c].dt.strftime("%Y-%m-%d")
        p = out / _FILES[kind]
        df.to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
        files[_FILES[kind]] = file_sha256(p)
    info = {"synthetic": False,
            "label": label or "Importerade data: " + ", ".join(sorted({Path(f.file).name for f in read if f.ok})),
            "generator": "analysis.io.import_exports",
            "period_kinds": manifest["period_kinds"],
            "gaps": "allowed" if manifest["gaps"] else "none",
            "files": files}
    (out / "DATASET.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "IMPORT.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
                                     encoding="utf-8")
