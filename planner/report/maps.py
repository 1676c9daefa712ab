"""Folium maps of a workspace. Offline by default: no basemap unless asked for."""

from __future__ import annotations

import colorsys

import folium

from planner.i18n import t
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
SIMPLIFY_DEG = 0.0001  # about 10 m: keeps the page light without visible change
# Leaflet 1.9.4 ships in planner/report/assets (BSD-2); the app serves it at /app/static so maps
# draw with no internet. folium's other defaults (jQuery, Bootstrap, icon fonts) are not needed.
APP_LEAFLET_JS = [("leaflet", "/app/static/leaflet/leaflet.js")]
APP_LEAFLET_CSS = [("leaflet_css", "/app/static/leaflet/leaflet.css")]


def palette(n: int) -> list[str]:
    """Return n distinguishable pastel colours (golden-angle hues), deterministic."""
    out = []
    for i in range(n):
        r, g, b = colorsys.hls_to_rgb((i * 0.618033988749895) % 1.0, 0.72, 0.55)
        out.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return out


def county_map(
    ws: Workspace,
    *,
    section: str = "primary",
    lang: str = "zh",
    basemap: str | None = None,
) -> folium.Map:
    """Draw catchments of one section coloured by school, unit outlines and school markers.

    Parameters
    ----------
    ws
        The workspace (layers in WGS84).
    section
        "primary" or "junior": whose catchments to colour.
    lang
        "zh" or "en" for legends and tooltips.
    basemap
        None for no tiles (works offline) or "osm" for OpenStreetMap tiles.

    Returns
    -------
    The map, fitted to the county.
    """
    bounds = ws.schools.total_bounds if ws.units is None else ws.units.total_bounds
    m = folium.Map(tiles="OpenStreetMap" if basemap == "osm" else None, control_scale=True,
                   prefer_canvas=True)
    m.default_js, m.default_css = APP_LEAFLET_JS, APP_LEAFLET_CSS
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    names = dict(zip(ws.schools["school_id"], ws.schools["name"], strict=True))
    if ws.catchments is not None:
        catch = ws.catchments[ws.catchments["section"] == section].copy()
        colours = dict(zip(catch["school_id"], palette(len(catch)), strict=True))
        catch["school"] = catch["school_id"].map(names)
        catch["geometry"] = catch.geometry.simplify(SIMPLIFY_DEG)
        folium.GeoJson(
            catch[["school_id", "school", "geometry"]],
            name=f"{t('catchments', lang)} · {t(section, lang)}",
            style_function=lambda f: {"fillColor": colours.get(f["properties"]["school_id"]),
                                      "color": "#555555", "weight": 1, "fillOpacity": 0.55},
            tooltip=folium.GeoJsonTooltip(["school"], aliases=[t("schools", lang)]),
        ).add_to(m)
    if ws.units is not None:
        units = ws.units[["unit_id", "name", "geometry"]].copy()
        units["geometry"] = units.geometry.simplify(SIMPLIFY_DEG)
        folium.GeoJson(
            units, name=t("units", lang),
            style_function=lambda f: {"fill": False, "color": "#888888", "weight": 0.4},
            tooltip=folium.GeoJsonTooltip(["name"], aliases=[t("units", lang)]),
        ).add_to(m)
    schools = folium.FeatureGroup(name=t("schools", lang))
    for row in ws.schools.itertuples():
        n = int(row.students_primary + row.students_junior)
        kind = t(f"kind_{row.kind}", lang)
        folium.CircleMarker(
            location=(row.geometry.y, row.geometry.x), radius=3 + min(n, 3000) ** 0.5 / 8,
            color=KIND_COLOURS[row.kind], fill=True, fill_opacity=0.9, weight=1,
            tooltip=f"{row.name}（{kind}）{t('students', lang)} {n}",
        ).add_to(schools)
    schools.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m

