"""Shared fixtures: the R reference values and a small sample world (37 kommuner)."""

import json
from pathlib import Path

import pytest

REF = Path(__file__).resolve().parents[1] / "reference" / "evaluation"


@pytest.fixture(scope="session")
def reference():
    return json.loads((REF / "reference.json").read_text())
