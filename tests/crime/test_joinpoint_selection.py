"""The number of joinpoints by the permutation test (Kim et al. 2000), the default (issue 15.7).

A small version of benchmarks/joinpoint_simulation.py (which gives the size and power table of
docs/crime-statistics.md), plus the mechanics of the test.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from analysis.crime import joinpoints
from analysis.crime.joinpoint_test import block_permutations, grid_combinations

from .conftest import series_panel

_path = Path(__file__).resolve().parents[2] / "benchmarks" / "joinpoint_simulation.py"
_spec = importlib.util.spec_from_file_location("joinpoint_simulation", _path)
sim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim)
RULE = ("permutation, years",)  # the default of joinpoints()


def test_block_permutations_move_whole_years():
    p = block_permutations(30, 12, 50, np.random.default_rng(3))
    assert p.shape == (50, 30) and (np.sort(p, axis=1) == np.arange(30)).all()
    for row in p:  # the 6-month start and the two years each stay in one piece, in order
        where = np.argsort(row)
        for block in (range(0, 6), range(6, 18), range(18, 30)):
            assert (np.diff(where[list(block)]) == 1).all()
    orders = {tuple(row[[0, 6, 18]]) for row in p}
    assert len(orders) == 6  # all 3! orders of the blocks occur


def test_grid_keeps_segments_of_min_segment_months():
    c = grid_combinations(132, 2, 24)
    assert c.min() == 23 and c.max() == 107 and (np.diff(c, axis=1) >= 24).all()


def test_few_false_joinpoints_on_straight_autocorrelated_series():
    rng = np.random.default_rng(7)
    picks = []
    for r in range(20):
        y, off = sim.simulate(20, shape="none", noise="overdispersed", rng=rng)
        picks.append(sim.choose(y, off, n_permutations=99, seed=r, rules=RULE))
    years = sum(p["permutation, years"] > 0 for p in picks)
    assert years <= 3  # nominal 5 %; P(>= 4 of 20 | 5 %) = 1.6 %


def test_planted_change_of_direction_is_found():
    rng = np.random.default_rng(8)
    found = [sim.choose(*sim.simulate(100, shape="one", noise="overdispersed", rng=rng),
                        n_permutations=99, seed=r, rules=RULE)["permutation, years"]
             for r in range(10)]
    assert sum(k >= 1 for k in found) >= 9


@pytest.fixture(scope="module")
def joint2i():
    panel, _ = series_panel("joint2i")
    return panel, joinpoints(panel, max_joinpoints=2, se="model", n_permutations=199)


def test_permutation_is_the_default_and_bic_an_option(joint2i):
    panel, jp = joint2i
    assert jp.settings["selection"] == "permutation" and "permutation test" in jp.table.method[0]
    t = jp.tests
    assert list(t.columns) == ["k_null", "k_alt", "statistic", "p_value", "level", "rejected",
                               "n_permutations"]
    assert (t.k_null.iloc[0], t.k_alt.iloc[0], t.level.iloc[0]) == (0, 2, 0.025)
    assert jp.n_joinpoints == t.k_null.iloc[-1] + t.rejected.iloc[-1]
    bic = joinpoints(panel, max_joinpoints=2, selection="bic")
    assert bic.tests.empty and "QBIC" in bic.table.method[0]
    with pytest.raises(ValueError, match="selection"):
        joinpoints(panel, selection="aic")


def test_selected_model_is_the_segmented_fit(golden, joint2i):
    """joint2i has two planted joinpoints: the tests keep both (0 vs 2 and 1 vs 2 rejected),
    and the selected model is R segmented's fit with K = 2 (the permutation test itself has no
    R counterpart: segmented's davies.test and pscore.test test a single change in slope
    against none, with a different statistic)."""
    _, jp = joint2i
    assert jp.n_joinpoints == 2 and jp.tests.rejected.all()
    for j in range(2):
        assert jp.joinpoints["location_years_centered"].iloc[j] == pytest.approx(
            golden("segmented", "joint2i", f"psi:{j + 1}"), rel=1e-6)
    for j in range(3):
        assert jp.table["log_slope"].iloc[j] == pytest.approx(
            golden("segmented", "joint2i", f"slope:{j + 1}"), rel=1e-6)
