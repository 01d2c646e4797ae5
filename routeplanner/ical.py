"""Calendar feeds of a timetable (iCalendar, RFC 5545), written with the ``icalendar`` package.

One repeating event per visit slot of the cycle: a stop's (week, weekday)
opening, every ``cycle.weeks`` weeks, in the scenario's time zone (TZID on
DTSTART and DTEND, and its VTIMEZONE), ending on the timetable's last date
(RRULE UNTIL), without the dates the library is closed (EXDATE).

A phone subscribes to a feed and reads it again from time to time, so an
event must keep its UID when a new plan is published: the UID names the
scenario, the stop and the slot, never the plan (:func:`event_uid`).  The
new plan's event then replaces the old one (SEQUENCE moves on with each
publication, DTSTAMP and LAST-MODIFIED are the time it was published), and
a slot the new plan no longer has simply leaves the feed.

No Flask: the words (summary, description, calendar name) come from the
caller, already translated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from routeplanner import dates, published
from routeplanner.model import Cycle, Plan, Scenario, calendar_routes

#: The product that wrote the feed (PRODID).
PRODID = "-//routeplanner//bookmobile timetable//EN"
#: How often a subscribed calendar should read the feed again.
REFRESH = timedelta(days=1)


def event_uid(scenario_id: int, stop_id: str, week: int, day: str) -> str:
    """The UID of a stop's slot: the same for every plan of the scenario.

    The stop id is hashed: it may hold any letters, and a UID is better kept
    to plain ones (it is also less telling in a calendar's export).
    """
    stop = hashlib.sha256(stop_id.encode("utf-8")).hexdigest()[:16]
    return f"scenario-{scenario_id}-stop-{stop}-week-{week}-{day.lower()}@routeplanner"


@dataclass(frozen=True)
class SlotEvent:
    """One stop's visit slot as a repeating event."""

    uid: str
    stop_id: str
    name: str
    week: int
    day: str
    arrival_min: int
    departure_min: int
    lat: float
    lon: float
    location: str


@dataclass(frozen=True)
class Words:
    """What the feed says, translated by the caller."""

    calendar_name: str
    summary: Callable[[SlotEvent], str]
    description: Callable[[SlotEvent], str]


def slot_events(plan: Plan, scenario: Scenario | None, scenario_id: int,
                stop_id: str | None = None) -> list[SlotEvent]:
    """Every visit slot of the plan (of one stop, with ``stop_id``), in calendar order.

    An event lasts the stop's published window (:mod:`routeplanner.published`:
    the time the door is open on every visit, in 5-minute steps), the same
    time the timetable and the poster print; a stop without one keeps each
    visit's own times.
    """
    stops = {s.id: s for s in scenario.stops} if scenario else {}
    windows = {e.stop_id: (e.opens_min, e.closes_min) for e in published.entries(plan) if e.has_window}
    out: list[SlotEvent] = []
    seen: set[str] = set()
    for route in calendar_routes(plan):
        for v in route.visits:
            if stop_id is not None and v.stop_id != stop_id:
                continue
            uid = event_uid(scenario_id, v.stop_id, route.week, route.day)
            n = 2
            while uid in seen:  # two visits in one slot (two vans): rare, but a UID is one event
                uid = event_uid(scenario_id, v.stop_id, route.week, route.day).replace("@", f"-{n}@", 1)
                n += 1
            seen.add(uid)
            stop = stops.get(v.stop_id)
            location = stop.address if stop is not None and stop.address else v.name
            opens, closes = windows.get(v.stop_id, (v.arrival_min, v.departure_min))
            out.append(SlotEvent(uid, v.stop_id, v.name, route.week, route.day, opens, closes,
                                 v.lat, v.lon, location))
    return out


def feed(events: Sequence[SlotEvent], cycle: Cycle, *, words: Words, zone: str, first: date, last: date,
         closed: Mapping[date, str], stamp: datetime, sequence: int = 0) -> bytes:
    """The iCalendar text of ``events``, each from its first date on or after ``first`` to ``last``.

    ``cycle`` must have a start date (:func:`routeplanner.dates.anchored`);
    ``closed`` are the dates without visits (EXDATE); ``stamp`` (UTC) is
    when the timetable was published, ``sequence`` its revision.
    """
    from icalendar import Calendar, Event, vGeo

    tz = ZoneInfo(zone)
    stamp = stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None else stamp.astimezone(timezone.utc)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", words.calendar_name)
    cal.add("x-wr-timezone", zone)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    until = datetime.combine(last, time(23, 59, 59), tz).astimezone(timezone.utc)
    for e in events:
        days = dates.slot_dates(cycle, e.week, e.day, first, last + timedelta(days=1))
        if not days:
            continue
        start = _at(days[0], e.arrival_min, tz)
        event = Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        event.add("last-modified", stamp)
        event.add("sequence", sequence)
        event.add("summary", words.summary(e))
        event.add("dtstart", start)
        event.add("dtend", _at(days[0], e.departure_min, tz))
        event.add("rrule", {"freq": "weekly", "interval": cycle.weeks, "until": until})
        shut = [_at(d, e.arrival_min, tz) for d, _reason in dates.closed_dates(days, closed)]
        if shut:
            event.add("exdate", shut)
        event.add("location", e.location)
        event.add("geo", vGeo((e.lat, e.lon)))
        event.add("description", words.description(e))
        event.add("transp", "TRANSPARENT")  # a visit of the library does not make the patron busy
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _at(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """Local time ``minutes`` after midnight of ``day`` in ``tz`` (the wall clock, across DST changes)."""
    return datetime.combine(day, time(minutes // 60, minutes % 60), tz)

