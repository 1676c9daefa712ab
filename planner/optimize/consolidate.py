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

from planner.admission import YOUNG_GRADES, allowed, own_township_first, ride_minutes, walk_or_ride
from planner.capacity import teachers_over_norm
from planner.errors import InfeasibleError
from planner.optimize.instance import Instance, Options, build_instance, with_candidates
from planner.optimize.model import infeasible_units, solve_or_none
from planner.plan import Plan
from planner.plan.edits import MOVABLE
from planner.schema import SECTIONS
from planner.standards import RESOURCE_COLUMNS, RESOURCE_KEYS


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
        The first school year of the consolidation: entrants go to the new schools (staged),
        or every grade moves and the schools close (at once).
    staged
        Closures staged (停招): no entrants from `year`, each school closed in the year its
        last cohort has left (`close_year`), its teachers going with its pupils.
    pupils
        Every pupil moved: school_id (closed), unit_id, unit, to_school, year, grade, pupils,
        distance before and after (m), the ride after (minutes), whether within walking
        distance (the section's service radius for the unit's area type).
    gains
        School index closed → what closing it gains (mixed-grade classes ended, a section
        not meeting R1–R7 closed, teachers over the staffing norm the county can redeploy).
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
    staged: bool = False
    pupils: pd.DataFrame | None = None
    gains: dict | None = None

    @property
    def close_year(self) -> int | None:
        """The year the schools close: `year`, or when their last cohort has left (staged)."""
        if self.year is None or not self.staged:
            return self.year
        return int(self.year) + self.instance.demand.shape[2] - 1

    def edits(self) -> list[dict]:
        """`move_unit` edits for every unit re-zoned, then the closures (teachers along).

        Staged: the moves and the zoning enforced take the entrants from `year` on; each
        school closes in `close_year`. At once: every grade in `year`.
        """
        inst = self.instance
        when = {} if self.year is None else {"year": int(self.year),
                                             **({} if self.staged else {"all_grades": True})}
        out = []
        closed = set(int(c) for c in self.closed)
        for u, s in enumerate(self.assign):
            if s != inst.zoned[u]:  # a closed school's units, or a kept one's it gives up
                # a school that stops admitting (停招) keeps no sibling: they enter the new one
                out.append({"op": "move_unit", "unit_id": str(inst.unit_ids[u]),
                            "section": inst.section, "to_school": str(inst.school_ids[s]),
                            **when, **({"siblings": False} if "all_grades" not in when
                                       and when and int(inst.zoned[u]) in closed else {})})
        # at every school closed, pupils from other catchments go back to their own zoned
        # schools (as the model has them: it frees the closed schools' choosers)
        for s in self.closed:
            out.append({"op": "enforce_zoning", "school_id": str(inst.school_ids[s]),
                        "section": inst.section, **when})
        into = into_of(inst, self.assign, self.closed)
        for c, rec in zip(self.closed, self.closures.to_dict("records"), strict=True):
            # then it closes, its teachers to the school taking most of its pupils
            out.append({"op": "close_school", "school_id": rec["school_id"],
                        "into": str(inst.school_ids[into[int(c)]]), "with_teachers": True,
                        **({} if self.year is None else {"year": self.close_year})})
        return out


