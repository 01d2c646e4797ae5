"""The plan as text: the timetable and the KPI lines, on the hand-made meridian plan (tests/meridian.py)."""

from __future__ import annotations

import re

from meridian import A, B, C, F, make_plan
from routeplanner.model import Totals
from routeplanner.report import format_timetable, format_totals, route_label


def test_timetable_text():
    text = format_timetable(make_plan())
    for stop in (A, B, C, F):
        assert stop.name in text
    assert "Week 1 Tue 2026-12-01 — Bibliobusas — 08:00-11:05, 66.7 km" in text
    assert "09:50-10:35  break (45 min)" in text
    assert "Kamajai — Every other Tuesday, 08:10–08:40" in text
    assert "Obeliai — Every Tuesday, 08:50–09:10" in text
    assert "Juodupė — Every other Tuesday, 09:20–09:50" in text
    assert "too far from the depot" in text and "start from Obeliai instead" in text
    assert "Stops served: 3 of 4" in text


def test_timetable_events_in_time_order():
    lines = format_timetable(make_plan()).splitlines()
    day = lines[lines.index(next(x for x in lines if x.startswith("Week 1 Tue"))) + 1 :][:4]
    assert [x.split()[0] for x in day] == ["08:10-08:40", "08:50-09:10", "09:20-09:50", "09:50-10:35"]


def test_timetable_by_stop_publishes_the_common_window_once():
    plan = make_plan()
    plan.routes[1].visits[0].arrival_min = 535
    plan.routes[1].visits[0].departure_min = 555
    text = format_timetable(plan)
    assert "Obeliai — Every Tuesday, 08:55–09:10" in text
    assert text.count("Obeliai — ") == 1


def test_timetable_by_stop_says_when_there_is_no_common_window():
    plan = make_plan()
    plan.routes[1].visits[0].arrival_min = 542
    plan.routes[1].visits[0].departure_min = 562
    text = format_timetable(plan)
    assert "Obeliai — Every Tuesday, at the times of each date" in text
    assert "no published window: its visits are open 08:50-09:10, 09:02-09:22" in text


def test_timetable_by_stop_in_the_local_alphabet():
    plan = make_plan()
    names = {"A": "Čedasai", "B": "Cypliai", "C": "Dauliai"}  # Lithuanian: C, Č, D (code points: C, D, Č)
    for r in plan.routes:
        for v in r.visits:
            v.name = names[v.stop_id]

    def by_stop(lang=None):
        lines = format_timetable(plan, lang).splitlines()
        return [x.split(" — ")[0].strip() for x in lines[lines.index("Timetable by stop") + 1:][:3]]

    assert by_stop("lt") == ["Cypliai", "Čedasai", "Dauliai"]
    for r in plan.routes:  # without a language: the names' own letters tell
        r.visits[0].name = r.visits[0].name.replace("Čedasai", "Čedasų")
    assert by_stop() == ["Cypliai", "Čedasų", "Dauliai"]


def test_totals_lines():
    totals = Totals(1234.56, 45.0, 605.4, 8, 3, 4, 220.0, 230.0)
    assert format_totals(totals) == [
        "Stops served: 3 of 4",
        "Visits: 8",
        "Distance: 1,234.6 km",
        "Driving: 0 h 45 min",  # the hours stay, so the lines keep one shape
        "Doors open: 10 h 05 min",
        "Loans: 220 of 230 expected (95.7%)",
    ]


def test_route_label():
    assert route_label(make_plan().routes[1]) == "week 2 Tue Bibliobusas"


def test_loans_are_whole_numbers_in_the_text():
    plan = make_plan()
    for r in plan.routes:
        for v in r.visits:
            v.loans += 0.5  # 40.5, 20.5, 30.5
    plan.totals.loans_served, plan.totals.loans_total = 220.5, 230.25
    text = format_timetable(plan)
    assert "41 loans" in text and "21 loans" in text and "31 loans" in text
    assert "Loans: 221 of 230 expected" in text
    assert not re.search(r"\d\.\d+ loans", text)
