"""Scenario: pick or create one, edit it, undo; every edit is saved and re-evaluated at once."""

import json

import streamlit as st

from app_pages.common import bench, current_lang, md, run, show_last_error
from planner import workbench as wb
from planner.i18n import column, t
from planner.layout import section_schools
from planner.report import tables
from planner.scenario import own_edits

lang = current_lang()
b = bench()
st.header(t("page_scenario", lang))


def _create() -> None:
    name = st.session_state.get("new_name", "").strip()
    if run(lambda x: wb.create(x, name, base=st.session_state.get("new_base", "baseline")),
           lang):
        st.session_state["scenario_pick"] = name


with st.expander(t("new_scenario", lang), expanded=b.plan is None):
    st.text_input(t("name", lang), key="new_name")
    st.selectbox(t("base", lang), ["baseline", *b.scenarios["name"]], key="new_base")
    st.button(t("create", lang), key="create_scenario", on_click=_create)

show_last_error()
if b.plan is None:
    st.info(t("pick_scenario", lang))
    st.stop()

plan = b.plan
schools = plan.ws.schools
names = dict(zip(schools["school_id"], schools["name"], strict=True))
units = plan.ws.units
unit_names = dict(zip(units["unit_id"], units["name"], strict=True))


def _edit(change: dict) -> None:
    run(lambda x: wb.edit(x, change), lang)


def _move() -> None:
    _edit({"op": "move_unit", "unit_id": st.session_state["mv_unit"],
           "section": st.session_state["mv_section"], "to_school": st.session_state["mv_to"]})


def _set() -> None:
    raw = st.session_state["set_value"]
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    _edit({"op": "set_school", "school_id": st.session_state["set_school"],
           "values": {st.session_state["set_column"]: value}})


def _open() -> None:
    picked = st.session_state.get("open_units") or []
    _edit({"op": "open_school", "school_id": st.session_state["open_id"],
           "lon": st.session_state["open_lon"], "lat": st.session_state["open_lat"],
           "values": {"kind": st.session_state["open_kind"],
                      "name": st.session_state["open_name"] or st.session_state["open_id"],
                      "classrooms": st.session_state["open_rooms"]},
           "units": {st.session_state["open_section"]: picked} if picked else {}})


def _close() -> None:
    into = st.session_state["close_into"]
    change = {"op": "close_school", "school_id": st.session_state["close_school"]}
    change.update({"split": True} if into == "split" else {"into": into,
                                                           "with_teachers": True})
    _edit(change)


def _enforce() -> None:
    target = st.session_state["enforce_school"]
    _edit({"op": "enforce_zoning", "school_id": None if target == "all" else target})


def _undo() -> None:
    run(wb.undo, lang)


edits = own_edits(b.scenarios, b.name)
st.caption(t("edits_count", lang, n=len(edits)))
tabs = st.tabs([t(k, lang) for k in ("op_move", "op_set", "op_open", "op_close",
                                     "op_enforce")])
with tabs[0]:
    unit_ids = list(units["unit_id"])
    selected = st.session_state.get("selected_unit")
    st.selectbox(t("units", lang), unit_ids, key="mv_unit",
                 index=unit_ids.index(selected) if selected in unit_ids else 0,
                 format_func=lambda u: f"{unit_names[u]} ({u})")
    sec = st.radio(t("section", lang), ["primary", "junior"], key="mv_section",
                   format_func=lambda s: t(s, lang), horizontal=True)
    zoned = plan.zoning.at[st.session_state["mv_unit"], sec]
    st.caption(t("zoned_now", lang, school=md(names.get(zoned, "—"))))
    options = list(schools["school_id"][section_schools(schools, sec)])
    st.selectbox(t("to_school", lang), options, key="mv_to",
                 format_func=lambda s: f"{names[s]} ({s})")
    st.button(t("apply", lang), key="do_move", on_click=_move)
with tabs[1]:
    st.selectbox(t("schools", lang), list(schools["school_id"]), key="set_school",
                 format_func=lambda s: f"{names[s]} ({s})")
    editable = [c for c in ("classrooms", "teachers_total", "teachers_certified",
                            "teachers_above_degree", "teachers_backbone", "teachers_pe_art",
                            "teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan",
                            "multimedia_rooms", "music_rooms", "art_rooms",
                            "classes_primary", "classes_junior", "max_class_size_primary",
                            "max_class_size_junior", "public", "boarding")]
    st.selectbox(column("note", lang), editable, key="set_column")
    st.text_input(column("value", lang), key="set_value")
    st.button(t("apply", lang), key="do_set", on_click=_set)
with tabs[2]:
    st.text_input("school_id", key="open_id", value="NEW1")
    st.text_input(t("name", lang), key="open_name")
    st.selectbox(t("kind", lang), ["primary", "junior", "nine_year"], key="open_kind",
                 format_func=lambda k: t(f"kind_{k}", lang))
    centre = units.geometry.union_all().centroid
    st.number_input("lon", key="open_lon", value=round(centre.x, 5), format="%.5f")
    st.number_input("lat", key="open_lat", value=round(centre.y, 5), format="%.5f")
    st.number_input(t("classrooms", lang), key="open_rooms", min_value=0, value=24)
    st.radio(t("section", lang), ["primary", "junior"], key="open_section",
             format_func=lambda s: t(s, lang), horizontal=True)
    st.multiselect(t("units", lang), list(units["unit_id"]), key="open_units",
                   format_func=lambda u: f"{unit_names[u]} ({u})")
    st.button(t("apply", lang), key="do_open", on_click=_open)
with tabs[3]:
    st.selectbox(t("schools", lang), list(schools["school_id"]), key="close_school",
                 format_func=lambda s: f"{names[s]} ({s})")
    st.selectbox(t("close_into", lang), ["split", *schools["school_id"]], key="close_into",
                 format_func=lambda s: t("split", lang) if s == "split" else f"{names[s]} ({s})")
    st.button(t("apply", lang), key="do_close", on_click=_close)
with tabs[4]:
    st.selectbox(t("schools", lang), ["all", *schools["school_id"]], key="enforce_school",
                 format_func=lambda s: t("all", lang) if s == "all" else f"{names[s]} ({s})")
    st.button(t("apply", lang), key="do_enforce", on_click=_enforce)
st.button(t("undo", lang), key="undo", on_click=_undo, disabled=not edits)

st.subheader(t("changes_panel", lang))
d = b.changes()
panel = tables.change_tables(d, lang)
st.markdown(f"**{tables.verdict_text(b.current, lang)}**")
st.dataframe(panel["rows"], hide_index=True)
st.dataframe(panel["caps"], hide_index=True)
st.dataframe(panel["zoned"], hide_index=True)
st.caption(t("moved_summary", lang, students=int(d.moved.loc[d.moved["delta"] > 0, "delta"]
                                                  .sum()), units=len(d.units)))
