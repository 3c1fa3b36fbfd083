"""Benchmark: analysis.survey beside svy (PyPI) and R survey on one million respondents.

    .venv/bin/python benchmarks/survey_benchmark.py [--n 1000000] [--skip-r] [--skip-svy]
    .venv/bin/python benchmarks/survey_benchmark.py --rank [--units 2827] [--skip-r]
    .venv/bin/python benchmarks/survey_benchmark.py --did-coverage [--seeds 200]

Task (issue 4): 1 000 000 respondents, 50 strata, 30 domains; the share y = 1 by domain with
its standard error and logit confidence interval; raking to the age and sex margins; the same
shares again on the raked design (with calibration-aware variance in this package and in R).
Prints seconds per step for each tool side by side, the ratios, and this package's peak
memory. Needs ``pip install svy`` (the ``bench`` extra) for svy and Rscript with survey for R.

``--rank`` (issue 15): degrees of freedom of a large jackknife design (``degf``, the rank of
its units x replicates weight matrix): the previous full SVD beside the rank-revealing QR of
``analysis.survey.replicate.qr_rank`` and R's ``qr(weights(design, "analysis"), tol =
1e-5)$rank``, CPU seconds on one thread and the ranks, which must agree.

``--did-coverage`` (issue 15): coverage of ``analysis.survey.survey_did``'s 95 % interval for
the true marginal log-odds DiD of the sample's area measures, over sample seeds (each seed a
new synthetic population and survey), with the mean estimate beside the truth.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.survey import SurveyDesign, proportion  # noqa: E402
from analysis.survey.calibration import rake  # noqa: E402

AGES = ["16-24", "25-44", "45-64", "65-84"]


def make_data(n: int, n_strata: int = 50, n_domains: int = 30, seed: int = 1) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    stratum = rng.choice(n_strata, n, p=rng.dirichlet(np.full(n_strata, 5.0)))
    pop_h = np.bincount(stratum, minlength=n_strata) * rng.uniform(8, 40, n_strata)
    n_h = np.bincount(stratum, minlength=n_strata)
    w = (pop_h / n_h)[stratum]
    sex = rng.integers(0, 2, n)
    age = rng.choice(4, n, p=[0.10, 0.30, 0.33, 0.27])          # older people answer more
    domain = rng.integers(0, n_domains, n)
    eta = -1.1 + rng.normal(0, 0.4, n_strata)[stratum] + 0.9 * (sex == 0) - 0.25 * age \
        + rng.normal(0, 0.3, n_domains)[domain]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    # age and sex as categoricals, the pandas counterpart of R's factors (svy gets polars strings)
    df = pd.DataFrame({"stratum": stratum, "w": w,
                       "sex": pd.Categorical.from_codes(sex, ["kvinna", "man"]),
                       "age_group": pd.Categorical.from_codes(age, AGES), "domain": domain, "y": y})
    total = w.sum()
    margins = {"age_group": dict(zip(AGES, total * np.array([0.14, 0.33, 0.31, 0.22]))),
               "sex": {"kvinna": total * 0.5, "man": total * 0.5}}
    return df, margins


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run_ours(df, margins):
    times = {}
    design, times["declare design"] = timed(lambda: SurveyDesign(df, strata="stratum", weights="w"))
    p1, times["proportion by 30 domains, logit CI"] = timed(
        lambda: proportion(design, "y", by="domain", levels=[1.0], method="logit"))
    pops = [pd.DataFrame({"age_group": list(margins["age_group"]), "population": list(margins["age_group"].values())}),
            pd.DataFrame({"sex": list(margins["sex"]), "population": list(margins["sex"].values())})]
    raked, times["rake to age and sex margins"] = timed(lambda: rake(design, ["age_group", "sex"], pops))
    p2, times["proportion on raked design"] = timed(
        lambda: proportion(raked, "y", by="domain", levels=[1.0], method="logit"))
    return times, p1, p2


def run_svy(df, margins):
    try:
        import polars as pl
        import svy
    except ImportError:
        print("svy is not installed (pip install svy, the 'bench' extra): skipped")
        return None, None
    times = {}
    # built column by column: polars.from_pandas needs pyarrow for pandas' string columns
    data = pl.DataFrame({c: (df[c].astype(str).tolist() if isinstance(df[c].dtype, pd.CategoricalDtype)
                             else df[c].to_numpy()) for c in df.columns})
    sample, times["declare design"] = timed(lambda: svy.Sample(data, svy.Design(stratum="stratum", wgt="w")))
    est, times["proportion by 30 domains, logit CI"] = timed(
        lambda: sample.estimation.prop("y", by="domain", ci_method="logit"))
    raked, times["rake to age and sex margins"] = timed(
        lambda: sample.weighting.rake(controls=margins, on_nonconvergence="warn"))
    _, times["proportion on raked design"] = timed(
        lambda: raked.estimation.prop("y", by="domain", ci_method="logit"))
    return times, est


R_SCRIPT = r"""
suppressMessages(library(survey))
args <- commandArgs(TRUE)
df <- read.csv(args[1]); df$one <- 1
tm <- function(expr) unname(system.time(expr)["elapsed"])
t1 <- tm(d <- svydesign(id = ~1, strata = ~stratum, weights = ~w, data = df))
t2 <- tm(p <- svyby(~I(y == 1), ~domain, d, svyciprop, method = "logit", vartype = c("se", "ci")))
pa <- data.frame(age_group = c("16-24", "25-44", "45-64", "65-84"), Freq = as.numeric(strsplit(args[2], ",")[[1]]))
ps <- data.frame(sex = c("kvinna", "man"), Freq = as.numeric(strsplit(args[3], ",")[[1]]))
t3 <- tm(r <- rake(d, list(~age_group, ~sex), list(pa, ps)))
t4 <- tm(p2 <- svyby(~I(y == 1), ~domain, r, svyciprop, method = "logit", vartype = c("se", "ci")))
cat(sprintf("TIMES %f %f %f %f\n", t1, t2, t3, t4))
cat(sprintf("CHECK %.10f %.10f\n", p[[2]][1], p[[3]][1]))
"""


def run_r(df, margins, timeout):
    if shutil.which("Rscript") is None:
        print("Rscript not found: R skipped")
        return None, None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        df.to_csv(path, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        args = ["Rscript", str(script), str(path), ",".join(f"{v:.6f}" for v in margins["age_group"].values()),
                ",".join(f"{v:.6f}" for v in margins["sex"].values())]
        try:
            out = subprocess.run(args, capture_output=True, text=True, timeout=timeout).stdout
        except subprocess.TimeoutExpired:
            print(f"R did not finish within {timeout} s: R skipped")
            return None, None
    line = [x for x in out.splitlines() if x.startswith("TIMES")]
    check = [x for x in out.splitlines() if x.startswith("CHECK")]
    if not line:
        print("R failed:\n" + out[-2000:])
        return None, None
    t = [float(v) for v in line[0].split()[1:]]
    keys = ["declare design", "proportion by 30 domains, logit CI", "rake to age and sex margins",
            "proportion on raked design"]
    return dict(zip(keys, t)), [float(v) for v in check[0].split()[1:]] if check else None


def _svd_rank(X):
    """The rank as computed before issue 15: a full SVD, singular values above 1e-5 * max."""
    sv = np.linalg.svd(X, compute_uv=False)
    return int(np.sum(sv > sv.max() * 1e-5))


def run_rank(units: int, strata: int, skip_r: bool, timeout: int) -> int:
    from analysis.survey import as_replicate
    from analysis.survey.replicate import _dense_rank, qr_rank

    rng = np.random.default_rng(15)
    df = pd.DataFrame({"s": rng.integers(0, strata, units), "w": rng.uniform(5, 20, units)})
    rep = as_replicate(SurveyDesign(df, strata="s", weights="w"), type="JKn")
    X = rep._analysis(np.arange(units))
    print(f"JKn design: {units} PSUs in {strata} strata, weight matrix {X.shape[0]} x {X.shape[1]}")
    t0 = time.process_time()
    r_svd = _svd_rank(X)
    t_svd = time.process_time() - t0
    t0 = time.process_time()
    r_dense = _dense_rank(X, 1e-5)
    t_dense = time.process_time() - t0
    t0 = time.process_time()
    r_qr = qr_rank(X, reference=np.asarray(rep._w))
    t_qr = time.process_time() - t0
    t0 = time.process_time()
    degf = rep.degf
    t_degf = time.process_time() - t0
    rows = [("full SVD (before)", r_svd, t_svd), ("pivoted QR, whole matrix", r_dense, t_dense),
            ("qr_rank: pivoted QR by stratum block", r_qr, t_qr),
            ("design.degf + 1 (uncached)", degf + 1, t_degf)]
    if not skip_r and shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "w.bin"
            np.asfortranarray(X).ravel(order="F").tofile(path)
            code = (f'x <- matrix(readBin("{path}", "double", {X.size}), {X.shape[0]}, {X.shape[1]}); '
                    't <- system.time(r <- qr(x, tol = 1e-5)$rank); cat(r, t[["user.self"]] + t[["sys.self"]], "\\n")')
            out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=timeout)
            if out.returncode == 0:
                r, t = out.stdout.split()
                rows.append(("R qr(tol = 1e-5) (LINPACK dqrdc2)", int(r), float(t)))
            else:
                print("R failed:", out.stderr[-500:])
    print(f"\n{'method':<40}{'rank':>8}{'CPU s':>10}{'vs SVD':>10}")
    for name, r, t in rows:
        print(f"{name:<40}{r:>8}{t:>10.2f}{t_svd / t:>9.1f}x")
    same = len({r for _, r, _ in rows}) == 1
    print("\nranks agree" if same else "\nRANKS DIFFER")
    return 0 if same else 1


def _true_did(seed, code, item, area, after):
    """Population DiD of logit shares (area vs the rest of the kommun) in the sample's model."""
    from analysis.sample._base import SURVEY_YEARS, YEARS
    from analysis.sample.survey import ITEM_NAMES, ITEMS, expected_share, kommun_model

    m = kommun_model(seed, code)
    j = ITEM_NAMES.index(item)
    sel = np.array([a == area for a in m.areas.names])
    d = []
    for w, year in enumerate(SURVEY_YEARS):
        pop = m.cells[YEARS.index(year)].astype(float)
        num = expected_share(m.eta[w, j], ITEMS[j].loading) * pop
        p_t, p_c = num[sel].sum() / pop[sel].sum(), num[~sel].sum() / pop[~sel].sum()
        d.append(np.log(p_t / (1 - p_t)) - np.log(p_c / (1 - p_c)))
    d = np.array(d)
    a = np.array([y in after for y in SURVEY_YEARS])
    return d[a].mean() - d[~a].mean()


