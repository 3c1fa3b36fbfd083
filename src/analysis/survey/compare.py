"""Comparisons: domain differences, survey years, contrasts and the Rao-Scott chi-square.

Differences between domains use the full covariance of the domain estimates (R
``svyby(covmat=TRUE)`` + ``svycontrast``); two survey years are independent samples, so their
variances add. Significance is decided here, once, in a ``verdict`` column
(``ökning`` / ``minskning`` / ``ingen säkerställd förändring`` for years, ``skillnad`` /
``ingen säkerställd skillnad`` for domains) that the report layer only words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..verdicts import DIFFERENCE, NO_DIFFERENCE
from ._rmath import qcrit
from .design import _as_list, domain_codes
from .disclosure import DEFAULT_RULE, DisclosureRule, finalize
from .estimates import _counts, _numeric, _rows_ok

__all__ = ["difference", "contrast", "compare_years", "chisq", "ChisqResult", "STATS", "CHISQ_STATISTICS"]

STATS = ("mean", "proportion", "total")
CHISQ_STATISTICS = ("F", "Chisq", "Wald", "adjWald")


def _values(design, variable, stat, category, dom, na_rm):
    if stat not in STATS:
        raise ValueError(f"stat must be one of {', '.join(STATS)}")
    if stat == "proportion":
        if category is None:
            raise ValueError("stat='proportion' needs category= (the level whose share is compared)")
        col = design._column(variable)
        rows = _rows_ok(design, dom, col.isna().to_numpy(), variable, na_rm)
        y = ((col == category).fillna(False).to_numpy(dtype=bool) & rows).astype(float)
    else:
        x = _numeric(design, variable)
        rows = _rows_ok(design, dom, np.isnan(x), variable, na_rm)
        y = np.nan_to_num(x)
    den = None if stat == "total" else np.ones(design.n_rows)
    return y[:, None], den, rows


def _domain_moments(design, variable, by, *, stat, category, na_rm):
    dom, n_dom, keys = domain_codes(design, by)
    y, den, rows = _values(design, variable, stat, category, dom, na_rm)
    mom = design._ratio(dom, n_dom, y, den, rows=rows, covariance=True)
    n, _, n_eff = _counts(design, dom, n_dom, rows)
    return keys, mom.estimate[:, 0], mom.cov, n, n_eff


def _test(est, se, level, df):
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    df = np.asarray(df, dtype=float)
    p = np.where(np.isinf(df), 2 * stats.norm.sf(np.abs(t)), 2 * stats.t.sf(np.abs(t), np.where(np.isinf(df), 1, df)))
    q = qcrit(1 - (1 - level) / 2, df)
    return t, p, est - q * se, est + q * se


def _key_label(row, by):
    return ":".join(str(row[b]) for b in by)


def _base_table(label, variable, est, se, level, df, n, n_eff, method, extra=None):
    t, p, lo, hi = _test(np.atleast_1d(est), np.atleast_1d(se), level, df)
    out = pd.DataFrame({"contrast": label, "variable": variable, "estimate": est, "se": se,
                        "ci_low": lo, "ci_high": hi, "ci_level": level, "df": df, "deff": np.nan,
                        "n": n, "n_eff": n_eff, "method": method, "statistic": t, "p_value": p})
    for k, v in (extra or {}).items():
        out[k] = v
    return out


def contrast(design, variable: str, weights: Mapping, *, by: str | Sequence[str], stat: str = "mean",
             category=None, na_rm: bool = False, level: float = 0.95, df=np.inf,
             disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """A linear contrast of domain estimates, ``sum_d c_d * theta_d`` (R ``svycontrast``).

    Parameters
    ----------
    weights : mapping
        Domain label -> coefficient; labels are the ``by`` values joined by ``":"``
        (e.g. ``{"E": 1, "H": -0.5, "M": -0.5}``); domains not named get 0.
    stat : {'mean', 'proportion', 'total'}
    category : optional
        The level whose proportion is contrasted (``stat='proportion'``).
    df : float
        Degrees of freedom of the test and interval (default ``inf``: z, as R's ``confint``).

    Returns
    -------
    pandas.DataFrame
        One row: ``contrast, variable, estimate, se, ci_low, ci_high, ci_level, df, deff, n,
        n_eff, method, statistic, p_value, suppressed, suppressed_reason``; ``n`` and ``n_eff``
        are the smallest of the domains involved.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> df = pd.DataFrame({"g": ["a"] * 3 + ["b"] * 3, "y": [1.0, 2, 3, 5, 6, 7], "w": [1.0] * 6})
    >>> float(contrast(SurveyDesign(df, weights="w"), "y", {"b": 1, "a": -1}, by="g",
    ...                disclosure=None).estimate.iloc[0])
    4.0
    """
    by = _as_list(by)
    keys, est, cov, n, n_eff = _domain_moments(design, variable, by, stat=stat, category=category, na_rm=na_rm)
    labels = [_key_label(r, by) for _, r in keys.iterrows()]
    unknown = [k for k in weights if str(k) not in labels]
    if unknown:
        raise DataError(f"contrast names unknown domain(s) {unknown}; domains are {labels}")
    c = np.array([float(weights.get(lab, weights.get(_maybe_num(lab), 0.0))) for lab in labels])
    used = c != 0
    value = float(c @ est)
    se = float(np.sqrt(c @ cov @ c))
    name = " ".join(f"{'+' if w > 0 else '-'}{abs(w):g}*{lab}" for w, lab in zip(c, labels) if w != 0)
    table = _base_table(name.lstrip("+"), variable, [value], [se], level, df,
                        [int(n[used].min())], [float(n_eff[used].min())],
                        f"contrast of {stat} ({design._variance_label})")
    return finalize(table, by=["contrast"], rule=disclosure, n_respondents=design.n,
                    extra=(), id_columns=("respondent_id",))


def _maybe_num(label):
    try:
        return int(label)
    except ValueError:
        return label


def difference(design, variable: str, *, between: str, first, second, by=None, stat: str = "mean",
               category=None, na_rm: bool = False, level: float = 0.95, df=np.inf,
               disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Difference between two domains, ``theta(first) - theta(second)``, within ``by`` groups.

    Both domains come from the same design, so the covariance of their estimates (shared
    strata and PSUs, calibration) enters the standard error.

    Returns
    -------
    pandas.DataFrame
        ``[by], contrast, variable, estimate, se, ci_low, ci_high, ci_level, df, deff, n,
        n_eff, method, statistic, p_value, verdict, suppressed, suppressed_reason``.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> df = pd.DataFrame({"sex": ["k", "m"] * 4, "y": [1.0, 0, 1, 1, 0, 0, 1, 0], "w": [1.0] * 8})
    >>> t = difference(SurveyDesign(df, weights="w"), "y", between="sex", first="k", second="m",
    ...                disclosure=None)
    >>> float(t.estimate.iloc[0])
    0.5
    """
    by = _as_list(by)
    keys, est, cov, n, n_eff = _domain_moments(design, variable, by + [between], stat=stat,
                                               category=category, na_rm=na_rm)
    groups = keys[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    rows = []
    for _, g in groups.iterrows():
        mask = np.ones(len(keys), bool)
        for b in by:
            mask &= (keys[b] == g[b]).to_numpy()
        i = np.flatnonzero(mask & (keys[between] == first).to_numpy())
        j = np.flatnonzero(mask & (keys[between] == second).to_numpy())
        if not (i.size and j.size):
            continue
        i, j = int(i[0]), int(j[0])
        value = est[i] - est[j]
        se = np.sqrt(cov[i, i] + cov[j, j] - 2 * cov[i, j])
        t = _base_table(f"{between}: {first} - {second}", variable, [value], [se], level, df,
                        [int(min(n[i], n[j]))], [float(min(n_eff[i], n_eff[j]))],
                        f"difference of {stat} ({design._variance_label})")
        for b in by:
            t.insert(0, b, g[b])
        rows.append(t)
    if not rows:
        raise DataError(f"no group has both {between}={first!r} and {between}={second!r}")
    table = pd.concat(rows, ignore_index=True)
    table["verdict"] = np.where(table["p_value"] < 1 - level, DIFFERENCE, NO_DIFFERENCE)
    return finalize(table, by=by + ["contrast"], rule=disclosure, n_respondents=design.n,
                    id_columns=("respondent_id",))


def compare_years(earlier, later, variable: str, *, by=None, stat: str = "mean", category=None,
                  na_rm: bool = False, level: float = 0.95, df=np.inf,
                  labels: tuple[str, str] = ("earlier", "later"),
                  disclosure: DisclosureRule | None = DEFAULT_RULE) -> pd.DataFrame:
    """Change between two independent survey rounds, ``theta(later) - theta(earlier)``.

    The two designs are independent samples: the variance of the change is the sum of the
    two variances. ``verdict`` is ``ökning``/``minskning`` when the change is significant at
    ``1 - level`` and ``ingen säkerställd förändring`` otherwise.

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> a = SurveyDesign(pd.DataFrame({"y": [0.0, 1, 0, 0], "w": [1.0] * 4}), weights="w")
    >>> b = SurveyDesign(pd.DataFrame({"y": [1.0, 1, 0, 1], "w": [1.0] * 4}), weights="w")
    >>> float(compare_years(a, b, "y", disclosure=None).estimate.iloc[0])
    0.5
    """
    by = _as_list(by)
    ka, ea, ca, na, nea = _domain_moments(earlier, variable, by, stat=stat, category=category, na_rm=na_rm)
    kb, eb, cb, nb, neb = _domain_moments(later, variable, by, stat=stat, category=category, na_rm=na_rm)
    la = {_key_label(r, by): i for i, (_, r) in enumerate(ka.iterrows())} if by else {"": 0}
    rows = []
    for j, (_, r) in enumerate(kb.iterrows() if by else [(0, pd.Series(dtype=object))]):
        lab = _key_label(r, by) if by else ""
        if lab not in la:
            continue
        i = la[lab]
        value = eb[j] - ea[i]
        se = np.sqrt(ca[i, i] + cb[j, j])
        t = _base_table(f"{labels[1]} - {labels[0]}", variable, [value], [se], level, df,
                        [int(min(na[i], nb[j]))], [float(min(nea[i], neb[j]))],
                        f"change in {stat}, independent samples")
        t["estimate_earlier"], t["estimate_later"] = ea[i], eb[j]
        for b in by:
            t.insert(0, b, r[b])
        rows.append(t)
    if not rows:
        raise DataError("the two survey rounds share no domain")
    table = pd.concat(rows, ignore_index=True)
    sig = table["p_value"] < 1 - level
    table["verdict"] = np.where(sig & (table["estimate"] > 0), "ökning",
                                np.where(sig, "minskning", "ingen säkerställd förändring"))
    return finalize(table, by=by + ["contrast"], rule=disclosure,
                    n_respondents=earlier.n + later.n, id_columns=("respondent_id",))


@dataclass(frozen=True)
class ChisqResult:
    """Design-based test of independence in a two-way table (R ``svychisq``)."""

    statistic: float
    ndf: float
    ddf: float
    p_value: float
    method: str
    pearson: float
    table: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    cells: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def summary(self) -> str:
        par = f"ndf = {self.ndf:.4g}, ddf = {self.ddf:.4g}" if np.isfinite(self.ddf) else f"df = {self.ndf:.4g}"
        return f"{self.method}: statistic = {self.statistic:.4f}, {par}, p-value = {self.p_value:.4g}"


def chisq(design, row: str, col: str, *, statistic: str = "F") -> ChisqResult:
    """Rao-Scott test of association between two categorical variables (R ``svychisq``).

    Parameters
    ----------
    statistic : {'F', 'Chisq', 'Wald', 'adjWald'}
        ``'F'`` (R's default): second-order Rao-Scott correction, referred to an F
        distribution with ``d0`` and ``d0 * degf`` degrees of freedom. ``'Chisq'``: first-order
        correction (Pearson's X² divided by the mean generalised design effect) on chi-square.
        ``'Wald'``: the design-based Wald test that every interaction cell total
        ``N_rc - N_r N_c / N`` is zero, divided by its ``(R-1)(C-1)`` df and referred to
        F(``(R-1)(C-1)``, ``degf``); ``'adjWald'`` scales it by ``(degf - ndf + 1) / (ndf degf)``
        and uses ``degf - ndf + 1`` denominator df (Thomas & Rao 1987).

    Returns
    -------
    ChisqResult
        ``statistic`` (F, or Pearson's X² for ``'Chisq'`` as R reports it), degrees of freedom,
        ``p_value``; ``cells`` holds the weighted cell proportions. Respondents with a missing
        value in either variable are left out (R ``na.rm=TRUE``).

    References
    ----------
    Rao JNK, Scott AJ (1984). On chi-squared tests for multiway contingency tables with cell
    proportions estimated from survey data. *Ann Stat* 12:46-60. Thomas DR, Rao JNK (1987).
    Small-sample comparisons of level and power for simple goodness-of-fit statistics under
    cluster sampling. *JASA* 82:630-636. R survey 4.1-1 ``svychisq``; validated in
    ``tests/reference/survey`` (``make_reference.R``, ``make_reference_extensions.R``).

    Examples
    --------
    >>> from analysis.survey import SurveyDesign
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"a": rng.integers(0, 2, 200), "b": rng.integers(0, 3, 200), "w": 1.0})
    >>> r = chisq(SurveyDesign(df, weights="w"), "a", "b")
    >>> 0 <= r.p_value <= 1
    True
    """
    if statistic not in CHISQ_STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(CHISQ_STATISTICS)}; got {statistic!r}")
    a, b = design._column(row), design._column(col)
    present = np.asarray(design._present)
    ok = (a.notna() & b.notna()).to_numpy()
    ra = sorted(pd.unique(a[present & ok]), key=_sort_key)
    rb = sorted(pd.unique(b[present & ok]), key=_sort_key)
    nr, nc = len(ra), len(rb)
    if nr < 2 or nc < 2:
        raise DataError("both variables need at least two observed levels")
    ia = pd.Index(ra).get_indexer(a)
    ib = pd.Index(rb).get_indexer(b)
    cell = np.where(ok, ia + nr * ib, -1)
    Y = np.zeros((design.n_rows, nr * nc))
    Y[np.flatnonzero(ok), cell[ok]] = 1.0
    N = float(np.count_nonzero(present))
    if hasattr(design, "_stages"):
        st = design._stages[0]
        nu = len(np.unique(st.unit[present])) - len(np.unique(st.unit_stratum[st.unit[present]]))
    else:
        nu = design.degf
    w = np.asarray(design._w)
    tbl = np.bincount(cell[ok], weights=w[ok], minlength=nr * nc).reshape(nc, nr).T
    tbl = tbl * N / tbl.sum()
    expected = np.outer(tbl.sum(1), tbl.sum(0)) / tbl.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.sum((tbl - expected) ** 2 / expected))
    dom = np.where(w != 0, 0, -1)
    if statistic in ("Wald", "adjWald"):
        stat, ndf, ddf, method = _wald_chisq(design, dom, Y, ia, ib, nr, nc, ok, nu, statistic)
        pval = float(stats.f.sf(stat, ndf, ddf))
        table = pd.DataFrame({"row": [row], "col": [col], "statistic": [stat], "ndf": [ndf], "ddf": [ddf],
                              "p_value": [pval], "pearson": [pearson], "method": [method]})
        p = np.bincount(cell[ok], weights=w[ok], minlength=nr * nc) / w[ok].sum()
        cells = pd.DataFrame({row: np.tile(ra, nc), col: np.repeat(rb, nr), "proportion": p})
        return ChisqResult(float(stat), float(ndf), float(ddf), pval, method, pearson, table, cells)
    mom = design._ratio(dom, 1, Y, np.ones(design.n_rows), rows=ok, covariance=True)
    p = mom.estimate[0]
    V = mom.cov
    grid_r = np.tile(np.arange(nr), nc)
    grid_c = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack([np.ones(nr * nc)] + [(grid_r == i).astype(float) for i in range(1, nr)]
                         + [(grid_c == j).astype(float) for j in range(1, nc)])
    Xint = np.column_stack([((grid_r == i) & (grid_c == j)).astype(float)
                            for j in range(1, nc) for i in range(1, nr)])
    C = Xint - X1 @ np.linalg.lstsq(X1, Xint, rcond=None)[0]
    with np.errstate(divide="ignore"):
        iD = np.diag(np.where(p == 0, 0.0, 1.0 / np.where(p == 0, 1.0, p)))
    denom = C.T @ (iD / N) @ C
    numr = C.T @ iD @ V @ iD @ C
    delta = np.linalg.solve(denom, numr)
    tr, tr2 = np.trace(delta), np.trace(delta @ delta)
    d0 = tr ** 2 / tr2
    if statistic == "F":
        stat = pearson / tr
        pval = float(stats.f.sf(stat, d0, d0 * nu))
        ndf, ddf, method = d0, d0 * nu, "Pearson's X^2: Rao & Scott adjustment (F)"
    else:
        stat = pearson
        pval = float(stats.chi2.sf(pearson / np.mean(np.diag(delta)), delta.shape[1]))
        ndf, ddf, method = float(delta.shape[1]), np.inf, "Pearson's X^2: Rao & Scott adjustment (first order)"
    cells = pd.DataFrame({row: np.tile(ra, nc), col: np.repeat(rb, nr), "proportion": p})
    table = pd.DataFrame({"row": [row], "col": [col], "statistic": [stat], "ndf": [ndf], "ddf": [ddf],
                          "p_value": [pval], "pearson": [pearson], "method": [method]})
    return ChisqResult(float(stat), float(ndf), float(ddf), pval, method, pearson, table, cells)


