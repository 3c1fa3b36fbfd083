"""Estimators: output contract, missing values, degrees of freedom, degenerate proportions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import DataError
from analysis.schemas import ESTIMATE_COLUMNS
from analysis.survey import DisclosureError, SurveyDesign, mean, proportion, quantile, ratio, total

from .conftest import api


@pytest.fixture(scope="module")
def strat():
    return SurveyDesign(api("apistrat"), strata="stype", weights="pw", fpc="fpc")


def test_output_contract(strat):
    for t, extra in [(mean(strat, "api00", by="stype"), []), (total(strat, "enroll", by=["stype", "awards"]), []),
                     (ratio(strat, "api.stu", "enroll"), []), (proportion(strat, "awards", by="stype"), ["level"]),
                     (quantile(strat, "api00", [0.5, 0.9], by="awards"), ["quantile"])]:
        by = [c for c in t.columns[: list(t.columns).index("variable")]]
        assert list(t.columns) == by + ["variable"] + extra + [c for c in ESTIMATE_COLUMNS if c != "variable"]
        assert t["suppressed"].dtype == bool
        assert (t["ci_level"] == 0.95).all()
        assert (t["n"] > 0).all()


def test_proportions_add_to_one_and_bracket_estimate(strat):
    for method in ("logit", "likelihood", "beta", "xlogit", "asin", "mean"):
        t = proportion(strat, "awards", by="stype", method=method, disclosure=None)
        assert np.allclose(t.groupby("stype").estimate.sum(), 1.0)
        assert ((t.ci_low <= t.estimate) & (t.estimate <= t.ci_high)).all(), method
    with pytest.raises(ValueError, match="method"):
        proportion(strat, "awards", method="wilson")


def test_missing_values_need_na_rm(strat):
    with pytest.raises(DataError, match="na_rm=True"):
        mean(strat, "target")
    t = mean(strat, "target", na_rm=True, disclosure=None)
    assert t.n[0] == api("apistrat")["target"].notna().sum()
    with pytest.raises(DataError, match="not numeric"):
        mean(strat, "stype")


def test_degrees_of_freedom_options(strat):
    z = mean(strat, "api00", disclosure=None).iloc[0]
    t = mean(strat, "api00", df="design", disclosure=None).iloc[0]
    assert np.isinf(z.df) and t.df == 197
    assert (t.ci_high - t.ci_low) / (z.ci_high - z.ci_low) == pytest.approx(stats.t.ppf(0.975, 197) / stats.norm.ppf(0.975))
    p = proportion(strat, "awards", by="stype", disclosure=None)
    assert p.set_index("stype").df.loc["H"].iloc[0] == 49  # PSUs - strata within the domain (R degf)
    assert proportion(strat, "awards", df=10, disclosure=None).df.eq(10).all()
    with pytest.raises(ValueError, match="df must be"):
        mean(strat, "api00", df="satterthwaite")


def test_degenerate_proportions_are_defined():
    df = pd.DataFrame({"w": [1.0] * 40, "s": ["a", "b"] * 20, "y": [0] * 40})
    d = SurveyDesign(df, strata="s", weights="w")
    beta = proportion(d, "y", levels=[1], method="beta", disclosure=None).iloc[0]
    assert beta.estimate == 0 and beta.ci_low == 0
    assert beta.ci_high == pytest.approx(stats.beta.ppf(0.975, 1, 40 * (stats.t.ppf(0.025, 39) / stats.t.ppf(0.025, 38)) ** 2))
    logit = proportion(d, "y", levels=[1], method="logit", disclosure=None).iloc[0]
    assert np.isnan(logit.ci_low) and np.isnan(logit.ci_high) and logit.se == 0
    wald = proportion(d, "y", levels=[1], method="mean", disclosure=None).iloc[0]
    assert wald.ci_low == wald.ci_high == 0


def test_deff_and_n_eff(strat):
    t = mean(strat, "api00", disclosure=None).iloc[0]
    w = api("apistrat").pw
    assert t.n_eff == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert np.isnan(mean(strat, "api00", deff=False, disclosure=None).deff[0])


def test_disclosure_flags_small_domains(strat):
    t = mean(strat, "api00", by=["stype", "awards"])
    assert t["suppressed"].any() and not t["suppressed"].all()
    small = t[t.n < 50]
    assert small["suppressed"].all() and small["suppressed_reason"].str.contains("< 50").all()
    big = t[t.n >= 50]
    assert (big.suppressed_reason.eq("") | big.suppressed).all()
    assert np.isfinite(small["estimate"]).all()   # flagged, not blanked, by default


def test_respondent_rows_never_leave(strat):
    with pytest.raises(DisclosureError, match="respondent"):
        mean(SurveyDesign(api("apisrs").assign(respondent_id=range(200)), fpc="fpc"), "api00",
             by="respondent_id")
    with pytest.raises(DisclosureError, match="single respondents"):
        mean(SurveyDesign(api("apisrs"), fpc="fpc"), "api00", by="cds", disclosure=None)


def test_quantile_arguments(strat):
    with pytest.raises(ValueError, match="interval"):
        quantile(strat, "api00", interval="fuller")
    with pytest.raises(ValueError, match="replicate-weight design"):
        quantile(strat, "api00", interval="quantile")
    from analysis.survey import as_replicate
    with pytest.raises(ValueError, match="Taylor design"):
        quantile(as_replicate(strat, type="JKn"), "api00", interval="score")
    with pytest.raises(ValueError, match="qrule"):
        quantile(strat, "api00", qrule="hf10")
    t = quantile(strat, "api00", [0.1, 0.5], disclosure=None)
    assert t["quantile"].tolist() == [0.1, 0.5] and t.estimate.is_monotonic_increasing


def test_korn_graubard_sample_size_option(strat):
    df = api("apistrat").copy()
    df.loc[df.index[:30], "sch.wide"] = np.nan
    d = SurveyDesign(df, strata="stype", weights="pw", fpc="fpc")
    r = proportion(d, "sch.wide", method="beta", na_rm=True, disclosure=None)
    dom = proportion(d, "sch.wide", method="beta", na_rm=True, kg_n="domain", disclosure=None)
    assert np.allclose(r.estimate, dom.estimate) and not np.allclose(r.ci_low, dom.ci_low)
    with pytest.raises(ValueError, match="kg_n"):
        proportion(d, "sch.wide", kg_n="rows")
