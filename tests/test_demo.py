"""The synthetic demo county: size, realism, and the ways its baseline fails."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest

from planner.demo import make_demo
from planner.schema import KINDS

G = [f"g{g}" for g in range(1, 10)]


def test_sizes_match_a_north_china_plain_county(demo):
    units, schools = demo.units, demo.schools
    assert units["area_type"].value_counts().to_dict() == {"rural": 300, "urban": 80, "town": 28}
    assert len(schools) >= 120
    assert set(schools["kind"]) == set(KINDS)
    assert (schools["kind"] == "special").sum() == 1
    assert (schools["kind"] == "complete_middle").sum() == 1
    students = int(schools["students_primary"].sum() + schools["students_junior"].sum())
    assert 50_000 <= students <= 60_000
    tp = schools[schools["kind"] == "teaching_point"]["students_primary"]
    assert (tp < 50).sum() >= 3 and (tp >= 50).any()
    assert len(demo.nodes) >= 15_000
    assert demo.meta.synthetic and "合成" in demo.meta.name


def test_units_tile_the_county_without_overlap(demo):
    u = demo.units.to_crs(demo.meta.crs)
    union = u.union_all()
    assert u.area.sum() == pytest.approx(union.area, rel=1e-6)
    assert union.geom_type == "Polygon"  # one piece, no holes between units
    assert len(union.interiors) == 0
    assert 550e6 < union.area < 700e6  # about 620 km², like the seed's county


def test_every_unit_lies_in_exactly_one_catchment_per_section(demo):
    pts = gpd.GeoDataFrame(demo.units[["unit_id"]],
                           geometry=demo.units.to_crs(demo.meta.crs).representative_point())
    for section in ("primary", "junior"):
        catch = demo.catchments[demo.catchments["section"] == section].to_crs(demo.meta.crs)
        hits = gpd.sjoin(pts, catch, predicate="within").groupby("unit_id").size()
        assert len(hits) == len(demo.units) and (hits == 1).all()


def test_no_student_is_lost_between_units_and_enrolment(demo):
    enrolled = demo.enrolment.groupby(["unit_id", "grade"])["students"].sum().unstack(fill_value=0)
    residents = demo.units.set_index("unit_id")[G]
    residents.columns = range(1, 10)
    pd.testing.assert_frame_equal(enrolled.reindex(residents.index, fill_value=0)
                                  .astype("int64"), residents, check_names=False)


def test_roads_load_with_osmnx_and_are_connected(demo):
    graph = ox.graph_from_gdfs(demo.nodes.set_index("osmid"),
                               demo.edges.set_index(["u", "v", "key"]))
    assert graph.number_of_nodes() == len(demo.nodes)
    assert nx.is_strongly_connected(graph)
    lengths = demo.edges["length"]
    assert lengths.min() > 0 and lengths.max() < 2500
    assert set(demo.edges["highway"]) >= {"residential", "tertiary", "service", "unclassified"}


def _zoned(demo, section):
    """unit_id → zoned school for a section, from the catchment polygons."""
    pts = gpd.GeoDataFrame(demo.units[["unit_id"]],
                           geometry=demo.units.to_crs(demo.meta.crs).representative_point())
    catch = demo.catchments[demo.catchments["section"] == section].to_crs(demo.meta.crs)
    return gpd.sjoin(pts, catch, predicate="within").set_index("unit_id")["school_id"]


def test_baseline_fails_like_a_real_county(demo):
    s = demo.schools
    seat = s[(s["area_type"] == "urban") & s["kind"].isin(["primary", "junior"])]
    size = seat["students_primary"] + seat["students_junior"]
    assert (size > 2000).sum() >= 2  # over-size county-seat schools
    assert (seat["max_class_size_primary"] > 45).any()
    assert (seat["max_class_size_junior"] > 50).any()
    # county-seat choice: 5–15 % of urban children attend outside their catchment
    e = demo.enrolment.merge(demo.units[["unit_id", "area_type"]], on="unit_id")
    e["section"] = np.where(e["grade"] <= 6, "primary", "junior")
    zoned = pd.concat({sec: _zoned(demo, sec) for sec in ("primary", "junior")})
    e["zoned_school"] = [zoned[(sec, u)] for sec, u in zip(e["section"], e["unit_id"],
                                                           strict=True)]
    urban = e[e["area_type"] == "urban"]
    ratio = urban.loc[urban["school_id"] == urban["zoned_school"], "students"].sum() / urban[
        "students"].sum()
    assert 0.85 <= ratio <= 0.95
    # rural children enrolled in county-seat schools
    rural_in_seat = e[(e["area_type"] == "rural") & e["school_id"].isin(s.loc[s["area_type"]
                                                                            == "urban",
                                                                            "school_id"])]
    assert rural_in_seat["students"].sum() > 500


def _cv(students, resource):
    # SPEC §2.1: x̄ = ΣR/N, x_i = R_i/P_i, S = sqrt(Σ P_i/N (x_i − x̄)²), CV = S / x̄
    n = students.sum()
    mean = resource.sum() / n
    s = np.sqrt(((students / n) * (resource / students - mean) ** 2).sum())
    return s / mean


def test_some_coefficients_of_variation_exceed_their_limits(demo):
    s = demo.schools
    primary = s[s["kind"] == "primary"]
    junior = s[s["kind"] == "junior"]
    assert _cv(primary["students_primary"], primary["teachers_backbone"]) > 0.50
    assert _cv(junior["students_junior"], junior["teachers_backbone"]) > 0.45
    assert _cv(primary["students_primary"], primary["teachers_above_degree"]) < 0.50


def test_enough_seats_exist_for_a_layout_within_the_caps(demo):
    s = demo.schools.set_index("school_id")
    for section, grades, class_cap in (("primary", G[:6], 45), ("junior", G[6:], 50)):
        zoned = _zoned(demo, section)
        residents = demo.units.set_index("unit_id")[grades].sum(axis=1)
        demand = residents.groupby(zoned).sum()
        teaching = s[s[f"students_{section}"] > 0]
        seats = np.minimum(2000, teaching["classrooms"] * class_cap)
        urban = teaching.index[teaching["area_type"] == "urban"]
        # the county seat's own children fit in its schools, and the county in its schools
        assert seats[urban].sum() > 1.2 * demand.reindex(urban, fill_value=0).sum()
        assert seats.sum() > 1.2 * residents.sum()


def test_same_seed_same_county_other_seed_other_county(demo):
    again = make_demo(seed=7)
    pd.testing.assert_frame_equal(demo.enrolment, again.enrolment)
    assert demo.schools.geometry.equals(again.schools.geometry)
    other = make_demo(seed=8)
    assert not demo.schools.geometry.equals(other.schools.geometry)


def test_scale_multiplies_units_schools_and_roads(demo):
    big = make_demo(seed=7, scale=2)
    assert len(big.units) == 2 * len(demo.units)
    assert len(big.schools) == 2 * len(demo.schools)
    assert len(big.nodes) >= 2 * 15_000
    assert big.units["unit_id"].is_unique and big.schools["school_id"].is_unique
    graph = ox.graph_from_gdfs(big.nodes.set_index("osmid"), big.edges.set_index(["u", "v", "key"]))
    assert nx.is_strongly_connected(graph)
    with pytest.raises(ValueError, match="scale must be a whole number ≥ 1, got 0"):
        make_demo(scale=0)


def test_a_county_shape_sets_sizes_names_place_and_ids():
    from planner.demo import DEFAULT_SHAPE, CountyShape

    assert DEFAULT_SHAPE == CountyShape()  # the bundled demo is the default shape
    shape = CountyShape(name="小样县", code="4198", seat_communities=30, towns=1,
                        township_seats=5, villages=120, radius_m=9_000,
                        centre_offset_deg=(1.5, -0.8))
    ws = make_demo(seed=1, shape=shape)
    assert ws.units["area_type"].value_counts().to_dict() == {"rural": 120, "urban": 30,
                                                              "town": 6 + 5}
    assert ws.meta.name == "小样县（合成数据）"
    assert ws.meta.crs == "EPSG:4548"  # CGCS2000 GK CM 117°E for a centre at 116.67°E
    centre = ws.units.to_crs(ws.meta.crs).union_all().centroid
    lon, lat = gpd.GeoSeries([centre], crs=ws.meta.crs).to_crs("EPSG:4326").iloc[0].coords[0]
    assert abs(lon - 116.67) < 0.05 and abs(lat - 35.27) < 0.05
    assert ws.schools["school_id"].str.startswith("419800").all()
    assert ws.units["unit_id"].str.startswith("419800").all()
    assert "小样县实验小学" in set(ws.schools["name"])
    assert (ws.schools["kind"] == "special").sum() == 1
    assert ws.units.to_crs(ws.meta.crs).union_all().area == pytest.approx(
        np.pi * 9_000**2, rel=0.1)
    # a tighter choice pull on the seat's famous schools makes them bigger
    strong = make_demo(seed=1, shape=replace(shape, seat_oversize=2.5)).schools
    famous = ws.schools["name"] == "小样县实验小学"
    assert (strong.loc[famous, "students_primary"].iloc[0]
            > ws.schools.loc[famous, "students_primary"].iloc[0])


@pytest.mark.parametrize("changes, message", [
    ({"code": "41"}, "code must be four digits, got '41'"),
    ({"villages": 2000}, "2000 villages do not fit in a county of radius 14,000 m"),
    ({"seat_communities": 5}, "seat_communities must be ≥ 12, got 5"),
    ({"rural_backbone": 0.0}, "rural_backbone must be > 0, got 0.0"),
])
def test_a_county_shape_refuses_what_cannot_be_built(changes, message):
    from planner.demo import CountyShape

    with pytest.raises(ValueError, match=message):
        CountyShape(**changes)


# --- realism (issue 15) and history (issue 14) -------------------------------------------------

DATA = __import__("pathlib").Path(__file__).resolve().parent / "data"


def test_no_name_is_a_real_township_of_the_county_the_demo_lies_on(demo):
    real = pd.read_csv(DATA / "nanle_townships.csv", comment="#", dtype=str)
    assert len(real) == 12 and "千口镇" in set(real["name"])  # the file is what it says
    stems = {n.removesuffix("镇").removesuffix("乡") for n in real["name"]}
    towns = set(demo.units["township"])
    assert len(towns) == 2 + 3 + 10  # two street offices, three towns, ten townships
    names = towns | set(demo.units["name"]) | set(demo.schools["name"])
    clashes = sorted(n for n in names for stem in stems if stem in n)
    assert clashes == []
    assert not towns & set(real["name"])


def test_backbone_teachers_are_a_plausible_share_of_staff(demo):
    s = demo.schools
    share = s["teachers_backbone"] / s["teachers_total"]
    urban = s["area_type"] == "urban"
    assert share[urban].between(0.08, 0.20).all()
    assert (share[s["teachers_total"] >= 15] <= 0.20).all()
    county = s["teachers_backbone"].sum() / s["teachers_total"].sum()
    assert 0.08 <= county <= 0.20
    by_area = s.groupby("area_type")[["teachers_backbone", "teachers_total"]].sum()
    by_area = by_area["teachers_backbone"] / by_area["teachers_total"]
    assert by_area["rural"] < by_area["town"] < by_area["urban"]  # thin where it fails


def test_measured_amounts_do_not_repeat_and_rooms_add_up(demo):
    s = demo.schools
    for col in ("teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan",
                "music_room_min_area_m2", "art_room_min_area_m2"):
        counts = s.loc[s[col] > 0, col].value_counts()
        assert counts.max() <= 3, (col, counts.head(3).to_dict())
    assert (s["multimedia_rooms"] <= s["classrooms"] + s["music_rooms"] + s["art_rooms"]).all()
    tp = s.loc[s["kind"] == "teaching_point", "students_primary"]
    assert len(tp) == 16 and tp.between(16, 52).all()
    assert s.loc[s["kind"] == "teaching_point", "shrink_only"].all()
    assert not s.loc[s["kind"] != "teaching_point", "shrink_only"].any()


def test_approved_places_are_classrooms_at_the_cap_or_fewer(demo):
    from planner.schema import KIND_SECTIONS

    s = demo.schools
    for sec, cap in (("primary", 45), ("junior", 50)):
        taught = s["kind"].map(lambda k, sec=sec: sec in KIND_SECTIONS[k])
        places = s[f"approved_places_{sec}"]
        assert places[taught].notna().all() and places[~taught].isna().all()
        single = taught & s["kind"].isin(["primary", "junior"])
        at_cap = places[single] == s.loc[single, "classrooms"] * cap
        assert 0.5 < at_cap.mean() < 0.95  # often exactly, some lower
        assert (places[single] <= s.loc[single, "classrooms"] * cap).all()


def test_the_special_school_has_its_enrolment_rows(demo):
    special = demo.schools[demo.schools["kind"] == "special"].iloc[0]
    rows = demo.enrolment[demo.enrolment["school_id"] == special["school_id"]]
    by_section = rows.groupby(rows["grade"] > 6)["students"].sum()
    assert by_section[False] == special["students_primary"] > 0
    assert by_section[True] == special["students_junior"] > 0


def test_the_county_tables_retention_counts_agree_with_the_history(demo):
    q1 = demo.county[demo.county["indicator_id"] == "Q1"].set_index("item")["value"]
    h = demo.enrolment_history
    entered = h.loc[(h["year"] == 2023) & (h["grade"] == 7), "students"].sum()
    finishing = h.loc[(h["year"] == 2025) & (h["grade"] == 9), "students"].sum()
    assert q1["entrants"] == entered
    assert q1["entrants"] + q1["transfers_in"] - q1["transfers_out"] == finishing
    assert finishing - 25 <= q1["graduates"] < finishing
    assert q1["graduates"] / finishing >= 0.95  # Q1 passes


def _by_year(frame, col):
    return frame.groupby("year")[col].sum()


def test_births_follow_the_national_curve_and_villages_fall_faster(demo):
    b = demo.births.merge(demo.units[["unit_id", "area_type"]], on="unit_id")
    county = _by_year(b, "births")
    assert list(county.index) == list(range(2010, 2026))
    assert county.idxmax() in (2016, 2017)
    assert 0.40 <= 1 - county[2023] / county[2016] <= 0.60  # about −45 % (−49.5 % nationally)
    fall = {a: _by_year(b[b["area_type"] == a], "births") for a in ("urban", "rural")}
    assert fall["rural"][2023] / fall["rural"][2016] < fall["urban"][2023] / fall["urban"][2016]
    # the primary school-age population (born y − 11 … y − 6) peaks in 2023
    primary = {y: county.loc[y - 11:y - 6].sum() for y in range(2021, 2027)}
    assert max(primary, key=primary.get) == 2023


def test_todays_grades_follow_births_six_years_before_entry(demo):
    grades = demo.units[G].sum()
    assert grades["g1"] < grades["g3"] and grades["g1"] < grades["g4"]
    county = _by_year(demo.births, "births")
    # grade g of 2026 entered in 2027 − g, born six years before: 2021 − g
    ratio = [grades[f"g{g}"] / county[2021 - g] for g in range(1, 10) if 2021 - g >= 2010]
    assert all(0.85 <= r <= 1.0 for r in ratio)  # a few leave the county every year
    enrolled = demo.enrolment.groupby("grade")["students"].sum()
    assert enrolled.tolist() == grades.tolist()


def test_the_history_measures_progression_with_village_outflow(demo):
    h = demo.enrolment_history.merge(demo.units[["unit_id", "area_type"]], on="unit_id")
    assert sorted(h["year"].unique()) == [2023, 2024, 2025]
    total = _by_year(h, "students")
    assert total[2023] > total[2024] > total[2025] > demo.enrolment["students"].sum()
    cells = h.groupby(["area_type", "year", "grade"])["students"].sum()

    def progression(area):
        return np.mean([cells[(area, y + 1, g + 1)] / cells[(area, y, g)]
                        for y in (2023, 2024) for g in range(1, 9)])

    assert 0.95 < progression("rural") < 0.995  # villages lose children every year ...
    assert progression("urban") > 1.0  # ... to the county seat


def test_two_housing_estates_come_to_the_seat_from_2027(demo):
    d = demo.developments
    assert sorted(d["first_year"]) == [2027, 2028]
    assert d["dwellings"].between(1000, 2500).all()
    seat = demo.units[demo.units["area_type"] == "urban"]
    assert d["unit_id"].dropna().isin(seat["unit_id"]).all()
    poly = d.geometry.dropna()
    assert len(poly) == 1 and seat.union_all().contains(poly.iloc[0])
    assert demo.meta.year == 2026
