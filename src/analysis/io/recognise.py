"""What is in this file? Recognising an export by its content, never by its extension.

A coordinator downloads files from Brå, SCB and Kolada, renames them, opens them in Excel and
saves them again: ``.csv`` may be an Excel workbook, ``.json`` may be any of SCB's three JSON
layouts. :func:`recognise` reads at most the first 64 KB (JSON: the whole file) and names the
format and the data-model kind it converts to; empty, binary and unknown files get an error that
says what the file is and what would be accepted. The importer (:mod:`analysis.io.importer`) and
``lagesbild check`` dispatch on the result.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, Problem
from ..schemas import SCHEMAS
from .text import decode_bytes

__all__ = ["FileFormat", "recognise", "FORMATS", "TIDY_KINDS"]

#: The formats :func:`recognise` names, with a description for messages and the manifest.
FORMATS = {
    "scb-json-stat2": "SCB PxWeb JSON-stat 2.0 (API v1 json-stat2 or API v2)",
    "scb-json-stat1": "SCB PxWeb JSON-stat 1.x (API v1 format json-stat)",
    "scb-pxweb-json": "SCB PxWeb json (columns/data)",
    "scb-pxweb-csv": "SCB PxWeb CSV",
    "kolada-json": "Kolada API JSON",
    "bra-kommun-csv": "Brå 'Anmälda brott i kommuner' CSV (one crime type and year)",
    "bra-export": "Brå statistikdatabas table export (one column per period)",
    "bra-long": "Brå statistikdatabas table in long form (one row per kommun, crime type and period)",
    "bra-ptable": "Brå P-table or Tabell 100 (per län or riket)",
    "tidy-csv": "tidy CSV of the data model (docs/data-model.md)",
    "tidy-excel": "tidy Excel sheet of the data model",
    "survey-spss": "SPSS survey file",
    "measures-yaml": "registry of measures (YAML)",
}
#: Data-model kinds a tidy file may hold, in the order they are tried.
TIDY_KINDS = ("survey", "margins", "crimes", "crimes_annual", "population", "items", "measures",
              "municipalities")


@dataclass(frozen=True)
class FileFormat:
    """A recognised file.

    Attributes
    ----------
    format : str
        A key of :data:`FORMATS`.
    kind : str or None
        The data-model kind it becomes (``crimes``, ``crimes_annual``, ``population``,
        ``survey``, ``items``, ``margins``, ``measures``, ``municipalities``), ``None`` when
        the file itself does not say (a Brå table may hold months or years).
    description : str
    file : str
    detail : str
        What gave it away (for the manifest and ``check``).
    """

    format: str
    kind: str | None
    description: str
    file: str
    detail: str = ""


def _refuse(name: str, message: str, expected: str) -> DataError:
    return DataError(Problem(message, file=name, expected=expected))


_ACCEPTED = ("a CSV/Excel file in the tidy layout (docs/data-model.md), an SCB PxWeb response "
             "(JSON or CSV), a Brå table export or kommun CSV, a Kolada JSON response, or an SPSS "
             "survey file")


def _tidy_kind(cols: list[str]) -> str | None:
    have = {c.strip().casefold() for c in cols}
    for kind in TIDY_KINDS:
        need = {c.name for c in SCHEMAS[kind].columns if c.required}
        if need <= have:
            if kind == "population" and {"sex", "age_group"} <= have and "area" in have:
                return "margins"
            return kind
    return None


def recognise(path: str | Path, *, kind: str | None = None) -> FileFormat:
    """Recognise a file's format (and data-model kind) from its content.

    Parameters
    ----------
    path : str or Path
    kind : str, optional
        What the user says the file holds; used to tell apart tidy files whose header fits
        several kinds, and checked against what the content says.

    Returns
    -------
    FileFormat

    Raises
    ------
    DataError
        An empty file (0 bytes), a binary file that is no supported workbook (PDF, ZIP,
        Word, old ``.xls``, parquet), or text in no known layout; the message says what the
        file is and what would be accepted.

    Examples
    --------
    >>> import tempfile, os; d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "befolkning.csv")
    >>> _ = Path(p).write_text('{"version": "2.0", "class": "dataset", "id": [], "size": [], '
    ...                        '"dimension": {}, "value": []}')
    >>> recognise(p).format
    'scb-json-stat2'
    >>> _ = Path(p).write_bytes(b"")
    >>> recognise(p)
    Traceback (most recent call last):
    ...
    analysis.errors.DataError: ...befolkning.csv: the file is empty (0 bytes); expected a file with data: download the export again
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise _refuse(name, "no such file", "the path of an exported file")
    size = path.stat().st_size
    if size == 0:
        raise _refuse(name, "the file is empty (0 bytes)", "a file with data: download the export again")
    with path.open("rb") as fh:
        head = fh.read(65536)
    if head.startswith(b"PK\x03\x04"):
        return _zip(path, name, kind)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse(name, "an old Excel 97–2003 workbook (.xls, recognised by its content)",
                    "the sheet saved as .xlsx or as CSV UTF-8 (Excel: Spara som)")
    if head[:4] in (b"$FL2", b"$FL3"):
        return FileFormat("survey-spss", "survey", FORMATS["survey-spss"], name, "SPSS signature")
    for magic, what in ((b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"),
                        (b"PAR1", "a parquet file"), (b"\x89PNG", "a PNG image"),
                        (b"\xff\xd8\xff", "a JPEG image")):
        if head.startswith(magic):
            raise _refuse(name, f"{what}, not a data table", _ACCEPTED)
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(name, "a binary file of unknown type (it contains NUL bytes)", _ACCEPTED)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(name, "UTF-16 text (Excel's 'Unicode text')", "the sheet saved as CSV UTF-8")
    if size > len(head) and b"\n" in head:
        head = head[:head.rfind(b"\n") + 1]  # no character cut in half at the 64 KB mark
    text, _, _ = decode_bytes(head, file=name)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return _json(path, name)
    if stripped[:200].lower().startswith(("<!doctype", "<html", "<table", "<?xml")):
        if re.search(r"Tabell\s+(P\d|100)", text):
            return FileFormat("bra-ptable", None, FORMATS["bra-ptable"], name, "HTML with 'Tabell P…'")
        raise _refuse(name, "an HTML page that is no Brå P-table", _ACCEPTED)
    return _from_text(text, name, kind)


def _zip(path: Path, name: str, kind: str | None) -> FileFormat:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except zipfile.BadZipFile:
        raise _refuse(name, "a damaged ZIP/Excel file", "the file downloaded or saved again") from None
    if any(n.startswith("xl/") for n in names):
        return FileFormat("tidy-excel", kind, FORMATS["tidy-excel"], name,
                          "Excel workbook (.xlsx) recognised by its content"
                          + ("" if name.lower().endswith((".xlsx", ".xlsm")) else
                             f", although the name ends in '{Path(name).suffix}'"))
    if any(n.startswith("word/") for n in names):
        raise _refuse(name, "a Word document, not a data table", _ACCEPTED)
    raise _refuse(name, f"a ZIP archive ({len(names)} files): unpack it first", _ACCEPTED)


def _json(path: Path, name: str) -> FileFormat:
    from .pxweb import _json_layout

    try:
        js = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _refuse(name, f"looks like JSON but is not valid JSON ({err})",
                    "the API response saved unchanged") from None
    layout = _json_layout(js)
    if layout is not None:
        fmt = {"json-stat2": "scb-json-stat2", "json-stat1": "scb-json-stat1",
               "pxweb-json": "scb-pxweb-json"}[layout]
        return FileFormat(fmt, "population", FORMATS[fmt], name, f"PxWeb layout {layout}")
    if isinstance(js, dict) and isinstance(js.get("values"), list) and \
            any(isinstance(v, dict) and "kpi" in v for v in js["values"]):
        return FileFormat("kolada-json", "population", FORMATS["kolada-json"], name, "Kolada 'values'")
    keys = ", ".join(map(str, list(js)[:6])) if isinstance(js, dict) else "a list"
    raise _refuse(name, f"JSON in no known layout (top-level keys: {keys})",
                "an SCB PxWeb response (json-stat2, json-stat, json) or a Kolada response")


def _from_text(text: str, name: str, kind: str | None) -> FileFormat:
    lines = [ln for ln in text.splitlines()[:80] if ln.strip()]
    first = lines[0] if lines else ""
    if re.match(r"\s*Tabell\s+(P\d|100)\b", first):
        return FileFormat("bra-ptable", None, FORMATS["bra-ptable"], name, first.strip()[:40])
    if name.lower().endswith((".yml", ".yaml")) or re.match(r"\s*(measures\s*:|-\s+measure_id\s*:)", first):
        return FileFormat("measures-yaml", "measures", FORMATS["measures-yaml"], name, "YAML")
    from .delimited import sniff_delimiter

    delim = sniff_delimiter("\n".join(lines[:40]))
    split = [[c.strip().strip('"').strip() for c in ln.split(delim)] for ln in lines[:40]]
    header = split[0] if split else []
    low = [c.casefold() for c in header]
    tidy = _tidy_kind(header)
    if tidy is not None:
        if kind is not None and kind != tidy and kind in SCHEMAS and \
                {c.name for c in SCHEMAS[kind].columns if c.required} <= set(low):
            tidy = kind
        return FileFormat("tidy-csv", tidy, FORMATS["tidy-csv"], name, f"header fits kind {tidy}")
    if low and low[0] == "kommun" and any("antal" in c or "100 000" in c for c in low[1:]):
        return FileFormat("bra-kommun-csv", "crimes_annual", FORMATS["bra-kommun-csv"], name,
                          "header 'Kommun;Antal…'")
    region = next((c for c in low if c in ("kommun", "region", "område", "omrade")), None)
    crime = next((c for c in low if c in ("brott", "brottstyp", "crime_type", "brottskategori")), None)
    if region and crime and any(c in ("antal", "count") for c in low) and \
            any(c in ("år", "ar", "period", "månad", "year") for c in low):
        return FileFormat("bra-long", None, FORMATS["bra-long"], name, "columns region, crime, period, Antal")
    for ln in lines[:40]:
        r = [c.strip().strip('"').casefold() for c in re.split(r"[;\t,]", ln)]
        if "område" in r and "brottstyp" in r:
            return FileFormat("bra-export", None, FORMATS["bra-export"], name, "header 'Område;Brottstyp;…'")
    if low and low[0] in ("region", "\ufeffregion") or any(re.match(r"^\d{2,4} \S", row[0])
                                                           for row in split[1:6] if row):
        return FileFormat("scb-pxweb-csv", "population", FORMATS["scb-pxweb-csv"], name,
                          "region labels such as '0180 Stockholm'")
    shown = first if len(first) <= 120 else first[:117] + "..."
    want = f"the columns of kind '{kind}': " + ", ".join(
        c.name for c in SCHEMAS[kind].columns if c.required) if kind in SCHEMAS else _ACCEPTED
    raise _refuse(name, f"no known layout; the first line reads {shown!r}", want)
