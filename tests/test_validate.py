"""`planner validate` on the battery of bad inputs in tests/data/bad (made by make_battery.py).

Each case names the fragments its report must contain: the place (file, sheet or layer, row,
column) and the rule with the value found.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.cli import main
from planner.errors import InputError
from planner.io.load import open_workspace

DATA = Path(__file__).resolve().parent / "data"
BAD = DATA / "bad"

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
    "many_problems.xlsx": ["sheet 学校, row 3, column `小学在校生数`: expected a whole number",
                           "sheet 学校, row 4, column `办学类型`: expected one of",
                           "sheet 就读, row 6, column `单元编码`: unknown unit 'U9'",
                           "3 problem(s)"],
}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def test_the_battery_has_at_least_twenty_kinds_and_every_file_is_covered():
    assert len(BATTERY) >= 20
    on_disk = {p.name for p in BAD.iterdir()} - {"repairable_bowtie.gpkg"}
    assert on_disk == set(BATTERY)


@pytest.mark.parametrize("name", sorted(BATTERY))
def test_bad_input_exits_2_with_every_problem_located(name, capsys, tmp_path):
    src = BAD / name
    copy = tmp_path / name
    (shutil.copytree if src.is_dir() else shutil.copy2)(src, copy)
    before = _snapshot(tmp_path)
    code = main(["validate", str(copy)])
    out, err = capsys.readouterr()
    assert code == 2
    for fragment in BATTERY[name]:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert "Traceback" not in err + out
    assert "nothing was written" in err
    assert _snapshot(tmp_path) == before


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
    ws, warnings = open_workspace(BAD / "repairable_bowtie.gpkg")
    assert len(warnings) == 1
    message = str(warnings[0])
    assert message.startswith("warning: repairable_bowtie.gpkg, layer units, row 4, column "
                              "`geometry`: invalid geometry (Self-intersection")
    assert "became a MultiPolygon of 514,659 m²" in message
    assert ws.units.geometry.iloc[3].geom_type == "MultiPolygon"
    assert ws.units.geometry.is_valid.all()
    assert main(["validate", str(BAD / "repairable_bowtie.gpkg")]) == 0


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
