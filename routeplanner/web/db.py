"""The store (:mod:`routeplanner.store`) in the Flask app: one session per request, ids in URLs.

:func:`init_app` opens the database (migrating its schema) and closes each
request's session at the end of its app context.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from routeplanner.store import MAX_ID, open_sessions


def digits_upto(n: int) -> str:
    """A regular expression matching exactly the decimal numbers 0 to ``n``
    (ASCII digits; leading zeros allowed below ``n``'s length)."""
    text = str(n)
    branches = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":  # this prefix, a smaller digit here, anything after
            tail = f"[0-9]{{{len(text) - i - 1}}}" if i < len(text) - 1 else ""
            branches.append(f"{text[:i]}[0-{int(digit) - 1}]{tail}")
    branches.append(text)
    return "(?:" + "|".join(branches) + ")"


class IdConverter(IntegerConverter):
    """The ``<int:...>`` of every route: a whole number an id column can hold.

    Any other number (``2**63`` and up overflow the database driver; on
    PostgreSQL already ``2**31``) is no id of anything.  The pattern itself
    refuses it, so the URL matches no route: a 404 like any unknown id, never
    a 500 (and never a 405: a number refused only by ``max`` after the
    pattern matched makes werkzeug answer 405 for a DELETE whose URL also has
    a GET).
    """

    regex = digits_upto(MAX_ID)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def init_app(app: Flask, url: str) -> None:
    engine, sessions = open_sessions(url)
    app.extensions["routeplanner.engine"] = engine
    app.extensions["routeplanner.sessions"] = sessions
    app.teardown_appcontext(_close_session)


def session() -> Session:
    """The request's database session (one per app context)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["routeplanner.sessions"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def new_session(app: Flask) -> Session:
    """A session outside a request (CLI commands, start-up)."""
    return app.extensions["routeplanner.sessions"]()
