"""Visit patterns: which (week, weekday) slots a stop's visits may take."""

from __future__ import annotations

import itertools

import pytest

from routeplanner.model import Cycle, Frequency, Stop
from routeplanner.patterns import allowed_day_indices, candidate_patterns, copy_slot_ranges

WEEKDAYS5 = ("Mon", "Tue", "Wed", "Thu", "Fri")
WEEKLY, FORTNIGHTLY, FOUR_WEEKLY = Frequency(1), Frequency(2), Frequency(4)


def make_stop(frequency: Frequency, days: tuple[str, ...] = ()) -> Stop:
    return Stop("s", "S", 55.0, 25.0, 10, frequency=frequency, service_min=15, days=days)


def cycle(weeks: int, days=WEEKDAYS5) -> Cycle:
    return Cycle(weeks, tuple(days))


def circular_gaps(pattern, n_days: int, total: int) -> list[int]:
    ts = sorted(w * n_days + d for w, d in pattern)
    return [b - a for a, b in zip(ts, ts[1:])] + [ts[0] + total - ts[-1]]


# --- periodic frequencies --------------------------------------------------------


@pytest.mark.parametrize(
    "freq, weeks, count",
    [
        (WEEKLY, 1, 5),
        (WEEKLY, 2, 5),
        (WEEKLY, 4, 5),
        (FORTNIGHTLY, 2, 10),
        (FORTNIGHTLY, 4, 10),
        (FOUR_WEEKLY, 4, 20),
    ],
)
def test_periodic_pattern_counts_and_shape(freq, weeks, count):
    period = freq.period_weeks
    patterns = candidate_patterns(make_stop(freq), cycle(weeks))
    assert len(patterns) == count == period * 5
    assert len(set(patterns)) == count, "no duplicates"
    for p in patterns:
        assert len(p) == weeks // period
        assert len({d for _, d in p}) == 1, "one weekday for every visit"
        weeks_of = [w for w, _ in p]
        w0 = weeks_of[0]
        assert 0 <= w0 < period
        assert weeks_of == [w0 + k * period for k in range(weeks // period)]
    # every (first week, weekday) combination is offered exactly once
    assert {(p[0][0], p[0][1]) for p in patterns} == {(w, d) for w in range(period) for d in range(5)}


def test_fortnightly_in_four_weeks_is_weeks_w0_and_w0_plus_2():
    patterns = candidate_patterns(make_stop(FORTNIGHTLY), cycle(4))
    assert sorted(patterns) == sorted(((w0, d), (w0 + 2, d)) for w0 in (0, 1) for d in range(5))


@pytest.mark.parametrize(
    "freq, weeks",
    [(FORTNIGHTLY, 1), (FOUR_WEEKLY, 1), (FOUR_WEEKLY, 2), (FORTNIGHTLY, 3), (Frequency(3), 4), (FOUR_WEEKLY, 6)],
)
def test_period_that_does_not_divide_the_cycle_has_no_pattern(freq, weeks):
    assert candidate_patterns(make_stop(freq), cycle(weeks)) == []


def test_allowed_days_filter_periodic_patterns():
    stop = make_stop(FORTNIGHTLY, days=("Tue", "Thu"))
    patterns = candidate_patterns(stop, cycle(4))
    assert len(patterns) == 2 * 2
    assert {d for p in patterns for _, d in p} == {1, 3}
    # weekdays outside the cycle are ignored; none left means no pattern
    assert candidate_patterns(make_stop(WEEKLY, days=("Wed", "Sat")), cycle(2)) == [((0, 2), (1, 2))]
    assert candidate_patterns(make_stop(WEEKLY, days=("Sat", "Sun")), cycle(2)) == []


def test_allowed_day_indices_follow_the_cycle_order():
    c = cycle(1, ("Tue", "Thu", "Sat"))
    assert allowed_day_indices(make_stop(WEEKLY), c) == [0, 1, 2]
    assert allowed_day_indices(make_stop(WEEKLY, days=("Sat", "Tue")), c) == [0, 2]
    assert allowed_day_indices(make_stop(WEEKLY, days=("Mon",)), c) == []


# --- N visits per cycle -------------------------------------------------------------


@pytest.mark.parametrize("weeks", [1, 2, 4])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 6, 7, 9, 10])
def test_n_visits_are_spread_evenly(weeks, n):
    total = weeks * 5
    patterns = candidate_patterns(make_stop(Frequency(visits=n)), cycle(weeks))
    if n > total:
        assert patterns == []
        return
    assert patterns, "an even spread always exists on a cycle with every weekday allowed"
    lo, hi = total // n, -(-total // n)
    for p in patterns:
        assert len(p) == n and len(set(p)) == n
        assert list(p) == sorted(p), "slots in calendar order"
        assert all(0 <= w < weeks and 0 <= d < 5 for w, d in p)
        gaps = circular_gaps(p, 5, total)
        assert sum(gaps) == total
        assert all(lo <= g <= hi for g in gaps), (p, gaps)
    assert len(set(patterns)) == len(patterns)


