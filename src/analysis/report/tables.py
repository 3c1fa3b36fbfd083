"""Display copies of the lägesbild's section tables: Swedish headings, formatted numbers.

Takes the result tables of :mod:`analysis.report.content` and returns string tables for the
report (suppressed cells as ``x``, rates as whole numbers, intervals with an en dash). No
statistics here and no decisions: verdicts are copied from the statistics layer.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from .escape import md_cell, md_text

from ..verdicts import DEFAULT_THRESHOLD
from .text import NBSP, dash_ranges, format_interval, format_number, format_p, format_percent, format_rate

__all__ = ["as_markdown", "show", "SURVEY_SUBJECTS", "SURVEY_LABELS", "survey_label", "omfattning_table", "forandring_table",
           "utveckling_table", "season_table", "rank_table", "survey_table", "change_table",
           "small_area_table", "measures_table", "evaluation_table", "VERDICT_TEXT", "survey_subject",
           "indicator_names", "verdict_cell", "sex_gap_table", "claims", "claims_comment",
           "CLAIMS_MARKER", "interval_claim"]

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

    Every heading and cell is escaped (:func:`analysis.report.escape.md_cell`): a value from
    a data file shows as text and can never become HTML, a link or an image.

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
        return md_cell(v)

    def numeric(col) -> bool:
        return all(re.fullmatch(r"[\s\d\u00a0\u202f,+\u2212\-%*x–.()]*", str(v)) for v in table[col])

    head = "| " + " | ".join(cell(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if numeric(c) else ":---" for c in table.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def show(table: pd.DataFrame, *, claims: list[dict] | None = None) -> None:
    """Display a table in a notebook as escaped Markdown (the only way the templates show one).

    ``claims`` (from :func:`claims`) travel with the table as an HTML comment that readers do
    not see and the audit of the rendered drafts reads (``<!-- lagesbild-claims [...] -->``).
    """
    from IPython.display import Markdown, display

    display(Markdown(as_markdown(table) + (claims_comment(claims) if claims else "")))


#: Marker of the machine-readable claims that follow a table in the rendered draft.
CLAIMS_MARKER = "lagesbild-claims"

_CLAIM_SPECS = {
    # kind: (frame columns: subject, estimate, low, high, null, verdict, base count)
    "levels": ("crime_type", "ratio_riket", "ratio_low", "ratio_high", 1.0, "verdict_riket", "count"),
    "changes": ("crime_type", "rate_ratio", "ci_low", "ci_high", 1.0, "verdict", "x1"),
    "trends": ("crime_type", "estimate", "ci_low", "ci_high", 0.0, "verdict", "n1"),
    "survey_change": ("variable", "estimate", "ci_low", "ci_high", 0.0, "verdict", None),
    "sex_gap": ("variable", "estimate", "ci_low", "ci_high", 0.0, "verdict", None),
    "rank": ("area_name", "ratio", "ratio_low", "ratio_high", 1.0, "verdict", "count"),
}


def claims(kind: str, frame: pd.DataFrame) -> list[dict]:
    """The machine-readable claims of a display table, one per row, in the row order.

    Each claim: ``kind, row, subject, estimate, ci_low, ci_high, null`` (the interval the
    verdict used, on the statistics layer's scale), ``verdict`` (shown, after FDR),
    ``verdict_uncorrected``, ``p_value``, ``q_value``, ``survives``, ``base_count`` and, where
    the table has a rank, ``rank, rank_low, rank_high``.

    Examples
    --------
    >>> t = pd.DataFrame({"crime_type": ["Rån"], "rate_ratio": [1.4], "ci_low": [1.1],
    ...     "ci_high": [1.8], "verdict": ["ökning"], "verdict_uncorrected": ["ökning"],
    ...     "p_value": [0.01], "q_value": [0.04], "survives": [True], "x1": [40]})
    >>> c = claims("changes", t)[0]
    >>> c["verdict"], c["null"], c["base_count"]
    ('ökning', 1.0, 40)
    """
    if kind not in _CLAIM_SPECS:
        raise ValueError(f"unknown claim kind {kind!r}; expected one of {sorted(_CLAIM_SPECS)}")
    subj, est, lo, hi, null, verdict, base = _CLAIM_SPECS[kind]
    if "q_value" not in frame and len(frame) == 1 and "p_value" in frame:
        # a single comparison is a family of one: its q-value is its p-value
        frame = frame.assign(q_value=frame["p_value"], survives=frame["p_value"] <= 0.05)
    out = []
    for i, r in enumerate(frame.to_dict("records")):
        def num(key):
            v = r.get(key)
            return None if v is None or pd.isna(v) else float(v)
        c = {"kind": kind, "row": i, "subject": str(r[subj]), "estimate": num(est),
             "ci_low": num(lo), "ci_high": num(hi), "null": null, "verdict": str(r[verdict]),
             "verdict_uncorrected": str(r.get("verdict_uncorrected", r[verdict])),
             "p_value": num("p_value"), "q_value": num("q_value"),
             "survives": None if r.get("survives") is None else bool(r.get("survives")),
             "base_count": None if base is None else int(r[base])}
        if "rank_low" in r:
            c.update(rank=int(r["rank"]), rank_low=int(r["rank_low"]), rank_high=int(r["rank_high"]))
        out.append(c)
    return out


def interval_claim(kind: str, row: int, subject: str, *, estimate, ci_low, ci_high, null,
                   verdict: str, column: str, verdict_column: str, scale: float = 1.0,
                   offset: float = 0.0, small: bool = False, p_value=None, q_value=None, survives=None,
                   rank: tuple | None = None, rank_column: str | None = None) -> dict:
    """The claim of one row of a table whose verdict compares an interval with a null value or
    region (a place's share against an even spread, an indicator against NTU, a share against
    one half): what the audit of the drafts checks the printed row against.

    ``null`` is a number or a ``(low, high)`` region (NTU's rounding); ``column`` is the heading
    of the column that prints the interval (``scale`` times the claim minus ``offset``: 100 for
    percentages, offset 1 for a rate ratio printed as a percent difference) and
    ``verdict_column`` the one that words the verdict; ``verdict`` is the statistics layer's
    word (``högre``, ``lägre``, ``ökning``, ``minskning`` or a no-difference word); ``rank`` an
    optional ``(rank, low, high)`` printed in ``rank_column``.

    Examples
    --------
    >>> c = interval_claim("indoor", 0, "Misshandel", estimate=0.79, ci_low=0.64, ci_high=0.91,
    ...                    null=0.5, verdict="högre", column="Andel inomhus (95 % KI)",
    ...                    verdict_column="Bedömning", scale=100)
    >>> c["null_low"], c["null_high"], c["scale"]
    (0.5, 0.5, 100.0)
    """
    lo_null, hi_null = null if isinstance(null, tuple) else (null, null)

    def num(v):
        return None if v is None or pd.isna(v) else float(v)
    c = {"kind": kind, "row": int(row), "subject": str(subject), "estimate": num(estimate),
         "ci_low": num(ci_low), "ci_high": num(ci_high), "null": num(lo_null),
         "null_low": num(lo_null), "null_high": num(hi_null), "verdict": str(verdict),
         "column": column, "verdict_column": verdict_column, "scale": float(scale),
         "offset": float(offset),
         "small": bool(small), "p_value": num(p_value), "q_value": num(q_value),
         "survives": None if survives is None or pd.isna(survives) else bool(survives),
         "base_count": None, "interval_claim": True}
    if rank is not None:
        c.update(rank=int(rank[0]), rank_low=int(rank[1]), rank_high=int(rank[2]),
                 rank_column=rank_column)
    return c


def claims_comment(items: list[dict]) -> str:
    """Claims as an HTML comment (ASCII JSON, no ``--`` inside), invisible in HTML and DOCX."""
    payload = (json.dumps(items, ensure_ascii=True).replace("--", "-\\u002d")
               .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    return f"\n\n<!-- {CLAIMS_MARKER} {payload} -->"


def survey_subject(variable: str) -> str:
    """Subject of a sentence about an indicator ("Andelen som …")."""
    item = variable[:-len("_andel")] if variable.endswith("_andel") else variable
    # a sentence (Markdown): an item name from the catalogue is data, so escaped here
    return SURVEY_SUBJECTS.get(item, f"Andelen: {md_text(survey_label(variable))}")


def survey_label(variable: str) -> str:
    """Short label of an indicator variable (``otrygg_kvall_andel`` → "Otrygg ute sen kväll …")."""
    item = variable[:-len("_andel")] if variable.endswith("_andel") else variable
    return SURVEY_LABELS.get(item, item.replace("_", " "))


def _bare(text: str) -> str:
    """An interval without its "95 % KI" prefix, for columns whose heading says it."""
    return re.sub(r"^\d+(,\d+)?\s%\sKI\s", "", text)


def _ci(lo, hi, kind="rate", decimals=0, sign=False) -> str:
    return _bare(format_interval(lo, hi, kind=kind, decimals=decimals, sign=sign))


_SIGNIFICANT_WORDS = ("ökning", "minskning", "högre", "lägre", "skillnad")


def verdict_cell(verdict: str, uncorrected: str | None = None, *, reference: str = "riket",
                 small: bool = False) -> str:
    """The Bedömning cell: the corrected verdict, and why a significant test is not claimed.

    Examples
    --------
    >>> verdict_cell("ingen säkerställd förändring", "minskning")
    'ingen säkerställd förändring (inte efter korrektion för flera jämförelser)'
    >>> verdict_cell("högre", "högre", reference="liknande kommuner")
    'högre än liknande kommuner (säkerställt)'
    >>> verdict_cell("ej bedömbar", small=True)
    'kan inte bedömas (färre än 10 fall)'
    """
    if verdict in ("högre", "lägre"):
        return f"{verdict} än {reference} (säkerställt)"
    if verdict == "ej bedömbar":
        return f"kan inte bedömas (färre än {DEFAULT_THRESHOLD} fall)" if small else "kan inte bedömas"
    text = VERDICT_TEXT.get(verdict, verdict)
    if uncorrected in _SIGNIFICANT_WORDS and verdict not in _SIGNIFICANT_WORDS:
        text += " (inte efter korrektion för flera jämförelser)"
    return text


def _ratio_cell(ratio, lo, hi) -> str:
    """A ratio to a reference as a signed percent difference with its interval (ratio scale)."""
    return (f"{format_percent(ratio - 1, sign=True)} "
            f"({_ci(lo - 1, hi - 1, kind='percent', sign=True)})")


def omfattning_table(levels: pd.DataFrame) -> pd.DataFrame:
    """Counts and rates per 100 000 against län and riket; the difference from riket with the
    interval its verdict used (exact tails with the spread between kommuner); rank interval.

    Without a län level (``rate_lan`` missing: a län of one kommun) there is no "Länet" column.
    Without riket (``compared`` False: the data do not hold all 290 kommuner) the kommun's own
    counts and rates with their intervals, and the län's rate where the data cover the län; no
    difference, verdict or rank is shown.
    """
    # the län's rate where the data cover the län and it has kommuner to compare with
    lan = ({"Länet": [format_rate(v) for v in levels["rate_lan"]]}
           if levels["rate_lan"].notna().any() else {})
    if "compared" in levels and not levels["compared"].any():
        own = {"Brottstyp": levels["crime_type"],
               "Antal": [format_number(v) for v in levels["count"]],
               "Per 100 000 (95 % KI)": [f"{format_rate(v)} ({_ci(lo, hi)})" + (" *" if s else "")
                                         for v, lo, hi, s in zip(levels["rate"], levels["ci_low"],
                                                                 levels["ci_high"], levels["small_numbers"])]}
        return pd.DataFrame({**own, **lan})
    return pd.DataFrame({
        "Brottstyp": levels["crime_type"],
        "Antal": [format_number(v) for v in levels["count"]],
        "Per 100 000": [format_rate(v) + (" *" if s else "") for v, s in zip(levels["rate"], levels["small_numbers"])],
        **lan,
        "Riket": [format_rate(v) for v in levels["rate_riket"]],
        "Skillnad mot riket (95 % KI)": ["– (för få fall)" if s else _ratio_cell(r, lo, hi) for r, lo, hi, s in
                                         zip(levels["ratio_riket"], levels["ratio_low"], levels["ratio_high"],
                                             levels["small_numbers"])],
        "Bedömning": [verdict_cell(v, u, small=s) for v, u, s in
                      zip(levels["verdict_riket"], levels["verdict_uncorrected"], levels["small_numbers"])],
        "Rang (rimligt intervall)": [f"{r} ({lo}–{hi}) av {n}" for r, lo, hi, n in
                                     zip(levels["rank"], levels["rank_low"], levels["rank_high"], levels["n_ranked"])],
    })


def forandring_table(changes: pd.DataFrame) -> pd.DataFrame:
    """Change between two years per crime type: counts, % change with interval (none from a
    base below the small-number rule), the FDR-corrected verdict."""
    pct = []
    for r in changes.itertuples():
        if r.x1 < DEFAULT_THRESHOLD or pd.isna(r.percent_change):
            pct.append("– (för få fall)")
        else:
            pct.append(f"{format_percent(r.rate_ratio - 1, sign=True)} "
                       f"({_ci(r.ci_low - 1, r.ci_high - 1, kind='percent', sign=True)})")
    return pd.DataFrame({
        "Brottstyp": changes["crime_type"],
        str(changes["period1"].iloc[0]): [format_number(v) for v in changes["x1"]],
        str(changes["period2"].iloc[0]): [format_number(v) for v in changes["x2"]],
        "Förändring (95 % KI)": pct,
        "Bedömning": [verdict_cell(v, u, small=x < DEFAULT_THRESHOLD) for v, u, x in
                      zip(changes["verdict"], changes["verdict_uncorrected"], changes["x1"])],
    })


def utveckling_table(trends: pd.DataFrame) -> pd.DataFrame:
    """Average change per year since the series break, the approximate total, the counts of
    the first and last year, and the FDR-corrected verdict."""
    total = []
    for r in trends.itertuples():
        if r.n1 < DEFAULT_THRESHOLD:
            total.append("– (för få fall)")
        else:
            total.append(f"{format_percent(r.total_change, sign=True)} "
                         f"({_ci(r.total_low, r.total_high, kind='percent', sign=True)})")
    return pd.DataFrame({
        "Brottstyp": trends["crime_type"],
        "Anmälda första → sista året": [f"{format_number(a)} → {format_number(b)}"
                                        for a, b in zip(trends["n1"], trends["n2"])],
        "Genomsnitt per år (95 % KI)": [
            f"{format_percent(e / 100, decimals=1, sign=True)} "
            f"({_ci(lo / 100, hi / 100, kind='percent', decimals=1, sign=True)})"
            for e, lo, hi in zip(trends["estimate"], trends["ci_low"], trends["ci_high"])],
        "Sammanlagt, ungefär (95 % KI)": total,
        "Bedömning": [verdict_cell(v, u) + ("" if ok else " (osäker modell)")
                      for v, u, ok in zip(trends["verdict"], trends["verdict_uncorrected"],
                                          trends["reliable"])],
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


def rank_table(funnel_table: pd.DataFrame, kommunkod: str, *, reference: str = "jämförelsegruppen") -> pd.DataFrame:
    """The kommun's row of a funnel table: rate, the group's level, the difference with the
    interval the verdict used, the verdict, and the rank inside its interval."""
    r = funnel_table[funnel_table["area_code"] == kommunkod]
    return pd.DataFrame({
        "Per 100 000": [format_rate(v) for v in r["estimate"]],
        f"Nivå i {reference}": [format_rate(v) for v in r["target_rate"]],
        f"Skillnad mot {reference} (95 % KI)": [_ratio_cell(a, lo, hi) for a, lo, hi in
                                                 zip(r["ratio"], r["ratio_low"], r["ratio_high"])],
        "Bedömning": [verdict_cell(v, reference=reference, small=bool(s))
                      for v, s in zip(r["verdict"], r["small_numbers"])],
        "Rang (rimligt intervall)": [f"{a} ({lo}–{hi}) av {n}" for a, lo, hi, n in
                                     zip(r["rank"], r["rank_low"], r["rank_high"], r["n_ranked"])],
    })


_BY_HEADINGS = {"area": "Område", "sex": "Kön", "age_group": "Ålder"}
_SEX_WORDS = {"kvinna": "Kvinnor", "man": "Män"}


def _group_label(by: str, value) -> str:
    text = str(value)
    if by == "sex":
        return _SEX_WORDS.get(text, text)
    return dash_ranges(text)  # "16-24" → "16–24"


def survey_table(table: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Survey indicators with 95 % intervals; suppressed cells as ``x``.

    Without ``by``: one row per indicator (share, interval, respondents). With ``by`` (area,
    sex, age group): one row per indicator and one column per group, cells "37 % (32–43)",
    so that the groups can be read side by side.
    """
    sup = table["suppressed"].fillna(False).astype(bool)
    cells = ["x" if s else f"{format_percent(e)} ({_ci(lo, hi, kind='percent').removesuffix(NBSP + '%')})"
             for e, lo, hi, s in zip(table["estimate"], table["ci_low"], table["ci_high"], sup)]
    if not by:
        return pd.DataFrame({
            "Indikator": [survey_label(v) for v in table["variable"]],
            "Andel": ["x" if s else format_percent(e) for e, s in zip(table["estimate"], sup)],
            "95 % KI": ["x" if s else _ci(lo, hi, kind="percent") for lo, hi, s in
                        zip(table["ci_low"], table["ci_high"], sup)],
            "Svarande": [format_number(n) for n in table["n"]],
        })
    long = pd.DataFrame({"Indikator": [survey_label(v) for v in table["variable"]],
                         "group": [_group_label(by, g) for g in table[by]], "cell": cells})
    order = list(dict.fromkeys(long["Indikator"]))
    groups = list(dict.fromkeys(long["group"]))
    wide = long.pivot(index="Indikator", columns="group", values="cell").reindex(order)[groups]
    wide.columns.name = None
    return wide.reset_index()


def sex_gap_table(gap: pd.DataFrame, by_sex: pd.DataFrame) -> pd.DataFrame:
    """Women against men per indicator: both shares, the difference with its interval and the
    FDR-corrected verdict (the survey-gaps family)."""
    sx = by_sex.set_index(["variable", "sex"])["estimate"]
    sup = gap["suppressed"].fillna(False).astype(bool)
    return pd.DataFrame({
        "Indikator": [survey_label(v) for v in gap["variable"]],
        "Kvinnor": [format_percent(sx.get((v, "kvinna"))) for v in gap["variable"]],
        "Män": [format_percent(sx.get((v, "man"))) for v in gap["variable"]],
        "Skillnad, procentenheter (95 % KI)": [
            "x" if s else f"{format_number(100 * e, decimals=1, sign=True)} "
                          f"({_ci(100 * lo, 100 * hi, kind='number', decimals=1, sign=True)})"
            for e, lo, hi, s in zip(gap["estimate"], gap["ci_low"], gap["ci_high"], sup)],
        "Bedömning": ["säkerställd skillnad" if v == "skillnad" else verdict_cell(v, u)
                      for v, u in zip(gap["verdict"], gap["verdict_uncorrected"])],
    })


def change_table(change: pd.DataFrame) -> pd.DataFrame:
    """Change between survey waves in percentage points with interval and verdict."""
    sup = change["suppressed"].fillna(False).astype(bool) if "suppressed" in change else [False] * len(change)
    return pd.DataFrame({
        "Indikator": [survey_label(v) for v in change["variable"]],
        "Förändring (procentenheter)": ["x" if s else format_number(100 * e, decimals=1, sign=True)
                                        for e, s in zip(change["estimate"], sup)],
        "95 % KI": ["x" if s else _ci(100 * lo, 100 * hi, kind="number", decimals=1, sign=True)
                    for lo, hi, s in zip(change["ci_low"], change["ci_high"], sup)],
        "Bedömning": [verdict_cell(v, u) for v, u in
                      zip(change["verdict"], change.get("verdict_uncorrected", change["verdict"]))],
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
