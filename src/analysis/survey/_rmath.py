"""Numerical building blocks that R's answers depend on, reproduced exactly.

R survey's numbers rest on a few base-R routines whose details matter at 1e-6: ``sum`` and
``cumsum`` accumulate in long double, quantile rules compare cumulative weights exactly,
``spline()`` uses the Forsythe-Malcolm-Moler end conditions, and ``sample()`` draws from the
Mersenne-Twister with R's own seeding and rejection sampling. Used by the estimators and the
replicate-weight builder; nothing here is public API.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["qcrit", "r_sum", "r_cumsum", "QRULES", "qrule", "r_spline", "r_approx", "r_uniroot", "RRandom"]


def qcrit(p, df):
    """``qt(p, df)``, with ``df = inf`` giving ``qnorm(p)`` as in R; NaN for ``df <= 0``."""
    p = np.asarray(p, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(np.isinf(df), stats.norm.ppf(p), stats.t.ppf(p, np.where(df > 0, df, np.nan)))
    return out if out.ndim else float(out)


def r_sum(x: np.ndarray) -> float:
    """``sum(x)`` as R computes it (long-double accumulation, then rounded to double)."""
    return float(np.sum(np.asarray(x, dtype=np.longdouble)))


def r_cumsum(x: np.ndarray) -> np.ndarray:
    """``cumsum(x)`` as R computes it (long-double running sum, each value rounded)."""
    return np.cumsum(np.asarray(x, dtype=np.longdouble)).astype(np.float64)


# ----------------------------------------------------------------------------- quantile rules
# survey 4.x svyquantile(qrule=): "math" (default, hf1), "school" (hf2), "shahvaish", hf1-hf9.

def _qs(x, w, p):
    cumw = r_cumsum(w)
    total = r_sum(w)
    hits = np.flatnonzero(cumw <= p * total)
    pos = hits[-1] if hits.size else 0  # survey:::last() returns 1 (R index) when nothing is true
    posnext = pos if pos == len(x) - 1 else pos + 1
    wlow = p - cumw[pos] / total
    wup = cumw[posnext] / total - p
    return x[pos], x[posnext], pos + 1, wlow, wup


def _sorted(x, w):
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    return x[order], w[order]


def _q_math(x, w, p):
    qlow, qup, _, wlow, _ = _qs(x, w, p)
    return qlow if wlow == 0 else qup


def _q_school(x, w, p):
    qlow, qup, _, wlow, _ = _qs(x, w, p)
    return (qlow + qup) / 2 if wlow == 0 else qup


def _q_hf3(x, w, p):
    ux, inv = np.unique(x, return_inverse=True)
    uw = np.bincount(inv, weights=w)
    qlow, qup, ilow, wlow, _ = _qs(ux, uw, p)
    return qlow if (wlow == 0 and ilow % 2 == 0) else qup


def _q_hf4(x, w, p):
    qlow, qup, _, wlow, wup = _qs(x, w, p)
    if qlow == qup:  # at ties the interpolation is exact: 3(1 - g) + 3g can round to 2.9999999999999996
        return qlow
    gamma = wlow / (wup + wlow)
    return qlow * (1 - gamma) + qup * gamma


def _regularize(x, y):
    """R's ``regularize.values(x, y, ties = mean)``: sorted by x, y averaged over tied x."""
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    ux, inv = np.unique(x, return_inverse=True)
    if ux.size < x.size:
        return ux, np.bincount(inv, weights=y) / np.bincount(inv)
    return x, y


def _interp(pk, x, p, constant=False):
    if constant:  # approx(method="constant", f=0, rule=2), after regularize.values(ties=mean)
        pk, x = _regularize(pk, x)
        if p <= pk[0]:
            return x[0]
        if p >= pk[-1]:
            return x[-1]
        return x[np.searchsorted(pk, p, side="right") - 1]
    return r_approx(pk, x, np.array([p]), rule=2)[0]


