"""Streamlit entry point: page config, language, the workspace, and the page router.

Run with `planner app [WS]` (or `streamlit run app.py`). Everything computed lives in planner/.
"""

import streamlit as st

from app_pages.common import current_lang, load_current
from planner.i18n import LANGS, t

st.set_page_config(page_title="义务教育学校布局规划 · School layout planner", layout="wide")
if "lang" not in st.session_state:
    st.session_state["lang"] = "zh"
st.sidebar.radio(t("language", current_lang()), LANGS, key="lang",
                 format_func=lambda code: {"zh": "中文", "en": "English"}[code], horizontal=True)
lang = current_lang()
st.sidebar.title(t("app_title", lang))
ws = load_current()
pages = [st.Page("app_pages/map.py", title=t("page_map", lang), icon="🗺️", default=True)]
st.navigation(pages).run()
