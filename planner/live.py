"""Incremental re-evaluation of a plan, edit by edit (issue 5).

A :class:`Live` is a plan together with the arrays its evaluation is computed from: the
schools' columns, the enrolment rows (unit, school, grade, students, distance), each unit's
zoned school per section and, per school and section, the students by grade, the zoned and
in-scope students of G13 and the students beyond the service radius of G1.

A ``move_unit``, ``set_school`` or ``enforce_zoning`` edit touches only what it changes: the
enrolment rows that move are taken out of those counts and put back at their new school, the
schools they leave and join are re-planned at the class cap, and the checklist is rebuilt from
the arrays (no frame, overlay or polygon). Opening or closing a school changes the set of
schools, so those edits go through :func:`planner.scenario.apply_edit` and the arrays are
rebuilt. The plan as frames (for maps and exports) and the evaluation's detail tables are
built only when asked for; both equal what the full path gives (tests/test_live.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner import checklist as ck
from planner import scenario as sc
from planner.enrolment import holdings_from_zoning, zoned_enrolment
from planner.errors import InputError, Problem
from planner.evaluation import Evaluation, assemble, county_rows, teacher_notes
from planner.indicators import (
    cv_rows,
    indicator_arrays,
    resource_indicators,
    school_sections,
    section_arrays,
)
from planner.layout import layout_checks, section_schools
from planner.schema import SECTIONS
from planner.standards import DEFAULT_RADIUS_NOTE, Standards
from planner.workspace import canonical

FAST_OPS = ("move_unit", "set_school", "enforce_zoning")
_SCOPE_COLUMNS = {"public", "boarding", "area_type"}


@dataclass
class _Arrays:
    """The mutable arrays behind a :class:`Live` (copied before every edit)."""

    cols: dict[str, np.ndarray]      # school columns (no geometry), in the plan's row order
    es: np.ndarray                   # enrolment row → school index
    dist: np.ndarray                 # enrolment row → distance to its school (NaN if unknown)
    zone: np.ndarray                 # (2, units): zoned school index per section, −1 if none
    grades: np.ndarray               # (schools, 9): students by grade
    g13: np.ndarray                  # (schools, 2, 2): in-scope students, zoned among them
    beyond: np.ndarray               # (schools, 2): students beyond the service radius
    off_rows: np.ndarray             # per unit: in-scope enrolment rows out of their zone
    scope: np.ndarray                # per school: in G13's scope (public, day, urban/town)
    radius: np.ndarray               # (schools, 2): service radius per section
    changed: set[str]                # school columns changed since the plan
    touched: set[str]                # school ids the edits touched

    def copy(self) -> _Arrays:
        return _Arrays(cols=dict(self.cols), es=self.es.copy(), dist=self.dist.copy(),
                       zone=self.zone.copy(), grades=self.grades.copy(), g13=self.g13.copy(),
                       beyond=self.beyond.copy(), off_rows=self.off_rows.copy(),
                       scope=self.scope, radius=self.radius,
                       changed=set(self.changed), touched=set(self.touched))


@dataclass(frozen=True)
class _Fixed:
    """What no fast edit changes: units, enrolment rows' units and grades, distances."""

    base: sc.Plan                    # the plan the arrays were built from
    school_ids: np.ndarray
    school_index: dict[str, int]
    unit_ids: np.ndarray
    unit_index: dict[str, int]
    eu: np.ndarray                   # enrolment row → unit index
    grade: np.ndarray
    n: np.ndarray
    junior: np.ndarray               # enrolment row is of the junior section
    rows_of_unit: list[np.ndarray]
    dmatrix: np.ndarray | None       # (units, schools) in the plan's school order, or None
    nearest: np.ndarray              # (2, units): nearest school index of the section, −1
    children: np.ndarray             # (2, units): children of the section living in the unit
    county: dict[str, dict]          # checklist rows from the county table
    teaches: np.ndarray              # (2, schools): the school teaches the section


