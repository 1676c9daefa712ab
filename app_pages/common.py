"""What every page shares: the language, the session's workbench, the sidebar."""

import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from planner import workbench as wb
from planner.errors import InputError, PlannerError
from planner.i18n import column, t

DEFAULT_WS = Path(__file__).resolve().parent.parent / "geodata" / "demo_county.gpkg"


def current_lang() -> str:
    return st.session_state.get("lang", "zh")


@st.cache_resource(show_spinner=False, max_entries=4)
def _baseline(path: str, mtime: float) -> wb.Baseline:
    # shared read-only between sessions; each session edits its own working copy
    return wb.load_baseline(Path(path))


def _open(path: Path, *, copy: bool) -> wb.Workbench:
    base = _baseline(str(path), path.stat().st_mtime)
    return wb.start(wb.working_copy(path) if copy else path, base)


def ensure_bench() -> None:
    """Open the session's workspace once: the one given to `planner app`, or the demo."""
    if "bench" in st.session_state:
        return
    given = os.environ.get("PLANNER_WORKSPACE")
    path = Path(given) if given else DEFAULT_WS
    with st.spinner(t("loading", current_lang())):
        try:
            st.session_state["bench"] = _open(path, copy=path.resolve() == DEFAULT_WS.resolve())
        except PlannerError as exc:
            st.error(f"{t('load_failed', current_lang())}\n\n{exc}")
            st.stop()


def bench() -> wb.Workbench:
    return st.session_state["bench"]


def set_bench(value: wb.Workbench) -> None:
    st.session_state["bench"] = value


def problems_table(exc: InputError, lang: str) -> pd.DataFrame:
    return pd.DataFrame([{"file": p.file, "layer": p.layer, "row": p.row, "column": p.column,
                          column("note", lang): p.message} for p in exc.problems])


def run(action, lang: str) -> bool:
    """Run an edit-like action; show a refused edit plainly. Returns True on success."""
    try:
        set_bench(action(bench()))
    except InputError as exc:
        st.session_state["last_error"] = problems_table(exc, lang)
        return False
    st.session_state.pop("last_error", None)
    return True


def show_last_error() -> None:
    err = st.session_state.get("last_error")
    if err is not None:
        st.error(t("edit_refused", current_lang()))
        st.dataframe(err, hide_index=True)


def _upload() -> None:
    file = st.session_state.get("upload")
    lang = current_lang()
    if file is None:
        return
    folder = Path(tempfile.mkdtemp(prefix="planner-upload-"))
    try:
        path = wb.import_upload(file.name, file.getvalue(), folder)
        set_bench(_open(path, copy=False))
        st.session_state.pop("upload_problems", None)
    except InputError as exc:
        st.session_state["upload_problems"] = problems_table(exc, lang)


def _use_demo() -> None:
    set_bench(_open(DEFAULT_WS, copy=True))
    st.session_state.pop("upload_problems", None)


def _pick_scenario() -> None:
    run(lambda b: wb.select(b, st.session_state["scenario_pick"]), current_lang())


def sidebar() -> None:
    lang = current_lang()
    b = bench()
    st.sidebar.caption(f"{t('workspace', lang)}: {b.ws.meta.name or b.file}")
    names = ["baseline", *b.scenarios]
    if "pending_pick" in st.session_state:  # a page saved a new scenario and switched to it
        st.session_state["scenario_pick"] = st.session_state.pop("pending_pick")
    if st.session_state.get("scenario_pick") not in names:
        st.session_state["scenario_pick"] = b.name
    st.sidebar.selectbox(t("scenario", lang), names, key="scenario_pick",
                         on_change=_pick_scenario,
                         format_func=lambda n: t("baseline", lang) if n == "baseline" else n)
    with st.sidebar.expander(t("open_other", lang)):
        st.file_uploader(t("upload", lang), type=["gpkg", "xlsx"], key="upload",
                         on_change=_upload)
        st.button(t("use_demo", lang), key="use_demo", on_click=_use_demo)
    if st.session_state.get("upload_problems") is not None:
        st.sidebar.error(t("upload_refused", lang))
        st.sidebar.dataframe(st.session_state["upload_problems"], hide_index=True)
