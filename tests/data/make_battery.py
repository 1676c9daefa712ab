"""Write the small literal county and the battery of bad inputs under tests/data/.

Run from the repository root: `python tests/data/make_battery.py`. The files are committed; the
expected messages for each are in tests/test_validate.py (BATTERY).

The county: four 1-km square units in a 2×2 block at about 115.2°E 36.07°N, four schools.
    U3 | U4            S1 primary (urban) in U1   S3 junior (urban) in U3
    ---+---            S2 primary (town)  in U2   S4 nine_year (rural) in U4
    U1 | U2
Primary catchments: S1 ← U1, U3; S2 ← U2; S4 ← U4. Junior: S3 ← U1, U2, U3; S4 ← U4.
"""

from __future__ import annotations

import shutil
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import shapely

from planner.schema import LONLAT_COLUMNS, columns_of

HERE = Path(__file__).resolve().parent
OUT = HERE / "bad"
GOOD = HERE / "good"
CRS_M = "EPSG:4547"
X0, Y0 = 627_000.0, 3_993_000.0  # about 115.2°E, 36.07°N in CGCS2000 GK CM 114°E


def _square(i: int, j: int) -> shapely.Polygon:
    x, y = X0 + 1000 * i, Y0 + 1000 * j
    return shapely.box(x, y, x + 1000, y + 1000)


def small_county() -> dict[str, pd.DataFrame]:
    """Return the four-school county as canonical frames (spatial ones in WGS84)."""
    squares = {"U1": _square(0, 0), "U2": _square(1, 0), "U3": _square(0, 1), "U4": _square(1, 1)}
    kids = {  # g1..g9
        "U1": [40, 42, 38, 41, 39, 40, 35, 36, 34],
        "U2": [20, 22, 21, 19, 20, 18, 17, 16, 18],
        "U3": [30, 31, 29, 30, 28, 32, 27, 26, 28],
        "U4": [10, 9, 11, 10, 8, 12, 9, 10, 11],
    }
    area = {"U1": "urban", "U2": "town", "U3": "urban", "U4": "rural"}
    units = gpd.GeoDataFrame(
        {"unit_id": list(squares), "name": ["东街社区", "南关社区", "北街社区", "李庄村"],
         "area_type": [area[u] for u in squares],
         **{f"g{g}": [kids[u][g - 1] for u in squares] for g in range(1, 10)}},
        geometry=list(squares.values()), crs=CRS_M).to_crs("EPSG:4326")
    site = {u: shapely.Point(sq.centroid.x + 100, sq.centroid.y) for u, sq in squares.items()}
    # enrolment: everyone at the zoned school except one family of U3 at S2 (grade 2, 3 pupils)
    zone_p = {"U1": "S1", "U2": "S2", "U3": "S1", "U4": "S4"}
    zone_j = {"U1": "S3", "U2": "S3", "U3": "S3", "U4": "S4"}
    rows = []
    for u in squares:
        for g in range(1, 10):
            n = kids[u][g - 1]
            school = zone_p[u] if g <= 6 else zone_j[u]
            if (u, g) == ("U3", 2):
                rows.append((u, "S2", g, 3))
                n -= 3
            rows.append((u, school, g, n))
    enrol = pd.DataFrame(rows, columns=["unit_id", "school_id", "grade", "students"])
    by = enrol.assign(sec=enrol["grade"].map(lambda g: "p" if g <= 6 else "j")).groupby(
        ["school_id", "sec"])["students"].sum()
    base = {
        "S1": ("东街小学", "primary", "urban", "U1"),
        "S2": ("南关小学", "primary", "town", "U2"),
        "S3": ("城关初级中学", "junior", "urban", "U3"),
        "S4": ("李庄九年一贯制学校", "nine_year", "rural", "U4"),
    }
    recs = []
    for sid, (name, kind, at, unit) in base.items():
        p, j = int(by.get((sid, "p"), 0)), int(by.get((sid, "j"), 0))
        cp, cj = (p + 39) // 40, (j + 44) // 45
        recs.append({
            "school_id": sid, "name": name, "kind": kind, "area_type": at, "public": True,
            "boarding": kind == "nine_year", "central_school_id": None,
            "students_primary": p, "students_junior": j, "students_senior": 0,
            "classes_primary": cp, "classes_junior": cj,
            "max_class_size_primary": (p + cp - 1) // cp + 1 if cp else 0,
            "max_class_size_junior": (j + cj - 1) // cj + 1 if cj else 0,
            "classrooms": cp + cj + 2, "teachers_total": 20, "teachers_certified": 20,
            "teachers_above_degree": 16, "teachers_backbone": 3, "teachers_pe_art": 3,
            "teaching_aux_area_m2": 2400.0, "sports_area_m2": 4000.0,
            "equipment_value_yuan": 900000.0, "multimedia_rooms": 9, "music_rooms": 1,
            "music_room_min_area_m2": 100.0, "art_rooms": 1, "art_room_min_area_m2": 95.0,
            "geometry": site[unit],
        })
    schools = gpd.GeoDataFrame(recs, geometry="geometry", crs=CRS_M).to_crs("EPSG:4326")
    catch = []
    for sec, zone in (("primary", zone_p), ("junior", zone_j)):
        for sid in sorted(set(zone.values())):
            geom = shapely.union_all([squares[u] for u, s in zone.items() if s == sid])
            catch.append({"school_id": sid, "section": sec, "geometry": geom})
    catchments = gpd.GeoDataFrame(catch, geometry="geometry", crs=CRS_M).to_crs("EPSG:4326")
    county = pd.DataFrame({"indicator_id": ["G8"], "value": [1.02],
                           "evidence": ["工资对比表"], "source": ["县人社局"]})
    return {"schools": schools, "units": units, "catchments": catchments, "enrolment": enrol,
            "county": county}


