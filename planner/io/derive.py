"""What a bureau's own files leave out, derived on import (SPEC §5.2).

- Unit polygons from points: the Voronoi cells of the units' points (the village committee or
  community centre), clipped to the county boundary (a file) or, without one, to a buffer of
  the points' convex hull.
- Catchments from the published lists (划片范围公告): each school's units, by code or by name
  matched within their township; a catchment is the union of its units' polygons.
- Enrolment from zoning: without an enrolment sheet every child attends the zoned school of
  the unit they live in (the workspace's meta says so: `enrolment_source = zoning`). Where a
  school's own statistics differ from the children of its catchment — as a bureau's files
  always do a little: children at private schools or outside the county, children counted at
  their 户籍 village — the statistics are kept and the school's pupils are spread over its
  catchment's units in proportion to their children, by grade; :func:`reconciliation` is the
  table of the differences.

Geometry is computed in the workspace's projected CRS and returned in WGS84.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy.spatial import cKDTree

from planner import validate as v
from planner.errors import InputError, Problem
from planner.schema import KIND_SECTIONS, SECTIONS, section_grades, section_of_grade
from planner.workspace import (
    ENROLMENT_FROM_ZONING,
    WGS84,
    Workspace,
    largest_remainders,
    mend,
)

BOUNDARY_SUFFIXES = (".geojson", ".json", ".shp", ".gpkg", ".kml")
SEPARATORS = re.compile(r"[、，,;；\r\n\t]+")
# Suffixes a published list may leave off or add ("韩张" for 韩张村, "建设社区居委会" …).
NAME_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "行政村", "村")
# "元村镇韩张村", "元村镇：韩张村", "元村镇·韩张村": a township name, then the unit's name.
QUALIFIED = re.compile(r"^(?P<town>.+?(?:镇|乡|街道|办事处))[:：·/\-\s]*(?P<name>.+)$")
MIN_HULL_BUFFER_M = 500.0


# --- boundary and Voronoi units ------------------------------------------------------------

def read_boundary(path: str | Path) -> object:
    """Read a county boundary file as one WGS84 (Multi)Polygon.

    GeoJSON, Shapefile, GeoPackage or KML; every polygon in every layer of the file is part of
    the county (their union). GeoJSON and KML are WGS84 by definition; other files carry their
    CRS.

    Raises
    ------
    InputError
        The file is missing, of another type, unreadable, without polygons or without a CRS.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputError.single(name, f"boundary file not found: {path}")
    if path.suffix.lower() not in BOUNDARY_SUFFIXES:
        msg = (f"unknown boundary file type {path.suffix or '(none)'}; give a GeoJSON, "
               "Shapefile (.shp), GeoPackage or KML file")
        raise InputError.single(name, msg)
    parts = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            for layer in layers:
                gdf = pyogrio.read_dataframe(path, layer=layer)
                if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.isna().all():
                    continue
                if gdf.crs is None:
                    raise InputError.single(name, "the boundary has no coordinate reference "
                                            "system; save it with one (EPSG:4326)",
                                            layer=f"layer {layer}")
                polys = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
                if len(polys):
                    parts.append(polys.geometry.to_crs(WGS84).make_valid().union_all())
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        text = str(exc).splitlines()[0][:120]
        raise InputError.single(name, f"cannot be read as a boundary file ({text})") from exc
    if not parts:
        raise InputError.single(name, "the boundary file holds no polygon; export the county "
                                "outline as a polygon")
    boundary = shapely.union_all(parts)
    return _polygonal(boundary)


def _polygonal(geom: object) -> object:
    if geom.geom_type == "GeometryCollection":
        geom = shapely.union_all([g for g in geom.geoms if g.geom_type in ("Polygon",
                                                                         "MultiPolygon")])
    return geom


def voronoi_cells(points: np.ndarray, boundary: object) -> list:
    """Return the Voronoi cell of each point clipped to `boundary`, in the points' order.

    Parameters
    ----------
    points
        (n, 2) coordinates in a projected CRS, all distinct, inside `boundary`.
    boundary
        A (Multi)Polygon in the same CRS.

    Returns
    -------
    n (Multi)Polygons that tile `boundary`: their union is the boundary, and they overlap
    only along their edges.
    """
    points = np.asarray(points, dtype="float64").reshape(-1, 2)
    if len(points) == 1:
        return [boundary]
    frame = shapely.box(*boundary.bounds).buffer(max(np.ptp(points, axis=0).max(), 1.0))
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=frame, ordered=True)
    return [_polygonal(shapely.intersection(cell, boundary)) for cell in cells.geoms]


