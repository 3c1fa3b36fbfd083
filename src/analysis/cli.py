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
) -> None:
    """Validate a file; print OK and a short profile, or every problem found (exit 1)."""
    from .io import check_file

    if not file.exists():
        _fail(f"{file}: no such file", 2)
    result = check_file(file, kind.value)
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
    from .summary import write_summaries

    paths = write_summaries(data, out, kommuner=kommun)
    for p in paths:
        typer.echo(str(p))


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
