"""Settings read from the environment: the one place ``ROUTEPLANNER_*`` is read.

| variable | meaning | default |
|---|---|---|
| ``ROUTEPLANNER_DATABASE_URL`` | SQLAlchemy URL (SQLite or PostgreSQL) | SQLite file in the instance folder |
| ``ROUTEPLANNER_INSTANCE_DIR`` | the instance folder (the default database lives there) | ``instance/`` beside the package; ``<prefix>/var/routeplanner.web-instance`` when installed |
| ``ROUTEPLANNER_SECRET_KEY`` | Flask session signing key | random per start |
| ``ROUTEPLANNER_LOAD_SAMPLE`` | load the Rokiškis sample scenario into an empty database | ``1`` |
| ``ROUTEPLANNER_SOLVE_WORKERS`` | solves run at the same time (each in its own process) | ``1`` |
| ``ROUTEPLANNER_REDIS_URL`` | Redis for RQ: solves go to ``routeplanner worker`` processes on any machine that shares Redis and the database, none run in the web process | unset: solves in a worker process of the web service |
| ``ROUTEPLANNER_HOST`` / ``ROUTEPLANNER_PORT`` | where ``routeplanner serve`` listens | ``127.0.0.1`` / ``5000`` |
| ``ROUTEPLANNER_CACHE_DIR`` | where road networks, their travel matrices and route shapes are kept between runs (``[travel] method = "osm"``); safe to delete | ``$XDG_CACHE_HOME/routeplanner`` (``~/.cache/routeplanner``) |
| ``ROUTEPLANNER_OSM_PBF`` | the server's OpenStreetMap extract (``.osm.pbf``): scenarios may then plan along its roads (``[travel] method = "osm"`` without ``osm_pbf``, and the web service offers it) | none |
| ``ROUTEPLANNER_MAP_TILES`` | background of the maps: a tile provider that folium knows by name (``OpenStreetMap``, ``OpenStreetMap.HOT``, ``OpenTopoMap``, ...), or ``none`` for no background (routes and stops are drawn either way) | ``OpenStreetMap`` |
| ``ROUTEPLANNER_GEOCODER`` | how addresses get coordinates: ``none``, ``nominatim`` or ``gazetteer`` | ``gazetteer`` when ``ROUTEPLANNER_GAZETTEER`` is set, else ``none`` |
| ``ROUTEPLANNER_GAZETTEER`` | the gazetteer file (GeoNames dump, or a CSV of places with name, lat, lon) | none |
| ``ROUTEPLANNER_NOMINATIM_URL`` | the Nominatim server | ``https://nominatim.openstreetmap.org`` |
| ``ROUTEPLANNER_GEOCODER_USER_AGENT`` | who asks Nominatim (its usage policy requires one naming the application and a contact) | none: required for ``nominatim`` |
| ``ROUTEPLANNER_GEOCODER_DELAY_S`` | seconds between requests to Nominatim (at least 1 on the public server) | ``1`` |
| ``ROUTEPLANNER_GEOCODER_COUNTRIES`` | countries the places are looked for in, ``LT,LV`` | the scenario's ``[calendar] country`` |

Nominatim's answers are kept in ``geocoder-cache/`` in the instance folder.
"""

from __future__ import annotations

import os
import secrets
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from routeplanner.geocoding import NOMINATIM_URL, PUBLIC_MIN_DELAY_S, GeocodingConfig

DEFAULT_MAP_TILES = "OpenStreetMap"
NO_TILES = {"none", "off", "no", "0", "false"}


