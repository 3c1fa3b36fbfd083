"""Time and place (analysis.crime.place): golden values against R 4.2.2
(tests/reference/crime/place_tests.R) and recovery of the sample's planted hot spots."""

import numpy as np
import pandas as pd
import pytest

from analysis.crime.place import (chisq_gof, chisq_independence, place_change, poisson_test,
                                  top_places, weekday_hour)
from analysis.errors import DataError
from analysis.sample import SAMPLE_KOMMUNER
from analysis.sample.incidents import PEAK_CELLS, incidents_frame, incidents_truth
from scipy import stats

from .conftest import REF

R = pd.read_csv(REF / "place_reference.csv", comment="#", dtype={"case": str})


def golden(block, case, quantity):
    hit = R[(R.block == block) & (R.case == case) & (R.quantity == quantity)]
    assert len(hit) == 1, (block, case, quantity)
    return float(hit["value"].iloc[0])


@pytest.fixture(scope="module")
def incidents():
    return incidents_frame(20260101, SAMPLE_KOMMUNER)


# ------------------------------------------------------------------ golden values against R

def test_poisson_test_matches_r():
    rows = R[R.block == "poisson"]
    assert len(rows) == 50
    for case, value in zip(rows.case, rows.value):
        x, m = (float(part.split("=")[1]) for part in case.split(";"))
        assert poisson_test([x], [m])[0] == pytest.approx(value, rel=1e-9, abs=1e-14), case


def test_binomial_share_test_and_interval_match_r():
    # top_places uses scipy's binomtest; this pins it to R's binom.test
    for case in R.loc[R.block == "binom", "case"].unique():
        x, n, p = (float(part.split("=")[1]) for part in case.split(";"))
        t = stats.binomtest(int(x), int(n), p)
        ci = t.proportion_ci(method="exact")
        assert t.pvalue == pytest.approx(golden("binom", case, "p_value"), rel=1e-9), case
        assert ci.low == pytest.approx(golden("binom", case, "ci_low"), rel=1e-8, abs=1e-14)
        assert ci.high == pytest.approx(golden("binom", case, "ci_high"), rel=1e-8)


def _incidents_from_table(a, b, c, d):
    """Incidents whose place × period table is [[a, b], [c, d]] (later period first)."""
    rows = ([("Torget", "2025-05-01")] * a + [("Annat", "2025-05-01")] * b
            + [("Torget", "2024-05-01")] * c + [("Annat", "2024-05-01")] * d)
    return pd.DataFrame({"kommunkod": "2181", "date": pd.to_datetime([r[1] for r in rows]),
                         "time": "12:00", "place": [r[0] for r in rows], "type": "Stöld",
                         "source": "Skola"})


@pytest.mark.parametrize("case", ["45/575/18/602", "5/250/2/258", "60/840/55/845",
                                  "0/140/6/144", "156/744/52/848"])
def test_place_change_is_fishers_exact_test(case):
    a, b, c, d = map(int, case.split("/"))
    ch = place_change(_incidents_from_table(a, b, c, d), period1=2024, period2=2025)
    row = ch.set_index("place").loc["Torget"]
    assert (row.x1, row.n1, row.x2, row.n2) == (c, c + d, a, a + b)
    assert row.p_value == pytest.approx(golden("fisher", case, "p_value"), rel=1e-6)
    # R finds the estimate and the interval with uniroot's default absolute tolerance
    # (.Machine$double.eps^0.25 = 1.2e-4) on t or 1/t, whichever lies in (0, 1): agree on
    # that scale to that tolerance, not to R's last digits
    for q in ("odds_ratio", "ci_low", "ci_high"):
        ours, r = row[q], golden("fisher", case, q)
        assert _unit(ours) == pytest.approx(_unit(r), abs=2.5e-4), q


def _unit(v: float) -> float:
    return v if v <= 1 else 1 / v


@pytest.mark.parametrize("name,x", [("dense", [30, 10, 20, 25, 18, 40, 33]),
                                    ("sparse", [0, 1, 3, 0, 2, 7, 1, 0, 0, 4, 1, 1])])
