"""Swedish text and tables for the evaluation draft (``notebooks/utvardering.py``).

Turns a :class:`analysis.evaluation.MeasureEvaluation` into the headings, paragraphs and
display tables of the draft, as :mod:`analysis.report.tables` does for the lägesbild. No
statistics and no decisions here: the verdict word, the interval and the caveats come from
:mod:`analysis.evaluation`; this module only words them (numbers as ``1 234,5``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import SAMPLE_DATA_LABEL
from ..municipalities import kommun_phrase, name_of
from .escape import md_text
from .tables import VERDICT_TEXT, _ci as _interval, survey_label
from .text import NBSP, format_month, format_number, format_p, format_percent
from .wording import CAVEATS

__all__ = ["heading", "verdict_text", "results_table", "checks_table", "caveats_table",
           "donor_table", "power_text", "power_table", "indicator_text", "indicator_table",
           "METHOD_LABELS", "CHECK_LABELS"]

#: Swedish names of the evaluation methods (``method`` in the result tables).
METHOD_LABELS = {
    "its_quasipoisson_placebo": "Avbruten tidsserie, intervall kalibrerat mot kommuner utan "
                                "åtgärden (huvudmetod)",
    "its_quasipoisson": "Avbruten tidsserie (kvasi-Poisson)",
    "controlled_its_cluster": "Kontrollerad tidsserie mot jämförelsekommuner (klusterrobust)",
    "controlled_its_permutation": "Kontrollerad tidsserie mot jämförelsekommuner (permutationstest)",
    "synthetic_control_placebo": "Syntetisk kontroll (placebotest över andra kommuner)",
}

#: Swedish names of the verdict's checks, and how their value is shown.
CHECK_LABELS = {
    "pretrend_vs_comparisons_p": ("Utvecklingen före start följde jämförelsekommunernas "
                                  "(test, p-värde)", "p"),
    "synthetic_pre_rmspe_relative": ("Den syntetiska kontrollens avvikelse före start, andel av "
                                     "nivån", "share"),
    "placebo_in_time_p": ("En låtsad start 12 månader tidigare ger ingen 'effekt' (test, p-värde)",
                          "p"),
}


_KI = f"95{NBSP}% KI"


def _ratio(x) -> str:
    return format_number(x, decimals=2)


def _ci(lo, hi) -> str:
    return _interval(lo, hi, kind="number", decimals=2)


def _p(p) -> str:
    return format_p(p, prefix=False)


def _crimes(types) -> str:
    """"av typen Ofredande", "av typerna Rån (inkl. grovt) och Olaga hot" (Brå's names)."""
    names = list(types)
    if len(names) == 1:
        return f"av typen {names[0]}"
    return "av typerna " + ", ".join(names[:-1]) + " och " + names[-1]


def heading(ev) -> str:
    """Title, the sample-data label (before anything else) and the measure's registry facts.

    Examples
    --------
    >>> from analysis.sample import generate
    >>> from analysis.evaluation import evaluate_measure
    >>> world = generate(kommuner=["1760"])
    >>> print(heading(evaluate_measure(world, "M1760-02")).splitlines()[0])
    # Utvärdering av åtgärd: Trygghetsbelysning vid stationen och skolan
    """
    m = ev.measure
    lines = [f"# Utvärdering av åtgärd: {md_text(m.name)}", ""]
    if ev.synthetic_data:
        lines += [f"**{SAMPLE_DATA_LABEL}.** Alla siffror i detta utkast kommer från påhittade "
                  "exempeldata och beskriver inte verkligheten i kommunen.", ""]
    end = f", avslutad i {format_month(m.end)}" if m.end is not None else ""
    facts = [f"- **Kommun:** {kommun_phrase(m.kommunkod)} ({m.kommunkod})",
             f"- **Åtgärd:** {md_text(m.measure_id)}, startade i {format_month(m.start)}{end}",
             f"- **Följs upp med:** anmälda brott {_crimes(m.crime_types)}" if m.crime_types
             else "- **Följs upp med:** inga anmälda brott (indikatorer i trygghetsundersökningen)"]
    if m.focus_area:
        facts.append(f"- **Fokusområde:** {md_text(m.focus_area)}")
    lines += facts + ["", "*Utkast framtaget med lagesbild som underlag för uppföljningen av "
                      "åtgärdsplanen. Det ska granskas av kommunens samordnare tillsammans med "
                      "polisen.*"]
    return "\n".join(lines)


def verdict_text(ev) -> str:
    """The verdict in words: what the default method found, decided by the verdict only.

    A change is called säkerställd only when ``verdict`` is "minskning" or "ökning"; when the
    synthetic control did not support the ITS the paragraph says so, and an interval that
    includes 1 is never read as "no effect".
    """
    if not ev.evaluable:
        if not ev.measure.crime_types:
            return ("**Bedömning: kan inte bedömas med anmälda brott.** Åtgärden har inga "
                    "brottstyper i registret; de indikatorer i trygghetsundersökningen som den "
                    "anger beskrivs längre ned.")
        return ("**Bedömning: kan inte bedömas.** Underlaget räcker inte för en utvärdering med "
                f"anmälda brott (*{md_text('; '.join(ev.notes))}*).")
    v = ev.verdict
    crimes = _crimes(v.crime_types)
    unconfirmed = v.verdict in ("minskning", "ökning") and "unconfirmed" in set(v.caveats["code"])
    head = (f"**Bedömning: {v.verdict} enligt kommunens egen trend (obekräftad).**" if unconfirmed
            else f"**Bedömning: {VERDICT_TEXT.get(v.verdict, v.verdict)}.**")
    ratio = f"kvot {_ratio(v.rate_ratio)}, {_KI} {_ci(v.ci_low, v.ci_high)}"
    if v.verdict in ("minskning", "ökning"):
        fewer = v.verdict == "minskning"
        pct = format_percent(abs(1 - v.rate_ratio))
        lo, hi = sorted(abs(x) for x in v.prevented_ci)
        text = (f"{head} Efter starten var antalet anmälda brott {crimes} {pct} "
                f"{'lägre' if fewer else 'högre'} än vad utvecklingen före start förutsäger "
                f"({ratio}). Det motsvarar omkring {format_number(abs(v.prevented))} "
                f"{'färre' if fewer else 'fler'} anmälda brott under uppföljningen "
                f"({_KI} {format_number(lo)}–{format_number(hi)}).")
        if unconfirmed:
            why = ("den syntetiska kontrollen följde inte kommunen före start och kan därför "
                   "varken bekräfta eller motsäga den" if ev.synthetic is not None
                   else "ingen syntetisk kontroll kunde göras")
            text += (f" Förändringen är **obekräftad**: den vilar enbart på kommunens egen trend; "
                     f"{why}.")
        elif ev.synthetic is not None:
            text += " Jämförelsen med liknande kommuner (syntetisk kontroll) pekar åt samma håll."
        return text
    if v.its_verdict in ("minskning", "ökning"):
        sc = ev.synthetic.table.set_index("variable").loc["ratio"]
        fewer = v.its_verdict == "minskning"
        return (f"{head} Efter start var antalet anmälda brott {crimes} "
                f"{format_percent(abs(1 - v.rate_ratio))} {'lägre' if fewer else 'högre'} än "
                f"vad kommunens egen trend före start förutsäger (kvot {_ratio(v.rate_ratio)}: "
                f"anmälda brott efter start delat med det förväntade antalet utan åtgärden, "
                f"{_KI} {_ci(v.ci_low, v.ci_high)}). Jämförelsen med liknande kommuner "
                f"(syntetisk kontroll, kvot {_ratio(sc['estimate'])}, placebotestets "
                f"p-värde {_p(sc['p_value'])}) visar inget ovanligt. De två metoderna bygger på "
                "olika antaganden och ger olika svar, så förändringen redovisas inte som "
                "säkerställd.")
    if not v.reliable:
        return (f"{head} Intervallet kunde inte kalibreras mot tillräckligt många jämförbara "
                f"kommuner ({ratio}), så ingen förändring redovisas.")
    return (f"{head} Efter start var antalet anmälda brott {crimes} {_ratio(v.rate_ratio)} "
            f"gånger så stort som utvecklingen före start förutsäger ({_KI} "
            f"{_ci(v.ci_low, v.ci_high)}). Intervallet rymmer både en minskning och en ökning, så "
            "underlaget kan inte skilja en eventuell effekt från slumpens variation. Det betyder "
            "inte att åtgärden saknar effekt; se styrkeberäkningen nedan.")


def results_table(ev) -> pd.DataFrame:
    """One row per method: rate ratio with interval, p-value, role and whether it is reliable."""
    if not ev.evaluable:
        return pd.DataFrame()
    t = ev.table.loc[ev.table["variable"] == "rate_ratio"]
    return pd.DataFrame({
        "Metod": [METHOD_LABELS.get(m, m) for m in t["method"]],
        "Kvot mot förväntat": [_ratio(x) for x in t["estimate"]],
        "95 % KI": [_ci(lo, hi) for lo, hi in zip(t["ci_low"], t["ci_high"])],
        "p-värde": [_p(p) for p in t["p_value"]],
        "Tillförlitlig": ["ja" if r else "nej" for r in t["reliable"]],
    })


def checks_table(ev) -> pd.DataFrame:
    """The verdict's checks in Swedish (value, limit, met or not)."""
    if not ev.evaluable:
        return pd.DataFrame()
    rows = []
    for r in ev.verdict.checks.itertuples():
        label, kind = CHECK_LABELS.get(r.check, (r.check, "p"))
        fmt = (lambda x: format_percent(x)) if kind == "share" else _p
        limit = (f"högst {format_percent(r.threshold)}" if kind == "share"
                 else f"minst {format_number(r.threshold, decimals=2)}")
        rows.append({"Kontroll": label, "Värde": fmt(r.value), "Gräns": limit,
                     "Uppfylld": "ja" if r.passed else "nej"})
    return pd.DataFrame(rows)


def caveats_table(ev) -> pd.DataFrame:
    """The verdict's caveats in Swedish, one row each."""
    if not ev.evaluable or ev.verdict.caveats.empty:
        return pd.DataFrame({"Förbehåll": ["inga särskilda förbehåll"]})
    return pd.DataFrame({"Förbehåll": [CAVEATS.get(c, c) for c in ev.verdict.caveats["code"]]})


def donor_table(ev, *, top: int = 8) -> pd.DataFrame:
    """The kommuner that make up the synthetic control, largest weight first."""
    if ev.synthetic is None:
        return pd.DataFrame()
    w = ev.synthetic.weights.head(top)
    return pd.DataFrame({"Kommun": [name_of(u) for u in w["unit"]],
                         "Vikt": [format_percent(x) for x in w["weight"]]})


def power_text(power) -> str:
    """What the history before the start allowed one to detect (the default ITS test)."""
    p = power.parameters
    return (f"Före start anmäldes i genomsnitt {format_number(p['mean_per_month'], decimals=1)} "
            f"brott av dessa slag i månaden ({int(p['pre_months'])} månaders historik). Tabellen "
            f"visar den minsta minskning som tidsserietestet upptäcker med "
            f"{format_percent(p['target'])} sannolikhet, för olika lång uppföljning. Kravet att "
            "den syntetiska kontrollen inte ska peka åt andra hållet gör att en effekt i "
            "praktiken behöver vara något större.")


def power_table(power) -> pd.DataFrame:
    """Minimum detectable reduction per follow-up length."""
    top = float(power.table["reduction_pct"].max())
    return pd.DataFrame({
        "Uppföljning (månader)": [str(int(m)) for m in power.mde["followup_months"]],
        "Minsta upptäckbara minskning": [
            format_percent(r / 100) if ok and np.isfinite(r) else f"över {format_percent(top / 100)}"
            for r, ok in zip(power.mde["mde_reduction_pct"], power.mde["detectable"])],
    })


def indicator_text(followup: pd.DataFrame, start) -> str:
    """Introduces the indicator table: what it shows and what it does not."""
    where = ("i åtgärdens område och i hela kommunen" if (followup["group"] == "område").any()
             else "i hela kommunen (åtgärden anger inget område som undersökningen känner)")
    return (f"Andelen enligt trygghetsundersökningen, varje undersökningsår, {where}. Åtgärden "
            f"startade i {format_month(start)}; år efter startåret markeras *efter*. Tabellen "
            "beskriver utvecklingen men är ingen effektskattning: en förändring i ett område "
            "bär också med sig kommunens egen utveckling och slumpen i urvalet, så jämför "
            "området med hela kommunen och se på intervallen.")


def indicator_table(followup: pd.DataFrame) -> pd.DataFrame:
    """The indicator follow-up in Swedish: share with interval per wave; ``x`` when suppressed."""
    if followup.empty:
        return pd.DataFrame()
    share = ["x" if sup else f"{format_percent(e)} ({_interval(lo, hi, kind='percent')})"
             for e, lo, hi, sup in zip(followup["estimate"], followup["ci_low"],
                                       followup["ci_high"], followup["suppressed"])]
    return pd.DataFrame({
        "Indikator": [survey_label(i) for i in followup["item"]],
        "Var": [a if g == "område" else "hela kommunen"
                for g, a in zip(followup["group"], followup["area"])],
        "År": followup["year"].astype(str),
        "Före/efter start": followup["period"],
        "Andel (95 % KI)": share,
        "Svarande": [format_number(n) for n in followup["n"]],
    })
