"""Open a workspace from what a bureau holds: a GeoPackage, an Excel workbook or CSV files.

Every route ends in :func:`assemble`, which maps headers, parses cells, checks geometries and
cross-layer references, collects every problem, and either raises one InputError or returns the
canonical :class:`~planner.workspace.Workspace` with the warnings of what it repaired.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import validate as v
from planner.errors import InputError, Problem
from planner.io import derive, tables
from planner.io.coords import SYSTEMS, parse_system, to_wgs84
from planner.io.gpkg import read_layers
from planner.io.raw import RawLayers
from planner.schema import (
    APPROVED_CLASS_COLUMNS,
    BIRTHS_RE,
    LAYER_COLUMNS,
    LONLAT_COLUMNS,
    REGIONS,
    SECTIONS,
    Column,
    columns_of,
)
from planner.workspace import (
    ENROLMENT_FROM_ZONING,
    WGS84,
    Meta,
    Workspace,
    canonical,
    empty_scenarios,
    projected_crs,
)

WKT_COLUMN = Column("wkt", "text", False, "几何WKT",
                    "Polygon as WKT (optional; units and developments only).",
                    "单元或住宅项目边界多边形 WKT（可选）", ("geometry_wkt", "边界"), nullable=True)
POINT_TYPES = ("Point",)
POLYGON_TYPES = ("Polygon", "MultiPolygon")
UNIT_TYPES = POINT_TYPES + POLYGON_TYPES
SPATIAL = {"schools": POINT_TYPES, "units": UNIT_TYPES, "catchments": POLYGON_TYPES,
           "developments": POLYGON_TYPES}
TABLES = ("schools", "units", "catchments", "enrolment", "county", "births", "enrolment_history",
          "developments", "zoning_matches")
OPTIONAL_GEOMETRY = {"developments"}  # rows may have a unit_id instead of a polygon


def open_workspace(
    path: str | Path, *, coords: str | None = None, region: str | None = None,
    boundary: str | Path | None = None,
) -> tuple[Workspace, list[Problem]]:
    """Open and validate a workspace from a .gpkg, .xlsx, .csv or a folder of CSV files.

    Parameters
    ----------
    path
        The file. A .csv is a schools table; a folder holds schools.csv and optionally
        units.csv, enrolment.csv, county.csv, births.csv … (or their Chinese names).
    coords
        The coordinate system of lon/lat columns in tables (wgs84, cgcs2000, gcj02, bd09);
        overrides the workbook's settings sheet. GeoPackage layers carry their own CRS.
    region
        "china" or "any"; overrides the workspace's meta `region` (see
        :class:`~planner.workspace.Meta`).
    boundary
        A county boundary file (GeoJSON, Shapefile, GeoPackage, KML) to cut point units into
        Voronoi polygons; overrides the workbook's setting 县域边界 (a file name beside the
        workbook). Without either, point units from tables are cut to a buffer of their hull.

    Returns
    -------
    The workspace and the warnings (repairs made) and notices.

    Raises
    ------
    InputError
        With every problem found, each located by file, layer, row and column.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".csv":
        raw = tables.read_csv_tables(path)
    elif suffix in (".xlsx", ".xlsm"):
        raw = tables.read_workbook(path)
    elif suffix == ".gpkg":
        raw = read_gpkg_raw(path)
    else:
        msg = (f"unsupported file type {suffix or '(none)'}; give a .gpkg workspace, an .xlsx "
               "workbook (see `planner template`), a .csv schools table or a folder of CSV files")
        raise InputError.single(path.name, msg)
    named = raw.meta.get("boundary", "")
    if boundary is None and named:
        layer, row, column = raw.meta_where.get("boundary", ("", None, "boundary"))
        if Path(named).name != named:
            raise InputError.single(path.name, f"the boundary is named by its file name only, "
                                    f"beside the workbook; got {named!r}", layer=layer, row=row,
                                    column=column)
        try:
            raw.boundary = derive.read_boundary(path.parent / named)
        except InputError as exc:  # say where the boundary was named
            raise InputError.single(path.name, f"{named}: {exc.problems[0].message} (the file "
                                    "is looked for beside the workbook)", layer=layer, row=row,
                                    column=column) from exc
        raw.boundary_name = named
    elif boundary is not None:
        raw.boundary, raw.boundary_name = derive.read_boundary(boundary), Path(boundary).name
    return assemble(raw, coords=coords, region=region)


