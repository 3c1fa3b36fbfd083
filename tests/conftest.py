"""Shared fixtures: the full synthetic sample, written once per test session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

# The per-user frame cache (analysis.io.frame_cache) of this test process, and of every
# command it starts: never the user's own ~/.cache, removed at the end.
_FRAME_CACHE = tempfile.mkdtemp(prefix="lagesbild-test-cache-")
os.environ["LAGESBILD_CACHE_DIR"] = _FRAME_CACHE
atexit.register(shutil.rmtree, _FRAME_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def full_sample(tmp_path_factory):
    """The default sample for all 290 kommuner (what `lagesbild sample` writes)."""
    from analysis.sample import write_sample

    out = tmp_path_factory.mktemp("sample") / "sample"
    write_sample(out)
    return out


#: Gävleborg, Värmland and Blekinge in full, plus part of Dalarna: the four sample kommuner,
#: their län neighbours (comparisons, displacement) and more than 19 donors per crime type.
SUBSET = ("1060", "1080", "1081", "1082", "1083", "1715", "1730", "1737", "1760", "1761", "1762",
          "1763", "1764", "1765", "1766", "1780", "1781", "1782", "1783", "1784", "1785", "2021",
          "2023", "2026", "2029", "2031", "2034", "2101", "2104", "2121", "2132", "2161", "2180",
          "2181", "2182", "2183", "2184")


@pytest.fixture(scope="session")
def sample_subset():
    """The kommun codes of the small sample world."""
    return SUBSET


@pytest.fixture(scope="session")
def sample_world():
    from analysis.sample import generate

    return generate(kommuner=SUBSET)


#: Report notebooks used as test fixtures run with parameters the tests give them; importing
#: them as modules (doctest collection) would run them without.
collect_ignore_glob = ["fixtures/notebooks/*.py"]
