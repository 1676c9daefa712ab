"""The re-zoning model, once for CP-SAT and for its LP relaxation (GLOP).

Every unit is zoned to one of its candidate schools (x[u, s]); in every year of the phase-in
the pupils a school has — those who stay plus those the zoning brings — keep it within its
size cap (G4), its classrooms at the class-size cap (G5; teaching points teach mixed grades),
its places, and its evaluated set (the teaching-point threshold); a unit joins a school only
with a neighbour nearer to it (contiguity). With the indicator data on: every school section
that complies in the baseline keeps 6 of its 7 indicators met (each is met up to a number of
its pupils, so 6 of 7 is one limit: the sixth largest) and none under 85 %; a failing one meets
as many as before and keeps those at 85 %; and every CV stays within its bound.

A CV bound is convex in the pupils (with R_i fixed and N = ΣP_i, CV² + 1 =
N · Σ R_i² / P_i / (ΣR_i)²) and enters by outer approximation: a tangent cut at the current
solution of each year and indicator over its bound, re-solved until every bound holds — the
number of rounds is reported. The cut coefficients are scaled to integers and rounded so that
each cut stays valid (no feasible point is cut off): the optimum over the cuts that remain is
the optimum of the whole problem.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from planner.errors import InfeasibleError
from planner.optimize.instance import Instance, nearer, upper_bounds

CUT_SCALE = 2 ** 20  # integer cut coefficients: the largest becomes about a million
MAX_ROUNDS = 25  # outer-approximation rounds before giving up


@dataclass(frozen=True)
class Cut:
    """A tangent cut Σ_s coef[s] · P[s, year] ≥ rhs (scaled to integers, valid)."""

    year: int
    coef: np.ndarray
    rhs: int
    k: int = -1


@dataclass(frozen=True)
class Exact:
    """A CV bound (year, indicator) posted school by school by safe secants.

    `soft`: what the sum goes over its bound is priced in the objective (`SOFT_PRICE`)
    instead of forbidden, so that the zoning that broke the bound, which the next round
    repairs, is a solution to start from; no zoning that keeps the bound costs more for it.
    """

    year: int
    k: int
    soft: bool = False


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
        Wall-clock time of every solve together.
    rounds
        Outer-approximation rounds (solves) the CV bounds took.
    progress
        (seconds, objective, bound) at every improving solution of the last solve.
    replans
        `set_school` edits that re-plan classes where the plan leaves a class over the cap.
    first_year
        The year the new catchments take their first entrants (None: at once, all grades).
    extra
        What an `extend` hook read from the solver (see :func:`solve_or_none`).
    disruption
        The least-disruption objective's gaps and reasons (optimize/disruption.py), or None.
    """

    instance: Instance
    assign: np.ndarray
    status: str
    objective: float
    best_bound: float
    lp_bound: float
    seconds: float
    rounds: int = 1
    progress: list[tuple[float, float, float]] = field(default_factory=list)
    replans: tuple[dict, ...] = ()
    first_year: int | None = None
    extra: object = None
    disruption: object = None

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
        """The scenario edits that make this zoning: moves, then zoning enforced.

        Dated with the first year when the catchments take entrants (grandfathering).
        """
        inst = self.instance
        when = {} if self.first_year is None else {"year": int(self.first_year)}
        out = [{"op": "move_unit", "unit_id": str(inst.unit_ids[u]), "section": inst.section,
                "to_school": str(inst.school_ids[s]), **when}
               for u, s in enumerate(self.assign) if s != inst.zoned[u]]
        if not inst.keep_choosers:
            out.append({"op": "enforce_zoning", "school_id": None, "section": inst.section,
                        **when})
        return out + list(self.replans)


# --- the formulation --------------------------------------------------------------------------

