"""Design-based estimates: means, totals, proportions and ratios by domain.

Each function takes a design (:class:`~analysis.survey.design.SurveyDesign` or a replicate
design), variable names and ``by=`` domains, and returns one tidy table with the estimate
contract ``[by], variable, [level | quantile], estimate, se, ci_low, ci_high, ci_level, df,
deff, n, n_eff, method, suppressed, suppressed_reason``. Domains are never formed by
filtering rows first: the full design stays behind every variance (R ``svyby``).
Quantiles are in :mod:`analysis.survey.quantiles`. Next in the flow:
:mod:`analysis.survey.compare`, reports and figures.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from ._model import _levels as observed_levels
from ._ci import CI_METHODS, ProfileInputs, glm_logit, proportion_ci, wald_ci
from .design import _as_list, domain_codes
from .disclosure import DEFAULT_RULE, DisclosureRule, finalize

__all__ = ["mean", "total", "proportion", "ratio", "CI_METHODS"]

_ID_COLUMNS = ("respondent_id",)


# ----------------------------------------------------------------------------- shared helpers

def _numeric(design, name):
    col = design._column(name)
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna() & col.notna()
    if bad.any():
        raise DataError(f"variable '{name}' is not numeric (e.g. {col[bad].iloc[0]!r}); "
                        "use proportion() for categorical variables")
    return values.to_numpy(dtype=float)


def _rows_ok(design, dom, missing, name, na_rm):
    """Usable rows; missing values in the estimation domain need ``na_rm=True`` (R ``na.rm``)."""
    hit = missing & (dom >= 0)
    if hit.any() and not na_rm:
        raise DataError(f"variable '{name}' has {int(hit.sum())} missing value(s) among the "
                        "respondents estimated; pass na_rm=True to leave them out (R na.rm=TRUE)")
    return ~missing


def _counts(design, dom, n_dom, rows):
    w = design._w
    sel = rows & (dom >= 0) & (w != 0)
    d = dom[sel]
    n = np.bincount(d, minlength=n_dom).astype(float)
    sw = np.bincount(d, weights=w[sel], minlength=n_dom)
    sw2 = np.bincount(d, weights=w[sel] ** 2, minlength=n_dom)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = sw ** 2 / sw2
    return n, sw, n_eff


def _svyvar(design, dom, n_dom, x, rows):
    """Weighted variance with the n/(n-1) factor of R ``svyvar``, per domain and column."""
    w = design._w
    sel = rows & (dom >= 0) & (w != 0)
    d, ws, xs = dom[sel], w[sel], x[sel]
    N = np.bincount(d, weights=ws, minlength=n_dom)
    n = np.bincount(d, minlength=n_dom).astype(float)
    out = np.empty((n_dom, x.shape[1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(x.shape[1]):
            m = np.bincount(d, weights=ws * xs[:, k], minlength=n_dom) / N
            ss = np.bincount(d, weights=ws * (xs[:, k] - m[d]) ** 2, minlength=n_dom)
            out[:, k] = ss / N * n / (n - 1)
    return out, N, n


def _deff(design, dom, n_dom, x, rows, var, kind, deff=True):
    """Design effect against simple random sampling without replacement (R ``deff=TRUE``) or
    with replacement (``deff="replace"``: no finite population correction)."""
    sv, N, n = _svyvar(design, dom, n_dom, x, rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        if deff == "replace":
            vsrs = sv / n[:, None] if kind == "mean" else sv * (N ** 2 / n)[:, None]
        elif kind == "mean":
            vsrs = np.where((N < n)[:, None], np.nan, sv * ((N - n) / (N * n))[:, None])
        else:
            vsrs = sv * (N ** 2 * (N - n) / (N * n))[:, None]
        return var / vsrs


def _check_deff(deff):
    if deff not in (True, False, "replace"):
        raise ValueError(f"deff must be True, False or 'replace'; got {deff!r}")
    return deff


def _df(design, spec, default, dom, n_dom, rows_all, rows_complete):
    spec = default if spec is None else spec
    if isinstance(spec, str):
        if spec == "z":
            return np.full(n_dom, np.inf)
        if spec == "design":
            return np.full(n_dom, float(design.degf))
        if spec == "domain":
            return design._df_by(dom, n_dom, rows_all)
        if spec == "domain_complete":
            return design._df_by(dom, n_dom, rows_complete)
        raise ValueError(f"df must be a number, 'z', 'design', 'domain' or 'domain_complete'; got {spec!r}")
    return np.full(n_dom, float(spec))


def _label(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _table(keys, by, n_dom, K, columns: dict, extra: dict | None = None) -> pd.DataFrame:
    rep = np.repeat(np.arange(n_dom), K)
    out = keys.iloc[rep].reset_index(drop=True) if by else pd.DataFrame(index=range(n_dom * K))
    for name, values in (extra or {}).items():
        out[name] = values
    for name, values in columns.items():
        out[name] = values
    return out


def _method(design, ci):
    return f"{ci} ({design._variance_label})"


def _finish(design, table, by, extra, disclosure):
    return finalize(table, by=by, extra=extra, rule=disclosure, n_respondents=design.n,
                    id_columns=_ID_COLUMNS)


def _levels_of(col, rows, levels):
    return list(levels) if levels is not None else observed_levels(col[rows])


# ----------------------------------------------------------------------------- estimators

def _ratio_estimate(design, names, num, den, rows, *, by, level, df, deff, disclosure, kind,
                    labels=None, extra_name=None):
    dom, n_dom, keys = domain_codes(design, by)
    _check_deff(deff)
    K = num.shape[1]
    mom = design._ratio(dom, n_dom, num, den, rows=rows)
    est, var = mom.estimate, mom.var
    dfs = _df(design, df, "z", dom, n_dom, np.ones_like(rows), rows)
    se = np.sqrt(var)
    lo, hi = wald_ci(est, se, level, dfs[:, None])
    if deff:
        if kind == "ratio":
            d = np.maximum(dom, 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = (num - est[d] * (den if den.ndim == 2 else den[:, None])) / mom.denominator[d]
            dv = _deff(design, dom, n_dom, np.where(rows[:, None], r, 0.0), rows, var, "total", deff)
        else:
            dv = _deff(design, dom, n_dom, np.where(rows[:, None], num, 0.0), rows, var, kind, deff)
    else:
        dv = np.full_like(est, np.nan)
    n, _, n_eff = _counts(design, dom, n_dom, rows)
    extra = {extra_name: np.tile(labels, n_dom)} if extra_name else None
    table = _table(keys, _as_list(by), n_dom, K, {
        "variable": np.tile(names, n_dom) if len(names) == K else np.repeat(names, n_dom * K),
        "estimate": est.ravel(), "se": se.ravel(), "ci_low": lo.ravel(), "ci_high": hi.ravel(),
        "ci_level": level, "df": np.repeat(dfs, K), "deff": dv.ravel(),
        "n": np.repeat(n, K).astype(int), "n_eff": np.repeat(n_eff, K),
        "method": _method(design, "wald")}, extra)
    return table


def mean(design, variables: str | Sequence[str], *, by: str | Sequence[str] | None = None,
         na_rm: bool = False, level: float = 0.95, df=None, deff: bool | str = True,
         disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Weighted mean of numeric variables, overall or by domain (R ``svymean``/``svyby``).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    variables : str or list of str
        Numeric columns; each is estimated with its own missing values left out.
    by : str or list of str, optional
        Domain variables; one row per observed combination.
    na_rm : bool
        Leave out respondents with a missing value (R ``na.rm=TRUE``); without it a missing
        value among the respondents estimated raises :class:`~analysis.errors.DataError`.
    level : float
        Confidence level of the Wald interval.
    df : None, 'z', 'design', 'domain', 'domain_complete' or number
        Degrees of freedom of the interval; ``None`` gives R's ``confint`` default ``z``.
    deff : bool or 'replace'
        Design effect against simple random sampling without replacement (R ``deff=TRUE``),
        or with replacement (``'replace'``, R ``deff="replace"``), or none (``False``).
    disclosure : DisclosureRule or None
        Small-number rule behind ``suppressed`` (default: n < 50 or n_eff < 30).

    Returns
    -------
    pandas.DataFrame
        ``[by], variable, estimate, se, ci_low, ci_high, ci_level, df, deff, n, n_eff, method,
        suppressed, suppressed_reason``; ``n`` respondents with weight and a value,
        ``n_eff`` Kish's effective sample size.

    Notes
    -----
    The variance is the linearised variance of the ratio ``sum(w y) / sum(w)``.

    References
    ----------
    R survey 4.1-1 ``svymean``; validated against R in ``tests/reference/survey``.

    Examples
    --------
    >>> df = pd.DataFrame({"s": ["a"] * 4 + ["b"] * 4, "w": [2.0] * 4 + [5.0] * 4,
    ...                    "y": [1.0, 2, 3, 4, 2, 2, 3, 5]})
    >>> from analysis.survey import SurveyDesign
    >>> t = mean(SurveyDesign(df, strata="s", weights="w"), "y")
    >>> round(float(t.estimate.iloc[0]), 4), round(float(t.se.iloc[0]), 4)   # R: 2.8571, 0.5377
    (2.8571, 0.5377)
    """
    tables = []
    for name in _as_list(variables):
        x = _numeric(design, name)
        dom, _, _ = domain_codes(design, by)
        rows = _rows_ok(design, dom, np.isnan(x), name, na_rm)
        tables.append(_ratio_estimate(design, [name], np.nan_to_num(x)[:, None],
                                      np.ones(design.n_rows), rows, by=by, level=level, df=df,
                                      deff=deff, disclosure=disclosure, kind="mean"))
    return _finish(design, pd.concat(tables, ignore_index=True), _as_list(by), (), disclosure)


