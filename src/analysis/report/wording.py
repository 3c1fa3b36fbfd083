"""Fixed Swedish paragraphs of the lägesbild: headings, section introductions, method note,
sources and limitations.

Sentences built from numbers live in :mod:`analysis.report.text`; this module holds the text
that explains them. Nothing here decides significance.
"""

from __future__ import annotations

from typing import Sequence

from .. import SAMPLE_DATA_LABEL
from ..municipalities import code_for_name, kommun_phrase, name_of
from ..verdicts import DEFAULT_THRESHOLD
from .escape import md_text
from .text import NBSP, count_word

__all__ = ["report_heading", "method_note", "omfattning_intro", "change_intro", "comparison_intro",
           "survey_intro", "reference_name", "preliminary_note", "caveat_text", "CAVEATS",
           "small_area_intro", "evaluation_intro", "sources_and_limitations", "ORDLISTA", "ordlista",
           "section_heading", "figure_lead"]

SURVEY_MIN_N = 50


def report_heading(kommun: str, year: int, *, synthetic: bool) -> str:
    """Title block; sample data is labelled before anything else.

    Examples
    --------
    >>> print(report_heading("Storfors", 2025, synthetic=True))
    # Lägesbild över brottsligheten i Storfors kommun 2025
    <BLANKLINE>
    **Syntetiska exempeldata – inte verklig statistik.** ...
    >>> report_heading("Sandviken", 2025, synthetic=False).splitlines()[0]
    '# Lägesbild över brottsligheten i Sandvikens kommun 2025'
    """
    code = code_for_name(kommun)
    if code is None:
        raise ValueError(f"{kommun!r} is not a kommun name in the register")
    lines = [f"# Lägesbild över brottsligheten i {kommun_phrase(code)} {year}", ""]
    if synthetic:
        lines.append(f"**{SAMPLE_DATA_LABEL}.** Alla siffror i detta utkast kommer från påhittade "
                     "exempeldata och beskriver inte verkligheten i kommunen.")
        lines.append("")
    lines.append("*Utkast framtaget med lagesbild enligt 4 § lagen (2023:196) om kommuners ansvar för "
                 "brottsförebyggande arbete: kartläggning av brottsligheten, dess omfattning och "
                 "konsekvenser, annan information av betydelse och en analys. Utkastet ska granskas "
                 "och kompletteras av kommunens samordnare tillsammans med polisen.*")
    return "\n".join(lines)


def method_note() -> str:
    """How to read the verdicts (shown under the key findings)."""
    return ("*Så läser du bedömningarna:* en förändring kallas **statistiskt säkerställd** bara när "
            "95-procentigt konfidensintervall och test visar det, med hänsyn till att antalet brott "
            "varierar mer från månad till månad än rena slumpen (överspridning) och till att flera "
            "brottstyper prövas samtidigt (Benjamini–Hochberg, FDR 5 %). Annars står det *ingen "
            "statistiskt säkerställd förändring*, vilket inte betyder att läget är oförändrat utan "
            "att skillnaden ryms inom den normala variationen.")


def _tested(n_types: int | None, n_rows: int | None) -> str:
    """'sju brottstyper (de övriga har för få fall för ett test)': the FDR family in words."""
    if not n_types:
        return "flera brottstyper"
    rest = " (de övriga har för få fall för ett test)" if n_rows and n_rows > n_types else ""
    return f"{count_word(n_types)} brottstyp{'er' if n_types != 1 else ''}{rest}"


def omfattning_intro(kommun: str, lan: str | None, year: int, n_types: int | None = None,
                     n_rows: int | None = None) -> str:
    """The paragraph before the Omfattning table; ``n_types`` is the number of crime types it
    tests together (its multiple-comparison family), ``n_rows`` the number it shows; ``lan``
    None: the län is not compared with (Gotland, a län of one kommun).

    Examples
    --------
    >>> "korrektion för att sju brottstyper (de övriga har för få fall för ett test) prövas" in (
    ...     omfattning_intro("Storfors", "Värmlands län", 2025, n_types=7, n_rows=15))
    True
    >>> "jämfört med riket. " in omfattning_intro("Gotland", None, 2025)
    True
    """
    tested = _tested(n_types, n_rows)
    against = f"{lan} och riket" if lan else "riket"
    return (f"Anmälda brott i {kommun} under {year}, antal och per 100{NBSP}000 invånare "
            f"(folkmängd 31 december), jämfört med {against}. Skillnaden mot riket anges i "
            f"procent med ett 95-procentigt konfidensintervall som tar hänsyn både till slumpen i "
            f"små tal och till att kommuner skiljer sig åt av många skäl; bedömningen bygger på "
            f"samma intervall och på en korrektion för att {tested} prövas samtidigt. "
            f"Rangen räknas bland landets 290 kommuner (1 = högst nivå) och anges med ett intervall "
            f"av rimliga rangplatser. En stjärna (*) markerar färre än {DEFAULT_THRESHOLD} anmälda "
            f"brott: då görs ingen bedömning.")


