"""The plan contract in the repository: the project's shared contract, byte for byte.

``routeplanner/contracts/plan.schema.json`` is what the package ships and what the
tests validate plans against (``conftest.py``), so a clone runs them without the
shared folder.  ``shared/contracts/plan.schema.json`` is the contract agreed across
the project; when that folder is beside the checkout, as on the project machine and
in CI, the two must be the same file.  A clone without it has nothing to compare
with: only that one comparison skips.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "routeplanner" / "contracts" / "plan.schema.json"
SHARED_SCHEMA = ROOT.parent / "shared" / "contracts" / "plan.schema.json"


def test_the_repository_copy_is_the_shared_contract():
    if not SHARED_SCHEMA.exists():
        pytest.skip(f"no shared contract to compare with at {SHARED_SCHEMA} (../shared is beside the checkout in CI)")
    assert SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes(), (
        f"{SCHEMA.relative_to(ROOT)} differs from {SHARED_SCHEMA}: copy the shared contract into the repository"
    )


def test_the_package_ships_the_contract(plan_schema):
    assert files("routeplanner.contracts").joinpath("plan.schema.json").read_bytes() == SCHEMA.read_bytes()
    jsonschema.Draft202012Validator.check_schema(plan_schema)
    assert plan_schema["title"].startswith("Mobile library plan")
