"""One scenario edit and the re-evaluation after it, against a full re-evaluation.

On the demo county and at --scale 5: 15 random `move_unit` edits (seeded). For each, prints
the median time of

- edit: apply the edit to the plan (planner/plan/edits.py: the rows that move change school,
  the schools they touch are re-planned; no frame, overlay or polygon) and evaluate it
  (planner/evaluation.py: the checklist from arrays), and
- full: rebuild the catchment polygons from the units and evaluate the workspace from them
  (polygon overlay, tiling, the plan built anew), with the same distances — what opening a
  workspace written with the edit would cost,

and their ratio. Both give the same checklist (checked, every column).

    python bench/bench_scenario.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner import travel  # noqa: E402
from planner.demo import make_demo  # noqa: E402
from planner.evaluation import evaluate  # noqa: E402
from planner.plan import apply_edit, materialise, plan_from_workspace  # noqa: E402
from planner.standards import NATIONAL_2017 as STD  # noqa: E402


def run(scale: int, n: int = 15) -> None:
    ws = make_demo(seed=7, scale=scale)
    plan = plan_from_workspace(ws, STD, distances=travel.compute_distances(ws))
    rng = np.random.default_rng(3)
    units = plan.units.ids
    prim = plan.school_ids[plan.teaches("primary")]
    evaluate(plan)  # warm caches
    inc, full = [], []
    for _ in range(n):
        edit = {"op": "move_unit", "unit_id": str(rng.choice(units)), "section": "primary",
                "to_school": str(rng.choice(prim))}
        t0 = time.perf_counter()
        plan = apply_edit(plan, edit)
        fast = evaluate(plan).checklist
        inc.append(time.perf_counter() - t0)
        ws_now = materialise(plan)  # the plan as a workspace, for the full path (not timed)
        t0 = time.perf_counter()
        slow = evaluate(ws_now, STD, distances=plan.distances)
        full.append(time.perf_counter() - t0)
        assert fast.equals(slow.checklist), "results differ"
    a, b = statistics.median(inc) * 1000, statistics.median(full) * 1000
    print(f"scale {scale}: {len(units)} units, {len(ws.schools)} schools: one edit + "
          f"re-evaluation {a:.0f} ms (median of {n}), full re-evaluation {b:.0f} ms, "
          f"ratio {b / a:.1f}×")


if __name__ == "__main__":
    run(1)
    run(5)
