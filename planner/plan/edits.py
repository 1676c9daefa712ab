"""Scenario edits: each operation written once, checked, and applied to a plan.

Edits are JSON objects with an `op` (SPEC §5.1):

- ``{"op": "move_unit", "unit_id": U, "section": S, "to_school": T}`` — the unit joins T's
  catchment; its children enrolled at their old zoned school move with it, choosers stay
  (dated, only its entrants from then on, unless ``"all_grades": true``; an entrant with an
  older sibling still at the old school stays there under the profile's `siblings_stay`,
  unless ``"siblings": false``: the old school stops admitting or caps its entrants);
- ``{"op": "set_school", "school_id": S, "values": {...}}`` — any school column but the
  pupils (they follow the enrolment), the id and the kind;
- ``{"op": "open_school", "school_id": S, "lon": x, "lat": y, "values": {...},
  "units": {"primary": [...], "junior": [...]}}`` — a new school taking those units;
- ``{"op": "close_school", "school_id": S, "into": T}`` — its catchment and pupils go to T
  (``"split": true`` instead: each unit to its nearest open school of the section); its
  teachers, equipment and multimedia rooms go with its pupils, shared in proportion to the
  pupils each school takes (``"with_teachers": false``: they leave the county's schools);
- ``{"op": "enforce_zoning", "school_id": S | null, "section": S | null}`` — out-of-zone
  pupils (of S, or all; of one section, or both) return to their zoned schools;
- ``{"op": "exchange_teachers", "year": Y, "teachers": N, "backbone": K}`` — the county's
  teacher exchange (交流轮岗) of school year Y: N teachers, K of them backbone (G11 is then
  computed for Y instead of taken from the county table; the teachers a directed exchange
  moves are `set_school` edits of the same year).

Every edit may carry ``"year"``: it takes effect in that school year. A catchment change
(`move_unit`) then applies to entrants (grade 1, grade 7) from that year on: each later year
one more cohort joins the new school while the enrolled ones finish where they are; a dated
`enforce_zoning` likewise sends only the cohorts that entered since to their zoned schools. Schools
open and close, and values change, in their year. A plan evaluated at an earlier year does
not see the edit. Without a year an edit applies at once, to every grade.

Applying never loses a pupil (totals by grade are checked after every edit); an edit that
cannot be applied whole is refused with a located message. Schools whose pupils change are
re-planned at the class cap (planner/plan/classes.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import travel
from planner.admission import choosers_only, sibling_pupils
from planner.errors import InputError, Problem
from planner.plan.classes import section_classes, split_rooms
from planner.plan.model import NO_SCHOOL, Plan, Rows
from planner.schema import KIND_HAS_SENIOR, KIND_SECTIONS, LAYER_COLUMNS, SCHOOL_COLUMNS, SECTIONS
from planner.validate import parse_cell
from planner.workspace import WGS84

OPS = ("move_unit", "set_school", "open_school", "close_school", "enforce_zoning",
       "exchange_teachers")
_SCHOOL_COLS = {c.name: c for c in LAYER_COLUMNS["schools"]}
_PUPILS = {"students_primary", "students_junior", "students_senior"}
_FIXED = {"school_id", "kind"} | _PUPILS
# what a merged school takes over with `with_teachers`: staff, equipment and its rooms
MOVABLE = ("teachers_total", "teachers_certified", "teachers_above_degree", "teachers_backbone",
           "teachers_pe_art", "equipment_value_yuan", "multimedia_rooms")
YEARS = (2000, 2100)
MAX_ID_CHARS = 100
OUTSIDE_M = 500.0  # a new school further than this outside the county is refused


@dataclass(frozen=True)
class MoveUnit:
    """Re-zone a unit for a section (dated: its entrants from then on, or `all_grades`)."""

    unit_id: str
    section: str
    to_school: str
    year: int | None = None
    all_grades: bool = False
    siblings: bool = True


@dataclass(frozen=True)
class SetSchool:
    """Change a school's columns."""

    school_id: str
    values: dict
    year: int | None = None


@dataclass(frozen=True)
class OpenSchool:
    """Open a school at a point, taking some units."""

    school_id: str
    lon: float
    lat: float
    values: dict
    units: dict[str, tuple[str, ...]]
    year: int | None = None


