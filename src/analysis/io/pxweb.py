"""SCB PxWeb responses in every JSON layout SCB serves, decoded into population per kommun.

PxWeb API v1 answers in ``json-stat2``, the older ``json-stat`` (JSON-stat 1.x: ``{"dataset":
{...}}`` with ``id``/``size``/``role`` inside ``dimension``) and its own ``json``
(``columns``/``data``); API v2 answers in JSON-stat 2.0. All of them are decoded here into one
long table, then checked as *population* (Folkmängd, 31 December): the contents must be
population, every dimension other than region, time, sex and age must stand at its total, and at
least one kommun row must be present. The next step is :mod:`analysis.schemas` (``population``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem, ProblemCollector
from ..municipalities import is_valid_code
from ..schemas import validate
from .text import MARKERS, Lines

__all__ = ["PxTable", "decode_pxweb_json", "read_pxweb_population", "POPULATION_CONTENTS",
           "TOTAL_CODES", "is_total"]

#: Contents codes that hold Folkmängd (BE0101N1 and the v2 tables built on it).
POPULATION_CONTENTS = ("BE0101N1", "000000LV", "000000LY", "0000053A", "000003O5")
#: Codes and labels SCB uses for "all categories" of a dimension (case-insensitive).
TOTAL_CODES = frozenset({"totsa", "1+2", "tot", "total", "totalt", "samtliga", "alla", "t",
                         "tot1", "totalt ålder", "totalt, samtliga åldrar", "män och kvinnor",
                         "kvinnor och män", "båda könen", "totalt kön", "samtliga åldrar"})
_SEX_PART = {"1": "man", "2": "kvinna", "män": "man", "man": "man", "kvinnor": "kvinna",
             "kvinna": "kvinna", "m": "man", "k": "kvinna"}
_SEX_DIMS = re.compile(r"^(kon|kön|sex|kon1|kön1)$", re.I)
_AGE_DIMS = re.compile(r"^(alder|ålder|age|alder1|ålder1)$", re.I)
_REGION_DIMS = re.compile(r"^region", re.I)
_TIME_DIMS = re.compile(r"^(tid|år|year|time)$", re.I)
_MONTH = re.compile(r"^((?:19|20)\d{2})M(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^((?:19|20)\d{2})$")


def is_total(code: str, label: str | None = None) -> bool:
    """Whether a category code or label means "all categories" (SCB's ``TotSa``, ``1+2`` ...).

    Examples
    --------
    >>> is_total("TotSa"), is_total("1+2"), is_total("tot", "totalt ålder"), is_total("OG", "ogifta")
    (True, True, True, False)
    """
    c = str(code).strip().casefold()
    lab = str(label or "").strip().casefold()
    return c in TOTAL_CODES or lab in TOTAL_CODES or lab.startswith("totalt") or \
        lab.startswith("samtliga")


@dataclass(frozen=True)
class PxTable:
    """A decoded PxWeb response: one row per cell.

    Attributes
    ----------
    frame : pandas.DataFrame
        One column per dimension (category codes), ``value`` (float, NaN when missing),
        ``status`` (SCB's symbol or None) and ``row`` (1-based position in the response).
    dims : list of str
        Dimension ids in order (for the ``json`` layout: the ``d``/``t`` columns, then
        ``ContentsCode`` made from the ``c`` columns).
    labels : dict
        ``{dimension: {code: label}}``; ``dim_labels`` the dimensions' own labels.
    roles : dict
        ``geo``, ``time``, ``metric`` dimension (or None) as found.
    layout : str
        ``json-stat2``, ``json-stat1`` or ``pxweb-json``.
    title : str
    extension : dict
        Per-dimension PxWeb extension (elimination, eliminationValueCode) when given.
    """

    frame: pd.DataFrame
    dims: list[str]
    labels: dict[str, dict[str, str]]
    dim_labels: dict[str, str]
    roles: dict[str, str | None]
    layout: str
    title: str = ""
    extension: dict[str, dict] = field(default_factory=dict)


def _load(source: str | Path | dict, file: str | None) -> tuple[dict, str]:
    if isinstance(source, dict):
        return source, file or "<pxweb>"
    name = file or str(source)
    raw = Path(source).read_bytes()
    try:
        return json.loads(raw.decode("utf-8-sig")), name
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text: a PxWeb JSON response is always UTF-8", file=name) from None
    except json.JSONDecodeError as err:
        raise DataError(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}",
                        file=name) from None


def _categories(dim: dict) -> tuple[list[str], dict[str, str]]:
    cat = dim.get("category", {}) or {}
    index = cat.get("index")
    labels = {str(k): str(v) for k, v in (cat.get("label") or {}).items()}
    if index is None:
        codes = list(labels)
    elif isinstance(index, list):
        codes = [str(c) for c in index]
    else:
        codes = [str(c) for c, _ in sorted(index.items(), key=lambda kv: kv[1])]
    return codes, labels


def _json_layout(js: object) -> str | None:
    if not isinstance(js, dict):
        return None
    if js.get("class") == "dataset" or ("id" in js and "dimension" in js):
        return "json-stat2"
    if "dataset" in js and isinstance(js["dataset"], dict):
        return "json-stat1"
    if "columns" in js and "data" in js:
        return "pxweb-json"
    bundles = [v for v in js.values() if isinstance(v, dict) and "dimension" in v and "value" in v]
    if bundles and len(bundles) == len(js):
        return "json-stat1"
    return None


def decode_pxweb_json(source: str | Path | dict, *, file: str | None = None) -> PxTable:
    """Decode a PxWeb JSON response (JSON-stat 2, JSON-stat 1.x or PxWeb ``json``) into cells.

    Parameters
    ----------
    source : path or dict
    file : str, optional
        Name shown in problems.

    Returns
    -------
    PxTable

    Notes
    -----
    JSON-stat ``value`` is row-major over ``id`` with the last dimension varying fastest;
    ``category.index`` may be an object or an array; ``value`` and ``status`` may be dense lists
    or sparse objects. In JSON-stat 1.x ``id``, ``size`` and ``role`` sit inside ``dimension``
    and the dataset is wrapped (``{"dataset": {...}}``). PxWeb ``json`` has ``columns`` (type
    ``d`` dimension, ``t`` time, ``c`` contents) and ``data`` rows ``{"key": [...],
    "values": [...]}``.

    Examples
    --------
    >>> js = {"dataset": {"dimension": {"id": ["Region", "Tid"], "size": [1, 2],
    ...       "role": {"time": ["Tid"]},
    ...       "Region": {"category": {"index": {"1760": 0}, "label": {"1760": "Storfors"}}},
    ...       "Tid": {"category": {"index": {"2024": 0, "2025": 1}}}}, "value": [3800, 3777]}}
    >>> t = decode_pxweb_json(js)
    >>> t.layout, t.frame[["Region", "Tid", "value"]].to_dict("list")
    ('json-stat1', {'Region': ['1760', '1760'], 'Tid': ['2024', '2025'], 'value': [3800.0, 3777.0]})
    """
    js, name = _load(source, file)
    layout = _json_layout(js)
    if layout is None:
        keys = ", ".join(map(str, list(js)[:8])) if isinstance(js, dict) else type(js).__name__
        raise DataError(Problem(
            "not a PxWeb response: no JSON-stat dataset ('id'/'dimension'/'value'), no "
            f"'dataset' wrapper and no 'columns'/'data' (found: {keys})", file=name,
            expected="a saved answer of SCB's PxWeb API in format json-stat2, json-stat or json"))
    if layout == "pxweb-json":
        return _decode_pxjson(js, name)
    ds = js
    if layout == "json-stat1":
        ds = js["dataset"] if "dataset" in js else next(iter(js.values()))
        dim = ds.get("dimension", {})
        ids, sizes, role = ds.get("id", dim.get("id")), ds.get("size", dim.get("size")), \
            ds.get("role", dim.get("role"))
    else:
        dim = ds.get("dimension", {})
        ids, sizes, role = ds.get("id"), ds.get("size"), ds.get("role")
    for key, val in (("id", ids), ("size", sizes), ("dimension", dim), ("value", ds.get("value"))):
        if val is None:
            raise DataError(f"not a {layout} dataset: key '{key}' missing", file=name)
    ids, sizes = [str(i) for i in ids], [int(s) for s in sizes]
    cats = {d: _categories(dim.get(d, {})) for d in ids}
    pc = ProblemCollector(file=name)
    for d, size in zip(ids, sizes):
        if len(cats[d][0]) != size:
            pc.add(f"dimension '{d}' has {len(cats[d][0])} categories but size says {size}",
                   column=d, expected="category.index with one entry per position")
    pc.raise_if_any()
    total = int(np.prod(sizes)) if sizes else 0
    values = ds["value"]
    if isinstance(values, dict):
        dense = [None] * total
        for k, v in values.items():
            dense[int(k)] = v
        values = dense
    if len(values) != total:
        raise DataError(f"'value' has {len(values)} entries, the sizes {sizes} need {total}", file=name)
    status = ds.get("status") or {}
    if isinstance(status, str):
        status = {str(i): status for i in range(total)}
    elif isinstance(status, list):
        status = {str(i): s for i, s in enumerate(status) if s}
    pos = np.unravel_index(np.arange(total), sizes) if total else [np.array([], int)] * len(ids)
    frame = {d: np.asarray(cats[d][0], dtype=object)[pos[k]] for k, d in enumerate(ids)}
    frame["value"] = np.array([np.nan if v is None else v for v in values], dtype=float)
    frame["status"] = [status.get(str(i)) for i in range(total)]
    frame["row"] = np.arange(total) + 1
    role = role or {}
    roles = {"geo": _role(ids, role, "geo", _REGION_DIMS), "time": _role(ids, role, "time", _TIME_DIMS),
             "metric": _role(ids, role, "metric", re.compile(r"^contents", re.I))}
    ext = {d: (dim.get(d, {}).get("extension") or {}) for d in ids}
    return PxTable(pd.DataFrame(frame), ids, {d: cats[d][1] for d in ids},
                   {d: str(dim.get(d, {}).get("label", d)) for d in ids}, roles, layout,
                   str(ds.get("label", "")), ext)


def _role(ids: list[str], role: dict, name: str, pattern: re.Pattern) -> str | None:
    for d in role.get(name, []) or []:
        if d in ids:
            return d
    return next((d for d in ids if pattern.search(d)), None)


def _decode_pxjson(js: dict, name: str) -> PxTable:
    cols = js.get("columns") or []
    dims = [c for c in cols if c.get("type") in ("d", "t")]
    contents = [c for c in cols if c.get("type") == "c"]
    if not contents:
        raise DataError("PxWeb json response without a contents column (type 'c')", file=name)
    pc = ProblemCollector(file=name)
    keys: dict[str, list] = {c["code"]: [] for c in dims}
    out_contents, values, status, rows = [], [], [], []
    for i, rec in enumerate(js.get("data") or []):
        key, vals = rec.get("key", []), rec.get("values", [])
        if len(key) != len(dims) or len(vals) != len(contents):
            pc.add(f"data row has {len(key)} keys and {len(vals)} values; the columns need "
                   f"{len(dims)} and {len(contents)}", row=i + 1, column="data", value=str(rec)[:80])
            continue
        for c in contents:
            for d, k in zip(dims, key):
                keys[d["code"]].append(str(k))
        for c, v in zip(contents, vals):
            out_contents.append(c["code"])
            text = str(v).strip() if v is not None else ""
            try:
                values.append(float(text))
                status.append(None)
            except ValueError:
                values.append(np.nan)
                status.append(text or None)
            rows.append(i + 1)
    pc.raise_if_any()
    frame = pd.DataFrame({**keys, "ContentsCode": out_contents, "value": np.asarray(values, float),
                          "status": status, "row": rows})
    ids = [d["code"] for d in dims] + ["ContentsCode"]
    labels = {d["code"]: {} for d in dims}
    labels["ContentsCode"] = {c["code"]: str(c.get("text", c["code"])) for c in contents}
    dim_labels = {d["code"]: str(d.get("text", d["code"])) for d in dims}
    dim_labels["ContentsCode"] = "tabellinnehåll"
    time = next((d["code"] for d in dims if d.get("type") == "t"), None)
    roles = {"geo": next((d for d in ids if _REGION_DIMS.search(d)), None), "time": time,
             "metric": "ContentsCode"}
    meta = (js.get("metadata") or [{}])[0] if isinstance(js.get("metadata"), list) else {}
    return PxTable(frame, ids, labels, dim_labels, roles, "pxweb-json", str(meta.get("label", "")))


def _code_label(table: PxTable, d: str, code: str) -> str:
    lab = table.labels.get(d, {}).get(code)
    return f"'{code}' ({lab})" if lab and lab != code else f"'{code}'"


def read_pxweb_population(source: str | Path | dict, *, contents: str | None = None,
                          missing: str = "error", file: str | None = None) -> pd.DataFrame:
    """Population per kommun and year from any PxWeb JSON response (API v1 or v2).

    Parameters
    ----------
    source : path or dict
        A saved response in ``json-stat2``, ``json-stat`` (1.x) or ``json`` format.
    contents : str, optional
        The contents code that holds population, when it is not Folkmängd (``BE0101N1`` and
        the v2 codes in :data:`POPULATION_CONTENTS`) -- e.g. a table of your own.
    missing : {"error", "drop"}
        A cell without a value (SCB status ``..``) is an error, or is left out and listed in
        ``attrs['missing_cells']``.
    file : str, optional
        Name shown in problems.

    Returns
    -------
    pandas.DataFrame
        The ``population`` kind (``kommunkod``, ``year``, ``population``, optionally ``sex`` and
        ``age_group``). Riket and län rows are kept apart in ``attrs['other_regions']``
        (``region``, ``level``, ``year``, ``population``); ``attrs['period_kind']`` is
        ``annual`` or ``monthly`` (a monthly table gives the population at the end of
        December, i.e. 31 December); ``attrs['layout']`` names the JSON layout.

    Raises
    ------
    DataError
        Contents that are not population; a dimension other than region, time, sex and age that
        is not at its total (the table is a subset, e.g. Civilstånd 'ogifta'); no kommun rows;
        a monthly table without December; cells without a value; unknown kommun codes.

    Notes
    -----
    Totals (``TotSa``, ``1+2``, "totalt") are taken as published: when a table has both the
    total and its parts, the total is used and the parts are left out. SCB's disclosure control
    adds noise, so parts need not sum to the total; that is never checked or "fixed".

    Examples
    --------
    >>> js = {"version": "2.0", "class": "dataset", "id": ["Region", "Kon", "ContentsCode", "Tid"],
    ...   "size": [3, 1, 1, 1], "dimension": {
    ...     "Region": {"category": {"index": {"00": 0, "17": 1, "1760": 2}}},
    ...     "Kon": {"category": {"index": {"1+2": 0}, "label": {"1+2": "totalt"}}},
    ...     "ContentsCode": {"category": {"index": {"BE0101N1": 0}, "label": {"BE0101N1": "Folkmängd"}}},
    ...     "Tid": {"category": {"index": {"2025": 0}}}}, "value": [10605520, 280000, 3777]}
    >>> df = read_pxweb_population(js)
    >>> df.to_dict("list"), df.attrs["other_regions"]["region"].tolist()
    ({'kommunkod': ['1760'], 'year': [2025], 'population': [3777]}, ['00', '17'])
    """
    if missing not in ("error", "drop"):
        raise ValueError("missing must be 'error' or 'drop'")
    table = source if isinstance(source, PxTable) else decode_pxweb_json(source, file=file)
    name = file or (str(source) if isinstance(source, (str, Path)) else "<pxweb>")
    df = table.frame
    pc = ProblemCollector(file=name)
    geo, time, metric = table.roles["geo"], table.roles["time"], table.roles["metric"]
    if time is None:
        pc.add(f"no time dimension among {', '.join(table.dims)}", expected="a 'Tid' dimension")
    if geo is None:
        pc.add(f"no region dimension among {', '.join(table.dims)}: the figures are for Riket "
               "(SCB sums over all regions when Region is left out of the query)",
               expected="a query with Region and kommun codes (filter vs:RegionKommun07)")
    sex = next((d for d in table.dims if _SEX_DIMS.match(d)), None)
    age = next((d for d in table.dims if _AGE_DIMS.match(d)), None)
    if metric is not None:
        codes = list(dict.fromkeys(df[metric]))
        labels = table.labels.get(metric, {})
        wanted = [contents] if contents else [c for c in codes if c.upper() in POPULATION_CONTENTS
                                               or labels.get(c, "").strip().lower() == "folkmängd"]
        pick = [c for c in codes if c in wanted]
        if len(pick) != 1:
            shown = ", ".join(_code_label(table, metric, c) for c in codes)
            why = (f"contents {shown} are not population (Folkmängd, BE0101N1)" if not pick
                   else f"several population contents ({shown})")
            raise DataError(Problem(why, file=name, column=metric, value=codes[0] if codes else None,
                                    expected="a Folkmängd table (BE0101N1 / TAB638); if this table "
                                    "really holds population counts, say which contents code with "
                                    "contents='CODE' (lagesbild import --contents CODE)"))
        df = df[df[metric] == pick[0]]
    for d in table.dims:
        if d in (geo, time, metric, sex, age):
            continue
        codes = list(dict.fromkeys(df[d]))
        labels = table.labels.get(d, {})
        elim = (table.extension.get(d) or {}).get("eliminationValueCode")
        tot = [c for c in codes if is_total(c, labels.get(c)) or (elim and c == elim)]
        if len(tot) == 1:
            df = df[df[d] == tot[0]]
            continue
        dl = table.dim_labels.get(d, d)
        shown = ", ".join(_code_label(table, d, c) for c in codes[:6]) + (" ..." if len(codes) > 6 else "")
        pc.add(f"dimension '{d}' ({dl}) is not at its total but at {shown}: the figures are a "
               "subset of the population, not all inhabitants", column=d, value=codes[0],
               expected=f"a query without '{d}' (SCB then sums over it) or with its total selected")
        df = df[df[d] == codes[0]] if codes else df  # go on, to report the regions too
    if geo is None or time is None:
        pc.raise_if_any()
    df = df.copy()
    df["_code"] = df[geo].astype(str).str.extract(r"^\s*(\d+)")[0].fillna(df[geo].astype(str))
    tid = df[time].astype(str).str.strip()
    month = tid.str.extract(_MONTH)
    year = tid.str.extract(_YEAR)[0]
    is_month = month[0].notna()
    period_kind = "monthly" if is_month.any() else "annual"
    bad_time = ~is_month & year.isna()
    for i in np.flatnonzero(bad_time.to_numpy())[:1]:
        pc.add("time code is neither a year nor a month", row=int(df["row"].iat[i]), column=time,
               value=tid.iat[i], expected="a year such as '2025' or a month such as '2025M12'")
    if is_month.any():
        dec = (month[1] == "12").to_numpy().copy()
        if not dec.any():
            pc.add("monthly table without December: the population on 31 December (Brå's and "
                   "this toolkit's denominator) is the December value", column=time,
                   value=", ".join(sorted(set(tid))[:4]), expected="a query that includes "
                   "month 12 of each year (e.g. '2025M12'), or the annual table BE0101N1")
            dec[:] = True  # go on, to report the regions too
        df, year = df[dec], month[0][dec]
    if bad_time.any():
        pc.raise_if_any()
    df = df.assign(_year=year.to_numpy())
    for d, kind in ((sex, "sex"), (age, "age_group")):
        if d is None:
            continue
        labels = table.labels.get(d, {})
        tot = df[d].map(lambda c: is_total(c, labels.get(c))).to_numpy(dtype=bool)
        if tot.any():
            df = df[tot]
            df = df.drop(columns=[d])
        elif kind == "sex":
            lab = df[d].map(lambda c: labels.get(c, c)).astype(str).str.lower()
            mapped = df[d].astype(str).str.lower().map(_SEX_PART).fillna(lab.map(_SEX_PART))
            for i in np.flatnonzero(mapped.isna().to_numpy())[:20]:
                pc.add("unknown sex category", row=int(df["row"].iat[i]), column=d,
                       value=df[d].iat[i], expected="1 (män), 2 (kvinnor) or the total TotSa / 1+2")
            df = df.assign(sex=mapped.to_numpy())
        else:
            df = df.assign(age_group=df[d].map(lambda c: labels.get(c, c)).to_numpy())
    if "sex" in df and df["sex"].isna().any():
        pc.raise_if_any()
    level = np.where(df["_code"].str.len() == 4, "kommun",
                     np.where(df["_code"] == "00", "riket",
                              np.where(df["_code"].str.len() == 2, "lan", "other")))
    for i in np.flatnonzero(level == "other")[:20]:
        pc.add("region code is neither a kommun (4 digits), a län (2 digits) nor riket ('00')",
               row=int(df["row"].iat[i]), column=geo, value=df[geo].iat[i],
               expected="SCB region codes such as '0180', '01' or '00'")
    kommun = df[level == "kommun"]
    other = df[(level == "riket") | (level == "lan")]
    for i in np.flatnonzero(~kommun["_code"].map(is_valid_code).to_numpy())[:20]:
        pc.add("unknown kommun code", row=int(kommun["row"].iat[i]), column=geo,
               value=kommun[geo].iat[i], expected="one of the 290 current kommun codes "
               "(SCB's RegionKommun07 list)")
    if kommun.empty and not (level == "other").any():
        found = ", ".join(sorted({_code_label(table, geo, c) for c in df[geo].astype(str)})[:5])
        pc.add("no kommun rows: the file holds only " + (found or "no regions"), column=geo,
               value=None,
               expected="kommun codes (4 digits): select the kommuner in the query "
               "(filter vs:RegionKommun07) or add them to it")
    missing_cells = []
    for i in np.flatnonzero(kommun["value"].isna().to_numpy()):
        st = kommun["status"].iat[i]
        where = " / ".join([kommun["_code"].iat[i], str(kommun["_year"].iat[i])]
                           + [str(kommun[c].iat[i]) for c in ("sex", "age_group") if c in kommun])
        missing_cells.append({"row": int(kommun["row"].iat[i]), "cell": where, "status": st})
        if missing == "error":
            why = MARKERS.get(str(st).lower(), "no status") if st else "no status"
            pc.add(f"no value, SCB status {st!r} ({why})" if st else "no value",
                   row=int(kommun["row"].iat[i]), column="value", value=where,
                   expected="a population count (pass missing='drop' to leave the cell out)")
    pc.raise_if_any()
    kommun = kommun[kommun["value"].notna()]
    out = pd.DataFrame({"kommunkod": kommun["_code"].to_numpy(), "year": kommun["_year"].to_numpy(),
                        "population": kommun["value"].to_numpy()})
    for c in ("sex", "age_group"):
        if c in kommun:
            out[c] = kommun[c].to_numpy()
    typed = validate(out, "population", file=name, rows=kommun["row"].to_numpy())
    typed.attrs.update({
        "other_regions": pd.DataFrame({"region": other["_code"].to_numpy(),
                                       "level": level[(level == "riket") | (level == "lan")],
                                       "year": other["_year"].to_numpy(),
                                       "population": other["value"].to_numpy()}),
        "missing_cells": missing_cells, "period_kind": period_kind, "layout": table.layout,
        "lines": Lines(kommun["row"].to_numpy()), "skipped_regions": sorted(set(other["_code"]))})
    return typed
