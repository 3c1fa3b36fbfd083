"""Display copies of the lägesbild's section tables: Swedish headings, formatted numbers.

Takes the result tables of :mod:`analysis.report.content` and returns string tables for the
report (suppressed cells as ``x``, rates as whole numbers, intervals with an en dash). No
statistics here and no decisions: verdicts are copied from the statistics layer.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..verdicts import DEFAULT_THRESHOLD
from .text import dash_ranges, format_interval, format_number, format_p, format_percent, format_rate

__all__ = ["as_markdown", "show", "SURVEY_SUBJECTS", "SURVEY_LABELS", "survey_label", "omfattning_table", "forandring_table",
           "utveckling_table", "season_table", "rank_table", "survey_table", "change_table",
           "small_area_table", "measures_table", "evaluation_table", "VERDICT_TEXT", "survey_subject",
           "indicator_names"]

#: Short labels of the sample catalogue's indicators (item → label in tables and text).
SURVEY_LABELS = {
    "otrygg_kvall": "Otrygg ute sen kväll eller avstår",
    "oro_brottslighet": "Oro över brottsligheten i samhället",
    "oro_narstaende": "Oro för att närstående drabbas",
    "oro_inbrott": "Oro för bostadsinbrott",
    "oro_misshandel": "Oro för överfall/misshandel",
    "problem_trafik": "Trafiken är ett problem",
    "problem_belysning": "Dålig belysning är ett problem",
    "problem_narkotika": "Narkotika är ett problem",
    "problem_ungdomsgang": "Ungdomsgäng är ett problem",
    "problem_skadegorelse": "Skadegörelse/klotter är ett problem",
    "utsatt_brott": "Utsatt för brott senaste 12 mån.",
}

#: Subjects for sentences about each indicator ("Andelen som …").
SURVEY_SUBJECTS = {
    "otrygg_kvall": "Andelen som känner sig otrygga ute ensamma sent en kväll i sitt område eller avstår från att gå ut",
    "oro_brottslighet": "Andelen som i hög grad oroar sig över brottsligheten i samhället",
    "oro_narstaende": "Andelen som i hög grad oroar sig för att någon närstående ska drabbas av brott",
    "oro_inbrott": "Andelen som är oroliga för bostadsinbrott",
    "oro_misshandel": "Andelen som är oroliga för att bli överfallna eller misshandlade",
    "problem_trafik": "Andelen som ser trafiken som ett stort problem i sitt område",
    "problem_belysning": "Andelen som ser dålig belysning som ett stort problem i sitt område",
    "problem_narkotika": "Andelen som ser narkotika som ett stort problem i sitt område",
    "problem_ungdomsgang": "Andelen som ser ungdomsgäng som ett stort problem i sitt område",
    "problem_skadegorelse": "Andelen som ser skadegörelse och klotter som ett stort problem i sitt område",
    "utsatt_brott": "Andelen som blivit utsatta för misshandel, hot eller stöld de senaste 12 månaderna",
}

VERDICT_TEXT = {
    "ökning": "ökning (säkerställd)",
    "minskning": "minskning (säkerställd)",
    "ingen säkerställd förändring": "ingen säkerställd förändring",
    "högre": "högre än riket (säkerställt)",
    "lägre": "lägre än riket (säkerställt)",
    "ingen säkerställd skillnad": "ingen säkerställd skillnad",
    "ej bedömbar": "kan inte bedömas",
}


def as_markdown(table: pd.DataFrame) -> str:
    """A pipe table (no index) that renders in the notebook, the HTML and the DOCX draft.

    Examples
    --------
    >>> print(as_markdown(pd.DataFrame({"Brottstyp": ["Rån"], "Antal": ["1 234"]})))
    | Brottstyp | Antal |
    |:---|---:|
    | Rån | 1 234 |
    """
    if table.empty:
        return "*(inga uppgifter)*"

    def cell(v) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    def numeric(col) -> bool:
        return all(re.fullmatch(r"[\s\d\u00a0\u202f,+\u2212\-%*x–.()]*", str(v)) for v in table[col])

    head = "| " + " | ".join(cell(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if numeric(c) else ":---" for c in table.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def show(table: pd.DataFrame) -> None:
    """Display a table in a notebook as Markdown (what the report templates call)."""
    from IPython.display import Markdown, display

    display(Markdown(as_markdown(table)))


def survey_subject(variable: str) -> str:
    """Subject of a sentence about an indicator ("Andelen som …")."""
    item = variable[:-len("_andel")] if variable.endswith("_andel") else variable
    return SURVEY_SUBJECTS.get(item, f"Andelen: {survey_label(variable)}")


def survey_label(variable: str) -> str:
    """Short label of an indicator variable (``otrygg_kvall_andel`` → "Otrygg ute sen kväll …")."""
    item = variable[:-len("_andel")] if variable.endswith("_andel") else variable
    return SURVEY_LABELS.get(item, item.replace("_", " "))


def _bare(text: str) -> str:
    """An interval without its "95 % KI" prefix, for columns whose heading says it."""
    return re.sub(r"^\d+(,\d+)?\s%\sKI\s", "", text)


def _ci(lo, hi, kind="rate", decimals=0, sign=False) -> str:
    return _bare(format_interval(lo, hi, kind=kind, decimals=decimals, sign=sign))


def omfattning_table(levels: pd.DataFrame) -> pd.DataFrame:
    """Counts and rates per 100 000 with 95 % intervals, against län and riket, plus rank."""
    return pd.DataFrame({
        "Brottstyp": levels["crime_type"],
        "Antal": [format_number(v) for v in levels["count"]],
        "Per 100 000": [format_rate(v) + (" *" if s else "") for v, s in zip(levels["rate"], levels["small_numbers"])],
        "95 % KI": [_ci(a, b) for a, b in zip(levels["ci_low"], levels["ci_high"])],
        "Länet": [format_rate(v) for v in levels["rate_lan"]],
        "Riket": [format_rate(v) for v in levels["rate_riket"]],
        "Jämfört med riket": [VERDICT_TEXT.get(v, v) for v in levels["verdict_riket"]],
        "Rang (rimligt intervall)": [f"{r} ({lo}–{hi}) av {n}" for r, lo, hi, n in
                                     zip(levels["rank"], levels["rank_low"], levels["rank_high"], levels["n_ranked"])],
    })


def forandring_table(changes: pd.DataFrame) -> pd.DataFrame:
    """Change between two years per crime type: counts, % change with interval, verdict (FDR)."""
    pct = []
    for r in changes.itertuples():
        if r.small_numbers or pd.isna(r.percent_change):
            pct.append("– (för få fall)")
        else:
            pct.append(f"{format_percent(r.rate_ratio - 1, sign=True)} "
                       f"({_ci(r.ci_low - 1, r.ci_high - 1, kind='percent', sign=True)})")
    verdict = [VERDICT_TEXT[v] if (s or v == "ingen säkerställd förändring") else "ingen säkerställd förändring efter FDR-korrektion"
               for v, s in zip(changes["verdict"], changes["survives"])]
    return pd.DataFrame({
        "Brottstyp": changes["crime_type"],
        str(changes["period1"].iloc[0]): [format_number(v) for v in changes["x1"]],
        str(changes["period2"].iloc[0]): [format_number(v) for v in changes["x2"]],
        "Förändring (95 % KI)": pct,
        "Bedömning": verdict,
        "q-värde": [format_number(q, decimals=2) for q in changes["q_value"]],
    })


def utveckling_table(trends: pd.DataFrame) -> pd.DataFrame:
    """Annual percent change per crime type over the whole series."""
    return pd.DataFrame({
        "Brottstyp": trends["crime_type"],
        "Period": [f"{s}–{e}" for s, e in zip(trends["start"], trends["end"])],
        "Antal totalt": [format_number(v) for v in trends["n"]],
        "Förändring per år (95 % KI)": [
            f"{format_percent(e / 100, decimals=1, sign=True)} "
            f"({_ci(lo / 100, hi / 100, kind='percent', decimals=1, sign=True)})"
            for e, lo, hi in zip(trends["estimate"], trends["ci_low"], trends["ci_high"])],
        "Bedömning": [(VERDICT_TEXT.get(v, v) if (s or v not in ("ökning", "minskning")) else "ingen säkerställd förändring efter FDR-korrektion")
                      + ("" if ok else " (osäker modell)")
                      for v, ok, s in zip(trends["verdict"], trends["reliable"],
                                          trends.get("survives", pd.Series(True, index=trends.index)))],
    })


def season_table(profile: pd.DataFrame, *, alpha: float = 0.05,
                 min_count: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """One row per crime type: months significantly above and below the average month.

    Months are named only when the seasonal pattern as a whole is significant (quasi-F test at
    ``alpha``) and every calendar month holds at least ``min_count`` crimes over the years (the
    small-number rule: with a handful of crimes a month's "effect" is noise, and a month without
    any crime gives an infinite ratio); otherwise the row says that no seasonal pattern can be
    shown.
    """
    rows = []
    for ct, g in profile.groupby("crime_type", sort=False):
        p = g["seasonality_p_value"].iloc[0]
        usable = (not g["suppressed"].fillna(False).astype(bool).any() and pd.notna(p) and p <= alpha
                  and g["n"].min() >= min_count)
        if usable:
            high = g[g["position"] == "hög"].sort_values("month")["month_name"].tolist()
            low = g[g["position"] == "låg"].sort_values("month")["month_name"].tolist()
            top = g.sort_values("rank").iloc[0]
            peak = f"{top['month_name']} ({format_percent(top['estimate'] - 1, sign=True)})"
        else:
            high, low, peak = [], [], "inget säkerställt säsongsmönster" if g["n"].min() >= min_count else "för få brott för att visa ett mönster"
        rows.append({"Brottstyp": ct,
                     "Högre än en genomsnittlig månad": ", ".join(high) or "–",
                     "Lägre än en genomsnittlig månad": ", ".join(low) or "–",
                     "Högsta månaden": peak,
                     "Säsongsmönster (p)": format_p(p, prefix=False)
                     if pd.notna(p) and g["n"].min() >= min_count else ".."})
    return pd.DataFrame(rows)


def _position(verdict: str, reference: str) -> str:
    return {"högre": f"högre än {reference} (säkerställt)", "lägre": f"lägre än {reference} (säkerställt)"}.get(
        verdict, f"ingen säkerställd skillnad mot {reference}")


def rank_table(funnel_table: pd.DataFrame, kommunkod: str, *, reference: str = "jämförelsegruppen") -> pd.DataFrame:
    """The kommun's row of a funnel table: rate, expected, z, position, rank interval."""
    r = funnel_table[funnel_table["area_code"] == kommunkod].iloc[0]
    return pd.DataFrame({
        "Mått": ["Antal per 100 000", "Förväntat vid jämförelsegruppens nivå", "z (justerat)",
                 "Läge i trattdiagrammet (95 %)", "Rang (1 = högst)", "Rimliga rangplatser (95 %)"],
        "Värde": [format_rate(r["estimate"]), format_rate(r["target_rate"]),
                  format_number(r["z_adjusted"], decimals=2), _position(r["verdict"], reference),
                  f"{r['rank']} av {r['n_ranked']}", f"{r['rank_low']}–{r['rank_high']}"],
    })


