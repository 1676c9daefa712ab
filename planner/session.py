"""What a planner does, once for the command line and the app: the use-case layer.

Open a workspace with its profile; evaluate today's layout or a scenario; create, edit, undo
and delete scenarios (each saved as one transaction, refused when someone else changed the
scenario since it was read); compare, export, optimise and price the roadmap. The command line
(planner/cli) parses and prints around these functions; the app's pages are widgets around
them. Nothing here draws or prints.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner import travel
from planner.admission import breaches
from planner.diff import Diff, diff
from planner.errors import InputError, Problem
from planner.evaluation import Evaluation, evaluate
from planner.io.load import open_workspace
from planner.plan import Plan, apply_edit, check_edits, plan_from_workspace, store
from planner.plan.store import BASELINE, Scenario
from planner.proposal import Proposal, Years
from planner.schema import SECTIONS
from planner.standards import Standards, profile_of, resolve
from planner.workspace import Workspace

SAVE_ATTEMPTS = 3  # the command line re-checks and saves again when a scenario moved on


def now() -> str:
    """The time stamp scenarios are created with (UTC, seconds)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class Baseline:
    """Today's layout of a workspace: its plan and evaluation, made when first asked for.

    Shared by every session on the same workspace and profile (read-only).
    """

    def __init__(self, ws: Workspace, standards: Standards, *, distances="auto"):
        self.ws, self.standards, self._distances = ws, standards, distances
        self._projections: dict[int, object] = {}

    def projection(self, to_year: int):
        """The projection of today's children to `to_year` (made once per year asked)."""
        from planner.projection import project

        if to_year not in self._projections:
            self._projections[to_year] = project(self.plan, to_year)
        return self._projections[to_year]

    def projection_covering(self, year: int):
        """A projection that reaches `year`, made once for every year asked by itself.

        The longest made so far, else one to `year` or :data:`YEARS_AHEAD` years on, whichever
        is later. A year's children do not depend on how far a projection runs, so every year asked
        for by itself (the app's year selector, `evaluate --year`) shares one projection.
        """
        longest = max(self._projections, default=None)
        if longest is not None and longest >= year:
            return self._projections[longest]
        now = self.plan.year
        return self.projection(year if now is None else max(year, now + YEARS_AHEAD))

    @functools.cached_property
    def backtest(self):
        """The projection's hindcast from each earlier year of the history (or None)."""
        from planner.backtest import backtest

        return backtest(self.plan)

    @functools.cached_property
    def plan(self) -> Plan:
        """The baseline plan (zoning from the catchments, distances from the roads)."""
        return plan_from_workspace(self.ws, self.standards, distances=self._distances)

    @functools.cached_property
    def evaluation(self) -> Evaluation:
        """The baseline's evaluation."""
        return evaluate(self.plan)

    @property
    def distances(self) -> travel.Distances | None:
        """The unit × school distances of the baseline."""
        return self.plan.distances


@dataclass(frozen=True, eq=False)
class Session:
    """One workspace opened by one planner, and the scenario they are on.

    Attributes
    ----------
    path
        The GeoPackage (None for a workbook or CSV opened to evaluate).
    base
        Today's layout (plan and evaluation, made when first asked for).
    scenarios
        The saved scenarios as last read or written.
    name
        The scenario selected ("baseline" for today's layout).
    plan
        The selected scenario's plan (None on the baseline).
    """

    path: Path | None
    base: Baseline
    scenarios: dict[str, Scenario]
    name: str = BASELINE
    plan: Plan | None = None

    @property
    def ws(self) -> Workspace:
        """The workspace as opened."""
        return self.base.ws

    @property
    def standards(self) -> Standards:
        """The profile in use."""
        return self.base.standards

    @property
    def file(self) -> str:
        """The workspace's file name, for messages."""
        return self.path.name if self.path is not None else ""

    @property
    def current_plan(self) -> Plan:
        """The plan shown: the scenario's, or the baseline's."""
        return self.plan or self.base.plan

    @functools.cached_property
    def evaluation(self) -> Evaluation:
        """The evaluation shown: the scenario's, or the baseline's."""
        return evaluate(self.plan) if self.plan is not None else self.base.evaluation

    @property
    def current(self) -> Evaluation:
        """The evaluation shown (the same as :attr:`evaluation`)."""
        return self.evaluation

    @property
    def scenario(self) -> Scenario | None:
        """The selected scenario's saved record (None on the baseline)."""
        return None if self.name == BASELINE else self.scenarios.get(self.name)

    def changes(self) -> Diff | None:
        """What the scenario changes against the baseline (None on the baseline)."""
        if self.plan is None:
            return None
        return diff(self.base.evaluation, self.evaluation, self.base.plan, self.plan)


