"""Region `any`: a real OpenStreetMap extract outside China (pyrosm's bundled test.osm.pbf,
a corner of Pori, Finland) as a small workspace, accepted with a notice and measured in its UTM
zone; refused with the located outside-China message without it."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pandas as pd
import pyogrio
import pyrosm
import pytest
import shapely

from planner.cli import main
from planner.errors import InputError
from planner.io.load import open_workspace
from planner.io.osm import read_roads
from planner.workspace import projected_crs

UTM35N = "EPSG:32635"


def _workspace(path, region):
    """Four 900 m square units tiling the extract's middle, two schools, zoned enrolment."""
    nodes, edges = read_roads(pyrosm.get_data("test_pbf"))
    centre = shapely.box(*edges.total_bounds).centroid
    x0, y0 = gpd.GeoSeries([centre], crs="EPSG:4326").to_crs(UTM35N).iloc[0].coords[0]
    squares = [shapely.box(x0 + dx, y0 + dy, x0 + dx + 900, y0 + dy + 900)
               for dy in (-900, 0) for dx in (-900, 0)]
    kids = [[12, 11, 13, 12, 10, 11, 9, 10, 8]] * 4
    units = gpd.GeoDataFrame(
        {"unit_id": ["F1", "F2", "F3", "F4"], "name": ["Itä", "Länsi", "Pohjoinen", "Etelä"],
         "area_type": ["urban"] * 4, **{f"g{g}": [k[g - 1] for k in kids] for g in range(1, 10)}},
        geometry=squares, crs=UTM35N).to_crs("EPSG:4326")
    sites = [squares[0].centroid, squares[3].centroid]
    schools = pd.DataFrame({
        "school_id": ["FS1", "FS2"], "name": ["Koulu A", "Koulu B"],
        "kind": ["primary", "junior"], "area_type": ["urban", "urban"], "public": [True, True],
        "boarding": [False, False], "central_school_id": [None, None],
        "students_primary": [4 * 69, 0], "students_junior": [0, 4 * 27],
        "students_senior": [0, 0], "classes_primary": [12, 0], "classes_junior": [0, 6],
        "max_class_size_primary": [25, 0], "max_class_size_junior": [0, 20],
        "classrooms": [14, 8], "teachers_total": [22, 12], "teachers_certified": [22, 12],
        "teachers_above_degree": [20, 10], "teachers_backbone": [3, 2],
        "teachers_pe_art": [3, 2], "teaching_aux_area_m2": [1500.0, 900.0],
        "sports_area_m2": [2600.0, 1600.0], "equipment_value_yuan": [700_000.0, 400_000.0],
        "multimedia_rooms": [8, 4], "music_rooms": [1, 1], "music_room_min_area_m2": [98.0, 97.0],
        "art_rooms": [1, 1], "art_room_min_area_m2": [92.0, 91.0]})
    schools = gpd.GeoDataFrame(schools, geometry=sites, crs=UTM35N).to_crs("EPSG:4326")
    union = shapely.union_all(squares)
    catchments = gpd.GeoDataFrame({"school_id": ["FS1", "FS2"], "section": ["primary", "junior"]},
                                  geometry=[union, union], crs=UTM35N).to_crs("EPSG:4326")
    enrol = pd.DataFrame([(u, "FS1" if g <= 6 else "FS2", g, kids[0][g - 1])
                          for u in units["unit_id"] for g in range(1, 10)],
                         columns=["unit_id", "school_id", "grade", "students"])
    meta = pd.DataFrame({"key": ["schema_version", "name"] + (["region"] if region else []),
                         "value": ["2", "Pori test"] + ([region] if region else [])})
    for name, frame in (("schools", schools), ("units", units), ("catchments", catchments),
                        ("enrolment", enrol), ("nodes", nodes), ("edges", edges),
                        ("meta", meta)):
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return path


