#!/usr/bin/env python3
"""Build the sample scenarios in ``data/`` from the shared geodata facts.

Usage (from the repository root)::

    python3 tools/make_sample_data.py [--geodata ../shared/geodata] [--out data]

Standard library only and fully deterministic (no randomness; every
selection is a sort with explicit tie-breakers), so running it twice gives
byte-identical files.  The shared CSVs are only read for facts (names,
coordinates rounded to 4 decimals, populations); the output tables are
composed here, with a modelled demand, and ``data/`` is self-contained.

Demand model (also documented in ``data/README.md``)::

    readers          = 10 % of the population
    loans_per_visit  = round(population * 0.10 * 0.25 * 4)  # a quarter of the
                     = round(population * 0.1), at least 5  # readers, 4 books each
    service minutes  = 10 + 0.5 * loans, rounded up to 5    # the planner's default;
                                                            # left empty in the CSV
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GEODATA = ROOT.parent / "shared" / "geodata"
DEFAULT_OUT = ROOT / "data"

HEADERS = [
    "id", "name", "lat", "lon", "loans_per_visit", "frequency", "service_minutes",
    "window_start", "window_end", "days", "priority",
]
LV_HEADERS = {
    "id": "id", "name": "nosaukums", "lat": "platums", "lon": "garums",
    "loans_per_visit": "izsniegumi", "frequency": "biezums", "service_minutes": "ilgums",
    "window_start": "no", "window_end": "lidz", "days": "dienas", "priority": "prioritate",
}
LV_FREQUENCY = {
    "weekly": "katru nedēļu",
    "fortnightly": "reizi divās nedēļās",
    "4-weekly": "reizi četrās nedēļās",
}
VISITS_PER_WEEK = {"weekly": 1.0, "fortnightly": 0.5, "4-weekly": 0.25}


# --------------------------------------------------------------------------- helpers

def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def slug(text: str) -> str:
    """ASCII lower-case, diacritics stripped, runs of anything else -> '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out, dash = [], False
    for ch in ascii_text.lower():
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


def r4(x: float) -> float:
    return round(x, 4)


def loans_for(population: int) -> int:
    return max(5, round(population * 0.10 * 0.25 * 4))


def default_service(loans: int) -> int:
    """Same rule as routeplanner.model.default_service_min (kept stdlib-only here)."""
    return int(math.ceil((10 + 0.5 * loans) / 5) * 5)


@dataclass
class Place:
    name: str
    lat: float          # full precision from the source (rounded on output)
    lon: float
    population: int     # as used by the demand model (may be an assumption)
    kind: str           # village / hamlet / town (source feature)
    assumed: bool = False


@dataclass
class Stop:
    name: str
    lat: float
    lon: float
    loans: int
    frequency: str
    service_minutes: int | None = None   # None -> empty cell, default applies
    window_start: str = ""
    window_end: str = ""
    days: str = ""
    priority: str = ""
    population: int = 0
    kind: str = "village"

    @property
    def id(self) -> str:
        return slug(self.name)

    @property
    def minutes(self) -> int:
        return self.service_minutes if self.service_minutes is not None else default_service(self.loans)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def select_spaced(cands: list[tuple[tuple, Place]], depot: tuple[float, float], *,
                  min_depot_km: float, min_gap_km: float, limit: int) -> list[Place]:
    """Greedy pick in the given priority order: skip a place closer than
    ``min_gap_km`` to one already taken (the larger neighbour serves it), closer
    than ``min_depot_km`` to the depot, or with a name already taken."""
    taken: list[Place] = []
    for _key, p in sorted(cands, key=lambda kp: kp[0]):
        if len(taken) >= limit:
            break
        if haversine_km(*depot, p.lat, p.lon) < min_depot_km:
            continue
        if any(t.name == p.name for t in taken):
            continue
        if any(haversine_km(t.lat, t.lon, p.lat, p.lon) < min_gap_km for t in taken):
            continue
        taken.append(p)
    return taken


