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