def test_n_visits_counts_by_hand():
    # once per 2-week cycle: any of the 10 working days
    assert len(candidate_patterns(make_stop(Frequency(visits=1)), cycle(2))) == 10
    # twice in 2 weeks: the same weekday of both weeks (gap 5 both ways)
    twice = candidate_patterns(make_stop(Frequency(visits=2)), cycle(2))
    assert sorted(twice) == [((0, d), (1, d)) for d in range(5)]
    # every working day of the cycle: exactly one pattern, all slots
    assert candidate_patterns(make_stop(Frequency(visits=10)), cycle(2)) == [
        tuple((w, d) for w in range(2) for d in range(5))
    ]


def test_n_visits_with_allowed_days():
    # twice a week on Mon/Wed only: the only spread with gaps 2 and 3 is Mon+Wed
    assert candidate_patterns(make_stop(Frequency(visits=2), days=("Mon", "Wed")), cycle(1)) == [((0, 0), (0, 2))]
    # twice in 2 weeks on Wednesdays only
    assert candidate_patterns(make_stop(Frequency(visits=2), days=("Wed",)), cycle(2)) == [((0, 2), (1, 2))]
    # twice in one week on Mondays only: impossible
    assert candidate_patterns(make_stop(Frequency(visits=2), days=("Mon",)), cycle(1)) == []
    some = candidate_patterns(make_stop(Frequency(visits=3), days=("Mon", "Tue", "Thu")), cycle(4))
    assert some
    for p in some:
        assert {d for _, d in p} <= {0, 1, 3}
        assert all(g in (6, 7) for g in circular_gaps(p, 5, 20)), p  # 20/3 -> 6 or 7


@pytest.mark.parametrize("n, weeks", [(6, 1), (11, 2), (21, 4)])
def test_more_visits_than_working_days_has_no_pattern(n, weeks):
    assert candidate_patterns(make_stop(Frequency(visits=n)), cycle(weeks)) == []


def test_an_existing_even_spread_on_allowed_days_is_found():
    # 7 visits in a 2-week Mon-Fri cycle, Mon-Thu allowed: slots 0,1,2,3,5,6,8 have
    # circular gaps 1,1,1,2,1,2,2 -- every gap floor(10/7)=1 or ceil=2, no Friday.
    stop = make_stop(Frequency(visits=7), days=("Mon", "Tue", "Wed", "Thu"))
    witness = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 3))
    assert set(circular_gaps(witness, 5, 10)) == {1, 2}
    assert candidate_patterns(stop, cycle(2)) != []


# --- copy slot ranges ----------------------------------------------------------------


