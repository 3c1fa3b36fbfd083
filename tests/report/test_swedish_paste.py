"""Swedish a coordinator can paste (issue 11, item 10): genitive kommun names, no variable
codes, an Ordlista, dashes in ranges, p-values as "p < 0,001"."""

import re

import pandas as pd
import pytest

from analysis.municipalities import genitive, kommun_phrase, municipalities
from analysis.report import tables as rt, wording as tx
from analysis.report.text import NBSP, dash_ranges, format_p


@pytest.mark.parametrize("code, phrase", [
    ("2181", "Sandvikens kommun"), ("2026", "Gagnefs kommun"), ("1760", "Storfors kommun"),
    ("2460", "Vännäs kommun"), ("0980", "Region Gotland"), ("2080", "Falu kommun"),
    ("1080", "Karlskrona kommun"), ("2514", "Kalix kommun"), ("0880", "Kalmar kommun"),
    ("0180", "Stockholms stad"),
])
def test_kommun_phrase_uses_the_genitive(code, phrase):
    assert kommun_phrase(code) == phrase


def test_every_kommun_has_a_phrase_without_double_s_or_bare_name():
    for code, name in zip(*municipalities()[["kommunkod", "kommun"]].T.values):
        p = kommun_phrase(code)
        assert p.endswith((" kommun", " stad")) or p == "Region Gotland"
        assert not p.startswith(f"{name} kommun") or name[-1] in "aeiouyåäösxz" or name == "Kalmar", p
        assert "ss kommun" not in p


def test_genitive_rejects_empty_name():
    with pytest.raises(ValueError, match="empty"):
        genitive(" ")


def test_report_heading_says_sandvikens_kommun_and_gagnefs_kommun():
    assert "i Sandvikens kommun 2025" in tx.report_heading("Sandviken", 2025, synthetic=False)
    assert "i Gagnefs kommun 2025" in tx.report_heading("Gagnef", 2025, synthetic=False)
    assert "i Storfors kommun 2025" in tx.report_heading("Storfors", 2025, synthetic=False)
    with pytest.raises(ValueError, match="not a kommun"):
        tx.report_heading("Narnia", 2025, synthetic=False)


@pytest.mark.parametrize("p, text", [(0.0, f"p{NBSP}<{NBSP}0,001"), (0.00049, f"p{NBSP}<{NBSP}0,001"),
                                     (0.067, f"p{NBSP}={NBSP}0,067"), (0.5, f"p{NBSP}={NBSP}0,50")])
def test_p_values_never_print_zero(p, text):
    assert format_p(p) == text
    assert "0,000" not in format_p(p, prefix=False)


def test_p_value_outside_0_1_is_an_error():
    with pytest.raises(ValueError, match="between 0 and 1"):
        format_p(1.2)


def test_season_table_p_column_has_no_zero_p():
    profile = pd.DataFrame({"crime_type": "Cykelstöld", "month": range(1, 13),
                            "month_name": list("abcdefghijkl"), "estimate": 1.0,
                            "position": "", "rank": range(1, 13), "n": 40,
                            "suppressed": False, "seasonality_p_value": 1e-9})
    t = rt.season_table(profile)
    assert t["Säsongsmönster (p)"].iloc[0] == f"<{NBSP}0,001"


def test_age_groups_shown_with_en_dash():
    assert dash_ranges("16-24") == "16–24" and dash_ranges("Malung-Sälen") == "Malung-Sälen"
    t = pd.DataFrame({"age_group": ["16-24", "25-44"], "variable": "otrygg_kvall_andel",
                      "estimate": [0.2, 0.3], "ci_low": [0.1, 0.2], "ci_high": [0.3, 0.4],
                      "n": [80, 90], "suppressed": False})
    # age groups side by side, one column each, headed with an en dash
    assert list(rt.survey_table(t, by="age_group").columns[1:]) == ["16–24", "25–44"]


def test_measure_indicators_are_labels_not_variable_codes():
    m = pd.DataFrame({"name": ["Klotter"], "focus_area": ["x"], "start": [pd.Timestamp("2022-09-01")],
                      "target_crime_types": ["Skadegörelsebrott"],
                      "indicator": ["anmälda skadegörelsebrott per månad; problem_skadegorelse; "
                                    "otrygg_kvall; ny_fraga"]})
    items = pd.DataFrame({"item": ["ny_fraga"], "indicator": ["trivs i området"]})
    text = rt.measures_table(m, items)["Indikator för uppföljning"].iloc[0]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text
    assert "Skadegörelse/klotter är ett problem" in text and "Trivs i området" in text


def test_ordlista_explains_the_terms_left_in_the_drafts():
    text = tx.ordlista()
    for term in ("z (justerat)", "q-värde", "EBLUP", "FDR", "KI", "p-värde"):
        assert term in text
    with pytest.raises(KeyError, match="no explanation"):
        tx.ordlista(["RMSPE"])


def test_provenance_is_a_short_table_of_inputs_without_absolute_paths(tmp_path, monkeypatch):
    # issue 11 item 11: sha256 hashes in full, the absolute data path and planted_truth.json
    # as an input made the provenance table unreadable and misleading
    from analysis.report import content as rc
    from analysis.sample import write_sample

    data = tmp_path / "exempeldata"
    write_sample(data, kommuner=["1760", "1761", "1762", "1763", "1764"])
    monkeypatch.chdir(tmp_path.parent)  # the data folder is not below the working folder
    ctx = rc.make_context(data, "1760")
    t = rc.provenance(ctx, {"kommunkod": "1760", "year": 0, "data_dir": str(data)})
    assert list(t.columns) == ["Uppgift", "Värde"] and len(t) <= 14
    text = " ".join(t["Värde"])
    assert "planted_truth" not in text and str(tmp_path) not in text
    assert "exempeldata/crimes.csv (sha256 " in text
    hashes = re.findall(r"sha256 ([0-9a-f]+)", text)
    assert hashes and all(len(h) == 8 for h in hashes)
    assert any(v.startswith("lagesbild ") for v in t["Värde"])
