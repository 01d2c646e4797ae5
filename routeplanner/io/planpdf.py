"""The driver sheets as one PDF (reportlab): a page per route-day, to print or send to a tablet.

Each page has what the web service's driver sheet has (``/plans/<id>/driver``):
the route-day and its date, when to leave and be back, km, driving, stops and
loans; a drawing of the route (depot and numbered stops, true to scale, a
scale bar and north); and the day in order: leave the depot, each stop with
arrival, departure, loans, the leg to it and notes (the stop's window, must,
address), the break, back at the depot.

The text is set in DejaVu Sans, which has every letter of Lithuanian and
Latvian names (reportlab's own fonts stop at Latin-1: no ą, ė, ā, ņ).  It is
taken from the system (Debian's ``fonts-dejavu-core``, which ``make``
installs); without it the export says so instead of printing boxes.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from routeplanner import formats
from routeplanner.driversheet import sheet_rows
from routeplanner.errors import RoutePlannerError
from routeplanner.model import Plan, Route, Scenario, calendar_routes, hhmm

#: Where DejaVu Sans is found (Debian, Fedora, Arch, macOS with Homebrew fonts).
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
             "/opt/homebrew/share/fonts", "/usr/local/share/fonts")
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
#: Route colours by weekday, as the maps draw them.
DAY_COLOURS = {"Mon": "#1f77b4", "Tue": "#ff7f0e", "Wed": "#2ca02c", "Thu": "#d62728", "Fri": "#9467bd",
               "Sat": "#8c564b", "Sun": "#e377c2"}


class FontMissing(RoutePlannerError):
    """No font with the Baltic letters is installed: a PDF would print boxes for them."""


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for folder in FONT_DIRS:
        regular, bold = Path(folder) / f"{FONT}.ttf", Path(folder) / f"{FONT_BOLD}.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont(FONT, str(regular)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
            return
    raise FontMissing("the PDF export needs the DejaVu Sans font (Debian: apt-get install fonts-dejavu-core); "
                      f"looked in {', '.join(FONT_DIRS)}")


def _duration(minutes: float) -> str:
    m = int(round(minutes))
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def _drawing(route: Route, width: float, height: float, pad: float = 18):
    """The route projected (equirectangular, true to scale at its mid latitude) into a box."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
    from reportlab.lib import colors

    pts = [(route.depot.lat, route.depot.lon)] + [(v.lat, v.lon) for v in route.visits]
    kx = math.cos(math.radians(sum(p[0] for p in pts) / len(pts)))
    xs, ys = [p[1] * kx for p in pts], [p[0] for p in pts]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    scale = min((width - 2 * pad) / span_x if span_x > 0 else math.inf,
                (height - 2 * pad) / span_y if span_y > 0 else math.inf)
    scale = 1.0 if scale == math.inf else scale
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def at(i: int) -> tuple[float, float]:
        return width / 2 + (xs[i] - cx) * scale, height / 2 + (ys[i] - cy) * scale

    colour = colors.HexColor(DAY_COLOURS.get(route.day, "#333333"))
    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, strokeColor=colors.HexColor("#bbbbbb"), fillColor=None))
    path = [at(0)] + [at(i + 1) for i in range(len(route.visits))] + [at(0)]
    d.add(PolyLine([c for p in path for c in p], strokeColor=colour, strokeWidth=2))
    x, y = at(0)
    d.add(Rect(x - 5, y - 5, 10, 10, fillColor=colors.black, strokeColor=None))
    for i, v in enumerate(route.visits, start=1):
        x, y = at(i)
        d.add(Circle(x, y, 7, fillColor=colors.white, strokeColor=colour, strokeWidth=1.5))
        d.add(String(x, y - 3, str(i), fontName=FONT_BOLD, fontSize=7, textAnchor="middle"))
        d.add(String(x + 9, y + 4, v.name[:28], fontName=FONT, fontSize=6.5))
    if span_x + span_y > 0:  # a scale bar of a round number of km, about a fifth of the width
        km_per_pt = 111.32 / scale
        nice = min((1, 2, 5, 10, 20, 50, 100, 200), key=lambda k: abs(k - km_per_pt * width / 5))
        bar = nice / km_per_pt
        d.add(Line(10, 10, 10 + bar, 10, strokeWidth=1.5))
        d.add(String(14 + bar, 7, f"{nice} km", fontName=FONT, fontSize=7))
    d.add(String(width - 12, height - 14, "N ↑", fontName=FONT_BOLD, fontSize=8, textAnchor="middle"))
    return d


def plan_pdf_bytes(plan: Plan, scenario: Scenario | None = None) -> bytes:
    """The driver sheets of ``plan``, a page per route-day, as PDF bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape

    _register_fonts()
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=14, leading=17)
    text = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=11)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=9.5)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=f"Driver sheets: {plan.scenario}", author="routeplanner")
    story: list = []
    routes = [r for r in calendar_routes(plan) if r.visits]
    for n, route in enumerate(routes, start=1):
        when = f" · {route.date.strftime('%a %d %b %Y')}" if route.date else ""
        story.append(Paragraph(escape(f"Week {route.week} {route.day} · {route.vehicle}{when}"), title))
        story.append(Paragraph(escape(plan.scenario), text))
        loans = sum(v.loans for v in route.visits)
        story.append(Paragraph(escape(
            f"Leave {hhmm(route.start_min)} · back {hhmm(route.end_min)} · {route.distance_m / 1000:.1f} km · "
            f"driving {_duration(route.drive_min)} · {len(route.visits)} stops · "
            f"{formats.loans(loans)} loans expected · sheet {n} of {len(routes)}"), text))
        story.append(Spacer(1, 3 * mm))
        story.append(_drawing(route, doc.width, 62 * mm))
        story.append(Spacer(1, 3 * mm))
        head = ["#", "Arrive", "Leave", "Stop", "Loans", "Leg km", "Leg min", "Notes"]
        body = []
        for r in sheet_rows(route, scenario):
            # As the web's sheet: leaving the depot has only a departure, the way back only an arrival.
            arrive, leave = ("", r.start) if r.kind == "depart" else (r.start, r.end)
            body.append([str(r.order or ""), arrive, leave, Paragraph(escape(r.name), cell), r.loans, r.leg_km,
                         r.leg_min, Paragraph(escape("; ".join(r.notes)), cell)])
        table = Table([head] + body, repeatRows=1,
                      colWidths=[8 * mm, 13 * mm, 13 * mm, 50 * mm, 13 * mm, 13 * mm, 13 * mm, None])
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 8),
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
            ("ALIGN", (4, 0), (6, -1), "RIGHT"),
            ("LEFTPADDING", (7, 0), (7, -1), 8),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story.append(table)
        if n < len(routes):
            story.append(PageBreak())
    if not routes:
        story.append(Paragraph(escape(f"{plan.scenario}: this plan visits no stops."), text))
    doc.build(story)
    return out.getvalue()
