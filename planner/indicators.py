"""The seven resource indicators per school section, their CVs, and what each school lacks.

Pure functions over the schools table (SPEC §2.1):

- :func:`school_sections` splits mixed schools into a primary and a junior part with the official
  student weights and applies the scope rules;
- :func:`resource_indicators` computes R1–R7 and the 6-of-7 + 85 % rule;
- :func:`coefficient_of_variation` is the student-weighted CV, :func:`cv_table` all of them;
- :func:`cv_drivers` names the schools that pull a CV up; :func:`gaps` says, in teachers, m²,
  yuan and rooms, what a failing school section needs to pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from planner.standards import (
    FACILITY_KEYS,
    RESOURCE_COLUMNS,
    RESOURCE_IDS,
    RESOURCE_KEYS,
    TEACHER_KEYS,
    Standards,
)

SECTIONS = ("primary", "junior")
# relative tolerance for comparisons with thresholds: 0.85 × 4.2 must meet "85 % of 4.2"
_EPS = 1e-9
UNITS = {
    "above_degree_teachers_per100": "teachers",
    "backbone_teachers_per100": "teachers",
    "pe_art_teachers_per100": "teachers",
    "teaching_aux_area_per_student": "m2",
    "sports_area_per_student": "m2",
    "equipment_value_per_student": "yuan",
    "multimedia_rooms_per100": "rooms",
}
WHOLE_UNITS = {"teachers", "rooms"}


class FrameColumns(Mapping):
    """A frame's columns as numpy arrays, converted when first asked for."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self.frame[name].to_numpy()
        return self._cache[name]

    def __iter__(self):
        return iter(self.frame.columns)

    def __len__(self) -> int:
        return len(self.frame.columns)


Columns = Mapping[str, np.ndarray]


def _as_columns(schools: pd.DataFrame | Columns) -> Columns:
    return FrameColumns(schools) if isinstance(schools, pd.DataFrame) else schools


def share_arrays(cols: Columns, standards: Standards) -> tuple[np.ndarray, np.ndarray]:
    """Return each school's primary and junior shares of its facilities (see section_shares)."""
    a = np.asarray(cols["students_primary"], dtype=float)
    b = np.asarray(cols["students_junior"], dtype=float)
    c = (np.asarray(cols["students_senior"], dtype=float) if "students_senior" in cols
         else np.zeros(len(a)))
    kind = cols["kind"]
    wb = standards.junior_weight * b
    senior = np.where(kind == "twelve_year", standards.senior_weight_twelve_year * c,
                      np.where(kind == "complete_middle",
                               standards.senior_weight_complete_middle * c, 0.0))
    total = a + wb + senior
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(total > 0, a / total, 0.0)
        j = np.where(total > 0, wb / total, 0.0)
    # a junior-only school with a senior section (complete middle): B : 1.2C in junior units
    cm = kind == "complete_middle"
    with np.errstate(divide="ignore", invalid="ignore"):
        j[cm] = np.where(b[cm] + senior[cm] > 0, b[cm] / (b[cm] + senior[cm]), 0.0)
    single_p = np.isin(kind, ["primary", "teaching_point"])
    single_j = kind == "junior"
    p[single_p] = (a[single_p] > 0).astype(float)
    j[single_p] = 0.0
    j[single_j] = (b[single_j] > 0).astype(float)
    p[single_j] = 0.0
    return p, j


