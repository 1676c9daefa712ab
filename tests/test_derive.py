"""A bureau's own files: Voronoi units from points, catchments from 划片 lists, enrolment
from zoning (planner/io/derive.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from make_battery import CRS_M, X0, Y0, small_county, table_frames, write_xlsx

from planner.cli import main
from planner.errors import InputError
from planner.io.derive import derived_layers, hull_boundary, read_boundary, voronoi_cells
from planner.io.load import open_workspace


def _tiles(cells, boundary):
    """Gaps and overlaps between cells and their boundary, m²."""
    union = shapely.union_all(cells)
    gap = boundary.difference(union).area + union.difference(boundary).area
    overlap = sum(c.area for c in cells) - union.area
    return gap, overlap


def test_four_points_in_a_square_tile_it_with_hand_checked_areas():
    square = shapely.box(0, 0, 2000, 2000)
    pts = np.array([[400, 500], [1400, 500], [400, 1500], [1400, 1500]])
    cells = voronoi_cells(pts, square)
    # bisectors x = 900 and y = 1000: 900 × 1000 on the left, 1100 × 1000 on the right
    assert [c.area for c in cells] == pytest.approx([900_000, 1_100_000, 900_000, 1_100_000])
    assert [c.bounds for c in cells] == [pytest.approx(b) for b in (
        (0, 0, 900, 1000), (900, 0, 2000, 1000), (0, 1000, 900, 2000), (900, 1000, 2000, 2000))]
    gap, overlap = _tiles(cells, square)
    assert gap < 1.0 and overlap < 1.0
    assert all(c.contains(shapely.Point(p)) for c, p in zip(cells, pts, strict=True))


def test_cells_follow_a_concave_boundary():
    # an L: the 2 km square without its top-right quarter; two points either side of x = 1000
    ell = shapely.box(0, 0, 2000, 2000).difference(shapely.box(1000, 1000, 2000, 2000))
    cells = voronoi_cells(np.array([[500, 1000], [1500, 1000]]), ell)
    assert [c.area for c in cells] == pytest.approx([2_000_000, 1_000_000])
    gap, overlap = _tiles(cells, ell)
    assert gap < 1.0 and overlap < 1.0
    assert voronoi_cells(np.array([[5, 5]]), ell) == [ell]


def test_random_points_tile_their_boundary():
    rng = np.random.default_rng(3)
    disc = shapely.Point(0, 0).buffer(5000)
    pts = rng.uniform(-3000, 3000, (60, 2))
    cells = voronoi_cells(pts, disc)
    gap, overlap = _tiles(cells, disc)
    assert gap < 1.0 and overlap < 1.0
    assert all(c.contains(shapely.Point(p)) for c, p in zip(cells, pts, strict=True))


def test_the_hull_is_buffered_by_the_median_spacing():
    pts = np.array([[0, 0], [1200, 0], [0, 1200], [1200, 1200], [600, 600]])
    hull, buffer_m = hull_boundary(pts)
    # nearest neighbours: the four corners 848.5 m from the centre, the centre 848.5 m
    assert buffer_m == 850.0
    assert hull.area == pytest.approx(1200**2 + 4 * 1200 * 850 + np.pi * 850**2, rel=1e-3)
    assert hull_boundary(np.array([[0, 0], [100, 0]]))[1] == 500.0  # at least 500 m


@pytest.fixture(scope="module")
def outline():
    """The small county's 2 km square in WGS84, as the boundary file a bureau would have."""
    return gpd.GeoSeries([shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)], crs=CRS_M).to_crs(
        "EPSG:4326")


@pytest.mark.parametrize("suffix, driver", [(".geojson", "GeoJSON"), (".shp", "ESRI Shapefile"),
                                            (".gpkg", "GPKG"), (".kml", "KML")])
def test_boundary_files_of_every_kind_read_alike(outline, tmp_path, suffix, driver):
    path = tmp_path / f"county{suffix}"
    gpd.GeoDataFrame({"name": ["县界"]}, geometry=outline).to_file(path, driver=driver)
    got = read_boundary(path)
    assert got.symmetric_difference(outline.iloc[0]).area < 1e-10


@pytest.mark.parametrize("name, content, message", [
    ("none.geojson", None, "boundary file not found"),
    ("county.csv", "x,y\n", "unknown boundary file type .csv"),
    ("bad.geojson", "{ nope", "cannot be read as a boundary file"),
    ("points.geojson", '{"type": "FeatureCollection", "features": [{"type": "Feature", '
     '"properties": {}, "geometry": {"type": "Point", "coordinates": [115.2, 36.07]}}]}',
     "the boundary file holds no polygon"),
])
def test_bad_boundary_files_are_located_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        read_boundary(path)
    assert info.value.problems[0].file == name


