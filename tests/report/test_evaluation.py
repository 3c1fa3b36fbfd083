"""The Swedish wording of the evaluation draft (analysis.report.evaluation)."""

import pytest

from analysis import SAMPLE_DATA_LABEL
from analysis.report import evaluation as er
from analysis.evaluation import evaluate_measure, measure_power


@pytest.fixture(scope="module")
def confirmed(sample_world):
    return evaluate_measure(sample_world, "M2181-01")


@pytest.fixture(scope="module")
def disagreeing(sample_world):
    return evaluate_measure(sample_world, "M1760-01")


def test_heading_labels_sample_data_first(confirmed):
    text = er.heading(confirmed)
    lines = text.splitlines()
    assert lines[0] == "# Utvärdering av åtgärd: Klottersanering inom 24 timmar"
    assert SAMPLE_DATA_LABEL in lines[2]
    assert "Sandvikens kommun (2181)" in text and "startade i september 2022" in text


def test_confirmed_change_is_worded_as_established(confirmed):
    v = confirmed.verdict
    text = er.verdict_text(confirmed)
    assert v.verdict == "minskning"
    assert text.startswith("**Bedömning: minskning (säkerställd).**")
    assert "antalet anmälda brott av typen Skadegörelsebrott 29\u00a0% lägre" in text
    assert "kvot 0,71, 95\u00a0% KI 0,59–0,84" in text  # Swedish decimals, en dash
    assert "pekar åt samma håll" in text


def test_unconfirmed_change_says_so_and_what_the_ratio_compares(disagreeing):
    # the synthetic control misses Storfors' pre-period: it neither confirms nor vetoes, the
    # draft says the change rests on the kommun's own trend and is unconfirmed
    text = er.verdict_text(disagreeing)
    assert disagreeing.verdict.its_verdict == "ökning"
    assert text.startswith("**Bedömning: ökning enligt kommunens egen trend (obekräftad).**")
    assert "(säkerställd)" not in text and "statistiskt säkerställd" not in text
    assert "obekräftad" in text and "varken bekräfta eller motsäga" in text
    assert "pekar åt samma håll" not in text
    assert "pekar på en ökning (kvot" not in text  # the old misdescription of the ratio
    res = er.results_table(disagreeing)
    sc = res[res["Metod"].str.startswith("Syntetisk")]
    assert (sc["Tillförlitlig"] == "nej").all()
    caveats = er.caveats_table(disagreeing)["Förbehåll"].tolist()
    assert any("obekräftad" in c for c in caveats)


def test_designs_that_disagree_word_the_ratio_as_a_comparison():
    # a synthetic control that fits but sees nothing unusual vetoes; the sentence says what
    # the ratio compares (after-start crimes against the expected number without the measure)
    import types
    import pandas as pd
    v = types.SimpleNamespace(verdict="ingen säkerställd förändring", its_verdict="ökning",
                              rate_ratio=2.11, ci_low=1.3, ci_high=3.4, reliable=True,
                              crime_types=("Ofredande",),
                              caveats=pd.DataFrame({"code": ["designs_disagree"]}))
    syn = types.SimpleNamespace(table=pd.DataFrame({"variable": ["ratio"], "estimate": [1.1],
                                                    "p_value": [0.7]}))
    ev = types.SimpleNamespace(evaluable=True, verdict=v, synthetic=syn)
    text = er.verdict_text(ev)
    assert "111\u00a0% högre än vad kommunens egen trend före start förutsäger" in text
    assert "anmälda brott efter start delat med det förväntade antalet utan åtgärden" in text
    assert "redovisas inte som säkerställd" in text


def test_no_change_is_not_read_as_no_effect(sample_world):
    ev = evaluate_measure(sample_world, "M1080-02", synthetic=False)
    text = er.verdict_text(ev)
    assert ev.verdict.verdict == "ingen säkerställd förändring"
    assert "inte att åtgärden saknar effekt" in text