# --- opening ---------------------------------------------------------------------------------

def open_session(path: str | Path, *, profile: str | None = None, coords: str | None = None,
                 base: Baseline | None = None) -> Session:
    """Open a workspace (.gpkg, or a workbook / CSV to evaluate) with its profile.

    Parameters
    ----------
    path
        The workspace.
    profile
        A built-in profile name or a .toml file; by default the one the workspace names.
    coords
        The coordinate system of lon/lat in tables.
    base
        A baseline already made for this workspace and profile (the app shares one).
    """
    path = Path(path)
    if base is None:
        ws, _ = open_workspace(path, coords=coords)
        base = Baseline(ws, resolve(profile, stored=ws.meta.standards_profile,
                                    stored_toml=getattr(ws.meta, "profile_toml", "") or "")
                        if profile is not None else profile_of(ws.meta))
    gpkg = path.suffix.lower() == ".gpkg"
    scenarios = store.read(path) if gpkg else store.from_frame(base.ws.scenarios,
                                                              file=path.name)
    return Session(path=path if gpkg else None, base=base, scenarios=scenarios)


def open_with_warnings(path: str | Path, *, coords: str | None = None
                       ) -> tuple[Workspace, list[Problem]]:
    """Open and validate a workspace; return it with the repairs made (for `validate`)."""
    return open_workspace(path, coords=coords)


def _need_gpkg(session: Session) -> Path:
    if session.path is None:
        raise InputError.single(session.file, "scenarios live in a .gpkg workspace; import "
                                "tables first with `planner import`")
    return session.path


def reload(session: Session) -> Session:
    """Read the saved scenarios again and rebuild the selected one from them."""
    fresh = replace(session, scenarios=store.read(_need_gpkg(session)))
    if session.name != BASELINE and session.name not in fresh.scenarios:
        return replace(fresh, name=BASELINE, plan=None)
    return select(fresh, session.name)


# --- plans and evaluations -------------------------------------------------------------------

def scenario_edits(session: Session, name: str) -> list[dict]:
    """Every edit of a scenario, its bases' first."""
    return store.chain(session.scenarios, name, file=session.file)


def plan_of(session: Session, name: str) -> Plan:
    """The plan of a saved scenario, or of "baseline"."""
    base = session.base.plan
    if name == BASELINE:
        return base
    from planner.plan import apply_edits

    return apply_edits(base, scenario_edits(session, name))


def evaluate_scenario(session: Session, name: str = BASELINE, *, year: int | None = None
                      ) -> tuple[Plan, Evaluation]:
    """The plan and evaluation of a scenario (or of today's layout), today or in a year."""
    if year is not None and year != session.base.plan.year:
        plan = plan_at_year(session, name, year)
        return plan, evaluate(plan)
    if name == BASELINE:
        return session.base.plan, session.base.evaluation
    plan = plan_of(session, name)
    return plan, evaluate(plan)


def plan_at_year(session: Session, name: str, year: int, *, variant: str = "central") -> Plan:
    """The plan of a scenario in a school year: projected pupils, the edits in effect by then.

    Raises
    ------
    InputError
        The workspace does not say its school year, or `year` is before it.
    """
    from planner.plan import apply_edits
    from planner.projection import plan_at

    base = session.base.plan
    if base.year is not None and year < base.year:
        raise InputError.single("--year", f"expected {base.year} (the workspace's school "
                                f"year) or later, got {year}")
    projection = session.base.projection_covering(year)
    plan = plan_at(base, projection, year, variant=variant)
    if name == BASELINE:
        return plan
    return apply_edits(plan, scenario_edits(session, name))


def compare(session: Session, a: str, b: str, *, year: int | None = None) -> Diff:
    """What changes from scenario A to scenario B (either may be "baseline"), in a year."""
    plan_a, ev_a = evaluate_scenario(session, a, year=year)
    plan_b, ev_b = evaluate_scenario(session, b, year=year)
    return diff(ev_a, ev_b, plan_a, plan_b)