def _bureau_frames(lists):
    """The small county as a bureau holds it: unit points with townships, 划片 lists, no 就读.

    Townships: U1 东街社区 and U3 北街社区 in 城关镇, U2 (renamed 李庄村) in 南关镇, U4 李庄村 in
    李庄乡 — two villages of one name. Schools' students are those of their catchments.
    """
    frames = table_frames(small_county())
    frames.pop("enrolment")
    units = frames["units"]
    units.loc[1, "name"] = "李庄村"
    units["乡镇"] = ["城关镇", "南关镇", "城关镇", "李庄乡"]
    s = frames["schools"].set_index("school_id")
    s.loc["S1", "students_primary"] = 240 + 180  # U1 and U3, all zoned
    s.loc["S2", "students_primary"] = 120
    frames["schools"] = s.reset_index()
    frames["zoning_lists"] = pd.DataFrame(lists, columns=["学校标识码", "学校名称", "学段",
                                                          "划片范围"])
    return frames


GOOD_LISTS = [
    (None, "东街小学", "小学", "东街社区"),  # one unit per row ...
    (None, "东街小学", "小学", "北街"),  # ... and a name without its 社区
    ("S2", None, "小学", "李庄村"),  # the 李庄村 of S2's own township, 南关镇
    ("S3", "城关初级中学", "初中", "东街社区、北街社区，南关镇李庄村"),  # qualified by township
    ("S4", None, "小学", "李庄村"),
    ("S4", None, "初中", "U4"),  # a unit code
]


def test_a_bureau_workbook_imports_and_evaluates(outline, tmp_path, capsys):
    write_xlsx(_bureau_frames(GOOD_LISTS), tmp_path / "county.xlsx")
    gpd.GeoDataFrame(geometry=outline).to_file(tmp_path / "county.geojson", driver="GeoJSON")
    out = tmp_path / "county.gpkg"
    assert main(["import", str(tmp_path / "county.xlsx"), str(out), "--boundary",
                 str(tmp_path / "county.geojson")]) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out and "4 units, 5 catchments, 36 enrolment" in captured.out
    assert "derived on import: units, catchments, zoning_matches, enrolment" in captured.out
    assert ("the 4 units are points: their polygons are Voronoi cells clipped to the county "
            "boundary county.geojson") in captured.err
    assert ("8 names matched to units (1 by unit code, 1 by township + name, 6 by name in the "
            "school's township); 5 catchments built as unions of their units") in captured.err
    assert "no enrolment given: every child is taken to attend the zoned school" in captured.err
    ws, _ = open_workspace(out)
    assert (ws.meta.units_source, ws.meta.catchments_source, ws.meta.enrolment_source) == (
        "voronoi_boundary", "lists", "zoning")
    # the unit points are the squares' centres (as found in WGS84, metres off the projected
    # centres): the cells are the 1 km squares again within 20 m², and tile the 4 km² outline
    area = ws.units.to_crs(CRS_M).area
    assert area.tolist() == pytest.approx([1e6] * 4, abs=20.0)
    assert area.sum() == pytest.approx(ws.units.to_crs(CRS_M).union_all().area, abs=1.0)
    assert area.sum() == pytest.approx(outline.to_crs(CRS_M).area.iloc[0], abs=1.0)
    catch = ws.catchments.set_index(["school_id", "section"]).to_crs(CRS_M).area
    assert catch.to_dict() == pytest.approx({("S1", "primary"): 2e6, ("S2", "primary"): 1e6,
                                             ("S3", "junior"): 3e6, ("S4", "junior"): 1e6,
                                             ("S4", "primary"): 1e6}, abs=40.0)
    # every child at the zoned school, by grade
    enrol = ws.enrolment.groupby(["school_id", "grade"])["students"].sum()
    assert enrol[("S1", 1)] == 40 + 30 and enrol[("S3", 7)] == 35 + 17 + 27
    assert int(ws.enrolment["students"].sum()) == 867
    assert list(derived_layers(ws)) == ["units", "catchments", "zoning_matches", "enrolment"]
    assert ws.zoning_matches[["row", "entry", "unit_id", "matched_by"]].values.tolist() == [
        [2, "东街社区", "U1", "school_township"], [3, "北街", "U3", "school_township"],
        [4, "李庄村", "U2", "school_township"], [5, "东街社区", "U1", "school_township"],
        [5, "北街社区", "U3", "school_township"], [5, "南关镇李庄村", "U2", "qualified_name"],
        [6, "李庄村", "U4", "school_township"], [7, "U4", "U4", "code"]]
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json", str(tmp_path / "e.json")]) == 0
    assert main(["evaluate", str(tmp_path / "county.xlsx")]) == 0  # the workbook directly too


