"""The evaluation as an Excel workbook, Chinese headers by default, pass/fail coloured."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from planner.evaluation import Evaluation
from planner.i18n import column, t
from planner.io.gpkg import atomic_write
from planner.report import tables
from planner.report.escape import write_cell
from planner.standards import RESOURCE_IDS

PASS_FILL = PatternFill("solid", fgColor="C6EFCE")
FAIL_FILL = PatternFill("solid", fgColor="FFC7CE")
WARN_FILL = PatternFill("solid", fgColor="FFEB9C")
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _sheet(wb: Workbook, title: str, df: pd.DataFrame, widths: dict[int, int] | None = None):
    ws = wb.create_sheet(title)
    for j, name in enumerate(df.columns, start=1):
        cell = write_cell(ws, 1, j, str(name))
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = (widths or {}).get(j, 14)
    _rows(ws, df, 2)
    ws.freeze_panes = "A2"
    return ws


def _rows(ws, df: pd.DataFrame, start: int, *, header: bool = False) -> None:
    """Write a frame's rows (and its header first, in bold, when asked) from row `start`."""
    if header:
        for j, name in enumerate(df.columns, start=1):
            write_cell(ws, start, j, str(name)).font = Font(bold=True)
        start += 1
    for i, row in enumerate(df.itertuples(index=False), start=start):
        for j, value in enumerate(row, start=1):
            write_cell(ws, i, j, value)


def write_workbook(ev: Evaluation, path: str | Path, *, lang: str = "zh") -> Path:
    """Write checklist, school indicators, CVs, gaps, caps, CV drivers and notes to .xlsx.

    Cells of the school sheet are green where an indicator meets its threshold, yellow where
    it reaches only 85 %, red below; checklist statuses are coloured the same way. The file
    appears only when complete (atomic write).

    Returns
    -------
    The path written.
    """
    wb = Workbook()
    wb.remove(wb.active)
    check = tables.checklist_table(ev, lang)
    ws = _sheet(wb, t("sheet_checklist", lang), check, {2: 44, 3: 16, 4: 30, 7: 80})
    status_col = list(check.columns).index(column("status", lang)) + 1
    fills = {"pass": PASS_FILL, "fail": FAIL_FILL, "missing": WARN_FILL}
    for i, status in enumerate(ev.checklist["status"], start=2):
        ws.cell(row=i, column=status_col).fill = fills[status]
    write_cell(ws, len(check) + 3, 1, tables.verdict_text(ev, lang)).font = Font(bold=True)

    schools = tables.schools_table(ev, lang)
    ws = _sheet(wb, t("sheet_schools", lang), schools, {2: 24})
    marks = tables.indicator_status(ev)
    mark_fills = {"pass": PASS_FILL, "warn": WARN_FILL, "fail": FAIL_FILL}
    for rid in RESOURCE_IDS:
        j = list(schools.columns).index(column(rid, lang)) + 1
        for i, mark in enumerate(marks[rid], start=2):
            ws.cell(row=i, column=j).fill = mark_fills[mark]
    j = list(schools.columns).index(column("compliant", lang)) + 1
    for i, ok in enumerate(ev.indicators["compliant"], start=2):
        ws.cell(row=i, column=j).fill = PASS_FILL if ok else FAIL_FILL

    _exclusions_sheet(wb, ev, lang)
    cv = tables.cv_table_display(ev, lang)
    ws = _sheet(wb, t("sheet_cv", lang), cv, {2: 30})
    j = list(cv.columns).index(column("ok", lang)) + 1
    for i, ok in enumerate(ev.cvs["ok"], start=2):
        if ok is not None:
            ws.cell(row=i, column=j).fill = PASS_FILL if ok else FAIL_FILL
    _sheet(wb, t("sheet_gaps", lang), tables.gaps_table(ev, lang), {2: 24, 5: 30})
    _sheet(wb, t("sheet_caps", lang), tables.caps_table(ev, lang), {2: 24})
    _sheet(wb, t("sheet_drivers", lang), tables.drivers_table(ev, lang), {2: 30, 4: 24})
    z = tables.zoning_tables(ev, lang)
    if z:
        ws = _sheet(wb, t("sheet_zoning", lang), z["sections"])
        _rows(ws, z["schools"], len(z["sections"]) + 3, header=True)
        _sheet(wb, t("sheet_out_of_zone", lang), z["out_of_zone"], {2: 20, 4: 24, 5: 24})
        ws = _sheet(wb, t("sheet_layout", lang), z["layout"])
        row = len(z["layout"]) + 3
        for block in (z["tiling"], z["unit_problems"]):
            _rows(ws, block, row, header=True)
            row += len(block) + 3
        _sheet(wb, t("sheet_unit_distances", lang), z["unit_distances"], {3: 24})
    notes = list(ev.notes) or ["—"]
    _sheet(wb, t("sheet_notes", lang), pd.DataFrame({column("note", lang): notes}), {1: 120})
    return atomic_write(path, lambda tmp: wb.save(tmp))


def _exclusions_sheet(wb: Workbook, ev: Evaluation, lang: str) -> None:
    """The schools left out and why; a line saying none is left out when so."""
    table = tables.exclusions_table(ev, lang)
    ws = _sheet(wb, t("sheet_exclusions", lang), table, {2: 24, 6: 36})
    if table.empty:
        write_cell(ws, 2, 1, t("no_exclusions", lang))


def write_roadmap(road, path: str | Path, *, lang: str = "zh") -> Path:
    """Write a roadmap (planner.roadmap.Roadmap) to .xlsx: actions, money by year, notes.

    Returns
    -------
    The path written (atomically).
    """
    wb = Workbook()
    wb.remove(wb.active)
    actions, by_year = tables.roadmap_tables(road, lang)
    _sheet(wb, t("sheet_roadmap", lang), actions, {3: 20, 5: 26})
    _sheet(wb, t("sheet_by_year", lang), by_year)
    notes = pd.DataFrame({column("note", lang): list(road.summary_lines(lang))})
    _sheet(wb, t("sheet_notes", lang), notes, {1: 120})
    return atomic_write(Path(path), wb.save)


def write_plan(record, path: str | Path, *, lang: str = "zh") -> Path:
    """Write a plan of record (planner.record.Record) to .xlsx, one sheet per table.

    Actions by year with cost and the row each closes; year × checklist row; year × school
    section; money and teachers by year; the entered rows to confirm; notes.

    Returns
    -------
    The path written (atomically).
    """
    wb = Workbook()
    wb.remove(wb.active)
    parts = tables.plan_tables(record, lang)
    _sheet(wb, t("sheet_plan_actions", lang), parts["actions"], {3: 22, 6: 26, 13: 80})
    rows = _sheet(wb, t("sheet_plan_rows", lang), parts["rows"])
    fills = {t("status_pass", lang): PASS_FILL, t("status_fail", lang): FAIL_FILL,
             t("status_missing", lang): WARN_FILL}
    for line in rows.iter_rows(min_row=2, min_col=2):
        for cell in line:
            if cell.value in fills:
                cell.fill = fills[cell.value]
    _sheet(wb, t("sheet_plan_sections", lang), parts["sections"], {3: 26})
    _sheet(wb, t("sheet_plan_money", lang), parts["money"])
    _sheet(wb, t("sheet_plan_teachers", lang), parts["teachers"])
    _sheet(wb, t("sheet_plan_confirm", lang), parts["confirm"], {2: 40, 4: 80})
    notes = pd.DataFrame({column("note", lang): list(record.summary_lines(lang))})
    _sheet(wb, t("sheet_notes", lang), notes, {1: 120})
    return atomic_write(Path(path), wb.save)