def hull_boundary(points: np.ndarray) -> tuple[object, float]:
    """Return the points' convex hull buffered by their median nearest-neighbour distance.

    The buffer is at least MIN_HULL_BUFFER_M, rounded to 10 m; returned with the polygon so
    that the output can say what was done.
    """
    points = np.asarray(points, dtype="float64").reshape(-1, 2)
    if len(points) > 1:
        d = cKDTree(points).query(points, k=2)[0][:, 1]
        buffer_m = max(MIN_HULL_BUFFER_M, round(float(np.median(d)), -1))
    else:
        buffer_m = MIN_HULL_BUFFER_M
    return shapely.MultiPoint(points).convex_hull.buffer(buffer_m), buffer_m


@dataclass
class Derived:
    """What was derived on import, for the workspace and for the report to the user."""

    units_source: str = ""
    catchments_source: str = ""
    enrolment_source: str = ""
    notices: list[Problem] = field(default_factory=list)


def unit_polygons(
    units: gpd.GeoDataFrame, src: v.Source, crs_m: str, boundary: object | None,
    boundary_name: str, file: str,
) -> tuple[gpd.GeoDataFrame | None, str, list[Problem]]:
    """Replace point units by their Voronoi cells clipped to the boundary (or the hull buffer).

    Returns
    -------
    The units with polygons (WGS84), the `units_source` meta value, and the problems (units
    outside the boundary, two units at one point) and a notice saying what was done.
    """
    problems: list[Problem] = []
    pts = units.geometry.to_crs(crs_m)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    first: dict[tuple, int] = {}
    for pos, key in enumerate(map(tuple, np.round(xy, 1))):
        if key in first:
            problems.append(src.at(pos, "lon", f"the same location as row "
                                   f"{first[key] + src.row_base} (within 0.1 m); two units "
                                   "need two points"))
        else:
            first[key] = pos
    if boundary is not None:
        shape = gpd.GeoSeries([boundary], crs=WGS84).to_crs(crs_m).iloc[0]
        outside = ~shapely.contains_xy(shape, xy[:, 0], xy[:, 1])
        for pos in np.flatnonzero(outside):
            dist = shapely.distance(shape, shapely.Point(xy[pos]))
            problems.append(src.at(pos, "lon", f"the point lies {dist:,.0f} m outside the "
                                   f"county boundary ({boundary_name}); check the "
                                   "coordinates, the coordinate system or the boundary"))
        source = "voronoi_boundary"
        said = f"clipped to the county boundary {boundary_name}"
    else:
        shape, buffer_m = hull_boundary(xy)
        source = "voronoi_hull"
        said = (f"clipped to the points' convex hull buffered by {buffer_m:,.0f} m (no county "
                "boundary given: use --boundary FILE for the real outline)")
    if any(p.severity == "error" for p in problems):
        return None, "", problems
    cells = voronoi_cells(xy, shape)
    out = units.copy()
    out[units.geometry.name] = gpd.GeoSeries(cells, index=units.index, crs=crs_m).to_crs(WGS84)
    problems.append(Problem(file, src.layer, None, "", f"the {len(units)} units are points: "
                            f"their polygons are Voronoi cells {said}", severity="notice"))
    return out, source, problems


# --- catchments from published lists -------------------------------------------------------

def _norm(text: object) -> str:
    return re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")


