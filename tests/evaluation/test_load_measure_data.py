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


def test_crimes_are_read_once_per_process_for_every_measure(folder, monkeypatch):
    import analysis.io.dataset as dataset

    reads = []
    real = dataset.load_dataset
    monkeypatch.setattr(dataset, "_MEMO", {})
    monkeypatch.setattr(dataset, "load_dataset",
                        lambda d, **kw: reads.append(kw.get("kinds")) or real(d, **kw))
    first = load_measure_data(folder, "M2181-01")
    second = load_measure_data(folder, "M1760-01")  # another län: its own survey
    assert reads == [("measures",)]
    assert set(first.survey["kommunkod"]) == {"2180", "2181"}
    assert set(second.survey["kommunkod"]) == {"1760"}
    assert second.crimes.equals(first.crimes) and second.crimes is not first.crimes


def test_without_the_survey_only_crimes_population_and_registry(folder):
    full = load_measure_data(folder, "M2181-01")
    part = load_measure_data(folder, "M2181-01", survey=False)
    assert full.survey is not None  # the measure names indicators: read by default
    assert (part.survey, part.items, part.margins) == (None, None, None)
    assert {"survey.csv", "items.csv", "margins.csv"}.isdisjoint(part.files)
    for name in ("crimes", "population", "measures"):
        assert getattr(part, name).equals(getattr(full, name))
    assert evaluate_measure(part, "M2181-01").table.equals(
        evaluate_measure(full, "M2181-01").table)


@pytest.fixture
def bad_copy(folder, tmp_path):
    """The folder with a problem in crimes.csv and one in the survey rows of kommun 2181."""
    import shutil

    copy = tmp_path / "bad"
    shutil.copytree(folder, copy, symlinks=False, ignore=shutil.ignore_patterns("measures2"))
    crimes = (copy / "crimes.csv").read_text(encoding="utf-8").splitlines()
    crimes[1] = crimes[1].replace(crimes[1].split(",")[0], "99999", 1)
    (copy / "crimes.csv").write_text("\n".join(crimes) + "\n", encoding="utf-8")
    survey = (copy / "survey.csv").read_text(encoding="utf-8").splitlines()
    cols = survey[0].split(",")
    at = next(i for i, line in enumerate(survey) if line.split(",")[1] == "2181")
    row = survey[at].split(",")
    row[cols.index("design_weight")] = "-1"
    survey[at] = ",".join(row)
    (copy / "survey.csv").write_text("\n".join(survey) + "\n", encoding="utf-8")
    return copy


@pytest.mark.parametrize("survey", [True, False])
def test_problems_of_crimes_and_survey_are_reported_together(bad_copy, survey):
    with pytest.raises(DataError) as err:  # survey=False too: the draft says everything at once
        load_measure_data(bad_copy, "M2181-02", survey=survey)
    files = {p.file.rsplit("/", 1)[-1] for p in err.value.problems}
    assert {"crimes.csv", "survey.csv"} <= files