@dataclass(frozen=True)
class CloseSchool:
    """Close a school into another (or split its catchment among the nearest)."""

    school_id: str
    into: str | None
    split: bool
    with_teachers: bool
    year: int | None = None


@dataclass(frozen=True)
class EnforceZoning:
    """Send out-of-zone pupils back to their zoned schools (dated: the cohorts since)."""

    school_id: str | None
    section: str | None
    year: int | None = None
    all_grades: bool = False


@dataclass(frozen=True)
class ExchangeTeachers:
    """The county's teacher exchange of a school year (G11)."""

    teachers: int
    backbone: int
    year: int | None = None


Edit = MoveUnit | SetSchool | OpenSchool | CloseSchool | EnforceZoning | ExchangeTeachers
FIELDS = {
    "move_unit": ("unit_id", "section", "to_school", "year", "all_grades", "siblings"),
    "set_school": ("school_id", "values", "year"),
    "open_school": ("school_id", "lon", "lat", "values", "units", "year"),
    "close_school": ("school_id", "into", "split", "with_teachers", "year"),
    "enforce_zoning": ("school_id", "section", "year", "all_grades"),
    "exchange_teachers": ("year", "teachers", "backbone"),
}


class _Where:
    """Where an edit came from, to locate its problems: file and "edit k"."""

    def __init__(self, file: str, where: str):
        self.file, self.where = file, where

    def refuse(self, column: str, message: str) -> InputError:
        return InputError([Problem(self.file, self.where, None, column, message)])


# --- parsing: the edit's own shape --------------------------------------------------------

def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _text(edit: dict, key: str, at: _Where, *, required: bool = True) -> str | None:
    value = edit.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        hint = " (a code in quotes)" if isinstance(value, int | float) else ""
        raise at.refuse(key, f"expected text{hint}, got {_show(value)}")
    if len(value) > MAX_ID_CHARS or any(ord(ch) < 32 for ch in value):
        raise at.refuse(key, f"expected a code of at most {MAX_ID_CHARS} printable characters, "
                             f"got {_show(value)}")
    return value


def _section(edit: dict, key: str, at: _Where, *, required: bool = True) -> str | None:
    value = edit.get(key)
    if value is None and not required:
        return None
    if value not in SECTIONS:
        raise at.refuse(key, f"expected primary or junior, got {_show(value)}")
    return value


def _flag(edit: dict, key: str, at: _Where, default: bool = False) -> bool:
    value = edit.get(key, default)
    if not isinstance(value, bool):
        raise at.refuse(key, f"expected true or false, got {_show(value)}")
    return value


def _year(edit: dict, at: _Where) -> int | None:
    value = edit.get("year")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not (
            YEARS[0] <= value <= YEARS[1]):
        raise at.refuse("year", f"expected a school year from {YEARS[0]} to {YEARS[1]}, got "
                                f"{_show(value)}")
    return value


def _count(edit: dict, key: str, at: _Where) -> int:
    value = edit.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise at.refuse(key, f"expected a whole number of teachers from 0 to 1,000,000, got "
                             f"{_show(value)}")
    return value


def _coordinate(edit: dict, key: str, bound: float, at: _Where) -> float:
    value = edit.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or abs(value) > bound:
        raise at.refuse(key, f"expected a number from −{bound:g} to {bound:g} (WGS84 degrees), "
                             f"got {_show(value)}")
    return float(value)


def _values(raw: object, at: _Where, *, opening: bool = False) -> dict:
    if not isinstance(raw, dict):
        raise at.refuse("values", f"expected an object of column: value, got {_show(raw)}")
    out = {}
    for key, value in raw.items():
        column = f"values.{key}"
        if not isinstance(key, str) or key not in _SCHOOL_COLS:
            raise at.refuse(column, "not a school column")
        if key in _PUPILS and not (opening and key == "students_senior"):
            raise at.refuse(column, "pupils follow the enrolment: move units or enforce "
                                    "zoning instead" if not opening else
                            "pupils come with the units the school takes")
        if key in _FIXED and not opening:
            raise at.refuse(column, "the id and kind cannot change: close the school and open "
                                    "another")
        col = _SCHOOL_COLS[key]
        if value is None and col.nullable:
            out[key] = None
            continue
        if isinstance(value, dict | list) or value is None or (
                isinstance(value, bool) and col.kind != "bool"):
            raise at.refuse(column, f"expected a single value, got {_show(value)}")
        parsed, expected = parse_cell(value, col, 1.0)
        if expected is not None:
            raise at.refuse(column, f"expected {expected}, got {_show(value)}")
        out[key] = parsed
    return out


