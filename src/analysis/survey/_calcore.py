"""Building blocks of calibration: cell factors, Newton raking and variance residual blocks.

Shared by :mod:`analysis.survey.calibration` for plain and replicate-weight designs. Each
function mirrors one piece of R survey 4.1-1 (``postStratify``, ``grake``, ``cal.*``) and the
residual that ``svyrecvar`` applies for it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import DataError, LagesbildWarning
from ._calblocks import CalBlock
from .design import _first_rows
from ._model import _levels, expand_terms, population_totals


class CalibrationWarning(LagesbildWarning):
    """Calibration did not converge or weights were trimmed."""


def count_column(pop: pd.DataFrame, count: str | None) -> str:
    for c in ([count] if count else []) + ["population", "Freq", "count"]:
        if c in pop.columns:
            return c
    raise DataError("population table needs a count column ('population' or 'Freq')")


def cell_index(data: pd.DataFrame, strata, held) -> pd.Index:
    """The cells of ``strata`` row by row, as an Index (one variable) or a MultiIndex."""
    for v in strata:
        if v not in data.columns:
            raise DataError(f"calibration variable '{v}' is not in the data")
        if data[v][held].isna().any():
            raise DataError(f"calibration variable '{v}' has missing values")
    if len(strata) == 1:
        return pd.Index(data[strata[0]].array, name=strata[0])
    return pd.MultiIndex.from_arrays([data[v].array for v in strata], names=list(strata))


def column_codes(design, column: str):
    """``pd.factorize`` of a survey column, cached on the (immutable) design."""
    key = ("codes", column)
    if key not in design._cache:
        codes, uniq = pd.factorize(design._data[column])
        design._cache[key] = (codes.astype(np.int64), pd.Index(uniq))
    return design._cache[key]


def cell_codes(design, strata, held) -> np.ndarray:
    """Integer code of each row's cell of ``strata`` (for joint tables)."""
    cell_index(design._data, strata, held)
    key = np.zeros(design.n_rows, dtype=np.int64)
    for v in strata:
        codes, uniq = column_codes(design, v)
        key = key * (len(uniq) + 1) + codes
    return key


def _joint_cells(design, population, strata):
    """Integer cell ids shared by the survey rows and the population table, with labels."""
    n = design.n_rows
    key = np.zeros(n + len(population), dtype=np.int64)
    parts = []
    for v in strata:
        codes, uniq = column_codes(design, v)
        pidx = pd.Index(population[v])
        pcodes = uniq.get_indexer(pidx)
        extra = pd.Index(pd.unique(population[v][pcodes < 0]))
        pcodes = np.where(pcodes < 0, len(uniq) + extra.get_indexer(pidx), pcodes)
        allc = np.concatenate([codes, pcodes])
        key = key * (len(uniq) + len(extra) + 1) + allc
        parts.append((np.concatenate([np.asarray(uniq, dtype=object), np.asarray(extra, dtype=object)]), allc))
    span = int(key.max()) + 1
    if span <= 50_000_000:  # small key space: a lookup table instead of sorting every row
        seen = np.zeros(span, dtype=bool)
        seen[key] = True
        ids = np.cumsum(seen) - 1
        inv = ids[key]
        first = _first_rows(inv, int(seen.sum()))
    else:
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    labels = [":".join(str(vals[c[i]]) for vals, c in parts) for i in first]
    return inv[:n], inv[n:], labels


