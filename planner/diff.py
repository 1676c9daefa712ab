"""Compare two plans (a scenario and the baseline, or two scenarios) and their evaluations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.evaluation import Evaluation
from planner.plan import Plan
from planner.schema import SECTIONS
from planner.standards import RESOURCE_IDS, RESOURCE_KEYS


@dataclass(frozen=True)
class Diff:
    """What changed from plan A to plan B.

    Attributes
    ----------
    checklist
        Every row: id, status_a, status_b, value_a, value_b, changed.
    schools
        Per school section in either plan: students, R1–R7 and compliance before and after.
    caps
        Schools crossing a cap: school_id, name, rule, change ("fixed" or "new").
    zoned
        Per section: zoned ratio in A and in B.
    moved
        Per school whose students changed: students_a, students_b, delta.
    pupils_changing_school
        Pupils at a different school in B than in A, summed over units and grades
        (:func:`pupils_changing_school`).
    net_gain
        The schools' net gain: the sum of `moved.delta` over the schools that gain. Pupils
        moving between two schools that both lose or both gain are not in it, so it is
        never more than `pupils_changing_school` and is not a count of pupils moved.
    units
        Units whose zoned school changed: unit_id, name, section, school_a, school_b.
    travel
        Per section: mean distance to the school attended (m) and share beyond the service
        radius, in A and in B.
    """

    checklist: pd.DataFrame
    schools: pd.DataFrame
    caps: pd.DataFrame
    zoned: pd.DataFrame
    moved: pd.DataFrame
    units: pd.DataFrame
    travel: pd.DataFrame
    pupils_changing_school: int
    net_gain: int


def _mean_distance(plan: Plan) -> dict[str, float]:
    if plan.distances is None or not len(plan.rows):
        return {sec: float("nan") for sec in SECTIONS}
    r = plan.rows
    dist = plan.distances.matrix[r.eu, r.es]
    n = r.n.astype(float)
    junior = plan.standards.is_junior(r.grade)
    out = {}
    for sec, mask in (("primary", ~junior), ("junior", junior)):
        ok = mask & np.isfinite(dist)
        out[sec] = float((dist[ok] * n[ok]).sum() / n[ok].sum()) if n[ok].sum() else float("nan")
    return out


def _totals(plan: Plan) -> pd.DataFrame:
    s = plan.schools
    return pd.DataFrame({"name": s["name"], "total": s["students_primary"] + s["students_junior"]},
                        index=pd.Index(s["school_id"], name="school_id"))


def pupils_changing_school(plan_a: Plan, plan_b: Plan) -> int:
    """Return the pupils at a different school in plan B than in plan A.

    Pupils are known by unit and grade, not by name: of the n_A(u, g, s) pupils of unit u
    and grade g at school s in A, max(0, n_A − n_B) are no longer there in B. The count is
    that excess summed over units, grades and schools — every pupil who leaves a school
    once, whatever the other schools gain or lose (a school that loses 10 and gains 10 other
    pupils counts its 10 leavers, and its net change is 0).

    Parameters
    ----------
    plan_a, plan_b
        The plans before and after, of the same school year.

    Returns
    -------
    The number of pupils.
    """
    def rows(plan: Plan) -> pd.Series:
        r = plan.rows
        frame = pd.DataFrame({"unit": np.asarray(plan.units.ids, dtype=object)[r.eu],
                              "grade": r.grade,
                              "school": np.asarray(plan.school_ids, dtype=object)[r.es],
                              "n": r.n})
        return frame.groupby(["unit", "grade", "school"])["n"].sum()

    na, nb = rows(plan_a), rows(plan_b)
    left = na.sub(nb.reindex(na.index, fill_value=0)).clip(lower=0)
    return int(left.sum())


def diff(a: Evaluation, b: Evaluation, plan_a: Plan, plan_b: Plan) -> Diff:
    """Return everything that differs between two evaluated plans (A before, B after)."""
    ca, cb = a.checklist.set_index("id"), b.checklist.set_index("id")
    checklist = pd.DataFrame({
        "id": ca.index, "name_zh": ca["name_zh"].to_numpy(), "name_en": ca["name_en"].to_numpy(),
        "status_a": ca["status"].to_numpy(), "status_b": cb["status"].reindex(ca.index).to_numpy(),
        "value_a": ca["value"].to_numpy(), "value_b": cb["value"].reindex(ca.index).to_numpy(),
    })
    checklist["changed"] = [sa != sb or str(va) != str(vb) for sa, sb, va, vb in zip(
        checklist["status_a"], checklist["status_b"], checklist["value_a"],
        checklist["value_b"], strict=True)]

    keep = ["school_id", "name", "section", "students", *RESOURCE_KEYS, "met", "compliant"]
    ia, ib = a.indicators[keep], b.indicators[keep]
    schools = ia.merge(ib, on=["school_id", "section"], how="outer", suffixes=("_a", "_b"))
    schools["name"] = schools["name_a"].fillna(schools["name_b"])
    schools = schools.drop(columns=["name_a", "name_b"])
    schools = schools.rename(columns={f"{k}_{s}": f"{rid}_{s}" for rid, k in zip(
        RESOURCE_IDS, RESOURCE_KEYS, strict=True) for s in "ab"})
    schools["changed"] = ~(schools["students_a"].eq(schools["students_b"])
                           & schools["compliant_a"].eq(schools["compliant_b"]))

    key = ["school_id", "rule"]
    caps = a.caps[key + ["name", "value"]].merge(b.caps[key + ["value"]], on=key, how="outer",
                                                 suffixes=("_a", "_b"), indicator=True)
    caps = caps[caps["_merge"] != "both"].copy()
    names_b = dict(zip(plan_b.schools["school_id"], plan_b.schools["name"], strict=True))
    caps["name"] = caps["name"].fillna(caps["school_id"].map(names_b))
    caps["change"] = np.where(caps["_merge"] == "left_only", "fixed", "new")
    caps = caps.drop(columns="_merge").reset_index(drop=True)

    zoned = pd.DataFrame({"section": list(SECTIONS) + ["all"]})
    for label, ev in (("a", a), ("b", b)):
        by = ev.zoned.by_section.set_index("section") if ev.zoned is not None else None
        zoned[f"ratio_{label}"] = ([by.loc[s, "ratio"] for s in zoned["section"]]
                                   if by is not None else np.nan)

    sa, sb = _totals(plan_a), _totals(plan_b)
    ids = sa.index.union(sb.index, sort=False)
    tot_a = sa["total"].reindex(ids, fill_value=0)
    tot_b = sb["total"].reindex(ids, fill_value=0)
    moved = pd.DataFrame({"school_id": ids, "name": sa["name"].combine_first(sb["name"])
                          .reindex(ids).to_numpy(), "students_a": tot_a.to_numpy(),
                          "students_b": tot_b.to_numpy()})
    moved["delta"] = moved["students_b"] - moved["students_a"]
    moved = moved[moved["delta"] != 0].reset_index(drop=True)
    net_gain = int(moved.loc[moved["delta"] > 0, "delta"].sum())

    za, zb = plan_a.zoning, plan_b.zoning.reindex(plan_a.zoning.index)
    names = dict(zip(plan_a.units.ids, plan_a.units.names, strict=True))
    unit_rows = []
    for sec in SECTIONS:
        changed = za[sec].to_numpy(dtype=object) != zb[sec].to_numpy(dtype=object)
        for uid in za.index[changed]:
            unit_rows.append({"unit_id": uid, "name": names.get(uid), "section": sec,
                              "school_a": za.at[uid, sec], "school_b": zb.at[uid, sec]})
    units = pd.DataFrame(unit_rows, columns=["unit_id", "name", "section", "school_a",
                                             "school_b"])

    da, db = _mean_distance(plan_a), _mean_distance(plan_b)
    rows = []
    for sec in SECTIONS:
        share = {}
        for label, ev in (("a", a), ("b", b)):
            s = ev.layout.summary.set_index("section") if ev.layout is not None else None
            share[label] = float(s.loc[sec, "share_beyond"]) if s is not None else np.nan
        rows.append({"section": sec, "mean_distance_m_a": da[sec], "mean_distance_m_b": db[sec],
                     "share_beyond_a": share["a"], "share_beyond_b": share["b"]})
    return Diff(checklist=checklist, schools=schools, caps=caps, zoned=zoned, moved=moved,
                units=units, travel=pd.DataFrame(rows),
                pupils_changing_school=pupils_changing_school(plan_a, plan_b), net_gain=net_gain)


def summary_lines(d: Diff) -> list[str]:
    """Return a short text account of a diff, for the command line."""
    lines = []
    for r in d.checklist[d.checklist["changed"]].to_dict("records"):
        if r["status_a"] != r["status_b"]:
            lines.append(f"{r['id']}: {r['status_a']} → {r['status_b']}")
    for r in d.caps.to_dict("records"):
        lines.append(f"{r['name']} ({r['school_id']}): {r['rule']} {r['change']}")
    for r in d.zoned.to_dict("records"):
        if r["ratio_a"] == r["ratio_a"] and r["ratio_a"] != r["ratio_b"]:
            lines.append(f"zoned ratio {r['section']}: {r['ratio_a']:.1%} → {r['ratio_b']:.1%}")
    lines.append(f"pupils changing school: {d.pupils_changing_school:,}; net gain of the "
                 f"schools gaining pupils: {d.net_gain:,}; units re-zoned: {len(d.units)}")
    for r in d.travel.to_dict("records"):
        lines.append(f"{r['section']}: mean distance {r['mean_distance_m_a']:,.0f} m → "
                     f"{r['mean_distance_m_b']:,.0f} m")
    return lines
