"""The engine: evaluate a plan against a standards profile — every indicator, one verdict.

:func:`evaluate` reads a :class:`~planner.plan.Plan` (or builds one from a workspace) and
returns an :class:`Evaluation`. The checklist, the profile checks and the verdict are built
from arrays straight away; the detail tables (indicators, CVs, caps, G13, G1, gaps, …) when
first asked for. Every rule it applies lives once in the module named after it
(indicators.py R1–R7 and CVs, checklist.py G3–G5/G12 and the county rows, zoning.py G13,
layout.py G1); an edited plan is evaluated by the same call, so the command line, the app and
the projection of later years read the same numbers. :meth:`Evaluation.to_dict` is the JSON
contract of SPEC §5.1.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner import checklist as ck
from planner.i18n import LANGS, t
from planner.indicators import (
    EXCLUSION_REASONS,
    basic_balance_rows,
    cv_drivers,
    cv_rows,
    exclusion_reasons,
    exclusions,
    gaps,
    indicator_arrays,
    resource_indicators,
    section_arrays,
)
from planner.layout import Layout, layout_checks
from planner.plan.model import Plan, plan_from_workspace
from planner.standards import DEFAULT_RADIUS_NOTE, RESOURCE_KEYS, Standards
from planner.workspace import ENROLMENT_FROM_ZONING, Workspace
from planner.zoning import ZonedEnrolment, zoned_enrolment

PROFILE_COLUMNS = ["id", "value", "threshold", "status", "source", "evidence"]
NO_COUNTY_NOTE = ("no county table: the entered indicators (G2, G6–G11, G14, G15, Q1–Q9, S1) "
                  "are missing")


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything the evaluation found (all frames are fresh; callers may keep them).

    The checklist, profile checks and verdict are always there; the detail frames come from
    `frames`, each either the value or a function that builds it when first asked for.

    Attributes
    ----------
    standards
        The profile evaluated against.
    checklist
        The 32 rows: id, name_zh, name_en, threshold, value, status, source, evidence,
        evidence_zh.
    profile_checks
        Extra rules of the profile (the basic-balance combined CV where it sets a limit).
    verdict
        "pass", "fail" or "incomplete".
    notes
        What the reader must know: schools left out, teacher columns estimated by weights,
        the distance method, default radii, missing layers.
    distance_method
        "road" or the straight-line fallback, when distances were used.
    year
        The school year evaluated (the plan's), or None.
    indicators, cvs, caps, rooms, exclusions, zoning, zoned, layout, gaps, drivers
        The detail tables (see their properties).
    """

    standards: Standards
    checklist: pd.DataFrame
    profile_checks: pd.DataFrame
    verdict: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    distance_method: str | None = None
    year: int | None = None
    frames: Mapping[str, object] = field(default_factory=dict, repr=False)

    def _frame(self, name: str):
        value = self.frames.get(name)
        return value() if callable(value) else value

    @functools.cached_property
    def indicators(self) -> pd.DataFrame:
        """School sections in scope with their R1–R7.

        Columns: students, resources, R1–R7 (by key), met, below_floor, compliant, missed,
        teacher_basis.
        """
        return self._frame("indicators")

    @functools.cached_property
    def cvs(self) -> pd.DataFrame:
        """CV per section and indicator against its limit."""
        return self._frame("cvs")

    @functools.cached_property
    def caps(self) -> pd.DataFrame:
        """G4 size and G5 class-size violations."""
        return self._frame("caps")

    @functools.cached_property
    def rooms(self) -> pd.DataFrame:
        """G3 per school."""
        return self._frame("rooms")

    @functools.cached_property
    def exclusions(self) -> pd.DataFrame:
        """School sections left out of R1–R7, the CVs and the verdicts, and why."""
        return self._frame("exclusions")

    @functools.cached_property
    def certified(self) -> pd.DataFrame:
        """G12 per school: compulsory-section teachers, certified, short."""
        return self._frame("certified")

    @functools.cached_property
    def zoning(self) -> pd.DataFrame | None:
        """Each unit's zoned school per section, or None."""
        return self._frame("zoning")

    @functools.cached_property
    def zoned(self) -> ZonedEnrolment | None:
        """G13's counts and tables, or None."""
        return self._frame("zoned")

    @functools.cached_property
    def layout(self) -> Layout | None:
        """G1's checks, or None."""
        return self._frame("layout")

    @functools.cached_property
    def gaps(self) -> pd.DataFrame:
        """What each failing school section lacks (see :func:`planner.indicators.gaps`)."""
        return gaps(self.indicators, self.standards)

    @functools.cached_property
    def drivers(self) -> pd.DataFrame:
        """For every CV over its limit, the school sections that pull it up most."""
        parts = []
        over = self.cvs[self.cvs["ok"] == False]  # noqa: E712
        for rec in over.to_dict("records"):
            d = cv_drivers(self.indicators, rec["section"], rec["key"])
            d.insert(0, "id", rec["id"])
            d.insert(0, "section", rec["section"])
            parts.append(d)
        if parts:
            return pd.concat(parts, ignore_index=True)
        return pd.DataFrame(columns=["section", "id", "school_id", "name", "students", "value",
                                     "mean", "share_of_variance", "direction"])

    def to_dict(self) -> dict:
        """Return the evaluation as the JSON object of SPEC §5.1 (plus detail).

        Every number is finite: NaN and infinities become null.
        """
        sections = {}
        for sec in ("primary", "junior"):
            part = self.indicators[self.indicators["section"] == sec]
            cv = self.cvs[self.cvs["section"] == sec]
            sections[sec] = {
                "cv": {k: _num(v) for k, v in zip(cv["key"], cv["cv"], strict=True)},
                "cv_limit": self.standards.section(sec).cv_limit,
                "schools": [
                    {"school_id": r["school_id"], "name": r["name"], "kind": r["kind"],
                     "students": int(r["students"]),
                     "indicators": {k: _num(r[k]) for k in RESOURCE_KEYS},
                     "met": int(r["met"]), "compliant": bool(r["compliant"]),
                     "missed": [m for m in r["missed"].split(",") if m],
                     "teacher_basis": r["teacher_basis"]}
                    for r in part.to_dict("records")
                ],
            }
        return {
            "standards_profile": self.standards.name,
            "year": self.year,
            "verdict": self.verdict,
            "sections": sections,
            "checklist": [_clean(r) for r in self.checklist.to_dict("records")],
            "profile_checks": [_clean(r) for r in self.profile_checks.to_dict("records")],
            "exclusions": [
                {**r, **{f"reason_{lang}": exclusion_reason(r["reason"], self.standards, lang)
                         for lang in LANGS}}
                for r in _records(self.exclusions)],
            "gaps": [_clean(r) for r in self.gaps.to_dict("records")],
            "cv_drivers": [_clean(r) for r in self.drivers.to_dict("records")],
            "caps": [_clean(r) for r in self.caps.to_dict("records")],
            "notes": list(self.notes),
            "zoning": None if self.zoned is None else {
                "by_section": _records(self.zoned.by_section),
                "by_school": _records(self.zoned.by_school),
                "out_of_zone": _records(self.zoned.out_of_zone),
                "entry_grades_only": self.zoned.entry_grades_only,
            },
            "layout": None if self.layout is None else {
                "distance_method": self.distance_method,
                "summary": _records(self.layout.summary),
                "tiling": _records(self.layout.tiling),
                "unit_problems": _records(self.layout.unit_problems),
                "beyond_radius": _records(self.layout.beyond_radius),
                "unit_distances": _records(self.layout.unit_distances),
            },
        }

    def summary(self) -> dict[str, int]:
        """Return counts: checklist rows by status and failing school sections."""
        counts = self.checklist["status"].value_counts().to_dict()
        return {"pass": int(counts.get("pass", 0)), "fail": int(counts.get("fail", 0)),
                "missing": int(counts.get("missing", 0)),
                "school_sections": len(self.indicators),
                "school_sections_failing": int((~self.indicators["compliant"]).sum())}


