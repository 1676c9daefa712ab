"""The plan of record (planner/record.py): hand-worked small counties where the projection
changes the choice, and the demo county's plan re-evaluated year by year."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from planner import record
from planner import roadmap as rm
from planner import session as ss
from planner.cli import main
from planner.io.gpkg import write_workspace
from planner.standards import NATIONAL_2017
from planner.workspace import Meta, Workspace, canonical
from tests.helpers import a_school

CRS = "EPSG:4547"
X0, Y0 = 627_000.0, 3_993_000.0
# entrants born in y − 6 alone (entry ratio grade 1 ÷ births of 2020), no migration, births
# flat after the table's last year: every projected cohort can be counted by hand
STD = replace(NATIONAL_2017, entry_cutoff_share=0.0, entry_cutoff_fit=False,
              entry_ratio_prior_births=0.0, township_prior_births=0.0, history_weights=(1.0,),
              migration_rural=0.0, migration_town=0.0, births_change_low=0.0,
              births_change_central=0.0, births_change_high=0.0)


def _rich(sid, name, kind, most, **extra):
    """A school whose every resource passes for up to `most` pupils, with room to spare."""
    junior = kind == "junior"
    per = (6.0, 2.0, 1.8, 7.0, 12.0, 3000.0, 3.0)  # above the thresholds of both sections
    n = most / 100
    classes = math.ceil(most / (50 if junior else 45))
    rec = a_school(
        school_id=sid, name=name, kind=kind, classes_primary=0, classes_junior=0,
        max_class_size_primary=0, max_class_size_junior=0, classrooms=classes + 6,
        teachers_total=math.ceil(n * 8), teachers_certified=math.ceil(n * 8),
        teachers_above_degree=math.ceil(n * per[0]), teachers_backbone=math.ceil(n * per[1]),
        teachers_pe_art=math.ceil(n * per[2]), teaching_aux_area_m2=most * per[3],
        sports_area_m2=most * per[4], equipment_value_yuan=most * per[5],
        multimedia_rooms=math.ceil(n * per[6]), music_rooms=math.ceil(classes / 12) + 1,
        music_room_min_area_m2=100.0, art_rooms=math.ceil(classes / 12) + 1,
        art_room_min_area_m2=95.0)
    rec.update(extra)
    return rec


def _county(tmp_path, units, schools, name="county.gpkg"):
    """Write a county: units (id, x_km, kids g1..g9, births 2019..2026, primary, junior)."""
    squares = {u: shapely.box(X0 + 1000 * x, Y0, X0 + 1000 * x + 1000, Y0 + 1000)
               for u, x, *_ in units}
    rows = []
    for u, _x, kids, _b, p, j in units:
        rows += [(u, p if g <= 6 else j, g, kids[g - 1]) for g in range(1, 10) if kids[g - 1]]
    enrol = pd.DataFrame(rows, columns=["unit_id", "school_id", "grade", "students"])
    recs = []
    for rec, _x in schools:
        at = enrol[enrol["school_id"] == rec["school_id"]]
        p = int(at.loc[at["grade"] <= 6, "students"].sum())
        j = int(at.loc[at["grade"] >= 7, "students"].sum())
        cp, cj = math.ceil(p / 45), math.ceil(j / 50)
        recs.append({**rec, "students_primary": p, "students_junior": j, "classes_primary": cp,
                     "classes_junior": cj, "max_class_size_primary": math.ceil(p / cp) if cp
                     else 0, "max_class_size_junior": math.ceil(j / cj) if cj else 0})
    sch = gpd.GeoDataFrame(pd.DataFrame(recs), geometry=[
        shapely.Point(X0 + 1000 * x + 500, Y0 + 500) for _, x in schools], crs=CRS)
    catch = []
    for k, sec in ((4, "primary"), (5, "junior")):
        by: dict[str, list] = {}
        for unit in units:
            by.setdefault(unit[k], []).append(squares[unit[0]])
        catch += [{"school_id": s, "section": sec, "geometry": shapely.union_all(g)}
                  for s, g in by.items()]
    units_gdf = gpd.GeoDataFrame(
        {"unit_id": [u[0] for u in units], "name": [f"{u[0]}村" for u in units],
         "area_type": "urban", **{f"g{g}": [u[2][g - 1] for u in units] for g in range(1, 10)}},
        geometry=[squares[u[0]] for u in units], crs=CRS)
    births = pd.DataFrame([(u[0], 2019 + k, n) for u in units for k, n in enumerate(u[3])],
                          columns=["unit_id", "year", "births"])
    w = lambda f: f.to_crs("EPSG:4326")  # noqa: E731
    ws = Workspace(schools=gpd.GeoDataFrame(canonical(w(sch), "schools"), crs="EPSG:4326"),
                   units=gpd.GeoDataFrame(canonical(w(units_gdf), "units"), crs="EPSG:4326"),
                   catchments=gpd.GeoDataFrame(canonical(w(gpd.GeoDataFrame(catch, crs=CRS)),
                                                         "catchments"), crs="EPSG:4326"),
                   enrolment=canonical(enrol, "enrolment"), meta=Meta(crs=CRS, year=2026),
                   births=births)
    path = tmp_path / name
    write_workspace(ws, path)
    return path


def _session(path):
    ws = ss.open_session(path).ws
    return ss.open_session(path, base=ss.Baseline(ws, STD))


@pytest.fixture()
def peak_county(tmp_path):
    """Two primary and two junior schools.

    UA's junior cohorts peak: JC has 450 junior pupils in 2026, 500 in 2028, 550 in 2029,
    600 in 2030 and 2031 (today's grades 2–5 are 200 each), then 450 (today's grade 1 is 50,
    and the 2027 entrants, born 2021, 200). JC has 4 PE and art teachers: 4/600 = 0.67 per
    100 is under 85 % of 0.9 (0.765), so 2030 and 2031 need a fifth; at 450 (0.89) it passes.
    JD (UD: 150 a grade) has 8 of them for 450 pupils, 1.78 per 100: one can go.
    PB's pupils fall: 200 a grade today (1,200), births of 2020–2026 100 a year, so 800 in
    2030 (grades 1–4 of 100, grades 5–6 of 200) and 600 from 2032; its 6,400 m² of sports
    ground is 5.3 m² a pupil today (under 85 % of 7.5) and 8.0 in 2030.
    """
    a = [50, 200, 200, 200, 200, 150, 150, 150, 150]
    units = [("UA", 0, a, [50, 50, 200, 200, 200, 200, 200, 200], "PA", "JC"),
             ("UB", 1, [200] * 6 + [150] * 3, [200, 200] + [100] * 6, "PB", "JD"),
             ("UD", 2, [150] * 9, [150] * 8, "PD", "JD")]
    schools = [(_rich("PA", "甲小学", "primary", 1400), 0),
               (_rich("PB", "乙小学", "primary", 1300, sports_area_m2=6400.0), 1),
               (_rich("PD", "丁小学", "primary", 1000), 2),
               (_rich("JC", "丙初中", "junior", 650, teachers_pe_art=4), 0),
               (_rich("JD", "丁初中", "junior", 950, teachers_pe_art=17), 2)]
    return _county(tmp_path, units, schools)


def test_the_peak_county_projects_as_worked_by_hand(peak_county):
    s = _session(peak_county)
    got = {}
    for y in (2026, 2030, 2031, 2032, 2033):
        plan = ss.plan_at_year(s, ss.BASELINE, y)
        i = {sid: k for k, sid in enumerate(plan.school_ids)}
        got[y] = (int(plan.schools["students_junior"][i["JC"]]),
                  int(plan.schools["students_primary"][i["PB"]]))
    assert got == {2026: (450, 1200), 2030: (600, 800), 2031: (600, 700), 2032: (450, 600),
                   2033: (450, 600)}


def test_a_transient_need_is_met_by_exchange_and_a_vanishing_one_left_unbought(peak_county):
    s = _session(peak_county)
    today = rm.roadmap(s.base.plan.schools_frame, STD)
    bought_today = today.actions[["school_id", "id"]].apply(tuple, axis=1).tolist()
    # today's pupils: PB's sports ground is short, JC's teachers are not (450 pupils yet)
    assert bought_today == [("PB", "R5")]
    rec = record.make(s, 2030, name="p", to_year=2033)
    assert rec.ok, [b.line("en") for b in rec.blocks]
    a = rec.actions
    # PB's sports ground: enough for the 800 pupils of 2030 and after: nothing built
    assert not ((a["school_id"] == "PB") & (a["row"] == "R5")).any()
    # JC's fifth PE teacher: on exchange from JD in 2030 and 2031 only, no post
    jc = a[(a["school_id"] == "JC") & (a["row"] == "R3")]
    assert jc[["year", "until", "action", "quantity", "partner_school_id"]].to_dict(
        "records") == [{"year": 2030, "until": 2030, "action": "exchange", "quantity": 1.0,
                        "partner_school_id": "JD"},
                       {"year": 2031, "until": 2031, "action": "exchange", "quantity": 1.0,
                        "partner_school_id": "JD"}]
    assert (a["action"] != "hire").all()
    assert jc["yearly_yuan"].tolist() == [STD.cost_exchange_teacher_year] * 2
    # re-evaluated by the ordinary engine: JC has 5 of them in 2030–31, 4 again in 2032
    for y, n in ((2029, 4), (2030, 5), (2031, 5), (2032, 4)):
        plan, ev = ss.evaluate_scenario(ss.save_plan(s, rec) if y == 2029 else s, "p", year=y)
        assert int(plan.schools["teachers_pe_art"][plan.school_index["JC"]]) == n
        assert int(plan.schools["teachers_pe_art"][plan.school_index["JD"]]) == 17 - (n - 4)
        if y >= 2030:
            rows = ev.checklist.set_index("id")["status"]
            assert (rows[list(record.COMPUTABLE)] == "pass").all(), (y, rows.to_dict())
        s = ss.reload(s)


@pytest.fixture()
def crowded_county(tmp_path):
    """PX takes UX1 and UX2, 2,250 primary pupils (1,125 each: six grades of 187 or 188,
    births flat): 250 over the cap of 2,000. UX2 lies between PX and PY (PY has rooms and
    teachers for 1,900); its entrants re-zoned to PY from 2027 take 188 a year off PX, so
    PX is under its cap from 2028 (2,250 − 2 × 188 = 1,874)."""
    k = [188, 188, 187, 187, 188, 187, 0, 0, 0]
    units = [("UX1", 0, k, [188] * 8, "PX", "JZ"), ("UX2", 1, k, [188] * 8, "PX", "JZ"),
             ("UY", 2, [100] * 6 + [0] * 3, [100] * 8, "PY", "JZ")]
    schools = [(_rich("PX", "城关小学", "primary", 2300), 0),
               (_rich("PY", "新区小学", "primary", 1900, classrooms=48), 2),
               (_rich("JZ", "城关初中", "junior", 1500), 1)]
    return _county(tmp_path, units, schools, "crowded.gpkg")


def test_a_size_cap_is_met_by_an_admission_cap_and_re_zoned_entrants(crowded_county):
    s = _session(crowded_county)
    early = record.make(s, 2027, name="p", to_year=2030)
    assert [(b.row, b.where[0], b.earliest) for b in early.blocks] == [("G4", "城关小学", 2028)]
    rec = record.make(s, 2028, name="p", to_year=2030)
    assert rec.ok, [b.line("en") for b in rec.blocks]
    a = rec.actions
    moves = [e for e in rec.edits if e["op"] == "move_unit"]
    assert moves == [{"op": "move_unit", "unit_id": "UX2", "section": "primary",
                      "to_school": "PY", "year": 2027, "siblings": False}]
    assert set(a.loc[a["row"] == "G4", "action"]) == {"cap_entrants", "rezone_entrants"}
    assert not a["action"].str.startswith("build").any()  # no new building for G4
    # the cap keeps no sibling (多孩同校): of UX2's 188 + 188 entrants of 2027 and 2028 a
    # fifth, 37.6 → 38 each, has an older sibling at 城关小学: 76 families split by 2028
    why = a.loc[a["action"] == "rezone_entrants", "why_en"].iloc[0]
    assert "76 with an older sibling at 城关小学 by 2028: families split" in why
    s = ss.save_plan(s, rec)
    # by hand: a unit's grades 1–6 are 1,126 in 2027 and 2028 (the 188 born 2021 and 2022
    # enter, today's 187 of grade 6 leave) and 1,128 in 2030; UX2 keeps at PX only its
    # cohorts enrolled before 2027: grades 2–6 in 2027 (938), 3–6 in 2028 (750), 5–6 in 2030
    for y, size in ((2027, 1126 + 938), (2028, 1126 + 750), (2030, 1128 + 376)):
        plan, ev = ss.evaluate_scenario(s, "p", year=y)
        assert int(plan.schools["students_primary"][plan.school_index["PX"]]) == size
        assert (ev.checklist.set_index("id").loc["G4", "status"] == "pass") == (y >= 2028)


def test_classes_over_the_standard_are_met_by_building_classrooms_by_hand(tmp_path):
    # PA: six grades of 60 (births flat at 60) in 9 classrooms. At the cap of 45 each grade
    # needs 2 classes, 12 in all; in 9 rooms the least largest class is 60 (each grade one
    # class: a class over the standard, G5 fails). The plan builds the 3 rooms missing, 3 × 85
    # = 255 m² at 3,000 yuan: 765,000 yuan, ready two years after 2027 (the lead time).
    units = [("UA", 0, [60] * 9, [60] * 8, "PA", "JA")]
    schools = [(_rich("PA", "城关小学", "primary", 400, classrooms=9), 0),
               (_rich("JA", "城关初中", "junior", 200), 1)]
    s = _session(_county(tmp_path, units, schools, "rooms.gpkg"))
    before, ev = ss.evaluate_scenario(s, "baseline", year=2029)
    assert ev.checklist.set_index("id").at["G5", "status"] == "fail"
    assert int(before.schools["max_class_size_primary"][before.school_index["PA"]]) == 60
    early = record.make(s, 2028, name="p", to_year=2030)
    assert [(b.row, b.earliest) for b in early.blocks] == [("G5", 2029)]
    rec = record.make(s, 2029, name="p", to_year=2030)
    assert rec.ok, [b.line("en") for b in rec.blocks]
    build = rec.actions[rec.actions["action"] == "build_classrooms"]
    assert build[["school_id", "row", "quantity", "one_off_yuan"]].to_numpy().tolist() == [
        ["PA", "G5", 3.0, 765_000.0]]
    s = ss.save_plan(s, rec)
    for y in (2029, 2030):
        plan, ev = ss.evaluate_scenario(s, "p", year=y)
        i = plan.school_index["PA"]
        assert int(plan.schools["classrooms"][i]) == 12
        assert int(plan.schools["classes_primary"][i]) == 12
        assert int(plan.schools["max_class_size_primary"][i]) == 30
        assert ev.checklist.set_index("id").at["G5", "status"] == "pass"


def test_asking_too_early_exits_2_naming_the_row_and_saving_nothing(crowded_county, capsys):
    rc = main(["plan", str(crowded_county), "--target-year", "2027", "--name", "p",
               "--to", "2030", "--lang", "en"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "the earliest year possible is 2028; nothing saved" in err
    assert "G4 城关小学: 2,064 pupils in 2027, cap 2,000" in err
    assert "p" not in ss.open_session(crowded_county).scenarios


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory, demo_gpkg):
    path = tmp_path_factory.mktemp("plan") / "demo.gpkg"
    path.write_bytes(Path(demo_gpkg).read_bytes())
    out = path.with_name("plan.xlsx")
    assert main(["plan", str(path), "--target-year", "2032", "--name", "p",
                 "--out", str(out)]) == 0
    s = ss.open_session(path)
    return s, record.make(s, 2032, name="p"), out


def test_the_demo_plan_passes_every_computable_row_from_2032(demo_plan):
    s, rec, _ = demo_plan
    for y in range(2032, 2036):
        _, ev = ss.evaluate_scenario(s, "p", year=y)
        rows = ev.checklist.set_index("id")["status"]
        assert (rows[list(record.COMPUTABLE)] == "pass").all(), (y, rows.to_dict())
        assert bool(ev.indicators["compliant"].all())
    # the entered rows are listed for the county to confirm, G11 among the computed
    assert set(rec.to_confirm["id"]) >= {"G2", "G6", "G7", "G8", "G9", "G10", "G14", "G15",
                                         "S1"}
    assert "G11" not in set(rec.to_confirm["id"])


def test_the_demo_plan_states_what_its_scenario_shows(demo_plan):
    s, rec, out = demo_plan
    a = rec.actions
    for y in (2027, 2032, 2035):
        base = ss.plan_at_year(s, ss.BASELINE, y)
        plan, ev = ss.evaluate_scenario(s, "p", year=y)
        # the yearly table is the ordinary evaluation's
        mine = rec.checklist[rec.checklist["year"] == y].set_index("id")["status"]
        assert mine.to_dict() == ev.checklist.set_index("id")["status"].to_dict()
        # pupils by grade kept
        assert np.array_equal(plan.pupils_by_grade.sum(axis=0), base.pupils_by_grade.sum(axis=0))
        done = a[(a["year"] <= y) & (a["until"].isna() | (a["until"] >= y))]
        diff = {c: float(np.nansum(plan.schools[c].astype(float))
                         - np.nansum(base.schools[c].astype(float)))
                for c in ("teachers_total", "sports_area_m2", "equipment_value_yuan",
                          "multimedia_rooms", "teachers_backbone", "teaching_aux_area_m2")}
        def q(act, done=done):
            return float(done.loc[done["action"] == act, "quantity"].sum())

        hires = float(done.loc[done["action"] == "hire", "quantity"].sum())
        assert diff["teachers_total"] == pytest.approx(hires)  # moves and titles add nobody
        assert diff["sports_area_m2"] == pytest.approx(q("build_sports"), abs=0.5)
        assert diff["equipment_value_yuan"] == pytest.approx(q("buy_equipment"), abs=0.5)
        assert diff["multimedia_rooms"] == pytest.approx(q("fit_multimedia"))
        r2 = done[(done["row"] == "R2") & done["action"].isin(["designate", "hire"])]
        assert diff["teachers_backbone"] == pytest.approx(float(r2["quantity"].sum()))
        rooms = done[done["action"] == "build_rooms"]  # music and art rooms count in R4
        rooms_m2 = float(rooms["one_off_yuan"].sum()) / s.standards.cost_teaching_area_m2
        assert diff["teaching_aux_area_m2"] == pytest.approx(q("build_floor") + rooms_m2,
                                                             abs=0.5 * len(done))
    # money: the capital is the actions' one-off, the recurrent their yearly in effect
    assert rec.money["capital_yuan"].sum() == pytest.approx(a["one_off_yuan"].sum())
    wb = load_workbook(out)
    assert wb.sheetnames[:6] == ["规划措施", "逐年指标", "逐年学校学段", "逐年经费", "逐年教师",
                                 "待县级确认指标"]


def test_g11_is_computed_from_the_plans_exchange_in_its_years_only(demo_plan):
    s, rec, _ = demo_plan
    _, ev = ss.evaluate_scenario(s, "p", year=2032)
    g11 = ev.checklist.set_index("id").loc["G11"]
    eligible = ss.plan_at_year(s, "p", 2032)
    prog = [e for e in rec.edits if e["op"] == "exchange_teachers" and e["year"] == 2032][0]
    from planner.checklist import compulsory_teacher_total

    total = compulsory_teacher_total(eligible.schools, s.standards)
    assert prog["teachers"] == math.ceil(0.10 * total)
    assert prog["backbone"] == math.ceil(0.20 * prog["teachers"])
    assert (g11["source"], g11["status"]) == ("computed", "pass")
    assert g11["value"] == pytest.approx(prog["teachers"] / total)
    # the exchange runs from the plan's first year (the inspection reads the record of the
    # years before); without the plan the county table's 8 % stands
    _, first = ss.evaluate_scenario(s, "p", year=2027)
    assert tuple(first.checklist.set_index("id").loc["G11", ["source", "status"]]) == (
        "computed", "pass")
    _, today = ss.evaluate_scenario(s, ss.BASELINE, year=2027)
    assert tuple(today.checklist.set_index("id").loc["G11", ["source", "status"]]) == (
        "entered", "fail")


@pytest.mark.parametrize(("edit", "message"), [
    ({"op": "exchange_teachers", "teachers": 5, "backbone": 1},
     "edit 1, column `year`: an exchange belongs to a school year: give its year"),
    ({"op": "exchange_teachers", "year": 2030, "teachers": 5, "backbone": 6},
     "edit 1, column `backbone`: expected at most the 5 teachers exchanged, got 6"),
    ({"op": "exchange_teachers", "year": 2030, "teachers": -1, "backbone": 0},
     "edit 1, column `teachers`: expected a whole number of teachers from 0 to 1,000,000, "
     "got -1"),
])
def test_a_malformed_exchange_edit_is_refused_where_it_is(peak_county, edit, message):
    from planner.errors import InputError
    from planner.plan import apply_edits

    s = _session(peak_county)
    with pytest.raises(InputError) as err:
        apply_edits(s.base.plan, [edit], file="e.json")
    assert message in str(err.value)


def test_the_year_map_rings_the_schools_with_actions_and_escapes_their_names(demo_plan):
    from planner import workbench as wb
    from planner.report.maps import plan_year_map

    s, rec, _ = demo_plan
    plan, ev = wb.plan_year(s, rec, 2032)
    acts = rec.actions[rec.actions["year"] == 2032]
    sid = str(acts.loc[acts["school_id"] != "", "school_id"].iloc[0])
    names = plan.schools["name"].copy()
    names[plan.school_index[sid]] = "<img src=x onerror=alert(1)>"
    plan = replace(plan, schools={**plan.schools, "name": names})
    html = plan_year_map(plan, ev, acts, lang="zh").get_root().render()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html
    rings = {str(x) for x in acts.loc[acts["school_id"] != "", "school_id"]}
    assert html.count("circle_marker_") >= len(rings)


def test_a_lasting_need_no_school_can_spare_is_a_hire_flagged_over_the_norm(tmp_path):
    """JC has 2 PE and art teachers for 450–600 junior pupils: short in every year; JD's 5 for
    450 (1.11 per 100) cannot spare one (4 is 0.89, under 0.9). JC's 52 teachers are over the
    junior norm (600 / 13.5 → 45) in 2030, so the hire is said to need the county's pool."""
    a = [50, 200, 200, 200, 200, 150, 150, 150, 150]
    units = [("UA", 0, a, [50, 50, 200, 200, 200, 200, 200, 200], "PA", "JC"),
             ("UD", 2, [150] * 9, [150] * 8, "PD", "JD")]
    schools = [(_rich("PA", "甲小学", "primary", 1400), 0),
               (_rich("PD", "丁小学", "primary", 1000), 2),
               (_rich("JC", "丙初中", "junior", 650, teachers_pe_art=2), 0),
               (_rich("JD", "丁初中", "junior", 500, teachers_pe_art=5), 2)]
    s = _session(_county(tmp_path, units, schools, "short.gpkg"))
    rec = record.make(s, 2030, name="p", to_year=2033)
    assert rec.ok, [b.line("en") for b in rec.blocks]
    jc = rec.actions[(rec.actions["school_id"] == "JC") & (rec.actions["row"] == "R3")]
    # 85 % of 0.9 per 100 is 0.765: 4.59 → 5 teachers for 600, 3.44 → 4 for 450: 2 lasting
    # posts and a third on exchange for 2030–31 — none to be had, so it is a post too
    assert set(jc["action"]) == {"hire"}
    assert jc["quantity"].tolist() == [1.0, 1.0, 1.0]
    assert all("over its staffing norm in 2030" in w for w in jc["why_en"])