def project(session: Session, *, to_year: int, scenario: str = BASELINE) -> Years:
    """Project a scenario (or today's layout) year by year to `to_year`."""
    import pandas as pd

    from planner.projection import band_changes, county_rows, crossings, school_year_rows

    base = session.base.plan
    if base.year is None:
        plan_at_year(session, scenario, to_year)  # raises the located error
    proj = session.base.projection(to_year)
    if scenario != BASELINE:
        scenario_edits(session, scenario)  # an unknown name fails here, plainly
    parts: dict[str, list] = {"central": [], "low": [], "high": []}
    for y in proj.years:
        central = plan_at_year(session, scenario, int(y))
        variants = {v: central if proj.same_as_central(int(y), v)
                    else plan_at_year(session, scenario, int(y), variant=v)
                    for v in ("low", "high")}
        parts["central"].append(school_year_rows(central, variants))
        for v, plan in variants.items():
            parts[v].append(school_year_rows(plan))
    schools = pd.concat(parts["central"], ignore_index=True)
    edges = {v: crossings(pd.concat(parts[v], ignore_index=True), session.standards)
             for v in ("low", "high")}
    county = county_rows(proj, session.standards)
    pupils = schools.groupby(["year", "section"], as_index=False)[
        ["pupils", "pupils_low", "pupils_high"]].sum()
    county = county.merge(pupils, on=["year", "section"], how="left")
    central = crossings(schools, session.standards)
    return Years(scenario=scenario, projection=proj, schools=schools, county=county,
                 crossings=central, band_changes=band_changes(central, edges),
                 backtest=session.base.backtest, standards=session.standards)


# --- the app's selection -----------------------------------------------------------------------

def select(session: Session, name: str) -> Session:
    """Switch to a saved scenario (or back to "baseline")."""
    if name == BASELINE:
        return replace(session, name=BASELINE, plan=None)
    store.get(session.scenarios, name, file=session.file)
    return replace(session, name=name, plan=plan_of(session, name))


# --- writing scenarios ---------------------------------------------------------------------------

def create(session: Session, name: str, *, base: str | None = None, author: str = "",
           note: str = "", edits: list | None = None) -> Session:
    """Save a new scenario (on `base`, by default the selected one) and switch to it.

    Edits given are checked on their base first.
    """
    path = _need_gpkg(session)
    base = session.name if base is None else base
    if edits:
        check_edits(plan_of(session, base), edits, file=session.file)
    saved = store.create(path, Scenario(name=name, base=base, created=now(), author=author,
                                        note=note, edits=tuple(edits or ())))
    return select(replace(session, scenarios={**store.read(path), saved.name: saved}), name)


def add_edits(session: Session, name: str, edits: list, *, file: str = "") -> Session:
    """Append edits to a scenario after checking the whole chain; save them.

    When another planner saved the scenario meanwhile, the edits are checked again on what
    is saved now and saved on top of it (a few attempts), never over it.

    Raises
    ------
    InputError
        An edit is refused (located at `file` and its number), or the scenario kept moving.
    """
    path = _need_gpkg(session)
    if not isinstance(edits, list) or not edits:
        raise InputError.single(file, "expected an edit object or a list of them")
    scenarios = session.scenarios
    for attempt in range(SAVE_ATTEMPTS):
        own = store.get(scenarios, name, file=session.file)
        before = store.chain(scenarios, name, file=session.file)
        check_chain(session, before, edits, file=file)
        try:
            saved = store.save_edits(path, name, [*own.edits, *edits], revision=own.revision)
        except InputError as exc:
            if exc.problems[0].column != "revision" or attempt == SAVE_ATTEMPTS - 1:
                raise
            scenarios = store.read(path)
            continue
        return replace(session, scenarios={**scenarios, name: saved})
    raise AssertionError("unreachable")


def check_chain(session: Session, before: list, edits: list, *, file: str = "") -> Plan:
    """Check new edits after a chain: every edit in effect; located at `file`, "edit k"."""
    plan = check_edits(session.base.plan, before)
    return check_edits(plan, edits, file=file)


def edit(session: Session, change: dict) -> Session:
    """Apply one edit to the selected scenario and save it (the app, edit by edit).

    Refused, with "reload", when the scenario was saved by someone else since it was read.
    """
    path = _need_gpkg(session)
    if session.plan is None or session.scenario is None:
        raise InputError.single(session.file, "pick or create a scenario first; today's layout "
                                "is not edited", layer="layer scenarios")
    own = session.scenario
    chain = scenario_edits(session, session.name)
    if isinstance(change, dict) and ("year" in change or any("year" in e for e in chain)):
        check_chain(session, chain, [change])  # dated edits: checked with all in effect
    plan = apply_edit(session.plan, change)
    saved = store.save_edits(path, session.name, [*own.edits, change], revision=own.revision)
    return replace(session, plan=plan, scenarios={**session.scenarios, session.name: saved})