def test_not_evaluable_measure(sample_world):
    ev = evaluate_measure(sample_world, "M1760-02")
    assert er.verdict_text(ev).startswith("**Bedömning: kan inte bedömas med anmälda brott.**")
    assert er.results_table(ev).empty and er.checks_table(ev).empty


def test_tables_are_swedish_and_formatted(confirmed):
    res = er.results_table(confirmed)
    assert list(res.columns) == ["Metod", "Kvot mot förväntat", "95 % KI", "p-värde",
                                 "Tillförlitlig"]
    assert res.iloc[0]["Metod"].endswith("(huvudmetod)") and res.iloc[0]["95 % KI"] == "0,59–0,84"
    assert set(res["Tillförlitlig"]) <= {"ja", "nej"}
    chk = er.checks_table(confirmed)
    assert len(chk) == 3 and set(chk["Uppfylld"]) <= {"ja", "nej"}
    donors = er.donor_table(confirmed)
    assert donors["Vikt"].str.endswith("%").all() and not donors["Kommun"].str.isdigit().any()


def test_power_table(sample_world):
    power = measure_power(sample_world, "M2181-01", n_sim=60, followup_months=(12,))
    t = er.power_table(power)
    assert t["Uppföljning (månader)"].tolist() == ["12"]
    assert t["Minsta upptäckbara minskning"].iloc[0].endswith("%")
    assert "80\u00a0% sannolikhet" in er.power_text(power)


def test_indicator_followup_describes_area_and_kommun_per_wave(sample_world):
    from analysis.evaluation import indicator_followup

    t = indicator_followup(sample_world, "M2181-02")  # Centrum; problem_belysning, otrygg_kvall
    assert len(t) == 4 * 2 * 2  # waves x indicators x (area, kommun)
    assert set(t["item"]) == {"problem_belysning", "otrygg_kvall"}
    assert set(t.loc[t["group"] == "område", "area"]) == {"Centrum"}
    assert dict(zip(t["year"], t["period"])) == {2019: "före", 2021: "före", 2023: "efter",
                                                 2025: "efter"}  # started October 2021
    assert ((t["ci_low"] < t["estimate"]) & (t["estimate"] < t["ci_high"])).all()
    assert not t["suppressed"].any() and (t["n"] >= 50).all()
    # aggregates only: nothing identifies a respondent
    assert not {"respondent_id", "design_weight"} & set(t.columns)
    kommun = t[t["group"] == "kommunen"]
    area = t[t["group"] == "område"]
    assert (kommun["n"].to_numpy() > area["n"].to_numpy()).all()


def test_indicator_followup_of_other_measures(sample_world):
    from analysis.evaluation import indicator_followup

    assert set(indicator_followup(sample_world, "M2181-01")["item"]) == {"problem_skadegorelse"}
    assert indicator_followup(sample_world, "M2026-02")["group"].eq("kommunen").all()  # no area
    assert indicator_followup(sample_world, "M1080-01").empty  # names crime counts only


def test_indicator_table_formats_and_suppresses():
    import pandas as pd

    f = pd.DataFrame({"year": [2023, 2023], "period": ["efter", "efter"],
                      "group": ["område", "kommunen"], "area": ["Centrum", ""],
                      "item": ["problem_belysning"] * 2, "estimate": [0.171, 0.2],
                      "ci_low": [0.116, 0.17], "ci_high": [0.246, 0.23], "n": [1198, 40],
                      "suppressed": [False, True]})
    t = er.indicator_table(f)
    assert t["Andel (95 % KI)"].tolist() == ["17\u00a0% (12–25\u00a0%)", "x"]
    assert t["Var"].tolist() == ["Centrum", "hela kommunen"]
    assert t["Svarande"].tolist() == ["1\u00a0198", "40"]
    assert t["Indikator"].iloc[0] == "Dålig belysning är ett problem"