def _unit_lists(raw: object, at: _Where) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise at.refuse("units", 'expected {"primary": [unit ids], "junior": [...]}, got '
                                 f"{_show(raw)}")
    out = {}
    for sec, ids in raw.items():
        if sec not in SECTIONS:
            raise at.refuse(f"units.{sec}", "expected the key primary or junior")
        if not isinstance(ids, list) or not all(isinstance(u, str) for u in ids):
            raise at.refuse(f"units.{sec}", f"expected a list of unit ids (text), got "
                                            f"{_show(ids)}")
        out[sec] = tuple(ids)
    return out


def parse_edit(edit: object, *, where: str = "edit", file: str = "") -> Edit:
    """Check an edit's own shape and return it typed.

    Raises
    ------
    InputError
        Not an object, an unknown op or field, a value of the wrong type or beyond the
        plausible bounds of its column; located at `file`, `where` and the field.
    """
    at = _Where(file, where)
    if not isinstance(edit, dict):
        raise at.refuse("op", f'expected an edit object {{"op": …}}, got {_show(edit)}')
    op = edit.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise at.refuse("op", f"expected an op in {', '.join(OPS)}, got {_show(op)}")
    unknown = sorted(str(k) for k in edit if k != "op" and k not in FIELDS[op])
    if unknown:
        raise at.refuse(unknown[0], f"unknown field(s) {', '.join(unknown)} for {op}; "
                                    f"expected {', '.join(FIELDS[op])}")
    year = _year(edit, at)
    if op == "move_unit":
        return MoveUnit(_text(edit, "unit_id", at), _section(edit, "section", at),
                        _text(edit, "to_school", at), year, _flag(edit, "all_grades", at),
                        _flag(edit, "siblings", at, default=True))
    if op == "set_school":
        return SetSchool(_text(edit, "school_id", at), _values(edit.get("values"), at), year)
    if op == "open_school":
        return OpenSchool(_text(edit, "school_id", at), _coordinate(edit, "lon", 180, at),
                          _coordinate(edit, "lat", 90, at),
                          _values(edit.get("values", {}), at, opening=True),
                          _unit_lists(edit.get("units"), at), year)
    if op == "close_school":
        split, into = _flag(edit, "split", at), _text(edit, "into", at, required=False)
        if split == (into is not None):
            raise at.refuse("into", "give either `into` (the school that takes it over) or "
                                    "`split: true`, not both" if split else
                            "give `into` (the school that takes it over) or `split: true`")
        with_teachers = _flag(edit, "with_teachers", at, default=True)
        return CloseSchool(_text(edit, "school_id", at), into, split, with_teachers, year)
    if op == "exchange_teachers":
        if year is None:
            raise at.refuse("year", "an exchange belongs to a school year: give its year")
        teachers = _count(edit, "teachers", at)
        backbone = _count(edit, "backbone", at)
        if backbone > teachers:
            raise at.refuse("backbone", f"expected at most the {teachers} teachers exchanged, "
                                        f"got {backbone}")
        return ExchangeTeachers(teachers, backbone, year)
    return EnforceZoning(_text(edit, "school_id", at, required=False),
                         _section(edit, "section", at, required=False), year,
                         _flag(edit, "all_grades", at))


# --- applying ----------------------------------------------------------------------------

def _school(plan: Plan, school_id: str, at: _Where, column: str = "school_id") -> int:
    i = plan.school_index.get(school_id)
    if i is None:
        raise at.refuse(column, f"unknown school {school_id!r}")
    return i


def _teaching(plan: Plan, i: int, section: str, at: _Where, column: str) -> None:
    if not plan.teaches(section)[i]:
        raise at.refuse(column, f"school {plan.school_ids[i]} has no {section} section")


