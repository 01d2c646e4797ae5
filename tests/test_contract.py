"""The plan contract in the repository: the project's shared contract, byte for byte.

``routeplanner/contracts/plan.schema.json`` is what the package ships and what the
tests validate plans against (``conftest.py``), so a clone runs them without the
shared folder.  ``shared/contracts/plan.schema.json`` is the contract agreed across
the project; when that folder is beside the checkout, as on the project machine and
in CI, the two must be the same file (``tests/test_shared_data.py``).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "routeplanner" / "contracts" / "plan.schema.json"


def test_the_package_ships_the_contract(plan_schema):
    assert files("routeplanner.contracts").joinpath("plan.schema.json").read_bytes() == SCHEMA.read_bytes()
    jsonschema.Draft202012Validator.check_schema(plan_schema)
    assert plan_schema["title"].startswith("Mobile library plan")