def test_goodness_of_fit_matches_r(name, x):
    asym = chisq_gof(x, min_expected=0)
    assert asym["statistic"] == pytest.approx(golden("gof", name, "statistic"), rel=1e-12)
    assert asym["p_value"] == pytest.approx(golden("gof", name, "p_value_asymptotic"), rel=1e-9)
    sim = chisq_gof(x, n_sim=20000, min_expected=np.inf)
    p = golden("gof", name, "p_value_simulated")
    assert "Monte Carlo" in sim["method"]
    assert abs(sim["p_value"] - p) < 4 * np.sqrt(p * (1 - p) / 20000) + 2 / 20000


@pytest.mark.parametrize("name,x", [
    ("dense", [[40, 22, 31], [18, 25, 44], [20, 30, 35]]),
    ("sparse", [[3, 0, 1, 5], [0, 2, 4, 1], [1, 0, 6, 2]])])
def test_independence_matches_r(name, x):
    asym = chisq_independence(x, min_expected=0)
    assert asym["statistic"] == pytest.approx(golden("independence", name, "statistic"), rel=1e-12)
    assert asym["p_value"] == pytest.approx(golden("independence", name, "p_value_asymptotic"),
                                            rel=1e-9)
    sim = chisq_independence(x, n_sim=20000, min_expected=np.inf)
    p = golden("independence", name, "p_value_simulated")
    assert abs(sim["p_value"] - p) < 4 * np.sqrt(p * (1 - p) / 20000) + 2 / 20000


# ------------------------------------------------------------------ the planted truth is found

@pytest.mark.parametrize("code", SAMPLE_KOMMUNER)
def test_planted_hot_places_are_found(incidents, code):
    truth = incidents_truth([code])
    p = top_places(incidents, kommunkod=code)
    hot = set(truth["hot_places"])
    high = set(p.loc[p.verdict == "högre", "place"])
    # the two hot places are the two highest and are said to be high; no other place is
    assert set(p["place"].head(2)) == hot
    assert hot <= high
    assert high <= hot | {truth["rising_place"]["place"]}
    top = p.set_index("place").loc["Resecentrum"]
    assert top["rank"] == 1 and top["rank_low"] == 1
    # ties are admitted: the ordinary places share plausible ranks
    ordinary = p[~p.place.isin(hot | {truth["rising_place"]["place"]})]
    assert (ordinary["rank_high"] - ordinary["rank_low"]).max() >= 2
    assert (p["ci_low"] <= p["count"]).all() and (p["count"] <= p["ci_high"]).all()
    assert ((p["share_low"] <= p["share"]) & (p["share"] <= p["share_high"])).all()


@pytest.mark.parametrize("code", ["2181", "1080"])
def test_planted_weekend_night_peak_is_found(incidents, code):
    wh = weekday_hour(incidents, kommunkod=code)
    ratio = _true_ratio(incidents_truth([code]))
    peaks = {(int(r.weekday), int(r.hour)) for r in wh.peaks().itertuples()}
    # every cell said to be high is truly above the even spread (evenings are, mildly) ...
    assert all(ratio[d, h] > 1 for d, h in peaks)
    # ... and the strongest peaks found are the planted weekend nights
    top = {(int(r.weekday), int(r.hour)) for r in wh.peaks().head(4).itertuples()}
    assert top <= set(PEAK_CELLS)
    assert len(peaks & set(PEAK_CELLS)) >= 4
    tests = wh.tests.set_index("question")
    assert tests.loc["hela veckan", "verdict"] == "skillnad"
    assert tests.loc["veckodag × timme", "verdict"] == "skillnad"  # the peak is weekend-only
    assert wh.n + wh.n_missing_time == (incidents.kommunkod == code).sum()
    assert wh.n_missing_time > 0
    # a peak's interval lies above the even spread, as its verdict says
    assert (wh.peaks()["ci_low"] > 1).all()


