"""Readers for SCB's PxWeb output (table BE0101N1, Folkmängd): JSON-stat 2 and CSV.

Population on 31 December per kommun and year is the denominator of every crime rate. The
readers decode PxWeb's layouts into the ``population`` kind (:mod:`analysis.schemas`), keep SCB's
missing-value status visible, and never fill a missing cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ProblemCollector
from ..municipalities import is_valid_code
from ..schemas import validate
from .delimited import read_delimited
from .text import MARKERS, Lines, parse_numbers

__all__ = ["read_scb_pxweb_jsonstat2", "read_scb_pxweb_csv"]

_SEX = {"1": "man", "2": "kvinna", "män": "man", "man": "man", "kvinnor": "kvinna", "kvinna": "kvinna"}
_TOTAL = {"1+2", "totalt", "tot", "total", "män och kvinnor", "totalt ålder", "samtliga", "totsa",
          "kvinnor och män", "totalt kön"}


def read_scb_pxweb_jsonstat2(source: str | Path | dict, *, missing: str = "error") -> pd.DataFrame:
    """Population per kommun and year (optionally sex, age) from a PxWeb JSON-stat 2 response.

    Parameters
    ----------
    source : path or dict
        The saved response (``"response": {"format": "json-stat2"}``) or the parsed JSON.
    missing : {"error", "drop"}
        A cell with ``null`` (SCB status ``..``) is an error by default; ``"drop"`` leaves it out
        and lists it in ``attrs['missing_cells']``.

    Returns
    -------
    pandas.DataFrame
        The ``population`` kind: ``kommunkod``, ``year``, ``population``, plus ``sex``
        (``kvinna``/``man``) and ``age_group`` (SCB's label) when the table is broken down by
        them. Riket and län rows are left out (``attrs['skipped_regions']``).

    Notes
    -----
    ``value`` is row-major over ``id``, the last dimension varying fastest (JSON-stat 2);
    ``category.index`` may be an object (code → position) or an array. Folkmängd refers to
    31 December. Row numbers in problems are positions in ``value`` (1 = first).

    References
    ----------
    JSON-stat 2.0 format, https://json-stat.org/format/ ; SCB PxWeb API.

    Examples
    --------
    >>> js = {"version": "2.0", "class": "dataset", "id": ["Region", "Kon", "ContentsCode", "Tid"],
    ...       "size": [2, 2, 1, 2], "role": {"time": ["Tid"], "geo": ["Region"], "metric": ["ContentsCode"]},
    ...       "dimension": {
    ...         "Region": {"category": {"index": {"0180": 0, "1480": 1}}},
    ...         "Kon": {"category": {"index": ["1", "2"], "label": {"1": "män", "2": "kvinnor"}}},
    ...         "ContentsCode": {"category": {"index": {"BE0101N1": 0}, "label": {"BE0101N1": "Folkmängd"}}},
    ...         "Tid": {"category": {"index": {"2024": 0, "2025": 1}}}},
    ...       "value": [10, 11, 12, 13, 20, 21, None, 23], "status": {"6": ".."}}
    >>> read_scb_pxweb_jsonstat2(js)
    Traceback (most recent call last):
    ...
    analysis.errors.DataError: <json-stat>, row 7, column 'value': no value, SCB status '..' (uppgift saknas (..)) (got '1480 / 2024 / kvinna'); expected a population count (pass missing='drop' to leave the cell out)
    >>> df = read_scb_pxweb_jsonstat2(js, missing="drop")
    >>> df.to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'kommunkod': ['0180', '0180', '0180', '0180', '1480', '1480', '1480'],
     'year': [2024, 2025, 2024, 2025, 2024, 2025, 2025], 'population': [10, 11, 12, 13, 20, 21, 23],
     'sex': ['man', 'man', 'kvinna', 'kvinna', 'man', 'man', 'kvinna']}
    """
    from .pxweb import read_pxweb_population  # one decoder for every PxWeb JSON layout

    return read_pxweb_population(source, missing=missing,
                                 file=None if isinstance(source, (str, Path)) else "<json-stat>")


def _finish(df: pd.DataFrame, *, geo: str, time: str, sex: str | None, age: str | None,
            labels: dict, name: str, missing: str, pc: ProblemCollector, value_label: str
            ) -> pd.DataFrame:
    codes = df[geo].astype(str).str.extract(r"^\s*(\d+)")[0].fillna(df[geo].astype(str))
    is_kommun = codes.str.len() == 4
    skipped = sorted(set(df.loc[~is_kommun & (codes.str.len() <= 2), geo].astype(str)))
    for i in np.flatnonzero((is_kommun & ~codes.map(is_valid_code)).to_numpy()):
        pc.add("unknown kommun code", row=int(df["row"].iat[i]), column=geo, value=df[geo].iat[i],
               expected="one of the 290 current kommun codes (SCB's RegionKommun07 list)")
    for i in np.flatnonzero((~is_kommun & (codes.str.len() > 2)).to_numpy()):
        pc.add("region code is neither a kommun (4 digits) nor riket/län", row=int(df["row"].iat[i]),
               column=geo, value=df[geo].iat[i], expected="a code such as '0180'")
    if not is_kommun.any() and not pc.problems:  # never an empty table without a word
        found = ", ".join(sorted(set(df[geo].astype(str)))[:5])
        pc.add(f"no kommun rows: the file holds only {found or 'no regions'}", column=geo,
               expected="kommun codes (4 digits), e.g. '0180 Stockholm': select the kommuner in "
               "the query (filter vs:RegionKommun07)")
        pc.raise_if_any()
    df = df.assign(kommunkod=codes)[is_kommun.to_numpy()]
    out = pd.DataFrame({"kommunkod": df["kommunkod"],
                        "year": df[time].astype(str).str.extract(r"((?:19|20)\d{2})")[0]})
    if sex is not None:
        s = df[sex].astype(str)
        lab = s.map(lambda c: labels.get(sex, {}).get(c, c)).str.lower()
        total = lab.isin(_TOTAL) | s.isin(_TOTAL)
        if total.all():
            pass
        else:
            if total.any():
                df, out, lab = df[~total.to_numpy()], out[~total.to_numpy()], lab[~total]
            mapped = lab.map(_SEX)
            for i in np.flatnonzero(mapped.isna().to_numpy()):
                pc.add("unknown sex category", row=int(df["row"].iat[i]), column=sex, value=lab.iat[i],
                       expected="1 (män) or 2 (kvinnor)")
            out["sex"] = mapped.to_numpy()
    if age is not None:
        a = df[age].astype(str)
        lab = a.map(lambda c: labels.get(age, {}).get(c, c))
        total = lab.str.lower().isin(_TOTAL) | a.str.lower().isin(_TOTAL)
        if not total.all():
            keep = ~total.to_numpy()
            df, out, lab = df[keep], out[keep], lab[keep]
            out["age_group"] = lab.to_numpy()
    vals = df["value"].to_numpy(dtype=float)
    for i in np.flatnonzero(~np.isnan(vals) & ((vals != np.round(vals)) | (vals <= 0))):
        pc.add("population must be a whole number > 0", row=int(df["row"].iat[i]), column=value_label,
               value=vals[i], expected="a count of inhabitants")
    miss = df["value"].isna().to_numpy()
    missing_cells = []
    reported = df["invalid"].to_numpy(dtype=bool) if "invalid" in df else np.zeros(len(df), bool)
    for i in np.flatnonzero(miss & ~reported):
        st = df["status"].iat[i]
        why = MARKERS.get(str(st).lower(), "no status") if st else "no status"
        where = " / ".join(str(v) for v in [df["kommunkod"].iat[i]] + [out[c].iat[i] for c in out
                                                                         if c not in ("kommunkod",)])
        missing_cells.append({"row": int(df["row"].iat[i]), "cell": where, "status": st})
        if missing == "error":
            pc.add(f"no value, SCB status {st!r} ({why})" if st else "no value", row=int(df["row"].iat[i]),
                   column=value_label, value=where,
                   expected="a population count (pass missing='drop' to leave the cell out)")
    pc.raise_if_any()
    out["population"] = df["value"].to_numpy()
    rows = df["row"].to_numpy()[~miss]
    out = out[~miss]
    cols = ["kommunkod", "year", "population"] + [c for c in ("sex", "age_group") if c in out]
    typed = validate(out[cols].reset_index(drop=True), "population", file=name, rows=rows)
    typed.attrs.update({"skipped_regions": skipped, "missing_cells": missing_cells,
                        "lines": Lines(rows)})
    return typed


def read_scb_pxweb_csv(path: str | Path, *, missing: str = "error", encoding: str | None = None,
                       delimiter: str | None = None) -> pd.DataFrame:
    """Population per kommun and year from a PxWeb CSV download.

    Parameters
    ----------
    path : str or Path
        PxWeb's CSV: quoted, comma-separated (``;`` also accepted), region labels
        ``"0180 Stockholm"``, either one column per year (``"2024"``, ``"Folkmängd 2024"``)
        or long with a year column (``år``/``Tid``) and one value column. SCB's older downloads
        are Latin-1/cp1252; the encoding is detected and reported in ``attrs['format']``.
    missing : {"error", "drop"}
        As in :func:`read_scb_pxweb_jsonstat2` (cells ``..``).

    Returns
    -------
    pandas.DataFrame
        The ``population`` kind, as :func:`read_scb_pxweb_jsonstat2`; problems name file lines.

    Examples
    --------
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "be0101.csv")
    >>> _ = Path(p).write_text(
    ...     '"region","kön","Folkmängd 2024","Folkmängd 2025"\\n'
    ...     '"1760 Storfors","män",1950,1940\\n"1760 Storfors","kvinnor",1850,1837\\n', encoding="cp1252")
    >>> df = read_scb_pxweb_csv(p)
    >>> df.groupby("year")["population"].sum().to_dict(), df.attrs["format"]["encoding"]
    ({2024: 3800, 2025: 3777}, 'cp1252')
    """
    if missing not in ("error", "drop"):
        raise ValueError("missing must be 'error' or 'drop'")
    d = read_delimited(path, encoding=encoding, delimiter=delimiter)
    df, name = d.frame, d.file
    cols = [str(c) for c in df.columns]
    year_cols = {c: m.group(1) for c in cols if (m := re.search(r"\b((?:19|20)\d{2})\b", c))}
    geo = next((c for c in cols if re.search(r"region", c, re.I)), None)
    if geo is None:
        geo = next((c for c in cols if c not in year_cols
                    and df[c].astype(str).str.match(r"^\d{2,4}\s").mean() > 0.8), None)
    if geo is None:
        raise DataError(f"no region column (e.g. 'region' with labels '0180 Stockholm'); found "
                        f"{', '.join(cols)}", file=name)
    sex = next((c for c in cols if re.fullmatch(r"kön|kon|sex", c.strip(), re.I)), None)
    age = next((c for c in cols if re.fullmatch(r"ålder|alder|age", c.strip(), re.I)), None)
    time = next((c for c in cols if re.fullmatch(r"år|ar|tid|year", c.strip(), re.I)), None)
    labels_cols = [c for c in (geo, sex, age) if c]
    if time is not None:  # long layout
        value_cols = [c for c in cols if c not in labels_cols + [time]]
        if len(value_cols) != 1:
            raise DataError(f"long layout needs one value column; found {', '.join(value_cols)}",
                            file=name)
        long = df[labels_cols + [time, value_cols[0]]].rename(columns={value_cols[0]: "raw"})
        long["row"] = d.rows
    else:
        if not year_cols:
            raise DataError("no year columns (headers such as '2024' or 'Folkmängd 2024')", file=name)
        prefixes = {re.sub(r"\b(?:19|20)\d{2}\b", "", c).strip() for c in year_cols}
        if len(prefixes) > 1:
            keep = {c for c in year_cols if "folkmängd" in c.lower()}
            if not keep:
                raise DataError(f"several contents ({', '.join(sorted(prefixes))}): which is "
                                "Folkmängd?", file=name)
            year_cols = {c: y for c, y in year_cols.items() if c in keep}
        other = [c for c in cols if c not in year_cols and c not in labels_cols]
        if other:
            raise DataError(f"unexpected label columns {', '.join(other)}: select one category "
                            "in the query", file=name)
        parts = []
        for c, y in year_cols.items():
            part = df[labels_cols].copy()
            part[time or "år"] = y
            part["raw"] = df[c].to_numpy()
            part["row"] = d.rows
            part["column"] = c
            parts.append(part)
        time = "år"
        long = pd.concat(parts, ignore_index=True)
    pc = ProblemCollector(file=name)
    p = parse_numbers(long["raw"])
    for i in np.flatnonzero(p.invalid):
        pc.add("not a number", row=int(long["row"].iat[i]),
               column=long["column"].iat[i] if "column" in long else None,
               value=long["raw"].iat[i], expected="a whole number, or '..'")
    long["value"] = p.values
    long["invalid"] = p.invalid
    long["status"] = np.where(np.isnan(p.values), long["raw"].astype(str).str.strip(), None)
    out = _finish(long, geo=geo, time=time, sex=sex, age=age, labels={}, name=name,
                  missing=missing, pc=pc, value_label="population")
    out.attrs["format"] = d.format_info()
    return out
