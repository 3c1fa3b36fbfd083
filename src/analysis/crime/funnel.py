"""Peer comparison: funnel-plot data and rankings with uncertainty.

Answers "does this kommun stand out against riket, its län or similar kommuner, once chance
and the natural spread between kommuner are allowed for?" and replaces a bare rank ("18 of
290") with an interval of plausible ranks. :mod:`analysis.report.figures` draws the funnel from
``FunnelResult.table`` and ``.limits``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from ..errors import DataError
from ..municipalities import municipalities
from ..verdicts import (DEFAULT_THRESHOLD, HIGHER, LOWER, NO_DIFFERENCE, NOT_ASSESSABLE,
                        small_number_rule)
from .panel import MonthlyPanel, as_panel, period_mask
from .rates import garwood_ci

__all__ = ["FunnelResult", "funnel_data", "overdispersion", "poisson_limits", "ratio_to_expected",
           "count_limits"]

#: Fewest units (kommuner) whose spread the overdispersion can be estimated from.
MIN_UNITS = 3


def poisson_limits(expected, p) -> np.ndarray:
    """Exact Poisson control limit for a count with mean ``expected``, interpolated.

    ``r`` is the ``p``-quantile of Poisson(expected); the limit is ``r - a`` with
    ``a = (F(r) - p) / (F(r) - F(r - 1))`` (Spiegelhalter 2005, appendix A.1.1), a continuous
    version of the quantile so that limits form a smooth funnel.

    Examples
    --------
    >>> poisson_limits([10.0, 100.0], 0.975).round(3).tolist()
    [16.16, 119.581]
    """
    from scipy import stats  # imported when used: about 0.6 s, see analysis._special
    e = np.asarray(expected, dtype=float)
    r = stats.poisson.ppf(p, e)
    F = stats.poisson.cdf(r, e)
    Fm = stats.poisson.cdf(r - 1, e)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(F > Fm, (F - p) / (F - Fm), 0.0)
    return np.maximum(r - a, 0.0)


def ratio_to_expected(count, expected, *, dispersion=1.0, level: float = 0.95) -> pd.DataFrame:
    """Observed/expected ratio with exact (scaled) Poisson tails: interval and two-sided p.

    The count is treated as ``dispersion`` times a Poisson variable, ``O / d ~ Poisson(E / d)``
    (a quasi-Poisson with dispersion ``d``), and its tails are taken exactly from the gamma
    distribution, so that small expected counts get exact tails and large ones the
    overdispersed spread. With ``dispersion = 1`` and an integer count the interval is the
    Garwood interval of R ``poisson.test(O, E)$conf.int`` and the tails are ``ppois``.

    Parameters
    ----------
    count : array_like
        Observed counts ``O`` (>= 0).
    expected : array_like
        Expected counts ``E`` (> 0) at the comparison level.
    dispersion : float or array_like
        Variance of the count over its mean (>= 1 adds overdispersion; per unit allowed).
    level : float
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        ``ratio`` (O/E), ``ratio_low``, ``ratio_high`` (central interval: ``ratio_low > 1``
        exactly when the upper tail is below ``(1 - level) / 2``), ``p_upper``
        (P(X >= O)), ``p_lower`` (P(X <= O)), ``p_value`` (``min(1, 2 min(p_upper, p_lower))``,
        the test the interval inverts).

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28, 437-442.
    McCullagh, P. and Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 6
    (quasi-Poisson dispersion). Validated against R 4.2 ``poisson.test``, ``ppois``,
    ``pgamma`` and ``qgamma``; see tests/reference/crime/funnel_exact.R.

    Examples
    --------
    >>> r = ratio_to_expected([4, 30], [1.5, 20.0])
    >>> r[["ratio", "ratio_low", "ratio_high"]].round(3).values.tolist()
    [[2.667, 0.727, 6.828], [1.5, 1.012, 2.141]]
    >>> r["p_value"].round(4).tolist()
    [0.1313, 0.0436]
    """
    O = np.asarray(count, dtype=float)
    E = np.asarray(expected, dtype=float)
    d = np.asarray(dispersion, dtype=float)
    O, E, d = (np.ravel(v) for v in np.broadcast_arrays(O, E, d))
    if np.any(~np.isfinite(O) | (O < 0)):
        raise ValueError("counts must be finite and >= 0")
    if np.any(~np.isfinite(E) | (E <= 0)):
        raise ValueError("expected counts must be finite and > 0")
    if np.any(~np.isfinite(d) | (d <= 0)):
        raise ValueError("dispersion must be finite and > 0")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    a = (1 - level) / 2
    s, lam = O / d, E / d
    pos = s > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(pos, special.gammaincinv(np.where(pos, s, 1.0), a), 0.0) / lam
        high = special.gammaincinv(s + 1, 1 - a) / lam
        p_up = np.where(pos, special.gammainc(np.where(pos, s, 1.0), lam), 1.0)
    p_lo = special.gammaincc(s + 1, lam)
    return pd.DataFrame({"ratio": O / E, "ratio_low": low, "ratio_high": high,
                         "p_upper": p_up, "p_lower": p_lo,
                         "p_value": np.minimum(1.0, 2 * np.minimum(p_up, p_lo))})


def count_limits(expected, *, dispersion=1.0, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Control limits on the count for units with these expected counts (the funnel's edges).

    The counts at which :func:`ratio_to_expected` turns significant: a count above ``upper``
    has ``ratio_low > 1``, a count below ``lower`` has ``ratio_high < 1`` (continuous in the
    count, found by bisection on the exact scaled-Poisson tails). ``lower`` is 0 where no
    count can be significantly low.

    Examples
    --------
    >>> lo, hi = count_limits([1.5, 20.0, 1000.0])
    >>> lo.round(2).tolist(), hi.round(2).tolist()
    ([0.0, 11.25, 938.0], [4.78, 29.71, 1062.95])
    """
    E = np.asarray(expected, dtype=float)
    E, d = np.broadcast_arrays(E, np.asarray(dispersion, dtype=float))
    a = (1 - level) / 2
    lam = E / d

    def solve(f, target):
        # f decreasing in s on [0, top]; the s with f(s) = target
        lo_s = np.zeros_like(lam)
        hi_s = lam + 40 * np.sqrt(lam) + 40
        for _ in range(80):
            mid = (lo_s + hi_s) / 2
            above = f(mid) > target
            lo_s, hi_s = np.where(above, mid, lo_s), np.where(above, hi_s, mid)
        return (lo_s + hi_s) / 2

    upper = solve(lambda s: special.gammainc(np.maximum(s, 1e-300), lam), a)
    lower = solve(lambda s: special.gammainc(s + 1, lam), 1 - a)
    lower = np.where(special.gammainc(1.0, lam) < 1 - a, 0.0, lower)
    return lower * d, upper * d


