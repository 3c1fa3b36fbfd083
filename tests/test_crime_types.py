"""Brå's label set: one alias table, the total and the därav subcategories in the model."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.crime_types import (ALL_CRIME_TYPE_NAMES, BRA_CATEGORIES, CRIME_TYPE_NAMES,
                                  EXTRA_CRIME_TYPE_NAMES, TOTAL_CRIME_TYPE, canonical_crime_type,
                                  suggest_crime_type, drop_nested, is_subcategory, FOCUS_AREAS)

# the real labels of the issue ("0 of 9 real labels map"), from Brå's monthly kommun table
REAL = {
    "Totalt antal brott": "Samtliga brott",
    "Brott mot brottsbalken": "Brott mot brottsbalken",
    "Brott mot specialstraffrättsliga författningar": "Brott mot specialstraffrättsliga författningar",
    "Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 12 kap. Skadegörelsebrott": "Skadegörelsebrott",
    "Brott mot brottsbalken, 3-7 kap. Brott mot person, 3 kap. Brott mot liv och hälsa, därav "
    "misshandel inkl. grov": "Misshandel (inkl. grov)",
    "Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 8 kap. Stöld, rån m.m., därav rån, "
    "inkl. grovt": "Rån (inkl. grovt)",
    "Brott mot specialstraffrättsliga författningar, Brott mot narkotikastrafflagen": "Narkotikabrott",
    "Brott mot brottsbalken, 3-7 kap. Brott mot person, 6 kap. Sexualbrott": "Sexualbrott",
    "Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 8 kap. Stöld, rån m.m., därav stöld "
    "och snatteri i butik, varuhus o.d.": "Butiksstöld/snatteri",
    "SAMTLIGA BROTT": "Samtliga brott",
    "3-7 kap. Brott mot person": "Brott mot person (3–7 kap.)",
}


@pytest.mark.parametrize("label,name", list(REAL.items()))
def test_real_bra_labels_map(label, name):
    assert canonical_crime_type(label) == name


def test_spreadsheet_spellings_and_codes():
    assert canonical_crime_type("misshandel") == "Misshandel (inkl. grov)"
    assert canonical_crime_type("MISSHANDEL INKL. GROV") == "Misshandel (inkl. grov)"
    assert canonical_crime_type("anything", code="13192") == TOTAL_CRIME_TYPE
    assert canonical_crime_type("anything", code="5036") == TOTAL_CRIME_TYPE  # the annual table's id
    assert canonical_crime_type("Trolldom") is None
    assert suggest_crime_type("Misshandl") == "Misshandel (inkl. grov)"


def test_model_keeps_the_sample_types_and_adds_the_new_ones_apart():
    assert len(CRIME_TYPE_NAMES) == 15 and TOTAL_CRIME_TYPE not in CRIME_TYPE_NAMES
    for name in ("Trafikbrott", "Bedrägeribrott", "Bidragsbrott"):  # modelled by the sample
        assert name in CRIME_TYPE_NAMES and name not in EXTRA_CRIME_TYPE_NAMES
    for name in ("Samtliga brott", "Misshandel utomhus", "Misshandel inomhus",
                 "Våld mot kvinna i nära relation", "Rattfylleri (inkl. grovt)",
                 "Narkotikabrott, eget bruk", "Narkotikabrott, innehav",
                 "Narkotikabrott, överlåtelse"):
        assert name in EXTRA_CRIME_TYPE_NAMES and name in ALL_CRIME_TYPE_NAMES
    # the modelled types never contain each other, so a sum over them counts each crime once
    assert drop_nested(CRIME_TYPE_NAMES) == CRIME_TYPE_NAMES
    assert not any(is_subcategory(n) for n in CRIME_TYPE_NAMES)


def test_focus_areas_follow_the_seed_kommuner():
    ftypes = {a: s["crime_types"] for a, s in FOCUS_AREAS.items()}
    assert "Misshandel utomhus" in ftypes["Trygghet på offentliga platser"]
    assert "Misshandel (inkl. grov)" not in {t for v in ftypes.values() for t in v}
    assert set(ftypes["Våld i nära relation"]) == {"Våld mot kvinna i nära relation",
                                                   "Grov kvinnofridskränkning"}
    assert "Rattfylleri (inkl. grovt)" in ftypes["Trafikmiljö"]
    assert "Bidragsbrott" in ftypes["Välfärdsbrott och bedrägeri"]
    # an area listing a crime with its subcategories sums the crime once
    assert drop_nested(ftypes["Narkotika"]) == ("Narkotikabrott",)
    assert drop_nested(ftypes["Trafikmiljö"]) == ("Trafikbrott",)
    for names in ftypes.values():
        assert all(n in ALL_CRIME_TYPE_NAMES for n in names)


def test_alias_table_is_consistent():
    names = [c.name for c in BRA_CATEGORIES]
    assert len(names) == len(set(names))
    parents = set(names)
    for c in BRA_CATEGORIES:
        assert c.parent is None or c.parent in parents, c
        for lab in c.labels:
            assert canonical_crime_type(lab) == c.name, lab
    codes = [code for c in BRA_CATEGORIES for code in c.codes]
    assert len(codes) == len(set(codes))


def test_validation_accepts_the_new_categories():
    from analysis.schemas import validate
    df = pd.DataFrame({"kommunkod": "2582", "period": ["2026-08"] * 3,
                       "crime_type": ["Samtliga brott", "Totalt antal brott", "Misshandel utomhus"],
                       "count": [225, 1, 3]})
    with pytest.raises(Exception, match="duplicate"):  # 'Totalt antal brott' is the same series
        validate(df, "crimes")
    ok = validate(df.iloc[[0, 2]], "crimes")
    assert ok["crime_type"].tolist() == ["Samtliga brott", "Misshandel utomhus"]