def test_statistics_that_differ_from_the_catchment_are_kept_and_spread(tmp_path, capsys):
    frames = _bureau_frames(GOOD_LISTS)
    frames["schools"].loc[0, "students_primary"] = 400  # S1's catchment, U1 and U3, has 420
    write_xlsx(frames, tmp_path / "county.xlsx")
    out = tmp_path / "county.gpkg"
    assert main(["import", str(tmp_path / "county.xlsx"), str(out)]) == 0
    captured = capsys.readouterr()
    assert ("notice: county.xlsx: the school statistics differ from the children of their "
            "catchments at 1 school section(s) (statistics 400 pupils, catchments 420 "
            "children); the statistics are kept for the indicators and each school's pupils are "
            "spread over its catchment's units in proportion to their children, by grade; "
            "largest differences: 东街小学 (S1, primary) 400 pupils, 420 children (-20, -4.8%)"
            ) in captured.err
    assert ("reconciliation, 1 school section(s) (statistics kept; share of the catchment's "
            "children):\n  S1 东街小学 primary: statistics 400, catchment children 420, "
            "difference -20 (-4.8%)") in captured.out
    ws, _ = open_workspace(out)
    table = derived_layers(ws)["reconciliation"]
    assert table.drop(columns="share").values.tolist() == [["S1", "东街小学", "primary", 400,
                                                           420, -20]]
    assert table["share"].iloc[0] == pytest.approx(-20 / 420)
    # 400 / 420 of each child: U1's quotas 38.10 40.00 36.19 39.05 37.14 38.10 and U3's 28.57
    # 29.52 27.62 28.57 26.67 30.48 floor to 396; the four largest fractions (U3's g5, g3, g1,
    # g4) take the four pupils left
    s1 = ws.enrolment[ws.enrolment["school_id"] == "S1"].set_index(["unit_id", "grade"])
    assert s1["students"].tolist() == [38, 40, 36, 39, 37, 38, 29, 29, 28, 29, 27, 30]
    others = ws.enrolment[ws.enrolment["school_id"] != "S1"]
    assert int(others["students"].sum()) == 867 - 420  # the other schools' children as they are
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json", str(tmp_path / "e.json")]) == 0


@given(st.lists(st.integers(0, 60), min_size=1, max_size=12), st.integers(0, 2000))
def test_spread_statistics_keep_every_pupil(children, total):
    from planner.workspace import largest_remainders

    weights = np.array(children, dtype=float)
    if weights.sum() == 0:
        return
    parts = largest_remainders(weights * total / weights.sum(), total)
    assert parts.sum() == total and (parts >= 0).all()
    exact = weights * total / weights.sum()
    assert (np.abs(parts - exact) < 1 + 1e-9).all()  # each the floor of its quota or one more


def test_misspelled_and_ambiguous_names_exit_2_naming_both_rows(tmp_path, capsys):
    lists = list(GOOD_LISTS)
    lists[1] = (None, "东街小学", "小学", "北接社区")  # misspelled
    # two 李庄村, neither in the junior school's 城关镇
    lists[3] = ("S3", "城关初级中学", "初中", "东街社区、北街社区，李庄村")
    path = tmp_path / "county.xlsx"
    write_xlsx(_bureau_frames(lists), path)
    before = path.read_bytes()
    assert main(["import", str(path), str(tmp_path / "out.gpkg")]) == 2
    err = capsys.readouterr().err
    assert ("county.xlsx, sheet 划片, row 3, column `划片范围`: '北接社区': no unit of that "
            "name (did you mean '北街社区' in 城关镇?); use a name of sheet 居住单元 or a unit "
            "code") in err
    assert ("county.xlsx, sheet 划片, row 5, column `划片范围`: '李庄村': matches 2 units, in "
            "南关镇 and 李庄乡: give the unit code (U2 or U4)") in err
    assert "2 problem(s)" in err and "Traceback" not in err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["county.xlsx"]


