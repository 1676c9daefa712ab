"""Export a scenario as a proposal: GeoPackage, workbook, report and the catchment notice.

The files are rendered here and published together by planner/session.py (one rename of a
folder, so an export stopped half way never leaves old and new files mixed). Nothing in them
depends on the clock except the timestamps that GeoPackage and Excel themselves record, so
exporting the same scenario twice gives the same content.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyogrio
from openpyxl import Workbook

from planner.i18n import t
from planner.plan.store import BASELINE
from planner.proposal import Proposal
from planner.report import tables
from planner.report.closure import closure_sheet
from planner.report.escape import html_text, write_cell
from planner.report.excel import _sheet
from planner.report.figures import county_svg, years_svg
from planner.report.frames import profile_line, proposal_frames
from planner.report.html import CSS, _table, exclusions_html
from planner.report.notice import notice_content, render_notice
from planner.report.projection import county_table, crossings_table, year_tables
from planner.schema import SECTIONS
from planner.workspace import Workspace


def proposal_files(p: Proposal, stem: str, *, lang: str = "zh", record=None,
                   notice_year: int | None = None, notice_plan=None,
                   reconciled: pd.DataFrame | None = None
                   ) -> dict[str, Callable[[Path], None]]:
    """Return the files of a proposal as writers (file name → write function).

    `<stem>.gpkg`, `<stem>.xlsx`, `<stem>.html`, `<stem>_notice.html`, the Word documents
    `<stem>.docx` and `<stem>_notice.docx`, the print maps `<stem>_map_primary.pdf` and
    `<stem>_map_junior.pdf` (the notice's) and `<stem>_map_status.pdf` (the report's), and
    for a plan of record (`record`) `<stem>_roadmap.docx`; planner/session.py publishes them
    together. The notice and its maps are of the layout in
    `notice_year` (`notice_plan`, the scenario in that year; default: the proposal's own).
    `reconciled`: the workspace's reconciliation table (planner.io.derive.reconciliation of
    the data as imported), a sheet of the workbook when it has rows.
    """
    from planner.plan import materialise
    from planner.report import docx

    county = (p.ws.meta.name or "").split("（")[0]
    zoning = (notice_plan or p.plan).zoning
    ws = p.ws if notice_plan is None else materialise(notice_plan)
    notice = notice_content(ws, zoning, year=notice_year, closures=p.closures, lang=lang)
    words = {
        f"{stem}_notice.html": lambda path: path.write_text(
            render_notice(ws, zoning, lang=lang, notice=notice), encoding="utf-8"),
        f"{stem}.docx": lambda path: docx.save(docx.proposal_document(p, lang), path),
        f"{stem}_notice.docx": lambda path: docx.save(
            docx.notice_document(notice, ws, zoning, lang), path),
    }
    if record is not None:
        words[f"{stem}_roadmap.docx"] = lambda path: docx.save(
            docx.roadmap_document(record, lang, county=county), path)
    maps = {f"{stem}_map_{sec}.pdf": _map_writer(ws, zoning, notice, sec, county, lang)
            for sec in SECTIONS if notice.public[sec] and ws.units is not None}
    maps[f"{stem}_map_status.pdf"] = _status_writer(p, county, lang)
    return {**_tables_files(p, stem, lang, reconciled), **words, **maps}


def _status_writer(p: Proposal, county: str, lang: str) -> Callable[[Path], None]:
    from planner.report.printmap import figure_pdf, status_figure

    def write(path: Path) -> None:
        fig = status_figure(p.after, p.ws, lang=lang, title=t(
            "print_status_title", lang, county=county, year=p.plan.year or ""))
        path.write_bytes(figure_pdf(fig))
    return write


def _map_writer(ws: Workspace, zoning: pd.DataFrame, notice, section: str, county: str,
                lang: str) -> Callable[[Path], None]:
    from planner.report.printmap import catchment_figure, figure_pdf

    numbers = {e.school_id: e.number for e in notice.public[section]}

    def write(path: Path) -> None:
        fig = catchment_figure(ws, zoning, section, numbers, lang=lang, page="A3",
                               title=t("print_map_title", lang, county=county,
                                       section=t(section, lang)))
        path.write_bytes(figure_pdf(fig))
    return write


def _tables_files(p: Proposal, stem: str, lang: str, reconciled: pd.DataFrame | None
                  ) -> dict[str, Callable[[Path], None]]:
    return {
        f"{stem}.gpkg": lambda path: _write_gpkg(p, path),
        f"{stem}.xlsx": lambda path: _write_xlsx(p, path, lang, reconciled),
        f"{stem}.html": lambda path: path.write_text(render_report(p, lang), encoding="utf-8"),
    }


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


def _write_xlsx(p: Proposal, path: Path, lang: str, reconciled: pd.DataFrame | None = None
                ) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    years = {} if p.years is None else year_tables(p.years, lang)
    for title, frame in {**proposal_frames(p, lang), **years}.items():
        ws = _sheet(wb, title, frame, {2: 28})
        if title == t("sheet_exclusions", lang) and frame.empty:
            write_cell(ws, 2, 1, t("no_exclusions", lang))
    if reconciled is not None and len(reconciled):  # the statistics against the children
        _sheet(wb, t("sheet_reconciliation", lang), reconciliation_table(reconciled, lang),
               {2: 28})
    for n, case in enumerate(p.closures, start=1):  # one 论证 sheet per closure
        closure_sheet(wb, t("sheet_closure_case", lang, n=n), case, lang)
    wb.save(path)


def reconciliation_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The reconciliation table (planner.io.derive.reconciliation) in the reader's language."""
    out = table.assign(section=[t(x, lang) for x in table["section"]],
                       share=[None if x != x else round(100 * x, 1) for x in table["share"]])
    return out.rename(columns={c: t(f"rec_col_{c}", lang) for c in out.columns})