def survey_table(table: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Survey indicators with 95 % intervals and unweighted n; suppressed cells as ``x``."""
    out = pd.DataFrame()
    if by:
        out[{"area": "Område", "sex": "Kön", "age_group": "Ålder"}.get(by, by)] = [
            dash_ranges(v) for v in table[by].astype(str)]
    out["Indikator"] = [survey_label(v) for v in table["variable"]]
    sup = table["suppressed"].fillna(False).astype(bool)
    out["Andel"] = ["x" if s else format_percent(e) for e, s in zip(table["estimate"], sup)]
    out["95 % KI"] = ["x" if s else _ci(lo, hi, kind="percent") for lo, hi, s in
                      zip(table["ci_low"], table["ci_high"], sup)]
    out["Svarande"] = [format_number(n) for n in table["n"]]
    return out


def change_table(change: pd.DataFrame) -> pd.DataFrame:
    """Change between survey waves in percentage points with interval and verdict."""
    sup = change["suppressed"].fillna(False).astype(bool) if "suppressed" in change else [False] * len(change)
    return pd.DataFrame({
        "Indikator": [survey_label(v) for v in change["variable"]],
        "Förändring (procentenheter)": ["x" if s else format_number(100 * e, decimals=1, sign=True)
                                        for e, s in zip(change["estimate"], sup)],
        "95 % KI": ["x" if s else _ci(100 * lo, 100 * hi, kind="number", decimals=1, sign=True)
                    for lo, hi, s in zip(change["ci_low"], change["ci_high"], sup)],
        "Bedömning": [VERDICT_TEXT.get(v, v) for v in change["verdict"]],
    })


def small_area_table(values: pd.DataFrame) -> pd.DataFrame:
    """Per area the value shown (model or direct, decided by ``small_area_values``), its
    interval, where it comes from and how much it borrows; suppressed areas show ``x``.

    Examples
    --------
    >>> v = pd.DataFrame({"area": ["A", "B"], "shown": ["modell", "ingen"],
    ...                   "estimate": [0.31, np.nan], "ci_low": [0.22, np.nan],
    ...                   "ci_high": [0.41, np.nan], "borrowed": [0.34, np.nan],
    ...                   "direct_estimate": [0.35, np.nan], "direct_ci_low": [0.26, np.nan],
    ...                   "direct_ci_high": [0.46, np.nan], "n": [94, 30],
    ...                   "suppressed": [False, True]})
    >>> small_area_table(v).iloc[:, :4].values.tolist()
    [['A', '31\xa0% (22–41\xa0%)', 'modellskattning', '34\xa0%'], ['B', 'x', 'redovisas inte (för få svarande)', 'x']]
    """
    source = {"modell": "modellskattning", "direkt": "områdets egna svar",
              "ingen": "redovisas inte (för få svarande)"}
    hidden = values["suppressed"].fillna(False).astype(bool)
    return pd.DataFrame({
        "Område": values["area"].astype(str),
        "Visat värde (95 % KI)": ["x" if h or pd.isna(e) else
                                  f"{format_percent(e)} ({_bare(_ci(lo, hi, kind='percent'))})"
                                  for e, lo, hi, h in zip(values["estimate"], values["ci_low"],
                                                          values["ci_high"], hidden)],
        "Värdet bygger på": [source[s] for s in values["shown"]],
        "Andel lånad från modellen": ["x" if h or pd.isna(b) else format_percent(b)
                                      for b, h in zip(values["borrowed"], hidden)],
        "Områdets egna svar (95 % KI)": [
            "x" if h or pd.isna(e) else f"{format_percent(e)} ({_bare(_ci(lo, hi, kind='percent'))})"
            for e, lo, hi, h in zip(values["direct_estimate"], values["direct_ci_low"],
                                    values["direct_ci_high"], hidden)],
        "Svarande": [format_number(n) for n in values["n"]],
    })


def indicator_names(text, items: pd.DataFrame | None = None) -> str:
    """A measure's indicator field in words: survey item codes become their labels.

    ``"anmälda ofredanden; otrygg_kvall"`` → ``"anmälda ofredanden; Otrygg ute sen kväll eller
    avstår"``. Codes not in :data:`SURVEY_LABELS` take the item catalogue's ``indicator`` text
    (or ``question``) when ``items`` is given; free text is kept as written.

    Examples
    --------
    >>> indicator_names("anmälda skadegörelsebrott per månad; problem_skadegorelse")
    'anmälda skadegörelsebrott per månad; Skadegörelse/klotter är ett problem'
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    catalogue = {}
    if items is not None and "item" in items:
        col = "indicator" if "indicator" in items else ("question" if "question" in items else None)
        if col is not None:
            catalogue = {str(i): str(t) for i, t in zip(items["item"], items[col]) if pd.notna(t)}
    parts = []
    for part in (p.strip() for p in str(text).split(";")):
        if not part:
            continue
        item = part[:-len("_andel")] if part.endswith("_andel") else part
        if item in SURVEY_LABELS:
            parts.append(SURVEY_LABELS[item])
        elif item in catalogue:
            parts.append(catalogue[item][0].upper() + catalogue[item][1:])
        else:
            parts.append(part)
    return "; ".join(parts)


def measures_table(measures: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """The kommun's measures as problem → measure → indicator (item codes as labels)."""
    return pd.DataFrame({
        "Åtgärd": measures["name"],
        "Fokusområde": measures["focus_area"],
        "Start": [str(d.date()) if pd.notna(d) else "" for d in measures["start"]],
        "Brottstyper (problem)": measures["target_crime_types"].fillna("").str.replace(";", ", "),
        "Indikator för uppföljning": [indicator_names(t, items) for t in measures["indicator"]],
    })


def evaluation_table(evaluations: pd.DataFrame) -> pd.DataFrame:
    """Per measure: rate ratio after/expected with interval, verdict, and its caveats in Swedish."""
    from .wording import caveat_text

    if evaluations.empty:
        return pd.DataFrame()
    rows = []
    for r in evaluations.itertuples():
        has = pd.notna(getattr(r, "rate_ratio", np.nan))
        rows.append({
            "Åtgärd": r.name,
            "Brottstyper": r.crime_types,
            "Kvot mot förväntat (95 % KI)": (
                f"{format_number(r.rate_ratio, decimals=2)} "
                f"({_ci(r.ci_low, r.ci_high, kind='number', decimals=2)})" if has else ".."),
            "Bedömning": (f"{r.verdict} (obekräftad)" if "unconfirmed" in str(r.caveats).split(";")
                          and r.verdict in ("ökning", "minskning")
                          else VERDICT_TEXT.get(r.verdict, r.verdict))
            + ("" if r.reliable or r.verdict == "ej bedömbar" else " (osäkert intervall)"),
            "Förbehåll": caveat_text(r.caveats, r.note),
        })
    return pd.DataFrame(rows)