def formulate(inst: Instance, var: Callable[[int, int, bool], object],
              add: Callable[[object], None], cuts: list = (), *, travel_unit: int | None = 1,
              slacks: list | None = None) -> tuple[dict, object, dict]:
    """Post the model with a solver's own calls; return the x variables and the objective.

    `var(lo, hi, boolean)` makes a variable (CP-SAT: integer; the LP: continuous) and
    `add(constraint)` posts a linear constraint, so CP-SAT and its LP relaxation are one model.
    `travel_unit`: the travel in the objective counted in this many pupil-metres (None: no
    travel in it, as in the least-CV search); pupils over a size cap as they are.
    `slacks` receives the soft CV bounds' excess variables (in the objective at their price).
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
    n_s, n_t, n_g = inst.fixed.shape
    ub = upper_bounds(inst)
    decided = inst.cap_decided
    pupils, excess = {}, []
    for s in range(n_s):
        units = by_school.get(s, [])
        for t in range(n_t):
            load = [int(inst.fixed[s, t, g]) + sum(int(inst.demand[u, t, g]) * x[u, s]
                                                   for u in units if inst.demand[u, t, g])
                    for g in range(n_g)]
            total = sum(load)
            if not isinstance(total, int):  # one variable for the school's pupils that year,
                p = var(int(inst.fixed[s, t].sum()), int(ub[s, t].sum()), False)  # used by
                add(p == total)  # every constraint on them (caps, indicators, CV cuts)
                total = p
            pupils[s, t] = total
            excess += _school_year(inst, s, t, load, pupils[s, t], ub[s, t], var, add,
                                   bool(decided[s, t]))
    if inst.ind is not None:
        _indicator_constraints(inst, pupils, ub.sum(axis=2), add)
        soft: dict[tuple[int, int], bool] = {}  # (year, k) → soft; a hard one wins
        for c in (c for c in cuts if isinstance(c, Exact)):
            soft[c.year, c.k] = soft.get((c.year, c.k), True) and c.soft
        over = _safe_cv_bounds(inst, sorted(soft.items()), pupils, ub.sum(axis=2), var, add)
        excess += [SOFT_PRICE * v for v in over]
        if slacks is not None:
            slacks += over
        for cut in (c for c in cuts if isinstance(c, Cut)):
            add(sum(int(cut.coef[s]) * pupils[s, cut.year] for s in np.flatnonzero(cut.coef))
                >= cut.rhs)
    for (u, s), x_us in x.items():
        if not inst.anchored(u, s):
            add(x_us <= sum(x[v, s] for v in inst.neighbours[u]
                            if (v, s) in x and nearer(inst, v, u, s)))
    travel = 0 if travel_unit is None else sum(
        (inst.cost(u, s) + travel_unit // 2) // travel_unit * x_us for (u, s), x_us in x.items())
    return x, travel + sum(excess), pupils


def _school_year(inst: Instance, s: int, t: int, load: list, pupils, ub: np.ndarray, var,
                 add, decided: bool) -> list:
    """Limits, floor, caps and classrooms of school s in year t; return its excess terms.

    Pupils over the size cap are penalised (up to the hard limits) where the zoning decides
    whether the school is within it (`Instance.cap_decided`); constraints that even the most
    pupils the school could have (`ub`, by grade) meet are left out, which keeps the model
    small where few units could move.
    """
    from planner.optimize.feasible import classes
    from planner.optimize.instance import OVER_CAP_M

    if isinstance(pupils, int):  # no unit can be zoned to it: nothing to decide
        return []
    terms = []
    top = int(inst.room[s, t])
    if ub.sum() > top:
        add(pupils <= top)
    if inst.floor[s, t] and inst.fixed[s, t].sum() < inst.floor[s, t]:
        add(pupils >= int(inst.floor[s, t]))
    cap = int(inst.size_cap[s, t])
    if decided and ub.sum() > cap:  # pupils over the size cap: weighed in the objective
        over = var(0, int(ub.sum()) - max(cap, 0), False)
        add(over >= pupils - cap)
        terms.append(OVER_CAP_M * over)
    limit = int(inst.rooms_limit[s, t])
    need = classes(inst, s, ub)
    if need <= limit:
        return terms
    fixed = inst.fixed[s, t]  # pupils who stay whatever the zoning: lower bounds
    if inst.multigrade[s]:
        n_classes = var(min(-(-int(fixed.sum()) // inst.class_cap), need), need, False)
        add(inst.class_cap * n_classes >= pupils)
    else:
        cs = [var(min(-(-int(fixed[g]) // inst.class_cap), need), need, False)
              for g in range(len(load))]
        for g, cl in enumerate(cs):
            add(inst.class_cap * cl >= load[g])
        n_classes = sum(cs)
    add(n_classes <= limit)
    return terms


def _indicator_constraints(inst: Instance, pupils: dict, ub: np.ndarray, add) -> None:
    """Passing sections keep passing, failing ones meet no fewer indicators (each year).

    Each indicator of a section is met up to a number of its pupils (`Indicators.limit`: the
    values fall as pupils rise), so "at least n of them met" is one limit on its pupils, the
    n-th largest of theirs, with no choice of which n to model (and an LP relaxation that
    is the constraint itself); with the floors kept (85 %), the least of these limits. A
    limit the most pupils it could have (`ub`, (S, T)) keeps needs no constraint.
    """
    ind = inst.ind
    met_limit = np.nan_to_num(ind.limit(1.0), nan=-np.inf, posinf=np.inf, neginf=-np.inf)
    floor_limit = np.nan_to_num(ind.limit(ind.standards.floor_share), nan=np.inf,
                                posinf=np.inf, neginf=-np.inf)  # (NaN: data missing)
    n_s, n_t = ind.in_scope.shape
    for s in range(n_s):
        for t in range(n_t):
            p = pupils.get((s, t))
            if p is None or isinstance(p, int) or not ind.in_scope[s, t]:
                continue
            need = ind.standards.min_indicators_met if ind.passing[s, t] else int(ind.met[s, t])
            keep_floor = np.ones(met_limit.shape[2], bool) if ind.passing[s, t] else \
                ind.at_floor[s, t]
            top = min([np.inf] + list(floor_limit[s, t, keep_floor])
                      + ([np.sort(met_limit[s, t])[::-1][need - 1]] if need > 0 else []))
            if ub[s, t] > top:
                add(p <= int(max(top, 0)))


def tangent_cuts(inst: Instance, pupils: np.ndarray, *, every: bool = False) -> list[Cut]:
    """Cuts at a solution for every year and indicator whose CV is over its bound.

    With R_i fixed and N the baseline's: Σ R_i² / P_i ≤ (1 + bound²) (ΣR)² / N. At P̂ the
    tangent of the left side gives Σ (R_i² / P̂_i²) P_i ≥ Σ 2 R_i² / P̂_i − right side.
    Where shared resources move with the pupils, or pupils enter or leave the evaluated set,
    R and N are taken at P̂: the cut is then a linearisation, not a bound (see
    `Indicators.linear_cvs`); every solution is still checked with the exact CVs.
    `every`: a cut for every finite bound, over or not (the first cuts, at the baseline).
    """
    ind = inst.ind
    bound = inst.cv_bound()
    cvs = ind.cvs(pupils)
    over = np.isfinite(bound) if every else cvs > bound + 1e-9
    res = ind.resources(pupils.astype(float))  # shared resources as split at this solution
    out = []
    for t, k in zip(*np.nonzero(over), strict=True):
        m = ind.in_scope[:, t]
        r = res[:, t, k]
        p_hat = np.maximum(pupils[:, t], 1.0)
        n = float(pupils[m, t].sum())
        right = (1 + bound[t, k] ** 2) * float(r[m].sum()) ** 2 / n
        w = np.where(m, r ** 2 / p_hat ** 2, 0.0)
        b = float((np.where(m, 2 * r ** 2 / p_hat, 0.0)).sum() - right)
        scale = CUT_SCALE / w.max()
        out.append(Cut(year=int(t), coef=np.ceil(w * scale).astype(np.int64),
                       rhs=int(np.floor(b * scale)), k=int(k)))
    return out


SOFT_PRICE = 1  # per scaled unit over a soft CV bound: on the demo, 0.001 of R5's CV is ~9·10⁸
# units, 40 times the whole plan's travel (a plan still over it adds a hard tangent there)
SAFE_MARGIN = 0.02  # CV bounds this close to today's CV are posted safely from the start
SAFE_SCALE = 10 ** 14  # the largest term R_i² / P_i of a safe bound, scaled to an integer
STEPS = (0.01, 0.03, 0.06, 0.1, 0.15, 0.25, 0.4, 0.6)  # breakpoints around today's pupils


def tight_bounds(inst: Instance, cvs: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(year, indicator) whose CV bound today's CV (or `cvs`, (T, K)) is within `SAFE_MARGIN` of.

    These bind: a CV over its limit today may not rise at all, so tangent cuts alone would
    take round after round to close in on them.
    """
    bound = inst.cv_bound()
    cvs = inst.ind.baseline_cv if cvs is None else cvs
    near = np.isfinite(bound) & (cvs >= bound - SAFE_MARGIN)
    return [(int(t), int(k)) for t, k in zip(*np.nonzero(near), strict=True)]


