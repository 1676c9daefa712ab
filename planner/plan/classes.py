"""Classes a school needs for its pupils: the one rule for classes at the class-size cap.

A grade of n pupils needs ceil(n / cap) classes and its pupils spread evenly over them; a
teaching point (mixed-grade classes) teaches all its grades together in ceil(all / cap)
classes. The cap is the section's G5 class-size cap (45 primary, 50 junior).
"""

from __future__ import annotations

import numpy as np


def _ceil_div(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(a, dtype=np.int64) // b)


def section_classes(counts: np.ndarray, cap: int, multigrade: np.ndarray | bool = False
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
    with np.errstate(divide="ignore", invalid="ignore"):
        sizes = np.where(per > 0, _ceil_div(c, np.maximum(per, 1)), 0)
    largest = sizes.max(axis=1) if c.shape[1] else np.zeros(len(c), dtype=np.int64)
    mixed = np.broadcast_to(np.asarray(multigrade, dtype=bool), pupils.shape)
    if mixed.any():
        m_classes = _ceil_div(pupils, cap)
        m_largest = np.where(m_classes > 0, _ceil_div(pupils, np.maximum(m_classes, 1)), 0)
        classes = np.where(mixed, m_classes, classes)
        largest = np.where(mixed, m_largest, largest)
    if one:
        return pupils[0], classes[0], largest[0]
    return pupils, classes, largest


def plan_classes(counts, cap: int, *, multigrade: bool = False) -> tuple[int, int, int]:
    """Return (pupils, classes, largest class) of one school for pupils by grade at a cap."""
    pupils, classes, largest = section_classes(np.asarray(list(counts), dtype=np.int64), cap,
                                               multigrade)
    return int(pupils), int(classes), int(largest)
