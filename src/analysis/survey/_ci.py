"""Confidence intervals for proportions as R's ``svyciprop``, vectorised over domains.

Methods: ``logit`` (R's default: Wald on the logit scale of the ``svyglm`` fit), ``likelihood``
(profile of the design-scaled deviance, Rao-Scott), ``beta`` (Korn & Graubard 1998), ``xlogit``
(delta method on the logit), ``asin`` and ``mean`` (Wald on the proportion). Used by
:func:`analysis.survey.estimates.proportion` and the quantile CIs.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ._rmath import qcrit, r_approx, r_spline

__all__ = ["CI_METHODS", "proportion_ci", "wald_ci", "ProfileInputs"]

CI_METHODS = ("logit", "likelihood", "beta", "xlogit", "asin", "mean")


def wald_ci(est, se, level, df):
    q = qcrit(1 - (1 - level) / 2, df)
    return est - q * se, est + q * se


def _expit(x):
    with np.errstate(over="ignore"):
        return np.exp(x) / (1 + np.exp(x))


class ProfileInputs:
    """Per-domain sums the likelihood profile needs (see :func:`_likelihood`)."""

    def __init__(self, Y, N, n_pos, mean_w, n_rows_model, replicate, irls1, mean_w_model):
        self.Y, self.N = Y, N                      # sum w*y, sum w
        self.n_pos = n_pos                         # rows with non-zero weight (svyvar's n)
        self.mean_w = mean_w                       # mean weight of the glm's rows (rescale=TRUE)
        self.n_rows_model = n_rows_model           # NROW(Y) of the glm
        self.replicate = replicate                 # summary.svrepglm's dispersion
        self.irls1 = irls1                         # (A1, B1, dev_init) of glm's first iteration
        self.mean_w_model = mean_w_model           # mean weight of the design svyglm keeps


def _glm_path(inp: ProfileInputs, i):
    """glm.fit's IRLS for the intercept-only quasibinomial fit of svyciprop.

    Returns the final coefficient and sum(W mu(1-mu)) of the working weights used in the last
    weighted least-squares step, which summary.glm's unscaled covariance (``naive.cov``) uses.
    Weights are the rescaled ``W = w / mean(w)`` of svyglm.
    """
    A1, B1, dev_init = (a[i] for a in inp.irls1)
    Yw, Nw = inp.Y[i] / inp.mean_w[i], inp.N[i] / inp.mean_w[i]
    beta, a_last = B1 / A1, A1
    devold, dev = dev_init, _dev(_expit(beta), Yw, Nw)
    for _ in range(24):  # glm.control(maxit = 25)
        if abs(dev - devold) / (abs(dev) + 0.1) < 1e-8:
            break
        mu = _expit(beta)
        a_last = Nw * mu * (1 - mu)
        beta = beta + (Yw - Nw * mu) / a_last
        devold, dev = dev, _dev(_expit(beta), Yw, Nw)
    return beta, a_last


def glm_logit(p_target, beta_start, maxit=25):
    """Coefficients glm.fit reaches for logit(p_target) from ``beta_start`` (normalised weights).

    svyglm on a replicate design refits every replicate with ``glm.fit(start = beta0)``; for a
    replicate proportion of 0 or 1 the fit stops where the deviance stops changing, as here.
    """
    p = np.asarray(p_target, dtype=float)
    beta = np.broadcast_to(np.asarray(beta_start, dtype=float), p.shape).copy()

    def dev(b):
        mu = _expit(b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return -2.0 * (np.where(p > 0, p * np.log(mu), 0.0) + np.where(p < 1, (1 - p) * np.log1p(-mu), 0.0))

    devold = dev(beta)
    active = np.isfinite(p) & np.isfinite(beta)
    for _ in range(maxit):
        if not active.any():
            break
        mu = _expit(beta[active])
        beta[active] = beta[active] + (p[active] - mu) / (mu * (1 - mu))
        d = dev(beta)
        done = np.abs(d - devold) / (np.abs(d) + 0.1) < 1e-8
        devold = d
        active &= ~done
    return np.where(np.isfinite(p), beta, np.nan)


def _scaled_dev_unit(inp: ProfileInputs, i):
    """Dispersion times the weight scale, so that zz = (dev_w(b) - dev_w(p)) / this.

    svyglm fits with weights w/mean(w). Its Pearson residuals leave the sampling weights out,
    so svyvar() of them is n/(n-1) at the fitted proportion (summary.svyglm) -- times the ratio
    of the mean weight after and before svyglm drops missing answers, because residuals.svyglm
    rescales by the former and the prior weights by the latter. On replicate designs
    summary.svrepglm's dispersion is sum(w)/mean(w).
    """
    if inp.replicate:
        return inp.N[i]
    n = inp.n_pos[i]
    return inp.mean_w_model[i] * n / (n - 1)


def _dev(p, Y, N):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -2.0 * (np.where(Y > 0, Y * np.log(p), 0.0) + np.where(N - Y > 0, (N - Y) * np.log1p(-p), 0.0))


_EPS = np.finfo(float).eps


def _linkinv(eta):
    """binomial()$linkinv: the logistic function, clamped at |eta| > 30 as R's C code does."""
    t = np.where(eta < -30, _EPS, np.where(eta > 30, 1 / _EPS, np.exp(np.clip(eta, -30, 30))))
    return t / (1 + t)


