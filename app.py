"""Streamlit entry point: page config, language, the session's workbench, and the router.

Run with `planner app [WS]`. Everything computed lives in planner/; pages are in app_pages/.
"""

import streamlit as st

from app_pages.common import current_lang, ensure_bench, sidebar
from planner.i18n import LANGS, t
from planner.report.province import text as province_text

st.set_page_config(page_title="义务教育学校布局规划 · School layout planner", layout="wide")
st.session_state.setdefault("lang", "zh")
st.sidebar.radio(t("language", current_lang()), LANGS, key="lang",
                 format_func=lambda code: {"zh": "中文", "en": "English"}[code], horizontal=True)
lang = current_lang()
st.sidebar.title(t("app_title", lang))
ensure_bench()
sidebar()
pages = [
    st.Page("app_pages/overview.py", title=t("page_overview", lang), default=True),
    st.Page("app_pages/map.py", title=t("page_map", lang)),
    st.Page("app_pages/schools.py", title=t("page_schools", lang)),
    st.Page("app_pages/scenario.py", title=t("page_scenario", lang)),
    st.Page("app_pages/optimize.py", title=t("page_optimize", lang)),
    st.Page("app_pages/export.py", title=t("page_export", lang)),
    st.Page("app_pages/province.py", title=province_text("page_province", lang)),
]
st.navigation(pages).run()
