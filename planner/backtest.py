"""The hindcast: the projection run from each earlier year of the history, against what happened.

For every year of the enrolment history before the workspace's own, the projection's method
(planner/projection.py: the same rates, measured only from what was known that year, the same
cohort steps, the same attendance rule) projects that year's pupils forward to the
workspace's year; each later year it reaches is compared with the count of that year. The
errors are reported by horizon (years ahead) for every grade, each section, the townships and
the schools, so a reader sees how far the method has been off at the distance a plan looks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.plan.model import Plan
from planner.projection import _data, attendance, estimate, expected_pupils, run
from planner.schema import GRADES, SECTIONS

LEVELS = ("grade", "section", "township", "school")
COLUMNS = ["level", "item", "key", "origin", "year", "horizon", "predicted", "actual"]
SUMMARY_COLUMNS = ["level", "item", "horizon", "cases", "mean_abs_pct", "largest_abs_pct",
                   "largest_abs", "mean_pct"]


@dataclass(frozen=True, eq=False)
class Backtest:
    """A hindcast and its errors.

    Attributes
    ----------
    origins
        The history years the method was run from.
    comparisons
        One row per level, item (grade or section), key (township or school id, else ""),
        origin and year: horizon (years ahead), predicted and actual children (grade, section,
        township) or pupils (school).
    summary
        Per level, item and horizon: cases compared, the mean absolute error in % (weighted
        by size: Σ|predicted − actual| ÷ Σ actual over the cases), the
        largest absolute error in % and in children or pupils, and the mean signed error in %
        (> 0: the method projected too many).
    history
        The counts compared with: children by year and section (year, section, children),
        the origins and the workspace's year included.
    """

    origins: tuple[int, ...]
    comparisons: pd.DataFrame
    summary: pd.DataFrame
    history: pd.DataFrame

    def error(self, level: str, item: object, horizon: int) -> pd.Series:
        """The summary row of one level, item and horizon."""
        s = self.summary
        hit = s[(s["level"] == level) & (s["item"] == item) & (s["horizon"] == horizon)]
        return hit.iloc[0]


def _pupils(base: Plan) -> dict[int, np.ndarray]:
    """Year → (U, 9, S) pupils by unit, grade and today's school: the history and today."""
    n_u, n_s = len(base.units), len(base.school_ids)
    out = {}
    r = base.rows
    now = np.zeros((n_u, 9, n_s))
    np.add.at(now, (r.eu, r.grade - 1, r.es), r.n)
    out[int(base.year)] = now
    h = base.source.enrolment_history
    if h is None or not len(h):
        return out
    u = pd.Index(base.units.ids).get_indexer(h["unit_id"].to_numpy(dtype=object))
    s = pd.Index(base.school_ids).get_indexer(h["school_id"].astype(str).to_numpy(dtype=object))
    ok = (u >= 0) & (s >= 0)
    years = h["year"].to_numpy()
    for y in np.unique(years):
        m = ok & (years == y)
        c = np.zeros((n_u, 9, n_s))
        np.add.at(c, (u[m], h["grade"].to_numpy()[m] - 1, s[m]),
                  h["students"].to_numpy(dtype=float)[m])
        out[int(y)] = c
    return out


def backtest(base: Plan) -> Backtest | None:
    """Run the projection from each earlier year of the history to the workspace's year.

    Returns None when the workspace has no enrolment history before its own year (nothing to
    compare with).
    """
    if base.year is None:
        return None
    data, std = _data(base), base.standards
    origins = tuple(sorted(y for y in data.counts if y < base.year))
    if not origins:
        return None
    pupils = _pupils(base)
    groups = data.groups.astype(str)
    towns = np.unique(groups)
    sids = np.asarray(base.school_ids, dtype=object)
    rows: list[tuple] = []
    for o in origins:
        r0 = data.counts[o]
        rates, _ = estimate(data, o, std, r0)
        kids = run(data, rates, r0, o, int(base.year), std, ("central",))["central"]
        per, entry = attendance(pupils[o], r0, base.zone, std)
        for k in range(1, int(base.year) - o + 1):
            y = o + k
            if y not in data.counts:
                continue
            school = (expected_pupils(per, entry, kids[k], k, std).sum(axis=0),
                      pupils[y].sum(axis=0))  # (9, S) each
            rows += _compare(o, y, (kids[k], data.counts[y]), school, groups, towns, sids,
                             std)
    comparisons = pd.DataFrame(rows, columns=COLUMNS)
    history = pd.DataFrame(
        [{"year": y, "section": sec, "children": float(
            data.counts[y][:, np.array(std.grades(sec)) - 1].sum())}
         for y in sorted(data.counts) for sec in SECTIONS],
        columns=["year", "section", "children"])
    return Backtest(origins=origins, comparisons=comparisons, summary=_summary(comparisons),
                    history=history)


def _compare(origin: int, year: int, children: tuple[np.ndarray, np.ndarray],
             school: tuple[np.ndarray, np.ndarray], groups: np.ndarray, towns: np.ndarray,
             sids: np.ndarray, std) -> list[tuple]:
    """The comparisons of one origin and year at every level."""
    h = year - origin
    pred, act = children
    out = [("grade", g, "", origin, year, h, float(pred[:, g - 1].sum()),
            float(act[:, g - 1].sum())) for g in GRADES]
    for sec in SECTIONS:
        cols = np.array(std.grades(sec)) - 1
        p, a = pred[:, cols].sum(axis=1), act[:, cols].sum(axis=1)
        out.append(("section", sec, "", origin, year, h, float(p.sum()), float(a.sum())))
        for t in towns:
            m = groups == t
            out.append(("township", sec, t, origin, year, h, float(p[m].sum()),
                        float(a[m].sum())))
        ps, as_ = school[0][cols].sum(axis=0), school[1][cols].sum(axis=0)
        for i in np.flatnonzero((ps > 0) | (as_ > 0)):
            out.append(("school", sec, sids[i], origin, year, h, float(ps[i]), float(as_[i])))
    return out


def _summary(c: pd.DataFrame) -> pd.DataFrame:
    """Errors by level, item and horizon (see :class:`Backtest`)."""
    rows = []
    for (level, item, h), part in c.groupby(["level", "item", "horizon"], sort=False):
        p, a = part["predicted"].to_numpy(), part["actual"].to_numpy()
        diff = np.abs(p - a)
        pct = np.divide(p - a, a, out=np.full(len(a), np.nan), where=a > 0)
        rows.append({"level": level, "item": item, "horizon": int(h), "cases": len(part),
                     "mean_abs_pct": 100 * diff.sum() / a.sum() if a.sum() > 0 else np.nan,
                     "largest_abs_pct": 100 * np.nanmax(np.abs(pct)) if np.isfinite(pct).any()
                     else np.nan,
                     "largest_abs": float(diff.max()),
                     "mean_pct": 100 * float(np.nanmean(pct)) if np.isfinite(pct).any()
                     else np.nan})
    order = {lv: k for k, lv in enumerate(LEVELS)}
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    out["_o"] = out["level"].map(order)
    return out.sort_values(["_o", "horizon"], kind="stable").drop(columns="_o").reset_index(
        drop=True)
