"""Problems grouped by kind, in bounded memory: what a person reads when a file is bad.

A file in which every row is bad must not produce millions of lines (or gigabytes of problem
objects): problems are grouped by file, column, message and expected value; each group keeps
its first rows (as ranges, "rows 2–13, 15"), its first distinct values in full, and a count of
the rest ("and 6 301 other rows"). :func:`analysis.schemas.validate` and ``lagesbild check``
collect into a :class:`GroupedProblems`; the result is a :class:`~analysis.errors.DataError`
with the grouped text and ``groups``/``total`` attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .errors import DataError, Problem, ProblemCollector

__all__ = ["GroupedProblems", "GroupedDataError", "ProblemGroup", "row_ranges", "format_count"]

#: Problems kept in full (``DataError.problems``) before only counting.
KEEP_PROBLEMS = 1000
#: Row ranges kept per group and distinct values kept per group.
KEEP_ROWS = 200
KEEP_VALUES = 5


def format_count(n: int) -> str:
    """``6301`` → ``'6 301'`` (a space as thousands separator, as in Swedish text)."""
    return f"{int(n):,}".replace(",", " ")


def _as_ranges(rows: Iterable[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for r in sorted(set(int(r) for r in rows)):
        if out and r == out[-1][1] + 1:
            out[-1][1] = r
        else:
            out.append([r, r])
    return out


def row_ranges(rows: Iterable[int] | list[list[int]], *, limit: int = 8) -> tuple[str, int]:
    """Compress row numbers (or ``[start, end]`` ranges) into text; return it and the rows it covers.

    Examples
    --------
    >>> row_ranges([2, 3, 4, 5, 9, 11, 12])
    ('2–5, 9, 11–12', 7)
    >>> row_ranges(range(2, 100, 2), limit=3)
    ('2, 4, 6', 3)
    >>> row_ranges([[2, 7543714]])
    ('2–7 543 714', 7543713)
    """
    rows = list(rows)
    ranges = rows if rows and isinstance(rows[0], list) else _as_ranges(rows)
    out, covered = [], 0
    for a, b in ranges[:limit]:
        out.append(format_count(a) if a == b else f"{format_count(a)}–{format_count(b)}")
        covered += b - a + 1
    return ", ".join(out), covered


def _full(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 300 else text[:297] + "..."


@dataclass
class ProblemGroup:
    """All problems of one kind: same file, column, message and expected value."""

    file: str | None
    column: str | None
    message: str
    expected: str | None
    count: int = 0
    rows: list[list[int]] = field(default_factory=list)  # [start, end] ranges, in file order
    values: dict[str, list[list[int]]] = field(default_factory=dict)
    other_values: int = 0
    no_row: int = 0

    def render(self, *, max_ranges: int = 8) -> str:
        """One line, e.g. ``f.csv, rows 2–13, column 'sex': … (got 'X'); expected …``."""
        where = [self.file] if self.file else []
        if self.rows:
            text, covered = row_ranges(self.rows, limit=max_ranges)
            where.append(("row " if covered == 1 else "rows ") + text)
        if self.column:
            where.append(f"column '{self.column}'")
        line = (", ".join(where) + ": " if where else "") + self.message
        if self.values:
            shown = list(self.values.items())
            if len(shown) == 1 and not self.other_values:
                line += f" (got {shown[0][0]})"
            else:
                parts = []
                for v, rows in shown:
                    rtext, n = row_ranges(rows, limit=3)
                    parts.append(f"{v} in row{'s' if n > 1 else ''} {rtext}" if rows else v)
                more = f", and {format_count(self.other_values)} other values" if self.other_values else ""
                line += " (got " + "; ".join(parts) + more + ")"
        if self.expected:
            line += f"; expected {self.expected}"
        listed = row_ranges(self.rows, limit=max_ranges)[1] if self.rows else 0
        rest = self.count - listed - self.no_row
        if rest > 0:
            line += f" — and {format_count(rest)} other row{'s' if rest != 1 else ''}"
        return line


class GroupedProblems(ProblemCollector):
    """A :class:`~analysis.errors.ProblemCollector` that groups and caps (bounded memory).

    The first :data:`KEEP_PROBLEMS` problems are kept as :class:`Problem` objects; every
    problem is counted in its :class:`ProblemGroup`.

    Examples
    --------
    >>> pc = GroupedProblems(file="brott.csv")
    >>> for r in range(2, 14):
    ...     pc.add("not a Brå crime type", row=r, column="crime_type", value="Misshandlig",
    ...            expected="a Brå crime type; did you mean 'Misshandel (inkl. grov)'?")
    >>> print(pc.render())
    brott.csv, rows 2–13, column 'crime_type': not a Brå crime type (got 'Misshandlig'); expected a Brå crime type; did you mean 'Misshandel (inkl. grov)'?
    >>> len(pc), pc.total
    (12, 12)
    """

    def __init__(self, file: str | None = None, *, keep: int = KEEP_PROBLEMS):
        super().__init__(file=file)
        self.groups: dict[tuple, ProblemGroup] = {}
        self.total = 0
        self._keep = keep
        self._own: set[int] = set()

    def _sync(self) -> None:
        """Fold in problems appended to ``problems`` directly (not through :meth:`add`)."""
        extra = [p for p in self.problems if id(p) not in self._own]
        if not extra:
            return
        self.problems = [p for p in self.problems if id(p) in self._own]
        for p in extra:
            self.add(p.message, row=p.row, column=p.column, value=p.value, expected=p.expected,
                     file=p.file)

    def add(self, message: str, *, row: int | None = None, column: str | None = None,
            value: Any = None, expected: str | None = None, file: str | None = None) -> None:
        f = file or self.file
        key = (f, column, message, expected)
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = ProblemGroup(f, column, message, expected)
        g.count += 1
        self.total += 1
        if row is None:
            g.no_row += 1
        else:
            r = int(row)
            if g.rows and r == g.rows[-1][1] + 1:
                g.rows[-1][1] = r
            elif len(g.rows) < KEEP_ROWS:
                g.rows.append([r, r])
        if value is not None:
            v = _full(value)
            if v in g.values:
                vr = g.values[v]
                if row is not None:
                    if vr and int(row) == vr[-1][1] + 1:
                        vr[-1][1] = int(row)
                    elif len(vr) < 20:
                        vr.append([int(row), int(row)])
            elif len(g.values) < KEEP_VALUES:
                g.values[v] = [[int(row), int(row)]] if row is not None else []
            else:
                g.other_values += 1
        if len(self.problems) < self._keep:
            p = Problem(message, file=f, row=row, column=column, value=value, expected=expected)
            self._own.add(id(p))
            self.problems.append(p)

    def add_rows(self, message: str, rows, *, column: str | None = None, value: Any = None,
                 expected: str | None = None, file: str | None = None) -> None:
        """Add the same problem for many rows at once (sorted row numbers; vectorised)."""
        import numpy as np

        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        f = file or self.file
        key = (f, column, message, expected)
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = ProblemGroup(f, column, message, expected)
        g.count += len(rows)
        self.total += len(rows)
        breaks = np.flatnonzero(np.diff(rows) != 1)
        starts = np.concatenate([[rows[0]], rows[breaks + 1]])
        ends = np.concatenate([rows[breaks], [rows[-1]]])
        ranges = [[int(a), int(b)] for a, b in zip(starts[:KEEP_ROWS + 1], ends[:KEEP_ROWS + 1])]
        for a, b in ranges:
            if g.rows and a == g.rows[-1][1] + 1:
                g.rows[-1][1] = b
            elif len(g.rows) < KEEP_ROWS:
                g.rows.append([a, b])
        if value is not None:
            v = _full(value)
            if v in g.values or len(g.values) < KEEP_VALUES:
                vr = g.values.setdefault(v, [])
                for a, b in ranges:
                    if vr and a == vr[-1][1] + 1:
                        vr[-1][1] = b
                    elif len(vr) < 20:
                        vr.append([a, b])
            else:
                g.other_values += len(rows)
        for r in rows[:max(0, self._keep - len(self.problems))]:
            p = Problem(message, file=f, row=int(r), column=column, value=value, expected=expected)
            self._own.add(id(p))
            self.problems.append(p)

    def extend(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            self.add(p.message, row=p.row, column=p.column, value=p.value, expected=p.expected,
                     file=p.file)

    def __len__(self) -> int:
        self._sync()
        return self.total

    def lines(self, *, max_groups: int = 50) -> list[str]:
        """One line per group (at most ``max_groups``), in the order first seen."""
        self._sync()
        groups = list(self.groups.values())
        out = [g.render() for g in groups[:max_groups]]
        if len(groups) > max_groups:
            out.append(f"... and {len(groups) - max_groups} other kinds of problem")
        return out

    def render(self) -> str:
        return "\n".join(self.lines())

    def raise_if_any(self) -> None:
        self._sync()
        if self.total:
            raise GroupedDataError(self)


def GroupedDataError(collector: GroupedProblems) -> DataError:  # noqa: N802 (a factory)
    """A :class:`~analysis.errors.DataError` whose message lists problems grouped by kind.

    ``problems`` holds the first problems in full (at most :data:`KEEP_PROBLEMS`); ``total``
    is the number found; ``groups`` the :class:`ProblemGroup` objects. Problems that occur once
    each are listed as usual, one line per problem.
    """
    collector._sync()
    err = DataError(list(collector.problems))
    err.groups = list(collector.groups.values())
    err.total = collector.total
    if collector.total > 1 and not (all(g.count == 1 for g in err.groups)
                                    and collector.total <= DataError.max_shown):
        head = (f"{format_count(collector.total)} problems found in {len(err.groups)} "
                f"group{'s' if len(err.groups) != 1 else ''}:")
        err.args = ("\n".join([head] + [f"  - {ln}" for ln in collector.lines()]),)
    return err
