"""Comparing two plans (planner/diff.py) on the four-school county, worked by hand."""

from __future__ import annotations

from planner.diff import diff, pupils_changing_school, summary_lines
from planner.evaluation import evaluate
from planner.plan import apply_edits

# U3 (primary at S1) to S2 and U2 (primary at S2) to S1: the two schools trade units
SWAP = [{"op": "move_unit", "unit_id": "U3", "section": "primary", "to_school": "S2"},
        {"op": "move_unit", "unit_id": "U2", "section": "primary", "to_school": "S1"},
        {"op": "move_unit", "unit_id": "U1", "section": "junior", "to_school": "S4"}]


def test_pupils_changing_school_count_each_pupil_moved(small_plan):
    after = apply_edits(small_plan, SWAP)
    d = diff(evaluate(small_plan), evaluate(after), small_plan, after)
    # U3's primary pupils at S1: 30, 31 − 3, 29, 30, 28, 32 = 177 go to S2 (its family of 3
    # already at S2 stays); U2's 20, 22, 21, 19, 20, 18 = 120 go to S1; U1's junior pupils
    # 35 + 36 + 34 = 105 go from S3 to S4. Pupils at a different school: 177 + 120 + 105 = 402.
    assert d.pupils_changing_school == pupils_changing_school(small_plan, after) == 402
    # per school: S1 417 − 177 + 120 = 360 (−57), S2 123 − 120 + 177 = 180 (+57),
    # S3 (junior 105 + 51 + 81 = 237) − 105 = 132, S4 (junior 30) + 105 = 135 (+105)
    moved = d.moved.set_index("school_id")["delta"].to_dict()
    assert moved == {"S1": -57, "S2": 57, "S3": -105, "S4": 105}
    # the net gain of the gaining schools, 57 + 105 = 162, is not the 402 who move
    assert d.net_gain == 162
    assert ("pupils changing school: 402; net gain of the schools gaining pupils: 162; "
            "units re-zoned: 3") in summary_lines(d)


def test_no_edit_no_pupil_changes_school(small_plan):
    assert pupils_changing_school(small_plan, small_plan) == 0
