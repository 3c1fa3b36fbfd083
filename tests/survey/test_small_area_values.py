"""Small areas in the draft (issue 11, item 8): a model only with enough areas, a model value
only where it is more precise than the area's own answers, and never a value for a suppressed
area."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.report.tables import small_area_table
from analysis.survey.small_area import FH_MIN_AREAS, small_area_values


def _direct(k=8, seed=1, n=None):
    rng = np.random.default_rng(seed)
    n = np.asarray(n if n is not None else rng.integers(40, 200, k))
    p = rng.uniform(0.1, 0.35, len(n))
    se = np.sqrt(p * (1 - p) / n) * 1.3
    return pd.DataFrame({"area": [f"O{i}" for i in range(len(n))], "estimate": p, "se": se,
                         "ci_low": p - 1.96 * se, "ci_high": p + 1.96 * se, "n": n,
                         "suppressed": n < 50})


def test_three_areas_get_no_model():
    # Storfors: three areas, every Fay-Herriot weight was 0 and every area showed 14 %
    d = _direct(n=[43, 58, 148])
    v = small_area_values(d, area="area")
    assert not v["fitted"].any() and FH_MIN_AREAS > 3
    assert list(v["shown"]) == ["ingen", "direkt", "direkt"]
    assert np.allclose(v.loc[1:, "estimate"], d.loc[1:, "estimate"])
    assert (v.loc[1:, "borrowed"] == 0).all()


def test_model_value_only_where_its_mse_is_below_the_direct_variance():
    d = _direct(k=10, seed=3)
    v = small_area_values(d, area="area")
    assert v["fitted"].all()
    ok = ~v["suppressed"]
    better = v["model_se"] ** 2 < v["direct_se"] ** 2
    assert ((v["shown"] == "modell") == (better & ok)).all()
    model = v["shown"] == "modell"
    assert np.allclose(v.loc[model, "borrowed"], 1 - v.loc[model, "gamma"])
    # a shown model interval is never wider than the direct one it replaces
    width = v["ci_high"] - v["ci_low"]
    direct_width = 2 * 1.959963984540054 * v["direct_se"]
    assert (width[model] <= direct_width[model] + 1e-12).all()


def test_suppressed_area_shows_nothing_not_even_a_model_value():
    d = _direct(k=8, seed=5, n=[30, 60, 80, 90, 100, 120, 150, 45])
    v = small_area_values(d, area="area")
    hidden = v[v["suppressed"]]
    assert len(hidden) == 2
    assert (hidden["shown"] == "ingen").all()
    for col in ("estimate", "ci_low", "ci_high", "direct_estimate", "model_estimate", "gamma"):
        assert hidden[col].isna().all(), col
    shown = small_area_table(v)
    rows = shown[v["suppressed"].to_numpy()]
    assert (rows["Visat värde (95 % KI)"] == "x").all()
    assert (rows["Områdets egna svar (95 % KI)"] == "x").all()
    assert (rows["Andel lånad från modellen"] == "x").all()
    assert rows["Värdet bygger på"].str.contains("redovisas inte").all()


def test_table_says_which_value_is_shown_and_how_much_it_borrows():
    v = small_area_values(_direct(k=10, seed=3), area="area")
    t = small_area_table(v)
    assert set(t["Värdet bygger på"]) <= {"modellskattning", "områdets egna svar",
                                          "redovisas inte (för få svarande)"}
    model = (v["shown"] == "modell").to_numpy()
    assert model.any()
    assert t.loc[model, "Andel lånad från modellen"].str.endswith("\u00a0%").all()


def test_bad_input():
    with pytest.raises(DataError, match="lack column 'se'"):
        small_area_values(_direct().drop(columns="se"), area="area")
    with pytest.raises(ValueError, match="at least 3"):
        small_area_values(_direct(), area="area", min_areas=2)
