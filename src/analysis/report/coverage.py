"""Which comparisons a data folder can support, and what the draft says when it cannot.

A lägesbild compares the kommun with its län, riket and "liknande kommuner". Those levels are
sums over kommuner (:func:`analysis.crime.crime_rates`), so a comparison is made only when the
crime data cover *every* kommun of it: all kommuner of the län, all 290 for riket, every member
of the comparison group. A folder imported from one kommun's exports covers none of them; the
draft then says so in Swedish, why, and which file to add, instead of comparing with a part.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..crime.total import MIN_LAN_KOMMUNER
from ..municipalities import municipalities, name_of

__all__ = ["Coverage", "coverage", "REFERENCES", "missing_comparison_text", "NOT_COMPARED", "own_levels_intro"]

#: The comparisons of a lägesbild, in the order the draft names them.
REFERENCES = ("riket", "lan", "liknande")

#: What a problem table shows where a comparison could not be made (not a verdict).
NOT_COMPARED = "jämförelse saknas"


@dataclass(frozen=True)
class Coverage:
    """Which kommuner of each comparison the crime data hold.

    Attributes
    ----------
    kommunkod, kommun, lan : str
    n_riket, n_riket_total : int
        Kommuner in the data, and in Sweden (290).
    n_lan, n_lan_total : int
        Kommuner of the kommun's län in the data, and in the län.
    n_similar, n_similar_total : int
        Members of the comparison group ("liknande kommuner") in the data, and in the group.
    """

    kommunkod: str
    kommun: str
    lan: str
    n_riket: int
    n_riket_total: int
    n_lan: int
    n_lan_total: int
    n_similar: int
    n_similar_total: int

    def covers(self, reference: str) -> bool:
        """Whether the data hold every kommun of ``riket``, ``lan`` or ``liknande``, and it has
        enough kommuner to compare with (a län of one kommun, Gotland, has not)."""
        have, total = self._counts(reference)
        return total >= MIN_LAN_KOMMUNER and have == total

    @property
    def lan_too_small(self) -> bool:
        """The län has too few kommuner for a comparison (Gotland: the kommun is the län)."""
        return self.n_lan_total < MIN_LAN_KOMMUNER

    @property
    def missing(self) -> tuple[str, ...]:
        """The references that cannot be compared with, in :data:`REFERENCES` order."""
        return tuple(r for r in REFERENCES if not self.covers(r))

    def _counts(self, reference: str) -> tuple[int, int]:
        if reference not in REFERENCES:
            raise ValueError(f"reference {reference!r}: expected one of {', '.join(REFERENCES)}")
        return {"riket": (self.n_riket, self.n_riket_total), "lan": (self.n_lan, self.n_lan_total),
                "liknande": (self.n_similar, self.n_similar_total)}[reference]


def coverage(ctx) -> Coverage:
    """The :class:`Coverage` of a :class:`~analysis.report.context.ReportContext`'s crime data.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> ctx = SimpleNamespace(kommunkod="1760", lanskod="17", lan="Värmlands län",
    ...                       similar=("0512", "1904"), crimes=pd.DataFrame({"kommunkod": ["1760"]}))
    >>> cov = coverage(ctx)
    >>> cov.missing, (cov.n_lan, cov.n_lan_total), (cov.n_riket, cov.n_riket_total)
    (('riket', 'lan', 'liknande'), (1, 16), (1, 290))
    """
    have = set(ctx.crimes["kommunkod"].unique())
    m = municipalities()
    in_lan = set(m.loc[m["lanskod"] == ctx.lanskod, "kommunkod"])
    similar = set(ctx.similar)
    return Coverage(ctx.kommunkod, name_of(ctx.kommunkod), ctx.lan,
                    len(have & set(m["kommunkod"])), len(m), len(have & in_lan), len(in_lan),
                    len(have & similar), len(similar))


def missing_comparison_text(cov: Coverage, references=None, *, lead: str = "",
                            then: str = "") -> str:
    """The draft's sentences for comparisons that cannot be made: which, why, which file to add.

    Empty when every reference asked for is covered. ``lead`` and ``then`` are sentences of
    the report's own (never data text) put before and after, e.g. what the draft leaves out.

    Examples
    --------
    >>> cov = Coverage("1760", "Storfors", "Värmlands län", 1, 290, 1, 16, 0, 15)
    >>> print(missing_comparison_text(cov, ["riket", "lan"]))
    Jämförelsen med riket och Värmlands län saknas. Datamappen har anmälda brott för 1 av landets 290 kommuner och 1 av länets 16 kommuner, och länets och rikets nivåer räknas som summor över alla deras kommuner; en del av kommunerna ger ingen rättvisande nivå. Lägg till Brå:s tabell över anmälda brott för alla kommuner (statistikdatabasen, samma brottstyper och månader) och SCB:s folkmängd för alla kommuner, och kör `lagesbild import` igen.
    """
    refs = [r for r in (references or REFERENCES) if not cov.covers(r)]
    alone = ""
    if "lan" in refs and cov.lan_too_small:  # not missing data: nothing to compare with
        refs.remove("lan")
        alone = (f"Jämförelsen med {cov.lan} görs inte: länet har bara en kommun, så "
                 f"{cov.kommun} skulle jämföras med sig själv." if cov.n_lan_total == 1 else
                 f"Jämförelsen med {cov.lan} görs inte: länet har bara {cov.n_lan_total} "
                 "kommuner, för få för en jämförelse.")
    if not refs:
        return " ".join(t for t in (lead, alone, then) if t) if alone else ""
    names = {"riket": "riket", "lan": cov.lan, "liknande": "liknande kommuner"}
    what = [names[r] for r in refs]
    head = "Jämförelsen med " + (what[0] if len(what) == 1 else ", ".join(what[:-1]) + " och " + what[-1])
    have = []
    if "riket" in refs:
        have.append(f"{cov.n_riket} av landets {cov.n_riket_total} kommuner")
    if "lan" in refs:
        have.append(f"{cov.n_lan} av länets {cov.n_lan_total} kommuner")
    if "liknande" in refs:
        have.append(f"{cov.n_similar} av de {cov.n_similar_total} kommunerna i jämförelsegruppen")
    levels = [w for r, w in (("lan", "länets"), ("riket", "rikets"), ("liknande", "jämförelsegruppens"))
              if r in refs]
    levels_text = levels[0] if len(levels) == 1 else ", ".join(levels[:-1]) + " och " + levels[-1]
    which = ("alla kommuner" if "riket" in refs else
             f"alla kommuner i {cov.lan}" if refs == ["lan"] else
             "kommunerna i jämförelsegruppen" if refs == ["liknande"] else
             f"alla kommuner i {cov.lan} och i jämförelsegruppen")
    text = (f"{head} saknas. Datamappen har anmälda brott för {' och '.join(have)}, och "
            f"{levels_text} {'nivå räknas som en summa' if len(levels) == 1 else 'nivåer räknas som summor'} "
            f"över alla {'dess' if len(levels) == 1 else 'deras'} kommuner; en del av kommunerna ger "
            "ingen rättvisande nivå. "
            f"Lägg till Brå:s tabell över anmälda brott för {which} (statistikdatabasen, samma "
            f"brottstyper och månader) och SCB:s folkmängd för {which}, och kör `lagesbild import` igen.")
    return " ".join(t for t in (lead, alone, text, then) if t)


def own_levels_intro(cov: Coverage, year: int) -> str:
    """The sentence before the kommun's own rates when riket is not in the data.

    Examples
    --------
    >>> cov = Coverage("1760", "Storfors", "Värmlands län", 1, 290, 1, 16, 0, 15)
    >>> own_levels_intro(cov, 2025)[:60]
    'Tabellen visar kommunens anmälda brott 2025, antal och per 1'
    """
    lan = f", och {cov.lan}s nivå" if cov.covers("lan") else ""
    return (f"Tabellen visar kommunens anmälda brott {int(year)}, antal och per 100\u00a0000 invånare "
            f"(folkmängd 31 december) med 95-procentigt konfidensintervall{lan}. En stjärna (*) "
            "markerar färre än 10 anmälda brott.")
