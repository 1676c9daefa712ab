"""The layers' checks: geometries, coordinates, schools, references between layers, totals."""


from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.validation import explain_validity

from planner.errors import Problem
from planner.schema import (
    KIND_HAS_SENIOR,
    KIND_SECTIONS,
    SECTIONS,
    TEACHER_COLUMNS,
    section_of_grade,
)
from planner.validate.cells import CHINA_LAT, CHINA_LON, OUTSIDE_TOLERANCE_M, Source, show


def check_geometries(
    gdf: gpd.GeoDataFrame,
    src: Source,
    *,
    allowed: tuple[str, ...],
    crs_m: str | None,
    optional: bool = False,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check geometry types and validity; repair with `make_valid` what it can, saying so.

    Null and empty geometries (unless `optional`), and geometries of the wrong type, are errors.
    An invalid polygon
    that `make_valid` turns into a valid polygon is kept repaired, with a warning giving the
    reason and the area before and after (m², in `crs_m`).
    """
    problems: list[Problem] = []
    geoms = gdf.geometry.to_numpy().copy()
    for pos, geom in enumerate(geoms):
        if optional and (geom is None or geom.is_empty):
            geoms[pos] = None
            continue
        if geom is None:
            problems.append(src.at(pos, "geometry", "no geometry; draw or locate this feature"))
            continue
        if geom.is_empty:
            problems.append(src.at(pos, "geometry", "empty geometry; draw or locate this feature"))
            continue
        if geom.geom_type not in allowed:
            problems.append(src.at(pos, "geometry", f"expected {' or '.join(allowed)}, got "
                                   f"{geom.geom_type}"))
            continue
        if not geom.is_valid:
            reason = explain_validity(geom)
            fixed = shapely.make_valid(geom)
            if fixed.geom_type == "GeometryCollection":
                polys = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
                fixed = shapely.union_all(polys) if polys else fixed
            if fixed.is_empty or fixed.geom_type not in allowed + ("MultiPolygon",):
                problems.append(src.at(pos, "geometry", f"invalid geometry ({reason}) that "
                                       "make_valid cannot repair; redraw it"))
                continue
            area = _area(fixed, gdf.crs, crs_m)
            problems.append(src.at(pos, "geometry", f"invalid geometry ({reason}) repaired with "
                                   f"make_valid: the {geom.geom_type} became a "
                                   f"{fixed.geom_type} of {area}; check the shape",
                                   severity="warning"))
            geoms[pos] = fixed
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out, problems


def _area(geom: object, crs: object, crs_m: str | None) -> str:
    if crs is None or crs_m is None:
        return "unknown area"
    return f"{gpd.GeoSeries([geom], crs=crs).to_crs(crs_m).iloc[0].area:,.0f} m²"


def check_lonlat(gdf: gpd.GeoDataFrame, src: Source) -> list[Problem]:
    """Report points (or polygon centres) in WGS84 that lie outside China."""
    problems: list[Problem] = []
    pts = gdf.geometry.representative_point()
    for pos, pt in enumerate(pts):
        if pt is None or pt.is_empty:
            continue
        x, y = pt.x, pt.y
        if not (CHINA_LON[0] <= x <= CHINA_LON[1] and CHINA_LAT[0] <= y <= CHINA_LAT[1]):
            hint = " (are longitude and latitude swapped?)" if (
                CHINA_LON[0] <= y <= CHINA_LON[1] and CHINA_LAT[0] <= x <= CHINA_LAT[1]) else (
                " (is the coordinate system declared right?)")
            problems.append(src.at(pos, "geometry", f"location ({x:.5f}, {y:.5f}) is outside "
                                   f"China{hint}"))
    return problems


def duplicates_in(series: pd.Series, src: Source, column: str, what: str) -> list[Problem]:
    """A problem for each repeat of a value that must be unique in its column."""
    problems = []
    first: dict[object, int] = {}
    for pos, value in enumerate(series.tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if value in first:
            problems.append(src.at(pos, column, f"duplicate {what} {show(value)} (first on "
                                   f"row {first[value] + src.row_base}); ids must be unique"))
        else:
            first[value] = pos
    return problems


def check_schools(schools: pd.DataFrame, src: Source) -> list[Problem]:
    """Check one school's columns against each other and ids against each other."""
    problems = duplicates_in(schools["school_id"], src, "school_id", "school_id")
    ids = set(schools["school_id"].dropna())
    cols = set(schools.columns)
    for pos, row in enumerate(schools.to_dict("records")):
        kind = row.get("kind")
        if kind is None or (isinstance(kind, float) and math.isnan(kind)):
            continue
        problems += _check_school_sections(row, pos, kind, src)
        problems += _check_school_teachers(row, pos, kind, cols, src)
        central = row.get("central_school_id")
        if kind == "teaching_point" and isinstance(central, str) and central and (
                central not in ids):
            problems.append(src.at(pos, "central_school_id", f"unknown central school "
                                   f"{show(central)}; use a school_id of the schools layer"))
    for name in TEACHER_COLUMNS:
        has_p, has_j = f"{name}_primary" in cols, f"{name}_junior" in cols
        if has_p != has_j:
            missing = f"{name}_junior" if has_p else f"{name}_primary"
            problems.append(src.at(None, missing, f"per-section teacher columns come in pairs: "
                                   f"add `{missing}` or remove its partner"))
    return problems


def _check_school_sections(row: dict, pos: int, kind: str, src: Source) -> list[Problem]:
    """A school's students against its kind, and its classes against its students."""
    problems = []
    sections = KIND_SECTIONS[kind]
    for sec in SECTIONS:
        n = row.get(f"students_{sec}")
        if isinstance(n, int) and n > 0 and sec not in sections:
            problems.append(src.at(pos, f"students_{sec}", f"a {kind} school has no {sec} "
                                   f"section, but {n} {sec} students are given; check the "
                                   "kind or move the students"))
        classes, biggest = row.get(f"classes_{sec}"), row.get(f"max_class_size_{sec}")
        if not all(isinstance(v, int) for v in (n, classes, biggest)):
            continue
        if n > 0 and classes == 0:
            problems.append(src.at(pos, f"classes_{sec}", f"{n} {sec} students but 0 classes"))
        elif classes > 0 and biggest * classes < n:
            problems.append(src.at(pos, f"max_class_size_{sec}", f"largest class {biggest} is "
                                   f"smaller than the average class {n / classes:.1f} ({n} "
                                   f"students / {classes} classes)"))
    senior = row.get("students_senior")
    if isinstance(senior, int) and senior > 0 and kind not in KIND_HAS_SENIOR:
        problems.append(src.at(pos, "students_senior", f"a {kind} school has no senior "
                               f"section, but {senior} senior students are given"))
    return problems


def _check_school_teachers(row: dict, pos: int, kind: str, cols: set[str], src: Source
                           ) -> list[Problem]:
    """A school's teacher counts against its total, and per-section pairs against the whole."""
    problems = []
    total = row.get("teachers_total")
    for name in TEACHER_COLUMNS[1:]:
        v = row.get(name)
        if isinstance(v, int) and isinstance(total, int) and v > total:
            problems.append(src.at(pos, name, f"{v} exceeds teachers_total {total}"))
    for name in TEACHER_COLUMNS:
        p, j, whole = row.get(f"{name}_primary"), row.get(f"{name}_junior"), row.get(name)
        if not (f"{name}_primary" in cols and f"{name}_junior" in cols and all(
            isinstance(v, int) for v in (p, j, whole)
        )):
            continue
        # a school with a senior section counts its senior teachers in the total only
        if p + j > whole or (p + j != whole and kind not in KIND_HAS_SENIOR):
            rule = "at most" if kind in KIND_HAS_SENIOR else "equal to"
            problems.append(src.at(pos, f"{name}_primary", f"{name}_primary {p} + "
                                   f"{name}_junior {j} = {p + j} must be {rule} {name} "
                                   f"{whole}"))
    return problems


def check_references(
    *,
    schools: pd.DataFrame,
    units: pd.DataFrame | None,
    catchments: pd.DataFrame | None,
    enrolment: pd.DataFrame | None,
    sources: dict[str, Source],
) -> list[Problem]:
    """Check ids across layers: catchments and enrolment name known schools and units."""
    problems: list[Problem] = []
    kinds = {sid: k for sid, k in zip(schools["school_id"], schools["kind"], strict=True)
             if isinstance(k, str)}
    known = set(schools["school_id"])
    if units is not None:
        problems += duplicates_in(units["unit_id"], sources["units"], "unit_id", "unit_id")
    if catchments is not None:
        src = sources["catchments"]
        for pos, (sid, sec) in enumerate(zip(catchments["school_id"], catchments["section"],
                                             strict=True)):
            if sid not in known:
                problems.append(src.at(pos, "school_id", f"unknown school {show(sid)}"))
            elif sid in kinds and isinstance(sec, str) and sec not in KIND_SECTIONS[kinds[sid]]:
                problems.append(src.at(pos, "section", f"school {sid} is a {kinds[sid]} school "
                                       f"and has no {sec} section"))
    if enrolment is not None:
        src = sources["enrolment"]
        unit_ids = set(units["unit_id"]) if units is not None else None
        seen: dict[tuple, int] = {}
        for pos, (uid, sid, grade) in enumerate(zip(enrolment["unit_id"], enrolment["school_id"],
                                                    enrolment["grade"], strict=True)):
            if unit_ids is not None and uid not in unit_ids:
                problems.append(src.at(pos, "unit_id", f"unknown unit {show(uid)}; add it to "
                                       "the units layer or correct the id"))
            if sid not in known:
                problems.append(src.at(pos, "school_id", f"unknown school {show(sid)}"))
            elif sid in kinds and isinstance(grade, int):
                sec = section_of_grade(grade)
                if sec not in KIND_SECTIONS[kinds[sid]]:
                    problems.append(src.at(pos, "grade", f"grade {grade} is {sec}, but school "
                                           f"{sid} is a {kinds[sid]} school"))
            key = (uid, sid, grade)
            if key in seen:
                problems.append(src.at(pos, "students", f"repeats unit {uid}, school {sid}, "
                                       f"grade {grade} of row {seen[key] + src.row_base}; add "
                                       "the two rows together"))
            else:
                seen[key] = pos
    return problems


def check_totals(schools: pd.DataFrame, enrolment: pd.DataFrame, src: Source
                 ) -> list[Problem]:
    """Report schools whose student counts disagree with the enrolment table, by section.

    (An enrolment derived from zoning has the statistics spread over it instead: see
    :func:`planner.io.derive.spread_statistics`.)
    """
    problems: list[Problem] = []
    enr = enrolment[[isinstance(g, int | np.integer) for g in enrolment["grade"]]].copy()
    enr = enr[[isinstance(n, int | np.integer) for n in enr["students"]]]
    enr["section"] = [section_of_grade(int(g)) for g in enr["grade"]]
    sums = enr.groupby(["school_id", "section"])["students"].sum()
    for pos, row in enumerate(schools.to_dict("records")):
        if row.get("kind") == "special":
            continue
        for sec in SECTIONS:
            given = row.get(f"students_{sec}")
            counted = int(sums.get((row["school_id"], sec), 0))
            if isinstance(given, int) and given != counted:
                problems.append(src.at(pos, f"students_{sec}", f"{given} {sec} students, but "
                                       f"the enrolment table counts {counted} at this school; "
                                       "make them agree"))
    return problems


def check_inside(
    points: gpd.GeoDataFrame, boundary: object, crs_m: str, src: Source
) -> list[Problem]:
    """Report points further than 500 m outside the county outline."""
    if boundary is None:
        return []
    pts = points.geometry.to_crs(crs_m)
    dist = pts.distance(boundary).to_numpy()
    return [
        src.at(pos, "geometry", f"location lies {dist[pos]:,.0f} m outside the county (the "
               "union of the units); check the coordinates and the coordinate system")
        for pos in np.flatnonzero(dist > OUTSIDE_TOLERANCE_M)
    ]


