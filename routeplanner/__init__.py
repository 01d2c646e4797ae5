"""routeplanner: timetable cycles for mobile libraries, as a library.

The public API is what ``__all__`` names; everything else is reached through its
own module and may change::

    import routeplanner as rp

    scenario = rp.load_scenario("data/rokiskis/scenario.toml")
    plan = rp.solve(scenario, time_limit_s=30)        # or work_limit=2000: the same plan on any machine
    report = rp.check_plan(scenario, plan)             # every broken rule, recomputed from the inputs
    rp.write_plan_json(plan, "out/plan.json")          # the plan contract, routeplanner/contracts/

* the domain model (:mod:`routeplanner.model`): what a scenario and a plan are;
* :func:`solve` and :class:`SearchParams` (:mod:`routeplanner.solver`);
* :func:`check_plan` (:mod:`routeplanner.checker`), the independent judge of any plan;
* :func:`check_scenario` (:mod:`routeplanner.datachecks`), the warnings about the data before planning
  (:class:`DataWarning`; the readers fill an :class:`ImportNotes` with what they found on the way);
* the readers and writers of the scenario TOML, the stops table and the plan JSON;
* the errors (:mod:`routeplanner.errors`): bad input raises :class:`InputError`
  with every problem at once.

Importing the package stays cheap, because the command line, the web service's
worker processes and every submodule import it first: the model and the errors
are plain Python and load at once; the rest loads on first use (PEP 562
``__getattr__``), so ``import routeplanner`` never imports OR-Tools, Flask or
pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

from routeplanner.errors import InputError, PlanNotFound, Problem, RoutePlannerError
from routeplanner.model import (
    Break,
    Cycle,
    Frequency,
    Place,
    Plan,
    Published,
    Route,
    Scenario,
    SolveInfo,
    SolveProgress,
    SolverSettings,
    Stop,
    Totals,
    Travel,
    Unserved,
    Vehicle,
    Visit,
)

#: The names loaded on first use, by the module they come from.
_LAZY_FROM: dict[str, tuple[str, ...]] = {
    "routeplanner.solver": ("SearchParams", "solve"),
    "routeplanner.checker": ("check_plan",),
    "routeplanner.datachecks": ("DataWarning", "ImportNotes", "check_scenario"),
    # readers and writers: the scenario TOML, the stops table, the plan JSON
    "routeplanner.io": ("dump_scenario_toml", "load_scenario", "plan_from_dict", "plan_to_dict", "read_plan_json",
                        "read_stops", "read_stops_bytes", "scenario_from_toml_text", "write_plan_json",
                        "write_stops_csv"),
}
_LAZY: dict[str, str] = {name: module for module, names in _LAZY_FROM.items() for name in names}

_EAGER = [
    # the domain model
    "Break", "Cycle", "Frequency", "Place", "Plan", "Published", "Route", "Scenario", "SolveInfo", "SolveProgress",
    "SolverSettings", "Stop", "Totals", "Travel", "Unserved", "Vehicle", "Visit",
    # errors
    "InputError", "PlanNotFound", "Problem", "RoutePlannerError",
]
#: The public API (pinned by tests/test_public_api.py): the eager names, then the solver, the
#: checker and the readers and writers (:data:`_LAZY_FROM`).
__all__ = _EAGER + list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        # Also how ``from routeplanner import limits`` finds out that it must import the submodule.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up finds it without coming here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