def _strip(name: str) -> str:
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class _UnitIndex:
    ids: list[str]
    names: list[str]
    towns: list[str]
    rows: list[int]
    by_code: dict[str, int]
    by_name: dict[str, list[int]]
    by_stripped: dict[str, list[int]]
    townships: set[str]
    has_towns: bool

    @classmethod
    def build(cls, units: pd.DataFrame, row_base: int) -> _UnitIndex:
        ids = [str(u) for u in units["unit_id"]]
        names = [_norm(n) for n in units["name"]]
        has_towns = "township" in units.columns
        towns = [_norm(t) if isinstance(t, str) and t.strip() else "" for t in
                 (units["township"] if has_towns else [None] * len(units))]
        by_name: dict[str, list[int]] = {}
        by_stripped: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            by_name.setdefault(n, []).append(i)
            by_stripped.setdefault(_strip(n), []).append(i)
        return cls(ids, names, towns, [i + row_base for i in range(len(ids))],
                   {u: i for i, u in enumerate(ids)}, by_name, by_stripped,
                   {t for t in towns if t}, has_towns)

    def lookup(self, name: str, town: str | None) -> list[int]:
        hits = self.by_name.get(name) or self.by_stripped.get(_strip(name), [])
        return [i for i in hits if town is None or self.towns[i] == town]

    def suggest(self, name: str, town: str | None) -> str:
        pool = [i for i in range(len(self.names)) if town is None or self.towns[i] == town]
        names = sorted({self.names[i] for i in pool})
        near = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        if not near and town is not None:
            return self.suggest(name, None)
        if not near:
            return ""
        where = [self.towns[i] for i in self.by_name[near[0]] if self.towns[i]]
        return f" (did you mean {near[0]!r}{f' in {where[0]}' if len(where) == 1 else ''}?)"

    def describe(self, hits: list[int], units_layer: str) -> str:
        towns = [self.towns[i] for i in hits]
        codes = " or ".join(self.ids[i] for i in hits)
        if all(towns) and len(set(towns)) == len(towns):
            places = f"in {'、'.join(towns[:-1])} and {towns[-1]}" if len(towns) > 1 else ""
            return f"matches {len(hits)} units, {places}: give the unit code ({codes})"
        rows = " and ".join(str(self.rows[i]) for i in hits)
        return (f"matches {len(hits)} units (rows {rows} of {units_layer}): give the unit code "
                f"({codes})")


def _school_of_row(rec: dict, schools: pd.DataFrame, src: v.Source, pos: int
                   ) -> tuple[str | None, list[Problem]]:
    ids = list(schools["school_id"])
    sid, name = rec.get("school_id"), rec.get("school_name")
    sid = sid if isinstance(sid, str) and sid else None
    name = _norm(name) if isinstance(name, str) and name.strip() else None
    if sid is None and name is None:
        return None, [src.at(pos, "school_id", "give the school's 学校标识码 or its 学校名称")]
    if sid is not None:
        if sid not in set(ids):
            near = difflib.get_close_matches(sid, ids, n=1, cutoff=0.8)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            return None, [src.at(pos, "school_id", f"unknown school {sid!r}{hint}; use a "
                                 "学校标识码 of the schools sheet")]
        own = _norm(schools.loc[schools["school_id"] == sid, "name"].iloc[0])
        if name is not None and name != own:
            return None, [src.at(pos, "school_name", f"school {sid} is {own!r}, not {name!r}; "
                                 "correct the code or the name")]
        return sid, []
    names = [_norm(n) for n in schools["name"]]
    hits = [i for i, n in enumerate(names) if n == name]
    if len(hits) == 1:
        return ids[hits[0]], []
    if hits:
        codes = " or ".join(ids[i] for i in hits)
        return None, [src.at(pos, "school_name", f"{name!r} names {len(hits)} schools; give "
                             f"the 学校标识码 ({codes})")]
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return None, [src.at(pos, "school_name", f"no school named {name!r}{hint}; use a name of "
                         "the schools sheet or its 学校标识码")]


