"""The geocoder and the checks before planning, in the web service.

* The service's geocoder comes from ``ROUTEPLANNER_GEOCODER*`` (the app's
  ``GEOCODING`` setting, a :class:`~routeplanner.geocoding.GeocodingConfig`):
  settings that cannot work stop the start with a message, as a wrong map
  background does.  Uploads and forms geocode with it; a scenario sent to
  the service cannot choose another (its ``[geocoding]`` may only name
  ``countries``: a gazetteer or a server would be the service's files and
  network, not the client's).
* :func:`stored_warnings`: the warnings about a stored scenario, its rows
  numbered as the stops editor numbers them (from 1).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _

from routeplanner.datachecks import DataWarning, ImportNotes, check_scenario, rows_in_order
from routeplanner.geocoding import Geocoding, GeocodingConfig, build
from routeplanner.model import Scenario

_KEY = "routeplanner.geocoder"


def init_app(app: Flask) -> None:
    """Build the app's geocoder from ``GEOCODING``; refuse to start with settings that cannot work."""
    config: GeocodingConfig | None = app.config.get("GEOCODING")
    if config is None:
        app.extensions[_KEY] = None
        return
    wrong = config.problems()
    if wrong:
        raise ValueError("the geocoder's settings (ROUTEPLANNER_GEOCODER*): " + "; ".join(
            f"{key} {value!r}: expected {expected}" for key, value, expected in wrong))
    app.extensions[_KEY] = build(config)


def geocoder() -> Geocoding | None:
    """The service's geocoder, or None when addresses are not looked up."""
    return current_app.extensions.get(_KEY)


def stored_warnings(scenario: Scenario) -> list[DataWarning]:
    """The checks before planning of a stored scenario; rows as the stops editor numbers them."""
    notes = ImportNotes(stops_file=_("stops table"), rows=rows_in_order(scenario.stops, first_row=1),
                        source=_("settings"))
    return check_scenario(scenario, notes)


def warning_dict(w: DataWarning) -> dict[str, Any]:
    return {"kind": w.kind, "file": w.file, "row": w.row, "column": w.column, "value": w.value, "why": w.why,
            "stop_id": w.stop_id}
