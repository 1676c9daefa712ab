"""Which small schools to close (撤并), and where their catchments go.

Candidates are the section's teaching points and its single-section schools under
`min_pupils`. The model is the re-zoning model (every constraint of planner/optimize/model.py,
every year from the closing year through the section's grades, all cohorts moving at once) with
one more binary per candidate — open or closed — and only the units zoned to a candidate free
to move (everyone else keeps their school). It closes as many candidates as it can, then
spends the least travel; or, with `objective="cost"`, it minimises the yearly cost: the
teachers an open candidate keeps (at the profile's cost of a teacher-year) plus the pupils'
travel and the bus or boarding places of those beyond walking distance.

Pupils beyond the service radius of their new school are counted as bus pupils, or boarders
from `boarding_from_grade` on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner.errors import InfeasibleError
from planner.optimize.instance import Instance, Options, build_instance
from planner.optimize.model import infeasible_units, solve_or_none
from planner.plan import Plan


@dataclass(frozen=True)
class Consolidation:
    """What the consolidation found.

    Attributes
    ----------
    instance
        The problem solved.
    assign
        Unit index → school index.
    closed
        Indices of the schools closed.
    candidates
        Indices of every candidate.
    kept
        Candidates left open, with why: school_id, name, pupils, reason.
    closures
        Per school closed: school_id, name, pupils, into (the schools taking them), travel
        before and after (pupil-km), bus and boarding pupils, places left at the schools that
        take them.
    status, objective, seconds, rounds
        As the optimiser reports them.
    year
        The school year the schools close.
    """

    instance: Instance
    assign: np.ndarray
    closed: np.ndarray
    candidates: np.ndarray
    kept: pd.DataFrame
    closures: pd.DataFrame
    status: str
    objective: float
    seconds: float
    rounds: int
    year: int | None

    def edits(self) -> list[dict]:
        """`move_unit` edits for every unit re-zoned (every grade), then the closures."""
        inst = self.instance
        when = {} if self.year is None else {"year": int(self.year), "all_grades": True}
        out = []
        for u, s in enumerate(self.assign):
            if s != inst.zoned[u]:  # a closed school's units, or a kept one's it gives up
                out.append({"op": "move_unit", "unit_id": str(inst.unit_ids[u]),
                            "section": inst.section, "to_school": str(inst.school_ids[s]),
                            **when})
        # at every candidate, closed or kept, pupils from other catchments go back to their
        # own zoned schools (as the model has them: it frees the candidates' choosers)
        for s in self.candidates:
            out.append({"op": "enforce_zoning", "school_id": str(inst.school_ids[s]),
                        "section": inst.section, **when})
        for rec in self.closures.to_dict("records"):
            # then it closes (whatever remains — none — to the school taking most of its units)
            out.append({"op": "close_school", "school_id": rec["school_id"],
                        "into": rec["into"].split(",")[0],
                        **({} if self.year is None else {"year": int(self.year)})})
        return out


def candidates_of(inst: Instance, plan: Plan, min_pupils: int, listed: tuple[str, ...]
                  ) -> np.ndarray:
    """Return the local indices of the schools that may close.

    Teaching points and single-section schools of the section under `min_pupils` (first
    year), or those `listed`.
    """
    kinds = plan.schools["kind"][np.flatnonzero(plan.teaches(inst.section))]
    single = np.isin(kinds, ["teaching_point", "primary" if inst.section == "primary"
                             else "junior"])
    pupils = inst.loads(np.maximum(inst.zoned, 0)).sum(axis=2)[:, 0]
    if listed:
        wanted = set(listed)
        return np.array([i for i, s in enumerate(inst.school_ids) if s in wanted],
                        dtype=np.int64)
    return np.flatnonzero(single & ((kinds == "teaching_point") | (pupils < min_pupils)))


def consolidate(plans: list[Plan], options: Options, *, min_pupils: int = 100,
                listed: tuple[str, ...] = (), objective: str = "count",
                boarding_from_grade: int = 7, report=None) -> Consolidation:
    """Choose which small schools to close and where their units go.

    Parameters
    ----------
    plans
        The baseline plans of the closing year and the years after it (all cohorts move).
    options
        The constraints (section, distance limit, indicators, places…); every unit not zoned
        to a candidate keeps its school.
    min_pupils, listed
        Candidates: teaching points and the section's single-section schools under
        `min_pupils`, or the schools listed.
    objective
        "count" (close as many as possible, then least travel) or "cost" (least yearly cost).
    boarding_from_grade
        Pupils beyond walking distance from this grade on board; younger ones ride a bus.

    Raises
    ------
    InfeasibleError
        Not even keeping every school open meets the constraints.
    """
    plan = plans[0]
    kept = replace(options, all_grades=True, keep_choosers=True)
    base = build_instance(plans, kept)
    cand = candidates_of(base, plan, min_pupils, listed)
    movable = np.isin(base.zoned, cand)
    locks = tuple(str(u) for u in base.unit_ids[~movable & (base.zoned >= 0)])
    inst = build_instance(plans, replace(kept, locks=locks),
                          release=frozenset(str(base.school_ids[s]) for s in cand),
                          today_in_reach=True)
    if infeasible_units(inst):
        raise InfeasibleError(f"{len(infeasible_units(inst))} unit(s) have no "
                              f"{inst.section} school within reach")
    std = plan.standards
    cost_open = _open_costs(plan, inst, cand) if objective == "cost" else None
    whole = base.ind  # the indicators with every candidate in scope: the real CVs
    forced: dict[int, str] = {}
    for _ in range(len(cand) + 1):
        found = _solve(inst, cand, objective, cost_open, options.time_limit_s, report,
                       frozenset(forced), base.floor)
        if found is None:
            raise InfeasibleError("no consolidation meets the constraints, not even closing "
                                  "nothing: check the request with `planner optimize`")
        assign, closed = found[0], found[1]
        culprit = _worst_closure(inst, whole, assign, closed) if whole is not None else None
        if culprit is None:
            break
        forced[culprit[0]] = culprit[1]  # keep it open and solve again
    else:
        raise InfeasibleError("no consolidation keeps every CV within its bound (the limit, "
                              "or today's where today is over it)")
    assign, closed, status, value, seconds, rounds = found
    kept = _kept(inst, plan, cand, closed, options, forced)
    closures = _closures(inst, plan, closed, assign, std, boarding_from_grade)
    first = int(plans[0].year) if plans[0].year is not None else None
    return Consolidation(instance=inst, assign=assign, closed=closed, candidates=cand,
                         kept=kept, closures=closures, status=status, objective=value,
                         seconds=seconds, rounds=rounds, year=first)


def _real_cvs(inst: Instance, whole, pupils: np.ndarray) -> np.ndarray:
    """(T, K) the CVs over the schools evaluated today that still have pupils."""
    from planner.indicators import coefficient_of_variation

    out = np.full(whole.cv_limit.shape, np.nan)
    res = whole.resources(pupils.astype(float))
    for t in range(out.shape[0]):
        m = whole.in_scope[:, t] & (pupils[:, t] > 0)
        for k in range(out.shape[1]):
            out[t, k] = coefficient_of_variation(pupils[m, t], res[m, t, k])
    return out


def _worst_closure(inst: Instance, whole, assign: np.ndarray, closed: np.ndarray
                   ) -> tuple[int, str] | None:
    """The closure to undo when the real CVs break a bound, with why; None when none do.

    The consolidation model leaves candidates out of the CVs (a closed school has no
    pupils); with every school evaluated today that keeps pupils, a CV within its limit must
    stay within it and one over it must not rise. The closure whose undoing lowers the worst
    broken CV most is the one to keep open.
    """
    from planner.standards import RESOURCE_IDS

    bound = whole.cv_limit
    cvs = _real_cvs(inst, whole, inst.loads(assign).sum(axis=2))
    over = np.nan_to_num(cvs - bound, nan=-1.0)
    if (over <= 1e-9).all():
        return None
    t, k = np.unravel_index(np.argmax(over), over.shape)
    if not len(closed):
        raise InfeasibleError(f"even closing nothing, the CV of {RESOURCE_IDS[k]} would be "
                              f"{cvs[t, k]:.3f} in {int(inst.years[t])}, over its bound "
                              f"{bound[t, k]:.3f}: the candidates' choosers going back to "
                              "their zoned schools raise it")
    best = None
    for c in closed:
        back = np.where(inst.zoned == c, c, assign)
        value = _real_cvs(inst, whole, inst.loads(back).sum(axis=2))[t, k]
        if best is None or value < best[1]:
            best = (int(c), value)
    why = (f"closing it would raise the CV of {RESOURCE_IDS[k]} to {cvs[t, k]:.3f} in "
           f"{int(inst.years[t])}, over its bound {bound[t, k]:.3f} (the limit, or today's "
           "where today is over it)")
    return best[0], why


def _open_costs(plan: Plan, inst: Instance, cand: np.ndarray) -> dict[int, int]:
    """Yearly cost of keeping each candidate open: its teachers × the cost of a teacher-year."""
    idx = np.flatnonzero(plan.teaches(inst.section))
    teachers = plan.schools["teachers_total"][idx]
    return {int(s): int(teachers[s] * plan.standards.cost_teacher_year) for s in cand}


def _solve(inst: Instance, cand: np.ndarray, objective: str, cost_open, time_limit_s: float,
           report, forced: frozenset[int] = frozenset(), floor: np.ndarray | None = None
           ) -> tuple | None:
    """Solve with one open/closed binary per candidate (see the module docstring).

    Candidates take no unit they do not serve today (a small school is closed or left as
    it is); those in `forced` stay open; one kept open keeps at least its `floor` (S, T) of
    pupils, so the set of evaluated schools changes only by the schools closed.
    """
    def extend(model, x, travel):
        opened = {int(s): model.NewBoolVar("") for s in cand}
        for (u, s), v in x.items():
            if s in opened:
                model.Add(v <= opened[s])
                if inst.zoned[u] != s:
                    model.Add(v == 0)
        for s in forced:
            model.Add(opened[s] == 1)
        for s, o in opened.items():
            for t in range(inst.demand.shape[1]) if floor is not None else ():
                if floor[s, t] > 0:
                    model.Add(sum(int(inst.demand[u, t].sum()) * v for (u, k), v in x.items()
                                  if k == s) + int(inst.fixed[s, t].sum())
                              >= int(floor[s, t]) * o)
        for s, o in opened.items():  # a school that keeps pupils whatever happens stays
            if inst.fixed[s].sum() > 0:
                model.Add(o == 1)
        if objective == "cost":
            total = travel + sum(cost_open[s] * o for s, o in opened.items())
        else:  # each school kept open outweighs any travel
            weight = int(sum(inst.cost(u, s) for (u, s) in x)) + 1
            total = weight * sum(opened.values()) + travel
        return total, lambda solver: [s for s, o in opened.items() if not solver.Value(o)]

    found = solve_or_none(inst, time_limit_s=time_limit_s, report=report, extend=extend)
    if found is None:
        return None
    return (found.assign, np.array(sorted(found.extra), dtype=np.int64), found.status,
            found.objective, found.seconds, found.rounds)


def _kept(inst: Instance, plan: Plan, cand: np.ndarray, closed: np.ndarray,
          options: Options, forced: dict[int, str]) -> pd.DataFrame:
    """Candidates left open, each with why: out of reach, a CV, or room and indicators."""
    rows = []
    names = dict(zip(plan.school_ids, plan.schools["name"], strict=True))
    pupils = inst.loads(np.maximum(inst.zoned, 0)).sum(axis=2)[:, 0]
    limit = options.max_distance_m
    for s in sorted(set(cand.tolist()) - set(closed.tolist())):
        units = np.flatnonzero(inst.zoned == s)
        alone = [u for u in units if not any(k != s and k not in cand
                                             for k in inst.candidates[u])]
        if alone:
            far = f"within {limit:,.0f} m" if limit is not None else "within reach"
            why = (f"{len(alone)} of its unit(s) have no other school {far} that they can "
                   "join with a connected catchment")
        elif s in forced:
            why = forced[s]
        else:
            why = _blocked(inst, s, cand)
        sid = str(inst.school_ids[s])
        rows.append({"school_id": sid, "name": names.get(sid, sid), "pupils": int(pupils[s]),
                     "reason": why})
    return pd.DataFrame(rows, columns=["school_id", "name", "pupils", "reason"])


def _blocked(inst: Instance, s: int, cand: np.ndarray) -> str:
    """Why school s cannot close: its units sent to their nearest other school, what breaks."""
    from planner.optimize.check import violations

    units = np.flatnonzero(inst.zoned == s)
    trial = inst.zoned.copy()
    for u in units:
        others = [k for k in inst.candidates[u] if k != s and k not in cand]
        trial[u] = min(others, key=lambda k: inst.dist[u, k])
    today = set(violations(inst, inst.zoned))  # what today's zoning breaks already
    broken = [v for v in violations(inst, trial) if v not in today and "contiguous" not in v
              and "no neighbour nearer" not in v]
    if not broken:
        return ("its units fit the schools around only in ways that break contiguity or "
                "another closure")
    return "sent to the nearest schools, " + "; ".join(broken[:2])


def _closures(inst: Instance, plan: Plan, closed: np.ndarray, assign: np.ndarray, std,
              boarding_from: int) -> pd.DataFrame:
    """Per school closed: where its pupils go, travel before and after, buses and boarders."""
    names = dict(zip(plan.school_ids, plan.schools["name"], strict=True))
    first = std.grades(inst.section)[0]
    area = plan.schools["area_type"][np.flatnonzero(plan.teaches(inst.section))]
    radius = np.array([std.section(inst.section).radius_m(a) for a in area])
    load = inst.loads(assign).sum(axis=2)[:, 0]
    room = np.minimum(inst.size_cap[:, 0], inst.places[:, 0])
    rows = []
    for s in closed:
        units = np.flatnonzero(inst.zoned == s)
        demand = inst.demand[units, 0]  # (units, grades) in the closing year
        n = int(demand.sum())
        to = assign[units]
        before = float((demand.sum(axis=1) * inst.dist[units, s]).sum()) / 1000
        after = float((demand.sum(axis=1) * inst.dist[units, to]).sum()) / 1000
        far = inst.dist[units, to] > radius[to]
        board_grades = np.arange(demand.shape[1]) + first >= boarding_from
        boarders = int(demand[far][:, board_grades].sum())
        buses = int(demand[far][:, ~board_grades].sum())
        into = [str(inst.school_ids[t]) for t in dict.fromkeys(to.tolist())]
        rows.append({"school_id": str(inst.school_ids[s]),
                     "name": names.get(str(inst.school_ids[s]), ""), "pupils": n,
                     "into": ",".join(into), "travel_before_km": round(before, 1),
                     "travel_after_km": round(after, 1), "bus_pupils": buses,
                     "boarders": boarders,
                     "places_left": ",".join(f"{t}:{int(room[j] - load[j])}" for t, j in zip(
                         into, dict.fromkeys(to.tolist()), strict=True))})
    return pd.DataFrame(rows, columns=["school_id", "name", "pupils", "into",
                                       "travel_before_km", "travel_after_km", "bus_pupils",
                                       "boarders", "places_left"])
