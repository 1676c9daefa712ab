"""G3, G4, G5, G12, the entered rows, Q1 and S1, the 32-row checklist and the verdict."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.checklist import CHECKLIST_IDS, cap_violations, rooms_check
from planner.errors import StandardsError
from planner.evaluation import evaluate
from planner.io.load import open_workspace
from planner.standards import HENAN, NATIONAL_2017, get_profile, load_profile
from planner.workspace import Meta, Workspace
from tests.helpers import a_school, schools_frame

DATA = Path(__file__).resolve().parent / "data"


def test_class_and_size_caps_at_their_edges():
    df = schools_frame(
        a_school(school_id="C45", max_class_size_primary=45),
        a_school(school_id="C46", max_class_size_primary=46),
        a_school(school_id="J50", kind="junior", students_primary=0, students_junior=900,
                 classes_primary=0, max_class_size_primary=0, classes_junior=18,
                 max_class_size_junior=50),
        a_school(school_id="J51", kind="junior", students_primary=0, students_junior=900,
                 classes_primary=0, max_class_size_primary=0, classes_junior=18,
                 max_class_size_junior=51),
        a_school(school_id="N2000", students_primary=2000),
        a_school(school_id="N2001", students_primary=2001),
        a_school(school_id="NINE2400", kind="nine_year", students_primary=1500,
                 students_junior=900, classes_junior=18, max_class_size_junior=50),
        a_school(school_id="NINE2501", kind="nine_year", students_primary=1601,
                 students_junior=900, classes_junior=18, max_class_size_junior=50),
    )
    v = cap_violations(df, NATIONAL_2017)
    assert v[["school_id", "rule", "value", "cap", "excess"]].values.tolist() == [
        ["C46", "class_primary", 46, 45, 1],
        ["J51", "class_junior", 51, 50, 1],
        ["N2001", "size", 2001, 2000, 1],
        ["NINE2501", "size", 2501, 2500, 1],
    ]


def test_music_and_art_rooms_per_twelve_classes():
    # required = max(1, ceil(classes / 12)): 12 → 1, 13 → 2, 24 → 2, 25 → 3
    df = schools_frame(
        a_school(school_id="K12", classes_primary=12, music_rooms=1, art_rooms=1),
        a_school(school_id="K13", classes_primary=13, music_rooms=1, art_rooms=2),
        a_school(school_id="K24", classes_primary=24, music_rooms=2, art_rooms=2),
        a_school(school_id="K25", classes_primary=25, music_rooms=2, art_rooms=3),
        a_school(school_id="SMALL", classes_primary=6, music_rooms=1, art_rooms=1,
                 music_room_min_area_m2=95.0),
        a_school(school_id="TP", kind="teaching_point", classes_primary=2, music_rooms=0,
                 art_rooms=0),
    )
    r = rooms_check(df, NATIONAL_2017).set_index("school_id")
    assert r["required"].to_dict() == {"K12": 1, "K13": 2, "K24": 2, "K25": 3, "SMALL": 1}
    assert r["ok"].to_dict() == {"K12": True, "K13": False, "K24": True, "K25": False,
                                 "SMALL": False}


def _ws(schools: pd.DataFrame, county: pd.DataFrame | None = None) -> Workspace:
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(schools, geometry=gpd.points_from_xy([115.2] * len(schools),
                                                                [36.07] * len(schools)),
                           crs="EPSG:4326")
    return Workspace(schools=gdf, meta=Meta(crs="EPSG:4547"), county=county)


def _county(rows):
    return pd.DataFrame(rows, columns=["indicator_id", "item", "value", "count", "evidence",
                                       "source"])


def test_entered_rows_compare_with_the_profile_and_say_missing():
    county = _county([
        ("G8", None, 1.0, None, "工资对比表", "人社局"),  # ≥ 1.0 passes at the edge
        ("G11", None, 0.12, None, "名单", "教育局"),  # backbone share not entered
        ("G15", None, 0.849, None, "统计表", "教育局"),  # < 0.85
        ("Q9", None, 0.15, None, "监测报告", "省评估院"),  # must be < 0.15
        ("Q9", "level", 3.0, None, "监测报告", "省评估院"),
        ("Q1", "graduates", 950.0, None, "名册", "教育局"),  # 950 / (1000 + 10 − 10) = 0.95
        ("Q1", "entrants", 1000.0, None, "名册", "教育局"),
        ("Q1", "transfers_in", 10.0, None, "", ""),
        ("Q1", "transfers_out", 10.0, None, "", ""),
        ("S1", "students", 0.80, 100.0, "问卷", "第三方"),  # (80 + 270) / 400 = 0.875
        ("S1", "parents", 0.90, 300.0, "问卷", "第三方"),
    ])
    ev = evaluate(_ws(schools_frame(a_school()), county), NATIONAL_2017)
    rows = ev.checklist.set_index("id")
    assert rows.loc["G8", ["status", "source", "value"]].tolist() == ["pass", "entered", 1.0]
    assert rows.loc["G8", "evidence"] == "工资对比表; 人社局"
    assert rows.loc["G11", "status"] == "missing"
    assert "backbone_share not entered" in rows.loc["G11", "evidence"]
    assert rows.loc["G15", "status"] == "fail"
    assert rows.loc["Q9", "status"] == "fail"
    assert rows.loc["Q1", ["status", "source"]].tolist() == ["pass", "computed"]
    assert rows.loc["Q1", "value"] == pytest.approx(0.95)
    assert rows.loc["S1", ["status", "source"]].tolist() == ["pass", "computed"]
    assert rows.loc["S1", "value"] == pytest.approx(0.875)
    assert "not surveyed: teachers, principals, deputies, others" in rows.loc["S1", "evidence"]
    assert rows.loc["G2", "status"] == "missing"  # not in the table at all
    assert ev.verdict == "fail"


def test_a_schools_table_alone_evaluates_with_missing_rows(tmp_path):
    frames = pd.read_excel(DATA / "small_county.xlsx", sheet_name="学校")
    frames.to_csv(tmp_path / "schools.csv", index=False)
    ws, _ = open_workspace(tmp_path / "schools.csv")
    ev = evaluate(ws)
    rows = ev.checklist.set_index("id")
    assert list(rows.index) == list(CHECKLIST_IDS) and len(rows) == 32
    needs_layers = ["G1", "G13", "G2", "G6", "G7", "G8", "G9", "G10", "G11", "G14", "G15",
                    "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "S1"]
    for cid in needs_layers:
        assert rows.loc[cid, "status"] == "missing", cid
        assert rows.loc[cid, "source"] == "missing", cid
    for cid in ("R1", "R2", "R3", "R4", "R5", "R6", "R7", "G3", "G4", "G5", "G12"):
        assert rows.loc[cid, "source"] == "computed", cid
        assert rows.loc[cid, "status"] in ("pass", "fail"), cid
    assert "no county table" in " ".join(ev.notes)


def test_g12_needs_every_teacher_certified():
    ev = evaluate(_ws(schools_frame(a_school(), a_school(school_id="S2", teachers_certified=59))))
    row = ev.checklist.set_index("id").loc["G12"]
    assert row["status"] == "fail"
    assert row["value"] == pytest.approx(119 / 120)
    assert row["evidence"] == "119 of 120 compulsory-section teachers certified; short: 一小"


def _twelve_year(**values):
    # 600 primary, 400 junior, 500 senior pupils: weights 600 : 1.1 × 400 : 1.32 × 500
    # = 600 : 440 : 660, so the compulsory sections hold 1040 / 1700 of the school
    return a_school(school_id="T12", name="外国语学校", kind="twelve_year",
                    students_primary=600, students_junior=400, students_senior=500,
                    classes_junior=8, max_class_size_junior=50, **values)


def test_g12_counts_the_compulsory_teachers_of_a_twelve_year_school():
    # 150 teachers, 140 certified, no per-section columns: the senior part (660 / 1700) is
    # left out on both sides, 150 × 1040/1700 = 91.76 teachers of whom 85.65 certified
    ev = evaluate(_ws(schools_frame(_twelve_year(teachers_total=150, teachers_certified=140))))
    row = ev.checklist.set_index("id").loc["G12"]
    assert row["value"] == pytest.approx(140 / 150)  # the same share on both sides
    assert row["evidence"].startswith("86 of 92 compulsory-section teachers certified")
    table = ev.certified.set_index("school_id")
    assert table.loc["T12", "teachers"] == pytest.approx(150 * 1040 / 1700)
    # per-section columns: 40 + 30 compulsory teachers, 40 + 28 certified; the 80 senior
    # teachers, 12 of them uncertified, no longer count: 68 / 70 (the old count gave 118/150)
    cols = {"teachers_total_primary": 40, "teachers_total_junior": 30,
            "teachers_certified_primary": 40, "teachers_certified_junior": 28}
    ev = evaluate(_ws(schools_frame(_twelve_year(teachers_total=150, teachers_certified=118,
                                                 **cols))))
    row = ev.checklist.set_index("id").loc["G12"]
    assert row["value"] == pytest.approx(68 / 70)
    assert row["evidence"] == "68 of 70 compulsory-section teachers certified; short: 外国语学校"


def test_every_output_lists_the_schools_left_out_and_why():
    small_tp = a_school(school_id="TP", name="小庄教学点", kind="teaching_point",
                        students_primary=30, classes_primary=2, max_class_size_primary=15)
    special = a_school(school_id="SP", name="特教学校", kind="special", students_primary=40,
                       students_junior=20)
    private = a_school(school_id="PV", name="民办实验学校", public=False)
    frame = schools_frame(a_school(), small_tp, special, private)
    ev = evaluate(_ws(frame))
    assert ev.exclusions[["school_id", "section", "students", "reason"]].values.tolist() == [
        ["TP", "primary", 30, "small_teaching_point"], ["SP", "primary", 40, "special"],
        ["SP", "junior", 20, "special"]]
    assert ev.notes[0] == ("2 school(s) left out of R1–R7, the CVs and the verdicts — "
                           "special-education school: 特教学校; teaching point under 50 "
                           "pupils: 小庄教学点")
    assert ev.to_dict()["exclusions"][0] == {"school_id": "TP", "name": "小庄教学点",
                                             "kind": "teaching_point", "section": "primary",
                                             "students": 30, "reason": "small_teaching_point",
                                             "reason_zh": "不足50人的教学点",
                                             "reason_en": "teaching point under 50 pupils"}
    assert set(ev.indicators["school_id"]) == {"S1", "PV"}
    # a profile that leaves private schools out, and one with a lower teaching-point floor
    from dataclasses import replace

    ev = evaluate(_ws(frame), replace(NATIONAL_2017, include_private=False,
                                      teaching_point_min_students=30))
    assert set(ev.indicators["school_id"]) == {"S1", "TP"}
    assert set(ev.exclusions["reason"]) == {"special", "private"}


def test_leaving_private_schools_out_changes_a_cv():
    # backbone teachers: S1 10 per 1000 pupils, S2 30 per 1000, PV (private) 60 per 1000.
    # All three: x = 1, 3, 6 per 100, x̄ = 100 / 3000 × 100 = 3.33…, S² = (1/3)(2.33² + 0.33²
    # + 2.67²) = 4.222…, CV = 2.0548 / 3.333 = 0.6164. Without PV: x̄ = 2, S = 1, CV = 0.5.
    frame = schools_frame(a_school(teachers_backbone=10),
                          a_school(school_id="S2", teachers_backbone=30),
                          a_school(school_id="PV", public=False, teachers_backbone=60))
    from dataclasses import replace

    cv = evaluate(_ws(frame)).cvs.set_index(["section", "id"]).loc[("primary", "R2"), "cv"]
    assert cv == pytest.approx((38 / 9) ** 0.5 / (10 / 3))
    std = replace(NATIONAL_2017, include_private=False)
    cv = evaluate(_ws(frame), std).cvs.set_index(["section", "id"]).loc[("primary", "R2"), "cv"]
    assert cv == pytest.approx(0.5)


def _balanced(**values):
    # every basic-balance column proportional to pupils (CV 0) unless given
    base = {"computers": 100, "books": 30_000, "teachers_intermediate_title": 30}
    return a_school(**{**base, **values})


def test_henan_computes_the_basic_balance_combined_cv():
    # two schools of 1000 pupils. Books 20 000 and 40 000: x = 20, 40 per pupil, x̄ = 30,
    # S = 10, CV = 1/3; intermediate titles 10 and 30: x = 1, 3 per 100, x̄ = 2, S = 1,
    # CV = 1/2; the six other indicators equal (CV 0): combined = (1/3 + 1/2) / 8 = 0.1042
    frame = schools_frame(_balanced(books=20_000, teachers_intermediate_title=10),
                          _balanced(school_id="S2", books=40_000, teachers_intermediate_title=30))
    ev = evaluate(_ws(frame), HENAN)
    check = ev.profile_checks.set_index("id").loc["basic_balance_cv.primary"]
    assert check["value"] == pytest.approx((1 / 3 + 1 / 2) / 8)
    assert check["status"] == "pass" and check["threshold"] == "≤ 0.60"
    assert "books_per_student 0.333" in check["evidence"]
    from dataclasses import replace

    strict = replace(HENAN, primary=replace(HENAN.primary, basic_balance_cv_limit=0.10))
    ev = evaluate(_ws(frame), strict)
    assert ev.profile_checks.set_index("id").loc["basic_balance_cv.primary", "status"] == "fail"
    assert ev.verdict == "fail"
    assert evaluate(_ws(frame), NATIONAL_2017).profile_checks.empty  # no such rule nationally
    # without the columns the rule needs: missing, named
    ev = evaluate(_ws(schools_frame(a_school(), a_school(school_id="S2"))), HENAN)
    row = ev.profile_checks.set_index("id").loc["basic_balance_cv.primary"]
    assert row["status"] == "missing"
    assert row["evidence"] == ("the schools layer lacks books, computers, "
                               "teachers_intermediate_title")


def test_a_province_profile_from_toml(tmp_path):
    path = tmp_path / "shandong.toml"
    path.write_text('base = "henan"\nteaching_point_min_students = 30\n[primary]\n'
                    'service_radius_rural_m = 2000\nclass_size_cap = 40\n', encoding="utf-8")
    p = load_profile(path)
    assert p.name == "shandong" and p.teaching_point_min_students == 30
    assert p.primary.service_radius_rural_m == 2000.0 and p.primary.class_size_cap == 40
    assert p.primary.basic_balance_cv_limit == 0.60  # from the Henan base
    assert p.junior == HENAN.junior
    bad = tmp_path / "bad.toml"
    bad.write_text("[primary]\nclass_size = 40\n", encoding="utf-8")
    with pytest.raises(StandardsError, match=r"bad.toml: \[primary\] has an unknown setting "
                                             "'class_size'"):
        load_profile(bad)
    bad.write_text('floor_share = "high"\n', encoding="utf-8")
    with pytest.raises(StandardsError, match="floor_share must be a number ≥ 0, got 'high'"):
        load_profile(bad)
    bad.write_text("junior_from_grade = 6.5\n", encoding="utf-8")
    with pytest.raises(StandardsError, match="junior_from_grade must be a whole number, got 6.5"):
        load_profile(bad)
    bad.write_text("[primary]\ncombined_cv_limit = 0.6\n", encoding="utf-8")
    with pytest.raises(StandardsError, match="combined_cv_limit is now basic_balance_cv_limit"):
        load_profile(bad)
    with pytest.raises(StandardsError, match="unknown standards profile 'mars'"):
        get_profile("mars")


def test_demo_verdict_and_failures(demo):
    ev = evaluate(demo)
    rows = ev.checklist.set_index("id")
    assert ev.verdict == "fail"
    assert rows.loc["G4", "status"] == "fail" and rows.loc["G5", "status"] == "fail"
    assert rows.loc["G1", "status"] == "pass" and rows.loc["G13", "status"] == "fail"
    cv = ev.cvs.set_index(["section", "id"])
    assert not cv.loc[("primary", "R2"), "ok"] and cv.loc[("primary", "R1"), "ok"]
    # every failing school section has a gap to close, and no compliant one does
    failing = set(ev.indicators.loc[~ev.indicators["compliant"], "school_id"])
    assert set(ev.gaps["school_id"]) == failing
    assert set(ev.drivers["id"]) == {"R2"}


def test_evidence_reads_in_chinese_and_english(demo):
    from planner.report.tables import checklist_table

    ev = evaluate(demo)
    zh = checklist_table(ev, "zh").set_index("编号")["佐证与说明"]
    en = checklist_table(ev, "en").set_index("id")["evidence"]
    assert zh["G4"].startswith("超规模：示范县实验小学（2955人）")
    assert en["G4"].startswith("over the cap: 示范县实验小学 (2955)")
    # G5 is the class-size standard (45 / 50): 超标班额, not 超大班额 (66 and more); the demo's
    # 示范县实验小学 records a largest class of 57
    assert zh["G5"].startswith("有超标班额（最大班额）：示范县实验小学（57人）")
    assert en["G5"].startswith(
        "classes over the class-size standard (largest class): 示范县实验小学 (57)")
    assert zh["R2"].startswith("小学：差异系数 0.705（限值 0.50）")
    assert zh["G13"].startswith("小学：17,255 人中就近划片入学 14,399 人（83.4%）")
    assert "距离：道路距离" in zh["G1"]


def test_no_class_over_the_standard_in_words(small_plan):
    from planner.report.tables import checklist_table

    # the four-school county records its largest classes as one over the mean: S1 417 in 11
    # classes → 38 + 1 = 39, S2 123 in 4 → 32, S3 237 in 6 → 41 (junior), S4 60 in 2 and 30
    # in 1 → 31 and 31: none over 45 / 50
    ev = evaluate(small_plan)
    assert ev.checklist.set_index("id").at["G5", "status"] == "pass"
    assert checklist_table(ev, "zh").set_index("编号").at["G5", "佐证与说明"] == "没有超标班额"
    assert checklist_table(ev, "en").set_index("id").at["G5", "evidence"] == (
        "no class over the class-size standard")
