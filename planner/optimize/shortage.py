"""When the constraints cannot be met: where seats are short, and sites for new schools.

An LP that may leave children unserved says where seats are short within reach (the last year
of the phase-in, when every cohort follows the new catchments); a capacitated
facility-location MIP (SCIP) proposes the fewest new schools at units' points that seat them
all. When seats suffice but the indicator constraints block, :func:`blocking_indicators`
names them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from ortools.linear_solver import pywraplp

from planner import travel
from planner.optimize.instance import Instance
from planner.optimize.model import infeasible_units
from planner.plan import Plan
from planner.standards import RESOURCE_IDS
from planner.workspace import WGS84

NEW_SCHOOL_CLASSES = {"primary": 24, "junior": 24}  # a standard new school: 4 / 8 per grade


def last_year(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The last year's movable demand (U, G), fixed pupils (S, G) and room per school (S,)."""
    t = inst.last()
    cap = np.minimum(np.minimum(inst.size_limit[:, t], inst.places[:, t]),
                     inst.class_cap * np.maximum(inst.rooms_limit[:, t], 0))
    return inst.demand[:, t], inst.fixed[:, t], cap.astype(float)


def blocking_indicators(inst: Instance, assign: np.ndarray, names: dict[str, str]
                        ) -> list[str]:
    """Say which indicator limits an assignment breaks.

    For example "R2 of 第三小学 would fall below 1.0 with more than 612 pupils (it would have
    640 in 2028)".
    """
    ind = inst.ind
    if ind is None:
        return []
    pupils = inst.loads(assign).sum(axis=2)
    out = []
    for level, label in ((1.0, ""), (ind.standards.floor_share, " × 85 %")):
        limit = ind.limit(level)
        for s, t, k in zip(*np.nonzero((pupils[:, :, None] > limit) & ind.in_scope[:, :, None]
                                       & (ind.passing[:, :, None] if level == 1.0
                                          else ind.at_floor)), strict=True):
            sid = str(inst.school_ids[s])
            out.append(f"{RESOURCE_IDS[k]} of {names.get(sid, sid)} would fall below "
                       f"{ind.threshold[k]:g}{label} with more than {int(limit[s, t, k]):,} "
                       f"pupils (it would have {int(pupils[s, t]):,} in {inst.years[t]})")
    return sorted(set(out))[:12]


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


def no_school_message(inst: Instance) -> str:
    """Name the units no school can take within the limit with a connected catchment."""
    bad = infeasible_units(inst)
    if not bad:
        return ""
    shown = ", ".join(str(inst.unit_ids[u]) for u in bad[:8])
    return (f"{len(bad)} unit(s) have no {inst.section} school within the limit that they can "
            f"join with a connected catchment: {shown}")


def seat_lp(inst: Instance, sites: np.ndarray | None = None, site_room: int = 0
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Seat the children within reach, fractionally; some may stay unserved.

    With `sites` (U, K: distances from every unit to candidate sites) new schools of
    `site_room` pupils may open there: a capacitated facility-location MIP (SCIP) that serves
    every child it can first, then opens as few sites as it can, then saves travel.

    Returns
    -------
    Unserved children per unit, pupils per school, pupils per opened site and the opened
    sites' indices; None if the solver fails. GLOP solves the plain LP; where it ends
    abnormally (its numerics on some instances), SCIP solves it again.
    """
    for engine in (("GLOP", "SCIP") if sites is None else ("SCIP",)):
        out = _seat_lp(inst, sites, site_room, engine)
        if out is not None:
            return out
    return None


def _seat_lp(inst: Instance, sites: np.ndarray | None, site_room: int, engine: str
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    solver = pywraplp.Solver.CreateSolver(engine)
    n_u, n_s = inst.dist.shape
    demand, fixed, cap = last_year(inst)
    total = demand.sum(axis=1).astype(float)
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
        room = float(cap[s] - fixed[s].sum())
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
    solved = seated if seated is not None else seat_lp(inst)
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
    _, fixed, cap = last_year(inst)
    reach = np.zeros(len(inst.school_ids), dtype=bool)
    for u in short:
        reach |= inst.reach(u)
    full = []
    for s in np.flatnonzero(reach):
        room = int(cap[s])
        pupils = int(round(solved[1][s] + fixed[s].sum())) if solved else 0
        full.append({"school_id": inst.school_ids[s], "name": inst.school_ids[s],
                     "pupils": pupils, "room": room})
    full_df = pd.DataFrame(full, columns=["school_id", "name", "pupils", "room"])
    sites = pd.DataFrame(columns=["unit_id", "name", "lon", "lat", "pupils", "classes"])
    if len(short) and site_distances is not None:
        classes = NEW_SCHOOL_CLASSES[inst.section]
        cand = site_candidates(inst, short)
        res = seat_lp(inst, site_distances(cand), classes * inst.class_cap)
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


def site_candidates(inst: Instance, short: np.ndarray, limit: int = 150) -> np.ndarray:
    """Units where a new school could stand: those short of seats and their neighbours."""
    near = set(short.tolist())
    for u in short:
        near.update(inst.neighbours[u])
    out = np.array(sorted(near), dtype=np.int64)
    if len(out) > limit:  # keep the most populous
        demand = last_year(inst)[0]
        out = np.sort(out[np.argsort(-demand[out].sum(axis=1), kind="stable")[:limit]])
    return out


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


