"""The `lagesbild` command as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "sample"
    res = runner.invoke(app, ["sample", "--out", str(out), "--kommun", "1760", "--kommun", "2026"])
    assert res.exit_code == 0, res.output
    return out


def test_sample_writes_labelled_data(small_sample):
    meta = json.loads((small_sample / "DATASET.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert meta["label"] == "Syntetiska exempeldata – inte verklig statistik"
    assert (small_sample / "crimes.csv").exists()


def test_sample_refuses_to_clobber(small_sample):
    res = runner.invoke(app, ["sample", "--out", str(small_sample), "--kommun", "1760"])
    assert res.exit_code == 4
    assert "--overwrite" in res.output


def test_check_ok_prints_profile(small_sample):
    res = runner.invoke(app, ["check", str(small_sample / "crimes.csv"), "--kind", "crimes"])
    assert res.exit_code == 0, res.output
    assert "OK" in res.output


def test_check_reports_every_problem_and_fails(tmp_path):
    bad = tmp_path / "brott.csv"
    bad.write_text("kommunkod,period,crime_type,count\n"
                   "0114,2024-01,Cykelstöld,3\n"
                   "11,2024-02,Cykelstöld,-1\n", encoding="utf-8")
    res = runner.invoke(app, ["check", str(bad), "--kind", "crimes"])
    assert res.exit_code == 1
    assert "brott.csv" in res.output and "row 3" in res.output
    assert "kommunkod" in res.output and "count" in res.output


def test_check_missing_file(tmp_path):
    res = runner.invoke(app, ["check", str(tmp_path / "nope.csv"), "--kind", "crimes"])
    assert res.exit_code == 3 and "no such file" in res.output


def test_summary_writes_counts_and_rates(small_sample, tmp_path):
    res = runner.invoke(app, ["summary", "--data", str(small_sample), "--kommun", "1760",
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "summary" / "1760_Storfors_brott_per_ar.md").read_text(encoding="utf-8")
    assert "Syntetiska exempeldata – inte verklig statistik" in md
    assert "Misshandel (inkl. grov)" in md and "per 100 000" in md
    csv = (tmp_path / "summary" / "1760_Storfors_brott_per_ar.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0].startswith("kommunkod,kommun,crime_type,year,count,rate_per_100000")


def test_check_survey_against_items_and_kommun(small_sample, tmp_path):
    res = runner.invoke(app, ["check", str(small_sample / "survey.csv"), "--kind", "survey",
                              "--items", str(small_sample / "items.csv"), "--kommun", "1760"])
    assert res.exit_code == 1  # the sample also holds Gagnef's respondents
    assert "2026" in res.output and "kommunkod" in res.output


def test_reports_needs_a_selection(small_sample, tmp_path):
    res = runner.invoke(app, ["reports", "--data", str(small_sample), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "--kommun" in res.output


def test_reports_rejects_unknown_lan_and_bad_code(small_sample, tmp_path):
    res = runner.invoke(app, ["reports", "--data", str(small_sample), "--lan", "99"])
    assert res.exit_code == 2 and "unknown län" in res.output
    res = runner.invoke(app, ["reports", "--data", str(small_sample), "--kommun", "114"])
    assert res.exit_code == 2 and "'0114'" in res.output


def test_evaluate_rejects_unknown_measure(small_sample):
    res = runner.invoke(app, ["evaluate", "--data", str(small_sample), "--measure", "M9999-99"])
    assert res.exit_code == 2 and "unknown measure" in res.output and "M1760-01" in res.output


@pytest.mark.slow
def test_evaluate_renders_one_measure(full_sample, tmp_path):
    res = runner.invoke(app, ["evaluate", "--data", str(full_sample), "--measure", "M2181-01",
                              "--out", str(tmp_path), "--format", "ipynb", "--format", "html",
                              "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "utvardering_M2181-01.html").exists()
    assert (tmp_path / "index.html").exists()


# --- conventions: --version, -v/-q through the package's logger, --progress, python -m ---

def test_version():
    from analysis import __version__

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout.strip() == f"lagesbild {__version__}"


@pytest.fixture
def noisy_sample(monkeypatch):
    """`sample` with a writer that logs at every level and warns, as library code may."""
    import logging
    import warnings

    import analysis.sample

    def write_sample(out, *args, **kwargs):
        log = logging.getLogger("analysis.sample")
        log.debug("debug detail")
        log.info("info line")
        log.warning("warning line")
        warnings.warn("a python warning", UserWarning, stacklevel=1)
        log.error("error line")
        return {}

    monkeypatch.setattr(analysis.sample, "write_sample", write_sample)


@pytest.mark.parametrize("flags, shown, hidden", [
    ([], ["info line", "warning line", "a python warning", "error line", "Wrote 0 files"],
     ["debug detail"]),
    (["-v"], ["debug detail", "info line", "error line"], []),
    (["-q"], ["warning line", "a python warning", "error line"], ["info line", "Wrote"]),
    (["-qq"], ["error line"], ["warning line", "a python warning", "info line"]),
    (["-v", "-q"], ["info line"], ["debug detail"]),
])
def test_verbosity_maps_to_the_package_logger(noisy_sample, tmp_path, flags, shown, hidden):
    import logging

    res = runner.invoke(app, [*flags, "sample", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""  # messages are diagnostics: stderr only
    for text in shown:
        assert text in res.stderr, (flags, text, res.stderr)
    for text in hidden:
        assert text not in res.stderr, (flags, text, res.stderr)
    assert "lagesbild: warning: warning line" in res.stderr or "-qq" in flags
    # nothing stays behind in the process once the command is done
    assert not logging.getLogger("analysis").handlers
    assert logging.getLogger("analysis").level == logging.NOTSET


@pytest.mark.parametrize("flags, expected", [([], None), (["--progress"], True),
                                             (["--no-progress"], False), (["-q"], False),
                                             (["-q", "--progress"], True)])
def test_progress_option_reaches_the_batch(small_sample, tmp_path, monkeypatch, flags, expected):
    import analysis.batch

    seen = {}

    class Done:
        exit_code = 0

        def summary(self):
            return "1 report"

    def run_batch(notebook, params, **kwargs):
        seen.update(kwargs)
        return Done()

    monkeypatch.setattr(analysis.batch, "run_batch", run_batch)
    res = runner.invoke(app, [*flags, "reports", "--data", str(small_sample), "--kommun", "1760",
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert seen["progress"] is expected
    verbose = runner.invoke(app, ["-v", *flags, "reports", "--data", str(small_sample),
                                  "--kommun", "1760", "--out", str(tmp_path)])
    assert ("1 draft(s) from lagesbild.py" in verbose.stderr) is (flags.count("-q") < 1)


def test_python_dash_m_analysis_is_the_same_command():
    import subprocess
    import sys

    from analysis import __version__

    help_ = subprocess.run([sys.executable, "-m", "analysis", "--help"], capture_output=True,
                           text=True, timeout=120, env=_env())
    assert help_.returncode == 0, help_.stderr
    for option in ("--version", "--verbose", "--quiet", "--progress", "reports", "evaluate"):
        assert option in help_.stdout
    version = subprocess.run([sys.executable, "-m", "analysis", "--version"], capture_output=True,
                             text=True, timeout=120, env=_env())
    assert version.stdout.strip() == f"lagesbild {__version__}"


def _env():
    """This interpreter's environment with the tested package first on the path."""
    import os
    from pathlib import Path

    import analysis

    src = str(Path(analysis.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def _one_line_error(res, code: int, *words: str) -> None:
    assert res.exit_code == code, (res.exit_code, res.output)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lagesbild: "), res.output
    assert "Traceback" not in res.output
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize("args, code, words", [
    (["reports", "--kommun", "1760", "--format", "pdf"], 2, ["'pdf'", "html"]),
    (["reports", "--kommun", "1760", "--year", "2031"], 2, ["--year 2031", "complete years"]),
    (["reports", "--kommun", "1760", "--comparison", "LAN"], 2, ["'LAN'", "riket"]),
    (["reports", "--kommun", "1760", "--jobs", "0"], 2, ["--jobs"]),
    (["evaluate", "--measure", "M1760-01", "--format", "pdf"], 2, ["'pdf'"]),
    (["summary", "--kommun", "9999"], 2, ["'9999'", "e.g. 1760"]),
    (["summary", "--kommun", "Storfors"], 2, ["'Storfors'"]),
    (["summary", "--kommun", "0114"], 2, ["0114 (Upplands Väsby) has no rows"]),
    (["reports", "--kommun", "0114"], 2, ["0114 (Upplands Väsby) has no rows"]),
])
def test_ordinary_mistakes_are_one_line_errors_before_any_work(args, code, words, small_sample,
                                                               tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, [*args, "--data", str(small_sample), "--out", str(out)])
    _one_line_error(res, code, *words)
    assert not out.exists()  # nothing was written
    from analysis.batch import worker
    assert worker._PRESTARTED == {}  # a worker started ahead of the batch was stopped


def test_unwritable_or_file_output_folder(small_sample, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    res = runner.invoke(app, ["reports", "--data", str(small_sample), "--kommun", "1760",
                              "--out", str(blocker)])
    _one_line_error(res, 4, "not a folder")
    res = runner.invoke(app, ["reports", "--data", str(small_sample), "--kommun", "1760",
                              "--out", str(blocker / "sub")])
    _one_line_error(res, 4, "cannot write there")


def test_unknown_kommun_in_sample_and_missing_data(tmp_path):
    res = runner.invoke(app, ["sample", "--out", str(tmp_path / "s"), "--kommun", "9999"])
    _one_line_error(res, 2, "'9999'")
    res = runner.invoke(app, ["summary", "--data", str(tmp_path / "none"), "--kommun", "1760"])
    _one_line_error(res, 3, "no crimes.csv")


def test_a_second_batch_into_the_same_folder_is_a_one_line_error(small_sample, tmp_path):
    from analysis.store import directory_lock

    with directory_lock(tmp_path / ".lagesbild" / "batch.lock"):
        res = runner.invoke(app, ["reports", "--data", str(small_sample), "--kommun", "1760",
                                  "--out", str(tmp_path)])
    _one_line_error(res, 5, "another batch is writing")


def test_debug_shows_the_traceback(small_sample, tmp_path):
    from analysis.store import directory_lock

    with directory_lock(tmp_path / ".lagesbild" / "batch.lock"):
        res = runner.invoke(app, ["--debug", "reports", "--data", str(small_sample),
                                  "--kommun", "1760", "--out", str(tmp_path)])
    assert type(res.exception).__name__ == "BatchLockedError"


def test_help_documents_the_exit_codes():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    for code in ("2 an option", "3 input data", "4 the output folder", "5 another batch"):
        assert code in text


def test_check_measures_names_planned_old_and_colliding_measures(small_sample, tmp_path):
    registry = tmp_path / "measures.csv"
    header = (small_sample / "measures.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = ["P-1,1760,Planerad,Trygghet,2099-09-01,,Misshandel (inkl. grov),,x,",
            "OLD-1,1760,Gammal,Trygghet,2001-03-01,2002-01-01,Misshandel (inkl. grov),,x,",
            "OK-1,1760,Pågår,Trygghet,2021-03-01,,Misshandel (inkl. grov),,x,"]
    registry.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["check", str(registry), "--kind", "measures",
                              "--crimes", str(small_sample / "crimes.csv")])
    assert res.exit_code == 0, res.output
    notes = [line for line in res.output.splitlines() if line.startswith("  !")]
    assert len(notes) == 2
    assert "P-1 cannot be evaluated yet" in notes[0] and "after the last month" in notes[0]
    assert "OLD-1 cannot be evaluated" in notes[1] and "row 3" in notes[1]
    registry.write_text("\n".join([header, rows[2], rows[2].replace("OK-1", "OK/1"),
                                   rows[2].replace("OK-1", "ok-1")]) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["check", str(registry), "--kind", "measures"])
    assert res.exit_code == 1
    assert "'OK/1'" in res.output and "cannot name a file" in res.output
    assert "'OK-1' (row 2) and 'ok-1' (row 4)" in res.output


def test_evaluate_refuses_a_measure_that_cannot_be_evaluated_before_any_work(small_sample,
                                                                            tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(small_sample, data)
    with open(data / "measures.csv", "a", encoding="utf-8") as fh:
        fh.write("M1760-P1,1760,Planerad,Trygghet,2099-09-01,,Misshandel (inkl. grov),,x,\n")
    out = tmp_path / "out"
    res = runner.invoke(app, ["evaluate", "--data", str(data), "--measure", "M1760-P1",
                              "--out", str(out)])
    _one_line_error(res, 2, "M1760-P1 cannot be evaluated yet", "after the last month")
    assert not out.exists()


def test_import_and_check_from_the_command_line(tmp_path):
    real = Path(__file__).resolve().parent / "fixtures" / "io" / "real_layouts"
    res = runner.invoke(app, ["check", str(real / "scb_pxweb_json_norrbotten_2025.json"), "--kind", "population"])
    assert res.exit_code == 0 and "OK" in res.output and "population per year: 2025 108 928" in res.output
    src = tmp_path / "in"
    src.mkdir()
    (src / "scb.json").write_bytes((real / "scb_v2_jsonstat2_TAB638_norrbotten_2025.json").read_bytes())
    (src / "bra.csv").write_bytes((real / "bra_statistikdatabas_manad_norrbotten_2026-08.csv").read_bytes())
    (src / "pop2026.csv").write_text("kommunkod,year,population\n2580,2026,80304\n2582,2026,28624\n")
    res = runner.invoke(app, ["import", str(src), "--out", str(tmp_path / "data")])
    assert res.exit_code == 0, res.output
    assert f"OK: wrote {tmp_path / 'data'}" in res.output and "bra-long → crimes" in res.output
    assert (tmp_path / "data" / "IMPORT.json").is_file()
    res = runner.invoke(app, ["import", str(src), "--out", str(tmp_path / "data")])
    assert res.exit_code == 1 and "--overwrite" in res.output
    res = runner.invoke(app, ["import", str(tmp_path / "nope")])
    assert res.exit_code == 3 and "no such file or folder" in res.output


# ------------------------------------------------------------------ the command's own exit

def _python(code: str, *args: str, tmp_path: Path):
    import os
    import subprocess
    import sys

    import analysis

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(analysis.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)


_RUN = ("import atexit, sys, threading, time\n"
        "from pathlib import Path\n"
        "from analysis.__main__ import run_command as run\n"
        "atexit.register(lambda: Path('atexit-ran').write_text('yes'))\n"
        "if '--thread' in sys.argv:\n"
        "    sys.argv.remove('--thread')\n"
        "    threading.Thread(target=lambda: (time.sleep(0.5), Path('thread-ran').write_text("
        "'yes'))).start()\n"
        "sys.argv = ['lagesbild', *sys.argv[1:]]\n"
        "print('printed before, not yet flushed')\n"
        "run()\n"
        "print('never reached')\n")


@pytest.mark.parametrize("args, code", [(["--version"], 0), (["no-such-command"], 2),
                                        (["reports", "--data", "missing-folder"], 3)])
def test_the_command_exits_with_its_code_streams_flushed_and_exit_handlers_run(
        tmp_path, args, code):
    # run_command() skips the interpreter's clean-up (0.3-0.5 s) but nothing a user sees
    res = _python(_RUN, *args, tmp_path=tmp_path)
    assert res.returncode == code, res.stderr[-2000:]
    assert res.stdout.startswith("printed before, not yet flushed")
    assert "never reached" not in res.stdout
    assert (tmp_path / "atexit-ran").read_text() == "yes"
    if code == 0:
        assert "lagesbild" in res.stdout
    else:
        assert res.stderr.strip()  # the reason, not lost in a buffer


def test_the_command_waits_for_a_running_thread(tmp_path):
    res = _python(_RUN, "--thread", "--version", tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (tmp_path / "thread-ran").read_text() == "yes"
    assert (tmp_path / "atexit-ran").read_text() == "yes"
