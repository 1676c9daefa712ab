"""One scenario edit and the re-evaluation after it, against a full re-evaluation.

On the demo county and at --scale 5: 15 random `move_unit` edits (seeded). For each, prints
the median time of

- incremental: apply the edit to the live state (planner/live.py: only the enrolment rows
  that move and the two schools they touch are recounted; no frame, overlay or polygon) and
  build the re-evaluated checklist, and
- full: rebuild the catchment polygons from the units and evaluate the workspace from them
  (polygon overlay, tiling), with the same distances (what `planner evaluate --scenario`
  does with its cached distances),

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
from planner.layout import section_schools  # noqa: E402
from planner.live import Live  # noqa: E402
from planner.scenario import materialise, plan_from_workspace  # noqa: E402
from planner.standards import NATIONAL_2017 as STD  # noqa: E402


def run(scale: int, n: int = 15) -> None:
    ws = make_demo(seed=7, scale=scale)
    plan = plan_from_workspace(ws, distances=travel.compute_distances(ws))
    rng = np.random.default_rng(3)
    units = plan.zoning.index.to_numpy()
    prim = ws.schools["school_id"].to_numpy()[section_schools(ws.schools, "primary")]
    live = Live.from_plan(plan, STD)
    evaluate(plan.ws, STD, distances=plan.distances, zoning=plan.zoning)  # warm caches
    inc, full = [], []
    for _ in range(n):
        edit = {"op": "move_unit", "unit_id": str(rng.choice(units)), "section": "primary",
                "to_school": str(rng.choice(prim))}
        t0 = time.perf_counter()
        live = live.apply(edit)
        fast = live.evaluation.checklist
        inc.append(time.perf_counter() - t0)
        plan = live.plan  # the plan as frames, for the full path (not timed)
        t0 = time.perf_counter()
        slow = evaluate(materialise(plan), STD, distances=plan.distances)
        full.append(time.perf_counter() - t0)
        assert fast.equals(slow.checklist), "results differ"
    a, b = statistics.median(inc) * 1000, statistics.median(full) * 1000
    print(f"scale {scale}: {len(units)} units, {len(ws.schools)} schools: one edit + "
          f"re-evaluation {a:.0f} ms (median of {n}), full re-evaluation {b:.0f} ms, "
          f"ratio {b / a:.1f}×")


if __name__ == "__main__":
    run(1)
    run(5)