def read_gpkg_raw(path: Path) -> RawLayers:
    """Read a GeoPackage's layers as they are, for :func:`assemble`."""
    layers = read_layers(path)
    raw = RawLayers(file=path.name)
    for name in TABLES:
        if name in layers:
            raw.layers[name] = (layers[name], v.Source(path.name, f"layer {name}", 1))
    if "meta" in layers:
        m = layers["meta"]
        if {"key", "value"} <= set(m.columns):
            for row, (k, x) in enumerate(zip(m["key"], m["value"], strict=True), start=1):
                raw.meta[str(k)] = "" if pd.isna(x) else str(x)
                raw.meta_where[str(k)] = ("layer meta", row, "value")
        else:
            raise InputError.single(path.name, "the meta table needs the columns `key` and "
                                    "`value`", layer="layer meta")
    for name in ("nodes", "edges"):
        if name in layers:
            raw.roads[name] = layers[name]
    if "scenarios" in layers:
        raw.scenarios = layers["scenarios"]
    if "distances" in layers:
        raw.distances = layers["distances"]
    return raw


@dataclass
class _Layers:
    """Layers parsed so far, with their sources and what cannot be used.

    Attributes
    ----------
    frames
        Layer name → parsed frame (a GeoDataFrame once its geometry is checked).
    sources
        Layer name → where its rows came from, for messages.
    unusable
        Layers whose columns cannot be cross-checked.
    no_geometry
        Spatial layers whose geometry cannot be used.
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, v.Source] = field(default_factory=dict)
    unusable: set[str] = field(default_factory=set)
    no_geometry: set[str] = field(default_factory=set)

    def usable(self, *names: str) -> bool:
        """Whether every layer named is parsed and its columns can be cross-checked."""
        return all(n in self.frames and n not in self.unusable for n in names)


def assemble(
    raw: RawLayers, *, coords: str | None = None, region: str | None = None
) -> tuple[Workspace, list[Problem]]:
    """Validate raw layers and build the canonical workspace (see the module docstring)."""
    problems: list[Problem] = []
    system = _coord_system(raw, coords, problems)
    meta = _meta_values(raw, region, problems)
    if "schools" not in raw.layers:
        names = ", ".join(sorted(raw.layers)) or "none"
        problems.append(Problem(raw.file, "", None, "", f"no schools layer or sheet (found: "
                                f"{names}); name it `schools` or 学校"))
        raise InputError(problems)
    layers = _parse_layers(raw, system, problems)
    crs_m = meta.crs or _auto_crs(layers.frames.get("schools"), meta.region)
    problems += _geometries(layers, crs_m, meta.region)
    derived, found = _derive(raw, layers.frames, layers.sources,
                             layers.unusable | layers.no_geometry, crs_m)
    problems += found
    problems += _school_checks(layers, derived, crs_m)
    problems += _table_checks(layers, meta.year)
    nodes, edges, road_problems = _roads(raw)
    problems += road_problems
    if raw.scenarios is not None and not raw.scenarios.empty:
        problems += v.check_scenarios(raw.scenarios, raw.file)
    if raw.distances is not None:
        problems += v.check_distances(raw.distances, raw.file)
    if meta.region == "any":
        problems.append(Problem(raw.file, "", None, "", f"region is `any`: locations are not "
                                f"checked against China's extent; distances are measured in "
                                f"{crs_m}", severity="notice"))
    if any(p.severity == "error" for p in problems):
        raise InputError([p for p in problems if p.severity != "notice"])

    parsed = layers.frames
    schools = parsed["schools"]
    if "schools" not in layers.unusable:
        schools, notes = _capacity(schools, meta.profile or "national_2017",
                                   layers.sources["schools"])
        problems += notes
    ws = Workspace(
        schools=canonical(schools, "schools"),
        meta=Meta(
            crs=crs_m,
            standards_profile=meta.profile or "national_2017",
            name=meta.name,
            synthetic=meta.synthetic,
            distances_key=meta.distances_key if raw.distances is not None else "",
            region=meta.region,
            year=meta.year,
            enrolment_source=derived.enrolment_source or meta.enrolment_source,
            units_source=derived.units_source or meta.units_source,
            catchments_source=derived.catchments_source or meta.catchments_source,
            notice=meta.notice,
        ),
        units=_maybe(parsed, "units"),
        catchments=_maybe(parsed, "catchments"),
        enrolment=_maybe(parsed, "enrolment"),
        county=_maybe(parsed, "county"),
        births=_maybe(parsed, "births"),
        enrolment_history=_maybe(parsed, "enrolment_history"),
        developments=_developments(parsed),
        zoning_matches=_maybe(parsed, "zoning_matches"),
        nodes=nodes,
        edges=edges,
        scenarios=_scenarios(raw.scenarios),
        distances=_distances(raw.distances),
    )
    return ws, [p for p in problems if p.severity != "error"]


def _meta_values(raw: RawLayers, region: str | None, problems: list[Problem]) -> v.MetaValues:
    """The meta table's values checked, with the region given on the command line."""
    meta, found = v.check_meta(raw.meta, raw.meta_where, raw.file)
    problems += found
    if region is None:
        return meta
    if region not in REGIONS:
        problems.append(Problem(raw.file, "", None, "", f"unknown region {region!r}; use "
                                "china or any"))
        return meta
    return replace(meta, region=region)