@pytest.mark.parametrize(
    "freq, weeks",
    [
        (WEEKLY, 1), (WEEKLY, 4), (FORTNIGHTLY, 2), (FORTNIGHTLY, 4), (FOUR_WEEKLY, 4),
        (Frequency(visits=1), 2), (Frequency(visits=3), 2), (Frequency(visits=7), 4), (Frequency(visits=10), 2),
    ],
)
def test_copy_slot_ranges_cover_the_cycle_without_overlap(freq, weeks):
    stop = make_stop(freq)
    ranges = copy_slot_ranges(stop, cycle(weeks))
    assert len(ranges) == freq.visits_per_cycle(weeks)
    flat = [s for r in ranges for s in r]
    assert len(flat) == len(set(flat)), "no slot in two ranges"
    assert set(flat) == {(w, d) for w in range(weeks) for d in range(5)}, "every slot in some range"
    assert all(ranges), "every visit has somewhere to go"
    # ranges are consecutive stretches of the calendar, in order
    for r in ranges:
        ts = [w * 5 + d for w, d in r]
        assert ts == list(range(ts[0], ts[0] + len(ts)))
    starts = [r[0][0] * 5 + r[0][1] for r in ranges]
    assert starts == sorted(starts)
    if freq.period_weeks is not None:
        # visit k of a period-p stop falls in weeks [k*p, (k+1)*p): every
        # candidate pattern puts exactly one visit in each range
        index = {s: k for k, r in enumerate(ranges) for s in r}
        for p in candidate_patterns(stop, cycle(weeks)):
            assert [index[s] for s in p] == list(range(len(ranges)))


def test_copy_slot_ranges_respect_allowed_days():
    stop = make_stop(FORTNIGHTLY, days=("Tue", "Fri"))
    ranges = copy_slot_ranges(stop, cycle(4))
    assert ranges == [
        [(0, 1), (0, 4), (1, 1), (1, 4)],
        [(2, 1), (2, 4), (3, 1), (3, 4)],
    ]
    flat = [s for r in ranges for s in r]
    assert len(flat) == len(set(flat))


def test_periodic_patterns_fit_the_ranges_over_many_cycles():
    """Exhaustive over small cycles: a periodic stop's patterns and ranges agree for every day set."""
    for weeks in (1, 2, 4):
        for n_days in (3, 5):
            days = WEEKDAYS5[:n_days]
            c = cycle(weeks, days)
            for freq in (WEEKLY, FORTNIGHTLY, FOUR_WEEKLY):
                for k in range(1, n_days + 1):
                    for allowed in itertools.combinations(days, k):
                        stop = make_stop(freq, days=allowed)
                        patterns = candidate_patterns(stop, c)
                        ranges = copy_slot_ranges(stop, c)
                        if weeks % freq.period_weeks:
                            assert patterns == []
                            continue
                        assert len(patterns) == freq.period_weeks * k
                        index = {s: j for j, r in enumerate(ranges) for s in r}
                        allowed_idx = {days.index(a) for a in allowed}
                        for p in patterns:
                            assert {d for _, d in p} <= allowed_idx
                            assert [index[s] for s in p] == list(range(len(ranges))), (weeks, days, freq, allowed)


def test_explicit_combinations_replace_the_frequency_rules():
    from routeplanner.patterns import candidate_patterns, copy_slot_ranges

    cycle = Cycle(1, ("Mon", "Tue", "Wed", "Thu", "Fri"))
    combos = (((1, "Mon"), (1, "Wed")), ((1, "Tue"), (1, "Thu")), ((1, "Wed"), (1, "Fri")),
              ((1, "Sat"), (1, "Mon")), ((1, "Mon"),))  # a day off the cycle, and too few visits: dropped
    stop = Stop("s", "S", 55.0, 25.0, 10, Frequency(visits=2), allowed_patterns=combos)
    assert candidate_patterns(stop, cycle) == [((0, 0), (0, 2)), ((0, 1), (0, 3)), ((0, 2), (0, 4))]
    assert copy_slot_ranges(stop, cycle) == [[(0, 0), (0, 1), (0, 2)], [(0, 2), (0, 3), (0, 4)]]
    only_tue = Stop("t", "T", 55.0, 25.0, 10, Frequency(visits=2), days=("Mon", "Wed", "Fri"), allowed_patterns=combos)
    assert candidate_patterns(only_tue, cycle) == [((0, 0), (0, 2)), ((0, 2), (0, 4))]
