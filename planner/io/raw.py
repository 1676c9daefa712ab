"""Layers as read from a bureau's files, before validation: what every reader returns.

The readers (planner/io/tables.py for Excel and CSV, :func:`planner.io.load.read_gpkg_raw`
for a GeoPackage) fill a :class:`RawLayers`; :func:`planner.io.load.assemble` validates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from planner.validate import Source


@dataclass
class RawLayers:
    """Layers as read from the user's files, before validation.

    Attributes
    ----------
    file
        The file name shown in messages.
    layers
        Layer name → (frame as read, its source). Spatial layers from a GeoPackage are
        GeoDataFrames; those from tables carry lon/lat (or wkt) columns instead.
    meta
        The `meta` table's key/values or a workbook's settings.
    meta_where
        Meta key → (layer as shown, row, column as shown), for messages.
    boundary, boundary_name
        The county outline (WGS84) and its file name, when one was given: point units are
        cut into Voronoi cells with it.
    roads
        `nodes` and `edges` GeoDataFrames as read, if any.
    scenarios
        The `scenarios` table, if any.
    distances
        The cached `distances` table, if any.
    from_tables
        True for Excel/CSV input (coordinates in `coords`, rows counted from the header row).
    """

    file: str
    layers: dict[str, tuple[pd.DataFrame, Source]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    meta_where: dict[str, tuple[str, int | None, str]] = field(default_factory=dict)
    roads: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    scenarios: pd.DataFrame | None = None
    distances: pd.DataFrame | None = None
    from_tables: bool = False
    boundary: object | None = None
    boundary_name: str = ""
