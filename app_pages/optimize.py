"""Optimise a section's catchments and make the costed roadmap, each saved as a scenario."""

import streamlit as st

from app_pages.common import (
    bench,
    choice,
    current_lang,
    md,
    new_scenario_form,
    session_folder,
    session_frontier,
    session_optimise,
    session_roadmap,
    session_save_as,
    session_start_optimise,
    set_bench,
    show_last_error,
)
from planner import optimize as op
from planner.errors import InfeasibleError, InputError
from planner.i18n import t
from planner.optimize.job import progress_text
from planner.report import tables
from planner.report.excel import write_roadmap

lang = current_lang()
b = bench()
st.header(t("page_optimize", lang))
new_scenario_form("opt")
show_last_error()

st.subheader(t("opt_header", lang))
st.caption(t("opt_intro", lang))
c1, c2, c3 = st.columns(3)
section = choice(c1, t("section", lang), ["primary", "junior"], "opt_section", kind="radio",
                 format_func=lambda s: t(s, lang), horizontal=True)
limit = c2.number_input(t("time_limit", lang), 5, 600, 60, key="opt_time")
far = c3.number_input(t("max_distance", lang), 0, 50_000, 0, step=500, key="opt_far")
c4, c5, c6 = st.columns(3)
enforce = c4.checkbox(t("enforce_zoning_opt", lang), key="opt_enforce")
every = c4.checkbox(t("all_grades", lang), key="opt_all_grades")
weight = c5.number_input(t("change_weight", lang), 0, 10_000, 500, step=100, key="opt_weight")
objective = choice(c5, t("objective", lang), list(op.OBJECTIVES), "opt_objective",
                   format_func=lambda o: t(f"objective_{o}", lang))
name = c6.text_input(t("name", lang), value=t("optimised_name", lang, section=t(section, lang)),
                     key="opt_name")
options = op.Options(section=section, time_limit_s=float(limit),
                     max_distance_m=float(far) or None, keep_choosers=not enforce,
                     change_weight_m=float(weight), all_grades=every, objective=objective)
if st.button(t("run_frontier", lang), key="run_frontier"):
    with st.spinner(t("optimising", lang)):
        try:
            st.session_state["opt_frontier"] = session_frontier(b, options)
        except (InputError, InfeasibleError) as exc:
            st.error(md(exc))
if st.session_state.get("opt_frontier"):
    plans, why = st.session_state["opt_frontier"]
    table = tables.frontier_table(plans, lang)
    st.scatter_chart(table, x=t("frontier_km", lang), y=t("frontier_max_cv", lang))
    st.dataframe(table, hide_index=True)
    if why:
        st.caption(t("frontier_why", lang, why=op.why_text(why, lang)))
job_state = st.session_state.get("opt_job")
if st.button(t("run_optimise", lang), key="run_optimise", disabled=job_state is not None):
    try:  # the solve runs in a process of its own (planner/optimize/job.py)
        job_state = (session_start_optimise(b, options, name.strip()), options, name.strip())
    except InputError as exc:
        st.error(md(exc))
    else:
        st.session_state["opt_job"] = job_state
        st.session_state.pop("opt_died", None)
if job_state is not None:
    job, job_options, job_name = job_state
    if st.button(t("opt_cancel", lang), key="opt_cancel"):
        job.cancel()  # the process stops and sends the best plan so far
    bar = st.progress(0.0, text=t("opt_starting", lang))
    while not job.poll(wait_s=0.5):
        bar.progress(min(job.elapsed / job.time_limit_s, 1.0), text=progress_text(job, lang))
    st.session_state.pop("opt_job", None)
    kind, value = job.outcome
    if kind == "result":
        try:
            new, result = session_optimise(b, job_options, job_name, None, result=value)
        except InputError as exc:
            st.error(md(exc))
        else:
            set_bench(new)
            st.session_state.pop("opt_short", None)
            st.session_state["opt_report"] = (new.name, result)
            st.rerun()
    elif kind == "infeasible":
        st.session_state.pop("opt_report", None)
        st.session_state["opt_short"] = value
    elif kind == "refused":
        st.error(value)
    elif kind == "stopped":
        st.info(t("opt_stopped_none", lang))
    else:  # the solve's process ended without a plan (killed, or the solver aborted)
        st.session_state["opt_died"] = value
if st.session_state.get("opt_died") is not None:
    st.error(t("opt_died", lang, code=st.session_state["opt_died"]))
if st.session_state.get("opt_report"):
    saved, result = st.session_state["opt_report"]
    st.success(t("opt_done", lang, name=md(saved)))
    for line in tables.optimise_lines(result, lang):
        st.text(line)
if st.session_state.get("opt_short"):
    message, sites = st.session_state["opt_short"]
    st.error(t("opt_infeasible", lang))
    st.code(message, language=None)
    if sites:
        sites_name = st.text_input(t("name", lang), value=f"{b.name}-sites", key="sites_name")
        if st.button(t("open_sites", lang, n=len(sites)), key="open_sites"):
            if session_save_as(sites_name.strip(), sites, t("note_sites", lang)):
                st.session_state.pop("opt_short", None)
            st.rerun()

st.subheader(t("roadmap_header", lang))
st.caption(t("roadmap_intro", lang))
r1, r2 = st.columns(2)
budget = r1.number_input(t("budget", lang), 0, 10**10, 0, step=1_000_000, key="road_budget")
exchange = r2.checkbox(t("use_exchange", lang), key="road_exchange")
if st.button(t("run_roadmap", lang), key="run_roadmap"):
    st.session_state["road"] = session_roadmap(budget=float(budget) or None, exchange=exchange)
road = st.session_state.get("road")
if road is not None:
    for line in road.summary_lines(lang):
        st.text(line)
    actions, by_year = tables.roadmap_tables(road, lang)
    st.dataframe(actions, hide_index=True)
    st.dataframe(by_year, hide_index=True)
    path = session_folder().new("roadmap-") / "roadmap.xlsx"
    write_roadmap(road, path, lang=lang)
    st.download_button(t("download_roadmap", lang), path.read_bytes(),
                       f"{t('sheet_roadmap', lang)}.xlsx", key="download_roadmap")
    road_name = st.text_input(t("name", lang), value=t("sheet_roadmap", lang), key="road_name")
    if st.button(t("save_roadmap", lang), key="save_roadmap"):
        note = t("note_roadmap", lang, n=len(road.actions), cost=road.total_cost)
        if session_save_as(road_name.strip(), road.edits, note):
            st.session_state["road_saved"] = road_name.strip()
        st.rerun()
if st.session_state.get("road_saved"):
    st.success(t("opt_done", lang, name=md(st.session_state["road_saved"])))
