"""Plans side by side: how their figures differ and which stops moved.

What the compare page and the compare API show, as plain data: each plan's
figures (kilometres, hours of driving and of open doors, stops and loans
served, ...) measured against the first plan's, and the stops that moved
between the first plan and each other one.  The web layer only words and
formats these (``web.pages_text``) or writes them as JSON (``web.api``).

One definition of a moved stop (:func:`moved_between`): a stop moved when
the list of its visits -- week, weekday, opening and closing time, in
calendar order -- differs.  Which vehicle comes does not matter to patrons.

Pure: the model in, dataclasses out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Iterable, Mapping, Sequence

from routeplanner.model import WEEKDAYS, Plan, Totals
from routeplanner.totals import loans_share_pct

#: Differences smaller than this are float noise, not a change.
EPSILON = 1e-9

LOWER, HIGHER = "lower", "higher"


# --- figures ---------------------------------------------------------------------------


@dataclass
class Figures(Totals):
    """The comparable numbers of one plan: its stated totals, and what they imply."""

    loans_share_pct: float = 100.0
    unserved: int = 0  # stops listed as not served
    cost: int | None = None  # the solver's objective; None for a plan made elsewhere


#: Which way each figure is better (None: neither, it only changed).
BETTER: dict[str, str | None] = {
    "distance_km": LOWER,
    "drive_minutes": LOWER,
    "service_minutes": HIGHER,  # doors open longer: more time for patrons
    "visits": HIGHER,
    "stops_served": HIGHER,
    "stops_total": None,
    "loans_served": HIGHER,
    "loans_total": None,
    "loans_share_pct": HIGHER,
    "unserved": LOWER,
    "cost": LOWER,
}


def figures(plan: Plan) -> Figures:
    t = plan.totals
    return Figures(**asdict(t), loans_share_pct=loans_share_pct(t), unserved=len(plan.unserved),
                   cost=plan.info.objective)


def difference(base: float | None, value: float | None, digits: int | None = None) -> float | None:
    """``value - base`` (rounded to ``digits`` when given); None when either is unknown."""
    if base is None or value is None:
        return None
    diff = value - base
    return round(diff, digits) if digits is not None else diff


@dataclass(frozen=True)
class Change:
    """One figure of a plan against the same figure of the first plan."""

    value: float | None
    delta: float | None  # value - the first plan's; None when either is unknown
    verdict: str  # "better", "worse", "changed" (no way is better) or "" (the same, or unknown)


def change(figure: str, base: float | None, value: float | None) -> Change:
    """``value`` of ``figure`` (a field of :class:`Figures`) against ``base``."""
    diff = difference(base, value)
    if diff is None or abs(diff) <= EPSILON:
        return Change(value, diff, "")
    better = BETTER[figure]
    if better is None:
        return Change(value, diff, "changed")
    good = diff < 0 if better == LOWER else diff > 0
    return Change(value, diff, "better" if good else "worse")


# --- moved stops -----------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One visit to a stop, as its patrons see it (and the vehicle that makes it)."""

    week: int
    day: str
    arrival_min: int
    departure_min: int
    vehicle: str = ""


@dataclass(frozen=True)
class StopTimes:
    """When one stop is visited in one plan."""

    name: str
    slots: tuple[Slot, ...]  # calendar order: week, weekday, opening time


@dataclass(frozen=True)
class MovedStop:
    """A stop whose visits differ between two plans.

    ``changes`` holds ``"day"`` (another week or weekday), ``"time"``
    (another opening or closing time), or alone ``"added"`` (visited only in
    the other plan) or ``"dropped"`` (visited only in the first).
    """

    stop_id: str
    name: str
    changes: tuple[str, ...]
    before: tuple[Slot, ...]
    after: tuple[Slot, ...]


def calendar_slots(slots: Sequence[Slot]) -> tuple[Slot, ...]:
    """``slots`` in calendar order (week, weekday, opening); equal ones keep their order."""
    return tuple(sorted(slots, key=lambda s: (s.week, WEEKDAYS.index(s.day) if s.day in WEEKDAYS else 9,
                                              s.arrival_min)))


def by_stop(visits: Iterable[tuple[str, str, Slot]]) -> dict[str, StopTimes]:
    """``(stop id, name, slot)`` of every visit, by stop in order of first visit (named by it)."""
    found: dict[str, tuple[str, list[Slot]]] = {}
    for stop_id, name, slot in visits:
        found.setdefault(stop_id, (name, []))[1].append(slot)
    return {stop_id: StopTimes(name, calendar_slots(slots)) for stop_id, (name, slots) in found.items()}


def stop_times(plan: Plan) -> dict[str, StopTimes]:
    """Every visited stop of ``plan``, in the order the plan first visits them."""
    return by_stop(
        (v.stop_id, v.name, Slot(route.week, route.day, v.arrival_min, v.departure_min, route.vehicle))
        for route in plan.routes
        for v in route.visits
    )


def _changes(before: tuple[Slot, ...], after: tuple[Slot, ...]) -> tuple[str, ...]:
    if not before:
        return ("added",)
    if not after:
        return ("dropped",)
    out = []
    if [(s.week, s.day) for s in before] != [(s.week, s.day) for s in after]:
        out.append("day")
    if sorted(s.arrival_min for s in before) != sorted(s.arrival_min for s in after) or \
            sorted(s.departure_min for s in before) != sorted(s.departure_min for s in after):
        out.append("time")
    return tuple(out)


def moved_between(first: Mapping[str, StopTimes], other: Mapping[str, StopTimes]) -> list[MovedStop]:
    """The stops whose visits differ between two plans' :func:`stop_times`.

    In the first plan's order, then the stops only the other plan visits;
    named as the first plan names them.
    """
    def when(slots: tuple[Slot, ...]) -> list[tuple[int, str, int, int]]:
        return [(s.week, s.day, s.arrival_min, s.departure_min) for s in slots]

    out = []
    for stop_id in list(first) + [k for k in other if k not in first]:
        before = first[stop_id].slots if stop_id in first else ()
        after = other[stop_id].slots if stop_id in other else ()
        if when(before) == when(after):
            continue
        name = (first.get(stop_id) or other[stop_id]).name
        out.append(MovedStop(stop_id, name, _changes(before, after), before, after))
    return out


def moved_stops(first: Plan, other: Plan) -> list[MovedStop]:
    """The stops that moved day or time between two plans (see :func:`moved_between`)."""
    return moved_between(stop_times(first), stop_times(other))


# --- a comparison ----------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Plans measured against the first of them."""

    figures: list[Figures]  # each plan's, in the order given
    changes: list[dict[str, Change]]  # each plan's figures against the first plan's (the first: no change)
    moved: list[list[MovedStop]]  # moved[i]: between the first plan and plan i + 1

    def moved_ids(self) -> set[str]:
        """The stops that moved in any plan."""
        return {m.stop_id for moves in self.moved for m in moves}


def compare(plans: Sequence[Plan]) -> Comparison:
    """``plans[1:]`` against ``plans[0]``."""
    measured = [figures(p) for p in plans]
    base = measured[0]
    names = [f.name for f in fields(Figures)]
    changes = [{n: change(n, getattr(base, n), getattr(f, n)) for n in names} for f in measured]
    first = stop_times(plans[0])
    moved = [moved_between(first, stop_times(p)) for p in plans[1:]]
    return Comparison(measured, changes, moved)
