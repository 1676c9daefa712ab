"""Province: a batch result folder, read-only — the county map, the ranking, a county's report.

The folder is the `--out` of `planner batch` (PLANNER_PROVINCE names one at start). Clicking a
county on the map, selecting its row in the ranking or picking it from the list opens its
report (when the batch rendered one).
"""

import base64
import html
import os
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components
from streamlit_folium import st_folium

from app_pages.common import current_lang
from planner.errors import PlannerError
from planner.report import province as pr

lang = current_lang()
st.header(pr.text("page_province", lang))
st.session_state.setdefault("province_dir", os.environ.get("PLANNER_PROVINCE", ""))
folder = st.text_input(pr.text("pick_folder", lang), key="province_dir").strip()
if not folder:
    st.info(pr.text("pick_hint", lang))
    st.stop()


@st.cache_data(show_spinner=False, max_entries=4)
def _load(path: str, mtime: float):
    return pr.read_province(path)


table_file = Path(folder) / pr.TABLE_FILE
try:
    gdf = _load(folder, table_file.stat().st_mtime if table_file.is_file() else 0.0)
except PlannerError as exc:
    st.error(f"{pr.text('province_load_failed', lang)}\n\n{exc}")
    st.stop()

ok = int((gdf["status"] == "ok").sum())
st.caption(pr.text("summary", lang, n=len(gdf), ok=ok, failed=len(gdf) - ok))
if "synthetic" in gdf and gdf["synthetic"].fillna(False).astype(bool).any():
    st.info(pr.text("synthetic", lang))
options = dict(pr.colour_options(gdf, lang))
column = st.selectbox(pr.text("colour_by", lang), list(options), key="province_colour",
                      format_func=lambda c: options[c])
_, legend = pr.colours(gdf, column, lang)
st.markdown(" ".join(f"<span style='color:{c}'>■</span> {html.escape(label)}"
                     for c, label in legend), unsafe_allow_html=True)
names = dict(zip(gdf["key"], gdf["county"], strict=True))


def _pick(key: str | None, source: str, marker: object) -> None:
    """Open a county from a map click or a table row, once per new click or row."""
    if key is not None and st.session_state.get(f"province_seen_{source}") != marker:
        st.session_state["province_county"] = key
    st.session_state[f"province_seen_{source}"] = marker


clicked = st_folium(pr.province_map(gdf, column, lang=lang), height=520,
                    use_container_width=True, returned_objects=["last_clicked"],
                    key="province_map")
point = (clicked or {}).get("last_clicked")
if point:
    _pick(pr.county_at(gdf, point["lng"], point["lat"]), "map", (point["lng"], point["lat"]))

st.subheader(pr.text("ranking", lang))
order = pr.ranked(gdf)
ranking = pr.display_table(order, pr.ranking_columns(gdf), lang)
picked = st.dataframe(ranking, hide_index=True, key="province_table", on_select="rerun",
                      selection_mode="single-row")
rows = picked.selection.rows if picked is not None else []
if rows:
    _pick(str(order["key"].iloc[rows[0]]), "table", rows[0])

failed = gdf[gdf["status"] != "ok"]
if len(failed):
    st.subheader(pr.text("failed_counties", lang))
    st.dataframe(pr.display_table(failed, ["county", "workspace", "message"], lang),
                 hide_index=True, key="province_failed")

st.subheader(pr.text("pick_county", lang))
keys = list(order["key"])
if st.session_state.get("province_county") not in keys:
    st.session_state["province_county"] = keys[0]
key = st.selectbox(pr.text("pick_county", lang), keys, key="province_county",
                   format_func=lambda k: names[k], label_visibility="collapsed")
report = pr.report_path(folder, key)
if report is None:
    st.info(pr.text("no_report", lang))
else:
    # a data: URL gives the report an origin of its own: whatever the file holds cannot reach
    # the app (srcdoc would share the app's origin)
    url = "data:text/html;base64," + base64.b64encode(report.read_bytes()).decode("ascii")
    show = getattr(st, "iframe", None)  # Streamlit ≥ 1.5x; components.iframe before it
    if show is not None:
        show(url, height=900)
    else:
        components.iframe(url, height=900, scrolling=True)
