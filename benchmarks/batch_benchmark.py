"""Benchmark: the real lägesbild notebook, plain papermill loop vs `lagesbild reports` vs floor.

For N kommuner (20 by default, all 290 with --all) the report notebook (notebooks/lagesbild.py)
is run on the sample data and rendered to ipynb + HTML + DOCX + PNG four ways, each in its own
process tree (so CPU seconds and memory are those of that method alone). With
``--evaluation`` the same is done for the evaluation drafts (notebooks/utvardering.py,
``lagesbild evaluate``) of every measure of the sample registry that can be evaluated, plus
``single``: one ``lagesbild evaluate --measure ID`` command per measure, as a user asking for
one draft waits for it (wall time of each command, everything included):

* plain  – one process loops: jupytext → papermill (a fresh kernel per report) → the HTML
           (nbconvert), DOCX (pandoc) and PNG rendering of ``analysis.batch.render_outputs``;
* runner – ``lagesbild reports --kommun ... --jobs J``: start-up, the warm worker (imports,
           preload of the data folder and the national tables), a forked child per report;
           run twice: first run (nothing warm) and second run (the OS file cache warm; the
           batch cache is per batch, so it is computed again);
* floor  – cells + rendering in one warm process, start-up and imports excluded: one process
           imports what the notebook imports and warms rendering, then (timer on) runs
           ``analysis.batch.execute.execute_item`` for each report in turn; the data are read
           once there too (by the first report). Its wall time divided by J is the floor of a
           J-job runner.

Every method starts with an empty per-user frame cache (``LAGESBILD_CACHE_DIR``, the checked
crimes and population as arrays) of its own; the runner's second run keeps the first's, and of
the ``single`` commands the first fills it for the others (printed apart).

Reported per method: wall, CPU (the process tree: rusage of the waited children), peak memory
(the sum of PSS over the process tree and over the runner's worker with its forked reports,
sampled from /proc every 2 s: pages shared copy-on-write are counted once) and the ratios.
Reading ``smaps_rollup`` walks a process's page tables (about 25 ms for a 550 MB report
process) on a core of its own: sampled every 0.25 s, as before 2026-12-06's third session, it
took a good part of the core the two-job runner needs and the one-core floor does not (20
kommuner, runs one after the other: the runner 6.31 s per report sampled every 0.25 s, 5.51 s
every 2 s, 4.98-5.46 s not sampled). The sampler's own CPU time is printed. On a shared
machine wall time depends on the neighbours: the load average is printed with the table.

Run:  .venv/bin/python benchmarks/batch_benchmark.py [--n 20 | --all] [--jobs 2]
      [--data /tmp/lagesbild-bench-data] [--only plain,runner,floor | runner1,...]
      .venv/bin/python benchmarks/batch_benchmark.py --evaluation [--only single,runner,...]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"  # before numpy is imported anywhere in this process

import argparse
import datetime as dt
import json
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
NOTEBOOK = ROOT / "notebooks" / "lagesbild.py"
FORMATS = ("ipynb", "html", "docx", "png")
#: per kind of draft: notebook, the parameter naming a draft, the command and its option
KINDS = {"lagesbild": (NOTEBOOK, "kommunkod", "reports", "--kommun"),
         "utvardering": (ROOT / "notebooks" / "utvardering.py", "measure_id", "evaluate",
                         "--measure")}


# ------------------------------------------------------------------ memory of a process tree

def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(stat[1]), []).append(int(entry))
    return kids


def _tree(pid: int, kids: dict[int, list[int]]) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _is_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"analysis.batch.worker" in fh.read()
    except OSError:
        return False


class _MemorySampler(threading.Thread):
    """Peak PSS (KiB) of a process tree, and of each batch worker with its forked reports."""

    def __init__(self, pid: int, every: float = 2.0):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_tree = self.peak_worker = 0
        self.stop = threading.Event()

    def run(self) -> None:
        self.cpu_s = 0.0
        while not self.stop.is_set():
            t = time.thread_time()
            kids = _children_map()
            tree = _tree(self.pid, kids)
            self.peak_tree = max(self.peak_tree, sum(_pss_kib(p) for p in tree))
            for w in (p for p in tree if _is_worker(p)):
                self.peak_worker = max(self.peak_worker,
                                       sum(_pss_kib(p) for p in _tree(w, kids)))
            self.cpu_s += time.thread_time() - t
            self.stop.wait(self.every)


def _measure(cmd: list[str], *, log: Path, env: dict | None = None) -> dict:
    """Run ``cmd``; its wall time, CPU seconds (tree), peak memory; its last JSON line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        sampler = _MemorySampler(proc.pid)
        sampler.start()
        code = proc.wait()
        sampler.stop.set()
        sampler.join()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:  # keep the figures (a batch with one failed report still ran the rest)
        print(f"  warning: {cmd[:4]} exited with {code}; see {log}", flush=True)
    extra = {}
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            extra = json.loads(line)
            break
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime
                                      + after.ru_stime - before.ru_stime),
            "peak_tree_mib": sampler.peak_tree / 1024, "peak_worker_mib": sampler.peak_worker / 1024,
            "sampler_cpu_s": sampler.cpu_s,
            "exit_code": code, **extra}


