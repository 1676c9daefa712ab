"""Incremental re-evaluation: the live state gives exactly what the full path gives."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import travel
from planner.errors import InputError
from planner.evaluation import evaluate
from planner.live import Live
from planner.scenario import apply_edit, plan_from_workspace
from planner.standards import NATIONAL_2017 as STD
from planner.workspace import Meta, Workspace, canonical
from tests.helpers import random_edits


@pytest.fixture(scope="module")
def demo_plan(demo):
    return plan_from_workspace(demo, distances=travel.compute_distances(demo))


def _same(live: Live, plan) -> None:
    """Assert the live state equals the plan and its full evaluation, frame by frame."""
    full = evaluate(plan.ws, STD, distances=plan.distances, zoning=plan.zoning)
    fast = live.evaluation
    pd.testing.assert_frame_equal(fast.checklist, full.checklist)
    pd.testing.assert_frame_equal(fast.profile_checks, full.profile_checks)
    assert (fast.verdict, fast.notes) == (full.verdict, full.notes)
    pd.testing.assert_frame_equal(fast.indicators, full.indicators)
    pd.testing.assert_frame_equal(fast.cvs, full.cvs)
    pd.testing.assert_frame_equal(fast.caps, full.caps)
    pd.testing.assert_frame_equal(fast.rooms, full.rooms, check_dtype=False)
    pd.testing.assert_frame_equal(fast.zoned.by_section, full.zoned.by_section)
    pd.testing.assert_frame_equal(fast.zoned.by_school, full.zoned.by_school)
    pd.testing.assert_frame_equal(fast.layout.summary, full.layout.summary)
    pd.testing.assert_frame_equal(fast.layout.beyond_radius, full.layout.beyond_radius)
    lp = live.plan
    pd.testing.assert_frame_equal(pd.DataFrame(lp.ws.schools), pd.DataFrame(plan.ws.schools))
    pd.testing.assert_frame_equal(lp.ws.enrolment, plan.ws.enrolment)
    pd.testing.assert_frame_equal(lp.zoning, plan.zoning)
    assert lp.touched == plan.touched


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_live_edits_equal_the_full_path(demo_plan, data):
    edits = data.draw(random_edits(demo_plan))
    plan, live = demo_plan, Live.from_plan(demo_plan, STD)
    first = live.evaluation.checklist.copy()
    for edit in edits:
        try:
            nxt = apply_edit(plan, edit, STD)
        except InputError as exc:
            with pytest.raises(InputError) as caught:
                live.apply(edit)
            assert str(caught.value) == str(exc)  # refused with the same message
            continue
        live, plan = live.apply(edit), nxt
        assert live.plan.ws.enrolment.groupby("grade")["students"].sum().equals(
            demo_plan.ws.enrolment.groupby("grade")["students"].sum())
    _same(live, plan)
    # the state the edits started from is unchanged
    pd.testing.assert_frame_equal(Live.from_plan(demo_plan, STD).evaluation.checklist, first)


def test_live_move_by_hand(small_layers):
    from make_battery import CRS_M

    g = {k: canonical(v, k) for k, v in small_layers.items()}
    ws = Workspace(schools=g["schools"], units=g["units"], catchments=g["catchments"],
                   enrolment=g["enrolment"], county=g["county"], meta=Meta(crs=CRS_M))
    plan = plan_from_workspace(ws, distances=travel.compute_distances(ws, use_network=False))
    live = Live.from_plan(plan, STD)
    moved = live.apply({"op": "move_unit", "unit_id": "U3", "section": "primary",
                        "to_school": "S2"})
    # the hand-checked move of tests/test_scenario.py: S1 417 → 240, S2 123 → 300 pupils,
    # 6 and 12 classes, primary zoned 537 → 540 of 540
    s = moved.plan.ws.schools.set_index("school_id")
    assert s.loc[["S1", "S2"], "students_primary"].tolist() == [240, 300]
    assert s.loc[["S1", "S2"], "classes_primary"].tolist() == [6, 12]
    g13 = moved.evaluation.checklist.set_index("id").at["G13", "value"]
    assert g13["primary"] == 1.0
    assert live.evaluation.checklist.set_index("id").at["G13", "value"]["primary"] == (
        pytest.approx(537 / 540))
    assert live.plan.ws.schools.set_index("school_id").at["S1", "students_primary"] == 417
    with pytest.raises(InputError, match="edit, column `to_school`: school S3 has no primary"):
        live.apply({"op": "move_unit", "unit_id": "U1", "section": "primary",
                    "to_school": "S3"})
    _same(moved, apply_edit(plan, {"op": "move_unit", "unit_id": "U3", "section": "primary",
                                   "to_school": "S2"}, STD))