def cohorts_moving(plan: Plan, edit_year: int | None, grade: np.ndarray, section: str
                    ) -> np.ndarray:
    """Whether rows of `grade` move with a catchment change dated `edit_year`.

    Undated changes move every grade; a dated one the cohorts that entered the section from
    its year on (the plan's year minus the years since; grade 1 / 7 in its first year).
    """
    if edit_year is None:
        return np.ones(len(grade), dtype=bool)
    now = plan.year if plan.year is not None else edit_year
    first = plan.standards.grades(section)[0]
    return grade - first <= now - edit_year


def _rezone(plan: Plan, units: np.ndarray, section: str, to: int, year: int | None, *,
            all_grades: bool = False, siblings: bool = True) -> tuple[Plan, set[int]]:
    """Zone units to school `to`: their entrants' zone and their cohorts that move along.

    A dated change leaves the entrants with an older sibling at the old school there, zoned
    to it (admission.sibling_pupils), under the profile's `siblings_stay` and `siblings`.
    """
    k = SECTIONS.index(section)
    r = plan.rows
    zone = plan.zone.copy()
    old = zone[k, units]
    zone[k, units] = to
    in_units = np.isin(r.eu, units) & (plan.standards.is_junior(r.grade) == bool(k))
    dated = year is not None and not all_grades
    cohort = in_units & cohorts_moving(plan, year if dated else None, r.grade, section)
    moving = cohort & (r.es == r.ez) & (r.ez >= 0)  # enrolled where they were zoned
    moving &= ~choosers_only(plan.schools, plan.standards)[r.es]  # a private school's stay
    stay = np.zeros(len(r), dtype=np.int64)
    if dated and siblings and plan.standards.siblings_stay:
        now = plan.year if plan.year is not None else year
        entered = now - year - (r.grade - plan.standards.grades(section)[0])
        stay = np.where(moving & (r.es != to), sibling_pupils(r.n, entered, section,
                                                              plan.standards), 0)
    whole = moving & (stay > 0) & (stay >= r.n)  # every pupil of the row stays
    moving &= ~whole
    es, ez = r.es.copy(), r.ez.copy()
    es[moving] = to
    ez[cohort & ~whole] = to
    part = np.flatnonzero(moving & (stay > 0))  # split: the siblings stay, zoned where they are
    n = r.n.copy()
    n[part] -= stay[part]
    rows = replace(r, eu=np.concatenate([r.eu, r.eu[part]]), grade=np.concatenate(
        [r.grade, r.grade[part]]), n=np.concatenate([n, stay[part].astype(n.dtype)]),
        es=np.concatenate([es, r.es[part]]), ez=np.concatenate([ez, r.es[part]]))
    touched = {to, *old[old >= 0].tolist(), *r.es[moving].tolist()}
    return replace(plan, zone=zone, rows=rows), touched


def _move_unit(plan: Plan, e: MoveUnit, at: _Where) -> tuple[Plan, set[int]]:
    u = plan.units.index.get(e.unit_id)
    if u is None:
        raise at.refuse("unit_id", f"unknown unit {e.unit_id!r}")
    to = _school(plan, e.to_school, at, "to_school")
    _teaching(plan, to, e.section, at, "to_school")
    return _rezone(plan, np.array([u]), e.section, to, e.year, all_grades=e.all_grades,
                   siblings=e.siblings)


def _enforce_zoning(plan: Plan, e: EnforceZoning, at: _Where) -> tuple[Plan, set[int]]:
    target = _school(plan, e.school_id, at) if e.school_id is not None else None
    from planner.zoning import zoned_rows

    r = plan.rows
    mask = (r.ez >= 0) & ~zoned_rows(plan) & ~choosers_only(plan.schools, plan.standards)[r.es]
    if target is not None:
        mask &= r.es == target
    junior = plan.standards.is_junior(r.grade)
    if e.section is not None:
        mask &= junior == (e.section == "junior")
    if e.year is not None and not e.all_grades:  # dated: the cohorts that entered since
        mask &= np.where(junior, cohorts_moving(plan, e.year, r.grade, "junior"),
                         cohorts_moving(plan, e.year, r.grade, "primary"))
    es = r.es.copy()
    es[mask] = r.ez[mask]
    touched = set(r.es[mask].tolist()) | set(r.ez[mask].tolist())
    return replace(plan, rows=r.with_schools(es=es)), touched


