"""The timetable as patrons read it: one window per stop, and the line that says when.

A library publishes one time per stop ("every other Wednesday,
10:00–10:45") and keeps it for months, so the published window must hold on
every visit of the cycle, whatever minute the van really arrives at.  It is
the intersection of the visits' door-open intervals [arrival, departure],
rounded inward to multiples of :data:`STEP_MIN`: the van is there with the
door open for all of it, on every visit.  When that leaves less than
:data:`MIN_WINDOW_MIN` (the visits' times differ too much, within the
scenario's ``stable_minutes``), no window is published for the stop: its
entry says why, and the patrons' pages give each date its own time instead.
A window the van is not there for is never published.

The line itself (:func:`patron_line`) is worded as councils publish it:
"every Wednesday", "every other Wednesday", "every fourth Monday", and for
other patterns the days with how many of them come in the cycle; never "week
2 of the cycle", which no patron can use.  The words are English with the
catalogue's markers (:func:`~routeplanner.formats.N_`): the web pages pass
their ``gettext``, the plan JSON and the command line keep English.

Pure Python over the model: the plan JSON writer, the command line and the
web pages all use it, and the checker verifies its result independently.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from typing import Callable, Iterable, Sequence

from routeplanner import formats
from routeplanner.formats import N_
from routeplanner.model import Cycle, Plan, Published, calendar_routes, day_order, hhmm

#: Published times are multiples of this many minutes (10:05, never 10:07).
STEP_MIN = 5
#: A window shorter than this is not worth publishing: ten minutes is the
#: least a visit takes (to park and open the door, model.SERVICE_BASE_MIN),
#: and the least a patron can be asked to hit.
MIN_WINDOW_MIN = 10

Gettext = Callable[[str], str]

#: "every other Wednesday" up to "every eighth": as people say it; beyond, in figures.
_EVERY_NTH = {
    2: N_("every other %(day)s"),
    3: N_("every third %(day)s"),
    4: N_("every fourth %(day)s"),
    5: N_("every fifth %(day)s"),
    6: N_("every sixth %(day)s"),
    7: N_("every seventh %(day)s"),
    8: N_("every eighth %(day)s"),
}


def _same(text: str) -> str:
    return text


# --- the window ---------------------------------------------------------------------------


def window(intervals: Iterable[tuple[int, int]], step: int = STEP_MIN) -> tuple[int, int] | None:
    """The door-open intervals' intersection rounded inward to ``step`` minutes; None if empty.

    ``[(602, 640), (610, 650)]`` -> ``(610, 640)``: the van is there, door
    open, from 10:10 to 10:40 on both visits.
    """
    spans = list(intervals)
    if not spans:
        return None
    lo = max(a for a, _b in spans)
    hi = min(b for _a, b in spans)
    opens = int(math.ceil(lo / step)) * step
    closes = int(math.floor(hi / step)) * step
    return (opens, closes) if closes > opens else None


def _slot_key(cycle: Cycle, slot: tuple[int, str]) -> tuple[int, int]:
    return slot[0], day_order(cycle, slot[1])


def timetable(plan: Plan, minimum_min: int = MIN_WINDOW_MIN) -> list[Published]:
    """One entry per visited stop, in the order of its first visit in the cycle, worded in English.

    A stop whose visits share no window of ``minimum_min`` minutes gets an
    entry without one (``opens_min`` None) and the reason.
    """
    visits: dict[str, list[tuple[int, str, int, int]]] = defaultdict(list)
    names: dict[str, str] = {}
    for route in calendar_routes(plan):
        for v in route.visits:
            visits[v.stop_id].append((route.week, route.day, v.arrival_min, v.departure_min))
            names.setdefault(v.stop_id, v.name)
    out = []
    for stop_id, items in visits.items():
        slots = tuple(sorted({(w, d) for w, d, _a, _b in items}, key=lambda s: _slot_key(plan.cycle, s)))
        span = window((a, b) for _w, _d, a, b in items)
        reason = ""
        if span is None or span[1] - span[0] < minimum_min:
            opened = sorted({f"{hhmm(a)}-{hhmm(b)}" for _w, _d, a, b in items})
            reason = (f"its visits are open {', '.join(opened)}: they share no {minimum_min}-minute window "
                      f"on {STEP_MIN}-minute steps, so each date has its own time")
            span = None
        entry = Published(stop_id, names[stop_id], slots, span[0] if span else None, span[1] if span else None,
                          reason=reason)
        out.append(replace(entry, text=patron_line(entry, plan.cycle)))
    return out


def entries(plan: Plan) -> list[Published]:
    """The plan's published timetable: the one its document carries, or else the one derived from its routes."""
    return list(plan.timetable) if plan.timetable else timetable(plan)


