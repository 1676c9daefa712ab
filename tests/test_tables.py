"""Excel/CSV import: Chinese headers, declared coordinate systems, the template."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from make_battery import SHEETS, table_frames, write_xlsx

from planner.io.coords import from_wgs84
from planner.io.load import open_workspace
from planner.io.tables import write_template
from planner.schema import LAYER_COLUMNS


def _english(frames, path):
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in frames.items():
            df.to_excel(xw, sheet_name=name, index=False)


def _with_wkt(frames, layers, system=None):
    """Give the units their polygons as WKT, converted to `system` when given."""
    out = {k: v.copy() for k, v in frames.items()}
    geoms = layers["units"].geometry.to_numpy()
    if system:
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(
            from_wgs84(xy[:, 0], xy[:, 1], system)))
    out["units"] = out["units"].drop(columns=["lon", "lat"])
    out["units"]["wkt"] = shapely.to_wkt(geoms, rounding_precision=9)
    return out


@pytest.mark.parametrize("system, label", [("gcj02", "GCJ-02"), ("bd09", "百度")])
def test_chinese_web_map_workbook_imports_to_its_english_wgs84_twin(small_layers, tmp_path,
                                                                    system, label):
    frames = table_frames(small_layers)
    english = _with_wkt(frames, small_layers)
    _english(english, tmp_path / "en.xlsx")
    chinese = _with_wkt(frames, small_layers, system)
    lon, lat = from_wgs84(frames["schools"]["lon"], frames["schools"]["lat"], system)
    chinese["schools"]["lon"], chinese["schools"]["lat"] = lon, lat
    write_xlsx(chinese, tmp_path / "zh.xlsx", settings={"坐标系": label})

    en, _ = open_workspace(tmp_path / "en.xlsx")
    zh, _ = open_workspace(tmp_path / "zh.xlsx")
    # the web-map offset is hundreds of metres; after conversion the twins agree within 1 m
    crs = en.meta.crs
    raw = gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4326").to_crs(crs)
    assert en.schools.to_crs(crs).distance(raw).min() > 100
    assert en.schools.to_crs(crs).distance(zh.schools.to_crs(crs)).max() < 1.0
    hausdorff = [a.hausdorff_distance(b) for a, b in zip(en.units.to_crs(crs).geometry,
                                                         zh.units.to_crs(crs).geometry,
                                                         strict=True)]
    assert max(hausdorff) < 1.0
    for name in ("schools", "units", "enrolment", "county"):
        a = getattr(en, name).drop(columns="geometry", errors="ignore")
        b = getattr(zh, name).drop(columns="geometry", errors="ignore")
        pd.testing.assert_frame_equal(a, b)


def test_coords_option_overrides_the_workbook(small_layers, tmp_path):
    frames = table_frames(small_layers)
    lon, lat = from_wgs84(frames["schools"]["lon"], frames["schools"]["lat"], "gcj02")
    frames["schools"]["lon"], frames["schools"]["lat"] = lon, lat
    frames.pop("units")
    frames.pop("enrolment")
    write_xlsx(frames, tmp_path / "s.xlsx", settings={"坐标系": "WGS84"})
    ws, _ = open_workspace(tmp_path / "s.xlsx", coords="gcj02")
    truth = small_layers["schools"].to_crs(ws.meta.crs)
    assert ws.schools.to_crs(ws.meta.crs).distance(truth).max() < 1.0


def test_wan_yuan_header_is_converted_to_yuan(small_layers, tmp_path):
    frames = table_frames(small_layers)
    s = frames["schools"].rename(columns={"equipment_value_yuan": "教学仪器设备值（万元）"})
    s["教学仪器设备值（万元）"] = s["教学仪器设备值（万元）"] / 10000
    s.to_csv(tmp_path / "schools.csv", index=False, encoding="gb18030")
    ws, _ = open_workspace(tmp_path / "schools.csv")
    assert ws.schools["equipment_value_yuan"].tolist() == pytest.approx([900000.0] * 4)
    # a schools table alone is a workspace: the other layers are simply absent
    assert ws.units is None and ws.enrolment is None and ws.catchments is None


def test_csv_folder_with_chinese_file_names(small_layers, tmp_path):
    frames = table_frames(small_layers)
    for name, df in frames.items():
        cols = {c.name: c.zh for c in LAYER_COLUMNS[name]}
        df.rename(columns=cols).to_csv(tmp_path / f"{SHEETS[name]}.csv", index=False)
    ws, _ = open_workspace(tmp_path)
    assert len(ws.schools) == 4 and len(ws.enrolment) == 37
    assert ws.enrolment["students"].sum() == sum(
        small_layers["units"][[f"g{g}" for g in range(1, 10)]].sum())


def test_template_has_chinese_headers_an_example_and_explanations(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["学校", "居住单元", "划片", "就读", "出生", "就读历史", "新建住宅",
                             "县级指标", "设置", "说明"]
    assert [c.value for c in wb["划片"][1]] == ["学校标识码", "学校名称", "学段", "划片范围",
                                              "乡镇"]
    assert "乡镇" in [c.value for c in wb["居住单元"][1]]
    assert [c.value for c in wb["出生"][1]] == ["单元编码", "年份", "出生人数"]
    assert [c.value for c in wb["就读历史"][1]] == ["学年", "单元编码", "学校标识码", "年级",
                                                 "学生数"]
    heads = [c.value for c in wb["学校"][1]]
    assert heads[:4] == ["学校标识码", "学校名称", "办学类型", "城乡分类"]
    assert "小学在校生数" in heads and "教学及辅助用房面积" in heads and heads[-2:] == ["经度",
                                                                                  "纬度"]
    assert heads[-5:-2] == ["小学核定学位数", "初中核定学位数", "只减不扩"]
    assert wb["学校"].max_row == 2  # one example row
    explained = {row[2].value for row in wb["说明"].iter_rows(min_row=2)}
    assert {"students_primary", "teachers_backbone_junior", "g9", "indicator_id", "births",
            "approved_classes_primary", "dwellings"} <= explained
    assert wb["设置"]["A1"].value == "坐标系" and wb["设置"]["B1"].value == "WGS84"
    settings = {r[0].value: r[1].value for r in wb["设置"].iter_rows()}
    assert settings["学年"] == 2026 and settings["地区范围"] == "china"


def test_template_refuses_a_non_xlsx_name(tmp_path):
    from planner.errors import InputError

    with pytest.raises(InputError, match="name it .xlsx"):
        write_template(tmp_path / "t.csv")


def test_births_columns_of_units_become_the_births_table(small_layers, tmp_path):
    frames = table_frames(small_layers)
    frames["units"]["births_2019"] = [44, 21, 30, 9]
    frames["units"]["births_2020"] = [41, None, 28, 8]
    write_xlsx(frames, tmp_path / "b.xlsx", settings={"学年": 2026})
    ws, _ = open_workspace(tmp_path / "b.xlsx")
    assert ws.births.values.tolist() == [["U1", 2019, 44], ["U2", 2019, 21], ["U3", 2019, 30],
                                         ["U4", 2019, 9], ["U1", 2020, 41], ["U3", 2020, 28],
                                         ["U4", 2020, 8]]
    assert not [c for c in ws.units.columns if c.startswith("births_")]
    assert ws.meta.year == 2026


def test_births_given_twice_is_refused(small_layers, tmp_path):
    from planner.errors import InputError

    frames = table_frames(small_layers)
    frames["units"]["births_2019"] = [44, 21, 30, 9]
    frames["births"] = pd.DataFrame({"unit_id": ["U1"], "year": [2019], "births": [44]})
    write_xlsx(frames, tmp_path / "b.xlsx")
    with pytest.raises(InputError, match="sheet 居住单元, column `births_2019`: births are given "
                                         "twice: as `births_YYYY` columns of the units and as a "
                                         "births table; keep one"):
        open_workspace(tmp_path / "b.xlsx")


def test_approved_classes_become_places_at_the_class_cap(small_layers, tmp_path):
    frames = table_frames(small_layers)
    s = frames["schools"]
    s["小学核定学位数"] = [None, 200, None, None]
    s["小学核定班数"] = [10, 6, None, 6]
    s["初中核定班数"] = [None, None, 8, 3]
    s["只减不扩"] = [None, None, "是", None]
    write_xlsx(frames, tmp_path / "c.xlsx", settings={"评估标准": "henan"})
    ws, notes = open_workspace(tmp_path / "c.xlsx")
    # places given win; classes fill the empty ones at 45 (primary) and 50 (junior)
    assert ws.schools["approved_places_primary"].tolist() == [450, 200, pd.NA, 270]
    assert ws.schools["approved_places_junior"].tolist() == [pd.NA, pd.NA, 400, 150]
    assert ws.schools["shrink_only"].tolist() == [False, False, True, False]
    assert "approved_classes_primary" not in ws.schools.columns
    assert [str(n) for n in notes if n.layer == "sheet 学校"] == [
        "notice: c.xlsx, sheet 学校, column `小学核定班数`: approved primary places of 2 school(s) "
        "taken as approved classes × 45 (the class-size cap of profile henan)",
        "notice: c.xlsx, sheet 学校, column `初中核定班数`: approved junior places of 2 school(s) "
        "taken as approved classes × 50 (the class-size cap of profile henan)"]


def test_a_teaching_point_is_shrink_only_unless_it_says_otherwise(small_layers, tmp_path):
    frames = table_frames(small_layers)
    s = frames["schools"]
    s.loc[1, "kind"] = "teaching_point"
    s.loc[1, "central_school_id"] = "S1"
    write_xlsx(frames, tmp_path / "a.xlsx")
    ws, _ = open_workspace(tmp_path / "a.xlsx")
    assert ws.schools["shrink_only"].tolist() == [False, True, False, False]
    s["shrink_only"] = ["是", "否", None, None]
    write_xlsx(frames, tmp_path / "b.xlsx")
    ws, _ = open_workspace(tmp_path / "b.xlsx")
    assert ws.schools["shrink_only"].tolist() == [True, False, False, False]
