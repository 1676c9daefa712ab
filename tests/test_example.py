"""The filled example workbook in geodata/: village points, 划片 lists by name, no 就读 sheet,
a boundary GeoJSON — imported, evaluated and exported like the demo; and the same workbook
with a misspelled and an ambiguous village name refused with both rows named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest

from planner.cli import main
from planner.io.derive import derived_layers
from planner.io.load import open_workspace

GEODATA = Path(__file__).resolve().parent.parent / "geodata"
WORKBOOK = GEODATA / "example_county.xlsx"
BOUNDARY = GEODATA / "example_boundary.geojson"
G = [f"g{g}" for g in range(1, 10)]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("example") / "example.gpkg"
    assert main(["import", str(WORKBOOK), str(out), "--boundary", str(BOUNDARY)]) == 0
    return out


def test_the_example_is_a_bureaus_workbook():
    wb = openpyxl.load_workbook(WORKBOOK)
    assert wb.sheetnames == ["学校", "村社区", "划片", "出生", "县级指标", "设置"]  # no 就读
    heads = [c.value for c in wb["村社区"][1]]
    assert {"乡镇", "经度", "纬度"} <= set(heads) and "几何WKT" not in heads
    assert [c.value for c in wb["划片"][1]][:4] == ["学校标识码", "学校名称", "学段", "划片范围"]
    cells = [r[3].value for r in wb["划片"].iter_rows(min_row=2)]
    assert any("、" in c for c in cells) and any("、" not in c for c in cells)
    assert not any(c.data_type == "f" for row in wb["学校"].iter_rows() for c in row)


def test_the_example_imports_with_derived_layers(imported, capsys):
    ws, notices = open_workspace(imported)
    assert (ws.meta.units_source, ws.meta.catchments_source, ws.meta.enrolment_source) == (
        "voronoi_boundary", "lists", "zoning")
    assert list(derived_layers(ws)) == ["units", "catchments", "zoning_matches", "enrolment"]
    assert ws.meta.year == 2026 and ws.meta.name == "示例县（虚构）"
    # Voronoi units tile the boundary: no gap or overlap above 1 m²
    crs = ws.meta.crs
    outline = gpd.read_file(BOUNDARY).to_crs(crs).union_all()
    units = ws.units.to_crs(crs)
    union = units.union_all()
    assert units.area.sum() - union.area < 1.0
    assert outline.symmetric_difference(union).area < 1.0
    # every child at the zoned school: enrolment is the units' children, by grade
    assert ws.enrolment.groupby("grade")["students"].sum().tolist() == ws.units[G].sum().tolist()
    by_school = ws.enrolment.groupby("school_id")["students"].sum()
    students = ws.schools.set_index("school_id")[["students_primary", "students_junior"]]
    assert (students.sum(axis=1).reindex(by_school.index) == by_school).all()
    assert len(ws.catchments) == 24 and len(ws.zoning_matches) == 110


def test_the_imported_example_evaluates_and_exports(imported, tmp_path, capsys):
    ws_path = tmp_path / "ws.gpkg"
    shutil.copy(imported, ws_path)
    out = tmp_path / "ev.json"
    assert main(["evaluate", str(ws_path), "--json", str(out)]) == 0
    rows = {r["id"]: r for r in json.loads(out.read_text(encoding="utf-8"))["checklist"]}
    assert len(rows) == 32
    # children attend their zoned school: every zoned share is 100 %, and the layout tiles
    assert rows["G13"]["status"] == "pass" and rows["G13"]["value"]["all"] == 1.0
    assert rows["G1"]["value"]["overlaps"] == 0 and rows["G1"]["value"]["gaps"] == 0
    assert main(["scenario", "new", str(ws_path), "plan"]) == 0
    assert main(["export", str(ws_path), "--scenario", "plan", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "plan" / "plan_notice.html").exists()  # DIR/NAME/, published whole
    assert main(["evaluate", str(WORKBOOK)]) == 0  # the workbook itself, cut to its hull


def test_statistics_off_by_ten_percent_are_reconciled(tmp_path, capsys):
    """One school's statistics 10 % below its villages' children: accepted, spread, told."""
    wb = openpyxl.load_workbook(WORKBOOK)
    sheet = wb["学校"]
    col = [c.value for c in sheet[1]].index("小学在校生数") + 1
    sid, name = sheet.cell(2, 1).value, sheet.cell(2, 2).value
    children = sheet.cell(2, col).value
    stated = round(children * 0.9)
    sheet.cell(2, col).value = stated
    path = tmp_path / "county.xlsx"
    wb.save(path)
    out = tmp_path / "county.gpkg"
    assert main(["import", str(path), str(out), "--boundary", str(BOUNDARY)]) == 0
    captured = capsys.readouterr()
    assert (f"the school statistics differ from the children of their catchments at 1 school "
            f"section(s) (statistics {stated:,} pupils, catchments {children:,} children)"
            ) in captured.err
    assert (f"  {sid} {name} primary: statistics {stated:,}, catchment children {children:,}, "
            f"difference {stated - children:+,} (-10.0%)") in captured.out
    ws, _ = open_workspace(out)
    assert int(ws.enrolment.loc[ws.enrolment["school_id"] == sid, "students"].sum()) == stated
    assert main(["evaluate", str(out), "--json", str(tmp_path / "e.json")]) == 0
    from planner.evaluation import evaluate
    from planner.plan import plan_from_workspace
    from planner.standards import profile_of

    plan = plan_from_workspace(ws, profile_of(ws.meta))
    k = list(plan.school_ids).index(sid)
    assert int(plan.pupils_by_grade[k, :6].sum()) == stated  # the indicators use the statistics
    assert evaluate(plan).checklist.shape[0] == 32


def test_a_misspelled_and_an_ambiguous_name_exit_2_naming_both_rows(tmp_path, capsys):
    ws, _ = open_workspace(WORKBOOK, boundary=BOUNDARY)
    m = ws.zoning_matches
    qualified = m[m["matched_by"] == "qualified_name"].iloc[0]
    plain = m[(m["matched_by"] == "school_township") & m["entry"].str.endswith("村")].iloc[-1]
    twin = ws.units.set_index("unit_id").at[qualified["unit_id"], "name"]
    towns = ws.units.loc[ws.units["name"] == twin, "township"].tolist()
    wrong = plain["entry"][:-2] + "X村"
    path = tmp_path / "bad.xlsx"
    wb = openpyxl.load_workbook(WORKBOOK)
    sheet = wb["划片"]
    for row, old, new in ((qualified["row"], qualified["entry"], twin),
                          (plain["row"], plain["entry"], wrong)):
        cell = sheet.cell(row=int(row), column=4)
        cell.value = cell.value.replace(old, new)
    wb.save(path)
    before = path.read_bytes()
    assert main(["import", str(path), str(tmp_path / "out.gpkg"), "--boundary",
                 str(BOUNDARY)]) == 2
    err = capsys.readouterr().err
    where = "bad.xlsx, sheet 划片, row {}, column `划片范围`: "
    assert (where.format(qualified["row"]) + f"'{twin}': matches 2 units, in {towns[0]} and "
            f"{towns[1]}: give the unit code") in err
    assert (where.format(plain["row"]) + f"'{wrong}': no unit of that name (did you mean "
            f"'{plain['entry']}'") in err
    assert "2 problem(s)" in err and "Traceback" not in err
    assert path.read_bytes() == before and not (tmp_path / "out.gpkg").exists()


def test_the_imported_example_opens_in_the_app(imported, monkeypatch):
    """Every page renders on the bureau's own workspace; the map draws the derived catchments."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PLANNER_WORKSPACE", str(imported))
    app = Path(__file__).resolve().parent.parent / "app.py"
    at = AppTest.from_file(str(app), default_timeout=180).run()
    assert not at.exception and not at.error
    plan = at.session_state["bench"].base.plan  # today's layout of the imported workspace
    ws, _ = open_workspace(imported)
    assert len(plan.ws.catchments) == len(ws.catchments) > 0  # derived on import
    assert (plan.zone >= 0).all()  # every village zoned, in both sections
    for page in ("map", "schools", "scenario", "optimize", "export", "province"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception and not at.error, page
    # the map the page draws (the same call): one catchment per school, as derived
    from planner.evaluation import evaluate
    from planner.report.maps import base_layers, county_map

    m = county_map(plan.ws, evaluate(plan), section="primary", overlay="status", lang="zh",
                   zoning=plan.zoning, layers=base_layers(plan.ws))
    html = m.get_root().render()
    derived = set(ws.catchments.loc[ws.catchments["section"] == "primary", "school_id"])
    drawn = {sid for sid in derived if f'"school_id": "{sid}"' in html}
    assert drawn == derived and len(derived) > 1