def write_gpkg(layers: dict[str, pd.DataFrame], path: Path) -> None:
    if path.exists():
        path.unlink()
    for name, df in layers.items():
        pyogrio.write_dataframe(df, path, layer=name)


def _zh(df: pd.DataFrame, layer: str) -> pd.DataFrame:
    names = {c.name: c.zh for c in columns_of(layer) + LONLAT_COLUMNS}
    return df.rename(columns=names)


def table_frames(layers: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Schools and units as tables with lon/lat (units by their centre) and Chinese headers."""
    out = {}
    for name in ("schools", "units"):
        gdf = layers[name]
        pts = gdf.geometry.representative_point() if name == "units" else gdf.geometry
        df = pd.DataFrame(gdf.drop(columns="geometry"))
        df["lon"], df["lat"] = pts.x.round(7), pts.y.round(7)
        out[name] = df
    out["enrolment"] = layers["enrolment"].copy()
    out["county"] = layers["county"].copy()
    return out


SHEETS = {"schools": "学校", "units": "居住单元", "enrolment": "就读", "county": "县级指标",
          "births": "出生", "enrolment_history": "就读历史", "developments": "新建住宅",
          "zoning_lists": "划片"}


def write_xlsx(frames: dict[str, pd.DataFrame], path: Path, settings: dict | None = None) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in frames.items():
            _zh(df, name).to_excel(xw, sheet_name=SHEETS.get(name, name), index=False)
        if settings:
            pd.DataFrame(list(settings.items())).to_excel(xw, sheet_name="设置", index=False,
                                                          header=False)


def setv(frame: str, row: int, col: str, value):
    """An edit of the frames: one cell set (the column made, as objects, when missing)."""
    def edit(f):
        if col not in f[frame].columns:
            f[frame][col] = None
        f[frame][col] = f[frame][col].astype(object)
        f[frame].loc[row, col] = value
    return edit


class Battery:
    """Writes bad files into OUT: the small county's tables or layers, edited."""

    def __init__(self, frames: dict[str, pd.DataFrame], layers: dict[str, pd.DataFrame]):
        self.frames, self.layers = frames, layers

    def xlsx(self, name: str, edit, settings: dict | None = None) -> None:
        f = {k: v.copy() for k, v in self.frames.items()}
        edit(f)
        write_xlsx(f, OUT / name, settings)

    def gpkg(self, name: str, edit) -> None:
        g = {k: v.copy() for k, v in self.layers.items()}
        edit(g)
        write_gpkg(g, OUT / name)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    layers = small_county()
    write_gpkg(layers, HERE / "small_county.gpkg")
    frames = table_frames(layers)
    write_xlsx(frames, HERE / "small_county.xlsx")
    b = Battery(frames, layers)
    cell_cases(b)
    geometry_cases(b)
    (OUT / "corrupt.gpkg").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    (OUT / "not_excel.xlsx").write_text("学校名称,经度\n东街小学,115.2\n", encoding="utf-8")
    (OUT / "unsupported.txt").write_text("schools\n", encoding="utf-8")
    csv_dir = OUT / "empty_cell_csv"
    csv_dir.mkdir()
    for name, df in frames.items():
        df = _zh(df.copy(), name)
        if name == "schools":
            df.loc[2, "学校名称"] = None
        df.to_csv(csv_dir / f"{SHEETS[name]}.csv", index=False, encoding="gb18030")
    table_cases(b)
    meta_cases(layers)
    file_level_cases(b)
    look_alikes(frames, layers)


def cell_cases(b: Battery) -> None:
    """Cells of the schools and enrolment sheets that break a rule, one file each."""
    xlsx = b.xlsx
    xlsx("missing_column.xlsx", lambda f: f.__setitem__(
        "schools", f["schools"].drop(columns="students_primary")))
    xlsx("unknown_column.xlsx", lambda f: f["schools"].insert(2, "学校名", "x"))
    xlsx("text_in_number.xlsx", setv("schools", 1, "students_primary", "约300"))
    xlsx("negative_count.xlsx", setv("schools", 2, "teachers_backbone", -3))
    xlsx("fractional_count.xlsx", setv("schools", 0, "classes_primary", 12.5))
    xlsx("duplicate_id.xlsx", setv("schools", 3, "school_id", "S1"))
    xlsx("unknown_kind.xlsx", setv("schools", 2, "kind", "职业高中"))
    xlsx("unknown_area_type.xlsx", setv("schools", 1, "area_type", "郊区"))
    xlsx("bad_bool.xlsx", setv("schools", 3, "boarding", "部分"))

    def swap(f):
        lon, lat = f["schools"].loc[0, "lon"], f["schools"].loc[0, "lat"]
        f["schools"].loc[0, "lon"], f["schools"].loc[0, "lat"] = lat, lon
    xlsx("swapped_lonlat.xlsx", swap)
    xlsx("enrolment_unknown_unit.xlsx", setv("enrolment", 4, "unit_id", "U9"))
    xlsx("enrolment_unknown_school.xlsx", setv("enrolment", 10, "school_id", "S7"))
    xlsx("totals_disagree.xlsx", setv("schools", 0, "students_primary", 999))
    xlsx("grade_section_mismatch.xlsx", setv("enrolment", 2, "grade", 8))
    xlsx("unknown_coord_system.xlsx", lambda f: None, settings={"坐标系": "北京54"})
    xlsx("teachers_exceed.xlsx", setv("schools", 1, "teachers_certified", 25))
    xlsx("kind_students_mismatch.xlsx", setv("schools", 0, "students_junior", 30))
    xlsx("max_class_too_small.xlsx", setv("schools", 2, "max_class_size_junior", 20))
    xlsx("no_schools_sheet.xlsx", lambda f: f.pop("schools"))
    xlsx("duplicate_header.xlsx", lambda f: f["schools"].insert(1, "校名", "x"))

    def many(f):
        setv("schools", 1, "students_primary", "约300")(f)
        setv("schools", 2, "kind", "职业高中")(f)
        setv("enrolment", 4, "unit_id", "U9")(f)
    xlsx("many_problems.xlsx", many)


def geometry_cases(b: Battery) -> None:
    """GeoPackages whose geometries or references are wrong."""
    gpkg = b.gpkg

    def outside(g):
        g["schools"] = g["schools"].copy()
        g["schools"].loc[1, "geometry"] = shapely.Point(115.55, 36.07)
    gpkg("outside_county.gpkg", outside)

    def empty_geom(g):
        g["units"].loc[2, "geometry"] = shapely.Polygon()
    gpkg("empty_geometry.gpkg", empty_geom)

    def wrong_type(g):
        g["schools"]["geometry"] = g["schools"].geometry.to_crs(CRS_M).buffer(50).to_crs(
            "EPSG:4326")
    gpkg("wrong_geometry_type.gpkg", wrong_type)

    def no_crs(g):
        g["units"] = g["units"].set_crs(None, allow_override=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns that there is no CRS
        gpkg("no_crs.gpkg", no_crs)
    gpkg("catchment_unknown_school.gpkg", lambda g: g["catchments"].__setitem__(
        "school_id", g["catchments"]["school_id"].replace({"S2": "S8"})))

    def wrong_section(g):
        g["catchments"].loc[0, "section"] = "junior"
    gpkg("catchment_wrong_section.gpkg", wrong_section)


def table_cases(b: Battery) -> None:
    """SPEC §5.2 tables, capacity and settings (the frames keep none of them afterwards)."""
    frames = b.frames
    births = pd.DataFrame({"unit_id": ["U1", "U1", "U2", "U3", "U4"],
                           "year": [2019, 2020, 2020, 2020, 2020],
                           "births": [44, 41, 22, 31, 9]})
    history = pd.DataFrame({"year": [2024, 2025, 2025], "unit_id": ["U1", "U1", "U2"],
                            "school_id": ["S1", "S1", "S2"], "grade": [1, 2, 1],
                            "students": [42, 41, 20]})
    dev = pd.DataFrame({"unit_id": ["U3"], "name": ["北街小区"], "first_year": [2027],
                        "dwellings": [400]})
    frames["births"], frames["enrolment_history"], frames["developments"] = births, history, dev
    year = {"学年": 2026}
    xlsx = b.xlsx
    xlsx("births_unknown_unit.xlsx", setv("births", 2, "unit_id", "U22"), year)
    xlsx("births_negative.xlsx", setv("births", 1, "births", -4), year)
    xlsx("births_year_out_of_range.xlsx", setv("births", 0, "year", 1890), year)
    xlsx("births_after_school_year.xlsx", setv("births", 4, "year", 2027), year)
    xlsx("births_repeated.xlsx", setv("births", 1, "year", 2019), year)
    xlsx("births_text_year.xlsx", setv("births", 3, "year", "二〇二〇"), year)
    xlsx("history_not_before_year.xlsx", setv("enrolment_history", 2, "year", 2026), year)
    xlsx("history_unknown_unit.xlsx", setv("enrolment_history", 0, "unit_id", "U7"), year)
    xlsx("history_wrong_grade.xlsx", setv("enrolment_history", 1, "grade", 8), year)
    xlsx("development_no_unit.xlsx", setv("developments", 0, "unit_id", None), year)
    xlsx("development_zero_year.xlsx", setv("developments", 0, "first_year", 0), year)
    xlsx("approved_places_no_section.xlsx", setv("schools", 0, "approved_places_junior", 300),
         year)
    xlsx("settings_bad_year.xlsx", lambda f: None, {"学年": "2026学年"})
    xlsx("settings_bad_region.xlsx", lambda f: None, {"地区范围": "world"})
    xlsx("settings_unknown_profile.xlsx", lambda f: None, {"评估标准": "shandong_2030"})
    for k in ("births", "enrolment_history", "developments"):
        frames.pop(k)


def meta_cases(layers: dict[str, pd.DataFrame]) -> None:
    """GeoPackages whose meta table is wrong."""
    def meta(name: str, values: dict) -> None:
        g = {k: v.copy() for k, v in layers.items()}
        g["meta"] = pd.DataFrame({"key": list(values), "value": list(values.values())})
        write_gpkg(g, OUT / name)
    meta("meta_unknown_profile.gpkg", {"schema_version": "2", "profile": "mars"})
    meta("meta_geographic_crs.gpkg", {"schema_version": "2", "crs": "EPSG:4326"})
    meta("meta_unknown_crs.gpkg", {"schema_version": "2", "crs": "EPSG:999999"})
    meta("meta_feet_crs.gpkg", {"schema_version": "2", "crs": "EPSG:2227"})
    meta("meta_profiles_disagree.gpkg", {"profile": "henan", "standards_profile": "national_2017"})
    meta("meta_newer_schema.gpkg", {"schema_version": "9"})
    meta("meta_bad_enrolment_source.gpkg", {"enrolment_source": "guess"})


def _patch_xlsx(path: Path, edit) -> None:
    """Edit a written workbook cell by cell with openpyxl (formulas, error values, sheets)."""
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)


def _meta(values: dict) -> pd.DataFrame:
    return pd.DataFrame({"key": list(values), "value": [str(x) for x in values.values()]})


def file_level_cases(b: Battery) -> None:
    """Bad files of issue 11 and SPEC §5.2: each must give exit 2 with a located message."""
    for cases in (workbook_cases, bound_cases, column_cases, scenario_cases, gpkg_cases,
                  road_cases, csv_cases, bureau_cases):
        cases(b)


def workbook_cases(b: Battery) -> None:
    """Cells that are not values (formulas and error values), and sheets that are not right."""
    xlsx = b.xlsx

    def formula(sheet, cell, text):
        def edit(wb):
            wb[sheet][cell] = text
        return edit

    def error_value(wb):
        wb["学校"]["P3"] = "#DIV/0!"
        wb["学校"]["P3"].data_type = "e"

    for name, edit in (("formula_in_number.xlsx", formula("学校", "H2", "=300+40")),
                       ("formula_in_name.xlsx", formula("学校", "B3", '=CONCAT("南关","小学")')),
                       ("formula_in_enrolment.xlsx", formula("就读", "D5", "=SUM(D2:D4)")),
                       ("formula_in_settings.xlsx", formula("设置", "B1", '=UPPER("wgs84")')),
                       ("error_value_cell.xlsx", error_value)):
        xlsx(name, lambda f: None, {"坐标系": "WGS84"} if "settings" in name else None)
        _patch_xlsx(OUT / name, edit)

    def two_sheets(english: str, chinese: str):
        def edit(wb):
            source = wb[chinese]
            copy = wb.copy_worksheet(source)
            copy.title = english
        return edit
    for name, en, zh in (("two_school_sheets.xlsx", "schools", "学校"),
                         ("two_unit_sheets.xlsx", "村社区", "居住单元"),
                         ("two_enrolment_sheets.xlsx", "enrolment", "就读")):
        xlsx(name, lambda f: None)
        _patch_xlsx(OUT / name, two_sheets(en, zh))

    def headerless(wb):
        ws = wb["学校"]
        col = ws.max_column + 1
        for r in range(2, ws.max_row + 1):
            ws.cell(row=r, column=col, value=7)
    xlsx("values_without_header.xlsx", lambda f: None)
    _patch_xlsx(OUT / "values_without_header.xlsx", headerless)

    def same_header(wb):
        ws = wb["学校"]
        ws.cell(row=1, column=ws.max_column + 1, value="学校名称")
    xlsx("same_header_twice.xlsx", lambda f: None)
    _patch_xlsx(OUT / "same_header_twice.xlsx", same_header)
    xlsx("schools_sheet_without_rows.xlsx", lambda f: f.__setitem__(
        "schools", f["schools"].iloc[:0]))
    (OUT / "empty_file.xlsx").write_bytes(b"")
    with zipfile.ZipFile(OUT / "zip_not_workbook.xlsx", "w") as z:
        z.writestr("readme.txt", "not a workbook")


def bound_cases(b: Battery) -> None:
    """Numbers beyond physical sense (planner.schema.UPPER_BOUNDS), NaN and Infinity."""
    xlsx = b.xlsx
    for name, frame, row, col, value in (
        ("classrooms_1e308.xlsx", "schools", 0, "classrooms", 1e308),
        ("sports_area_1_7e308.xlsx", "schools", 1, "sports_area_m2", 1.7e308),
        ("teachers_10e30.xlsx", "schools", 2, "teachers_total", 10**30),
        ("students_beyond_bound.xlsx", "schools", 3, "students_junior", 25_000),
        ("class_of_200.xlsx", "schools", 0, "max_class_size_primary", 200),
        ("equipment_2e9.xlsx", "schools", 1, "equipment_value_yuan", 2e9),
        ("room_area_5000.xlsx", "schools", 2, "music_room_min_area_m2", 5000),
        ("nan_text.xlsx", "schools", 3, "teaching_aux_area_m2", "NaN"),
        ("infinity_text.xlsx", "schools", 0, "sports_area_m2", "Infinity"),
        ("minus_infinity.xlsx", "schools", 1, "equipment_value_yuan", "-inf"),
        ("children_30000.xlsx", "units", 2, "g4", 30_000),
        ("enrolment_students_huge.xlsx", "enrolment", 6, "students", 1e12),
        ("enrolment_grade_0.xlsx", "enrolment", 7, "grade", 0),
        ("enrolment_grade_10.xlsx", "enrolment", 8, "grade", 10),
        ("enrolment_fraction.xlsx", "enrolment", 9, "students", 2.5),
        ("county_value_1e12.xlsx", "county", 0, "value", 1e12),
        ("county_value_text.xlsx", "county", 0, "value", "约1.02"),
        ("approved_places_text.xlsx", "schools", 0, "approved_places_primary", "满员"),
        ("shrink_only_maybe.xlsx", "schools", 1, "shrink_only", "也许"),
        ("date_in_number.xlsx", "schools", 2, "classrooms", __import__("datetime").datetime(
            2024, 9, 1)),
        ("lon_text.xlsx", "schools", 3, "lon", "东经115度"),
    ):
        xlsx(name, setv(frame, row, col, value))


def column_cases(b: Battery) -> None:
    """One school's columns against each other, and references."""
    xlsx = b.xlsx
    xlsx("pe_art_exceed.xlsx", setv("schools", 2, "teachers_pe_art", 21))
    xlsx("senior_on_primary.xlsx", setv("schools", 1, "students_senior", 40))
    xlsx("central_unknown.xlsx", lambda f: (setv("schools", 1, "kind", "教学点")(f),
                                            setv("schools", 1, "central_school_id", "S9")(f)))

    def pairs_disagree(f):
        f["schools"]["teachers_total_primary"] = [20, 20, 0, 12]
        f["schools"]["teachers_total_junior"] = [0, 0, 20, 7]
    xlsx("section_pairs_disagree.xlsx", pairs_disagree)
    xlsx("section_pair_alone.xlsx", lambda f: f["schools"].__setitem__(
        "teachers_backbone_primary", [3, 3, 0, 2]))
    xlsx("enrolment_repeated_row.xlsx", lambda f: f.__setitem__(
        "enrolment", pd.concat([f["enrolment"], f["enrolment"].iloc[[3]]], ignore_index=True)))
    xlsx("units_duplicate_id.xlsx", setv("units", 3, "unit_id", "U1"))
    xlsx("units_no_location.xlsx", lambda f: f.__setitem__(
        "units", f["units"].drop(columns=["lon", "lat"])))
    xlsx("units_bad_wkt.xlsx", lambda f: (f["units"].__setitem__("wkt", [
        "POLYGON((0 0, 1 0, 1 1, 0 0))", "POLYGON((0 0", None, None]),))
    xlsx("units_births_1850.xlsx", lambda f: f["units"].__setitem__("births_1850", 3))
    xlsx("county_without_id.xlsx", lambda f: f.__setitem__(
        "county", f["county"].drop(columns="indicator_id")))


def scenario_cases(b: Battery) -> None:
    """GeoPackages: the scenarios table and the distances cache."""
    gpkg = b.gpkg

    def scenarios(rows, columns=("name", "base", "created", "author", "note", "edits")):
        def edit(g):
            g["scenarios"] = pd.DataFrame([dict(zip(columns, r, strict=True)) for r in rows])
        return edit
    ok_edit = '[{"op": "enforce_zoning", "school_id": null}]'
    for name, rows, cols in (
        ("scenarios_bad_json.gpkg", [("a", "baseline", "", "", "", "[{'op': 'x'}")], None),
        ("scenarios_null_edits.gpkg", [("a", "baseline", "", "", "", None)], None),
        ("scenarios_missing_columns.gpkg", [("a", ok_edit)], ("name", "edits")),
        ("scenarios_edits_object.gpkg", [("a", "baseline", "", "", "", '{"op": "x"}')], None),
        ("scenarios_nan_in_json.gpkg", [("a", "baseline", "", "", "",
                                         '[{"op": "set_school", "values": {"classrooms": '
                                         'NaN}}]')], None),
        ("scenarios_edit_not_object.gpkg", [("a", "baseline", "", "", "", "[1, 2]")], None),
        ("scenarios_deep_json.gpkg", [("a", "baseline", "", "", "",
                                       "[" * 40 + "]" * 40)], None),
        ("scenarios_duplicate_name.gpkg", [("a", "baseline", "", "", "", ok_edit),
                                           ("a", "baseline", "", "", "", "[]")], None),
        ("scenarios_unknown_base.gpkg", [("a", "plan-z", "", "", "", ok_edit)], None),
        ("scenarios_base_cycle.gpkg", [("a", "b", "", "", "", "[]"),
                                       ("b", "a", "", "", "", "[]")], None),
    ):
        gpkg(name, scenarios(rows, cols) if cols else scenarios(rows))

    def distances(values, columns=("unit_id", "school_id", "distance_m", "method")):
        def edit(g):
            n = len(values)
            g["distances"] = pd.DataFrame(dict(zip(columns, (["U1"] * n, ["S1"] * n, values,
                                                            ["road"] * n), strict=False)))
        return edit
    gpkg("distances_text.gpkg", distances(["812.5", "far", "640"]))
    gpkg("distances_negative.gpkg", distances(["812.5", "-3"]))
    gpkg("distances_missing_column.gpkg", distances(["1"], ("unit_id", "school_id", "metres")))


def gpkg_cases(b: Battery) -> None:
    """GeoPackages: meta values and geometries."""
    gpkg = b.gpkg

    def meta(values: dict):
        return lambda g: g.__setitem__("meta", _meta(values))
    for name, values in (("meta_web_mercator.gpkg", {"crs": "EPSG:3857"}),
                         ("meta_bad_year.gpkg", {"year": "明年"}),
                         ("meta_bad_region.gpkg", {"region": "mars"}),
                         ("meta_bad_synthetic.gpkg", {"synthetic": "maybe"})):
        gpkg(name, meta(values))
    gpkg("meta_without_key_column.gpkg", lambda g: g.__setitem__(
        "meta", pd.DataFrame({"k": ["crs"], "value": ["EPSG:4547"]})))

    def point_catchment(g):
        g["catchments"].loc[1, "geometry"] = g["catchments"].geometry.iloc[1].centroid
    gpkg("catchment_is_point.gpkg", point_catchment)

    def line_unit(g):
        g["units"].loc[0, "geometry"] = shapely.LineString(
            g["units"].geometry.iloc[0].exterior.coords)
    gpkg("unit_is_line.gpkg", line_unit)

    def null_school(g):
        g["schools"].loc[2, "geometry"] = None
    gpkg("school_without_geometry.gpkg", null_school)
    gpkg("no_schools_layer.gpkg", lambda g: g.pop("schools"))

    def metres_as_degrees(g):
        g["schools"] = g["schools"].to_crs(CRS_M).set_crs("EPSG:4326", allow_override=True)
    gpkg("metres_labelled_wgs84.gpkg", metres_as_degrees)

    def float_nan(g):
        g["schools"]["sports_area_m2"] = [4000.0, float("nan"), 4000.0, 4000.0]
    gpkg("nan_in_gpkg.gpkg", float_nan)

    def float_inf(g):
        g["schools"]["teaching_aux_area_m2"] = [2400.0, 2400.0, float("inf"), 2400.0]
    gpkg("infinity_in_gpkg.gpkg", float_inf)

    def huge_int(g):
        g["schools"]["classrooms"] = [10**12, 8, 9, 7]
    gpkg("classrooms_huge_gpkg.gpkg", huge_int)


def road_cases(b: Battery) -> None:
    """GeoPackages: road layers, and a zoning_matches table."""
    gpkg = b.gpkg

    def roads(nodes, edges):
        def edit(g):
            g["nodes"], g["edges"] = nodes(), edges()
        return edit
    pts = b.layers["schools"].geometry
    node_frame = lambda: gpd.GeoDataFrame(  # noqa: E731
        {"osmid": [1, 2], "x": pts.x[:2].tolist(), "y": pts.y[:2].tolist()},
        geometry=list(pts[:2]), crs="EPSG:4326")
    edge_frame = lambda length=1000.0, cols=("u", "v", "key", "length"): gpd.GeoDataFrame(  # noqa
        dict(zip(cols, ([1], [2], [0], [length]), strict=False)),
        geometry=[shapely.LineString(list(pts[:2]))], crs="EPSG:4326")
    gpkg("roads_nodes_only.gpkg", lambda g: g.__setitem__("nodes", node_frame()))
    gpkg("roads_negative_length.gpkg", roads(node_frame, lambda: edge_frame(-5.0)))
    gpkg("roads_without_length.gpkg", roads(node_frame, lambda: edge_frame(
        cols=("u", "v", "key", "len"))))
    gpkg("zoning_matches_bad_section.gpkg", lambda g: g.__setitem__(
        "zoning_matches", pd.DataFrame({"row": [2], "school_id": ["S1"], "section": ["高中"],
                                        "entry": ["东街社区"], "unit_id": ["U1"],
                                        "matched_by": ["school_township"]})))


def csv_cases(b: Battery) -> None:
    """CSV files and folders."""
    frames = b.frames
    (OUT / "empty.csv").write_bytes(b"")
    (OUT / "binary.csv").write_bytes(bytes(range(128, 256)) * 4)
    (OUT / "ragged.csv").write_text('学校标识码,学校名称\nS1,"东街小学\n', encoding="utf-8")
    (OUT / "header_only.csv").write_text(",".join(c for c in frames["schools"].columns)
                                         + "\n", encoding="utf-8")
    folder = OUT / "csv_folder_without_schools"
    folder.mkdir()
    frames["units"].to_csv(folder / "居住单元.csv", index=False)


def bureau_cases(b: Battery) -> None:
    """A bureau's own files: points, 划片 lists, no 就读 (see tests/test_derive.py)."""
    frames, xlsx = b.frames, b.xlsx

    def bureau(f):
        f.pop("enrolment")
        f["units"]["乡镇"] = ["城关镇", "南关镇", "城关镇", "李庄乡"]
        s = f["schools"]
        s.loc[0, "students_primary"], s.loc[1, "students_primary"] = 420, 120
        f["zoning_lists"] = pd.DataFrame({
            "学校名称": ["东街小学", "南关小学", "城关初级中学", "李庄九年一贯制学校",
                     "李庄九年一贯制学校"],
            "学段": ["小学", "小学", "初中", "小学", "初中"],
            "划片范围": ["东街社区、北街社区", "南关社区", "东街社区、南关社区、北街社区",
                     "李庄村", "李庄村"]}).astype(object)

    def listed(edit):
        return lambda f: (bureau(f), edit(f))
    xlsx("lists_unknown_school.xlsx", listed(setv("zoning_lists", 1, "学校名称", "南关小校")))
    xlsx("lists_misspelled_unit.xlsx", listed(setv("zoning_lists", 2, "划片范围",
                                                   "东街社区、南关社区、北接社区")))
    xlsx("lists_unit_twice.xlsx", listed(setv("zoning_lists", 1, "划片范围",
                                              "南关社区、东街社区")))
    xlsx("lists_senior_section.xlsx", listed(setv("zoning_lists", 0, "学段", "高中")))
    xlsx("lists_empty_cell.xlsx", listed(setv("zoning_lists", 3, "划片范围", None)))
    xlsx("lists_unknown_township.xlsx", listed(lambda f: f["zoning_lists"].__setitem__(
        "乡镇", [None, "南门镇", None, None, None])))
    xlsx("lists_code_and_name_disagree.xlsx", listed(lambda f: f["zoning_lists"].__setitem__(
        "学校标识码", ["S2", None, None, None, None])))
    xlsx("lists_unit_left_out.xlsx", listed(setv("zoning_lists", 2, "划片范围",
                                                 "东街社区、北街社区")))
    # statistics that differ from the catchment are spread over it (a notice); pupils with no
    # child in the catchment at all cannot be
    xlsx("lists_pupils_without_children.xlsx", listed(lambda f: [
        setv("units", 1, f"g{g}", 0)(f) for g in range(1, 7)]))
    xlsx("lists_same_point.xlsx", listed(lambda f: (
        setv("units", 1, "lon", f["units"].loc[0, "lon"])(f),
        setv("units", 1, "lat", f["units"].loc[0, "lat"])(f))))
    xlsx("lists_ambiguous_unit.xlsx", listed(lambda f: (
        setv("units", 1, "name", "李庄村")(f),
        setv("zoning_lists", 2, "划片范围", "东街社区、李庄村、北街社区")(f))))

    # a boundary beside the workbook, named in its settings
    outline = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)],
                               crs=CRS_M).to_crs("EPSG:4326")
    for name, settings, content in (
        ("boundary_outside", {"县域边界": "county.geojson"}, "shrunk"),
        ("boundary_not_found", {"县域边界": "missing.geojson"}, None),
        ("boundary_with_path", {"县域边界": "../county.geojson"}, "whole"),
        ("boundary_no_polygon", {"县域边界": "county.geojson"}, "point"),
    ):
        folder = OUT / name
        folder.mkdir()
        f = {k: v.copy() for k, v in frames.items()}
        bureau(f)
        write_xlsx(f, folder / "county.xlsx", settings)
        if content == "whole":
            outline.to_file(folder / "county.geojson", driver="GeoJSON")
        elif content == "shrunk":
            small = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 1400, Y0 + 2000)],
                                     crs=CRS_M).to_crs("EPSG:4326")
            small.to_file(folder / "county.geojson", driver="GeoJSON")
        elif content == "point":
            gpd.GeoDataFrame(geometry=[outline.geometry.iloc[0].centroid], crs="EPSG:4326"
                             ).to_file(folder / "county.geojson", driver="GeoJSON")


