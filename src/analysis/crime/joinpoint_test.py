"""How many joinpoints? The sequential permutation test of Kim et al. (2000), as NCI Joinpoint.

:func:`analysis.crime.joinpoints.joinpoints` fits the 0..K-joinpoint models; this module decides
between them: a sequence of tests of ``k_a`` against ``k_b`` joinpoints, each a permutation test
of the residuals of the ``k_a`` model, each at NCI's level ``alpha / (K - k_a)``. Monthly crime
counts are autocorrelated, so whole years of residuals are permuted (a block permutation); with
``block=1`` it is Kim et al.'s permutation of single observations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .glm import fit_batch

__all__ = ["grid_combinations", "block_permutations", "permutation_selection", "grid_null_means"]


def grid_combinations(n: int, k: int, min_segment: int, *, max_combos: int = 20000) -> np.ndarray:
    """Joinpoint positions on the month grid: (C, k) indices, segments of ``min_segment`` months.

    A joinpoint at index i ends a segment there; the first joinpoint is at least
    ``min_segment - 1`` from the start, the last leaves ``min_segment`` months after it, and
    neighbours are ``min_segment`` apart. With more than ``max_combos`` combinations the grid is
    thinned to every 2nd, 3rd, ... month (NCI Joinpoint's grid search does the same).

    Examples
    --------
    >>> grid_combinations(10, 1, 4).ravel().tolist(), grid_combinations(12, 2, 4).tolist()
    ([3, 4, 5], [[3, 7]])
    >>> grid_combinations(50, 0, 12).shape
    (1, 0)
    """
    if k == 0:
        return np.zeros((1, 0), dtype=int)
    cand = np.arange(min_segment - 1, n - min_segment)
    step = 1
    while True:
        out = [[g] for g in cand[::step]]
        for _ in range(k - 1):
            out = [c + [g] for c in out for g in cand[::step] if g - c[-1] >= min_segment]
        if len(out) <= max_combos or step > 12:
            return np.array(out, dtype=int).reshape(-1, k)
        step += 1


def block_permutations(n: int, block: int, n_permutations: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Index arrays (n_permutations, n) that shuffle whole blocks of ``block`` observations.

    Blocks are counted back from the last observation (a shorter remainder at the start is a
    block of its own); inside a block the order is kept, so month-to-month correlation within
    a year survives the shuffle.

    Examples
    --------
    >>> block_permutations(5, 2, 1, np.random.default_rng(0)).tolist()
    [[3, 4, 0, 1, 2]]
    """
    if block < 1:
        raise ValueError("permutation_block must be at least 1")
    edges = list(range(n, 0, -block))[::-1]
    starts = [0] + edges[:-1]
    blocks = [np.arange(a, b) for a, b in zip(starts, edges)]
    out = np.empty((n_permutations, n), dtype=int)
    for i in range(n_permutations):
        out[i] = np.concatenate([blocks[j] for j in rng.permutation(len(blocks))])
    return out


def _min_sse(Zw, sw, Xb, t, combos, chunk=512, argmin=False):
    """Smallest weighted residual sum of squares over the joinpoint combinations, per column.

    By Frisch-Waugh: the base design (intercept, trend, season) is projected out once; each
    combination then adds only its k hinge columns, whose projection is ``a' G^-1 a`` with
    ``a`` and ``G`` from one product over all candidate months.
    """
    Q, _ = np.linalg.qr(Xb * sw[:, None])
    Zr = Zw - Q @ (Q.T @ Zw)
    base = np.sum(Zr ** 2, axis=0)
    if combos.shape[1] == 0:
        return (base, np.zeros(Zw.shape[1], dtype=int)) if argmin else base
    pos = np.unique(combos)
    U = np.maximum(t[:, None] - t[None, pos], 0.0) * sw[:, None]
    Ur = U - Q @ (Q.T @ U)
    G = Ur.T @ Ur
    A = Ur.T @ Zr
    idx = np.searchsorted(pos, combos)
    best = np.full(Zw.shape[1], np.inf)
    where = np.zeros(Zw.shape[1], dtype=int)
    for c0 in range(0, len(idx), chunk):
        c = idx[c0:c0 + chunk]
        Gs = G[c[:, :, None], c[:, None, :]]
        As = A[c]
        sse = base[None, :] - np.sum(As * np.linalg.solve(Gs, As), axis=1)
        i = sse.argmin(axis=0)
        m = sse[i, np.arange(sse.shape[1])]
        where = np.where(m < best, c0 + i, where)
        best = np.minimum(best, m)
    return (best, where) if argmin else best


def permutation_selection(y, offset, Xb, t, null_mu: dict, *, min_segment: int,
                          n_permutations: int = 999, alpha: float = 0.05, block: int = 12,
                          seed: int = 2000) -> tuple[int, pd.DataFrame]:
    """Number of joinpoints by the sequential permutation tests of Kim et al. (2000).

    Parameters
    ----------
    y, offset : ndarray (n,)
        Monthly counts and log person-years.
    Xb : ndarray (n, p)
        Base design: intercept, trend ``t``, seasonal terms.
    t : ndarray (n,)
        Time in years (the joinpoint grid).
    null_mu : dict
        ``{k: fitted means of the best k-joinpoint Poisson model}`` for k = 0..K.
    min_segment : int
        Months per segment.
    n_permutations : int
        Permuted series per test (NCI's default is 4 499; the p-value's Monte-Carlo SE near
        0.025 is 0.005 with 999).
    alpha : float
        Overall level: a test of ``k_a`` against ``k_b`` rejects when ``p < alpha / (K - k_a)``
        (NCI Joinpoint since version 3.0; it bounds ``P(k_hat > k_a | k = k_a)`` by alpha).
    block : int
        Months per permuted block (12: whole years; 1: single months as Kim et al.).
    seed : int
        Random seed (the result is reproducible).

    Returns
    -------
    k : int
        The selected number of joinpoints.
    tests : pandas.DataFrame
        One row per test: ``k_null``, ``k_alt``, ``statistic`` (``(SSE_a - SSE_b) / SSE_b``),
        ``p_value``, ``level``, ``rejected``, ``n_permutations``.

    Notes
    -----
    Each test works on the Poisson model linearised at the ``k_a`` fit (IRLS working response,
    weights ``mu``): the statistic of Kim et al. on the weighted sums of squares, minimised over
    the month grid for both models; permuted series are the ``k_a`` fit plus shuffled Pearson
    residuals. The overdispersion cancels from the statistic. The sequence starts at
    ``(0, K)``; a rejection raises ``k_a``, otherwise ``k_b`` falls, until they meet.

    References
    ----------
    Kim, H.-J., Fay, M. P., Feuer, E. J. and Midthune, D. N. (2000). Permutation tests for
    joinpoint regression with applications to cancer rates. Stat Med 19, 335-351 (correction
    2001, 20, 655). NCI Joinpoint help, "Permutation Test Details".
    """
    y = np.asarray(y, float)
    n = y.size
    K = max(null_mu)
    rng = np.random.default_rng(seed)
    perms = block_permutations(n, block, n_permutations, rng)
    combos = {k: grid_combinations(n, k, min_segment) for k in null_mu}
    rows = []
    ka, kb = 0, K
    while ka < kb:
        mu = null_mu[ka]
        sw = np.sqrt(mu)
        fitted = sw * (np.log(mu) - offset)   # the k_a model on the weighted working scale
        r = (y - mu) / sw                      # Pearson residuals
        Zw = np.column_stack([fitted + r, fitted[:, None] + r[perms].T])
        sse_a = _min_sse(Zw, sw, Xb, t, combos[ka])
        sse_b = _min_sse(Zw, sw, Xb, t, combos[kb])
        T = (sse_a - sse_b) / sse_b
        p = float((1 + np.sum(T[1:] >= T[0] - 1e-12 * abs(T[0]))) / (n_permutations + 1))
        level = alpha / (K - ka)
        rows.append(dict(k_null=ka, k_alt=kb, statistic=float(T[0]), p_value=p, level=level,
                         rejected=p < level, n_permutations=n_permutations))
        if p < level:
            ka += 1
        else:
            kb -= 1
    return ka, pd.DataFrame(rows, columns=["k_null", "k_alt", "statistic", "p_value", "level",
                                           "rejected", "n_permutations"])


def grid_null_means(y, offset, Xb, t, *, max_joinpoints: int, min_segment: int) -> dict:
    """Fitted means of the best 0..K-joinpoint models on the month grid, quickly.

    The grid optimum of each k is found on the Poisson model linearised at the current fit
    (two rounds), then the Poisson model is fitted there. :func:`joinpoints` refines the
    locations between months; this faster version serves the size and power simulation
    (``benchmarks/joinpoint_simulation.py``), where only the selection is studied.

    Examples
    --------
    >>> t = (np.arange(96) - 47.5) / 12
    >>> mu = 50 * np.exp(np.where(t < 0, 0.1 * t, -0.2 * t))
    >>> y = np.random.default_rng(1).poisson(mu).astype(float)
    >>> m = grid_null_means(y, np.zeros(96), np.column_stack([np.ones(96), t]), t,
    ...                     max_joinpoints=1, min_segment=24)
    >>> sorted(m), bool(np.sum((y - m[1]) ** 2 / m[1]) < np.sum((y - m[0]) ** 2 / m[0]))
    ([0, 1], True)
    """
    y = np.asarray(y, float)
    n = y.size
    mu0 = fit_batch(y[None, :], Xb, offset=offset[None, :]).mu[0]
    out = {0: mu0}
    for k in range(1, max_joinpoints + 1):
        combos = grid_combinations(n, k, min_segment)
        if combos.size == 0:
            break
        mu = mu0
        for _ in range(2):
            sw = np.sqrt(mu)
            z = sw * (np.log(mu) - offset + (y - mu) / mu)
            _, i = _min_sse(z[:, None], sw, Xb, t, combos, argmin=True)
            U = np.maximum(t[:, None] - t[combos[i[0]]][None, :], 0.0)
            mu = fit_batch(y[None, :], np.column_stack([Xb, U]), offset=offset[None, :]).mu[0]
        out[k] = mu
    return out
