"""The lines a planner reads about a re-zoning: its numbers, what a re-zoned plan breaks.

What an assignment breaks lives in planner/optimize/feasible.py.
"""

from __future__ import annotations

import numpy as np

from planner.admission import school_holders
from planner.checklist import class_over_cap, size_over_cap
from planner.optimize.feasible import connected, greedy, reached, violations
from planner.optimize.instance import neighbours_of
from planner.optimize.model import Result
from planner.plan import Plan
from planner.plan.classes import classes_needed
from planner.schema import SECTIONS


def summary(result: Result) -> dict:
    """Numbers to print: objective, bounds, gap, travel, moves, pupils changing school."""
    inst = result.instance
    t = inst.last()
    pupils = int(inst.demand[:, t].sum())
    travel_m = inst.travel(result.assign)
    first = inst.demand[:, 0].sum(axis=1)
    moved = result.assign != inst.zoned
    return {"section": inst.section, "status": result.status, "objective": result.objective,
            "best_bound": result.best_bound, "lp_bound": result.lp_bound, "gap": result.gap,
            "lp_gap": result.lp_gap, "seconds": result.seconds, "rounds": result.rounds,
            "pupils": pupils, "travel_km": travel_m / 1000,
            "mean_m": travel_m / pupils if pupils else 0.0, "units_moved": int(moved.sum()),
            "pupils_changing_school": int(sum(inst.changes(u, int(s))
                                              for u, s in enumerate(result.assign))),
            "first_year_changing": int(first[moved].sum()),
            "siblings": int(inst.siblings[moved, t].sum()) if inst.siblings is not None else 0,
            "siblings_stay": inst.siblings_stay}


def sibling_line(s: dict, lang: str = "en") -> str:
    """多孩同校 in words: the re-zoned entrants with an older sibling at the old school.

    Under `siblings_stay` they stay with the sibling (they are not among the pupils changing
    school); otherwise they are the families the re-zoning splits.
    """
    n = s["siblings"]
    if lang == "zh":
        return (f"  多孩同校：{n:,} 名新生的兄姐在原学校，随兄姐留在原校（未计入转学学生）"
                if s["siblings_stay"] else
                f"  多孩家庭分校：{n:,} 名新生的兄姐在原学校，新生入读新学区学校")
    return (f"  siblings: {n:,} entrant(s) with an older sibling at the old school stay there "
            "(not among the pupils changing school)" if s["siblings_stay"] else
            f"  families split: {n:,} entrant(s) go to the new school while an older sibling "
            "stays at the old one")


def report_lines(result: Result) -> list[str]:
    """Lines to print: objective, bounds and gaps, travel beside today's and the greedy's."""
    inst, s = result.instance, summary(result)
    phase = (f"entrants from {result.first_year}, {len(inst.years)} year(s) of phase-in"
             if result.first_year is not None else "every grade at once")
    lines = [f"{inst.section}: {s['status']} in {s['seconds']:.1f} s ({s['rounds']} round(s) "
             f"of CV cuts); {phase}; objective {s['objective']:,.0f} (pupil-metres + "
             f"{inst.change_weight_m:,.0f} m × pupils changing school)",
             (f"  LP relaxation bound {s['lp_bound']:,.0f} (gap {s['lp_gap']:.2%})"
              if np.isfinite(s["lp_bound"]) else "  LP relaxation not solved in its time")
             + f"; proven bound {s['best_bound']:,.0f} (gap {s['gap']:.2%})",
             f"  travel: {s['travel_km']:,.0f} pupil-km, {s['mean_m']:,.0f} m per pupil; "
             f"{s['units_moved']} unit(s) re-zoned; {s['first_year_changing']:,} pupil(s) "
             f"change school in the first year, {s['pupils_changing_school']:,} once phased in"]
    if result.disruption is not None:
        from planner.optimize.disruption import gain_lines

        lines[0] = lines[0].replace("; objective ", "; least-travel objective ", 1)
        lines[1] += " (of least travel, from which the moves no gap needs are undone)"
        lines += gain_lines(inst, result.disruption, result.assign, "en")
    if s["units_moved"]:
        lines.append(sibling_line(s))
    pupils = max(s["pupils"], 1)
    now = float((inst.present * np.where(np.isfinite(inst.dist), inst.dist, 0)).sum())
    lines.append(f"  today's catchments: {now / 1000:,.0f} pupil-km, {now / pupils:,.0f} m per "
                 "pupil")
    g = greedy(inst)
    if g is None:
        lines.append("  greedy baseline (nearest school with room): some unit finds no school "
                     "with room")
    else:
        broken = sum(1 for v in violations(inst, g) if "contiguous" in v)
        lines.append(f"  greedy baseline (nearest school with room): {inst.travel(g) / 1000:,.0f} "
                     f"pupil-km, {inst.travel(g) / pupils:,.0f} m per pupil; {broken} "
                     "catchment(s) not contiguous")
    return lines