def poststrat_plan(design, held, w, strata, population, count, partial):
    """Cells of ``strata`` for post-stratification (R postStratify's checks, on weights ``w``).

    Returns the cell index of each row (-1: none), the cell labels and the population counts.
    """
    count = count_column(population, count)
    missing = [v for v in strata if v not in population.columns]
    if missing:
        raise DataError(f"population table lacks column(s) {', '.join(missing)}")
    cell_index(design._data, strata, held)  # checks the variables
    rows, prow, labels = _joint_cells(design, population, strata)
    C = len(labels)
    pop = np.bincount(prow, weights=population[count].to_numpy(dtype=float), minlength=C)
    samp = np.bincount(rows[held], weights=w[held], minlength=C)
    keep = ~((samp == 0) & (pop == 0))
    only_sample = keep & (pop == 0) & (samp != 0)
    if only_sample.any():
        raise DataError(f"post-stratum {labels[int(np.flatnonzero(only_sample)[0])]!r} is in the sample "
                        "but absent from the population")
    only_pop = keep & (samp == 0) & (pop != 0)
    if only_pop.any():
        if not partial:
            raise DataError(f"{int(only_pop.sum())} post-stratum/strata absent from the sample (e.g. "
                            f"{labels[int(np.flatnonzero(only_pop)[0])]!r}); use partial=True to ignore them")
        warnings.warn("Some strata absent from sample: ignored", CalibrationWarning, stacklevel=4)
        keep &= ~only_pop
    position = np.cumsum(keep) - 1
    index = np.where(held & keep[rows], position[rows], -1)
    return index, [lab for lab, k in zip(labels, keep) if k], pop[keep]


def poststrat_apply(W, index, pop, via_prob=False):
    """Scale every column of W so that its cell totals equal ``pop``.

    Column 0 of a plain design goes through inclusion probabilities, as R's
    ``design$prob <- design$prob / reweight``; replicate columns are multiplied.
    """
    ok = index >= 0
    out = np.zeros_like(W)
    for j in range(W.shape[1]):
        tot = np.bincount(index[ok], weights=W[ok, j], minlength=len(pop))
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = pop / tot
        if j == 0 and via_prob:
            out[ok, j] = 1.0 / ((1.0 / W[ok, j]) / factor[index[ok]])
        else:
            out[ok, j] = W[ok, j] * factor[index[ok]]
    return out


