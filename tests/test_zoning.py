"""G13 and G1 on the four-unit county of tests/data (hand counts in the comments)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from make_battery import CRS_M, X0, Y0

from planner.evaluation import evaluate
from planner.layout import layout_checks, tiling
from planner.plan import plan_from_workspace
from planner.standards import NATIONAL_2017
from planner.travel import compute_distances
from planner.workspace import Meta, Workspace, canonical
from planner.zoning import unit_catchments, zoned_enrolment, zoning_table


@pytest.fixture()
def small(small_layers):
    gdfs = {k: canonical(v, k) for k, v in small_layers.items()}
    return Workspace(schools=gdfs["schools"], units=gdfs["units"], catchments=gdfs["catchments"],
                     enrolment=gdfs["enrolment"], county=gdfs["county"], meta=Meta(crs=CRS_M))


def test_zoned_ratio_and_out_of_zone_family_by_hand(small):
    holdings = unit_catchments(small)
    zoning = zoning_table(holdings, small.units["unit_id"])
    assert zoning.to_dict("index") == {"U1": {"primary": "S1", "junior": "S3"},
                                       "U2": {"primary": "S2", "junior": "S3"},
                                       "U3": {"primary": "S1", "junior": "S3"},
                                       "U4": {"primary": "S4", "junior": "S4"}}
    z = zoned_enrolment(plan_from_workspace(small, NATIONAL_2017, distances=None))
    # In scope: S1 (urban), S2 (town), S3 (urban); S4 is a rural boarding school, out.
    # Primary: S1 = U1 240 + U3 180 − 3 = 417, S2 = U2 120 + 3 (the U3 family) = 123;
    # 540 students, 537 zoned. Junior: S3 = 105 + 51 + 81 = 237, all zoned.
    by = z.by_section.set_index("section")
    assert by.loc["primary", ["students", "zoned"]].tolist() == [540, 537]
    assert by.loc["primary", "ratio"] == pytest.approx(537 / 540)
    assert not by.loc["primary", "ok"]  # needs 100 %
    assert by.loc["junior", ["students", "zoned"]].tolist() == [237, 237]
    assert bool(by.loc["junior", "ok"])
    assert by.loc["all", ["students", "zoned"]].tolist() == [777, 774]
    school = z.by_school.set_index("school_id")
    assert school.loc["S2", ["students", "zoned"]].tolist() == [123, 120]
    assert z.out_of_zone[["unit_id", "section", "school_id", "zoned_school_id",
                          "students"]].values.tolist() == [["U3", "primary", "S2", "S1", 3]]
    assert z.out_of_zone["unit"].tolist() == ["北街社区"]


def test_entry_grades_only_counts_grades_one_and_seven(small):
    from dataclasses import replace

    std = replace(NATIONAL_2017, zoned_entry_grades_only=True)
    by = zoned_enrolment(plan_from_workspace(small, std, distances=None)).by_section.set_index(
        "section")
    # grade 1 at S1, S2: U1 40 + U2 20 + U3 30 = 90, all zoned; grade 7 at S3: 35 + 17 + 27 = 79
    assert by.loc["primary", ["students", "zoned"]].tolist() == [90, 90]
    assert by.loc["junior", ["students", "zoned"]].tolist() == [79, 79]


def _square(i, j, w=1000.0, h=1000.0):
    x, y = X0 + 1000 * i, Y0 + 1000 * j
    return shapely.box(x, y, x + w, y + h)


def test_tiling_reports_one_overlap_and_one_gap_with_their_areas(small):
    # S1's primary catchment also takes the west half of U2 (0.5 km² overlap with S2);
    # S4's keeps only the west half of U4 (a 0.5 km² gap).
    c = small.catchments.to_crs(CRS_M).copy()
    prim = c["section"] == "primary"
    s1 = prim & (c["school_id"] == "S1")
    s4 = prim & (c["school_id"] == "S4")
    c.loc[s1, "geometry"] = shapely.union_all([_square(0, 0), _square(0, 1),
                                               _square(1, 0, w=500.0)])
    c.loc[s4, "geometry"] = _square(1, 1, w=500.0)
    ws = small.replace(catchments=gpd.GeoDataFrame(c, crs=CRS_M).to_crs("EPSG:4326"))
    t = tiling(ws)
    assert t[["section", "kind", "school_ids"]].values.tolist() == [
        ["primary", "overlap", "S1,S2"], ["primary", "gap", ""]]
    assert t["area_m2"].tolist() == pytest.approx([500_000.0, 500_000.0], rel=1e-4)
    dist = compute_distances(ws, use_network=False)
    lay = layout_checks(plan_from_workspace(ws, NATIONAL_2017, distances=dist))
    assert lay.unit_problems[["unit_id", "section", "catchments", "school_ids"]].values.tolist() \
        == [["U2", "primary", 2, "S1,S2"]]
    ev = evaluate(ws, distances=dist)
    g1 = ev.checklist.set_index("id").loc["G1"]
    assert g1["status"] == "fail" and g1["value"]["overlaps"] == 1 and g1["value"]["gaps"] == 1
    assert "distances: straight_line_x1.3" in g1["evidence"]


def test_nearest_school_and_radius_on_the_small_county(small):
    dist = compute_distances(small, use_network=False)
    lay = layout_checks(plan_from_workspace(small, NATIONAL_2017, distances=dist))
    ud = lay.unit_distances.set_index(["unit_id", "section"])
    # U3's zoned primary school S1 sits in U1, 1 km south; no nearer primary school exists
    assert ud.loc[("U3", "primary"), "zoned_school_id"] == "S1"
    assert ud.loc[("U3", "primary"), "nearest_school_id"] == "S1"
    # U4's zoned junior school is S4 (in U4); S3 in U3 is 1 km west: S4 is nearer
    assert not ud.loc[("U4", "junior"), "not_nearest"]
    assert (lay.summary["students"].sum()) == 867
