"""Folium maps of a workspace and its evaluation. Offline by default: no basemap unless asked.

:func:`county_map` draws, over township boundaries and the main roads: the catchments of a
section coloured by school, the units (plain, or shaded by children or by distance to the
zoned school), out-of-zone flows aggregated per township and school, service radii, and the
schools as circles sized by pupils and coloured by the chosen overlay. Every layer has a
legend in the reader's language; school names are drawn from a zoom level on, larger schools
first, skipping labels that would overlap; schools on the same spot are spread apart.

The map is light: one GeoJSON layer per kind of object, geometries simplified for display
(units as a coverage, so neighbours keep sharing their edges), no popups (the app shows the
clicked object beside the map). Whatever a workspace gives that does not depend on a scenario
(units, townships, roads) is computed once by :func:`base_layers`.

Every string from data is escaped (planner/report/escape.py): folium compiles rendered
elements as Jinja templates a second time and Leaflet shows tooltips and labels as HTML.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from planner.checklist import class_over_cap, size_over_cap
from planner.evaluation import Evaluation
from planner.i18n import column, t
from planner.indicators import FrameColumns
from planner.report.escape import html_frame, html_text, js_value
from planner.report.style import BAD, FLOW, GOOD, NONE, ROAD, TOWNSHIP, WARN, palette, ramp
from planner.report.tables import indicator_status
from planner.standards import RESOURCE_IDS
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
SIMPLIFY_M = 25.0  # display tolerance: invisible at county and township zoom
ROAD_SIMPLIFY_M = 40.0
MAIN_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary")
LABEL_ZOOM = 13  # school names from this zoom on; township names below it
SPREAD_M = 60.0  # schools closer than this are spread on a small circle
TOP_FLOWS = 25
# Leaflet 1.9.4 (BSD-2) and jQuery 3.7.1 (MIT) ship in planner/report/assets; the app serves
# them at /app/static so maps draw with no internet. folium's other defaults are not needed.
APP_LEAFLET_JS = [("jquery", "/app/static/jquery/jquery.min.js"),
                  ("leaflet", "/app/static/leaflet/leaflet.js")]
APP_LEAFLET_CSS = [("leaflet_css", "/app/static/leaflet/leaflet.css")]
_TOWNSHIP_NAME = re.compile(r"^(.+?(?:街道办事处|街道|办事处|镇|乡))")
GRID_DEG = 1e-5  # coordinates drawn to about a metre


def geojson(frame: gpd.GeoDataFrame, *, escape: bool = True) -> dict:
    """Return a frame as a GeoJSON dict for folium, text properties escaped, about 1 m precision.

    Faster than ``__geo_interface__`` (geometries are written by GEOS in one call).
    """
    props = html_frame(frame.drop(columns="geometry")) if escape else frame.drop(
        columns="geometry")
    geoms = shapely.set_precision(frame.geometry.to_numpy(), GRID_DEG, mode="pointwise")
    shapes = shapely.to_geojson(geoms)
    records = props.to_dict("records")
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {k: _plain(v) for k, v in rec.items()},
         "geometry": json.loads(g)} for rec, g in zip(records, shapes, strict=True)]}


def _plain(v: object) -> object:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if v != v else float(v)
    if isinstance(v, float) and v != v:
        return None
    return v


@dataclass(frozen=True)
class BaseLayers:
    """What a map draws that no scenario changes, in WGS84, simplified for display.

    Attributes
    ----------
    units
        unit_id, name, township and the simplified geometry.
    townships
        township (a name) and its boundary polygon.
    roads
        The main roads as one simplified geometry per class, or None without a network.
    seat
        (lat, lon) of the centre of the township with the most (urban, when the schools say)
        schools: the county seat.
    """

    units: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    seat: tuple[float, float]


def unit_townships(units: pd.DataFrame) -> pd.Series:
    """Return each unit's township (index unit_id), for orientation and filters.

    A `township` column is used when the units have one. Else 12-digit statistical codes
    (county 6 + township 3 + village 3) group by their first 9 digits when that gives several
    townships of which none holds most units; else a name's leading "…镇/乡/街道" names its
    township, and a unit without one joins the nearest unit that has one.
    """
    ids = units["unit_id"].astype(str)
    if "township" in units.columns:
        return pd.Series(units["township"].astype(str).to_numpy(), index=ids.to_numpy())
    names = units["name"].astype(str)
    if ids.str.fullmatch(r"\d{12}").all():
        prefix = ids.str[:9]
        counts = prefix.value_counts()
        if len(counts) > 1 and counts.iloc[0] <= 0.6 * len(ids):
            label = {p: _common_name(names[prefix == p].tolist()) or p for p in counts.index}
            return pd.Series(prefix.map(label).to_numpy(), index=ids.to_numpy())
    found = names.str.extract(_TOWNSHIP_NAME)[0]
    if found.isna().all():
        return pd.Series("", index=ids.to_numpy())
    if found.isna().any() and "geometry" in units.columns:
        pts = gpd.GeoSeries(units.geometry, crs=getattr(units, "crs", None)).representative_point()
        xy = np.column_stack([pts.x, pts.y])
        known = found.notna().to_numpy()
        tree = shapely.STRtree(shapely.points(xy[known]))
        nearest = tree.query_nearest(shapely.points(xy[~known]), return_distance=False)[1]
        found.loc[~known] = found[known].to_numpy()[nearest]
    return pd.Series(found.fillna("").to_numpy(), index=ids.to_numpy())


def _common_name(names: list[str]) -> str:
    prefix = names[0] if names else ""
    for n in names[1:]:
        while not n.startswith(prefix):
            prefix = prefix[:-1]
    m = _TOWNSHIP_NAME.match(prefix)
    return m.group(1) if m else ""


def base_layers(ws: Workspace) -> BaseLayers:
    """Compute the scenario-independent layers of a workspace's maps (a few tenths of a second).

    Units are simplified as a coverage (shared edges stay shared) at SIMPLIFY_M metres in the
    workspace's projected CRS; roads keep the main classes (MAIN_ROADS and their links).
    """
    crs = ws.meta.crs
    if ws.units is None:
        units = gpd.GeoDataFrame({"unit_id": [], "name": [], "township": []},
                                 geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
        towns = gpd.GeoDataFrame({"township": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"),
                                 crs="EPSG:4326")
    else:
        proj = ws.units.to_crs(crs)
        simple = shapely.coverage_simplify(proj.geometry.to_numpy(), SIMPLIFY_M)
        units = gpd.GeoDataFrame({"unit_id": ws.units["unit_id"].astype(str).to_numpy(),
                                  "name": ws.units["name"].astype(str).to_numpy()},
                                 geometry=gpd.GeoSeries(simple, crs=crs), crs=crs)
        units["township"] = unit_townships(ws.units).reindex(units["unit_id"]).to_numpy()
        towns = units[units["township"] != ""].dissolve("township", as_index=False,
                                                        method="coverage")[["township",
                                                                            "geometry"]]
        units, towns = units.to_crs("EPSG:4326"), towns.to_crs("EPSG:4326")
    roads = _main_roads(ws)
    seat = _seat(ws, units)
    return BaseLayers(units=units, townships=towns, roads=roads, seat=seat)


def _main_roads(ws: Workspace) -> gpd.GeoDataFrame | None:
    if ws.edges is None or "highway" not in ws.edges.columns or ws.edges.empty:
        return None
    kind = ws.edges["highway"].astype(str).str.replace("_link", "", regex=False)
    main = ws.edges[kind.isin(MAIN_ROADS)]
    if main.empty:
        return None
    proj = main.to_crs(ws.meta.crs)
    merged = shapely.line_merge(shapely.union_all(proj.geometry.to_numpy()))
    simple = shapely.simplify(merged, ROAD_SIMPLIFY_M)
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([simple], crs=ws.meta.crs),
                            crs=ws.meta.crs).to_crs("EPSG:4326")


def _seat(ws: Workspace, units: gpd.GeoDataFrame) -> tuple[float, float]:
    pts = ws.schools.geometry
    urban = ws.schools["area_type"].eq("urban").to_numpy() if "area_type" in ws.schools else None
    if urban is not None and urban.any():  # the seat is where the urban schools are
        pts = pts[urban]
    if len(units) and "township" in units:
        town = units.sjoin(gpd.GeoDataFrame(geometry=pts.to_numpy(), crs=ws.schools.crs)
                           .to_crs(units.crs), predicate="contains")["township"]
        if len(town) and town.mode().iloc[0]:
            area = units[units["township"] == town.mode().iloc[0]].to_crs(ws.meta.crs)
            c = gpd.GeoSeries([area.union_all().centroid], crs=ws.meta.crs).to_crs("EPSG:4326")
            return float(c.y.iloc[0]), float(c.x.iloc[0])
    return float(pts.y.median()), float(pts.x.median())


def school_townships(ws: Workspace, layers: BaseLayers) -> pd.Series:
    """Return the township of each school (index school_id): the one of the unit it stands in."""
    pts = gpd.GeoDataFrame({"school_id": ws.schools["school_id"].astype(str).to_numpy()},
                           geometry=ws.schools.geometry.to_numpy(), crs=ws.schools.crs)
    if layers.units.empty:
        return pd.Series("", index=pts["school_id"].to_numpy())
    hit = pts.sjoin(layers.units[["township", "geometry"]], predicate="within", how="left")
    hit = hit[~hit.index.duplicated()]
    return pd.Series(hit["township"].fillna("").to_numpy(), index=pts["school_id"].to_numpy())


def display_positions(ws: Workspace) -> pd.DataFrame:
    """Return where each school is drawn (lon, lat; index school_id).

    Schools closer than SPREAD_M metres to each other (a shared campus, the seat's centre)
    are placed on a circle of SPREAD_M around their centre, so each can be seen and clicked.
    """
    crs = ws.meta.crs
    proj = ws.schools.to_crs(crs).geometry
    xy = np.column_stack([proj.x.to_numpy(), proj.y.to_numpy()])
    ids = ws.schools["school_id"].astype(str).to_numpy()
    tree = shapely.STRtree(shapely.points(xy))
    pairs = tree.query(shapely.points(xy), predicate="dwithin", distance=SPREAD_M)
    group = np.arange(len(xy))
    for a, b in zip(*pairs, strict=True):  # union-find, small groups
        ra, rb = group[a], group[b]
        while group[ra] != ra:
            ra = group[ra]
        while group[rb] != rb:
            rb = group[rb]
        group[max(ra, rb)] = min(ra, rb)
    roots = np.array([_root(group, i) for i in range(len(xy))])
    out = xy.copy()
    for r in np.unique(roots):
        members = np.flatnonzero(roots == r)
        if len(members) > 1:
            centre = xy[members].mean(axis=0)
            angles = 2 * np.pi * np.arange(len(members)) / len(members)
            out[members] = centre + SPREAD_M * np.column_stack([np.cos(angles), np.sin(angles)])
    pts = gpd.GeoSeries(shapely.points(out), crs=crs).to_crs("EPSG:4326")
    return pd.DataFrame({"lon": pts.x.to_numpy(), "lat": pts.y.to_numpy()}, index=ids)


def _root(group: np.ndarray, i: int) -> int:
    while group[i] != i:
        i = group[i]
    return i


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
        marks = indicator_status(ev)[overlay]
        here = (ev.indicators["section"] == section).to_numpy()
        colour = marks[here].map({"pass": GOOD, "warn": WARN, "fail": BAD})
        out.loc[ind.index] = colour.to_numpy()
        return out
    s = ws.schools.set_index("school_id")
    cols = FrameColumns(ws.schools)
    if overlay == "size":  # G4's rule; near: over 90 % of the cap
        size, cap, over = size_over_cap(cols, ev.standards)
        return pd.Series(np.where(over, BAD, np.where(size > 0.9 * cap, WARN, GOOD)),
                         index=s.index)
    if overlay == "class_size":  # G5's rule; near: within 3 pupils of the cap
        biggest, cap, over = class_over_cap(cols, section, ev.standards)
        colour = np.where(over, BAD, np.where(biggest > cap - 3, WARN, GOOD))
        has = (s[f"students_{section}"] > 0).to_numpy()
        out.loc[s.index[has]] = colour[has]
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
    if overlay == "status":
        return [(GOOD, t("map_legend_pass", lang)), (BAD, t("map_legend_fail", lang)),
                (NONE, t("map_legend_out", lang))]
    if overlay in RESOURCE_IDS:
        return [(GOOD, t("legend_meets", lang)), (WARN, t("legend_85", lang)),
                (BAD, t("legend_under_85", lang)), (NONE, t("legend_not_evaluated", lang))]
    if overlay == "zoned_ratio":
        return [(GOOD, t("legend_zoned_ok", lang)), (WARN, t("legend_zoned_near", lang)),
                (BAD, t("legend_zoned_far", lang)), (NONE, t("legend_not_counted", lang))]
    return [(GOOD, t("legend_within_cap", lang)), (WARN, t("legend_near_cap", lang)),
            (BAD, t("legend_over_cap", lang)), (NONE, t("legend_no_section", lang))]


@dataclass(frozen=True)
class LegendBlock:
    """One block of the map's legend: a title and its swatches.

    `kind` is the layer it explains (schools, catchments, units, flows, radii, townships,
    roads); each item is (swatch, colour, label) with swatch "dot", "palette", "line", "dash",
    "ring" or "ramp" (colour then holds two colours, low and high).
    """

    kind: str
    title: str
    items: tuple[tuple[str, str, str], ...]


def overlay_title(overlay: str, lang: str) -> str:
    """The overlay's name as the reader sees it."""
    return column(overlay, lang) if overlay in RESOURCE_IDS else t(f"overlay_{overlay}", lang)


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
    layers: BaseLayers | None = None,
) -> folium.Map:
    """Draw a workspace and, with an evaluation, its indicators.

    Parameters
    ----------
    ws
        The workspace (layers in WGS84); catchments are drawn from `zoning` when given (a
        plan) or from its catchment layer.
    ev
        The evaluation for marker colours, distances and flows; None colours schools by kind.
    section
        "primary" or "junior": whose catchments, indicators, flows and radii to show.
    overlay
        One of OVERLAYS: what the marker colours say.
    units
        "none", "children" (children of the section) or "distance" (to the zoned school).
    flows, radii
        Draw out-of-zone flows (per township and school, the largest TOP_FLOWS); draw each
        school's service radius.
    basemap
        None for no tiles (works offline) or "osm" for OpenStreetMap tiles.
    layers
        The workspace's :func:`base_layers`, when the caller keeps them; else computed.
    """
    layers = layers or base_layers(ws)
    bounds = ws.schools.total_bounds if layers.units.empty else layers.units.total_bounds
    m = folium.Map(tiles="OpenStreetMap" if basemap == "osm" else None, control_scale=True,
                   prefer_canvas=True, zoom_snap=0.5)
    m.default_js, m.default_css = APP_LEAFLET_JS, APP_LEAFLET_CSS
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    m.get_root().header.add_child(Element(f"<style>{MAP_CSS}</style>"), name="planner_css")
    names = dict(zip(ws.schools["school_id"].astype(str), ws.schools["name"], strict=True))
    blocks: list[LegendBlock] = []

    catch = _catchments(ws, zoning, section, layers)
    if catch is not None and len(catch):
        fills = palette(len(catch))
        catch = catch.assign(k=np.arange(len(catch)), school=catch["school_id"].map(names))
        folium.GeoJson(
            geojson(catch[["k", "school_id", "school", "geometry"]]),
            name=f"{t('catchments', lang)} · {t(section, lang)}",
            style_function=lambda f: {"fillColor": fills[f["properties"]["k"]],
                                      "color": "#666666", "weight": 1.2, "fillOpacity": 0.35},
            interactive=False,
        ).add_to(m)
        blocks.append(LegendBlock("catchments", f"{t('catchments', lang)} · {t(section, lang)}",
                                  (("palette", " ".join(fills[:6]),
                                    t("legend_catchments", lang)),)))
    if not layers.townships.empty:
        folium.GeoJson(geojson(layers.townships[["geometry"]].boundary.to_frame("geometry")),
                       name=t("townships", lang), interactive=False,
                       style_function=lambda f: {"color": TOWNSHIP, "weight": 1.6,
                                                 "dashArray": "6 4", "fill": False}).add_to(m)
        blocks.append(LegendBlock("townships", t("townships", lang),
                                  (("dash", TOWNSHIP, t("legend_township", lang)),)))
    if layers.roads is not None:
        folium.GeoJson(geojson(layers.roads), name=t("roads", lang), interactive=False,
                       style_function=lambda f: {"color": ROAD, "weight": 1.3,
                                                 "opacity": 0.8}).add_to(m)
        blocks.append(LegendBlock("roads", t("roads", lang),
                                  (("line", ROAD, t("legend_roads", lang)),)))
    units_layer = None
    if not layers.units.empty:
        units_layer, block = _units_layer(ws, ev, section, units, lang, layers, zoning, names)
        units_layer.add_to(m)
        if block is not None:
            blocks.append(block)
    if ev is not None and flows and ev.zoned is not None:
        group, block = _flows(ws, ev, section, lang, layers)
        if group is not None:
            group.add_to(m)
        blocks.append(block)
    if radii and ev is not None:
        _radii(ws, ev, section, lang).add_to(m)
        blocks.append(LegendBlock("radii", t("radii", lang),
                                  (("ring", "#1f78b4", t("legend_radii", lang)),)))
    schools_layer = _schools_layer(ws, ev, section, overlay, lang)
    schools_layer.add_to(m)
    if ev is not None:
        items = tuple(("dot", c, label) for c, label in legend(overlay, lang))
        title = overlay_title(overlay, lang)
    else:
        items = tuple(("dot", KIND_COLOURS[k], t(f"kind_{k}", lang)) for k in KIND_COLOURS)
        title = column("kind", lang)
    blocks.insert(0, LegendBlock("schools", f"{t('schools', lang)} · {title}",
                                 items + (("note", "", t("legend_size", lang)),)))
    towns = []
    if not layers.townships.empty:
        centres = layers.townships.to_crs(ws.meta.crs).representative_point().to_crs(
            "EPSG:4326")
        towns = [[float(p.y), float(p.x), html_text(n)]
                 for p, n in zip(centres, layers.townships["township"], strict=True)]
    _Behaviour(schools_layer, units_layer, towns, LABEL_ZOOM).add_to(m)
    _Legend(blocks).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


