"""Schools: per-school indicators, sortable, with what each lacks."""

import streamlit as st

from app_pages.common import bench, current_lang
from planner.i18n import column, t
from planner.report import tables

lang = current_lang()
ev = bench().current
st.header(t("page_schools", lang))
table = tables.schools_table(ev, lang)
only_failing = st.toggle(t("only_failing", lang), key="schools_failing")
if only_failing:
    table = table[~ev.indicators["compliant"].to_numpy()]
st.dataframe(table, hide_index=True, key="schools_table",
             column_config={column("school", lang): st.column_config.TextColumn(pinned=True)})
st.subheader(t("sheet_caps", lang))
st.dataframe(tables.caps_table(ev, lang), hide_index=True)
