"""When and where: weekday × hour tables, top places and changes in a place's share.

Answers "at what times and in which places do the kommun's incidents concentrate, and did a
place's share change?" from an ``incidents`` frame (:mod:`analysis.io.incidents`). Every test is
exact or simulated where counts are small; verdicts use the words of :mod:`analysis.verdicts`,
FDR over the cells or places of one table (:mod:`analysis.multiplicity`), and the small-number
rule of the crime statistics. Next in the flow: :mod:`analysis.report.analysis` words them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..swedish import WEEKDAY_NAMES
from ..verdicts import (DEFAULT_THRESHOLD, DIFFERENCE, HIGHER, INCREASE, LOWER, NO_CHANGE,
                        NO_DIFFERENCE, add_verdicts, percent_change, small_number_rule)
from .rates import garwood_ci

__all__ = ["WeekdayHourResult", "weekday_hour", "top_places", "place_change",
           "poisson_test", "chisq_gof", "chisq_independence", "indoor_share", "part_share"]

_REL_ERR = 1 + 1e-7  # R's tolerance for "as or less likely than the observed count"


def poisson_test(x, expected) -> np.ndarray:
    """Two-sided exact Poisson test of counts against expected counts, as R ``poisson.test``.

    Parameters
    ----------
    x : array_like of int
        Observed counts.
    expected : array_like of float
        Expected counts under the null (``r * T`` in R).

    Returns
    -------
    numpy.ndarray
        p-values: the probability of counts no more likely than the observed one (R's
        two-sided rule with its relative tolerance ``1 + 1e-7``).

    Notes
    -----
    Validated against R 4.x ``poisson.test(x, T = 1, r = m)$p.value``; see
    tests/reference/crime/place_tests.R.

    Examples
    --------
    >>> poisson_test([3, 12, 5], [5.0, 5.0, 5.0]).round(4).tolist()
    [0.5028, 0.0055, 1.0]
    """
    x, m = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(expected, dtype=float))
    out = np.empty(x.shape)
    for i, (xi, mi) in enumerate(zip(x.ravel(), m.ravel())):
        if mi == 0:
            out.flat[i] = float(xi == 0)
            continue
        d = stats.poisson.pmf(xi, mi)
        if xi == mi:
            p = 1.0
        elif xi < mi:
            n_hi = int(np.ceil(2 * mi - xi))
            while stats.poisson.pmf(n_hi, mi) > d:
                n_hi *= 2
            k = np.arange(int(np.ceil(mi)), n_hi + 1)
            y = int((stats.poisson.pmf(k, mi) <= d * _REL_ERR).sum())
            p = stats.poisson.cdf(xi, mi) + stats.poisson.sf(n_hi - y, mi)
        else:
            k = np.arange(0, int(np.floor(mi)) + 1)
            y = int((stats.poisson.pmf(k, mi) <= d * _REL_ERR).sum())
            p = stats.poisson.cdf(y - 1, mi) + stats.poisson.sf(xi - 1, mi)
        out.flat[i] = min(1.0, p)
    return out


def chisq_gof(counts, *, n_sim: int = 2000, seed: int = 12, min_expected: float = 5.0) -> dict:
    """Chi-square test that counts are spread evenly over their cells (goodness of fit).

    The asymptotic chi-square p-value when every expected count is at least ``min_expected``;
    otherwise a Monte Carlo p-value from ``n_sim`` multinomial tables, ``(1 + #{X²* ≥ X²}) /
    (n_sim + 1)`` as R ``chisq.test(x, simulate.p.value = TRUE)`` computes it.

    Returns
    -------
    dict
        ``statistic``, ``df``, ``p_value``, ``method``, ``n``, ``min_expected``.

    Examples
    --------
    >>> r = chisq_gof([30, 10, 20])
    >>> round(r["statistic"], 3), r["df"], round(r["p_value"], 5), r["method"]
    (10.0, 2, 0.00674, 'chi-square, asymptotic')
    """
    x = np.asarray(counts, dtype=float).ravel()
    n = x.sum()
    if n == 0 or x.size < 2:
        return {"statistic": np.nan, "df": x.size - 1, "p_value": np.nan, "method": "no data",
                "n": int(n), "min_expected": 0.0}
    e = np.full(x.size, n / x.size)
    stat = float(((x - e) ** 2 / e).sum())
    if e.min() >= min_expected:
        p, method = float(stats.chi2.sf(stat, x.size - 1)), "chi-square, asymptotic"
    else:
        sim = np.random.default_rng(seed).multinomial(int(n), np.full(x.size, 1 / x.size),
                                                      size=n_sim)
        s = ((sim - e) ** 2 / e).sum(1)
        p = float((1 + (s >= stat - 1e-9 * max(1.0, stat)).sum()) / (n_sim + 1))
        method = f"chi-square, Monte Carlo ({n_sim} tables)"
    return {"statistic": stat, "df": x.size - 1, "p_value": p, "method": method, "n": int(n),
            "min_expected": float(e.min())}


def chisq_independence(table, *, n_sim: int = 2000, seed: int = 12,
                       min_expected: float = 5.0) -> dict:
    """Chi-square test of independence of a two-way table (e.g. does the hour profile differ
    between weekdays?), asymptotic or, when expected counts are small, Monte Carlo with fixed
    margins (Patefield's algorithm, as R ``chisq.test(simulate.p.value = TRUE)``).

    Returns
    -------
    dict
        ``statistic``, ``df``, ``p_value``, ``method``, ``n``, ``min_expected``.

    Examples
    --------
    >>> r = chisq_independence([[20, 10], [10, 20]])
    >>> round(r["statistic"], 4), round(r["p_value"], 5)
    (6.6667, 0.00982)
    """
    t = np.asarray(table, dtype=float)
    t = t[t.sum(1) > 0][:, t.sum(0) > 0]
    n = t.sum()
    if t.shape[0] < 2 or t.shape[1] < 2:
        return {"statistic": np.nan, "df": 0, "p_value": np.nan, "method": "no data",
                "n": int(n), "min_expected": 0.0}
    r, c = t.sum(1), t.sum(0)
    e = np.outer(r, c) / n
    stat = float(((t - e) ** 2 / e).sum())
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    if e.min() >= min_expected:
        p, method = float(stats.chi2.sf(stat, df)), "chi-square, asymptotic"
    else:
        sims = stats.random_table(r.astype(int), c.astype(int), seed=seed).rvs(n_sim)
        s = ((sims - e) ** 2 / e).sum((1, 2))
        p = float((1 + (s >= stat - 1e-9 * max(1.0, stat)).sum()) / (n_sim + 1))
        method = f"chi-square, Monte Carlo ({n_sim} tables, fixed margins)"
    return {"statistic": stat, "df": df, "p_value": p, "method": method, "n": int(n),
            "min_expected": float(e.min())}


# --------------------------------------------------------------------------- selection

def _select(incidents: pd.DataFrame, kommunkod, period) -> pd.DataFrame:
    need = {"kommunkod", "date", "time", "place"}
    if not need <= set(incidents.columns):
        raise DataError(f"an incidents frame needs the columns {', '.join(sorted(need))} "
                        f"(got {', '.join(map(str, incidents.columns))}); read it with "
                        "analysis.io.read_incidents")
    df = incidents
    if kommunkod is not None:
        df = df[df["kommunkod"].astype(str) == str(kommunkod)]
    if period is not None:
        df = df[_in_period(df["date"], period)]
    if df.empty:
        raise DataError(f"no incidents for kommun {kommunkod} in {period or 'the data'}")
    return df


def _in_period(dates: pd.Series, period) -> np.ndarray:
    """``period``: a year (2025), or ``(start, end)`` dates, both ends included."""
    d = pd.to_datetime(dates)
    if isinstance(period, (tuple, list)):
        start, end = (pd.Timestamp(str(p)) for p in period)
        return ((d >= start) & (d <= end + pd.Timedelta(days=1) - pd.Timedelta(seconds=1))).to_numpy()
    return (d.dt.year == int(period)).to_numpy()


def _period_label(period) -> str:
    return f"{period[0]}–{period[1]}" if isinstance(period, (tuple, list)) else str(period)


# --------------------------------------------------------------------------- weekday × hour

@dataclass(frozen=True)
class WeekdayHourResult:
    """Incidents by weekday and hour, with tests of an even spread.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per weekday × hour (168): ``weekday`` (0 = måndag), ``weekday_name``, ``hour``,
        ``count``, ``expected`` (the even spread ``n / 168``), ``ratio`` (count / expected) with
        exact ``ci_low``/``ci_high`` (Garwood), ``ci_level``, ``p_value`` (exact Poisson test of
        the count against the even spread), ``q_value``/``survives`` (BH over the 168 cells),
        ``verdict`` (``högre``/``lägre``/``ingen säkerställd skillnad``: the interval excludes 1
        *and* the cell survives the FDR correction), ``small_numbers``.
    tests : pandas.DataFrame
        One row per question: ``hela veckan`` (168 cells even?), ``veckodag`` (7 weekdays
        even?), ``timme`` (24 hours even?), ``veckodag × timme`` (same hour profile every
        weekday?): ``statistic, df, p_value, method, n, min_expected, verdict`` (``skillnad``
        or ``ingen säkerställd skillnad`` at ``alpha``).
    n, n_missing_time : int
        Incidents counted, and incidents left out because their time is unknown.
    settings : dict
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    n: int
    n_missing_time: int
    settings: dict = field(default_factory=dict)

    def peaks(self) -> pd.DataFrame:
        """The cells whose verdict is ``högre``, highest ratio first."""
        t = self.table[self.table["verdict"] == HIGHER]
        return t.sort_values(["ratio", "weekday", "hour"], ascending=[False, True, True])

    def matrix(self) -> pd.DataFrame:
        """Counts as a 7 × 24 table (weekday names × hours), for a figure or a display table."""
        m = self.table.pivot(index="weekday", columns="hour", values="count")
        m.index = [WEEKDAY_NAMES[i] for i in m.index]
        return m

    def summary(self) -> str:
        lines = [f"{self.n} händelser med klockslag ({self.n_missing_time} utan), "
                 f"{self.settings.get('period') or 'hela perioden'}"]
        for r in self.tests.itertuples():
            lines.append(f"  {r.question}: X2 = {r.statistic:.1f}, df = {r.df}, "
                         f"p = {r.p_value:.3g} ({r.method}) → {r.verdict}")
        for r in self.peaks().itertuples():
            lines.append(f"  topp: {r.weekday_name} kl. {r.hour:02d}: {r.count} "
                         f"({r.ratio:.1f} gånger jämn fördelning)")
        return "\n".join(lines)


def _clock_hours(time: pd.Series) -> np.ndarray:
    """The hour of each ``HH:MM`` clock time; NaN where the time is unknown."""
    def hour(v) -> float:
        if not isinstance(v, str) or not v.strip():
            return np.nan
        head = v.replace(".", ":").split(":")[0]
        return float(head) if head.isdigit() and int(head) < 24 else np.nan
    return np.array([hour(v) for v in time.to_numpy(dtype=object)], dtype=float)


def weekday_hour(incidents: pd.DataFrame, *, kommunkod: str | None = None, period=None,
                 alpha: float = 0.05, threshold: int = DEFAULT_THRESHOLD, n_sim: int = 2000,
                 seed: int = 12) -> WeekdayHourResult:
    """Weekday × hour table of incidents with honest tests of an even spread.

    Parameters
    ----------
    incidents : pandas.DataFrame
        An ``incidents`` frame (:func:`analysis.io.read_incidents`).
    kommunkod : str, optional
        The kommun (default: every row).
    period : int or (start, end), optional
        A year or a date range (default: all dates).
    alpha : float
        Level of the tests and of the FDR over the 168 cells.
    threshold : int
        Small-number rule on each cell's count (flagged, and never a verdict).
    n_sim, seed : int
        Monte Carlo tables for sparse tests, and their seed.

    Returns
    -------
    WeekdayHourResult

    Notes
    -----
    The even spread over the 168 hours of the week is the null of every test: a cell is a peak
    when its exact Poisson interval for count / expected lies above 1 and its exact test
    survives Benjamini–Hochberg over the 168 cells. The overall tests are chi-square tests,
    with Monte Carlo p-values when an expected count is below 5 (Cochran's rule) rather than an
    asymptotic p-value that cannot be trusted there. Incidents without a clock time are left
    out and counted in ``n_missing_time``.

    References
    ----------
    R ``poisson.test``, ``chisq.test`` (``simulate.p.value``); Garwood (1936) intervals.
    Validated against R 4.x; see tests/reference/crime/place_tests.R.

    Examples
    --------
    >>> from analysis.sample.incidents import incidents_frame
    >>> wh = weekday_hour(incidents_frame(20260101, ["2181"]), kommunkod="2181")
    >>> wh.tests.set_index("question").loc["hela veckan", "verdict"]
    'skillnad'
    >>> sorted({(int(r.weekday), int(r.hour)) for r in wh.peaks().head(4).itertuples()})
    [(4, 22), (4, 23), (5, 22), (5, 23)]
    """
    df = _select(incidents, kommunkod, period)
    hour = _clock_hours(df["time"])
    known = ~np.isnan(hour)
    wd = pd.to_datetime(df["date"]).dt.day_of_week.to_numpy()[known]
    hr = hour[known].astype(int)
    counts = np.zeros((7, 24), dtype=np.int64)
    np.add.at(counts, (wd, hr), 1)
    n = int(counts.sum())
    if n == 0:
        raise DataError("no incident has a clock time: the weekday × hour table is empty")
    e = n / 168
    x = counts.ravel()
    lo, hi = garwood_ci(x)
    rule = small_number_rule(x, threshold=threshold)
    t = pd.DataFrame({"weekday": np.repeat(np.arange(7), 24), "hour": np.tile(np.arange(24), 7)})
    t["weekday_name"] = [WEEKDAY_NAMES[d] for d in t["weekday"]]
    t["count"], t["expected"], t["ratio"] = x, e, x / e
    t["ci_low"], t["ci_high"], t["ci_level"] = lo / e, hi / e, 0.95
    t["p_value"] = poisson_test(x, e)
    t["reliable"] = ~rule["small_numbers"].to_numpy()
    t = add_verdicts(t, null=1.0, alpha=alpha)
    t["verdict"] = pd.array(t["verdict_fdr"].map({INCREASE: HIGHER, NO_CHANGE: NO_DIFFERENCE})
                            .fillna(LOWER), dtype="str")
    t["small_numbers"] = rule["small_numbers"].to_numpy()
    t = t.drop(columns=["verdict_fdr", "reliable"])
    tests = []
    for question, tab, fn in (("hela veckan", x, chisq_gof), ("veckodag", counts.sum(1), chisq_gof),
                              ("timme", counts.sum(0), chisq_gof),
                              ("veckodag × timme", counts, chisq_independence)):
        r = fn(tab, n_sim=n_sim, seed=seed)
        verdict = DIFFERENCE if r["p_value"] < alpha else NO_DIFFERENCE
        tests.append({"question": question, **r, "verdict": verdict})
    return WeekdayHourResult(t, pd.DataFrame(tests), n, int((~known).sum()),
                             {"kommunkod": kommunkod, "period": period, "alpha": alpha,
                              "threshold": threshold, "n_sim": n_sim, "seed": seed})


# --------------------------------------------------------------------------- places

def _pairwise_rank_bounds(x: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ranks a place could plausibly hold: 1 + the places with significantly more incidents,
    up to the number of places without significantly fewer (exact conditional binomial test of
    ``x_j`` against ``x_i`` given their sum, as R ``binom.test(x_j, x_i + x_j)``)."""
    k = x.size
    more = np.zeros((k, k), dtype=bool)  # more[i, j]: j has significantly more than i
    for i in range(k):
        for j in range(k):
            if x[j] > x[i]:
                more[i, j] = stats.binomtest(int(x[j]), int(x[i] + x[j]), 0.5).pvalue < alpha
    low = 1 + more.sum(1)
    high = k - more.sum(0)  # places significantly below i cannot outrank it
    return low, high


def top_places(incidents: pd.DataFrame, *, kommunkod: str | None = None, period=None,
               alpha: float = 0.05, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Places ranked by their number of incidents, with exact intervals and ties admitted.

    Parameters
    ----------
    incidents : pandas.DataFrame
        An ``incidents`` frame.
    kommunkod : str, optional
    period : int or (start, end), optional
    alpha : float
        Level of the intervals' complement, the tests and the FDR over places.
    threshold : int
        Small-number rule on each place's count.

    Returns
    -------
    pandas.DataFrame
        One row per place, most incidents first: ``place, count, ci_low, ci_high`` (exact
        Poisson, Garwood), ``share, share_low, share_high`` (Clopper–Pearson, as R
        ``binom.test``), ``ci_level``, ``expected_share`` (an even spread over the places),
        ``p_value`` (exact binomial test of the share against the even spread), ``q_value``,
        ``verdict`` (``högre``/``lägre``/``ingen säkerställd skillnad`` than an even spread:
        the share's interval excludes it *and* the test survives BH over the places),
        ``rank`` (1 = most; equal counts share a rank), ``rank_low``, ``rank_high`` (the ranks
        the place could plausibly hold: see Notes), ``small_numbers``, ``suppressed_reason``,
        ``n`` (all incidents), ``n_places``, ``period``.

    Notes
    -----
    A place's plausible ranks run from 1 + the number of places with significantly more
    incidents to the number of places without significantly fewer (pairwise exact conditional
    tests at ``alpha``); places whose ranges overlap cannot be told apart, so a "top three" is
    said only of places whose ``rank_high`` is at most 3.

    Examples
    --------
    >>> from analysis.sample.incidents import incidents_frame
    >>> p = top_places(incidents_frame(20260101, ["1760"]), kommunkod="1760")
    >>> p[["place", "rank", "rank_low", "verdict"]].head(2).to_dict("records")
    [{'place': 'Resecentrum', 'rank': 1, 'rank_low': 1, 'verdict': 'högre'}, {'place': 'Stora torget', 'rank': 2, 'rank_low': 2, 'verdict': 'högre'}]
    """
    df = _select(incidents, kommunkod, period)
    c = df["place"].astype("str").value_counts()
    c = c.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    x = c.to_numpy(dtype=np.int64)
    n, k = int(x.sum()), x.size
    p0 = 1 / k
    lo, hi = garwood_ci(x)
    tests = [stats.binomtest(int(v), n, p0) for v in x]
    cp = [tt.proportion_ci(confidence_level=1 - alpha, method="exact") for tt in tests]
    rule = small_number_rule(x, threshold=threshold)
    out = pd.DataFrame({"place": c.index.astype(str), "count": x, "ci_low": lo, "ci_high": hi})
    out["share"] = x / n
    out["share_low"] = [ci.low for ci in cp]
    out["share_high"] = [ci.high for ci in cp]
    out["ci_level"] = 1 - alpha
    out["expected_share"] = p0
    # the verdict machinery works on ratios to the null: share / even share
    tmp = pd.DataFrame({"ci_low": out["share_low"] / p0, "ci_high": out["share_high"] / p0,
                        "p_value": [tt.pvalue for tt in tests],
                        "reliable": ~rule["small_numbers"].to_numpy()})
    tmp = add_verdicts(tmp, null=1.0, alpha=alpha)
    out["p_value"], out["q_value"] = tmp["p_value"], tmp["q_value"]
    out["verdict"] = pd.array(tmp["verdict_fdr"].map({INCREASE: HIGHER, NO_CHANGE: NO_DIFFERENCE})
                              .fillna(LOWER), dtype="str")
    out["rank"] = pd.Series(-x).rank(method="min").astype(int).to_numpy()
    out["rank_low"], out["rank_high"] = _pairwise_rank_bounds(x, alpha)
    out["small_numbers"] = rule["small_numbers"].to_numpy()
    out["suppressed_reason"] = rule["suppressed_reason"].to_numpy()
    out["n"], out["n_places"] = n, k
    out["period"] = _period_label(period) if period is not None else "hela perioden"
    return out.reset_index(drop=True)


def place_change(incidents: pd.DataFrame, *, period1, period2, kommunkod: str | None = None,
                 alpha: float = 0.05, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Did a place's share of the incidents change between two periods? Exact conditional tests.

    Parameters
    ----------
    incidents : pandas.DataFrame
        An ``incidents`` frame.
    period1, period2 : int or (start, end)
        The earlier and the later period (years or date ranges).
    kommunkod : str, optional
    alpha : float
        Test level and FDR level over the places.
    threshold : int
        Small-number rule: a place with fewer incidents than this in either period gets no
        verdict and no percent change (the counts are shown instead).

    Returns
    -------
    pandas.DataFrame
        One row per place: ``place, x1, n1, x2, n2`` (the place's and all incidents in each
        period), ``share1, share2``, ``odds_ratio`` (conditional maximum likelihood) with exact
        ``ci_low``/``ci_high`` and ``p_value`` from Fisher's exact test of the 2 × 2 table (as R
        ``fisher.test``), ``ci_level``, ``q_value``, ``survives``, ``verdict`` (``ökning``/
        ``minskning``/``ingen säkerställd förändring``: the interval excludes 1 *and* the test
        survives BH over the places), ``percent_change`` (of the share; withheld below the
        small-number rule) with ``percent_change_note``, ``small_numbers``, ``period1``,
        ``period2``.

    Notes
    -----
    Conditioning on both periods' totals removes a change in the overall number of incidents
    (more trygghetsvärdar on duty): what is tested is the place's *share*.

    Examples
    --------
    >>> from analysis.sample.incidents import incidents_frame
    >>> ch = place_change(incidents_frame(20260101, ["1080"]), period1=2024, period2=2025)
    >>> ch.loc[ch.verdict != "ingen säkerställd förändring", ["place", "verdict"]].to_dict("records")
    [{'place': 'Fritidsgården', 'verdict': 'ökning'}]
    """
    df = _select(incidents, kommunkod, None)
    a = df[_in_period(df["date"], period1)]["place"].astype("str").value_counts()
    b = df[_in_period(df["date"], period2)]["place"].astype("str").value_counts()
    if a.empty or b.empty:
        raise DataError(f"no incidents in {'the first' if a.empty else 'the second'} period "
                        f"({_period_label(period1) if a.empty else _period_label(period2)})")
    places = sorted(set(a.index) | set(b.index))
    x1 = a.reindex(places, fill_value=0).to_numpy(dtype=np.int64)
    x2 = b.reindex(places, fill_value=0).to_numpy(dtype=np.int64)
    n1, n2 = int(a.sum()), int(b.sum())
    rows = []
    for p, u, v in zip(places, x1, x2):
        tab = [[int(v), int(n2 - v)], [int(u), int(n1 - u)]]
        res = stats.contingency.odds_ratio(tab, kind="conditional")
        ci = res.confidence_interval(confidence_level=1 - alpha)
        rows.append({"place": p, "odds_ratio": res.statistic, "ci_low": ci.low, "ci_high": ci.high,
                     "p_value": stats.fisher_exact(tab).pvalue})
    out = pd.DataFrame(rows)
    out.insert(1, "x1", x1)
    out.insert(2, "n1", n1)
    out.insert(3, "x2", x2)
    out.insert(4, "n2", n2)
    out.insert(5, "share1", x1 / n1)
    out.insert(6, "share2", x2 / n2)
    out["ci_level"] = 1 - alpha
    small = (np.minimum(x1, x2) < threshold)
    out["reliable"] = ~small
    out = add_verdicts(out, null=1.0, alpha=alpha)
    out["verdict"] = out["verdict_fdr"]
    pc = percent_change(x1, n1, x2, n2, threshold=threshold)
    out["percent_change"] = pc["percent_change"].to_numpy()
    out["percent_change_note"] = pc["percent_change_note"].to_numpy()
    out["small_numbers"] = small
    out["period1"], out["period2"] = _period_label(period1), _period_label(period2)
    return out.drop(columns=["verdict_fdr", "reliable"]).sort_values(
        ["x2", "place"], ascending=[False, True], kind="stable").reset_index(drop=True)


def indoor_share(crimes: pd.DataFrame, *, kommunkod: str, year: int,
                 alpha: float = 0.05) -> pd.DataFrame:
    """Where Brå splits a crime into indoors and outdoors: the indoor share, with its interval.

    Parameters
    ----------
    crimes : pandas.DataFrame
        A crimes frame; pairs of crime types named ``"<X> inomhus"`` and ``"<X> utomhus"``
        (Brå's "därav" subcategories, e.g. Misshandel inomhus/utomhus) are used.
    kommunkod : str
    year : int
    alpha : float

    Returns
    -------
    pandas.DataFrame
        One row per split crime: ``crime, indoors, outdoors, share_indoors, ci_low, ci_high``
        (Clopper–Pearson, R ``binom.test``), ``ci_level``, ``verdict`` (``högre`` when the
        whole interval lies above one half, i.e. most happen indoors; ``lägre`` below; else
        ``ingen säkerställd skillnad``), ``small_numbers``. Empty when the data have no split.

    Examples
    --------
    >>> per = pd.period_range("2024-01", periods=12, freq="M")
    >>> c = pd.concat([pd.DataFrame({"kommunkod": "1760", "period": per, "crime_type": t, "count": k})
    ...                for t, k in (("Misshandel inomhus", 3), ("Misshandel utomhus", 1))])
    >>> indoor_share(c, kommunkod="1760", year=2024)[["crime", "indoors", "verdict"]].to_dict("records")
    [{'crime': 'Misshandel', 'indoors': 36, 'verdict': 'högre'}]
    """
    mine = crimes[(crimes["kommunkod"].astype(str) == str(kommunkod))
                  & (pd.PeriodIndex(crimes["period"], freq="M").year == int(year))]
    totals = mine.groupby("crime_type", observed=True)["count"].sum()
    rows = []
    for name in sorted(totals.index):
        if not str(name).endswith(" inomhus"):
            continue
        base = str(name)[: -len(" inomhus")]
        if f"{base} utomhus" not in totals.index:
            continue
        k, m = int(totals[name]), int(totals[f"{base} utomhus"])
        if k + m == 0:
            continue
        t = stats.binomtest(k, k + m, 0.5)
        ci = t.proportion_ci(confidence_level=1 - alpha, method="exact")
        small = k + m < DEFAULT_THRESHOLD
        verdict = NO_DIFFERENCE if small else (HIGHER if ci.low > 0.5 else LOWER if ci.high < 0.5
                                               else NO_DIFFERENCE)
        rows.append({"crime": base, "indoors": k, "outdoors": m, "share_indoors": k / (k + m),
                     "ci_low": ci.low, "ci_high": ci.high, "ci_level": 1 - alpha,
                     "verdict": verdict, "small_numbers": small})
    return pd.DataFrame(rows, columns=["crime", "indoors", "outdoors", "share_indoors", "ci_low",
                                       "ci_high", "ci_level", "verdict", "small_numbers"])


def part_share(crimes: pd.DataFrame, *, kommunkod: str, year: int, part: str, whole: str,
               alpha: float = 0.05) -> pd.DataFrame:
    """A Brå "därav" subcategory's share of its crime (e.g. våld mot kvinna i nära relation of
    all misshandel), with a Clopper–Pearson interval; empty when the data lack either series.

    Examples
    --------
    >>> per = pd.period_range("2024-01", periods=12, freq="M")
    >>> c = pd.concat([pd.DataFrame({"kommunkod": "1760", "period": per, "crime_type": t, "count": k})
    ...                for t, k in (("Misshandel (inkl. grov)", 5), ("Våld mot kvinna i nära relation", 1))])
    >>> part_share(c, kommunkod="1760", year=2024, part="Våld mot kvinna i nära relation",
    ...            whole="Misshandel (inkl. grov)")[["count_part", "count_whole"]].to_dict("records")
    [{'count_part': 12, 'count_whole': 60}]
    """
    cols = ["part", "whole", "count_part", "count_whole", "share", "ci_low", "ci_high",
            "ci_level", "small_numbers"]
    mine = crimes[(crimes["kommunkod"].astype(str) == str(kommunkod))
                  & (pd.PeriodIndex(crimes["period"], freq="M").year == int(year))]
    totals = mine.groupby("crime_type", observed=True)["count"].sum()
    if part not in totals.index or whole not in totals.index or totals[whole] == 0:
        return pd.DataFrame(columns=cols)
    k, n = int(totals[part]), int(totals[whole])
    if k > n:
        raise DataError(f"{part} ({k}) exceeds {whole} ({n}) for {kommunkod} in {year}: "
                        "a subcategory cannot be larger than its crime")
    ci = stats.binomtest(k, n, 0.5).proportion_ci(confidence_level=1 - alpha, method="exact")
    return pd.DataFrame([[part, whole, k, n, k / n, ci.low, ci.high, 1 - alpha,
                          n < DEFAULT_THRESHOLD]], columns=cols)
