"""Difference-in-differences against R lm + sandwich and a published table."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.evaluation import did_2x2
from analysis.evaluation.did import panel_did

REF = Path(__file__).resolve().parents[1] / "reference" / "evaluation"


def test_wooldridge_example_13_3(reference):
    k = pd.read_csv(REF / "kielmc.csv")
    res = did_2x2(k, outcome="rprice", treated="nearinc", post="y81", cluster="nbh")
    t = res.table.set_index("method")
    ref = reference["kielmc"]
    # Wooldridge, Introductory Econometrics, Example 13.3: -11,863.9 (se 7,456.6)
    assert t.at["classic", "estimate"] == pytest.approx(-11863.9, abs=0.05)
    assert t.at["classic", "se"] == pytest.approx(7456.6, abs=0.05)
    assert t.at["classic", "se"] == pytest.approx(ref["se_classic"]["y81:nearinc"], rel=1e-9)
    assert t.at["hc1", "se"] == pytest.approx(ref["se_hc1"]["y81:nearinc"], rel=1e-9)
    assert t.at["cluster", "se"] == pytest.approx(ref["se_cluster_nbh"]["y81:nearinc"], rel=1e-9)
    ours = {"(Intercept)": "(Intercept)", "nearinc": "nearinc", "y81": "y81",
            "nearinc:y81": "y81:nearinc"}
    for name, value in res.coefficients.items():
        assert value == pytest.approx(ref["coef"][ours[name]], rel=1e-9)


def test_nsw_panel_clustered_by_person(reference):
    w = pd.read_csv(REF / "nsw_cps_panel.csv")
    w["post"] = (w["year"] == 1978).astype(int)
    res = did_2x2(w, outcome="re", treated="experimental", post="post", cluster="id")
    t = res.table.set_index("method")
    ref = reference["nsw"]
    assert t.at["classic", "estimate"] == pytest.approx(ref["coef"]["experimental:post"], rel=1e-9)
    for m, key in (("classic", "se_classic"), ("hc1", "se_hc1"), ("cluster", "se_cluster")):
        assert t.at[m, "se"] == pytest.approx(ref[key]["experimental:post"], rel=1e-9)
    assert res.n_clusters == ref["n_clusters"]
    assert t.at["cluster", "df"] == ref["n_clusters"] - 1


def _card_krueger():
    return pd.read_csv(REF / "card_krueger_njmin3.csv")


def test_card_krueger_file_pairs_the_two_waves_of_each_store():
    # the shipped file was transcribed from a public copy of njmin3; its redundancy checks every
    # row: a store's two rows share all store characteristics, and DEMP (the published change in
    # FTE) equals the November minus the February FTE wherever both are observed
    ck = _card_krueger()
    assert len(ck) == 820 and ck["store"].nunique() == 410
    assert (ck.groupby("store")["d"].apply(sorted).map(tuple) == (0, 1)).all()
    wide = ck.pivot(index="store", columns="d", values="fte")
    static = ["CO_OWNED", "SOUTHJ", "CENTRALJ", "PA1", "PA2", "DEMP", "nj", "bk", "kfc", "roys",
              "wendys"]
    assert (ck.groupby("store")[static].nunique(dropna=False) == 1).all().all()
    demp = ck[ck["d"] == 0].set_index("store")["DEMP"]
    both = wide.notna().all(axis=1)
    assert np.allclose((wide[1] - wide[0])[both], demp[both], atol=1e-9)
    assert demp[~both].isna().all()
    assert (ck[["bk", "kfc", "roys", "wendys"]].sum(axis=1) == 1).all()
    assert ((ck["PA1"] + ck["PA2"]) == 1 - ck["nj"]).all()
    assert (ck["d_nj"] == ck["d"] * ck["nj"]).all()


def test_card_krueger_table_3():
    # Card & Krueger (1994), Am Econ Rev 84:772-793, Table 3: mean FTE employment by state and
    # wave (rows 1-2), and the balanced sample of stores (row 4), standard errors in brackets
    ck = _card_krueger()
    means = ck.groupby(["nj", "d"])["fte"].mean().round(2)
    assert means[(0, 0)] == 23.33 and means[(1, 0)] == 20.44
    assert means[(0, 1)] == 21.17 and means[(1, 1)] == 21.03
    wide = ck.pivot(index="store", columns="d", values="fte").dropna()
    change = (wide[1] - wide[0]).groupby(ck.groupby("store")["nj"].first())
    assert change.mean().round(2).tolist() == [-2.28, 0.47]
    assert change.sem().round(2).tolist() == [1.25, 0.48]
    dd = change.mean()[1] - change.mean()[0]
    assert round(dd, 2) == 2.75 and round(float(np.sqrt((change.sem() ** 2).sum())), 2) == 1.34


def test_card_krueger_did_classic_hc1_and_store_clustered(reference):
    ck = _card_krueger()
    res = did_2x2(ck, outcome="fte", treated="nj", post="d", cluster="store")
    t = res.table.set_index("method")
    ref = reference["card_krueger"]
    # Hill, Griffiths & Lim, Principles of Econometrics (njmin3): 2.7536 (se 1.6884)
    assert t.at["classic", "estimate"] == pytest.approx(2.7536, abs=5e-5)
    assert t.at["classic", "se"] == pytest.approx(1.6884, abs=5e-5)
    for m, key in (("classic", "se_classic"), ("hc1", "se_hc1"), ("cluster", "se_cluster")):
        assert t.at[m, "estimate"] == pytest.approx(ref["coef"]["nj:d"], rel=1e-9)
        assert t.at[m, "se"] == pytest.approx(ref[key]["nj:d"], rel=1e-9)
    assert res.n == ref["n"]
    assert res.n_clusters == ref["n_clusters"]
    assert t.at["cluster", "df"] == ref["n_clusters"] - 1
    for name, value in res.coefficients.items():
        assert value == pytest.approx(ref["coef"][name], rel=1e-9)
    # pairing the waves by store shrinks the standard error towards the published 1.36
    assert t.at["cluster", "se"] < t.at["classic", "se"]


def test_poisson_panel_did_matches_glm_and_vcovcl(reference):
    d = pd.read_csv(REF / "panel_did.csv")
    Y = d.pivot(index="unit", columns="month", values="count").to_numpy(float)
    P = d.pivot(index="unit", columns="month", values="population").to_numpy(float)
    post = np.arange(Y.shape[1]) >= 36
    ref = reference["panel"]
    f = panel_did(Y, np.log(P), 0, post)
    assert f.params[0] == pytest.approx(ref["did"], rel=1e-6)
    assert np.sqrt(f.cov_model[0, 0]) == pytest.approx(ref["se_model"], rel=1e-6)
    assert np.sqrt(f.cov_cluster[0, 0]) == pytest.approx(ref["se_cluster"], rel=1e-6)
    e = panel_did(Y, np.log(P), 0, post, event_bins=np.floor((np.arange(48) - 36) / 12))
    for name, b, s in zip(e.names, e.params, np.sqrt(np.diag(e.cov_model))):
        key = "ev" + name.split("_")[1]
        assert b == pytest.approx(ref["event"][key], rel=1e-6)
        assert s == pytest.approx(ref["event_se"][key], rel=1e-6)


def test_controlled_its_on_sample(sample_world):
    from analysis.evaluation import controlled_its, suggest_comparisons

    s = sample_world
    sug = suggest_comparisons(s.crimes, s.population, kommunkod="2181",
                              crime_types="Skadegörelsebrott", start="2022-09", n=4)
    assert len(sug) == 4 and "2181" not in set(sug["kommunkod"])
    assert set(sug["lanskod"]) == {"21"}  # Gävleborg has enough candidates
    res = controlled_its(s.crimes, s.population, kommunkod="2181", crime_types="Skadegörelsebrott",
                         start="2022-09", comparisons=sug["kommunkod"].tolist())
    t = res.table.set_index("method")
    assert t.at["cluster", "estimate"] < 1  # planted rate ratio 0.75
    assert np.isnan(t.at["permutation", "ci_low"])  # 4 comparisons: no 95 % placebo interval
    assert t.at["permutation", "p_value"] >= 1 / 5
    ev = res.event_study
    assert ev.loc[ev["rel_year"] == -1, "estimate"].item() == 1.0
    assert 0 <= res.pretrend_p <= 1
