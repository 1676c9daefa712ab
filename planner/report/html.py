"""The evaluation as one self-contained HTML page: the county map, the checklist, the tables.

No external file, script or font is referenced: the map and the CV chart are inline SVG whose
text the browser draws (planner/report/figures.py), the style is inline, and the page prints
on A4. Every string from data is escaped (planner/report/escape.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.evaluation import Evaluation
from planner.i18n import t
from planner.io.gpkg import atomic_write
from planner.report import tables
from planner.report.escape import html_text
from planner.report.figures import FIGURE_CSS, county_svg, cv_svg
from planner.workspace import Workspace

CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10pt; color: #222; max-width: 186mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 4pt;
     border-bottom: 1px solid #888; page-break-after: avoid; }
.banner { background: #fff3cd; border: 1px solid #e0c060; padding: 4pt 8pt; margin: 6pt 0; }
.verdict { font-weight: bold; margin: 6pt 0; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; page-break-inside: auto; }
th, td { border: 1px solid #bbb; padding: 2pt 3pt; text-align: left; vertical-align: top; }
th { background: #ddebf7; } tr { page-break-inside: avoid; }
td.pass { background: #c6efce; } td.fail { background: #ffc7ce; }
td.missing { background: #ffeb9c; }
.figure { border: 1px solid #ccc; margin: 6pt 0; page-break-inside: avoid; }
.notes li { margin: 2pt 0; }
"""
CSS += FIGURE_CSS


def _table(df: pd.DataFrame, status: list[str] | None = None, status_col: str | None = None
           ) -> str:
    head = "".join(f"<th>{html_text(str(c))}</th>" for c in df.columns)
    rows = []
    for k, rec in enumerate(df.itertuples(index=False)):
        cells = []
        for col, v in zip(df.columns, rec, strict=True):
            text = "" if v is None or (isinstance(v, float) and v != v) else str(v)
            cls = f' class="{status[k]}"' if status is not None and col == status_col else ""
            cells.append(f"<td{cls}>{html_text(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def exclusions_html(ev: Evaluation, lang: str = "zh") -> str:
    """The schools left out of the evaluation and why, as a heading and a table (or a line)."""
    table = tables.exclusions_table(ev, lang)
    body = (f"<p>{html_text(t('exclusions_intro', lang))}</p>{_table(table)}" if len(table)
            else f"<p>{html_text(t('no_exclusions', lang))}</p>")
    return f"<h2>{html_text(t('sheet_exclusions', lang))}</h2>{body}"


def render_html(ev: Evaluation, ws: Workspace, *, lang: str = "zh") -> str:
    """Return the report page as one HTML string (no external references)."""
    check = tables.checklist_table(ev, lang)
    status_col = check.columns[4]
    failing = tables.schools_table(ev, lang)[~ev.indicators["compliant"].to_numpy()]
    parts = [
        f"<!DOCTYPE html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head>"
        f"<meta charset=\"utf-8\"><title>{html_text(t('report_title', lang))}</title>"
        f"<style>{CSS}</style></head><body>",
        f"<h1>{html_text(t('report_title', lang))}</h1>",
        f"<div>{html_text(ws.meta.name)} · {html_text(ev.standards.name)}</div>",
    ]
    if ws.meta.synthetic:
        parts.append(f"<div class=\"banner\">{html_text(t('synthetic_banner', lang))}</div>")
    parts += [
        f"<p class=\"verdict\">{html_text(tables.verdict_text(ev, lang))}</p>",
        f"<div class=\"figure\">{county_svg(ev, ws, lang=lang)}</div>",
        f"<h2>{html_text(t('sheet_checklist', lang))}</h2>",
        _table(check, list(ev.checklist["status"]), status_col),
        f"<h2>{html_text(t('sheet_cv', lang))}</h2>",
        f"<div class=\"figure\">{cv_svg(ev, lang=lang)}</div>",
        _table(tables.cv_table_display(ev, lang)),
        f"<h2>{html_text(t('sheet_caps', lang))}</h2>",
        _table(tables.caps_table(ev, lang)),
        f"<h2>{html_text(t('sheet_schools', lang))} — {html_text(t('status_fail', lang))}"
        "</h2>",
        _table(failing),
        f"<h2>{html_text(t('sheet_gaps', lang))}</h2>",
        _table(tables.gaps_table(ev, lang)),
        exclusions_html(ev, lang),
    ]
    z = tables.zoning_tables(ev, lang)
    if z:
        parts += [
            f"<h2>{html_text(t('sheet_zoning', lang))}</h2>", _table(z["sections"]),
            f"<h2>{html_text(t('sheet_layout', lang))}</h2>", _table(z["layout"]),
            _table(z["tiling"]) if len(z["tiling"]) else "",
            _table(z["unit_problems"]) if len(z["unit_problems"]) else "",
            f"<h2>{html_text(t('sheet_out_of_zone', lang))}</h2>",
            _table(z["out_of_zone"].head(40)),
        ]
    if ev.notes:
        items = "".join(f"<li>{html_text(n)}</li>" for n in ev.notes)
        parts.append(f"<h2>{html_text(t('sheet_notes', lang))}</h2><ul class=\"notes\">"
                     f"{items}</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(ev: Evaluation, ws: Workspace, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the self-contained report page, atomically."""
    text = render_html(ev, ws, lang=lang)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
