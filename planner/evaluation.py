"""Evaluate a workspace against a standards profile: every indicator, every school, one verdict.

:func:`evaluate` is pure (no disk): it returns an :class:`Evaluation` holding the per-school
indicators, the CVs, the gaps, the caps, the 32-row checklist and the verdict;
:meth:`Evaluation.to_dict` is the JSON contract of SPEC §5.1.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner import checklist as ck
from planner import travel
from planner.enrolment import (
    ZonedEnrolment,
    holdings_from_zoning,
    unit_catchments,
    zoned_enrolment,
    zoning_table,
)
from planner.indicators import cv_drivers, cv_table, gaps, resource_indicators, school_sections
from planner.layout import Layout, layout_checks
from planner.standards import DEFAULT_RADIUS_NOTE, RESOURCE_KEYS, Standards, get_profile
from planner.workspace import Workspace


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything the evaluation found (all frames are fresh; callers may keep them).

    The checklist, profile checks and verdict are always there; the detail frames
    (indicators, cvs, caps, rooms, zoned, layout) come from `frames`, each either the value
    or a function that builds it when first asked for (an incremental re-evaluation builds
    only what is looked at).

    Attributes
    ----------
    standards
        The profile evaluated against.
    indicators
        One row per school section in scope: students, resources, R1–R7 (by key), met,
        below_floor, compliant, missed, teacher_basis.
    cvs
        CV per section and indicator with its limit, and the combined CV.
    caps
        G4 size and G5 class-size violations.
    rooms
        G3 per school.
    checklist
        The 32 rows: id, name_zh, name_en, threshold, value, status, source, evidence.
    profile_checks
        Extra rules of the profile (the combined CV where it has a limit).
    verdict
        "pass", "fail" or "incomplete".
    notes
        What the reader must know: teacher columns estimated by weights, missing layers.
    zoning
        Each unit's zoned school per section (from the catchments), or None.
    zoned
        G13's counts and out-of-zone list, or None without units, catchments and enrolment.
    layout
        G1's checks, or None without units, catchments and enrolment.
    distance_method
        "road" or the straight-line fallback, when distances were used.
    """

    standards: Standards
    checklist: pd.DataFrame
    profile_checks: pd.DataFrame
    verdict: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    distance_method: str | None = None
    frames: Mapping[str, object] = field(default_factory=dict, repr=False)

    def _frame(self, name: str):
        value = self.frames.get(name)
        return value() if callable(value) else value

    @functools.cached_property
    def indicators(self) -> pd.DataFrame:
        """School sections with R1–R7 (see the class docstring)."""
        return self._frame("indicators")

    @functools.cached_property
    def cvs(self) -> pd.DataFrame:
        """The CV table."""
        return self._frame("cvs")

    @functools.cached_property
    def caps(self) -> pd.DataFrame:
        """G4 and G5 violations."""
        return self._frame("caps")

    @functools.cached_property
    def rooms(self) -> pd.DataFrame:
        """G3 per school."""
        return self._frame("rooms")

    @functools.cached_property
    def zoning(self) -> pd.DataFrame | None:
        """Each unit's zoned school per section, or None."""
        return self._frame("zoning")

    @functools.cached_property
    def zoned(self) -> ZonedEnrolment | None:
        """G13's counts, or None."""
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
        over = self.cvs[(self.cvs["ok"] == False) & (self.cvs["id"] != "combined")]  # noqa: E712
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
        """Return the evaluation as the JSON object of SPEC §5.1 (plus detail)."""
        sections = {}
        for sec in ("primary", "junior"):
            part = self.indicators[self.indicators["section"] == sec]
            cv = self.cvs[self.cvs["section"] == sec]
            per = cv[cv["id"] != "combined"]
            comb = cv[cv["id"] == "combined"].iloc[0]
            sections[sec] = {
                "cv": {k: _num(v) for k, v in zip(per["key"], per["cv"], strict=True)},
                "cv_limit": self.standards.section(sec).cv_limit,
                "combined_cv": _num(comb["cv"]),
                "combined_cv_limit": self.standards.section(sec).combined_cv_limit,
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
            "verdict": self.verdict,
            "sections": sections,
            "checklist": [_clean(r) for r in self.checklist.to_dict("records")],
            "profile_checks": [_clean(r) for r in self.profile_checks.to_dict("records")],
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
    return None if math.isnan(x) else x


def _records(df: pd.DataFrame) -> list[dict]:
    return [_clean(r) for r in df.to_dict("records")]


def _clean(rec: dict) -> dict:
    out = {}
    for k, v in rec.items():
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            out[k] = None
        elif hasattr(v, "item") and not isinstance(v, str):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def evaluate(ws: Workspace, standards: Standards | None = None, *,
             distances: travel.Distances | None = None, zoning: pd.DataFrame | None = None
             ) -> Evaluation:
    """Evaluate all 32 indicators of a workspace.

    Parameters
    ----------
    ws
        The workspace; a schools layer alone is enough for R1–R7, the CVs, G3–G5 and G12.
    standards
        The profile; by default the one named in the workspace's meta table.
    distances
        Unit × school distances to use for G1; by default the workspace's cached matrix when
        valid, else computed from its roads (or the straight-line fallback).
    zoning
        A plan's zoning (unit → school per section); its catchments are then its units, which
        tile by construction, and the polygon overlay and tiling are skipped. With the plan's
        distances this is the incremental re-evaluation of a scenario: nothing geometric is
        recomputed after an edit.

    Returns
    -------
    The evaluation. Rows that need layers or county values the workspace lacks are `missing`.
    """
    standards = standards or get_profile(ws.meta.standards_profile)
    schools = pd.DataFrame(ws.schools.drop(columns=ws.schools.geometry.name))
    ind = resource_indicators(school_sections(schools, standards), standards)
    cvs = cv_table(ind, standards)
    notes = teacher_notes(ind["teacher_basis"].to_numpy(), ind["school_id"].to_numpy(),
                          ind["name"].to_numpy())
    rooms = ck.rooms_check(schools, standards)
    caps = ck.cap_violations(schools, standards)

    rows = {r["id"]: r for r in ck.resource_rows(ind, cvs, standards)}
    rows.update(ck.school_rows(schools, rooms, caps, standards))
    rows.update(county_rows(ws.county, standards))
    zoned = lay = None
    method = None
    from_units = zoning is not None
    has_catchments = ws.catchments is not None or from_units
    if ws.units is not None and has_catchments and ws.enrolment is not None:
        if from_units:
            holdings = holdings_from_zoning(zoning)
        else:
            holdings = unit_catchments(ws)
            zoning = zoning_table(holdings, ws.units["unit_id"])
        zoned = zoned_enrolment(ws, zoning, standards)
        rows["G13"] = ck.g13_row(zoned)
        dist = distances or travel.distances_for(ws)
        method = dist.method
        lay = layout_checks(ws, holdings, zoning, dist, standards,
                            catchments_from_units=from_units)
        rows["G1"] = ck.g1_row(lay, dist.method, standards)
        notes += list(dist.notes)
        notes.append(DEFAULT_RADIUS_NOTE)
    checklist, profile_checks, verdict = assemble(rows, schools, cvs.to_dict("records"),
                                                  standards)
    if ws.county is None:
        notes.append("no county table: the entered indicators (G2, G6–G11, G14, G15, Q1–Q9, "
                     "S1) are missing")
    return Evaluation(
        standards=standards,
        checklist=checklist,
        profile_checks=profile_checks,
        verdict=verdict,
        notes=tuple(notes),
        distance_method=method,
        frames={"zoning": zoning, "indicators": ind, "cvs": cvs, "caps": caps, "rooms": rooms,
                "zoned": zoned, "layout": lay},
    )


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


def assemble(rows: dict[str, dict], schools, cv_records: list[dict], standards: Standards
             ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Put the 32 rows in order and return the checklist, the profile checks and the verdict.

    `rows` holds the rows computed so far (G1 and G13 are `missing` when absent); `schools`
    (a frame or its columns) gives G6 its note on small village schools.
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
    checklist = pd.DataFrame([rows[c] for c in ck.CHECKLIST_IDS])
    profile = []
    for rec in cv_records:
        if rec["id"] != "combined":
            continue
        if pd.notna(rec["limit"]) and pd.notna(rec["cv"]):
            profile.append({"id": f"combined_cv.{rec['section']}", "value": rec["cv"],
                            "threshold": f"≤ {rec['limit']:.2f}",
                            "status": "pass" if rec["ok"] else "fail",
                            "source": "computed",
                            "evidence": f"mean of the seven {rec['section']} CVs "
                                        f"({standards.name} profile)"})
    profile_checks = pd.DataFrame(profile, columns=["id", "value", "threshold", "status",
                                                    "source", "evidence"])
    return checklist, profile_checks, ck.verdict(checklist, profile_checks)
