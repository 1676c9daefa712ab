"""An exact descent on the CVs: units moved one or two at a time, every constraint checked.

The least-CV search (model.least_cv) works on linearisations of the CVs, which lose
precision just where it matters: near the limits, where one CV is lowered against another
held at its bound. From its zoning, this descent lowers the CVs of the last year that are
over their limit using the exact CVs: each step tries every move of one unit to another of
its candidate schools, then (when none lowers them) every move of two units (one unit into a
school and one of that school's units on to another: a chain; or a unit and its neighbour
together: a block), then (when none does either) trades of two one-unit moves anywhere:
one that lowers them but lets a CV within the limit cross it, with one that lowers that CV
again; the moves ranked by the CVs they give, the best that keeps every constraint
(check.violations, the same rules as every plan's) taken. A move's CVs are
ranked from the three sums a CV is a function of (indicators.cv_of_sums), changed by the
parts of the schools it affects alone (bench/bench_descent.py measures it against the
formula); the move taken is judged by the CV formula itself. No CV within its limit is
let over it. It stops when every CV is within its limit, no move lowers them, or time is up.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from planner.indicators import cv_of_sums
from planner.optimize.instance import Instance
from planner.optimize.model import stopped

BELOW = 0.02  # an over-limit CV is pulled toward this far under its limit
CHECKED = 3000  # the best-ranked moves checked (CVs exactly, then every constraint) in a step
CHUNK = 50000  # moves whose CVs are computed at once


def descend(inst: Instance, start: np.ndarray, *, seconds: float, limit: float
            ) -> np.ndarray:
    """`start` with the last year's CVs over `limit` lowered, exactly.

    Returns a zoning that breaks nothing `start` keeps and whose CVs within `limit` stay
    within it; the sum of the squared distances of the others to `limit` − BELOW is lower
    (or `start`). It stops as soon as every CV is within `limit`. A `start` may break CV
    bounds (a linearised search's zoning that overshot them): those CVs rise no further,
    and those of the last year over `limit` are among the ones lowered, so the zoning
    returned may keep them all. Once it keeps them all, the descent goes on from there as
    from any start, with what time is left: the repair pulled those CVs under the limit
    with the others, and the others go on down while those rise back to it.
    """
    from planner.optimize.model import admissible, zoning_cvs

    t0 = time.perf_counter()
    if admissible(inst, start):
        return _descend(inst, start, seconds=seconds, limit=limit)
    # a CV bound broken: held where it is, lowered if over
    now, bound = zoning_cvs(inst, start), inst.cv_bound()
    relaxed = replace(inst, ind=replace(inst.ind, cv_limit=np.where(now > bound, now, bound)),
                      cv_target=None)
    repaired = _descend(relaxed, start, seconds=seconds, limit=limit)
    left = seconds - (time.perf_counter() - t0)
    if left <= 0 or not admissible(inst, repaired):
        return repaired
    return _descend(inst, repaired, seconds=left, limit=limit)


def _descend(inst: Instance, start: np.ndarray, *, seconds: float, limit: float
             ) -> np.ndarray:
    """The descent from `start`, which keeps every CV bound of `inst` (see descend)."""
    t = inst.last()
    t0 = time.perf_counter()
    cur = start.copy()
    demand = inst.demand.sum(axis=2)  # (U, T)
    pupils = inst.loads(cur).sum(axis=2)  # (S, T)
    cvs = inst.ind.year_cvs(pupils[None, :, t], t)[0]
    over = cvs > limit + 1e-12
    within = ~over
    while time.perf_counter() - t0 < seconds and (cvs > limit + 1e-12).any() and not stopped():
        for moves in (_singles, _pairs, _trades):
            found = _best(inst, cur, pupils, demand,
                          moves(inst, cur, pupils, demand, cvs, over, within, limit,
                                t0 + seconds),
                          over, within, limit, cvs, t0, seconds)
            if found is not None:
                cur, pupils, cvs = found
                break
        else:
            break
    return cur


def _score(cvs: np.ndarray, over: np.ndarray, limit: float) -> np.ndarray:
    return (np.where(over, np.maximum(cvs - (limit - BELOW), 0.0), 0.0) ** 2).sum(axis=-1)


def _best(inst, cur, pupils, demand, moves, over, within, limit, cvs, t0, seconds):
    """The best-ranked move that lowers the score and breaks nothing, applied; or None."""
    if not len(moves[0]) or time.perf_counter() - t0 >= seconds:
        return None
    t = inst.last()
    units, schools, rows, new = _fitting(inst, cur, pupils, demand, *moves)
    if not len(units):
        return None
    now = _score(cvs, over, limit)
    gains = []
    for i in range(0, len(units), CHUNK):
        c = move_cvs(inst, pupils, rows[i:i + CHUNK], new[i:i + CHUNK])
        keep = ~_crosses(c, within, limit).any(axis=1)
        gains.append(np.where(keep, now - _score(c, over, limit), -np.inf))
    gain = np.concatenate(gains)
    for i in np.argsort(-gain)[:CHECKED]:
        if gain[i] <= 1e-12 or time.perf_counter() - t0 >= seconds:
            return None
        moved = pupils.copy()
        moved[rows[i]] = new[i]
        after = inst.ind.year_cvs(moved[None, :, t], t)[0]  # exactly
        if _crosses(after, within, limit).any() or now - _score(after, over, limit) <= 1e-12:
            continue
        trial = cur.copy()
        trial[units[i]] = schools[i]
        if _keeps(inst, trial, units[i], rows[i]):
            return trial, moved, after
    return None


def _fitting(inst, cur, pupils, demand, units, schools) -> tuple:
    """The moves that keep every affected school within its room and floor.

    `units`, `schools`: (M, 2) each (a one-unit move repeats its unit and school). Returns
    those of the moves kept, with their affected schools (M, 4) and their pupils after the
    move (M, 4, T).
    """
    new = _moved(inst, cur, pupils, demand, units, schools)
    rows = _affected(cur, units, schools)
    ok = ((new <= inst.room[rows]) & (new >= inst.floor[rows])).all(axis=(1, 2))
    return units[ok], schools[ok], rows[ok], new[ok]


def _crosses(cvs: np.ndarray, within: np.ndarray, limit: float) -> np.ndarray:
    """(..., K) the CVs within the limit before a move that it lets over the limit."""
    return within & (cvs > limit + 1e-12)


def _keeps(inst: Instance, trial: np.ndarray, units: np.ndarray, rows: np.ndarray) -> bool:
    """Whether a move's zoning keeps every constraint (check.violations).

    `trial` differs from a zoning that keeps them all only by the moved `units`, into and
    out of the schools `rows`: only those catchments can break.
    """
    from planner.optimize.feasible import held, violations

    return all(held(inst, trial, u) for u in units) and not violations(
        inst, trial, set(rows.tolist()))


def move_cvs(inst: Instance, pupils: np.ndarray, rows: np.ndarray, new: np.ndarray
             ) -> np.ndarray:
    """(M, K) the last year's CVs after each of M moves, for ranking them.

    From the zoning's pupils (S, T), each move's affected schools `rows` (M, J) and their
    pupils after it `new` (M, J, T) (a school in two slots has the same count in both and is
    counted once): the sums a CV is a function of, changed by those schools' parts alone
    (indicators.cv_of_sums; equal to the formula up to rounding).
    """
    t = inst.last()
    n, total, squares = (v.sum(axis=1)[0] for v in inst.ind.cv_parts(
        np.arange(len(pupils))[None], pupils[None, :, t], t))
    once = np.ones(rows.shape, bool)
    for j in range(1, rows.shape[1]):
        once[:, j] = (rows[:, :j] != rows[:, j:j + 1]).all(axis=1)
    before = inst.ind.cv_parts(rows, pupils[rows, t], t)
    after = inst.ind.cv_parts(rows, new[:, :, t], t)
    dn, dt, ds = (((b - a) * (once if b.ndim == 2 else once[..., None])).sum(axis=1)
                  for a, b in zip(before, after, strict=True))
    return cv_of_sums(n + dn, total + dt, squares + ds)


def _moved(inst, cur, pupils, demand, units, schools) -> np.ndarray:
    """(M, 4, T) the pupils of each move's four affected schools after it."""
    rows = _affected(cur, units, schools)
    new = pupils[rows].astype(np.int64)  # (M, 4, T)
    first = units[:, 0] != units[:, 1]  # two units (else the move is counted once)
    for j, w in ((0, np.ones(len(units), bool)), (1, first)):
        u, s = units[:, j], schools[:, j]
        d = demand[u] * w[:, None]
        # out of its school, into the new one, in every slot that holds the school
        new -= (rows == cur[u][:, None])[:, :, None] * d[:, None, :]
        new += (rows == s[:, None])[:, :, None] * d[:, None, :]
    return new  # a school in two slots: the same count in both


def _affected(cur, units, schools) -> np.ndarray:
    """(M, 4) the schools a move changes: each unit's school and where it goes."""
    return np.stack([cur[units[:, 0]], schools[:, 0], cur[units[:, 1]], schools[:, 1]],
                    axis=1)


def _singles(inst: Instance, cur: np.ndarray, *_) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(u, s) for u, cand in enumerate(inst.candidates) for s in cand if s != cur[u]]
    a = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return np.repeat(a[:, :1], 2, axis=1), np.repeat(a[:, 1:], 2, axis=1)


