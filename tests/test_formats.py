"""The plain formatters: every variant the callers use, byte for byte."""

from __future__ import annotations

import pytest

from routeplanner import formats
from routeplanner.model import WEEKDAYS

# --- durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "minutes, text",
    [
        (425, "7 h 05 min"),
        (45, "45 min"),
        (59.6, "1 h 00 min"),  # to the nearest minute
        (0, "0 min"),
        (None, "—"),
        (1440, "24 h 00 min"),
    ],
)
def test_duration_default_is_the_pages_form(minutes, text):
    assert formats.duration(minutes) == text


def test_duration_without_a_form_for_minutes_keeps_the_hours():
    assert formats.duration(45, minutes_only=None) == "0 h 45 min"
    assert formats.duration(125.4, minutes_only=None) == "2 h 05 min"


def test_duration_rounded_up_with_whole_hours():
    need = dict(round_up=True, hours_minutes="%(h)d h %(m)d min", whole_hours="%(h)d h")
    assert formats.duration(0.2, **need) == "1 min"
    assert formats.duration(59.01, **need) == "1 h"
    assert formats.duration(120 + 1e-12, **need) == "2 h"  # float noise is not a minute
    assert formats.duration(61, **need) == "1 h 1 min"


def test_duration_takes_translated_templates():
    assert formats.duration(65, hours_minutes="%(h)d val. %(m)02d min.") == "1 val. 05 min."
    assert formats.duration(5, minutes_only="%(m)d min.") == "5 min."
    assert formats.duration(None, missing="") == ""


# --- weekdays -------------------------------------------------------------------------


def test_one_name_per_weekday_in_week_order():
    assert tuple(formats.WEEKDAY_NAMES) == WEEKDAYS
    assert [formats.day_name(d) for d in WEEKDAYS][:2] == ["Monday", "Tuesday"]
    assert formats.day_name("Sat", "plural") == "Saturdays"
    assert formats.day_name("Sun", "short") == "Sun"


def test_day_name_translates_names_but_not_unknown_codes():
    assert formats.day_name("Wed", gettext=str.upper) == "WEDNESDAY"
    assert formats.day_name("Xyz", gettext=str.upper) == "Xyz"


# --- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, decimals, text",
    [
        (1234.5, 1, "1,234.5"),
        (40.0, 1, "40"),
        (1234.0, 1, "1,234"),
        (12.25, 2, "12.25"),
        (12.0, 2, "12"),
        (1234.6, 0, "1,235"),
        (None, 1, "—"),
    ],
)
def test_number(value, decimals, text):
    assert formats.number(value, decimals) == text


# --- a refused value ------------------------------------------------------------------


def test_shown_keeps_text_and_writes_the_rest_as_json():
    assert formats.shown("Kamajai") == "Kamajai"
    assert formats.shown([1, "ą"]) == '[1, "ą"]'
    assert formats.shown([1, "ą"], ascii_only=True) == '[1, "\\u0105"]'
    assert formats.shown(None) == "null"


def test_shown_cuts_long_values_to_the_limit():
    assert formats.shown("x" * 200) == "x" * 200
    assert formats.shown("x" * 201) == "x" * 199 + "…"
    assert formats.shown("x" * 201, ellipsis="...") == "x" * 197 + "..."
    assert formats.shown("x" * 61, 60, ellipsis="...") == "x" * 57 + "..."


@pytest.mark.parametrize(
    ("value", "text"),
    [(12.5, "13"), (13.5, "14"), (12.49, "12"), (0.4, "0"), (1234.4, "1,234"), (40.0, "40"), (None, "—")],
)
def test_loans_are_whole_books_halves_up(value, text):
    assert formats.loans(value) == text
