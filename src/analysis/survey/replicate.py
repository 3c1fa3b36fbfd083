"""Replicate-weight designs (R ``svrepdesign`` / ``as.svrepdesign``): JK1, JKn, bootstrap.

A :class:`ReplicateDesign` estimates every statistic once with the full-sample weights and
once per replicate; the variance is ``scale * sum(rscales * (theta_r - centre)^2)``, centred
at the mean of the replicates (R's default) or at the full-sample estimate (``mse=True``,
R ``options(survey.replicates.mse=TRUE)``). The estimators of :mod:`analysis.survey.estimates`
accept these designs unchanged. Bootstrap replicates drawn with ``seed`` equal those R draws
after ``set.seed(seed)`` (R's Mersenne-Twister and ``sample()`` are reproduced).
"""

from __future__ import annotations

from typing import Any, Sequence
import warnings

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.csgraph

from ..errors import DataError, LagesbildWarning
from ._engine import RatioMoments, _weighted_totals
from ._rmath import RRandom
from .design import SurveyDesign, _DesignState

__all__ = ["ReplicateDesign", "as_replicate", "REPLICATE_TYPES", "qr_rank"]

REPLICATE_TYPES = ("JK1", "JKn", "bootstrap", "BRR", "Fay", "other")


class ReplicateDesign(_DesignState):
    """A survey design that carries replicate weights.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    repweights : list of str or str
        Replicate weight columns, or a prefix that selects them (``"repw"`` -> ``repw1`` ...).
    weights : str
        Full-sample sampling weights.
    type : {'JK1', 'JKn', 'bootstrap', 'BRR', 'Fay', 'other'}
        How the replicates were made; sets ``scale`` as R ``svrepdesign`` does when not given.
    combined_weights : bool
        The replicate columns are complete weights (R default ``TRUE``), not multipliers.
    scale, rscales : float, sequence of float, optional
        Variance multipliers (overall and per replicate).
    rho : float, optional
        Fay's coefficient (``type='Fay'``).
    mse : bool
        Centre the replicates at the full-sample estimate instead of their mean.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0] * 4,
    ...                    "r1": [0, 4 / 3, 4 / 3, 4 / 3], "r2": [4 / 3, 0, 4 / 3, 4 / 3],
    ...                    "r3": [4 / 3, 4 / 3, 0, 4 / 3], "r4": [4 / 3, 4 / 3, 4 / 3, 0]})
    >>> d = ReplicateDesign(df, repweights=["r1", "r2", "r3", "r4"], weights="w", type="JK1", scale=3 / 4)
    >>> from analysis.survey import mean
    >>> round(float(mean(d, "y").se.iloc[0]), 6)
    0.645497
    """

    _immutable_hint = ""
    __slots__ = ("_data", "_w", "_active", "_present", "_unit", "_F", "_base", "_scale",
                 "_rscales", "_mse", "_type", "_reports", "_cal", "_cache", "_frozen")

    def __init__(self, data: pd.DataFrame, *, repweights: Sequence[str] | str, weights: str | None = None,
                 type: str = "other", combined_weights: bool = True, scale: float | None = None,
                 rscales: Sequence[float] | None = None, rho: float | None = None, mse: bool = False):
        if type not in REPLICATE_TYPES:
            raise ValueError(f"type must be one of {', '.join(REPLICATE_TYPES)}")
        data = data.reset_index(drop=True).copy()
        cols = ([c for c in data.columns if str(c).startswith(repweights)]
                if isinstance(repweights, str) else list(repweights))
        if not cols:
            raise DataError(f"no replicate weight columns match {repweights!r}")
        W = data[cols].to_numpy(dtype=float)
        if np.isnan(W).any():
            raise DataError("Missing values not allowed in replicate weights")
        if weights is None:
            warnings.warn("No sampling weights provided: equal probability assumed", LagesbildWarning, stacklevel=2)
            pw = np.ones(len(data))
        else:
            pw = data[weights].to_numpy(dtype=float)
        R = W.shape[1]
        if type == "BRR":
            scale = 1 / R
        elif type == "Fay":
            if rho is None:
                raise ValueError("type='Fay' needs rho")
            scale = 1 / (R * (1 - rho) ** 2)
        elif type == "bootstrap" and scale is None:
            scale = 1 / (R - 1)
        elif type == "JK1" and scale is None:
            warnings.warn("scale (n-1)/n not provided: guessing n = number of replicates",
                          LagesbildWarning, stacklevel=2)
            scale = (R - 1) / R
        elif type == "JKn" and rscales is None:
            raise ValueError("type='JKn' needs rscales ((n_h - 1)/n_h of each replicate's stratum)")
        elif type == "other" and scale is None:
            scale = 1.0
        rscales = np.ones(R) if rscales is None else np.broadcast_to(np.asarray(rscales, float), (R,)).copy()
        if combined_weights:
            unit, F, base = np.arange(len(data)), W, np.ones(len(data))
        else:
            unit, F, base = np.arange(len(data)), W, pw.copy()
        self._init(data=data, w=pw, active=np.ones(len(data), bool), present=np.ones(len(data), bool),
                   unit=unit, F=F, base=base, scale=float(1.0 if scale is None else scale),
                   rscales=rscales, mse=bool(mse), type=type, reports=(), cal=None)

    # ------------------------------------------------------------------ public API
    @property
    def replicates(self) -> int:
        return self._F.shape[1]

    @property
    def type(self) -> str:
        return self._type

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def rscales(self) -> np.ndarray:
        return np.asarray(self._rscales).copy()

    @property
    def mse(self) -> bool:
        return self._mse

    @property
    def is_calibrated(self) -> bool:
        return bool(self._reports)

    @property
    def calibration(self) -> tuple:
        return self._reports

    @property
    def columns(self) -> list[str]:
        return list(self._data.columns)

    def with_mse(self, mse: bool = True) -> "ReplicateDesign":
        """The same design with replicates centred at the full-sample estimate (or not)."""
        return self._derive(mse=bool(mse))

    def weights(self) -> pd.Series:
        return pd.Series(np.asarray(self._w).copy(), name="weight")

    def replicate_weights(self) -> pd.DataFrame:
        """Analysis weights of every replicate (rows outside a subset are zero)."""
        W = self._analysis(np.flatnonzero(self._active))
        out = np.zeros((self.n_rows, self.replicates))
        out[self._active] = W
        return pd.DataFrame(out, columns=[f"rep{r + 1}" for r in range(self.replicates)])

    @property
    def degf(self) -> int:
        """R ``degf()`` of a replicate design: rank of the replicate weights minus one."""
        return int(self._df_by(np.zeros(self.n_rows, dtype=np.int64), 1, np.ones(self.n_rows, bool))[0])

    def subset(self, mask: Any) -> "ReplicateDesign":
        """Restrict estimation to a domain (rows outside get weight zero in all replicates)."""
        if callable(mask):
            mask = mask(self._data)
        elif isinstance(mask, str):
            mask = self._data.eval(mask)
        keep = pd.Series(mask).fillna(False).to_numpy(dtype=bool)
        if keep.shape != (self.n_rows,):
            raise ValueError(f"subset mask has {keep.size} values; the design has {self.n_rows} rows")
        active = self._active & keep
        return self._derive(w=np.where(active, self._w, 0.0), active=active, present=active)

    def with_columns(self, **columns) -> "ReplicateDesign":
        data = self._data.copy()
        for name, values in columns.items():
            data[name] = pd.Series(values).reset_index(drop=True) if not np.isscalar(values) else values
        return self._derive(data=data)

    def summary(self) -> str:
        lines = [f"Replicate-weight design ({self._type}): {self.n} respondents, "
                 f"{self.replicates} replicates, scale {self._scale:.6g}, "
                 f"centred at {'the full-sample estimate (mse)' if self._mse else 'the replicate mean'}"]
        lines += ["  " + r.summary().splitlines()[0] for r in self._reports]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------------ estimator interface
    _column = SurveyDesign._column

    @property
    def _variance_label(self) -> str:
        return self._type.lower()

    def _analysis(self, rows: np.ndarray) -> np.ndarray:
        return self._base[rows, None] * self._F[self._unit[rows]]

    def _rank(self, rows: np.ndarray) -> int:
        """``qr(weights(design, "analysis"), tol = 1e-5)$rank`` of the given rows."""
        if rows.size == 0:
            return 0
        key = ("rank", hash(rows.tobytes()))
        if key in self._cache:
            return self._cache[key]
        units, first = np.unique(self._unit[rows], return_index=True)
        if np.all(self._base[rows] != 0):
            # rows scaled by base have the same rank: the unit rows of F, and as reference the
            # full-sample weight in F's scale (1 for multipliers, the weight for combined weights)
            X = self._F[units]
            ref = (np.asarray(self._w)[rows] / self._base[rows])[first]
        else:
            X, ref = self._analysis(rows), np.asarray(self._w)[rows]
        rank = qr_rank(X, reference=ref)
        self._cache[key] = rank
        return rank

    def _df_by(self, dom, n_dom, rows):
        keep = rows & (dom >= 0) & self._active
        return np.array([float(self._rank(np.flatnonzero(keep & (dom == d))) - 1) for d in range(n_dom)])

    def _nrow_by(self, dom, n_dom, rows):
        keep = self._active & rows & (dom >= 0)
        return np.bincount(dom[keep], minlength=n_dom).astype(float)

    def _present_rows(self, dom, rows):
        return self._active & rows & (dom >= 0)

    def _rep_var(self, reps: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """R ``svrVar``: reps (R, m) -> variances (m,)."""
        c = centre if self._mse else reps[self._rscales > 0].mean(axis=0)
        return self._scale * np.sum(self._rscales[:, None] * (reps - c) ** 2, axis=0)

    def _rep_cov(self, reps, centre):
        c = centre if self._mse else reps[self._rscales > 0].mean(axis=0)
        dev = (reps - c) * np.sqrt(self._rscales)[:, None]
        return self._scale * dev.T @ dev

    def _rep_totals(self, dom, n_dom, values, w_rows):
        """Replicate totals sum_i base_i F[unit_i, r] value_i per domain: (R, n_dom, K)."""
        sel = np.flatnonzero(w_rows & (dom >= 0))
        K = values.shape[1]
        key = self._unit[sel] * n_dom + dom[sel]
        codes, uniq = pd.factorize(key)
        A = np.column_stack([np.bincount(codes, weights=self._base[sel] * values[sel, k], minlength=len(uniq))
                             for k in range(K)])
        pu, pdm = uniq // n_dom, uniq % n_dom
        M = sp.csr_matrix((np.ones(len(uniq)), (pdm, np.arange(len(uniq)))), shape=(n_dom, len(uniq)))
        out = np.empty((self.replicates, n_dom, K))
        Fu = self._F[pu]
        for k in range(K):
            out[:, :, k] = np.asarray((M @ (Fu * A[:, k:k + 1]))).T
        return out

    def _ratio(self, dom, n_dom, num, den, *, rows, covariance=False) -> RatioMoments:
        w = np.where(rows & self._active, self._w, 0.0)
        ok = rows & self._active & (dom >= 0)
        dom = np.where(ok, dom, -1)
        num = np.where(ok[:, None], num, 0.0)
        Yt = _weighted_totals(dom, n_dom, w, num)
        Yr = self._rep_totals(dom, n_dom, num, ok)
        if den is None:
            est, Xt, reps = Yt, np.ones_like(Yt), Yr
        else:
            den2 = np.ascontiguousarray(np.broadcast_to(
                np.where(ok[:, None], den if den.ndim == 2 else den[:, None], 0.0), num.shape))
            Xt = _weighted_totals(dom, n_dom, w, den2)
            Xr = self._rep_totals(dom, n_dom, den2, ok)
            with np.errstate(divide="ignore", invalid="ignore"):
                est, reps = Yt / Xt, Yr / Xr
        R = reps.shape[0]
        flat = reps.reshape(R, -1)
        var = self._rep_var(flat, est.ravel()).reshape(est.shape)
        cov = self._rep_cov(flat, est.ravel()) if covariance else None
        return RatioMoments(est, var, cov, Yt, Xt, replicates=reps, rep_var=self._rep_var)


def qr_rank(X: np.ndarray, tol: float = 1e-5, *, reference: np.ndarray | None = None) -> int:
    """Numerical rank as R's ``qr(X, tol)$rank``, by rank-revealing (column-pivoted) QR.

    A column counts when the norm of what is left of it after the earlier pivots exceeds
    ``tol`` times its own norm (LINPACK ``dqrdc2``'s criterion, which R uses), read off the
    diagonal of LAPACK's pivoted QR (``dgeqp3``).

    ``reference`` (the full-sample weights of the rows) lets jackknife-type replicate weights
    be split: ``X = D + reference 1'`` where ``D`` is non-zero only where a replicate changes
    a weight, block-diagonal by stratum. Then ``rank(X) = rank(K) - 1`` for the bordered
    matrix ``K = [[D, reference], [1', -1]]`` (Schur complement of the corner), and ``rank(K)``
    is the sum of the pivoted-QR ranks of the blocks plus the rank of a small coupling
    matrix. Without that structure the whole matrix is factorised.

    Examples
    --------
    >>> qr_rank(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 1.0], [3.0, 6.0, 0.0]]))
    2
    >>> J = np.array([[0.0, 2, 1, 1], [2, 0, 1, 1], [1, 1, 0, 2], [1, 1, 2, 0]])  # JKn, 2 strata
    >>> qr_rank(J), qr_rank(J, reference=np.ones(4))
    (3, 3)
    """
    X = np.asarray(X, dtype=float)
    if X.size == 0 or not np.any(X):
        return 0
    if reference is not None and X.shape[0] > 50:
        rank = _blocked_rank(X, np.asarray(reference, dtype=float), tol)
        if rank is not None:
            return rank
    return _dense_rank(X, tol)


def _dense_rank(X, tol):
    norms = np.linalg.norm(X, axis=0)
    r, piv = scipy.linalg.qr(X, mode="r", pivoting=True, check_finite=False)
    d = np.abs(np.diag(r))
    return int(np.sum(d > tol * norms[piv[:d.size]]))


def _blocked_rank(X, w0, tol):
    """rank(X) from the blocks of D = X - w0 1' (None when D does not split into small blocks)."""
    n, R = X.shape
    D = X - w0[:, None]
    nz = sp.csr_matrix(D != 0)
    graph = sp.bmat([[None, nz], [nz.T, None]])
    n_comp, label = scipy.sparse.csgraph.connected_components(graph, directed=False)
    row_lab, col_lab = label[:n], label[n:]
    sizes = np.bincount(row_lab, minlength=n_comp) * np.bincount(col_lab, minlength=n_comp)
    if sizes.max() > 0.25 * n * R:
        return None
    total, g_big, corner, scale, r2 = 0, False, -1.0, 1.0, 0.0
    for h in np.unique(label):
        rows, cols = np.flatnonzero(row_lab == h), np.flatnonzero(col_lab == h)
        if cols.size == 0:  # rows untouched by every replicate: w0 stays in the residual
            r2 += float(np.sum(w0[rows] ** 2))
            continue
        if rows.size == 0:  # replicates equal to the full sample: K's column is (0, 1)
            g_big = True
            continue
        B = D[np.ix_(rows, cols)]
        q, r, piv = scipy.linalg.qr(B, mode="economic", pivoting=True, check_finite=False)
        d = np.abs(np.diag(r))
        a = int(np.sum(d > tol * np.linalg.norm(X[:, cols], axis=0)[piv[:d.size]]))
        total += a
        t = q[:, :a].T @ w0[rows]
        r2 += max(float(w0[rows] @ w0[rows] - t @ t), 0.0)
        if a:
            coef = scipy.linalg.solve_triangular(r[:a, :a], np.column_stack([r[:a, a:], t]))
            g = 1.0 - coef[:, :-1].sum(axis=0)
            g_big |= bool(np.any(np.abs(g) > tol * (1.0 + np.abs(coef[:, :-1]).sum(axis=0))))
            corner -= float(coef[:, -1].sum())
            scale += float(np.abs(coef[:, -1]).sum())
        elif cols.size > a:
            g_big = True
    r_big = np.sqrt(r2) > tol * np.linalg.norm(w0)
    coupling = 1 + int(r_big) if g_big else int(r_big or abs(corner) > tol * scale)
    return total + coupling - 1


# ----------------------------------------------------------------------------- as.svrepdesign

def _stage1(design: SurveyDesign):
    st = design._stages[0]
    return st.unit, st.unit_stratum


def _fpc1(design):
    if design._popsize is None:
        return None
    if design._popsize.shape[1] > 1:
        warnings.warn("Finite population corrections after first stage have been dropped",
                      LagesbildWarning, stacklevel=3)
    st = design._stages[0]
    first = pd.Series(np.arange(design.n_rows)).groupby(st.unit).first().to_numpy()
    return design._popsize[first, 0]        # per unit


def _jk1(design):
    if design._spec["strata"]:
        raise DataError("Can't use JK1 for a stratified design (use type='JKn' or 'bootstrap')")
    unit, _ = _stage1(design)
    U = int(unit.max()) + 1
    fpc_u = _fpc1(design)
    factor = 1.0 if fpc_u is None else float((fpc_u[0] - U) / fpc_u[0])
    F = np.full((U, U), U / (U - 1))
    np.fill_diagonal(F, 0.0)
    return F, factor * (U - 1) / U, np.ones(U)


def _jkn(design):
    unit, ustr = _stage1(design)
    U = len(ustr)
    fpc_u = _fpc1(design)
    lonely_opt = design._options.lonely_psu
    order = pd.unique(ustr)
    nstrat = len(order)
    cols, rscales = [], []
    scale = 1.0
    for s in order:
        members = np.flatnonzero(ustr == s)
        n_h = len(members)
        f = 1.0 if fpc_u is None else (fpc_u[members[0]] - n_h) / fpc_u[members[0]]
        if n_h == 1 and (fpc_u is None or fpc_u[members[0]] != 0):
            if lonely_opt == "fail":
                raise DataError(f"Stratum {s} has only one PSU (choose a lonely_psu option)")
            if lonely_opt == "adjust":
                col = np.where(ustr == s, 0.0, nstrat / (nstrat - 1))
                cols.append(col)
                rscales.append((nstrat - 1) / nstrat)
            continue
        for m in members:
            col = np.ones(U)
            col[members] = n_h / (n_h - 1)
            col[m] = 0.0
            cols.append(col)
            rscales.append(f * (n_h - 1) / n_h)
    if not cols:
        raise DataError("All strata were exhaustively sampled: you have the whole population")
    if len(cols) < U and lonely_opt == "average":
        scale = U / len(cols)
    return np.column_stack(cols), scale, np.asarray(rscales)


def _bootstrap(design, replicates, seed, rng):
    unit, ustr = _stage1(design)
    U = len(ustr)
    fpc_u = _fpc1(design)
    F = np.empty((U, replicates))
    gen = RRandom(seed) if rng == "R" else np.random.default_rng(seed)
    for s in pd.unique(ustr):
        members = np.flatnonzero(ustr == s)
        n_h = len(members)
        if rng == "R":
            perm = gen.permutation(n_h)
        else:
            perm = gen.permutation(n_h)
        if fpc_u is None:
            for r in range(replicates):
                idx = gen.index(n_h, n_h) if rng == "R" else gen.integers(0, n_h, n_h)
                F[members, r] = np.bincount(perm[idx], minlength=n_h)
        else:
            pop = fpc_u[members[0]]
            if pop < n_h:
                raise DataError(f"Population size smaller than sample size in stratum {s}")
            pool = np.resize(perm, int(pop))
            for r in range(replicates):
                idx = gen.choose(len(pool), n_h) if rng == "R" else gen.choice(len(pool), n_h, replace=False)
                F[members, r] = np.bincount(pool[idx], minlength=n_h)
    per_stratum = np.bincount(pd.factorize(ustr)[0])
    h = 1 / np.mean(1 / per_stratum)
    return F, h / ((h - 1) * (replicates - 1)), np.ones(replicates)


def as_replicate(design: SurveyDesign, *, type: str = "auto", replicates: int = 50,
                 seed: int | None = None, mse: bool = False, rng: str = "R") -> ReplicateDesign:
    """Replicate weights for a design (R ``as.svrepdesign``).

    Parameters
    ----------
    design : SurveyDesign
        An uncalibrated design (calibrate the replicate design afterwards, so that every
        replicate is calibrated too).
    type : {'auto', 'JK1', 'JKn', 'bootstrap'}
        ``'auto'``: JK1 without strata, JKn with. ``'bootstrap'`` is the Canty-Davison
        rescaled bootstrap of R (``n_h`` PSUs drawn with replacement in each stratum).
    replicates : int
        Number of bootstrap replicates (R default 50).
    seed : int, optional
        Bootstrap seed. With ``rng='R'`` (default) the replicates equal R's after ``set.seed(seed)``.
    mse : bool
        Centre replicates at the full-sample estimate (R ``mse=``, default ``FALSE``).
    rng : {'R', 'numpy'}
        Random generator for the bootstrap.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0] * 4})
    >>> d = as_replicate(SurveyDesign(df, weights="w"), type="JK1")
    >>> d.replicates, round(d.scale, 4)
    (4, 0.75)
    """
    if design.is_calibrated:
        raise DataError("convert the design to replicate weights before calibrating it; then "
                        "calibrate the replicate design so that every replicate is calibrated")
    if type == "auto":
        type = "JKn" if design._spec["strata"] else "JK1"
    if type == "JK1":
        F, scale, rscales = _jk1(design)
    elif type == "JKn":
        F, scale, rscales = _jkn(design)
    elif type == "bootstrap":
        if seed is None:
            raise ValueError("bootstrap replicates need a seed (for reproducibility)")
        F, scale, rscales = _bootstrap(design, replicates, seed, rng)
    else:
        raise ValueError("type must be 'auto', 'JK1', 'JKn' or 'bootstrap'")
    new = object.__new__(ReplicateDesign)
    unit, _ = _stage1(design)
    active = np.asarray(design._active)
    new._init(data=design._data, w=np.asarray(design._w).copy(), active=active.copy(),
              present=active.copy(), unit=np.asarray(unit).copy(), F=F,
              base=np.asarray(design._w).copy(), scale=float(scale), rscales=np.asarray(rscales, float),
              mse=bool(mse), type=type, reports=(), cal=None)
    return new


def _replicate_columns(design: ReplicateDesign) -> np.ndarray:
    """All analysis weights (n, R) of held rows (zeros elsewhere)."""
    rows = np.arange(design.n_rows)
    W = design._analysis(rows)
    return np.where(design._active[:, None], W, 0.0)


def _recalibrated(design: ReplicateDesign, new_w: np.ndarray, new_W: np.ndarray, report) -> ReplicateDesign:
    """A replicate design whose full-sample and replicate weights were calibrated."""
    n = design.n_rows
    return design._derive(w=np.where(design._active, new_w, 0.0), unit=np.arange(n), F=new_W,
                          base=design._active.astype(float), reports=design._reports + (report,))


