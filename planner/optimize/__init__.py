"""Re-zoning a county would adopt: judged by the indicators, within capacity, phased in.

Catchments judged by the 32 indicators, within real capacity, phased with the entry cohorts
(issue 13).

- instance.py: the problem in arrays, year by year of the phase-in;
- model.py: CP-SAT and its LP relaxation, CV bounds by outer approximation;
- shortage.py: where seats are short, sites for new schools, the indicator limits that block;
- check.py: exact checks, the greedy baseline, the lines to print;
- consolidate.py: which small schools to close and where their pupils go.

:func:`optimise` solves one request; :func:`frontier` the plans from least travel to least CV.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from planner.errors import InfeasibleError
from planner.optimize.check import (
    check_plan,
    classes,
    greedy,
    impact_lines,
    indicator_problems,
    report_lines,
    summary,
    violations,
    year_lines,
)
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
from planner.optimize.model import Result, infeasible_units, lp_bound, solve, solve_or_none
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
           "consolidation_lines", "contiguity_keys", "frontier", "frontier_lines", "greedy",
           "impact_lines", "indicator_problems", "lp_bound", "optimise", "passes",
           "report_lines", "solve",
           "solve_or_none", "summary", "unit_neighbours", "violations", "with_candidates",
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
        The request; its objective "cv" and "balanced" hold the section's largest CV down
        (see :func:`least_cv`).

    Raises
    ------
    InfeasibleError
        The constraints cannot be met: where seats are short, by how many children within
        what distance, proposed sites for new schools (its `shortage`), and the indicator
        limits that block when seats suffice.
    """
    inst = build_instance(plans, options)
    if options.objective != "travel" and options.cv_target is None and inst.ind is not None:
        travel = _solve(inst, plans, options, report)
        low = least_cv(inst, options, travel.assign)
        if low is None:
            return travel
        top = max_cv(inst, travel.assign)
        target = low if options.objective == "cv" else (low + top) / 2
        inst = replace(inst, cv_target=target)
    return _solve(inst, plans, options, report)


def _solve(inst: Instance, plans: list[Plan], options: Options, report) -> Result:
    seated = seat_lp(inst)
    short_of_seats = bool(infeasible_units(inst)) or (seated is not None
                                                      and seated[0].sum() > 0.5)
    result = None if short_of_seats else solve_or_none(inst, time_limit_s=options.time_limit_s,
                                                       report=report)
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


def max_cv(inst: Instance, assign: np.ndarray) -> float:
    """The section's largest CV in the last year checked (every cohort phased in)."""
    cvs = inst.ind.cvs(inst.loads(assign).sum(axis=2).astype(float))
    return float(np.nanmax(cvs[-1]))


def least_cv(inst: Instance, options: Options, start: np.ndarray, *, steps: int = 5
             ) -> float | None:
    """The least largest CV re-zoning can reach from the zoning `start`.

    Bisection on a common CV bound; a bound no plan is found for in time counts as out of
    reach.
    """
    hi = max_cv(inst, start)
    lo, best = 0.0, hi
    for _ in range(steps):
        mid = (lo + best) / 2
        try:
            found = solve_or_none(replace(inst, cv_target=mid),
                                  time_limit_s=options.time_limit_s)
        except InfeasibleError:  # nothing found in time
            found = None
        if found is None:
            lo = mid
        else:
            best = max_cv(inst, found.assign)
    return best


@dataclass(frozen=True)
class FrontierPlan:
    """One plan of the trade-off between travel and CVs."""

    target: float | None
    result: Result
    max_cv: float
    cvs: np.ndarray  # (K,) the last year's CVs


