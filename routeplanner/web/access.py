"""Who may do what: the one permission check every change to a scenario passes.

Today every visitor is a coordinator of every scenario.  Accounts and
read-only share links plug in here (``can`` grows a user and a token) without
touching the views, which call :func:`require` before any change.
"""

from __future__ import annotations

from flask import abort

#: Actions a view may ask about.
VIEW, EDIT, PLAN, DELETE = "view", "edit", "plan", "delete"


def can(action: str, scenario_id: int | None = None) -> bool:
    """Whether the current visitor may do ``action`` on the scenario."""
    return action in {VIEW, EDIT, PLAN, DELETE}


def require(action: str, scenario_id: int | None = None) -> None:
    """Abort with 403 unless the current visitor may do ``action``."""
    if not can(action, scenario_id):
        abort(403)
