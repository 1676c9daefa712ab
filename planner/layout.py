"""Layout checks for G1 (SPEC §4): tiling, units and catchments, service radii, nearest schools.

- Catchments of a section should tile the county: overlaps and gaps are reported with their
  areas (pieces under `TOLERANCE_M2` are drawing noise and ignored). A plan's catchments are
  its units dissolved, which tile by construction; the polygon check applies to catchment
  polygons read from a workspace.
- Every unit should lie in exactly one catchment per section.
- Pupils beyond their school's service radius by road (radii from the standards profile).
- Units whose nearest school of a section is not their zoned one, and the distance it would
  save.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from planner.schema import SECTIONS
from planner.workspace import Workspace

TOLERANCE_M2 = 100.0
TILING_COLUMNS = ["section", "kind", "school_ids", "area_m2"]
PROBLEM_COLUMNS = ["unit_id", "name", "section", "catchments", "school_ids"]


def tiling(ws: Workspace) -> pd.DataFrame:
    """Return the overlaps between catchments of a section and the gaps they leave, in m²."""
    crs = ws.meta.crs
    county = ws.units.to_crs(crs).union_all()
    rows = []
    for sec in SECTIONS:
        c = ws.catchments[ws.catchments["section"] == sec].to_crs(crs).reset_index(drop=True)
        geoms = c.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i >= j:
                continue
            area = shapely.intersection(geoms[i], geoms[j]).area
            if area > TOLERANCE_M2:
                rows.append({"section": sec, "kind": "overlap",
                             "school_ids": f"{c['school_id'][i]},{c['school_id'][j]}",
                             "area_m2": round(area, 1)})
        gaps = shapely.difference(county, shapely.union_all(geoms)) if len(geoms) else county
        for g in getattr(gaps, "geoms", [gaps]):
            if g.area > TOLERANCE_M2:
                rows.append({"section": sec, "kind": "gap", "school_ids": "",
                             "area_m2": round(g.area, 1)})
    return pd.DataFrame(rows, columns=TILING_COLUMNS)


def service_radii(plan) -> np.ndarray:
    """(S, 2) each school's service radius for primary and junior pupils, metres."""
    std, area = plan.standards, np.asarray(plan.schools["area_type"], dtype=object)
    kinds = ("urban", "town", "rural")
    return np.stack([np.select([area == a for a in kinds],
                               [std.section(sec).radius_m(a) for a in kinds], np.nan)
                     for sec in SECTIONS], axis=1).reshape(len(area), 2)


def nearest_schools(plan) -> tuple[np.ndarray, np.ndarray]:
    """Return each unit's nearest school of each section by the plan's distances.

    Returns
    -------
    (2, U) school indices and (2, U) distances (−1 and inf where none is reachable).
    """
    n_u = len(plan.units)
    idx = np.full((2, n_u), -1, dtype=np.int64)
    dist = np.full((2, n_u), np.inf)
    m = plan.distances.matrix if plan.distances is not None else None
    if m is None or not n_u:
        return idx, dist
    key = ("nearest", plan.teaches("primary").tobytes(), plan.teaches("junior").tobytes())
    if key in plan.distances.memo:
        return plan.distances.memo[key]
    for k, sec in enumerate(SECTIONS):
        cols = np.flatnonzero(plan.teaches(sec))
        if not len(cols):
            continue
        sub = np.where(np.isnan(m[:, cols]), np.inf, m[:, cols])
        best = np.argmin(sub, axis=1)
        d = sub[np.arange(n_u), best]
        idx[k] = np.where(np.isfinite(d), cols[best], -1)
        dist[k] = d
    plan.distances.memo[key] = (idx, dist)
    return idx, dist


