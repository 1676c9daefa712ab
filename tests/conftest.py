"""Shared fixtures: the small literal county of tests/data and the demo county."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: on a loaded 2-core machine a slow example is not a failure. CI runs
# derandomised (HYPOTHESIS_PROFILE=ci, set by .ci/run) so that a red run can be replayed.
settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(DATA))

from make_battery import small_county  # noqa: E402

from planner.demo import make_demo  # noqa: E402
from planner.io.gpkg import write_workspace  # noqa: E402


@pytest.fixture(scope="session")
def small_layers():
    """The four-school county as canonical frames (see tests/data/make_battery.py)."""
    return small_county()


@pytest.fixture()
def small_plan(small_layers):
    """The four-school county as a plan (straight-line distances)."""
    from make_battery import CRS_M

    from planner import travel
    from planner.plan import plan_from_workspace
    from planner.standards import NATIONAL_2017
    from planner.workspace import Meta, Workspace, canonical

    g = {k: canonical(v, k) for k, v in small_layers.items()}
    ws = Workspace(schools=g["schools"], units=g["units"], catchments=g["catchments"],
                   enrolment=g["enrolment"], county=g["county"], meta=Meta(crs=CRS_M))
    return plan_from_workspace(ws, NATIONAL_2017,
                               distances=travel.compute_distances(ws, use_network=False))


@pytest.fixture(scope="session")
def demo():
    """The demo county, made once per test session."""
    return make_demo(seed=7)


@pytest.fixture(scope="session")
def demo_gpkg(demo, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    write_workspace(demo, path)
    return path

