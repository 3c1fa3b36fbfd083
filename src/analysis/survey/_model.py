"""Model matrices for calibration with R's ``model.matrix`` column names and coding.

Terms are column names (numeric: the column; categorical: treatment-coded dummies, first
level as reference), ``"a:b"`` interactions of terms whose main effects are present, and
``"a*b"`` for ``a + b + a:b``. Column names follow R (``"(Intercept)"``, ``"stypeH"``,
``"sexman:age_group25-44"``) so that population totals can be named as in R.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["expand_terms", "model_matrix", "model_matrix_blocks", "population_totals"]


def expand_terms(terms: str | Sequence[str]) -> list[str]:
    """``["a*b", "c"]`` -> ``["a", "b", "a:b", "c"]`` (duplicates dropped, order kept)."""
    if isinstance(terms, str):
        terms = [t.strip() for t in terms.split("+")]
    out: list[str] = []
    for t in terms:
        t = t.strip()
        if "*" in t:
            parts = [p.strip() for p in t.split("*")]
            if len(parts) != 2:
                raise ValueError(f"only two-way '*' terms are supported: {t!r}")
            new = [parts[0], parts[1], f"{parts[0]}:{parts[1]}"]
        else:
            new = [t]
        out.extend(x for x in new if x not in out)
    return out


def _levels(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    uniq = pd.unique(values.dropna())
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _fmt(level) -> str:
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)


def model_matrix(data: pd.DataFrame, terms: str | Sequence[str], *, intercept: bool = True,
                 levels: dict | None = None) -> pd.DataFrame:
    """The model matrix of ``terms`` on ``data`` (rows aligned with ``data``).

    ``levels`` fixes the levels of categorical variables (e.g. those of the sample when the
    matrix is built on a population table).

    Examples
    --------
    >>> d = pd.DataFrame({"sex": ["man", "kvinna", "man"], "x": [1.0, 2.0, 3.0]})
    >>> model_matrix(d, ["sex", "x"]).columns.tolist()
    ['(Intercept)', 'sexman', 'x']
    """
    return model_matrix_blocks(data, terms, intercept=intercept, levels=levels)[0]


def model_matrix_blocks(data: pd.DataFrame, terms: str | Sequence[str], *, intercept: bool = True,
                        levels: dict | None = None, what: str = "calibration variable"
                        ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """:func:`model_matrix` and the columns of each term (R's ``assign``), for Wald tests."""
    terms = expand_terms(terms)
    levels = dict(levels or {})
    cols: dict[str, np.ndarray] = {}
    n = len(data)
    if intercept:
        cols["(Intercept)"] = np.ones(n)
    blocks: dict[str, dict[str, np.ndarray]] = {}
    first_factor = not intercept
    for term in terms:
        if ":" in term:
            a, b = [p.strip() for p in term.split(":")]
            if a not in blocks or b not in blocks:
                raise DataError(f"interaction {term!r} needs its main effects: write '{a}*{b}'")
            block = {}
            for na, va in blocks[a].items():
                for nb, vb in blocks[b].items():
                    block[f"{na}:{nb}"] = va * vb
            blocks[term] = block
            cols.update(block)
            continue
        if term not in data.columns:
            raise DataError(f"{what} '{term}' is not in the data")
        values = data[term]
        if values.isna().any():
            raise DataError(f"{what} '{term}' has missing values")
        if _is_numeric(values):
            block = {term: values.to_numpy(dtype=float)}
        else:
            lv = levels.setdefault(term, _levels(values))
            unknown = set(pd.unique(values)) - set(lv)
            if unknown:
                raise DataError(f"'{term}' has level(s) {sorted(map(str, unknown))} not among {lv}")
            use = lv if first_factor else lv[1:]
            first_factor = False
            block = {f"{term}{_fmt(level)}": (values == level).to_numpy(dtype=float) for level in use}
        blocks[term] = block
        cols.update(block)
    assign = {t: list(b) for t, b in blocks.items()}
    return pd.DataFrame(cols, index=data.index), assign


def population_totals(cells: pd.DataFrame, terms: str | Sequence[str], *,
                      count: str = "population", intercept: bool = True,
                      levels: dict | None = None) -> pd.Series:
    """Population totals of the model-matrix columns from a table of population counts.

    Parameters
    ----------
    cells : pandas.DataFrame
        One row per population cell (e.g. the ``margins`` kind: area × sex × age group) with
        a ``count`` column.
    terms : str or list of str
        As for :func:`analysis.survey.calibration.calibrate`.

    Examples
    --------
    >>> cells = pd.DataFrame({"sex": ["kvinna", "man"], "population": [510, 490]})
    >>> population_totals(cells, ["sex"]).to_dict()
    {'(Intercept)': 1000.0, 'sexman': 490.0}
    """
    if count not in cells.columns:
        raise DataError(f"population table needs a '{count}' column")
    mm = model_matrix(cells, terms, intercept=intercept, levels=levels)
    return mm.mul(cells[count].to_numpy(dtype=float), axis=0).sum()
