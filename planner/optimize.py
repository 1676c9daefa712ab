"""Catchments that meet the caps at the least travel (issue 7).

For one section, every unit is zoned to one school of that section and — the zoning the
standard asks for — every child of the unit in that section attends it (an option keeps
today's out-of-zone choosers where they are). The assignment minimises the student-weighted
road distance plus a weight on every student who changes school, subject to

- the school size cap (G4: 2000, nine- and twelve-year schools 2500, the other section's
  students counted as they are);
- classes: a grade of n pupils needs ceil(n / cap) classes (45 primary, 50 junior) and a
  school has its classrooms for them, less the classes of its other section (teaching
  points teach mixed-grade classes: ceil(all pupils / cap));
- contiguity: a unit may join a school only if a neighbouring unit nearer to that school by
  road joins it too, or the unit holds the school — so every catchment is connected and
  contains its school (a unit whose neighbours are all further by road counts as just further
  than the nearest of them: :func:`contiguity_keys`);
- an optional largest distance, and units the planner locks to their current school.

CP-SAT solves it (two workers, a time limit, progress through a callback); GLOP solves the
LP relaxation of the same model for the bound the gap is reported against. Candidate schools
of a unit are its `candidates` nearest within the distance limit, its current school and the
schools its neighbours could join (so contiguity never runs out of candidates); the optimum is
over that set, and :func:`brute_force` checks it on small cases.

When the caps cannot be met, :func:`diagnose` says where seats are short (an LP that may leave
children unserved) and proposes sites for new schools among the units' points (capacitated
p-median); the request ends in :class:`~planner.errors.InfeasibleError` with those numbers.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from planner import travel
from planner.checklist import class_over_cap, size_over_cap
from planner.errors import InfeasibleError, InputError
from planner.plan import Plan, apply_edits
from planner.plan.classes import plan_classes, section_classes
from planner.schema import SECTIONS
from planner.workspace import WGS84
from planner.zoning import outside_catchments

DEFAULT_CANDIDATES = 8
DEFAULT_CHANGE_WEIGHT_M = 500.0  # one student changing school costs as much as 500 m of travel
NEW_SCHOOL_CLASSES = {"primary": 24, "junior": 24}  # a standard new school: 4 / 8 per grade


@dataclass(frozen=True)
class Options:
    """What the planner asks of the optimiser.

    Attributes
    ----------
    section
        "primary" or "junior".
    time_limit_s
        Wall-clock limit for CP-SAT.
    max_distance_m
        No child is zoned further than this by road (None: no limit).
    locks
        Units that keep their current school.
    keep_choosers
        Out-of-zone choosers stay at their schools (they still count against its caps).
    change_weight_m
        Metres of travel one student changing school is worth.
    candidates
        How many nearest schools each unit may be zoned to (more: slower, never worse).
    """

    section: str
    time_limit_s: float = 60.0
    max_distance_m: float | None = None
    locks: tuple[str, ...] = ()
    keep_choosers: bool = False
    change_weight_m: float = DEFAULT_CHANGE_WEIGHT_M
    candidates: int = DEFAULT_CANDIDATES


@dataclass(frozen=True)
class Instance:
    """One section's assignment problem, in arrays (units U, schools S, grades G).

    Attributes
    ----------
    unit_ids, school_ids
        Labels; schools are those teaching the section.
    demand
        (U, G) children to place per grade.
    fixed
        (S, G) pupils who stay whatever the zoning (choosers kept), per grade.
    present
        (U, S) children of the unit in the section attending the school now.
    zoned
        (U,) the current zoned school, −1 if none.
    dist
        (U, S) road distance, metres (inf where unreachable).
    size_cap
        (S,) room for the section's pupils under G4.
    rooms
        (S,) classrooms for the section's classes.
    class_cap
        Largest class of the section.
    multigrade
        (S,) teaching points: one class for several grades.
    holder
        (S,) the unit the school stands in.
    neighbours
        Per unit, the units it touches.
    candidates
        Per unit, the school indices it may be zoned to.
    locked
        Unit index → school index.
    change_weight_m, max_distance_m, keep_choosers
        The options of the same names.
    key
        (U, S) the order "nearer to the school" of the contiguity rule (see
        :func:`contiguity_keys`); set by :func:`with_candidates`.
    """

    section: str
    unit_ids: np.ndarray
    school_ids: np.ndarray
    demand: np.ndarray
    fixed: np.ndarray
    present: np.ndarray
    zoned: np.ndarray
    dist: np.ndarray
    size_cap: np.ndarray
    rooms: np.ndarray
    class_cap: int
    multigrade: np.ndarray
    holder: np.ndarray
    neighbours: list[list[int]]
    candidates: list[list[int]]
    locked: dict[int, int]
    change_weight_m: float = DEFAULT_CHANGE_WEIGHT_M
    max_distance_m: float | None = None
    key: np.ndarray | None = None
    keep_choosers: bool = False

    def reach(self, u: int) -> np.ndarray:
        """(S,) the schools unit u may be zoned to by distance."""
        d = self.dist[u]
        return np.isfinite(d) & (d <= (np.inf if self.max_distance_m is None
                                       else self.max_distance_m))

    def cost(self, u: int, s: int) -> int:
        """Objective coefficient of zoning unit u to school s (metres × pupils, integer)."""
        n = int(self.demand[u].sum())
        return int(round(n * self.dist[u, s] + self.change_weight_m * self.changes(u, s)))

    def changes(self, u: int, s: int) -> int:
        """Pupils of unit u who change school if u is zoned to s."""
        return int(self.demand[u].sum() - min(self.present[u, s], self.demand[u].sum()))

    def loads(self, assign: np.ndarray) -> np.ndarray:
        """(S, G) pupils per school and grade under an assignment (unit → school index)."""
        out = self.fixed.copy()
        np.add.at(out, assign, self.demand)
        return out

    def classes(self, loads: np.ndarray) -> np.ndarray:
        """Classes each school needs for its loads (see planner/plan/classes.py)."""
        return np.array([_classes(self, s, loads[s]) for s in range(len(loads))],
                        dtype=np.int64)

    def violations(self, assign: np.ndarray) -> list[str]:
        """Say which caps, distances or contiguity an assignment breaks (empty: none)."""
        out = []
        loads = self.loads(assign)
        size, classes = loads.sum(axis=1), self.classes(loads)
        for s in np.flatnonzero(size > self.size_cap):
            out.append(f"{self.school_ids[s]}: {size[s]} pupils over room for {self.size_cap[s]}")
        for s in np.flatnonzero(classes > self.rooms):
            out.append(f"{self.school_ids[s]}: {classes[s]} classes in {self.rooms[s]} rooms")
        for u, s in enumerate(assign):
            if not np.isfinite(self.dist[u, s]):
                out.append(f"{self.unit_ids[u]}: no road to {self.school_ids[s]}")
            elif self.key is not None and self.holder[s] != u and not any(
                    assign[v] == s and _nearer(self, v, u, s) for v in self.neighbours[u]):
                out.append(f"{self.unit_ids[u]}: joins {self.school_ids[s]} with no neighbour "
                           "nearer to it in the catchment")
        for s in np.unique(assign):
            members = set(np.flatnonzero(assign == s))
            if not _connected(members, self.neighbours, int(self.holder[s])):
                out.append(f"{self.school_ids[s]}: catchment not contiguous with its school")
        return out

    def objective(self, assign: np.ndarray) -> int:
        """The objective of an assignment."""
        return sum(self.cost(u, int(s)) for u, s in enumerate(assign))

    def travel(self, assign: np.ndarray) -> float:
        """Pupil-metres of the placed children under an assignment."""
        return float(sum(self.demand[u].sum() * self.dist[u, s] for u, s in enumerate(assign)))


def _connected(members: set[int], neighbours: list[list[int]], holder: int) -> bool:
    if holder not in members:
        return False
    seen, todo = {holder}, [holder]
    while todo:
        u = todo.pop()
        for v in neighbours[u]:
            if v in members and v not in seen:
                seen.add(v)
                todo.append(v)
    return seen == members


@dataclass(frozen=True)
class Result:
    """What the optimiser found.

    Attributes
    ----------
    instance
        The problem solved.
    assign
        Unit index → school index.
    status
        "optimal" (proven) or "feasible" (time limit).
    objective, best_bound, lp_bound
        The objective, CP-SAT's proven bound and the LP relaxation's bound.
    seconds
        Wall-clock time of the solve.
    progress
        (seconds, objective, bound) at every improving solution.
    replans
        `set_school` edits that re-plan classes at the cap where no move touched a school
        whose classes today break it (the model counts classes at the cap everywhere).
    """

    instance: Instance
    assign: np.ndarray
    status: str
    objective: float
    best_bound: float
    lp_bound: float
    seconds: float
    progress: list[tuple[float, float, float]] = field(default_factory=list)
    replans: tuple[dict, ...] = ()

    @property
    def gap(self) -> float:
        """Relative gap to the best bound known (CP-SAT's or the LP's)."""
        bound = max(self.best_bound, self.lp_bound)
        return 0.0 if self.objective <= 0 else max(0.0, (self.objective - bound) / self.objective)

    @property
    def lp_gap(self) -> float:
        """Relative gap to the LP relaxation's bound."""
        return 0.0 if self.objective <= 0 else max(0.0, (self.objective - self.lp_bound)
                                                   / self.objective)

    def edits(self) -> list[dict]:
        """The scenario edits that make this zoning: moves, then zoning enforced."""
        inst = self.instance
        out = [{"op": "move_unit", "unit_id": str(inst.unit_ids[u]), "section": inst.section,
                "to_school": str(inst.school_ids[s])}
               for u, s in enumerate(self.assign) if s != inst.zoned[u]]
        if not self.kept_choosers:
            out.append({"op": "enforce_zoning", "school_id": None, "section": inst.section})
        return out + list(self.replans)

    @property
    def kept_choosers(self) -> bool:
        """Whether today's out-of-zone choosers stay at their schools."""
        return self.instance.keep_choosers

    def summary(self) -> dict:
        """Numbers to print: objective, bounds, gap, travel, moves."""
        inst = self.instance
        pupils = int(inst.demand.sum())
        travel_m = inst.travel(self.assign)
        return {"section": inst.section, "status": self.status, "objective": self.objective,
                "best_bound": self.best_bound, "lp_bound": self.lp_bound, "gap": self.gap,
                "lp_gap": self.lp_gap, "seconds": self.seconds, "pupils": pupils,
                "travel_km": travel_m / 1000, "mean_m": travel_m / pupils if pupils else 0.0,
                "units_moved": int((self.assign != inst.zoned).sum()),
                "pupils_changing_school": int(sum(inst.changes(u, int(s))
                                                  for u, s in enumerate(self.assign)))}