MAP_CSS = """
html, body { height: 100%; margin: 0; }
#map_div { height: 100vh !important; }
.map-legend { background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px;
  font: 12px/1.35 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-height: 45vh; overflow-y: auto; max-width: 260px; }
.map-legend .legend-block { margin: 2px 0 6px; }
.map-legend .legend-title { font-weight: 600; margin-bottom: 2px; }
.map-legend .legend-item { display: flex; align-items: center; gap: 6px; }
.map-legend .legend-swatch { width: 14px; height: 10px; flex: none; }
.map-legend .legend-note { color: #555; font-size: 11px; }
.legend-dot { width: 10px !important; height: 10px !important; border-radius: 50%;
  border: 1px solid #333; background: var(--c); }
.legend-palette { width: 36px !important; opacity: 0.8; }
.legend-line { height: 0 !important; border-top: 3px solid var(--c); }
.legend-dash { height: 0 !important; border-top: 2px dashed var(--c); }
.legend-ring { width: 10px !important; height: 10px !important; border-radius: 50%;
  border: 1.5px solid var(--c); }
.legend-ramp { width: 60px !important; background: linear-gradient(to right, var(--c), var(--c2)); }
.leaflet-tooltip.school-label { background: rgba(255,255,255,0.85); border: 0;
  box-shadow: none; padding: 0 3px; font-size: 11px; color: #111; }
.leaflet-tooltip.school-label::before { display: none; }
.leaflet-tooltip.township-label { background: transparent; border: 0; box-shadow: none;
  font-size: 13px; font-weight: 600; color: #333; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
.leaflet-tooltip.township-label::before { display: none; }
"""


