"""Log-link count GLMs for evaluation: Poisson / quasi-Poisson / negative binomial by IRLS.

Small and exact on purpose: the same numbers as R ``glm`` and ``MASS::glm.nb`` (checked to 1e-6
in ``tests/evaluation``), several series with one design matrix fitted at once (the
treated kommun and its donors share the calendar), and the variance pieces the evaluation needs:
model-based, Newey-West (``sandwich::NeweyWest(prewhite=FALSE, adjust=FALSE)``), and the
"AR(1) plus noise" residual covariance used by the default interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["GLMFit", "fit_glm", "theta_ml", "hac_cov", "ar_noise_cov", "residual_autocov",
           "newey_west_lag"]


@dataclass(frozen=True)
class GLMFit:
    """S fitted log-link GLMs sharing the design ``X`` (series on axis 0).

    ``cov_unscaled`` is ``(X' W X)^{-1}`` (R's ``summary.glm()$cov.unscaled``); ``dispersion`` is
    Pearson chi-square / residual df (quasi-Poisson); ``theta`` is the NB shape (``inf`` for
    Poisson). ``mask`` marks the observations used in the fit (a transition window can be left
    out).
    """

    params: np.ndarray
    cov_unscaled: np.ndarray
    mu: np.ndarray
    y: np.ndarray
    X: np.ndarray
    offset: np.ndarray
    mask: np.ndarray
    theta: np.ndarray
    theta_se: np.ndarray
    deviance: np.ndarray
    pearson_chi2: np.ndarray
    df_resid: int
    converged: np.ndarray

    @property
    def dispersion(self) -> np.ndarray:
        return self.pearson_chi2 / self.df_resid

    @property
    def variance(self) -> np.ndarray:
        """Model variance function V(mu) at the fit."""
        return self.mu + self.mu ** 2 / self.theta[:, None]

    @property
    def pearson(self) -> np.ndarray:
        """Pearson residuals (zero outside the fitted mask)."""
        return np.where(self.mask, (self.y - self.mu) / np.sqrt(self.variance), 0.0)

    def scores(self) -> np.ndarray:
        """Per-observation score contributions x_i (y_i - mu_i) mu_i / V(mu_i), shape (S, n, p)."""
        r = np.where(self.mask, (self.y - self.mu) * self.mu / self.variance, 0.0)
        return self.X[None, :, :] * r[:, :, None]


def _irls(X, Y, off, mask, theta, tol, maxiter, start=None):
    S, n = Y.shape
    p = X.shape[1]
    Xm = X * mask[:, None]
    if start is None:
        mu = np.where(mask, Y + 0.1, 1.0)
        eta = np.log(mu)
        beta = np.full((S, p), np.nan)
    else:
        beta = start.copy()
        eta = beta @ X.T + off
        mu = np.exp(eta)
    converged = np.zeros(S, dtype=bool)
    dev_old = np.full(S, np.inf)
    for _ in range(maxiter):
        var = mu + mu ** 2 / theta[:, None]
        w = mu ** 2 / var
        z = eta - off + (Y - mu) / mu
        xtwx = (Xm.T[None, :, :] * w[:, None, :]) @ X
        xtwz = (w * z) @ Xm
        beta = _solve(xtwx, xtwz)
        # a series with (almost) no events in a segment drifts to -inf; keep exp() finite so
        # the other series of the batch still converge (that series is flagged by the caller)
        eta = np.clip(beta @ X.T + off, -50.0, 50.0)
        mu = np.exp(eta)
        dev = _deviance(Y, mu, theta, mask)
        # R's glm.fit criterion: |dev - dev_old| / (|dev| + 0.1) < epsilon
        converged = np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < tol
        dev_old = dev
        if converged.all():
            break
    var = mu + mu ** 2 / theta[:, None]
    w = mu ** 2 / var
    cov = np.linalg.pinv((Xm.T[None, :, :] * w[:, None, :]) @ X)
    return beta, cov, mu, converged


def _solve(a, b):
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return (np.linalg.pinv(a) @ b[..., None])[..., 0]


def _deviance(Y, mu, theta, mask):
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(Y > 0, Y * np.log(Y / mu), 0.0)
        th = theta[:, None]
        nb = np.isfinite(th)
        extra = np.where(nb, (Y + th) * np.log((Y + th) / (mu + th)), 0.0)
        unit = np.where(nb, ylog - extra, ylog - (Y - mu))
    return 2 * np.sum(np.where(mask, unit, 0.0), axis=1)


def _nb_loglik_parts(y, mu, th):
    return (special.gammaln(y + th) - special.gammaln(th) - special.gammaln(y + 1)
            + th * np.log(th) + y * np.log(mu) - (th + y) * np.log(th + mu))


def theta_ml(y: np.ndarray, mu: np.ndarray, *, theta0: float | None = None,
             tol: float = 1e-12, maxiter: int = 100) -> tuple[float, float]:
    """ML estimate of the NB shape for fixed means, and its SE, as ``MASS::theta.ml``.

    Newton's method on the score with the observed information; SE = 1/sqrt(information).
    """
    y = np.asarray(y, float)
    mu = np.asarray(mu, float)
    n = len(y)
    th = theta0 if theta0 is not None else n / np.sum((y / mu - 1) ** 2)
    th = float(np.clip(th, 1e-3, 1e7))

    def score(t):
        return np.sum(special.digamma(t + y) - special.digamma(t) + np.log(t) + 1
                      - np.log(t + mu) - (y + t) / (mu + t))

    def info(t):
        return np.sum(-special.polygamma(1, t + y) + special.polygamma(1, t) - 1 / t
                      + 2 / (mu + t) - (y + t) / (mu + t) ** 2)

    for _ in range(maxiter):
        i = info(th)
        step = score(th) / i if i > 0 else 0.0
        new = th + step
        if not np.isfinite(new) or new <= 0:
            new = th / 2
        if abs(new - th) <= tol * max(th, 1.0):
            th = new
            break
        th = new
        if th > 1e8:  # no overdispersion left to estimate
            return np.inf, np.nan
    i = info(th)
    return float(th), float(1 / np.sqrt(i)) if i > 0 else np.nan


def fit_glm(X: np.ndarray, y: np.ndarray, *, offset: np.ndarray | None = None,
            family: str = "poisson", mask: np.ndarray | None = None, tol: float = 1e-12,
            maxiter: int = 100) -> GLMFit:
    """Fit one or several (rows of ``y``) log-link count GLMs with design ``X``.

    ``family`` is ``"poisson"``, ``"quasipoisson"`` (same fit, Pearson dispersion) or
    ``"negbin"`` (theta by maximum likelihood, alternating with IRLS as ``MASS::glm.nb``).
    """
    X = np.asarray(X, float)
    Y = np.atleast_2d(np.asarray(y, float))
    S, n = Y.shape
    off = np.zeros((S, n)) if offset is None else np.broadcast_to(np.asarray(offset, float), (S, n))
    mask = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, bool)
    p = X.shape[1]
    theta = np.full(S, np.inf)
    theta_se = np.full(S, np.nan)
    beta, cov, mu, conv = _irls(X, Y, off, mask, theta, tol, maxiter)
    if family == "negbin":
        for s in range(S):
            th_s = np.array([np.inf])
            b_s = beta[s:s + 1]
            ll_old = -np.inf
            for _ in range(200):
                th, se = theta_ml(Y[s, mask], mu[s, mask],
                                  theta0=None if not np.isfinite(th_s[0]) else th_s[0])
                th_s = np.array([th])
                b_s, c_s, m_s, cv = _irls(X, Y[s:s + 1], off[s:s + 1], mask, th_s, tol, maxiter,
                                          start=b_s)
                mu[s] = m_s[0]
                ll = (np.sum(_nb_loglik_parts(Y[s, mask], m_s[0, mask], th))
                      if np.isfinite(th) else -np.inf)
                if abs(ll - ll_old) <= tol * (abs(ll) + 1):
                    break
                ll_old = ll
            th, se = theta_ml(Y[s, mask], mu[s, mask], theta0=th_s[0])
            beta[s], cov[s], conv[s] = b_s[0], c_s[0], cv[0]
            theta[s], theta_se[s] = th, se
    elif family not in ("poisson", "quasipoisson"):
        raise ValueError(f"family must be 'poisson', 'quasipoisson' or 'negbin', not {family!r}")
    var = mu + mu ** 2 / theta[:, None]
    pearson = np.sum(np.where(mask, (Y - mu) ** 2 / var, 0.0), axis=1)
    dev = _deviance(Y, mu, theta, mask)
    return GLMFit(beta, cov, mu, Y, X, off, mask, theta, theta_se, dev, pearson,
                  int(mask.sum()) - p, conv)


def newey_west_lag(n: int) -> int:
    """Newey & West (1994) rule of thumb for the Bartlett lag: floor(4 (n/100)^(2/9))."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def hac_cov(fit: GLMFit, lag: int) -> np.ndarray:
    """Newey-West (Bartlett) sandwich, ``sandwich::NeweyWest(lag, prewhite=FALSE, adjust=FALSE)``.

    The scores are those of the Poisson / NB likelihood; for a quasi-Poisson fit this is the
    Poisson sandwich (robust to any dispersion), which is what ``NeweyWest`` gives for the
    Poisson fit of the same model.
    """
    sc = fit.scores()[:, fit.mask, :]
    sct = sc.transpose(0, 2, 1)
    meat = sct @ sc
    for k in range(1, lag + 1):
        g = sct[:, :, k:] @ sc[:, :-k]
        meat = meat + (1 - k / (lag + 1)) * (g + g.transpose(0, 2, 1))
    b = fit.cov_unscaled
    return b @ meat @ b


