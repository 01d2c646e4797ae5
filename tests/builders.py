"""Small scenarios built in code for the tests (import as ``from builders import ...``)."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from routeplanner.model import (
    Cycle,
    Frequency,
    Place,
    Scenario,
    SolverSettings,
    Stop,
    Travel,
    Vehicle,
    default_service_min,
)

DEPOT = Place("Depot", 55.0, 25.0)


def stop(
    stop_id: str,
    lon_offset: float,
    *,
    lat_offset: float = 0.0,
    loans: float = 10,
    frequency: Frequency = Frequency(visits=1),
    service: int | None = None,
    window: tuple[int, int] | None = None,
    days: tuple[str, ...] = (),
    must: bool = False,
) -> Stop:
    """A stop placed relative to the depot (degrees east / north)."""
    return Stop(
        id=stop_id,
        name=stop_id.title(),
        lat=DEPOT.lat + lat_offset,
        lon=DEPOT.lon + lon_offset,
        loans_per_visit=loans,
        frequency=frequency,
        service_min=service if service is not None else default_service_min(loans),
        window_start_min=window[0] if window else None,
        window_end_min=window[1] if window else None,
        days=days,
        must=must,
    )


def scenario(
    stops,
    *,
    weeks: int = 1,
    days=("Mon",),
    vehicles=None,
    stable: int = 15,
    time_limit: float = 3.0,
    work_limit: int | None = None,
    name: str = "test",
) -> Scenario:
    if vehicles is None:
        vehicles = (Vehicle("Van", 2500, 8 * 60, 17 * 60, 45, 270),)
    return Scenario(
        name=name,
        depot=DEPOT,
        vehicles=tuple(vehicles),
        stops=tuple(stops),
        cycle=Cycle(weeks, tuple(days)),
        travel=Travel("haversine", 1.35, 45.0),
        solver=SolverSettings(time_limit, stable, work_limit),
    )


# --- oversized inputs (issue 9: limits) ------------------------------------------------

#: A sheet row of ten numbers, the issue's decompression bomb (300,000 of them).
TEN_CELLS_XML = b"<row>" + b"".join(b"<c><v>%d</v></c>" % i for i in range(10)) + b"</row>"
#: A sheet row that is a valid stop (name x, lat 55, lon 25, 1 loan); repeated, every copy has the same id.
STOP_ROW_XML = b'<row><c t="inlineStr"><is><t>x</t></is></c><c><v>55</v></c><c><v>25</v></c><c><v>1</v></c></row>'


def xlsx_bomb(rows: int, row_xml: bytes, *, part: str = "xl/worksheets/sheet1.xml", part_xml: bytes = b"") -> bytes:
    """A workbook whose first sheet is a stops header and then ``rows`` copies of ``row_xml``.

    Written straight into the zip, a thousand rows at a time, so that a few
    hundred kB on disk unpack to tens of MB of XML, as in the issue.
    ``part_xml`` instead replaces another ``part`` (the shared strings).
    """
    book = openpyxl.Workbook()
    book.active.append(["name", "lat", "lon", "loans_per_visit"])
    source = io.BytesIO()
    book.save(source)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            xml = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml" and rows:
                head, _, tail = xml.partition(b"</row>")
                with dst.open(info.filename, "w") as fh:
                    fh.write(head + b"</row>")
                    for _ in range(rows // 1000):
                        fh.write(row_xml * 1000)
                    fh.write(tail)
            elif info.filename != part:
                dst.writestr(info, xml)
        if part_xml:
            with dst.open(part, "w") as fh:
                fh.write(part_xml)
    return out.getvalue()