def _catchments(ws: Workspace, zoning: pd.DataFrame | None, section: str,
                layers: BaseLayers) -> gpd.GeoDataFrame | None:
    """A section's catchments: the display units dissolved by the plan's zoning."""
    if zoning is not None and not layers.units.empty:
        z = zoning[section].reindex(layers.units["unit_id"]).to_numpy()
        ok = pd.notna(z)
        if not ok.any():
            return None
        u = layers.units[ok].assign(school_id=z[ok].astype(str))
        out = u.dissolve("school_id", as_index=False, method="coverage")
        return out[["school_id", "geometry"]]
    if ws.catchments is None:
        return None
    c = ws.catchments[ws.catchments["section"] == section]
    return c.assign(school_id=c["school_id"].astype(str))[["school_id", "geometry"]]


def _units_layer(ws, ev, section, shading, lang, layers, zoning, names):
    u = layers.units[["unit_id", "name", "geometry"]].copy()
    grades = [f"g{g}" for g in ev.standards.grades(section)]
    kids = ws.units.set_index(ws.units["unit_id"].astype(str))[grades].sum(axis=1)
    u["children"] = kids.reindex(u["unit_id"]).fillna(0).astype(int).to_numpy()
    if zoning is not None:
        zoned = zoning[section].reindex(u["unit_id"])
        u["zoned"] = [names.get(str(s), "") if pd.notna(s) else "" for s in zoned]
    value = np.full(len(u), np.nan)
    block = None
    if shading == "children":
        top = max(1, int(u["children"].max()))
        value = u["children"].to_numpy() / top
        block = LegendBlock("units", t("shade_children", lang),
                            (("ramp", f"{ramp(0)} {ramp(1)}", f"0 – {top:,}"),))
    elif shading == "distance" and ev is not None and ev.layout is not None:
        ud = ev.layout.unit_distances
        d = ud[ud["section"] == section].set_index("unit_id")["zoned_distance_m"]
        u["distance_m"] = d.reindex(u["unit_id"]).round(0).to_numpy()
        top = max(1.0, float(np.nanmax(u["distance_m"])) if u["distance_m"].notna().any()
                  else 1.0)
        value = u["distance_m"].to_numpy() / top
        block = LegendBlock("units", t("shade_distance", lang),
                            (("ramp", f"{ramp(0)} {ramp(1)}",
                              f"0 – {top / 1000:,.1f} {t('unit_km', lang)}"),))
    u["fill"] = [ramp(v) if v == v else "" for v in value]
    fields = ["name", "unit_id", "children"] + (["zoned"] if "zoned" in u else []) + (
        ["distance_m"] if "distance_m" in u else [])
    aliases = [t("units", lang), column("unit_id", lang), column("children", lang)] + (
        [column("zoned_school", lang)] if "zoned" in u else []) + (
        [column("zoned_distance_m", lang)] if "distance_m" in u else [])
    layer = folium.GeoJson(
        geojson(u[[*fields, "fill", "geometry"]]), name=t("units", lang),
        style_function=lambda f: ({"fillColor": f["properties"]["fill"], "fillOpacity": 0.7,
                                   "color": "#8a8a8a", "weight": 0.5}
                                  if f["properties"]["fill"] else
                                  {"fill": True, "fillOpacity": 0.0, "color": "#8a8a8a",
                                   "weight": 0.5}),
        tooltip=folium.GeoJsonTooltip(fields, aliases=aliases, sticky=False),
    )
    return layer, block


