"""Shared fixtures of the survey tests: the api data of R survey and the safety survey."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REF = Path(__file__).parents[1] / "reference" / "survey"


@lru_cache(maxsize=None)
def api(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{name}.csv")


@lru_cache(maxsize=None)
def safety_frame() -> pd.DataFrame:
    frame = pd.read_csv(REF / "safety_survey.csv", dtype={"kommunkod": str, "psu": str})
    frame["yearf"] = frame["year"].astype(str)
    return frame


@lru_cache(maxsize=None)
def safety_margins() -> pd.DataFrame:
    m = pd.read_csv(REF / "safety_margins.csv", dtype={"kommunkod": str})
    m["yearf"] = m["year"].astype(str)
    return m


@lru_cache(maxsize=None)
def golden() -> pd.DataFrame:
    g = pd.read_csv(REF / "golden.csv", dtype={"case": str, "key": str, "level": str, "field": str},
                    keep_default_na=False, na_values={"value": ["NA"]})
    return g


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)
