"""Which characters user text may hold, how to show text that breaks the rule, and how names
are compared (:func:`fold`).

One rule for every entry point (stops table, scenario, web forms, API, stored
text): no control characters other than tab and line feed, no lone UTF-16
surrogates, and none of the bidirectional overrides and isolates.

* Control characters: PostgreSQL cannot store NUL; ``ESC [31m`` or BEL in a
  stop name would colour or beep the coordinator's terminal when the command
  line prints the timetable; C1 controls (``\\x9b`` is a one-byte CSI) too.
* Lone surrogates: JSON can carry half a character, no UTF-8 file or
  database can store it.
* Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069): a
  name with U+202E shows reversed, so ``Kamajai<U+202E>lmth.exe`` reads
  as something else than it is ("Trojan Source").  Left-to-right and
  right-to-left *marks* (U+200E, U+200F) only nudge punctuation and stay.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters user text may not hold (see the module docstring).
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

#: What a problem says was expected of such text.
EXPECTED = "text without control characters"


def forbidden(text: str) -> bool:
    """True when ``text`` holds a character of :data:`FORBIDDEN`."""
    return bool(FORBIDDEN.search(text))


def visible(text: str) -> str:
    """``text`` with every forbidden character written as an escape: ``"a\\x1b[31m"`` -> ``"a\\\\x1b[31m"``.

    For printing to a terminal or into a message: the reader sees what is
    there, and nothing is run.
    """
    return FORBIDDEN.sub(lambda m: m.group(0).encode("unicode_escape", "backslashreplace").decode("ascii")
                         if ord(m.group(0)) < 0xD800 else f"\\u{ord(m.group(0)):04x}", text)


def fold(text: str) -> str:
    """Lower case, diacritics dropped, inner whitespace collapsed: ``" Rokiškis "`` -> ``"rokiskis"``
    (column titles, weekday and frequency words, stop and place names compared as people mean them)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split())
