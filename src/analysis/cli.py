"""The `lagesbild` command: sample data, file checks, summaries, report drafts, evaluations.

Each subcommand is a thin wrapper around an importable function, so everything the command
does can also be done from a notebook.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    name="lagesbild",
    help="Lägesbild för brottsförebyggande arbete: data, statistik och rapportutkast.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Kind(str, Enum):
    crimes = "crimes"
    crimes_annual = "crimes_annual"
    population = "population"
    survey = "survey"
    margins = "margins"
    measures = "measures"
    municipalities = "municipalities"
    items = "items"


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="Folder to write the sample data set to.")] = Path("data/sample"),
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same files byte for byte.")] = 20260101,
    kommun: Annotated[Optional[list[str]], typer.Option(help="Only these kommun codes (repeatable).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing folder.")] = False,
) -> None:
    """Write the synthetic sample data (Syntetiska exempeldata – inte verklig statistik)."""
    from .sample import DEFAULT_SEED, write_sample  # noqa: F401  (import cost only when used)

    try:
        files = write_sample(out, seed=seed, kommuner=kommun, overwrite=overwrite)
    except FileExistsError as exc:
        _fail(f"{exc}. Use --overwrite to replace it.")
    typer.echo(f"Wrote {len(files)} files to {out} (seed {seed}). "
               "Syntetiska exempeldata – inte verklig statistik.")


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="The file to validate.", show_default=False)],
    kind: Annotated[Kind, typer.Option("--kind", "-k", help="What the file holds.")],
    items: Annotated[Optional[Path], typer.Option(help="Survey: item catalogue; answers outside an item's scale are errors.")] = None,
    margins: Annotated[Optional[Path], typer.Option(help="Survey: margins file; respondents in areas it does not list are errors.")] = None,
    kommun: Annotated[Optional[str], typer.Option(help="Survey: the kommun code every respondent must belong to.")] = None,
    allow_gaps: Annotated[bool, typer.Option(help="Crimes: months missing inside a series are listed, not an error.")] = False,
) -> None:
    """Validate a file (any supported format, recognised by content); print OK and a short
    profile, or the problems grouped by kind (exit 1)."""
    from .io import check_file

    for path in (file, items, margins):
        if path is not None and not path.exists():
            _fail(f"{path}: no such file", 2)
    extra = {k: v for k, v in {"items": items, "margins": margins, "kommunkod": kommun}.items() if v is not None}
    result = check_file(file, kind.value, allow_gaps=allow_gaps, **extra)
    typer.echo(result.render())
    if not result.ok:
        raise typer.Exit(1)


@app.command("import")
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
            _fail(f"{path}: no such file or folder", 2)
    result = import_exports(sources, out, contents=contents, overwrite=overwrite, strict=strict,
                            label=label)
    typer.echo(result.render())
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def summary(
    data: Annotated[Path, typer.Option(help="Data folder (see docs/data-model.md).")] = Path("data/sample"),
    kommun: Annotated[Optional[list[str]], typer.Option(help="Kommun codes (repeatable); default all.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the summary files.")] = Path("reports"),
) -> None:
    """Counts and rates per crime type and year, one CSV per kommun."""
    from .report.summary import write_summaries

    paths = write_summaries(data, out, kommuner=kommun)
    for p in paths:
        typer.echo(str(p))


def _notebook(name: str, override: Optional[Path]) -> Path:
    """The report template: ``--notebook`` or the project's ``notebooks/NAME.py``."""
    path = override or Path(__file__).resolve().parents[2] / "notebooks" / f"{name}.py"
    if not path.is_file():
        _fail(f"report notebook {path} not found; run from a clone of the project or pass "
              f"--notebook PATH", 2)
    return path


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
    from .municipalities import municipalities, normalize_code

    reg = municipalities()
    if all_:
        return list(reg["kommunkod"])
    codes: list[str] = []
    try:
        codes += [normalize_code(k) for k in kommun or []]
    except ValueError as exc:
        _fail(str(exc), 2)
    for lk in lan or []:
        lk = lk.zfill(2) if lk.isdigit() else lk
        hit = reg[(reg["lanskod"] == lk) | (reg["lan"].str.casefold() == lk.casefold())]
        if hit.empty:
            _fail(f"unknown län {lk!r}; give a 2-digit län code such as '17' or a name such as "
                  "'Värmlands län'", 2)
        codes += list(hit["kommunkod"])
    if not codes:
        _fail("choose kommuner with --kommun CODE, --lan CODE or --all", 2)
    return list(dict.fromkeys(codes))


def _run(notebook: Path, params: list[dict], *, out: Path, data: Path, jobs: Optional[int],
         resume: bool, scheduler: Optional[str], formats: list[str], name_key: str,
         title: str) -> None:
    from .batch import BatchParameterError, run_batch

    try:
        result = run_batch(notebook, params, out_dir=out, jobs=jobs, resume=resume,
                           scheduler=scheduler, formats=formats, data_files=[data],
                           name_key=name_key, title=title, note=_dataset_note(data))
    except BatchParameterError as exc:
        _fail(f"{exc}", 2)
    typer.echo(result.summary())
    raise typer.Exit(result.exit_code)


_FORMATS_HELP = "Output formats (repeatable): ipynb, html, docx, png."


@app.command()
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
    if not (data / "crimes.csv").is_file():
        _fail(f"{data}: no crimes.csv here; write the sample with `lagesbild sample --out {data}`", 2)
    codes = _select_kommuner(data, kommun, lan, all_)
    params = [{"kommunkod": c, "data_dir": str(data.resolve()), "year": year,
               "comparison": comparison} for c in codes]
    _run(_notebook("lagesbild", notebook), params, out=out, data=data, jobs=jobs, resume=resume,
         scheduler=scheduler, formats=format or ["ipynb", "html", "docx", "png"],
         name_key="kommunkod", title="Lägesbilder – utkast")


@app.command()
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
    from .io import read_measures

    registry = next((p for p in (data / "measures.csv", data / "measures.yaml", data / "measures.yml")
                     if p.is_file()), None)
    if registry is None:
        _fail(f"{data}: no measures.csv or measures.yaml", 2)
    known = list(read_measures(registry)["measure_id"])
    ids = known if all_measures else list(measure or [])
    if not ids:
        _fail("choose measures with --measure ID or --all-measures", 2)
    unknown = [m for m in ids if m not in known]
    if unknown:
        _fail(f"unknown measure id(s) {', '.join(unknown)}; {registry} has {', '.join(known)}", 2)
    params = [{"measure_id": m, "data_dir": str(data.resolve())} for m in ids]
    _run(_notebook("utvardering", notebook), params, out=out, data=data, jobs=jobs, resume=resume,
         scheduler=scheduler, formats=format or ["ipynb", "html", "docx", "png"],
         name_key="measure_id", title="Utvärderingar av åtgärder – utkast")


def main() -> None:
    """Entry point of the `lagesbild` console script."""
    from .errors import DataError

    try:
        app()
    except DataError as exc:
        typer.echo(str(exc), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
