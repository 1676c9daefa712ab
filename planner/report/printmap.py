"""Print maps: a section's catchments on an A4 or A3 page, as PDF (and PNG for Word).

Each map has the catchments coloured and numbered as in the notice, the schools with their
names, the township lines and names, a legend, a scale bar, a north arrow, the data's school
year and the caption that it is a working map (工作用图): a map for publication goes through
the map review of the surveying and mapping authority. Text is drawn with the CJK font shipped
in planner/report/assets/fonts and embedded in the PDF (TrueType outlines, type 42), so a page
prints the same on every computer. Names from the data are never read as mathtext.
"""

from __future__ import annotations

import io
import math

import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle

from planner.i18n import t
from planner.report.figures import draw_catchments, font_family
from planner.workspace import Workspace

# landscape pages with the school key beside the map; "figure": a map for a portrait page of
# a Word document (numbers only: the table below it names the schools)
PAGES_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0), "figure": (170.0, 170.0)}
TOWNSHIP_LINE = "#333333"


def _rc() -> dict:
    return {"pdf.fonttype": 42, "axes.unicode_minus": False,
            "font.family": [font_family(), "DejaVu Sans"]}


def catchment_figure(ws: Workspace, zoning: pd.DataFrame, section: str,
                     numbers: dict[str, int], *, title: str, lang: str = "zh",
                     page: str = "A4") -> Figure:
    """Draw a section's catchments as a print map (see the module docstring)."""
    with rc_context(_rc()):
        w, h = PAGES_MM[page]
        fig = Figure(figsize=(w / 25.4, h / 25.4))
        keyed = page != "figure"
        ax = fig.add_axes((0.03, 0.08, 0.72, 0.84) if keyed else (0.01, 0.07, 0.98, 0.86))
        crs = ws.meta.crs
        draw_catchments(ax, ws, zoning, section, numbers, edge="#666666", width=0.4)
        scale = {"A3": 1.3}.get(page, 1.0)
        _townships(ax, ws, crs, scale)
        schools = ws.schools.set_index("school_id").loc[list(numbers)].to_crs(crs)
        ax.scatter(schools.geometry.x, schools.geometry.y, s=10 * scale, c="#111111",
                   marker="^", zorder=4)
        for sid, geom in zip(schools.index, schools.geometry, strict=True):
            label = f"{numbers[sid]} {schools.at[sid, 'name']}" if keyed else str(numbers[sid])
            ax.annotate(label, (geom.x, geom.y),
                        xytext=(3, 2), textcoords="offset points", fontsize=4.2 * scale,
                        color="#111111", zorder=5, parse_math=False)
        ax.set_aspect("equal")
        ax.set_axis_off()
        _scale_bar(ax, lang)
        _north_arrow(ax, lang)
        _frame_texts(fig, ws, title, lang, scale)
        handles = [Line2D([], [], marker="^", linestyle="", color="#111111",
                          label=t("print_legend_school" if keyed else "print_legend_below",
                                  lang)),
                   Patch(facecolor="#dddddd", edgecolor="#666666",
                         label=t("print_legend_catchment", lang)),
                   Line2D([], [], color=TOWNSHIP_LINE, linewidth=1.4,
                          label=t("print_legend_township", lang))]
        if not keyed:
            ax.legend(handles=handles, loc="lower right", fontsize=6, framealpha=0.9,
                      title=t("print_legend", lang), title_fontsize=7)
            return fig
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.77, 0.92),
                   fontsize=7 * scale, frameon=False, title=t("print_legend", lang),
                   title_fontsize=8 * scale)
        ordered = [f"{n} {schools.at[sid, 'name']}"
                   for sid, n in sorted(numbers.items(), key=lambda kv: kv[1])]
        per = 45  # names per column of the key
        cols = max(1, math.ceil(len(ordered) / per))
        for c in range(cols):
            fig.text(0.77 + c * 0.22 / cols, 0.78, "\n".join(ordered[c * per:(c + 1) * per]),
                     fontsize=(5.0 if cols < 3 else 3.6) * scale, va="top", linespacing=1.2,
                     parse_math=False)
        return fig