def check_plan(before: Plan, after: Plan, section: str) -> list[str]:
    """Say what a re-zoned plan breaks for one section (empty: nothing).

    Pupils by grade kept; every school of the section within its size cap, its classes
    within its classrooms and its largest class within the cap, or no worse than in `before`
    (a school over a cap there may stay over it, never further); every unit zoned and every
    catchment connected and holding its school.
    """
    out = []
    by = [np.bincount(p.rows.grade, weights=p.rows.n, minlength=10) for p in (before, after)]
    if not np.array_equal(by[0], by[1]):
        out.append("pupils by grade changed")
    std = after.standards
    teach = after.teaches(section)
    # before's values at after's schools (a closure drops a school, an opening adds one)
    where = {sid: j for j, sid in enumerate(before.school_ids)}
    pos = np.array([where.get(sid, -1) for sid in after.school_ids], dtype=np.int64)

    def was(values, new) -> np.ndarray:
        values = np.asarray(values)
        return np.where(pos >= 0, values[np.maximum(pos, 0)], new)

    other = SECTIONS[1 - SECTIONS.index(section)]
    size, cap, big = size_over_cap(after.schools, std)
    size0 = was(size_over_cap(before.schools, std)[0], 0)
    # the section's classes within the rooms the other section leaves, as the model counts
    # them (or today's classes, recorded or needed at the cap, where those are more)
    own = after.schools[f"classes_{section}"]
    left = after.schools["classrooms"] - after.schools[f"classes_{other}"]
    left = was(before.schools["classrooms"] - before.schools[f"classes_{other}"], left)
    room_cap = np.maximum.reduce([left, was(before.schools[f"classes_{section}"], 0),
                                  was(classes_needed(before, section), 0)])
    biggest0 = was(class_over_cap(before.schools, section, std)[0], 0)
    biggest, _, crowded = class_over_cap(after.schools, section, std)
    for i in np.flatnonzero(teach):
        sid = after.school_ids[i]
        if big[i] and size[i] > max(size0[i], cap[i]):
            out.append(f"{sid}: {size[i]} pupils over the cap of {cap[i]:.0f}")
        if own[i] > room_cap[i]:
            out.append(f"{sid}: {own[i]} {section} classes in the {room_cap[i]} classrooms "
                       f"left by the {other} section")
        if crowded[i] and biggest[i] > biggest0[i]:
            out.append(f"{sid}: a class of {biggest[i]}")
    k = SECTIONS.index(section)
    if (after.zone[k] < 0).any():
        out.append(f"{int((after.zone[k] < 0).sum())} unit(s) without a {section} school")
    neighbours = neighbours_of(after)
    idx = np.flatnonzero(teach)
    for i, h in zip(idx, school_holders(after, idx), strict=True):
        members = set(np.flatnonzero(after.zone[k] == i).tolist())
        today = set(np.flatnonzero(before.zone[k] == pos[i]).tolist()) if pos[i] >= 0 else set()
        exclaves = today - reached(today, neighbours, int(h))  # today's exclaves may stay
        if members and not connected(members, neighbours, int(h), exclaves):
            out.append(f"{after.school_ids[i]}: catchment not contiguous with the unit holding "
                       "the school")
    return out


def impact_lines(proposed, section: str, lang: str = "en") -> list[str]:
    """What a proposal changes beside travel, in the first and the last year checked.

    School sections passing R1–R7, each CV of the section, G4, G5 and G13, pupils changing
    school (the first year, and once phased in), and the capacity limits that bind at the
    schools that gain pupils.
    """
    zh = lang == "zh"
    out = year_lines(proposed, section, lang)
    s = summary(proposed.result)
    gain = _binding(proposed, section, lang)
    if zh:
        out.append(f"  转学学生：第一年 {s['first_year_changing']:,} 人，全部实施后 "
                   f"{s['pupils_changing_school']:,} 人；学位受限：{gain}")
    else:
        out.append(f"  pupils changing school: {s['first_year_changing']:,} in the first year, "
                   f"{s['pupils_changing_school']:,} once phased in; places bound by: {gain}")
    if s["units_moved"]:
        out.append(sibling_line(s, lang))
    return out


