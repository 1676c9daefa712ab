"""The workspace: one county's layers as a typed in-memory model (SPEC §5).

Layers are kept in WGS84 (EPSG:4326) with canonical English columns and canonical dtypes, so a
workspace read back from its GeoPackage equals the one written. Distances and areas are computed
in `meta.crs`, a projected CRS (CGCS2000 3-degree Gauss-Krüger by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.schema import GRADES, LAYER_COLUMNS, SCENARIO_COLUMNS, SCHEMA_VERSION, Column

WGS84 = "EPSG:4326"
# How a workspace's enrolment came to be (meta `enrolment_source`).
ENROLMENT_FROM_TABLE = "table"  # the bureau's enrolment sheet or layer
ENROLMENT_FROM_ZONING = "zoning"  # none was given: children attend their zoned school
# A catchment is its units dissolved, hairline gaps under 2 × MEND_M closed (see mend).
MEND_M = 0.01


def mend(geometry):
    """Close the hairline gaps between dissolved units: what makes a catchment one piece.

    A dilation then an erosion by `MEND_M` metres (round joins, 16 segments a quarter
    circle) closes the reprojection noise between units that share a boundary, and the
    point where two units meet corner to corner, without reaching across a real gap (two
    units 2 × MEND_M apart or more stay apart). The one rule for both the catchments a plan
    exports (`plan.catchments_from_zoning`, the demo, the importer) and the units'
    adjacency the contiguity rules read (`optimize.unit_neighbours`), so that a catchment
    the rules call contiguous is printed as one polygon.

    Parameters
    ----------
    geometry
        A shapely geometry, an array of them or a GeoSeries, in a metric CRS.

    Returns
    -------
    The same kind of object (a GeoSeries keeps its index and CRS).
    """
    if isinstance(geometry, gpd.GeoSeries):
        return gpd.GeoSeries(mend(geometry.to_numpy()), index=geometry.index, crs=geometry.crs)
    return shapely.buffer(shapely.buffer(geometry, MEND_M, quad_segs=16), -MEND_M, quad_segs=16)


@dataclass(frozen=True)
class Meta:
    """What a workspace says about itself (the `meta` table).

    Attributes
    ----------
    crs
        The projected CRS used for distances and areas, e.g. "EPSG:4547" (meta key `crs`).
    standards_profile
        The name of the built-in standards profile the county is evaluated against (meta key
        `profile`; files written before schema 2 call it `standards_profile`).
    name
        The county's name.
    synthetic
        True for generated data (the demo county); maps and reports say so.
    schema_version
        The data-contract version the file was written with.
    distances_key
        The key of the cached `distances` table (network and points), or "" for none.
    region
        "china" (points outside China are refused; CGCS2000 Gauss-Krüger CRS) or "any" (a
        notice only; the CRS is the data's UTM zone).
    year
        The school year the enrolment describes (its autumn's calendar year: 2026 is the
        2026–27 school year), or None when the data does not say.
    enrolment_source
        "table" when the enrolment came with the data, "zoning" when none was given and every
        child is taken to attend the zoned school (every output should say so).
    units_source
        How the units' polygons came to be: "" (given), "voronoi_boundary" (Voronoi cells of
        the units' points clipped to a county boundary file) or "voronoi_hull" (clipped to a
        buffer of the points' hull).
    catchments_source
        "" (given as polygons) or "lists" (unions of the units named in 划片 lists).
    notice
        The catchment notice's texts the bureau set (key, text): issuing body, date, clauses
        (keys of planner.report.notice.NOTICE_SETTINGS); unset ones print marked defaults.
    """

    crs: str
    standards_profile: str = "national_2017"
    name: str = ""
    synthetic: bool = False
    schema_version: str = SCHEMA_VERSION
    distances_key: str = ""
    region: str = "china"
    year: int | None = None
    enrolment_source: str = ENROLMENT_FROM_TABLE
    units_source: str = ""
    catchments_source: str = ""
    notice: tuple[tuple[str, str], ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Return the meta table as key/value rows."""
        rows = [
            ("schema_version", self.schema_version),
            ("profile", self.standards_profile),
            ("crs", self.crs),
            ("name", self.name),
            ("synthetic", "true" if self.synthetic else "false"),
            ("distances_key", self.distances_key),
            ("region", self.region),
            ("year", "" if self.year is None else str(self.year)),
            ("enrolment_source", self.enrolment_source),
            ("units_source", self.units_source),
            ("catchments_source", self.catchments_source),
            *self.notice,
        ]
        return pd.DataFrame(rows, columns=["key", "value"]).astype("str")


def empty_scenarios() -> pd.DataFrame:
    """Return an empty `scenarios` table with its columns."""
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in SCENARIO_COLUMNS})


