"""Small literal fixtures shared by tests."""

from __future__ import annotations

import pandas as pd


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
