"""Size and power of the joinpoint selection (issue 15.7): permutation test vs quasi-BIC.

Monthly series 2014-2024 (132 months) with seasonality, population growth and a trend of
+3 %/year; ``none``: a straight line (any joinpoint found is false), ``one``: the slope turns
to -7 %/year at month 66. Noise: pure Poisson, or log-normal overdispersion (sd 0.15) following
an AR(1) (rho 0.3) as in ``benchmarks/crime_simulation.py``. For each series the 0-2 joinpoint
models are fitted on the month grid (``grid_null_means``) and the number of joinpoints is
chosen by (a) the sequential permutation tests with whole years permuted (the default of
``joinpoints``), (b) the same with single months permuted (Kim et al. 2000 as published),
(c) the quasi-BIC (``selection="bic"``). Prints the share of series with at least one
joinpoint: the size (``none``, nominal 5 %) and the power (``one``).

Run:  .venv/bin/python benchmarks/joinpoint_simulation.py [--series 200] [--permutations 999]
The tests (tests/crime/test_joinpoint_selection.py) run a small version of the same code.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: many small solves
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.crime import MonthlyPanel  # noqa: E402
from analysis.crime.joinpoint_test import grid_null_means, permutation_selection  # noqa: E402
from analysis.crime.panel import time_years  # noqa: E402
from analysis.crime.seasonal import seasonal_terms  # noqa: E402

PERIODS = pd.period_range("2014-01", "2024-12", freq="M")


def simulate(level: float, *, shape: str, noise: str, rng: np.random.Generator,
             sigma: float = 0.15, rho: float = 0.3):
    """One series: counts and log person-years."""
    n = len(PERIODS)
    years = np.asarray(PERIODS.year)
    pop = 50_000 * 1.008 ** (years - 2014)
    E = MonthlyPanel.from_arrays(np.zeros(n), PERIODS, population=pop).exposure[0]
    i = np.arange(n)
    m = np.asarray(PERIODS.month)
    b = np.log1p(0.03) * i / 12
    if shape == "one":
        b = b - (np.log1p(0.03) - np.log1p(-0.07)) * np.maximum(i - 66, 0) / 12
    s = 0.25 * np.cos(2 * np.pi * (m - 7) / 12)
    lam = E * np.exp(b + s)
    lam *= level / lam.mean()
    if noise == "overdispersed":
        e = np.empty(n)
        z = rng.standard_normal(n)
        e[0] = z[0]
        for k in range(1, n):
            e[k] = rho * e[k - 1] + np.sqrt(1 - rho ** 2) * z[k]
        lam = lam * np.exp(sigma * e - sigma ** 2 / 2)
    return rng.poisson(lam).astype(float), np.log(E)


RULES = ("permutation, years", "permutation, months", "quasi-BIC")


def choose(y, off, *, n_permutations: int, seed: int, min_segment: int = 24,
           max_joinpoints: int = 2, rules=RULES) -> dict:
    """The number of joinpoints chosen by each rule for one series."""
    t = time_years(PERIODS)
    Sx, _ = seasonal_terms(np.asarray(PERIODS.month), seasonality="fourier", harmonics=2)
    Xb = np.column_stack([np.ones(t.size), t, Sx])
    mus = grid_null_means(y, off, Xb, t, max_joinpoints=max_joinpoints, min_segment=min_segment)
    out = {}
    for name, block in (("permutation, years", 12), ("permutation, months", 1)):
        if name not in rules:
            continue
        out[name] = permutation_selection(y, off, Xb, t, mus, min_segment=min_segment,
                                          n_permutations=n_permutations, block=block,
                                          seed=seed)[0]
    dev = {k: 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / mu), 0) - (y - mu))
           for k, mu in mus.items()}
    if "quasi-BIC" not in rules:
        return out
    kmax = max(mus)
    # the quasi-BIC of joinpoints(selection="bic"): 12-month block dispersion of the largest
    # model (132 months = 11 whole years)
    ids = np.arange(t.size) // 12
    O, E = np.bincount(ids, y), np.bincount(ids, mus[kmax])
    phi = max(float(np.sum((O - E) ** 2 / E) / (O.size - 2 - 2 * kmax)), 1.0)
    q = {k: dev[k] / phi + (2 + 2 * k) * np.log(t.size) for k in mus}
    out["quasi-BIC"] = min(q, key=q.get)
    return out


def run(cells, *, n_series: int = 200, n_permutations: int = 999, seed: int = 20260601):
    """Share of series with at least one joinpoint per cell and rule."""
    rows = []
    for level, shape, noise in cells:
        rng = np.random.default_rng([seed, int(level), shape == "one", noise == "poisson"])
        picks = []
        for r in range(n_series):
            y, off = simulate(level, shape=shape, noise=noise, rng=rng)
            picks.append(choose(y, off, n_permutations=n_permutations, seed=seed + r))
        d = pd.DataFrame(picks)
        for rule in d.columns:
            rows.append(dict(level=level, shape=shape, noise=noise, rule=rule, n_series=n_series,
                             any_joinpoint=float((d[rule] > 0).mean()),
                             exactly_one=float((d[rule] == 1).mean())))
    return pd.DataFrame(rows)


CELLS = [(lvl, shape, noise) for shape in ("none", "one") for noise in ("poisson", "overdispersed")
         for lvl in (5, 20, 100)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=200)
    ap.add_argument("--permutations", type=int, default=999)
    args = ap.parse_args()
    t0 = time.perf_counter()
    tab = run(CELLS, n_series=args.series, n_permutations=args.permutations)
    wide = tab.pivot_table(index=["shape", "noise", "level"], columns="rule",
                           values="any_joinpoint", sort=False)
    print(f"Share of series with >= 1 joinpoint ({args.series} series per cell, "
          f"{args.permutations} permutations; 'none' = size, 'one' = power)")
    print((100 * wide).round(1).to_string())
    os.makedirs("benchmarks/results", exist_ok=True)
    tab.to_csv("benchmarks/results/joinpoint_simulation.csv", index=False)
    print(f"\nwrote benchmarks/results/joinpoint_simulation.csv ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
