"""The `planner` commands: parse, call planner/session.py, print (SPEC §5.1, §5.3).

Exit codes: 0 success, 2 bad input (a message naming file, layer, row and column; no
traceback). Only :class:`~planner.errors.PlannerError` is caught: anything else is a bug and
surfaces.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from planner.errors import InfeasibleError, InputError, PlannerError, Problem

if TYPE_CHECKING:
    import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_PATH = REPO_ROOT / "geodata" / "demo_county.gpkg"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    from planner.cli.parser import parser

    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        # a problem found inside the workspace carries no file name: it is the workspace
        source = Path(getattr(args, "ws", "") or "").name
        problems = [replace(p, file=p.file or source) for p in exc.problems]
        print(f"planner {args.command}: {InputError(problems)}", file=sys.stderr)
        return 2
    except PlannerError as exc:
        print(f"planner {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `planner … | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def out_path(text: str, suffix: str) -> Path:
    """An output file path with the right suffix in an existing folder."""
    path = Path(text)
    if path.suffix.lower() != suffix:
        raise InputError.single(path.name, f"the output must be a {suffix} file")
    if not path.parent.exists():
        raise InputError.single(path.name, f"folder {path.parent} does not exist")
    return path


def _print_warnings(warnings: list[Problem]) -> None:
    for w in warnings:
        print(w, file=sys.stderr)


def _session(args: argparse.Namespace, *, gpkg: bool = False):
    from planner import session as ss

    path = Path(args.ws)
    if gpkg and path.suffix.lower() != ".gpkg":
        raise InputError.single(path.name, "scenarios live in a .gpkg workspace; import tables "
                                "first with `planner import`")
    return ss.open_session(path, profile=getattr(args, "profile", None),
                           coords=getattr(args, "coords", None))


# --- data ------------------------------------------------------------------------------------

def _cmd_demo(args: argparse.Namespace) -> int:
    from planner.demo import make_demo
    from planner.io.gpkg import write_workspace

    out = out_path(args.out, ".gpkg")
    if args.scale < 1:
        raise InputError.single("--scale", f"expected a whole number ≥ 1, got {args.scale}")
    ws = make_demo(seed=args.seed, scale=args.scale)
    write_workspace(ws, out)
    print(f"wrote {out}: {len(ws.schools)} schools, {len(ws.units)} units, "
          f"{int(ws.enrolment['students'].sum())} enrolled students, {len(ws.nodes)} road nodes "
          "(synthetic data)")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from planner.io.tables import write_template

    out = out_path(args.out, ".xlsx")
    write_template(out)
    print(f"wrote {out}: fill in the sheets 学校, 居住单元 (村社区), 划片, 就读 (optional), 出生, "
          "就读历史, 新建住宅, 县级指标 and 设置 (see 说明)")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from planner.io.load import open_workspace
    from planner.standards import profile_of, resolve

    try:
        ws, warnings = open_workspace(args.ws, coords=args.coords, region=args.region,
                                      boundary=args.boundary)
        if args.profile is not None:
            resolve(args.profile)
        else:
            profile_of(ws.meta)
    except PlannerError as exc:
        problems = exc.problems if isinstance(exc, InputError) else [
            Problem(Path(args.ws).name, "", None, "", str(exc))]
        errors = sum(p.severity == "error" for p in problems)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"{Path(args.ws).name}: {errors} problem(s); nothing was written", file=sys.stderr)
        return 2
    _print_warnings(warnings)
    parts = [f"{len(ws.schools)} schools"]
    for name in ("units", "catchments", "enrolment", "county", "births", "enrolment_history",
                 "developments", "nodes"):
        layer = getattr(ws, name)
        if layer is not None:
            parts.append(f"{len(layer)} {'road nodes' if name == 'nodes' else name}")
    repairs = sum(w.severity == "warning" for w in warnings)
    print(f"{Path(args.ws).name}: valid ({', '.join(parts)}"
          f"{f'; {repairs} repair(s)' if repairs else ''})")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from planner.io.derive import derived_layers
    from planner.io.gpkg import write_workspace
    from planner.io.load import open_workspace

    out = out_path(args.out, ".gpkg")
    ws, warnings = open_workspace(args.src, coords=args.coords, region=args.region,
                                  boundary=args.boundary)
    _print_warnings(warnings)
    write_workspace(ws, out)
    parts = [f"{len(ws.schools)} schools"]
    for name in ("units", "catchments", "enrolment", "births", "enrolment_history",
                 "developments"):
        layer = getattr(ws, name)
        if layer is not None:
            parts.append(f"{len(layer)} {name}")
    print(f"wrote {out}: {', '.join(parts)}")
    derived = derived_layers(ws)
    if derived:
        print(f"derived on import: {', '.join(derived)} (see the notices above)")
    if "reconciliation" in derived:
        _print_reconciliation(derived["reconciliation"])
    return 0


def _print_reconciliation(table: pd.DataFrame) -> None:
    """Print the reconciliation table: school statistics against the catchments' children."""
    print(f"reconciliation, {len(table)} school section(s) (statistics kept; share of the "
          "catchment's children):")
    for r in table.to_dict("records"):
        share = "no children" if math.isnan(r["share"]) else f"{r['share']:+.1%}"
        print(f"  {r['school_id']} {r['name']} {r['section']}: statistics {r['statistics']:,}, "
              f"catchment children {r['children']:,}, difference {r['difference']:+,} ({share})")