def total(design, variables: str | Sequence[str], *, by=None, na_rm: bool = False,
          level: float = 0.95, df=None, deff: bool | str = True,
          disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Weighted population total of numeric variables (R ``svytotal``); as :func:`mean`.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [10.0, 10, 20, 20], "y": [1.0, 0, 1, 1]})
    >>> from analysis.survey import SurveyDesign
    >>> float(total(SurveyDesign(df, weights="w"), "y", disclosure=None).estimate.iloc[0])
    50.0
    """
    tables = []
    for name in _as_list(variables):
        x = _numeric(design, name)
        dom, _, _ = domain_codes(design, by)
        rows = _rows_ok(design, dom, np.isnan(x), name, na_rm)
        tables.append(_ratio_estimate(design, [name], np.nan_to_num(x)[:, None], None, rows,
                                      by=by, level=level, df=df, deff=deff,
                                      disclosure=disclosure, kind="total"))
    return _finish(design, pd.concat(tables, ignore_index=True), _as_list(by), (), disclosure)


def ratio(design, numerator: str, denominator: str, *, by=None, na_rm: bool = False,
          level: float = 0.95, df=None, deff: bool | str = True,
          disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Ratio of two population totals, ``sum(w y) / sum(w x)`` (R ``svyratio``).

    ``variable`` reads ``"numerator/denominator"``; ``n`` counts respondents with both values.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0, 1, 2, 2], "y": [1.0, 2, 3, 4], "x": [2.0, 2, 4, 4]})
    >>> from analysis.survey import SurveyDesign
    >>> float(ratio(SurveyDesign(df, weights="w"), "y", "x", disclosure=None).estimate.iloc[0])
    0.85
    """
    y = _numeric(design, numerator)
    x = _numeric(design, denominator)
    dom, _, _ = domain_codes(design, by)
    rows = _rows_ok(design, dom, np.isnan(y) | np.isnan(x), f"{numerator}/{denominator}", na_rm)
    t = _ratio_estimate(design, [f"{numerator}/{denominator}"], np.nan_to_num(y)[:, None],
                        np.nan_to_num(x), rows, by=by, level=level, df=df, deff=deff,
                        disclosure=disclosure, kind="ratio")
    return _finish(design, t, _as_list(by), (), disclosure)


