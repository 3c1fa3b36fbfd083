"""The few distribution functions the evaluation draft needs, without importing scipy.stats.

``scipy.stats`` takes about 0.6 s to import (it builds every distribution and pulls in
ndimage, interpolate, integrate, fft, cluster and spatial), more than a tenth of a
one-measure evaluation draft. These are the same :mod:`scipy.special` functions that
``scipy.stats.norm``, ``t`` and ``chi2`` call, with the same answers
(``tests/test_special.py`` compares them over a grid, edge cases included).
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["norm_ppf", "norm_sf", "t_ppf", "t_sf", "chi2_sf"]


def _out(values):
    values = np.asarray(values, dtype=float)
    return values[()] if values.ndim == 0 else values  # a scalar in, a numpy scalar out


def norm_ppf(q):
    """``scipy.stats.norm.ppf(q)``."""
    return _out(special.ndtri(q))


def norm_sf(x):
    """``scipy.stats.norm.sf(x)``."""
    return _out(special.ndtr(-np.asarray(x, dtype=float)))


def t_ppf(q, df):
    """``scipy.stats.t.ppf(q, df)`` (``stdtrit`` alone gives +inf at q = 0)."""
    q, df = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    out = np.where(q == 0, -np.inf, special.stdtrit(df, q))
    return _out(np.where(df > 0, out, np.nan))


def t_sf(x, df):
    """``scipy.stats.t.sf(x, df)``."""
    df = np.asarray(df, dtype=float)
    return _out(np.where(df > 0, special.stdtr(df, -np.asarray(x, dtype=float)), np.nan))


def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)``: 1 below the support, NaN for ``df <= 0``."""
    x, df = np.asarray(x, dtype=float), np.asarray(df, dtype=float)
    out = np.where(x < 0, 1.0, special.chdtrc(df, np.maximum(x, 0)))
    return _out(np.where(df > 0, out, np.nan))