@pytest.mark.parametrize("edit, message", [
    (lambda f: f["zoning_lists"].__setitem__("学校名称", ["东街小学", "东街小校", None, None, None,
                                                     None]),
     "sheet 划片, row 3, column `学校名称`: no school named '东街小校' (did you mean '东街小学'?)"),
    (lambda f: f["zoning_lists"].loc.__setitem__((4, "学段"), "高中"),
     "sheet 划片, row 6, column `学段`: expected primary (小学) or junior (初中), got '高中'"),
    (lambda f: f["zoning_lists"].loc.__setitem__((4, "学段"), "初中"),
     "sheet 居住单元, row 5, column `单元编码`: 60 primary children live here but the unit is in "
     "no primary catchment"),
    (lambda f: f["zoning_lists"].loc.__setitem__((2, "学段"), "初中"),
     "sheet 划片, row 4, column `学段`: school S2 is a primary school and has no junior section"),
    (lambda f: f["zoning_lists"].loc.__setitem__((4, "划片范围"), "李庄村、东街社区"),
     "sheet 划片, row 6, column `划片范围`: '东街社区' (unit U1) is already in the primary "
     "catchment of school S1 (row 2); a unit belongs to one catchment per section"),
    (lambda f: f["zoning_lists"].loc.__setitem__((2, "划片范围"), " 、 "),
     "sheet 划片, row 4, column `划片范围`: no unit named"),
    (lambda f: f.__setitem__("zoning_lists", f["zoning_lists"].drop(index=2)),
     "sheet 居住单元, row 3, column `单元编码`: 120 primary children live here but the unit is in "
     "no primary catchment; without an enrolment sheet every child attends the zoned school"),
    (lambda f: f["units"].loc.__setitem__((1, ["g1", "g2", "g3", "g4", "g5", "g6"]), 0),
     "sheet 学校, row 3, column `小学在校生数`: 120 primary pupils in the school's statistics, "
     "but its primary catchment has no children to spread them over: add its units to its "
     "catchment (划片), or add the enrolment sheet 就读 saying where its pupils live"),
    (lambda f: f["units"].loc.__setitem__((2, "lon"), f["units"].loc[0, "lon"]) or
     f["units"].loc.__setitem__((2, "lat"), f["units"].loc[0, "lat"]),
     "sheet 居住单元, row 4, column `经度`: the same location as row 2"),
])
def test_list_and_point_problems_are_located(tmp_path, capsys, edit, message):
    frames = _bureau_frames(GOOD_LISTS)
    frames["zoning_lists"] = frames["zoning_lists"].astype(object)
    edit(frames)
    write_xlsx(frames, tmp_path / "c.xlsx")
    assert main(["validate", str(tmp_path / "c.xlsx")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_points_outside_the_boundary_are_refused(outline, tmp_path, capsys):
    frames = _bureau_frames(GOOD_LISTS)
    frames["units"].loc[3, "lon"] += 0.05  # about 4.5 km east
    write_xlsx(frames, tmp_path / "c.xlsx")
    gpd.GeoDataFrame(geometry=outline).to_file(tmp_path / "b.geojson", driver="GeoJSON")
    assert main(["validate", str(tmp_path / "c.xlsx"), "--boundary",
                 str(tmp_path / "b.geojson")]) == 2
    err = capsys.readouterr().err
    # 0.05° of longitude at 36.07°N is 4.5 km; the point was 500 m inside the east edge
    assert "sheet 居住单元, row 5, column `经度`: the point lies 4,005 m" in err
    assert "m outside the county boundary (b.geojson)" in err


def test_catchments_given_twice_are_refused(tmp_path):
    from planner.io.load import RawLayers, assemble, read_gpkg_raw

    pyogrio.write_dataframe(small_county()["schools"], tmp_path / "c.gpkg", layer="schools")
    layers = small_county()
    for name in ("units", "catchments", "enrolment"):
        pyogrio.write_dataframe(layers[name], tmp_path / "c.gpkg", layer=name)
    raw: RawLayers = read_gpkg_raw(tmp_path / "c.gpkg")
    lists = pd.DataFrame({"学校标识码": ["S1"], "学段": ["小学"], "划片范围": ["东街社区"]})
    from planner.validate import Source

    raw.layers["zoning_lists"] = (lists, Source("c.gpkg", "sheet 划片", 2))
    with pytest.raises(InputError, match="c.gpkg, sheet 划片: catchments are given twice: as "
                                         "polygons and as 划片 lists; keep one"):
        assemble(raw)


def test_a_list_naming_a_private_school_is_accepted_with_a_warning(tmp_path, capsys):
    frames = _bureau_frames(GOOD_LISTS)
    s = frames["schools"].set_index("school_id")
    s.loc["S2", "public"] = False
    frames["schools"] = s.reset_index()
    write_xlsx(frames, tmp_path / "c.xlsx")
    assert main(["validate", str(tmp_path / "c.xlsx")]) == 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert ("sheet 划片, row 4, column `学校标识码`: school S2 is private: a private school admits "
            "together with the public ones and has no catchment; the list is kept as given, and "
            "a re-zoning (planner optimize) gives these units public schools without moving a "
            "pupil") in text
    assert text.count("school S2 is private") == 1