def undo(session: Session, name: str | None = None) -> tuple[Session, dict]:
    """Remove a scenario's last edit (the selected one by default); return it too."""
    path = _need_gpkg(session)
    name = name or session.name
    own = store.get(session.scenarios, name, file=session.file) if name != BASELINE else None
    if own is None or not own.edits:
        raise InputError.single(session.file, f"scenario {name!r} has no edit to undo",
                                layer="layer scenarios")
    saved = store.save_edits(path, name, list(own.edits[:-1]), revision=own.revision)
    out = replace(session, scenarios={**session.scenarios, name: saved})
    return (select(out, name) if session.name == name else out), own.edits[-1]


def delete(session: Session, name: str) -> Session:
    """Delete a scenario (refused while another builds on it)."""
    path = _need_gpkg(session)
    own = store.get(session.scenarios, name, file=session.file)
    store.delete(path, name, revision=own.revision)
    out = replace(session, scenarios=store.read(path))
    return replace(out, name=BASELINE, plan=None) if session.name == name else out


def edits_from_file(path: str | Path) -> list:
    """Read edits (an object or a list) from a UTF-8 JSON file, with located errors."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.single(path.name, f"cannot read the edits ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(path.name, f"not UTF-8 text (byte {exc.start + 1}): save the "
                                "edits file as UTF-8") from None
    try:
        return store.parse_edits_json(text)
    except ValueError as exc:
        raise InputError.single(path.name, f"cannot read the edits: {exc}") from None


def describe(edit_: dict) -> str:
    """One line for an edit (JSON, Chinese kept)."""
    return json.dumps(edit_, ensure_ascii=False, sort_keys=True)


# --- distances -------------------------------------------------------------------------------

def with_distances(session: Session, ws: Workspace, dist: travel.Distances) -> Session:
    """The session on `ws` (e.g. with new roads) using the distances given."""
    return replace(session, base=Baseline(ws, session.standards, distances=dist), plan=None,
                   name=BASELINE)


def save_distances(path: Path, dist: travel.Distances, *, roads=None) -> None:
    """Keep distances (and the roads they came from) in the workspace, in place.

    The road layers are replaced one by one; the `distances` table and the meta key that
    says which network and points it belongs to change in one transaction. The workspace's
    other layers and tables are not touched.
    """
    from planner.io.gpkg import replace_rows, set_meta, transaction, write_layer

    if roads is not None:
        for name, layer in zip(("nodes", "edges"), roads, strict=True):
            write_layer(path, name, layer)
    table = dist.long()
    with transaction(path) as con:
        replace_rows(con, "distances", table, DISTANCE_TYPES)
        set_meta(con, {"distances_key": dist.key})


DISTANCE_TYPES = {"unit_id": "TEXT", "school_id": "TEXT", "distance_m": "REAL", "method": "TEXT"}


# --- proposals -------------------------------------------------------------------------------

def proposal(session: Session, name: str, *, year: int | None = None) -> Proposal:
    """Build, evaluate and compare a saved scenario (or "baseline") against today's layout.

    With `year`, both stand as they will in that school year. When the workspace says its
    school year, the scenario's years table (to `year` or ten years on) comes along.
    """
    from planner import roadmap as rm
    from planner.plan import materialise

    base = session.base
    now = base.plan.year
    plan, after = evaluate_scenario(session, name, year=year)
    before_plan, before = evaluate_scenario(session, BASELINE, year=year)
    today = name == BASELINE and (year is None or year == now)
    ws = base.ws if today else materialise(plan)
    edits = [] if name == BASELINE else scenario_edits(session, name)
    road = rm.roadmap(plan.schools_frame, session.standards)
    years = None
    if now is not None:
        years = project(session, to_year=max(year or now, now + YEARS_AHEAD), scenario=name)
    return Proposal(name=name, base_ws=base.ws if year in (None, now) else materialise(
                        before_plan), ws=ws, base_plan=before_plan, plan=plan,
                    before=before, after=after, diff=diff(before, after, before_plan, plan),
                    edits=edits, roadmap=road, years=years,
                    closures=tuple(closure_cases(session, name)))


YEARS_AHEAD = 9  # an export's years table runs this far beyond the workspace's year


def export(session: Session, name: str, out_dir: str | Path, *, lang: str = "zh",
           year: int | None = None) -> list[Path]:
    """Export a scenario (or "baseline") as a proposal into `out_dir/<name>/`.

    The files (planner/report/export.py proposal_files: layers, workbook, report, notice,
    Word documents, print maps) are written into a hidden folder and published with one rename
    of that folder, so an export stopped at any moment never leaves old and new files mixed.
    `out_dir` is made when missing. Without `year`, a scenario whose edits are dated is read in
    the year its last one takes effect (:func:`phased_in_year`); the notice is always for the
    autumn after the workspace's year, unless `year` is given.

    Raises
    ------
    InputError
        The scenario is unknown, or its name gives a folder name another scenario's gives too,
        or one too long for the file system.
    """
    from planner.i18n import t
    from planner.io.publish import publish_folder, safe_name
    from planner.report.export import proposal_files

    if name != BASELINE:
        store.get(session.scenarios, name, file=session.file)
    def stem_of(n: str) -> str:  # today's layout is exported as 现状 / baseline
        return safe_name(t("baseline", lang) if n == BASELINE else n)

    stem = stem_of(name)
    clash = [s for s in [BASELINE, *session.scenarios] if s != name and stem_of(s) == stem]
    if clash:
        raise InputError.single(session.file, f"scenarios {name!r} and {clash[0]!r} would both "
                                f"be exported as {stem!r}: rename one of them",
                                layer="layer scenarios", column="name")
    now = session.base.plan.year
    admits = export_notice_year(now, year)  # the next autumn, unless a year is asked for
    if year is None:
        year = phased_in_year(session, name)
    p = proposal(session, name, year=year)
    notice_plan = None
    if admits is not None and admits != p.plan.year:
        notice_plan = plan_at_year(session, name, admits)
    from planner.io.derive import reconciliation

    return publish_folder(Path(out_dir), stem, proposal_files(
        p, stem, lang=lang, record=record_of(session, name), notice_year=admits,
        notice_plan=notice_plan, reconciled=reconciliation(session.base.ws)))


def phased_in_year(session: Session, name: str) -> int | None:
    """The school year a scenario stands complete in: its last dated edit's, else None (today).

    A proposal of a scenario whose changes are dated is read in the year they are all in
    effect; its before is the baseline projected to the same year.
    """
    now = session.base.plan.year
    if name == BASELINE or now is None:
        return None
    years = [int(e["year"]) for e in scenario_edits(session, name)
             if isinstance(e.get("year"), int) and e["year"] > now]
    return max(years) if years else None


def export_notice_year(now: int | None, year: int | None) -> int | None:
    """The autumn a notice admits for: the year asked for, else the one after the data's."""
    if year is not None and year != now:
        return year
    return None if now is None else now + 1


