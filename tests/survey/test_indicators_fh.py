"""Indicators on the item catalogue, Fay-Herriot small areas and the disclosure rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.survey import DisclosureRule, SurveyDesign, mean, proportion, redact
from analysis.survey.disclosure import DisclosureError, apply_rule, assert_aggregate
from analysis.survey.indicators import (DEFAULT_INDICATORS, NTU_OTRYGG_KVALL, OTRYGGHET_INDEX, PROBLEM_INDEX,
                                        IndexDefinition, add_indicators, indicator_table,
                                        indicators_from_catalogue)
from analysis.survey.small_area import fay_herriot

from .conftest import REF, safety_frame


@pytest.fixture(scope="module")
def design():
    return SurveyDesign.from_survey(safety_frame(), fpc="stratum_population")


def test_catalogue_gives_the_documented_definitions():
    items = pd.read_csv(REF / "safety_items.csv")
    defs = {d.item: d for d in indicators_from_catalogue(items)}
    assert defs["otrygg_kvall"].values == NTU_OTRYGG_KVALL.values == (3, 4, 5)
    assert defs["otrygg_kvall"].valid_values == (1, 2, 3, 4, 5, 6)
    assert defs["utsatt_brott"].values == (1,)
    assert {d.item for d in DEFAULT_INDICATORS} == set(items["item"])


def test_ntu_indicator_codes_and_invalid_codes():
    d = pd.DataFrame({"otrygg_kvall": [1, 2, 3, 4, 5, 6, 9, None]})
    assert NTU_OTRYGG_KVALL.compute(d).tolist()[:7] == [0, 0, 1, 1, 1, 0, None] or \
        np.isnan(NTU_OTRYGG_KVALL.compute(d)[6])
    with pytest.raises(DataError, match="row 3"):
        NTU_OTRYGG_KVALL.compute(pd.DataFrame({"otrygg_kvall": [1, 7]}))


def test_indicator_table_equals_proportion_route(design):
    t = indicator_table(design, [NTU_OTRYGG_KVALL, PROBLEM_INDEX], by="area", disclosure=None)
    derived = add_indicators(design, [NTU_OTRYGG_KVALL])
    p = proportion(derived, "otrygg_kvall_andel", by="area", levels=[1.0], na_rm=True, disclosure=None)
    share = t[t.variable == "otrygg_kvall_andel"]
    assert np.allclose(share.estimate.to_numpy(), p.estimate.to_numpy())
    assert {"label", "group"} <= set(t.columns) and set(t.group) == {"otrygghet", "index"}
    idx = t[t.variable == "problemindex"]
    assert idx.estimate.between(0, 100).all()


def test_index_definition_is_configurable():
    d = pd.DataFrame({"a": [1, 4, None], "b": [4, 4, 2]})
    eq = IndexDefinition("x", ("a", "b"), {"a": {1: 0, 4: 100}, "b": {2: 50, 4: 100}}, min_items=2)
    assert eq.compute(d).tolist()[:2] == [50.0, 100.0] and np.isnan(eq.compute(d)[2])
    wt = IndexDefinition("x", ("a", "b"), eq.scores, weights={"a": 3, "b": 1}, min_items=1)
    assert wt.compute(d).tolist() == [25.0, 100.0, 50.0]
    assert OTRYGGHET_INDEX.scores["otrygg_kvall"][5] == 100.0 and 6 not in OTRYGGHET_INDEX.scores["otrygg_kvall"]


def test_fay_herriot_shrinks_and_predicts_out_of_sample(design):
    derived = add_indicators(design, [NTU_OTRYGG_KVALL])
    direct = proportion(derived, "otrygg_kvall_andel", by="area", levels=[1.0], na_rm=True, disclosure=None)
    aux = pd.DataFrame({"area": list(direct.area) + ["Nytt område"],
                        "x": np.r_[np.linspace(0, 1, len(direct)), 0.5]})
    r = fay_herriot(direct, area="area", covariates=["x"], auxiliary=aux)
    t = r.table.set_index("area")
    ins = t[t.in_sample]
    assert np.allclose(ins.estimate, ins.gamma * ins.direct_estimate + (1 - ins.gamma) * ins.synthetic)
    assert not t.loc["Nytt område", "in_sample"] and np.isclose(t.loc["Nytt område", "estimate"],
                                                                t.loc["Nytt område", "synthetic"])
    assert (t.se ** 2 >= t.mse_g1 + t.mse_g2 - 1e-15).all()
    assert "sigma2_v" in r.summary()
    bad = direct.assign(se=0.0)
    with pytest.raises(DataError, match="positive standard error"):
        fay_herriot(bad, area="area", covariates=[])


def test_disclosure_rules_and_redaction():
    t = pd.DataFrame({"estimate": [0.2, 0.3, 0.4], "se": [0.01, 0.05, 0.1], "n": [200, 40, 80],
                      "n_eff": [150.0, 35.0, 20.0]})
    a = apply_rule(t)
    assert a.suppressed.tolist() == [False, True, True]
    assert "n_eff=20.0 < 30" in a.suppressed_reason[2]
    assert apply_rule(t, DisclosureRule(min_n=10, min_n_eff=None)).suppressed.tolist() == [False, False, False]
    blank = apply_rule(t, DisclosureRule(blank=True))
    assert np.isnan(blank.estimate[1]) and blank.n[1] == 40
    assert redact(a).estimate.isna().tolist() == [False, True, True]
    with pytest.raises(DisclosureError, match="no 'n' column"):
        assert_aggregate(t.drop(columns="n"), n_respondents=10)
    with pytest.raises(ValueError):
        DisclosureRule(min_n=-1)


def test_blanking_rule_in_estimators(design):
    t = mean(add_indicators(design, [PROBLEM_INDEX]), "problemindex", by=["year", "area"], na_rm=True,
             disclosure=DisclosureRule(min_n=80, blank=True))
    assert t.loc[t.suppressed, "estimate"].isna().all() and t.loc[~t.suppressed, "estimate"].notna().all()
