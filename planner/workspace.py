"""The workspace: one county's layers as a typed in-memory model (SPEC §5).

Layers are kept in WGS84 (EPSG:4326) with canonical English columns and canonical dtypes, so a
workspace read back from its GeoPackage equals the one written. Distances and areas are computed
in `meta.crs`, a projected CRS (CGCS2000 3-degree Gauss-Krüger by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

from planner.schema import LAYER_COLUMNS, SCENARIO_COLUMNS, SCHEMA_VERSION, Column

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Meta:
    """What a workspace says about itself (the `meta` table).

    Attributes
    ----------
    crs
        The projected CRS used for distances and areas, e.g. "EPSG:4547".
    standards_profile
        The name of the standards profile the county is evaluated against.
    name
        The county's name.
    synthetic
        True for generated data (the demo county); maps and reports say so.
    schema_version
        The data-contract version the file was written with.
    distances_key
        The key of the cached `distances` table (network and points), or "" for none.
    """

    crs: str
    standards_profile: str = "national_2017"
    name: str = ""
    synthetic: bool = False
    schema_version: str = SCHEMA_VERSION
    distances_key: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Return the meta table as key/value rows."""
        rows = [
            ("schema_version", self.schema_version),
            ("standards_profile", self.standards_profile),
            ("crs", self.crs),
            ("name", self.name),
            ("synthetic", "true" if self.synthetic else "false"),
            ("distances_key", self.distances_key),
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
    nodes: gpd.GeoDataFrame | None = None
    edges: gpd.GeoDataFrame | None = None
    scenarios: pd.DataFrame = field(default_factory=empty_scenarios)
    distances: pd.DataFrame | None = None

    def layers(self) -> dict[str, pd.DataFrame]:
        """Return the layers that are present, by their GeoPackage names."""
        out: dict[str, pd.DataFrame] = {"schools": self.schools}
        for name in ("units", "catchments", "enrolment", "county", "nodes", "edges"):
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
        return "EPSG:3857" if math.isnan(lon) else _utm(lon)
    cm = int(round(lon / 3.0)) * 3
    return f"EPSG:{4534 + (cm - 75) // 3}"


def _utm(lon: float) -> str:
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{32600 + zone}"


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
    if col.kind == "int" or col.kind == "grade":
        return s.astype("int64")
    if col.kind == "float":
        return s.astype("float64")
    if col.kind == "bool":
        return s.astype("bool")
    return s.astype("str")