def flow_table(ws: Workspace, ev: Evaluation, section: str, layers: BaseLayers
               ) -> pd.DataFrame:
    """Out-of-zone students of a section per (township of the unit, attended school).

    Columns township, school_id, school, students, units, lon, lat (the children-weighted
    centre of those units), largest first.
    """
    out = ev.zoned.out_of_zone
    out = out[out["section"] == section]
    if out.empty:
        return pd.DataFrame(columns=["township", "school_id", "school", "students", "units",
                                     "lon", "lat"])
    town = layers.units.set_index("unit_id")["township"]
    pts = layers.units.set_index("unit_id").geometry.representative_point()
    o = out.assign(township=out["unit_id"].astype(str).map(town).fillna("").to_numpy(),
                   x=out["unit_id"].astype(str).map(pts.x).to_numpy(),
                   y=out["unit_id"].astype(str).map(pts.y).to_numpy())
    o["township"] = np.where(o["township"] == "", o["unit"], o["township"])
    o["wx"], o["wy"] = o["x"] * o["students"], o["y"] * o["students"]
    g = o.groupby(["township", "school_id"], as_index=False).agg(
        school=("school", "first"), students=("students", "sum"), units=("unit_id", "nunique"),
        wx=("wx", "sum"), wy=("wy", "sum"))
    g["lon"], g["lat"] = g["wx"] / g["students"], g["wy"] / g["students"]
    return g.drop(columns=["wx", "wy"]).sort_values(
        ["students", "township"], ascending=[False, True], ignore_index=True)


