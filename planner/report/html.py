"""The evaluation as one self-contained HTML page: a static map, the checklist, the tables.

No external file, script or font is referenced: the map is a PNG drawn with matplotlib and
embedded as base64, the style is inline, and the page prints on A4.
"""

from __future__ import annotations

import base64
import functools
import html
import io
from pathlib import Path

import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from planner.evaluation import Evaluation
from planner.i18n import t
from planner.io.gpkg import atomic_write
from planner.report import tables
from planner.workspace import Workspace

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "Microsoft YaHei", "SimHei")
STATUS_COLOURS = {"pass": "#2ca02c", "fail": "#d62728", "out": "#9e9e9e"}

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
img.map { width: 100%; border: 1px solid #ccc; }
.notes li { margin: 2pt 0; }
"""


@functools.cache
def font_families() -> list[str]:
    """Return the first installed CJK font family (if any) and DejaVu Sans as the fallback."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in installed][:1] + ["DejaVu Sans"]


def school_status(ev: Evaluation, ws: Workspace) -> pd.Series:
    """Return each school's map status: pass, fail (a section fails or a cap is broken), out."""
    ind = ev.indicators
    failing = set(ind.loc[~ind["compliant"], "school_id"]) | set(ev.caps["school_id"])
    evaluated = set(ind["school_id"])
    return pd.Series(["fail" if s in failing else "pass" if s in evaluated else "out"
                      for s in ws.schools["school_id"]], index=ws.schools.index)


def map_png(ev: Evaluation, ws: Workspace, *, lang: str = "zh", dpi: int = 150) -> bytes:
    """Draw the county with schools coloured by status; return PNG bytes."""
    fig = Figure(figsize=(7.2, 6.0), dpi=dpi)
    fig.set_layout_engine("tight")
    ax = fig.add_subplot()
    crs = ws.meta.crs
    if ws.units is not None:
        ws.units.to_crs(crs).boundary.plot(ax=ax, color="#c8c8c8", linewidth=0.3)
    if ws.catchments is not None:
        prim = ws.catchments[ws.catchments["section"] == "primary"].to_crs(crs)
        prim.boundary.plot(ax=ax, color="#7a7a7a", linewidth=0.6)
    status = school_status(ev, ws)
    pts = ws.schools.to_crs(crs)
    size = (pts["students_primary"] + pts["students_junior"]).clip(lower=30) ** 0.5 / 2.5
    for key in ("out", "pass", "fail"):
        mask = status == key
        if mask.any():
            pts[mask].plot(ax=ax, color=STATUS_COLOURS[key], markersize=size[mask] ** 2 / 6,
                           edgecolor="white", linewidth=0.3, zorder=3)
    handles = [Line2D([], [], marker="o", linestyle="", color=STATUS_COLOURS[k],
                      label=t(f"map_legend_{k}", lang)) for k in ("pass", "fail", "out")]
    with_font = {"family": font_families()}
    ax.legend(handles=handles, loc="lower left", fontsize=7, prop=with_font, framealpha=0.9)
    title = ws.meta.name or t("report_title", lang)
    ax.set_title(title, fontdict={**with_font, "size": 10})
    if ws.meta.synthetic:
        ax.text(0.99, 0.01, t("synthetic_banner", lang), transform=ax.transAxes, ha="right",
                va="bottom", fontsize=6.5, color="#8a6d00", fontfamily=font_families())
    ax.set_axis_off()
    ax.set_aspect("equal")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _table(df: pd.DataFrame, status: list[str] | None = None, status_col: str | None = None
           ) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for k, rec in enumerate(df.itertuples(index=False)):
        cells = []
        for col, v in zip(df.columns, rec, strict=True):
            text = "" if v is None or (isinstance(v, float) and v != v) else str(v)
            cls = f' class="{status[k]}"' if status is not None and col == status_col else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(ev: Evaluation, ws: Workspace, *, lang: str = "zh") -> str:
    """Return the report page as one HTML string (no external references)."""
    png = base64.b64encode(map_png(ev, ws, lang=lang)).decode("ascii")
    check = tables.checklist_table(ev, lang)
    status_col = check.columns[4]
    failing = tables.schools_table(ev, lang)[~ev.indicators["compliant"].to_numpy()]
    parts = [
        f"<!DOCTYPE html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head>"
        f"<meta charset=\"utf-8\"><title>{html.escape(t('report_title', lang))}</title>"
        f"<style>{CSS}</style></head><body>",
        f"<h1>{html.escape(t('report_title', lang))}</h1>",
        f"<div>{html.escape(ws.meta.name)} · {html.escape(ev.standards.name)}</div>",
    ]
    if ws.meta.synthetic:
        parts.append(f"<div class=\"banner\">{html.escape(t('synthetic_banner', lang))}</div>")
    parts += [
        f"<p class=\"verdict\">{html.escape(tables.verdict_text(ev, lang))}</p>",
        f"<img class=\"map\" alt=\"map\" src=\"data:image/png;base64,{png}\">",
        f"<h2>{html.escape(t('sheet_checklist', lang))}</h2>",
        _table(check, list(ev.checklist["status"]), status_col),
        f"<h2>{html.escape(t('sheet_cv', lang))}</h2>",
        _table(tables.cv_table_display(ev, lang)),
        f"<h2>{html.escape(t('sheet_caps', lang))}</h2>",
        _table(tables.caps_table(ev, lang)),
        f"<h2>{html.escape(t('sheet_schools', lang))} — {html.escape(t('status_fail', lang))}"
        "</h2>",
        _table(failing),
        f"<h2>{html.escape(t('sheet_gaps', lang))}</h2>",
        _table(tables.gaps_table(ev, lang)),
    ]
    z = tables.zoning_tables(ev, lang)
    if z:
        parts += [
            f"<h2>{html.escape(t('sheet_zoning', lang))}</h2>", _table(z["sections"]),
            f"<h2>{html.escape(t('sheet_layout', lang))}</h2>", _table(z["layout"]),
            _table(z["tiling"]) if len(z["tiling"]) else "",
            _table(z["unit_problems"]) if len(z["unit_problems"]) else "",
            f"<h2>{html.escape(t('sheet_out_of_zone', lang))}</h2>",
            _table(z["out_of_zone"].head(40)),
        ]
    if ev.notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in ev.notes)
        parts.append(f"<h2>{html.escape(t('sheet_notes', lang))}</h2><ul class=\"notes\">"
                     f"{items}</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(ev: Evaluation, ws: Workspace, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the self-contained report page, atomically."""
    text = render_html(ev, ws, lang=lang)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
