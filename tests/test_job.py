"""A solve in a process of its own (planner/optimize/job.py) and its cancel signal."""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_optimize import random_instance  # noqa: E402

from planner import optimize as op  # noqa: E402
from planner import session as ss  # noqa: E402
from planner.optimize.job import SolveJob, progress_text  # noqa: E402
from planner.optimize.model import StoppedError, set_stop  # noqa: E402


def test_a_stopped_solve_returns_the_best_plan_at_hand_or_says_it_has_none():
    inst = random_instance(4)  # today's zoning keeps every constraint
    start = inst.zoned.copy()
    assert op.violations(inst, start) == []
    set_stop(lambda: True)
    try:
        t0 = time.perf_counter()
        res = op.solve_or_none(inst, time_limit_s=60, start=start)
        assert res.status == "feasible" and res.assign.tolist() == start.tolist()
        assert time.perf_counter() - t0 < 10
        with pytest.raises(StoppedError, match="stopped before it found a plan"):
            op.solve_or_none(replace(inst, ind=None), time_limit_s=60)
    finally:
        set_stop(None)
    assert op.solve_or_none(inst, time_limit_s=20).status == "optimal"  # the signal is gone


def test_a_solve_in_its_own_process_reports_returns_and_saves(demo_gpkg, tmp_path):
    import shutil

    ws = tmp_path / "d.gpkg"
    shutil.copy(demo_gpkg, ws)
    s = ss.open_session(ws)
    options = op.Options(section="primary", time_limit_s=30)
    job = SolveJob.start(ss.optimisation_plans(s, "baseline", options), options)
    assert job.pid != os.getpid()
    while not job.poll(wait_s=1.0):
        pass
    kind, result = job.outcome
    assert kind == "result" and job.progress
    assert "与下界相差" in progress_text(job) and "from the bound" in progress_text(job, "en")
    s, proposed = ss.optimise(s, options, "j", base="baseline", result=result)  # checked, saved
    assert list(ss.store.read(ws)["j"].edits) == result.edits() != []
    assert np.array_equal(proposed.result.assign, result.assign)


def test_a_killed_solve_ends_that_solve_alone(demo_gpkg):
    s = ss.open_session(demo_gpkg)
    options = op.Options(section="primary", time_limit_s=300)
    job = SolveJob.start(ss.optimisation_plans(s, "baseline", options), options)
    time.sleep(2)
    os.kill(job.pid, signal.SIGKILL)
    assert job.poll(wait_s=30) and job.outcome == ("died", -signal.SIGKILL)
    assert ss.open_session(demo_gpkg).scenarios == {}  # nothing saved, nothing broken
