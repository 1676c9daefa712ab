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

from planner.schema import SECTIONS
from planner.standards import (
    BASIC_BALANCE,
    FACILITY_KEYS,
    RESOURCE_COLUMNS,
    RESOURCE_IDS,
    RESOURCE_KEYS,
    TEACHER_KEYS,
    Standards,
)

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


TEACHER_COLUMNS = tuple(RESOURCE_COLUMNS[k][0] for k in TEACHER_KEYS)
SECTION_COLUMNS = ("school_id", "name", "kind", "area_type", "section", "students", "share",
                   *(RESOURCE_COLUMNS[k][0] for k in TEACHER_KEYS), "teacher_basis",
                   *(RESOURCE_COLUMNS[k][0] for k in FACILITY_KEYS), "classes",
                   "max_class_size")


EXCLUSION_REASONS = ("special", "small_teaching_point", "private")
EXCLUSION_COLUMNS = ["school_id", "name", "kind", "section", "students", "reason"]


def exclusion_reasons(schools: pd.DataFrame | Columns, standards: Standards) -> np.ndarray:
    """Return why each school is left out of R1–R7, the CVs and the verdicts, or None.

    Special-education schools; teaching points with fewer pupils than
    `teaching_point_min_students`; private schools when the profile's `include_private` is
    false (the scope rules of SPEC §2.1, all settings of the profile).
    """
    cols = _as_columns(schools)
    kind = np.asarray(cols["kind"], dtype=object)
    small = (kind == "teaching_point") & (
        np.asarray(cols["students_primary"]) < standards.teaching_point_min_students)
    private = ~np.asarray(cols["public"], dtype=bool) & (not standards.include_private)
    return np.select([kind == "special", small, private], list(EXCLUSION_REASONS),
                     default=None).astype(object)


def exclusions(schools: pd.DataFrame | Columns, standards: Standards) -> pd.DataFrame:
    """Return the school sections left out of the evaluation and why (see exclusion_reasons).

    One row per school and section with pupils (a school without any: one row, section "").
    """
    cols = _as_columns(schools)
    reason = exclusion_reasons(cols, standards)
    rows = []
    for i in np.flatnonzero(reason != None):  # noqa: E711 (an object array)
        secs = [(sec, int(cols[f"students_{sec}"][i])) for sec in SECTIONS
                if int(cols[f"students_{sec}"][i]) > 0] or [("", 0)]
        for sec, n in secs:
            rows.append((cols["school_id"][i], cols["name"][i], cols["kind"][i], sec, n,
                         reason[i]))
    return pd.DataFrame(rows, columns=EXCLUSION_COLUMNS)


def section_part(cols: Columns, column: str, section: str, share: np.ndarray, *,
                 teacher: bool) -> tuple[np.ndarray, np.ndarray]:
    """One school column's part for a section: the one rule for splitting a school's resources.

    Teacher counts use the per-section pair (`<column>_primary`, `<column>_junior`) where a
    school gives both, else — like facilities — the school total times the section's
    student-weighted share.

    Returns
    -------
    The section's part per school, and whether it came from the school's own pair.
    """
    total = np.asarray(cols[column], dtype=float)
    weighted = total * share
    other = "junior" if section == "primary" else "primary"
    pair = (f"{column}_{section}", f"{column}_{other}")
    if not teacher or pair[0] not in cols or pair[1] not in cols:
        return weighted, np.zeros(len(total), dtype=bool)
    own = np.asarray(cols[pair[0]], dtype=float)
    has = ~np.isnan(own) & ~np.isnan(np.asarray(cols[pair[1]], dtype=float))
    return np.where(has, own, weighted), has


