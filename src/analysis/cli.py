"""The `lagesbild` command: sample data, file checks, summaries, report drafts, evaluations.

Each subcommand is a thin wrapper around an importable function, so everything the command
does can also be done from a notebook. Every expected problem (a bad option, missing data, an
output folder that cannot be written, another batch at work) ends the command with one line
saying what is wrong and what to do, and an exit code of its own; ``--debug`` shows the
traceback instead. Results go to stdout; messages about the work go through the package's
logger (``logging.getLogger("analysis")``) to stderr, as many as ``-v``/``-q`` ask for.
``python -m analysis`` is the same command.
"""

from __future__ import annotations

import functools
import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

#: Exit codes, one per kind of outcome (listed in ``lagesbild --help``).
EXIT_CODES = {
    0: "everything done",
    1: "done, but some reports failed or the checked file has problems",
    2: "an option or argument is not valid (nothing was done)",
    3: "input data missing or not valid",
    4: "the output folder cannot be written",
    5: "another batch is writing to the same output folder",
    6: "a tool is missing (pandoc, the report template)",
    70: "internal error (a bug: run again with --debug and report the traceback)",
    130: "interrupted (Ctrl-C)",
}
EXIT_FAILED, EXIT_USAGE, EXIT_DATA, EXIT_OUTPUT, EXIT_BUSY, EXIT_TOOL, EXIT_INTERNAL = (
    1, 2, 3, 4, 5, 6, 70)

_HELP = ("Lägesbild för brottsförebyggande arbete: data, statistik och rapportutkast.\n\n"
         "Exit codes: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()) + ".")

app = typer.Typer(
    name="lagesbild",
    help=_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state: dict = {"debug": False, "progress": None}
_log = logging.getLogger("analysis.cli")

#: Log level of the package's logger for each ``-v``/``-q`` balance (default 0: INFO).
_LEVELS = {-2: logging.ERROR, -1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}


class _EchoHandler(logging.Handler):
    """Log records to the stderr of the running command (click's, so tests capture it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            typer.echo(self.format(record), err=True)
        except Exception:  # noqa: BLE001 - logging must never break the command
            self.handleError(record)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"lagesbild: {record.levelname.lower()}: {text}"
        if record.levelno < logging.INFO:
            return f"[{record.name}] {text}"
        return text


def _configure_logging(ctx: typer.Context, verbosity: int) -> None:
    """Route the package's log records (and Python warnings) to stderr for this command."""
    level = _LEVELS[max(-2, min(1, verbosity))]
    handler = _EchoHandler(level)
    handler.setFormatter(_Formatter())
    package, warned = logging.getLogger("analysis"), logging.getLogger("py.warnings")
    before = package.level
    package.setLevel(level)
    package.addHandler(handler)
    warned.addHandler(handler)
    logging.captureWarnings(True)

    def restore() -> None:  # the process may go on (tests, notebooks): leave no trace
        package.removeHandler(handler)
        warned.removeHandler(handler)
        package.setLevel(before)
        logging.captureWarnings(False)

    ctx.call_on_close(restore)


def _show_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"lagesbild {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True,
                                         help="More messages on stderr: -v adds debugging detail.")] = 0,
    quiet: Annotated[int, typer.Option("--quiet", "-q", count=True,
                                       help="Fewer messages: -q warnings and errors only, -qq errors only.")] = 0,
    progress: Annotated[Optional[bool], typer.Option(
        "--progress/--no-progress",
        help="Progress bar of reports and evaluations on stderr (default: when stderr is a terminal, not with -q).",
        show_default=False)] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error instead of one line.")] = False,
) -> None:
    """Global options; they go before the command (``lagesbild -q --no-progress reports ...``)."""
    _configure_logging(ctx, verbose - quiet)
    _state["progress"] = False if progress is None and quiet > verbose else progress
    _state["debug"] = debug


class Kind(str, Enum):
    crimes = "crimes"
    crimes_annual = "crimes_annual"
    population = "population"
    survey = "survey"
    margins = "margins"
    measures = "measures"
    municipalities = "municipalities"
    items = "items"
    incidents = "incidents"


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"lagesbild: {message}", err=True)
    raise typer.Exit(code)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 400 else text[:400] + " …"


