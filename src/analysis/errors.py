"""Errors and warnings for bad input.

Every data problem is reported as a :class:`Problem` naming the file, the row as the user
counts it (line 1 is the header of a CSV file), the column, the offending value and what was
expected. Readers and validators collect *all* problems in a file before raising one
:class:`DataError`, so a user fixes a file in one round instead of one error at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["Problem", "DataError", "ProblemCollector", "LagesbildWarning", "SmallNumberWarning"]


class LagesbildWarning(UserWarning):
    """Base class of this package's own warnings (errors in the test-suite)."""


class SmallNumberWarning(LagesbildWarning):
    """A result rests on so few cases that it is suppressed or flagged."""


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """One problem in one place of one input.

    Attributes
    ----------
    message : str
        What is wrong, in one sentence.
    file : str or None
        The file (or frame name) the problem was found in.
    row : int or None
        The row as the user counts it: the line number in a text file (header = line 1),
        the spreadsheet row in Excel, the case number in SPSS.
    column : str or None
        Column name.
    value : object
        The offending value, if there is one.
    expected : str or None
        What would have been accepted.
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    expected: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.value is not None:
            text += f" (got {_show(self.value)})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class DataError(ValueError):
    """Input data that cannot be used as it is.

    Holds every :class:`Problem` found, in file order. ``str(err)`` lists them all (up to
    ``max_shown``), so the message is useful on its own in a terminal or a notebook.
    """

    max_shown = 50

    def __init__(self, problems: Iterable[Problem] | Problem | str, *, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        if n == 1:
            return str(self.problems[0])
        lines = [f"{n} problems found:"]
        lines += [f"  - {p}" for p in self.problems[: self.max_shown]]
        if n > self.max_shown:
            lines.append(f"  ... and {n - self.max_shown} more")
        return "\n".join(lines)


@dataclass
class ProblemCollector:
    """Collects problems for one input and raises them together.

    Examples
    --------
    >>> pc = ProblemCollector(file="brott.csv")
    >>> pc.add("count must be a whole number >= 0", row=3, column="count", value="-1")
    >>> len(pc)
    1
    >>> pc.raise_if_any()
    Traceback (most recent call last):
    ...
    analysis.errors.DataError: brott.csv, row 3, column 'count': count must be a whole number >= 0 (got '-1')
    """

    file: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, *, row: int | None = None, column: str | None = None,
            value: Any = None, expected: str | None = None, file: str | None = None) -> None:
        self.problems.append(Problem(message, file=file or self.file, row=row, column=column,
                                     value=value, expected=expected))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataError(self.problems)
