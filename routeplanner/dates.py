"""The timetable on the calendar: the dates of a cycle's slots, less the days the library is closed.

A slot is a (week of the cycle, weekday); the cycle's ``start_date`` is the
date of week 1, day 1, and the cycle repeats every ``weeks`` weeks.  A date
is *closed* when it is a national public holiday of the scenario's country
(the ``holidays`` package) or one of the library's own closed dates
(``[calendar] closed``): no visit is made then, so closed dates are left out
of the patrons' next dates, the driver sheets and the calendar feeds
(EXDATE), and the patrons are told of them.

Also the time zone of the published times: the scenario's own, else its
country's (:data:`COUNTRY_TIME_ZONES`).  No Flask, no storage: the web
pages, the calendar feeds (:mod:`routeplanner.ical`) and the tests share it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Iterable, Mapping

from routeplanner.model import WEEKDAYS, CalendarSettings, Cycle

#: The time zone of a country's published times, for the countries with one zone that
#: mobile libraries of this planner serve; any other country needs ``[calendar] timezone``.
COUNTRY_TIME_ZONES: dict[str, str] = {
    "LT": "Europe/Vilnius",
    "LV": "Europe/Riga",
    "EE": "Europe/Tallinn",
    "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw",
    "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "DE": "Europe/Berlin",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
}
#: Without a country or a time zone: the planner's home, Lithuania.
DEFAULT_TIME_ZONE = "Europe/Vilnius"
#: How long a calendar feed runs without ``[calendar] valid_until``: this many years from its first date.
DEFAULT_HORIZON_YEARS = 1


def time_zone(calendar: CalendarSettings) -> str:
    """The IANA time zone of the published times: the scenario's, else its country's, else Vilnius."""
    if calendar.timezone:
        return calendar.timezone
    return COUNTRY_TIME_ZONES.get(country(calendar) or "", DEFAULT_TIME_ZONE)


def country(calendar: CalendarSettings) -> str | None:
    """The country whose public holidays apply: the scenario's, else the one its time zone belongs to."""
    if calendar.country:
        return calendar.country
    for code, zone in COUNTRY_TIME_ZONES.items():
        if zone == calendar.timezone:
            return code
    return None


@lru_cache(maxsize=1)
def supported_countries() -> frozenset[str]:
    """The country codes the ``holidays`` package knows public holidays of."""
    import holidays

    return frozenset(holidays.list_supported_countries())


def national_holidays(code: str, first: date, last: date, language: str | None = None) -> dict[date, str]:
    """The public holidays of country ``code`` from ``first`` to ``last`` (inclusive), named in
    ``language`` (such as ``"en_US"``) when the package has the country in it."""
    import holidays

    if code not in supported_countries() or last < first:
        return {}
    kind = holidays.country_holidays(code)
    lang = language if language in (kind.supported_languages or ()) else None
    days = holidays.country_holidays(code, years=range(first.year, last.year + 1), language=lang)
    return {d: str(name) for d, name in sorted(days.items()) if first <= d <= last}


def closures(calendar: CalendarSettings, first: date, last: date, language: str | None = None) -> dict[date, str]:
    """Every closed date from ``first`` to ``last`` (inclusive) with its reason: the country's
    public holidays and the library's own closed dates (both reasons when a date is both)."""
    out: dict[date, str] = {}
    code = country(calendar)
    if code:
        out.update(national_holidays(code, first, last, language))
    for c in calendar.closed:
        if first <= c.date <= last:
            reasons = [r for r in (out.get(c.date, ""), c.reason) if r]
            out[c.date] = "; ".join(dict.fromkeys(reasons))
    return dict(sorted(out.items()))


# --- the dates of a slot ------------------------------------------------------------------


def first_date(cycle: Cycle, week: int, day: str) -> date | None:
    """The date of (week, weekday) in the first cycle; None without a start date."""
    if cycle.start_date is None or day not in WEEKDAYS:
        return None
    offset = (week - 1) * 7 + WEEKDAYS.index(day) - cycle.start_date.weekday()
    return cycle.start_date + timedelta(days=offset)


def slot_dates(cycle: Cycle, week: int, day: str, since: date, until: date) -> list[date]:
    """Every date of (week, weekday), one a cycle, from ``since`` up to but not including ``until``."""
    first = first_date(cycle, week, day)
    if first is None:
        return []
    step = timedelta(weeks=cycle.weeks)
    d = first
    if d < since:
        d += step * ((since - d) // step)
        if d < since:
            d += step
    out = []
    while d < until:
        out.append(d)
        d += step
    return out


def open_dates(dates: Iterable[date], closed: Mapping[date, str] | Iterable[date] = ()) -> list[date]:
    """``dates`` without the closed ones."""
    shut = set(closed)
    return [d for d in dates if d not in shut]


def closed_dates(dates: Iterable[date], closed: Mapping[date, str]) -> list[tuple[date, str]]:
    """The ones of ``dates`` that are closed, with the reason."""
    return [(d, closed[d]) for d in dates if d in closed]


def horizon(start: date, calendar: CalendarSettings) -> date:
    """The last date a timetable starting on ``start`` runs: ``valid_until``, else a year on."""
    if calendar.valid_until is not None:
        return calendar.valid_until
    year = start.year + DEFAULT_HORIZON_YEARS
    later = start.replace(year=year) if (start.month, start.day) != (2, 29) else date(year, 3, 1)
    return later - timedelta(days=1)


def anchored(cycle: Cycle, effective_from: date) -> Cycle:
    """The cycle as published from ``effective_from``: as it is when it has a start date;
    without one, week 1 is the week of ``effective_from`` (its first working day on or before it)."""
    if cycle.start_date is not None or not cycle.days:
        return cycle
    first_day = WEEKDAYS.index(cycle.days[0])
    back = (effective_from.weekday() - first_day) % 7
    return Cycle(cycle.weeks, cycle.days, effective_from - timedelta(days=back))


def today_in(zone: str) -> date:
    """Today's date where the timetable is published (the server may keep another clock)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(zone)).date()


def closed_visits(cycle: Cycle, slots: Iterable[tuple[int, str]], since: date, until: date,
                  closed: Mapping[date, str]) -> list[tuple[date, str]]:
    """The closed dates, with their reason, on which one of ``slots`` (week, weekday) would
    have come, from ``since`` up to but not including ``until``, in date order."""
    found = {d: reason for week, day in set(slots)
             for d, reason in closed_dates(slot_dates(cycle, week, day, since, until), closed)}
    return sorted(found.items())
