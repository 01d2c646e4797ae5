"""Reading and writing the planner's input files (the input contract).

* :func:`read_stops` / :func:`read_stops_bytes`: the stops table, CSV or .xlsx,
  in English, Lithuanian or Latvian spellings;
* :func:`load_scenario` / :func:`scenario_from_toml_text`: the scenario TOML,
  stops included;
* :func:`dump_scenario_toml` / :func:`write_stops_csv`: the way back, lossless;
* :func:`to_toml`: any plain data as TOML (the web service checks what it is sent by reading it back).

Every reader raises one :class:`routeplanner.errors.InputError` listing every
problem of the input at once.
"""

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
    "read_stops",
    "read_stops_bytes",
    "scenario_from_toml_text",
    "stop_record",
    "to_toml",
    "write_stops_csv",
]
