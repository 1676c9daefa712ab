"""The `planner` command line (SPEC §5.1).

Exit codes: 0 success, 2 bad input (a message naming file, layer, row and column; no traceback).
Only :class:`~planner.errors.PlannerError` is caught: anything else is a bug and surfaces.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from planner.errors import InfeasibleError, InputError, PlannerError, Problem

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_PATH = REPO_ROOT / "geodata" / "demo_county.gpkg"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="planner", description="School-layout planner for the "
                                "national high-quality balanced compulsory education standard.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="write the synthetic demo county to a GeoPackage")
    d.add_argument("out", help="OUT.gpkg")
    d.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    d.add_argument("--scale", type=int, default=1, help="K copies of the county, for benchmarks")

    t = sub.add_parser("template", help="write the Excel fill-in template")
    t.add_argument("out", help="OUT.xlsx")

    for name, text in (("validate", "check a workspace and report every problem"),):
        v = sub.add_parser(name, help=text)
        v.add_argument("ws", help="a .gpkg workspace, an .xlsx workbook, a .csv schools table "
                       "or a folder of CSV files")
        v.add_argument("--coords", help="coordinate system of lon/lat in tables: wgs84, "
                       "cgcs2000, gcj02 or bd09 (overrides the workbook's settings)")

    e = sub.add_parser("evaluate", help="evaluate the 32 indicators; write JSON, Excel, HTML")
    e.add_argument("ws", help="a .gpkg workspace, an .xlsx workbook or a .csv schools table")
    e.add_argument("--scenario", help="evaluate a saved scenario instead of the baseline")
    e.add_argument("--json", dest="json_out", metavar="F", help="write the JSON result to F")
    e.add_argument("--xlsx", metavar="F", help="write the Excel workbook to F")
    e.add_argument("--html", metavar="F", help="write the self-contained HTML report to F")
    e.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    e.add_argument("--profile", help="standards profile: national_2017, henan, or a .toml file "
                   "(default: the workspace's own)")
    e.add_argument("--coords", help="coordinate system of lon/lat in tables")

    d2 = sub.add_parser("distances", help="unit × school distances by road, to CSV")
    d2.add_argument("ws", help="a .gpkg workspace")
    d2.add_argument("--roads", help="road file (.osm, .osm.pbf, .graphml, .gpkg): used, and "
                    "stored in the workspace as its road layers")
    d2.add_argument("--place", help="download the walking network of this place from "
                    "OpenStreetMap (needs the internet); stored like --roads")
    d2.add_argument("--section", choices=("primary", "junior"), help="only schools of a section")
    d2.add_argument("--cutoff", type=float, metavar="M", help="only pairs within M metres")
    d2.add_argument("--scenario", help="distances for a saved scenario")
    d2.add_argument("--out", required=True, help="F.csv")

    sc = sub.add_parser("scenario", help="create, edit, list, show and delete scenarios")
    scs = sc.add_subparsers(dest="action", required=True, metavar="ACTION")
    x = scs.add_parser("new", help="a new empty scenario")
    x.add_argument("ws")
    x.add_argument("name")
    x.add_argument("--base", default="baseline", help="the baseline or another scenario")
    x.add_argument("--author", default="")
    x.add_argument("--note", default="")
    x = scs.add_parser("add", help="append edits from a JSON file (an edit or a list)")
    x.add_argument("ws")
    x.add_argument("name")
    x.add_argument("--edits", required=True, metavar="F.json")
    for action, text in (("undo", "remove the last edit"), ("show", "edits and their effect"),
                         ("delete", "delete a scenario")):
        x = scs.add_parser(action, help=text)
        x.add_argument("ws")
        x.add_argument("name")
    x = scs.add_parser("list", help="the saved scenarios")
    x.add_argument("ws")

    df = sub.add_parser("diff", help="compare two scenarios (or one with baseline)")
    df.add_argument("ws")
    df.add_argument("a", help="a scenario name, or baseline")
    df.add_argument("b", help="a scenario name, or baseline")

    ex = sub.add_parser("export", help="export a scenario as a proposal")
    ex.add_argument("ws")
    ex.add_argument("--scenario", required=True)
    ex.add_argument("--out", required=True, metavar="DIR")
    ex.add_argument("--lang", choices=("zh", "en"), default="zh")

    o = sub.add_parser("optimize", help="propose catchments of a section that meet the caps "
                       "at the least travel; saved as a scenario")
    o.add_argument("ws")
    o.add_argument("--section", required=True, choices=("primary", "junior"))
    o.add_argument("--name", required=True, help="the scenario to save the proposal as")
    o.add_argument("--scenario", default="baseline", help="start from this scenario")
    o.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                   help="seconds for the solver (default 60)")
    o.add_argument("--max-distance", type=float, metavar="M", help="no child zoned further "
                   "than M metres by road")
    o.add_argument("--lock", nargs="+", default=[], metavar="UNIT",
                   help="units that keep their current school")
    o.add_argument("--keep-choosers", action="store_true", help="out-of-zone choosers stay "
                   "at their schools (by default every child goes to the zoned school)")
    o.add_argument("--change-weight", type=float, default=500.0, metavar="M",
                   help="metres of travel one pupil changing school is worth (default 500)")
    o.add_argument("--sites", metavar="F.json", help="when seats are short, write the proposed "
                   "new schools as open_school edits to F.json (for `planner scenario add`)")

    r = sub.add_parser("roadmap", help="the cheapest additions that make every school section "
                       "pass and every CV meet its limit, by year under a budget")
    r.add_argument("ws")
    r.add_argument("--out", required=True, metavar="F.xlsx")
    r.add_argument("--scenario", default="baseline", help="plan for this scenario")
    r.add_argument("--budget", type=float, metavar="YUAN_PER_YEAR",
                   help="annual budget (default: everything in the first year)")
    r.add_argument("--exchange", action="store_true", help="move backbone teachers from "
                   "schools with a surplus before hiring (within the G11 exchange rule)")
    r.add_argument("--name", help="also save the roadmap's additions as this scenario")
    r.add_argument("--profile", help="standards profile with the unit costs (default: the "
                   "workspace's own)")
    r.add_argument("--lang", choices=("zh", "en"), default="zh")

    i = sub.add_parser("import", help="import an Excel workbook or CSV files into a workspace")
    i.add_argument("src", help="an .xlsx workbook, a .csv schools table or a folder of CSVs")
    i.add_argument("out", help="OUT.gpkg")
    i.add_argument("--coords", help="coordinate system of lon/lat: wgs84, cgcs2000, gcj02, bd09")

    a = sub.add_parser("app", help="open the planner in the browser (the demo by default)")
    a.add_argument("ws", nargs="?", help="workspace .gpkg (default: the bundled demo county)")
    a.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    a.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1: this computer only); any other needs a password")
    a.add_argument("--password-file", help="file whose first line is the password asked before "
                   "any page (else the PLANNER_APP_PASSWORD environment variable)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
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


def _out_path(text: str, suffix: str) -> Path:
    path = Path(text)
    if path.suffix.lower() != suffix:
        raise InputError.single(path.name, f"the output must be a {suffix} file")
    if not path.parent.exists():
        raise InputError.single(path.name, f"folder {path.parent} does not exist")
    return path


def _cmd_demo(args: argparse.Namespace) -> int:
    from planner.demo import make_demo
    from planner.io.gpkg import write_workspace

    out = _out_path(args.out, ".gpkg")
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

    out = _out_path(args.out, ".xlsx")
    write_template(out)
    print(f"wrote {out}: fill in the sheets 学校, 居住单元, 就读, 县级指标 (see 说明)")
    return 0


def _print_warnings(warnings: list[Problem]) -> None:
    for w in warnings:
        print(w, file=sys.stderr)


def _cmd_validate(args: argparse.Namespace) -> int:
    from planner.io.load import open_workspace

    try:
        ws, warnings = open_workspace(args.ws, coords=args.coords)
    except InputError as exc:
        errors = sum(p.severity == "error" for p in exc.problems)
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"{Path(args.ws).name}: {errors} problem(s); nothing was written", file=sys.stderr)
        return 2
    _print_warnings(warnings)
    parts = [f"{len(ws.schools)} schools"]
    for name in ("units", "catchments", "enrolment", "county", "nodes"):
        layer = getattr(ws, name)
        if layer is not None:
            parts.append(f"{len(layer)} {'road nodes' if name == 'nodes' else name}")
    print(f"{Path(args.ws).name}: valid ({', '.join(parts)}"
          f"{f'; {len(warnings)} repair(s)' if warnings else ''})")
    return 0


def _standards(name: str | None, ws_profile: str):
    from planner.standards import get_profile, load_profile

    if name is None:
        return get_profile(ws_profile)
    return load_profile(name) if name.endswith(".toml") else get_profile(name)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from planner.evaluation import evaluate
    from planner.io.gpkg import atomic_write
    from planner.io.load import open_workspace
    from planner.report.excel import write_workbook
    from planner.report.html import write_html
    from planner.report.tables import verdict_text

    outs = {"json": args.json_out, "xlsx": args.xlsx, "html": args.html}
    paths = {k: _out_path(v, f".{k}") for k, v in outs.items() if v}
    ws, warnings = open_workspace(args.ws, coords=args.coords)
    _print_warnings(warnings)
    standards = _standards(args.profile, ws.meta.standards_profile)
    if args.scenario is not None:
        from planner.scenario import materialise

        plan = _scenario_plan(ws, args.scenario, standards)
        ws = materialise(plan)
        ev = evaluate(ws, standards, distances=plan.distances, zoning=plan.zoning)
    else:
        ev = evaluate(ws, standards)
    if "json" in paths:
        text = json.dumps(ev.to_dict(), ensure_ascii=False, indent=1)
        atomic_write(paths["json"], lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if "xlsx" in paths:
        write_workbook(ev, paths["xlsx"], lang=args.lang)
    if "html" in paths:
        write_html(ev, ws, paths["html"], lang=args.lang)
    print(verdict_text(ev, args.lang))
    for row in ev.checklist.to_dict("records"):
        if row["status"] != "pass":
            text = row["evidence_zh" if args.lang == "zh" else "evidence"]
            print(f"  {row['id']:<4} {row['status']:<8} {text[:110]}")
    for note in ev.notes:
        print(f"  note: {note}")
    for kind, path in paths.items():
        print(f"wrote {path} ({kind})")
    return 0


def _cmd_distances(args: argparse.Namespace) -> int:
    from planner import travel
    from planner.io import osm
    from planner.io.gpkg import atomic_write, write_workspace
    from planner.io.load import open_workspace
    from planner.layout import section_schools

    out = _out_path(args.out, ".csv")
    ws_path = Path(args.ws)
    if ws_path.suffix.lower() != ".gpkg":
        raise InputError.single(ws_path.name, "distances need a .gpkg workspace (with units); "
                                "import tables first with `planner import`")
    ws, warnings = open_workspace(ws_path)
    _print_warnings(warnings)
    if args.scenario is not None:
        from planner.scenario import scenario_row

        scenario_row(ws.scenarios, args.scenario)  # fails plainly when unknown
    if args.cutoff is not None and args.cutoff <= 0:
        raise InputError.single("--cutoff", f"expected metres > 0, got {args.cutoff}")
    changed = False
    if args.roads or args.place:
        nodes, edges = (osm.read_roads(args.roads) if args.roads
                        else osm.roads_by_place(args.place))
        ws = ws.replace(nodes=nodes, edges=edges)
        changed = True
    dist = None if changed else travel.cached_distances(ws)
    if dist is None:
        try:
            dist = travel.compute_distances(ws)
        except InputError as exc:  # name the road file the problem is in
            source = Path(args.roads).name if args.roads else (args.place or ws_path.name)
            raise InputError.single(source, exc.problems[0].message) from exc
        ws = travel.with_cache(ws, dist)
        changed = True
    schools_now = ws.schools
    if args.scenario is not None:
        from planner.scenario import build_plan
        from planner.standards import get_profile

        plan = build_plan(ws, args.scenario, get_profile(ws.meta.standards_profile),
                          distances=dist)
        dist, schools_now = plan.distances, plan.ws.schools
    schools = None
    if args.section:
        mask = section_schools(schools_now, args.section)
        schools = list(schools_now["school_id"][mask])
    table = dist.long(schools=schools, cutoff_m=args.cutoff)
    atomic_write(out, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8"))
    if changed:
        write_workspace(ws, ws_path)
    for note in dist.notes:
        print(f"note: {note}")
    print(f"wrote {out}: {len(table)} unit-school pairs, method {dist.method}"
          + ("; cached in the workspace" if changed else "; from the workspace's cache"))
    return 0


def _gpkg(path_text: str):
    from planner.io.load import open_workspace

    path = Path(path_text)
    if path.suffix.lower() != ".gpkg":
        raise InputError.single(path.name, "scenarios live in a .gpkg workspace; import tables "
                                "first with `planner import`")
    ws, warnings = open_workspace(path)
    _print_warnings(warnings)
    return path, ws


def _scenario_plan(ws, name: str, standards, dist=None):
    from planner import travel
    from planner.scenario import build_plan

    return build_plan(ws, name, standards, distances=dist or travel.distances_for(ws))


def _cmd_scenario(args: argparse.Namespace) -> int:
    import datetime
    import json

    from planner import scenario as sc
    from planner.io.gpkg import write_workspace
    from planner.standards import get_profile

    path, ws = _gpkg(args.ws)
    table = ws.scenarios
    standards = get_profile(ws.meta.standards_profile)
    if args.action == "list":
        if table.empty:
            print("no scenarios")
        for r in table.to_dict("records"):
            n = len(json.loads(r["edits"] or "[]"))
            print(f"{r['name']}\tbase {r['base']}\t{n} edit(s)\t{r['created']}\t{r['author']}"
                  f"\t{r['note']}")
        return 0
    if args.action == "new":
        created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        table = sc.new_scenario(table, args.name, base=args.base, author=args.author,
                                note=args.note, created=created)
        write_workspace(ws.replace(scenarios=table), path)
        print(f"scenario {args.name} created on {args.base}")
        return 0
    if args.action == "add":
        edits_path = Path(args.edits)
        try:
            new = json.loads(edits_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"cannot read the edits as JSON ({exc})"
            raise InputError.single(edits_path.name, msg) from exc
        new = [new] if isinstance(new, dict) else new
        if not isinstance(new, list) or not new:
            raise InputError.single(edits_path.name, "expected an edit object or a list of them")
        before = sc.scenario_edits(table, args.name)
        plan = _scenario_plan(ws, args.name, standards)
        sc.apply_edits(plan, new, standards, file=edits_path.name)  # refuses a bad edit
        table = sc.with_edits(table, args.name, sc.own_edits(table, args.name) + new)
        write_workspace(ws.replace(scenarios=table), path)
        print(f"scenario {args.name}: {len(new)} edit(s) added ({len(before) + len(new)} in all)")
        return 0
    if args.action == "undo":
        own = sc.own_edits(table, args.name)
        if not own:
            raise InputError.single(path.name, f"scenario {args.name!r} has no edit to undo",
                                    layer="layer scenarios")
        write_workspace(ws.replace(scenarios=sc.with_edits(table, args.name, own[:-1])), path)
        print(f"scenario {args.name}: removed {json.dumps(own[-1], ensure_ascii=False)}")
        return 0
    if args.action == "delete":
        write_workspace(ws.replace(scenarios=sc.delete_scenario(table, args.name)), path)
        print(f"scenario {args.name} deleted")
        return 0
    row = sc.scenario_row(table, args.name)  # show
    print(f"{row['name']} (base {row['base']}, created {row['created']}, {row['author']}): "
          f"{row['note']}")
    for k, e in enumerate(sc.own_edits(table, args.name), start=1):
        print(f"  {k}. {json.dumps(e, ensure_ascii=False)}")
    return _print_diff(ws, row["base"], args.name, standards)


def _print_diff(ws, a: str, b: str, standards) -> int:
    from planner import travel
    from planner.diff import diff, summary_lines
    from planner.evaluation import evaluate
    from planner.scenario import materialise

    evs = []
    plans = []
    dist = travel.distances_for(ws)  # the same points and roads for both
    for name in (a, b):
        plan = _scenario_plan(ws, name, standards, dist)
        evs.append(evaluate(materialise(plan), standards, distances=plan.distances,
                            zoning=plan.zoning))
        plans.append(plan)
    for line in summary_lines(diff(evs[0], evs[1], plans[0], plans[1])):
        print(f"  {line}")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from planner.standards import get_profile

    _, ws = _gpkg(args.ws)
    print(f"{args.a} → {args.b}:")
    return _print_diff(ws, args.a, args.b, get_profile(ws.meta.standards_profile))


def _cmd_export(args: argparse.Namespace) -> int:
    from planner.report.export import export_scenario
    from planner.standards import get_profile

    _, ws = _gpkg(args.ws)
    paths = export_scenario(ws, args.scenario, args.out, get_profile(ws.meta.standards_profile),
                            lang=args.lang)
    for p in paths:
        print(f"wrote {p}")
    return 0


def _save_scenario(path: Path, ws, name: str, base: str, edits: list[dict], note: str) -> None:
    import datetime

    from planner import scenario as sc
    from planner.io.gpkg import write_workspace

    created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    table = sc.new_scenario(ws.scenarios, name, base=base, author="planner", note=note,
                            created=created)
    write_workspace(ws.replace(scenarios=sc.with_edits(table, name, edits)), path)


def _cmd_optimize(args: argparse.Namespace) -> int:
    from planner import optimize as op
    from planner import scenario as sc
    from planner import travel
    from planner.standards import get_profile

    path, ws = _gpkg(args.ws)
    if args.name == sc.BASELINE or (ws.scenarios["name"] == args.name).any():
        raise InputError.single(path.name, f"a scenario named {args.name!r} exists already "
                                "(or is reserved): choose another --name",
                                layer="layer scenarios", column="name")
    for flag, value, least in (("--time-limit", args.time_limit, 1e-9),
                               ("--max-distance", args.max_distance, 1e-9),
                               ("--change-weight", args.change_weight, 0.0)):
        if value is not None and value < least:
            raise InputError.single(flag, f"expected a number {'> 0' if least else '≥ 0'}, "
                                    f"got {value}")
    sites = _out_path(args.sites, ".json") if args.sites else None
    standards = get_profile(ws.meta.standards_profile)
    dist = travel.distances_for(ws)
    plan = sc.build_plan(ws, args.scenario, standards, distances=dist)
    options = op.Options(section=args.section, time_limit_s=args.time_limit,
                         max_distance_m=args.max_distance, locks=tuple(args.lock),
                         keep_choosers=args.keep_choosers, change_weight_m=args.change_weight)

    def progress(t: float, obj: float, bound: float) -> None:
        print(f"  {t:6.1f} s  objective {obj:,.0f}  bound {bound:,.0f}", file=sys.stderr,
              flush=True)

    print(f"optimising the {args.section} catchments of {args.scenario} "
          f"(time limit {args.time_limit:.0f} s) …", file=sys.stderr, flush=True)
    try:
        result = op.optimise(plan, standards, options, report=progress)
    except InfeasibleError as exc:
        short = getattr(exc, "shortage", None)
        if sites is None or short is None or short.sites.empty:
            raise
        import json

        from planner.io.gpkg import atomic_write

        text = json.dumps(short.edits(), ensure_ascii=False, indent=1)
        atomic_write(sites, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        raise InfeasibleError(f"{exc}\nwrote {sites}: the {len(short.sites)} site(s) as "
                              f"open_school edits; `planner scenario add {path.name} NAME "
                              f"--edits {sites.name}` adds them to a scenario") from None
    edits = result.edits()
    after = sc.apply_edits(plan, edits, standards)
    problems = op.check_plan(plan, after, args.section, standards)
    if problems:  # a bug, not the user's: say it loudly
        raise AssertionError("the proposal breaks: " + "; ".join(problems))
    for line in op.report_lines(result):
        print(line)
    _save_scenario(path, ws, args.name, args.scenario, edits,
                   f"optimised {args.section} catchments ({result.status}, gap "
                   f"{result.gap:.2%})")
    print(f"saved as scenario {args.name} ({len(edits)} edit(s)); see it with "
          f"`planner scenario show {path.name} {args.name}`")
    return 0


def _cmd_roadmap(args: argparse.Namespace) -> int:
    from planner import roadmap as rm
    from planner import scenario as sc
    from planner import travel
    from planner.report.excel import write_roadmap

    path, ws = _gpkg(args.ws)
    out = _out_path(args.out, ".xlsx")
    if args.name is not None and (args.name == sc.BASELINE
                                  or (ws.scenarios["name"] == args.name).any()):
        raise InputError.single(path.name, f"a scenario named {args.name!r} exists already "
                                "(or is reserved): choose another --name",
                                layer="layer scenarios", column="name")
    if args.budget is not None and args.budget <= 0:
        raise InputError.single("--budget", f"expected yuan per year > 0, got {args.budget}")
    standards = _standards(args.profile, ws.meta.standards_profile)
    plan = sc.build_plan(ws, args.scenario, standards, distances=travel.distances_for(ws))
    road = rm.roadmap(plan.ws.schools, standards, budget=args.budget, exchange=args.exchange)
    write_roadmap(road, out, lang=args.lang)
    for line in road.summary_lines(args.lang):
        print(line)
    print(f"wrote {out}")
    if args.name is not None:
        _save_scenario(path, ws, args.name, args.scenario, road.edits,
                       f"roadmap: {len(road.actions)} action(s), "
                       f"{road.total_cost:,.0f} yuan")
        print(f"saved the additions as scenario {args.name} ({len(road.edits)} edit(s))")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from planner.io.gpkg import write_workspace
    from planner.io.load import open_workspace

    out = _out_path(args.out, ".gpkg")
    ws, warnings = open_workspace(args.src, coords=args.coords)
    _print_warnings(warnings)
    write_workspace(ws, out)
    print(f"wrote {out}: {len(ws.schools)} schools")
    return 0


def _cmd_app(args: argparse.Namespace) -> int:
    from planner import serve
    from planner.io.load import open_workspace

    app = REPO_ROOT / "app.py"
    if not app.exists():
        raise InputError.single("app.py", f"the app script is not at {app}; install the planner "
                                "from its source folder (pip install -e .)")
    ws_path = Path(args.ws) if args.ws else DEMO_PATH
    open_workspace(ws_path)  # fail here, plainly, rather than inside the browser
    password = serve.read_password(args.password_file, dict(os.environ))
    if serve.needs_password(args.host) and not password:
        raise InputError.single(
            "--host", f"serving on {args.host} lets other computers open the planner: give a "
            f"password with --password-file F or the {serve.PASSWORD_ENV} environment variable")
    serve.remove_stale()
    env = {k: v for k, v in os.environ.items() if k not in (serve.PASSWORD_ENV, serve.HASH_ENV)}
    env["PLANNER_WORKSPACE"] = str(ws_path.resolve())
    env[serve.FOLDER_ENV] = str(serve.tmp_root() / f"server-{os.getpid()}")
    if password:
        env[serve.HASH_ENV] = serve.hash_password(password)  # only the hash leaves this process
    shown = "localhost" if args.host in serve.LOOPBACK else args.host
    print(f"planner: serving {ws_path.name} at http://{shown}:{args.port}"
          f"{' (password required)' if password else ''} (Ctrl+C stops)", flush=True)
    # exec: Streamlit takes this process's place, so SIGTERM and Ctrl+C reach it directly
    cmd = serve.streamlit_command(app, host=args.host, port=args.port)
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


_COMMANDS = {
    "demo": _cmd_demo,
    "template": _cmd_template,
    "validate": _cmd_validate,
    "evaluate": _cmd_evaluate,
    "distances": _cmd_distances,
    "scenario": _cmd_scenario,
    "diff": _cmd_diff,
    "export": _cmd_export,
    "optimize": _cmd_optimize,
    "roadmap": _cmd_roadmap,
    "import": _cmd_import,
    "app": _cmd_app,
}

if __name__ == "__main__":
    raise SystemExit(main())