def proportion(design, variable: str, *, by=None, method: str = "logit", level: float = 0.95,
               df=None, na_rm: bool = False, levels: Sequence | None = None,
               kg_n: str = "r", deff: bool | str = True,
               disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Proportion in every level of a categorical variable, with ``svyciprop`` intervals.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    variable : str
        Categorical (or 0/1) column; one row per level and domain.
    method : {'logit', 'likelihood', 'beta', 'xlogit', 'asin', 'mean'}
        Interval as R ``svyciprop(method=)``; ``logit`` is R's default and stays inside [0, 1].
        ``beta`` is Korn-Graubard, ``mean`` the Wald interval.
    df : None, 'z', 'design', 'domain', 'domain_complete' or number
        ``None`` gives R's default ``degf(design)`` of each domain design, counting PSUs of
        respondents with a missing answer too (R computes it before ``na.rm``).
    levels : sequence, optional
        Levels to report (default: the categories, or the observed values sorted).
    kg_n : {'r', 'domain'}
        Sample size in Korn-Graubard's effective-size correction: ``'r'`` is R's
        ``nrow(design)`` (respondents of the domain including missing answers; every row of
        the design once it is calibrated), ``'domain'`` the respondents with an answer.

    Returns
    -------
    pandas.DataFrame
        The estimate contract with a ``level`` column after ``variable``; ``se`` is the
        standard error of the proportion whatever the interval method.

    References
    ----------
    Korn EL, Graubard BI (1998). Confidence intervals for proportions with small expected
    number of positive counts estimated from survey data. *Survey Methodology* 24:193-201.
    R survey 4.1-1 ``svyciprop``; validated in ``tests/reference/survey``.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0, 2, 1, 2, 1, 2], "y": ["ja", "nej", "ja", "ja", "nej", "ja"]})
    >>> from analysis.survey import SurveyDesign
    >>> t = proportion(SurveyDesign(df, weights="w"), "y", disclosure=None)
    >>> t[["level", "estimate"]].round(4).to_string(index=False)
    'level  estimate\\n   ja    0.6667\\n  nej    0.3333'
    """
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {', '.join(CI_METHODS)}; got {method!r}")
    if kg_n not in ("r", "domain"):
        raise ValueError("kg_n must be 'r' or 'domain'")
    col = design._column(variable)
    dom, n_dom, keys = domain_codes(design, by)
    missing = col.isna().to_numpy()
    rows = _rows_ok(design, dom, missing, variable, na_rm)
    lv = _levels_of(col, rows & (design._w != 0), levels)
    if not lv:
        raise DataError(f"variable '{variable}' has no answers among the respondents estimated")
    Y = np.column_stack([(col == v).fillna(False).to_numpy(dtype=bool) & rows for v in lv]).astype(float)
    K = len(lv)
    mom = design._ratio(dom, n_dom, Y, np.ones(design.n_rows), rows=rows)
    p, var = mom.estimate, mom.var
    all_rows = np.ones(design.n_rows, dtype=bool)
    dfs = _df(design, df, "domain", dom, n_dom, all_rows, rows)[:, None] * np.ones((1, K))
    var_logit = None
    if mom.replicates is not None and method in ("logit", "likelihood"):
        with np.errstate(divide="ignore", invalid="ignore"):
            b0 = np.log(p / (1 - p)).ravel()
            lr = glm_logit(mom.replicates.reshape(len(mom.replicates), -1), b0[None, :])
            var_logit = mom.rep_var(lr, b0).reshape(p.shape)
    n, sw, n_eff = _counts(design, dom, n_dom, rows)
    n_rows = (design._nrow_by(dom, n_dom, all_rows) if kg_n == "r" else n)[:, None] * np.ones((1, K))
    degf = design._df_by(dom, n_dom, all_rows)[:, None] * np.ones((1, K))
    profile = None
    if method == "likelihood":
        profile = _profile_inputs(design, dom, n_dom, Y, rows, mom)
        if var_logit is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                var_logit = var / (p * (1 - p)) ** 2
    lo, hi = proportion_ci(method, p, var, level, dfs, var_logit=var_logit, n_rows=n_rows,
                           degf=degf, n_resp=n[:, None] * np.ones((1, K)), profile=profile)
    dv = _deff(design, dom, n_dom, Y, rows, var, "mean", deff) if _check_deff(deff) else np.full_like(p, np.nan)
    table = _table(keys, _as_list(by), n_dom, K, {
        "variable": variable, "estimate": p.ravel(), "se": np.sqrt(var).ravel(),
        "ci_low": np.asarray(lo).ravel(), "ci_high": np.asarray(hi).ravel(), "ci_level": level,
        "df": dfs.ravel(), "deff": dv.ravel(), "n": np.repeat(n, K).astype(int),
        "n_eff": np.repeat(n_eff, K), "method": _method(design, method)},
        {"level": pd.array(np.tile([_label(v) for v in lv], n_dom), dtype="str")})
    return _finish(design, table, _as_list(by), ("level",), disclosure)


def _profile_inputs(design, dom, n_dom, Y, rows, mom):
    w = design._w
    K = mom.estimate.shape[1]
    held = (dom >= 0) & (w != 0)
    all_rows = np.ones(design.n_rows, dtype=bool)
    # svyglm rescales weights by their mean over the rows of the domain design it is given
    mean_w = np.bincount(dom[held], weights=w[held], minlength=n_dom) / design._nrow_by(dom, n_dom, all_rows)
    n_model = design._nrow_by(dom, n_dom, rows)
    sel = held & rows
    # the design svyglm keeps after dropping missing answers (all rows once calibrated)
    kept = design._nrow_by(dom, n_dom, all_rows if design.is_calibrated else rows)
    mean_w_model = np.bincount(dom[sel], weights=w[sel], minlength=n_dom) / kept
    n_pos = np.bincount(dom[sel], minlength=n_dom).astype(float)
    # glm's first IRLS step starts from mustart = (W y + 0.5) / (W + 1), row by row
    d = dom[sel]
    W = w[sel] / mean_w[d]
    A1, B1, D0 = (np.empty((n_dom, K)) for _ in range(3))
    for k in range(K):
        y = Y[sel, k]
        m = (W * y + 0.5) / (W + 1)
        v = m * (1 - m)
        z = np.log(m / (1 - m)) + (y - m) / v
        A1[:, k] = np.bincount(d, weights=W * v, minlength=n_dom)
        B1[:, k] = np.bincount(d, weights=W * v * z, minlength=n_dom)
        D0[:, k] = np.bincount(d, weights=-2 * W * (y * np.log(m) + (1 - y) * np.log1p(-m)), minlength=n_dom)

    def flat(a):
        return np.repeat(a, K)

    return ProfileInputs(mom.numerator.ravel(), mom.denominator.ravel(), flat(n_pos), flat(mean_w),
                         flat(n_model), design._variance_label != "taylor",
                         (A1.ravel(), B1.ravel(), D0.ravel()), flat(mean_w_model))
