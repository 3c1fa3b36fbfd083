import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.schemas import SCHEMAS, validate


def crimes(n_months=3, codes=("0114",), types=("Cykelstöld",)):
    months = pd.period_range("2024-01", periods=n_months, freq="M").astype(str)
    rows = [(c, m, t, "4") for c in codes for t in types for m in months]
    return pd.DataFrame(rows, columns=["kommunkod", "period", "crime_type", "count"])


def test_valid_crimes_are_typed():
    out = validate(crimes(), "crimes")
    assert isinstance(out["period"].dtype, pd.PeriodDtype)
    assert out["count"].dtype == np.int64
    assert out["kommunkod"].tolist() == ["0114"] * 3


def test_all_problems_are_collected_with_rows_and_columns():
    df = crimes(4)
    df.loc[0, "kommunkod"] = "11"
    df.loc[1, "count"] = "-3"
    df.loc[2, "count"] = "2.5"
    df.loc[3, "crime_type"] = "Trolldom"
    with pytest.raises(DataError) as err:
        validate(df, "crimes", file="brott.csv")
    text = str(err.value)
    assert "4 problems" in text
    assert "brott.csv, row 2, column 'kommunkod'" in text and "(got '11')" in text
    assert "row 3, column 'count'" in text and "row 4, column 'count': not a whole number" in text
    assert "row 5, column 'crime_type'" in text


def test_duplicates_name_both_rows():
    df = pd.concat([crimes(2), crimes(2).iloc[[1]]], ignore_index=True)
    with pytest.raises(DataError, match=r"duplicate rows .* \(rows 3, 4\)"):
        validate(df, "crimes", file="d.csv")


def test_gap_is_reported_not_filled():
    df = crimes(5).drop(index=2)
    with pytest.raises(DataError, match=r"1 month\(s\) missing \(2024-03\)"):
        validate(df, "crimes")


def test_user_row_numbers_are_used():
    df = crimes(2)
    df.loc[1, "count"] = "x"
    with pytest.raises(DataError, match="row 17"):
        validate(df, "crimes", rows=[16, 17])


def test_missing_required_column():
    with pytest.raises(DataError, match="column 'count': required column missing"):
        validate(crimes().drop(columns="count"), "crimes")


def test_survey_weights_and_strata():
    df = pd.DataFrame({
        "respondent_id": ["1", "2", "3"], "kommunkod": ["1760"] * 3, "year": ["2025"] * 3,
        "area": ["A", "A", "B"], "sex": ["kvinna", "man", "okänd"], "age_group": ["16-24"] * 3,
        "stratum": ["A", "A", "B"], "design_weight": ["10", "0", ""], "otrygg_kvall": [1, 2, 3]})
    with pytest.raises(DataError) as err:
        validate(df, "survey", file="s.csv")
    text = str(err.value)
    assert "row 3, column 'design_weight': value out of range" in text
    assert "row 4, column 'design_weight': missing value" in text
    assert "row 4, column 'sex': value not allowed" in text
    ok = df.assign(sex="man", design_weight="5", stratum="A")
    out = validate(ok, "survey")
    assert "otrygg_kvall" in out.columns  # item columns follow the design columns


def test_single_respondent_stratum_is_an_error():
    df = pd.DataFrame({
        "respondent_id": ["1", "2", "3"], "kommunkod": ["1760"] * 3, "year": [2025] * 3,
        "area": ["A", "A", "B"], "sex": ["man"] * 3, "age_group": ["16-24"] * 3,
        "stratum": ["A", "A", "B"], "design_weight": [1.0, 1.0, 1.0]})
    with pytest.raises(DataError, match="row 4, column 'stratum': stratum has only 1 respondent"):
        validate(df, "survey")


def test_measures_dates_and_types():
    df = pd.DataFrame({"measure_id": ["M1"], "kommunkod": ["2181"], "name": ["Belysning"],
                       "focus_area": ["Belysning"], "start": ["2023-05-01"], "end": ["2022-01-01"],
                       "target_crime_types": ["Rån (inkl. grovt);Trolldom"], "indicator": ["antal rån"]})
    with pytest.raises(DataError) as err:
        validate(df, "measures")
    assert "ends before it starts" in str(err.value) and "'Trolldom'" in str(err.value)


def test_every_schema_documents_its_columns():
    for schema in SCHEMAS.values():
        assert schema.description
        for col in schema.columns:
            assert col.description, (schema.kind, col.name)


def test_incidents_contract_reports_bad_times_and_missing_places():
    import pandas as pd
    import pytest
    from analysis.errors import DataError
    from analysis.schemas import validate

    good = pd.DataFrame({"kommunkod": ["2181", "2181"], "date": ["2025-03-07", "2025-03-08"],
                         "time": ["23:40", ""], "place": ["Resecentrum", "Torget"],
                         "type": ["Skadegörelse", "Stöld"], "source": ["Skola", "Polisen"]})
    typed = validate(good, "incidents", file="incidents.csv")
    assert typed["date"].dt.year.tolist() == [2025, 2025] and typed["time"].isna().tolist() == [False, True]
    with pytest.raises(DataError) as err:
        validate(good.assign(time=["25:00", "7 pm"]), "incidents", file="incidents.csv")
    text = str(err.value)
    assert "column 'time': not a clock time" in text and "'25:00' in row 2" in text and "'7 pm'" in text
    with pytest.raises(DataError, match="column 'place': missing value"):
        validate(good.assign(place=["Resecentrum", ""]), "incidents", file="incidents.csv")


