"""ratio_to_expected and count_limits against R (poisson.test, ppois, pgamma, qgamma).

The values come from tests/reference/crime/funnel_exact.R (R 4.2.2); CI has no R.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.crime.funnel import count_limits, ratio_to_expected

REF = Path(__file__).resolve().parents[1] / "reference" / "crime" / "funnel_exact.csv"


def _ref() -> pd.DataFrame:
    return pd.read_csv(REF, skipinitialspace=True, na_values=["NA"])


def test_ratio_interval_and_tails_match_r():
    ref = _ref()
    got = ratio_to_expected(ref.O, ref.E, dispersion=ref.d)
    for col in ("ratio_low", "ratio_high", "p_upper", "p_lower"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-9, atol=1e-14, err_msg=col)
    exact = ref.d == 1
    # with d = 1 the interval is poisson.test's and the tails are ppois
    np.testing.assert_allclose(got.ratio_low[exact], ref.ptest_low[exact], rtol=1e-9)
    np.testing.assert_allclose(got.ratio_high[exact], ref.ptest_high[exact], rtol=1e-9)
    np.testing.assert_allclose(got.p_upper[exact], ref.ppois_upper[exact], rtol=1e-9)
    np.testing.assert_allclose(got.p_lower[exact], ref.ppois_lower[exact], rtol=1e-9)


def test_count_limits_are_where_the_test_turns_significant():
    ref = _ref()
    lo, hi = count_limits(ref.E, dispersion=ref.d)
    at_hi = ratio_to_expected(hi, ref.E, dispersion=ref.d)
    np.testing.assert_allclose(at_hi.p_upper, 0.025, rtol=1e-6)
    inside = lo > 0
    at_lo = ratio_to_expected(lo[inside], ref.E[inside], dispersion=ref.d[inside])
    np.testing.assert_allclose(at_lo.p_lower, 0.025, rtol=1e-6)
    # where no count can be significantly low, the limit is 0
    assert (np.exp(-ref.E[~inside] / ref.d[~inside]) > 0.025).all()


def test_bad_input_is_an_error():
    import pytest

    with pytest.raises(ValueError, match="expected"):
        ratio_to_expected([3], [0.0])
    with pytest.raises(ValueError, match="counts"):
        ratio_to_expected([-1], [2.0])