# --- the words ----------------------------------------------------------------------------


def _and_list(words: Sequence[str], gettext: Gettext) -> str:
    if len(words) <= 1:
        return "".join(words)
    return gettext(N_("%(first)s and %(last)s")) % {"first": ", ".join(words[:-1]), "last": words[-1]}


def _period(weeks: Sequence[int], cycle_weeks: int) -> int | None:
    """The weeks' period when they are one week in every p of the cycle (1: every week); else None."""
    n = len(weeks)
    if n == 0 or cycle_weeks % n:
        return None
    p = cycle_weeks // n
    return p if all(b - a == p for a, b in zip(weeks, weeks[1:])) else None


def _day_phrase(weeks: Sequence[int], day_text: str, plural_text: str, cycle_weeks: int, gettext: Gettext) -> str:
    """One weekday's rhythm: "every Wednesday", "every other Wednesday", "2 Wednesdays in every 6 weeks"."""
    p = _period(weeks, cycle_weeks)
    if p == 1:
        return gettext(N_("every %(day)s")) % {"day": day_text}
    if p in _EVERY_NTH:
        return gettext(_EVERY_NTH[p]) % {"day": day_text}
    if p is not None:
        return gettext(N_("every %(n)d weeks on %(day)s")) % {"n": p, "day": day_text}
    return gettext(N_("%(count)d %(days)s in every %(n)d weeks")) % {
        "count": len(weeks), "days": plural_text, "n": cycle_weeks}


def when_phrase(cycle: Cycle, slots: Iterable[tuple[int, str]], gettext: Gettext | None = None) -> str:
    """When the library comes, without the time: ``"every other Wednesday"``, ``"every Monday and Thursday"``.

    Weekdays with the same weeks share one phrase ("every other Monday and
    Thursday": both in the same weeks); others get one each ("every other
    Monday and every other Thursday"), and the dates tell them apart.
    """
    gettext = gettext or _same
    by_day: dict[str, set[int]] = defaultdict(set)
    for week, day in slots:
        by_day[day].add(week)
    days = sorted(by_day, key=lambda d: day_order(cycle, d))
    groups: dict[tuple[int, ...], list[str]] = {}
    for d in days:
        groups.setdefault(tuple(sorted(by_day[d])), []).append(d)
    phrases = []
    for weeks, group in groups.items():
        day_text = _and_list([formats.day_name(d, "name", gettext) for d in group], gettext)
        plural_text = _and_list([formats.day_name(d, "plural", gettext) for d in group], gettext)
        phrases.append(_day_phrase(weeks, day_text, plural_text, cycle.weeks, gettext))
    return _and_list(phrases, gettext)


def times_text(opens_min: int, closes_min: int) -> str:
    """``(600, 645)`` -> ``"10:00–10:45"``."""
    return f"{hhmm(opens_min)}–{hhmm(closes_min)}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def patron_line(entry: Published, cycle: Cycle, gettext: Gettext | None = None) -> str:
    """The line a patron reads: ``"Every other Wednesday, 10:00–10:45"``.

    Without a window: ``"Every Tuesday, at the times of each date"``; the
    caller lists the dates with their times.
    """
    gettext = gettext or _same
    when = when_phrase(cycle, entry.slots, gettext)
    if entry.has_window:
        assert entry.opens_min is not None and entry.closes_min is not None
        line = gettext(N_("%(when)s, %(times)s")) % {"when": when, "times": times_text(entry.opens_min,
                                                                                        entry.closes_min)}
    else:
        line = gettext(N_("%(when)s, at the times of each date")) % {"when": when}
    return _capitalised(line)

