"""Re-zoning a county would adopt: judged by the indicators, within capacity, phased in.

Catchments judged by the 32 indicators, within real capacity, phased with the entry cohorts.

- instance.py: the problem in arrays, year by year of the phase-in;
- model.py: CP-SAT and its LP relaxation, CV bounds by outer approximation;
- shortage.py: where seats are short, sites for new schools, the indicator limits that block;
- feasible.py: what a zoning breaks, exactly, and the greedy baseline;
- check.py: the lines to print about a re-zoning;
- consolidate.py: which small schools to close and where their pupils go;
- disruption.py: the default objective, least disruption (pupils move only for a gain).

:func:`optimise` solves one request; :func:`frontier` the plans from least travel to least CV.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from planner.errors import InfeasibleError
from planner.optimize.check import (
    check_plan,
    impact_lines,
    indicator_problems,
    report_lines,
    summary,
    year_lines,
)
from planner.optimize.descent import descend
from planner.optimize.disruption import least_disruption
from planner.optimize.feasible import classes, greedy, violations
from planner.optimize.instance import (
    DEFAULT_CANDIDATES,
    DEFAULT_CHANGE_WEIGHT_M,
    OBJECTIVES,
    Instance,
    Options,
    build_instance,
    contiguity_keys,
    unit_neighbours,
    with_candidates,
)
from planner.optimize.model import (
    LEAST_CV_ROUNDS,
    Result,
    infeasible_units,
    least_cv,
    least_cv_alone,
    lp_bound,
    max_cv,
    solve,
    solve_or_none,
    zoning_cvs,
)
from planner.optimize.shortage import (
    Shortage,
    blocking_indicators,
    diagnose,
    no_school_message,
    seat_lp,
    site_distance_fn,
    unit_lonlat,
)
from planner.plan import Plan, apply_edits
from planner.plan.classes import section_classes

__all__ = ["DEFAULT_CANDIDATES", "DEFAULT_CHANGE_WEIGHT_M", "Instance", "OBJECTIVES", "Options",
           "Result", "Shortage", "build_instance", "check_plan", "classes",
           "consolidation_lines", "contiguity_keys", "descend", "frontier", "frontier_lines",
           "greedy", "impact_lines", "indicator_problems", "least_cv", "least_cv_zoning",
           "lp_bound", "max_cv", "optimise", "passes", "report_lines", "solve", "solve_or_none",
           "summary", "toward", "unit_neighbours", "violations", "why_text", "with_candidates",
           "year_lines"]


def phase_years(plan: Plan, options: Options) -> list[int] | None:
    """Return the school years a re-zoning is checked in, or None for every grade today.

    From its first entrants on, one year per grade of the section.
    """
    if options.all_grades:
        return None
    if plan.year is None:
        raise InfeasibleError("phasing the new catchments in with the entry cohorts needs the "
                              "workspace's school year (meta `year`): set it, or re-zone every "
                              "grade at once (--all-grades)")
    first = options.first_year if options.first_year is not None else plan.year + 1
    n = len(plan.standards.grades(options.section))
    return list(range(first, first + n))


def optimise(plans: list[Plan], options: Options, *,
             report: Callable[[float, float, float], None] | None = None) -> Result:
    """Build, check and solve one section's request; on shortage raise with what blocks.

    Parameters
    ----------
    plans
        The baseline plan of each year of the phase-in (:func:`phase_years`; planner/session.py
        makes them), or today's plan alone with `all_grades`.
    options
        The request; its objective "cv" and "balanced" hold the section's largest CV down,
        and its `cv_target` holds every CV at or below it once phased in: least travel
        first, then the least CV (:func:`least_cv_zoning`), then the least travel at the
        target from there, as the frontier's steps are made.

    Raises
    ------
    InfeasibleError
        The constraints cannot be met: where seats are short, by how many children within
        what distance, proposed sites for new schools (its `shortage`), and the indicator
        limits that block when seats suffice.
    """
    inst = build_instance(plans, options)
    if options.objective == "inspection" and options.cv_target is None:
        found = _solve(inst, plans, options, report)
        assign, d = least_disruption(inst, found.assign)
        # objective and bounds stay the least-travel step's (the gap is that solve's)
        return replace(found, assign=assign, disruption=d, replans=tuple(_replans(plans[0], replace(
                           found, assign=assign))) if options.all_grades else ())
    if inst.ind is None or (options.objective in ("travel", "inspection")
                            and options.cv_target is None):
        return _solve(inst, plans, options, report)
    free = replace(inst, cv_target=None)
    travel = _solve(free, plans, options, report)
    top = max_cv(inst, travel.assign)
    if options.cv_target is not None and top <= options.cv_target:
        return replace(travel, instance=inst)  # least travel already meets the target
    low = least_cv_zoning(free, options, travel.assign)
    least = max_cv(inst, low)
    if options.cv_target is not None:
        target = options.cv_target
    elif least >= top:
        return travel
    else:
        target = least if options.objective == "cv" else (least + top) / 2
    held = replace(inst, cv_target=target)
    # from the least-CV zoning moved toward least travel as far as the target allows (the
    # frontier's steps): a start that meets the target, when the search reached it
    start = toward(held, low, travel.assign) if least <= target else None
    return _solve(held, plans, options, report, start=start)


def _solve(inst: Instance, plans: list[Plan], options: Options, report,
           start: np.ndarray | None = None) -> Result:
    seated = seat_lp(inst)
    short_of_seats = bool(infeasible_units(inst)) or (seated is not None
                                                      and seated[0].sum() > 0.5)
    result = None if short_of_seats else solve_or_none(inst, time_limit_s=options.time_limit_s,
                                                       report=report, start=start)
    if result is None:
        raise _infeasible(inst, plans[0], options, seated)
    first = None if options.all_grades else int(inst.years[0])
    result = replace(result, first_year=first)
    return replace(result, replans=tuple(_replans(plans[0], result)) if options.all_grades
                   else ())


def _infeasible(inst: Instance, plan: Plan, options: Options, seated) -> InfeasibleError:
    names = dict(zip(plan.school_ids, plan.schools["name"], strict=True))
    short = diagnose(inst, site_distances=site_distance_fn(plan), unit_lonlat=unit_lonlat(plan),
                     unit_names=plan.units.names, seated=seated)
    short.full_schools["name"] = short.full_schools["school_id"].map(names)
    why = no_school_message(inst)
    text = f"the {options.section} constraints cannot be met: " + (why + "\n" if why else "")
    blocks = "" if len(short.unserved) else _what_blocks(inst, names, options.time_limit_s)
    text += blocks.lstrip("\n") if blocks else short.message()
    return InfeasibleError(text, shortage=short)


def _what_blocks(inst: Instance, names: dict, time_limit_s: float) -> str:
    """Which constraint blocks when seats suffice: the indicators, else the places."""
    free = None
    if inst.ind is not None:
        free = solve_or_none(replace(inst, ind=None), time_limit_s=time_limit_s)
        if free is not None:
            blocks = blocking_indicators(inst, free.assign, names)
            if blocks:
                return ("\nthe indicator constraints block (the least-travel zoning without "
                        "them would break): " + "; ".join(blocks))
    roomy = replace(inst, ind=None, places=np.maximum(inst.places, inst.size_limit))
    found = solve_or_none(roomy, time_limit_s=time_limit_s)
    if found is None:
        return ""
    pupils = inst.loads(found.assign).sum(axis=2)
    over = [(s, t) for s, t in zip(*np.nonzero(pupils > inst.places), strict=True)]
    if not over:
        return ""
    parts = [f"{names.get(str(inst.school_ids[s]), inst.school_ids[s])} would need "
             f"{int(pupils[s, t]):,} places" + (f" in {int(inst.years[t])}" if inst.years[t]
                                                 else "") + f", it has {int(inst.places[s, t]):,}"
             for s, t in over[:3]]
    return ("\nthe places block (approved places, classrooms × class cap or teachers × the "
            "staffing norm; the least-travel zoning without them): " + "; ".join(parts))


def least_cv_zoning(inst: Instance, options: Options, start: np.ndarray) -> np.ndarray:
    """The zoning with the least largest CV found from the admissible zoning `start`.

    One time limit for each round of the search, and up to one for the exact descent
    (:func:`descend`) from each round's zoning, which puts back a CV bound the round broke
    and lowers the CVs over the section's limit further; and more rounds while each lowers
    the largest CV and it is still over the limit (or the target, when lower).
    """
    limit = inst.ind.standards.section(inst.section).cv_limit
    until = limit if options.cv_target is None else min(limit, options.cv_target)
    return least_cv(inst, start, time_limit_s=LEAST_CV_ROUNDS * options.time_limit_s,
                    repair=lambda zoning, seconds: descend(inst, zoning, seconds=seconds,
                                                           limit=limit), until=until)


@dataclass(frozen=True)
class FrontierPlan:
    """One plan of the trade-off between travel and CVs."""

    target: float | None
    result: Result
    max_cv: float
    cvs: np.ndarray  # (K,) the last year's CVs


def frontier(plans: list[Plan], options: Options, *, points: int = 6,
             report: Callable[[float, float, float], None] | None = None
             ) -> tuple[list[FrontierPlan], tuple | None]:
    """Plans from least travel to least CV: each holds every CV of the section lower.

    Both ends first: the least-travel zoning, then the least largest CV the search finds
    from it (:func:`least_cv_zoning`); between them, the least travel that holds every CV at
    or below each of `points` − 1 targets (and at the limit, where it lies between), going up
    from the least CV: each solve starts from the plan below it (which meets its target),
    moved toward the least-travel zoning as far as the target allows (:func:`toward`), so
    every step has a plan and costs no more than the one below it. A step that reaches as
    low a CV as the one below replaces it; one that costs no more than the least-travel
    solve's plan (stopped at its time limit above it) takes the first place.

    Returns
    -------
    The plans found (the first the least-travel one) and why the last one goes no lower:
    None (every CV within its limit), ("off",), or ("least", largest CV, its indicator,
    seconds searched, ((indicator, CV, bound) of the CVs that held it, at their bounds),
    (that CV with the others left free, seconds searched, ((indicator, CV, limit) of those
    then over their limit))): the least CV, what holds it, and what lowering it further
    would cost the others (:func:`least_cv_alone`).
    """
    inst = build_instance(plans, options)
    first = _solve(inst, plans, options, report)
    if inst.ind is None:  # no CVs to trade
        return [FrontierPlan(None, first, float("nan"), np.array([]))], ("off",)
    out = [FrontierPlan(None, first, max_cv(inst, first.assign), _last_cvs(inst, first.assign))]
    t0 = time.perf_counter()
    low = least_cv_zoning(inst, options, first.assign)
    seconds = time.perf_counter() - t0
    limit = plans[0].standards.section(options.section).cv_limit
    top, least = out[0].max_cv, max_cv(inst, low)
    # targets as printed (3 decimals), rounded up so that the plan below still meets each
    targets = sorted({float(np.ceil(v * 1000 - 1e-6) / 1000) for v in (
        *np.linspace(top, least, points)[1:], *([limit] if least <= limit < top else []))},
        reverse=True)
    steps, prev = [], low
    for target in sorted(targets) if least < top - 1e-6 else []:  # up from the least CV,
        step = replace(inst, cv_target=float(target))  # each from the plan below it
        try:
            found = solve_or_none(step, time_limit_s=options.time_limit_s,
                                  start=toward(step, prev, first.assign))
        except InfeasibleError:  # not expected: the plan below meets the target
            found = None
        if found is None:
            break
        prev = found.assign
        plan = FrontierPlan(float(target), replace(found, first_year=first.first_year),
                            max_cv(inst, found.assign), _last_cvs(inst, found.assign))
        while steps and plan.max_cv <= steps[-1].max_cv + 1e-12:
            steps.pop()  # as low a CV at no more cost (it started from that plan)
        steps.append(plan)
    steps = steps[::-1]
    if steps and steps[0].result.objective <= first.objective:
        # the least-travel solve stopped at its time limit above a plan found from the
        # other end, which has a lower CV too: that one is the least travel found
        out = [replace(steps.pop(0), target=None)]
    out += steps
    if not (out[-1].cvs > limit + 1e-9).any():
        return out, None
    from planner.standards import RESOURCE_IDS

    cvs = _last_cvs(inst, low)  # what the search found
    bound = inst.ind.cv_limit[-1]
    k = int(np.nanargmax(cvs))
    held = tuple((RESOURCE_IDS[j], float(cvs[j]), float(bound[j]))
                 for j in np.flatnonzero(cvs >= bound - HELD) if j != k)
    # how low that CV goes with the others left free, and which of them it pushes over
    t0 = time.perf_counter()
    alone = _last_cvs(inst, least_cv_alone(inst, low, k, time_limit_s=options.time_limit_s))
    crossed = tuple((RESOURCE_IDS[j], float(alone[j]), float(limit))
                    for j in np.flatnonzero(alone > limit + 1e-9) if j != k)
    return out, ("least", float(cvs[k]), RESOURCE_IDS[k], seconds, held,
                 (float(alone[k]), time.perf_counter() - t0, crossed))


def toward(inst: Instance, start: np.ndarray, goal: np.ndarray, passes: int = 2
           ) -> np.ndarray:
    """`start` with units moved to their school in `goal` while every constraint holds.

    One unit at a time, the most travel saved first, each move only where it costs nothing
    (the objective), in up to `passes` passes (a unit may need a neighbour moved before it):
    a start for the solver between two plans, never worse than `start`.
    """
    from planner.optimize.feasible import violations
    from planner.optimize.model import admissible

    cur, objective = start.copy(), inst.objective(start)
    units = sorted(np.flatnonzero(start != goal),
                   key=lambda u: inst.cost(u, int(goal[u])) - inst.cost(u, int(start[u])))
    for _ in range(passes):
        moved = False
        for u in units:
            if cur[u] == goal[u]:
                continue
            trial = cur.copy()
            trial[u] = goal[u]
            cost = inst.objective(trial)
            if cost > objective:
                continue
            # the exact CVs first (a few ms), every constraint (they again among them) after
            if admissible(inst, trial) and not violations(inst, trial):
                cur, objective, moved = trial, cost, True
        if not moved:
            break
    return cur


HELD = 0.01  # a CV this near its bound in the least-CV plan is one that holds it there


def _last_cvs(inst: Instance, assign: np.ndarray) -> np.ndarray:
    """(K,) the section's CVs in the last year checked (every cohort phased in)."""
    return zoning_cvs(inst, assign)[-1]