# ------------------------------------------------------------------ the methods (subprocesses)

def _cpu_self() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _plain(codes: list[str], data: str, out: Path, kind: str) -> dict:
    import jupytext
    import nbformat
    import papermill

    from analysis.batch.render import render_outputs

    notebook, key = KINDS[kind][:2]
    out.mkdir(parents=True, exist_ok=True)
    for code in codes:
        nb = jupytext.read(notebook)
        nbformat.write(nb, out / f"{kind}.ipynb")
        executed = papermill.execute_notebook(
            str(out / f"{kind}.ipynb"), str(out / f"{kind}_{code}.ipynb"),
            parameters={key: code, "data_dir": data}, kernel_name="python3",
            progress_bar=False, cwd=str(ROOT))
        render_outputs(executed, html=out / f"{kind}_{code}.html",
                       docx=out / f"{kind}_{code}.docx", figures_dir=out / f"{kind}_{code}_figurer")
    return {}


def _single(codes: list[str], data: str, out: Path, kind: str) -> dict:
    """One ``lagesbild evaluate --measure ID`` command per measure, one after the other."""
    _, _, command, option = KINDS[kind]
    walls = {}
    for code in codes:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "analysis", command, option, code, "--data", data,
                        "--out", str(out / code)], check=True, stdout=subprocess.DEVNULL,
                       cwd=ROOT)
        walls[code] = time.perf_counter() - t0
    return {"single_wall_s": walls}


def _floor(codes: list[str], data: str, out: Path, kind: str) -> dict:
    import importlib
    import tempfile

    import jupytext
    import nbformat

    from analysis.batch.execute import execute_item
    from analysis.batch.notebook import imported_modules
    from analysis.batch.warm import warm_rendering

    notebook, key = KINDS[kind][:2]
    nb = jupytext.read(notebook)
    for name in imported_modules(nb):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    warm_rendering()
    out.mkdir(parents=True, exist_ok=True)
    src = out / f"{kind}.ipynb"
    nbformat.write(nb, src)
    cache = tempfile.mkdtemp(prefix="lagesbild-floor-cache-")
    t0, c0 = time.perf_counter(), _cpu_self()
    for code in codes:
        params = {key: code, "data_dir": data}
        if kind == "lagesbild":
            params["shared_cache_dir"] = cache
        res = execute_item({
            "name": code, "stem": f"{kind}_{code}", "out_dir": str(out),
            "params": params,
            "notebook_ipynb": str(src), "formats": list(FORMATS), "isolation": "fork",
            "kernel_name": "python3", "cwd": str(ROOT), "timeout": None, "title": code,
            "reference_docx": None, "forbidden_output_text": ["respondent_id"],
            "guard_path": None, "fingerprint": {}})
        if res["status"] != "ok":
            raise SystemExit(f"floor: {code} failed: {res['error']}")
    shutil.rmtree(cache, ignore_errors=True)
    return {"floor_wall_s": time.perf_counter() - t0, "floor_cpu_s": _cpu_self() - c0}


