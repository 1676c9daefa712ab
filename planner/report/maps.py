"""Folium maps of a workspace and its evaluation. Offline by default: no basemap unless asked.

:func:`county_map` draws the catchments of a section coloured by school, the units (plain, or
shaded by children or by distance to the zoned school), out-of-zone flows as lines, service
radii, and the schools as markers coloured by the chosen overlay, each with a popup of its
indicators. :func:`legend` returns the legend of an overlay as (colour, label) pairs.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd

from planner.evaluation import Evaluation
from planner.i18n import column, t
from planner.report.escape import html_frame, html_text
from planner.report.style import BAD, GOOD, NONE, WARN, palette, ramp
from planner.standards import RESOURCE_IDS, RESOURCE_KEYS
from planner.workspace import Workspace

KIND_COLOURS = {
    "primary": "#1f77b4",
    "junior": "#d62728",
    "nine_year": "#9467bd",
    "twelve_year": "#8c564b",
    "complete_middle": "#e377c2",
    "teaching_point": "#17becf",
    "special": "#7f7f7f",
}
OVERLAYS = ("status", *RESOURCE_IDS, "size", "class_size", "zoned_ratio")
UNIT_SHADING = ("none", "children", "distance")
SIMPLIFY_DEG = 0.0001  # about 10 m: keeps the page light without visible change
# Leaflet 1.9.4 (BSD-2) and jQuery 3.7.1 (MIT; folium's popups use it) ship in
# planner/report/assets; the app serves them at /app/static so maps draw with no internet.
# folium's other defaults (Bootstrap, icon fonts) are not needed.
APP_LEAFLET_JS = [("jquery", "/app/static/jquery/jquery.min.js"),
                  ("leaflet", "/app/static/leaflet/leaflet.js")]
APP_LEAFLET_CSS = [("leaflet_css", "/app/static/leaflet/leaflet.css")]


def school_colours(ws: Workspace, ev: Evaluation, section: str, overlay: str) -> pd.Series:
    """Return each school's marker colour for an overlay (index: school_id)."""
    ids = ws.schools["school_id"]
    out = pd.Series(NONE, index=ids.to_numpy())
    ind = ev.indicators[ev.indicators["section"] == section].set_index("school_id")
    if overlay == "status":
        failing = set(ev.indicators.loc[~ev.indicators["compliant"], "school_id"]) | set(
            ev.caps["school_id"])
        evaluated = set(ev.indicators["school_id"])
        return pd.Series([BAD if s in failing else GOOD if s in evaluated else NONE
                          for s in ids], index=ids.to_numpy())
    if overlay in RESOURCE_IDS:
        key = RESOURCE_KEYS[RESOURCE_IDS.index(overlay)]
        ratio = ind[key] / ev.standards.section(section).threshold(key)
        colour = np.where(ratio >= 1 - 1e-9, GOOD,
                          np.where(ratio >= ev.standards.floor_share - 1e-9, WARN, BAD))
        out.loc[ind.index] = colour
        return out
    s = ws.schools.set_index("school_id")
    if overlay == "size":
        n = s["students_primary"] + s["students_junior"]
        cap = np.where(s["kind"].isin(["nine_year", "twelve_year"]), ev.standards.mixed_school_cap,
                       ev.standards.primary.school_size_cap)
        return pd.Series(np.where(n > cap, BAD, np.where(n > 0.9 * cap, WARN, GOOD)),
                         index=s.index)
    if overlay == "class_size":
        cap = ev.standards.section(section).class_size_cap
        biggest = s[f"max_class_size_{section}"]
        colour = np.where(biggest > cap, BAD, np.where(biggest > cap - 3, WARN, GOOD))
        has = s[f"students_{section}"] > 0
        out.loc[s.index[has]] = colour[has.to_numpy()]
        return out
    if overlay == "zoned_ratio" and ev.zoned is not None:
        z = ev.zoned.by_school[ev.zoned.by_school["section"] == section].set_index("school_id")
        need = ev.standards.section(section).zoned_share_min
        out.loc[z.index] = np.where(z["ratio"] >= need - 1e-12, GOOD,
                                    np.where(z["ratio"] >= need - 0.1, WARN, BAD))
        return out
    return out