def overdispersion(z, weights, *, winsor: float = 0.1, target_estimated: bool = True) -> dict:
    """Spiegelhalter's (2005) multiplicative and additive overdispersion from z-scores.

    Parameters
    ----------
    z : array_like
        Standardised differences ``(y_i - target) / s_i`` under the null.
    weights : array_like
        ``1 / s_i^2``.
    winsor : float
        Winsorise z at the ``winsor`` and ``1 - winsor`` quantiles before estimating (0.1 as in
        the paper; 0 for none), so that real outliers do not inflate the spread.
    target_estimated : bool
        The target was estimated from the same units: the test uses ``I - 1`` df.

    Returns
    -------
    dict
        ``phi`` (mean of squared winsorised z), ``tau2`` (DerSimonian-Laird-type additive
        between-unit variance, 0 when ``I phi <= I - 1``), ``q`` (``I phi``), ``df``,
        ``p_value`` (chi-square test of no overdispersion), ``n_units``.

    References
    ----------
    Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators. Quality
    and Safety in Health Care 14, 347-351.

    Validated against R metafor 3.8-1 ``rma(method = "DL")`` (tau², Q with ``winsor = 0``);
    see tests/reference/crime/.

    Examples
    --------
    >>> d = overdispersion([-2.0, 0.5, 1.5, -0.3, 3.0], [1, 2, 1, 4, 2], winsor=0)
    >>> round(d["phi"], 3), round(d["tau2"], 4)
    (3.118, 1.5662)
    """
    from scipy import stats  # imported when used: about 0.6 s, see analysis._special
    z = np.asarray(z, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = np.isfinite(z) & np.isfinite(w) & (w > 0)
    z, w = z[ok], w[ok]
    I = z.size
    if I < MIN_UNITS:
        raise DataError(f"overdispersion needs at least {MIN_UNITS} units")
    if winsor > 0:
        lo, hi = np.quantile(z, [winsor, 1 - winsor])
        z = np.clip(z, lo, hi)
    q = float(np.sum(z ** 2))
    phi = q / I
    df = I - 1 if target_estimated else I
    denom = np.sum(w) - np.sum(w ** 2) / np.sum(w)
    tau2 = float(max(0.0, (q - (I - 1)) / denom))
    return {"phi": phi, "tau2": tau2, "q": q, "df": df, "p_value": float(stats.chi2.sf(q, df)),
            "n_units": I}


@dataclass(frozen=True)
class FunnelResult:
    """Funnel-plot data for one crime type and period.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per unit (kommun), see :func:`funnel_data`.
    limits : pandas.DataFrame
        The funnel: ``person_years``, ``expected``, ``ci_level``, ``lower``, ``upper`` (rates per
        ``per``) on a grid of sizes, for drawing.
    target : float
        Target rate per ``per`` (the peers' pooled rate unless given).
    dispersion : dict
        Output of :func:`overdispersion` for the peers.
    settings : dict
        The arguments used.
    """

    table: pd.DataFrame
    limits: pd.DataFrame
    target: float
    dispersion: dict
    settings: dict = field(default_factory=dict)

    def summary(self) -> str:
        t, d = self.table, self.dispersion
        lines = [f"Trattdiagram {self.settings.get('crime_type')} {self.settings.get('period')}: "
                 f"{len(t)} kommuner, målnivå {self.target:.1f} per {self.settings['per']:g}, "
                 f"phi = {d['phi']:.2f}, tau2 = {d['tau2']:.3g} "
                 f"({self.settings['overdispersion']})"]
        out = t[t["position_outer"] != "inom"]
        lines.append(f"  utanför {self.settings['levels'][1]:.1%}-gränserna: {len(out)} kommuner")
        for r in t[t["is_focus"]].itertuples():
            lines.append(f"  {r.area_name}: {r.estimate:.1f} (rang {r.rank} av {len(t)}, "
                         f"rimligt intervall {r.rank_low}–{r.rank_high}) → {r.verdict}")
        return "\n".join(lines)


def _rank_intervals(count, py, phi, *, n_sim, seed, descending, ci):
    """Plausible ranks by simulating each unit's rate from its Gamma (Jeffreys) posterior.

    ``rate_i ~ Gamma(shape = (O_i + 1/2) / d_i, scale = d_i / P_i)``: mean (O + 1/2)/P and a
    variance inflated by the unit's dispersion ``d_i``; ranks of each draw give the interval.
    """
    rng = np.random.default_rng(seed)
    shape = (count + 0.5) / phi
    draws = rng.gamma(shape[None, :], (phi / py)[None, :], size=(n_sim, count.size))
    order = (-draws if descending else draws).argsort(1)
    I = count.size
    # rank histogram per unit: order[s, r] is the unit in place r of draw s
    hist = np.bincount((order * I + np.arange(I)[None, :]).ravel(), minlength=I * I)
    cdf = np.cumsum(hist.reshape(I, I), axis=1) / n_sim
    a = (1 - ci) / 2
    # inverted-cdf quantiles: the smallest rank whose cumulative share reaches q
    lo, med, hi = ((cdf < q - 1e-12).sum(1) + 1 for q in (a, 0.5, 1 - a))
    return lo, med, np.minimum(hi, I)


def funnel_data(crimes, population=None, *, crime_type: str, period,
                peers="riket", focus=None, overdispersion_model: str = "additive",
                winsor: float = 0.1, levels=(0.95, 0.998), target: float | None = None,
                per: float = 100_000, n_sim: int = 1000, seed: int = 2005,
                descending: bool = True, threshold: int = DEFAULT_THRESHOLD) -> FunnelResult:
    """Funnel-plot data of kommun rates against a target, with overdispersion and rank intervals.

    Parameters
    ----------
    crimes : pandas.DataFrame or MonthlyPanel
        Kommun-level crimes frame (with ``population``) or a kommun-level panel (all crime
        types at once: the fast route for many funnels).
    population : pandas.DataFrame, optional
        Population frame (not needed with a panel).
    crime_type : str
        Crime type.
    period : int, str or (start, end)
        A year (``2024``), month or range of months.
    peers : {"riket", "lan"} or list of str
        The comparison set: all kommuner in the data (must be all 290), the län of ``focus``,
        or explicit kommunkoder ("similar kommuner"). The target and the overdispersion are
        estimated from the peers.
    focus : str, optional
        The kommun the report is about (``is_focus``); added as a unit if not among the peers
        (then it does not influence the target).
    overdispersion_model : {"additive", "multiplicative", "none"}
        Spiegelhalter (2005): add a between-kommun variance ``tau2`` (default: exact Poisson
        tails where the expected count is small, the between-kommun spread where it is
        large), inflate the variance by ``phi`` (when ``phi > 1``), or plain Poisson.
    winsor : float
        Winsorisation of the z-scores when estimating the overdispersion.
    levels : (float, float)
        Inner and outer control levels (default 95 % and 99.8 %).
    target : float, optional
        Target rate per ``per`` (default: the peers' pooled rate).
    per : float
        Rates per this many inhabitants and year.
    n_sim, seed : int
        Simulations for the rank intervals, and their seed (results are reproducible).
    descending : bool
        Rank 1 is the highest rate (default) or the lowest.
    threshold : int
        Small-number rule on each kommun's count.

    Returns
    -------
    FunnelResult
        ``.table``, one row per kommun: ``area_code, area_name, crime_type, period``;
        estimate contract ``variable`` (``rate_per_100000``), ``estimate`` (rate), ``se``,
        ``ci_low``, ``ci_high`` (Garwood, the kommun's own rate), ``ci_level``, ``df``, ``deff``
        (phi used), ``n`` (count), ``n_eff``, ``method``, ``suppressed``, ``suppressed_reason``;
        then ``small_numbers``, ``count``, ``person_years``, ``expected`` (target × person-years),
        ``target_rate``, ``z`` (Poisson z), ``z_adjusted`` (after overdispersion),
        ``ratio`` (count / expected), ``ratio_low``, ``ratio_high``, ``ratio_level`` (the
        interval the verdict uses, :func:`ratio_to_expected` with the unit's dispersion),
        ``dispersion`` (variance over mean of the count), ``p_value`` (two-sided, the test
        that interval inverts), ``inner_level``, ``inner_low``, ``inner_high``,
        ``outer_level``, ``outer_low``, ``outer_high`` (control limits for the kommun's size,
        rates, :func:`count_limits`), ``position_inner``/``position_outer`` (``över``/``inom``/
        ``under``: the ratio interval at that level above, around or below 1), ``verdict``
        (``högre``/``lägre``/``ingen säkerställd skillnad`` at the inner level, ``ej bedömbar``
        when the count is below ``threshold``), ``rank`` (the median rank of the simulation,
        1 = highest; always inside its interval), ``rank_observed`` (rank of the observed
        rate), ``rank_low``, ``rank_median``, ``rank_high`` (95 % interval of plausible
        ranks), ``n_ranked``, ``is_peer``, ``is_focus``.

    Notes
    -----
    ``z_i = (y_i - t) / sqrt(t / P_i)`` for rate ``y_i = O_i / P_i`` and target ``t``. Each
    count gets a dispersion ``d_i``: ``1 + tau2 P_i / t`` (additive: variance ``t / P +
    tau2`` on the rate scale), ``phi`` (multiplicative) or 1 (none), and the comparison uses
    exact tails of ``O_i / d_i ~ Poisson(E_i / d_i)``: exact Poisson for small kommuner, close
    to the normal funnel ``t ± z_p sqrt(d_i t / P_i)`` for large ones. Verdict, p-value,
    positions and the drawn limits all come from these tails, so they never disagree; a
    count below ``threshold`` gives no verdict (the small-number rule). Rank intervals treat each kommun's true rate as uncertain and
    ignore between-kommun shrinkage, so they are, if anything, wide.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance. Stat Med
    24, 1185-1202. Spiegelhalter (2005), QSHC 14, 347-351 (overdispersion). Goldstein, H. and
    Spiegelhalter, D. J. (1996). League tables and their limitations. JRSS A 159, 385-443.

    Validated against R metafor 3.8-1 and ``qpois``-based limits; see tests/reference/crime/.

    Examples
    --------
    >>> reg = municipalities()
    >>> lan = reg[reg["lanskod"] == "17"]
    >>> rng = np.random.default_rng(4)
    >>> per = pd.period_range("2024-01", periods=12, freq="M")
    >>> crimes = pd.concat([pd.DataFrame({"kommunkod": k, "period": per, "crime_type": "Bilbrott",
    ...     "count": rng.poisson(p * 4e-4 / 12, 12)})
    ...     for k, p in zip(lan.kommunkod, lan.population)])
    >>> pop = pd.DataFrame({"kommunkod": lan.kommunkod, "year": 2024, "population": lan.population})
    >>> f = funnel_data(crimes, pop, crime_type="Bilbrott", period=2024, peers="lan", focus="1760")
    >>> cols = ["area_name", "n_ranked", "position_inner"]
    >>> f.table.loc[f.table.is_focus, cols].to_dict("records")
    [{'area_name': 'Storfors', 'n_ranked': 16, 'position_inner': 'inom'}]
    """
    if overdispersion_model not in ("multiplicative", "additive", "none"):
        raise ValueError("overdispersion_model must be 'multiplicative', 'additive' or 'none'")
    reg = municipalities().set_index("kommunkod")
    if isinstance(crimes, MonthlyPanel):
        if not (crimes.keys["level"] == "kommun").all():
            raise ValueError("funnel_data needs a kommun-level panel")
        present = sorted(crimes.keys.loc[crimes.keys["crime_type"] == crime_type, "area_code"])
    else:
        present = sorted(set(crimes.loc[crimes["crime_type"] == crime_type, "kommunkod"]
                             .astype(str)))
    if isinstance(peers, str):
        if peers == "riket":
            peer_codes = list(reg.index)
        elif peers == "lan":
            if focus is None:
                raise ValueError("peers='lan' needs focus= (a kommunkod) to know the län")
            peer_codes = list(reg.index[reg["lanskod"] == reg.at[str(focus), "lanskod"]])
        else:
            raise ValueError("peers must be 'riket', 'lan' or a list of kommunkoder")
    else:
        peer_codes = [str(c) for c in peers]
    missing = [c for c in peer_codes if c not in present]
    if missing:
        raise DataError(f"{len(missing)} of the {len(peer_codes)} peer kommuner have no "
                        f"{crime_type} data (e.g. {missing[0]}); the target would be biased")
    extra = [str(focus)] if focus is not None and str(focus) not in peer_codes else []
    units = peer_codes + extra
    if isinstance(crimes, MonthlyPanel):
        panel = as_panel(crimes, areas=units, crime_types=[crime_type])
    else:
        panel = as_panel(crimes[crimes["kommunkod"].astype(str).isin(units)], population,
                         crime_types=[crime_type])
    m = period_mask(panel.periods, period)
    if not m.any() or not panel.observed[:, m].all():
        raise DataError("the period is not fully covered for every kommun")
    O = np.nan_to_num(panel.counts[:, m]).sum(1)
    P = panel.exposure[:, m].sum(1)
    codes = panel.keys["area_code"].to_numpy()
    is_peer = np.isin(codes, peer_codes)
    t0 = target / per if target is not None else O[is_peer].sum() / P[is_peer].sum()
    y = O / P
    s = np.sqrt(t0 / P)
    z = (y - t0) / s
    od = overdispersion(z[is_peer], 1 / s[is_peer] ** 2, winsor=winsor,
                        target_estimated=target is None)
    phi = max(od["phi"], 1.0) if overdispersion_model == "multiplicative" else 1.0
    tau2 = od["tau2"] if overdispersion_model == "additive" else 0.0

    def dispersion(PP):
        # variance of the count over its mean: phi, or 1 + tau2 P / t (additive: Poisson
        # noise dominates small kommuner, the between-kommun spread large ones)
        return phi + tau2 * PP / t0

    d = dispersion(P)
    z_adj = (y - t0) / np.sqrt(d * s ** 2)

    out = panel.keys[["area_code", "area_name", "crime_type"]].copy()
    out["period"] = (f"{period[0]}–{period[1]}" if isinstance(period, (tuple, list))
                     else str(period))
    lo, hi = garwood_ci(O)
    rule = small_number_rule(O, threshold=threshold)
    out["variable"] = f"rate_per_{per:g}"
    out["estimate"] = y * per
    out["se"] = np.sqrt(O) / P * per
    out["ci_low"], out["ci_high"], out["ci_level"] = lo / P * per, hi / P * per, 0.95
    out["df"] = np.nan
    out["deff"] = d
    out["n"] = O.astype(np.int64)
    out["n_eff"] = O / d
    out["method"] = f"funnel, Spiegelhalter 2005 ({overdispersion_model})"
    out["suppressed"] = False
    out["suppressed_reason"] = rule["suppressed_reason"].to_numpy()
    out["small_numbers"] = rule["small_numbers"].to_numpy()
    out["count"] = O.astype(np.int64)
    out["person_years"] = P
    out["expected"] = t0 * P
    out["target_rate"] = t0 * per
    out["z"] = z
    out["z_adjusted"] = z_adj
    inner = ratio_to_expected(O, t0 * P, dispersion=d, level=levels[0])
    out["ratio"] = inner["ratio"].to_numpy()
    out["ratio_low"], out["ratio_high"] = inner["ratio_low"].to_numpy(), inner["ratio_high"].to_numpy()
    out["ratio_level"] = levels[0]
    out["dispersion"] = d
    out["p_value"] = inner["p_value"].to_numpy()
    for name, level in (("inner", levels[0]), ("outer", levels[1])):
        r = inner if name == "inner" else ratio_to_expected(O, t0 * P, dispersion=d, level=level)
        lo_c, hi_c = count_limits(t0 * P, dispersion=d, level=level)
        out[f"{name}_level"] = level
        out[f"{name}_low"], out[f"{name}_high"] = lo_c / P * per, hi_c / P * per
        pos = np.where(r["ratio_low"] > 1, "över", np.where(r["ratio_high"] < 1, "under", "inom"))
        out[f"position_{name}"] = pd.array(pos, dtype="str")
    small = rule["small_numbers"].to_numpy()
    out["verdict"] = pd.array(np.select([small, out["position_inner"] == "över",
                                         out["position_inner"] == "under"],
                                        [NOT_ASSESSABLE, HIGHER, LOWER], NO_DIFFERENCE), dtype="str")
    order = (-y if descending else y).argsort(kind="stable")
    rank = np.empty(y.size, dtype=int)
    rank[order] = np.arange(1, y.size + 1)
    # ranks are about each kommun's own true rate: the between-kommun spread (tau2) is not
    # uncertainty about it, an extra-Poisson phi is
    rl, rm, rh = _rank_intervals(O, P, np.full(O.shape, phi), n_sim=n_sim, seed=seed, descending=descending, ci=0.95)
    # the rank shown is the median of the same simulation that gives its interval, so it
    # always lies inside it; the rank of the observed rates is kept beside it
    out["rank"], out["rank_observed"] = rm, rank
    out["rank_low"], out["rank_median"], out["rank_high"] = rl, rm, rh
    out["n_ranked"] = y.size
    out["is_peer"] = is_peer
    out["is_focus"] = codes == (str(focus) if focus is not None else None)
    grid = np.geomspace(P.min() * 0.8, P.max() * 1.25, 200)
    lim = []
    for level in levels:
        lo_g, hi_g = count_limits(t0 * grid, dispersion=dispersion(grid), level=level)
        lo_g, hi_g = lo_g / grid, hi_g / grid
        lim.append(pd.DataFrame({"person_years": grid, "expected": t0 * grid, "ci_level": level,
                                 "lower": lo_g * per, "upper": hi_g * per}))
    settings = {"crime_type": crime_type, "period": period, "peers": peers, "focus": focus,
                "overdispersion": overdispersion_model, "phi": phi, "tau2": tau2, "winsor": winsor, "levels": tuple(levels),
                "per": per, "n_sim": n_sim, "seed": seed}
    return FunnelResult(out.reset_index(drop=True), pd.concat(lim, ignore_index=True),
                        t0 * per, od, settings)