def catchments_from_lists(
    lists: pd.DataFrame, src: v.Source, units: gpd.GeoDataFrame, units_src: v.Source,
    schools: gpd.GeoDataFrame, crs_m: str,
) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Match the published lists to units and build each catchment as the union of its units.

    Each entry of a 划片范围 cell (split at 、，,;；) is a unit code, a unit name, or a township
    followed by a unit name ("元村镇韩张村"). A name is looked up in the row's 乡镇 when given,
    else in the township of the unit holding the school, else in the whole county; a name may
    leave off or add 村/社区/居委会. Unknown names (with the nearest name suggested), names that
    match several units, and a unit in two catchments of one section are located errors.

    Returns
    -------
    The catchments (school_id, section, WGS84 polygons), the zoning (indexed by unit_id,
    columns primary and junior: a school_id or None), the matches (ZONING_MATCH_COLUMNS) and
    the problems (with a notice summarising the matching).
    """
    problems: list[Problem] = []
    index = _UnitIndex.build(units, units_src.row_base)
    kinds = dict(zip(schools["school_id"], schools["kind"], strict=True))
    publics = ({sid: bool(p) if isinstance(p, bool | np.bool_) else None
                for sid, p in zip(schools["school_id"], schools["public"], strict=True)}
               if "public" in schools.columns else {})
    private_named: dict[str, bool] = {}
    # the township of each school: that of the unit whose polygon holds it
    hold = gpd.sjoin(schools[["school_id", "geometry"]].to_crs(crs_m),
                     units[["unit_id", "geometry"]].to_crs(crs_m), predicate="within")
    school_town = {sid: index.towns[index.by_code[uid]] or None
                   for sid, uid in zip(hold["school_id"], hold["unit_id"], strict=True)}
    zoning: dict[tuple[str, str], tuple[str, int]] = {}  # (unit, section) → (school, row pos)
    matches: list[tuple] = []
    for pos, rec in enumerate(lists.to_dict("records")):
        sid, found = _school_of_row(rec, schools, src, pos)
        problems += found
        section = rec.get("section")
        if sid is not None and isinstance(section, str):
            kind = kinds[sid]
            if kind == "special":
                problems.append(src.at(pos, "section", f"school {sid} is a special-education "
                                       "school; special schools take no catchment"))
                sid = None
            elif section not in KIND_SECTIONS[kind]:
                problems.append(src.at(pos, "section", f"school {sid} is a {kind} school and has "
                                       f"no {section} section"))
                sid = None
            elif publics.get(sid) is False and not private_named.get(sid):
                private_named[sid] = True
                problems.append(src.at(pos, "school_id", f"school {sid} is private: a private "
                                       "school admits together with the public ones and has no "
                                       "catchment; the list is kept as given, and a re-zoning "
                                       "(planner optimize) gives these units public schools "
                                       "without moving a pupil", severity="warning"))
        text = rec.get("units")
        entries = [e for e in (_norm(x) for x in SEPARATORS.split(str(text or ""))) if e]
        if not entries:
            problems.append(src.at(pos, "units", "no unit named; list the villages and "
                                   "communities the school serves"))
            continue
        row_town = rec.get("township")
        row_town = _norm(row_town) if isinstance(row_town, str) and row_town.strip() else None
        if row_town is not None and index.has_towns and row_town not in index.townships:
            near = difflib.get_close_matches(row_town, sorted(index.townships), n=1, cutoff=0.5)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problems.append(src.at(pos, "township", f"no unit lies in a township named "
                                   f"{row_town!r}{hint}"))
            continue
        for entry in entries:
            unit, how, why = _resolve(entry, index, row_town,
                                      school_town.get(sid) if sid else None, units_src.layer)
            if unit is None:
                problems.append(src.at(pos, "units", f"{entry!r}: {why}"))
                continue
            if sid is None or not isinstance(section, str):
                continue
            uid = index.ids[unit]
            earlier = zoning.get((uid, section))
            if earlier is not None and earlier[0] != sid:
                problems.append(src.at(pos, "units", f"{entry!r} (unit {uid}) is already in the "
                                       f"{section} catchment of school {earlier[0]} (row "
                                       f"{earlier[1] + src.row_base}); a unit belongs to one "
                                       "catchment per section"))
                continue
            zoning[(uid, section)] = (sid, pos)
            matches.append((pos + src.row_base, sid, section, entry, uid, how))
    match_df = pd.DataFrame(matches, columns=["row", "school_id", "section", "entry",
                                              "unit_id", "matched_by"])
    table = pd.DataFrame(index=pd.Index(index.ids, name="unit_id"), columns=list(SECTIONS),
                         dtype=object)
    for (uid, sec), (sid, _) in zoning.items():
        table.at[uid, sec] = sid
    table = table.astype(object).where(table.notna(), None)
    if any(p.severity == "error" for p in problems):
        return None, table, match_df, problems
    geom = units.set_index("unit_id").geometry.to_crs(crs_m)
    rows = [{"school_id": sid, "section": sec, "geometry": geom[uid]}
            for (uid, sec), (sid, _) in zoning.items()]
    catch = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs_m)
    catch = catch.dissolve(by=["school_id", "section"], as_index=False, sort=True)
    catch["geometry"] = mend(catch.geometry)
    catch = catch[["school_id", "section", "geometry"]].to_crs(WGS84)
    counts = match_df["matched_by"].value_counts().to_dict()
    how = ", ".join(f"{counts[k]} {label}" for k, label in (
        ("code", "by unit code"), ("qualified_name", "by township + name"),
        ("row_township", "by name in the row's township"),
        ("school_township", "by name in the school's township"),
        ("county", "by a name unique in the county")) if counts.get(k))
    problems.append(Problem(src.file, src.layer, None, "", f"{len(match_df)} names matched to "
                            f"units ({how}); {len(catch)} catchments built as unions of their "
                            "units", severity="notice"))
    return catch, table, match_df, problems


def _resolve(entry: str, index: _UnitIndex, row_town: str | None, school_town: str | None,
             units_layer: str) -> tuple[int | None, str, str]:
    """Return (unit position, how it matched, "") or (None, "", why not)."""
    if entry in index.by_code:
        return index.by_code[entry], "code", ""
    name, strict, how = entry, row_town, "row_township"
    q = QUALIFIED.match(entry)
    if not index.by_name.get(entry) and q and _norm(q["town"]) in index.townships:
        name, strict, how = _norm(q["name"]), _norm(q["town"]), "qualified_name"
    if strict is not None:
        hits = index.lookup(name, strict)
        if len(hits) == 1:
            return hits[0], how, ""
        if hits:
            return None, "", index.describe(hits, units_layer)
        return None, "", (f"no unit of that name in {strict}{index.suggest(name, strict)}; use "
                          f"a name of {units_layer} or a unit code")
    if school_town is not None:
        hits = index.lookup(name, school_town)
        if len(hits) == 1:
            return hits[0], "school_township", ""
    hits = index.lookup(name, None)
    if len(hits) == 1:
        return hits[0], "county", ""
    if hits:
        return None, "", index.describe(hits, units_layer)
    return None, "", (f"no unit of that name{index.suggest(name, school_town)}; use a name of "
                      f"{units_layer} or a unit code")


# --- enrolment from zoning -----------------------------------------------------------------

def zoning_of_catchments(ws: Workspace) -> pd.DataFrame:
    """Return each unit's zoned school per section from catchment polygons (SPEC §3 rule)."""
    from planner.zoning import unit_catchments, zoning_table

    return zoning_table(unit_catchments(ws), ws.units["unit_id"])


