"""Why a stop is not served: structural reasons and competition, on hand-made travel matrices.

Drive matrices are written out by hand (depot at index 0, stop i at i + 1) and
deliberately asymmetric, so a swapped index or an off-by-one shows up in the
numbers of the message.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import DEPOT, scenario, stop

from routeplanner.diagnose import competition_reason, duration, insertion_need_min, structural_reason
from routeplanner.model import Frequency, Route, Vehicle, Visit

WEEKDAYS5 = ("Mon", "Tue", "Wed", "Thu", "Fri")


def one_stop_matrix(out_min: float, back_min: float) -> np.ndarray:
    return np.array([[0.0, out_min], [back_min, 0.0]])


# --- duration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "minutes, text",
    [
        (580, "9 h 40 min"),
        (540, "9 h"),
        (60, "1 h"),
        (61, "1 h 1 min"),
        (45, "45 min"),
        (1, "1 min"),
        (0, "0 min"),
        (0.2, "1 min"),  # part of a minute counts as a minute
        (59.01, "1 h"),
        (119.5, "2 h"),
        (120 + 1e-12, "2 h"),  # float noise is not an extra minute
        (1440, "24 h"),
    ],
)
def test_duration(minutes, text):
    assert duration(minutes) == text


# --- structural reasons -------------------------------------------------------------


def test_a_normal_stop_has_no_structural_reason():
    sc = scenario([stop("village", 0.1, service=20)], weeks=2, days=WEEKDAYS5)
    assert structural_reason(sc.stops[0], 0, sc, one_stop_matrix(30, 40)) is None


def test_no_allowed_working_day():
    s = stop("saturday", 0.1, days=("Sat",))
    sc = scenario([s], days=WEEKDAYS5)
    reason = structural_reason(s, 0, sc, one_stop_matrix(10, 10))
    assert reason.text == (
        "no allowed working day: it may only be visited on Sat, the cycle works Mon, Tue, Wed, Thu, Fri"
    )
    assert reason.suggestion == "allowing one of Mon, Tue, Wed, Thu, Fri for this stop would make it plannable"


@pytest.mark.parametrize(
    "freq, weeks, text, suggestion",
    [
        (Frequency(4), 2, "a 4-weekly stop needs a cycle of a multiple of 4 weeks; this cycle is 2 weeks",
         "a 4-week cycle, or a frequency that divides the cycle, would make it plannable"),
        (Frequency(2), 1, "a fortnightly stop needs a cycle of a multiple of 2 weeks; this cycle is 1 week",
         "a 2-week cycle, or a frequency that divides the cycle, would make it plannable"),
        (Frequency(2), 3, "a fortnightly stop needs a cycle of a multiple of 2 weeks; this cycle is 3 weeks",
         "a 4-week cycle, or a frequency that divides the cycle, would make it plannable"),
    ],
)
def test_frequency_the_cycle_cannot_hold(freq, weeks, text, suggestion):
    s = stop("periodic", 0.1, frequency=freq)
    sc = scenario([s], weeks=weeks, days=WEEKDAYS5)
    reason = structural_reason(s, 0, sc, one_stop_matrix(10, 10))
    assert (reason.text, reason.suggestion) == (text, suggestion)


def test_more_visits_than_working_days():
    s = stop("busy", 0.1, frequency=Frequency(visits=11))
    sc = scenario([s], weeks=2, days=WEEKDAYS5)
    reason = structural_reason(s, 0, sc, one_stop_matrix(10, 10))
    assert reason.text == "11 visits per cycle, but the cycle has only 10 working days"
    assert reason.suggestion == "at most 10 visits per cycle would make it plannable"
    # exactly one visit per working day is fine
    ok = stop("busy", 0.1, frequency=Frequency(visits=10))
    assert structural_reason(ok, 0, scenario([ok], weeks=2, days=WEEKDAYS5), one_stop_matrix(10, 10)) is None


def test_visits_that_cannot_be_spread_on_the_allowed_days():
    s = stop("mondays", 0.1, frequency=Frequency(visits=2), days=("Mon",))
    sc = scenario([s], weeks=1, days=WEEKDAYS5)
    reason = structural_reason(s, 0, sc, one_stop_matrix(10, 10))
    assert reason.text == "2 visits cannot be spread evenly over the cycle on its allowed days (Mon)"
    assert reason.suggestion


def test_more_loans_than_the_largest_vehicle_carries():
    vans = [Vehicle("Small", 2500), Vehicle("Big", 2800)]
    heavy = stop("heavy", 0.1, loans=3000.5, service=60)
    sc = scenario([heavy], days=WEEKDAYS5, vehicles=vans)
    reason = structural_reason(heavy, 0, sc, one_stop_matrix(10, 10))
    assert reason.text == (
        "more loans than the vehicle carries: 3000.5 loans per visit, the largest vehicle carries 2800 books"
    )
    assert reason.suggestion == "a vehicle carrying at least 3001 books would make it plannable"
    # exactly the largest vehicle's stock fits
    full = stop("full", 0.1, loans=2800, service=60)
    assert structural_reason(full, 0, scenario([full], vehicles=vans), one_stop_matrix(10, 10)) is None


def test_too_far_uses_both_directions_and_the_right_index():
    near = stop("near", 0.1, service=20)
    far = stop("far", 3.0, service=20)
    sc = scenario([near, far], days=WEEKDAYS5)  # shift 08:00-17:00 = 9 h
    drive = np.array(
        [
            [0.0, 10.0, 200.0],
            [12.0, 0.0, 190.0],
            [341.0, 330.0, 0.0],
        ]
    )
    assert structural_reason(near, 0, sc, drive) is None
    reason = structural_reason(far, 1, sc, drive)
    # 200 out + 20 at the door + 341 back = 561 min
    assert reason.text == "too far: a round trip from the depot with the stop takes 9 h 21 min, the shift is 9 h"
    assert reason.suggestion == "a shift of at least 9 h 21 min would make it reachable"


def test_round_trip_exactly_a_shift_is_not_too_far():
    s = stop("edge", 3.0, service=20)
    sc = scenario([s], days=WEEKDAYS5)
    assert structural_reason(s, 0, sc, one_stop_matrix(250, 270)) is None  # 250 + 20 + 270 = 540
    assert "too far" in structural_reason(s, 0, sc, one_stop_matrix(250, 270.5)).text


def test_the_longest_shift_decides_too_far():
    vans = [Vehicle("Short", 2500, 8 * 60, 12 * 60), Vehicle("Long", 2500, 7 * 60, 19 * 60)]
    s = stop("far", 3.0, service=20)
    sc = scenario([s], days=WEEKDAYS5, vehicles=vans)
    assert structural_reason(s, 0, sc, one_stop_matrix(300, 300)) is None  # 620 min < 12 h
    reason = structural_reason(s, 0, sc, one_stop_matrix(400, 400))
    assert "the shift is 12 h" in reason.text


def test_window_that_cannot_be_met():
    s = stop("school", 0.5, service=40, window=(8 * 60, 9 * 60 + 30))
    sc = scenario([s], days=WEEKDAYS5)
    # out 60 min: earliest opening 09:00; the door must close by 09:30 -> 10 min short
    reason = structural_reason(s, 0, sc, one_stop_matrix(60, 90))
    assert reason.text == (
        "its window 08:00-09:30 cannot be met: the van reaches it at 09:00 at the earliest, and needs "
        "40 min at the door and 1 h 30 min to drive back by 17:00"
    )
    assert reason.suggestion == "a window 10 min longer would make it reachable"


def test_window_that_is_just_wide_enough_is_fine():
    s = stop("school", 0.5, service=40, window=(8 * 60, 9 * 60 + 40))
    sc = scenario([s], days=WEEKDAYS5)
    assert structural_reason(s, 0, sc, one_stop_matrix(60, 90)) is None


def test_late_window_blocked_by_the_drive_back_but_met_by_a_later_shift():
    s = stop("care-home", 0.5, service=30, window=(16 * 60 + 30, 17 * 60 + 30))
    early = Vehicle("Early", 2500, 8 * 60, 17 * 60)
    # 08:00-17:00, 60 min back: the door must close by 16:00, the window opens 16:30
    reason = structural_reason(s, 0, scenario([s], vehicles=[early]), one_stop_matrix(60, 60))
    assert reason.text.startswith("its window 16:30-17:30 cannot be met")
    assert reason.suggestion == "a window 1 h longer would make it reachable"
    late = Vehicle("Late", 2500, 10 * 60, 19 * 60)
    assert structural_reason(s, 0, scenario([s], vehicles=[early, late]), one_stop_matrix(60, 60)) is None


# --- insertion need ----------------------------------------------------------------------

# depot 0, stop A 1, stop B 2 (asymmetric)
DRIVE = np.array(
    [
        [0.0, 30.0, 20.0],
        [30.0, 0.0, 10.0],
        [25.0, 10.0, 0.0],
    ]
)
INDEX_OF = {"a": 1, "b": 2}


def route_with_a(start: int = 480, week: int = 1, day: str = "Mon", loans: float = 30) -> Route:
    """depot -start- 30 min -> A (30 min open) - 30 min -> depot."""
    a = Visit("a", "A", DEPOT.lat, DEPOT.lon + 0.1, start + 30, start + 60, loans)
    return Route("Van", week, day, DEPOT, start, start + 90, [a])


def b_stop(window=None, loans=20) -> object:
    return stop("b", 0.2, service=20, window=window, loans=loans)


def test_insertion_need_by_hand():
    van = Vehicle("Van", 2500, 8 * 60, 9 * 60 + 40)  # the route ends 09:30, shift 09:40
    # before A: 20 drive + 20 open + 10 to A - 30 saved = +20 min -> ends 09:50, 10 min late
    # after A:  10 drive + 20 open + 25 home - 30 saved = +25 min -> 15 min late
    assert insertion_need_min(b_stop(), 1, route_with_a(), van, INDEX_OF, DRIVE) == pytest.approx(10)
    roomy = Vehicle("Van", 2500, 8 * 60, 11 * 60)
    assert insertion_need_min(b_stop(), 1, route_with_a(), roomy, INDEX_OF, DRIVE) == 0


def test_insertion_need_waits_for_the_window():
    van = Vehicle("Van", 2500, 8 * 60, 9 * 60 + 40)
    # opens 09:00: before A it waits from 08:20 to 09:00 (+60 min in all, 50 late);
    # after A it arrives 09:10, inside the window (+25, 15 late)
    need = insertion_need_min(b_stop(window=(9 * 60, 12 * 60)), 1, route_with_a(), van, INDEX_OF, DRIVE)
    assert need == pytest.approx(15)
    # closes 09:20: after A (09:10 + 20 min) misses it, only before A is left
    need = insertion_need_min(b_stop(window=(9 * 60, 9 * 60 + 20)), 1, route_with_a(), van, INDEX_OF, DRIVE)
    assert need == pytest.approx(50)
    # a window the day never reaches
    need = insertion_need_min(b_stop(window=(12 * 60, 12 * 60 + 10)), 1, route_with_a(), van, INDEX_OF, DRIVE)
    assert need == math.inf


def test_insertion_need_counts_books_on_board():
    van = Vehicle("Van", 2500, 8 * 60, 17 * 60)
    assert insertion_need_min(b_stop(loans=101), 1, route_with_a(loans=2400), van, INDEX_OF, DRIVE) == math.inf
    assert insertion_need_min(b_stop(loans=100), 1, route_with_a(loans=2400), van, INDEX_OF, DRIVE) == 0


# --- competition reasons ----------------------------------------------------------------

SHORT_VAN = Vehicle("Van", 2500, 8 * 60, 9 * 60 + 40, 45, 600)


def competition_scenario(b):
    a = stop("a", 0.1, service=30)
    return scenario([a, b], weeks=2, days=("Mon", "Tue"), vehicles=[SHORT_VAN])


def test_competition_reason_names_the_best_days_and_the_minutes():
    b = stop("b", 0.2, service=20, frequency=Frequency(1))  # weekly: Mon or Tue of both weeks
    sc = competition_scenario(b)
    routes = [
        route_with_a(480, 1, "Mon"),  # needs 10 min more
        route_with_a(485, 2, "Mon"),  # needs 15
        route_with_a(488, 1, "Tue"),  # needs 18
        route_with_a(480, 2, "Tue"),  # needs 10
    ]
    reason = competition_reason(b, 1, sc, routes, DRIVE)
    # Mondays need max(10, 15) = 15, Tuesdays max(18, 10) = 18
    assert reason.text == (
        "competes for time: serving it would need 15 min more on any of its allowed days (best: Mon of weeks 1, 2)"
    )
    assert reason.suggestion == "ending the shift at 09:55 on Mon of weeks 1, 2 would make room"


def test_competition_reason_when_a_free_day_exists():
    b = stop("b", 0.2, service=20)  # once per cycle
    sc = competition_scenario(b)
    routes = [route_with_a(480, 1, "Mon"), route_with_a(485, 2, "Mon"), route_with_a(488, 1, "Tue")]
    reason = competition_reason(b, 1, sc, routes, DRIVE)
    assert reason.text == (
        "competes for time: it fits on Tue of week 2 only if other stops move; the plan kept stops with more loans"
    )
    assert "time limit" in reason.suggestion


def test_competition_reason_for_books():
    b = stop("b", 0.2, service=20, loans=200)
    sc = competition_scenario(b)
    routes = [route_with_a(480, w, d, loans=2400) for w in (1, 2) for d in ("Mon", "Tue")]
    reason = competition_reason(b, 1, sc, routes, DRIVE)
    assert reason.text.startswith("competes for books")
    assert reason.suggestion == "a larger book stock on board, or a second vehicle, would make room"


def test_competition_minutes_round_up():
    b = stop("b", 0.2, service=20)
    sc = competition_scenario(b)
    drive = DRIVE.copy()
    drive[0, 2] = 20.25  # before A: +20.25 min -> 10.25 min late -> 11 min
    routes = [route_with_a(480, w, d) for w in (1, 2) for d in ("Mon", "Tue")]
    reason = competition_reason(b, 1, sc, routes, drive)
    assert "would need 11 min more" in reason.text
    assert "best: Mon of week 1)" in reason.text
    assert "ending the shift at 09:51 on Mon of week 1" in reason.suggestion


def test_competition_skips_days_without_books_for_days_without_time():
    b = stop("b", 0.2, service=20, loans=200, frequency=Frequency(1))
    sc = competition_scenario(b)
    routes = [
        route_with_a(480, 1, "Mon", loans=2400),  # books run out on Mondays
        route_with_a(480, 2, "Mon"),
        route_with_a(488, 1, "Tue"),  # needs 18 min
        route_with_a(480, 2, "Tue"),  # needs 10 min
    ]
    reason = competition_reason(b, 1, sc, routes, DRIVE)
    assert "would need 18 min more" in reason.text and "(best: Tue of weeks 1, 2)" in reason.text
