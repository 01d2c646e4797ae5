"""The public API of ``import routeplanner``: exactly the names of ``__all__``, each one
resolving to the object of its home module, and an import that stays cheap.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import routeplanner
from routeplanner import checker, datachecks, errors, io, model, solver

PUBLIC = [
    "Break",
    "Cycle",
    "DataWarning",
    "Frequency",
    "ImportNotes",
    "InputError",
    "Place",
    "Plan",
    "PlanNotFound",
    "Problem",
    "Published",
    "Route",
    "RoutePlannerError",
    "Scenario",
    "SearchParams",
    "SolveInfo",
    "SolveProgress",
    "SolverSettings",
    "Stop",
    "Totals",
    "Travel",
    "Unserved",
    "Vehicle",
    "Visit",
    "check_plan",
    "check_scenario",
    "dump_scenario_toml",
    "load_scenario",
    "plan_from_dict",
    "plan_to_dict",
    "read_plan_json",
    "read_stops",
    "read_stops_bytes",
    "scenario_from_toml_text",
    "solve",
    "write_plan_json",
    "write_stops_csv",
]


def test_all_is_pinned():
    """A change here is a change of the public API: on purpose, and said in the commit."""
    assert sorted(routeplanner.__all__) == PUBLIC
    assert len(set(routeplanner.__all__)) == len(routeplanner.__all__)


def test_every_name_resolves_to_its_home_module():
    homes = (model, errors, solver, checker, datachecks, io)
    for name in routeplanner.__all__:
        value = getattr(routeplanner, name)
        assert any(getattr(home, name, None) is value for home in homes), name
        assert name in dir(routeplanner)
    assert routeplanner.solve is solver.solve and routeplanner.check_plan is checker.check_plan
    # the model's classes themselves, not copies
    assert routeplanner.Scenario is model.Scenario and routeplanner.InputError is errors.InputError


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        routeplanner.no_such_name


def test_import_is_cheap():
    """``import routeplanner`` (which every submodule's import runs first) loads neither OR-Tools,
    Flask nor pandas; in a fresh interpreter, since this one has long imported them."""
    code = (
        "import sys, routeplanner\n"
        "print(' '.join(sorted(m for m in ('ortools', 'flask', 'pandas') if m in sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"import routeplanner imported: {proc.stdout.strip()}"
