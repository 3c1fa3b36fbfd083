"""Batched log-link count GLMs: many monthly series fitted at once by IRLS in numpy.

Answers "what are the Poisson / negative-binomial regression coefficients of these S series?"
for all kommuner × crime types in one go (same numbers as a statsmodels or R ``glm`` loop, far
faster). The trends, period comparisons, evaluation models and simulations call it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .. import _special as sp

__all__ = ["BatchGLMResult", "fit_batch", "hac_meat", "t_quantile", "t_pvalue"]

_THETA_MAX = 1e8  # NB theta beyond this is "no overdispersion"; R would warn and stop here


@dataclass(frozen=True)
class BatchGLMResult:
    """Fitted log-link GLMs for S series (arrays have the series on axis 0).

    Attributes
    ----------
    params : ndarray (S, p)
        Coefficients; NaN for series that could not be fitted (see ``estimable``).
    cov_unscaled : ndarray (S, p, p)
        ``(X' W X)^{-1}`` at convergence, R's ``summary.glm()$cov.unscaled``.
    mu : ndarray (S, n)
        Fitted means.
    deviance, pearson_chi2, llf : ndarray (S,)
        Residual deviance, Pearson chi-square, log-likelihood (Poisson or NB).
    df_resid, nobs : ndarray (S,)
        Residual degrees of freedom and number of observations with positive weight.
    converged, estimable : ndarray (S,) of bool
        IRLS converged; the series had any events and finite estimates.
    n_iter : int
        Iterations used by the slowest series.
    family : str
        ``"poisson"`` or ``"negbin"``.
    theta, theta_se : ndarray (S,) or None
        NB shape (var = mu + mu²/theta) and its ML standard error, as ``MASS::glm.nb``.
    X, y, weights, offset : ndarray
        The inputs (views, not copies), kept for sandwich variances and predictions.
    """

    params: np.ndarray
    cov_unscaled: np.ndarray
    mu: np.ndarray
    deviance: np.ndarray
    pearson_chi2: np.ndarray
    llf: np.ndarray
    df_resid: np.ndarray
    nobs: np.ndarray
    converged: np.ndarray
    estimable: np.ndarray
    n_iter: int
    family: str
    theta: np.ndarray | None
    theta_se: np.ndarray | None
    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    offset: np.ndarray

    @property
    def scale(self) -> np.ndarray:
        """Quasi-likelihood dispersion: Pearson chi-square / residual df (R ``quasipoisson``)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.pearson_chi2 / self.df_resid

    @property
    def variance(self) -> np.ndarray:
        """Model variance function V(mu) at the fit: mu (Poisson) or mu + mu²/theta (NB)."""
        return self.mu if self.theta is None else self.mu + self.mu ** 2 / self.theta[:, None]

    @property
    def pearson_residuals(self) -> np.ndarray:
        """(y - mu) / sqrt(V(mu)), zero where the weight is zero (months left out)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.weights > 0, (self.y - self.mu) / np.sqrt(self.variance), 0.0)

    def cov_params(self, kind: str = "model", *, lag: int | None = None) -> np.ndarray:
        """Covariance matrices (S, p, p).

        ``kind="model"``: ``cov_unscaled`` (Poisson / NB with theta fixed);
        ``"quasi"``: times :attr:`scale`; ``"hac"``: Newey-West sandwich, see
        :func:`hac_meat` (months with weight 0 keep their place in time).
        """
        if kind == "model":
            return self.cov_unscaled
        if kind == "quasi":
            return self.cov_unscaled * self.scale[:, None, None]
        if kind == "hac":
            if lag is None:
                raise ValueError("kind='hac' needs lag=")
            meat = hac_meat(self.score_contributions(), lag=lag)
            return self.cov_unscaled @ meat @ self.cov_unscaled
        raise ValueError(f"kind must be 'model', 'quasi' or 'hac', got {kind!r}")

    def bse(self, kind: str = "model", *, lag: int | None = None) -> np.ndarray:
        """Standard errors (S, p) for the covariance ``kind`` of :meth:`cov_params`."""
        return np.sqrt(np.diagonal(self.cov_params(kind, lag=lag), axis1=1, axis2=2))

    def score_contributions(self) -> np.ndarray:
        """Per-observation score vectors (S, n, p): R ``sandwich::estfun`` of the glm.

        For the log link this is ``w (y - mu) / (1 + mu/theta) x``; for a quasi-Poisson fit R
        divides by a dispersion that cancels in the sandwich, so the Poisson form is used.
        """
        r = self.weights * (self.y - self.mu)
        if self.theta is not None:
            r = r / (1.0 + self.mu / self.theta[:, None])
        r = np.where(self.estimable[:, None], r, 0.0)
        X = self.X if self.X.ndim == 3 else self.X[None]
        return r[:, :, None] * X


def hac_meat(scores: np.ndarray, *, lag: int) -> np.ndarray:
    """Newey-West "meat" ``sum_t u_t u_t' + sum_l w_l (G_l + G_l')`` with Bartlett weights.

    ``w_l = 1 - l/(lag+1)``. Multiplied on both sides by ``cov_unscaled`` this equals R
    ``sandwich::NeweyWest(fit, lag = lag, prewhite = FALSE, adjust = FALSE)``.

    Parameters
    ----------
    scores : ndarray (S, n, p)
        Score contributions in time order (zero rows for masked months keep the spacing).
    lag : int
        Truncation lag L >= 0.

    References
    ----------
    Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity
    and autocorrelation consistent covariance matrix. Econometrica 55, 703-708.
    Zeileis, A. (2004). Econometric computing with HC and HAC covariance matrix estimators.
    Journal of Statistical Software 11(10).
    """
    if lag < 0:
        raise ValueError("lag must be >= 0")
    U = scores
    meat = np.swapaxes(U, 1, 2) @ U
    n = U.shape[1]
    for ell in range(1, min(lag, n - 1) + 1):
        g = np.swapaxes(U[:, :-ell], 1, 2) @ U[:, ell:]
        meat = meat + (1.0 - ell / (lag + 1.0)) * (g + np.swapaxes(g, 1, 2))
    return meat


def _solve_wls(X: np.ndarray, w: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """beta and (X'WX)^-1 for every series; X is (n, p) shared or (S, n, p)."""
    if X.ndim == 2:
        # shared design: X'WX for all series in one GEMM over the outer products x x'
        n, p = X.shape
        outer = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
        A = (w @ outer).reshape(-1, p, p)
        b = (w * z) @ X
    else:
        XtW = np.swapaxes(X, 1, 2) * w[:, None, :]
        A = XtW @ X
        b = (XtW @ z[:, :, None])[:, :, 0]
    try:
        inv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        # one singular series (e.g. every weighted mean underflowed to 0) must not stop the
        # others: solve series by series and give the singular ones NaN, which fit_batch
        # reports as not estimable
        inv = np.full_like(A, np.nan)
        for s in range(A.shape[0]):
            try:
                inv[s] = np.linalg.inv(A[s])
            except np.linalg.LinAlgError:
                pass
    with np.errstate(invalid="ignore"):
        return (inv @ b[:, :, None])[:, :, 0], inv


def _linpred(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return beta @ X.T if X.ndim == 2 else (X @ beta[:, :, None])[:, :, 0]


def _ylogy(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, y * np.log(y / mu), 0.0)


def _deviance(y, mu, w, theta):
    if theta is None:
        return 2.0 * np.sum(w * (_ylogy(y, mu) - (y - mu)), axis=1)
    th = theta[:, None]
    return 2.0 * np.sum(w * (_ylogy(y, mu) - (y + th) * np.log((y + th) / (mu + th))), axis=1)


def _loglik(y, mu, w, theta):
    if theta is None:
        return np.sum(w * (special.xlogy(y, mu) - mu - special.gammaln(y + 1)), axis=1)
    th = theta[:, None]
    ll = (special.gammaln(th + y) - special.gammaln(th) - special.gammaln(y + 1)
          + th * np.log(th) + special.xlogy(y, mu) - (th + y) * np.log(th + mu))
    return np.sum(w * ll, axis=1)


def _irls(y, X, off, w, beta, theta, active, tol, maxiter):
    """Fisher scoring with step halving for the ``active`` series; others are left as they are."""
    beta = beta.copy()
    mu = np.exp(np.clip(_linpred(X, beta) + off, -700, 700))
    conv = ~active
    act = np.flatnonzero(active)
    if act.size == 0:
        return beta, mu, conv, 0
    Xa = X if X.ndim == 2 else X[act]
    ya, wa, offa = y[act], w[act], off[act]
    tha = None if theta is None else theta[act]
    ba = beta[act]
    eta = np.clip(_linpred(Xa, ba) + offa, -700, 700)  # exp() must not under/overflow
    mua = np.exp(eta)
    dev = _deviance(ya, mua, wa, tha)
    done = np.zeros(act.size, dtype=bool)
    it_used = 0
    for it in range(maxiter):
        idx = np.flatnonzero(~done)
        if idx.size == 0:
            break
        it_used = it + 1
        Xi = Xa if Xa.ndim == 2 else Xa[idx]
        mui, yi, wi, offi = mua[idx], ya[idx], wa[idx], offa[idx]
        th = None if tha is None else tha[idx]
        vf = 1.0 if th is None else 1.0 + mui / th[:, None]
        z = (eta[idx] - offi) + (yi - mui) / mui
        new, _ = _solve_wls(Xi, wi * mui / vf, z)
        old = ba[idx]
        for _half in range(10):  # R glm.fit halves the step when the deviance is not finite
            eta_n = np.clip(_linpred(Xi, new) + offi, -700, 700)
            mu_n = np.exp(eta_n)
            dev_n = _deviance(yi, mu_n, wi, th)
            bad = ~np.isfinite(dev_n) | (dev_n > dev[idx] * (1 + 1e-12) + 1e-8)
            if not bad.any():
                break
            new[bad] = 0.5 * (new[bad] + old[bad])
        step = np.max(np.abs(new - old) / (np.abs(new) + 0.1), axis=1)
        ba[idx], eta[idx], mua[idx] = new, eta_n, mu_n
        dchange = np.abs(dev_n - dev[idx]) / (np.abs(dev_n) + 0.1)
        dev[idx] = dev_n
        # the deviance is flat at the optimum: stop on the step, or once it no longer moves
        done[idx] = (step < tol) | ((dchange < 1e-15) & (step < 1e-7))
    beta[act], mu[act] = ba, mua
    conv[act] = done
    return beta, mu, conv, it_used


def _trigamma(x):
    """psi'(x) by recurrence to x >= 10 and the asymptotic series (error < 1e-12 relative).

    scipy's ``polygamma``/``zeta`` are ~50x slower on large arrays and this runs in a loop.
    """
    acc = np.zeros_like(x)
    z = x.copy()
    for _ in range(10):
        small = z < 10.0
        if not small.any():
            break
        acc = acc + np.where(small, 1.0 / (z * z), 0.0)
        z = np.where(small, z + 1.0, z)
    iz2 = 1.0 / (z * z)
    series = (1.0 / z + iz2 / 2.0
              + (iz2 / z) * (1.0 / 6.0 - iz2 * (1.0 / 30.0 - iz2 * (1.0 / 42.0 - iz2 / 30.0))))
    return acc + series


def _theta_terms(y, mu, w, th):
    t = th[:, None]
    score = np.sum(w * (special.digamma(t + y) - special.digamma(t) + np.log(t) + 1.0
                        - np.log(t + mu) - (y + t) / (mu + t)), axis=1)
    info = np.sum(w * (-_trigamma(t + y) + _trigamma(np.broadcast_to(t, y.shape))
                       - 1.0 / t + 2.0 / (mu + t) - (y + t) / (mu + t) ** 2), axis=1)
    return score, info


def _theta_ml(y, mu, w, theta, active, maxiter=100, tol=1e-10):
    """ML of the NB shape given mu (MASS::theta.ml): Newton on log(theta) for stability.

    Returns theta and its SE ``1/sqrt(observed information)`` as ``theta.ml``.
    """
    th = theta.copy()
    act = active.copy()
    for _ in range(maxiter):
        idx = np.flatnonzero(act)
        if idx.size == 0:
            break
        score, info = _theta_terms(y[idx], mu[idx], w[idx], th[idx])
        g = th[idx] * score  # d l / d log(theta)
        h = th[idx] ** 2 * info - g  # minus the second derivative in log(theta)
        step = np.where(h > 0, g / np.where(h > 0, h, 1.0), np.sign(g) * 0.5)
        step = np.clip(step, -2.0, 2.0)
        th[idx] = np.clip(th[idx] * np.exp(step), 1e-8, _THETA_MAX)
        # at very large theta the score is pure rounding noise: stop there as well
        act[idx] = ((np.abs(step) >= tol) & (th[idx] < _THETA_MAX)
                    & (np.abs(g) > 1e-9 * np.sum(w[idx], axis=1)))
    se = np.full(th.shape, np.nan)
    idx = np.flatnonzero(active)
    if idx.size:
        _, info = _theta_terms(y[idx], mu[idx], w[idx], th[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            se[idx] = np.where(info > 0, 1.0 / np.sqrt(info), np.nan)
    return th, se


def _nb_newton(y, X, off, w, beta, th, active, tol, maxiter=100):
    """Joint Newton-Raphson in (beta, log theta) with step halving on the log-likelihood.

    The glm.nb alternation converges linearly and crawls when theta is weakly identified; a
    few alternations followed by joint Newton reach the same maximum quadratically.
    """
    beta, th = beta.copy(), th.copy()
    idx_all = np.flatnonzero(active)
    if idx_all.size == 0:
        return beta, th
    p = beta.shape[1]
    act = np.ones(idx_all.size, dtype=bool)
    for _ in range(maxiter):
        sel = np.flatnonzero(act)
        if sel.size == 0:
            break
        ii = idx_all[sel]
        Xi = X if X.ndim == 2 else X[ii]
        yi, wi, oi = y[ii], w[ii], off[ii]
        b, t = beta[ii], th[ii]
        mu = np.exp(_linpred(Xi, b) + oi)
        tt = t[:, None]
        d_eta = wi * tt * (yi - mu) / (tt + mu)
        h_ee = wi * tt * mu * (yi + tt) / (tt + mu) ** 2
        h_et = wi * (yi - mu) * mu / (tt + mu) ** 2 * tt  # d2 l / d eta d log(theta)
        s_t, info_t = _theta_terms(yi, mu, wi, t)
        g = np.concatenate([(d_eta[:, :, None] * (Xi if Xi.ndim == 3 else Xi[None])).sum(1),
                            (t * s_t)[:, None]], axis=1)
        Xb = Xi if Xi.ndim == 3 else np.broadcast_to(Xi, (ii.size,) + Xi.shape)
        H = np.zeros((ii.size, p + 1, p + 1))
        H[:, :p, :p] = np.swapaxes(Xb, 1, 2) @ (h_ee[:, :, None] * Xb)
        cross = -(np.swapaxes(Xb, 1, 2) @ h_et[:, :, None])[:, :, 0]
        H[:, :p, p] = H[:, p, :p] = -cross
        H[:, p, p] = t ** 2 * info_t - t * s_t  # minus d2 l / d log(theta)^2
        try:
            step = np.linalg.solve(H, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            break
        ll0 = _loglik(yi, mu, wi, t)
        frac = np.ones(ii.size)
        for _half in range(30):
            nb = b + frac[:, None] * step[:, :p]
            nt = np.clip(t * np.exp(np.clip(frac * step[:, p], -2, 2)), 1e-8, _THETA_MAX)
            with np.errstate(over="ignore", invalid="ignore"):
                ll1 = _loglik(yi, np.exp(_linpred(Xi, nb) + oi), wi, nt)
            bad = ~np.isfinite(ll1) | (ll1 < ll0 - 1e-10 * np.abs(ll0))
            if not bad.any():
                break
            frac = np.where(bad, frac / 2, frac)
        beta[ii], th[ii] = nb, nt
        size = np.max(np.abs(frac[:, None] * step) / (np.abs(np.c_[b, np.log(t)]) + 0.1), axis=1)
        act[sel] = (size >= tol) & (nt < 1e6)
    return beta, th


def fit_batch(y, X, *, offset=None, weights=None, family: str = "poisson", theta=None,
              tol: float = 1e-10, maxiter: int = 25, start=None) -> BatchGLMResult:
    """Fit S log-link count GLMs at once by iteratively reweighted least squares.

    Parameters
    ----------
    y : array_like (S, n) or (n,)
        Counts; a 1-D ``y`` is broadcast over the S designs of a 3-D ``X`` (joinpoint grids).
    X : array_like (n, p) or (S, n, p)
        Design matrix, shared by all series or one per series. Must have full column rank.
    offset : array_like (S, n) or (n,), optional
        Added to the linear predictor, typically ``log(exposure)``.
    weights : array_like (S, n) or (n,), optional
        Prior weights; 0 masks an observation (months outside a window) and keeps the time
        spacing for sandwich variances.
    family : {"poisson", "negbin"}
        Poisson (use ``cov_params("quasi")`` for quasi-Poisson) or negative binomial NB2 with
        var = mu + mu²/theta.
    theta : float or array_like (S,), optional
        Fixed NB shape. If omitted with ``family="negbin"``, theta is estimated by maximum
        likelihood, alternating with IRLS as ``MASS::glm.nb`` does.
    tol : float
        Convergence: largest relative coefficient step below ``tol``.
    start : array_like (p,) or (S, p), optional
        Starting coefficients (e.g. a nested model's fit), instead of R's ``mu = y + 0.1``.
    maxiter : int
        Maximum IRLS iterations (per alternation for NB); 25 as R ``glm.control``. A series
        whose likelihood has no finite maximum (a handful of events that a seasonal model
        can fit exactly) does not converge and is flagged in ``converged``.

    Returns
    -------
    BatchGLMResult

    Notes
    -----
    Starting values follow R ``glm.fit`` for the Poisson family (``mu = y + 0.1``). A series
    with no events (or only masked observations) is not estimable: its parameters are NaN.
    The step is halved, as in R, whenever the deviance is not finite or increases.

    References
    ----------
    McCullagh, P. and Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 2.5.
    Venables, W. N. and Ripley, B. D. (2002). Modern Applied Statistics with S, 4th ed., §7.4
    (``glm.nb``, ``theta.ml``).

    Validated against R 4.2.2 ``glm`` and ``MASS::glm.nb`` (tests/reference/crime/) and against
    statsmodels GLM to 1e-9 (tests/crime/test_glm.py).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> t = np.arange(24) / 12.0
    >>> X = np.column_stack([np.ones(24), t])
    >>> y = rng.poisson(np.exp(2.0 + 0.1 * t), size=(3, 24))
    >>> fit = fit_batch(y, X)
    >>> fit.params.shape, bool(fit.converged.all())
    ((3, 2), True)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim == 3 and y.ndim == 1:
        y = np.broadcast_to(y, (X.shape[0], y.size))
    if y.ndim == 1:
        y = y[None]
    S, n = y.shape
    if X.shape[-2] != n or (X.ndim == 3 and X.shape[0] != S):
        raise ValueError(f"X has shape {X.shape}, which does not match y of shape {y.shape}")
    p = X.shape[-1]
    off = np.zeros((S, n)) if offset is None else np.broadcast_to(np.asarray(offset, float), (S, n))
    w = np.ones((S, n)) if weights is None else np.broadcast_to(np.asarray(weights, float), (S, n))
    if np.any(y < 0) or not np.all(np.isfinite(y[w > 0])):
        raise ValueError("counts must be finite and >= 0")
    if family not in ("poisson", "negbin"):
        raise ValueError(f"family must be 'poisson' or 'negbin', got {family!r}")
    nobs = np.sum(w > 0, axis=1)
    estimable = (np.sum(w * y, axis=1) > 0) & (nobs > p)

    # R's start for Poisson: one weighted LS step on eta = log(y + 0.1)
    mu0 = y + 0.1
    z0 = np.log(mu0) - off
    beta, _ = _solve_wls(X, np.where(estimable[:, None], w * mu0, w + 1e-300), z0)
    beta = np.where(estimable[:, None], beta, 0.0)
    if start is not None:
        beta = np.where(estimable[:, None], np.broadcast_to(np.asarray(start, float), (S, p)), 0.0)

    th = None
    th_se = None
    if family == "poisson":
        beta, mu, conv, n_iter = _irls(y, X, off, w, beta, None, estimable, tol, maxiter)
    else:
        beta, mu, conv, n_iter = _irls(y, X, off, w, beta, None, estimable, tol, maxiter)
        if theta is not None:
            th = np.broadcast_to(np.asarray(theta, float), (S,)).copy()
            beta, mu, conv, it = _irls(y, X, off, w, beta, th, estimable, tol, maxiter)
            n_iter += it
        else:
            # MASS::glm.nb: theta from a moment start, then alternate theta.ml and IRLS
            with np.errstate(divide="ignore", invalid="ignore"):
                th = np.where(estimable,
                              nobs / np.sum(w * (y / mu - 1.0) ** 2, axis=1), 1.0)
            th = np.clip(np.nan_to_num(th, nan=1.0, posinf=_THETA_MAX), 1e-4, _THETA_MAX)
            outer = estimable.copy()
            for _ in range(8):
                idx = np.flatnonzero(outer)
                if idx.size == 0:
                    break
                th_old, b_old = th[idx].copy(), beta[idx].copy()
                th, _ = _theta_ml(y, mu, w, th, outer)
                beta, mu, conv, it = _irls(y, X, off, w, beta, th, outer, tol, maxiter)
                n_iter += it
                d = (np.abs(np.log(th[idx] / th_old))
                     + np.max(np.abs(beta[idx] - b_old) / (np.abs(beta[idx]) + 0.1), axis=1))
                # theta beyond 1e6 is Poisson for any count seen here; the profile likelihood is
                # so flat that the alternation would only creep towards infinity
                outer[idx] = (d >= max(tol, 1e-9)) & (th[idx] < 1e6)
            if outer.any():
                beta, th = _nb_newton(y, X, off, w, beta, th, outer, tol)
                beta, mu, conv, it = _irls(y, X, off, w, beta, th, estimable, tol, maxiter)
            th, th_se = _theta_ml(y, mu, w, th, estimable)

    vf = 1.0 if th is None else 1.0 + mu / th[:, None]
    _, cov = _solve_wls(X, w * mu / vf, np.zeros((S, n)))
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.sum(w * (y - mu) ** 2 / (mu * vf), axis=1)
    dev = _deviance(y, mu, w, th)
    llf = _loglik(y, mu, w, th)
    finite = np.all(np.isfinite(beta), axis=1) & np.all(np.abs(beta) < 1e6, axis=1)
    estimable = estimable & finite
    nanmask = ~estimable
    beta = np.where(nanmask[:, None], np.nan, beta)
    cov = np.where(nanmask[:, None, None], np.nan, cov)
    for arr in (pearson, dev, llf):
        arr[nanmask] = np.nan
    if th is not None:
        th = np.where(nanmask, np.nan, th)
        th_se = np.where(nanmask, np.nan, th_se)
    return BatchGLMResult(
        params=beta, cov_unscaled=cov, mu=mu, deviance=dev, pearson_chi2=pearson, llf=llf,
        df_resid=(nobs - p).astype(float), nobs=nobs, converged=conv & estimable,
        estimable=estimable, n_iter=int(n_iter), family=family, theta=th, theta_se=th_se,
        X=X, y=y, weights=w, offset=off)


def t_quantile(df, ci_level):
    """Two-sided critical value: t with ``df`` degrees of freedom, normal where ``df`` is infinite."""
    return np.where(np.isfinite(df), sp.t_ppf(0.5 + ci_level / 2, np.maximum(df, 1)),
                    sp.norm_ppf(0.5 + ci_level / 2))


def t_pvalue(z, df):
    """Two-sided p-value of a t (finite ``df``) or normal (infinite ``df``) statistic."""
    return np.where(np.isfinite(df), 2 * sp.t_sf(np.abs(z), np.maximum(df, 1)),
                    2 * sp.norm_sf(np.abs(z)))
