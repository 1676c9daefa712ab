"""Streamlit entry point: page config, language, login, the session's workbench, the router.

Run with `planner app [WS]`. Everything computed lives in planner/; pages are in app_pages/.
"""

import logging

import streamlit as st

from app_pages.common import (
    current_lang,
    ensure_bench,
    guarded,
    logged_in,
    sidebar,
    upload_problems,
)
from planner.i18n import LANGS, t

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
st.set_page_config(page_title=t("app_title", st.session_state.get("lang", "zh")),
                   page_icon="🏫", layout="wide")
st.session_state.setdefault("lang", "zh")
st.sidebar.radio(t("language", current_lang()), LANGS, key="lang",
                 format_func=lambda code: {"zh": "中文", "en": "English"}[code], horizontal=True)
lang = current_lang()
if not logged_in():
    st.stop()
st.sidebar.title(t("app_title", lang))
ensure_bench()
sidebar()
upload_problems()
pages = [
    st.Page("app_pages/overview.py", title=t("page_overview", lang), icon="📋", default=True),
    st.Page("app_pages/map.py", title=t("page_map", lang), icon="🗺️"),
    st.Page("app_pages/schools.py", title=t("page_schools", lang), icon="🏫"),
    st.Page("app_pages/scenario.py", title=t("page_scenario", lang), icon="✏️"),
    st.Page("app_pages/optimize.py", title=t("page_optimize", lang), icon="🧮"),
    st.Page("app_pages/export.py", title=t("page_export", lang), icon="📦"),
]
guarded(st.navigation(pages))
