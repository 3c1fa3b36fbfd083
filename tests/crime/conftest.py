"""Shared fixtures for the crime-statistics tests: R golden values and their input series."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.crime import MonthlyPanel

REF = Path(__file__).resolve().parents[1] / "reference" / "crime"
SICILY = REF.parent / "evaluation" / "sicily.csv"  # the same file as shared/reference/real/sicily.csv


class Golden:
    """Lookup of tests/reference/crime/reference_values.csv (written by make_reference.R)."""

    def __init__(self):
        self.df = pd.read_csv(REF / "reference_values.csv", dtype={"case": str})

    def __call__(self, block, case, quantity) -> float:
        hit = self.df[(self.df["block"] == block) & (self.df["case"] == str(case))
                      & (self.df["quantity"] == quantity)]
        if len(hit) != 1:
            raise KeyError(f"no golden value {block}/{case}/{quantity}")
        return float(hit["value"].iloc[0])

    def has(self, block, case) -> bool:
        return bool(((self.df["block"] == block) & (self.df["case"] == str(case))).any())


@pytest.fixture(scope="session")
def golden():
    return Golden()


def _periods(d):
    return pd.PeriodIndex([pd.Period(year=int(y), month=int(m), freq="M")
                           for y, m in zip(d["year"], d["month"])])


def series_panel(name: str) -> tuple[MonthlyPanel, int]:
    """The panel of one reference series and its number of Fourier harmonics in the R script."""
    if name == "sicily":
        d = pd.read_csv(SICILY)
        return MonthlyPanel.from_arrays(d["aces"].to_numpy(), _periods(d),
                                        exposure=d["stdpop"].to_numpy()), 2
    s = pd.read_csv(REF / "series.csv")
    if name in set(s["series"]):
        d = s[s["series"] == name]
        return MonthlyPanel.from_arrays(d["count"].to_numpy(), _periods(d),
                                        population=d["population"].to_numpy()), 2
    h = pd.read_csv(REF / "halland_2010.csv")
    d = h[h["series"] == name]
    return MonthlyPanel.from_arrays(d["count"].to_numpy(), _periods(d),
                                    population=d["population"].to_numpy()), 1


def all_series_names() -> list[str]:
    s = pd.read_csv(REF / "series.csv")
    h = pd.read_csv(REF / "halland_2010.csv")
    return list(dict.fromkeys(s["series"])) + list(dict.fromkeys(h["series"])) + ["sicily"]


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