def _parse_layers(raw: RawLayers, system: str, problems: list[Problem]) -> _Layers:
    """Map the headers and parse the cells of every layer; build tables' point geometries."""
    out = _Layers()
    for name in (*TABLES, "zoning_lists"):
        if name not in raw.layers:
            continue
        frame, src = raw.layers[name]
        extra = _extra_columns(name, raw.from_tables)
        mapped, src, found = v.map_headers(frame, name, src, extra=extra)
        if any(p.column in {c.name for c in columns_of(name)} and "missing" in p.message
               for p in found):
            out.unusable.add(name)
        cells, found_cells = v.parse_cells(mapped, name, src, extra=extra)
        found += found_cells
        if len(cells) == 0 and name == "schools":
            found.append(src.at(None, "", "the layer has no rows"))
            out.unusable.add(name)
        out.sources[name] = src
        if raw.from_tables and name in SPATIAL:
            geo_cols = {src.header(c) for c in ("lon", "lat", "wkt")}
            if any(p.column in geo_cols for p in found):
                out.no_geometry.add(name)
            else:
                cells, geo_found = _table_geometry(cells, name, src, system)
                found += geo_found
                if geo_found:
                    out.no_geometry.add(name)
        problems += found
        out.frames[name] = cells
    return out


def _geometries(layers: _Layers, crs_m: str, region: str) -> list[Problem]:
    """Check the spatial layers' geometries; keep them as WGS84 GeoDataFrames."""
    problems: list[Problem] = []
    for name, allowed in SPATIAL.items():
        if name not in layers.frames or name in layers.no_geometry:
            continue
        gdf, found = _spatial(layers.frames[name], layers.sources[name], allowed, crs_m, region,
                              optional=name in OPTIONAL_GEOMETRY)
        problems += found
        if any(p.severity == "error" for p in found):
            layers.no_geometry.add(name)
        else:
            layers.frames[name] = gdf
    return problems


