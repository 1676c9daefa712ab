"""The rules of admission (planner/admission.py) on the four-school county, by hand.

Units U1 (urban, 0,0), U2 (town, 1,0), U3 (urban, 0,1), U4 (rural, 1,1) are 1 km squares;
schools stand 100 m east of the centres of U1 (S1 primary), U2 (S2 primary), U3 (S3 junior)
and U4 (S4 nine-year). Straight-line distances × 1.3 (no road network):

          S1     S2     S3     S4
    U1   130  1,430  1,306  1,933
    U2 1,170    130  1,749  1,306
    U3 1,306  1,933    130  1,430
    U4 1,749  1,306  1,170    130

Today: primary U1, U3 → S1, U2 → S2, U4 → S4; junior U1, U2, U3 → S3, U4 → S4. Service
radii (national): primary 500 / 1,000 / 2,500 m (urban / town / rural), junior 1,000 /
2,000 / 5,000 m; a unit may go to the larger of its radius and today's distance × 1.5.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data"))
from make_battery import CRS_M, small_county  # noqa: E402

from planner import admission, travel  # noqa: E402
from planner.plan import apply_edits, plan_from_workspace  # noqa: E402
from planner.standards import NATIONAL_2017  # noqa: E402
from planner.workspace import Meta, Workspace, canonical  # noqa: E402


def _plan(std=NATIONAL_2017, *, private=(), towns=None):
    layers = small_county()
    if private:
        layers["schools"]["public"] = ~layers["schools"]["school_id"].isin(private)
    if towns:
        layers["units"]["township"] = layers["units"]["unit_id"].map(towns)
    g = {k: canonical(v, k) for k, v in layers.items()}
    ws = Workspace(schools=g["schools"], units=g["units"], catchments=g["catchments"],
                   enrolment=g["enrolment"], county=g["county"], meta=Meta(crs=CRS_M))
    return plan_from_workspace(ws, std, distances=travel.compute_distances(ws,
                                                                           use_network=False))


TOWNS = {"U1": "城关镇", "U3": "城关镇", "U2": "李庄乡", "U4": "李庄乡"}


def test_the_distance_cap_and_the_nine_year_pathway_by_hand():
    p = _plan()
    assert np.round(p.distances.matrix).tolist() == [
        [130, 1430, 1306, 1933], [1170, 130, 1749, 1306], [1306, 1933, 130, 1430],
        [1749, 1306, 1170, 130]]
    # primary. U1: cap max(500, 195) = 500, S1 only. U2: cap 1,000, S1 at 1,170 too far.
    # U3: cap max(500, 1,306 × 1.5 = 1,959): S2 at 1,933 in; S4 at 1,430 is a nine-year
    # school and U3's junior school is S3: not joined for primary. U4: cap 2,500, any.
    assert admission.allowed(p, "primary").astype(int).tolist() == [
        [1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 1]]
    # junior. U1: cap max(1,000, 1,959): S4 at 1,933 in. U2: cap max(2,000, 2,624): S4 in.
    # U3: cap 1,000: S4 at 1,430 out. U4: primary and junior at nine-year S4: kept there.
    assert admission.allowed(p, "junior").astype(int).tolist() == [
        [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 0], [0, 0, 0, 1]]
    # the setting widens it: U1 may go to S2 (1,430 ≤ 130 × 12)
    wide = _plan(replace(NATIONAL_2017, zoning_max_increase=11.0))
    assert admission.allowed(wide, "primary")[0].astype(int).tolist() == [1, 1, 0, 0]


def test_a_private_school_receives_no_catchment_and_its_pupils_stay():
    p = _plan(private=("S2",))
    # S2 allowed to no one, U2 included; U2 must leave it, so no distance cap holds it: S1
    # (1,170 m, beyond the town radius) is in
    assert admission.allowed(p, "primary").astype(int).tolist() == [
        [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 1]]
    at_s2 = p.rows.n[p.rows.es == 1].sum()
    assert at_s2 == 20 + 22 + 21 + 19 + 20 + 18 + 3  # U2's primary pupils and U3's family
    moved = apply_edits(p, [{"op": "move_unit", "unit_id": "U2", "section": "primary",
                             "to_school": "S1"},
                            {"op": "enforce_zoning", "school_id": None, "section": "primary"}])
    # the catchment goes, its pupils chose the school (公民同招): all 123 stay
    assert moved.zone[0].tolist() == [0, 0, 0, 3]
    assert moved.rows.n[moved.rows.es == 1].sum() == at_s2
    assert admission.breaches(p, moved, "primary") == []
    back = apply_edits(moved, [{"op": "move_unit", "unit_id": "U2", "section": "primary",
                                "to_school": "S2"}])
    assert admission.breaches(moved, back, "primary") == ["U2: S2 is not a public school"]


def test_township_lines_and_what_a_plan_breaks():
    p = _plan(towns=TOWNS)
    # S1, S3 stand in 城关镇, S2, S4 in 李庄乡: U3 loses S2, U4 loses S1, U1 loses S4
    assert admission.allowed(p, "primary").astype(int).tolist() == [
        [1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 1, 0, 1]]
    assert admission.allowed(p, "junior").astype(int).tolist() == [
        [0, 0, 1, 0], [0, 0, 1, 1], [0, 0, 1, 0], [0, 0, 0, 1]]
    crossing = _plan(replace(NATIONAL_2017, township_crossing=True), towns=TOWNS)
    assert admission.allowed(crossing, "primary")[2].astype(int).tolist() == [1, 1, 0, 0]

    def move(unit, school):
        return apply_edits(p, [{"op": "move_unit", "unit_id": unit, "section": "primary",
                                "to_school": school}])

    assert admission.breaches(p, move("U3", "S2"), "primary") == [
        "U3: S2 stands in 李庄乡, not the unit's 城关镇"]
    assert admission.breaches(p, move("U1", "S2"), "primary") == [
        "U1: S2 at 1,430 m, over its cap of 500 m",
        "U1: S2 stands in 李庄乡, not the unit's 城关镇"]
    assert admission.breaches(p, move("U3", "S4"), "primary") == [
        "U3: S4 stands in 李庄乡, not the unit's 城关镇",
        "U3: primary at nine-year S4 but junior at S3"]
    # a consolidation's moves keep only the public and pathway rules
    assert admission.breaches(p, move("U1", "S2"), "primary", moves=False) == []
    assert admission.broken_pathways(p) == []
    assert admission.broken_pathways(move("U3", "S4")) == ["U3"]


@pytest.mark.parametrize("section", ["primary", "junior"])
def test_today_is_always_allowed_but_a_private_school(section):
    p = _plan(private=("S2",), towns=TOWNS)
    ok = admission.allowed(p, section)
    k = 0 if section == "primary" else 1
    for u, s in enumerate(p.zone[k]):
        assert ok[u, s] == bool(p.schools["public"][s])


def test_a_unit_a_private_catchment_holds_is_free_of_the_cap_and_the_township_line():
    # U2 (李庄乡) in private S2's catchment: S1 stands in 城关镇, 1,170 m away (over the town
    # radius of 1,000 m and today's 130 m × 1.5): allowed all the same, as it must move
    p = _plan(private=("S2",), towns=TOWNS)
    assert admission.displaced(p, 0).tolist() == [False, True, False, False]
    assert admission.allowed(p, "primary")[1].astype(int).tolist() == [1, 0, 0, 0]
    moved = apply_edits(p, [{"op": "move_unit", "unit_id": "U2", "section": "primary",
                             "to_school": "S1"}])
    assert admission.breaches(p, moved, "primary") == []


def _unit_at(plan, unit: str, school: str) -> list[int]:
    """Pupils of a unit at a school, by grade 1–6."""
    r, u, s = plan.rows, plan.units.index[unit], plan.school_index[school]
    at = (r.eu == u) & (r.es == s)
    return np.bincount(r.grade[at], weights=r.n[at], minlength=7)[1:7].astype(int).tolist()


def test_entrants_with_an_older_sibling_stay_at_the_old_school_by_hand():
    # U2's primary pupils, all at S2 where they are zoned: 20, 22, 21, 19, 20, 18 by grade.
    # Re-zoned to S1 for the entrants of 2026 and read in 2028, grades 1–3 entered since
    # (2028, 2027, 2026: 0, 1 and 2 years after the change), each while an older cohort of
    # the old zoning is still at S2; a quarter of each, half up, has a sibling there and
    # stays: grade 1 20 → 5, grade 2 22 → 5.5 → 6, grade 3 21 → 5.25 → 5.
    std = replace(NATIONAL_2017, sibling_share=0.25)
    plan = replace(_plan(std), year=2028)
    move = {"op": "move_unit", "unit_id": "U2", "section": "primary", "to_school": "S1",
            "year": 2026}
    assert _unit_at(plan, "U2", "S2") == [20, 22, 21, 19, 20, 18]
    after = apply_edits(plan, [move])
    assert _unit_at(after, "U2", "S1") == [15, 16, 16, 0, 0, 0]
    assert _unit_at(after, "U2", "S2") == [5, 6, 5, 19, 20, 18]
    assert after.pupils_by_grade.sum(axis=0).tolist() == plan.pupils_by_grade.sum(axis=0).tolist()
    # the siblings are zoned where they stay: not out of zone, nor sent back by enforce_zoning
    from planner.zoning import zoned_rows

    r = after.rows
    u2 = r.eu == after.units.index["U2"]
    assert zoned_rows(after)[u2].all()
    assert after.zone[0][after.units.index["U2"]] == after.school_index["S1"]
    enforced = apply_edits(after, [{"op": "enforce_zoning", "school_id": None, "section": None}])
    assert _unit_at(enforced, "U2", "S2") == [5, 6, 5, 19, 20, 18]
    # a school that stops admitting or caps its entrants keeps no sibling; nor a profile off
    for p, m in ((plan, {**move, "siblings": False}),
                 (replace(plan, standards=replace(std, siblings_stay=False)), move)):
        assert _unit_at(apply_edits(p, [m]), "U2", "S1") == [20, 22, 21, 0, 0, 0]
    # in 2031 the entrants come five years after the change: the last cohort of the old
    # zoning has left S2 (grade 6 in 2030), so they all go; the first re-zoned cohort, in
    # grade 6 now, keeps its 18 → 4.5 → 5 siblings at S2
    late = apply_edits(replace(plan, year=2031), [move])
    assert _unit_at(late, "U2", "S1")[0] == 20 and _unit_at(late, "U2", "S2")[5] == 5
    # every grade at once: nobody is an entrant, nobody stays
    at_once = apply_edits(plan, [{**move, "all_grades": True}])
    assert _unit_at(at_once, "U2", "S1") == [20, 22, 21, 19, 20, 18]


def test_the_sibling_share_is_a_share():
    from planner.standards import StandardsError, load_profile_text

    with pytest.raises(StandardsError, match="sibling_share must be shares from 0 to 1"):
        load_profile_text("sibling_share = 1.5\n", name="x", source="x.toml")
    assert load_profile_text("siblings_stay = false\n", name="x", source="x.toml"
                             ).siblings_stay is False