@dataclass(frozen=True)
class Live:
    """A plan with its evaluation kept up to date edit by edit."""

    fixed: _Fixed
    arrays: _Arrays
    standards: Standards

    @classmethod
    def from_plan(cls, plan: sc.Plan, standards: Standards) -> Live:
        """Build the arrays of a plan (as costly as one full evaluation)."""
        ws = plan.ws
        schools = pd.DataFrame(ws.schools.drop(columns=ws.schools.geometry.name))
        cols = {c: schools[c].to_numpy(dtype=object if schools[c].dtype == "str" else None)
                for c in schools.columns}
        sids = cols["school_id"]
        sindex = {s: i for i, s in enumerate(sids)}
        uids = ws.units["unit_id"].to_numpy(dtype=object)
        uindex = {u: i for i, u in enumerate(uids)}
        e = ws.enrolment
        eu = np.array([uindex[u] for u in e["unit_id"].to_numpy(dtype=object)], dtype=np.int64)
        es = np.array([sindex[s] for s in e["school_id"].to_numpy(dtype=object)],
                      dtype=np.int64)
        grade = e["grade"].to_numpy(dtype=np.int64)
        junior = grade >= standards.junior_from_grade
        order = np.argsort(eu, kind="stable")
        bounds = np.searchsorted(eu[order], np.arange(len(uids) + 1))
        rows_of_unit = [order[bounds[i]:bounds[i + 1]] for i in range(len(uids))]
        zone = np.full((2, len(uids)), -1, dtype=np.int64)
        for k, sec in enumerate(SECTIONS):
            z = plan.zoning[sec].reindex(uids).to_numpy(dtype=object)
            zone[k] = [sindex.get(x, -1) if isinstance(x, str) else -1 for x in z]
        dmatrix = None
        if plan.distances is not None:
            d = plan.distances
            rows = pd.Index(d.unit_ids).get_indexer(uids)
            cols_d = pd.Index(d.school_ids).get_indexer(sids)
            dmatrix = np.full((len(uids), len(sids)), np.nan)
            ok_r, ok_c = rows >= 0, cols_d >= 0
            dmatrix[np.ix_(ok_r, ok_c)] = d.matrix[np.ix_(rows[ok_r], cols_d[ok_c])]
        teaches = np.stack([section_schools(schools, sec) for sec in SECTIONS])
        nearest = np.full((2, len(uids)), -1, dtype=np.int64)
        if dmatrix is not None:
            for k in range(2):
                idx = np.flatnonzero(teaches[k] & np.isfinite(dmatrix).any(axis=0))
                if len(idx):
                    sub = np.where(np.isnan(dmatrix[:, idx]), np.inf, dmatrix[:, idx])
                    best = np.argmin(sub, axis=1)
                    finite = np.isfinite(sub[np.arange(len(uids)), best])
                    nearest[k] = np.where(finite, idx[best], -1)
        g = ws.units[[f"g{i}" for i in range(1, 10)]].to_numpy(dtype=np.int64)
        cut = standards.junior_from_grade - 1
        children = np.stack([g[:, :cut].sum(axis=1), g[:, cut:].sum(axis=1)])
        fixed = _Fixed(base=plan, school_ids=sids, school_index=sindex, unit_ids=uids,
                       unit_index=uindex, eu=eu, grade=grade,
                       n=e["students"].to_numpy(dtype=np.int64), junior=junior,
                       rows_of_unit=rows_of_unit, dmatrix=dmatrix, nearest=nearest,
                       children=children, county=county_rows(ws.county, standards),
                       teaches=teaches)
        dist = (dmatrix[eu, es] if dmatrix is not None and len(es)
                else np.full(len(es), np.nan))
        arrays = _Arrays(cols=cols, es=es, dist=dist, zone=zone,
                         grades=np.zeros((len(sids), 9), dtype=np.int64),
                         g13=np.zeros((len(sids), 2, 2), dtype=np.int64),
                         beyond=np.zeros((len(sids), 2), dtype=np.int64),
                         off_rows=np.zeros(len(uids), dtype=np.int64),
                         scope=np.zeros(0, dtype=bool), radius=np.zeros((0, 2)),
                         changed=set(), touched=set())
        live = cls(fixed=fixed, arrays=arrays, standards=standards)
        live._rescope()
        live._account(np.arange(len(es)), +1)
        return live

    # --- counts ---------------------------------------------------------------------------

    def _rescope(self) -> None:
        """Recompute which schools G13 counts and their service radii."""
        a = self.arrays
        c = a.cols
        a.scope = (c["public"].astype(bool) & ~c["boarding"].astype(bool)
                   & np.isin(c["area_type"], ["urban", "town"]))
        a.radius = np.stack([np.array([self.standards.section(sec).radius_m(x)
                                       for x in c["area_type"]], dtype=float)
                             for sec in SECTIONS], axis=1).reshape(len(c["area_type"]), 2)

    def _account(self, rows: np.ndarray, sign: int) -> None:
        """Add (sign +1) or take out (−1) enrolment rows from every count."""
        f, a = self.fixed, self.arrays
        if not len(rows):
            return
        s, k, n = a.es[rows], f.junior[rows].astype(np.int64), f.n[rows] * sign
        np.add.at(a.grades, (s, f.grade[rows] - 1), n)
        in_scope = a.scope[s]
        if self.standards.zoned_entry_grades_only:
            in_scope &= np.isin(f.grade[rows], [1, self.standards.junior_from_grade])
        zoned = a.zone[k, f.eu[rows]] == s
        np.add.at(a.g13, (s, k, 0), np.where(in_scope, n, 0))
        np.add.at(a.g13, (s, k, 1), np.where(in_scope & zoned, n, 0))
        np.add.at(a.off_rows, f.eu[rows], np.where(in_scope & ~zoned, sign, 0))
        far = a.dist[rows] > a.radius[s, k]
        np.add.at(a.beyond, (s, k), np.where(far, n, 0))

    def _replan(self, touched: set[str]) -> None:
        """Recount the touched schools' students and re-plan their classes at the cap."""
        a, std = self.arrays, self.standards
        for col in ("students_primary", "students_junior", "classes_primary", "classes_junior",
                    "max_class_size_primary", "max_class_size_junior"):
            a.cols[col] = a.cols[col].copy()
            a.changed.add(col)
        cut = std.junior_from_grade - 1
        for sid in touched:
            i = self.fixed.school_index.get(sid)
            if i is None:
                continue
            for sec, counts in (("primary", a.grades[i, :cut]), ("junior", a.grades[i, cut:])):
                n, classes, biggest = sc.plan_classes(
                    counts, std.section(sec).class_size_cap,
                    multigrade=a.cols["kind"][i] == "teaching_point")
                a.cols[f"students_{sec}"][i] = n
                a.cols[f"classes_{sec}"][i] = classes
                a.cols[f"max_class_size_{sec}"][i] = biggest

    def _move(self, rows: np.ndarray, to: np.ndarray | int, recount: np.ndarray) -> set[str]:
        """Send enrolment rows to other schools; `recount` rows may change zoned status."""
        f, a = self.fixed, self.arrays
        before = set(f.school_ids[a.es[rows]])
        self._account(recount, -1)
        a.es[rows] = to
        if f.dmatrix is not None:
            a.dist[rows] = f.dmatrix[f.eu[rows], a.es[rows]]
        self._account(recount, +1)
        return before | set(f.school_ids[a.es[rows]])

    # --- edits ----------------------------------------------------------------------------

    def apply(self, edit: dict, *, where: str = "edit") -> Live:
        """Apply one edit and return the new state (this one is unchanged).

        Raises
        ------
        InputError
            As :func:`planner.scenario.apply_edit` does, with the same messages.
        """
        op = edit.get("op") if isinstance(edit, dict) else None
        if op not in FAST_OPS or (op == "set_school" and not self._fast_values(edit)):
            plan = sc.apply_edit(self.plan, edit, self.standards, where=where)
            return Live.from_plan(plan, self.standards)._with_touched(plan.touched)
        new = Live(fixed=self.fixed, arrays=self.arrays.copy(), standards=self.standards)
        new.arrays.touched = set()
        try:
            getattr(new, f"_op_{op}")(edit)
        except sc._Refused as exc:
            raise InputError([Problem("", where, None, exc.column, exc.message)]) from None
        return new

    def apply_all(self, edits: list[dict]) -> Live:
        """Apply edits in order (all or nothing: the first refused edit raises)."""
        live, touched = self, set()
        for k, edit in enumerate(edits, start=1):
            live = live.apply(edit, where=f"edit {k}")
            touched |= live.arrays.touched
        return live._with_touched(touched)

    def _with_touched(self, touched) -> Live:
        arrays = self.arrays.copy()
        arrays.touched = set(touched)
        return Live(fixed=self.fixed, arrays=arrays, standards=self.standards)

    def _fast_values(self, edit: dict) -> bool:
        values = edit.get("values")
        return isinstance(values, dict) and all(
            k in self.arrays.cols and v is not None for k, v in values.items())

    def _school(self, school_id: object, column: str = "school_id") -> int:
        i = self.fixed.school_index.get(school_id) if isinstance(school_id, str) else None
        if i is None:
            raise sc._Refused(column, f"unknown school {school_id!r}")
        return i

    def _op_move_unit(self, edit: dict) -> None:
        f, a = self.fixed, self.arrays
        unit = edit.get("unit_id")
        u = f.unit_index.get(unit) if isinstance(unit, str) else None
        if u is None:
            raise sc._Refused("unit_id", f"unknown unit {unit!r}")
        section = sc._check_section(edit.get("section"))
        k = SECTIONS.index(section)
        to = self._school(edit.get("to_school"), "to_school")
        if not f.teaches[k, to]:
            raise sc._Refused("to_school", f"school {edit['to_school']} has no {section} "
                                           "section")
        old = a.zone[k, u]
        rows = f.rows_of_unit[u]
        rows = rows[f.junior[rows] == bool(k)]
        moving = rows[a.es[rows] == old] if old >= 0 else rows[:0]
        self._account(rows, -1)
        a.zone[k, u] = to
        self._account(rows, +1)
        touched = self._move(moving, to, moving) | {f.school_ids[to]}
        if old >= 0:
            touched.add(f.school_ids[old])
        self._replan(touched)
        a.touched = touched

    def _op_enforce_zoning(self, edit: dict) -> None:
        f, a = self.fixed, self.arrays
        school = edit.get("school_id")
        target = self._school(school) if school is not None else None
        only = edit.get("section")
        if only is not None:
            sc._check_section(only)
        zoned = a.zone[f.junior.astype(np.int64), f.eu]
        mask = (zoned >= 0) & (a.es != zoned) & (a.cols["kind"][a.es] != "special")
        if target is not None:
            mask &= a.es == target
        if only is not None:
            mask &= f.junior == (only == "junior")
        rows = np.flatnonzero(mask)
        touched = self._move(rows, zoned[rows], rows)
        self._replan(touched)
        a.touched = touched

    def _op_set_school(self, edit: dict) -> None:
        a = self.arrays
        i = self._school(edit.get("school_id"))
        values = sc._parse_values(edit.get("values"))
        scope = _SCOPE_COLUMNS & set(values)
        rows = np.flatnonzero(a.es == i) if scope else np.arange(0)
        self._account(rows, -1)
        for key, value in values.items():
            a.cols[key] = a.cols[key].copy()
            a.cols[key][i] = value
            a.changed.add(key)
        if scope:
            self._rescope()
        self._account(rows, +1)
        a.touched = {self.fixed.school_ids[i]}

    # --- results --------------------------------------------------------------------------

    @functools.cached_property
    def plan(self) -> sc.Plan:
        """The plan as frames (built when first asked for)."""
        f, a = self.fixed, self.arrays
        ws = f.base.ws
        schools = ws.schools
        if a.changed:
            schools = schools.copy()
            for col in sorted(a.changed):
                schools[col] = a.cols[col]
            schools = canonical(schools, "schools")
        e = pd.DataFrame({"unit_id": f.unit_ids[f.eu], "school_id": f.school_ids[a.es],
                          "grade": f.grade, "students": f.n})
        e = e.groupby(["unit_id", "school_id", "grade"], as_index=False, sort=False)[
            "students"].sum()
        e = e[e["students"] > 0].reset_index(drop=True)
        zoning = pd.DataFrame(
            {sec: np.where(a.zone[k] >= 0, f.school_ids[np.maximum(a.zone[k], 0)], None)
             for k, sec in enumerate(SECTIONS)},
            index=pd.Index(f.unit_ids, name="unit_id")).astype(object)
        zoning.columns.name = "section"
        return replace(f.base, ws=ws.replace(schools=schools,
                                             enrolment=canonical(e, "enrolment")),
                       zoning=zoning, touched=frozenset(a.touched))

    @functools.cached_property
    def evaluation(self) -> Evaluation:
        """The evaluation of the plan: the checklist now, the detail frames when asked for."""
        f, a, std = self.fixed, self.arrays, self.standards
        sections = section_arrays(a.cols, std)
        values = indicator_arrays(sections, std)
        values.pop("_ok")
        ind = {**sections, **values}
        cvs = cv_rows(ind, std)
        notes = teacher_notes(sections["teacher_basis"], sections["school_id"],
                              sections["name"])
        rooms = ck.rooms_arrays(a.cols, std)
        caps = ck.cap_rows(a.cols, std)
        rows = {r["id"]: r for r in ck.resource_rows(ind, cvs, std)}
        rows.update(ck.school_rows(a.cols, rooms, caps, std))
        rows.update(f.county)
        method = None
        if f.base.distances is not None:
            rows["G13"] = ck.g13_row_from(self._g13_sections(), int(self._out_students()),
                                          int(np.count_nonzero(a.off_rows)),
                                          std.zoned_entry_grades_only)
            method = f.base.distances.method
            bad_units = int(((a.zone < 0).any(axis=0)).sum())
            rows["G1"] = ck.g1_row_from([], bad_units, self._g1_summary(), method, std)
            notes += [*f.base.distances.notes, DEFAULT_RADIUS_NOTE]
        checklist, profile_checks, verdict = assemble(rows, a.cols, cvs, std)
        if f.base.ws.county is None:
            notes.append("no county table: the entered indicators (G2, G6–G11, G14, G15, "
                         "Q1–Q9, S1) are missing")
        plan = functools.partial(getattr, self, "plan")
        return Evaluation(
            standards=std, checklist=checklist, profile_checks=profile_checks,
            verdict=verdict, notes=tuple(notes), distance_method=method,
            frames={
                "zoning": lambda: plan().zoning,
                "indicators": lambda: resource_indicators(school_sections(a.cols, std), std),
                "cvs": lambda: pd.DataFrame(cvs),
                "caps": lambda: ck.cap_violations(pd.DataFrame(a.cols), std),
                "rooms": lambda: pd.DataFrame(rooms),
                "zoned": lambda: zoned_enrolment(plan().ws, plan().zoning, std),
                "layout": lambda: layout_checks(
                    plan().ws, holdings_from_zoning(plan().zoning), plan().zoning,
                    plan().distances, std, catchments_from_units=True)
                if plan().distances is not None else None,
            })

    def _g13_sections(self) -> list[dict]:
        g, std = self.arrays.g13, self.standards
        rows = []
        for sec, part in (("primary", g[:, 0]), ("junior", g[:, 1]), ("all", g.sum(axis=1))):
            total, z = int(part[:, 0].sum()), int(part[:, 1].sum())
            minimum = None if sec == "all" else std.section(sec).zoned_share_min
            ratio = z / total if total else float("nan")
            rows.append({"section": sec, "students": total, "zoned": z, "ratio": ratio,
                         "minimum": minimum, "ok": None if minimum is None or total == 0
                         else bool(ratio >= minimum - 1e-12)})
        return rows

    def _out_students(self) -> int:
        g = self.arrays.g13
        return int(g[:, :, 0].sum() - g[:, :, 1].sum())

    def _g1_summary(self) -> list[dict]:
        f, a = self.fixed, self.arrays
        out = []
        for k, sec in enumerate(SECTIONS):
            total = int(f.n[f.junior == bool(k)].sum())
            b = int(a.beyond[:, k].sum())
            differs = a.zone[k] != f.nearest[k]
            out.append({"section": sec, "students": total, "beyond": b,
                        "share_beyond": b / total if total else float("nan"),
                        "units_not_nearest": int(differs.sum()),
                        "students_not_nearest": int(f.children[k][differs].sum())})
        return out

