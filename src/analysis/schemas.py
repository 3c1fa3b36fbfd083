"""The tidy data model: one column contract per kind of input, validated in one place.

Readers in :mod:`analysis.io` turn real exports into these frames; :func:`validate` checks a
frame against its contract and collects *every* problem (file, row, column, value, expected)
into one :class:`~analysis.errors.DataError`. The full model is documented in
``docs/data-model.md``; the column lists below are its source of truth.

Kinds: ``crimes``, ``population``, ``survey`` (respondent rows), ``items`` (item catalogue),
``margins`` (population margins for calibration), ``measures`` (registry of measures),
``municipalities``, ``incidents`` (the kommun's own incident reports: date, time, place, type,
source).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .crime_types import ALL_CRIME_TYPE_NAMES
from .errors import Problem, ProblemCollector
from .municipalities import _valid_codes
from .spellings import (_normalise_categories, _pad_codes, _per_distinct, _report,
                        _strip_thousands, normalise_age_group)

__all__ = ["Column", "Schema", "SCHEMAS", "validate", "parse_codes", "ESTIMATE_COLUMNS", "SEXES",
           "AGE_GROUPS", "STATUSES", "SURVEY_DESIGN_COLUMNS", "MEASURE_ID_PATTERN"]

SEXES = ("kvinna", "man")
AGE_GROUPS = ("16-24", "25-44", "45-64", "65-84")
STATUSES = ("preliminär", "slutlig")
SURVEY_DESIGN_COLUMNS = ("respondent_id", "kommunkod", "year", "area", "sex", "age_group",
                         "stratum", "psu", "design_weight")

#: A measure id names its evaluation's files: 1-64 letters A-Z/a-z, digits, '-', '_' or '.',
#: starting with a letter or digit, without '..' (no path separators, spaces or control
#: characters). Ids that differ only in case are refused too (one file on Windows and macOS).
MEASURE_ID_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.)){0,63}")

#: The fixed column contract of simple estimates (crime and survey statistics alike).
ESTIMATE_COLUMNS = ("variable", "estimate", "se", "ci_low", "ci_high", "ci_level", "df", "deff",
                    "n", "n_eff", "method", "suppressed", "suppressed_reason")


@dataclass(frozen=True)
class Column:
    """Contract for one column.

    ``kind`` is one of ``kommunkod``, ``str``, ``int``, ``float``, ``month`` (a calendar month,
    stored as ``pandas.Period[M]``), ``date``, ``year``.
    """

    name: str
    kind: str
    description: str
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    exclusive_minimum: bool = False
    allowed: tuple[Any, ...] | None = None
    #: How spreadsheet spellings are mapped before checking (``crime_type``, ``sex``,
    #: ``age_group``, ``status``): case-insensitive, documented aliases; every mapping is
    #: recorded in ``attrs['conversions']`` of the validated frame.
    normalise: str | None = None


@dataclass(frozen=True)
class Schema:
    """Contract for one kind of tidy frame."""

    kind: str
    description: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    extra_columns: bool = False  # survey frames carry item columns after the design columns
    checks: tuple[Callable[[pd.DataFrame, "ProblemCollector", Sequence[int]], None], ...] = field(default=())

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


# --------------------------------------------------------------------------- coercion helpers

def _user_rows(df: pd.DataFrame, rows: Sequence[int] | None) -> np.ndarray:
    if rows is not None:
        return np.asarray(rows)
    if "source_rows" in df.attrs:
        return np.asarray(df.attrs["source_rows"])
    return np.arange(len(df)) + 2  # header on line 1


def _coerce(series: pd.Series, col: Column, pc: ProblemCollector, rows: np.ndarray,
            conversions: list | None = None) -> pd.Series:
    conversions = [] if conversions is None else conversions
    if col.kind == "kommunkod" and not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        series = series.astype("Int64").astype("str").replace("<NA>", "")  # Excel turned codes into numbers
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        series = _per_distinct(series.astype("str"), lambda u: u.str.strip())  # per distinct value
        missing = _per_distinct(series, lambda u: u.isna() | (u == ""))  # "" and NaN: missing
    else:
        missing = series.isna()
    if not col.nullable:
        _report(pc, missing.to_numpy(), rows, None, col.name, lambda v: ("missing value", _expected(col)))
    values = series.where(~missing)
    if col.kind in ("str",):
        out = values.astype("str")
        if col.normalise is not None:
            out = _normalise_categories(out, col, conversions)
    elif col.kind == "kommunkod":
        out = _pad_codes(values.astype("str"), col, conversions)
        bad = _per_distinct(out, lambda u: ~u.isin(list(_valid_codes())) & u.notna()).to_numpy()

        def code_hint(v):
            hint = "a 4-character code of one of the 290 kommuner, e.g. '0114'"
            if isinstance(v, str) and v.isdigit() and len(v) < 4:
                hint += (f" (did a leading zero get lost? '{v.zfill(4)}' is no kommun either)"
                         if len(v) == 3 else " (a code has 4 digits)")
            return "unknown or malformed kommun code", hint
        _report(pc, bad, rows, out, col.name, code_hint)
    elif col.kind in ("int", "year", "float"):
        values = _strip_thousands(values, col, conversions)
        num = pd.to_numeric(values, errors="coerce")
        bad = num.isna() & ~missing
        _report(pc, bad.to_numpy(), rows, series, col.name, lambda raw: (
            "not a number", _expected(col) + (" (decimal commas are read by the format readers; "
                                              "here use a point)" if isinstance(raw, str) and "," in raw else "")))
        if col.kind in ("int", "year"):
            frac = num.notna() & (num != np.floor(num.fillna(0)))
            _report(pc, frac.to_numpy(), rows, series, col.name,
                    lambda v: ("not a whole number", _expected(col)))
            out = num.round().astype("Int64")
            if not out.isna().any():
                out = out.astype("int64")  # plain numpy ints when complete
        else:
            out = num.astype("float64")
        if col.minimum is not None:
            low = num < col.minimum if not col.exclusive_minimum else num <= col.minimum
            _report(pc, low.fillna(False).to_numpy(dtype=bool), rows, series, col.name,
                    lambda v: ("value out of range", _expected(col)))
        if col.kind == "year":
            odd = (num < 1900) | (num > 2100)
            _report(pc, odd.fillna(False).to_numpy(dtype=bool), rows, series, col.name,
                    lambda v: ("implausible year", "a year such as 2025"))
    elif col.kind == "month":
        out = _to_month(values, col, pc, rows)
    elif col.kind == "date":
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = parsed.isna() & ~missing
        _report(pc, bad.to_numpy(), rows, series, col.name,
                lambda v: ("not a date", "a date written YYYY-MM-DD"))
        out = parsed
    else:  # pragma: no cover - schema definition error
        raise TypeError(f"unknown column kind {col.kind!r}")
    if col.allowed is not None:
        ok = _per_distinct(out, lambda u: u.isna() | u.isin(col.allowed))
        _report(pc, ~ok.to_numpy(), rows, series, col.name, lambda v: _unknown_hint(col, v))
    elif col.kind == "str" and col.normalise == "age_group":
        bad = _per_distinct(out, lambda u: u.notna() & u.map(lambda v: normalise_age_group(v) is None,
                                                             na_action="ignore").fillna(False).astype(bool))
        _report(pc, bad.to_numpy(), rows, series, col.name, lambda v: (
            "not an age band", "an age band such as '16-29' or '85+' (as in the survey's margins)"))
    return out


def _unknown_hint(col: Column, value: Any) -> tuple[str, str]:
    if col.normalise == "crime_type":
        from .crime_types import suggest_crime_type
        guess = suggest_crime_type(str(value))
        return ("not a Brå crime type" + (f"; did you mean '{guess}'?" if guess else ""),
                "a crime type of analysis.crime_types (Brå's names, e.g. 'Misshandel (inkl. grov)', "
                "'Samtliga brott'; docs/data-model.md lists the accepted spellings)")
    return "value not allowed", _expected(col)


def _to_month(values: pd.Series, col: Column, pc: ProblemCollector, rows: np.ndarray) -> pd.Series:
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.asfreq("M")
    obj = values.astype(object)
    is_period = obj.map(lambda v: isinstance(v, pd.Period)).to_numpy(dtype=bool)
    text = obj.where(~is_period).astype("str")
    # vectorised: "YYYY-MM" (the on-disk form), else a full date on the first of the month
    ts = pd.to_datetime(text, format="%Y-%m", errors="coerce")
    retry = ts.isna() & text.notna()
    if retry.any():
        full = pd.to_datetime(text[retry], format="%Y-%m-%d", errors="coerce")
        full = full.where(full.dt.day == 1)
        ts.loc[retry] = full
    out = pd.Series(ts.dt.to_period("M"), index=values.index)
    if is_period.any():
        out.loc[is_period] = [v.asfreq("M") for v in obj[is_period]]
    bad = (out.isna() & values.notna() & (text.fillna("x") != "")).to_numpy() & ~is_period
    _report(pc, bad, rows, values, col.name,
            lambda v: ("not a calendar month", "a month written YYYY-MM, e.g. 2025-01"))
    return out


def _expected(col: Column) -> str:
    base = {
        "kommunkod": "a 4-character kommun code such as '0114'",
        "str": "text",
        "int": "a whole number",
        "year": "a year such as 2025",
        "float": "a number",
        "month": "a month written YYYY-MM",
        "date": "a date written YYYY-MM-DD",
    }[col.kind]
    if col.minimum is not None:
        base += f" {'>' if col.exclusive_minimum else '>='} {col.minimum:g}"
    if col.allowed is not None:
        shown = ", ".join(map(str, col.allowed[:14]))
        base = "one of: " + shown + (" ..." if len(col.allowed) > 14 else "")
    return base


# --------------------------------------------------------------------------- table-level checks

def _check_unique(df: pd.DataFrame, keys: Sequence[str], pc: ProblemCollector, rows: np.ndarray) -> None:
    if not keys or any(k not in df for k in keys):
        return
    dup = df.duplicated(list(keys), keep=False).to_numpy()
    if not dup.any():
        return
    groups: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(dup):
        groups.setdefault(tuple(df.iloc[i][list(keys)]), []).append(int(rows[i]))
    for key, where in groups.items():
        pc.add(f"duplicate rows for the same {' × '.join(keys)} (rows {', '.join(map(str, where))})",
               row=where[1], column=keys[0], value=" / ".join(map(str, key)),
               expected="one row per " + " × ".join(keys))


def _check_monthly_gaps(df: pd.DataFrame, pc: ProblemCollector, rows: np.ndarray) -> None:
    if df.empty or df["period"].isna().any():
        return
    ords = pd.Series(df["period"].array.asi8, index=df.index)
    spans = ords.groupby([df["kommunkod"], df["crime_type"]], sort=False).agg(["min", "max", "nunique"])
    gappy = spans[spans["max"] - spans["min"] + 1 != spans["nunique"]]
    for (code, ctype), span in gappy.iterrows():
        series = ((df["kommunkod"] == code) & (df["crime_type"] == ctype)).to_numpy()
        have = np.unique(ords[series].to_numpy())
        missing = np.setdiff1d(np.arange(span["min"], span["max"] + 1), have)
        months = [str(pd.Period(ordinal=int(m), freq="M")) for m in missing[:6]]
        more = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
        # point at the row of the month just before the first missing one
        before = np.flatnonzero(series & (ords.to_numpy() == missing[0] - 1))
        pc.add(f"gap in the monthly series of {code} × {ctype}: {len(missing)} month(s) missing "
               f"({', '.join(months)}{more}) after this row; not filled silently",
               row=int(rows[before[0]]) if len(before) else None,
               column="period", value=str(pd.Period(ordinal=int(missing[0]) - 1, freq="M")),
               expected="one row per month from first to last month "
               "(write count 0 for months with no crimes)")


def _check_survey(df: pd.DataFrame, pc: ProblemCollector, rows: np.ndarray) -> None:
    if "stratum" not in df or "kommunkod" not in df:
        return
    sizes = df.groupby(["kommunkod", "year", "stratum"], dropna=False, observed=True).size()
    for (code, year, stratum), n in sizes.items():
        if n < 2:
            i = int(np.flatnonzero(((df["kommunkod"] == code) & (df["year"] == year)
                                    & (df["stratum"] == stratum)).to_numpy())[0])
            pc.add(f"stratum has only {n} respondent: its variance cannot be estimated "
                   "(merge it with a neighbouring stratum)", row=int(rows[i]), column="stratum",
                   value=stratum, expected="at least 2 respondents per stratum")
    if "psu" not in df or df["psu"].isna().all():
        return
    # a stratum with a single PSU (a "lonely PSU") has no between-PSU variance: the estimators
    # fail on it unless an option is chosen (R survey: options(survey.lonely.psu)), so a check
    # that passes must not let it through to the report
    with_psu = df[df["psu"].notna()]
    psus = with_psu.groupby(["kommunkod", "year", "stratum"], observed=True)["psu"].nunique()
    for (code, year, stratum), k in psus.items():
        if k == 1 and sizes.get((code, year, stratum), 0) >= 2:
            hit = ((df["kommunkod"] == code) & (df["year"] == year) & (df["stratum"] == stratum)).to_numpy()
            i = int(np.flatnonzero(hit)[0])
            pc.add(f"lonely PSU: stratum {stratum!r} of {code} {year} has a single PSU, so its "
                   "variance cannot be estimated", row=int(rows[i]), column="psu",
                   value=str(df["psu"].iat[i]), expected="at least 2 PSUs per stratum (merge the "
                   "stratum with a neighbour), or no psu column if the sample was not clustered")


def _check_measure_ids(df: pd.DataFrame, pc: ProblemCollector, rows: np.ndarray) -> None:
    seen: dict[str, tuple[str, int]] = {}
    ids = [str(v) for v in df["measure_id"].to_numpy(dtype=object)]
    stems: dict[str, list[tuple[str, int]]] = {}
    for i, text in enumerate(ids):  # what a file name would have made of it
        stems.setdefault(re.sub(r"[^\w.-]+", "_", text).casefold(), []).append((text, int(rows[i])))
    for i, text in enumerate(ids):
        if not MEASURE_ID_PATTERN.fullmatch(text):
            twins = [f"'{t}' (row {r})" for t, r in stems[re.sub(r"[^\w.-]+", "_", text).casefold()]
                     if t != text]
            clash = f"; it would share its files with {', '.join(twins)}" if twins else ""
            pc.add(f"measure id cannot name a file{clash}", row=int(rows[i]),
                   column="measure_id", value=text, expected="1-64 letters A-Z, digits, '-', "
                   "'_' or '.', starting with a letter or digit, no '..', e.g. 'M2181-01'")
            continue
        other = seen.get(text.casefold())
        if other is not None and other[0] != text:
            pc.add(f"measure ids '{other[0]}' (row {other[1]}) and '{text}' (row {rows[i]}) "
                   "differ only in upper/lower case; their files would overwrite each other",
                   row=int(rows[i]), column="measure_id", value=text,
                   expected=f"an id that differs from '{other[0]}' in more than case")
        else:
            seen.setdefault(text.casefold(), (text, int(rows[i])))


def _check_measures(df: pd.DataFrame, pc: ProblemCollector, rows: np.ndarray) -> None:
    if "measure_id" in df:
        _check_measure_ids(df, pc, rows)
    if "start" in df and "end" in df:
        bad = (df["end"].notna() & df["start"].notna() & (df["end"] < df["start"])).to_numpy()
        for i in np.flatnonzero(bad):
            pc.add("measure ends before it starts", row=int(rows[i]), column="end",
                   value=str(df["end"].iloc[i].date()), expected=f"a date on or after {df['start'].iloc[i].date()}")
    if "target_crime_types" in df:
        known = set(ALL_CRIME_TYPE_NAMES)
        for i, v in enumerate(df["target_crime_types"].to_numpy(dtype=object)):
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                continue
            for part in str(v).split(";"):
                if part.strip() and part.strip() not in known:
                    pc.add("unknown crime type", row=int(rows[i]), column="target_crime_types",
                           value=part.strip(), expected="Brå crime types separated by ';', e.g. "
                           "'Misshandel (inkl. grov);Rån (inkl. grovt)'")


# --------------------------------------------------------------------------- the contracts


def parse_codes(text) -> tuple[int, ...]:
    """The answer codes of an item catalogue cell (``indicator_values``, ``missing_values``).

    Codes are whole numbers separated by ``|``, ``;``, ``,`` or spaces; an empty cell is none.

    Examples
    --------
    >>> parse_codes("3|4"), parse_codes("8; 9"), parse_codes(None), parse_codes(float("nan"))
    ((3, 4), (8, 9), (), ())
    """
    empty = text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text))
    parts = () if empty else re.split(r"[|;,\s]+", str(text).strip())
    return tuple(int(float(t)) for t in parts if t and t not in ("nan", "<NA>"))

_K = Column("kommunkod", "kommunkod", "4-character kommun code ('0114')")
_CRIME_TYPE = Column("crime_type", "str", "Brå crime type, canonical name (analysis.crime_types); "
                     "Brå's own labels and everyday spellings are mapped.",
                     allowed=ALL_CRIME_TYPE_NAMES, normalise="crime_type")
_STATUS = Column("status", "str", "Whether the figure is preliminary or final.", required=False,
                 allowed=STATUSES, normalise="status")
_SEX = Column("sex", "str", "Sex ('kvinna'/'man'; 'Kvinna', 'K', 'kvinnor', SCB's 2/1 accepted).",
              allowed=SEXES, normalise="sex")
_AGE = Column("age_group", "str", "Age band ('16-29', '85+'): the bands are the survey's own, "
              "defined by its margins.", normalise="age_group")

SCHEMAS: dict[str, Schema] = {
    "crimes": Schema(
        "crimes", "Reported crimes per kommun, calendar month and Brå crime type.",
        (_K,
         Column("period", "month", "Calendar month of the report (Brå counts by month of reporting)."),
         _CRIME_TYPE,
         Column("count", "int", "Number of reported crimes.", minimum=0),
         _STATUS),
        unique=("kommunkod", "period", "crime_type"),
        checks=(_check_monthly_gaps,)),
    "crimes_annual": Schema(
        "crimes_annual", "Reported crimes per kommun, calendar year and Brå crime type (Brå's annual "
        "tables; period kind 'annual').",
        (_K,
         Column("year", "year", "Calendar year of the report."),
         _CRIME_TYPE,
         Column("count", "int", "Number of reported crimes.", minimum=0),
         Column("rate_per_100k", "float", "Brå's published rate per 100 000 inhabitants, if given.",
                required=False, nullable=True, minimum=0),
         _STATUS),
        unique=("kommunkod", "year", "crime_type")),
    "population": Schema(
        "population", "Population on 31 December per kommun and year (SCB BE0101N1).",
        (_K,
         Column("year", "year", "Year; the population refers to 31 December."),
         Column("population", "int", "Number of inhabitants.", minimum=0, exclusive_minimum=True),
         Column("sex", "str", "Optional breakdown by sex.", required=False, allowed=SEXES,
                normalise="sex"),
         Column("age_group", "str", "Optional breakdown by age group.", required=False)),
        unique=("kommunkod", "year", "sex", "age_group")),
    "survey": Schema(
        "survey", "Safety-survey microdata, one row per respondent; item columns follow.",
        (Column("respondent_id", "str", "Respondent identifier (never leaves the estimation layer)."),
         _K,
         Column("year", "year", "Survey year."),
         Column("area", "str", "Area (stadsdel, tätort) inside the kommun; also the usual stratum."),
         _SEX,
         _AGE,
         Column("stratum", "str", "Sampling stratum."),
         Column("psu", "str", "Primary sampling unit, if the sample was clustered.", required=False,
                nullable=True),
         Column("design_weight", "float", "Inverse inclusion probability (before calibration).",
                minimum=0, exclusive_minimum=True)),
        unique=("kommunkod", "year", "respondent_id"), extra_columns=True,
        checks=(_check_survey,)),
    "items": Schema(
        "items", "Item catalogue: what each survey item asks and how its answers count.",
        (Column("item", "str", "Column name of the item in the survey frame."),
         Column("question", "str", "Question text as asked."),
         Column("scale", "str", "Answer codes and labels, '1=Mycket trygg|2=Ganska trygg|...'."),
         Column("indicator_values", "str", "Codes that count as the indicator ('unsafe', "
                "'worried', 'a problem'), separated by '|'."),
         Column("indicator", "str", "Name of the indicator the item feeds.", required=False,
                nullable=True),
         Column("missing_values", "str", "Codes meaning 'don't know / not answered'.", required=False,
                nullable=True)),
        unique=("item",)),
    "margins": Schema(
        "margins", "Population margins for calibration of a survey.",
        (_K,
         Column("year", "year", "Year the margins refer to."),
         Column("area", "str", "Area, if margins are given per area.", required=False, nullable=True),
         _SEX,
         _AGE,
         Column("population", "int", "Number of people in the cell.", minimum=0)),
        unique=("kommunkod", "year", "area", "sex", "age_group")),
    "measures": Schema(
        "measures", "Registry of the kommun's crime-prevention measures.",
        (Column("measure_id", "str", "Unique id, e.g. 'M2181-01': letters A-Z, digits, '-', "
                "'_', '.' (MEASURE_ID_PATTERN); it names the evaluation's files."),
         _K,
         Column("name", "str", "Short name of the measure."),
         Column("focus_area", "str", "Focus area (analysis.crime_types.FOCUS_AREAS or free text)."),
         Column("start", "date", "First day of the measure."),
         Column("end", "date", "Last day; empty while it runs.", nullable=True),
         Column("target_crime_types", "str", "Crime types it should reduce, separated by ';'.",
                nullable=True),
         Column("area", "str", "Where it applies (empty = whole kommun).", required=False, nullable=True),
         Column("indicator", "str", "How success is followed up.", nullable=True),
         Column("description", "str", "What is done.", required=False, nullable=True)),
        unique=("measure_id",), checks=(_check_measures,)),
    "municipalities": Schema(
        "municipalities", "A kommun list such as kommuner.csv.",
        (_K,
         Column("kommun", "str", "Name."),
         Column("lanskod", "str", "2-character län code."),
         Column("lan", "str", "Län name."),
         Column("population", "int", "Population.", minimum=0, required=False)),
        unique=("kommunkod",)),
}


# --------------------------------------------------------------------------- incidents
# The kommun's own incident reports (trygghetsvärdar, fastighetsägare, skola, socialtjänst,
# polisens händelser): one row per incident, for the time-and-place section (issue 12).

INCIDENT_SOURCES_EXAMPLE = "trygghetsvärdar, fastighetsägare, skola, socialtjänst, polisen"
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)(?::[0-5]\d)?$")


def _check_incidents(df: pd.DataFrame, pc: ProblemCollector, rows: np.ndarray) -> None:
    """Times are clock times ``HH:MM`` (empty when unknown); places and types are not blank."""
    if "time" in df:
        for i, v in enumerate(df["time"].to_numpy(dtype=object)):
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) \
                    or str(v).strip() in ("", "nan", "None", "<NA>"):
                continue
            if not _TIME.match(str(v).strip()):
                pc.add("not a clock time", row=int(rows[i]), column="time", value=v,
                       expected="a time written HH:MM (00:00–23:59), or empty when unknown")
    if "date" in df and len(df):
        years = df["date"].dt.year
        odd = ((years < 1990) | (years > 2100)).fillna(False).to_numpy()
        for i in np.flatnonzero(odd):
            pc.add("implausible date", row=int(rows[i]), column="date",
                   value=str(df["date"].iloc[i].date()), expected="a date between 1990 and 2100")


SCHEMAS_INCIDENTS = Schema(
    "incidents", "The kommun's own incident reports, one row per incident (time and place).",
    (_K,
     Column("date", "date", "Date of the incident (YYYY-MM-DD)."),
     Column("time", "str", "Clock time HH:MM; empty when unknown (then left out of the "
            "weekday × hour table, kept in the place counts).", nullable=True),
     Column("place", "str", "Area or place (stadsdel, gata, skola, resecentrum) as the source names it."),
     Column("type", "str", "Kind of incident as the source names it (skadegörelse, stöld, "
            "ordningsstörning, ...)."),
     Column("source", "str", f"Who reported it ({INCIDENT_SOURCES_EXAMPLE})."),
     Column("incident_id", "str", "Identifier in the source system, if any.", required=False,
            nullable=True)),
    checks=(_check_incidents,))
SCHEMAS["incidents"] = SCHEMAS_INCIDENTS


def validate(df: pd.DataFrame, kind: str, *, file: str | None = None,
             rows: Sequence[int] | None = None, allow_gaps: bool = False,
             collector: ProblemCollector | None = None, table_checks: bool = True) -> pd.DataFrame:
    """Check a frame against the contract of ``kind`` and return a typed copy.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame, as read (text is fine: numbers, months and dates are coerced).
    kind : str
        One of the keys of :data:`SCHEMAS`.
    file : str, optional
        Name shown in problems (default: ``df.attrs['source']`` if set).
    rows : sequence of int, optional
        Row numbers as the user counts them, aligned with ``df`` (default:
        ``df.attrs['source_rows']``, else header on line 1 and data from line 2).
    allow_gaps : bool
        ``crimes``: months missing inside a series are allowed (a user comparing two months a
        year apart need not supply the months in between); they are listed in
        ``attrs['gaps']`` instead of being an error. Never filled.
    collector : ProblemCollector, optional
        Where problems go (default: a new :class:`analysis.io.problems.GroupedProblems`, which
        groups problems of one kind and caps what it keeps, so a file with millions of bad rows
        is reported in a few lines and bounded memory).
    table_checks : bool
        ``False`` checks cells only (no duplicates, gaps or survey-design checks): for a large
        file validated chunk by chunk.

    Returns
    -------
    pandas.DataFrame
        Contract columns first, in contract order, with their dtypes; for ``survey``, item
        columns follow unchanged. ``attrs['conversions']`` lists what was mapped (spellings
        such as 'Kvinna' → 'kvinna', 'Misshandel' → 'Misshandel (inkl. grov)', Brå's labels,
        zero-padded kommun codes), each with the number of rows.

    Raises
    ------
    DataError
        Listing every problem found.

    Examples
    --------
    >>> bad = pd.DataFrame({"kommunkod": ["0114", "11"], "period": ["2025-01", "2025-02"],
    ...                     "crime_type": ["Cykelstöld", "cykelstöld"], "count": [3, -1]})
    >>> validate(bad, "crimes", file="brott.csv")
    Traceback (most recent call last):
    ...
    analysis.errors.DataError: 2 problems found:
      - brott.csv, row 3, column 'kommunkod': unknown or malformed kommun code (got '11'); expected a 4-character code of one of the 290 kommuner, e.g. '0114' (a code has 4 digits)
      - brott.csv, row 3, column 'count': value out of range (got -1); expected a whole number >= 0

    Spreadsheet habits are mapped, and said:

    >>> ok = validate(bad.assign(kommunkod=["0114", "114"], count=[3, 1]), "crimes")
    >>> ok["kommunkod"].tolist(), [(c["from"], c["to"], c["rows"]) for c in ok.attrs["conversions"]]
    (['0114', '0114'], [('114', '0114', 1), ('cykelstöld', 'Cykelstöld', 1)])
    """
    if kind not in SCHEMAS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(SCHEMAS)}")
    schema = SCHEMAS[kind]
    file = file or df.attrs.get("source")
    if collector is None:
        from .problems import GroupedProblems
        collector = GroupedProblems(file=file)
    pc = collector
    n_before = len(pc)
    conversions: list[dict] = []
    user_rows = _user_rows(df, rows)
    if len(user_rows) != len(df):
        raise ValueError("rows must have one entry per row of df")
    present = set(df.columns)
    missing_cols = [c.name for c in schema.columns if c.required and c.name not in present]
    for name in missing_cols:
        pc.add("required column missing", column=name,
               expected=f"columns {', '.join(c.name for c in schema.columns if c.required)}"
               f" (found: {', '.join(map(str, df.columns))})")
    if len(pc) > n_before:
        pc.raise_if_any()
    out = {}
    for col in schema.columns:
        if col.name in present:
            out[col.name] = _coerce(df[col.name], col, pc, user_rows, conversions)
    typed = pd.DataFrame(out, index=df.index)
    if schema.extra_columns:
        extra = [c for c in df.columns if c not in schema.names]
        typed = pd.concat([typed, df[extra]], axis=1)
    keys = [k for k in schema.unique if k in typed]
    if table_checks:
        _check_unique(typed, keys, pc, user_rows)
    gaps: list[Problem] = []
    if table_checks and len(pc) == n_before:  # table-level checks need clean columns
        for check in schema.checks:
            if allow_gaps and check is _check_monthly_gaps:
                gap_pc = ProblemCollector(file=file)
                check(typed, gap_pc, user_rows)
                gaps = gap_pc.problems
            else:
                check(typed, pc, user_rows)
    pc.raise_if_any()
    typed.attrs = {k: v for k, v in df.attrs.items() if k != "source_rows"}
    if file:
        typed.attrs["source"] = file
    typed.attrs["conversions"] = conversions
    if gaps:
        typed.attrs["gaps"] = [p.value for p in gaps]
    return typed.reset_index(drop=True)

