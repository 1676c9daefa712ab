"""Layout checks for G1 (SPEC §4): tiling, units and catchments, service radii, nearest schools.

- Catchments of a section should tile the county: overlaps and gaps are reported with their
  areas (pieces under `TOLERANCE_M2` are drawing noise and ignored).
- Every unit should lie in exactly one catchment per section.
- Students beyond their school's service radius by road (radii from the standards profile).
- Units whose nearest school of a section is not their zoned one, and the distance it would save.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    unit_distances
        Per unit and section: zoned school and its distance, nearest school and its distance,
        children of the section, distance saved by going to the nearest.
    beyond_radius
        Per school and section: students, beyond (further than the radius), radius_m.
    summary
        Per section: students, beyond, share_beyond, units_not_nearest, students_not_nearest.
    """

    tiling: pd.DataFrame
    unit_problems: pd.DataFrame
    unit_distances: pd.DataFrame
    beyond_radius: pd.DataFrame
    summary: pd.DataFrame


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
    rows = []
    names = dict(zip(ws.units["unit_id"], ws.units["name"], strict=True))
    for sec in SECTIONS:
        h = holdings[holdings["section"] == sec].groupby("unit_id")["school_id"].agg(list)
        for uid in ws.units["unit_id"]:
            held = h.get(uid, [])
            if len(held) != 1:
                rows.append({"unit_id": uid, "name": names[uid], "section": sec,
                             "catchments": len(held), "school_ids": ",".join(sorted(held))})
    return pd.DataFrame(rows, columns=["unit_id", "name", "section", "catchments",
                                       "school_ids"])


def section_schools(schools: pd.DataFrame, section: str) -> np.ndarray:
    """Return a boolean mask of the schools that teach `section` (special schools excluded)."""
    return np.array([section in KIND_SECTIONS[k] and k != "special" for k in schools["kind"]])


def layout_checks(ws: Workspace, holdings: pd.DataFrame, zoning: pd.DataFrame,
                  dist: Distances, standards: Standards) -> Layout:
    """Run the G1 checks on a workspace with units, catchments and enrolment."""
    d = dist.frame()
    s = ws.schools.set_index("school_id")
    units = ws.units.set_index("unit_id")
    rows = []
    for sec in SECTIONS:
        mask = section_schools(ws.schools, sec)
        ids = ws.schools["school_id"].to_numpy()[mask]
        sub = d[ids]
        nearest = sub.idxmin(axis=1)
        near_d = sub.min(axis=1)
        zoned = zoning[sec]
        zoned_d = pd.Series([d.at[u, z] if isinstance(z, str) and z in d.columns else np.nan
                             for u, z in zoned.items()], index=zoned.index)
        children = units[[f"g{g}" for g in GRADES[sec]]].sum(axis=1)
        rows.append(pd.DataFrame({
            "unit_id": zoned.index, "section": sec, "zoned_school_id": zoned.to_numpy(),
            "zoned_distance_m": zoned_d.to_numpy(), "nearest_school_id": nearest.to_numpy(),
            "nearest_distance_m": near_d.to_numpy(),
            "children": children.reindex(zoned.index).to_numpy(),
        }))
    ud = pd.concat(rows, ignore_index=True)
    ud["saved_m"] = (ud["zoned_distance_m"] - ud["nearest_distance_m"]).clip(lower=0)
    ud["not_nearest"] = ud["zoned_school_id"] != ud["nearest_school_id"]

    e = ws.enrolment.copy()
    e["section"] = np.where(e["grade"] >= standards.junior_from_grade, "junior", "primary")
    e["distance_m"] = d.to_numpy()[d.index.get_indexer(e["unit_id"]),
                                   d.columns.get_indexer(e["school_id"])]
    area = s["area_type"].reindex(e["school_id"]).to_numpy()
    e["radius_m"] = [standards.section(sec).radius_m(a) for sec, a in zip(e["section"], area,
                                                                           strict=True)]
    e["beyond"] = e["students"].where(e["distance_m"] > e["radius_m"], 0)
    by_school = e.groupby(["school_id", "section"], as_index=False).agg(
        students=("students", "sum"), beyond=("beyond", "sum"), radius_m=("radius_m", "first"))
    by_school.insert(1, "name", s["name"].reindex(by_school["school_id"]).to_numpy())
    summary = []
    for sec in SECTIONS:
        part, u = e[e["section"] == sec], ud[ud["section"] == sec]
        n, b = int(part["students"].sum()), int(part["beyond"].sum())
        summary.append({"section": sec, "students": n, "beyond": b,
                        "share_beyond": b / n if n else float("nan"),
                        "units_not_nearest": int(u["not_nearest"].sum()),
                        "students_not_nearest": int(u.loc[u["not_nearest"], "children"].sum())})
    return Layout(tiling=tiling(ws), unit_problems=unit_problems(ws, holdings),
                  unit_distances=ud, beyond_radius=by_school, summary=pd.DataFrame(summary))