def residual_autocov(pearson: np.ndarray, mask: np.ndarray, max_lag: int = 2) -> np.ndarray:
    """Autocovariances (lag 0..max_lag) of Pearson residuals over consecutive fitted months.

    Divided by the number of fitted months (the usual biased estimator, which keeps the implied
    covariance matrix positive semi-definite). Shape (S, max_lag + 1).
    """
    r = np.where(mask, pearson, 0.0)
    both = mask.astype(float)
    n = mask.sum()
    out = np.empty((r.shape[0], max_lag + 1))
    for k in range(max_lag + 1):
        if k == 0:
            out[:, 0] = np.sum(r * r, axis=1) / n
        else:
            pair = both[k:] * both[:-k]
            out[:, k] = np.sum(r[:, k:] * r[:, :-k] * pair, axis=1) / n
    return out


def ar_noise_cov(fit: GLMFit, *, rho: float | np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sandwich with an "AR(1) plus white noise" covariance of the Pearson residuals.

    Monthly crime counts are Poisson noise around a slowly wandering rate. On the Pearson scale
    that is white noise plus a latent AR(1): autocovariance g0 at lag 0 and s2 * rho^k at lag
    k >= 1 (an ARMA(1,1) in disguise). ``rho`` may be given (pooled over donor kommuner, which
    is far more precise than one series' estimate); otherwise it is g2/g1 of the series itself.
    s2 = g1 / rho, capped at g0. Returns (covariance matrices (S, p, p), rho used (S,)).
    """
    g = residual_autocov(fit.pearson, fit.mask, 2)
    S = g.shape[0]
    if rho is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.where(g[:, 1] > 0, g[:, 2] / g[:, 1], 0.0)
    rho = np.clip(np.broadcast_to(np.asarray(rho, float), (S,)), 0.0, 0.95)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(rho > 0, np.maximum(g[:, 1], 0.0) / rho, 0.0)
    s2 = np.minimum(s2, g[:, 0])
    idx = np.flatnonzero(fit.mask)
    lags = np.abs(np.subtract.outer(idx, idx))
    R = s2[:, None, None] * rho[:, None, None] ** lags[None]
    d = np.arange(len(idx))
    R[:, d, d] = g[:, [0]]
    w = fit.mu ** 2 / fit.variance
    A = fit.X[None, fit.mask, :] * np.sqrt(w[:, fit.mask])[:, :, None]
    meat = A.transpose(0, 2, 1) @ (R @ A)
    b = fit.cov_unscaled
    return b @ meat @ b, rho


def pooled_rho(fits_pearson: np.ndarray, mask: np.ndarray) -> float:
    """One AR coefficient for many series: sum of lag-2 over sum of lag-1 autocovariances."""
    g = residual_autocov(fits_pearson, mask, 2)
    g1, g2 = np.sum(g[:, 1]), np.sum(g[:, 2])
    return float(np.clip(g2 / g1, 0.0, 0.95)) if g1 > 0 else 0.0
