"""Fixtures used across the tests: the plan contract (the repository's copy) and a validator for it;
the checks of ../shared's data where it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "routeplanner" / "contracts" / "plan.schema.json"
SHARED = ROOT.parent / "shared"

#: The checks of the shared material's own data (tests/test_shared_data.py) and of the UK timetables
#: (tests/test_uk_timetables.py) are collected only where that material is: beside the checkout on
#: the project machine and in CI.
collect_ignore = [] if SHARED.is_dir() else ["test_shared_data.py", "test_uk_timetables.py"]


def pytest_report_header(config):
    if not SHARED.is_dir():
        return (f"no shared material at {SHARED}: tests/test_shared_data.py (checks of its data) and "
                "tests/test_uk_timetables.py not collected")
    return None


@pytest.fixture
def plan_schema():
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture
def validate_plan(plan_schema):
    """Validate a plan dict against plan.schema.json; returns the error messages."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(plan_schema, format_checker=jsonschema.FormatChecker())

    def run(document: dict) -> list[str]:
        return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document)]

    return run