def _wald_chisq(design, dom, Y, ia, ib, nr, nc, ok, nu, statistic):
    """svychisq(statistic="Wald" / "adjWald"): Wald test of the interaction cell totals."""
    n = design.n_rows
    mr = np.zeros((n, nr))
    mc = np.zeros((n, nc))
    mr[np.flatnonzero(ok), ia[ok]] = 1.0
    mc[np.flatnonzero(ok), ib[ok]] = 1.0
    M = np.hstack([Y, mr, mc, ok[:, None].astype(float)])
    mom = design._ratio(dom, 1, M, None, rows=ok, covariance=True)
    cells, V = mom.estimate[0], mom.cov
    k = nr * nc
    rt, ct, N = cells[k:k + nr], cells[k + nr:k + nr + nc], cells[-1]
    r_of = np.tile(np.arange(nr), nc)      # cell k: row k % nr, column k // nr (R's expand.grid)
    c_of = np.repeat(np.arange(nc), nr)
    J = np.hstack([np.eye(k), -(r_of[:, None] == np.arange(nr)).astype(float) * (ct[c_of] / N)[:, None],
                   -(c_of[:, None] == np.arange(nc)).astype(float) * (rt[r_of] / N)[:, None],
                   (rt[r_of] * ct[c_of] / N ** 2)[:, None]])
    resid = cells[:k] - rt[r_of] * ct[c_of] / N
    VJ = J @ V @ J.T
    use = np.flatnonzero((r_of > 0) & (c_of > 0))
    wald = float(resid[use] @ np.linalg.solve(VJ[np.ix_(use, use)], resid[use]))
    ndf = (nr - 1) * (nc - 1)
    if statistic == "Wald":
        return wald / ndf, float(ndf), float(nu), "Design-based Wald test of association"
    ddf = nu - ndf + 1
    return wald * ddf / (ndf * nu), float(ndf), float(ddf), "Design-based Wald test of association (adjusted)"


def _sort_key(v):
    return (0, v) if isinstance(v, (int, float, np.integer, np.floating)) else (1, str(v))