def balance(stops: list[Stop], weeks: int, budget_min: float) -> int:
    """Demote the smallest weekly (then fortnightly) stops one step until the
    door-open time of the cycle fits the budget; return how many steps it took."""
    order = ["weekly", "fortnightly", "4-weekly"]
    steps = 0
    while cycle_minutes(stops, weeks) > budget_min:
        movable = [s for s in stops if s.service_minutes is None
                   and s.frequency != order[-1]
                   and not (weeks < 4 and s.frequency == "fortnightly")]
        if not movable:
            raise SystemExit("cannot fit the cycle into the time budget")
        s = min(movable, key=lambda s: (order.index(s.frequency), s.population, s.name))
        s.frequency = order[order.index(s.frequency) + 1]
        steps += 1
    return steps


def visits(stop: Stop, weeks: int) -> int:
    return max(1, round(VISITS_PER_WEEK[stop.frequency] * weeks))


def cycle_minutes(stops: list[Stop], weeks: int) -> int:
    return sum(visits(s, weeks) * s.minutes for s in stops)


def fmt_dec(x: float, comma: bool) -> str:
    s = f"{x:.4f}"
    return s.replace(".", ",") if comma else s


def stop_row(s: Stop, *, lv: bool = False) -> list[str]:
    return [
        s.id, s.name, fmt_dec(s.lat, lv), fmt_dec(s.lon, lv), str(s.loans),
        LV_FREQUENCY[s.frequency] if lv else s.frequency,
        "" if s.service_minutes is None else str(s.service_minutes),
        s.window_start, s.window_end, s.days, s.priority,
    ]


def write_stops(path: Path, stops: list[Stop]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADERS)
    for s in stops:
        w.writerow(stop_row(s))
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def write_stops_lv(path: Path, stops: list[Stop]) -> None:
    """Latvian-locale spreadsheet export: ';', decimal comma, CRLF, Windows-1257."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([LV_HEADERS[h] for h in HEADERS])
    for s in stops:
        w.writerow(stop_row(s, lv=True))
    path.write_bytes(buf.getvalue().encode("cp1257"))   # raises if a name does not fit


def check_lv_roundtrip(path: Path, canonical: Path) -> None:
    """The Latvian file must read back to exactly the canonical table."""
    back = {v: k for k, v in LV_HEADERS.items()}
    freq = {v: k for k, v in LV_FREQUENCY.items()}
    with path.open(encoding="cp1257", newline="") as fh:
        lv = list(csv.DictReader(fh, delimiter=";"))
    got = []
    for row in lv:
        row = {back[k]: v for k, v in row.items()}
        row["lat"], row["lon"] = row["lat"].replace(",", "."), row["lon"].replace(",", ".")
        row["frequency"] = freq[row["frequency"]]
        got.append(row)
    if got != read_csv(canonical):
        raise SystemExit(f"{path} does not match {canonical}")


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_scenario(path: Path, *, name: str, depot: tuple[str, float, float], weeks: int,
                   start_date: str, vehicle: dict, comment: str, country: str) -> None:
    dname, dlat, dlon = depot
    text = f"""# {comment}
# Generated by tools/make_sample_data.py - edit the script, not this file.
name = {toml_str(name)}
stops = "stops.csv"

[depot]
name = {toml_str(dname)}
lat = {dlat:.4f}
lon = {dlon:.4f}

[cycle]
weeks = {weeks}
days = ["Mon", "Tue", "Wed", "Thu", "Fri"]
start_date = {toml_str(start_date)}

[[vehicles]]
name = {toml_str(vehicle['name'])}
capacity_books = {vehicle['capacity_books']}
shift_start = {toml_str(vehicle['shift_start'])}
shift_end = {toml_str(vehicle['shift_end'])}
break_minutes = 45
break_after_minutes = 270

[travel]
method = "haversine"
circuity = 1.35
speed_kmh = 45

[solver]
time_limit_s = 30
stable_minutes = 15

