"""The KPIs of a plan: plain arithmetic over the model.

Shared by the solver (the totals a plan states) and the checker (the totals
it recomputes from the visits), and by everything that shows them; no IO and
no third-party imports, so neither the solver nor the checker needs a reader
or a writer to count.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from routeplanner.model import Route, Scenario, Totals


def compute_totals(routes: Iterable[Route], scenario: Scenario) -> Totals:
    """The KPIs of ``routes`` measured against everything ``scenario`` asks for.

    Distances and drive times are taken from the routes as they stand; the
    checker passes routes whose legs it has recomputed itself.
    """
    routes = list(routes)
    weeks = scenario.cycle.weeks
    counts: dict[str, int] = defaultdict(int)
    for route in routes:
        for visit in route.visits:
            counts[visit.stop_id] += 1
    visits = [v for r in routes for v in r.visits]
    return Totals(
        distance_km=sum(r.distance_m for r in routes) / 1000.0,
        drive_minutes=float(sum(r.drive_min for r in routes)),
        service_minutes=float(sum(v.departure_min - v.arrival_min for v in visits)),
        visits=len(visits),
        # A stop counts as served only when its whole frequency is met: half
        # a fortnightly pattern is not a timetable a patron can rely on.
        stops_served=sum(1 for s in scenario.stops if counts[s.id] >= s.frequency.visits_per_cycle(weeks)),
        stops_total=len(scenario.stops),
        loans_served=float(sum(v.loans for v in visits)),
        loans_total=float(sum(s.loans_per_visit * s.frequency.visits_per_cycle(weeks) for s in scenario.stops)),
    )


def loans_share_pct(totals: Totals) -> float:
    """The expected loans the plan serves, in per cent (100 when none are expected)."""
    return 100.0 * totals.loans_served / totals.loans_total if totals.loans_total else 100.0
