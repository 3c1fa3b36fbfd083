"""An evaluation draft's power simulation (and survey indicators) on the core a one-draft batch
leaves idle.

:func:`analysis.evaluation.shared_power` goes through the batch cache; the warm worker's
preload asks for it in a background process when the batch has spare jobs
(:mod:`analysis.batch.background`), and the draft reads the entry. The value must be exactly
:func:`measure_power`'s, the background process must never outlive the worker, and a batch
without spare jobs must not start one.
"""

import json
import os
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import cache
from analysis.batch import run_batch
from analysis.batch import runner as batch_runner
from analysis.batch.worker import WorkerProcess
from analysis.evaluation import (PowerResult, indicator_effects, indicator_followup,
                                 load_measure_data, measure_power, shared_indicators,
                                 shared_power)
from analysis.io import load_dataset_shared
from analysis.report.context import DRAFT_POWER_SIMULATIONS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "utvardering.py"
MEASURES = ("M2181-01", "M1760-01", "M1080-02")

#: Preloads that ask for another background job than the draft's power (imported by the
#: worker process from PYTHONPATH).
HELPERS = '''
import time
from analysis.report import context

def _with(params, function):
    done = context.preload(params)
    if "background" in done:
        done["background"]["function"] = function
    return done

def failing_preload(params):
    return _with(params, "pp_background_helpers.fail")

def slow_preload(params):
    return _with(params, "pp_background_helpers.slow")

def fail(params):
    raise RuntimeError("a planned failure of the background job")

def slow(params):
    time.sleep(600)
'''


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from analysis.sample import write_sample

    folder = tmp_path_factory.mktemp("pp") / "data"
    write_sample(folder, kommuner=["2181", "2180", "1760", "1080", "1081"])
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory, sample_subset):
    """A sample with enough donors for a whole evaluation draft."""
    from analysis.sample import write_sample

    folder = tmp_path_factory.mktemp("ppw") / "data"
    write_sample(folder, kommuner=sample_subset)
    return folder


@pytest.fixture
def helpers(tmp_path, monkeypatch):
    (tmp_path / "pp_background_helpers.py").write_text(HELPERS)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return tmp_path


def _assert_same_power(a: PowerResult, b: PowerResult) -> None:
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    pd.testing.assert_frame_equal(a.mde, b.mde, check_exact=True)
    assert a.parameters == b.parameters
    assert list(a.parameters) == list(b.parameters)
    assert [type(v) for v in a.parameters.values()] == [type(v) for v in b.parameters.values()]


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("measure_power-*.json"))


def test_shared_indicators_of_the_folder_read_the_survey_only_to_compute(data, tmp_path,
                                                                         monkeypatch):
    """The draft passes its folder: the län's survey is read when the tables are computed,
    not when the entry is there (computed by the spare core); a dataset gives the same entry."""
    import analysis.evaluation.indicators as indicators

    monkeypatch.setattr(cache, "_REMEMBERED", {})
    loads = []
    real = indicators.load_measure_data
    monkeypatch.setattr(indicators, "load_measure_data",
                        lambda *a, **kw: loads.append(a) or real(*a, **kw))
    ds = load_measure_data(data, "M2181-01")
    direct = indicator_followup(ds, "M2181-01"), indicator_effects(ds, "M2181-01")
    assert not direct[0].empty and not direct[1].empty
    computed = shared_indicators(data, "M2181-01", cache_dir=tmp_path)
    assert len(loads) == 1
    cache._REMEMBERED.clear()
    read = shared_indicators(data, "M2181-01", cache_dir=tmp_path)
    from_dataset = shared_indicators(ds, "M2181-01", cache_dir=tmp_path)
    assert len(loads) == 1 and len(list(tmp_path.glob("measure_indicators-*.json"))) == 1
    alone = shared_indicators(str(data), "M2181-01", cache_dir=None)
    assert len(loads) == 2
    for got in (computed, read, from_dataset, alone):
        pd.testing.assert_frame_equal(got[0], direct[0], check_exact=True)
        pd.testing.assert_frame_equal(got[1], direct[1], check_exact=True)


