"""What every page shares: language, login, the session's workbench, the sidebar, errors.

Every call into planner/workbench.py is made here (`session_*` functions), so that replacing
the workbench by the session layer changes this file only. Data shown in Markdown goes
through `md` (planner/report/escape.py): names never become markup.
"""

import logging
import os
import time
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from planner import serve
from planner import workbench as wb
from planner.errors import InputError, PlannerError
from planner.i18n import column, t
from planner.report import tables
from planner.report.escape import markdown_text as md
from planner.report.figures import FIGURE_CSS, school_years_svg
from planner.report.maps import BaseLayers, base_layers
from planner.report.projection import crossings_table
from planner.standards import PROFILES

DEFAULT_WS = Path(__file__).resolve().parent.parent / "geodata" / "demo_county.gpkg"
BASELINE = "baseline"
log = logging.getLogger("planner.app")

__all__ = ["md", "BASELINE"]


def current_lang() -> str:
    return st.session_state.get("lang", "zh")


# ---- login -------------------------------------------------------------------------------

def _sign_in() -> None:
    stored = os.environ.get(serve.HASH_ENV, "")
    if serve.check_password(st.session_state.get("login_password", ""), stored):
        st.session_state["authenticated"] = True
        st.session_state.pop("login_failed", None)
    else:
        time.sleep(1.0)  # slows guessing; the compare itself is constant-time
        st.session_state["login_failed"] = True
    st.session_state["login_password"] = ""


def logged_in() -> bool:
    """Return True when no password is set or this session has signed in; else ask for it."""
    if not os.environ.get(serve.HASH_ENV) or st.session_state.get("authenticated"):
        return True
    lang = current_lang()
    st.title(t("app_title", lang))
    with st.form("login", clear_on_submit=False):
        st.caption(t("login_intro", lang))
        st.text_input(t("password", lang), type="password", key="login_password")
        st.form_submit_button(t("sign_in", lang), on_click=_sign_in)
    if st.session_state.get("login_failed"):
        st.error(t("wrong_password", lang))
    return False


# ---- the session's workbench -------------------------------------------------------------

def session_folder() -> serve.SessionFolder:
    """This browser session's temporary folder (removed when the session ends)."""
    if "tmp" not in st.session_state:
        st.session_state["tmp"] = serve.SessionFolder()
    return st.session_state["tmp"]


@st.cache_resource(show_spinner=False, max_entries=4)
def _baseline(path: str, mtime: float, profile: str) -> wb.Baseline:
    # shared read-only between sessions; each session edits its own working copy
    return wb.load_baseline(Path(path), profile=profile or None)


def current_profile() -> str:
    """The profile this session evaluates with: a built-in name or a .toml path; "" for the
    workspace's own (`planner app --profile` sets the first choice)."""
    return st.session_state.setdefault("profile", os.environ.get(serve.PROFILE_ENV, ""))


def _open(path: Path, *, copy: bool) -> wb.Workbench:
    source = (str(path), path.stat().st_mtime)
    base = _baseline(*source, current_profile())
    st.session_state["source"] = source
    target = wb.working_copy(path, session_folder().new("copy-")) if copy else path
    return wb.start(target, base)


def _pick_profile() -> None:
    """Evaluate the open workspace and its scenarios with the profile chosen."""
    st.session_state["profile"] = st.session_state["profile_pick"]
    b = bench()
    base = _baseline(*st.session_state["source"], current_profile())
    if b.name != BASELINE and b.name not in b.scenarios:
        return
    run(lambda _: wb.select(wb.start(b.path, base), b.name), current_lang())


def profile_options() -> list[str]:
    """The profiles the sidebar offers: the workspace's own, the built-in ones, the given."""
    options = ["", *PROFILES]
    given = os.environ.get(serve.PROFILE_ENV, "")
    if given and given not in options:
        options.append(given)
    return options


def profile_name(name: str, lang: str) -> str:
    """A profile's name as shown: the built-in ones in the reader's language."""
    return t(f"profile_name_{name}", lang) if name in PROFILES else name


def profile_label(value: str, stored: str, lang: str) -> str:
    if not value:
        return t("profile_stored", lang, name=profile_name(stored, lang))
    return Path(value).name if value.lower().endswith(".toml") else profile_name(value, lang)


@st.cache_resource(show_spinner=False, max_entries=4)
def _map_layers(source: tuple, _ws) -> BaseLayers:
    return base_layers(_ws)  # units, townships, roads: the same for every scenario


def map_layers() -> BaseLayers:
    """The workspace's scenario-independent map layers, shared by the sessions that open it."""
    return _map_layers(st.session_state["source"], bench().base.ws)


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
            st.error(f"{t('load_failed', current_lang())}\n\n{md(exc)}")
            st.stop()


def bench() -> wb.Workbench:
    return st.session_state["bench"]


def set_bench(value: wb.Workbench) -> None:
    st.session_state["bench"] = value
    st.session_state.pop("views", None)  # what pages cached for the previous state