def change_intro(year1: int, year2: int, n_types: int | None = None,
                 n_rows: int | None = None) -> str:
    """The paragraph before the change table; ``n_types``, ``n_rows`` as in :func:`omfattning_intro`."""
    tested = _tested(n_types, n_rows)
    return (f"Förändringen mellan {year1} och {year2} per brottstyp. Procentuell förändring visas "
            f"inte när antalet {year1} är färre än {DEFAULT_THRESHOLD}; då anges antalen. "
            f"Bedömningen bygger på kvoten mellan åren med ett intervall som tar hänsyn till den "
            f"normala variationen mellan år, och på en korrektion för att {tested} prövas "
            f"samtidigt (Benjamini–Hochberg).")


def preliminary_note(years) -> str:
    """A note that the latest figures are preliminary (empty when none are).

    Examples
    --------
    >>> preliminary_note([2025])
    '*Uppgifterna för 2025 är preliminära; Brå publicerar slutliga uppgifter under våren.*'
    >>> preliminary_note([])
    ''
    """
    years = sorted(int(y) for y in years)
    if not years:
        return ""
    which = years[0] if len(years) == 1 else f"{', '.join(map(str, years[:-1]))} och {years[-1]}"
    return f"*Uppgifterna för {which} är preliminära; Brå publicerar slutliga uppgifter under våren.*"


def reference_name(comparison: str) -> str:
    """What a funnel's target is called in text: "liknande kommuner", "länet", "riket"."""
    return {"liknande": "liknande kommuner", "lan": "länet", "riket": "riket"}[comparison]


def comparison_intro(comparison: str, similar: Sequence[str], group_name: str | None = None) -> str:
    if comparison == "liknande":
        names = ", ".join(name_of(c) for c in similar)
        group = f"{group_name or 'en egen jämförelsegrupp'} ({names})"
    elif comparison == "lan":
        group = "länets kommuner"
    else:
        group = "landets alla kommuner"
    return (f"Trattdiagrammet jämför kommunens nivå med {group}. Punkter utanför tratten skiljer "
            f"sig mer än slumpen förklarar; gränserna bygger på exakta sannolikheter för små tal "
            f"och är vidgade för att kommuner skiljer sig åt även av andra skäl (Spiegelhalter "
            f"2005).")


def survey_intro(year: int, n: int, calibrated: bool) -> str:
    weight = ("Svaren är viktade så att de motsvarar befolkningen efter kön, ålder och område "
              "(kalibrering), eftersom unga män svarar mer sällan än andra."
              if calibrated else "Svaren är viktade med urvalsvikterna.")
    return (f"Resultat från trygghetsundersökningen {year} ({n:,} svarande).".replace(",", "\u00a0")
            + f" {weight} Andelar redovisas med 95 % konfidensintervall; celler med färre än "
            f"{SURVEY_MIN_N} svarande redovisas inte (x).")


def small_area_intro() -> str:
    return ("För områden med få svarande är områdets egen andel osäker. En modellskattning "
            "(Fay–Herriot) väger samman områdets svar med kommunens övriga områden. Tabellen "
            "visar modellskattningen bara där den är säkrare än områdets egna svar, annars "
            "områdets egen andel; kolumnen *andel lånad från modellen* visar hur mycket av det "
            "visade värdet som kommer från de andra områdena. Områden med för få svarande "
            "redovisas inte (x), inte heller med en modellskattning.")


