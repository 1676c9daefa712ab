"""Figures as SVG: the county map, the catchment maps of the notice, the CV chart, the years.

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
from planner.schema import SECTIONS
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
    with rc_context(_rc(salt)):
        fig = Figure(figsize=(7.2, 6.0))
        fig.set_layout_engine("tight")
        ax = fig.add_subplot()
        crs = ws.meta.crs
        catch = draw_catchments(ax, ws, zoning, section, numbers, edge="#555555", width=0.5)
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


def draw_catchments(ax, ws: Workspace, zoning: pd.DataFrame, section: str,
                    numbers: dict[str, int], *, edge: str, width: float):
    """Fill a section's catchments on `ax`, one colour per numbered school; return them."""
    from planner.plan import catchments_from_zoning

    crs = ws.meta.crs
    part = zoning[[section]].assign(**{s: None for s in ("primary", "junior") if s != section})
    catch = catchments_from_zoning(ws.units, part, crs)
    catch = catch[catch["section"] == section].to_crs(crs)
    colours = dict(zip(sorted(numbers), palette(len(numbers)), strict=True))
    catch.plot(ax=ax, color=[colours.get(s, NONE) for s in catch["school_id"]],
               edgecolor=edge, linewidth=width)
    return catch


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


SECTION_COLOURS = {"primary": "#4c78a8", "junior": "#f58518"}
SIZE_COLOUR = "#6b6b6b"


def _thousands(ax) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)


def _mark_year(ax, years: np.ndarray, year: int | None) -> None:
    ax.set_xticks(years, [str(y) for y in years])
    if year is not None and years[0] < year <= years[-1]:
        ax.axvline(year, color="#888888", linestyle=":", linewidth=1.0, gid="year-selected")


def _hindcast(ax, backtest, sec: str, colour: str, lang: str) -> None:
    """The history's counts of a section (dashed) and the back-test one year ahead (rings)."""
    c, h = backtest.comparisons, backtest.history
    part = c[(c["level"] == "section") & (c["item"] == sec)]
    if part.empty:
        return
    actual = h[h["section"] == sec].set_index("year")["children"]
    first = part[part["horizon"] == 1].set_index("year")["predicted"]
    ax.plot(actual.index.to_numpy(), actual.to_numpy(), color=colour, linestyle="--",
            linewidth=1.0, label=t("years_history", lang, section=t(sec, lang)),
            gid=f"history-{sec}")
    ax.plot(first.index.to_numpy(), first.to_numpy(), linestyle="none", marker="o",
            markersize=5, markerfacecolor="none", markeredgecolor=colour,
            label=t("years_backtest", lang, section=t(sec, lang)), gid=f"backtest-{sec}")


def years_svg(county: pd.DataFrame, *, lang: str = "zh", year: int | None = None,
              salt: str = "years", backtest=None) -> str:
    """Draw the county's pupils by section and year, the low–high band around each.

    `county` is the years table of planner/session.py (`Years.county`: year, section, pupils,
    pupils_low, pupils_high). Each section's central line is labelled with its pupils in the
    first year, in `year` (marked with a dotted line) and in the last year, the last with the
    band's range; the lines have SVG ids ``years-<section>``, the bands ``years-band-<section>``.
    With a `backtest` (planner.backtest.Backtest), the years it covers are drawn before: the
    counts of those years (dashed, ``history-<section>``) and what the method projected for
    each a year ahead (rings, ``backtest-<section>``), so the reader sees how far it was off.
    """
    with rc_context(_rc(salt)):
        fig = Figure(figsize=(8.0, 3.3), layout="constrained")
        ax = fig.add_subplot()
        top = float(county["pupils_high"].max()) if len(county) else 1.0
        if backtest is not None:
            for sec in SECTIONS:
                _hindcast(ax, backtest, sec, SECTION_COLOURS[sec], lang)
        for sec in SECTIONS:
            part = county[county["section"] == sec].sort_values("year")
            if part.empty:
                continue
            x = part["year"].to_numpy()
            y, low, high = (part[c].to_numpy(dtype=float)
                            for c in ("pupils", "pupils_low", "pupils_high"))
            colour = SECTION_COLOURS[sec]
            ax.fill_between(x, low, high, color=colour, alpha=0.18, linewidth=0,
                            gid=f"years-band-{sec}")
            ax.plot(x, y, color=colour, marker="o", markersize=3, linewidth=1.6,
                    label=t("timeline_pupils", lang, section=t(sec, lang)), gid=f"years-{sec}")
            for k in sorted({0, len(x) - 1, *np.flatnonzero(x == year)}):
                text = f"{y[k]:,.0f}"
                if k == len(x) - 1 and low[k] != high[k]:
                    text += f" ({low[k]:,.0f}–{high[k]:,.0f})"
                ax.annotate(text, (x[k], y[k]), textcoords="offset points", xytext=(0, 6),
                            ha="right" if k == len(x) - 1 else "center", fontsize=6.5,
                            color=colour)
        shown = set(county["year"].unique())
        if backtest is not None:
            shown |= set(backtest.history["year"])
        _mark_year(ax, np.array(sorted(int(y) for y in shown)), year)
        ax.set_ylim(0, top * 1.18)
        ax.set_ylabel(column("pupils", lang), fontsize=7)
        _thousands(ax)
        handles, _ = ax.get_legend_handles_labels()
        handles.append(Patch(color="#999999", alpha=0.3, label=t("years_band", lang)))
        ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False)
        return _svg(fig)


