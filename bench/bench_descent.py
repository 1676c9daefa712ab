"""The descent's ranking of moves on the demo county: by the CV sums against the formula.

The exact descent (planner/optimize/descent.py) weighs every one- and two-unit move of a
zoning by the CVs it gives. For the demo's primary section at today's zoning, this times the
CVs of all those moves computed two ways in the same run: the formula over every school of
each moved zoning (`Indicators.year_cvs`, 4 000 zonings at a time: the baseline) and the
three sums changed by the affected schools' parts (`descent.move_cvs`); prints the moves,
both times, the ratio and the largest difference between the two.

    python bench/bench_descent.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner import optimize as op  # noqa: E402
from planner import session as ss  # noqa: E402
from planner.demo import make_demo  # noqa: E402
from planner.io.gpkg import write_workspace  # noqa: E402
from planner.optimize.descent import _affected, _moved, _pairs, _singles, move_cvs  # noqa: E402

FORMULA_CHUNK = 4000  # zonings per call of the formula (as the descent did before the sums)


def run() -> None:
    path = Path(tempfile.mkdtemp(prefix="bench-descent-")) / "demo.gpkg"
    write_workspace(make_demo(seed=7), path)
    session = ss.open_session(path)
    options = op.Options(section="primary")
    inst = op.build_instance(ss.optimisation_plans(session, "baseline", options), options)
    cur = np.array([z if z >= 0 else c[0] for z, c in zip(inst.zoned, inst.candidates,
                                                           strict=True)])
    pupils = inst.loads(cur).sum(axis=2)
    demand = inst.demand.sum(axis=2)
    t = inst.last()
    for name, moves in (("one-unit", _singles), ("two-unit", _pairs)):
        units, schools = moves(inst, cur)
        new = _moved(inst, cur, pupils, demand, units, schools)
        rows = _affected(cur, units, schools)
        t0 = time.perf_counter()
        formula = []
        for i in range(0, len(rows), FORMULA_CHUNK):
            p = np.repeat(pupils[None, :, t], len(rows[i:i + FORMULA_CHUNK]), axis=0)
            for j in range(rows.shape[1]):
                p[np.arange(len(p)), rows[i:i + FORMULA_CHUNK, j]] = new[i:i + FORMULA_CHUNK,
                                                                          j, t]
            formula.append(inst.ind.year_cvs(p, t))
        slow = time.perf_counter() - t0
        t0 = time.perf_counter()
        sums = move_cvs(inst, pupils, rows, new)
        fast = time.perf_counter() - t0
        diff = float(np.nanmax(np.abs(np.concatenate(formula) - sums)))
        print(f"{name} moves: {len(rows):,}; the formula {slow:.2f} s, the sums {fast:.3f} s: "
              f"{slow / fast:.0f}× faster; largest difference {diff:.1e}")


if __name__ == "__main__":
    from measured import measured  # bench/measured.py: the docs include the output

    with measured(__file__):
        run()
