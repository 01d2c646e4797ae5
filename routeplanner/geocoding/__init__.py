"""Addresses and village names to coordinates, with geopy.

One geopy geocoder class per provider, behind one small interface
(:class:`Geocoding`, which the readers call: ``geocoding(address)`` ->
:class:`Found` or None):

* ``nominatim``: geopy's :class:`~geopy.geocoders.Nominatim` at a
  configurable URL, with the user agent its usage policy requires, geopy's
  :class:`~geopy.extra.rate_limiter.RateLimiter` (one request a second on the
  public server), and a cache on disk (``diskcache``) so an address is asked
  for once;
* ``gazetteer``: :class:`~routeplanner.geocoding.gazetteer.Gazetteer`, a geopy
  geocoder over a local file of places (GeoNames, OpenStreetMap extracts):
  offline.

A geocoder answers with candidates; :class:`Geocoding` chooses one (the one
nearest the depot, when it knows the depot; else the provider's first) and
says what is doubtful about it, as :class:`Doubt`: several places of that
name far apart, or only a coarser place found (the town of a street address,
the country).  Nothing doubtful is used silently: the readers turn every
doubt into a warning the coordinator sees (``routeplanner.datachecks``).

Settings (:class:`GeocodingConfig`) come from ``ROUTEPLANNER_GEOCODER*``
(``routeplanner.config``) and, on the command line, the scenario's
``[geocoding]`` table.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from routeplanner.datachecks import GEOCODE_AMBIGUOUS, GEOCODE_FALLBACK, distance_km
from routeplanner.errors import RoutePlannerError

PROVIDERS = ("none", "nominatim", "gazetteer")
NOMINATIM_URL = "https://nominatim.openstreetmap.org"
#: The public server's usage policy: at most one request a second, and an identifying user agent.
PUBLIC_NOMINATIM_HOST = "nominatim.openstreetmap.org"
PUBLIC_MIN_DELAY_S = 1.0
#: Candidates farther apart than this are different places (a village and its namesake).
AMBIGUOUS_KM = 5.0
#: With the depot known, the nearest namesake is taken without a doubt when every other one is
#: farther from the depot than twice its distance and 20 km more (a bookmobile serves its own
#: district: Kavoliškis 4 km from Rokiškis, not the Kavoliškis 46 km away).  Otherwise, or without
#: the depot, several places far apart are a doubt.
CLEAR_RATIO = 2.0
CLEAR_MARGIN_KM = 20.0
#: Without the depot, a town is taken without a doubt over namesakes it outnumbers this many times
#: (Rokiškis, 14,351 inhabitants, over the hamlet Rokiškis of 1), when the geocoder tells populations.
CLEAR_POPULATION_RATIO = 10
#: Candidates asked for (Nominatim answers at most 40).
LIMIT = 40
#: How long an online geocoder's answer is kept in the cache.
CACHE_DAYS = 90
#: Seconds to wait for an online geocoder's answer.
TIMEOUT_S = 10.0
#: Kinds of a Nominatim result that are an area, not a place on a road (its "addresstype").
_AREA_TYPES = frozenset({"country", "state", "region", "province", "county", "state_district", "municipality"})
#: Nominatim's place_rank of a county and anything coarser.
_AREA_RANK = 12


class GeocodingFailed(RoutePlannerError):
    """The geocoding service could not be asked (down, refused us, timed out): not an answer about the address."""


@dataclass(frozen=True)
class GeocodingConfig:
    """Which geocoder, and how to reach it.  ``provider`` "none": addresses are not looked up."""

    provider: str = "none"
    url: str = NOMINATIM_URL
    user_agent: str = ""
    min_delay_s: float = PUBLIC_MIN_DELAY_S
    gazetteer: str = ""
    #: ISO codes the results are kept to (empty: the scenario's [calendar] country, else anywhere)
    countries: tuple[str, ...] = ()
    #: where the online geocoder's answers are kept ("" : not kept)
    cache_dir: str = ""

    def problems(self) -> list[tuple[str, str, str]]:
        """What is wrong with these settings, as (key, value, expected)."""
        out = []
        if self.provider not in PROVIDERS:
            out.append(("provider", self.provider, "one of " + ", ".join(PROVIDERS)))
        if self.provider == "nominatim":
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                out.append(("url", self.url, "the address of a Nominatim server, such as " + NOMINATIM_URL))
            if not self.user_agent.strip():
                out.append(("user_agent", "", "a user agent that names your application and a contact, such as "
                            "'routeplanner (library@example.lt)': Nominatim's usage policy requires one"))
            public = parts.hostname == PUBLIC_NOMINATIM_HOST
            if not (math.isfinite(self.min_delay_s) and self.min_delay_s >= (PUBLIC_MIN_DELAY_S if public else 0)):
                out.append(("min_delay_s", str(self.min_delay_s),
                            "seconds between requests, at least 1 on the public Nominatim server (its usage policy)"
                            if public else "seconds between requests, 0 or more"))
        if self.provider == "gazetteer" and not self.gazetteer.strip():
            out.append(("gazetteer", "", "the path of a gazetteer file (GeoNames or a CSV of places with name, lat, lon)"))
        for code in self.countries:
            if not (len(code) == 2 and code.isalpha()):
                out.append(("countries", code, "two-letter country codes, such as LT or LV"))
        return out


@dataclass(frozen=True)
class Doubt:
    """Why a geocoded point may be wrong; ``kind`` is a ``routeplanner.datachecks`` warning kind."""

    kind: str
    why: str


@dataclass(frozen=True)
class Candidate:
    """One place a geocoder offers for an address."""

    lat: float
    lon: float
    label: str
    kind: str = ""
    #: the candidate is a whole area (Nominatim's addresstype: "country", "county", ...), not a place
    area: str = ""
    #: only this part of the address was found (the gazetteer: the town of a street address)
    partial: str = ""
    #: inhabitants, when the geocoder says (the gazetteer); 0: not known
    population: int = 0

    @property
    def coarse(self) -> bool:
        return bool(self.area or self.partial)

    def to_json(self) -> dict[str, Any]:
        return {"lat": self.lat, "lon": self.lon, "label": self.label, "kind": self.kind, "area": self.area,
                "partial": self.partial, "population": self.population}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Candidate":
        return cls(float(d["lat"]), float(d["lon"]), str(d["label"]), str(d.get("kind") or ""),
                   str(d.get("area") or ""), str(d.get("partial") or ""), int(d.get("population") or 0))


@dataclass(frozen=True)
class Found:
    """The point taken for an address, what it is, and what is doubtful about it (empty: nothing)."""

    lat: float
    lon: float
    label: str
    doubts: tuple[Doubt, ...] = ()
    candidates: tuple[Candidate, ...] = ()


def _candidate(location) -> Candidate:
    """A geopy Location as a candidate: Nominatim's answers and the gazetteer's alike."""
    raw = location.raw if isinstance(location.raw, dict) else {}
    kind = str(raw.get("kind") or raw.get("addresstype") or raw.get("type") or "")
    area = ""
    if raw.get("addresstype") in _AREA_TYPES:
        area = str(raw["addresstype"])
    else:
        try:
            if int(raw.get("place_rank", 99)) <= _AREA_RANK:
                area = kind or "area"
        except (TypeError, ValueError):
            pass
    try:
        population = int(raw.get("population") or 0)
    except (TypeError, ValueError):
        population = 0
    return Candidate(float(location.latitude), float(location.longitude), str(location.address or ""), kind,
                     area, str(raw.get("fallback") or ""), population)


def _where(c: Candidate, near: tuple[float, float] | None) -> str:
    text = f"{c.lat:.5g}, {c.lon:.5g} ({c.label}"
    if c.kind:
        text += f", {c.kind}"
    text += ")"
    if near is not None:
        text += f", {distance_km(near, (c.lat, c.lon)):,.0f} km from the depot"
    return text


def choose(address: str, candidates: Sequence[Candidate], near: tuple[float, float] | None) -> Found | None:
    """The candidate taken for ``address``, with its doubts: the nearest to ``near`` (the depot) of
    those that are places rather than areas; the provider's first when there is no ``near``."""
    if not candidates:
        return None
    places = [c for c in candidates if not c.coarse]
    pool = places or list(candidates)
    chosen = min(pool, key=lambda c: distance_km(near, (c.lat, c.lon))) if near is not None else pool[0]
    doubts = []
    if chosen.partial:
        doubts.append(Doubt(GEOCODE_FALLBACK, (
            f"for {address!r} the geocoder found only {chosen.partial!r}, {_where(chosen, near)}: the point is "
            "that place's, not the address's. Give the stop's lat and lon, or an address the geocoder knows"
        )))
    elif chosen.area:
        doubts.append(Doubt(GEOCODE_FALLBACK, (
            f"for {address!r} the geocoder found only a whole {chosen.area}, {_where(chosen, near)}: its middle "
            "is no stop's place. Give the stop's lat and lon, or an address the geocoder knows"
        )))
    others: list[Candidate] = []
    for c in places:
        if distance_km((c.lat, c.lon), (chosen.lat, chosen.lon)) > AMBIGUOUS_KM and all(
                distance_km((c.lat, c.lon), (o.lat, o.lon)) > AMBIGUOUS_KM for o in others):
            others.append(c)
    if others and near is not None:
        d = distance_km(near, (chosen.lat, chosen.lon))
        bound = max(CLEAR_RATIO * d, d + CLEAR_MARGIN_KM)
        if all(distance_km(near, (o.lat, o.lon)) > bound for o in others):
            others = []
    elif others and chosen.population >= CLEAR_POPULATION_RATIO * max(1, max(o.population for o in others)):
        others = []
    if others:
        if near is not None:
            others.sort(key=lambda o: distance_km(near, (o.lat, o.lon)))
        how = "the nearest to the depot" if near is not None else "the geocoder's first answer"
        listed = "; ".join(_where(o, near) for o in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        doubts.append(Doubt(GEOCODE_AMBIGUOUS, (
            f"{len(others) + 1} places far apart match {address!r}: {_where(chosen, near)} was taken, {how}; "
            f"also {listed}{more}. If it is another, give the stop's lat and lon, or a fuller address"
        )))
    return Found(chosen.lat, chosen.lon, chosen.label, tuple(doubts), tuple(candidates))


def cache_key(service: str, address: str, countries: Iterable[str]) -> str:
    return json.dumps([service, " ".join(address.lower().split()), sorted(countries)], ensure_ascii=False)


class _Service:
    """The part of a :class:`Geocoding` its focused copies share: the geopy geocoder behind its rate
    limiter, the cache, and the first failure (after which the service is not asked again)."""

    def __init__(self, geocoder, name: str, *, min_delay_s: float = 0.0, cache=None, online: bool = False,
                 error_wait_s: float = 5.0):
        from geopy.extra.rate_limiter import RateLimiter

        self.geocoder = geocoder
        self.name = name
        self.cache = cache
        self.online = online
        self.lookup = RateLimiter(geocoder.geocode, min_delay_seconds=min_delay_s, max_retries=2,
                                  error_wait_seconds=max(error_wait_s, min_delay_s), swallow_exceptions=False)
        self.failure: str | None = None
        self.lock = threading.Lock()


class Geocoding:
    """What the readers call: an address -> :class:`Found` (the point and its doubts), or None when
    nothing matches.  Raises :class:`GeocodingFailed` when the service cannot be asked.

    ``focused(near=..., countries=...)`` gives a copy that prefers candidates near the depot and
    keeps to those countries; copies share the geocoder, its rate limit and cache.
    """

    def __init__(self, service: _Service, *, near: tuple[float, float] | None = None,
                 countries: tuple[str, ...] = (), max_lookups: int | None = None):
        self._service = service
        self.near = near
        self.countries = tuple(c.upper() for c in countries)
        #: addresses one read may send to the service (None: no limit, an offline geocoder)
        self.max_lookups = max_lookups

    @property
    def name(self) -> str:
        return self._service.name

    def focused(self, *, near: tuple[float, float] | None = None, countries: Sequence[str] | None = None) -> "Geocoding":
        copy = Geocoding(self._service, near=self.near, countries=self.countries, max_lookups=self.max_lookups)
        if near is not None:
            copy.near = near
        if countries:
            copy.countries = tuple(c.upper() for c in countries)
        return copy

    def _key(self, address: str) -> str:
        return cache_key(self._service.name, address, self.countries)

    def uncached(self, addresses: Iterable[str]) -> int:
        """How many of ``addresses`` the service would be asked for (the rest are in the cache)."""
        cache = self._service.cache
        if not self._service.online:
            return 0
        return sum(1 for a in set(addresses) if cache is None or self._key(a) not in cache)

    def candidates(self, address: str) -> list[Candidate]:
        service = self._service
        key = self._key(address)
        if service.cache is not None:
            kept = service.cache.get(key)
            if kept is not None:
                return [Candidate.from_json(d) for d in json.loads(kept)]
        if service.failure is not None:
            raise GeocodingFailed(f"not looked up: {service.failure}")
        from geopy.exc import GeopyError

        kwargs: dict[str, Any] = {"exactly_one": False, "limit": LIMIT}
        if self.countries:
            kwargs["country_codes"] = [c.lower() for c in self.countries]  # as Nominatim's documentation writes them
        try:
            answer = service.lookup(address, **kwargs)
        except GeopyError as exc:
            with service.lock:
                service.failure = f"the geocoder {service.name} failed: {type(exc).__name__}: {exc}"
            raise GeocodingFailed(service.failure) from None
        found = [_candidate(loc) for loc in (answer or [])]
        if service.cache is not None:
            service.cache.set(key, json.dumps([c.to_json() for c in found]), expire=CACHE_DAYS * 86400)
        return found

    def __call__(self, address: str) -> Found | None:
        return choose(address, self.candidates(address), self.near)


def nominatim_geocoder(url: str, user_agent: str, timeout_s: float = TIMEOUT_S):
    """geopy's Nominatim at ``url`` (``https://host[/path]``)."""
    from geopy.geocoders import Nominatim

    parts = urlsplit(url)
    domain = parts.netloc + parts.path.rstrip("/")
    return Nominatim(domain=domain, scheme=parts.scheme, user_agent=user_agent, timeout=timeout_s)


def build(config: GeocodingConfig, *, error_wait_s: float = 5.0) -> Geocoding | None:
    """The geocoder ``config`` describes, or None for provider "none".  The config must be valid
    (:meth:`GeocodingConfig.problems`); a gazetteer file that cannot be read raises InputError."""
    from routeplanner import limits

    if config.provider == "gazetteer":
        from routeplanner.geocoding.gazetteer import Gazetteer

        geocoder = Gazetteer(config.gazetteer)
        service = _Service(geocoder, f"gazetteer {Path(config.gazetteer).name}")
        return Geocoding(service, countries=config.countries)
    if config.provider == "nominatim":
        cache = None
        if config.cache_dir:
            import diskcache

            Path(config.cache_dir).mkdir(parents=True, exist_ok=True)
            cache = diskcache.Cache(config.cache_dir)
        geocoder = nominatim_geocoder(config.url, config.user_agent)
        service = _Service(geocoder, f"Nominatim {config.url}", min_delay_s=config.min_delay_s, cache=cache,
                           online=True, error_wait_s=error_wait_s)
        return Geocoding(service, countries=config.countries, max_lookups=limits.MAX_GEOCODE_LOOKUPS)
    return None


def with_settings(config: GeocodingConfig, **changes: Any) -> GeocodingConfig:
    """``config`` with the keys of ``changes`` that are not None replaced."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})


__all__ = [
    "PROVIDERS", "NOMINATIM_URL", "Candidate", "Doubt", "Found", "Geocoding", "GeocodingConfig",
    "GeocodingFailed", "build", "choose",
]
