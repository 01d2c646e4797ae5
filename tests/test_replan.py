"""Re-planning from a published plan (issue 12): what patrons rely on stays where the rules let it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from routeplanner.checker import check_plan
from routeplanner.cli import main
from routeplanner.io import load_scenario, plan_from_dict, plan_to_dict
from routeplanner.model import Frequency
from routeplanner.replan import replan, summary
from routeplanner.solver import solve

WORK = 150


@pytest.fixture(scope="module")
def ogre():
    sc = load_scenario("data/ogre/scenario.toml")
    return sc, solve(sc, work_limit=WORK)


@pytest.fixture(scope="module")
def rokiskis():
    sc = load_scenario("data/rokiskis/scenario.toml")
    return sc, solve(sc, work_limit=WORK)


@pytest.mark.parametrize("sample", ["ogre", "rokiskis"])
def test_an_unchanged_scenario_in_keep_mode_moves_no_stop(sample, request):
    sc, base = request.getfixturevalue(sample)
    out = replan(sc, base, mode="keep", work_limit=WORK)
    assert out.moved == []
    assert out.plan.totals.stops_served == base.totals.stops_served
    assert not check_plan(sc, out.plan).violations
    assert out.plan.changes is not None and out.plan.changes.moved == []


def test_one_changed_stop_moves_itself_and_only_stops_of_the_days_it_takes(ogre):
    sc, base = ogre
    changed = "augsciems"
    assert next(s for s in sc.stops if s.id == changed).frequency == Frequency(4)
    edited = replace(sc, stops=tuple(replace(s, frequency=Frequency(2)) if s.id == changed else s
                                     for s in sc.stops))
    out = replan(edited, base, mode="keep", work_limit=WORK)

    assert not check_plan(edited, out.plan).violations
    assert out.plan.totals.stops_served == len(sc.stops)
    moved = {m.stop_id: m for m in out.moved}
    assert changed in moved and "day" in moved[changed].changes
    # Any other stop that moved shares a day with the changed stop's new visits: it made room.
    days = {(s.week, s.day) for s in moved[changed].after}
    for stop_id, m in moved.items():
        if stop_id != changed:
            assert {(s.week, s.day) for s in m.before + m.after} & days, stop_id
    assert len(moved) <= 4
    free = replan(edited, base, mode="free", work_limit=WORK)
    assert len(free.moved) > len(moved)


def test_a_removed_stop_is_the_only_change(ogre):
    sc, base = ogre
    gone = sc.stops[5].id
    edited = replace(sc, stops=tuple(s for s in sc.stops if s.id != gone))
    out = replan(edited, base, mode="keep", work_limit=WORK)
    assert [(m.stop_id, m.changes) for m in out.moved] == [(gone, ("dropped",))]
    assert out.saved_km > 0


def test_the_plan_says_what_changed_and_reads_back(ogre):
    sc, base = ogre
    edited = replace(sc, stops=sc.stops[1:])
    out = replan(edited, base, mode="keep", work_limit=WORK)
    doc = plan_to_dict(out.plan)
    assert doc["changes"]["mode"] == "keep"
    assert doc["changes"]["moved"] == [{"stop_id": sc.stops[0].id, "changes": ["dropped"]}]
    assert doc["changes"]["saved_km"] == pytest.approx(base.totals.distance_km - out.plan.totals.distance_km, abs=1e-3)
    back = plan_from_dict(json.loads(json.dumps(doc))).changes
    assert (back.mode, back.moved) == (out.plan.changes.mode, out.plan.changes.moved)
    assert back.base_distance_km == pytest.approx(base.totals.distance_km, abs=1e-3)
    assert "1 stops changed (1 no longer visited)" in summary(out)


def test_the_command_line_replans_from_a_base(tmp_path, capsys):
    base = tmp_path / "base.json"
    assert main(["plan", "data/ogre/scenario.toml", "--reproducible", str(WORK), "--json", str(base), "--quiet"]) == 0
    again = tmp_path / "again.json"
    assert main(["plan", "data/ogre/scenario.toml", "--reproducible", str(WORK), "--base", str(base),
                 "--json", str(again), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Re-planned from the base plan (keep): 0 stops changed" in out
    assert json.loads(again.read_text())["changes"]["moved"] == []


def test_replan_mode_needs_a_base(capsys):
    assert main(["plan", "data/ogre/scenario.toml", "--replan", "free"]) == 2
    assert "--base PLAN.json" in capsys.readouterr().err
