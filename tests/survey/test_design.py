"""SurveyDesign: declaration checks, immutability, subsets that keep the design, lonely PSUs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, LagesbildWarning
from analysis.survey import SurveyDesign, SurveyOptions, mean, proportion, ratio, total
from analysis.survey._rmath import RRandom, qrule, r_spline

from .conftest import api, golden, safety_frame


def test_declaration_errors():
    clus = api("apiclus1")
    with pytest.raises(DataError, match="not nested in strata"):
        SurveyDesign(api("apistrat"), ids="dnum", strata="stype", weights="pw")
    SurveyDesign(api("apistrat"), ids="dnum", strata="stype", weights="pw", nest=True)
    with pytest.raises(DataError, match="only one primary sampling unit"):
        SurveyDesign(clus.assign(one=1), ids="one", weights="pw")
    with pytest.raises(DataError, match="fpc given for 1 stage"):
        SurveyDesign(api("apiclus2"), ids=["dnum", "snum"], fpc="fpc1")
    with pytest.raises(DataError, match="all fpc>=1"):
        SurveyDesign(clus.assign(f=np.where(np.arange(len(clus)) < 5, 0.5, 100.0)), ids="dnum", fpc="f")
    with pytest.raises(DataError, match=">100% sampling"):
        SurveyDesign(clus.assign(f=3.0), ids="dnum", fpc="f")
    with pytest.raises(DataError, match="weights must be > 0"):
        SurveyDesign(clus.assign(pw=0.0), ids="dnum", weights="pw")
    bad = clus.copy()
    bad.loc[3, "dnum"] = np.nan
    with pytest.raises(DataError, match="row 5"):
        SurveyDesign(bad, ids="dnum", weights="pw")
    with pytest.raises(DataError, match="not found"):
        SurveyDesign(clus, ids="nope", weights="pw")


def test_equal_probability_warning_and_weights_from_fpc():
    srs = api("apisrs")
    with pytest.warns(LagesbildWarning, match="equal probability"):
        d = SurveyDesign(srs[["api00", "stype"]])
    assert (d.weights() == 1).all()
    d = SurveyDesign(srs, fpc="fpc")
    assert np.allclose(d.weights(), 6194 / 200)


def test_immutable():
    d = SurveyDesign(api("apistrat"), strata="stype", weights="pw")
    with pytest.raises(AttributeError, match="immutable"):
        d.options = SurveyOptions(lonely_psu="adjust")
    with pytest.raises(ValueError):
        d._w[0] = 1.0
    s = d.subset(api("apistrat")["stype"] == "E")
    assert d.n == 200 and s.n == 100 and s.n_rows == 200


def test_subset_keeps_full_design_equals_by_domain():
    """A domain estimated via subset() equals the by= domain; both keep the full design."""
    d = SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")
    by = mean(d, "api00", by="stype", disclosure=None).set_index("stype")
    for how in (api("apiclus1")["stype"] == "H", "stype == 'H'", lambda df: df["stype"] == "H"):
        sub = mean(d.subset(how), "api00", disclosure=None)
        assert np.isclose(sub.estimate[0], by.estimate["H"], rtol=1e-12)
        assert np.isclose(sub.se[0], by.se["H"], rtol=1e-12)
    # filtering rows first (the mistake the design object prevents) gives another SE
    filtered = SurveyDesign(api("apiclus1")[api("apiclus1").stype == "H"], ids="dnum", weights="pw", fpc="fpc")
    assert not np.isclose(mean(filtered, "api00", disclosure=None).se[0], by.se["H"], rtol=1e-3)


def test_domain_mean_is_a_ratio_and_totals_add_up():
    """Independent routes: a domain mean is the ratio sum(w y 1_d) / sum(w 1_d)."""
    df = api("apistrat").assign(is_h=lambda x: (x.stype == "H").astype(float))
    df = df.assign(y_h=df.api00 * df.is_h)
    d = SurveyDesign(df, strata="stype", weights="pw", fpc="fpc")
    dom = mean(d, "api00", by="stype", disclosure=None).set_index("stype").loc["H"]
    r = ratio(d, "y_h", "is_h", disclosure=None).iloc[0]
    assert np.isclose(dom.estimate, r.estimate, rtol=1e-12) and np.isclose(dom.se, r.se, rtol=1e-10)
    tot = total(d, "enroll", na_rm=True, disclosure=None).estimate[0]
    by = total(d, "enroll", by="awards", na_rm=True, disclosure=None).estimate.sum()
    assert np.isclose(tot, by, rtol=1e-12)


def test_lonely_psu_fail_names_the_stratum_and_options_work():
    df = api("apistrat")
    d = SurveyDesign(df, strata="strat_lonely", weights="pw")
    with pytest.raises(DataError, match=r"Stratum \(H1\) has only one PSU"):
        mean(d, "api00")
    # a domain that does not contain the lonely stratum is fine, as in R
    assert np.isfinite(mean(d.subset(df.stype == "E"), "api00", disclosure=None).se[0])
    ses = {opt: mean(SurveyDesign(df, strata="strat_lonely", weights="pw",
                                  options=SurveyOptions(lonely_psu=opt)), "api00", disclosure=None).se[0]
           for opt in ("remove", "certainty", "adjust", "average")}
    assert ses["remove"] == ses["certainty"] < ses["average"]
    with pytest.raises(ValueError, match="lonely_psu"):
        SurveyOptions(lonely_psu="drop")


def test_from_survey_frame_and_summary():
    d = SurveyDesign.from_survey(safety_frame(), fpc="stratum_population")
    assert d.degf == len(safety_frame()) - 20
    text = d.summary()
    assert "kommunkod:year:stratum" in text and "degrees of freedom" in text
    with pytest.raises(DataError, match="lacks design column"):
        SurveyDesign.from_survey(safety_frame().drop(columns="stratum"))


def test_multistage_uses_later_stages_only_with_fpc():
    c2 = api("apiclus2")
    full = mean(SurveyDesign(c2, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]), "api00", disclosure=None).se[0]
    ultimate = mean(SurveyDesign(c2, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"],
                                 options=SurveyOptions(ultimate_cluster=True)), "api00", disclosure=None).se[0]
    assert full > ultimate > 0


def _golden_values(case, field):
    g = golden()
    sel = g[(g["case"] == case) & (g["field"] == field)]
    return sel.sort_values("key", key=lambda k: k.astype(int))["value"].to_numpy()


def test_r_numerics_spline_and_random_numbers():
    sx = [0.1, 0.5, 0.9, 1.6, 2.0, 2.2, 3.1]
    sy = [-2, -1.2, -0.3, 0.1, 1.5, 1.9, 2.8]
    u, v = r_spline(sx, sy)
    assert np.allclose(u, _golden_values("rmath/spline", "x"), rtol=1e-12)
    assert np.allclose(v, _golden_values("rmath/spline", "y"), rtol=1e-10)
    assert np.allclose(RRandom(42).unif(5), _golden_values("rmath/runif", "value"), rtol=1e-14)
    assert (RRandom(42).permutation(10) + 1 == _golden_values("rmath/sample", "value")).all()
    assert (RRandom(7).index(1000, 30) + 1 == _golden_values("rmath/sample-replace", "value")).all()
    assert (RRandom(9).choose(70000, 20) + 1 == _golden_values("rmath/sample-large", "value")).all()


def test_quantile_rules_basic():
    x = np.array([3.0, 1.0, 2.0, 4.0])
    w = np.array([1.0, 1.0, 1.0, 1.0])
    assert qrule("math", x, w, 0.5) == 2.0
    assert qrule("school", x, w, 0.5) == 2.5
    assert qrule("hf7", x, w, 0.5) == 2.5
    assert np.isnan(qrule("math", x[:0], w[:0], 0.5))


def test_proportion_levels_follow_categorical_order():
    df = pd.DataFrame({"w": [1.0] * 6, "g": pd.Categorical(list("abbcca"), categories=["c", "b", "a", "z"])})
    t = proportion(SurveyDesign(df, weights="w"), "g", disclosure=None, method="beta")
    assert t["level"].tolist() == ["c", "b", "a", "z"]
    assert t.loc[t.level == "z", "estimate"].iloc[0] == 0


def test_seeded_generator_is_deterministic():
    assert np.array_equal(RRandom(3).index(50, 100), RRandom(3).index(50, 100))
    assert not np.array_equal(RRandom(3).index(50, 100), RRandom(4).index(50, 100))
