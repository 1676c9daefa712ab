"""Schools: per school section, what it lacks first, R1–R7 coloured pass / 85 % / fail; one
school year by year against its places and size cap."""

import streamlit as st

from app_pages.common import (
    cached,
    choice,
    current_lang,
    map_layers,
    school_timeline,
    session_year,
    year_picker,
)
from planner.i18n import column, t
from planner.report import tables
from planner.report.maps import school_townships

lang = current_lang()
st.header(t("page_schools", lang))
year = year_picker()
plan, ev = session_year(year)
towns = cached(("school_townships", year), lambda: school_townships(plan.ws, map_layers()))
view, status = cached(("schools_view", lang, year), lambda: tables.schools_view(ev, lang, towns))
c1, c2, c3 = st.columns([2, 2, 1])
town_col, kind_col = t("township", lang), column("kind", lang)
picked_towns = c1.multiselect(town_col, sorted(x for x in set(view[town_col]) if x),
                              key=f"schools_towns.{lang}", placeholder=t("all_townships", lang))
picked_kinds = c2.multiselect(kind_col, sorted(set(view[kind_col])), key=f"schools_kinds.{lang}",
                              placeholder=t("all_kinds", lang))
only_failing = c3.toggle(t("only_failing", lang), key="schools_failing")
keep = view.index == view.index
if picked_towns:
    keep &= view[town_col].isin(picked_towns).to_numpy()
if picked_kinds:
    keep &= view[kind_col].isin(picked_kinds).to_numpy()
if only_failing:
    keep &= ~ev.indicators["compliant"].to_numpy()
st.caption(t("schools_shown", lang, n=int(keep.sum()), total=len(view)))
st.dataframe(tables.styled(view[keep], status[keep]), hide_index=True, key="schools_table",
             height=560, column_config={
                 column("school", lang): st.column_config.TextColumn(pinned=True),
                 t("lacks", lang): st.column_config.TextColumn(width="large")})
st.caption(t("schools_legend", lang))
st.subheader(t("sheet_caps", lang))
st.dataframe(tables.caps_table(ev, lang), hide_index=True)
st.subheader(t("sheet_exclusions", lang))
excluded = tables.exclusions_table(ev, lang)
if excluded.empty:
    st.caption(t("no_exclusions", lang))
else:
    st.caption(t("exclusions_intro", lang))
    st.dataframe(excluded, hide_index=True, key="exclusions_table")

if year is not None:
    st.subheader(t("school_years_header", lang))
    # every school with a section, small teaching points (not evaluated) too
    taught = plan.ws.schools[plan.ws.schools["kind"] != "special"]
    names = dict(zip(taught["school_id"].astype(str), taught["name"], strict=True))
    picked = choice(st, t("school_years_pick", lang), ["none", *names], "schools_pick",
                    format_func=lambda s: t("school_years_none", lang) if s == "none"
                    else f"{names[s]} ({s})")
    if picked != "none":
        school_timeline(picked, year)
