"""The offline geocoder: a geopy :class:`~geopy.geocoders.base.Geocoder` over a local file of places.

A gazetteer is a list of named places with their coordinates: a GeoNames
dump (``LT.txt``: tab-separated, no header, 19 columns; its populated places
are used) or a CSV extract with a header naming at least ``name``, ``lat``
and ``lon`` (the OpenStreetMap places extracts and GeoNames subsets in
``shared/geodata``: ``country``, ``population``, ``place`` or
``feature_code``, ``asciiname`` and ``alternatenames`` are used when present).

:class:`Gazetteer` answers :meth:`~Gazetteer.geocode` as geopy's own
geocoders do (a :class:`geopy.location.Location`, a list of them with
``exactly_one=False``, or None), with no network: a coordinator's file of
village names gets coordinates on a machine without internet, and the tests
geocode through a real geopy geocoder class.

An address is matched part by part (``"Kriaunos, Rokiškio r., Lietuva"``):
the first part that names a place gives the candidates, the most populous
first; a country's name or code restricts them to that country; postcodes and
words such as "k." (village) or "r." (district) are ignored.  When only a later
part matched (a street address in a known town), the candidates say so in
their ``raw["fallback"]``: the point is the town's, not the address's.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location

from routeplanner.errors import InputError, Problem
from routeplanner.limits import MAX_GAZETTEER_BYTES, read_limited
from routeplanner.text import fold

#: Candidates returned at most (geopy's ``limit``), the most populous first.
DEFAULT_LIMIT = 10

#: Country names and codes in addresses, folded: the countries of the samples and their neighbours.
COUNTRY_WORDS: dict[str, str] = {
    "lithuania": "LT", "lietuva": "LT", "lt": "LT", "lietuvos respublika": "LT",
    "latvia": "LV", "latvija": "LV", "lv": "LV", "latvijas republika": "LV",
    "estonia": "EE", "eesti": "EE", "ee": "EE",
    "poland": "PL", "polska": "PL", "pl": "PL",
    "belarus": "BY", "by": "BY",
    "united kingdom": "GB", "uk": "GB", "gb": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
}
# Words of a place's kind in Lithuanian and Latvian addresses: "Kavoliškio k." is the village Kavoliškis.
_KIND_WORDS = re.compile(
    r"\s+(k|km|kaimas|vs|vnk|mstl|miestelis|m|miestas|sen|seniunija|r|raj|sav|apyl|"
    r"pag|pagasts|nov|novads|ciems|c|pils|pilseta)\.?$"
)
_POSTCODE = re.compile(r"^(lt|lv|ee)?[- ]?\d{4,5}$")
_HOUSE = re.compile(r"\s+\d+[a-z]?(-\d+)?$")

# GeoNames dump columns (https://download.geonames.org/export/dump/readme.txt)
_GN_NAME, _GN_ASCII, _GN_ALT, _GN_LAT, _GN_LON, _GN_CLASS, _GN_CODE, _GN_COUNTRY, _GN_POP = 1, 2, 3, 4, 5, 6, 7, 8, 14
_GN_COLUMNS = 19

_HEADER_NAMES = {
    "name": ("name",),
    "lat": ("lat", "latitude", "y", "geoy"),
    "lon": ("lon", "lng", "long", "longitude", "x", "geox"),
    "country": ("country", "country_code", "countrycode", "cc"),
    "population": ("population", "pop"),
    "kind": ("place", "feature_code", "fcode", "type", "kind"),
}
#: Columns whose values are other names of the place (";" or "," between several).
_ALT_COLUMNS = ("asciiname", "alternatenames", "alt_name", "alt_names", "postal_name_match", "name_en")


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    country: str = ""
    population: int = 0
    kind: str = ""


class GazetteerFile:
    """The places of one gazetteer file, indexed by folded name (and other names)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        data = read_limited(path, MAX_GAZETTEER_BYTES, "a gazetteer file")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError([Problem(self.path, None, "", "", "a gazetteer file in UTF-8 encoding")]) from None
        self.places: list[Place] = []
        self.index: dict[str, list[int]] = {}
        first = text.split("\n", 1)[0]
        fields = first.split("\t")
        if len(fields) == _GN_COLUMNS and fields[0].strip().isdigit():
            self._read_geonames(text)
        else:
            self._read_csv(text, first)
        if not self.places:
            raise InputError([Problem(
                self.path, None, "", "",
                "a gazetteer: a GeoNames dump, or a CSV with the columns name, lat and lon and a row per place",
            )])

    def _add(self, place: Place, names: list[str]) -> None:
        i = len(self.places)
        self.places.append(place)
        keys = {fold(n) for n in [place.name, *names] if n and n.strip()}
        for key in keys:
            self.index.setdefault(key, []).append(i)

    def _read_geonames(self, text: str) -> None:
        for line in text.splitlines():
            f = line.split("\t")
            if len(f) < _GN_COLUMNS or f[_GN_CLASS] != "P":  # populated places, not lakes and hills
                continue
            try:
                lat, lon = float(f[_GN_LAT]), float(f[_GN_LON])
            except ValueError:
                continue
            population = int(f[_GN_POP]) if f[_GN_POP].isdigit() else 0
            self._add(Place(f[_GN_NAME], lat, lon, f[_GN_COUNTRY].upper(), population, f[_GN_CODE]),
                      [f[_GN_ASCII], *f[_GN_ALT].split(",")])

    def _read_csv(self, text: str, header: str) -> None:
        delimiter = max((";", ",", "\t"), key=header.count)
        rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        titles = [fold(t).replace(" ", "_") for t in next(rows, [])]

        def column(key: str) -> int | None:
            return next((titles.index(n) for n in _HEADER_NAMES[key] if n in titles), None)

        name, lat, lon = column("name"), column("lat"), column("lon")
        if name is None or lat is None or lon is None:
            return
        country, population, kind = column("country"), column("population"), column("kind")
        alts = [titles.index(a) for a in _ALT_COLUMNS if a in titles]

        def cell(row: list[str], i: int | None) -> str:
            return row[i].strip() if i is not None and i < len(row) else ""

        for row in rows:
            try:
                point = float(cell(row, lat).replace(",", ".")), float(cell(row, lon).replace(",", "."))
            except ValueError:
                continue
            if not cell(row, name) or not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
                continue
            pop = cell(row, population)
            others = [n for i in alts for n in re.split(r"[;,]", cell(row, i))]
            self._add(Place(cell(row, name), point[0], point[1], cell(row, country).upper(),
                            int(float(pop)) if re.fullmatch(r"\d+(\.0*)?", pop) else 0, cell(row, kind)),
                      others)

    def lookup(self, key: str, countries: tuple[str, ...]) -> list[Place]:
        found = [self.places[i] for i in self.index.get(key, ())]
        if countries:
            found = [p for p in found if p.country in countries or not p.country]
        return sorted(found, key=lambda p: -p.population)


