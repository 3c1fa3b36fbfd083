"""Readers of the tidy files of a data directory: crimes, population, margins, measures.

One file per kind (docs/data-model.md), each validated against its contract in
:mod:`analysis.schemas`. The whole directory is read by :func:`analysis.io.dataset.load_dataset`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import DataError
from ..schemas import SCHEMAS, validate
from .delimited import _DtypeMismatch, read_delimited
from .text import Lines

__all__ = ["read_tidy", "read_crimes", "read_population", "read_margins", "read_measures"]

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
        ``crimes``, ``crimes_annual``, ``population``, ``margins``, ``measures``,
        ``municipalities`` (surveys and item catalogues have their own readers:
        :func:`analysis.io.read_survey`, :func:`analysis.io.read_items`).
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
    if kind in ("survey", "items"):
        raise ValueError(f"{kind} files have their own reader: analysis.io.read_{kind}(path)")
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
