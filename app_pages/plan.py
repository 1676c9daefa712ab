"""The plan of record: actions by year to the inspection year, a year slider over the checklist."""

import streamlit as st

from app_pages import mapview
from app_pages.common import (
    bench,
    current_lang,
    md,
    new_scenario_form,
    session_folder,
    session_plan,
    session_save_as,
    show_last_error,
)
from planner import workbench as wb
from planner.i18n import t
from planner.report import tables
from planner.report.excel import write_plan
from planner.report.maps import plan_year_map

lang = current_lang()
b = bench()
st.header(t("page_plan", lang))
new_scenario_form("plan")
show_last_error()
st.caption(t("plan_intro", lang))
now = b.ws.meta.year
if now is None:
    st.info(t("plan_needs_year", lang))
    st.stop()
c1, c2 = st.columns(2)
target = c1.number_input(t("plan_target", lang), now + 1, now + 9, min(now + 6, now + 9),
                         key="plan_target")
budget = c2.number_input(t("plan_budget", lang), 0, 10**10, 0, step=1_000_000,
                         key="plan_budget")
if st.button(t("run_plan", lang), key="run_plan"):
    st.session_state["plan_rec"] = session_plan(int(target), budget=float(budget) or None)
    st.session_state["plan_rec_n"] = st.session_state.get("plan_rec_n", 0) + 1
    st.session_state.pop("plan_saved", None)
rec = st.session_state.get("plan_rec")
if rec is not None:
    if not rec.ok:
        st.error(t("plan_blocked", lang))
        st.code("\n".join(x.line(lang) for x in rec.blocks), language=None)
    for line in rec.summary_lines(lang):
        st.text(line)
    parts = tables.plan_tables(rec, lang)
    year = st.slider(t("plan_year", lang), rec.first_year, rec.end_year, rec.target_year,
                     key="plan_year")
    st.subheader(t("plan_rows_of_year", lang, year=year))
    rows = parts["rows"]
    st.dataframe(rows[[rows.columns[0], str(year)]], hide_index=True)
    st.subheader(t("plan_actions_of_year", lang, year=year))
    acts = parts["actions"]
    st.dataframe(acts[rec.actions["year"].to_numpy() == year], hide_index=True)
    st.subheader(t("plan_map_of_year", lang, year=year))
    sec = st.radio(t("section", lang), ["primary", "junior"], key="plan_map_section",
                   format_func=lambda x: t(x, lang), horizontal=True)
    maps = st.session_state.setdefault("plan_maps", {})
    shown = (st.session_state["plan_rec_n"], year, sec, lang)
    if shown not in maps:
        plan, ev = wb.plan_year(b, rec, year)
        maps.clear()
        maps[shown] = mapview.map_parts(plan_year_map(
            plan, ev, rec.actions[rec.actions["year"] == year], section=sec, lang=lang))
    mapview.show(maps[shown], key="plan_map", height=560)
    st.subheader(t("plan_money", lang))
    st.dataframe(parts["money"], hide_index=True)
    st.dataframe(parts["teachers"], hide_index=True)
    path = session_folder().new("plan-") / "plan.xlsx"
    write_plan(rec, path, lang=lang)
    st.download_button(t("download_plan", lang), path.read_bytes(),
                       f"{t('page_plan', lang)}.xlsx", key="download_plan")
    if rec.ok:
        name = st.text_input(t("name", lang), value=f"{t('page_plan', lang)}{rec.target_year}",
                             key="plan_name")
        if st.button(t("save_plan", lang), key="save_plan"):
            note = t("note_plan", lang, year=rec.target_year, n=len(rec.actions),
                     cost=rec.total_yuan)
            if session_save_as(name.strip(), rec.edits, note):
                st.session_state["plan_saved"] = name.strip()
            st.rerun()
if st.session_state.get("plan_saved"):
    st.success(t("opt_done", lang, name=md(st.session_state["plan_saved"])))
