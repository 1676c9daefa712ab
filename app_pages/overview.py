"""Overview: the verdict, the 32-row checklist, CVs against their limits, failing counts, and
the county year by year (pupils by section with the band, the back-test, the crossings)."""

import streamlit as st

from app_pages.common import (
    bench,
    cached,
    current_lang,
    figure,
    md,
    scenario_label,
    session_year,
    session_years,
    year_picker,
)
from planner.i18n import t
from planner.report import tables
from planner.report.figures import cv_svg, years_svg
from planner.report.projection import (
    backtest_table,
    band_changes_table,
    county_table,
    crossings_table,
)

lang = current_lang()
b = bench()
st.header(md(b.base.ws.meta.name) or t("page_overview", lang))
if b.base.ws.meta.synthetic:
    st.info(t("synthetic_banner", lang))
st.subheader(f"{t('scenario', lang)}: {md(scenario_label(b.name, lang))}")
year = year_picker()
_, ev = session_year(year)
st.markdown(f"**{tables.verdict_text(ev, lang)}**")
s = ev.summary()
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("status_pass", lang), s["pass"])
c2.metric(t("status_fail", lang), s["fail"])
c3.metric(t("status_missing", lang), s["missing"])
c4.metric(t("sections_failing", lang), f"{s['school_sections_failing']} / {s['school_sections']}")
check = cached(("checklist", lang, year), lambda: tables.styled(
    tables.checklist_table(ev, lang), tables.checklist_status(ev, lang)))
st.dataframe(check, hide_index=True, key="checklist_table")

st.subheader(t("cv_bars", lang))
figure(cached(("cv_svg", lang, year), lambda: cv_svg(ev, lang=lang, salt="app-cv")), height=380)

st.subheader(t("failing_by_reason", lang))
st.dataframe(tables.failing_by_reason(ev, lang), hide_index=True)

if year is not None:
    years = session_years()
    st.subheader(t("years_header", lang))
    figure(cached(("years_svg", lang, year), lambda: years_svg(
        years.county, lang=lang, year=year, salt="app-years", backtest=years.backtest)),
        height=360)
    st.caption(t("years_caption", lang))
    st.dataframe(county_table(years.county, lang), hide_index=True, key="years_county_table")
    st.subheader(t("backtest_header", lang))
    if years.backtest is None:
        st.caption(t("backtest_none", lang))
    else:
        st.caption(t("backtest_caption", lang))
        st.dataframe(backtest_table(years.backtest, lang), hide_index=True,
                     key="backtest_table", height=320)
    st.subheader(t("band_changes_header", lang))
    if years.band_changes is not None and len(years.band_changes):
        st.dataframe(band_changes_table(years.band_changes, lang), hide_index=True,
                     key="band_changes_table", height=240)
    else:
        st.caption(t("band_changes_none", lang))
    st.subheader(t("crossings_header", lang))
    if len(years.crossings):
        st.dataframe(crossings_table(years.crossings, lang), hide_index=True,
                     key="crossings_table", height=320)
    else:
        st.caption(t("crossings_none", lang))
