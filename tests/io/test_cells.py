"""Spreadsheet-safe cells: formulas become text, numbers stay numbers, and the way back is exact."""

from __future__ import annotations

import pytest

from routeplanner.io.cells import safe_cell, unsafe_cell


@pytest.mark.parametrize(
    "raw, written",
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("'=1", "''=1"),  # a name that really starts with an apostrophe survives too
        ("Kamajai", "Kamajai"),
        ("'quoted'", "'quoted'"),
        ("-25.5912", "-25.5912"),  # a longitude, not a formula
        ("+3", "+3"),
        ("", ""),
        (12.5, 12.5),
    ],
)
def test_safe_cell(raw, written):
    assert safe_cell(raw) == written
    if isinstance(raw, str):
        assert unsafe_cell(written) == raw


@pytest.mark.parametrize("text", ["'plain", "''", "'", "'-3.5", "it's"])
def test_text_that_was_never_quoted_reads_as_it_is(text):
    assert unsafe_cell(text) == text
