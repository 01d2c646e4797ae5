"""benchmarks/pvrp.py: the Cordeau-format reader, the conversion into the product's model, the
reference solutions read back through the checker, and a short run of the command (issue 10).

The code is tested on two small made-up instances in tests/fixtures/pvrp, so it runs in any clone.
The published instances are in ../shared/benchmarks/pvrp (beside the checkout in CI): the tests of
those files themselves (each is read as its table says, each reference scores its stated km) are in
tests/test_shared_data.py.  The whole file takes a few seconds: only the
end-to-end test solves, one small instance at 2 s.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.pvrp import (
    check_reference,
    day_mapping,
    read_cordeau,
    reference_plan,
    to_product,
)
from routeplanner.checker import check_plan
from routeplanner.model import Frequency

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pvrp"

# instance: vehicles m, customers n, days t, capacity Q, customers per frequency, combinations in all
FIXTURE_INSTANCES = {
    "t5": (2, 6, 5, 60, {1: 2, 2: 2, 3: 1, 5: 1}, 20),
    "t10": (1, 4, 10, 50, {1: 3, 2: 1}, 19),
}


def fixture(name: str) -> Path:
    return FIXTURES / f"{name}.txt"


# --- reader -------------------------------------------------------------------------------------


def assert_read_as_stated(path: Path, stated: tuple) -> None:
    m, n, t, q, per_frequency, combinations = stated
    inst = read_cordeau(path)
    assert (inst.m, inst.n, inst.t) == (m, n, t)
    assert inst.capacity == [q] * t and inst.duration == [0.0] * t
    assert len(inst.labels) == n + 1 and inst.labels[0] == "0"
    freq: dict[int, int] = {}
    for k in range(1, n + 1):
        freq[int(inst.frequency[k])] = freq.get(int(inst.frequency[k]), 0) + 1
        for combo in inst.combinations(k):  # bit 0 = day 1
            assert len(combo) == inst.frequency[k] and all(1 <= d <= t for d in combo)
    assert freq == per_frequency
    assert sum(len(inst.masks[k]) for k in range(1, n + 1)) == combinations
    assert inst.reference_routes and inst.reference is not None


@pytest.mark.parametrize("name", sorted(FIXTURE_INSTANCES))
def test_reader_on_the_small_instances(name):
    assert_read_as_stated(fixture(name), FIXTURE_INSTANCES[name])


def test_combinations_decoded_from_bit_masks():
    t5 = read_cordeau(fixture("t5"))
    # customer 1: "f = 1, 5 combinations: 1 2 4 8 16"; customer 3: "f = 2: 5 10 20"; customer 2: "f = 5: 31"
    assert t5.combinations(1) == [(1,), (2,), (3,), (4,), (5,)]
    assert t5.combinations(3) == [(1, 3), (2, 4), (3, 5)]
    assert t5.combinations(2) == [(1, 2, 3, 4, 5)]
    assert t5.combinations(5) == [(1, 2, 4), (1, 3, 5), (2, 4, 5)]  # masks 11 21 26
    t10 = read_cordeau(fixture("t10"))
    assert t10.combinations(1)[-1] == (10,)  # mask 512
    assert t10.combinations(2) == [(1, 6), (2, 7), (3, 8), (4, 9), (5, 10)]  # masks 33 66 132 264 528


def test_reader_on_a_small_wrapped_file(tmp_path):
    """Lines may wrap: the reader goes by the numbers.  A combination with the wrong number of days is refused."""
    (tmp_path / "tiny.txt").write_text(
        "1 1 2 2\n0 10\n0 10\n"
        " 0 0 0 0 0 0 0\n"
        " 1 3 4 0 4 1 2\n 1 2\n"  # customer 1: once, day 1 or day 2, wrapped
        " 2 -3 -4 0 5 2 1 3\n",  # customer 2: both days
        encoding="utf-8",
    )
    # depot (0, 0): 0-1-2-0 is 5 + 10 + 5, 0-2-0 is 10
    (tmp_path / "tiny.res").write_text("30.00\n1 1 20.00 9 0 1 2 0\n2 1 10.00 5 0 2 0\n", encoding="utf-8")
    inst = read_cordeau(tmp_path / "tiny.txt")
    assert (inst.m, inst.n, inst.t) == (1, 2, 2)
    assert inst.combinations(1) == [(1,), (2,)] and inst.combinations(2) == [(1, 2)]
    assert inst.reference == 30.0 and [r.customers for r in inst.reference_routes] == [[1, 2], [2]]
    check = check_reference(inst)
    assert check.ok and check.km == 30.0, check
    # a wrong stated total or route cost is caught
    (tmp_path / "tiny.res").write_text("30.01\n1 1 20.00 9 0 1 2 0\n2 1 10.01 5 0 2 0\n", encoding="utf-8")
    check = check_reference(read_cordeau(tmp_path / "tiny.txt"))
    assert not check.same and not check.route_costs_ok and not check.ok
    (tmp_path / "bad.txt").write_text("1 1 1 2\n0 10\n0 10\n0 0 0 0 0 0 0\n1 3 4 0 4 1 1 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="has 2 days, the frequency is 1"):
        read_cordeau(tmp_path / "bad.txt")


# --- conversion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "t, weeks, days, last",
    [
        (2, 1, ("Mon", "Tue"), (1, "Tue")),
        (5, 1, ("Mon", "Tue", "Wed", "Thu", "Fri"), (1, "Fri")),
        (8, 2, ("Mon", "Tue", "Wed", "Thu"), (2, "Thu")),
        (10, 2, ("Mon", "Tue", "Wed", "Thu", "Fri"), (2, "Fri")),
    ],
)
def test_day_mapping(t, weeks, days, last):
    cycle, slots = day_mapping(t)
    assert (cycle.weeks, cycle.days) == (weeks, days)
    assert len(slots) == t and slots[0] == (1, "Mon") and slots[-1] == last
    # day d is route-day d of the cycle in calendar order
    assert slots == [(w, d) for w in range(1, weeks + 1) for d in days]
    if t == 8:
        assert slots[4] == (2, "Mon")
    if t == 10:
        assert slots[4] == (1, "Fri") and slots[5] == (2, "Mon")


def test_conversion_into_the_product_model():
    inst = read_cordeau(fixture("t10"))
    conv = to_product(inst, 7.0)
    sc = conv.scenario
    assert (sc.cycle.weeks, sc.cycle.days) == (2, ("Mon", "Tue", "Wed", "Thu", "Fri"))
    assert sc.solver.stable_minutes == 1440 and sc.solver.time_limit_s == 7.0
    assert len(sc.vehicles) == 1
    van = sc.vehicles[0]
    assert van.capacity_books == 50 and van.break_minutes == 0
    assert van.break_after_minutes > van.shift_end_min - van.shift_start_min
    assert [s.id for s in sc.stops] == ["1", "2", "3", "4"]
    one = sc.stops[0]
    assert one.must and one.frequency == Frequency(visits=1) and one.service_min == 0
    assert one.loans_per_visit == inst.demand[1]
    assert one.allowed_patterns[5] == ((2, "Mon"),) and one.allowed_patterns[9] == ((2, "Fri"),)
    assert sc.stop("2").allowed_patterns[2] == ((1, "Wed"), (2, "Wed"))  # mask 132: days 3 and 8
    assert sc.stop("3").allowed_patterns == (((1, "Fri"),), ((2, "Fri"),))
    t5 = to_product(read_cordeau(fixture("t5"))).scenario
    assert t5.stop("5").frequency == Frequency(visits=3)
    assert t5.stop("5").allowed_patterns == (
        ((1, "Mon"), (1, "Tue"), (1, "Thu")), ((1, "Mon"), (1, "Wed"), (1, "Fri")), ((1, "Tue"), (1, "Thu"), (1, "Fri")),
    )
    # Euclidean in double precision: plan km = instance units, one minute per unit.
    mx = conv.matrix
    assert mx.ids[0] == "depot" and mx.ids[1:] == tuple(s.id for s in sc.stops)
    i, j = mx.index("1"), mx.index("2")
    euclid = math.hypot(inst.x[1] - inst.x[2], inst.y[1] - inst.y[2])
    assert mx.distance_m[i, j] == euclid * 1000.0 and mx.drive_min[i, j] == euclid
    assert "MAY BIND" not in conv.shift_note


# --- the reference solutions read back -----------------------------------------------------------


def assert_scores_stated_km(path: Path) -> None:
    inst = read_cordeau(path)
    check = check_reference(inst)
    assert check.kinds == {}, check.kinds
    assert f"{check.km:.2f}" == check.stated == f"{inst.reference:.2f}"
    assert check.route_costs_ok and check.ok


@pytest.mark.parametrize("name", sorted(FIXTURE_INSTANCES))
def test_reference_of_a_small_instance_scores_its_stated_km(name):
    assert_scores_stated_km(fixture(name))


def test_reference_moved_to_a_forbidden_combination_is_caught():
    """The check above is not vacuous: a customer moved to a day its combinations exclude is reported."""
    inst = read_cordeau(fixture("t5"))
    conv = to_product(inst)
    k = 3  # f = 2, days {1,3}, {2,4} or {3,5}
    routes = [r for r in inst.reference_routes if k in r.customers]
    assert len(routes) == 2
    moved = copy.deepcopy(inst)
    src = next(r for r in moved.reference_routes if r.day == routes[1].day and k in r.customers)
    other = {r.day for r in routes}
    dst = next(r for r in moved.reference_routes
               if r.day not in other and tuple(sorted({routes[0].day, r.day})) not in inst.combinations(k))
    src.customers.remove(k)
    dst.customers.append(k)
    report = check_plan(conv.scenario, reference_plan(moved, conv), matrix=conv.matrix)
    assert {v.stop_id for v in report.violations if v.kind == "pattern-not-allowed"} == {"3"}


# --- the command, end to end ---------------------------------------------------------------------


def test_search_params_are_given_on_the_command_line_and_named_in_the_report(tmp_path):
    out = tmp_path / "pvrp.md"
    command = [sys.executable, "-m", "benchmarks.pvrp", str(fixture("t10")), "--limit", "1", "--out", str(out)]
    proc = subprocess.run(command + ["--params", '{"area_split_size": 5000, "cycle_ruin": [2, 4]}'],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'params=SearchParams(**{"area_split_size": 5000, "cycle_ruin": [2, 4]})' in out.read_text(encoding="utf-8")
    bad = subprocess.run(command + ["--params", '{"no_such_knob": 1}'], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "--params" in bad.stderr and "no_such_knob" in bad.stderr


def test_benchmark_command_end_to_end(tmp_path, validate_plan):
    out, js, plans = tmp_path / "pvrp.md", tmp_path / "pvrp.json", tmp_path / "plans"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.pvrp", str(fixture("t5")), "--limit", "2",
         "--out", str(out), "--json", str(js), "--plans", str(plans)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(js.read_text(encoding="utf-8"))
    assert len(rows) == 1
    row = rows[0]
    assert {"instance", "reference", "km", "gap_pct", "violations", "served", "wall_s"} <= set(row)
    assert row["instance"] == "t5" and row["reference"] == 398.01
    assert row["km"] > 0 and row["gap_pct"] == pytest.approx((row["km"] - 398.01) / 398.01 * 100, abs=1e-2)
    assert 0 <= row["served"] <= 6 and row["violations"] >= 0 and row["wall_s"] > 0
    text = out.read_text(encoding="utf-8")
    assert "| t5 |" in text and "Issue 10 target" in text and "**incomplete**" not in text
    plan = json.loads((plans / "t5.json").read_text(encoding="utf-8"))
    assert validate_plan(plan) == []
    ids = {v["stop_id"] for r in plan["routes"] for v in r["visits"]} | {u["stop_id"] for u in plan["unserved"]}
    assert ids == {str(k) for k in range(1, 7)}
    assert {r["depot"]["name"] for r in plan["routes"]} == {"depot"}
    assert {r["day"] for r in plan["routes"]} <= {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert plan["totals"]["distance_km"] == pytest.approx(row["km"], abs=0.01)