def evaluation_intro() -> str:
    return ("Utvärdering av åtgärderna med avbrutna tidsserier: antalet anmälda brott efter start "
            "jämförs med vad trenden och säsongsmönstret före start förutsäger. En kvot under 1 "
            "betyder färre brott än förväntat. Intervallet är kalibrerat mot jämförbara kommuner "
            "utan åtgärden (placebotest); där det inte går står *tillförlitlig: nej*. En minskning "
            "eller ökning redovisas inte som säkerställd när en syntetisk kontroll (en vägd "
            "jämförelse med liknande kommuner som följde kommunen före start) pekar åt andra "
            "hållet eller inte visar något ovanligt; följde kontrollen inte kommunen före start "
            "kallas förändringen *obekräftad*.")


CAVEATS = {
    "regression_to_the_mean": "startade efter en topp: en del av nedgången kan vara återgång mot det normala",
    "displacement": "brotten kan ha flyttat till andra delar av länet",
    "reporting_propensity": "mer närvaro kan öka andelen brott som upptäcks och anmäls",
    "unreliable_interval": "för få jämförelsekommuner för ett kalibrerat intervall",
    "pretrend": "utvecklingen före start skiljer sig från jämförelsekommunernas",
    "volatile_treated": ("kommunens brottsnivå svänger mer från månad till månad än i alla "
                         "jämförelsekommuner; intervallet har breddats men är inte säkert "
                         "kalibrerat"),
    "placebo_in_time": "ett låtsat startdatum före åtgärden ger också en 'effekt'",
    "designs_disagree": ("kommunens egen trend pekar på en förändring, men jämförelsen med "
                         "liknande kommuner (syntetisk kontroll) visar inget ovanligt, så ingen "
                         "förändring redovisas som säkerställd"),
    "unconfirmed": ("obekräftad: förändringen vilar enbart på kommunens egen trend (ingen "
                    "syntetisk kontroll som följde kommunen före start kunde göras)"),
    "short_followup": "kort uppföljningstid",
    "preliminary": "uppföljningen bygger delvis på preliminära uppgifter",
    "measure_ended": "åtgärden har avslutats",
    "not_evaluable": "kan inte utvärderas med dessa data",
}


def caveat_text(codes: str, note: str = "") -> str:
    """Swedish wording of a verdict's caveat codes (``;``-separated), or "–".

    Examples
    --------
    >>> caveat_text("short_followup;measure_ended")
    'kort uppföljningstid; åtgärden har avslutats'
    """
    parts = [CAVEATS.get(c, c) for c in str(codes or "").split(";") if c]
    if note:
        parts.append(note)
    return "; ".join(parts) or "–"


def sources_and_limitations(*, synthetic: bool, preliminary: bool = False) -> str:
    """The *Källor och begränsningar* section (Brå's source-criticism checklist)."""
    parts = []
    if synthetic:
        parts.append(f"- **{SAMPLE_DATA_LABEL}.** Underlaget är genererat av `lagesbild sample` "
                     "för att visa hur rapporten fungerar; inga slutsatser om kommunen får dras.")
    parts += [
        "- **Anmälda brott** (Brå): brott som anmälts och registrerats, per månad för anmälan och "
        "efter brottsplatskommun. Statistiken visar inte den faktiska brottsligheten: "
        "anmälningsbenägenhet, polisens arbetssätt (till exempel narkotikabrott som upptäcks genom "
        "kontroller) och registreringsrutiner påverkar antalen.",
        "- **Tidsseriebrott 2015**: från 2015 avser kommunsiffrorna bara brott som kunnat knytas "
        "till kommunen. Tidigare år är inte jämförbara; serierna här börjar 2015.",
        "- **Preliminära och slutliga uppgifter**: Brå publicerar preliminär statistik i januari "
        "och slutlig under våren; skillnaden är oftast mindre än 0,5 %."
        + (" Det senaste året i underlaget är preliminärt." if preliminary else ""),
        "- **Folkmängd** (SCB): invånare den 31 december; nämnaren för antal per 100 000.",
        f"- **Små tal**: antal under {DEFAULT_THRESHOLD} markeras och redovisas inte som procentuell "
        f"förändring; andelar från färre än {SURVEY_MIN_N} svarande redovisas inte (x).",
        "- **Trygghetsundersökningen**: urvalsundersökning med bortfall; osäkerheten visas med "
        "konfidensintervall och skillnader kallas säkerställda bara när testet visar det.",
        "- **Det som saknas**: utsatthet som inte anmäls, platser och tider (Hobit), andra "
        "aktörers bilder (skola, socialtjänst, näringsliv) och omvärldsbevakning behöver läggas "
        "till av kommunen och polisen.",
    ]
    return "\n".join(parts)