def _replans(plan: Plan, result: Result) -> list[dict]:
    """Classes re-planned at the cap for schools the moves leave with classes over it."""
    from planner.checklist import class_over_cap

    sec = result.instance.section
    std = plan.standards
    after = apply_edits(plan, result.edits())
    _, cap, over = class_over_cap(after.schools, sec, std)
    idx = np.flatnonzero(over & after.teaches(sec))
    grades = np.array(std.grades(sec)) - 1
    _, n_classes, biggest = section_classes(after.pupils_by_grade[idx][:, grades], cap,
                                            after.schools["kind"][idx] == "teaching_point")
    return [{"op": "set_school", "school_id": str(after.school_ids[i]),
             "values": {f"classes_{sec}": int(c), f"max_class_size_{sec}": int(b)}}
            for i, c, b in zip(idx, n_classes, biggest, strict=True)]


def passes(inst: Instance, assign: np.ndarray) -> tuple[int, int]:
    """School sections meeting R1–R7 (6 of 7 + 85 %) in the last year, and how many count."""
    from planner.indicators import compliance

    t = inst.last()
    pupils = inst.loads(assign).sum(axis=2).astype(float)
    values = inst.ind.values(pupils)[:, t]
    _, _, ok = compliance(values, np.broadcast_to(inst.ind.threshold, values.shape),
                          inst.ind.standards)
    scope = inst.ind.in_scope[:, t]
    return int((ok & scope).sum()), int(scope.sum())


