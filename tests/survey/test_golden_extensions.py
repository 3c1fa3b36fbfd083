"""Golden tests of the issue-15 features against R survey 4.1.1, to 1e-6 relative: svyglm and
regTermTest on every kind of design, the log-odds difference-in-differences, svychisq
Wald/adjWald, the score and replicate quantile intervals, deff="replace" and hf4 at ties.

Reference values: tests/reference/survey/make_reference_extensions.R (golden_extensions.csv).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from analysis.survey.calibration import rake
from analysis.survey.design import SurveyDesign
from analysis.survey.effects import survey_did
from analysis.survey.indicators import NTU_OTRYGG_KVALL, PROBLEM_INDICATORS, add_indicators
from analysis.survey.regression import reg_term_test, svyglm

from .conftest import REF, safety_frame, safety_margins
from .test_golden import design as base_design

RTOL = 1e-6
ATOL = 1e-9


@lru_cache(maxsize=1)
def golden_ext() -> pd.DataFrame:
    return pd.read_csv(REF / "golden_extensions.csv", dtype={"case": str, "key": str, "level": str, "field": str},
                       keep_default_na=False, na_values={"value": ["NA"]})


def _with_sw(d):
    return d.with_columns(sw=(d._data["sch.wide"] == "Yes").astype(float).to_numpy())


@lru_cache(maxsize=None)
def design(name: str):
    if name.endswith("-sub"):
        base = design(name[:-4])
        data = base._data
        keep = data["meals"] > 20 if name.startswith("clus1-greg") else data["stype"] != "H"
        return base.subset(keep.to_numpy())
    return _with_sw(base_design(name))


def _indicator(item):
    return next(d for d in PROBLEM_INDICATORS if d.item == item)


@lru_cache(maxsize=1)
def safety_did_design():
    """The stacked safety survey as survey_did builds it (from_survey, raked per kommun x year)."""
    d = add_indicators(SurveyDesign.from_survey(safety_frame()), [NTU_OTRYGG_KVALL])
    d = rake(d, [["kommunkod", "year", "sex", "age_group"], ["kommunkod", "year", "area"]], safety_margins(),
             count="population")
    return d.with_columns(otrygg=d._data[NTU_OTRYGG_KVALL.name].to_numpy())


MODELS = {
    "gaussian": ("api00 ~ ell + meals + stype", "gaussian", "stype"),
    "gaussianna": ("growth ~ target + stype", "gaussian", "target"),
    "binomial": ("sw ~ ell + stype", "binomial", "stype"),
    "quasibinomial": ("sw ~ meals * awards", "quasibinomial", "meals:awards"),
    "poisson": ("ell ~ meals + stype", "poisson", "stype"),
}


def _rows(key, level, values: dict):
    return pd.DataFrame({"key": key, "level": level, "field": list(values), "ours": list(values.values())})


def fit_rows(fit, test):
    t = fit.table
    out = [pd.DataFrame({"key": t.term, "level": "-", "field": f, "ours": t[f]})
           for f in ("estimate", "se", "ci_low", "ci_high")]
    out.append(_rows("ALL", "-", {"df": fit.df_residual}))
    w = reg_term_test(fit, test)
    c = reg_term_test(fit, test, df=np.inf)
    out.append(_rows("ALL", test, {"F": w.statistic, "p_value": w.p_value, "ddf": w.ddf,
                                   "chisq": c.chisq, "p_chisq": c.p_value}))
    return pd.concat(out, ignore_index=True)


def run_case(case: str) -> pd.DataFrame:
    parts = case.split("/")
    if parts[0] == "glm":
        if parts[1] == "safety-rake":
            d = safety_did_design()
            return fit_rows(svyglm(d, "otrygg ~ yearf * area", family="binomial", na_rm=True), "yearf:area")
        formula, family, test = MODELS[parts[2]]
        return fit_rows(svyglm(design(parts[1]), formula, family=family, na_rm=True), test)
    if parts[0] == "did":
        ind = {"otrygg": NTU_OTRYGG_KVALL, "belysning": _indicator("problem_belysning")}[parts[1]]
        r = survey_did(safety_frame(), ind, kommunkod="2181", area=parts[2], start="2024-01-01",
                       margins=safety_margins())
        assert r.before_years == (2023,) and r.after_years == (2025,)
        return _rows("ALL", "-", {"estimate": r.estimate, "se": r.se, "df": r.df, "ci_low": r.ci_low,
                                  "ci_high": r.ci_high})
    raise KeyError(case)


CASES = sorted(golden_ext()["case"].unique())


def compare(case):
    ref = golden_ext()[golden_ext()["case"] == case].drop(columns="case")
    m = ref.merge(run_case(case), on=["key", "level", "field"], how="left")
    missing = m[m["ours"].isna() & m["value"].notna()]
    assert missing.empty, f"{case}: no value for\n{missing.head(10)}"
    ok = (m["value"].isna() & m["ours"].isna()) | np.isclose(m["ours"], m["value"], rtol=RTOL, atol=ATOL)
    bad = m[~ok]
    assert bad.empty, f"{case}: {len(bad)} of {len(m)} values differ\n{bad.head(12).to_string()}"


@pytest.mark.parametrize("case", CASES)
def test_golden_extensions(case):
    compare(case)
