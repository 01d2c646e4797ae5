"""A plan in the formats people take it elsewhere in, chosen by a file's extension.

=========  =====================================================================
.xlsx      Excel: the timetable (imports back), a sheet per route-day, the stops not served
.csv       the visits CSV, one row per visit (:mod:`routeplanner.io.plancsv`)
.geojson   GeoJSON (RFC 7946): a line per route-day, a point per visit
.gpx       GPX 1.1: a route per route-day, the stops as its points in order, for a sat-nav
.pdf       the driver sheets, a page per route-day
=========  =====================================================================

The command line (``routeplanner export``), the pages' download links and the
API's export endpoint all go through :func:`export_bytes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from routeplanner.errors import InputError, Problem
from routeplanner.model import Plan, Scenario


@dataclass(frozen=True)
class Format:
    name: str  # the extension without the dot, as the API's path says it
    media_type: str
    what: str  # for help texts and documents
    write: Callable[[Plan, Scenario | None], bytes]


def _xlsx(plan: Plan, _scenario: Scenario | None) -> bytes:
    from routeplanner.io.planxlsx import plan_xlsx_bytes

    return plan_xlsx_bytes(plan)


def _csv(plan: Plan, _scenario: Scenario | None) -> bytes:
    from routeplanner.io.plancsv import visits_csv_bytes

    return visits_csv_bytes(plan)


def _geojson(plan: Plan, _scenario: Scenario | None) -> bytes:
    from routeplanner.io.plangeo import plan_geojson_bytes

    return plan_geojson_bytes(plan)


def _gpx(plan: Plan, _scenario: Scenario | None) -> bytes:
    from routeplanner.io.plangeo import plan_gpx_bytes

    return plan_gpx_bytes(plan)


def _pdf(plan: Plan, scenario: Scenario | None) -> bytes:
    from routeplanner.io.planpdf import plan_pdf_bytes

    return plan_pdf_bytes(plan, scenario)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "Excel workbook: the timetable, a sheet per route-day", _xlsx),
    Format("csv", "text/csv", "CSV, one row per visit", _csv),
    Format("geojson", "application/geo+json", "GeoJSON (RFC 7946): a line per route-day, a point per visit",
           _geojson),
    Format("gpx", "application/gpx+xml", "GPX: a route per route-day for a sat-nav", _gpx),
    Format("pdf", "application/pdf", "PDF of the driver sheets, a page per route-day", _pdf),
)}


def format_named(name: str, source: str = "export", column: str = "format") -> Format:
    """The format called ``name`` (``"gpx"``, ``".GPX"``); :class:`InputError` for any other."""
    fmt = FORMATS.get(name.lower().lstrip("."))
    if fmt is None:
        raise InputError([Problem(source, None, column, name,
                                  "one of " + ", ".join(f".{n}" for n in FORMATS) + " (the export's format)")])
    return fmt


def format_of(path: str | Path) -> Format:
    """The format a file name's extension asks for; :class:`InputError` for an unknown one."""
    suffix = Path(path).suffix
    return format_named(suffix or "(none)", "command line", "FILE")


def export_bytes(plan: Plan, fmt: Format, scenario: Scenario | None = None) -> bytes:
    """``plan`` in ``fmt``; ``scenario`` (the plan's own) adds the stops' notes to the driver sheets."""
    return fmt.write(plan, scenario)


def filename(stem: str, fmt: Format) -> str:
    """A download's file name: ``plan-7.gpx``."""
    return f"{stem}.{fmt.name}"
