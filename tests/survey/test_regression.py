"""svyglm and reg_term_test: independent routes and clear errors (R agreement: test_golden_extensions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.survey import SurveyDesign, as_replicate, mean, proportion
from analysis.survey.regression import reg_term_test, svyglm

from .conftest import api


@pytest.fixture
def clus1():
    d = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    return d.with_columns(sw=(d._data["sch.wide"] == "Yes").astype(float).to_numpy())


def test_saturated_gaussian_model_gives_the_domain_means_and_their_standard_errors(clus1):
    fit = svyglm(clus1, "api00 ~ stype + 0")
    m = mean(clus1, "api00", by="stype", disclosure=None).set_index("stype")
    assert fit.coefficients.to_numpy() == pytest.approx(m.estimate.to_numpy(), rel=1e-12)
    assert fit.table.se.to_numpy() == pytest.approx(m.se.to_numpy(), rel=1e-9)


def test_saturated_logistic_model_gives_logit_domain_proportions(clus1):
    for design in (clus1, as_replicate(clus1, type="JK1")):
        fit = svyglm(design, "sw ~ stype + 0", family="quasibinomial")
        p = proportion(design, "sw", by="stype", levels=[1.0], disclosure=None).set_index("stype")
        assert fit.coefficients.to_numpy() == pytest.approx(np.log(p.estimate / (1 - p.estimate)).to_numpy(), rel=1e-8)


def test_binomial_and_quasibinomial_agree_and_contrast_matches_the_table(clus1):
    a = svyglm(clus1, "sw ~ ell + stype", family="binomial")
    b = svyglm(clus1, "sw ~ ell + stype", family="quasibinomial")
    pd.testing.assert_frame_equal(a.table, b.table)
    c = a.contrast({"stypeH": 1.0})
    assert c.estimate.iloc[0] == a.coefficients["stypeH"] and c.se.iloc[0] == pytest.approx(a.table.se.iloc[2])
    assert "stype" in a.summary() and a.conf_int().shape == (4, 2)


def test_wald_test_of_one_coefficient_is_the_squared_t(clus1):
    fit = svyglm(clus1, "api00 ~ ell + meals")
    t = fit.table.set_index("term").loc["ell"]
    w = reg_term_test(fit, "ell")
    assert w.statistic == pytest.approx(t.statistic ** 2) and w.p_value == pytest.approx(t.p_value)
    assert reg_term_test(fit, ["ell", "meals"]).ndf == 2


def test_errors_name_the_problem(clus1):
    with pytest.raises(ValueError, match="family"):
        svyglm(clus1, "sw ~ ell", family="gamma")
    with pytest.raises(ValueError, match="formula"):
        svyglm(clus1, "sw ell")
    with pytest.raises(DataError, match="column 'nope'"):
        svyglm(clus1, "sw ~ nope")
    with pytest.raises(DataError, match="response out of range"):
        svyglm(clus1, "api00 ~ ell", family="binomial")
    d = clus1.with_columns(x=np.where(np.arange(clus1.n_rows) < 5, np.nan, 1.0))
    with pytest.raises(DataError, match="na_rm=True"):
        svyglm(d, "api00 ~ x")
    d = clus1.with_columns(e2=2 * clus1._data["ell"].to_numpy())
    with pytest.raises(DataError, match="rank"):
        svyglm(d, "api00 ~ ell + e2")
    fit = svyglm(clus1, "api00 ~ ell")
    with pytest.raises(DataError, match="not in the model"):
        reg_term_test(fit, "stype")
    with pytest.raises(DataError, match="unknown coefficient"):
        fit.contrast({"stypeH": 1})
