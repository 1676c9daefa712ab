"""`planner validate` on the battery of bad inputs in tests/data/bad (made by make_battery.py).

Each case names the fragments its report must contain: the place (file, sheet or layer, row,
column) and the rule with the value found.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from planner.cli import main
from planner.errors import InputError
from planner.io.load import open_workspace

DATA = Path(__file__).resolve().parent / "data"
BAD = DATA / "bad"
GOOD = DATA / "good"

BATTERY = {
    "missing_column.xlsx": ["missing_column.xlsx, sheet 学校, column `students_primary`: "
                            "required column is missing (Chinese header: 小学在校生数)"],
    "unknown_column.xlsx": ["sheet 学校, column `学校名`: unknown column; "
                            "did you mean `学校名称`?"],
    "duplicate_header.xlsx": ["column `name` is given twice (also as `校名`)"],
    "text_in_number.xlsx": ["sheet 学校, row 3, column `小学在校生数`: "
                            "expected a whole number ≥ 0, got '约300'"],
    "negative_count.xlsx": ["row 4, column `县级以上骨干教师数`: expected a value ≥ 0", "got -3"],
    "fractional_count.xlsx": ["row 2, column `小学班数`: expected a whole number ≥ 0, got 12.5"],
    "duplicate_id.xlsx": ["row 5, column `学校标识码`: duplicate school_id 'S1' (first on row 2)"],
    "unknown_kind.xlsx": ["row 4, column `办学类型`: expected one of primary", "got '职业高中'"],
    "unknown_area_type.xlsx": ["row 3, column `城乡分类`: expected one of urban (城区)",
                               "got '郊区'"],
    "bad_bool.xlsx": ["row 5, column `是否寄宿制`: expected true/false", "got '部分'"],
    "swapped_lonlat.xlsx": ["sheet 学校, row 2, column `geometry`: location (36.06335, 115.41629) "
                            "is outside China (are longitude and latitude swapped?)"],
    "enrolment_unknown_unit.xlsx": ["sheet 就读, row 6, column `单元编码`: unknown unit 'U9'"],
    "enrolment_unknown_school.xlsx": ["sheet 就读, row 12, column `学校标识码`: "
                                      "unknown school 'S7'"],
    "totals_disagree.xlsx": ["sheet 学校, row 2, column `小学在校生数`: 999 primary students, but "
                             "the enrolment table counts 417 at this school"],
    "grade_section_mismatch.xlsx": ["sheet 就读, row 4, column `年级`: grade 8 is junior, but "
                                    "school S1 is a primary school"],
    "unknown_coord_system.xlsx": ["sheet 设置, column `坐标系`: "
                                  "unknown coordinate system '北京54'"],
    "teachers_exceed.xlsx": ["row 3, column `持证教师数`: 25 exceeds teachers_total 20"],
    "kind_students_mismatch.xlsx": ["row 2, column `初中在校生数`: a primary school has no junior "
                                    "section, but 30 junior students are given"],
    "max_class_too_small.xlsx": ["row 4, column `初中最大班额`: largest class 20 is smaller than "
                                 "the average class 39.5 (237 students / 6 classes)"],
    "no_schools_sheet.xlsx": ["no schools layer or sheet (found: county, enrolment, units)"],
    "not_excel.xlsx": ["not_excel.xlsx: cannot be read as an Excel workbook"],
    "outside_county.gpkg": ["layer schools, row 2, column `geometry`: location lies 10,635 m "
                            "outside the county"],
    "empty_geometry.gpkg": ["layer units, row 3, column `geometry`: empty geometry"],
    "wrong_geometry_type.gpkg": ["layer schools, row 1, column `geometry`: expected Point, got "
                                 "Polygon", "row 4, column `geometry`: expected Point"],
    "no_crs.gpkg": ["layer units: the layer has no coordinate reference system"],
    "catchment_unknown_school.gpkg": ["layer catchments, row 2, column `school_id`: unknown "
                                      "school 'S8'"],
    "catchment_wrong_section.gpkg": ["layer catchments, row 1, column `section`: school S1 is a "
                                     "primary school and has no junior section"],
    "corrupt.gpkg": ["corrupt.gpkg: cannot be read as a GeoPackage (not a database)"],
    "unsupported.txt": ["unsupported file type .txt"],
    "empty_cell_csv": ["学校.csv, row 4, column `学校名称`: empty cell; a value is required"],
    "births_unknown_unit.xlsx": ["sheet 出生, row 4, column `单元编码`: unknown unit 'U22' (did "
                                 "you mean 'U2'?); births are counted for the units"],
    "births_negative.xlsx": ["sheet 出生, row 3, column `出生人数`: expected a value ≥ 0",
                             "got -4"],
    "births_year_out_of_range.xlsx": ["sheet 出生, row 2, column `年份`: expected a year from 1980 "
                                      "to 2100, got 1890"],
    "births_after_school_year.xlsx": ["sheet 出生, row 6, column `年份`: births of 2027 lie after "
                                      "the school year 2026 the workspace describes"],
    "births_repeated.xlsx": ["sheet 出生, row 3, column `年份`: repeats unit U1, year 2019 of row "
                             "2; one row per unit and year"],
    "births_text_year.xlsx": ["sheet 出生, row 5, column `年份`: expected a year from 1980 to "
                              "2100, got '二〇二〇'"],
    "history_not_before_year.xlsx": ["sheet 就读历史, row 4, column `学年`: school year 2026 is "
                                     "not before the workspace's school year 2026"],
    "history_unknown_unit.xlsx": ["sheet 就读历史, row 2, column `单元编码`: unknown unit 'U7'"],
    "history_wrong_grade.xlsx": ["sheet 就读历史, row 3, column `年级`: grade 8 is junior, but "
                                 "school S1 is a primary school"],
    "development_no_unit.xlsx": ["sheet 新建住宅, row 2, column `单元编码`: a development needs "
                                 "its unit_id or its polygon"],
    "development_zero_year.xlsx": ["sheet 新建住宅, row 2, column `首次入住年份`: expected a year "
                                   "from 1980 to 2100, got 0"],
    "approved_places_no_section.xlsx": ["sheet 学校, row 2, column `初中核定学位数`: a primary "
                                        "school has no junior section, but 300 approved junior "
                                        "places are given"],
    "settings_bad_year.xlsx": ["sheet 设置, row 1, column `学年`: expected a year from 1980 to "
                               "2100, got '2026学年'"],
    "settings_bad_region.xlsx": ["sheet 设置, row 1, column `地区范围`: expected one of china, "
                                 "any, got 'world'"],
    "settings_unknown_profile.xlsx": ["sheet 设置, row 1, column `评估标准`: unknown standards "
                                      "profile 'shandong_2030'; built in: national_2017, henan"],
    "meta_unknown_profile.gpkg": ["layer meta, row 2, column `value`: key `profile`: unknown "
                                  "standards profile 'mars'"],
    "meta_geographic_crs.gpkg": ["layer meta, row 2, column `value`: key `crs`: 'EPSG:4326' is a "
                                 "geographic CRS (degrees): distances and areas need a projected "
                                 "CRS in metres"],
    "meta_unknown_crs.gpkg": ["layer meta, row 2, column `value`: key `crs`: unknown coordinate "
                              "reference system 'EPSG:999999'"],
    "meta_feet_crs.gpkg": ["key `crs`: 'EPSG:2227' measures in US survey foot, not metres"],
    "meta_profiles_disagree.gpkg": ["layer meta, row 1, column `value`: key `profile`: `profile` "
                                    "'henan' and `standards_profile` 'national_2017' disagree"],
    "meta_newer_schema.gpkg": ["key `schema_version`: schema version '9' is not one this planner "
                               "reads (1, 2); update the planner"],
    "meta_bad_enrolment_source.gpkg": ["key `enrolment_source`: expected one of table, zoning, got "
                                       "'guess'"],
    # --- issue 11: cells that are not values, ambiguous sheets, broken workbooks -------------
    "formula_in_number.xlsx": ["sheet 学校, row 2, column `小学在校生数`: formula, not a value: "
                               "enter the value (the cell holds '=300+40')"],
    "formula_in_name.xlsx": ["sheet 学校, row 3, column `学校名称`: formula, not a value"],
    "formula_in_enrolment.xlsx": ["sheet 就读, row 5, column `学生数`: formula, not a value"],
    "formula_in_settings.xlsx": ["sheet 设置, row 1, column `坐标系`: formula, not a value"],
    "error_value_cell.xlsx": ["sheet 学校, row 3, column `专任教师数`: an error value '#DIV/0!', "
                              "not a value: enter the value"],
    "two_school_sheets.xlsx": ["two_school_sheets.xlsx, sheet schools: sheets '学校' and "
                               "'schools' both hold the schools (学校); keep one"],
    "two_unit_sheets.xlsx": ["sheet 村社区: sheets '居住单元' and '村社区' both hold the units"],
    "two_enrolment_sheets.xlsx": ["sheets '就读' and 'enrolment' both hold the enrolment"],
    "values_without_header.xlsx": ["sheet 学校, column `AE`: values in a column without a "
                                   "header"],
    "same_header_twice.xlsx": ["sheet 学校, column `学校名称`: the header appears twice "
                               "(columns B and AE); keep one"],
    "schools_sheet_without_rows.xlsx": ["sheet 学校: the layer has no rows"],
    "empty_file.xlsx": ["empty_file.xlsx: cannot be read as an Excel workbook"],
    "zip_not_workbook.xlsx": ["zip_not_workbook.xlsx: cannot be read as an Excel workbook"],
    # --- numbers beyond physical sense (planner.schema.UPPER_BOUNDS), NaN, Infinity ---------
    "classrooms_1e308.xlsx": ["sheet 学校, row 2, column `普通教室数`: expected at most 600 (a "
                              "plausible bound for `classrooms`", "got 1e+308"],
    "sports_area_1_7e308.xlsx": ["row 3, column `体育运动场馆面积`: expected at most 1,000,000",
                                 "got 1.7e+308"],
    "teachers_10e30.xlsx": ["row 4, column `专任教师数`: expected at most 2,000", "got 1e+30"],
    "students_beyond_bound.xlsx": ["row 5, column `初中在校生数`: expected at most 20,000",
                                   "got 25000"],
    "class_of_200.xlsx": ["row 2, column `小学最大班额`: expected at most 150", "got 200"],
    "equipment_2e9.xlsx": ["row 3, column `教学仪器设备值`: expected at most 1,000,000,000"],
    "room_area_5000.xlsx": ["row 4, column `音乐教室最小面积`: expected at most 2,000",
                            "got 5000"],
    "nan_text.xlsx": ["row 5, column `教学及辅助用房面积`: expected a number ≥ 0, got 'NaN'"],
    "infinity_text.xlsx": ["row 2, column `体育运动场馆面积`: expected a number ≥ 0, got "
                           "'Infinity'"],
    "minus_infinity.xlsx": ["row 3, column `教学仪器设备值`: expected a number ≥ 0, got '-inf'"],
    "children_30000.xlsx": ["sheet 居住单元, row 4, column `四年级适龄儿童数`: expected at most "
                            "20,000", "got 30000"],
    "enrolment_students_huge.xlsx": ["sheet 就读, row 8, column `学生数`: expected at most "
                                     "20,000"],
    "enrolment_grade_0.xlsx": ["sheet 就读, row 9, column `年级`: expected a grade from 1 to 9, "
                               "got 0"],
    "enrolment_grade_10.xlsx": ["sheet 就读, row 10, column `年级`: expected a grade from 1 to 9, "
                                "got 10"],
    "enrolment_fraction.xlsx": ["sheet 就读, row 11, column `学生数`: expected a whole number ≥ 0, "
                                "got 2.5"],
    "county_value_1e12.xlsx": ["sheet 县级指标, row 2, column `指标值`: expected at most "
                               "1,000,000,000"],
    "county_value_text.xlsx": ["sheet 县级指标, row 2, column `指标值`: expected a number ≥ 0, "
                               "got '约1.02'"],
    "approved_places_text.xlsx": ["row 2, column `小学核定学位数`: expected a whole number ≥ 0, "
                                  "got '满员'"],
    "shrink_only_maybe.xlsx": ["row 3, column `只减不扩`: expected true/false", "got '也许'"],
    "date_in_number.xlsx": ["row 4, column `普通教室数`: expected a whole number ≥ 0, got "
                            "2024-09-01"],
    "lon_text.xlsx": ["sheet 学校, row 5, column `经度`: expected a number ≥ 0, got '东经115度'"],
    "nan_in_gpkg.gpkg": ["layer schools, row 2, column `sports_area_m2`: empty cell; a value is "
                         "required"],
    "infinity_in_gpkg.gpkg": ["layer schools, row 3, column `teaching_aux_area_m2`: expected a "
                              "number ≥ 0, got inf"],
    "classrooms_huge_gpkg.gpkg": ["layer schools, row 1, column `classrooms`: expected at most "
                                  "600", "got 1000000000000"],
    # --- one school against itself, references --------------------------------------------
    "pe_art_exceed.xlsx": ["row 4, column `体育艺术专任教师数`: 21 exceeds teachers_total 20"],
    "senior_on_primary.xlsx": ["row 3, column `高中在校生数`: a primary school has no senior "
                               "section, but 40 senior students are given"],
    "central_unknown.xlsx": ["row 3, column `所属中心校标识码`: unknown central school 'S9'"],
    "section_pairs_disagree.xlsx": ["row 5, column `小学专任教师数`: teachers_total_primary 12 + "
                                    "teachers_total_junior 7 = 19 must be equal to teachers_total "
                                    "20"],
    "section_pair_alone.xlsx": ["sheet 学校, column `teachers_backbone_junior`: per-section "
                                "teacher columns come in pairs"],
    "enrolment_repeated_row.xlsx": ["sheet 就读, row 39, column `学生数`: repeats unit U1, school "
                                    "S1, grade 4 of row 5"],
    "units_duplicate_id.xlsx": ["sheet 居住单元, row 5, column `单元编码`: duplicate unit_id 'U1' "
                                "(first on row 2)"],
    "units_no_location.xlsx": ["sheet 居住单元, column `lon`: units need `lon` and `lat`"],
    "units_bad_wkt.xlsx": ["sheet 居住单元, row 3, column `wkt`: not a WKT geometry: "
                           "'POLYGON((0 0'"],
    "units_births_1850.xlsx": ["sheet 居住单元, column `births_1850`: the year in the header: "
                               "expected a year from 1980 to 2100, got 1850"],
    "county_without_id.xlsx": ["sheet 县级指标, column `indicator_id`: required column is missing "
                               "(Chinese header: 指标编号)"],
    # --- GeoPackages: scenarios, the distances cache, meta, geometry, roads ----------------
    "scenarios_bad_json.gpkg": ["layer scenarios, row 1, column `edits`: not JSON"],
    "scenarios_null_edits.gpkg": ["layer scenarios, row 1, column `edits`: no edits (NULL or "
                                  "empty); a scenario without edits holds []"],
    "scenarios_missing_columns.gpkg": ["layer scenarios, column `base, created, author, note`: "
                                       "the scenarios table lacks column(s)"],
    "scenarios_edits_object.gpkg": ["row 1, column `edits`: expected a JSON list of edits, got "
                                    "dict"],
    "scenarios_nan_in_json.gpkg": ["row 1, column `edits`: not JSON (NaN is not a number JSON "
                                   "allows)"],
    "scenarios_edit_not_object.gpkg": ["row 1, column `edits`: edit 1 is not an object with a "
                                       "text `op`: 1"],
    "scenarios_deep_json.gpkg": ["row 1, column `edits`: nested deeper than 32 levels"],
    "scenarios_duplicate_name.gpkg": ["layer scenarios, row 2, column `name`: duplicate scenario "
                                      "name 'a' (first on row 1)"],
    "scenarios_unknown_base.gpkg": ["layer scenarios, row 1, column `base`: unknown base "
                                    "'plan-z'"],
    "scenarios_base_cycle.gpkg": ["layer scenarios, row 1, column `base`: scenario 'a' builds "
                                  "on itself through its bases"],
    "distances_text.gpkg": ["layer distances, row 2, column `distance_m`: expected metres ≥ 0, "
                            "got 'far'"],
    "distances_negative.gpkg": ["layer distances, row 2, column `distance_m`: expected metres "
                                "≥ 0, got '-3'"],
    "distances_missing_column.gpkg": ["layer distances, column `distance_m, method`: the "
                                      "distances cache lacks column(s)"],
    "meta_web_mercator.gpkg": ["layer meta, row 1, column `value`: key `crs`: 'EPSG:3857' is "
                               "Web Mercator"],
    "meta_bad_year.gpkg": ["layer meta, row 1, column `value`: key `year`: expected a year "
                           "from 1980 to 2100, got '明年'"],
    "meta_bad_region.gpkg": ["key `region`: expected one of china, any, got 'mars'"],
    "meta_bad_synthetic.gpkg": ["key `synthetic`: expected true/false", "got 'maybe'"],
    "meta_without_key_column.gpkg": ["layer meta: the meta table needs the columns `key` and "
                                     "`value`"],
    "catchment_is_point.gpkg": ["layer catchments, row 2, column `geometry`: expected Polygon "
                                "or MultiPolygon, got Point"],
    "unit_is_line.gpkg": ["layer units, row 1, column `geometry`: expected Point or Polygon or "
                          "MultiPolygon, got LineString"],
    "school_without_geometry.gpkg": ["layer schools, row 3, column `geometry`: no geometry"],
    "no_schools_layer.gpkg": ["no schools layer or sheet (found: catchments, county, "
                              "enrolment, units)"],
    "metres_labelled_wgs84.gpkg": ["layer schools, row 1, column `geometry`: location "
                                   "(627600.00000, 3993500.00000) is outside China"],
    "roads_nodes_only.gpkg": ["layer edges: a road network needs both a `nodes` and an `edges` "
                              "layer"],
    "roads_negative_length.gpkg": ["layer edges, row 1, column `length`: edge lengths are metres "
                                   "and cannot be negative"],
    "roads_without_length.gpkg": ["layer edges, column `length`: road layers must be written as "
                                  "osmnx writes them"],
    "zoning_matches_bad_section.gpkg": ["layer zoning_matches, row 1, column `section`: expected "
                                        "primary (小学) or junior (初中), got '高中'"],
    # --- CSV files and folders ---------------------------------------------------------------
    "empty.csv": ["empty.csv: the file is empty"],
    "binary.csv": ["binary.csv: cannot decode the file as UTF-8 or GB18030"],
    "ragged.csv": ["ragged.csv: cannot be read as CSV"],
    "header_only.csv": ["header_only.csv: the layer has no rows"],
    "csv_folder_without_schools": ["no schools layer or sheet (found: units)"],
    # --- a bureau's own files: points, 划片 lists, no 就读, boundary ------------------------
    "lists_unknown_school.xlsx": ["sheet 划片, row 3, column `学校名称`: no school named "
                                  "'南关小校' (did you mean '南关小学'?)"],
    "lists_misspelled_unit.xlsx": ["sheet 划片, row 4, column `划片范围`: '北接社区': no unit of "
                                   "that name (did you mean '北街社区' in 城关镇?)"],
    "lists_ambiguous_unit.xlsx": ["sheet 划片, row 4, column `划片范围`: '李庄村': matches 2 "
                                  "units, in 南关镇 and 李庄乡: give the unit code (U2 or U4)",
                                  "sheet 划片, row 3, column `划片范围`: '南关社区': no unit of "
                                  "that name"],
    "lists_unit_twice.xlsx": ["sheet 划片, row 3, column `划片范围`: '东街社区' (unit U1) is "
                              "already in the primary catchment of school S1 (row 2)"],
    "lists_senior_section.xlsx": ["sheet 划片, row 2, column `学段`: expected primary (小学) or "
                                  "junior (初中), got '高中'"],
    "lists_empty_cell.xlsx": ["sheet 划片, row 5, column `划片范围`: empty cell"],
    "lists_unknown_township.xlsx": ["sheet 划片, row 3, column `乡镇`: no unit lies in a township "
                                    "named '南门镇' (did you mean '南关镇'?)"],
    "lists_code_and_name_disagree.xlsx": ["sheet 划片, row 2, column `学校名称`: school S2 is "
                                          "'南关小学', not '东街小学'"],
    "lists_unit_left_out.xlsx": ["sheet 居住单元, row 3, column `单元编码`: 51 junior children "
                                 "live here but the unit is in no junior catchment"],
    "lists_pupils_without_children.xlsx": ["sheet 学校, row 3, column `小学在校生数`: 120 "
                                           "primary pupils in the school's statistics, but its "
                                           "primary catchment has no children"],
    "lists_same_point.xlsx": ["sheet 居住单元, row 3, column `经度`: the same location as row 2"],
    "boundary_outside": ["county.xlsx, sheet 居住单元, row 3, column `经度`: the point lies 100 m "
                         "outside the county boundary (county.geojson)", "row 5, column `经度`"],
    "boundary_not_found": ["county.xlsx, sheet 设置, row 1, column `县域边界`: missing.geojson: "
                           "boundary file not found"],
    "boundary_with_path": ["county.xlsx, sheet 设置, row 1, column `县域边界`: the boundary is "
                           "named by its file name only, beside the workbook; got "
                           "'../county.geojson'"],
    "boundary_no_polygon": ["county.xlsx, sheet 设置, row 1, column `县域边界`: county.geojson: "
                            "the boundary file holds no polygon"],
    "many_problems.xlsx": ["sheet 学校, row 3, column `小学在校生数`: expected a whole number",
                           "sheet 学校, row 4, column `办学类型`: expected one of",
                           "sheet 就读, row 6, column `单元编码`: unknown unit 'U9'",
                           "3 problem(s)"],
}


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_battery_has_a_hundred_file_level_cases_and_every_file_is_covered():
    assert len(BATTERY) >= 100
    assert {p.name for p in BAD.iterdir()} == set(BATTERY)


def _target(folder: Path, name: str) -> Path:
    """The file a case is run on: itself, or the workbook inside a case's folder."""
    path = folder / name
    return path / "county.xlsx" if (path / "county.xlsx").exists() else path


