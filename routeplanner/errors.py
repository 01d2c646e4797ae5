"""The one error tree of routeplanner.

Exceptions are only for bad input and for a plan that does not exist; a stop
that cannot be served is data (``Unserved`` in the plan), never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass


class RoutePlannerError(Exception):
    """Base of every error routeplanner raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, precise enough to find and fix it.

    ``row`` is the row number as the spreadsheet program shows it (the header
    is row 1), or None for problems not tied to a row (a TOML key, a missing
    column).  ``column`` is the column header or the TOML key.
    """

    file: str
    row: int | None
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"{where}: got {shown!r}, expected {self.expected}"


class InputError(RoutePlannerError):
    """An input file was refused whole; ``problems`` lists every reason at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{lines}")


class PlanNotFound(RoutePlannerError):
    """A plan was asked for that does not exist (yet)."""
