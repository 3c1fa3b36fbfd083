"""Difference-in-differences and controlled ITS: did the kommun change more than its comparisons?

``did_2x2`` is the textbook linear DiD (classic, HC1 and cluster-robust SEs as R ``lm`` +
``sandwich``). ``controlled_its`` fits the monthly counts of the treated kommun and comparison
kommuner (chosen by the user or by :func:`suggest_comparisons`) in one Poisson model with kommun
and month effects, with cluster-robust and permutation inference and event-study coefficients
for the pre-trend check. :mod:`.verdict` reads the results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _special as sp
from ..municipalities import lan_of, municipalities
from ..schemas import ESTIMATE_COLUMNS
from ._series import build_panel, to_period

__all__ = ["did_2x2", "DiDResult", "panel_did", "PanelFit", "controlled_its", "ControlledITSResult",
           "suggest_comparisons"]


@dataclass(frozen=True)
class DiDResult:
    """Linear 2×2 difference-in-differences.

    ``table`` has one row per standard-error type (``method``: ``classic``, ``hc1``,
    ``cluster``), ``variable`` = ``did``; ``coefficients`` all OLS coefficients.
    """

    table: pd.DataFrame
    coefficients: pd.Series
    n: int
    n_clusters: int | None

    def summary(self) -> str:
        lines = [f"Difference-in-differences, n = {self.n}"]
        for _, r in self.table.iterrows():
            lines.append(f"  {r['method']:>8}: {r['estimate']:.4g} (SE {r['se']:.4g}, "
                         f"CI {r['ci_low']:.4g} to {r['ci_high']:.4g})")
        return "\n".join(lines)


def did_2x2(data: pd.DataFrame, *, outcome: str, treated: str, post: str,
            cluster: str | None = None, ci_level: float = 0.95) -> DiDResult:
    """OLS of ``outcome ~ treated * post`` with classic, HC1 and cluster-robust SEs.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit and period.
    outcome, treated, post : str
        Columns: the outcome, the 0/1 treated-group indicator, the 0/1 after indicator.
    cluster : str, optional
        Column identifying clusters (e.g. the store or kommun); adds the ``cluster`` row
        (``sandwich::vcovCL(type = "HC1")``: G/(G-1) · (n-1)/(n-k), t with G-1 df).

    Returns
    -------
    DiDResult

    References
    ----------
    Card D, Krueger AB (1994). Minimum wages and employment. Am Econ Rev 84:772-793.
    Zeileis A, Köll S, Graham N (2020). Various versatile variances. J Stat Softw 95(1).
    Validated against R lm + sandwich on Card & Krueger's New Jersey / Pennsylvania data (and
    their Table 3), Wooldridge Example 13.3 and the NSW/CPS panel; see
    tests/reference/evaluation/make_reference.R.

    Examples
    --------
    >>> d = pd.DataFrame({"y": [1.0, 2.0, 2.0, 5.0, 1.5, 2.5, 2.0, 4.0],
    ...                   "g": [0, 0, 1, 1, 0, 0, 1, 1], "t": [0, 1, 0, 1, 0, 1, 0, 1]})
    >>> did_2x2(d, outcome="y", treated="g", post="t").table["estimate"].round(2).tolist()
    [1.5, 1.5]
    """
    d = data[[outcome, treated, post] + ([cluster] if cluster else [])].dropna()
    y = d[outcome].to_numpy(float)
    g = d[treated].to_numpy(float)
    t = d[post].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), g, t, g * t])
    n, k = X.shape
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    e = y - X @ beta
    covs = {"classic": xtx_inv * (e @ e) / (n - k)}
    meat = (X * e[:, None]).T @ (X * e[:, None])
    covs["hc1"] = xtx_inv @ meat @ xtx_inv * n / (n - k)
    dfs = {"classic": n - k, "hc1": n - k}
    G = None
    if cluster:
        codes, inv = np.unique(d[cluster].to_numpy(), return_inverse=True)
        G = len(codes)
        sc = np.zeros((G, k))
        np.add.at(sc, inv, X * e[:, None])
        covs["cluster"] = xtx_inv @ (sc.T @ sc) @ xtx_inv * G / (G - 1) * (n - 1) / (n - k)
        dfs["cluster"] = G - 1
    rows = []
    for m, cov in covs.items():
        se = float(np.sqrt(cov[3, 3]))
        crit = sp.t_ppf(0.5 + ci_level / 2, dfs[m])
        rows.append(dict(variable="did", estimate=beta[3], se=se, ci_low=beta[3] - crit * se,
                         ci_high=beta[3] + crit * se, ci_level=ci_level, df=float(dfs[m]),
                         deff=(se / np.sqrt(covs["classic"][3, 3])) ** 2, n=n, n_eff=np.nan,
                         method=m, suppressed=False, suppressed_reason="",
                         p_value=2 * sp.t_sf(abs(beta[3] / se), dfs[m])))
    table = pd.DataFrame(rows)[list(ESTIMATE_COLUMNS) + ["p_value"]]
    coefs = pd.Series(beta, index=["(Intercept)", treated, post, f"{treated}:{post}"])
    return DiDResult(table, coefs, n, G)


@dataclass(frozen=True)
class PanelFit:
    """Poisson fit of a kommun × month panel with kommun and month effects (see panel_did)."""

    params: np.ndarray
    names: tuple[str, ...]
    cov_cluster: np.ndarray
    cov_model: np.ndarray
    mu: np.ndarray
    pearson_chi2: float
    df_resid: int

    @property
    def dispersion(self) -> float:
        return self.pearson_chi2 / self.df_resid


def panel_did(Y: np.ndarray, offset: np.ndarray, treated: int, post: np.ndarray, *,
              event_bins: np.ndarray | None = None, mask: np.ndarray | None = None,
              tol: float = 1e-11, max_iter: int = 20_000) -> PanelFit:
    """Poisson panel DiD: log E[y_it] = offset + kommun_i + month_t + delta·D_it (+ event bins).

    ``Y`` and ``offset`` are (K, n); ``post`` marks the treated months; ``event_bins`` (n,) gives
    an integer bin per month for event-study terms of the treated kommun (bin -1 is the
    reference). Every regressor is an indicator, so the maximum-likelihood estimate is reached
    by iterative proportional fitting (each coordinate update is a closed-form log ratio of
    sums); the information matrix is then inverted through its K × K Schur complement. Returns
    the treatment terms with CR1 (G/(G-1)) cluster-robust covariance by kommun, as
    ``sandwich::vcovCL`` gives for a glm, and the model-based (Poisson) covariance.
    """
    Y = np.asarray(Y, float)
    K, n = Y.shape
    m = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, bool)
    if event_bins is None:
        terms = [np.asarray(post, bool)]
        names = ("did",)
    else:
        bins = sorted(set(event_bins[np.isfinite(event_bins)]) - {-1})
        terms = [event_bins == b for b in bins]
        names = tuple(f"event_{int(b)}" for b in bins)
    D = np.zeros((len(terms), K, n))
    for b, t in enumerate(terms):
        D[b, treated] = t & m
    W = np.broadcast_to(m, (K, n)).astype(float)
    y = Y * W
    a, g, d = np.zeros(K), np.zeros(n), np.zeros(len(terms))
    off = np.asarray(offset, float)
    # start from the no-effect fit's row and column sums
    for _ in range(max_iter):
        eta = off + a[:, None] + g[None, :] + np.tensordot(d, D, axes=1)
        mu = np.exp(eta) * W
        step_a = np.log(np.maximum(y.sum(1), 1e-300) / mu.sum(1))
        a += step_a
        mu *= np.exp(step_a)[:, None]
        cs_y, cs_mu = y.sum(0), mu.sum(0)
        step_g = np.where(m, np.log(np.maximum(cs_y, 1e-300) / np.where(m, cs_mu, 1.0)), 0.0)
        g += step_g
        mu *= np.exp(step_g)[None, :]
        step_d = np.array([np.log(max((y * Db).sum(), 1e-300) / (mu * Db).sum()) for Db in D])
        d += step_d
        if max(np.abs(step_a).max(), np.abs(step_g).max(), np.abs(step_d).max()) < tol:
            break
    mu = np.exp(off + a[:, None] + g[None, :] + np.tensordot(d, D, axes=1)) * W
    # information blocks: F = (kommun, month) effects, T = treatment terms
    Ia, Ig = mu.sum(1), mu.sum(0)
    Iag = mu
    Ita = np.array([(mu * Db).sum(1) for Db in D])
    Itg = np.array([(mu * Db).sum(0) for Db in D])
    Itt = np.array([[(mu * Db * Dc).sum() for Dc in D] for Db in D])
    gm = np.where(Ig > 0, Ig, 1.0)

    def solve_ff(ra, rg):
        """Solve [[diag(Ia), Iag], [Iag', diag(Ig)]] [xa; xg] = [ra; rg] (months with no
        information get 0); the month effects are eliminated, leaving a K × K system, which is
        singular by one (the common level) and solved by least squares."""
        S = np.diag(Ia) - (Iag / gm) @ Iag.T
        rhs = ra - (Iag / gm) @ rg
        xa = np.linalg.lstsq(S, rhs, rcond=None)[0]
        xg = np.where(Ig > 0, (rg - Iag.T @ xa) / gm, 0.0)
        return xa, xg

    G = [solve_ff(Ita[b], Itg[b]) for b in range(len(terms))]
    schur = Itt - np.array([[Ita[b] @ G[c][0] + Itg[b] @ G[c][1] for c in range(len(terms))]
                            for b in range(len(terms))])
    H = np.linalg.inv(schur)
    # influence of each kommun on the treatment terms: H (s_T - I_TF I_FF^-1 s_F), per cluster
    r = (y - mu)
    psi = np.zeros((K, len(terms)))
    for i in range(K):
        s_t = np.array([(r[i] * Db[i]).sum() for Db in D])
        sg = r[i]
        sa = np.zeros(K)
        sa[i] = r[i].sum()
        corr = np.array([G[b][0] @ sa + G[b][1] @ sg for b in range(len(terms))])
        psi[i] = H @ (s_t - corr)
    cov_cl = psi.T @ psi * K / (K - 1)
    n_obs = int(W.sum())
    p = K + int(m.sum()) - 1 + len(terms)
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.sum(np.where(W > 0, (Y - mu) ** 2 / np.where(mu > 0, mu, 1.0), 0.0)))
    return PanelFit(d, names, cov_cl, H, mu, pearson, n_obs - p)


@dataclass(frozen=True)
class ControlledITSResult:
    """Controlled ITS of one kommun against comparison kommuner.

    ``table``: estimate contract + ``p_value``; rows ``rate_ratio`` with ``method``
    ``cluster`` (CR1, t with G-1 df) and ``permutation`` (placebo over the comparisons; the CI
    column is empty when fewer than 19 comparisons make a 95 % interval impossible).
    ``event_study``: ``rel_year, estimate, ci_low, ci_high`` (rate ratios vs the year before
    the start). ``pretrend_p``: joint Wald test that the pre-period event terms are zero.
    """

    table: pd.DataFrame
    event_study: pd.DataFrame
    comparisons: tuple[str, ...]
    pretrend_p: float
    kommunkod: str
    start: pd.Period

    def summary(self) -> str:
        r = self.table.set_index("method").loc["cluster"]
        return (f"Controlled ITS {self.kommunkod} vs {', '.join(self.comparisons)}: rate ratio "
                f"{r['estimate']:.3f} (CI {r['ci_low']:.3f}-{r['ci_high']:.3f}); pre-trend "
                f"test p = {self.pretrend_p:.3g}")


def suggest_comparisons(crimes: pd.DataFrame, population: pd.DataFrame, *, kommunkod: str,
                        crime_types, start, n: int = 5, exclude=(), same_lan: bool = True,
                        panel=None) -> pd.DataFrame:
    """Rank candidate comparison kommuner by similarity before the start.

    Similarity is the Euclidean distance of standardised (log population, log pre-period rate,
    pre-period log-rate trend per year); with ``same_lan`` only the treated kommun's län is
    searched (falling back to all kommuner when it has fewer than ``n`` candidates).

    Returns
    -------
    pandas.DataFrame
        ``kommunkod, kommun, lanskod, log_population, log_rate, trend, distance`` sorted by
        distance, ``n`` rows.
    """
    start_p = to_period(start)
    if panel is None:
        panel = build_panel(crimes, population, crime_types=crime_types)
    pre = panel.periods < start_p
    reg = municipalities().set_index("kommunkod")
    lan = lan_of(kommunkod)[0]
    feats = []
    t = np.arange(pre.sum()) / 12
    for i, code in enumerate(panel.codes):
        y = panel.counts[i, pre]
        expo = panel.exposure[i, pre]
        rate = np.log((y.sum() + 0.5) / expo.sum())
        ly = np.log((y + 0.5) / expo)
        trend = np.polyfit(t, ly, 1)[0] if len(t) > 2 else 0.0
        feats.append((code, np.log(panel.population[i, pre].mean()), rate, trend))
    f = pd.DataFrame(feats, columns=["kommunkod", "log_population", "log_rate", "trend"])
    f["lanskod"] = f["kommunkod"].map(reg["lanskod"])
    f["kommun"] = f["kommunkod"].map(reg["kommun"])
    z = f[["log_population", "log_rate", "trend"]]
    z = (z - z.mean()) / z.std(ddof=0).replace(0, 1)
    me = z.loc[f["kommunkod"] == kommunkod]
    if me.empty:
        raise ValueError(f"kommun {kommunkod} has no complete series for these crime types")
    f["distance"] = np.sqrt(((z - me.iloc[0]) ** 2).sum(axis=1))
    cand = f.loc[(f["kommunkod"] != kommunkod) & ~f["kommunkod"].isin(list(exclude))]
    if same_lan and (cand["lanskod"] == lan).sum() >= n:
        cand = cand.loc[cand["lanskod"] == lan]
    cols = ["kommunkod", "kommun", "lanskod", "log_population", "log_rate", "trend", "distance"]
    return cand.sort_values("distance", kind="stable").head(n)[cols].reset_index(drop=True)


def controlled_its(crimes: pd.DataFrame, population: pd.DataFrame, *, kommunkod: str,
                   crime_types, start, end=None, comparisons=None, n_comparisons: int = 5,
                   exclude=(), ci_level: float = 0.95, panel=None) -> ControlledITSResult:
    """Controlled ITS (Poisson DiD with kommun and month effects) against comparison kommuner.

    Parameters
    ----------
    crimes, population : pandas.DataFrame
        Tidy frames (``docs/data-model.md``).
    kommunkod : str
        The treated kommun.
    crime_types : str or sequence
        Target crime types (';'-separated like the registry).
    start, end : month-like
        Start of the measure; optional end of the follow-up.
    panel : Panel, optional
        Precomputed monthly panel of the same crime types (saves rebuilding it).
    comparisons : sequence of str, optional
        Comparison kommuner; default :func:`suggest_comparisons` (same län, similar size and
        pre-period level and trend), excluding ``exclude`` (kommuner with the same measure).

    Returns
    -------
    ControlledITSResult

    Notes
    -----
    With one treated kommun, cluster-robust standard errors rest on a single treated cluster and
    are too small (Conley & Taber 2011; the coverage simulation agrees); the permutation row
    re-assigns the treatment to each comparison kommun in turn and counts the treated one.
    """
    start_p = to_period(start)
    if comparisons is None:
        comparisons = suggest_comparisons(crimes, population, kommunkod=kommunkod,
                                          crime_types=crime_types, start=start_p,
                                          n=n_comparisons, exclude=exclude,
                                          panel=panel)["kommunkod"].tolist()
    codes = [kommunkod] + [c for c in comparisons if c != kommunkod]
    if panel is not None and all(c in panel.codes for c in codes):
        idx = [panel.index(c) for c in codes]
        panel = type(panel)(tuple(codes), panel.periods, panel.counts[idx], panel.population[idx],
                            panel.exposure[idx])
    else:
        panel = build_panel(crimes, population, crime_types=crime_types, kommuner=codes)
    if kommunkod not in panel.codes or len(panel.codes) < 2:
        raise ValueError("the treated kommun and at least one comparison need complete series")
    periods = panel.periods
    if end is not None:
        keep = periods <= to_period(end)
        panel = type(panel)(panel.codes, periods[keep], panel.counts[:, keep],
                            panel.population[:, keep], panel.exposure[:, keep], panel.dropped)
        periods = panel.periods
    Y, off = panel.counts, np.log(panel.exposure)
    post = periods >= start_p
    K = len(panel.codes)
    ti = panel.index(kommunkod)
    pf = panel_did(Y, off, ti, post)
    est, se = float(pf.params[0]), float(np.sqrt(pf.cov_cluster[0, 0]))
    crit = sp.t_ppf(0.5 + ci_level / 2, K - 1)
    rows = [dict(variable="rate_ratio", estimate=np.exp(est), se=se,
                 ci_low=np.exp(est - crit * se), ci_high=np.exp(est + crit * se), df=K - 1,
                 method="cluster", p_value=2 * sp.t_sf(abs(est / se), K - 1))]
    # permutation over comparison kommuner (each one "treated" in turn, the real one left out)
    perm = []
    for k in range(K):
        if k == ti:
            continue
        others = [i for i in range(K) if i != ti]
        perm.append(float(panel_did(Y[others], off[others], others.index(k), post).params[0]))
    perm = np.asarray(perm)
    p_perm = (1 + np.sum(np.abs(perm) >= abs(est))) / (1 + len(perm))
    m = int(np.floor((1 - ci_level) * (len(perm) + 1) + 1e-9))
    c_abs = np.sort(np.abs(perm))[::-1][m - 1] if m >= 1 else np.nan
    rows.append(dict(variable="rate_ratio", estimate=np.exp(est), se=np.nan,
                     ci_low=np.exp(est - c_abs), ci_high=np.exp(est + c_abs), df=np.nan,
                     method="permutation", p_value=p_perm))
    # event study by year relative to the start; the year before is the reference
    rel = np.floor((periods.asi8 - start_p.ordinal) / 12).astype(float)
    ef = panel_did(Y, off, ti, post, event_bins=rel)
    # one treated kommun makes the cluster-robust variance of its own terms degenerate (rank
    # at most G - 1 for more terms); the event study uses the quasi-Poisson model variance
    bE, nE, covE = ef.params, ef.names, ef.cov_model * max(ef.dispersion, 1.0)
    ev = []
    for i, nm in enumerate(nE):
        s_i = np.sqrt(covE[i, i])
        with np.errstate(over="ignore"):  # a year with no crimes has an unbounded interval
            ev.append(dict(rel_year=int(nm[6:]), log_estimate=bE[i], se=s_i,
                           estimate=np.exp(bE[i]), ci_low=np.exp(bE[i] - crit * s_i),
                           ci_high=np.exp(bE[i] + crit * s_i)))
    ev.append(dict(rel_year=-1, log_estimate=0.0, se=0.0, estimate=1.0, ci_low=1.0, ci_high=1.0))
    event = pd.DataFrame(ev).sort_values("rel_year", ignore_index=True)
    pre_idx = [i for i, nm in enumerate(nE) if nm.startswith("event_") and int(nm[6:]) < -1]
    if pre_idx:
        b = bE[pre_idx]
        V = covE[np.ix_(pre_idx, pre_idx)]
        wald = float(b @ np.linalg.pinv(V) @ b)
        q = len(pre_idx)
        pretrend_p = float(sp.chi2_sf(wald, q))
    else:
        pretrend_p = np.nan
    table = pd.DataFrame(rows)
    table["ci_level"] = ci_level
    table["deff"] = np.nan
    table["n"] = int(Y.size)
    table["n_eff"] = np.nan
    table["suppressed"] = False
    table["suppressed_reason"] = ""
    table = table[list(ESTIMATE_COLUMNS) + ["p_value"]]
    return ControlledITSResult(table, event, tuple(panel.codes[1:]) if ti == 0 else
                               tuple(c for c in panel.codes if c != kommunkod), pretrend_p,
                               kommunkod, start_p)