WHY_TEXT = {
    "off": {"en": "the indicator constraints are off: no CV to trade",
            "zh": "未启用指标约束，无差异系数可比较"},
    "least": {"en": "the least largest CV found in {2:.0f} s of search is {0:.4f} ({1}), over "
                    "its limit: re-zoning alone was not found to go lower{3}",
              "zh": "搜索 {2:.0f} 秒找到的最小的最大差异系数为 {0:.4f}（{1}），仍超过上限："
                    "仅靠调整划片未能再降低{3}"},
    "held": {"en": "; held there by {0} at its bound: ", "zh": "；受{0}上限约束："},
    "at": {"en": "{0} {1:.3f} (bound {2:.3f})", "zh": "{0} {1:.3f}（上限 {2:.3f}）"},
    "alone": {"en": "; with every other CV left free, {0} goes down to {1:.3f} in {2:.0f} s of "
                    "search",
              "zh": "；若不约束其他差异系数，搜索 {2:.0f} 秒可将{0}降至 {1:.3f}"},
    "crossed": {"en": ", with {0} then over the limit: ", "zh": "，但此时{0}超过上限："},
}


def why_text(why: tuple | None, lang: str = "en") -> str:
    """The frontier's reason for stopping, in the reader's language ('' when none)."""
    if why is None:
        return ""
    if why[0] != "least":
        return WHY_TEXT[why[0]][lang]
    _, cv, k, seconds, held, *alone = why
    sep = "、" if lang == "zh" else ", "

    def listed(key: str, rows: tuple) -> str:
        return WHY_TEXT[key][lang].format(sep.join(h[0] for h in rows)) + sep.join(
            WHY_TEXT["at"][lang].format(*h) for h in rows) if rows else ""

    tail = listed("held", held)
    if alone and alone[0] is not None:
        cv_alone, searched, crossed = alone[0]
        tail += WHY_TEXT["alone"][lang].format(k, cv_alone, searched) + listed("crossed",
                                                                              crossed)
    return WHY_TEXT["least"][lang].format(cv, k, seconds, tail)