# the resources a closed school's teachers and equipment take along (edits.MOVABLE)
_MOVABLE_K = [k for k, key in enumerate(RESOURCE_KEYS) if RESOURCE_COLUMNS[key][0] in MOVABLE]


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
                boarding_from_grade: int = 7, report=None, at_once: bool = False
                ) -> Consolidation:
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
    at_once
        Close in the first year for every grade; by default closures are staged (停招): the
        school takes no entrants from the first year and closes when its last cohort leaves.

    Raises
    ------
    InfeasibleError
        Not even keeping every school open meets the constraints.
    """
    plan = plans[0]
    at_once = at_once or plan.year is None  # no school year: no stages
    kept = replace(options, all_grades=at_once, keep_choosers=True)
    base = build_instance(plans, kept)
    cand = candidates_of(base, plan, min_pupils, listed)
    movable = np.isin(base.zoned, cand)
    locks = tuple(str(u) for u in base.unit_ids[~movable & (base.zoned >= 0)])

    def instance(release) -> Instance:
        return _near_home(build_instance(plans, replace(kept, locks=locks),
                                         release=frozenset(str(base.school_ids[s])
                                                           for s in release),
                                         today_in_reach=True), plan, kept)

    inst = instance(cand)
    if infeasible_units(inst):
        raise InfeasibleError(f"{len(infeasible_units(inst))} unit(s) have no "
                              f"{inst.section} school within reach")
    cost_open = _open_costs(plan, inst, cand) if objective == "cost" else None
    whole = base.ind  # the indicators with every candidate in scope: the real CVs
    forced: dict[int, str] = {}
    found = _choose(inst, plan, cand, objective, cost_open, options, report, forced, base,
                    at_once)
    released = cand
    while set(found[1].tolist()) != set(released.tolist()):
        # the choosers of the schools kept stay there: solved again with only the closed
        # schools' choosers following their zones (nobody moves for a school that stays)
        released = found[1]
        inst = instance(released)
        found = _choose(inst, plan, cand, objective, cost_open, options, report, forced,
                        base, at_once)
    std = plan.standards
    assign, closed, status, value, seconds, rounds = found
    kept = _kept(inst, plan, cand, closed, options, forced)
    # what the closures change once every cohort has moved (staged: the last year checked)
    closures = _closures(inst, plan, closed, assign, std, boarding_from_grade,
                         -1 if not at_once else 0)
    first = int(plans[0].year) if plans[0].year is not None else None
    return Consolidation(instance=inst, assign=assign, closed=closed, candidates=cand,
                         kept=kept, closures=closures, status=status, objective=value,
                         seconds=seconds, rounds=rounds, year=first, staged=not at_once,
                         pupils=_moved(inst, plans, closed, assign, at_once),
                         gains=_gains(inst, plan, closed, whole))


def _choose(inst: Instance, plan: Plan, cand: np.ndarray, objective: str, cost_open,
            options: Options, report, forced: dict[int, str], base: Instance,
            at_once: bool) -> tuple:
    """Solve, and keep open (in `forced`, with why) what breaks a real CV or gains nothing."""
    whole = base.ind
    for _ in range(len(cand) + 1):
        found = _solve(inst, cand, objective, cost_open, options.time_limit_s, report,
                       frozenset(forced), base.floor)
        if found is None:
            raise InfeasibleError("no consolidation meets the constraints, not even closing "
                                  "nothing: check the request with `planner optimize`")
        assign, closed = found[0], found[1]
        culprit = (_worst_closure(inst, whole, assign, closed, 0 if at_once else -1)
                   if whole is not None else None)
        if culprit is not None:
            forced[culprit[0]] = culprit[1]  # keep it open and solve again
            continue
        idle = [int(c) for c in closed if not _gains_of(inst, plan, int(c), whole)]
        if not idle:
            return found
        for c in idle:  # a school is closed only for a gain
            forced[c] = ("closing it gains nothing counted here: no mixed-grade classes, its "
                         "section meets R1–R7, no teachers over the staffing norm")
    raise InfeasibleError("no consolidation keeps every CV within its bound (the limit, "
                          "or today's where today is over it)")


def into_of(inst: Instance, assign: np.ndarray, closed) -> dict[int, int]:
    """Closed school → the school taking most of its pupils (its teachers go there)."""
    out = {}
    for c in closed:
        units = np.flatnonzero(inst.zoned == c)
        if len(units):
            n = np.bincount(assign[units], weights=inst.demand[units, -1].sum(axis=1),
                            minlength=len(inst.school_ids))
            n[assign[units]] += 1e-9  # a unit with no pupils yet still names its school
            out[int(c)] = int(np.argmax(n))
    return out


def _real_cvs(inst: Instance, whole, pupils: np.ndarray, moved: dict[int, int] | None = None,
              from_t: int = 0) -> np.ndarray:
    """(T, K) the CVs over the schools evaluated today that still have pupils.

    `moved`: closed school → the school its teachers, equipment and multimedia rooms go to
    (close_school with_teachers), from year index `from_t` on (staged: the closing year).
    """
    from planner.indicators import coefficient_of_variation

    out = np.full(whole.cv_limit.shape, np.nan)
    res = whole.resources(pupils.astype(float))
    if moved:
        c = whole.c.copy()
        for a, b in moved.items():
            c[b, _MOVABLE_K] += c[a, _MOVABLE_K]
        after = replace(whole, c=c).resources(pupils.astype(float))
        res[:, from_t:] = after[:, from_t:]
    for t in range(out.shape[0]):
        m = whole.in_scope[:, t] & (pupils[:, t] > 0)
        for k in range(out.shape[1]):
            out[t, k] = coefficient_of_variation(pupils[m, t], res[m, t, k])
    return out


def _worst_closure(inst: Instance, whole, assign: np.ndarray, closed: np.ndarray,
                   from_t: int = 0) -> tuple[int, str] | None:
    """The closure to undo when the real CVs break a bound, with why; None when none do.

    The consolidation model leaves candidates out of the CVs (a closed school has no
    pupils); with every school evaluated today that keeps pupils, a CV within its limit must
    stay within it and one over it must not rise. The closure whose undoing lowers the worst
    broken CV most is the one to keep open.
    """
    from planner.standards import RESOURCE_IDS

    bound = whole.cv_limit
    cvs = _real_cvs(inst, whole, inst.loads(assign).sum(axis=2),
                    into_of(inst, assign, closed), from_t)
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
        rest = [x for x in closed if x != c]
        value = _real_cvs(inst, whole, inst.loads(back).sum(axis=2),
                          into_of(inst, back, rest), from_t)[t, k]
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
            if inst.fixed[s, -1].sum() > 0:  # (staged: once its last cohort has left)
                model.Add(o == 1)
        for (u, s), v in x.items():  # a school kept keeps its units: nobody moves for nothing
            if s in opened and inst.zoned[u] == s:
                model.Add(v == opened[s])
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
            if set(YOUNG_GRADES) & set(plan.standards.grades(inst.section)):
                far += (" and walking distance or a "
                        f"{plan.standards.max_ride_min:.0f}-minute ride (grades 1–3)")
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
    from planner.optimize.feasible import violations

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
              boarding_from: int, t: int = 0) -> pd.DataFrame:
    """Per school closed: where its pupils go, travel before and after, buses and boarders.

    In the checked year `t` (its index).
    """
    names = dict(zip(plan.school_ids, plan.schools["name"], strict=True))
    first = std.grades(inst.section)[0]
    area = plan.schools["area_type"][np.flatnonzero(plan.teaches(inst.section))]
    radius = np.array([std.section(inst.section).radius_m(a) for a in area])
    load = inst.loads(assign).sum(axis=2)[:, t]
    room = np.minimum(inst.size_cap[:, t], inst.places[:, t])
    rows = []
    for s in closed:
        units = np.flatnonzero(inst.zoned == s)
        demand = inst.demand[units, t]  # (units, grades) in that year
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


def _near_home(inst: Instance, plan: Plan, options: Options) -> Instance:
    """The instance with a closed school's units kept near home (国办发〔2012〕48号).

    Grades 1–3 within walking distance or a ride of at most max_ride_min
    (admission.walk_or_ride), and to their own township's school wherever one qualifies.
    A unit may always keep today's school (its school stays open).
    """
    sec = inst.section
    idx = np.flatnonzero(plan.teaches(sec))
    ok = allowed(plan, sec, moves=False) & walk_or_ride(plan, sec)
    ok = own_township_first(plan, ok)[:, idx]
    today = inst.zoned >= 0
    ok[np.flatnonzero(today), inst.zoned[today]] = True
    admitted = ok if inst.admitted is None else inst.admitted & ok
    return with_candidates(replace(inst, admitted=admitted, candidates=[]), options)


def _gains_of(inst: Instance, plan: Plan, s: int, whole) -> list[tuple[str, float]]:
    """What closing school s (local index) gains: (what, how much) for each gain."""
    std = plan.standards
    g = int(np.flatnonzero(plan.teaches(inst.section))[s])
    out = []
    if inst.multigrade[s]:
        out.append(("mixed_grade_classes", float(plan.schools[f"classes_{inst.section}"][g])))
    if whole is not None and whole.in_scope[s, -1] and not whole.passing[s, -1]:
        out.append(("failing_section", 1.0))
    spare = teachers_over_norm(plan.schools["teachers_total"][g],
                               plan.schools[f"students_{inst.section}"][g], inst.section, std)
    if spare > 0:
        out.append(("teachers_over_norm", float(spare)))
    return out


def _gains(inst: Instance, plan: Plan, closed: np.ndarray, whole) -> dict:
    return {int(c): _gains_of(inst, plan, int(c), whole) for c in closed}


def _moved(inst: Instance, plans: list[Plan], closed: np.ndarray, assign: np.ndarray,
           at_once: bool) -> pd.DataFrame:
    """Every pupil a consolidation moves, by closed school, unit, year and grade.

    The closed schools' units' pupils who follow the new zoning, and the pupils of other
    units at a closed school (choosers) who go back to their own zoned school.
    """
    plan = plans[0]
    std = plan.standards
    grades = std.grades(inst.section)
    idx = np.flatnonzero(plan.teaches(inst.section))
    radius = np.array([std.section(inst.section).radius_m(a) for a in plan.units.area_type])
    rows = []
    for t, p in enumerate(plans):  # the choosers, as the model frees them
        first = grades[0]
        for s in closed:
            g = idx[s]
            r = p.rows
            mine = (r.es == g) & (p.zone[SECTIONS.index(inst.section)][r.eu] != g) & (
                np.isin(r.grade, grades)) & (r.n > 0)
            if not at_once:
                mine &= r.grade - first <= t
            for u, grade, n in zip(r.eu[mine], r.grade[mine], r.n[mine], strict=True):
                to = int(inst.zoned[u])
                rows.append({"school_id": str(inst.school_ids[s]),
                             "unit_id": str(inst.unit_ids[u]), "unit": str(plan.units.names[u]),
                             "to_school": str(inst.school_ids[to]), "year": int(inst.years[t]),
                             "grade": int(grade), "pupils": int(n),
                             "distance_before_m": round(float(inst.dist[u, s])),
                             "distance_after_m": round(float(inst.dist[u, to])),
                             "ride_after_min": round(float(ride_minutes(inst.dist[u, to], std)),
                                                     1),
                             "walk": bool(inst.dist[u, to] <= radius[u])})
    for s in closed:
        for u in np.flatnonzero(inst.zoned == s):
            to = int(assign[u])
            for t, gi in zip(*np.nonzero(inst.demand[u]), strict=True):
                rows.append({"school_id": str(inst.school_ids[s]),
                             "unit_id": str(inst.unit_ids[u]), "unit": str(plan.units.names[u]),
                             "to_school": str(inst.school_ids[to]),
                             "year": int(inst.years[t]), "grade": int(grades[gi]),
                             "pupils": int(inst.demand[u, t, gi]),
                             "distance_before_m": round(float(inst.dist[u, s])),
                             "distance_after_m": round(float(inst.dist[u, to])),
                             "ride_after_min": round(float(ride_minutes(inst.dist[u, to], std)),
                                                     1),
                             "walk": bool(inst.dist[u, to] <= radius[u])})
    return pd.DataFrame(rows, columns=["school_id", "unit_id", "unit", "to_school", "year",
                                       "grade", "pupils", "distance_before_m",
                                       "distance_after_m", "ride_after_min", "walk"])
