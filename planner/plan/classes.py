"""Classes a school forms for its pupils: the one rule for classes at the class-size cap.

A grade of n pupils needs ceil(n / cap) classes and its pupils spread evenly over them; a
teaching point (mixed-grade classes) teaches all its grades together in ceil(all / cap)
classes. The cap is the section's G5 class-size cap (45 primary, 50 junior). A school has only
its classrooms: when its sections need more classes than it has rooms, the rooms go to the
sections in proportion to what they need, and each section uses every room it has: its grades
get the classes that make the largest class as small as those rooms allow. Classes then grow
beyond the cap — which G5 then reports.
"""

from __future__ import annotations

import numpy as np

from planner.schema import UPPER_BOUNDS


def _ceil_div(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(a, dtype=np.int64) // b)


LARGEST_CLASS = int(UPPER_BOUNDS["max_class_size"])  # a class never beyond the data's bound


def _fewest_largest(counts: np.ndarray, rooms: np.ndarray, cap: int) -> np.ndarray:
    """(S,) the least largest class L > cap whose classes fit the rooms, at most LARGEST_CLASS.

    A grade of n pupils in classes of at most L needs ceil(n / L) classes (one at least), so
    the least largest class a school's rooms allow is the least L with
    Σ_g ceil(n_g / L) ≤ rooms; the sum never grows with L, so a bisection over
    (cap, LARGEST_CLASS] finds it. Where even LARGEST_CLASS does not fit (fewer rooms than
    grades with pupils, or more pupils than the rooms hold at that bound), LARGEST_CLASS.

    Parameters
    ----------
    counts
        (S, G) pupils per grade of schools short of rooms at the cap.
    rooms
        (S,) the rooms each has; Σ_g ceil(n_g / cap) > rooms.
    cap
        The class-size cap (every L ≤ cap needs more classes than the rooms).
    """
    lo = np.full(len(counts), cap, dtype=np.int64)  # too small: over the rooms
    hi = np.full(len(counts), max(LARGEST_CLASS, cap + 1), dtype=np.int64)  # fits, or the bound
    while (hi - lo > 1).any():
        mid = (lo + hi) // 2
        fits = _ceil_div(counts, mid[:, None]).sum(axis=1) <= rooms
        hi, lo = np.where(fits, mid, hi), np.where(fits, lo, mid)
    return hi


def section_classes(counts: np.ndarray, cap: int, multigrade: np.ndarray | bool = False,
                    rooms: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return pupils, classes and largest class per school for pupils by grade at a cap.

    Parameters
    ----------
    counts
        (S, G) pupils per school and grade of one section (or (G,) for one school).
    cap
        The section's class-size cap.
    multigrade
        (S,) or one flag: schools teaching their grades together (teaching points).
    rooms
        (S,) classrooms the section has, or None for as many as it needs. With too few,
        every room holds a class and the grades share them so that the largest class is the
        least the rooms allow (every grade with pupils keeps one), up to `LARGEST_CLASS`;
        past that the school has more classes than rooms.

    Returns
    -------
    Three int64 arrays of shape (S,) (or scalars-as-0-d arrays for one school).
    """
    counts = np.asarray(counts, dtype=np.int64)
    one = counts.ndim == 1
    c = counts.reshape(1, -1) if one else counts
    pupils = c.sum(axis=1)
    per = _ceil_div(c, cap)
    classes = per.sum(axis=1)
    if rooms is not None:  # fewer rooms than classes: the classes fill every room
        room = np.broadcast_to(np.asarray(rooms, dtype=np.int64).reshape(-1), classes.shape)
        short = classes > room
        if short.any():
            fewest = _fewest_largest(c[short], room[short], cap)
            per[short] = _ceil_div(c[short], fewest[:, None])
            # rooms left once every class is within `fewest` take pupils from its largest
            # classes: each room is used, and the largest class stays `fewest` (the least
            # that fits). Past the plausible bound the classes are beyond the rooms.
            classes[short] = np.maximum(room[short], per[short].sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        sizes = np.where(per > 0, _ceil_div(c, np.maximum(per, 1)), 0)
    largest = sizes.max(axis=1) if c.shape[1] else np.zeros(len(c), dtype=np.int64)
    mixed = np.broadcast_to(np.asarray(multigrade, dtype=bool), pupils.shape)
    if mixed.any():
        m_classes = _ceil_div(pupils, cap)
        if rooms is not None:
            m_classes = np.maximum(
                np.minimum(m_classes, np.maximum(np.asarray(rooms).reshape(-1),
                                                 (pupils > 0).astype(np.int64))),
                _ceil_div(pupils, LARGEST_CLASS))
        m_largest = np.where(m_classes > 0, _ceil_div(pupils, np.maximum(m_classes, 1)), 0)
        classes = np.where(mixed, m_classes, classes)
        largest = np.where(mixed, m_largest, largest)
    if one:
        return pupils[0], classes[0], largest[0]
    return pupils, classes, largest


def classes_needed(plan, section: str) -> np.ndarray:
    """(S,) each school's classes of a section at the class cap, whatever its rooms.

    By grade; teaching points teach their grades together.
    """
    std = plan.standards
    grades = np.array(std.grades(section)) - 1
    return np.asarray(section_classes(plan.pupils_by_grade[:, grades],
                                      std.section(section).class_size_cap,
                                      plan.schools["kind"] == "teaching_point")[1])


def plan_classes(counts, cap: int, *, multigrade: bool = False) -> tuple[int, int, int]:
    """Return (pupils, classes, largest class) of one school for pupils by grade at a cap."""
    pupils, classes, largest = section_classes(np.asarray(list(counts), dtype=np.int64), cap,
                                               multigrade)
    return int(pupils), int(classes), int(largest)


def split_rooms(need: np.ndarray, classrooms: np.ndarray) -> np.ndarray:
    """Share each school's classrooms between its sections in proportion to their need.

    Parameters
    ----------
    need
        (S, 2) classes each section needs at the cap (primary, junior).
    classrooms
        (S,) the school's ordinary classrooms.

    Returns
    -------
    (S, 2) rooms per section: what it needs where the school has enough, else its share.
    """
    need = np.asarray(need, dtype=np.int64)
    rooms = np.asarray(classrooms, dtype=np.int64)
    total = need.sum(axis=1)
    enough = total <= rooms
    primary = np.where(total > 0, (need[:, 0] * rooms) // np.maximum(total, 1), 0)
    shared = np.stack([primary, rooms - primary], axis=1)
    return np.where(enough[:, None], need, shared)