# --- building the instance ---------------------------------------------------------------------

def unit_neighbours(units: gpd.GeoDataFrame, crs_m: str) -> list[list[int]]:
    """Return, per unit, the units it touches (polygons) or its Delaunay neighbours (points)."""
    g = units.to_crs(crs_m).geometry.reset_index(drop=True)
    n = len(g)
    out: list[set[int]] = [set() for _ in range(n)]
    polys = g.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if polys.all():
        geoms = g.buffer(1.0).to_numpy()
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        pairs = zip(left, right, strict=True)
    else:
        pts = g.representative_point()
        xy = np.column_stack([pts.x, pts.y])
        edges = shapely.delaunay_triangles(shapely.multipoints(xy), only_edges=True)
        index = {(round(x, 3), round(y, 3)): i for i, (x, y) in enumerate(xy)}
        pairs = []
        for line in getattr(edges, "geoms", []):
            (x0, y0), (x1, y1) = line.coords
            pairs.append((index[(round(x0, 3), round(y0, 3))],
                          index[(round(x1, 3), round(y1, 3))]))
    for i, j in pairs:
        if i != j:
            out[int(i)].add(int(j))
            out[int(j)].add(int(i))
    return [sorted(s) for s in out]


def school_holders(plan: Plan, school_idx: np.ndarray) -> np.ndarray:
    """Return the index of the unit each school stands in (the nearest unit if in none)."""
    crs = plan.source.meta.crs
    units = plan.once(("units_m", crs), lambda: plan.source.units.to_crs(crs).geometry
                      .reset_index(drop=True).to_numpy())
    pts = gpd.GeoSeries(gpd.points_from_xy(plan.schools["lon"][school_idx],
                                           plan.schools["lat"][school_idx]),
                        crs=WGS84).to_crs(crs).to_numpy()
    tree = shapely.STRtree(units)
    out = np.empty(len(pts), dtype=np.int64)
    for k, pt in enumerate(pts):
        hit = tree.query(pt, predicate="intersects")
        out[k] = int(hit.min()) if len(hit) else int(tree.nearest(pt))
    return out


