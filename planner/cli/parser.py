"""The `planner` command line's arguments (SPEC §5.1, §5.3)."""

from __future__ import annotations

import argparse

from planner.schema import PROJECTION_END

PROFILE_HELP = ("standards profile: national_2017, henan, or a .toml file (default: the "
                "workspace's own)")


def _request(p: argparse.ArgumentParser, what: str) -> None:
    """The workspace, section, name, base, time limit and distance of an optimiser request."""
    p.add_argument("ws")
    p.add_argument("--section", required=True, choices=("primary", "junior"))
    p.add_argument("--name", required=True, help=f"the scenario to save {what} as")
    p.add_argument("--scenario", default="baseline", help="start from this scenario")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                   help="seconds for each solve (default 60)")
    p.add_argument("--max-distance", type=float, metavar="M", help="no child zoned further "
                   "than M metres by road")


def _phase(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all-grades", action="store_true", help="re-zone every grade at once "
                   "(by default the new catchments take entrants, year by year)")
    p.add_argument("--first-year", type=int, metavar="Y", help="the school year the new "
                   "catchments take their first entrants (default: the one after the "
                   "workspace's)")


def _switches(p: argparse.ArgumentParser) -> None:
    for flag, what in (("indicators", "sections passing R1–R7 keep passing, failing ones meet "
                        "no fewer"), ("cvs", "no CV over its limit, none over it rises"),
                       ("capacity", "schools within their places"),
                       ("scope", "the set of evaluated school sections unchanged")):
        p.add_argument(f"--no-{flag}", action="store_true", help=f"drop the constraint: {what}")


def _profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", help=PROFILE_HELP)


