"""Write the filled example workbook and its boundary (geodata/example_county.*).

python scripts/make_example.py

A small fictional county (示例县) as a bureau would hold it: schools with coordinates, villages
and communities as points with their township, the published catchment lists (划片) by name,
births, the county table, and no enrolment sheet (children attend their zoned school). Made
from `make_demo` with a small CountyShape: the catchments are the demo's, written back as
lists of names; schools' pupils and classes are those of their catchments.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from planner.demo import CountyShape, make_demo
from planner.io.derive import enrolment_from_zoning, zoning_of_catchments
from planner.io.gpkg import atomic_write
from planner.io.tables import write_workbook
from planner.schema import (
    BIRTHS_COLUMNS,
    COUNTY_COLUMNS,
    LONLAT_COLUMNS,
    SCHOOL_CAPACITY_COLUMNS,
    SCHOOL_COLUMNS,
    SCHOOL_SECTION_COLUMNS,
    SECTIONS,
    UNIT_COLUMNS,
    ZONING_LIST_COLUMNS,
    section_grades,
)
from planner.validate import Source

ROOT = Path(__file__).resolve().parent.parent
WORKBOOK = ROOT / "geodata" / "example_county.xlsx"
BOUNDARY = ROOT / "geodata" / "example_boundary.geojson"
SHAPE = CountyShape(name="示例县", code="4198", seat_communities=16, towns=1, township_seats=3,
                    villages=30, radius_m=7_000.0)
SEED = 11
KIND_ZH = {"primary": "小学", "junior": "初级中学", "nine_year": "九年一贯制学校",
           "twelve_year": "十二年一贯制学校", "complete_middle": "完全中学",
           "teaching_point": "教学点", "special": "特殊教育学校"}
AREA_ZH = {"urban": "城区", "town": "镇区", "rural": "乡村"}
SECTION_ZH = {"primary": "小学", "junior": "初中"}
CAP = {"primary": 45, "junior": 50}


def _yes(flag: object) -> str:
    return "是" if bool(flag) else "否"


def example() -> tuple[dict, list, dict]:
    """Return the workbook's sheets, its settings and the boundary as GeoJSON."""
    ws = make_demo(seed=SEED, shape=SHAPE)
    schools = ws.schools[ws.schools["kind"] != "special"].reset_index(drop=True)
    ws = ws.replace(schools=schools,
                    catchments=ws.catchments[ws.catchments["school_id"].isin(
                        schools["school_id"])])
    zoning = zoning_of_catchments(ws)
    enrol, problems = enrolment_from_zoning(ws.units, zoning, Source("", "", 2))
    assert not problems, problems
    by = enrol.groupby(["school_id", "grade"])["students"].sum()
    units = ws.units.set_index("unit_id")

    school_rows = []
    for rec in schools.to_dict("records"):
        for sec in SECTIONS:
            grades = section_grades(sec)
            counts = [int(by.get((rec["school_id"], g), 0)) for g in grades]
            n = sum(counts)
            if rec["kind"] == "teaching_point":  # mixed-grade classes of up to 20
                classes = math.ceil(n / 20) if n else 0
                biggest = math.ceil(n / classes) if classes else 0
            else:
                per = [math.ceil(c / CAP[sec]) for c in counts]
                classes = sum(per)
                biggest = max((math.ceil(c / k) for c, k in zip(counts, per, strict=True)
                               if k), default=0)
            rec[f"students_{sec}"], rec[f"classes_{sec}"] = n, classes
            rec[f"max_class_size_{sec}"] = biggest
        rec["classrooms"] = max(rec["classrooms"], rec["classes_primary"] + rec["classes_junior"])
        pt = rec["geometry"]
        row = {**rec, "kind": KIND_ZH[rec["kind"]], "area_type": AREA_ZH[rec["area_type"]],
               "public": _yes(rec["public"]), "boarding": _yes(rec["boarding"]),
               "shrink_only": _yes(rec["shrink_only"]), "lon": round(pt.x, 6),
               "lat": round(pt.y, 6),
               "central_school_id": rec["central_school_id"]
               if isinstance(rec["central_school_id"], str)
               and rec["central_school_id"] not in ("", "None", "nan") else None}
        for sec in SECTIONS:
            value = rec[f"approved_places_{sec}"]
            row[f"approved_places_{sec}"] = None if pd.isna(value) else int(value)
        school_rows.append(row)

    pts = ws.units.geometry.representative_point()
    unit_rows = [{**rec, "area_type": AREA_ZH[rec["area_type"]], "lon": round(p.x, 6),
                  "lat": round(p.y, 6)}
                 for rec, p in zip(ws.units.drop(columns="geometry").to_dict("records"), pts,
                                   strict=True)]

    # the lists as a bureau publishes them: names; a name two villages share is written with
    # its township when the school lies in another one
    twins = units["name"].value_counts()
    twins = set(twins[twins > 1].index)
    town_of_school = {sid: units.at[uid, "township"] for sid, uid in _school_units(ws).items()}
    name_of = {s["school_id"]: s["name"] for s in school_rows}
    list_rows = []
    for sec in SECTIONS:
        members = zoning[sec].dropna()
        for k, (sid, group) in enumerate(members.groupby(members, sort=True)):
            names = []
            for uid in group.index:
                name, town = units.at[uid, "name"], units.at[uid, "township"]
                if name in twins and town != town_of_school[sid]:
                    name = f"{town}{name}"
                names.append(name)
            if sec == "primary" and k == 0:  # one school's list one unit per row
                list_rows += [{"school_id": sid, "school_name": name_of[sid],
                               "section": SECTION_ZH[sec], "units": n} for n in names]
            else:
                list_rows.append({"school_id": sid if k % 4 == 1 else None,
                                  "school_name": None if k % 4 == 1 else name_of[sid],
                                  "section": SECTION_ZH[sec], "units": "、".join(names)})

    county = [{k: (None if isinstance(v, float) and math.isnan(v) else v)
               for k, v in rec.items()} for rec in ws.county.to_dict("records")]
    sheets = {
        "学校": (SCHOOL_COLUMNS + SCHOOL_SECTION_COLUMNS + SCHOOL_CAPACITY_COLUMNS
                 + LONLAT_COLUMNS, school_rows),
        "村社区": (UNIT_COLUMNS + LONLAT_COLUMNS, unit_rows),
        "划片": (ZONING_LIST_COLUMNS, list_rows),
        "出生": (BIRTHS_COLUMNS, ws.births.to_dict("records")),
        "县级指标": (COUNTY_COLUMNS, county),
    }
    settings = [("坐标系", "WGS84", "经纬度的坐标系"), ("县名", "示例县（虚构）", "虚构的示例县"),
                ("学年", 2026, "在校生数据所属学年"), ("评估标准", "national_2017", "评估标准")]
    outline = ws.units.to_crs(ws.meta.crs).union_all()  # the units tile the county
    shape = gpd.GeoSeries([outline], crs=ws.meta.crs).to_crs("EPSG:4326")
    ring = shapely.set_precision(shape.iloc[0], 1e-6)
    boundary = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "示例县（虚构）县界"},
        "geometry": json.loads(shapely.to_geojson(ring))}]}
    return sheets, settings, boundary


def _school_units(ws) -> dict[str, str]:
    """The unit each school lies in."""
    hit = ws.schools[["school_id", "geometry"]].sjoin(ws.units[["unit_id", "geometry"]],
                                                     predicate="within")
    return dict(zip(hit["school_id"], hit["unit_id"], strict=True))


def main() -> None:
    sheets, settings, boundary = example()
    write_workbook(WORKBOOK, sheets, settings)
    text = json.dumps(boundary, ensure_ascii=False)
    atomic_write(BOUNDARY, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
    print(f"wrote {WORKBOOK.name} and {BOUNDARY.name}")


if __name__ == "__main__":
    main()