def neighbours_of(plan: Plan) -> list[list[int]]:
    """The units each unit touches (made once per workspace)."""
    return plan.once(("neighbours",),
                     lambda: unit_neighbours(plan.source.units, plan.source.meta.crs))


def build_instance(plan: Plan, options: Options) -> Instance:
    """Set up one section's problem from a plan (its zoning, enrolment and distances).

    Raises
    ------
    InputError
        Unknown section or locked unit, or the plan has no distances.
    """
    sec = options.section
    std = plan.standards
    if sec not in SECTIONS:
        raise InputError.single("", f"expected primary or junior, got {sec!r}",
                                column="section")
    if plan.distances is None or not plan.has_zoning:
        raise InputError.single("", "optimising catchments needs units, catchments, enrolment "
                                "and unit × school distances")
    k = SECTIONS.index(sec)
    idx = np.flatnonzero(plan.teaches(sec))
    sids = plan.school_ids[idx]
    local = np.full(len(plan.school_ids), -1, dtype=np.int64)
    local[idx] = np.arange(len(idx))
    uids = plan.units.ids
    grades = list(std.grades(sec))
    r = plan.rows
    # pupils of special schools are outside every catchment: they stay where they are
    sel = (std.is_junior(r.grade) == bool(k)) & ~outside_catchments(plan)
    eu, es, en = r.eu[sel], local[r.es[sel]], r.n[sel].astype(np.int64)
    eg = r.grade[sel] - grades[0]
    ez = np.where(r.ez[sel] >= 0, local[np.maximum(r.ez[sel], 0)], -1)
    if (es < 0).any():
        bad = plan.school_ids[r.es[sel][es < 0][0]]
        raise InputError.single("", f"pupils of the {sec} section attend {bad}, which has no "
                                f"{sec} section", layer="enrolment", column="school_id")
    zoned = np.where(plan.zone[k] >= 0, local[np.maximum(plan.zone[k], 0)], -1)
    n_u, n_s, n_g = len(uids), len(sids), len(grades)
    present = np.zeros((n_u, n_s), dtype=np.int64)
    np.add.at(present, (eu, es), en)
    keep = options.keep_choosers & (es != ez)
    demand = np.zeros((n_u, n_g), dtype=np.int64)
    np.add.at(demand, (eu[~keep], eg[~keep]), en[~keep])
    fixed = np.zeros((n_s, n_g), dtype=np.int64)
    np.add.at(fixed, (es[keep], eg[keep]), en[keep])
    if options.keep_choosers:
        present = np.zeros_like(present)
        present[np.arange(n_u)[zoned >= 0], zoned[zoned >= 0]] = demand[zoned >= 0].sum(axis=1)
    dist = plan.distances.matrix[:, idx]
    dist = np.where(np.isnan(dist), np.inf, dist)
    other = SECTIONS[1 - k]
    kind = plan.schools["kind"][idx]
    size_cap = (std.size_caps(kind) - plan.schools[f"students_{other}"][idx]).astype(np.int64)
    rooms = (plan.schools["classrooms"][idx].astype(np.int64)
             - plan.schools[f"classes_{other}"][idx].astype(np.int64))
    holder = school_holders(plan, idx)
    locked = {}
    for u in options.locks:
        if u not in plan.units.index:
            raise InputError.single("", f"unknown unit {u!r}", column="lock")
        ui = plan.units.index[u]
        if zoned[ui] < 0:
            raise InputError.single("", f"unit {u} has no {sec} school to keep", column="lock")
        locked[ui] = int(zoned[ui])
    inst = Instance(section=sec, unit_ids=uids, school_ids=sids, demand=demand, fixed=fixed,
                    present=present, zoned=zoned, dist=dist, size_cap=size_cap, rooms=rooms,
                    class_cap=std.section(sec).class_size_cap,
                    multigrade=kind == "teaching_point", holder=holder,
                    neighbours=neighbours_of(plan), candidates=[], locked=locked,
                    change_weight_m=options.change_weight_m,
                    max_distance_m=options.max_distance_m, keep_choosers=options.keep_choosers)
    return with_candidates(inst, options)


