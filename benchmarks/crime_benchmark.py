"""Benchmark: trends, period comparisons and funnel data for all kommuner (issue 3).

290 kommuner × 12 crime types × 11 years of monthly data (3 480 series × 132 months),
synthetic. Times the package's batched route (one IRLS over all series) side by side with a
plain statsmodels loop computing the same quantities, checks that both give the same answers,
and prints peak memory. Target: under 3 s and 2 GiB on a 2-core machine.

Run:  .venv/bin/python benchmarks/crime_benchmark.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: small solves compete
os.environ.setdefault("OMP_NUM_THREADS", "1")

import resource  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import statsmodels.api as sm  # noqa: E402

from analysis.crime import compare_periods  # noqa: E402
from analysis.crime import monthly_panel  # noqa: E402
from analysis.crime import _time_years, seasonal_terms, trend  # noqa: E402
from analysis.crime_types import CRIME_TYPES  # noqa: E402
from analysis.crime import funnel_data  # noqa: E402
from analysis.crime.glm import fit_batch  # noqa: E402
from analysis.municipalities import municipalities  # noqa: E402

PERIODS = pd.period_range("2014-01", "2024-12", freq="M")


def make_data(seed: int = 3):
    """Synthetic crimes and population frames of the tidy data model, all 290 kommuner."""
    rng = np.random.default_rng(seed)
    reg = municipalities()
    years = np.arange(2014, 2025)
    growth = 1.006 ** (years - 2025)
    pop = np.round(reg["population"].to_numpy()[:, None] * growth[None, :]).astype(np.int64)
    population = pd.DataFrame({"kommunkod": np.repeat(reg["kommunkod"].to_numpy(), len(years)),
                               "year": np.tile(years, len(reg)),
                               "population": pop.ravel()})
    K, T, n = len(reg), len(CRIME_TYPES), len(PERIODS)
    yidx = np.asarray(PERIODS.year) - 2014
    month = np.asarray(PERIODS.month)
    size = reg["population"].to_numpy() / np.median(reg["population"])
    counts = np.empty((K, T, n), dtype=np.int64)
    t = (np.arange(n) - n / 2) / 12
    for j, ct in enumerate(CRIME_TYPES):
        rate = ct.national_per_year / reg["population"].sum() / 12
        lvl = rate * size[:, None] ** ct.urban_gradient * pop[:, yidx]
        peak = np.isin(month, ct.peak_months) * 0.25
        e = np.zeros((K, n))
        z = rng.standard_normal((K, n))
        for i in range(n):
            e[:, i] = (0.3 * e[:, i - 1] if i else 0) + np.sqrt(1 - 0.09) * z[:, i]
        mu = lvl * np.exp(peak + 0.02 * t * rng.normal(size=(K, 1)) + 0.12 * e)
        counts[:, j] = rng.poisson(mu)
    crimes = pd.DataFrame({
        "kommunkod": np.repeat(reg["kommunkod"].to_numpy(), T * n),
        "period": pd.PeriodIndex(np.tile(PERIODS, K * T), freq="M"),
        "crime_type": np.tile(np.repeat([c.name for c in CRIME_TYPES], n), K),
        "count": counts.ravel(),
        "status": "slutlig"})
    return crimes, population


def batched(crimes, population):
    times = {}
    t0 = time.perf_counter()
    panel = monthly_panel(crimes, population)
    times["panel (data prep)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tr = trend(panel)
    times["trends (APC, block SE)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cmp = compare_periods(panel, period1=2023, period2=2024)
    times["period comparisons"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fun = [funnel_data(panel, crime_type=ct.name, period=2024) for ct in CRIME_TYPES]
    times["funnel data (12 types)"] = time.perf_counter() - t0
    return times, tr.table, cmp, fun, panel


def statsmodels_loop(panel):
    """The same trend and comparison models, one statsmodels GLM per series."""
    times = {}
    n = len(panel.periods)
    t = _time_years(panel.periods)
    Sx, _ = seasonal_terms(panel.month_of_year)
    X = np.column_stack([np.ones(n), t, Sx])
    p2 = (np.asarray(panel.periods.year) == 2024).astype(float)
    Xc = np.column_stack([np.ones(n), t, p2, Sx])
    slopes, phis = [], []
    t0 = time.perf_counter()
    for s in range(len(panel.keys)):
        r = sm.GLM(panel.counts[s], X, family=sm.families.Poisson(),
                   offset=np.log(panel.exposure[s])).fit()
        slopes.append(r.params[1])
    times["trends"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in range(len(panel.keys)):
        r = sm.GLM(panel.counts[s], Xc, family=sm.families.Poisson(),
                   offset=np.log(panel.exposure[s])).fit()
        O = panel.counts[s].reshape(-1, 12).sum(1)
        E = r.fittedvalues.reshape(-1, 12).sum(1)
        phis.append(np.sum((O - E) ** 2 / E) / (len(O) - 3))
    times["period comparisons"] = time.perf_counter() - t0
    return times, np.array(slopes), np.array(phis)


def main() -> None:
    t0 = time.perf_counter()
    crimes, population = make_data()
    print(f"data: {len(crimes):,} rows (290 kommuner × 12 types × {len(PERIODS)} months), "
          f"made in {time.perf_counter() - t0:.1f} s")
    bt, trt, cmp, fun, panel = batched(crimes, population)
    st, slopes, phis = statsmodels_loop(panel)
    total_b = sum(bt.values())
    print(f"\n{'step':32s}{'batched (s)':>14s}{'statsmodels loop (s)':>24s}")
    sm_map = {"trends (APC, block SE)": st["trends"], "period comparisons": st["period comparisons"]}
    for k, v in bt.items():
        other = sm_map.get(k)
        print(f"{k:32s}{v:14.2f}{(f'{other:.2f}' if other is not None else '-'):>24s}")
    print(f"{'total':32s}{total_b:14.2f}{sum(st.values()):24.2f}   (target < 3 s)")
    ok = trt["converged"].to_numpy() & np.isfinite(slopes)
    d_slope = np.max(np.abs(trt["log_slope"].to_numpy()[ok] - slopes[ok])
                     / trt["log_slope_se"].to_numpy()[ok])
    okc = ok & np.isfinite(phis) & np.isfinite(cmp["dispersion"].to_numpy())
    d_phi = np.max(np.abs(cmp["dispersion"].to_numpy()[okc] - phis[okc]) / phis[okc])
    print(f"\nagreement batched vs statsmodels ({ok.sum()} converged series): log-slope max "
          f"|diff| / SE {d_slope:.1e}; block dispersion max rel diff {d_phi:.1e}")
    print(f"not converged (likelihood without a finite maximum, flagged): {(~ok).sum()} series")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(f"peak memory (max RSS of the process): {peak:.2f} GiB (target < 2 GiB)")
    print(f"series: {len(trt)}; significant APC: {(trt['verdict'] != 'ingen säkerställd förändring').sum()}; "
          f"comparisons with a verdict of change: "
          f"{(cmp['verdict'] != 'ingen säkerställd förändring').sum()}; funnels: {len(fun)}")


if __name__ == "__main__":
    main()
