"""Reader of Brå's regional NTU figures (otrygghet och oro): the benchmark for a kommun's survey.

The package ships the figures of Brå's regional NTU tables (NTU 2010 for riket, län and 31 large
kommuner; NTU 2013 for riket and län) as ``data/ntu_regional.csv``, one row per survey × area ×
indicator with its source address (bra.se; see /work/shared/reference/sources.md). Cells Brå
did not report (``XX``) stay missing. Next in the flow: :mod:`analysis.survey.benchmarks`.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ProblemCollector
from .delimited import read_delimited

__all__ = ["read_ntu_regional", "NTU_LEVELS"]

NTU_LEVELS = ("riket", "lan", "kommun")
_COLUMNS = ("undersokning", "niva", "region_kod", "region", "indikator", "andel_procent", "kalla_url")
_CODE_LENGTH = {"riket": 2, "lan": 2, "kommun": 4}


def read_ntu_regional(path: str | Path | None = None) -> pd.DataFrame:
    """Read a regional NTU table (default: the figures shipped with the package).

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the columns ``undersokning, niva, region_kod, region, indikator,
        andel_procent, kalla_url`` (the layout of ``ntu_otrygghet_oro_regionalt.csv``).

    Returns
    -------
    pandas.DataFrame
        ``survey`` (e.g. ``NTU 2013``), ``year`` (int), ``level`` (``riket``/``lan``/
        ``kommun``), ``region_code``, ``region``, ``indicator`` (Brå's wording), ``percent``
        (float; NaN where Brå printed ``XX``), ``source_url``.

    Raises
    ------
    DataError
        Every malformed row at once (unknown level, code of the wrong length, a share that is
        neither a number from 0 to 100 nor ``XX``).

    Examples
    --------
    >>> ntu = read_ntu_regional()
    >>> r = ntu[(ntu.level == "riket") & (ntu.year == 2013)]
    >>> r.set_index("indicator").loc["Otrygghet vid utevistelse sen kväll", "percent"]
    np.float64(15.0)
    >>> int(ntu["percent"].isna().sum()) > 0  # 'XX' cells stay missing
    True
    """
    if path is None:
        with resources.files("analysis").joinpath("data", "ntu_regional.csv").open(
                "r", encoding="utf-8") as fh:
            frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
        file, rows = "analysis/data/ntu_regional.csv", np.arange(len(frame)) + 2
    else:
        d = read_delimited(path, dtype=str)
        frame, file, rows = d.frame, d.file, np.asarray(d.rows)
    pc = ProblemCollector(file=file)
    missing = [c for c in _COLUMNS if c not in frame.columns]
    for c in missing:
        pc.add("required column missing", column=c, expected=", ".join(_COLUMNS))
    pc.raise_if_any()
    f = frame.fillna("").astype(str).apply(lambda s: s.str.strip())
    year = pd.to_numeric(f["undersokning"].str.extract(r"(\d{4})", expand=False), errors="coerce")
    pct = pd.to_numeric(f["andel_procent"].str.replace(",", ".", regex=False), errors="coerce")
    for i in range(len(f)):
        level, code, raw = f["niva"].iat[i], f["region_kod"].iat[i], f["andel_procent"].iat[i]
        if level not in NTU_LEVELS:
            pc.add("unknown level", row=int(rows[i]), column="niva", value=level,
                   expected="one of: " + ", ".join(NTU_LEVELS))
        elif not re.fullmatch(r"\d{%d}" % _CODE_LENGTH[level], code):
            pc.add("malformed region code", row=int(rows[i]), column="region_kod", value=code,
                   expected=f"{_CODE_LENGTH[level]} digits for level {level}")
        if np.isnan(year.iat[i]):
            pc.add("no survey year", row=int(rows[i]), column="undersokning",
                   value=f["undersokning"].iat[i], expected="a name with the year, e.g. 'NTU 2013'")
        if raw.upper() != "XX" and not (0 <= pct.iat[i] <= 100):
            pc.add("not a share in percent", row=int(rows[i]), column="andel_procent", value=raw,
                   expected="a number from 0 to 100, or XX where Brå did not report it")
    pc.raise_if_any()
    return pd.DataFrame({"survey": f["undersokning"], "year": year.astype("int64"),
                         "level": f["niva"], "region_code": f["region_kod"], "region": f["region"],
                         "indicator": f["indikator"], "percent": pct.astype(float),
                         "source_url": f["kalla_url"]})