[calendar]
country = {toml_str(country)}
"""
    tomllib.loads(text)   # sanity: must parse
    path.write_text(text, encoding="utf-8", newline="")


def shift_minutes(vehicle: dict) -> int:
    def m(t: str) -> int:
        h, mm = t.split(":")
        return int(h) * 60 + int(mm)
    return m(vehicle["shift_end"]) - m(vehicle["shift_start"])


# --------------------------------------------------------------------------- Rokiškis

RK_DEPOT = ("Rokiškio r. sav. Juozo Keliuočio viešoji biblioteka", 55.9644, 25.5912)
RK_BRANCH_SETTLEMENTS = {"Rokiškis", "Juodupė", "Laibgaliai"}   # town + own branch library
RK_SCHOOLS = {   # settlement -> stop name (genitive + "mokykla"); illustrative
    "Kamajai": "Kamajų mokykla",
    "Jūžintai": "Jūžintų mokykla",
    "Pandėlys": "Pandėlio mokykla",
    "Obeliai": "Obelių mokykla",
}
RK_CARE_HOME = ("Skemai", "Skemų senelių namai")
RK_VEHICLE = {"name": "Bibliobusas", "capacity_books": 2500,
              "shift_start": "08:00", "shift_end": "17:00"}
RK_WEEKS = 2


def build_rokiskis(geo: Path) -> tuple[list[Stop], dict]:
    rows = read_csv(geo / "rokiskis_district_settlements.csv")
    depot = (RK_DEPOT[1], RK_DEPOT[2])
    cands = []
    for r in rows:
        pop = int(r["population"] or 0)
        if r["name"] in RK_BRANCH_SETTLEMENTS or not (60 <= pop <= 1300):
            continue
        p = Place(r["name"], float(r["lat"]), float(r["lon"]), pop,
                  r["feature_code"].split("=")[-1])
        cands.append(((-pop, p.name), p))
    # largest first; a place within 2 km of a larger one is served by that stop
    places = select_spaced(cands, depot, min_depot_km=3.0, min_gap_km=2.0, limit=52)

    stops = []
    for p in places:
        freq = "weekly" if p.population >= 400 else "fortnightly"
        stops.append(Stop(p.name, r4(p.lat), r4(p.lon), loans_for(p.population), freq,
                          population=p.population, kind=p.kind))
    by_name = {p.name: p for p in places}
    for settlement, sname in RK_SCHOOLS.items():
        p = by_name[settlement]
        stops.append(Stop(sname, r4(p.lat + 0.002), r4(p.lon - 0.002), 30, "fortnightly",
                          service_minutes=40, window_start="09:00", window_end="13:00",
                          kind="school"))
    p = by_name[RK_CARE_HOME[0]]
    care = Stop(RK_CARE_HOME[1], r4(p.lat - 0.002), r4(p.lon + 0.002), 20, "fortnightly",
                service_minutes=40, window_start="13:00", window_end="16:00",
                days="Tue;Thu", priority="must", kind="care home")
    stops.append(care)
    # second "must": the village farthest from the depot (the one a solver would drop first)
    far = max((s for s in stops if s.kind not in ("school", "care home")),
              key=lambda s: (haversine_km(*depot, s.lat, s.lon), s.name))
    far.priority = "must"

    shift_total = 5 * RK_WEEKS * shift_minutes(RK_VEHICLE)
    demoted = balance(stops, RK_WEEKS, 0.55 * shift_total)
    stops.sort(key=lambda s: s.id)
    return stops, {"weeks": RK_WEEKS, "shift_total": shift_total, "far": far.name,
                   "demoted": demoted}


# --------------------------------------------------------------------------- Ogre

OG_VEHICLE = {"name": "Bibliobuss", "capacity_books": 2500,
              "shift_start": "08:30", "shift_end": "16:30"}
OG_WEEKS = 4
OG_ASSUMED_POP = {"village": 150, "hamlet": 60}
RIGA = ("Rīga", "LV")
OG_SCHOOL = ("Birzgale", "Birzgales skola")   # illustrative


def build_ogre(geo: Path) -> tuple[list[Stop], dict]:
    libs = read_csv(geo / "latvia_seed_libraries.csv")
    lib = next(r for r in libs if "Ogres Centrālā bibliotēka" in r["library"])
    depot = (r4(float(lib["lat"])), r4(float(lib["lon"])))

    places = read_csv(geo / "osm_LT_LV_places_2019.csv")
    riga = next(r for r in places if (r["name"], r["country"]) == RIGA and r["place"] == "city")
    riga_ll = (float(riga["lat"]), float(riga["lon"]))

    cands = []
    for r in places:
        if r["country"] != "LV" or r["place"] not in OG_ASSUMED_POP:
            continue   # towns and cities (and suburbs) have their own libraries
        lat, lon = float(r["lat"]), float(r["lon"])
        d = haversine_km(*depot, lat, lon)
        if d > 45.0 or haversine_km(*riga_ll, lat, lon) < 20.0:
            continue   # beyond a day's reach, or inside the Rīga suburban belt
        known = int(r["population"] or 0)
        if known > 2000:
            continue   # a de-facto town (Iecava, Skrīveri, ...) with its own library
        pop = known or OG_ASSUMED_POP[r["place"]]
        p = Place(r["name"], lat, lon, pop, r["place"], assumed=not known)
        # known populations first (largest first), then nearest to the depot
        cands.append(((0 if known else 1, -known, round(d, 3), p.name, r["osm_node_id"]), p))
    chosen = select_spaced(cands, depot, min_depot_km=5.0, min_gap_km=4.0, limit=36)

    stops = []
    for p in chosen:
        freq = ("weekly" if p.population >= 1000 else
                "fortnightly" if p.population >= 500 else "4-weekly")
        stops.append(Stop(p.name, r4(p.lat), r4(p.lon), loans_for(p.population), freq,
                          population=p.population, kind=p.kind + (" (assumed pop.)" if p.assumed else "")))
    host = next(p for p in chosen if p.name == OG_SCHOOL[0])
    stops.append(Stop(OG_SCHOOL[1], r4(host.lat + 0.002), r4(host.lon - 0.002), 30, "4-weekly",
                      service_minutes=40, window_start="09:00", window_end="13:00",
                      days="Tue;Thu", priority="must", kind="school"))

    shift_total = 5 * OG_WEEKS * shift_minutes(OG_VEHICLE)
    demoted = balance(stops, OG_WEEKS, 0.40 * shift_total)
    stops.sort(key=lambda s: s.id)
    n_assumed = sum(1 for p in chosen if p.assumed)
    return stops, {"weeks": OG_WEEKS, "shift_total": shift_total, "depot": depot,
                   "assumed": n_assumed, "demoted": demoted}


# --------------------------------------------------------------------------- README

def stats(stops: list[Stop], info: dict) -> dict:
    weeks = info["weeks"]
    counts = {f: sum(1 for s in stops if s.frequency == f) for f in VISITS_PER_WEEK}
    total = cycle_minutes(stops, weeks)
    return {"n": len(stops), **counts, "visits": sum(visits(s, weeks) for s in stops),
            "service": total, "shift": info["shift_total"],
            "pct": f"{100 * total / info['shift_total']:.0f}"}


README = """\
# Sample data

