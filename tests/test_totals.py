"""The KPIs of a plan, on the hand-made meridian plan (tests/meridian.py)."""

from __future__ import annotations

import pytest

from meridian import KM_PER_TENTH, SCENARIO, make_plan
from routeplanner.model import Totals
from routeplanner.totals import compute_totals, loans_share_pct

def test_compute_totals_hand_values():
    t = make_plan().totals
    assert t.distance_km == pytest.approx(20 * KM_PER_TENTH)  # 6 + 4 + 6 + 4 tenths of a degree
    assert t.drive_minutes == pytest.approx(200)
    assert t.service_minutes == 200  # (30+20+30) x 2 + 20 x 2
    assert t.visits == 8
    assert (t.stops_served, t.stops_total) == (3, 4)
    assert t.loans_served == 220
    assert t.loans_total == 230  # 40x2 + 20x4 + 30x2 + 10x1


def test_partly_served_stop_is_not_served():
    routes = make_plan().routes[:3]  # Obeliai loses week 4
    t = compute_totals(routes, SCENARIO)
    assert t.stops_served == 2 and t.visits == 7


def test_loans_share():
    t = make_plan().totals
    assert loans_share_pct(t) == pytest.approx(100.0 * 220 / 230)
    assert loans_share_pct(Totals(0.0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0)) == 100.0  # nothing expected, nothing missed
