"""A province's batch result rendered: the tables, a GeoPackage, a workbook and an HTML report.

The batch (:mod:`planner.batch`) gives one row per county. This module writes them as
`counties.parquet` and `counties.gpkg` (the same columns, with each county's outline), the
workbook `province.xlsx` (ranking, checklist statuses, CVs, failing school sections by reason,
counties that failed, pupils by year when projected) and `province.html`: one self-contained
page (no external file, script or font) with a map of the counties as inline SVG coloured by
verdict or by any CV (a selector), the ranking table, the indicators that hold counties back
and the counties that failed with their messages. Names and messages are data: they reach
the page only through `html.escape` or as JSON inside a non-executable script element with
`<`, `>` and `&` escaped.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.checklist import CHECKLIST_IDS, NAMES
from planner.errors import InputError
from planner.i18n import t
from planner.io.gpkg import atomic_write
from planner.standards import RESOURCE_IDS, RESOURCE_KEYS

TABLE_FILE = "counties.parquet"
GPKG_FILE = "counties.gpkg"
XLSX_FILE = "province.xlsx"
HTML_FILE = "province.html"
REPORT_FILE = "report.html"
SECTIONS = ("primary", "junior")
VERDICT_COLOURS = {"pass": "#2ca02c", "incomplete": "#f2c14e", "fail": "#d62728",
                   "failed": "#9e9e9e"}
STATUS_FILLS = {"pass": "C6EFCE", "fail": "FFC7CE", "missing": "FFEB9C"}
NONE_COLOUR = "#d9d9d9"
CV_BINS = ((0.5, "#1a9850"), (0.8, "#91cf60"), (1.0, "#fee08b"), (1.2, "#fc8d59"),
           (math.inf, "#d73027"))  # CV ÷ its limit: up to 0.5, 0.8, 1.0, 1.2, above
RAMP = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")

# the province's words (Chinese, English); the evaluation's own come from planner.i18n
TEXT: dict[str, tuple[str, str]] = {
    "page_province": ("省级汇总", "Province"),
    "title": ("县域义务教育优质均衡发展 · 省级汇总",
              "High-quality balanced compulsory education · province"),
    "summary": ("{n} 个县：{ok} 个完成评估，{failed} 个未完成",
                "{n} counties: {ok} evaluated, {failed} not"),
    "synthetic": ("示范数据为合成数据，并非真实县域。",
                  "The demo data is synthetic, not real counties."),
    "map": ("县域地图", "Map of the counties"),
    "colour_by": ("着色", "Colour by"),
    "ranking": ("排名", "Ranking"),
    "holding_back": ("制约达标的指标（未达标县数）",
                     "Indicators holding counties back (counties failing)"),
    "failed_counties": ("未完成的县", "Counties that did not complete"),
    "no_failed": ("所有县均已完成。", "Every county completed."),
    "pupils_by_year": ("分年度学生数（预测）", "Pupils by year (projected)"),
    "report": ("县级报告", "county report"),
    "counties_failing": ("未达标县数", "counties failing"),
    "counties_missing": ("缺数据县数", "counties missing data"),
    "sheet_ranking": ("排名", "ranking"),
    "sheet_checklist": ("检查表", "checklist"),
    "sheet_cv": ("差异系数", "CVs"),
    "sheet_reasons": ("未达标原因", "failing by reason"),
    "sheet_failed": ("未完成", "not completed"),
    "sheet_pupils": ("分年度学生数", "pupils by year"),
    "sheet_all": ("全部字段", "all columns"),
    "sheet_notes": ("说明", "notes"),
    "verdict_failed": ("未完成", "not completed"),
    "legend_cv": ("差异系数 ÷ 限值", "CV ÷ limit"),
    "no_map": ("没有可绘制的县域边界。", "No county outline to draw."),
    "note_rank": ("排名：先按结论（达标、缺数据、未达标），再按未达标项数、缺数据项数、"
                  "未达标学校学段比例、超限差异系数个数和最大差异系数与限值之比。",
                  "Rank: by verdict (pass, incomplete, fail), then failing rows, missing rows, "
                  "share of failing school sections, CVs over their limits, and the largest CV "
                  "against its limit."),
    "note_files": ("各县结果见 counties/<县>/（result.json、report.html 等）。",
                   "Each county's results are in counties/<key>/ (result.json, report.html, …)."),
    "pick_folder": ("省级结果文件夹（planner batch --out 的目录）",
                    "Province result folder (the --out of planner batch)"),
    "pick_hint": ("请填写 planner batch 输出的文件夹路径。",
                  "Give the folder written by planner batch."),
    "pick_county": ("查看县级报告", "Open a county's report"),
    "no_report": ("该县没有县级报告（批处理时使用了 --no-reports 或该县未完成）。",
                  "This county has no report (the batch ran with --no-reports, or the county "
                  "did not complete)."),
    "province_load_failed": ("无法打开省级结果：", "Cannot open the province result:"),
}

LABELS: dict[str, tuple[str, str]] = {
    "rank": ("排名", "rank"), "county": ("县", "county"), "workspace": ("工作区", "workspace"),
    "key": ("目录", "folder"), "status": ("运行状态", "run status"), "message": ("说明", "message"),
    "verdict": ("评估结论", "verdict"), "pass": ("达标项", "pass"), "fail": ("未达标项", "fail"),
    "missing": ("缺数据项", "missing"), "synthetic": ("合成数据", "synthetic"),
    "profile": ("评估标准", "profile"), "year": ("学年", "school year"),
    "schools": ("学校数", "schools"), "students_primary": ("小学在校生", "primary pupils"),
    "students_junior": ("初中在校生", "junior pupils"),
    "school_sections": ("学校学段数", "school sections"),
    "school_sections_failing": ("未达标学校学段", "school sections failing"),
    "failing_primary": ("未达标小学学段", "primary sections failing"),
    "failing_junior": ("未达标初中学段", "junior sections failing"),
    "cv_limit_primary": ("小学差异系数限值", "primary CV limit"),
    "cv_limit_junior": ("初中差异系数限值", "junior CV limit"),
    "cvs_over": ("超限差异系数", "CVs over limit"),
    "cv_max_ratio": ("最大差异系数÷限值", "largest CV ÷ limit"),
    "caps_size": ("超规模学校", "schools over size"),
    "caps_class_primary": ("有超标班额的小学",
                          "primary schools with classes over the class-size standard"),
    "caps_class_junior": ("有超标班额的初中",
                         "junior schools with classes over the class-size standard"),
    "roadmap_scenario": ("路线图方案", "roadmap scenario"),
    "roadmap_cost_yuan": ("路线图投入(元)", "roadmap cost (yuan)"),
    "roadmap_years": ("路线图年数", "roadmap years"),
    "roadmap_actions": ("路线图措施数", "roadmap actions"),
    "roadmap_teachers": ("需增教师", "teachers to hire"),
    "roadmap_unscheduled": ("预算内未排期措施", "actions beyond the budget"),
}
_SEC = {"primary": ("小学", "primary"), "junior": ("初中", "junior")}


def text(key: str, lang: str = "zh", **values: object) -> str:
    """Return a province string in `lang` (a missing key is a bug and raises)."""
    zh, en = TEXT[key]
    out = zh if lang == "zh" else en
    return out.format(**values) if values else out


def label(col: str, lang: str = "zh") -> str:
    """Return the display header of a province table column in `lang`."""
    z = 0 if lang == "zh" else 1
    if col in LABELS:
        return LABELS[col][z]
    parts = col.split("_")
    if col.startswith("cv_") and parts[1] in _SEC:
        key = col[len(f"cv_{parts[1]}_"):]
        rid = RESOURCE_IDS[RESOURCE_KEYS.index(key)] if key in RESOURCE_KEYS else key
        return f"{_SEC[parts[1]][z]} {rid} {'差异系数' if z == 0 else 'CV'}"
    if col.startswith("failing_") and len(parts) == 3 and parts[1] in _SEC:
        return (f"{_SEC[parts[1]][0]}未达{parts[2]}学段" if z == 0
                else f"{parts[1]} sections missing {parts[2]}")
    if col.startswith("status_"):
        return col[len("status_"):]
    if col.startswith("pupils_") and parts[1] in _SEC and len(parts) >= 3:
        variant = {"low": ("低方案", "low"), "high": ("高方案", "high")}.get(parts[-1])
        suffix = f" {variant[z]}" if variant and len(parts) == 4 else ""
        return (f"{parts[2]}年{_SEC[parts[1]][0]}学生{suffix}" if z == 0
                else f"{parts[1]} pupils {parts[2]}{suffix}")
    if col.startswith("seats_short_") and parts[2] in _SEC:
        year = f" {parts[3]}" if len(parts) > 3 else ""
        return (f"{_SEC[parts[2]][0]}缺学位{year}" if z == 0
                else f"{parts[2]} seats short{year}")
    if col.startswith("optimise_") and parts[1] in _SEC:
        what = "_".join(parts[2:])
        return f"{_SEC[parts[1]][z]} {'优化' if z == 0 else 'optimiser'} {what}"
    return col


def verdict_label(verdict: object, status: str, lang: str = "zh") -> str:
    """The verdict as words; "not completed" for a county that failed to run."""
    if status != "ok" or not isinstance(verdict, str):
        return text("verdict_failed", lang)
    return t(f"verdict_{verdict}", lang)


# --- reading and writing the tables ----------------------------------------------------------

def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy without pandas extension types (for GeoPackage and Excel); rank as a float."""
    out = frame.copy()
    if "rank" in out:
        out["rank"] = out["rank"].astype("float64")
    return out


