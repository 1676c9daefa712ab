"""Places: how many pupils a school section can take, and which limit binds (SPEC §7).

A school section's places are the smallest of

- its approved places (核定学位, `approved_places_primary` / `_junior`, where given),
- its classrooms at the class-size cap (a mixed school's rooms shared between its sections in
  proportion to their classes), and
- its teachers at the staffing norm (pupils per teaching staff member, a profile setting:
  19 primary, 13.5 junior; per-section teacher columns where given, else the student-weighted
  share of the school's teachers).

Teaching points and schools marked `shrink_only` never gain pupils: their places are their
pupils today.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.indicators import Columns, FrameColumns, section_part, share_arrays
from planner.schema import KIND_SECTIONS, SECTIONS
from planner.standards import Standards

LIMITS = ("approved", "classrooms", "teachers", "shrink_only")
COLUMNS = ["school_id", "name", "kind", "section", "pupils", "approved", "classrooms",
           "teachers", "places", "binding", "spare"]


def shrink_only(cols: Columns) -> np.ndarray:
    """(S,) schools that may lose pupils but not gain them (teaching points by default)."""
    default = np.asarray(cols["kind"], dtype=object) == "teaching_point"
    if "shrink_only" not in cols:
        return default
    flag = pd.Series(np.asarray(cols["shrink_only"], dtype=object))
    return flag.where(flag.notna(), pd.Series(default)).astype(bool).to_numpy()


def section_places(cols: Columns | pd.DataFrame, standards: Standards
                   ) -> dict[str, np.ndarray]:
    """Return every school section's places and the limit that binds, as arrays.

    Returns
    -------
    (S, 2) arrays by section (primary, junior): `pupils`, `approved` (NaN where not given),
    `classrooms` and `teachers` (the places each allows), `places`, `binding` (the name of the
    smallest limit; "" where the school does not teach the section) and `spare`.
    """
    cols = FrameColumns(cols) if isinstance(cols, pd.DataFrame) else cols
    kind = np.asarray(cols["kind"], dtype=object)
    n = len(kind)
    teaches = np.array([[k != "special" and sec in KIND_SECTIONS[k] for sec in SECTIONS]
                        for k in kind], dtype=bool).reshape(n, 2)
    pupils = np.stack([np.asarray(cols[f"students_{sec}"], dtype=float) for sec in SECTIONS],
                      axis=1)
    classes = np.stack([np.asarray(cols[f"classes_{sec}"], dtype=float) for sec in SECTIONS],
                       axis=1)
    total = classes.sum(axis=1, keepdims=True)
    share = np.where(total > 0, classes / np.maximum(total, 1),
                     teaches / np.maximum(teaches.sum(axis=1, keepdims=True), 1))
    caps = np.array([standards.section(sec).class_size_cap for sec in SECTIONS], dtype=float)
    rooms = np.floor(np.asarray(cols["classrooms"], dtype=float)[:, None] * share) * caps
    shares = share_arrays(cols, standards)
    ratio = np.array([standards.section(sec).pupils_per_teacher for sec in SECTIONS])
    staff = np.stack([section_part(cols, "teachers_total", sec, shares[k], teacher=True)[0]
                      for k, sec in enumerate(SECTIONS)], axis=1) * ratio
    approved = np.stack([np.asarray(cols[f"approved_places_{sec}"], dtype=float)
                         if f"approved_places_{sec}" in cols else np.full(n, np.nan)
                         for sec in SECTIONS], axis=1)
    limits = np.stack([np.where(np.isnan(approved), np.inf, approved), rooms, staff,
                       np.where(shrink_only(cols)[:, None], pupils, np.inf)], axis=2)
    places = np.floor(limits.min(axis=2))
    binding = np.where(teaches, np.array(LIMITS, dtype=object)[limits.argmin(axis=2)], "")
    places = np.where(teaches, places, 0.0)
    return {"pupils": pupils, "approved": approved, "classrooms": rooms, "teachers": staff,
            "places": places, "binding": binding, "spare": places - pupils}


def places_table(cols: Columns | pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """One row per school section it teaches: pupils, each limit, places, binding, spare."""
    cols = FrameColumns(cols) if isinstance(cols, pd.DataFrame) else cols
    p = section_places(cols, standards)
    rows = []
    for i, sid in enumerate(np.asarray(cols["school_id"], dtype=object)):
        for k, sec in enumerate(SECTIONS):
            if not p["binding"][i, k]:
                continue
            rows.append((sid, cols["name"][i], cols["kind"][i], sec, int(p["pupils"][i, k]),
                         p["approved"][i, k], p["classrooms"][i, k], p["teachers"][i, k],
                         int(p["places"][i, k]), p["binding"][i, k], int(p["spare"][i, k])))
    return pd.DataFrame(rows, columns=COLUMNS)


def teachers_over_norm(teachers: int, pupils: int, section: str, standards: Standards) -> int:
    """Teachers a single-section school has beyond the staffing norm for its pupils (≥ 0).

    The norm: one teacher per `pupils_per_teacher` pupils of the section, rounded up; what a
    closure frees for the county to redeploy instead of hiring.
    """
    need = int(np.ceil(pupils / standards.section(section).pupils_per_teacher))
    return max(int(teachers) - need, 0)
