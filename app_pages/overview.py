"""Overview: the verdict, the 32-row checklist, CVs against their limits, failing counts."""

import streamlit as st
import streamlit.components.v1 as components

from app_pages.common import bench, cached, current_lang, md, scenario_label
from planner.i18n import t
from planner.report import tables
from planner.report.figures import FIGURE_CSS, cv_svg

lang = current_lang()
b = bench()
ev = b.current
st.header(md(b.base.ws.meta.name) or t("page_overview", lang))
if b.base.ws.meta.synthetic:
    st.info(t("synthetic_banner", lang))
st.subheader(f"{t('scenario', lang)}: {md(scenario_label(b.name, lang))}")
st.markdown(f"**{tables.verdict_text(ev, lang)}**")
s = ev.summary()
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("status_pass", lang), s["pass"])
c2.metric(t("status_fail", lang), s["fail"])
c3.metric(t("status_missing", lang), s["missing"])
c4.metric(t("sections_failing", lang), f"{s['school_sections_failing']} / {s['school_sections']}")
check = cached(("checklist", lang), lambda: tables.styled(tables.checklist_table(ev, lang),
                                                          tables.checklist_status(ev, lang)))
st.dataframe(check, hide_index=True, key="checklist_table")

st.subheader(t("cv_bars", lang))
svg = cached(("cv_svg", lang), lambda: cv_svg(ev, lang=lang, salt="app-cv"))
# a frame of its own: inline SVG whose text the browser draws (st.html would strip the SVG,
# Markdown parses it slowly); it holds only translated labels and numbers
components.html(f"<style>html, body {{ margin: 0; height: 100%; }} {FIGURE_CSS} "
                ".cv-chart, .cv-chart svg { width: 100%; height: 100%; }</style>"
                f"<div class='cv-chart'>{svg}</div>", height=380)

st.subheader(t("failing_by_reason", lang))
st.dataframe(tables.failing_by_reason(ev, lang), hide_index=True)
