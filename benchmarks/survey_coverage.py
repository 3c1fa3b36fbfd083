"""Coverage of the default 95 % proportion interval, full version (issue 4).

    .venv/bin/python benchmarks/survey_coverage.py [--replicates 2000] [--seed 7]

A synthetic kommun population (20 strata, age/sex-dependent response of 30-65 %) is sampled
with a stratified design; every sample is raked to the sex × age and stratum margins; the
share ``y = 1`` is estimated for domains of about 30, 100, 300, 1 000 and 3 000 respondents
with ``proportion()``'s defaults (logit interval, domain degrees of freedom, as R's
``svyciprop``). Prints coverage with its Monte-Carlo standard error; the requirement is
93-97 % for every domain size. tests/survey/test_coverage.py runs a small version.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from analysis.survey.simulation import coverage_study, make_population  # noqa: E402

SIZES = (30, 100, 300, 1000, 3000)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--method", default="logit")
    ap.add_argument("--df", default=None, help="'z', 'design' or a number (default: R's domain df)")
    args = ap.parse_args(argv)
    n_resp = 4800  # expected respondents per sample (gross 10 000, about 48 % response)
    shares = tuple(s / n_resp for s in SIZES)
    ok = True
    for concentrated, kind in [(False, "domains across all strata (e.g. women aged 16-24)"),
                               (True, "domains within a few strata (e.g. a neighbourhood)")]:
        pop = make_population(size=150_000, n_strata=20, domain_shares=shares, seed=1, concentrated=concentrated)
        t = time.perf_counter()
        res = coverage_study(pop, n_gross=10_000, replicates=args.replicates, seed=args.seed,
                             method=args.method, df=args.df)
        res = res[res["domain"] != "other"]
        print(f"\n{kind}: {args.replicates} replicates in {time.perf_counter() - t:.0f} s; method "
              f"{args.method}, df {args.df or 'domain (R default)'}; stratified sample with non-response, "
              "raked to sex x age and strata")
        print(f"{'domain size':>12} {'mean n':>8} {'min n':>6} {'coverage':>9} {'MC se':>7} {'width':>7} "
              f"{'bias':>8}  93-97 %")
        for _, r in res.iterrows():
            inside = 0.93 <= r.coverage <= 0.97
            ok &= inside
            target = SIZES[int(r.domain[1:]) - 1]
            print(f"{target:>12} {r.mean_n:>8.0f} {r.min_n:>6.0f} {r.coverage:>9.3f} {r.mc_se:>7.3f} "
                  f"{r.mean_width:>7.3f} {r.bias:>8.4f}  {'yes' if inside else 'NO'}")
    print("\nall domain sizes within 93-97 %:", "yes" if ok else "no")
    return 0


if __name__ == "__main__":
    sys.exit(main())