def write_table(out_dir: Path, table: pd.DataFrame) -> Path:
    """Write `counties.parquet`, atomically (rank as a nullable integer)."""
    return atomic_write(Path(out_dir) / TABLE_FILE, lambda tmp: table.to_parquet(tmp,
                                                                                 index=False))


def outlines(table: pd.DataFrame, results: dict[str, dict]) -> gpd.GeoDataFrame:
    """The table with each county's outline (WGS84; empty for a county without one)."""
    geoms = []
    for key in table["key"]:
        wkt = (results.get(key) or {}).get("outline_wkt")
        geoms.append(shapely.from_wkt(wkt) if wkt else None)
    return gpd.GeoDataFrame(_plain(table), geometry=geoms, crs="EPSG:4326")


def write_gpkg(out_dir: Path, table: pd.DataFrame, results: dict[str, dict]) -> Path:
    """Write `counties.gpkg`: layer `counties`, the table's columns with the outlines."""
    import pyogrio

    gdf = outlines(table, results)
    for col in gdf.columns:
        if gdf[col].dtype == object and col != "geometry":
            values = gdf[col].dropna()
            flags = len(values) and all(isinstance(v, bool | np.bool_) for v in values)
            gdf[col] = gdf[col].astype("boolean" if flags else "string")
    return atomic_write(Path(out_dir) / GPKG_FILE,
                        lambda tmp: pyogrio.write_dataframe(gdf, tmp, layer="counties",
                                                            driver="GPKG"))


