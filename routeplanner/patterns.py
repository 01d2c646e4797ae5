"""Visit patterns: on which (week, weekday) slots of the cycle a stop can be visited.

A stop's frequency and allowed weekdays give a short list of candidate
patterns.  Weekly, fortnightly and 4-weekly stops keep one weekday and come
back every ``period`` weeks; a stop with N visits per cycle gets N slots
spread evenly over the cycle's working days.  The solver picks one pattern per
stop and then routes every day; choosing a pattern first is what keeps
"every second Tuesday" true (see notes on the periodic model).

Slots are ``(week, day)`` with 0-based ``week`` and ``day`` an index into
``cycle.days``.
"""

from __future__ import annotations

from routeplanner.model import Cycle, Stop

Slot = tuple[int, int]
Pattern = tuple[Slot, ...]


def allowed_day_indices(stop: Stop, cycle: Cycle) -> list[int]:
    """Indices into ``cycle.days`` the stop may be visited on."""
    if not stop.days:
        return list(range(len(cycle.days)))
    return [i for i, d in enumerate(cycle.days) if d in stop.days]


def candidate_patterns(stop: Stop, cycle: Cycle) -> list[Pattern]:
    """Every pattern the stop's frequency, weekdays and pinned weeks allow, in a fixed order.

    Empty when none exists (no allowed working day, a period that does not
    divide the cycle, more visits than working days, no even spread that
    lands on allowed days only, or none that visits every pinned week).
    """
    patterns = _patterns(stop, cycle)
    if stop.weeks:
        # A pin of weeks keeps the patterns that visit each of them ("1" pins a
        # fortnightly stop of a 4-week cycle to weeks 1 and 3).
        pinned = {w - 1 for w in stop.weeks}
        patterns = [q for q in patterns if pinned <= {week for week, _d in q}]
    return patterns


def _patterns(stop: Stop, cycle: Cycle) -> list[Pattern]:
    days = allowed_day_indices(stop, cycle)
    weeks, n_days = cycle.weeks, len(cycle.days)
    freq = stop.frequency
    if not days:
        return []
    if stop.allowed_patterns:
        return explicit_patterns(stop, cycle)
    if freq.period_weeks is not None:
        period = freq.period_weeks
        if weeks % period:
            return []
        return [
            tuple((w0 + k * period, d) for k in range(weeks // period))
            for w0 in range(period)
            for d in days
        ]
    total = weeks * n_days
    n = freq.visits_per_cycle(weeks)
    if n > total:
        return []
    allowed = set(days)
    seen: set[Pattern] = set()
    out: list[Pattern] = []
    for ts in _even_spreads(n, total, allowed, n_days):
        pattern = tuple((t // n_days, t % n_days) for t in sorted(ts))
        if pattern not in seen:
            seen.add(pattern)
            out.append(pattern)
            if len(out) >= MAX_PATTERNS:
                break
    return out


def explicit_patterns(stop: Stop, cycle: Cycle) -> list[Pattern]:
    """The stop's ``allowed_patterns`` that the cycle can hold, as slots, in the given order.

    A combination is kept when every visit falls on a week of the cycle and on
    one of its working days that the stop allows, and it has as many visits as
    the frequency asks.
    """
    days = set(allowed_day_indices(stop, cycle))
    need = stop.frequency.visits_per_cycle(cycle.weeks)
    out: list[Pattern] = []
    for combination in stop.allowed_patterns:
        slots = []
        for week, day in combination:
            if not 1 <= week <= cycle.weeks or day not in cycle.days or cycle.days.index(day) not in days:
                break
            slots.append((week - 1, cycle.days.index(day)))
        else:
            pattern = tuple(sorted(set(slots)))
            if len(pattern) == need and pattern not in out:
                out.append(pattern)
    return out


#: Enough choice for the solver; more only slows the pattern phase down.
MAX_PATTERNS = 200


def _even_spreads(n: int, total: int, allowed: set[int], n_days: int):
    """Working-day indices of n visits whose circular gaps are all floor or ceil of total/n.

    Depth-first over the gaps, first slot in calendar order, pruned as soon as
    a visit lands on a day the stop does not allow.
    """
    q, r = divmod(total, n)
    gaps = (q,) if r == 0 else (q, q + 1)

    def extend(ts: list[int], used: int):
        if len(ts) == n:
            last_gap = total - (ts[-1] - ts[0])
            if last_gap in gaps:
                yield list(ts)
            return
        for g in gaps:
            t = ts[-1] + g
            if t - ts[0] >= total or (t % total) % n_days not in allowed:
                continue
            ts.append(t)
            yield from extend(ts, used + g)
            ts.pop()

    for t0 in range(total):
        if t0 % n_days not in allowed:
            continue
        for ts in extend([t0], 0):
            yield [t % total for t in ts]


def copy_slot_ranges(stop: Stop, cycle: Cycle) -> list[list[Slot]]:
    """For each visit of the stop, the slots it may take before a pattern is chosen.

    Visit k of a period-p stop may fall in weeks [k*p, (k+1)*p); visit k of an
    N-visit stop in the k-th N-th of the cycle.  Used to let the solver place
    the visits freely first and read a pattern off the result.  Where allowed
    weekdays leave a visit's share of the cycle empty, it may take the k-th
    slot of any candidate pattern instead.
    """
    days = allowed_day_indices(stop, cycle)
    weeks, n_days = cycle.weeks, len(cycle.days)
    freq = stop.frequency
    if stop.allowed_patterns:
        patterns = explicit_patterns(stop, cycle)
        return [sorted({p[k] for p in patterns}) for k in range(len(patterns[0]))] if patterns else []
    if freq.period_weeks is not None:
        p = freq.period_weeks
        return [[(w, d) for w in range(k * p, (k + 1) * p) for d in days] for k in range(weeks // p)]
    total = weeks * n_days
    n = freq.visits_per_cycle(weeks)
    out = []
    for k in range(n):
        lo, hi = k * total // n, (k + 1) * total // n
        out.append([(t // n_days, t % n_days) for t in range(lo, hi) if t % n_days in days])
    if not all(out):
        patterns = candidate_patterns(stop, cycle)
        out = [r or sorted({p[k] for p in patterns}) for k, r in enumerate(out)]
    return out
