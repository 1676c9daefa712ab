"""One scenario edit and the re-evaluation after it, and a full evaluation, against a baseline.

On the demo county and at --scale 5: 15 random `move_unit` edits (seeded). For each, times

- edit: apply the edit to the plan (planner/plan/edits.py: the rows that move change school,
  the schools they touch are re-planned; no frame, overlay or polygon) and evaluate it
  (planner/evaluation.py: the checklist from arrays) — what the app does on a click;
- full: evaluate the edited plan's workspace from scratch (its catchment polygons overlaid
  with the units, tiling, the plan built anew; the same distances) — what opening a workspace
  written with the edit costs, `planner evaluate` after reading the file;
- baseline, in the same run: a bare `geopandas.overlay` of the same units with the same
  catchments, the one geometric step a full evaluation cannot skip.

Prints the medians, the edit against its target (≤ 10 ms on the demo county) and both as
ratios to the baseline. The two paths give the same checklist (checked, every column).

    python bench/bench_scenario.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner import travel  # noqa: E402
from planner.demo import make_demo  # noqa: E402
from planner.evaluation import evaluate  # noqa: E402
from planner.plan import apply_edit, materialise, plan_from_workspace  # noqa: E402
from planner.standards import NATIONAL_2017 as STD  # noqa: E402

TARGET_MS = 10.0  # issue 12: one edit + re-evaluation on the demo county


def _overlay(ws) -> float:
    """Seconds of a bare overlay of the workspace's units with its catchments (projected)."""
    units = ws.units[["unit_id", "geometry"]].to_crs(ws.meta.crs)
    catch = ws.catchments[["school_id", "section", "geometry"]].to_crs(ws.meta.crs)
    t0 = time.perf_counter()
    gpd.overlay(units, catch, how="intersection", keep_geom_type=True)
    return time.perf_counter() - t0


def run(scale: int, n: int = 15) -> None:
    ws = make_demo(seed=7, scale=scale)
    plan = plan_from_workspace(ws, STD, distances=travel.compute_distances(ws))
    rng = np.random.default_rng(3)
    units = plan.units.ids
    prim = plan.school_ids[plan.teaches("primary")]
    evaluate(plan)  # warm caches
    edit_s, full_s, base_s = [], [], []
    for _ in range(n):
        edit = {"op": "move_unit", "unit_id": str(rng.choice(units)), "section": "primary",
                "to_school": str(rng.choice(prim))}
        t0 = time.perf_counter()
        plan = apply_edit(plan, edit)
        fast = evaluate(plan).checklist
        edit_s.append(time.perf_counter() - t0)
        ws_now = materialise(plan)  # the plan as a workspace, for the full path (not timed)
        t0 = time.perf_counter()
        slow = evaluate(ws_now, STD, distances=plan.distances)
        full_s.append(time.perf_counter() - t0)
        base_s.append(_overlay(ws_now))
        assert fast.equals(slow.checklist), "results differ"
    a, b, base = (statistics.median(x) * 1000 for x in (edit_s, full_s, base_s))
    target = (f"  (target ≤ {TARGET_MS:.0f} ms: {'met' if a <= TARGET_MS else 'NOT met'})"
              if scale == 1 else "")
    print(f"scale {scale}: {len(units)} units, {len(ws.schools)} schools; medians of {n} "
          f"move_unit edits")
    print(f"  baseline, a bare geopandas overlay of units and catchments  {base:8.1f} ms")
    print(f"  one edit + re-evaluation                                    {a:8.1f} ms  "
          f"{a / base:6.3f}× the baseline{target}")
    print(f"  full evaluation of the edited workspace                     {b:8.1f} ms  "
          f"{b / base:6.3f}× the baseline  ({b / a:.0f}× the edit)")


if __name__ == "__main__":
    from measured import measured  # bench/measured.py: the docs include the output

    with measured(__file__):
        run(1)
        run(5)
