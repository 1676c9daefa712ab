"""Catchment optimisation: a hand-solved line, brute force with the indicator and capacity
constraints, consolidation by hand, the command line on a small county."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner import optimize as op
from planner.cli import main
from planner.errors import InfeasibleError
from planner.indicators import compliance, cv_of_sums
from planner.optimize.instance import Indicators
from planner.standards import NATIONAL_2017 as STD

sys.path.insert(0, str(Path(__file__).parent))
from oracles.brute_force import brute_force, cv, feasible, least_largest_cv  # noqa: E402

BIG = 10**9


def grid_instance(rows: int, cols: int, schools: list[int], demand, size_cap, rooms, *,
                  class_cap: int = 10, zoned=None, fixed=None, places=None, floor=None,
                  max_distance=None, locked=None, ind=None, cv_target=None) -> op.Instance:
    """Units on a grid (1 km apart, 4-neighbours), schools standing in some of them.

    `demand` is (units, years, grades) or (units, grades) for one year. Distances are
    1 000 m per grid step plus 50 m, 7 m per unit index and 11 m per school index (so no two
    are equal). Caps and rooms are hard (size_limit = size_cap, rooms_limit = rooms).
    """
    n = rows * cols
    xy = np.array([(i // cols, i % cols) for i in range(n)])
    at = np.array(schools)
    k = len(at)
    dist = (np.abs(xy[:, None, :] - xy[at][None, :, :]).sum(axis=2) * 1000.0
            + 7.0 * np.arange(n)[:, None] + 11.0 * np.arange(k)[None, :] + 50.0)
    neighbours = [[j for j in range(n) if np.abs(xy[i] - xy[j]).sum() == 1] for i in range(n)]
    demand = np.asarray(demand, dtype=np.int64)
    if demand.ndim == 2:
        demand = demand[:, None, :]
    n_t, n_g = demand.shape[1:]
    zoned = np.full(n, -1) if zoned is None else np.asarray(zoned)
    present = np.zeros((n, k), dtype=np.int64)
    has = zoned >= 0
    present[np.flatnonzero(has), zoned[has]] = demand[has, -1].sum(axis=1)

    def per_year(v, default):
        v = np.full(k, default) if v is None else np.asarray(v)
        return np.repeat(v.reshape(k, -1), n_t, axis=1) if v.ndim == 1 else v

    size_cap, rooms = per_year(size_cap, 0).astype(np.int64), per_year(rooms, 0).astype(np.int64)
    inst = op.Instance(
        section="primary", unit_ids=np.array([f"U{i}" for i in range(n)], dtype=object),
        school_ids=np.array([f"S{j}" for j in range(k)], dtype=object),
        years=np.arange(2027, 2027 + n_t), demand=demand,
        fixed=np.zeros((k, n_t, n_g), dtype=np.int64) if fixed is None else np.asarray(fixed),
        present=present, zoned=zoned, dist=dist, size_cap=size_cap, rooms=rooms,
        size_limit=size_cap, rooms_limit=rooms, places=per_year(places, BIG).astype(np.int64),
        floor=per_year(floor, 0).astype(np.int64), class_cap=class_cap,
        multigrade=np.zeros(k, dtype=bool), holder=at, neighbours=neighbours, candidates=[],
        locked=locked or {}, max_distance_m=max_distance, ind=ind, cv_target=cv_target)
    return op.with_candidates(inst, op.Options(section="primary", candidates=10,
                                               max_distance_m=max_distance))


def test_a_hand_solved_line():
    # Three units in a row, schools in the first (S0) and the last (S1); 8 pupils each, class
    # cap 10 and one classroom per school: 24 pupils, 20 seats — infeasible. With two rooms at
    # S0 the only zoning is U0, U1 → S0 (16 ≤ 20) and U2 → S1 (8 ≤ 10).
    inst = grid_instance(1, 3, [0, 2], [[8], [8], [8]], size_cap=[100, 100], rooms=[1, 1])
    assert brute_force(inst) is None
    with pytest.raises(InfeasibleError):
        op.solve(inst, time_limit_s=5)
    inst = grid_instance(1, 3, [0, 2], [[8], [8], [8]], size_cap=[100, 100], rooms=[2, 1])
    res = op.solve(inst, time_limit_s=5)
    assert res.assign.tolist() == [0, 0, 1]
    # objective: pupil-metres 8·50 (U0–S0) + 8·1057 (U1–S0) + 8·(50 + 14 + 11) (U2–S1), and
    # all 24 pupils change school (none is at its new school today) at 500 m each
    assert res.objective == 8 * 50 + 8 * 1057 + 8 * 75 + 500 * 24
    assert res.status == "optimal"
    # places: S0 approved for 15 only — U1 cannot join it, and U1 → S1 leaves U0 alone
    inst = grid_instance(1, 3, [0, 2], [[8], [8], [8]], size_cap=[100, 100], rooms=[2, 2],
                         places=[15, 100])
    assert op.solve(inst, time_limit_s=5).assign.tolist() == [0, 1, 1]


def test_pupils_over_a_size_cap_are_priced_where_the_zoning_decides_it():
    # Three units of 8 pupils in a row, schools in U0 (S0) and U2 (S1), all at S0 today, one
    # year; S0's size cap 10, its limit today's 24 (never fuller than doing nothing).
    inst = grid_instance(1, 3, [0, 2], [[8], [8], [8]], size_cap=[10, 100], rooms=[9, 9],
                         zoned=[0, 0, 0])
    inst = replace(inst, size_limit=np.array([[24], [100]]))
    # S1 has room for every pupil: the zoning decides whether S0 is within its cap
    assert inst.cap_decided.tolist() == [[True], [True]]
    res = op.solve(inst, time_limit_s=5)
    # U1 and U2 to S1 leaves S0 at 8 ≤ 10: travel 8·50 + 8·(1057 + 11) + 8·(50 + 14 + 11),
    # and 16 pupils change school at 500 m each; keeping U1 at S0 (16, 6 over) costs 6 pupils
    # × 50 km more than the 8 pupils' extra way
    assert res.assign.tolist() == [0, 1, 1]
    assert res.objective == 8 * 50 + 8 * 1068 + 8 * 75 + 500 * 16 == inst.objective(res.assign)
    # S0's staying pupils alone are over its cap (12 > 10): over it whatever the zoning, so
    # its pupils over the cap weigh nothing and travel alone decides (U1 nearer S0)
    fixed = replace(inst, fixed=np.array([[[12]], [[0]]]), size_limit=np.array([[36], [100]]))
    assert fixed.cap_decided.tolist() == [[False], [True]]
    assert op.solve(fixed, time_limit_s=5).assign.tolist() == [0, 0, 1]
    # S1 approved for 8 places: S0 keeps at least 24 − 8 = 16 > 10 whatever the zoning
    full = replace(inst, places=np.array([[BIG], [8]]))
    assert full.cap_decided.tolist() == [[False], [True]]
    assert op.solve(full, time_limit_s=5).assign.tolist() == [0, 0, 1]


def _one_resource_indicators(inst: op.Instance, resource: np.ndarray, thresholds: np.ndarray,
                             limit: float) -> Indicators:
    """Indicators whose value is resource / pupils (c = R, a = 1, o = 0), baseline = today."""
    n_s, n_t = inst.size_cap.shape
    n_k = resource.shape[1]
    pupils = inst.loads(inst.zoned).sum(axis=2).astype(float)
    in_scope = pupils > 0
    passing = np.zeros((n_s, n_t), dtype=bool)
    met = np.zeros((n_s, n_t), dtype=np.int64)
    at_floor = np.zeros((n_s, n_t, n_k), dtype=bool)
    base = np.full((n_t, n_k), np.nan)
    for t in range(n_t):
        values = resource / np.maximum(pupils[:, t], 1)[:, None]
        ok, floor_ok, comp = compliance(values, np.broadcast_to(thresholds, values.shape), STD)
        passing[:, t] = comp & in_scope[:, t]
        met[:, t] = np.where(in_scope[:, t], ok.sum(axis=1), 0)
        at_floor[:, t] = floor_ok & in_scope[:, t, None]
        m = in_scope[:, t]
        base[t] = [cv(pupils[m, t], resource[m, j]) for j in range(n_k)]
    return Indicators(c=resource.astype(float), a=np.ones((n_s, n_k)),
                      o=np.zeros((n_s, n_t, n_k)), threshold=thresholds, standards=STD,
                      in_scope=in_scope, passing=passing, met=met, at_floor=at_floor,
                      resource=np.repeat(resource[:, None, :], n_t, axis=1).astype(float),
                      cv_limit=np.maximum(limit, base + 1e-12), baseline_cv=base)


def random_instance(seed: int) -> op.Instance:
    """A small county: 6–9 units, 2–3 schools, two years of two grades, seven resources.

    Today each unit is at its nearest school, but some schools are over their size cap where
    the zoning decides it (priced in the objective, so the optimiser moves units away), some
    are short of rooms (never more classes than today's), some have
    approved places, and the indicator thresholds lie among today's values, so that keeping
    the sections that pass, and the CVs, binds in many of them.
    """
    rng = np.random.default_rng(seed)
    rows, cols, k = [(2, 3, 2), (2, 3, 3), (2, 4, 2), (3, 3, 2), (1, 5, 3)][seed % 5]
    n = rows * cols
    schools = rng.choice(n, k, replace=False).tolist()
    demand = rng.integers(0, 6, (n, 2, 2))  # small units beside the pupils who stay
    fixed = rng.integers(5, 15, (k, 2, 2))
    probe = grid_instance(rows, cols, schools, demand, [BIG] * k, [BIG] * k, fixed=fixed)
    zoned = probe.dist.argmin(axis=1)  # today: each unit at its nearest school
    loads = probe.loads(zoned)
    load = loads.sum(axis=2)
    over = rng.random(k) < 0.5  # these are over their cap today, the others have room
    stay = fixed.sum(axis=2).max(axis=1)  # the pupils who stay: the zoning decides G4 above
    ratio = np.where(over, rng.uniform(0.2, 0.8, k), rng.uniform(1.3, 2.5, k))
    size_cap = np.maximum(np.where(over, stay + (load.max(axis=1) - stay) * ratio,
                                   load.max(axis=1) * ratio).astype(int), 5)
    need = np.array([[op.classes(probe, s, loads[s, t]) for t in range(2)] for s in range(k)])
    rooms = np.maximum(need.max(axis=1) + rng.integers(-1, 5, k), 1)
    places = np.where(rng.random(k) < 0.5, size_cap + rng.integers(0, 20, k), BIG)
    inst = grid_instance(rows, cols, schools, demand, size_cap, rooms, zoned=zoned,
                         fixed=fixed, places=places, floor=[1] * k, class_cap=10,
                         max_distance=[None, 2500.0][seed % 2])
    # the hard limits: the caps and rooms, or today's where it is over them (never worse)
    inst = replace(inst, size_limit=np.maximum(inst.size_cap, load),
                   rooms_limit=np.maximum(inst.rooms, need), places=np.maximum(inst.places, load))
    # half of those with a limit let today's school stay beyond it, as consolidation does
    inst = op.with_candidates(replace(inst, today_in_reach=seed % 4 == 1),
                              op.Options(section="primary", candidates=10,
                                         max_distance_m=inst.max_distance_m))
    # resources roughly in proportion to today's pupils, as a county's are (CVs 0.1–0.3)
    resource = np.round(load[:, -1:] * rng.uniform(0.2, 1.0, 7) * rng.uniform(0.7, 1.3, (k, 7)))
    per_pupil = resource / load[:, -1:].astype(float)
    thresholds = per_pupil.min(axis=0) * rng.uniform(0.4, 1.0, 7)  # some bind, some not
    limit = [0.5, 0.0, 0.3][seed % 3]  # 0.0: every CV may not rise above today's
    return replace(inst, ind=_one_resource_indicators(inst, resource, thresholds, limit))


def test_the_random_instances_are_not_trivial():
    # in many the optimum moves units from today's zoning, and in many the indicator and CV
    # constraints change it: the brute-force test below tests them
    moved = bound = 0
    for seed in range(36):
        inst = random_instance(seed)
        best, free = brute_force(inst), brute_force(replace(inst, ind=None))
        moved += best is not None and (best[1] != inst.zoned).any()
        bound += best is not None and free is not None and best[0] > free[0]
    assert moved >= 4 and bound >= 10, (moved, bound)  # 4 and 13 with these seeds


@pytest.mark.parametrize("seed", range(36))
def test_the_optimiser_finds_the_brute_force_optimum_with_indicators(seed):
    inst = random_instance(seed)
    best = brute_force(inst)
    res = op.solve_or_none(inst, time_limit_s=20)
    if best is None:  # a unit beyond the limit from every school
        assert res is None
        return
    assert res is not None and res.status == "optimal"
    assert res.objective == best[0] == inst.objective(res.assign)
    assert feasible(inst, res.assign) and op.violations(inst, res.assign) == []


def test_the_exact_cv_limit_binds_where_travel_alone_would_break_it():
    # A line of four units, schools in U0 (S0) and U3 (S1), 10 pupils each; S0 has 4 of a
    # resource, S1 16. Least travel: U0, U1 → S0, U2, U3 → S1 (20 and 20 pupils): values
    # 0.2 and 0.8, x̄ = 0.5, CV = 0.6. Today U1, U2, U3 are at S1 (10 and 30): values 0.4 and
    # 0.533…, CV = sqrt(0.25·0.01 + 0.75·(0.0333…)²)/0.5 = 0.11547. With "no rise", the
    # least travel breaks it: the optimum must keep 10 and 30.
    demand = [[10], [10], [10], [10]]
    base = grid_instance(1, 4, [0, 3], demand, [100, 100], [9, 9], zoned=[0, 1, 1, 1])
    free = op.solve(base, time_limit_s=5)
    assert free.assign.tolist() == [0, 0, 1, 1]
    resource = np.array([[4.0] * 7, [16.0] * 7])
    ind = _one_resource_indicators(base, resource, np.full(7, 0.1), 0.0)
    assert ind.baseline_cv[0, 0] == pytest.approx(np.sqrt(0.25 * 0.01 + 0.75 * (0.4 / 12) ** 2)
                                                  / 0.5)
    assert cv(np.array([20.0, 20.0]), resource[:, 0]) == pytest.approx(0.6)
    res = op.solve(replace(base, ind=ind), time_limit_s=5)
    assert res.assign.tolist() == [0, 1, 1, 1] and res.status == "optimal"


def _seven_limits(c, passing: bool, met: int, at_floor, threshold=None) -> Indicators:
    """One school section, one year, seven resources c (value c / pupils), thresholds 1."""
    c = np.asarray(c, dtype=float)[None, :]
    threshold = np.ones(7) if threshold is None else threshold
    return Indicators(c=c, a=np.ones((1, 7)), o=np.zeros((1, 1, 7)), threshold=threshold,
                      standards=STD, in_scope=np.ones((1, 1), bool),
                      passing=np.full((1, 1), passing), met=np.full((1, 1), met),
                      at_floor=np.asarray(at_floor, bool).reshape(1, 1, 7),
                      resource=c[:, None, :], cv_limit=np.full((1, 7), np.inf),
                      baseline_cv=np.zeros((1, 7)))


@pytest.mark.parametrize("c, passing, met, at_floor, most", [
    # passing: 6 of 7 met (value ≥ 1: pupils ≤ c) — the sixth largest c, 50 — and all 7 at
    # 85 % (pupils ≤ 45 / 0.85 = 52.9): at most 50 pupils, whichever six are met
    ([100, 90, 80, 70, 60, 50, 45], True, 7, [True] * 7, 50),
    # the same, but the least resource's 85 % (40 / 0.85 = 47.06) binds first
    ([100, 90, 80, 70, 60, 50, 40], True, 7, [True] * 7, 47),
    # failing, meeting 4 today: the fourth largest, 70; the 85 % kept only where it held
    ([100, 90, 80, 70, 60, 50, 45], False, 4, [False] * 7, 70),
    ([100, 90, 80, 70, 60, 50, 45], False, 4, [False] * 6 + [True], 52),
])
def test_n_of_seven_met_is_one_limit_on_the_pupils(c, passing, met, at_floor, most):
    from types import SimpleNamespace

    from ortools.sat.python import cp_model

    from planner.optimize.model import _indicator_constraints
    model = cp_model.CpModel()
    p = model.NewIntVar(0, 200, "p")
    inst = SimpleNamespace(ind=_seven_limits(c, passing, met, at_floor))
    _indicator_constraints(inst, {(0, 0): p}, np.array([[200]]), model.Add)
    assert len(model.Proto().variables) == 1 and len(model.Proto().constraints) == 1
    model.Maximize(p)
    solver = cp_model.CpSolver()
    assert solver.Solve(model) == cp_model.OPTIMAL and solver.Value(p) == most
    # the limit is exact: one pupil more breaks the section's standing
    values = np.asarray(c, float)[None, :] / np.array([[most], [most + 1]])
    ok, floor_ok, comp = compliance(values, np.ones((2, 7)), STD)
    kept = comp if passing else (ok.sum(axis=1) >= met) & floor_ok[:, np.asarray(at_floor)].all(
        axis=1)
    assert kept.tolist() == [True, False]


def test_a_zero_threshold_is_met_at_any_size():
    # R7: none of it, threshold 0 — its value 0 reaches 0 however many pupils: met, with no
    # floor, so six of the seven are met up to the fifth largest of the others, 60, and the
    # least one's 85 % (50 / 0.85 = 58.8) binds first: 58
    from ortools.sat.python import cp_model

    from planner.optimize.model import _indicator_constraints
    ind = _seven_limits([100, 90, 80, 70, 60, 50, 0], True, 7, [True] * 7,
                        threshold=np.array([1.0] * 6 + [0.0]))
    assert ind.limit(1.0)[0, 0, 6] == np.inf and ind.limit(0.85)[0, 0, 6] == np.inf
    from types import SimpleNamespace
    model = cp_model.CpModel()
    p = model.NewIntVar(0, 200, "p")
    _indicator_constraints(SimpleNamespace(ind=ind), {(0, 0): p}, np.array([[200]]), model.Add)
    model.Maximize(p)
    solver = cp_model.CpSolver()
    assert solver.Solve(model) == cp_model.OPTIMAL and solver.Value(p) == 58
    values = np.array([[100, 90, 80, 70, 60, 50, 0]]) / np.array([[58], [59]])
    ok, floor_ok, comp = compliance(values, np.broadcast_to(ind.threshold, (2, 7)), STD)
    assert ok.sum(axis=1).tolist() == [6, 6] and floor_ok.all(axis=1).tolist() == [True, False]
    assert comp.tolist() == [True, False]


def test_bounds_a_solution_comes_near_are_posted_exactly():
    # The line below with every CV limited to 0.51: 17 and 23 pupils give CV 0.455 (0.055
    # under it), 18 and 22 give 0.5025 (0.0075 under, within the 0.02 margin): those seven
    # bounds are posted exactly from then on, but for one that already is
    from planner.optimize.model import Exact, near_bounds
    inst = _line_with_resources(0.51)
    resource = np.array([4.0, 16.0])
    assert cv(np.array([17.0, 23.0]), resource) == pytest.approx(0.45515, abs=1e-5)
    assert cv(np.array([18.0, 22.0]), resource) == pytest.approx(0.50252, abs=1e-5)
    assert near_bounds(inst, [], np.array([[17], [23]]), soft=True) == []
    assert near_bounds(inst, [], np.array([[18], [22]]), soft=True) == [
        Exact(0, k, True) for k in range(7)]
    assert near_bounds(inst, [Exact(0, 3)], np.array([[18], [22]])) == [
        Exact(0, k) for k in (0, 1, 2, 4, 5, 6)]


def test_a_soft_cv_bound_starts_from_the_zoning_that_broke_it():
    # The line below: least travel (U1 → S0) breaks the CV bound. Posted soft, that zoning is
    # a solution (priced by its excess); the optimum is still the one the hard bound gives,
    # and its objective is the travel alone
    from ortools.sat.python import cp_model

    from planner.optimize.model import Exact, formulate
    inst = _line_with_resources(0.0)
    for fix, soft in (([0, 0, 1, 1], False), ([0, 0, 1, 1], True), (None, True)):
        model, slacks = cp_model.CpModel(), []
        x, objective, _ = formulate(
            inst, lambda lo, hi, b, m=model: m.NewBoolVar("") if b else m.NewIntVar(lo, hi, ""),
            model.Add, [Exact(0, k, soft) for k in range(7)], slacks=slacks)
        for u, s in enumerate(fix or []):
            model.Add(x[u, s] == 1)
        model.Minimize(objective)
        solver = cp_model.CpSolver()
        status = solver.Solve(model)
        if fix and not soft:
            assert status == cp_model.INFEASIBLE
        elif fix:
            assert status == cp_model.OPTIMAL and min(solver.Value(v) for v in slacks) > 0
        else:
            assert status == cp_model.OPTIMAL and [solver.Value(v) for v in slacks] == [0] * 7
            assert [s for (u, s) in x if solver.Value(x[u, s])] == [0, 1, 1, 1]
            assert solver.ObjectiveValue() == inst.objective(np.array([0, 1, 1, 1]))


def _line_with_resources(limit: float, cv_target: float | None = None) -> op.Instance:
    """The line above with S0 holding 4 and S1 16 of every resource, each school kept open."""
    base = grid_instance(1, 4, [0, 3], [[10], [10], [10], [10]], [100, 100], [9, 9],
                         zoned=[0, 1, 1, 1], floor=[1, 1], cv_target=cv_target)
    resource = np.array([[4.0] * 7, [16.0] * 7])
    return replace(base, ind=_one_resource_indicators(base, resource, np.full(7, 0.1), limit))


def test_the_least_cv_search_finds_pupils_in_proportion_to_the_resource():
    # From the least-travel zoning (U0, U1 → S0: 20 and 20 pupils, CV 0.6) the least CV has
    # the pupils nearest 4 : 16 that whole units make with S0 kept open: U0 alone at S0, 10
    # and 30, CV 0.11547 (S0 with 30 pupils: values 0.1333 and 1.6, CV 1.02)
    inst = _line_with_resources(1.0)
    low = op.least_cv(inst, np.array([0, 0, 1, 1]), time_limit_s=10)
    assert low.tolist() == [0, 1, 1, 1]
    assert op.max_cv(inst, low) == pytest.approx(np.sqrt(0.25 * 0.01 + 0.75 * (0.4 / 12) ** 2)
                                                 / 0.5)
    assert op.violations(inst, low) == []


def _solvable_random_instances():
    """(seed, instance, brute-force least-travel zoning) of each feasible random instance."""
    for seed in range(36):
        inst = random_instance(seed)
        best = brute_force(inst)
        if best is not None:
            yield seed, inst, best[1]


def test_the_least_cv_search_goes_on_past_its_rounds_while_it_lowers_a_cv_over_the_limit(
        monkeypatch):
    # every round scripted to return the next of five zonings of a random instance (no CV
    # bound), each with a lower largest CV: two rounds without `until`; with it, on while
    # the largest CV is over it and the last round lowered it, up to twice the rounds
    import itertools

    from planner.optimize import model

    inst = random_instance(4)
    inst = replace(inst, ind=replace(inst.ind, cv_limit=np.full(inst.ind.cv_limit.shape,
                                                                 np.inf)))
    zonings = [np.array(a) for a in itertools.product(*inst.candidates)]
    by_cv = {round(op.max_cv(inst, a), 6): a for a in zonings}
    assert len(by_cv) >= 5
    cvs = sorted(by_cv, reverse=True)[:5]
    calls, script = [], []

    def scripted(inst, cuts, k, pupils_now, start, seconds, workers):
        calls.append(round(seconds))
        return script[len(calls)]

    monkeypatch.setattr(model, "_least_cv_round", scripted)

    def run(until, order=(0, 1, 2, 3, 4)):
        calls.clear()
        script[:] = [by_cv[cvs[i]] for i in order]
        low = op.least_cv(inst, script[0], time_limit_s=60, rounds=2, until=until)
        return len(calls), round(op.max_cv(inst, low), 6)

    assert run(None) == (2, cvs[2])
    assert run(0.0) == (4, cvs[4])  # twice the rounds
    # the rounds' seconds (they take none here): the 60 s shared by what is left, then one
    # round's time each at most
    assert calls == [30, 60, 30, 30]
    exact = [op.max_cv(inst, by_cv[c]) for c in cvs]
    assert run(exact[3]) == (3, cvs[3])  # within `until` after the third
    assert run(exact[2]) == (2, cvs[2])  # within it after the second: no more
    assert run(0.0, (0, 1, 2, 0, 4)) == (3, cvs[2])  # the third lowered nothing: no more


def test_the_least_cv_search_finds_the_brute_force_least_on_random_instances():
    # from the least-travel optimum of each random instance; the brute force computes each
    # zoning's CVs from their definition
    lowered = 0
    for seed, inst, least_travel in _solvable_random_instances():
        low = op.least_cv(inst, least_travel, time_limit_s=10)
        assert feasible(inst, low) and op.violations(inst, low) == [], seed
        assert op.max_cv(inst, low) == pytest.approx(least_largest_cv(inst), abs=1e-12), seed
        lowered += op.max_cv(inst, low) < op.max_cv(inst, least_travel) - 1e-9
    assert lowered >= 4  # 4 with these seeds: the search is tested where it moves units


def test_the_exact_descent_moves_the_unit_that_brings_the_cv_within_its_limit():
    # the line above from its least-travel zoning (CV 0.6 over a limit of 0.5): of the
    # one-unit moves only U1 to S1 lowers it (U2 to S0 gives 30 and 10 pupils, CV 1.02; U0
    # holds S0's catchment), and its 0.11547 is within the limit: the descent stops there
    inst = _line_with_resources(1.0)
    low = op.descend(inst, np.array([0, 0, 1, 1]), seconds=10, limit=0.5)
    assert low.tolist() == [0, 1, 1, 1]
    assert op.max_cv(inst, low) == pytest.approx(np.sqrt(0.25 * 0.01 + 0.75 * (0.4 / 12) ** 2)
                                                 / 0.5)
    # within its limit already: nothing moves
    assert op.descend(inst, low, seconds=10, limit=0.5).tolist() == [0, 1, 1, 1]


def test_the_exact_descent_puts_back_a_broken_cv_bound_step_by_step():
    # a line of six units of 10 pupils, S0 at U0 (4 of every resource), S1 at U5 (16), CV
    # bound 0.3 (today: U0 alone at S0). From a start that breaks it (U0–U4 at S0: 50 and 10
    # pupils, CV 1.70), every one- or two-unit move still breaks it (U4 to S1: 40 and 20,
    # CV 0.99; U3 and U4: 30 and 30, CV 0.60), so the descent goes through zonings that break
    # the bound less and less — U4, U3, U2 to S1 one at a time (contiguity: each is held by
    # its neighbour nearer S1) — and stops at 20 and 40 pupils, CV 0.2828, within it
    base = grid_instance(1, 6, [0, 5], [[10]] * 6, [100, 100], [9, 9],
                         zoned=[0, 1, 1, 1, 1, 1], floor=[1, 1])
    resource = np.array([[4.0] * 7, [16.0] * 7])
    inst = replace(base, ind=_one_resource_indicators(base, resource, np.full(7, 0.1), 0.3))
    start = np.array([0, 0, 0, 0, 0, 1])
    assert op.max_cv(inst, start) == pytest.approx(1.70, abs=0.005)
    low = op.descend(inst, start, seconds=10, limit=0.3)
    assert low.tolist() == [0, 0, 1, 1, 1, 1] and op.violations(inst, low) == []
    # values 0.2 and 0.4 for 1/3 and 2/3 of the pupils, mean 1/3
    assert op.max_cv(inst, low) == pytest.approx(np.sqrt((1 / 3) * (1 / 3 - 0.2) ** 2 + (2 / 3)
                                                         * (0.4 - 1 / 3) ** 2) * 3)


def test_the_exact_descent_breaks_nothing_and_lowers_the_cvs_over_the_limit():
    # from the least-travel optimum of each random instance, with a limit under its largest
    # CV: the zoning breaks nothing (the oracle's own check too), no CV within the limit goes
    # over it, the others' squared distances to limit − BELOW sum to no more, and no zoning
    # goes below the brute force's least largest CV
    from planner.optimize.descent import BELOW

    lowered = 0
    for seed, inst, least_travel in _solvable_random_instances():
        before = inst.ind.cvs(inst.loads(least_travel).sum(axis=2).astype(float))[-1]
        limit = 0.9 * float(np.nanmax(before))
        low = op.descend(inst, least_travel, seconds=10, limit=limit)
        after = inst.ind.cvs(inst.loads(low).sum(axis=2).astype(float))[-1]
        assert feasible(inst, low) and op.violations(inst, low) == [], seed
        within = ~(before > limit)
        assert not (after[within] > limit + 1e-12).any(), seed
        over = before > limit
        score = [(np.maximum(c[over] - (limit - BELOW), 0) ** 2).sum() for c in (before, after)]
        assert score[1] <= score[0] + 1e-15, seed
        assert np.nanmax(after) >= least_largest_cv(inst) - 1e-12, seed
        lowered += score[1] < score[0]
    assert lowered >= 4, lowered


def test_after_putting_back_a_broken_bound_the_descent_goes_on_with_the_bounds_as_they_are():
    # a line of six units (30, 20, 20, 20, 10, 10 pupils), S0 at U0 with 17 of R1 and 19 of
    # R2–R7, S1 at U5 with 11 and 19; today U0–U3 at S0 (R1 0.5472, R2–R7 0.8250: their
    # bounds, over the limit 0.286). For two schools CV = sqrt(w0 w1) |x0 − x1| / x̄.
    # The start, U0 alone at S0 (30 and 80 pupils), breaks R1's bound: 0.7509. The repair
    # lowers R1–R7 together (all over the limit) and stops at U0–U1 (50 and 60 pupils): R1
    # 0.3065, R2–R7 0.0913 (U2 too would give R2–R7 0.2835, six times 0.0175² against R1's
    # 0.0405²). R1's bound is kept there, so the descent goes on as from any start: R2–R7
    # are within the limit now and may rise to it, R1 is over it, and U2 to S0 (70 and 40)
    # brings it to 0.0607 with R2–R7 at 0.2835: every CV within the limit. (Without going
    # on, the descent returned U0–U1 with R1 over the limit.)
    base = grid_instance(1, 6, [0, 5], [[30], [20], [20], [20], [10], [10]], [1000, 1000],
                         [99, 99], zoned=[0, 0, 0, 0, 1, 1], floor=[1, 1])
    resource = np.array([[17.0] + [19.0] * 6, [11.0] + [19.0] * 6])
    inst = replace(base, ind=_one_resource_indicators(base, resource, np.zeros(7), 0.286))

    def two(w0: float, x0: float, x1: float, mean: float) -> float:
        return np.sqrt(w0 * (1 - w0)) * abs(x0 - x1) / mean

    start = np.array([0, 1, 1, 1, 1, 1])
    assert op.violations(inst, start) == ["R1 CV 0.7509 over 0.5472 in 2027"]
    cvs = inst.ind.cvs(inst.loads(np.array([0, 0, 1, 1, 1, 1])).sum(axis=2).astype(float))[-1]
    assert cvs[:2] == pytest.approx([two(5 / 11, 17 / 50, 11 / 60, 28 / 110),
                                     two(5 / 11, 19 / 50, 19 / 60, 38 / 110)])
    low = op.descend(inst, start, seconds=10, limit=0.286)
    assert low.tolist() == [0, 0, 0, 1, 1, 1] and op.violations(inst, low) == []
    after = inst.ind.cvs(inst.loads(low).sum(axis=2).astype(float))[-1]
    assert after == pytest.approx([two(7 / 11, 17 / 70, 11 / 40, 28 / 110)]
                                  + [two(7 / 11, 19 / 70, 19 / 40, 38 / 110)] * 6)
    assert after[0] == pytest.approx(0.0607, abs=5e-5) and after[1] == pytest.approx(
        0.2835, abs=5e-5) and (after <= 0.286).all()


def test_the_exact_descent_trades_two_moves_far_apart_when_each_alone_breaks_a_bound(
        monkeypatch):
    # a line of seven units of 10 pupils (U3 none), S0–S3 at U0, U2, U4, U6, each unit
    # reaching the schools one step away; today U1 at S0 and U5 at S2 (20, 10, 20, 10
    # pupils). R1 (12, 21, 15, 14 at S0–S3) has CV 0.5313, over the limit 0.48 (its bound:
    # today's); R2–R7 (14, 13, 16, 21) 0.4739, within it. U1 to S1 alone brings R1 to 0.2247
    # but R2–R7 to 0.4944, over the limit; U5 to S3 alone brings R2–R7 to 0.2985 but R1 to
    # 0.5522, over its bound; no chain or block moves both (they are four units apart). Both
    # at once (10, 20, 10, 20 pupils): values 1.2, 1.05, 1.5, 0.7 of R1, mean 62/60, CV
    # 0.2704; 1.4, 0.65, 1.6, 1.05 of R2, mean 64/60, CV 0.3300: every CV within the limit
    from planner.optimize import descent

    base = grid_instance(1, 7, [0, 2, 4, 6], [[10], [10], [10], [0], [10], [10], [10]],
                         [1000] * 4, [99] * 4, zoned=[0, 0, 1, 1, 2, 2, 3], floor=[1] * 4,
                         max_distance=1150.0)
    base = op.with_candidates(base, op.Options(section="primary", candidates=10,
                                               max_distance_m=1150.0))
    r1, r2 = [12.0, 21.0, 15.0, 14.0], [14.0, 13.0, 16.0, 21.0]
    inst = replace(base, ind=_one_resource_indicators(
        base, np.array([[a] + [b] * 6 for a, b in zip(r1, r2, strict=True)]), np.zeros(7), 0.48))
    today = np.array([0, 0, 1, 1, 2, 2, 3])
    assert op.zoning_cvs(inst, today)[-1][:2] == pytest.approx([0.5313, 0.4739], abs=5e-5)
    one, other = today.copy(), today.copy()
    one[1], other[5] = 1, 3
    assert op.violations(inst, one) == [f"R{j} CV 0.4944 over 0.4800 in 2027"
                                        for j in range(2, 8)]
    assert op.violations(inst, other) == ["R1 CV 0.5522 over 0.5313 in 2027"]
    low = op.descend(inst, today, seconds=10, limit=0.48)
    assert low.tolist() == [0, 1, 1, 1, 2, 3, 3] and op.violations(inst, low) == []
    pupils = np.array([10.0, 20.0, 10.0, 20.0])
    after = op.zoning_cvs(inst, low)[-1]
    assert after == pytest.approx([cv(pupils, np.array(r1))] + [cv(pupils, np.array(r2))] * 6)
    assert after[:2] == pytest.approx([0.2704, 0.3300], abs=5e-5)
    # the one- and two-unit moves alone find nothing here
    monkeypatch.setattr(descent, "_trades", lambda *_: (np.zeros((0, 2), np.int64),) * 2)
    assert op.descend(inst, today, seconds=10, limit=0.48).tolist() == today.tolist()


def test_the_cvs_of_many_zonings_at_once_are_the_formula_with_shared_resources():
    # Indicators.year_cvs (the descent weighs thousands of zonings with it) against the
    # formula written out school by school: value c / (a P + o) (a resource the school's
    # sections share when o ≠ 0), R = value × P, x̄ = ΣR / N, CV = sqrt(Σ P/N (R/P − x̄)²) / x̄
    # over the evaluated sections with pupils (an emptied one has no value)
    rng = np.random.default_rng(3)
    inst = random_instance(4)
    n_s, n_t, n_k = inst.ind.o.shape
    o = np.where(rng.random((n_s, 1, n_k)) < 0.5, rng.uniform(5, 40, (n_s, 1, n_k)), 0.0)
    ind = replace(inst.ind, a=rng.uniform(1.0, 1.3, (n_s, n_k)),
                  o=np.repeat(o, n_t, axis=1))
    pupils = rng.integers(0, 60, (50, n_s, n_t))
    pupils[0, 0] = 0
    t = n_t - 1
    got = ind.year_cvs(pupils[:, :, t], t)
    want = np.full((len(pupils), n_k), np.nan)
    for i, row in enumerate(pupils[:, :, t]):
        for k in range(n_k):
            ps, rs = [], []
            for s in range(n_s):
                if ind.in_scope[s, t] and row[s] > 0:
                    ps.append(float(row[s]))
                    rs.append(ind.c[s, k] / (ind.a[s, k] * row[s] + ind.o[s, t, k]) * row[s])
            n, mean = sum(ps), sum(rs) / sum(ps)
            var = sum(p / n * (r / p - mean) ** 2 for p, r in zip(ps, rs, strict=True))
            want[i, k] = var ** 0.5 / mean
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(ind.cvs(pupils[7].astype(float))[t], want[7], rtol=1e-12)
    assert (o != 0).any() and pupils[0, 0, t] == 0
    # the sums the descent ranks its moves by: every school's parts summed give the same
    # CVs, and a zoning's CVs from another's sums with the changed schools' parts swapped
    every = np.arange(n_s)[None]
    sums = [v.sum(axis=1) for v in ind.cv_parts(np.repeat(every, 50, axis=0),
                                                pupils[:, :, t], t)]
    np.testing.assert_allclose(cv_of_sums(*sums), want, rtol=1e-12, atol=1e-12)
    changed = np.array([[0, 2]])  # zoning 1 differs from zoning 0 at schools 0 and 2 only
    row = pupils[0, :, t].copy()
    row[[0, 2]] = pupils[1, [0, 2], t]
    old, new = (ind.cv_parts(changed, p[None], t) for p in (pupils[0, [0, 2], t], row[[0, 2]]))
    swapped = [s[0] + (b - a).sum(axis=1)[0] for s, a, b in zip(sums, old, new, strict=True)]
    np.testing.assert_allclose(cv_of_sums(*swapped), ind.year_cvs(row[None], t)[0],
                               rtol=1e-12, atol=1e-12)


def test_the_descent_ranks_every_move_by_the_cvs_the_formula_gives():
    # move_cvs (from the sums, changed by the affected schools' parts; a school in two slots
    # of a chain counted once) against year_cvs of each moved zoning written out whole, for
    # every one- and two-unit move of a zoning, with resources shared between sections
    from planner.optimize.descent import _affected, _moved, _pairs, _singles, move_cvs

    rng = np.random.default_rng(5)
    inst = random_instance(4)
    n_s, n_t, n_k = inst.ind.o.shape
    o = np.where(rng.random((n_s, 1, n_k)) < 0.5, rng.uniform(5, 40, (n_s, 1, n_k)), 0.0)
    inst = replace(inst, ind=replace(inst.ind, a=rng.uniform(1.0, 1.3, (n_s, n_k)),
                                     o=np.repeat(o, n_t, axis=1)))
    cur = np.array([c[0] for c in inst.candidates])
    pupils = inst.loads(cur).sum(axis=2)
    demand = inst.demand.sum(axis=2)
    t = inst.last()
    repeated = 0
    for units, schools in (_singles(inst, cur), _pairs(inst, cur)):
        new = _moved(inst, cur, pupils, demand, units, schools)
        rows = _affected(cur, units, schools)
        whole = []
        for row, after in zip(rows, new, strict=True):
            p = pupils[:, t].copy()
            p[row] = after[:, t]
            whole.append(p)
            repeated += len(set(row.tolist())) < 4
        np.testing.assert_allclose(move_cvs(inst, pupils, rows, new),
                                   inst.ind.year_cvs(np.array(whole), t), rtol=1e-12,
                                   atol=1e-12)
    assert repeated > 0 and (o != 0).any()


def test_what_a_move_breaks_is_seen_in_the_schools_it_changes():
    # violations(…, schools) is the whole check for a zoning that differs from one breaking
    # nothing only in those schools' catchments: every one-unit move on the random instances,
    # and every two-unit move the descent tries (chains, swaps among them, and blocks)
    from planner.optimize.descent import _pairs

    checked = 0
    for seed, inst, least_travel in _solvable_random_instances():
        assert op.violations(inst, least_travel) == [], seed
        units, schools = _pairs(inst, least_travel)
        singles = [((u, s),) for u, cand in enumerate(inst.candidates) for s in cand]
        pairs = [tuple(zip(u, s, strict=True)) for u, s in zip(units, schools, strict=True)]
        for move in singles + pairs:
            trial = least_travel.copy()
            for u, s in move:
                trial[u] = s
            changed = {int(least_travel[u]) for u, _ in move} | {int(s) for _, s in move}
            part = op.violations(inst, trial, changed)
            assert sorted(part) == sorted(op.violations(inst, trial)), (seed, move)
            checked += bool(part)
    assert checked >= 300, checked


def test_the_least_cv_alone_is_the_brute_force_least_with_the_other_cvs_free():
    # what the frontier tells a planner when its least CV stays over the limit: that one CV's
    # least with every CV bound left out (every other constraint held), from the
    # least-travel optimum, equals the brute force's on every random instance
    below = 0
    for seed, inst, least_travel in _solvable_random_instances():
        k = int(np.nanargmax(inst.ind.cvs(inst.loads(least_travel).sum(axis=2)
                                          .astype(float))[-1]))
        alone = op.least_cv_alone(inst, least_travel, k, time_limit_s=10)
        free = replace(inst, ind=replace(inst.ind, cv_limit=np.full(inst.ind.cv_limit.shape,
                                                                    np.inf)))
        assert feasible(free, alone) and op.violations(free, alone) == [], seed
        cv_k = inst.ind.cvs(inst.loads(alone).sum(axis=2).astype(float))[-1, k]
        assert cv_k == pytest.approx(least_largest_cv(inst, only=k), abs=1e-12), seed
        below += cv_k < least_largest_cv(inst) - 1e-9
    assert below == 9  # of 33: where the CV alone goes lower than every CV together


def test_toward_moves_units_only_as_far_as_the_bounds_allow():
    # Toward a goal with U1 and U2 at S0: U1 to S0 saves travel (2 km less, the least-travel
    # zoning) and makes the CV 0.6, within a limit of 1.0 but over a target of 0.5; U2 to S0
    # (before U1 it has no neighbour there) would add travel: it stays
    goal, least_cv = np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1])
    inst = _line_with_resources(1.0)
    assert op.toward(inst, least_cv, goal).tolist() == [0, 0, 1, 1]
    assert inst.objective(np.array([0, 0, 1, 1])) < inst.objective(least_cv)
    held = _line_with_resources(1.0, cv_target=0.5)
    assert op.toward(held, least_cv, goal).tolist() == [0, 1, 1, 1]


def test_a_frontier_line_tells_which_side_of_the_limit_a_cv_is_on():
    # the primary CV limit is 0.50: 0.50003 and 0.49997 both round to 0.500, so they get
    # the digits that tell them from it (0.50003 over, 0.49997 within); 0.527 keeps three
    inst = _line_with_resources(1.0)
    assert inst.ind.standards.section(inst.section).cv_limit == 0.5
    result = op.Result(instance=inst, assign=np.array([0, 1, 1, 1]), status="feasible",
                       objective=float(inst.objective(np.array([0, 1, 1, 1]))),
                       best_bound=0.0, lp_bound=0.0, seconds=1.0)
    plans = [op.FrontierPlan(t, result, cv, np.array([0.3, cv] + [0.3] * 5))
             for t, cv in ((None, 0.527), (0.50003, 0.50003), (0.49997, 0.49997))]
    lines = op.frontier_lines(plans, None)
    assert "least travel" in lines[1] and "largest CV 0.527," in lines[1]
    assert "every CV ≤ 0.50003:" in lines[2] and "largest CV 0.50003," in lines[2]
    assert lines[2].endswith("over the limit: R2")
    assert "every CV ≤ 0.49997:" in lines[3] and "largest CV 0.49997," in lines[3]
    assert lines[3].endswith("every CV within its limit")


def test_the_frontier_says_what_holds_the_least_cv_in_either_language():
    why = ("least", 0.5463, "R2", 181.6, (("R5", 0.4982, 0.5),))
    assert op.why_text(why, "en") == (
        "the least largest CV found in 182 s of search is 0.5463 (R2), over its limit: "
        "re-zoning alone was not found to go lower; held there by R5 at its bound: "
        "R5 0.498 (bound 0.500)")
    assert op.why_text(why, "zh") == (
        "搜索 182 秒找到的最小的最大差异系数为 0.5463（R2），仍超过上限：仅靠调整划片未能再降低"
        "；受R5上限约束：R5 0.498（上限 0.500）")
    assert op.why_text(why[:4] + ((),), "en").endswith("was not found to go lower")
    # what lowering it further costs: R2 alone to 0.489, with R5 and R4 then over 0.5
    alone = why + ((0.4891, 60.2, (("R4", 0.6104, 0.5), ("R5", 0.6911, 0.5))),)
    assert op.why_text(alone, "en") == op.why_text(why, "en") + (
        "; with every other CV left free, R2 goes down to 0.489 in 60 s of search, with R4, R5 "
        "then over the limit: R4 0.610 (bound 0.500), R5 0.691 (bound 0.500)")
    assert op.why_text(alone, "zh") == op.why_text(why, "zh") + (
        "；若不约束其他差异系数，搜索 60 秒可将R2降至 0.489，但此时R4、R5超过上限："
        "R4 0.610（上限 0.500）、R5 0.691（上限 0.500）")
    assert op.why_text(why + ((0.5212, 60.2, ()),), "en").endswith(
        "R2 goes down to 0.521 in 60 s of search")
    assert op.why_text(None, "zh") == ""


# --- consolidation ---------------------------------------------------------------------------

def test_consolidation_closes_what_fits_by_hand():
    # A line of four units, one school in each end unit and two small ones: S0 at U0 (cap 60),
    # S1 at U1 (5 pupils), S2 at U2 (4 pupils), S3 at U3 (cap 12, 8 pupils). S1 fits into
    # S0 (30 + 5 ≤ 60); S2 would fit S0 too but only through U1 (contiguity), and S3 has no
    # room for it (8 + 4 ≤ 12 holds: so it may go either way) — all three small closings are
    # possible but S3 is a school to keep (not a candidate). Closing S1 and S2: U1, U2 → S0
    # (U2 reaches S0 through U1) costs 5·1057 + 4·2064 pupil-metres; U2 → S3 costs 4·(1064).
    from planner.optimize.consolidate import _solve

    demand = [[30], [5], [4], [8]]
    inst = grid_instance(1, 4, [0, 1, 2, 3], demand, [60, 60, 60, 12], [9, 9, 9, 9],
                         zoned=[0, 1, 2, 3])
    inst = replace(inst, locked={0: 0, 3: 3})
    found = _solve(inst, np.array([1, 2]), "count", None, 10, None)
    assign, closed = found[0], found[1]
    assert closed.tolist() == [1, 2]
    # U1 → S0 (5·1057 + 500·5 changing school) and U2 → S3 (4·(1000 + 14 + 33 + 50)…): the
    # nearer of S0 (2 steps) and S3 (1 step) for U2 is S3
    assert assign.tolist() == [0, 0, 3, 3]
    # with room for 9 only at S3, U2 cannot join it; U2 → S0 through U1
    inst = replace(inst, size_cap=np.array([[60], [60], [60], [9]]),
                   size_limit=np.array([[60], [60], [60], [9]]))
    assign = _solve(inst, np.array([1, 2]), "count", None, 10, None)[0]
    assert assign.tolist() == [0, 0, 0, 3]


# --- the command line on a small county ------------------------------------------------------

@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("county")
    assert main(["demo-province", str(out), "--counties", "1", "--seed", "3"]) == 0
    return next(out.glob("*.gpkg"))


def _evaluate(ws: Path, scenario: str, year: int, tmp: Path) -> dict:
    import json

    out = tmp / f"{scenario}-{year}.json"
    assert main(["evaluate", str(ws), "--scenario", scenario, "--year", str(year),
                 "--json", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _sections(result: dict, section: str) -> dict:
    return {r["school_id"]: r for r in result["sections"][section]["schools"]}


@pytest.mark.parametrize("section", ["primary", "junior"])
def test_optimize_holds_every_indicator_in_every_phase_year(county, tmp_path, capsys, section):
    ws = tmp_path / "c.gpkg"
    shutil.copy(county, ws)
    assert main(["optimize", str(ws), "--section", section, "--name", "opt",
                 "--time-limit", "20"]) == 0
    out = capsys.readouterr().out
    assert "school sections passing R1–R7" in out and "pupils changing school" in out
    first = 2027
    years = range(first, first + (6 if section == "primary" else 3))
    for y in years:
        before, after = (_evaluate(ws, s, y, tmp_path) for s in ("baseline", "opt"))
        b, a = _sections(before, section), _sections(after, section)
        assert set(a) == set(b), y  # the evaluated school sections are unchanged
        for sid, row in b.items():
            if row["compliant"]:
                assert a[sid]["compliant"], (y, sid)
        limit = before["sections"][section]["cv_limit"]
        cv_b, cv_a = (r["sections"][section]["cv"] for r in (before, after))
        for key, value in cv_a.items():  # none over its limit that was within; none rises
            assert value <= max(limit, cv_b[key]) + 1e-9, (y, key)
    # in the first year only entrants change school; no teaching point gains a pupil, ever
    from planner import session as ss

    session = ss.open_session(ws)
    grades = np.array(session.standards.grades(section)) - 1
    for y in years:
        b, a = (ss.plan_at_year(session, s, y) for s in ("baseline", "opt"))
        assert (b.school_ids == a.school_ids).all()
        moved = (a.pupils_by_grade != b.pupils_by_grade).any(axis=0)
        assert not moved[grades[y - first + 1:]].any(), y  # older cohorts stay where they are
        assert a.pupils_by_grade.sum(axis=0).tolist() == b.pupils_by_grade.sum(axis=0).tolist()
        tp = b.schools["kind"] == "teaching_point"
        assert (a.schools[f"students_{section}"][tp] <= b.schools[f"students_{section}"][tp]
                ).all(), y


@pytest.mark.parametrize("stay", [True, False])
def test_the_optimisers_pupils_changing_school_are_the_saved_plans_siblings_apart(
        county, tmp_path, capsys, stay):
    # 多孩同校: the entrants who stay with an older sibling at the old school are in neither
    # the optimiser's count of pupils changing school nor the saved plan's; with the rule off
    # they change school and are counted as the families split
    import re

    from planner import diff
    from planner import session as ss

    ws = tmp_path / "c.gpkg"
    shutil.copy(county, ws)
    profile = tmp_path / "p.toml"
    profile.write_text(f"siblings_stay = {str(stay).lower()}\nsibling_share = 0.5\n",
                       encoding="utf-8")
    assert main(["optimize", str(ws), "--section", "primary", "--name", "opt", "--objective",
                 "travel", "--time-limit", "20", "--profile", str(profile)]) == 0
    out = capsys.readouterr().out
    phased = int(re.search(r"([\d,]+) once phased in", out).group(1).replace(",", ""))
    label = "siblings: " if stay else "families split: "
    siblings = int(re.search(label + r"([\d,]+) entrant", out).group(1).replace(",", ""))
    s = ss.open_session(ws, profile=str(profile))
    b, a = (ss.plan_at_year(s, n, 2032) for n in ("baseline", "opt"))
    assert diff.pupils_changing_school(b, a) == phased > 0 and siblings > 0
    r = a.rows
    primary = ~s.standards.is_junior(r.grade)
    stayers = primary & (r.es == r.ez) & (r.ez != a.zone[0][r.eu])  # zoned where the unit isn't
    assert int(r.n[stayers].sum()) == (siblings if stay else 0)


def test_frontier_prints_plans_from_least_travel(county, capsys):
    before = county.read_bytes()
    assert main(["optimize", str(county), "--section", "primary", "--name", "f",
                 "--frontier", "--time-limit", "10"]) == 0
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if x.startswith("  ") and ". " in x]
    assert lines[0].startswith("  1. least travel:") and 2 <= len(lines) <= 7
    cvs = [float(x.split("largest CV ")[1].split(",")[0]) for x in lines]
    assert cvs == sorted(cvs, reverse=True) and cvs[-1] < cvs[0]
    targets = [float(x.split("every CV ≤ ")[1].split(":")[0]) for x in lines[1:]]
    assert all(cv <= target + 5e-4 for cv, target in zip(cvs[1:], targets, strict=True))
    # the last plan has every CV within its limit, or the search says why it stopped there
    assert lines[-1].endswith("every CV within its limit") or (
        "the least largest CV found in" in out)
    assert county.read_bytes() == before  # nothing saved


def test_a_least_cv_zoning_of_the_demo_primary_keeps_every_constraint(demo_gpkg, tmp_path):
    # the lowest largest CV found for the demo's primary under the projection of issue 29
    # (entrants at the history's weighted entry ratio: more pupils in 2032 than before): a
    # zoning of the 169 units it moves (tests/data), from the least-CV search going on for
    # 11 minutes and the exact descent, keeps every constraint of the default request in every
    # phase-in year; R2 stays over its 0.50 limit (docs/method/optimiser.md). The zonings found
    # within every limit under the earlier projection break the places and the passing
    # sections of this one. It was found without the rules of admission (issue 28), which it
    # breaks: checked with them off (siblings staying at the old school too).
    import json

    from planner import session as ss

    profile = tmp_path / "no_rules.toml"
    profile.write_text("zone_public_only = false\nkeep_nine_year_pathway = false\n"
                       "township_crossing = true\nzoning_max_increase = 1000\n"
                       "siblings_stay = false\n",
                       encoding="utf-8")
    options = op.Options(section="primary")
    free = ss.open_session(demo_gpkg, profile=str(profile))
    inst = op.build_instance(ss.optimisation_plans(free, "baseline", options), options)
    data = Path(__file__).parent / "data" / "demo_primary_least_cv.json"
    moved = json.loads(data.read_text())
    where = {str(s): i for i, s in enumerate(inst.school_ids)}
    assign = np.array([where[moved[str(u)]] if str(u) in moved else z
                       for u, z in zip(inst.unit_ids, inst.zoned, strict=True)])
    assert len(moved) == 169 and (assign != inst.zoned).sum() == 169
    assert op.violations(inst, assign) == []
    cvs = np.round(inst.ind.cvs(inst.loads(assign).sum(axis=2).astype(float))[-1], 4)
    assert inst.years[-1] == 2032 and cvs.tolist() == [0.3679, 0.531, 0.398, 0.4875, 0.4999,
                                                        0.3198, 0.3832]
    ruled = op.build_instance(ss.optimisation_plans(ss.open_session(demo_gpkg), "baseline",
                                                    options), options)
    assert sum("out of reach" in v for v in op.violations(ruled, assign)) > 100


def test_consolidate_on_the_demo_closes_and_explains(demo_gpkg, tmp_path, capsys):
    ws = tmp_path / "d.gpkg"
    shutil.copy(demo_gpkg, ws)
    assert main(["consolidate", str(ws), "--section", "primary", "--name", "close",
                 "--max-distance", "5000", "--time-limit", "30"]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    closed, candidates = int(head.split()[1]), int(head.split()[3])
    assert 1 <= closed < candidates
    assert out.count("  closes ") == closed and out.count("  keeps ") == candidates - closed
    reasons = [x.split("): ", 1)[1] for x in out.splitlines() if x.startswith("  keeps ")]
    assert all(r.strip() for r in reasons)
    for y in (2027, 2032):  # the first year (no entrants) and the year they close
        before, after = (_evaluate(ws, s, y, tmp_path) for s in ("baseline", "close"))
        b, a = _sections(before, "primary"), _sections(after, "primary")
        closes = {x.split()[1] for x in out.splitlines() if x.startswith("  closes ")}
        # only the closed schools leave the evaluated set: closed in stages, by 2032
        assert set(a) - closes == set(b) - closes and (y < 2032 or not set(a) & closes)
        assert all(a[sid]["compliant"] for sid in a if b[sid]["compliant"]), y
        limit = before["sections"]["primary"]["cv_limit"]
        cv_b, cv_a = (r["sections"]["primary"]["cv"] for r in (before, after))
        assert all(v <= max(limit, cv_b[key]) + 1e-9 for key, v in cv_a.items()), y
        pupils = [sum(r["students"] for r in res["sections"]["primary"]["schools"])
                  + sum(r["students"] for r in res["exclusions"] if r["section"] == "primary")
                  for res in (before, after)]
        assert pupils[0] == pupils[1]  # no pupil lost


@pytest.mark.parametrize("extra, message", [
    (["--time-limit", "0"], "--time-limit: expected a number > 0, got 0.0"),
    (["--max-distance", "-5"], "--max-distance: expected a number > 0, got -5.0"),
    (["--lock", "NOPE"], "column `lock`: unknown unit 'NOPE'"),
    (["--scenario", "nope"], "no scenario named 'nope'"),
    (["--sites", "/nonexistent/s.json"], "folder /nonexistent does not exist"),
    (["--cv-target", "-1"], "--cv-target: expected a number > 0, got -1.0"),
    (["--change-weight", "inf"], "--change-weight: expected a number ≥ 0, got inf"),
    (["--time-limit", "nan"], "--time-limit: expected a number > 0, got nan"),
    (["--first-year", "2020"], "--first-year: expected 2026 (the workspace's school year) or "
                               "later, got 2020"),
])
def test_bad_optimize_requests_are_refused_plainly(county, extra, message, capsys):
    before = county.read_bytes()
    assert main(["optimize", str(county), "--section", "primary", "--name", "x",
                 *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert county.read_bytes() == before


def test_an_infeasible_request_names_what_blocks(county, tmp_path, capsys):
    ws = tmp_path / "c.gpkg"
    shutil.copy(county, ws)
    before = ws.read_bytes()
    code = main(["optimize", str(ws), "--section", "junior", "--name", "near",
                 "--max-distance", "1500", "--time-limit", "10", "--all-grades"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "the junior constraints cannot be met" in err and "have no seat within 1,500 m" in err
    assert ws.read_bytes() == before


def test_the_places_that_block_are_named(tmp_path, capsys):
    # the small county: bringing every chooser back to the zoned school needs 420 places at
    # 东街小学, which has 417; without the places the same request is met, by zoning 北街社区
    # (U3) to the nine-year school for primary only: with the pathway rule off
    from tests.conftest import DATA

    ws = tmp_path / "c.gpkg"
    shutil.copy(DATA / "small_county.gpkg", ws)
    profile = tmp_path / "no_pathway.toml"
    profile.write_text("keep_nine_year_pathway = false\n", encoding="utf-8")
    args = ["optimize", str(ws), "--section", "primary", "--name", "o", "--all-grades",
            "--enforce-zoning", "--time-limit", "10", "--profile", str(profile)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.endswith("the primary constraints cannot be met: the places block (approved "
                        "places, classrooms × class cap or teachers × the staffing norm; the "
                        "least-travel zoning without them): 东街小学 would need 420 places, it "
                        "has 417\n")
    assert main([*args, "--no-capacity"]) == 0
    assert "saved as scenario o (2 edit(s))" in capsys.readouterr().out
    # the rule on (the default), no zoning meets the request
    assert main([*args[:-2], "--no-capacity", "--name", "o2"]) == 2
    assert "seats suffice in number within reach, but not in whole classes and connected " \
           "catchments" in capsys.readouterr().err
    assert main([*args, "--no-capacity"]) == 2  # the name is taken now: refused before solving
    assert "a scenario named 'o' exists already: choose another name" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--schools", "4101000004"], "--schools: school 4101000004 has no primary section to "
                                  "close"),
    (["--schools", "NOPE"], "--schools: unknown school 'NOPE'"),
    (["--min-pupils", "0"], "--min-pupils: expected a number ≥ 1, got 0"),
    (["--boarding-from-grade", "10"], "--boarding-from-grade: expected a grade from 1 to 9, "
                                      "got 10"),
])
def test_bad_consolidate_requests_are_refused_plainly(county, extra, message, capsys):
    before = county.read_bytes()
    assert main(["consolidate", str(county), "--section", "primary", "--name", "x",
                 *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert county.read_bytes() == before


def test_objective_cv_holds_the_largest_cv_no_higher_than_least_travel(county, tmp_path):
    ws = tmp_path / "c.gpkg"
    shutil.copy(county, ws)
    for name, objective in (("t", "travel"), ("c", "cv")):
        assert main(["optimize", str(ws), "--section", "junior", "--name", name,
                     "--objective", objective, "--time-limit", "10"]) == 0
    top = {name: max(_evaluate(ws, name, y, tmp_path)["sections"]["junior"]["cv"].values())
           for name in ("t", "c") for y in (2029,)}
    assert top["c"] <= top["t"] + 1e-9


def _with_rules(inst: op.Instance, seed: int) -> op.Instance:
    """The instance with a rule of admission forbidding about a third of the pairs.

    Today's school stays allowed, as planner/admission.py keeps it (except a private one).
    """
    rng = np.random.default_rng(1000 + seed)
    admitted = rng.random(inst.dist.shape) > 0.33
    today = inst.zoned >= 0
    admitted[np.flatnonzero(today), inst.zoned[today]] = True
    return op.with_candidates(replace(inst, admitted=admitted),
                              op.Options(section="primary", candidates=10,
                                         max_distance_m=inst.max_distance_m))


@pytest.mark.parametrize("seed", range(0, 36, 3))
def test_the_optimiser_finds_the_brute_force_optimum_with_the_rules_of_admission(seed):
    inst = _with_rules(random_instance(seed), seed)
    best = brute_force(inst)
    res = op.solve_or_none(inst, time_limit_s=20)
    if best is None:
        assert res is None
        return
    assert res is not None and res.status == "optimal"
    assert res.objective == best[0] == inst.objective(res.assign)
    assert all(inst.admitted[u, s] for u, s in enumerate(res.assign))
    assert op.violations(inst, res.assign) == []


def test_least_disruption_moves_nobody_without_a_gain_and_says_so():
    # A line of four units, schools in U0 (S0) and U3 (S1), every cap and room ample; today
    # U0, U1, U2 at S0 and U3 at S1. Least travel moves U2 to S1 (1,075 m instead of
    # 2,064 m), which narrows no gap of the inspection: the move is undone.
    from planner.optimize.disruption import gain_lines, least_disruption

    inst = grid_instance(1, 4, [0, 3], [[10], [10], [10], [10]], [100, 100], [9, 9],
                         zoned=[0, 0, 0, 1])
    travel = op.solve(inst, time_limit_s=5)
    assert travel.assign.tolist() == [0, 0, 1, 1]
    assign, d = least_disruption(inst, travel.assign)
    assert assign.tolist() == [0, 0, 0, 1] and not d.gains and d.reasons == {}
    assert gain_lines(inst, d, assign) == [
        "  re-zoning cannot improve the inspection here: no primary gap (size caps, classes "
        "over the cap, sections meeting R1–R7, CVs over their limit) narrows in any year "
        "checked, so no pupil is moved for travel alone"]
    assert gain_lines(inst, d, assign, "zh")[0].startswith(
        "  调整划片无法改进督导评估：所检查的各年中，小学没有一项差距")


def test_least_disruption_keeps_the_moves_a_size_cap_needs_and_names_them():
    # As above, but S0's size cap is 25 and it has 30 today (U0, U1, U2): moving U2 (10
    # pupils) to S1 brings it within its cap (schools over it: 1 → 0). The move stays, tied
    # to G4.
    from planner.optimize.disruption import gain_lines, least_disruption

    inst = grid_instance(1, 4, [0, 3], [[10], [10], [10], [10]], [25, 100], [9, 9],
                         zoned=[0, 0, 0, 1])
    inst = replace(inst, size_limit=np.maximum(inst.size_cap, [[30], [20]]))
    travel = op.solve(inst, time_limit_s=5)
    assign, d = least_disruption(inst, travel.assign)
    assert assign.tolist() == [0, 0, 1, 1] and d.gains
    assert d.before[0, 0] == 1 and d.after[0, 0] == 0
    assert d.reasons == {2: ("needed", [(2027, "over_size_cap")])}
    assert gain_lines(inst, d, assign) == [
        "  least disruption: the moves no gap needs undone; what the rest gain:",
        "  2027: schools over the size cap (G4) 1 → 0",
        "    U2 → S1: needed for: 2027 schools over the size cap (G4)"]
    assert gain_lines(inst, d, assign, "zh")[1:] == [
        "  2027 年：规模超标的学校（G4） 1 → 0", "    U2 → S1：所需：2027 年 规模超标的学校（G4）"]


def test_the_default_zoning_of_the_demo_keeps_the_rules_and_every_gain_it_claims(demo_gpkg,
                                                                                 tmp_path):
    # issue 28, done when: both sections, default options, re-evaluated from the saved
    # scenario: no unit zoned to a private school, no pathway newly broken, no distance over
    # its cap, no new township crossing; every gap it claims narrower is, in its year
    from planner import admission
    from planner import session as ss
    from planner.checklist import class_over_cap, size_over_cap
    from planner.optimize.disruption import MEASURES, narrower
    from planner.schema import SECTIONS

    ws = tmp_path / "d.gpkg"
    shutil.copy(demo_gpkg, ws)
    s = ss.open_session(ws)
    for sec in SECTIONS:
        s, proposed = ss.optimise(s, op.Options(section=sec, time_limit_s=60), sec,
                                  base="baseline")
        k = SECTIONS.index(sec)
        last = int(proposed.years[-1])  # the moves are dated: in effect from the first year
        before, after = (ss.plan_at_year(s, n, last) for n in ("baseline", sec))
        assert all(after.schools["public"][z] for z in after.zone[k])
        assert set(admission.broken_pathways(after)) <= set(admission.broken_pathways(before))
        assert admission.breaches(before, after, sec) == []
        d = proposed.result.disruption
        claims = list(zip(*np.nonzero(narrower(d.after, d.before)), strict=True))
        if sec == "primary":  # the private school's ten units go to public schools
            assert len(claims) >= 5
            assert sum(r == ("rule",) for r in d.reasons.values()) == 10
        else:  # no junior gap narrows: nobody moves, and the command says why
            assert not claims and op.summary(proposed.result)["pupils_changing_school"] == 0
            assert "re-zoning cannot improve the inspection here" in op.report_lines(
                proposed.result)[3]
        for t, m in claims:
            year, measure = int(proposed.years[t]), MEASURES[m]
            (b, eb), (a, ea) = (ss.evaluate_scenario(s, n, year=year)
                                for n in ("baseline", sec))
            if measure == "over_size_cap":
                n_b, n_a = (int((size_over_cap(p.schools, p.standards)[2]
                                 & p.teaches(sec)).sum()) for p in (b, a))
                assert n_a <= n_b - 1
            elif measure == "short_of_rooms":
                n_b, n_a = (int(class_over_cap(p.schools, sec, p.standards)[2].sum())
                            for p in (b, a))
                assert n_a <= n_b - 1
            elif measure == "failing_r1_r7":
                n_b, n_a = (int((~e.indicators.loc[e.indicators["section"] == sec,
                                                   "compliant"].astype(bool)).sum())
                            for e in (eb, ea))
                assert n_a <= n_b - 1
            else:
                cv_b, cv_a = (e.cvs[e.cvs["section"] == sec].set_index("id")["cv"]
                              [measure[3:]] for e in (eb, ea))
                assert cv_a <= cv_b - 0.001 + 1e-9