# --- planning --------------------------------------------------------------------------------

def roadmap(session: Session, name: str = BASELINE, *, budget: float | None = None,
            exchange: bool = False):
    """The costed roadmap of a scenario's (or today's) schools."""
    from planner import roadmap as rm

    plan = plan_of(session, name)
    return rm.roadmap(plan.schools_frame, session.standards, budget=budget, exchange=exchange)


def plan_of_record(session: Session, target: int, *, name: str, base: str = BASELINE,
                   to_year: int | None = None, budget: float | None = None):
    """The plan of record for a target year (planner/record.py), not saved."""
    from planner import record

    edits = [] if base == BASELINE else scenario_edits(session, base)  # an unknown name fails
    return record.make(session, target, name=name, base=base, base_edits=edits,
                       to_year=to_year, budget=budget)


def save_plan(session: Session, rec) -> Session:
    """Save a plan of record as a scenario of its dated edits."""
    budget = rec.money["budget_yuan"].iloc[0] if len(rec.money) else float("nan")
    spend = "" if budget != budget else f", budget {budget:.0f} a year"
    return create(session, rec.name, base=rec.base, author="planner", edits=rec.edits,
                  note=f"{PLAN_NOTE}{rec.target_year}, {len(rec.actions)} action(s), "
                       f"{rec.total_yuan:,.0f} yuan to {rec.end_year}{spend}")


PLAN_NOTE = "plan of record: target "
_PLAN_NOTE = re.compile(re.escape(PLAN_NOTE) + r"(\d{4}), .* yuan to (\d{4})"
                        r"(?:, budget (\d+) a year)?$")


