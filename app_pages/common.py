"""What every page shares: the language and the cached workspace."""

import os
from pathlib import Path

import streamlit as st

from planner.errors import PlannerError
from planner.i18n import t
from planner.io.load import open_workspace
from planner.workspace import Workspace

DEFAULT_WS = Path(__file__).resolve().parent.parent / "geodata" / "demo_county.gpkg"


def current_lang() -> str:
    return st.session_state.get("lang", "zh")


def workspace_path() -> Path:
    return Path(os.environ.get("PLANNER_WORKSPACE") or DEFAULT_WS)


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(path: str, mtime: float) -> Workspace:
    # cached per file and version; the workspace is treated as read-only by every page
    return open_workspace(path)[0]


def load_current() -> Workspace | None:
    path = workspace_path()
    try:
        return _load(str(path), path.stat().st_mtime if path.exists() else 0.0)
    except PlannerError as exc:
        st.error(f"{t('load_failed', current_lang())}\n\n{exc}")
        st.stop()
    return None
