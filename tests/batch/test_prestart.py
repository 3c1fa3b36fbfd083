"""A worker started ahead of its batch (issue 16): the command's checks overlap its imports.

``prestart_worker(out)`` starts the worker before ``run_batch`` is called; the batch claims it
instead of starting its own, its log ends up with the batch's logs, and nothing is written into
the output folder before the batch runs. A worker no batch claims is stopped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analysis.batch import run_batch
from analysis.batch import worker as worker_module
from analysis.batch.runner import prestart_worker

TINY = Path(__file__).parents[1] / "fixtures" / "notebooks" / "tiny_report.py"


@pytest.fixture(autouse=True)
def no_leftovers():
    yield
    worker_module.close_prestarted()


def test_the_batch_claims_the_prestarted_worker(tmp_path):
    out = tmp_path / "out"
    prestart_worker(out)
    (started,) = worker_module._PRESTARTED.values()
    temp_log = Path(started._log.name)
    assert temp_log.exists() and not out.exists()  # nothing in the output folder yet
    assert oct(temp_log.stat().st_mode & 0o777) == "0o600"
    result = run_batch(TINY, [{"kommunkod": "1760"}, {"kommunkod": "2181"}], out_dir=out,
                       jobs=2, progress=False, formats=("ipynb",))
    assert result.ok, result.summary()
    assert worker_module._PRESTARTED == {}  # claimed
    assert not started.alive  # and closed by the batch
    assert not temp_log.exists()
    logs = sorted(p.name for p in (out / ".lagesbild" / "logs").iterdir())
    assert logs == ["worker-0.log"]  # the batch's one worker: the prestarted one


def test_an_unclaimed_worker_is_stopped_and_its_log_removed(tmp_path):
    prestart_worker(tmp_path / "never")
    prestart_worker(tmp_path / "never")  # the same batch: still one worker
    (started,) = worker_module._PRESTARTED.values()
    temp_log = Path(started._log.name)
    worker_module.close_prestarted()
    assert not started.alive and not temp_log.exists() and worker_module._PRESTARTED == {}
    assert not (tmp_path / "never").exists()


def test_a_dead_prestarted_worker_is_replaced(tmp_path):
    out = tmp_path / "out"
    prestart_worker(out)
    (started,) = worker_module._PRESTARTED.values()
    started.proc.kill()
    started.proc.wait()
    result = run_batch(TINY, [{"kommunkod": "1760"}], out_dir=out, jobs=1, progress=False,
                       formats=("ipynb",))
    assert result.ok, result.summary()


def test_a_log_on_another_file_system_is_appended_when_the_worker_closes(tmp_path,
                                                                         monkeypatch):
    out = tmp_path / "out"
    prestart_worker(out)
    (started,) = worker_module._PRESTARTED.values()
    temp_log = Path(started._log.name)

    def cross_device(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(worker_module.os, "replace", cross_device)
    target = tmp_path / "logs" / "worker-0.log"
    target.parent.mkdir()
    target.write_bytes(b"earlier batch\n")
    claimed = worker_module.claim(str(out.resolve()), target)
    assert claimed is started
    os.write(claimed._log.fileno(), b"from the worker\n")
    claimed.close()
    assert target.read_bytes() == b"earlier batch\nfrom the worker\n"
    assert not temp_log.exists()


def test_the_prestarted_worker_imports_the_templates_modules_before_its_configuration(tmp_path):
    template = tmp_path / "t.py"
    template.write_text("# %%\nimport json\nfrom analysis.report import wording\n"
                        "from no_such_module_here import x\n", encoding="utf-8")
    prestart_worker(tmp_path / "out", template)
    (started,) = worker_module._PRESTARTED.values()
    assert started.proc.args[-5:] == ["analysis.report", "analysis.report.wording", "json",
                                      "no_such_module_here", "no_such_module_here.x"]
    info = started.configure([], jobs=1)  # nothing more to import: already done early
    assert {"json", "analysis.report.wording"} <= set(info["imported"])
    assert "no_such_module_here" in info["not_imported"]  # a missing module only costs nothing


def test_a_report_process_has_an_empty_stdin_not_a_closed_one(tmp_path):
    # the worker closes its protocol pipes (stdin among them) in each forked report; fd 0
    # must then be /dev/null: code that reads or checks stdin must not meet a closed fd
    notebook = tmp_path / "stdin_report.py"
    notebook.write_text('# %% tags=["parameters"]\nkommunkod = "0114"\n\n'
                        "# %%\nimport os\nimport stat\n"
                        "assert stat.S_ISCHR(os.fstat(0).st_mode), os.fstat(0)\n"
                        "assert os.read(0, 1) == b''\nprint('stdin ok')\n", encoding="utf-8")
    result = run_batch(notebook, [{"kommunkod": "1760"}], out_dir=tmp_path / "out", jobs=1,
                       progress=False, formats=("ipynb",))
    assert result.ok, result.summary()
