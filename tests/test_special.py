"""analysis._special: the distribution functions of the evaluation draft, without scipy.stats.

They must give scipy.stats' answers, edge cases included, and the evaluation draft's modules
must not import scipy.stats or seaborn (about 0.8 s of a one-measure draft)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import analysis
from analysis import _special as sp

Q = np.array([0.0, 1e-300, 1e-12, 0.001, 0.025, 0.05, 0.3, 0.5, 0.7, 0.95, 0.975, 0.999,
              1 - 1e-12, 1.0, -0.1, 1.1, np.nan])
X = np.array([-np.inf, -40.0, -3.0, -1.0, -1e-9, 0.0, 1e-9, 0.5, 1.96, 3.0, 8.0, 40.0,
              np.inf, np.nan])
DF = np.array([1.0, 2.0, 3.5, 10.0, 30.0, 1e6, np.inf, 0.0, -1.0, np.nan])


def _same(a, b):
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def test_normal():
    _same(sp.norm_ppf(Q), stats.norm.ppf(Q))
    _same(sp.norm_sf(X), stats.norm.sf(X))
    for ours, theirs in [(sp.norm_ppf(0.975), stats.norm.ppf(0.975)),
                         (sp.norm_sf(1.5), stats.norm.sf(1.5)),
                         (sp.t_ppf(0.975, 7), stats.t.ppf(0.975, 7)),
                         (sp.t_sf(2.1, 7), stats.t.sf(2.1, 7)),
                         (sp.chi2_sf(3.0, 2), stats.chi2.sf(3.0, 2))]:
        assert ours == theirs and type(ours) is type(theirs) is np.float64


@pytest.mark.parametrize("df", DF)
def test_t(df):
    _same(sp.t_ppf(Q, df), stats.t.ppf(Q, df))
    _same(sp.t_sf(X, df), stats.t.sf(X, df))


@pytest.mark.parametrize("df", [1, 2, 3, 7.5, 40, 0, -1, np.nan])
def test_chi2(df):
    x = np.array([-np.inf, -1.0, 0.0, 1e-6, 0.5, 3.84, 20.0, 200.0, np.inf, np.nan])
    _same(sp.chi2_sf(x, df), stats.chi2.sf(x, df))


def test_broadcasting_as_scipy_stats():
    q, df = np.array([[0.9], [0.975]]), np.array([2.0, 5.0, np.inf])
    _same(sp.t_ppf(q, df), stats.t.ppf(q, df))
    _same(sp.t_sf(np.array([[1.0], [2.5]]), df), stats.t.sf(np.array([[1.0], [2.5]]), df))


_DRAFT_MODULES = ["analysis.evaluation", "analysis.report.evaluation",
                  "analysis.report.evaluation_figures", "analysis.report.tables",
                  "analysis.report.wording", "analysis.paths"]


def _run(code: str) -> dict:
    env = dict(os.environ)
    src = str(Path(analysis.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env["MPLBACKEND"] = "Agg"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=300, cwd=Path(src).parent)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_the_evaluation_draft_needs_neither_scipy_stats_nor_seaborn(full_sample):
    # the notebook's imports, then one measure's evaluation and every figure the draft draws
    out = _run(f"""
import json, sys, tempfile
import {", ".join(_DRAFT_MODULES)}
after_import = sorted(m for m in ("scipy.stats", "seaborn") if m in sys.modules)
from analysis.evaluation import evaluate_measure, load_measure_data, shared_power
from analysis.report import evaluation_figures as ef
ds = load_measure_data({str(full_sample)!r}, "M2181-01", survey=False)
ev = evaluate_measure(ds, "M2181-01")
pw = shared_power(ds, "M2181-01", n_sim=20, cache_dir=tempfile.mkdtemp())
for fig in (ef.plot_counterfactual(ev.counterfactual, title="a"),
            ef.plot_synthetic_gap(ev.synthetic.gap, title="b"),
            ef.plot_placebos(ev.synthetic.placebo, title="c"),
            ef.plot_event_study(ev.controlled.event_study, title="d"),
            ef.plot_power(pw.table, title="e")):
    fig._png()
print(json.dumps({{"import": after_import,
                  "run": sorted(m for m in ("scipy.stats", "seaborn") if m in sys.modules)}}))
""")
    assert out == {"import": [], "run": []}