Two self-contained sample scenarios for `routeplanner`.  Everything here is
generated by `tools/make_sample_data.py` (standard library only, deterministic:
run `python3 tools/make_sample_data.py` from the repository root with the
shared geodata at `../shared/geodata`, or pass `--geodata DIR`).  Edit the
script, not the files.  The planner needs nothing outside this folder.

| file | what it is |
|---|---|
| `rokiskis/scenario.toml` | Rokiškis district (Lithuania): one bookmobile "Bibliobusas", 2-week cycle Mon-Fri from 2026-11-30, shift 08:00-17:00, depot the central library in Rokiškis |
| `rokiskis/stops.csv` | {rk[n]} stops: villages, {rk_schools} schools, 1 care home. Canonical English headers, UTF-8, comma, decimal point |
| `ogre/scenario.toml` | Ogre (Latvia): one bookmobile "Bibliobuss", 4-week cycle Mon-Fri from 2026-12-07, shift 08:30-16:30, depot Ogres Centrālā bibliotēka |
| `ogre/stops.csv` | {og[n]} stops: villages and hamlets within 45 km of Ogre, 1 school. Same format as above; this is the file the scenario uses |
| `ogre/stops_lv.csv` | the same table as a Latvian-locale spreadsheet would save it: Latvian headers (`id;nosaukums;platums;garums;izsniegumi;biezums;ilgums;no;lidz;dienas;prioritate`), `;` delimiter, decimal comma, Windows-1257, CRLF, Latvian frequency words (`katru nedēļu`, `reizi divās nedēļās`, `reizi četrās nedēļās`). Reading it must give exactly the stops of `stops.csv` |

Ids are slugs of the names (ASCII lower case, diacritics stripped, `-`
separators); names keep their Lithuanian / Latvian spelling.  Coordinates are
rounded to 4 decimals (about 10 m).