def _flows(ws: Workspace, ev: Evaluation, section: str, lang: str, layers: BaseLayers):
    table = flow_table(ws, ev, section, layers)
    pos = display_positions(ws)
    top = table[table["school_id"].astype(str).isin(pos.index)].head(TOP_FLOWS)
    rest = table.drop(top.index)
    note = t("legend_flows_rest", lang, n=len(rest), students=int(rest["students"].sum()))
    block = LegendBlock("flows", t("flows", lang),
                        (("line", FLOW, t("legend_flows", lang, n=len(top))), ("note", "", note)))
    if top.empty:
        return None, block
    heaviest = max(1, int(top["students"].max()))
    lines = gpd.GeoDataFrame(
        {"label": [f"{a} → {b}" for a, b in zip(top["township"], top["school"], strict=True)],
         "students": top["students"].astype(int).to_numpy(),
         "w": (1.5 + 8.0 * np.sqrt(top["students"].to_numpy() / heaviest)).round(1)},
        geometry=[shapely.LineString([(x, y), (pos.at[str(s), "lon"], pos.at[str(s), "lat"])])
                  for x, y, s in zip(top["lon"], top["lat"], top["school_id"], strict=True)],
        crs="EPSG:4326")
    layer = folium.GeoJson(
        geojson(lines), name=t("flows", lang),
        style_function=lambda f: {"color": FLOW, "weight": f["properties"]["w"],
                                  "opacity": 0.6},
        tooltip=folium.GeoJsonTooltip(["label", "students"],
                                      aliases=[t("flows", lang), column("students", lang)]),
    )
    return layer, block