def section_shares(schools: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Return each school's primary and junior shares of its facilities (student weights).

    Nine-year schools split A : 1.1B, twelve-year schools A : 1.1B : 1.32C and complete middle
    schools B : 1.2C (A, B, C: primary, junior, senior students); single-section schools give
    their section everything. A share is 0 where the school has no students of the section.

    Returns
    -------
    A frame indexed like `schools` with columns primary, junior.
    """
    p, j = share_arrays(FrameColumns(schools), standards)
    return pd.DataFrame({"primary": p, "junior": j}, index=schools.index)


SECTION_COLUMNS = ("school_id", "name", "kind", "area_type", "section", "students", "share",
                   *(RESOURCE_COLUMNS[k][0] for k in TEACHER_KEYS), "teacher_basis",
                   *(RESOURCE_COLUMNS[k][0] for k in FACILITY_KEYS), "classes",
                   "max_class_size")


def section_arrays(schools: pd.DataFrame | Columns, standards: Standards
                   ) -> dict[str, np.ndarray]:
    """Return :func:`school_sections` as columns of arrays (a frame or a mapping of arrays in)."""
    cols = _as_columns(schools)
    p_share, j_share = share_arrays(cols, standards)
    shares = {"primary": p_share, "junior": j_share}
    kind = cols["kind"]
    in_scope = (kind != "special") & ~((kind == "teaching_point") & (
        np.asarray(cols["students_primary"]) < standards.teaching_point_min_students))
    single = np.isin(kind, ["primary", "junior", "teaching_point"])
    parts: dict[str, list[np.ndarray]] = {}
    for sec in SECTIONS:
        mask = in_scope & (np.asarray(cols[f"students_{sec}"]) > 0)
        share = shares[sec][mask]
        part: dict[str, np.ndarray] = {
            "school_id": np.asarray(cols["school_id"], dtype=object)[mask],
            "name": np.asarray(cols["name"], dtype=object)[mask],
            "kind": np.asarray(kind, dtype=object)[mask],
            "area_type": np.asarray(cols["area_type"], dtype=object)[mask],
            "section": np.full(int(mask.sum()), sec, dtype=object),
            "students": np.asarray(cols[f"students_{sec}"], dtype=np.int64)[mask],
            "share": share,
        }
        basis = np.full(int(mask.sum()), "student_weights", dtype=object)
        other = "junior" if sec == "primary" else "primary"
        for key in TEACHER_KEYS:
            col = RESOURCE_COLUMNS[key][0]
            weighted = np.asarray(cols[col], dtype=float)[mask] * share
            pair = (f"{col}_{sec}", f"{col}_{other}")
            if pair[0] in cols and pair[1] in cols:
                own = np.asarray(cols[pair[0]], dtype=float)[mask]
                has = ~np.isnan(own) & ~np.isnan(np.asarray(cols[pair[1]], dtype=float)[mask])
                part[col] = np.where(has, own, weighted)
                basis[has] = "section_columns"
            else:
                part[col] = weighted
        basis[single[mask]] = "whole_school"
        part["teacher_basis"] = basis
        for key in FACILITY_KEYS:
            col = RESOURCE_COLUMNS[key][0]
            part[col] = np.asarray(cols[col], dtype=float)[mask] * share
        part["classes"] = np.asarray(cols[f"classes_{sec}"], dtype=np.int64)[mask]
        part["max_class_size"] = np.asarray(cols[f"max_class_size_{sec}"],
                                            dtype=np.int64)[mask]
        for name, values in part.items():
            parts.setdefault(name, []).append(values)
    return {name: np.concatenate(parts[name]) for name in SECTION_COLUMNS}


def school_sections(schools: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Split schools into school sections in scope, each with its students and resources.

    Special-education schools are out, and so are teaching points with fewer students than
    `standards.teaching_point_min_students`. Facility resources (floor areas, equipment,
    multimedia rooms) split by the student weights of :func:`section_shares`; teacher counts
    use the per-section columns (`teachers_backbone_primary`, …) where a school has them, else
    the same weights, and `teacher_basis` says which.

    Returns
    -------
    One row per school section: school_id, name, kind, area_type, section, students, share,
    teacher_basis, the seven resource columns allocated to the section, classes,
    max_class_size.
    """
    return pd.DataFrame(section_arrays(schools, standards))


def indicator_arrays(sections: pd.DataFrame | Columns, standards: Standards
                     ) -> dict[str, np.ndarray]:
    """Return R1–R7 (by key), met, below_floor and compliant of school sections as arrays."""
    cols = _as_columns(sections)
    students = np.asarray(cols["students"], dtype=float)
    junior = np.asarray(cols["section"]) == "junior"
    values = np.column_stack([np.asarray(cols[RESOURCE_COLUMNS[k][0]], dtype=float)
                              * RESOURCE_COLUMNS[k][1] / students for k in RESOURCE_KEYS]
                             ).reshape(len(students), len(RESOURCE_KEYS))
    thresholds = np.where(junior[:, None],
                          [standards.junior.threshold(k) for k in RESOURCE_KEYS],
                          [standards.primary.threshold(k) for k in RESOURCE_KEYS])
    ok = values >= thresholds * (1 - _EPS)
    floor_ok = values >= standards.floor_share * thresholds * (1 - _EPS)
    met, below = ok.sum(axis=1), (~floor_ok).sum(axis=1)
    out = dict(zip(RESOURCE_KEYS, values.T, strict=True))
    out["met"] = met
    out["below_floor"] = below
    out["compliant"] = (met >= standards.min_indicators_met) & (below == 0)
    out["_ok"] = ok
    return out


def resource_indicators(sections: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Add R1–R7 to school sections, with how many are met and whether the section complies.

    A section complies when it meets at least `min_indicators_met` (6) of the 7 and every one
    it misses reaches `floor_share` (85 %) of its threshold; exactly at a threshold counts as
    met (comparisons carry a 1e-9 relative tolerance against floating-point error).

    Returns
    -------
    `sections` with one column per indicator key, `met` (int), `below_floor` (int),
    `compliant` (bool) and `missed` (the ids of indicators not met, comma-separated).
    """
    arrays = indicator_arrays(sections, standards)
    ok = arrays.pop("_ok")
    ids = np.array(RESOURCE_IDS)
    out = sections.assign(**arrays)
    out["missed"] = [",".join(ids[~row]) for row in ok]
    return out


def coefficient_of_variation(students: np.ndarray, resource: np.ndarray) -> float:
    """Return the student-weighted inter-school coefficient of variation (校际差异系数).

    With P_i the students and R_i the resource of school i and N = ΣP_i:
    x̄ = ΣR_i / N, x_i = R_i / P_i, S = sqrt(Σ (P_i/N)(x_i − x̄)²), CV = S / x̄.
    The CV does not depend on the unit (per student or per 100 students).

    Returns
    -------
    The CV, or NaN when there are no students or no resource at all.
    """
    p = np.asarray(students, dtype=float)
    r = np.asarray(resource, dtype=float)
    n = p.sum()
    if n <= 0 or r.sum() <= 0:
        return float("nan")
    mean = r.sum() / n
    x = r / p
    s = math.sqrt(float(np.sum((p / n) * (x - mean) ** 2)))
    return s / mean


def cv_table(indicators: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Return the CV of each indicator per section against its limit, and the combined CV.

    Returns
    -------
    Rows (section, id, key, mean, cv, limit, ok) for R1–R7, then a row with id "combined"
    (the mean of the seven CVs) whose limit is the profile's combined-CV limit, if any.
    """
    return pd.DataFrame(cv_rows(indicators, standards))


def cv_rows(indicators: pd.DataFrame | Columns, standards: Standards) -> list[dict]:
    """Return the rows of :func:`cv_table` (school sections as a frame or arrays)."""
    cols = _as_columns(indicators)
    rows = []
    junior = np.asarray(cols["section"]) == "junior"
    students = np.asarray(cols["students"], dtype=float)
    resources = {k: np.asarray(cols[RESOURCE_COLUMNS[k][0]], dtype=float)
                 for k in RESOURCE_KEYS}
    for sec in SECTIONS:
        mask = junior if sec == "junior" else ~junior
        p = students[mask]
        n = p.sum()
        limit = standards.section(sec).cv_limit
        cvs = []
        for rid, key in zip(RESOURCE_IDS, RESOURCE_KEYS, strict=True):
            factor = RESOURCE_COLUMNS[key][1]
            r = resources[key][mask]
            cv = coefficient_of_variation(p, r) if len(p) else np.nan
            mean = r.sum() * factor / n if n else np.nan
            cvs.append(cv)
            rows.append({"section": sec, "id": rid, "key": key, "mean": mean, "cv": cv,
                         "limit": limit, "ok": bool(cv <= limit + _EPS) if cv == cv else None})
        combined = float(np.mean(cvs)) if len(p) else np.nan
        climit = standards.section(sec).combined_cv_limit
        rows.append({"section": sec, "id": "combined", "key": "combined_cv", "mean": np.nan,
                     "cv": combined, "limit": climit,
                     "ok": None if climit is None or combined != combined
                     else bool(combined <= climit + _EPS)})
    return rows


def cv_drivers(indicators: pd.DataFrame, section: str, key: str, *, top: int = 5
               ) -> pd.DataFrame:
    """Return the school sections that contribute most to one CV.

    School i contributes (P_i/N)(x_i − x̄)² to S²; its share of S² says how much of the spread
    it makes, and `direction` whether it lies above or below the county mean.

    Returns
    -------
    Up to `top` rows: school_id, name, students, value, mean, share_of_variance, direction.
    """
    part = indicators[indicators["section"] == section]
    col, factor = RESOURCE_COLUMNS[key]
    p = part["students"].to_numpy(dtype=float)
    r = part[col].to_numpy(dtype=float)
    n = p.sum()
    if n <= 0 or r.sum() <= 0:
        return pd.DataFrame(columns=["school_id", "name", "students", "value", "mean",
                                     "share_of_variance", "direction"])
    mean = r.sum() / n
    contrib = (p / n) * (r / p - mean) ** 2
    total = contrib.sum()
    order = np.argsort(-contrib, kind="stable")[:top]
    return pd.DataFrame({
        "school_id": part["school_id"].to_numpy()[order],
        "name": part["name"].to_numpy()[order],
        "students": p[order].astype(int),
        "value": (r / p * factor)[order],
        "mean": mean * factor,
        "share_of_variance": contrib[order] / total if total > 0 else 0.0,
        "direction": np.where((r / p)[order] >= mean, "above", "below"),
    })


def _amount(need: float, unit: str) -> float:
    if need <= 1e-9:
        return 0.0
    if unit in WHOLE_UNITS:
        return float(math.ceil(need - 1e-9))
    return round(need, 1) if unit == "m2" else float(math.ceil(need - 1e-9))


def gaps(indicators: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Say what each non-compliant school section lacks to pass, in the units a bureau buys.

    Every indicator under 85 % of its threshold must reach 85 %; then, while fewer than six are
    met, the unmet indicators with the smallest relative shortfall are raised to their
    threshold (the roadmap prices the choice; here the nearest ones are taken). Teachers and
    rooms are whole numbers; areas m², equipment yuan.

    Returns
    -------
    One row per addition: school_id, name, section, students, id, key, value, threshold,
    target ("85%" or "threshold"), add, unit, and `add_to_meet_all` (to meet it in full).
    """
    rows = []
    failing = indicators[~indicators["compliant"]]
    for rec in failing.to_dict("records"):
        sec = standards.section(rec["section"])
        p = rec["students"]
        need: dict[str, tuple[str, float]] = {}
        unmet = []
        for rid, key in zip(RESOURCE_IDS, RESOURCE_KEYS, strict=True):
            t = sec.threshold(key)
            v = rec[key]
            if v < standards.floor_share * t * (1 - _EPS):
                need[key] = ("85%", standards.floor_share * t)
            if v < t * (1 - _EPS):
                unmet.append((1 - v / t, rid, key))
        met = 7 - len(unmet)
        for _, _rid, key in sorted(unmet):
            if met >= standards.min_indicators_met:
                break
            need[key] = ("threshold", sec.threshold(key))
            met += 1
        for rid, key in zip(RESOURCE_IDS, RESOURCE_KEYS, strict=True):
            if key not in need:
                continue
            target, level = need[key]
            col, factor = RESOURCE_COLUMNS[key]
            unit = UNITS[key]
            have = rec[col]
            add = _amount(level * p / factor - have, unit)
            full = _amount(sec.threshold(key) * p / factor - have, unit)
            rows.append({"school_id": rec["school_id"], "name": rec["name"],
                         "section": rec["section"], "students": p, "id": rid, "key": key,
                         "value": rec[key], "threshold": sec.threshold(key), "target": target,
                         "add": add, "unit": unit, "add_to_meet_all": full})
    cols = ["school_id", "name", "section", "students", "id", "key", "value", "threshold",
            "target", "add", "unit", "add_to_meet_all"]
    return pd.DataFrame(rows, columns=cols)
