"""The planner's working session, as the app uses it (no Streamlit here, so it is testable).

A :class:`Workbench` holds one user's working GeoPackage, its baseline evaluation, the selected
scenario's live state (planner/live.py: plan and evaluation, updated edit by edit). Every edit
is applied to the live state, re-evaluated incrementally, and saved at once to the workspace's
`scenarios` table. The bundled demo and uploads are worked on as copies, so the originals are
never changed. Optimised catchments and roadmaps are saved as new scenarios the same way.
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from planner import optimize as op
from planner import roadmap as rm
from planner import scenario as sc
from planner import travel
from planner.diff import Diff, diff
from planner.errors import InputError
from planner.evaluation import Evaluation, evaluate
from planner.io.gpkg import write_table, write_workspace
from planner.io.load import open_workspace
from planner.live import Live
from planner.standards import Standards, get_profile
from planner.workspace import Workspace

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_TYPES = (".gpkg", ".xlsx", ".csv")


@dataclass(frozen=True)
class Baseline:
    """What does not change while a user edits: the workspace and its evaluation."""

    path: Path
    ws: Workspace
    standards: Standards
    distances: travel.Distances
    plan: sc.Plan
    evaluation: Evaluation
    live: Live


@dataclass(frozen=True)
class Workbench:
    """One user's session: the baseline and the scenario being edited (or none)."""

    base: Baseline
    scenarios: pd.DataFrame  # the scenarios table, as saved
    name: str = sc.BASELINE
    live: Live | None = None

    @property
    def plan(self) -> sc.Plan | None:
        """The scenario's plan (None on the baseline)."""
        return None if self.live is None else self.live.plan

    @property
    def evaluation(self) -> Evaluation | None:
        """The scenario's evaluation (None on the baseline)."""
        return None if self.live is None else self.live.evaluation

    @property
    def current_plan(self) -> sc.Plan:
        """The plan shown: the scenario's, or the baseline's."""
        return self.plan or self.base.plan

    @property
    def current(self) -> Evaluation:
        """The evaluation shown: the scenario's, or the baseline's."""
        return self.evaluation or self.base.evaluation

    def changes(self) -> Diff | None:
        """What the scenario changes against the baseline (None on the baseline)."""
        if self.plan is None:
            return None
        return diff(self.base.evaluation, self.current, self.base.plan, self.plan)


def working_copy(source: Path, folder: Path | None = None) -> Path:
    """Copy a workspace into a fresh folder of its own and return the copy's path."""
    folder = Path(folder or tempfile.mkdtemp(prefix="planner-"))
    target = folder / source.name
    shutil.copy2(source, target)
    return target


def load_baseline(path: Path) -> Baseline:
    """Open a workspace and evaluate its baseline (distances cached in memory)."""
    ws, _ = open_workspace(path)
    standards = get_profile(ws.meta.standards_profile)
    dist = travel.distances_for(ws)
    plan = sc.plan_from_workspace(ws, distances=dist)
    return Baseline(path=path, ws=ws, standards=standards, distances=dist, plan=plan,
                    evaluation=evaluate(ws, standards, distances=dist),
                    live=Live.from_plan(plan, standards))


def start(base: Baseline) -> Workbench:
    """Begin a session on the baseline."""
    return Workbench(base=base, scenarios=base.ws.scenarios)


def select(bench: Workbench, name: str) -> Workbench:
    """Switch to a saved scenario (or back to "baseline")."""
    if name == sc.BASELINE:
        return replace(bench, name=name, live=None)
    sc.scenario_row(bench.scenarios, name)
    live = bench.base.live.apply_all(sc.scenario_edits(bench.scenarios, name))
    return replace(bench, name=name, live=live)


def _save(bench: Workbench, table) -> Workbench:
    write_table(bench.base.path, "scenarios", table)
    return replace(bench, scenarios=table)


def create(bench: Workbench, name: str, *, base: str = sc.BASELINE, author: str = "",
           note: str = "") -> Workbench:
    """Create a scenario, save it, and switch to it."""
    created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    table = sc.new_scenario(bench.scenarios, name, base=base, author=author, note=note,
                            created=created)
    return select(_save(bench, table), name)


def edit(bench: Workbench, change: dict) -> Workbench:
    """Apply one edit to the current scenario, save it, and re-evaluate."""
    if bench.live is None:
        raise InputError.single(bench.base.path.name, "pick or create a scenario first; the "
                                "baseline is not edited", layer="layer scenarios")
    live = bench.live.apply(change)
    table = sc.with_edits(bench.scenarios, bench.name,
                          sc.own_edits(bench.scenarios, bench.name) + [change])
    bench = _save(bench, table)
    return replace(bench, live=live)


def undo(bench: Workbench) -> Workbench:
    """Remove the scenario's last edit, save, and rebuild it from its edits."""
    own = sc.own_edits(bench.scenarios, bench.name) if bench.live is not None else []
    if not own:
        raise InputError.single(bench.base.path.name, "nothing to undo",
                                layer="layer scenarios")
    return select(_save(bench, sc.with_edits(bench.scenarios, bench.name, own[:-1])),
                  bench.name)


def save_as(bench: Workbench, name: str, edits: list[dict], note: str) -> Workbench:
    """Save edits as a new scenario on the current one (or the baseline) and switch to it."""
    created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    table = sc.new_scenario(bench.scenarios, name, base=bench.name, author="planner",
                            note=note, created=created)
    return select(_save(bench, sc.with_edits(table, name, edits)), name)


def optimise(bench: Workbench, options: op.Options, name: str, *, report=None
             ) -> tuple[Workbench, op.Result]:
    """Optimise a section's catchments of the current plan; save the result as `name`.

    Raises
    ------
    InputError
        The name is taken (checked before the solver runs).
    InfeasibleError
        The caps cannot be met (with where seats are short and sites for new schools).
    """
    sc.new_scenario(bench.scenarios, name)  # refuses a taken or empty name now, not later
    result = op.optimise(bench.current_plan, bench.base.standards, options, report=report)
    note = f"optimised {options.section} catchments ({result.status}, gap {result.gap:.2%})"
    return save_as(bench, name, result.edits(), note), result


def roadmap(bench: Workbench, *, budget: float | None, exchange: bool) -> rm.Roadmap:
    """The costed roadmap of the current plan."""
    return rm.roadmap(bench.current_plan.ws.schools, bench.base.standards, budget=budget,
                      exchange=exchange)


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
