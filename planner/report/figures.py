"""Figures as SVG: the county map, the catchment maps of the notice, the CV chart.

Drawn off-screen with matplotlib. Text stays text (``svg.fonttype = "none"``) so the reader's
browser draws Chinese with its own fonts, and a search in the page finds it. matplotlib still
measures text to lay a figure out; it does so with the CJK font shipped in
``planner/report/assets/fonts`` (a renamed subset of Noto Sans CJK SC, SIL Open Font License,
made by ``scripts/make_font.py``), so no figure depends on the fonts installed where it is made
and no glyph is ever missing. Text from data (the county's name) is never read as mathtext.
Every figure takes a `salt` for its SVG ids: two figures in one page never share an id, and
the same figure drawn twice is the same text.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from planner.evaluation import Evaluation
from planner.i18n import column, t
from planner.report.style import BAD, NONE, STATUS_COLOURS, palette
from planner.standards import RESOURCE_IDS
from planner.workspace import Workspace

FONT_FILE = Path(__file__).resolve().parent / "assets" / "fonts" / "PlannerSansSC-Regular.otf"
FONT_FAMILY = "Planner Sans SC"
# what the reader's browser draws SVG text with (the page's CSS applies it to every figure)
BROWSER_FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
                 '"WenQuanYi Zen Hei", "Planner Sans SC", sans-serif')
FIGURE_CSS = (f"svg text {{ font-family: {BROWSER_FONTS} !important; }} "
              ".figure svg { width: 100%; height: auto; }")
CV_OVER = BAD
CV_WITHIN = "#4c78a8"


@functools.cache
def font_family() -> str:
    """Register the shipped CJK font with matplotlib (once per process); return its family."""
    font_manager.fontManager.addfont(str(FONT_FILE))
    return FONT_FAMILY


def _rc(salt: str) -> dict:
    return {"svg.fonttype": "none", "svg.hashsalt": salt, "axes.unicode_minus": False,
            "font.family": [font_family(), "DejaVu Sans"]}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    # inline in HTML: no XML prolog, doctype, namespace declarations (HTML knows them) or
    # metadata block, so the page names no outside address at all
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.index("<svg"):], flags=re.S)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text, count=2)


def school_status(ev: Evaluation, ws: Workspace) -> pd.Series:
    """Return each school's map status: pass, fail (a section fails or a cap is broken), out."""
    ind = ev.indicators
    failing = set(ind.loc[~ind["compliant"], "school_id"]) | set(ev.caps["school_id"])
    evaluated = set(ind["school_id"])
    return pd.Series(["fail" if s in failing else "pass" if s in evaluated else "out"
                      for s in ws.schools["school_id"]], index=ws.schools.index)


def county_svg(ev: Evaluation, ws: Workspace, *, lang: str = "zh", salt: str = "county") -> str:
    """Draw the county (units, primary catchments) with schools coloured by status.

    Markers are sized by pupils. Returns the SVG as text, ready to be placed in a page.
    """
    with rc_context(_rc(salt)):
        fig = Figure(figsize=(7.2, 6.0))
        fig.set_layout_engine("tight")
        ax = fig.add_subplot()
        crs = ws.meta.crs
        if ws.units is not None:
            ws.units.to_crs(crs).boundary.plot(ax=ax, color="#c8c8c8", linewidth=0.3)
        if ws.catchments is not None:
            prim = ws.catchments[ws.catchments["section"] == "primary"].to_crs(crs)
            prim.boundary.plot(ax=ax, color="#7a7a7a", linewidth=0.6)
        status = school_status(ev, ws).to_numpy()
        pts = ws.schools.to_crs(crs).geometry
        pupils = (ws.schools["students_primary"] + ws.schools["students_junior"]).to_numpy()
        size = np.clip(pupils, 30, None) / 60.0
        for key in ("out", "pass", "fail"):
            mask = status == key
            if mask.any():
                ax.scatter(pts.x.to_numpy()[mask], pts.y.to_numpy()[mask], s=size[mask],
                           c=STATUS_COLOURS[key], edgecolors="white", linewidths=0.3, zorder=3)
        handles = [Line2D([], [], marker="o", linestyle="", color=STATUS_COLOURS[k],
                          label=t(f"map_legend_{k}", lang)) for k in ("pass", "fail", "out")]
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
        ax.set_title(ws.meta.name or t("report_title", lang), fontsize=10, parse_math=False)
        if ws.meta.synthetic:
            ax.text(0.99, 0.01, t("synthetic_banner", lang), transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=6.5, color="#8a6d00")
        ax.set_axis_off()
        ax.set_aspect("equal")
        return _svg(fig)