def _radii(ws: Workspace, ev: Evaluation, section: str, lang: str):
    std = ev.standards.section(section)
    s = ws.schools[(ws.schools[f"students_{section}"] > 0) & (ws.schools["kind"] != "special")]
    circles = gpd.GeoDataFrame(
        {"r": [float(std.radius_m(a)) for a in s["area_type"]]},
        geometry=s.geometry.to_numpy(), crs=ws.schools.crs)
    return folium.GeoJson(
        geojson(circles), name=t("radii", lang), interactive=False,
        marker=folium.Circle(radius=500),
        style_function=lambda f: {"radius": f["properties"]["r"], "color": "#1f78b4",
                                  "weight": 0.8, "fill": False, "opacity": 0.5},
    )


def _schools_layer(ws: Workspace, ev: Evaluation | None, section: str, overlay: str,
                   lang: str) -> folium.GeoJson:
    ids = ws.schools["school_id"].astype(str).to_numpy()
    colours = (school_colours(ws, ev, section, overlay).to_numpy() if ev is not None
               else np.array([KIND_COLOURS[k] for k in ws.schools["kind"]]))
    pupils = (ws.schools["students_primary"] + ws.schools["students_junior"]).to_numpy()
    pos = display_positions(ws)
    frame = gpd.GeoDataFrame({
        "school_id": ids,
        "label": ws.schools["name"].astype(str).to_numpy(),
        "kind": [t(f"kind_{k}", lang) for k in ws.schools["kind"]],
        "pupils": pupils.astype(int),
        "r": (3.0 + np.sqrt(np.clip(pupils, 0, 4000)) / 6.0).round(1),
        "colour": colours,
    }, geometry=gpd.points_from_xy(pos.loc[ids, "lon"], pos.loc[ids, "lat"]), crs="EPSG:4326")
    order = np.argsort(-frame["pupils"].to_numpy(), kind="stable")  # small ones drawn on top
    frame = frame.iloc[order]
    return folium.GeoJson(
        geojson(frame), name=t("schools", lang),
        marker=folium.CircleMarker(radius=5),
        style_function=lambda f: {"radius": f["properties"]["r"], "fill": True,
                                  "fillColor": f["properties"]["colour"], "fillOpacity": 0.95,
                                  "color": "#333333", "weight": 0.8},
        tooltip=folium.GeoJsonTooltip(["label", "school_id", "kind", "pupils"],
                                      aliases=[t("schools", lang), column("school_id", lang),
                                               column("kind", lang), t("students", lang)],
                                      sticky=False),
    )


