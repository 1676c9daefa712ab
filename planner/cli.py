"""The `planner` command line (SPEC §5.1).

Exit codes: 0 success, 2 bad input (a message naming file, layer, row and column; no traceback).
Only :class:`~planner.errors.PlannerError` is caught: anything else is a bug and surfaces.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from planner.errors import InputError, PlannerError, Problem

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

    i = sub.add_parser("import", help="import an Excel workbook or CSV files into a workspace")
    i.add_argument("src", help="an .xlsx workbook, a .csv schools table or a folder of CSVs")
    i.add_argument("out", help="OUT.gpkg")
    i.add_argument("--coords", help="coordinate system of lon/lat: wgs84, cgcs2000, gcj02, bd09")

    a = sub.add_parser("app", help="open the planner in the browser (the demo by default)")
    a.add_argument("ws", nargs="?", help="workspace .gpkg (default: the bundled demo county)")
    a.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except PlannerError as exc:
        print(f"planner {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


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
    if args.scenario is not None:
        saved = ", ".join(ws.scenarios["name"]) or "none"
        raise InputError.single(Path(args.ws).name, f"no scenario named {args.scenario!r} "
                                f"(saved scenarios: {saved})", layer="layer scenarios")
    ev = evaluate(ws, _standards(args.profile, ws.meta.standards_profile))
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
            print(f"  {row['id']:<4} {row['status']:<8} {row['evidence'][:110]}")
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
        saved = ", ".join(ws.scenarios["name"]) or "none"
        raise InputError.single(ws_path.name, f"no scenario named {args.scenario!r} (saved "
                                f"scenarios: {saved})", layer="layer scenarios")
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
    schools = None
    if args.section:
        mask = section_schools(ws.schools, args.section)
        schools = list(ws.schools["school_id"][mask])
    table = dist.long(schools=schools, cutoff_m=args.cutoff)
    atomic_write(out, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8"))
    if changed:
        write_workspace(ws, ws_path)
    for note in dist.notes:
        print(f"note: {note}")
    print(f"wrote {out}: {len(table)} unit-school pairs, method {dist.method}"
          + ("; cached in the workspace" if changed else "; from the workspace's cache"))
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
    from planner.io.load import open_workspace

    app = REPO_ROOT / "app.py"
    if not app.exists():
        raise InputError.single("app.py", f"the app script is not at {app}; install the planner "
                                "from its source folder (pip install -e .)")
    ws_path = Path(args.ws) if args.ws else DEMO_PATH
    open_workspace(ws_path)  # fail here, plainly, rather than inside the browser
    # headless: Streamlit then neither opens a window nor asks for an e-mail on first run
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--server.headless", "true", "--server.enableStaticServing", "true",
           "--browser.gatherUsageStats", "false"]
    print(f"planner: serving {ws_path.name} at http://localhost:{args.port} (Ctrl+C stops)",
          flush=True)
    env = dict(os.environ, PLANNER_WORKSPACE=str(ws_path.resolve()))
    return subprocess.call(cmd, env=env)


_COMMANDS = {
    "demo": _cmd_demo,
    "template": _cmd_template,
    "validate": _cmd_validate,
    "evaluate": _cmd_evaluate,
    "distances": _cmd_distances,
    "import": _cmd_import,
    "app": _cmd_app,
}

if __name__ == "__main__":
    raise SystemExit(main())
