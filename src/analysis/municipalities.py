"""The master register of Sweden's 290 kommuner: codes, names, län and population.

Every other module joins on ``kommunkod``, a 4-character string ("0114", never 114). Names from
outside sources (Brå files, Kolada, survey exports) are mapped to codes here, with the
variants analysts meet in practice ("Upplands Bro", "Region Gotland", "Falu kommun").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Iterable

import pandas as pd

from .errors import DataError, Problem

__all__ = [
    "municipalities",
    "counties",
    "code_for_name",
    "codes_for_names",
    "normalize_code",
    "is_valid_code",
    "name_of",
    "lan_of",
    "genitive",
    "kommun_phrase",
    "kommungrupper",
    "RIKET_CODE",
]

RIKET_CODE = "00"
_CODE_RE = re.compile(r"^\d{4}$")


def _read_package_csv(name: str) -> pd.DataFrame:
    with resources.files("analysis").joinpath("data", name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def _register() -> pd.DataFrame:
    df = _read_package_csv("kommuner.csv")
    out = pd.DataFrame({
        "kommunkod": df["kommunkod"],
        "kommun": df["kommun"],
        "lanskod": df["lanskod"],
        "lan": df["lan"],
        "population": df["folkmangd"].astype("int64"),
        "population_date": df["folkmangd_avser"],
        "population_note": df["anmarkning"],
    })
    return out.sort_values("kommunkod", ignore_index=True)


@lru_cache(maxsize=1)
def _groups() -> pd.DataFrame:
    df = _read_package_csv("kommungrupper.csv")
    if len(df) != 290 or set(df["kommunkod"]) != set(_register()["kommunkod"]):
        raise DataError("package data kommungrupper.csv does not list the 290 kommuner")
    return df.sort_values("kommunkod", ignore_index=True)


def kommungrupper() -> pd.DataFrame:
    """SKR's kommungruppsindelning 2023 for all 290 kommuner.

    Returns
    -------
    pandas.DataFrame
        ``kommunkod``, ``kommun``, ``kommungrupp_kod`` (A1–C9), ``kommungrupp`` (SKR's name),
        ``huvudgrupp``. Källa: SKR, Kommungruppsindelning 2023 (see ``data/SOURCES.md``).

    Examples
    --------
    >>> g = kommungrupper().set_index("kommunkod")
    >>> g.loc[["2181", "2026", "1760", "1080"], "kommungrupp_kod"].tolist()
    ['B5', 'B4', 'C7', 'C6']
    >>> g["kommungrupp_kod"].value_counts().sort_index().tolist()
    [3, 43, 23, 63, 24, 27, 51, 35, 21]
    """
    return _groups().copy()


def municipalities() -> pd.DataFrame:
    """All 290 kommuner.

    Returns
    -------
    pandas.DataFrame
        One row per kommun, sorted by code, with columns ``kommunkod`` (4-character string),
        ``kommun`` (short name, e.g. "Gotland"), ``lanskod`` (2-character string), ``lan``,
        ``population`` (31 December 2025, Kolada N01951 via a third-party copy; seven round values
        are marked ``rund_siffra_kontrollera`` in ``population_note``), ``population_date``.

    Examples
    --------
    >>> m = municipalities()
    >>> len(m), m["lanskod"].nunique(), int(m["population"].sum())
    (290, 21, 10605520)
    >>> m.loc[m.kommunkod == "1760", ["kommun", "lan", "population"]].to_dict("records")
    [{'kommun': 'Storfors', 'lan': 'Värmlands län', 'population': 3777}]
    """
    return _register().copy()


def counties() -> pd.DataFrame:
    """The 21 län: ``lanskod``, ``lan``, ``n_kommuner``, ``population``."""
    m = _register()
    return (m.groupby(["lanskod", "lan"], as_index=False)
             .agg(n_kommuner=("kommunkod", "size"), population=("population", "sum")))


def fold_name(name: str, *, ascii_only: bool = False) -> str:
    """Case-, hyphen- and whitespace-insensitive key for a kommun name.

    With ``ascii_only`` diacritics are dropped too ("Vaxjo" for "Växjö"); such keys are used
    only where they are unambiguous (Håbo and Habo both fold to "habo").
    """
    text = unicodedata.normalize("NFC", str(name))
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s\-_]+", " ", text.casefold()).strip()


def _strip_affixes(key: str) -> list[str]:
    """Candidate keys after removing "kommun", "stad", "region" and genitive endings."""
    cands = [key]
    base = re.sub(r"^(region)\s+", "", key)
    base = re.sub(r"\s+(kommun|stad|municipality)$", "", base)
    if base != key:
        cands.append(base)
        if base.endswith("s"):
            cands.append(base[:-1])  # "Göteborgs stad" -> "Göteborg"
    return cands


@lru_cache(maxsize=1)
def _name_index() -> tuple[dict[str, str], dict[str, str]]:
    """Exact (diacritics kept) and ascii-folded indexes; ambiguous ascii keys are dropped."""
    reg = _register()
    variants = _read_package_csv("kommun_name_variants.csv")
    pairs = list(zip(reg["kommun"], reg["kommunkod"])) + list(zip(variants["variant"], variants["kommunkod"]))
    exact: dict[str, str] = {}
    loose: dict[str, set[str]] = {}
    for name, code in pairs:
        exact.setdefault(fold_name(name), code)
        loose.setdefault(fold_name(name, ascii_only=True), set()).add(code)
    return exact, {k: next(iter(v)) for k, v in loose.items() if len(v) == 1}


def code_for_name(name: str) -> str | None:
    """Map a kommun name, in any common variant, to its code; ``None`` if unknown.

    Matching ignores case, hyphens and extra spaces, accepts the official forms
    ("Stockholms stad", "Region Gotland", "Falu kommun"), and accepts names written without
    å, ä, ö where that is unambiguous ("Vaxjo", but not "Habo" for Håbo).

    Examples
    --------
    >>> [code_for_name(n) for n in ["Upplands Bro", "Upplands-Bro", "REGION GOTLAND",
    ...                              "Malung-Sälen", "Dals Ed", "Göteborgs stad", "Narnia"]]
    ['0139', '0139', '0980', '2023', '1438', '1480', None]
    >>> code_for_name("Håbo"), code_for_name("Habo"), code_for_name("Vaxjo")
    ('0305', '0643', '0780')
    """
    if name is None:
        return None
    exact, loose = _name_index()
    for key in _strip_affixes(fold_name(name)):
        if key in exact:
            return exact[key]
    for key in _strip_affixes(fold_name(name, ascii_only=True)):
        if key in loose:
            return loose[key]
    return None


def codes_for_names(names: Iterable[str], *, file: str | None = None, column: str = "kommun",
                    rows: Iterable[int] | None = None) -> list[str]:
    """Map many names to codes; unknown names raise one :class:`DataError` listing them all."""
    names = list(names)
    rows = list(rows) if rows is not None else [None] * len(names)
    codes, problems = [], []
    for name, row in zip(names, rows):
        code = code_for_name(name)
        if code is None:
            problems.append(Problem("unknown kommun name", file=file, row=row, column=column,
                                    value=name, expected="one of the 290 kommun names "
                                    "(see analysis.municipalities())"))
        codes.append(code)
    if problems:
        raise DataError(problems)
    return codes


def is_valid_code(code: object) -> bool:
    """True for one of the 290 current kommun codes given as a 4-character string."""
    return isinstance(code, str) and code in _valid_codes()


@lru_cache(maxsize=1)
def _valid_codes() -> frozenset[str]:
    return frozenset(_register()["kommunkod"])


def normalize_code(value: object) -> str:
    """Return a valid 4-character kommun code or raise ``ValueError`` saying why.

    Integers and 3-digit strings lose their leading zero when a spreadsheet touches them;
    they are *not* silently repaired here: a code must be given as text.

    Examples
    --------
    >>> normalize_code("0114")
    '0114'
    >>> normalize_code("0180 Stockholm")  # SCB labels carry the name after the code
    '0180'
    >>> normalize_code(114)
    Traceback (most recent call last):
    ...
    ValueError: kommunkod 114 must be a 4-character string, e.g. '0114' (a leading zero was probably lost)
    """
    if isinstance(value, str):
        text = value.strip()
        m = re.match(r"^(\d{4})(\s+\S.*)?$", text)
        if m and m.group(1) in _valid_codes():
            return m.group(1)
        if re.fullmatch(r"\d{3}", text):
            raise ValueError(f"kommunkod '{text}' must be 4 characters, e.g. '0{text}' "
                             "(a leading zero was probably lost)")
        if _CODE_RE.match(text):
            raise ValueError(f"kommunkod '{text}' is not one of the 290 current kommun codes")
        raise ValueError(f"kommunkod '{text}' is malformed; expected 4 digits such as '0114'")
    if isinstance(value, int) or (isinstance(value, float) and float(value).is_integer()):
        iv = int(value)
        hint = " (a leading zero was probably lost)" if iv < 1000 else ""
        raise ValueError(f"kommunkod {iv} must be a 4-character string, e.g. '{iv:04d}'{hint}")
    raise ValueError(f"kommunkod {value!r} is malformed; expected 4 digits such as '0114'")


def name_of(code: str) -> str:
    """Short name of a kommun, e.g. ``name_of("1760") == "Storfors"``."""
    reg = _register().set_index("kommunkod")
    return str(reg.at[normalize_code(code), "kommun"])


def lan_of(code: str) -> tuple[str, str]:
    """``(lanskod, lan)`` of a kommun, e.g. ``("17", "Värmlands län")`` for Storfors."""
    reg = _register().set_index("kommunkod")
    c = normalize_code(code)
    return str(reg.at[c, "lanskod"]), str(reg.at[c, "lan"])


#: Genitive forms that the spelling rule cannot give ("Falu kommun", "Kalmar kommun").
_IRREGULAR_GENITIVE = {"Falun": "Falu", "Kalmar": "Kalmar"}
#: Kommuner whose official name is not "<genitive> kommun": Region Gotland and the kommuner
#: that call themselves "stad".
_OFFICIAL_NAME = {"0980": "Region Gotland", "0180": "Stockholms stad", "1480": "Göteborgs stad",
                  "1280": "Malmö stad", "0184": "Solna stad", "0183": "Sundbybergs stad",
                  "0186": "Lidingö stad", "0187": "Vaxholms stad", "1980": "Västerås stad",
                  "1490": "Borås stad", "1283": "Helsingborgs stad", "1481": "Mölndals stad",
                  "1488": "Trollhättans stad", "1282": "Landskrona stad", "2583": "Haparanda stad"}
_NO_GENITIVE_S = tuple("aeiouyåäöéAEIOUYÅÄÖÉ") + ("s", "x", "z")


def genitive(name: str) -> str:
    """The genitive of a kommun's short name, as in its official name "<genitiv> kommun".

    Swedish adds "s" except after a vowel or after s, x or z ("Sandvikens", "Gagnefs", but
    "Storfors", "Vännäs", "Överkalix", "Mora"); Falun's is "Falu".

    Parameters
    ----------
    name : str
        A short name from the register (:func:`name_of`), e.g. "Sandviken".

    Returns
    -------
    str

    Examples
    --------
    >>> [genitive(n) for n in ["Sandviken", "Gagnef", "Storfors", "Vännäs", "Mora", "Falun"]]
    ['Sandvikens', 'Gagnefs', 'Storfors', 'Vännäs', 'Mora', 'Falu']
    """
    text = str(name).strip()
    if not text:
        raise ValueError("a kommun name is needed for its genitive, got an empty string")
    if text in _IRREGULAR_GENITIVE:
        return _IRREGULAR_GENITIVE[text]
    return text if text.endswith(_NO_GENITIVE_S) else text + "s"


def kommun_phrase(code: str) -> str:
    """What a text calls the kommun: "Sandvikens kommun", "Storfors kommun", "Region Gotland".

    Use it wherever a draft would otherwise write "<name> kommun". Kommuner that call
    themselves "stad" get that name ("Stockholms stad").

    Parameters
    ----------
    code : str
        Kommunkod (4 characters).

    Returns
    -------
    str

    Examples
    --------
    >>> [kommun_phrase(c) for c in ["2181", "2026", "1760", "2460", "0980", "2080"]]
    ['Sandvikens kommun', 'Gagnefs kommun', 'Storfors kommun', 'Vännäs kommun', 'Region Gotland', 'Falu kommun']
    """
    c = normalize_code(code)
    return _OFFICIAL_NAME.get(c) or f"{genitive(name_of(c))} kommun"