def with_candidates(inst: Instance, options: Options) -> Instance:
    """Give each unit its candidate schools and drop those contiguity can never allow."""
    if inst.key is None:
        inst = replace(inst, key=contiguity_keys(inst.dist, inst.neighbours, inst.holder))
    n_u = len(inst.unit_ids)
    limit = np.inf if options.max_distance_m is None else options.max_distance_m
    cand: list[set[int]] = []
    for u in range(n_u):
        ok = np.flatnonzero(inst.reach(u))
        near = ok[np.argsort(inst.dist[u, ok], kind="stable")][:options.candidates]
        c = set(near.tolist())
        if inst.zoned[u] in ok:
            c.add(int(inst.zoned[u]))
        if u in inst.locked:
            c = {inst.locked[u]}
        cand.append(c)
    for s, h in enumerate(inst.holder):
        if np.isfinite(inst.dist[h, s]) and inst.dist[h, s] <= limit and h not in inst.locked:
            cand[h].add(s)
    # a unit may need the schools its neighbours may join (it lies on their way): add those
    # within the limit and at most three times as far as its nearest, up to 3K in all
    for _ in range(3):
        grown = False
        for u in range(n_u):
            if u in inst.locked or not cand[u]:
                continue
            far = min(limit, 3 * min(inst.dist[u, k] for k in cand[u]))
            for v in inst.neighbours[u]:
                for s in sorted(cand[v] - cand[u]):
                    if inst.dist[u, s] <= far and len(cand[u]) < 3 * options.candidates:
                        cand[u].add(s)
                        grown = True
        if not grown:
            break
    # contiguity: x[u,s] needs a neighbour nearer to s with s among its candidates
    changed = True
    while changed:
        changed = False
        for u in range(n_u):
            for s in list(cand[u]):
                if inst.holder[s] == u:
                    continue
                if not any(s in cand[v] and _nearer(inst, v, u, s) for v in inst.neighbours[u]):
                    cand[u].discard(s)
                    changed = True
    return replace(inst, candidates=[sorted(c) for c in cand])


def _nearer(inst: Instance, v: int, u: int, s: int) -> bool:
    """Whether unit v is nearer to school s than unit u (ties broken by unit index)."""
    return (inst.key[v, s], v) < (inst.key[u, s], u)


def contiguity_keys(dist: np.ndarray, neighbours: list[list[int]], holder: np.ndarray
                    ) -> np.ndarray:
    """Return (U, S): how near each unit is to each school, for the contiguity rule.

    The road distance, except for a unit none of whose neighbours is nearer by road (its road
    to the school runs past them): it counts 1 m further than its nearest neighbour, so that
    every unit connected to the school's unit by neighbours can join it, and a chain of ever
    nearer neighbours always ends at the school's unit (key(u) = max(d(u), min over
    neighbours key(v) + 1), the holder's key its distance; a Dijkstra over the units).
    """
    n_u, n_s = dist.shape
    key = np.full((n_u, n_s), np.inf)
    for s in range(n_s):
        h = int(holder[s])
        if not np.isfinite(dist[h, s]):
            continue
        k, done = key[:, s], np.zeros(n_u, dtype=bool)
        k[h] = dist[h, s]
        heap = [(k[h], h)]
        while heap:
            kv, v = heapq.heappop(heap)
            if done[v]:
                continue
            done[v] = True
            for u in neighbours[v]:
                if done[u] or not np.isfinite(dist[u, s]):
                    continue
                cand = max(dist[u, s], kv + 1.0)
                if cand < k[u]:
                    k[u] = cand
                    heapq.heappush(heap, (cand, u))
    return key


# --- solving ---------------------------------------------------------------------------------

class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Callable[[float, float, float], None] | None):
        super().__init__()
        self.report = report
        self.start = time.perf_counter()
        self.log: list[tuple[float, float, float]] = []

    def on_solution_callback(self) -> None:
        rec = (time.perf_counter() - self.start, self.ObjectiveValue(), self.BestObjectiveBound())
        self.log.append(rec)
        if self.report is not None:
            self.report(*rec)


def _infeasible_units(inst: Instance) -> list[int]:
    return [u for u in range(len(inst.unit_ids)) if not inst.candidates[u]]


