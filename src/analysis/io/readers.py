"""One entry point for any export: recognise it, read it with its format's reader, say what happened.

:func:`read_export` is what ``lagesbild import`` and ``lagesbild check`` call for every file: it
never raises for bad data (problems come back grouped, in bounded memory even for files of
hundreds of MB) and it records how the file was read: format, kind, period kind, conversions
(zero-padded codes, mapped labels) and labels left out. Next: the importer's cross-file checks
(:mod:`analysis.io.importer`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..problems import GroupedProblems, format_count
from ..store import file_sha256
from .recognise import FORMATS, FileFormat, recognise

__all__ = ["ReadFile", "read_export", "stream_check", "STREAM_BYTES", "conversion_lines"]

#: Tidy CSV files larger than this are first checked chunk by chunk (bounded memory).
STREAM_BYTES = 32 * 1024 * 1024
_CHUNK_ROWS = 250_000


@dataclass
class ReadFile:
    """How one file was read.

    Attributes
    ----------
    file, sha256, format, kind : str
        ``format`` is a key of :data:`analysis.io.recognise.FORMATS` (``unknown`` when not
        recognised); ``kind`` the data-model kind it became.
    ok : bool
    frame : pandas.DataFrame or None
        The validated tidy frame.
    rows : int
    period_kind : str or None
        ``monthly`` or ``annual`` for crime and population tables.
    conversions : list of dict
        What was mapped (column, from, to, rows, why).
    refused : list of dict
        Labels left out (not part of the data model), with rows and a suggestion.
    problems : list of str
        Why the file was refused, grouped by kind.
    notes : list of str
    """

    file: str
    sha256: str = ""
    format: str = "unknown"
    kind: str | None = None
    ok: bool = False
    frame: pd.DataFrame | None = field(default=None, repr=False)
    rows: int = 0
    period_kind: str | None = None
    conversions: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem_objects: list = field(default_factory=list, repr=False)
    total_problems: int = 0


def _lines(err: DataError) -> tuple[list[str], int]:
    groups = getattr(err, "groups", None)
    if groups is None:
        pc = GroupedProblems()
        pc.extend(err.problems)
        groups = list(pc.groups.values())
    lines = [g.render() for g in groups[:50]]
    if len(groups) > 50:
        lines.append(f"... and {len(groups) - 50} other kinds of problem")
    return lines, int(getattr(err, "total", len(err.problems)))


def read_export(path: str | Path, *, kind: str | None = None, contents: str | None = None,
                allow_gaps: bool = False, **options) -> ReadFile:
    """Recognise and read one exported file into its tidy kind; never raises for bad data.

    Parameters
    ----------
    path : str or Path
    kind : str, optional
        What the user says the file holds (``check --kind``); a file whose content is another
        kind is refused with a message that says so.
    contents : str, optional
        SCB contents code holding population (see :func:`analysis.io.pxweb.read_pxweb_population`).
    allow_gaps : bool
        Monthly crime series may miss months (listed in ``frame.attrs['gaps']``, never filled);
        the importer allows this, ``check`` by default does not.
    options
        ``items``, ``margins``, ``kommunkod`` for surveys.

    Returns
    -------
    ReadFile

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "population.csv")
    >>> _ = Path(p).write_text("kommunkod,year,population\\n180,2025,999\\u00a0239\\n", encoding="utf-8")
    >>> r = read_export(p)
    >>> r.ok, r.format, r.kind, r.frame.to_dict("list")
    (True, 'tidy-csv', 'population', {'kommunkod': ['0180'], 'year': [2025], 'population': [999239]})
    >>> [(c["column"], c["from"], c["to"]) for c in r.conversions]
    [('kommunkod', '180', '0180'), ('population', '999\\xa0239', '999239')]
    """
    path = Path(path)
    rf = ReadFile(str(path))
    try:
        rf.sha256 = file_sha256(path) if path.is_file() else ""
        fmt = recognise(path, kind=kind)
        rf.format, rf.kind = fmt.format, fmt.kind
        rf.notes.append(f"recognised as {FORMATS[fmt.format]} ({fmt.detail})")
        frame = _read(fmt, path, kind=kind, contents=contents, allow_gaps=allow_gaps, **options)
    except DataError as err:
        rf.problems, rf.total_problems = _lines(err)
        rf.problem_objects = list(err.problems)
        return rf
    except (OSError, UnicodeError) as err:
        rf.problems = [f"{path}: cannot be read: {err}"]
        return rf
    rf.kind = frame.attrs.get("kind", rf.kind)
    if kind is not None and rf.kind is not None and kind != rf.kind:
        rf.problems = [f"{path}: holds {rf.kind}, not {kind} (recognised as {FORMATS[rf.format]})"]
        return rf
    rf.ok, rf.frame, rf.rows = True, frame, len(frame)
    rf.period_kind = frame.attrs.get("period_kind")
    rf.conversions = list(frame.attrs.get("conversions", []))
    rf.refused = list(frame.attrs.get("refused", []))
    fmt_info = frame.attrs.get("format") or {}
    rf.notes += [n for n in fmt_info.get("notes", []) if isinstance(n, str)]
    return rf


def _read(fmt: FileFormat, path: Path, *, kind: str | None, contents: str | None,
          allow_gaps: bool = False, **options) -> pd.DataFrame:
    from ..schemas import validate

    f = fmt.format
    if f in ("scb-json-stat2", "scb-json-stat1", "scb-pxweb-json"):
        from .pxweb import read_pxweb_population
        df = read_pxweb_population(path, contents=contents)
        df.attrs["kind"] = "population"
        return df
    if f == "scb-pxweb-csv":
        from .scb import read_scb_pxweb_csv
        df = read_scb_pxweb_csv(path)
        df.attrs.update(kind="population", period_kind="annual")
        return df
    if f == "kolada-json":
        from .kolada import read_kolada_json
        k = read_kolada_json(path)
        pop = k[(k["kpi"] == "N01951") & (k["region_level"] == "kommun") & (k["gender"] == "T")]
        if pop.empty:
            raise DataError(f"Kolada KPIs {', '.join(sorted(set(k['kpi'])))} are not population: "
                            "only N01951 (invånare 31/12) is imported", file=str(path))
        out = validate(pd.DataFrame({"kommunkod": pop["kommunkod"], "year": pop["year"],
                                     "population": pop["value"]}), "population", file=str(path))
        out.attrs.update(kind="population", period_kind="annual")
        return out
    if f == "bra-long":
        return _bra_long(path, allow_gaps)
    if f == "bra-export":
        return _bra_export(path)
    if f == "bra-kommun-csv":
        raise DataError("a Brå 'Anmälda brott i kommuner' file names neither its crime type nor "
                        "its year: read it with analysis.io.read_bra_kommun_csv(path, year=…, "
                        "crime_type=…), or export the table from Brå's statistikdatabas instead",
                        file=str(path))
    if f == "bra-ptable":
        raise DataError("a Brå P-table holds a län or riket, not kommuner: the data folder is per "
                        "kommun (read it with analysis.io.read_bra_ptable for comparisons)",
                        file=str(path))
    if f == "survey-spss" or (fmt.kind == "survey" or kind == "survey"):
        from .survey_files import read_survey
        df = read_survey(path, **{k: v for k, v in options.items() if v is not None})
        df.attrs["kind"] = "survey"
        return df
    if f == "measures-yaml":
        from .tidy import read_measures
        df = read_measures(path)
        df.attrs["kind"] = "measures"
        return df
    want = kind or fmt.kind
    if want == "items" and f == "tidy-csv":
        from .survey_files import read_items
        df = read_items(path)
        df.attrs["kind"] = "items"
        return df
    if f == "tidy-excel":
        from .survey_files import _read_excel
        frame, rows, info = _read_excel(path, None)
        frame = frame.map(lambda v: None if v is None else (str(int(v)) if isinstance(v, float)
                                                             and v.is_integer() else str(v)))
        if want is None:
            from .recognise import _tidy_kind
            want = _tidy_kind([str(c) for c in frame.columns])
        if want is None:
            raise DataError("an Excel sheet whose columns fit no kind of the data model (found: "
                            + ", ".join(map(str, frame.columns)) + ")", file=str(path))
        if want == "measures":
            frame = frame.assign(**{c: pd.to_datetime(frame[c], errors="ignore") for c in ("start", "end")
                                    if c in frame})
        df = validate(frame, want, file=str(path), rows=rows, allow_gaps=allow_gaps)
        df.attrs.update(kind=want, format=info)
        return df
    if f == "tidy-csv":
        if path.stat().st_size > STREAM_BYTES:
            pc = stream_check(path, want)
            pc.raise_if_any()
        from .tidy import read_tidy
        df = read_tidy(path, want, allow_gaps=allow_gaps)
        df.attrs["kind"] = want
        if want == "crimes":
            df.attrs["period_kind"] = "monthly"
        return df
    raise DataError(f"no reader for format {f}", file=str(path))  # pragma: no cover


def _bra_long(path: Path, allow_gaps: bool) -> pd.DataFrame:
    from ..schemas import validate
    from .bra_long import read_bra_long

    long = read_bra_long(path)
    monthly = (long["period_kind"] == "monthly").all()
    rates = long[["kommunkod", "period", "count", "rate_per_100k"]].copy()
    if monthly:
        df = validate(long[["kommunkod", "period", "crime_type", "count", "status"]], "crimes",
                      file=str(path), rows=long["row"].to_numpy(), allow_gaps=allow_gaps)
        kind = "crimes"
    else:
        df = validate(long.assign(year=[p.year for p in long["period"]])[
            ["kommunkod", "year", "crime_type", "count", "rate_per_100k", "status"]],
            "crimes_annual", file=str(path), rows=long["row"].to_numpy())
        kind = "crimes_annual"
    conv = df.attrs.get("conversions", [])
    mapped = long.loc[long["crime_label"] != long["crime_type"], ["crime_label", "crime_type"]]
    for (lab, ct), grp in mapped.groupby(["crime_label", "crime_type"], sort=False):
        conv.append({"column": "crime_type", "from": lab, "to": ct, "rows": int(len(grp)),
                     "why": "Brå's label mapped to the data model's name"})
    df.attrs.update(kind=kind, period_kind="monthly" if monthly else "annual", conversions=conv,
                    refused=long.attrs["refused"], bra_rates=rates, format=long.attrs["format"])
    return df


def _bra_export(path: Path) -> pd.DataFrame:
    from ..schemas import validate
    from .bra_export import read_bra_table_export

    df = read_bra_table_export(path)
    if "region_level" not in df:  # the monthly kommun series came back as crimes
        df.attrs.update(kind="crimes", period_kind="monthly")
        return df
    k = df[df["region_level"] == "kommun"]
    if k.empty:
        raise DataError("no kommun rows: the export holds only "
                        + ", ".join(sorted(set(df["region_level"]))), file=str(path))
    years = k[[getattr(p, "freqstr", "") in ("Y", "Y-DEC", "A-DEC") for p in k["period"]]]
    out = validate(pd.DataFrame({"kommunkod": years["region_code"], "year": [p.year for p in years["period"]],
                                 "crime_type": years["crime_type"], "count": years["count"],
                                 "rate_per_100k": years["rate_per_100k"], "status": years["status"]}),
                   "crimes_annual", file=str(path))
    out.attrs.update(kind="crimes_annual", period_kind="annual")
    return out


def stream_check(path: str | Path, kind: str, *, chunk_rows: int = _CHUNK_ROWS) -> GroupedProblems:
    """Validate a large tidy CSV chunk by chunk; problems grouped, memory bounded.

    Only the cell-level contract is checked (types, ranges, allowed values); table-level checks
    (duplicates, gaps) need the whole table and run when the file is read in full after it
    passed this check.

    Parameters
    ----------
    path : str or Path
    kind : str
    chunk_rows : int

    Returns
    -------
    GroupedProblems
        Empty when every row is fine.
    """
    from ..schemas import validate
    from .delimited import read_delimited

    path = Path(path)
    name = str(path)
    pc = GroupedProblems(file=name)
    with path.open("rb") as fh:
        first = fh.read(65536)
    head = read_delimited(first[:first.rfind(b"\n") + 1] if b"\n" in first else first, file=name)
    line = 1
    reader = pd.read_csv(path, sep=head.delimiter, encoding=head.encoding, dtype=str,
                         keep_default_na=False, chunksize=chunk_rows, skip_blank_lines=False,
                         engine="c")
    for chunk in reader:
        rows = np.arange(len(chunk)) + line + 1
        line += len(chunk)
        blank = (chunk == "").all(axis=1).to_numpy()
        if blank.any():
            chunk, rows = chunk[~blank], rows[~blank]
        try:  # cell checks only: duplicates and gaps need the whole table
            validate(chunk.reset_index(drop=True), kind, file=name, rows=rows, collector=pc,
                     table_checks=False)
        except DataError:
            pass
        if any(g.message == "required column missing" for g in pc.groups.values()):
            break
    return pc


def conversion_lines(conversions: list[dict], refused: list[dict], *, limit: int = 10,
                     more: str = "") -> list[str]:
    """What reading a file converted and left out, as lines for ``check`` and ``import``.

    At most ``limit`` of each, then a count of the rest (``more`` says where the rest is, e.g.
    " (IMPORT.json)"). Labels are shown in full.

    Examples
    --------
    >>> conversion_lines([{"column": "kommunkod", "from": "180", "to": "0180", "rows": 3,
    ...                    "why": "leading zero lost (Excel)"}], [])
    ["converted kommunkod: '180' → '0180' (3 rows; leading zero lost (Excel))"]
    """
    out = []
    for c in conversions[:limit]:
        out.append(f"converted {c['column']}: {c['from']!r} → {c['to']!r} ({format_count(c['rows'])} "
                   f"row{'s' if c['rows'] != 1 else ''}; {c['why']})")
    if len(conversions) > limit:
        out.append(f"… and {len(conversions) - limit} other conversions{more}")
    for x in refused[:limit]:
        hint = f"; nearest: {x['suggestion']!r}" if x.get("suggestion") else ""
        out.append(f"left out: {x['label']!r} ({format_count(x['n_rows'])} rows; {x['why']}{hint})")
    if len(refused) > limit:
        out.append(f"… and {len(refused) - limit} other labels left out{more}")
    return out