def write_province(out_dir: Path, table: pd.DataFrame, results: dict[str, dict], *,
                   lang: str = "zh") -> list[Path]:
    """Write the four province files; return their paths."""
    out_dir = Path(out_dir)
    gdf = outlines(table, results)
    reports = {k for k in table["key"] if (out_dir / "counties" / k / REPORT_FILE).is_file()}
    page = render_html(gdf, lang=lang, reports=reports)
    return [
        write_table(out_dir, table),
        write_gpkg(out_dir, table, results),
        write_workbook(out_dir / XLSX_FILE, table, lang=lang),
        atomic_write(out_dir / HTML_FILE, lambda tmp: tmp.write_text(page, encoding="utf-8")),
    ]


def read_province(folder: str | Path) -> gpd.GeoDataFrame:
    """Read a province result folder: the table with the outlines (for the app).

    Raises
    ------
    InputError
        The folder has no readable `counties.parquet`.
    """
    folder = Path(folder)
    path = folder / TABLE_FILE
    if not path.is_file():
        raise InputError.single(str(folder), f"no {TABLE_FILE} here: expected the folder that "
                                "`planner batch … --out DIR` wrote")
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError.single(TABLE_FILE, f"cannot be read ({str(exc)[:120]})") from None
    geoms = [None] * len(table)
    gpkg = folder / GPKG_FILE
    if gpkg.is_file():
        import pyogrio

        try:
            g = pyogrio.read_dataframe(gpkg, layer="counties", columns=["key"])
            by_key = dict(zip(g["key"], g.geometry, strict=True))
            geoms = [by_key.get(k) for k in table["key"]]
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, KeyError):
            pass
    return gpd.GeoDataFrame(table, geometry=geoms, crs="EPSG:4326")


