"""Swedish numbers, dates and significance wording (analysis.report.text)."""

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest

from analysis import SAMPLE_DATA_LABEL
from analysis.report.findings import finding_sentence, key_findings
from analysis.report.text import (MINUS, NBSP, NNBSP, format_cell, format_date, format_estimate,
                                  format_interval, format_month, format_number, format_percent,
                                  format_period, format_rate, format_table, sample_data_label,
                                  significance_phrase)

S = " "  # plain spaces make expected strings readable; NBSP is tested separately


def claims_significance(text: str) -> bool:
    """True when the text says a result IS statistically significant ("ingen ..." is not)."""
    return re.search(r"(?<!ing)\ben statistiskt säkerställd", text) is not None


@pytest.mark.parametrize("value, decimals, expected", [
    (0, 0, "0"), (7, 0, "7"), (999, 0, "999"), (1000, 0, "1 000"), (1234.5, 1, "1 234,5"),
    (10605520, 0, "10 605 520"), (1489319, 0, "1 489 319"), (0.05, 1, "0,1"),
    (2.5, 0, "3"), (3.5, 0, "4"), (-2.5, 0, f"{MINUS}3"), (1.005, 2, "1,01"),
    (-0.004, 2, "0,00"), (-1234.56, 1, f"{MINUS}1 234,6"), (np.int64(5518), 0, "5 518"),
    (np.float64(11118.149), 0, "11 118"), (123456789.123, 2, "123 456 789,12"),
])
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals=decimals, space=S) == expected


def test_default_separator_is_no_break_space_and_narrow_option():
    assert format_number(1234.5, decimals=1) == f"1{NBSP}234,5"
    assert format_number(1234.5, decimals=1, space=NNBSP) == f"1{NNBSP}234,5"
    assert format_percent(0.12) == f"12{NBSP}%"


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, np.nan])
def test_missing_values_are_the_missing_symbol(value):
    assert format_number(value) == ".."
    assert format_percent(value) == ".."
    assert format_rate(value) == ".."


def test_infinite_number_is_an_error():
    with pytest.raises(ValueError, match="infinite"):
        format_number(math.inf)


def test_percent_and_signs():
    assert format_percent(0.123, space=S) == "12 %"
    assert format_percent(0.125, space=S) == "13 %"  # half away from zero
    assert format_percent(7.5, scale="percent", decimals=1, space=S) == "7,5 %"
    assert format_percent(-0.08, space=S, sign=True) == f"{MINUS}8 %"
    assert format_percent(0.04, space=S, sign=True) == "+4 %"
    assert format_percent(0.0001, space=S, sign=True) == "0 %"  # no "+0" or "−0"
    with pytest.raises(ValueError, match="scale"):
        format_percent(0.1, scale="fraction")


def test_rates_are_whole_numbers():
    assert format_rate(11118.149, space=S) == "11 118"
    assert format_rate(0.4, space=S) == "0"


def test_intervals():
    assert format_interval(0.03, 0.21, space=S) == "95 % KI 3–21 %"
    assert format_interval(0.03, 0.21, level=0.9, space=S) == "90 % KI 3–21 %"
    assert format_interval(-0.05, 0.14, space=S) == f"95 % KI {MINUS}5 till 14 %"
    assert format_interval(1100, 1380, kind="rate", space=S) == "95 % KI 1 100–1 380"
    assert format_interval(0.01, 0.07, kind="pp", space=S) == "95 % KI 1–7"
    assert format_interval(None, 0.3, space=S) == "95 % KI .."
    assert format_estimate(0.12, 0.03, 0.21, space=S) == "12 % (95 % KI 3–21 %)"
    with pytest.raises(ValueError, match="kind"):
        format_interval(1, 2, kind="promille")


def test_dates_and_months_in_swedish():
    assert format_month(pd.Period("2025-01", freq="M")) == "januari 2025"
    assert format_month("2024-05") == "maj 2024"
    assert format_month(dt.date(2023, 12, 24)) == "december 2023"
    assert format_date(pd.Timestamp("2025-03-09")) == "9 mars 2025"
    assert format_period("2024-01", "2024-12") == "januari–december 2024"
    assert format_period(pd.Period("2023-11", "M"), pd.Period("2025-03", "M")) == \
        "november 2023–mars 2025"
    assert format_period("2024-06", "2024-06") == "juni 2024"
    with pytest.raises(TypeError):
        format_month(2024)