## Demand model (both samples)

* readers = 10 % of the population;
* one visit sees a quarter of the readers, each borrowing 4 books, so
  `loans_per_visit = round(population × 0.10 × 0.25 × 4) = round(population × 0.1)`, at least 5;
* door-open time: `service_minutes` is left **empty** for villages, so the
  planner's default applies: 10 min + 0.5 min per loan, rounded up to 5 min.
  Only schools and the care home give it explicitly (40 min).

Frequency from population: Rokiškis: ≥ 400 weekly, otherwise fortnightly.
Ogre: ≥ 1000 weekly, ≥ 500 fortnightly, otherwise 4-weekly.  The script checks
that one van can plausibly serve the cycle (total door-open time of the cycle
below 55 % of the shift time for Rokiškis, 40 % for Ogre; it would demote the
smallest weekly stops first if not; demotions made: Rokiškis {rk_demoted},
Ogre {og_demoted}), leaving
the rest of the day for driving and the driver's break.

| sample | stops | weekly | fortnightly | 4-weekly | visits per cycle | door-open min per cycle | shift min per cycle |
|---|---|---|---|---|---|---|---|
| Rokiškis (2 weeks) | {rk[n]} | {rk[weekly]} | {rk[fortnightly]} | {rk[4-weekly]} | {rk[visits]} | {rk[service]} | {rk[shift]} (10 × 540) → {rk[pct]} % |
| Ogre (4 weeks) | {og[n]} | {og[weekly]} | {og[fortnightly]} | {og[4-weekly]} | {og[visits]} | {og[service]} | {og[shift]} (20 × 480) → {og[pct]} % |

## Rokiškis: how the stops were chosen

* Source: settlements of Rokiškio rajono savivaldybė with an OSM population
  (mostly 2011 census values).
* Left out: Rokiškis town itself, and Juodupė and Laibgaliai, which have their
  own branch libraries; places under 60 or over 1300 inhabitants; places within
  3 km of the depot (served from the library itself).
* Largest first, a place within 2 km of an already chosen larger one is
  left out (its neighbour's stop serves it; e.g. Pandėlys (kaimas) next to
  Pandėlys, Martynonys next to Lailūnai).  Result: {rk_villages} villages and
  small towns (miesteliai).
* Schools ({rk_school_names}) and the care home ({rk_care}) are
  **illustrative**: placed about 0.002° (~200 m) from the settlement's centre
  point, not at a real address.  Schools: window 09:00-13:00, 40 min, 30 loans,
  fortnightly.  Care home: window 13:00-16:00, Tue or Thu only, 40 min,
  20 loans, fortnightly.
* `priority = must`: the care home and the village farthest from the depot
  ({rk_far}).
* Which small towns really have a branch library was not checked beyond
  Juodupė and Laibgaliai; the sample is a realistic-looking exercise, not the
  district's actual service plan.

## Ogre: how the stops were chosen

* Source: OSM place nodes in Latvia tagged `village` or `hamlet` (towns and
  cities excluded: they have their own libraries).
* Kept: 5-45 km from the depot and at least 20 km from the centre of Rīga (the
  suburban belt has its own libraries); villages with a known population over
  2000 (de-facto towns such as Iecava or Skrīveri) left out.
* Order: places with a known population first (largest first), then nearest to
  the depot first; a place within 4 km of one already chosen, or with the same
  name, is skipped; the first 36 are kept.
* **Assumption:** many OSM populations are 0, i.e. unknown.  Then the
  population is assumed to be **150 for a village and 60 for a hamlet**
  (giving 15 and 6 loans per visit).  This applies to {og_assumed} of the
  {og_villages} villages and hamlets; real sizes vary a lot (Suntaži or
  Vecumnieki, for example, are much larger than 150).
* The depot coordinates are the Ogre town centroid from OSM (the library
  building is not in the extract), rounded to 4 decimals.
* "Birzgales skola" is **illustrative** (about 200 m from Birzgale's centre
  point): window 09:00-13:00, Tue or Thu, 40 min, 30 loans, 4-weekly,
  `priority = must`, so the Latvian file also exercises the `ilgums`, `no`,
  `lidz`, `dienas` and `prioritate` columns.

## Attribution and licence