def _formulate(inst: Instance, var: Callable[[int, int, bool], object],
               add: Callable[[object], None]) -> tuple[dict, object]:
    """Post the model with a solver's own calls; return the x variables and the objective.

    `var(lo, hi, boolean)` makes a variable (CP-SAT: integer; the LP: continuous) and
    `add(constraint)` posts a linear constraint, so CP-SAT and its LP relaxation are one model.
    """
    x = {}
    for u, cand in enumerate(inst.candidates):
        for s in cand:
            x[u, s] = var(0, 1, True)
        add(sum(x[u, s] for s in cand) == 1)
        if u in inst.locked:
            add(x[u, inst.locked[u]] == 1)
    by_school: dict[int, list[int]] = {}
    for (u, s) in x:
        by_school.setdefault(s, []).append(u)
    n_g = inst.demand.shape[1]
    for s, units in by_school.items():
        load = [int(inst.fixed[s, g]) + sum(int(inst.demand[u, g]) * x[u, s] for u in units)
                for g in range(n_g)]
        add(sum(load) <= int(inst.size_cap[s]))
        rooms = max(int(inst.rooms[s]), 0)
        if inst.multigrade[s]:
            add(inst.class_cap * var(0, rooms, False) >= sum(load))
            continue
        cs = [var(int(inst.fixed[s, g] > 0), rooms, False) for g in range(n_g)]
        for g in range(n_g):
            add(inst.class_cap * cs[g] >= load[g])
        add(sum(cs) <= rooms)
    for (u, s), x_us in x.items():
        if inst.holder[s] != u:
            add(x_us <= sum(x[v, s] for v in inst.neighbours[u]
                            if (v, s) in x and _nearer(inst, v, u, s)))
    return x, sum(inst.cost(u, s) * x_us for (u, s), x_us in x.items())