def test_suppressed_cells_are_never_numbers():
    assert format_cell(0.4567, kind="percent", suppressed=True) == "x"
    assert format_cell(None, kind="rate") == ".."
    assert format_cell(3.0, suppressed=np.nan, space=S) == "3"  # unknown flag: not suppressed
    t = pd.DataFrame({"area": ["Centrum", "Norr", "Söder"], "estimate": [0.234, 0.777, np.nan],
                      "ci_low": [0.2, 0.5, np.nan], "ci_high": [0.27, 0.95, np.nan],
                      "n": [420, 12, 0], "suppressed": [False, True, False]})
    out = format_table(t, columns={"estimate": "percent", "ci_low": "percent",
                                   "ci_high": "percent", "n": ("number", 0)},
                       keep=("area",), rename={"area": "Område"}, space=S)
    assert list(out.columns) == ["Område", "estimate", "ci_low", "ci_high", "n"]
    assert out.loc[1].tolist() == ["Norr", "x", "x", "x", "x"]
    assert out.loc[0, "estimate"] == "23 %" and out.loc[2, "estimate"] == ".."
    assert "777" not in out.to_string() and "78" not in out.to_string()
    with pytest.raises(KeyError, match="not in the table"):
        format_table(t, columns={"se": "number"})


def test_significance_wording_comes_only_from_the_verdict():
    assert significance_phrase("ökning") == "en statistiskt säkerställd ökning"
    assert significance_phrase("minskning") == "en statistiskt säkerställd minskning"
    assert significance_phrase("ingen säkerställd förändring") == \
        "ingen statistiskt säkerställd förändring"
    with pytest.raises(ValueError, match="unknown verdict"):
        significance_phrase("oförändrat")


def _row(**kw):
    base = dict(crime_type="Bostadsinbrott", measure="relative_change", estimate=0.12,
                ci_low=0.03, ci_high=0.21, verdict="ökning", period1="2023", period2="2024",
                x1=250, x2=280)
    base.update(kw)
    return base


def test_significant_increase_sentence():
    s = finding_sentence(_row(), space=S)
    assert claims_significance(s)
    assert s == ("Anmälda bostadsinbrott ökade med 12 % (95 % KI 3–21 %) från 2023 till 2024, "
                 "en statistiskt säkerställd ökning.")


def test_non_significant_change_never_says_unchanged():
    s = finding_sentence(_row(estimate=0.04, ci_low=-0.05, ci_high=0.14,
                              verdict="ingen säkerställd förändring"), space=S)
    assert "ingen statistiskt säkerställd förändring" in s
    assert not claims_significance(s)
    assert "oförändra" not in s
    assert f"+4 % (95 % KI {MINUS}5 till +14 %)" in s


def test_decrease_states_the_magnitude_interval():
    s = finding_sentence(_row(estimate=-0.3, ci_low=-0.45, ci_high=-0.12, verdict="minskning"),
                         space=S)
    assert "minskade med 30 % (95 % KI 12–45 %)" in s
    assert s.endswith("en statistiskt säkerställd minskning.")


@pytest.mark.parametrize("verdict, est, lo, hi", [
    ("ökning", -0.1, -0.2, -0.01), ("ökning", 0.1, -0.02, 0.2), ("minskning", 0.1, 0.02, 0.2),
    ("högre", 1.2, 1.1, 1.3),  # a comparison verdict on a change
])
def test_verdict_contradicting_the_interval_is_refused(verdict, est, lo, hi):
    with pytest.raises(ValueError):
        finding_sentence(_row(estimate=est, ci_low=lo, ci_high=hi, verdict=verdict))