@pytest.mark.parametrize("name", sorted(BATTERY))
def test_bad_input_exits_2_with_every_problem_located(name, capsys, tmp_path):
    src = BAD / name
    cases = tmp_path / "in"
    cases.mkdir()
    (shutil.copytree if src.is_dir() else shutil.copy2)(src, cases / name)
    target = _target(cases, name)
    before = _checksums(cases)
    code = main(["validate", str(target)])
    out, err = capsys.readouterr()
    assert code == 2
    for fragment in BATTERY[name]:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert "Traceback" not in err + out
    assert "nothing was written" in err
    # the same input through import and evaluate: exit 2, the first problem, nothing written
    first = BATTERY[name][0]
    for command in (["import", str(target), str(tmp_path / "out.gpkg")],
                    ["evaluate", str(target), "--json", str(tmp_path / "out.json")]):
        assert main(command) == 2, command
        out, err = capsys.readouterr()
        assert first in err and "Traceback" not in err + out, (command, err)
    assert not (tmp_path / "out.gpkg").exists() and not (tmp_path / "out.json").exists()
    assert _checksums(cases) == before


LOOK_ALIKES = sorted(p.name for p in GOOD.iterdir())


def test_the_look_alikes_are_the_ones_meant():
    assert LOOK_ALIKES == ["blank_optional_cells.xlsx", "huge_but_plausible_school.xlsx",
                           "name_looks_like_formula.xlsx", "name_looks_negative.xlsx",
                           "repairable_bowtie.gpkg", "scenarios_with_extra_column.gpkg",
                           "unit_names_nan_and_infinity.xlsx", "year_at_the_lower_bound.xlsx"]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_valid_look_alikes_are_accepted_and_imported_as_they_are(name, capsys, tmp_path):
    src = tmp_path / name
    shutil.copy2(GOOD / name, src)
    assert main(["validate", str(src)]) == 0, capsys.readouterr().err
    assert main(["import", str(src), str(tmp_path / "ws.gpkg")]) == 0
    capsys.readouterr()
    ws, _ = open_workspace(tmp_path / "ws.gpkg")
    names = set(ws.schools["name"]) | set(ws.units["name"])
    expected = {
        "name_looks_negative.xlsx": {"-南关小学"},
        "name_looks_like_formula.xlsx": {"=SUM(A1:A9)", "+城关初级中学", "@李庄九年一贯制学校"},
        "unit_names_nan_and_infinity.xlsx": {"NaN社区", "Infinity"},
    }.get(name, set())
    assert expected <= names
    if name == "huge_but_plausible_school.xlsx":
        s1 = ws.schools.set_index("school_id").loc["S1"]
        assert (s1["students_primary"], s1["classrooms"], s1["teachers_total"]) == (9800, 210,
                                                                                     520)
    if name == "year_at_the_lower_bound.xlsx":
        assert ws.births.values.tolist() == [["U1", 1980, 0]]
    if name == "scenarios_with_extra_column.gpkg":
        row = ws.scenarios.iloc[0]
        assert (row["author"], row["note"], row["revision"]) == ("=admin", "{{ 7*7 }}", "3")