def _run_method(args) -> None:
    out = Path(args.out)
    fn = {"plain": _plain, "floor": _floor, "single": _single}[args.method]
    extra = fn(args.codes.split(","), args.data, out, args.kind)
    print(json.dumps(extra), flush=True)


# ------------------------------------------------------------------ the launcher

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20, help="number of kommuner (default 20)")
    ap.add_argument("--all", action="store_true", help="all 290 kommuner")
    ap.add_argument("--jobs", type=int, default=None, help="parallel reports (default: cores)")
    ap.add_argument("--data", type=Path, default=Path("/tmp/lagesbild-bench-data"),
                    help="sample data folder (written when missing)")
    ap.add_argument("--only", default="floor,runner,plain,single",
                    help="methods to run: floor, runner (first and second run), runner1 (first "
                         "run only), plain, single (with --evaluation only)")
    ap.add_argument("--evaluation", dest="kind", action="store_const", const="utvardering",
                    default="lagesbild", help="the evaluation drafts of the sample's measures")
    ap.add_argument("--method", help=argparse.SUPPRESS)
    ap.add_argument("--codes", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.method:
        args.data = str(args.data)
        return _run_method(args)

    from analysis.municipalities import municipalities
    from analysis.sample import write_sample

    data = args.data.resolve()
    if not (data / "crimes.csv").exists():
        write_sample(data)
    if args.kind == "utvardering":
        codes = _evaluable_measures(data)[: args.n]
    else:  # every size of kommun: spread the N over the list ordered by population
        by_size = list(municipalities().sort_values("population")["kommunkod"])
        codes = by_size if args.all else [
            by_size[round(i * (len(by_size) - 1) / max(1, args.n - 1))] for i in range(args.n)]
    notebook, key, command, option = KINDS[args.kind]
    jobs = args.jobs or len(os.sched_getaffinity(0))
    n = len(codes)
    name = "batch_benchmark" + ("" if args.kind == "lagesbild" else "_" + args.kind)
    work = RESULTS / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**{k: v for k, v in os.environ.items() if k != "MPLBACKEND"}, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get(
        "PYTHONPATH", ""), "PYTHONHASHSEED": "0"}
    me = [sys.executable, str(Path(__file__).resolve())]
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{n} {args.kind} reports (ipynb + HTML + DOCX + PNG), {jobs} jobs, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.machine()}, {started}", flush=True)
    rows: dict[str, dict] = {}
    only = args.only.split(",")

    def save():
        (RESULTS / f"{name}.json").write_text(json.dumps(
            {"kind": args.kind, "n": n, "jobs": jobs, "codes": codes, "started": started,
             "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
             "load_avg_end": os.getloadavg(), "results": rows}, indent=1))

    def method(name, cmd, cache: str):
        # each method starts with an empty per-user frame cache of its own (the runner's
        # second run takes over the first's): a first run pays for reading the crimes
        env_ = {**env, "LAGESBILD_CACHE_DIR": str(work / f"frame-cache-{cache}")}
        load = os.getloadavg()[0]
        rows[name] = {**_measure(cmd, log=work / f"{name.split()[0]}-{len(rows)}.log", env=env_),
                      "load_avg_before": load}
        r = rows[name]
        print(f"  {name}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} CPU-s "
              f"(load {load:.1f}; the memory sampler used {r['sampler_cpu_s']:.1f} CPU-s)",
              flush=True)
        save()

    sub = ["--codes", ",".join(codes), "--data", str(data),
           *(["--evaluation"] if args.kind != "lagesbild" else [])]
    if "floor" in only:
        method("floor (one warm process)", [*me, "--method", "floor", *sub,
                                            "--out", str(work / "floor")], "floor")
    if "runner" in only or "runner1" in only:  # runner1: the first run only
        cli = [sys.executable, "-m", "analysis", command, "--data", str(data), "--jobs",
               str(jobs), *[a for c in codes for a in (option, c)]]
        method("runner first run", [*cli, "--out", str(work / "runner1")], "runner")
        if "runner" in only:
            method("runner second run", [*cli, "--out", str(work / "runner2")], "runner")
    if "single" in only and args.kind != "lagesbild":
        method("single command per draft", [*me, "--method", "single", *sub,
                                             "--out", str(work / "single")], "single")
    if "plain" in only:
        method("plain papermill loop", [*me, "--method", "plain", *sub,
                                        "--out", str(work / "plain")], "plain")
    _table(rows, n, jobs)
    single = rows.get("single command per draft", {}).get("single_wall_s")
    if single:
        first, *rest = single.values()
        walls = sorted(rest or [first])
        print(f"\none draft, one command: the first (frame cache empty) {first:.1f} s; the "
              f"other {len(rest)}: median {walls[len(walls) // 2]:.1f} s, range "
              f"{walls[0]:.1f}-{walls[-1]:.1f} s (target: under 8 s)")
    save()


