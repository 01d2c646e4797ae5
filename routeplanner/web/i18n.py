"""Which language a page is shown in: English, Lithuanian, Latvian.

The order of choice: ``?lang=xx`` on any address (the switch on every page;
remembered in the session), then the language chosen before in this session,
then the browser's ``Accept-Language``, then English.  A page may name its
own default instead of the browser's (a scenario's patron pages speak the
language the coordinator chose for them, :func:`page_default`).

Only languages with a catalogue in ``translations/`` are offered, so a
language whose catalogue is missing is never half-shown.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, current_app, g, request, session
from flask_babel import refresh

#: Every language the interface may speak (routeplanner.model.LANGUAGES), in its own name.
NAMES = {"en": "English", "lt": "Lietuvių", "lv": "Latviešu"}
DEFAULT = "en"
TRANSLATIONS = Path(__file__).parent / "translations"


def available_languages() -> list[str]:
    """English and every language of :data:`NAMES` with a catalogue."""
    have = {p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / "messages.po").is_file()}
    return [code for code in NAMES if code == DEFAULT or code in have]


def requested() -> str | None:
    """The language asked for on the address (``?lang=``) or earlier in the session, if offered."""
    offered = current_app.config["LANGUAGES"]
    asked = request.args.get("lang", "").strip().lower()
    if asked in offered:
        session["lang"] = asked
        return asked
    kept = session.get("lang")
    return kept if kept in offered else None


def page_default(language: str | None) -> None:
    """Let this page speak ``language`` unless the visitor asked for another one."""
    if language in current_app.config["LANGUAGES"]:
        g.page_language = language
        refresh()  # a message translated before this call must not fix the page's language


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring for the order)."""
    chosen = requested()
    if chosen:
        return chosen
    own = g.get("page_language")
    if own:
        return own
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or DEFAULT


def lang_url(code: str) -> str:
    """This page's address in language ``code`` (its other query arguments kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.path + "?" + urlencode(args, doseq=True)


def init_app(app: Flask) -> None:
    app.config.setdefault("LANGUAGES", available_languages())

    @app.context_processor
    def _languages() -> dict:
        return {"languages": [(code, NAMES[code]) for code in app.config["LANGUAGES"]], "lang_url": lang_url}
