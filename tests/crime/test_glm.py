"""Batched IRLS: same answers as statsmodels (1e-9) and as a loop, edge cases flagged."""

import numpy as np
import pytest
import statsmodels.api as sm

from analysis.crime.glm import fit_batch, hac_meat
from analysis.crime.variance import block_dispersion


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    n, S = 96, 12
    t = (np.arange(n) - n / 2) / 12
    m = np.arange(n) % 12 + 1
    X = np.column_stack([np.ones(n), t, np.sin(2 * np.pi * m / 12), np.cos(2 * np.pi * m / 12)])
    off = np.log(rng.uniform(1e3, 1e5, S))[:, None] + np.zeros(n)
    lam = np.exp(rng.uniform(0, 4, S)[:, None] - 8 + off + 0.04 * t + 0.3 * X[:, 2])
    y = rng.poisson(lam * rng.gamma(15, 1 / 15, (S, n))).astype(float)
    return y, X, off


def test_poisson_matches_statsmodels(data):
    y, X, off = data
    f = fit_batch(y, X, offset=off)
    assert f.converged.all()
    for s in range(y.shape[0]):
        r = sm.GLM(y[s], X, family=sm.families.Poisson(), offset=off[s]).fit(method="newton",
                                                                              tol=1e-14)
        np.testing.assert_allclose(f.params[s], r.params, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(f.bse()[s], r.bse, rtol=1e-9)
        np.testing.assert_allclose(f.deviance[s], r.deviance, rtol=1e-9)
        np.testing.assert_allclose(f.llf[s], r.llf, rtol=1e-9)
        np.testing.assert_allclose(f.pearson_chi2[s], r.pearson_chi2, rtol=1e-9)


def test_negative_binomial_fixed_theta_matches_statsmodels(data):
    y, X, off = data
    f = fit_batch(y, X, offset=off, family="negbin", theta=8.0)
    for s in range(4):
        model = sm.GLM(y[s], X, family=sm.families.NegativeBinomial(alpha=1 / 8.0), offset=off[s])
        r = model.fit(method="newton", tol=1e-14)
        np.testing.assert_allclose(f.params[s], r.params, rtol=1e-9, atol=1e-10)
        # standard errors from the expected information, as R glm and statsmodels' IRLS
        r = model.fit(method="irls", tol=1e-14, maxiter=500)
        np.testing.assert_allclose(f.bse()[s], r.bse, rtol=1e-9)


@pytest.mark.filterwarnings("ignore:Maximum Likelihood optimization failed")  # BFGS at gtol 1e-10
def test_negative_binomial_ml_matches_statsmodels_discrete(data):
    y, X, off = data
    f = fit_batch(y, X, offset=off, family="negbin")
    for s in range(3):
        # statsmodels' NB2 maximum likelihood (Nelder-Mead, then BFGS) from 10 % away
        model = sm.NegativeBinomial(y[s], X, offset=off[s])
        start = np.r_[f.params[s], 1 / f.theta[s]] * 1.1
        r = model.fit(method="nm", maxiter=20000, disp=0, start_params=start)
        r = model.fit(method="bfgs", maxiter=2000, gtol=1e-10, disp=0, start_params=r.params)
        np.testing.assert_allclose(f.params[s], r.params[:-1], rtol=1e-6, atol=1e-7)  # BFGS
        np.testing.assert_allclose(f.theta[s], 1 / r.params[-1], rtol=1e-6)
        assert f.llf[s] == pytest.approx(r.llf, rel=1e-12)


def test_weights_mask_observations_like_dropping_them(data):
    y, X, off = data
    w = np.ones_like(y)
    w[:, 30:40] = 0
    f = fit_batch(y, X, offset=off, weights=w)
    keep = np.ones(y.shape[1], bool)
    keep[30:40] = False
    g = fit_batch(y[:, keep], X[keep], offset=off[:, keep])
    np.testing.assert_allclose(f.params, g.params, rtol=1e-10)
    np.testing.assert_allclose(f.bse("quasi"), g.bse("quasi"), rtol=1e-10)
    assert (f.df_resid == g.df_resid).all()


def test_per_series_designs_equal_separate_fits(data):
    y, X, off = data
    X3 = np.stack([X * np.array([1, 1 + 0.1 * s, 1, 1]) for s in range(y.shape[0])])
    f = fit_batch(y, X3, offset=off)
    for s in (0, 5, 11):
        g = fit_batch(y[s], X3[s], offset=off[s])
        np.testing.assert_allclose(f.params[s], g.params[0], rtol=1e-10)


def test_no_events_is_not_estimable():
    X = np.column_stack([np.ones(24), np.arange(24) / 12])
    y = np.vstack([np.zeros(24), np.full(24, 3.0)])
    f = fit_batch(y, X)
    assert not f.estimable[0] and f.estimable[1]
    assert np.isnan(f.params[0]).all() and not f.converged[0]


def test_a_singular_series_does_not_stop_the_others(data):
    """A series whose design is singular (here a column that is zero wherever it has weight)
    is reported as not estimable; the other series of the batch fit as they would alone."""
    y, X, off = data
    X3 = np.stack([X.copy() for _ in range(y.shape[0])])
    w = np.ones_like(y, dtype=float)
    X3[2, :, 1] = 0.0  # series 2: its second column carries no information
    f = fit_batch(y, X3, offset=off, weights=w)
    assert not f.estimable[2] and np.isnan(f.params[2]).all()
    alone = fit_batch(y[5], X, offset=off[5])
    np.testing.assert_allclose(f.params[5], alone.params[0], rtol=1e-10)
    assert f.estimable[np.arange(y.shape[0]) != 2].all()


def test_hac_lag_zero_is_hc0(data):
    """Newey-West with lag 0 is White's HC0 sandwich (statsmodels cov_type='HC0')."""
    y, X, off = data
    f = fit_batch(y, X, offset=off)
    r = sm.GLM(y[0], X, family=sm.families.Poisson(), offset=off[0]).fit(
        method="newton", tol=1e-14, cov_type="HC0")
    np.testing.assert_allclose(f.bse("hac", lag=0)[0], r.bse, rtol=1e-8)
    assert hac_meat(f.score_contributions(), lag=3).shape == (y.shape[0], 4, 4)


def test_block_dispersion_by_hand_and_vectorised_path_agree(data):
    y, X, off = data
    f = fit_batch(y, X, offset=off)
    phi, df = block_dispersion(f)
    O, E = y[0].reshape(8, 12).sum(1), f.mu[0].reshape(8, 12).sum(1)
    assert phi[0] == pytest.approx(np.sum((O - E) ** 2 / E) / 6, rel=1e-12)
    assert (df == 6).all()
    big = fit_batch(np.tile(y, (6, 1)), X, offset=np.tile(off, (6, 1)))  # S >= 64 path
    phi_big, _ = block_dispersion(big)
    np.testing.assert_allclose(phi_big[:12], phi, rtol=1e-10)


def test_block_dispersion_short_start_joins_first_block():
    X = np.column_stack([np.ones(30), np.arange(30) / 12])
    y = np.random.default_rng(1).poisson(20, size=30)
    f = fit_batch(y, X)
    phi, df = block_dispersion(f)  # 30 = 6 + 12 + 12 -> blocks of 18, 12 (first absorbs 6)
    O = np.array([y[:18].sum(), y[18:].sum()])
    assert df[0] == 0 and np.isnan(phi[0])
    assert O.sum() == y.sum()


def test_bad_input_raises():
    with pytest.raises(ValueError, match="match"):
        fit_batch(np.ones((2, 10)), np.ones((9, 2)))
    with pytest.raises(ValueError, match=">= 0"):
        fit_batch(-np.ones((1, 10)), np.ones((10, 1)))
