"""load_measure_data: one measure's evaluation reads only its data, with the same results."""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from analysis.evaluation import (evaluate_measure, indicator_effects, indicator_followup,
                                 load_measure_data)
from analysis.io import load_dataset


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from analysis.sample import write_sample

    out = tmp_path_factory.mktemp("data") / "sample"
    write_sample(out, kommuner=["2181", "2180", "1760"])  # two in Gävleborgs län, one not
    return out


@pytest.mark.parametrize("measure_id", ["M2181-01", "M2181-02"])  # without and with an area
def test_same_results_as_the_whole_folder(folder, measure_id):
    whole, part = load_dataset(folder), load_measure_data(folder, measure_id)
    assert set(part.survey["kommunkod"]) == {"2180", "2181"}  # the län, not Storfors
    assert part.incidents is None and "incidents.csv" not in part.files
    assert part.files["crimes.csv"] == whole.files["crimes.csv"]
    for f in (indicator_followup, indicator_effects):
        got, expected = f(part, measure_id), f(whole, measure_id)
        assert not expected.empty
        assert got.equals(expected)
    a, b = evaluate_measure(part, measure_id), evaluate_measure(whole, measure_id)
    assert a.table.equals(b.table)
    if a.verdict is not None:
        assert (a.verdict.verdict, a.verdict.rate_ratio) == (b.verdict.verdict, b.verdict.rate_ratio)
        assert a.verdict.checks.equals(b.verdict.checks)


def test_no_survey_read_without_a_survey_indicator(folder):
    part = load_measure_data(folder, "M1760-01")  # names otrygg_kvall: Storfors' län only
    assert set(part.survey["kommunkod"]) == {"1760"}
    (folder / "measures2").mkdir()
    text = (folder / "measures.csv").read_text(encoding="utf-8").replace("; otrygg_kvall", "")
    (folder / "measures2" / "measures.csv").write_text(text, encoding="utf-8")
    for name in ("crimes.csv", "population.csv", "survey.csv", "items.csv", "margins.csv"):
        (folder / "measures2" / name).symlink_to(folder / name)
    part = load_measure_data(folder / "measures2", "M1760-01")
    assert part.survey is None and part.items is None and "survey.csv" not in part.files


def test_unknown_measure_is_a_data_error(folder):
    with pytest.raises(DataError, match="not in the registry"):
        load_measure_data(folder, "M9999-01")
