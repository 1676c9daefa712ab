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
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    """Return the string for `key` in `lang`, formatted with `values`."""
    if lang not in LANGS:
        msg = f"unknown language {lang!r}; expected one of {LANGS}"
        raise ValueError(msg)
    zh, en = _STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text