def report_path(folder: str | Path, key: str) -> Path | None:
    """The county's report in a province result folder, if it has one."""
    p = Path(folder) / "counties" / key / REPORT_FILE
    return p if p.is_file() else None


# --- colours ---------------------------------------------------------------------------------

def colour_options(table: pd.DataFrame, lang: str = "zh") -> list[tuple[str, str]]:
    """Return what the map can be coloured by: (column, label), the verdict first."""
    opts = [("verdict", label("verdict", lang))]
    for col in ("fail", "school_sections_failing", "cvs_over"):
        if col in table:
            opts.append((col, label(col, lang)))
    for sec in SECTIONS:
        for key in RESOURCE_KEYS:
            col = f"cv_{sec}_{key}"
            if col in table:
                opts.append((col, label(col, lang)))
    extra = [c for c in table.columns if c.startswith(("seats_short_", "roadmap_cost_yuan"))
             or (c.startswith("pupils_") and not c.endswith(("_low", "_high")))]
    opts += [(c, label(c, lang)) for c in extra]
    return opts


def colours(table: pd.DataFrame, column: str, lang: str = "zh"
            ) -> tuple[list[str], list[tuple[str, str]]]:
    """Return each county's fill for a column, and the legend as (colour, label) pairs."""
    if column == "verdict":
        keys = [v if s == "ok" and isinstance(v, str) else "failed"
                for v, s in zip(table.get("verdict", [None] * len(table)), table["status"],
                                strict=True)]
        fills = [VERDICT_COLOURS.get(k, NONE_COLOUR) for k in keys]
        shown = [k for k in VERDICT_COLOURS if k in keys]
        return fills, [(VERDICT_COLOURS[k], text("verdict_failed", lang) if k == "failed"
                        else t(f"verdict_{k}", lang)) for k in shown]
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    if column.startswith("cv_") and column.split("_")[1] in SECTIONS:
        sec = column.split("_")[1]
        limit = pd.to_numeric(table.get(f"cv_limit_{sec}"), errors="coerce")
        ratio = values / limit.to_numpy(dtype=float) if limit is not None else values
        fills = [NONE_COLOUR if not np.isfinite(r) else next(c for b, c in CV_BINS if r <= b)
                 for r in ratio]
        edges = [0.0] + [b for b, _ in CV_BINS[:-1]]
        names = [f"≤ {CV_BINS[0][0]:g}"] + [f"{a:g}–{b:g}" for a, b in
                                            zip(edges[1:-1], edges[2:], strict=True)]
        names.append(f"> {CV_BINS[-2][0]:g}")
        head = text("legend_cv", lang)
        return fills, [(c, f"{head} {n}") for (_, c), n in zip(CV_BINS, names, strict=True)]
    finite = values[np.isfinite(values)]
    if not len(finite):
        return [NONE_COLOUR] * len(values), []
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        idx = np.zeros(len(values), dtype=int)
    else:
        scaled = np.nan_to_num((values - lo) / (hi - lo) * len(RAMP))
        idx = np.clip(np.floor(scaled).astype(int), 0, len(RAMP) - 1)
    fills = [RAMP[i] if np.isfinite(v) else NONE_COLOUR for i, v in zip(idx, values,
                                                                          strict=True)]
    if hi <= lo:
        return fills, [(RAMP[0], _fmt(lo))]
    step = (hi - lo) / len(RAMP)
    legend = [(RAMP[i], f"{_fmt(lo + i * step)}–{_fmt(lo + (i + 1) * step)}")
              for i in range(len(RAMP))]
    return fills, legend


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def province_map(gdf: gpd.GeoDataFrame, column: str = "verdict", *, lang: str = "zh"):
    """Draw the counties coloured by a column as a folium map (offline: no basemap).

    Each county is its own layer with an escaped tooltip (its name and the value shown).
    """
    import folium

    from planner.report.maps import APP_LEAFLET_CSS, APP_LEAFLET_JS

    m = folium.Map(tiles=None, control_scale=True)
    m.default_js, m.default_css = APP_LEAFLET_JS, APP_LEAFLET_CSS
    have = gdf[[g is not None and not g.is_empty for g in gdf.geometry]]
    if len(have):
        minx, miny, maxx, maxy = have.total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    fills, _ = colours(gdf, column, lang)
    by_key = dict(zip(gdf["key"], fills, strict=True))
    for rec in have.to_dict("records"):
        value = rec.get(column)
        shown = (verdict_label(value, rec["status"], lang) if column == "verdict"
                 else "—" if _cell(value) is None else
                 _fmt(value) if isinstance(value, float) else str(value))
        folium.GeoJson(
            shapely.geometry.mapping(rec["geometry"]),
            style_function=lambda _f, c=by_key[rec["key"]]: {
                "fillColor": c, "color": "#555555", "weight": 1, "fillOpacity": 0.8},
            tooltip=folium.Tooltip(f"{html.escape(str(rec['county']))}: "
                                   f"{html.escape(shown)}"),
        ).add_to(m)
    return m


