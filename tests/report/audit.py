"""The audit of rendered lägesbild drafts: machine-readable invariants between text and claims.

A draft's tables carry their claims as an HTML comment (``<!-- lagesbild-claims [...] -->``,
written by :func:`analysis.report.tables.show`). The audit parses the tables as a reader sees
them (HTML or the Markdown the notebook displays) and checks, row by row:

- each verdict agrees with the interval printed beside it (a "säkerställd" verdict has an
  interval on the right side of 0; an interval without 0 and no verdict says why: the
  correction for many comparisons or too few cases);
- "säkerställd" only where the corrected test says so (Benjamini–Hochberg recomputed here
  from the claims' p-values, independently of the package);
- the printed interval is the claim's interval (the sidecar and the text agree);
- every rank lies inside its printed interval;
- no percent change from a base below the small-number threshold;
- in the summary, every "statistiskt säkerställd" sentence prints an interval without the null;
- tables whose verdict compares an interval with a null value or region (claims with
  ``interval_claim``: places against an even spread, a place's odds ratio, the survey against
  NTU, the total against riket and the län, the indoor share against one half): the printed
  interval is the claim's, a word of direction ("högre", "fler", "de flesta inomhus", …) only
  where the whole interval lies on that side of the null, an interval clear of the null without
  such a word says why, never a direction from too few cases, ranks inside their intervals;
- in the text (:func:`audit_text`): "de flesta … sker inomhus/utomhus" only with an interval
  on that side of one half, a rank "plats R av N" inside "allt från L till H", "högre/lägre än
  riket/länet" with the printed rate interval on that side of the printed comparison level, a
  peak hour "N gånger så många" with an interval above 1, "högre/lägre än i länet/riket" (NTU)
  with the interval on that side of NTU's figure.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

MARKER = "lagesbild-claims"
THRESHOLD = 10
_NUM = r"[−+\-]?\d[\d\u00a0 ]*(?:,\d+)?"
_RANK = re.compile(r"^(\d+) \((\d+)–(\d+)\) av (\d+)$")


def number(text: str) -> float:
    t = text.replace("\u2212", "-").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return float(t.replace("%", "").replace("+", ""))


def interval(cell: str):
    """The two bounds printed in a cell: "−49 % (−75 till −8 %)", "1,5–2,8", "x" → None."""
    inner = re.findall(r"\(([^()]*)\)", cell)
    text = inner[-1] if inner else cell
    m = re.fullmatch(rf"\s*({_NUM})\s*%?\s*(?:till|–)\s*({_NUM})\s*%?\s*", text)
    return (number(m.group(1)), number(m.group(2))) if m else None


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.events, self._row, self._cell, self._rows = [], None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._rows.append(self._row)
            self._row = None
        elif tag == "table" and self._rows is not None:
            self.events.append(("table", _records(self._rows)))
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_comment(self, data):
        data = data.strip()
        if data.startswith(MARKER):
            self.events.append(("claims", json.loads(data[len(MARKER):])))


def _records(rows):
    head, body = rows[0], rows[1:]
    return [dict(zip(head, r)) for r in body]


def html_events(html: str) -> list:
    """Tables and claims of an HTML draft, in document order."""
    p = _Tables()
    p.feed(html)
    return p.events


def markdown_events(md: str) -> list:
    """Tables and claims of the Markdown a notebook displays, in order."""
    events, block = [], []

    def flush():
        if block:
            rows = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", ln.strip())[1:-1]]
                    for ln in block]
            events.append(("table", _records([rows[0]] + rows[2:])))
            block.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            block.append(line)
            continue
        flush()
        m = re.search(rf"<!-- {MARKER} (.*) -->", line)
        if m:
            events.append(("claims", json.loads(m.group(1))))
    flush()
    return events


def bh(p):
    """Benjamini–Hochberg q-values, written out here so the audit does not trust the package."""
    idx = [i for i, v in enumerate(p) if v is not None]
    m = len(idx)
    q = [None] * len(p)
    order = sorted(idx, key=lambda i: p[i])
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = min(running, 1.0)
    return q


_UP, _DOWN = ("ökning", "högre"), ("minskning", "lägre")


def _significant(cell: str) -> str | None:
    for word in _UP + _DOWN + ("säkerställd skillnad",):
        if cell.startswith(word):
            return word
    return None


def audit_events(events) -> list[str]:
    """Every violated invariant, as readable lines (empty when the draft passes)."""
    problems, last_table, n_claims = [], None, 0
    for kind, payload in events:
        if kind == "table":
            last_table = payload
            for row in payload:
                for col, cell in row.items():
                    m = _RANK.match(cell)
                    if m:
                        r, lo, hi, n = map(int, m.groups())
                        if not lo <= r <= hi <= n:
                            problems.append(f"rank outside its interval: {cell!r} ({row})")
            continue
        claims = payload
        if last_table is None or len(last_table) != len(claims):
            problems.append(f"claims without their table ({claims[:1]})")
            continue
        q = bh([c["p_value"] for c in claims])
        for row, c in zip(last_table, claims):
            n_claims += 1
            if c.get("interval_claim"):
                problems += audit_interval_claim(row, c)
                continue
            where = f"{c['kind']} {c['subject']}"
            verdict_cell = row.get("Bedömning", "")
            sig = _significant(verdict_cell)
            shown = [(col, interval(cell)) for col, cell in row.items() if "KI" in col]
            shown = [(col, iv) for col, iv in shown if iv is not None]
            if sig:
                if not shown:
                    problems.append(f"{where}: '{verdict_cell}' without an interval")
                for col, (lo, hi) in shown:
                    ok = (lo > 0 if sig in _UP else hi < 0 if sig in _DOWN else (lo > 0 or hi < 0))
                    if not ok:
                        problems.append(f"{where}: '{verdict_cell}' beside {col} {lo}–{hi}")
                if q[c["row"]] is None or q[c["row"]] > 0.05 or not c["survives"]:
                    problems.append(f"{where}: '{verdict_cell}' but the corrected test says "
                                    f"q = {q[c['row']]}")
            else:
                for col, (lo, hi) in shown:
                    if (lo > 0 or hi < 0) and not ("korrektion" in verdict_cell
                                                   or verdict_cell.startswith("kan inte bedömas")):
                        problems.append(f"{where}: interval {lo}–{hi} in {col} excludes 0 but "
                                        f"the verdict '{verdict_cell}' does not say why")
            # the sidecar's interval is the one printed
            if c["ci_low"] is not None and shown:
                scale = 100.0
                lo_c = scale * (c["ci_low"] - c["null"]) if c["kind"] != "trends" else c["ci_low"]
                hi_c = scale * (c["ci_high"] - c["null"]) if c["kind"] != "trends" else c["ci_high"]
                lo, hi = shown[0][1]
                if abs(lo - lo_c) > 0.51 or abs(hi - hi_c) > 0.51:
                    problems.append(f"{where}: printed {lo}–{hi}, claim {lo_c:.2f}–{hi_c:.2f}")
            if c.get("rank") is not None and not c["rank_low"] <= c["rank"] <= c["rank_high"]:
                problems.append(f"{where}: claimed rank outside its interval")
            base = c.get("base_count")
            if base is not None and base < THRESHOLD:
                pct_cols = [col for col in row if col.startswith(("Förändring", "Sammanlagt"))]
                if any("%" in row[col] for col in pct_cols):
                    problems.append(f"{where}: percent change from a base of {base}")
                if sig:
                    problems.append(f"{where}: '{verdict_cell}' from a base of {base}")
    if n_claims == 0:
        problems.append("no claims found: the draft's tables carry no machine-readable claims")
    return problems


def audit_summary(bullets) -> list[str]:
    """The Sammanfattning: significant sentences print an interval without the null; no
    percentages from a base below the threshold."""
    problems = []
    for b in bullets:
        positive = re.search(r"(?<!ingen )statistiskt säkerställd", b)
        m = re.search(rf"95\s%\sKI\s({_NUM})\s*%?\s*(?:–|till)\s*({_NUM})", b.replace("\u00a0", " "))
        if positive:
            if not m:
                problems.append(f"significant without an interval: {b}")
            else:
                lo = number(m.group(1))
                if lo <= (1 if "gånger" in b[:m.start()] else 0):
                    problems.append(f"significant but the interval includes the null: {b}")
        counts = re.search(r"\((\d[\d\u00a0 ]*) → (\d[\d\u00a0 ]*) anmälda", b)
        if counts and number(counts.group(1)) < THRESHOLD and "%" in b.replace("95\u00a0% KI", "").replace("95 % KI", ""):
            problems.append(f"percent change from a small base: {b}")
    return problems


# --------------------------------------------------------------------- claims against a null region

_UP_WORDS = ("högre", "fler", "ökning", "ökat", "ökade", "de flesta inomhus")
_DOWN_WORDS = ("lägre", "färre", "minskning", "minskat", "minskade", "de flesta utomhus")
_WHY = ("korrektion", "för få", "avrundning", "kan inte bedömas")
_SPAN = re.compile(rf"^\s*(\d+)\s*(?:–\s*(\d+))?\s*$")


def _direction(cell: str) -> str | None:
    cell = cell.strip().lower()
    if cell.startswith(("ingen", "inte")):
        return None
    if cell.startswith(_UP_WORDS):
        return "up"
    if cell.startswith(_DOWN_WORDS):
        return "down"
    return None


def _printed_interval(cell: str):
    """The last "a–b" or "a till b" in a cell, with the decimals printed (for the rounding)."""
    text = cell.replace("\u2212", "-").replace("\u00a0", " ")
    found = re.findall(rf"({_NUM})\s*%?\s*(?:–|till)\s*({_NUM})\s*%?", text)
    if not found:
        return None
    a, b = found[-1]
    decimals = max(len(x.split(",")[1]) if "," in x else 0 for x in (a, b))
    return number(a), number(b), decimals


def audit_interval_claim(row: dict, c: dict) -> list[str]:
    """One table row against its ``interval_claim`` (see the module docstring)."""
    out, where = [], f"{c['kind']} {c['subject']}"
    cell, verdict = row.get(c["column"], ""), row.get(c["verdict_column"], "")
    direction = _direction(verdict)
    lo, hi, n_lo, n_hi = c["ci_low"], c["ci_high"], c["null_low"], c["null_high"]
    printed = _printed_interval(cell)
    if printed is not None and lo is not None:
        a, b, d = printed
        tol = 0.5 * 10 ** -d + 1e-9
        want = ((lo - c["offset"]) * c["scale"], (hi - c["offset"]) * c["scale"])
        if abs(a - want[0]) > tol or abs(b - want[1]) > tol:
            out.append(f"{where}: printed {a}–{b}, claim {want[0]:.3f}–{want[1]:.3f}")
    if direction is not None:
        if c["small"]:
            out.append(f"{where}: '{verdict}' from too few cases")
        if printed is None or lo is None:
            out.append(f"{where}: '{verdict}' without an interval")
        elif direction == "up" and not lo > n_hi:
            out.append(f"{where}: '{verdict}' but the interval {lo:.4g}–{hi:.4g} reaches the "
                       f"null {n_hi:.4g}")
        elif direction == "down" and not hi < n_lo:
            out.append(f"{where}: '{verdict}' but the interval {lo:.4g}–{hi:.4g} reaches the "
                       f"null {n_lo:.4g}")
        if c["q_value"] is not None and c["q_value"] > 0.05:
            out.append(f"{where}: '{verdict}' but the corrected test says q = {c['q_value']:.3g}")
    elif lo is not None and (lo > n_hi or hi < n_lo) and not any(w in verdict for w in _WHY):
        out.append(f"{where}: interval {lo:.4g}–{hi:.4g} clear of the null but the verdict "
                   f"'{verdict}' does not say why")
    if c.get("rank") is not None:
        if not c["rank_low"] <= c["rank"] <= c["rank_high"]:
            out.append(f"{where}: claimed rank outside its interval")
        shown = row.get(c.get("rank_column") or "", "")
        m = _SPAN.match(shown) or _RANK.match(shown)
        if m is None:
            out.append(f"{where}: rank cell {shown!r} unreadable")
        elif _RANK.match(shown) is None:
            a = int(m.group(1))
            b = int(m.group(2)) if m.group(2) else a
            if (a, b) != (c["rank_low"], c["rank_high"]):
                out.append(f"{where}: printed ranks {shown!r}, claim "
                           f"{c['rank_low']}–{c['rank_high']}")
    return out


# ------------------------------------------------------------------------------ claims in sentences

_PCT_CI = rf"({_NUM})\s%\s\(95\s%\sKI\s({_NUM})–({_NUM})\s%\)"


def audit_text(text: str) -> list[str]:
    """The sentences of the new sections against the intervals printed in them."""
    t = text.replace("\u00a0", " ").replace("\u2212", "-")
    out = []
    for m in re.finditer(rf"[Dd]e flesta [^.:;]*? sker (inomhus|utomhus)(?::|; andelen inomhus "
                         rf"är) {_PCT_CI}", t):
        lo, hi = number(m.group(3)), number(m.group(4))
        if (m.group(1) == "inomhus" and not lo > 50) or (m.group(1) == "utomhus" and not hi < 50):
            out.append(f"'de flesta … {m.group(1)}' beside {lo}–{hi} %: {m.group(0)}")
    for m in re.finditer(r"plats (\d+) av (\d+) räknat från den högsta nivån(?:(?!Bland ).)*?"
                         r"allt från (\d+) till (\d+)", t):
        r, n, lo, hi = map(int, m.groups())
        if not lo <= r <= hi <= n:
            out.append(f"rank {r} outside {lo}–{hi} of {n}: {m.group(0)}")
    rate = re.search(rf"({_NUM}) \(95 % KI ({_NUM})–({_NUM})\) per 100 000 invånare", t)
    for m in re.finditer(rf"nivån är (högre än|lägre än) (riket|länet) \(({_NUM}) per 100 000\)", t):
        if rate is None:
            out.append(f"'{m.group(0)}' without the rate's interval")
            continue
        lo, hi, ref = number(rate.group(2)), number(rate.group(3)), number(m.group(3))
        if (m.group(1) == "högre än" and not lo > ref) or (m.group(1) == "lägre än" and not hi < ref):
            out.append(f"'{m.group(0)}' but the rate's interval is {lo}–{hi}")
    for m in re.finditer(rf"(\d+) händelser, ({_NUM}) gånger så många som vid jämn fördelning "
                         rf"\(95 % KI ({_NUM})–({_NUM})\)", t):
        if not number(m.group(3)) > 1:
            out.append(f"peak hour whose interval reaches 1: {m.group(0)}")
    for m in re.finditer(rf"är {_PCT_CI}, mot (\d+) % i [^()]*? och (\d+) % i riket \([^)]*\): "
                         r"([^.]*)\.", t):
        lo, hi = number(m.group(2)), number(m.group(3))
        lan, riket, said = number(m.group(4)), number(m.group(5)), m.group(6)
        for word, ref in (("i länet", lan), ("i riket", riket)):
            if f"högre än {word}" in said and not lo >= ref:
                out.append(f"'högre än {word}' beside {lo}–{hi} % against {ref} %")
            if f"lägre än {word}" in said and not hi <= ref:
                out.append(f"'lägre än {word}' beside {lo}–{hi} % against {ref} %")
    return out