def _check_central(plan: Plan, values: dict, at: _Where, own: str) -> None:
    central = values.get("central_school_id")
    if central is not None and (central == own or central not in plan.school_index):
        raise at.refuse("values.central_school_id", f"names no other school: {central!r}")


def _set_school(plan: Plan, e: SetSchool, at: _Where) -> tuple[Plan, set[int]]:
    i = _school(plan, e.school_id, at)
    _check_central(plan, e.values, at, e.school_id)
    schools = dict(plan.schools)
    for key, value in e.values.items():
        col = schools.get(key)
        if col is None:  # an optional column the workspace lacks: it starts empty
            col = _empty_column(_SCHOOL_COLS[key], len(plan.school_ids))
        col = col.copy() if col.dtype != object else col.astype(object, copy=True)
        if _SCHOOL_COLS[key].kind == "float" and col.dtype.kind == "i":
            col = col.astype(float)
        col[i] = value
        schools[key] = col
    out = replace(plan, schools=schools)
    _consistent(out, i, at)
    return out, {i} if "classrooms" in e.values else set()  # classes re-formed in its rooms


def _empty_column(col, n: int) -> np.ndarray:
    if col.kind in ("int", "float"):
        return np.full(n, np.nan)
    if col.kind == "bool":
        return np.zeros(n, dtype=bool)
    return np.full(n, None, dtype=object)


def _new_row(plan: Plan, e: OpenSchool, kind: str, area: str) -> dict:
    row = {c.name: (c.default if c.default is not None else
                    (0 if c.kind == "int" else 0.0 if c.kind == "float" else None))
           for c in SCHOOL_COLUMNS}
    row.update({"school_id": e.school_id, "name": e.school_id, "public": True,
                "boarding": False, "area_type": area, "central_school_id": None,
                "lon": e.lon, "lat": e.lat})
    row.update(e.values)
    row["kind"] = kind
    return row


def _open_school(plan: Plan, e: OpenSchool, at: _Where) -> tuple[Plan, set[int]]:
    kind = _new_school_kind(plan, e, at)
    plan = _append_school(plan, _new_row(plan, e, kind, _site_area(plan, e, at)))
    _consistent(plan, len(plan.school_ids) - 1, at)
    if plan.distances is not None:
        plan = replace(plan, distances=travel.extend_distances(
            plan.distances, plan.ws, [e.school_id]))
    s = len(plan.school_ids) - 1
    touched = {s}
    for sec, ids in e.units.items():
        if ids:
            idx = np.array([plan.units.index[u] for u in ids])
            plan, t = _rezone(plan, idx, sec, s, e.year)
            touched |= t
    return plan, touched


def _new_school_kind(plan: Plan, e: OpenSchool, at: _Where) -> str:
    """Check a new school's id, kind, sections, central school and units; return its kind."""
    if e.school_id in plan.school_index:
        raise at.refuse("school_id", f"school {e.school_id} exists already: choose a new id")
    kind = e.values.get("kind")
    if kind is None:
        raise at.refuse("values.kind", "a new school needs its kind")
    if kind == "special" and any(e.units.values()):
        raise at.refuse("units", "a special-education school takes no catchment")
    if e.values.get("students_senior") and kind not in KIND_HAS_SENIOR:
        raise at.refuse("values.students_senior", f"a {kind} school has no senior section")
    _check_central(plan, e.values, at, e.school_id)
    for sec, ids in e.units.items():
        if ids and sec not in KIND_SECTIONS[kind]:
            raise at.refuse(f"units.{sec}", f"a {kind} school has no {sec} section")
        for u in ids:
            if u not in plan.units.index:
                raise at.refuse(f"units.{sec}", f"unknown unit {u!r}")
    return kind


