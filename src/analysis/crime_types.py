"""Crime types in Brå's vocabulary, with the facts the sample generator and the reports need.

Names follow Brå's published category names (domain notes §4.4). Readers map the wording
variants found in real files ("Misshandel inkl. grov", "misshandel") to these canonical names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["CrimeType", "CRIME_TYPES", "CRIME_TYPE_NAMES", "FOCUS_AREAS", "AGGREGATES",
           "canonical_crime_type"]


@dataclass(frozen=True)
class CrimeType:
    """One Brå crime category.

    Attributes
    ----------
    name : str
        Canonical Brå name, used as ``crime_type`` everywhere.
    national_per_year : int
        Approximate national number of reported crimes a year in the mid-2020s. Used only to give
        the *synthetic* sample realistic levels; three values (sexualbrott, rån, skadegörelse-
        och narkotikabrott) are Brå's 2024 counts (secondary source), the rest are rounded
        orders of magnitude.
    peak_months : tuple of int
        Months with the highest counts in a typical year (for the synthetic seasonality).
    urban_gradient : float
        Elasticity of the rate with respect to population size: > 0 means the rate per
        inhabitant is higher in large kommuner (synthetic).
    chapter : str
        Where the crime sits in the Brå hierarchy.
    """

    name: str
    national_per_year: int
    peak_months: tuple[int, ...]
    urban_gradient: float
    chapter: str


CRIME_TYPES: tuple[CrimeType, ...] = (
    CrimeType("Misshandel (inkl. grov)", 84_000, (6, 7, 8), 0.10, "Brott mot liv och hälsa (3 kap.)"),
    CrimeType("Olaga hot", 55_000, (5, 6, 9), 0.05, "Brott mot frihet och frid (4 kap.)"),
    CrimeType("Ofredande", 65_000, (5, 6, 9), 0.05, "Brott mot frihet och frid (4 kap.)"),
    CrimeType("Sexualbrott", 25_879, (6, 7, 8), 0.10, "Sexualbrott (6 kap.)"),
    CrimeType("Grov kvinnofridskränkning", 1_600, (1, 7, 12), -0.05, "Brott mot frihet och frid (4 kap.)"),
    CrimeType("Rån (inkl. grovt)", 4_760, (10, 11, 12), 0.45, "Stöld, rån m.m. (8 kap.)"),
    CrimeType("Bostadsinbrott", 11_000, (10, 11, 12), 0.10, "Stöld, rån m.m. (8 kap.)"),
    CrimeType("Bilbrott", 45_000, (8, 9, 10), 0.20, "Stöld, rån m.m. (8 kap.)"),
    CrimeType("Cykelstöld", 55_000, (6, 7, 8, 9), 0.35, "Stöld, rån m.m. (8 kap.)"),
    CrimeType("Butiksstöld/snatteri", 60_000, (11, 12), 0.25, "Stöld, rån m.m. (8 kap.)"),
    CrimeType("Skadegörelsebrott", 198_979, (4, 5, 6, 7), 0.05, "Skadegörelsebrott (12 kap.)"),
    CrimeType("Narkotikabrott", 130_297, (3, 4, 5, 9, 10), 0.15, "Narkotikastrafflagen"),
)

CRIME_TYPE_NAMES: tuple[str, ...] = tuple(c.name for c in CRIME_TYPES)

#: Summary categories built from the base types above. "Våldsbrott" follows Kolada N07403 as far
#: as the base types allow (misshandel, rån, grov kvinnofridskränkning; våldtäkt sits inside
#: sexualbrott here and is left out).
AGGREGATES: dict[str, tuple[str, ...]] = {
    "Våldsbrott": ("Misshandel (inkl. grov)", "Rån (inkl. grovt)", "Grov kvinnofridskränkning"),
    "Mängdbrott": ("Misshandel (inkl. grov)", "Bostadsinbrott", "Bilbrott", "Cykelstöld",
                   "Butiksstöld/snatteri", "Skadegörelsebrott"),
}

#: The focus areas a lägesbild treats, and the crime types (and survey items) that inform them.
FOCUS_AREAS: dict[str, dict[str, tuple[str, ...]]] = {
    "Våld i nära relation": {"crime_types": ("Grov kvinnofridskränkning",), "survey_items": ()},
    "Narkotika": {"crime_types": ("Narkotikabrott",), "survey_items": ("problem_narkotika",)},
    "Trygghet på offentliga platser": {
        "crime_types": ("Misshandel (inkl. grov)", "Rån (inkl. grovt)", "Ofredande", "Skadegörelsebrott"),
        "survey_items": ("otrygg_kvall", "problem_ungdomsgang")},
    "Trafikmiljö": {"crime_types": (), "survey_items": ("problem_trafik",)},
    "Belysning": {"crime_types": (), "survey_items": ("problem_belysning",)},
}


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").casefold()
    text = re.sub(r"\(|\)|\.|,", " ", text)
    text = re.sub(r"\binkl\b|\binklusive\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


_ALIASES = {
    "misshandel": "Misshandel (inkl. grov)",
    "misshandel grov": "Misshandel (inkl. grov)",
    "misshandel inkl grov": "Misshandel (inkl. grov)",
    "ran": "Rån (inkl. grovt)",
    "ran grovt": "Rån (inkl. grovt)",
    "inbrott i bostad": "Bostadsinbrott",
    "skadegorelse": "Skadegörelsebrott",
    "narkotikastrafflagen": "Narkotikabrott",
    "butiksstold": "Butiksstöld/snatteri",
    "snatteri": "Butiksstöld/snatteri",
    "cykelstold": "Cykelstöld",
}


def canonical_crime_type(name: str) -> str | None:
    """Map a crime-type label from a real file to the canonical name; ``None`` if unknown.

    Base types, aggregates and the top rows of Brå tables ("SAMTLIGA BROTT") are recognised.

    Examples
    --------
    >>> canonical_crime_type("Misshandel inkl. grov")
    'Misshandel (inkl. grov)'
    >>> canonical_crime_type("RÅN")
    'Rån (inkl. grovt)'
    >>> canonical_crime_type("Trolldom") is None
    True
    """
    k = _key(name)
    known = {_key(n): n for n in CRIME_TYPE_NAMES + tuple(AGGREGATES)}
    known.update({_key(n): n for n in ("SAMTLIGA BROTT", "Brott mot brottsbalken", "Brott mot person",
                                       "Brott mot liv och hälsa")})
    if k in known:
        return known[k]
    return _ALIASES.get(k)
