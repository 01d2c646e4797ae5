"""The one error tree of routeplanner.

Exceptions are only for bad input and for a plan that does not exist; a stop
that cannot be served is data (``Unserved`` in the plan), never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from routeplanner.formats import shown
from routeplanner.limits import MAX_LISTED_PROBLEMS


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
        return f"{where}: got {shown(self.value, 60, ellipsis='...')!r}, expected {self.expected}"


class InputError(RoutePlannerError):
    """An input file was refused whole, with every reason at once.

    ``problems`` lists the first :data:`~routeplanner.limits.MAX_LISTED_PROBLEMS`
    of them, ``total`` counts them all: a file of a million bad rows must not
    become a million-line answer.  ``more`` is the count of problems found
    but already left off by whoever collected them (a reader that stopped
    keeping them, or an error re-raised with its problems renamed: pass
    ``more=err.omitted`` then).
    """

    def __init__(self, problems: Iterable[Problem], *, more: int = 0):
        problems = list(problems)
        self.problems = problems[:MAX_LISTED_PROBLEMS]
        self.total = len(problems) + max(0, more)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        if self.omitted:
            lines += f"\n  ... and {self.omitted:,} more problem{'s' if self.omitted != 1 else ''}"
        super().__init__(f"{self.total:,} problem(s) in the input:\n{lines}")

    @property
    def omitted(self) -> int:
        """Problems counted in ``total`` but not listed in ``problems``."""
        return self.total - len(self.problems)


class PlanNotFound(RoutePlannerError):
    """A plan was asked for that does not exist (yet)."""
