"""Design-based regression (R ``svyglm``) and Wald tests of its terms (R ``regTermTest``).

:func:`svyglm` fits a generalised linear model by weighted maximum likelihood (R's ``glm.fit``
with the sampling weights) and estimates the covariance of the coefficients from the design:
the influence values ``x (y - mu) w_working / mu_eta (X'WX)^-1`` go through the same Taylor
linearisation as every other estimator (strata, clusters, fpc, calibration residuals), or the
model is refitted on every replicate of a replicate design. Only coefficients, their covariance
and tests leave the package. Next in the flow: :mod:`analysis.survey.effects`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, ProblemCollector
from ._engine import linearized_variance
from ._glmfit import FAMILIES, glm_fit
from ._model import expand_terms, model_matrix_blocks
from ._rmath import qcrit

__all__ = ["svyglm", "GlmResult", "reg_term_test", "WaldTest", "FAMILIES"]


def _parse(formula: str) -> tuple[str, list[str], bool]:
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ValueError(f"formula must read 'response ~ term + term', e.g. 'y ~ x + group'; got {formula!r}")
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if not lhs:
        raise ValueError(f"formula {formula!r} has no response")
    parts = [t.strip() for t in rhs.split("+") if t.strip()]
    intercept = not any(t in ("0", "-1") for t in parts)
    terms = [t for t in parts if t not in ("0", "-1", "1")]
    for t in terms:
        if "-" in t or "(" in t:
            raise ValueError(f"term {t!r}: only column names, 'a:b' and 'a*b' are supported "
                             "(derive other variables with design.with_columns first)")
    return lhs, expand_terms(terms) if terms else [], intercept


@dataclass(frozen=True)
class GlmResult:
    """A fitted design-based GLM: coefficients, their design-based covariance and tests.

    ``table`` has one row per coefficient: ``term, estimate, se, statistic, p_value, ci_low,
    ci_high, ci_level, df`` (t statistic and interval with ``df_residual`` degrees of freedom,
    as R's ``summary.svyglm`` and ``confint.svyglm``).
    """

    formula: str
    family: str
    coefficients: pd.Series
    cov: pd.DataFrame
    df_residual: float
    n: int
    method: str
    converged: bool
    iterations: int
    level: float = 0.95
    assign: Mapping[str, list] = field(default_factory=dict, repr=False)
    naive_cov: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def table(self) -> pd.DataFrame:
        est = self.coefficients.to_numpy()
        se = np.sqrt(np.diag(self.cov.to_numpy()))
        lo, hi = self._ci(est, se, self.level)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = est / se
        p = _p_two_sided(t, self.df_residual)
        return pd.DataFrame({"term": self.coefficients.index, "estimate": est, "se": se, "statistic": t,
                             "p_value": p, "ci_low": lo, "ci_high": hi, "ci_level": self.level,
                             "df": self.df_residual})

    def _ci(self, est, se, level):
        if not self.df_residual > 0:
            return np.full_like(est, np.nan), np.full_like(est, np.nan)
        q = qcrit(1 - (1 - level) / 2, self.df_residual)
        return est - q * se, est + q * se

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Wald intervals with ``df_residual`` degrees of freedom (R ``confint.svyglm``)."""
        level = self.level if level is None else level
        est = self.coefficients.to_numpy()
        lo, hi = self._ci(est, np.sqrt(np.diag(self.cov.to_numpy())), level)
        return pd.DataFrame({"ci_low": lo, "ci_high": hi}, index=self.coefficients.index)

    def contrast(self, weights: Mapping[str, float], *, level: float | None = None, df: float | None = None,
                 name: str | None = None) -> pd.DataFrame:
        """A linear combination ``sum_j c_j beta_j`` with its standard error (R ``svycontrast``).

        The interval and test use ``df`` (default ``df_residual``); one row:
        ``contrast, estimate, se, statistic, p_value, ci_low, ci_high, ci_level, df``.
        """
        unknown = [k for k in weights if k not in self.coefficients.index]
        if unknown:
            raise DataError(f"contrast names unknown coefficient(s) {unknown}; "
                            f"coefficients are {list(self.coefficients.index)}")
        c = np.array([float(weights.get(k, 0.0)) for k in self.coefficients.index])
        level = self.level if level is None else level
        df = self.df_residual if df is None else float(df)
        est = float(c @ self.coefficients.to_numpy())
        se = float(np.sqrt(c @ self.cov.to_numpy() @ c))
        q = qcrit(1 - (1 - level) / 2, df) if df > 0 else np.nan
        t = est / se if se > 0 else np.nan
        label = name or " ".join(f"{'+' if v > 0 else '-'}{abs(v):g}*{k}" for k, v in weights.items() if v)
        return pd.DataFrame({"contrast": [label.lstrip("+")], "estimate": [est], "se": [se],
                             "statistic": [t], "p_value": [float(_p_two_sided(np.array(t), df))],
                             "ci_low": [est - q * se], "ci_high": [est + q * se], "ci_level": [level],
                             "df": [df]})

    def summary(self) -> str:
        lines = [f"Design-based GLM ({self.family}, {self.method}): {self.formula}",
                 f"  {self.n} respondents, residual df {self.df_residual:g}"
                 + ("" if self.converged else "; IRLS did NOT converge")]
        t = self.table
        for _, r in t.iterrows():
            lines.append(f"  {r.term:<28} {r.estimate: .6g}  se {r.se:.4g}  t {r.statistic: .3f}  p {r.p_value:.4g}")
        return "\n".join(lines)


def _p_two_sided(t, df):
    t = np.asarray(t, dtype=float)
    if np.isinf(df):
        return 2 * stats.norm.sf(np.abs(t))
    if not df > 0:
        return np.full_like(t, np.nan)
    return 2 * stats.t.sf(np.abs(t), df)


def _model_rows(design, response, terms):
    """Held rows with every model variable present (R's ``na.omit``) and the missing mask."""
    names = [response] + sorted({v for t in terms for v in t.split(":")})
    data = design._data
    for v in names:
        if v not in data.columns:
            raise DataError(f"svyglm: column '{v}' not found (columns: {', '.join(map(str, data.columns[:25]))})")
    missing = np.zeros(design.n_rows, dtype=bool)
    for v in names:
        missing |= data[v].isna().to_numpy()
    held = np.asarray(design._present)
    return held & ~missing, held & missing


def _check_response(y, family, rows, name):
    pc = ProblemCollector()
    if family in ("binomial", "quasibinomial"):
        bad = rows & ((y < 0) | (y > 1))
        expected = "a value between 0 and 1 (a 0/1 indicator or a share)"
    elif family in ("poisson", "quasipoisson"):
        bad = rows & (y < 0)
        expected = "a count >= 0"
    else:
        bad = np.zeros_like(rows)
        expected = ""
    for i in np.flatnonzero(bad)[:20]:
        pc.add(f"response out of range for family {family}", row=int(i) + 2, column=name,
               value=y[i], expected=expected)
    pc.raise_if_any()


def svyglm(design, formula: str, *, family: str = "gaussian", na_rm: bool = False,
           level: float = 0.95, maxit: int = 25, epsilon: float = 1e-8) -> GlmResult:
    """Fit a generalised linear model to survey data with design-based standard errors.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
        Any design: weights, strata, clusters, fpc, calibrated, subsets, replicate weights.
    formula : str
        ``"response ~ terms"``: column names (numeric columns enter as they are, others as
        treatment-coded factors with the first sorted level as reference, as R), ``a:b`` and
        ``a*b``; ``+ 0`` drops the intercept. Coefficients are named as R names them
        (``"stypeH"``, ``"x:groupb"``).
    family : {'gaussian', 'binomial', 'quasibinomial', 'poisson', 'quasipoisson'}
        Identity link for gaussian, logit for the binomial families, log for the Poisson
        families. Binomial and quasi-binomial give the same fit (the design-based variance
        does not use the dispersion).
    na_rm : bool
        Leave out respondents with a missing value in any model variable (R's ``na.omit``);
        without it a missing value raises :class:`~analysis.errors.DataError`.
    level : float
        Level of the intervals in ``table``.
    maxit, epsilon : int, float
        R's ``glm.control``.

    Returns
    -------
    GlmResult
        ``coefficients``, ``cov`` (design-based), ``df_residual`` (``degf(design) + 1 - p``),
        ``table`` (``term, estimate, se, statistic, p_value, ci_low, ci_high, ci_level, df``),
        ``contrast()``, ``conf_int()``, ``summary()``; :func:`reg_term_test` tests terms.

    Notes
    -----
    The fit is R's ``glm.fit`` with the weights rescaled to mean 1 (``rescale=TRUE``). Taylor
    designs: the influence values ``X * (y - mu) / mu_eta * W (X'WX)^-1`` (W: the working
    weights) go through ``svyrecvar`` with calibration residuals. Replicate designs: the model
    is refitted with every replicate's weights from the full-sample coefficients and the
    variance is the replicate variance (R ``svyglm.svyrep.design``).

    References
    ----------
    Binder DA (1983). On the variances of asymptotically normal estimators from complex
    surveys. *Int Stat Rev* 51:279-292. R survey 4.1-1 ``svyglm``, ``svy.varcoef``; validated
    in ``tests/reference/survey/make_reference_glm.R``.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> df = pd.DataFrame({"s": ["a"] * 4 + ["b"] * 4, "w": [2.0] * 4 + [5.0] * 4,
    ...                    "x": [1.0, 2, 3, 4, 1, 2, 3, 4], "y": [1.1, 2.3, 2.8, 4.2, 2, 2.5, 3.9, 5.1]})
    >>> fit = svyglm(SurveyDesign(df, strata="s", weights="w"), "y ~ x")
    >>> fit.coefficients.round(4).tolist()
    [0.5429, 1.0443]
    >>> round(float(fit.table.se.iloc[1]), 4)   # R: SE(svyglm(y ~ x, d))["x"]
    0.1595
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {family!r}")
    fam = FAMILIES[family]
    response, terms, intercept = _parse(formula)
    rows, miss = _model_rows(design, response, terms)
    if miss.any() and not na_rm:
        i = int(np.flatnonzero(miss)[0])
        raise DataError(f"svyglm: {int(miss.sum())} respondent(s) have a missing value in the model "
                        f"variables (first: row {i + 2}); pass na_rm=True to leave them out (R na.omit)")
    idx = np.flatnonzero(rows)
    if idx.size == 0:
        raise DataError("svyglm: no respondent has every model variable")
    data = design._data.iloc[idx]
    mm, assign = model_matrix_blocks(data, terms, intercept=intercept, what="model variable")
    if mm.shape[1] == 0:
        raise ValueError("the model has no coefficients")
    y_all = pd.to_numeric(design._data[response], errors="coerce").to_numpy(dtype=float)
    if np.isnan(y_all[idx]).any():
        raise DataError(f"svyglm: response '{response}' must be numeric (a 0/1 indicator for the binomial families)")
    _check_response(y_all, family, rows, response)
    X, y = mm.to_numpy(dtype=float), y_all[idx]
    w_all = np.asarray(design._w, dtype=float)
    held = np.asarray(design._present)
    pw = w_all[idx] / np.mean(w_all[held])  # svyglm(rescale=TRUE): weights / mean over the design
    used = pw > 0
    rank = np.linalg.matrix_rank(X[used]) if used.any() else 0
    if rank < X.shape[1]:
        raise DataError(f"svyglm: the model matrix has rank {rank} < {X.shape[1]} coefficients among "
                        "respondents with weight (a level without respondents, or collinear terms); "
                        f"columns: {', '.join(mm.columns)}")
    fit = glm_fit(X, y, pw, fam, maxit=maxit, epsilon=epsilon)
    names = list(mm.columns)
    if hasattr(design, "_stages"):
        resid_working = (y - fit.mu) / fam.mu_eta(fit.eta)
        Z = np.zeros((design.n_rows, X.shape[1]))
        Z[idx] = (X * (resid_working * fit.working_w)[:, None]) @ fit.xtwx_inv
        dom = np.where(rows & (w_all != 0), 0, -1)
        _, cov = linearized_variance(design, dom, 1, Z, present_rows=design._present_rows(dom, rows),
                                     covariance=True)
        degf = design._df_by(np.zeros(design.n_rows, dtype=np.int64), 1, rows)[0]
        method = "taylor"
    else:
        Wr = design._analysis(idx)
        betas = np.empty((Wr.shape[1], X.shape[1]))
        for r in range(Wr.shape[1]):
            wi = Wr[:, r]
            betas[r] = glm_fit(X, y, wi / np.sum(wi), fam, start=fit.coef, maxit=maxit, epsilon=epsilon).coef
        cov = design._rep_cov(betas, fit.coef)
        degf = float(design.degf)
        method = design._variance_label
    n = int(np.count_nonzero(rows & (w_all != 0)))
    return GlmResult(formula=formula, family=family, coefficients=pd.Series(fit.coef, index=names),
                     cov=pd.DataFrame(cov, index=names, columns=names),
                     df_residual=float(degf + 1 - len(names)), n=n, method=method,
                     converged=fit.converged, iterations=fit.iterations, level=level,
                     assign={k: list(v) for k, v in assign.items()},
                     naive_cov=pd.DataFrame(fit.xtwx_inv, index=names, columns=names))


@dataclass(frozen=True)
class WaldTest:
    """Wald test that the coefficients of some terms are all zero (R ``regTermTest``)."""

    terms: tuple
    statistic: float     # F = chisq / ndf (or chisq when ddf is infinite)
    chisq: float
    ndf: int
    ddf: float
    p_value: float
    method: str

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"terms": [" + ".join(self.terms)], "statistic": [self.statistic],
                             "chisq": [self.chisq], "ndf": [self.ndf], "ddf": [self.ddf],
                             "p_value": [self.p_value], "method": [self.method]})

    def summary(self) -> str:
        if np.isfinite(self.ddf):
            return (f"Wald test for {' + '.join(self.terms)}: F = {self.statistic:.4f} on {self.ndf} "
                    f"and {self.ddf:g} df, p = {self.p_value:.4g}")
        return f"Wald test for {' + '.join(self.terms)}: Chisq = {self.chisq:.4f} on {self.ndf} df, p = {self.p_value:.4g}"


def reg_term_test(result: GlmResult, terms: str | Sequence[str], *, null: Sequence[float] | None = None,
                  df: float | None = None) -> WaldTest:
    """Wald test of model terms (every coefficient of the terms zero, or ``null``).

    Parameters
    ----------
    result : GlmResult
        A fit of :func:`svyglm`.
    terms : str or list of str
        Terms as written in the formula (``"stype"``, ``"a:b"``; ``"a*b"`` expands).
    null : sequence of float, optional
        Values of the coefficients under the null hypothesis (default 0).
    df : float, optional
        Denominator degrees of freedom (default ``df_residual``); ``inf`` gives the chi-square
        test.

    Returns
    -------
    WaldTest
        ``statistic`` (F = chisq / ndf, or chisq), ``chisq``, ``ndf``, ``ddf``, ``p_value``.

    References
    ----------
    R survey 4.1-1 ``regTermTest(method="Wald")``; validated in
    ``tests/reference/survey/make_reference_glm.R``.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> df = pd.DataFrame({"g": list("abc") * 4, "w": 1.0, "y": [1.0, 2, 3, 1, 3, 2, 2, 2, 4, 0, 1, 3]})
    >>> fit = svyglm(SurveyDesign(df, weights="w"), "y ~ g")
    >>> t = reg_term_test(fit, "g")
    >>> t.ndf, t.ddf
    (2, 9.0)
    """
    wanted = expand_terms(terms)
    unknown = [t for t in wanted if t not in result.assign]
    if unknown:
        raise DataError(f"term(s) {unknown} not in the model; terms are {list(result.assign)}")
    cols = [c for t in result.assign if t in wanted for c in result.assign[t]]
    index = [list(result.coefficients.index).index(c) for c in cols]
    beta = result.coefficients.to_numpy()[index]
    if null is not None:
        beta = beta - np.asarray(null, dtype=float)
    V = result.cov.to_numpy()[np.ix_(index, index)]
    chisq = float(beta @ np.linalg.solve(V, beta))
    ddf = result.df_residual if df is None else float(df)
    k = len(index)
    if np.isfinite(ddf):
        F = chisq / k
        p = float(stats.f.sf(F, k, ddf))
        return WaldTest(tuple(wanted), F, chisq, k, ddf, p, "Wald (F)")
    return WaldTest(tuple(wanted), chisq, chisq, k, np.inf, float(stats.chi2.sf(chisq, k)), "Wald (chi-square)")
