"""Layout checks for G1 (SPEC §4): tiling, units and catchments, service radii, nearest schools.

- Catchments of a section should tile the county: overlaps and gaps are reported with their
  areas (pieces under `TOLERANCE_M2` are drawing noise and ignored).
- Every unit should lie in exactly one catchment per section.
- Students beyond their school's service radius by road (radii from the standards profile).
- Units whose nearest school of a section is not their zoned one, and the distance it would save.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from planner.schema import KIND_SECTIONS, SECTIONS
from planner.standards import Standards
from planner.travel import Distances
from planner.workspace import Workspace

TOLERANCE_M2 = 100.0
GRADES = {"primary": range(1, 7), "junior": range(7, 10)}


@dataclass(frozen=True)
class Layout:
    """What the layout checks found.

    Attributes
    ----------
    tiling
        Overlaps and gaps: section, kind ("overlap" / "gap"), school_ids, area_m2.
    unit_problems
        Units in no or in several catchments: unit_id, name, section, catchments, school_ids.
    beyond_radius
        Per school and section: students, beyond (further than the radius), radius_m.
    summary
        Per section: students, beyond, share_beyond, units_not_nearest, students_not_nearest.
    unit_distances
        Per unit and section: zoned school and its distance, nearest school and its distance,
        children of the section, distance saved by going to the nearest (built when asked).
    """

    tiling: pd.DataFrame
    unit_problems: pd.DataFrame
    beyond_radius: pd.DataFrame
    summary: pd.DataFrame
    _ud: list = field(repr=False, compare=False)

    @functools.cached_property
    def unit_distances(self) -> pd.DataFrame:
        """Per unit and section: distances to the zoned and the nearest school."""
        ud = pd.concat([pd.DataFrame(part) for part in self._ud], ignore_index=True)
        ud["saved_m"] = (ud["zoned_distance_m"] - ud["nearest_distance_m"]).clip(lower=0)
        ud["not_nearest"] = (ud["zoned_school_id"].to_numpy()
                             != ud["nearest_school_id"].to_numpy())
        return ud


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
    return pd.DataFrame(rows, columns=["section", "kind", "school_ids", "area_m2"])


def unit_problems(ws: Workspace, holdings: pd.DataFrame) -> pd.DataFrame:
    """Return units that lie in no catchment, or in several, of a section."""
    ids = ws.units["unit_id"]
    index = pd.Index(ids)
    names = ws.units["name"].to_numpy()
    rows = []
    for sec in SECTIONS:
        h = holdings[holdings["section"] == sec]
        pos = index.get_indexer(h["unit_id"])
        n = np.bincount(pos[pos >= 0], minlength=len(ids))
        for i in np.flatnonzero(n != 1):
            held = sorted(h.loc[pos == i, "school_id"])
            rows.append({"unit_id": ids.iloc[i], "name": names[i], "section": sec,
                         "catchments": int(n[i]), "school_ids": ",".join(held)})
    return pd.DataFrame(rows, columns=["unit_id", "name", "section", "catchments",
                                       "school_ids"])


def _sum_by_school(school_ids: np.ndarray, sidx: np.ndarray, junior: np.ndarray,
                   students: np.ndarray, beyond: np.ndarray) -> pd.DataFrame:
    from planner.enrolment import _per_school_section

    return _per_school_section(school_ids, sidx, junior, sidx >= 0,
                               {"students": students, "beyond": beyond})


def section_schools(schools: pd.DataFrame, section: str) -> np.ndarray:
    """Return a boolean mask of the schools that teach `section` (special schools excluded)."""
    return np.array([section in KIND_SECTIONS[k] and k != "special" for k in schools["kind"]])


def layout_checks(ws: Workspace, holdings: pd.DataFrame, zoning: pd.DataFrame,
                  dist: Distances, standards: Standards, *, catchments_from_units: bool = False
                  ) -> Layout:
    """Run the G1 checks on a workspace with units, catchments and enrolment.

    With `catchments_from_units` (a plan, whose catchments are its units dissolved) the
    polygons tile by construction and the geometric tiling check is skipped.
    """
    m = dist.matrix
    col_of = pd.Index(dist.school_ids)
    unit_ids = ws.units["unit_id"].to_numpy(dtype=object)
    row_of = pd.Index(dist.unit_ids).get_indexer(unit_ids)
    grades = ws.units[[f"g{g}" for g in range(1, 10)]].to_numpy()
    school_ids = ws.schools["school_id"].to_numpy(dtype=object)
    parts, not_near = [], {}
    for sec in SECTIONS:
        ids = school_ids[section_schools(ws.schools, sec)]
        cols = col_of.get_indexer(ids)
        ids, cols = ids[cols >= 0], cols[cols >= 0]
        sub = m[row_of][:, cols]
        best = np.argmin(sub, axis=1)
        near_d = sub[np.arange(len(sub)), best]
        nearest = np.where(np.isfinite(near_d), ids[best], None)
        zoned = zoning[sec].reindex(unit_ids).to_numpy(dtype=object)
        zcol = col_of.get_indexer(zoned)
        zoned_d = np.where(zcol >= 0, m[row_of, np.maximum(zcol, 0)], np.nan)
        lo, hi = (0, 6) if sec == "primary" else (6, 9)
        children = grades[:, lo:hi].sum(axis=1)
        differs = zoned != nearest
        not_near[sec] = (int(differs.sum()), int(children[differs].sum()))
        parts.append({"unit_id": unit_ids, "section": sec, "zoned_school_id": zoned,
                      "zoned_distance_m": zoned_d, "nearest_school_id": nearest,
                      "nearest_distance_m": near_d, "children": children})

    e = ws.enrolment
    junior = e["grade"].to_numpy() >= standards.junior_from_grade
    sidx = pd.Index(school_ids).get_indexer(e["school_id"].to_numpy(dtype=object))
    dcol = col_of.get_indexer(e["school_id"].to_numpy(dtype=object))
    drow = pd.Index(dist.unit_ids).get_indexer(e["unit_id"].to_numpy(dtype=object))
    distance = m[drow, dcol]
    area = ws.schools["area_type"].to_numpy(dtype=object)
    radius_of = {sec: np.array([standards.section(sec).radius_m(a) for a in area])
                 for sec in SECTIONS}
    radius = np.where(junior, radius_of["junior"][sidx], radius_of["primary"][sidx])
    n = e["students"].to_numpy(dtype=float)
    beyond = np.where(distance > radius, n, 0.0)
    by_school = _sum_by_school(school_ids, sidx, junior, n, beyond)
    pos = pd.Index(school_ids).get_indexer(by_school["school_id"])
    by_school["radius_m"] = np.where(by_school["section"] == "junior",
                                     radius_of["junior"][pos], radius_of["primary"][pos])
    by_school.insert(1, "name", ws.schools["name"].to_numpy(dtype=object)[pos])
    summary = []
    for sec in SECTIONS:
        is_sec = junior if sec == "junior" else ~junior
        total, b = int(n[is_sec].sum()), int(beyond[is_sec].sum())
        summary.append({"section": sec, "students": total, "beyond": b,
                        "share_beyond": b / total if total else float("nan"),
                        "units_not_nearest": not_near[sec][0],
                        "students_not_nearest": not_near[sec][1]})
    tiles = (pd.DataFrame(columns=["section", "kind", "school_ids", "area_m2"])
             if catchments_from_units else tiling(ws))
    return Layout(tiling=tiles, unit_problems=unit_problems(ws, holdings),
                  beyond_radius=by_school, summary=pd.DataFrame(summary), _ud=parts)
