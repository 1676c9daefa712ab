"""The meta table and the tables of SPEC §5.2: births, history, developments, capacity."""


from __future__ import annotations

import difflib
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from planner.errors import Problem
from planner.schema import (
    KIND_SECTIONS,
    NOTICE_SETTINGS,
    REGIONS,
    SCHEMA_VERSIONS,
    SECTIONS,
    Column,
    section_of_grade,
)
from planner.validate.cells import Source, parse_cell, show
from planner.validate.layers import check_lonlat

# --- meta, years and the tables of SPEC §5.2 ------------------------------------------------

@dataclass(frozen=True)
class MetaValues:
    """The meta keys of a workspace, parsed (see :class:`planner.workspace.Meta`)."""

    crs: str = ""
    profile: str = ""
    name: str = ""
    synthetic: bool = False
    region: str = "china"
    year: int | None = None
    enrolment_source: str = "table"
    units_source: str = ""
    catchments_source: str = ""
    distances_key: str = ""
    notice: tuple[tuple[str, str], ...] = ()


META_CHOICES = {
    "region": REGIONS,
    "enrolment_source": ("table", "zoning"),
    "units_source": ("", "voronoi_boundary", "voronoi_hull"),
    "catchments_source": ("", "lists"),
}


def check_meta(
    meta: dict[str, str], where: dict[str, tuple[str, int | None, str]], file: str
) -> tuple[MetaValues, list[Problem]]:
    """Parse and check a workspace's meta keys (or a workbook's settings).

    Parameters
    ----------
    meta
        Key → value as read.
    where
        Key → (layer as shown, row, column as shown), for messages.
    file
        The file name.

    Returns
    -------
    The parsed values and the problems: an unknown or geographic CRS, an unknown profile
    (built-in names only: a .toml profile is given on the command line), a region other than
    china/any, a year outside YEAR_MIN–YEAR_MAX, a schema version this planner does not read,
    two profile keys that disagree.
    """
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        layer, row, column = where.get(key, ("layer meta", None, key))
        if column == "value":  # a meta table's `value` column: say which key
            message = f"key `{key}`: {message}"
        problems.append(Problem(file, layer, row, column, message))

    values: dict[str, object] = {}
    version = meta.get("schema_version", "")
    if version and version not in SCHEMA_VERSIONS:
        bad("schema_version", f"schema version {show(version)} is not one this planner reads "
            f"({', '.join(SCHEMA_VERSIONS)}); update the planner")
    _meta_profile(meta, values, bad)
    crs = meta.get("crs", "")
    why = crs_problem(crs) if crs else None
    if why:
        bad("crs", why)
    elif crs:
        values["crs"] = crs
    for key, allowed in META_CHOICES.items():
        text = meta.get(key, "")
        if key == "region":
            text = text.strip().lower()
        if text and text not in allowed:
            bad(key, f"expected one of {', '.join(a for a in allowed if a)}, got {show(text)}")
        elif text:
            values[key] = text
    for key, kind in (("year", "year"), ("synthetic", "bool")):
        _meta_cell(meta, key, kind, values, bad)
    values["name"] = meta.get("name", "")
    values["distances_key"] = meta.get("distances_key", "")
    values["notice"] = tuple((k, meta[k]) for k in NOTICE_SETTINGS if meta.get(k, "").strip())
    return MetaValues(**values), problems


def _meta_profile(meta: dict[str, str], values: dict[str, object], bad) -> None:
    """The profile named by `profile` or `standards_profile` (built-in names only)."""
    from planner.standards import PROFILES

    profile, old = meta.get("profile", ""), meta.get("standards_profile", "")
    if profile and old and profile != old:
        bad("profile", f"`profile` {show(profile)} and `standards_profile` {show(old)} "
            "disagree; keep one")
    profile = profile or old
    if profile and profile not in PROFILES:
        key = "profile" if meta.get("profile") else "standards_profile"
        bad(key, f"unknown standards profile {show(profile)}; built in: "
            f"{', '.join(PROFILES)} (a province's .toml profile is given with --profile)")
    else:
        values["profile"] = profile


def _meta_cell(meta: dict[str, str], key: str, kind: str, values: dict[str, object],
               bad) -> None:
    """A meta value parsed as a cell of `kind` (year, bool), when given."""
    text = meta.get(key, "")
    if not text:
        return
    parsed, expected = parse_cell(text, Column(key, kind, False, "", "", ""), 1.0)
    if expected:
        bad(key, f"expected {expected}, got {show(text)}")
    else:
        values[key] = parsed


def crs_problem(text: str) -> str | None:
    """Return why a CRS cannot measure distances (unknown, geographic, not in metres), or None."""
    import pyproj

    try:
        crs = pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        return (f"unknown coordinate reference system {show(text)}; give a projected CRS in "
                "metres such as EPSG:4547 (CGCS2000 / 3-degree Gauss-Krüger CM 114°E), or "
                "delete the key and the planner chooses one")
    if crs.to_epsg() in (3857, 900913):
        return (f"{show(text)} is Web Mercator: its metres are stretched by 1/cos(latitude) "
                "(+24 % at 36°N), so distances and areas would be wrong; give a local projected "
                "CRS such as EPSG:4547, or delete the key and the planner chooses one")
    if not crs.is_projected:
        return (f"{show(text)} is a geographic CRS (degrees): distances and areas need a "
                "projected CRS in metres, such as EPSG:4547 (CGCS2000 / 3-degree Gauss-Krüger "
                "CM 114°E); or delete the key and the planner chooses one")
    units = {axis.unit_name for axis in crs.axis_info}
    if units - {"metre"}:
        return (f"{show(text)} measures in {', '.join(sorted(units))}, not metres; give a "
                "projected CRS in metres")
    return None


