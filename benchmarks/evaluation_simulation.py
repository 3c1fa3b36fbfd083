"""Full coverage simulation of the measure-evaluation methods (issue 6).

Prints bias and 95 % coverage per method and scenario side by side, the default marked, and
writes the table as CSV (default ``benchmarks/results/evaluation_simulation.csv``). The small
version of the same study runs in tests/evaluation/test_simulation.py.

    python benchmarks/evaluation_simulation.py                 # 500 replications (about 25 min)
    python benchmarks/evaluation_simulation.py --n-rep-stress 400   # the issue-15 run
    python benchmarks/evaluation_simulation.py --n-rep 100     # quick look
    python benchmarks/evaluation_simulation.py --power-table   # MDE table of the four sample kommuner
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: one BLAS thread per process
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from analysis.evaluation.simulation import SCENARIOS, coverage_study  # noqa: E402


#: The four kommuner of the sample and the crime types of their measures (plus Våldsbrott).
POWER_CASES = (("2181", "Sandviken", "Skadegörelsebrott", "2022-09"),
               ("2181", "Sandviken", "Våldsbrott", "2022-09"),
               ("2026", "Gagnef", "Olaga hot", "2023-05"),
               ("2026", "Gagnef", "Våldsbrott", "2023-05"),
               ("1760", "Storfors", "Ofredande", "2023-03"),
               ("1760", "Storfors", "Våldsbrott", "2023-03"),
               ("1080", "Karlskrona", "Misshandel (inkl. grov)", "2022-04"),
               ("1080", "Karlskrona", "Våldsbrott", "2022-04"))


def power_table(n_sim: int, seed: int) -> pd.DataFrame:
    """Minimum detectable effect at 80 % power before each sample measure started."""
    from analysis.evaluation import power_analysis
    from analysis.evaluation._series import monthly_series
    from analysis.sample import generate

    world = generate(kommuner=sorted({c[0] for c in POWER_CASES}))
    rows = []
    for code, name, ctype, start in POWER_CASES:
        s = monthly_series(world.crimes, world.population, kommunkod=code, crime_types=ctype)
        res = power_analysis(s, start=start, followup_months=(12, 24, 36), n_sim=n_sim, seed=seed,
                             population="exposure")
        for _, r in res.mde.iterrows():
            rows.append(dict(kommun=name, kommunkod=code, crime_type=ctype, start=start,
                             per_month=round(res.parameters["mean_per_month"], 1),
                             pre_months=res.parameters["pre_months"],
                             followup_months=int(r["followup_months"]),
                             mde_reduction_pct=r["mde_reduction_pct"], detectable=r["detectable"]))
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-rep", type=int, default=500)
    ap.add_argument("--n-rep-stress", type=int, default=200,
                    help="replications of the stress scenarios (strong AR, few donors)")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "evaluation_simulation.csv"))
    ap.add_argument("--power-table", action="store_true",
                    help="print the MDE table of the four sample kommuner instead")
    ap.add_argument("--n-sim", type=int, default=1000, help="simulations per power cell")
    args = ap.parse_args()
    if args.power_table:
        t = power_table(args.n_sim, args.seed)
        wide = t.pivot_table(index=["kommun", "crime_type", "per_month"], columns="followup_months",
                             values="mde_reduction_pct", sort=False)
        print("Minimum detectable reduction (%) at 80 % power, two-sided 5 % test")
        print(wide.to_string(float_format=lambda v: f"{v:.0f}"))
        return
    frames = []
    for name in args.scenarios:
        n_rep = args.n_rep if name in ("small", "large") else args.n_rep_stress
        t0 = time.perf_counter()
        res = coverage_study(name, n_rep=n_rep, seed=args.seed)
        res["seconds"] = round(time.perf_counter() - t0, 1)
        frames.append(res)
        print(f"\n== scenario {name}: {n_rep} replications, {res['seconds'].iloc[0]} s")
        show = res[["method", "bias", "rmse", "coverage", "coverage_mc_se", "mean_ci_width",
                    "reliable_share", "flagged_share", "covered_or_flagged"]].copy()
        show["method"] = [m + (" (default)" if d else "") for m, d in zip(res["method"], res["is_default"])]
        print(show.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    out = pd.concat(frames, ignore_index=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, index=False)
    wide = out.pivot(index="method", columns="scenario", values="coverage")
    print("\nCoverage of nominal 95 % intervals (rows: method, columns: scenario)")
    print(wide.reindex(res["method"]).to_string(float_format=lambda v: f"{v:.3f}"))
    flags = out.loc[out["is_default"]].set_index("scenario")[["coverage", "flagged_share",
                                                               "covered_or_flagged"]]
    print("\nDefault: coverage, share marked not calibrated (volatile_treated), either")
    print(flags.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"\nwritten {args.out}")


if __name__ == "__main__":
    main()
