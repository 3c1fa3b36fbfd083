"""Reading the tidy files of a data directory, and the whole directory as one :class:`Dataset`.

A data directory (the embedded sample, or an analyst's own) holds one file per kind
(docs/data-model.md). :func:`load_dataset` reads and validates them all, records where every
figure came from (sha256 per file) and whether the data are synthetic, and hands the frames to
the statistics layer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import DataError
from ..schemas import SCHEMAS, validate
from .survey_files import read_items, read_survey
from .delimited import _DtypeMismatch, read_delimited
from .text import Lines

__all__ = ["read_tidy", "read_crimes", "read_population", "read_margins", "read_measures",
           "load_dataset", "Dataset", "DATA_FILES"]

#: File name of each kind in a data directory.
DATA_FILES = {"crimes": "crimes.csv", "population": "population.csv", "survey": "survey.csv",
              "items": "items.csv", "margins": "margins.csv", "measures": "measures.csv"}

_FAST_DTYPES = {  # explicit dtypes for the common case; text cells again if a value does not fit
    "crimes": {"count": "Int64"},
    "population": {"year": "Int64", "population": "Int64"},
    "margins": {"year": "Int64", "population": "Int64"},
}


def read_tidy(path: str | Path, kind: str, *, encoding: str | None = None,
              delimiter: str | None = None, allow_gaps: bool = False) -> pd.DataFrame:
    """Read a CSV file in the tidy layout of ``kind`` and validate it.

    Parameters
    ----------
    path : str or Path
        CSV with the columns of the kind (docs/data-model.md); point decimals, codes as text.
        Encoding and delimiter are detected and reported in ``attrs['format']``.
    kind : str
        ``crimes``, ``population``, ``margins``, ``measures``, ``items``, ``municipalities``
        (surveys: :func:`analysis.io.read_survey`).
    allow_gaps : bool
        ``crimes``: months missing inside a series are listed in ``attrs['gaps']``, not an error.

    Returns
    -------
    pandas.DataFrame
        Validated by :func:`analysis.schemas.validate`; ``attrs['lines']`` holds the
        line of each row.

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "population.csv")
    >>> _ = Path(p).write_text("kommunkod,year,population\\n1760,2025,3777\\n0114,2025,50495\\n")
    >>> read_tidy(p, "population").to_dict("list")
    {'kommunkod': ['1760', '0114'], 'year': [2025, 2025], 'population': [3777, 50495]}
    """
    if kind == "survey":
        return read_survey(path, encoding=encoding, delimiter=delimiter)
    if kind == "items":
        return read_items(path)
    if kind == "measures" and Path(path).suffix.lower() in (".yml", ".yaml"):
        return read_measures(path)
    if kind not in SCHEMAS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(SCHEMAS)}")
    fast = {c: str for c in ("kommunkod", "period", "crime_type", "status")}
    fast.update(_FAST_DTYPES.get(kind, {}))
    try:
        d = read_delimited(path, encoding=encoding, delimiter=delimiter,
                           dtype=fast if kind in _FAST_DTYPES else str)
    except _DtypeMismatch:
        d = read_delimited(path, encoding=encoding, delimiter=delimiter, dtype=str)
    frame = d.frame
    if kind == "crimes" and "period" in frame:
        frame = frame.assign(period=_fast_months(frame["period"]))
    out = validate(frame, kind, file=d.file, rows=d.rows, allow_gaps=allow_gaps)
    out.attrs["format"] = d.format_info()
    out.attrs["lines"] = Lines(d.rows)
    return out


def _fast_months(period: pd.Series) -> pd.Series:
    """``YYYY-MM`` text → Period[M], converting each distinct value once; unchanged if any
    value is not such a month, so that validation reports it with its row."""
    codes, uniques = pd.factorize(period)
    parsed = pd.to_datetime(pd.Series(uniques, dtype=object), format="%Y-%m", errors="coerce")
    if parsed.isna().any() or (codes < 0).any():
        return period
    months = pd.PeriodIndex(parsed, freq="M")
    return pd.Series(months.take(codes), index=period.index)


def read_crimes(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read ``crimes.csv`` (``kommunkod, period, crime_type, count, status``); see :func:`read_tidy`."""
    return read_tidy(path, "crimes", **kwargs)


