"""Budget and SearchParams: the two things every phase of the search is given."""

from __future__ import annotations

import pytest

from routeplanner.solver.budget import Budget
from routeplanner.solver.params import SearchParams


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_work_share_spends_its_parents_work_and_never_outlives_it():
    whole = Budget(work=100)
    part = whole.share(0.5)
    assert part.left() == 50
    part.charge(30)
    assert (whole.used(), part.used()) == (30, 30)
    whole.charge(60)  # the parent spent elsewhere: 10 left, so the share has 10 too
    assert part.left() == 10
    assert part.fraction_used() == pytest.approx(0.8)
    part.charge(10)
    assert part.exhausted() and whole.exhausted()
    assert part.seconds_left() is None


def test_a_timed_budget_follows_its_clock_and_ignores_work():
    clock = Clock()
    whole = Budget(seconds=10, clock=clock)
    part = whole.share(0.25)
    whole.charge(1000)
    assert whole.left() == 10 and part.left() == 2.5
    clock.now += 2
    assert part.left() == pytest.approx(0.5) and whole.left() == pytest.approx(8)
    assert part.fraction_used() == pytest.approx(0.8)
    clock.now += 1
    assert part.exhausted() and not whole.exhausted()
    assert whole.seconds_left() == pytest.approx(7)


def test_a_budget_is_seconds_or_work():
    with pytest.raises(ValueError):
        Budget()
    with pytest.raises(ValueError):
        Budget(seconds=1, work=1)


@pytest.mark.parametrize("bad", [
    {"restarts": 0}, {"search_share": 0}, {"search_share": 1.5}, {"cycle_ruin": (3, 2)}, {"day_ruin": (0, 4)},
    {"relocate_weight": 0, "swap_weight": 0, "ruin_weight": 0}, {"swap_weight": -1},
])
def test_search_params_refuse_what_cannot_run(bad):
    with pytest.raises(ValueError):
        SearchParams(**bad)
