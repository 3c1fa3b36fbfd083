"""Replicate designs and comparisons: independent routes and error handling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, LagesbildWarning
from analysis.survey import SurveyDesign, mean, proportion
from analysis.survey.calibration import poststratify
from analysis.survey.compare import chisq, compare_years, contrast, difference
from analysis.survey.replicate import ReplicateDesign, as_replicate

from .conftest import api, safety_frame


@pytest.fixture(scope="module")
def strat():
    return SurveyDesign(api("apistrat"), strata="stype", weights="pw", fpc="fpc")


def test_user_supplied_replicates_equal_generated(strat):
    """svrepdesign() on exported replicate weights gives what as.svrepdesign() gave."""
    boot = as_replicate(strat, type="bootstrap", replicates=30, seed=5)
    W = boot.replicate_weights()
    df = pd.concat([api("apistrat"), W], axis=1)
    user = ReplicateDesign(df, repweights="rep", weights="pw", type="bootstrap", scale=boot.scale)
    a, b = mean(boot, "api00", by="stype", disclosure=None), mean(user, "api00", by="stype", disclosure=None)
    assert np.allclose(a.se, b.se, rtol=1e-12) and np.allclose(a.estimate, b.estimate)
    with pytest.warns(LagesbildWarning, match="guessing"):
        ReplicateDesign(df, repweights="rep", weights="pw", type="JK1")
    with pytest.raises(DataError, match="no replicate weight"):
        ReplicateDesign(df, repweights="zz", weights="pw")


def test_replicate_centring_and_conversion_errors(strat):
    jk = as_replicate(SurveyDesign(api("apiclus1"), ids="dnum", weights="pw"), type="JK1")
    se = mean(jk, "api00", by="stype", disclosure=None).se
    se_mse = mean(jk.with_mse(True), "api00", by="stype", disclosure=None).se
    assert (se_mse >= se - 1e-12).all() and not np.allclose(se, se_mse)
    with pytest.raises(DataError, match="JK1"):
        as_replicate(strat, type="JK1")
    with pytest.raises(ValueError, match="seed"):
        as_replicate(strat, type="bootstrap")
    ps = poststratify(strat, "awards", pd.DataFrame({"awards": ["No", "Yes"], "Freq": [2000, 4194]}))
    with pytest.raises(DataError, match="before calibrating"):
        as_replicate(ps)
    a = as_replicate(strat, type="bootstrap", seed=1, rng="numpy", replicates=20)
    b = as_replicate(strat, type="bootstrap", seed=1, rng="numpy", replicates=20)
    assert np.array_equal(a.replicate_weights(), b.replicate_weights())


def test_jackknife_close_to_linearisation(strat):
    jkn = as_replicate(strat, type="JKn")
    a, b = mean(strat, "api00", by="awards", disclosure=None), mean(jkn, "api00", by="awards", disclosure=None)
    assert np.allclose(a.se, b.se, rtol=0.05)
    da = difference(strat, "api00", between="awards", first="Yes", second="No", disclosure=None).iloc[0]
    db = difference(jkn, "api00", between="awards", first="Yes", second="No", disclosure=None).iloc[0]
    assert da.estimate == pytest.approx(db.estimate) and db.se == pytest.approx(da.se, rel=0.05)


def test_difference_equals_contrast_and_has_a_verdict():
    d = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    diff = difference(d, "api00", between="stype", first="E", second="M", disclosure=None).iloc[0]
    con = contrast(d, "api00", {"E": 1, "M": -1}, by="stype", disclosure=None).iloc[0]
    assert diff.estimate == pytest.approx(con.estimate) and diff.se == pytest.approx(con.se)
    assert diff.verdict == "ingen säkerställd skillnad" and 0 < diff.p_value < 1
    with pytest.raises(DataError, match="unknown domain"):
        contrast(d, "api00", {"Q": 1}, by="stype")
    with pytest.raises(ValueError, match="category"):
        difference(d, "sch.wide", between="stype", first="E", second="M", stat="proportion")


def test_compare_years_independent_designs_equal_joint_design():
    """Two survey rounds as separate designs give what the joint design with year strata gives."""
    frame = safety_frame()
    joint = SurveyDesign.from_survey(frame)
    a = SurveyDesign.from_survey(frame[frame.year == 2023])
    b = SurveyDesign.from_survey(frame[frame.year == 2025])
    sep = compare_years(a, b, "otrygg_kvall", stat="proportion", category=2, na_rm=True, by="sex",
                        labels=("2023", "2025"), disclosure=None)
    joint2 = joint.with_columns(yearf=frame.year.astype(str).to_numpy())
    same = difference(joint2, "otrygg_kvall", between="yearf", first="2025", second="2023", stat="proportion",
                      category=2, na_rm=True, by="sex", disclosure=None)
    assert np.allclose(sep.estimate, same.estimate) and np.allclose(sep.se, same.se, rtol=1e-10)
    assert set(sep.verdict) <= {"ökning", "minskning", "ingen säkerställd förändring"}
    assert {"estimate_earlier", "estimate_later"} <= set(sep.columns)


def test_chisq_result():
    d = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    r = chisq(d, "sch.wide", "stype")
    assert 0 < r.p_value < 0.05 and "Rao & Scott" in r.summary()
    assert r.cells["proportion"].sum() == pytest.approx(1)
    with pytest.raises(DataError, match="two observed levels"):
        chisq(d.subset(api("apiclus1").stype == "E"), "stype", "sch.wide")
    with pytest.raises(ValueError):
        chisq(d, "sch.wide", "stype", statistic="lincom")


def test_replicate_proportions_and_quantiles_run(strat):
    boot = as_replicate(strat, type="bootstrap", replicates=25, seed=11)
    p = proportion(boot, "awards", by="stype", method="logit", disclosure=None)
    assert ((p.ci_low < p.estimate) & (p.estimate < p.ci_high)).all()
    # as R 4.1-1: summary.svrepglm's dispersion is n times too large, so the likelihood profile
    # never reaches its cut-off and the interval is NA (documented; use logit or beta)
    lik = proportion(boot, "awards", by="stype", method="likelihood", disclosure=None)
    assert lik.ci_low.isna().all()
    assert boot.degf == 24 and "bootstrap" in boot.summary()