def _cv_text(value: float, limit: float) -> str:
    """A CV to three decimals, more where three would not tell which side of the limit it is.

    0.50003 and 0.49997 both round to the limit 0.500 (and 0.5000): they read as they are.
    """
    for digits in (3, 4, 5, 6):
        text = f"{value:.{digits}f}"
        if value == limit or float(text) != limit:
            break
    return text


def frontier_lines(plans: list[FrontierPlan], why: tuple | None) -> list[str]:
    """One line per frontier plan: travel, pupils changing school, largest CV, passes."""
    from planner.standards import RESOURCE_IDS

    inst = plans[0].result.instance
    last = int(inst.years[-1]) if inst.years[-1] else "now"
    out = [f"{len(plans)} plan(s) from least travel to least CV ({inst.section}; the CVs of "
           f"{last}, once every cohort follows the new catchments):"]
    limit = inst.ind.standards.section(inst.section).cv_limit if inst.ind is not None else 0.0
    for i, p in enumerate(plans, start=1):
        s = summary(p.result)
        target = None if p.target is None else _cv_text(p.target, limit)
        head = (f"  {i}. {'least travel' if target is None else f'every CV ≤ {target}'}"
                f": {s['travel_km']:,.0f} pupil-km, {s['pupils_changing_school']:,} pupils "
                f"change school")
        if inst.ind is None:
            out.append(head)
            continue
        n_pass, n = passes(inst, p.result.assign)
        over = [RESOURCE_IDS[k] for k in np.flatnonzero(p.cvs > limit + 1e-9)]
        out.append(f"{head}; in {last}: largest CV {_cv_text(p.max_cv, limit)}, {n_pass} of {n} "
                   "sections pass, " + (f"over the limit: {', '.join(over)}" if over
                                        else "every CV within its limit"))
    if why:
        out.append(f"  {why_text(why)}")
    return out


