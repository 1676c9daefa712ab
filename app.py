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
from planner.report.province import text as province_text

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
st.set_page_config(page_title=t("app_title", st.session_state.get("lang", "zh")),
                   page_icon=":material/school:", layout="wide")
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
PAGES = (("overview", "fact_check"), ("map", "map"), ("schools", "school"),
         ("scenario", "edit_note"), ("optimize", "route"), ("plan", "event_note"),
         ("export", "download"))
pages = [st.Page(f"app_pages/{name}.py", title=t(f"page_{name}", lang), icon=f":material/{icon}:",
                 default=name == "overview") for name, icon in PAGES]
pages.append(st.Page("app_pages/province.py", title=province_text("page_province", lang),
                     icon=":material/public:"))
guarded(st.navigation(pages))
