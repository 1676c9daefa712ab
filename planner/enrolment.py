"""Zoning and nearby zoned enrolment (就近划片入学, G13; SPEC §3).

A unit's zoned school for a section is the catchment of that section covering most of the
unit (for point units: the one containing it). A student is zoned when the school attended is
the zoned school of the unit they live in, for their section. G13 counts students of public,
non-boarding schools in urban and town areas; by default all students count, and a profile
setting restricts the denominator to the entry grades (1 and 7).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

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


def holdings_from_zoning(zoning: pd.DataFrame) -> pd.DataFrame:
    """Return the holdings of a plan's zoning: each unit wholly in its zoned catchment."""
    long = zoning.reset_index().melt(id_vars="unit_id", var_name="section",
                                     value_name="school_id").dropna(subset=["school_id"])
    return long.assign(share=1.0).reset_index(drop=True)


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
    entry_grades_only
        Whether the denominator was restricted to grades 1 and 7.
    out_students, out_units
        Students of in-scope schools outside their zone, and the units they come from.
    """

    by_school: pd.DataFrame
    by_section: pd.DataFrame
    entry_grades_only: bool
    out_students: int
    out_units: int
    _off: dict = field(repr=False, compare=False)

    @functools.cached_property
    def out_of_zone(self) -> pd.DataFrame:
        """Return the students outside their zone, built when first asked for.

        Columns: unit_id, unit, section, school_id, school, zoned_school_id, zoned_school,
        students, in_scope.
        """
        return _out_of_zone_table(**self._off)


def _per_school_section(school_ids: np.ndarray, sidx: np.ndarray, junior: np.ndarray,
                        mask: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Sum columns over rows in `mask` by (school, section); rows sorted like a groupby."""
    key = sidx * 2 + junior.astype(int)
    size = 2 * len(school_ids)
    sums = {name: np.bincount(key[mask], weights=v[mask], minlength=size)
            for name, v in columns.items()}
    seen = np.bincount(key[mask], minlength=size) > 0
    k = np.flatnonzero(seen)
    out = pd.DataFrame({"school_id": school_ids[k // 2],
                        "section": np.where(k % 2 == 1, "junior", "primary"),
                        **{name: v[k].astype(np.int64) for name, v in sums.items()}})
    return out.sort_values(["school_id", "section"], kind="stable").reset_index(drop=True)


def zoned_enrolment(ws: Workspace, zoning: pd.DataFrame, standards: Standards
                    ) -> ZonedEnrolment:
    """Count zoned students per school, per section and county-wide (SPEC §3)."""
    junior_from = standards.junior_from_grade
    e = ws.enrolment
    uid, sid = e["unit_id"].to_numpy(dtype=object), e["school_id"].to_numpy(dtype=object)
    grade, n = e["grade"].to_numpy(), e["students"].to_numpy(dtype=float)
    junior = grade >= junior_from
    uidx = zoning.index.get_indexer(uid)
    zp = np.append(zoning["primary"].to_numpy(dtype=object), None)
    zj = np.append(zoning["junior"].to_numpy(dtype=object), None)
    zoned_school = np.where(junior, zj[uidx], zp[uidx])  # index -1 → the appended None
    zoned = sid == zoned_school
    schools = ws.schools
    school_ids = schools["school_id"].to_numpy(dtype=object)
    names = schools["name"].to_numpy(dtype=object)
    scope_s = (schools["public"].to_numpy(dtype=bool) & ~schools["boarding"].to_numpy(dtype=bool)
               & schools["area_type"].isin(["urban", "town"]).to_numpy())
    sidx = pd.Index(school_ids).get_indexer(sid)
    in_scope = np.where(sidx >= 0, scope_s[np.maximum(sidx, 0)], False)
    if standards.zoned_entry_grades_only:
        in_scope &= np.isin(grade, [1, junior_from])
    by_school = _per_school_section(school_ids, sidx, junior, in_scope,
                                    {"students": n, "zoned": n * zoned})
    by_school.insert(1, "name", names[pd.Index(school_ids).get_indexer(by_school["school_id"])])
    by_school["ratio"] = by_school["zoned"] / by_school["students"].where(
        by_school["students"] > 0)
    rows = []
    for sec in (*SECTIONS, "all"):
        part = in_scope if sec == "all" else in_scope & (junior == (sec == "junior"))
        total, z = int(n[part].sum()), int(n[part & zoned].sum())
        minimum = None if sec == "all" else standards.section(sec).zoned_share_min
        ratio = z / total if total else float("nan")
        rows.append({"section": sec, "students": total, "zoned": z, "ratio": ratio,
                     "minimum": minimum, "ok": None if minimum is None or total == 0
                     else bool(ratio >= minimum - 1e-12)})
    off = ~zoned
    off_scope = off & in_scope
    return ZonedEnrolment(
        by_school=by_school, by_section=pd.DataFrame(rows),
        entry_grades_only=standards.zoned_entry_grades_only,
        out_students=int(n[off_scope].sum()), out_units=len(set(uid[off_scope])),
        _off={"uid": uid[off], "junior": junior[off], "sid": sid[off],
              "zoned": zoned_school[off], "n": n[off], "units": ws.units,
              "school_ids": school_ids, "names": names, "scope": scope_s})


def _out_of_zone_table(uid, junior, sid, zoned, n, units, school_ids, names, scope
                       ) -> pd.DataFrame:
    out = pd.DataFrame({"unit_id": uid, "section": np.where(junior, "junior", "primary"),
                        "school_id": sid, "zoned_school_id": zoned,
                        "students": n.astype(np.int64)})
    out = out.groupby(["unit_id", "section", "school_id", "zoned_school_id"], as_index=False,
                      dropna=False, sort=True)["students"].sum()
    unit_names = pd.Series(units["name"].to_numpy(), index=units["unit_id"].to_numpy())
    out.insert(1, "unit", unit_names.reindex(out["unit_id"]).to_numpy())
    name_of = pd.Series(names, index=school_ids)
    out.insert(4, "school", name_of.reindex(out["school_id"]).to_numpy())
    out["zoned_school"] = name_of.reindex(out["zoned_school_id"]).to_numpy()
    pos = pd.Index(school_ids).get_indexer(out["school_id"])
    out["in_scope"] = np.where(pos >= 0, scope[np.maximum(pos, 0)], False)
    out = out.sort_values(["students", "unit_id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)
