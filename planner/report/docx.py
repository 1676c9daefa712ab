"""Word documents (python-docx): the notice, the layout proposal and the plan's timetable.

A .docx opens in Word and WPS. Tables are real Word tables (style "Table Grid", the header row
repeated on every page), headings use Word's heading styles (so the navigation pane shows the
outline), the Chinese fonts are named (宋体 for text, 黑体 for headings, as East Asian fonts
beside a Latin one) and maps are embedded as PNG at 300 dpi. Every text from the data is
written as a run's text: never a field, a formula or markup. Characters XML cannot hold (the
control characters) are dropped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from planner.i18n import t
from planner.report.notice import (
    Notice,
    closed_table,
    private_table,
    school_table,
    special_table,
)
from planner.report.printmap import catchment_figure, figure_png
from planner.schema import SECTIONS

BODY_FONT, HEADING_FONT, LATIN_FONT = "宋体", "黑体", "Times New Roman"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value: object) -> str:
    """A value as a run's text: NaN and None as "", control characters dropped."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _CONTROL.sub("", str(value))


def _fonts(style, east_asian: str, size: float | None = None) -> None:
    style.font.name = LATIN_FONT
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)
    if size is not None:
        style.font.size = Pt(size)


def new_document(*, landscape: bool = False):
    """A document with the Chinese fonts named in its styles, A4."""
    doc = Document()
    _fonts(doc.styles["Normal"], BODY_FONT, 10.5)
    for level, size in ((0, 18), (1, 15), (2, 13), (3, 12)):
        style = doc.styles["Title" if level == 0 else f"Heading {level}"]
        _fonts(style, HEADING_FONT, size)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    for side in ("left_margin", "right_margin"):
        setattr(sec, side, Cm(2.0))
    sec.top_margin = sec.bottom_margin = Cm(2.0)
    return doc


def heading(doc, text: str, level: int) -> None:
    """A heading in Word's heading style of `level` (0: the title)."""
    doc.add_heading(clean(text), level=level)


def paragraph(doc, text: str, *, bold_lead: str = "", align=None, colour=None) -> None:
    """A paragraph of text, after an optional bold lead."""
    p = doc.add_paragraph()
    if bold_lead:
        p.add_run(clean(bold_lead)).bold = True
    run = p.add_run(clean(text))
    if colour is not None:
        run.font.color.rgb = colour
    if align is not None:
        p.alignment = align


def table(doc, frame: pd.DataFrame, *, widths_cm: Iterable[float] | None = None) -> None:
    """A real Word table: a bold header row repeated on each page, one row per frame row."""
    tab = doc.add_table(rows=1, cols=len(frame.columns))
    tab.style = doc.styles["Table Grid"]
    head = tab.rows[0]
    trpr = head._tr.get_or_add_trPr()
    rep = OxmlElement("w:tblHeader")
    rep.set(qn("w:val"), "true")
    trpr.append(rep)
    size = Pt(9 if len(frame.columns) <= 8 else 7.5)  # a wide table in a smaller hand
    for cell, col in zip(head.cells, frame.columns, strict=True):
        run = cell.paragraphs[0].add_run(clean(col))
        run.bold, run.font.size = True, size
    for rec in frame.itertuples(index=False):
        cells = tab.add_row().cells
        for cell, v in zip(cells, rec, strict=True):
            cell.paragraphs[0].add_run(clean(_number(v))).font.size = size
    if widths_cm is None:
        widths_cm = _widths(doc, frame)
    if widths_cm is not None:
        tab.autofit = False
        for col, w in zip(tab.columns, widths_cm, strict=False):
            col.width = Cm(w)
        for row in tab.rows:
            for cell, w in zip(row.cells, widths_cm, strict=False):
                cell.width = Cm(w)
    doc.add_paragraph()


