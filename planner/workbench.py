"""The app's side of a planner's session (no Streamlit here, so it is testable).

The app keeps one :class:`~planner.session.Session` per browser session: a working copy of
the workspace (the bundled demo and uploads are copied, so originals never change), a
baseline shared read-only between sessions, and the scenario being edited. Every action is a
use case of planner/session.py — the same ones the command line calls; this module only adds
what is the app's own: working copies and uploads.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from planner import session as ss
from planner.errors import InputError
from planner.io.gpkg import write_workspace
from planner.io.load import open_workspace
from planner.session import Baseline, Session
from planner.standards import profile_of

Workbench = Session
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_TYPES = (".gpkg", ".xlsx", ".csv")

select = ss.select
create = ss.create
edit = ss.edit
delete = ss.delete
reload = ss.reload


def working_copy(source: Path, folder: Path | None = None) -> Path:
    """Copy a workspace into a fresh folder of its own and return the copy's path."""
    folder = Path(folder or tempfile.mkdtemp(prefix="planner-"))
    target = folder / source.name
    shutil.copy2(source, target)
    return target


def load_baseline(path: Path, *, profile: str | None = None) -> Baseline:
    """Open a workspace and make its baseline (evaluated when first asked for)."""
    ws, _ = open_workspace(path)
    standards = profile_of(ws.meta) if profile is None else ss.resolve(
        profile, stored=ws.meta.standards_profile)
    return Baseline(ws, standards)


def start(path: Path, base: Baseline | None = None) -> Session:
    """Begin a session on a workspace file (with a baseline already made for it, if given)."""
    return ss.open_session(path, base=base if base is not None else load_baseline(path))


def undo(bench: Session) -> Session:
    """Remove the selected scenario's last edit, save, and rebuild it."""
    return ss.undo(bench)[0]


def save_as(bench: Session, name: str, edits: list[dict], note: str) -> Session:
    """Save edits as a new scenario on the current one (or the baseline) and switch to it."""
    return ss.create(bench, name, base=bench.name, author="planner", note=note, edits=edits)


def optimise(bench: Session, options, name: str, *, report=None, result=None):
    """Optimise a section of the current plan and save the result as scenario `name`.

    `result`: solved already, in a process of its own (:func:`start_optimise`).
    """
    return ss.optimise(bench, options, name, base=bench.name, report=report, result=result)


def start_optimise(bench: Session, options, name: str):
    """Start solving a section of the current plan in a process of its own (a SolveJob).

    The name is checked first (a taken name is refused before the solver starts).
    """
    from planner.optimize.job import SolveJob

    ss.check_new_name(bench, name)
    return SolveJob.start(ss.optimisation_plans(bench, bench.name, options), options)


def roadmap(bench: Session, *, budget: float | None, exchange: bool):
    """The costed roadmap of the current plan."""
    return ss.roadmap(bench, bench.name, budget=budget, exchange=exchange)


def plan_of_record(bench: Session, target: int, *, budget: float | None = None):
    """The plan of record of the current scenario for a target year (not saved, not named)."""
    return ss.plan_of_record(bench, target, name="", base=bench.name, budget=budget)


def plan_year(bench: Session, rec, year: int):
    """A plan of record's plan and evaluation in one of its years (the plan not saved)."""
    from planner.evaluation import evaluate
    from planner.plan import apply_edits

    plan = apply_edits(ss.plan_at_year(bench, rec.base, year), rec.edits)
    return plan, evaluate(plan)


def year_options(bench: Session) -> list[int]:
    """The school years the app can show: the workspace's and the next nine (none without)."""
    now = bench.ws.meta.year
    return [] if now is None else list(range(now, now + ss.YEARS_AHEAD + 1))


def evaluate_year(bench: Session, year: int | None):
    """The selected scenario's plan and evaluation in a school year (today's when None)."""
    if year is None or year == bench.ws.meta.year:
        return bench.current_plan, bench.current
    return ss.evaluate_scenario(bench, bench.name, year=year)


def years(bench: Session):
    """The selected scenario year by year to nine years on (None without a school year)."""
    now = bench.ws.meta.year
    return None if now is None else ss.project(bench, to_year=now + ss.YEARS_AHEAD,
                                               scenario=bench.name)


def changes_at(bench: Session, year: int | None):
    """What the selected scenario changes against today's layout, in a school year."""
    if year is None or year == bench.ws.meta.year:
        return bench.changes()
    return ss.compare(bench, ss.BASELINE, bench.name, year=year)


def upload_name(name: str) -> str:
    """Return the uploaded file's own name, safe as a file name (no folders, no controls)."""
    base = Path(name.replace("\\", "/")).name
    clean = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return clean.strip(" .") or "upload"


def import_upload(name: str, data: bytes, folder: Path, *, lang: str = "zh") -> Path:
    """Check an uploaded file and turn it into a working GeoPackage in `folder`.

    The upload is saved under its own name, so every message names the file the user chose.
    What type it is is read from its name, never from the MIME type the browser sent: a CSV
    schools table is checked like `planner validate` checks it (UTF-8 or GBK).

    Raises
    ------
    InputError
        Too large, of the wrong type, or not a valid workspace (with every problem located).
    """
    from planner.i18n import t

    shown = upload_name(name)
    suffix = Path(shown).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise InputError.single(shown, t("upload_wrong_type", lang, types=" ".join(UPLOAD_TYPES),
                                         suffix=suffix or t("no_extension", lang)))
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError.single(shown, t("upload_too_large", lang, mb=len(data) / 2**20,
                                         limit=MAX_UPLOAD_BYTES / 2**20))
    raw_folder = folder / "upload"
    raw_folder.mkdir(parents=True, exist_ok=True)
    raw = raw_folder / shown
    raw.write_bytes(data)
    try:
        ws, _ = open_workspace(raw)
    except InputError as exc:
        raise InputError([replace(p, file=p.file or shown) for p in exc.problems]) from None
    missing = [n for n in ("units", "catchments", "enrolment") if getattr(ws, n) is None]
    if missing:
        raise InputError.single(shown, t("upload_needs_layers", lang, layers="、".join(missing)
                                         if lang == "zh" else ", ".join(missing)))
    target = folder / (Path(shown).stem + ".gpkg")
    write_workspace(ws, target)
    return target