def _lang(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="output language")


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    p = argparse.ArgumentParser(prog="planner", description="School-layout planner for the "
                                "national high-quality balanced compulsory education standard.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="write the synthetic demo county to a GeoPackage")
    d.add_argument("out", help="OUT.gpkg")
    d.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    d.add_argument("--scale", type=int, default=1, help="K copies of the county, for benchmarks")

    t = sub.add_parser("template", help="write the Excel fill-in template")
    t.add_argument("out", help="OUT.xlsx")

    v = sub.add_parser("validate", help="check a workspace and report every problem")
    v.add_argument("ws", help="a .gpkg workspace, an .xlsx workbook, a .csv schools table or a "
                   "folder of CSV files")
    v.add_argument("--coords", help="coordinate system of lon/lat in tables: wgs84, cgcs2000, "
                   "gcj02 or bd09 (overrides the workbook's settings)")
    v.add_argument("--region", choices=("china", "any"), help="china (default: locations "
                   "outside China are refused) or any (a notice; distances in the data's "
                   "UTM zone); overrides the workspace's meta")
    v.add_argument("--boundary", metavar="FILE", help="county boundary for units given as "
                   "points (see `planner import`)")
    _profile(v)

    e = sub.add_parser("evaluate", help="evaluate the 32 indicators; write JSON, Excel, HTML")
    e.add_argument("ws", help="a .gpkg workspace, an .xlsx workbook or a .csv schools table")
    e.add_argument("--scenario", help="evaluate a saved scenario instead of today's layout")
    e.add_argument("--json", dest="json_out", metavar="F", help="write the JSON result to F")
    e.add_argument("--xlsx", metavar="F", help="write the Excel workbook to F")
    e.add_argument("--html", metavar="F", help="write the self-contained HTML report to F")
    e.add_argument("--year", type=int, metavar="Y", help="evaluate school year Y: projected "
                   "pupils, the scenario's edits in effect by then")
    _lang(e)
    _profile(e)
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
    _profile(d2)

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
    _profile(x)
    for action, text in (("undo", "remove the last edit"), ("show", "edits and their effect"),
                         ("delete", "delete a scenario")):
        x = scs.add_parser(action, help=text)
        x.add_argument("ws")
        x.add_argument("name")
        if action == "show":
            _profile(x)
    x = scs.add_parser("list", help="the saved scenarios")
    x.add_argument("ws")

    df = sub.add_parser("diff", help="compare two scenarios (or one with baseline)")
    df.add_argument("ws")
    df.add_argument("a", help="a scenario name, or baseline")
    df.add_argument("b", help="a scenario name, or baseline")
    df.add_argument("--year", type=int, metavar="Y", help="compare them in school year Y")
    _profile(df)

    ex = sub.add_parser("export", help="export a scenario (or today's layout) as a proposal")
    ex.add_argument("ws")
    ex.add_argument("--scenario", required=True, help="a scenario name, or baseline")
    ex.add_argument("--out", required=True, metavar="DIR", help="the proposal's files (GeoPackage, "
                    "workbook, report, notice, Word documents, print maps) go to DIR/NAME/ "
                    "(DIR and its parents are made when missing)")
    ex.add_argument("--year", type=int, metavar="Y", help="the proposal as it stands in school "
                    "year Y (with the years table to it)")
    _lang(ex)
    _profile(ex)

    o = sub.add_parser("optimize", help="propose catchments of a section that meet the caps "
                       "at the least travel; saved as a scenario")
    _request(o, "the proposal")
    o.add_argument("--lock", nargs="+", default=[], metavar="UNIT",
                   help="units that keep their current school")
    o.add_argument("--enforce-zoning", action="store_true", help="bring out-of-zone choosers "
                   "back to their zoned schools (by default they stay where they are)")
    _phase(o)
    o.add_argument("--objective", choices=("inspection", "travel", "cv", "balanced"),
                   default="inspection",
                   help="least disruption (default): pupils move only where a gap of the "
                   "inspection narrows (size caps, classes over the cap, R1–R7, CVs over their "
                   "limit), then least travel; least travel alone; the least largest CV of the "
                   "section, then travel; or travel with the largest CV held halfway between")
    o.add_argument("--cv-target", type=float, metavar="C", help="hold every CV of the section "
                   "at or below C (a plan of --frontier)")
    o.add_argument("--frontier", action="store_true", help="print up to 7 plans from least travel "
                   "to least CV (nothing is saved; --cv-target C re-makes one)")
    _switches(o)
    o.add_argument("--change-weight", type=float, default=500.0, metavar="M",
                   help="metres of travel one pupil changing school is worth (default 500)")
    o.add_argument("--sites", metavar="F.json", help="when seats are short, write the proposed "
                   "new schools as open_school edits to F.json (for `planner scenario add`)")
    _profile(o)

    c = sub.add_parser("consolidate", help="close small schools of a section (teaching points, "
                       "sections under N pupils, or a list) and re-zone their units; saved as "
                       "a scenario")
    _request(c, "the closures")
    c.add_argument("--min-pupils", type=int, default=100, metavar="N",
                   help="candidates: teaching points and single-section schools under N "
                   "pupils (default 100)")
    c.add_argument("--schools", nargs="+", default=[], metavar="ID",
                   help="candidates: these schools instead")
    c.add_argument("--boarding-from-grade", type=int, default=7, metavar="G",
                   help="pupils beyond walking distance board from grade G on, younger ones "
                   "ride a bus (default 7)")
    c.add_argument("--objective", choices=("count", "cost"), default="count",
                   help="close as many as possible (default), or the least yearly cost "
                   "(teachers of the schools kept + travel)")
    c.add_argument("--first-year", type=int, metavar="Y", help="the school year the "
                   "consolidation starts (default: the one after the workspace's)")
    c.add_argument("--at-once", action="store_true", help="close in the first year for every "
                   "grade; by default closures are staged (停招: no entrants from the first "
                   "year, the school closes when its last cohort has left)")
    _switches(c)
    _profile(c)

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
    _profile(r)
    _lang(r)

    pl = sub.add_parser("plan", help="the plan of record: the actions, year by year, that make "
                        "every computable checklist row pass from the target year to the end of "
                        "the projection, priced on the projected pupils; saved as a scenario")
    pl.add_argument("ws", help="a .gpkg workspace")
    pl.add_argument("--target-year", type=int, required=True, metavar="YEAR",
                    help="the inspection year: every computable row passes from it on")
    pl.add_argument("--name", required=True, help="the scenario the plan is saved as")
    pl.add_argument("--scenario", default="baseline", help="plan on this scenario")
    pl.add_argument("--to", type=int, metavar="YEAR",
                    help=f"the last projected year checked (default {PROJECTION_END})")
    pl.add_argument("--budget-per-year", type=float, metavar="YUAN",
                    help="each year's money at most this (capital may be spent earlier)")
    pl.add_argument("--out", metavar="F.xlsx", help="also write the plan's workbook")
    _profile(pl)
    _lang(pl)

    pj = sub.add_parser("project", help="project children and pupils year by year (births, "
                        "progression, migration, new housing) under a scenario")
    pj.add_argument("ws", help="a .gpkg workspace")
    pj.add_argument("--scenario", default="baseline", help="a scenario name, or baseline")
    pj.add_argument("--to", type=int, default=PROJECTION_END, metavar="YEAR",
                    help="the last year (default 2035)")
    pj.add_argument("--out", metavar="F", help="F.csv (children by year, unit and grade), "
                    "F.xlsx or F.json (every table); without it the projection is printed only")
    pj.add_argument("--schools", metavar="G.csv", help="also write pupils, classes and places "
                    "by year, school and section to G.csv")
    pj.add_argument("--backtest", action="store_true", help="print the whole hindcast: the "
                    "method run from each earlier year of the history against what happened, "
                    "by grade, section, township and school (the file always holds it)")
    _profile(pj)
    _lang(pj)

    i = sub.add_parser("import", help="import an Excel workbook or CSV files into a workspace")
    i.add_argument("src", help="an .xlsx workbook, a .csv schools table or a folder of CSVs")
    i.add_argument("out", help="OUT.gpkg")
    i.add_argument("--coords", help="coordinate system of lon/lat: wgs84, cgcs2000, gcj02, bd09")
    i.add_argument("--region", choices=("china", "any"), help="china (default) or any: turns "
                   "the China-bounds check into a notice; stored in the workspace's meta")
    i.add_argument("--boundary", metavar="FILE", help="the county boundary (GeoJSON, Shapefile, "
                   "GeoPackage, KML): units given as points become Voronoi cells clipped to it "
                   "(without it: to a buffer of the points' hull)")

    b = sub.add_parser("batch", help="evaluate (and project, optimise, price) many county "
                       "workspaces at once on Dask distributed; write the province's results")
    b.add_argument("inputs", nargs="+", metavar="DIR_OR_LIST", help="folders of .gpkg "
                   "workspaces, .gpkg files, or text files listing one workspace per line")
    b.add_argument("--out", required=True, metavar="OUT_DIR", help="the output folder "
                   "(counties.parquet, counties.gpkg, province.xlsx, province.html, counties/)")
    b.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. "
                   "tcp://10.0.0.5:8786 (default: a local cluster on this machine)")
    b.add_argument("--workers", type=int, metavar="N", help="worker processes of the local "
                   "cluster (default: one per core)")
    b.add_argument("--serial", action="store_true", help="no Dask: one county after another "
                   "in this process (for comparison and debugging)")
    b.add_argument("--evaluate", action="store_true", help="evaluate every county (always "
                   "done: the other steps build on it)")
    b.add_argument("--project", action="store_true", help="project pupils by year (needs --to)")
    b.add_argument("--to", type=int, metavar="YEAR", help="the last school year projected")
    b.add_argument("--optimize", nargs="+", choices=("primary", "junior"), metavar="SECTION",
                   help="optimise the catchments of these sections (primary, junior) on a copy "
                   "of each workspace; seats short where the caps cannot be met")
    b.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                   help="the optimiser's seconds per section and county (default 60)")
    b.add_argument("--roadmap", action="store_true", help="price each county's roadmap (of "
                   "the optimised catchments when --optimize is given)")
    b.add_argument("--budget", type=float, metavar="YUAN_PER_YEAR",
                   help="the roadmap's annual budget (default: everything in the first year)")
    b.add_argument("--no-reports", action="store_true", help="do not render each county's "
                   "HTML report")
    b.add_argument("--force", action="store_true", help="run every county again, even those "
                   "whose workspace and options have not changed since their stored result")
    _profile(b)
    _lang(b)

    dp = sub.add_parser("demo-province", help="write N small synthetic counties side by side, "
                        "each a workspace GeoPackage with its outline (for batch runs)")
    dp.add_argument("out", metavar="OUT_DIR")
    dp.add_argument("--counties", type=int, default=6, metavar="N",
                    help="how many counties (default 6)")
    dp.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    a = sub.add_parser("app", help="open the planner in the browser (the demo by default)")
    a.add_argument("ws", nargs="?", help="workspace .gpkg (default: the bundled demo county)")
    a.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    a.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1: this computer only); any other needs a password")
    a.add_argument("--password-file", help="file whose first line is the password asked before "
                   "any page (else the PLANNER_APP_PASSWORD environment variable)")
    _profile(a)
    return p