def test_small_numbers_give_counts_not_percent():
    s = finding_sentence(_row(crime_type="Rån (inkl. grovt)", estimate=1.0, ci_low=-0.5,
                              ci_high=5.0, verdict="ingen säkerställd förändring", x1=2, x2=4),
                         space=S)
    assert "4 under 2024 jämfört med 2 under 2023" in s
    assert "%" not in s and "100" not in s
    # explicit flag wins over the counts
    s2 = finding_sentence(_row(small_numbers=True), space=S)
    assert "280 under 2024 jämfört med 250 under 2023" in s2
    # zero base (Storfors-like): no division by zero, counts shown
    s3 = finding_sentence(_row(estimate=float("nan"), ci_low=float("nan"), ci_high=float("nan"),
                               verdict="ingen säkerställd förändring", x1=0, x2=3), space=S)
    assert "3 under 2024 jämfört med 0 under 2023" in s3


def test_fdr_failure_is_not_called_significant():
    s = finding_sentence(_row(survives_fdr=False), space=S)
    assert not claims_significance(s)
    assert "FDR" in s and "inte statistiskt säkerställd" in s


def test_comparisons_and_levels():
    hi = finding_sentence(dict(crime_type="Bilbrott", measure="ratio", estimate=1.4,
                               ci_low=1.12, ci_high=1.75, verdict="högre", reference="riket"),
                          space=S)
    assert hi == ("Antalet anmälda bilbrott per 100 000 invånare var 40 % högre än i riket "
                  "(95 % KI 12–75 %), en statistiskt säkerställd skillnad.")
    big = finding_sentence(dict(crime_type="Rån (inkl. grovt)", measure="ratio", estimate=2.4,
                                ci_low=1.8, ci_high=3.1, verdict="högre"), space=S)
    assert "2,4 gånger nivån i riket (95 % KI 1,8–3,1)" in big
    same = finding_sentence(dict(subject="andelen otrygga", measure="ratio", estimate=1.08,
                                 ci_low=0.85, ci_high=1.37, verdict="ingen säkerställd skillnad",
                                 reference="liknande kommuner"), space=S)
    assert same.startswith("Andelen otrygga skilde sig från liknande kommuner med +8 %")
    assert "ingen statistiskt säkerställd skillnad" in same
    share = finding_sentence(dict(subject="andelen som känner sig otrygga", measure="share",
                                  estimate=0.234, ci_low=0.19, ci_high=0.28), space=S)
    assert share == "Andelen som känner sig otrygga: 23 % (95 % KI 19–28 %)."
    pp = finding_sentence(dict(subject="andelen otrygga", measure="pp_change", estimate=0.04,
                               ci_low=0.01, ci_high=0.07, verdict="ökning"), space=S)
    assert "ökade med 4 procentenheter (95 % KI 1–7)" in pp
    with pytest.raises(ValueError, match="no verdict"):
        finding_sentence(dict(subject="a", measure="share", estimate=0.2, ci_low=0.1,
                              ci_high=0.3, verdict="ökning"))
    with pytest.raises(ValueError, match="needs a verdict"):
        finding_sentence(dict(subject="a", measure="pp_change", estimate=0.02, ci_low=0.01,
                              ci_high=0.03))


def test_suppressed_finding_shows_the_symbol_only():
    s = finding_sentence(dict(subject="andelen otrygga i Norr", measure="share", estimate=0.777,
                              ci_low=0.5, ci_high=0.95, suppressed=True), space=S)
    assert "x" in s and "78" not in s and "777" not in s