def _widths(doc, frame: pd.DataFrame) -> list[float]:
    """Column widths in cm from the longest text of each column, filling the page's width.

    A CJK character counts two; a column is given between 4 and 28 of those units, so a long
    reason wraps rather than squeezing every other column.
    """
    def units(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    need = []
    for k, col in enumerate(frame.columns):
        longest = max([units(clean(_number(v))) for v in frame.iloc[:, k]] or [0])
        need.append(min(max(longest, units(clean(col)) / 2, 4), 28))
    sec = doc.sections[-1]
    page = (sec.page_width - sec.left_margin - sec.right_margin) / 360000  # EMU per cm
    return [page * n / sum(need) for n in need]


def _number(v: object) -> object:
    if isinstance(v, float) and v == v and v.is_integer() and abs(v) < 1e15:
        return int(v)
    if isinstance(v, float) and v == v:
        return f"{v:,.3f}".rstrip("0").rstrip(".")
    return v


def picture(doc, png: bytes, width_cm: float) -> None:
    """A picture, centred, `width_cm` wide."""
    doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def save(doc, path) -> None:
    """Save with fixed core properties (no clock, no user name): the same content, same file."""
    props = doc.core_properties
    props.author = props.last_modified_by = "planner"
    props.revision = 1
    from datetime import datetime

    props.created = props.modified = datetime(2000, 1, 1)
    doc.save(str(path))


# --- the notice ----------------------------------------------------------------------------

def notice_document(n: Notice, ws, zoning: pd.DataFrame, lang: str = "zh"):
    """The catchment notice as a Word document (content from planner/report/notice.py)."""
    from docx.shared import RGBColor

    doc = new_document()
    heading(doc, n.title, 0)
    if n.synthetic:
        paragraph(doc, t("synthetic_banner", lang), colour=RGBColor(0x8A, 0x6D, 0x00))
    paragraph(doc, n.intro)
    for sec in SECTIONS:
        heading(doc, t(sec, lang), 1)
        entries = n.public[sec]
        if entries and ws.units is not None:
            numbers = {e.school_id: e.number for e in entries}
            county = (ws.meta.name or "").split("（")[0]
            fig = catchment_figure(ws, zoning, sec, numbers, lang=lang, page="figure", title=t(
                "print_map_title", lang, county=county, section=t(sec, lang)))
            picture(doc, figure_png(fig), 17.0)
        table(doc, school_table(entries, lang), widths_cm=(1.2, 3.2, 3.6, 2.4, 6.6))
    if n.private:
        heading(doc, t("notice_private_head", lang), 1)
        table(doc, private_table(n.private, lang), widths_cm=(3.6, 4.0, 2.6, 6.8))
    if n.special:
        heading(doc, t("notice_special_schools", lang), 1)
        table(doc, special_table(n.special, lang), widths_cm=(3.6, 4.0, 2.6, 6.8))
    if n.closed:
        heading(doc, t("notice_closed_head", lang), 1)
        table(doc, closed_table(n.closed, lang), widths_cm=(5.0, 7.0, 5.0))
    heading(doc, t("notice_clauses", lang), 1)
    for head, text, default in n.clauses:
        paragraph(doc, text, bold_lead=head, colour=RGBColor(0x8A, 0x6D, 0x00) if default
                  else None)
    for text in (n.issuer[0], n.date[0], t("notice_seal", lang)):
        paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return doc


# --- the layout proposal -------------------------------------------------------------------

def proposal_document(p, lang: str = "zh"):
    """The layout proposal (布局调整方案) as a Word document.

    Today's state (the verdict, the checklist, the failing school sections), the proposed
    changes and what they do to every row, the years, the catchment maps, and the entered rows
    the county must confirm. The tables are those of the proposal's workbook
    (planner/report/frames.py), so the two never disagree.
    """
    from planner.plan.store import BASELINE
    from planner.report import tables
    from planner.report.frames import profile_line, proposal_frames
    from planner.report.projection import county_table

    zh = lang == "zh"
    frames = proposal_frames(p, lang)
    county = (p.ws.meta.name or "").split("（")[0]
    doc = new_document(landscape=True)
    title = (t("doc_baseline_title", lang, county=county) if p.name == BASELINE
             else t("doc_proposal_title", lang, county=county, name=p.name))
    heading(doc, title, 0)
    paragraph(doc, profile_line(p, lang))
    if p.ws.meta.synthetic:
        paragraph(doc, t("synthetic_banner", lang))
    heading(doc, t("doc_state", lang), 1)
    paragraph(doc, tables.verdict_text(p.before, lang), bold_lead=t("doc_before", lang))
    if p.name != BASELINE:
        paragraph(doc, tables.verdict_text(p.after, lang), bold_lead=t("doc_after", lang))
    heading(doc, t("doc_checklist", lang), 2)
    table(doc, frames["检查清单对比" if zh else "Checklist"])
    schools = frames["学校前后对比" if zh else "Schools"]
    after = schools[schools.columns[6]]
    failing = schools[after == t("status_fail", lang)]
    heading(doc, t("doc_failing", lang, n=len(failing), total=int((after != "").sum())), 2)
    table(doc, failing)
    if p.name != BASELINE:
        heading(doc, t("doc_changes", lang), 1)
        units = frames["调整单元" if zh else "Units re-zoned"]
        paragraph(doc, t("doc_changes_lead", lang, edits=len(p.edits), units=len(units),
                         pupils=p.diff.pupils_changing_school))
        heading(doc, t("doc_units", lang), 2)
        table(doc, units if len(units) else pd.DataFrame({t("doc_none", lang): []}))
        if p.closures:
            heading(doc, t("doc_closures", lang, n=len(p.closures)), 2)
            table(doc, closures_table(p.closures, lang))
            paragraph(doc, t("doc_closures_procedure", lang))
        caps = frames["超规模与超标班额变化" if zh else "Caps"]
        if len(caps):
            heading(doc, t("doc_caps", lang), 2)
            table(doc, caps)
    if p.years is not None:
        heading(doc, t("doc_years", lang), 1)
        table(doc, county_table(p.years.county, lang))
    heading(doc, t("doc_maps", lang), 1)
    from planner.report.notice import notice_content

    n = notice_content(p.ws, p.plan.zoning, lang=lang)
    for sec in SECTIONS:
        numbers = {e.school_id: e.number for e in n.public[sec]}
        if numbers and p.ws.units is not None:
            fig = catchment_figure(p.ws, p.plan.zoning, sec, numbers, lang=lang, title=t(
                "print_map_title", lang, county=county, section=t(sec, lang)))
            picture(doc, figure_png(fig), 22.0)
    heading(doc, t("doc_confirm", lang), 1)
    table(doc, confirm_table(p.after, lang))
    road = frames["补齐短板路线图" if zh else "Roadmap for the remaining gaps"]
    if len(road):
        heading(doc, t("doc_roadmap", lang), 1)
        table(doc, road)
    return doc


def closures_table(closures, lang: str) -> pd.DataFrame:
    """The schools a scenario closes: when, into which schools, the bus, the teachers."""
    rows = []
    for c in closures:
        into = "、".join(c.receiving["name"]) if len(c.receiving) else c.into_name
        rows.append({t("case_school", lang): c.name, t("case_section", lang): t(c.section, lang),
                     t("doc_col_stop", lang): c.first_year or "",
                     t("doc_col_close", lang): c.close_year or "",
                     t("doc_col_into", lang): into,
                     t("doc_col_bus", lang): int(c.cost.get("bus_pupils", 0)),
                     t("doc_col_teachers", lang): int(c.cost.get("teachers", 0)),
                     t("case_teachers_to", lang): c.into_name})
    return pd.DataFrame(rows)


def confirm_table(ev, lang: str) -> pd.DataFrame:
    """The checklist rows the county enters and must confirm: id, indicator, status, evidence."""
    c = ev.checklist[ev.checklist["source"] != "computed"]
    return pd.DataFrame({
        t("doc_col_id", lang): c["id"],
        t("doc_col_indicator", lang): c["name_zh" if lang == "zh" else "name_en"],
        t("doc_col_status", lang): [t(f"status_{s}", lang) for s in c["status"]],
        t("doc_col_evidence", lang): c["evidence_zh" if lang == "zh" else "evidence"]})


# --- the plan of record's timetable and roadmap ----------------------------------------------

def roadmap_document(record, lang: str = "zh", *, county: str = "", responsible: str = ""):
    """The plan of record's timetable and roadmap (时间表和路线图) as a Word document.

    Actions by the year they are decided, each with its row, school, quantity, cost, reason and
    a responsible body (a column the bureau fills where `responsible` is not given); then the
    money by year (a work's capital spread over its lead years), the teachers, every row by
    year, and the entered rows to confirm, those failing named in the introduction.
    """
    from planner import checklist as ck
    from planner.report.tables import plan_tables

    tabs = plan_tables(record, lang)
    doc = new_document(landscape=True)
    heading(doc, t("doc_roadmap_title", lang, county=county, target=record.target_year), 0)
    paragraph(doc, t("doc_roadmap_lead", lang, name=record.name, first=record.first_year,
                     target=record.target_year, end=record.end_year, n=len(record.actions),
                     total=record.total_yuan / 1e4))
    paragraph(doc, t("doc_roadmap_money", lang))
    failing = record.to_confirm[record.to_confirm["status"] != "pass"]
    if len(failing):
        sep = "、" if lang == "zh" else ", "
        paragraph(doc, t("doc_roadmap_entered", lang, rows=sep.join(
            f"{i} {ck.NAMES[i][0 if lang == 'zh' else 1]}" for i in failing["id"])))
    a = record.actions
    why = a["why_zh"] if lang == "zh" else a["why_en"]
    acts = tabs["actions"]
    timetable = pd.DataFrame({
        t("doc_col_action", lang): acts.iloc[:, 2].to_numpy(),
        t("doc_col_id", lang): a["row"].to_numpy(),
        t("doc_col_school", lang): a["name"].to_numpy(),
        t("doc_col_section", lang): acts.iloc[:, 6].to_numpy(),
        t("doc_col_quantity", lang): [f"{_number(float(q))} {u}" for q, u in zip(
            a["quantity"], acts.iloc[:, 8], strict=True)],
        t("doc_col_one_off", lang): [f"{x:,.0f}" if x else "" for x in a["one_off_yuan"]],
        t("doc_col_yearly", lang): [f"{x:,.0f}" if x else "" for x in a["yearly_yuan"]],
        t("doc_col_until", lang): ["" if u is None or u != u else int(u) for u in a["until"]],
        t("doc_col_why", lang): why.to_numpy(),
        t("doc_col_responsible", lang): responsible,
    })
    widths = (2.4, 1.1, 3.2, 1.3, 2.0, 2.0, 1.9, 1.1, 8.7, 2.0)
    for year in sorted({int(y) for y in a["year"]}):
        heading(doc, t("doc_year", lang, year=year), 1)
        table(doc, timetable[(a["year"] == year).to_numpy()], widths_cm=widths)
    rows = tabs["rows"]
    rows.insert(1, t("doc_col_indicator", lang), [ck.NAMES[i][0 if lang == "zh" else 1]
                                                   for i in rows.iloc[:, 0]])
    for key, frame, head in (("money", tabs["money"], "doc_money"),
                             ("teachers", tabs["teachers"], "doc_teachers"),
                             ("rows", rows, "doc_rows"), ("confirm", tabs["confirm"],
                                                           "doc_confirm")):
        heading(doc, t(head, lang), 1)
        table(doc, frame, widths_cm=(1.2, 6.0) if key == "rows" else None)
    return doc
