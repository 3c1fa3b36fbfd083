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
