"""User-interface strings in Chinese (default) and English.

Code, comments and column names are English; what a planner reads on screen is Chinese unless
they switch to English. Look strings up with :func:`t`; a missing key is a bug and raises.
"""

from __future__ import annotations

LANGS = ("zh", "en")

_STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("义务教育学校布局规划", "School layout planner"),
    "language": ("语言", "Language"),
    "page_map": ("地图", "Map"),
    "synthetic_banner": ("示范数据为合成数据，并非真实县域。",
                         "The demo data is synthetic, not a real county."),
    "section": ("学段", "Section"),
    "primary": ("小学", "Primary"),
    "junior": ("初中", "Junior"),
    "basemap": ("底图", "Basemap"),
    "basemap_none": ("无底图（离线）", "None (offline)"),
    "basemap_osm": ("OpenStreetMap", "OpenStreetMap"),
    "schools": ("学校", "Schools"),
    "units": ("居住单元", "Residential units"),
    "catchments": ("划片范围", "Catchments"),
    "students": ("在校生", "Students"),
    "kind": ("办学类型", "Kind"),
    "area_type": ("城乡分类", "Area type"),
    "summary": ("{schools} 所学校，{units} 个居住单元，在校生 {students} 人",
                "{schools} schools, {units} residential units, {students} students"),
    "load_failed": ("工作区无法打开：", "The workspace cannot be opened:"),
    "kind_primary": ("小学", "primary"),
    "kind_junior": ("初级中学", "junior"),
    "kind_nine_year": ("九年一贯制学校", "nine-year"),
    "kind_twelve_year": ("十二年一贯制学校", "twelve-year"),
    "kind_complete_middle": ("完全中学", "complete middle"),
    "kind_teaching_point": ("教学点", "teaching point"),
    "kind_special": ("特殊教育学校", "special education"),
    "area_urban": ("城区", "urban"),
    "area_town": ("镇区", "town"),
    "area_rural": ("乡村", "rural"),
    # reports
    "report_title": ("义务教育优质均衡发展评估报告", "High-quality balanced compulsory education: evaluation"),
    "verdict": ("评估结论", "Verdict"),
    "verdict_pass": ("全部指标达标", "every indicator met"),
    "verdict_fail": ("存在未达标指标", "some indicators not met"),
    "verdict_incomplete": ("无未达标项，但有指标缺少数据", "nothing fails, but some indicators lack data"),
    "status_pass": ("达标", "pass"),
    "status_fail": ("未达标", "fail"),
    "status_missing": ("缺数据", "missing"),
    "source_computed": ("计算", "computed"),
    "source_entered": ("填报", "entered"),
    "source_missing": ("缺失", "missing"),
    "sheet_checklist": ("检查清单", "Checklist"),
    "sheet_schools": ("学校指标", "School indicators"),
    "sheet_cv": ("差异系数", "Coefficients of variation"),
    "sheet_gaps": ("短板", "Gaps"),
    "sheet_caps": ("规模与班额", "Size and class caps"),
    "sheet_drivers": ("拉大差异的学校", "Schools driving the CVs"),
    "sheet_notes": ("说明", "Notes"),
    "map_legend_pass": ("各学段均达标", "every section passes"),
    "map_legend_fail": ("有学段未达标或超规模、超班额", "a section fails, or over a cap"),
    "map_legend_out": ("不参评（特教学校、50人以下教学点）", "not evaluated (special, small teaching point)"),
    "summary_counts": ("{passed} 项达标，{failed} 项未达标，{missing} 项缺数据；{failing} / {sections} 个学校学段资源配置未达标",
                       "{passed} pass, {failed} fail, {missing} missing; {failing} of {sections} school sections fail the resource rule"),
    "combined_cv": ("综合差异系数", "combined CV"),
    "unit_teachers": ("名教师", "teachers"),
    "unit_m2": ("平方米", "m²"),
    "unit_yuan": ("元", "yuan"),
    "unit_rooms": ("间", "rooms"),
    "target_85%": ("达到标准的85%", "to 85 % of the threshold"),
    "target_threshold": ("达到标准", "to the threshold"),
    "rule_size": ("学校规模", "school size"),
    "rule_class_primary": ("小学班额", "primary class size"),
    "rule_class_junior": ("初中班额", "junior class size"),
    "direction_above": ("高于县均值", "above the county mean"),
    "direction_below": ("低于县均值", "below the county mean"),
    "basis_whole_school": ("全校", "whole school"),
    "basis_section_columns": ("分学段填报", "per-section columns"),
    "basis_student_weights": ("按学生数折算", "split by student weights"),
    "sheet_zoning": ("就近入学", "Zoned enrolment"),
    "sheet_out_of_zone": ("片区外就读", "Out of zone"),
    "sheet_layout": ("布局", "Layout"),
    "sheet_unit_distances": ("单元到校距离", "Unit distances"),
    "all": ("合计", "all"),
    "overlaps": ("片区重叠处", "overlaps"),
    "gaps": ("片区空白处", "gaps"),
    "units_not_in_one_catchment": ("不在唯一片区的单元", "units not in one catchment"),
    "share_beyond_radius_primary": ("小学超服务半径比例", "primary beyond radius"),
    "share_beyond_radius_junior": ("初中超服务半径比例", "junior beyond radius"),
    "kind_overlap": ("片区重叠", "overlap"),
    "kind_gap": ("片区空白", "gap"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}

