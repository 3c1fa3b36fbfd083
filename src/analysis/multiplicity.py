"""Many comparisons at once: which findings survive a false-discovery-rate correction?

A lägesbild tests 12 crime types × periods × areas; at 5 % each, several "changes" appear by
chance. Benjamini-Hochberg q-values say which ones still stand. Called on the tidy frames of
:mod:`analysis.crime` and :mod:`analysis.survey`; :mod:`analysis.verdicts` words them.

The lägesbild corrects once per section, one family each (:data:`FAMILIES`); every table and
sentence shows the corrected verdict (:mod:`analysis.report.content`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["bh_qvalues", "add_qvalues", "FAMILIES", "family_size"]

#: The lägesbild's FDR families: section → the tests corrected together (5 % FDR each).
FAMILIES = {
    "levels": "the kommun's level against riket, one test per crime type with at least 10 cases",
    "changes": "report year against the year before, one test per crime type with a base of "
               "at least 10 cases",
    "trends": "annual percent change since 2015, one test per crime type",
    "trend segments": "the joinpoint segments of the crime types whose course is worded",
    "survey changes": "each indicator's change since the previous survey wave",
    "survey gaps": "each indicator's difference between women and men",
}


def bh_qvalues(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), as R ``p.adjust(p, "BH")``.

    Parameters
    ----------
    p_values : array_like
        p-values; NaN entries stay NaN and do not count as tests (R drops ``NA`` likewise).

    Returns
    -------
    numpy.ndarray
        ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` in the original order.

    References
    ----------
    Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
    powerful approach to multiple testing. JRSS B 57, 289-300. R ``stats::p.adjust``.

    Validated against R 4.2.2 ``p.adjust(method = "BH")``; see tests/reference/crime/.

    Examples
    --------
    >>> bh_qvalues([0.01, 0.04, 0.03, 0.20]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(-q, kind="stable")
    ranks = np.arange(m, 0, -1)
    adj = np.minimum.accumulate(m / ranks * q[order])
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def add_qvalues(df: pd.DataFrame, *, p_col: str = "p_value", by: Sequence[str] | None = None,
                alpha: float = 0.05) -> pd.DataFrame:
    """Add ``q_value`` and ``survives`` to a frame of tests (one family, or one per ``by`` group).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per test, with a p-value column.
    p_col : str
        Name of the p-value column.
    by : list of str, optional
        Columns defining separate families (e.g. ``["area_code"]`` for one report per kommun).
        Default: the whole frame is one family.
    alpha : float
        False-discovery rate controlled.

    Returns
    -------
    pandas.DataFrame
        A copy with ``q_value`` (BH-adjusted p) and ``survives`` (``q_value <= alpha``; False
        where the p-value is missing), plus ``fdr_level`` (= ``alpha``) and ``n_tests`` (the size
        of the row's family).

    Examples
    --------
    >>> t = pd.DataFrame({"crime_type": list("abcd"), "p_value": [0.01, 0.04, 0.03, 0.2]})
    >>> add_qvalues(t)[["crime_type", "q_value", "survives"]].round(3).to_dict("list")
    {'crime_type': ['a', 'b', 'c', 'd'], 'q_value': [0.04, 0.053, 0.053, 0.2], 'survives': [True, False, False, False]}
    """
    if p_col not in df:
        raise KeyError(f"column {p_col!r} not in frame "
                       f"(columns: {', '.join(map(str, df.columns))})")
    out = df.copy()
    p = pd.to_numeric(out[p_col], errors="coerce").to_numpy(dtype=float)
    q = np.full(len(out), np.nan)
    ntests = np.zeros(len(out), dtype=int)
    if by:
        groups = out.groupby(list(by), sort=False, dropna=False).indices.values()
    else:
        groups = [np.arange(len(out))]
    for idx in groups:
        q[idx] = bh_qvalues(p[idx])
        ntests[idx] = int(np.sum(~np.isnan(p[idx])))
    out["q_value"] = q
    out["survives"] = np.nan_to_num(q, nan=np.inf) <= alpha
    out["fdr_level"] = alpha
    out["n_tests"] = ntests
    return out


def family_size(table: pd.DataFrame) -> int:
    """How many rows of a table were tested together (its FDR family, from :func:`add_qvalues`).

    ``n_tests`` where the table has it, else the rows with a p-value, else 0.

    Examples
    --------
    >>> family_size(add_qvalues(pd.DataFrame({"p_value": [0.01, None, 0.2]})))
    2
    """
    if "n_tests" in table and table["n_tests"].notna().any():
        return int(table["n_tests"].max())
    return int(table["p_value"].notna().sum()) if "p_value" in table else 0
