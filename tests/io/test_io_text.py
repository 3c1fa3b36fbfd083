"""Encodings, delimiters and Swedish numbers (analysis.io.text)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.io.delimited import read_delimited, sniff_delimiter
from analysis.io.text import (Lines, decode_bytes, parse_number, parse_numbers, sniff_encoding,
                              split_numbers)


def test_swedish_numbers_and_symbols():
    p = parse_numbers(["2 431", "2\u00a0431", "2\u202f431", "1 489 319", "7,5", "-3,25", "\u22122",
                       "..", "-", "x", "XX", ".", ""])
    assert p.values[:7].tolist() == [2431, 2431, 2431, 1489319, 7.5, -3.25, -2]
    assert np.isnan(p.values[7]) and p.values[8] == 0.0
    # x and XX are hidden values: missing with a reason, never 0
    assert np.isnan(p.values[9:]).all()
    assert p.reason[9:12].tolist() == ["röjandekontroll (x)", "för få svar (XX)", "ej tillämpligt (.)"]
    assert p.suppressed.tolist() == [False] * 9 + [True, True, False, False]
    assert not p.invalid.any()


def test_ambiguous_or_foreign_numbers_are_invalid_not_guessed():
    p = parse_numbers(["1.234", "2 43", "12,5,1", "abc", "1,5"], decimal=",")
    assert p.invalid.tolist() == [True, True, True, True, False]
    q = parse_numbers(["2483.0", "11118.149", "1,5", "-", "."], decimal=".")
    assert q.values[:2].tolist() == [2483.0, 11118.149]
    assert q.invalid.tolist() == [False, False, True, False, False]
    with pytest.raises(ValueError, match="not a number"):
        parse_number("1.234")


def test_2_279_is_one_number():
    assert parse_number("2 279") == 2279.0
    row = "888 9 2 279 24 859 9 607 6 601 6 132 1 151 2 5 518 58"  # VERBATIM, Hela landet 2012
    cells = split_numbers(row, 16, pairs=True)
    assert cells == ["888", "9", "2 279", "24", "859", "9", "607", "6", "601", "6", "132", "1",
                     "151", "2", "5 518", "58"]
    with pytest.raises(ValueError, match="ways"):  # without the pair structure it is ambiguous
        split_numbers(row, 16)


def test_sniff_encoding_cases():
    text = "Område;Åtgärd\nVäxjö;Ökning\n"
    assert sniff_encoding(text.encode("utf-8"))[0] == "utf-8"
    assert sniff_encoding(b"\xef\xbb\xbf" + text.encode("utf-8"))[0] == "utf-8-sig"
    assert sniff_encoding(text.encode("cp1252"))[0] == "cp1252"
    assert sniff_encoding(text.encode("utf-16"))[0] == "utf-16"
    assert sniff_encoding(b"a,b\n1,2\n")[1].startswith("ASCII")


def test_declared_encoding_with_invalid_bytes_lists_every_line():
    data = "kommun;antal\nÅre;1\nAle;2\nÖrebro;3\n".encode("cp1252")
    with pytest.raises(DataError) as err:
        decode_bytes(data, encoding="utf-8", file="brott.csv")
    rows = [p.row for p in err.value.problems]
    assert rows == [2, 4]
    msg = str(err.value)
    assert "brott.csv, row 2" in msg and "0xC5" in msg and "cp1252" in msg


def test_mojibake_is_rejected_with_row():
    once_wrong = "kommun;antal\nGävle;3\nVäxjö;4\n".encode("utf-8").decode("cp1252").encode("utf-8")
    with pytest.raises(DataError) as err:
        read_delimited(once_wrong, file="trasig.csv")
    assert [p.row for p in err.value.problems] == [2, 3]
    assert "mojibake" in str(err.value) and "trasig.csv, row 2" in str(err.value)


def test_utf8_file_read_as_cp1252_is_caught():
    with pytest.raises(DataError, match="leave out encoding='cp1252'"):
        read_delimited("ort\nÅre\n".encode("utf-8"), encoding="cp1252", file="f.csv")


def test_replacement_characters_are_rejected():
    with pytest.raises(DataError, match="replacement character"):
        decode_bytes("ort\nG\ufffdvle\n".encode("utf-8"), file="f.csv")


def test_sniff_delimiter_respects_header_and_quotes():
    assert sniff_delimiter("a;b;c\n1,5;2,5;3\n") == ";"
    assert sniff_delimiter('a,b\n"1,5",2\n') == ","
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"


def test_wrong_delimiter_names_file_row_and_column():
    data = b"kommunkod;period;crime_type;count\n0114;2025-01;Cykelst\xc3\xb6ld;3\n"
    with pytest.raises(DataError) as err:
        read_delimited(data, delimiter=",", file="brott.csv")
    p = err.value.problems[0]
    assert (p.file, p.row) == ("brott.csv", 1) and "wrong delimiter" in p.message
    assert "delimiter=';'" in str(err.value) and "column 'kommunkod;period" in str(err.value)


def test_rows_with_too_many_fields_are_all_listed():
    data = b"a,b\n1,2\n3,4,5\n6,7\n8,9,10\n"
    with pytest.raises(DataError) as err:
        read_delimited(data, file="x.csv")
    assert [p.row for p in err.value.problems] == [3, 5]


def test_line_numbers_survive_blank_lines_and_quoted_line_breaks():
    d = read_delimited(b'a,b\n1,"two\nlines"\n\n3,4\n', file="x.csv")
    assert d.frame["a"].tolist() == ["1", "3"]
    assert d.rows.tolist() == [2, 5]


def test_lines_attr_is_cheap_to_copy():
    rows = Lines(np.arange(1_000_000))
    assert copy.deepcopy(rows) is rows
    df = pd.DataFrame({"x": np.zeros(3)})
    df.attrs["lines"] = Lines([2, 3, 4])
    assert df[["x"]].attrs["lines"].tolist() == [2, 3, 4]
