"""The tables and lines every proposal output shares: the workbook, the Word file, the report.

Made once here so that the workbook and the Word proposal never disagree.
"""

from __future__ import annotations

import pandas as pd

from planner.i18n import t
from planner.proposal import Proposal
from planner.report import tables


def proposal_frames(p: Proposal, lang: str) -> dict[str, pd.DataFrame]:
    """The proposal's tables by title: checklist, schools, units, pupils moved, caps, roadmap."""
    zh = lang == "zh"
    d = p.diff
    check = pd.DataFrame({
        "编号" if zh else "id": d.checklist["id"],
        "指标" if zh else "indicator": d.checklist["name_zh" if zh else "name_en"],
        "调整前" if zh else "before": [t(f"status_{s}", lang) for s in d.checklist["status_a"]],
        "调整后" if zh else "after": [t(f"status_{s}", lang) for s in d.checklist["status_b"]],
        "数值（前）" if zh else "value before": [
            tables.value_text(v, lang, percent=i in tables.PERCENT_ROWS)
            for i, v in zip(d.checklist["id"], d.checklist["value_a"], strict=True)],
        "数值（后）" if zh else "value after": [
            tables.value_text(v, lang, percent=i in tables.PERCENT_ROWS)
            for i, v in zip(d.checklist["id"], d.checklist["value_b"], strict=True)],
    })
    s = d.schools
    schools = pd.DataFrame({
        "学校标识码" if zh else "school_id": s["school_id"],
        "学校名称" if zh else "school": s["name"],
        "学段" if zh else "section": [t(x, lang) for x in s["section"]],
        "在校生（前）" if zh else "students before": s["students_a"],
        "在校生（后）" if zh else "students after": s["students_b"],
        "资源达标（前）" if zh else "compliant before": _passes(s["compliant_a"], lang),
        "资源达标（后）" if zh else "compliant after": _passes(s["compliant_b"], lang),
    })
    units = d.units.rename(columns={"unit_id": "单元编码" if zh else "unit_id",
                                    "name": "居住单元" if zh else "unit",
                                    "school_a": "原划片学校" if zh else "school before",
                                    "school_b": "新划片学校" if zh else "school after"})
    road, by_year = tables.roadmap_tables(p.roadmap, lang)
    return {("检查清单对比" if zh else "Checklist"): check,
            ("学校前后对比" if zh else "Schools"): schools,
            ("调整单元" if zh else "Units re-zoned"): units,
            ("学生流动" if zh else "Students moved"): d.moved,
            ("超规模与超标班额变化" if zh else "Caps"): d.caps,
            t("sheet_exclusions", lang): tables.exclusions_table(p.after, lang),
            ("补齐短板路线图" if zh else "Roadmap for the remaining gaps"): road,
            ("路线图年度投入" if zh else "Roadmap by year"): by_year}


def _passes(flags: pd.Series, lang: str) -> list[str]:
    """A school section's verdict in words (a section not taught: blank)."""
    return ["" if f is None or f != f else t("status_pass" if bool(f) else "status_fail", lang)
            for f in flags]


def profile_line(p: Proposal, lang: str) -> str:
    """The line every proposal output carries: the standards profile and the school year."""
    from planner.i18n import has

    year = p.plan.year if p.plan.year is not None else "—"
    name = p.after.standards.name
    shown = t(f"profile_name_{name}", lang) if has(f"profile_name_{name}") else name
    return t("doc_profile", lang, profile=shown, year=year)