def test_clean_inputs_validate(capsys):
    for name in ("small_county.gpkg", "small_county.xlsx"):
        assert main(["validate", str(DATA / name)]) == 0
    out = capsys.readouterr().out
    assert "small_county.gpkg: valid (4 schools, 4 units, 5 catchments, 37 enrolment, 1 county)" \
        in out


def test_the_demo_validates(demo_gpkg, capsys):
    assert main(["validate", str(demo_gpkg)]) == 0
    assert "valid (135 schools, 408 units" in capsys.readouterr().out


def test_template_validates(tmp_path, capsys):
    path = tmp_path / "template.xlsx"
    assert main(["template", str(path)]) == 0
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("template.xlsx: valid (1 schools, 1 units, 1 catchments, 6 enrolment, 1 county, "
            "7 births, 1 enrolment_history, 1 developments)") in out
    assert "fill in the sheets 学校, 居住单元 (村社区), 划片, 就读 (optional), 出生" in out


def test_repairable_polygon_is_repaired_with_a_warning(capsys):
    ws, warnings = open_workspace(GOOD / "repairable_bowtie.gpkg")
    assert len(warnings) == 1
    message = str(warnings[0])
    assert message.startswith("warning: repairable_bowtie.gpkg, layer units, row 4, column "
                              "`geometry`: invalid geometry (Self-intersection")
    assert "became a MultiPolygon of 514,659 m²" in message
    assert ws.units.geometry.iloc[3].geom_type == "MultiPolygon"
    assert ws.units.geometry.is_valid.all()
    assert main(["validate", str(GOOD / "repairable_bowtie.gpkg")]) == 0


def test_input_error_carries_every_problem():
    with pytest.raises(InputError) as info:
        open_workspace(BAD / "many_problems.xlsx")
    assert [(p.layer, p.row, p.column) for p in info.value.problems] == [
        ("sheet 学校", 4, "办学类型"),
        ("sheet 学校", 3, "小学在校生数"),
        ("sheet 就读", 6, "单元编码"),
    ]


def test_missing_file_is_an_input_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.gpkg")]) == 2
    assert "nope.gpkg: file not found" in capsys.readouterr().err
