"""One county's task: its steps (evaluate, project, optimise, roadmap) and their columns."""


from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.batch.options import (
    KIND_ERROR,
    KIND_INPUT,
    SECTIONS,
    STATUS_FAILED,
    STATUS_OK,
    Options,
)
from planner.checklist import CHECKLIST_IDS
from planner.errors import InfeasibleError, InputError, PlannerError
from planner.standards import RESOURCE_IDS, RESOURCE_KEYS

# --- one county (the task) -------------------------------------------------------------------

@dataclass
class _Context:
    """What the steps of one county share."""

    path: Path
    options: Options
    session: object = None
    scenario: str = "baseline"
    columns: dict = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tmp: Path | None = None


def run_county(path: str, options: Options) -> dict:
    """Run every step of the batch on one county; never raise for the county's own problems.

    This is the task a Dask worker runs (and the serial run calls in-process).

    Returns
    -------
    A dict of plain values: county (its name), status (ok or failed), message (the located
    message of a failure), error_kind (input, error), columns (the county's row), outline_wkt
    (its outline in WGS84), files (file name → bytes), notes, seconds, worker, peak_rss_mb and
    log (the traceback of an unexpected error); seconds and cpu_seconds are the task's wall
    and CPU time.
    """
    start, cpu = time.perf_counter(), time.process_time()
    p = Path(path)
    ctx = _Context(path=p, options=options)
    out = {"county": p.stem, "status": STATUS_OK, "message": "", "error_kind": "",
           "outline_wkt": None, "log": ""}
    step = "open"
    try:
        ctx.tmp = Path(tempfile.mkdtemp(prefix="planner-batch-"))
        ctx.session = _open(p, options)
        out["county"] = ctx.session.ws.meta.name or p.stem
        out["outline_wkt"] = _outline_wkt(p, ctx.session.ws)
        for step in options.steps():
            name, _, arg = step.partition(":")
            STEPS[name](ctx, arg)
    except InputError as exc:
        out.update(status=STATUS_FAILED, error_kind=KIND_INPUT,
                   message=_where(step) + _located(exc, p.name))
    except PlannerError as exc:
        out.update(status=STATUS_FAILED, error_kind=KIND_INPUT,
                   message=f"{_where(step)}{p.name}: {exc}")
    except Exception as exc:  # a bug: this county fails, the batch goes on, the log keeps it
        out.update(status=STATUS_FAILED, error_kind=KIND_ERROR,
                   message=f"{_where(step)}{p.name}: unexpected {type(exc).__name__}: {exc}",
                   log=traceback.format_exc())
    finally:
        if ctx.tmp is not None:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    out.update(columns=ctx.columns, files=ctx.files, notes=ctx.notes,
               seconds=round(time.perf_counter() - start, 3),
               cpu_seconds=round(time.process_time() - cpu, 3), worker=_worker_name(),
               peak_rss_mb=_peak_rss_mb())
    return out


def _where(step: str) -> str:
    """"step S: " before the message of a step after the evaluation (which every county runs)."""
    return "" if step in ("open", "evaluate") else f"step {step}: "


def _located(exc: InputError, file: str) -> str:
    """The error's message with the workspace's file name where a problem names none."""
    return str(InputError([dataclasses.replace(q, file=q.file or file) for q in exc.problems]))


def _open(path: Path, options: Options):
    from planner import session as ss

    if not path.is_file():
        raise InputError.single(path.name, f"file not found on {socket.gethostname()}: {path} "
                                "(every worker must see the workspaces at the same path)")
    if options.standards is None:
        return ss.open_session(path)
    from planner.io.load import open_workspace

    ws, _ = open_workspace(path)
    return ss.open_session(path, base=ss.Baseline(ws, options.standards))