def county_at(gdf: gpd.GeoDataFrame, lon: float, lat: float) -> str | None:
    """The key of the county whose outline holds a point, or None."""
    point = shapely.Point(lon, lat)
    for key, geom in zip(gdf["key"], gdf.geometry, strict=True):
        if geom is not None and geom.contains(point):
            return str(key)
    return None


# --- the workbook ----------------------------------------------------------------------------

def display_table(table: pd.DataFrame, cols: Sequence[str], lang: str) -> pd.DataFrame:
    """The columns asked for, with verdicts and run statuses as words and headers in `lang`."""
    out = table[[c for c in cols if c in table]].copy()
    if "verdict" in out:
        out["verdict"] = [verdict_label(v, s, lang) for v, s in
                          zip(table["verdict"], table["status"], strict=True)]
    if "status" in out:
        out["status"] = ["完成" if s == "ok" and lang == "zh" else
                         "失败" if lang == "zh" else s for s in table["status"]]
    for col in out.columns:  # counts that are floats only because a failed county has none
        values = out[col]
        if values.dtype == float and values.notna().any() and (values.dropna() % 1 == 0).all():
            out[col] = values.astype("Int64")
    return out.rename(columns=lambda c: label(c, lang))


def ranking_columns(table: pd.DataFrame) -> list[str]:
    """The columns of the ranking table, in order."""
    cols = ["rank", "county", "verdict", "pass", "fail", "missing", "school_sections_failing",
            "school_sections", "cvs_over", "cv_max_ratio", "caps_size"]
    cols += [c for c in table.columns if c.startswith("seats_short_") or c == "roadmap_cost_yuan"]
    return [c for c in cols if c in table]


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """The table sorted by rank (counties that did not complete last, in input order)."""
    return table.sort_values("rank", kind="stable", na_position="last")


