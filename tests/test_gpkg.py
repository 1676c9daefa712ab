"""GeoPackage workspaces: lossless round trip, atomic writes."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal

from planner.io.gpkg import write_workspace
from planner.io.load import open_workspace


def _assert_same(a, b):
    for name, layer in a.layers().items():
        other = b.layers()[name]
        if isinstance(layer, gpd.GeoDataFrame):
            assert_geodataframe_equal(layer, other, check_less_precise=False)
        else:
            pd.testing.assert_frame_equal(layer, other)
    assert a.meta == b.meta


def test_demo_round_trip_is_lossless(demo, demo_gpkg):
    back, warnings = open_workspace(demo_gpkg)
    assert warnings == []
    _assert_same(demo, back)


def test_small_county_round_trip_is_lossless(tmp_path):
    from pathlib import Path

    ws, _ = open_workspace(Path(__file__).parent / "data" / "small_county.xlsx")
    write_workspace(ws, tmp_path / "a.gpkg")
    back, _ = open_workspace(tmp_path / "a.gpkg")
    _assert_same(ws, back)


def test_layers_have_the_spec_names_and_open_with_plain_pyogrio(demo_gpkg):
    names = {str(n) for n in pyogrio.list_layers(demo_gpkg)[:, 0]}
    assert names == {"schools", "units", "catchments", "enrolment", "county", "nodes", "edges",
                     "meta", "scenarios"}
    schools = gpd.read_file(demo_gpkg, layer="schools")
    assert schools.crs.to_epsg() == 4326
    meta = pyogrio.read_dataframe(demo_gpkg, layer="meta")
    assert dict(zip(meta["key"], meta["value"], strict=True))["crs"] == "EPSG:4547"


def test_failed_write_leaves_the_old_file_and_no_partial_file(demo, tmp_path):
    path = tmp_path / "ws.gpkg"
    write_workspace(demo, path)
    before = path.read_bytes()
    broken = demo.county.copy()
    broken["bad"] = complex(1, 2)  # GDAL has no complex field type: the write fails mid-way
    with pytest.raises(NotImplementedError, match="complex128"):
        write_workspace(demo.replace(county=broken), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ws.gpkg"]