def _q_linear(kind):
    def rule(x, w, p):
        n = len(x)
        cumw = r_cumsum(w)
        if kind == 5:
            pk = (cumw - w / 2) / cumw[-1]
        elif kind == 6:
            pk = cumw / (cumw[-1] + w[-1])
        elif kind == 7:
            pk = np.concatenate([[0.0], cumw[:-1]]) / cumw[n - 2] if n > 1 else np.array([0.0])
        elif kind == 8:
            pk = (np.concatenate([[0.0], cumw[:-1]]) / 3 + cumw * 2 / 3) / (cumw[-1] + w[-1] / 3)
        else:
            pk = (np.concatenate([[0.0], cumw[:-1]]) * 3 / 8 + cumw * 5 / 8) / (cumw[-1] + w[-1] / 4)
        return _interp(pk, x, p)
    return rule


def _q_shahvaish(x, w, p):
    n = len(x)
    wbar = w / (r_sum(w) / n)
    s = r_cumsum(wbar)
    pk = (s + 0.5 - w / 2) / (n + 1)
    return _interp(pk, x, p, constant=True)


QRULES = {"math": _q_math, "school": _q_school, "shahvaish": _q_shahvaish, "hf1": _q_math,
          "hf2": _q_school, "hf3": _q_hf3, "hf4": _q_hf4, "hf5": _q_linear(5),
          "hf6": _q_linear(6), "hf7": _q_linear(7), "hf8": _q_linear(8), "hf9": _q_linear(9)}


def qrule(name: str, x: np.ndarray, w: np.ndarray, p: float) -> float:
    """Weighted quantile ``p`` of ``x`` by survey's ``qrule_<name>`` (zero weights dropped)."""
    xs, ws = _sorted(np.asarray(x, dtype=float), np.asarray(w, dtype=float))
    if xs.size == 0:
        return float("nan")
    return float(QRULES[name](xs, ws, p))


# ----------------------------------------------------------------------------- spline / approx