def _site_area(plan: Plan, e: OpenSchool, at: _Where) -> str:
    """The area type of the unit a new school's site lies in (rural outside every unit).

    Refused when the site lies more than OUTSIDE_M from the county's units.
    """
    if plan.source.units is None:
        return "rural"
    crs = plan.source.meta.crs
    here = gpd.GeoSeries([shapely.Point(e.lon, e.lat)], crs=WGS84).to_crs(crs).iloc[0]
    units = plan.source.units.to_crs(crs)
    if units.union_all().distance(here) > OUTSIDE_M:
        raise at.refuse("lon", f"({e.lon}, {e.lat}) lies outside the county")
    hit = units[units.contains(here)]
    return hit["area_type"].iloc[0] if len(hit) else "rural"


def _append_school(plan: Plan, row: dict) -> Plan:
    """The plan with one more school: `row`'s values, the dtype's blank where it has none."""
    schools = {}
    for key, col in plan.schools.items():
        if key in row:
            value = row[key]
        else:  # an optional column the new school has no value of
            value = {"f": np.nan, "i": 0, "u": 0, "b": False}.get(col.dtype.kind)
        schools[key] = np.append(col, np.array([value], dtype=col.dtype))
    return replace(plan, schools=schools)


def _split_targets(plan: Plan, i: int, at: _Where) -> np.ndarray:
    """(2, U) each unit's nearest other school of each section (−1 if none)."""
    if plan.distances is None:
        raise at.refuse("split", "splitting a catchment needs distances")
    m = plan.distances.matrix
    out = np.full((2, len(plan.units)), NO_SCHOOL)
    for k, sec in enumerate(SECTIONS):
        ok = plan.teaches(sec)
        ok[i] = False
        cols = np.flatnonzero(ok)
        if not len(cols):
            continue
        out[k] = cols[np.argmin(np.where(np.isnan(m[:, cols]), np.inf, m[:, cols]), axis=1)]
    return out


def _close_school(plan: Plan, e: CloseSchool, at: _Where) -> tuple[Plan, set[int]]:
    i = _school(plan, e.school_id, at)
    r = plan.rows
    junior = plan.standards.is_junior(r.grade)
    for k, sec in enumerate(SECTIONS):
        enrolled = int(r.n[(r.es == i) & (junior == bool(k))].sum())
        given = int(plan.schools[f"students_{sec}"][i])
        if given > enrolled:
            raise at.refuse("school_id", f"{given} {sec} pupils of {e.school_id} but the "
                                         f"enrolment counts {enrolled}: they would vanish; "
                                         "give their enrolment rows first")
    if e.split:
        target = _split_targets(plan, i, at)
        for k, sec in enumerate(SECTIONS):
            needs = (plan.zone[k] == i).any() or ((r.es == i) & (junior == bool(k))).any()
            if needs and (target[k] < 0).any():
                raise at.refuse("split", f"no other school teaches {sec}: pupils would be lost")
    else:
        into = _school(plan, e.into, at, "into")
        if into == i:
            raise at.refuse("into", "a school cannot be closed into itself")
        for k, sec in enumerate(SECTIONS):
            has = (plan.zone[k] == i).any() or ((r.es == i) & (junior == bool(k))).any()
            if has and not plan.teaches(sec)[into]:
                raise at.refuse("into", f"school {e.into} has no {sec} section for "
                                        f"{e.school_id}'s {sec} pupils")
        target = np.full((2, len(plan.units)), into)
    k_row = junior.astype(np.int64)
    zone = np.where(plan.zone == i, target, plan.zone)
    at_i = r.es == i
    es = np.where(at_i, target[k_row, r.eu], r.es) if len(r) else r.es
    ez = np.where(r.ez == i, target[k_row, r.eu], r.ez) if len(r) else r.ez
    touched = set(es[at_i].tolist())
    schools = dict(plan.schools)
    if e.with_teachers:
        to = es[at_i] if len(r) else np.zeros(0, dtype=np.int64)
        fallback = target[:, _holder(plan, i)]
        schools = _share_staff(schools, i, to, r.n[at_i], junior[at_i] if len(r) else to > 0,
                               fallback)
    central = schools["central_school_id"].copy()
    heir = plan.school_ids[int(target[0, 0])] if not e.split else None
    central[central == e.school_id] = heir
    schools["central_school_id"] = central
    keep = np.arange(len(plan.school_ids)) != i
    remap = np.cumsum(keep) - 1  # old index → new index (i itself is gone)
    schools = {c: v[keep] for c, v in schools.items()}
    zone = np.where(zone >= 0, remap[np.maximum(zone, 0)], NO_SCHOOL)
    rows = Rows(eu=r.eu, es=remap[es] if len(r) else es, grade=r.grade, n=r.n,
                ez=np.where(ez >= 0, remap[np.maximum(ez, 0)], NO_SCHOOL) if len(r) else ez)
    dist = plan.distances
    if dist is not None:
        dist = replace(dist, matrix=dist.matrix[:, keep], school_ids=dist.school_ids[keep])
    plan = replace(plan, schools=schools, zone=zone, rows=rows, distances=dist)
    return plan, {int(remap[s]) for s in touched if s != i}