_FILES: dict[tuple[str, int, int], GazetteerFile] = {}
_FILES_LOCK = threading.Lock()


def load(path: str | Path) -> GazetteerFile:
    """The gazetteer at ``path``, read once per process (again when the file changes)."""
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        raise InputError([Problem(str(path), None, "", "", "a gazetteer file (it does not exist)")]) from None
    key = (str(p.resolve()), stat.st_mtime_ns, stat.st_size)
    with _FILES_LOCK:
        if key not in _FILES:
            _FILES[key] = GazetteerFile(p)
        return _FILES[key]


def _variants(part: str) -> list[str]:
    """The ways one address part may name a place: as written, without "k." and the like,
    without a house number."""
    base = fold(part)
    out = [base]
    for pattern in (_KIND_WORDS, _HOUSE):
        stripped = pattern.sub("", out[-1]).strip()
        if stripped and stripped not in out:
            out.append(stripped)
    return out


def query_parts(query: str) -> tuple[list[str], tuple[str, ...]]:
    """The parts of an address that may name a place, and the countries it names."""
    parts, countries = [], []
    for raw in query.split(","):
        folded = fold(raw)
        if not folded or _POSTCODE.fullmatch(folded):
            continue
        if folded in COUNTRY_WORDS:
            countries.append(COUNTRY_WORDS[folded])
            continue
        parts.append(raw.strip())
    return parts, tuple(countries)


class Gazetteer(Geocoder):
    """A geopy geocoder answering from a local gazetteer file (see the module's docstring).

    ``geocode(query, exactly_one=True, limit=None, country_codes=None)``
    takes the arguments of geopy's Nominatim that apply; ``raw`` of each
    :class:`~geopy.location.Location` holds the place's ``name``,
    ``country``, ``population``, ``kind``, and ``fallback`` (the address part
    that matched, when it was not the first one).
    """

    def __init__(self, path: str | Path, *, user_agent: str | None = None):
        # No network is ever used; the base class still wants a scheme and makes an (idle) adapter.
        super().__init__(scheme="https", timeout=None, proxies=None, user_agent=user_agent or "routeplanner-gazetteer")
        self.path = str(path)
        self.file = load(path)

    def geocode(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL, limit=None, country_codes=None):
        parts, named = query_parts(str(query))
        wanted = tuple(c.upper() for c in ([country_codes] if isinstance(country_codes, str)
                                           else country_codes or ()))
        countries = named or wanted
        for position, part in enumerate(parts):
            for key in _variants(part):
                found = self.file.lookup(key, countries)
                if found:
                    locations = [self._location(p, part if position else "") for p in found[: limit or DEFAULT_LIMIT]]
                    return locations[0] if exactly_one else locations
        return None

    @staticmethod
    def _location(place: Place, fallback: str) -> Location:
        label = ", ".join(x for x in (place.name, place.country) if x)
        raw = {"name": place.name, "country": place.country, "population": place.population,
               "kind": place.kind, "fallback": fallback}
        return Location(label, (place.lat, place.lon), raw)
