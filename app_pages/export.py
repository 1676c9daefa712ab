"""Export: the layers, the workbook, the report and the catchment notice, of any scenario or
of today's layout."""

from pathlib import Path

import streamlit as st

from app_pages.common import (
    BASELINE,
    bench,
    current_lang,
    md,
    new_scenario_form,
    scenario_label,
    session_folder,
)
from planner import session as ss
from planner.errors import PlannerError
from planner.i18n import t

lang = current_lang()
b = bench()
st.header(t("page_export", lang))
st.subheader(f"{t('scenario', lang)}: {md(scenario_label(b.name, lang))}")
if b.name == BASELINE:
    st.caption(t("export_baseline", lang))
new_scenario_form("exp")

MIME = {".gpkg": "application/geopackage+sqlite3", ".html": "text/html",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".pdf": "application/pdf"}


def download_key(name: str) -> str:
    """The i18n key of a file's download label, by what the file is."""
    stem, suffix = Path(name).stem, Path(name).suffix[1:]
    for tail in ("_notice", "_roadmap", "_map_primary", "_map_junior", "_map_status"):
        if stem.endswith(tail):
            return f"download{tail}_{suffix}"
    return f"download_{suffix}"


def _prepare() -> None:
    folder = session_folder().new("export-")
    try:
        paths = ss.export(b, b.name, folder, lang=lang)
    except PlannerError as exc:
        st.session_state["export_error"] = str(exc)
        return
    st.session_state["export_files"] = {p.name: p.read_bytes() for p in paths}
    st.session_state["export_for"] = (b.name, lang)
    st.session_state.pop("export_error", None)


if st.button(t("prepare_export", lang), key="prepare_export"):
    with st.spinner(t("exporting", lang)):
        _prepare()
if st.session_state.get("export_error"):
    st.error(md(st.session_state["export_error"]))
files = st.session_state.get("export_files") \
    if st.session_state.get("export_for") == (b.name, lang) else None
if files:
    for name, data in files.items():
        label = t(download_key(name), lang)
        st.download_button(f"{label} · {md(name)}", data, file_name=name,
                           mime=MIME[Path(name).suffix], key=f"dl_{name}")
