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
    assert res.exit_code == 1
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
    assert res.exit_code == 2


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
    assert res.exit_code == 2
