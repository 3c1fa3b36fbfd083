"""survey_did on the sample's planted survey shifts, its independent route and its errors.

The sample plants each measure's shift on the log odds *given* a respondent's latent trait,
sex and age; the survey sees the population-averaged (marginal) shift, which is smaller in
absolute value. The truth used here is that marginal DiD, computed from the sample's own
population model (cell populations and Gauss-Hermite shares).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.sample import generate
from analysis.sample._base import DEFAULT_SEED, SURVEY_YEARS, YEARS
from analysis.sample.measures import MEASURES, survey_shifts
from analysis.sample.survey import ITEM_NAMES, ITEMS, expected_share, kommun_model
from analysis.survey import indicators_from_catalogue, proportion
from analysis.survey.effects import survey_did

BLEKINGE_REST = ["1060", "1081", "1082", "1083"]
SURVEY_ONLY = [m for m in MEASURES if not m.target_crime_types]


@lru_cache(maxsize=1)
def sample():
    codes = sorted({m.kommunkod for m in SURVEY_ONLY} | set(BLEKINGE_REST))
    return generate(kommuner=codes)


def _indicator(item):
    return {d.item: d for d in indicators_from_catalogue(sample().items)}[item]


def _pop_shares(code, item, areas, planted=True):
    m = kommun_model(DEFAULT_SEED, code)
    j = ITEM_NAMES.index(item)
    eta = m.eta[:, j]
    if not planted:
        eta = eta - survey_shifts(code, SURVEY_YEARS, ITEM_NAMES, m.areas.names)[:, j][:, :, None, None]
    sel = np.array([areas is None or a in areas for a in m.areas.names])
    out = []
    for w, year in enumerate(SURVEY_YEARS):
        pop = m.cells[YEARS.index(year)].astype(float)
        out.append([(expected_share(eta[w], ITEMS[j].loading) * pop)[sel].sum(), pop[sel].sum()])
    return np.array(out)


def true_marginal_did(measure, item, after, planted=True):
    """The population DiD of logit shares that survey_did estimates (the estimand)."""
    if measure.area is not None:
        names = kommun_model(DEFAULT_SEED, measure.kommunkod).areas.names
        tr = _pop_shares(measure.kommunkod, item, [measure.area], planted)
        co = _pop_shares(measure.kommunkod, item, [a for a in names if a != measure.area])
    else:
        tr = _pop_shares(measure.kommunkod, item, None, planted)
        co = sum(_pop_shares(c, item, None) for c in BLEKINGE_REST)
    d = np.log(tr[:, 0] / (tr[:, 1] - tr[:, 0])) - np.log(co[:, 0] / (co[:, 1] - co[:, 0]))
    a = np.array([y in after for y in SURVEY_YEARS])
    return d[a].mean() - d[~a].mean()


def _did(measure, item):
    s = sample()
    kw = {"area": measure.area} if measure.area else {"comparison": BLEKINGE_REST}
    return survey_did(s.survey, _indicator(item), kommunkod=measure.kommunkod, start=measure.start,
                      margins=s.margins, **kw)


CASES = [(m, item) for m in SURVEY_ONLY for item in (list(m.survey_shift) or ["problem_belysning"])]


@pytest.mark.parametrize("measure,item", CASES, ids=[f"{m.measure_id}-{i}" for m, i in CASES])
def test_every_survey_only_measure_gets_an_interval(measure, item):
    r = _did(measure, item)
    assert np.isfinite(r.se) and r.se > 0 and r.ci_low < r.estimate < r.ci_high
    assert set(r.waves["period"]) == {"före", "efter"} and len(r.table) == 1
    assert (r.waves[["n_treated", "n_comparison"]] > 0).all().all()
    assert r.waves[["n_treated", "n_comparison"]].to_numpy().sum() == r.n
    assert r.table["odds_ratio"].iloc[0] == pytest.approx(np.exp(r.estimate))


def test_intervals_cover_the_marginal_truth_on_the_sample():
    """Five of the six 95 % intervals cover the true marginal DiD; the miss is the null measure
    M1760-02 (truth -0.001, interval [-1.35, -0.025], p = 0.04): one seeded draw, the 1 in 20 a
    95 % interval misses (benchmarks/survey_benchmark.py measures the coverage over seeds)."""
    misses = []
    for measure, item in CASES:
        r = _did(measure, item)
        truth = true_marginal_did(measure, item, r.after_years)
        if not r.ci_low <= truth <= r.ci_high:
            misses.append(measure.measure_id)
    assert misses == ["M1760-02"]


@pytest.mark.parametrize("measure,item", [c for c in CASES if c[0].survey_shift],
                         ids=[f"{m.measure_id}-{i}" for m, i in CASES if m.survey_shift])
def test_marginal_effect_is_attenuated_relative_to_the_planted_conditional_shift(measure, item):
    after = tuple(y for y in SURVEY_YEARS if y > pd.Timestamp(measure.start).year)
    effect = true_marginal_did(measure, item, after) - true_marginal_did(measure, item, after, planted=False)
    planted = measure.survey_shift[item]
    assert np.sign(effect) == np.sign(planted) and 0.75 * abs(planted) < abs(effect) < abs(planted)


def test_did_equals_the_contrast_of_logit_domain_proportions():
    """Independent route: the saturated svyglm's DiD is the DiD of logit(proportion by domain)."""
    s = sample()
    ind = _indicator("problem_trafik")
    r = survey_did(s.survey, ind, kommunkod="2026", area="Mockfjärd", start="2022-06-01", margins=None)
    from analysis.survey import SurveyDesign, add_indicators
    rows = s.survey.loc[s.survey["kommunkod"] == "2026"].copy()
    rows["grp"] = np.where(rows["area"] == "Mockfjärd", "a", "b")
    d = add_indicators(SurveyDesign.from_survey(rows), [ind])
    p = proportion(d, ind.name, by=["year", "grp"], levels=[1.0], na_rm=True, disclosure=None)
    lo = p.set_index(["year", "grp"])["estimate"].pipe(lambda x: np.log(x / (1 - x)))
    diff = lo.xs("a", level="grp") - lo.xs("b", level="grp")
    expected = diff[list(r.after_years)].mean() - diff[list(r.before_years)].mean()
    assert r.estimate == pytest.approx(expected, rel=1e-9)
    assert r.waves["log_odds_difference"].to_numpy() == pytest.approx(diff.to_numpy(), rel=1e-9)


def test_errors_name_the_problem():
    s = sample()
    ind = _indicator("problem_trafik")
    with pytest.raises(DataError, match="not a survey area"):
        survey_did(s.survey, ind, kommunkod="2026", area="Atlantis", start="2022-06-01")
    with pytest.raises(DataError, match="comparison="):
        survey_did(s.survey, ind, kommunkod="2026", start="2022-06-01")
    with pytest.raises(DataError, match="before and after"):
        survey_did(s.survey, ind, kommunkod="2026", area="Mockfjärd", start="2030-01-01")
    with pytest.raises(TypeError):
        survey_did(s.survey, "problem_trafik", kommunkod="2026", area="Mockfjärd", start="2022-06-01")