def _findings():
    rows = [
        dict(topic="brott", crime_type="Bostadsinbrott", estimate=-0.3, ci_low=-0.45,
             ci_high=-0.12, verdict="minskning", q_value=0.01, survives_fdr=True, x1=60, x2=42),
        dict(topic="brott", crime_type="Cykelstöld", estimate=0.02, ci_low=-0.1, ci_high=0.15,
             verdict="ingen säkerställd förändring", q_value=0.8, survives_fdr=False,
             x1=120, x2=122),
        dict(topic="brott", crime_type="Narkotikabrott", estimate=0.5, ci_low=0.2,
             ci_high=0.9, verdict="ökning", q_value=0.001, survives_fdr=True, importance=3,
             x1=80, x2=120),
        dict(topic="brott", crime_type="Bilbrott", estimate=0.25, ci_low=0.02, ci_high=0.5,
             verdict="ökning", q_value=0.2, survives_fdr=False, x1=100, x2=125),
        dict(topic="brott", crime_type="Olaga hot", estimate=-0.05, ci_low=-0.2, ci_high=0.1,
             verdict="ingen säkerställd förändring", q_value=0.9, survives_fdr=False,
             x1=90, x2=86),
        dict(topic="brott", crime_type="Ofredande", estimate=0.01, ci_low=-0.1, ci_high=0.12,
             verdict="ingen säkerställd förändring", q_value=0.95, survives_fdr=False,
             x1=90, x2=91),
        dict(topic="brott", crime_type="Sexualbrott", estimate=0.03, ci_low=-0.2,
             ci_high=0.3, verdict="ingen säkerställd förändring", q_value=0.97,
             survives_fdr=False, x1=30, x2=31),
    ]
    f = pd.DataFrame(rows)
    f["measure"] = "relative_change"
    return f


def test_key_findings_rank_significant_and_fdr_robust_first():
    kf = key_findings(_findings(), space=S)
    assert 5 <= len(kf.sentences) <= 8
    assert kf.table["crime_type"].tolist()[:3] == ["Narkotikabrott", "Bostadsinbrott", "Bilbrott"]
    assert list(kf.table["rank"]) == list(range(1, len(kf.table) + 1))
    assert "FDR" in kf.sentences[2]
    assert kf.summary().startswith("- Anmälda narkotikabrott ökade med 50 %")
    assert kf._repr_markdown_() == kf.summary()


def test_key_findings_fill_with_no_change_only_up_to_n_min():
    f = _findings()
    kf = key_findings(f, n_min=4, n_max=8, space=S)
    assert len(kf.sentences) == 4  # 3 informative + 1 "no significant change"
    many = pd.concat([f[f.verdict != "ingen säkerställd förändring"]] * 4, ignore_index=True)
    assert len(key_findings(many, space=S).sentences) == 8
    few = key_findings(f.head(2), space=S)
    assert len(few.sentences) == 2  # nothing is invented
    with pytest.raises(ValueError):
        key_findings(f, n_min=9, n_max=8)
    with pytest.raises(KeyError, match="lack columns"):
        key_findings(f.drop(columns="ci_low"))


def test_sample_data_label():
    assert sample_data_label({"synthetic": True}) == SAMPLE_DATA_LABEL
    assert SAMPLE_DATA_LABEL == "Syntetiska exempeldata – inte verklig statistik"
    assert sample_data_label({"synthetic": False}) == ""
    assert sample_data_label(None) == ""


def test_rate_ratios_and_the_verdicts_module_vocabulary():
    # analysis.verdicts.add_verdicts works on rate ratios (null 1) and writes "survives"
    s = finding_sentence(_row(measure="rate_ratio", estimate=1.12, ci_low=1.03, ci_high=1.21),
                         space=S)
    assert "ökade med 12 % (95 % KI 3–21 %)" in s and claims_significance(s)
    s2 = finding_sentence(_row(measure="rate_ratio", estimate=1.12, ci_low=1.03, ci_high=1.21,
                               survives=False), space=S)
    assert not claims_significance(s2) and "FDR" in s2
    with pytest.raises(ValueError, match="contradicts"):
        finding_sentence(_row(measure="rate_ratio", estimate=0.9, ci_low=0.8, ci_high=0.99))


def test_not_assessable_and_missing_estimates():
    s = finding_sentence(_row(verdict="ej bedömbar", estimate=0.05, ci_low=-0.3, ci_high=0.5),
                         space=S)
    assert "går inte att bedöma" in s and not claims_significance(s)
    s2 = finding_sentence(_row(verdict="ingen säkerställd förändring", estimate=None,
                               ci_low=None, ci_high=None, small_numbers=False), space=S)
    assert s2 == ("Anmälda bostadsinbrott: förändringen kan inte skattas (ingen statistiskt "
                  "säkerställd förändring).")
