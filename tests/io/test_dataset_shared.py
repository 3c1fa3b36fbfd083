"""load_dataset_shared: a data folder read once per process, again when a file changes."""

import os
import shutil

import pandas as pd

import pytest

import analysis.io.dataset as dataset
from analysis.errors import DataError
from analysis.io import load_dataset, load_dataset_shared


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from analysis.sample import write_sample

    out = tmp_path_factory.mktemp("shared") / "data"
    write_sample(out, kommuner=["1760", "1761"])
    return out


@pytest.fixture
def reads(monkeypatch):
    calls = []
    real = dataset.load_dataset
    monkeypatch.setattr(dataset, "load_dataset",
                        lambda d, **kw: calls.append(d) or real(d, **kw))
    monkeypatch.setattr(dataset, "_MEMO", {})
    return calls


def _touch(path, content=None):
    if content is not None:
        path.write_bytes(content)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_second_load_reads_nothing_and_equals_a_fresh_read(folder, reads):
    a = load_dataset_shared(folder)
    b = load_dataset_shared(str(folder))
    assert len(reads) == 1
    fresh = load_dataset(folder)
    for name in ("crimes", "population", "survey", "items", "margins", "measures", "incidents"):
        assert getattr(b, name).equals(getattr(fresh, name)), name
    assert b.files == fresh.files and b.synthetic == fresh.synthetic and b.label == fresh.label
    assert a.crimes is not b.crimes


def test_a_changed_file_is_read_again(folder, tmp_path, reads):
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(folder, copy)
    before = load_dataset_shared(copy)
    path = copy / "population.csv"
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[1]
    code, year, pop = first.split(",")[:3]
    changed = text.replace(first, ",".join([code, year, str(int(pop) + 1)] + first.split(",")[3:]), 1)
    _touch(path, changed.encode("utf-8"))
    after = load_dataset_shared(copy)
    assert len(reads) == 2
    assert int(after.population["population"].sum()) == int(before.population["population"].sum()) + 1
    assert after.files["population.csv"] != before.files["population.csv"]
    load_dataset_shared(copy)
    assert len(reads) == 2  # remembered again


def test_a_file_added_or_only_touched_means_a_new_read(folder, tmp_path, reads):
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(folder, copy)
    load_dataset_shared(copy)
    _touch(copy / "crimes.csv")
    load_dataset_shared(copy)
    (copy / "incidents.csv").unlink()
    assert load_dataset_shared(copy).incidents is None
    assert len(reads) == 3


def test_callers_cannot_change_each_others_data(folder, reads):
    a = load_dataset_shared(folder)
    total = int(a.crimes["count"].sum())
    a.crimes.loc[a.crimes.index[0], "count"] = 10**6
    a.crimes["extra"] = 1
    a.info["label"] = "changed"
    b = load_dataset_shared(folder)
    assert int(b.crimes["count"].sum()) == total and "extra" not in b.crimes
    assert b.info.get("label") != "changed"
    assert len(reads) == 1


def test_a_failing_folder_is_not_remembered(folder, tmp_path, reads):
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(folder, copy)
    good = (copy / "crimes.csv").read_bytes()
    (copy / "crimes.csv").write_text("kommunkod,period,crime_type,count\n1760,2024-13,Rån,x\n",
                                     encoding="utf-8")
    with pytest.raises(DataError):
        load_dataset_shared(copy)
    _touch(copy / "crimes.csv", good)
    assert len(load_dataset_shared(copy).crimes) > 0
    assert len(reads) == 2
    with pytest.raises(FileNotFoundError):
        load_dataset_shared(tmp_path / "missing")


def test_make_context_uses_the_memo(folder, reads):
    from analysis.report.context import make_context

    a = make_context(folder, "1760")
    b = make_context(folder, "1761")
    assert len(reads) == 1 and a.dataset.crimes.equals(b.dataset.crimes)


def test_each_choice_of_kinds_is_remembered_on_its_own(folder, reads):
    part = load_dataset_shared(folder, kinds=("measures",))
    assert part.survey is None and part.incidents is None and part.measures is not None
    again = load_dataset_shared(folder, kinds=["measures"])  # same kinds, any collection
    whole = load_dataset_shared(folder)
    assert len(reads) == 2
    assert again.crimes.equals(part.crimes) and whole.survey is not None
    assert set(part.files) < set(whole.files)


def test_with_survey_equals_reading_the_survey_with_everything_else(folder):
    from analysis.io import with_survey

    direct = load_dataset(folder, kinds=("measures", "survey"), survey_kommuner={"1760"})
    later = with_survey(load_dataset(folder, kinds=("measures",)), survey_kommuner={"1760"})
    for name in ("survey", "items", "margins", "crimes", "population", "measures"):
        pd.testing.assert_frame_equal(getattr(later, name), getattr(direct, name))
    assert later.files == direct.files
    assert set(later.survey["kommunkod"]) == {"1760"}


def test_with_survey_reports_the_survey_problems(folder, tmp_path):
    from analysis.errors import DataError
    from analysis.io import with_survey

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    lines = (copy / "survey.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("kommunkod")] = "9999"
    (copy / "survey.csv").write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n",
                                     encoding="utf-8")
    base = load_dataset(copy, kinds=("measures",))
    with pytest.raises(DataError, match="row 2.*kommunkod"):
        with_survey(base)
