"""Scenarios: named, ordered lists of edits on a base, applied to a plan (SPEC §5.1, issue 5).

A :class:`Plan` is a workspace plus each unit's zoned school per section. Edits are JSON
objects with an `op`:

- ``{"op": "move_unit", "unit_id": U, "section": S, "to_school": T}`` — the unit joins T's
  catchment; its children enrolled at their old zoned school move with it, choosers stay;
- ``{"op": "set_school", "school_id": S, "values": {...}}`` — any school column but the
  students (they follow the enrolment), the id and the kind;
- ``{"op": "open_school", "school_id": S, "lon": x, "lat": y, "values": {...},
  "units": {"primary": [...], "junior": [...]}}`` — a new school taking those units;
- ``{"op": "close_school", "school_id": S, "into": T}`` — its catchment and students go to T
  (``"split": true`` instead: each unit to its nearest open school of the section;
  ``"with_teachers": true`` moves its teachers and equipment too);
- ``{"op": "enforce_zoning", "school_id": S | null, "section": S | null}`` — out-of-zone
  students (of S, or all; of one section, or both) return to their zoned schools.

Applying never loses a student: totals by grade are checked after every edit, and an edit that
cannot be applied whole is refused with a located message. Schools whose students change are
re-planned at the class cap (classes = Σ ceil(students of a grade / cap)).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import travel
from planner.errors import InputError, Problem
from planner.schema import KIND_SECTIONS, LAYER_COLUMNS, SCHOOL_COLUMNS, SECTIONS
from planner.standards import Standards
from planner.validate import parse_cell
from planner.workspace import WGS84, Workspace, canonical

OPS = ("move_unit", "set_school", "open_school", "close_school", "enforce_zoning")
BASELINE = "baseline"
_SCHOOL_COLS = {c.name: c for c in LAYER_COLUMNS["schools"]}
_FIXED = {"school_id", "kind", "students_primary", "students_junior", "students_senior"}
_MOVABLE = ("teachers_total", "teachers_certified", "teachers_above_degree",
            "teachers_backbone", "teachers_pe_art", "equipment_value_yuan", "multimedia_rooms")


@dataclass(frozen=True)
class Plan:
    """A workspace being planned: its layers and each unit's zoned school per section.

    Attributes
    ----------
    ws
        The workspace; its catchments are rebuilt from `zoning` by :func:`materialise`.
    zoning
        Indexed by unit_id; columns primary and junior hold a school_id (or None).
    distances
        Unit × school distances (a new school gets its column when opened), or None.
    touched
        School ids whose data the last edits changed (for incremental re-evaluation).
    """

    ws: Workspace
    zoning: pd.DataFrame
    distances: travel.Distances | None = None
    touched: frozenset[str] = field(default_factory=frozenset)


class _Refused(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def plan_from_workspace(ws: Workspace, *, distances: travel.Distances | None = None) -> Plan:
    """Make a plan of a workspace with units, catchments and enrolment (the baseline)."""
    from planner.enrolment import unit_catchments, zoning_table

    missing = [n for n in ("units", "catchments", "enrolment") if getattr(ws, n) is None]
    if missing:
        msg = f"scenarios need the {', '.join(missing)} layer(s)"
        raise InputError.single("", msg)
    zoning = zoning_table(unit_catchments(ws), ws.units["unit_id"])
    return Plan(ws=ws, zoning=zoning, distances=distances)


def _section_of(grade: np.ndarray, standards: Standards) -> np.ndarray:
    return np.where(grade >= standards.junior_from_grade, "junior", "primary")


def _teaches(schools: pd.DataFrame, school_id: str, section: str) -> bool:
    row = schools.loc[schools["school_id"] == school_id]
    return len(row) == 1 and row["kind"].iloc[0] != "special" and section in KIND_SECTIONS[
        row["kind"].iloc[0]]


def _move_rows(enrolment: pd.DataFrame, mask: np.ndarray, to: np.ndarray | str) -> pd.DataFrame:
    """Send the enrolment rows in `mask` to other schools, merging duplicate keys."""
    e = enrolment.copy()
    e.loc[mask, "school_id"] = to if isinstance(to, str) else to[mask]
    if not mask.any():
        return e
    e = e.groupby(["unit_id", "school_id", "grade"], as_index=False, sort=False)["students"].sum()
    return e


def plan_classes(counts, cap: int, *, multigrade: bool = False) -> tuple[int, int, int]:
    """Return (pupils, classes, largest class) for pupils by grade at a class-size cap.

    Each grade gets ceil(n / cap) classes; a teaching point (`multigrade`) teaches its grades
    together in ceil(all / cap) classes. Pupils spread evenly over a grade's classes.
    """
    counts = [int(n) for n in counts]
    total = sum(counts)
    if multigrade:
        classes = math.ceil(total / cap) if total else 0
        return total, classes, math.ceil(total / classes) if classes else 0
    per = [math.ceil(n / cap) if n else 0 for n in counts]
    biggest = max([math.ceil(n / k) for n, k in zip(counts, per, strict=True) if k] or [0])
    return total, sum(per), biggest


def _replan(schools: pd.DataFrame, enrolment: pd.DataFrame, ids: set[str],
            standards: Standards) -> pd.DataFrame:
    """Recount students of `ids` from the enrolment and re-plan their classes at the cap."""
    s = schools.copy()
    e = enrolment[enrolment["school_id"].isin(ids)]
    by = e.groupby(["school_id", "grade"])["students"].sum()
    for sid in ids:
        i = s.index[s["school_id"] == sid]
        if len(i) == 0:
            continue
        i = i[0]
        for sec in SECTIONS:
            grades = [g for g in range(1, 10) if (_section_of(np.array([g]), standards)[0]
                                                  == sec)]
            counts = [int(by.get((sid, g), 0)) for g in grades]
            n, classes, biggest = plan_classes(counts, standards.section(sec).class_size_cap,
                                               multigrade=s.at[i, "kind"] == "teaching_point")
            s.at[i, f"students_{sec}"] = n
            s.at[i, f"classes_{sec}"] = classes
            s.at[i, f"max_class_size_{sec}"] = biggest
    return s


def _check_unit(plan: Plan, unit_id: object) -> str:
    if not isinstance(unit_id, str) or unit_id not in plan.zoning.index:
        raise _Refused("unit_id", f"unknown unit {unit_id!r}")
    return unit_id


def _check_school(plan: Plan, school_id: object, column: str = "school_id") -> str:
    if not isinstance(school_id, str) or not (plan.ws.schools["school_id"] == school_id).any():
        raise _Refused(column, f"unknown school {school_id!r}")
    return school_id


def _check_section(section: object) -> str:
    if section not in SECTIONS:
        raise _Refused("section", f"expected primary or junior, got {section!r}")
    return str(section)


def _rezone(plan: Plan, unit_ids: list[str], section: str, to: str, standards: Standards
            ) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Zone units to `to` for a section; their children at the old zoned school move along."""
    zoning = plan.zoning.copy()
    e = plan.ws.enrolment
    old = zoning.loc[unit_ids, section]
    zoning.loc[unit_ids, section] = to
    sec = _section_of(e["grade"].to_numpy(), standards)
    old_of_row = old.reindex(e["unit_id"]).to_numpy()
    mask = (e["unit_id"].isin(unit_ids).to_numpy() & (sec == section)
            & (e["school_id"].to_numpy() == old_of_row))
    touched = {to} | {s for s in old if isinstance(s, str)}
    return zoning, _move_rows(e, mask, to), touched


