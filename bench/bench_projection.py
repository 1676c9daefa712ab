"""Years: the projection and the evaluation of every year 2026–2035, against full evaluations.

On the bundled demo county (geodata/demo_county.gpkg, school year 2026). Prints the median of
5 runs (and the first, which also makes each plan's pupils per child) of

- years: project the children to 2035 (planner/projection.py) and evaluate every year from
  2026 to 2035 — each year's plan made from the projection (pupils follow their cohort,
  every school re-planned) and evaluated by the one engine (planner/evaluation.py);
- full: ten full evaluations in the same run — each of those years' plans written out as a
  workspace (enrolment and children replaced by the year's, not timed) and evaluated from it
  (polygon overlay, the plan built anew, the same distances): the other road to the same
  numbers, checked equal (every checklist row),

their ratio, and the years table of `planner project --to 2035` (the low and high births
variants, classes, places and crossings; what the app's year views are made from).

    python bench/bench_projection.py
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner import session as ss  # noqa: E402
from planner.cli.commands import backtest_lines, years_lines  # noqa: E402
from planner.evaluation import evaluate  # noqa: E402
from planner.plan import materialise, plan_from_workspace  # noqa: E402
from planner.projection import plan_at, project  # noqa: E402

DEMO = ROOT / "geodata" / "demo_county.gpkg"
YEARS = range(2026, 2036)
RUNS = 5


def years_run(plan) -> tuple[float, list]:
    """Project to the last year and evaluate every year; return seconds and the evaluations."""
    base = replace(plan, static={})  # nothing made by an earlier run
    t0 = time.perf_counter()
    proj = project(base, YEARS[-1])
    evs = [evaluate(plan_at(base, proj, y)) for y in YEARS]
    return time.perf_counter() - t0, evs


def full_run(plan, workspaces) -> tuple[float, list]:
    """Evaluate each year's workspace from scratch; return seconds and the evaluations."""
    t0 = time.perf_counter()
    evs = [evaluate(plan_from_workspace(ws, plan.standards, distances=plan.distances))
           for ws in workspaces]
    return time.perf_counter() - t0, evs


def main() -> None:
    session = ss.open_session(DEMO)
    plan = session.base.plan
    evaluate(plan)  # warm imports and caches of the baseline
    proj = project(plan, YEARS[-1])
    catchments = session.ws.catchments
    workspaces = [materialise(plan_at(plan, proj, y)).replace(catchments=catchments)
                  for y in YEARS]
    fast, full = [], []
    for _ in range(RUNS):
        a, evs = years_run(plan)
        b, others = full_run(plan, workspaces)
        fast.append(a)
        full.append(b)
        for y, e1, e2 in zip(YEARS, evs, others, strict=True):
            assert e1.checklist.equals(e2.checklist), f"{y}: the two roads differ"
    t0 = time.perf_counter()
    years = ss.project(session, to_year=YEARS[-1])
    table = time.perf_counter() - t0
    a, b = statistics.median(fast), statistics.median(full)
    print(f"demo county: {len(plan.units)} units, {len(plan.school_ids)} schools, "
          f"{YEARS[0]}–{YEARS[-1]}")
    print(f"  projection + evaluation of {len(YEARS)} years: {a:.3f} s (median of {RUNS}; "
          f"first {fast[0]:.3f} s)")
    print(f"  ten full evaluations of the same years: {b:.3f} s "
          f"({b / len(YEARS) * 1000:.0f} ms each)")
    print(f"  ratio: the years take {a / b:.3f}× the ten full evaluations "
          f"({b / a:.1f}× faster); target ≤ 1 s: {'met' if a <= 1.0 else 'NOT met'}")
    print(f"  years table with low/high variants and crossings (planner project): "
          f"{table:.3f} s, {len(years.schools)} rows, {len(years.crossings)} crossings")
    print("the projection the method pages describe (planner project --to 2035 --backtest):")
    for line in years_lines(years)[:3] + backtest_lines(years.backtest, full=False):
        print(f"  {line}")


if __name__ == "__main__":
    from measured import measured  # bench/measured.py: the docs include the output

    with measured(__file__):
        main()
