"""Each rule is defined once: a grep of the source tree finds one definition, and no copy.

The contributors' page "Where each rule lives" (docs/develop/code.md) names the homes; these
tests fail when a second one appears (a hard-coded 6 + 3 grade split, a class-size or
school-size comparison of its own).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "planner").rglob("*.py"), *(ROOT / "app_pages").glob("*.py"),
                  ROOT / "app.py", *(ROOT / "scripts").glob("*.py"),
                  *(ROOT / "bench").glob("*.py")])


def _hits(pattern: str) -> dict[str, list[str]]:
    """Source file (relative) → the lines matching `pattern` (comments left out)."""
    rx = re.compile(pattern)
    out: dict[str, list[str]] = {}
    for path in SOURCES:
        for line in path.read_text(encoding="utf-8").splitlines():
            code = line.split("#", 1)[0]
            if rx.search(code):
                out.setdefault(str(path.relative_to(ROOT)), []).append(line.strip())
    return out


def test_the_sources_are_found():
    names = {str(p.relative_to(ROOT)) for p in SOURCES}
    assert {"planner/schema.py", "planner/checklist.py", "planner/report/maps.py",
            "app_pages/map.py", "app.py"} <= names


def test_the_grade_to_section_rule_has_one_definition():
    # the rule itself: schema.is_junior (and the two helpers beside it), nowhere else
    assert _hits(r"def (is_junior|section_of_grade|section_grades)\b") == {
        "planner/schema.py": ["def is_junior(grade, junior_from: int = 7):",
                              "def section_of_grade(grade: int, *, junior_from: int = 7) -> str:",
                              "def section_grades(section: str, junior_from: int = 7) -> range:"],
        # the profile's methods hand its `junior_from_grade` to the two of schema.py
        "planner/standards.py": ["def is_junior(self, grade):"]}
    assert _hits(r"return (is_junior|section_grades)\(") == {
        "planner/standards.py": ["return is_junior(grade, self.junior_from_grade)",
                                 "return section_grades(section, self.junior_from_grade)"]}
    assert _hits(r">=\s*junior_from\b") == {
        "planner/schema.py": ["return np.asarray(grade) >= junior_from"]}
    # no hard-coded 6 + 3 split: grade ranges, grade comparisons with 6 or 7, g1–g6 lists
    assert _hits(r"range\(\s*1\s*,\s*7\s*\)|range\(\s*7\s*,\s*10\s*\)") == {}
    assert _hits(r"\b(g|grade|grades)\s*(<=\s*6|<\s*7|>=\s*7|>\s*6)\b") == {}
    assert _hits(r"[\"']g1[\"']\s*,\s*[\"']g2[\"']|[\"']g7[\"']\s*,\s*[\"']g8[\"']") == {}
    # every grade 1–9 list is schema.GRADES
    assert _hits(r"range\(\s*1\s*,\s*10\s*\)") == {
        "planner/schema.py": ["GRADES = tuple(range(1, 10))"]}


def test_the_class_size_cap_has_one_definition():
    # the caps are values of the profile (45 primary, 50 junior nationally)
    assert _hits(r"\bclass_size_cap\s*[:=]\s*\d") == {
        "planner/standards.py": ["class_size_cap=45,", "class_size_cap=50,"]}
    assert _hits(r"\bclass_size_cap\s*:\s*int\b") == {
        "planner/standards.py": ["class_size_cap: int"]}
    # G5's comparison, largest class against the cap, lives in checklist.py alone
    assert _hits(r"def (class_over_cap|over_class_cap)\b") == {
        "planner/checklist.py": ["def class_over_cap(cols: Columns, section: str, "
                                 "standards: Standards", "def over_class_cap(biggest, "
                                 "pupils, cap) -> np.ndarray:"]}
    # (the map's "near the cap" band, `biggest > cap - 3`, is a colour, not the rule)
    assert _hits(r"(max_class_size\w*|largest_class|biggest)\W*\s*>\s*[\w.()\[\]\"']*caps?\b"
                 r"\)?(?!\s*-)") == {
        "planner/checklist.py": ["return (np.asarray(pupils) > 0) & (np.asarray(biggest) > "
                                 "np.asarray(cap))"]}


def test_the_school_size_cap_is_read_through_one_rule():
    # G4's caps by kind: Standards.size_caps; checklist.py reads the fields only for its text
    assert set(_hits(r"\.(school_size_cap|mixed_school_cap)\b")) == {
        "planner/standards.py", "planner/checklist.py"}
    assert set(_hits(r"\bsize_caps\(")) <= {"planner/standards.py", "planner/checklist.py",
                                            "planner/optimize/instance.py"}


def test_the_six_of_seven_rule_is_applied_in_one_place():
    # met / at 85 % / failed: indicators.compliance; renderers read its marks
    assert set(_hits(r"floor_share\s*\*")) <= {"planner/indicators.py", "planner/roadmap.py"}
    assert _hits(r">=\s*[\w.]*min_indicators_met\b") == {
        "planner/indicators.py": [
            "compliant = (ok.sum(axis=1) >= standards.min_indicators_met) & "
            "floor_ok.all(axis=1)"]}
    assert set(_hits(r"floor_share\s*\*\s*th(reshold)?s?\b")) == {"planner/indicators.py"}
