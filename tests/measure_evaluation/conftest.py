"""Shared fixtures: the R reference values and a small sample world (37 kommuner)."""

import json
from pathlib import Path

import pytest

REF = Path(__file__).resolve().parents[1] / "reference" / "evaluation"
#: Gävleborg, Värmland and Blekinge in full, plus part of Dalarna: the four sample kommuner,
#: their län neighbours (comparisons, displacement) and more than 19 donors per crime type.
SUBSET = ("1060", "1080", "1081", "1082", "1083", "1715", "1730", "1737", "1760", "1761", "1762",
          "1763", "1764", "1765", "1766", "1780", "1781", "1782", "1783", "1784", "1785", "2021",
          "2023", "2026", "2029", "2031", "2034", "2101", "2104", "2121", "2132", "2161", "2180",
          "2181", "2182", "2183", "2184")


@pytest.fixture(scope="session")
def reference():
    return json.loads((REF / "reference.json").read_text())


@pytest.fixture(scope="session")
def sample_world():
    from analysis.sample import generate

    return generate(kommuner=SUBSET)
