"""A proposal (a scenario beside today's layout, evaluated and compared) and its years.

planner/session.py makes it (:func:`planner.session.proposal`); the exports of
planner/report print it. It lives below both so that neither imports the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.diff import Diff
from planner.evaluation import Evaluation
from planner.plan import Plan
from planner.workspace import Workspace


@dataclass(frozen=True, eq=False)
class Years:
    """A scenario year by year: what `planner project` writes.

    Attributes
    ----------
    scenario
        The scenario (or "baseline").
    projection
        The children projected (planner.projection.Projection).
    schools
        Per year and school section: pupils (and the low and high variants'), classes
        needed, classes formed, largest class, places and the binding limit, size and cap.
    county
        Per year and section: children and pupils, each with the low–high band.
    crossings
        The years each school section crosses its size cap, the class cap, its places,
        100 pupils and the teaching-point floor.
    band_changes
        The crossings whose years differ in the low or high variant (planner.projection.
        band_changes).
    backtest
        The projection's hindcast (planner.backtest.Backtest), or None without a history.
    standards
        The profile the projection used.
    """

    scenario: str
    projection: object
    schools: object
    county: object
    crossings: object
    band_changes: object = None
    backtest: object = None
    standards: object = None

    @property
    def notes(self) -> tuple[str, ...]:
        """What the reader must know about the projection."""
        return self.projection.notes


@dataclass(frozen=True, eq=False)
class Proposal:
    """A scenario next to today's layout, evaluated and compared (what an export writes)."""

    name: str
    base_ws: Workspace
    ws: Workspace
    base_plan: Plan
    plan: Plan
    before: Evaluation
    after: Evaluation
    diff: Diff
    edits: list[dict]
    roadmap: object
    years: Years | None = None
    closures: tuple = ()