@pytest.fixture(scope="module")
def pori(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pori")
    return _workspace(folder / "any.gpkg", "any"), _workspace(folder / "china.gpkg", None)


def test_the_utm_zone_is_the_projected_crs_for_region_any():
    assert projected_crs(26.95, 60.53, "any") == UTM35N
    assert projected_crs(-43.2, -22.9, "any") == "EPSG:32723"  # Rio de Janeiro, south
    assert projected_crs(115.17, 36.07, "any") == "EPSG:32650"
    assert projected_crs(115.17, 36.07, "china") == "EPSG:4547"  # CGCS2000 GK CM 114°E


def test_a_workspace_outside_china_opens_with_region_any(pori):
    ws, notices = open_workspace(pori[0])
    assert ws.meta.region == "any" and ws.meta.crs == UTM35N
    assert [str(n) for n in notices] == [
        "notice: any.gpkg: region is `any`: locations are not checked against China's extent; "
        "distances are measured in EPSG:32635"]
    area = ws.units.to_crs(ws.meta.crs).area
    assert area.tolist() == pytest.approx([810_000.0] * 4, rel=1e-6)


def test_without_region_any_it_is_refused_where_it_is(pori, capsys):
    with pytest.raises(InputError) as info:
        open_workspace(pori[1])
    first = str(info.value.problems[0])
    assert first.startswith("china.gpkg, layer schools, row 1, column `geometry`: location "
                            "(26.9")
    assert "is outside China (is the coordinate system declared right?)" in first
    assert {p.layer for p in info.value.problems} == {"layer schools", "layer units",
                                                      "layer catchments"}
    before = pori[1].read_bytes()
    assert main(["validate", str(pori[1])]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "outside China" in err
    assert pori[1].read_bytes() == before
    # --region any on the command line accepts the same file, with the notice
    assert main(["validate", str(pori[1]), "--region", "any"]) == 0
    captured = capsys.readouterr()
    assert "china.gpkg: valid (2 schools, 4 units, 2 catchments, 36 enrolment" in captured.out
    assert "notice: china.gpkg: region is `any`" in captured.err


def test_import_with_region_any_stores_it_in_meta(pori, tmp_path, capsys):
    out = tmp_path / "imported.gpkg"
    assert main(["import", str(pori[1]), str(out), "--region", "any"]) == 0
    meta = pyogrio.read_dataframe(out, layer="meta")
    keys = dict(zip(meta["key"], meta["value"], strict=True))
    assert keys["region"] == "any" and keys["crs"] == UTM35N
    assert main(["validate", str(out)]) == 0


def test_road_distances_and_layout_on_the_real_extract(pori, tmp_path, capsys):
    ws_path = tmp_path / "ws.gpkg"
    shutil.copy(pori[0], ws_path)
    out = tmp_path / "d.csv"
    assert main(["distances", str(ws_path), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert set(table["method"]) == {"road"} and len(table) == 8
    # by road at least the straight line between a unit's point and the school
    ws, _ = open_workspace(ws_path)
    pts = ws.units.set_index("unit_id").to_crs(UTM35N).representative_point()
    sch = ws.schools.set_index("school_id").to_crs(UTM35N).geometry
    for r in table.to_dict("records"):
        assert r["distance_m"] >= pts[r["unit_id"]].distance(sch[r["school_id"]]) - 1.0
    capsys.readouterr()
    js = tmp_path / "ev.json"
    assert main(["evaluate", str(ws_path), "--json", str(js)]) == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["layout"]["distance_method"] == "road"
    g1 = {r["id"]: r for r in data["checklist"]}["G1"]
    assert g1["source"] == "computed" and g1["status"] == "pass"
    # each school lies in its own unit; the three other units are beyond 500 m (primary) and
    # 1000 m (junior) by road: 3 of 4 equal units
    assert g1["value"]["share_beyond_radius_primary"] == pytest.approx(0.75)
    assert g1["value"]["share_beyond_radius_junior"] == pytest.approx(0.75)