def status_figure(ev, ws: Workspace, *, title: str, lang: str = "zh", page: str = "A3"
                  ) -> Figure:
    """The report's map on a page: schools coloured by status, primary catchments, townships."""
    from planner.report.figures import school_status
    from planner.report.style import STATUS_COLOURS

    with rc_context(_rc()):
        w, h = PAGES_MM[page]
        fig = Figure(figsize=(w / 25.4, h / 25.4))
        ax = fig.add_axes((0.03, 0.08, 0.72, 0.84))
        crs = ws.meta.crs
        scale = {"A3": 1.3}.get(page, 1.0)
        if ws.units is not None:
            ws.units.to_crs(crs).boundary.plot(ax=ax, color="#c8c8c8", linewidth=0.3)
        if ws.catchments is not None:
            prim = ws.catchments[ws.catchments["section"] == "primary"].to_crs(crs)
            prim.boundary.plot(ax=ax, color="#7a7a7a", linewidth=0.6)
        _townships(ax, ws, crs, scale)
        status = school_status(ev, ws).to_numpy()
        pts = ws.schools.to_crs(crs).geometry
        for key in ("out", "pass", "fail"):
            mask = status == key
            ax.scatter(pts.x.to_numpy()[mask], pts.y.to_numpy()[mask], s=14 * scale,
                       c=STATUS_COLOURS[key], edgecolors="#333333", linewidths=0.3, zorder=4)
        for name, geom in zip(ws.schools["name"], pts, strict=True):
            ax.annotate(str(name), (geom.x, geom.y), xytext=(3, 2), textcoords="offset points",
                        fontsize=3.6 * scale, color="#111111", zorder=5, parse_math=False)
        ax.set_aspect("equal")
        ax.set_axis_off()
        _scale_bar(ax, lang)
        _north_arrow(ax, lang)
        _frame_texts(fig, ws, title, lang, scale)
        handles = [Line2D([], [], marker="o", linestyle="", color=STATUS_COLOURS[k],
                          label=t(f"map_legend_{k}", lang)) for k in ("pass", "fail", "out")]
        handles += [Line2D([], [], color="#7a7a7a", linewidth=0.8,
                           label=t("print_legend_catchment", lang)),
                    Line2D([], [], color=TOWNSHIP_LINE, linewidth=1.4,
                           label=t("print_legend_township", lang))]
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.77, 0.92),
                   fontsize=7 * scale, frameon=False, title=t("print_legend", lang),
                   title_fontsize=8 * scale)
        return fig


def _frame_texts(fig: Figure, ws: Workspace, title: str, lang: str, scale: float) -> None:
    """The title, and the caption: a working map, the data's year, synthetic data."""
    fig.text(0.03, 0.95, title, fontsize=13 * scale, parse_math=False)
    year = ws.meta.year
    fig.text(0.03, 0.03, "  ".join(x for x in (
        t("print_working_map", lang),
        t("print_data_year", lang, year=year) if year is not None else "",
        t("synthetic_banner", lang) if ws.meta.synthetic else "") if x),
             fontsize=7 * scale, color="#8a6d00")


def _townships(ax, ws: Workspace, crs: str, scale: float) -> None:
    """Township lines (the units dissolved by township) and names."""
    if ws.units is None or "township" not in ws.units.columns:
        return
    units = ws.units.to_crs(crs)
    towns = units.dissolve(by="township")
    towns.boundary.plot(ax=ax, color=TOWNSHIP_LINE, linewidth=1.1 * scale)
    for name, geom in zip(towns.index, towns.geometry, strict=True):
        p = geom.representative_point()
        ax.text(p.x, p.y, str(name), fontsize=6.5 * scale, ha="center", va="center",
                color="#333333", alpha=0.75, parse_math=False, zorder=3)


def _nice_length(span_m: float) -> float:
    """A round scale-bar length of about a fifth of the map's width (1, 2 or 5 × 10^k m)."""
    raw = span_m / 5
    k = 10 ** math.floor(math.log10(raw))
    return max(m * k for m in (1, 2, 5) if m * k <= raw)


def _scale_bar(ax, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    x, y = x0 + 0.02 * (x1 - x0), y0 + 0.03 * (y1 - y0)
    hgt = 0.008 * (y1 - y0)
    for k in range(4):  # alternating quarters
        ax.add_patch(Rectangle((x + k * length / 4, y), length / 4, hgt, facecolor="#111111"
                               if k % 2 == 0 else "white", edgecolor="#111111", linewidth=0.5,
                               zorder=6))
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x + length / 2, y + 2.2 * hgt, text, ha="center", va="bottom", fontsize=6,
            zorder=6)


def _north_arrow(ax, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x1 - 0.05 * (x1 - x0), y1 - 0.12 * (y1 - y0)
    ln = 0.07 * (y1 - y0)
    ax.add_patch(FancyArrow(x, y, 0, ln, width=ln * 0.08, head_width=ln * 0.35,
                            head_length=ln * 0.35, length_includes_head=True,
                            color="#111111", zorder=6))
    ax.text(x, y + ln * 1.08, t("print_north", lang), ha="center", va="bottom", fontsize=9,
            zorder=6)


def figure_pdf(fig: Figure) -> bytes:
    """The figure as a one-page PDF, with no creation date (the same map, the same bytes)."""
    buf = io.BytesIO()
    with rc_context(_rc()):
        fig.savefig(buf, format="pdf", metadata={"CreationDate": None, "Producer": None})
    return buf.getvalue()


def figure_png(fig: Figure, dpi: int = 300) -> bytes:
    """The figure as a PNG at print resolution (for Word)."""
    buf = io.BytesIO()
    with rc_context(_rc()):
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
