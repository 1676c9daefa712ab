"""Catchment optimisation on the demo county against the greedy baseline, per section.

For each section: the CP-SAT solve (60 s limit, 2 workers), its status, objective, LP bound
and gap, and the pupils' total road travel beside the greedy baseline's (each unit to the
nearest school with room, ignoring contiguity and changes) and today's, as ratios; then the
optimiser once more with no weight on pupils changing school (travel alone, contiguous).

    python bench/bench_optimize.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner import optimize as op  # noqa: E402
from planner import travel  # noqa: E402
from planner.demo import make_demo  # noqa: E402
from planner.plan import apply_edits, plan_from_workspace  # noqa: E402
from planner.standards import NATIONAL_2017 as STD  # noqa: E402


def run() -> None:
    ws = make_demo(seed=7)
    plan = plan_from_workspace(ws, STD, distances=travel.compute_distances(ws))
    for section in ("primary", "junior"):
        t0 = time.perf_counter()
        res = op.optimise(plan, op.Options(section=section, time_limit_s=60))
        wall = time.perf_counter() - t0
        inst = res.instance
        problems = op.check_plan(plan, apply_edits(plan, res.edits()), section)
        t1 = time.perf_counter()
        g = op.greedy(inst)
        g_wall = time.perf_counter() - t1
        opt_km = inst.travel(res.assign) / 1000
        print(f"{section}: {len(inst.unit_ids)} units, {len(inst.school_ids)} schools, "
              f"{int(inst.demand.sum()):,} pupils; solved {res.status} in {res.seconds:.1f} s "
              f"({wall:.1f} s with set-up and checks); LP gap {res.lp_gap:.2%}, proven gap "
              f"{res.gap:.2%}; caps, contiguity, pupils: "
              f"{'all hold' if not problems else '; '.join(problems)}")
        for line in op.report_lines(res)[2:4]:
            print(line)
        travel_only = op.optimise(plan, op.Options(section=section, time_limit_s=60,
                                                   change_weight_m=0.0))
        t_km = inst.travel(travel_only.assign) / 1000
        if g is not None:
            g_km = inst.travel(g) / 1000
            broken = sum(1 for v in inst.violations(g) if "contiguous" in v)
            print(f"  greedy baseline: {g_km:,.0f} pupil-km in {g_wall * 1000:.0f} ms, {broken} "
                  "catchment(s) not contiguous")
            print(f"  travel, optimiser / greedy = {opt_km / g_km:.3f}; with no weight on "
                  f"changes {t_km:,.0f} pupil-km ({travel_only.status}, "
                  f"{travel_only.seconds:.1f} s): {t_km / g_km:.3f}")


if __name__ == "__main__":
    run()