def year_lines(proposed, section: str, lang: str = "en") -> list[str]:
    """Passes, CVs, G4, G5 and G13 before → after, in the first and the last year checked."""
    from planner.i18n import t

    zh = lang == "zh"
    out = []
    picks = sorted({0, len(proposed.years) - 1})
    for i in picks:
        y, b, a = proposed.years[i], proposed.before[i], proposed.after[i]
        passing = [int(e.indicators.loc[e.indicators["section"] == section, "compliant"].sum())
                   for e in (b, a)]
        total = int((a.indicators["section"] == section).sum())
        cv_b = b.cvs[b.cvs["section"] == section].set_index("id")["cv"]
        cv_a = a.cvs[a.cvs["section"] == section].set_index("id")["cv"]
        rows = {e: dict(zip(ev.checklist["id"], ev.checklist["status"], strict=True))
                for e, ev in (("b", b), ("a", a))}
        cvs = ", ".join(f"{k} {cv_b[k]:.3f}→{cv_a[k]:.3f}" for k in cv_b.index)
        gates = ", ".join(f"{g} {t('status_' + rows['b'][g], lang)}→"
                          f"{t('status_' + rows['a'][g], lang)}" for g in ("G4", "G5", "G13"))
        when = (f"{y} 年" if zh else str(y)) if y else ("现在" if zh else "now")
        if zh:
            out.append(f"  {when}：资源配置达标的学校学段 {passing[0]}→{passing[1]}（共 {total}）；"
                       f"差异系数 {cvs}；{gates}")
        else:
            out.append(f"  {when}: school sections passing R1–R7 {passing[0]} → {passing[1]} "
                       f"(of {total}); CVs {cvs}; {gates}")
    return out


def _binding(proposed, section: str, lang: str = "en") -> str:
    """Which capacity limit binds at the schools that gain pupils (last year), counted."""
    from planner.capacity import places_table

    before, after = proposed.plans_before[-1], proposed.plans[-1]
    t0 = places_table(before.schools, before.standards)
    t1 = places_table(after.schools, after.standards)
    t0, t1 = (t[t["section"] == section].set_index("school_id") for t in (t0, t1))
    gains = t1.index[t1["pupils"] > t0["pupils"].reindex(t1.index, fill_value=0)]
    counts = t1.loc[gains, "binding"].value_counts()
    from planner.i18n import t

    if lang == "zh":
        return "，".join(f"{t(f'binding_{k}', lang)} {v} 所" for k, v in counts.items()) or "—"
    return ", ".join(f"{t(f'binding_{k}', lang)} {v}" for k, v in counts.items()) or "—"


def indicator_problems(before, after, section: str, *, closed: frozenset = frozenset()
                       ) -> list[str]:
    """What a proposal breaks of the indicator constraints, by the ordinary evaluation.

    `before` and `after` are evaluations of one school year. Sections passing R1–R7 keep
    passing, the evaluated set stays (but for the schools `closed`, open or not), every CV
    within its limit stays within it and none over it rises.
    """
    out = []
    rows = [e.indicators[e.indicators["section"] == section].set_index("school_id")
            for e in (before, after)]
    kept = set(rows[0].index) - set(closed)
    now = set(rows[1].index) - set(closed)  # a school closing in stages may still be open
    if now != kept:
        out.append(f"the evaluated {section} sections change: {sorted(now ^ kept)[:5]}")
    for sid in sorted(kept & set(rows[1].index)):
        if rows[0].at[sid, "compliant"] and not rows[1].at[sid, "compliant"]:
            out.append(f"{sid} no longer meets R1–R7")
    cvs = [e.cvs[e.cvs["section"] == section].set_index("id") for e in (before, after)]
    for k in cvs[1].index:
        b, a, limit = cvs[0].at[k, "cv"], cvs[1].at[k, "cv"], cvs[1].at[k, "limit"]
        if np.isfinite(a) and a > max(limit, b if np.isfinite(b) else 0.0) + 1e-9:
            out.append(f"{k} CV {a:.4f} over {max(limit, b):.4f}")
    return out