def _op_move_unit(plan: Plan, edit: dict, standards: Standards) -> Plan:
    unit = _check_unit(plan, edit.get("unit_id"))
    section = _check_section(edit.get("section"))
    to = _check_school(plan, edit.get("to_school"), "to_school")
    if not _teaches(plan.ws.schools, to, section):
        raise _Refused("to_school", f"school {to} has no {section} section")
    zoning, enrolment, touched = _rezone(plan, [unit], section, to, standards)
    return _finish(plan, zoning, enrolment, plan.ws.schools, touched, standards)


def _op_enforce_zoning(plan: Plan, edit: dict, standards: Standards) -> Plan:
    school = edit.get("school_id")
    if school is not None:
        _check_school(plan, school)
    only = edit.get("section")
    if only is not None:
        _check_section(only)
    e = plan.ws.enrolment
    sec = _section_of(e["grade"].to_numpy(), standards)
    zoned = np.where(sec == "primary", plan.zoning["primary"].reindex(e["unit_id"]).to_numpy(),
                     plan.zoning["junior"].reindex(e["unit_id"]).to_numpy())
    has_zone = np.array([isinstance(z, str) for z in zoned])
    s = plan.ws.schools
    special = s.loc[s["kind"] == "special", "school_id"].to_numpy()  # they take no catchment
    mask = has_zone & (e["school_id"].to_numpy() != zoned) & ~np.isin(e["school_id"], special)
    if school is not None:
        mask &= e["school_id"].to_numpy() == school
    if only is not None:
        mask &= sec == only
    touched = set(e.loc[mask, "school_id"]) | set(zoned[mask])
    enrolment = _move_rows(e, mask, zoned)
    return _finish(plan, plan.zoning, enrolment, plan.ws.schools, touched, standards)


