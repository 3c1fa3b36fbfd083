"""qr_rank, the degrees of freedom of replicate designs: the blocked rank-revealing QR equals the
dense pivoted QR and the SVD rank on jackknife designs of many shapes (R's degf on the api
designs is checked by the golden tests; the speed by benchmarks/survey_benchmark.py --rank)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.survey import ReplicateDesign, SurveyDesign, SurveyOptions, as_replicate
from analysis.survey.calibration import poststratify
from analysis.survey.replicate import _blocked_rank, _dense_rank, qr_rank


def _svd_rank(X):
    sv = np.linalg.svd(X, compute_uv=False)
    return int(np.sum(sv > sv.max() * 1e-5))


def _design(rng, units, strata, clustered=False, lonely=None):
    df = pd.DataFrame({"s": rng.integers(0, strata, units), "w": rng.uniform(5, 20, units),
                       "g": rng.choice(["a", "b"], units)})
    if lonely:
        df.loc[0, "s"] = strata  # a stratum with one PSU
    if clustered:
        df["c"] = df["s"].astype(str) + "_" + rng.integers(0, 25, units).astype(str)
        return SurveyDesign(df, ids="c", strata="s", weights="w", options=SurveyOptions(lonely_psu=lonely or "fail"))
    return SurveyDesign(df, strata="s", weights="w", options=SurveyOptions(lonely_psu=lonely or "fail"))


@pytest.mark.parametrize("units,strata,clustered,lonely", [
    (120, 3, False, None), (400, 9, False, None), (300, 4, True, None), (200, 5, False, "adjust"),
    (200, 5, False, "average"), (200, 5, False, "remove"), (90, 2, False, None)])
def test_blocked_rank_equals_dense_and_svd(units, strata, clustered, lonely):
    rng = np.random.default_rng(units + strata)
    rep = as_replicate(_design(rng, units, strata, clustered, lonely), type="JKn")
    X = rep._analysis(np.arange(units))
    expected = _svd_rank(X)
    if strata >= 3 and lonely != "adjust":  # blocked route ('adjust' adds a replicate changing every row)
        assert _blocked_rank(X, np.asarray(rep._w), 1e-5) == expected
    assert qr_rank(X, reference=np.asarray(rep._w)) == expected == _dense_rank(X, 1e-5)
    assert rep.degf == expected - 1
    sub = rep.subset(rep._data["g"] == "a")
    rows = np.flatnonzero(sub._active)
    assert sub.degf == _svd_rank(sub._analysis(rows)) - 1


def test_supplied_combined_jackknife_weights_take_the_blocked_route():
    rng = np.random.default_rng(11)
    rep = as_replicate(_design(rng, 240, 4), type="JKn")
    W = rep.replicate_weights()
    data = pd.concat([rep._data.reset_index(drop=True), W], axis=1).assign(w=np.asarray(rep._w))
    supplied = ReplicateDesign(data, repweights=list(W.columns), weights="w", type="JKn", rscales=rep.rscales)
    X = supplied._analysis(np.arange(240))
    assert _blocked_rank(X, np.asarray(supplied._w), 1e-5) == _svd_rank(X)
    assert supplied.degf == rep.degf == _svd_rank(X) - 1


def test_calibrated_and_bootstrap_designs_fall_back_to_the_dense_qr():
    rng = np.random.default_rng(7)
    d = _design(rng, 150, 3)
    cal = poststratify(as_replicate(d, type="JKn"), "g", pd.DataFrame({"g": ["a", "b"], "population": [900, 1100]}))
    boot = as_replicate(d, type="bootstrap", replicates=60, seed=1)
    for rep in (cal, boot):
        X = rep._analysis(np.arange(150))
        assert rep.degf == _svd_rank(X) - 1


def test_structured_shortcuts():
    """Zero blocks, untouched rows and replicates equal to the full sample are handled."""
    rng = np.random.default_rng(3)
    w = rng.uniform(1, 2, 80)
    X = np.repeat(w[:, None], 70, axis=1)
    for k in range(0, 60, 3):  # pairs of rows changed by blocks of three replicates
        X[k:k + 2, k:k + 3] *= rng.uniform(0, 2, (2, 3))
    assert _blocked_rank(X, w, 1e-5) == _svd_rank(X) == _dense_rank(X, 1e-5)
    assert qr_rank(np.zeros((60, 4)), reference=np.ones(60)) == 0
