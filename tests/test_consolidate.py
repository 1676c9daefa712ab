"""Consolidation as 国办发〔2012〕48号 asks (issue 28): staged, near home, staff along, argued.

The hand-worked case is the four-school county (tests/data/make_battery.py, distances in
tests/test_admission.py) with 东街小学 (S1) given the rooms, teachers and facilities to take
南关小学 (S2): 16 classrooms, 60 teachers. The county has no school year: S2 closes at once.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent / "data"))
from make_battery import CRS_M, small_county  # noqa: E402

from planner import optimize as op  # noqa: E402
from planner import session as ss  # noqa: E402
from planner.admission import ride_minutes  # noqa: E402
from planner.cli import main  # noqa: E402
from planner.io.gpkg import write_workspace  # noqa: E402
from planner.workspace import Meta, Workspace, canonical  # noqa: E402

RICH = {"teachers_total": 60, "teachers_certified": 60, "teachers_above_degree": 50,
        "teachers_backbone": 12, "teachers_pe_art": 10, "teaching_aux_area_m2": 9000.0,
        "sports_area_m2": 15000.0, "equipment_value_yuan": 4e6, "multimedia_rooms": 30,
        "classrooms": 16}


@pytest.fixture()
def four(tmp_path):
    layers = small_county()
    sch = layers["schools"]
    for k, v in RICH.items():
        sch.loc[sch["school_id"] == "S1", k] = v
    g = {k: canonical(v, k) for k, v in layers.items()}
    ws = Workspace(schools=g["schools"], units=g["units"], catchments=g["catchments"],
                   enrolment=g["enrolment"], county=g["county"], meta=Meta(crs=CRS_M))
    path = tmp_path / "four.gpkg"
    write_workspace(ws, path)
    return path


def test_closing_a_school_of_the_four_school_county_by_hand(four):
    s = ss.open_session(four)
    s, proposed = ss.consolidate(s, op.Options(section="primary", time_limit_s=10), "c",
                                 listed=("S2",))
    found = proposed.result
    # U2 (南关社区) goes to S1 (1,170 m; S4 is a nine-year school U2's junior is not at), with
    # S2's teachers; the family of U3 at S2 (grade 2, 3 pupils) goes back to its zoned S1
    assert found.edits() == [
        {"op": "move_unit", "unit_id": "U2", "section": "primary", "to_school": "S1"},
        {"op": "enforce_zoning", "school_id": "S2", "section": "primary"},
        {"op": "close_school", "school_id": "S2", "into": "S1", "with_teachers": True}]
    moved = found.pupils.sort_values(["unit_id", "grade"])
    assert moved[["unit_id", "grade", "pupils", "to_school"]].values.tolist() == [
        ["U2", 1, 20, "S1"], ["U2", 2, 22, "S1"], ["U2", 3, 21, "S1"], ["U2", 4, 19, "S1"],
        ["U2", 5, 20, "S1"], ["U2", 6, 18, "S1"], ["U3", 2, 3, "S1"]]
    # 130 m → 1,170 m for U2 (1,170 / 30 km/h = 2.34 min); 1,933 m → 1,306 m for U3
    assert moved.drop_duplicates("unit_id")[
        ["distance_before_m", "distance_after_m", "ride_after_min"]].values.tolist() == [
        [130, 1170, 2.3], [1933, 1306, 2.6]]
    # its 20 teachers for 123 pupils: the norm (19 a teacher) needs 7, 13 to redeploy
    assert found.gains == {1: [("teachers_over_norm", 13.0)]}
    rec = found.closures.iloc[0]
    # travel 120 × 130 m = 15.6 → 120 × 1,170 m = 140.4 pupil-km; 1,170 m is beyond the town
    # radius (1,000 m): 120 by bus; S1 has 16 rooms × 45 = 720 places, 540 pupils after
    assert (rec["pupils"], rec["travel_before_km"], rec["travel_after_km"], rec["bus_pupils"],
            rec["places_left"]) == (120, 15.6, 140.4, 120, "S1:180")
    before, after = (ss.plan_of(s, n) for n in ("baseline", "c"))
    assert before.schools["teachers_total"].sum() == after.schools["teachers_total"].sum() == 120
    assert dict(zip(after.school_ids, after.schools["teachers_total"], strict=True))["S1"] == 80
    assert np.array_equal(before.pupils_by_grade.sum(axis=0), after.pupils_by_grade.sum(axis=0))
    lines = op.consolidation_lines(found)
    assert lines[0].startswith("primary: 1 of 1 candidate school(s) closed (now;")
    assert "gains: 13 teacher(s) over the staffing norm the county can redeploy" in lines[1]
    assert lines[2:4] == [
        "    U2 南关社区 → S1: pupils by year now 120; 130 m → 1,170 m (2 min by bus)",
        "    U3 北街社区 → S1: pupils by year now 3; 1,933 m → 1,306 m (3 min by bus)"]


def test_the_closure_case_sheet_is_in_the_export(four, tmp_path):
    s = ss.open_session(four)
    s, _ = ss.consolidate(s, op.Options(section="primary", time_limit_s=10), "c",
                          listed=("S2",))
    ss.export(s, "c", tmp_path / "out")
    wb = load_workbook(tmp_path / "out" / "c" / "c.xlsx")
    assert [n for n in wb.sheetnames if n.startswith("撤并论证")] == ["撤并论证1"]
    cells = [[v for v in row if v is not None] for row in wb["撤并论证1"].iter_rows(
        values_only=True)]
    cells = [c for c in cells if c]
    assert cells[1] == ["学校", "南关小学（S2）"]
    assert cells[3] == ["撤并方式与时间", "一次性撤并：即时"]
    assert cells[4] == ["教师随学生调入", "东街小学（S1）"]
    # pupils without and with the closure, by grade
    assert cells[7] == ["不撤并", 20, 25, 21, 19, 20, 18, 123]
    assert cells[8] == ["撤并方案", 0, 0, 0, 0, 0, 0, 0]
    assert ["U2", "南关社区", 120, 130, 1170, 2.3, "乘车", "S1"] in cells
    assert ["S1", "东街小学", 720, 417, 540, 60, 80] in cells
    assert ["超出编制标准的教师数（可调剂）", 13] in cells
    steps = cells[cells.index(["事项", "日期", "经办单位", "结果"]) + 1:]
    assert [c[0] for c in steps] == [
        "撤并论证报告", "向社会公示（起止日期）", "听证会（日期、参加人数）", "村民委员会意见",
        "学生家长意见", "县级人民政府审批并报上一级备案", "先建后撤：接收学校学位、校舍已落实",
        "交通安全与校车方案", "寄宿条件（如需寄宿）"]


def test_consolidate_on_the_demo_is_staged_near_home_and_keeps_every_teacher(demo_gpkg,
                                                                            tmp_path, capsys):
    ws = tmp_path / "d.gpkg"
    shutil.copy(demo_gpkg, ws)
    s = ss.open_session(ws)
    s, proposed = ss.consolidate(s, op.Options(section="primary", time_limit_s=30), "close")
    found = proposed.result
    assert len(found.closed) >= 5 and found.staged and found.close_year == 2032
    edits = found.edits()
    assert all(e["year"] == 2027 and "all_grades" not in e for e in edits
               if e["op"] in ("move_unit", "enforce_zoning"))
    assert all(e["year"] == 2032 and e["with_teachers"] for e in edits
               if e["op"] == "close_school")
    std = s.standards
    moved = found.pupils
    # grades 1–3 walk (within the rural radius, 2,500 m) or ride at most 30 minutes
    young = moved[moved["grade"] <= 3]
    assert ((young["distance_after_m"] <= 2500) | (young["ride_after_min"] <= 30)).all()
    assert ride_minutes(15_000, std) == pytest.approx(30.0)
    for y in range(2027, 2033):
        b, a = (ss.plan_at_year(s, n, y) for n in ("baseline", "close"))
        assert b.schools["teachers_total"].sum() == a.schools["teachers_total"].sum(), y
        assert np.array_equal(b.pupils_by_grade.sum(axis=0), a.pupils_by_grade.sum(axis=0))
    # every pupil moved is listed: in 2032 every pupil the closed schools would have had
    b = ss.plan_at_year(s, "baseline", 2032)
    closed = {str(found.instance.school_ids[c]) for c in found.closed}
    at = np.isin(b.school_ids[b.rows.es], list(closed))
    assert moved.loc[moved["year"] == 2032, "pupils"].sum() == b.rows.n[at].sum() > 0
    assert all(found.gains[int(c)] for c in found.closed)  # closed only for a gain
    ss.export(s, "close", tmp_path / "out")
    wb = load_workbook(tmp_path / "out" / "close" / "close.xlsx")
    assert len([n for n in wb.sheetnames if n.startswith("撤并论证")]) == len(found.closed)


def test_at_once_closes_every_grade_in_the_first_year(demo_gpkg, tmp_path, capsys):
    ws = tmp_path / "d.gpkg"
    shutil.copy(demo_gpkg, ws)
    assert main(["consolidate", str(ws), "--section", "primary", "--name", "now",
                 "--time-limit", "20", "--at-once"]) == 0
    out = capsys.readouterr().out
    assert "closed (every grade at once in 2027;" in out.splitlines()[0]
    s = ss.open_session(ws)
    edits = ss.scenario_edits(s, "now")
    assert all(e["year"] == 2027 for e in edits)
    assert all(e.get("all_grades") for e in edits if e["op"] == "move_unit")