def read_population(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read ``population.csv`` (``kommunkod, year, population``); see :func:`read_tidy`."""
    return read_tidy(path, "population", **kwargs)


def read_margins(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read ``margins.csv`` (``kommunkod, year, area, sex, age_group, population``)."""
    return read_tidy(path, "margins", **kwargs)


def read_measures(path: str | Path) -> pd.DataFrame:
    """Read the registry of measures from CSV or YAML into the ``measures`` kind.

    YAML is a list of measures (or ``{"measures": [...]}``) with the same fields as the CSV;
    ``target_crime_types`` may be a list. Problems name the line where the measure starts.

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "measures.yaml")
    >>> _ = Path(p).write_text('''measures:
    ...   - measure_id: M2181-01
    ...     kommunkod: "2181"
    ...     name: Trygghetsvandringar
    ...     focus_area: Trygghet på offentliga platser
    ...     start: 2022-03-01
    ...     end:
    ...     target_crime_types: [Misshandel (inkl. grov), Skadegörelsebrott]
    ...     indicator: otrygg_kvall
    ... ''')
    >>> m = read_measures(p)
    >>> m[["measure_id", "start", "target_crime_types"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'measure_id': 'M2181-01', 'start': Timestamp('2022-03-01 00:00:00'),
      'target_crime_types': 'Misshandel (inkl. grov);Skadegörelsebrott'}]
    """
    path = Path(path)
    if path.suffix.lower() not in (".yml", ".yaml"):
        return read_tidy(path, "measures")
    text = path.read_text(encoding="utf-8-sig")
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise DataError(f"not valid YAML: {getattr(err, 'problem', err)}", file=str(path)) if mark is None \
            else DataError([_yaml_problem(path, mark.line + 1, str(getattr(err, "problem", err)))])
    if root is not None and isinstance(root, yaml.MappingNode):
        root = next((v for k, v in root.value if k.value == "measures"), None)
    if not isinstance(root, yaml.SequenceNode):
        raise DataError("expected a list of measures (or 'measures:' followed by a list)", file=str(path))
    loader_rows, records = [], []
    for node in root.value:
        # every scalar as text, as in a CSV: '0114' keeps its zero, a bad date reaches validation
        item = yaml.load(yaml.serialize(node), Loader=yaml.BaseLoader)
        loader_rows.append(node.start_mark.line + 1)
        if not isinstance(item, dict):
            raise DataError([_yaml_problem(path, node.start_mark.line + 1, "a measure must be a mapping")])
        rec = {}
        for k, v in item.items():
            if isinstance(v, (list, tuple)):
                v = ";".join(map(str, v))
            elif isinstance(v, dict):
                raise DataError([_yaml_problem(path, node.start_mark.line + 1,
                                               f"field '{k}' must be a value or a list, not a mapping")])
            rec[str(k)] = v if v != "" else None
        records.append(rec)
    frame = pd.DataFrame(records, dtype=object)
    out = validate(frame, "measures", file=str(path), rows=loader_rows)
    out.attrs["lines"] = Lines(loader_rows)
    return out


def _yaml_problem(path: Path, line: int, message: str):
    from ..errors import Problem
    return Problem(message, file=str(path), row=line)


# --------------------------------------------------------------------------- data directory

@dataclass(frozen=True)
class Dataset:
    """Everything in one data directory, validated.

    Attributes
    ----------
    crimes, population : pandas.DataFrame
        Always present.
    survey, items, margins, measures : pandas.DataFrame or None
        ``None`` when the file is absent.
    synthetic : bool
        True for the embedded sample (from ``DATASET.json``); reports then say
        "Syntetiska exempeldata – inte verklig statistik".
    label : str
        Description from ``DATASET.json``.
    files : dict
        ``{relative path: sha256}`` of every file read, for the provenance line of a report.
    path : pathlib.Path
        The directory.
    info : dict
        The whole ``DATASET.json``.
    """

    crimes: pd.DataFrame
    population: pd.DataFrame
    survey: pd.DataFrame | None
    items: pd.DataFrame | None
    margins: pd.DataFrame | None
    measures: pd.DataFrame | None
    synthetic: bool
    label: str
    files: dict[str, str]
    path: Path
    info: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line per table: rows and coverage."""
        lines = [f"{self.path} ({'synthetic' if self.synthetic else 'real'}: {self.label})"]
        for name in ("crimes", "population", "survey", "items", "margins", "measures"):
            df = getattr(self, name)
            lines.append(f"  {name}: " + ("absent" if df is None else f"{len(df):,} rows".replace(",", " ")))
        return "\n".join(lines)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_dataset(data_dir: str | Path) -> Dataset:
    """Read and validate a data directory (layout: docs/data-model.md).

    Parameters
    ----------
    data_dir : str or Path
        Directory with ``crimes.csv`` and ``population.csv`` (required) and optionally
        ``survey.csv``, ``items.csv``, ``margins.csv``, ``measures.csv`` (or ``measures.yaml``)
        and ``DATASET.json``.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        The problems of every file together (one file's problems do not hide another's).
    FileNotFoundError
        When the directory or a required file is missing.

    Notes
    -----
    The survey is checked against the item catalogue (answers outside their scale) and against
    the margins (respondents outside the kommun's areas, empty strata). Without ``DATASET.json``
    the data count as real unless a ``planted_truth.json`` (written only by the sample generator)
    is present.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"data directory {root} does not exist")
    for required in ("crimes", "population"):
        if not (root / DATA_FILES[required]).exists():
            raise FileNotFoundError(f"{root / DATA_FILES[required]} is missing (required in a data directory)")
    problems = []
    frames: dict[str, pd.DataFrame | None] = {}
    files: dict[str, str] = {}

    def attempt(kind: str, fn, *args, **kwargs):
        try:
            frames[kind] = fn(*args, **kwargs)
        except DataError as err:
            problems.extend(err.problems)
            frames[kind] = None

    def present(name: str) -> Path | None:
        p = root / name
        if p.exists():
            files[name] = _sha256(p)
            return p
        return None

    attempt("crimes", read_tidy, present(DATA_FILES["crimes"]), "crimes")
    attempt("population", read_tidy, present(DATA_FILES["population"]), "population")
    for kind in ("items", "margins"):
        p = present(DATA_FILES[kind])
        frames[kind] = None
        if p is not None:
            attempt(kind, read_tidy, p, kind)
    measures_path = present("measures.csv") or present("measures.yaml") or present("measures.yml")
    frames["measures"] = None
    if measures_path is not None:
        attempt("measures", read_measures, measures_path)
    survey_path = present(DATA_FILES["survey"])
    frames["survey"] = None
    if survey_path is not None:
        if (root / DATA_FILES["items"]).exists() and frames["items"] is None or \
                (root / DATA_FILES["margins"]).exists() and frames["margins"] is None:
            problems.append(_yaml_problem(survey_path, None, "survey not checked: fix the item "
                                          "catalogue or the margins first"))
        else:
            attempt("survey", read_survey, survey_path, items=frames["items"], margins=frames["margins"])
    info: dict = {}
    info_path = present("DATASET.json")
    if info_path is not None:
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            problems.append(_yaml_problem(info_path, err.lineno, f"not valid JSON: {err.msg}"))
    if problems:
        raise DataError(problems)
    synthetic = bool(info.get("synthetic", (root / "planted_truth.json").exists()))
    if (root / "planted_truth.json").exists():
        present("planted_truth.json")
    label = str(info.get("label", "Syntetiska exempeldata – inte verklig statistik" if synthetic else ""))
    return Dataset(crimes=frames["crimes"], population=frames["population"], survey=frames["survey"],
                   items=frames["items"], margins=frames["margins"], measures=frames["measures"],
                   synthetic=synthetic, label=label, files=dict(sorted(files.items())), path=root,
                   info=info)
