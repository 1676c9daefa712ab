"""The schools left out of R1–R7, the CVs and the verdicts, and why — in every output.

A hand-made county: the four schools of tests/data (make_battery.small_county) and three more.
- TP 小庄教学点, a teaching point in U4: U4's grade-1 and grade-2 children, 10 + 9 = 19 pupils
  (taken from S4), under the national floor of 50;
- SP 县特殊教育学校, a special-education school: 12 primary and 8 junior pupils;
- PV 育才<民办>小学, a private primary school: U3's grade-3 children, 29 pupils (taken from S1);
  counted nationally, left out by a profile with `include_private = false`.
Expected rows, in the order of the schools layer: TP primary 19, SP primary 12, SP junior 8
(and PV primary 29 under the profile that leaves private schools out, which also lowers the
teaching-point floor to 10, so TP counts there).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from make_battery import CRS_M, small_county, write_gpkg

from planner.cli import main

TP_NAME, SP_NAME, PV_NAME = "小庄教学点", "县特殊教育学校", "育才<民办>小学"
ZH_ROWS = [["TP", TP_NAME, "教学点", "小学", 19, "不足50人的教学点"],
           ["SP", SP_NAME, "特殊教育学校", "小学", 12, "特殊教育学校"],
           ["SP", SP_NAME, "特殊教育学校", "初中", 8, "特殊教育学校"]]
EN_ROWS = [["TP", TP_NAME, "teaching point", "Primary", 19, "teaching point under 50 pupils"],
           ["SP", SP_NAME, "special education", "Primary", 12, "special-education school"],
           ["SP", SP_NAME, "special education", "Junior", 8, "special-education school"]]
PRIVATE_OUT_ROWS = [ZH_ROWS[1], ZH_ROWS[2],
                    ["PV", PV_NAME, "小学", "小学", 29, "民办学校（本评估标准不计民办学校）"]]
HEADER_ZH = ["学校标识码", "学校名称", "办学类型", "学段", "在校生数", "不参评原因"]
PRIVATE_OUT_TOML = "include_private = false\nteaching_point_min_students = 10\n"


def excluded_county() -> dict:
    """The small county with a small teaching point, a special school and a private school."""
    layers = small_county()
    enrol = layers["enrolment"].copy()
    moved = {("U4", 1, "S4"): "TP", ("U4", 2, "S4"): "TP", ("U3", 3, "S1"): "PV"}
    enrol["school_id"] = [moved.get((u, g, s), s) for u, g, s in
                          zip(enrol["unit_id"], enrol["grade"], enrol["school_id"], strict=True)]
    schools = layers["schools"].copy()
    assert schools["school_id"].tolist() == ["S1", "S2", "S3", "S4"]
    # S1 417 − 29 = 388 primary pupils in 10 classes of at most 40; S4 60 − 19 = 41 in 2 of 22
    schools.loc[0, ["students_primary", "classes_primary", "max_class_size_primary"]] = [
        388, 10, 40]
    schools.loc[3, ["students_primary", "classes_primary", "max_class_size_primary"]] = [
        41, 2, 22]
    site = layers["units"].to_crs(CRS_M).geometry.centroid
    template = schools.iloc[0].to_dict()

    def school(sid, name, kind, area, unit, dx, **values):
        where = shapely.Point(site[unit].x + dx, site[unit].y - 150)
        rec = {**template, "school_id": sid, "name": name, "kind": kind, "area_type": area,
               "boarding": False, "central_school_id": None, "students_primary": 0,
               "students_junior": 0, "classes_primary": 0, "classes_junior": 0,
               "max_class_size_primary": 0, "max_class_size_junior": 0, "classrooms": 4,
               "teachers_total": 6, "teachers_certified": 6, "teachers_above_degree": 5,
               "teachers_backbone": 1, "teachers_pe_art": 1, "teaching_aux_area_m2": 300.0,
               "sports_area_m2": 400.0, "equipment_value_yuan": 80000.0, "multimedia_rooms": 2,
               **values}
        rec["geometry"] = where  # in CRS_M, converted with the others below
        return rec

    extra = [
        school("TP", TP_NAME, "teaching_point", "rural", 3, -200, central_school_id="S4",
               students_primary=19, classes_primary=1, max_class_size_primary=19),
        school("SP", SP_NAME, "special", "urban", 0, -200, students_primary=12,
               students_junior=8, classes_primary=2, classes_junior=1,
               max_class_size_primary=6, max_class_size_junior=8),
        school("PV", PV_NAME, "primary", "urban", 2, -200, public=False, students_primary=29,
               classes_primary=1, max_class_size_primary=29),
    ]
    added = gpd.GeoDataFrame(extra, geometry="geometry", crs=CRS_M).to_crs("EPSG:4326")
    layers["schools"] = gpd.GeoDataFrame(pd.concat([schools, added], ignore_index=True),
                                         geometry="geometry", crs="EPSG:4326")
    layers["enrolment"] = enrol
    return layers


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("excluded")
    path = folder / "excluded.gpkg"
    write_gpkg(excluded_county(), path)
    (folder / "private_out.toml").write_text(PRIVATE_OUT_TOML, encoding="utf-8")
    return path


def _sheet_rows(path: Path, title: str) -> list[list]:
    ws = openpyxl.load_workbook(path)[title]
    return [list(r) for r in ws.iter_rows(values_only=True)]


class _Tables(HTMLParser):
    """The text of every table of a page, after each <h2>: heading → rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.heading, self.cell, self.row = "", None, None
        self.in_h2 = False

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.in_h2, self.heading = True, ""
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False
        elif tag in ("td", "th") and self.row is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables.setdefault(self.heading, []).append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.in_h2:
            self.heading += data
        elif self.cell is not None:
            self.cell += data


