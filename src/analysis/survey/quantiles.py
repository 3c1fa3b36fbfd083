"""Weighted quantiles by domain with R ``svyquantile``'s intervals (survey 4.x).

Woodruff intervals invert an interval for the distribution function at the quantile
(``mean``, ``beta``, ``xlogit``, ``asin``); the ``score`` interval (Francisco & Fuller) inverts
the design-based score test; on replicate designs ``quantile`` takes the replicate variance of
the quantile itself. Returns the estimate contract of :mod:`analysis.survey.estimates`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ._ci import proportion_ci, wald_ci
from ._rmath import QRULES, qcrit, r_uniroot
from ._rmath import qrule as _qrule
from .design import _as_list, domain_codes
from .disclosure import DEFAULT_RULE, DisclosureRule
from .estimates import _counts, _df, _finish, _method, _numeric, _rows_ok, _table

__all__ = ["quantile", "INTERVALS"]

#: Interval types: Woodruff's four, the score interval (Taylor designs) and the replicate
#: variance of the quantile (replicate designs), as R's ``interval.type``.
INTERVALS = ("mean", "beta", "xlogit", "asin", "score", "quantile")
_WOODRUFF = ("mean", "beta", "xlogit", "asin")


def quantile(design, variable: str, quantiles: float | Sequence[float] = 0.5, *, by=None,
             interval: str = "mean", qrule: str = "math", level: float = 0.95, df=None,
             na_rm: bool = False, disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Weighted quantiles with confidence intervals (R ``svyquantile``, survey 4.x).

    Parameters
    ----------
    quantiles : float or sequence of float
        Probabilities in [0, 1].
    interval : {'mean', 'beta', 'xlogit', 'asin', 'score', 'quantile'}
        R ``interval.type``. Woodruff: how the interval for the distribution function at the
        quantile is formed before it is inverted (``'mean'``, R's default, is Wald).
        ``'score'`` (Taylor designs): Francisco & Fuller's inversion of the design-based score
        test, as R's ``ffullerCI``. ``'quantile'`` (replicate designs): the quantile is
        recomputed with every replicate's weights and ``estimate ± t * sqrt(replicate
        variance)``, as R's ``repCI``.
    qrule : str
        Quantile definition, R ``qrule=``: ``'math'`` (default: inverse of the weighted
        distribution function), ``'school'``, ``'shahvaish'``, ``'hf1'`` ... ``'hf9'``.
    df : None or as :func:`mean`
        ``None`` gives R's default ``degf`` of each domain after leaving out missing values.

    Returns
    -------
    pandas.DataFrame
        The estimate contract with a ``quantile`` column after ``variable``; ``se`` is R's
        ``(ci_high - ci_low) / (2 * qt(1 - alpha/2, df))``; ``deff`` is not defined (NaN).

    References
    ----------
    Woodruff RS (1952). Confidence intervals for medians and other position measures.
    *JASA* 47:635-646. Francisco CA, Fuller WA (1991). Quantile estimation with a complex
    survey design. *Ann Stat* 19:454-469. R survey 4.1-1 ``svyquantile``; validated in
    ``tests/reference/survey`` (``make_reference.R``, ``make_reference_extensions.R``).

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0] * 10, "y": np.arange(10.0)})
    >>> from analysis.survey import SurveyDesign
    >>> float(quantile(SurveyDesign(df, weights="w"), "y", 0.5, disclosure=None).estimate.iloc[0])
    4.0
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}; got {interval!r}")
    replicate = not hasattr(design, "_stages")
    if interval == "score" and replicate:
        raise ValueError("interval='score' needs a Taylor design (R has no score interval for replicate "
                         "weights); use 'quantile' or a Woodruff interval")
    if interval == "quantile" and not replicate:
        raise ValueError("interval='quantile' needs a replicate-weight design (as_replicate)")
    if qrule not in QRULES:
        raise ValueError(f"qrule must be one of {', '.join(QRULES)}")
    probs = [float(q) for q in np.atleast_1d(quantiles)]
    x = _numeric(design, variable)
    dom, n_dom, keys = domain_codes(design, by)
    rows = _rows_ok(design, dom, np.isnan(x), variable, na_rm)
    w = design._w
    usable = rows & (dom >= 0) & (w != 0)
    order = np.argsort(dom[usable], kind="stable")
    idx = np.flatnonzero(usable)[order]
    bounds = np.searchsorted(dom[idx], np.arange(n_dom + 1))
    dfs = _df(design, df, "domain_complete", dom, n_dom, np.ones_like(rows), rows)
    degf = design._df_by(dom, n_dom, rows)
    n_rows = design._nrow_by(dom, n_dom, rows)
    n, _, n_eff = _counts(design, dom, n_dom, rows)
    alpha = 1 - level
    cols = {k: [] for k in ("estimate", "se", "ci_low", "ci_high")}
    for p in probs:
        qhat = np.array([_domain_q(idx[bounds[d]:bounds[d + 1]], x, w, p, qrule) for d in range(n_dom)])
        if interval == "score":
            lo, hi = np.array([_score_ci(design, dom, d, x, rows, p, qrule, alpha, dfs[d])
                               for d in range(n_dom)]).T.reshape(2, n_dom)
        elif interval == "quantile":
            lo, hi = np.array([_replicate_ci(design, idx[bounds[d]:bounds[d + 1]], x, p, qhat[d], qrule,
                                             alpha, dfs[d]) for d in range(n_dom)]).T.reshape(2, n_dom)
        else:
            lo, hi = _woodruff(design, dom, n_dom, idx, bounds, x, w, rows, qhat, p, qrule, interval,
                               level, dfs, n_rows, degf, n)
        cols["estimate"].append(qhat)
        cols["ci_low"].append(lo)
        cols["ci_high"].append(hi)
        cols["se"].append((hi - lo) / (2 * qcrit(1 - alpha / 2, dfs)))
    K = len(probs)
    stack = {k: np.column_stack(v).ravel() for k, v in cols.items()}
    table = _table(keys, _as_list(by), n_dom, K, {
        "variable": variable, "estimate": stack["estimate"], "se": stack["se"],
        "ci_low": stack["ci_low"], "ci_high": stack["ci_high"], "ci_level": level,
        "df": np.repeat(dfs, K), "deff": np.nan, "n": np.repeat(n, K).astype(int),
        "n_eff": np.repeat(n_eff, K),
        "method": _method(design, interval if interval in ("score", "quantile") else f"woodruff-{interval}")},
        {"quantile": np.tile(probs, n_dom)})
    return _finish(design, table, _as_list(by), ("quantile",), disclosure)


def _domain_q(idx, x, w, p, rule):
    return _qrule(rule, x[idx], w[idx], p) if idx.size else np.nan


def _woodruff(design, dom, n_dom, idx, bounds, x, w, rows, qhat, p, qrule, interval, level, dfs,
              n_rows, degf, n):
    below = (x <= qhat[np.maximum(dom, 0)]) & rows
    mom = design._ratio(dom, n_dom, below[:, None].astype(float), np.ones(design.n_rows), rows=rows)
    pm, pv = mom.estimate[:, 0], mom.var[:, 0]
    if interval == "mean":
        pl, pu = wald_ci(pm, np.sqrt(pv), level, dfs)
    else:
        pl, pu = proportion_ci(interval, pm, pv, level, dfs, n_rows=n_rows, degf=degf, n_resp=n)
    lo = np.array([np.nan if not (pl[d] >= 0) else _domain_q(idx[bounds[d]:bounds[d + 1]], x, w, pl[d], qrule)
                   for d in range(n_dom)])
    hi = np.array([np.nan if not (pu[d] <= 1) else _domain_q(idx[bounds[d]:bounds[d + 1]], x, w, pu[d], qrule)
                   for d in range(n_dom)])
    return lo, hi


def _score_ci(design, dom, d, x, rows, p, qrule, alpha, df):
    """R's ``ffullerCI`` on the domain design ``design[domain]`` (after ``na.rm``).

    R evaluates the range, IQR and the final ``mean(x <= limit)`` (unweighted) on every row
    its domain design holds: the domain's rows, or all rows of a calibrated design (with
    missing values set to 0), so the same rows are used here.
    """
    dom_d = np.where(dom == d, 0, -1)
    held = design._present_rows(dom_d, rows)
    if held is None:
        held = np.asarray(design._present)
        xr = np.where(rows, x, 0.0)[held]
    else:
        xr = x[held]
    w_dom = np.where((dom == d) & rows, design._w, 0.0)
    if xr.size < 2 or not df > 0:
        return np.nan, np.nan
    q75, q25 = np.percentile(xr, [75, 25])
    lower, upper = xr.min() + (q75 - q25) / 100, xr.max() - (q75 - q25) / 100
    tol = 1 / (100 * np.sqrt(xr.size))
    ones = np.ones(design.n_rows)

    def score(theta, limit):
        u = np.where(rows, (x > theta).astype(float) - (1 - p), 0.0)
        mom = design._ratio(dom_d, 1, u[:, None], ones, rows=rows)
        with np.errstate(divide="ignore", invalid="ignore"):  # a zero SE gives -Inf/Inf, as in R
            return float(mom.estimate[0, 0] / np.sqrt(mom.var[0, 0]) - limit)

    try:
        qlow = r_uniroot(lambda t: score(t, qcrit(1 - alpha / 2, df)), lower, upper, tol)
        qup = r_uniroot(lambda t: score(t, qcrit(alpha / 2, df)), lower, upper, tol)
    except ValueError:  # R stops: the score test does not change sign inside the data's range
        return np.nan, np.nan
    w_held = w_dom[held]
    return (_qrule(qrule, xr, w_held, float(np.mean(xr <= qlow))),
            _qrule(qrule, xr, w_held, float(np.mean(xr <= qup))))


def _replicate_ci(design, idx, x, p, qhat, qrule, alpha, df):
    """R's ``repCI``: the quantile with every replicate's weights, Wald on its replicate variance."""
    if idx.size == 0:
        return np.nan, np.nan
    W = design._analysis(idx)
    reps = np.array([_qrule(qrule, x[idx], W[:, r], p) for r in range(W.shape[1])])
    v = float(design._rep_var(reps[:, None], np.array([qhat]))[0])
    half = np.sqrt(v) * qcrit(1 - alpha / 2, df)
    return qhat - half, qhat + half