def record_of(session: Session, name: str):
    """The plan of record a scenario was saved from, made again; None for another scenario.

    The plan is deterministic: made again with the target, end year and budget its note
    records, its edits are the scenario's. A scenario edited since it was saved is no longer
    that plan: None.
    """
    from planner import record

    if name == BASELINE:
        return None
    sc = store.get(session.scenarios, name, file=session.file)
    m = _PLAN_NOTE.match(sc.note or "")
    if m is None:
        return None
    budget = float(m.group(3)) if m.group(3) else None
    edits = [] if sc.base == BASELINE else scenario_edits(session, sc.base)
    rec = record.make(session, int(m.group(1)), name=name, base=sc.base, base_edits=edits,
                      to_year=int(m.group(2)), budget=budget)
    same = json.dumps(list(rec.edits), sort_keys=True, default=str) == json.dumps(
        list(sc.edits), sort_keys=True, default=str)
    return rec if rec.ok and same else None


def optimisation_plans(session: Session, base: str, options) -> list[Plan]:
    """The plans a re-zoning of scenario `base` is checked in: each year of the phase-in."""
    from planner import optimize as op

    years = op.phase_years(session.base.plan, options)
    if years is None:
        return [plan_of(session, base)]
    _first_year(session, years[0])
    return [plan_at_year(session, base, y) for y in years]


def _first_year(session: Session, first: int) -> None:
    """Refuse a first year before the workspace's, naming the flag."""
    year = session.base.plan.year
    if year is None:
        raise InputError.single("--first-year", "the workspace has no school year (meta "
                                "`year`): set it to phase changes in by year")
    if first < year:
        raise InputError.single("--first-year", f"expected {year} (the workspace's school "
                                f"year) or later, got {first}")


@dataclass(frozen=True, eq=False)
class Proposed:
    """An optimised re-zoning, saved, with what it changes year by year.

    Attributes
    ----------
    result
        The optimiser's result.
    years
        The school years checked (the phase-in), or the base year alone.
    before, after
        The evaluations of the base scenario and the proposal in each of those years.
    plans_before, plans
        Their plans.
    """

    result: object
    years: list[int]
    before: list[Evaluation]
    after: list[Evaluation]
    plans_before: list[Plan]
    plans: list[Plan]


def check_new_name(session: Session, name: str) -> None:
    """Refuse a scenario name that is not allowed or taken (before any work is done)."""
    store.check_name(name, file=session.file)
    if name in session.scenarios:
        raise InputError.single(session.file, f"a scenario named {name!r} exists already: "
                                "choose another name", layer="layer scenarios", column="name")


def _proposed(result, plans: list[Plan], edits: list[dict]) -> Proposed:
    """A result's edits applied to each year's plan, both evaluated."""
    from planner.plan import apply_edits

    after = [apply_edits(p, edits) for p in plans]
    return Proposed(result=result, years=[int(p.year) if p.year is not None else 0
                                          for p in plans],
                    before=[evaluate(p) for p in plans], after=[evaluate(p) for p in after],
                    plans_before=plans, plans=after)


def consolidation_plans(session: Session, base: str, section: str,
                        first_year: int | None) -> list[Plan]:
    """The plans a consolidation is checked in: the closing year and one per later grade."""
    plan = session.base.plan
    if plan.year is None and first_year is None:
        return [plan_of(session, base)]
    first = plan.year + 1 if first_year is None else first_year
    _first_year(session, first)
    return [plan_at_year(session, base, y)
            for y in range(first, first + len(session.standards.grades(section)))]