Settlement names, coordinates and populations: © OpenStreetMap contributors,
ODbL 1.0 (https://www.openstreetmap.org/copyright), and GeoNames (CC BY 4.0).
(OSM place nodes from a 2019-09 snapshot; GeoNames postal-code names were used
to decide which settlements belong to Rokiškis district; the Rokiškis central
library's position is from its Lithuanian Wikipedia article.)

The data here is **derived**: filtered, coordinates rounded to 4 decimals, with
modelled demand, frequencies and illustrative schools and care home added.  As a
derivative database of OpenStreetMap data, the contents of this `data/` folder
are made available under the Open Database License (ODbL) 1.0, with the
attribution above; the code of the project keeps its own licence.
"""


def write_readme(path: Path, rk: list[Stop], rk_info: dict, og: list[Stop], og_info: dict) -> None:
    rk_st, og_st = stats(rk, rk_info), stats(og, og_info)
    schools = [s.name for s in rk if s.kind == "school"]
    text = README.format(
        rk=rk_st, og=og_st,
        rk_schools=len(schools),
        rk_school_names=", ".join(schools),
        rk_care=next(s.name for s in rk if s.kind == "care home"),
        rk_villages=sum(1 for s in rk if s.kind not in ("school", "care home")),
        rk_far=rk_info["far"],
        og_assumed=og_info["assumed"],
        og_villages=sum(1 for s in og if s.kind != "school"),
        rk_demoted=rk_info["demoted"], og_demoted=og_info["demoted"],
    )
    path.write_text(text, encoding="utf-8", newline="")


# --------------------------------------------------------------------------- main

def summary(label: str, stops: list[Stop], info: dict) -> str:
    weeks = info["weeks"]
    counts = {f: sum(1 for s in stops if s.frequency == f) for f in VISITS_PER_WEEK}
    total = cycle_minutes(stops, weeks)
    n_visits = sum(visits(s, weeks) for s in stops)
    return (f"{label}: {len(stops)} stops (weekly {counts['weekly']}, fortnightly "
            f"{counts['fortnightly']}, 4-weekly {counts['4-weekly']}); {n_visits} visits; "
            f"service {total} min / shift {info['shift_total']} min per cycle "
            f"({100 * total / info['shift_total']:.1f} %)")


def check_ids(stops: list[Stop]) -> None:
    ids = [s.id for s in stops]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--geodata", type=Path, default=DEFAULT_GEODATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    rk_dir, og_dir = args.out / "rokiskis", args.out / "ogre"
    rk_dir.mkdir(parents=True, exist_ok=True)
    og_dir.mkdir(parents=True, exist_ok=True)

    rk, rk_info = build_rokiskis(args.geodata)
    check_ids(rk)
    write_stops(rk_dir / "stops.csv", rk)
    write_scenario(rk_dir / "scenario.toml", name="Rokiškis mobile library, 2-week cycle (sample)",
                   depot=RK_DEPOT, weeks=RK_WEEKS, start_date="2026-11-30", vehicle=RK_VEHICLE,
                   comment="Sample: Rokiškis district (Lithuania) bookmobile; see data/README.md", country="LT")

    og, og_info = build_ogre(args.geodata)
    check_ids(og)
    write_stops(og_dir / "stops.csv", og)
    write_stops_lv(og_dir / "stops_lv.csv", og)
    check_lv_roundtrip(og_dir / "stops_lv.csv", og_dir / "stops.csv")
    write_scenario(og_dir / "scenario.toml", name="Ogre mobile library, 4-week cycle (sample)",
                   depot=("Ogres Centrālā bibliotēka", *og_info["depot"]), weeks=OG_WEEKS,
                   start_date="2026-12-07", vehicle=OG_VEHICLE,
                   comment="Sample: Ogre (Latvia) bookmobile; stops_lv.csv is the same "
                           "table in a Latvian spreadsheet locale", country="LV")

    write_readme(args.out / "README.md", rk, rk_info, og, og_info)

    print(summary("rokiskis", rk, rk_info))
    print(f"  must: {', '.join(s.name for s in rk if s.priority == 'must')}")
    print(summary("ogre", og, og_info))
    print(f"  populations assumed for {og_info['assumed']} of {len(og) - 1} villages/hamlets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
