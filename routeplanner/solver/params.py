"""How the solver searches: every tunable number in one dataclass, passed in.

The product runs with the defaults; benchmarks and tests pass their own
:class:`SearchParams` to :func:`routeplanner.solver.solve` instead of patching
module constants.  Each default says what was measured to choose it
(``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchParams:
    """The search's knobs.  Shares are of the whole time or work budget."""

    #: Seed of every random choice; the same seed and work limit give the same plan.
    seed: int = 0
    #: Independent runs of the periodic search, the budget shared; the best plan is kept
    #: (most must-stop visits, then loans, then km).  Which weekday each stop gets settles
    #: early in a run and decides much of the driving: on the samples three runs of 10 s
    #: drove 1-4 % less than one of 30 s and differed less from seed to seed.
    restarts: int = 3
    #: Above this many visits in the cycle one run uses the whole budget.
    restart_max_visits: int = 400

    # --- the periodic search: patterns and routes together -----------------------------------
    #: Share of the budget for the periodic search (the rest polishes the days and,
    #: with the stable-time rule, fits the times of the whole cycle).
    search_share: float = 0.8
    #: Move weights: one stop to its best other pattern; two stops swap patterns;
    #: several neighbouring stops taken out of the cycle and put back.
    relocate_weight: float = 0.4
    swap_weight: float = 0.2
    ruin_weight: float = 0.4
    #: Stops one ruin takes out of the cycle (all their visits): a random number in this range.
    cycle_ruin: tuple[int, int] = (2, 8)
    #: Neighbours a swap partner or a ruin is drawn from.
    neighbours: int = 10
    #: Simulated annealing: at the start a move that drives this share of an average
    #: leg more is accepted with probability 1/e; the temperature falls to 0 at the end.
    temperature: float = 0.5
    #: After this many accepted moves the whole cycle goes through one descent of the day
    #: routing (0: never).
    joint_descent_every: int = 300
    #: Above this many visits the search's periodic descents of the whole cycle are left
    #: out (each would take seconds).
    joint_descent_max_visits: int = 240
    #: Above this many visits, and without stable times to fit, the last phase improves
    #: each day on its own instead of routing the whole cycle as one model.
    joint_max_visits: int = 120

    # --- compact times -------------------------------------------------------------------------
    #: Share of the budget kept, after the search, for giving the chosen routes their final
    #: times (the least time on duty, the break between two stops; 0: off).
    retime_share: float = 0.03
    #: A minute on duty weighs this many minutes by which a stop's published window (on
    #: every visit, in 5-minute marks) falls short of its visit.  On the samples' routes 4
    #: took 1-1.2 minutes off that shortfall and left idle time within a minute of the
    #: search's own times; 1 and 2 traded more idle minutes for it (benchmarks/results/duty.md).
    retime_duty_weight: int = 4
    #: Deterministic seconds of CP-SAT per work unit (reproducible mode).
    retime_seconds_per_work: float = 0.015

    # --- routing the days (OR-Tools) ------------------------------------------------------------
    #: Seconds a descent from given routes may take before they count as having no
    #: times (timed mode; a descent normally takes a few hundredths).
    hint_limit_s: float = 2.0
    #: Visits one ruin of a routing model takes out: a random number in this range.
    day_ruin: tuple[int, int] = (6, 16)
    #: Up to this many visits in one routing model the improvement is ruin and
    #: recreate; above it guided local search.
    ruin_recreate_max_visits: int = 400
    #: Ruin and recreate moves to a fresh routing model after this many steps
    #: (every solve leaves memory with its model).
    rebuild_steps: int = 200
    #: A fleet whose visits x route-days exceed this is planned area by area.
    area_split_size: int = 2500

    # --- reproducible mode -----------------------------------------------------------------------
    #: Work units of one move of the search, and of a step of ruin and recreate in the
    #: day routing per visit of its model (at least 1): in proportion to what each takes
    #: on one core, so that ``work_limit = 2000`` spends about what 30 seconds do on the
    #: samples (at 0.1 it took 53-59 s on this project's machine, at 0.2 18-20 s).
    move_work: float = 0.12
    step_work_per_visit: float = 0.12

    def __post_init__(self) -> None:
        if self.restarts < 1:
            raise ValueError("restarts must be 1 or more")
        if not 0.0 < self.search_share <= 1.0:
            raise ValueError("search_share must be in (0, 1]")
        if min(self.cycle_ruin) < 1 or self.cycle_ruin[0] > self.cycle_ruin[1]:
            raise ValueError("cycle_ruin must be a range of 1 or more")
        if min(self.day_ruin) < 1 or self.day_ruin[0] > self.day_ruin[1]:
            raise ValueError("day_ruin must be a range of 1 or more")
        if self.relocate_weight < 0 or self.swap_weight < 0 or self.ruin_weight < 0 or \
                self.relocate_weight + self.swap_weight + self.ruin_weight <= 0:
            raise ValueError("move weights must be 0 or more, and not all 0")
