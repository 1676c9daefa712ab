"""The 论证 sheet of a closure (国办发〔2012〕48号): the case a bureau files, and what to fill in.

One sheet per school a scenario closes, from planner/session.py's ClosureCase: the school and
its timetable (停招 and closing years), its pupils by grade and year with and without the
closure, each unit's road before and after and its bus ride, the receiving schools' places,
pupils and teachers, the staff over the norm and the bus pupils, then the procedure the State
Council's opinion requires as fields to fill: the 论证 report, 公示, 听证, the village
committees' and parents' views, approval, 先建后撤, safe transport and boarding. Every value
is written as a value (report/escape.write_cell), never as a formula.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.styles import Font

from planner.i18n import t
from planner.report.escape import write_cell
from planner.report.excel import _rows

STEPS = ("case_step_report", "case_step_notice", "case_step_hearing", "case_step_village",
         "case_step_parents", "case_step_approval", "case_step_build_first",
         "case_step_transport", "case_step_boarding")


def closure_sheet(wb, title: str, case, lang: str = "zh"):
    """Write one closure's 论证 sheet into workbook `wb`; return it."""
    ws = wb.create_sheet(title)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 22
    r = _block(ws, 1, t("case_head", lang))
    when = (t("case_staged", lang, first=case.first_year, close=case.close_year) if case.staged
            else t("case_at_once", lang, year=case.close_year if case.close_year else
                   t("case_now", lang)))
    facts = pd.DataFrame({"k": [t("case_school", lang), t("case_section", lang),
                                t("case_when", lang), t("case_teachers_to", lang)],
                          "v": [f"{case.name}（{case.school_id}）" if lang == "zh"
                                else f"{case.name} ({case.school_id})",
                                t(case.section, lang), when,
                                f"{case.into_name}（{case.into}）" if lang == "zh"
                                else f"{case.into_name} ({case.into})"]})
    _rows(ws, facts, r)
    r += len(facts) + 1
    r = _block(ws, r, t("case_pupils", lang))
    pupils = case.pupils.assign(case=[t(f"case_{c}", lang) for c in case.pupils["case"]])
    pupils = pupils.rename(columns={"year": t("case_year", lang), "case": t("case_case", lang),
                                    "total": t("case_total", lang),
                                    **{c: t("case_grade", lang, g=c[1:]) for c in pupils
                                       if c.startswith("g") and c[1:].isdigit()}})
    _rows(ws, pupils, r, header=True)
    r += len(pupils) + 2
    r = _block(ws, r, t("case_units", lang))
    units = case.units.assign(walk=[t("case_walk" if w else "case_bus", lang)
                                    for w in case.units["walk"]])
    units.columns = [t(f"case_col_{c}", lang) for c in units.columns]
    _rows(ws, units, r, header=True)
    r += len(units) + 2
    r = _block(ws, r, t("case_receiving", lang))
    rec = case.receiving.copy()
    rec.columns = [t(f"case_col_{c}", lang) for c in rec.columns]
    _rows(ws, rec, r, header=True)
    r += len(rec) + 2
    r = _block(ws, r, t("case_cost", lang))
    cost = pd.DataFrame({"k": [t(f"case_cost_{k}", lang) for k in case.cost],
                         "v": list(case.cost.values())})
    _rows(ws, cost, r)
    r += len(cost) + 1
    r = _block(ws, r, t("case_procedure", lang))
    steps = pd.DataFrame({t("case_step", lang): [t(s, lang) for s in STEPS],
                          t("case_date", lang): [""] * len(STEPS),
                          t("case_by", lang): [""] * len(STEPS),
                          t("case_result", lang): [""] * len(STEPS)})
    _rows(ws, steps, r, header=True)
    return ws


def _block(ws, row: int, title: str) -> int:
    write_cell(ws, row, 1, title).font = Font(bold=True, size=12)
    return row + 1
