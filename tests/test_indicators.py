"""R1–R7, the split of mixed schools, the 6-of-7 + 85 % rule and the CV, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.indicators import (
    coefficient_of_variation,
    coefficients_of_variation,
    cv_drivers,
    cv_of_sums,
    cv_parts,
    gaps,
    resource_indicators,
    school_sections,
    section_shares,
)
from planner.standards import NATIONAL_2017
from tests.helpers import a_school, schools_frame


def _ind(*records):
    return resource_indicators(school_sections(schools_frame(*records), NATIONAL_2017),
                               NATIONAL_2017)


def test_cv_of_a_five_school_county():
    # P = 100..500 students, R = 2, 2, 3, 6, 7 backbone teachers; N = 1500, ΣR = 20.
    # x̄ = 20/1500 = 1/75; x_i − x̄ = 1/150, −1/300, −1/300, 1/600, 1/1500.
    # S² = Σ (P_i/N)(x_i − x̄)² = 1/337500 + 1/675000 + 1/450000 + 1/1350000 + 1/6750000
    #    = (20 + 10 + 15 + 5 + 1) / 6 750 000 = 51 / 6 750 000
    # CV = S / x̄ = 75 · sqrt(51 / 6 750 000) = sqrt(51 / 1200) = 0.2061553
    p = np.array([100, 200, 300, 400, 500])
    r = np.array([2, 2, 3, 6, 7])
    assert coefficient_of_variation(p, r) == pytest.approx(np.sqrt(51 / 1200), rel=1e-12)
    assert coefficient_of_variation(p, r) == pytest.approx(0.2061553, abs=1e-7)


def test_a_school_without_students_has_no_ratio_and_does_not_count():
    # an emptied section (all its units zoned away) has no ratio: the five-school county's
    # CV as it was (before, its R / 0 made the county's CV NaN); the optimiser's CVs agree
    p = np.array([100, 200, 0, 300, 400, 500])
    r = np.array([2, 2, 4, 3, 6, 7])
    assert coefficient_of_variation(p, r) == pytest.approx(np.sqrt(51 / 1200), rel=1e-12)


def test_many_cvs_at_once_are_each_set_of_schools_own():
    # two sets of schools, two resources each: the five-school county (0.2061553) and the
    # same ratio everywhere (0), batched as the optimiser weighs thousands of zonings
    p = np.array([[100, 200, 300, 400, 500], [10, 20, 30, 40, 50]])
    r = np.stack([np.array([[2, 2, 3, 6, 7], [1, 2, 3, 4, 5]]).T,
                  np.array([[2, 4, 6, 8, 10], [2, 2, 3, 6, 7]]).T])  # (2, 5, 2)
    got = coefficients_of_variation(p, r)
    cv = np.sqrt(51 / 1200)
    np.testing.assert_allclose(got, [[cv, 0.0], [0.0, cv]], rtol=1e-12, atol=1e-15)


def test_the_cv_from_its_three_sums_is_the_formula():
    # the five-school county: N = 1500, ΣR = 20, Σ R²/P = 4/100 + 4/200 + 9/300 + 36/400
    # + 49/500 = 0.278; CV² = N Σ(R²/P) / (ΣR)² − 1 = 1500 · 0.278 / 400 − 1 = 0.0425
    # = 51/1200 as above. Emptying the 300-pupil school (its parts taken out of the sums):
    # N = 1200, ΣR = 17, Σ R²/P = 0.248, CV² = 1200 · 0.248 / 289 − 1 = 8.6/289
    p = np.array([100, 200, 300, 400, 500])
    r = np.array([2, 2, 3, 6, 7])[:, None]
    n, total, squares = (v.sum(axis=0) for v in cv_parts(p, r))
    assert (n, total[0]) == (1500, 20) and squares[0] == pytest.approx(0.278, rel=1e-12)
    assert cv_of_sums(n, total, squares)[0] == pytest.approx(np.sqrt(51 / 1200), rel=1e-12)
    gone = cv_parts(np.array([0]), r[[2]])
    here = cv_parts(np.array([300]), r[[2]])
    less = [s + (g - h).sum(axis=0) for s, g, h in zip((n, total, squares), gone, here,
                                                         strict=True)]
    assert cv_of_sums(*less)[0] == pytest.approx(np.sqrt(8.6 / 289), rel=1e-12)
    assert cv_of_sums(*less)[0] == pytest.approx(
        coefficient_of_variation(np.array([100, 200, 0, 400, 500]), r[:, 0]), rel=1e-12)
    assert np.isnan(cv_of_sums(0.0, np.array([0.0]), np.array([0.0]))[0])


def test_cv_drivers_rank_by_share_of_variance():
    records = [a_school(school_id=f"S{i}", name=f"校{i}", students_primary=p,
                        teachers_backbone=r)
               for i, (p, r) in enumerate(zip((100, 200, 300, 400, 500), (2, 2, 3, 6, 7),
                                              strict=True), start=1)]
    d = cv_drivers(_ind(*records), "primary", "backbone_teachers_per100")
    # contributions × 6 750 000: S1 20, S3 15, S2 10, S4 5, S5 1 (of 51)
    assert list(d["school_id"]) == ["S1", "S3", "S2", "S4", "S5"]
    assert d["share_of_variance"].tolist() == pytest.approx([20 / 51, 15 / 51, 10 / 51, 5 / 51,
                                                              1 / 51])
    assert list(d["direction"]) == ["above", "below", "below", "above", "above"]
    assert d["value"].iloc[0] == pytest.approx(2.0)  # 2 per 100 students


def test_nine_year_split_is_one_to_one_point_one():
    # A = 600, B = 400: primary 600 / (600 + 1.1·400) = 600/1040, junior 440/1040.
    # 10 400 m² of teaching area → 6000 m² and 4400 m²: R4 = 10 and 11 m² per student.
    s = a_school(kind="nine_year", students_primary=600, students_junior=400,
                 teaching_aux_area_m2=10_400.0, classes_junior=8, max_class_size_junior=50)
    ind = _ind(s).set_index("section")
    assert ind.loc["primary", "share"] == pytest.approx(600 / 1040)
    assert ind.loc["junior", "share"] == pytest.approx(440 / 1040)
    assert ind.loc["primary", "teaching_aux_area_per_student"] == pytest.approx(10.0)
    assert ind.loc["junior", "teaching_aux_area_per_student"] == pytest.approx(11.0)
    # no per-section teacher columns: teachers split by the same weights, and it says so
    assert ind.loc["primary", "teachers_backbone"] == pytest.approx(10 * 600 / 1040)
    assert set(ind["teacher_basis"]) == {"student_weights"}
    assert ind["school_id"].tolist() == ["S1", "S1"]


def test_twelve_year_split_is_one_to_one_point_one_to_one_point_three_two():
    # A = B = C = 500: weights 500 : 550 : 660 (sum 1710); 1 710 000 yuan of equipment
    # → primary 500 000 (R6 = 1000 yuan per student), junior 550 000 (R6 = 1100).
    s = a_school(kind="twelve_year", students_primary=500, students_junior=500,
                 students_senior=500, equipment_value_yuan=1_710_000.0, classes_junior=10)
    ind = _ind(s).set_index("section")
    assert ind.loc["primary", "equipment_value_per_student"] == pytest.approx(1000.0)
    assert ind.loc["junior", "equipment_value_per_student"] == pytest.approx(1100.0)


def test_complete_middle_school_split_is_one_to_one_point_two():
    # B = C = 1000: junior share 1000 / (1000 + 1.2·1000) = 5/11; 22 000 m² sports → 10 000 m².
    s = a_school(kind="complete_middle", students_primary=0, students_junior=1000,
                 students_senior=1000, sports_area_m2=22_000.0, classes_primary=0,
                 max_class_size_primary=0, classes_junior=20, max_class_size_junior=50)
    ind = _ind(s)
    assert list(ind["section"]) == ["junior"]
    assert ind["share"].iloc[0] == pytest.approx(5 / 11)
    assert ind["sports_area_per_student"].iloc[0] == pytest.approx(10.0)


def test_per_section_teacher_columns_are_used_where_given():
    s = a_school(kind="nine_year", students_primary=600, students_junior=400,
                 teachers_backbone=10, teachers_backbone_primary=7, teachers_backbone_junior=3,
                 classes_junior=8, max_class_size_junior=50)
    for col in ("teachers_total", "teachers_certified", "teachers_above_degree",
                "teachers_pe_art"):
        s[f"{col}_primary"], s[f"{col}_junior"] = None, None
    ind = _ind(s).set_index("section")
    assert ind.loc["primary", "teachers_backbone"] == 7
    assert ind.loc["junior", "teachers_backbone"] == 3
    assert set(ind["teacher_basis"]) == {"section_columns"}


def test_the_six_of_seven_and_85_percent_rule_at_its_edges():
    exact = a_school(school_id="EXACT")
    at_85 = a_school(school_id="AT85", teaching_aux_area_m2=3825.0)  # 3.825 = 85 % of 4.5
    under = a_school(school_id="UNDER", teaching_aux_area_m2=3824.9)  # 3.8249 < 85 %
    two = a_school(school_id="TWO", teaching_aux_area_m2=4000.0,  # 88.9 %
                   equipment_value_yuan=1_900_000.0)  # 95 %: two misses
    ind = _ind(exact, at_85, under, two).set_index("school_id")
    assert ind.loc["EXACT", "met"] == 7 and ind.loc["EXACT", "compliant"]
    assert ind.loc["AT85", "met"] == 6 and ind.loc["AT85", "compliant"]
    assert ind.loc["AT85", "missed"] == "R4"
    assert ind.loc["UNDER", "met"] == 6 and ind.loc["UNDER", "below_floor"] == 1
    assert not ind.loc["UNDER", "compliant"]
    assert ind.loc["TWO", "met"] == 5 and not ind.loc["TWO", "compliant"]
    assert ind.loc["TWO", "missed"] == "R4,R6"


def test_teaching_points_under_fifty_are_out_of_scope():
    tp49 = a_school(school_id="TP49", kind="teaching_point", students_primary=49)
    tp50 = a_school(school_id="TP50", kind="teaching_point", students_primary=50)
    special = a_school(school_id="SP", kind="special")
    assert list(_ind(tp49, tp50, special)["school_id"]) == ["TP50"]


def test_gaps_are_whole_teachers_and_square_metres():
    # R2: 5 backbone teachers for 1000 pupils = 0.5, under 85 % of 1.0. The other six are met,
    # so R2 needs only 85 %: 8.5 teachers → add ceil(3.5) = 4; in full (10) it would be 5.
    weak = a_school(teachers_backbone=5)
    g = gaps(_ind(weak), NATIONAL_2017)
    assert g[["id", "target", "add", "unit", "add_to_meet_all"]].values.tolist() == [
        ["R2", "85%", 4.0, "teachers", 5.0]]
    # two misses (R4 88.9 %, R6 95 %): the nearer one (R6, 5 % short) is raised in full
    two = a_school(teaching_aux_area_m2=4000.0, equipment_value_yuan=1_900_000.0)
    g = gaps(_ind(two), NATIONAL_2017)
    assert g[["id", "target", "add", "unit"]].values.tolist() == [
        ["R6", "threshold", 100_000.0, "yuan"]]


def test_shares_of_single_section_schools_are_whole():
    df = schools_frame(a_school(), a_school(kind="junior", students_primary=0,
                                            students_junior=900))
    shares = section_shares(df, NATIONAL_2017)
    assert shares.values.tolist() == [[1.0, 0.0], [0.0, 1.0]]


students = st.lists(st.integers(1, 5000), min_size=2, max_size=30)


@given(students, st.floats(0.01, 1000), st.randoms(use_true_random=False))
def test_cv_is_unchanged_by_scaling_and_by_row_order(p, factor, rnd):
    p = np.array(p, dtype=float)
    r = p * np.linspace(0.5, 2.0, len(p))
    cv = coefficient_of_variation(p, r)
    assert coefficient_of_variation(p, r * factor) == pytest.approx(cv, rel=1e-9, abs=1e-12)
    order = list(range(len(p)))
    rnd.shuffle(order)
    assert coefficient_of_variation(p[order], r[order]) == pytest.approx(cv, rel=1e-9,
                                                                         abs=1e-12)


@given(students, st.floats(0.001, 100))
def test_cv_is_zero_when_every_school_has_the_same_ratio(p, ratio):
    p = np.array(p, dtype=float)
    assert coefficient_of_variation(p, p * ratio) == pytest.approx(0.0, abs=1e-9)


def test_cv_without_students_is_nan():
    assert np.isnan(coefficient_of_variation(np.array([0, 0]), np.array([1, 2])))
    assert pd.isna(coefficient_of_variation(np.array([5, 5]), np.array([0, 0])))