class _Behaviour(MacroElement):
    """Labels, marker scaling and the clicked unit's outline.

    School names show from a zoom level (larger schools first, none overlapping another),
    township names below it; markers grow with the zoom; a clicked unit is outlined; the map
    follows its frame's size.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var schools = {{ this.schools.get_name() }};
  var units = {% if this.has_units %}{{ this.units.get_name() }}{% else %}null{% endif %};
  var minZoom = {{ this.min_zoom }};
  var towns = {{ this.towns_js }};
  var items = [];
  schools.eachLayer(function (l) { items.push(l); });
  items.sort(function (a, b) { return b.feature.properties.pupils - a.feature.properties.pupils; });
  var labels = L.layerGroup().addTo(map);  // every label drawn; cleared before each redraw
  function overlaps(r, boxes) {
    return boxes.some(function (b) {
      return !(r.right < b.left || r.left > b.right || r.bottom < b.top || r.top > b.bottom);
    });
  }
  function place(latlng, html, cls, offset, boxes) {
    var tip = L.tooltip({permanent: true, direction: "right", offset: [offset, 0],
                         className: cls, interactive: false})
      .setLatLng(latlng).setContent(html);
    labels.addLayer(tip);
    var r = tip.getElement().getBoundingClientRect();
    if (overlaps(r, boxes)) { labels.removeLayer(tip); return; }
    boxes.push(r);
  }
  function update() {
    var z = map.getZoom(), s = Math.max(0.55, Math.min(1.7, Math.pow(1.22, z - 12)));
    items.forEach(function (l) { l.setRadius(l.feature.properties.r * s); });
    labels.clearLayers();
    var view = map.getBounds(), boxes = [];
    if (z >= minZoom) {
      items.forEach(function (l) {
        if (view.contains(l.getLatLng())) {
          place(l.getLatLng(), l.feature.properties.label, "school-label", l.getRadius() + 2,
                boxes);
        }
      });
    } else {
      towns.forEach(function (t) { place([t[0], t[1]], t[2], "township-label", -20, boxes); });
    }
  }
  // In the app the map runs in streamlit-folium's frame, which reports a click 250 ms later
  // (debounced); report the clicked object's tooltip text at once, in the same form.
  function report(e) {
    var layer = e.propagatedFrom || e.layer || e.sourceTarget;
    var tip = e.target.getTooltip && e.target.getTooltip();
    if (window.parent === window || !tip || typeof tip._content !== "function") { return; }
    var value = {last_object_clicked_tooltip: tip._content(layer).innerText};
    if (window.__GLOBAL_DATA__) { window.__GLOBAL_DATA__.previous_data = value; }  // no resend
    window.parent.postMessage({isStreamlitMessage: true, type: "streamlit:setComponentValue",
                               value: value, dataType: "json"}, "*");
  }
  schools.on("click", report);
  var selected = null;
  if (units) {
    units.on("click", function (e) {
      if (selected) { units.resetStyle(selected); }
      selected = e.layer;
      selected.setStyle({weight: 3, color: "#111111"});
      selected.bringToFront();
      report(e);
    });
  }
  var pending = false;  // one redraw per frame, however many events ask for it
  function schedule() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(function () { pending = false; update(); });
    }
  }
  map.on("zoomend moveend", schedule);
  window.addEventListener("resize", function () { map.invalidateSize(); });
  setTimeout(function () { map.invalidateSize(); schedule(); }, 0);
})();
{% endmacro %}
""")

    def __init__(self, schools, units, towns: list, min_zoom: int):
        super().__init__()
        self._name = "PlannerBehaviour"
        self.schools, self.units, self.min_zoom = schools, units, int(min_zoom)
        self.has_units = units is not None
        self.towns_js = js_value(towns)


