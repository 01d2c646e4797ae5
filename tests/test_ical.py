"""Calendar feeds (routeplanner.ical): read back with the icalendar package, as a phone would read them."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar
from meridian import SCENARIO, make_plan

from routeplanner import dates, ical
from routeplanner.model import CalendarSettings, Closure

STAMP = datetime(2026, 11, 20, 9, 30)
WORDS = ical.Words("Mobile library", lambda e: f"Mobile library at {e.name}", lambda e: f"open {e.arrival_min}")
CAL = CalendarSettings(country="LT", closed=(Closure(date(2026, 12, 29), "Stocktaking"),))
FIRST, LAST = date(2026, 12, 1), date(2027, 3, 31)


def make_feed(plan=None, *, sequence=1, stop_id=None, scenario_id=7, first=FIRST) -> Calendar:
    plan = plan or make_plan()
    events = ical.slot_events(plan, SCENARIO, scenario_id, stop_id)
    closed = dates.closures(CAL, first, LAST)
    text = ical.feed(events, plan.cycle, words=WORDS, zone=dates.time_zone(CAL), first=first, last=LAST,
                     closed=closed, stamp=STAMP, sequence=sequence)
    return Calendar.from_ical(text)


def occurrences(event) -> list[datetime]:
    """Every start of a repeating event: RRULE less EXDATE (dateutil, not our code)."""
    start = event.decoded("dtstart")
    rules = rruleset()
    rules.rrule(rrulestr(event["rrule"].to_ical().decode(), dtstart=start))
    exdates = event.get("exdate", [])
    for group in exdates if isinstance(exdates, list) else [exdates]:
        for d in group.dts:
            rules.exdate(d.dt)
    return list(rules)


def test_every_event_has_a_time_zone_an_end_and_the_zones_definition():
    cal = make_feed()
    events = cal.walk("VEVENT")
    assert len(events) == 8  # A twice, B four times, C twice in the 4-week cycle
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Vilnius"]
    for e in events:
        assert e["dtstart"].params["TZID"] == "Europe/Vilnius" and e["dtend"].params["TZID"] == "Europe/Vilnius"
        rule = e["rrule"]
        assert rule["FREQ"] == ["WEEKLY"] and rule["INTERVAL"] == [4]
        assert rule["UNTIL"][0] == datetime(2027, 3, 31, 20, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Vilnius (summer time)
        assert occurrences(e)[-1].date() <= LAST
        assert e["sequence"] == 1 and e.decoded("dtstamp") == STAMP.replace(tzinfo=timezone.utc)
        assert e.decoded("last-modified") == STAMP.replace(tzinfo=timezone.utc)


def test_holidays_and_closed_dates_are_not_in_the_calendar():
    cal = make_feed(stop_id="B")  # weekly on Tuesdays at 08:50
    starts = sorted(d for e in cal.walk("VEVENT") for d in occurrences(e))
    days = [d.date() for d in starts]
    assert date(2027, 2, 16) not in days  # Day of Restoration of the State of Lithuania, a Tuesday
    assert date(2026, 12, 29) not in days  # the library's own closed date
    assert date(2026, 12, 22) in days and date(2027, 2, 9) in days and date(2027, 2, 23) in days
    assert len(days) == 18 - 2  # every Tuesday from 1 Dec to 30 Mar, less two
    assert all(d.hour == 8 and d.minute == 50 and str(d.tzinfo) == "Europe/Vilnius" for d in starts)


def test_uids_name_the_stop_and_slot_never_the_plan():
    first = make_plan()
    other = make_plan()
    for route in other.routes:  # a new plan: every visit ten minutes later
        for v in route.visits:
            v.arrival_min += 10
            v.departure_min += 10
    a, b = make_feed(first), make_feed(other, sequence=2)
    uids = [str(e["uid"]) for e in a.walk("VEVENT")]
    assert len(set(uids)) == len(uids)
    assert uids == [str(e["uid"]) for e in b.walk("VEVENT")]
    assert [e["sequence"] for e in b.walk("VEVENT")] == [2] * len(uids)
    assert [e.decoded("dtstart").minute for e in b.walk("VEVENT")] != [e.decoded("dtstart").minute
                                                                       for e in a.walk("VEVENT")]
    # another scenario's events are others
    assert set(uids).isdisjoint(str(e["uid"]) for e in make_feed(first, scenario_id=8).walk("VEVENT"))


def test_events_start_on_their_first_date_from_the_day_the_timetable_takes_effect():
    cal = make_feed(first=date(2026, 12, 10))
    starts = {str(e["uid"]): e.decoded("dtstart").date() for e in cal.walk("VEVENT")}
    assert min(starts.values()) == date(2026, 12, 15)  # the first Tuesday on or after 10 Dec
    assert all(d >= date(2026, 12, 10) for d in starts.values())
    # a slot whose first date is closed starts then all the same (RFC 5545), and that date is excluded
    week_1 = [e for e in cal.walk("VEVENT") if e.decoded("dtstart").date() == date(2026, 12, 29)]
    assert week_1 and all(date(2026, 12, 29) not in {d.date() for d in occurrences(e)} for e in week_1)
    assert all(date(2027, 1, 26) in {d.date() for d in occurrences(e)} for e in week_1)


def test_a_timetable_ending_before_a_slot_comes_leaves_it_out():
    plan = make_plan()
    cal = Calendar.from_ical(ical.feed(ical.slot_events(plan, SCENARIO, 1), plan.cycle, words=WORDS,
                                       zone="Europe/Riga", first=FIRST, last=date(2026, 12, 7), closed={},
                                       stamp=STAMP))
    assert {e.decoded("dtstart").date() for e in cal.walk("VEVENT")} == {date(2026, 12, 1)}  # week 1 only
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Riga"]


def test_a_feed_without_closures_has_no_exdate():
    plan = dataclasses.replace(make_plan())
    cal = Calendar.from_ical(ical.feed(ical.slot_events(plan, SCENARIO, 1), plan.cycle, words=WORDS,
                                       zone="Europe/Vilnius", first=FIRST, last=LAST, closed={}, stamp=STAMP))
    assert all("exdate" not in e for e in cal.walk("VEVENT"))


def test_an_event_lasts_the_published_window_the_timetable_prints():
    from routeplanner import published

    plan = make_plan()
    # One visit 3 minutes late: the stop's window (on every visit, in 5-minute steps) narrows.
    first = plan.routes[0].visits[0]
    plan.routes[0].visits[0] = dataclasses.replace(first, arrival_min=first.arrival_min + 3,
                                                   departure_min=first.departure_min + 3)
    windows = {e.stop_id: e for e in published.entries(plan) if e.has_window}
    assert (windows[first.stop_id].opens_min - first.arrival_min) % 5 == 0 and \
        windows[first.stop_id].opens_min > first.arrival_min
    assert windows
    cal = make_feed(plan)
    for event in cal.walk("VEVENT"):
        name = str(event["summary"]).removeprefix("Mobile library at ")
        entry = next(e for e in windows.values() if e.name == name)
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert (start.hour * 60 + start.minute, end.hour * 60 + end.minute) == (entry.opens_min, entry.closes_min)
        assert start.minute % 5 == 0 and end.minute % 5 == 0
