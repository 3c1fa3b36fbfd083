"""Shared fixtures: the full synthetic sample, written once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def full_sample(tmp_path_factory):
    """The default sample for all 290 kommuner (what `lagesbild sample` writes)."""
    from analysis.sample import write_sample

    out = tmp_path_factory.mktemp("sample") / "sample"
    write_sample(out)
    return out
