"""Dates of the cycle's slots, less holidays and the library's closed dates (routeplanner.dates)."""

from __future__ import annotations

from datetime import date

from routeplanner import dates
from routeplanner.model import CalendarSettings, Closure, Cycle

CYCLE = Cycle(2, ("Mon", "Tue", "Wed", "Thu", "Fri"), date(2026, 11, 30))  # Rokiškis: week 1 starts Mon 30 Nov


def test_slot_dates_repeat_every_cycle_from_the_first():
    assert dates.first_date(CYCLE, 2, "Fri") == date(2026, 12, 11)
    got = dates.slot_dates(CYCLE, 2, "Fri", date(2026, 12, 12), date(2027, 1, 23))
    assert got == [date(2026, 12, 25), date(2027, 1, 8), date(2027, 1, 22)]


def test_lithuanian_holidays_and_the_librarys_own_closures_are_closed_with_their_reason():
    cal = CalendarSettings(country="LT", closed=(Closure(date(2026, 12, 28), "Stocktaking"),
                                                  Closure(date(2026, 12, 25), "Staff day")))
    shut = dates.closures(cal, date(2026, 12, 1), date(2027, 1, 10), "en_US")
    assert shut[date(2026, 12, 25)] == "Christmas Day; Staff day"
    assert shut[date(2026, 12, 24)] == "Christmas Eve"
    assert shut[date(2027, 1, 1)] == "New Year's Day"
    assert shut[date(2026, 12, 28)] == "Stocktaking"
    assert date(2026, 12, 23) not in shut and date(2027, 1, 11) not in shut


def test_holidays_are_missing_from_the_next_dates():
    cal = CalendarSettings(country="LT")
    every = dates.slot_dates(CYCLE, 2, "Fri", date(2026, 12, 1), date(2027, 2, 1))
    shut = dates.closures(cal, date(2026, 12, 1), date(2027, 2, 1))
    kept = dates.open_dates(every, shut)
    assert date(2026, 12, 25) in every and date(2027, 1, 1) not in every  # week 1 on 1 Jan
    assert date(2026, 12, 25) not in kept and len(kept) == len(every) - 1
    assert [d for d, _ in dates.closed_dates(every, shut)] == [date(2026, 12, 25)]


def test_latvian_holidays_come_from_the_latvian_calendar():
    shut = dates.closures(CalendarSettings(country="LV"), date(2026, 11, 1), date(2026, 11, 30), "en_US")
    assert date(2026, 11, 18) in shut  # proclamation of the Republic of Latvia
    assert date(2026, 11, 18) not in dates.closures(CalendarSettings(country="LT"), date(2026, 11, 1),
                                                    date(2026, 11, 30))


def test_without_a_country_only_the_librarys_closures_count():
    cal = CalendarSettings(closed=(Closure(date(2026, 12, 31)),))
    assert dates.closures(cal, date(2026, 12, 1), date(2027, 1, 10)) == {date(2026, 12, 31): ""}


def test_the_time_zone_follows_the_country_unless_set():
    assert dates.time_zone(CalendarSettings(country="LT")) == "Europe/Vilnius"
    assert dates.time_zone(CalendarSettings(country="LV")) == "Europe/Riga"
    assert dates.time_zone(CalendarSettings(country="LV", timezone="Europe/Helsinki")) == "Europe/Helsinki"
    assert dates.time_zone(CalendarSettings()) == dates.DEFAULT_TIME_ZONE
    # ... and a time zone alone says which country's holidays apply
    assert dates.country(CalendarSettings(timezone="Europe/Riga")) == "LV"


def test_the_horizon_is_valid_until_or_a_year():
    assert dates.horizon(date(2026, 12, 1), CalendarSettings(valid_until=date(2027, 3, 1))) == date(2027, 3, 1)
    assert dates.horizon(date(2026, 12, 1), CalendarSettings()) == date(2027, 11, 30)


def test_a_cycle_without_a_start_date_is_anchored_in_the_week_it_takes_effect():
    cycle = Cycle(2, ("Tue", "Thu"))
    assert dates.anchored(cycle, date(2026, 12, 3)).start_date == date(2026, 12, 1)  # Thu -> that Tue
    assert dates.anchored(cycle, date(2026, 11, 30)).start_date == date(2026, 11, 24)  # Mon -> the Tue before
    assert dates.anchored(CYCLE, date(2027, 1, 6)) == CYCLE
