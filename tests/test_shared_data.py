"""The shared material beside the checkout (``../shared``), checked as the project uses it.

Tests of that data itself, not of the code: each published PVRP instance is
read as its table says and each reference solution scores its stated km; the
plan contract in the repository is the shared one, byte for byte.  The code
they exercise is tested on the repository's own fixtures elsewhere.  This
module is collected only where ``../shared`` is (on the project machine and
in CI; ``tests/conftest.py``): a clone without it has no such data to check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_benchmarks_pvrp import assert_read_as_stated, assert_scores_stated_km

from benchmarks.pvrp import SHARED

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "routeplanner" / "contracts" / "plan.schema.json"
SHARED_SCHEMA = ROOT.parent / "shared" / "contracts" / "plan.schema.json"

# instance: vehicles m, customers n, days t, capacity Q, customers per frequency, combinations in all
SHARED_INSTANCES = {
    "p02": (3, 50, 5, 160, {1: 17, 2: 26, 5: 7}, 170),
    "p03": (1, 50, 5, 160, {1: 50}, 250),
    "p04": (5, 75, 2, 140, {1: 75}, 150),
    "p05": (6, 75, 5, 140, {1: 30, 2: 34, 5: 11}, 263),
    "p06": (1, 75, 10, 140, {1: 75}, 750),
    "p07": (4, 100, 2, 200, {1: 100}, 200),
    "p12": (3, 163, 5, 140, {1: 148, 2: 8, 3: 7}, 785),
}


@pytest.mark.parametrize("name", sorted(SHARED_INSTANCES))
def test_reader_on_every_shared_file(name):
    assert_read_as_stated(SHARED / f"{name}.txt", SHARED_INSTANCES[name])


@pytest.mark.parametrize("name", sorted(SHARED_INSTANCES))
def test_reference_scores_its_stated_km(name):
    assert_scores_stated_km(SHARED / f"{name}.txt")


def test_the_repository_copy_is_the_shared_contract():
    assert SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes(), (
        f"{SCHEMA.relative_to(ROOT)} differs from {SHARED_SCHEMA}: copy the shared contract into the repository"
    )