def _html_rows(html: str, heading: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables[heading]


def _as_text(rows: list[list]) -> list[list[str]]:
    return [[str(x) for x in r] for r in rows]


def test_the_evaluation_and_its_json_list_who_is_left_out(county, tmp_path, capsys):
    out = tmp_path / "ev.json"
    assert main(["evaluate", str(county), "--json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["exclusions"] == [
        {"school_id": "TP", "name": TP_NAME, "kind": "teaching_point", "section": "primary",
         "students": 19, "reason": "small_teaching_point",
         "reason_zh": "不足50人的教学点", "reason_en": "teaching point under 50 pupils"},
        {"school_id": "SP", "name": SP_NAME, "kind": "special", "section": "primary",
         "students": 12, "reason": "special", "reason_zh": "特殊教育学校",
         "reason_en": "special-education school"},
        {"school_id": "SP", "name": SP_NAME, "kind": "special", "section": "junior",
         "students": 8, "reason": "special", "reason_zh": "特殊教育学校",
         "reason_en": "special-education school"}]
    # the private school is evaluated nationally; the small and special ones are not
    ids = {s["school_id"] for sec in data["sections"].values() for s in sec["schools"]}
    assert ids == {"S1", "S2", "S3", "S4", "PV"}
    assert ("2 school(s) left out of R1–R7, the CVs and the verdicts — special-education "
            f"school: {SP_NAME}; teaching point under 50 pupils: {TP_NAME}") in data["notes"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_workbook_has_a_sheet_of_the_schools_left_out(county, tmp_path, lang):
    out = tmp_path / "ev.xlsx"
    assert main(["evaluate", str(county), "--xlsx", str(out), "--lang", lang]) == 0
    title = "不参评学校" if lang == "zh" else "Schools left out"
    rows = _sheet_rows(out, title)
    assert rows[0] == (HEADER_ZH if lang == "zh" else [
        "school_id", "school", "kind", "section", "students", "why left out"])
    assert rows[1:] == (ZH_ROWS if lang == "zh" else EN_ROWS)


def test_a_profile_that_leaves_private_schools_out_lists_them(county, tmp_path):
    out, js = tmp_path / "ev.xlsx", tmp_path / "ev.json"
    toml = county.parent / "private_out.toml"
    assert main(["evaluate", str(county), "--profile", str(toml), "--xlsx", str(out),
                 "--json", str(js)]) == 0
    assert _sheet_rows(out, "不参评学校")[1:] == PRIVATE_OUT_ROWS
    data = json.loads(js.read_text(encoding="utf-8"))
    assert [(x["school_id"], x["section"], x["reason"]) for x in data["exclusions"]] == [
        ("SP", "primary", "special"), ("SP", "junior", "special"), ("PV", "primary", "private")]


def test_the_html_report_lists_them_escaped(county, tmp_path):
    out = tmp_path / "ev.html"
    assert main(["evaluate", str(county), "--html", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    rows = _html_rows(html, "不参评学校")
    assert rows == [HEADER_ZH, *_as_text(ZH_ROWS)]
    assert "以下学校（学段）不计入R1–R7、差异系数和达标判定：" in html
    # names are data: never markup
    assert "<民办>" not in html
    out_en = tmp_path / "ev_en.html"
    assert main(["evaluate", str(county), "--html", str(out_en), "--lang", "en"]) == 0
    assert _html_rows(out_en.read_text(encoding="utf-8"), "Schools left out")[1:] == _as_text(
        EN_ROWS)


def test_the_proposal_lists_the_schools_left_out_of_the_scenario(county, tmp_path):
    ws = tmp_path / "county.gpkg"
    ws.write_bytes(county.read_bytes())
    assert main(["scenario", "new", str(ws), "plan-a"]) == 0
    edit = tmp_path / "edit.json"
    edit.write_text('{"op": "enforce_zoning", "school_id": null}', encoding="utf-8")
    assert main(["scenario", "add", str(ws), "plan-a", "--edits", str(edit)]) == 0
    for name, folder in (("baseline", "现状"), ("plan-a", "plan-a")):
        assert main(["export", str(ws), "--scenario", name, "--out", str(tmp_path / "out")]) == 0
        files = tmp_path / "out" / folder
        rows = _sheet_rows(files / f"{folder}.xlsx", "不参评学校")
        html = (files / f"{folder}.html").read_text(encoding="utf-8")
        if name == "baseline":
            assert rows == [HEADER_ZH, *ZH_ROWS]
            assert _html_rows(html, "不参评学校") == [HEADER_ZH, *_as_text(ZH_ROWS)]
        else:
            # every pupil at the zoned school: the teaching point's 19 go to S4, and it is
            # left out with none (one row without a section)
            after = [["TP", TP_NAME, "教学点", None, 0, "不足50人的教学点"], *ZH_ROWS[1:]]
            assert rows == [HEADER_ZH, *after]
            assert _html_rows(html, "不参评学校")[1:] == [
                ["TP", TP_NAME, "教学点", "", "0", "不足50人的教学点"], *_as_text(ZH_ROWS[1:])]
        assert not re.search(r"<民办>", html)


def test_the_app_schools_page_lists_them_in_the_readers_language(county, tmp_path,
                                                                  monkeypatch):
    from streamlit.testing.v1 import AppTest

    ws = tmp_path / "county.gpkg"
    ws.write_bytes(county.read_bytes())
    monkeypatch.setenv("PLANNER_WORKSPACE", str(ws))
    root = Path(__file__).resolve().parent.parent
    at = AppTest.from_file(str(root / "app.py"), default_timeout=180).run()
    at.switch_page("app_pages/schools.py").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "不参评原因" in d.value.columns)
    assert table.columns.tolist() == HEADER_ZH
    assert table.values.tolist() == ZH_ROWS
    at.radio(key="lang").set_value("en").run()
    table = next(d.value for d in at.dataframe if "why left out" in d.value.columns)
    assert table.values.tolist() == EN_ROWS