def run(action, lang: str) -> bool:
    """Run an edit-like action on the workbench; keep a refusal to show. True on success."""
    try:
        set_bench(action(bench()))
    except InputError as exc:
        st.session_state["last_error"] = tables.problems_table(exc, lang)
        return False
    st.session_state.pop("last_error", None)
    return True


def session_select(name: str) -> bool:
    return run(lambda b: wb.select(b, name), current_lang())


def session_create(name: str, base: str) -> bool:
    return run(lambda b: wb.create(b, name, base=base), current_lang())


def session_edit(change: dict) -> bool:
    return run(lambda b: wb.edit(b, change), current_lang())


def session_undo() -> bool:
    return run(wb.undo, current_lang())


def session_save_as(name: str, edits: list[dict], note: str) -> bool:
    return run(lambda b: wb.save_as(b, name, edits, note), current_lang())


def session_frontier(workbench: wb.Workbench, options):
    """Plans from least travel to least CV of the current scenario (nothing saved)."""
    from planner import optimize as op
    from planner import session as ss

    plans = ss.optimisation_plans(workbench, workbench.name, options)
    return op.frontier(plans, options)


def session_optimise(workbench: wb.Workbench, options, name: str, report, *, result=None):
    """Optimise, or save what a solve in its own process found (`result`)."""
    return wb.optimise(workbench, options, name, report=report, result=result)


def session_start_optimise(workbench: wb.Workbench, options, name: str):
    """Start a solve in a process of its own (a planner.optimize.job.SolveJob)."""
    return wb.start_optimise(workbench, options, name)


def session_plan(target: int, *, budget: float | None):
    return wb.plan_of_record(bench(), target, budget=budget)


def session_roadmap(*, budget: float | None, exchange: bool):
    return wb.roadmap(bench(), budget=budget, exchange=exchange)


# ---- school years -------------------------------------------------------------------------

def year_picker(note=st) -> int | None:
    """The school year a page shows, chosen in the sidebar (the workspace's year by default).

    The workspace's year and the nine after it; None (and a note) when the workspace does
    not say its year. What the year's numbers are (today's data or projected) is said in
    `note` (the page, or the sidebar where the page has no room).
    """
    lang = current_lang()
    options = wb.year_options(bench())
    if not options:
        st.sidebar.caption(t("no_year", lang))
        return None
    year = choice(st.sidebar, t("school_year", lang), options, "year", format_func=str)
    note.caption(t("year_today" if year == options[0] else "year_projected", lang, year=year))
    return year


def session_year(year: int | None):
    """The selected scenario's plan and evaluation in `year`, made once per scenario and year."""
    return cached(("year_view", year), lambda: wb.evaluate_year(bench(), year))


def session_years():
    """The selected scenario year by year (planner.session.Years), made once per scenario."""
    return cached(("years",), lambda: wb.years(bench()))


def session_changes(year: int | None):
    """What the selected scenario changes against today's layout in `year`."""
    return cached(("changes", year), lambda: wb.changes_at(bench(), year))


def figure(svg: str, height: int) -> None:
    """Show an SVG figure in a frame of its own (its text drawn by the browser).

    st.html would strip the SVG and Markdown parses it slowly; the figure holds only
    translated labels and numbers.
    """
    components.html(f"<style>html, body {{ margin: 0; height: 100%; }} {FIGURE_CSS} "
                    ".figure, .figure svg { width: 100%; height: 100%; }</style>"
                    f"<div class='figure'>{svg}</div>", height=height)


def school_timeline(school_id: str, year: int | None) -> None:
    """A school's pupils year by year against its places and size cap, and its crossings."""
    if year is None:
        return
    lang = current_lang()
    years = session_years()
    rows = years.schools[years.schools["school_id"].astype(str) == str(school_id)]
    if rows.empty:  # a special school: no section in the years table
        return
    st.markdown(f"**{t('school_years_header', lang)}**")
    figure(cached(("school_years_svg", str(school_id), lang, year), lambda: school_years_svg(
        rows, lang=lang, year=year, salt=f"app-school-{school_id}")), height=300)
    mine = years.crossings[years.crossings["school_id"].astype(str) == str(school_id)]
    if len(mine):
        st.dataframe(crossings_table(mine, lang).drop(
            columns=[column("school_id", lang), column("school", lang)]), hide_index=True,
            key=f"school_crossings_{school_id}")


def show_last_error() -> None:
    err = st.session_state.get("last_error")
    if err is not None:
        st.error(t("edit_refused", current_lang()))
        st.dataframe(err, hide_index=True)


@st.cache_resource(show_spinner=False)
def _shared_views() -> dict:
    return {}  # the baseline's views, shared by every session on the same workspace


