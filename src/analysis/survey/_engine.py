"""Vectorised Taylor linearisation: R's ``svyrecvar`` as one pass of grouped sums.

For every domain and statistic the influence values are summed per (stratum, PSU, domain),
then per stratum: ``V = sum_h scale_h * (sum_i T_hi^2 - (sum_i T_hi)^2 / n_h)``. Calibration
(post-stratification, raking, GREG) replaces the influence values by residuals
``x - Phi @ Gamma``; ``Phi`` is fixed by the design, so ``Gamma`` is solved on small matrices
and the residual sums are expanded algebraically instead of being materialised per domain.
Used by :mod:`analysis.survey.design` and the estimators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ._calblocks import CalBlock, CalChain, gamma, unit_phi

__all__ = ["CalBlock", "CalChain", "ratio_taylor", "linearized_variance"]


def _stage_cal(design, stage):
    """Per-stage unit totals of Phi (dense and sparse) and their per-stratum sums (cached).

    Phi has one column per calibration cell (hundreds for a design calibrated per kommun and
    year) and a few non-zeros per unit, so the per-stratum cross-products Phi_s' Phi_s are
    never formed: the variance needs them only as ``sum_i (Phi_i Gamma)^2`` per stratum and
    as ``Phi' C Phi``, which the sparse matrix gives directly.
    """
    key = ("cal", stage.number, id(design._cal))
    if key in design._cache:
        return design._cache[key]
    P = unit_phi(design._cal, stage)
    S, U = len(stage.n_units), P.shape[0]
    H = sp.csr_matrix((np.ones(U), (stage.unit_stratum, np.arange(U))), shape=(S, U))
    Ps = sp.csr_matrix(P)
    SP = np.asarray((H @ Ps).todense())
    design._cache[key] = (P, Ps, H, SP)
    return P, Ps, H, SP


def _presence(design, stage, dom, n_dom, present_rows):
    """Units of each stratum held by each domain's R design object, shape (S, D)."""
    S = len(stage.n_units)
    if present_rows is None:
        units = np.unique(stage.unit[design._present])
        per = np.bincount(stage.unit_stratum[units], minlength=S)
        return np.repeat(per[:, None], n_dom, axis=1)
    rows = np.flatnonzero(present_rows)
    pairs = pd.unique(stage.unit[rows] * n_dom + dom[rows])
    s = stage.unit_stratum[pairs // n_dom]
    return np.bincount(s * n_dom + pairs % n_dom, minlength=S * n_dom).reshape(S, n_dom)


def _lonely_terms(design, stage, dom, n_dom, present_rows):
    """Centring flags e (S, D) and 'average' multipliers (S, D) of R's onestrat/onestage."""
    opt = design._options
    n_units = stage.n_units
    lonely = (n_units == 1) & ~stage.f_zero
    if not lonely.any() and not opt.adjust_domain_lonely:
        return None, None, None
    nsub = _presence(design, stage, dom, n_dom, present_rows)
    visited = nsub >= 1
    if opt.lonely_psu == "fail" and (lonely[:, None] & visited).any():
        s = int(np.flatnonzero((lonely[:, None] & visited).any(axis=1))[0])
        raise DataError(f"Stratum ({stage.labels[s]}) has only one PSU at stage {stage.number}; "
                        "choose SurveyOptions(lonely_psu='adjust', 'average', 'remove' or "
                        "'certainty') or merge the stratum with a neighbour")
    dom_lonely = opt.adjust_domain_lonely & (nsub == 1) & (n_units > 1)[:, None]
    no_center = (opt.lonely_psu == "adjust") & (nsub <= 1) & \
        ((n_units == 1)[:, None] | opt.adjust_domain_lonely)
    e = np.where(no_center, 0.0, 1.0)
    mult = np.ones_like(e)
    nan_cols = np.zeros(n_dom, dtype=bool)
    if opt.lonely_psu == "average":
        na = visited & ~stage.f_zero[:, None] & (lonely[:, None] | dom_lonely)
        n_groups = int(stage.group.max()) + 1
        gkey = (stage.group[:, None] * n_dom + np.arange(n_dom)[None, :]).ravel()
        nstrat = np.bincount(gkey, weights=visited.ravel(), minlength=n_groups * n_dom)
        nbad = np.bincount(gkey, weights=na.ravel(), minlength=n_groups * n_dom)
        nok = nstrat - nbad
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(nok > 0, nstrat / np.where(nok > 0, nok, 1), np.nan)
        mult = ratio[gkey].reshape(e.shape)
        nan_cols = np.isnan(mult).any(axis=0) & visited.any(axis=0)
        mult = np.where(na, 0.0, np.nan_to_num(mult, nan=1.0))
    return e, mult, nan_cols


def _pair_sums(stage, sel, dom, n_dom, Z):
    """Unit x domain totals of the influence values: the one grouped pass over the rows."""
    if stage.units_are_rows:  # every respondent is a PSU: the rows are the unit totals
        return Z[sel], sel, dom[sel]
    key = stage.unit[sel] * n_dom + dom[sel]
    codes, uniq = pd.factorize(key)
    K = Z.shape[1]
    A = np.empty((len(uniq), K))
    Zs = Z[sel]
    for k in range(K):
        A[:, k] = np.bincount(codes, weights=Zs[:, k], minlength=len(uniq))
    return A, uniq // n_dom, uniq % n_dom


def _stage_diag(design, stage, sel, dom, n_dom, Z, Gamma, present_rows):
    K = Z.shape[1]
    S = len(stage.n_units)
    A, pu, pdm = _pair_sums(stage, sel, dom, n_dom, Z)
    ps = stage.unit_stratum[pu]
    sk = ps * n_dom + pdm
    SS = np.empty((S, n_dom, K))
    S1 = np.empty((S, n_dom, K))
    for k in range(K):
        SS[:, :, k] = np.bincount(sk, weights=A[:, k] ** 2, minlength=S * n_dom).reshape(S, n_dom)
        S1[:, :, k] = np.bincount(sk, weights=A[:, k], minlength=S * n_dom).reshape(S, n_dom)
    if Gamma is not None:
        P, Ps, H, SP = _stage_cal(design, stage)
        Q, U = P.shape[1], P.shape[0]
        Gam = Gamma.reshape(Q, n_dom, K)
        # the calibration part of each unit's influence value, per domain and statistic
        PG = np.asarray(Ps @ Gamma.reshape(Q, n_dom * K)).reshape(U, n_dom, K)
        cross = A * PG[pu, pdm, :]  # the residual's cross term, per (unit, domain) pair
        for k in range(K):
            SS[:, :, k] -= 2.0 * np.bincount(sk, weights=cross[:, k],
                                             minlength=S * n_dom).reshape(S, n_dom)
        SS += np.asarray(H @ (PG ** 2).reshape(U, n_dom * K)).reshape(S, n_dom, K)
        S1 -= np.einsum("sq,qdk->sdk", SP, Gam)
    e, mult, nan_cols = _lonely_terms(design, stage, dom, n_dom, present_rows)
    scale = stage.scale[:, None, None]
    n_units = stage.n_units[:, None, None].astype(float)
    if e is None:
        contrib = scale * (SS - S1 ** 2 / n_units)
    else:
        contrib = scale * mult[:, :, None] * (SS - e[:, :, None] * S1 ** 2 / n_units)
    var = contrib.sum(axis=0)
    if nan_cols is not None and nan_cols.any():
        var[nan_cols, :] = np.nan
    return var.reshape(n_dom * K)


def _stage_cov(design, stage, sel, dom, n_dom, Z, Gamma):
    """Full covariance across all domain columns (R ``svyby(covmat=TRUE)`` semantics)."""
    K = Z.shape[1]
    m = n_dom * K
    S = len(stage.n_units)
    U = len(stage.unit_stratum)
    A, pu, pdm = _pair_sums(stage, sel, dom, n_dom, Z)
    cols = (pdm[:, None] * K + np.arange(K)[None, :]).ravel()
    Am = sp.csr_matrix((A.ravel(), (np.repeat(pu, K), cols)), shape=(U, m))
    e, mult, nan_cols = _lonely_terms(design, stage, np.zeros(design.n_rows, dtype=np.int64), 1, None)
    e_s = np.ones(S) if e is None else e[:, 0]
    mult_s = np.ones(S) if mult is None else mult[:, 0]
    c_unit = (stage.scale * mult_s)[stage.unit_stratum]
    CA = sp.diags(c_unit) @ Am
    cov = np.asarray((Am.T @ CA).todense())
    Hs = sp.csr_matrix((np.ones(U), (stage.unit_stratum, np.arange(U))), shape=(S, U))
    Stot = np.asarray((Hs @ Am).todense())
    if Gamma is not None:
        P, Ps, H, SP = _stage_cal(design, stage)
        APC = np.asarray((CA.T @ Ps).todense())            # (m, Q)
        cross = APC @ Gamma
        PCP = np.asarray((Ps.T @ (sp.diags(c_unit) @ Ps)).todense())
        cov += -cross - cross.T + Gamma.T @ PCP @ Gamma
        Stot = Stot - SP @ Gamma
    E = stage.scale * mult_s * e_s / stage.n_units
    cov -= Stot.T @ (E[:, None] * Stot)
    if nan_cols is not None and nan_cols.any():
        cov[:] = np.nan
    return cov


def linearized_variance(design, dom, n_dom, Z, *, present_rows=None, covariance=False):
    """Variances (and optionally the covariance matrix) of domain statistics.

    Parameters
    ----------
    design : SurveyDesign
    dom : ndarray of int, shape (n,)
        Domain of each row; ``-1`` for rows that contribute nothing.
    n_dom : int
    Z : ndarray, shape (n, K)
        Influence values (already weighted) of K statistics per domain.
    present_rows : ndarray of bool, optional
        Rows each domain's R design object holds (``None``: all rows, calibrated designs).

    Returns
    -------
    var : ndarray, shape (n_dom*K,)  (column ``d*K + k``)
    cov : ndarray, shape (n_dom*K, n_dom*K) or None
    """
    sel = np.flatnonzero(dom >= 0)
    Gamma = None
    if design._cal is not None:
        Gamma = gamma(design._cal, sel, dom, n_dom, Z)
    var = np.zeros(n_dom * Z.shape[1])
    cov = np.zeros((var.size, var.size)) if covariance else None
    for stage in design._stages:
        var += _stage_diag(design, stage, sel, dom, n_dom, Z, Gamma, present_rows)
        if covariance:
            cov += _stage_cov(design, stage, sel, dom, n_dom, Z, Gamma)
    # sum of squares minus squared sum can round below zero when the variance is ~0 (a total
    # the weights were calibrated to); R's centred cross-product cannot
    return np.maximum(var, 0.0), cov


@dataclass(frozen=True)
class RatioMoments:
    """Ratio-of-totals estimates per domain column with their sampling variance."""

    estimate: np.ndarray          # (D, K)
    var: np.ndarray               # (D, K)
    cov: np.ndarray | None        # (D*K, D*K)
    numerator: np.ndarray         # weighted totals (D, K)
    denominator: np.ndarray       # (D, K) (ones for totals)
    replicates: np.ndarray | None = None   # (R, D, K) replicate estimates, replicate designs
    rep_var: object = None        # callable(reps (R, m), centre (m,)) -> var (m,)


def _weighted_totals(dom, n_dom, w, values):
    sel = dom >= 0
    K = values.shape[1]
    out = np.empty((n_dom, K))
    for k in range(K):
        out[:, k] = np.bincount(dom[sel], weights=w[sel] * values[sel, k], minlength=n_dom)
    return out


def ratio_taylor(design, dom, n_dom, num, den, *, rows, covariance=False) -> RatioMoments:
    """``sum(w*num)/sum(w*den)`` per domain with linearised variance (``den=None``: totals)."""
    w = np.where(rows, design._w, 0.0)
    dom = np.where(rows & (w != 0), dom, -1)
    num = np.where(rows[:, None], num, 0.0)
    Yt = _weighted_totals(dom, n_dom, w, num)
    if den is None:
        est = Yt
        Xt = np.ones_like(Yt)
        Z = w[:, None] * num
    else:
        den2 = np.where(rows[:, None], den if den.ndim == 2 else den[:, None], 0.0)
        den2 = np.broadcast_to(den2, num.shape)
        Xt = _weighted_totals(dom, n_dom, w, np.ascontiguousarray(den2))
        with np.errstate(divide="ignore", invalid="ignore"):
            est = Yt / Xt
        d = np.maximum(dom, 0)
        Z = w[:, None] * (num - est[d] * den2) / Xt[d]
        Z[dom < 0] = 0.0
    present = design._present_rows(dom, rows)
    var, cov = linearized_variance(design, dom, n_dom, Z, present_rows=present, covariance=covariance)
    return RatioMoments(est, var.reshape(est.shape), cov, Yt, Xt)
