"""What the app's map and tables are built from (planner/report/maps.py, tables.py)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.report import tables
from planner.report.maps import display_positions, flow_table, unit_townships


@pytest.fixture(scope="module")
def bench(demo_gpkg):
    from planner import workbench as wb

    return wb.start(demo_gpkg)


def test_townships_from_codes_names_or_a_column():
    coded = pd.DataFrame({"unit_id": ["410101001001", "410101001002", "410101002001"],
                          "name": ["城关镇东街社区", "城关镇西街社区", "李庄乡李庄村"]})
    assert unit_townships(coded).tolist() == ["城关镇", "城关镇", "李庄乡"]
    # one code prefix for most units says nothing: names and the nearest named unit decide
    units = gpd.GeoDataFrame(
        {"unit_id": ["419900400001", "419900400002", "419900400003", "419900100001"],
         "name": ["张庄乡驻地", "王村", "李村", "城关镇北街社区"]},
        geometry=[shapely.Point(0, 0), shapely.Point(0.01, 0), shapely.Point(5, 5),
                  shapely.Point(5.01, 5)], crs="EPSG:4326")
    assert unit_townships(units).tolist() == ["张庄乡", "张庄乡", "城关镇", "城关镇"]
    given = coded.assign(township=["甲", "乙", "丙"])
    assert unit_townships(given).tolist() == ["甲", "乙", "丙"]


def test_schools_on_one_spot_are_spread_apart(bench):
    ws = bench.base.ws
    twin = ws.schools.iloc[[0]].assign(school_id="TWIN", name="同址学校")
    both = ws.replace(schools=pd.concat([ws.schools, twin], ignore_index=True))
    pos = display_positions(both)
    a, b = pos.loc[str(ws.schools["school_id"].iloc[0])], pos.loc["TWIN"]
    pts = gpd.GeoSeries(shapely.points([[a.lon, a.lat], [b.lon, b.lat]]), crs="EPSG:4326")
    gap = pts.to_crs(ws.meta.crs)
    assert gap.iloc[0].distance(gap.iloc[1]) == pytest.approx(120.0, abs=1.0)  # 2 × 60 m
    alone = pos.drop(index=[str(ws.schools["school_id"].iloc[0]), "TWIN"])
    orig = ws.schools.set_index(ws.schools["school_id"].astype(str)).geometry
    far = [s for s in alone.index if orig[s].distance(orig.drop(s)).min() > 0.01]
    assert np.allclose(alone.loc[far, "lon"], orig[far].x) and far


def test_flows_add_up_per_township_and_school(bench):
    from planner.report.maps import base_layers

    ev = bench.current
    table = flow_table(bench.base.ws, ev, "primary", base_layers(bench.base.ws))
    out = ev.zoned.out_of_zone
    assert table["students"].sum() == out.loc[out["section"] == "primary", "students"].sum()
    assert table["students"].is_monotonic_decreasing
    assert not table.duplicated(["township", "school_id"]).any()


def test_move_targets_nearest_by_road_first(bench):
    plan = bench.base.plan
    unit = str(plan.zoning.index[40])
    targets = tables.move_targets(plan, unit, "primary")
    metres = [m for _, m in targets]
    assert metres == sorted(metres) and np.isfinite(metres[0])
    d = plan.distances
    row = list(d.unit_ids.astype(str)).index(unit)
    assert targets[0][1] == pytest.approx(min(
        d.matrix[row, list(d.school_ids.astype(str)).index(s)] for s, _ in targets))
    assert tables.distance_text(1234.0, "zh") == "1.2 公里"
    assert tables.distance_text(850.0, "en") == "850 m"
    assert tables.distance_text(float("inf"), "en") == "—"


def test_schools_view_puts_what_is_lacking_first_and_colours_cells(bench):
    ev = bench.current
    view, status = tables.schools_view(ev, "zh")
    assert list(view.columns[:3]) == ["学校名称", "达标还需", "乡镇"]
    assert view.shape == status.shape == (len(ev.indicators), view.shape[1])
    failing = ~ev.indicators["compliant"].to_numpy()
    assert (status["是否达标"].to_numpy()[failing] == "fail").all()
    assert set(status["R2 骨干教师/百生"]) <= {"pass", "warn", "fail"}
    # a cell is "warn" exactly when the value reaches 85 % of the threshold but not all of it
    r2 = ev.indicators["backbone_teachers_per100"].to_numpy()
    warn = status["R2 骨干教师/百生"].to_numpy() == "warn"
    assert ((r2[warn] >= 0.85 * 1.0 - 1e-9) & (r2[warn] < 1.0)).all()
    styled = tables.styled(view, status).to_html()
    assert "background-color: #ffc7ce" in styled and "background-color: #c6efce" in styled


def test_checklist_thresholds_in_chinese(bench):
    table = tables.checklist_table(bench.current, "zh")
    g1 = table.loc[table["编号"] == "G1", "标准"].iloc[0]
    g3 = table.loc[table["编号"] == "G3", "标准"].iloc[0]
    assert g1 == "片区全覆盖、不重叠，每个单元只属一个片区"
    assert g3.startswith("全部 ") and g3.endswith(" 所学校")


SIX_THREE_OFF = """junior_from_grade = 6
[junior]
school_size_cap = 200
"""


@pytest.fixture(scope="module")
def five_four(tmp_path_factory):
    """The small county (tests/data) under a profile: grades 6–9 junior, junior schools ≤ 200."""
    from planner import session as ss

    toml = tmp_path_factory.mktemp("profile") / "five_four.toml"
    toml.write_text(SIX_THREE_OFF, encoding="utf-8")
    return ss.open_session(Path(__file__).parent / "data" / "small_county.gpkg",
                           profile=str(toml))


def test_the_unit_card_counts_children_by_the_profiles_grades(five_four):
    # U1's children g1..g9: 40 42 38 41 39 | 40 35 36 34 — primary g1–g5 = 200, junior
    # g6–g9 = 145 (the 6 + 3 split written into the card gave 240 and 105)
    base = five_four.base
    card = tables.unit_card(base.plan, base.evaluation, "U1", "en")
    rows = dict(zip(card["item"], card["value"], strict=True))
    assert rows["Primary · children"] == "200"
    assert rows["Junior · children"] == "145"


def test_the_map_colours_school_size_by_the_size_cap_of_its_kind(five_four):
    from planner.report.maps import school_colours
    from planner.report.style import BAD, GOOD

    base = five_four.base
    colours = school_colours(base.ws, base.evaluation, "junior", "size")
    # S3, a junior school of 237 pupils (105 + 51 + 81 of grades 7–9 in U1–U3), is over the
    # profile's junior cap of 200 (the map compared it with the primary cap of 2000)
    assert int(base.ws.schools.set_index("school_id").at["S3", "students_junior"]) == 237
    assert colours.to_dict() == {"S1": GOOD, "S2": GOOD, "S3": BAD, "S4": GOOD}
    assert base.evaluation.caps[["school_id", "rule", "value", "cap"]].values.tolist() == [
        ["S3", "size", 237, 200]]