def cached(key: tuple, make, *, limit: int = 48):
    """Return what `make()` gives for `key`, made once per workbench state.

    A scenario's views are kept in the session (and dropped when it changes); the baseline's
    (its map, CV chart, tables) are the same for every session on a workspace and profile, so
    they are made once for all of them.
    """
    if bench().name == BASELINE:
        store, key = _shared_views(), (st.session_state["source"], current_profile(), *key)
    else:
        store = st.session_state.setdefault("views", {})
    if key not in store:
        while len(store) >= limit:
            store.pop(next(iter(store)))
        store[key] = make()
    return store[key]


# ---- uploads and the sidebar -------------------------------------------------------------

def _upload() -> None:
    file = st.session_state.get("upload")
    lang = current_lang()
    if file is None:
        return
    st.session_state["upload_name"] = wb.upload_name(file.name)
    try:
        path = wb.import_upload(file.name, file.getvalue(), session_folder().new("upload-"),
                                lang=lang)
        set_bench(_open(path, copy=False))
        st.session_state.pop("upload_problems", None)
    except InputError as exc:
        st.session_state["upload_problems"] = exc


def _use_demo() -> None:
    set_bench(_open(DEFAULT_WS, copy=True))
    st.session_state.pop("upload_problems", None)


def _pick_scenario() -> None:
    session_select(st.session_state["scenario_pick"])


def scenario_label(name: str, lang: str) -> str:
    return t("baseline", lang) if name == BASELINE else name


def choice(container, label: str, options: list, key: str, *, format_func=str, on_change=None,
           kind: str = "selectbox", **kwargs):
    """A selectbox (or radio) whose value survives a change of language.

    Streamlit identifies a selectbox's choice by its label; labels change with the language,
    so the widget's key carries the language and the value is kept under `key` itself.
    """
    lang = current_lang()
    widget = f"{key}.{lang}"
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    st.session_state[widget] = st.session_state[key]

    def sync() -> None:
        st.session_state[key] = st.session_state[widget]
        if on_change is not None:
            on_change()

    make = container.selectbox if kind == "selectbox" else container.radio
    make(label, options, key=widget, format_func=format_func, on_change=sync, **kwargs)
    return st.session_state[key]


def sidebar() -> None:
    lang = current_lang()
    b = bench()
    st.sidebar.caption(f"{t('workspace', lang)}: {md(b.ws.meta.name or b.file)}")
    names = [BASELINE, *b.scenarios]
    st.session_state["scenario_pick"] = b.name  # the workbench says which scenario is open
    choice(st.sidebar, t("scenario", lang), names, "scenario_pick", on_change=_pick_scenario,
           format_func=lambda n: scenario_label(n, lang))
    stored = b.base.ws.meta.standards_profile
    st.session_state["profile_pick"] = current_profile()
    choice(st.sidebar, t("profile", lang), profile_options(), "profile_pick",
           on_change=_pick_profile, format_func=lambda v: profile_label(v, stored, lang))
    st.sidebar.caption(t("profile_in_use", lang, name=md(profile_name(b.standards.name, lang))))
    with st.sidebar.expander(t("open_other", lang)):
        st.file_uploader(t("upload", lang), type=[s[1:] for s in wb.UPLOAD_TYPES], key="upload",
                         on_change=_upload, max_upload_size=wb.MAX_UPLOAD_BYTES // 2**20)
        st.button(t("use_demo", lang), key="use_demo", on_click=_use_demo)


def upload_problems() -> None:
    """Show a refused upload's problems in the main area, with headers in the reader's language."""
    exc = st.session_state.get("upload_problems")
    if exc is None:
        return
    lang = current_lang()
    st.error(t("upload_refused", lang, name=md(st.session_state.get("upload_name", ""))))
    st.dataframe(tables.problems_table(exc, lang), hide_index=True, key="upload_problems_table")


def new_scenario_form(prefix: str, *, expanded: bool = False) -> None:
    """Create a scenario (name, base) from any page; the new one is opened at once."""
    lang = current_lang()
    b = bench()

    def create() -> None:
        name = st.session_state.get(f"{prefix}_new_name", "").strip()
        base = st.session_state.get(f"{prefix}_new_base", BASELINE)
        session_create(name, base)

    with st.expander(t("new_scenario", lang), expanded=expanded):
        st.text_input(t("name", lang), key=f"{prefix}_new_name")
        choice(st, t("base", lang), [BASELINE, *b.scenarios], f"{prefix}_new_base",
               format_func=lambda n: scenario_label(n, lang))
        st.button(t("create", lang), key=f"{prefix}_create", on_click=create)


def compact_page() -> None:
    """Less space above the page's content (the map page fills the screen)."""
    st.html("<style>.block-container, [data-testid='stMainBlockContainer'] "
            "{ padding: 1.2rem 1rem 0.5rem 1rem; max-width: 100%; }</style>")


# ---- pages -------------------------------------------------------------------------------

def guarded(page) -> None:
    """Run a page: a PlannerError is shown plainly; anything else is logged, never sent."""
    lang = current_lang()
    try:
        page.run()
    except PlannerError as exc:
        st.error(md(exc))
    except Exception:
        log.exception("page %s failed", getattr(page, "title", page))
        st.error(t("unexpected_error", lang))
