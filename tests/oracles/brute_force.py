"""Brute force for the catchment optimiser: every zoning of a small instance, checked exactly.

Written apart from planner/optimize/model.py (no cuts, no secants, no CP-SAT): each zoning
is checked against the hard limits, the contiguity rule, the indicator rule (6 of 7 + 85 %,
planner.indicators.compliance, the one rule) and each CV computed from its definition; the
least objective (`Instance.objective`) wins.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from planner.indicators import compliance
from planner.optimize.instance import Instance, nearer
from planner.plan.classes import plan_classes


def cv(pupils: np.ndarray, resource: np.ndarray) -> float:
    """The student-weighted CV from its definition: x_i = R_i/P_i, weights P_i/N."""
    n = pupils.sum()
    mean = resource.sum() / n
    x = resource / pupils
    return float(np.sqrt((pupils / n * (x - mean) ** 2).sum()) / mean)


def _connected(members: set[int], inst: Instance, s: int) -> bool:
    anchors = {u for u, x in inst.exempt if x == s} & members
    start = ({int(inst.holder[s])} & members) | anchors
    if not start:
        return False
    seen, todo = set(start), list(start)
    while todo:
        u = todo.pop()
        for v in inst.neighbours[u]:
            if v in members and v not in seen:
                seen.add(v)
                todo.append(v)
    return seen == members


def feasible(inst: Instance, assign: np.ndarray) -> bool:
    """Whether a zoning meets every constraint, each checked from its definition."""
    for u, s in enumerate(assign):
        if u in inst.locked and inst.locked[u] != s:
            return False
        if not np.isfinite(inst.dist[u, s]) or (inst.max_distance_m is not None
                                                 and inst.dist[u, s] > inst.max_distance_m
                                                 and not (inst.today_in_reach
                                                          and s == inst.zoned[u])):
            return False  # beyond the limit (unless today's school may stay)
        if inst.admitted is not None and not inst.admitted[u, s] and u not in inst.locked:
            return False  # a rule of admission forbids it
        if inst.key is not None and not inst.anchored(u, s) and not any(
                assign[v] == s and nearer(inst, v, u, s) for v in inst.neighbours[u]):
            return False
    for s in set(assign.tolist()):
        if not _connected(set(np.flatnonzero(assign == s).tolist()), inst, s):
            return False
    loads = inst.fixed.copy()
    for u, s in enumerate(assign):
        loads[s] += inst.demand[u]
    pupils = loads.sum(axis=2)
    if (pupils > np.minimum(inst.size_limit, inst.places)).any() or (pupils < inst.floor).any():
        return False
    for s, t in itertools.product(range(loads.shape[0]), range(loads.shape[1])):
        if pupils[s, t] and plan_classes(loads[s, t], inst.class_cap,
                                         multigrade=bool(inst.multigrade[s]))[1] > \
                inst.rooms_limit[s, t]:
            return False
    return inst.ind is None or _indicators_hold(inst, pupils)


def _indicators_hold(inst: Instance, pupils: np.ndarray) -> bool:
    ind = inst.ind
    bound = ind.cv_limit if inst.cv_target is None else np.minimum(ind.cv_limit, inst.cv_target)
    for t in range(pupils.shape[1]):
        scope = ind.in_scope[:, t]
        p = pupils[:, t].astype(float)
        values = ind.c / (ind.a * p[:, None] + ind.o[:, t])
        ok, floor_ok, compliant = compliance(values, np.broadcast_to(ind.threshold, values.shape),
                                             ind.standards)
        for s in np.flatnonzero(scope):
            if ind.passing[s, t] and not compliant[s]:
                return False
            if not ind.passing[s, t] and ok[s].sum() < ind.met[s, t]:
                return False
            if (ind.at_floor[s, t] & ~floor_ok[s]).any():
                return False
        for k in range(values.shape[1]):
            live = scope & (p > 0)
            if np.isfinite(bound[t, k]) and cv(p[live], values[live, k] * p[live]) > \
                    bound[t, k] + 1e-9:
                return False
    return True


def brute_force(inst: Instance) -> tuple[int, np.ndarray] | None:
    """Return (least objective, a zoning reaching it) over every zoning, or None if none."""
    reach = [np.flatnonzero(np.isfinite(inst.dist[u])) for u in range(len(inst.unit_ids))]
    best = None
    for combo in itertools.product(*reach):
        assign = np.array(combo, dtype=np.int64)
        if not feasible(inst, assign):
            continue
        value = inst.objective(assign)
        if best is None or value < best[0]:
            best = (value, assign)
    return best


def least_largest_cv(inst: Instance, only: int | None = None) -> float | None:
    """Return the least largest CV of the last year over every feasible zoning (None: none).

    `only`: the least CV of that indicator alone, every CV bound left out.
    """
    if only is not None:
        inst = replace(inst, cv_target=None, ind=replace(
            inst.ind, cv_limit=np.full(inst.ind.cv_limit.shape, np.inf)))
    reach = [np.flatnonzero(np.isfinite(inst.dist[u])) for u in range(len(inst.unit_ids))]
    best = None
    t = inst.demand.shape[1] - 1
    for combo in itertools.product(*reach):
        assign = np.array(combo, dtype=np.int64)
        if not feasible(inst, assign):
            continue
        loads = inst.fixed.copy()
        for u, s in enumerate(assign):
            loads[s] += inst.demand[u]
        p = loads.sum(axis=2)[:, t].astype(float)
        live = inst.ind.in_scope[:, t] & (p > 0)
        values = inst.ind.c / (inst.ind.a * p[:, None] + inst.ind.o[:, t])
        top = max(cv(p[live], values[live, k] * p[live])
                  for k in (range(values.shape[1]) if only is None else [only]))
        best = top if best is None else min(best, top)
    return best
