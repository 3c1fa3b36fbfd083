"""evaluate_measure on the sample's planted measures, and the verdict as data."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.evaluation import VERDICTS, evaluate_measure
from analysis.schemas import ESTIMATE_COLUMNS


@pytest.fixture(scope="module")
def skadegorelse(sample_world):
    return evaluate_measure(sample_world, "M2181-01")


def _truth(sample_world, measure_id):
    t = sample_world.truth_table("measures").set_index("measure_id")
    return float(t.at[measure_id, "rate_ratio"])


def test_planted_effect_is_recovered(sample_world, skadegorelse):
    v = skadegorelse.verdict
    assert v.verdict == "minskning"
    assert v.reliable
    assert v.ci_low <= _truth(sample_world, "M2181-01") <= v.ci_high
    assert v.method == "its_quasipoisson_placebo"
    assert v.prevented > 0 and v.prevented_ci[0] > 0


def test_no_effect_where_none_was_planted(sample_world):
    ev = evaluate_measure(sample_world, "M1080-02", synthetic=False)  # rån, rate ratio 1
    v = ev.verdict
    assert _truth(sample_world, "M1080-02") == 1.0
    assert v.verdict == "ingen säkerställd förändring"
    assert v.ci_low <= 1.0 <= v.ci_high


def test_synthetic_control_that_misses_the_pre_period_neither_confirms_nor_vetoes(sample_world):
    # Storfors ofredande (about 1.2 a month): the synthetic control misses the kommun's
    # pre-period level by far more than the 15 % limit, so its "nothing unusual" says nothing.
    # It used to be shown as reliable and to overrule the ITS; now it is not reliable, takes
    # no part in the verdict, and the ITS result is flagged as unconfirmed.
    ev = evaluate_measure(sample_world, "M1760-01")
    v = ev.verdict
    checks = v.checks.set_index("check")
    assert not checks.at["synthetic_pre_rmspe_relative", "passed"]
    assert checks.at["synthetic_pre_rmspe_relative", "value"] > 0.15
    sc_row = ev.table[ev.table["method"].str.startswith("synthetic")]
    assert not sc_row["reliable"].any()  # the flag agrees with the check
    assert v.its_verdict == "ökning" and v.ci_low > 1
    assert v.verdict == v.its_verdict
    cav = v.caveats.set_index("code")
    assert "designs_disagree" not in cav.index
    assert "unconfirmed" in cav.index and "neither confirm" in cav.at["unconfirmed", "message"]


def test_reliable_flags_agree_with_the_checks(sample_world):
    for mid in ("M2181-01", "M1760-01", "M1080-01"):
        ev = evaluate_measure(sample_world, mid)
        checks = ev.verdict.checks.set_index("check")
        t = ev.table
        if ev.synthetic is not None and "synthetic_pre_rmspe_relative" in checks.index:
            sc = t.loc[t["method"].str.startswith("synthetic"), "reliable"]
            if not checks.at["synthetic_pre_rmspe_relative", "passed"]:
                assert not sc.any(), mid
        if ev.controlled is not None and not checks.at["pretrend_vs_comparisons_p", "passed"]:
            assert not t.loc[t["method"].str.startswith("controlled"), "reliable"].any(), mid


def test_confirmed_change_keeps_its_verdict(skadegorelse):
    v = skadegorelse.verdict
    assert v.its_verdict == v.verdict == "minskning"
    assert skadegorelse.synthetic.p_value <= 0.5
    assert not {"designs_disagree", "unconfirmed"} & set(v.caveats["code"])


def test_change_without_synthetic_control_is_flagged_unconfirmed(sample_world):
    v = evaluate_measure(sample_world, "M2181-01", controlled=False, synthetic=False).verdict
    assert v.verdict == v.its_verdict == "minskning"
    assert "unconfirmed" in set(v.caveats["code"])


def test_result_shapes(skadegorelse):
    ev = skadegorelse
    assert list(ev.table.columns[:len(ESTIMATE_COLUMNS)]) == list(ESTIMATE_COLUMNS)
    prim = ev.table.loc[ev.table["role"] == "primary"]
    assert set(prim["variable"]) == {"rate_ratio", "prevented"}
    assert {"controlled_its_cluster", "controlled_its_permutation",
            "synthetic_control_placebo"} <= set(ev.table["method"])
    cf = ev.counterfactual
    assert list(cf.columns) == ["period", "observed", "fitted", "counterfactual", "cf_low",
                                "cf_high", "post", "in_fit"]
    post = cf.loc[cf["post"]]
    assert (post["cf_low"] <= post["counterfactual"]).all() and (post["counterfactual"] <= post["cf_high"]).all()
    assert ev.verdict.verdict in VERDICTS
    assert set(ev.verdict.checks["check"]) >= {"placebo_in_time_p", "synthetic_pre_rmspe_relative",
                                               "pretrend_vs_comparisons_p"}
    assert "M2181-01" in ev.summary() and "minskning" in ev.summary()
    codes = set(ev.verdict.caveats["code"])
    assert "preliminary" in codes  # 2025 is preliminary in the sample


def test_donors_exclude_kommuner_with_the_same_measure(skadegorelse, sample_world):
    used = set(skadegorelse.its.placebo["kommunkod"])
    assert "2181" not in used
    assert len(skadegorelse.its.placebo.query("used")) == 19


def test_survey_only_measure_is_not_evaluable(sample_world):
    ev = evaluate_measure(sample_world, "M1080-03")
    assert not ev.evaluable and ev.verdict is None
    assert "no target crime types" in ev.summary()
    assert ev.table.empty and ev.counterfactual.empty


def test_unknown_measure_names_the_known_ones(sample_world):
    with pytest.raises(DataError, match="M2181-01"):
        evaluate_measure(sample_world, "M9999-99")


def test_too_few_donors_gives_no_confident_verdict(sample_world):
    s = sample_world
    keep = ["2181", "2180", "2182", "2183", "2184", "2101"]
    frames = {"crimes": s.crimes.loc[s.crimes["kommunkod"].isin(keep)],
              "population": s.population, "measures": s.measures}
    ev = evaluate_measure(frames, "M2181-01", controlled=False, synthetic=False)
    v = ev.verdict
    assert not v.reliable
    assert v.verdict == "ingen säkerställd förändring"
    assert "unreliable_interval" in set(v.caveats["code"])


def test_reporting_propensity_caveat(sample_world):
    ev = evaluate_measure(sample_world, "M1080-01", controlled=False, synthetic=False)
    assert "reporting_propensity" in set(ev.verdict.caveats["code"])  # tillsyn med polisen


def test_regression_to_the_mean_is_flagged():
    from analysis.evaluation.verdict import _rtm
    from analysis.evaluation._inputs import MeasureSpec

    per = pd.period_range("2016-01", periods=84, freq="M")
    y = np.full(84, 20.0)
    y[60:72] = 32.0  # a peak in the year before the start
    s = pd.DataFrame({"period": per, "count": y, "population": 1e4})
    spec = MeasureSpec("X", "2181", "x", per[72], None, ("Olaga hot",), "", "")
    assert _rtm(s, spec)[0][0] == "regression_to_the_mean"
    s["count"] = 20.0
    assert _rtm(s, spec) == []