def holding_back(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """For each checklist row some county does not meet: how many fail it, how many lack data."""
    rows = []
    for cid in CHECKLIST_IDS:
        col = f"status_{cid}"
        if col not in table:
            continue
        rows.append({"id": cid, "name": NAMES[cid][0 if lang == "zh" else 1],
                     "fail": int((table[col] == "fail").sum()),
                     "missing": int((table[col] == "missing").sum())})
    frame = pd.DataFrame(rows, columns=["id", "name", "fail", "missing"])
    frame = frame[(frame["fail"] > 0) | (frame["missing"] > 0)]  # rows met everywhere: left out
    frame = frame.sort_values(["fail", "missing"], ascending=False, kind="stable")
    return frame.rename(columns={"id": "编号" if lang == "zh" else "id",
                                 "name": "名称" if lang == "zh" else "name",
                                 "fail": text("counties_failing", lang),
                                 "missing": text("counties_missing", lang)})


def pupils_by_year(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame | None:
    """Province totals of projected pupils by year and section, or None without projection."""
    rows = []
    for col in table.columns:
        parts = col.split("_")
        if col.startswith("pupils_") and len(parts) == 3 and parts[1] in SECTIONS:
            rows.append({"year": int(parts[2]), "section": parts[1],
                         "pupils": float(pd.to_numeric(table[col], errors="coerce").sum())})
    if not rows:
        return None
    frame = pd.DataFrame(rows).pivot_table(index="year", columns="section", values="pupils",
                                           aggfunc="sum").reset_index()
    return frame.rename(columns={"year": "学年" if lang == "zh" else "year",
                                 **{s: _SEC[s][0 if lang == "zh" else 1] for s in SECTIONS}})


def write_workbook(path: Path, table: pd.DataFrame, *, lang: str = "zh") -> Path:
    """Write the province workbook (ranking, checklist, CVs, reasons, failed, notes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    fills = {k: PatternFill("solid", fgColor=v) for k, v in STATUS_FILLS.items()}
    wb = Workbook()
    wb.remove(wb.active)
    order = ranked(table)

    def sheet(title: str, frame: pd.DataFrame, widths: dict[int, int] | None = None):
        ws = wb.create_sheet(title[:31])
        for j, name in enumerate(frame.columns, start=1):
            cell = ws.cell(row=1, column=j, value=str(name))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            ws.column_dimensions[cell.column_letter].width = (widths or {}).get(j, 14)
        for i, row in enumerate(frame.itertuples(index=False), start=2):
            for j, value in enumerate(row, start=1):
                ws.cell(row=i, column=j, value=_cell(value))
        ws.freeze_panes = "C2" if len(frame.columns) > 2 else "A2"
        return ws

    sheet(text("sheet_ranking", lang), display_table(order, ranking_columns(table), lang),
          {2: 18, 3: 22})
    status_cols = [c for c in table.columns if c.startswith("status_")]
    ws = sheet(text("sheet_checklist", lang),
               display_table(order, ["county", *status_cols], lang), {1: 18})
    for i, row in enumerate(order[status_cols].itertuples(index=False), start=2):
        for j, value in enumerate(row, start=2):
            if value in fills:
                ws.cell(row=i, column=j).fill = fills[value]
                ws.cell(row=i, column=j).value = t(f"status_{value}", lang)
    cv_cols = [c for c in table.columns if c.startswith("cv_") and c.split("_")[1] in SECTIONS]
    ws = sheet(text("sheet_cv", lang), display_table(order, ["county", *cv_cols], lang), {1: 18})
    for j, col in enumerate(cv_cols, start=2):
        limit = order.get(f"cv_limit_{col.split('_')[1]}")
        for i, (v, lim) in enumerate(zip(order[col], limit, strict=True), start=2):
            if _cell(v) is not None and _cell(lim) is not None:
                ws.cell(row=i, column=j).fill = fills["pass" if v <= lim else "fail"]
    reason_cols = [c for c in table.columns if c.startswith(("failing_", "caps_"))]
    sheet(text("sheet_reasons", lang), display_table(order, ["county", "school_sections",
                                                        *reason_cols], lang), {1: 18})
    failed = table[table["status"] != "ok"]
    sheet(text("sheet_failed", lang),
          display_table(failed, ["county", "workspace", "message"], lang), {1: 18, 2: 40, 3: 100})
    pupils = pupils_by_year(table, lang)
    if pupils is not None:
        sheet(text("sheet_pupils", lang), pupils)
    sheet(text("sheet_all", lang), _plain(table))
    notes = [text("note_rank", lang), text("note_files", lang)]
    if "synthetic" in table and table["synthetic"].fillna(False).astype(bool).any():
        notes.insert(0, text("synthetic", lang))
    sheet(text("sheet_notes", lang), pd.DataFrame({"—": notes}), {1: 140})
    return atomic_write(path, wb.save)


def _cell(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


# --- the HTML page ---------------------------------------------------------------------------

CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10pt; color: #222; max-width: 1100px; margin: 0 auto; padding: 0 12px; }
h1 { font-size: 16pt; margin: 12px 0 4px; }
h2 { font-size: 12pt; margin: 16px 0 6px; border-bottom: 1px solid #888; }
.banner { background: #fff3cd; border: 1px solid #e0c060; padding: 4px 8px; margin: 6px 0; }
#county-map { width: 100%; max-height: 640px; border: 1px solid #ccc; background: #fbfbfb; }
#county-map path.county { stroke: #555; stroke-width: 0.6; cursor: pointer; }
#county-map path.county:hover, #county-map path.county.picked { stroke: #000; stroke-width: 2; }
#county-map text { font-size: 10px; fill: #222; pointer-events: none; text-anchor: middle; }
#legend span.swatch { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 10px;
                      vertical-align: middle; border: 1px solid #777; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #ddebf7; }
tr.picked td { background: #fff2a8; }
td.v-pass { background: #c6efce; } td.v-fail { background: #ffc7ce; }
td.v-incomplete { background: #ffeb9c; } td.v-failed { background: #e0e0e0; }
"""

# Static: reads the data element, never builds markup from data (textContent only).
SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById('province-data').textContent);
  var select = document.getElementById('colour-by');
  var legend = document.getElementById('legend');
  function paint() {
    var opt = data.options[select.value];
    document.querySelectorAll('#county-map path.county').forEach(function (p) {
      var c = opt.fills[p.getAttribute('data-key')];
      if (c) { p.setAttribute('fill', c); }
    });
    legend.textContent = '';
    opt.legend.forEach(function (item) {
      var sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = item[0];
      legend.appendChild(sw);
      legend.appendChild(document.createTextNode(item[1]));
    });
  }
  function pick(key) {
    document.querySelectorAll('.picked').forEach(function (e) { e.classList.remove('picked'); });
    var row = document.querySelector('tr[data-key="' + CSS.escape(key) + '"]');
    var path = document.querySelector('path[data-key="' + CSS.escape(key) + '"]');
    if (path) { path.classList.add('picked'); }
    if (row) { row.classList.add('picked'); row.scrollIntoView({block: 'center'}); }
  }
  select.addEventListener('change', paint);
  document.querySelectorAll('#county-map path.county').forEach(function (p) {
    p.addEventListener('click', function () { pick(p.getAttribute('data-key')); });
  });
  paint();
})();
"""


def _json_for_script(value: object) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` appears literally."""
    return (json.dumps(value, ensure_ascii=False, allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _svg(gdf: gpd.GeoDataFrame, fills: list[str], lang: str) -> str:
    """The counties as SVG paths (an equirectangular view scaled by the mean latitude)."""
    have = [g is not None and not g.is_empty for g in gdf.geometry]
    if not any(have):
        return f"<p id=\"county-map\">{html.escape(text('no_map', lang))}</p>"
    shapes = gdf.geometry[have]
    minx, miny, maxx, maxy = shapes.total_bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    width = 1000.0
    scale = width / max((maxx - minx) * k, 1e-9)
    height = max((maxy - miny) * scale, 1.0)
    pad = 10.0

    def xy(coords) -> str:
        a = np.asarray(coords)[:, :2]
        xs = (a[:, 0] - minx) * k * scale + pad
        ys = (maxy - a[:, 1]) * scale + pad
        return "L".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))

    parts = [f"<svg id=\"county-map\" xmlns=\"http://www.w3.org/2000/svg\" "
             f"viewBox=\"0 0 {width + 2 * pad:.0f} {height + 2 * pad:.0f}\" role=\"img\">"]
    labels = []
    for (key, name), geom, fill, ok in zip(zip(gdf["key"], gdf["county"], strict=True),
                                           gdf.geometry, fills, have, strict=True):
        if not ok:
            continue
        d = []
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon":
                continue
            d += [f"M{xy(ring.coords)}Z" for ring in (poly.exterior, *poly.interiors)]
        k_attr = html.escape(str(key), quote=True)
        parts.append(f"<path class=\"county\" data-key=\"{k_attr}\" fill=\"{fill}\" "
                     f"fill-rule=\"evenodd\" d=\"{''.join(d)}\"><title>"
                     f"{html.escape(str(name))}</title></path>")
        c = geom.representative_point()
        cx, cy = (c.x - minx) * k * scale + pad, (maxy - c.y) * scale + pad
        labels.append(f"<text x=\"{cx:.1f}\" y=\"{cy:.1f}\">{html.escape(str(name))}</text>")
    parts += labels
    parts.append("</svg>")
    return "".join(parts)


