"""Export a scenario as a proposal: GeoPackage, workbook, report and the catchment notice.

All four files are written under hidden temporary names in the output folder and renamed to
their final names only once every one of them is complete, so an export stopped half way leaves
no partial file under a final name. Nothing in them depends on the clock except the
timestamps that GeoPackage and Excel themselves record, so exporting the same scenario twice
gives the same content.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio
from openpyxl import Workbook

from planner import travel
from planner.diff import Diff, diff
from planner.errors import InputError
from planner.evaluation import Evaluation, evaluate
from planner.i18n import t
from planner.report import tables
from planner.report.escape import html_text
from planner.report.excel import _sheet
from planner.report.figures import catchment_svg, county_svg
from planner.report.html import CSS, _table
from planner.roadmap import Roadmap, roadmap
from planner.scenario import (
    BASELINE,
    Plan,
    apply_edits,
    materialise,
    plan_from_workspace,
    scenario_edits,
)
from planner.schema import SECTIONS
from planner.standards import Standards
from planner.workspace import Workspace


@dataclass(frozen=True)
class Proposal:
    """A scenario next to its baseline, evaluated and compared."""

    name: str
    base_ws: Workspace
    ws: Workspace
    base_plan: Plan
    plan: Plan
    before: Evaluation
    after: Evaluation
    diff: Diff
    edits: list[dict]
    roadmap: Roadmap


def proposal(ws: Workspace, name: str, standards: Standards, *,
             distances: travel.Distances | None = None) -> Proposal:
    """Build, evaluate and compare a saved scenario against the baseline.

    `distances` are the workspace's unit × school distances when the caller has them.
    """
    dist = distances or travel.distances_for(ws)
    base = plan_from_workspace(ws, distances=dist)
    edits = scenario_edits(ws.scenarios, name)
    plan = apply_edits(base, edits, standards)
    after_ws = materialise(plan)
    before = evaluate(ws, standards, distances=dist)
    after = evaluate(after_ws, standards, distances=plan.distances, zoning=plan.zoning)
    return Proposal(name, ws, after_ws, base, plan, before, after,
                    diff(before, after, base, plan), edits,
                    roadmap(plan.ws.schools, standards))


def _safe(name: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return keep or "scenario"


def write_all(folder: Path, writers: dict[str, Callable[[Path], None]]) -> list[Path]:
    """Write several files into `folder`: all to hidden temporaries first, then rename."""
    temps: dict[str, Path] = {}
    try:
        for final, write in writers.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{final}.", suffix=".tmp" + Path(final).suffix,
                                       dir=folder)
            os.close(fd)
            Path(tmp).unlink()
            temps[final] = Path(tmp)
            write(Path(tmp))
        for final, tmp in temps.items():
            os.replace(tmp, folder / final)
    finally:
        for tmp in temps.values():
            if tmp.exists():
                tmp.unlink()
    return [folder / f for f in writers]


def export_scenario(ws: Workspace, name: str, out_dir: str | Path, standards: Standards, *,
                    lang: str = "zh", distances: travel.Distances | None = None) -> list[Path]:
    """Export a scenario: `<name>.gpkg`, `<name>.xlsx`, `<name>.html`, `<name>_notice.html`.

    `name` may be "baseline": today's layout, its report and today's catchment notice (files
    named 现状 / baseline).

    Returns
    -------
    The four paths written.
    """
    folder = Path(out_dir)
    if not folder.is_dir():
        raise InputError.single(str(folder), "the output folder does not exist; create it first")
    p = proposal(ws, name, standards, distances=distances)
    stem = _safe(t("baseline", lang) if name == BASELINE else name)
    writers = {
        f"{stem}.gpkg": lambda tmp: _write_gpkg(p, tmp),
        f"{stem}.xlsx": lambda tmp: _write_xlsx(p, tmp, lang),
        f"{stem}.html": lambda tmp: tmp.write_text(render_report(p, lang), encoding="utf-8"),
        f"{stem}_notice.html": lambda tmp: tmp.write_text(
            render_notice(p.ws, p.plan.zoning, lang=lang), encoding="utf-8"),
    }
    return write_all(folder, writers)


def _write_gpkg(p: Proposal, path: Path) -> None:
    layers = {k: v for k, v in p.ws.layers().items()
              if k in ("schools", "units", "catchments", "enrolment", "county", "meta")}
    changes = pd.DataFrame({"edit": range(1, len(p.edits) + 1),
                            "op": [e.get("op", "") for e in p.edits],
                            "json": [json.dumps(e, ensure_ascii=False, sort_keys=True)
                                     for e in p.edits]})
    moved = p.diff.moved.astype({"school_id": "str", "name": "str"})
    for name, frame in [*layers.items(), ("changes", changes), ("school_changes", moved),
                        ("unit_changes", p.diff.units.astype("str"))]:
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")


def _xlsx_frames(p: Proposal, lang: str) -> dict[str, pd.DataFrame]:
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
        "资源达标（前）" if zh else "compliant before": s["compliant_a"],
        "资源达标（后）" if zh else "compliant after": s["compliant_b"],
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
            ("超规模超班额变化" if zh else "Caps"): d.caps,
            ("补齐短板路线图" if zh else "Roadmap for the remaining gaps"): road,
            ("路线图年度投入" if zh else "Roadmap by year"): by_year}


def _write_xlsx(p: Proposal, path: Path, lang: str) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in _xlsx_frames(p, lang).items():
        _sheet(wb, title, frame, {2: 28})
    wb.save(path)


def render_report(p: Proposal, lang: str = "zh") -> str:
    """Return the proposal report: verdicts, before/after maps, and what changed.

    For the baseline: today's verdict and map, the checklist and the roadmap.
    """
    zh = lang == "zh"
    today = p.name == BASELINE
    frames = _xlsx_frames(p, lang)
    county = p.ws.meta.name or t("report_title", lang)
    title = (f"{t('baseline_title', lang)}：{county}" if zh else
             f"{t('baseline_title', lang)}: {county}") if today else (
        f"布局调整方案：{p.name}" if zh else f"Layout proposal: {p.name}")
    parts = [
        f"<!DOCTYPE html><html lang=\"{'zh-CN' if zh else 'en'}\"><head><meta charset=\"utf-8\">"
        f"<title>{html_text(title)}</title><style>{CSS} .maps {{ display: flex; gap: 6pt; }}"
        " .maps figure { flex: 1; margin: 0; }</style></head><body>",
        f"<h1>{html_text(title)}</h1>",
    ]
    if p.ws.meta.synthetic:
        parts.append(f"<div class=\"banner\">{html_text(t('synthetic_banner', lang))}</div>")
    if today:
        parts += [
            f"<p class=\"verdict\">{html_text(tables.verdict_text(p.before, lang))}</p>",
            f"<div class=\"figure\">{county_svg(p.before, p.base_ws, lang=lang, salt='today')}"
            "</div>",
        ]
        keep = {("检查清单对比" if zh else "Checklist"),
                ("补齐短板路线图" if zh else "Roadmap for the remaining gaps"),
                ("路线图年度投入" if zh else "Roadmap by year")}
        frames = {k: v for k, v in frames.items() if k in keep}
    else:
        before = county_svg(p.before, p.base_ws, lang=lang, salt="before")
        after = county_svg(p.after, p.ws, lang=lang, salt="after")
        parts += [
            f"<p class=\"verdict\">{'调整前' if zh else 'Before'}: "
            f"{html_text(tables.verdict_text(p.before, lang))}<br>{'调整后' if zh else 'After'}: "
            f"{html_text(tables.verdict_text(p.after, lang))}</p>",
            "<div class=\"maps\">"
            f"<figure class=\"figure\">{before}<figcaption>"
            f"{'调整前' if zh else 'Before'}</figcaption></figure>"
            f"<figure class=\"figure\">{after}<figcaption>"
            f"{'调整后' if zh else 'After'}</figcaption></figure></div>",
        ]
    for heading, frame in frames.items():
        parts += [f"<h2>{html_text(heading)}</h2>", _table(frame)]
    parts.append("</body></html>")
    return "\n".join(parts)


def render_notice(ws: Workspace, zoning: pd.DataFrame, *, lang: str = "zh") -> str:
    """Return the public catchment notice (划片范围公告): each school's units, per section."""
    zh = lang == "zh"
    county = ws.meta.name or ("本县" if zh else "the county")
    title = (f"{county}义务教育学校招生划片范围公告" if zh
             else f"{county}: catchments of compulsory-education schools")
    names = dict(zip(ws.units["unit_id"], ws.units["name"], strict=True))
    schools = ws.schools.set_index("school_id")
    parts = [
        f"<!DOCTYPE html><html lang=\"{'zh-CN' if zh else 'en'}\"><head><meta charset=\"utf-8\">"
        f"<title>{html_text(title)}</title><style>{CSS} td:nth-child(2) {{ width: 30%; }}"
        "</style></head><body>",
        f"<h1>{html_text(title)}</h1>",
    ]
    if ws.meta.synthetic:
        parts.append(f"<div class=\"banner\">{html_text(t('synthetic_banner', lang))}</div>")
    parts.append("<p>" + html_text(
        "适龄儿童少年按户籍或居住地所在居住单元，到下列学校就近入学。" if zh else
        "Children attend the school whose catchment holds the unit they live in.") + "</p>")
    for sec in SECTIONS:
        z = zoning[sec].dropna()
        ids = sorted(set(z))
        numbers = {sid: k for k, sid in enumerate(ids, start=1)}
        rows = []
        for sid in ids:
            units = sorted(names[u] for u in z.index[z == sid])
            rows.append({"#": numbers[sid], ("学校" if zh else "school"): schools.at[sid, "name"],
                         ("划片范围" if zh else "catchment"): "、".join(units) if zh
                         else ", ".join(units)})
        parts.append(f"<h2>{html_text(t(sec, lang))}</h2>")
        if ids and ws.units is not None:
            svg = catchment_svg(ws, zoning, sec, numbers, lang=lang, salt=f"notice-{sec}")
            parts.append(f"<div class=\"figure\">{svg}</div>")
        parts.append(_table(pd.DataFrame(rows)))
    parts.append("</body></html>")
    return "\n".join(parts)
