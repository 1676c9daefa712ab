"""The county on a map: catchments, schools coloured by an overlay, units, flows and radii."""

import streamlit as st
from streamlit_folium import st_folium

from app_pages.common import bench, current_lang, md
from planner.i18n import column, t
from planner.report.maps import OVERLAYS, UNIT_SHADING, county_map, legend
from planner.scenario import unit_at

lang = current_lang()
b = bench()
st.header(t("page_map", lang))
if b.base.ws.meta.synthetic:
    st.info(t("synthetic_banner", lang))
c1, c2, c3 = st.columns(3)
section = c1.radio(t("section", lang), ["primary", "junior"], key="map_section",
                   format_func=lambda s: t(s, lang), horizontal=True)
overlay = c2.selectbox(t("overlay", lang), OVERLAYS, key="map_overlay",
                       format_func=lambda o: column(o, lang) if o.startswith("R")
                       else t(f"overlay_{o}", lang))
shading = c3.selectbox(t("unit_shading", lang), UNIT_SHADING, key="map_units",
                       format_func=lambda u: t(f"shade_{u}", lang))
c4, c5, c6 = st.columns(3)
flows = c4.checkbox(t("show_flows", lang), key="map_flows")
radii = c5.checkbox(t("show_radii", lang), key="map_radii")
basemap = c6.radio(t("basemap", lang), ["none", "osm"], key="map_basemap", horizontal=True,
                   format_func=lambda x: t(f"basemap_{x}", lang))
plan = b.current_plan
with st.spinner(t("drawing", lang)):
    m = county_map(plan.ws, b.current, section=section, overlay=overlay, lang=lang,
                   basemap=None if basemap == "none" else "osm", units=shading, flows=flows,
                   radii=radii, zoning=plan.zoning)
st.markdown(" ".join(f"<span style='color:{c}'>●</span> {label}" for c, label in
                     legend(overlay, lang)), unsafe_allow_html=True)
clicked = st_folium(m, height=640, use_container_width=True,
                    returned_objects=["last_clicked"], key="county_map")
point = (clicked or {}).get("last_clicked")
if point:
    unit = unit_at(plan.ws, point["lng"], point["lat"])
    if unit is not None:
        st.session_state["selected_unit"] = unit
unit = st.session_state.get("selected_unit")
if unit:
    name = plan.ws.units.set_index("unit_id").at[unit, "name"]
    st.success(t("unit_selected", lang, unit=md(f"{name} ({unit})")))
