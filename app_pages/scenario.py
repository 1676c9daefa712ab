"""Scenario: pick or create one, edit it, undo; every edit is saved and re-evaluated at once."""

import json

import streamlit as st

from app_pages.common import (
    bench,
    choice,
    current_lang,
    md,
    new_scenario_form,
    session_changes,
    session_edit,
    session_undo,
    session_year,
    show_last_error,
    year_picker,
)
from planner.i18n import column, t
from planner.report import tables

lang = current_lang()
b = bench()
st.header(t("page_scenario", lang))
new_scenario_form("scn", expanded=b.plan is None)
show_last_error()
if b.plan is None:
    st.info(t("pick_scenario", lang))
    st.stop()

plan = b.plan
schools = plan.ws.schools
names = dict(zip(schools["school_id"], schools["name"], strict=True))
units = plan.ws.units
unit_names = dict(zip(units["unit_id"], units["name"], strict=True))
state = st.session_state


def _move() -> None:
    session_edit({"op": "move_unit", "unit_id": state["mv_unit"],
                  "section": state["mv_section"], "to_school": state["mv_to"]})


def _set() -> None:
    raw = state["set_value"]
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    session_edit({"op": "set_school", "school_id": state["set_school"],
                  "values": {state["set_column"]: value}})


def _open() -> None:
    picked = state.get("open_units") or []
    session_edit({"op": "open_school", "school_id": state["open_id"],
                  "lon": state["open_lon"], "lat": state["open_lat"],
                  "values": {"kind": state["open_kind"],
                             "name": state["open_name"] or state["open_id"],
                             "classrooms": state["open_rooms"]},
                  "units": {state["open_section"]: picked} if picked else {}})


def _close() -> None:
    into = state["close_into"]
    change = {"op": "close_school", "school_id": state["close_school"]}
    change.update({"split": True} if into == "split" else {"into": into, "with_teachers": True})
    session_edit(change)


def _enforce() -> None:
    target = state["enforce_school"]
    session_edit({"op": "enforce_zoning", "school_id": None if target == "all" else target})


edits = list(b.scenario.edits)
st.caption(t("edits_count", lang, n=len(edits)))
tabs = st.tabs([t(k, lang) for k in ("op_move", "op_set", "op_open", "op_close",
                                     "op_enforce")])
with tabs[0]:
    unit_ids = list(units["unit_id"])
    if state.get("selected_unit") in unit_ids:  # chosen on the map
        state["mv_unit"] = state.pop("selected_unit")
    st.selectbox(t("units", lang), unit_ids, key="mv_unit",
                 format_func=lambda u: f"{unit_names[u]} ({u})")
    sec = choice(st, t("section", lang), ["primary", "junior"], "mv_section", kind="radio",
                 format_func=lambda s: t(s, lang), horizontal=True)
    zoned = plan.zoning.at[state["mv_unit"], sec]
    st.caption(t("zoned_now", lang, school=md(names.get(zoned, "—"))))
    targets = dict(tables.move_targets(plan, state["mv_unit"], sec))
    choice(st, t("to_school", lang), list(targets), "mv_to",
           format_func=lambda s: f"{names[s]} ({s}) · {tables.distance_text(targets[s], lang)}")
    st.caption(t("targets_by_distance", lang))
    st.button(t("apply", lang), key="do_move", on_click=_move)
with tabs[1]:
    st.selectbox(t("schools", lang), list(schools["school_id"]), key="set_school",
                 format_func=lambda s: f"{names[s]} ({s})")
    editable = ["classrooms", "teachers_total", "teachers_certified", "teachers_above_degree",
                "teachers_backbone", "teachers_pe_art", "teaching_aux_area_m2", "sports_area_m2",
                "equipment_value_yuan", "multimedia_rooms", "music_rooms", "art_rooms",
                "classes_primary", "classes_junior", "max_class_size_primary",
                "max_class_size_junior", "public", "boarding"]
    choice(st, t("field", lang), editable, "set_column",
           format_func=lambda c: tables.schema_header(c, lang))
    st.text_input(column("value", lang), key="set_value")
    st.button(t("apply", lang), key="do_set", on_click=_set)
with tabs[2]:
    st.text_input(column("school_id", lang), key="open_id", value="NEW1")
    st.text_input(t("name", lang), key="open_name")
    choice(st, t("kind", lang), ["primary", "junior", "nine_year"], "open_kind",
           format_func=lambda k: t(f"kind_{k}", lang))
    centre = units.geometry.union_all().centroid
    st.number_input(t("longitude", lang), key="open_lon", value=round(centre.x, 5), format="%.5f")
    st.number_input(t("latitude", lang), key="open_lat", value=round(centre.y, 5), format="%.5f")
    st.number_input(t("classrooms", lang), key="open_rooms", min_value=0, value=24)
    choice(st, t("section", lang), ["primary", "junior"], "open_section", kind="radio",
           format_func=lambda s: t(s, lang), horizontal=True)
    st.multiselect(t("units", lang), list(units["unit_id"]), key="open_units",
                   format_func=lambda u: f"{unit_names[u]} ({u})")
    st.button(t("apply", lang), key="do_open", on_click=_open)
with tabs[3]:
    st.selectbox(t("schools", lang), list(schools["school_id"]), key="close_school",
                 format_func=lambda s: f"{names[s]} ({s})")
    choice(st, t("close_into", lang), ["split", *schools["school_id"]], "close_into",
           format_func=lambda s: t("split", lang) if s == "split" else f"{names[s]} ({s})")
    st.button(t("apply", lang), key="do_close", on_click=_close)
with tabs[4]:
    choice(st, t("schools", lang), ["all", *schools["school_id"]], "enforce_school",
           format_func=lambda s: t("all_schools", lang) if s == "all" else f"{names[s]} ({s})")
    st.button(t("apply", lang), key="do_enforce", on_click=_enforce)
st.button(t("undo", lang), key="undo", on_click=session_undo, disabled=not edits)

st.subheader(t("changes_panel", lang))
year = year_picker()
d = session_changes(year)
panel = tables.change_tables(d, lang)
st.markdown(f"**{tables.verdict_text(session_year(year)[1], lang)}**")
st.dataframe(panel["rows"], hide_index=True)
st.dataframe(panel["caps"], hide_index=True)
st.dataframe(panel["zoned"], hide_index=True)
st.caption(t("moved_summary", lang, students=d.pupils_changing_school, net=d.net_gain,
             units=len(d.units)))
