"""Survey in context (analysis.survey.benchmarks): NTU benchmarks, sex and age gaps, remedies."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io.ntu import read_ntu_regional
from analysis.sample import generate
from analysis.survey.benchmarks import age_remedy, group_gaps, ntu_comparison, pooled_waves
from analysis.survey.calibration import wave_design
from analysis.survey.indicators import NTU_OTRYGG_KVALL, indicator_table, indicators_from_catalogue


@pytest.fixture(scope="module")
def waves():
    s = generate(kommuner=["2181", "1760"])
    defs = indicators_from_catalogue(s.items)
    out = {code: {y: wave_design(s.survey, s.margins, kommunkod=code, year=y) for y in (2023, 2025)}
           for code in ("2181", "1760")}
    return s, defs, out


def test_ntu_figures_keep_unreported_cells_missing_and_name_their_source():
    ntu = read_ntu_regional()
    assert set(ntu["level"]) == {"riket", "lan", "kommun"} and set(ntu["year"]) == {2010, 2013}
    assert ntu["percent"].isna().any() and ntu["source_url"].str.startswith("https://bra.se").all()


def test_ntu_reader_reports_bad_rows(tmp_path):
    p = tmp_path / "ntu.csv"
    p.write_text("undersokning,niva,region_kod,region,indikator,andel_procent,kalla_url\n"
                 "NTU 2013,lan,1,Stockholms län,Oro för bilbrott,14,u\n"
                 "NTU 2013,land,00,Riket,Oro för bilbrott,140,u\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_ntu_regional(p)
    text = str(err.value)
    assert "row 2, column 'region_kod'" in text and "unknown level" in text and "'140'" in text


def _est(low, high, suppressed=False):
    return pd.DataFrame({"variable": ["otrygg_kvall_andel"], "estimate": [(low + high) / 2],
                         "ci_low": [low], "ci_high": [high], "suppressed": [suppressed]})


def test_ntu_verdict_needs_the_whole_interval_beyond_the_rounded_figure():
    ntu = read_ntu_regional()  # Gävleborgs län 2013: 14 %, riket 15 %
    t = ntu_comparison(_est(0.146, 0.20), ntu, kommunkod="2181", lanskod="21").set_index("level")
    assert t.at["lan", "verdict"] == "högre" and t.at["riket", "verdict"] == "ingen säkerställd skillnad"
    t = ntu_comparison(_est(0.140, 0.20), ntu, kommunkod="2181", lanskod="21").set_index("level")
    assert t.at["lan", "verdict"] == "ingen säkerställd skillnad"  # 14 % may be 14,4 %
    t = ntu_comparison(_est(0.05, 0.10), ntu, kommunkod="2181", lanskod="21")
    assert (t["verdict"] == "lägre").all()
    t = ntu_comparison(_est(0.30, 0.40, suppressed=True), ntu, kommunkod="2181", lanskod="21")
    assert (t["verdict"] == "ingen säkerställd skillnad").all()
    # a kommun with its own NTU figure (Karlskrona, NTU 2010) gets it as well
    t = ntu_comparison(_est(0.1, 0.2), ntu, kommunkod="1080", lanskod="10")
    assert t["level"].tolist() == ["kommun", "lan", "riket"] and t["ntu_year"].tolist()[0] == 2010


def test_the_planted_sex_gap_is_found_and_agrees_with_its_interval(waves):
    s, defs, w = waves
    g = group_gaps(w["2181"][2025], defs).set_index(["variable", "dimension"])
    row = g.loc[("otrygg_kvall_andel", "kön")]
    truth = s.truth_table("survey_shares").query("kommunkod == '2181' and year == 2025 and "
                                                 "item == 'otrygg_kvall' and area != area")
    true_gap = float(truth[truth.sex == "kvinna"].share.iloc[0] - truth[truth.sex == "man"].share.iloc[0])
    assert row["verdict"] == "skillnad" and row["group_high"] == "kvinna"
    assert row["ci_low"] <= true_gap <= row["ci_high"] and row["ci_low"] > 0
    # every 'skillnad' on sex has an interval without zero
    sex = g.xs("kön", level="dimension")
    claimed = sex[sex["verdict"] == "skillnad"]
    assert ((claimed["ci_low"] > 0) | (claimed["ci_high"] < 0)).all()
    assert (g["q_value"] >= g["p_value"] - 1e-12).all()


def test_pooled_waves_average_the_waves(waves):
    _, defs, w = waves
    a, b = w["2181"][2023], w["2181"][2025]
    pooled = pooled_waves([a, b])
    ta, tb, tp = (indicator_table(d, [NTU_OTRYGG_KVALL]).iloc[0] for d in (a, b, pooled))
    assert min(ta.estimate, tb.estimate) <= tp.estimate <= max(ta.estimate, tb.estimate)
    assert tp.n == ta.n + tb.n and tp.se < min(ta.se, tb.se)
    with pytest.raises(ValueError, match="two waves"):
        pooled_waves([a])


def test_age_remedy_pools_or_merges_and_says_when_nothing_works(waves):
    _, defs, w = waves
    last, prev = w["1760"][2025], w["1760"][2023]
    hidden = indicator_table(last, defs, by="age_group").query("suppressed")
    assert len(hidden) > 0  # Storfors' youngest group is suppressed
    r = age_remedy(last, prev, defs, years=(2023, 2025), stable=[d.name for d in defs])
    assert len(r) == len(hidden)
    fixed = r[r.remedy != "none"]
    assert len(fixed) > 0 and not fixed["suppressed"].any()
    assert set(r["remedy"]) <= {"pooled", "merged", "none"}
    assert fixed.loc[fixed.remedy == "merged", "shown_as"].str.contains("16–44").all()
    none = age_remedy(last, None, defs, stable=[], merge={"99-99": "x"})
    assert (none["remedy"] == "none").all() and none["estimate"].isna().all()
