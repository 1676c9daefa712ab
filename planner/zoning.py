"""Zoning and nearby zoned enrolment (就近划片入学, G13; SPEC §3).

A unit's zoned school for a section is the catchment of that section covering most of the
unit (for point units: the one containing it). A pupil is zoned when attending the school
their cohort is zoned to (the catchment of their unit when they entered the section). G13
counts pupils of public, non-boarding schools in urban and town areas; by default all pupils
count, and a profile setting restricts the denominator to the entry grades (1 and 7).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.schema import SECTIONS
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


def held_by_several(holdings: pd.DataFrame, ws: Workspace) -> pd.DataFrame:
    """Return the units that lie in several catchments of a section (G1)."""
    n = holdings.groupby(["unit_id", "section"])["school_id"].agg(
        lambda s: ",".join(sorted(s)))
    count = holdings.groupby(["unit_id", "section"]).size()
    several = count[count > 1]
    names = dict(zip(ws.units["unit_id"], ws.units["name"], strict=True))
    rows = [{"unit_id": u, "name": names.get(u, ""), "section": sec, "catchments": int(c),
             "school_ids": n[(u, sec)]} for (u, sec), c in several.items()]
    return pd.DataFrame(rows, columns=["unit_id", "name", "section", "catchments",
                                       "school_ids"])


def g13_scope(schools: dict[str, np.ndarray]) -> np.ndarray:
    """(S,) the schools G13 counts: public, non-boarding, in urban or town areas."""
    return (np.asarray(schools["public"], dtype=bool)
            & ~np.asarray(schools["boarding"], dtype=bool)
            & np.isin(schools["area_type"], ["urban", "town"]))


@dataclass(frozen=True, eq=False)
class ZonedEnrolment:
    """G13: who attends their zoned school (counts now, tables when asked for).

    Attributes
    ----------
    sections
        Per section and "all": students, zoned, ratio, minimum, ok (records).
    entry_grades_only
        Whether the denominator was restricted to grades 1 and 7.
    out_students, out_units
        Pupils of in-scope schools outside their zone, and the units they come from.
    """

    sections: list[dict]
    entry_grades_only: bool
    out_students: int
    out_units: int
    _plan: object

    @functools.cached_property
    def by_section(self) -> pd.DataFrame:
        """Per section and "all": students, zoned, ratio, minimum, ok."""
        return pd.DataFrame(self.sections)

    @functools.cached_property
    def by_school(self) -> pd.DataFrame:
        """Per school in scope and section: school_id, name, section, students, zoned, ratio."""
        p, (in_scope, zoned, junior) = self._plan, _masks(self._plan)
        r = p.rows
        ids, names = p.schools["school_id"], p.schools["name"]
        key = r.es * 2 + junior
        size = 2 * len(ids)
        students = np.bincount(key[in_scope], weights=r.n[in_scope], minlength=size)
        z = np.bincount(key[in_scope & zoned], weights=r.n[in_scope & zoned], minlength=size)
        seen = np.flatnonzero(np.bincount(key[in_scope], minlength=size) > 0)
        out = pd.DataFrame({"school_id": ids[seen // 2], "name": names[seen // 2],
                            "section": np.where(seen % 2 == 1, "junior", "primary"),
                            "students": students[seen].astype(np.int64),
                            "zoned": z[seen].astype(np.int64)})
        out = out.sort_values(["school_id", "section"], kind="stable").reset_index(drop=True)
        out["ratio"] = out["zoned"] / out["students"].where(out["students"] > 0)
        return out

    @functools.cached_property
    def out_of_zone(self) -> pd.DataFrame:
        """Pupils outside their zone, by unit and school.

        Columns: unit_id, unit, section, school_id, school, zoned_school_id, zoned_school,
        students, in_scope.
        """
        p = self._plan
        in_scope, zoned, junior = _masks(p)
        r = p.rows
        off = ~zoned & (r.n > 0)
        ids, names = p.schools["school_id"], p.schools["name"]
        ez = r.ez[off]
        out = pd.DataFrame({"u": r.eu[off], "section": np.where(junior[off], "junior",
                                                                  "primary"),
                            "s": r.es[off], "z": ez, "students": r.n[off]})
        out = out.groupby(["u", "section", "s", "z"], as_index=False, sort=True)[
            "students"].sum()
        z = out["z"].to_numpy()
        zoned_id = np.where(z >= 0, ids[np.maximum(z, 0)], None)
        table = pd.DataFrame({
            "unit_id": p.units.ids[out["u"].to_numpy()],
            "unit": p.units.names[out["u"].to_numpy()],
            "section": out["section"].to_numpy(),
            "school_id": ids[out["s"].to_numpy()], "school": names[out["s"].to_numpy()],
            "zoned_school_id": zoned_id,
            "zoned_school": np.where(z >= 0, names[np.maximum(z, 0)], None),
            "students": out["students"].to_numpy(dtype=np.int64),
            "in_scope": g13_scope(p.schools)[out["s"].to_numpy()]})
        table = table.sort_values(["students", "unit_id"], ascending=[False, True],
                                  kind="stable")
        return table.reset_index(drop=True)


def outside_catchments(plan) -> np.ndarray:
    """Per enrolment row: pupils of a special school, who attend it by need, not by zone.

    They are never out of their zone, never sent back to a zoned school and never re-zoned.
    """
    r = plan.rows
    return plan.schools["kind"][r.es] == "special" if len(r) else np.zeros(0, dtype=bool)


def zoned_rows(plan) -> np.ndarray:
    """Per enrolment row: the pupils attend the school their cohort is zoned to."""
    r = plan.rows
    return ((r.es == r.ez) & (r.ez >= 0)) | outside_catchments(plan)


def _masks(plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per enrolment row: counted by G13, zoned, junior."""
    std, r = plan.standards, plan.rows
    junior = std.is_junior(r.grade)
    in_scope = g13_scope(plan.schools)[r.es] if len(r) else np.zeros(0, dtype=bool)
    if std.zoned_entry_grades_only:
        in_scope = in_scope & np.isin(r.grade, [1, std.junior_from_grade])
    return in_scope, zoned_rows(plan), junior.astype(np.int64)


def zoned_enrolment(plan) -> ZonedEnrolment:
    """Count zoned pupils per section and county-wide (SPEC §3) from a plan's rows."""
    std, r = plan.standards, plan.rows
    in_scope, zoned, junior = _masks(plan)
    rows = []
    for sec in (*SECTIONS, "all"):
        part = in_scope if sec == "all" else in_scope & (junior == (sec == "junior"))
        total, z = int(r.n[part].sum()), int(r.n[part & zoned].sum())
        minimum = None if sec == "all" else std.section(sec).zoned_share_min
        ratio = z / total if total else float("nan")
        rows.append({"section": sec, "students": total, "zoned": z, "ratio": ratio,
                     "minimum": minimum, "ok": None if minimum is None or total == 0
                     else bool(ratio >= minimum - 1e-12)})
    off = in_scope & ~zoned & (r.n > 0)
    return ZonedEnrolment(sections=rows, entry_grades_only=std.zoned_entry_grades_only,
                          out_students=int(r.n[off].sum()),
                          out_units=len(np.unique(r.eu[off])), _plan=plan)


def unit_at(ws: Workspace, lon: float, lat: float) -> str | None:
    """Return the unit containing a WGS84 point (a click on the map), or None."""
    import shapely

    hit = ws.units[ws.units.geometry.contains(shapely.Point(lon, lat))]
    return None if hit.empty else str(hit["unit_id"].iloc[0])
