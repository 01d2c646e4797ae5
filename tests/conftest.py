"""Fixtures used across the tests: the plan contract (the repository's copy) and a validator for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "routeplanner" / "contracts" / "plan.schema.json"


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
