"""Reader for tables exported from Brå's statistikdatabas (wide period columns).

An export holds title rows, a header with Område, Brottstyp and one column per period, data rows
and footnotes, separated by ``;`` or tabs. The reader maps Område names to riket, län or kommun
codes, keeps ``..``/``x`` as missing with a reason and returns a long tidy frame; monthly kommun
series become the ``crimes`` kind (:mod:`analysis.schemas`) for the crime statistics.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..crime_types import canonical_crime_type
from ..errors import DataError, ProblemCollector
from ..schemas import validate
from ..swedish import MONTH_ABBREVIATIONS, MONTH_NAMES
from .bra import _status_arg
from .regions import clean_label, resolve_region
from .text import Lines, decode_bytes, parse_numbers

__all__ = ["read_bra_table_export", "parse_period_label"]

_MONTH_NO = {m: i + 1 for i, m in enumerate(MONTH_NAMES)}
_MONTH_NO.update({m: i + 1 for i, m in enumerate(MONTH_ABBREVIATIONS)})
_MONTH_NO.update({"okt": 10, "sept": 9})


def parse_period_label(text: str) -> tuple[str, pd.Period, bool] | None:
    """Read a period column header: ``("year"|"month", Period, preliminary)`` or ``None``.

    Examples
    --------
    >>> [parse_period_label(t)[:2] for t in ["2024", "2024-03", "2024M03", "2024 januari",
    ...                                      "okt 2023"]]  # doctest: +NORMALIZE_WHITESPACE
    [('year', Period('2024', 'Y-DEC')), ('month', Period('2024-03', 'M')),
     ('month', Period('2024-03', 'M')), ('month', Period('2024-01', 'M')),
     ('month', Period('2023-10', 'M'))]
    >>> parse_period_label("2025 (prel.)")[2], parse_period_label("Brottstyp") is None
    (True, True)
    """
    t = str(text).strip()
    prelim = bool(re.search(r"prel|\*\s*$", t, re.I))
    t = re.sub(r"\(?\s*prel\.?\s*\)?|\*+", " ", t, flags=re.I).strip().lower()
    if m := re.fullmatch(r"((?:19|20)\d{2})", t):
        return "year", pd.Period(year=int(m.group(1)), freq="Y"), prelim
    if m := re.fullmatch(r"((?:19|20)\d{2})\s*[-mM/ ]\s*(\d{1,2})", t):
        if 1 <= int(m.group(2)) <= 12:
            return "month", pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M"), prelim
    if m := re.fullmatch(r"((?:19|20)\d{2})\s+([a-zåäö]+)\.?", t) or \
            re.fullmatch(r"([a-zåäö]+)\.?\s+((?:19|20)\d{2})", t):
        year, month = (m.group(1), m.group(2)) if m.group(1)[0].isdigit() else (m.group(2), m.group(1))
        if month in _MONTH_NO:
            return "month", pd.Period(year=int(year), month=_MONTH_NO[month], freq="M"), prelim
    return None


# --------------------------------------------------------------------------- statistikdatabas

_ROLE_PATTERNS = {
    "region": r"område|region|kommun|län|geografi",
    "crime": r"brottstyp|brott(?!skod)|brottskategori",
    "code": r"brottskod|^kod$",
    "unit": r"enhet|mått|tabellinnehåll",
}


def read_bra_table_export(path: str | Path, *, status: str | None = None,
                          encoding: str | None = None, delimiter: str | None = None,
                          as_crimes: bool | None = None) -> pd.DataFrame:
    """Read a table exported from Brå's statistikdatabas (wide period columns).

    Parameters
    ----------
    path : str or Path
        ``;``- or tab-separated export: title rows, a header row with the label columns
        (Område, Brottstyp, optionally Brottskod and Enhet) and one column per period
        (``2024``, ``2024-01``, ``2024M01`` or ``2024 januari``), data rows, footnote rows.
        Label cells left blank under a group (as in grouped exports) repeat the value above.
    status : {"preliminär", "slutlig"}, optional
        Status of every figure; default: ``preliminär`` for period headers marked "(prel.)" or
        "*", and for all columns when the title says "preliminär", else ``slutlig``.
    as_crimes : bool, optional
        Return the validated ``crimes`` kind (monthly, kommuner only, every count present).
        Default: when every period is a month and every Område a kommun.

    Returns
    -------
    pandas.DataFrame
        With ``as_crimes``: ``kommunkod, period, crime_type, count, status`` (see
        :data:`analysis.schemas.SCHEMAS`). Otherwise a long frame: ``region_level`` (riket,
        lan, kommun, polisregion), ``region_code``, ``region``, ``crime_type`` (canonical
        name when known, else as written), ``crime_label`` (as written), ``crime_code``,
        ``period`` (Period, month or year), ``count``, ``rate_per_100k``, ``status``,
        ``suppressed``, ``missing_reason``. Year columns next to month columns are checked
        against the sum of the months and not repeated in the output.

    Raises
    ------
    DataError
        Unknown Område, unreadable numbers, negative or fractional counts, duplicates, year
        totals that disagree with their months, missing counts in a monthly kommun series
        (with ``as_crimes``), gaps: all problems with file, line and column.

    Examples
    --------
    >>> text = ("Anmälda brott per månad\\n\\nOmråde;Brottstyp;2024 januari;2024 februari\\n"
    ...         "Sandviken;Cykelstöld;12;9\\n;Bostadsinbrott;3;-\\nKälla: Brå\\n")
    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "export.csv")
    >>> _ = Path(p).write_text(text, encoding="utf-8")
    >>> read_bra_table_export(p).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'kommunkod': ['2181', '2181', '2181', '2181'],
     'period': [Period('2024-01', 'M'), Period('2024-02', 'M'), Period('2024-01', 'M'), Period('2024-02', 'M')],
     'crime_type': ['Cykelstöld', 'Cykelstöld', 'Bostadsinbrott', 'Bostadsinbrott'],
     'count': [12, 9, 3, 0], 'status': ['slutlig', 'slutlig', 'slutlig', 'slutlig']}
    """
    status = _status_arg(status)
    data = Path(path).read_bytes()
    name = str(path)
    text, enc, enc_note = decode_bytes(data, encoding=encoding, file=name)
    lines = text.splitlines()
    delim = delimiter or _sniff_table_delimiter(lines)
    records = list(csv.reader(io.StringIO(text), delimiter=delim))
    # csv and splitlines agree on line numbers unless a quoted cell holds a line break
    pc = ProblemCollector(file=name)
    header_idx = next((i for i, r in enumerate(records)
                       if sum(parse_period_label(c) is not None for c in r) >= 1
                       and sum(bool(c.strip()) and parse_period_label(c) is None for c in r) >= 1), None)
    if header_idx is None:
        raise DataError("no header row with period columns (such as '2024', '2024-01' or "
                        "'2024 januari') found", file=name)
    header = [c.strip() for c in records[header_idx]]
    periods = {j: parse_period_label(c) for j, c in enumerate(header) if parse_period_label(c)}
    first_period = min(periods)
    label_cols = list(range(first_period))
    title = " ".join(" ".join(r) for r in records[:header_idx]).lower()
    roles = _label_roles(header, label_cols, records[header_idx + 1:])
    if "region" not in roles or "crime" not in roles:
        raise DataError(f"cannot tell which column is Område and which Brottstyp (header: "
                        f"{', '.join(header[:first_period])})", file=name)
    title_prelim = "preliminär" in title
    title_rate = "100 000" in title and "antal" not in title

    long_rows = []
    last = {role: "" for role in roles}
    footnotes = []
    for r_i, rec in enumerate(records[header_idx + 1:], start=header_idx + 2):
        cells = [c.strip() for c in rec] + [""] * (len(header) - len(rec))
        values = [cells[j] for j in periods]
        labels = [cells[j] for j in label_cols]
        if not any(values):
            if any(labels) or any(cells):
                footnotes.append(" ".join(c for c in cells if c))
            continue
        if len(rec) > len(header) and any(c.strip() for c in rec[len(header):]):
            pc.add(f"row has {len(rec)} cells, the header has {len(header)}", row=r_i,
                   expected=f"{len(header)} cells separated by '{delim}'")
            continue
        for role, j in roles.items():  # grouped exports leave repeated labels blank
            if cells[j]:
                last[role] = cells[j]
            else:
                cells[j] = last[role]
        long_rows.append((r_i, cells))
    if not long_rows:
        raise DataError("no data rows under the header", file=name)

    region_cache = {}
    out = {k: [] for k in ("region_level", "region_code", "region", "crime_type", "crime_label",
                           "crime_code", "unit", "period", "kind", "raw", "status", "row", "column")}
    for r_i, cells in long_rows:
        label = cells[roles["region"]]
        if label not in region_cache:
            region_cache[label] = resolve_region(label) if label else None
        region = region_cache[label]
        if region is None:
            pc.add("unknown Område", row=r_i, column=header[roles["region"]], value=label,
                   expected="a kommun, län or riket name (e.g. 'Sandviken', 'Gävleborgs län', 'Riket')")
            continue
        crime_label = clean_label(cells[roles["crime"]])[0]
        unit = cells[roles["unit"]].lower() if "unit" in roles else ("per 100 000" if title_rate else "antal")
        is_rate = "100" in unit
        for j, (kind, per, prelim) in periods.items():
            out["region_level"].append(region.level)
            out["region_code"].append(region.code)
            out["region"].append(region.name)
            out["crime_label"].append(crime_label)
            out["crime_type"].append(canonical_crime_type(crime_label) or crime_label)
            out["crime_code"].append(cells[roles["code"]] if "code" in roles else None)
            out["unit"].append("rate" if is_rate else "count")
            out["period"].append(per)
            out["kind"].append(kind)
            out["raw"].append(cells[j])
            out["status"].append(status or ("preliminär" if prelim or title_prelim else "slutlig"))
            out["row"].append(r_i)
            out["column"].append(header[j])
    pc.raise_if_any()
    long = pd.DataFrame(out)
    p = parse_numbers(long["raw"])
    for i in np.flatnonzero(p.invalid):
        pc.add("not a number", row=int(long["row"].iat[i]), column=long["column"].iat[i],
               value=long["raw"].iat[i], expected="a number such as '2 431' or '7,5', or '..', '-', 'x'")
    is_count = long["unit"].to_numpy() == "count"
    bad = is_count & ((p.values < 0) | (~np.isnan(p.values) & (p.values != np.round(p.values))))
    for i in np.flatnonzero(bad):
        pc.add("negative count" if p.values[i] < 0 else "count is not a whole number",
               row=int(long["row"].iat[i]), column=long["column"].iat[i], value=long["raw"].iat[i],
               expected="a whole number >= 0")
    long["value"] = p.values
    long["missing_reason"] = pd.array(np.where(p.reason == "tom", "tom", p.reason), dtype="string")
    long["suppressed"] = p.suppressed
    pc.raise_if_any()
    wide = _combine_units(long, pc)
    monthly = wide[wide["kind"] == "month"]
    yearly = wide[wide["kind"] == "year"]
    if len(monthly) and len(yearly):
        _check_year_totals(monthly, yearly, pc)
        wide = monthly
    _check_long_duplicates(wide, pc)
    pc.raise_if_any()
    all_kommun = (wide["region_level"] == "kommun").all()
    is_monthly = (wide["kind"] == "month").all()
    if as_crimes is None:
        as_crimes = bool(all_kommun and is_monthly)
    fmt = {"encoding": enc, "delimiter": delim, "notes": [f"encoding: {enc_note}"],
           "footnotes": footnotes, "title": title}
    if as_crimes:
        return _to_crimes(wide, name, fmt, pc)
    wide = wide.drop(columns=["kind"]).reset_index(drop=True)
    wide.attrs = {"source": name, "format": fmt, "lines": Lines(wide.pop("row"))}
    return wide


def _sniff_table_delimiter(lines: Sequence[str]) -> str:
    best, best_score = ";", -1
    for d in (";", "\t", ","):
        counts = [len(r) for r in csv.reader(lines[:200], delimiter=d)]
        multi = [c for c in counts if c >= 3]
        if not multi:
            continue
        mode, freq = Counter(multi).most_common(1)[0]
        if freq > best_score:
            best, best_score = d, freq
    return best


def _label_roles(header: list[str], label_cols: list[int], body: list[list[str]]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for j in label_cols:
        for role, pat in _ROLE_PATTERNS.items():
            if role not in roles and re.search(pat, header[j], re.I):
                roles[role] = j
                break
    unnamed = [j for j in label_cols if j not in roles.values()]
    if unnamed and ("region" not in roles or "crime" not in roles):
        sample = [r for r in body[:200] if len(r) > max(label_cols)]
        for j in unnamed:
            vals = [r[j].strip() for r in sample if r[j].strip()]
            hits = sum(resolve_region(v) is not None for v in vals[:50])
            if "region" not in roles and vals and hits >= 0.8 * min(len(vals), 50):
                roles["region"] = j
            elif "crime" not in roles and vals:
                roles["crime"] = j
    return roles


def _combine_units(long: pd.DataFrame, pc: ProblemCollector) -> pd.DataFrame:
    keys = ["region_level", "region_code", "region", "crime_type", "crime_label", "crime_code",
            "period", "kind", "status"]
    c = long[long["unit"] == "count"].set_index(keys)
    r = long[long["unit"] == "rate"].set_index(keys)
    if r.index.has_duplicates or c.index.has_duplicates:
        _check_long_duplicates(long, pc, by_unit=True)
        pc.raise_if_any()
    out = c[["value", "suppressed", "missing_reason", "row"]].rename(columns={"value": "count"})
    out = out.join(r[["value"]].rename(columns={"value": "rate_per_100k"}), how="outer")
    if len(r):
        only_rate = out["row"].isna()
        out.loc[only_rate, "row"] = r.loc[out.index[only_rate], "row"].to_numpy()
        out.loc[only_rate, "suppressed"] = r.loc[out.index[only_rate], "suppressed"].to_numpy()
        out.loc[only_rate, "missing_reason"] = r.loc[out.index[only_rate], "missing_reason"].to_numpy()
    out = out.reset_index()
    out["count"] = pd.array(np.where(np.isnan(out["count"].astype(float)), None, out["count"]),
                            dtype="Float64").round().astype("Int64")
    if "rate_per_100k" not in out:
        out["rate_per_100k"] = np.nan
    out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
    out["row"] = out["row"].astype(int)
    order = ["region_level", "region_code", "region", "crime_type", "crime_label", "crime_code",
             "period", "kind", "count", "rate_per_100k", "status", "suppressed", "missing_reason", "row"]
    return out[order].sort_values("row", kind="stable").reset_index(drop=True)


def _check_long_duplicates(df: pd.DataFrame, pc: ProblemCollector, *, by_unit: bool = False) -> None:
    keys = ["region_code", "region", "crime_type", "period"] + (["unit"] if by_unit else [])
    dup = df.duplicated(keys, keep=False)
    if not dup.any():
        return
    for _, g in df[dup].groupby(keys, sort=False):
        rows = sorted(set(g["row"].tolist()))
        if len(rows) > 1:
            pc.add(f"the same Område × Brottstyp × period appears on rows {', '.join(map(str, rows))}",
                   row=rows[1], value=f"{g['region'].iat[0]} / {g['crime_type'].iat[0]} / {g['period'].iat[0]}",
                   expected="one row per Område × Brottstyp")


def _check_year_totals(monthly: pd.DataFrame, yearly: pd.DataFrame, pc: ProblemCollector) -> None:
    m = monthly.assign(year=[p.year for p in monthly["period"]])
    sums = m.groupby(["region", "crime_type", "year"]).agg(total=("count", "sum"), n=("count", "count"))
    for _, row in yearly.iterrows():
        key = (row["region"], row["crime_type"], row["period"].year)
        if key in sums.index and sums.loc[key, "n"] == 12 and pd.notna(row["count"]):
            if int(sums.loc[key, "total"]) != int(row["count"]):
                pc.add("year total differs from the sum of its months", row=int(row["row"]),
                       column=str(row["period"].year), value=int(row["count"]),
                       expected=f"{int(sums.loc[key, 'total'])} (sum of the 12 months)")


def _to_crimes(wide: pd.DataFrame, name: str, fmt: dict, pc: ProblemCollector) -> pd.DataFrame:
    if not (wide["kind"] == "month").all():
        raise DataError("the crimes kind needs monthly periods (columns such as '2024-01'); "
                        "this export has yearly columns: read it with as_crimes=False", file=name)
    not_kommun = wide["region_level"] != "kommun"
    for _, row in wide[not_kommun].drop_duplicates("row").iterrows():
        pc.add("Område is not a kommun", row=int(row["row"]), column="Område", value=row["region"],
               expected="kommuner only for the crimes kind (read with as_crimes=False for län/riket)")
    for _, row in wide[~not_kommun & wide["count"].isna()].iterrows():
        pc.add(f"count missing ({row['missing_reason']})", row=int(row["row"]),
               column=str(row["period"]), value=row["missing_reason"],
               expected="a count for every month in the crimes kind (read with as_crimes=False "
               "to keep missing values with their reason)")
    pc.raise_if_any()
    crimes = pd.DataFrame({"kommunkod": wide["region_code"], "period": wide["period"],
                           "crime_type": wide["crime_type"], "count": wide["count"],
                           "status": wide["status"]})
    crimes["period"] = pd.PeriodIndex(crimes["period"].tolist(), freq="M")
    out = validate(crimes, "crimes", file=name, rows=wide["row"].tolist())
    out.attrs["format"] = fmt
    return out
