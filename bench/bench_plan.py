"""The plan of record on the demo county against the roadmap priced on today's pupils.

One run: the roadmap of today's schools and pupils (`planner roadmap`, everything in the
first year, its hires paid every year to the end of the projection) and the plan of record
for the same target year (`planner plan`), each timed. Prints teacher-years (new posts × the
years they are paid), m² built, yuan from the first year to the end, both for R1–R7 alone
(what the roadmap covers) and for everything the plan does, and the ratios.

    python bench/bench_plan.py [--target-year 2032]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner import session as ss  # noqa: E402
from planner.demo import make_demo  # noqa: E402
from planner.io.gpkg import write_workspace  # noqa: E402

RESOURCE_ROWS = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")


def _roadmap_figures(road, years: int) -> dict[str, float]:
    a = road.actions
    hires = float(a.loc[a["action"] == "hire", "quantity"].sum())
    return {"teacher_years": hires * years,
            "m2": float(a.loc[a["unit"] == "m2", "quantity"].sum()),
            "yuan": float(a["one_off_yuan"].sum() + a["yearly_yuan"].sum() * years)}


def _plan_figures(rec, rows=None) -> dict[str, float]:
    a = rec.actions if rows is None else rec.actions[rec.actions["row"].isin(rows)]
    paid = 0.0
    yuan = float(a["one_off_yuan"].sum())
    for r in a.to_dict("records"):
        last = rec.end_year if r["until"] != r["until"] or r["until"] is None else r["until"]
        span = int(last) - int(r["year"]) + 1
        yuan += r["yearly_yuan"] * span
        if r["action"] == "hire":
            paid += r["quantity"] * span
    m2 = float(a.loc[a["unit"] == "m2", "quantity"].sum())
    return {"teacher_years": paid, "m2": m2, "yuan": yuan}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}×" if b else ("1.000×" if a == b else "—")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target-year", type=int, default=2032)
    args = ap.parse_args()
    path = Path(tempfile.mkdtemp(prefix="bench-plan-")) / "demo.gpkg"
    write_workspace(make_demo(seed=7), path)
    session = ss.open_session(path)
    t0 = time.perf_counter()
    road = ss.roadmap(session)
    t_road = time.perf_counter() - t0
    t0 = time.perf_counter()
    rec = ss.plan_of_record(session, args.target_year, name="bench")
    t_plan = time.perf_counter() - t0
    years = rec.end_year - rec.first_year + 1
    base = _roadmap_figures(road, years)
    mine = _plan_figures(rec, RESOURCE_ROWS)
    whole = _plan_figures(rec)
    print(f"bench_plan {date.today()} on {platform.machine()} ({platform.python_version()}), "
          f"demo county, target {args.target_year}, years {rec.first_year}–{rec.end_year}")
    print(f"roadmap on today's pupils: {t_road:.1f} s; plan of record: {t_plan:.1f} s "
          f"({'every computable row passes' if rec.ok else 'BLOCKED'} from "
          f"{args.target_year}); time ratio {_ratio(t_plan, t_road)}")
    print("R1–R7 (what the roadmap covers):   roadmap   →   plan   (ratio)")
    for k, label in (("teacher_years", "teacher-years"), ("m2", "m² built"), ("yuan", "yuan")):
        print(f"  {label:<14} {base[k]:>14,.0f} → {mine[k]:>14,.0f}  ({_ratio(mine[k], base[k])})")
    t = rec.teachers
    print(f"  teachers: roadmap hires {base['teacher_years'] / years:,.0f}; the plan designates "
          f"{t['designated'].sum():,.0f} backbone, redeploys {t['redeployed'].sum():,.0f}, "
          f"exchanges {t['exchanged'].sum():,.0f} teacher-years, hires {t['hired'].sum():,.0f}")
    print(f"everything the plan does (also G3, G4, G11, G12, G13): {whole['yuan']:,.0f} yuan, "
          f"{whole['m2']:,.0f} m², {len(rec.actions)} actions, {len(rec.edits)} edits")
    return 0 if rec.ok else 1


if __name__ == "__main__":
    from measured import measured  # bench/measured.py: the docs include the output

    with measured(__file__):
        code = main()
    raise SystemExit(code)