def _holder(plan: Plan, i: int) -> int:
    from planner.admission import school_holders

    return int(school_holders(plan, np.array([i]))[0])


def _share_staff(schools: dict, i: int, to: np.ndarray, n: np.ndarray, junior: np.ndarray,
                 fallback: np.ndarray) -> dict:
    """Send school i's teachers, equipment and rooms (MOVABLE) where its pupils go.

    Each column is shared in proportion to the pupils each school takes (a section's own
    teacher columns, ``teachers_*_primary`` / ``_junior``, to that section's pupils); whole
    teachers by largest remainders, each kind of teacher within the teachers a school gets;
    a school without pupils sends them to where its own unit goes (`fallback`, per section).
    Totals are kept: no teacher is lost.
    """
    from planner.workspace import largest_remainders

    size = len(schools["school_id"])
    out = dict(schools)

    def weights(mask: np.ndarray, k: int) -> np.ndarray:
        w = np.bincount(to[mask], weights=n[mask], minlength=size).astype(float)
        if w.sum() <= 0:
            w = np.bincount(to, weights=n, minlength=size).astype(float)
        if w.sum() <= 0:
            w = np.zeros(size)
            w[fallback[k] if fallback[k] >= 0 else fallback[1 - k]] = 1.0
        return w / w.sum()

    pairs = {sec: [c for c in schools if c.startswith("teachers_") and c.endswith(f"_{sec}")]
             for sec in SECTIONS}
    groups = [(weights(np.ones(len(to), dtype=bool), 0), [c for c in MOVABLE if c in schools],
               "teachers_total")]
    groups += [(weights(junior == bool(k), k), pairs[sec], f"teachers_total_{sec}")
               for k, sec in enumerate(SECTIONS) if pairs[sec]]
    for w, cols, lead in groups:
        head = float(schools[lead][i]) if lead in schools else math.nan
        base = (largest_remainders(w * head, int(round(head))) if math.isfinite(head)
                else None)
        for col in cols:
            v = float(schools[col][i])
            if not math.isfinite(v) or v == 0:
                continue
            kind = schools[col].dtype.kind
            if kind == "f" and not col.startswith("teachers"):
                add = w * v  # money, shared as it is
            elif col == lead:
                add = base
            elif col.startswith("teachers") and base is not None and head > 0:
                add = largest_remainders(base * (v / head), int(round(v)))  # within them
            else:
                add = largest_remainders(w * v, int(round(v)))
            col_out = out[col].astype(float) if kind == "i" and add.dtype.kind == "f" \
                else out[col].copy()
            col_out = col_out + add.astype(col_out.dtype)
            col_out[i] = schools[col][i]
            out[col] = col_out
    return out


def _consistent(plan: Plan, i: int, at: _Where, *, prefix: str = "values.") -> None:
    """Refuse an edit that leaves school i's columns contradicting each other.

    The same school rules the importer applies (validate.check_schools): teachers of a kind
    within the total, per-section pairs adding up, classes for the pupils, a known central
    school; located at the edit's field.
    """
    from planner.validate import Source, check_schools

    frame = pd.DataFrame({c: v for c, v in plan.schools.items() if c not in ("lon", "lat")})
    problems = [p for p in check_schools(frame, Source("", "", 0)) if p.row == i]
    if problems:
        raise at.refuse(f"{prefix}{problems[0].column}", problems[0].message)


