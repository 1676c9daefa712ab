"""What a zoning breaks, exactly (CVs included), and the greedy baseline.

The rules every zoning is held to: catchments connected and holding their school, places,
class and size caps, the CV bounds. The solver, the descent, the least-disruption pass and
the consolidation all check with these.
"""


from __future__ import annotations

import numpy as np

from planner.optimize.instance import Instance, nearer
from planner.plan.classes import plan_classes
from planner.standards import RESOURCE_IDS


def connected(members: set[int], neighbours: list[list[int]], holder: int,
              anchors: set[int] = frozenset()) -> bool:
    """Whether a catchment's units hang together and hold the school's unit.

    Units in `anchors` (today's exclaves, see Instance.anchored) may hang apart.
    """
    if holder not in members and not members & anchors:
        return False
    return reached(members, neighbours, {holder} | (members & anchors)) == members


def reached(members: set[int], neighbours: list[list[int]], start: int | set[int]
             ) -> set[int]:
    """The members reached from `start` (a unit or several) through members."""
    seen = ({start} if isinstance(start, int) else set(start)) & members
    todo = list(seen)
    while todo:
        u = todo.pop()
        for v in neighbours[u]:
            if v in members and v not in seen:
                seen.add(v)
                todo.append(v)
    return seen


def classes(inst: Instance, s: int, load: np.ndarray) -> int:
    """Classes school s needs for a load by grade (teaching points: mixed grades)."""
    return plan_classes(load, inst.class_cap, multigrade=bool(inst.multigrade[s]))[1]


def held(inst: Instance, assign: np.ndarray, u: int) -> bool:
    """Whether unit u's catchment holds it: a neighbour in it is nearer to the school.

    Or u is anchored there (Instance.anchored); always without contiguity keys.
    """
    s = assign[u]
    return inst.key is None or inst.anchored(u, s) or any(
        assign[v] == s and nearer(inst, v, u, s) for v in inst.neighbours[u])


def violations(inst: Instance, assign: np.ndarray, schools: set[int] | None = None
               ) -> list[str]:
    """Say what an assignment breaks, exactly (empty: nothing).

    Size caps, classrooms, places and evaluated sets in every year; roads and contiguity;
    with indicator data, passing sections that would fail, failing ones meeting fewer
    indicators or dropping under 85 %, and every CV against its bound (the exact CV, not the
    optimiser's cuts).

    `schools`: only what these schools' catchments break, and the CVs (for a zoning that
    differs from one that breaks nothing only in these schools' catchments: nothing else
    can break).
    """
    out = []
    loads = inst.loads(assign)
    pupils = loads.sum(axis=2)
    top = inst.room
    rows = range(len(inst.school_ids)) if schools is None else sorted(schools)
    units = range(len(assign)) if schools is None else [
        u for u in range(len(assign)) if assign[u] in schools]
    for s, t in zip(*np.nonzero(pupils > top), strict=True):
        if schools is None or s in schools:
            out.append(f"{inst.school_ids[s]}: {pupils[s, t]} pupils in {inst.years[t]} over "
                       f"room for {top[s, t]}")
    for s in rows:
        for t in range(pupils.shape[1]):
            if pupils[s, t] and classes(inst, s, loads[s, t]) > inst.rooms_limit[s, t]:
                out.append(f"{inst.school_ids[s]}: {classes(inst, s, loads[s, t])} classes in "
                           f"{inst.rooms_limit[s, t]} rooms in {inst.years[t]}")
            if pupils[s, t] < inst.floor[s, t]:
                out.append(f"{inst.school_ids[s]}: {pupils[s, t]} pupils in {inst.years[t]}, "
                           f"under the {inst.floor[s, t]} that keep it evaluated")
    for u in units:
        s = assign[u]
        if not np.isfinite(inst.dist[u, s]) or not inst.reach(u)[s]:
            out.append(f"{inst.unit_ids[u]}: {inst.school_ids[s]} out of reach")
        elif not held(inst, assign, u):
            out.append(f"{inst.unit_ids[u]}: joins {inst.school_ids[s]} with no neighbour "
                       "nearer to it in the catchment")
        if u in inst.locked and inst.locked[u] != s:
            out.append(f"{inst.unit_ids[u]}: locked to {inst.school_ids[inst.locked[u]]}")
    for s in np.unique(assign[list(units)]):
        if not connected(set(np.flatnonzero(assign == s)), inst.neighbours,
                         int(inst.holder[s]), {u for u, x in inst.exempt if x == s}):
            out.append(f"{inst.school_ids[s]}: catchment not contiguous with its school")
    return out + indicator_violations(inst, pupils, schools)


def indicator_violations(inst: Instance, pupils: np.ndarray, schools: set[int] | None = None
                         ) -> list[str]:
    """What a plan's pupils (S, T) break of the indicator and CV constraints, exactly.

    `schools`: of the sections' constraints, only these schools'.
    """
    ind = inst.ind
    if ind is None:
        return []
    out = []
    values = ind.values(pupils.astype(float))
    from planner.indicators import compliance

    thresholds = np.broadcast_to(ind.threshold, (values.shape[0], values.shape[2]))
    for t in range(pupils.shape[1]):
        ok, floor_ok, compliant = compliance(values[:, t], thresholds, ind.standards)
        for s in np.flatnonzero(ind.in_scope[:, t]):
            if schools is not None and s not in schools:
                continue
            sid = inst.school_ids[s]
            if ind.passing[s, t] and not compliant[s]:
                out.append(f"{sid}: would fail R1–R7 in {inst.years[t]}")
            if not ind.passing[s, t] and ok[s].sum() < ind.met[s, t]:
                out.append(f"{sid}: would meet {ok[s].sum()} indicators, not "
                           f"{ind.met[s, t]}, in {inst.years[t]}")
            for k in np.flatnonzero(ind.at_floor[s, t] & ~floor_ok[s]):
                out.append(f"{sid}: {RESOURCE_IDS[k]} under 85 % in {inst.years[t]}")
    cvs = ind.cvs(pupils.astype(float))
    bound = inst.cv_bound()
    for t, k in zip(*np.nonzero(cvs > bound + 1e-9), strict=True):
        out.append(f"{RESOURCE_IDS[k]} CV {cvs[t, k]:.4f} over {bound[t, k]:.4f} in "
                   f"{inst.years[t]}")
    return out


def greedy(inst: Instance) -> np.ndarray | None:
    """The baseline: unit–school pairs by distance, each unit to the nearest with room.

    Ignores contiguity, changes and the indicators; returns None when some unit finds no
    school with room.
    """
    n_u = len(inst.unit_ids)
    loads = inst.fixed.copy()
    assign = np.full(n_u, -1, dtype=np.int64)
    for u, s in inst.locked.items():
        assign[u] = s
        loads[s] += inst.demand[u]
    room = inst.room  # the hard limits; soft caps are priced
    pairs = [(inst.dist[u, s], u, s) for u in range(n_u) if assign[u] < 0
             for s in range(len(inst.school_ids)) if np.isfinite(inst.dist[u, s])]
    pairs.sort()
    for _, u, s in pairs:
        if assign[u] >= 0:
            continue
        trial = loads[s] + inst.demand[u]
        if (trial.sum(axis=1) > room[s]).any() or any(
                classes(inst, s, trial[t]) > inst.rooms_limit[s, t] for t in range(len(trial))):
            continue
        assign[u] = s
        loads[s] = trial
    return None if (assign < 0).any() else assign