def legend(overlay: str, lang: str = "zh") -> list[tuple[str, str]]:
    """Return (colour, label) pairs explaining an overlay's marker colours."""
    zh = lang == "zh"
    if overlay == "status":
        return [(GOOD, t("map_legend_pass", lang)), (BAD, t("map_legend_fail", lang)),
                (NONE, t("map_legend_out", lang))]
    if overlay in RESOURCE_IDS:
        return [(GOOD, "达到标准" if zh else "meets the threshold"),
                (WARN, "达到标准的85%" if zh else "85 % of it"),
                (BAD, "不足85%" if zh else "under 85 %"), (NONE, "不参评" if zh else "n/a")]
    if overlay == "zoned_ratio":
        return [(GOOD, "达到标准" if zh else "meets the minimum"),
                (WARN, "差距10个百分点以内" if zh else "within 10 points"),
                (BAD, "差距更大" if zh else "further"),
                (NONE, "不纳入统计" if zh else "not counted")]
    return [(GOOD, "未超限" if zh else "within the cap"),
            (WARN, "接近上限" if zh else "near the cap"),
            (BAD, "超过上限" if zh else "over the cap"), (NONE, "无此学段" if zh else "n/a")]


def _popup(row: pd.Series, ev: Evaluation, lang: str) -> str:
    ind = ev.indicators[ev.indicators["school_id"] == row["school_id"]]
    lines = [f"<b>{html_text(row['name'])}</b> ({t('kind_' + row['kind'], lang)})",
             f"{t('students', lang)}: {int(row['students_primary'] + row['students_junior'])}"]
    for rec in ind.to_dict("records"):
        vals = ", ".join(f"{rid} {rec[key]:.3g}" for rid, key in zip(RESOURCE_IDS, RESOURCE_KEYS,
                                                                    strict=True))
        ok = t("yes" if rec["compliant"] else "no", lang)
        lines.append(f"{t(rec['section'], lang)}: {vals}; {column('met', lang)} {rec['met']}/7, "
                     f"{column('compliant', lang)} {ok}")
    caps = ev.caps[ev.caps["school_id"] == row["school_id"]]
    for rec in caps.to_dict("records"):
        lines.append(f"⚠ {t('rule_' + rec['rule'], lang)} {html_text(rec['value'])} > "
                     f"{html_text(rec['cap'])}")
    return "<br>".join(lines)


def county_map(
    ws: Workspace,
    ev: Evaluation | None = None,
    *,
    section: str = "primary",
    overlay: str = "status",
    lang: str = "zh",
    basemap: str | None = None,
    units: str = "none",
    flows: bool = False,
    radii: bool = False,
    zoning: pd.DataFrame | None = None,
) -> folium.Map:
    """Draw a workspace and, with an evaluation, its indicators.

    Parameters
    ----------
    ws
        The workspace (layers in WGS84); catchments are drawn from `zoning` when given (a
        plan) or from its catchment layer.
    ev
        The evaluation for marker colours, popups, distances and flows; None draws kinds.
    section
        "primary" or "junior": whose catchments, indicators and radii to show.
    overlay
        One of OVERLAYS: what the marker colours say.
    units
        "none", "children" (children of the section) or "distance" (to the zoned school).
    flows, radii
        Draw out-of-zone flows as lines; draw each school's service radius.
    basemap
        None for no tiles (works offline) or "osm" for OpenStreetMap tiles.
    """
    bounds = ws.schools.total_bounds if ws.units is None else ws.units.total_bounds
    m = folium.Map(tiles="OpenStreetMap" if basemap == "osm" else None, control_scale=True,
                   prefer_canvas=True)
    m.default_js, m.default_css = APP_LEAFLET_JS, APP_LEAFLET_CSS
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    names = dict(zip(ws.schools["school_id"], ws.schools["name"], strict=True))
    catch = _catchments(ws, zoning, section)
    if catch is not None:
        # every text property is escaped: folium renders GeoJSON data through Jinja twice and
        # GeoJsonTooltip shows it as HTML (planner/report/escape.py)
        fills = dict(zip(map(html_text, catch["school_id"]), palette(len(catch)), strict=True))
        catch = catch.assign(school=catch["school_id"].map(names),
                             geometry=catch.geometry.simplify(SIMPLIFY_DEG))
        folium.GeoJson(
            html_frame(catch[["school_id", "school", "geometry"]]),
            name=f"{t('catchments', lang)} · {t(section, lang)}",
            style_function=lambda f: {"fillColor": fills.get(f["properties"]["school_id"]),
                                      "color": "#555555", "weight": 1, "fillOpacity": 0.45},
            tooltip=folium.GeoJsonTooltip(["school"], aliases=[t("catchments", lang)]),
        ).add_to(m)
    if ws.units is not None:
        _units_layer(ws, ev, section, units, lang).add_to(m)
    if ev is not None and flows and ev.zoned is not None:
        _flows(ws, ev, section, lang).add_to(m)
    if radii and ev is not None:
        _radii(ws, ev, section, lang).add_to(m)
    colours = school_colours(ws, ev, section, overlay) if ev is not None else None
    group = folium.FeatureGroup(name=t("schools", lang))
    for _, row in ws.schools.iterrows():
        n = int(row["students_primary"] + row["students_junior"])
        colour = colours[row["school_id"]] if colours is not None else KIND_COLOURS[row["kind"]]
        folium.CircleMarker(
            location=(row.geometry.y, row.geometry.x), radius=3 + min(n, 3000) ** 0.5 / 8,
            color="#333333", fill_color=colour, fill=True, fill_opacity=0.95, weight=0.8,
            tooltip=f"{html_text(row['name'])}（{t('kind_' + row['kind'], lang)}）"
                    f"{t('students', lang)} {n}",
            popup=folium.Popup(_popup(row, ev, lang), max_width=420) if ev is not None else None,
        ).add_to(group)
    group.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _catchments(ws: Workspace, zoning: pd.DataFrame | None, section: str):
    if zoning is not None and ws.units is not None:
        from planner.scenario import catchments_from_zoning

        c = catchments_from_zoning(ws.units, zoning[[section]].assign(
            **{s: None for s in ("primary", "junior") if s != section}), ws.meta.crs)
        return c[c["section"] == section]
    if ws.catchments is None:
        return None
    return ws.catchments[ws.catchments["section"] == section]