def _school_checks(layers: _Layers, derived: derive.Derived, crs_m: str) -> list[Problem]:
    """Check the schools: their own columns, places, references, totals and locations."""
    if "schools" in layers.unusable:
        return []
    parsed, sources = layers.frames, layers.sources
    schools, src = parsed["schools"], sources["schools"]
    problems = v.check_schools(schools, src) + v.check_capacity(schools, src)
    if not layers.unusable & {"units", "catchments", "enrolment"}:
        problems += v.check_references(
            schools=schools,
            units=parsed.get("units"),
            catchments=parsed.get("catchments"),
            enrolment=parsed.get("enrolment"),
            sources=sources,
        )
    if layers.usable("enrolment") and derived.enrolment_source != ENROLMENT_FROM_ZONING:
        problems += v.check_totals(schools, parsed["enrolment"], src)  # derived: spread
    if "units" in parsed and not layers.no_geometry & {"units", "schools"}:
        boundary = _boundary(parsed["units"], crs_m)
        problems += v.check_inside(schools, boundary, crs_m, src)
    return problems


def _table_checks(layers: _Layers, year: int | None) -> list[Problem]:
    """Check births (from a table or `births_YYYY` unit columns), history and developments."""
    parsed, sources = layers.frames, layers.sources
    unit_ids = set(parsed["units"]["unit_id"].dropna()) if layers.usable("units") else None
    births_from_units, problems = _births_from_units(parsed, sources)
    if births_from_units is not None:
        parsed["births"] = births_from_units
    if layers.usable("births"):
        problems += v.check_births(parsed["births"], unit_ids, sources["births"], year)
    if layers.usable("enrolment_history", "schools"):
        kinds = {sid: k for sid, k in zip(parsed["schools"]["school_id"],
                                          parsed["schools"]["kind"], strict=True)
                 if isinstance(k, str)}
        problems += v.check_history(parsed["enrolment_history"], unit_ids, kinds,
                                    sources["enrolment_history"], year)
    if layers.usable("developments"):
        problems += v.check_developments(parsed["developments"], unit_ids,
                                         sources["developments"])
    return problems


def _derive(
    raw: RawLayers, parsed: dict[str, pd.DataFrame], sources: dict[str, v.Source],
    broken: set[str], crs_m: str,
) -> tuple[derive.Derived, list[Problem]]:
    """Derive what a bureau's files leave out: unit polygons, catchments, enrolment.

    Point units from tables (or with a boundary given) become Voronoi cells; 划片 lists become
    catchments; without an enrolment layer, units and catchments give the enrolment of
    children at their zoned schools. See :mod:`planner.io.derive`.
    """
    out = derive.Derived()
    problems: list[Problem] = []
    units = parsed.get("units")
    usable = units is not None and "units" not in broken
    if usable and (raw.from_tables or raw.boundary is not None) and len(units) and (
            units.geom_type == "Point").all():
        cells, source, found = derive.unit_polygons(units, sources["units"], crs_m,
                                                    raw.boundary, raw.boundary_name, raw.file)
        problems += found
        if cells is None:
            return out, problems
        parsed["units"], out.units_source = cells, source
    elif raw.boundary is not None:
        problems.append(Problem(raw.boundary_name, "", None, "", "a boundary is used to cut "
                                "unit polygons from unit points; these units have polygons "
                                "already (or none are given)"))
    zoning = None
    if "zoning_lists" in parsed:
        lists_src = sources["zoning_lists"]
        if "catchments" in parsed:
            problems.append(lists_src.at(None, "", "catchments are given twice: as polygons "
                                         "and as 划片 lists; keep one"))
            return out, problems
        if not usable or "zoning_lists" in broken or "schools" in broken:
            return out, problems
        catch, zoning, matches, found = derive.catchments_from_lists(
            parsed.pop("zoning_lists"), lists_src, parsed["units"], sources["units"],
            parsed["schools"], crs_m)
        problems += found
        if catch is None:
            return out, problems
        parsed["catchments"], parsed["zoning_matches"] = catch, matches
        sources["catchments"] = lists_src
        out.catchments_source = "lists"
    if "enrolment" not in parsed and usable and "catchments" in parsed and not (
            broken & {"catchments", "schools"}):
        if zoning is None:
            ws = Workspace(schools=parsed["schools"], meta=Meta(crs=crs_m),
                           units=parsed["units"], catchments=parsed["catchments"])
            zoning = derive.zoning_of_catchments(ws)
        enrol, found = derive.enrolment_from_zoning(parsed["units"], zoning, sources["units"])
        problems += found
        spread: list[Problem] = []
        if not found:  # the school statistics kept, their pupils spread over the catchments
            enrol, spread = derive.spread_statistics(parsed["schools"], enrol,
                                                     sources["schools"], raw.file)
        parsed["enrolment"] = enrol
        sources["enrolment"] = sources["units"]
        out.enrolment_source = ENROLMENT_FROM_ZONING
        problems.append(Problem(raw.file, "", None, "", "no enrolment given: every child is "
                                "taken to attend the zoned school of the unit they live in "
                                f"({int(enrol['students'].sum()):,} children); the workspace "
                                "records it (meta enrolment_source = zoning)",
                                severity="notice"))
        problems += spread
    return out, problems


