"""Names in the order of the local alphabet: Lithuanian C, Č, D ... S, Š ... Z, Ž; Latvian likewise.

Sorting by code point puts Č and Ž after Z, and a patron looking for
"Čedasai" between "Cypliai" and "Dauliai" does not find it.  The order of
each language is the Unicode Collation Algorithm with that language's
tailoring from CLDR, as ICU implements it (PyICU, installed from the
``pyicu-wheels`` package, which bundles ICU itself): no alphabet of our own.

Which language: :func:`language` says, in one place, so that it can read the
scenario's country once the scenario has that key.  Until then it is
guessed from the letters of the scenario's names (ā, ē, ģ, ķ, ļ, ņ are
Latvian; ą, ę, ė, į, ų Lithuanian), and names in neither language sort by
CLDR's root order, which suits most languages written in Latin letters.
"""

from __future__ import annotations

from typing import Callable, Iterable, TypeVar

import icu

T = TypeVar("T")

#: Letters only one of the two languages of the samples writes.
_ONLY_IN = {
    "lv": frozenset("āēīģķļņ"),
    "lt": frozenset("ąęėįų"),
}

#: CLDR's root collation: no language's tailoring.
ROOT = "root"


def language(country: str | None = None, names: Iterable[str] = ()) -> str:
    """The language whose alphabet orders the names of a scenario.

    ``country`` (an ISO 3166 code such as ``"LT"``): its main language, as
    CLDR's likely subtags say (LT -> lt, LV -> lv, EE -> et).  Without it,
    the language whose own letters the ``names`` use most; else :data:`ROOT`.
    """
    if country:
        guess = icu.Locale.addLikelySubtags(icu.Locale(f"und_{country.strip().upper()}"))
        return guess.getLanguage() or ROOT
    counts = {lang: 0 for lang in _ONLY_IN}
    for name in names:
        for ch in name.casefold():
            for lang, letters in _ONLY_IN.items():
                counts[lang] += ch in letters
    best = max(counts, key=lambda lang: counts[lang])
    return best if counts[best] else ROOT


def scenario_language(scenario, extra_names: Iterable[str] = ()) -> str:
    """:func:`language` of a scenario (None: of ``extra_names`` alone).

    Reads the scenario's ``country`` when it has one (a key being added);
    otherwise its depot's and stops' names.
    """
    if scenario is None:
        return language(None, extra_names)
    country = getattr(scenario, "country", None)
    names = [scenario.depot.name, *(s.name for s in scenario.stops), *extra_names]
    return language(country, names)


def name_key(lang: str) -> Callable[[str], bytes]:
    """A sort key for names in ``lang``'s alphabetical order.

    A collator of its own for each sort (ICU caches the rules, so it is
    cheap): a collator shared between the web server's threads would be a
    shared mutable object.
    """
    return icu.Collator.createInstance(icu.Locale(lang)).getSortKey


def sort_by_name(items: Iterable[T], name: Callable[[T], str], lang: str, tie: Callable[[T], str] = str) -> list[T]:
    """``items`` by ``name`` in ``lang``'s alphabetical order (``tie``, such as the id, for equal names)."""
    key = name_key(lang)
    return sorted(items, key=lambda item: (key(name(item)), tie(item)))
