"""Audit of the lägesbild's claims over many kommuner (issue 11, item 12).

For 34 kommuner from the smallest (Bjurholm) to the largest (Stockholm), the claim-bearing
tables and the Sammanfattning are built exactly as the notebook displays them
(:func:`analysis.report.tables.show` = Markdown table + claims comment) and audited with
``tests/report/audit.py``. The rendered HTML drafts are audited in test_lagesbild_report.py.
"""

from __future__ import annotations

import re

import pytest

from analysis import SAMPLE_DATA_LABEL
from analysis.municipalities import municipalities
from analysis.report import annan_information as ai
from analysis.report import captions as cap, content as rc, tables as rt, wording as tx
from analysis.report import tid_och_plats as tp

from .audit import audit_events, audit_summary, audit_text, markdown_events


def _kommuner() -> list[str]:
    reg = municipalities().sort_values(["population", "kommunkod"], ignore_index=True)
    spread = list(reg["kommunkod"].iloc[::10]) + [reg["kommunkod"].iloc[-1]]
    return list(dict.fromkeys(spread + ["2181", "2026", "1760", "1080", "0512"]))


KOMMUNER = _kommuner()


class _Drafts(dict):
    """Builds a kommun's draft sections on first use (so -k can select a few kommuner)."""

    def __init__(self, data, cache):
        super().__init__()
        self.data, self.cache = data, cache

    def __missing__(self, code):
        self[code] = _build(self.data, code, self.cache)
        return self[code]


_DATA: dict = {}


@pytest.fixture(scope="module")
def drafts(full_sample, tmp_path_factory):
    _DATA.update(dir=full_sample, cache=str(tmp_path_factory.mktemp("audit-cache")))
    return _Drafts(full_sample, _DATA["cache"])


def _build(full_sample, code, cache):
    i = KOMMUNER.index(code)
    if True:
        ctx = rc.make_context(full_sample, code, cache_dir=cache)
        levels, changes, trends = rc.omfattning(ctx), rc.forandring(ctx), rc.utveckling(ctx)
        survey = (rc.trygghet(ctx) if i % 4 == 0 or code in ("2181", "1080", "2026", "1760")
                  else None)
        parts = [tx.report_heading(ctx.kommun, ctx.year, synthetic=ctx.dataset.synthetic)]
        summary = rc.sammanfattning(ctx, changes, trends, levels, survey)
        parts.append(summary.summary())
        parts.append(cap.omfattning_sentence(levels, year=ctx.year))
        parts.append(rt.as_markdown(rt.omfattning_table(levels)) + rt.claims_comment(rt.claims("levels", levels)))
        parts.append(rt.as_markdown(rt.forandring_table(changes)) + rt.claims_comment(rt.claims("changes", changes)))
        parts.append(rt.as_markdown(rt.utveckling_table(trends)) + rt.claims_comment(rt.claims("trends", trends)))
        funnel = rc.jamforelse(ctx, "Misshandel (inkl. grov)")
        mine = funnel.table[funnel.table["area_code"] == code]
        parts.append(rt.as_markdown(rt.rank_table(funnel.table, code, reference="liknande kommuner"))
                     + rt.claims_comment(rt.claims("rank", mine)))
        if survey is not None:
            parts.append(rt.as_markdown(rt.sex_gap_table(survey["sex_gap"], survey["sex"]))
                         + rt.claims_comment(rt.claims("sex_gap", survey["sex_gap"])))
            if "change" in survey:
                parts.append(rt.as_markdown(rt.change_table(survey["change"]))
                             + rt.claims_comment(rt.claims("survey_change", survey["change"])))
        parts += _new_sections(ctx, survey)
        return {"markdown": "\n\n".join(parts), "summary": summary, "levels": levels}


def _shown(table, claims) -> str:
    return rt.as_markdown(table) + rt.claims_comment(claims)


def _new_sections(ctx, survey) -> list[str]:
    """Issue 12's sections as the notebook shows them: Tid och plats (incidents for the four
    sample kommuner; Brå's indoor split everywhere), Annan information, the total's rank."""
    parts = []
    place = tp.tid_och_plats(ctx)
    parts.append(tp.tid_och_plats_text(place))
    if len(tp.indoor_table(place)):
        parts.append(_shown(tp.indoor_table(place), tp.indoor_claims(place)))
    if place["incidents"]:
        parts.append(_shown(tp.places_table(place), tp.places_claims(place)))
        if place["change"] is not None:
            parts.append(_shown(tp.place_change_table(place), tp.place_change_claims(place)))
    if survey is not None:
        info = ai.annan_information(ctx, survey)
        parts.append(ai.annan_information_text(info))
        parts.append(_shown(ai.ntu_table(info), ai.ntu_claims(info)))
    total = ai.total_rank(ctx)
    parts.append(ai.total_rank_text(total, ctx.kommun))
    parts.append(_shown(ai.total_rank_table(total), ai.total_rank_claims(total)))
    return parts


def test_the_audit_covers_at_least_30_kommuner_from_smallest_to_largest():
    reg = municipalities().set_index("kommunkod")["population"]
    assert len(KOMMUNER) >= 30
    assert reg.idxmin() in KOMMUNER and reg.idxmax() in KOMMUNER


@pytest.mark.parametrize("code", KOMMUNER)
def test_every_claim_agrees_with_the_text(drafts, code):
    d = drafts[code]
    assert SAMPLE_DATA_LABEL in d["markdown"]
    problems = (audit_events(markdown_events(d["markdown"])) + audit_summary(d["summary"].sentences)
                + audit_text(d["markdown"]))
    assert not problems, "\n".join(problems)


