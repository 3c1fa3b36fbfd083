"""The incident reader and the optional incidents.csv of a data directory."""

import pytest

from analysis.errors import DataError
from analysis.io import load_dataset, read_incidents
from analysis.sample import write_sample


def test_swedish_headings_semicolons_and_dotted_times(tmp_path):
    p = tmp_path / "händelser.csv"
    p.write_text("kommunkod;datum;tid;plats;typ;källa\n"
                 "2181;2025-03-07;7.05;Resecentrum;Klotter;Trygghetsvärdar\n"
                 "2181;2025-03-08;;Torget;Stöld;Fastighetsägare\n", encoding="cp1252")
    df = read_incidents(p)
    assert df["time"].tolist()[0] == "07:05" and df["time"].isna().tolist() == [False, True]
    assert df.attrs["renamed"]["källa"] == "source"


def test_problems_name_file_row_and_column(tmp_path):
    p = tmp_path / "incidents.csv"
    p.write_text("kommunkod,date,time,place,type,source\n"
                 "2181,2025-03-07,23:40,Resecentrum,Klotter,Skola\n"
                 "9999,2025-02-30,23:40,Torget,Stöld,Skola\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_incidents(p)
    text = str(err.value)
    assert "incidents.csv, row 3, column 'kommunkod'" in text and "'9999'" in text
    assert "row 3, column 'date': not a date" in text


def test_load_dataset_reads_the_optional_incidents(tmp_path):
    root = tmp_path / "d"
    write_sample(root, kommuner=["1760"])
    ds = load_dataset(root)
    assert ds.incidents is not None and set(ds.incidents["kommunkod"]) == {"1760"}
    assert "incidents.csv" in ds.files
    (root / "incidents.csv").unlink()
    assert load_dataset(root).incidents is None


# ------------------------------------------------------------------ lagesbild check --kind incidents

def _check(*args):
    from typer.testing import CliRunner

    from analysis.cli import app
    return CliRunner().invoke(app, ["check", *map(str, args)])


def test_check_incidents_ok_profiles_the_file(tmp_path):
    root = tmp_path / "d"
    write_sample(root, kommuner=["1760"])
    res = _check(root / "incidents.csv", "--kind", "incidents")
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"OK: {root / 'incidents.csv'} is a valid incidents file")
    assert "Syntetiska exempeldata" in res.output  # a sample file never passes for real data
    assert "kommuner: 1" in res.output and "without a clock time:" in res.output
    for what in ("places (", "types (", "sources ("):
        assert what in res.output


def test_check_incidents_swedish_headings_are_said(tmp_path):
    p = tmp_path / "händelser.csv"
    p.write_text("kommunkod;datum;tid;plats;typ;källa\n"
                 "2181;2025-03-07;7.05;Resecentrum;Klotter;Trygghetsvärdar\n", encoding="utf-8")
    res = _check(p, "--kind", "incidents")
    assert res.exit_code == 0, res.output
    assert "headings renamed: datum → date, tid → time" in res.output
    assert "dates: 2025-03-07 to 2025-03-07; without a clock time: 0" in res.output


def test_check_incidents_lists_every_problem_with_file_row_column_value(tmp_path):
    p = tmp_path / "incidents.csv"
    p.write_text("kommunkod,date,time,place,type,source\n"
                 "2181,2025-03-07,23:40,Resecentrum,Klotter,Skola\n"
                 "9999,2025-02-30,23:40,,Stöld,Skola\n", encoding="utf-8")
    res = _check(p, "--kind", "incidents")
    assert res.exit_code == 1
    assert f"NOT OK: 3 problems in {p} (kind incidents)" in res.output
    assert f"{p}, row 3, column 'kommunkod': unknown or malformed kommun code (got '9999')" in res.output
    assert "row 3, column 'date': not a date (got '2025-02-30'); expected a date written YYYY-MM-DD" \
        in res.output
    assert "row 3, column 'place': missing value" in res.output
    # a clock time out of range, once the cells are clean
    p.write_text("kommunkod,date,time,place,type,source\n"
                 "2181,2025-03-07,25:10,Resecentrum,Klotter,Skola\n", encoding="utf-8")
    res = _check(p, "--kind", "incidents")
    assert res.exit_code == 1
    assert "row 2, column 'time': not a clock time (got '25:10'); expected a time written HH:MM" \
        in res.output


def test_check_incidents_missing_column_and_missing_file(tmp_path):
    p = tmp_path / "incidents.csv"
    p.write_text("kommunkod,date,place,type\n2181,2025-03-07,Torget,Stöld\n", encoding="utf-8")
    res = _check(p, "--kind", "incidents")
    assert res.exit_code == 1 and "column 'source': required column missing" in res.output
    res = _check(tmp_path / "nope.csv", "--kind", "incidents")
    assert res.exit_code != 0 and "no such file" in res.output