def enrolment_from_zoning(
    units: pd.DataFrame, zoning: pd.DataFrame, src: v.Source
) -> tuple[pd.DataFrame, list[Problem]]:
    """Return the enrolment in which every child attends the zoned school of their unit.

    Parameters
    ----------
    units
        Units with children by grade g1 … g9.
    zoning
        Indexed by unit_id, columns primary and junior: a school_id or None.
    src
        Where the units came from, for messages.

    Returns
    -------
    The enrolment (unit_id, school_id, grade, students; no zero rows) and the problems: a unit
    with children of a section and no catchment of that section (they would be lost).
    """
    rows, problems = [], []
    for pos, rec in enumerate(units.to_dict("records")):
        uid = rec["unit_id"]
        for sec in SECTIONS:
            grades = section_grades(sec)
            children = sum(int(rec[f"g{g}"]) for g in grades)
            school = zoning.at[uid, sec] if uid in zoning.index else None
            if children and school is None:
                problems.append(src.at(pos, "unit_id", f"{children} {sec} children live here "
                                       f"but the unit is in no {sec} catchment; without an "
                                       "enrolment sheet every child attends the zoned school: "
                                       f"add the unit to a school's {sec} list"))
                continue
            rows += [(uid, school, g, int(rec[f"g{g}"])) for g in grades if int(rec[f"g{g}"])]
    out = pd.DataFrame(rows, columns=["unit_id", "school_id", "grade", "students"])
    return out, problems


RECONCILIATION_COLUMNS = ["school_id", "name", "section", "statistics", "children",
                          "difference", "share"]


