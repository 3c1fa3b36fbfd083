"""Benchmark: a plain sequential papermill loop vs the batch runner, side by side.

For N kommuner (20 by default, all 290 with --all) the same report notebook is run and
rendered to .ipynb + HTML + DOCX three ways:

* plain  – ``papermill.execute_notebook`` in a loop (a fresh kernel per report) followed by
           the same rendering (``analysis.batch.render_outputs``), one report at a time;
* runner – ``analysis.batch.run_batch`` (warm worker, a forked child per report, --jobs);
* kernel – ``run_batch(isolation="kernel")`` (fresh kernels in parallel), with --kernel.

The floor is the work no runner can avoid: notebook cell execution (without the cell that
only imports) plus rendering, measured in the plain loop, divided by the number of jobs.
Targets (issue 5): runner >= 4x faster than plain, and within 1.2x of the floor.

Run:  .venv/bin/python benchmarks/batch_benchmark.py [--n 20 | --all] [--jobs 2] [--kernel]
      [--notebook notebooks/lagesbild.py]   (default: a realistic synthetic report notebook)
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"  # before numpy is imported anywhere in this process

import argparse
import json
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"

# A report of realistic weight: imports, 10 Poisson GLM fits, 6 figures, 3 tables.
NOTEBOOK = r'''# %% [markdown]
# # Lägesbild – prestandatest
#
# Synthetic data, generated from the kommunkod; the same work as a real draft.

# %% tags=["parameters"]
kommunkod = "0114"
months = 60

# %% tags=["imports"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import statsmodels.api as sm
import statsmodels.formula.api as smf

from analysis.report import figures
from analysis.report import text as report_text
from analysis.municipalities import municipalities, name_of

# %%
rng = np.random.default_rng(int(kommunkod))
types = ["Misshandel (inkl. grov)", "Olaga hot", "Ofredande", "Sexualbrott", "Bostadsinbrott",
         "Bilbrott", "Cykelstöld", "Butiksstöld/snatteri", "Skadegörelsebrott", "Narkotikabrott"]
periods = pd.period_range("2020-01", periods=months, freq="M")
t = np.arange(months)
frames = []
for i, ct in enumerate(types):
    mu = np.exp(2.5 + 0.3 * i % 2 + 0.004 * t + 0.25 * np.sin(2 * np.pi * t / 12 + i))
    frames.append(pd.DataFrame({"crime_type": ct, "period": periods, "t": t,
                                "month": periods.month, "count": rng.poisson(mu)}))
crimes = pd.concat(frames, ignore_index=True)
print(f"{name_of(kommunkod)}: {report_text.format_number(crimes['count'].sum())} anmälda brott")

# %%
rows, fitted = [], []
for ct, d in crimes.groupby("crime_type", sort=False):
    fit = smf.glm("count ~ t + C(month)", data=d, family=sm.families.Poisson()).fit()
    b, (lo, hi) = fit.params["t"], fit.conf_int().loc["t"]
    rows.append({"crime_type": ct, "estimate": np.exp(12 * b) - 1, "ci_low": np.exp(12 * lo) - 1,
                 "ci_high": np.exp(12 * hi) - 1, "suppressed": d["count"].sum() < 10})
    pred = fit.get_prediction(d).summary_frame()
    fitted.append(d.assign(estimate=pred["mean"], ci_low=pred["mean_ci_lower"],
                           ci_high=pred["mean_ci_upper"]))
trend = pd.DataFrame(rows)
fitted = pd.concat(fitted, ignore_index=True)
report_text.format_table(trend, columns={"estimate": ("percent", 1), "ci_low": ("percent", 1),
                                         "ci_high": ("percent", 1)}, keep=("crime_type",),
                         rename={"crime_type": "Brottstyp", "estimate": "Årlig förändring"})

# %% [markdown]
# ## Utveckling

# %%
total = fitted.groupby("period", as_index=False)[["estimate", "ci_low", "ci_high"]].sum()
figures.time_series(total, kind="number", title="Alla brottstyper, modellerat")

# %%
figures.time_series(fitted[fitted.crime_type.isin(types[:3])], group="crime_type", kind="number",
                  title="Våld och hot")

# %%
figures.bar_ci(trend, category="crime_type", kind="percent", title="Årlig förändring")

# %% [markdown]
# ## Jämförelse

# %%
k = municipalities()
pts = k.assign(rate=1000 + rng.normal(0, 1, len(k)) * np.sqrt(1e8 / k.population))
n = np.geomspace(k.population.min(), k.population.max(), 60)
lim = pd.concat([pd.DataFrame({"population": n, "level": lv, "lower": 1000 - z * np.sqrt(1e8 / n),
                               "upper": 1000 + z * np.sqrt(1e8 / n)})
                 for lv, z in ((0.95, 1.96), (0.998, 3.09))])
figures.funnel_plot(pts, limits=lim, highlight=name_of(kommunkod), target=1000.0)

# %%
survey = pd.DataFrame({"area": np.repeat(["Centrum", "Norr", "Söder", "Väster"], 2),
                       "sex": ["kvinna", "man"] * 4, "estimate": rng.uniform(0.1, 0.4, 8)})
survey = survey.assign(ci_low=survey.estimate - 0.05, ci_high=survey.estimate + 0.05,
                       suppressed=[False] * 7 + [True])
figures.indicator_by_group(survey, group="area", hue="sex", title="Otrygga ute sent en kväll")

# %%
fig, ax = plt.subplots(figsize=(6.3, 3))
sns.boxplot(data=crimes, x="count", y="crime_type", ax=ax, color="0.8")
ax.set(xlabel="Anmälda brott per månad", ylabel="")
plt.show()

# %% [markdown]
# ## Tabeller

# %%
by_year = crimes.assign(year=crimes.period.dt.year).pivot_table(
    index="crime_type", columns="year", values="count", aggfunc="sum")
by_year.map(report_text.format_number)

# %%
report_text.format_table(survey, columns={"estimate": "percent"}, keep=("area", "sex"))
'''


def _cpu() -> float:
    """CPU seconds of this process and every finished child (kernels, workers, pandoc).

    On a shared machine wall time depends on the neighbours; CPU time does much less.
    """
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _work_without_imports(nb) -> float:
    return sum(float(c.metadata.get("papermill", {}).get("duration") or 0)
               for c in nb.cells if "imports" not in c.metadata.get("tags", []))


def plain_loop(notebook: Path, codes: list[str], out: Path) -> dict:
    import nbformat
    import papermill

    from analysis.batch import load_notebook, render_outputs

    out.mkdir(parents=True, exist_ok=True)
    nb = load_notebook(notebook)
    src = out / "notebook.ipynb"
    nbformat.write(nb, src)
    t0, c0 = time.perf_counter(), _cpu()
    floor_work, per = 0.0, []
    for code in codes:
        t = time.perf_counter()
        target = out / f"{code}.ipynb"
        executed = papermill.execute_notebook(str(src), str(target), parameters={"kommunkod": code},
                                              kernel_name="python3", progress_bar=False)
        r = time.perf_counter()
        render_outputs(executed, html=out / f"{code}.html", docx=out / f"{code}.docx")
        render_s = time.perf_counter() - r
        floor_work += _work_without_imports(executed) + render_s
        per.append(time.perf_counter() - t)
    return {"total_s": time.perf_counter() - t0, "cpu_s": _cpu() - c0, "per_report_s": per,
            "floor_work_s": floor_work}


def runner(notebook: Path, codes: list[str], out: Path, *, jobs: int, isolation: str) -> dict:
    from analysis.batch import run_batch

    t0, c0 = time.perf_counter(), _cpu()
    res = run_batch(notebook, [{"kommunkod": c} for c in codes], out_dir=out, jobs=jobs,
                    isolation=isolation, formats=("ipynb", "html", "docx"), progress=True)
    total, cpu = time.perf_counter() - t0, _cpu() - c0
    if res.failures:
        print(res.summary(), file=sys.stderr)
    report_cpu = [json.loads((out / f"{i.stem}.manifest.json").read_text())["timings"]["cpu_s"]
                  for i in res.items]
    return {"total_s": total, "cpu_s": cpu, "per_report_s": [i.total_s for i in res.items],
            "report_cpu_s": sum(report_cpu), "failed": len(res.failures)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20, help="number of kommuner (default 20)")
    ap.add_argument("--all", action="store_true", help="all 290 kommuner")
    ap.add_argument("--jobs", type=int, default=None, help="parallel reports (default: cores)")
    ap.add_argument("--kernel", action="store_true", help="also time isolation='kernel'")
    ap.add_argument("--notebook", type=Path, help="report notebook (default: synthetic)")
    args = ap.parse_args()

    from analysis.municipalities import municipalities

    codes = list(municipalities()["kommunkod"])
    codes = codes if args.all else codes[: args.n]
    jobs = args.jobs or len(os.sched_getaffinity(0))
    work = RESULTS / "batch_benchmark"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    notebook = args.notebook
    if notebook is None:
        notebook = work / "benchmark_report.py"
        notebook.write_text(NOTEBOOK, encoding="utf-8")

    print(f"{len(codes)} reports (ipynb + HTML + DOCX), {jobs} jobs, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, notebook {notebook.name}", flush=True)
    rows = {}
    rows["runner (fork)"] = runner(notebook, codes, work / "runner", jobs=jobs, isolation="fork")
    print(f"  runner done: {rows['runner (fork)']['total_s']:.1f} s", flush=True)
    if args.kernel:
        rows["runner (kernel)"] = runner(notebook, codes, work / "kernel", jobs=jobs,
                                         isolation="kernel")
        print(f"  kernel runner done: {rows['runner (kernel)']['total_s']:.1f} s", flush=True)
    plain = rows["plain papermill loop"] = plain_loop(notebook, codes, work / "plain")
    print(f"  plain loop done: {plain['total_s']:.1f} s", flush=True)
    floor = plain["floor_work_s"] / jobs

    n = len(codes)
    print(f"\nload average (1, 5, 15 min): {os.getloadavg()}")
    print(f"{'method':<24}{'total s':>9}{'s/report':>10}{'CPU s/report':>14}"
          f"{'plain/this':>12}{'this/floor':>12}")
    for name, r in rows.items():
        print(f"{name:<24}{r['total_s']:>9.1f}{r['total_s'] / n:>10.2f}{r['cpu_s'] / n:>14.2f}"
              f"{plain['total_s'] / r['total_s']:>11.1f}x{r['total_s'] / floor:>11.2f}x")
    print(f"{'floor (cells+render)/' + str(jobs):<24}{floor:>9.1f}{floor / n:>10.2f}"
          f"{plain['floor_work_s'] / n:>14.2f}")
    fork = rows["runner (fork)"]
    # Load-independent view: CPU seconds. The runner's reports (cells + rendering, no
    # start-up) are the floor's work; everything else is what the runner adds.
    floor_cpu = fork["report_cpu_s"]
    print(f"\nCPU view: report work (floor) {floor_cpu / n:.2f} CPU-s/report; runner total "
          f"{fork['cpu_s'] / n:.2f} ({fork['cpu_s'] / floor_cpu:.2f}x the floor); plain loop "
          f"{plain['cpu_s'] / n:.2f}.\nOn an idle {jobs}-core machine: plain/runner about "
          f"{jobs * plain['cpu_s'] / fork['cpu_s']:.1f}x, runner/floor about "
          f"{fork['cpu_s'] / floor_cpu:.2f}x.")
    print("\ntargets: plain/runner >= 4x and runner/floor <= 1.2x (issue 5, for 290 reports)")
    (RESULTS / "batch_benchmark.json").write_text(json.dumps(
        {"n": n, "jobs": jobs, "floor_s": floor, "load_avg": os.getloadavg(),
         "results": {k: {kk: vv for kk, vv in v.items() if kk != "per_report_s"}
                     for k, v in rows.items()}}, indent=1))


if __name__ == "__main__":
    main()