def _handled(command):
    """Turn the errors a user can meet into one line with a remedy and an exit code."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from .errors import DataError

        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - classified below, re-raised with --debug
            if _state["debug"]:
                raise
            from .batch.render import RenderError
            from .batch.runner import BatchLockedError

            if isinstance(exc, BatchLockedError):
                _fail(f"{exc}.", EXIT_BUSY)
            if isinstance(exc, DataError):
                n = len(exc.problems)
                first = str(exc.problems[0]) if n else _one_line(exc)
                more = f" (and {n - 1} more problems)" if n > 1 else ""
                _fail(f"the data are not valid: {first}{more}; run `lagesbild check FILE "
                      "--kind KIND` for every problem", EXIT_DATA)
            if isinstance(exc, RenderError):
                _fail(f"{_one_line(exc)}", EXIT_TOOL)
            if isinstance(exc, PermissionError):
                _fail(f"permission denied: {exc.filename}; choose a folder you can write to "
                      "(--out) or fix its permissions", EXIT_OUTPUT)
            if isinstance(exc, FileNotFoundError):
                _fail(f"{exc.filename or _one_line(exc)}: no such file or folder; check the "
                      "path (--data)", EXIT_DATA)
            if isinstance(exc, OSError):
                _fail(f"{_one_line(exc)}; check the paths given", EXIT_OUTPUT)
            _fail(f"internal error: {type(exc).__name__}: {_one_line(exc)}; run again with "
                  "--debug for the traceback and report it", EXIT_INTERNAL)
        finally:
            worker = sys.modules.get("analysis.batch.worker")
            if worker is not None:  # a worker started ahead of a batch that never ran
                worker.close_prestarted()
    return wrapper


def _kommun_codes(kommun: Optional[list[str]]) -> list[str]:
    """Kommun codes from ``--kommun`` options, or a one-line error (exit 2)."""
    from .municipalities import normalize_code

    codes = []
    for k in kommun or []:
        try:
            codes.append(normalize_code(k))
        except ValueError as exc:
            _fail(f"--kommun {k!r}: {exc}; the codes are listed in docs/data-model.md "
                  "(e.g. 1760 for Storfors)", EXIT_USAGE)
    return codes


def _writable_folder(out: Path, option: str = "--out") -> None:
    """Fail with exit 4 unless ``out`` is (or can become) a folder this user can write to."""
    import tempfile

    if out.exists() and not out.is_dir():
        _fail(f"{option} {out} is a file, not a folder; choose a folder", EXIT_OUTPUT)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        _fail(f"{option} {out}: cannot write there ({exc.strerror or exc}); choose a folder "
              "you can write to", EXIT_OUTPUT)


@app.command()
@_handled
def sample(
    out: Annotated[Path, typer.Option(help="Folder to write the sample data set to.")] = Path("data/sample"),
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same files byte for byte.")] = 20260101,
    kommun: Annotated[Optional[list[str]], typer.Option(help="Only these kommun codes (repeatable).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing folder.")] = False,
) -> None:
    """Write the synthetic sample data (Syntetiska exempeldata – inte verklig statistik)."""
    from .sample import DEFAULT_SEED, write_sample  # noqa: F401  (import cost only when used)

    kommun = _kommun_codes(kommun) or None
    if not (out.exists() and not overwrite):
        _writable_folder(out.parent if not out.exists() else out)
    try:
        files = write_sample(out, seed=seed, kommuner=kommun, overwrite=overwrite)
    except FileExistsError as exc:
        _fail(f"{_one_line(exc)}; use --overwrite to replace it", EXIT_OUTPUT)
    _log.info("Wrote %d files to %s (seed %d). Syntetiska exempeldata – inte verklig statistik.",
              len(files), out, seed)


@app.command()
@_handled
def check(
    file: Annotated[Path, typer.Argument(help="The file to validate.", show_default=False)],
    kind: Annotated[Kind, typer.Option("--kind", "-k", help="What the file holds.")],
    items: Annotated[Optional[Path], typer.Option(help="Survey: item catalogue; answers outside an item's scale are errors.")] = None,
    margins: Annotated[Optional[Path], typer.Option(help="Survey: margins file; respondents in areas it does not list are errors.")] = None,
    kommun: Annotated[Optional[str], typer.Option(help="Survey: the kommun code every respondent must belong to.")] = None,
    crimes: Annotated[Optional[Path], typer.Option(help="Measures: crime data to check each start against (default crimes.csv next to the file).")] = None,
    allow_gaps: Annotated[bool, typer.Option(help="Crimes: months missing inside a series are listed, not an error.")] = False,
) -> None:
    """Validate a file (any supported format, recognised by content); print OK and a short
    profile, or the problems grouped by kind (exit 1)."""
    from .io import check_file

    for path in (file, items, margins, crimes):
        if path is not None and not path.is_file():
            _fail(f"{path}: no such file; check the path", EXIT_DATA)
    if crimes is not None and kind is not Kind.measures:
        _fail("--crimes is for --kind measures only", EXIT_USAGE)
    extra = {k: v for k, v in {"items": items, "margins": margins, "kommunkod": kommun,
                               "crimes": crimes}.items() if v is not None}
    result = check_file(file, kind.value, allow_gaps=allow_gaps, **extra)
    typer.echo(result.render())
    if not result.ok:
        raise typer.Exit(1)


@app.command("import")
@_handled
def import_(
    sources: Annotated[list[Path], typer.Argument(help="A folder of downloaded exports, or files.", show_default=False)],
    out: Annotated[Path, typer.Option(help="Data folder to write (for reports, evaluate).")] = Path("data/import"),
    contents: Annotated[Optional[str], typer.Option(help="SCB contents code holding population, if not Folkmängd (BE0101N1).")] = None,
    label: Annotated[Optional[str], typer.Option(help="Description stored in DATASET.json.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace files in an existing data folder.")] = False,
    strict: Annotated[bool, typer.Option(help="Stop when any file is refused or any label left out.")] = False,
) -> None:
    """Turn raw exports (Brå, SCB PxWeb, Kolada, survey files; recognised by content) into a
    validated data folder with a manifest (IMPORT.json); exit 1 if it could not be written."""
    from .io.importer import import_exports

    for path in sources:
        if not path.exists():
            _fail(f"{path}: no such file or folder; check the path", EXIT_DATA)
    result = import_exports(sources, out, contents=contents, overwrite=overwrite, strict=strict,
                            label=label)
    typer.echo(result.render())
    if not result.ok:
        raise typer.Exit(1)


@app.command()
@_handled
def summary(
    data: Annotated[Path, typer.Option(help="Data folder (see docs/data-model.md).")] = Path("data/sample"),
    kommun: Annotated[Optional[list[str]], typer.Option(help="Kommun codes (repeatable); default all.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the summary files.")] = Path("reports"),
) -> None:
    """Counts and rates per crime type and year, one CSV per kommun."""
    from .report.summary import write_summaries

    codes = _kommun_codes(kommun)
    _data_folder(data)
    _in_data(codes, _crime_index(data)[0], data)
    _writable_folder(out)
    paths = write_summaries(data, out, kommuner=codes or None)
    for p in paths:
        typer.echo(str(p))


def _prestart(out: Path, scheduler: Optional[str], template: Path) -> None:
    """Start the batch's worker now: its imports (the template's too) overlap with the checks
    still to come (it writes nothing into ``out``; a command that fails a check stops it)."""
    if scheduler is None:
        from .batch.worker import prestart_for

        prestart_for(out, template)


def _checked_crimes(data: Path):
    """The folder's crimes and population, read and checked as the drafts read them, or None
    when they have problems (the drafts then report them).

    Read while the worker imports, on the other core: the per-user frame cache
    (:mod:`analysis.io.frame_cache`) then holds them, and the worker reads them in a tenth of
    the time."""
    from .errors import DataError
    from .io import load_dataset

    try:
        return load_dataset(data, kinds=()).crimes
    except (DataError, OSError, ValueError, UnicodeError):
        return None


def _notebook(name: str, override: Optional[Path]) -> Path:
    """The report template: ``--notebook`` or the project's ``notebooks/NAME.py``."""
    path = override or Path(__file__).resolve().parents[2] / "notebooks" / f"{name}.py"
    if not path.is_file():
        _fail(f"report notebook {path} not found; run from a clone of the project or pass "
              f"--notebook PATH", EXIT_TOOL)
    return path