def consolidate(session: Session, options, name: str, *, base: str | None = None,
                min_pupils: int = 100, listed: tuple[str, ...] = (), objective: str = "count",
                boarding_from_grade: int = 7, report=None, at_once: bool = False
                ) -> tuple[Session, Proposed]:
    """Close small schools of a section and re-zone their units; saved as scenario `name`.

    The closures take effect in `options.first_year` (the year after the workspace's by
    default) for every grade; the plan is checked and evaluated in that year and each later
    one of the section's grades.

    Raises
    ------
    InputError
        The name is taken, or a listed school is unknown.
    InfeasibleError
        Not even keeping every school open meets the constraints.
    """
    from planner import optimize as op
    from planner.optimize.consolidate import consolidate as run

    base = session.name if base is None else base
    check_new_name(session, name)
    plans = consolidation_plans(session, base, options.section, options.first_year)
    p0 = plans[0]
    known = set(map(str, p0.school_ids))
    taught = set(map(str, p0.school_ids[p0.teaches(options.section)]))
    for sid in listed:
        if sid not in known:
            raise InputError.single("--schools", f"unknown school {sid!r}")
        if sid not in taught:
            raise InputError.single("--schools", f"school {sid} has no {options.section} "
                                    "section to close")
    found = run(plans, options, min_pupils=min_pupils, listed=listed, objective=objective,
                boarding_from_grade=boarding_from_grade, report=report, at_once=at_once)
    edits = found.edits()
    proposed = _proposed(found, plans, edits)
    after = proposed.plans
    problems = op.check_plan(plans[-1], after[-1], options.section)
    problems += breaches(plans[-1], after[-1], options.section, moves=False)
    if options.indicators and options.cvs:  # the ordinary evaluation agrees
        closed = frozenset(str(found.instance.school_ids[c]) for c in found.closed)
        for b, a in zip(proposed.before, proposed.after, strict=True):
            problems += op.indicator_problems(b, a, options.section, closed=closed)
    if problems:  # a bug, not the user's: say it loudly
        raise AssertionError("the consolidation breaks: " + "; ".join(problems))
    note = (f"consolidated {options.section} schools ({found.status}): "
            f"{len(found.closed)} of {len(found.candidates)} candidate(s) closed")
    return create(session, name, base=base, author="planner", note=note, edits=edits), proposed


def optimise(session: Session, options, name: str, *, base: str | None = None, report=None,
             result=None) -> tuple[Session, Proposed]:
    """Optimise a section's catchments of a scenario (the selected one by default).

    The result is checked against the caps in every year of its phase-in, evaluated beside
    the base scenario year by year, and saved as scenario `name` on `base`; the session
    switches to it.

    Raises
    ------
    InputError
        The name is taken (checked before the solver runs).
    InfeasibleError
        The constraints cannot be met (with where seats are short, sites for new schools, and
        the indicator limits that block).

    `result`: the optimiser's result for these plans and options, solved elsewhere; it is
    checked and saved as if solved here.
    """
    from planner import optimize as op

    base = session.name if base is None else base
    check_new_name(session, name)
    plans = optimisation_plans(session, base, options)
    if result is None:  # else solved already (in a process of its own: optimize/job.py)
        result = op.optimise(plans, options, report=report)
    edits = result.edits()
    proposed = _proposed(result, plans, edits)
    after = proposed.plans
    problems = op.check_plan(plans[-1], after[-1], options.section)
    problems += breaches(plans[-1], after[-1], options.section)
    if options.indicators and options.cvs and options.scope:  # the ordinary evaluation agrees
        for b, a in zip(proposed.before, proposed.after, strict=True):
            problems += op.indicator_problems(b, a, options.section)
    if problems:  # a bug, not the user's: say it loudly
        raise AssertionError("the proposal breaks: " + "; ".join(problems))
    s = op.summary(result)
    note = (f"optimised {options.section} catchments ({result.status}, gap {result.gap:.2%}; "
            f"{options.objective}; {s['travel_km']:,.0f} pupil-km; "
            f"{s['pupils_changing_school']:,} pupils change school)")
    return create(session, name, base=base, author="planner", note=note, edits=edits), proposed


# --- closures (国办发〔2012〕48号): the case a bureau files for each ---------------------------

@dataclass(frozen=True, eq=False)
class ClosureCase:
    """What a bureau's 论证 of one closure in a scenario needs, as tables.

    Attributes
    ----------
    school_id, name, section, first_year, close_year, into, into_name, staged
        The school, the section it closes, when entrants stop and when it closes, the school
        its teachers go to (id, name), and whether it closes in stages (停招) or at once.
    pupils
        Year × grade: its pupils without the closure (the baseline projected) and with it.
    units
        Its units: their pupils of the section today, road distance before and after, the
        bus ride after (minutes), walking or bus, the new school.
    receiving
        Each school taking its units: places, pupils without and with the closure, teachers
        without and with (the closing year).
    cost
        The closed school's teachers, those over the staffing norm (capacity.teachers_over_norm,
        the first year's pupils), their yearly cost, the pupils by bus.
    """

    school_id: str
    name: str
    section: str
    first_year: int | None
    close_year: int | None
    into: str
    into_name: str
    staged: bool
    pupils: pd.DataFrame
    units: pd.DataFrame
    receiving: pd.DataFrame
    cost: dict


def closure_cases(session: Session, name: str) -> list[ClosureCase]:
    """The 论证 tables of every school a scenario closes (none for the baseline)."""
    if name == BASELINE:
        return []
    edits = scenario_edits(session, name)
    closes = [e for e in edits if e.get("op") == "close_school"]
    return [_closure_case(session, name, e, edits) for e in closes]


