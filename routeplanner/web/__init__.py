"""The web service: Flask app factory (flaskr style).

``create_app()`` wires configuration (``routeplanner.config``), storage
(``routeplanner.store`` through ``web.db``), translations (Flask-Babel), the background solve runner
(``routeplanner.jobs`` through ``web.jobs``), the JSON API (``web.api``) and the HTML pages
(``web.pages``).  ``app.py`` at the top of the repository calls it, so
``flask run`` works there.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any, Mapping

from flask import Flask
from flask_babel import Babel

from routeplanner import limits
from routeplanner.config import Settings


def _template_folder() -> str:
    return str(files("routeplanner.templates"))


def _check_tiles(tiles: str | None) -> None:
    """Refuse at start a map background that every map page would fail on
    (folium looks the name up in xyzservices, as here)."""
    if not tiles or tiles.strip().lower() == "openstreetmap":
        return
    import xyzservices

    try:
        xyzservices.providers.query_name(tiles)
    except ValueError:
        raise ValueError(
            f"ROUTEPLANNER_MAP_TILES={tiles!r}: not a tile provider folium knows by name "
            "(such as OpenStreetMap, OpenStreetMap.HOT, OpenTopoMap), nor 'none' for maps without a background"
        ) from None


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=settings.instance_dir or None,
        template_folder=_template_folder(),
        static_folder="static",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database(),  # the instance folder is settings.instance_dir
        LOAD_SAMPLE=settings.load_sample,
        SOLVE_WORKERS=settings.solve_workers,
        REDIS_URL=settings.redis_url,  # set: solves go to RQ workers, none run in this process
        MAP_TILES=settings.map_tiles,  # None: maps without a background
        GEOCODING=settings.geocoding(),  # how addresses get coordinates (web.checks)
        MAX_CONTENT_LENGTH=limits.MAX_INPUT_BYTES,  # a stops file, not a data dump
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        # start the solve runner with the app (tests may drive it by hand)
        START_RUNNER=True,
    )
    if test_config:
        app.config.from_mapping(test_config)
    _check_tiles(app.config.get("MAP_TILES"))
    from routeplanner.web import checks

    checks.init_app(app)  # a geocoder whose settings cannot work stops the start, as wrong tiles do

    from routeplanner.web import i18n

    i18n.init_app(app)
    Babel(app, locale_selector=i18n.select_locale)
    from routeplanner.web import security

    security.init_app(app)  # first: its checks run before, and its headers after, everything else

    from routeplanner.web import db

    app.url_map.converters["int"] = db.IdConverter  # ids out of the columns' range: 404, not 500
    db.init_app(app, app.config["DATABASE_URL"])

    from routeplanner.web import api, jobs, pages, pages_compare, pages_plans, pages_scenarios, sample

    sample.init_app(app)
    jobs.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)  # error pages and what every template uses
    for module in (pages_scenarios, pages_plans, pages_compare):
        app.register_blueprint(module.bp)
    return app