def _parse_values(values: object, *, allow_fixed: bool = False) -> dict:
    if not isinstance(values, dict):
        raise _Refused("values", "expected an object of column: value")
    out = {}
    for key, value in values.items():
        if key not in _SCHOOL_COLS or (key in _FIXED and not allow_fixed):
            why = ("students follow the enrolment: move units or enforce zoning instead"
                   if key.startswith("students_") else
                   "the id and kind cannot change: close the school and open another"
                   if key in _FIXED else "not a school column")
            raise _Refused(f"values.{key}", why)
        col = _SCHOOL_COLS[key]
        if value is None and col.nullable:
            out[key] = None
            continue
        parsed, expected = parse_cell(value, col, 1.0)
        if expected is not None:
            raise _Refused(f"values.{key}", f"expected {expected}, got {value!r}")
        out[key] = parsed
    return out


def _op_set_school(plan: Plan, edit: dict, standards: Standards) -> Plan:
    sid = _check_school(plan, edit.get("school_id"))
    values = _parse_values(edit.get("values"))
    s = plan.ws.schools.copy()
    i = s.index[s["school_id"] == sid][0]
    for key, value in values.items():
        if key not in s.columns:
            s[key] = 0 if _SCHOOL_COLS[key].kind == "int" else None
        s.at[i, key] = value
    return _finish(plan, plan.zoning, plan.ws.enrolment, s, {sid}, standards, replan=False)