def solve(inst: Instance, *, time_limit_s: float = 60.0, workers: int = 2,
          report: Callable[[float, float, float], None] | None = None) -> Result:
    """Solve an instance with CP-SAT and bound it with the LP relaxation.

    Raises
    ------
    InfeasibleError
        No assignment meets the caps (see :func:`diagnose` for the numbers and sites).
    """
    if _infeasible_units(inst):
        raise InfeasibleError(_no_school_message(inst) + " (see diagnose())")
    model = cp_model.CpModel()
    x, objective = _formulate(
        inst, lambda lo, hi, boolean: model.NewBoolVar("") if boolean else model.NewIntVar(
            lo, hi, ""), model.Add)
    model.Minimize(objective)
    for (u, s), x_us in x.items():
        model.AddHint(x_us, int(s == inst.zoned[u]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 7
    progress = _Progress(report)
    t0 = time.perf_counter()
    status = solver.Solve(model, progress)
    seconds = time.perf_counter() - t0
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        why = ("no zoning meets the caps" if status == cp_model.INFEASIBLE else
               f"no zoning found within {time_limit_s:.0f} s")
        raise InfeasibleError(why + " (see diagnose() for where seats are short)")
    assign = np.array([next(s for s in cand if solver.Value(x[u, s]))
                       for u, cand in enumerate(inst.candidates)], dtype=np.int64)
    return Result(instance=inst, assign=assign,
                  status="optimal" if status == cp_model.OPTIMAL else "feasible",
                  objective=float(round(solver.ObjectiveValue())),  # integer coefficients
                  best_bound=float(solver.BestObjectiveBound()), lp_bound=lp_bound(inst),
                  seconds=seconds, progress=progress.log)


def lp_bound(inst: Instance) -> float:
    """Return the optimum of the LP relaxation (GLOP): x in [0, 1], classes fractional.

    A grade with pupils who stay whatever the zoning needs a whole class (a valid cut).
    """
    lp = pywraplp.Solver.CreateSolver("GLOP")
    _, objective = _formulate(inst, lambda lo, hi, boolean: lp.NumVar(lo, hi, ""), lp.Add)
    lp.Minimize(objective)
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return float("-inf")
    return float(lp.Objective().Value())


def brute_force(inst: Instance) -> tuple[float, np.ndarray] | None:
    """Return the best assignment over every unit-to-school combination (small cases only).

    Every school within the distance limit is tried for every unit (not only the
    candidates), so the check also covers the pruning of candidates.
    """
    best = None
    choices = [np.flatnonzero(inst.reach(u)).tolist() for u in range(len(inst.unit_ids))]
    for combo in itertools.product(*choices):
        assign = np.array(combo, dtype=np.int64)
        if any(assign[u] != s for u, s in inst.locked.items()):
            continue
        if inst.violations(assign):
            continue
        obj = inst.objective(assign)
        if best is None or obj < best[0]:
            best = (obj, assign)
    return best


def greedy(inst: Instance) -> np.ndarray | None:
    """The baseline: unit–school pairs by distance, each unit to the nearest with room.

    Ignores contiguity and changes; returns None when some unit finds no school with room.
    """
    n_u = len(inst.unit_ids)
    loads = inst.fixed.copy()
    assign = np.full(n_u, -1, dtype=np.int64)
    for u, s in inst.locked.items():
        assign[u] = s
        loads[s] += inst.demand[u]
    pairs = [(inst.dist[u, s], u, s) for u in range(n_u) if assign[u] < 0
             for s in range(len(inst.school_ids)) if np.isfinite(inst.dist[u, s])]
    pairs.sort()
    for _, u, s in pairs:
        if assign[u] >= 0:
            continue
        trial = loads[s] + inst.demand[u]
        if trial.sum() > inst.size_cap[s] or _classes(inst, s, trial) > inst.rooms[s]:
            continue
        assign[u] = s
        loads[s] = trial
    return None if (assign < 0).any() else assign


def _classes(inst: Instance, s: int, load: np.ndarray) -> int:
    return plan_classes(load, inst.class_cap, multigrade=bool(inst.multigrade[s]))[1]


# --- when the caps cannot be met ---------------------------------------------------------------

@dataclass(frozen=True)
class Shortage:
    """Where seats are short, and the sites that would close the gap.

    Attributes
    ----------
    section
        The section.
    unserved
        Units with children no school within reach has room for: unit_id, name, children,
        nearest_school_id, nearest_m.
    full_schools
        Schools within reach of those units, all full: school_id, name, pupils, room.
    max_distance_m
        The distance limit asked for (None: none).
    sites
        Proposed new schools: unit_id, name, lon, lat, pupils, classes.
    """

    section: str
    unserved: pd.DataFrame
    full_schools: pd.DataFrame
    max_distance_m: float | None
    sites: pd.DataFrame

    def edits(self) -> list[dict]:
        """`open_school` edits for the proposed sites (a new scenario can take them)."""
        kind = "primary" if self.section == "primary" else "junior"
        word = "小学" if kind == "primary" else "初级中学"
        return [{"op": "open_school", "school_id": f"NEW-{kind}-{k}",
                 "lon": round(float(r["lon"]), 6), "lat": round(float(r["lat"]), 6),
                 "values": {"kind": kind, "name": f"{r['name']}新建{word}",
                            "classrooms": int(r["classes"])}}
                for k, r in enumerate(self.sites.to_dict("records"), start=1)]

    def message(self) -> str:
        """The numbers, in a few lines."""
        within = (f"within {self.max_distance_m:,.0f} m" if self.max_distance_m is not None
                  else "within reach")
        n = int(self.unserved["children"].sum()) if len(self.unserved) else 0
        lines = [f"{n:,} {self.section} children in {len(self.unserved)} unit(s) have no seat "
                 f"{within}"]
        for r in self.unserved.head(8).to_dict("records"):
            lines.append(f"  {r['unit_id']} {r['name']}: {r['children']} children, nearest "
                         f"{self.section} school {r['nearest_school_id']} at "
                         f"{r['nearest_m']:,.0f} m")
        if len(self.unserved) > 8:
            lines.append(f"  … and {len(self.unserved) - 8} more unit(s)")
        if not len(self.unserved):
            lines = ["seats suffice in number within reach, but not in whole classes and "
                     "connected catchments: allow a longer distance or fewer locked units"]
        if len(self.full_schools):
            shown = ", ".join(f"{r['school_id']} {r['name']} ({r['pupils']}/{r['room']})"
                              for r in self.full_schools.head(8).to_dict("records"))
            lines.append(f"  schools in reach are full: {shown}")
        if len(self.sites):
            lines.append(f"{len(self.sites)} new {self.section} school site(s) would seat them "
                         "all (capacitated p-median among the units' points):")
            for r in self.sites.to_dict("records"):
                lines.append(f"  at unit {r['unit_id']} {r['name']} ({r['lon']:.5f}, "
                             f"{r['lat']:.5f}): {r['pupils']} pupils, {r['classes']} classes")
        elif len(self.unserved):
            lines.append("no set of new sites among the units' points seats them all within "
                         "the limit")
        return "\n".join(lines)


def _no_school_message(inst: Instance) -> str:
    """Name the units no school can take within the limit with a connected catchment."""
    bad = _infeasible_units(inst)
    if not bad:
        return ""
    shown = ", ".join(str(inst.unit_ids[u]) for u in bad[:8])
    return (f"{len(bad)} unit(s) have no {inst.section} school within the limit that they can "
            f"join with a connected catchment: {shown}")


def _seat_lp(inst: Instance, sites: np.ndarray | None = None, site_room: int = 0
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Seat the children within reach, fractionally; some may stay unserved.

    With `sites` (U, K: distances from every unit to candidate sites) new schools of
    `site_room` pupils may open there: a capacitated facility-location MIP (SCIP) that serves
    every child it can first, then opens as few sites as it can, then saves travel.

    Returns
    -------
    Unserved children per unit, pupils per school, pupils per opened site and the opened
    sites' indices; None if the solver fails.
    """
    solver = pywraplp.Solver.CreateSolver("GLOP" if sites is None else "SCIP")
    n_u, n_s = inst.dist.shape
    total = inst.demand.sum(axis=1).astype(float)
    limit = np.inf if inst.max_distance_m is None else inst.max_distance_m
    x = {(u, s): solver.NumVar(0, 1, "") for u in range(n_u) if total[u] > 0
         for s in np.flatnonzero(inst.reach(u))}
    miss = {u: solver.NumVar(0, 1, "") for u in range(n_u) if total[u] > 0}
    y, z = {}, {}
    if sites is not None:
        y = {k: solver.BoolVar("") for k in range(sites.shape[1])}
        for u in miss:
            for k in np.flatnonzero(sites[u] <= limit):
                z[u, k] = solver.NumVar(0, 1, "")
                solver.Add(z[u, k] <= y[k])
        for k in y:
            served = [z[u, kk] * total[u] for (u, kk) in z if kk == k]
            if served:
                solver.Add(sum(served) <= site_room * y[k])
    for u in miss:
        solver.Add(sum(v for (uu, _), v in x.items() if uu == u)
                   + sum(v for (uu, _), v in z.items() if uu == u) + miss[u] == 1)
    for s in range(n_s):
        units = [u for u in miss if (u, s) in x]
        room = float(min(inst.size_cap[s], inst.class_cap * max(inst.rooms[s], 0))
                     - inst.fixed[s].sum())
        if units:
            solver.Add(sum(total[u] * x[u, s] for u in units) <= max(room, 0.0))
    # pupil-km of travel; a site is worth 10 000 pupil-km; a child unserved 1 000 000
    obj = sum(1e6 * total[u] * v for u, v in miss.items())
    obj += sum(total[u] * min(inst.dist[u, s], 1e6) / 1000 * v for (u, s), v in x.items())
    obj += sum(total[u] * sites[u, k] / 1000 * v for (u, k), v in z.items())
    obj += sum(1e4 * v for v in y.values())
    solver.Minimize(obj)
    solver.SetTimeLimit(60_000)
    if solver.Solve() not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    unserved = np.zeros(n_u)
    for u, v in miss.items():
        unserved[u] = v.solution_value() * total[u]
    loads = np.zeros(n_s)
    for (u, s), v in x.items():
        loads[s] += v.solution_value() * total[u]
    site_load = np.zeros(len(y))
    for (u, k), v in z.items():
        site_load[k] += v.solution_value() * total[u]
    opened = np.array([k for k, v in y.items() if v.solution_value() > 0.5], dtype=np.int64)
    return unserved, loads, site_load[opened], opened


def diagnose(inst: Instance, *,
             site_distances: Callable[[np.ndarray], np.ndarray] | None = None,
             unit_lonlat: np.ndarray | None = None, unit_names: np.ndarray | None = None,
             seated: tuple | None = None) -> Shortage:
    """Say where seats are short and propose sites for new schools (capacitated p-median).

    `site_distances(unit_indices)` returns (U, K) road distances from every unit to the
    candidate sites at those units' points; a new school has `NEW_SCHOOL_CLASSES` classes.
    `seated` is the seat LP's result when the caller has it already.
    """
    names = unit_names if unit_names is not None else inst.unit_ids
    solved = seated if seated is not None else _seat_lp(inst)
    n_u = len(inst.unit_ids)
    unserved = np.zeros(n_u) if solved is None else solved[0]
    short = np.flatnonzero(unserved > 0.5)
    rows = []
    for u in short:
        s = int(np.argmin(inst.dist[u]))
        rows.append({"unit_id": inst.unit_ids[u], "name": names[u],
                     "children": int(round(unserved[u])), "nearest_school_id": inst.school_ids[s],
                     "nearest_m": float(inst.dist[u, s])})
    unserved_df = pd.DataFrame(rows, columns=["unit_id", "name", "children",
                                              "nearest_school_id", "nearest_m"])
    unserved_df = unserved_df.sort_values("children", ascending=False, kind="stable")
    reach = np.zeros(len(inst.school_ids), dtype=bool)
    for u in short:
        reach |= inst.reach(u)
    full = []
    for s in np.flatnonzero(reach):
        room = int(min(inst.size_cap[s], inst.class_cap * max(inst.rooms[s], 0)))
        pupils = int(round(solved[1][s] + inst.fixed[s].sum())) if solved else 0
        full.append({"school_id": inst.school_ids[s], "name": inst.school_ids[s],
                     "pupils": pupils, "room": room})
    full_df = pd.DataFrame(full, columns=["school_id", "name", "pupils", "room"])
    sites = pd.DataFrame(columns=["unit_id", "name", "lon", "lat", "pupils", "classes"])
    if len(short) and site_distances is not None:
        classes = NEW_SCHOOL_CLASSES[inst.section]
        cand = _site_candidates(inst, short)
        res = _seat_lp(inst, site_distances(cand), classes * inst.class_cap)
        if res is not None and res[0].sum() < 0.5:
            _, _, load, opened = res
            at = cand[opened]
            lonlat = unit_lonlat if unit_lonlat is not None else np.full((n_u, 2), np.nan)
            sites = pd.DataFrame({"unit_id": inst.unit_ids[at], "name": names[at],
                                  "lon": lonlat[at, 0], "lat": lonlat[at, 1],
                                  "pupils": np.round(load).astype(int),
                                  "classes": [classes] * len(at)})
    return Shortage(section=inst.section, unserved=unserved_df.reset_index(drop=True),
                    full_schools=full_df, max_distance_m=inst.max_distance_m, sites=sites)


def _site_candidates(inst: Instance, short: np.ndarray, limit: int = 150) -> np.ndarray:
    """Units where a new school could stand: those short of seats and their neighbours."""
    near = set(short.tolist())
    for u in short:
        near.update(inst.neighbours[u])
    out = np.array(sorted(near), dtype=np.int64)
    if len(out) > limit:  # keep the most populous
        out = np.sort(out[np.argsort(-inst.demand[out].sum(axis=1), kind="stable")[:limit]])
    return out


# --- the whole request ---------------------------------------------------------------------

def unit_lonlat(plan: Plan) -> np.ndarray:
    """Each unit's representative point in WGS84, (U, 2)."""
    pts = plan.source.units.to_crs(plan.source.meta.crs).geometry.representative_point()
    ll = gpd.GeoSeries(pts, crs=plan.source.meta.crs).to_crs(WGS84)
    return np.column_stack([ll.x.to_numpy(), ll.y.to_numpy()])


def site_distance_fn(plan: Plan) -> Callable[[np.ndarray], np.ndarray]:
    """Distances from every unit to candidate sites at some units' points (road or fallback)."""
    def fn(units: np.ndarray) -> np.ndarray:
        xy = travel.unit_points(plan.source)[units]
        method = plan.distances.method if plan.distances is not None else None
        return travel.point_distances(plan.source, xy, by_road=method == "road")
    return fn


def optimise(plan: Plan, options: Options, *,
             report: Callable[[float, float, float], None] | None = None) -> Result:
    """Build, check and solve one section's problem; on shortage raise with sites proposed.

    Raises
    ------
    InfeasibleError
        The caps cannot be met: the message gives where seats are short, by how many
        children within what distance, and proposed sites for new schools (its `shortage`).
    """
    inst = build_instance(plan, options)
    seated = _seat_lp(inst)  # quick: do some children find no seat within reach at all?
    short_of_seats = _infeasible_units(inst) or (seated is not None and seated[0].sum() > 0.5)
    result = None
    if not short_of_seats:
        try:
            result = solve(inst, time_limit_s=options.time_limit_s, report=report)
        except InfeasibleError:
            result = None
    if result is None:
        short = diagnose(inst, site_distances=site_distance_fn(plan),
                         unit_lonlat=unit_lonlat(plan), unit_names=plan.units.names,
                         seated=seated)
        school_names = dict(zip(plan.school_ids, plan.schools["name"], strict=True))
        short.full_schools["name"] = short.full_schools["school_id"].map(school_names)
        why = _no_school_message(inst)
        raise InfeasibleError(f"the {options.section} caps cannot be met: "
                              + (why + "\n" if why else "") + short.message(), shortage=short)
    return replace(result, replans=tuple(_replans(plan, result)))


def _replans(plan: Plan, result: Result) -> list[dict]:
    """Classes re-planned at the cap for schools the moves leave with classes over it."""
    sec = result.instance.section
    std = plan.standards
    after = apply_edits(plan, result.edits())
    _, cap, over = class_over_cap(after.schools, sec, std)
    idx = np.flatnonzero(over & after.teaches(sec))
    grades = np.array(std.grades(sec)) - 1
    _, classes, biggest = section_classes(after.pupils_by_grade[idx][:, grades], cap,
                                          after.schools["kind"][idx] == "teaching_point")
    return [{"op": "set_school", "school_id": str(after.school_ids[i]),
             "values": {f"classes_{sec}": int(c), f"max_class_size_{sec}": int(b)}}
            for i, c, b in zip(idx, classes, biggest, strict=True)]


def check_plan(before: Plan, after: Plan, section: str) -> list[str]:
    """Say what a re-zoned plan breaks for one section (empty: nothing).

    Pupils by grade kept; every school of the section within its size cap, its classes
    within its classrooms and its largest class within the cap; every unit zoned and every
    catchment connected and holding its school.
    """
    out = []
    by = [np.bincount(p.rows.grade, weights=p.rows.n, minlength=10) for p in (before, after)]
    if not np.array_equal(by[0], by[1]):
        out.append("pupils by grade changed")
    std, s = after.standards, after.schools
    teach = after.teaches(section)
    size, cap, big = size_over_cap(s, std)
    classes = s["classes_primary"] + s["classes_junior"]
    biggest, _, crowded = class_over_cap(s, section, std)
    for i in np.flatnonzero(teach):
        sid = after.school_ids[i]
        if big[i]:
            out.append(f"{sid}: {size[i]} pupils over the cap of {cap[i]:.0f}")
        if classes[i] > s["classrooms"][i]:
            out.append(f"{sid}: {classes[i]} classes in {s['classrooms'][i]} classrooms")
        if crowded[i]:
            out.append(f"{sid}: a class of {biggest[i]}")
    k = SECTIONS.index(section)
    if (after.zone[k] < 0).any():
        out.append(f"{int((after.zone[k] < 0).sum())} unit(s) without a {section} school")
    neighbours = neighbours_of(after)
    idx = np.flatnonzero(teach)
    for i, h in zip(idx, school_holders(after, idx), strict=True):
        members = set(np.flatnonzero(after.zone[k] == i).tolist())
        if members and not _connected(members, neighbours, int(h)):
            out.append(f"{after.school_ids[i]}: catchment not contiguous with the unit holding "
                       "the school")
    return out


def report_lines(result: Result) -> list[str]:
    """Lines to print: objective, bounds and gaps, travel beside the greedy baseline's."""
    inst, s = result.instance, result.summary()
    lines = [f"{inst.section}: {s['status']} in {s['seconds']:.1f} s; objective "
             f"{s['objective']:,.0f} (pupil-metres + {inst.change_weight_m:,.0f} m × pupils "
             "changing school)",
             f"  LP relaxation bound {s['lp_bound']:,.0f} (gap {s['lp_gap']:.2%}); proven bound "
             f"{s['best_bound']:,.0f} (gap {s['gap']:.2%})",
             f"  travel: {s['travel_km']:,.0f} pupil-km, {s['mean_m']:,.0f} m per pupil; "
             f"{s['units_moved']} unit(s) re-zoned, {s['pupils_changing_school']:,} pupil(s) "
             "change school"]
    pupils = max(int(inst.demand.sum()), 1)
    now = float((inst.present * np.where(np.isfinite(inst.dist), inst.dist, 0)).sum())
    lines.append(f"  today: {now / 1000:,.0f} pupil-km, {now / pupils:,.0f} m per pupil "
                 "(where pupils go now)")
    g = greedy(inst)
    if g is None:
        lines.append("  greedy baseline (nearest school with room): some unit finds no school "
                     "with room")
    else:
        broken = sum(1 for v in inst.violations(g) if "contiguous" in v)
        lines.append(f"  greedy baseline (nearest school with room): {inst.travel(g) / 1000:,.0f} "
                     f"pupil-km, {inst.travel(g) / pupils:,.0f} m per pupil; {broken} "
                     "catchment(s) not contiguous")
    return lines