def school_years_svg(rows: pd.DataFrame, *, lang: str = "zh", year: int | None = None,
                     salt: str = "school-years") -> str:
    """Draw one school's pupils year by year against its places and its size cap.

    `rows` are the school's rows of the years table (`Years.schools`: year, section, pupils,
    places, size, size_cap). Per section: pupils (SVG id ``school-pupils-<section>``, labelled
    in the first, marked and last year) and places (dashed, ``school-places-<section>``,
    labelled in the last year); a school of two sections also shows its size (both sections).
    The size cap is a dotted line (``school-cap``) when it is within reach of the school's
    numbers; far above them it is named in a corner instead.
    """
    with rc_context(_rc(salt)):
        fig = Figure(figsize=(5.8, 3.1), layout="constrained")
        ax = fig.add_subplot()
        sections = [s for s in SECTIONS if (rows["section"] == s).any()]
        for sec in sections:
            part = rows[rows["section"] == sec].sort_values("year")
            x = part["year"].to_numpy()
            y, places = part["pupils"].to_numpy(float), part["places"].to_numpy(float)
            colour = SECTION_COLOURS[sec]
            ax.plot(x, y, color=colour, marker="o", markersize=3, linewidth=1.6,
                    label=t("timeline_pupils", lang, section=t(sec, lang)),
                    gid=f"school-pupils-{sec}")
            ax.plot(x, places, color=colour, linestyle="--", linewidth=1.1,
                    label=t("timeline_places", lang, section=t(sec, lang)),
                    gid=f"school-places-{sec}")
            for k in sorted({0, len(x) - 1, *np.flatnonzero(x == year)}):
                ax.annotate(f"{y[k]:,.0f}", (x[k], y[k]), textcoords="offset points",
                            xytext=(0, -11), ha="center", fontsize=6.5, color=colour)
            ax.annotate(f"{places[-1]:,.0f}", (x[-1], places[-1]), textcoords="offset points",
                        xytext=(4, 2), ha="left", fontsize=6.5, color=colour)
        by_year = rows.drop_duplicates("year").sort_values("year")
        years = by_year["year"].to_numpy()
        size = by_year["size"].to_numpy(float)
        if len(sections) > 1:
            ax.plot(years, size, color=SIZE_COLOUR, linewidth=1.2,
                    label=t("timeline_size", lang), gid="school-size")
        top = max(float(rows["pupils"].max()), float(rows["places"].max()), float(size.max()),
                  1.0)
        cap = float(rows["size_cap"].iloc[0])
        if np.isfinite(cap) and cap <= 1.6 * top:
            ax.axhline(cap, color=BAD, linestyle=":", linewidth=1.3,
                       label=t("timeline_cap", lang, cap=cap), gid="school-cap")
            top = max(top, cap)
        elif np.isfinite(cap):
            ax.text(0.99, 0.98, t("timeline_cap_far", lang, cap=cap), transform=ax.transAxes,
                    ha="right", va="top", fontsize=6.5, color=BAD)
        _mark_year(ax, years, year)
        ax.set_ylim(0, top * 1.2)
        _thousands(ax)
        fig.legend(loc="outside lower center", fontsize=6.5, frameon=False, ncols=3)
        return _svg(fig)
