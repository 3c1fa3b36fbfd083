"""Coverage simulation for the crime-count statistics (issue 3): period comparison and APC.

Monthly series with known truth: 2-200 crimes a month, seasonality, a 3 %/year trend,
population growth, multiplicative log-normal overdispersion with AR(1) month-to-month
correlation. Every method is run through the package's public functions
(``analysis.crime.compare_periods`` and ``analysis.crime.trend``) on all
replicates at once. Prints bias and the coverage of the 95 % intervals of the default beside
the naive Poisson methods and the other candidates; docs/crime-statistics.md quotes the table.

Run:  .venv/bin/python benchmarks/crime_simulation.py [--reps 2000] [--quick]
The tests (tests/crime/test_simulation.py) run a small version of the same code.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: many small solves
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.crime import compare_periods  # noqa: E402
from analysis.crime import MonthlyPanel  # noqa: E402
from analysis.crime import trend  # noqa: E402

LEVELS = (2, 5, 10, 20, 50, 100, 200)
PERIODS = pd.period_range("2014-01", "2024-12", freq="M")


def simulate(level: float, *, reps: int, rng: np.random.Generator, apc: float = 3.0,
             sigma: float = 0.15, rho: float = 0.3, amplitude: float = 0.25):
    """Replicates of one monthly series; returns (panel, true log-slope, true rate ratio).

    log mu_t = log c + log E_t + b t + s(month) + sigma e_t - sigma^2/2, with e an AR(1)
    process of unit variance and correlation ``rho``, E_t person-years from a population
    growing 0.8 % a year, and c set so that the mean count is ``level`` a month.
    """
    n = len(PERIODS)
    years = np.asarray(PERIODS.year)
    pop = 50_000 * 1.008 ** (years - 2014)
    base = MonthlyPanel.from_arrays(np.zeros(n), PERIODS, population=pop)
    E = base.exposure[0]
    t = (np.arange(n) - (n - 1) / 2) / 12
    m = np.asarray(PERIODS.month)
    s = amplitude * np.cos(2 * np.pi * (m - 7) / 12) + 0.08 * np.sin(4 * np.pi * m / 12)
    b = np.log1p(apc / 100)
    shape = E * np.exp(b * t + s)
    c = level / shape.mean()
    e = np.empty((reps, n))
    z = rng.standard_normal((reps, n))
    e[:, 0] = z[:, 0]
    for i in range(1, n):
        e[:, i] = rho * e[:, i - 1] + np.sqrt(1 - rho ** 2) * z[:, i]
    mu = c * shape * np.exp(sigma * e - sigma ** 2 / 2)
    y = rng.poisson(mu)
    panel = MonthlyPanel.from_arrays(y, PERIODS, population=np.broadcast_to(pop, (reps, n)))
    p1, p2 = years == 2023, years == 2024
    rate = shape / E
    true_rr = (np.sum(rate[p2] * E[p2]) / E[p2].sum()) / (np.sum(rate[p1] * E[p1]) / E[p1].sum())
    return panel, b, true_rr


def evaluate(level: float, *, reps: int, rng: np.random.Generator, **dgp) -> list[dict]:
    """Bias and 95 % coverage of every method at one level."""
    panel, b, rr = simulate(level, reps=reps, rng=rng, **dgp)
    rows = []
    for method in ("block", "quasipoisson", "negbin", "exact"):
        r = compare_periods(panel, period1=2023, period2=2024, method=method)
        est = np.log(r["rate_ratio"].to_numpy())
        cover = (r["ci_low"] < rr) & (rr < r["ci_high"])
        rows.append({"target": "period comparison", "method": method, "level": level,
                     "coverage": float(cover.mean()),
                     "bias": float(np.nanmean(est[np.isfinite(est)]) - np.log(rr)),
                     "median_width": float(np.median(np.log(r["ci_high"] / r["ci_low"]))),
                     "reliable_share": float(r["reliable"].mean())})
    for family, se in (("poisson", "block"), ("poisson", "hac"), ("poisson", "quasi"),
                       ("poisson", "model"), ("negbin", "model")):
        tr = trend(panel, family=family, se=se).table
        truth = 100 * np.expm1(b)
        cover = (tr["ci_low"] < truth) & (truth < tr["ci_high"])
        rows.append({"target": "APC", "method": f"{family}/{se}", "level": level,
                     "coverage": float(cover.mean()),
                     "bias": float(np.nanmean(tr["log_slope"]) - b),
                     "median_width": float(np.median(np.log1p(tr["ci_high"] / 100)
                                                      - np.log1p(tr["ci_low"] / 100))),
                     "reliable_share": float(tr["reliable"].mean())})
    return rows


def run(levels=LEVELS, *, reps: int = 2000, seed: int = 20240603, **dgp) -> pd.DataFrame:
    """The coverage table: one row per target × method × level."""
    rng = np.random.default_rng(seed)
    rows = []
    for level in levels:
        rows += evaluate(level, reps=reps, rng=rng, **dgp)
    out = pd.DataFrame(rows)
    for k, v in dgp.items():
        out[k] = v
    return out


def _print(tab: pd.DataFrame, title: str) -> None:
    print(f"\n{title}")
    for target in ("period comparison", "APC"):
        sub = tab[tab["target"] == target]
        cov = sub.pivot(index="method", columns="level", values="coverage")
        bias = sub.pivot(index="method", columns="level", values="bias")
        print(f"  {target}: coverage of nominal 95 % intervals")
        print((100 * cov).round(1).to_string().replace("\n", "\n    ").join(["    ", ""]))
        print(f"  {target}: bias of the log estimate (x 1000)")
        print((1000 * bias).round(2).to_string().replace("\n", "\n    ").join(["    ", ""]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--quick", action="store_true", help="300 replicates, main scenario only")
    args = ap.parse_args()
    reps = 300 if args.quick else args.reps
    t0 = time.perf_counter()
    main_tab = run(reps=reps, rho=0.3, sigma=0.15)
    _print(main_tab, f"Main scenario: AR(1) rho = 0.3, log-normal sd 0.15, {reps} replicates "
                     "(binomial SE of a coverage near 95 %: "
                     f"{100 * np.sqrt(0.95 * 0.05 / reps):.1f} pp)")
    tabs = [main_tab]
    if not args.quick:
        for rho, sigma in ((0.0, 0.15), (0.5, 0.15), (0.3, 0.0)):
            tab = run(levels=(2, 20, 200), reps=reps, rho=rho, sigma=sigma, seed=7 + int(10 * rho))
            _print(tab, f"Sensitivity: rho = {rho}, sd = {sigma}")
            tabs.append(tab)
    out = pd.concat(tabs, ignore_index=True)
    os.makedirs("benchmarks/results", exist_ok=True)
    out.to_csv("benchmarks/results/crime_simulation.csv", index=False)
    print(f"\nwrote benchmarks/results/crime_simulation.csv ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
