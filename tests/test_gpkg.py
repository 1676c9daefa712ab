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
    assert names == {"schools", "units", "catchments", "enrolment", "county", "births",
                     "enrolment_history", "developments", "nodes", "edges", "meta", "scenarios"}
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


def _with_years(small_layers):
    """The small county with births, history, developments, capacity and meta of SPEC §5.2."""
    import shapely

    from planner.workspace import Meta, Workspace, canonical

    layers = {k: v.copy() for k, v in small_layers.items()}
    s = layers["schools"]
    s["approved_places_primary"] = pd.array([360, 225, None, 90], dtype="Int64")
    s["approved_places_junior"] = pd.array([None, None, 300, 100], dtype="Int64")
    s["shrink_only"] = [False, False, False, True]
    births = pd.DataFrame({"unit_id": ["U1", "U1", "U2", "U4"], "year": [2019, 2020, 2020, 2020],
                           "births": [44, 41, 22, 9]})
    history = pd.DataFrame({"year": [2024, 2025], "unit_id": ["U1", "U1"],
                            "school_id": ["S1", "S1"], "grade": [1, 2], "students": [42, 41]})
    square = layers["units"].geometry.iloc[0]
    x0, y0, x1, y1 = square.bounds
    dev = gpd.GeoDataFrame({"unit_id": ["U3", None], "name": ["北街小区", "东街新城"],
                            "first_year": [2027, 2028], "dwellings": [400, 900],
                            "children_per100_g1": [2.5, None]},
                           geometry=[None, shapely.box(x0, y0, x1, y1)], crs="EPSG:4326")
    meta = Meta(crs="EPSG:4547", name="小县", year=2026, region="china")
    return Workspace(
        schools=canonical(s, "schools"), meta=meta,
        units=canonical(layers["units"], "units"),
        catchments=canonical(layers["catchments"], "catchments"),
        enrolment=canonical(layers["enrolment"], "enrolment"),
        county=canonical(layers["county"], "county"),
        births=canonical(births, "births"),
        enrolment_history=canonical(history, "enrolment_history"),
        developments=gpd.GeoDataFrame(canonical(dev, "developments"), crs="EPSG:4326"))


def test_years_capacity_and_meta_round_trip_losslessly(small_layers, tmp_path):
    ws = _with_years(small_layers)
    write_workspace(ws, tmp_path / "y.gpkg")
    back, notes = open_workspace(tmp_path / "y.gpkg")
    assert notes == []
    _assert_same(ws, back)
    assert back.births["births"].tolist() == [44, 41, 22, 9]
    assert back.births.dtypes.to_dict() == {"unit_id": "str", "year": "int64",
                                            "births": "int64"}
    assert back.schools["approved_places_junior"].isna().tolist() == [True, True, False, False]
    assert back.developments.geometry.isna().tolist() == [True, False]
    meta = pyogrio.read_dataframe(tmp_path / "y.gpkg", layer="meta")
    keys = dict(zip(meta["key"], meta["value"], strict=True))
    assert keys["profile"] == "national_2017" and keys["year"] == "2026"
    assert keys["region"] == "china" and keys["enrolment_source"] == "table"
    assert "standards_profile" not in keys


def test_developments_by_unit_table_only_is_written_as_a_table(small_layers, tmp_path):
    ws = _with_years(small_layers)
    ws = ws.replace(developments=ws.developments.iloc[:1].copy())
    write_workspace(ws, tmp_path / "t.gpkg")
    info = pyogrio.read_info(tmp_path / "t.gpkg", layer="developments")
    assert info["geometry_type"] is None
    back, _ = open_workspace(tmp_path / "t.gpkg")
    assert back.developments["unit_id"].tolist() == ["U3"]


def test_development_polygons_are_split_over_units_by_area(small_layers):
    import shapely

    from planner.workspace import development_units

    ws = _with_years(small_layers)
    # 900 dwellings on a polygon three quarters in U1 and a quarter in U2 (1 km squares)
    u1 = ws.units.to_crs("EPSG:4547").geometry.iloc[0]
    x0, y0, x1, y1 = u1.bounds
    poly = gpd.GeoSeries([shapely.box(x0 + 500, y0, x1 + 500 / 3, y0 + 300)],
                         crs="EPSG:4547").to_crs("EPSG:4326")
    dev = ws.developments.copy()
    dev.loc[1, "geometry"] = poly.iloc[0]
    out = development_units(ws.replace(developments=dev))
    assert out[["development", "unit_id", "first_year", "dwellings"]].values.tolist() == [
        [0, "U3", 2027, 400], [1, "U1", 2028, 675], [1, "U2", 2028, 225]]
    assert out["children_per100_g1"].tolist()[:1] == [2.5]
    assert out["children_per100_g1"].isna().tolist()[1:] == [True, True]
