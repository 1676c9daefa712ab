"""The data contract (SPEC §5): layers, canonical columns, types and Chinese aliases.

Everything that reads, writes, validates or explains a workspace takes its columns from here:
the importer maps headers through the aliases, the validator checks the types and ranges, the
template writes the Chinese headers and the explanation sheet, and the data-format page
(docs/reference/data-format.md, scripts/doc_columns.py) lists it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The last school year projected and planned for unless a command says otherwise.
PROJECTION_END = 2035

SCHEMA_VERSION = "2"
SCHEMA_VERSIONS = ("1", "2")  # versions this planner reads

# Years a workspace may talk about: births, school years, history, housing (kind "year").
YEAR_MIN, YEAR_MAX = 1980, 2100
REGIONS = ("china", "any")

# Plausible upper bounds, the one place they live: a value above one is refused wherever a cell
# is parsed (import, GeoPackage, scenario edits), as a typo or a unit error, never accepted.
# They are generous: the largest Chinese compulsory schools have about 10 000 pupils, 200
# classes and 600 teachers; a county has a few hundred thousand children.
UPPER_BOUNDS: dict[str, float] = {
    "students": 20_000,  # pupils of one section of one school, or one enrolment row
    "classes": 400,  # classes of one section
    "max_class_size": 150,  # the largest class (超大班额, 66 and more, is already extreme)
    "classrooms": 600,
    "teachers": 2_000,  # every teacher count
    "teaching_aux_area_m2": 500_000.0,
    "sports_area_m2": 1_000_000.0,
    "equipment_value_yuan": 1.0e9,  # 10 亿元
    "rooms": 600,  # multimedia, music and art rooms
    "room_area_m2": 2_000.0,  # one music or art room
    "children": 20_000,  # resident children of one grade in one unit
    "births": 50_000,  # births of one unit in one year
    "dwellings": 200_000,  # dwellings of one housing development
    "children_per100": 300.0,  # children of one grade per 100 dwellings
    "county_value": 1.0e9,  # a county-table value (shares, yuan per pupil, counts)
    "computers": 20_000,
    "books": 5_000_000,
}


def _upper(name: str) -> float | None:
    """Return the plausible upper bound of a canonical column (None: no bound)."""
    for prefix, key in (("students", "students"), ("classes_", "classes"),
                        ("max_class_size", "max_class_size"), ("teachers_", "teachers"),
                        ("approved_places", "students"), ("approved_classes", "classes"),
                        ("children_per100", "children_per100")):
        if name.startswith(prefix):
            return UPPER_BOUNDS[key]
    if name in ("multimedia_rooms", "music_rooms", "art_rooms"):
        return UPPER_BOUNDS["rooms"]
    if name in ("music_room_min_area_m2", "art_room_min_area_m2"):
        return UPPER_BOUNDS["room_area_m2"]
    if re.fullmatch(r"g[1-9]", name):
        return UPPER_BOUNDS["children"]
    if name in ("value", "count"):
        return UPPER_BOUNDS["county_value"]
    return UPPER_BOUNDS.get(name)

KINDS = (
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_middle",
    "teaching_point",
    "special",
)
AREA_TYPES = ("urban", "town", "rural")
SECTIONS = ("primary", "junior")

# Chinese values accepted for the enumerations (and a few common spellings).
KIND_ALIASES = {
    "小学": "primary",
    "初级中学": "junior",
    "初中": "junior",
    "九年一贯制学校": "nine_year",
    "九年一贯制": "nine_year",
    "十二年一贯制学校": "twelve_year",
    "十二年一贯制": "twelve_year",
    "完全中学": "complete_middle",
    "教学点": "teaching_point",
    "小学教学点": "teaching_point",
    "特殊教育学校": "special",
    "特教学校": "special",
}
AREA_ALIASES = {
    "城区": "urban",
    "镇区": "town",
    "乡村": "rural",
    "农村": "rural",
}
SECTION_ALIASES = {"小学": "primary", "初中": "junior"}
TRUE_WORDS = {"true", "1", "yes", "y", "是", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "f"}

# Which sections each kind teaches (compulsory part only).
KIND_SECTIONS = {
    "primary": ("primary",),
    "junior": ("junior",),
    "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior"),
    "complete_middle": ("junior",),
    "teaching_point": ("primary",),
    "special": ("primary", "junior"),
}
KIND_HAS_SENIOR = {"twelve_year", "complete_middle"}

GRADES = tuple(range(1, 10))


@dataclass(frozen=True)
class Column:
    """One canonical column of a layer.

    Attributes
    ----------
    name
        The canonical English name.
    kind
        "text", "int" (whole number ≥ 0), "float" (number ≥ 0), "bool", "kind", "area_type",
        "section", "grade" or "year" (YEAR_MIN–YEAR_MAX).
    required
        Whether a layer without it is unusable.
    default
        The value a missing optional column takes, or None to leave it out.
    zh
        The Chinese header written in the template (first alias).
    aliases
        Other accepted headers, Chinese statistical headers first.
    en
        One line saying what the column holds, in English.
    zh_doc
        The same in Chinese, for the template's explanation sheet.
    nullable
        Whether an empty cell is allowed (text columns such as `central_school_id`).
    scale
        Factors by alias: a header in 万元 is multiplied by 10000 on import.
    upper
        The plausible upper bound of a number (see UPPER_BOUNDS), or None.
    """

    name: str
    kind: str
    required: bool
    zh: str
    en: str
    zh_doc: str
    aliases: tuple[str, ...] = ()
    default: object = None
    nullable: bool = False
    scale: tuple[tuple[str, float], ...] = ()
    upper: float | None = None


def _c(name, kind, required, zh, en, zh_doc, *aliases, default=None, nullable=False, scale=()):
    return Column(name, kind, required, zh, en, zh_doc, aliases, default, nullable, scale,
                  _upper(name) if kind in ("int", "float") else None)


SCHOOL_COLUMNS: tuple[Column, ...] = (
    _c("school_id", "text", True, "学校标识码", "Unique school code (the 10-digit national code).",
       "学校唯一编码（全国学校标识码）", "学校代码", "学校编码", "id"),
    _c("name", "text", True, "学校名称", "School name.", "学校全称", "名称", "校名"),
    _c("kind", "kind", True, "办学类型",
       "primary, junior, nine_year, twelve_year, complete_middle, teaching_point, special.",
       "小学／初级中学／九年一贯制学校／十二年一贯制学校／完全中学／教学点／特殊教育学校",
       "学校类型", "类型"),
    _c("area_type", "area_type", True, "城乡分类", "urban (城区), town (镇区) or rural (乡村).",
       "城区／镇区／乡村", "城乡类型", "所在地区类型"),
    _c("public", "bool", True, "是否公办", "Public school (true/false).", "是／否",
       "公办"),
    _c("boarding", "bool", True, "是否寄宿制", "Boarding school (true/false).", "是／否",
       "寄宿制", "寄宿"),
    _c("central_school_id", "text", False, "所属中心校标识码",
       "For a teaching point: the school_id of its central school.",
       "教学点所属中心校的学校标识码", "中心校标识码", nullable=True),
    _c("address", "text", False, "地址", "Optional: the school's address, as the notice prints it.",
       "可选：学校地址（招生公告中列出）", "学校地址", "校址", nullable=True),
    _c("phone", "text", False, "联系电话",
       "Optional: the enquiry phone of the school, as the notice prints it.",
       "可选：招生咨询电话（招生公告中列出）", "咨询电话", "电话", nullable=True),
    _c("students_primary", "int", True, "小学在校生数", "Primary students (grades 1–6).",
       "小学阶段在校学生数", "小学学生数", "小学生数"),
    _c("students_junior", "int", True, "初中在校生数", "Junior students (grades 7–9).",
       "初中阶段在校学生数", "初中学生数", "初中生数"),
    _c("students_senior", "int", False, "高中在校生数",
       "Senior-secondary students (twelve-year and complete middle schools).",
       "高中阶段在校学生数（十二年一贯制、完全中学）", "高中学生数", default=0),
    _c("classes_primary", "int", True, "小学班数", "Primary classes.", "小学教学班数",
       "小学班级数"),
    _c("classes_junior", "int", True, "初中班数", "Junior classes.", "初中教学班数",
       "初中班级数"),
    _c("max_class_size_primary", "int", True, "小学最大班额", "Largest primary class.",
       "小学最大班级学生数", "小学最大班级人数"),
    _c("max_class_size_junior", "int", True, "初中最大班额", "Largest junior class.",
       "初中最大班级学生数", "初中最大班级人数"),
    _c("classrooms", "int", True, "普通教室数", "Ordinary classrooms.", "普通教室间数",
       "教室数"),
    _c("teachers_total", "int", True, "专任教师数", "Full-time teachers.", "专任教师总数",
       "教师数"),
    _c("teachers_certified", "int", True, "持证教师数", "Teachers holding a teaching certificate.",
       "具备教师资格证的专任教师数", "具备教师资格的专任教师数"),
    _c("teachers_above_degree", "int", True, "高于规定学历教师数",
       "Teachers above the required degree (R1).", "学历高于规定学历的专任教师数"),
    _c("teachers_backbone", "int", True, "县级以上骨干教师数",
       "County-level-or-higher backbone teachers (R2).", "县级及以上骨干教师数", "骨干教师数"),
    _c("teachers_pe_art", "int", True, "体育艺术专任教师数",
       "Full-time PE, music and fine-art teachers (R3).", "体育、艺术（音乐、美术）专任教师数",
       "体育艺术教师数"),
    _c("teaching_aux_area_m2", "float", True, "教学及辅助用房面积",
       "Teaching and auxiliary floor area, m² (R4).", "教学及辅助用房建筑面积（平方米）",
       "教学及辅助用房面积(平方米)"),
    _c("sports_area_m2", "float", True, "体育运动场馆面积",
       "Sports ground and hall area, m² (R5).", "体育运动场（馆）面积（平方米）",
       "体育运动场(馆)面积", "体育运动场馆面积(平方米)"),
    _c("equipment_value_yuan", "float", True, "教学仪器设备值",
       "Teaching equipment value, yuan (R6).", "教学仪器设备资产值（元；表头写万元时自动换算）",
       "教学仪器设备值(元)", "教学仪器设备资产值", "教学仪器设备值(万元)",
       "教学仪器设备资产值(万元)",
       scale=(("教学仪器设备值(万元)", 10000.0), ("教学仪器设备资产值(万元)", 10000.0))),
    _c("multimedia_rooms", "int", True, "网络多媒体教室数",
       "Networked multimedia classrooms (R7).", "网络多媒体教室间数"),
    _c("music_rooms", "int", True, "音乐专用教室数", "Music rooms (G3).", "音乐专用教室间数",
       "音乐教室数"),
    _c("music_room_min_area_m2", "float", True, "音乐教室最小面积",
       "Floor area of the smallest music room, m² (0 if none).",
       "面积最小的一间音乐专用教室面积（平方米），无则填0"),
    _c("art_rooms", "int", True, "美术专用教室数", "Art rooms (G3).", "美术专用教室间数",
       "美术教室数"),
    _c("art_room_min_area_m2", "float", True, "美术教室最小面积",
       "Floor area of the smallest art room, m² (0 if none).",
       "面积最小的一间美术专用教室面积（平方米），无则填0"),
    _c("computers", "int", False, "计算机台数",
       "Computers for teaching (basic-balance monitoring; optional).",
       "教学用计算机台数（基本均衡监测指标，可选）", "教学用计算机台数"),
    _c("books", "int", False, "图书册数", "Library books (basic-balance monitoring; optional).",
       "图书册数（基本均衡监测指标，可选）", "图书藏量"),
    _c("teachers_intermediate_title", "int", False, "中级及以上职称教师数",
       "Teachers with an intermediate or higher title (basic-balance monitoring; optional).",
       "具有中级及以上专业技术职务的专任教师数（基本均衡监测指标，可选）",
       "中级及以上专业技术职务教师数"),
)

# Teacher columns that may also come per section as `<name>_primary` / `<name>_junior`.
TEACHER_COLUMNS = (
    "teachers_total",
    "teachers_certified",
    "teachers_above_degree",
    "teachers_backbone",
    "teachers_pe_art",
)


def _section_pairs() -> tuple[Column, ...]:
    out = []
    by_name = {c.name: c for c in SCHOOL_COLUMNS}
    for base in TEACHER_COLUMNS:
        col = by_name[base]
        for sec, zh_sec in (("primary", "小学"), ("junior", "初中")):
            out.append(
                Column(
                    f"{base}_{sec}",
                    "int",
                    False,
                    f"{zh_sec}{col.zh}",
                    f"{col.en.rstrip('.')} teaching the {sec} section.",
                    f"其中{zh_sec}部：{col.zh_doc}",
                    upper=col.upper,
                )
            )
    return tuple(out)


SCHOOL_SECTION_COLUMNS = _section_pairs()

# Capacity (SPEC §5.2, §7): optional; a school without approved places is limited by its
# classrooms and teachers only. `shrink_only` left empty is true for teaching points.
SCHOOL_CAPACITY_COLUMNS: tuple[Column, ...] = (
    _c("approved_places_primary", "int", False, "小学核定学位数",
       "Approved primary places (核定学位); empty if not set.", "小学部核定学位数（无则留空）",
       "小学核定学位", "核定学位数(小学)", nullable=True),
    _c("approved_places_junior", "int", False, "初中核定学位数",
       "Approved junior places (核定学位); empty if not set.", "初中部核定学位数（无则留空）",
       "初中核定学位", "核定学位数(初中)", nullable=True),
    _c("shrink_only", "bool", False, "只减不扩",
       "The school may lose pupils but not gain them (default: true for teaching points).",
       "是／否：只可减少学生、不再扩大（留空时教学点为是，其他学校为否）", "不再扩大",
       "只撤并不扩建", nullable=True),
)
# Accepted on import instead of approved places: places = approved classes × the profile's
# class-size cap of the section (45 primary, 50 junior nationally).
APPROVED_CLASS_COLUMNS: tuple[Column, ...] = (
    _c("approved_classes_primary", "int", False, "小学核定班数",
       "Approved primary classes; converted to places × the class-size cap.",
       "小学部核定班数（导入时按班额上限换算为学位）", "核定班数(小学)", nullable=True),
    _c("approved_classes_junior", "int", False, "初中核定班数",
       "Approved junior classes; converted to places × the class-size cap.",
       "初中部核定班数（导入时按班额上限换算为学位）", "核定班数(初中)", nullable=True),
)

LONLAT_COLUMNS: tuple[Column, ...] = (
    _c("lon", "float", True, "经度", "Longitude in the declared coordinate system.",
       "经度（坐标系见“设置”表）", "longitude", "x"),
    _c("lat", "float", True, "纬度", "Latitude in the declared coordinate system.",
       "纬度（坐标系见“设置”表）", "latitude", "y"),
)

UNIT_COLUMNS: tuple[Column, ...] = (
    _c("unit_id", "text", True, "单元编码", "Unique residential-unit code.",
       "居住单元（村、社区）唯一编码", "村社区编码", "编码"),
    _c("name", "text", True, "单元名称", "Village or community name.", "村（社区）名称",
       "村社区名称", "名称"),
    _c("area_type", "area_type", True, "城乡分类", "urban, town or rural.", "城区／镇区／乡村",
       "城乡类型"),
    _c("township", "text", False, "乡镇", "The township (乡镇/街道) the unit belongs to; unit "
       "names in 划片 lists are matched within it.",
       "所属乡镇（街道）名称，用于匹配划片名单中的村名", "所属乡镇", "乡镇(街道)", "乡镇街道",
       "街道", nullable=True),
    *(
        _c(f"g{g}", "int", True, f"{zh}年级适龄儿童数", f"Resident children of grade {g}.",
           f"居住在本单元的{zh}年级学生数", f"{zh}年级", f"{g}年级")
        for g, zh in zip(GRADES, "一二三四五六七八九", strict=True)
    ),
)

CATCHMENT_COLUMNS: tuple[Column, ...] = (
    _c("school_id", "text", True, "学校标识码", "The school this catchment belongs to.",
       "划片学校的标识码"),
    _c("section", "section", True, "学段", "primary or junior.", "小学／初中"),
)

ENROLMENT_COLUMNS: tuple[Column, ...] = (
    _c("unit_id", "text", True, "单元编码", "Where the children live.", "学生居住的单元编码",
       "居住单元编码"),
    _c("school_id", "text", True, "学校标识码", "Where they attend.", "就读学校标识码",
       "就读学校标识码"),
    _c("grade", "grade", True, "年级", "Grade 1–9.", "年级（1–9）"),
    _c("students", "int", True, "学生数", "Number of students.", "学生人数", "人数"),
)

BIRTHS_COLUMNS: tuple[Column, ...] = (
    _c("unit_id", "text", True, "单元编码", "The unit the children were born to.",
       "出生人口户籍或居住所在单元编码", "村社区编码", "居住单元编码"),
    _c("year", "year", True, "年份", "Calendar year of birth.", "出生年份（公历）", "出生年份"),
    _c("births", "int", True, "出生人数", "Births in that year.", "当年出生人数", "出生人口数"),
)

ENROLMENT_HISTORY_COLUMNS: tuple[Column, ...] = (
    _c("year", "year", True, "学年", "The school year (its autumn's calendar year).",
       "学年（秋季学期所在年份，如 2024 表示 2024—2025 学年）", "年份"),
    *ENROLMENT_COLUMNS,
)

DEVELOPMENT_COLUMNS: tuple[Column, ...] = (
    _c("unit_id", "text", False, "单元编码",
       "The unit the development lies in (or give its polygon).",
       "住宅项目所在单元编码（或给出边界）", "村社区编码", nullable=True),
    _c("name", "text", False, "项目名称", "The development's name.", "住宅项目名称", "小区名称",
       "名称", nullable=True),
    _c("first_year", "year", True, "首次入住年份", "The year its first residents move in.",
       "首批住户入住年份", "入住年份", "首年"),
    _c("dwellings", "int", True, "住宅套数", "Dwellings it brings.", "新增住宅套数", "套数",
       "户数"),
    *(
        _c(f"children_per100_g{g}", "float", False, f"每百户{zh}年级学生数",
           f"Children of grade {g} per 100 dwellings (empty: the profile's default).",
           f"每百套住宅的{zh}年级学生数（留空用评估标准的默认值）", nullable=True)
        for g, zh in zip(GRADES, "一二三四五六七八九", strict=True)
    ),
)

# The 划片 sheet (import only): catchments as published, one unit per row or many per cell.
ZONING_LIST_COLUMNS: tuple[Column, ...] = (
    _c("school_id", "text", False, "学校标识码", "The school (or give its name).",
       "划片学校的标识码（或填学校名称）", "学校代码", "学校编码", nullable=True),
    _c("school_name", "text", False, "学校名称", "The school's name, when its code is not given.",
       "划片学校的名称（未填标识码时按名称匹配）", "校名", nullable=True),
    _c("section", "section", True, "学段", "primary (小学) or junior (初中).", "小学／初中"),
    _c("units", "text", True, "划片范围",
       "Units served: names or codes, one per row or several separated by 、，,;；",
       "服务范围内的村（社区）名称或编码：每行一个，或一格多个用、，,;；分隔", "服务范围",
       "招生范围", "学区范围"),
    _c("township", "text", False, "乡镇",
       "Optional: the township the row's names are in (else the school's own, then the county).",
       "可选：本行村名所在乡镇（不填则先在学校所在乡镇、再在全县范围内匹配）", "所属乡镇",
       nullable=True),
)

# The matches made from 划片 lists, kept in the workspace (table `zoning_matches`).
ZONING_MATCH_COLUMNS: tuple[Column, ...] = (
    _c("row", "int", True, "行号", "The 划片 sheet's row.", "划片表中的行号"),
    _c("school_id", "text", True, "学校标识码", "The school.", "学校标识码"),
    _c("section", "section", True, "学段", "primary or junior.", "小学／初中"),
    _c("entry", "text", True, "划片名称", "The name or code as written.", "名单中写法"),
    _c("unit_id", "text", True, "单元编码", "The unit it was matched to.", "匹配到的单元编码"),
    _c("matched_by", "text", True, "匹配方式",
       "code, qualified_name (乡镇+村名), row_township, school_township or county.",
       "编码／乡镇+名称／本行乡镇内名称／学校所在乡镇内名称／全县唯一名称"),
)

COUNTY_COLUMNS: tuple[Column, ...] = (
    _c("indicator_id", "text", True, "指标编号", "Checklist id (G2, G6…G11, G14, G15, Q1…Q9, S1).",
       "指标编号，如 G8、Q1、S1", "编号"),
    _c("item", "text", False, "细项",
       "Blank for the indicator's value; else a part of it: Q1 graduates / entrants / "
       "transfers_in / transfers_out; S1 students / parents / teachers / principals / deputies / "
       "others; G11 backbone_share; Q9 level.",
       "留空表示指标值；或填细项：Q1 毕业生数/入学数/转入/转出，"
       "S1 各类调查对象，G11 骨干教师占比，Q9 监测等级",
       "子项", nullable=True),
    _c("value", "float", False, "指标值",
       "The value (a share as 0–1, a count, or 1 = yes / 0 = no).",
       "指标数值（比例填 0–1 小数；是填1、否填0）", "数值", nullable=True),
    _c("count", "float", False, "样本数", "S1: how many of the group answered the survey.",
       "S1 调查对象人数", "人数", nullable=True),
    _c("evidence", "text", False, "佐证材料", "What shows it: document, survey, report.",
       "佐证材料名称或文号", "证明材料", nullable=True),
    _c("source", "text", False, "数据来源", "Who provided it.", "数据提供单位", "来源",
       nullable=True),
)

META_COLUMNS = ("key", "value")
SCENARIO_COLUMNS = ("name", "base", "created", "author", "note", "edits")

LAYER_COLUMNS: dict[str, tuple[Column, ...]] = {
    "schools": SCHOOL_COLUMNS + SCHOOL_SECTION_COLUMNS + SCHOOL_CAPACITY_COLUMNS,
    "units": UNIT_COLUMNS,
    "catchments": CATCHMENT_COLUMNS,
    "enrolment": ENROLMENT_COLUMNS,
    "county": COUNTY_COLUMNS,
    "births": BIRTHS_COLUMNS,
    "enrolment_history": ENROLMENT_HISTORY_COLUMNS,
    "developments": DEVELOPMENT_COLUMNS,
    "zoning_matches": ZONING_MATCH_COLUMNS,
}
# Sheets read on import that are not workspace layers.
IMPORT_COLUMNS: dict[str, tuple[Column, ...]] = {"zoning_lists": ZONING_LIST_COLUMNS}

# Sheet / CSV names accepted for each layer when importing tables.
LAYER_SHEETS = {
    "schools": ("schools", "学校", "学校基本情况"),
    "units": ("units", "居住单元", "村社区", "单元"),
    "enrolment": ("enrolment", "enrollment", "就读", "就读情况", "学生就读"),
    "county": ("county", "县级指标", "县级"),
    "births": ("births", "出生", "出生人口", "出生人数"),
    "enrolment_history": ("enrolment_history", "enrollment_history", "就读历史", "历年就读"),
    "developments": ("developments", "新建住宅", "住宅开发", "新建小区"),
    "zoning_lists": ("zoning_lists", "划片", "划片范围", "学区划分", "划片名单"),
    "settings": ("settings", "设置"),
}
LAYER_ZH = {
    "schools": "学校",
    "units": "居住单元",
    "enrolment": "就读",
    "county": "县级指标",
    "catchments": "划片范围",
    "births": "出生",
    "enrolment_history": "就读历史",
    "developments": "新建住宅",
    "zoning_lists": "划片",
    "zoning_matches": "划片匹配",
}


# The catchment notice's texts a bureau sets once (meta keys, planner/report/notice.py):
# key → (the setting's name in the workbook's 设置 sheet, the i18n key of its default)
NOTICE_SETTINGS = {
    "notice_issuer": ("公告发布单位", "notice_default_issuer"),
    "notice_date": ("公告发布日期", "notice_default_date"),
    "notice_conditions": ("入学条件", "notice_default_conditions"),
    "notice_dates": ("报名时间", "notice_default_dates"),
    "notice_enrolled": ("在校生条款", "notice_default_enrolled"),
    "notice_siblings": ("多孩同校条款", "notice_default_siblings"),
    "notice_special": ("特殊群体条款", "notice_default_special"),
    "notice_private": ("民办学校条款", "notice_default_private"),
    "notice_closed": ("撤并学校条款", "notice_default_closed"),
    "notice_hotline": ("咨询监督电话", "notice_default_hotline"),
}

def columns_of(layer: str) -> tuple[Column, ...]:
    """Return the canonical columns of a workspace layer or an import-only sheet."""
    return LAYER_COLUMNS[layer] if layer in LAYER_COLUMNS else IMPORT_COLUMNS[layer]

BIRTHS_RE = re.compile(r"^births_(\d{4})$")


def normalise_header(text: object) -> str:
    """Return a header in the form aliases are matched in.

    Full-width brackets become ASCII, whitespace and the trailing unit "（平方米）" style
    parentheses stay (they tell 元 from 万元) but spaces go, and ASCII letters are lower-cased.
    """
    s = str(text).strip()
    s = s.replace("（", "(").replace("）", ")").replace("　", "")
    s = re.sub(r"\s+", "", s)
    return s.lower()


def alias_map(columns: tuple[Column, ...]) -> dict[str, tuple[str, float]]:
    """Map every normalised header (canonical, Chinese, alias) to (canonical name, factor)."""
    out: dict[str, tuple[str, float]] = {}
    for col in columns:
        factors = dict(col.scale)
        for header in (col.name, col.zh, *col.aliases):
            out.setdefault(normalise_header(header), (col.name, factors.get(header, 1.0)))
    return out


def is_junior(grade, junior_from: int = 7):
    """Return whether grades (a number or an array) are junior: the one grade → section rule.

    Grades from `junior_from` on (7 in the 6 + 3 system; a profile setting) are junior, the
    grades before primary.
    """
    import numpy as np

    return np.asarray(grade) >= junior_from


def section_of_grade(grade: int, *, junior_from: int = 7) -> str:
    """Return the section of a grade: grades 1–6 primary, 7–9 junior (the split is a setting)."""
    return "junior" if bool(is_junior(grade, junior_from)) else "primary"


def section_grades(section: str, junior_from: int = 7) -> range:
    """Return the grades of a section (primary 1 … junior_from − 1, junior junior_from … 9)."""
    return range(1, junior_from) if section == "primary" else range(junior_from, 10)
