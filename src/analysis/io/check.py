"""``lagesbild check FILE --kind KIND``: validate one file and describe what is in it.

An analyst runs this before anything else on a new export: it either says OK with a short
profile (rows, kommuner, period, crime types, respondents per year) or lists every problem with
file, row and column. The CLI (:mod:`analysis.cli`) prints :meth:`CheckResult.render` and exits
non-zero when ``ok`` is false.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import SAMPLE_DATA_LABEL
from ..errors import DataError, Problem
from ..schemas import SCHEMAS
from ..problems import format_count
from .incidents import read_incidents
from .readers import ReadFile, _lines, conversion_lines, read_export

__all__ = ["CheckResult", "check_file", "CHECK_KINDS", "measure_timing", "MIN_PRE_MONTHS"]

#: Months of data before a measure's start that an interrupted time series needs to tell
#: trend and season from the change (``fit_its`` marks shorter ones not reliable).
MIN_PRE_MONTHS = 24

CHECK_KINDS = ("crimes", "crimes_annual", "population", "survey", "margins", "measures",
               "municipalities", "items", "incidents")


@dataclass(frozen=True)
class CheckResult:
    """Outcome of :func:`check_file`.

    Attributes
    ----------
    ok : bool
    problems : tuple of Problem
        Every problem found (empty when ``ok``).
    profile : str
        A short description of the contents (empty when the file could not be read).
    file, kind : str
    table : pandas.DataFrame or None
        The validated frame when ``ok``.
    """

    ok: bool
    problems: tuple[Problem, ...]
    profile: str
    file: str
    kind: str
    table: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    lines: tuple[str, ...] = ()
    total: int = 0
    notes: tuple[Problem, ...] = ()

    def summary(self) -> str:
        """One line: OK or the number of problems."""
        if self.ok:
            extra = f" ({len(self.notes)} note{'s' if len(self.notes) != 1 else ''})" \
                if self.notes else ""
            return f"OK: {self.file} is a valid {self.kind} file{extra}"
        n = self.total or len(self.problems)
        return f"NOT OK: {format_count(n)} problem{'s' if n != 1 else ''} in {self.file} (kind {self.kind})"

    def render(self, *, max_problems: int = 200) -> str:
        """Text for the terminal: the summary, then the profile or the problems grouped by kind."""
        lines = [self.summary()]
        if self.ok:
            lines += ["  " + ln for ln in self.profile.splitlines()]
            lines += [f"  ! {p}" for p in self.notes[:max_problems]]
        elif self.lines:
            lines += [f"  - {ln}" for ln in self.lines]
        else:
            lines += [f"  - {p}" for p in self.problems[:max_problems]]
            if len(self.problems) > max_problems:
                lines.append(f"  ... and {len(self.problems) - max_problems} more")
        return "\n".join(lines)


def check_file(path: str | Path, kind: str, *, items: str | Path | None = None,
               margins: str | Path | None = None, kommunkod: str | None = None,
               allow_gaps: bool = False, crimes: str | Path | None = None) -> CheckResult:
    """Validate one file against the contract of ``kind`` and profile it.

    Parameters
    ----------
    path : str or Path
    kind : {"crimes", "crimes_annual", "population", "survey", "margins", "measures", \
"municipalities", "items", "incidents"}
        ``incidents`` is the kommun's own incident file (:func:`analysis.io.read_incidents`:
        Swedish headings such as ``datum;tid;plats;typ;källa`` are accepted and said).
    items, margins, kommunkod : optional
        For ``survey``: also check answers against the item catalogue, respondents against
        the margins, and that every respondent belongs to ``kommunkod``.
    allow_gaps : bool
        ``crimes``: months missing inside a series are listed, not an error.
    crimes : path, optional
        For ``measures``: the crime data to check each measure's start against (default:
        ``crimes.csv`` next to the registry, if there is one). Measures that start after the
        last month of data, not after the first, or with fewer than 24 months before them
        are listed as notes with their id (see :func:`measure_timing`).

    Notes
    -----
    The file's format is recognised by its content (:func:`analysis.io.recognise.recognise`):
    JSON (SCB PxWeb, Kolada), Excel, SPSS and Brå's exports are read by their own readers and
    checked as the kind they convert to. Problems are grouped by kind with row ranges and a
    count of the rest, in bounded memory even for files of hundreds of MB.

    Returns
    -------
    CheckResult
        Never raises for bad data: problems are in the result.

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "crimes.csv")
    >>> _ = Path(p).write_text("kommunkod,period,crime_type,count\\n"
    ...     "1760,2025-01,Cykelstöld,2\\n1760,2025-02,Cykelstöld,-1\\n", encoding="utf-8")
    >>> print(check_file(p, "crimes").render().replace(p, "crimes.csv"))
    NOT OK: 1 problem in crimes.csv (kind crimes)
      - crimes.csv, row 3, column 'count': value out of range (got -1); expected a whole number >= 0
    """
    if kind not in CHECK_KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(CHECK_KINDS)}")
    path = Path(path)
    name = str(path)
    if not path.exists():
        return CheckResult(False, (Problem("file not found", file=name),), "", name, kind)
    opts = {"items": items, "margins": margins, "kommunkod": kommunkod} if kind == "survey" else {}
    rf = _read_incidents(path) if kind == "incidents" else \
        read_export(path, kind=kind, allow_gaps=allow_gaps, **opts)
    if not rf.ok:
        probs = tuple(rf.problem_objects) or tuple(Problem(ln) for ln in rf.problems)
        return CheckResult(False, probs, "", name, kind, lines=tuple(rf.problems),
                           total=rf.total_problems or len(rf.problems))
    df = rf.frame
    text = "\n".join([profile(df, kind), *_how(rf)])
    label = _synthetic_label(path.parent)
    if label:  # a sample file must never pass for real statistics
        text = label + "\n" + text
    notes: tuple[Problem, ...] = ()
    if kind == "measures":
        crimes = Path(crimes) if crimes is not None else path.parent / "crimes.csv"
        if crimes.is_file():
            rc = read_export(crimes, kind="crimes", allow_gaps=True)
            if not rc.ok:
                problems = (Problem(f"the crime data to check the measures against is not "
                                    f"valid (run `lagesbild check {crimes} --kind crimes`)",
                                    file=str(crimes)),)
                return CheckResult(False, problems, "", name, kind)
            timing = measure_timing(df, rc.frame[["kommunkod", "period"]])
            lines = df.attrs.get("lines")
            notes = tuple(Problem(
                f"measure {r.measure_id} {r.reason}", file=name,
                row=_line(lines, r.Index), column="start", value=str(r.start),
                expected=r.expected) for r in timing[timing["status"] != "ok"].itertuples())
            text += f"\nchecked against: {crimes.name} (months per kommun)"
    return CheckResult(True, (), text, name, kind, df, notes=notes)


def _read_incidents(path: Path) -> ReadFile:
    """The incident file read as :func:`read_export` reads the other kinds (never raises for
    bad data): the incident reader, which knows the Swedish headings, does the work."""
    rf = ReadFile(str(path))
    try:
        frame = read_incidents(path)
    except DataError as err:
        rf.problems, rf.total_problems = _lines(err)
        rf.problem_objects = list(err.problems)
        return rf
    except (OSError, UnicodeError) as err:
        rf.problems = [f"{path}: cannot be read: {err}"]
        return rf
    rf.ok, rf.frame, rf.rows, rf.kind, rf.format = True, frame, len(frame), "incidents", "tidy-csv"
    renamed = frame.attrs.get("renamed") or {}
    rf.notes.append("recognised as the kommun's incident file" + (
        " (headings renamed: " + ", ".join(f"{a} → {b}" for a, b in renamed.items()) + ")"
        if renamed else ""))
    return rf


def _line(lines, i: int) -> int | None:
    try:
        return int(lines[i]) if lines is not None else i + 2
    except (IndexError, TypeError, ValueError):
        return i + 2


def measure_timing(measures: pd.DataFrame, crimes: pd.DataFrame, *,
                   min_pre_months: int = MIN_PRE_MONTHS) -> pd.DataFrame:
    """Whether each measure's start leaves data before and after it for an evaluation.

    Parameters
    ----------
    measures : pandas.DataFrame
        The registry (``measure_id, kommunkod, start``).
    crimes : pandas.DataFrame
        Crime data with ``kommunkod`` and ``period`` (months).
    min_pre_months : int
        Months before the start an interrupted time series needs.

    Returns
    -------
    pandas.DataFrame
        One row per measure, in registry order: ``measure_id, kommunkod, start, first,
        last, pre_months, status, reason, reason_sv, expected``; ``status`` is ``ok``,
        ``planned`` (starts after the last month of data), ``too_early`` (starts in or
        before the first month), ``short_pre`` (fewer than ``min_pre_months`` before) or
        ``no_data`` (no crime data for the kommun). ``reason_sv`` is the Swedish wording
        for the lägesbild.

    Examples
    --------
    >>> m = pd.DataFrame({"measure_id": ["A", "B", "C", "D"], "kommunkod": ["1760"] * 4,
    ...                   "start": pd.to_datetime(["2026-09-01", "2016-06-01", "2015-01-01",
    ...                                            "2021-03-01"])})
    >>> c = pd.DataFrame({"kommunkod": "1760",
    ...                   "period": pd.period_range("2015-01", "2025-12", freq="M")})
    >>> measure_timing(m, c)[["measure_id", "status", "pre_months"]].to_dict("records")
    [{'measure_id': 'A', 'status': 'planned', 'pre_months': 140}, {'measure_id': 'B', 'status': 'short_pre', 'pre_months': 17}, {'measure_id': 'C', 'status': 'too_early', 'pre_months': 0}, {'measure_id': 'D', 'status': 'ok', 'pre_months': 74}]
    """
    span = crimes.groupby("kommunkod")["period"].agg(["min", "max"])
    rows = []
    for m in measures.itertuples(index=False):
        start = pd.Period(m.start, freq="M")
        base = {"measure_id": m.measure_id, "kommunkod": m.kommunkod, "start": str(start)}
        if m.kommunkod not in span.index:
            rows.append({**base, "first": None, "last": None, "pre_months": 0,
                         "status": "no_data", "reason": f"cannot be evaluated: there is no crime "
                         f"data for kommun {m.kommunkod}",
                         "reason_sv": "det finns inga brottsdata för kommunen",
                         "expected": "crime data for the measure's kommun"})
            continue
        first, last = span.loc[m.kommunkod, "min"], span.loc[m.kommunkod, "max"]
        pre = max(0, start.ordinal - first.ordinal)
        row = {**base, "first": str(first), "last": str(last), "pre_months": int(pre),
               "status": "ok", "reason": "", "reason_sv": "", "expected": None}
        if start > last:
            row.update(status="planned", reason=f"cannot be evaluated yet: it starts after the "
                       f"last month of crime data ({last}); evaluate it once there are data "
                       "after its start",
                       reason_sv=f"startar efter sista månaden i data ({last})",
                       expected=f"a start in {first + 1}–{last} for an evaluation now")
        elif start <= first:
            row.update(status="too_early", reason=f"cannot be evaluated: it starts in or before "
                       f"the first month of crime data ({first}), so there is no period "
                       "before it to compare with",
                       reason_sv=f"startar före första månaden i data ({first}): ingen förperiod",
                       expected=f"a start after {first}")
        elif pre < min_pre_months:
            row.update(status="short_pre", reason=f"will have an unreliable evaluation: only "
                       f"{pre} months of crime data before its start (at least "
                       f"{min_pre_months} are needed to tell trend and season from the change)",
                       reason_sv=f"för kort förperiod ({pre} månader före start, minst "
                       f"{min_pre_months} behövs)",
                       expected=f"a start in {first + min_pre_months} or later")
        rows.append(row)
    return pd.DataFrame(rows, columns=["measure_id", "kommunkod", "start", "first", "last",
                                       "pre_months", "status", "reason", "reason_sv",
                                       "expected"])


def _how(rf) -> list[str]:
    """How the file was read: its format, what was converted, what was left out."""
    out = [f"format: {rf.notes[0].removeprefix('recognised as ')}"] if rf.notes else []
    if rf.period_kind:
        out.append(f"period kind: {rf.period_kind}")
    out += conversion_lines(rf.conversions, rf.refused)
    gaps = rf.frame.attrs.get("gaps") if rf.frame is not None else None
    if gaps:
        out.append(f"months missing inside {len(gaps)} series (allowed; never filled)")
    other = rf.frame.attrs.get("other_regions") if rf.frame is not None else None
    if other is not None and len(other):
        col = "region" if "region" in other else "kommunkod"
        out.append(f"kept apart (not kommuner): {len(other)} rows for " +
                   ", ".join(sorted(map(str, set(other[col].astype(str))))[:6]))
    return out


def _synthetic_label(folder: Path) -> str:
    info = folder / "DATASET.json"
    try:
        data = json.loads(info.read_text(encoding="utf-8")) if info.exists() else {}
    except (OSError, json.JSONDecodeError):
        data = {}
    if data.get("synthetic") or (folder / "planted_truth.json").exists():
        return str(data.get("label") or SAMPLE_DATA_LABEL)
    return ""


def _n(x: float | int) -> str:
    return f"{int(x):,}".replace(",", " ")


def profile(df: pd.DataFrame, kind: str) -> str:
    """A few lines describing a validated frame of ``kind``."""
    lines = [f"rows: {_n(len(df))}; columns: {', '.join(map(str, df.columns[:12]))}"
             + (" ..." if df.shape[1] > 12 else "")]
    fmt = df.attrs.get("format") or {}
    if fmt:
        how = [f"{k} {fmt[k]!r}" for k in ("encoding", "delimiter", "sheet") if fmt.get(k)]
        if how:
            lines.append("read as: " + ", ".join(how))
        for note in fmt.get("notes", []):
            if "decimal" in note or "line endings" in note:
                lines.append("note: " + note)
    if "kommunkod" in df:
        lines.append(f"kommuner: {df['kommunkod'].nunique()}")
    if kind == "crimes":
        lines.append(f"period: {df['period'].min()} to {df['period'].max()} "
                     f"({df['period'].nunique()} months)")
        lines.append(f"crime types ({df['crime_type'].nunique()}): "
                     + ", ".join(sorted(df["crime_type"].dropna().unique())))
        per_year = df.assign(y=df["period"].dt.year).groupby("y")["count"].sum()
        lines.append("crimes per year: " + "; ".join(f"{y} {_n(v)}" for y, v in per_year.items()))
        if "status" in df:
            lines.append("status: " + ", ".join(f"{k} {_n(v)}" for k, v in df["status"].value_counts().items()))
    elif kind == "crimes_annual":
        lines.append(f"years: {df['year'].min()} to {df['year'].max()}")
        lines.append(f"crime types ({df['crime_type'].nunique()}): "
                     + ", ".join(sorted(df["crime_type"].dropna().unique())))
    elif kind in ("population", "margins"):
        by = df.groupby("year")["population"].sum()
        lines.append("population per year: " + "; ".join(f"{y} {_n(v)}" for y, v in by.items()))
        if kind == "margins" and "area" in df:
            lines.append(f"areas: {df['area'].nunique()}; cells: {_n(len(df))}")
    elif kind == "survey":
        per = df.groupby("year").agg(n=("respondent_id", "size"), k=("kommunkod", "nunique"),
                                     w=("design_weight", "sum"))
        lines.append("respondents per year: " + "; ".join(
            f"{r.Index} {_n(r.n)} in {r.k} kommun{'er' if r.k != 1 else ''} (weights sum {_n(round(r.w))})"
            for r in per.itertuples()))
        lines.append(f"areas: {df['area'].nunique()}; strata: {df[['kommunkod', 'year', 'stratum']].drop_duplicates().shape[0]}")
        items = [c for c in df.columns if c not in SCHEMAS["survey"].names]
        lines.append(f"items ({len(items)}): " + ", ".join(items))
    elif kind == "measures":
        lines.append(f"measures: {len(df)}; start {df['start'].min().date()} to {df['start'].max().date()}; "
                     f"running: {int(df['end'].isna().sum())}")
    elif kind == "items":
        lines.append("items: " + ", ".join(df["item"]))
    elif kind == "incidents" and len(df):
        lines.append(f"dates: {df['date'].min().date()} to {df['date'].max().date()}; "
                     f"without a clock time: {_n(df['time'].isna().sum())}")
        for col, what in (("place", "places"), ("type", "types"), ("source", "sources")):
            top = df[col].value_counts()
            lines.append(f"{what} ({top.size}): " + ", ".join(
                f"{k} {_n(v)}" for k, v in top.head(8).items()) + (" ..." if top.size > 8 else ""))
    return "\n".join(lines)