def _outline_wkt(path: Path, ws) -> str | None:
    """The county's outline in WGS84 as WKT: its `outline` layer, else the union of its units."""
    import pyogrio
    import shapely

    from planner.province import OUTLINE_LAYER, outline_of

    shape = None
    if path.suffix.lower() == ".gpkg":
        try:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            if OUTLINE_LAYER in names:
                layer = pyogrio.read_dataframe(path, layer=OUTLINE_LAYER)
                if len(layer) and layer.crs is not None:
                    shape = layer.to_crs("EPSG:4326").union_all()
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
            shape = None  # an unreadable outline is not the county's failure: use its units
    if shape is None or shape.is_empty:
        shape = outline_of(ws).geometry.iloc[0]
    shape = shapely.set_precision(shape.simplify(0.0003), 1e-5)
    return None if shape.is_empty else shape.wkt


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def _peak_rss_mb() -> float | None:
    """The peak resident memory of this process so far (Linux and macOS), MB."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if os.uname().sysname == "Darwin" else 1024), 1)


# --- the steps -------------------------------------------------------------------------------

def _step_evaluate(ctx: _Context, _arg: str) -> None:
    from planner import session as ss

    _, ev = ss.evaluate_scenario(ctx.session)
    ctx.columns.update(evaluation_columns(ev, ctx.session.ws))
    if ctx.options.reports:
        from planner.report.html import render_html

        ctx.files["report.html"] = render_html(ev, ctx.session.ws,
                                               lang=ctx.options.lang).encode("utf-8")


def evaluation_columns(ev, ws) -> dict:
    """Return a county's row from its evaluation: verdict, counts, 14 CVs, reasons, 32 rows.

    Columns: verdict, pass, fail, missing, synthetic, profile, year, schools,
    students_primary, students_junior, school_sections, school_sections_failing,
    failing_primary, failing_junior, cvs_over, cv_max_ratio, cv_<section>_<KEY> (the 14
    CVs), failing_<section>_<R1..R7> (failing school sections that miss the indicator),
    caps_size, caps_class_primary, caps_class_junior (G4/G5 violations), and
    status_<ID> for each of the 32 checklist rows.
    """
    s = ev.summary()
    ind, cvs, caps = ev.indicators, ev.cvs, ev.caps
    cols = {"verdict": ev.verdict, "pass": s["pass"], "fail": s["fail"],
            "missing": s["missing"], "synthetic": bool(ws.meta.synthetic),
            "profile": ev.standards.name, "year": ws.meta.year,
            "schools": int(len(ws.schools)),
            "students_primary": int(ws.schools["students_primary"].sum()),
            "students_junior": int(ws.schools["students_junior"].sum()),
            "school_sections": s["school_sections"],
            "school_sections_failing": s["school_sections_failing"],
            "cv_limit_primary": ev.standards.section("primary").cv_limit,
            "cv_limit_junior": ev.standards.section("junior").cv_limit}
    for sec in SECTIONS:
        part = ind[ind["section"] == sec]
        cols[f"failing_{sec}"] = int((~part["compliant"]).sum())
    ratios, over = [], 0
    by_key = {(r["section"], r["key"]): r for r in cvs.to_dict("records")
              if r["id"] in RESOURCE_IDS}
    for sec in SECTIONS:
        for key in RESOURCE_KEYS:
            r = by_key.get((sec, key))
            value = _float(r["cv"]) if r is not None else None
            cols[f"cv_{sec}_{key}"] = value
            if value is not None and r["limit"]:
                ratios.append(value / r["limit"])
                over += value > r["limit"]
    cols["cvs_over"] = int(over)
    cols["cv_max_ratio"] = max(ratios) if ratios else None
    for sec in SECTIONS:
        failing = ind[(ind["section"] == sec) & ~ind["compliant"]]
        missed = failing["missed"].str.split(",")
        for rid in RESOURCE_IDS:
            cols[f"failing_{sec}_{rid}"] = int(missed.apply(lambda m, r=rid: r in m).sum())
    for rule in ("size", "class_primary", "class_junior"):
        cols[f"caps_{rule}"] = int((caps["rule"] == rule).sum())
    status = dict(zip(ev.checklist["id"], ev.checklist["status"], strict=True))
    for cid in CHECKLIST_IDS:
        cols[f"status_{cid}"] = status.get(cid, "missing")
    return cols


def _float(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _step_project(ctx: _Context, _arg: str) -> None:
    """Project pupils to the target year through `planner.session.project`.

    Writes the county's pupils by section and year (central, low, high), the seats short and
    how many school sections are over their places and schools over their size cap, by year.
    """
    from planner import session as ss

    proj = ss.project(ctx.session, to_year=ctx.options.project_to)
    schools = proj.schools.assign(over_places=proj.schools["pupils"] > proj.schools["places"])
    over_cap = (proj.schools["size"] > proj.schools["size_cap"]).groupby(
        [proj.schools["year"], proj.schools["school_id"]]).any().groupby(level=0).sum()
    ctx.columns.update(projection_columns(proj.county, schools))
    for year, n in over_cap.items():
        ctx.columns[f"schools_over_size_cap_{int(year)}"] = int(n)
    ctx.files["projection_county.csv"] = proj.county.to_csv(index=False).encode("utf-8")
    ctx.files["projection_schools.csv"] = proj.schools.to_csv(index=False).encode("utf-8")


def projection_columns(county: pd.DataFrame, schools: pd.DataFrame) -> dict:
    """Return pupils by year and section (with low/high variants), and seats short by year.

    Columns: pupils_<section>_<year> (and _low, _high when the projection has them),
    seats_short_<section>_<year> (Σ over schools of pupils above places; empty when no
    school of the section has places), and
    schools_<flag>_<year> (how many schools raise each boolean crossing flag that year).
    """
    cols: dict = {}
    variants = [(v, f"pupils_{v}" if f"pupils_{v}" in county else v)
                for v in ("low", "high") if f"pupils_{v}" in county or v in county]
    for r in county.sort_values(["year", "section"], kind="stable").to_dict("records"):
        stem = f"pupils_{r['section']}_{int(r['year'])}"
        cols[stem] = _float(r["pupils"])
        for v, c in variants:
            cols[f"{stem}_{v}"] = _float(r[c])
    s = schools.copy()
    s["short"] = (s["pupils"] - s["places"]).clip(lower=0)
    # a school without places counts as unknown, not as short of none
    short = s.groupby(["section", "year"], sort=True)["short"].sum(min_count=1)
    for (sec, year), value in short.items():
        cols[f"seats_short_{sec}_{int(year)}"] = _float(value)
    flags = [c for c in s.columns if s[c].dtype == bool]
    for flag in flags:
        for year, n in s.groupby("year", sort=True)[flag].sum().items():
            cols[f"schools_{flag}_{int(year)}"] = int(n)
    return cols


def _working_copy(ctx: _Context):
    """A session on a private copy of the workspace (the optimiser saves scenarios in it)."""
    from planner import session as ss

    if ctx.session.path is None:
        raise InputError.single(ctx.path.name, "the optimiser needs a .gpkg workspace")
    copy = ctx.tmp / "work.gpkg"
    if not copy.exists():
        shutil.copyfile(ctx.path, copy)
        ctx.session = ss.open_session(copy, base=ctx.session.base)
    return ctx.session


def _step_optimise(ctx: _Context, section: str) -> None:
    from planner import optimize as op
    from planner import session as ss

    session = _working_copy(ctx)
    name = f"batch-{section}"
    k = 1
    while name in session.scenarios:
        k += 1
        name = f"batch-{section}-{k}"
    options = op.Options(section=section, time_limit_s=ctx.options.time_limit_s)
    try:
        session, result = ss.optimise(session, options, name, base=ctx.scenario)
    except InfeasibleError as exc:
        short = exc.shortage
        unserved = short.unserved if short is not None else None
        ctx.columns[f"optimise_{section}_status"] = "infeasible"
        ctx.columns[f"seats_short_{section}"] = (int(unserved["children"].sum())
                                                if unserved is not None and len(unserved)
                                                else 0)
        ctx.columns[f"sites_{section}"] = int(len(short.sites)) if short is not None else 0
        ctx.notes.append(f"optimise {section}: {exc}")
        if short is not None and len(short.sites):
            ctx.files[f"sites_{section}.json"] = json.dumps(
                short.edits(), ensure_ascii=False, indent=1).encode("utf-8")
        return
    ctx.session, ctx.scenario = session, name
    summary = op.summary(result.result)
    ctx.columns.update({
        f"optimise_{section}_status": summary["status"],
        f"optimise_{section}_gap": _float(summary["gap"]),
        f"optimise_{section}_travel_km": _float(summary["travel_km"]),
        f"optimise_{section}_units_moved": summary["units_moved"],
        f"seats_short_{section}": 0,
        f"sites_{section}": 0,
    })
    ctx.files[f"optimise_{section}.json"] = json.dumps(
        result.result.edits(), ensure_ascii=False, indent=1).encode("utf-8")


def _step_roadmap(ctx: _Context, _arg: str) -> None:
    from planner import session as ss
    from planner.report.excel import write_roadmap

    road = ss.roadmap(ctx.session, ctx.scenario, budget=ctx.options.budget)
    a = road.actions
    ctx.columns.update({
        "roadmap_scenario": ctx.scenario,
        "roadmap_cost_yuan": _float(road.total_cost),
        "roadmap_years": road.years,
        "roadmap_actions": int(len(a)),
        "roadmap_teachers": int(a.loc[a["action"] == "hire", "quantity"].sum()),
        "roadmap_unscheduled": int(a["year"].isna().sum()),
    })
    out = ctx.tmp / "roadmap.xlsx"
    write_roadmap(road, out, lang=ctx.options.lang)
    ctx.files["roadmap.xlsx"] = out.read_bytes()


STEPS: dict[str, Callable[[_Context, str], None]] = {
    "evaluate": _step_evaluate,
    "project": _step_project,
    "optimise": _step_optimise,
    "roadmap": _step_roadmap,
}