def _data_folder(data: Path) -> None:
    if not (data / "crimes.csv").is_file():
        _fail(f"{data}: no crimes.csv here; write the sample with `lagesbild sample --out "
              f"{data}` or pass --data FOLDER", EXIT_DATA)


def _formats(format: Optional[list[str]]) -> list[str]:
    from .batch import FORMATS

    chosen = [f.strip().lower().lstrip(".") for f in format or FORMATS]
    bad = [f for f in chosen if f not in FORMATS]
    if bad:
        _fail(f"--format {bad[0]!r} is not available; choose from {', '.join(FORMATS)} "
              "(for PDF, print the HTML draft from a browser)", EXIT_USAGE)
    return chosen


def _crime_index(data: Path, crimes=None) -> tuple[set[str], list[int]]:
    """Kommun codes and complete calendar years in ``crimes.csv`` (from ``crimes`` when it was
    read and checked already, else two columns read cheaply); empty when the file cannot be
    read this way (the reports then say what is wrong)."""
    import pandas as pd

    if crimes is not None:
        months = crimes[["period"]].drop_duplicates()["period"]
        per_year = months.dt.month.groupby(months.dt.year).nunique()
        return set(crimes["kommunkod"].unique()), [int(y) for y, n in per_year.items() if n == 12]
    try:
        frame = pd.read_csv(data / "crimes.csv", usecols=["kommunkod", "period"], dtype=str)
    except (ValueError, OSError, UnicodeError):
        return set(), []
    months = pd.Series(frame["period"].dropna().unique())
    parsed = pd.to_datetime(months, format="%Y-%m", errors="coerce").dropna()
    per_year = parsed.groupby(parsed.dt.year).apply(lambda m: m.dt.month.nunique())
    codes = {c.zfill(4) for c in frame["kommunkod"].dropna().unique()}
    return codes, [int(y) for y, n in per_year.items() if n == 12]


