"""BH q-values, small-number rules and verdict categories."""

import numpy as np
import pandas as pd
import pytest

from analysis.multiplicity import add_qvalues, bh_qvalues
from analysis.verdicts import (NO_CHANGE, add_verdicts, percent_change, small_number_rule,
                               verdicts)


def test_bh_by_its_definition():
    rng = np.random.default_rng(2)
    p = rng.uniform(size=40) ** 2
    q = bh_qvalues(p)
    m = p.size
    order = np.argsort(p)
    want = np.empty(m)
    for rank, i in enumerate(order, start=1):  # q_(i) = min_{j >= i} m p_(j) / j
        want[i] = min(1.0, min(m * p[order[j - 1]] / j for j in range(rank, m + 1)))
    np.testing.assert_allclose(q, want, rtol=1e-12)
    assert (q >= p).all()
    assert np.isnan(bh_qvalues([0.1, np.nan])[1])
    with pytest.raises(ValueError):
        bh_qvalues([1.5])


def test_add_qvalues_families():
    df = pd.DataFrame({"area": ["a"] * 3 + ["b"] * 3, "p_value": [0.01, 0.02, 0.9, 0.01, 0.5, np.nan]})
    one = add_qvalues(df)
    two = add_qvalues(df, by=["area"])
    assert one.n_tests.iloc[0] == 5 and two.n_tests.iloc[0] == 3 and two.n_tests.iloc[3] == 2
    assert two.q_value.iloc[0] == pytest.approx(0.03)
    assert not two.survives.iloc[5]


def test_small_number_rule_and_percent_change():
    r = small_number_rule([0, 9, 10, np.nan], threshold=10, action="suppress")
    assert r.small_numbers.tolist() == [True, True, False, False]
    assert r.suppressed.tolist() == [True, True, False, False]
    assert "undertryckt" in r.suppressed_reason[0]
    pc = percent_change([9, 20, 0], [1, 1, 1], [14, 30, 5], [1, 1, 1], threshold=10)
    assert np.isnan(pc.percent_change[0]) and pc.percent_change[1] == pytest.approx(50)
    assert "9 → 14" in pc.percent_change_note[0]
    assert np.isnan(pc.percent_change[2])
    with pytest.raises(ValueError):
        small_number_rule([1], action="hide")


def test_verdicts_and_fdr_aware_verdicts():
    assert verdicts([np.nan], [np.nan]).tolist() == [NO_CHANGE]
    assert verdicts([0.5], [3.0], null=0.0).tolist() == ["ökning"]
    df = pd.DataFrame({"ci_low": [1.01, 1.3, 0.2, 0.9], "ci_high": [1.5, 2.0, 0.9, 1.1],
                       "p_value": [0.045, 0.0001, 0.03, 0.5],
                       "reliable": [True, False, True, True]})
    out = add_verdicts(df)
    assert out.verdict.tolist() == ["ökning", NO_CHANGE, "minskning", NO_CHANGE]
    # 0.045 and 0.03 do not survive BH among 4 tests; the unreliable row never claims a change
    assert out.verdict_fdr.tolist() == [NO_CHANGE, NO_CHANGE, NO_CHANGE, NO_CHANGE]
    assert out.survives.tolist() == [False, True, False, False]
