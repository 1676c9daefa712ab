"""Small literal fixtures shared by tests."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from planner.schema import KIND_SECTIONS


def a_school(**values):
    """One primary school of 1000 students that meets every primary threshold exactly.

    R1 42/1000×100 = 4.2, R2 10 → 1.0, R3 9 → 0.9, R4 4500 m² → 4.5, R5 7500 m² → 7.5,
    R6 2 000 000 yuan → 2000, R7 23 rooms → 2.3; 24 classes of at most 45, 2 music and art rooms.
    """
    rec = {
        "school_id": "S1", "name": "一小", "kind": "primary", "area_type": "urban",
        "public": True, "boarding": False, "central_school_id": None,
        "students_primary": 1000, "students_junior": 0, "students_senior": 0,
        "classes_primary": 24, "classes_junior": 0, "max_class_size_primary": 45,
        "max_class_size_junior": 0, "classrooms": 26, "teachers_total": 60,
        "teachers_certified": 60, "teachers_above_degree": 42, "teachers_backbone": 10,
        "teachers_pe_art": 9, "teaching_aux_area_m2": 4500.0, "sports_area_m2": 7500.0,
        "equipment_value_yuan": 2_000_000.0, "multimedia_rooms": 23, "music_rooms": 2,
        "music_room_min_area_m2": 96.0, "art_rooms": 2, "art_room_min_area_m2": 90.0,
    }
    rec.update(values)
    return rec


def schools_frame(*records):
    return pd.DataFrame(list(records))


def random_edits(plan):
    """A hypothesis strategy: up to six edits of every kind on a plan."""
    units = list(plan.zoning.index)
    ids = list(plan.ws.schools["school_id"])
    kinds = dict(zip(ids, plan.ws.schools["kind"], strict=True))
    teaching = {sec: [s for s in ids if kinds[s] != "special" and sec in KIND_SECTIONS[kinds[s]]]
                for sec in ("primary", "junior")}
    move = st.sampled_from(["primary", "junior"]).flatmap(lambda sec: st.fixed_dictionaries({
        "op": st.just("move_unit"), "unit_id": st.sampled_from(units), "section": st.just(sec),
        "to_school": st.sampled_from(teaching[sec])}))
    enforce = st.fixed_dictionaries({"op": st.just("enforce_zoning"),
                                     "school_id": st.one_of(st.none(), st.sampled_from(ids)),
                                     "section": st.sampled_from([None, "primary", "junior"])})
    primaries = [s for s in ids if kinds[s] == "primary"]
    close = st.tuples(st.sampled_from(primaries), st.sampled_from(primaries)).filter(
        lambda p: p[0] != p[1]).map(lambda p: {"op": "close_school", "school_id": p[0],
                                               "into": p[1]})
    split = st.sampled_from(primaries).map(lambda s: {"op": "close_school", "school_id": s,
                                                      "split": True})
    setv = st.fixed_dictionaries({"op": st.just("set_school"), "school_id": st.sampled_from(ids),
                                  "values": st.fixed_dictionaries(
                                      {"classrooms": st.integers(0, 80)})})
    rescope = st.fixed_dictionaries({
        "op": st.just("set_school"), "school_id": st.sampled_from(ids),
        "values": st.fixed_dictionaries({"area_type": st.sampled_from(["urban", "town", "rural"]),
                                         "public": st.booleans(),
                                         "teachers_backbone": st.integers(0, 40)})})
    return st.lists(st.one_of(move, move, enforce, close, split, setv, rescope), min_size=1,
                    max_size=6)
