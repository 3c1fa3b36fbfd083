"""Reader of the kommun's own incident file (``incidents.csv``): one row per incident.

Trygghetsvärdar, property managers, schools, social services and the police's "händelser" log
incidents with a date, a clock time, a place and a type. This reader checks such a file against
the ``incidents`` contract of :mod:`analysis.schemas` and hands it to
:mod:`analysis.crime.place` (weekday × hour, places, changes between periods).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schemas import validate
from .delimited import read_delimited
from .text import Lines

__all__ = ["read_incidents"]

#: Column names as coordinators' spreadsheets often spell them → the contract's names.
_SPELLINGS = {"datum": "date", "tid": "time", "klockslag": "time", "plats": "place",
              "område": "place", "omrade": "place", "typ": "type", "händelsetyp": "type",
              "kalla": "source", "källa": "source", "rapportör": "source", "id": "incident_id"}


def read_incidents(path: str | Path, *, encoding: str | None = None,
                   delimiter: str | None = None) -> pd.DataFrame:
    """Read and validate an incident file.

    Parameters
    ----------
    path : str or Path
        CSV with the columns ``kommunkod, date, time, place, type, source`` (and optionally
        ``incident_id``); Swedish headings (``datum, tid, plats, typ, källa``) are accepted and
        reported in ``attrs['renamed']``. Encoding and delimiter are detected.
    encoding, delimiter : str, optional
        Force an encoding or a delimiter instead of detecting them.

    Returns
    -------
    pandas.DataFrame
        The contract columns, typed (``date`` as timestamps, ``time`` as ``HH:MM`` text or
        missing), with ``attrs['lines']`` holding each row's line in the file.

    Raises
    ------
    DataError
        Every problem of the file at once: file, row, column, value and what was expected.

    Notes
    -----
    Place and type are free text from the source and are treated as untrusted: they are
    never interpreted, only counted and shown (escaped by the report layer).

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "incidents.csv")
    >>> _ = Path(p).write_text("kommunkod;datum;tid;plats;typ;källa\\n"
    ...                        "2181;2025-03-07;23:40;Resecentrum;Skadegörelse;trygghetsvärdar\\n",
    ...                        encoding="utf-8")
    >>> df = read_incidents(p)
    >>> df[["place", "time"]].to_dict("records"), df.attrs["renamed"]
    ([{'place': 'Resecentrum', 'time': '23:40'}], {'datum': 'date', 'tid': 'time', 'plats': 'place', 'typ': 'type', 'källa': 'source'})
    """
    d = read_delimited(path, encoding=encoding, delimiter=delimiter, dtype=str)
    frame = d.frame
    renamed = {}
    for col in frame.columns:
        key = str(col).strip().casefold()
        if key in _SPELLINGS and _SPELLINGS[key] not in frame.columns:
            renamed[col] = _SPELLINGS[key]
    frame = frame.rename(columns=renamed)
    out = validate(frame, "incidents", file=d.file, rows=d.rows)
    # one form of clock time downstream: "7.05" and "07:05:00" become "07:05"
    clock = out["time"].str.replace(".", ":", regex=False).str.split(":")
    out["time"] = clock.map(lambda p: f"{int(p[0]):02d}:{p[1]}" if isinstance(p, list) else None)
    out.attrs["format"] = d.format_info()
    out.attrs["lines"] = Lines(d.rows)
    out.attrs["renamed"] = renamed
    return out