def consolidation_lines(found) -> list[str]:
    """What a consolidation closes and when, and what stays open and why.

    Per closure, what it gains and every pupil it moves, by unit and year.
    """
    inst = found.instance
    when = ("now" if not found.year else
            f"staged: no entrants from {found.year}, closed in {found.close_year} when the "
            "last cohort has left" if found.staged else f"every grade at once in {found.year}")
    out = [f"{inst.section}: {len(found.closed)} of {len(found.candidates)} candidate "
           f"school(s) closed ({when}; {found.status} in {found.seconds:.1f} s, "
           f"{found.rounds} round(s) of CV cuts)"]
    gains = found.gains or {}
    words = {"mixed_grade_classes": "{0:.0f} mixed-grade class(es) ended",
             "failing_section": "a section not meeting R1–R7 closed",
             "teachers_over_norm": "{0:.0f} teacher(s) over the staffing norm the county can "
                                   "redeploy"}
    moved = found.pupils
    from planner.optimize.consolidate import into_of

    heirs = into_of(inst, found.assign, found.closed)
    for s, r in zip(found.closed, found.closures.to_dict("records"), strict=True):
        gained = "; ".join(words[k].format(v) for k, v in gains.get(int(s), []))
        out.append(f"  closes {r['school_id']} {r['name']}: {r['pupils']} pupils to "
                   f"{r['into']}; travel {r['travel_before_km']:,.1f} → "
                   f"{r['travel_after_km']:,.1f} pupil-km; {r['bus_pupils']} by bus, "
                   f"{r['boarders']} boarding; places left {r['places_left']}; its teachers "
                   f"go to {inst.school_ids[heirs[int(s)]]}; gains: {gained or 'nothing'}")
        if moved is not None and len(moved):
            mine = moved[moved["school_id"] == r["school_id"]]
            for (uid, unit, to), rows in mine.groupby(["unit_id", "unit", "to_school"],
                                                      sort=True):
                by_year = rows.groupby("year")["pupils"].sum()
                years = ", ".join(f"{y if found.year else 'now'} {n}"
                                  for y, n in by_year.items())
                first = rows.iloc[0]
                how = "walk" if first["walk"] else f"{first['ride_after_min']:.0f} min by bus"
                out.append(f"    {uid} {unit} → {to}: pupils by year {years}; "
                           f"{first['distance_before_m']:,} m → {first['distance_after_m']:,}"
                           f" m ({how})")
    for r in found.kept.to_dict("records"):
        out.append(f"  keeps {r['school_id']} {r['name']} ({r['pupils']} pupils): {r['reason']}")
    return out