def run_did_coverage(seeds: int) -> int:
    from analysis.errors import DataError
    from analysis.sample import generate
    from analysis.sample.measures import MEASURES
    from analysis.survey import indicators_from_catalogue, survey_did

    cases = [(m, item) for m in MEASURES if not m.target_crime_types and m.area
             for item in (list(m.survey_shift) or ["problem_belysning"])]
    codes = sorted({m.kommunkod for m, _ in cases})
    rows, failed = [], []
    t0 = time.process_time()
    for seed in range(1, seeds + 1):
        s = generate(seed, kommuner=codes)
        ind = {d.item: d for d in indicators_from_catalogue(s.items)}
        for m, item in cases:
            try:
                r = survey_did(s.survey, ind[item], kommunkod=m.kommunkod, area=m.area, start=m.start,
                               margins=s.margins)
            except DataError as e:  # e.g. a sex x age cell of a wave without respondents: no raking
                failed.append(f"seed {seed} {m.measure_id}: {str(e)[:90]}")
                continue
            truth = _true_did(seed, m.kommunkod, item, m.area, r.after_years)
            rows.append({"measure": m.measure_id, "item": item, "planted": m.survey_shift.get(item, 0.0),
                         "truth": truth, "estimate": r.estimate, "se": r.se,
                         "covered": r.ci_low <= truth <= r.ci_high, "significant": r.p_value < 0.05})
    t = pd.DataFrame(rows)
    out = t.groupby(["measure", "item"], sort=False).agg(
        planted=("planted", "first"), truth=("truth", "mean"), estimate=("estimate", "mean"),
        sd_estimate=("estimate", "std"), mean_se=("se", "mean"), coverage=("covered", "mean"),
        rejection=("significant", "mean"))
    print(f"{seeds} sample seeds, {len(t)} intervals, {time.process_time() - t0:.0f} CPU s\n")
    print(out.round(3).to_string())
    print(f"\noverall coverage of the 95 % interval: {t.covered.mean():.3f} "
          f"(Monte Carlo SE {np.sqrt(0.95 * 0.05 / len(t)):.3f})")
    if failed:
        print(f"\n{len(failed)} fit(s) not possible:\n  " + "\n  ".join(failed[:10]))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--skip-r", action="store_true")
    ap.add_argument("--skip-svy", action="store_true")
    ap.add_argument("--r-timeout", type=int, default=1800)
    ap.add_argument("--rank", action="store_true", help="time the degrees of freedom of a large replicate design")
    ap.add_argument("--units", type=int, default=2827)
    ap.add_argument("--strata", type=int, default=5)
    ap.add_argument("--did-coverage", action="store_true", help="coverage of survey_did over sample seeds")
    ap.add_argument("--seeds", type=int, default=200)
    args = ap.parse_args(argv)
    if args.did_coverage:
        return run_did_coverage(args.seeds)
    if args.rank:
        return run_rank(args.units, args.strata, args.skip_r, args.r_timeout)
    df, margins = make_data(args.n)
    print(f"{args.n:,} respondents, {df.stratum.nunique()} strata, {df.domain.nunique()} domains")
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    ours, p1, p2 = run_ours(df, margins)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    results = {"analysis.survey": ours}
    if not args.skip_svy:
        t, est = run_svy(df, margins)
        if t:
            results["svy " + __import__("svy").__version__] = t
    if not args.skip_r:
        t, check = run_r(df, margins, args.r_timeout)
        if t:
            results["R survey"] = t
            if check:
                ours0 = p1[p1.domain == 0].iloc[0]
                print(f"check, domain 0: ours {ours0.estimate:.8f} (se {ours0.se:.8f}); "
                      f"R {check[0]:.8f} (se {check[1]:.8f})")
    steps = list(ours)
    names = list(results)
    width = max(len(s) for s in steps) + 2
    print("\nseconds" + " " * (width - 7) + "".join(f"{n:>20}" for n in names)
          + "".join(f"{'ratio vs ' + n.split()[0]:>20}" for n in names[1:]))
    for s in steps + ["total"]:
        vals = [sum(results[n].values()) if s == "total" else results[n][s] for n in names]
        row = f"{s:<{width}}" + "".join(f"{v:>20.3f}" for v in vals)
        row += "".join(f"{v / vals[0]:>19.1f}x" for v in vals[1:])
        print(row)
    print(f"\nanalysis.survey peak resident memory: {peak:.2f} GiB (data and interpreter {base_rss:.2f} GiB; "
          f"target < 4 GiB)")
    print(f"raked shares, first domains:\n{p2[['domain', 'estimate', 'se', 'ci_low', 'ci_high']].head(3).to_string(index=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