def _in_data(codes: list[str], present: set[str], data: Path) -> None:
    from .municipalities import name_of

    missing = [c for c in codes if present and c not in present]
    if missing:
        _fail(f"kommun {missing[0]} ({name_of(missing[0])}) has no rows in "
              f"{data / 'crimes.csv'}"
              + (f" (nor {len(missing) - 1} more of those chosen)" if len(missing) > 1 else "")
              + f"; the data hold {len(present)} kommuner: choose among them or use other data",
              EXIT_USAGE)


def _dataset_note(data: Path) -> Optional[str]:
    import json

    meta = data / "DATASET.json"
    if meta.is_file():
        info = json.loads(meta.read_text(encoding="utf-8"))
        if info.get("synthetic"):
            return info.get("label") or "Syntetiska exempeldata – inte verklig statistik"
    return None


def _select_kommuner(data: Path, kommun: Optional[list[str]], lan: Optional[list[str]],
                     all_: bool) -> list[str]:
    from .municipalities import municipalities

    reg = municipalities()
    if all_:
        return list(reg["kommunkod"])
    codes: list[str] = _kommun_codes(kommun)
    for lk in lan or []:
        lk = lk.zfill(2) if lk.isdigit() else lk
        hit = reg[(reg["lanskod"] == lk) | (reg["lan"].str.casefold() == lk.casefold())]
        if hit.empty:
            _fail(f"unknown län {lk!r}; give a 2-digit län code such as '17' or a name such as "
                  "'Värmlands län'", EXIT_USAGE)
        codes += list(hit["kommunkod"])
    if not codes:
        _fail("choose kommuner with --kommun CODE, --lan CODE or --all", EXIT_USAGE)
    return list(dict.fromkeys(codes))