class _Legend(MacroElement):
    """The legend of every layer drawn, built with textContent (no data becomes markup)."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var blocks = {{ this.blocks_js }};
  var control = L.control({position: "bottomleft"});
  control.onAdd = function () {
    var div = L.DomUtil.create("div", "map-legend");
    blocks.forEach(function (b) {
      var block = L.DomUtil.create("div", "legend-block", div);
      block.setAttribute("data-legend", b.kind);
      L.DomUtil.create("div", "legend-title", block).textContent = b.title;
      b.items.forEach(function (it) {
        var row = L.DomUtil.create("div", it[0] === "note" ? "legend-note" : "legend-item", block);
        if (it[0] !== "note") {
          var sw = L.DomUtil.create("span", "legend-swatch legend-" + it[0], row);
          var c = it[1].split(" ");
          sw.style.setProperty("--c", c[0]);
          sw.style.setProperty("--c2", c[1] || c[0]);
          if (it[0] === "palette") {
            sw.style.background = "linear-gradient(to right," + c.map(function (x, i) {
              return x + " " + (100 * i / c.length) + "% " + (100 * (i + 1) / c.length) + "%";
            }).join(",") + ")";
          }
        }
        if (it[2]) { L.DomUtil.create("span", "legend-label", row).textContent = it[2]; }
      });
    });
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  control.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
""")

    def __init__(self, blocks: list[LegendBlock]):
        super().__init__()
        self._name = "PlannerLegend"
        self.blocks = blocks
        self.blocks_js = js_value([{"kind": b.kind, "title": b.title,
                                    "items": [list(i) for i in b.items]} for b in blocks])


ACTION_COLOURS = {"build": "#8e44ad", "fit": "#8e44ad", "buy": "#8e44ad", "hire": "#c0392b",
                  "designate": "#2471a3", "exchange": "#17a589", "redeploy": "#17a589",
                  "certify": "#2471a3", "cap": "#d35400", "rezone": "#d35400"}


def plan_year_map(plan, ev: Evaluation, actions: pd.DataFrame, *, section: str = "primary",
                  lang: str = "zh") -> folium.Map:
    """The county in one year of a plan of record, with that year's actions on their schools.

    `plan` is the plan of the year (projected pupils, the plan's edits in effect) and `ev` its
    evaluation; `actions` the plan's actions taking effect that year (planner/record.py), each
    drawn as a ring on its school whose tooltip lists them (text escaped).
    """
    from planner.i18n import t

    m = county_map(plan.ws, ev, section=section, lang=lang, zoning=plan.zoning)
    group = folium.FeatureGroup(name=t("plan_actions_layer", lang))
    index = plan.school_index
    for sid, part in actions[actions["school_id"] != ""].groupby("school_id", sort=True):
        i = index.get(str(sid))
        if i is None:
            continue
        kinds = [str(a) for a in part["action"]]
        colour = ACTION_COLOURS.get(kinds[0].split("_")[0], "#555555")
        lines = [html_text(plan.schools["name"][i])] + [
            html_text(f"{t(f'plan_act_{a}', lang)} {r:g}") for a, r in
            zip(part["action"], part["quantity"], strict=True)]
        folium.CircleMarker([float(plan.schools["lat"][i]), float(plan.schools["lon"][i])],
                            radius=11, color=colour, weight=3, fill=False,
                            tooltip=folium.Tooltip("<br>".join(lines))).add_to(group)
    group.add_to(m)
    return m