@pytest.mark.parametrize("measure_id", MEASURES)
def test_shared_power_is_measure_power_exactly(data, tmp_path, measure_id, monkeypatch):
    monkeypatch.setattr(cache, "_REMEMBERED", {})  # read back from the file, not memory
    ds = load_dataset_shared(data, kinds=("measures",))
    direct = measure_power(ds, measure_id, n_sim=60)
    stored = shared_power(ds, measure_id, n_sim=60, cache_dir=tmp_path)  # computed, read back
    assert len(_entries(tmp_path)) == 1
    cache._REMEMBERED.clear()
    read = shared_power(ds, measure_id, n_sim=60, cache_dir=tmp_path)  # read only
    _assert_same_power(stored, direct)
    _assert_same_power(read, direct)
    _assert_same_power(shared_power(ds, measure_id, n_sim=60, cache_dir=None), direct)


def test_entry_is_keyed_by_arguments_and_data_files(data, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_REMEMBERED", {})
    ds = load_dataset_shared(data, kinds=("measures",))
    calls = []
    real = measure_power

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    import analysis.evaluation.verdict as verdict
    monkeypatch.setattr(verdict, "measure_power", counting)
    shared_power(ds, "M2181-01", n_sim=40, cache_dir=tmp_path)
    shared_power(ds, "M2181-01", n_sim=40, cache_dir=tmp_path)
    assert len(calls) == 1 and len(_entries(tmp_path)) == 1
    shared_power(ds, "M2181-01", n_sim=41, cache_dir=tmp_path)  # another argument
    shared_power(ds, "M1760-01", n_sim=40, cache_dir=tmp_path)  # another measure
    assert len(calls) == 3 and len(_entries(tmp_path)) == 3
    copy = tmp_path / "copy"
    import shutil
    shutil.copytree(data, copy)
    with open(copy / "population.csv", "a") as fh:  # same rows, other bytes: a new entry
        fh.write("\n")
    shared_power(load_dataset_shared(copy, kinds=("measures",)), "M2181-01", n_sim=40,
                 cache_dir=tmp_path)
    assert len(calls) == 4 and len(_entries(tmp_path)) == 4


def test_notebook_asks_for_what_the_preload_computes():
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert f"shared_power(dataset, measure_id, n_sim={DRAFT_POWER_SIMULATIONS}," in text
    assert "cache_dir=shared_cache_dir" in text


def _alive(pid: int) -> bool:
    """Whether ``pid`` exists at all (a zombie counts: it was not reaped)."""
    return Path(f"/proc/{pid}").exists() if Path("/proc").is_dir() else _signal0(pid)


def _signal0(pid: int) -> bool:  # pragma: no cover - without /proc
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(condition, timeout=60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _worker(tmp_path, data, cache_dir, *, spare, function=batch_runner.PRELOAD, **kwargs):
    params = {"measure_id": "M2181-01", "data_dir": str(data), "language": "sv",
              "shared_cache_dir": str(cache_dir)}
    if spare:
        params["spare_jobs"] = spare
    return WorkerProcess(["analysis.report.context"], jobs=1, log_path=tmp_path / "worker.log",
                         preload={"function": function, "params": params}, **kwargs)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_preload_with_spare_jobs_computes_power_in_background(data, tmp_path):
    cache_dir = tmp_path / "cache"
    worker = _worker(tmp_path, data, cache_dir, spare=1)
    try:
        info = worker.info
        assert info["preload"]["ok"], info
        pid = info["background"]["pid"]
        assert info["preload"]["result"]["background"]["params"]["measure_id"] == "M2181-01"
        assert _wait(lambda: len(_entries(cache_dir)) == 1)
        # the worker reaps it once it has ended: no zombie while the batch goes on
        assert _wait(lambda: not _alive(pid), timeout=10)
    finally:
        worker.close()
    log = (tmp_path / "worker.log").read_text()
    assert "draft_sections" in log and "done in" in log
    # the survey section too: the measure names indicators of the catalogue
    assert _wait(lambda: len(list(cache_dir.glob("measure_indicators-*.json"))) == 1)
    cache._REMEMBERED.clear()
    measure_data = load_measure_data(data, "M2181-01")
    followup, effects = shared_indicators(measure_data, "M2181-01", cache_dir=cache_dir)
    pd.testing.assert_frame_equal(followup, indicator_followup(measure_data, "M2181-01"),
                                  check_exact=True)
    pd.testing.assert_frame_equal(effects, indicator_effects(measure_data, "M2181-01"),
                                  check_exact=True)
    assert not followup.empty and not effects.empty
    assert len(list(cache_dir.glob("measure_indicators-*.json"))) == 1  # read, not computed
    # what it wrote is what the draft would compute
    cache._REMEMBERED.clear()
    ds = load_dataset_shared(data, kinds=("measures",))
    _assert_same_power(
        shared_power(ds, "M2181-01", n_sim=DRAFT_POWER_SIMULATIONS, cache_dir=cache_dir),
        measure_power(ds, "M2181-01", n_sim=DRAFT_POWER_SIMULATIONS))
    assert len(_entries(cache_dir)) == 1  # read, not computed again


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_without_spare_jobs_nothing_is_started(data, tmp_path):
    cache_dir = tmp_path / "cache"
    worker = _worker(tmp_path, data, cache_dir, spare=0)
    try:
        assert worker.info["preload"]["ok"]
        assert "background" not in worker.info
        assert "background" not in worker.info["preload"]["result"]
        time.sleep(0.5)
        assert not _entries(cache_dir)
    finally:
        worker.close()
    assert "background" not in (tmp_path / "worker.log").read_text()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
@pytest.mark.parametrize("kill", [False, True])
def test_a_long_background_job_ends_with_the_worker(data, tmp_path, helpers, kill):
    worker = _worker(tmp_path, data, tmp_path / "cache", spare=1,
                     function="pp_background_helpers.slow_preload")
    pid = worker.info["background"]["pid"]
    time.sleep(0.3)
    assert _alive(pid)
    t = time.perf_counter()
    worker.close(kill=kill)  # normal end (stdin closed) or SIGTERM
    assert time.perf_counter() - t < 10
    assert _wait(lambda: not _alive(pid), timeout=5)


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (gone or a zombie waiting for its new parent: not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc")
def test_a_background_job_dies_with_a_killed_worker(data, tmp_path, helpers):
    import signal

    worker = _worker(tmp_path, data, tmp_path / "cache", spare=1,
                     function="pp_background_helpers.slow_preload")
    pid = worker.info["background"]["pid"]
    try:
        time.sleep(0.3)
        assert _running(pid)
        os.kill(worker.proc.pid, signal.SIGKILL)  # no handler runs: the kernel tells the job
        assert _wait(lambda: not _running(pid), timeout=5)
    finally:
        worker.close()


def _power_cell(path: Path) -> list:
    """The outputs of the draft's power and survey-indicator cells."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"
             and ("power_table" in c.source or "indicator_table" in c.source)]
    assert len(cells) == 2
    return [{k: v for k, v in o.items() if k != "execution_count"}
            for cell in cells for o in cell.outputs]


def _draft(world, out, **kwargs):
    result = run_batch(NOTEBOOK, [{"measure_id": "M2181-01", "data_dir": str(world)}],
                       out_dir=out, name_key="measure_id", formats=("ipynb",),
                       progress=False, **kwargs)
    assert not result.failures, result.summary()
    logs = "".join(p.read_text() for p in (out / ".lagesbild" / "logs").glob("*.log"))
    return _power_cell(out / "utvardering_M2181-01.ipynb"), logs


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_draft_power_section_is_the_same_with_and_without_background(world, tmp_path,
                                                                     helpers, monkeypatch):
    alone, log_alone = _draft(world, tmp_path / "alone", jobs=1)  # no spare job
    assert "background" not in log_alone
    spare, log_spare = _draft(world, tmp_path / "spare", jobs=2)
    assert "draft_sections" in log_spare and "done in" in log_spare
    assert json.dumps(spare, sort_keys=True) == json.dumps(alone, sort_keys=True)
    assert any("image/png" in o.get("data", {}) for o in spare)
    # a failing background job: the draft computes the power itself, the same numbers
    monkeypatch.setattr(batch_runner, "PRELOAD", "pp_background_helpers.failing_preload")
    failed, log_failed = _draft(world, tmp_path / "failed", jobs=2)
    assert "a planned failure of the background job" in log_failed
    assert json.dumps(failed, sort_keys=True) == json.dumps(alone, sort_keys=True)