def catchment_svg(ws: Workspace, zoning: pd.DataFrame, section: str, numbers: dict[str, int],
                  *, lang: str = "zh", salt: str = "notice") -> str:
    """Draw a section's catchments, each labelled with its school's number in the notice.

    `zoning` is the plan's unit → school table (columns primary, junior); `numbers` gives the
    number of each school in the notice's table.
    """
    from planner.plan import catchments_from_zoning

    with rc_context(_rc(salt)):
        fig = Figure(figsize=(7.2, 6.0))
        fig.set_layout_engine("tight")
        ax = fig.add_subplot()
        crs = ws.meta.crs
        part = zoning[[section]].assign(**{s: None for s in ("primary", "junior")
                                           if s != section})
        catch = catchments_from_zoning(ws.units, part, crs)
        catch = catch[catch["section"] == section].to_crs(crs)
        colours = dict(zip(sorted(numbers), palette(len(numbers)), strict=True))
        catch.plot(ax=ax, color=[colours.get(s, NONE) for s in catch["school_id"]],
                   edgecolor="#555555", linewidth=0.5)
        for sid, geom in zip(catch["school_id"], catch.geometry, strict=True):
            if sid in numbers:
                p = geom.representative_point()
                ax.text(p.x, p.y, str(numbers[sid]), fontsize=5.5, ha="center", va="center",
                        color="#111111")
        pts = ws.schools.set_index("school_id").loc[list(numbers)].to_crs(crs).geometry
        ax.scatter(pts.x, pts.y, s=4, c="#111111", zorder=3)
        ax.set_title(t(section, lang), fontsize=10)
        ax.set_axis_off()
        ax.set_aspect("equal")
        return _svg(fig)


def cv_svg(ev: Evaluation, *, lang: str = "zh", salt: str = "cv") -> str:
    """Draw the R1–R7 CVs of both sections side by side as horizontal bars.

    Each section's limit is a vertical line (SVG id ``cv-limit-<section>``); bars over it are
    red. A CV that cannot be computed is left out and marked "—".
    """
    cvs = ev.cvs[ev.cvs["id"].isin(RESOURCE_IDS)]
    with rc_context(_rc(salt)):
        fig = Figure(figsize=(9.0, 3.5), layout="constrained")
        axes = fig.subplots(1, 2, sharey=True)
        labels = [column(r, lang) for r in RESOURCE_IDS]
        y = np.arange(len(RESOURCE_IDS))[::-1]
        top = max(0.6, float(np.nanmax(pd.to_numeric(cvs["cv"], errors="coerce").to_numpy(
            dtype=float), initial=0.0)) * 1.15)
        for ax, section in zip(axes, ("primary", "junior"), strict=True):
            part = cvs[cvs["section"] == section].set_index("id").reindex(list(RESOURCE_IDS))
            values = pd.to_numeric(part["cv"], errors="coerce").to_numpy(dtype=float)
            limit = float(pd.to_numeric(part["limit"], errors="coerce").dropna().iloc[0]) if \
                part["limit"].notna().any() else ev.standards.section(section).cv_limit
            over = values > limit + 1e-12
            ax.barh(y, np.nan_to_num(values), color=np.where(over, CV_OVER, CV_WITHIN),
                    height=0.62)
            for yi, v in zip(y, values, strict=True):
                ax.text((0 if v != v else v) + top * 0.01, yi, "—" if v != v else f"{v:.3f}",
                        va="center", fontsize=7)
            ax.axvline(limit, color="#222222", linestyle="--", linewidth=1.2,
                       gid=f"cv-limit-{section}")
            ax.text(limit + top * 0.01, len(y) - 0.45, f"{column('limit', lang)} {limit:.2f}",
                    fontsize=7, ha="left", va="bottom")
            ax.set_xlim(0, top)
            ax.set_ylim(-0.6, len(y) + 0.1)
            ax.set_title(t(section, lang), fontsize=9)
            ax.tick_params(labelsize=7)
            ax.spines[["top", "right"]].set_visible(False)
        axes[0].set_yticks(y, labels)
        fig.legend(handles=[Patch(color=CV_WITHIN, label=t("cv_within", lang)),
                            Patch(color=CV_OVER, label=t("cv_over", lang))],
                   loc="outside lower center", fontsize=7, ncols=2, frameon=False)
        return _svg(fig)