def _html_table(frame: pd.DataFrame, *, table_id: str, lang: str = "zh",
                keys: Sequence[str] | None = None,
                verdicts: Sequence[str] | None = None, verdict_col: int | None = None,
                links: dict[str, str] | None = None, link_col: int | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, rec in enumerate(frame.itertuples(index=False)):
        cells = []
        for j, v in enumerate(rec):
            value = _cell(v)
            shown = "" if value is None else (_fmt(value) if isinstance(value, float)
                                              else str(value))
            cls = ""
            if verdicts is not None and j == verdict_col:
                cls = f" class=\"v-{html.escape(verdicts[i], quote=True)}\""
            body = html.escape(shown)
            if links is not None and j == link_col and keys is not None and keys[i] in links:
                body += (f" <a href=\"{html.escape(links[keys[i]], quote=True)}\">"
                         f"[{html.escape(text('report', lang))}]</a>")
            cells.append(f"<td{cls}>{body}</td>")
        key_attr = (f" data-key=\"{html.escape(str(keys[i]), quote=True)}\""
                    if keys is not None else "")
        rows.append(f"<tr{key_attr}>{''.join(cells)}</tr>")
    return (f"<table id=\"{table_id}\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def render_html(gdf: gpd.GeoDataFrame, *, lang: str = "zh", reports: set[str] | None = None
                ) -> str:
    """Return the province page as one self-contained HTML string.

    Parameters
    ----------
    gdf
        The province table with the outlines (:func:`outlines`).
    lang
        "zh" or "en".
    reports
        Keys of the counties that have a report in `counties/<key>/report.html` (linked from
        the ranking).
    """
    reports = reports or set()
    n = len(gdf)
    ok = int((gdf["status"] == "ok").sum())
    options = colour_options(gdf, lang)
    data = {"options": {}}
    for col, name in options:
        fills, legend = colours(gdf, col, lang)
        data["options"][col] = {"label": name, "legend": [list(x) for x in legend],
                                "fills": dict(zip(map(str, gdf["key"]), fills, strict=True))}
    first_fills, _ = colours(gdf, "verdict", lang)
    select = "".join(f"<option value=\"{html.escape(col, quote=True)}\">"
                     f"{html.escape(name)}</option>" for col, name in options)
    order = ranked(gdf)
    rank_cols = ranking_columns(gdf)
    rank_frame = display_table(order, rank_cols, lang)
    verdict_keys = [v if s == "ok" and isinstance(v, str) else "failed"
                    for v, s in zip(order.get("verdict", [None] * n), order["status"],
                                    strict=True)]
    links = {k: f"counties/{k}/{REPORT_FILE}" for k in gdf["key"] if k in reports}
    parts = [
        f"<!DOCTYPE html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head>"
        f"<meta charset=\"utf-8\"><title>{html.escape(text('title', lang))}</title>"
        f"<style>{CSS}</style></head><body>",
        f"<h1>{html.escape(text('title', lang))}</h1>",
        f"<p id=\"summary\">{html.escape(text('summary', lang, n=n, ok=ok, failed=n - ok))}"
        "</p>",
    ]
    if "synthetic" in gdf and gdf["synthetic"].fillna(False).astype(bool).any():
        parts.append(f"<div class=\"banner\">{html.escape(text('synthetic', lang))}</div>")
    parts += [
        f"<h2>{html.escape(text('map', lang))}</h2>",
        f"<label for=\"colour-by\">{html.escape(text('colour_by', lang))}</label> "
        f"<select id=\"colour-by\">{select}</select><div id=\"legend\"></div>",
        _svg(gdf, first_fills, lang),
        f"<h2>{html.escape(text('ranking', lang))}</h2>",
        _html_table(rank_frame, table_id="ranking", lang=lang, keys=list(order["key"]),
                    verdicts=verdict_keys, verdict_col=rank_cols.index("verdict")
                    if "verdict" in rank_cols else None,
                    links=links, link_col=rank_cols.index("county")),
        f"<h2>{html.escape(text('holding_back', lang))}</h2>",
        _html_table(holding_back(gdf, lang), table_id="holding-back"),
        f"<h2>{html.escape(text('failed_counties', lang))}</h2>",
    ]
    failed = gdf[gdf["status"] != "ok"]
    if len(failed):
        parts.append(_html_table(display_table(failed, ["county", "workspace", "message"], lang),
                                 table_id="failed-counties", keys=list(failed["key"])))
    else:
        parts.append(f"<p id=\"failed-counties\">{html.escape(text('no_failed', lang))}</p>")
    pupils = pupils_by_year(gdf, lang)
    if pupils is not None:
        parts += [f"<h2>{html.escape(text('pupils_by_year', lang))}</h2>",
                  _html_table(pupils, table_id="pupils-by-year")]
    parts += [f"<p>{html.escape(text('note_rank', lang))}</p>",
              f"<script type=\"application/json\" id=\"province-data\">"
              f"{_json_for_script(data)}</script>",
              f"<script>{SCRIPT}</script></body></html>"]
    return "\n".join(parts)