def reconcile(schools: pd.DataFrame, zoned: pd.DataFrame) -> pd.DataFrame:
    """Return the school sections whose statistics differ from their catchment's children.

    Parameters
    ----------
    schools
        Schools with `students_primary` and `students_junior` (their statistics).
    zoned
        The enrolment of every child at the zoned school (:func:`enrolment_from_zoning`).

    Returns
    -------
    One row per differing school section (RECONCILIATION_COLUMNS): pupils in the statistics,
    children in the catchment, the difference (statistics − children) and its share of the
    children (NaN where the catchment has none), the largest shares first.
    """
    counted = zoned.assign(section=[section_of_grade(int(g)) for g in zoned["grade"]]) \
        .groupby(["school_id", "section"])["students"].sum()
    rows = []
    for rec in schools.to_dict("records"):
        if rec.get("kind") == "special":
            continue
        for sec in SECTIONS:
            given = rec.get(f"students_{sec}")
            children = int(counted.get((rec["school_id"], sec), 0))
            if not isinstance(given, int | np.integer) or int(given) == children:
                continue
            diff = int(given) - children
            rows.append((rec["school_id"], rec["name"], sec, int(given), children, diff,
                         diff / children if children else np.nan))
    out = pd.DataFrame(rows, columns=RECONCILIATION_COLUMNS)
    order = out["share"].abs().fillna(np.inf).sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def spread_statistics(
    schools: pd.DataFrame, zoned: pd.DataFrame, src: v.Source, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Return the enrolment with each school's statistics spread over its catchment's children.

    A school section whose statistics differ from its zoned children keeps its statistics: its
    pupils are shared among its (unit, grade) rows in proportion to their children, whole pupils
    by largest remainders, so the section's total is exactly its statistics. A section with
    pupils and no child in its catchment cannot be spread: an error at the school's row (such a
    school, a private one without a catchment say, needs the enrolment sheet 就读). Otherwise a
    notice names the largest differences.
    """
    table = reconcile(schools, zoned)
    if table.empty:
        return zoned, []
    problems: list[Problem] = []
    pos_of = {sid: pos for pos, sid in enumerate(schools["school_id"])}
    section = np.array([section_of_grade(int(g)) for g in zoned["grade"]])
    students = zoned["students"].to_numpy(dtype=np.int64).copy()
    for rec in table.to_dict("records"):
        sid, sec, given = rec["school_id"], rec["section"], rec["statistics"]
        if rec["children"] == 0:
            problems.append(src.at(pos_of[sid], f"students_{sec}", f"{given} {sec} pupils in "
                                   f"the school's statistics, but its {sec} catchment has no "
                                   "children to spread them over: add its units to its "
                                   "catchment (划片), or add the enrolment sheet 就读 saying "
                                   "where its pupils live"))
            continue
        rows = np.flatnonzero((zoned["school_id"].to_numpy() == sid) & (section == sec))
        students[rows] = largest_remainders(students[rows] * given / students[rows].sum(),
                                            given)
    if any(p.severity == "error" for p in problems):
        return zoned, problems
    out = zoned.assign(students=students)
    out = out[out["students"] > 0].reset_index(drop=True)
    largest = "; ".join(
        f"{r['name']} ({r['school_id']}, {r['section']}) {r['statistics']:,} pupils, "
        f"{r['children']:,} children ({r['difference']:+,}, {r['share']:+.1%})"
        for r in table.head(3).to_dict("records"))
    problems.append(Problem(file, "", None, "", f"the school statistics differ from the "
                            f"children of their catchments at {len(table)} school section(s) "
                            f"(statistics {int(table['statistics'].sum()):,} pupils, catchments "
                            f"{int(table['children'].sum()):,} children); the statistics are "
                            "kept for the indicators and each school's pupils are spread over "
                            "its catchment's units in proportion to their children, by grade; "
                            f"largest differences: {largest}", severity="notice"))
    return out, problems


def reconciliation(ws: Workspace) -> pd.DataFrame:
    """The reconciliation table of a workspace whose enrolment was derived from zoning.

    Empty for an enrolment given as a table, or where the statistics and the children agree.
    """
    if ws.meta.enrolment_source != ENROLMENT_FROM_ZONING or ws.units is None or \
            ws.catchments is None:
        return pd.DataFrame(columns=RECONCILIATION_COLUMNS)
    src = v.Source("", "", 1)
    zoned, _ = enrolment_from_zoning(ws.units, zoning_of_catchments(ws), src)
    return reconcile(ws.schools, zoned)


def derived_layers(ws: Workspace) -> dict[str, pd.DataFrame]:
    """Return the layers of a workspace that were derived on import, by layer name.

    `units` when their polygons are Voronoi cells, `catchments` and `zoning_matches` when the
    catchments were built from 划片 lists, `enrolment` when it was derived from zoning; empty
    for a workspace whose layers were all given. The app shows and offers these for download.
    """
    out: dict[str, pd.DataFrame] = {}
    if ws.meta.units_source and ws.units is not None:
        out["units"] = ws.units
    if ws.meta.catchments_source and ws.catchments is not None:
        out["catchments"] = ws.catchments
        if ws.zoning_matches is not None:
            out["zoning_matches"] = ws.zoning_matches
    if ws.meta.enrolment_source == ENROLMENT_FROM_ZONING and ws.enrolment is not None:
        out["enrolment"] = ws.enrolment
        table = reconciliation(ws)
        if len(table):
            out["reconciliation"] = table
    return out