def _exchange(plan: Plan, e: ExchangeTeachers, at: _Where) -> tuple[Plan, set[int]]:
    held = tuple(x for x in plan.exchanges if x[0] != e.year)  # a later edit of a year wins
    return replace(plan, exchanges=(*held, (e.year, e.teachers, e.backbone))), set()


_APPLY = {
    MoveUnit: _move_unit,
    SetSchool: _set_school,
    OpenSchool: _open_school,
    CloseSchool: _close_school,
    EnforceZoning: _enforce_zoning,
    ExchangeTeachers: _exchange,
}


def _pupils_by_grade(plan: Plan) -> np.ndarray:
    return np.bincount(plan.rows.grade, weights=plan.rows.n, minlength=10)


def replan(plan: Plan, touched: set[int]) -> Plan:
    """Recount the touched schools' pupils and re-plan their classes at the class cap.

    Classes are formed within the school's classrooms (planner/plan/classes.py): where rooms
    are short, classes grow beyond the cap and G5 reports them.
    """
    if not touched:
        return plan
    idx = np.array(sorted(touched), dtype=np.int64)
    std = plan.standards
    by_grade = plan.pupils_by_grade[idx]
    multigrade = plan.schools["kind"][idx] == "teaching_point"
    schools = dict(plan.schools)
    spans = {sec: np.array(std.grades(sec)) - 1 for sec in SECTIONS}
    need = np.stack([section_classes(by_grade[:, spans[sec]], std.section(sec).class_size_cap,
                                     multigrade)[1] for sec in SECTIONS], axis=1)
    rooms = split_rooms(need, plan.schools["classrooms"][idx])
    for k, sec in enumerate(SECTIONS):
        grades = spans[sec]
        pupils, classes, largest = section_classes(by_grade[:, grades],
                                                   std.section(sec).class_size_cap, multigrade,
                                                   rooms[:, k])
        for col, values in ((f"students_{sec}", pupils), (f"classes_{sec}", classes),
                            (f"max_class_size_{sec}", largest)):
            schools[col] = schools[col].copy()
            schools[col][idx] = values
    return replace(plan, schools=schools)


def effective(edit: Edit, plan: Plan) -> bool:
    """Whether an edit has taken effect in the plan's school year."""
    return edit.year is None or plan.year is None or edit.year <= plan.year


def apply_edit(plan: Plan, edit: object, *, where: str = "edit", file: str = "") -> Plan:
    """Apply one edit; return a new plan (the given one is never changed).

    An edit dated after the plan's school year has no effect yet: only its own shape is
    checked (it may name schools opened by then). :func:`check_edits` checks a whole chain
    with every edit in effect.

    Raises
    ------
    InputError
        The edit is malformed, names unknown units or schools, or would lose pupils; the
        message is located at `file`, `where` and the edit's field.
    """
    typed = parse_edit(edit, where=where, file=file)
    if not effective(typed, plan):
        return replace(plan, touched=frozenset())
    at = _Where(file, where)
    before = _pupils_by_grade(plan)
    new, touched = _APPLY[type(typed)](plan, typed, at)
    if not np.array_equal(_pupils_by_grade(new), before):
        raise at.refuse("", "the edit would change the number of pupils by grade")
    new = replan(new, touched)
    ids = new.school_ids
    # an edited plan's catchments are its units dissolved: the polygons' own checks are gone
    return replace(new, touched=frozenset(str(ids[s]) for s in touched), polygons=None)


def apply_edits(plan: Plan, edits: list, *, file: str = "") -> Plan:
    """Apply edits in order; all or nothing (the first refused edit raises)."""
    touched: set[str] = set()
    for k, edit in enumerate(edits, start=1):
        plan = apply_edit(plan, edit, where=f"edit {k}", file=file)
        touched |= plan.touched
    return replace(plan, touched=frozenset(touched))


def check_edits(plan: Plan, edits: list, *, file: str = "") -> Plan:
    """Apply a chain of edits with every one in effect whatever its year (to check it)."""
    return apply_edits(replace(plan, year=None), edits, file=file)
