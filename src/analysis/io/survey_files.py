"""Readers for safety-survey microdata (CSV, Excel, SPSS) and the item catalogue.

Kommuner get their trygghetsmätning as whatever the survey firm delivers: a Swedish-Excel CSV
(cp1252, ``;``, decimal commas), an ``.xlsx`` or an SPSS ``.sav`` with value labels. The readers
detect and report the format, check the design columns and every answer against the item
catalogue, and return the ``survey`` kind for :mod:`analysis.survey`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, Problem, ProblemCollector
from ..schemas import SURVEY_DESIGN_COLUMNS, parse_codes, validate
from .delimited import _DtypeMismatch, read_delimited, rows_where
from .text import Lines, parse_numbers
from .tidy import read_margins

__all__ = ["read_survey", "read_items", "parse_scale", "item_codes", "check_survey_against"]

_TEXT_DESIGN = ("respondent_id", "kommunkod", "area", "sex", "age_group", "stratum", "psu")
_SEX_WORDS = {"man": "man", "män": "man", "m": "man", "male": "man", "pojke": "man",
              "kvinna": "kvinna", "kvinnor": "kvinna", "k": "kvinna", "female": "kvinna",
              "flicka": "kvinna"}


# --------------------------------------------------------------------------- item catalogue

def parse_scale(text: str) -> dict[int, str]:
    """Parse an answer scale ``"1=Mycket trygg|2=Ganska trygg|9=Vet ej"`` into ``{code: label}``.

    Examples
    --------
    >>> parse_scale("1=Ja|2=Nej|9=Vet ej")
    {1: 'Ja', 2: 'Nej', 9: 'Vet ej'}
    """
    out: dict[int, str] = {}
    for part in str(text).split("|"):
        m = re.fullmatch(r"\s*(-?\d+)\s*[=:]\s*(.*?)\s*", part)
        if not m:
            raise ValueError(f"scale entry {part.strip()!r} is not 'code=label'")
        code = int(m.group(1))
        if code in out:
            raise ValueError(f"code {code} appears twice in the scale")
        out[code] = m.group(2)
    return out


def read_items(path: str | Path) -> pd.DataFrame:
    """Read an item catalogue (``items`` kind) and check that its scales are usable.

    Parameters
    ----------
    path : str or Path
        CSV with ``item, question, scale, indicator_values`` and optionally ``indicator``,
        ``missing_values`` (see docs/data-model.md).

    Returns
    -------
    pandas.DataFrame
        The validated ``items`` kind; ``attrs['scales']`` maps each item to ``{code: label}``.

    Raises
    ------
    DataError
        Malformed scales, indicator or missing-value codes outside the scale (with row and column).

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "items.csv")
    >>> _ = Path(p).write_text(
    ...     "item,question,scale,indicator_values,indicator,missing_values\\n"
    ...     "utsatt_brott,Utsatt för brott,1=Ja|2=Nej|9=Vet ej,1,utsatt,9\\n", encoding="utf-8")
    >>> read_items(p).attrs["scales"]
    {'utsatt_brott': {1: 'Ja', 2: 'Nej', 9: 'Vet ej'}}
    """
    d = read_delimited(path)
    items = validate(d.frame, "items", file=d.file, rows=d.rows)
    pc = ProblemCollector(file=d.file)
    scales: dict[str, dict[int, str]] = {}
    for i, row in enumerate(items.itertuples(index=False)):
        line = int(d.rows[i])
        try:
            scale = parse_scale(row.scale)
        except ValueError as err:
            pc.add(str(err), row=line, column="scale", value=row.scale,
                   expected="codes and labels such as '1=Mycket trygg|2=Ganska trygg|9=Vet ej'")
            continue
        scales[row.item] = scale
        for col in ("indicator_values", "missing_values"):
            if col not in items:
                continue
            raw = getattr(row, col)
            try:
                codes = set(parse_codes(raw))
            except ValueError:
                pc.add("not a list of codes", row=line, column=col, value=raw,
                       expected="codes separated by '|', e.g. '3|4'")
                continue
            outside = sorted(codes - set(scale))
            if outside and col == "indicator_values":
                pc.add("indicator code not in the scale", row=line, column=col, value=raw,
                       expected=f"codes among {sorted(scale)}")
            if col == "indicator_values" and not codes:
                pc.add("no indicator codes", row=line, column=col, expected="e.g. '3|4'")
    pc.raise_if_any()
    items.attrs["scales"] = scales
    items.attrs["format"] = d.format_info()
    return items


def item_codes(items: pd.DataFrame) -> dict[str, set[int]]:
    """Allowed answer codes per item: the scale plus the missing-value codes."""
    scales = items.attrs.get("scales") or {r.item: parse_scale(r.scale)
                                           for r in items.itertuples(index=False)}
    out = {}
    for r in items.itertuples(index=False):
        extra = set(parse_codes(getattr(r, "missing_values", None))) if "missing_values" in items else set()
        out[r.item] = set(scales[r.item]) | extra
    return out


# --------------------------------------------------------------------------- microdata

def read_survey(path: str | Path, *, items: pd.DataFrame | str | Path | None = None,
                kommunkod: str | None = None, margins: pd.DataFrame | str | Path | None = None,
                encoding: str | None = None, delimiter: str | None = None,
                sheet: str | int | None = None, only_kommuner=None) -> pd.DataFrame:
    """Read survey microdata (one row per respondent) from CSV, Excel or SPSS.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` (UTF-8, UTF-8 with BOM, cp1252 or latin-1; ``,``, ``;`` or tab: all
        detected and reported), ``.xlsx`` (openpyxl) or ``.sav`` (pyreadstat).
    items : DataFrame or path, optional
        Item catalogue (:func:`read_items`). Answers outside an item's scale are errors.
        Without it, item columns are converted to integers when they hold whole numbers.
    kommunkod : str, optional
        The kommun the survey is for; respondents from other kommuner are errors.
    margins : DataFrame or path, optional
        Population margins (``margins`` kind). Respondents in a kommun × year without margins, or
        in an area the margins do not list, are errors; so is an area with population in the
        margins but no respondents (an empty stratum cannot be estimated or calibrated).
    encoding, delimiter : str, optional
        For CSV; detected when left out.
    sheet : str or int, optional
        Excel sheet (default: the first).
    only_kommuner : collection of str, optional
        Keep only the respondents of these kommuner (4-character codes; a code Excel shortened
        to 3 digits counts as its padded form). The other rows are dropped as read, before any
        check: an evaluation of one measure validates its län, not the whole country.
        ``attrs['lines']`` still gives each kept respondent's line in the file.

    Returns
    -------
    pandas.DataFrame
        The ``survey`` kind: the design columns (``respondent_id, kommunkod, year, area, sex,
        age_group, stratum, psu, design_weight``) then one Int64 column per item.
        ``attrs['format']`` says how the file was read (encoding, delimiter, decimal comma);
        ``attrs['value_labels']`` holds SPSS value labels (``{column: {code: label}}``);
        ``attrs['lines']`` the row of each respondent as the user counts it (CSV line,
        Excel row, SPSS case number).

    Raises
    ------
    DataError
        Every problem in the file: design columns (codes, missing or non-positive weights,
        strata with fewer than two respondents), answers outside their scale, respondents outside
        the kommun or the margins, empty strata.

    Notes
    -----
    In ``;``- or tab-separated files (Swedish Excel) ``design_weight`` may use a decimal comma;
    in a comma-separated file a decimal comma is ambiguous and reported. SPSS value labels of
    ``sex``, ``age_group``, ``area`` and ``stratum`` are applied (``1`` → ``"man"``); item codes
    stay codes.

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "enkat.csv")
    >>> rows = ["respondent_id;kommunkod;year;area;sex;age_group;stratum;psu;design_weight;utsatt_brott"]
    >>> rows += [f"r{i};1760;2025;Centrum;{'man' if i % 2 else 'kvinna'};25-44;Centrum;;12,5;{1 + i % 2}"
    ...          for i in range(4)]
    >>> _ = Path(p).write_text("\\n".join(rows) + "\\n", encoding="cp1252")
    >>> df = read_survey(p, kommunkod="1760")
    >>> df["design_weight"].tolist(), df["utsatt_brott"].tolist(), df.attrs["format"]["delimiter"]
    ([12.5, 12.5, 12.5, 12.5], [1, 2, 1, 2], ';')
    """
    path = Path(path)
    with path.open("rb") as fh:  # the content decides, not the name ('.csv' may be a workbook)
        magic = fh.read(4)
    if magic == b"\xd0\xcf\x11\xe0" or path.suffix.lower() == ".ods":
        raise DataError("an old Excel (.xls) or OpenDocument workbook is not read: save the sheet "
                        "as .xlsx or as CSV UTF-8", file=str(path))
    if magic == b"PK\x03\x04":
        frame, rows, fmt = _read_excel(path, sheet)
    elif magic in (b"$FL2", b"$FL3"):
        frame, rows, fmt = _read_sav(path)
    else:
        frame, rows, fmt = _read_csv(path, encoding, delimiter, only_kommuner)
    if only_kommuner is not None:
        frame, rows = _only_kommuner(frame, rows, only_kommuner)
    name = str(path)
    pc = ProblemCollector(file=name)
    if items is not None and not isinstance(items, pd.DataFrame):
        items = read_items(items)
    if margins is not None and not isinstance(margins, pd.DataFrame):
        margins = read_margins(margins)

    frame = _prepare_weight(frame, rows, fmt, pc)
    frame = _prepare_items(frame, rows, items, pc)
    try:
        typed = validate(frame, "survey", file=name, rows=rows)
    except DataError as err:
        pc.extend(err.problems)
        typed = None
    if typed is not None:
        _check_scope(typed, rows, kommunkod, margins, pc)
        if margins is not None:
            _check_bands(typed, rows, margins, pc)
    elif {"kommunkod", "year", "area"} <= set(frame.columns):
        # the design columns have problems, but respondents outside the kommun are worth
        # reporting in the same round: check the rows whose year could be read
        year = pd.to_numeric(frame["year"], errors="coerce")
        ok = year.notna().to_numpy()
        loose = pd.DataFrame({"kommunkod": frame["kommunkod"].astype(str).str.strip().to_numpy()[ok],
                              "year": year.to_numpy()[ok].astype(int),
                              "area": frame["area"].astype(object).to_numpy()[ok]})
        _check_scope(loose, np.asarray(rows)[ok], kommunkod, margins, pc)
    if pc.problems:
        raise DataError(sorted(pc.problems, key=lambda p: (p.row is None, p.row or 0)))
    typed.attrs.update({"format": fmt, "value_labels": fmt.pop("value_labels", {}),
                        "column_labels": fmt.pop("column_labels", {}),
                        "lines": Lines(rows)})
    if items is not None:
        typed.attrs["items"] = [c for c in items["item"] if c in typed.columns]
    if only_kommuner is not None:
        typed.attrs["only_kommuner"] = sorted(only_kommuner)
    return typed


def _kommun_code(v) -> str:
    """A kommunkod cell as _coerce reads it: stripped, Excel's numbers and lost zeros mended."""
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        v = int(v) if np.isfinite(v) and float(v).is_integer() else v
    text = str(v).strip()
    return "0" + text if len(text) == 3 and text.isdigit() else text


def _only_kommuner(frame: pd.DataFrame, rows, kommuner):
    """The rows of ``frame`` (and their line numbers) whose kommunkod is one of ``kommuner``."""
    if "kommunkod" not in frame.columns:
        return frame, rows  # validation says the column is missing
    wanted = set(kommuner)
    raw = frame["kommunkod"]
    # a survey has a few hundred distinct codes and a million rows: map the codes, not the rows
    keep_codes = [v for v in pd.unique(raw.dropna()) if _kommun_code(v) in wanted]
    keep = raw.isin(keep_codes).to_numpy(dtype=bool)
    return frame.loc[keep].reset_index(drop=True), np.asarray(rows)[keep]


def _read_csv(path: Path, encoding: str | None, delimiter: str | None, only_kommuner=None):
    """Fast path with explicit dtypes; any cell that does not fit falls back to text cells.
    With ``only_kommuner``, only their lines are parsed (and one column of the others)."""
    with path.open("rb") as fh:
        first = fh.read(65536)
    head = read_delimited(first.rsplit(b"\n", 1)[0] + b"\n" if b"\n" in first else first,
                          encoding=encoding, delimiter=delimiter, file=str(path))
    cols = [str(c) for c in head.frame.columns]
    dtypes: dict[str, Any] = {c: str for c in cols}
    if head.delimiter != ";" and head.delimiter != "\t":
        dtypes.update({c: "float64" for c in cols if c == "design_weight"})
    dtypes.update({c: "Int64" for c in cols if c not in SURVEY_DESIGN_COLUMNS})
    dtypes["year"] = "Int64" if "year" in cols else str
    source, lines = path, None
    if only_kommuner is not None and "kommunkod" in cols:
        wanted = set(only_kommuner)
        cut = rows_where(path.read_bytes(), encoding=head.encoding, delimiter=head.delimiter,
                         column="kommunkod", keep=lambda v: _kommun_code(v) in wanted,
                         file=str(path))
        if cut is not None:
            source, lines = cut
    try:
        d = read_delimited(source, encoding=head.encoding, delimiter=head.delimiter,
                           dtype=dtypes, file=str(path))
    except _DtypeMismatch:
        d = read_delimited(source, encoding=head.encoding, delimiter=head.delimiter, dtype=str,
                           file=str(path))
    rows = d.rows if lines is None else lines[np.asarray(d.rows) - 2]  # lines of the file
    fmt = d.format_info()
    fmt["notes"] = head.notes
    fmt["reader"] = "csv"
    return d.frame, rows, fmt


def _read_excel(path: Path, sheet: str | int | None):
    from openpyxl import load_workbook

    fh = Path(path).open("rb")  # a file object: openpyxl judges a path by its extension
    wb = load_workbook(fh, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[sheet] if isinstance(sheet, int) else (wb[sheet] if sheet else wb.worksheets[0])
        header, data, rows = None, [], []
        for r_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if header is None:  # title rows above the header hold a single cell
                if sum(v not in (None, "") for v in values) >= 2:
                    header = [str(v).strip() if v is not None else f"column{k + 1}"
                              for k, v in enumerate(values)]
                continue
            if all(v in (None, "") for v in values):
                continue
            data.append(list(values[:len(header)]) + [None] * (len(header) - len(values)))
            rows.append(r_no)
        title = ws.title
    finally:
        wb.close()
        fh.close()
    if header is None:
        raise DataError("the sheet is empty", file=str(path))
    frame = pd.DataFrame(data, columns=header, dtype=object)
    for c in frame.columns:
        if c in _TEXT_DESIGN or c == "year":
            frame[c] = frame[c].map(_cell_text)
    fmt = {"reader": "excel", "sheet": title, "notes": [f"Excel sheet '{title}'; rows as Excel numbers them"]}
    return frame, np.asarray(rows), fmt


def _cell_text(v: Any) -> Any:
    """Excel cell to text as the user typed it: 2181.0 → '2181' (a lost leading zero stays lost)."""
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v).strip()


def _read_sav(path: Path):
    import pyreadstat

    df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    labels = {k: {(int(c) if float(c).is_integer() else c): str(v) for c, v in d.items()}
              for k, d in (meta.variable_value_labels or {}).items()}
    frame = df.astype(object)
    for c in frame.columns:
        if c in ("sex", "age_group", "area", "stratum") and c in labels:
            frame[c] = [labels[c].get(int(v) if isinstance(v, float) and v.is_integer() else v, v)
                        if v is not None and not (isinstance(v, float) and np.isnan(v)) else None
                        for v in frame[c]]
        if c in _TEXT_DESIGN or c == "year":
            frame[c] = frame[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                    else _cell_text(v))
    if "sex" in frame:
        frame["sex"] = frame["sex"].map(lambda v: _SEX_WORDS.get(str(v).strip().lower(), v)
                                        if v is not None else v)
    if "age_group" in frame:
        frame["age_group"] = frame["age_group"].map(
            lambda v: re.sub(r"^\s*(\d+)\s*[-–]\s*(\d+)\s*(år)?\s*$", r"\1-\2", v)
            if isinstance(v, str) else v)
    fmt = {"reader": "spss", "encoding": meta.file_encoding,
           "notes": [f"SPSS file, {meta.number_rows} cases; rows are case numbers"],
           "value_labels": labels, "column_labels": dict(zip(meta.column_names, meta.column_labels))}
    return frame, np.arange(len(frame)) + 1, fmt


def _prepare_weight(frame: pd.DataFrame, rows, fmt: dict, pc: ProblemCollector) -> pd.DataFrame:
    if "design_weight" not in frame or pd.api.types.is_float_dtype(frame["design_weight"]):
        return frame
    raw = frame["design_weight"]
    text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    comma = text.str.contains(",", regex=False)
    if not comma.any():
        return frame
    if fmt.get("delimiter") == "," or fmt.get("reader") != "csv":
        for i in np.flatnonzero(comma.to_numpy()):
            pc.add("decimal comma in a numeric column", row=int(rows[i]), column="design_weight",
                   value=raw.iloc[i], expected="a number with a decimal point, e.g. 12.5 (a decimal "
                   "comma is only read in ';'- or tab-separated files)")
        return frame.assign(design_weight=np.where(comma, "", text))
    point = text.str.contains(".", regex=False)
    if point.any():
        for i in np.flatnonzero(point.to_numpy()):
            pc.add("mixed decimal signs: this file uses decimal commas", row=int(rows[i]),
                   column="design_weight", value=raw.iloc[i], expected="12,5 like the other rows")
    p = parse_numbers(text.where(~point, ""))
    fmt.setdefault("notes", []).append("design_weight read with decimal comma")
    fmt["decimal"] = ","
    out = np.where(p.invalid, text, p.values.astype(object))
    return frame.assign(design_weight=pd.Series(out, index=frame.index).where(~point, None))


def _int_array(num: np.ndarray) -> pd.arrays.IntegerArray:
    """float array with NaN → nullable Int64, without going through Python objects."""
    mask = np.isnan(num)
    return pd.arrays.IntegerArray(np.where(mask, 0, num).astype(np.int64), mask)


def _prepare_items(frame: pd.DataFrame, rows, items: pd.DataFrame | None, pc: ProblemCollector
                   ) -> pd.DataFrame:
    allowed = item_codes(items) if items is not None else {}
    item_cols = [c for c in frame.columns if c not in SURVEY_DESIGN_COLUMNS]
    out = {}
    for c in item_cols:
        s = frame[c]
        if isinstance(s.dtype, pd.Int64Dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            num = s.to_numpy(dtype=float, na_value=np.nan)
            bad_text = np.zeros(len(s), dtype=bool)
        else:
            text = s.astype(object).where(s.notna(), "").astype(str).str.strip()
            num = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float)
            bad_text = ((text != "").to_numpy()) & np.isnan(num)
        frac = ~np.isnan(num) & (num != np.round(num))
        if c not in allowed:
            if bad_text.any():  # free text (comments): leave as it is
                out[c] = s
            elif not isinstance(s.dtype, pd.Int64Dtype):
                out[c] = num if frac.any() else _int_array(num)
            continue
        codes = allowed[c]
        for i in np.flatnonzero(bad_text):
            pc.add("answer is not a code", row=int(rows[i]), column=c, value=s.iloc[i],
                   expected=f"one of {sorted(codes)} or empty")
        outside = ~np.isnan(num) & ~frac & ~np.isin(num, list(codes))
        for i in np.flatnonzero(frac | outside):
            pc.add("answer outside the item's scale", row=int(rows[i]), column=c, value=s.iloc[i],
                   expected=f"one of {sorted(codes)} or empty")
        if bad_text.any() or frac.any() or outside.any() or not isinstance(s.dtype, pd.Int64Dtype):
            out[c] = _int_array(np.where(bad_text | frac | outside, np.nan, num))
    if out:
        frame = frame.assign(**out)
    return frame


def check_survey_against(survey: pd.DataFrame, *, items: pd.DataFrame | None = None,
                         margins: pd.DataFrame | None = None) -> list[Problem]:
    """Problems between a validated survey and its item catalogue and margins.

    The checks that make estimation inside a report fail later: respondents in an age band or
    sex the margins lack (calibration needs a population for every cell the sample has),
    areas outside the margins, empty strata, answers outside an item's scale, items the
    catalogue does not describe.

    Parameters
    ----------
    survey : pandas.DataFrame
        The validated ``survey`` kind (``attrs['lines']``: the file rows).
    items, margins : pandas.DataFrame, optional

    Returns
    -------
    list of Problem

    Examples
    --------
    >>> sv = pd.DataFrame({"respondent_id": ["a", "b"], "kommunkod": "1760", "year": 2025,
    ...                    "area": "C", "sex": "man", "age_group": ["16-29", "85+"]})
    >>> m = pd.DataFrame({"kommunkod": "1760", "year": 2025, "area": "C", "sex": "man",
    ...                   "age_group": ["16-29"], "population": [100]})
    >>> [str(p) for p in check_survey_against(sv, margins=m)]  # doctest: +NORMALIZE_WHITESPACE
    ["survey, row 3, column 'age_group': margins have no age band '85+' (sex man) for 1760 2025:
      these respondents cannot be calibrated (got '85+'); expected an age band of the margins: 16-29"]
    """
    pc = ProblemCollector(file=survey.attrs.get("source", "survey"))
    lines = survey.attrs.get("lines")
    rows = np.asarray(lines) if lines is not None and len(lines) == len(survey) else np.arange(len(survey)) + 2
    if margins is not None:
        _check_scope(survey, rows, None, margins, pc)
        _check_bands(survey, rows, margins, pc)
    if items is not None:
        codes = item_codes(items)
        extra = [c for c in survey.columns if c not in SURVEY_DESIGN_COLUMNS]
        for c in extra:
            if c not in codes:
                pc.add("item not in the item catalogue", row=1, column=c,
                       expected="an item of items.csv: " + ", ".join(sorted(codes)))
                continue
            vals = pd.to_numeric(survey[c], errors="coerce")
            bad = vals.notna() & ~vals.isin(sorted(codes[c]))
            for i in np.flatnonzero(bad.to_numpy()):
                pc.add("answer outside the item's scale", row=int(rows[i]), column=c,
                       value=survey[c].iat[i], expected="one of " + ", ".join(map(str, sorted(codes[c]))))
    return pc.problems


def _check_bands(survey: pd.DataFrame, rows, margins: pd.DataFrame, pc: ProblemCollector) -> None:
    """Every sex × age band of the respondents must have a margin (the survey's own bands)."""
    margins = margins.loc[margins["kommunkod"].isin(pd.unique(survey["kommunkod"]))]
    have = {(k, int(y), s_, a) for k, y, s_, a in
            zip(margins["kommunkod"], margins["year"], margins["sex"], margins["age_group"])}
    bands = margins.groupby(["kommunkod", "year"])["age_group"].agg(lambda a: sorted(set(a)))
    cols = ["kommunkod", "year", "sex", "age_group"]
    if len(survey) and not survey[cols].isna().to_numpy().any():
        # a million respondents in a few thousand cells: decide once per cell, in row order
        cell = survey.groupby(cols, sort=False, observed=True).ngroup().to_numpy()
        first = np.full(cell.max() + 1, -1)
        first[cell[::-1]] = np.arange(len(cell))[::-1]
        lacking = np.array([(k, int(y), s_, a) not in have and (k, int(y)) in bands.index
                            for k, y, s_, a in survey[cols].iloc[first].itertuples(index=False)])
        todo = np.flatnonzero(lacking[cell])
    else:
        todo = np.arange(len(survey))
    sub = survey[cols].iloc[todo]
    for i, (k, y, s_, a) in zip(todo, zip(sub["kommunkod"], sub["year"], sub["sex"], sub["age_group"])):
        key = (k, int(y), s_, a)
        if key in have or (k, int(y)) not in bands.index:
            continue
        pc.add(f"margins have no age band {a!r} (sex {s_}) for {k} {y}: these respondents "
               "cannot be calibrated", row=int(rows[i]), column="age_group", value=a,
               expected="an age band of the margins: " + ", ".join(bands.loc[(k, int(y))]))


def _check_scope(df: pd.DataFrame, rows, kommunkod: str | None, margins: pd.DataFrame | None,
                 pc: ProblemCollector) -> None:
    rows = np.asarray(rows)
    if kommunkod is not None:
        other = (df["kommunkod"] != kommunkod).fillna(True).to_numpy(dtype=bool)
        for i in np.flatnonzero(other):
            pc.add("respondent outside the kommun", row=int(rows[i]), column="kommunkod",
                   value=df["kommunkod"].iat[i], expected=f"'{kommunkod}' (the survey's kommun)")
    if margins is None:
        return
    mfile = margins.attrs.get("source", "margins")
    lines = margins.attrs.get("lines")
    mrows = np.asarray(lines) if lines is not None and len(lines) == len(margins) else None
    m = pd.DataFrame({"kommunkod": margins["kommunkod"].astype(str).to_numpy(),
                      "year": margins["year"].astype(int).to_numpy(),
                      "area": (margins["area"].astype(object).to_numpy() if "area" in margins
                               else np.full(len(margins), None, dtype=object)),
                      "population": margins["population"].astype(float).to_numpy()})
    s = pd.DataFrame({"kommunkod": df["kommunkod"].astype(str).to_numpy(),
                      "year": df["year"].astype(int).to_numpy(),
                      "area": df["area"].astype(object).to_numpy()})
    # every check below concerns the surveyed kommuner: national margins, one län's survey
    mine = m["kommunkod"].isin(s["kommunkod"].unique()).to_numpy()
    m = m.loc[mine].reset_index(drop=True)
    mrows = mrows[mine] if mrows is not None else None
    ky_m = pd.MultiIndex.from_frame(m[["kommunkod", "year"]].drop_duplicates())
    ky_s = pd.MultiIndex.from_frame(s[["kommunkod", "year"]])
    no_margins = ~ky_s.isin(ky_m)
    for i in np.flatnonzero(no_margins):
        pc.add(f"no margins for kommun {s['kommunkod'].iat[i]} in {s['year'].iat[i]}: respondent "
               "outside the population the margins describe", row=int(rows[i]), column="kommunkod",
               value=s["kommunkod"].iat[i], expected=f"a kommun × year present in {mfile}")
    with_area = m[pd.notna(m["area"])]
    if with_area.empty:
        return
    kya_m = pd.MultiIndex.from_frame(with_area[["kommunkod", "year", "area"]].drop_duplicates())
    ky_with_area = pd.MultiIndex.from_frame(with_area[["kommunkod", "year"]].drop_duplicates())
    kya_s = pd.MultiIndex.from_frame(s)
    outside = ky_s.isin(ky_with_area) & ~kya_s.isin(kya_m)
    if outside.any():
        areas = with_area.groupby(["kommunkod", "year"])["area"].agg(lambda a: sorted(set(a)))
        for i in np.flatnonzero(outside):
            k, y = s["kommunkod"].iat[i], s["year"].iat[i]
            pc.add(f"area not in the margins for kommun {k} in {y}: respondent outside the "
                   "kommun's areas", row=int(rows[i]), column="area", value=s["area"].iat[i],
                   expected="one of: " + ", ".join(map(str, areas.loc[(k, y)])))
    pop = with_area.groupby(["kommunkod", "year", "area"], sort=False)["population"].sum()
    surveyed_ky = set(ky_s.unique())
    surveyed = set(kya_s.unique())
    first = {}
    if mrows is not None:
        keys = list(zip(m["kommunkod"], m["year"], m["area"]))
        for j in range(len(keys) - 1, -1, -1):
            first[keys[j]] = int(mrows[j])
    for (k, y, a), n in pop.items():
        if n > 0 and (k, y) in surveyed_ky and (k, y, a) not in surveyed:
            pc.problems.append(Problem(
                f"empty stratum: area has population {int(n)} in the margins but no respondents "
                f"in the survey for kommun {k} {y}", file=mfile, row=first.get((k, y, a)),
                column="area", value=a, expected="respondents in every area with population "
                "(merge the area with a neighbour or drop it from the margins)"))