def section_arrays(schools: pd.DataFrame | Columns, standards: Standards, *,
                   extra: dict[str, bool] | None = None) -> dict[str, np.ndarray]:
    """Return :func:`school_sections` as columns of arrays (a frame or a mapping of arrays in).

    `extra` names more school columns to split the same way (column → teacher-like).
    """
    cols = _as_columns(schools)
    shares = dict(zip(SECTIONS, share_arrays(cols, standards), strict=True))
    kind = cols["kind"]
    in_scope = exclusion_reasons(cols, standards) == None  # noqa: E711 (an object array)
    single = np.isin(kind, ["primary", "junior", "teaching_point"])
    split = {RESOURCE_COLUMNS[k][0]: k in TEACHER_KEYS for k in RESOURCE_KEYS} | (extra or {})
    parts: dict[str, list[np.ndarray]] = {}
    for sec in SECTIONS:
        mask = in_scope & (np.asarray(cols[f"students_{sec}"]) > 0)
        part: dict[str, np.ndarray] = {
            "school_id": np.asarray(cols["school_id"], dtype=object)[mask],
            "name": np.asarray(cols["name"], dtype=object)[mask],
            "kind": np.asarray(kind, dtype=object)[mask],
            "area_type": np.asarray(cols["area_type"], dtype=object)[mask],
            "section": np.full(int(mask.sum()), sec, dtype=object),
            "students": np.asarray(cols[f"students_{sec}"], dtype=np.int64)[mask],
            "share": shares[sec][mask],
        }
        basis = np.full(int(mask.sum()), "student_weights", dtype=object)
        for column, teacher in split.items():
            values, own = section_part(cols, column, sec, shares[sec], teacher=teacher)
            part[column] = values[mask]
            if column in TEACHER_COLUMNS:
                basis[own[mask]] = "section_columns"
        basis[single[mask]] = "whole_school"
        part["teacher_basis"] = basis
        part["classes"] = np.asarray(cols[f"classes_{sec}"], dtype=np.int64)[mask]
        part["max_class_size"] = np.asarray(cols[f"max_class_size_{sec}"],
                                            dtype=np.int64)[mask]
        for name, values in part.items():
            parts.setdefault(name, []).append(values)
    names = list(SECTION_COLUMNS) + [c for c in (extra or {}) if c not in SECTION_COLUMNS]
    return {name: np.concatenate(parts[name]) for name in names}