def _evaluable_measures(data: Path) -> list[str]:
    """The registry's measures that `lagesbild evaluate` can evaluate with these data."""
    from analysis.cli import _unevaluable
    from analysis.io import read_measures

    frame = read_measures(data / "measures.csv")
    skip = _unevaluable(frame, data)
    return [m for m in frame["measure_id"] if m not in skip]


def _table(rows: dict, n: int, jobs: int) -> None:
    plain = rows.get("plain papermill loop")
    floor = rows.get("floor (one warm process)")
    if floor is not None and "floor_wall_s" not in floor:  # the floor failed: no figures
        floor = None
    floor_wall = floor["floor_wall_s"] / jobs if floor else None
    print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print(f"{'method':<28}{'s/report':>9}{'CPU-s/rep':>10}{'vs plain':>9}{'vs floor':>9}"
          f"{'peak MiB':>9}{'worker MiB':>11}")
    for name, r in rows.items():
        wall = r["wall_s"]
        vs_plain = f"{plain['wall_s'] / wall:.1f}x" if plain else "-"
        vs_floor = f"{wall / floor_wall:.2f}x" if floor_wall else "-"
        print(f"{name:<28}{wall / n:>9.2f}{r['cpu_s'] / n:>10.2f}{vs_plain:>9}{vs_floor:>9}"
              f"{r['peak_tree_mib']:>9.0f}{r['peak_worker_mib']:>11.0f}")
    if floor:
        print(f"{'floor: cells + render / ' + str(jobs):<28}{floor_wall / n:>9.2f}"
              f"{floor['floor_cpu_s'] / n:>10.2f}"
              + (f"{plain['wall_s'] / floor_wall:>8.1f}x" if plain else ""))
    runner = rows.get("runner first run")
    if floor and runner:
        # Load-independent view: CPU seconds. The plain loop uses one core; the runner and
        # the J-job floor use J, so on an idle J-core machine wall ratios follow from these.
        f, r = floor["floor_cpu_s"], runner["cpu_s"]
        line = (f"\nCPU view: floor {f / n:.2f} CPU-s/report, runner {r / n:.2f} "
                f"({r / f:.2f}x the floor)")
        if plain:
            line += (f", plain {plain['cpu_s'] / n:.2f}; idle {jobs}-core estimate: runner "
                     f"{jobs * plain['cpu_s'] / r:.1f}x faster than plain")
        print(line)
    print("\ntargets (issue 16, for 290 reports on 2 cores): runner >= 5x plain, <= 1.2x the "
          "floor, peak memory per worker < 1.5 GiB")


if __name__ == "__main__":
    main()