def _true_ratio(truth) -> np.ndarray:
    """True intensity of each weekday × hour cell relative to an even spread, from the truth."""
    w = np.tile(np.asarray(truth["hour_profile"]), (7, 1))
    for d, h in truth["peak_cells"]["rows"]:
        w[d, h] *= truth["peak_factor"]
    return w / w.mean()


def test_small_kommun_says_less_but_nothing_false(incidents):
    wh = weekday_hour(incidents, kommunkod="1760")
    ratio = _true_ratio(incidents_truth(["1760"]))
    peaks = {(int(r.weekday), int(r.hour)) for r in wh.peaks().itertuples()}
    assert all(ratio[d, h] > 1 for d, h in peaks)
    assert not wh.table.loc[wh.table.small_numbers, "verdict"].eq("högre").any()
    assert "Monte Carlo" in wh.tests.set_index("question").loc["hela veckan", "method"]


@pytest.mark.parametrize("code", ["2181", "1080"])
def test_planted_rise_of_a_place_is_found(incidents, code):
    ch = place_change(incidents, kommunkod=code, period1=2024, period2=2025)
    up = ch[ch.verdict == "ökning"]
    assert up["place"].tolist() == ["Fritidsgården"]
    assert (ch.loc[ch.verdict != "ingen säkerställd förändring", "ci_low"] > 1).all()
    assert np.isfinite(up["percent_change"]).all()


def test_uniform_incidents_give_no_claims():
    rng = np.random.default_rng(3)
    n = 3000
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 731, n), unit="D")
    df = pd.DataFrame({"kommunkod": "2181", "date": dates,
                       "time": [f"{h:02d}:00" for h in rng.integers(0, 24, n)],
                       "place": rng.choice(list("ABCDEFGH"), n), "type": "Stöld", "source": "Skola"})
    wh = weekday_hour(df)
    assert (wh.table["verdict"] == "ingen säkerställd skillnad").all()
    assert (top_places(df)["verdict"] == "ingen säkerställd skillnad").all()
    assert (place_change(df, period1=2024, period2=2025)["verdict"]
            == "ingen säkerställd förändring").all()


def test_small_numbers_get_no_change_verdict():
    ch = place_change(_incidents_from_table(0, 140, 6, 144), period1=2024, period2=2025)
    row = ch.set_index("place").loc["Torget"]
    assert row.p_value < 0.05 and row.small_numbers
    assert row.verdict == "ingen säkerställd förändring"
    assert np.isnan(row.percent_change) and "fall" in row.percent_change_note


def test_clear_errors():
    with pytest.raises(DataError, match="columns"):
        weekday_hour(pd.DataFrame({"kommunkod": ["2181"], "date": ["2025-01-01"]}))
    df = incidents_frame(20260101, ["1760"])
    with pytest.raises(DataError, match="no incidents for kommun 2181"):
        top_places(df, kommunkod="2181")
    with pytest.raises(DataError, match="second period"):
        place_change(df, period1=2024, period2=2030)
    with pytest.raises(DataError, match="clock time"):
        weekday_hour(df.assign(time=None))


def test_indoor_share_says_most_only_when_the_interval_does():
    from analysis.crime.place import indoor_share
    per = pd.period_range("2024-01", periods=12, freq="M")

    def frame(k_in, k_out):
        return pd.concat([pd.DataFrame({"kommunkod": "2181", "period": per, "crime_type": t,
                                        "count": k}) for t, k in (("Misshandel inomhus", k_in),
                                                                  ("Misshandel utomhus", k_out))])
    r = indoor_share(frame(3, 1), kommunkod="2181", year=2024).iloc[0]
    assert r.verdict == "högre" and r.ci_low > 0.5 and (r.indoors, r.outdoors) == (36, 12)
    assert indoor_share(frame(1, 1), kommunkod="2181", year=2024).iloc[0].verdict == "ingen säkerställd skillnad"
    assert indoor_share(frame(0, 0), kommunkod="2181", year=2024).empty
    assert indoor_share(incidents_frame(20260101, ["1760"]).assign(period=None, crime_type="x", count=0)
                        .iloc[:0], kommunkod="2181", year=2024).empty
