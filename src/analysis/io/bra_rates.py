"""Brå's published rates per 100 000 inhabitants, reproduced to the published digits.

Brå divides a count by a population from SCB (Folkmängd, which refers to 31 December) and
rounds the result; *which* population depends on the table family. The conventions below were
each verified on real published tables (tests/io/test_io_bra_rates.py, sources in
tests/fixtures/io/README.md):

``previous_year_end``
    SCB's population on 31 December of the year **before** the period (the latest figure when
    the statistics are produced). Brå's statistikdatabas, kommun × month (Boden and Luleå,
    August 2026: 29 of 29 rates), and the P1 län tables ("per 100 000 invånare"; Jönköpings län
    2007: 36 861 → 11 118.149 with 331 539 inhabitants on 31 December 2006). A month's rate is
    not scaled to a year.
``mean_population``
    "Medelfolkmängd": the mean of 31 December of the year before and 31 December of the year.
    Brå's Tabell 100 ("per 100 000 av medelfolkmängden"; riket 1998: 4 of 4 rates; 31 December
    1997 alone gives 13 349 instead of the published 13 344).
``year_end``
    31 December of the period's year: Kolada's convention (N07403 and relatives), and the
    toolkit's own rates; not Brå's.

Rounding is half up (``floor(x + 0.5)``), to whole numbers in every table except the raw P1
files, which carry up to nine significant digits.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

__all__ = ["BRA_RATE_CONVENTIONS", "bra_denominator", "bra_rate", "conventions_for",
           "round_half_up"]

#: Each convention: (Swedish phrase Brå uses, which population, where it was verified).
BRA_RATE_CONVENTIONS: dict[str, str] = {
    "previous_year_end": "per 100 000 invånare: folkmängden den 31 december året före perioden "
                         "(Brå:s statistikdatabas per kommun och månad; P1-tabellerna)",
    "mean_population": "per 100 000 av medelfolkmängden: medelvärdet av folkmängden den 31 december "
                       "året före och den 31 december samma år (Brå:s Tabell 100)",
    "year_end": "per 100 000 invånare den 31 december samma år (Kolada; inte Brå)",
}


def round_half_up(x, decimals: int = 0):
    """Round half up (12.5 → 13, 1 617.5 → 1 618), as Brå's tables do; not Python's banker's rounding.

    Examples
    --------
    >>> round_half_up(2.5), round(2.5)
    (3.0, 2)
    >>> round_half_up(11118.14899988, 3)
    11118.149
    """
    f = 10.0 ** decimals
    out = np.floor(np.asarray(x, dtype=float) * f + 0.5) / f
    return float(out) if out.ndim == 0 else out


def conventions_for(period_kind: str) -> tuple[str, ...]:
    """The conventions to try, in order, for a Brå table of this period kind.

    Monthly kommun tables use ``previous_year_end`` (verified). Annual tables are either
    ``mean_population`` (Tabell 100) or ``previous_year_end`` (P1, year to date); which one a
    given annual kommun table uses has not been verified, so both are tried.

    Examples
    --------
    >>> conventions_for("monthly")
    ('previous_year_end',)
    >>> conventions_for("annual")
    ('mean_population', 'previous_year_end')
    """
    if period_kind == "monthly":
        return ("previous_year_end",)
    if period_kind == "annual":
        return ("mean_population", "previous_year_end")
    raise ValueError(f"period_kind {period_kind!r}: expected 'monthly' or 'annual'")


def bra_denominator(populations: Mapping[int, float], year: int, convention: str) -> float:
    """The population Brå divides by for a period in ``year``.

    Parameters
    ----------
    populations : mapping of year → population on 31 December of that year (SCB Folkmängd)
    year : int
        The year of the period (the month's year for monthly figures).
    convention : str
        A key of :data:`BRA_RATE_CONVENTIONS`.

    Raises
    ------
    KeyError
        When a year the convention needs is missing, naming it.

    Examples
    --------
    >>> bra_denominator({1997: 8_847_625, 1998: 8_854_322}, 1998, "mean_population")
    8850973.5
    """
    if convention not in BRA_RATE_CONVENTIONS:
        raise ValueError(f"convention {convention!r}: expected one of {', '.join(BRA_RATE_CONVENTIONS)}")
    need = {"previous_year_end": (year - 1,), "mean_population": (year - 1, year),
            "year_end": (year,)}[convention]
    missing = [y for y in need if y not in populations or populations[y] is None
               or not np.isfinite(float(populations[y]))]
    if missing:
        raise KeyError(f"{convention} for {year} needs the population on 31 December "
                       + " and ".join(map(str, missing)))
    return float(np.mean([float(populations[y]) for y in need]))


def bra_rate(count, populations: Mapping[int, float], year: int, *, convention: str,
             decimals: int | None = 0):
    """Brå's published rate per 100 000 for ``count`` crimes in a period of ``year``.

    ``round_half_up(count / bra_denominator(populations, year, convention) × 100 000, decimals)``;
    ``decimals=None`` leaves it unrounded.

    Parameters
    ----------
    count : int or array of int
        Reported crimes in the period (one month, one year, …, as Brå counts them).
    populations : mapping of year → population on 31 December
    year : int
    convention : str
        ``previous_year_end``, ``mean_population`` or ``year_end`` (:data:`BRA_RATE_CONVENTIONS`).
    decimals : int or None
        Brå's tables print whole numbers (0); P1 files carry more.

    Examples
    --------
    Hela landet 1998, Tabell 100 "per 100 000 av medelfolkmängden" (published 13 344):

    >>> riket = {1997: 8_847_625, 1998: 8_854_322}
    >>> bra_rate(1_181_056, riket, 1998, convention="mean_population")
    13344.0
    >>> bra_rate(1_181_056, riket, 1998, convention="previous_year_end")  # not what Brå did
    13349.0

    Boden, Totalt antal brott, August 2026 (published 786), 28 624 inhabitants on 31 Dec 2025:

    >>> bra_rate(225, {2025: 28_624}, 2026, convention="previous_year_end")
    786.0
    """
    denom = bra_denominator(populations, year, convention)
    raw = np.asarray(count, dtype=float) / denom * 1e5
    if decimals is None:
        return float(raw) if raw.ndim == 0 else raw
    return round_half_up(raw, decimals)