def _fmm_coef(x, y):
    """Coefficients of R's ``spline(method="fmm")`` (Forsythe, Malcolm & Moler 1977)."""
    n = len(x)
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 2:
        return b, c, d
    if n < 3:
        t = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = t
        return b, c, d
    nm1 = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, nm1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[nm1] = -d[n - 2]
    c[0] = c[nm1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[nm1] = c[nm1] / b[nm1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
    for i in range(nm1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[nm1] = 3.0 * c[nm1]
    d[nm1] = d[n - 2]
    return b, c, d


def r_spline(x, y, n=None):
    """``spline(x, y, n = 3*length(x), method = "fmm")``: returns the evaluation grid and values."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = _regularize(x, y)
    n = 3 * len(x) if n is None else n
    b, c, d = _fmm_coef(x, y)
    u = np.linspace(x[0], x[-1], n)
    i = np.clip(np.searchsorted(x, u, side="right") - 1, 0, len(x) - 1)
    dx = u - x[i]
    return u, y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def r_approx(x, y, xout, rule=1):
    """``approx(x, y, xout, method="linear", ties=mean, rule=)``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = _regularize(x[ok], y[ok])
    xout = np.asarray(xout, dtype=float)
    out = np.interp(xout, x, y)
    if rule == 1:
        out = np.where((xout < x[0]) | (xout > x[-1]), np.nan, out)
    return out


# ----------------------------------------------------------------------------- R's RNG

class RRandom:
    """R's default generator: ``set.seed(seed)`` then ``sample()`` (Mersenne-Twister, Rejection).

    Reproduces the stream of R >= 3.6 with ``RNGkind("Mersenne-Twister", "Inversion",
    "Rejection")`` so that replicate weights drawn here equal those R draws after the same
    ``set.seed``.
    """

    _CHUNK = 1 << 16

    def __init__(self, seed: int):
        s = np.uint32(int(seed) & 0xFFFFFFFF)
        with np.errstate(over="ignore"):
            for _ in range(50):  # R's initial scrambling of the seed
                s = np.uint32(np.uint32(69069) * s + np.uint32(1))
            key = np.empty(625, dtype=np.uint32)
            for j in range(625):
                s = np.uint32(np.uint32(69069) * s + np.uint32(1))
                key[j] = s
        bitgen = np.random.MT19937()
        # key[0] becomes mti, which FixupSeeds sets to 624: the next draw regenerates the state
        bitgen.state = {"bit_generator": "MT19937", "state": {"key": key[1:], "pos": 624}}
        self._gen = bitgen
        self._buf = np.empty(0)
        self._pos = 0

    def _ensure(self, k):
        if self._buf.size - self._pos < k:
            more = max(k, self._CHUNK)
            raw = self._gen.random_raw(more).astype(np.float64) * 2.3283064365386963e-10
            raw = np.where(raw <= 0.0, 0.5 * 2.328306437080797e-10, raw)
            raw = np.where(1.0 - raw <= 0.0, 1.0 - 0.5 * 2.328306437080797e-10, raw)
            self._buf = np.concatenate([self._buf[self._pos:], raw])
            self._pos = 0

    def unif(self, k: int) -> np.ndarray:
        """The next ``k`` values of ``runif()``."""
        self._ensure(k)
        out = self._buf[self._pos:self._pos + k]
        self._pos += k
        return out

    @staticmethod
    def _bits(dn):
        return int(np.ceil(np.log2(dn)))

    def _candidates(self, bits, count):
        per = bits // 16 + 1
        self._ensure(per * count)
        u = self._buf[self._pos:self._pos + per * count].reshape(count, per)
        v = np.zeros(count, dtype=np.int64)
        for j in range(per):
            v = 65536 * v + np.floor(u[:, j] * 65536).astype(np.int64)
        return v & ((1 << bits) - 1), per

    def index(self, dn: int, size: int) -> np.ndarray:
        """``size`` draws of ``R_unif_index(dn)`` (0-based), i.e. ``sample.int(dn, size, TRUE) - 1``."""
        if size == 0:
            return np.zeros(0, dtype=np.int64)
        if dn <= 1:
            if dn == 1:  # R: bits = 0, one uniform per candidate, always accepted
                self.unif(size)
            return np.zeros(size, dtype=np.int64)
        bits = self._bits(dn)
        out, got = [], 0
        while got < size:
            count = max(2 * (size - got) + 16, 64)
            v, per = self._candidates(bits, count)
            ok = np.flatnonzero(v < dn)
            need = size - got
            if ok.size >= need:
                used = ok[need - 1] + 1
                out.append(v[ok[:need]])
                self._pos += used * per
                got = size
            else:
                out.append(v[ok])
                self._pos += count * per
                got += ok.size
        return np.concatenate(out)

    def _without_replacement(self, n: int, k: int) -> np.ndarray:
        # R's do_sample: x[j] is replaced by the last remaining element after each draw. The
        # candidates of one bit-width are drawn in a batch and scanned in order, which consumes
        # exactly the uniforms R consumes.
        x = np.arange(n)
        out = np.empty(k, dtype=np.int64)
        m, i = n, 0
        while i < k:
            if m <= 1:
                self.unif(1)
                out[i] = x[0]
                i += 1
                m -= 1
                continue
            bits = self._bits(m)
            count = min(max(2 * (k - i), 64), 1 << 20)
            v, per = self._candidates(bits, count)
            used = 0
            low = 1 << (bits - 1)
            for cand in v.tolist():
                used += 1
                if cand < m:
                    j = cand
                    out[i] = x[j]
                    i += 1
                    m -= 1
                    x[j] = x[m]
                    if i == k or m <= low:
                        break
            self._pos += used * per
        return out

    def permutation(self, n: int) -> np.ndarray:
        """``sample.int(n) - 1``: a random permutation drawn as R draws it."""
        return self._without_replacement(n, n)

    def choose(self, n: int, k: int) -> np.ndarray:
        """``sample.int(n, k) - 1`` without replacement."""
        return self._without_replacement(n, k)


# ----------------------------------------------------------------------------- uniroot

def r_uniroot(f, lower: float, upper: float, tol: float, maxiter: int = 1000) -> float:
    """``uniroot(f, c(lower, upper), tol = tol)$root``: R's Brent zeroin (``R_zeroin2``), step
    for step, so that a root of a step function lands on the same side of the step as in R."""
    big = np.finfo(float).max

    raw = f

    def f(x):  # R's fcn2: -Inf / Inf become the largest finite doubles, NA is an error
        v = float(raw(x))
        if np.isnan(v):
            raise ValueError("f() is NA")
        return -big if v == -np.inf else big if v == np.inf else v

    fa, fb = f(lower), f(upper)
    if np.sign(fa) * np.sign(fb) > 0:
        raise ValueError("f() values at end points not of opposite sign")
    a, b = lower, upper
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    eps = np.finfo(float).eps
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q, t1, t2 = fa / fc, fb / fc, fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b