def _op_open_school(plan: Plan, edit: dict, standards: Standards) -> Plan:
    sid = edit.get("school_id")
    if not isinstance(sid, str) or not sid:
        raise _Refused("school_id", "a new school needs a school_id")
    if (plan.ws.schools["school_id"] == sid).any():
        raise _Refused("school_id", f"school {sid} exists already")
    lon, lat = edit.get("lon"), edit.get("lat")
    if not all(isinstance(v, int | float) for v in (lon, lat)):
        raise _Refused("lon", "a new school needs numeric lon and lat (WGS84)")
    values = _parse_values(edit.get("values", {}), allow_fixed=True)
    kind = values.get("kind")
    if kind is None:
        raise _Refused("values.kind", "a new school needs its kind")
    for key in ("students_primary", "students_junior"):
        if values.get(key):
            raise _Refused(f"values.{key}", "students come with the units the school takes")
    pt = shapely.Point(lon, lat)
    boundary = plan.ws.units.to_crs(plan.ws.meta.crs).union_all()
    here = gpd.GeoSeries([pt], crs=WGS84).to_crs(plan.ws.meta.crs).iloc[0]
    if boundary.distance(here) > 500:
        raise _Refused("lon", f"({lon}, {lat}) lies outside the county")
    row = {c.name: (c.default if c.default is not None else
                    (0 if c.kind == "int" else 0.0 if c.kind == "float" else None))
           for c in SCHOOL_COLUMNS}
    hit = plan.ws.units[plan.ws.units.to_crs(plan.ws.meta.crs).contains(here)]
    row.update({"school_id": sid, "name": sid, "public": True, "boarding": False,
                "area_type": hit["area_type"].iloc[0] if len(hit) else "rural",
                "central_school_id": None})
    row.update(values)
    s = plan.ws.schools
    new = gpd.GeoDataFrame([row], geometry=[pt], crs=WGS84)
    for col in s.columns:
        if col not in new.columns:
            new[col] = 0
    schools = canonical(pd.concat([s, new[s.columns]], ignore_index=True), "schools")
    plan = replace(plan, ws=plan.ws.replace(schools=gpd.GeoDataFrame(schools, crs=WGS84)))
    plan = replace(plan, distances=_with_school(plan, sid))
    touched = {sid}
    units = edit.get("units") or {}
    if not isinstance(units, dict):
        raise _Refused("units", "expected {\"primary\": [unit ids], \"junior\": [...]}")
    zoning, enrolment = plan.zoning, plan.ws.enrolment
    for section, ids in units.items():
        section = _check_section(section)
        if section not in KIND_SECTIONS[kind]:
            raise _Refused(f"units.{section}", f"a {kind} school has no {section} section")
        for u in ids:
            _check_unit(plan, u)
        zoning, enrolment, t = _rezone(replace(plan, zoning=zoning, ws=plan.ws.replace(
            enrolment=enrolment)), list(ids), section, sid, standards)
        touched |= t
    return _finish(plan, zoning, enrolment, plan.ws.schools, touched, standards)


def _with_school(plan: Plan, school_id: str) -> travel.Distances | None:
    """Return the plan's distances with a column for a school just added to its workspace."""
    if plan.distances is None:
        return None
    return travel.extend_distances(plan.distances, plan.ws, [school_id])


def _op_close_school(plan: Plan, edit: dict, standards: Standards) -> Plan:
    sid = _check_school(plan, edit.get("school_id"))
    s = plan.ws.schools
    kind = s.loc[s["school_id"] == sid, "kind"].iloc[0]
    sections = KIND_SECTIONS[kind]
    e = plan.ws.enrolment
    at_s = (e["school_id"] == sid).to_numpy()
    zoning = plan.zoning.copy()
    if edit.get("split"):
        if plan.distances is None:
            raise _Refused("split", "splitting a catchment needs distances")
        d = plan.distances.frame()
        target = np.empty(len(e), dtype=object)
        sec_rows = _section_of(e["grade"].to_numpy(), standards)
        touched = {sid}
        for sec in sections:
            others = [x for x, k in zip(s["school_id"], s["kind"], strict=True)
                      if x != sid and k != "special" and sec in KIND_SECTIONS[k]]
            if not others:
                raise _Refused("split", f"no other school teaches {sec}: students would be lost")
            nearest = d[others].idxmin(axis=1)
            units = zoning.index[zoning[sec] == sid]
            zoning.loc[units, sec] = nearest.reindex(units).to_numpy()
            rows = at_s & (sec_rows == sec)
            target[rows] = nearest.reindex(e.loc[rows, "unit_id"]).to_numpy()
            touched |= set(target[rows])
        enrolment = _move_rows(e, at_s, target)
        into = None
    else:
        into = _check_school(plan, edit.get("into"), "into")
        if into == sid:
            raise _Refused("into", "a school cannot be closed into itself")
        for sec in sections:
            has = (zoning[sec] == sid).any() or (
                s.loc[s["school_id"] == sid, f"students_{sec}"].iloc[0] > 0)
            if has and not _teaches(s, into, sec):
                raise _Refused("into", f"school {into} has no {sec} section for {sid}'s "
                                       f"{sec} students")
        zoning = zoning.replace({sid: into})
        enrolment = _move_rows(e, at_s, into)
        touched = {sid, into}
    schools = s
    if into is not None and edit.get("with_teachers"):
        schools = s.copy()
        src = schools.index[schools["school_id"] == sid][0]
        dst = schools.index[schools["school_id"] == into][0]
        pairs = [c for c in schools.columns if c.startswith("teachers_")
                 and c.endswith(("_primary", "_junior"))]
        for col in [c for c in _MOVABLE if c in schools.columns] + pairs:
            schools.at[dst, col] = schools.at[dst, col] + schools.at[src, col]
    schools = schools[schools["school_id"] != sid].reset_index(drop=True)
    schools = schools.assign(central_school_id=schools["central_school_id"].where(
        schools["central_school_id"] != sid, into))
    plan = replace(plan, ws=plan.ws.replace(schools=schools))
    if plan.distances is not None:
        d = plan.distances
        keep = d.school_ids != sid
        plan = replace(plan, distances=replace(d, matrix=d.matrix[:, keep],
                                               school_ids=d.school_ids[keep]))
    return _finish(plan, zoning, enrolment, plan.ws.schools, touched - {sid}, standards)


