"""Zoning and nearby zoned enrolment (就近划片入学, G13; SPEC §3).

A unit's zoned school for a section is the catchment of that section covering most of the
unit (for point units: the one containing it). A student is zoned when the school attended is
the zoned school of the unit they live in, for their section. G13 counts students of public,
non-boarding schools in urban and town areas; by default all students count, and a profile
setting restricts the denominator to the entry grades (1 and 7).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.schema import SECTIONS
from planner.standards import Standards
from planner.workspace import Workspace

MIN_SHARE = 0.01  # a catchment covering less of a unit than this does not count as holding it


def unit_catchments(ws: Workspace) -> pd.DataFrame:
    """Return which catchments hold each unit, per section, with the share of the unit covered.

    Returns
    -------
    Rows unit_id, section, school_id, share (of the unit's area; 1.0 for point units), for
    every catchment covering at least 1 % of a unit.
    """
    crs = ws.meta.crs
    units = ws.units[["unit_id", "geometry"]].to_crs(crs)
    catch = ws.catchments[["school_id", "section", "geometry"]].to_crs(crs)
    polys = units[units.geom_type.isin(["Polygon", "MultiPolygon"])]
    points = units[~units.index.isin(polys.index)]
    parts = []
    if len(polys):
        area = polys.set_index("unit_id").area
        inter = gpd.overlay(polys, catch, how="intersection", keep_geom_type=True)
        inter["share"] = inter.area.to_numpy() / area.reindex(inter["unit_id"]).to_numpy()
        parts.append(pd.DataFrame(inter[["unit_id", "section", "school_id", "share"]]))
    if len(points):
        hit = gpd.sjoin(points, catch, predicate="within")
        parts.append(pd.DataFrame({"unit_id": hit["unit_id"], "section": hit["section"],
                                   "school_id": hit["school_id"], "share": 1.0}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["unit_id", "section", "school_id", "share"])
    out = out.groupby(["unit_id", "section", "school_id"], as_index=False)["share"].sum()
    return out[out["share"] >= MIN_SHARE].reset_index(drop=True)


def zoning_table(holdings: pd.DataFrame, unit_ids: pd.Series) -> pd.DataFrame:
    """Return the zoned school of each unit per section (the catchment covering most of it).

    Returns
    -------
    Indexed by unit_id (every unit), columns primary and junior: a school_id or None.
    """
    best = holdings.sort_values(["unit_id", "section", "share", "school_id"],
                                ascending=[True, True, False, True])
    best = best.drop_duplicates(["unit_id", "section"])
    table = best.pivot(index="unit_id", columns="section", values="school_id")
    table = table.reindex(index=pd.Index(unit_ids, name="unit_id"), columns=list(SECTIONS))
    return table.astype(object).where(table.notna(), None)


@dataclass(frozen=True)
class ZonedEnrolment:
    """G13: who attends their zoned school.

    Attributes
    ----------
    by_school
        Per school in scope and section: students, zoned, ratio.
    by_section
        Per section (and "all"): students, zoned, ratio, minimum, ok.
    out_of_zone
        Students outside their zone: unit_id, unit, section, school_id attended, school,
        zoned_school_id, zoned_school, students (in scope or not).
    entry_grades_only
        Whether the denominator was restricted to grades 1 and 7.
    """

    by_school: pd.DataFrame
    by_section: pd.DataFrame
    out_of_zone: pd.DataFrame
    entry_grades_only: bool


def zoned_enrolment(ws: Workspace, zoning: pd.DataFrame, standards: Standards
                    ) -> ZonedEnrolment:
    """Count zoned students per school, per section and county-wide (SPEC §3)."""
    junior_from = standards.junior_from_grade
    e = ws.enrolment.copy()
    e["section"] = np.where(e["grade"] >= junior_from, "junior", "primary")
    zoned_school = np.where(e["section"] == "primary",
                            zoning["primary"].reindex(e["unit_id"]).to_numpy(),
                            zoning["junior"].reindex(e["unit_id"]).to_numpy())
    e["zoned_school_id"] = zoned_school
    e["zoned"] = e["school_id"].to_numpy() == zoned_school
    s = ws.schools.set_index("school_id")
    scope = s["public"] & ~s["boarding"] & s["area_type"].isin(["urban", "town"])
    e["in_scope"] = scope.reindex(e["school_id"]).fillna(False).to_numpy(dtype=bool)
    if standards.zoned_entry_grades_only:
        e["in_scope"] &= e["grade"].isin([1, junior_from])
    e["zoned_students"] = e["students"].where(e["zoned"], 0)
    ins = e[e["in_scope"]]
    by_school = ins.groupby(["school_id", "section"], as_index=False).agg(
        students=("students", "sum"), zoned=("zoned_students", "sum"))
    by_school.insert(1, "name", s["name"].reindex(by_school["school_id"]).to_numpy())
    by_school["ratio"] = by_school["zoned"] / by_school["students"].where(
        by_school["students"] > 0)
    rows = []
    for sec in (*SECTIONS, "all"):
        part = ins if sec == "all" else ins[ins["section"] == sec]
        n, z = int(part["students"].sum()), int(part["zoned_students"].sum())
        minimum = None if sec == "all" else standards.section(sec).zoned_share_min
        ratio = z / n if n else float("nan")
        rows.append({"section": sec, "students": n, "zoned": z, "ratio": ratio,
                     "minimum": minimum,
                     "ok": None if minimum is None or n == 0 else bool(ratio >= minimum - 1e-12)})
    out = e[~e["zoned"]].groupby(["unit_id", "section", "school_id", "zoned_school_id"],
                                 as_index=False, dropna=False)["students"].sum()
    names = dict(zip(ws.units["unit_id"], ws.units["name"], strict=True))
    out.insert(1, "unit", out["unit_id"].map(names))
    out.insert(4, "school", s["name"].reindex(out["school_id"]).to_numpy())
    out["zoned_school"] = s["name"].reindex(out["zoned_school_id"]).to_numpy()
    out["in_scope"] = scope.reindex(out["school_id"]).fillna(False).to_numpy(dtype=bool)
    out = out.sort_values(["students", "unit_id"], ascending=[False, True], kind="stable")
    return ZonedEnrolment(by_school=by_school, by_section=pd.DataFrame(rows),
                          out_of_zone=out.reset_index(drop=True),
                          entry_grades_only=standards.zoned_entry_grades_only)
