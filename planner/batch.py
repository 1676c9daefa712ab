"""Many counties at once on Dask distributed: evaluate, project, optimise and price each county.

Each county workspace is one task. A task runs a list of steps on its county — `evaluate`
always, then `project` (the multi-year projection, `--project --to YEAR`), `optimise:SECTION`
(the catchment optimiser, on a private copy of the workspace: the input is never written) and
`roadmap` (the costed roadmap, of the last optimised scenario or of today's layout) — and
returns one row of plain columns, the county's outline and its files (the county's report,
the roadmap workbook, the optimiser's edits), all through the use-case layer
(:mod:`planner.session`). Nothing a task returns is an exception: a county that fails comes
back with status `failed` and its located message, and the other counties go on.

Tasks run on a Dask distributed cluster: a `LocalCluster` of worker processes by default, or
the cluster of an existing scheduler (`dask scheduler` on one host, `dask worker ADDRESS` on
the others) — the same code on one machine and many. Workers read the workspaces by path (every
worker must see them at the same path, e.g. on a shared folder); results come back to the
machine running the batch, which writes them. `serial=True` runs the same tasks one after
another in this process, without Dask (the reference the distributed runs are compared with).

The output folder holds one folder per county, `counties/<key>/` (`result.json` and the
county's files), published with one rename as each county finishes, and the province tables
(`counties.parquet`, rewritten every few seconds while counties finish and at the end;
`counties.gpkg`, `province.xlsx`, `province.html` at the end). A county whose workspace file
and options have not changed since its stored result (a fingerprint of both) is skipped, so a
re-run resumes a killed batch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import shutil
import socket
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import planner
from planner.checklist import CHECKLIST_IDS
from planner.errors import InfeasibleError, InputError, PlannerError, Problem
from planner.standards import RESOURCE_IDS, RESOURCE_KEYS, Standards

BATCH_FORMAT = 1  # bump when a result's columns change meaning: stored results are redone
STATUS_OK, STATUS_FAILED = "ok", "failed"
SECTIONS = ("primary", "junior")
RESULT_FILE = "result.json"
COUNTIES_DIR = "counties"
TABLE_FILE = "counties.parquet"
LOG_FILE = "batch.json"
# failures of the county's own input come back the same from the same file and options, so a
# re-run skips them; anything else (a bug, a worker lost) is tried again
KIND_INPUT, KIND_ERROR, KIND_WORKER = "input", "error", "worker"
VERDICT_ORDER = {"pass": 0, "incomplete": 1, "fail": 2}
# counties.parquet is rewritten while the batch runs at most this often (each county's own
# folder is written at once); the machine running the batch then keeps its cores for workers
TABLE_EVERY_S = 5.0


# --- options ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    """What to do with every county.

    Attributes
    ----------
    project_to
        Project pupils to this school year (the `project` step), or None.
    optimise
        Sections whose catchments to optimise, in order (each on the previous one's result).
    time_limit_s
        The optimiser's time limit per section and county, seconds.
    roadmap
        Price the costed roadmap (of the last optimised scenario, else today's layout).
    budget
        The roadmap's annual budget, yuan (None: everything in the first year).
    profile
        The profile as given (a built-in name or a .toml file), or None for each workspace's own.
    standards
        The profile resolved on the machine running the batch (workers need not see the file).
    reports
        Render each county's HTML report (in `lang`).
    lang
        "zh" or "en" for the county reports and the optimiser's files.
    """

    project_to: int | None = None
    optimise: tuple[str, ...] = ()
    time_limit_s: float = 60.0
    roadmap: bool = False
    budget: float | None = None
    profile: str | None = None
    standards: Standards | None = None
    reports: bool = True
    lang: str = "zh"

    def steps(self) -> tuple[str, ...]:
        """The steps each county runs, in order."""
        out = ["evaluate"]
        if self.project_to is not None:
            out.append("project")
        out += [f"optimise:{s}" for s in self.optimise]
        if self.roadmap:
            out.append("roadmap")
        return tuple(out)

    def identity(self) -> dict:
        """Everything that changes a county's result, as plain JSON values."""
        return {"steps": list(self.steps()), "project_to": self.project_to,
                "time_limit_s": self.time_limit_s if self.optimise else None,
                "budget": self.budget if self.roadmap else None,
                "standards": repr(self.standards) if self.standards is not None else None,
                "reports": self.reports, "lang": self.lang}


def make_options(*, project_to: int | None = None, optimise: Sequence[str] = (),
                 time_limit_s: float = 60.0, roadmap: bool = False, budget: float | None = None,
                 profile: str | None = None, reports: bool = True, lang: str = "zh") -> Options:
    """Check the batch's options and resolve the profile; return them.

    Raises
    ------
    InputError
        Located at the flag: a year,
        section, time limit or budget out of range, an unknown profile.
    """
    from planner.standards import resolve

    problems = []
    if project_to is not None:
        if not 2000 <= project_to <= 2100:
            problems.append(Problem("--to", "", None, "", f"expected a school year 2000–2100, "
                                    f"got {project_to}"))
    bad = [s for s in optimise if s not in SECTIONS]
    if bad:
        problems.append(Problem("--optimize", "", None, "", f"expected primary or junior, got "
                                f"{bad[0]!r}"))
    if not time_limit_s > 0:
        problems.append(Problem("--time-limit", "", None, "", f"expected seconds > 0, got "
                                f"{time_limit_s}"))
    if budget is not None and not budget > 0:
        problems.append(Problem("--budget", "", None, "", f"expected yuan > 0, got {budget}"))
    if lang not in ("zh", "en"):
        problems.append(Problem("--lang", "", None, "", f"expected zh or en, got {lang!r}"))
    standards = None
    if profile is not None:
        try:
            standards = resolve(profile)
        except PlannerError as exc:
            problems.append(Problem("--profile", "", None, "", str(exc)))
    if problems:
        raise InputError(problems)
    return Options(project_to=project_to, optimise=tuple(dict.fromkeys(optimise)),
                   time_limit_s=float(time_limit_s), roadmap=roadmap, budget=budget,
                   profile=profile, standards=standards, reports=reports, lang=lang)


# --- inputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class County:
    """One county of the batch.

    Attributes
    ----------
    key
        Its folder under `counties/` (the workspace's file name without suffix, made safe;
        with a short hash of the path when two inputs share a name).
    path
        The workspace, absolute.
    fingerprint
        A hash of the workspace file's content and the options (see :func:`fingerprint`).
    size
        The file's size in bytes (larger counties are started first).
    """

    key: str
    path: Path
    fingerprint: str
    size: int


def find_inputs(sources: Sequence[str | Path]) -> list[Path]:
    """Return the workspaces named by folders, .gpkg files and list files, in order.

    A folder gives its `*.gpkg` files (sorted by name; hidden files skipped). A file ending
    in .gpkg, .xlsx or .csv is a workspace. Any other file is a list: one workspace per line,
    relative to the list's folder; blank lines and lines starting with # are skipped. A path
    listed twice counts once.

    Raises
    ------
    InputError
        A source given does not exist, a folder holds no .gpkg file, or a list cannot be read.
        (A workspace named in a list but missing is a county that fails, not an error here.)
    """
    found: list[Path] = []
    problems = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            files = sorted(f for f in p.glob("*.gpkg") if not f.name.startswith("."))
            if not files:
                problems.append(Problem(str(p), "", None, "", "the folder holds no .gpkg "
                                        "workspace"))
            found += files
        elif p.suffix.lower() in (".gpkg", ".xlsx", ".csv"):
            if not p.is_file():
                problems.append(Problem(p.name, "", None, "", f"file not found: {p}"))
            found.append(p)
        elif p.is_file():
            try:
                lines = p.read_text(encoding="utf-8-sig").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(p.name, "", None, "", f"cannot read the list of "
                                        f"workspaces ({exc})"))
                continue
            for line in lines:
                text = line.strip()
                if text and not text.startswith("#"):
                    q = Path(text)
                    found.append(q if q.is_absolute() else p.parent / q)
        else:
            problems.append(Problem(str(p), "", None, "", "not found: expected a folder of "
                                    ".gpkg workspaces, a .gpkg file or a list file"))
    if problems:
        raise InputError(problems)
    out, seen = [], set()
    for f in found:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            out.append(r)
    if not out:
        raise InputError.single(", ".join(map(str, sources)), "no workspace to run")
    return out


def fingerprint(path: Path, options: Options) -> str:
    """Return a hash of a workspace file's content and the options (and the batch's format).

    A missing or unreadable file hashes its error, so its failure is stored and skipped too
    until the file changes.
    """
    h = hashlib.sha256()
    ident = {"format": BATCH_FORMAT, "planner": planner.__version__, **options.identity()}
    h.update(json.dumps(ident, sort_keys=True).encode())
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        h.update(f"unreadable: {exc.strerror}".encode())
    return h.hexdigest()


def counties_of(paths: Sequence[Path], options: Options) -> list[County]:
    """Key and fingerprint every workspace."""
    from planner.io.publish import safe_name

    stems = [safe_name(p.stem) for p in paths]
    out = []
    for p, stem in zip(paths, stems, strict=True):
        key = stem
        if stems.count(stem) > 1:
            key = f"{stem}-{hashlib.sha1(str(p).encode()).hexdigest()[:6]}"
        size = p.stat().st_size if p.is_file() else 0
        out.append(County(key=key, path=p, fingerprint=fingerprint(p, options), size=size))
    return out


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
    """Project pupils to the target year through `planner.session.project` (issue 14).

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
    summary = result.summary()
    ctx.columns.update({
        f"optimise_{section}_status": summary["status"],
        f"optimise_{section}_gap": _float(summary["gap"]),
        f"optimise_{section}_travel_km": _float(summary["travel_km"]),
        f"optimise_{section}_units_moved": summary["units_moved"],
        f"seats_short_{section}": 0,
        f"sites_{section}": 0,
    })
    ctx.files[f"optimise_{section}.json"] = json.dumps(
        result.edits(), ensure_ascii=False, indent=1).encode("utf-8")


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


# --- the province table ----------------------------------------------------------------------

BASE_COLUMNS = ["rank", "county", "workspace", "key", "status", "message"]


def province_table(counties: Sequence[County], results: dict[str, dict]) -> pd.DataFrame:
    """Return one row per county with a result, in input order, ranked.

    Columns: rank (1 = nearest to the standard among the counties that ran: verdict, then
    failing rows, missing rows, share of failing school sections, CVs over their limits and
    the worst CV against its limit), county, workspace, key, status, message, then the
    columns of the steps in the order they first appear.
    """
    rows = []
    for c in counties:
        res = results.get(c.key)
        if res is None:
            continue
        rows.append({"rank": None, "county": res["county"], "workspace": str(c.path),
                     "key": c.key, "status": res["status"], "message": res["message"],
                     **res["columns"]})
    order = list(BASE_COLUMNS)
    for r in rows:
        order += [k for k in r if k not in order]
    frame = pd.DataFrame(rows, columns=order)
    frame["rank"] = _ranks(frame)
    return frame.reset_index(drop=True)


def _ranks(frame: pd.DataFrame) -> pd.Series:
    ranks = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if frame.empty or "verdict" not in frame:
        return ranks
    ok = frame[(frame["status"] == STATUS_OK) & frame["verdict"].notna()]
    if ok.empty:
        return ranks
    key = pd.DataFrame({
        "v": ok["verdict"].map(VERDICT_ORDER),
        "fail": ok["fail"], "missing": ok["missing"],
        "share": ok["school_sections_failing"] / ok["school_sections"].where(
            ok["school_sections"] > 0),
        "cvs": ok["cvs_over"], "worst": ok["cv_max_ratio"], "name": ok["county"],
    }, index=ok.index)
    order = key.sort_values(list(key.columns), kind="stable", na_position="last").index
    ranks.loc[order] = range(1, len(order) + 1)
    return ranks


# --- running ---------------------------------------------------------------------------------

@dataclass
class BatchRun:
    """What a batch did.

    Attributes
    ----------
    out_dir
        The output folder.
    counties
        Every county of the batch, in input order.
    ran, skipped
        Keys of the counties run now, and of those whose stored result was kept.
    failed
        Key → message of every county whose result is a failure (now or stored).
    table
        The province table (see :func:`province_table`).
    files
        The province files written.
    """

    out_dir: Path
    counties: list[County]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    files: list[Path] = field(default_factory=list)


def stored_results(out_dir: Path, counties: Sequence[County]) -> dict[str, dict]:
    """Read the stored result of each county (those that have one and can be read)."""
    out = {}
    for c in counties:
        f = out_dir / COUNTIES_DIR / c.key / RESULT_FILE
        try:
            res = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(res, dict) and res.get("format") == BATCH_FORMAT:
            out[c.key] = res
    return out


def reusable(stored: dict | None, county: County) -> bool:
    """Whether a stored result stands: same fingerprint, and ok or a failure of the input."""
    return (stored is not None and stored.get("fingerprint") == county.fingerprint
            and (stored["status"] == STATUS_OK or stored.get("error_kind") == KIND_INPUT))


def save_county(out_dir: Path, county: County, result: dict) -> None:
    """Publish a county's folder (its files, then `result.json`) with one rename."""
    from planner.io.publish import publish_folder

    files = dict(result.pop("files", {}) or {})
    record = {**result, "format": BATCH_FORMAT, "key": county.key,
              "fingerprint": county.fingerprint, "workspace": str(county.path),
              "files": sorted(files)}
    text = json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False)
    writers = {name: (lambda tmp, b=data: tmp.write_bytes(b)) for name, data in files.items()}
    writers[RESULT_FILE] = lambda tmp: tmp.write_text(text, encoding="utf-8")
    publish_folder(out_dir / COUNTIES_DIR, county.key, writers)
    result.update(record)


