"""R's ``glm.fit`` (IRLS) for the families ``svyglm`` uses, reproduced step for step.

svyglm's standard errors use the working weights of glm.fit's *last* iteration (computed before
its final update) and its starting values depend on the family's ``initialize``; both matter at
1e-6, so the iteration, the convergence rule and R's C-level link functions are followed
exactly. Used by :mod:`analysis.survey.regression`; nothing here is public API.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

__all__ = ["FAMILIES", "Family", "glm_fit", "GlmFit"]

_EPS = np.finfo(float).eps


def _rsum(x):
    return float(np.sum(np.asarray(x, dtype=np.longdouble)))


@dataclass(frozen=True)
class Family:
    """A GLM family with R's link, variance, deviance residuals and starting values."""

    name: str
    link: str
    fixed_dispersion: bool

    def linkfun(self, mu):
        if self.link == "identity":
            return mu
        if self.link == "logit":
            return np.log(mu / (1 - mu))
        return np.log(mu)

    def linkinv(self, eta):
        if self.link == "identity":
            return eta
        if self.link == "logit":  # R's C logit_linkinv: clamped at |eta| > 30
            t = np.where(eta < -30, _EPS, np.where(eta > 30, 1 / _EPS, np.exp(np.clip(eta, -30, 30))))
            return t / (1 + t)
        return np.maximum(np.exp(eta), _EPS)

    def mu_eta(self, eta):
        if self.link == "identity":
            return np.ones_like(eta)
        if self.link == "logit":
            e = np.exp(np.clip(eta, -30, 30))
            return np.where(np.abs(eta) > 30, _EPS, e / (1 + e) ** 2)
        return np.maximum(np.exp(eta), _EPS)

    def variance(self, mu):
        if self.name == "gaussian":
            return np.ones_like(mu)
        if self.name in ("binomial", "quasibinomial"):
            return mu * (1 - mu)
        return mu

    def dev_resids(self, y, mu, wt):
        if self.name == "gaussian":
            return wt * (y - mu) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.name in ("binomial", "quasibinomial"):
                a = np.where(y > 0, y * np.log(y / mu), 0.0)
                b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
                return 2 * wt * (a + b)
            r = mu * wt
            return 2 * np.where(y > 0, wt * (y * np.log(np.where(y > 0, y, 1.0) / mu) - (y - mu)), r)

    def mustart(self, y, wt):
        if self.name in ("binomial", "quasibinomial"):
            return (wt * y + 0.5) / (wt + 1)
        if self.name in ("poisson", "quasipoisson"):
            return y + 0.1
        return y.astype(float)

    def valid_mu(self, mu):
        if self.name in ("binomial", "quasibinomial"):
            return bool(np.all(np.isfinite(mu)) and np.all((mu > 0) & (mu < 1)))
        if self.name in ("poisson", "quasipoisson"):
            return bool(np.all(np.isfinite(mu)) and np.all(mu > 0))
        return True


#: The families of :func:`analysis.survey.regression.svyglm` (R names).
FAMILIES = {
    "gaussian": Family("gaussian", "identity", False),
    "binomial": Family("binomial", "logit", True),
    "quasibinomial": Family("quasibinomial", "logit", False),
    "poisson": Family("poisson", "log", True),
    "quasipoisson": Family("quasipoisson", "log", False),
}


@dataclass(frozen=True)
class GlmFit:
    coef: np.ndarray        # (p,)
    eta: np.ndarray         # (n,) final linear predictor
    mu: np.ndarray          # (n,)
    working_w: np.ndarray   # (n,) glm.object$weights (0 where not used)
    xtwx_inv: np.ndarray    # (p, p) summary.glm cov.unscaled
    iterations: int
    converged: bool
    deviance: float


def glm_fit(X: np.ndarray, y: np.ndarray, weights: np.ndarray, family: Family, *,
            start: np.ndarray | None = None, maxit: int = 25, epsilon: float = 1e-8) -> GlmFit:
    """``glm.fit(X, y, weights, family=, start=)`` with ``glm.control(epsilon, maxit)``.

    Rows with zero weight take no part (R's ``good``); the returned working weights are
    those of the last weighted least-squares step, as ``glm.object$weights``.
    """
    n, p = X.shape
    if start is None:
        yy = np.where(weights == 0, 0.0, y) if family.link == "logit" else y
        eta = family.linkfun(family.mustart(yy, weights))
    else:
        eta = X @ start
    mu = family.linkinv(eta)
    devold = _rsum(family.dev_resids(y, mu, weights))
    coef = np.zeros(p) if start is None else np.asarray(start, float).copy()
    coefold = None if start is None else coef.copy()
    converged = False
    it = 0
    w_last = np.zeros(n)
    good = weights > 0
    for it in range(1, maxit + 1):
        mu_eta = family.mu_eta(eta)
        good = (weights > 0) & (mu_eta != 0)
        z = eta[good] + (y[good] - mu[good]) / mu_eta[good]
        w = np.sqrt(weights[good] * mu_eta[good] ** 2 / family.variance(mu[good]))
        Xw = X[good] * w[:, None]
        new, *_ = np.linalg.lstsq(Xw, z * w, rcond=None)
        w_last = np.zeros(n)
        w_last[good] = w ** 2
        eta_new = X @ new
        mu_new = family.linkinv(eta_new)
        dev = _rsum(family.dev_resids(y, mu_new, weights))
        halvings = 0
        while (not np.isfinite(dev) or not family.valid_mu(mu_new)) and coefold is not None and halvings < maxit:
            new = (new + coefold) / 2  # R: step halving towards the previous coefficients
            eta_new = X @ new
            mu_new = family.linkinv(eta_new)
            dev = _rsum(family.dev_resids(y, mu_new, weights))
            halvings += 1
        coef, eta, mu = new, eta_new, mu_new
        if abs(dev - devold) / (abs(dev) + 0.1) < epsilon:
            converged = True
            break
        devold = dev
        coefold = coef.copy()
    # summary.glm: chol2inv of the R factor of the last weighted least-squares step
    r = np.linalg.qr(X[good] * np.sqrt(w_last[good])[:, None], mode="r")
    r_inv = solve_triangular(r, np.eye(p))
    xtwx_inv = r_inv @ r_inv.T
    return GlmFit(coef, eta, mu, w_last, xtwx_inv, it, converged, dev)
