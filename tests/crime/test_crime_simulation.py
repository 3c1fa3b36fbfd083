"""Small version of benchmarks/crime_simulation.py: coverage of the default 95 % intervals.

300 replicates at 2 and 200 crimes a month (AR(1) 0.3, log-normal overdispersion 0.15): the
defaults must cover close to 95 % (binomial SE 1.3 pp, so 91-99 % is asked here; the full run
in benchmarks/ gives 94-97 %), and the naive Poisson methods must visibly fail at 200/month.
"""

import importlib.util
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parents[2] / "benchmarks" / "crime_simulation.py"
_spec = importlib.util.spec_from_file_location("crime_simulation", _path)
sim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim)


@pytest.fixture(scope="module")
def table():
    return sim.run(levels=(2, 200), reps=300, seed=11, rho=0.3, sigma=0.15)


def _cov(table, target, method, level):
    row = table[(table.target == target) & (table.method == method) & (table.level == level)]
    return float(row.coverage.iloc[0]), float(row.bias.iloc[0])


@pytest.mark.parametrize("level", [2, 200])
def test_default_period_comparison_covers(table, level):
    cov, bias = _cov(table, "period comparison", "block", level)
    assert 0.91 <= cov <= 0.99
    assert abs(bias) < 0.05


@pytest.mark.parametrize("level", [2, 200])
def test_default_apc_covers(table, level):
    cov, bias = _cov(table, "APC", "poisson/block", level)
    assert 0.91 <= cov <= 0.99
    assert abs(bias) < 0.005


def test_naive_poisson_methods_fail_with_many_crimes(table):
    assert _cov(table, "period comparison", "exact", 200)[0] < 0.7
    assert _cov(table, "APC", "poisson/model", 200)[0] < 0.75
