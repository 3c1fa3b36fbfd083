"""Selecting a measure's rows once gives the same series and panels as the whole crimes frame."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.evaluation._series import (build_panel, monthly_series, monthly_series_by_kommun,
                                         type_rows)

KOMMUNER = ("2181", "2180", "2182", "2183", "2184", "2101", "1760")
CRIME_TYPES = ("Butiksstöld/snatteri", "Våldsbrott", "Misshandel (inkl. grov);Rån",
               "Narkotikabrott;Narkotikabrott, innehav", "Samtliga brott;Våldsbrott")


@pytest.fixture(scope="module")
def world():
    from analysis.sample import generate

    return generate(kommuner=KOMMUNER)


@pytest.fixture(scope="module")
def damaged(world):
    """A gap in 2180, types missing in 2182, no population for 2183, a missing year for 2184."""
    c, p = world.crimes, world.population
    c = c.drop(c.index[(c["kommunkod"] == "2180") & (c["period"] == pd.Period("2019-03", "M"))])
    c = c.loc[~((c["kommunkod"] == "2182")
                & c["crime_type"].isin(["Rån (inkl. grovt)", "Narkotikabrott, innehav",
                                        "Samtliga brott"]))]
    p = p.loc[(p["kommunkod"] != "2183") & ~((p["kommunkod"] == "2184") & (p["year"] == 2020))]
    return c, p


def _per_kommun(crimes, population, crime_types):
    out = {}
    for code in KOMMUNER:
        try:
            out[code] = monthly_series(crimes, population, kommunkod=code, crime_types=crime_types)
        except Exception:  # noqa: BLE001 - left out, as the displacement check does
            continue
    return out


@pytest.mark.parametrize("crime_types", CRIME_TYPES)
@pytest.mark.parametrize("which", ["clean", "damaged", "no population"])
def test_series_by_kommun_are_monthly_series(world, damaged, crime_types, which):
    crimes, population = {"clean": (world.crimes, world.population), "damaged": damaged,
                          "no population": (world.crimes, None)}[which]
    got = monthly_series_by_kommun(crimes, population, kommuner=KOMMUNER,
                                   crime_types=crime_types)
    expected = _per_kommun(crimes, population, crime_types)
    assert list(got) == list(expected)
    if which == "damaged":
        assert not {"2180", "2183"} & set(got)  # the gap and the kommun without population
    for code, frame in expected.items():
        assert_frame_equal(got[code], frame, check_exact=True)


@pytest.mark.parametrize("crime_types", CRIME_TYPES)
def test_type_rows_give_the_same_series_and_panel(world, damaged, crime_types):
    for crimes, population in ((world.crimes, world.population), damaged):
        rows = type_rows(crimes, crime_types)
        assert len(rows) < len(crimes)
        for code in KOMMUNER:
            try:
                expected = monthly_series(crimes, population, kommunkod=code,
                                          crime_types=crime_types)
            except Exception as err:  # noqa: BLE001 - the same refusal is expected
                with pytest.raises(type(err)):
                    monthly_series(rows, population, kommunkod=code, crime_types=crime_types)
                continue
            assert_frame_equal(monthly_series(rows, population, kommunkod=code,
                                              crime_types=crime_types), expected,
                               check_exact=True)
        try:
            a = build_panel(crimes, population, crime_types=crime_types)
        except Exception as err:  # noqa: BLE001 - a kommun without population: the same refusal
            with pytest.raises(type(err), match=re.escape(str(err))):
                build_panel(rows, population, crime_types=crime_types)
            continue
        b = build_panel(rows, population, crime_types=crime_types)
        assert (a.codes, a.dropped) == (b.codes, b.dropped) and a.periods.equals(b.periods)
        for name in ("counts", "population", "exposure"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