def _births_from_units(
    parsed: dict[str, pd.DataFrame], sources: dict[str, v.Source]
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Turn `births_YYYY` unit columns into the births table (and drop them from the units)."""
    units = parsed.get("units")
    if units is None:
        return None, []
    cols = [c for c in units.columns if BIRTHS_RE.match(str(c))]
    if not cols:
        return None, []
    src = sources["units"]
    if "births" in parsed:
        return None, [src.at(None, cols[0], "births are given twice: as `births_YYYY` columns "
                             "of the units and as a births table; keep one")]
    problems: list[Problem] = []
    col = LAYER_COLUMNS["births"][2]
    rows = []
    for c in cols:
        year = int(BIRTHS_RE.match(str(c)).group(1))
        for pos, (uid, value) in enumerate(zip(units["unit_id"], units[c], strict=True)):
            if v.is_blank(value):
                continue
            number, expected = v.parse_cell(value, col, 1.0)
            if expected is not None:
                problems.append(src.at(pos, c, f"expected {expected}, got {v.show(value)}"))
                continue
            rows.append((uid, year, number))
    parsed["units"] = units.drop(columns=cols)
    births = pd.DataFrame(rows, columns=["unit_id", "year", "births"])
    year_col = LAYER_COLUMNS["births"][1]
    problems += [src.at(None, f"births_{y}", f"the year in the header: expected "
                        f"{v.parse_cell(y, year_col, 1.0)[1]}, got {y}")
                 for y in sorted(births["year"].unique()) if v.parse_cell(y, year_col, 1.0)[1]]
    sources["births"] = v.Source(src.file, src.layer, src.row_base, src.headers)
    return births, problems


def _capacity(schools: pd.DataFrame, profile: str, src: v.Source
              ) -> tuple[pd.DataFrame, list[Problem]]:
    """Fill approved places from approved classes and `shrink_only` by kind.

    Approved classes (核定班数) become places at the profile's class-size cap where a school's
    places are empty; `shrink_only` left empty is true for teaching points.
    """
    from planner.standards import get_profile

    standards = get_profile(profile)
    out = schools.copy()
    notes: list[Problem] = []
    for sec in SECTIONS:
        classes_col, places_col = f"approved_classes_{sec}", f"approved_places_{sec}"
        if classes_col not in out.columns:
            continue
        cap = standards.section(sec).class_size_cap
        places = (out[places_col].tolist() if places_col in out.columns
                  else [None] * len(out))
        classes = out[classes_col].tolist()
        filled = 0
        for i, (p, c) in enumerate(zip(places, classes, strict=True)):
            if (p is None or (isinstance(p, float) and np.isnan(p))) and isinstance(c, int):
                places[i] = c * cap
                filled += 1
        out[places_col] = pd.Series(places, index=out.index, dtype="object")
        out = out.drop(columns=classes_col)
        if filled:
            notes.append(src.at(None, classes_col, f"approved {sec} places of {filled} "
                                f"school(s) taken as approved classes × {cap} (the class-size "
                                f"cap of profile {standards.name})", severity="notice"))
    kinds = out["kind"].tolist()
    flags = out["shrink_only"].tolist() if "shrink_only" in out.columns else [None] * len(out)
    out["shrink_only"] = [k == "teaching_point" if f is None or (isinstance(f, float)
                                                                 and np.isnan(f)) else bool(f)
                          for f, k in zip(flags, kinds, strict=True)]
    return out, notes


def _developments(parsed: dict[str, pd.DataFrame]) -> gpd.GeoDataFrame | None:
    if "developments" not in parsed:
        return None
    dev = parsed["developments"]
    if not isinstance(dev, gpd.GeoDataFrame):
        dev = gpd.GeoDataFrame(dev, geometry=[None] * len(dev), crs=WGS84)
    return gpd.GeoDataFrame(canonical(dev, "developments"), crs=WGS84)


def _maybe(parsed: dict[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    return canonical(parsed[name], name) if name in parsed else None


def _extra_columns(name: str, from_tables: bool) -> tuple[Column, ...]:
    if name == "schools":
        return (LONLAT_COLUMNS if from_tables else ()) + APPROVED_CLASS_COLUMNS
    if not from_tables:
        return ()
    if name == "units":
        return tuple(Column(c.name, c.kind, False, c.zh, c.en, c.zh_doc, c.aliases)
                     for c in LONLAT_COLUMNS) + (WKT_COLUMN,)
    if name == "developments":
        return (WKT_COLUMN,)
    return ()


def _coord_system(raw: RawLayers, coords: str | None, problems: list[Problem]) -> str:
    declared = coords if coords is not None else raw.meta.get("coord_system")
    if declared is None or declared == "":
        return "wgs84"
    system = parse_system(declared)
    if system is None:
        problems.append(Problem(raw.file, "" if coords is not None else "sheet 设置", None,
                                "坐标系" if coords is None else "", f"unknown coordinate system "
                                f"{declared!r}; use one of {', '.join(SYSTEMS)} (WGS84, "
                                "CGCS2000, GCJ-02, BD-09)"))
        return "wgs84"
    return system


def _table_geometry(
    df: pd.DataFrame, name: str, src: v.Source, system: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Build WGS84 geometries from lon/lat (or WKT for units) in the declared system."""
    problems: list[Problem] = []
    has_wkt = "wkt" in df.columns and df["wkt"].notna().any()
    has_lonlat = "lon" in df.columns and "lat" in df.columns
    if name in OPTIONAL_GEOMETRY and not has_wkt:
        out = df.drop(columns=[c for c in ("wkt",) if c in df.columns])
        return gpd.GeoDataFrame(out, geometry=[None] * len(df), crs=WGS84), problems
    if name == "units" and not has_wkt and not has_lonlat:
        problems.append(src.at(None, "lon", "units need `lon` and `lat` (经度, 纬度) or a `wkt` "
                               "polygon column"))
        return gpd.GeoDataFrame(df, geometry=[None] * len(df), crs=WGS84), problems
    if has_wkt:
        geoms = []
        for pos, text in enumerate(df["wkt"].tolist()):
            try:
                geoms.append(shapely.from_wkt(text) if isinstance(text, str) else None)
            except shapely.errors.GEOSException:
                problems.append(src.at(pos, "wkt", f"not a WKT geometry: {text[:40]!r}"))
                geoms.append(None)
        geom = np.array(geoms, dtype=object)
        mask = np.array([g is not None for g in geoms])
        geom[mask] = shapely.transform(geom[mask], lambda xy: np.column_stack(
            to_wgs84(xy[:, 0], xy[:, 1], system)))
    else:
        lon, lat = to_wgs84(df["lon"].astype(float).to_numpy(),
                            df["lat"].astype(float).to_numpy(), system)
        geom = shapely.points(lon, lat)
    out = gpd.GeoDataFrame(df.drop(columns=[c for c in ("lon", "lat", "wkt") if c in df.columns]),
                           geometry=list(geom), crs=WGS84)
    return out, problems


def _spatial(
    df: pd.DataFrame, src: v.Source, allowed: tuple[str, ...], crs_m: str, region: str,
    *, optional: bool = False,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    if not isinstance(df, gpd.GeoDataFrame):
        if optional:  # a table without polygons (developments by unit_id)
            return gpd.GeoDataFrame(df, geometry=[None] * len(df), crs=WGS84), []
        return df, [src.at(None, "", "the layer has no geometry; it must be a spatial layer")]
    if df.crs is None:
        if optional and df.geometry.isna().all():
            return df.set_crs(WGS84), []
        return df, [src.at(None, "", "the layer has no coordinate reference system; assign one "
                           "(EPSG:4326 for longitude/latitude) in your GIS and save again")]
    gdf, problems = v.check_geometries(df, src, allowed=allowed, crs_m=crs_m, optional=optional)
    if any(p.severity == "error" for p in problems):
        return gdf, problems
    gdf = gdf.to_crs(WGS84)
    problems += v.check_region_points(gdf, src, region)
    return gdf, problems


def _auto_crs(schools: pd.DataFrame | None, region: str) -> str:
    lon = lat = float("nan")
    if isinstance(schools, gpd.GeoDataFrame) and schools.crs is not None and len(schools):
        pts = schools.geometry.dropna()
        pts = pts[~pts.is_empty]
        if len(pts) and pts.geom_type.eq("Point").all():
            pts = pts.to_crs(WGS84)
            lon, lat = float(pts.x.mean()), float(pts.y.mean())
    elif schools is not None and "lon" in schools.columns:
        lon = float(pd.to_numeric(schools["lon"], errors="coerce").mean())
        lat = float(pd.to_numeric(schools["lat"], errors="coerce").mean())
    return projected_crs(lon, lat, region)


def _boundary(units: gpd.GeoDataFrame, crs_m: str) -> object:
    polys = units[units.geom_type.isin(POLYGON_TYPES)]
    if polys.empty:
        return None
    return polys.to_crs(crs_m).union_all()


def _roads(raw: RawLayers) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None,
                                    list[Problem]]:
    nodes, edges = raw.roads.get("nodes"), raw.roads.get("edges")
    problems: list[Problem] = []
    if nodes is None and edges is None:
        return None, None, problems

    def problem(layer: str, row: int | None, column: str, message: str) -> None:
        problems.append(Problem(raw.file, f"layer {layer}", row, column, message))

    if nodes is None or edges is None:
        problem("nodes" if nodes is None else "edges", None, "",
                "a road network needs both a `nodes` and an `edges` layer")
        return None, None, problems
    for layer, gdf, cols in (("nodes", nodes, ("osmid", "x", "y")),
                             ("edges", edges, ("u", "v", "key", "length"))):
        missing = [c for c in cols if c not in gdf.columns]
        if missing:
            problem(layer, None, ", ".join(missing),
                    "road layers must be written as osmnx writes them; missing column(s)")
        if getattr(gdf, "crs", None) is None:
            problem(layer, None, "", "the layer has no coordinate reference system")
    if not problems and (edges["length"] < 0).any():
        pos = int(np.flatnonzero(edges["length"].to_numpy() < 0)[0])
        problem("edges", pos + 1, "length", "edge lengths are metres and cannot be negative")
    return nodes, edges, problems


def _distances(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """The cached distance table (checked by `validate.check_distances`)."""
    cols = ["unit_id", "school_id", "distance_m", "method"]
    if df is None:
        return None
    out = df[cols].reset_index(drop=True)
    return out.astype({"unit_id": "str", "school_id": "str", "distance_m": "float64",
                       "method": "str"})


def _scenarios(df: pd.DataFrame | None) -> pd.DataFrame:
    if df is None or df.empty:
        return empty_scenarios()
    return df.reset_index(drop=True).astype("str")