def cell_block(index, n_cells, psw, oldw, held, kind):
    """x <- x - psw * (sum_c x*oldw/psw / sum_c oldw): the post-stratification residual."""
    ok = (index >= 0) & held & (oldw != 0)
    O = np.bincount(index[ok], weights=oldw[ok], minlength=n_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        lval = oldw / psw / O[np.maximum(index, 0)]
    return CalBlock.cells(kind, np.where(ok, index, -1), lval, psw, n_cells)


def rake_block(index, n_cells, psw, held):
    """x <- x - psw * ave(x/psw, cell): rake()'s residual for one margin (unweighted ave)."""
    ok = (index >= 0) & held & (psw != 0)
    cnt = np.bincount(index[ok], minlength=n_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        lval = 1.0 / psw / cnt[np.maximum(index, 0)]
    return CalBlock.cells("raking-margin", np.where(ok, index, -1), lval, psw, n_cells)


def greg_block(mm, d, g, held):
    """x <- x - g d M (M'DM)^+ M'(x/g): the GREG residual of R's qr.resid on mm*sqrt(d)."""
    ok = held & (d != 0) & (g != 0)
    M = np.where(ok[:, None], mm, 0.0)
    A = M.T @ (M * d[:, None])
    Ainv = np.linalg.pinv(A, rcond=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.where(ok[:, None], M / g[:, None], 0.0)
    return CalBlock.dense("greg", Ainv @ R.T, np.where(ok[:, None], M * (g * d)[:, None], 0.0))


def _clip_bounds(u, b):
    return (u < b[1] - 1) & (u > b[0] - 1)


def calfun_pair(name):
    if name == "linear":
        return (lambda u, b: np.minimum(np.maximum(u + 1, b[0]), b[1]) - 1,
                lambda u, b: _clip_bounds(u, b).astype(float))
    if name == "raking":
        def exp(u):  # large steps are halved by grake; overflow is expected on the way
            with np.errstate(over="ignore"):
                return np.exp(u)
        return (lambda u, b: np.minimum(np.maximum(exp(u), b[0]), b[1]) - 1,
                lambda u, b: np.where(_clip_bounds(u, b), exp(u), 0.0))
    if name == "logit":
        def parts(u, b):
            L, U = b
            A = (U - L) / ((U - 1) * (1 - L))
            return L, U, A, np.exp(A * u)

        def fm1(u, b):
            L, U, A, e = parts(u, b)
            return (L * (U - 1) + U * (1 - L) * e) / (U - 1 + (1 - L) * e) - 1

        def df(u, b):
            L, U, A, e = parts(u, b)
            den = U - 1 + (1 - L) * e
            return U * (1 - L) * e * A / den - (L * (U - 1) + U * (1 - L) * e) * ((1 - L) * e * A) / den ** 2
        return fm1, df
    raise ValueError("calfun must be 'linear', 'raking' or 'logit'")


def grake(mm, ww, calfun, bounds, pop, epsilon, maxit):
    """Generalised raking by Newton steps, as R survey's ``grake`` (Deville & Särndal 1992)."""
    fm1, dF = calfun_pair(calfun)
    st = mm.T @ ww
    eta = np.zeros(mm.shape[1])
    xeta = mm @ eta
    g = 1 + fm1(xeta, bounds)
    deriv = dF(xeta, bounds)
    it = 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = pop / st
    scale = None
    if np.min(scales) > 20:
        scale = float(np.mean(scales))
        ww, st = ww * scale, st * scale
        if np.any(np.isfinite(bounds)):
            warnings.warn(f"Bounds were set but will be interpreted after rescaling by {scale:.3g}",
                          CalibrationWarning, stacklevel=3)
    converged = True
    while True:
        T = (mm * (ww * deriv)[:, None]).T @ mm
        misfit = pop - st - mm.T @ (ww * fm1(xeta, bounds))
        deta = np.linalg.pinv(T, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        with np.errstate(over="ignore", invalid="ignore"):
            xeta = mm @ eta
            g = 1 + fm1(xeta, bounds)
            deriv = dF(xeta, bounds)
            while it < maxit and not (np.all(np.isfinite(g)) and np.all(np.isfinite(deriv))):
                it += 1
                deta = deta / 2
                eta = eta - deta
                xeta = mm @ eta
                g = 1 + fm1(xeta, bounds)
                deriv = dF(xeta, bounds)
        misfit = pop - st - mm.T @ (ww * fm1(xeta, bounds))
        if np.all(np.abs(misfit) / (1 + np.abs(pop)) < epsilon):
            break
        it += 1
        if it > maxit:
            achieved = float(np.max(np.abs(misfit) / (1 + np.abs(pop))))
            warnings.warn(f"Failed to converge: eps={achieved:.3g} in {it} iterations",
                          CalibrationWarning, stacklevel=3)
            converged = False
            break
    if scale is not None:
        g = g * scale
    return g, it, converged




def linear_g(mm, ww, pop):
    """Closed-form GREG g-weights (R regcalibrate)."""
    T = (mm * ww[:, None]).T @ mm
    return 1 + mm @ np.linalg.solve(T, pop - mm.T @ ww)


def trim_g(g, ww, held, trim):
    """Trim g-weights to ``trim`` and spread the excess over the others (R calibrate(trim=))."""
    gnew = np.clip(g, trim[0], trim[1])
    outside = held & ((g < trim[0]) | (g > trim[1]))
    if not outside.any():
        return g, 0
    trimmings = np.where(held, (g - gnew) * ww, 0.0)
    inside = held & ~outside
    gnew = np.where(inside, gnew + trimmings.sum() / ww[inside].sum(), gnew)
    return gnew, int(outside.sum())


def population_vector(population, names, terms, design, intercept, count):
    if isinstance(population, pd.DataFrame):
        levels = {t: None for t in expand_terms(terms)}
        data = design._data
        lv = {}
        for t in levels:
            if ":" not in t and t in data.columns and not pd.api.types.is_numeric_dtype(data[t]):
                lv[t] = _levels(data[t])
        pop = population_totals(population, terms, count=count_column(population, count),
                                intercept=intercept, levels=lv)
    elif isinstance(population, (dict, pd.Series)):
        pop = pd.Series(population, dtype=float)
    else:
        arr = np.asarray(population, dtype=float)
        if arr.size != len(names):
            raise DataError(f"population has {arr.size} totals; the model has {len(names)}: {list(names)}")
        return arr
    missing = [n for n in names if n not in pop.index]
    if missing:
        raise DataError(f"population totals missing for {missing}; model columns are {list(names)}")
    return pop.reindex(names).to_numpy(dtype=float)