def breakpoints(lo: int, hi: int, today: int) -> list[int]:
    """Pupil counts where a school's secant bound meets its term.

    Its range, today's pupils, and steps around them (finer near them, where plans stay).
    """
    pts = {lo, hi, min(max(today, lo), hi)}
    pts.update(int(round(today * (1 + d * sign))) for d in STEPS for sign in (-1, 1))
    pts.update(int(round(v)) for v in np.geomspace(lo, hi, 6))
    return sorted(v for v in pts if lo <= v <= hi)


def secant_lines(q: int, points: list[int]) -> list[tuple[int, int]]:
    """Integer lines (A, B), z ≥ A + B·P, whose maximum is ≥ ⌈q / P⌉ at every P in range.

    Each line lies on or above ⌈q / e⌉ at both ends e of its segment, so above the convex
    q / P all along it (integer arithmetic throughout: no rounding can break the bound).
    """
    up = {e: -(-q // e) for e in points}
    if len(points) == 1:
        return [(up[points[0]], 0)]
    out = []
    for e1, e2 in zip(points, points[1:], strict=False):
        slope = -((up[e1] - up[e2]) // (e2 - e1))  # ⌈(up2 − up1) / (e2 − e1)⌉, ≤ 0
        out.append((max(up[e1] - slope * e1, up[e2] - slope * e2), slope))
    return out


def _safe_cv_bounds(inst: Instance, pairs: list[tuple[tuple[int, int], bool]], pupils: dict,
                    ub: np.ndarray, var, add) -> list:
    """Post CV bounds ((year, indicator), soft) safely: a solution that keeps one keeps the CV.

    Σ_i R_i² / P_i ≤ (1 + bound²) (ΣR)² / N, scaled by M to integers, with z_i over each
    school's term by secants (the convex term's piecewise-linear interpolation from above,
    breakpoints at today's pupils, or `Instance.secants_at`, and around them): linear, so
    CP-SAT and its LP see it whole, and never admitting a CV over its bound. The right side
    is at least today's (those pupils') scaled sum, so that zoning always qualifies
    (rounding then admits at most S / M of the sum, far below any CV digit). A soft bound's
    sum may exceed it by an excess variable; returns those variables.
    """
    ind = inst.ind
    bound = inst.cv_bound()
    fixed = inst.fixed.sum(axis=2)
    today = baseline_pupils(inst) if inst.secants_at is None else inst.secants_at
    slacks = []
    for (t, k), soft in pairs:
        m = np.flatnonzero(ind.in_scope[:, t])
        r = ind.resource[m, t, k].astype(float)
        if not (r > 0).any():
            continue
        scale = SAFE_SCALE / float((r ** 2).max())
        right = (1 + bound[t, k] ** 2) * float(r.sum()) ** 2 / float(today[m, t].sum()) * scale
        terms, now, most = [], 0, 0
        for ri, s in zip(r, m, strict=True):
            q = int(np.ceil(scale * ri ** 2))
            p = pupils[int(s), t]
            if isinstance(p, int):
                terms.append(-(-q // max(p, 1)))
                now += terms[-1]
                most += terms[-1]
                continue
            lo, hi = max(int(fixed[s, t]), 1), max(int(ub[s, t]), 1)
            base = min(max(int(today[s, t]), lo), hi)
            lines = secant_lines(q, breakpoints(lo, hi, base))
            z = var(0, max(a + b * lo for a, b in lines), False)
            for a, b in lines:
                add(z >= a + b * p)
            terms.append(z)
            now += max(a + b * base for a, b in lines)
            most += max(a + b * lo for a, b in lines)
        if soft:
            slacks.append(var(0, most, False))
            terms.append(-1 * slacks[-1])
        add(sum(terms) <= max(int(np.floor(right)), now))
    return slacks


def initial_cuts(inst: Instance) -> list:
    """The bounds that bind today exactly; tangents at today's pupils for the others."""
    exact = [Exact(t, k) for t, k in tight_bounds(inst)]
    pairs = {(e.year, e.k) for e in exact}
    return exact + [c for c in tangent_cuts(inst, baseline_pupils(inst), every=True)
                    if (c.year, c.k) not in pairs]


def more_cuts(inst: Instance, cuts: list, pupils: np.ndarray, *, soft: bool = False) -> list:
    """What a solution that breaks CV bounds adds: the bounds it breaks, posted exactly.

    A bound already exact is broken only by rounding; a tangent there closes it. `soft`:
    the new exact bounds soft (the solution that broke them is then a start).
    """
    exact = {(c.year, c.k) for c in cuts if isinstance(c, Exact)}
    return [c if (c.year, c.k) in exact else Exact(c.year, c.k, soft)
            for c in tangent_cuts(inst, pupils)]


def near_bounds(inst: Instance, cuts: list, pupils: np.ndarray, *, soft: bool = False
                ) -> list[Exact]:
    """The CV bounds a solution keeps by less than `SAFE_MARGIN`, posted exactly (not yet so)."""
    exact = {(c.year, c.k) for c in cuts if isinstance(c, Exact)}
    return [Exact(t, k, soft) for t, k in tight_bounds(inst, inst.ind.cvs(pupils))
            if (t, k) not in exact]


# --- solving ----------------------------------------------------------------------------------

REPAIR_GAP = 0.02  # a round stops at a solution this near its bound that breaks a CV bound


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution and keeps the best one the exact CV bounds admit.

    The cuts are an outer approximation: a solution of a round may break a CV bound by a
    little. Each solution found is checked against the exact bounds as it comes, so the best
    admissible one is at hand when time runs out before the cuts have closed in.
    """

    def __init__(self, inst: Instance, x: dict, report, read, best: list, slacks: list):
        super().__init__()
        self.inst, self.x, self.report, self.read = inst, x, report, read
        self.slacks = slacks  # soft CV bounds' excess: priced, but no part of the objective
        self.best = best  # [objective, assign, extra] of the best admissible solution so far
        self.start = time.perf_counter()
        self.log: list[tuple[float, float, float]] = []

    def on_solution_callback(self) -> None:
        raw = float(round(self.ObjectiveValue()))  # with soft bounds' excess, as the bound
        rec = (time.perf_counter() - self.start, raw, self.BestObjectiveBound())
        self.log.append(rec)
        assign = _assignment(self.inst, self.x, self.BooleanValue)
        if self.report is not None:  # and the plan's pupil-km and pupils changing school
            self.report(*rec, self.inst.travel(assign) / 1000, int(sum(
                self.inst.changes(u, int(s)) for u, s in enumerate(assign))))
        objective = raw - SOFT_PRICE * sum(self.Value(v) for v in self.slacks)
        if self.best and self.best[0] <= objective:
            return
        if admissible(self.inst, assign):
            self.best[:] = [objective, assign, None if self.read is None else self.read(self)]
        elif raw - rec[2] <= REPAIR_GAP * abs(raw):
            # near its bound but over a CV bound: what this round finds from here breaks it
            # too; the time is better spent on the next round, which repairs this solution
            self.StopSearch()


def _assignment(inst: Instance, x: dict, value) -> np.ndarray:
    return np.array([next(s for s in cand if value(x[u, s]))
                     for u, cand in enumerate(inst.candidates)], dtype=np.int64)


def admissible(inst: Instance, assign: np.ndarray) -> bool:
    """Whether a zoning keeps every CV within its exact bound (always, without indicators)."""
    if inst.ind is None:
        return True
    bound = inst.cv_bound()
    return not (np.isfinite(bound) & (zoning_cvs(inst, assign) > bound + 1e-9)).any()


def zoning_cvs(inst: Instance, assign: np.ndarray) -> np.ndarray:
    """(T, K) the section's CVs in every year checked with this zoning."""
    return inst.ind.cvs(inst.loads(assign).sum(axis=2).astype(float))


def infeasible_units(inst: Instance) -> list[int]:
    """Units with no candidate school (none within reach that contiguity allows)."""
    return [u for u in range(len(inst.unit_ids)) if not inst.candidates[u]]


Extend = Callable[[cp_model.CpModel, dict, object], tuple[object, Callable]]


# A solve process's cancel signal (optimize/job.py sets it in the process it starts): when it
# returns true, the running search stops and no further round starts; the best plan so far
# is returned as "feasible".
_STOP: list[Callable[[], bool]] = []


class StoppedError(InfeasibleError):
    """The solve was stopped (cancelled) before it found any plan."""


def set_stop(stop: Callable[[], bool] | None) -> None:
    """Install (or with None remove) the cancel signal every later solve of this process reads."""
    _STOP[:] = [] if stop is None else [stop]


def stopped() -> bool:
    """Whether the cancel signal is set."""
    return bool(_STOP) and _STOP[0]()


def _watch(solver: cp_model.CpSolver) -> threading.Event:
    """Stop `solver` once the cancel signal is set; set the returned event when done."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            if stopped():
                solver.StopSearch()
                return

    if _STOP:
        threading.Thread(target=watch, daemon=True).start()
    return done


def _solve_once(inst: Instance, cuts: list[Cut], time_limit_s: float, workers: int,
                hint: np.ndarray, report, extend: Extend | None, best: list) -> tuple | None:
    """One CP-SAT solve over the cuts so far; None when infeasible or nothing found in time.

    Returns (assign, proven optimal, objective, bound, progress, extra).
    """
    model = cp_model.CpModel()
    slacks: list = []
    x, objective, _ = formulate(
        inst, lambda lo, hi, boolean: model.NewBoolVar("") if boolean else model.NewIntVar(
            lo, hi, ""), model.Add, cuts, slacks=slacks)
    read = None
    if extend is not None:
        objective, read = extend(model, x, objective)
    model.Minimize(objective)
    solver = _hinted_solver(model, x, hint, workers, time_limit_s)
    progress = _Progress(inst, x, report, read, best, slacks)
    done = _watch(solver)
    status = solver.Solve(model, progress)
    done.set()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None if status == cp_model.INFEASIBLE else (
            None, False, float("inf"), float(solver.BestObjectiveBound()), progress.log, None)
    # optimal with soft bounds' excess is no worse than the optimum keeping them: as proven
    excess = SOFT_PRICE * sum(solver.Value(v) for v in slacks)
    return (_assignment(inst, x, solver.BooleanValue), status == cp_model.OPTIMAL,
            float(round(solver.ObjectiveValue()) - excess), float(solver.BestObjectiveBound()),
            progress.log, None if read is None else read(solver))


def _hinted_solver(model: cp_model.CpModel, x: dict, start: np.ndarray, workers: int,
                   seconds: float) -> cp_model.CpSolver:
    """Hint `start` (:func:`_hint`, its time counted) and return the solver for the rest."""
    t_hint = time.perf_counter()
    _hint(model, x, start, workers, min(10.0, seconds / 4))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds - (time.perf_counter() - t_hint), 1.0)
    solver.parameters.num_workers = workers
    if workers >= 2:  # the full searches: one that raises the bound by a tree search on the
        # LP (the default one alone leaves it at the root's on a county) and the default one,
        # with one more thread for the neighbourhood searches that improve the solution
        solver.parameters.subsolvers.extend(["lb_tree_search", "default_lp"])
        solver.parameters.num_workers = workers + 1
    solver.parameters.random_seed = 7
    # no presolve: CP-SAT 9.15 can abort the process while presolve maps a complete hint
    # onto a reduced domain (google/or-tools#5288, seen here about once in a few hundred
    # solves); the hint is a whole solution, so the search starts from it all the same
    solver.parameters.cp_model_presolve = False
    return solver


def _hint(model: cp_model.CpModel, x: dict, start: np.ndarray, workers: int,
          seconds: float) -> None:
    """Hint a whole solution: `start`'s zoning with every other variable solved for it.

    A hint of the x alone leaves CP-SAT to find the pupils, classes and indicator variables
    that go with it, which on a county can take longer than the time allowed; solving a copy
    with x fixed takes a second and gives a complete hint, so the search starts from a
    solution (today's zoning, which the limits always admit) whenever the start is feasible.
    """
    fixed = model.Clone()
    for (u, s), x_us in x.items():
        fixed.Add(x_us == int(s == start[u]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    if solver.Solve(fixed) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = solver.ResponseProto().solution
        for i in range(len(model.Proto().variables)):
            model.Proto().solution_hint.vars.append(i)
            model.Proto().solution_hint.values.append(values[i])
        return
    for (u, s), x_us in x.items():  # an infeasible start: hint its zoning for repair
        model.AddHint(x_us, int(s == start[u]))


FIRST_ROUND_SHARE = 0.25  # of the time limit; later rounds share what is left


def solve_or_none(inst: Instance, *, time_limit_s: float = 60.0, workers: int = 2,
                  report: Callable[[float, float, float], None] | None = None,
                  extend: Extend | None = None, start: np.ndarray | None = None
                  ) -> Result | None:
    """Solve an instance (CP-SAT, CV bounds by outer approximation); None when infeasible.

    Each round solves over the cuts so far; a round whose solution breaks a CV bound adds
    cuts there (:func:`more_cuts`: the bounds it broke, posted exactly and soft, so that the
    next round starts from that solution and repairs it; hard with `extend`, whose objective
    could trade them), a near one by construction (a round stops early at a solution within
    `REPAIR_GAP` of its bound that breaks one). The first round is short
    (`FIRST_ROUND_SHARE`): it finds which bounds the tangents let break, and the round after,
    with them exact, has most of the time to raise its bound. Every solution found is checked,
    and the best that kept every bound (today's zoning at first) is kept: when time runs out
    first, it is returned as "feasible", with the proven bound of the cuts (a valid bound of
    the whole problem).
    `extend(model, x, objective)` may add variables and constraints and return the
    objective to minimise and a function reading its own values from the solver (kept in
    `Result.extra`): the consolidation's open/closed schools. `start`: a zoning that keeps
    every constraint (the least-CV search's), kept as the best so far — returned at worst —
    and the first hint; without it, or with one that breaks a constraint (ignored) or with
    `extend`, the search starts from today's zoning.

    Raises
    ------
    InfeasibleError
        Time ran out before any admissible zoning was found (and none was proven absent).
    """
    if infeasible_units(inst):
        return None
    # tangents at the baseline's pupils first: where a bound is tight (a CV over its limit
    # today may not rise) they hold the solution near it, and most solves need one round
    cuts = initial_cuts(inst) if inst.ind is not None else []
    t0 = time.perf_counter()
    # the relaxation's bound is printed too, within the limit: solved first, so that CP-SAT
    # gets whatever time it leaves
    relaxed = lp_bound(inst, seconds=min(LP_SECONDS, LP_SHARE * time_limit_s)) \
        if extend is None else float("-inf")
    best: list = []  # [objective, assign, extra] of the best admissible zoning found
    if start is not None and extend is None:
        from planner.optimize.feasible import violations

        if not violations(inst, start):
            best = [float(inst.objective(start)), start, None]
    bound, log = float("-inf"), []
    broken = None  # (objective, zoning) of the last round when it broke a CV bound
    for rounds in range(1, MAX_ROUNDS + 1):
        left = time_limit_s - (time.perf_counter() - t0)
        if left < 1.0 or stopped():
            break
        share = left if inst.ind is None or rounds > 1 else FIRST_ROUND_SHARE * left
        found = _solve_once(inst, cuts, share, workers, _start(inst, best, broken), report,
                            extend, best)
        if found is None:  # infeasible over the cuts: infeasible, unless a zoning is at hand
            if best:  # (the cuts are then linearisations that cut it off)
                break
            return None
        assign, proven, objective, round_bound, log, extra = found
        bound = max(bound, round_bound)
        if assign is None:
            break  # nothing within this round's time
        new = more_cuts(inst, cuts, inst.loads(assign).sum(axis=2), soft=extend is None) \
            if inst.ind is not None else []
        if not new:
            if best and best[0] < objective:  # an earlier round's solution was better
                break
            if proven or time_limit_s - (time.perf_counter() - t0) < 5.0:
                # optimal for linearised CV bounds is no proof for the exact ones
                return _result(inst, assign, "optimal" if proven and _exact_cvs(inst)
                               else "feasible", objective, min(bound, objective), relaxed, t0,
                               rounds, log, extra)
            broken = None  # every bound holds: search on with the time left, from this solution,
            if inst.ind is not None and extend is None:  # with those it came near exact,
                cuts += near_bounds(inst, cuts, inst.loads(assign).sum(axis=2),  # which a
                                    soft=True)  # longer search would break
            continue
        cuts += new
        broken = (objective, assign)
    if not best:
        if stopped():
            raise StoppedError("the solve was stopped before it found a plan: nothing to save")
        raise InfeasibleError(f"no zoning found within {time_limit_s:.0f} s (neither one nor a "
                              "proof that none exists): allow more time (--time-limit)")
    return _result(inst, best[1], "feasible", best[0], min(bound, best[0]), relaxed, t0,
                   rounds, log, best[2])


NEAR = 0.05  # a kept solution this near a broken one is the better start for the next round


def _start(inst: Instance, best: list, broken: tuple | None) -> np.ndarray:
    """Where a round starts: the best solution kept, or the last round's broken one.

    The best solution that kept every CV bound is a complete hint, so the search starts
    from it at once; when it is far worse than the last round's solution, which broke a
    bound it now has, repairing that one (a hint of its zoning) starts nearer.
    """
    if broken is not None and not (best and best[0] <= broken[0] * (1 + NEAR)):
        return broken[1]
    return best[1] if best else inst.zoned


def _exact_cvs(inst: Instance) -> bool:
    """Whether the CV cuts are bounds (no CV bound, or resources and N fixed)."""
    return inst.ind is None or not np.isfinite(inst.cv_bound()).any() or inst.ind.linear_cvs()


def _result(inst, assign, status, objective, bound, relaxed, t0, rounds, log, extra
            ) -> Result:
    return Result(instance=inst, assign=assign, status=status, objective=objective,
                  best_bound=bound, lp_bound=relaxed, seconds=time.perf_counter() - t0,
                  rounds=rounds, progress=log, extra=extra)


def solve(inst: Instance, *, time_limit_s: float = 60.0, workers: int = 2,
          report: Callable[[float, float, float], None] | None = None) -> Result:
    """Solve an instance with CP-SAT and bound it with the LP relaxation.

    Raises
    ------
    InfeasibleError
        No assignment meets the constraints.
    """
    result = solve_or_none(inst, time_limit_s=time_limit_s, workers=workers, report=report)
    if result is None:
        raise InfeasibleError("no zoning meets the constraints (see diagnose() for where seats "
                              "are short)")
    return result


LP_SECONDS = 20.0  # the relaxation is a report, not a step: it gets at most this long
LP_SHARE = 0.25  # and at most this share of the time limit


def lp_bound(inst: Instance, cuts: list[Cut] = (), *, seconds: float = LP_SECONDS) -> float:
    """Return the optimum of the LP relaxation (GLOP): x in [0, 1], classes fractional.

    Without the outer-approximation cuts (fewer constraints: still a valid bound). −inf
    when GLOP does not reach it within `seconds` (CP-SAT's own bound remains).
    """
    lp = pywraplp.Solver.CreateSolver("GLOP")
    _, objective, _ = formulate(inst, lambda lo, hi, boolean: lp.NumVar(lo, hi, ""), lp.Add,
                                cuts)
    lp.Minimize(objective)
    lp.SetTimeLimit(int(seconds * 1000))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return float("-inf")
    return float(lp.Objective().Value())


# --- the least CV ------------------------------------------------------------------------------

LEAST_CV_ROUNDS = 3  # rounds of the least-CV search (each one CP-SAT solve)
LEAST_CV_MORE = 2  # with a CV to reach, rounds go on up to this many times as many
LEAST_CV_SCALE = 10 ** 11  # the largest CV's Σ R_i² / P_i at the start, scaled to an integer
TANGENTS = 40  # tangent lines under each school's term R_i² / P_i, over its range
SHARED_MARGIN = 0.005  # posted CV bounds of resources shared with another section: this lower


def least_cv(inst: Instance, start: np.ndarray, *, time_limit_s: float, workers: int = 2,
             rounds: int = LEAST_CV_ROUNDS,
             repair: Callable[[np.ndarray, float], np.ndarray] | None = None,
             until: float | None = None) -> np.ndarray:
    """The zoning with the least largest CV of the last year found from `start` (admissible).

    Each round minimises the largest CV's Σ_i R_i² / P_i (N and the resources taken at the
    current zoning; each term from below by tangent lines), with no travel in it, while
    every other CV of the last year stays at or below it and within its bound, and every
    other constraint holds: the search goes where travel does not lead (the frontier's other
    end, where a bound on the CVs with travel as the objective finds nothing in time). The
    other CVs are posted by safe secants laid around the current zoning, those with
    resources shared with another section (which move with the pupils: the secants take them
    as split at the current zoning) `SHARED_MARGIN` lower, and lower again by what a round
    overshot them; a round whose zoning breaks a bound adds cuts there. A round's zoning is
    kept when it keeps every exact CV bound and lowers the largest CV; the best is returned
    (`start` when none does).

    With `repair` (the exact descent, called with a zoning and the seconds of a round, on
    top of the rounds' time), each round's zoning also goes through it, one that broke a
    bound too, and the shared CVs are posted at their bounds (no margin): the descent puts
    back what the secants let slip and lowers the CVs further where the linearisation
    stopped; the round's zoning or the descent's, whichever is admissible with the lower
    largest CV, is judged; cuts and margins still follow the round's own zoning.

    With `until` (a CV to reach: the section's limit or a target), the search goes on past
    `rounds` while the largest CV is over it and the last round lowered it, up to
    `LEAST_CV_MORE` × `rounds` in all, each further round given one round's time
    (`time_limit_s` / `rounds`) at most.
    """
    ind, t = inst.ind, inst.last()
    cur, cuts = start, None
    t0 = time.perf_counter()
    shared = ind.shared()[t]
    margin = (0.0 if repair else SHARED_MARGIN) * shared
    budget, r, lowered = time_limit_s, 0, True
    while r < rounds or (until is not None and r < LEAST_CV_MORE * rounds and lowered
                         and max_cv(inst, cur) > until):
        if r >= rounds:
            budget += time_limit_s / rounds
        left = budget - (time.perf_counter() - t0)
        if left < 1.0 or stopped():
            break
        pupils_now = inst.loads(cur).sum(axis=2).astype(float)
        cv = ind.cvs(pupils_now)[t]
        k = int(np.nanargmax(cv))
        limit = ind.cv_limit.copy()
        limit[t] = np.minimum(limit[t], cv[k]) - margin
        limit[t, k] = cv[k]
        search = replace(inst, ind=replace(ind, cv_limit=limit,
                                           resource=ind.resources(pupils_now)), cv_target=None,
                         secants_at=pupils_now)
        if cuts is None:
            cuts = initial_cuts(search)
        cuts += [Exact(t, j) for j in np.flatnonzero(np.isfinite(limit[t]))
                 if j != k and Exact(t, j) not in cuts]
        seconds = left / (rounds - r) if r < rounds else min(left, time_limit_s / rounds)
        found = _least_cv_round(search, cuts, k, pupils_now, cur, seconds, workers)
        r, lowered = r + 1, False
        if found is None:
            break
        kept = found if admissible(inst, found) else None
        if repair is not None:  # its time is its own, not the rounds'
            t1 = time.perf_counter()
            kept = _lower(inst, kept, repair(found, time_limit_s / rounds))
            t0 += time.perf_counter() - t1
        after = inst.loads(found).sum(axis=2).astype(float)
        if kept is not None and max_cv(inst, kept) < cv[k] - 1e-9:
            cur, lowered = kept, True
        elif not admissible(search, found):
            cuts += more_cuts(search, cuts, after)
            over = np.maximum(ind.cvs(after)[t] - search.cv_bound()[t], 0.0)  # as posted
            over[k] = 0.0
            margin = margin + np.where(shared & (over > 0), over + SHARED_MARGIN, 0.0)
        else:
            break  # the linearisation's gain is no gain in the exact CVs
    return cur


def max_cv(inst: Instance, assign: np.ndarray) -> float:
    """The section's largest CV in the last year checked (every cohort phased in)."""
    return float(np.nanmax(zoning_cvs(inst, assign)[-1]))


def _lower(inst: Instance, a: np.ndarray | None, b: np.ndarray) -> np.ndarray | None:
    """Of two zonings (a: admissible or None), the admissible one with the lower largest CV."""
    if not admissible(inst, b):
        return a
    return b if a is None or max_cv(inst, b) < max_cv(inst, a) else a


def least_cv_alone(inst: Instance, start: np.ndarray, k: int, *, time_limit_s: float,
                   workers: int = 2) -> np.ndarray:
    """The least CV of indicator k in the last year found with every other CV left free.

    From the admissible zoning `start`, every other constraint held. What the frontier tells
    a planner when the least largest CV stays over its limit: how low that CV goes on its
    own, and which others then cross their limits. `start` when the search finds no lower
    one (in the exact CV).
    """
    ind, t = inst.ind, inst.last()
    pupils_now = inst.loads(start).sum(axis=2).astype(float)
    free = replace(inst, ind=replace(ind.without_cv_limits(),
                                     resource=ind.resources(pupils_now)), cv_target=None)
    found = _least_cv_round(free, [], k, pupils_now, start, time_limit_s, workers)
    if found is None:
        return start
    after = inst.loads(found).sum(axis=2).astype(float)
    return found if ind.cvs(after)[t, k] < ind.cvs(pupils_now)[t, k] else start


def _least_cv_round(inst: Instance, cuts: list, k: int, pupils_now: np.ndarray,
                    start: np.ndarray, seconds: float, workers: int) -> np.ndarray | None:
    """One solve minimising indicator k's Σ R_i² / P_i in the last year.

    Travel is left out (pupils over a size cap still count): a tie-break on it, however
    small, kept the search near the least-travel zoning it starts from, where the CVs went
    less far down (the demo, from its least-travel plan: 0.507–0.510 in three runs with it,
    0.505 without it, 0.49997 with the descent also going on after its repair); the
    frontier's plans between look for the least travel at each CV.
    """
    ind, t = inst.ind, inst.last()
    model = cp_model.CpModel()
    x, over_cap, pupils = formulate(  # no travel: only pupils over size caps are priced
        inst, lambda lo, hi, boolean: model.NewBoolVar("") if boolean else model.NewIntVar(
            lo, hi, ""), model.Add, cuts, travel_unit=None)
    m = np.flatnonzero(ind.in_scope[:, t])
    r = ind.resources(pupils_now)[m, t, k]
    p_now = np.maximum(pupils_now[m, t], 1.0)
    scale = LEAST_CV_SCALE / max(float((r ** 2 / p_now).sum()), 1e-12)
    ub = upper_bounds(inst).sum(axis=2)[:, t]
    fixed = inst.fixed.sum(axis=2)[:, t]
    terms = []
    for s, ri in zip(m, r, strict=True):
        q, p = scale * ri ** 2, pupils[int(s), t]
        if q < 1 or isinstance(p, int):
            continue
        lo, hi = max(int(fixed[s]), 1), max(int(ub[s]), 1)
        z = model.NewIntVar(0, int(q / lo) + 1, "")
        for e in sorted({lo, hi, *np.geomspace(lo, hi, TANGENTS).round().astype(int)}):
            model.Add(z >= int(np.floor(2 * q / e)) + int(np.floor(-q / e ** 2)) * p)
        terms.append(z)
    model.Minimize(sum(terms) + over_cap)
    solver = _hinted_solver(model, x, start, workers, seconds)
    done = _watch(solver)
    status = solver.Solve(model)
    done.set()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _assignment(inst, x, solver.BooleanValue)


def baseline_pupils(inst: Instance) -> np.ndarray:
    """(S, T) pupils with every unit at today's zoned school (its first candidate if none)."""
    assign = np.array([z if z >= 0 else (c[0] if c else 0)
                       for z, c in zip(inst.zoned, inst.candidates, strict=True)])
    return inst.loads(assign).sum(axis=2).astype(float)