#: The technical terms that remain in the drafts, explained for a reader without statistics.
ORDLISTA = {
    "95 % KI (konfidensintervall)": "det intervall som med 95 % säkerhet rymmer det sanna värdet, "
                                    "givet slumpens variation; ett smalt intervall betyder en "
                                    "säker skattning.",
    "statistiskt säkerställd": "skillnaden eller förändringen är större än vad slumpen rimligen "
                               "kan ge (test på 5 % nivå, efter korrektion för många jämförelser).",
    "p-värde": "sannolikheten att få en minst så stor skillnad av en slump om det i själva verket "
               "inte finns någon; under 0,05 räknas som säkerställt.",
    "FDR och q-värde": "när många brottstyper eller frågor prövas samtidigt blir några "
                       "'säkerställda' av en slump. Korrektionen (Benjamini–Hochberg, FDR = andelen "
                       "falska upptäckter) håller den andelen under 5 %; q-värdet är p-värdet "
                       "efter korrektionen.",
    "z (justerat)": "hur många standardavvikelser kommunens nivå ligger från jämförelsegruppens, "
                    "med hänsyn till att kommuner skiljer sig mer än slumpen ger "
                    "(överspridning); över 1,96 eller under −1,96 ligger utanför 95 %-gränserna.",
    "trattdiagram": "diagram med alla kommuners nivå mot deras storlek; gränserna visar hur "
                    "mycket en kommun av den storleken kan avvika av slumpskäl.",
    "EBLUP (modellskattning)": "en skattning för ett litet område som väger samman områdets egna "
                               "svar med en modell över kommunens alla områden (Fay–Herriot); "
                               "vikten visar hur mycket som kommer från områdets egna svar.",
    "kvot mot förväntat": "anmälda brott efter åtgärdens start delat med det antal som trenden "
                          "och säsongsmönstret före start förutsäger; under 1 betyder färre än "
                          "förväntat.",
    "syntetisk kontroll": "en vägd blandning av kommuner utan åtgärden som före start följde "
                          "kommunens utveckling; den visar hur det kunde ha gått utan åtgärden.",
}


def ordlista(terms: Sequence[str] | None = None) -> str:
    """The *Ordlista* section: the technical terms a draft uses, in plain Swedish.

    Parameters
    ----------
    terms : sequence of str, optional
        Keys of :data:`ORDLISTA` to include, in that order (default: all).

    Returns
    -------
    str
        Markdown, one bullet per term.

    Examples
    --------
    >>> print(ordlista(["p-värde"]))  # doctest: +NORMALIZE_WHITESPACE
    - **p-värde**: sannolikheten att få en minst så stor skillnad av en slump om det i själva verket inte finns någon; under 0,05 räknas som säkerställt.
    """
    keys = list(ORDLISTA) if terms is None else list(terms)
    unknown = [k for k in keys if k not in ORDLISTA]
    if unknown:
        raise KeyError(f"no explanation for {unknown}; known terms: {list(ORDLISTA)}")
    return "\n".join(f"- **{k}**: {ORDLISTA[k]}" for k in keys).replace(" %", "\u00a0%")


def section_heading(*parts, level: int = 4) -> str:
    """A Markdown heading whose text may contain data (crime types, years): escaped here.

    Examples
    --------
    >>> print(section_heading("Bostadsinbrott", ": jämförelse med riket"))
    #### Bostadsinbrott\\: jämförelse med riket
    >>> print(section_heading("<b>x</b>", level=3))
    ### \\<b\\>x\\</b\\>
    """
    return "#" * level + " " + "".join(md_text(p) for p in parts)


def figure_lead(crime_type: str, reason: str) -> str:
    """The line above a figure of one crime type: why it is shown (escaped data).

    Examples
    --------
    >>> figure_lead("Bostadsinbrott", "högre än riket")
    '**Bostadsinbrott** (högre än riket) per 100\u00a0000 invånare och år:'
    """
    return f"**{md_text(crime_type)}** ({md_text(reason)}) per 100{NBSP}000 invånare och år:"
