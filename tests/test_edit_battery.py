"""Bad scenario edits, tried as an attacker would: each one refused with exit 2 and a located
message, no traceback and the workspace unchanged byte for byte; their valid look-alikes saved.

The workspace is the four-school county of tests/data (S1, S2 primary, S3 junior, S4 nine-year;
units U1–U4); `planner scenario add WS plan --edits F` is run in-process for each case.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from planner.cli import main
from tests.conftest import DATA

MOVE = {"op": "move_unit", "unit_id": "U3", "section": "primary", "to_school": "S2"}
OPEN = {"op": "open_school", "school_id": "S9", "lon": 115.42, "lat": 36.068,
        "values": {"kind": "primary", "name": "新建小学", "classrooms": 12}}


def _set(**values):
    return {"op": "set_school", "school_id": "S1", "values": values}


def _deep(n: int) -> str:
    return '{"op": "set_school", "school_id": "S1", "values": ' + '{"a": ' * n + "1" + "}" * n \
        + "}"


# (case, edits file content, the message part that must appear)
BAD: list[tuple[str, object, str]] = [
    ("op_not_text", {"op": 5}, "edit 1, column `op`: expected an op in move_unit"),
    ("op_unknown", {"op": "rename"}, "column `op`: expected an op in move_unit, set_school"),
    ("op_missing", {"unit_id": "U1"}, "column `op`: expected an op in"),
    ("op_list", {"op": ["move_unit"]}, "column `op`: expected an op in"),
    ("edit_not_object", [1], "edit 1, column `op`: expected an edit object"),
    ("edit_string", ["move"], "expected an edit object {\"op\": …}, got 'move'"),
    ("top_level_number", 7, "expected an edit object or a list of them, got int"),
    ("empty_list", [], "expected an edit object or a list of them"),
    ("unknown_field", {**MOVE, "colour": "red"},
     "column `colour`: unknown field(s) colour for move_unit"),
    ("unit_integer", {**MOVE, "unit_id": 419900100040},
     "column `unit_id`: expected text (a code in quotes), got 419900100040"),
    ("unit_unknown", {**MOVE, "unit_id": "U9"}, "column `unit_id`: unknown unit 'U9'"),
    ("unit_control_chars", {**MOVE, "unit_id": "U1\n"}, "at most 100 printable characters"),
    ("unit_too_long", {**MOVE, "unit_id": "U" * 500}, "at most 100 printable characters"),
    ("section_senior", {**MOVE, "section": "senior"},
     "column `section`: expected primary or junior, got 'senior'"),
    ("to_school_unknown", {**MOVE, "to_school": "S7"}, "column `to_school`: unknown school"),
    ("to_school_wrong_section", {**MOVE, "to_school": "S3"}, "school S3 has no primary section"),
    ("classrooms_huge", _set(classrooms=1e308), "column `values.classrooms`:"),
    ("area_huge", _set(teaching_aux_area_m2=1.7e308), "column `values.teaching_aux_area_m2`:"),
    ("teachers_huge", _set(teachers_total=10**30), "column `values.teachers_total`:"),
    ("negative", _set(classrooms=-5), "column `values.classrooms`:"),
    ("bool_for_count", _set(classrooms=True), "column `values.classrooms`: expected a single"),
    ("text_for_count", _set(classrooms="many"), "expected a whole number"),
    ("list_for_value", _set(classrooms=[1, 2]), "expected a single value"),
    ("pupils_set", _set(students_primary=10), "pupils follow the enrolment"),
    ("kind_set", _set(kind="junior"), "the id and kind cannot change"),
    ("not_a_column", _set(colour="red"), "column `values.colour`: not a school column"),
    ("values_not_object", {"op": "set_school", "school_id": "S1", "values": [1]},
     "column `values`: expected an object of column: value"),
    ("central_unknown", _set(central_school_id="S77"),
     "column `values.central_school_id`: names no other school: 'S77'"),
    ("teachers_contradict", _set(teachers_backbone=900),
     "column `values.teachers_backbone`: 900 exceeds teachers_total"),
    ("classes_contradict", _set(classes_primary=1),
     "column `values.max_class_size_primary`: largest class"),
    ("year_early", {**MOVE, "year": 1990}, "column `year`: expected a school year from 2000"),
    ("year_text", {**MOVE, "year": "2027"}, "column `year`: expected a school year"),
    ("open_existing_id", {**OPEN, "school_id": "S1"},
     "column `school_id`: school S1 exists already"),
    ("open_special_with_units", {**OPEN, "values": {"kind": "special"},
                                 "units": {"primary": ["U3"]}},
     "column `units`: a special-education school takes no catchment"),
    ("open_without_kind", {**OPEN, "values": {"name": "无类型"}},
     "column `values.kind`: a new school needs its kind"),
    ("open_with_pupils", {**OPEN, "values": {"kind": "primary", "students_primary": 300}},
     "pupils come with the units the school takes"),
    ("open_senior_on_primary", {**OPEN, "values": {"kind": "primary", "students_senior": 90}},
     "column `values.students_senior`: a primary school has no senior section"),
    ("open_outside", {**OPEN, "lon": 117.0}, "lies outside the county"),
    ("open_lon_range", {**OPEN, "lon": 200}, "column `lon`: expected a number from −180"),
    ("open_lon_text", {**OPEN, "lon": "115.4"}, "column `lon`: expected a number"),
    ("open_units_not_list", {**OPEN, "units": {"primary": "U3"}},
     "column `units.primary`: expected a list of unit ids"),
    ("open_wrong_section", {**OPEN, "units": {"junior": ["U3"]}},
     "column `units.junior`: a primary school has no junior section"),
    ("close_split_and_into", {"op": "close_school", "school_id": "S2", "into": "S1",
                              "split": True}, "not both"),
    ("close_neither", {"op": "close_school", "school_id": "S2"},
     "give `into` (the school that takes it over) or `split: true`"),
    ("close_into_itself", {"op": "close_school", "school_id": "S2", "into": "S2"},
     "cannot be closed into itself"),
    ("close_teachers_not_a_flag", {"op": "close_school", "school_id": "S2", "into": "S1",
                                   "with_teachers": "yes"},
     "column `with_teachers`: expected true or false"),
    ("move_siblings_not_a_flag", {**MOVE, "siblings": 0},
     "column `siblings`: expected true or false"),
    ("close_into_wrong_section", {"op": "close_school", "school_id": "S2", "into": "S3"},
     "school S3 has no primary section"),
    ("enforce_unknown", {"op": "enforce_zoning", "school_id": "S9"}, "unknown school 'S9'"),
    ("second_edit_bad", [MOVE, {**MOVE, "unit_id": "U9"}], "edit 2, column `unit_id`"),
]
RAW: list[tuple[str, bytes, str]] = [
    ("nan", b'{"op": "set_school", "school_id": "S1", "values": {"classrooms": NaN}}',
     "NaN is not a number JSON allows"),
    ("infinity", b'{"op": "set_school", "school_id": "S1", "values": {"classrooms": Infinity}}',
     "Infinity is not a number JSON allows"),
    ("gbk", json.dumps(_set(name="新名称"), ensure_ascii=False).encode("gbk"),
     "not UTF-8 text (byte"),
    ("not_json", b"move U3 to S2", "cannot read the edits: not valid JSON"),
    ("deep", _deep(200).encode(), "nested deeper than 20 levels"),
    ("empty_file", b"", "not valid JSON"),
]
GOOD: list[tuple[str, object]] = [
    ("formula_like_name", _set(name="=SUM(A1)+1")),
    ("number_as_text", _set(classrooms="60")),
    ("large_but_plausible", _set(classrooms=500, sports_area_m2=90_000.0)),
    ("dated_move", {**MOVE, "year": 2027}),
    ("open_and_take_a_unit", {**OPEN, "units": {"primary": ["U3"]}}),
    ("close_into_with_teachers", {"op": "close_school", "school_id": "S2", "into": "S1",
                                  "with_teachers": True}),
    ("close_split_with_teachers", {"op": "close_school", "school_id": "S2", "split": True,
                                   "with_teachers": True}),
    ("close_teachers_leaving", {"op": "close_school", "school_id": "S2", "into": "S1",
                                "with_teachers": False}),
    ("bom_utf8", "\ufeff" + json.dumps(MOVE)),
]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _county(folder):
    path = folder / "county.gpkg"
    shutil.copy(DATA / "small_county.gpkg", path)
    assert main(["scenario", "new", str(path), "plan"]) == 0
    return path


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One workspace for every refused edit (each check shows it unchanged)."""
    return _county(tmp_path_factory.mktemp("battery"))


@pytest.fixture()
def ws(tmp_path):
    return _county(tmp_path)


def _write(tmp_path, content) -> str:
    path = tmp_path / "edits.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("case, content, message", BAD + RAW, ids=[c[0] for c in BAD + RAW])
def test_a_bad_edit_is_refused_whole(shared, tmp_path, capsys, case, content, message):
    edits = _write(tmp_path, content)
    before = _digest(shared)
    capsys.readouterr()
    assert main(["scenario", "add", str(shared), "plan", "--edits", edits]) == 2, case
    err = capsys.readouterr().err
    assert message in err, err
    assert err.startswith("planner scenario: edits.json") and "Traceback" not in err
    assert _digest(shared) == before  # nothing written


def test_the_battery_is_large(tmp_path):
    assert len(BAD) + len(RAW) >= 55


@pytest.mark.parametrize("case, content", GOOD, ids=[c[0] for c in GOOD])
def test_a_valid_look_alike_is_saved(ws, tmp_path, capsys, case, content):
    assert main(["scenario", "add", str(ws), "plan", "--edits", _write(tmp_path, content)]) == 0
    assert "1 edit(s) added" in capsys.readouterr().out
    assert main(["evaluate", str(ws), "--scenario", "plan"]) == 0
