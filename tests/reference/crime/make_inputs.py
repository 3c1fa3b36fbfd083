"""Write the small input tables that make_reference.R reads (deterministic, seed 20240603).

Run from the repository root:  .venv/bin/python tests/reference/crime/make_inputs.py
The outputs are committed; the tests read them and never run this script or R.

- series.csv        monthly test series: series, year, month, count, population (31 Dec),
                    psi_start (a starting value for R segmented, decimal years since the
                    series midpoint, "" if none)
- halland_2010.csv  the four real Brå P3 series, Hallands län 2010 (monthly), and riket 1998
                    (Tabell 100), with a nominal population (it only moves the intercept)
- sicily.csv        is read directly from /work/shared/reference/real/ by R and tests
- poisson_cases.csv x1, t1, x2, t2 cases for poisson.test (edge cases included)
- funnel_units.csv  O, P (person-years) for 40 synthetic units
- pvalues.csv       p-values for p.adjust(method = "BH")
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
REAL = Path("/work/shared/reference/real")


def _series(rng, name, level, apc, sigma, rho, slopes=None, breaks=None, psi_start=""):
    per = pd.period_range("2014-01", "2024-12", freq="M")
    n = len(per)
    t = (np.arange(n) - (n - 1) / 2) / 12
    if slopes is None:
        lin = np.log1p(apc / 100) * t
    else:  # piecewise-linear log-rate with joinpoints at `breaks` (month indices)
        lin = np.zeros(n)
        cur = 0.0
        b = [0] + list(breaks) + [n - 1]
        for j in range(len(slopes)):
            seg = np.arange(b[j], b[j + 1] + 1)
            lin[seg] = cur + np.log1p(slopes[j] / 100) * (seg - b[j]) / 12
            cur = lin[b[j + 1]]
    seas = 0.2 * np.cos(2 * np.pi * (per.month - 7) / 12) + 0.07 * np.sin(4 * np.pi * per.month / 12)
    e = np.zeros(n)
    z = rng.normal(size=n)
    e[0] = z[0]
    for i in range(1, n):
        e[i] = rho * e[i - 1] + np.sqrt(1 - rho ** 2) * z[i]
    years = np.asarray(per.year)
    pop_year = {y: int(round(40_000 * 1.008 ** (y - 2014))) for y in range(2014, 2025)}
    pop = np.array([pop_year[y] for y in years])
    mu = level * np.exp(lin + seas + sigma * e - sigma ** 2 / 2) * pop / pop.mean()
    return pd.DataFrame({"series": name, "year": years, "month": np.asarray(per.month),
                         "count": rng.poisson(mu), "population": pop, "psi_start": psi_start})


def main():
    rng = np.random.default_rng(20240603)
    s = pd.concat([
        _series(rng, "small", 3, -2, 0.1, 0.2),
        _series(rng, "mid", 25, 3, 0.15, 0.3),
        _series(rng, "large", 150, -4, 0.2, 0.3),
        # joinpoint series; psi_start (decimal years from the series midpoint) is where R
        # segmented and the Python code both start: joint1 and joint2i have their optimum
        # between months, joint2 on months (kinks of the likelihood, see the tests)
        _series(rng, "joint1", 60, 0, 0.1, 0.2, slopes=[6, -9], breaks=[65], psi_start="-0.28"),
        _series(rng, "joint2", 80, 0, 0.08, 0.2, slopes=[-5, 10, -6], breaks=[40, 86],
                psi_start="-2.69;2.0"),
        _series(np.random.default_rng(2), "joint2i", 80, 0, 0.08, 0.2, slopes=[-5, 10, -6],
                breaks=[40, 86], psi_start="-2.0;1.68"),
    ], ignore_index=True)
    s.to_csv(HERE / "series.csv", index=False)

    p = pd.read_csv(REAL / "bra_anmalda_brott_lan_ptabeller.csv", dtype=str)
    p = p[(p["manad"] != "helår") & p["tabell"].isin(["P3", "100"])]
    p = p.assign(series=(p["region"] + " " + p["ar"] + ": " + p["brottstyp"]),
                 year=p["ar"].astype(int), month=p["manad"].astype(int),
                 count=p["antal"].astype(int),
                 population=np.where(p["tabell"] == "P3", 300_000, 8_850_000))
    p[["series", "year", "month", "count", "population"]].to_csv(HERE / "halland_2010.csv",
                                                                 index=False)

    cases = pd.DataFrame({
        "x1": [20, 0, 3, 150, 1200, 7, 0, 45, 11, 500],
        "t1": [1.0, 1.0, 2.5, 12.0, 1.0, 1.0, 3.0, 0.9, 1.0, 1.0],
        "x2": [35, 4, 0, 180, 1100, 7, 2, 30, 11, 1],
        "t2": [1.0, 1.0, 1.0, 11.5, 1.0, 1.3, 1.0, 1.1, 1.0, 1.0]})
    cases.to_csv(HERE / "poisson_cases.csv", index=False)

    P = np.round(rng.lognormal(np.log(30_000), 1.0, size=40))
    rate = 4e-3 * np.exp(rng.normal(0, 0.25, size=40))
    O = rng.poisson(rate * P)
    pd.DataFrame({"unit": np.arange(1, 41), "O": O, "P": P}).to_csv(HERE / "funnel_units.csv",
                                                                   index=False)
    pv = np.concatenate([rng.uniform(size=25), rng.uniform(0, 0.01, size=5)])
    pv = np.insert(pv, 10, np.nan)  # a missing p-value does not count as a test
    pd.DataFrame({"id": np.arange(1, pv.size + 1), "p": pv}).to_csv(HERE / "pvalues.csv",
                                                                   index=False)


if __name__ == "__main__":
    main()