def _pairs(inst: Instance, cur: np.ndarray, *_) -> tuple[np.ndarray, np.ndarray]:
    """Two-unit moves: chains and blocks.

    A chain moves u into s and one of s's units v on to another school; a block moves u
    and a neighbour v in its school into s together.
    """
    members: dict[int, list[int]] = {}
    for v, s in enumerate(cur):
        members.setdefault(int(s), []).append(v)
    out = []
    for u, cand in enumerate(inst.candidates):
        for s in cand:
            if s == cur[u]:
                continue
            out += [(u, v, s, s3) for v in members.get(s, ()) for s3 in inst.candidates[v]
                    if s3 != s]
            out += [(u, v, s, s) for v in inst.neighbours[u]
                    if cur[v] == cur[u] and s in inst.candidates[v]]
    a = np.array(out, dtype=np.int64).reshape(-1, 4)
    return a[:, :2], a[:, 2:]


TRADED = 150  # one-unit moves of each kind paired in a trade


def _trades(inst: Instance, cur: np.ndarray, pupils, demand, cvs, over, within, limit,
            deadline: float) -> tuple[np.ndarray, np.ndarray]:
    """Trades: two one-unit moves anywhere in the section that lower the CVs together.

    One lowers the CVs over the limit but lets a CV within it cross it; the other lowers
    that CV again. Where a CV held at its limit blocks every move alone (a local optimum of
    the moves above), two moves far apart can trade: the best `TRADED` of the first kind
    (ranked by the gain with the CVs within the limit left free) by the best of the second
    (ranked by how far they lower the CVs within the limit that the first kind pushes
    over), each one that keeps every constraint but the CV bounds on its own (those found
    by `deadline`, a time.perf_counter() value); the pair is then checked whole, as every
    move is.
    """
    none = np.zeros((0, 2), dtype=np.int64)
    units, schools, rows, new = _fitting(inst, cur, pupils, demand, *_singles(inst, cur))
    if not len(units):
        return none, none
    c = move_cvs(inst, pupils, rows, new)
    gain = _score(cvs, over, limit) - _score(c, over, limit)
    blocked = _crosses(c, within, limit)
    # each move alone breaks a CV bound, by its kind, so it is checked with them lifted
    free = replace(inst, ind=inst.ind.without_cv_limits(), cv_target=None)

    def kept(order: np.ndarray) -> np.ndarray:  # the first TRADED that break nothing else
        out = []
        for i in order:
            if len(out) == TRADED or time.perf_counter() >= deadline:
                break
            trial = cur.copy()
            trial[units[i, 0]] = schools[i, 0]
            if _keeps(free, trial, units[i, :1], rows[i]):
                out.append(i)
        return np.array(out, dtype=np.int64)

    first = np.flatnonzero((gain > 1e-12) & blocked.any(axis=1))
    first = kept(first[np.argsort(-gain[first])])
    if not len(first):
        return none, none
    blocking = blocked[first].any(axis=0)  # the CVs the best of them push over the limit
    relief = np.where(blocking, c - cvs, 0.0).sum(axis=1)
    second = np.flatnonzero((relief < -1e-12) & ~blocked.any(axis=1))
    second = kept(second[np.argsort(relief[second])])
    a, b = np.repeat(first, len(second)), np.tile(second, len(first))
    keep = units[a, 0] != units[b, 0]
    a, b = a[keep], b[keep]
    return (np.stack([units[a, 0], units[b, 0]], axis=1),
            np.stack([schools[a, 0], schools[b, 0]], axis=1))
