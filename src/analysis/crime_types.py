"""Crime types in Brå's vocabulary, with the facts the sample generator and the reports need.

Names follow Brå's published category names (domain notes §4.4). Readers map the wording
variants found in real files ("Misshandel inkl. grov", "misshandel", Brå's hierarchical
statistikdatabas labels and ids) to these canonical names through one alias table
(:data:`BRA_CATEGORIES`), which also adds the total, chapters and "därav" subcategories.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["CrimeType", "CRIME_TYPES", "CRIME_TYPE_NAMES", "FOCUS_AREAS", "AGGREGATES",
           "canonical_crime_type", "suggest_crime_type", "BraCategory", "BRA_CATEGORIES",
           "EXTRA_CRIME_TYPE_NAMES", "ALL_CRIME_TYPE_NAMES", "TOTAL_CRIME_TYPE", "bra_category",
           "ancestors", "drop_nested", "is_subcategory"]


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
        orders of magnitude (bedrägeribrott, trafikbrott and bidragsbrott included).
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
    CrimeType("Bedrägeribrott", 200_000, (1, 3, 10, 11), 0.15, "Bedrägeri och annan oredlighet (9 kap.)"),
    CrimeType("Trafikbrott", 70_000, (6, 7, 8, 12), -0.10, "Trafikbrottslagen"),
    CrimeType("Bidragsbrott", 4_000, (3, 9, 10), 0.0, "Bidragsbrottslagen"),
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

#: The focus areas a lägesbild treats, and the crime types (and survey items) that inform them
#: (the areas the seed kommuner name: drugs, relationship violence and public places
#: (Sandviken), traffic and drunk driving (Gagnef), välfärdsbrott (Storfors)). Violence in public
#: places is Brå's "Misshandel utomhus"; relationship violence is "Våld mot kvinna i nära
#: relation" with grov kvinnofridskränkning. An area may list a crime and its "därav"
#: subcategories: a sum over an area counts each crime once (:func:`drop_nested`).
FOCUS_AREAS: dict[str, dict[str, tuple[str, ...]]] = {
    "Våld i nära relation": {"crime_types": ("Våld mot kvinna i nära relation",
                                             "Grov kvinnofridskränkning"), "survey_items": ()},
    "Narkotika": {"crime_types": ("Narkotikabrott", "Narkotikabrott, eget bruk",
                                  "Narkotikabrott, innehav", "Narkotikabrott, överlåtelse"),
                  "survey_items": ("problem_narkotika",)},
    "Trygghet på offentliga platser": {
        "crime_types": ("Misshandel utomhus", "Rån (inkl. grovt)", "Ofredande", "Skadegörelsebrott"),
        "survey_items": ("otrygg_kvall", "problem_ungdomsgang")},
    "Trafikmiljö": {"crime_types": ("Trafikbrott", "Rattfylleri (inkl. grovt)"),
                    "survey_items": ("problem_trafik",)},
    "Välfärdsbrott och bedrägeri": {"crime_types": ("Bidragsbrott", "Bedrägeribrott"),
                                    "survey_items": ()},
    "Belysning": {"crime_types": (), "survey_items": ("problem_belysning",)},
}


# --------------------------------------------------------------------------- Brå's label set

@dataclass(frozen=True)
class BraCategory:
    """One category of Brå's reported-crime statistics, with the labels Brå prints for it.

    Attributes
    ----------
    name : str
        Canonical name (the ``crime_type`` value in tidy frames).
    level : str
        ``total``, ``group`` (brottsbalken / specialstraffrätt), ``chapter``, ``type``
        (a crime type or law) or ``subtype`` (a "därav" breakdown).
    parent : str or None
        Canonical name of the category it is part of.
    codes : tuple of str
        Brå's statistikdatabas ids (Brott_ID) where known: the kommun × year table (menyid 101)
        and the kommun × month table use different ids; both are listed.
    labels : tuple of str
        Labels as Brå prints them (statistikdatabas, monthly files, P-tables, Kolada), matched
        case-, accent- and punctuation-insensitively.
    """

    name: str
    level: str
    parent: str | None
    codes: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


_B = BraCategory
#: Brå's kommun statistics, as far as a lägesbild uses them. Labels and ids were read from a
#: real statistikdatabas extract (Lulea-statistik/BR-brottsstatistik ``data/latest.csv`` and
#: ``data/annual_all/categories_annual.csv``; see tests/fixtures/io/README.md); the "därav"
#: subcategories without an id there carry none.
BRA_CATEGORIES: tuple[BraCategory, ...] = (
    _B("Samtliga brott", "total", None, ("5036", "13192"),
       ("Totalt antal brott", "SAMTLIGA BROTT", "Samtliga anmälda brott", "Anmälda brott totalt",
        "Totalt")),
    _B("Brott mot brottsbalken", "group", "Samtliga brott", ("11084", "13193"), ("Brottsbalken",)),
    _B("Brott mot specialstraffrättsliga författningar", "group", "Samtliga brott",
       ("11085", "13231"), ("Specialstraffrättsliga författningar",)),
    _B("Brott mot person (3–7 kap.)", "chapter", "Brott mot brottsbalken", ("11086", "13194"),
       ("3-7 kap. Brott mot person", "Brott mot person")),
    _B("Brott mot liv och hälsa (3 kap.)", "chapter", "Brott mot person (3–7 kap.)", ("13195",),
       ("3 kap. Brott mot liv och hälsa", "Brott mot liv och hälsa")),
    _B("Brott mot frihet och frid (4 kap.)", "chapter", "Brott mot person (3–7 kap.)", ("13199",),
       ("4 kap. Brott mot frihet och frid", "Brott mot frihet och frid")),
    _B("Ärekränkningsbrott (5 kap.)", "chapter", "Brott mot person (3–7 kap.)", ("13688",),
       ("5 kap. Ärekränkningsbrott", "Ärekränkningsbrott")),
    _B("Sexualbrott", "chapter", "Brott mot person (3–7 kap.)", ("13678",),
       ("6 kap. Sexualbrott",)),
    _B("Brott mot familj (7 kap.)", "chapter", "Brott mot person (3–7 kap.)", ("13689",),
       ("7 kap. Brott mot familj", "Brott mot familj")),
    _B("Brott mot förmögenhet (8–12 kap.)", "chapter", "Brott mot brottsbalken", ("11087", "13206"),
       ("8-12 kap. Brott mot förmögenhet", "Brott mot förmögenhet")),
    _B("Stöld, rån m.m. (8 kap.)", "chapter", "Brott mot förmögenhet (8–12 kap.)", ("13207",),
       ("8 kap. Stöld, rån m.m.", "Stöld, rån m.m.", "Stöld- och tillgreppsbrott")),
    _B("Bedrägeribrott", "chapter", "Brott mot förmögenhet (8–12 kap.)", ("13211",),
       ("9 kap. Bedrägeri och annan oredlighet", "Bedrägeri och annan oredlighet", "Bedrägeri")),
    _B("Skadegörelsebrott", "chapter", "Brott mot förmögenhet (8–12 kap.)", ("13216",),
       ("12 kap. Skadegörelsebrott", "Skadegörelse")),
    _B("Brott mot allmänheten (13–15 kap.)", "chapter", "Brott mot brottsbalken", ("11088", "13217"),
       ("13-15 kap. Brott mot allmänheten", "Brott mot allmänheten")),
    _B("Brott mot staten (16–22 kap.)", "chapter", "Brott mot brottsbalken", ("11089", "13222"),
       ("16-22 kap. Brott mot staten", "16-20 kap. Brott mot staten", "Brott mot staten")),
    _B("Misshandel (inkl. grov)", "type", "Brott mot liv och hälsa (3 kap.)", ("13197",),
       ("därav misshandel inkl. grov", "Misshandel inkl. grov", "Misshandel, inkl. grov",
        "Misshandel")),
    _B("Misshandel utomhus", "subtype", "Misshandel (inkl. grov)", (),
       ("Misshandel inkl. grov, utomhus", "Misshandel utomhus", "därav utomhus misshandel")),
    _B("Misshandel inomhus", "subtype", "Misshandel (inkl. grov)", (),
       ("Misshandel inkl. grov, inomhus", "Misshandel inomhus", "därav inomhus misshandel")),
    _B("Våld mot kvinna i nära relation", "subtype", "Misshandel (inkl. grov)", (),
       ("Misshandel mot kvinna i nära relation", "Misshandel inkl. grov mot kvinna i nära relation",
        "Våld mot kvinna i nära relation", "Våld i nära relation mot kvinna",
        "Misshandel mot kvinna 18 år eller äldre, i nära relation")),
    _B("Grov kvinnofridskränkning", "type", "Brott mot frihet och frid (4 kap.)", (),
       ("därav grov kvinnofridskränkning",)),
    _B("Olaga hot", "type", "Brott mot frihet och frid (4 kap.)", (), ("därav olaga hot",)),
    _B("Ofredande", "type", "Brott mot frihet och frid (4 kap.)", (), ("därav ofredande",)),
    _B("Rån (inkl. grovt)", "type", "Stöld, rån m.m. (8 kap.)", ("13268",),
       ("därav rån, inkl. grovt", "Rån inkl. grovt", "Rån, inkl. grovt", "Rån")),
    _B("Bostadsinbrott", "type", "Stöld, rån m.m. (8 kap.)", ("13264",),
       ("därav inbrottsstöld i bostad", "Inbrottsstöld i bostad", "Stöld genom inbrott i bostad",
        "Inbrott i bostad")),
    _B("Biltillgrepp", "type", "Stöld, rån m.m. (8 kap.)", ("13258",), ("därav biltillgrepp",)),
    _B("Stöld ur eller från motordrivet fordon", "type", "Stöld, rån m.m. (8 kap.)", ("13262",),
       ("därav stöld ur och från motordrivet fordon", "Stöld ur och från motordrivet fordon")),
    _B("Cykelstöld", "type", "Stöld, rån m.m. (8 kap.)", ("13260",),
       ("därav cykeltillgrepp", "Cykeltillgrepp", "Stöld av cykel")),
    _B("Fickstöld", "type", "Stöld, rån m.m. (8 kap.)", ("13551",), ("därav fickstöld",)),
    _B("Butiksstöld/snatteri", "type", "Stöld, rån m.m. (8 kap.)", ("13550",),
       ("därav stöld och snatteri i butik, varuhus o.d.", "Stöld och snatteri i butik, varuhus o.d.",
        "Butiksstöld", "Snatteri")),
    _B("Narkotikabrott", "type", "Brott mot specialstraffrättsliga författningar", ("11650", "13236"),
       ("Brott mot narkotikastrafflagen", "Narkotikastrafflagen")),
    _B("Narkotikabrott, eget bruk", "subtype", "Narkotikabrott", (),
       ("därav eget bruk", "Eget bruk", "Narkotikabrott eget bruk", "Ringa narkotikabrott, eget bruk")),
    _B("Narkotikabrott, innehav", "subtype", "Narkotikabrott", (),
       ("därav innehav", "Innehav", "Narkotikabrott innehav")),
    _B("Narkotikabrott, överlåtelse", "subtype", "Narkotikabrott", (),
       ("därav överlåtelse", "Överlåtelse", "Narkotikabrott överlåtelse")),
    _B("Trafikbrott", "type", "Brott mot specialstraffrättsliga författningar", ("11643", "13232"),
       ("Brott mot trafikbrottslagen", "Trafikbrottslagen", "Trafikbrott enligt trafikbrottslagen")),
    _B("Rattfylleri (inkl. grovt)", "subtype", "Trafikbrott", (),
       ("därav rattfylleri", "Rattfylleri, inkl. grovt", "Rattfylleri inkl. grovt", "Rattfylleri")),
    _B("Bidragsbrott", "type", "Brott mot specialstraffrättsliga författningar", ("11689", "13276"),
       ("Brott mot bidragsbrottslagen", "Bidragsbrottslagen", "Välfärdsbrott")),
)

#: Canonical names that are not in :data:`CRIME_TYPES` (the sample's types): the total,
#: chapters and the subcategories a lägesbild may quote. Kept apart so that ``CRIME_TYPES``
#: keeps its meaning for the synthetic sample.
EXTRA_CRIME_TYPE_NAMES: tuple[str, ...] = tuple(
    c.name for c in BRA_CATEGORIES if c.name not in CRIME_TYPE_NAMES and c.name not in AGGREGATES)
#: Every name a ``crime_type`` column may hold.
ALL_CRIME_TYPE_NAMES: tuple[str, ...] = CRIME_TYPE_NAMES + tuple(AGGREGATES) + EXTRA_CRIME_TYPE_NAMES
#: The total of all reported crimes ("Totalt antal brott"), the figure kommuner quote most.
TOTAL_CRIME_TYPE = "Samtliga brott"


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").casefold()
    text = text.replace("\u00a0", " ")
    text = re.sub(r"^\s*\d+\s*(?:-\s*\d+)?\s*kap\.?\s+", " ", text)  # chapter prefix "3-7 kap."
    text = re.sub(r"\(|\)|\.|,|/|\*", " ", text)
    text = re.sub(r"\binkl\b|\binklusive\b|\bdarav\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


_ALIASES = {
    "misshandel grov": "Misshandel (inkl. grov)",
    "ran grovt": "Rån (inkl. grovt)",
    "skadegorelse": "Skadegörelsebrott",
    "narkotikastrafflagen": "Narkotikabrott",
    "butiksstold": "Butiksstöld/snatteri",
    "snatteri": "Butiksstöld/snatteri",
}


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], dict[str, str]]:
    by_label: dict[str, str] = {}
    by_code: dict[str, str] = {}
    for n in ALL_CRIME_TYPE_NAMES:
        by_label[_key(n)] = n
    for c in BRA_CATEGORIES:
        for lab in c.labels:
            by_label.setdefault(_key(lab), c.name)
        for code in c.codes:
            by_code[code] = c.name
    for k, v in _ALIASES.items():
        by_label.setdefault(k, v)
    return by_label, by_code


# Brå writes the hierarchy into the label: "Brott mot brottsbalken, 8-12 kap. Brott mot
# förmögenhet, 12 kap. Skadegörelsebrott"; a new level starts after ", " with a capital, a
# chapter number or "därav" (commas inside a name, "Stöld, rån m.m.", are followed by lower case).
_LEVEL_SPLIT = re.compile(r",\s+(?=[A-ZÅÄÖ0-9]|därav\s)")


def canonical_crime_type(name: str, *, code: str | None = None) -> str | None:
    """Map a crime-type label (or Brå id) from a real file to the canonical name; ``None`` if unknown.

    Brå's own labels are recognised in every form it prints: the statistikdatabas' hierarchical
    labels ("…, 12 kap. Skadegörelsebrott", "…, därav misshandel inkl. grov"), "Totalt antal
    brott" / "SAMTLIGA BROTT", chapter labels, and everyday spellings ("misshandel",
    "Misshandel inkl. grov"), case-insensitively.

    Parameters
    ----------
    name : str
        The label as written.
    code : str, optional
        Brå's id (Brott_ID / Brottskod); used when the label is not recognised.

    Examples
    --------
    >>> canonical_crime_type("Misshandel inkl. grov")
    'Misshandel (inkl. grov)'
    >>> canonical_crime_type("RÅN")
    'Rån (inkl. grovt)'
    >>> canonical_crime_type("Brott mot brottsbalken, 8-12 kap. Brott mot förmögenhet, 12 kap. Skadegörelsebrott")
    'Skadegörelsebrott'
    >>> canonical_crime_type("Totalt antal brott"), canonical_crime_type("x", code="13197")
    ('Samtliga brott', 'Misshandel (inkl. grov)')
    >>> canonical_crime_type("Trolldom") is None
    True
    """
    by_label, by_code = _index()
    k = _key(name)
    if k in by_label:
        return by_label[k]
    parts = _LEVEL_SPLIT.split(str(name))
    if len(parts) > 1:
        last = _key(parts[-1])
        if last in by_label:
            return by_label[last]
    if code is not None:
        return by_code.get(str(code).strip().split(".")[0])
    return None


def suggest_crime_type(name: str) -> str | None:
    """The closest known crime type to an unknown label (for "did you mean …?"), or ``None``.

    Examples
    --------
    >>> suggest_crime_type("Misshandle")
    'Misshandel (inkl. grov)'
    """
    by_label, _ = _index()
    last = _LEVEL_SPLIT.split(str(name))[-1]
    hit = difflib.get_close_matches(_key(last), list(by_label), n=1, cutoff=0.6)
    return by_label[hit[0]] if hit else None


def bra_category(name: str) -> BraCategory | None:
    """The :class:`BraCategory` of a canonical name (``None`` for the sample's aggregates)."""
    return next((c for c in BRA_CATEGORIES if c.name == name), None)


def ancestors(name: str) -> tuple[str, ...]:
    """The categories ``name`` is part of in Brå's hierarchy, nearest first.

    Examples
    --------
    >>> ancestors("Misshandel utomhus")[:2]
    ('Misshandel (inkl. grov)', 'Brott mot liv och hälsa (3 kap.)')
    >>> ancestors("Våldsbrott")
    ()
    """
    out, c = [], bra_category(name)
    while c is not None and c.parent is not None:
        out.append(c.parent)
        c = bra_category(c.parent)
    return tuple(out)


def drop_nested(names) -> tuple[str, ...]:
    """``names`` without those whose parent (or chapter, or the total) is among them too, so a
    sum over the result counts every crime once; order kept.

    Examples
    --------
    >>> drop_nested(["Trafikbrott", "Rattfylleri (inkl. grovt)", "Bidragsbrott"])
    ('Trafikbrott', 'Bidragsbrott')
    >>> drop_nested(["Misshandel utomhus", "Misshandel inomhus"])
    ('Misshandel utomhus', 'Misshandel inomhus')
    """
    names = tuple(dict.fromkeys(names))
    present = set(names)
    return tuple(n for n in names if not set(ancestors(n)) & present)


def is_subcategory(name: str) -> bool:
    """True for Brå's "därav" subcategories (``level == "subtype"``): the report marks them
    and never adds them to their crime.

    Examples
    --------
    >>> is_subcategory("Misshandel inomhus"), is_subcategory("Misshandel (inkl. grov)")
    (True, False)
    """
    c = bra_category(name)
    return c is not None and c.level == "subtype"