def _finish(plan: Plan, zoning: pd.DataFrame, enrolment: pd.DataFrame, schools: pd.DataFrame,
            touched: set[str], standards: Standards, *, replan: bool = True) -> Plan:
    before = plan.ws.enrolment.groupby("grade")["students"].sum()
    after = enrolment.groupby("grade")["students"].sum()
    if not before.reindex(range(1, 10), fill_value=0).equals(after.reindex(range(1, 10),
                                                                           fill_value=0)):
        raise _Refused("", "the edit would change the number of students by grade")
    enrolment = enrolment[enrolment["students"] > 0].reset_index(drop=True)
    if replan:
        schools = _replan(schools, enrolment, touched, standards)
    ws = plan.ws.replace(schools=schools, enrolment=canonical(enrolment, "enrolment"))
    return replace(plan, ws=ws, zoning=zoning, touched=frozenset(touched))


_OPS = {
    "move_unit": _op_move_unit,
    "set_school": _op_set_school,
    "open_school": _op_open_school,
    "close_school": _op_close_school,
    "enforce_zoning": _op_enforce_zoning,
}


def apply_edit(plan: Plan, edit: dict, standards: Standards, *, where: str = "edit") -> Plan:
    """Apply one edit; return a new plan (the given one is never changed).

    Raises
    ------
    InputError
        The edit is malformed, names unknown units or schools, or would lose students; the
        message is located at `where` and the edit's field.
    """
    if not isinstance(edit, dict) or edit.get("op") not in _OPS:
        got = edit.get("op") if isinstance(edit, dict) else edit
        raise InputError([Problem("", where, None, "op", f"expected an op in {', '.join(OPS)}, "
                                                        f"got {got!r}")])
    try:
        return _OPS[edit["op"]](plan, edit, standards)
    except _Refused as exc:
        raise InputError([Problem("", where, None, exc.column, exc.message)]) from None


def apply_edits(plan: Plan, edits: list[dict], standards: Standards, *, file: str = ""
                ) -> Plan:
    """Apply edits in order; all or nothing (the first refused edit raises)."""
    touched: set[str] = set()
    for k, edit in enumerate(edits, start=1):
        try:
            plan = apply_edit(plan, edit, standards, where=f"edit {k}")
        except InputError as exc:
            p = exc.problems[0]
            raise InputError([replace(p, file=file)]) from None
        touched |= plan.touched
    return replace(plan, touched=frozenset(touched))


def catchments_from_zoning(units: gpd.GeoDataFrame, zoning: pd.DataFrame, crs_m: str
                           ) -> gpd.GeoDataFrame:
    """Rebuild catchment polygons by dissolving units by their zoned school, per section."""
    u = units[["unit_id", "geometry"]].to_crs(crs_m).set_index("unit_id")
    parts = []
    for sec in SECTIONS:
        z = zoning[sec].dropna()
        g = gpd.GeoDataFrame({"school_id": z.to_numpy(), "section": sec},
                             geometry=u.geometry.reindex(z.index).to_numpy(), crs=crs_m)
        parts.append(g.dissolve(by="school_id", as_index=False, sort=True))
    out = pd.concat(parts, ignore_index=True)[["school_id", "section", "geometry"]]
    out["geometry"] = out.geometry.buffer(0.01).buffer(-0.01)
    return canonical(gpd.GeoDataFrame(out, crs=crs_m).to_crs(WGS84), "catchments")


