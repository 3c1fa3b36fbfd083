"""The batch cache: aggregates as JSON with a content hash, owner-only, never code."""

from __future__ import annotations

import json
import os
import pickle
import stat
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from analysis.cache import (CacheEntryError, decode_value, encode_value,
                                  shared_artifact)
from analysis.crime.funnel import FunnelResult


def _frame():
    return pd.DataFrame({
        "area_code": pd.Series(["0114", "1760", None], dtype="str"),
        "period": pd.PeriodIndex(["2024-01", "2024-02", None], freq="M"),
        "estimate": [1.0 / 3.0, float("nan"), float("inf")],
        "count": np.array([1, 2, 3], dtype="int64"),
        "small": [True, False, True],
        "label": pd.Series(["a", "b", "a"], dtype="category"),
    })


def test_frames_round_trip_exactly():
    df = _frame()
    back = decode_value(json.loads(json.dumps(encode_value(df), allow_nan=False)))
    expected = df.assign(label=df["label"].astype("str"))
    pd.testing.assert_frame_equal(back, expected)
    assert back["estimate"].iloc[0] == 1.0 / 3.0  # no digits lost


def test_dataclasses_only_when_allowed():
    f = FunnelResult(_frame(), pd.DataFrame({"x": [1.0]}), 12.5, {"phi": 1.5},
                     {"levels": (0.95, 0.998), "peers": "riket"})
    data = json.loads(json.dumps(encode_value(f, types=(FunnelResult,))))
    back = decode_value(data, types=(FunnelResult,))
    assert back.settings == f.settings and back.target == 12.5
    with pytest.raises(CacheEntryError, match="not expected here"):
        decode_value(data)  # a type the caller did not name is never built
    with pytest.raises(TypeError):
        encode_value(f)


@dataclass(frozen=True)
class _Dataset:
    survey: pd.DataFrame


@pytest.mark.parametrize("value, message", [
    (_Dataset(pd.DataFrame({"x": [1]})), "cannot be cached"),
    (pd.DataFrame({"respondent_id": ["R00001"], "otrygg": [1]}), "respondent-level"),
    ({"f": lambda: 1}, "cannot be cached"),
    (pd.DataFrame({"x": [1]}, index=[5]), "default index"),
])
def test_the_cache_refuses_objects_and_microdata(value, message, tmp_path):
    with pytest.raises(TypeError, match=message):
        shared_artifact("x", lambda: value, cache_dir=tmp_path / "c")


def _entry(cache_dir):
    (path,) = [p for p in cache_dir.iterdir() if p.name.startswith("national-")]
    return path


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


@pytest.mark.parametrize("tamper", ["pickle", "truncate", "edit", "others_can_read",
                                    "foreign_format", "symlink"])
def test_corrupt_or_foreign_entries_are_recomputed_never_loaded(tamper, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    calls = []

    def compute():
        calls.append(1)
        return {"rates": pd.DataFrame({"rate": [12.5]}), "n": len(calls)}

    first = shared_artifact("national", compute, cache_dir=cache, key=1)
    path = _entry(cache)
    raw = path.read_bytes()
    if tamper == "pickle":
        path.write_bytes(pickle.dumps(_Boom()))
    elif tamper == "truncate":
        path.write_bytes(raw[:len(raw) // 2])
    elif tamper == "edit":
        path.write_bytes(raw.replace(b"12.5", b"99.5"))
    elif tamper == "others_can_read":
        os.chmod(path, 0o644)
    elif tamper == "foreign_format":
        path.write_bytes(b'{"format": "other"}\n{}')
    elif tamper == "symlink":
        other = tmp_path / "elsewhere.json"
        other.write_bytes(raw)
        path.unlink()
        path.symlink_to(other)
    again = shared_artifact("national", compute, cache_dir=cache, key=1)
    assert len(calls) == 2 and again["n"] == 2  # recomputed
    assert first["rates"].equals(again["rates"])
    assert not (tmp_path / "pwned").exists()
    assert stat.S_IMODE(_entry(cache).stat().st_mode) == 0o600
    assert shared_artifact("national", compute, cache_dir=cache, key=1)["n"] == 2


def test_the_cache_folder_and_files_are_owner_only(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o755)
    shared_artifact("national", lambda: {"x": 1.0}, cache_dir=cache, data_files=[tmp_path],
                    key=1)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    for p in cache.iterdir():
        if p.stat().st_size:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
        assert not p.name.endswith(".pkl")


def test_missing_values_of_every_stored_dtype_are_encoded_as_none():
    import numpy as np
    import pandas as pd

    from analysis.cache import encode_value

    odd = pd.DataFrame({
        "p": pd.PeriodIndex(["2024-01", None, "2024-03"], freq="M"),
        "s": pd.Series(["a", None, "c"], dtype="str"),
        "i": pd.Series([1, None, 3], dtype="Int64"),
        "b": pd.Series([True, None, False], dtype="boolean"),
        "n": np.array([1, 2, 3]),
    })
    cols = {c["name"]: c["values"] for c in encode_value(odd)["__frame__"]["columns"]}
    assert cols == {"p": ["2024-01", None, "2024-03"], "s": ["a", None, "c"],
                    "i": [1, None, 3], "b": [True, None, False], "n": [1, 2, 3]}
    assert all(type(v) is int for v in cols["n"])  # plain JSON numbers, not numpy scalars