@dataclass(frozen=True)
class Workspace:
    """One county: schools and, where the user has them, the other layers.

    Attributes
    ----------
    schools
        Points, one row per school, canonical columns (SPEC §5).
    units
        Residential planning units (Polygon or Point) with children by grade, or None.
    catchments
        Catchment polygons by school and section, or None.
    enrolment
        Where each unit's children attend: unit_id, school_id, grade, students; or None.
    county
        County-level indicator values with evidence, or None.
    births
        Births by unit and calendar year (unit_id, year, births), or None.
    enrolment_history
        Enrolment of earlier school years (year, unit_id, school_id, grade, students), for
        measured grade progression; or None. Its school ids may name schools closed since.
    developments
        Housing developments (unit_id and/or polygon, first_year, dwellings, optional
        children_per100_g1..g9), a GeoDataFrame whose geometry may be None; or None. See
        :func:`development_units` for their dwellings by unit.
    zoning_matches
        When the catchments were built from 划片 lists: how each listed name was matched to a
        unit (row, school_id, section, entry, unit_id, matched_by); or None.
    nodes, edges
        The road network as osmnx writes it (`osmid` on nodes; `u`, `v`, `key`, `length` in
        metres on edges), or None.
    meta
        CRS, standards profile, name, synthetic flag.
    scenarios
        Saved scenarios (name, base, created, author, note, edits as JSON).
    distances
        A cached unit × school distance table (unit_id, school_id, distance_m, method), valid
        while `meta.distances_key` matches the network and the points; or None.
    """

    schools: gpd.GeoDataFrame
    meta: Meta
    units: gpd.GeoDataFrame | None = None
    catchments: gpd.GeoDataFrame | None = None
    enrolment: pd.DataFrame | None = None
    county: pd.DataFrame | None = None
    births: pd.DataFrame | None = None
    enrolment_history: pd.DataFrame | None = None
    developments: gpd.GeoDataFrame | None = None
    zoning_matches: pd.DataFrame | None = None
    nodes: gpd.GeoDataFrame | None = None
    edges: gpd.GeoDataFrame | None = None
    scenarios: pd.DataFrame = field(default_factory=empty_scenarios)
    distances: pd.DataFrame | None = None

    def layers(self) -> dict[str, pd.DataFrame]:
        """Return the layers that are present, by their GeoPackage names."""
        out: dict[str, pd.DataFrame] = {"schools": self.schools}
        for name in ("units", "catchments", "enrolment", "county", "births",
                     "enrolment_history", "developments", "zoning_matches", "nodes", "edges"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["meta"] = self.meta.to_frame()
        out["scenarios"] = self.scenarios
        if self.distances is not None:
            out["distances"] = self.distances
        return out

    def replace(self, **changes: object) -> Workspace:
        """Return a copy with some layers replaced."""
        return replace(self, **changes)


def utm_like_crs(lon: float) -> str:
    """Return the CGCS2000 3-degree Gauss-Krüger CRS whose central meridian is nearest `lon`.

    China's surveying CRS family: EPSG:4534 is CM 75°E, and each code after it moves the
    central meridian 3° east, up to EPSG:4554 at CM 135°E.
    """
    if not 73.5 <= lon <= 136.5 or math.isnan(lon):
        return "EPSG:3857" if math.isnan(lon) else utm_crs(lon, 0.0)
    cm = int(round(lon / 3.0)) * 3
    return f"EPSG:{4534 + (cm - 75) // 3}"


def utm_crs(lon: float, lat: float) -> str:
    """Return the WGS84 / UTM zone CRS of a point (EPSG:326zz north, 327zz south)."""
    zone = min(60, int((lon + 180) // 6) + 1)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def projected_crs(lon: float, lat: float, region: str = "china") -> str:
    """Return the projected CRS for data centred at (lon, lat), by the workspace's region.

    "china": the CGCS2000 3-degree Gauss-Krüger zone (:func:`utm_like_crs`); "any": the
    WGS84 UTM zone of the point. Web Mercator when the centre is unknown (NaN).
    """
    if math.isnan(lon) or math.isnan(lat):
        return "EPSG:3857"
    return utm_crs(lon, lat) if region == "any" else utm_like_crs(lon)


def development_units(ws: Workspace) -> pd.DataFrame:
    """Return the housing developments' dwellings by unit, ready for a projection.

    A development with a `unit_id` is in that unit. One given only as a polygon is split over
    the units it overlaps in proportion to the overlapping area (in `meta.crs`), rounded so that
    the dwellings add up exactly (largest remainders). Children per 100 dwellings stay as given
    (NaN: the profile's default).

    Returns
    -------
    Columns `development` (row position in `ws.developments`), `unit_id`, `first_year`,
    `dwellings` and `children_per100_g1` … `g9`; empty when there are no developments.
    """
    per100 = [f"children_per100_g{g}" for g in GRADES]
    cols = ["development", "unit_id", "first_year", "dwellings", *per100]
    dev = ws.developments
    if dev is None or dev.empty:
        return pd.DataFrame({c: pd.Series([], dtype="float64" if c in per100 else
                                          "str" if c == "unit_id" else "int64") for c in cols})
    rows: list[dict] = []
    has_geom = isinstance(dev, gpd.GeoDataFrame) and ws.units is not None
    units_m = ws.units.to_crs(ws.meta.crs) if has_geom else None
    geoms = dev.geometry.to_crs(ws.meta.crs) if has_geom else None
    for pos, rec in enumerate(dev.to_dict("records")):
        base = {"development": pos, "first_year": int(rec["first_year"]),
                **{c: float(rec.get(c, np.nan)) if rec.get(c) is not None else np.nan
                   for c in per100}}
        uid = rec.get("unit_id")
        if isinstance(uid, str) and uid:
            rows.append({**base, "unit_id": uid, "dwellings": int(rec["dwellings"])})
            continue
        geom = geoms.iloc[pos] if geoms is not None else None
        if geom is None or geom.is_empty:
            continue
        share = units_m.geometry.intersection(geom).area.to_numpy()
        share = share / share.sum() if share.sum() > 0 else share
        exact = share * int(rec["dwellings"])
        whole = largest_remainders(exact, int(rec["dwellings"]))
        for j in np.flatnonzero(whole):
            rows.append({**base, "unit_id": str(units_m["unit_id"].iloc[j]),
                         "dwellings": int(whole[j])})
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"development": "int64", "unit_id": "str", "first_year": "int64",
                       "dwellings": "int64", **dict.fromkeys(per100, "float64")})


def canonical(df: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Return a layer with canonical column order and dtypes (the form a workspace keeps).

    Known columns come first in contract order, with text as pandas strings, whole numbers as
    int64, numbers as float64 and flags as bool; `births_YYYY` and other extra columns follow in
    their order. The index is reset.
    """
    cols = LAYER_COLUMNS[layer]
    out = df.reset_index(drop=True).copy()
    out.attrs = {}  # importer notes must not ride along (pandas deep-copies attrs on every op)
    known = [c for c in cols if c.name in out.columns]
    for col in known:
        out[col.name] = _cast(out[col.name], col)
    extra = [c for c in out.columns if c not in {k.name for k in known} and c != "geometry"]
    order = [c.name for c in known] + extra
    if isinstance(out, gpd.GeoDataFrame):
        order.append(out.geometry.name)
    return out[order]


def _cast(s: pd.Series, col: Column) -> pd.Series:
    if col.kind in ("int", "grade", "year") and col.nullable:
        return pd.to_numeric(s, errors="raise").astype("Int64")
    if col.kind in ("int", "grade", "year"):
        return s.astype("int64")
    if col.kind == "float":
        return s.astype("float64")
    if col.kind == "bool":
        return s.astype("bool")
    return s.astype("str")


def largest_remainders(values: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers summing to `total`, each the floor of its value or one more.

    The values with the largest fractions take the units the floors leave (the first among
    equal fractions); a total below the floors' sum takes them back from the smallest.
    """
    floor = np.floor(values + 1e-9).astype(np.int64)
    short = int(total - floor.sum())
    order = np.lexsort((np.arange(len(values)), -(values - floor)))
    out = floor.copy()
    if short >= 0:
        out[order[:short]] += 1
    else:  # never below zero: take from the smallest fractions that have one to give
        give = [i for i in order[::-1] if out[i] > 0][:-short]
        out[give] -= 1
    return out