def _lost(county: County, exc: BaseException) -> dict:
    """The result of a county whose task never came back (its workers died, the link broke)."""
    return {"county": county.path.stem, "status": STATUS_FAILED, "error_kind": KIND_WORKER,
            "message": (f"{county.path.name}: the task was lost ({type(exc).__name__}: {exc}); "
                        "run the batch again to retry it"),
            "outline_wkt": None, "log": "", "columns": {}, "files": {}, "notes": [],
            "seconds": None, "cpu_seconds": None, "worker": "", "peak_rss_mb": None}


def _serial(todo: Sequence[County], options: Options) -> Iterator[tuple[County, dict]]:
    for c in todo:
        yield c, run_county(str(c.path), options)


def _distributed(todo: Sequence[County], options: Options, client
                 ) -> Iterator[tuple[County, dict]]:
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {client.submit(run_county, str(c.path), options, key=f"planner-{c.key}-{token}",
                             pure=False): c for c in todo}
    for fut in as_completed(list(futures), loop=client.loop):
        c = futures.pop(fut)
        try:
            res = fut.result()
        except Exception as exc:  # KilledWorker, a lost connection: the county fails, not all
            res = _lost(c, exc)
        fut.release()
        yield c, res


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[object]:
    """A Dask client on an existing scheduler, or on a local cluster of worker processes.

    The local cluster has `workers` processes (by default one per core) of one thread each,
    without the statistical profiler, and listens on 127.0.0.1 only (its HTTP server on a
    free port); it is closed when the block ends.

    Raises
    ------
    InputError
        The scheduler cannot be reached (located at --scheduler).
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at "
                                    f"{scheduler} ({exc}); start one with `dask scheduler` and "
                                    "workers with `dask worker ADDRESS`") from None
        with client:
            yield client
        return
    import dask

    n = workers or default_workers()
    # the scheduler's HTTP server (health, metrics; the dashboard when bokeh is installed)
    # always starts: on a free port of 127.0.0.1, not on 8787, which another cluster may hold.
    # The workers' statistical profiler (a stack sample every 10 ms, for the dashboard) costs
    # a county about a tenth more CPU: off (the workers take the config as they start).
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0")
    try:
        with Client(cluster, set_as_default=False) as client:
            yield client
    finally:
        cluster.sync(_close_workers, cluster, WORKER_CLOSE_S)
        cluster.close()


WORKER_CLOSE_S = 60.0


async def _close_workers(cluster, timeout_s: float) -> None:
    """Ask every worker process to stop, and wait for it (up to `timeout_s`).

    A worker that has imported the planner takes a second or more to exit, several on a
    loaded machine; the cluster's own close gives it 4 s and then kills it. Closing the
    workers first, with time to finish, shuts the cluster down without a kill.
    """
    import asyncio

    await asyncio.gather(*(w.close(timeout=timeout_s) for w in list(cluster.workers.values())))


def default_workers() -> int:
    """One worker per core this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_batch(sources: Sequence[str | Path], out_dir: str | Path, options: Options, *,
              scheduler: str | None = None, workers: int | None = None, serial: bool = False,
              force: bool = False, client=None,
              on_start: Callable[[int, int], None] | None = None,
              on_result: Callable[[County, dict], None] | None = None) -> BatchRun:
    """Run the batch: every county not yet done, on Dask; write results as they come.

    Parameters
    ----------
    sources
        Folders of workspaces, workspace files and list files (see :func:`find_inputs`).
    out_dir
        The output folder (made when missing).
    options
        What to do with each county (see :func:`make_options`).
    scheduler
        The address of a running Dask scheduler; None for a local cluster.
    workers
        The local cluster's worker processes (default: one per core).
    serial
        Run in this process, one county after another, without Dask.
    force
        Run every county again, even those whose stored result stands.
    client
        A Dask client to use as it is (benchmarks keep one across runs).
    on_start
        Called with (counties to run, counties skipped) before the first task.
    on_result
        Called with each county and its result as it finishes.

    Returns
    -------
    What ran, what was skipped, what failed, the table and the files.

    Raises
    ------
    InputError
        The inputs or the output folder cannot be used, or the scheduler cannot be reached.
    """
    from planner.report import province as render
    from planner.report.province import GPKG_FILE

    out_dir = Path(out_dir)
    ours = (out_dir / GPKG_FILE).resolve()  # an earlier run's output is not a county
    counties = counties_of([p for p in find_inputs(sources) if p != ours], options)
    if not counties:
        raise InputError.single(str(out_dir), "no workspace to run: the inputs hold only this "
                                "batch's own counties.gpkg")
    stored = stored_results(out_dir, counties)
    results: dict[str, dict] = {}
    run = BatchRun(out_dir=out_dir, counties=counties)
    todo = []
    for c in counties:
        if not force and reusable(stored.get(c.key), c):
            results[c.key] = stored[c.key]
            run.skipped.append(c.key)
        else:
            todo.append(c)
    todo.sort(key=lambda c: -c.size)  # the largest first: the last tasks are short
    started = time.time()
    with contextlib.ExitStack() as stack:
        if todo and not serial and client is None and scheduler is not None:
            # an unreachable scheduler is refused before anything is written
            client = stack.enter_context(dask_client(scheduler, workers))
        try:
            (out_dir / COUNTIES_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError.single(str(out_dir), f"cannot make the output folder "
                                    f"({exc.strerror})") from None
        if on_start is not None:
            on_start(len(todo), len(run.skipped))
        if todo:
            if serial:
                stream = _serial(todo, options)
            else:
                if client is None:
                    client = stack.enter_context(dask_client(scheduler, workers))
                stream = _distributed(todo, options, client)
            last_table = time.monotonic()
            for c, res in stream:
                save_county(out_dir, c, res)
                results[c.key] = res
                run.ran.append(c.key)
                if time.monotonic() - last_table >= TABLE_EVERY_S:
                    render.write_table(out_dir, province_table(counties, results))
                    last_table = time.monotonic()
                if on_result is not None:
                    on_result(c, res)
    run.failed = {c.key: results[c.key]["message"] for c in counties
                  if results[c.key]["status"] != STATUS_OK}
    run.table = province_table(counties, results)
    run.files = render.write_province(out_dir, run.table, results, lang=options.lang)
    _write_log(out_dir, run, results, started, scheduler=scheduler, serial=serial,
               options=options)
    return run


def _write_log(out_dir: Path, run: BatchRun, results: dict[str, dict], started: float, *,
               scheduler: str | None, serial: bool, options: Options) -> None:
    from planner.io.gpkg import atomic_write

    log = {"started": started, "finished": time.time(),
           "cluster": "serial" if serial else (scheduler or "local"),
           "options": options.identity(),
           "counties": [{"key": c.key, "status": results[c.key]["status"],
                         "skipped": c.key in run.skipped,
                         "seconds": results[c.key].get("seconds"),
                         "cpu_seconds": results[c.key].get("cpu_seconds"),
                         "worker": results[c.key].get("worker"),
                         "peak_rss_mb": results[c.key].get("peak_rss_mb")}
                        for c in run.counties]}
    text = json.dumps(log, ensure_ascii=False, indent=1)
    atomic_write(out_dir / LOG_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))
