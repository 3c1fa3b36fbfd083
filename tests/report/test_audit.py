"""Audit of the lägesbild's claims over many kommuner (issue 11, item 12).

For 34 kommuner from the smallest (Bjurholm) to the largest (Stockholm), the claim-bearing
tables and the Sammanfattning are built exactly as the notebook displays them
(:func:`analysis.report.tables.show` = Markdown table + claims comment) and audited with
``tests/report/audit.py``. The rendered HTML drafts are audited in test_lagesbild_report.py.
"""

from __future__ import annotations

import pytest

from analysis import SAMPLE_DATA_LABEL
from analysis.municipalities import municipalities
from analysis.report import captions as cap, content as rc, tables as rt, wording as tx

from .audit import audit_events, audit_summary, markdown_events


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


@pytest.fixture(scope="module")
def drafts(full_sample, tmp_path_factory):
    return _Drafts(full_sample, str(tmp_path_factory.mktemp("audit-cache")))


def _build(full_sample, code, cache):
    i = KOMMUNER.index(code)
    if True:
        ctx = rc.make_context(full_sample, code, cache_dir=cache)
        levels, changes, trends = rc.omfattning(ctx), rc.forandring(ctx), rc.utveckling(ctx)
        survey = rc.trygghet(ctx) if i % 4 == 0 or code in ("2181", "1080") else None
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
        return {"markdown": "\n\n".join(parts), "summary": summary, "levels": levels}


def test_the_audit_covers_at_least_30_kommuner_from_smallest_to_largest():
    reg = municipalities().set_index("kommunkod")["population"]
    assert len(KOMMUNER) >= 30
    assert reg.idxmin() in KOMMUNER and reg.idxmax() in KOMMUNER


@pytest.mark.parametrize("code", KOMMUNER)
def test_every_claim_agrees_with_the_text(drafts, code):
    d = drafts[code]
    assert SAMPLE_DATA_LABEL in d["markdown"]
    problems = audit_events(markdown_events(d["markdown"])) + audit_summary(d["summary"].sentences)
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