def test_the_audit_catches_a_verdict_that_contradicts_its_interval(drafts):
    """The audit itself can fail: a forged verdict, rank and small-base percentage are caught."""
    md = drafts["1080"]["markdown"]
    forged = md.replace("| ingen säkerställd skillnad |", "| högre än riket (säkerställt) |", 1)
    assert any("beside" in p or "corrected test" in p for p in audit_events(markdown_events(forged)))
    bad_rank = md.replace("av 290 |", "av 290 |").replace("(3–16) av 290", "(9–16) av 290")
    assert any("rank outside" in p for p in audit_events(markdown_events(bad_rank)))
    assert audit_summary(["Anmälda rån ökade med 50 % från 2024 till 2025 (4 → 6 anmälda), "
                          "en statistiskt säkerställd ökning."])


def _kinds(md: str) -> set[str]:
    return {c["kind"] for kind, payload in markdown_events(md) if kind == "claims" for c in payload}


def test_the_new_sections_carry_claims_in_every_kommun(drafts):
    """The total's rank and the indoor share in all kommuner audited; NTU where there is a
    survey; places and their changes for the sample kommuner (the only ones with incidents)."""
    for code in KOMMUNER:
        kinds = _kinds(drafts[code]["markdown"])
        assert {"total_rank", "indoor"} <= kinds, code
        if code in ("2181", "2026", "1760", "1080"):
            assert {"places", "place_change", "ntu"} <= kinds, code
    # "de flesta … sker inomhus" is said where the interval allows it, and only there
    said = [c for c in KOMMUNER if "De flesta anmälda fallen av misshandel sker inomhus" in
            drafts[c]["markdown"]]
    assert "1760" in said and 0 < len(said) < len(KOMMUNER)


def _forge_row(md: str, kind: str, column: str, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` in the first row of the first table whose claims are ``kind``."""
    lines = md.splitlines()
    for i, line in enumerate(lines):
        if f'"kind": "{kind}"' in line:
            j = i - 1
            while j >= 0 and not lines[j].startswith("|"):
                j -= 1
            while j >= 0 and lines[j].startswith("|"):
                j -= 1
            for k in range(j + 3, i):
                if old in lines[k]:
                    lines[k] = lines[k].replace(old, new, 1)
                    return "\n".join(lines)
    raise AssertionError(f"no {kind} row with {old!r} ({column})")


def test_the_audit_catches_contradictions_in_the_new_sections(drafts):
    """Planted contradictions in each new kind of claim are caught (the audit can fail)."""
    md = drafts["1760"]["markdown"]
    assert not audit_events(markdown_events(md)) and not audit_text(md)
    # the indoor share: "de flesta utomhus" beside an interval above one half
    forged = _forge_row(md, "indoor", "Bedömning", "de flesta inomhus (säkerställt)",
                        "de flesta utomhus (säkerställt)")
    assert any("indoor" in p and "reaches the null" in p for p in audit_events(markdown_events(forged)))
    # the indoor sentence: the claim without the interval that supports it
    forged = re.sub(r"(sker inomhus: \d+\xa0% \(95\xa0% KI )\d+", r"\g<1>44", md, count=1)
    assert forged != md and any("de flesta" in p for p in audit_text(forged))
    # the total's rank: a rank outside its interval, in the table and in the text
    t = ai.total_rank(rc.make_context(_DATA["dir"], "1760", cache_dir=_DATA["cache"]))
    r = t.set_index("scope").loc["riket"]
    cell = f"{r['rank']} ({r['rank_low']}–{r['rank_high']}) av 290"
    forged = md.replace(cell, f"{r['rank']} ({r['rank'] + 1}–{r['rank_high']}) av 290", 1)
    assert any("rank outside" in p for p in audit_events(markdown_events(forged)))
    forged = md.replace(f"allt från {r['rank_low']} till", f"allt från {r['rank'] + 1} till", 1)
    assert any("rank" in p for p in audit_text(forged))
    # the total's level: "högre än riket" beside a rate interval below riket's level
    forged = md.replace("nivån är lägre än riket", "nivån är högre än riket", 1)
    assert forged != md and any("högre än riket" in p for p in audit_text(forged))
    forged = _forge_row(md, "total_rank", "Bedömning", "lägre än riket (säkerställt)",
                        "högre än riket (säkerställt)")
    assert any("total_rank" in p for p in audit_events(markdown_events(forged)))
    # a place: "fler" beside a share whose interval lies below an even spread
    forged = _forge_row(md, "places", "Jämfört med jämn fördelning", "färre (säkerställt)",
                        "fler (säkerställt)")
    assert any("places" in p and "reaches the null" in p for p in audit_events(markdown_events(forged)))
    # a printed interval that is not the claim's
    first = re.search(r"\| (\d+)\xa0% \((\d+)–", md[md.index("| Plats | Antal"):])
    old = first.group(0)
    forged = _forge_row(md, "places", "Andel av alla (95 % KI)", old,
                        old.replace(f"({first.group(2)}–", f"({int(first.group(2)) - 10}–"))
    assert any("printed" in p for p in audit_events(markdown_events(forged)))
    # NTU: "lägre" beside an interval above NTU's figure, in the table and in the text
    forged = _forge_row(md, "ntu", "Bedömning", "högre (säkerställt)", "lägre (säkerställt)")
    assert any("ntu" in p for p in audit_events(markdown_events(forged)))
    forged = md.replace("högre än i länet och högre än i riket", "lägre än i länet och högre än i riket", 1)
    assert forged != md and any("lägre än i länet" in p for p in audit_text(forged))
    # a place's change called an increase although it is too small to judge
    forged = _forge_row(md, "place_change", "Bedömning", "för få händelser för en bedömning",
                        "ökning")
    assert any("place_change" in p for p in audit_events(markdown_events(forged)))