def _run(notebook: Path, params: list[dict], *, out: Path, data: Path, jobs: Optional[int],
         resume: bool, scheduler: Optional[str], formats: list[str], name_key: str,
         title: str) -> None:
    from .batch import BatchParameterError, run_batch

    _log.debug("%d draft(s) from %s into %s", len(params), notebook.name, out)
    _log.debug("data %s, jobs %s, resume %s, scheduler %s, formats %s", data, jobs, resume,
               scheduler, ", ".join(formats))
    try:
        result = run_batch(notebook, params, out_dir=out, jobs=jobs, resume=resume,
                           scheduler=scheduler, formats=formats, data_files=[data],
                           name_key=name_key, title=title, note=_dataset_note(data),
                           progress=_state["progress"])
    except BatchParameterError as exc:
        _fail(f"{exc}", EXIT_USAGE)
    typer.echo(result.summary())
    raise typer.Exit(result.exit_code)


_FORMATS_HELP = "Output formats (repeatable): ipynb, html, docx, png."


@app.command()
@_handled
def reports(
    kommun: Annotated[Optional[list[str]], typer.Option(help="Kommun code (repeatable), e.g. 1760.")] = None,
    lan: Annotated[Optional[list[str]], typer.Option(help="Every kommun of a län: code ('17') or name.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="All 290 kommuner.")] = False,
    data: Annotated[Path, typer.Option(help="Data folder (see docs/data-model.md).")] = Path("data/sample"),
    out: Annotated[Path, typer.Option(help="Output folder for the drafts and index.html.")] = Path("reports"),
    year: Annotated[int, typer.Option(help="Report year; 0 = the last complete year in the data.")] = 0,
    comparison: Annotated[str, typer.Option(help="Funnel comparison group: liknande, lan or riket.")] = "liknande",
    jobs: Annotated[Optional[int], typer.Option(help="Reports run in parallel (default: cores).")] = None,
    resume: Annotated[bool, typer.Option(help="Skip reports that are up to date for the same data and parameters.")] = False,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address (tcp://host:8786) to run on.")] = None,
    format: Annotated[Optional[list[str]], typer.Option("--format", help=_FORMATS_HELP)] = None,
    notebook: Annotated[Optional[Path], typer.Option(help="Report template (default notebooks/lagesbild.py).")] = None,
) -> None:
    """Lägesbild drafts (ipynb, HTML, DOCX, PNG) for one, some or all kommuner, plus index.html."""
    # every option is checked before any work starts
    formats = _formats(format)
    if comparison not in ("liknande", "lan", "riket"):
        _fail(f"--comparison {comparison!r} is not a comparison group; choose liknande "
              "(similar kommuner), lan or riket", EXIT_USAGE)
    if jobs is not None and jobs < 1:
        _fail(f"--jobs {jobs}: give at least 1", EXIT_USAGE)
    _data_folder(data)
    template = _notebook("lagesbild", notebook)
    _prestart(out, scheduler, template)  # the checks below overlap its imports
    codes = _select_kommuner(data, kommun, lan, all_)
    present, years = _crime_index(data, _checked_crimes(data))
    _in_data(codes, present, data)
    if year:
        if years and year not in years:
            _fail(f"--year {year} is not a complete year in {data / 'crimes.csv'} (complete "
                  f"years: {years[0]}–{years[-1]}); choose one of them or 0 for the latest",
                  EXIT_USAGE)
    _writable_folder(out)
    params = [{"kommunkod": c, "data_dir": str(data.resolve()), "year": year,
               "comparison": comparison} for c in codes]
    _run(template, params, out=out, data=data, jobs=jobs, resume=resume,
         scheduler=scheduler, formats=formats, name_key="kommunkod",
         title="Lägesbilder – utkast")


@app.command()
@_handled
def evaluate(
    measure: Annotated[Optional[list[str]], typer.Option(help="Measure id from the registry (repeatable).")] = None,
    all_measures: Annotated[bool, typer.Option("--all-measures", help="Every measure in the registry.")] = False,
    data: Annotated[Path, typer.Option(help="Data folder with measures.csv.")] = Path("data/sample"),
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("reports/utvardering"),
    jobs: Annotated[Optional[int], typer.Option(help="Evaluations run in parallel (default: cores).")] = None,
    resume: Annotated[bool, typer.Option(help="Skip evaluations that are up to date.")] = False,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address to run on.")] = None,
    format: Annotated[Optional[list[str]], typer.Option("--format", help=_FORMATS_HELP)] = None,
    notebook: Annotated[Optional[Path], typer.Option(help="Template (default notebooks/utvardering.py).")] = None,
) -> None:
    """Evaluation drafts for measures of the registry, through the same batch runner."""
    formats = _formats(format)
    if jobs is not None and jobs < 1:
        _fail(f"--jobs {jobs}: give at least 1", EXIT_USAGE)
    template = _notebook("utvardering", notebook)
    _prestart(out, scheduler, template)  # reading the registry and the crimes overlaps its start
    registry = next((p for p in (data / "measures.csv", data / "measures.yaml", data / "measures.yml")
                     if p.is_file()), None)
    if registry is None:
        _fail(f"{data}: no measures.csv or measures.yaml; pass --data FOLDER", EXIT_DATA)
    from .io import read_measures

    frame = read_measures(registry)
    known = list(frame["measure_id"])
    ids = known if all_measures else list(measure or [])
    if not ids:
        _fail("choose measures with --measure ID or --all-measures", EXIT_USAGE)
    unknown = [m for m in ids if m not in known]
    if unknown:
        _fail(f"unknown measure id(s) {', '.join(map(repr, unknown))}; {registry} has "
              f"{', '.join(known[:20])}{' …' if len(known) > 20 else ''}", EXIT_USAGE)
    skip = _unevaluable(frame[frame["measure_id"].isin(ids)], data, _checked_crimes(data))
    if skip and not all_measures:
        first = next(iter(skip.items()))
        _fail(f"measure {first[0]} {first[1]}; see `lagesbild check {registry} --kind "
              "measures`", EXIT_USAGE)
    for mid, why in skip.items():
        typer.echo(f"skipped {mid}: {why}", err=True)
    ids = [m for m in ids if m not in skip]
    if not ids:
        _fail("no measure can be evaluated with these data", EXIT_USAGE)
    _writable_folder(out)
    params = [{"measure_id": m, "data_dir": str(data.resolve())} for m in ids]
    _run(template, params, out=out, data=data, jobs=jobs, resume=resume,
         scheduler=scheduler, formats=formats, name_key="measure_id",
         title="Utvärderingar av åtgärder – utkast")


def _unevaluable(measures, data: Path, crimes=None) -> dict[str, str]:
    """Measures with crime types that cannot be evaluated against ``crimes.csv`` (planned,
    starting before the data, no data for the kommun): id → reason. ``crimes``: the file as
    read and checked already, if it was."""
    import pandas as pd

    from .io.check import measure_timing
    from .io.tidy import _fast_months

    with_crimes = measures[measures["target_crime_types"].notna()
                           & (measures["target_crime_types"].astype(str).str.strip() != "")]
    if with_crimes.empty:
        return {}
    if crimes is None:
        try:
            crimes = pd.read_csv(data / "crimes.csv", usecols=["kommunkod", "period"], dtype=str)
        except (ValueError, OSError, UnicodeError):
            return {}  # the evaluation reports will say what is wrong with the file
        # each distinct month parsed once (parsing every row took 9 s on the sample)
        crimes = crimes.assign(kommunkod=crimes["kommunkod"].str.zfill(4),
                               period=pd.PeriodIndex(_fast_months(crimes["period"]), freq="M"))
    timing = measure_timing(with_crimes, crimes)
    bad = timing[timing["status"].isin(["planned", "too_early", "no_data"])]
    return dict(zip(bad["measure_id"], bad["reason"]))


def main() -> None:
    """Entry point of the `lagesbild` console script."""
    from .batch import skip_iri_grammar

    skip_iri_grammar()  # 1.7 s of every command that reads a notebook
    try:
        app()
    except KeyboardInterrupt:
        if "--debug" in sys.argv[1:]:
            raise
        typer.echo("lagesbild: interrupted; finished drafts are complete, run again with "
                   "--resume to build the rest", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
