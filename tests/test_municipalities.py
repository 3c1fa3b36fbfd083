from pathlib import Path
import pandas as pd
import pytest

import analysis.municipalities as mun


def test_register_matches_shared_reference():
    ref = pd.read_csv(Path(__file__).resolve().parents[2] / "shared" / "reference" / "kommuner.csv", dtype=str)
    m = mun.municipalities()
    assert len(m) == 290 and m["kommunkod"].is_unique
    assert (m["kommunkod"].str.len() == 4).all() and (m["lanskod"].str.len() == 2).all()
    assert set(m["kommunkod"]) == set(ref["kommunkod"])
    # per-län counts from the domain notes
    counts = m.groupby("lan").size()
    assert counts["Västra Götalands län"] == 49 and counts["Skåne län"] == 33
    assert counts["Stockholms län"] == 26 and counts["Gotlands län"] == 1


def test_codes_start_with_lanskod():
    m = mun.municipalities()
    assert (m["kommunkod"].str[:2] == m["lanskod"]).all()


def test_every_name_maps_back_to_its_code():
    m = mun.municipalities()
    for code, name in zip(m["kommunkod"], m["kommun"]):
        assert mun.code_for_name(name) == code
        assert mun.code_for_name(name.upper()) == code


def test_folded_names_do_not_collide():
    m = mun.municipalities()
    keys = [mun.fold_name(n) for n in m["kommun"]]  # exact keys; ascii keys may collide (Håbo/Habo)
    assert len(set(keys)) == 290


@pytest.mark.parametrize("variant,code", [
    ("Upplands Bro", "0139"), ("Upplands-Bro", "0139"), ("Malung Sälen", "2023"),
    ("Dals Ed", "1438"), ("Region Gotland", "0980"), ("Gotland", "0980"),
    ("Falu kommun", "2080"), ("Stockholms stad", "0180"), ("Göteborgs stad", "1480"),
    ("Vaxjo", "0780"), ("  upplands   väsby ", "0114"), ("Sundbybergs stad", "0183"),
    ("Helsingborgs stad", "1283"), ("Örebro kommun", "1880"),
])
def test_name_variants(variant, code):
    assert mun.code_for_name(variant) == code


def test_unknown_names_are_listed_together():
    with pytest.raises(mun.DataError) as err:
        mun.codes_for_names(["Ale", "Narnia", "Gondor"], file="x.csv", rows=[2, 3, 4])
    text = str(err.value)
    assert "x.csv, row 3, column 'kommun'" in text and "'Gondor'" in text


@pytest.mark.parametrize("bad,msg", [(114, "leading zero"), ("114", "'0114'"), ("9999", "not one of"),
                                     ("01a4", "malformed"), (None, "malformed")])
def test_normalize_code_explains(bad, msg):
    with pytest.raises(ValueError, match=msg):
        mun.normalize_code(bad)


def test_lan_and_name():
    assert mun.name_of("2026") == "Gagnef"
    assert mun.lan_of("1080") == ("10", "Blekinge län")
    c = mun.counties()
    assert len(c) == 21 and c["n_kommuner"].sum() == 290
