"""Tidy files of a data directory, load_dataset, and check_file (analysis.io.tidy / check)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io import check_file, load_dataset, read_measures, read_tidy

FIX = Path(__file__).parent.parent / "fixtures" / "io"
HEADER = "kommunkod,period,crime_type,count,status\n"


def _crimes(months: int = 3, codes=("1760", "2026"), types=("Cykelstöld", "Rån (inkl. grovt)")) -> str:
    rows = [f"{k},{p},{t},{(i * 7 + j) % 5},slutlig"
            for k in codes for i, t in enumerate(types)
            for j, p in enumerate(pd.period_range("2024-01", periods=months, freq="M").astype(str))]
    return HEADER + "\n".join(rows) + "\n"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _problem(tmp_path, name, text, kind):
    """check_file on a written file: the single expected problem, with its rendered text."""
    p = _write(tmp_path, name, text)
    result = check_file(p, kind)
    assert not result.ok
    return p, result



def test_crimes_ok_and_profile(tmp_path):
    p = _write(tmp_path, "crimes.csv", _crimes(months=14))
    df = read_tidy(p, "crimes")
    assert isinstance(df["period"].dtype, pd.PeriodDtype) and len(df) == 56
    res = check_file(p, "crimes")
    assert res.ok and res.problems == ()
    text = res.render()
    assert text.startswith(f"OK: {p} is a valid crimes file")
    assert "kommuner: 2" in text and "2024-01 to 2025-02 (14 months)" in text
    assert "crime types (2): Cykelstöld, Rån (inkl. grovt)" in text
    assert "read as: encoding 'utf-8', delimiter ','" in text


@pytest.mark.parametrize("old,new,row,column,what", [
    ("1760,2024-02,Cykelstöld,1", "176,2024-02,Cykelstöld,2", 3, "kommunkod", "unknown or malformed"),  # 0176 is no kommun
    ("1760,2024-02,Cykelstöld,1", "9999,2024-02,Cykelstöld,2", 3, "kommunkod", "unknown or malformed"),
    ("1760,2024-02,Cykelstöld,1", "1760,2024-02,Cykelstöld,-2", 3, "count", "out of range"),       # negative
    ("1760,2024-02,Cykelstöld,1", "1760,2024-02,Cykelstöld,2.5", 3, "count", "not a whole number"),
    ("1760,2024-02,Cykelstöld,1", '1760,2024-02,Cykelstöld,"2,5"', 3, "count", "decimal commas"),  # decimal comma
    ("1760,2024-02,Cykelstöld,1", "1760,2024-13,Cykelstöld,2", 3, "period", "not a calendar month"),
    ("1760,2024-02,Cykelstöld,1", "1760,2024-02,Trolldom,2", 3, "crime_type", "not a Brå crime type"),
])
def test_bad_crimes_name_file_row_and_column(tmp_path, old, new, row, column, what):
    text = _crimes()
    assert old in text
    p, res = _problem(tmp_path, "crimes.csv", text.replace(old, new), "crimes")
    rendered = res.render()
    assert f"{p}, row {row}, column '{column}'" in rendered
    assert what in rendered


def test_duplicate_rows(tmp_path):
    text = _crimes() + "1760,2024-02,Cykelstöld,4,slutlig\n"
    p, res = _problem(tmp_path, "crimes.csv", text, "crimes")
    assert f"{p}, row 14, column 'kommunkod'" in res.render()
    assert "rows 3, 14" in res.render()


def test_gap_in_monthly_series_is_reported_not_filled(tmp_path):
    text = "".join(line + "\n" for line in _crimes(months=5).splitlines() if "1760,2024-03,Cykelstöld" not in line)
    p, res = _problem(tmp_path, "crimes.csv", text, "crimes")
    rendered = res.render()
    assert str(p) in rendered and "column 'period'" in rendered
    assert "gap in the monthly series of 1760 × Cykelstöld: 1 month(s) missing (2024-03)" in rendered


def test_gap_names_the_row_before_the_gap(tmp_path):
    text = "".join(line + "\n" for line in _crimes(months=5).splitlines() if "1760,2024-03,Cykelstöld" not in line)
    p, res = _problem(tmp_path, "crimes.csv", text, "crimes")
    assert f"{p}, row 3, column 'period'" in res.render()


def test_wrong_encoding_and_delimiter_through_check(tmp_path):
    text = _crimes().replace("Rån", "RÃ¥n")
    p, res = _problem(tmp_path, "crimes.csv", text, "crimes")
    assert f"{p}, rows 5–7, 11–13" in res.render() and "mojibake" in res.render()  # grouped
    assert [x.row for x in res.problems] == [5, 6, 7, 11, 12, 13]
    p = _write(tmp_path, "semi.csv", _crimes().replace(",", ";"))
    assert read_tidy(p, "crimes").attrs["format"]["delimiter"] == ";"  # detected and reported
    res = check_file(p, "crimes")
    assert res.ok and "delimiter ';'" in res.render()
    from analysis.io import read_delimited
    with pytest.raises(DataError, match="wrong delimiter"):
        read_delimited(p, delimiter=",")
    p = _write(tmp_path, "cp.csv", _crimes(), encoding="cp1252")
    res = check_file(p, "crimes")
    assert res.ok and "encoding 'cp1252'" in res.render()


def test_population_margins_municipalities(tmp_path):
    p = _write(tmp_path, "population.csv", "kommunkod,year,population\n1760,2025,3777\n2026,2025,0\n"
                                          "2026,2024,\"10 450\"\n")
    res = check_file(p, "population")
    got = {(x.row, x.column) for x in res.problems}
    assert got == {(3, "population")}  # '10 450': a space between digit groups is accepted, and said
    assert "converted population: '10 450' → '10450'" in check_file(_write(tmp_path, "p2.csv",
        "kommunkod,year,population\n2026,2024,\"10 450\"\n"), "population").render()
    res = check_file(FIX / "margins_storfors.csv", "margins")
    assert res.ok and "population per year: 2025 2 428" in res.render()
    m = _write(tmp_path, "kommuner.csv", "kommunkod,kommun,lanskod,lan\n1760,Storfors,17,Värmlands län\n")
    assert check_file(m, "municipalities").ok


def test_measures_csv_and_yaml(tmp_path):
    csv_text = ("measure_id,kommunkod,name,focus_area,start,end,target_crime_types,area,indicator,description\n"
                "M1,2181,Belysning,Belysning,2023-01-01,,Rån (inkl. grovt),Centrum,andel otrygga,LED\n"
                "M2,2181,Vakter,Trygghet,2023-05-01,2023-04-01,Trolldom,,,\n")
    p, res = _problem(tmp_path, "measures.csv", csv_text, "measures")
    got = {(x.row, x.column) for x in res.problems}
    assert got == {(3, "end"), (3, "target_crime_types")}
    y = _write(tmp_path, "measures.yaml", "measures:\n  - measure_id: M1\n    kommunkod: '2181'\n"
               "    name: Belysning\n    focus_area: Belysning\n    start: 2023-01-01\n    end:\n"
               "    target_crime_types: [Rån (inkl. grovt)]\n    indicator: x\n"
               "  - measure_id: M2\n    kommunkod: '18'\n    name: Vakter\n    focus_area: T\n"
               "    start: 2023-13-01\n    end:\n    target_crime_types:\n    indicator:\n")
    with pytest.raises(DataError) as err:
        read_measures(y)
    assert {(x.row, x.column) for x in err.value.problems} == {(10, "kommunkod"), (10, "start")}
    assert f"{y}, row 10, column 'kommunkod'" in str(err.value)


def test_check_file_survey_with_catalogue_and_margins():
    res = check_file(FIX / "survey_storfors_cp1252.csv", "survey", items=FIX / "items_storfors.csv",
                     margins=FIX / "margins_storfors.csv", kommunkod="1760")
    text = res.render()
    assert res.ok, text
    assert "respondents per year: 2025 18 in 1 kommun" in text
    assert "encoding 'cp1252'" in text and "decimal comma" in text
    assert "items (3): otrygg_kvall, oro_brottslighet, utsatt_brott" in text
    res = check_file(FIX / "survey_storfors_cp1252.csv", "survey", kommunkod="2181")
    assert not res.ok and len(res.problems) == 18
    assert res.summary().startswith("NOT OK: 18 problems")


def test_check_file_missing_file_and_unknown_kind(tmp_path):
    res = check_file(tmp_path / "nope.csv", "crimes")
    assert not res.ok and "file not found" in res.render()
    with pytest.raises(ValueError, match="unknown kind"):
        check_file(tmp_path / "nope.csv", "weather")


# --------------------------------------------------------------------------- data directory

def _data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "crimes.csv").write_text(_crimes(months=24), encoding="utf-8")
    (d / "population.csv").write_text("kommunkod,year,population\n1760,2024,3800\n2026,2024,10450\n",
                                      encoding="utf-8")
    shutil.copy(FIX / "survey_storfors_cp1252.csv", d / "survey.csv")
    shutil.copy(FIX / "items_storfors.csv", d / "items.csv")
    shutil.copy(FIX / "margins_storfors.csv", d / "margins.csv")
    (d / "DATASET.json").write_text(json.dumps({"synthetic": True, "label": "Syntetiska exempeldata – "
                                                "inte verklig statistik", "seed": 1}), encoding="utf-8")
    return d


def test_load_dataset(tmp_path):
    d = _data_dir(tmp_path)
    ds = load_dataset(d)
    assert ds.synthetic and ds.label == "Syntetiska exempeldata – inte verklig statistik"
    assert len(ds.crimes) == 96 and len(ds.survey) == 18 and ds.measures is None
    assert ds.survey.attrs["items"] == ["otrygg_kvall", "oro_brottslighet", "utsatt_brott"]
    assert set(ds.files) == {"crimes.csv", "population.csv", "survey.csv", "items.csv", "margins.csv",
                             "DATASET.json"}
    assert ds.files["crimes.csv"] == hashlib.sha256((d / "crimes.csv").read_bytes()).hexdigest()
    with pytest.raises(Exception):
        ds.synthetic = False  # frozen
    assert "survey: 18 rows" in ds.summary()


def test_load_dataset_reads_only_the_kinds_asked_for(tmp_path):
    d = _data_dir(tmp_path)
    (d / "incidents.csv").write_text("this file would not validate\n", encoding="utf-8")
    ds = load_dataset(d, kinds=())
    assert ds.survey is None and ds.items is None and ds.margins is None and ds.incidents is None
    assert set(ds.files) == {"crimes.csv", "population.csv", "DATASET.json"}
    ds = load_dataset(d, kinds=["survey"], survey_kommuner={"1760"})  # items, margins with it
    assert len(ds.survey) == 18 and ds.items is not None and ds.margins is not None
    assert "incidents.csv" not in ds.files
    assert len(load_dataset(d, kinds=["survey"], survey_kommuner={"2181"}).survey) == 0
    with pytest.raises(DataError, match="incidents.csv"):
        load_dataset(d)
    with pytest.raises(ValueError, match="unknown data kind"):
        load_dataset(d, kinds=["surveys"])


def test_load_dataset_collects_problems_of_every_file(tmp_path):
    d = _data_dir(tmp_path)
    (d / "crimes.csv").write_text(_crimes().replace("1760,2024-02,Cykelstöld,1", "1760,2024-02,Cykelstöld,-1"),
                                  encoding="utf-8")
    (d / "population.csv").write_text("kommunkod,year,population\n176,2024,3800\n", encoding="utf-8")
    text = (d / "survey.csv").read_bytes().decode("cp1252").replace(";9,75;1;1;1", ";9,75;8;1;1", 1)
    (d / "survey.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(DataError) as err:
        load_dataset(d)
    files = {Path(p.file).name for p in err.value.problems}
    assert files == {"crimes.csv", "population.csv", "survey.csv"}
    where = {(Path(p.file).name, p.row, p.column) for p in err.value.problems}
    assert ("survey.csv", 2, "otrygg_kvall") in where and ("population.csv", 2, "kommunkod") in where


def test_load_dataset_without_dataset_json(tmp_path):
    d = _data_dir(tmp_path)
    (d / "DATASET.json").unlink()
    ds = load_dataset(d)
    assert not ds.synthetic and ds.label == ""
    (d / "planted_truth.json").write_text("{}", encoding="utf-8")
    ds = load_dataset(d)
    assert ds.synthetic and "planted_truth.json" in ds.files
    (d / "crimes.csv").unlink()
    with pytest.raises(FileNotFoundError, match="crimes.csv"):
        load_dataset(d)


def test_load_dataset_reads_the_generated_sample(tmp_path):
    sample = pytest.importorskip("analysis.sample")
    out = tmp_path / "sample"
    sample.write_sample(out, kommuner=("1760", "2026"))
    ds = load_dataset(out)
    assert ds.synthetic and ds.label == "Syntetiska exempeldata – inte verklig statistik"
    assert set(ds.crimes["kommunkod"]) == {"1760", "2026"}
    assert ds.survey is not None and ds.margins is not None and ds.measures is not None
    truth = json.loads((out / "DATASET.json").read_text(encoding="utf-8"))
    for name, digest in truth.get("files", {}).items():
        if name in ds.files:
            assert ds.files[name] == digest


def test_check_labels_files_of_a_synthetic_directory(tmp_path):
    d = _data_dir(tmp_path)
    res = check_file(d / "crimes.csv", "crimes")
    assert res.ok and res.render().splitlines()[1].strip() == "Syntetiska exempeldata – inte verklig statistik"
    (d / "DATASET.json").write_text('{"synthetic": false, "label": "Brå 2024"}', encoding="utf-8")
    assert "Syntetiska" not in check_file(d / "crimes.csv", "crimes").render()