def look_alikes(frames, layers) -> None:
    """Valid files that look like bad ones: each must validate (exit 0) and import."""
    if GOOD.exists():
        shutil.rmtree(GOOD)
    GOOD.mkdir(parents=True)

    def xlsx(name, edit, settings=None, cells=None):
        f = {k: v.copy() for k, v in frames.items()}
        for frame in f.values():
            for col in frame.columns:
                if frame[col].dtype == object or str(frame[col].dtype) == "str":
                    frame[col] = frame[col].astype(object)
        edit(f)
        write_xlsx(f, GOOD / name, settings)
        if cells:
            _patch_xlsx(GOOD / name, cells)

    def text_cells(sheet, values):
        def edit(wb):
            for ref, value in values.items():
                wb[sheet][ref] = value
                wb[sheet][ref].data_type = "s"  # text that looks like a formula, not one
        return edit

    def setv(frame, row, col, value):
        def edit(f):
            f[frame][col] = f[frame][col].astype(object)
            f[frame].loc[row, col] = value
        return edit

    xlsx("name_looks_negative.xlsx", setv("schools", 1, "name", "-南关小学"))
    xlsx("name_looks_like_formula.xlsx", lambda f: None,
         cells=text_cells("学校", {"B3": "=SUM(A1:A9)", "B4": "+城关初级中学",
                                   "B5": "@李庄九年一贯制学校"}))
    xlsx("unit_names_nan_and_infinity.xlsx", lambda f: (
        setv("units", 0, "name", "NaN社区")(f), setv("units", 1, "name", "Infinity")(f)))

    def huge(f):
        s = f["schools"]
        # a huge but plausible school: 9 800 pupils in 196 classes, 520 teachers
        extra = 9_800 - s.loc[0, "students_primary"]
        s.loc[0, ["classes_primary", "max_class_size_primary", "classrooms", "teachers_total",
                  "teachers_certified", "teachers_above_degree", "teachers_backbone",
                  "teachers_pe_art"]] = [196, 50, 210, 520, 520, 430, 80, 60]
        s.loc[0, "students_primary"] = 9_800
        s.loc[0, ["teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan"]] = [
            45_000.5, 74_000.0, 21_000_000.0]
        s.loc[0, "multimedia_rooms"] = 220
        e = f["enrolment"]
        first = e.index[(e["school_id"] == "S1") & (e["unit_id"] == "U1")][0]
        e.loc[first, "students"] += extra
        u = f["units"]
        u.loc[0, f"g{e.loc[first, 'grade']}"] += extra
    xlsx("huge_but_plausible_school.xlsx", huge)
    xlsx("year_at_the_lower_bound.xlsx", lambda f: f.__setitem__(
        "births", pd.DataFrame({"unit_id": ["U1"], "year": [1980], "births": [0]})),
         {"学年": 2026})
    xlsx("blank_optional_cells.xlsx", lambda f: (
        f["schools"].__setitem__("approved_places_primary", [None, 200, None, None]),
        f["schools"].__setitem__("shrink_only", [None, None, None, None])))
    # a repairable self-intersecting unit (a bow-tie): valid after make_valid, with a warning
    g = {k: v.copy() for k, v in layers.items()}
    x0, y0, x1, y1 = g["units"].loc[3, "geometry"].bounds
    g["units"].loc[3, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    write_gpkg(g, GOOD / "repairable_bowtie.gpkg")
    # a scenarios table with every column and a user's extra one, and a cache table
    g = {k: v.copy() for k, v in layers.items()}
    g["scenarios"] = pd.DataFrame({"name": ["a"], "base": ["baseline"], "created": [""],
                                   "author": ["=admin"], "note": ["{{ 7*7 }}"],
                                   "edits": ["[]"], "revision": ["3"]})
    write_gpkg(g, GOOD / "scenarios_with_extra_column.gpkg")


if __name__ == "__main__":
    main()
