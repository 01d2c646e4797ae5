"""One budget for the whole solve: seconds on a clock, or units of work.

The solver's phases (the periodic search, polishing the days, fitting the
times) each get a share of one :class:`Budget`.  A timed budget reads a
clock; a work budget counts units (a confirmed move, a ruin-and-recreate
step), so the same input spends the same work on any machine and gives the
same plan: the reproducible mode runs the *same* search as the timed mode,
only stopped by another rule.
"""

from __future__ import annotations

import time
from typing import Callable


class Budget:
    """What a phase may spend: ``seconds`` of ``clock`` or ``work`` units (exactly one).

    A share (:meth:`share`) is a child budget: what it spends is spent by its
    parent too, and it never outlives the parent.
    """

    def __init__(self, *, seconds: float | None = None, work: float | None = None,
                 clock: Callable[[], float] = time.monotonic, parent: "Budget | None" = None):
        if (seconds is None) == (work is None):
            raise ValueError("a budget is either seconds or work")
        self.clock = clock
        self.parent = parent
        self.timed = seconds is not None
        self.total = float(seconds if seconds is not None else work)
        self._start = clock()
        self._used = 0.0  # work units (work budgets only)

    # --- spending ----------------------------------------------------------------------------

    def charge(self, units: float = 1.0) -> None:
        """Spend ``units`` of work (a timed budget ignores work: its clock runs by itself)."""
        if not self.timed:
            self._used += units
        if self.parent is not None:
            self.parent.charge(units)

    def used(self) -> float:
        """Seconds since the budget was made, or work units charged to it."""
        return self.clock() - self._start if self.timed else self._used

    def left(self) -> float:
        """What is left, never below 0 and never more than the parent has left."""
        own = max(0.0, self.total - self.used())
        if self.parent is not None:
            return min(own, self.parent.left())
        return own

    def exhausted(self) -> bool:
        return self.left() <= 0.0

    def fraction_used(self) -> float:
        """0 at the start, 1 at the end (what an annealing schedule follows)."""
        if self.total <= 0:
            return 1.0
        return min(1.0, max(0.0, 1.0 - self.left() / self.total))

    # --- handing out ---------------------------------------------------------------------------

    def share(self, fraction: float) -> "Budget":
        """A child budget of ``fraction`` of what is left now."""
        amount = max(0.0, self.left() * fraction)
        if self.timed:
            return Budget(seconds=amount, clock=self.clock, parent=self)
        return Budget(work=amount, clock=self.clock, parent=self)

    def seconds_left(self) -> float | None:
        """Seconds left for a timed budget; None for a work budget (no clock decides)."""
        return self.left() if self.timed else None

    def __repr__(self) -> str:
        kind = "s" if self.timed else " work"
        return f"Budget({self.used():.3g}/{self.total:.3g}{kind})"
