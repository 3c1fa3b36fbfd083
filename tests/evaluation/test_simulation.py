"""Coverage simulation, small version (the full one: benchmarks/evaluation_simulation.py)."""

import numpy as np
import pandas as pd
import pytest

from analysis.evaluation.simulation import (DEFAULT_METHOD, SCENARIOS, coverage_study,
                                                    simulate_panel)

FAST = ("naive_before_after", "its_poisson", "its_quasipoisson", DEFAULT_METHOD)


def test_default_holds_where_naive_and_poisson_fail():
    res = coverage_study("large", n_rep=60, seed=11, methods=FAST).set_index("method")
    assert res.at[DEFAULT_METHOD, "coverage"] >= 0.88
    assert res.at["its_poisson", "coverage"] < 0.8
    assert res.at["naive_before_after", "coverage"] < res.at[DEFAULT_METHOD, "coverage"]
    assert abs(res.at[DEFAULT_METHOD, "bias"]) < 0.03
    assert res.at[DEFAULT_METHOD, "reliable_share"] == 1.0


def test_default_holds_at_small_counts():
    res = coverage_study("small", n_rep=60, seed=12, methods=FAST).set_index("method")
    assert res.at[DEFAULT_METHOD, "coverage"] >= 0.88


def test_too_few_donors_is_flagged_not_trusted():
    res = coverage_study("large_few_donors", n_rep=5, seed=3, methods=(DEFAULT_METHOD,))
    assert res.at[0, "reliable_share"] == 0.0


def test_simulated_world_matches_its_description():
    sc = SCENARIOS["large"]
    y, pop = simulate_panel(sc, np.random.default_rng(0))
    assert y.shape == (sc.n_units, sc.n_months)
    pre, post = y[0, :sc.start].mean(), y[0, sc.start:].mean()
    assert 80 < pre < 125 and post < pre
    donors = y[1:, :sc.start].mean(1)
    assert donors.min() > 1 and donors.max() < 260


@pytest.mark.parametrize("scenario, seed", [("large", 9), ("volatile_treated", 3)])
def test_simulation_default_is_what_fit_its_does(scenario, seed):
    """The simulated default and fit_its's default give the same interval (independent routes:
    batched arrays there, frames and donor selection here), the volatility check included."""
    from analysis.evaluation import fit_its
    from analysis.evaluation.simulation import _run

    sc = SCENARIOS[scenario]
    y, pop = simulate_panel(sc, np.random.default_rng(seed))
    per = pd.period_range("2015-01", periods=sc.n_months, freq="M")
    frame = pd.DataFrame({"kommunkod": np.repeat([f"{i:04d}" for i in range(sc.n_units)], sc.n_months),
                          "period": np.tile(per, sc.n_units), "count": y.ravel(),
                          "population": pop.ravel()})
    treated = frame.loc[frame["kommunkod"] == "0000"]
    res = fit_its(treated, start=per[sc.start], donors=frame.loc[frame["kommunkod"] != "0000"])
    assert res.inference == "placebo" and res.se_method == "model" and res.reliable
    row = res.table.set_index("variable").loc["level_change"]
    est, covered, width, _, flag = _run(y, pop, sc, (DEFAULT_METHOD,), np.log(0.8))[DEFAULT_METHOD]
    assert flag == res.volatility.out_of_line
    if scenario == "volatile_treated":  # this seed: the treated kommun is out of line, widened
        assert res.volatility.out_of_line and res.volatility.widening > 2
    assert np.log(row["estimate"]) == pytest.approx(est, rel=1e-8)
    assert np.log(row["ci_high"] / row["ci_low"]) == pytest.approx(width, rel=1e-8)
    assert covered == (row["ci_low"] <= 0.8 <= row["ci_high"])