def frontier(plans: list[Plan], options: Options, *, points: int = 6,
             report: Callable[[float, float, float], None] | None = None
             ) -> tuple[list[FrontierPlan], str]:
    """Plans from least travel to least CV: each holds every CV of the section lower.

    Returns
    -------
    The plans found (the first the least-travel one) and why no plan goes lower: None, or
    ("off",), ("none", target) — no zoning holds every CV at or below target — or
    ("time", target, seconds) — none was found in time.
    """
    inst = build_instance(plans, options)
    first = _solve(inst, plans, options, report)
    out = [FrontierPlan(None, first, max_cv(inst, first.assign), _last_cvs(inst, first))]
    if inst.ind is None:
        return out, ("off",)
    limit = plans[0].standards.section(options.section).cv_limit
    top = out[0].max_cv
    targets = sorted({*np.linspace(top, min(limit, top) * 0.8, points)[1:], min(limit, top)},
                     reverse=True)
    why = None
    for target in targets:
        try:
            found = solve_or_none(replace(inst, cv_target=float(target)),
                                  time_limit_s=options.time_limit_s)
        except InfeasibleError:  # time ran out before a plan that low was found
            why = ("time", float(target), float(options.time_limit_s))
            break
        if found is None:
            why = ("none", float(target))
            break
        found = replace(found, first_year=first.first_year)
        out.append(FrontierPlan(float(target), found, max_cv(inst, found.assign),
                                _last_cvs(inst, found)))
    return out, why


def _last_cvs(inst: Instance, result: Result) -> np.ndarray:
    cvs = inst.ind.cvs(inst.loads(result.assign).sum(axis=2).astype(float))
    return cvs[-1]


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
    "none": {"en": "no zoning holds every CV at or below {0:.3f} once phased in (with the "
                   "caps, places and indicators): re-zoning alone goes no lower",
             "zh": "没有任何划片能使各项差异系数在全部实施后都不高于 {0:.3f}"
                   "（在规模、学位和指标约束下）："
                   "仅靠调整划片无法再降低"},
    "time": {"en": "no zoning holding every CV at or below {0:.3f} once phased in was found "
                   "within {1:.0f} s (more time may find one)",
             "zh": "{1:.0f} 秒内未找到全部实施后各项差异系数都不高于 {0:.3f} 的划片"
                   "（延长时限可能找到）"},
}


def why_text(why: tuple | None, lang: str = "en") -> str:
    """The frontier's reason for stopping, in the reader's language ('' when none)."""
    return "" if why is None else WHY_TEXT[why[0]][lang].format(*why[1:])


def frontier_lines(plans: list[FrontierPlan], why: tuple | None) -> list[str]:
    """One line per frontier plan: travel, pupils changing school, largest CV, passes."""
    from planner.standards import RESOURCE_IDS

    inst = plans[0].result.instance
    last = int(inst.years[-1]) if inst.years[-1] else "now"
    out = [f"{len(plans)} plan(s) from least travel to least CV ({inst.section}; the CVs of "
           f"{last}, once every cohort follows the new catchments):"]
    for i, p in enumerate(plans, start=1):
        s = summary(p.result)
        head = (f"  {i}. {'least travel' if p.target is None else f'every CV ≤ {p.target:.3f}'}"
                f": {s['travel_km']:,.0f} pupil-km, {s['pupils_changing_school']:,} pupils "
                f"change school")
        if inst.ind is None:
            out.append(head)
            continue
        n_pass, n = passes(inst, p.result.assign)
        over = [RESOURCE_IDS[k] for k in np.flatnonzero(
            p.cvs > inst.ind.standards.section(inst.section).cv_limit + 1e-9)]
        out.append(f"{head}; in {last}: largest CV {p.max_cv:.3f}, {n_pass} of {n} sections "
                   "pass, " + (f"over the limit: {', '.join(over)}" if over
                               else "every CV within its limit"))
    if why:
        out.append(f"  {why_text(why)}")
    return out


def consolidation_lines(found) -> list[str]:
    """What a consolidation closes, where the pupils go, and what stays open and why."""
    out = [f"{found.instance.section}: {len(found.closed)} of {len(found.candidates)} "
           f"candidate school(s) closed " + (f"from {found.year}" if found.year else "now")
           + f" ({found.status} in "
           f"{found.seconds:.1f} s, {found.rounds} round(s) of CV cuts)"]
    for r in found.closures.to_dict("records"):
        out.append(f"  closes {r['school_id']} {r['name']}: {r['pupils']} pupils to "
                   f"{r['into']}; travel {r['travel_before_km']:,.1f} → "
                   f"{r['travel_after_km']:,.1f} pupil-km; {r['bus_pupils']} by bus, "
                   f"{r['boarders']} boarding; places left {r['places_left']}")
    for r in found.kept.to_dict("records"):
        out.append(f"  keeps {r['school_id']} {r['name']} ({r['pupils']} pupils): {r['reason']}")
    return out
