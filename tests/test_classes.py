"""Classes formed within a school's classrooms (planner/plan/classes.py), worked by hand."""

import numpy as np
import pytest

from planner.plan.classes import LARGEST_CLASS, section_classes, split_rooms


def _one(counts, rooms, cap=45):
    pupils, classes, largest = section_classes(np.array([counts]), cap, rooms=np.array([rooms]))
    return int(pupils[0]), int(classes[0]), int(largest[0])


def test_enough_rooms_classes_at_the_cap():
    # 50, 48, 47, 46, 45, 44 at 45: 2 + 2 + 2 + 2 + 1 + 1 = 10 classes of
    # 25+25 | 24+24 | 24+23 | 23+23 | 45 | 44: the largest 45; spare rooms stay empty
    assert _one([50, 48, 47, 46, 45, 44], 10) == (280, 10, 45)
    assert _one([50, 48, 47, 46, 45, 44], 12) == (280, 10, 45)


@pytest.mark.parametrize(("counts", "rooms", "expected"), [
    # 280 pupils need 10 classes at 45, 8 rooms. The least L with Σ ceil(n / L) ≤ 8:
    # L = 46 gives 2+2+2+1+1+1 = 9 > 8; L = 47 gives 2+2+1+1+1+1 = 8. So 8 classes:
    # 25+25 | 24+24 | 47 | 46 | 45 | 44, the largest 47. (The old spread, 2·8 // 10 = 1 a grade,
    # gave 6 classes and a largest of 50, two rooms empty.)
    ([50, 48, 47, 46, 45, 44], 8, (280, 8, 47)),
    # six grades of 46 need 12 classes, 11 rooms: a grade in one class is 46, in two 23, and
    # a largest class under 46 needs all 12. So 11 classes (five grades in two, one in one)
    # and the largest 46. (The old spread, 2·11 // 12 = 1 a grade: 6 classes, 5 rooms empty.)
    ([46] * 6, 11, (276, 11, 46)),
    # six grades of 90 need 12, 9 rooms: under 90 every grade needs two (12 > 9), so the
    # largest is 90; three grades get two classes of 45, three one of 90: 9 classes.
    ([90] * 6, 9, (540, 9, 90)),
    # like 示范县实验小学 in 2027 (2 780 pupils, 59 rooms): grades of 470, 460, 465, 455,
    # 470, 460 need 11 each at 45 (10 · 45 = 450 < 455) = 66 classes.
    # L = 50: every grade needs 10 (9 · 50 = 450 < 455) = 60 > 59;
    # L = 51: 9 · 51 = 459 holds 455 alone: 10 + 10 + 10 + 9 + 10 + 10 = 59 ≤ 59.
    # So 59 classes: 47, 46, 47 (465 / 10 → 46.5), 51 (455 / 9 → 50.6), 47, 46; largest 51.
    ([470, 460, 465, 455, 470, 460], 59, (2780, 59, 51)),
    # fewer rooms than grades with pupils: every grade keeps one class (beyond the rooms)
    ([10, 10, 10], 2, (30, 3, 10)),
])
def test_short_of_rooms_every_room_is_used(counts, rooms, expected):
    assert _one(counts, rooms) == expected


def test_beyond_the_plausible_bound_classes_exceed_the_rooms():
    # 2 × 400 pupils, 4 rooms: classes of at most 150 need ceil(400 / 150) = 3 a grade = 6
    # classes (beyond the 4 rooms), 134 + 133 + 133 each, the largest 134
    assert _one([400, 400], 4) == (800, 6, 134)
    assert LARGEST_CLASS == 150


def test_schools_at_once_and_junior_cap():
    # three junior schools (cap 50) at once, the second short: 160, 150, 140 need 4 + 3 + 3 = 10
    # classes, 8 rooms. For 50 < L < 70 each grade needs 3 (140 / L > 2): 9 > 8; at L = 70
    # 140 fits in 2: 3 + 3 + 2 = 8. Classes of 54 (160 / 3 → 53.3), 50, 70: largest 70
    counts = np.array([[100, 90, 80], [160, 150, 140], [10, 0, 0]])
    pupils, classes, largest = section_classes(counts, 50, rooms=np.array([6, 8, 0]))
    # the first fits its 6 rooms: 2 + 2 + 2 = 6 classes of 50, 45, 40
    # the third has no room: its one grade with pupils keeps one class of 10
    assert pupils.tolist() == [270, 450, 10]
    assert classes.tolist() == [6, 8, 1]
    assert largest.tolist() == [50, 70, 10]


def test_teaching_point_teaches_its_grades_together():
    # 30 + 20 + 25 = 75 pupils in mixed grades at 45: 2 classes; with 1 room, one class of 75
    pupils, classes, largest = section_classes(np.array([[30, 20, 25]]), 45, True,
                                               np.array([1]))
    assert (int(classes[0]), int(largest[0])) == (1, 75)


def test_split_rooms_gives_every_room():
    # a nine-year school needing 40 primary and 20 junior classes in 45 rooms:
    # primary 40 · 45 // 60 = 30, junior the other 15; one with enough rooms keeps its need
    assert split_rooms(np.array([[40, 20], [10, 5]]), np.array([45, 20])).tolist() == [
        [30, 15], [10, 5]]