# --- evaluation ------------------------------------------------------------------------------

def _cmd_evaluate(args: argparse.Namespace) -> int:
    from planner import session as ss
    from planner.i18n import t
    from planner.io.gpkg import atomic_write
    from planner.plan import materialise
    from planner.report.excel import write_workbook
    from planner.report.html import write_html
    from planner.report.tables import verdict_text

    outs = {"json": args.json_out, "xlsx": args.xlsx, "html": args.html}
    paths = {k: out_path(v, f".{k}") for k, v in outs.items() if v}
    if args.scenario is not None and Path(args.ws).suffix.lower() != ".gpkg":
        raise InputError.single(Path(args.ws).name, "scenarios live in a .gpkg workspace")
    session = _session(args)
    plan, ev = ss.evaluate_scenario(session, args.scenario or ss.BASELINE, year=args.year)
    if "json" in paths:
        text = json.dumps(ev.to_dict(), ensure_ascii=False, indent=1, allow_nan=False)
        atomic_write(paths["json"], lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if "xlsx" in paths:
        write_workbook(ev, paths["xlsx"], lang=args.lang)
    if "html" in paths:
        ws = session.ws if args.scenario is None and args.year is None else materialise(plan)
        write_html(ev, ws, paths["html"], lang=args.lang)
    year = f" · {ev.year}" if ev.year is not None else ""
    print(f"{verdict_text(ev, args.lang)} ({ev.standards.name}{year})")
    for row in ev.checklist.to_dict("records"):
        if row["status"] != "pass":
            text = row["evidence_zh" if args.lang == "zh" else "evidence"]
            status = t(f"status_{row['status']}", args.lang)  # every reason whole, not cut
            print(f"  {row['id']:<4} {status}  {text}")
    for note in ev.notes:
        print(f"  note: {note}")
    for kind, path in paths.items():
        print(f"wrote {path} ({kind})")
    return 0


def _cmd_distances(args: argparse.Namespace) -> int:
    from planner import session as ss
    from planner import travel
    from planner.io import osm
    from planner.io.tables import write_csv

    out = out_path(args.out, ".csv")
    ws_path = Path(args.ws)
    if ws_path.suffix.lower() != ".gpkg":
        raise InputError.single(ws_path.name, "distances need a .gpkg workspace (with units); "
                                "import tables first with `planner import`")
    if args.cutoff is not None and args.cutoff <= 0:
        raise InputError.single("--cutoff", f"expected metres > 0, got {args.cutoff}")
    session = _session(args)
    if args.scenario is not None:
        ss.scenario_edits(session, args.scenario)  # fails plainly when unknown
    roads = None
    if args.roads or args.place:
        roads = (osm.read_roads(args.roads) if args.roads else osm.roads_by_place(args.place))
    ws = session.ws if roads is None else session.ws.replace(nodes=roads[0], edges=roads[1])
    dist = None if roads is not None else travel.cached_distances(ws)
    cached = dist is not None
    if dist is None:
        try:
            dist = travel.compute_distances(ws)
        except InputError as exc:  # name the road file the problem is in
            source = Path(args.roads).name if args.roads else (args.place or ws_path.name)
            raise InputError.single(source, exc.problems[0].message) from exc
        ss.save_distances(ws_path, dist, roads=roads)
    plan = ss.plan_of(ss.with_distances(session, ws, dist), args.scenario or ss.BASELINE)
    schools = None
    if args.section:
        schools = list(plan.school_ids[plan.teaches(args.section)])
    table = plan.distances.long(schools=schools, cutoff_m=args.cutoff)
    write_csv(out, table)
    for note in dist.notes:
        print(f"note: {note}")
    print(f"wrote {out}: {len(table)} unit-school pairs, method {dist.method}"
          + ("; from the workspace's cache" if cached else "; cached in the workspace"))
    return 0


# --- scenarios -------------------------------------------------------------------------------

def _cmd_scenario(args: argparse.Namespace) -> int:
    from planner import session as ss

    session = _session(args, gpkg=True)
    if args.action == "list":
        if not session.scenarios:
            print("no scenarios")
        for s in session.scenarios.values():
            print(f"{s.name}\tbase {s.base}\t{len(s.edits)} edit(s)\t{s.created}\t{s.author}"
                  f"\t{s.note}")
        return 0
    if args.action == "new":
        ss.create(session, args.name, base=args.base, author=args.author, note=args.note)
        print(f"scenario {args.name} created on {args.base}")
        return 0
    if args.action == "add":
        edits_path = Path(args.edits)
        new = ss.edits_from_file(edits_path)
        session = ss.add_edits(session, args.name, new, file=edits_path.name)
        total = len(ss.scenario_edits(session, args.name))
        print(f"scenario {args.name}: {len(new)} edit(s) added ({total} in all)")
        return 0
    if args.action == "undo":
        _, removed = ss.undo(session, args.name)
        print(f"scenario {args.name}: removed {ss.describe(removed)}")
        return 0
    if args.action == "delete":
        ss.delete(session, args.name)
        print(f"scenario {args.name} deleted")
        return 0
    s = ss.store.get(session.scenarios, args.name, file=session.file)  # show
    print(f"{s.name} (base {s.base}, created {s.created}, {s.author}): {s.note}")
    for k, e in enumerate(s.edits, start=1):
        print(f"  {k}. {ss.describe(e)}")
    return _print_diff(session, s.base, s.name)


def _print_diff(session, a: str, b: str, year: int | None = None) -> int:
    from planner import session as ss
    from planner.diff import summary_lines

    for line in summary_lines(ss.compare(session, a, b, year=year)):
        print(f"  {line}")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    session = _session(args, gpkg=True)
    print(f"{args.a} → {args.b}{f' ({args.year})' if args.year else ''}:")
    return _print_diff(session, args.a, args.b, args.year)


def _cmd_export(args: argparse.Namespace) -> int:
    from planner import session as ss

    session = _session(args, gpkg=True)
    paths = ss.export(session, args.scenario, args.out, lang=args.lang, year=args.year)
    for p in paths:
        print(f"wrote {p}")
    if args.year is None and (y := ss.phased_in_year(session, args.scenario)) is not None:
        print(f"the proposal is read in school year {y}, when the scenario's last dated edit "
              "takes effect (--year Y for another); the notice is for the next autumn's "
              "entrants")
    return 0


def _cmd_project(args: argparse.Namespace) -> int:
    from planner import session as ss
    from planner.io.tables import write_csv
    from planner.report.projection import write_years

    out = None
    if args.out is not None:
        out = Path(args.out)
        if out.suffix.lower() not in (".csv", ".xlsx", ".json"):
            raise InputError.single(out.name, "the output must be a .csv, .xlsx or .json file")
        out = out_path(args.out, out.suffix.lower())
    schools = out_path(args.schools, ".csv") if args.schools else None
    session = _session(args, gpkg=True)
    years = ss.project(session, to_year=args.to, scenario=args.scenario)
    if out is not None:
        write_years(years, out, lang=args.lang)
    if schools is not None:
        write_csv(schools, years.schools)
    for line in years_lines(years):
        print(line)
    for line in backtest_lines(years.backtest, full=args.backtest):
        print(line)
    for note in years.notes:
        print(f"  note: {note}")
    written = [str(f) for f in (out, schools) if f is not None]
    if written:
        print("wrote " + " and ".join(written))
    return 0


def years_lines(years) -> list[str]:
    """A few lines on a projection: pupils by section and year, and the crossings."""
    import pandas as pd

    c = years.county
    lines = [f"{years.scenario}: pupils by year (low–high)"]
    for sec in ("primary", "junior"):
        part = c[c["section"] == sec]
        lines.append(f"  {sec}: " + ", ".join(
            f"{int(r.year)} {r.pupils:,.0f} ({r.pupils_low:,.0f}–{r.pupils_high:,.0f})"
            for r in part.itertuples()))
    for r in years.crossings.itertuples():
        lines.append(f"  {r.name} ({r.school_id}) {r.section}: {r.rule} {r.years}"
                     + (f", no longer from {r.ends}" if not pd.isna(r.ends) else ""))
    if years.band_changes is not None and len(years.band_changes):
        lines.append("at the band's edges (years over the line: central / low / high):")
        for r in years.band_changes.itertuples():
            lines.append(f"  {r.name} ({r.school_id}) {r.section}: {r.rule} "
                         f"{r.years_central or 'never'} / {r.years_low or 'never'} / "
                         f"{r.years_high or 'never'}")
    return lines


def backtest_lines(backtest, *, full: bool) -> list[str]:
    """The hindcast: mean / largest error (%) by horizon, per grade and section (and more)."""
    if backtest is None:
        return ["back-test: no enrolment history before the workspace's year"]
    s = backtest.summary
    horizons = sorted(s["horizon"].unique())
    origins = ", ".join(map(str, backtest.origins))
    lines = [f"back-test: the method run from {origins}, against what happened "
             "(error in %, mean / largest; townships and schools weighted by size)",
             f"  {'years ahead:':<20}" + "".join(f"{h:>14}" for h in horizons)]
    levels = ("grade", "section", "township", "school") if full else ("grade", "section")
    for level in levels:
        part = s[s["level"] == level]
        for item in dict.fromkeys(part["item"]):
            cells = []
            for h in horizons:
                hit = part[(part["item"] == item) & (part["horizon"] == h)]
                cells.append(f"{hit['mean_abs_pct'].iloc[0]:.1f} / "
                             f"{hit['largest_abs_pct'].iloc[0]:.1f}" if len(hit) else "")
            label = f"grade {item}" if level == "grade" else (
                str(item) if level == "section" else f"{level}s, {item}")
            lines.append(f"  {label:<20}" + "".join(f"{c:>14}" for c in cells))
    if not full:
        lines.append("  (--backtest adds townships and schools; the file holds every case)")
    return lines


# --- planning --------------------------------------------------------------------------------

def _positive(flag: str, value: float | None, *, zero_ok: bool = False) -> None:
    if value is not None and (not math.isfinite(value) or value < 0
                              or (value == 0 and not zero_ok)):
        raise InputError.single(flag, f"expected a number {'≥ 0' if zero_ok else '> 0'}, "
                                f"got {value}")


def _options(args: argparse.Namespace, **extra):
    """The optimiser's request from the flags optimize and consolidate share."""
    from planner import optimize as op

    _positive("--time-limit", args.time_limit)
    _positive("--max-distance", args.max_distance)
    return op.Options(section=args.section, time_limit_s=args.time_limit,
                      max_distance_m=args.max_distance, first_year=args.first_year,
                      indicators=not args.no_indicators, cvs=not args.no_cvs,
                      capacity=not args.no_capacity, scope=not args.no_scope, **extra)


def _progress(t: float, obj: float, bound: float, km: float | None = None,
              moved: int | None = None) -> None:
    plan = "" if km is None else f"  ({km:,.0f} pupil-km, {moved:,} change school)"
    print(f"  {t:6.1f} s  objective {obj:,.0f}  bound {bound:,.0f}{plan}", file=sys.stderr,
          flush=True)


def _cmd_optimize(args: argparse.Namespace) -> int:
    from planner import optimize as op
    from planner import session as ss

    session = _session(args, gpkg=True)
    _positive("--change-weight", args.change_weight, zero_ok=True)
    _positive("--cv-target", args.cv_target)
    sites = out_path(args.sites, ".json") if args.sites else None
    options = _options(args, locks=tuple(args.lock), keep_choosers=not args.enforce_zoning,
                       change_weight_m=args.change_weight, all_grades=args.all_grades,
                       objective=args.objective, cv_target=args.cv_target)
    print(f"optimising the {args.section} catchments of {args.scenario} "
          f"(time limit {args.time_limit:.0f} s per solve) …", file=sys.stderr, flush=True)
    if args.frontier:
        plans, why = op.frontier(ss.optimisation_plans(session, args.scenario, options), options,
                                 report=_progress)
        for line in op.frontier_lines(plans, why):
            print(line)
        return 0
    try:
        session, proposed = ss.optimise(session, options, args.name, base=args.scenario,
                                        report=_progress)
    except InfeasibleError as exc:
        if sites is None or exc.shortage is None or exc.shortage.sites.empty:
            raise
        from planner.io.gpkg import atomic_write

        text = json.dumps(exc.shortage.edits(), ensure_ascii=False, indent=1)
        atomic_write(sites, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        raise InfeasibleError(f"{exc}\nwrote {sites}: the {len(exc.shortage.sites)} site(s) as "
                              f"open_school edits; `planner scenario add {session.file} NAME "
                              f"--edits {sites.name}` adds them to a scenario") from None
    for line in op.report_lines(proposed.result) + op.impact_lines(proposed, args.section):
        print(line)
    print(f"saved as scenario {args.name} ({len(proposed.result.edits())} edit(s)); see it with "
          f"`planner scenario show {session.file} {args.name}`")
    return 0


def _cmd_consolidate(args: argparse.Namespace) -> int:
    from planner import optimize as op
    from planner import session as ss

    session = _session(args, gpkg=True)
    if args.min_pupils < 1:
        raise InputError.single("--min-pupils", f"expected a number ≥ 1, got {args.min_pupils}")
    if not 1 <= args.boarding_from_grade <= 9:
        raise InputError.single("--boarding-from-grade", "expected a grade from 1 to 9, got "
                                f"{args.boarding_from_grade}")
    options = _options(args)
    print(f"choosing the {args.section} schools of {args.scenario} to close "
          f"(time limit {args.time_limit:.0f} s per solve) …", file=sys.stderr, flush=True)
    session, proposed = ss.consolidate(
        session, options, args.name, base=args.scenario, min_pupils=args.min_pupils,
        listed=tuple(args.schools), objective=args.objective,
        boarding_from_grade=args.boarding_from_grade, report=_progress, at_once=args.at_once)
    for line in op.consolidation_lines(proposed.result) + op.year_lines(proposed, args.section):
        print(line)
    print(f"saved as scenario {args.name} ({len(proposed.result.edits())} edit(s)); see it with "
          f"`planner scenario show {session.file} {args.name}`")
    return 0


def _cmd_roadmap(args: argparse.Namespace) -> int:
    from planner import session as ss
    from planner.report.excel import write_roadmap

    session = _session(args, gpkg=True)
    out = out_path(args.out, ".xlsx")
    if args.name is not None:
        ss.check_new_name(session, args.name)
    _positive("--budget", args.budget)
    road = ss.roadmap(session, args.scenario, budget=args.budget, exchange=args.exchange)
    write_roadmap(road, out, lang=args.lang)
    for line in road.summary_lines(args.lang):
        print(line)
    print(f"wrote {out}")
    if args.name is not None:
        ss.create(session, args.name, base=args.scenario, author="planner", edits=road.edits,
                  note=f"roadmap: {len(road.actions)} action(s), {road.total_cost:,.0f} yuan")
        print(f"saved the additions as scenario {args.name} ({len(road.edits)} edit(s))")
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from planner import session as ss
    from planner.report.excel import write_plan

    session = _session(args, gpkg=True)
    ss.check_new_name(session, args.name)
    _positive("--budget-per-year", args.budget_per_year)
    out = out_path(args.out, ".xlsx") if args.out is not None else None
    rec = ss.plan_of_record(session, args.target_year, name=args.name, base=args.scenario,
                            to_year=args.to, budget=args.budget_per_year)
    for line in rec.summary_lines(args.lang):
        print(line)
    if not rec.ok:
        earliest = [b.earliest for b in rec.blocks]
        when = (max(earliest) if all(e is not None for e in earliest) else None)
        print(f"error: the target {args.target_year} cannot be met"
              + (f"; the earliest year possible is {when}" if when else "")
              + "; nothing saved", file=sys.stderr)
        for b in rec.blocks:
            print(f"  {b.line('en')}", file=sys.stderr)
        return 2
    if out is not None:
        write_plan(rec, out, lang=args.lang)
        print(f"wrote {out}")
    ss.save_plan(session, rec)
    print(f"saved as scenario {args.name} ({len(rec.edits)} edit(s)); check a year with "
          f"`planner evaluate {session.file} --scenario {args.name} --year "
          f"{args.target_year}`")
    return 0


# --- many counties ---------------------------------------------------------------------------

class _Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per county elsewhere."""

    WIDTH = 30

    def __init__(self, stream) -> None:
        self.stream, self.total, self.done, self.failed = stream, 0, 0, 0
        self.tty = stream.isatty()
        self.start_s = time.monotonic()

    def start(self, todo: int, skipped: int) -> None:
        self.total = todo
        words = f"{todo} county(ies) to run"
        if skipped:
            words += f", {skipped} unchanged since their stored result (skipped)"
        print(f"planner batch: {words}", file=self.stream, flush=True)

    def update(self, county, result: dict) -> None:
        self.done += 1
        ok = result["status"] == "ok"
        self.failed += not ok
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = (f"[{bar}] {self.done}/{self.total}  {time.monotonic() - self.start_s:6.1f} s"
                f"  {self.failed} failed  {county.key}: {'ok' if ok else 'FAILED'}")
        if self.tty:
            print(f"\r{line}\x1b[K", end="", file=self.stream, flush=True)
            if not ok:
                print(f"\n  {result['message']}", file=self.stream, flush=True)
        else:
            print(line, file=self.stream, flush=True)
            if not ok:
                print(f"  {result['message']}", file=self.stream, flush=True)

    def finish(self) -> None:
        if self.tty and self.done:
            print(file=self.stream, flush=True)


def _cmd_batch(args: argparse.Namespace) -> int:
    from planner import batch

    pairs = [(args.project and args.to is None, "--project", "needs --to YEAR"),
             (args.to is not None and not args.project, "--to", "only with --project"),
             (args.budget is not None and not args.roadmap, "--budget", "only with --roadmap"),
             (args.scheduler is not None and args.workers is not None, "--workers",
              "only for the local cluster: an existing scheduler's workers are started with "
              "`dask worker ADDRESS`"),
             (args.serial and (args.scheduler is not None or args.workers is not None),
              "--serial", "runs without Dask: leave out --scheduler and --workers"),
             (args.workers is not None and args.workers < 1, "--workers",
              f"expected a whole number ≥ 1, got {args.workers}")]
    problems = [Problem(flag, "", None, "", msg) for bad, flag, msg in pairs if bad]
    if problems:
        raise InputError(problems)
    options = batch.make_options(
        project_to=args.to if args.project else None, optimise=args.optimize or (),
        time_limit_s=args.time_limit, roadmap=args.roadmap, budget=args.budget,
        profile=args.profile, reports=not args.no_reports, lang=args.lang)
    progress = _Progress(sys.stderr)
    try:
        run = batch.run_batch(args.inputs, args.out, options, scheduler=args.scheduler,
                              workers=args.workers, serial=args.serial, force=args.force,
                              on_start=progress.start, on_result=progress.update)
    finally:
        progress.finish()
    n = len(run.counties)
    print(f"{n} county(ies): {len(run.ran)} run now, {len(run.skipped)} skipped, "
          f"{len(run.failed)} failed")
    if run.skipped:
        print(f"skipped {len(run.skipped)} county(ies) whose workspace and options have not "
              "changed since their stored result (--force runs them again)")
    for path in run.files:
        print(f"wrote {path}")
    if run.failed:
        print(f"planner batch: {len(run.failed)} of {n} county(ies) failed:", file=sys.stderr)
        for key, message in run.failed.items():
            print(f"  {key}: {message}", file=sys.stderr)
        return 2
    return 0


def _cmd_demo_province(args: argparse.Namespace) -> int:
    from planner.province import write_province

    def report(item) -> None:
        print(f"wrote {item.path}: {item.shape.name}, {item.schools} schools, {item.units} "
              "units (synthetic data)", flush=True)

    items = write_province(args.out, counties=args.counties, seed=args.seed, report=report)
    print(f"{len(items)} synthetic counties in {args.out}; evaluate them all with "
          f"`planner batch {args.out} --out RESULTS`")
    return 0


# --- the app ---------------------------------------------------------------------------------

def _cmd_app(args: argparse.Namespace) -> int:
    from planner import serve
    from planner.io.load import open_workspace

    app = REPO_ROOT / "app.py"
    if not app.exists():
        raise InputError.single("app.py", f"the app script is not at {app}; install the planner "
                                "from its source folder (pip install -e .)")
    ws_path = Path(args.ws) if args.ws else DEMO_PATH
    open_workspace(ws_path)  # fail here, plainly, rather than inside the browser
    profile = ""
    if args.profile:
        from planner.standards import resolve

        resolve(args.profile)  # an unknown name or a bad .toml: refused here
        toml = args.profile.lower().endswith(".toml")
        profile = str(Path(args.profile).resolve()) if toml else args.profile
    password = serve.read_password(args.password_file, dict(os.environ))
    if serve.needs_password(args.host) and not password:
        raise InputError.single(
            "--host", f"serving on {args.host} lets other computers open the planner: give a "
            f"password with --password-file F or the {serve.PASSWORD_ENV} environment variable")
    serve.remove_stale()
    env = {k: v for k, v in os.environ.items() if k not in (serve.PASSWORD_ENV, serve.HASH_ENV)}
    env["PLANNER_WORKSPACE"] = str(ws_path.resolve())
    env.pop(serve.PROFILE_ENV, None)
    if profile:
        env[serve.PROFILE_ENV] = profile
    env[serve.FOLDER_ENV] = str(serve.tmp_root() / f"server-{os.getpid()}")
    if password:
        env[serve.HASH_ENV] = serve.hash_password(password)  # only the hash leaves this process
    shown = "localhost" if args.host in serve.LOOPBACK else args.host
    print(f"planner: serving {ws_path.name}{f' ({profile})' if profile else ''} at "
          f"http://{shown}:{args.port}"
          f"{' (password required)' if password else ''} (Ctrl+C stops)", flush=True)
    # exec: Streamlit takes this process's place, so SIGTERM and Ctrl+C reach it directly
    cmd = serve.streamlit_command(app, host=args.host, port=args.port)
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _cmd_demo,
    "template": _cmd_template,
    "validate": _cmd_validate,
    "evaluate": _cmd_evaluate,
    "distances": _cmd_distances,
    "scenario": _cmd_scenario,
    "diff": _cmd_diff,
    "export": _cmd_export,
    "optimize": _cmd_optimize,
    "consolidate": _cmd_consolidate,
    "roadmap": _cmd_roadmap,
    "plan": _cmd_plan,
    "import": _cmd_import,
    "project": _cmd_project,
    "batch": _cmd_batch,
    "demo-province": _cmd_demo_province,
    "app": _cmd_app,
}