def compulsory_teachers(schools: pd.DataFrame | Columns, column: str, standards: Standards,
                        *, shares: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(S,) a school's teachers of the compulsory sections (G12): primary part + junior part.

    `shares` are the schools' :func:`share_arrays` when already computed.
    """
    cols = _as_columns(schools)
    shares = share_arrays(cols, standards) if shares is None else shares
    return sum(section_part(cols, column, sec, share, teacher=True)[0]
               for sec, share in zip(SECTIONS, shares, strict=True))


def school_sections(schools: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Split schools into school sections in scope, each with its students and resources.

    Schools :func:`exclusion_reasons` leaves out are not among them. Facility resources
    (floor areas, equipment, multimedia rooms) split by the student weights of
    :func:`section_shares`; teacher counts use the per-section columns
    (`teachers_backbone_primary`, …) where a school has them, else the same weights, and
    `teacher_basis` says which (:func:`section_part`).

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
    thresholds = threshold_matrix(junior, standards)
    ok, floor_ok, compliant = compliance(values, thresholds, standards)
    out = dict(zip(RESOURCE_KEYS, values.T, strict=True))
    out["met"] = ok.sum(axis=1)
    out["below_floor"] = (~floor_ok).sum(axis=1)
    out["compliant"] = compliant
    out["_ok"] = ok
    return out


def threshold_matrix(junior: np.ndarray, standards: Standards) -> np.ndarray:
    """(n, 7) the R1–R7 thresholds of school sections (junior: a flag per section)."""
    return np.where(np.asarray(junior, dtype=bool)[:, None],
                    [standards.junior.threshold(k) for k in RESOURCE_KEYS],
                    [standards.primary.threshold(k) for k in RESOURCE_KEYS])


def compliance(values: np.ndarray, thresholds: np.ndarray, standards: Standards
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The one rule of §2.1: at least 6 of the 7 met, each one missed at 85 % at least.

    Exactly at a threshold counts as met; comparisons carry a 1e-9 relative tolerance
    against floating-point error (0.85 × 4.2 must meet "85 % of 4.2").

    Parameters
    ----------
    values, thresholds
        (n, 7) indicator values and their thresholds.

    Returns
    -------
    (n, 7) met, (n, 7) at the floor (85 %) at least, (n,) compliant.
    """
    ok = values >= thresholds * (1 - _EPS)
    floor_ok = values >= standards.floor_share * thresholds * (1 - _EPS)
    compliant = (ok.sum(axis=1) >= standards.min_indicators_met) & floor_ok.all(axis=1)
    return ok, floor_ok, compliant


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
    The CV does not depend on the unit (per student or per 100 students). A school with no
    students has no ratio and is not counted.

    Returns
    -------
    The CV, or NaN when there are no students or no resource at all.
    """
    p = np.asarray(students, dtype=float)
    r = np.asarray(resource, dtype=float)
    return float(coefficients_of_variation(p[None], r[None, :, None])[0, 0])


def coefficients_of_variation(students: np.ndarray, resources: np.ndarray) -> np.ndarray:
    """(M, K) :func:`coefficient_of_variation` of M sets of schools and K resources at once.

    `students` (M, S), `resources` (M, S, K). The one formula of every CV the planner
    computes, batched so that the optimiser can weigh thousands of zonings at a time.
    """
    p = np.asarray(students, dtype=float)
    r = np.asarray(resources, dtype=float)
    w = p > 0
    pw = np.where(w, p, 0.0)
    rw = np.where(w[:, :, None], r, 0.0)
    n = pw.sum(axis=1)[:, None]  # (M, 1)
    total = rw.sum(axis=1)  # (M, K)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        x = rw / np.where(w, p, 1.0)[:, :, None]
        s = np.sqrt(((pw[:, :, None] / n[:, :, None]) * (x - mean[:, None, :]) ** 2).sum(axis=1))
        return np.where((n > 0) & (total > 0), s / mean, np.nan)


def cv_parts(students: np.ndarray, resources: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each school's part in the three sums a CV is a function of: P_i, R_i, R_i² / P_i.

    `students` (...), `resources` (..., K); a school with no students has no part (zeros).
    Summed over the schools, they give :func:`cv_of_sums` the CV of
    :func:`coefficients_of_variation`; a change of a few schools' students changes the sums
    by those schools' parts alone, which is how the optimiser weighs many moves at once.
    """
    p = np.asarray(students, dtype=float)
    r = np.asarray(resources, dtype=float)
    w = p > 0
    rw = np.where(w[..., None], r, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.where(w, p, 0.0), rw,
                np.where(w[..., None], rw ** 2 / np.where(w, p, 1.0)[..., None], 0.0))


def cv_of_sums(n: np.ndarray, total: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """The CV from N = ΣP_i, ΣR_i and Σ R_i² / P_i (sums of :func:`cv_parts`).

    S² = Σ (P_i/N) x_i² − x̄² = Σ(R_i²/P_i) / N − (ΣR_i / N)², so
    CV² = S² / x̄² = N Σ(R_i²/P_i) / (ΣR_i)² − 1: :func:`coefficients_of_variation` written
    in the sums, equal to it up to rounding (1 + CV² less 1: some 1e-14 at a CV of 0.005,
    less at larger ones), NaN where it is. For ranking many candidate zonings; what is kept
    is judged by the formula itself.
    """
    n = np.asarray(n, dtype=float)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = n * squares / total ** 2
        return np.where((n > 0) & (total > 0), np.sqrt(np.maximum(ratio - 1.0, 0.0)), np.nan)


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
        for rid, key in zip(RESOURCE_IDS, RESOURCE_KEYS, strict=True):
            factor = RESOURCE_COLUMNS[key][1]
            r = resources[key][mask]
            cv = coefficient_of_variation(p, r) if len(p) else np.nan
            mean = r.sum() * factor / n if n else np.nan
            rows.append({"section": sec, "id": rid, "key": key, "mean": mean, "cv": cv,
                         "limit": limit, "ok": within_limit(cv, limit)})
    return rows


def within_limit(cv: float, limit: float) -> bool | None:
    """Whether a CV is within its limit (None when there is no CV)."""
    return bool(cv <= limit + _EPS) if cv == cv else None


def basic_balance_rows(schools: pd.DataFrame | Columns, standards: Standards) -> list[dict]:
    """The basic-balance combined CV per section, where the profile sets a limit for it.

    The mean of the student-weighted CVs of the eight indicators of the 2012 basic-balance
    method (standards.BASIC_BALANCE) over the school sections in scope, split like R1–R7
    (facilities by student weights, teachers by per-section columns where given). `missing`
    with the columns it needs when the schools layer lacks them.

    Returns
    -------
    Profile-check rows: id, value, threshold, status, source, evidence.
    """
    cols = _as_columns(schools)
    out = []
    for sec in SECTIONS:
        limit = standards.section(sec).basic_balance_cv_limit
        if limit is None:
            continue
        rid = f"basic_balance_cv.{sec}"
        lacking = sorted({c for _, c, _, _ in BASIC_BALANCE if c not in cols})
        if lacking:
            out.append({"id": rid, "value": None, "threshold": f"≤ {limit:.2f}",
                        "status": "missing", "source": "missing",
                        "evidence": "the schools layer lacks " + ", ".join(lacking)})
            continue
        parts = section_arrays(cols, standards,
                               extra={c: teacher for _, c, _, teacher in BASIC_BALANCE})
        mask = parts["section"] == sec
        p = parts["students"][mask]
        cvs = {key: coefficient_of_variation(p, parts[c][mask])
               for key, c, _, _ in BASIC_BALANCE}
        value = float(np.mean(list(cvs.values()))) if len(p) else float("nan")
        out.append({"id": rid, "value": value, "threshold": f"≤ {limit:.2f}",
                    "status": "pass" if within_limit(value, limit) else "fail",
                    "source": "computed",
                    "evidence": "mean of the eight basic-balance CVs: " + ", ".join(
                        f"{k} {v:.3f}" for k, v in cvs.items())})
    return out



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


def whole_amount(need: float, unit: str) -> float:
    """Round an addition up to what a bureau buys: whole teachers, rooms and yuan, m² to 0.1.

    Always up, so that the addition reaches its target (the one rounding rule of gaps and
    the roadmap).
    """
    if need <= 1e-9:
        return 0.0
    if unit == "m2":
        return math.ceil(need * 10 - 1e-6) / 10
    return float(math.ceil(need - 1e-9))


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
    values = failing[list(RESOURCE_KEYS)].to_numpy(dtype=float).reshape(len(failing), 7)
    thresholds = threshold_matrix(failing["section"].to_numpy() == "junior", standards)
    ok, floor_ok, _ = compliance(values, thresholds, standards)
    for r, rec in enumerate(failing.to_dict("records")):
        need = {k: "85%" for k in np.flatnonzero(~floor_ok[r])}
        unmet = np.flatnonzero(~ok[r])
        short = unmet[np.argsort(1 - values[r, unmet] / thresholds[r, unmet], kind="stable")]
        lacking = standards.min_indicators_met - int(ok[r].sum())
        for k in short[:max(lacking, 0)]:
            need[k] = "threshold"
        for k in sorted(need):
            key = RESOURCE_KEYS[k]
            col, factor = RESOURCE_COLUMNS[key]
            t = thresholds[r, k]
            level = t if need[k] == "threshold" else standards.floor_share * t
            p, have, unit = rec["students"], rec[col], UNITS[key]
            rows.append({"school_id": rec["school_id"], "name": rec["name"],
                         "section": rec["section"], "students": p, "id": RESOURCE_IDS[k],
                         "key": key, "value": rec[key], "threshold": t, "target": need[k],
                         "add": whole_amount(level * p / factor - have, unit), "unit": unit,
                         "add_to_meet_all": whole_amount(t * p / factor - have, unit)})
    cols = ["school_id", "name", "section", "students", "id", "key", "value", "threshold",
            "target", "add", "unit", "add_to_meet_all"]
    return pd.DataFrame(rows, columns=cols)