def _closure_case(session: Session, name: str, edit: dict, edits: list) -> ClosureCase:
    from planner.admission import ride_minutes
    from planner.capacity import section_places, teachers_over_norm

    std = session.standards
    base = session.base.plan
    sid = str(edit["school_id"])
    close = edit.get("year")
    i = int(np.flatnonzero(base.school_ids == sid)[0])
    section = "primary" if base.teaches("primary")[i] else "junior"
    k = SECTIONS.index(section)
    units = np.flatnonzero(base.zone[k] == i)
    moves = [e for e in edits if e.get("op") == "move_unit" and e.get("section") == section
             and e.get("unit_id") in set(base.units.ids[units].tolist())]
    first = min((e.get("year") for e in moves if e.get("year") is not None), default=close)
    staged = not any(e.get("all_grades") for e in moves) and first != close
    years = list(range(first, close + 1)) if first is not None and close is not None else []
    plans = ({y: (plan_at_year(session, BASELINE, y), plan_at_year(session, name, y))
              for y in years} if years else {None: (base, plan_of(session, name))})
    grades = std.grades(section)
    rows = []
    for y, (b, a) in plans.items():
        for label, p in (("baseline", b), ("scenario", a)):
            at = np.flatnonzero(p.school_ids == sid)
            n = np.zeros(10)
            if len(at):
                m = p.rows.es == at[0]
                n = np.bincount(p.rows.grade[m], weights=p.rows.n[m], minlength=10)
            rows.append({"year": y, "case": label,
                         **{f"g{g}": int(n[g]) for g in grades}, "total": int(n[grades].sum())})
    pupils = pd.DataFrame(rows)
    b, a = plans[max(plans) if years else None]
    into = str(edit.get("into"))
    urows = []
    radius = {t: std.section(section).radius_m(t) for t in ("urban", "town", "rural")}
    for u in units:
        to = int(a.zone[k][u])
        d0 = float(base.distances.matrix[u, i])
        d1 = float(a.distances.matrix[u, to]) if to >= 0 else float("nan")
        walk = d1 <= radius[base.units.area_type[u]]
        urows.append({"unit_id": str(base.units.ids[u]), "unit": str(base.units.names[u]),
                      "pupils": int(base.units.children[u, np.array(grades) - 1].sum()),
                      "distance_before_m": round(d0), "distance_after_m": round(d1),
                      "ride_after_min": round(float(ride_minutes(d1, std)), 1),
                      "walk": bool(walk), "to_school": str(a.school_ids[to]) if to >= 0 else ""})
    units_df = pd.DataFrame(urows)
    rec = []
    places_b, places_a = (section_places(p.schools, std)["places"][:, k] for p in (b, a))
    for to in dict.fromkeys(units_df["to_school"].tolist() if len(units_df) else []):
        jb, ja = (int(np.flatnonzero(p.school_ids == to)[0]) for p in (b, a))
        rec.append({"school_id": to, "name": str(a.schools["name"][ja]),
                    "places": float(places_a[ja]),
                    "pupils_without": int(b.schools[f"students_{section}"][jb]),
                    "pupils_with": int(a.schools[f"students_{section}"][ja]),
                    "teachers_without": int(b.schools["teachers_total"][jb]),
                    "teachers_with": int(a.schools["teachers_total"][ja])})
    # as the consolidation counts it: the first year's pupils without the closure
    b0 = plans[min(plans)][0] if years else base
    i0 = int(np.flatnonzero(b0.school_ids == sid)[0])
    spare = teachers_over_norm(b0.schools["teachers_total"][i0],
                               b0.schools[f"students_{section}"][i0], section, std)
    cost = {"teachers": int(b0.schools["teachers_total"][i0]), "over_norm": spare,
            "yearly_cost_over_norm": spare * std.cost_teacher_year,
            "bus_pupils": int(units_df.loc[~units_df["walk"], "pupils"].sum())
            if len(units_df) else 0}
    return ClosureCase(school_id=sid, name=str(base.schools["name"][i]), section=section,
                       first_year=first, close_year=close, into=into,
                       into_name=str(base.schools["name"][int(np.flatnonzero(
                           base.school_ids == into)[0])]) if into in set(base.school_ids)
                       else into, staged=staged,
                       pupils=pupils, units=units_df, receiving=pd.DataFrame(rec), cost=cost)
