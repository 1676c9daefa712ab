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
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from planner.schema import LONLAT_COLUMNS, columns_of

HERE = Path(__file__).resolve().parent
OUT = HERE / "bad"
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


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    layers = small_county()
    write_gpkg(layers, HERE / "small_county.gpkg")
    frames = table_frames(layers)
    write_xlsx(frames, HERE / "small_county.xlsx")

    def xlsx(name: str, edit, settings: dict | None = None) -> None:
        f = {k: v.copy() for k, v in frames.items()}
        edit(f)
        write_xlsx(f, OUT / name, settings)

    def gpkg(name: str, edit) -> None:
        g = {k: v.copy() for k, v in layers.items()}
        edit(g)
        write_gpkg(g, OUT / name)

    def setv(frame: str, row: int, col: str, value):
        def edit(f):
            if col not in f[frame].columns:
                f[frame][col] = None
            f[frame][col] = f[frame][col].astype(object)
            f[frame].loc[row, col] = value
        return edit

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

    # --- SPEC §5.2 tables, capacity and meta ---------------------------------------------
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

    # a repairable self-intersecting unit (a bow-tie): valid after make_valid, with a warning
    def bowtie(g):
        x0, y0, x1, y1 = g["units"].loc[3, "geometry"].bounds
        g["units"].loc[3, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    gpkg("repairable_bowtie.gpkg", bowtie)


if __name__ == "__main__":
    main()