def _num(x: object) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _records(df: pd.DataFrame) -> list[dict]:
    return [_clean(r) for r in df.to_dict("records")]


def _clean(value: object) -> object:
    """A JSON-safe copy: numpy scalars as Python numbers, NaN and ±inf as None, recursively."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def evaluate(source: Plan | Workspace, standards: Standards | None = None, *,
             distances="auto") -> Evaluation:
    """Evaluate all 32 indicators of a plan (or of a workspace's baseline).

    Parameters
    ----------
    source
        A plan, or a workspace (a schools layer alone is enough for R1–R7, the CVs, G3–G5
        and G12) whose baseline plan is built first.
    standards
        For a workspace, the profile; by default the one its meta table names. A plan
        carries its own.
    distances
        For a workspace: as :func:`planner.plan.plan_from_workspace` takes them.

    Returns
    -------
    The evaluation. Rows that need layers or county values the workspace lacks are `missing`.
    """
    if isinstance(source, Workspace):
        from planner.standards import profile_of

        source = plan_from_workspace(source, standards or profile_of(source.meta),
                                     distances=distances)
    return evaluate_plan(source)


def evaluate_plan(plan: Plan) -> Evaluation:
    """Evaluate a plan: the checklist from arrays now, the detail tables when asked for."""
    std, cols = plan.standards, plan.schools
    sections = section_arrays(cols, std)
    values = indicator_arrays(sections, std)
    values.pop("_ok")
    ind = {**sections, **values}
    cvs = cv_rows(ind, std)
    rooms = ck.rooms_arrays(cols, std)
    caps = ck.cap_rows(cols, std)
    rows = {r["id"]: r for r in ck.resource_rows(ind, cvs, std)}
    rows.update(ck.school_rows(cols, rooms, caps, std))
    rows.update(plan.once(("county_rows", std), lambda: county_rows(plan.source.county, std)))
    planned = [x for x in plan.exchanges if x[0] == plan.year]
    if planned:
        year, teachers, backbone = planned[-1]
        eligible = ck.compulsory_teacher_total(cols, std)
        rows["G11"] = ck.g11_planned_row(year, teachers, backbone, eligible, std)
    notes = exclusion_notes(cols, std) + teacher_notes(
        sections["teacher_basis"], sections["school_id"], sections["name"])
    zoned = lay = None
    if plan.has_zoning:
        zoned = zoned_enrolment(plan)
        rows["G13"] = ck.g13_row_from(zoned.sections, zoned.out_students, zoned.out_units,
                                      zoned.entry_grades_only)
        if plan.distances is not None:
            lay = layout_checks(plan)
            tiling = [] if plan.polygons is None else plan.polygons.tiling.to_dict("records")
            rows["G1"] = ck.g1_row_from(tiling, lay.bad_units, lay.sections,
                                        plan.distances.method, std)
            notes += [*plan.distances.notes, DEFAULT_RADIUS_NOTE]
    checklist, profile_checks, verdict = assemble(rows, cols, std)
    notes += source_notes(plan.source)
    if plan.source.county is None:
        notes.append(NO_COUNTY_NOTE)
    return Evaluation(
        standards=std, checklist=checklist, profile_checks=profile_checks, verdict=verdict,
        notes=tuple(notes), year=plan.year,
        distance_method=plan.distances.method if lay is not None else None,
        frames={
            "indicators": lambda: resource_indicators(pd.DataFrame(sections), std),
            "cvs": lambda: pd.DataFrame(cvs),
            "caps": lambda: pd.DataFrame(caps, columns=ck.CAP_COLUMNS),
            "rooms": lambda: pd.DataFrame(rooms),
            "exclusions": lambda: exclusions(cols, std),
            "certified": lambda: ck.certified_shortfall(cols, std),
            "zoning": (lambda: plan.zoning) if plan.has_zoning else None,
            "zoned": zoned,
            "layout": lay,
        })


def exclusion_notes(cols, standards: Standards) -> list[str]:
    """Say which schools are left out of R1–R7, the CVs and the verdicts, and why."""
    reason = exclusion_reasons(cols, standards)
    out = reason != None  # noqa: E711 (an object array)
    if not out.any():
        return []
    names = np.asarray(cols["name"], dtype=object)
    parts = [f"{exclusion_reason(r, standards, 'en')}: {', '.join(names[reason == r])}"
             for r in EXCLUSION_REASONS if (reason == r).any()]
    return [f"{int(out.sum())} school(s) left out of R1–R7, the CVs and the verdicts — "
            + "; ".join(parts)]


def exclusion_reason(reason: str, standards: Standards, lang: str = "zh") -> str:
    """Say why a school is left out, in `lang`.

    Parameters
    ----------
    reason
        One of :data:`planner.indicators.EXCLUSION_REASONS`.
    standards
        The profile (its teaching-point threshold is part of the reason).
    lang
        "zh" or "en".
    """
    return t(f"excl_{reason}", lang, n=standards.teaching_point_min_students)


def source_notes(ws: Workspace) -> list[str]:
    """Say which layers were derived on import rather than given by the bureau."""
    meta, out = ws.meta, []
    if meta.enrolment_source == ENROLMENT_FROM_ZONING:
        out.append("no enrolment table was given: every child is taken to attend the zoned "
                   "school, so G13 is met by construction and no out-of-zone choice is seen")
    if meta.units_source:
        clip = ("the county boundary given" if meta.units_source == "voronoi_boundary"
                else "a buffer of the points' hull (no boundary given)")
        out.append(f"unit areas are Voronoi cells of the village and community points clipped "
                   f"to {clip}: distances and catchment areas are approximate")
    if meta.catchments_source:
        out.append("catchments are the unions of the units named in the published catchment "
                   "lists (划片)")
    return out


def teacher_notes(basis: np.ndarray, school_ids: np.ndarray, names: np.ndarray) -> list[str]:
    """Say which mixed schools had their teachers split by student weights."""
    weighted = basis == "student_weights"
    if not weighted.any():
        return []
    listed = ", ".join(sorted(set(names[weighted])))
    return [f"teacher counts of {len(set(school_ids[weighted]))} mixed school(s) were split by "
            f"student weights (no per-section teacher columns): {listed}"]


def county_rows(county: pd.DataFrame | None, standards: Standards) -> dict[str, dict]:
    """Return the checklist rows that come from the county table (entered, Q1, S1)."""
    table = ck.CountyTable(county)
    rows = {cid: ck.entered_row(cid, table, standards) for cid in ck.ENTERED_IDS}
    rows["Q1"] = ck.q1_row(table, standards)
    rows["S1"] = ck.s1_row(table, standards)
    return rows


def assemble(rows: dict[str, dict], schools, standards: Standards
             ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Put the 32 rows in order and return the checklist, the profile checks and the verdict.

    `rows` holds the rows computed so far (G1 and G13 are `missing` when absent); `schools`
    (a frame or its columns) gives G6 its note on small village schools and the profile's
    basic-balance CV.
    """
    rows = dict(rows)
    g6 = dict(rows["G6"])
    note_en, note_zh = ck.small_school_note(schools, standards)
    g6["evidence"] = "; ".join(x for x in (g6["evidence"], note_en) if x)
    g6["evidence_zh"] = "；".join(x for x in (g6["evidence_zh"], note_zh) if x)
    rows["G6"] = g6
    for cid in ck.NEEDS_LAYERS:
        rows.setdefault(cid, ck._row(cid, status="missing", source="missing",
                                     evidence="needs units, catchments and enrolment (and "
                                              "roads for distances)",
                                     evidence_zh="需要居住单元、划片范围和就读数据（距离还需道路）"))
    ordered = [rows[c] for c in ck.CHECKLIST_IDS]
    checklist = pd.DataFrame({k: [r[k] for r in ordered] for k in ordered[0]}, dtype=object)
    profile = basic_balance_rows(schools, standards)
    profile_checks = pd.DataFrame({k: [r[k] for r in profile] for k in PROFILE_COLUMNS},
                                  columns=PROFILE_COLUMNS)
    statuses = [r["status"] for r in ordered] + [r["status"] for r in profile]
    return checklist, profile_checks, ck.verdict_of(statuses)
