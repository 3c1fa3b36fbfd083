"""Small-area estimates for parts of a kommun with few respondents: the Fay-Herriot model.

Direct estimates per area (from :mod:`analysis.survey.estimates`, with their design-based
variances ``psi_i``) are combined with area-level covariates through the model
``y_i = x_i'beta + v_i + e_i``, ``v_i ~ N(0, sigma2_v)``, ``e_i ~ N(0, psi_i)``. The EBLUP
shrinks each direct estimate towards the regression prediction by ``1 - gamma_i``,
``gamma_i = sigma2_v / (sigma2_v + psi_i)``; its MSE is the Prasad-Rao estimator. The result
shows shrinkage beside the direct estimates so that readers see how much each area borrowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from .disclosure import DisclosureRule, apply_rule

__all__ = ["fay_herriot", "FayHerriotResult", "FH_DISCLOSURE", "small_area_values",
           "FH_MIN_AREAS"]

#: Areas below 10 respondents are flagged even after borrowing strength.
FH_DISCLOSURE = DisclosureRule(min_n=10, min_n_eff=None)

#: Fewest areas with a direct estimate for which the area-effect variance is estimated at all.
#: With three or four areas REML puts sigma2_v at zero most of the time, every area gets the
#: same regression value and nothing is really borrowed (Storfors' three areas all got 14 %).
FH_MIN_AREAS = 5


@dataclass(frozen=True)
class FayHerriotResult:
    """A fitted Fay-Herriot model.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per area: ``area`` (the area column's name), ``variable``, ``estimate``
        (EBLUP), ``se`` (square root of the Prasad-Rao MSE), ``ci_low``, ``ci_high``,
        ``ci_level``, ``df``, ``deff``, ``n``, ``n_eff``, ``method``, ``suppressed``,
        ``suppressed_reason``, then ``direct_estimate``, ``direct_se``, ``synthetic``
        (``x'beta``), ``gamma`` (weight of the direct estimate), ``shrinkage`` (``1 - gamma``),
        ``mse_g1``, ``mse_g2``, ``mse_g3``, ``se_blup`` (``sqrt(g1 + g2)``, metafor's ``blup``
        standard error) and ``in_sample``.
    coefficients : pandas.DataFrame
        ``term, estimate, se, statistic, p_value``.
    sigma2_v, sigma2_v_se : float
        REML estimate of the area-effect variance and its asymptotic standard error.
    loglik : float
        Restricted log-likelihood at the estimate.
    iterations : int
    converged : bool
    """

    table: pd.DataFrame
    coefficients: pd.DataFrame
    sigma2_v: float
    sigma2_v_se: float
    loglik: float
    iterations: int
    converged: bool
    model: dict = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        ins = self.table[self.table["in_sample"]]
        lines = [f"Fay-Herriot area-level model (REML): {len(ins)} areas with direct estimates, "
                 f"{len(self.table) - len(ins)} predicted from covariates only",
                 f"  sigma2_v = {self.sigma2_v:.6g} (se {self.sigma2_v_se:.3g}); "
                 f"{'converged' if self.converged else 'NOT converged'} in {self.iterations} iterations",
                 f"  mean weight on direct estimates (gamma): {ins['gamma'].mean():.3f}; "
                 f"median gain in standard error: "
                 f"{float(np.nanmedian(1 - ins['se'] / ins['direct_se'])) * 100:.0f} %"]
        for _, r in self.coefficients.iterrows():
            lines.append(f"  {r['term']:>20}: {r['estimate']: .5g} (se {r['se']:.3g})")
        return "\n".join(lines)


def _reml(y, X, psi, tol=1e-12, max_iter=1000):
    """REML estimate of sigma2_v by Fisher scoring (truncated at zero)."""
    def parts(s2):
        vinv = 1.0 / (s2 + psi)
        XtV = X.T * vinv
        A = XtV @ X
        Ainv = np.linalg.inv(A)
        P = np.diag(vinv) - XtV.T @ Ainv @ XtV
        return P, Ainv, vinv

    n, p = X.shape
    # start from the moment estimator (metafor starts from Hedges'), then Fisher scoring
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    s2 = max(0.0, float(resid @ resid / max(n - p, 1) - psi.mean()))
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        P, _, _ = parts(s2)
        Py = P @ y
        score = -0.5 * np.trace(P) + 0.5 * Py @ Py
        info = 0.5 * np.sum(P * P)
        new = max(0.0, s2 + score / info)
        if abs(new - s2) <= tol * max(1.0, s2):
            s2 = new
            converged = True
            break
        s2 = new
    P, Ainv, vinv = parts(s2)
    info = 0.5 * np.sum(P * P)
    sign, logdet = np.linalg.slogdet(X.T @ (X * vinv[:, None]))
    loglik = -0.5 * ((n - p) * np.log(2 * np.pi) + np.sum(np.log(s2 + psi)) + logdet + y @ P @ y)
    return s2, Ainv, info, loglik, it, converged


def fay_herriot(direct: pd.DataFrame, *, area: str, estimate: str = "estimate", se: str = "se",
                covariates: Sequence[str] = (), auxiliary: pd.DataFrame | None = None,
                intercept: bool = True, level: float = 0.95, variable: str | None = None,
                n: str | None = "n", disclosure: DisclosureRule | None = FH_DISCLOSURE) -> FayHerriotResult:
    """Fit a Fay-Herriot model by REML and return EBLUPs with Prasad-Rao MSE.

    Parameters
    ----------
    direct : pandas.DataFrame
        One row per sampled area with the direct ``estimate`` and its design-based ``se``
        (e.g. a filtered output of :func:`~analysis.survey.estimates.proportion`).
    area : str
        Area column.
    covariates : sequence of str
        Area-level covariates (numeric), in ``direct`` or in ``auxiliary``.
    auxiliary : pandas.DataFrame, optional
        Covariates per area, including areas without a direct estimate (those get the
        synthetic prediction ``x'beta`` with MSE ``sigma2_v + x' V(beta) x``).
    n : str or None
        Column with respondents per area, for the disclosure rule.

    Returns
    -------
    FayHerriotResult

    Notes
    -----
    The sampling variances are treated as known. ``mse = g1 + g2 + 2 g3`` with
    ``g1 = gamma psi``, ``g2 = (1 - gamma)^2 x'V(beta)x``, ``g3 = psi^2 / (sigma2_v + psi)^3 *
    2 / sum (sigma2_v + psi)^-2`` (Prasad & Rao 1990; Datta & Lahiri 2000 for REML).

    References
    ----------
    Fay RE, Herriot RA (1979). *JASA* 74:269-277. Prasad NGN, Rao JNK (1990). *JASA*
    85:163-171. Validated against R ``metafor::rma(method="REML")`` and ``blup()``.

    Examples
    --------
    >>> d = pd.DataFrame({"area": list("abcdefgh"), "estimate": [0.12, 0.45, 0.2, 0.6, 0.25, 0.7, 0.33, 0.5],
    ...                   "se": [0.05, 0.08, 0.04, 0.1, 0.06, 0.12, 0.05, 0.09],
    ...                   "x": [1.0, 2, 1, 3, 2, 4, 2, 3], "n": 60})
    >>> r = fay_herriot(d, area="area", covariates=["x"])
    >>> r.table[["area", "estimate", "se", "direct_se", "shrinkage"]].head(3).round(3)
      area  estimate     se  direct_se  shrinkage
    0    a     0.152  0.053       0.05      0.786
    1    b     0.352  0.046       0.08      0.904
    2    c     0.172  0.053       0.04      0.701
    """
    covariates = list(covariates)
    for c in [area, estimate, se]:
        if c not in direct.columns:
            raise DataError(f"direct estimates lack column '{c}'")
    d = direct.copy()
    if auxiliary is not None:
        lost = set(d[area]) - set(auxiliary[area])
        if lost:
            raise DataError(f"area(s) {sorted(map(str, lost))[:5]} have direct estimates but no covariates")
        d = pd.merge(auxiliary[[area] + covariates], d.drop(columns=[c for c in covariates if c in d.columns]),
                     on=area, how="left")
    missing = [c for c in covariates if c not in d.columns]
    if missing:
        raise DataError(f"covariate(s) {missing} not found")
    if d[area].duplicated().any():
        raise DataError("one row per area expected in the direct estimates")
    X = d[covariates].to_numpy(dtype=float) if covariates else np.zeros((len(d), 0))
    if intercept:
        X = np.column_stack([np.ones(len(d)), X])
    if np.isnan(X).any():
        raise DataError("covariates have missing values")
    y_all = pd.to_numeric(d[estimate], errors="coerce").to_numpy(dtype=float)
    psi_all = pd.to_numeric(d[se], errors="coerce").to_numpy(dtype=float) ** 2
    ins = ~np.isnan(y_all) & ~np.isnan(psi_all)
    if ins.sum() <= X.shape[1]:
        raise DataError(f"{int(ins.sum())} areas with direct estimates: too few for {X.shape[1]} coefficients")
    if np.any(psi_all[ins] <= 0):
        raise DataError("every direct estimate needs a positive standard error (areas with "
                        "0 or 100 % have none: leave them out or use a variance model)")
    y, Xs, psi = y_all[ins], X[ins], psi_all[ins]
    s2, vb, info, loglik, it, converged = _reml(y, Xs, psi)
    vinv = 1 / (s2 + psi)
    beta = vb @ (Xs.T @ (vinv * y))
    synth = X @ beta
    xvx = np.einsum("ij,jk,ik->i", X, vb, X)
    gamma = np.where(ins, s2 / (s2 + np.where(ins, psi_all, 1.0)), 0.0)
    eblup = np.where(ins, gamma * np.nan_to_num(y_all) + (1 - gamma) * synth, synth)
    var_s2 = 2.0 / np.sum(vinv ** 2)
    with np.errstate(invalid="ignore"):
        g1 = np.where(ins, gamma * psi_all, s2)
        g2 = np.where(ins, (1 - gamma) ** 2 * xvx, xvx)
        g3 = np.where(ins, psi_all ** 2 / (s2 + psi_all) ** 3 * var_s2, 0.0)
    mse = g1 + g2 + 2 * g3
    q = stats.norm.ppf(1 - (1 - level) / 2)
    rmse = np.sqrt(mse)
    nn = d[n].to_numpy(dtype=float) if (n and n in d.columns) else np.full(len(d), np.nan)
    table = pd.DataFrame({
        area: d[area].to_numpy(), "variable": variable or estimate, "estimate": eblup, "se": rmse,
        "ci_low": eblup - q * rmse, "ci_high": eblup + q * rmse, "ci_level": level, "df": np.inf,
        "deff": np.nan, "n": pd.array(np.where(np.isnan(nn), 0, nn).astype(int)), "n_eff": np.nan,
        "method": "fay-herriot eblup (REML, Prasad-Rao mse)",
        "direct_estimate": y_all, "direct_se": np.sqrt(psi_all), "synthetic": synth, "gamma": gamma,
        "shrinkage": 1 - gamma, "mse_g1": g1, "mse_g2": g2, "mse_g3": g3, "se_blup": np.sqrt(g1 + g2),
        "in_sample": ins})
    table = apply_rule(table, disclosure) if disclosure is not None else table.assign(
        suppressed=False, suppressed_reason="")
    front = [area, "variable", "estimate", "se", "ci_low", "ci_high", "ci_level", "df", "deff", "n",
             "n_eff", "method", "suppressed", "suppressed_reason"]
    table = table[front + [c for c in table.columns if c not in front]]
    names = (["(Intercept)"] if intercept else []) + covariates
    bse = np.sqrt(np.diag(vb))
    coef = pd.DataFrame({"term": names, "estimate": beta, "se": bse, "statistic": beta / bse,
                         "p_value": 2 * stats.norm.sf(np.abs(beta / bse))})
    return FayHerriotResult(table, coef, float(s2), float(np.sqrt(1 / info)), float(loglik), it,
                            converged, {"vb": vb, "X": X})


def small_area_values(direct: pd.DataFrame, *, area: str, estimate: str = "estimate",
                      se: str = "se", ci_low: str = "ci_low", ci_high: str = "ci_high",
                      n: str = "n", suppressed: str = "suppressed",
                      min_areas: int = FH_MIN_AREAS, level: float = 0.95,
                      **fh_kwargs) -> pd.DataFrame:
    """Which value to show for each small area: the model's, the direct one, or none.

    The Fay-Herriot model is fitted only with at least ``min_areas`` areas that have a direct
    estimate; its EBLUP is shown only where its MSE is below the direct estimate's sampling
    variance (otherwise borrowing would not make the area's value more precise, and the
    direct estimate is shown). A suppressed direct estimate (too few respondents) is never
    replaced by a model value a reader would take as measured: the area shows nothing.

    Parameters
    ----------
    direct : pandas.DataFrame
        One row per area: estimate-contract columns of the direct estimates (``estimate``,
        ``se``, ``ci_low``, ``ci_high``, ``n``, ``suppressed``).
    area : str
        Area column.
    min_areas : int, default :data:`FH_MIN_AREAS`
        Fewest areas with a direct estimate for a model fit.
    **fh_kwargs
        Passed to :func:`fay_herriot` (e.g. ``covariates``, ``auxiliary``).

    Returns
    -------
    pandas.DataFrame
        One row per area: ``area``, ``shown`` ("modell", "direkt" or "ingen"), ``estimate``,
        ``ci_low``, ``ci_high`` (of the value shown; NaN when none), ``ci_level``,
        ``borrowed`` (share of the shown value that comes from the model, ``1 - gamma``; 0 for
        a direct value), ``direct_estimate``, ``direct_ci_low``, ``direct_ci_high``,
        ``direct_se``, ``model_estimate``, ``model_se`` (NaN without a fit), ``gamma``, ``n``,
        ``suppressed``, ``fitted`` (whether a model was fitted at all), ``reason``.

    Examples
    --------
    >>> d = pd.DataFrame({"area": list("abc"), "estimate": [0.19, 0.16, 0.13],
    ...                   "se": [0.07, 0.05, 0.03], "ci_low": [0.09, 0.09, 0.09],
    ...                   "ci_high": [0.36, 0.28, 0.19], "n": [43, 58, 148],
    ...                   "suppressed": [True, False, False]})
    >>> small_area_values(d, area="area")[["area", "shown", "estimate", "borrowed"]]
      area   shown  estimate  borrowed
    0    a    ingen       NaN       NaN
    1    b  direkt      0.16       0.0
    2    c  direkt      0.13       0.0
    """
    for c in (area, estimate, se, ci_low, ci_high, suppressed):
        if c not in direct.columns:
            raise DataError(f"direct estimates lack column '{c}'")
    if min_areas < 3:
        raise ValueError(f"min_areas must be at least 3 (an intercept and a variance), got {min_areas}")
    d = direct.reset_index(drop=True)
    hidden = d[suppressed].fillna(False).astype(bool).to_numpy()
    y = pd.to_numeric(d[estimate], errors="coerce").to_numpy(float)
    v = pd.to_numeric(d[se], errors="coerce").to_numpy(float) ** 2
    usable = np.isfinite(y) & np.isfinite(v) & (v > 0)
    model_est = np.full(len(d), np.nan)
    model_se = np.full(len(d), np.nan)
    gamma = np.full(len(d), np.nan)
    fitted = int(usable.sum()) >= min_areas
    if fitted:
        fh = fay_herriot(d.loc[usable], area=area, estimate=estimate, se=se, level=level,
                         n=n if n in d.columns else None, **fh_kwargs)
        t = fh.table.set_index(area)
        keys = d.loc[usable, area]
        model_est[usable] = t.loc[keys, "estimate"].to_numpy(float)
        model_se[usable] = t.loc[keys, "se"].to_numpy(float)
        gamma[usable] = t.loc[keys, "gamma"].to_numpy(float)
    use_model = fitted & usable & ~hidden & (model_se ** 2 < v)
    use_direct = ~hidden & ~use_model & np.isfinite(y)
    q = stats.norm.ppf(1 - (1 - level) / 2)
    shown = np.where(use_model, "modell", np.where(use_direct, "direkt", "ingen"))
    est = np.where(use_model, model_est, np.where(use_direct, y, np.nan))
    lo = np.where(use_model, model_est - q * model_se,
                  np.where(use_direct, d[ci_low].to_numpy(float), np.nan))
    hi = np.where(use_model, model_est + q * model_se,
                  np.where(use_direct, d[ci_high].to_numpy(float), np.nan))
    reason = np.where(hidden, "för få svarande: redovisas inte",
                      np.where(use_model, "modellen ger ett säkrare värde än områdets egna svar",
                               np.where(~np.asarray([fitted] * len(d)),
                                        f"för få områden (färre än {min_areas}) för en modell",
                                        "modellen ger inget säkrare värde")))
    return pd.DataFrame({
        area: d[area].to_numpy(), "shown": shown, "estimate": est, "ci_low": lo, "ci_high": hi,
        "ci_level": level, "borrowed": np.where(use_model, 1 - gamma, np.where(use_direct, 0.0, np.nan)),
        "direct_estimate": np.where(hidden, np.nan, y),
        "direct_ci_low": np.where(hidden, np.nan, d[ci_low].to_numpy(float)),
        "direct_ci_high": np.where(hidden, np.nan, d[ci_high].to_numpy(float)),
        "direct_se": np.where(hidden, np.nan, np.sqrt(v)),
        "model_estimate": np.where(hidden, np.nan, model_est),
        "model_se": np.where(hidden, np.nan, model_se), "gamma": np.where(hidden, np.nan, gamma),
        "n": d[n].to_numpy() if n in d.columns else np.nan, "suppressed": hidden,
        "fitted": fitted, "reason": reason})
