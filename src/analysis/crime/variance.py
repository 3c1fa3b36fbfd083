"""Variances of count GLMs of monthly series: Newey–West, block dispersion, AR(1)-plus-noise.

Monthly crime counts are not independent: a slowly wandering rate makes neighbouring months
alike. These are the variance pieces the trends, period comparisons and the measure evaluation
put on top of the one IRLS core in :mod:`analysis.crime.glm`. Months left out of a fit (weight
0, e.g. a transition window) keep their place in time: a lag is a distance in months, which is
the standard Newey–West definition of :func:`analysis.crime.glm.hac_meat` (``docs/crime-statistics.md``, "Gaps and HAC").
"""

from __future__ import annotations

import numpy as np

from .glm import BatchGLMResult, fit_batch  # fit_batch: used by the doctests


__all__ = ["check_floor", "newey_west_lag", "block_dispersion", "residual_autocov",
           "ar_noise_cov", "pooled_rho"]


def check_floor(value) -> float:
    """The ``dispersion_floor`` keyword of the crime statistics and the evaluation, checked.

    Quasi-likelihood intervals use ``max(phi, floor)``; the default floor 1 keeps them never
    narrower than the Poisson interval, because an estimated dispersion below 1 is, at the
    few degrees of freedom of a kommun's series, almost always noise
    (``docs/crime-statistics.md``, "The dispersion floor"). 0 turns the floor off.

    Examples
    --------
    >>> check_floor(1), check_floor(0)
    (1.0, 0.0)
    >>> check_floor(-1)
    Traceback (most recent call last):
    ...
    ValueError: dispersion_floor must be a number >= 0 (1 = never below Poisson, 0 = no floor), got -1
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not v >= 0 or isinstance(value, bool):
        raise ValueError("dispersion_floor must be a number >= 0 (1 = never below Poisson, "
                         f"0 = no floor), got {value!r}")
    return v


def newey_west_lag(n: int) -> int:
    """Newey & West (1994) rule of thumb for the Bartlett lag: floor(4 (n/100)^(2/9)).

    Examples
    --------
    >>> [newey_west_lag(n) for n in (59, 96, 132, 200)]
    [3, 3, 4, 4]
    """
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def block_dispersion(fit: BatchGLMResult, *, block: int = 12, n_params: int = 2,
                     mask=None) -> tuple[np.ndarray, np.ndarray]:
    """Extra-Poisson dispersion of block sums ("batch means"), robust to autocorrelation.

    Observed and fitted counts are summed over consecutive blocks of ``block`` observations
    (counted back from the last observation with positive weight; a shorter remainder at the
    start joins the first block) and ``phi_B = sum_b (O_b - E_b)^2 / E_b / (B - n_params)``.
    Month-to-month correlation inside a year inflates phi_B as it inflates the variance of
    annual totals, which the monthly Pearson dispersion misses.

    Parameters
    ----------
    fit : BatchGLMResult
        A Poisson fit of S monthly series.
    block : int
        Block length in observations (12 = years of monthly data).
    n_params : int
        Parameters that vary between blocks (intercept, slope, level shifts, joinpoints);
        seasonal terms average out within a year and are not counted.
    mask : ndarray (S, n) of bool, optional
        Observations to use (default: positive weight).

    Returns
    -------
    phi, df : ndarray (S,)
        Dispersion (NaN when ``df < 1``) and its degrees of freedom ``B - n_params``.

    References
    ----------
    Schmeiser, B. (1982). Batch size effects in the analysis of simulation output. Operations
    Research 30, 556-568. Ibragimov, R. and Müller, U. K. (2010). t-statistic based correlation
    and heterogeneity robust inference. JBES 28, 453-468.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> X = np.column_stack([np.ones(120), np.arange(120) / 12])
    >>> fit = fit_batch(rng.poisson(20.0, size=(2, 120)), X)
    >>> phi, df = block_dispersion(fit)
    >>> df.tolist()
    [8.0, 8.0]
    """
    use = (fit.weights > 0) if mask is None else np.asarray(mask, bool)
    S, n = fit.y.shape
    phi = np.full(S, np.nan)
    dfs = np.zeros(S)
    O_all = np.where(use, fit.y, 0.0)
    E_all = np.where(use, fit.mu, 0.0)
    for s in range(S) if S < 64 else ():
        phi[s], dfs[s] = _block_one(O_all[s], E_all[s], use[s], block, n_params)
    if S >= 64:
        # common observation pattern is the rule for panels: vectorise per pattern
        if (use == use[0]).all():
            pats, inv = use[:1], np.zeros(S, dtype=int)
        else:
            pats, inv = np.unique(use, axis=0, return_inverse=True)
        for k, pat in enumerate(pats):
            sel = np.flatnonzero(inv.ravel() == k)
            ids = _block_ids(pat, block)
            if ids is None:
                continue
            B = ids.max() + 1
            M = np.zeros((n, B))
            M[np.flatnonzero(pat), ids[pat]] = 1.0
            O, E = O_all[sel] @ M, E_all[sel] @ M
            df = B - n_params
            dfs[sel] = df
            if df >= 1:
                with np.errstate(divide="ignore", invalid="ignore"):
                    phi[sel] = np.sum(np.where(E > 0, (O - E) ** 2 / E, 0.0), axis=1) / df
    phi[~fit.estimable] = np.nan
    return phi, dfs


def _block_ids(pat: np.ndarray, block: int):
    pos = np.flatnonzero(pat)
    if pos.size == 0:
        return None
    k = pos.size
    ids_used = (k - 1 - np.arange(k)) // block  # 0 = last block
    nb = ids_used.max() + 1
    if nb > 1 and k % block:
        ids_used = np.minimum(ids_used, nb - 2)  # short start joins the first full block
    ids = np.full(pat.size, -1)
    ids[pos] = ids_used.max() - ids_used
    return ids


def _block_one(O, E, use, block, n_params):
    ids = _block_ids(use, block)
    if ids is None:
        return np.nan, 0.0
    B = ids.max() + 1
    Ob = np.bincount(ids[use], weights=O[use], minlength=B)
    Eb = np.bincount(ids[use], weights=E[use], minlength=B)
    df = B - n_params
    if df < 1:
        return np.nan, float(df)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(np.where(Eb > 0, (Ob - Eb) ** 2 / Eb, 0.0)) / df), float(df)


def residual_autocov(pearson: np.ndarray, mask: np.ndarray, max_lag: int = 2) -> np.ndarray:
    """Autocovariances (lag 0..max_lag) of Pearson residuals over the fitted months.

    A pair of months counts at lag k when both were fitted; the sum is divided by the number
    of fitted months (the usual biased estimator, which keeps the implied covariance matrix
    positive semi-definite). Shape (S, max_lag + 1).
    """
    mask = np.asarray(mask, bool)
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


def _common_mask(fit: BatchGLMResult) -> np.ndarray:
    use = fit.weights > 0
    if not (use == use[0]).all():
        raise ValueError("the series of this fit leave out different months; fit them apart")
    return use[0]


def ar_noise_cov(fit: BatchGLMResult, *, rho: float | np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Sandwich with an "AR(1) plus white noise" covariance of the Pearson residuals.

    Monthly crime counts are Poisson noise around a slowly wandering rate. On the Pearson scale
    that is white noise plus a latent AR(1): autocovariance g0 at lag 0 and s2 * rho^k at lag
    k >= 1 (an ARMA(1,1) in disguise). ``rho`` may be given (pooled over donor kommuner, which
    is far more precise than one series' estimate); otherwise it is g2/g1 of the series itself.
    s2 = g1 / rho, capped at g0. Lags are distances in months (left-out months keep their
    place). Returns (covariance matrices (S, p, p), rho used (S,)).
    """
    mask = _common_mask(fit)
    g = residual_autocov(fit.pearson_residuals, mask, 2)
    S = g.shape[0]
    if rho is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.where(g[:, 1] > 0, g[:, 2] / g[:, 1], 0.0)
    rho = np.clip(np.broadcast_to(np.asarray(rho, float), (S,)), 0.0, 0.95)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(rho > 0, np.maximum(g[:, 1], 0.0) / rho, 0.0)
    s2 = np.minimum(s2, g[:, 0])
    idx = np.flatnonzero(mask)
    lags = np.abs(np.subtract.outer(idx, idx))
    R = s2[:, None, None] * rho[:, None, None] ** lags[None]
    d = np.arange(len(idx))
    R[:, d, d] = g[:, [0]]
    w = fit.mu ** 2 / fit.variance
    A = fit.X[None, mask, :] * np.sqrt(w[:, mask])[:, :, None]
    meat = A.transpose(0, 2, 1) @ (R @ A)
    b = fit.cov_unscaled
    return b @ meat @ b, rho


def pooled_rho(pearson: np.ndarray, mask: np.ndarray) -> float:
    """One AR coefficient for many series: sum of lag-2 over sum of lag-1 autocovariances."""
    g = residual_autocov(pearson, mask, 2)
    g1, g2 = np.sum(g[:, 1]), np.sum(g[:, 2])
    return float(np.clip(g2 / g1, 0.0, 0.95)) if g1 > 0 else 0.0