def _years_html(p: Proposal, lang: str) -> list[str]:
    """The years section of the report: pupils by section and year, and the crossings."""
    if p.years is None:
        return []
    county = p.years.county
    first, last = int(county["year"].min()), int(county["year"].max())
    crossings = p.years.crossings
    return [
        f"<h2>{html_text(t('years_report_header', lang, first=first, last=last))}</h2>",
        f"<div class=\"figure\">{years_svg(county, lang=lang, year=p.plan.year)}</div>",
        f"<p>{html_text(t('years_caption', lang))} {html_text(t('years_in_workbook', lang))}</p>",
        _table(county_table(county, lang)),
        f"<h2>{html_text(t('crossings_header', lang))}</h2>",
        _table(crossings_table(crossings, lang)) if len(crossings)
        else f"<p>{html_text(t('crossings_none', lang))}</p>",
    ]


def render_report(p: Proposal, lang: str = "zh") -> str:
    """Return the proposal report: verdicts, before/after maps, and what changed.

    For the baseline: today's verdict and map, the checklist and the roadmap.
    """
    zh = lang == "zh"
    today = p.name == BASELINE
    frames = proposal_frames(p, lang)
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
    parts.append(f"<p>{html_text(profile_line(p, lang))}</p>")
    if today:
        parts += [
            f"<p class=\"verdict\">{html_text(tables.verdict_text(p.before, lang))}</p>",
            f"<div class=\"figure\">{county_svg(p.before, p.base_ws, lang=lang, salt='today')}"
            "</div>",
        ]
        keep = {("检查清单对比" if zh else "Checklist"), t("sheet_exclusions", lang),
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
        if heading == t("sheet_exclusions", lang):  # with its introduction, or "none"
            parts.append(exclusions_html(p.after, lang))
            continue
        parts += [f"<h2>{html_text(heading)}</h2>", _table(frame)]
    parts += _years_html(p, lang)
    parts.append("</body></html>")
    return "\n".join(parts)
