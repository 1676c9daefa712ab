"""A projection year by year as files: CSV (children), workbook and JSON (every table)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from planner.io.gpkg import atomic_write
from planner.io.tables import write_csv
from planner.report.excel import _sheet

RULES_ZH = {"over_size_cap": "超规模", "class_over_cap": "超大班额", "over_places": "超核定学位",
            "under_100": "不足100人", "under_teaching_point_floor": "教学点低于参评人数",
            "very_small": "规模过小（可考虑撤并）"}
SECTION_ZH = {"primary": "小学", "junior": "初中"}


def year_tables(years, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The projection's tables with headers in the reader's language.

    County totals by section and year (with the low–high band), pupils and classes by school
    and year, the crossings, and the rates used.
    """
    zh = lang == "zh"
    c = years.county
    county = pd.DataFrame({
        "年份" if zh else "year": c["year"],
        "学段" if zh else "section": c["section"].map(SECTION_ZH) if zh else c["section"],
        "适龄儿童" if zh else "children": c["children"],
        "低方案" if zh else "children low": c["low"],
        "高方案" if zh else "children high": c["high"],
        "在校生" if zh else "pupils": c["pupils"],
        "在校生（低）" if zh else "pupils low": c["pupils_low"],
        "在校生（高）" if zh else "pupils high": c["pupils_high"],
    })
    s = years.schools
    schools = s.rename(columns={} if not zh else {
        "year": "年份", "school_id": "学校标识码", "name": "学校名称", "kind": "办学类型",
        "section": "学段", "pupils": "在校生", "classes_needed": "按标准班额需班数",
        "classes": "班数", "largest_class": "最大班额", "places": "学位",
        "binding": "学位受限于", "size": "学校规模", "size_cap": "规模上限",
        "pupils_low": "在校生（低）", "pupils_high": "在校生（高）"})
    x = years.crossings
    crossings = pd.DataFrame({
        "学校标识码" if zh else "school_id": x["school_id"],
        "学校名称" if zh else "school": x["name"],
        "学段" if zh else "section": x["section"].map(SECTION_ZH) if zh else x["section"],
        "情形" if zh else "rule": x["rule"].map(RULES_ZH) if zh else x["rule"],
        "年份" if zh else "years": x["years"],
        "消除年份" if zh else "no longer from": x["ends"].astype(object).where(
            x["ends"].notna(), None),
    })
    r = years.projection.rates
    rates = pd.DataFrame({
        "参数" if zh else "rate": [f"progression_g{g}" for g in range(2, 10)]
        + [f"migration_{a}" for a in r.migration],
        "数值" if zh else "value": list(r.progression[1:]) + list(r.migration.values()),
    })
    return {("县域合计" if zh else "County"): county,
            ("学校逐年" if zh else "Schools by year"): schools,
            ("越线年份" if zh else "Crossings"): crossings,
            ("参数" if zh else "Rates"): rates}


def write_years(years, path: str | Path, *, lang: str = "zh") -> Path:
    """Write a projection: .csv (children by year, unit and grade), .xlsx or .json (all)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(path, years.projection.long())
    if suffix == ".json":
        data = {"scenario": years.scenario, "notes": list(years.notes),
                "county": years.county.to_dict("records"),
                "schools": years.schools.to_dict("records"),
                "crossings": years.crossings.astype(object).where(
                    years.crossings.notna(), None).to_dict("records"),
                "rates": _rates(years.projection.rates),
                "children": years.projection.long().to_dict("records")}
        text = json.dumps(data, ensure_ascii=False, default=_plain, allow_nan=False)
        return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in year_tables(years, lang).items():
        _sheet(wb, title, frame)
    notes = pd.DataFrame({("说明" if lang == "zh" else "note"): list(years.notes) or ["—"]})
    _sheet(wb, "说明" if lang == "zh" else "Notes", notes, {1: 120})
    return atomic_write(path, wb.save)


def _rates(rates) -> dict:
    """The rates a projection used, for JSON (entry ratios are per unit: only their source)."""
    return {"progression": [float(v) for v in rates.progression],
            "migration": {k: float(v) for k, v in rates.migration.items()},
            "sources": dict(rates.sources)}


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else str(value)