def materialise(plan: Plan) -> Workspace:
    """Return the plan as a workspace with catchments rebuilt from its units."""
    catch = catchments_from_zoning(plan.ws.units, plan.zoning, plan.ws.meta.crs)
    return plan.ws.replace(catchments=catch)


# --- the scenarios table ----------------------------------------------------------------------

def scenario_row(scenarios: pd.DataFrame, name: str) -> dict:
    """Return a saved scenario's row, or raise a located error listing the saved ones."""
    rows = scenarios[scenarios["name"] == name]
    if rows.empty:
        saved = ", ".join(scenarios["name"]) or "none"
        raise InputError([Problem("", "layer scenarios", None, "name",
                                  f"no scenario named {name!r} (saved scenarios: {saved})")])
    return rows.iloc[0].to_dict()


def scenario_edits(scenarios: pd.DataFrame, name: str) -> list[dict]:
    """Return the full edit list of a scenario: its base's edits first, then its own."""
    chain: list[list[dict]] = []
    seen = set()
    while name != BASELINE:
        if name in seen:
            raise InputError([Problem("", "layer scenarios", None, "base",
                                      f"scenario {name!r} is its own base (a cycle)")])
        seen.add(name)
        row = scenario_row(scenarios, name)
        chain.append(json.loads(row["edits"] or "[]"))
        name = row["base"] or BASELINE
    return [e for edits in reversed(chain) for e in edits]


def build_plan(ws: Workspace, name: str, standards: Standards, *,
               distances: travel.Distances | None = None) -> Plan:
    """Return the plan of a saved scenario (or of the baseline for "baseline")."""
    base = plan_from_workspace(ws, distances=distances)
    if name == BASELINE:
        return base
    return apply_edits(base, scenario_edits(ws.scenarios, name), standards)


def _fail(message: str, column: str = "name") -> InputError:
    return InputError([Problem("", "layer scenarios", None, column, message)])


def new_scenario(table: pd.DataFrame, name: str, *, base: str = BASELINE, author: str = "",
                 note: str = "", created: str = "") -> pd.DataFrame:
    """Return the scenarios table with a new, empty scenario on `base`."""
    if not name or name == BASELINE:
        raise _fail(f"a scenario needs a name other than {BASELINE!r}")
    if (table["name"] == name).any():
        raise _fail(f"a scenario named {name!r} exists already")
    if base != BASELINE:
        scenario_row(table, base)
    row = pd.DataFrame([{"name": name, "base": base, "created": created, "author": author,
                         "note": note, "edits": "[]"}]).astype("str")
    return pd.concat([table, row], ignore_index=True)


def with_edits(table: pd.DataFrame, name: str, edits: list[dict]) -> pd.DataFrame:
    """Return the table with a scenario's own edit list replaced by `edits`."""
    scenario_row(table, name)
    out = table.copy()
    out.loc[out["name"] == name, "edits"] = json.dumps(edits, ensure_ascii=False,
                                                       sort_keys=True)
    return out


def own_edits(table: pd.DataFrame, name: str) -> list[dict]:
    """Return a scenario's own edits (without its base's)."""
    return json.loads(scenario_row(table, name)["edits"] or "[]")


def delete_scenario(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return the table without a scenario; refused while another builds on it."""
    scenario_row(table, name)
    users = table.loc[table["base"] == name, "name"].tolist()
    if users:
        raise _fail(f"scenario {name!r} is the base of {', '.join(users)}; delete those first")
    return table[table["name"] != name].reset_index(drop=True)


def unit_at(ws: Workspace, lon: float, lat: float) -> str | None:
    """Return the unit containing a WGS84 point (a click on the map), or None."""
    pt = shapely.Point(lon, lat)
    hit = ws.units[ws.units.geometry.contains(pt)]
    return None if hit.empty else str(hit["unit_id"].iloc[0])
