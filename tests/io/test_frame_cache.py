"""The per-user frame cache: what reads back equals what was read, and nothing else is used."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io import frame_cache
from analysis.io.frame_cache import read_tidy_cached
from analysis.io.tidy import read_tidy


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LAGESBILD_CACHE_DIR", str(folder))
    return folder / "frames"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from analysis.sample import write_sample

    out = tmp_path_factory.mktemp("fc") / "data"
    write_sample(out, kommuner=["1760", "1761"])
    return out


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.dtypes.astype(str)) == list(b.dtypes.astype(str))
    assert list(a.attrs) == list(b.attrs)
    for k in b.attrs:
        assert a.attrs[k] == b.attrs[k], k


def _no_reading(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the file was read although the cache holds it")
    monkeypatch.setattr(frame_cache, "read_tidy", refuse)


@pytest.mark.parametrize("kind", ["crimes", "population"])
def test_a_cached_table_equals_the_file_read_and_checked(sample, cache, monkeypatch, kind):
    path = sample / f"{kind}.csv"
    fresh = read_tidy(path, kind)
    first = read_tidy_cached(path, kind)
    _same(first, fresh)
    _no_reading(monkeypatch)
    again = read_tidy_cached(str(path), kind)
    _same(again, fresh)
    assert again.attrs["source"] == str(path)


def test_load_dataset_reads_the_crimes_once_per_user(sample, cache, monkeypatch):
    from analysis.io import load_dataset

    monkeypatch.setenv("LAGESBILD_CACHE_DIR", "off")
    plain = load_dataset(sample, kinds=("measures",))
    monkeypatch.setenv("LAGESBILD_CACHE_DIR", str(cache.parent))
    load_dataset(sample, kinds=("measures",))
    _no_reading(monkeypatch)
    cached = load_dataset(sample, kinds=("measures",))
    for name in ("crimes", "population", "measures"):
        _same(getattr(cached, name), getattr(plain, name))
    assert cached.files == plain.files
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["crimes", "population"]


def test_gaps_text_missing_values_and_masks_read_back(tmp_path, cache, monkeypatch):
    path = tmp_path / "crimes.csv"
    path.write_text("kommunkod,period,crime_type,count,status\n"
                    "1760,2024-01,Bilbrott,3,slutlig\n1760,2024-03,Bilbrott,4,slutlig\n"
                    "1760,2024-04,Bilbrott,0,preliminär\n", encoding="utf-8")
    fresh = read_tidy(path, "crimes", allow_gaps=True)
    assert fresh.attrs["gaps"]
    read_tidy_cached(path, "crimes", allow_gaps=True)
    _no_reading(monkeypatch)
    _same(read_tidy_cached(path, "crimes", allow_gaps=True), fresh)
    # other options are another key: the gap is an error there, reported by reading
    monkeypatch.undo()
    monkeypatch.setenv("LAGESBILD_CACHE_DIR", str(cache.parent))
    with pytest.raises(DataError):
        read_tidy_cached(path, "crimes", allow_gaps=False)

    frame = pd.DataFrame({"a": pd.array(["x", None, "y", "x"], dtype="str"),
                          "b": pd.array([1, None, 3, 4], dtype="Int64"),
                          "c": pd.period_range("2020-01", periods=4, freq="M"),
                          "d": [0.5, np.nan, 2.0, 3.0], "e": [True, False, True, True]})
    manifest, arrays = frame_cache._encode(frame)
    back = frame_cache._decode(manifest, arrays, "x.csv")
    pd.testing.assert_frame_equal(back, frame, check_exact=True)


def test_a_changed_file_is_read_again(sample, cache, tmp_path):
    path = tmp_path / "population.csv"
    path.write_bytes((sample / "population.csv").read_bytes())
    before = read_tidy_cached(path, "population")
    text = path.read_text(encoding="utf-8").splitlines()
    head, first = text[0], text[1].split(",")
    first[2] = str(int(first[2]) + 1)
    path.write_text("\n".join([head, ",".join(first), *text[2:]]) + "\n", encoding="utf-8")
    after = read_tidy_cached(path, "population")
    assert after["population"].iloc[0] == before["population"].iloc[0] + 1
    _same(after, read_tidy(path, "population"))


def test_a_file_with_problems_raises_every_time_and_stores_nothing(tmp_path, cache):
    path = tmp_path / "population.csv"
    path.write_text("kommunkod,year,population\n9999,2025,12\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DataError, match="9999"):
            read_tidy_cached(path, "population")
    assert not cache.exists() or not any(cache.iterdir())


def _entry(cache: Path, kind: str) -> Path:
    (entry,) = [p for p in cache.iterdir() if p.name.startswith(kind + "-")]
    return entry


def test_an_edited_or_broken_entry_is_never_used(sample, cache):
    path = sample / "population.csv"
    fresh = read_tidy(path, "population")
    read_tidy_cached(path, "population")
    entry = _entry(cache, "population")
    # an array changed after it was stored: its hash no longer matches
    codes = np.load(entry / "c0.npy")
    np.save(entry / "c0.npy", codes[::-1].copy(), allow_pickle=False)
    _same(read_tidy_cached(path, "population"), fresh)
    # an array that would need pickle to load, with a matching hash in the manifest
    entry = _entry(cache, "population")
    import hashlib
    import io
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}] * len(fresh), dtype=object), allow_pickle=True)
    (entry / "c0.npy").write_bytes(buf.getvalue())
    manifest = json.loads((entry / "manifest.json").read_text())
    manifest["arrays"]["c0.npy"] = hashlib.sha256(buf.getvalue()).hexdigest()
    (entry / "manifest.json").write_text(json.dumps(manifest))
    _same(read_tidy_cached(path, "population"), fresh)
    # a manifest that is not JSON, or names a file outside the entry
    entry = _entry(cache, "population")
    (entry / "manifest.json").write_text("{not json")
    _same(read_tidy_cached(path, "population"), fresh)
    entry = _entry(cache, "population")
    manifest = json.loads((entry / "manifest.json").read_text())
    manifest["arrays"]["../../x.npy"] = "0" * 64
    (entry / "manifest.json").write_text(json.dumps(manifest))
    _same(read_tidy_cached(path, "population"), fresh)
    assert len(list(cache.iterdir())) == 1


def test_the_folder_is_private_and_other_users_folders_are_not_used(sample, cache, monkeypatch):
    read_tidy_cached(sample / "population.csv", "population")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    monkeypatch.setattr(frame_cache, "private_dir", lambda path: None)  # owned by another user
    monkeypatch.setattr(frame_cache, "_read_frame", lambda *a, **k: pytest.fail("read"))
    _same(read_tidy_cached(sample / "population.csv", "population"),
          read_tidy(sample / "population.csv", "population"))


@pytest.mark.parametrize("setting", ["off", "0", ""])
def test_the_cache_can_be_turned_off(sample, tmp_path, monkeypatch, setting):
    monkeypatch.setenv("LAGESBILD_CACHE_DIR", setting)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    read_tidy_cached(sample / "population.csv", "population")
    assert frame_cache.frame_cache_dir() is None
    assert list(tmp_path.iterdir()) == []


def test_only_aggregate_kinds_are_cached(sample, cache):
    read_tidy_cached(sample / "margins.csv", "margins")
    assert not cache.exists() or not any(cache.iterdir())


def test_the_least_recently_used_entries_go_first(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(frame_cache, "MAX_ENTRIES", 2)
    paths = []
    for i in range(3):
        p = tmp_path / f"population{i}.csv"
        p.write_text(f"kommunkod,year,population\n1760,2025,{3777 + i}\n", encoding="utf-8")
        paths.append(p)
    read_tidy_cached(paths[0], "population")
    read_tidy_cached(paths[1], "population")
    first = _entry_for(cache, paths[0])
    os.utime(first, (1, 1))  # as if last used long ago
    read_tidy_cached(paths[2], "population")
    assert len(list(cache.iterdir())) == 2
    assert not first.exists()


def _entry_for(cache: Path, path: Path) -> Path:
    before = {p.name for p in cache.iterdir()}
    for p in cache.iterdir():
        manifest = json.loads((p / "manifest.json").read_text())
        if manifest["rows"] == 1 and p.name in before:
            frame = frame_cache._read_frame(p, source=str(path))
            if frame["population"].iloc[0] == int(path.read_text().split(",")[-1]):
                return p
    raise AssertionError("no entry")