def _tiles(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return DEFAULT_MAP_TILES
    return None if value.strip().lower() in NO_TILES else value.strip()


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def default_instance_dir() -> Path:
    """The folder Flask would choose for the app ``routeplanner.web``: ``instance/`` beside the
    package in a checkout, ``<prefix>/var/routeplanner.web-instance`` when installed; worked out
    here so that ``routeplanner worker`` finds the same database without building a Flask app."""
    package = Path(__file__).resolve().parent
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    if site in package.parents:
        return Path(sys.prefix) / "var" / "routeplanner.web-instance"
    return package.parent / "instance"


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The folder of cached road networks, matrices and route shapes (made on first use)."""
    env = os.environ if env is None else env
    if env.get("ROUTEPLANNER_CACHE_DIR"):
        return Path(env["ROUTEPLANNER_CACHE_DIR"])
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "routeplanner"


def osm_pbf(env: Mapping[str, str] | None = None) -> str | None:
    """The server's road extract, for scenarios that ask for roads without naming one."""
    env = os.environ if env is None else env
    return env.get("ROUTEPLANNER_OSM_PBF") or None


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None  # None: SQLite in the instance folder
    instance_dir: str = ""  # "": default_instance_dir()
    secret_key: str = ""
    load_sample: bool = True
    solve_workers: int = 1
    host: str = "127.0.0.1"
    port: int = 5000
    map_tiles: str | None = DEFAULT_MAP_TILES  # None: maps without a background
    redis_url: str | None = None  # None: no RQ, the embedded runner
    geocoder: str = "none"
    gazetteer: str = ""
    nominatim_url: str = NOMINATIM_URL
    geocoder_user_agent: str = ""
    geocoder_delay_s: str = str(PUBLIC_MIN_DELAY_S)  # as given: checked by geocoding_problems()
    geocoder_countries: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("ROUTEPLANNER_DATABASE_URL") or None,
            instance_dir=env.get("ROUTEPLANNER_INSTANCE_DIR") or str(default_instance_dir()),
            secret_key=env.get("ROUTEPLANNER_SECRET_KEY") or secrets.token_hex(32),
            load_sample=_flag(env.get("ROUTEPLANNER_LOAD_SAMPLE"), True),
            solve_workers=max(1, int(env.get("ROUTEPLANNER_SOLVE_WORKERS") or 1)),
            host=env.get("ROUTEPLANNER_HOST") or "127.0.0.1",
            port=int(env.get("ROUTEPLANNER_PORT") or 5000),
            map_tiles=_tiles(env.get("ROUTEPLANNER_MAP_TILES")),
            redis_url=(env.get("ROUTEPLANNER_REDIS_URL") or "").strip() or None,
            geocoder=(env.get("ROUTEPLANNER_GEOCODER") or "").strip().lower()
            or ("gazetteer" if env.get("ROUTEPLANNER_GAZETTEER") else "none"),
            gazetteer=env.get("ROUTEPLANNER_GAZETTEER") or "",
            nominatim_url=env.get("ROUTEPLANNER_NOMINATIM_URL") or NOMINATIM_URL,
            geocoder_user_agent=env.get("ROUTEPLANNER_GEOCODER_USER_AGENT") or "",
            geocoder_delay_s=(env.get("ROUTEPLANNER_GEOCODER_DELAY_S") or "").strip() or str(PUBLIC_MIN_DELAY_S),
            geocoder_countries=tuple(c.strip().upper() for c in (env.get("ROUTEPLANNER_GEOCODER_COUNTRIES") or "")
                                     .replace(";", ",").split(",") if c.strip()),
        )

    def database(self, *, create_folder: bool = False) -> str:
        """The database URL: the one given, else the SQLite file in the instance folder
        (which ``create_folder`` makes, for a process that opens the database itself)."""
        if self.database_url:
            return self.database_url
        folder = Path(self.instance_dir or default_instance_dir())
        if create_folder:
            folder.mkdir(parents=True, exist_ok=True)
        return "sqlite:///" + os.path.join(folder, "routeplanner.sqlite")

    def geocoding(self) -> GeocodingConfig:
        """The geocoder these settings describe; its answers are kept in the instance folder."""
        try:
            delay = float(self.geocoder_delay_s)
        except ValueError:
            delay = float("nan")  # refused by geocoding_problems()
        return GeocodingConfig(
            provider=self.geocoder,
            url=self.nominatim_url,
            user_agent=self.geocoder_user_agent,
            min_delay_s=delay,
            gazetteer=self.gazetteer,
            countries=self.geocoder_countries,
            cache_dir=os.path.join(self.instance_dir or default_instance_dir(), "geocoder-cache"),
        )

    def geocoding_problems(self) -> list[str]:
        """What is wrong with the ``ROUTEPLANNER_GEOCODER*`` settings, each naming its variable."""
        out = []
        for key, value, expected in self.geocoding().problems():
            out.append(f"{_GEOCODER_VARIABLES[key]}={value!r}: expected {expected}")
        gazetteer = self.gazetteer
        if self.geocoder == "gazetteer" and gazetteer and not Path(gazetteer).is_file():
            out.append(f"ROUTEPLANNER_GAZETTEER={gazetteer!r}: expected a gazetteer file, and there is none there")
        return out


_GEOCODER_VARIABLES = {
    "provider": "ROUTEPLANNER_GEOCODER",
    "url": "ROUTEPLANNER_NOMINATIM_URL",
    "user_agent": "ROUTEPLANNER_GEOCODER_USER_AGENT",
    "min_delay_s": "ROUTEPLANNER_GEOCODER_DELAY_S",
    "gazetteer": "ROUTEPLANNER_GAZETTEER",
    "countries": "ROUTEPLANNER_GEOCODER_COUNTRIES",
}
