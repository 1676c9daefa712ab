"""The county on a map: catchments of a section, units and schools."""

import streamlit as st
from streamlit_folium import st_folium

from app_pages.common import current_lang, load_current
from planner.i18n import t
from planner.report.maps import county_map

lang = current_lang()
ws = load_current()
st.header(ws.meta.name or t("page_map", lang))
if ws.meta.synthetic:
    st.info(t("synthetic_banner", lang))
students = int(ws.schools["students_primary"].sum() + ws.schools["students_junior"].sum())
st.caption(t("summary", lang, schools=len(ws.schools),
             units=0 if ws.units is None else len(ws.units), students=students))
left, right = st.columns(2)
section = left.radio(t("section", lang), ["primary", "junior"], key="map_section",
                     format_func=lambda s: t(s, lang), horizontal=True)
basemap = right.radio(t("basemap", lang), ["none", "osm"], key="map_basemap",
                      format_func=lambda b: t(f"basemap_{b}", lang), horizontal=True)
m = county_map(ws, section=section, lang=lang, basemap=None if basemap == "none" else "osm")
st_folium(m, height=620, use_container_width=True, returned_objects=[], key="county_map")