def _units_layer(ws: Workspace, ev: Evaluation | None, section: str, shading: str, lang: str):
    u = ws.units[["unit_id", "name", "geometry"]].copy()
    u["geometry"] = u.geometry.simplify(SIMPLIFY_DEG)
    grades = [f"g{g}" for g in (range(1, 7) if section == "primary" else range(7, 10))]
    u["children"] = ws.units[grades].sum(axis=1).to_numpy()
    u["value"] = np.nan
    if shading == "children":
        u["value"] = u["children"] / max(1, u["children"].max())
    elif shading == "distance" and ev is not None and ev.layout is not None:
        ud = ev.layout.unit_distances
        d = ud[ud["section"] == section].set_index("unit_id")["zoned_distance_m"]
        u["distance_m"] = d.reindex(u["unit_id"]).round(0).to_numpy()
        u["value"] = u["distance_m"] / max(1.0, float(np.nanmax(u["distance_m"])))
    fill = {html_text(uid): ramp(v) for uid, v in zip(u["unit_id"], u["value"], strict=True)
            if v == v}
    fields = ["name", "children"] + (["distance_m"] if "distance_m" in u.columns else [])
    aliases = [t("units", lang), column("children", lang)] + (
        [column("zoned_distance_m", lang)] if "distance_m" in u.columns else [])
    return folium.GeoJson(
        html_frame(u[["unit_id", *fields, "geometry"]]), name=t("units", lang),
        style_function=lambda f: ({"fillColor": fill[f["properties"]["unit_id"]],
                                   "fillOpacity": 0.7, "color": "#888888", "weight": 0.4}
                                  if f["properties"]["unit_id"] in fill else
                                  {"fill": True, "fillOpacity": 0.0, "color": "#888888",
                                   "weight": 0.4}),
        tooltip=folium.GeoJsonTooltip(fields, aliases=aliases),
    )


def _flows(ws: Workspace, ev: Evaluation, section: str, lang: str, top: int = 300):
    out = ev.zoned.out_of_zone
    out = out[out["section"] == section].head(top)
    pts = ws.units.set_index("unit_id").geometry.representative_point()
    schools = ws.schools.set_index("school_id").geometry
    group = folium.FeatureGroup(name="片区外就读" if lang == "zh" else "out-of-zone flows")
    for rec in out.to_dict("records"):
        if rec["school_id"] not in schools.index:
            continue
        a, b = pts[rec["unit_id"]], schools[rec["school_id"]]
        folium.PolyLine([(a.y, a.x), (b.y, b.x)], color="#7b3294", opacity=0.55,
                        weight=1 + min(rec["students"], 40) / 8,
                        tooltip=f"{html_text(rec['unit'])} → {html_text(rec['school'])}: "
                                f"{int(rec['students'])}").add_to(group)
    return group


def _radii(ws: Workspace, ev: Evaluation, section: str, lang: str):
    std = ev.standards.section(section)
    group = folium.FeatureGroup(name="服务半径" if lang == "zh" else "service radii")
    for rec in ws.schools.to_dict("records"):
        if rec[f"students_{section}"] <= 0 or rec["kind"] == "special":
            continue
        folium.Circle(location=(rec["geometry"].y, rec["geometry"].x),
                      radius=std.radius_m(rec["area_type"]), color="#1f78b4", weight=0.8,
                      fill=False, opacity=0.5).add_to(group)
    return group