def _likelihood(p, var_logit, level, df, inp: ProfileInputs):
    """confint.svyglm(method="likelihood") for an intercept-only quasibinomial svyglm."""
    lo = np.full(p.shape, np.nan)
    hi = np.full(p.shape, np.nan)
    for i in range(p.size):
        pi = p.flat[i]
        if not (0 < pi < 1) or not np.isfinite(var_logit.flat[i]) or var_logit.flat[i] <= 0:
            continue
        d = df if np.ndim(df) == 0 else df.flat[i]
        if not d > 0:
            continue
        se = np.sqrt(var_logit.flat[i])
        b0, a_last = _glm_path(inp, i)
        lam = var_logit.flat[i] * a_last
        alpha = stats.norm.cdf(qcrit((1 - level) / 2, d) * np.sqrt(lam)) / 2
        n_model = inp.n_rows_model[i]
        # qf(alpha, 1, n - 1, lower.tail = FALSE) via t: scipy's F inverse loses tiny tails
        zmax = stats.t.isf(alpha / 2, n_model - 1)
        step_size = zmax / 5
        disp = _scaled_dev_unit(inp, i)
        dev0 = _dev(_expit(b0), inp.Y[i], inp.N[i])
        pars, zs = [b0], [0.0]
        for sgn in (-1, 1):
            z, step = 0.0, 0
            while True:
                step += 1
                if not (step < 10 and abs(z) < zmax):
                    break
                bi = b0 + sgn * step * step_size * se
                zz = (_dev(_linkinv(bi), inp.Y[i], inp.N[i]) - dev0) / disp
                zz = max(zz, 0.0) if zz > -0.001 else zz
                z = sgn * np.sqrt(zz)
                pars.append(bi)
                zs.append(z)
        order = np.argsort(zs, kind="stable")
        u, v = r_spline(np.asarray(pars)[order], np.asarray(zs)[order])
        cut = stats.norm.ppf(2 * alpha)
        ci = r_approx(v, u, np.array([cut, -cut]))
        lo.flat[i], hi.flat[i] = _expit(ci)
    return lo, hi


def proportion_ci(method, p, var, level, df, *, var_logit=None, n_rows=None, degf=None,
                  n_resp=None, profile: ProfileInputs | None = None):
    """CI bounds of proportions ``p`` with sampling variance ``var``.

    ``var_logit`` overrides the delta-method variance of ``logit(p)`` (replicate designs
    estimate it from the replicates, as ``svyglm`` on a replicate design does). ``n_rows`` and
    ``degf`` are the design size and degrees of freedom behind Korn-Graubard's effective
    sample size correction.
    """
    p = np.asarray(p, dtype=float)
    var = np.asarray(var, dtype=float)
    se = np.sqrt(var)
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "mean":
            return wald_ci(p, se, level, df)
        if method in ("logit", "xlogit", "likelihood"):
            delta = var / (p * (1 - p)) ** 2
            vl = delta if (var_logit is None or method == "xlogit") else np.asarray(var_logit)
            if method == "likelihood":
                return _likelihood(p, vl, level, df, profile)
            eta = np.log(p / (1 - p))
            q = qcrit(1 - alpha / 2, df)
            lo, hi = _expit(eta - q * np.sqrt(vl)), _expit(eta + q * np.sqrt(vl))
            bad = ~((p > 0) & (p < 1)) | ~(np.asarray(df, dtype=float) > 0)
            return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)
        if method == "asin":
            eta = np.arcsin(np.sqrt(p))
            s = np.where(var == 0, 0.0, se / (2 * np.sqrt(p * (1 - p))))
            q = qcrit(1 - alpha / 2, df)
            return np.sin(eta - q * s) ** 2, np.sin(eta + q * s) ** 2
        if method == "beta":
            # with no variance (a proportion of 0 or 1) the effective size is the respondent
            # count: the interval is then Clopper-Pearson's, [0, upper] or [lower, 1]
            edge = (p == 0) | (p == 1)
            n_eff = np.where(var > 0, p * (1 - p) / np.where(var > 0, var, 1.0), np.where(edge, n_resp, np.inf))
            n_eff = n_eff * (qcrit(alpha / 2, np.asarray(n_rows, float) - 1) / qcrit(alpha / 2, degf)) ** 2
            a1, b1 = n_eff * p, n_eff * (1 - p) + 1
            a2, b2 = n_eff * p + 1, n_eff * (1 - p)
            lo = np.where(a1 == 0, 0.0, stats.beta.ppf(alpha / 2, np.where(a1 > 0, a1, np.nan), b1))
            hi = np.where(b2 == 0, 1.0, stats.beta.ppf(1 - alpha / 2, a2, np.where(b2 > 0, b2, np.nan)))
            fixed = np.isinf(n_eff)  # no sampling variance (e.g. calibrated to a known share)
            return np.where(fixed, p, lo), np.where(fixed, p, hi)
    raise ValueError(f"unknown CI method {method!r}; expected one of {', '.join(CI_METHODS)}")
