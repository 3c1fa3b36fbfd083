"""Calibration: margins met, reports, errors, and variance that accounts for the calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.survey import SurveyDesign, mean, total
from analysis.survey.calibration import (CalibrationWarning, calibrate, population_totals, poststratify,
                                         rake, trim_weights, wave_design)

from .conftest import api, safety_frame, safety_margins

POP_TYPES = pd.DataFrame({"stype": ["E", "H", "M"], "Freq": [4421, 755, 1018]})
POP_SCHWIDE = pd.DataFrame({"sch.wide": ["No", "Yes"], "Freq": [1072, 5122]})


@pytest.fixture(scope="module")
def clus1():
    return SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc")


def test_poststratify_meets_counts_and_calibrated_totals_have_no_variance(clus1):
    ps = poststratify(clus1, "stype", POP_TYPES)
    t = total(ps, "api00", disclosure=None)  # touch the estimator once
    assert t.n[0] == 183
    w = ps.weights().to_numpy()
    types = api("apiclus1").stype.to_numpy()
    assert np.allclose([w[types == s].sum() for s in "EHM"], POP_TYPES.Freq)
    d = ps.with_columns(is_h=(types == "H").astype(float))
    tot_h = total(d, "is_h", disclosure=None).iloc[0]
    assert tot_h.estimate == pytest.approx(755) and tot_h.se < 1e-8
    rep = ps.calibration[0]
    assert rep.converged and rep.max_abs_misfit < 1e-8 and "post-stratification" in rep.summary()


def test_poststratify_errors(clus1):
    with pytest.raises(DataError, match="absent from the sample"):
        poststratify(clus1, "stype", pd.concat([POP_TYPES, pd.DataFrame({"stype": ["X"], "Freq": [5]})]))
    with pytest.warns(CalibrationWarning, match="absent from sample"):
        poststratify(clus1, "stype", pd.concat([POP_TYPES, pd.DataFrame({"stype": ["X"], "Freq": [5]})]),
                     partial=True)
    with pytest.raises(DataError, match="absent from the population"):
        poststratify(clus1, "stype", POP_TYPES.iloc[:2])
    with pytest.raises(DataError, match="count column"):
        poststratify(clus1, "stype", POP_TYPES.rename(columns={"Freq": "n"}))


def test_rake_report_and_nonconvergence(clus1):
    r = rake(clus1, ["stype", "sch.wide"], [POP_TYPES, POP_SCHWIDE])
    rep = r.calibration[-1]
    assert rep.converged and set(rep.table.total) >= {"stype=E", "sch.wide=Yes"}
    with pytest.warns(CalibrationWarning, match="did not converge"):
        bad = rake(clus1, ["stype", "sch.wide"], [POP_TYPES, POP_SCHWIDE], maxit=1, epsilon=1e-12)
    assert not bad.calibration[-1].converged


def test_rake_greg_variance_equals_calibrate_raking(clus1):
    """rake(variance='greg') with converged weights is calibrate(calfun='raking'): two routes."""
    a = rake(clus1, ["stype", "sch.wide"], [POP_TYPES, POP_SCHWIDE], variance="greg", epsilon=1e-13, maxit=500)
    b = calibrate(clus1, ["stype", "sch.wide"], {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018,
                                                 "sch.wideYes": 5122}, calfun="raking")
    ma, mb = (mean(x, "api00", by="awards", disclosure=None) for x in (a, b))
    assert np.allclose(ma.estimate, mb.estimate, rtol=1e-9) and np.allclose(ma.se, mb.se, rtol=1e-7)
    # rake()'s own variance (ten backfitting sweeps) is close to it but not identical
    mr = mean(rake(clus1, ["stype", "sch.wide"], [POP_TYPES, POP_SCHWIDE]), "api00", by="awards", disclosure=None)
    assert np.allclose(mr.se, mb.se, rtol=1e-2)


def test_calibrate_bounds_trim_and_failure(clus1):
    tot = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": float(api("apipop").api99.sum())}
    g = calibrate(clus1, ["stype", "api99"], tot, bounds=(0.7, 1.7))
    ratio = g.weights() / clus1.weights()
    assert ratio.min() >= 0.7 - 1e-9 and ratio.max() <= 1.7 + 1e-9
    assert g.calibration[-1].max_abs_misfit < 1e-3
    # survey 4.1-1 ignores trim= for unbounded linear calibration; here it is applied
    t = calibrate(clus1, ["stype", "api99"], tot, trim=(0.8, 1.15))
    r = (t.weights() / clus1.weights())
    assert r.min() >= 0.8 - 1e-9 and t.calibration[-1].n_trimmed > 0
    with pytest.raises(ValueError, match="finite bounds"):
        calibrate(clus1, ["stype"], tot, calfun="logit")
    with pytest.warns(CalibrationWarning), pytest.raises(DataError, match="Calibration failed"):
        calibrate(clus1, ["stype", "api99"], tot, bounds=(0.99, 1.01), calfun="raking", maxit=5)
    with pytest.warns(CalibrationWarning):
        forced = calibrate(clus1, ["stype", "api99"], tot, bounds=(0.99, 1.01), calfun="raking", maxit=5, force=True)
    assert not forced.calibration[-1].converged
    with pytest.raises(DataError, match="population totals missing"):
        calibrate(clus1, ["stype", "api99"], {"(Intercept)": 1})


def test_population_totals_from_margins_table():
    m = safety_margins()
    tot = population_totals(m, ["yearf", "sex*age_group"])
    assert tot["(Intercept)"] == m.population.sum()
    assert tot["sexman:age_group65-84"] == m.population[(m.sex == "man") & (m.age_group == "65-84")].sum()
    d = SurveyDesign.from_survey(safety_frame().assign(yearf=safety_frame().year.astype(str)))
    c = calibrate(d, ["yearf", "sex*age_group"], m)
    assert c.calibration[-1].max_abs_misfit < 1e-6


def test_trim_weights(clus1):
    strat = SurveyDesign(api("apistrat"), strata="stype", weights="pw")
    t = trim_weights(strat, upper=30)
    big = strat.weights() > 30
    assert np.allclose(t.weights()[big], 30) and np.isclose(t.weights().sum(), strat.weights().sum())
    assert trim_weights(strat, upper=1e9) is strat
    strict = trim_weights(strat, upper=32, lower=18, strict=True)
    assert strict.weights().between(18 - 1e-9, 32 + 1e-9).all()
    with pytest.raises(DataError, match="every weight"):
        trim_weights(clus1, upper=30)


def test_wave_design_rakes_one_wave_to_its_margins():
    frame, margins = safety_frame(), safety_margins()
    d = wave_design(frame, margins, kommunkod="2181", year=2025)
    assert d.n_rows == int((frame["year"] == 2025).sum())
    by_area = total(d.with_columns(one=np.ones(d.n_rows)), "one", by="area").set_index("area")
    want = margins[margins["year"] == 2025].groupby("area")["population"].sum()
    np.testing.assert_allclose(by_area.loc[want.index, "estimate"], want, rtol=1e-6)
    # without margins the design weights stand
    plain = wave_design(frame, None, kommunkod="2181", year=2025)
    w = frame.loc[frame["year"] == 2025, "design_weight"].sum()
    assert total(plain.with_columns(one=np.ones(plain.n_rows)), "one")["estimate"].iloc[0] == \
        pytest.approx(w)
