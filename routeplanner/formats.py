"""Plain formatters: durations, weekday names, numbers, and a refused value as a problem shows it.

One home for the way routeplanner writes these for people, whoever writes
them: the command line's timetable, the checker's report, the diagnoses of
unserved stops, the web pages and the API's problems.  Pure Python, no Flask.

The words here are English.  The web pages translate: they pass their own
gettext templates to :func:`duration` and their ``gettext`` to
:func:`day_name`, and the weekday names below are marked with :func:`N_` so
that ``pybabel extract`` (``make messages``) puts them in the catalogue.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Callable


def N_(message: str) -> str:
    """Marks a message for the catalogue; it is translated where it is shown."""
    return message


# --- durations ------------------------------------------------------------------------

#: The English templates of :func:`duration` (``%``-style, as gettext's are).
HOURS_MINUTES = "%(h)d h %(m)02d min"
MINUTES = "%(m)d min"

#: What a missing number or duration is shown as.
MISSING = "—"


def duration(
    minutes: float | None,
    *,
    round_up: bool = False,
    hours_minutes: str = HOURS_MINUTES,
    minutes_only: str | None = MINUTES,
    whole_hours: str | None = None,
    missing: str = MISSING,
) -> str:
    """Minutes as hours and minutes: ``425`` -> ``"7 h 05 min"``, ``45`` -> ``"45 min"``.

    The variants the callers need are the parameters:

    * ``round_up``: a part of a minute counts as a whole one (a diagnosis says
      how long something takes at least); otherwise to the nearest minute;
    * ``minutes_only``: the template under an hour (None: ``"0 h 45 min"``,
      as the command line's timetable aligns its totals);
    * ``whole_hours``: the template for whole hours (``"9 h"``; None: the
      ``hours_minutes`` one, ``"9 h 00 min"``);
    * ``missing``: what None is shown as.

    Templates take ``%(h)d`` and ``%(m)d``: the web pages pass their translated ones.
    """
    if minutes is None:
        return missing
    # The float noise of a sum (120.000000001) is not an extra minute.
    total = int(math.ceil(minutes - 1e-9)) if round_up else int(round(minutes))
    if total < 60 and minutes_only is not None:
        return minutes_only % {"m": total}
    h, m = divmod(total, 60)
    if m == 0 and whole_hours is not None:
        return whole_hours % {"h": h}
    return hours_minutes % {"h": h, "m": m}


# --- weekdays -------------------------------------------------------------------------


@dataclass(frozen=True)
class DayNames:
    """How a weekday code of :data:`routeplanner.model.WEEKDAYS` is written out."""

    short: str  # "Mon": the code itself, in English
    name: str  # "Monday"
    plural: str  # "Mondays": "Mondays of weeks 1 and 3"


#: The one list of weekday names, keyed by the model's codes (same order).
WEEKDAY_NAMES: dict[str, DayNames] = {
    "Mon": DayNames(N_("Mon"), N_("Monday"), N_("Mondays")),
    "Tue": DayNames(N_("Tue"), N_("Tuesday"), N_("Tuesdays")),
    "Wed": DayNames(N_("Wed"), N_("Wednesday"), N_("Wednesdays")),
    "Thu": DayNames(N_("Thu"), N_("Thursday"), N_("Thursdays")),
    "Fri": DayNames(N_("Fri"), N_("Friday"), N_("Fridays")),
    "Sat": DayNames(N_("Sat"), N_("Saturday"), N_("Saturdays")),
    "Sun": DayNames(N_("Sun"), N_("Sunday"), N_("Sundays")),
}


def day_name(day: str, form: str = "name", gettext: Callable[[str], str] | None = None) -> str:
    """``"Tue"`` -> ``"Tuesday"`` (``form`` ``"name"``, ``"plural"`` or ``"short"``).

    ``gettext`` translates the name (the web pages pass Flask-Babel's).  A
    code that is no weekday comes back as it is, untranslated: it is data.
    """
    names = WEEKDAY_NAMES.get(day)
    if names is None:
        return day
    text = getattr(names, form)
    return gettext(text) if gettext is not None else text


# --- numbers --------------------------------------------------------------------------


def number(value: float | None, decimals: int = 1, *, missing: str = MISSING) -> str:
    """``1234.5`` -> ``"1,234.5"``, ``40.0`` -> ``"40"``: thousands with commas,
    ``decimals`` places unless they are all zeros; None -> ``missing``.

    For kilometres, loans, shares and seconds alike (the unit is the caller's).
    """
    if value is None:
        return missing
    text = f"{value:,.{decimals}f}"
    if decimals and text.endswith("." + "0" * decimals):
        text = text[: -(decimals + 1)]
    return text


def whole_loans(value: float) -> int:
    """Expected loans as a whole number, halves up: ``12.5`` -> ``13`` (see :func:`loans`)."""
    return math.floor(value + 0.5)


def loans(value: float | None, *, missing: str = MISSING) -> str:
    """Expected loans as people count books: whole, ``12.5`` -> ``"13"``, ``1234.4`` -> ``"1,234"``.

    Half a loan is no loan anyone makes; the plan JSON keeps the exact
    expectation for programs.  Halves round up (Python's ``round`` would
    make 12.5 twelve and 13.5 fourteen).
    """
    if value is None:
        return missing
    return f"{whole_loans(value):,d}"


# --- problems -------------------------------------------------------------------------

#: How much of a refused value a problem repeats.
SHOWN_CHARS = 200


def shown(value: object, limit: int = SHOWN_CHARS, *, ellipsis: str = "…", ascii_only: bool = False) -> str:
    """A refused value as a problem shows it: text as it is, anything else as
    JSON, cut to ``limit`` characters (the cut marked by ``ellipsis``).

    A problem repeats the value so it can be found; a whole megabyte of it
    would only hide the message.  ``ascii_only`` writes non-ASCII characters
    of JSON as ``\\u`` escapes.
    """
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=ascii_only, default=str)
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis
