"""The county on a map that fills the page, with a collapsible panel for what was clicked.

Layer settings are in the sidebar. The map (built once per scenario and settings, see
app_pages/mapview.py) and the panel run in a fragment: a click reruns only them and returns
only the clicked object's tooltip, from which the school or unit is read.
"""

import streamlit as st

from app_pages import mapview
from app_pages.common import (
    bench,
    cached,
    choice,
    compact_page,
    current_lang,
    map_layers,
    md,
    school_timeline,
    session_year,
    year_picker,
)
from planner.i18n import column, t
from planner.report import tables
from planner.report.maps import OVERLAYS, UNIT_SHADING, county_map, flow_table, overlay_title

lang = current_lang()
b = bench()
compact_page()
year = year_picker(st.sidebar)
plan, ev = session_year(year)
side = st.sidebar
side.subheader(t("map_layers", lang))
section = choice(side, t("section", lang), ["primary", "junior"], "map_section", kind="radio",
                 format_func=lambda s: t(s, lang), horizontal=True)
overlay = choice(side, t("overlay", lang), list(OVERLAYS), "map_overlay",
                 format_func=lambda o: overlay_title(o, lang))
shading = choice(side, t("unit_shading", lang), list(UNIT_SHADING), "map_units",
                 format_func=lambda u: t(f"shade_{u}", lang))
flows = side.checkbox(t("show_flows", lang), key="map_flows")
radii = side.checkbox(t("show_radii", lang), key="map_radii")
basemap = choice(side, t("basemap", lang), ["none", "osm"], "map_basemap", kind="radio",
                 format_func=lambda x: t(f"basemap_{x}", lang), horizontal=True)
panel = side.toggle(t("show_panel", lang), value=True, key="map_panel")

settings = (section, overlay, shading, flows, radii, basemap, lang, year)
# longest first, so that an id that begins another is not taken for it
school_ids = sorted(plan.ws.schools["school_id"].astype(str), key=len, reverse=True)
unit_ids = sorted(plan.ws.units["unit_id"].astype(str), key=len, reverse=True)
with st.spinner(t("drawing", lang)):
    parts = cached(("map", *settings), lambda: mapview.map_parts(county_map(
        plan.ws, ev, section=section, overlay=overlay, lang=lang,
        basemap=None if basemap == "none" else "osm", units=shading, flows=flows, radii=radii,
        zoning=plan.zoning, layers=map_layers())))
# the map's frame takes the window's height (the component's own height is in pixels)
st.html("<style>iframe[title='streamlit_folium.st_folium'] "
        "{ height: calc(100vh - 3.2rem) !important; }</style>")


def _read_click(widget_key: str) -> None:
    """Turn the clicked object's tooltip into a selection: ("school" | "unit", id).

    The tooltip's text runs its labels and values together ("学校标识码4199000001在校生…"),
    so the id is the known id that follows the id label.
    """
    text = (st.session_state.get(widget_key) or {}).get("last_object_clicked_tooltip") or ""
    for kind, label, ids in (("school", column("school_id", lang), school_ids),
                             ("unit", column("unit_id", lang), unit_ids)):
        at = text.find(label)
        if at >= 0:
            rest = text[at + len(label):].lstrip()
            hit = next((i for i in ids if rest.startswith(i)), None)
            if hit is not None:
                st.session_state["map_selected"] = (kind, hit)
                return


def _rezone(unit_id: str) -> None:
    st.session_state["selected_unit"] = unit_id


@st.fragment
def map_and_panel() -> None:
    if panel:
        left, right = st.columns([2.6, 1], gap="small")
    else:
        left, right = st.container(), None
    key = mapview.component_key(parts, "county_map")
    with left:
        mapview.show(parts, key="county_map", height=760, on_click=lambda: _read_click(key))
    if right is None:
        return
    with right.container(height=720, border=False):
        if b.base.ws.meta.synthetic:
            st.caption(t("synthetic_banner", lang))
        picked = st.session_state.get("map_selected")
        if picked is None:
            st.caption(t("panel_hint", lang))
        elif picked[0] == "school" and picked[1] in school_ids:
            _school_panel(picked[1])
        elif picked[0] == "unit" and picked[1] in unit_ids:
            _unit_panel(picked[1])
        if flows and ev.zoned is not None:
            st.markdown(f"**{t('flows_top', lang)}**")
            top = cached(("flows", section, year), lambda: flow_table(plan.ws, ev, section,
                                                                      map_layers()))
            st.dataframe(top[["township", "school", "students"]].head(25).rename(columns={
                "township": t("township", lang), "school": column("school", lang),
                "students": column("students", lang)}), hide_index=True, height=260)


def _card(frame) -> None:
    """Label – value pairs as text (names escaped: never markup)."""
    sep = "：" if lang == "zh" else ": "
    st.markdown("\n".join(f"- {md(label)}{sep}**{md(value)}**"
                          for label, value in frame.itertuples(index=False)))


def _town_of_unit(unit_id: str) -> str:
    units = map_layers().units
    hit = units.loc[units["unit_id"] == unit_id, "township"]
    return str(hit.iloc[0]) if len(hit) else ""


def _school_panel(school_id: str) -> None:
    from planner.report.maps import school_townships

    towns = cached(("school_townships", year), lambda: school_townships(plan.ws, map_layers()))
    facts, sections, lacks = tables.school_card(ev, plan.ws, school_id, lang,
                                                township=towns.get(school_id, ""))
    st.markdown(f"**{t('selected_school', lang)}**")
    _card(facts)
    if len(sections.columns) > 1:
        st.caption(t("sections_of_school", lang))
        st.dataframe(sections, hide_index=True)
    if len(lacks):
        st.dataframe(lacks, hide_index=True)
    school_timeline(school_id, year)


def _unit_panel(unit_id: str) -> None:
    st.markdown(f"**{t('selected_unit', lang)}**")
    _card(tables.unit_card(plan, ev, unit_id, lang, township=_town_of_unit(unit_id)))
    if st.button(t("rezone_this", lang), key="map_rezone", on_click=_rezone, args=(unit_id,)):
        st.switch_page("app_pages/scenario.py")


map_and_panel()