# Column headers of reports and tables, by the canonical column name.
_COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("编号", "id"),
    "name": ("名称", "name"),
    "threshold": ("标准", "threshold"),
    "value": ("数值", "value"),
    "status": ("状态", "status"),
    "source": ("来源", "source"),
    "evidence": ("佐证与说明", "evidence"),
    "school_id": ("学校标识码", "school_id"),
    "school": ("学校名称", "school"),
    "kind": ("办学类型", "kind"),
    "area_type": ("城乡分类", "area type"),
    "section": ("学段", "section"),
    "students": ("在校生数", "students"),
    "met": ("达标项数", "indicators met"),
    "compliant": ("是否达标", "compliant"),
    "missed": ("未达标项", "missed"),
    "teacher_basis": ("教师数口径", "teacher counts"),
    "mean": ("县均值", "county mean"),
    "cv": ("差异系数", "CV"),
    "limit": ("限值", "limit"),
    "ok": ("是否达标", "within limit"),
    "target": ("目标", "target"),
    "add": ("需增加", "add"),
    "unit": ("单位", "unit"),
    "add_to_meet_all": ("全部达标需增加", "add to meet in full"),
    "rule": ("规则", "rule"),
    "cap": ("上限", "cap"),
    "excess": ("超出", "excess"),
    "share_of_variance": ("占方差比例", "share of variance"),
    "direction": ("方向", "direction"),
    "note": ("说明", "note"),
    "zoned": ("片区内学生", "zoned"),
    "ratio": ("比例", "ratio"),
    "minimum": ("标准", "minimum"),
    "unit_id": ("单元编码", "unit_id"),
    "unit_name": ("居住单元", "unit"),
    "zoned_school": ("划片学校", "zoned school"),
    "in_scope": ("纳入G13统计", "counted for G13"),
    "school_ids": ("涉及学校", "schools"),
    "area_m2": ("面积(㎡)", "area m²"),
    "beyond": ("超出服务半径", "beyond radius"),
    "share_beyond": ("超出比例", "share beyond"),
    "radius_m": ("服务半径(米)", "radius m"),
    "units_not_nearest": ("非最近学校的单元数", "units not at nearest"),
    "students_not_nearest": ("涉及学生", "children there"),
    "zoned_school_id": ("划片学校标识码", "zoned school_id"),
    "zoned_distance_m": ("到划片学校(米)", "to zoned school m"),
    "nearest_school_id": ("最近学校标识码", "nearest school_id"),
    "nearest_distance_m": ("到最近学校(米)", "to nearest school m"),
    "children": ("适龄儿童", "children"),
    "saved_m": ("可缩短(米)", "saving m"),
    "catchments": ("所在片区数", "catchments"),
    "R1": ("R1 高于规定学历教师/百生", "R1 above-degree teachers /100"),
    "R2": ("R2 骨干教师/百生", "R2 backbone teachers /100"),
    "R3": ("R3 体育艺术教师/百生", "R3 PE and art teachers /100"),
    "R4": ("R4 生均教学及辅助用房(㎡)", "R4 teaching area m²/student"),
    "R5": ("R5 生均体育运动场馆(㎡)", "R5 sports area m²/student"),
    "R6": ("R6 生均教学仪器设备值(元)", "R6 equipment yuan/student"),
    "R7": ("R7 网络多媒体教室/百生", "R7 multimedia rooms /100"),
}


def column(key: str, lang: str = "zh") -> str:
    """Return the header of a report column in `lang`; a missing key is a bug and raises."""
    zh, en = _COLUMNS[key]
    return zh if lang == "zh" else en


def has(key: str) -> bool:
    """Return whether `key` has a translation."""
    return key in _STRINGS


def t(key: str, lang: str = "zh", **values: object) -> str:
    """Return the string for `key` in `lang`, formatted with `values`."""
    if lang not in LANGS:
        msg = f"unknown language {lang!r}; expected one of {LANGS}"
        raise ValueError(msg)
    zh, en = _STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text