def check_region_points(gdf: gpd.GeoDataFrame, src: Source, region: str) -> list[Problem]:
    """Check WGS84 locations against China's extent, or skip it for region `any`."""
    if region == "any":
        return []
    return check_lonlat(gdf, src)


def _known(value: object, known: set, src: Source, pos: int, column: str, what: str,
           fix: str) -> list[Problem]:
    if isinstance(value, str) and value not in known:
        near = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.8)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return [src.at(pos, column, f"unknown {what} {show(value)}{hint}; {fix}")]
    return []


def check_births(births: pd.DataFrame, unit_ids: set | None, src: Source,
                 year: int | None) -> list[Problem]:
    """Check the births table: known units, one row per unit and year, no year after `year`."""
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    for pos, (uid, y) in enumerate(zip(births["unit_id"], births["year"], strict=True)):
        if unit_ids is not None:
            problems += _known(uid, unit_ids, src, pos, "unit_id", "unit",
                               "births are counted for the units of the units layer")
        if isinstance(y, int) and year is not None and y > year:
            problems.append(src.at(pos, "year", f"births of {y} lie after the school year "
                                   f"{year} the workspace describes"))
        key = (uid, y)
        if key in seen:
            problems.append(src.at(pos, "year", f"repeats unit {uid}, year {y} of row "
                                   f"{seen[key] + src.row_base}; one row per unit and year"))
        else:
            seen[key] = pos
    return problems


def check_history(history: pd.DataFrame, unit_ids: set | None, kinds: dict[str, str],
                  src: Source, year: int | None) -> list[Problem]:
    """Check the enrolment history: known units, years before `year`, no repeated rows.

    A school id not among today's schools is a warning (it may have closed or been renamed);
    a grade the school does not teach is an error.
    """
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    unknown_schools: dict[str, int] = {}
    cols = zip(history["year"], history["unit_id"], history["school_id"], history["grade"],
               strict=True)
    for pos, (y, uid, sid, grade) in enumerate(cols):
        if unit_ids is not None:
            problems += _known(uid, unit_ids, src, pos, "unit_id", "unit",
                               "history rows name units of the units layer")
        if isinstance(y, int) and year is not None and y >= year:
            problems.append(src.at(pos, "year", f"school year {y} is not before the "
                                   f"workspace's school year {year}; history holds earlier "
                                   "years (today's enrolment is the enrolment layer)"))
        if isinstance(sid, str) and sid not in kinds:
            unknown_schools.setdefault(sid, pos)
        elif isinstance(sid, str) and isinstance(grade, int):
            sec = section_of_grade(grade)
            if sec not in KIND_SECTIONS[kinds[sid]]:
                problems.append(src.at(pos, "grade", f"grade {grade} is {sec}, but school {sid} "
                                       f"is a {kinds[sid]} school"))
        key = (y, uid, sid, grade)
        if key in seen:
            problems.append(src.at(pos, "students", f"repeats year {y}, unit {uid}, school "
                                   f"{sid}, grade {grade} of row {seen[key] + src.row_base}; "
                                   "add the two rows together"))
        else:
            seen[key] = pos
    for sid, pos in unknown_schools.items():
        problems.append(src.at(pos, "school_id", f"school {show(sid)} is not among today's "
                               "schools (closed or renamed?); its rows count for the units' "
                               "history only", severity="warning"))
    return problems


def check_developments(dev: pd.DataFrame, unit_ids: set | None, src: Source) -> list[Problem]:
    """Check housing developments: each names a known unit or has a polygon (or both)."""
    problems: list[Problem] = []
    geoms = dev.geometry if isinstance(dev, gpd.GeoDataFrame) else [None] * len(dev)
    uids = dev["unit_id"] if "unit_id" in dev.columns else [None] * len(dev)
    for pos, (uid, geom) in enumerate(zip(uids, geoms, strict=True)):
        has_unit = isinstance(uid, str) and uid != ""
        if has_unit and unit_ids is not None:
            problems += _known(uid, unit_ids, src, pos, "unit_id", "unit",
                               "use a unit_id of the units layer")
        if not has_unit and (geom is None or geom.is_empty):
            problems.append(src.at(pos, "unit_id", "a development needs its unit_id or its "
                                   "polygon"))
    return problems


def check_capacity(schools: pd.DataFrame, src: Source) -> list[Problem]:
    """Check approved places: none for a section the school does not teach."""
    problems: list[Problem] = []
    for sec in SECTIONS:
        col = f"approved_places_{sec}"
        if col not in schools.columns:
            continue
        for pos, (kind, places) in enumerate(zip(schools["kind"], schools[col], strict=True)):
            if isinstance(kind, str) and isinstance(places, int) and places > 0 and (
                    sec not in KIND_SECTIONS[kind]):
                problems.append(src.at(pos, col, f"a {kind} school has no {sec} section, but "
                                       f"{places} approved {sec} places are given"))
    return problems