# --------------------------------------------------------------------------- per distinct value
# _coerce works once per distinct value of a text column (spellings._per_distinct) and maps the
# result back to the rows: the problems must be those a row-by-row loop finds.

def _many_rows(n=10_000, seed=7):
    rng = np.random.default_rng(seed)
    codes = rng.choice(["0114", "114", " 0180 ", "9999", " 11 ", "abc", ""], size=n,
                       p=[.4, .1, .1, .1, .1, .1, .1])
    types = rng.choice(["Cykelstöld", "cykelstöld", " Cykelstöld ", "Trolldom", "Cykelstöld!", "  "],
                       size=n, p=[.5, .1, .1, .1, .1, .1])
    return pd.DataFrame({"kommunkod": codes, "period": "2024-01", "crime_type": types, "count": "1"})


def _expected_rows(df):
    """The problems, row by row, with a plain loop (what the row-wise code reported)."""
    from analysis.municipalities import _valid_codes
    valid = set(_valid_codes())
    expected = set()
    for i, (code, ctype) in enumerate(zip(df["kommunkod"], df["crime_type"])):
        row = i + 2
        code, ctype = code.strip(), ctype.strip()
        if code == "":
            expected.add((row, "kommunkod", "missing value", None))
        elif code not in valid and not (len(code) == 3 and code.isdigit() and "0" + code in valid):
            expected.add((row, "kommunkod", "unknown or malformed kommun code", code))
        if ctype == "":
            expected.add((row, "crime_type", "missing value", None))
        elif ctype.casefold() != "cykelstöld":
            expected.add((row, "crime_type", "not a Brå crime type", ctype))
    return expected


def test_repeated_bad_values_give_the_rows_a_row_loop_finds():
    from analysis.errors import ProblemCollector
    df = _many_rows()
    pc = ProblemCollector(file="brott.csv")  # keeps every problem (no grouping)
    with pytest.raises(DataError):
        validate(df, "crimes", collector=pc, table_checks=False)
    got = {(p.row, p.column, p.message.split(";")[0], p.value) for p in pc.problems}
    assert got == _expected_rows(df)
    assert len(pc.problems) == len(got)  # one problem per bad cell
    # the same frame in pieces under the row-wise threshold gives the same problems
    pieces = []
    for start in range(0, len(df), 500):
        part = df.iloc[start:start + 500]
        piece_pc = ProblemCollector(file="brott.csv")
        with pytest.raises(DataError):
            validate(part, "crimes", collector=piece_pc, table_checks=False,
                     rows=np.arange(start, start + len(part)) + 2)
        pieces += [(p.row, p.column, p.message, p.value, p.expected) for p in piece_pc.problems]
    assert sorted(pieces, key=str) == sorted(((p.row, p.column, p.message, p.value, p.expected)
                                              for p in pc.problems), key=str)


def test_repeated_bad_values_grouped_counts_match_a_row_loop():
    df = _many_rows(seed=11)
    with pytest.raises(DataError) as err:
        validate(df, "crimes", table_checks=False)
    expected = _expected_rows(df)
    assert err.value.total == len(expected)
    by_message = {}
    for row, column, message, value in expected:
        by_message[(column, message)] = by_message.get((column, message), 0) + 1
    groups = {}  # a group is column × message × expected (the hint depends on the value)
    for g in err.value.groups:
        key = (g.column, g.message.split(";")[0])
        groups[key] = groups.get(key, 0) + g.count
    assert groups == by_message


def test_mapped_spellings_are_counted_per_row_with_many_rows():
    df = _many_rows(seed=3)
    df["kommunkod"] = np.where(np.arange(len(df)) % 3 == 0, "114", "0114 ")
    df["crime_type"] = np.where(np.arange(len(df)) % 4 == 0, " cykelstöld", "Cykelstöld")
    df["period"] = [str(p) for p in pd.period_range("1200-01", periods=len(df), freq="M")]
    out = validate(df, "crimes")
    conv = {(c["column"], c["from"], c["to"]): c["rows"] for c in out.attrs["conversions"]}
    assert conv == {("kommunkod", "114", "0114"): sum(i % 3 == 0 for i in range(len(df))),
                    ("crime_type", "cykelstöld", "Cykelstöld"): sum(i % 4 == 0 for i in range(len(df)))}
    assert out["kommunkod"].dtype == "str" and set(out["kommunkod"]) == {"0114"}


def test_per_distinct_equals_row_wise():
    from analysis.spellings import _per_distinct
    rng = np.random.default_rng(0)
    for n in (10, 5000):
        s = pd.Series(rng.choice([" 0114", "114", "", "x 1"], size=n), dtype="str",
                      index=np.arange(n) * 3, name="kommunkod")
        s[s.index[::7]] = np.nan
        for fn in (lambda u: u.str.strip(), lambda u: u.isna() | (u == ""),
                   lambda u: u.str.fullmatch(r"\d{3}").fillna(False), lambda u: u.isin(["114"])):
            pd.testing.assert_series_equal(_per_distinct(s, fn), fn(s))
    ids = pd.Series([f"r{i}" for i in range(5000)], dtype="str")  # many distinct: row-wise
    pd.testing.assert_series_equal(_per_distinct(ids, lambda u: u.str.upper()), ids.str.upper())
