"""Reading and writing the planner's files: the input contract and the plan contract.

* :func:`read_stops` / :func:`read_stops_bytes`: the stops table, CSV or .xlsx,
  in English, Lithuanian or Latvian spellings;
* :func:`load_scenario` / :func:`scenario_from_toml_text`: the scenario TOML,
  stops included;
* :func:`dump_scenario_toml` / :func:`write_stops_csv`: the way back, lossless;
* :func:`read_plan_json` / :func:`write_plan_json` (:func:`plan_from_dict` /
  :func:`plan_to_dict` for the document itself): the plan JSON;
* :func:`write_visits_csv`: a plan's visits for spreadsheets;
* :func:`to_toml`: any plain data as TOML (the web service checks what it is sent by reading it back).

Every reader raises one :class:`routeplanner.errors.InputError` listing every
problem of the input at once.
"""

from routeplanner.io.plancsv import write_visits_csv
from routeplanner.io.planjson import plan_from_dict, plan_to_dict, read_plan_json, write_plan_json
from routeplanner.io.scenario import dump_scenario_toml, load_scenario, scenario_from_toml_text, to_toml
from routeplanner.io.stops import (
    STOP_COLUMNS,
    Geocoder,
    read_stops,
    read_stops_bytes,
    stop_record,
    write_stops_csv,
)

__all__ = [
    "STOP_COLUMNS",
    "Geocoder",
    "dump_scenario_toml",
    "load_scenario",
    "plan_from_dict",
    "plan_to_dict",
    "read_plan_json",
    "read_stops",
    "read_stops_bytes",
    "scenario_from_toml_text",
    "stop_record",
    "to_toml",
    "write_plan_json",
    "write_stops_csv",
    "write_visits_csv",
]
