"""Interrupted time series against R on the Sicily data (Bernal, Cummins & Gasparrini 2017)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.evaluation import fit_its, its_design
from analysis.crime.glm import fit_batch
from analysis.crime.variance import newey_west_lag

REF = Path(__file__).resolve().parents[1] / "reference" / "evaluation"

R_TO_OURS = {"(Intercept)": "(Intercept)", "smokban": "level", "time": "time", "sin1": "sin1",
             "sin2": "sin2", "cos1": "cos1", "cos2": "cos2"}


@pytest.fixture(scope="module")
def sicily():
    d = pd.read_csv(REF / "sicily.csv")
    d["period"] = pd.PeriodIndex.from_fields(year=d["year"], month=d["month"], freq="M")
    return d.rename(columns={"aces": "count", "stdpop": "population"})


START = "2005-01"  # smokban = 1 from time 37


def _fit(sicily, family, seasonality, se="model"):
    return fit_its(sicily, start=START, family=family, seasonality=seasonality, se=se,
                   hac_lag=3, inference="normal")


def _coef(res):
    return dict(zip(res.names, res.model.params[0]))


def _se(res):
    return dict(zip(res.names, np.sqrt(np.diag(res.cov))))


def test_smokban_starts_where_the_tutorial_says(sicily):
    X, names = its_design(pd.PeriodIndex(sicily["period"]), START)
    np.testing.assert_array_equal(X[:, names.index("level")], sicily["smokban"])
    np.testing.assert_array_equal(X[:, names.index("time")], sicily["time"])


@pytest.mark.parametrize("key, family, seasonality", [
    ("poisson", "poisson", None), ("quasipoisson", "quasipoisson", None),
    ("poisson_fourier", "poisson", "fourier"), ("quasipoisson_fourier", "quasipoisson", "fourier"),
    ("negbin_fourier", "negbin", "fourier")])
def test_coefficients_and_model_se_match_r(sicily, reference, key, family, seasonality):
    ref = reference["sicily"][key]
    res = _fit(sicily, family, seasonality)
    coef, se = _coef(res), _se(res)
    for rname, value in ref["coef"].items():
        assert coef[R_TO_OURS[rname]] == pytest.approx(value, rel=1e-6)
        assert se[R_TO_OURS[rname]] == pytest.approx(ref["se"][rname], rel=1e-6)
    assert res.model.deviance[0] == pytest.approx(ref["deviance"], rel=1e-6)
    if family == "quasipoisson":
        assert res.model.scale[0] == pytest.approx(ref["dispersion"], rel=1e-6)
    if family == "negbin":
        assert res.model.theta[0] == pytest.approx(ref["theta"], rel=1e-6)
        assert res.model.theta_se[0] == pytest.approx(ref["theta_se"], rel=1e-6)


@pytest.mark.parametrize("key, family, seasonality", [
    ("poisson", "poisson", None), ("poisson_fourier", "poisson", "fourier"),
    ("negbin_fourier", "negbin", "fourier")])
def test_newey_west_matches_sandwich(sicily, reference, key, family, seasonality):
    ref = reference["sicily"][key]
    res = _fit(sicily, family, seasonality, se="hac")
    assert res.hac_lag == ref["hac_lag"] == 3
    se = _se(res)
    for rname, value in ref["hac_se"].items():
        assert se[R_TO_OURS[rname]] == pytest.approx(value, rel=1e-6)


def test_newey_west_keeps_the_time_spacing_across_a_left_out_window(sicily, reference):
    # three months from the ban left out of the fit: lags are distances in months (R: zero
    # weights, estfun and the textbook Newey-West sum); dropping the rows would differ
    ref = reference["sicily"]["transition_hac"]
    res = fit_its(sicily, start=START, family="poisson", seasonality="fourier", se="hac",
                  hac_lag=3, inference="normal", transition_months=3)
    coef, se = _coef(res), _se(res)
    for rname, value in ref["hac_se"].items():
        assert coef[R_TO_OURS[rname]] == pytest.approx(ref["coef"][rname], rel=1e-6)
        assert se[R_TO_OURS[rname]] == pytest.approx(value, rel=1e-6)
    dropped = ref["hac_se_rows_dropped"]["smokban"]
    assert abs(se["level"] - dropped) > 1e-5  # the rule matters: the two definitions differ


def test_quasipoisson_hac_equals_the_poisson_sandwich(sicily):
    # the sandwich does not depend on the dispersion, so quasi-Poisson gives the Poisson HAC
    a, b = _fit(sicily, "poisson", "fourier", "hac"), _fit(sicily, "quasipoisson", "fourier", "hac")
    np.testing.assert_allclose(a.cov, b.cov, rtol=1e-12)


def test_counterfactual_band_matches_predict_se_fit(sicily, reference):
    ref = reference["sicily"]["counterfactual"]
    res = _fit(sicily, "quasipoisson", "fourier")
    cf = res.counterfactual
    np.testing.assert_allclose(np.log(cf["counterfactual"]), ref["fit"], rtol=1e-6)
    se_eta = np.log(cf["cf_high"] / cf["counterfactual"]) / res.critical_value
    np.testing.assert_allclose(se_eta, ref["se"], rtol=1e-6)


def test_rate_ratio_and_prevented(sicily, reference):
    res = _fit(sicily, "quasipoisson", "fourier")
    row = res.table.set_index("variable")
    b = reference["sicily"]["quasipoisson_fourier"]["coef"]["smokban"]
    assert row.at["level_change", "estimate"] == pytest.approx(np.exp(b), rel=1e-6)
    # the published tutorial: a drop of about 12 % in ACEs after the ban (RR 0.88)
    assert row.at["level_change", "estimate"] == pytest.approx(0.88, abs=0.01)
    cf = res.counterfactual
    post = cf["post"]
    assert row.at["prevented", "estimate"] == pytest.approx(
        (cf.loc[post, "counterfactual"] - cf.loc[post, "fitted"]).sum(), rel=1e-9)
    assert row.at["prevented", "ci_low"] < row.at["prevented", "estimate"] < row.at["prevented", "ci_high"]
    assert list(res.table.columns[:13]) == ["variable", "estimate", "se", "ci_low", "ci_high",
                                            "ci_level", "df", "deff", "n", "n_eff", "method",
                                            "suppressed", "suppressed_reason"]


def test_newey_west_lag_rule():
    assert [newey_west_lag(n) for n in (59, 96, 132, 200)] == [3, 3, 4, 4]


def test_glm_batch_equals_single_fits(sicily):
    X, _ = its_design(pd.PeriodIndex(sicily["period"]), START)
    y = sicily["count"].to_numpy(float)
    Y = np.vstack([y, y[::-1], y * 2])
    batch = fit_batch(Y, X)
    for i in range(3):
        single = fit_batch(Y[i], X)
        np.testing.assert_allclose(batch.params[i], single.params[0], rtol=1e-10)


def test_transition_and_phase_in(sicily):
    base = _fit(sicily, "quasipoisson", "fourier")
    skip = fit_its(sicily, start=START, transition_months=3, se="model", inference="t")
    assert skip.table.at[0, "n"] == base.table.at[0, "n"] - 3
    # a planted gradual effect (rate ratio 0.6 reached over 6 months, no noise): the ramp
    # recovers it, a plain step is pulled towards 1 by the months of partial effect
    per = pd.period_range("2016-01", periods=72, freq="M")
    frac = np.clip((np.arange(72) - 48 + 1) / 6, 0, 1)
    s = pd.DataFrame({"period": per, "count": np.round(500 * 0.6 ** frac), "population": 1.0})
    ramp = fit_its(s, start=per[48], phase_in_months=6, se="model", inference="t")
    step = fit_its(s, start=per[48], se="model", inference="t")
    assert ramp.rate_ratio == pytest.approx(0.6, abs=0.005)
    assert step.rate_ratio > 0.62


def test_bad_inputs(sicily):
    with pytest.raises(ValueError, match="start"):
        fit_its(sicily, start="1999-01")
    with pytest.raises(ValueError, match="missing months"):
        fit_its(sicily.drop(index=5), start=START)
