"""Which region a label in a Brå, SCB or NTU table names: riket, a län or a kommun.

Brå mixes levels in one column ("Hela landet", "Kronobergs län", "Huddinge") and writes them
with footnote marks ("Hela landet**"); SCB prefixes codes ("0180 Stockholm"). The readers use
:func:`resolve_region` so every format maps a label to the same ``(level, code, name)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..municipalities import code_for_name, counties, fold_name, municipalities

__all__ = ["Region", "resolve_region", "clean_label"]

_RIKET = {"riket", "hela riket", "hela landet", "sverige", "landet", "totalt riket", "riket totalt"}


@dataclass(frozen=True)
class Region:
    """A resolved region: ``level`` is ``riket``, ``lan``, ``kommun`` or ``polisregion``;
    ``code`` is ``"00"``, the 2-character län code, the 4-character kommun code, or ``None``."""

    level: str
    code: str | None
    name: str


def clean_label(label: str) -> tuple[str, str | None]:
    """Strip footnote marks from a table label; return ``(label, footnote)``.

    Brå glues footnote digits and stars to labels: ``"Hela landet**"``, ``"(1, 2, 5, 6 §)1"``.

    Examples
    --------
    >>> clean_label("Hela landet**"), clean_label("dödlig utgång (1, 2, 5, 6 §)1")
    (('Hela landet', '**'), ('dödlig utgång (1, 2, 5, 6 §)', '1'))
    >>> clean_label("3-7 kap. Brott mot person")
    ('3-7 kap. Brott mot person', None)
    """
    text = re.sub(r"\s+", " ", str(label).replace("\u00a0", " ")).strip()
    m = re.search(r"(\*+|(?<=[^\s\d.,\-])\d{1,2})$", text)
    if m and not re.fullmatch(r"\d+", text):
        return text[:m.start()].rstrip(), m.group(1)
    return text, None


def _region_key(text: str) -> str:
    return fold_name(text, ascii_only=True)


@lru_cache(maxsize=1)
def _lan_index() -> dict[str, tuple[str, str]]:
    index: dict[str, tuple[str, str]] = {}
    kommun_keys = {_region_key(n) for n in municipalities()["kommun"]}
    for code, name in zip(counties()["lanskod"], counties()["lan"]):
        index[_region_key(name)] = (code, name)
        short = re.sub(r"\s+län$", "", name)
        for variant in {short, short[:-1] if short.endswith("s") else short}:
            # short forms ("Skåne", "Västra Götaland") only where no kommun has that name
            if _region_key(variant) not in kommun_keys:
                index.setdefault(_region_key(variant), (code, name))
        index.setdefault(_region_key("region " + short), (code, name))
    return index


@lru_cache(maxsize=1)
def _kommun_names() -> dict[str, str]:
    m = municipalities()
    return dict(zip(m["kommunkod"], m["kommun"]))


@lru_cache(maxsize=4096)
def resolve_region(label: str) -> Region | None:
    """Resolve a region label to riket, a län or a kommun; ``None`` if it is none of them.

    A kommun name wins over a län short form ("Stockholm" is the kommun, "Stockholms län" the
    län); "Region Gotland" and "Gotland" are the kommun (the län has the same area).

    Examples
    --------
    >>> resolve_region("Hela landet**")
    Region(level='riket', code='00', name='Riket')
    >>> resolve_region("13 Hallands län")
    Region(level='lan', code='13', name='Hallands län')
    >>> resolve_region("0180 Stockholm"), resolve_region("Skåne")
    (Region(level='kommun', code='0180', name='Stockholm'), Region(level='lan', code='12', name='Skåne län'))
    >>> resolve_region("Narnia") is None
    True
    """
    text, _ = clean_label(label)
    m = re.match(r"^(\d{2}|\d{4})\s+(\S.*)$", text)
    code_hint = None
    if m:
        code_hint, text = m.group(1), m.group(2).strip()
    key = _region_key(text)
    if key in _RIKET or code_hint == "00" and key in _RIKET | {""}:
        return Region("riket", "00", "Riket")
    if key.startswith("polisregion "):
        return Region("polisregion", None, text)
    lan = _lan_index()
    names = _kommun_names()
    if code_hint and len(code_hint) == 4:
        if code_hint in names and code_for_name(text) in (code_hint, None):
            return Region("kommun", code_hint, names[code_hint])
        return None
    if code_hint and len(code_hint) == 2:
        hit = lan.get(key)
        if hit and hit[0] == code_hint:
            return Region("lan", hit[0], hit[1])
        return None
    if key.endswith(" lan") and key in lan:
        return Region("lan", *lan[key])
    code = code_for_name(text)
    if code is not None:
        return Region("kommun", code, names[code])
    if key in lan:
        return Region("lan", *lan[key])
    return None