@dataclass(frozen=True, eq=False)
class Layout:
    """What the layout checks found (numbers now, tables when asked for).

    Attributes
    ----------
    sections
        Per section: students, beyond, share_beyond, units_not_nearest, students_not_nearest.
    bad_units
        How many units are in no catchment or in several of a section.
    """

    sections: list[dict]
    bad_units: int
    _plan: object
    _row_distance: np.ndarray
    _beyond: np.ndarray

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """Per section: students, beyond, share_beyond, units_not_nearest and more."""
        return pd.DataFrame(self.sections)

    @functools.cached_property
    def tiling(self) -> pd.DataFrame:
        """Overlaps and gaps of the catchment polygons (none for a plan's own catchments)."""
        p = self._plan
        return (p.polygons.tiling.copy() if p.polygons is not None
                else pd.DataFrame(columns=TILING_COLUMNS))

    @functools.cached_property
    def unit_problems(self) -> pd.DataFrame:
        """Units in no or in several catchments (unit_id, name, section, catchments, ids)."""
        return _unit_problems(self._plan)

    @functools.cached_property
    def beyond_radius(self) -> pd.DataFrame:
        """Per school and section: school_id, name, section, students, beyond, radius_m."""
        p = self._plan
        r = p.rows
        junior = p.standards.is_junior(r.grade).astype(np.int64)
        key = r.es * 2 + junior
        size = 2 * len(p.school_ids)
        students = np.bincount(key, weights=r.n, minlength=size)
        beyond = np.bincount(key, weights=self._beyond, minlength=size)
        seen = np.flatnonzero(np.bincount(key, minlength=size) > 0)
        radius = service_radii(p)
        out = pd.DataFrame({"school_id": p.school_ids[seen // 2],
                            "name": p.schools["name"][seen // 2],
                            "section": np.where(seen % 2 == 1, "junior", "primary"),
                            "students": students[seen].astype(np.int64),
                            "beyond": beyond[seen].astype(np.int64),
                            "radius_m": radius[seen // 2, seen % 2]})
        return out.sort_values(["school_id", "section"], kind="stable").reset_index(drop=True)

    @functools.cached_property
    def unit_distances(self) -> pd.DataFrame:
        """Per unit and section: zoned and nearest school with their distances.

        Also the children of the section, the distance saved by going to the nearest and
        whether the zoned school is not the nearest.
        """
        p = self._plan
        ids = p.school_ids
        idx, near_d = nearest_schools(p)
        m = p.distances.matrix
        parts = []
        for k, sec in enumerate(SECTIONS):
            z = p.zone[k]
            zoned = np.where(z >= 0, ids[np.maximum(z, 0)], None)
            zd = np.where(z >= 0, m[np.arange(len(z)), np.maximum(z, 0)], np.nan)
            nearest = np.where(idx[k] >= 0, ids[np.maximum(idx[k], 0)], None)
            grades = np.array(p.standards.grades(sec)) - 1
            parts.append(pd.DataFrame({
                "unit_id": p.units.ids, "section": sec, "zoned_school_id": zoned,
                "zoned_distance_m": zd, "nearest_school_id": nearest,
                "nearest_distance_m": near_d[k],
                "children": p.units.children[:, grades].sum(axis=1)}))
        ud = pd.concat(parts, ignore_index=True)
        ud["saved_m"] = (ud["zoned_distance_m"] - ud["nearest_distance_m"]).clip(lower=0)
        ud["not_nearest"] = (ud["zoned_school_id"].to_numpy()
                             != ud["nearest_school_id"].to_numpy())
        return ud


def _unit_problems(plan) -> pd.DataFrame:
    rows = []
    for k, sec in enumerate(SECTIONS):
        for i in np.flatnonzero(plan.zone[k] < 0):
            rows.append({"unit_id": plan.units.ids[i], "name": plan.units.names[i],
                         "section": sec, "catchments": 0, "school_ids": ""})
    out = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    if plan.polygons is not None and len(plan.polygons.several):
        out = pd.concat([out, plan.polygons.several], ignore_index=True)
    order = {sec: k for k, sec in enumerate(SECTIONS)}
    out = out.assign(_s=out["section"].map(order)).sort_values(["_s", "unit_id"],
                                                               kind="stable")
    return out.drop(columns="_s").reset_index(drop=True)


def layout_checks(plan) -> Layout:
    """Run the G1 checks on a plan with zoning and distances."""
    std, r = plan.standards, plan.rows
    m = plan.distances.matrix
    junior = std.is_junior(r.grade).astype(np.int64)
    distance = m[r.eu, r.es] if len(r) else np.zeros(0)
    radius = service_radii(plan)
    beyond = np.where(distance > radius[r.es, junior], r.n, 0) if len(r) else np.zeros(0)
    idx, _ = nearest_schools(plan)
    sections = []
    for k, sec in enumerate(SECTIONS):
        is_sec = junior == k
        total, b = int(r.n[is_sec].sum()), int(beyond[is_sec].sum())
        differs = plan.zone[k] != idx[k]
        grades = np.array(std.grades(sec)) - 1
        children = plan.units.children[:, grades].sum(axis=1)
        sections.append({"section": sec, "students": total, "beyond": b,
                         "share_beyond": b / total if total else float("nan"),
                         "units_not_nearest": int(differs.sum()),
                         "students_not_nearest": int(children[differs].sum())})
    missing = set(plan.units.ids[(plan.zone < 0).any(axis=0)])
    if plan.polygons is not None:
        missing |= set(plan.polygons.several["unit_id"])
    return Layout(sections=sections, bad_units=len(missing), _plan=plan,
                  _row_distance=distance, _beyond=beyond)
